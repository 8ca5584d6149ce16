/*
 * api/api_handlers.h - prototypes of every operation handler, generated from the X-macro
 * lists api_ops.def (core) and api_vpn_ops.def (VPN connections). See api/api.h.
 */
#ifndef GH_API_HANDLERS_H
#define GH_API_HANDLERS_H

#include "api/api_req.h"

#define API_OP(name, fn) result_t fn(struct api_req *rq, struct api_resp *rs);
#define API_ROUTE_SOURCE(fn)                                                                       \
	result_t fn(struct store *st, const char *vgw_id, api_route_emit_fn emit, void *arg);
#include "api/api_ops.def"
#include "api/api_vpn_ops.def"
#undef API_OP
#undef API_ROUTE_SOURCE

struct api_op {
	const char *action;
	api_handler_fn handler;
};

/* The handler for an Action name; NULL when unknown. */
const struct api_op *api_op_find(const char *action);

#endif
