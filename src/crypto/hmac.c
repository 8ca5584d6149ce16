/*
 * hmac.c - keyed HMAC contexts over OpenSSL 3 EVP_MAC (RFC 2104).
 */
#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

EVP_MAC_CTX *crypto_hmac_ctx_new(const char *digest, const uint8_t *key, size_t key_len)
{
	static const uint8_t empty_key[1];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* a NULL key would mean "keep the previous key": give an empty one explicitly */
	if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

RESULT crypto_hmac2(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *a,
		    size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out, size_t out_len)
{
	EVP_MAC_CTX *ctx = crypto_hmac_ctx_new(digest, key, key_len);
	size_t n = 0;
	result_t rc = E_CRYPTO;

	if (!ctx)
		return E_CRYPTO;
	if ((a_len && !EVP_MAC_update(ctx, a, a_len)) || (b_len && !EVP_MAC_update(ctx, b, b_len)))
		goto out;
	if (!EVP_MAC_final(ctx, out, &n, out_len) || n != out_len)
		goto out;
	rc = E_OK;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}
