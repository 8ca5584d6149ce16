/*
 * api/api_vpc.c - a minimal VPC model: CreateVpc, DescribeVpcs, DeleteVpc (shapes from
 * botocore's EC2 model; not in ec2-vpn-model.json). A VPC gets a main route table with the
 * local route (api_rtb.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "api/api_rtb.h"
#include "lib/addr.h"
#include "lib/secret.h"

#define VPC_PER_REGION_MAX 5 /* EC2 default quota "VPCs per Region" */
#define VPC_PREFIX_MIN 16    /* EC2: a VPC CIDR is /16 to /28 */
#define VPC_PREFIX_MAX 28

static const char *const vpc_live_states[] = {"pending", "available", NULL};
static const char *const attach_busy_states[] = {"attaching", "attached", "detaching", NULL};

static RESULT vpc_xml(struct api_req *rq, struct xml *x, const struct store_res *r,
                      struct json_object *doc, const struct store_tags *tags)
{
	(void)rq; /* an api_res_item_fn */
	xml_str(x, "vpcId", r->id);
	xml_str(x, "ownerId", API_OWNER_ID);
	xml_str(x, "state", r->state);
	xml_str(x, "cidrBlock", api_doc_str(doc, "cidrBlock"));
	xml_open(x, "cidrBlockAssociationSet");
	xml_open(x, "item");
	xml_str(x, "associationId", api_doc_str(doc, "cidrAssociationId"));
	xml_str(x, "cidrBlock", api_doc_str(doc, "cidrBlock"));
	xml_open(x, "cidrBlockState");
	xml_str(x, "state", "associated");
	xml_close(x);
	xml_close(x);
	xml_close(x);
	xml_str(x, "dhcpOptionsId", "default");
	xml_str(x, "instanceTenancy", api_doc_str(doc, "instanceTenancy"));
	xml_bool(x, "isDefault", false);
	api_xml_tagset(x, tags);
	return E_OK;
}

static RESULT vpc_params(struct api_req *rq, struct api_resp *rs, struct json_object *doc)
{
	const char *cidr, *tenancy;
	struct prefix p;
	char buf[PREFIX_STRLEN];

	GUARD(api_get_str(rq, rs, "CidrBlock", true, &cidr));
	if (prefix_parse(cidr, false, &p) != E_OK || p.addr.family != AF_INET)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Value (%.64s) for parameter cidrBlock is invalid. This is not a "
		                 "valid IPv4 CIDR block (a.b.c.d/n with the host bits zero).",
		                 cidr);
	if (p.len < VPC_PREFIX_MIN || p.len > VPC_PREFIX_MAX)
		return api_error(
		    rs, 400, "InvalidVpc.Range",
		    "The CIDR '%.64s' is invalid: a VPC CIDR block must be between /%d "
		    "and /%d.",
		    cidr, VPC_PREFIX_MIN, VPC_PREFIX_MAX);
	GUARD(api_get_str(rq, rs, "InstanceTenancy", false, &tenancy));
	if (tenancy && strcmp(tenancy, "default") != 0 && strcmp(tenancy, "dedicated") != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid InstanceTenancy '%.32s': expected default or dedicated.",
		                 tenancy);
	prefix_format(&p, buf);
	api_doc_set_str(doc, "cidrBlock", buf);
	api_doc_set_str(doc, "instanceTenancy", tenancy ? tenancy : "default");
	return E_OK;
}

static RESULT vpc_create(struct api_req *rq, struct api_resp *rs, struct json_object *doc,
                         struct store_tags *tags, struct store_res *r)
{
	char assoc[STORE_ID_MAX];
	size_t n = 0;

	GUARD(vpc_params(rq, rs, doc));
	GUARD(api_tagspec_parse(rq, rs, STORE_T_VPC, tags));
	GUARD(store_res_count(rq->store, STORE_T_VPC, NULL, NULL, vpc_live_states, &n));
	if (n >= VPC_PER_REGION_MAX)
		return api_error(rs, 400, "VpcLimitExceeded",
		                 "The maximum number of VPCs (%d) has been reached in %s.",
		                 VPC_PER_REGION_MAX, rq->region);
	store_res_init(r, STORE_T_VPC, NULL, "pending");
	GUARD(store_id_new(rq->store, "vpc", r->id));
	GUARD(store_id_new(rq->store, "vpc-cidr-assoc", assoc));
	api_doc_set_str(doc, "cidrAssociationId", assoc);
	store_res_schedule(rq->store, r, "available", store_timing(rq->store)->pending_ms);
	GUARD(api_doc_save(r, doc));
	GUARD(store_res_insert(rq->store, r));
	GUARD(api_rtb_create_main(rq, r->id, api_doc_str(doc, "cidrBlock")));
	return api_tags_apply(rq, rs, r->id, tags);
}

result_t api_vpc_create(struct api_req *rq, struct api_resp *rs)
{
	return api_res_create(rq, rs, vpc_create, "vpc", vpc_xml);
}

static const char *const vpc_filters[] = {"cidr",
                                          "cidr-block-association.cidr-block",
                                          "cidr-block-association.association-id",
                                          "dhcp-options-id",
                                          "is-default",
                                          "owner-id",
                                          "state",
                                          "vpc-id",
                                          NULL};

struct vpc_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
	struct api_page page;
};

static result_t vpc_describe_cb(void *arg, const struct store_res *r)
{
	struct vpc_describe *d = arg;
	struct json_object *doc;
	struct store_tags tags;
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	doc = api_doc_parse(r);
	if (!doc)
		return E_NOMEM;
	rc = store_tags_get(d->rq->store, r->id, &tags);
	if (rc == E_OK) {
		const char *cidr = api_doc_str(doc, "cidrBlock");
		struct api_attr attrs[] = {
		    {"cidr", cidr},
		    {"cidr-block-association.cidr-block", cidr},
		    {"cidr-block-association.association-id",
		     api_doc_str(doc, "cidrAssociationId")},
		    {"dhcp-options-id", "default"},
		    {"is-default", "false"},
		    {"owner-id", API_OWNER_ID},
		    {"state", r->state},
		    {"vpc-id", r->id},
		};

		if (api_filters_match(&d->filters, attrs, sizeof(attrs) / sizeof(attrs[0]),
		                      &tags) &&
		    api_page_take(&d->page, r->id)) {
			xml_open(&d->rs->x, "item");
			rc = vpc_xml(d->rq, &d->rs->x, r, doc, &tags);
			xml_close(&d->rs->x);
		}
		store_tags_fini(&tags);
	}
	json_object_put(doc);
	return rc;
}

result_t api_vpc_describe(struct api_req *rq, struct api_resp *rs)
{
	struct vpc_describe d;
	result_t rc;

	memset(&d, 0, sizeof(d));
	d.rq = rq;
	d.rs = rs;
	GUARD_OUT(rc, api_get_strlist(rq, rs, "VpcId", &d.ids));
	GUARD_OUT(rc, api_ids_exist(rq, rs, &d.ids, STORE_T_VPC, "InvalidVpcID.NotFound", "vpc"));
	GUARD_OUT(rc, api_filters_parse(rq, rs, vpc_filters, &d.filters));
	GUARD_OUT(rc, api_page_parse(rq, rs, 5, 1000, &d.page));
	xml_open(&rs->x, "vpcSet");
	GUARD_OUT(rc, store_res_foreach(rq->store, STORE_T_VPC, NULL, NULL, vpc_describe_cb, &d));
	xml_close(&rs->x);
	api_page_finish(&d.page, &rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

result_t api_vpc_delete(struct api_req *rq, struct api_resp *rs)
{
	const char *id;
	struct store_res r;
	size_t n = 0;
	result_t rc;

	GUARD(api_get_str(rq, rs, "VpcId", true, &id));
	GUARD(api_res_load(rq, rs, id, STORE_T_VPC, "InvalidVpcID.NotFound", "vpc", &r));
	GUARD_OUT(rc, store_res_count(rq->store, STORE_T_ATTACH, NULL, id, attach_busy_states, &n));
	if (n > 0) {
		rc = api_error(rs, 400, "DependencyViolation",
		               "The vpc '%s' has dependencies and cannot be deleted: a VPN gateway "
		               "is attached; detach it first.",
		               id);
		goto out;
	}
	/* EC2 removes a VPC at once (no visible "deleted" state), with its main route table. */
	GUARD_OUT(rc, api_rtb_delete_for_vpc(rq, id));
	GUARD_OUT(rc, store_res_remove(rq->store, id));
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	return rc;
}
