/*
 * ike_pld.c - the small IKEv2 payloads: KE, Nonce, ID, AUTH, Notify, Delete, Traffic Selector
 * (RFC 7296 3.4-3.13). Each decode reads one payload body (after the generic header).
 */
#include "ike/ike_wire.h"

#include <string.h>

/*
 * | Diffie-Hellman Group Num      |           RESERVED            |
 * ~                       Key Exchange Data                       ~
 *                  RFC 7296 3.4
 */
RESULT ike_ke_decode(struct rbuf *r, struct ike_payloads *p)
{
	uint16_t rsv;

	GUARD(rbuf_get_u16(r, &p->ke_group));
	GUARD(rbuf_get_u16(r, &rsv));
	p->ke_len = rbuf_remaining(r);
	if (p->ke_len == 0)
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_ptr(r, p->ke_len, &p->ke_data));
	p->have_ke = true;
	return E_OK;
}

void ike_ke_build(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_KE);

	wbuf_put_u16(b->w, group);
	wbuf_put_u16(b->w, 0);
	wbuf_put_bytes(b->w, data, len);
	ike_build_pl_end(b, pl);
}

/* RFC 7296 3.9: the nonce is 16 to 256 octets. */
RESULT ike_nonce_decode(struct rbuf *r, struct ike_payloads *p)
{
	p->nonce_len = rbuf_remaining(r);
	if (p->nonce_len < IKE_NONCE_MIN || p->nonce_len > IKE_NONCE_MAX)
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_ptr(r, p->nonce_len, &p->nonce));
	p->have_nonce = true;
	return E_OK;
}

void ike_nonce_build(struct ike_builder *b, const uint8_t *nonce, size_t len)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_NONCE);

	wbuf_put_bytes(b->w, nonce, len);
	ike_build_pl_end(b, pl);
}

/*
 * |   ID Type     |                 RESERVED                      |
 * ~                   Identification Data                         ~
 *                  RFC 7296 3.5
 */
RESULT ike_id_decode(struct rbuf *r, struct ike_id *id)
{
	uint8_t rsv[3];

	id->rest_len = rbuf_remaining(r);
	id->rest = rbuf_cur(r);
	GUARD(rbuf_get_u8(r, &id->type));
	GUARD(rbuf_get_bytes(r, rsv, sizeof(rsv)));
	id->len = rbuf_remaining(r);
	if (id->len == 0 || id->len > IKE_ID_MAX)
		return E_IKE_SYNTAX;
	if (id->type == IKEV2_ID_IPV4_ADDR && id->len != 4)
		return E_IKE_SYNTAX;
	if (id->type == IKEV2_ID_IPV6_ADDR && id->len != 16)
		return E_IKE_SYNTAX;
	return rbuf_get_ptr(r, id->len, &id->data);
}

void ike_id_build(struct ike_builder *b, uint8_t pl_type, uint8_t id_type, const uint8_t *data,
                  size_t len)
{
	size_t pl = ike_build_pl_begin(b, pl_type);

	wbuf_put_u8(b->w, id_type);
	wbuf_put_zero(b->w, 3);
	wbuf_put_bytes(b->w, data, len);
	ike_build_pl_end(b, pl);
}

/*
 * | Auth Method   |                RESERVED                       |
 * ~                      Authentication Data                      ~
 *                  RFC 7296 3.8
 */
RESULT ike_auth_decode(struct rbuf *r, struct ike_payloads *p)
{
	uint8_t rsv[3];

	GUARD(rbuf_get_u8(r, &p->auth_method));
	GUARD(rbuf_get_bytes(r, rsv, sizeof(rsv)));
	p->auth_len = rbuf_remaining(r);
	if (p->auth_len == 0)
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_ptr(r, p->auth_len, &p->auth_data));
	p->have_auth = true;
	return E_OK;
}

void ike_auth_build(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_AUTH);

	wbuf_put_u8(b->w, method);
	wbuf_put_zero(b->w, 3);
	wbuf_put_bytes(b->w, data, len);
	ike_build_pl_end(b, pl);
}

/*
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * ~                Security Parameter Index (SPI)                 ~
 * ~                       Notification Data                       ~
 *                  RFC 7296 3.10
 */
RESULT ike_notify_decode(struct rbuf *r, struct ike_notify *n)
{
	GUARD(rbuf_get_u8(r, &n->proto));
	GUARD(rbuf_get_u8(r, &n->spi_len));
	GUARD(rbuf_get_u16(r, &n->type));
	GUARD(rbuf_get_ptr(r, n->spi_len, &n->spi));
	n->data_len = rbuf_remaining(r);
	return rbuf_get_ptr(r, n->data_len, &n->data);
}

void ike_notify_build(struct ike_builder *b, uint8_t proto, const uint8_t *spi, size_t spi_len,
                      uint16_t type, const uint8_t *data, size_t len)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_NOTIFY);

	wbuf_put_u8(b->w, proto);
	wbuf_put_u8(b->w, (uint8_t)spi_len);
	wbuf_put_u16(b->w, type);
	wbuf_put_bytes(b->w, spi, spi_len);
	wbuf_put_bytes(b->w, data, len);
	ike_build_pl_end(b, pl);
}

/*
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * ~               Security Parameter Index(es) (SPI)              ~
 *                  RFC 7296 3.11
 */
RESULT ike_delete_decode(struct rbuf *r, struct ike_delete *d)
{
	uint16_t nspi;

	memset(d, 0, sizeof(*d));
	GUARD(rbuf_get_u8(r, &d->proto));
	GUARD(rbuf_get_u8(r, &d->spi_len));
	GUARD(rbuf_get_u16(r, &nspi));
	if (d->proto == IKEV2_PROTO_IKE) {
		/* RFC 7296 3.11: for the IKE SA, SPI size 0 and no SPIs */
		return (d->spi_len == 0 && nspi == 0) || d->spi_len == 8 ? E_OK : E_IKE_SYNTAX;
	}
	if ((d->proto != IKEV2_PROTO_ESP && d->proto != IKEV2_PROTO_AH) || d->spi_len != 4 ||
	    nspi > IKE_MAX_DELETE_SPIS)
		return E_IKE_SYNTAX;
	d->nspi = nspi;
	for (size_t i = 0; i < d->nspi; i++)
		GUARD(rbuf_get_u32(r, &d->esp_spi[i]));
	return rbuf_expect_end(r);
}

void ike_delete_build(struct ike_builder *b, uint8_t proto, const uint32_t *spis, size_t n)
{
	size_t pl = ike_build_pl_begin(b, IKEV2_PL_DELETE);

	wbuf_put_u8(b->w, proto);
	wbuf_put_u8(b->w, proto == IKEV2_PROTO_IKE ? 0 : 4);
	wbuf_put_u16(b->w, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		wbuf_put_u32(b->w, spis[i]);
	ike_build_pl_end(b, pl);
}

/*
 * | Number of TSs |                 RESERVED                      |
 * ~                       <Traffic Selectors>                     ~
 *
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * |           Start Port*         |           End Port*           |
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 *                  RFC 7296 3.13, 3.13.1
 * Selectors of other types (IPv6) are skipped: tunnels here are IPv4 inside.
 */
RESULT ike_ts_decode(struct rbuf *r, struct ike_ts_payload *ts)
{
	uint8_t count, rsv[3];

	memset(ts, 0, sizeof(*ts));
	GUARD(rbuf_get_u8(r, &count));
	GUARD(rbuf_get_bytes(r, rsv, sizeof(rsv)));
	if (count == 0)
		return E_IKE_SYNTAX;
	for (unsigned i = 0; i < count; i++) {
		struct ike_ts t;
		uint16_t len;
		struct rbuf body;

		GUARD(rbuf_get_u8(r, &t.type));
		GUARD(rbuf_get_u8(r, &t.proto));
		GUARD(rbuf_get_u16(r, &len));
		if (len < 8)
			return E_IKE_SYNTAX;
		GUARD(rbuf_get_sub(r, len - 4, &body));
		if (t.type != IKEV2_TS_IPV4_ADDR_RANGE)
			continue;
		GUARD(rbuf_get_u16(&body, &t.start_port));
		GUARD(rbuf_get_u16(&body, &t.end_port));
		GUARD(rbuf_get_u32(&body, &t.start_v4));
		GUARD(rbuf_get_u32(&body, &t.end_v4));
		GUARD(rbuf_expect_end(&body));
		if (ts->n < IKE_MAX_TS)
			ts->ts[ts->n++] = t;
	}
	return rbuf_expect_end(r);
}

void ike_ts_build(struct ike_builder *b, uint8_t pl_type, const struct ike_ts_payload *ts)
{
	size_t pl = ike_build_pl_begin(b, pl_type);

	wbuf_put_u8(b->w, (uint8_t)ts->n);
	wbuf_put_zero(b->w, 3);
	for (size_t i = 0; i < ts->n; i++) {
		wbuf_put_u8(b->w, IKEV2_TS_IPV4_ADDR_RANGE);
		wbuf_put_u8(b->w, ts->ts[i].proto);
		wbuf_put_u16(b->w, 16);
		wbuf_put_u16(b->w, ts->ts[i].start_port);
		wbuf_put_u16(b->w, ts->ts[i].end_port);
		wbuf_put_u32(b->w, ts->ts[i].start_v4);
		wbuf_put_u32(b->w, ts->ts[i].end_v4);
	}
	ike_build_pl_end(b, pl);
}
