/*
 * cvpn/cvpn_ops_net.c - target networks, security groups, authorization rules and routes
 * (client-vpn.md E1-E3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "cvpn/cvpn_ops.h"

#define CVPN_SORT_KEY_MAX 96

/* Sub-resources are kept in insertion order; pagination wants ascending keys. */
struct cvpn_sorted {
	char key[CVPN_SORT_KEY_MAX];
	size_t i;
};

static int cvpn_sorted_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cvpn_sorted *)a)->key, ((const struct cvpn_sorted *)b)->key);
}

static RESULT cvpn_live(struct api_resp *rs, const struct cvpn_endpoint *e)
{
	if (e->status == CVPN_ST_DELETING || e->status == CVPN_ST_DELETED)
		return api_error(rs, 400, "IncorrectState",
		                 "Client VPN endpoint %s is %s; it cannot be changed.", e->id,
		                 cvpn_status_str(e->status));
	return E_OK;
}

static uint64_t cvpn_pending_ms(struct api_req *rq)
{
	return store_timing(rq->store)->pending_ms;
}

/* ---- target networks ---- */

/* A subnet row into an association (InvalidSubnetID.NotFound). */
static RESULT cvpn_subnet_load(struct api_req *rq, struct api_resp *rs, const char *subnet,
                               struct cvpn_assoc *a)
{
	struct store_res r;
	struct json_object *doc;
	const char *c, *az;
	result_t rc = E_OK;

	GUARD(
	    api_res_load(rq, rs, subnet, CVPN_T_SUBNET, "InvalidSubnetID.NotFound", "subnet", &r));
	doc = api_doc_parse(&r);
	c = api_doc_str(doc, "cidrBlock");
	az = api_doc_str(doc, "availabilityZone");
	snprintf(a->subnet_id, sizeof(a->subnet_id), "%s", r.id);
	snprintf(a->vpc_id, sizeof(a->vpc_id), "%s", r.ref1);
	snprintf(a->az, sizeof(a->az), "%s", az ? az : "");
	if (!c || prefix_parse(c, false, &a->subnet_cidr) != E_OK)
		rc = E_PARSE;
	json_object_put(doc);
	store_res_fini(&r);
	GUARD(rc);
	return cvpn_ops_vpc_cidr(rq, rs, a->vpc_id, &a->vpc_cidr);
}

static RESULT tn_associate(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *subnet, *token = api_param(&rq->params, "ClientToken");
	struct cvpn_assoc a;
	struct cvpn_verr err;
	char hash[65];
	size_t i;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "SubnetId", true, &subnet));
	GUARD(cvpn_ops_params_hash(rq, hash));
	for (i = 0; token && i < op->e.n_assocs; i++) {
		struct cvpn_assoc *o = &op->e.assocs[i];

		if (!o->tok.token || strcmp(o->tok.token, token) != 0)
			continue;
		if (strcmp(o->tok.hash, hash) != 0)
			return api_error(rs, 400, "IdempotentParameterMismatch",
			                 "ClientToken '%.64s' was already used with different "
			                 "parameters (for %s).",
			                 token, o->id);
		xml_str(&rs->x, "associationId", o->id);
		cvpn_ops_xml_status(&rs->x, "status",
		                    cvpn_assoc_state(o, store_now_ms(), cvpn_pending_ms(rq)));
		return E_OK;
	}
	GUARD(cvpn_live(rs, &op->e));
	memset(&a, 0, sizeof(a));
	GUARD(cvpn_subnet_load(rq, rs, subnet, &a));
	GUARD(store_id_new(rq->store, CVPN_PREFIX_ASSOC, a.id));
	a.created_ms = store_now_ms();
	a.tok.token = (char *)token; /* copied by cvpn_assoc_add */
	memcpy(a.tok.hash, hash, sizeof(hash));
	rc = cvpn_assoc_add(&op->e, &a, &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (op->e.n_sg == 0) { /* B10b: the VPC's default security group (as at create) */
		snprintf(op->e.sg_ids[0], CVPN_ID_MAX, "sg-%.60s", op->e.vpc_id + 4);
		op->e.n_sg = 1;
	}
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	xml_str(&rs->x, "associationId", a.id);
	cvpn_ops_xml_status(&rs->x, "status", "associating");
	return E_OK;
}

result_t cvpn_op_associate(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, tn_associate);
}

static RESULT tn_disassociate(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *id;
	struct cvpn_verr err;
	size_t cut = 0;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "AssociationId", true, &id));
	rc = cvpn_assoc_remove(&op->e, id, store_now_ms(), &cut, &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	xml_str(&rs->x, "associationId", id);
	cvpn_ops_xml_status(&rs->x, "status", "disassociating");
	return E_OK;
}

result_t cvpn_op_disassociate(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, tn_disassociate);
}

static const char *const tn_filters[] = {"association-id", "target-network-id", "vpc-id", NULL};

static void tn_xml(struct api_req *rq, struct xml *x, const struct cvpn_endpoint *e,
                   const struct cvpn_assoc *a)
{
	size_t i;

	xml_open(x, "item");
	xml_str(x, "associationId", a->id);
	xml_str(x, "vpcId", a->vpc_id);
	xml_str(x, "targetNetworkId", a->subnet_id);
	xml_str(x, "clientVpnEndpointId", e->id);
	cvpn_ops_xml_status(x, "status", cvpn_assoc_state(a, store_now_ms(), cvpn_pending_ms(rq)));
	xml_open(x, "securityGroups");
	for (i = 0; i < e->n_sg; i++)
		xml_str(x, "item", e->sg_ids[i]);
	xml_close(x);
	xml_close(x);
}

static RESULT tn_describe(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                          struct api_strlist *ids, struct api_filters *f)
{
	struct cvpn_sorted *s = NULL;
	struct api_page pg;
	size_t i;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_strlist(rq, rs, "AssociationIds", ids));
	GUARD(api_filters_parse(rq, rs, tn_filters, f));
	GUARD(api_page_parse(rq, rs, 5, 1000, &pg));
	if (op->e.n_assocs && !(s = calloc(op->e.n_assocs, sizeof(*s))))
		return E_NOMEM;
	for (i = 0; i < op->e.n_assocs; i++) {
		snprintf(s[i].key, sizeof(s[i].key), "%s", op->e.assocs[i].id);
		s[i].i = i;
	}
	if (s)
		qsort(s, op->e.n_assocs, sizeof(*s), cvpn_sorted_cmp);
	xml_open(&rs->x, "clientVpnTargetNetworks");
	for (i = 0; i < op->e.n_assocs; i++) {
		const struct cvpn_assoc *a = &op->e.assocs[s[i].i];
		struct api_attr attrs[] = {{"association-id", a->id},
		                           {"target-network-id", a->subnet_id},
		                           {"vpc-id", a->vpc_id}};

		if (ids->n && !api_strlist_has(ids, a->id))
			continue;
		if (api_filters_match(f, attrs, 3, NULL) && api_page_take(&pg, a->id))
			tn_xml(rq, &rs->x, &op->e, a);
	}
	xml_close(&rs->x);
	api_page_finish(&pg, &rs->x);
	free(s);
	return E_OK;
}

result_t cvpn_op_describe_target_networks(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_op op;
	struct api_strlist ids = {NULL, 0};
	struct api_filters f = {NULL, 0};
	result_t rc;

	cvpn_op_init(&op);
	rc = tn_describe(rq, rs, &op, &ids, &f);
	api_strlist_fini(&ids);
	api_filters_fini(&f);
	cvpn_op_fini(&op);
	return rc;
}

static RESULT tn_apply_sg(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                          struct api_strlist *sg)
{
	const char *vpc;
	size_t i;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "VpcId", true, &vpc));
	GUARD(api_get_strlist(rq, rs, "SecurityGroupId", sg));
	if (sg->n == 0)
		return api_error(rs, 400, "MissingParameter",
		                 "The request must contain the parameter SecurityGroupId.1.");
	/* B10b: at most 5 security groups. */
	if (sg->n > CVPN_SG_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "%zu security groups given; at most %d can be applied.", sg->n,
		                 CVPN_SG_MAX);
	for (i = 0; i < sg->n; i++)
		if (strncmp(sg->v[i], "sg-", 3) != 0 || strlen(sg->v[i]) >= CVPN_ID_MAX)
			return api_error(rs, 400, "InvalidGroupId.Malformed",
			                 "Invalid id: '%.64s' (expecting 'sg-...').", sg->v[i]);
	if (strcmp(vpc, op->e.vpc_id) != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "VpcId %.64s is not the VPC of %s (%s).", vpc, op->e.id,
		                 op->e.vpc_id[0] ? op->e.vpc_id : "none");
	for (i = 0; i < sg->n; i++)
		snprintf(op->e.sg_ids[i], CVPN_ID_MAX, "%s", sg->v[i]);
	op->e.n_sg = sg->n;
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	xml_open(&rs->x, "securityGroupIds");
	for (i = 0; i < op->e.n_sg; i++)
		xml_str(&rs->x, "item", op->e.sg_ids[i]);
	xml_close(&rs->x);
	return E_OK;
}

result_t cvpn_op_apply_security_groups(struct api_req *rq, struct api_resp *rs)
{
	struct cvpn_op op;
	struct api_strlist sg = {NULL, 0};
	result_t rc;

	cvpn_op_init(&op);
	rc = tn_apply_sg(rq, rs, &op, &sg);
	api_strlist_fini(&sg);
	cvpn_op_fini(&op);
	return rc;
}

/* ---- authorization rules ---- */

static RESULT ar_authorize(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *cidr, *token = api_param(&rq->params, "ClientToken");
	struct cvpn_rule rule;
	struct cvpn_verr err;
	char hash[65];
	size_t i;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "TargetNetworkCidr", true, &cidr));
	GUARD(cvpn_ops_params_hash(rq, hash));
	for (i = 0; token && i < op->e.n_rules; i++) {
		struct cvpn_rule *o = &op->e.rules[i];

		if (!o->tok.token || strcmp(o->tok.token, token) != 0)
			continue;
		if (strcmp(o->tok.hash, hash) != 0)
			return api_error(rs, 400, "IdempotentParameterMismatch",
			                 "ClientToken '%.64s' was already used with different "
			                 "parameters.",
			                 token);
		cvpn_ops_xml_status(&rs->x, "status",
		                    cvpn_rule_state(o, store_now_ms(), cvpn_pending_ms(rq)));
		return E_OK;
	}
	GUARD(cvpn_live(rs, &op->e));
	memset(&rule, 0, sizeof(rule));
	if ((rc = cvpn_check_dest_cidr("TargetNetworkCidr", cidr, &rule.dst, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(api_get_bool(rq, rs, "AuthorizeAllGroups", false, &rule.access_all));
	rule.group_id = (char *)api_param(&rq->params, "AccessGroupId");
	rule.description = (char *)api_param(&rq->params, "Description");
	if ((rc = cvpn_check_description(rule.description, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	rule.created_ms = store_now_ms();
	rule.tok.token = (char *)token;
	memcpy(rule.tok.hash, hash, sizeof(hash));
	if ((rc = cvpn_rule_add(&op->e, &rule, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	cvpn_conns_terminate_all(&op->e, store_now_ms()); /* C3 */
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	cvpn_ops_xml_status(&rs->x, "status", "authorizing");
	return E_OK;
}

result_t cvpn_op_authorize(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, ar_authorize);
}

static RESULT ar_revoke(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *cidr;
	struct prefix dst;
	struct cvpn_verr err;
	bool all = false;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "TargetNetworkCidr", true, &cidr));
	if ((rc = cvpn_check_dest_cidr("TargetNetworkCidr", cidr, &dst, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	GUARD(api_get_bool(rq, rs, "RevokeAllGroups", false, &all));
	rc = cvpn_rule_remove(&op->e, &dst, api_param(&rq->params, "AccessGroupId"), all, &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	cvpn_conns_terminate_all(&op->e, store_now_ms()); /* C3 */
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	cvpn_ops_xml_status(&rs->x, "status", "revoking");
	return E_OK;
}

result_t cvpn_op_revoke(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, ar_revoke);
}

static const char *const ar_filters[] = {"description", "destination-cidr", "group-id", NULL};

static RESULT ar_describe(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                          struct api_filters *f)
{
	struct api_page pg;
	char key[24], c[PREFIX_STRLEN];
	size_t i;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_filters_parse(rq, rs, ar_filters, f));
	GUARD(api_page_parse(rq, rs, 5, 1000, &pg));
	xml_open(&rs->x, "authorizationRule");
	for (i = 0; i < op->e.n_rules; i++) {
		const struct cvpn_rule *r = &op->e.rules[i];
		struct api_attr attrs[3];

		prefix_format(&r->dst, c);
		attrs[0] = (struct api_attr){"description", r->description ? r->description : ""};
		attrs[1] = (struct api_attr){"destination-cidr", c};
		attrs[2] = (struct api_attr){"group-id", r->group_id ? r->group_id : ""};
		snprintf(key, sizeof(key), "%08zu", i); /* insertion order is the key order */
		if (!api_filters_match(f, attrs, 3, NULL) || !api_page_take(&pg, key))
			continue;
		xml_open(&rs->x, "item");
		xml_str(&rs->x, "clientVpnEndpointId", op->e.id);
		xml_str(&rs->x, "description", r->description);
		xml_str(&rs->x, "groupId", r->group_id ? r->group_id : "");
		xml_bool(&rs->x, "accessAll", r->access_all);
		xml_str(&rs->x, "destinationCidr", c);
		cvpn_ops_xml_status(&rs->x, "status",
		                    cvpn_rule_state(r, store_now_ms(), cvpn_pending_ms(rq)));
		xml_close(&rs->x);
	}
	xml_close(&rs->x);
	api_page_finish(&pg, &rs->x);
	return E_OK;
}

result_t cvpn_op_describe_rules(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run_filtered(rq, rs, ar_describe);
}

/* ---- routes ---- */

static RESULT rt_create(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *cidr, *target, *token = api_param(&rq->params, "ClientToken");
	struct cvpn_route rt;
	struct cvpn_verr err;
	char hash[65];
	size_t i;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "DestinationCidrBlock", true, &cidr));
	/* Required for VPC-based endpoints (the 2.9.19 rule, ec2-api.md 1). */
	GUARD(api_get_str(rq, rs, "TargetVpcSubnetId", true, &target));
	GUARD(cvpn_ops_params_hash(rq, hash));
	for (i = 0; token && i < op->e.n_routes; i++) {
		struct cvpn_route *o = &op->e.routes[i];

		if (!o->tok.token || strcmp(o->tok.token, token) != 0)
			continue;
		if (strcmp(o->tok.hash, hash) != 0)
			return api_error(rs, 400, "IdempotentParameterMismatch",
			                 "ClientToken '%.64s' was already used with different "
			                 "parameters.",
			                 token);
		cvpn_ops_xml_status(&rs->x, "status",
		                    cvpn_route_state(o, store_now_ms(), cvpn_pending_ms(rq)));
		return E_OK;
	}
	GUARD(cvpn_live(rs, &op->e));
	memset(&rt, 0, sizeof(rt));
	if ((rc = cvpn_check_dest_cidr("DestinationCidrBlock", cidr, &rt.dst, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (strlen(target) >= sizeof(rt.target_subnet))
		return api_error(rs, 400, "InvalidSubnetID.Malformed",
		                 "TargetVpcSubnetId '%.64s' is not a subnet id.", target);
	snprintf(rt.target_subnet, sizeof(rt.target_subnet), "%s", target);
	rt.description = (char *)api_param(&rq->params, "Description");
	if ((rc = cvpn_check_description(rt.description, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	rt.created_ms = store_now_ms();
	rt.tok.token = (char *)token;
	memcpy(rt.tok.hash, hash, sizeof(hash));
	if ((rc = cvpn_route_add(&op->e, &rt, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (op->e.split_tunnel) /* C3: routes reset connections with split tunnel */
		cvpn_conns_terminate_all(&op->e, store_now_ms());
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	cvpn_ops_xml_status(&rs->x, "status", "creating");
	return E_OK;
}

result_t cvpn_op_create_route(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, rt_create);
}

static RESULT rt_delete(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op)
{
	const char *cidr;
	struct prefix dst;
	struct cvpn_verr err;
	result_t rc;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_get_str(rq, rs, "DestinationCidrBlock", true, &cidr));
	if ((rc = cvpn_check_dest_cidr("DestinationCidrBlock", cidr, &dst, &err)) != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	rc = cvpn_route_remove(&op->e, &dst, api_param(&rq->params, "TargetVpcSubnetId"), &err);
	if (rc != E_OK)
		return cvpn_ops_fail(rs, rc, &err);
	if (op->e.split_tunnel)
		cvpn_conns_terminate_all(&op->e, store_now_ms());
	GUARD(cvpn_ops_save(rq, &op->r, &op->e));
	cvpn_ops_xml_status(&rs->x, "status", "deleting");
	return E_OK;
}

result_t cvpn_op_delete_route(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run(rq, rs, rt_delete);
}

static const char *const rt_filters[] = {"destination-cidr", "origin", "target-subnet", NULL};

static RESULT rt_describe(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                          struct api_filters *f)
{
	struct api_page pg;
	char key[24], c[PREFIX_STRLEN];
	size_t i;

	GUARD(cvpn_ops_load_param(rq, rs, &op->r, &op->e));
	GUARD(api_filters_parse(rq, rs, rt_filters, f));
	GUARD(api_page_parse(rq, rs, 5, 1000, &pg));
	xml_open(&rs->x, "routes");
	for (i = 0; i < op->e.n_routes; i++) {
		const struct cvpn_route *r = &op->e.routes[i];
		const char *origin = r->origin_associate ? "associate" : "add-route";
		struct api_attr attrs[3];

		prefix_format(&r->dst, c);
		attrs[0] = (struct api_attr){"destination-cidr", c};
		attrs[1] = (struct api_attr){"origin", origin};
		attrs[2] = (struct api_attr){"target-subnet", r->target_subnet};
		snprintf(key, sizeof(key), "%08zu", i);
		if (!api_filters_match(f, attrs, 3, NULL) || !api_page_take(&pg, key))
			continue;
		xml_open(&rs->x, "item");
		xml_str(&rs->x, "clientVpnEndpointId", op->e.id);
		xml_str(&rs->x, "destinationCidr", c);
		xml_str(&rs->x, "targetSubnet", r->target_subnet);
		xml_str(&rs->x, "type", strcmp(r->target_subnet, "local") == 0 ? "local" : "Nat");
		xml_str(&rs->x, "origin", origin);
		cvpn_ops_xml_status(&rs->x, "status",
		                    cvpn_route_state(r, store_now_ms(), cvpn_pending_ms(rq)));
		xml_str(&rs->x, "description", r->description);
		xml_close(&rs->x);
	}
	xml_close(&rs->x);
	api_page_finish(&pg, &rs->x);
	return E_OK;
}

result_t cvpn_op_describe_routes(struct api_req *rq, struct api_resp *rs)
{
	return cvpn_op_run_filtered(rq, rs, rt_describe);
}
