/*
 * ike_pld_sa.c - the Security Association payload: proposals, transforms, attributes
 * (RFC 7296 3.3).
 */
#include "ike/ike_wire.h"

#include <string.h>

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 3.3.5
 */
static RESULT ike_attr_decode(struct rbuf *r, struct ike_transform *t)
{
	uint16_t type, val;

	GUARD(rbuf_get_u16(r, &type));
	GUARD(rbuf_get_u16(r, &val));
	if (!(type & IKEV2_ATTR_TV))
		return rbuf_skip(r, val); /* TLV: no TLV attribute is defined for IKEv2 */
	if ((type & ~IKEV2_ATTR_TV) != IKEV2_ATTR_KEY_LENGTH)
		return E_IKE_SYNTAX;
	/* RFC 7296 3.3.5: only key lengths of the cipher's sizes make sense */
	if (val != 128 && val != 192 && val != 256)
		return E_IKE_SYNTAX;
	t->key_bits = val;
	return E_OK;
}

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 *                  RFC 7296 3.3.2
 */
static RESULT ike_transform_decode(struct rbuf *r, bool last_expected, struct ike_transform *t)
{
	uint8_t last, rsv;
	uint16_t len;
	struct rbuf body;

	memset(t, 0, sizeof(*t));
	GUARD(rbuf_get_u8(r, &last));
	GUARD(rbuf_get_u8(r, &rsv));
	GUARD(rbuf_get_u16(r, &len));
	if (len < 8 || last != (last_expected ? 0 : 3))
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_sub(r, len - 4, &body));
	GUARD(rbuf_get_u8(&body, &t->type));
	GUARD(rbuf_get_u8(&body, &rsv));
	GUARD(rbuf_get_u16(&body, &t->id));
	while (rbuf_remaining(&body) > 0)
		GUARD(ike_attr_decode(&body, t));
	return E_OK;
}

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * ~                        <Transforms>                           ~
 *                  RFC 7296 3.3.1
 */
static RESULT ike_proposal_decode(struct rbuf *r, uint8_t *last, struct ike_proposal *p)
{
	uint8_t rsv, ntrans;
	uint16_t len;
	struct rbuf body;

	GUARD(rbuf_get_u8(r, last));
	GUARD(rbuf_get_u8(r, &rsv));
	GUARD(rbuf_get_u16(r, &len));
	if (len < 8 || (*last != 0 && *last != 2))
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_sub(r, len - 4, &body));
	GUARD(rbuf_get_u8(&body, &p->num));
	GUARD(rbuf_get_u8(&body, &p->proto));
	GUARD(rbuf_get_u8(&body, &p->spi_len));
	GUARD(rbuf_get_u8(&body, &ntrans));
	/* RFC 7296 3.3.1: SPI size 0 (initial IKE), 8 (IKE rekey) or 4 (ESP/AH) */
	if (p->spi_len != 0 && p->spi_len != 4 && p->spi_len != 8)
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_bytes(&body, p->spi, p->spi_len));
	if (ntrans == 0 || ntrans > IKE_MAX_TRANSFORMS)
		return E_IKE_SYNTAX;
	p->ntrans = ntrans;
	for (size_t i = 0; i < p->ntrans; i++)
		GUARD(ike_transform_decode(&body, i + 1 == p->ntrans, &p->trans[i]));
	return rbuf_expect_end(&body);
}

RESULT ike_sa_decode(struct rbuf *r, struct ike_sa_payload *sa)
{
	uint8_t last = 2;

	memset(sa, 0, sizeof(*sa));
	while (last == 2) {
		if (sa->nprop == IKE_MAX_PROPOSALS)
			return E_IKE_SYNTAX;
		if (ike_proposal_decode(r, &last, &sa->prop[sa->nprop]) != E_OK)
			return E_IKE_SYNTAX;
		/* RFC 7296 3.3.1: the first proposal is 1, later ones the same or one more */
		if (sa->nprop == 0 ? sa->prop[0].num != 1
		                   : (sa->prop[sa->nprop].num != sa->prop[sa->nprop - 1].num &&
		                      sa->prop[sa->nprop].num != sa->prop[sa->nprop - 1].num + 1))
			return E_IKE_SYNTAX;
		sa->nprop++;
	}
	return rbuf_expect_end(r) == E_OK ? E_OK : E_IKE_SYNTAX;
}

static void ike_transform_build(struct wbuf *w, const struct ike_transform *t, bool last)
{
	size_t len_off;

	wbuf_put_u8(w, last ? 0 : 3);
	wbuf_put_u8(w, 0);
	len_off = wbuf_reserve(w, 2);
	wbuf_put_u8(w, t->type);
	wbuf_put_u8(w, 0);
	wbuf_put_u16(w, t->id);
	if (t->key_bits) {
		wbuf_put_u16(w, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH);
		wbuf_put_u16(w, t->key_bits);
	}
	wbuf_fill_u16(w, len_off, (uint16_t)(w->len - (len_off - 2)));
}

void ike_sa_build(struct ike_builder *b, const struct ike_sa_payload *sa)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_SA);
	struct wbuf *w = b->w;

	for (size_t i = 0; i < sa->nprop; i++) {
		const struct ike_proposal *p = &sa->prop[i];
		size_t len_off;

		wbuf_put_u8(w, i + 1 == sa->nprop ? 0 : 2);
		wbuf_put_u8(w, 0);
		len_off = wbuf_reserve(w, 2);
		wbuf_put_u8(w, p->num);
		wbuf_put_u8(w, p->proto);
		wbuf_put_u8(w, p->spi_len);
		wbuf_put_u8(w, (uint8_t)p->ntrans);
		wbuf_put_bytes(w, p->spi, p->spi_len);
		for (size_t k = 0; k < p->ntrans; k++)
			ike_transform_build(w, &p->trans[k], k + 1 == p->ntrans);
		wbuf_fill_u16(w, len_off, (uint16_t)(w->len - (len_off - 2)));
	}
	ike_build_pl_end(b, pl);
}
