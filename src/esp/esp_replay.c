/*
 * esp_replay.c - RFC 4303 3.4.3 anti-replay window as a ring of 64-bit words (RFC 6479).
 *
 * The ring holds `mask + 1` words; bit (seq & 63) of word ((seq >> 6) & mask) records seq.
 * One spare word beyond the window lets the top advance a word at a time without clearing
 * bits still inside the window. Sliding forward clears the words the top moves over.
 */
#include <string.h>

#include "esp/esp.h"

RESULT esp_replay_init(struct esp_replay *r, uint32_t window)
{
	uint32_t words = 1;

	if (window < ESP_REPLAY_WINDOW_MIN || window > ESP_REPLAY_WINDOW_MAX)
		return E_INVAL;
	/* ceil(window / 64) + 1 words, rounded up to a power of two for the mask */
	while (words < (window + 63) / 64 + 1)
		words <<= 1;
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->mask = words - 1;
	return E_OK;
}

RESULT esp_replay_check(const struct esp_replay *r, uint32_t seq)
{
	uint64_t s = seq;

	/* RFC 4303 3.3.3: the first packet has sequence number 1; 0 is never sent */
	if (s == 0)
		return E_ESP_REPLAY;
	if (s > r->top)
		return E_OK;
	/* RFC 4303 3.4.3: "Duplicates are rejected ... packets that fall to the left of the
	 * window are rejected" */
	if (r->top - s >= r->window)
		return E_ESP_REPLAY;
	if (r->bits[(s >> 6) & r->mask] & (1ull << (s & 63)))
		return E_ESP_REPLAY;
	return E_OK;
}

void esp_replay_update(struct esp_replay *r, uint32_t seq)
{
	uint64_t s = seq;

	if (s > r->top) {
		uint64_t from = r->top >> 6, to = s >> 6;
		uint64_t n = to - from;

		if (n > (uint64_t)r->mask + 1)
			n = (uint64_t)r->mask + 1;
		for (uint64_t i = 1; i <= n; i++)
			r->bits[(from + i) & r->mask] = 0;
		r->top = s;
	}
	r->bits[(s >> 6) & r->mask] |= 1ull << (s & 63);
}
