/*
 * cvpn/cvpn_ops_endpoint.c - CreateClientVpnEndpoint, DescribeClientVpnEndpoints,
 * ModifyClientVpnEndpoint, DeleteClientVpnEndpoint (client-vpn.md A-C).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "cvpn/cvpn_ops.h"

static const char *const cvpn_live_states[] = {"pending-associate", "available", "deleting", NULL};

/* ---- request -> model (shared by create and modify) ---- */

static RESULT ep_auth_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e)
{
	uint32_t idx[CVPN_AUTH_OPTIONS_MAX + 2];
	size_t n, i;

	n = api_param_indices(&rq->params, "Authentication", idx, CVPN_AUTH_OPTIONS_MAX + 1);
	if (n > CVPN_AUTH_OPTIONS_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "At most %d authentication options can be given.",
		                 CVPN_AUTH_OPTIONS_MAX);
	for (i = 0; i < n; i++) {
		struct cvpn_auth *a = &e->auth[i];
		const char *t = api_paramf(&rq->params, "Authentication.%u.Type", idx[i]);

		if (!t)
			return api_error(rs, 400, "MissingParameter",
			                 "Authentication.%u.Type is required "
			                 "(certificate-authentication).",
			                 idx[i]);
		if (strcmp(t, "certificate-authentication") == 0)
			a->type = CVPN_AUTH_CERTIFICATE;
		else if (strcmp(t, "directory-service-authentication") == 0)
			a->type = CVPN_AUTH_DIRECTORY;
		else if (strcmp(t, "federated-authentication") == 0)
			a->type = CVPN_AUTH_FEDERATED;
		else
			return api_error(rs, 400, "InvalidParameterValue",
			                 "Authentication.%u.Type '%.64s' is not valid: use "
			                 "certificate-authentication.",
			                 idx[i], t);
		GUARD(cvpn_str_set(&a->client_root_chain_arn,
		                   api_paramf(&rq->params,
		                              "Authentication.%u.MutualAuthentication."
		                              "ClientRootCertificateChainArn",
		                              idx[i])));
		GUARD(cvpn_str_set(&a->directory_id,
		                   api_paramf(&rq->params,
		                              "Authentication.%u.ActiveDirectory.DirectoryId",
		                              idx[i])));
		GUARD(cvpn_str_set(&a->saml_provider_arn,
		                   api_paramf(&rq->params,
		                              "Authentication.%u.FederatedAuthentication."
		                              "SAMLProviderArn",
		                              idx[i])));
		e->n_auth = i + 1;
	}
	return E_OK;
}

/* ConnectionLogOptions.{Enabled,CloudwatchLogGroup,CloudwatchLogStream}; *given false when
 * none is present. */
static RESULT ep_log_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e,
                           bool *given)
{
	const char *en = api_param(&rq->params, "ConnectionLogOptions.Enabled");
	const char *g = api_param(&rq->params, "ConnectionLogOptions.CloudwatchLogGroup");
	const char *s = api_param(&rq->params, "ConnectionLogOptions.CloudwatchLogStream");

	*given = en || g || s;
	if (!*given)
		return E_OK;
	GUARD(api_get_bool(rq, rs, "ConnectionLogOptions.Enabled", false, &e->log_enabled));
	GUARD(cvpn_str_set(&e->log_group, e->log_enabled ? g : NULL));
	GUARD(cvpn_str_set(&e->log_stream, e->log_enabled ? s : NULL));
	return E_OK;
}

static RESULT ep_connect_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e)
{
	const char *arn = api_param(&rq->params, "ClientConnectOptions.LambdaFunctionArn");
	struct cvpn_verr err;
	result_t rc;

	if (!api_param(&rq->params, "ClientConnectOptions.Enabled") && !arn)
		return E_OK;
	GUARD(api_get_bool(rq, rs, "ClientConnectOptions.Enabled", false, &e->connect_enabled));
	if (e->connect_enabled || arn) {
		rc = cvpn_check_lambda_arn(arn, rq->region, rq->owner_id, &err);
		if (rc != E_OK)
			return cvpn_ops_fail(rs, rc, &err);
	}
	return cvpn_str_set(&e->lambda_arn, e->connect_enabled ? arn : NULL);
}

static RESULT ep_banner_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e)
{
	const char *t = api_param(&rq->params, "ClientLoginBannerOptions.BannerText");
	struct cvpn_verr err;
	result_t rc;

	if (!api_param(&rq->params, "ClientLoginBannerOptions.Enabled") && !t)
		return E_OK;
	GUARD(api_get_bool(rq, rs, "ClientLoginBannerOptions.Enabled", false, &e->banner_enabled));
	rc = cvpn_check_banner(t, &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (e->banner_enabled && (!t || !*t))
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "ClientLoginBannerOptions.BannerText is required when the banner is "
		    "enabled.");
	return cvpn_str_set(&e->banner_text, e->banner_enabled ? t : NULL);
}

/* VpcId and SecurityGroupId.N (B10). Without groups, the VPC's default security group. */
static RESULT ep_vpc_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e,
                           bool modify)
{
	const char *vpc = api_param(&rq->params, "VpcId");
	struct api_strlist sg = {NULL, 0};
	size_t i;
	result_t rc = E_OK;

	GUARD(api_get_strlist(rq, rs, "SecurityGroupId", &sg));
	if (sg.n && !vpc && !e->vpc_id[0]) {
		rc =
		    api_error(rs, 400, "InvalidParameterDependency",
		              "SecurityGroupId.N needs VpcId: give the VPC that holds the security "
		              "groups.");
		goto out;
	}
	if (sg.n > CVPN_SG_MAX) {
		rc = api_error(rs, 400, "InvalidParameterValue",
		               "%zu security groups given; at most %d can be applied.", sg.n,
		               CVPN_SG_MAX);
		goto out;
	}
	for (i = 0; i < sg.n; i++)
		if (strncmp(sg.v[i], "sg-", 3) != 0 || strlen(sg.v[i]) >= CVPN_ID_MAX) {
			rc = api_error(rs, 400, "InvalidGroupId.Malformed",
			               "Invalid id: '%.64s' (expecting 'sg-...').", sg.v[i]);
			goto out;
		}
	if (vpc && strcmp(vpc, e->vpc_id) != 0) {
		if (modify && e->n_assocs) {
			rc = api_error(rs, 400, "InvalidParameterValue",
			               "%s has target networks in %s; disassociate them before "
			               "changing the VPC.",
			               e->id, e->vpc_id);
			goto out;
		}
		GUARD_OUT(rc, cvpn_ops_vpc_cidr(rq, rs, vpc, &e->vpc_cidr));
		snprintf(e->vpc_id, sizeof(e->vpc_id), "%s", vpc);
		if (!sg.n) { /* B10b: the VPC's default security group (sg- with the VPC's digits)
			      */
			snprintf(e->sg_ids[0], CVPN_ID_MAX, "sg-%.60s", vpc + 4);
			e->n_sg = 1;
		}
	}
	if (sg.n) {
		for (i = 0; i < sg.n; i++)
			snprintf(e->sg_ids[i], CVPN_ID_MAX, "%s", sg.v[i]);
		e->n_sg = sg.n;
	}
out:
	api_strlist_fini(&sg);
	return rc;
}

/* Members common to create and modify. */
static RESULT ep_common_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e,
                              bool modify)
{
	const char *desc = api_param(&rq->params, "Description");
	const char *portal = api_param(&rq->params, "SelfServicePortal");
	struct cvpn_verr err;
	bool present;
	uint64_t v;
	result_t rc;

	if (desc) {
		rc = cvpn_check_description(desc, &err);
		if (rc != E_OK)
			return cvpn_ops_fail(rs, rc, &err);
		GUARD(cvpn_str_set(&e->description, desc));
	}
	GUARD(api_get_u64(rq, rs, "VpnPort", 0, 65535, &present, &v));
	if (present) {
		if ((rc = cvpn_check_port(v, &err)) != E_OK)
			return cvpn_ops_fail(rs, rc, &err);
		e->port = (uint16_t)v;
	}
	GUARD(api_get_u64(rq, rs, "SessionTimeoutHours", 0, 1000, &present, &v));
	if (present) {
		if ((rc = cvpn_check_session_hours(v, &err)) != E_OK)
			return cvpn_ops_fail(rs, rc, &err);
		e->session_hours = (unsigned)v;
	}
	GUARD(api_get_bool(rq, rs, "SplitTunnel", e->split_tunnel, &e->split_tunnel));
	GUARD(api_get_bool(rq, rs, "DisconnectOnSessionTimeout", e->disconnect_on_session_timeout,
	                   &e->disconnect_on_session_timeout));
	if (portal && (rc = cvpn_check_portal(portal, &e->self_service_portal, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	/* B4h: the portal is not available to mutual-authentication clients. */
	if (e->self_service_portal)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "SelfServicePortal=enabled needs federated authentication, which "
		                 "this server does not support; use SelfServicePortal=disabled.");
	GUARD(ep_connect_parse(rq, rs, e));
	GUARD(ep_banner_parse(rq, rs, e));
	return ep_vpc_parse(rq, rs, e, modify);
}

/* ---- output ---- */

static void ep_xml_auth(struct xml *x, const struct cvpn_endpoint *e)
{
	size_t i;

	xml_open(x, "authenticationOptions");
	for (i = 0; i < e->n_auth; i++) {
		xml_open(x, "item");
		xml_str(x, "type", cvpn_auth_type_str(e->auth[i].type));
		if (e->auth[i].type == CVPN_AUTH_CERTIFICATE) {
			xml_open(x, "mutualAuthentication");
			/* B4g: no "Arn" suffix on output */
			xml_str(x, "clientRootCertificateChain", e->auth[i].client_root_chain_arn);
			xml_close(x);
		}
		xml_close(x);
	}
	xml_close(x);
}

static void ep_xml_options(struct xml *x, const struct cvpn_endpoint *e)
{
	size_t i;

	/* B5d: capitalised children (ConnectionLogResponseOptions has no locationName) */
	xml_open(x, "connectionLogOptions");
	xml_bool(x, "Enabled", e->log_enabled);
	xml_str(x, "CloudwatchLogGroup", e->log_group);
	xml_str(x, "CloudwatchLogStream", e->log_stream);
	xml_close(x);
	if (e->n_sg) {
		xml_open(x, "securityGroupIdSet");
		for (i = 0; i < e->n_sg; i++)
			xml_str(x, "item", e->sg_ids[i]);
		xml_close(x);
	}
	if (e->vpc_id[0])
		xml_str(x, "vpcId", e->vpc_id);
	xml_open(x, "clientConnectOptions");
	xml_bool(x, "enabled", e->connect_enabled);
	xml_str(x, "lambdaFunctionArn", e->lambda_arn);
	cvpn_ops_xml_status(x, "status", "applied");
	xml_close(x);
	xml_u64(x, "sessionTimeoutHours", e->session_hours);
	xml_open(x, "clientLoginBannerOptions");
	xml_bool(x, "enabled", e->banner_enabled);
	xml_str(x, "bannerText", e->banner_text);
	xml_close(x);
	xml_open(x, "clientRouteEnforcementOptions");
	xml_bool(x, "enforced", false);
	xml_close(x);
	xml_bool(x, "disconnectOnSessionTimeout", e->disconnect_on_session_timeout);
	xml_str(x, "endpointIpAddressType", "ipv4");
	xml_str(x, "trafficIpAddressType", "ipv4");
}

static void ep_xml(struct api_req *rq, struct xml *x, const struct cvpn_endpoint *e,
                   const struct store_tags *tags)
{
	char t[32], dns[256], b[PREFIX_STRLEN];
	size_t i;

	xml_str(x, "clientVpnEndpointId", e->id);
	xml_str(x, "description", e->description);
	cvpn_ops_xml_status(x, "status", cvpn_status_str(e->status));
	cvpn_ops_time(e->created_ms, t);
	xml_str(x, "creationTime", t);
	if (e->deleted_ms) {
		cvpn_ops_time(e->deleted_ms, t);
		xml_str(x, "deletionTime", t);
	}
	cvpn_dns_name(e->id, rq->region, dns, sizeof(dns));
	xml_str(x, "dnsName", dns);
	prefix_format(&e->client_cidr, b);
	xml_str(x, "clientCidrBlock", b);
	if (e->n_dns) {
		xml_open(x, "dnsServer");
		for (i = 0; i < e->n_dns; i++) {
			addr_format(&e->dns[i], b);
			xml_str(x, "item", b);
		}
		xml_close(x);
	}
	xml_bool(x, "splitTunnel", e->split_tunnel);
	xml_str(x, "vpnProtocol", "openvpn");
	xml_str(x, "transportProtocol", cvpn_transport_str(e->transport));
	xml_u64(x, "vpnPort", e->port);
	if (e->n_assocs) {
		xml_open(x, "associatedTargetNetwork");
		for (i = 0; i < e->n_assocs; i++) {
			xml_open(x, "item");
			xml_str(x, "networkId", e->assocs[i].subnet_id);
			xml_str(x, "networkType", "vpc");
			xml_close(x);
		}
		xml_close(x);
	}
	xml_str(x, "serverCertificateArn", e->server_cert_arn);
	ep_xml_auth(x, e);
	ep_xml_options(x, e);
	api_xml_tagset(x, tags);
}

/* ---- CreateClientVpnEndpoint ---- */

static RESULT ep_create_parse(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e)
{
	const char *v;
	struct api_strlist dns = {NULL, 0};
	struct cvpn_verr err;
	bool given;
	result_t rc;

	/* B2: required for VPC-based endpoints (the 2.9.19 rule, ec2-api.md 1). */
	GUARD(api_get_str(rq, rs, "ClientCidrBlock", true, &v));
	if ((rc = cvpn_check_client_cidr(v, &e->client_cidr, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(api_get_str(rq, rs, "ServerCertificateArn", true, &v));
	GUARD(cvpn_ops_check_cert(rq, rs, "ServerCertificateArn", v));
	GUARD(cvpn_str_set(&e->server_cert_arn, v));
	GUARD(ep_auth_parse(rq, rs, e));
	if ((rc = cvpn_check_auth(e->auth, e->n_auth, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(cvpn_ops_check_cert(rq, rs, "ClientRootCertificateChainArn",
	                          e->auth[0].client_root_chain_arn));
	GUARD(ep_log_parse(rq, rs, e, &given));
	if (!given) /* B5: required by the create API */
		return api_error(rs, 400, "MissingParameter",
		                 "The request must contain the parameter ConnectionLogOptions "
		                 "(at least ConnectionLogOptions.Enabled=false).");
	if ((rc = cvpn_check_log(e->log_enabled, e->log_group, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	v = api_param(&rq->params, "TransportProtocol");
	if (v && (rc = cvpn_check_transport(v, &e->transport, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(api_get_strlist(rq, rs, "DnsServers", &dns));
	rc = cvpn_check_dns(dns.v, dns.n, e->dns, &err);
	e->n_dns = rc == E_OK ? dns.n : 0;
	api_strlist_fini(&dns);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(ep_common_parse(rq, rs, e, false));
	if ((rc = cvpn_endpoint_check(e, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	return E_OK;
}

struct ep_token_find {
	const char *token;
	char id[STORE_ID_MAX];
	char hash[65];
};

static result_t ep_token_cb(void *arg, const struct store_res *r)
{
	struct ep_token_find *f = arg;
	struct json_object *doc = api_doc_parse(r);
	const char *t = doc ? api_doc_str(doc, "clientToken") : NULL;
	const char *h = doc ? api_doc_str(doc, "paramsHash") : NULL;

	if (t && strcmp(t, f->token) == 0 && !f->id[0]) {
		snprintf(f->id, sizeof(f->id), "%s", r->id);
		snprintf(f->hash, sizeof(f->hash), "%s", h ? h : "");
	}
	json_object_put(doc);
	return E_OK;
}

static void ep_create_answer(struct api_req *rq, struct api_resp *rs, const char *id,
                             const char *state)
{
	char dns[256];

	xml_str(&rs->x, "clientVpnEndpointId", id);
	cvpn_ops_xml_status(&rs->x, "status", state);
	cvpn_dns_name(id, rq->region, dns, sizeof(dns));
	xml_str(&rs->x, "dnsName", dns);
}

/* B15: the same ClientToken with the same parameters answers the first result. */
static RESULT ep_create_idem(struct api_req *rq, struct api_resp *rs, const char *hash, bool *done)
{
	struct ep_token_find f;
	struct store_res r;

	*done = false;
	memset(&f, 0, sizeof(f));
	f.token = api_param(&rq->params, "ClientToken");
	if (!f.token)
		return E_OK;
	GUARD(store_res_foreach(rq->store, CVPN_T_ENDPOINT, NULL, NULL, ep_token_cb, &f));
	if (!f.id[0])
		return E_OK;
	if (strcmp(f.hash, hash) != 0)
		return api_error(rs, 400, "IdempotentParameterMismatch",
		                 "ClientToken '%.64s' was already used with different parameters "
		                 "(for %s); use a new token for a different request.",
		                 f.token, f.id);
	GUARD(store_res_get(rq->store, f.id, &r));
	ep_create_answer(rq, rs, r.id, r.state);
	store_res_fini(&r);
	*done = true;
	return E_OK;
}

static RESULT ep_create(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e,
                        struct store_tags *tags, struct store_res *r)
{
	char hash[65];
	size_t n = 0;
	bool done;

	GUARD(cvpn_ops_params_hash(rq, hash));
	GUARD(ep_create_idem(rq, rs, hash, &done));
	if (done)
		return E_OK;
	GUARD(ep_create_parse(rq, rs, e));
	GUARD(api_tagspec_parse(rq, rs, CVPN_T_ENDPOINT, tags));
	GUARD(store_res_count(rq->store, CVPN_T_ENDPOINT, NULL, NULL, cvpn_live_states, &n));
	if (n >= CVPN_ENDPOINTS_MAX)
		return api_error(rs, 400, "ClientVpnEndpointLimitExceeded",
		                 "The maximum number of Client VPN endpoints (%d) in %s has been "
		                 "reached; delete one first.",
		                 CVPN_ENDPOINTS_MAX, rq->region);
	store_res_init(r, CVPN_T_ENDPOINT, NULL, cvpn_status_str(CVPN_ST_PENDING_ASSOCIATE));
	GUARD(store_id_new(rq->store, CVPN_PREFIX_ENDPOINT, r->id));
	snprintf(e->id, sizeof(e->id), "%s", r->id);
	e->created_ms = store_now_ms();
	e->status = CVPN_ST_PENDING_ASSOCIATE; /* A5 */
	GUARD(cvpn_str_set(&e->tok.token, api_param(&rq->params, "ClientToken")));
	memcpy(e->tok.hash, hash, sizeof(hash));
	GUARD(store_res_insert(rq->store, r));
	GUARD(cvpn_ops_save(rq, r, e));
	GUARD(api_tags_apply(rq, rs, r->id, tags));
	ep_create_answer(rq, rs, e->id, cvpn_status_str(e->status));
	return E_OK;
}

result_t cvpn_op_create_endpoint(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_endpoint e;
	struct store_tags tags = {NULL, 0};
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	cvpn_endpoint_init(&e);
	rc = ep_create(rq, rs, &e, &tags, &r);
	store_res_fini(&r);
	store_tags_fini(&tags);
	cvpn_endpoint_fini(&e);
	return rc;
}

/* ---- DescribeClientVpnEndpoints ---- */

static const char *const ep_filters[] = {"endpoint-id", "transport-protocol", NULL};

struct ep_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
	struct api_page page;
};

static result_t ep_describe_cb(void *arg, const struct store_res *r)
{
	struct ep_describe *d = arg;
	struct cvpn_endpoint e;
	struct store_res row;
	struct store_tags tags;
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	rc = cvpn_ops_load(d->rq, d->rs, r->id, &row, &e);
	if (rc != E_OK)
		return rc == E_PARSE ? E_OK : rc; /* a damaged row is skipped */
	rc = store_tags_get(d->rq->store, r->id, &tags);
	if (rc == E_OK) {
		struct api_attr attrs[] = {
		    {"endpoint-id", e.id},
		    {"transport-protocol", cvpn_transport_str(e.transport)},
		};

		if (api_filters_match(&d->filters, attrs, 2, &tags) &&
		    api_page_take(&d->page, r->id)) {
			xml_open(&d->rs->x, "item");
			ep_xml(d->rq, &d->rs->x, &e, &tags);
			xml_close(&d->rs->x);
		}
		store_tags_fini(&tags);
	}
	store_res_fini(&row);
	cvpn_endpoint_fini(&e);
	return rc;
}

result_t cvpn_op_describe_endpoints(struct api_req *rq, struct api_resp *rs)
{
	struct ep_describe d;
	struct store_res r;
	struct cvpn_endpoint e;
	size_t i;
	result_t rc;

	memset(&d, 0, sizeof(d));
	d.rq = rq;
	d.rs = rs;
	GUARD_OUT(rc, api_get_strlist(rq, rs, "ClientVpnEndpointId", &d.ids));
	for (i = 0; i < d.ids.n; i++) { /* A45: every unknown id is NotFound */
		GUARD_OUT(rc, cvpn_ops_load(rq, rs, d.ids.v[i], &r, &e));
		store_res_fini(&r);
		cvpn_endpoint_fini(&e);
	}
	GUARD_OUT(rc, api_filters_parse(rq, rs, ep_filters, &d.filters));
	GUARD_OUT(rc, api_page_parse(rq, rs, 5, 1000, &d.page));
	xml_open(&rs->x, "clientVpnEndpoint");
	GUARD_OUT(rc,
	          store_res_foreach(rq->store, CVPN_T_ENDPOINT, NULL, NULL, ep_describe_cb, &d));
	xml_close(&rs->x);
	api_page_finish(&d.page, &rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

/* ---- ModifyClientVpnEndpoint ---- */

/* C2/C7: these cannot change after creation; the CLI cannot send them, a raw request can. */
static RESULT ep_modify_fixed(struct api_req *rq, struct api_resp *rs)
{
	static const char *const fixed[] = {"ClientCidrBlock", "TransportProtocol",
	                                    "Authentication"};
	uint32_t idx[1];
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (api_param(&rq->params, fixed[i]) ||
		    api_param_indices(&rq->params, fixed[i], idx, 1) > 0)
			return api_error(
			    rs, 400, "InvalidParameter",
			    "%s cannot be changed after the Client VPN endpoint is "
			    "created (not a parameter of ModifyClientVpnEndpoint); create "
			    "a new endpoint instead.",
			    fixed[i]);
	return E_OK;
}

/* DnsServers.CustomDnsServers.N replaces, DnsServers.Enabled=false deletes (B7d). */
static RESULT ep_modify_dns(struct api_req *rq, struct api_resp *rs, struct cvpn_endpoint *e,
                            bool *changed)
{
	struct api_strlist l = {NULL, 0};
	struct cvpn_verr err;
	struct addr tmp[CVPN_DNS_SERVERS_MAX];
	bool en = true;
	result_t rc;

	GUARD(api_get_bool(rq, rs, "DnsServers.Enabled", true, &en));
	GUARD(api_get_strlist(rq, rs, "DnsServers.CustomDnsServers", &l));
	if (!api_param(&rq->params, "DnsServers.Enabled") && l.n == 0)
		return E_OK;
	*changed = true;
	if (!en) {
		e->n_dns = 0;
		api_strlist_fini(&l);
		return E_OK;
	}
	rc = cvpn_check_dns(l.v, l.n, tmp, &err);
	if (rc == E_OK) {
		memcpy(e->dns, tmp, sizeof(tmp));
		e->n_dns = l.n;
	}
	api_strlist_fini(&l);
	return cvpn_ops_fail(rs, rc, &err);
}

static RESULT ep_modify(struct api_req *rq, struct api_resp *rs, struct store_res *r,
                        struct cvpn_endpoint *e)
{
	const char *cert = api_param(&rq->params, "ServerCertificateArn");
	struct cvpn_verr err;
	uint16_t port;
	bool split, given, reset = false;
	result_t rc;

	GUARD(ep_modify_fixed(rq, rs));
	GUARD(cvpn_ops_load_param(rq, rs, r, e));
	if (e->status == CVPN_ST_DELETING || e->status == CVPN_ST_DELETED)
		return api_error(rs, 400, "IncorrectState",
		                 "Client VPN endpoint %s is %s and cannot be modified.", e->id,
		                 cvpn_status_str(e->status));
	port = e->port;
	split = e->split_tunnel;
	if (cert) {
		GUARD(cvpn_ops_check_cert(rq, rs, "ServerCertificateArn", cert));
		reset = reset || !e->server_cert_arn || strcmp(cert, e->server_cert_arn) != 0;
		GUARD(cvpn_str_set(&e->server_cert_arn, cert));
	}
	GUARD(ep_log_parse(rq, rs, e, &given));
	GUARD(ep_modify_dns(rq, rs, e, &reset));
	GUARD(ep_common_parse(rq, rs, e, true));
	if ((rc = cvpn_endpoint_check(e, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	/* C3: server certificate, DNS servers, split tunnel and VPN port reset connections. */
	if (reset || port != e->port || split != e->split_tunnel)
		cvpn_conns_terminate_all(e, store_now_ms());
	GUARD(cvpn_ops_save(rq, r, e));
	xml_bool(&rs->x, "return", true);
	return E_OK;
}

result_t cvpn_op_modify_endpoint(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_endpoint e;
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	cvpn_endpoint_init(&e);
	rc = ep_modify(rq, rs, &r, &e);
	store_res_fini(&r);
	cvpn_endpoint_fini(&e);
	return rc;
}

/* ---- DeleteClientVpnEndpoint ---- */

static RESULT ep_delete(struct api_req *rq, struct api_resp *rs, struct store_res *r,
                        struct cvpn_endpoint *e)
{
	GUARD(cvpn_ops_load_param(rq, rs, r, e));
	if (e->status == CVPN_ST_DELETED)
		return api_error(rs, 400, CVPN_NOTFOUND,
		                 "The Client VPN endpoint ID '%s' does not exist (deleted).",
		                 e->id);
	/* A9: all target network associations must be removed first. */
	if (e->n_assocs)
		return api_error(
		    rs, 400, "IncorrectState",
		    "Client VPN endpoint %s still has %zu target network association(s) "
		    "(%s); disassociate them before deleting the endpoint.",
		    e->id, e->n_assocs, e->assocs[0].id);
	if (e->status != CVPN_ST_DELETING) {
		e->status = CVPN_ST_DELETING;
		e->deleted_ms = store_now_ms();
		cvpn_conns_terminate_all(e, e->deleted_ms);
		store_res_schedule(rq->store, r, "deleted", store_timing(rq->store)->pending_ms);
		GUARD(cvpn_ops_save(rq, r, e));
	}
	cvpn_ops_xml_status(&rs->x, "status", cvpn_status_str(e->status));
	return E_OK;
}

result_t cvpn_op_delete_endpoint(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_endpoint e;
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	cvpn_endpoint_init(&e);
	rc = ep_delete(rq, rs, &r, &e);
	store_res_fini(&r);
	cvpn_endpoint_fini(&e);
	return rc;
}
