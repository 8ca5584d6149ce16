/*
 * prf.c - the IKEv2 pseudo-random functions and prf+ (RFC 7296 2.13), HMAC based
 * (RFC 2104 with SHA-1, RFC 4868 2.1 with SHA-2).
 *
 * Stateless: any thread may call these at any time.
 */
#include "crypto/crypto.h"

#include <string.h>

#include "crypto/hmac.h"
#include "crypto/ossl.h"
#include "lib/secret.h"

struct prf_alg {
	uint16_t id;
	const char *digest;
	size_t len;
};

/* RFC 7296 3.3.2 transform type 2 */
static const struct prf_alg prf_algs[] = {
    {CRYPTO_PRF_HMAC_SHA1, "SHA1", 20},
    {CRYPTO_PRF_HMAC_SHA2_256, "SHA256", 32},
    {CRYPTO_PRF_HMAC_SHA2_384, "SHA384", 48},
    {CRYPTO_PRF_HMAC_SHA2_512, "SHA512", 64},
};

static const struct prf_alg *prf_find(uint16_t prf)
{
	for (size_t i = 0; i < sizeof(prf_algs) / sizeof(prf_algs[0]); i++)
		if (prf_algs[i].id == prf)
			return &prf_algs[i];
	return NULL;
}

bool crypto_prf_supported(uint16_t prf)
{
	return prf_find(prf) != NULL;
}

size_t crypto_prf_len(uint16_t prf)
{
	const struct prf_alg *a = prf_find(prf);

	return a ? a->len : 0;
}

RESULT crypto_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data,
		  size_t data_len, uint8_t *out)
{
	const struct prf_alg *a = prf_find(prf);

	if (!a)
		return E_UNSUPPORTED;
	if (!out || (!key && key_len) || (!data && data_len))
		return E_INVAL;
	/* RFC 4868 2.1.2 / RFC 7296 2.13: HMAC takes keys of any length (hashed when longer
	 * than the block), so no key length is imposed here */
	return crypto_ossl_done(
	    crypto_hmac2(a->digest, key, key_len, data, data_len, NULL, 0, out, a->len), "prf");
}

/* Tn = prf(K, Tn-1 | S | n) with one keyed context re-initialised per block. */
static RESULT prf_plus_blocks(EVP_MAC_CTX *ctx, const struct prf_alg *a, const uint8_t *seed,
			      size_t seed_len, uint8_t *out, size_t out_len)
{
	uint8_t t[CRYPTO_MAX_PRF_LEN];
	size_t t_len = 0, done = 0, n;
	result_t rc = E_CRYPTO;

	for (unsigned i = 1; done < out_len; i++) {
		uint8_t counter = (uint8_t)i;

		if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
		    (t_len && !EVP_MAC_update(ctx, t, t_len)) ||
		    (seed_len && !EVP_MAC_update(ctx, seed, seed_len)) ||
		    !EVP_MAC_update(ctx, &counter, 1) || !EVP_MAC_final(ctx, t, &n, sizeof(t)) ||
		    n != a->len)
			goto out;
		t_len = n;
		n = out_len - done < t_len ? out_len - done : t_len;
		memcpy(out + done, t, n);
		done += n;
	}
	rc = E_OK;
out:
	secret_wipe(t, sizeof(t));
	if (rc != E_OK)
		secret_wipe(out, out_len);
	return rc;
}

RESULT crypto_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		       size_t seed_len, uint8_t *out, size_t out_len)
{
	const struct prf_alg *a = prf_find(prf);
	EVP_MAC_CTX *ctx;
	result_t rc;

	if (!a)
		return E_UNSUPPORTED;
	if ((!key && key_len) || (!seed && seed_len) || (!out && out_len))
		return E_INVAL;
	/* RFC 7296 2.13: the counter is one octet, so at most 255 blocks */
	if (out_len > 255 * a->len)
		return E_INVAL;
	if (out_len == 0)
		return E_OK;
	ctx = crypto_hmac_ctx_new(a->digest, key, key_len);
	if (!ctx)
		return crypto_ossl_done(E_CRYPTO, "prf+");
	rc = prf_plus_blocks(ctx, a, seed, seed_len, out, out_len);
	EVP_MAC_CTX_free(ctx);
	return crypto_ossl_done(rc, "prf+");
}
