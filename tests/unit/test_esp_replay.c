/* test_esp_replay.c - the RFC 4303 3.4.3 anti-replay window (RFC 6479 ring) for the AWS window
 * sizes 64, 1024 and 2048 (and an odd size), edge by edge and against a naive model. */
#include "test.h"

#include "esp/esp.h"

static const uint32_t windows[] = {64, 1024, 2048, 100};

/* check + update as decapsulation does (update only after an accepted check) */
static result_t replay_accept(struct esp_replay *r, uint32_t seq)
{
	result_t rc = esp_replay_check(r, seq);

	if (rc == E_OK)
		esp_replay_update(r, seq);
	return rc;
}

TEST(replay_init_bounds)
{
	struct esp_replay r;

	CHECK_ERR(esp_replay_init(&r, 63), E_INVAL);
	CHECK_ERR(esp_replay_init(&r, 2049), E_INVAL);
	CHECK_OK(esp_replay_init(&r, 64));
	CHECK_OK(esp_replay_init(&r, 2048));
	CHECK((r.mask + 1) * 64 > 2048);
}

TEST(replay_edges_each_window)
{
	for (size_t k = 0; k < sizeof(windows) / sizeof(windows[0]) && !test_failed_flag; k++) {
		uint32_t w = windows[k];
		struct esp_replay r;

		CHECK_OK(esp_replay_init(&r, w));
		/* sequence number 0 is never valid */
		CHECK_ERR(replay_accept(&r, 0), E_ESP_REPLAY);
		CHECK_OK(replay_accept(&r, 1));
		CHECK_ERR(replay_accept(&r, 1), E_ESP_REPLAY); /* duplicate */
		/* out of order inside the window */
		CHECK_OK(replay_accept(&r, 5));
		CHECK_OK(replay_accept(&r, 3));
		CHECK_ERR(replay_accept(&r, 3), E_ESP_REPLAY);
		CHECK_OK(replay_accept(&r, 2));
		/* far ahead jump: everything below top - w + 1 becomes too old */
		CHECK_OK(replay_accept(&r, 10 * w + 7));
		CHECK_ERR(replay_accept(&r, 10 * w + 7), E_ESP_REPLAY);
		CHECK_ERR(replay_accept(&r, 10 * w + 7 - w), E_ESP_REPLAY);     /* just left of window */
		CHECK_OK(replay_accept(&r, 10 * w + 7 - w + 1));                /* oldest slot inside */
		CHECK_ERR(replay_accept(&r, 10 * w + 7 - w + 1), E_ESP_REPLAY); /* ... once */
		CHECK_ERR(replay_accept(&r, 5), E_ESP_REPLAY);                  /* long gone */
		/* window slide by one: the oldest slot falls out */
		CHECK_OK(replay_accept(&r, 10 * w + 8));
		CHECK_ERR(replay_accept(&r, 10 * w + 8 - w), E_ESP_REPLAY);
		CHECK_OK(replay_accept(&r, 10 * w + 8 - w + 1));
		/* a slide by exactly one ring word keeps the bits still inside the window */
		CHECK_OK(replay_accept(&r, 10 * w + 8 + 64));
		CHECK_ERR(replay_accept(&r, 10 * w + 8), E_ESP_REPLAY);
		/* at the top of the sequence space */
		CHECK_OK(replay_accept(&r, 0xffffffffu));
		CHECK_ERR(replay_accept(&r, 0xffffffffu), E_ESP_REPLAY);
		CHECK_OK(replay_accept(&r, 0xffffffffu - w + 1));
		CHECK_ERR(replay_accept(&r, 0xffffffffu - w), E_ESP_REPLAY);
	}
}

/* A packet that is checked but never authenticated (no update) leaves no trace. */
TEST(replay_check_without_update_leaves_window)
{
	struct esp_replay r;

	CHECK_OK(esp_replay_init(&r, 1024));
	CHECK_OK(esp_replay_check(&r, 100000));
	CHECK_OK(replay_accept(&r, 1));
	CHECK_OK(replay_accept(&r, 2));
	CHECK_EQ(r.top, 2);
}

/* --- against a naive model: a bitmap of every sequence number seen ------------------------ */

#define NAIVE_SPACE 4000000
static uint8_t seen[NAIVE_SPACE];

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

TEST(replay_random_vs_naive)
{
	for (size_t k = 0; k < sizeof(windows) / sizeof(windows[0]) && !test_failed_flag; k++) {
		uint32_t w = windows[k], top = 0;
		struct esp_replay r;
		unsigned bad = 0, accepted = 0;

		memset(seen, 0, sizeof(seen));
		CHECK_OK(esp_replay_init(&r, w));
		for (unsigned i = 0; i < 300000; i++) {
			/* mostly near the top, sometimes far behind or jumping ahead */
			uint32_t d = rnd() % (3 * w), seq;
			unsigned mode = rnd() % 16;

			if (mode == 0)
				seq = top + 1 + rnd() % (rnd() % 64 ? w / 2 : 3 * w);
			else if (top > d)
				seq = top - d + (mode < 8 ? 1 : 0);
			else
				seq = 1 + rnd() % (w + 1);
			if (seq >= NAIVE_SPACE)
				break;
			bool want = seq != 0 && !seen[seq] && (seq > top || top - seq < w);
			bool got = replay_accept(&r, seq) == E_OK;

			bad += want != got;
			if (want) {
				seen[seq] = 1;
				accepted++;
				if (seq > top)
					top = seq;
			}
		}
		CHECK_EQ(bad, 0);
		CHECK(accepted > 1000);
	}
}
