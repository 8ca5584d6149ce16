/*
 * integ.c - integrity algorithms: HMAC truncated to the ICV length (RFC 2404 for SHA-1-96,
 * RFC 4868 2.1.1 for SHA-256-128/384-192/512-256), and SHA-1 for NAT detection.
 *
 * Stateless: any thread may call these at any time. The packet path uses the keyed contexts of
 * aead.c instead of crypto_integ.
 */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/evp.h>

#include "crypto/hmac.h"
#include "crypto/integ_algs.h"
#include "crypto/ossl.h"
#include "lib/secret.h"

/* RFC 7296 3.3.2 transform type 3 */
static const struct crypto_integ_alg integ_algs[] = {
    {CRYPTO_INTEG_HMAC_SHA1_96, "SHA1", 20, 12, 20},
    {CRYPTO_INTEG_HMAC_SHA2_256_128, "SHA256", 32, 16, 32},
    {CRYPTO_INTEG_HMAC_SHA2_384_192, "SHA384", 48, 24, 48},
    {CRYPTO_INTEG_HMAC_SHA2_512_256, "SHA512", 64, 32, 64},
};

const struct crypto_integ_alg *crypto_integ_alg_find(uint16_t integ)
{
	for (size_t i = 0; i < sizeof(integ_algs) / sizeof(integ_algs[0]); i++)
		if (integ_algs[i].id == integ)
			return &integ_algs[i];
	return NULL;
}

bool crypto_integ_supported(uint16_t integ)
{
	return crypto_integ_alg_find(integ) != NULL;
}

size_t crypto_integ_key_len(uint16_t integ)
{
	const struct crypto_integ_alg *a = crypto_integ_alg_find(integ);

	return a ? a->key_len : 0;
}

size_t crypto_integ_icv_len(uint16_t integ)
{
	const struct crypto_integ_alg *a = crypto_integ_alg_find(integ);

	return a ? a->icv_len : 0;
}

RESULT crypto_integ(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data,
		    size_t data_len, uint8_t *icv)
{
	const struct crypto_integ_alg *a = crypto_integ_alg_find(integ);
	uint8_t full[CRYPTO_MAX_PRF_LEN];
	result_t rc;

	if (!a)
		return E_UNSUPPORTED;
	/* RFC 2404 2 and RFC 4868 2.1.1 fix the negotiated key length (crypto_integ_key_len);
	 * HMAC itself takes any length, which the RFC 2202 vectors exercise */
	if ((!key && key_len) || (!data && data_len) || !icv)
		return E_INVAL;
	rc = crypto_hmac2(a->digest, key, key_len, data, data_len, NULL, 0, full, a->mac_len);
	if (rc == E_OK)
		memcpy(icv, full, a->icv_len); /* truncation keeps the leftmost bits */
	secret_wipe(full, sizeof(full));
	return crypto_ossl_done(rc, "integrity");
}

RESULT crypto_sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
	unsigned int n = 0;

	if ((!data && len) || !out)
		return E_INVAL;
	if (!EVP_Digest(len ? data : (const uint8_t *)"", len, out, &n, EVP_sha1(), NULL) ||
	    n != 20)
		return crypto_ossl_done(E_CRYPTO, "SHA-1");
	return E_OK;
}
