/* Unit tests for src/lib: buffers, errors, addresses, event loop, secrets. */
#include "test.h"

#include <signal.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/ev.h"
#include "lib/secret.h"

TEST(rbuf_reads_network_order)
{
	static const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	struct rbuf r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;
	uint64_t u64;

	rbuf_init(&r, d, sizeof(d));
	CHECK_OK(rbuf_get_u8(&r, &u8));
	CHECK_OK(rbuf_get_u16(&r, &u16));
	CHECK_OK(rbuf_get_u24(&r, &u24));
	CHECK_OK(rbuf_get_u32(&r, &u32));
	CHECK_EQ(u8, 1);
	CHECK_EQ(u16, 0x0203);
	CHECK_EQ(u24, 0x040506);
	CHECK_EQ(u32, 0x0708090a);
	CHECK_ERR(rbuf_get_u64(&r, &u64), E_TRUNCATED);
	CHECK_EQ(rbuf_remaining(&r), 5); /* a failed read does not advance */
	CHECK_ERR(rbuf_expect_end(&r), E_TRAILING);
	CHECK_OK(rbuf_skip(&r, 5));
	CHECK_OK(rbuf_expect_end(&r));
}

TEST(rbuf_sub_reader_is_bounded)
{
	static const uint8_t d[] = {0, 3, 'a', 'b', 'c', 'x'};
	struct rbuf r, sub;
	uint16_t len;
	uint8_t out[8];

	rbuf_init(&r, d, sizeof(d));
	CHECK_OK(rbuf_get_u16(&r, &len));
	CHECK_OK(rbuf_get_sub(&r, len, &sub));
	CHECK_ERR(rbuf_get_bytes(&sub, out, 4), E_TRUNCATED);
	CHECK_OK(rbuf_get_bytes(&sub, out, 3));
	CHECK_MEM(out, "abc", 3);
	CHECK_OK(rbuf_expect_end(&sub));
	CHECK_EQ(rbuf_remaining(&r), 1);
	CHECK_ERR(rbuf_get_sub(&r, 2, &sub), E_TRUNCATED);
	CHECK_ERR(rbuf_skip(&r, (size_t)-1), E_TRUNCATED);
}

TEST(wbuf_fixed_overflow_is_sticky)
{
	uint8_t store[4];
	struct wbuf w;

	wbuf_init(&w, store, sizeof(store));
	wbuf_put_u16(&w, 0xabcd);
	wbuf_put_u24(&w, 1); /* does not fit */
	wbuf_put_u8(&w, 7);  /* ignored after the error */
	CHECK_ERR(wbuf_result(&w), E_OVERFLOW);
	CHECK_EQ(w.len, 2);
	CHECK_EQ(store[0], 0xab);
}

TEST(wbuf_reserve_and_fill_length)
{
	struct wbuf w;
	size_t off;

	wbuf_init_dyn(&w, 0, 0);
	off = wbuf_reserve(&w, 2);
	wbuf_put_str(&w, "hello");
	wbuf_fill_u16(&w, off, (uint16_t)(w.len - off));
	CHECK_OK(wbuf_result(&w));
	CHECK_EQ(w.len, 7);
	CHECK_EQ(w.data[1], 7);
	wbuf_printf(&w, "-%d-%s", 42, "x");
	CHECK_STR(wbuf_cstr(&w) + 2, "hello-42-x");
	wbuf_free(&w);
}

TEST(wbuf_dynamic_respects_max)
{
	struct wbuf w;

	wbuf_init_dyn(&w, 8, 16);
	wbuf_put_zero(&w, 16);
	CHECK_OK(wbuf_result(&w));
	wbuf_put_u8(&w, 1);
	CHECK_ERR(wbuf_result(&w), E_OVERFLOW);
	wbuf_free(&w);
}

TEST(err_registry_names)
{
	CHECK_STR(err_name(E_TRUNCATED), "E_TRUNCATED");
	CHECK_STR(err_subsys(E_IKE_NO_PROPOSAL), "ike");
	CHECK_STR(err_name((result_t)100000), "E_UNKNOWN");
}

TEST(prefix_parse_and_contains)
{
	struct prefix p, q;
	struct addr a;
	char buf[PREFIX_STRLEN];

	CHECK_OK(prefix_parse("169.254.10.0/30", false, &p));
	CHECK_ERR(prefix_parse("169.254.10.1/30", false, &q), E_INVAL);
	CHECK_OK(prefix_parse("169.254.10.1/30", true, &q));
	CHECK(prefix_equal(&p, &q));
	CHECK_ERR(prefix_parse("10.0.0.0/33", false, &q), E_PARSE);
	CHECK_ERR(prefix_parse("10.0.0.0", false, &q), E_PARSE);
	CHECK_ERR(prefix_parse("10.0.0.0/", false, &q), E_PARSE);
	CHECK_ERR(prefix_parse("/8", false, &q), E_PARSE);
	CHECK_OK(addr_parse("169.254.10.2", &a));
	CHECK(prefix_contains(&p, &a));
	CHECK_OK(addr_parse("169.254.10.4", &a));
	CHECK(!prefix_contains(&p, &a));
	CHECK_OK(prefix_parse("169.254.0.0/16", false, &q));
	CHECK(prefix_overlaps(&p, &q) && prefix_overlaps(&q, &p));
	CHECK_OK(prefix_parse("fd00::/8", false, &q));
	CHECK(!prefix_overlaps(&p, &q));
	prefix_format(&q, buf);
	CHECK_STR(buf, "fd00::/8");
	CHECK_EQ(addr_v4(&a), 0xa9fe0a04);
}

static int ev_test_seq[8];
static int ev_test_nseq;

static void ev_test_timer_a(struct ev_timer *t)
{
	(void)t;
	ev_test_seq[ev_test_nseq++] = 1;
}

static void ev_test_timer_b(struct ev_timer *t)
{
	(void)t;
	ev_test_seq[ev_test_nseq++] = 2;
}

static void ev_test_timer_stop(struct ev_timer *t)
{
	ev_test_seq[ev_test_nseq++] = 3;
	ev_loop_stop(t->arg);
}

TEST(ev_timers_fire_in_deadline_order)
{
	struct ev_loop *loop;
	struct ev_timer a, b, c, cancelled;

	CHECK_OK(ev_loop_new(&loop));
	ev_test_nseq = 0;
	ev_timer_init(&a, ev_test_timer_a, NULL);
	ev_timer_init(&b, ev_test_timer_b, NULL);
	ev_timer_init(&c, ev_test_timer_stop, loop);
	ev_timer_init(&cancelled, ev_test_timer_a, NULL);
	ev_timer_arm(loop, &c, 30);
	ev_timer_arm(loop, &b, 20);
	ev_timer_arm(loop, &cancelled, 5);
	ev_timer_arm(loop, &a, 10);
	ev_timer_cancel(loop, &cancelled);
	CHECK(!ev_timer_armed(&cancelled));
	CHECK_OK(ev_loop_run(loop));
	ev_loop_free(loop);
	CHECK_EQ(ev_test_nseq, 3);
	CHECK_EQ(ev_test_seq[0], 1);
	CHECK_EQ(ev_test_seq[1], 2);
	CHECK_EQ(ev_test_seq[2], 3);
}

static int ev_test_pipe_bytes;

static void ev_test_readable(struct ev_io *io, uint32_t revents)
{
	char buf[16];
	ssize_t n;

	(void)revents;
	n = read(io->fd, buf, sizeof(buf));
	if (n > 0)
		ev_test_pipe_bytes += (int)n;
}

static void ev_test_signal(struct ev_signal *s)
{
	ev_loop_stop(s->arg);
}

TEST(ev_io_and_signal)
{
	struct ev_loop *loop;
	struct ev_io io;
	struct ev_signal sig;
	int fds[2];

	CHECK_OK(ev_loop_new(&loop));
	CHECK(pipe(fds) == 0);
	ev_io_init(&io, fds[0], EPOLLIN, ev_test_readable, NULL);
	CHECK_OK(ev_io_add(loop, &io));
	CHECK_OK(ev_signal_add(loop, &sig, SIGUSR1, ev_test_signal, loop));
	CHECK(write(fds[1], "abc", 3) == 3);
	CHECK_OK(ev_loop_run_once(loop, 100));
	CHECK_EQ(ev_test_pipe_bytes, 3);
	kill(getpid(), SIGUSR1);
	CHECK_OK(ev_loop_run(loop)); /* returns once the signal callback stops it */
	ev_io_del(loop, &io);
	close(fds[0]);
	close(fds[1]);
	ev_loop_free(loop);
}

TEST(secret_compare_random_hex)
{
	uint8_t a[32], b[32], back[32];
	char hex[65];
	size_t n;
	uint32_t v;

	CHECK_OK(secret_random(a, sizeof(a)));
	memcpy(b, a, sizeof(a));
	CHECK(secret_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	CHECK(!secret_equal(a, b, sizeof(a)));
	hex_encode(a, sizeof(a), hex);
	CHECK_OK(hex_decode(hex, back, sizeof(back), &n));
	CHECK_EQ(n, 32);
	CHECK_MEM(a, back, 32);
	CHECK_ERR(hex_decode("abc", back, sizeof(back), &n), E_PARSE);
	CHECK_ERR(hex_decode("zz", back, sizeof(back), &n), E_PARSE);
	for (int i = 0; i < 100; i++) {
		CHECK_OK(secret_random_below(7, &v));
		CHECK(v < 7);
	}
	secret_wipe(a, sizeof(a));
	CHECK_EQ(a[0] | a[17] | a[31], 0);
}
