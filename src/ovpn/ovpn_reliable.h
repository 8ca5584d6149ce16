/*
 * ovpn_reliable.h - the control channel's reliability layer (reliable.c in OpenVPN): message
 * ids from 0 per direction and key_id, a send window with retransmission and exponential
 * back-off, individual (non-cumulative) ACKs, a receive window with in-order delivery and
 * duplicate suppression (duplicates are re-acknowledged, never delivered twice).
 *
 * Pure state, no I/O, no clock reads: the caller passes monotonic ms. One owner thread.
 */
#ifndef GH_OVPN_RELIABLE_H
#define GH_OVPN_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "ovpn/ovpn_pkt.h"

#define OVPN_RELIABLE_SEND_N 6  /* TLS_RELIABLE_N_SEND_BUFFERS */
#define OVPN_RELIABLE_RECV_N 12 /* TLS_RELIABLE_N_REC_BUFFERS */
/* TLS bytes per P_CONTROL_V1 we send: well under TLS_MTU_DEFAULT 1250 with headers. */
#define OVPN_RELIABLE_PAYLOAD_MAX 1100
#define OVPN_RETRANSMIT_BASE_MS 2000u /* --tls-timeout default 2 s */
#define OVPN_RETRANSMIT_MAX_MS 16000u

struct ovpn_rel_send {
	bool used;
	uint8_t opcode;
	uint32_t msg_id;
	uint64_t next_ms;
	uint32_t timeout_ms;
	size_t len;
	uint8_t data[OVPN_RELIABLE_PAYLOAD_MAX];
};

struct ovpn_rel_recv {
	bool used;
	uint8_t opcode;
	uint32_t msg_id;
	size_t len;
	uint8_t data[OVPN_CTL_PAYLOAD_MAX];
};

struct ovpn_reliable {
	struct ovpn_rel_send snd[OVPN_RELIABLE_SEND_N];
	uint32_t next_send_id;
	struct ovpn_rel_recv rcv[OVPN_RELIABLE_RECV_N];
	uint32_t next_recv_id;
	uint32_t acks[OVPN_ACK_MAX]; /* ids we owe the peer an ACK for */
	unsigned n_acks;
};

void ovpn_reliable_init(struct ovpn_reliable *r);
bool ovpn_reliable_can_send(const struct ovpn_reliable *r);
/* Queue a new message; E_AGAIN when the send window is full, E_OVERFLOW if len is too big.
 * The message is due immediately (ovpn_reliable_due returns it). */
RESULT ovpn_reliable_queue(struct ovpn_reliable *r, uint8_t opcode, const uint8_t *data, size_t len,
                           uint64_t now_ms);
/* The peer acknowledged these ids: free their slots. */
void ovpn_reliable_ack(struct ovpn_reliable *r, const uint32_t *ids, unsigned n);
/* A message arrived. E_OK: stored (and an ACK owed); E_EXISTS: duplicate (ACK owed again,
 * nothing stored); E_OVPN_WINDOW: too far ahead (dropped, not acked). */
RESULT ovpn_reliable_recv(struct ovpn_reliable *r, uint32_t msg_id, uint8_t opcode,
                          const uint8_t *data, size_t len);
/* The next in-order message, or NULL. Call ovpn_reliable_consume() after handling it. */
const struct ovpn_rel_recv *ovpn_reliable_peek(const struct ovpn_reliable *r);
void ovpn_reliable_consume(struct ovpn_reliable *r);
/* A queued message whose (re)transmission time has come, or NULL. After sending it call
 * ovpn_reliable_sent(), which backs its timer off. */
struct ovpn_rel_send *ovpn_reliable_due(struct ovpn_reliable *r, uint64_t now_ms);
void ovpn_reliable_sent(struct ovpn_rel_send *s, uint64_t now_ms);
/* Earliest retransmission time, UINT64_MAX if nothing is in flight. */
uint64_t ovpn_reliable_deadline(const struct ovpn_reliable *r);
/* Move up to max owed ACK ids into out; returns how many. */
unsigned ovpn_reliable_take_acks(struct ovpn_reliable *r, uint32_t *out, unsigned max);
bool ovpn_reliable_idle(const struct ovpn_reliable *r); /* nothing in flight */

#endif
