/*
 * ovpn_pkt.h - OpenVPN 2.x packet layer: opcode/key_id octet, control packets (session ids,
 * ack arrays, message packet-ids), data packet headers, TCP stream framing.
 *
 * Parsers read only through struct rbuf and return E_OVPN_OPCODE (opcode outside 3..11 or an
 * opcode we do not serve), E_OVPN_ACKS (ack_count > 8), E_TRUNCATED, E_TRAILING (bytes after a
 * P_ACK_V1), E_OVPN_SYNTAX (payload larger than OVPN_CTL_PAYLOAD_MAX, data opcode passed to the
 * control parser). The caller drops the packet on any error (openvpn-protocol.md 9.1).
 * Pure functions; any thread.
 */
#ifndef GH_OVPN_PKT_H
#define GH_OVPN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

/* ssl_pkt.h opcodes */
#define OVPN_P_CONTROL_HARD_RESET_CLIENT_V1 1
#define OVPN_P_CONTROL_HARD_RESET_SERVER_V1 2
#define OVPN_P_CONTROL_SOFT_RESET_V1 3
#define OVPN_P_CONTROL_V1 4
#define OVPN_P_ACK_V1 5
#define OVPN_P_DATA_V1 6
#define OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 7
#define OVPN_P_CONTROL_HARD_RESET_SERVER_V2 8
#define OVPN_P_DATA_V2 9
#define OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 10
#define OVPN_P_CONTROL_WKC_V1 11
#define OVPN_P_FIRST_OPCODE 3
#define OVPN_P_LAST_OPCODE 11

#define OVPN_P_OPCODE_SHIFT 3
#define OVPN_P_KEY_ID_MASK 0x07

/* RELIABLE_ACK_SIZE: at most 8 acks in one packet; CONTROL_SEND_ACK_MAX piggy-backed. */
#define OVPN_ACK_MAX 8
#define OVPN_CONTROL_SEND_ACK_MAX 4
/* Largest control payload we accept (TLS_MTU_DEFAULT 1250 plus generous slack; CVE-2017-7478
 * was an ASSERT on an oversized one: we return an error instead). */
#define OVPN_CTL_PAYLOAD_MAX 2048
/* Largest packet on either transport (TCP length prefix is 16 bits). */
#define OVPN_PKT_MAX 65535
/* P_DATA_V2 peer-id meaning "none" (MAX_PEER_ID). */
#define OVPN_PEER_ID_UNDEF 0xFFFFFFu

/*
 * Control packet, no tls-auth/tls-crypt (openvpn-protocol.md 2.1):
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | opcode  |key|     own session_id (8 octets) ...              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ...                                          |  ack_count    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  acked message ids, 4 octets each (ack_count of them)         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  remote session_id (8 octets, only if ack_count > 0)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  message_packet_id (4 octets, absent in P_ACK_V1)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  payload (TLS records; empty for resets)                      |
 */
struct ovpn_ctl {
	uint8_t opcode;
	uint8_t key_id;
	uint64_t sid;
	uint8_t n_acks;
	uint32_t acks[OVPN_ACK_MAX];
	uint64_t remote_sid; /* valid when n_acks > 0 */
	bool has_msg_id;     /* false for P_ACK_V1 */
	uint32_t msg_id;
	const uint8_t *payload; /* borrowed from the parsed packet */
	size_t payload_len;
};

/* Split the first octet. */
void ovpn_pkt_op_split(uint8_t op, uint8_t *opcode, uint8_t *key_id);
bool ovpn_pkt_is_data(uint8_t opcode);

/* Parse a control packet (any of opcodes 3,4,5,7,8; 10/11 need tls-crypt-v2 -> E_UNSUPPORTED). */
RESULT ovpn_ctl_parse(const uint8_t *pkt, size_t len, struct ovpn_ctl *out);
/* Append a control packet to w (sticky error: check wbuf_result). */
void ovpn_ctl_build(struct wbuf *w, const struct ovpn_ctl *c);

/*
 * Data packet header:
 *   P_DATA_V1: [opcode 6 | key_id]                       (1 octet)
 *   P_DATA_V2: [opcode 9 | key_id] [peer-id, 24 bit BE]  (4 octets)
 */
struct ovpn_data_hdr {
	uint8_t opcode;
	uint8_t key_id;
	uint32_t peer_id; /* OVPN_PEER_ID_UNDEF for P_DATA_V1 */
	size_t hdr_len;
};
RESULT ovpn_data_hdr_parse(const uint8_t *pkt, size_t len, struct ovpn_data_hdr *out);

/* TCP: each packet is preceded by a 16-bit big-endian length. Take the next complete packet
 * from the stream reader; E_AGAIN (reader untouched) when it is not all there yet, E_OVPN_SYNTAX
 * on a zero length. */
RESULT ovpn_tcp_frame_next(struct rbuf *stream, struct rbuf *pkt);

#endif
