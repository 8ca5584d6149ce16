/*
 * hmac.h - HMAC helpers shared by prf.c, integ.c and aead.c (internal to src/crypto).
 */
#ifndef GH_CRYPTO_HMAC_H
#define GH_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "lib/err.h"

/* An HMAC context keyed with key (key_len may be 0) for the named digest ("SHA1", "SHA256",
 * ...); NULL on failure. Re-run it with EVP_MAC_init(ctx, NULL, 0, NULL), which keeps the key.
 * Free with EVP_MAC_CTX_free (OpenSSL cleanses the key schedule). */
EVP_MAC_CTX *crypto_hmac_ctx_new(const char *digest, const uint8_t *key, size_t key_len);

/* HMAC(key, a || b) into out (the full digest, out_len bytes expected). */
RESULT crypto_hmac2(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *a,
		    size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out, size_t out_len);

#endif
