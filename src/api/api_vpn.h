/*
 * api/api_vpn.h - the Site-to-Site VPN connection operations (api_vpn*.c) and what they share.
 *
 * A connection is one store row of type vpn-connection: ref1 = customer gateway id, ref2 = the
 * VGW or TGW id ("" when not associated), doc = model_vpn_to_json(). The row's state column is
 * authoritative (the store moves pending -> available and deleting -> deleted on its timer);
 * the model's state is overwritten from it on load.
 *
 * Event-loop thread only, inside the dispatcher's transaction.
 */
#ifndef GH_API_VPN_H
#define GH_API_VPN_H

#include "api/api_handlers.h" /* the handlers, declared from api_vpn_ops.def */
#include "api/api_req.h"
#include "devcfg/devcfg.h"
#include "model/vpn.h"

#define API_VPN_POOL_ENV "GH_OUTSIDE_POOL"     /* "a.b.c.d/len" or "ip,ip,..." */
#define API_VPN_POOL_DEFAULT "198.51.100.0/24" /* documentation range: trials only */
#define API_T_TGW "transit-gateway"            /* store type of transit gateways */

/* A connection with its row. Free with api_vpn_fini (wipes the PSKs). */
struct api_vpn {
	struct store_res row;
	struct model_vpn_connection *c; /* heap */
};

/* Load (InvalidVpnConnectionID.NotFound when absent or of another type). */
RESULT api_vpn_load(struct api_req *rq, struct api_resp *rs, const char *id, struct api_vpn *v);
/* Persist the model into the row (doc, refs, state) and update it. */
RESULT api_vpn_save(struct api_req *rq, struct api_vpn *v);
void api_vpn_fini(struct api_vpn *v);

/* Customer gateway / gateway facts for the device files and rules. */
struct api_vpn_cgw {
	struct addr ip; /* family 0 when the CGW has none */
	uint32_t asn;
	bool available;
};
RESULT api_vpn_cgw_get(struct api_req *rq, struct api_resp *rs, const char *id,
                       struct api_vpn_cgw *out);
/* The VGW's or TGW's Amazon-side ASN (64512 when unknown). Checks that it exists and is not
 * deleted; `is_tgw` picks the type. */
RESULT api_vpn_gw_get(struct api_req *rq, struct api_resp *rs, const char *id, bool is_tgw,
                      uint32_t *amazon_asn);
/* devcfg peer for a connection (loads its CGW and gateway; missing ones give zeros). */
void api_vpn_peer(struct api_req *rq, const struct model_vpn_connection *c, struct devcfg_peer *p);
void api_vpn_peer_st(struct store *st, const struct model_vpn_connection *c, struct devcfg_peer *p);

/* Inside CIDRs of the other live connections on gateway gw_id (skip_id excluded). */
struct api_vpn_used {
	struct prefix *v4, *v6;
	size_t n4, n6, cap4, cap6;
};
RESULT api_vpn_used_cidrs(struct api_req *rq, const char *gw_id, const char *skip_id,
                          struct api_vpn_used *u);
void api_vpn_used_fini(struct api_vpn_used *u);
/* Give both tunnels of c distinct free outside addresses from the pool (VpnConnectionLimitExceeded
 * style error when the pool is exhausted). */
RESULT api_vpn_outside_alloc(struct api_req *rq, struct api_resp *rs,
                             struct model_vpn_connection *c);

/* Apply the tunnel options given under `prefix` ("Options.TunnelOptions.1." or
 * "TunnelOptions.") to o. *changed lists what was given (may be NULL). */
RESULT api_vpn_tunnel_opts_parse(struct api_req *rq, struct api_resp *rs, const char *prefix,
                                 struct model_tunnel_options *o, bool *any);
/* Report a model validation failure as the EC2 error it names. */
result_t api_vpn_model_error(struct api_resp *rs, result_t rc, const struct model_err *e);
/* Is CIDR p (prefix text) valid for the family? InvalidParameterValue otherwise. */
RESULT api_vpn_cidr_param(struct api_req *rq, struct api_resp *rs, const char *name, int family,
                          struct prefix *out);

/*
 * For the tunnel engine (event-loop thread, outside a request; opens and commits its own
 * transaction): record what a tunnel is doing, shown as VgwTelemetry. The tunnel is found by
 * its outside address. E_NOTFOUND when the connection or tunnel is gone.
 */
RESULT api_vpn_telemetry_update(struct store *st, const char *vpn_id, const struct addr *outside,
                                bool up, const char *status_message, uint32_t accepted_routes);

/*
 * For the daemon's glue to the tunnel engine (engine/engine.h takes a struct conf): the
 * desired tunnels of every pending/available connection in the store, two per connection,
 * built with model_vpn_tunnel_build (customer gateway address from its CGW; static routes of
 * static VGW connections as conf routes with CONF_ROUTE_PRIORITY_DEFAULT). *out is a calloc'd
 * array of *n struct conf_tunnel the caller owns: put it in a struct conf (conf_free wipes and
 * frees it) or wipe and free it. Event-loop thread, outside a request or inside one.
 */
struct conf_tunnel;
RESULT api_vpn_conf_tunnels(struct store *st, struct conf_tunnel **out, size_t *n);

/* <elem> VpnConnection </elem> (elem "vpnConnection" or "item"). */
void api_vpn_xml(struct api_req *rq, struct xml *x, const char *elem, const struct api_vpn *v);

#endif
