/*
 * ovpn_pkt.c - parse and build OpenVPN packets (openvpn-protocol.md sections 1, 2.1, 6.1).
 */
#include "ovpn/ovpn_pkt.h"

#include <string.h>

void ovpn_pkt_op_split(uint8_t op, uint8_t *opcode, uint8_t *key_id)
{
	*opcode = (uint8_t)(op >> OVPN_P_OPCODE_SHIFT);
	*key_id = (uint8_t)(op & OVPN_P_KEY_ID_MASK);
}

bool ovpn_pkt_is_data(uint8_t opcode)
{
	return opcode == OVPN_P_DATA_V1 || opcode == OVPN_P_DATA_V2;
}

static RESULT ovpn_ctl_opcode_check(uint8_t opcode)
{
	/* ssl_pkt.h: P_FIRST_OPCODE 3; the key-method 1 resets (1, 2) are obsolete. */
	if (opcode < OVPN_P_FIRST_OPCODE || opcode > OVPN_P_LAST_OPCODE)
		return E_OVPN_OPCODE;
	if (ovpn_pkt_is_data(opcode))
		return E_OVPN_SYNTAX;
	/* tls-crypt-v2 packets carry a wrapped client key we are not configured for. */
	if (opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 || opcode == OVPN_P_CONTROL_WKC_V1)
		return E_UNSUPPORTED;
	return E_OK;
}

static RESULT ovpn_ctl_parse_acks(struct rbuf *r, struct ovpn_ctl *c)
{
	GUARD(rbuf_get_u8(r, &c->n_acks));
	if (c->n_acks > OVPN_ACK_MAX)
		return E_OVPN_ACKS;
	for (unsigned i = 0; i < c->n_acks; i++)
		GUARD(rbuf_get_u32(r, &c->acks[i]));
	/* The peer's session id is echoed only when something is acknowledged. */
	if (c->n_acks > 0)
		GUARD(rbuf_get_u64(r, &c->remote_sid));
	return E_OK;
}

RESULT ovpn_ctl_parse(const uint8_t *pkt, size_t len, struct ovpn_ctl *out)
{
	struct rbuf r, rest;
	uint8_t op;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, pkt, len);
	GUARD(rbuf_get_u8(&r, &op));
	ovpn_pkt_op_split(op, &out->opcode, &out->key_id);
	GUARD(ovpn_ctl_opcode_check(out->opcode));
	GUARD(rbuf_get_u64(&r, &out->sid));
	GUARD(ovpn_ctl_parse_acks(&r, out));
	if (out->opcode == OVPN_P_ACK_V1) {
		/* P_ACK_V1 has no message_packet_id and no payload. */
		return rbuf_expect_end(&r);
	}
	out->has_msg_id = true;
	GUARD(rbuf_get_u32(&r, &out->msg_id));
	rbuf_get_rest(&r, &rest);
	if (rbuf_remaining(&rest) > OVPN_CTL_PAYLOAD_MAX)
		return E_OVPN_SYNTAX;
	out->payload_len = rbuf_remaining(&rest);
	if (out->payload_len > 0)
		GUARD(rbuf_get_ptr(&rest, out->payload_len, &out->payload));
	return E_OK;
}

void ovpn_ctl_build(struct wbuf *w, const struct ovpn_ctl *c)
{
	wbuf_put_u8(w,
	            (uint8_t)(c->opcode << OVPN_P_OPCODE_SHIFT | (c->key_id & OVPN_P_KEY_ID_MASK)));
	wbuf_put_u64(w, c->sid);
	wbuf_put_u8(w, c->n_acks);
	for (unsigned i = 0; i < c->n_acks && i < OVPN_ACK_MAX; i++)
		wbuf_put_u32(w, c->acks[i]);
	if (c->n_acks > 0)
		wbuf_put_u64(w, c->remote_sid);
	if (c->opcode != OVPN_P_ACK_V1) {
		wbuf_put_u32(w, c->msg_id);
		if (c->payload_len > 0)
			wbuf_put_bytes(w, c->payload, c->payload_len);
	}
}

RESULT ovpn_data_hdr_parse(const uint8_t *pkt, size_t len, struct ovpn_data_hdr *out)
{
	struct rbuf r;
	uint8_t op;

	rbuf_init(&r, pkt, len);
	GUARD(rbuf_get_u8(&r, &op));
	ovpn_pkt_op_split(op, &out->opcode, &out->key_id);
	if (out->opcode == OVPN_P_DATA_V1) {
		out->peer_id = OVPN_PEER_ID_UNDEF;
	} else if (out->opcode == OVPN_P_DATA_V2) {
		GUARD(rbuf_get_u24(&r, &out->peer_id));
	} else {
		return E_OVPN_OPCODE;
	}
	out->hdr_len = rbuf_offset(&r);
	return E_OK;
}

RESULT ovpn_tcp_frame_next(struct rbuf *stream, struct rbuf *pkt)
{
	struct rbuf probe = *stream;
	uint16_t n;

	if (rbuf_get_u16(&probe, &n) != E_OK)
		return E_AGAIN;
	if (n == 0)
		return E_OVPN_SYNTAX;
	if (rbuf_get_sub(&probe, n, pkt) != E_OK)
		return E_AGAIN;
	*stream = probe;
	return E_OK;
}
