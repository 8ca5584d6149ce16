/*
 * cvpn/cvpn_ops_common.c - what every Client VPN handler shares: load/save of the endpoint
 * row, model errors to EC2 errors, the idempotency hash, certificate checks.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "acm/acm.h"
#include "cvpn/cvpn_ops.h"
#include "lib/secret.h"

RESULT cvpn_ops_load(struct api_req *rq, struct api_resp *rs, const char *id, struct store_res *row,
                     struct cvpn_endpoint *e)
{
	result_t rc = cvpn_store_load(rq->store, id, row, e);

	if (rc == E_NOTFOUND)
		return api_error(rs, 400, CVPN_NOTFOUND,
		                 "The Client VPN endpoint ID '%.64s' does not exist.", id);
	return rc;
}

void cvpn_op_init(struct cvpn_op *op)
{
	memset(&op->r, 0, sizeof(op->r));
	cvpn_endpoint_init(&op->e);
}

void cvpn_op_fini(struct cvpn_op *op)
{
	store_res_fini(&op->r);
	cvpn_endpoint_fini(&op->e);
}

result_t cvpn_op_run(struct api_req *rq, struct api_resp *rs, cvpn_op_fn fn)
{
	struct cvpn_op op;
	result_t rc;

	cvpn_op_init(&op);
	rc = fn(rq, rs, &op);
	cvpn_op_fini(&op);
	return rc;
}

result_t cvpn_op_run_filtered(struct api_req *rq, struct api_resp *rs, cvpn_op_filtered_fn fn)
{
	struct cvpn_op op;
	struct api_filters f = {NULL, 0};
	result_t rc;

	cvpn_op_init(&op);
	rc = fn(rq, rs, &op, &f);
	api_filters_fini(&f);
	cvpn_op_fini(&op);
	return rc;
}

RESULT cvpn_ops_load_param(struct api_req *rq, struct api_resp *rs, struct store_res *row,
                           struct cvpn_endpoint *e)
{
	const char *id;

	memset(row, 0, sizeof(*row));
	cvpn_endpoint_init(e);
	GUARD(api_get_str(rq, rs, "ClientVpnEndpointId", true, &id));
	return cvpn_ops_load(rq, rs, id, row, e);
}

RESULT cvpn_ops_save(struct api_req *rq, struct store_res *row, const struct cvpn_endpoint *e)
{
	return cvpn_store_save(rq->store, row, e);
}

result_t cvpn_ops_fail(struct api_resp *rs, result_t rc, const struct cvpn_verr *err)
{
	if (rc == E_CVPN_INVALID || rc == E_CVPN_CONFLICT)
		return api_error(rs, 400, err->code, "%s", err->msg);
	return rc;
}

RESULT cvpn_ops_params_hash(const struct api_req *rq, char out[65])
{
	static const char *const skip[] = {"Action", "Version", "ClientToken", "DryRun"};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i, k;
	int ok;

	if (!ctx)
		return E_NOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; ok && i < rq->params.n; i++) { /* params are sorted by name */
		const struct api_param *p = &rq->params.v[i];

		for (k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
			if (strcmp(p->name, skip[k]) == 0)
				break;
		if (k < sizeof(skip) / sizeof(skip[0]))
			continue;
		/* name NUL value NUL: unambiguous framing */
		ok = EVP_DigestUpdate(ctx, p->name, strlen(p->name) + 1) &&
		     EVP_DigestUpdate(ctx, p->value, strlen(p->value) + 1);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == sizeof(md);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return E_CRYPTO;
	hex_encode(md, sizeof(md), out);
	return E_OK;
}

RESULT cvpn_ops_check_cert(struct api_req *rq, struct api_resp *rs, const char *what,
                           const char *arn)
{
	struct cvpn_verr err;
	char id[ACM_ID_LEN + 1];
	struct acm_cert c;
	result_t rc;

	rc = cvpn_check_acm_arn(what, arn, rq->region, &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (acm_arn_id(arn, rq->region, rq->owner_id, id) != E_OK)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "%s '%.200s' is not a certificate of account %s in this server's "
		                 "ACM; import it with 'aws acm import-certificate' first.",
		                 what, arn, rq->owner_id);
	rc = acm_cert_get(rq->store, id, &c);
	if (rc == E_NOTFOUND)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Certificate %.200s (%s) does not exist; import it with 'aws acm "
		                 "import-certificate' first.",
		                 arn, what);
	GUARD(rc);
	acm_cert_fini(&c);
	return E_OK;
}

void cvpn_ops_time(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		buf[0] = 0;
}

void cvpn_ops_xml_status(struct xml *x, const char *elem, const char *code)
{
	xml_open(x, elem);
	xml_str(x, "code", code);
	xml_close(x);
}

RESULT cvpn_ops_vpc_cidr(struct api_req *rq, struct api_resp *rs, const char *vpc_id,
                         struct prefix *out)
{
	struct store_res r;
	struct json_object *doc;
	const char *c;
	result_t rc = E_OK;

	GUARD(api_res_load(rq, rs, vpc_id, STORE_T_VPC, "InvalidVpcID.NotFound", "vpc", &r));
	doc = api_doc_parse(&r);
	c = doc ? api_doc_str(doc, "cidrBlock") : NULL;
	if (!c || prefix_parse(c, false, out) != E_OK)
		rc = E_PARSE;
	json_object_put(doc);
	store_res_fini(&r);
	return rc;
}
