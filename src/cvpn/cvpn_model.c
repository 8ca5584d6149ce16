/*
 * cvpn/cvpn_model.c - the Client VPN endpoint and its sub-resources (client-vpn.md A, E).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvpn/cvpn_int.h"

result_t cvpn_verr_set(struct cvpn_verr *err, result_t rc, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static const char *const cvpn_status_names[] = {
    [CVPN_ST_PENDING_ASSOCIATE] = "pending-associate",
    [CVPN_ST_AVAILABLE] = "available",
    [CVPN_ST_DELETING] = "deleting",
    [CVPN_ST_DELETED] = "deleted",
};

const char *cvpn_status_str(enum cvpn_status s)
{
	return (unsigned)s < 4 ? cvpn_status_names[s] : "unknown";
}

RESULT cvpn_status_parse(const char *s, enum cvpn_status *out)
{
	unsigned i;

	for (i = 0; s && i < 4; i++)
		if (strcmp(s, cvpn_status_names[i]) == 0) {
			*out = (enum cvpn_status)i;
			return E_OK;
		}
	return E_PARSE;
}

const char *cvpn_transport_str(enum cvpn_transport t)
{
	return t == CVPN_TCP ? "tcp" : "udp";
}

const char *cvpn_auth_type_str(enum cvpn_auth_type t)
{
	switch (t) {
	case CVPN_AUTH_CERTIFICATE:
		return "certificate-authentication";
	case CVPN_AUTH_DIRECTORY:
		return "directory-service-authentication";
	case CVPN_AUTH_FEDERATED:
		return "federated-authentication";
	}
	return "unknown";
}

const char *cvpn_conn_status_str(enum cvpn_conn_status s)
{
	switch (s) {
	case CVPN_CONN_ACTIVE:
		return "active";
	case CVPN_CONN_FAILED_TO_TERMINATE:
		return "failed-to-terminate";
	case CVPN_CONN_TERMINATING:
		return "terminating";
	case CVPN_CONN_TERMINATED:
		return "terminated";
	}
	return "unknown";
}

RESULT cvpn_str_set(char **dst, const char *s)
{
	char *n = NULL;

	if (s) {
		n = strdup(s);
		if (!n)
			return E_NOMEM;
	}
	free(*dst);
	*dst = n;
	return E_OK;
}

void cvpn_endpoint_init(struct cvpn_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	e->status = CVPN_ST_PENDING_ASSOCIATE;
	e->transport = CVPN_UDP;
	e->port = CVPN_PORT_DEFAULT;
	e->session_hours = CVPN_SESSION_HOURS_DEFAULT;
	e->disconnect_on_session_timeout = true;
}

static void cvpn_auth_fini(struct cvpn_auth *a)
{
	free(a->client_root_chain_arn);
	free(a->directory_id);
	free(a->saml_provider_arn);
	free(a->self_service_saml_provider_arn);
	memset(a, 0, sizeof(*a));
}

void cvpn_endpoint_fini(struct cvpn_endpoint *e)
{
	size_t i;

	free(e->description);
	free(e->server_cert_arn);
	for (i = 0; i < CVPN_AUTH_OPTIONS_MAX; i++)
		cvpn_auth_fini(&e->auth[i]);
	free(e->log_group);
	free(e->log_stream);
	free(e->banner_text);
	free(e->lambda_arn);
	free(e->crl_pem);
	free(e->tok.token);
	for (i = 0; i < e->n_assocs; i++)
		free(e->assocs[i].tok.token);
	free(e->assocs);
	for (i = 0; i < e->n_rules; i++) {
		free(e->rules[i].group_id);
		free(e->rules[i].description);
		free(e->rules[i].tok.token);
	}
	free(e->rules);
	for (i = 0; i < e->n_routes; i++) {
		free(e->routes[i].description);
		free(e->routes[i].tok.token);
	}
	free(e->routes);
	for (i = 0; i < e->n_conns; i++) {
		free(e->conns[i].common_name);
		free(e->conns[i].username);
	}
	free(e->conns);
	memset(e, 0, sizeof(*e));
}

/* Grow an array by one zeroed element. */
static RESULT cvpn_grow(void **arr, size_t *n, size_t elem)
{
	void *nv = realloc(*arr, (*n + 1) * elem);

	if (!nv)
		return E_NOMEM;
	memset((char *)nv + *n * elem, 0, elem);
	*arr = nv;
	(*n)++;
	return E_OK;
}

static RESULT cvpn_tok_copy(struct cvpn_token *dst, const struct cvpn_token *src)
{
	memcpy(dst->hash, src->hash, sizeof(dst->hash));
	dst->token = NULL;
	return cvpn_str_set(&dst->token, src->token);
}

/* ---- target network associations (E1) ---- */

struct cvpn_assoc *cvpn_assoc_find(struct cvpn_endpoint *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->n_assocs; i++)
		if (strcmp(e->assocs[i].id, id) == 0)
			return &e->assocs[i];
	return NULL;
}

static RESULT cvpn_assoc_check(const struct cvpn_endpoint *e, const struct cvpn_assoc *a,
                               struct cvpn_verr *err)
{
	size_t i;

	if (e->status == CVPN_ST_DELETING || e->status == CVPN_ST_DELETED)
		return verr(err, E_CVPN_CONFLICT, "IncorrectState",
		            "Client VPN endpoint %s is %s; target networks cannot be associated.",
		            e->id, cvpn_status_str(e->status));
	for (i = 0; i < e->n_assocs; i++) {
		if (strcmp(e->assocs[i].subnet_id, a->subnet_id) == 0)
			return verr(err, E_CVPN_CONFLICT,
			            "InvalidClientVpnDuplicateAssociationException",
			            "Subnet %s is already associated with %s (%s).", a->subnet_id,
			            e->id, e->assocs[i].id);
		if (strcmp(e->assocs[i].az, a->az) == 0)
			return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnSubnetId.DuplicateAz",
			            "Subnet %s is in %s, where subnet %s is already associated; "
			            "associate at most one subnet per Availability Zone.",
			            a->subnet_id, a->az, e->assocs[i].subnet_id);
	}
	if (e->vpc_id[0] && strcmp(e->vpc_id, a->vpc_id) != 0)
		return verr(
		    err, E_CVPN_CONFLICT, "InvalidClientVpnSubnetId.NotFound",
		    "Subnet %s is in %s, not in the endpoint's VPC %s; change the endpoint's "
		    "VPC with ModifyClientVpnEndpoint first.",
		    a->subnet_id, a->vpc_id, e->vpc_id);
	if (a->subnet_cidr.len > CVPN_SUBNET_PREFIX_MAX)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Subnet %s is smaller than /%d; a target network must be at least /%d.",
		            a->subnet_id, CVPN_SUBNET_PREFIX_MAX, CVPN_SUBNET_PREFIX_MAX);
	if (prefix_overlaps(&a->subnet_cidr, &e->client_cidr) ||
	    (a->vpc_cidr.addr.family && prefix_overlaps(&a->vpc_cidr, &e->client_cidr))) {
		char c1[PREFIX_STRLEN], c2[PREFIX_STRLEN];

		prefix_format(&e->client_cidr, c1);
		prefix_format(a->vpc_cidr.addr.family ? &a->vpc_cidr : &a->subnet_cidr, c2);
		return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnSubnetId.OverlappingCidr",
		            "The client CIDR %s of %s overlaps %s of subnet %s; use a subnet in a "
		            "VPC whose range does not overlap the client CIDR.",
		            c1, e->id, c2, a->subnet_id);
	}
	return E_OK;
}

RESULT cvpn_assoc_add(struct cvpn_endpoint *e, const struct cvpn_assoc *a, struct cvpn_verr *err)
{
	struct cvpn_assoc *n;
	struct cvpn_route rt;
	size_t i;
	bool have_route = false;

	GUARD(cvpn_assoc_check(e, a, err));
	GUARD(cvpn_grow((void **)&e->assocs, &e->n_assocs, sizeof(*e->assocs)));
	n = &e->assocs[e->n_assocs - 1];
	*n = *a;
	GUARD(cvpn_tok_copy(&n->tok, &a->tok));
	if (!e->vpc_id[0]) {
		snprintf(e->vpc_id, sizeof(e->vpc_id), "%s", a->vpc_id);
		e->vpc_cidr = a->vpc_cidr;
	}
	/* E1: the local route of the subnet's VPC is added automatically (origin associate),
	 * one per target subnet. */
	for (i = 0; i < e->n_routes; i++)
		if (prefix_equal(&e->routes[i].dst, &a->vpc_cidr) &&
		    strcmp(e->routes[i].target_subnet, a->subnet_id) == 0)
			have_route = true;
	if (a->vpc_cidr.addr.family && !have_route) {
		memset(&rt, 0, sizeof(rt));
		rt.dst = a->vpc_cidr;
		snprintf(rt.target_subnet, sizeof(rt.target_subnet), "%s", a->subnet_id);
		rt.origin_associate = true;
		rt.created_ms = a->created_ms;
		GUARD(cvpn_grow((void **)&e->routes, &e->n_routes, sizeof(*e->routes)));
		e->routes[e->n_routes - 1] = rt;
	}
	if (e->status == CVPN_ST_PENDING_ASSOCIATE)
		e->status = CVPN_ST_AVAILABLE; /* A5 */
	return E_OK;
}

static void cvpn_route_drop(struct cvpn_endpoint *e, size_t i)
{
	free(e->routes[i].description);
	free(e->routes[i].tok.token);
	memmove(&e->routes[i], &e->routes[i + 1], (e->n_routes - i - 1) * sizeof(*e->routes));
	e->n_routes--;
}

size_t cvpn_conns_terminate_all(struct cvpn_endpoint *e, int64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < e->n_conns; i++)
		if (e->conns[i].status == CVPN_CONN_ACTIVE) {
			cvpn_conn_end(&e->conns[i], now_ms, CVPN_END_RESET,
			              "Connection reset by a change of the endpoint");
			n++;
		}
	return n;
}

void cvpn_conn_end(struct cvpn_conn *c, int64_t now_ms, enum cvpn_conn_end why, const char *msg)
{
	c->status = CVPN_CONN_TERMINATED;
	c->end_ms = now_ms;
	c->end = why;
	snprintf(c->msg, sizeof(c->msg), "%s", msg ? msg : "");
}

struct cvpn_conn *cvpn_conn_find(struct cvpn_endpoint *e, const char *id)
{
	for (size_t i = 0; i < e->n_conns; i++)
		if (strcmp(e->conns[i].id, id) == 0)
			return &e->conns[i];
	return NULL;
}

const char *cvpn_conn_end_str(enum cvpn_conn_end e)
{
	switch (e) {
	case CVPN_END_TERMINATED:
		return "terminated";
	case CVPN_END_RESET:
		return "reset";
	case CVPN_END_GONE:
		return "gone";
	case CVPN_END_NONE:
		break;
	}
	return "none";
}

RESULT cvpn_assoc_remove(struct cvpn_endpoint *e, const char *id, int64_t now_ms,
                         size_t *terminated, struct cvpn_verr *err)
{
	struct cvpn_assoc *a = cvpn_assoc_find(e, id);
	size_t i;

	*terminated = 0;
	if (!a)
		return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnAssociationId.NotFound",
		            "The association ID '%.64s' does not exist on %s.", id, e->id);
	/* Routes that target this subnet go with it (associate ones always; manual ones can no
	 * longer be reached either). */
	for (i = e->n_routes; i-- > 0;)
		if (strcmp(e->routes[i].target_subnet, a->subnet_id) == 0)
			cvpn_route_drop(e, i);
	free(a->tok.token);
	i = (size_t)(a - e->assocs);
	memmove(&e->assocs[i], &e->assocs[i + 1], (e->n_assocs - i - 1) * sizeof(*e->assocs));
	e->n_assocs--;
	if (e->n_assocs == 0 && e->status == CVPN_ST_AVAILABLE) {
		/* A11: last one: connections terminated, back to pending-associate. */
		*terminated = cvpn_conns_terminate_all(e, now_ms);
		e->status = CVPN_ST_PENDING_ASSOCIATE;
	}
	return E_OK;
}

/* ---- authorization rules (E3) ---- */

static bool cvpn_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

RESULT cvpn_rule_add(struct cvpn_endpoint *e, const struct cvpn_rule *r, struct cvpn_verr *err)
{
	struct cvpn_rule *n;
	char c[PREFIX_STRLEN];
	size_t i;

	prefix_format(&r->dst, c);
	if (!r->access_all && (!r->group_id || !*r->group_id))
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Give AccessGroupId, or set AuthorizeAllGroups=true to authorize every "
		            "client for %s.",
		            c);
	if (r->access_all && r->group_id)
		return verr(err, E_CVPN_INVALID, "InvalidParameterCombination",
		            "AccessGroupId and AuthorizeAllGroups=true cannot be used together.");
	for (i = 0; i < e->n_rules; i++)
		if (prefix_equal(&e->rules[i].dst, &r->dst) &&
		    e->rules[i].access_all == r->access_all &&
		    cvpn_str_eq(e->rules[i].group_id, r->group_id))
			return verr(err, E_CVPN_CONFLICT,
			            "InvalidClientVpnDuplicateAuthorizationRule",
			            "An authorization rule for %s (%s) already exists on %s.", c,
			            r->access_all ? "all groups" : r->group_id, e->id);
	if (e->n_rules >= CVPN_RULES_MAX)
		return verr(err, E_CVPN_CONFLICT, "ClientVpnAuthorizationRuleLimitExceeded",
		            "%s already has %d authorization rules, the maximum.", e->id,
		            CVPN_RULES_MAX);
	GUARD(cvpn_grow((void **)&e->rules, &e->n_rules, sizeof(*e->rules)));
	n = &e->rules[e->n_rules - 1];
	n->dst = r->dst;
	n->access_all = r->access_all;
	n->created_ms = r->created_ms;
	GUARD(cvpn_str_set(&n->group_id, r->group_id));
	GUARD(cvpn_str_set(&n->description, r->description));
	return cvpn_tok_copy(&n->tok, &r->tok);
}

RESULT cvpn_rule_remove(struct cvpn_endpoint *e, const struct prefix *dst, const char *group,
                        bool all_groups, struct cvpn_verr *err)
{
	char c[PREFIX_STRLEN];
	size_t i;

	prefix_format(dst, c);
	if (!all_groups && (!group || !*group))
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Give AccessGroupId, or RevokeAllGroups=true to remove the all-groups "
		            "rule for %s.",
		            c);
	for (i = 0; i < e->n_rules; i++) {
		struct cvpn_rule *r = &e->rules[i];

		if (!prefix_equal(&r->dst, dst))
			continue;
		/* RevokeAllGroups removes only the "all groups" rule for that CIDR (E3). */
		if (all_groups ? !r->access_all : !cvpn_str_eq(r->group_id, group))
			continue;
		free(r->group_id);
		free(r->description);
		free(r->tok.token);
		memmove(r, r + 1, (e->n_rules - i - 1) * sizeof(*r));
		e->n_rules--;
		return E_OK;
	}
	return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnEndpointAuthorizationRuleNotFound",
	            "No authorization rule for %s (%s) exists on %s.", c,
	            all_groups ? "all groups" : group, e->id);
}

/* Longest prefix wins; 0.0.0.0/0 only covers what no other rule covers (E3). */
bool cvpn_rules_allow(const struct cvpn_endpoint *e, const struct addr *dst,
                      const char *const *groups, size_t n_groups)
{
	int best = -1;
	bool allow = false;
	size_t i, g;

	for (i = 0; i < e->n_rules; i++) {
		const struct cvpn_rule *r = &e->rules[i];
		bool match = r->access_all;

		if (!prefix_contains(&r->dst, dst) || (int)r->dst.len < best)
			continue;
		for (g = 0; !match && g < n_groups; g++)
			match = r->group_id && strcmp(r->group_id, groups[g]) == 0;
		if ((int)r->dst.len > best) {
			best = r->dst.len;
			allow = match;
		} else {
			allow = allow || match;
		}
	}
	return allow;
}

bool cvpn_forward_allowed(const struct cvpn_endpoint *e, const struct addr *dst,
                          const char *const *groups, size_t n_groups)
{
	bool routed = false;

	for (size_t i = 0; i < e->n_routes && !routed; i++)
		routed = prefix_contains(&e->routes[i].dst, dst);
	return routed && cvpn_rules_allow(e, dst, groups, n_groups);
}

/* ---- routes (E2) ---- */

RESULT cvpn_route_add(struct cvpn_endpoint *e, const struct cvpn_route *r, struct cvpn_verr *err)
{
	struct cvpn_route *n;
	char c[PREFIX_STRLEN];
	size_t i, manual = 0;
	bool local = strcmp(r->target_subnet, "local") == 0;

	prefix_format(&r->dst, c);
	if (!local) {
		for (i = 0; i < e->n_assocs; i++)
			if (strcmp(e->assocs[i].subnet_id, r->target_subnet) == 0)
				break;
		if (i == e->n_assocs)
			return verr(err, E_CVPN_CONFLICT,
			            "InvalidClientVpnActiveAssociationNotFound",
			            "Subnet %.64s is not an associated target network of %s; "
			            "associate it first or use 'local' for the client CIDR.",
			            r->target_subnet, e->id);
	} else if (!prefix_equal(&r->dst, &e->client_cidr)) {
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Target 'local' is only valid for the client CIDR itself, not %s.", c);
	}
	/* B2b: a route must not overlap the client CIDR (except the 'local' route). */
	if (!local && prefix_overlaps(&r->dst, &e->client_cidr) && r->dst.len > 0)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Route destination %s overlaps the client CIDR of %s.", c, e->id);
	for (i = 0; i < e->n_routes; i++) {
		if (prefix_equal(&e->routes[i].dst, &r->dst) &&
		    strcmp(e->routes[i].target_subnet, r->target_subnet) == 0)
			return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnDuplicateRoute",
			            "A route to %s through %s already exists on %s.", c,
			            r->target_subnet, e->id);
		manual += !e->routes[i].origin_associate;
	}
	if (manual >= CVPN_ROUTES_MAX)
		return verr(err, E_CVPN_CONFLICT, "ClientVpnRouteLimitExceeded",
		            "%s already has %d routes, the maximum.", e->id, CVPN_ROUTES_MAX);
	GUARD(cvpn_grow((void **)&e->routes, &e->n_routes, sizeof(*e->routes)));
	n = &e->routes[e->n_routes - 1];
	n->dst = r->dst;
	memcpy(n->target_subnet, r->target_subnet, sizeof(n->target_subnet));
	n->origin_associate = false;
	n->created_ms = r->created_ms;
	GUARD(cvpn_str_set(&n->description, r->description));
	return cvpn_tok_copy(&n->tok, &r->tok);
}

RESULT cvpn_route_remove(struct cvpn_endpoint *e, const struct prefix *dst, const char *target,
                         struct cvpn_verr *err)
{
	char c[PREFIX_STRLEN];
	size_t i;

	prefix_format(dst, c);
	for (i = 0; i < e->n_routes; i++) {
		if (!prefix_equal(&e->routes[i].dst, dst) ||
		    (target && strcmp(e->routes[i].target_subnet, target) != 0))
			continue;
		if (e->routes[i].origin_associate)
			return verr(err, E_CVPN_CONFLICT, "InvalidParameterValue",
			            "The route to %s was added by associating %s and cannot be "
			            "deleted; disassociate the subnet instead.",
			            c, e->routes[i].target_subnet);
		cvpn_route_drop(e, i);
		return E_OK;
	}
	return verr(err, E_CVPN_CONFLICT, "InvalidClientVpnRouteNotFound",
	            "No route to %s%s%s exists on %s.", c, target ? " through " : "",
	            target ? target : "", e->id);
}

/* ---- connections (E5) ---- */

RESULT cvpn_conn_add(struct cvpn_endpoint *e, const struct cvpn_conn *c)
{
	struct cvpn_conn *n;

	GUARD(cvpn_grow((void **)&e->conns, &e->n_conns, sizeof(*e->conns)));
	n = &e->conns[e->n_conns - 1];
	*n = *c;
	n->common_name = NULL;
	n->username = NULL;
	GUARD(cvpn_str_set(&n->common_name, c->common_name));
	return cvpn_str_set(&n->username, c->username);
}

void cvpn_conn_expire(struct cvpn_endpoint *e, int64_t now_ms)
{
	size_t i = 0;

	while (i < e->n_conns) {
		struct cvpn_conn *c = &e->conns[i];

		if (c->status == CVPN_CONN_TERMINATED && c->end_ms &&
		    now_ms - c->end_ms > CVPN_CONN_RETENTION_MS) {
			free(c->common_name);
			free(c->username);
			memmove(c, c + 1, (e->n_conns - i - 1) * sizeof(*c));
			e->n_conns--;
		} else {
			i++;
		}
	}
}

/* ---- derived state ---- */

static bool cvpn_young(int64_t created_ms, int64_t now_ms, uint64_t pending_ms)
{
	return now_ms >= created_ms && (uint64_t)(now_ms - created_ms) < pending_ms;
}

const char *cvpn_assoc_state(const struct cvpn_assoc *a, int64_t now_ms, uint64_t pending_ms)
{
	return cvpn_young(a->created_ms, now_ms, pending_ms) ? "associating" : "associated";
}

const char *cvpn_rule_state(const struct cvpn_rule *r, int64_t now_ms, uint64_t pending_ms)
{
	return cvpn_young(r->created_ms, now_ms, pending_ms) ? "authorizing" : "active";
}

const char *cvpn_route_state(const struct cvpn_route *r, int64_t now_ms, uint64_t pending_ms)
{
	return cvpn_young(r->created_ms, now_ms, pending_ms) ? "creating" : "active";
}

void cvpn_dns_name(const char *id, const char *region, char *buf, size_t len)
{
	snprintf(buf, len, "*.%s.prod.clientvpn.%s.%s", id, region, CVPN_DNS_DOMAIN);
}
