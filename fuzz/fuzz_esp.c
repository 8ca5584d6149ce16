/*
 * fuzz_esp - ESP decapsulation with fixed SAs (robustness.md 3.5): the first input byte picks
 * the SA (AES128-GCM-16 or AES128-CBC + HMAC-SHA1-96, tunnel mode, window 64), the rest is the
 * packet as received (SPI | Seq | IV | ciphertext | ICV). Each input gets fresh SAs so runs
 * are reproducible. The corpus holds packets that decrypt with these keys, so mutations start
 * from authentic framing; the trailer checks are also driven directly on the raw bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "esp/esp.h"
#include "esp/esp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SPI 0x0000c001u

static void fuzz_params(struct esp_sa_params *p, int cbc)
{
	memset(p, 0, sizeof(*p));
	p->spi = FUZZ_SPI;
	p->dir = ESP_DIR_IN;
	p->mode = ESP_MODE_TUNNEL;
	p->replay_window = 64;
	p->key_bits = 128;
	if (cbc) {
		p->encr = CRYPTO_ENCR_AES_CBC;
		p->integ = CRYPTO_INTEG_HMAC_SHA1_96;
		p->encr_key_len = 16;
		p->integ_key_len = 20;
	} else {
		p->encr = CRYPTO_ENCR_AES_GCM_16;
		p->integ = CRYPTO_INTEG_NONE;
		p->encr_key_len = 20;
	}
	for (size_t i = 0; i < p->encr_key_len; i++)
		p->encr_key[i] = (uint8_t)(0x11 * (i + 1));
	for (size_t i = 0; i < p->integ_key_len; i++)
		p->integ_key[i] = (uint8_t)(0x22 + i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	struct esp_sa_params p;
	struct esp_sa *sa = NULL;
	struct esp_in in;
	size_t inner;
	uint8_t nh;

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	fuzz_params(&p, data[0] & 1);
	if (esp_sa_new(&p, &sa) != E_OK)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (esp_decapsulate(sa, buf, size - 1, 1, &in) == E_OK) {
		/* the inner packet lies inside the input */
		if (in.off + in.len > size - 1)
			__builtin_trap();
		/* a second delivery is a replay */
		memcpy(buf, data + 1, size - 1);
		if (esp_decapsulate(sa, buf, size - 1, 2, &in) != E_ESP_REPLAY)
			__builtin_trap();
	}
	if (esp_trailer_parse(data + 1, size - 1, (data[0] & 2) ? ESP_MODE_TRANSPORT
							     : ESP_MODE_TUNNEL,
			      &inner, &nh) == E_OK &&
	    inner + 2 > size - 1)
		__builtin_trap();
	esp_sa_free(sa);
	return 0;
}
