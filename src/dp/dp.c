/*
 * dp.c - the control side of the data plane: tunnels, SAs and routes are kept in lists owned
 * by the control thread; every change builds a new immutable struct dp_state and publishes it
 * with one atomic pointer store. The replaced state and removed objects are freed once every
 * worker has passed a quiescent point (QSBR: a worker records the global epoch between
 * batches, holding no reference).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dp/dp_internal.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "tun/tun.h"

/* --- QSBR ---------------------------------------------------------------------------------- */

void dp_worker_quiescent(struct dp_worker *w)
{
	atomic_store(&w->qs_epoch, atomic_load(&w->dp->epoch));
}

struct dp_state *dp_worker_state(struct dp_worker *w)
{
	return atomic_load(&w->dp->state);
}

static bool dp_worker_passed(struct dp_worker *w, uint64_t epoch)
{
	return !w->started || atomic_load(&w->qs_epoch) >= epoch;
}

static void dp_state_free(struct dp_state *st)
{
	if (!st)
		return;
	free(st->in_hash);
	route_table_free(st->routes);
	free(st);
}

void dp_sa_destroy_now(struct dp_sa *sa)
{
	if (!sa)
		return;
	esp_sa_free(sa->esp);
	free(sa);
}

static void dp_retired_free(struct dp_retired *r)
{
	dp_state_free(r->state);
	dp_sa_destroy_now(r->sa);
	free(r->tunnel);
	free(r);
}

static void dp_reclaim(struct dp *dp)
{
	struct dp_retired **pp = &dp->retired, *r;

	while ((r = *pp)) {
		if (dp_worker_passed(&dp->tx, r->epoch) && dp_worker_passed(&dp->rx, r->epoch)) {
			*pp = r->next;
			dp_retired_free(r);
		} else {
			pp = &r->next;
		}
	}
	if (dp->retired && dp->loop)
		ev_timer_arm(dp->loop, &dp->reclaim_timer, DP_RECLAIM_MS);
}

static void dp_reclaim_cb(struct ev_timer *t)
{
	dp_reclaim(t->arg);
}

/* Hand something to the grace period; it is freed after the next publish is seen. */
static void dp_retire(struct dp *dp, struct dp_state *st, struct dp_sa *sa, struct dp_tunnel *t)
{
	struct dp_retired *r = calloc(1, sizeof(*r));

	if (!r) {
		/* cannot track it: leaking is safer than a use-after-free */
		log_err("dp", "out of memory retiring data-plane state");
		return;
	}
	r->epoch = atomic_load(&dp->epoch);
	r->state = st;
	r->sa = sa;
	r->tunnel = t;
	r->next = dp->retired;
	dp->retired = r;
	if (dp->loop && !ev_timer_armed(&dp->reclaim_timer))
		ev_timer_arm(dp->loop, &dp->reclaim_timer, DP_RECLAIM_MS);
}

void dp_retire_obj(struct dp *dp, struct dp_sa *sa, struct dp_tunnel *t)
{
	dp_retire(dp, NULL, sa, t);
}

/* --- snapshots ----------------------------------------------------------------------------- */

static uint32_t dp_spi_hash(uint32_t spi)
{
	return spi * 2654435761u;
}

struct dp_sa *dp_state_in_sa(const struct dp_state *st, uint32_t spi)
{
	if (!st->in_hash)
		return NULL;
	for (uint32_t i = dp_spi_hash(spi) & st->in_mask;; i = (i + 1) & st->in_mask) {
		if (!st->in_hash[i].sa)
			return NULL;
		if (st->in_hash[i].spi == spi)
			return st->in_hash[i].sa;
	}
}

static RESULT dp_state_build_in(struct dp *dp, struct dp_state *st)
{
	size_t n = 0, size = 16;

	for (struct dp_sa *s = dp->sas; s; s = s->next)
		n += s->esp->dir == ESP_DIR_IN;
	while (size < 2 * n)
		size <<= 1;
	st->in_hash = calloc(size, sizeof(*st->in_hash));
	if (!st->in_hash)
		return E_NOMEM;
	st->in_mask = (uint32_t)size - 1;
	for (struct dp_sa *s = dp->sas; s; s = s->next) {
		uint32_t i;

		if (s->esp->dir != ESP_DIR_IN)
			continue;
		for (i = dp_spi_hash(s->esp->spi) & st->in_mask; st->in_hash[i].sa;
		     i = (i + 1) & st->in_mask)
			;
		st->in_hash[i] = (struct dp_in_slot){s->esp->spi, s};
	}
	return E_OK;
}

RESULT dp_publish_state(struct dp *dp)
{
	struct dp_state *st = calloc(1, sizeof(*st)), *old;
	result_t rc;

	if (!st)
		return E_NOMEM;
	for (struct dp_tunnel *t = dp->tunnels; t; t = t->next)
		st->tunnels[t->handle] = t;
	for (struct dp_sa *s = dp->sas; s; s = s->next) {
		struct dp_sa **cur = &st->out_sa[s->tunnel];

		/* make-before-break: the newest outbound SA of a tunnel carries its traffic */
		if (s->esp->dir == ESP_DIR_OUT && (!*cur || (*cur)->installed < s->installed))
			*cur = s;
	}
	GUARD_OUT(rc, dp_state_build_in(dp, st));
	GUARD_OUT(rc, route_table_clone(dp->routes, &st->routes));
	old = atomic_exchange(&dp->state, st);
	atomic_fetch_add(&dp->epoch, 1);
	if (old)
		dp_retire(dp, old, NULL, NULL);
	return E_OK;
out:
	dp_state_free(st);
	return rc;
}

/* --- events -------------------------------------------------------------------------------- */

void dp_sa_flag_event(struct dp *dp, struct dp_sa *sa, enum dp_event_type type)
{
	uint64_t one = 1;

	if (atomic_fetch_or(&sa->events, 1u << type) & (1u << type))
		return; /* already pending */
	if (write(dp->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("dp", "event wake-up: %s", strerror(errno));
}

static void dp_event_read(struct ev_io *io, uint32_t revents)
{
	struct dp *dp = io->arg;
	uint64_t v;

	(void)revents;
	if (read(dp->event_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	for (struct dp_sa *s = dp->sas; s; s = s->next) {
		uint32_t bits = atomic_exchange(&s->events, 0);

		for (unsigned type = DP_EV_SA_SOFT; type <= DP_EV_SA_EXHAUSTED; type++) {
			struct dp_event ev = {(enum dp_event_type)type, s->tunnel, s->esp->spi,
					      s->esp->dir};

			if (!(bits & (1u << type)))
				continue;
			log_info("dp", "tunnel %u SA %08x: %s", s->tunnel, s->esp->spi,
				 type == DP_EV_SA_SOFT ? "soft limit reached, rekey"
				 : type == DP_EV_SA_HARD ? "hard lifetime reached"
							 : "sequence number space exhausted");
			if (dp->event_cb)
				dp->event_cb(dp->event_arg, &ev);
		}
	}
}

void dp_set_event_cb(struct dp *dp, dp_event_cb cb, void *arg)
{
	dp->event_cb = cb;
	dp->event_arg = arg;
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static RESULT dp_tun_setup(struct dp *dp)
{
	if (!dp->cfg.no_tun_offload) {
		dp->offload = tun_open_offload(dp->cfg.tun_name, &dp->tx.tun_fd, dp->tun_name) ==
			      E_OK;
		if (!dp->offload)
			log_info("dp", "TUN offload unavailable, one read per packet");
	}
	if (!dp->offload)
		GUARD(tun_open(dp->cfg.tun_name, &dp->tx.tun_fd, dp->tun_name));
	/* The kernel spreads packets over every attached queue by flow hash, so only readers
	 * attach queues: the RX worker writes its packets through the TX worker's queue
	 * (a write is one independent syscall; no shared state in user space). */
	dp->rx.tun_fd = dp->tx.tun_fd;
	GUARD(tun_ifindex(dp->tun_name, &dp->tun_ifindex));
	return tun_link_up(dp->tun_ifindex, dp->cfg.tun_mtu);
}

static RESULT dp_workers_start(struct dp *dp)
{
	struct dp_worker *ws[2] = {&dp->tx, &dp->rx};

	dp->tx.nslots = 2 * DP_BATCH;
	dp->tx.slot_len = DP_BUF_LEN;
	dp->rx.nslots = dp->gro_ok ? DP_GRO_SLOTS : DP_BATCH;
	dp->rx.slot_len = dp->gro_ok ? DP_GRO_BUF_LEN : DP_BUF_LEN;
	for (unsigned i = 0; i < 2; i++) {
		ws[i]->bufs = calloc(ws[i]->nslots, ws[i]->slot_len);
		if (!ws[i]->bufs)
			return E_NOMEM;
	}
	if (dp->offload && (!(dp->tx.big = malloc(DP_TSO_BUF_LEN)) ||
			    !(dp->rx.big = malloc(DP_TSO_BUF_LEN))))
		return E_NOMEM;
	/* Workers take no signals: the loop's thread handles them (signalfd), whatever was or
	 * will be registered there; a thread inherits the mask it is created with. */
	sigset_t all, old;
	result_t rc = E_OK;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < 2 && rc == E_OK; i++) {
		ws[i]->qs_epoch = atomic_load(&dp->epoch);
		if (pthread_create(&ws[i]->thread, NULL, ws[i]->is_tx ? dp_tx_main : dp_rx_main,
				   ws[i]) != 0)
			rc = E_SYSTEM;
		else
			ws[i]->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

RESULT dp_new(struct ev_loop *loop, const struct dp_config *cfg, struct dp **out)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	result_t rc;

	*out = NULL;
	if (!dp)
		return E_NOMEM;
	dp->loop = loop;
	dp->cfg = *cfg;
	if (!dp->cfg.tun_mtu)
		dp->cfg.tun_mtu = DP_TUN_MTU_DEFAULT;
	if (!dp->cfg.udp_port)
		dp->cfg.udp_port = DP_UDP_ENCAP_PORT;
	dp->tx.dp = dp->rx.dp = dp;
	dp->tx.is_tx = true;
	dp->tx.tun_fd = dp->rx.tun_fd = dp->udp_fd = dp->raw_fd = dp->event_fd = -1;
	ev_timer_init(&dp->reclaim_timer, dp_reclaim_cb, dp);
	if (dp->cfg.tun_mtu > DP_BUF_LEN - ESP_HEADROOM - ESP_TAILROOM || dp->cfg.tun_mtu < 576) {
		rc = E_INVAL;
		goto out;
	}
	GUARD_OUT(rc, route_table_new(&dp->routes));
	dp->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->event_fd < 0) {
		rc = E_SYSTEM;
		goto out;
	}
	ev_io_init(&dp->event_io, dp->event_fd, EPOLLIN, dp_event_read, dp);
	if (loop)
		GUARD_OUT(rc, ev_io_add(loop, &dp->event_io));
	GUARD_OUT(rc, dp_tun_setup(dp));
	GUARD_OUT(rc, dp_sock_open(dp));
	GUARD_OUT(rc, dp_publish_state(dp));
	GUARD_OUT(rc, dp_workers_start(dp));
	log_info("dp", "data plane up on %s (udp %u%s%s%s%s)", dp->tun_name, dp->cfg.udp_port,
		 dp->raw_fd >= 0 ? ", raw ESP" : "", dp->gso_ok ? ", UDP GSO" : "",
		 dp->gro_ok ? ", UDP GRO" : "", dp->offload ? ", TUN TSO" : "");
	*out = dp;
	return E_OK;
out:
	dp_free(dp);
	return rc;
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	atomic_store(&dp->stop, true);
	if (dp->tx.started)
		pthread_join(dp->tx.thread, NULL);
	if (dp->rx.started)
		pthread_join(dp->rx.thread, NULL);
	dp->tx.started = dp->rx.started = false;
	if (dp->loop) {
		ev_timer_cancel(dp->loop, &dp->reclaim_timer);
		if (dp->event_fd >= 0)
			ev_io_del(dp->loop, &dp->event_io);
	}
	dp_sock_close(dp);
	if (dp->tx.tun_fd >= 0)
		close(dp->tx.tun_fd);
	if (dp->event_fd >= 0)
		close(dp->event_fd);
	while (dp->retired) {
		struct dp_retired *r = dp->retired;

		dp->retired = r->next;
		dp_retired_free(r);
	}
	dp_state_free(atomic_load(&dp->state));
	while (dp->sas) {
		struct dp_sa *s = dp->sas;

		dp->sas = s->next;
		dp_sa_destroy_now(s);
	}
	while (dp->tunnels) {
		struct dp_tunnel *t = dp->tunnels;

		dp->tunnels = t->next;
		free(t);
	}
	route_table_free(dp->routes);
	free(dp->tx.bufs);
	free(dp->tx.big);
	free(dp->rx.big);
	free(dp->rx.bufs);
	free(dp);
}

const char *dp_tun_name(const struct dp *dp)
{
	return dp->tun_name;
}
