/*
 * esp_internal.h - pieces of esp.c exposed to its unit tests and fuzz target only.
 */
#ifndef GH_ESP_INTERNAL_H
#define GH_ESP_INTERNAL_H

#include "esp/esp.h"

/* esp_encapsulate with a given sequence number and IV (published vectors fix both). */
RESULT esp_seal(struct esp_sa *sa, uint32_t seq, const uint8_t *iv, uint8_t *buf, size_t cap,
		size_t inner_len, uint8_t next_header, struct esp_out *out);

/* RFC 4303 2.4-2.6: check the trailer of a decrypted payload (padding 1, 2, 3, ..., pad length,
 * next header) and return the inner length. E_ESP_PAD, E_ESP_NEXT_HEADER, E_ESP_DUMMY. */
RESULT esp_trailer_parse(const uint8_t *plain, size_t len, enum esp_mode mode, size_t *inner_len,
			 uint8_t *next_header);

#endif
