/*
 * integ_algs.h - the integrity algorithm table (internal to src/crypto). Constant data.
 */
#ifndef GH_CRYPTO_INTEG_ALGS_H
#define GH_CRYPTO_INTEG_ALGS_H

#include <stddef.h>
#include <stdint.h>

struct crypto_integ_alg {
	uint16_t id;
	const char *digest; /* OpenSSL digest name */
	size_t key_len;
	size_t icv_len;
	size_t mac_len; /* untruncated HMAC output */
};

/* NULL when unsupported. */
const struct crypto_integ_alg *crypto_integ_alg_find(uint16_t integ);

#endif
