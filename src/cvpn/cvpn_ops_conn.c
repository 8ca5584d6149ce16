/*
 * cvpn/cvpn_ops_conn.c - connections, the CRL and the client configuration
 * (client-vpn.md E4-E6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm.h"
#include "api/api_handlers.h"
#include "cvpn/cvpn_ops.h"

/* ---- DescribeClientVpnConnections ---- */

static const char *const conn_filters[] = {"connection-id", "username", NULL};

static void conn_xml(struct xml *x, const struct cvpn_endpoint *e, const struct cvpn_conn *c)
{
	char t[32];

	xml_open(x, "item");
	xml_str(x, "clientVpnEndpointId", e->id);
	cvpn_ops_time(store_now_ms(), t);
	xml_str(x, "timestamp", t);
	xml_str(x, "connectionId", c->id);
	xml_str(x, "username", c->username);
	cvpn_ops_time(c->established_ms, t);
	xml_str(x, "connectionEstablishedTime", t);
	xml_strf(x, "ingressBytes", "%llu", (unsigned long long)c->ingress_bytes);
	xml_strf(x, "egressBytes", "%llu", (unsigned long long)c->egress_bytes);
	xml_strf(x, "ingressPackets", "%llu", (unsigned long long)c->ingress_packets);
	xml_strf(x, "egressPackets", "%llu", (unsigned long long)c->egress_packets);
	xml_str(x, "clientIp", c->client_ip);
	xml_str(x, "commonName", c->common_name);
	xml_open(x, "status");
	xml_str(x, "code", cvpn_conn_status_str(c->status));
	if (c->msg[0])
		xml_str(x, "message", c->msg);
	xml_close(x);
	if (c->end_ms) {
		cvpn_ops_time(c->end_ms, t);
		xml_str(x, "connectionEndTime", t);
	}
	xml_close(x);
}

static RESULT conn_describe(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                            struct api_filters *f)
{
	struct api_page pg;
	size_t i;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_filters_parse(rq, rs, conn_filters, f));
	GUARD(api_page_parse(rq, rs, 5, 1000, &pg));
	xml_open(&rs->x, "connections");
	/* Connection ids are added in time order; ids are random, so page by position. */
	for (i = 0; i < op->e.n_conns; i++) {
		const struct cvpn_conn *c = &op->e.conns[i];
		struct api_attr attrs[] = {{"connection-id", c->id},
		                           {"username", c->username ? c->username : ""}};
		char key[24];

		snprintf(key, sizeof(key), "%08zu", i);
		if (api_filters_match(f, attrs, 2, NULL) && api_page_take(&pg, key))
			conn_xml(&rs->x, &op->e, c);
	}
	xml_close(&rs->x);
	api_page_finish(&pg, &rs->x);
	return E_OK;
}

result_t cvpn_op_describe_connections(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run_filtered(rq, rs, conn_describe);
}

/* ---- TerminateClientVpnConnections ---- */

static void conn_term_xml(struct xml *x, struct cvpn_conn *c, int64_t now)
{
	xml_open(x, "item");
	xml_str(x, "connectionId", c->id);
	cvpn_ops_xml_status(x, "previousStatus", cvpn_conn_status_str(c->status));
	cvpn_ops_xml_status(x, "currentStatus", "terminating");
	xml_close(x);
	/* The data plane cuts the session (HALT) when it reconciles after this request. */
	cvpn_conn_end(c, now, CVPN_END_TERMINATED, "Connection terminated by request");
}

static RESULT conn_terminate(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *cid = api_param(&rq->params, "ConnectionId");
	const char *user = api_param(&rq->params, "Username");
	int64_t now = store_now_ms();
	size_t i, n = 0;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	if (!cid == !user)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "Give exactly one of ConnectionId and Username.");
	for (i = 0; i < op->e.n_conns; i++) {
		struct cvpn_conn *c = &op->e.conns[i];

		if (c->status == CVPN_CONN_ACTIVE &&
		    (cid ? strcmp(c->id, cid) == 0 : c->username && strcmp(c->username, user) == 0))
			n++;
	}
	if (n == 0 && cid)
		return api_error(rs, 400, "InvalidClientVpnConnection.IdNotFound",
		                 "Connection %.64s is not an active connection of %s.", cid,
		                 op->e.id);
	if (n == 0)
		return api_error(rs, 400, "InvalidClientVpnConnection.UserNotFound",
		                 "User %.64s has no active connection on %s.", user, op->e.id);
	if (n > CVPN_TERMINATE_USER_MAX) /* E5 */
		return api_error(rs, 400, "ClientVpnTerminateConnectionsLimitExceeded",
		                 "User %.64s has %zu connections; at most %d can be terminated by "
		                 "username; terminate them by ConnectionId.",
		                 user, n, CVPN_TERMINATE_USER_MAX);
	xml_str(&rs->x, "clientVpnEndpointId", op->e.id);
	xml_str(&rs->x, "username", user);
	xml_open(&rs->x, "connectionStatuses");
	for (i = 0; i < op->e.n_conns; i++) {
		struct cvpn_conn *c = &op->e.conns[i];

		if (c->status == CVPN_CONN_ACTIVE &&
		    (cid ? strcmp(c->id, cid) == 0 : c->username && strcmp(c->username, user) == 0))
			conn_term_xml(&rs->x, c, now);
	}
	xml_close(&rs->x);
	return cvpn_ops_save(rq, &op->r, &op->e);
}

result_t cvpn_op_terminate_connections(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, conn_terminate);
}

/* ---- certificate revocation list ---- */

static RESULT crl_import(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *pem;
	struct cvpn_verr err;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "CertificateRevocationList", true, &pem));
	if ((rc = cvpn_crl_check(pem, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	/* C6: overwrites the CRL and resets existing connections. */
	GUARD(cvpn_str_set(&op->e.crl_pem, pem));
	op->e.crl_ms = store_now_ms();
	cvpn_conns_terminate_all(&op->e, op->e.crl_ms);
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	xml_bool(&rs->x, "return", true);
	return E_OK;
}

result_t cvpn_op_import_crl(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, crl_import);
}

result_t cvpn_op_export_crl(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_op op;
	result_t rc;

	cvpn_op_init(&op);
	rc = cvpn_ops_load_param(rq, rs, &op.r, &op.e);
	if (rc == E_OK && op.e.crl_pem) {
		uint64_t age = (uint64_t)(store_now_ms() - op.e.crl_ms);

		xml_str(&rs->x, "certificateRevocationList", op.e.crl_pem);
		cvpn_ops_xml_status(&rs->x, "status",
		                    age < store_timing(rq->store)->pending_ms ? "pending"
		                                                              : "active");
	}
	cvpn_op_fini(&op);
	return rc;
}

/* ---- ExportClientVpnClientConfiguration ---- */

result_t cvpn_op_export_config(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_op op;
	char *ca = NULL, *profile = NULL;
	result_t rc;

	cvpn_op_init(&op);
	GUARD_OUT(rc, cvpn_ops_load_param(rq, rs, &op.r, &op.e));
	rc = acm_ca_chain(rq->store, op.e.server_cert_arn, rq->region, rq->owner_id, &ca);
	if (rc == E_NOTFOUND) {
		rc =
		    api_error(rs, 400, "InvalidParameterValue",
		              "The server certificate %.200s of %s no longer exists in ACM; modify "
		              "the endpoint to use an imported certificate.",
		              op.e.server_cert_arn, op.e.id);
		goto out;
	}
	GUARD_OUT(rc, rc);
	GUARD_OUT(rc, cvpn_profile_build(&op.e, rq->region, ca, &profile));
	xml_str(&rs->x, "clientConfiguration", profile);
out:
	free(ca);
	free(profile);
	cvpn_op_fini(&op);
	return rc;
}
