#include "secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

bool secret_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

RESULT secret_random(void *out, size_t n)
{
	if (n == 0)
		return E_OK;
	if (n > (size_t)0x7fffffff || RAND_bytes(out, (int)n) != 1)
		return E_CRYPTO;
	return E_OK;
}

RESULT secret_random_below(uint32_t bound, uint32_t *out)
{
	uint32_t v, limit;

	if (bound == 0)
		return E_INVAL;
	/* Reject the top partial range so every value is equally likely. */
	limit = UINT32_MAX - (UINT32_MAX % bound);
	do {
		GUARD(secret_random(&v, sizeof(v)));
	} while (v >= limit);
	*out = v % bound;
	return E_OK;
}

void hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

RESULT hex_decode(const char *in, void *out, size_t cap, size_t *n)
{
	size_t len = strlen(in);
	uint8_t *o = out;

	if (len % 2)
		return E_PARSE;
	if (len / 2 > cap)
		return E_OVERFLOW;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_digit_value(in[2 * i]), lo = hex_digit_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return E_PARSE;
		o[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return E_OK;
}
