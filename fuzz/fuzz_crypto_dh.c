/*
 * fuzz_crypto_dh.c - peer KE data into crypto_dh_shared (RFC 6989 validation).
 * Input: one octet choosing the group (index into the supported list), then the peer's KE
 * data. Any input must give E_OK or E_CRYPTO_DH, never a crash or another error.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/crypto.h"

static const uint16_t fuzz_groups[] = {2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
#define FUZZ_NGROUPS (sizeof(fuzz_groups) / sizeof(fuzz_groups[0]))

/* One fixed key per group, created on first use and kept (reachable, not leaked). */
static struct crypto_dh *fuzz_keys[FUZZ_NGROUPS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[20] = {0x5e, 0xed, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	uint8_t out[CRYPTO_MAX_DH_SHARED_LEN];
	size_t len, i;
	result_t rc;

	if (size < 1)
		return 0;
	i = data[0] % FUZZ_NGROUPS;
	if (!fuzz_keys[i] &&
	    crypto_dh_new_private(fuzz_groups[i], priv, sizeof(priv), &fuzz_keys[i]) != E_OK)
		abort();
	rc = crypto_dh_shared(fuzz_keys[i], data + 1, size - 1, out, sizeof(out), &len);
	if (rc != E_OK && rc != E_CRYPTO_DH)
		abort();
	if (rc == E_OK && len != (fuzz_groups[i] >= 19 && fuzz_groups[i] <= 21
				      ? crypto_dh_pub_len(fuzz_groups[i]) / 2
				      : crypto_dh_pub_len(fuzz_groups[i])))
		abort();
	return 0;
}
