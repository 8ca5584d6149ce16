/*
 * engine/engine_int.h - internals of the engine module (not a public API).
 *
 *   engine.c     tunnel list, the diff of engine_apply, status, route preference
 *   backend.c    the real backend: IKE tunnels, data planes (one per outside address), SAs
 *   kroute.c     kernel routes: one per customer prefix, into the preferred tunnel's TUN
 *
 * The core reaches IKE and the data plane only through struct engine_backend, so the
 * reconcile logic is unit-tested with a recording backend (tests/unit/test_engine.c) and
 * run for real against strongSwan in tests/net/s2s_*.sh.
 */
#ifndef GH_ENGINE_INT_H
#define GH_ENGINE_INT_H

#include "engine/engine.h"

#define ENGINE_SA_PAIRS_MAX 8 /* CHILD SA pairs alive at once per tunnel (rekeys overlap) */

struct engine_dp; /* backend.c */

struct engine_sa_pair {
	uint32_t spi_in, spi_out;
};

struct engine_tunnel {
	struct engine *e;
	struct conf_tunnel ct; /* desired state (copy; the PSK is wiped on free) */
	/* status */
	bool up, ike_up;
	bool stopping; /* being torn down: status callbacks no longer move routes */
	int64_t last_change_s;
	char msg[ENGINE_STATUS_MSG_MAX];
	/* routes accepted by the data plane (a candidate for the kernel route of its prefix) */
	bool route_on[CONF_ROUTES_MAX];
	/* backend state */
	struct ike_tunnel *ike;
	struct engine_dp *dp;
	uint32_t dp_handle; /* 0 = none */
	struct engine_sa_pair sas[ENGINE_SA_PAIRS_MAX];
	size_t nsas;
	struct engine_tunnel *next;
};

struct engine_backend {
	/* Bring up IKE and the data-plane tunnel. On failure the tunnel stays (DOWN, message). */
	result_t (*tunnel_start)(struct engine *e, struct engine_tunnel *t);
	/* Tear down (IKE DELETE, SAs, data-plane tunnel). Idempotent. */
	void (*tunnel_stop)(struct engine *e, struct engine_tunnel *t);
	/* One data-plane path for route r of tunnel t (within the tunnel's TUN). */
	result_t (*route_add)(struct engine *e, struct engine_tunnel *t,
	                      const struct conf_route *r);
	void (*route_del)(struct engine *e, struct engine_tunnel *t, const struct conf_route *r);
	/* The ONE kernel route of prefix p at `metric`, pointed at t's TUN device (`ip route
	 * replace`: re-pointed in one step when it exists). *dev: the device, for kroute_del. */
	result_t (*kroute_set)(struct engine *e, const struct engine_tunnel *t,
	                       const struct prefix *p, uint32_t metric, unsigned *dev);
	void (*kroute_del)(struct engine *e, unsigned dev, const struct prefix *p, uint32_t metric);
	result_t (*rekey)(struct engine *e, struct engine_tunnel *t, bool ike);
	void (*stats)(const struct engine *e, const struct engine_tunnel *t,
	              struct engine_tunnel_status *st);
	void (*fini)(struct engine *e); /* after every tunnel is stopped */
};

/* The kernel route of one prefix as installed (kroute.c). */
struct engine_kroute {
	struct prefix prefix;
	unsigned dev;
	uint32_t metric;
	char via[48]; /* "vpn-x tunnel 1", for the log */
};

struct engine {
	struct ev_loop *loop;
	struct engine_options opt;
	const struct engine_backend *be;
	void *be_state; /* backend.c: struct engine_real */
	struct engine_tunnel *tunnels;
	size_t ntunnels;
	struct engine_kroute *kroutes; /* heap array */
	size_t nkroutes, kroutes_cap;
};

/* Core entry for a given backend (engine_new uses the real one; tests a recording one). */
RESULT engine_new_backend(struct ev_loop *loop, const struct engine_options *opt,
                          const struct engine_backend *be, void *be_state, const struct conf *c,
                          struct engine **out);

/* Called by the backend when IKE reports a change (and by the core on start/stop). */
void engine_tunnel_set_status(struct engine_tunnel *t, bool ike_up, const char *msg);

/* kroute.c: make the kernel routes match the candidates (every accepted route of every tunnel
 * not being stopped): per prefix the best one - UP first, then the lower priority, then the
 * lower tunnel index (site-to-site.md 4.2 B; G:319 "prefers one of the tunnels, but can
 * automatically fail over"). Longest prefix is the kernel's own first rule across prefixes.
 * kroutes_clear removes every kernel route (engine_free). */
void engine_kroutes_select(struct engine *e);
void engine_kroutes_clear(struct engine *e);

/* "vpn-x tunnel 1 (198.51.100.1)" for log lines. */
void engine_tunnel_name(const struct engine_tunnel *t, char *buf, size_t cap);

/* The real backend. */
RESULT engine_backend_real_new(struct ev_loop *loop, const struct engine_options *opt,
                               void **state);
extern const struct engine_backend engine_backend_real;

#endif
