/*
 * ike_sk.c - the Encrypted and Authenticated payload (RFC 7296 3.14; AES-GCM per RFC 5282).
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The associated data (GCM AAD, CBC MAC prefix) is the message from the IKE header up to the
 * IV: RFC 5282 5.1 and RFC 7296 3.14. Because the SK payload is always last, that prefix is
 * the message length minus the SK body length; no offsets into the packet are needed.
 */
#include "ike/ike_sk.h"

#include <string.h>

#include "lib/secret.h"

RESULT ike_sk_open(struct crypto_aead *a, const uint8_t *msg, size_t msg_len,
                   const struct ike_chain *c, uint8_t *plain, size_t cap, struct rbuf *inner)
{
	struct rbuf body = c->sk_body, pr, padded;
	size_t iv_len = crypto_aead_iv_len(a), icv_len = crypto_aead_icv_len(a);
	size_t body_len = rbuf_remaining(&body), ct_len, aad_len;
	const uint8_t *iv, *ct, *icv;
	uint8_t pad;

	if (!c->has_sk || body_len < iv_len + icv_len + 1 || body_len > msg_len)
		return E_IKE_SYNTAX;
	aad_len = msg_len - body_len;
	ct_len = body_len - iv_len - icv_len;
	/* CBC needs whole blocks; GCM is a stream mode and peers (strongSwan) do not align the
	 * IKE plaintext to 4 octets, so only the ESP builder pads to crypto_aead_block_len. */
	if ((crypto_aead_iv_len(a) == 16 && ct_len % 16 != 0) || ct_len > cap)
		return E_IKE_SYNTAX;
	GUARD(rbuf_get_ptr(&body, iv_len, &iv));
	GUARD(rbuf_get_ptr(&body, ct_len, &ct));
	GUARD(rbuf_get_ptr(&body, icv_len, &icv));
	memcpy(plain, ct, ct_len);
	GUARD(crypto_aead_open(a, msg, aad_len, iv, plain, ct_len, icv));
	rbuf_init(&pr, plain, ct_len);
	GUARD(rbuf_get_sub(&pr, ct_len - 1, &padded));
	GUARD(rbuf_get_u8(&pr, &pad));
	if (pad > ct_len - 1)
		return E_IKE_SYNTAX;
	return rbuf_get_sub(&padded, ct_len - 1 - pad, inner);
}

void ike_inner_begin(struct ike_builder *b, struct wbuf *w)
{
	b->w = w;
	b->next_off = wbuf_reserve(w, 1);
	wbuf_fill_u8(w, b->next_off, IKEV2_PL_NONE);
	b->len_off = 0;
}

RESULT ike_sk_seal(struct crypto_aead *a, const struct ike_hdr *h, struct wbuf *inner,
                   struct wbuf *out)
{
	struct ike_builder b;
	size_t iv_len = crypto_aead_iv_len(a), icv_len = crypto_aead_icv_len(a);
	size_t blk = crypto_aead_block_len(a), pl_len, ct_len, pl_off, iv_off, ct_off, icv_off;
	uint8_t first;

	GUARD(wbuf_result(inner));
	if (inner->len < 1)
		return E_INVAL;
	first = inner->data[0];
	pl_len = inner->len - 1;
	ct_len = (pl_len + 1 + blk - 1) / blk * blk;
	ike_build_hdr(&b, out, h);
	pl_off = ike_build_pl_begin(&b, IKEV2_PL_SK);
	wbuf_fill_u8(out, b.next_off, first);
	iv_off = out->len;
	wbuf_put_zero(out, iv_len);
	ct_off = out->len;
	wbuf_put_bytes(out, inner->data + 1, pl_len);
	wbuf_put_zero(out, ct_len - pl_len - 1);
	wbuf_put_u8(out, (uint8_t)(ct_len - pl_len - 1));
	icv_off = out->len;
	wbuf_put_zero(out, icv_len);
	ike_build_pl_end(&b, pl_off);
	GUARD(ike_build_finish(&b));
	/* RFC 7296 3.14: the IV MUST be unpredictable (CBC); for GCM it MUST NOT repeat under one
	 * key (RFC 5282 3.1): 64 random bits per message, far from a birthday bound for IKE. */
	GUARD(secret_random(out->data + iv_off, iv_len));
	return crypto_aead_seal(a, out->data, iv_off, out->data + iv_off, out->data + ct_off,
	                        ct_len, out->data + icv_off);
}
