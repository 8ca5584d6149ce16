/*
 * ike_sk.h - SK payload protection (RFC 7296 3.14, RFC 5282). Internal to src/ike.
 */
#ifndef GH_IKE_SK_H
#define GH_IKE_SK_H

#include "crypto/crypto.h"
#include "ike/ike_wire.h"

/* Verify and decrypt the SK payload of a framed message (c from ike_msg_frame). The plaintext
 * goes to plain (cap bytes, at least the SK body length); inner reads the inner payloads,
 * whose first type is c->sk_first. E_CRYPTO_AUTH when the ICV does not verify, E_IKE_SYNTAX
 * for bad sizes or padding. */
RESULT ike_sk_open(struct crypto_aead *a, const uint8_t *msg, size_t msg_len,
                   const struct ike_chain *c, uint8_t *plain, size_t cap, struct rbuf *inner);

/* Start an inner payload chain in w: byte 0 records the first payload type. */
void ike_inner_begin(struct ike_builder *b, struct wbuf *w);

/* Write header h (next payload SK) and the SK payload protecting the inner chain to out. */
RESULT ike_sk_seal(struct crypto_aead *a, const struct ike_hdr *h, struct wbuf *inner,
                   struct wbuf *out);

#endif
