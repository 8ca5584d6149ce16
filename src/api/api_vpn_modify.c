/*
 * api/api_vpn_modify.c - ModifyVpnConnection, ModifyVpnConnectionOptions,
 * ModifyVpnTunnelOptions, Create/DeleteVpnConnectionRoute, ReplaceVpnTunnel,
 * GetVpnTunnelReplacementStatus (site-to-site.md 1.6, 1.7, 9.6, 9.7; docs/decisions.md D13).
 *
 * Without the engine, an endpoint "replacement" is instant: the affected tunnels are marked
 * DOWN with a new status-change time (the engine brings them back), and a tunnel replacement
 * records LastMaintenanceApplied.
 */
#include "api/api_vpn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const live_states[] = {"pending", "available", "deleting", NULL};

/* Load a connection that may be modified (pending or available). */
static result_t load_modifiable(struct api_req *rq, struct api_resp *rs, struct api_vpn *v)
{
	const char *id;

	GUARD(api_get_str(rq, rs, "VpnConnectionId", true, &id));
	GUARD(api_vpn_load(rq, rs, id, v));
	if (v->c->state != MODEL_VPN_AVAILABLE && v->c->state != MODEL_VPN_PENDING) {
		result_t rc = api_error(rs, 400, "InvalidVpnConnection.InvalidState",
		                        "The VPN connection '%.64s' is in state %s; it must be "
		                        "available.",
		                        id, model_vpn_state_name(v->c->state));

		api_vpn_fini(v);
		return rc;
	}
	return E_OK;
}

/* Endpoint replacement: the tunnel is briefly down (G:594-602). */
static void tunnel_replaced(struct model_vpn_tunnel *t, int64_t now_s)
{
	t->up = false;
	t->last_status_change_s = now_s;
	snprintf(t->status_message, sizeof(t->status_message), "%s", "");
}

static result_t load_tunnel(struct api_req *rq, struct api_resp *rs, struct api_vpn *v, int *ti)
{
	const char *ip;

	GUARD(load_modifiable(rq, rs, v));
	if (api_get_str(rq, rs, "VpnTunnelOutsideIpAddress", true, &ip) != E_OK) {
		api_vpn_fini(v);
		return E_API;
	}
	*ti = model_vpn_tunnel_by_outside(v->c, ip);
	if (*ti < 0) {
		result_t rc = api_error(rs, 400, "InvalidParameterValue",
		                        "The VPN tunnel outside IP address '%.64s' does not belong "
		                        "to the VPN connection '%s'.",
		                        ip, v->c->id);

		api_vpn_fini(v);
		return rc;
	}
	return E_OK;
}

/* Save and answer <vpnConnection>, then free. */
static result_t answer_vpn(struct api_req *rq, struct api_resp *rs, struct api_vpn *v)
{
	result_t rc = api_vpn_save(rq, v);

	if (rc == E_OK)
		api_vpn_xml(rq, &rs->x, "vpnConnection", v);
	api_vpn_fini(v);
	return rc;
}

/* ---- ModifyVpnConnection ---- */

/* Moving to another gateway: the rules a new connection there would meet (D7, D11). */
static result_t modify_gateway_checks(struct api_req *rq, struct api_resp *rs,
                                      const struct model_vpn_connection *c, const char *old_gw)
{
	struct api_vpn_used u;
	struct model_err e = {0};
	size_t n = 0;
	result_t rc = E_OK;

	/* G:4280: VGW with static routes -> TGW needs the routes deleted first. */
	if (c->tgw_id[0] && c->nroutes > 0 && strncmp(old_gw, "vgw-", 4) == 0)
		return api_error(
		    rs, 400, "IncorrectState",
		    "Delete the static routes of VPN connection '%s' before moving it "
		    "to a transit gateway (add them to the transit gateway route table).",
		    c->id);
	if (strcmp(old_gw, c->tgw_id[0] ? c->tgw_id : c->vgw_id) == 0)
		return E_OK; /* same gateway: nothing moves */
	if (c->vgw_id[0]) {
		GUARD(store_res_count(rq->store, STORE_T_VPN, NULL, c->vgw_id, live_states, &n));
		if (n >= MODEL_VPN_PER_VGW_MAX)
			return api_error(rs, 400, "VpnConnectionLimitExceeded",
			                 "The virtual private gateway '%s' already has the maximum "
			                 "of %d VPN connections.",
			                 c->vgw_id, MODEL_VPN_PER_VGW_MAX);
		GUARD(api_vpn_used_cidrs(rq, c->vgw_id, c->id, &u));
		for (size_t i = 0; rc == E_OK && i < MODEL_VPN_TUNNELS; i++)
			rc = model_inside_cidr_unique(&c->tunnels[i].opt.inside_cidr, u.v4, u.n4,
			                              &e);
		api_vpn_used_fini(&u);
	} else if (c->tgw_id[0]) {
		GUARD(api_vpn_used_cidrs(rq, c->tgw_id, c->id, &u));
		for (size_t i = 0; rc == E_OK && i < MODEL_VPN_TUNNELS; i++)
			if (c->tunnels[i].opt.has_inside_ipv6)
				rc = model_inside_cidr_unique(&c->tunnels[i].opt.inside_ipv6_cidr,
				                              u.v6, u.n6, &e);
		api_vpn_used_fini(&u);
	}
	return rc == E_OK ? E_OK : api_vpn_model_error(rs, rc, &e);
}

static result_t modify_apply(struct api_req *rq, struct api_resp *rs, struct api_vpn *v,
                             const char *cgw, const char *vgw, const char *tgw)
{
	struct model_vpn_connection *c = v->c;
	struct api_vpn_cgw info;
	struct model_err e = {0};
	char old_gw[MODEL_ID_MAX];
	uint32_t asn;
	result_t rc;

	snprintf(old_gw, sizeof(old_gw), "%s", c->tgw_id[0] ? c->tgw_id : c->vgw_id);
	if (cgw) {
		GUARD(api_vpn_cgw_get(rq, rs, cgw, &info));
		if (!info.available)
			return api_error(rs, 400, "InvalidCustomerGatewayState",
			                 "The customer gateway '%.64s' is not available.", cgw);
		snprintf(c->cgw_id, sizeof(c->cgw_id), "%.31s", cgw);
	} else {
		GUARD(api_vpn_cgw_get(rq, rs, c->cgw_id, &info));
	}
	if (vgw || tgw) {
		GUARD(api_vpn_gw_get(rq, rs, vgw ? vgw : tgw, tgw != NULL, &asn));
		snprintf(c->vgw_id, sizeof(c->vgw_id), "%.31s", vgw ? vgw : "");
		snprintf(c->tgw_id, sizeof(c->tgw_id), "%.31s", tgw ? tgw : "");
		GUARD(modify_gateway_checks(rq, rs, c, old_gw));
	}
	/* D16: one live connection per CGW and VGW pair; the stored row still has the old pair,
	 * so a match is another connection. */
	if (c->vgw_id[0] && (cgw || vgw)) {
		size_t n = 0;

		GUARD(
		    store_res_count(rq->store, STORE_T_VPN, c->cgw_id, c->vgw_id, live_states, &n));
		if (n > 0 &&
		    !(strcmp(v->row.ref1, c->cgw_id) == 0 && strcmp(v->row.ref2, c->vgw_id) == 0))
			return api_error(
			    rs, 400, "InvalidOption.Conflict",
			    "A VPN connection between customer gateway '%s' and virtual "
			    "private gateway '%s' already exists.",
			    c->cgw_id, c->vgw_id);
	}
	rc = model_vpn_validate(c, info.ip.family != 0, &e);
	if (rc != E_OK)
		return api_vpn_model_error(rs, rc, &e);
	/* Both endpoints are replaced: both tunnels are briefly down (G:599-600). */
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		tunnel_replaced(&c->tunnels[i], store_now_ms() / 1000);
	return E_OK;
}

result_t api_vpn_modify(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	const char *cgw = api_param(&rq->params, "CustomerGatewayId");
	const char *vgw = api_param(&rq->params, "VpnGatewayId");
	const char *tgw = api_param(&rq->params, "TransitGatewayId");
	result_t rc;

	if (vgw && tgw)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "Specify either VpnGatewayId or TransitGatewayId, not both.");
	if (!cgw && !vgw && !tgw)
		return api_error(rs, 400, "MissingParameter",
		                 "Specify CustomerGatewayId, VpnGatewayId or TransitGatewayId.");
	GUARD(load_modifiable(rq, rs, &v));
	rc = modify_apply(rq, rs, &v, cgw, vgw, tgw);
	if (rc != E_OK) {
		api_vpn_fini(&v);
		return rc;
	}
	return answer_vpn(rq, rs, &v);
}

/* ---- ModifyVpnConnectionOptions ---- */

result_t api_vpn_modify_options(struct api_req *rq, struct api_resp *rs)
{
	static const struct {
		const char *name;
		int family;
		size_t off;
	} cidrs[] = {
	    {"LocalIpv4NetworkCidr", AF_INET, offsetof(struct model_vpn_options, local_ipv4_cidr)},
	    {"RemoteIpv4NetworkCidr", AF_INET,
	     offsetof(struct model_vpn_options, remote_ipv4_cidr)},
	    {"LocalIpv6NetworkCidr", AF_INET6, offsetof(struct model_vpn_options, local_ipv6_cidr)},
	    {"RemoteIpv6NetworkCidr", AF_INET6,
	     offsetof(struct model_vpn_options, remote_ipv6_cidr)},
	};
	struct api_vpn v;
	struct model_err e = {0};
	const char *bw = api_param(&rq->params, "TunnelBandwidth");
	result_t rc = E_OK;

	GUARD(load_modifiable(rq, rs, &v));
	for (size_t i = 0; rc == E_OK && i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		bool v6 = cidrs[i].family == AF_INET6;

		if (!api_param(&rq->params, cidrs[i].name))
			continue;
		if (v6 != v.c->opt.tunnel_inside_ipv6) {
			rc =
			    api_error(rs, 400, "InvalidParameterCombination",
			              "%s cannot be set on a VPN connection whose tunnels carry %s "
			              "traffic.",
			              cidrs[i].name, v.c->opt.tunnel_inside_ipv6 ? "IPv6" : "IPv4");
			break;
		}
		rc = api_vpn_cidr_param(rq, rs, cidrs[i].name, cidrs[i].family,
		                        (struct prefix *)((char *)&v.c->opt + cidrs[i].off));
	}
	if (rc == E_OK && bw &&
	    model_tunnel_bandwidth_parse(bw, &v.c->opt.tunnel_bandwidth) != E_OK)
		rc =
		    api_error(rs, 400, "InvalidParameterValue",
		              "Invalid value '%.32s' for TunnelBandwidth. Valid values: standard | "
		              "large.",
		              bw);
	if (rc == E_OK) {
		rc = model_vpn_validate(v.c, true, &e);
		if (rc != E_OK)
			rc = api_vpn_model_error(rs, rc, &e);
	}
	if (rc != E_OK) {
		api_vpn_fini(&v);
		return rc;
	}
	/* Outside addresses and tunnel options stay; both tunnels are briefly down (G:4352). */
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		tunnel_replaced(&v.c->tunnels[i], store_now_ms() / 1000);
	return answer_vpn(rq, rs, &v);
}

/* ---- ModifyVpnTunnelOptions ---- */

static result_t lifecycle_change(struct api_req *rq, struct api_resp *rs,
                                 struct model_vpn_tunnel *t, bool was_on)
{
	bool skip = false;
	int64_t now = store_now_ms() / 1000;

	GUARD(api_get_bool(rq, rs, "SkipTunnelReplacement", false, &skip));
	if (t->opt.lifecycle_control == was_on)
		return E_OK;
	/* G:746: turning it off while maintenance is pending cannot skip the replacement. */
	if (!t->opt.lifecycle_control && t->pending_maintenance && skip)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "SkipTunnelReplacement cannot be used to turn off tunnel endpoint "
		                 "lifecycle control while maintenance is pending.");
	/* G:651 (on) and G:746 (off): the change triggers a replacement unless skipped. */
	if (!skip || t->pending_maintenance) {
		t->pending_maintenance = false;
		t->maintenance_auto_applied_after_s = 0;
		t->last_maintenance_applied_s = now;
	}
	return E_OK;
}

static result_t tunnel_options_apply(struct api_req *rq, struct api_resp *rs, struct api_vpn *v,
                                     int ti)
{
	struct model_vpn_tunnel *t = &v->c->tunnels[ti];
	struct model_tunnel_options before = t->opt;
	struct api_vpn_cgw info;
	struct api_vpn_used u;
	struct model_err e = {0};
	result_t rc;

	GUARD(api_vpn_tunnel_opts_parse(rq, rs, "TunnelOptions.", &t->opt, NULL));
	GUARD(api_vpn_cgw_get(rq, rs, v->c->cgw_id, &info));
	rc = model_vpn_validate(v->c, info.ip.family != 0, &e);
	if (rc == E_OK && v->c->vgw_id[0] &&
	    !prefix_equal(&before.inside_cidr, &t->opt.inside_cidr)) {
		GUARD(api_vpn_used_cidrs(rq, v->c->vgw_id, v->c->id, &u));
		rc = model_inside_cidr_unique(&t->opt.inside_cidr, u.v4, u.n4, &e);
		api_vpn_used_fini(&u);
	}
	if (rc == E_OK && v->c->tgw_id[0] && t->opt.has_inside_ipv6 &&
	    !prefix_equal(&before.inside_ipv6_cidr, &t->opt.inside_ipv6_cidr)) {
		GUARD(api_vpn_used_cidrs(rq, v->c->tgw_id, v->c->id, &u));
		rc = model_inside_cidr_unique(&t->opt.inside_ipv6_cidr, u.v6, u.n6, &e);
		api_vpn_used_fini(&u);
	}
	if (rc != E_OK)
		return api_vpn_model_error(rs, rc, &e);
	if (t->opt.has_inside_ipv6 != before.has_inside_ipv6 && !v->c->opt.tunnel_inside_ipv6)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "The tunnel inside IP version cannot be changed.");
	GUARD(lifecycle_change(rq, rs, t, before.lifecycle_control));
	/* Only this tunnel's endpoint is replaced (G:4369). */
	tunnel_replaced(t, store_now_ms() / 1000);
	return E_OK;
}

result_t api_vpn_modify_tunnel_options(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	int ti;
	result_t rc;

	GUARD(load_tunnel(rq, rs, &v, &ti));
	rc = tunnel_options_apply(rq, rs, &v, ti);
	if (rc != E_OK) {
		api_vpn_fini(&v);
		return rc;
	}
	return answer_vpn(rq, rs, &v);
}

/* ---- static routes ---- */

static result_t route_prepare(struct api_req *rq, struct api_resp *rs, struct api_vpn *v,
                              struct prefix *p)
{
	const char *cidr;

	GUARD(api_get_str(rq, rs, "DestinationCidrBlock", true, &cidr));
	GUARD(load_modifiable(rq, rs, v));
	if (prefix_parse(cidr, false, p) != E_OK || p->addr.family != AF_INET) {
		api_vpn_fini(v);
		return api_error(
		    rs, 400, "InvalidRoute.Malformed",
		    "The destination CIDR block '%.64s' is not a valid IPv4 CIDR block.", cidr);
	}
	/* G:4391: static routes only on static-routing connections on a VGW. */
	if (!v->c->opt.static_routes_only || !v->c->vgw_id[0]) {
		result_t rc = api_error(rs, 400, "InvalidVpnConnection.InvalidType",
		                        "The VPN connection '%s' %s.", v->c->id,
		                        !v->c->vgw_id[0]
		                            ? "is not on a virtual private gateway (static routes "
		                              "of a transit gateway live in its route table)"
		                            : "uses dynamic (BGP) routing; static routes are not "
		                              "supported");

		api_vpn_fini(v);
		return rc;
	}
	return E_OK;
}

static result_t route_change(struct api_req *rq, struct api_resp *rs, bool add)
{
	struct api_vpn v;
	struct prefix p;
	char s[PREFIX_STRLEN];
	result_t rc;

	GUARD(route_prepare(rq, rs, &v, &p));
	prefix_format(&p, s);
	rc = add ? model_vpn_route_add(v.c, &p) : model_vpn_route_del(v.c, &p);
	if (rc == E_EXISTS)
		rc = api_error(rs, 400, "RouteAlreadyExists",
		               "The route %s already exists on VPN connection '%s'.", s, v.c->id);
	else if (rc == E_RANGE)
		rc = api_error(rs, 400, "RouteLimitExceeded",
		               "VPN connection '%s' already has the maximum of %d static routes.",
		               v.c->id, MODEL_VPN_ROUTES_MAX);
	else if (rc == E_NOTFOUND)
		rc = api_error(rs, 400, "InvalidRoute.NotFound",
		               "The route %s does not exist on VPN connection '%s'.", s, v.c->id);
	if (rc == E_OK)
		rc = api_vpn_save(rq, &v);
	api_vpn_fini(&v);
	if (rc == E_OK)
		xml_bool(&rs->x, "return", true);
	return rc;
}

result_t api_vpn_route_create(struct api_req *rq, struct api_resp *rs)
{
	return route_change(rq, rs, true);
}

result_t api_vpn_route_delete(struct api_req *rq, struct api_resp *rs)
{
	return route_change(rq, rs, false);
}

/* ---- tunnel replacement (lifecycle control) ---- */

result_t api_vpn_tunnel_replace(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	bool apply = false;
	int ti;
	result_t rc;

	GUARD(load_tunnel(rq, rs, &v, &ti));
	rc = api_get_bool(rq, rs, "ApplyPendingMaintenance", false, &apply);
	if (rc == E_OK) {
		struct model_vpn_tunnel *t = &v.c->tunnels[ti];

		t->pending_maintenance = false;
		t->maintenance_auto_applied_after_s = 0;
		t->last_maintenance_applied_s = store_now_ms() / 1000;
		tunnel_replaced(t, t->last_maintenance_applied_s);
		rc = api_vpn_save(rq, &v);
	}
	api_vpn_fini(&v);
	if (rc == E_OK)
		xml_bool(&rs->x, "return", true);
	return rc;
}

result_t api_vpn_tunnel_replacement_status(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	const struct model_vpn_tunnel *t;
	char ts[32], a[ADDR_STRLEN];
	int ti;

	GUARD(load_tunnel(rq, rs, &v, &ti));
	t = &v.c->tunnels[ti];
	xml_str(&rs->x, "vpnConnectionId", v.c->id);
	if (v.c->tgw_id[0])
		xml_str(&rs->x, "transitGatewayId", v.c->tgw_id);
	xml_str(&rs->x, "customerGatewayId", v.c->cgw_id);
	if (v.c->vgw_id[0])
		xml_str(&rs->x, "vpnGatewayId", v.c->vgw_id);
	addr_format(&t->outside_ip, a);
	xml_str(&rs->x, "vpnTunnelOutsideIpAddress", a);
	xml_open(&rs->x, "maintenanceDetails");
	xml_str(&rs->x, "pendingMaintenance", t->pending_maintenance ? "Available" : "None");
	if (t->maintenance_auto_applied_after_s) {
		api_iso8601_ms(t->maintenance_auto_applied_after_s * 1000, ts);
		xml_str(&rs->x, "maintenanceAutoAppliedAfter", ts);
	}
	if (t->last_maintenance_applied_s) {
		api_iso8601_ms(t->last_maintenance_applied_s * 1000, ts);
		xml_str(&rs->x, "lastMaintenanceApplied", ts);
	}
	xml_close(&rs->x);
	api_vpn_fini(&v);
	return E_OK;
}
