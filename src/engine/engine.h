/*
 * engine/engine.h - the tunnel engine: joins the IKEv2 control plane (ike/ike.h) and the ESP
 * data plane (dp/dp.h) into the running gateway.
 *
 * Desired state in, running state out: engine_apply() takes a validated configuration (from
 * the file, conf/conf.h, or built by the API from the same model objects), diffs it against
 * the running tunnels and reconciles:
 *   - a tunnel that is new is started; one that is gone is deleted (IKE DELETE sent);
 *   - a tunnel whose options or addresses changed is restarted, and ONLY that tunnel
 *     (G:4369: "Only the modified tunnel is unavailable");
 *   - a tunnel whose routes alone changed keeps its SAs; only its routes are updated.
 *
 * Per tunnel: an ike_tunnel (callbacks child_sa_up/child_sa_down/tunnel_status), a data-plane
 * tunnel with the inside address (AWS side = first host of the inside /30, G:1555), its SAs
 * (inbound installed before outbound, the old pair removed only when IKE says so: make before
 * break on rekey), and its routes to the customer network. Forwarding preference for one
 * prefix (site-to-site.md 4.2 B): a healthy (UP) tunnel first, then longest prefix, then the
 * lower route priority, then the lower tunnel index - ONE kernel route per prefix, into the
 * preferred tunnel's TUN device, re-pointed when health changes (engine/kroute.c), with a metric
 * built from health and priority (engine_route_metric); the data plane orders paths within one
 * TUN. AcceptedRouteCount (accepted_route_count) stays per tunnel.
 *
 * Status: UP only while an IKE SA and a CHILD SA are up (J:25, G:5455), with the wall-clock
 * time of the last change and a status message (VgwTelemetry: Status, LastStatusChange,
 * StatusMessage). Read it with engine_tunnel_status().
 *
 * Threads: everything here runs on the loop's thread (the IKE callbacks and data-plane events
 * arrive there too). Not thread-safe.
 * Ownership: the engine copies what it needs from the configuration; the caller keeps and
 * frees its struct conf. engine_free() deletes every tunnel (IKE DELETE), frees the data planes.
 * Errors: E_NOMEM, E_SYSTEM/E_TUN (data plane), E_INVAL, E_NOTFOUND (status of an unknown
 * tunnel); a tunnel that cannot start is reported in its status, not as an apply failure.
 */
#ifndef GH_ENGINE_ENGINE_H
#define GH_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "lib/err.h"
#include "lib/ev.h"

struct engine;

#define ENGINE_STATUS_MSG_MAX 128
/* Kernel route metric of a tunnel that is not UP: after every healthy path (4.2 B.2). */
#define ENGINE_METRIC_UNHEALTHY (1u << 20)
#define ENGINE_ROUTE_PRIORITY_MAX 65535u

struct engine_options {
	uint16_t ike_port;    /* 0: 500 (tests may use other ports) */
	uint16_t natt_port;   /* 0: 4500 */
	bool force_natt;      /* float to UDP 4500 even without NAT */
	char tun_prefix[8];   /* TUN devices are <prefix><n>; "" = "gh" */
	uint32_t route_table; /* kernel table for customer routes; 0 = main */
};

/* opt may be NULL (defaults). Applies `c` (may be NULL: no tunnels). */
RESULT engine_new(struct ev_loop *loop, const struct engine_options *opt, const struct conf *c,
                  struct engine **out);
void engine_free(struct engine *e);

/* Reconcile the running tunnels to `c` (validated by conf_parse_*). Returns E_OK when every
 * change was made (tunnels that fail to come up are DOWN with a message, not an error). */
RESULT engine_apply(struct engine *e, const struct conf *c);

/* What the API's VgwTelemetry shows for one tunnel. */
struct engine_tunnel_status {
	bool up;                      /* IKE SA and CHILD SA up */
	bool ike_up;                  /* what IKE reported last */
	int64_t last_status_change_s; /* wall clock (UNIX seconds) */
	char status_message[ENGINE_STATUS_MSG_MAX];
	struct addr outside_local;
	uint32_t accepted_route_count; /* routes installed for the tunnel */
	uint64_t bytes_in, bytes_out;  /* inner bytes of the current SA pair (TunnelDataIn/Out) */
	uint64_t last_inbound_ms;      /* clock_mono_ms of the last authenticated ESP packet */
};

/* E_NOTFOUND when no such tunnel runs. */
RESULT engine_tunnel_status(const struct engine *e, const char *vpn_id, unsigned index,
                            struct engine_tunnel_status *out);

/* Operator/test actions on one running tunnel. E_NOTFOUND, E_STATE. */
RESULT engine_tunnel_rekey_child(struct engine *e, const char *vpn_id, unsigned index);
RESULT engine_tunnel_rekey_ike(struct engine *e, const char *vpn_id, unsigned index);

/* Kernel route metric for a path: health first, then the configured priority. */
uint32_t engine_route_metric(bool healthy, uint32_t priority);

/* Number of running tunnels. */
size_t engine_tunnel_count(const struct engine *e);

/*
 * ---- Running from a configuration file (gatehoused --config FILE) ----
 *
 * engine_runner_start loads the file (problems are logged as file:line and E_PARSE returned),
 * sets the log level it names, starts the engine and re-reads the file on SIGHUP: a valid new
 * file is applied as a diff (engine_apply), a file with problems is refused and the running
 * configuration stays. The runner must be freed after the loop stopped dispatching (the SIGHUP
 * watcher lives in it). Add the loop's other signals (SIGTERM ...) BEFORE this call: the data
 * plane's threads start here and inherit the blocked-signal mask. engine_runner_conf gives the
 * configuration in force (listen address, data directory, credentials for the daemon's other
 * parts).
 */
struct engine_runner;
RESULT engine_runner_start(struct ev_loop *loop, const char *path, const struct engine_options *opt,
                           struct engine_runner **out);
/* The same with a configuration already parsed from `path` (ownership of c is taken, also on
 * failure): the daemon reads the file first for its listen address and data directory. */
RESULT engine_runner_start_conf(struct ev_loop *loop, const char *path, struct conf *c,
                                const struct engine_options *opt, struct engine_runner **out);
RESULT engine_runner_reload(struct engine_runner *r);
/* The desired state on reload: fn gets the new file's configuration (borrowed; it is in force
 * once fn returns E_OK) and returns in *desired a configuration of its own that engine_apply
 * gets (freed by the runner with conf_free; its tunnels must not point into `file`). An error
 * refuses the reload: the running configuration stays. NULL fn: the file alone. */
typedef result_t (*engine_runner_compose_fn)(void *arg, const struct conf *file,
                                             struct conf **desired);
void engine_runner_set_compose(struct engine_runner *r, engine_runner_compose_fn fn, void *arg);
const struct conf *engine_runner_conf(const struct engine_runner *r);
struct engine *engine_runner_engine(struct engine_runner *r);
void engine_runner_free(struct engine_runner *r);

#endif
