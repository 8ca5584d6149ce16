/*
 * cvpn/cvpn_json.c - the endpoint as a JSON document (json-c) for the store row's `doc`.
 * Keys are the EC2 member names in lowerCamel. Reading is strict about types: a document that
 * does not have the shape we write is E_PARSE (never a crash).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cvpn/cvpn_int.h"

/* ---- writing ---- */

static void jset_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void jset_i64(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void jset_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void jset_prefix(struct json_object *o, const char *k, const struct prefix *p)
{
	char b[PREFIX_STRLEN];

	if (!p->addr.family)
		return;
	prefix_format(p, b);
	jset_str(o, k, b);
}

static void jset_tok(struct json_object *o, const struct cvpn_token *t)
{
	if (!t->token)
		return;
	jset_str(o, "clientToken", t->token);
	jset_str(o, "paramsHash", t->hash);
}

static struct json_object *jarr(struct json_object *o, const char *k)
{
	struct json_object *a = json_object_new_array();

	json_object_object_add(o, k, a);
	return a;
}

static void cvpn_json_subs(struct json_object *o, const struct cvpn_endpoint *e)
{
	struct json_object *a;
	size_t i;

	a = jarr(o, "associations");
	for (i = 0; i < e->n_assocs; i++) {
		const struct cvpn_assoc *s = &e->assocs[i];
		struct json_object *j = json_object_new_object();

		jset_str(j, "associationId", s->id);
		jset_str(j, "subnetId", s->subnet_id);
		jset_str(j, "vpcId", s->vpc_id);
		jset_str(j, "availabilityZone", s->az);
		jset_prefix(j, "subnetCidr", &s->subnet_cidr);
		jset_prefix(j, "vpcCidr", &s->vpc_cidr);
		jset_i64(j, "createdMs", s->created_ms);
		jset_tok(j, &s->tok);
		json_object_array_add(a, j);
	}
	a = jarr(o, "authorizationRules");
	for (i = 0; i < e->n_rules; i++) {
		const struct cvpn_rule *r = &e->rules[i];
		struct json_object *j = json_object_new_object();

		jset_prefix(j, "destinationCidr", &r->dst);
		jset_str(j, "groupId", r->group_id);
		jset_bool(j, "accessAll", r->access_all);
		jset_str(j, "description", r->description);
		jset_i64(j, "createdMs", r->created_ms);
		jset_tok(j, &r->tok);
		json_object_array_add(a, j);
	}
	a = jarr(o, "routes");
	for (i = 0; i < e->n_routes; i++) {
		const struct cvpn_route *r = &e->routes[i];
		struct json_object *j = json_object_new_object();

		jset_prefix(j, "destinationCidr", &r->dst);
		jset_str(j, "targetSubnet", r->target_subnet);
		jset_str(j, "origin", r->origin_associate ? "associate" : "add-route");
		jset_str(j, "description", r->description);
		jset_i64(j, "createdMs", r->created_ms);
		jset_tok(j, &r->tok);
		json_object_array_add(a, j);
	}
	a = jarr(o, "connections");
	for (i = 0; i < e->n_conns; i++) {
		const struct cvpn_conn *c = &e->conns[i];
		struct json_object *j = json_object_new_object();

		jset_str(j, "connectionId", c->id);
		jset_str(j, "commonName", c->common_name);
		jset_str(j, "username", c->username);
		jset_str(j, "clientIp", c->client_ip);
		jset_str(j, "status", cvpn_conn_status_str(c->status));
		jset_i64(j, "establishedMs", c->established_ms);
		jset_i64(j, "endMs", c->end_ms);
		if (c->end != CVPN_END_NONE)
			jset_str(j, "endReason", cvpn_conn_end_str(c->end));
		if (c->msg[0])
			jset_str(j, "message", c->msg);
		jset_i64(j, "ingressBytes", (int64_t)c->ingress_bytes);
		jset_i64(j, "egressBytes", (int64_t)c->egress_bytes);
		jset_i64(j, "ingressPackets", (int64_t)c->ingress_packets);
		jset_i64(j, "egressPackets", (int64_t)c->egress_packets);
		json_object_array_add(a, j);
	}
}

struct json_object *cvpn_endpoint_to_json(const struct cvpn_endpoint *e)
{
	struct json_object *o = json_object_new_object(), *a;
	char b[ADDR_STRLEN];
	size_t i;

	if (!o)
		return NULL;
	jset_str(o, "clientVpnEndpointId", e->id);
	jset_str(o, "description", e->description);
	jset_str(o, "status", cvpn_status_str(e->status));
	jset_i64(o, "createdMs", e->created_ms);
	jset_i64(o, "deletedMs", e->deleted_ms);
	jset_prefix(o, "clientCidrBlock", &e->client_cidr);
	jset_str(o, "serverCertificateArn", e->server_cert_arn);
	a = jarr(o, "authenticationOptions");
	for (i = 0; i < e->n_auth; i++) {
		struct json_object *j = json_object_new_object();

		jset_str(j, "type", cvpn_auth_type_str(e->auth[i].type));
		jset_str(j, "clientRootCertificateChain", e->auth[i].client_root_chain_arn);
		jset_str(j, "directoryId", e->auth[i].directory_id);
		jset_str(j, "samlProviderArn", e->auth[i].saml_provider_arn);
		jset_str(j, "selfServiceSamlProviderArn",
		         e->auth[i].self_service_saml_provider_arn);
		json_object_array_add(a, j);
	}
	jset_bool(o, "logEnabled", e->log_enabled);
	jset_str(o, "logGroup", e->log_group);
	jset_str(o, "logStream", e->log_stream);
	a = jarr(o, "dnsServers");
	for (i = 0; i < e->n_dns; i++) {
		addr_format(&e->dns[i], b);
		json_object_array_add(a, json_object_new_string(b));
	}
	jset_str(o, "transportProtocol", cvpn_transport_str(e->transport));
	jset_i64(o, "vpnPort", e->port);
	jset_bool(o, "splitTunnel", e->split_tunnel);
	jset_i64(o, "sessionTimeoutHours", e->session_hours);
	jset_bool(o, "disconnectOnSessionTimeout", e->disconnect_on_session_timeout);
	jset_bool(o, "bannerEnabled", e->banner_enabled);
	jset_str(o, "bannerText", e->banner_text);
	jset_bool(o, "connectEnabled", e->connect_enabled);
	jset_str(o, "lambdaFunctionArn", e->lambda_arn);
	jset_bool(o, "selfServicePortal", e->self_service_portal);
	if (e->vpc_id[0])
		jset_str(o, "vpcId", e->vpc_id);
	jset_prefix(o, "vpcCidr", &e->vpc_cidr);
	a = jarr(o, "securityGroupIds");
	for (i = 0; i < e->n_sg; i++)
		json_object_array_add(a, json_object_new_string(e->sg_ids[i]));
	jset_str(o, "crl", e->crl_pem);
	jset_i64(o, "crlMs", e->crl_ms);
	if (e->listen_addr.family) {
		char la[ADDR_STRLEN];

		addr_format(&e->listen_addr, la);
		jset_str(o, "listenAddress", la);
	}
	jset_tok(o, &e->tok);
	cvpn_json_subs(o, e);
	return o;
}

/* ---- reading ---- */

static struct json_object *jget(struct json_object *o, const char *k, enum json_type t)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static RESULT jstr(struct json_object *o, const char *k, char **dst)
{
	struct json_object *v = jget(o, k, json_type_string);

	return v ? cvpn_str_set(dst, json_object_get_string(v)) : E_OK;
}

static RESULT jbuf(struct json_object *o, const char *k, char *dst, size_t len)
{
	struct json_object *v = jget(o, k, json_type_string);

	if (!v)
		return E_OK;
	if ((size_t)json_object_get_string_len(v) >= len)
		return E_PARSE;
	snprintf(dst, len, "%s", json_object_get_string(v));
	return E_OK;
}

static int64_t ji64(struct json_object *o, const char *k, int64_t def)
{
	struct json_object *v = jget(o, k, json_type_int);

	return v ? json_object_get_int64(v) : def;
}

static bool jbool(struct json_object *o, const char *k, bool def)
{
	struct json_object *v = jget(o, k, json_type_boolean);

	return v ? json_object_get_boolean(v) : def;
}

static RESULT jprefix(struct json_object *o, const char *k, struct prefix *p)
{
	struct json_object *v = jget(o, k, json_type_string);

	if (!v)
		return E_OK;
	return prefix_parse(json_object_get_string(v), false, p) == E_OK ? E_OK : E_PARSE;
}

static RESULT jtok(struct json_object *o, struct cvpn_token *t)
{
	GUARD(jstr(o, "clientToken", &t->token));
	return jbuf(o, "paramsHash", t->hash, sizeof(t->hash));
}

/* Each array element must be an object (checked by the caller's loop). */
static size_t jlen(struct json_object *o, const char *k, struct json_object **arr)
{
	*arr = jget(o, k, json_type_array);
	return *arr ? json_object_array_length(*arr) : 0;
}

static RESULT jelem(struct json_object *arr, size_t i, struct json_object **out)
{
	*out = json_object_array_get_idx(arr, i);
	return *out && json_object_is_type(*out, json_type_object) ? E_OK : E_PARSE;
}

static RESULT cvpn_json_assocs(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *j;
	size_t i, n = jlen(o, "associations", &arr);

	for (i = 0; i < n; i++) {
		struct cvpn_assoc a;

		GUARD(jelem(arr, i, &j));
		memset(&a, 0, sizeof(a));
		GUARD(jbuf(j, "associationId", a.id, sizeof(a.id)));
		GUARD(jbuf(j, "subnetId", a.subnet_id, sizeof(a.subnet_id)));
		GUARD(jbuf(j, "vpcId", a.vpc_id, sizeof(a.vpc_id)));
		GUARD(jbuf(j, "availabilityZone", a.az, sizeof(a.az)));
		GUARD(jprefix(j, "subnetCidr", &a.subnet_cidr));
		GUARD(jprefix(j, "vpcCidr", &a.vpc_cidr));
		a.created_ms = ji64(j, "createdMs", 0);
		e->assocs = realloc(e->assocs, (e->n_assocs + 1) * sizeof(*e->assocs));
		if (!e->assocs)
			return E_NOMEM;
		e->assocs[e->n_assocs++] = a;
		GUARD(jtok(j, &e->assocs[e->n_assocs - 1].tok));
	}
	return E_OK;
}

static RESULT cvpn_json_rules(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *j;
	size_t i, n = jlen(o, "authorizationRules", &arr);

	for (i = 0; i < n; i++) {
		struct cvpn_rule *r;

		GUARD(jelem(arr, i, &j));
		e->rules = realloc(e->rules, (e->n_rules + 1) * sizeof(*e->rules));
		if (!e->rules)
			return E_NOMEM;
		r = &e->rules[e->n_rules++];
		memset(r, 0, sizeof(*r));
		GUARD(jprefix(j, "destinationCidr", &r->dst));
		GUARD(jstr(j, "groupId", &r->group_id));
		r->access_all = jbool(j, "accessAll", false);
		GUARD(jstr(j, "description", &r->description));
		r->created_ms = ji64(j, "createdMs", 0);
		GUARD(jtok(j, &r->tok));
	}
	return E_OK;
}

static RESULT cvpn_json_routes(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *j;
	size_t i, n = jlen(o, "routes", &arr);
	char *origin = NULL;

	for (i = 0; i < n; i++) {
		struct cvpn_route *r;

		GUARD(jelem(arr, i, &j));
		e->routes = realloc(e->routes, (e->n_routes + 1) * sizeof(*e->routes));
		if (!e->routes)
			return E_NOMEM;
		r = &e->routes[e->n_routes++];
		memset(r, 0, sizeof(*r));
		GUARD(jprefix(j, "destinationCidr", &r->dst));
		GUARD(jbuf(j, "targetSubnet", r->target_subnet, sizeof(r->target_subnet)));
		GUARD(jstr(j, "origin", &origin));
		r->origin_associate = origin && strcmp(origin, "associate") == 0;
		GUARD(cvpn_str_set(&origin, NULL));
		GUARD(jstr(j, "description", &r->description));
		r->created_ms = ji64(j, "createdMs", 0);
		GUARD(jtok(j, &r->tok));
	}
	return E_OK;
}

static enum cvpn_conn_status cvpn_conn_status_parse(const char *s)
{
	static const enum cvpn_conn_status all[] = {CVPN_CONN_ACTIVE, CVPN_CONN_FAILED_TO_TERMINATE,
	                                            CVPN_CONN_TERMINATING, CVPN_CONN_TERMINATED};
	size_t i;

	for (i = 0; s && i < 4; i++)
		if (strcmp(s, cvpn_conn_status_str(all[i])) == 0)
			return all[i];
	return CVPN_CONN_TERMINATED;
}

static enum cvpn_conn_end cvpn_conn_end_parse(const char *s)
{
	static const enum cvpn_conn_end all[] = {CVPN_END_TERMINATED, CVPN_END_RESET,
	                                         CVPN_END_GONE};

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, cvpn_conn_end_str(all[i])) == 0)
			return all[i];
	return CVPN_END_NONE;
}

static RESULT cvpn_json_conns(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *j, *st;
	size_t i, n = jlen(o, "connections", &arr);

	for (i = 0; i < n; i++) {
		struct cvpn_conn *c;

		GUARD(jelem(arr, i, &j));
		e->conns = realloc(e->conns, (e->n_conns + 1) * sizeof(*e->conns));
		if (!e->conns)
			return E_NOMEM;
		c = &e->conns[e->n_conns++];
		memset(c, 0, sizeof(*c));
		GUARD(jbuf(j, "connectionId", c->id, sizeof(c->id)));
		GUARD(jstr(j, "commonName", &c->common_name));
		GUARD(jstr(j, "username", &c->username));
		GUARD(jbuf(j, "clientIp", c->client_ip, sizeof(c->client_ip)));
		st = jget(j, "status", json_type_string);
		c->status = cvpn_conn_status_parse(st ? json_object_get_string(st) : NULL);
		c->established_ms = ji64(j, "establishedMs", 0);
		c->end_ms = ji64(j, "endMs", 0);
		st = jget(j, "endReason", json_type_string);
		c->end = cvpn_conn_end_parse(st ? json_object_get_string(st) : NULL);
		GUARD(jbuf(j, "message", c->msg, sizeof(c->msg)));
		c->ingress_bytes = (uint64_t)ji64(j, "ingressBytes", 0);
		c->egress_bytes = (uint64_t)ji64(j, "egressBytes", 0);
		c->ingress_packets = (uint64_t)ji64(j, "ingressPackets", 0);
		c->egress_packets = (uint64_t)ji64(j, "egressPackets", 0);
	}
	return E_OK;
}

static RESULT cvpn_json_auth(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *j, *t;
	size_t i, n = jlen(o, "authenticationOptions", &arr);

	if (n > CVPN_AUTH_OPTIONS_MAX)
		return E_PARSE;
	for (i = 0; i < n; i++) {
		struct cvpn_auth *a = &e->auth[i];
		const char *ts;

		GUARD(jelem(arr, i, &j));
		t = jget(j, "type", json_type_string);
		ts = t ? json_object_get_string(t) : "";
		if (strcmp(ts, "certificate-authentication") == 0)
			a->type = CVPN_AUTH_CERTIFICATE;
		else if (strcmp(ts, "directory-service-authentication") == 0)
			a->type = CVPN_AUTH_DIRECTORY;
		else if (strcmp(ts, "federated-authentication") == 0)
			a->type = CVPN_AUTH_FEDERATED;
		else
			return E_PARSE;
		GUARD(jstr(j, "clientRootCertificateChain", &a->client_root_chain_arn));
		GUARD(jstr(j, "directoryId", &a->directory_id));
		GUARD(jstr(j, "samlProviderArn", &a->saml_provider_arn));
		GUARD(jstr(j, "selfServiceSamlProviderArn", &a->self_service_saml_provider_arn));
		e->n_auth = i + 1;
	}
	return E_OK;
}

static RESULT cvpn_json_lists(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *arr, *v;
	size_t i, n;

	n = jlen(o, "dnsServers", &arr);
	if (n > CVPN_DNS_SERVERS_MAX)
		return E_PARSE;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!v || !json_object_is_type(v, json_type_string) ||
		    addr_parse(json_object_get_string(v), &e->dns[i]) != E_OK)
			return E_PARSE;
		e->n_dns = i + 1;
	}
	n = jlen(o, "securityGroupIds", &arr);
	if (n > CVPN_SG_MAX)
		return E_PARSE;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!v || !json_object_is_type(v, json_type_string) ||
		    (size_t)json_object_get_string_len(v) >= CVPN_ID_MAX)
			return E_PARSE;
		snprintf(e->sg_ids[i], CVPN_ID_MAX, "%s", json_object_get_string(v));
		e->n_sg = i + 1;
	}
	return E_OK;
}

RESULT cvpn_endpoint_from_json(struct json_object *o, struct cvpn_endpoint *e)
{
	struct json_object *v;
	int64_t n;

	cvpn_endpoint_init(e);
	if (!o || !json_object_is_type(o, json_type_object))
		return E_PARSE;
	GUARD(jbuf(o, "clientVpnEndpointId", e->id, sizeof(e->id)));
	GUARD(jstr(o, "description", &e->description));
	v = jget(o, "status", json_type_string);
	if (!v || cvpn_status_parse(json_object_get_string(v), &e->status) != E_OK)
		return E_PARSE;
	e->created_ms = ji64(o, "createdMs", 0);
	e->deleted_ms = ji64(o, "deletedMs", 0);
	GUARD(jprefix(o, "clientCidrBlock", &e->client_cidr));
	GUARD(jstr(o, "serverCertificateArn", &e->server_cert_arn));
	GUARD(cvpn_json_auth(o, e));
	e->log_enabled = jbool(o, "logEnabled", false);
	GUARD(jstr(o, "logGroup", &e->log_group));
	GUARD(jstr(o, "logStream", &e->log_stream));
	v = jget(o, "transportProtocol", json_type_string);
	e->transport = v && strcmp(json_object_get_string(v), "tcp") == 0 ? CVPN_TCP : CVPN_UDP;
	n = ji64(o, "vpnPort", CVPN_PORT_DEFAULT);
	e->port = n > 0 && n < 65536 ? (uint16_t)n : CVPN_PORT_DEFAULT;
	e->split_tunnel = jbool(o, "splitTunnel", false);
	n = ji64(o, "sessionTimeoutHours", CVPN_SESSION_HOURS_DEFAULT);
	e->session_hours = n > 0 && n <= 24 ? (unsigned)n : CVPN_SESSION_HOURS_DEFAULT;
	e->disconnect_on_session_timeout = jbool(o, "disconnectOnSessionTimeout", true);
	e->banner_enabled = jbool(o, "bannerEnabled", false);
	GUARD(jstr(o, "bannerText", &e->banner_text));
	e->connect_enabled = jbool(o, "connectEnabled", false);
	GUARD(jstr(o, "lambdaFunctionArn", &e->lambda_arn));
	e->self_service_portal = jbool(o, "selfServicePortal", false);
	GUARD(jbuf(o, "vpcId", e->vpc_id, sizeof(e->vpc_id)));
	GUARD(jprefix(o, "vpcCidr", &e->vpc_cidr));
	GUARD(cvpn_json_lists(o, e));
	GUARD(jstr(o, "crl", &e->crl_pem));
	e->crl_ms = ji64(o, "crlMs", 0);
	v = jget(o, "listenAddress", json_type_string);
	if (v && addr_parse(json_object_get_string(v), &e->listen_addr) != E_OK)
		return E_PARSE;
	GUARD(jtok(o, &e->tok));
	GUARD(cvpn_json_assocs(o, e));
	GUARD(cvpn_json_rules(o, e));
	GUARD(cvpn_json_routes(o, e));
	return cvpn_json_conns(o, e);
}
