/*
 * api/api_vpn_ops.c - CreateVpnConnection, DeleteVpnConnection, DescribeVpnConnections.
 *
 * Rules: site-to-site.md section 1.5 (fields, lifecycle, quotas), section 2 (tunnel options,
 * via src/model), docs/decisions.md D5-D12.
 */
#include "api/api_vpn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

static const char *const live_states[] = {"pending", "available", "deleting", NULL};

/* ---- CreateVpnConnection ---- */

static result_t create_conn_options(struct api_req *rq, struct api_resp *rs,
                                    struct model_vpn_options *o)
{
	const char *v;
	result_t rc;

	GUARD(api_get_bool(rq, rs, "Options.StaticRoutesOnly", false, &o->static_routes_only));
	GUARD(api_get_bool(rq, rs, "Options.EnableAcceleration", false, &o->enable_acceleration));
	v = api_param(&rq->params, "Options.TunnelInsideIpVersion");
	if (v && strcmp(v, "ipv4") != 0 && strcmp(v, "ipv6") != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.32s' for TunnelInsideIpVersion. Valid values: "
		                 "ipv4 | ipv6.",
		                 v);
	o->tunnel_inside_ipv6 = v && strcmp(v, "ipv6") == 0;
	static const struct {
		const char *name;
		int family;
		size_t off;
	} cidrs[] = {
	    {"Options.LocalIpv4NetworkCidr", AF_INET,
	     offsetof(struct model_vpn_options, local_ipv4_cidr)},
	    {"Options.RemoteIpv4NetworkCidr", AF_INET,
	     offsetof(struct model_vpn_options, remote_ipv4_cidr)},
	    {"Options.LocalIpv6NetworkCidr", AF_INET6,
	     offsetof(struct model_vpn_options, local_ipv6_cidr)},
	    {"Options.RemoteIpv6NetworkCidr", AF_INET6,
	     offsetof(struct model_vpn_options, remote_ipv6_cidr)},
	};
	for (size_t i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		rc = api_vpn_cidr_param(rq, rs, cidrs[i].name, cidrs[i].family,
		                        (struct prefix *)((char *)o + cidrs[i].off));
		if (rc != E_OK && rc != E_NOTFOUND)
			return rc;
	}
	v = api_param(&rq->params, "Options.OutsideIpAddressType");
	if (v && model_outside_ip_type_parse(v, &o->outside_ip_type) != E_OK)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.32s' for OutsideIpAddressType. Valid values: "
		                 "PrivateIpv4 | PublicIpv4 | Ipv6.",
		                 v);
	v = api_param(&rq->params, "Options.TransportTransitGatewayAttachmentId");
	if (v)
		snprintf(o->transport_attachment_id, sizeof(o->transport_attachment_id), "%.31s",
		         v);
	v = api_param(&rq->params, "Options.TunnelBandwidth");
	if (v && model_tunnel_bandwidth_parse(v, &o->tunnel_bandwidth) != E_OK)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.32s' for TunnelBandwidth. Valid values: "
		                 "standard | large.",
		                 v);
	return E_OK;
}

static result_t create_tunnel_options(struct api_req *rq, struct api_resp *rs,
                                      struct model_vpn_connection *c)
{
	uint32_t idx[4];
	size_t n = api_param_indices(&rq->params, "Options.TunnelOptions", idx, 4);
	char prefix[64];

	for (size_t i = 0; i < n; i++) {
		/* botocore leaves out empty structures, so N is the tunnel number itself. */
		if (idx[i] < 1 || idx[i] > MODEL_VPN_TUNNELS)
			return api_error(rs, 400, "InvalidParameterValue",
			                 "A VPN connection has exactly two tunnels: "
			                 "Options.TunnelOptions.%u is not valid.",
			                 idx[i]);
		snprintf(prefix, sizeof(prefix), "Options.TunnelOptions.%u.", idx[i]);
		GUARD(api_vpn_tunnel_opts_parse(rq, rs, prefix, &c->tunnels[idx[i] - 1].opt, NULL));
	}
	return E_OK;
}

static result_t create_quotas(struct api_req *rq, struct api_resp *rs,
                              const struct model_vpn_connection *c)
{
	size_t n = 0;

	GUARD(store_res_count(rq->store, STORE_T_VPN, NULL, NULL, live_states, &n));
	if (n >= MODEL_VPN_PER_REGION_MAX)
		return api_error(rs, 400, "VpnConnectionLimitExceeded",
		                 "You have reached the limit of %d VPN connections in this Region.",
		                 MODEL_VPN_PER_REGION_MAX);
	if (c->vgw_id[0]) {
		GUARD(store_res_count(rq->store, STORE_T_VPN, NULL, c->vgw_id, live_states, &n));
		if (n >= MODEL_VPN_PER_VGW_MAX)
			return api_error(rs, 400, "VpnConnectionLimitExceeded",
			                 "The virtual private gateway '%s' already has the maximum "
			                 "of %d VPN connections.",
			                 c->vgw_id, MODEL_VPN_PER_VGW_MAX);
		/* One connection per CGW and VGW pair (ec2-api.md: InvalidOption.Conflict). */
		GUARD(
		    store_res_count(rq->store, STORE_T_VPN, c->cgw_id, c->vgw_id, live_states, &n));
		if (n > 0)
			return api_error(
			    rs, 400, "InvalidOption.Conflict",
			    "A VPN connection between customer gateway '%s' and virtual "
			    "private gateway '%s' already exists.",
			    c->cgw_id, c->vgw_id);
	}
	return E_OK;
}

/* User-given inside CIDRs must be free on the same VGW (IPv4) / TGW (IPv6); then fill the
 * generated values (D7, D8). */
static result_t create_inside(struct api_req *rq, struct api_resp *rs,
                              struct model_vpn_connection *c)
{
	struct api_vpn_used u;
	struct model_err e = {0};
	const char *gw = c->tgw_id[0] ? c->tgw_id : c->vgw_id;
	result_t rc;

	GUARD(api_vpn_used_cidrs(rq, gw, NULL, &u));
	/* On a TGW the IPv4 /30 need not be unique (G:371): don't pass the TGW's list. */
	if (c->tgw_id[0]) {
		free(u.v4);
		u.v4 = NULL;
		u.n4 = u.cap4 = 0;
	}
	rc = E_OK;
	for (size_t i = 0; rc == E_OK && i < MODEL_VPN_TUNNELS; i++) {
		const struct model_tunnel_options *o = &c->tunnels[i].opt;

		if (o->inside_cidr.addr.family)
			rc = model_inside_cidr_unique(&o->inside_cidr, u.v4, u.n4, &e);
		if (rc == E_OK && o->has_inside_ipv6)
			rc = model_inside_cidr_unique(&o->inside_ipv6_cidr, u.v6, u.n6, &e);
	}
	if (rc == E_OK)
		rc = model_vpn_fill_generated(c, u.v4, u.n4, u.v6, u.n6);
	api_vpn_used_fini(&u);
	return rc == E_OK ? E_OK : api_vpn_model_error(rs, rc, &e);
}

static result_t create_gateways(struct api_req *rq, struct api_resp *rs,
                                struct model_vpn_connection *c, struct api_vpn_cgw *cgw,
                                uint32_t *amazon_asn)
{
	const char *type, *cgw_id, *vgw, *tgw;
	uint32_t asn = 0;

	GUARD(api_get_str(rq, rs, "CustomerGatewayId", true, &cgw_id));
	GUARD(api_get_str(rq, rs, "Type", true, &type));
	if (strcmp(type, MODEL_VPN_TYPE) != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.32s' for Type. The supported type is ipsec.1.",
		                 type);
	vgw = api_param(&rq->params, "VpnGatewayId");
	tgw = api_param(&rq->params, "TransitGatewayId");
	if (vgw && tgw)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "Specify either VpnGatewayId or TransitGatewayId, not both.");
	GUARD(api_vpn_cgw_get(rq, rs, cgw_id, cgw));
	if (!cgw->available)
		return api_error(rs, 400, "InvalidCustomerGatewayState",
		                 "The customer gateway '%.64s' is not available.", cgw_id);
	if (vgw)
		GUARD(api_vpn_gw_get(rq, rs, vgw, false, &asn));
	if (tgw)
		GUARD(api_vpn_gw_get(rq, rs, tgw, true, &asn));
	snprintf(c->cgw_id, sizeof(c->cgw_id), "%.31s", cgw_id);
	snprintf(c->vgw_id, sizeof(c->vgw_id), "%.31s", vgw ? vgw : "");
	snprintf(c->tgw_id, sizeof(c->tgw_id), "%.31s", tgw ? tgw : "");
	*amazon_asn = asn;
	return E_OK;
}

static result_t create_insert(struct api_req *rq, struct api_resp *rs, struct api_vpn *v,
                              const struct store_tags *tags)
{
	char *json = NULL;
	result_t rc;

	GUARD(store_id_new(rq->store, "vpn", v->row.id));
	snprintf(v->c->id, sizeof(v->c->id), "%.31s", v->row.id);
	store_res_init(&v->row, STORE_T_VPN, v->c->id, "pending");
	v->row.created_ms = store_now_ms();
	v->c->created_s = v->row.created_ms / 1000;
	v->c->state_changed_s = v->c->created_s;
	snprintf(v->row.ref1, sizeof(v->row.ref1), "%s", v->c->cgw_id);
	snprintf(v->row.ref2, sizeof(v->row.ref2), "%s",
	         v->c->tgw_id[0] ? v->c->tgw_id : v->c->vgw_id);
	GUARD(model_vpn_to_json(v->c, &json));
	rc = store_res_set_doc(&v->row, json);
	free(json);
	GUARD(rc);
	store_res_schedule(rq->store, &v->row, "available", store_timing(rq->store)->pending_ms);
	GUARD(store_res_insert(rq->store, &v->row));
	return tags->n ? api_tags_apply(rq, rs, v->c->id, tags) : E_OK;
}

result_t api_vpn_create(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v = {0};
	struct api_vpn_cgw cgw;
	struct store_tags tags = {0};
	struct model_err e = {0};
	uint32_t amazon_asn = 0;
	result_t rc;

	v.c = malloc(sizeof(*v.c));
	if (!v.c)
		return E_NOMEM;
	model_vpn_init(v.c);
	GUARD_OUT(rc, create_gateways(rq, rs, v.c, &cgw, &amazon_asn));
	GUARD_OUT(rc, api_tagspec_parse(rq, rs, STORE_T_VPN, &tags));
	GUARD_OUT(rc, create_conn_options(rq, rs, &v.c->opt));
	GUARD_OUT(rc, create_tunnel_options(rq, rs, v.c));
	/* G:974: with BGP the two sides' ASNs must differ (docs/decisions.md D19). */
	if (!v.c->opt.static_routes_only && amazon_asn && cgw.asn == amazon_asn) {
		rc = api_error(rs, 400, "AsnConflict",
		               "The customer gateway's BGP ASN %u is the Amazon-side ASN of the "
		               "gateway; they must differ for a dynamically routed connection.",
		               cgw.asn);
		goto out;
	}
	/* Validate what was given before generating anything (clear errors first). */
	rc = model_vpn_validate(v.c, cgw.ip.family != 0, &e);
	if (rc != E_OK) {
		rc = api_vpn_model_error(rs, rc, &e);
		goto out;
	}
	if (!v.c->vgw_id[0] && !v.c->tgw_id[0]) {
		size_t n = 0;
		const char *const ref_none[] = {"pending", "available", "deleting", NULL};

		GUARD_OUT(rc, store_res_count(rq->store, STORE_T_VPN, NULL, "", ref_none, &n));
		if (n >= MODEL_VPN_UNASSOCIATED_MAX) {
			rc = api_error(
			    rs, 400, "VpnConnectionLimitExceeded",
			    "You have reached the limit of %d unassociated VPN connections.",
			    MODEL_VPN_UNASSOCIATED_MAX);
			goto out;
		}
	}
	GUARD_OUT(rc, create_quotas(rq, rs, v.c));
	GUARD_OUT(rc, create_inside(rq, rs, v.c));
	GUARD_OUT(rc, api_vpn_outside_alloc(rq, rs, v.c));
	rc = model_vpn_validate(v.c, cgw.ip.family != 0, &e);
	if (rc != E_OK) {
		rc = api_vpn_model_error(rs, rc, &e);
		goto out;
	}
	GUARD_OUT(rc, create_insert(rq, rs, &v, &tags));
	api_vpn_xml(rq, &rs->x, "vpnConnection", &v);
out:
	store_tags_fini(&tags);
	api_vpn_fini(&v);
	return rc;
}

/* ---- DeleteVpnConnection ---- */

result_t api_vpn_delete(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	const char *id;
	result_t rc;

	GUARD(api_get_str(rq, rs, "VpnConnectionId", true, &id));
	GUARD(api_vpn_load(rq, rs, id, &v));
	rc = E_OK;
	/* Deleting a deleted connection is accepted: the operation is idempotent (D10). */
	if (v.c->state != MODEL_VPN_DELETED && v.c->state != MODEL_VPN_DELETING) {
		v.c->state = MODEL_VPN_DELETING;
		v.c->state_changed_s = store_now_ms() / 1000;
		for (size_t i = 0; i < v.c->nroutes; i++)
			v.c->routes[i].state = MODEL_VPN_DELETED;
		store_res_schedule(rq->store, &v.row, "deleted", 0);
		rc = api_vpn_save(rq, &v);
	}
	api_vpn_fini(&v);
	if (rc == E_OK)
		xml_bool(&rs->x, "return", true);
	return rc;
}

/* ---- DescribeVpnConnections ---- */

static const char *const vpn_filters[] = {
    "customer-gateway-configuration",
    "customer-gateway-id",
    "state",
    "option.static-routes-only",
    "route.destination-cidr-block",
    "bgp-asn",
    "type",
    "vpn-connection-id",
    "vpn-gateway-id",
    "transit-gateway-id",
    NULL,
};

struct describe_walk {
	char (*ids)[STORE_ID_MAX];
	size_t n, cap;
};

static result_t describe_collect(void *arg, const struct store_res *r)
{
	struct describe_walk *w = arg;

	if (w->n == w->cap) {
		size_t ncap = w->cap ? 2 * w->cap : 32;
		void *nv = realloc(w->ids, ncap * sizeof(*w->ids));

		if (!nv)
			return E_NOMEM;
		w->ids = nv;
		w->cap = ncap;
	}
	snprintf(w->ids[w->n++], STORE_ID_MAX, "%s", r->id);
	return E_OK;
}

#define DESCRIBE_ATTRS_MAX (13 + MODEL_VPN_ROUTES_MAX)

static bool describe_match(struct api_req *rq, const struct api_filters *f, const struct api_vpn *v)
{
	const struct model_vpn_connection *c = v->c;
	struct api_attr a[DESCRIBE_ATTRS_MAX];
	char routes[MODEL_VPN_ROUTES_MAX][PREFIX_STRLEN], asn[16];
	struct devcfg_peer p;
	struct store_tags tags = {0};
	struct wbuf xmlw;
	size_t n = 0;
	bool ok;

	if (f->n == 0)
		return true;
	api_vpn_peer(rq, c, &p);
	snprintf(asn, sizeof(asn), "%u", p.cgw_asn);
	a[n++] = (struct api_attr){"customer-gateway-id", c->cgw_id};
	a[n++] = (struct api_attr){"state", model_vpn_state_name(c->state)};
	a[n++] = (struct api_attr){"option.static-routes-only",
	                           c->opt.static_routes_only ? "true" : "false"};
	a[n++] = (struct api_attr){"bgp-asn", asn};
	a[n++] = (struct api_attr){"type", MODEL_VPN_TYPE};
	a[n++] = (struct api_attr){"vpn-connection-id", c->id};
	if (c->vgw_id[0])
		a[n++] = (struct api_attr){"vpn-gateway-id", c->vgw_id};
	if (c->tgw_id[0])
		a[n++] = (struct api_attr){"transit-gateway-id", c->tgw_id};
	for (size_t i = 0; i < c->nroutes; i++) {
		prefix_format(&c->routes[i].cidr, routes[i]);
		a[n++] = (struct api_attr){"route.destination-cidr-block", routes[i]};
	}
	/* The native XML only when a filter asks for it (it is built per connection). */
	wbuf_init_dyn(&xmlw, 8192, 0);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, "customer-gateway-configuration") == 0 &&
		    (c->state == MODEL_VPN_PENDING || c->state == MODEL_VPN_AVAILABLE) &&
		    devcfg_cgw_xml(&p, &xmlw) == E_OK) {
			a[n++] =
			    (struct api_attr){"customer-gateway-configuration", wbuf_cstr(&xmlw)};
			break;
		}
	if (store_tags_get(rq->store, c->id, &tags) != E_OK)
		memset(&tags, 0, sizeof(tags));
	ok = api_filters_match(f, a, n, &tags);
	store_tags_fini(&tags);
	secret_wipe(xmlw.data, xmlw.cap);
	wbuf_free(&xmlw);
	return ok;
}

static result_t describe_one(struct api_req *rq, struct api_resp *rs, const char *id,
                             const struct api_filters *f)
{
	struct api_vpn v;

	GUARD(api_vpn_load(rq, rs, id, &v));
	if (describe_match(rq, f, &v))
		api_vpn_xml(rq, &rs->x, "item", &v);
	api_vpn_fini(&v);
	return E_OK;
}

result_t api_vpn_describe(struct api_req *rq, struct api_resp *rs)
{
	struct api_strlist ids = {0};
	struct api_filters f = {0};
	struct describe_walk w = {0};
	result_t rc;

	GUARD(api_get_strlist(rq, rs, "VpnConnectionId", &ids));
	GUARD_OUT(rc, api_filters_parse(rq, rs, vpn_filters, &f));
	/* Every id asked for must exist (EC2 answers NotFound naming it). */
	for (size_t i = 0; i < ids.n; i++) {
		struct store_res r;

		GUARD_OUT(rc, api_res_load(rq, rs, ids.v[i], STORE_T_VPN,
		                           "InvalidVpnConnectionID.NotFound", "vpnConnection", &r));
		store_res_fini(&r);
	}
	GUARD_OUT(rc, store_res_foreach(rq->store, STORE_T_VPN, NULL, NULL, describe_collect, &w));
	xml_open(&rs->x, "vpnConnectionSet");
	for (size_t i = 0; i < w.n; i++) {
		if (ids.n && !api_strlist_has(&ids, w.ids[i]))
			continue;
		GUARD_OUT(rc, describe_one(rq, rs, w.ids[i], &f));
	}
	xml_close(&rs->x);
out:
	free(w.ids);
	api_filters_fini(&f);
	api_strlist_fini(&ids);
	return rc;
}

/* ---- VGW route propagation source ---- */

struct routes_walk {
	api_route_emit_fn emit;
	void *arg;
	struct model_vpn_connection *tmp;
};

static result_t routes_cb(void *arg, const struct store_res *r)
{
	struct routes_walk *w = arg;
	char s[PREFIX_STRLEN];

	if (strcmp(r->state, "available") != 0 || !r->doc ||
	    model_vpn_from_json(r->doc, strlen(r->doc), w->tmp) != E_OK)
		return E_OK;
	/* G:1013: static prefixes propagate only while the VPN connection is UP. */
	if (!w->tmp->tunnels[0].up && !w->tmp->tunnels[1].up)
		return E_OK;
	for (size_t i = 0; i < w->tmp->nroutes; i++) {
		prefix_format(&w->tmp->routes[i].cidr, s);
		w->emit(w->arg, s);
	}
	return E_OK;
}

result_t api_vpn_vgw_routes(struct store *st, const char *vgw_id, api_route_emit_fn emit, void *arg)
{
	struct routes_walk w = {emit, arg, malloc(sizeof(struct model_vpn_connection))};
	result_t rc;

	if (!w.tmp)
		return E_NOMEM;
	rc = store_res_foreach(st, STORE_T_VPN, NULL, vgw_id, routes_cb, &w);
	model_vpn_wipe(w.tmp);
	free(w.tmp);
	return rc;
}
