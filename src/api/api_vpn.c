/*
 * api/api_vpn.c - what the VPN connection operations share: loading and saving a connection,
 * the customer gateway / gateway facts, inside CIDRs in use, outside address allocation, and
 * tunnel options from request parameters.
 */
#include "api/api_vpn.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

RESULT api_vpn_load(struct api_req *rq, struct api_resp *rs, const char *id, struct api_vpn *v)
{
	result_t rc;

	memset(v, 0, sizeof(*v));
	GUARD(api_res_load(rq, rs, id, STORE_T_VPN, "InvalidVpnConnectionID.NotFound",
	                   "vpnConnection", &v->row));
	v->c = malloc(sizeof(*v->c));
	if (!v->c) {
		store_res_fini(&v->row);
		return E_NOMEM;
	}
	rc = v->row.doc ? model_vpn_from_json(v->row.doc, strlen(v->row.doc), v->c) : E_PARSE;
	if (rc != E_OK) {
		api_vpn_fini(v);
		return api_error(rs, 500, "InternalError",
		                 "The stored VPN connection '%.64s' is unreadable.", id);
	}
	/* The row's state is authoritative (timed transitions happen there). */
	if (model_vpn_state_parse(v->row.state, &v->c->state) != E_OK)
		v->c->state = MODEL_VPN_AVAILABLE;
	return E_OK;
}

RESULT api_vpn_save(struct api_req *rq, struct api_vpn *v)
{
	char *json = NULL;
	result_t rc;

	GUARD(model_vpn_to_json(v->c, &json));
	rc = store_res_set_doc(&v->row, json);
	secret_wipe(json, strlen(json));
	free(json);
	GUARD(rc);
	snprintf(v->row.ref1, sizeof(v->row.ref1), "%s", v->c->cgw_id);
	snprintf(v->row.ref2, sizeof(v->row.ref2), "%s",
	         v->c->tgw_id[0] ? v->c->tgw_id : v->c->vgw_id);
	snprintf(v->row.state, sizeof(v->row.state), "%s", model_vpn_state_name(v->c->state));
	return store_res_update(rq->store, &v->row);
}

void api_vpn_fini(struct api_vpn *v)
{
	if (v->c) {
		model_vpn_wipe(v->c);
		free(v->c);
		v->c = NULL;
	}
	if (v->row.doc)
		secret_wipe(v->row.doc, strlen(v->row.doc));
	store_res_fini(&v->row);
}

/* ---- the other resources' documents ---- */

/* First of `keys` present in the JSON document, as text (ints printed); false when none. */
static bool doc_value(const char *doc, const char *const *keys, char *out, size_t cap)
{
	struct json_object *o = doc ? json_tokener_parse(doc) : NULL, *v;
	bool found = false;

	for (size_t i = 0; o && keys[i] && !found; i++) {
		if (!json_object_object_get_ex(o, keys[i], &v) ||
		    json_object_is_type(v, json_type_null))
			continue;
		snprintf(out, cap, "%s", json_object_get_string(v));
		found = true;
	}
	json_object_put(o);
	return found;
}

static uint32_t doc_u32(const char *doc, const char *const *keys, uint32_t def)
{
	char s[32];
	char *end;
	unsigned long long v;

	if (!doc_value(doc, keys, s, sizeof(s)))
		return def;
	v = strtoull(s, &end, 10);
	return *end || v > UINT32_MAX ? def : (uint32_t)v;
}

static const char *const cgw_ip_keys[] = {"ipAddress", "IpAddress", "ip_address", "ip", NULL};
static const char *const cgw_asn_keys[] = {"bgpAsn", "bgpAsnExtended", "BgpAsn", "bgp_asn", NULL};
static const char *const gw_asn_keys[] = {"amazonSideAsn", "AmazonSideAsn", "amazon_side_asn",
                                          NULL};

RESULT api_vpn_cgw_get(struct api_req *rq, struct api_resp *rs, const char *id,
                       struct api_vpn_cgw *out)
{
	struct store_res r;
	char ip[ADDR_STRLEN + 8];

	memset(out, 0, sizeof(*out));
	GUARD(api_res_load(rq, rs, id, STORE_T_CGW, "InvalidCustomerGatewayID.NotFound",
	                   "customerGateway", &r));
	out->available = strcmp(r.state, "available") == 0 || strcmp(r.state, "pending") == 0;
	if (doc_value(r.doc, cgw_ip_keys, ip, sizeof(ip)) && addr_parse(ip, &out->ip) != E_OK)
		memset(&out->ip, 0, sizeof(out->ip));
	out->asn = doc_u32(r.doc, cgw_asn_keys, 65000);
	store_res_fini(&r);
	return E_OK;
}

RESULT api_vpn_gw_get(struct api_req *rq, struct api_resp *rs, const char *id, bool is_tgw,
                      uint32_t *amazon_asn)
{
	struct store_res r;
	bool gone;

	GUARD(api_res_load(rq, rs, id, is_tgw ? API_T_TGW : STORE_T_VGW,
	                   is_tgw ? "InvalidTransitGatewayID.NotFound"
	                          : "InvalidVpnGatewayID.NotFound",
	                   is_tgw ? "transitGateway" : "vpnGateway", &r));
	gone = strcmp(r.state, "deleted") == 0 || strcmp(r.state, "deleting") == 0;
	*amazon_asn = doc_u32(r.doc, gw_asn_keys, 64512);
	store_res_fini(&r);
	if (gone)
		return api_error(rs, 400, is_tgw ? "IncorrectState" : "InvalidVpnGatewayState",
		                 "The %s '%.64s' is deleted.",
		                 is_tgw ? "transit gateway" : "virtual private gateway", id);
	return E_OK;
}

void api_vpn_peer(struct api_req *rq, const struct model_vpn_connection *c, struct devcfg_peer *p)
{
	api_vpn_peer_st(rq->store, c, p);
}

void api_vpn_peer_st(struct store *st, const struct model_vpn_connection *c, struct devcfg_peer *p)
{
	struct store_res r;
	char ip[ADDR_STRLEN + 8];
	const char *gw = c->tgw_id[0] ? c->tgw_id : c->vgw_id;

	memset(p, 0, sizeof(*p));
	p->vpn = c;
	p->cgw_asn = 65000;
	p->amazon_asn = 64512;
	if (store_res_get(st, c->cgw_id, &r) == E_OK) {
		if (doc_value(r.doc, cgw_ip_keys, ip, sizeof(ip)) &&
		    addr_parse(ip, &p->cgw_ip) != E_OK)
			memset(&p->cgw_ip, 0, sizeof(p->cgw_ip));
		p->cgw_asn = doc_u32(r.doc, cgw_asn_keys, 65000);
		store_res_fini(&r);
	}
	if (gw[0] && store_res_get(st, gw, &r) == E_OK) {
		p->amazon_asn = doc_u32(r.doc, gw_asn_keys, 64512);
		store_res_fini(&r);
	}
}

/* ---- inside CIDRs and outside addresses in use ---- */

static result_t used_push(struct prefix **v, size_t *n, size_t *cap, const struct prefix *p)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct prefix *nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return E_NOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *p;
	return E_OK;
}

struct used_walk {
	struct api_vpn_used *u;
	const char *skip_id;
	struct model_vpn_connection *tmp;
};

static result_t used_cb(void *arg, const struct store_res *r)
{
	struct used_walk *w = arg;

	if (strcmp(r->state, "deleted") == 0 || (w->skip_id && strcmp(r->id, w->skip_id) == 0) ||
	    !r->doc || model_vpn_from_json(r->doc, strlen(r->doc), w->tmp) != E_OK)
		return E_OK;
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		const struct model_tunnel_options *o = &w->tmp->tunnels[i].opt;

		if (o->inside_cidr.addr.family)
			GUARD(used_push(&w->u->v4, &w->u->n4, &w->u->cap4, &o->inside_cidr));
		if (o->has_inside_ipv6)
			GUARD(used_push(&w->u->v6, &w->u->n6, &w->u->cap6, &o->inside_ipv6_cidr));
	}
	return E_OK;
}

RESULT api_vpn_used_cidrs(struct api_req *rq, const char *gw_id, const char *skip_id,
                          struct api_vpn_used *u)
{
	struct used_walk w = {u, skip_id, malloc(sizeof(struct model_vpn_connection))};
	result_t rc;

	memset(u, 0, sizeof(*u));
	if (!w.tmp)
		return E_NOMEM;
	rc = gw_id[0] ? store_res_foreach(rq->store, STORE_T_VPN, NULL, gw_id, used_cb, &w) : E_OK;
	model_vpn_wipe(w.tmp);
	free(w.tmp);
	return rc;
}

void api_vpn_used_fini(struct api_vpn_used *u)
{
	free(u->v4);
	free(u->v6);
	memset(u, 0, sizeof(*u));
}

struct outside_walk {
	struct prefix *v; /* /32s in use */
	size_t n, cap;
	struct model_vpn_connection *tmp;
};

static result_t outside_cb(void *arg, const struct store_res *r)
{
	struct outside_walk *w = arg;

	if (strcmp(r->state, "deleted") == 0 || !r->doc ||
	    model_vpn_from_json(r->doc, strlen(r->doc), w->tmp) != E_OK)
		return E_OK;
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		struct prefix p = {w->tmp->tunnels[i].outside_ip, 32};

		if (p.addr.family == AF_INET)
			GUARD(used_push(&w->v, &w->n, &w->cap, &p));
	}
	return E_OK;
}

static bool outside_taken(const struct outside_walk *w, const struct addr *a,
                          const struct model_vpn_connection *c)
{
	for (size_t i = 0; i < w->n; i++)
		if (addr_equal(&w->v[i].addr, a))
			return true;
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		if (c->tunnels[i].outside_ip.family && addr_equal(&c->tunnels[i].outside_ip, a))
			return true;
	return false;
}

/* Next candidate of the pool after index *k (CIDR: hosts; list: entries). */
static bool pool_next(const char *pool, uint32_t *k, struct addr *out)
{
	struct prefix p;
	char buf[ADDR_STRLEN];

	if (strchr(pool, '/')) {
		uint32_t base, size;

		if (prefix_parse(pool, true, &p) != E_OK || p.addr.family != AF_INET)
			return false;
		prefix_normalize(&p);
		size = p.len >= 31 ? (p.len == 32 ? 1 : 2) : (1u << (32 - p.len)) - 2;
		base = addr_v4(&p.addr) + (p.len >= 31 ? 0 : 1);
		if (*k >= size)
			return false;
		addr_from_v4(out, base + (*k)++);
		return true;
	}
	/* comma-separated list: entry *k */
	const char *s = pool;

	for (uint32_t i = 0; i < *k && s; i++) {
		s = strchr(s, ',');
		if (s)
			s++;
	}
	if (!s || !*s)
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(s, ","), s);
	(*k)++;
	return addr_parse(buf, out) == E_OK && out->family == AF_INET ? true
	                                                              : pool_next(pool, k, out);
}

RESULT api_vpn_outside_alloc(struct api_req *rq, struct api_resp *rs,
                             struct model_vpn_connection *c)
{
	struct outside_walk w = {NULL, 0, 0, malloc(sizeof(struct model_vpn_connection))};
	const char *pool = getenv(API_VPN_POOL_ENV);
	result_t rc;
	uint32_t k = 0;

	if (!w.tmp)
		return E_NOMEM;
	if (!pool || !*pool)
		pool = API_VPN_POOL_DEFAULT;
	rc = store_res_foreach(rq->store, STORE_T_VPN, NULL, NULL, outside_cb, &w);
	model_vpn_wipe(w.tmp);
	free(w.tmp);
	for (size_t i = 0; rc == E_OK && i < MODEL_VPN_TUNNELS; i++) {
		struct addr a;
		bool found = false;

		if (c->tunnels[i].outside_ip.family)
			continue;
		while (!found && pool_next(pool, &k, &a))
			found = !outside_taken(&w, &a, c);
		if (!found)
			rc = api_error(rs, 400, "VpnConnectionLimitExceeded",
			               "No free tunnel outside address is left in the pool (%s).",
			               pool);
		else
			c->tunnels[i].outside_ip = a;
	}
	free(w.v);
	return rc;
}

/* ---- parameters ---- */

result_t api_vpn_model_error(struct api_resp *rs, result_t rc, const struct model_err *e)
{
	if (rc == E_MODEL_INVALID || rc == E_MODEL_IN_USE)
		return api_error(rs, 400, e->code ? e->code : "InvalidParameterValue", "%s",
		                 e->msg);
	if (rc == E_MODEL_EXHAUSTED)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "No free inside tunnel CIDR is left on this gateway.");
	return rc;
}

RESULT api_vpn_cidr_param(struct api_req *rq, struct api_resp *rs, const char *name, int family,
                          struct prefix *out)
{
	const char *v = api_param(&rq->params, name);

	if (!v)
		return E_NOTFOUND;
	if (prefix_parse(v, false, out) != E_OK || out->addr.family != family)
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "Invalid value '%.64s' for %s: expected an %s CIDR block such as %s.", v, name,
		    family == AF_INET ? "IPv4" : "IPv6",
		    family == AF_INET ? "10.0.0.0/16" : "fd00::/64");
	return E_OK;
}

#define API_VPN_LIST_MAX 16

static result_t tunnel_list_param(struct api_req *rq, struct api_resp *rs, const char *prefix,
                                  const char *wire, struct model_tunnel_options *o, bool *any)
{
	char name[API_NAME_MAX];
	uint32_t idx[API_VPN_LIST_MAX + 1];
	const char *vals[API_VPN_LIST_MAX];
	struct model_err e = {0};
	size_t n, k = 0;
	result_t rc;

	snprintf(name, sizeof(name), "%s%s", prefix, wire);
	n = api_param_indices(&rq->params, name, idx, API_VPN_LIST_MAX + 1);
	if (n == 0)
		return E_OK;
	if (n > API_VPN_LIST_MAX)
		return api_error(rs, 400, "InvalidParameterValue", "Too many values for %s.", wire);
	for (size_t i = 0; i < n; i++) {
		const char *v = api_paramf(&rq->params, "%s.%u.Value", name, idx[i]);

		if (v)
			vals[k++] = v;
	}
	rc = model_tunnel_option_set_list(o, wire, vals, k, &e);
	if (rc != E_OK)
		return api_vpn_model_error(rs, rc, &e);
	if (any)
		*any = true;
	return E_OK;
}

RESULT api_vpn_tunnel_opts_parse(struct api_req *rq, struct api_resp *rs, const char *prefix,
                                 struct model_tunnel_options *o, bool *any)
{
	size_t n;
	const char *const *names = model_tunnel_scalar_names(&n);

	for (size_t i = 0; i < n; i++) {
		const char *v = api_paramf(&rq->params, "%s%s", prefix, names[i]);
		struct model_err e = {0};
		result_t rc;

		if (!v)
			continue;
		rc = model_tunnel_option_set(o, names[i], v, &e);
		if (rc != E_OK)
			return api_vpn_model_error(rs, rc, &e);
		if (any)
			*any = true;
	}
	names = model_tunnel_list_wire_names(&n);
	for (size_t i = 0; i < n; i++)
		GUARD(tunnel_list_param(rq, rs, prefix, names[i], o, any));
	return E_OK;
}

/* ---- telemetry from the engine ---- */

static result_t telemetry_apply(struct store *st, struct store_res *row,
                                struct model_vpn_connection *c, const struct addr *outside, bool up,
                                const char *msg, uint32_t routes)
{
	char *json = NULL;
	result_t rc;
	int ti = -1;

	GUARD(model_vpn_from_json(row->doc ? row->doc : "", row->doc ? strlen(row->doc) : 0, c));
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		if (addr_equal(&c->tunnels[i].outside_ip, outside))
			ti = (int)i;
	if (ti < 0)
		return E_NOTFOUND;
	if (c->tunnels[ti].up != up)
		c->tunnels[ti].last_status_change_s = store_now_ms() / 1000;
	c->tunnels[ti].up = up;
	c->tunnels[ti].accepted_route_count = routes;
	snprintf(c->tunnels[ti].status_message, sizeof(c->tunnels[ti].status_message), "%s",
	         msg ? msg : "");
	GUARD(model_vpn_to_json(c, &json));
	rc = store_res_set_doc(row, json);
	secret_wipe(json, strlen(json));
	free(json);
	GUARD(rc);
	return store_res_update(st, row);
}

RESULT api_vpn_telemetry_update(struct store *st, const char *vpn_id, const struct addr *outside,
                                bool up, const char *status_message, uint32_t accepted_routes)
{
	struct store_res row;
	struct model_vpn_connection *c = malloc(sizeof(*c));
	result_t rc;

	if (!c)
		return E_NOMEM;
	GUARD_OUT(rc, store_begin(st));
	rc = store_res_get(st, vpn_id, &row);
	if (rc == E_OK && strcmp(row.type, STORE_T_VPN) != 0)
		rc = E_NOTFOUND;
	if (rc == E_OK)
		rc = telemetry_apply(st, &row, c, outside, up, status_message, accepted_routes);
	/* store_res_get always leaves row initialised. */
	if (row.doc)
		secret_wipe(row.doc, strlen(row.doc));
	store_res_fini(&row);
	if (rc == E_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
out:
	model_vpn_wipe(c);
	free(c);
	return rc;
}
