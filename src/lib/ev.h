/*
 * ev.h - the one event loop of the control plane: epoll for descriptors, a binary heap of
 * monotonic deadlines for timers, signalfd for signals.
 *
 * Ownership: the caller owns every struct ev_io / ev_timer / ev_signal and keeps it alive while
 * registered. Only the loop's own thread may call these functions, except ev_loop_wake(),
 * which any thread may call (data-plane workers use it to hand work back).
 */
#ifndef GH_LIB_EV_H
#define GH_LIB_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "err.h"

struct ev_loop;

struct ev_io {
	int fd;
	uint32_t events; /* EPOLLIN | EPOLLOUT ... */
	void (*cb)(struct ev_io *io, uint32_t revents);
	void *arg;
};

struct ev_timer {
	uint64_t deadline_ms; /* on clock_mono_ms() */
	size_t heap_idx;      /* SIZE_MAX when not armed */
	void (*cb)(struct ev_timer *t);
	void *arg;
};

struct ev_signal {
	int signo;
	void (*cb)(struct ev_signal *s);
	void *arg;
};

RESULT ev_loop_new(struct ev_loop **out);
void ev_loop_free(struct ev_loop *loop);

/* Run until ev_loop_stop(); E_SYSTEM if epoll fails. */
RESULT ev_loop_run(struct ev_loop *loop);
/* Run one round: wait at most max_wait_ms (or until the next timer), dispatch, return. */
RESULT ev_loop_run_once(struct ev_loop *loop, int max_wait_ms);
void ev_loop_stop(struct ev_loop *loop);
/* Any thread: make the loop run `cb(arg)` on its own thread soon. */
RESULT ev_loop_wake(struct ev_loop *loop);
void ev_loop_set_wake_cb(struct ev_loop *loop, void (*cb)(void *arg), void *arg);

void ev_io_init(struct ev_io *io, int fd, uint32_t events, void (*cb)(struct ev_io *, uint32_t),
		void *arg);
RESULT ev_io_add(struct ev_loop *loop, struct ev_io *io);
RESULT ev_io_modify(struct ev_loop *loop, struct ev_io *io, uint32_t events);
void ev_io_del(struct ev_loop *loop, struct ev_io *io);

void ev_timer_init(struct ev_timer *t, void (*cb)(struct ev_timer *), void *arg);
/* (Re)arm to fire once after delay_ms. */
void ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t delay_ms);
void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);
bool ev_timer_armed(const struct ev_timer *t);

/* Block the signal in this thread and deliver it through the loop. */
RESULT ev_signal_add(struct ev_loop *loop, struct ev_signal *s, int signo,
		     void (*cb)(struct ev_signal *), void *arg);

#endif
