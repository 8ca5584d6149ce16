/*
 * api/api_vgw.c - virtual private gateways: Create/Describe/Delete/Attach/DetachVpnGateway
 * (site-to-site.md 1.3; ec2-api.md "Virtual private gateways").
 *
 * A VGW-VPC attachment is its own row (type vpc-attachment, id "<vgw>/<vpc>", ref1 = vgw,
 * ref2 = vpc) so its attaching -> attached and detaching -> detached transitions are timed and
 * persisted like any other state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "api/api_vgw.h"

#define VGW_PER_REGION_MAX 5     /* G:5601 */
#define VGW_ASN_DEFAULT 64512ULL /* G:283 */
#define VGW_ASN16_MIN 64512ULL   /* G:983 */
#define VGW_ASN16_MAX 65534ULL
#define VGW_ASN32_MIN 4200000000ULL
#define VGW_ASN32_MAX 4294967294ULL

static const char *const vgw_live_states[] = {"pending", "available", NULL};
static const char *const attach_live_states[] = {"attaching", "attached", NULL};
static const char *const attach_busy_states[] = {"attaching", "attached", "detaching", NULL};
static const char *const vpn_live_states[] = {"pending", "available", "deleting", NULL};

struct vgw_attach_ctx {
	struct xml *x;
	const char *vpc; /* find mode: the attached VPC id goes to found */
	char found[STORE_ID_MAX];
	char found_state[STORE_STATE_MAX];
	bool list;
	const char **attrs_state; /* filter attributes, appended */
};

static result_t vgw_attach_cb(void *arg, const struct store_res *r)
{
	struct vgw_attach_ctx *c = arg;

	if (c->list) {
		xml_open(c->x, "item");
		xml_str(c->x, "vpcId", r->ref2);
		xml_str(c->x, "state", r->state);
		xml_close(c->x);
	}
	if (!c->found[0] &&
	    (strcmp(r->state, "attaching") == 0 || strcmp(r->state, "attached") == 0 ||
	     strcmp(r->state, "detaching") == 0)) {
		snprintf(c->found, sizeof(c->found), "%s", r->ref2);
		snprintf(c->found_state, sizeof(c->found_state), "%s", r->state);
	}
	return E_OK;
}

RESULT api_vgw_attached_vpc(struct store *st, const char *vgw_id, char vpc[STORE_ID_MAX],
                            char state[STORE_STATE_MAX])
{
	struct vgw_attach_ctx c;

	memset(&c, 0, sizeof(c));
	GUARD(store_res_foreach(st, STORE_T_ATTACH, vgw_id, NULL, vgw_attach_cb, &c));
	snprintf(vpc, STORE_ID_MAX, "%s", c.found);
	snprintf(state, STORE_STATE_MAX, "%s", c.found_state);
	return E_OK;
}

static RESULT vgw_write_item(struct api_req *rq, struct xml *x, const struct store_res *r,
                             struct json_object *doc, const struct store_tags *tags)
{
	struct vgw_attach_ctx c;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.list = true;
	xml_str(x, "vpnGatewayId", r->id);
	xml_str(x, "state", r->state);
	xml_str(x, "type", api_doc_str(doc, "type"));
	xml_str(x, "availabilityZone", api_doc_str(doc, "availabilityZone"));
	xml_open(x, "attachments");
	GUARD(store_res_foreach(rq->store, STORE_T_ATTACH, r->id, NULL, vgw_attach_cb, &c));
	xml_close(x);
	xml_str(x, "amazonSideAsn", api_doc_str(doc, "amazonSideAsn"));
	api_xml_tagset(x, tags);
	return E_OK;
}

static RESULT vgw_params(struct api_req *rq, struct api_resp *rs, struct json_object *doc)
{
	const char *type, *az;
	uint64_t asn = VGW_ASN_DEFAULT;
	bool has = false;
	char num[24];

	GUARD(api_get_str(rq, rs, "Type", true, &type));
	if (strcmp(type, "ipsec.1") != 0)
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "Invalid value '%.32s' for Type: the only supported type is ipsec.1.", type);
	GUARD(api_get_str(rq, rs, "AvailabilityZone", false, &az));
	GUARD(api_get_u64(rq, rs, "AmazonSideAsn", 1, UINT32_MAX, &has, &asn));
	if (has && !(asn >= VGW_ASN16_MIN && asn <= VGW_ASN16_MAX) &&
	    !(asn >= VGW_ASN32_MIN && asn <= VGW_ASN32_MAX))
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid AmazonSideAsn %llu: a private ASN must be from 64512 to "
		                 "65534 (16-bit) or from 4200000000 to 4294967294 (32-bit).",
		                 (unsigned long long)asn);
	if (!has)
		asn = VGW_ASN_DEFAULT;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)asn);
	api_doc_set_str(doc, "type", type);
	api_doc_set_str(doc, "availabilityZone", az);
	api_doc_set_str(doc, "amazonSideAsn", num);
	return E_OK;
}

static RESULT vgw_create(struct api_req *rq, struct api_resp *rs, struct json_object *doc,
                         struct store_tags *tags, struct store_res *r)
{
	size_t n = 0;

	GUARD(vgw_params(rq, rs, doc));
	GUARD(api_tagspec_parse(rq, rs, STORE_T_VGW, tags));
	GUARD(store_res_count(rq->store, STORE_T_VGW, NULL, NULL, vgw_live_states, &n));
	if (n >= VGW_PER_REGION_MAX)
		return api_error(rs, 400, "VpnGatewayLimitExceeded",
		                 "You have reached the limit of %d virtual private gateways in %s.",
		                 VGW_PER_REGION_MAX, rq->region);
	store_res_init(r, STORE_T_VGW, NULL, "pending");
	GUARD(store_id_new(rq->store, "vgw", r->id));
	store_res_schedule(rq->store, r, "available", store_timing(rq->store)->pending_ms);
	GUARD(api_doc_save(r, doc));
	GUARD(store_res_insert(rq->store, r));
	return api_tags_apply(rq, rs, r->id, tags);
}

result_t api_vgw_create(struct api_req *rq, struct api_resp *rs)
{
	return api_res_create(rq, rs, vgw_create, "vpnGateway", vgw_write_item);
}

static const char *const vgw_filters[] = {"amazon-side-asn",
                                          "attachment.state",
                                          "attachment.vpc-id",
                                          "availability-zone",
                                          "state",
                                          "type",
                                          "vpn-gateway-id",
                                          NULL};

struct vgw_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
};

static result_t vgw_describe_cb(void *arg, const struct store_res *r)
{
	struct vgw_describe *d = arg;
	struct json_object *doc;
	struct store_tags tags;
	char vpc[STORE_ID_MAX], st[STORE_STATE_MAX];
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	GUARD(api_vgw_attached_vpc(d->rq->store, r->id, vpc, st));
	doc = api_doc_parse(r);
	if (!doc)
		return E_NOMEM;
	rc = store_tags_get(d->rq->store, r->id, &tags);
	if (rc == E_OK) {
		struct api_attr attrs[] = {
		    {"amazon-side-asn", api_doc_str(doc, "amazonSideAsn")},
		    {"attachment.state", st[0] ? st : NULL},
		    {"attachment.vpc-id", vpc[0] ? vpc : NULL},
		    {"availability-zone", api_doc_str(doc, "availabilityZone")},
		    {"state", r->state},
		    {"type", api_doc_str(doc, "type")},
		    {"vpn-gateway-id", r->id},
		};

		if (api_filters_match(&d->filters, attrs, sizeof(attrs) / sizeof(attrs[0]),
		                      &tags)) {
			xml_open(&d->rs->x, "item");
			rc = vgw_write_item(d->rq, &d->rs->x, r, doc, &tags);
			xml_close(&d->rs->x);
		}
		store_tags_fini(&tags);
	}
	json_object_put(doc);
	return rc;
}

result_t api_vgw_describe(struct api_req *rq, struct api_resp *rs)
{
	struct vgw_describe d = {rq, rs, {NULL, 0}, {NULL, 0}};
	result_t rc;

	GUARD_OUT(rc, api_get_strlist(rq, rs, "VpnGatewayId", &d.ids));
	GUARD_OUT(rc, api_ids_exist(rq, rs, &d.ids, STORE_T_VGW, "InvalidVpnGatewayID.NotFound",
	                            "vpnGateway"));
	GUARD_OUT(rc, api_filters_parse(rq, rs, vgw_filters, &d.filters));
	xml_open(&rs->x, "vpnGatewaySet");
	GUARD_OUT(rc, store_res_foreach(rq->store, STORE_T_VGW, NULL, NULL, vgw_describe_cb, &d));
	xml_close(&rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

result_t api_vgw_delete(struct api_req *rq, struct api_resp *rs)
{
	char vpc[STORE_ID_MAX], st[STORE_STATE_MAX];
	const char *id;
	struct store_res r;
	size_t n = 0;
	result_t rc;

	GUARD(api_get_str(rq, rs, "VpnGatewayId", true, &id));
	GUARD(api_res_load(rq, rs, id, STORE_T_VGW, "InvalidVpnGatewayID.NotFound", "vpnGateway",
	                   &r));
	if (strcmp(r.state, "deleting") == 0 || strcmp(r.state, "deleted") == 0) {
		rc = E_OK;
		goto done;
	}
	GUARD_OUT(rc, api_vgw_attached_vpc(rq->store, id, vpc, st));
	if (vpc[0]) {
		/* G:4226: cannot delete while attached to a VPC. */
		rc = api_error(rs, 400, "IncorrectState",
		               "The VPN gateway '%s' is %s to VPC '%s'; detach it first.", id, st,
		               vpc);
		goto out;
	}
	GUARD_OUT(rc, store_res_count(rq->store, STORE_T_VPN, NULL, id, vpn_live_states, &n));
	if (n > 0) {
		rc = api_error(rs, 400, "IncorrectState",
		               "The VPN gateway '%s' is used by %zu VPN connection(s); delete them "
		               "first.",
		               id, n);
		goto out;
	}
	snprintf(r.state, sizeof(r.state), "deleting");
	store_res_schedule(rq->store, &r, "deleted", store_timing(rq->store)->pending_ms);
	GUARD_OUT(rc, store_res_update(rq->store, &r));
done:
	xml_bool(&rs->x, "return", true);
out:
	store_res_fini(&r);
	return rc;
}

/* Load the VGW and VPC named by VpnGatewayId / VpcId. */
static RESULT vgw_load_pair(struct api_req *rq, struct api_resp *rs, struct store_res *vgw,
                            struct store_res *vpc)
{
	const char *vgw_id, *vpc_id;

	memset(vgw, 0, sizeof(*vgw));
	memset(vpc, 0, sizeof(*vpc));
	GUARD(api_get_str(rq, rs, "VpcId", true, &vpc_id));
	GUARD(api_get_str(rq, rs, "VpnGatewayId", true, &vgw_id));
	GUARD(api_res_load(rq, rs, vgw_id, STORE_T_VGW, "InvalidVpnGatewayID.NotFound",
	                   "vpnGateway", vgw));
	return api_res_load(rq, rs, vpc_id, STORE_T_VPC, "InvalidVpcID.NotFound", "vpc", vpc);
}

static RESULT vgw_attach_checks(struct api_req *rq, struct api_resp *rs,
                                const struct store_res *vgw, const struct store_res *vpc)
{
	char cur[STORE_ID_MAX], st[STORE_STATE_MAX];
	size_t n = 0;

	if (strcmp(vgw->state, "available") != 0)
		return api_error(rs, 400, "InvalidVpnGatewayState",
		                 "The VPN gateway '%s' is %s; it must be available to attach.",
		                 vgw->id, vgw->state);
	if (strcmp(vpc->state, "available") != 0)
		return api_error(rs, 400, "InvalidVpcState",
		                 "The VPC '%s' is %s; it must be available.", vpc->id, vpc->state);
	GUARD(api_vgw_attached_vpc(rq->store, vgw->id, cur, st));
	if (cur[0])
		return api_error(rs, 400, "VpnGatewayAttachmentLimitExceeded",
		                 "The VPN gateway '%s' is already %s to VPC '%s'.", vgw->id, st,
		                 cur);
	/* G:5611: one VGW per VPC at a time. */
	GUARD(store_res_count(rq->store, STORE_T_ATTACH, NULL, vpc->id, attach_busy_states, &n));
	if (n > 0)
		return api_error(rs, 400, "InvalidVpcState",
		                 "The VPC '%s' already has a VPN gateway attached.", vpc->id);
	return E_OK;
}

static RESULT vgw_attach(struct api_req *rq, struct api_resp *rs, struct store_res *vgw,
                         struct store_res *vpc)
{
	struct store_res a;
	char aid[STORE_ID_MAX];
	result_t rc;

	GUARD(vgw_load_pair(rq, rs, vgw, vpc));
	GUARD(vgw_attach_checks(rq, rs, vgw, vpc));
	snprintf(aid, sizeof(aid), "%.30s/%.30s", vgw->id, vpc->id);
	rc = store_res_get(rq->store, aid, &a);
	if (rc == E_NOTFOUND) {
		store_res_init(&a, STORE_T_ATTACH, aid, "attaching");
		snprintf(a.ref1, sizeof(a.ref1), "%s", vgw->id);
		snprintf(a.ref2, sizeof(a.ref2), "%s", vpc->id);
	} else if (rc != E_OK) {
		return rc;
	}
	snprintf(a.state, sizeof(a.state), "attaching");
	store_res_schedule(rq->store, &a, "attached", store_timing(rq->store)->pending_ms);
	rc = rc == E_NOTFOUND ? store_res_insert(rq->store, &a) : store_res_update(rq->store, &a);
	store_res_fini(&a);
	GUARD(rc);
	xml_open(&rs->x, "attachment");
	xml_str(&rs->x, "vpcId", vpc->id);
	xml_str(&rs->x, "state", "attaching");
	xml_close(&rs->x);
	return E_OK;
}

result_t api_vgw_attach(struct api_req *rq, struct api_resp *rs)
{
	struct store_res vgw, vpc;
	result_t rc = vgw_attach(rq, rs, &vgw, &vpc);

	store_res_fini(&vgw);
	store_res_fini(&vpc);
	return rc;
}

static RESULT vgw_detach(struct api_req *rq, struct api_resp *rs, struct store_res *vgw,
                         struct store_res *vpc)
{
	struct store_res a;
	char aid[STORE_ID_MAX];
	result_t rc;

	GUARD(vgw_load_pair(rq, rs, vgw, vpc));
	snprintf(aid, sizeof(aid), "%.30s/%.30s", vgw->id, vpc->id);
	rc = store_res_get(rq->store, aid, &a);
	if (rc == E_NOTFOUND ||
	    (rc == E_OK && strcmp(a.state, "attaching") != 0 && strcmp(a.state, "attached") != 0)) {
		if (rc == E_OK)
			store_res_fini(&a);
		return api_error(rs, 400, "InvalidVpnGatewayAttachment.NotFound",
		                 "The attachment with VPN gateway ID '%s' and VPC ID '%s' does not "
		                 "exist",
		                 vgw->id, vpc->id);
	}
	GUARD(rc);
	snprintf(a.state, sizeof(a.state), "detaching");
	store_res_schedule(rq->store, &a, "detached", store_timing(rq->store)->pending_ms);
	rc = store_res_update(rq->store, &a);
	store_res_fini(&a);
	GUARD(rc);
	xml_bool(&rs->x, "return", true);
	return E_OK;
}

result_t api_vgw_detach(struct api_req *rq, struct api_resp *rs)
{
	struct store_res vgw, vpc;
	result_t rc = vgw_detach(rq, rs, &vgw, &vpc);

	store_res_fini(&vgw);
	store_res_fini(&vpc);
	return rc;
}

RESULT api_vgw_is_attached_to(struct store *st, const char *vgw_id, const char *vpc_id,
                              bool *attached)
{
	size_t n = 0;

	GUARD(store_res_count(st, STORE_T_ATTACH, vgw_id, vpc_id, attach_live_states, &n));
	*attached = n > 0;
	return E_OK;
}
