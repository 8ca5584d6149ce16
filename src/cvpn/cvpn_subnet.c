/*
 * cvpn/cvpn_subnet.c - a minimal subnet model (CreateSubnet, DescribeSubnets, DeleteSubnet;
 * shapes from botocore's EC2 model), so Client VPN target networks have something real to
 * reference: a subnet belongs to a VPC of api_vpc.c, has a CIDR inside the VPC's and an
 * Availability Zone of this region. Rows: type "subnet", ref1 = VPC id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "cvpn/cvpn_ops.h"

#define SUBNET_PREFIX_MIN 16 /* EC2: /16 to /28 */
#define SUBNET_PREFIX_MAX 28
#define SUBNET_RESERVED_IPS 5 /* EC2 reserves 5 addresses per subnet */

static void subnet_xml(struct xml *x, const struct store_res *r, struct json_object *doc,
                       const struct store_tags *tags)
{
	const char *c = api_doc_str(doc, "cidrBlock");
	struct prefix p;
	uint64_t n = 0;

	if (c && prefix_parse(c, false, &p) == E_OK)
		n = (1ull << (32 - p.len)) - SUBNET_RESERVED_IPS;
	xml_str(x, "subnetId", r->id);
	xml_str(x, "state", "available");
	xml_str(x, "vpcId", r->ref1);
	xml_str(x, "cidrBlock", c);
	xml_u64(x, "availableIpAddressCount", n);
	xml_str(x, "availabilityZone", api_doc_str(doc, "availabilityZone"));
	xml_bool(x, "defaultForAz", false);
	xml_bool(x, "mapPublicIpOnLaunch", false);
	xml_str(x, "ownerId", API_OWNER_ID);
	api_xml_tagset(x, tags);
}

struct subnet_overlap {
	struct prefix p;
	char with[STORE_ID_MAX];
};

static result_t subnet_overlap_cb(void *arg, const struct store_res *r)
{
	struct subnet_overlap *o = arg;
	struct json_object *doc = api_doc_parse(r);
	const char *c = api_doc_str(doc, "cidrBlock");
	struct prefix p;

	if (!o->with[0] && c && prefix_parse(c, false, &p) == E_OK && prefix_overlaps(&p, &o->p))
		snprintf(o->with, sizeof(o->with), "%s", r->id);
	json_object_put(doc);
	return E_OK;
}

static RESULT subnet_params(struct api_req *rq, struct api_resp *rs, struct json_object *doc,
                            const char **vpc)
{
	const char *cidr, *az;
	struct prefix p, vp;
	struct subnet_overlap o;
	char buf[PREFIX_STRLEN], defaz[80];

	GUARD(api_get_str(rq, rs, "VpcId", true, vpc));
	GUARD(api_get_str(rq, rs, "CidrBlock", true, &cidr));
	GUARD(cvpn_ops_vpc_cidr(rq, rs, *vpc, &vp));
	if (prefix_parse(cidr, false, &p) != E_OK || p.addr.family != AF_INET)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Value (%.64s) for parameter cidrBlock is invalid. This is not a "
		                 "valid IPv4 CIDR block.",
		                 cidr);
	if (p.len < SUBNET_PREFIX_MIN || p.len > SUBNET_PREFIX_MAX || p.len < vp.len ||
	    !prefix_contains(&vp, &p.addr))
		return api_error(
		    rs, 400, "InvalidSubnet.Range",
		    "The CIDR '%.64s' is invalid: a subnet must be /%d to /%d and inside "
		    "the VPC's CIDR.",
		    cidr, SUBNET_PREFIX_MIN, SUBNET_PREFIX_MAX);
	memset(&o, 0, sizeof(o));
	o.p = p;
	GUARD(store_res_foreach(rq->store, CVPN_T_SUBNET, *vpc, NULL, subnet_overlap_cb, &o));
	if (o.with[0])
		return api_error(rs, 400, "InvalidSubnet.Conflict",
		                 "The CIDR '%.64s' conflicts with another subnet (%s).", cidr,
		                 o.with);
	GUARD(api_get_str(rq, rs, "AvailabilityZone", false, &az));
	snprintf(defaz, sizeof(defaz), "%sa", rq->region);
	if (az && (strncmp(az, rq->region, strlen(rq->region)) != 0 ||
	           strlen(az) != strlen(rq->region) + 1))
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "Value (%.64s) for parameter availabilityZone is invalid: use %sa, "
		    "%sb, ...",
		    az, rq->region, rq->region);
	prefix_format(&p, buf);
	api_doc_set_str(doc, "cidrBlock", buf);
	api_doc_set_str(doc, "availabilityZone", az ? az : defaz);
	return E_OK;
}

static RESULT subnet_create(struct api_req *rq, struct api_resp *rs, struct json_object *doc,
                            struct store_tags *tags, struct store_res *r)
{
	const char *vpc;

	GUARD(subnet_params(rq, rs, doc, &vpc));
	GUARD(api_tagspec_parse(rq, rs, CVPN_T_SUBNET, tags));
	store_res_init(r, CVPN_T_SUBNET, NULL, "available");
	GUARD(store_id_new(rq->store, "subnet", r->id));
	snprintf(r->ref1, sizeof(r->ref1), "%s", vpc);
	GUARD(api_doc_save(r, doc));
	GUARD(store_res_insert(rq->store, r));
	GUARD(api_tags_apply(rq, rs, r->id, tags));
	xml_open(&rs->x, "subnet");
	subnet_xml(&rs->x, r, doc, tags);
	xml_close(&rs->x);
	return E_OK;
}

result_t cvpn_op_create_subnet(struct api_req *rq, struct api_resp *rs)
{
	struct json_object *doc = json_object_new_object();
	struct store_tags tags = {NULL, 0};
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	if (!doc)
		return E_NOMEM;
	rc = subnet_create(rq, rs, doc, &tags, &r);
	store_res_fini(&r);
	store_tags_fini(&tags);
	json_object_put(doc);
	return rc;
}

static const char *const subnet_filters[] = {
    "vpc-id", "subnet-id", "cidr-block", "availability-zone", "state", NULL};

struct subnet_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
	struct api_page page;
};

static result_t subnet_describe_cb(void *arg, const struct store_res *r)
{
	struct subnet_describe *d = arg;
	struct json_object *doc;
	struct store_tags tags;
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	doc = api_doc_parse(r);
	rc = store_tags_get(d->rq->store, r->id, &tags);
	if (rc == E_OK) {
		struct api_attr attrs[] = {
		    {"vpc-id", r->ref1},
		    {"subnet-id", r->id},
		    {"cidr-block", api_doc_str(doc, "cidrBlock")},
		    {"availability-zone", api_doc_str(doc, "availabilityZone")},
		    {"state", "available"},
		};

		if (api_filters_match(&d->filters, attrs, 5, &tags) &&
		    api_page_take(&d->page, r->id)) {
			xml_open(&d->rs->x, "item");
			subnet_xml(&d->rs->x, r, doc, &tags);
			xml_close(&d->rs->x);
		}
		store_tags_fini(&tags);
	}
	json_object_put(doc);
	return rc;
}

result_t cvpn_op_describe_subnets(struct api_req *rq, struct api_resp *rs)
{
	struct subnet_describe d;
	result_t rc;

	memset(&d, 0, sizeof(d));
	d.rq = rq;
	d.rs = rs;
	GUARD_OUT(rc, api_get_strlist(rq, rs, "SubnetId", &d.ids));
	GUARD_OUT(
	    rc, api_ids_exist(rq, rs, &d.ids, CVPN_T_SUBNET, "InvalidSubnetID.NotFound", "subnet"));
	GUARD_OUT(rc, api_filters_parse(rq, rs, subnet_filters, &d.filters));
	GUARD_OUT(rc, api_page_parse(rq, rs, 5, 1000, &d.page));
	xml_open(&rs->x, "subnetSet");
	GUARD_OUT(rc,
	          store_res_foreach(rq->store, CVPN_T_SUBNET, NULL, NULL, subnet_describe_cb, &d));
	xml_close(&rs->x);
	api_page_finish(&d.page, &rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

struct subnet_use {
	const char *id;
	char by[STORE_ID_MAX];
};

static result_t subnet_use_cb(void *arg, const struct store_res *r)
{
	struct subnet_use *u = arg;
	char q[STORE_ID_MAX + 2];

	snprintf(q, sizeof(q), "\"%s\"", u->id);
	if (!u->by[0] && r->doc && strcmp(r->state, "deleted") != 0 && strstr(r->doc, q))
		snprintf(u->by, sizeof(u->by), "%s", r->id);
	return E_OK;
}

result_t cvpn_op_delete_subnet(struct api_req *rq, struct api_resp *rs)
{
	struct subnet_use u;
	struct store_res r;
	const char *id;
	result_t rc;

	GUARD(api_get_str(rq, rs, "SubnetId", true, &id));
	GUARD(api_res_load(rq, rs, id, CVPN_T_SUBNET, "InvalidSubnetID.NotFound", "subnet", &r));
	memset(&u, 0, sizeof(u));
	u.id = id;
	GUARD_OUT(rc, store_res_foreach(rq->store, CVPN_T_ENDPOINT, NULL, NULL, subnet_use_cb, &u));
	if (u.by[0]) {
		rc = api_error(rs, 400, "DependencyViolation",
		               "The subnet '%s' has dependencies and cannot be deleted: it is a "
		               "target network of %s; disassociate it first.",
		               id, u.by);
		goto out;
	}
	GUARD_OUT(rc, store_tag_del_all(rq->store, id));
	GUARD_OUT(rc, store_res_remove(rq->store, id));
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	return rc;
}
