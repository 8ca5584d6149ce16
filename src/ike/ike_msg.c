/*
 * ike_msg.c - the IKEv2 header and the generic payload chain (RFC 7296 3.1, 3.2): framing,
 * decoding dispatch, and the chain builder.
 */
#include "ike/ike_wire.h"

#include <string.h>

/* RFC 7296 3.1: header; see the diagram in ike_wire.h. */
RESULT ike_hdr_parse(struct rbuf *r, struct ike_hdr *h)
{
	GUARD(rbuf_get_u64(r, &h->spi_i));
	GUARD(rbuf_get_u64(r, &h->spi_r));
	GUARD(rbuf_get_u8(r, &h->next));
	GUARD(rbuf_get_u8(r, &h->version));
	GUARD(rbuf_get_u8(r, &h->exchange));
	GUARD(rbuf_get_u8(r, &h->flags));
	GUARD(rbuf_get_u32(r, &h->msg_id));
	GUARD(rbuf_get_u32(r, &h->length));
	/* RFC 7296 3.1: a major version we do not know means INVALID_MAJOR_VERSION */
	if ((h->version >> 4) != 2)
		return E_IKE_VERSION;
	return E_OK;
}

static bool ike_payload_known(uint8_t type)
{
	return (type >= IKEV2_PL_SA && type <= IKEV2_PL_EAP) || type == IKEV2_PL_SKF;
}

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 3.2 generic payload header
 */
RESULT ike_chain_frame(struct rbuf *r, uint8_t first, struct ike_chain *c)
{
	uint8_t type = first;

	memset(c, 0, sizeof(*c));
	while (type != IKEV2_PL_NONE) {
		uint8_t next, flags;
		uint16_t len;
		struct rbuf body;

		GUARD(rbuf_get_u8(r, &next));
		GUARD(rbuf_get_u8(r, &flags));
		GUARD(rbuf_get_u16(r, &len));
		if (len < IKEV2_GENERIC_HDR_LEN)
			return E_IKE_SYNTAX;
		if (rbuf_get_sub(r, len - IKEV2_GENERIC_HDR_LEN, &body) != E_OK)
			return E_IKE_SYNTAX;
		if (type == IKEV2_PL_SK) {
			/* RFC 7296 3.14: the SK payload MUST be the last payload */
			if (rbuf_remaining(r) != 0)
				return E_IKE_SYNTAX;
			c->has_sk = true;
			c->sk_first = next;
			c->sk_body = body;
			return E_OK;
		}
		if (!ike_payload_known(type)) {
			/* RFC 7296 2.5: skip unknown payloads unless critical */
			if ((flags & 0x80) && c->unsupported_critical == 0)
				c->unsupported_critical = type;
		} else {
			if (c->n == IKE_MAX_PAYLOADS)
				return E_IKE_SYNTAX;
			c->pl[c->n++] = (struct ike_raw_payload){type, (flags & 0x80) != 0, body};
		}
		type = next;
	}
	if (rbuf_expect_end(r) != E_OK)
		return E_IKE_SYNTAX;
	return c->unsupported_critical ? E_IKE_CRITICAL : E_OK;
}

RESULT ike_msg_frame(const uint8_t *data, size_t len, struct ike_hdr *h, struct ike_chain *c)
{
	struct rbuf r;

	rbuf_init(&r, data, len);
	if (len < IKEV2_HDR_LEN)
		return E_IKE_SYNTAX;
	GUARD(ike_hdr_parse(&r, h));
	/* RFC 7296 3.1: Length is the whole message; a mismatch is a framing error */
	if (h->length != len)
		return E_IKE_SYNTAX;
	return ike_chain_frame(&r, h->next, c);
}

void ike_payloads_init(struct ike_payloads *p)
{
	memset(p, 0, sizeof(*p));
}

static RESULT ike_dec_sa(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_sa)
		return E_IKE_SYNTAX;
	p->have_sa = true;
	return ike_sa_decode(r, &p->sa);
}

static RESULT ike_dec_ke(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_ke)
		return E_IKE_SYNTAX;
	return ike_ke_decode(r, p);
}

static RESULT ike_dec_nonce(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_nonce)
		return E_IKE_SYNTAX;
	return ike_nonce_decode(r, p);
}

static RESULT ike_dec_idi(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_idi)
		return E_IKE_SYNTAX;
	p->have_idi = true;
	return ike_id_decode(r, &p->idi);
}

static RESULT ike_dec_idr(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_idr)
		return E_IKE_SYNTAX;
	p->have_idr = true;
	return ike_id_decode(r, &p->idr);
}

static RESULT ike_dec_auth(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_auth)
		return E_IKE_SYNTAX;
	return ike_auth_decode(r, p);
}

static RESULT ike_dec_notify(struct rbuf *r, struct ike_payloads *p)
{
	struct ike_notify n;

	GUARD(ike_notify_decode(r, &n));
	/* Beyond our table we keep the first ones: errors and NAT-D come early in practice. */
	if (p->nnotify < IKE_MAX_NOTIFIES)
		p->notify[p->nnotify++] = n;
	return E_OK;
}

static RESULT ike_dec_delete(struct rbuf *r, struct ike_payloads *p)
{
	if (p->ndelete == IKE_MAX_DELETES)
		return E_IKE_SYNTAX;
	return ike_delete_decode(r, &p->del[p->ndelete++]);
}

static RESULT ike_dec_tsi(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_tsi)
		return E_IKE_SYNTAX;
	p->have_tsi = true;
	return ike_ts_decode(r, &p->tsi);
}

static RESULT ike_dec_tsr(struct rbuf *r, struct ike_payloads *p)
{
	if (p->have_tsr)
		return E_IKE_SYNTAX;
	p->have_tsr = true;
	return ike_ts_decode(r, &p->tsr);
}

static RESULT ike_dec_vendor(struct rbuf *r, struct ike_payloads *p)
{
	(void)r;
	p->nvendor++;
	return E_OK;
}

static const struct {
	uint8_t type;
	RESULT (*decode)(struct rbuf *r, struct ike_payloads *p);
} ike_decoders[] = {
    {IKEV2_PL_SA, ike_dec_sa},         {IKEV2_PL_KE, ike_dec_ke},
    {IKEV2_PL_NONCE, ike_dec_nonce},   {IKEV2_PL_IDI, ike_dec_idi},
    {IKEV2_PL_IDR, ike_dec_idr},       {IKEV2_PL_AUTH, ike_dec_auth},
    {IKEV2_PL_NOTIFY, ike_dec_notify}, {IKEV2_PL_DELETE, ike_dec_delete},
    {IKEV2_PL_TSI, ike_dec_tsi},       {IKEV2_PL_TSR, ike_dec_tsr},
    {IKEV2_PL_VENDOR, ike_dec_vendor},
};

/* Payloads we recognise but do not use (CERT, CERTREQ, CP, EAP, SKF) are skipped: with PSK
 * authentication they carry nothing we need (RFC 7296 3.6-3.7, 3.15). */
RESULT ike_chain_decode(const struct ike_chain *c, struct ike_payloads *p)
{
	for (size_t i = 0; i < c->n; i++) {
		struct rbuf body = c->pl[i].body;

		for (size_t k = 0; k < sizeof(ike_decoders) / sizeof(ike_decoders[0]); k++) {
			if (ike_decoders[k].type != c->pl[i].type)
				continue;
			if (ike_decoders[k].decode(&body, p) != E_OK)
				return E_IKE_SYNTAX;
			break;
		}
	}
	return E_OK;
}

const struct ike_notify *ike_payloads_notify(const struct ike_payloads *p, uint16_t type)
{
	for (size_t i = 0; i < p->nnotify; i++)
		if (p->notify[i].type == type)
			return &p->notify[i];
	return NULL;
}

const struct ike_notify *ike_payloads_error(const struct ike_payloads *p)
{
	for (size_t i = 0; i < p->nnotify; i++)
		if (p->notify[i].type != 0 && p->notify[i].type <= IKEV2_N_ERROR_MAX)
			return &p->notify[i];
	return NULL;
}

void ike_build_hdr(struct ike_builder *b, struct wbuf *w, const struct ike_hdr *h)
{
	b->w = w;
	wbuf_put_u64(w, h->spi_i);
	wbuf_put_u64(w, h->spi_r);
	b->next_off = wbuf_reserve(w, 1);
	wbuf_fill_u8(w, b->next_off, IKEV2_PL_NONE);
	wbuf_put_u8(w, IKEV2_VERSION);
	wbuf_put_u8(w, h->exchange);
	wbuf_put_u8(w, h->flags);
	wbuf_put_u32(w, h->msg_id);
	b->len_off = wbuf_reserve(w, 4);
}

size_t ike_build_pl_begin(struct ike_builder *b, uint8_t type)
{
	size_t len_off;

	wbuf_fill_u8(b->w, b->next_off, type);
	b->next_off = wbuf_reserve(b->w, 1);
	wbuf_fill_u8(b->w, b->next_off, IKEV2_PL_NONE);
	wbuf_put_u8(b->w, 0); /* C bit clear: we only send payloads every IKEv2 peer knows */
	len_off = wbuf_reserve(b->w, 2);
	return len_off;
}

void ike_build_pl_end(struct ike_builder *b, size_t len_off)
{
	/* the payload starts 2 bytes before its length field */
	size_t len = b->w->len - (len_off - 2);

	if (len > UINT16_MAX)
		b->w->err = E_OVERFLOW;
	wbuf_fill_u16(b->w, len_off, (uint16_t)len);
}

RESULT ike_build_finish(struct ike_builder *b)
{
	wbuf_fill_u32(b->w, b->len_off, (uint32_t)b->w->len);
	return wbuf_result(b->w);
}
