/*
 * api/api_rtb.c - VPC route tables: the main route table of each VPC with its local route,
 * CreateRoute/DeleteRoute to a virtual private gateway, Enable/DisableVgwRoutePropagation,
 * DescribeRouteTables (site-to-site.md 1.8).
 *
 * Row doc: {"assoc": "rtbassoc-...", "routes": [{"dst", "gw", "origin"}], "prop": ["vgw-..."]}.
 * Propagated routes are not stored: they are asked for at describe time from the route sources
 * (API_ROUTE_SOURCE in api_vpn_ops.def), only for VGWs attached to the table's VPC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "api/api_rtb.h"
#include "api/api_vgw.h"
#include "lib/addr.h"

#define RTB_ROUTES_MAX 50 /* EC2 default quota "Routes per route table" */
#define RTB_LOCAL "local"

typedef result_t (*rtb_route_source_fn)(struct store *st, const char *vgw_id,
                                        api_route_emit_fn emit, void *arg);

static const rtb_route_source_fn rtb_route_sources[] = {
#define API_OP(name, fn)
#define API_ROUTE_SOURCE(fn) fn,
#include "api/api_ops.def"
#include "api/api_vpn_ops.def"
#undef API_OP
#undef API_ROUTE_SOURCE
    NULL,
};

/* One route as shown. */
struct rtb_route {
	char dst[PREFIX_STRLEN];
	char gw[STORE_ID_MAX];
	const char *origin;
	const char *state;
};

struct rtb_view {
	struct rtb_route *v;
	size_t n;
	bool failed;
};

static void rtb_view_add(struct rtb_view *w, const char *dst, const char *gw, const char *origin,
                         const char *state)
{
	struct rtb_route *nv = realloc(w->v, (w->n + 1) * sizeof(*nv));

	if (!nv) {
		w->failed = true;
		return;
	}
	w->v = nv;
	snprintf(nv[w->n].dst, sizeof(nv[w->n].dst), "%s", dst);
	snprintf(nv[w->n].gw, sizeof(nv[w->n].gw), "%s", gw);
	nv[w->n].origin = origin;
	nv[w->n].state = state;
	w->n++;
}

struct rtb_emit {
	struct rtb_view *w;
	const char *vgw;
};

static void rtb_emit_cb(void *arg, const char *dst)
{
	struct rtb_emit *e = arg;
	size_t i;

	for (i = 0; i < e->w->n; i++)
		if (strcmp(e->w->v[i].dst, dst) == 0 && strcmp(e->w->v[i].gw, e->vgw) == 0)
			return;
	rtb_view_add(e->w, dst, e->vgw, "EnableVgwRoutePropagation", "active");
}

/* Static routes with their state, then the propagated ones. */
static RESULT rtb_view_build(struct store *st, const struct store_res *r, struct json_object *doc,
                             struct rtb_view *w)
{
	struct json_object *routes = NULL, *prop = NULL;
	size_t i, k;
	bool att;

	memset(w, 0, sizeof(*w));
	json_object_object_get_ex(doc, "routes", &routes);
	for (i = 0; routes && i < json_object_array_length(routes); i++) {
		struct json_object *o = json_object_array_get_idx(routes, i);
		const char *gw = api_doc_str(o, "gw");
		const char *state = "active";

		if (!gw)
			continue;
		if (strcmp(gw, RTB_LOCAL) != 0) {
			GUARD(api_vgw_is_attached_to(st, gw, r->ref1, &att));
			state = att ? "active" : "blackhole";
		}
		rtb_view_add(w, api_doc_str(o, "dst") ? api_doc_str(o, "dst") : "", gw,
		             strcmp(api_doc_str(o, "origin") ? api_doc_str(o, "origin") : "",
		                    "CreateRouteTable") == 0
		                 ? "CreateRouteTable"
		                 : "CreateRoute",
		             state);
	}
	json_object_object_get_ex(doc, "prop", &prop);
	for (i = 0; prop && i < json_object_array_length(prop); i++) {
		const char *vgw = json_object_get_string(json_object_array_get_idx(prop, i));
		struct rtb_emit e = {w, vgw};

		GUARD(api_vgw_is_attached_to(st, vgw, r->ref1, &att));
		for (k = 0; att && rtb_route_sources[k]; k++)
			GUARD(rtb_route_sources[k](st, vgw, rtb_emit_cb, &e));
	}
	return w->failed ? E_NOMEM : E_OK;
}

static void rtb_xml(struct xml *x, const struct store_res *r, struct json_object *doc,
                    const struct rtb_view *w, const struct store_tags *tags)
{
	struct json_object *prop = NULL;
	size_t i;

	xml_str(x, "routeTableId", r->id);
	xml_str(x, "vpcId", r->ref1);
	xml_str(x, "ownerId", API_OWNER_ID);
	xml_open(x, "routeSet");
	for (i = 0; i < w->n; i++) {
		xml_open(x, "item");
		xml_str(x, "destinationCidrBlock", w->v[i].dst);
		xml_str(x, "gatewayId", w->v[i].gw);
		xml_str(x, "state", w->v[i].state);
		xml_str(x, "origin", w->v[i].origin);
		xml_close(x);
	}
	xml_close(x);
	xml_open(x, "associationSet");
	xml_open(x, "item");
	xml_bool(x, "main", true);
	xml_str(x, "routeTableAssociationId", api_doc_str(doc, "assoc"));
	xml_str(x, "routeTableId", r->id);
	xml_open(x, "associationState");
	xml_str(x, "state", "associated");
	xml_close(x);
	xml_close(x);
	xml_close(x);
	xml_open(x, "propagatingVgwSet");
	json_object_object_get_ex(doc, "prop", &prop);
	for (i = 0; prop && i < json_object_array_length(prop); i++) {
		xml_open(x, "item");
		xml_str(x, "gatewayId", json_object_get_string(json_object_array_get_idx(prop, i)));
		xml_close(x);
	}
	xml_close(x);
	api_xml_tagset(x, tags);
}

RESULT api_rtb_create_main(struct api_req *rq, const char *vpc_id, const char *vpc_cidr)
{
	struct json_object *doc = json_object_new_object(), *routes, *local;
	char assoc[STORE_ID_MAX];
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	if (!doc)
		return E_NOMEM;
	routes = json_object_new_array();
	local = json_object_new_object();
	json_object_object_add(doc, "routes", routes);
	json_object_array_add(routes, local);
	api_doc_set_str(local, "dst", vpc_cidr);
	api_doc_set_str(local, "gw", RTB_LOCAL);
	api_doc_set_str(local, "origin", "CreateRouteTable");
	json_object_object_add(doc, "prop", json_object_new_array());
	GUARD_OUT(rc, store_id_new(rq->store, "rtbassoc", assoc));
	api_doc_set_str(doc, "assoc", assoc);
	store_res_init(&r, STORE_T_RTB, NULL, "available");
	snprintf(r.ref1, sizeof(r.ref1), "%s", vpc_id);
	GUARD_OUT(rc, store_id_new(rq->store, "rtb", r.id));
	GUARD_OUT(rc, api_doc_save(&r, doc));
	rc = store_res_insert(rq->store, &r);
out:
	store_res_fini(&r);
	json_object_put(doc);
	return rc;
}

static result_t rtb_delete_cb(void *arg, const struct store_res *r)
{
	return store_res_remove(arg, r->id);
}

RESULT api_rtb_delete_for_vpc(struct api_req *rq, const char *vpc_id)
{
	return store_res_foreach(rq->store, STORE_T_RTB, vpc_id, NULL, rtb_delete_cb, rq->store);
}

static const char *const rtb_filters[] = {"route-table-id",
                                          "vpc-id",
                                          "owner-id",
                                          "association.main",
                                          "association.route-table-association-id",
                                          "association.route-table-id",
                                          "route.destination-cidr-block",
                                          "route.gateway-id",
                                          "route.origin",
                                          "route.state",
                                          NULL};

struct rtb_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
	struct api_page page;
};

static bool rtb_match(struct rtb_describe *d, const struct store_res *r, struct json_object *doc,
                      const struct rtb_view *w, const struct store_tags *tags)
{
	size_t n = 0, i, cap = 6 + 4 * w->n;
	struct api_attr *a = calloc(cap, sizeof(*a));
	bool ok;

	if (!a)
		return false;
	a[n++] = (struct api_attr){"route-table-id", r->id};
	a[n++] = (struct api_attr){"vpc-id", r->ref1};
	a[n++] = (struct api_attr){"owner-id", API_OWNER_ID};
	a[n++] = (struct api_attr){"association.main", "true"};
	a[n++] =
	    (struct api_attr){"association.route-table-association-id", api_doc_str(doc, "assoc")};
	a[n++] = (struct api_attr){"association.route-table-id", r->id};
	for (i = 0; i < w->n; i++) {
		a[n++] = (struct api_attr){"route.destination-cidr-block", w->v[i].dst};
		a[n++] = (struct api_attr){"route.gateway-id", w->v[i].gw};
		a[n++] = (struct api_attr){"route.origin", w->v[i].origin};
		a[n++] = (struct api_attr){"route.state", w->v[i].state};
	}
	ok = api_filters_match(&d->filters, a, n, tags);
	free(a);
	return ok;
}

static result_t rtb_describe_cb(void *arg, const struct store_res *r)
{
	struct rtb_describe *d = arg;
	struct json_object *doc;
	struct store_tags tags = {NULL, 0};
	struct rtb_view w = {NULL, 0, false};
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	doc = api_doc_parse(r);
	if (!doc)
		return E_NOMEM;
	GUARD_OUT(rc, store_tags_get(d->rq->store, r->id, &tags));
	GUARD_OUT(rc, rtb_view_build(d->rq->store, r, doc, &w));
	if (rtb_match(d, r, doc, &w, &tags) && api_page_take(&d->page, r->id)) {
		xml_open(&d->rs->x, "item");
		rtb_xml(&d->rs->x, r, doc, &w, &tags);
		xml_close(&d->rs->x);
	}
out:
	free(w.v);
	store_tags_fini(&tags);
	json_object_put(doc);
	return rc;
}

result_t api_rtb_describe(struct api_req *rq, struct api_resp *rs)
{
	struct rtb_describe d;
	result_t rc;

	memset(&d, 0, sizeof(d));
	d.rq = rq;
	d.rs = rs;
	GUARD_OUT(rc, api_get_strlist(rq, rs, "RouteTableId", &d.ids));
	GUARD_OUT(rc, api_ids_exist(rq, rs, &d.ids, STORE_T_RTB, "InvalidRouteTableID.NotFound",
	                            "routeTable"));
	GUARD_OUT(rc, api_filters_parse(rq, rs, rtb_filters, &d.filters));
	GUARD_OUT(rc, api_page_parse(rq, rs, 5, 100, &d.page));
	xml_open(&rs->x, "routeTableSet");
	GUARD_OUT(rc, store_res_foreach(rq->store, STORE_T_RTB, NULL, NULL, rtb_describe_cb, &d));
	xml_close(&rs->x);
	api_page_finish(&d.page, &rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

/* Load RouteTableId and the VGW named by `gw_param`, checking the VGW is attached to the
 * table's VPC. */
static RESULT rtb_load_with_vgw(struct api_req *rq, struct api_resp *rs, const char *gw_param,
                                bool need_attached, struct store_res *rtb, const char **vgw_id)
{
	const char *rtb_id;
	struct store_res vgw;
	bool att = false;

	memset(rtb, 0, sizeof(*rtb));
	GUARD(api_get_str(rq, rs, "RouteTableId", true, &rtb_id));
	GUARD(api_get_str(rq, rs, gw_param, true, vgw_id));
	GUARD(api_res_load(rq, rs, rtb_id, STORE_T_RTB, "InvalidRouteTableID.NotFound",
	                   "routeTable", rtb));
	if (strncmp(*vgw_id, "vgw-", 4) != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid %s '%.64s': only a virtual private gateway (vgw-...) is "
		                 "supported as a target.",
		                 gw_param, *vgw_id);
	GUARD(api_res_load(rq, rs, *vgw_id, STORE_T_VGW, "InvalidGatewayID.NotFound", "gateway",
	                   &vgw));
	store_res_fini(&vgw);
	if (!need_attached)
		return E_OK;
	GUARD(api_vgw_is_attached_to(rq->store, *vgw_id, rtb->ref1, &att));
	if (!att)
		return api_error(rs, 400, "Gateway.NotAttached",
		                 "resource %s is not attached to network %s", *vgw_id, rtb->ref1);
	return E_OK;
}

static RESULT rtb_propagation(struct api_req *rq, struct api_resp *rs, bool enable)
{
	struct json_object *doc = NULL, *prop = NULL, *np;
	const char *vgw;
	struct store_res r;
	size_t i;
	bool had = false;
	result_t rc;

	GUARD_OUT(rc, rtb_load_with_vgw(rq, rs, "GatewayId", enable, &r, &vgw));
	doc = api_doc_parse(&r);
	if (!doc || !(np = json_object_new_array())) {
		rc = E_NOMEM;
		goto out;
	}
	json_object_object_get_ex(doc, "prop", &prop);
	for (i = 0; prop && i < json_object_array_length(prop); i++) {
		const char *g = json_object_get_string(json_object_array_get_idx(prop, i));

		if (strcmp(g, vgw) == 0)
			had = true;
		else
			json_object_array_add(np, json_object_new_string(g));
	}
	if (enable)
		json_object_array_add(np, json_object_new_string(vgw));
	json_object_object_add(doc, "prop", np);
	GUARD_OUT(rc, api_doc_save(&r, doc));
	GUARD_OUT(rc, store_res_update(rq->store, &r));
	(void)had;
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	json_object_put(doc);
	return rc;
}

result_t api_rtb_enable_propagation(struct api_req *rq, struct api_resp *rs)
{
	return rtb_propagation(rq, rs, true);
}

result_t api_rtb_disable_propagation(struct api_req *rq, struct api_resp *rs)
{
	return rtb_propagation(rq, rs, false);
}

static RESULT rtb_dst_param(struct api_req *rq, struct api_resp *rs, char out[PREFIX_STRLEN])
{
	const char *dst;
	struct prefix p;

	if (api_param(&rq->params, "DestinationIpv6CidrBlock"))
		return api_error(rs, 400, "InvalidParameterValue",
		                 "IPv6 routes are not supported: a VGW has no IPv6 (G:237).");
	GUARD(api_get_str(rq, rs, "DestinationCidrBlock", true, &dst));
	if (prefix_parse(dst, false, &p) != E_OK || p.addr.family != AF_INET)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Value (%.64s) for parameter destinationCidrBlock is invalid: "
		                 "expected an IPv4 CIDR block with the host bits zero.",
		                 dst);
	prefix_format(&p, out);
	return E_OK;
}

/* Index of the route with destination dst in routes, or -1. */
static int rtb_find_route(struct json_object *routes, const char *dst)
{
	size_t i;

	for (i = 0; routes && i < json_object_array_length(routes); i++) {
		const char *d = api_doc_str(json_object_array_get_idx(routes, i), "dst");

		if (d && strcmp(d, dst) == 0)
			return (int)i;
	}
	return -1;
}

result_t api_rtb_create_route(struct api_req *rq, struct api_resp *rs)
{
	struct json_object *doc = NULL, *routes = NULL, *o;
	char dst[PREFIX_STRLEN];
	const char *vgw;
	struct store_res r;
	result_t rc;

	GUARD_OUT(rc, rtb_load_with_vgw(rq, rs, "GatewayId", true, &r, &vgw));
	GUARD_OUT(rc, rtb_dst_param(rq, rs, dst));
	doc = api_doc_parse(&r);
	if (!doc) {
		rc = E_NOMEM;
		goto out;
	}
	if (!json_object_object_get_ex(doc, "routes", &routes)) {
		routes = json_object_new_array();
		json_object_object_add(doc, "routes", routes);
	}
	if (rtb_find_route(routes, dst) >= 0) {
		rc = api_error(rs, 400, "RouteAlreadyExists",
		               "The route identified by %s already exists.", dst);
		goto out;
	}
	if (json_object_array_length(routes) >= RTB_ROUTES_MAX) {
		rc = api_error(rs, 400, "RouteLimitExceeded",
		               "The maximum number of routes (%d) in route table %s has been "
		               "reached.",
		               RTB_ROUTES_MAX, r.id);
		goto out;
	}
	o = json_object_new_object();
	api_doc_set_str(o, "dst", dst);
	api_doc_set_str(o, "gw", vgw);
	api_doc_set_str(o, "origin", "CreateRoute");
	json_object_array_add(routes, o);
	GUARD_OUT(rc, api_doc_save(&r, doc));
	GUARD_OUT(rc, store_res_update(rq->store, &r));
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	json_object_put(doc);
	return rc;
}

result_t api_rtb_delete_route(struct api_req *rq, struct api_resp *rs)
{
	struct json_object *doc = NULL, *routes = NULL;
	char dst[PREFIX_STRLEN];
	const char *rtb_id, *gw;
	struct store_res r;
	result_t rc;
	int i;

	memset(&r, 0, sizeof(r));
	GUARD(api_get_str(rq, rs, "RouteTableId", true, &rtb_id));
	GUARD(rtb_dst_param(rq, rs, dst));
	GUARD(api_res_load(rq, rs, rtb_id, STORE_T_RTB, "InvalidRouteTableID.NotFound",
	                   "routeTable", &r));
	doc = api_doc_parse(&r);
	if (!doc) {
		rc = E_NOMEM;
		goto out;
	}
	json_object_object_get_ex(doc, "routes", &routes);
	i = rtb_find_route(routes, dst);
	if (i < 0) {
		rc = api_error(rs, 400, "InvalidRoute.NotFound",
		               "no route with destination-cidr-block %s in route table %s", dst,
		               r.id);
		goto out;
	}
	gw = api_doc_str(json_object_array_get_idx(routes, (size_t)i), "gw");
	if (gw && strcmp(gw, RTB_LOCAL) == 0) {
		rc = api_error(rs, 400, "InvalidParameterValue",
		               "cannot remove local route %s in route table %s", dst, r.id);
		goto out;
	}
	json_object_array_del_idx(routes, (size_t)i, 1);
	GUARD_OUT(rc, api_doc_save(&r, doc));
	GUARD_OUT(rc, store_res_update(rq->store, &r));
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	json_object_put(doc);
	return rc;
}
