/*
 * dp_ctl.c - the control-thread API of the data plane: tunnels, SAs, routes, statistics.
 * Every change ends in dp_publish (dp.c): workers see it at their next batch.
 */
#include <stdlib.h>
#include <string.h>

#include "dp/dp_internal.h"
#include "lib/log.h"
#include "tun/tun.h"

static struct dp_tunnel *dp_tunnel_find(struct dp *dp, uint32_t handle)
{
	for (struct dp_tunnel *t = dp->tunnels; t; t = t->next)
		if (t->handle == handle)
			return t;
	return NULL;
}

static struct dp_sa **dp_sa_link(struct dp *dp, uint32_t spi, enum esp_dir dir)
{
	for (struct dp_sa **pp = &dp->sas; *pp; pp = &(*pp)->next)
		if ((*pp)->esp->spi == spi && (*pp)->esp->dir == dir)
			return pp;
	return NULL;
}

uint32_t dp_tunnel_mtu(const struct esp_sa *sa)
{
	/* site-to-site.md 5.2 table: 1500 - outer IP - [UDP 8] - SPI/Seq 8 - IV - ICV, the
	 * payload plus the 2-octet trailer rounded down to the block: GCM 1446/1438, CBC+SHA1
	 * 1438/1422, CBC+SHA2-512 1422/1406 */
	size_t outer = (sa->remote.family == AF_INET6 ? 40 : 20) + (sa->encap ? 8 : 0);
	size_t avail = 1500 - outer - ESP_HDR_LEN - sa->iv_len - sa->icv_len;

	return (uint32_t)(avail / sa->block_len * sa->block_len - ESP_TRAILER_LEN);
}

static void dp_inside_add(struct dp *dp, const struct prefix *p, uint32_t handle)
{
	struct prefix net = *p;
	result_t rc;

	if (p->addr.family != AF_INET && p->addr.family != AF_INET6)
		return;
	rc = tun_addr_add(dp->tun_ifindex, p);
	if (rc != E_OK && rc != E_EXISTS)
		log_warn("dp", "tunnel %u: inside address on %s: %s", handle, dp->tun_name,
			 err_msg(rc));
	/* the peer's inside address (BGP) is reached through this tunnel */
	prefix_normalize(&net);
	if (route_add(dp->routes, &net, handle, 0) != E_OK)
		log_warn("dp", "tunnel %u: inside prefix route not added", handle);
}

RESULT dp_tunnel_add(struct dp *dp, const struct dp_tunnel_params *p, uint32_t *handle)
{
	struct dp_tunnel *t;
	uint32_t h;
	result_t rc;

	for (h = 1; h <= DP_MAX_TUNNELS && dp_tunnel_find(dp, h); h++)
		;
	if (h > DP_MAX_TUNNELS)
		return E_RANGE;
	if (p->mtu && (p->mtu < 576 || p->mtu > dp->cfg.tun_mtu))
		return E_INVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return E_NOMEM;
	t->handle = h;
	t->p = *p;
	t->next = dp->tunnels;
	dp->tunnels = t;
	dp_inside_add(dp, &p->inside, h);
	dp_inside_add(dp, &p->inside6, h);
	rc = dp_publish_state(dp);
	if (rc == E_OK)
		*handle = h;
	return rc;
}

struct dp_route_drop {
	struct dp *dp;
	uint32_t handle;
};

/* A prefix whose only path is the tunnel going away loses its kernel route too. */
static void dp_kernel_route_drop_one(void *arg, const struct route_entry *e)
{
	struct dp_route_drop *d = arg;
	result_t rc;

	if (e->npaths != 1 || e->paths[0].tunnel != d->handle)
		return;
	rc = tun_route_del(d->dp->tun_ifindex, &e->prefix, 0, 0);
	if (rc != E_OK && rc != E_NOTFOUND)
		log_warn("dp", "tunnel %u: kernel route removal: %s", d->handle, err_msg(rc));
}

static void dp_kernel_routes_drop(struct dp *dp, uint32_t handle)
{
	struct dp_route_drop d = {dp, handle};

	route_walk(dp->routes, dp_kernel_route_drop_one, &d);
}

RESULT dp_tunnel_remove(struct dp *dp, uint32_t handle)
{
	struct dp_tunnel **pp, *t = NULL;
	struct dp_sa *gone = NULL;

	for (pp = &dp->tunnels; *pp; pp = &(*pp)->next) {
		if ((*pp)->handle == handle) {
			t = *pp;
			*pp = t->next;
			break;
		}
	}
	if (!t)
		return E_NOTFOUND;
	for (struct dp_sa **sp = &dp->sas; *sp;) {
		struct dp_sa *s = *sp;

		if (s->tunnel == handle) {
			*sp = s->next;
			s->next = gone;
			gone = s;
		} else {
			sp = &s->next;
		}
	}
	if (dp->cfg.kernel_routes)
		dp_kernel_routes_drop(dp, handle);
	(void)route_remove_tunnel(dp->routes, handle);
	GUARD(dp_publish_state(dp));
	while (gone) {
		struct dp_sa *s = gone;

		gone = s->next;
		s->next = NULL;
		dp_retire_obj(dp, s, NULL);
	}
	dp_retire_obj(dp, NULL, t);
	return E_OK;
}

static void dp_sa_derive(struct dp_sa *s, const struct dp_tunnel *t)
{
	uint32_t mtu = dp_tunnel_mtu(s->esp);

	if (t->p.mtu && t->p.mtu < mtu)
		mtu = t->p.mtu;
	s->mtu = mtu;
	/* MSS = MTU - 40 (IPv4 + TCP) / - 60 (IPv6 + TCP), as in the guide's table */
	s->mss4 = t->p.mss ? t->p.mss : (uint16_t)(mtu - 40);
	s->mss6 = t->p.mss ? t->p.mss : (uint16_t)(mtu - 60);
	addr_to_sockaddr(&s->esp->remote, s->esp->encap ? s->esp->remote_port : 0, &s->dst,
			 &s->dst_len);
}

RESULT dp_sa_install(struct dp *dp, uint32_t tunnel, const struct esp_sa_params *p)
{
	struct dp_tunnel *t = dp_tunnel_find(dp, tunnel);
	struct dp_sa *s;
	result_t rc;

	if (!t)
		return E_NOTFOUND;
	if (dp_sa_link(dp, p->spi, p->dir))
		return E_EXISTS;
	if (p->dir == ESP_DIR_OUT && p->remote.family != AF_INET && p->remote.family != AF_INET6)
		return E_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return E_NOMEM;
	rc = esp_sa_new(p, &s->esp);
	if (rc != E_OK) {
		free(s);
		return rc;
	}
	s->tunnel = tunnel;
	s->installed = ++dp->install_seq;
	dp_sa_derive(s, t);
	s->next = dp->sas;
	dp->sas = s;
	rc = dp_publish_state(dp);
	if (rc != E_OK) {
		dp->sas = s->next;
		dp_sa_destroy_now(s);
	}
	return rc;
}

RESULT dp_sa_remove(struct dp *dp, uint32_t spi, enum esp_dir dir)
{
	struct dp_sa **pp = dp_sa_link(dp, spi, dir), *s;

	if (!pp)
		return E_NOTFOUND;
	s = *pp;
	*pp = s->next;
	s->next = NULL;
	GUARD(dp_publish_state(dp));
	dp_retire_obj(dp, s, NULL);
	return E_OK;
}

RESULT dp_route_add(struct dp *dp, const struct prefix *p, uint32_t tunnel, uint32_t priority)
{
	result_t rc;

	if (!dp_tunnel_find(dp, tunnel))
		return E_NOTFOUND;
	GUARD(route_add(dp->routes, p, tunnel, priority));
	if (dp->cfg.kernel_routes) {
		rc = tun_route_add(dp->tun_ifindex, p, 0, 0);
		if (rc != E_OK && rc != E_EXISTS)
			log_warn("dp", "kernel route to %s: %s", dp->tun_name, err_msg(rc));
	}
	return dp_publish_state(dp);
}

RESULT dp_route_remove(struct dp *dp, const struct prefix *p, uint32_t tunnel)
{
	GUARD(route_remove(dp->routes, p, tunnel));
	if (dp->cfg.kernel_routes && !route_find(dp->routes, p)) {
		result_t rc = tun_route_del(dp->tun_ifindex, p, 0, 0);

		if (rc != E_OK && rc != E_NOTFOUND)
			log_warn("dp", "kernel route removal on %s: %s", dp->tun_name, err_msg(rc));
	}
	return dp_publish_state(dp);
}

RESULT dp_sa_stats(struct dp *dp, uint32_t spi, enum esp_dir dir, struct dp_sa_info *out)
{
	struct dp_sa **pp = dp_sa_link(dp, spi, dir), *s;
	struct dp_state *st = atomic_load(&dp->state);
	struct esp_sa_stats *e;

	if (!pp)
		return E_NOTFOUND;
	s = *pp;
	e = &s->esp->stats;
	memset(out, 0, sizeof(*out));
	out->tunnel = s->tunnel;
	out->packets = atomic_load_explicit(&e->packets, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&e->bytes, memory_order_relaxed);
	out->err_auth = atomic_load_explicit(&e->err_auth, memory_order_relaxed);
	out->err_replay = atomic_load_explicit(&e->err_replay, memory_order_relaxed);
	out->err_other = atomic_load_explicit(&e->err_other, memory_order_relaxed);
	out->last_ms = atomic_load_explicit(&e->last_ms, memory_order_relaxed);
	out->active = dir == ESP_DIR_OUT && st->out_sa[s->tunnel] == s;
	return E_OK;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void dp_stats(struct dp *dp, struct dp_stats *out)
{
	const struct dp_worker *ws[2] = {&dp->tx, &dp->rx};

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < 2; i++) {
		const struct dp_worker_stats *s = &ws[i]->st;

		out->tx_packets += LD(s->tx_packets);
		out->tx_bytes += LD(s->tx_bytes);
		out->rx_packets += LD(s->rx_packets);
		out->rx_bytes += LD(s->rx_bytes);
		out->drop_no_route += LD(s->drop_no_route);
		out->drop_no_sa += LD(s->drop_no_sa);
		out->drop_unknown_spi += LD(s->drop_unknown_spi);
		out->drop_auth += LD(s->drop_auth);
		out->drop_replay += LD(s->drop_replay);
		out->drop_bad += LD(s->drop_bad);
		out->drop_policy += LD(s->drop_policy);
		out->drop_send += LD(s->drop_send);
		out->fragmented += LD(s->fragmented);
		out->icmp_frag_needed += LD(s->icmp_frag_needed);
		out->mss_clamped += LD(s->mss_clamped);
		out->tx_syscalls += LD(s->tx_syscalls);
		out->rx_syscalls += LD(s->rx_syscalls);
	}
}
