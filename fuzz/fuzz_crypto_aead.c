/*
 * fuzz_crypto_aead.c - received packets into crypto_aead_open (ESP / IKE SK receive path).
 * Input: one octet choosing the suite and the AAD length (low nibble), then AAD, IV,
 * ciphertext and ICV (the last icv_len octets). Forged input must give E_CRYPTO_AUTH (or
 * E_INVAL for a CBC length that is not whole blocks) with the buffer unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static const struct {
	uint16_t encr;
	unsigned bits;
	uint16_t integ;
} fuzz_suites[] = {
    {CRYPTO_ENCR_AES_GCM_16, 128, CRYPTO_INTEG_NONE},
    {CRYPTO_ENCR_AES_GCM_16, 256, CRYPTO_INTEG_NONE},
    {CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96},
    {CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_256_128},
};
#define FUZZ_NSUITES (sizeof(fuzz_suites) / sizeof(fuzz_suites[0]))

static struct crypto_aead *fuzz_aead[FUZZ_NSUITES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[64] = {0x6b, 0x65, 0x79};
	static uint8_t buf[65536], copy[65536];
	size_t s, aad_len, iv_len, icv_len, ct_len;
	result_t rc;

	if (size < 1)
		return 0;
	s = (data[0] >> 4) % FUZZ_NSUITES;
	aad_len = data[0] & 0x0f;
	if (!fuzz_aead[s] &&
	    crypto_aead_new(fuzz_suites[s].encr, fuzz_suites[s].bits, fuzz_suites[s].integ, key,
			    crypto_encr_keymat_len(fuzz_suites[s].encr, fuzz_suites[s].bits), key,
			    crypto_integ_key_len(fuzz_suites[s].integ), &fuzz_aead[s]) != E_OK)
		abort();
	iv_len = crypto_aead_iv_len(fuzz_aead[s]);
	icv_len = crypto_aead_icv_len(fuzz_aead[s]);
	if (size - 1 < aad_len + iv_len + icv_len ||
	    size - 1 - aad_len - iv_len - icv_len > sizeof(buf))
		return 0;
	ct_len = size - 1 - aad_len - iv_len - icv_len;
	memcpy(buf, data + 1 + aad_len + iv_len, ct_len);
	memcpy(copy, buf, ct_len);
	rc = crypto_aead_open(fuzz_aead[s], data + 1, aad_len, data + 1 + aad_len, buf, ct_len,
			      data + size - icv_len);
	if (rc != E_OK && rc != E_CRYPTO_AUTH && rc != E_INVAL)
		abort();
	if (rc != E_OK && memcmp(buf, copy, ct_len) != 0)
		abort(); /* a failed open must leave the buffer as it was */
	return 0;
}
