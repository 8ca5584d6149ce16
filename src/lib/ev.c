#include "ev.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"

#define EV_MAX_EVENTS 64
#define EV_MAX_SIGNALS 16

struct ev_loop {
	int epfd;
	bool stop;
	struct ev_timer **heap;
	size_t nheap, capheap;
	/* signals */
	int sigfd;
	sigset_t sigmask;
	struct ev_io sig_io;
	struct ev_signal *signals[EV_MAX_SIGNALS];
	unsigned nsignals;
	/* cross-thread wake-ups */
	int wakefd;
	struct ev_io wake_io;
	void (*wake_cb)(void *);
	void *wake_arg;
};

static void ev_wake_read(struct ev_io *io, uint32_t revents)
{
	struct ev_loop *loop = io->arg;
	uint64_t v;

	(void)revents;
	if (read(loop->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (loop->wake_cb)
		loop->wake_cb(loop->wake_arg);
}

RESULT ev_loop_new(struct ev_loop **out)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	result_t rc = E_OK;

	if (!loop)
		return E_NOMEM;
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->epfd < 0 || loop->wakefd < 0) {
		rc = E_SYSTEM;
		goto out;
	}
	ev_io_init(&loop->wake_io, loop->wakefd, EPOLLIN, ev_wake_read, loop);
	GUARD_OUT(rc, ev_io_add(loop, &loop->wake_io));
	*out = loop;
	return E_OK;
out:
	ev_loop_free(loop);
	return rc;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	free(loop->heap);
	free(loop);
}

void ev_loop_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

RESULT ev_loop_wake(struct ev_loop *loop)
{
	uint64_t one = 1;

	if (write(loop->wakefd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		return E_SYSTEM;
	return E_OK;
}

void ev_loop_set_wake_cb(struct ev_loop *loop, void (*cb)(void *), void *arg)
{
	loop->wake_cb = cb;
	loop->wake_arg = arg;
}

void ev_io_init(struct ev_io *io, int fd, uint32_t events, void (*cb)(struct ev_io *, uint32_t),
		void *arg)
{
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
}

RESULT ev_io_add(struct ev_loop *loop, struct ev_io *io)
{
	struct epoll_event ee = {.events = io->events, .data.ptr = io};

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ee) < 0)
		return E_SYSTEM;
	return E_OK;
}

RESULT ev_io_modify(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ee = {.events = events, .data.ptr = io};

	io->events = events;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ee) < 0)
		return E_SYSTEM;
	return E_OK;
}

void ev_io_del(struct ev_loop *loop, struct ev_io *io)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* Timers: a binary min-heap on deadline_ms; heap_idx lets cancel find its slot. */

static void ev_heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	struct ev_timer *t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_idx = a;
	loop->heap[b]->heap_idx = b;
}

static void ev_heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (loop->heap[parent]->deadline_ms <= loop->heap[i]->deadline_ms)
			break;
		ev_heap_swap(loop, parent, i);
		i = parent;
	}
}

static void ev_heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nheap && loop->heap[l]->deadline_ms < loop->heap[m]->deadline_ms)
			m = l;
		if (r < loop->nheap && loop->heap[r]->deadline_ms < loop->heap[m]->deadline_ms)
			m = r;
		if (m == i)
			return;
		ev_heap_swap(loop, i, m);
		i = m;
	}
}

void ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *), void *arg)
{
	t->deadline_ms = 0;
	t->heap_idx = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

bool ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
	size_t i = t->heap_idx;

	if (i == SIZE_MAX)
		return;
	loop->nheap--;
	if (i != loop->nheap) {
		ev_heap_swap(loop, i, loop->nheap);
		ev_heap_down(loop, i);
		ev_heap_up(loop, i);
	}
	t->heap_idx = SIZE_MAX;
}

void ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_ms)
{
	ev_timer_cancel(loop, t);
	if (loop->nheap == loop->capheap) {
		size_t ncap = loop->capheap ? loop->capheap * 2 : 64;
		struct ev_timer **h = realloc(loop->heap, ncap * sizeof(*h));

		if (!h)
			abort(); /* not network input: a timer we cannot keep is a broken daemon */
		loop->heap = h;
		loop->capheap = ncap;
	}
	t->deadline_ms = clock_mono_ms() + delay_ms;
	t->heap_idx = loop->nheap;
	loop->heap[loop->nheap++] = t;
	ev_heap_up(loop, t->heap_idx);
}

static void ev_run_timers(struct ev_loop *loop)
{
	uint64_t now = clock_mono_ms();

	while (loop->nheap > 0 && loop->heap[0]->deadline_ms <= now && !loop->stop) {
		struct ev_timer *t = loop->heap[0];

		ev_timer_cancel(loop, t);
		t->cb(t);
	}
}

static int ev_next_wait_ms(struct ev_loop *loop, int max_wait_ms)
{
	uint64_t now, d;

	if (loop->nheap == 0)
		return max_wait_ms;
	now = clock_mono_ms();
	d = loop->heap[0]->deadline_ms > now ? loop->heap[0]->deadline_ms - now : 0;
	if (max_wait_ms >= 0 && d > (uint64_t)max_wait_ms)
		return max_wait_ms;
	return d > 60000 ? 60000 : (int)d;
}

/* Signals */

static void ev_signal_read(struct ev_io *io, uint32_t revents)
{
	struct ev_loop *loop = io->arg;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(loop->sigfd, &si, sizeof(si)) == sizeof(si)) {
		for (unsigned i = 0; i < loop->nsignals; i++)
			if (loop->signals[i]->signo == (int)si.ssi_signo)
				loop->signals[i]->cb(loop->signals[i]);
	}
}

RESULT ev_signal_add(struct ev_loop *loop, struct ev_signal *s, int signo,
		     void (*cb)(struct ev_signal *), void *arg)
{
	bool first = loop->sigfd < 0;

	if (loop->nsignals == EV_MAX_SIGNALS)
		return E_RANGE;
	s->signo = signo;
	s->cb = cb;
	s->arg = arg;
	sigaddset(&loop->sigmask, signo);
	if (pthread_sigmask(SIG_BLOCK, &loop->sigmask, NULL) != 0)
		return E_SYSTEM;
	loop->sigfd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->sigfd < 0)
		return E_SYSTEM;
	loop->signals[loop->nsignals++] = s;
	if (first) {
		ev_io_init(&loop->sig_io, loop->sigfd, EPOLLIN, ev_signal_read, loop);
		GUARD(ev_io_add(loop, &loop->sig_io));
	}
	return E_OK;
}

RESULT ev_loop_run_once(struct ev_loop *loop, int max_wait_ms)
{
	struct epoll_event evs[EV_MAX_EVENTS];
	int n;

	n = epoll_wait(loop->epfd, evs, EV_MAX_EVENTS, ev_next_wait_ms(loop, max_wait_ms));
	if (n < 0) {
		if (errno == EINTR)
			return E_OK;
		return E_SYSTEM;
	}
	for (int i = 0; i < n && !loop->stop; i++) {
		struct ev_io *io = evs[i].data.ptr;

		io->cb(io, evs[i].events);
	}
	ev_run_timers(loop);
	return E_OK;
}

RESULT ev_loop_run(struct ev_loop *loop)
{
	loop->stop = false;
	while (!loop->stop)
		GUARD(ev_loop_run_once(loop, -1));
	return E_OK;
}
