/*
 * engine/engine_int.h - internals of the engine module (not a public API).
 *
 *   engine.c     tunnel list, the diff of engine_apply, status, route preference
 *   backend.c    the real backend: IKE tunnels, data planes (one per outside address), SAs
 *   kroute.c     kernel routes into the TUN devices
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
	/* routes as installed: metric per ct.routes[i] */
	bool route_on[CONF_ROUTES_MAX];
	uint32_t route_metric[CONF_ROUTES_MAX];
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
	/* One path for route r of tunnel t, with a kernel metric. */
	result_t (*route_add)(struct engine *e, struct engine_tunnel *t, const struct conf_route *r,
	                      uint32_t metric);
	void (*route_del)(struct engine *e, struct engine_tunnel *t, const struct conf_route *r,
	                  uint32_t metric);
	result_t (*rekey)(struct engine *e, struct engine_tunnel *t, bool ike);
	void (*stats)(const struct engine *e, const struct engine_tunnel *t,
	              struct engine_tunnel_status *st);
	void (*fini)(struct engine *e); /* after every tunnel is stopped */
};

struct engine {
	struct ev_loop *loop;
	struct engine_options opt;
	const struct engine_backend *be;
	void *be_state; /* backend.c: struct engine_real */
	struct engine_tunnel *tunnels;
	size_t ntunnels;
};

/* Core entry for a given backend (engine_new uses the real one; tests a recording one). */
RESULT engine_new_backend(struct ev_loop *loop, const struct engine_options *opt,
                          const struct engine_backend *be, void *be_state, const struct conf *c,
                          struct engine **out);

/* Called by the backend when IKE reports a change (and by the core on start/stop). */
void engine_tunnel_set_status(struct engine_tunnel *t, bool ike_up, const char *msg);

/* "vpn-x tunnel 1 (198.51.100.1)" for log lines. */
void engine_tunnel_name(const struct engine_tunnel *t, char *buf, size_t cap);

/* The real backend. */
RESULT engine_backend_real_new(struct ev_loop *loop, const struct engine_options *opt,
                               void **state);
extern const struct engine_backend engine_backend_real;

#endif
