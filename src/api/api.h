/*
 * api/api.h - the EC2 Query API server (ec2-api.md sections 2-4).
 *
 * HTTP/1.1 comes from libmicrohttpd in "external epoll" mode: MHD owns an epoll descriptor that
 * we register with the daemon's one event loop (src/lib/ev.h) and we call MHD_run() when it is
 * readable or when MHD's own timeout (armed as an ev timer) expires. So every request is handled
 * on the event-loop thread, one at a time, serialized with the store and its state-transition
 * timer: no locks. A request is: SigV4 check -> form decode -> Action lookup -> DryRun ->
 * store transaction -> handler -> commit -> answer (commit before respond).
 *
 * Adding an operation
 * -------------------
 * 1. Write the handler, an api_handler_fn (api/api_req.h), in your own file, e.g.
 *        result_t api_vpn_create(struct api_req *rq, struct api_resp *rs);
 *    It reads rq->params with api_get_str/api_get_bool/api_get_u64/api_get_strlist/
 *    api_filters_parse/api_page_parse, uses rq->store (the transaction is already open), writes
 *    its output members with xml_open/xml_str/xml_close on &rs->x, and fails with
 *    `return api_error(rs, 400, "Code", "message")`.
 * 2. Register it with ONE line in an X-macro list file:
 *        API_OP("CreateVpnConnection", api_vpn_create)
 *    Core operations are listed in api/api_ops.def; the VPN-connection operations go in
 *    api/api_vpn_ops.def (owned by the VPN helper). The line both declares the handler
 *    (api_handlers.h) and puts it in the dispatch table (api_ops.c); nothing else to edit.
 *
 * Threads: everything here runs on the event-loop thread.
 */
#ifndef GH_API_H
#define GH_API_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct ev_loop;
struct store;
struct api_server;

#define API_BODY_MAX_DEFAULT (1u << 20) /* 1 MiB; larger bodies get 413 */
#define API_CONN_TIMEOUT_S 30
#define API_CONN_LIMIT 512

struct api_config {
	const char *listen; /* "127.0.0.1:5000", "[::1]:5000"; port 0 = any free port */
	const char *access_key;
	const char *secret_key;
	const char *region;
	size_t body_max; /* 0 = API_BODY_MAX_DEFAULT */
};

/* Start listening. The strings in cfg are copied. Errors: E_INVAL (bad listen address),
 * E_SYSTEM (cannot bind). */
RESULT api_server_new(struct ev_loop *loop, struct store *st, const struct api_config *cfg,
                      struct api_server **out);
void api_server_free(struct api_server *srv);
/* Called on the loop thread after every committed request that may have changed the store
 * (any action not starting with Describe/Get), before the response is sent: the hook for the
 * engine to reconcile with the stored desired state. One callback; NULL removes it. */
typedef void (*api_change_cb)(void *arg, const char *action);
void api_server_set_change_cb(struct api_server *srv, api_change_cb cb, void *arg);

/* The bound port (useful with port 0). */
uint16_t api_server_port(const struct api_server *srv);

/* ---- other AWS JSON protocols on the same port (awsJson1_1), e.g. ACM ----
 * A request carrying "X-Amz-Target: <prefix><Op>" for a registered prefix is verified with
 * SigV4 for `sigv4_service` (instead of "ec2"), then handed to fn with <Op>, inside a store
 * transaction that is committed when fn sets *status to 200 and rolled back otherwise. fn
 * writes the whole JSON answer (result or {"__type","message"}) to out. Answers go out with
 * Content-Type application/x-amz-json-1.1. Added for src/acm (Client VPN helper). */
struct wbuf;
typedef result_t (*api_json_fn)(void *arg, struct store *st, const char *region,
				const char *account, const char *op, const uint8_t *body,
				size_t len, struct wbuf *out, unsigned *status);
#define API_JSON_SERVICES_MAX 4
/* The strings must outlive the server (literals). E_RANGE when the table is full. */
RESULT api_server_add_json(struct api_server *srv, const char *target_prefix,
			   const char *sigv4_service, api_json_fn fn, void *arg);

#endif
