/*
 * svc/svc.h - one service: the EC2 API's stored VPN connections run as live tunnels.
 *
 * The join between the API (api/api.h, api/api_vpn.h) and the tunnel engine (engine/engine.h):
 *
 *   start, every committed API change, a file reload   ->  desired = file tunnels
 *        + api_vpn_conf_tunnels(store)                  ->  engine_apply (the engine diffs:
 *                                                           only changed tunnels restart)
 *   every SVC_POLL_MS                                   ->  engine_tunnel_status of each API
 *        tunnel; a change (UP/DOWN, message, routes)    ->  api_vpn_telemetry_update
 *                                                           (VgwTelemetry)
 *
 * A SIGHUP reload goes through the same composition (engine_runner_set_compose): the new
 * file's tunnels plus the store's in one engine_apply, so the API's tunnels keep their SAs.
 *
 * The desired tunnels come from the store, so a daemon restarted after a crash brings every
 * tunnel back without any API call. A tunnel of the file and one of the API with the same
 * <vpn-id> <index> cannot both run: the file's wins (logged).
 *
 * Outside addresses: svc_outside_pool_export() hands the file's `outside-address` pool (minus
 * the addresses the file's own tunnels use) to the API's allocator (GH_OUTSIDE_POOL,
 * docs/decisions.md D12) before the API allocates anything.
 *
 * Threads: everything on the loop's thread. Ownership: svc borrows the loop, store, API server,
 * engine and runner; free the svc before them (svc_free removes its change callback).
 * Errors: E_NOMEM; engine_apply's errors are logged, not returned (a tunnel that cannot start
 * is DOWN with a message).
 */
#ifndef GH_SVC_SVC_H
#define GH_SVC_SVC_H

#include <stddef.h>

#include "lib/err.h"

struct ev_loop;
struct store;
struct api_server;
struct engine;
struct engine_runner;
struct conf;

#define SVC_POLL_MS 1000 /* tunnel status -> VgwTelemetry */

struct svc_config {
	struct ev_loop *loop;   /* NULL: no poll timer (tests call svc_poll) */
	struct store *store;    /* required */
	struct api_server *api; /* NULL: no change callback (tests call svc_sync) */
	/* The engine: the runner's (with its file tunnels, SIGHUP reload) or a bare engine. */
	struct engine_runner *runner;
	struct engine *engine;   /* used when runner is NULL */
	const struct conf *file; /* with engine: file tunnels kept running (borrowed), or NULL */
};

struct svc;

/* Applies the desired tunnels at once and starts the poll timer. */
RESULT svc_new(const struct svc_config *cfg, struct svc **out);
void svc_free(struct svc *s);

/* Reconcile the engine with file + store now. E_NOMEM (then nothing changed). */
RESULT svc_sync(struct svc *s);
/* What the change callback does (for a caller that owns the callback: cfg.api NULL):
 * svc_sync, then svc_poll. */
void svc_api_changed(struct svc *s, const char *action);
/* Report the API tunnels' status changes to the store now. Returns how many were written. */
size_t svc_poll(struct svc *s);

/* Set GH_OUTSIDE_POOL to c's IPv4 `outside-address` pool minus the addresses its tunnels use,
 * "a,b,..." (the API's allocator reads it at every CreateVpnConnection). Nothing when c has
 * no pool. E_RANGE when nothing is left for the API, E_SYSTEM when setenv fails. */
RESULT svc_outside_pool_export(const struct conf *c);

#endif
