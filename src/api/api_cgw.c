/*
 * api/api_cgw.c - CreateCustomerGateway, DescribeCustomerGateways, DeleteCustomerGateway
 * (site-to-site.md 1.2; ec2-api.md "Customer gateways"; decisions in docs/api.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_handlers.h"
#include "lib/addr.h"

#define CGW_PER_REGION_MAX 50     /* G:5600 */
#define CGW_ASN_DEFAULT 65000     /* G:770 */
#define CGW_ASN_MAX 2147483647ULL /* BgpAsn: 1 to 2,147,483,647 */
#define CGW_ASN_EXT_MIN 2147483648ULL
#define CGW_ASN_EXT_MAX 4294967295ULL
#define CGW_ASN_PRIVATE32_MIN 4200000000ULL /* G:770: not supported on a CGW */
#define CGW_ASN_PRIVATE32_MAX 4294967294ULL
#define CGW_DEVICE_NAME_MAX 255

static const char *const cgw_live_states[] = {"pending", "available", NULL};
static const char *const vpn_live_states[] = {"pending", "available", "deleting", NULL};

/* G:770: ASNs reserved by AWS, per Region. */
static const struct {
	uint64_t asn;
	const char *region; /* NULL = every Region */
} cgw_reserved_asns[] = {
    {7224, NULL},
    {9059, "eu-west-1"},
    {10124, "ap-northeast-1"},
    {17943, "ap-southeast-1"},
};

static RESULT cgw_asn(struct api_req *rq, struct api_resp *rs, uint64_t *asn)
{
	bool has16 = false, has32 = false;
	uint64_t a = 0, b = 0;
	size_t i;

	GUARD(api_get_u64(rq, rs, "BgpAsn", 1, CGW_ASN_MAX, &has16, &a));
	GUARD(api_get_u64(rq, rs, "BgpAsnExtended", CGW_ASN_EXT_MIN, CGW_ASN_EXT_MAX, &has32, &b));
	if (has16 && has32)
		return api_error(rs, 400, "InvalidParameterCombination",
		                 "Specify either BgpAsn or BgpAsnExtended, not both.");
	*asn = has16 ? a : has32 ? b : CGW_ASN_DEFAULT;
	if (*asn >= CGW_ASN_PRIVATE32_MIN && *asn <= CGW_ASN_PRIVATE32_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "BGP ASN %llu is not supported: customer gateways do not support "
		                 "private ASNs from 4200000000 to 4294967294.",
		                 (unsigned long long)*asn);
	for (i = 0; i < sizeof(cgw_reserved_asns) / sizeof(cgw_reserved_asns[0]); i++) {
		if (cgw_reserved_asns[i].asn == *asn &&
		    (!cgw_reserved_asns[i].region ||
		     strcmp(cgw_reserved_asns[i].region, rq->region) == 0))
			return api_error(rs, 400, "InvalidParameterValue",
			                 "BGP ASN %llu is reserved in %s and cannot be used for a "
			                 "customer gateway.",
			                 (unsigned long long)*asn, rq->region);
	}
	return E_OK;
}

static RESULT cgw_xml(struct api_req *rq, struct xml *x, const struct store_res *r,
                      struct json_object *doc, const struct store_tags *tags)
{
	(void)rq; /* an api_res_item_fn */
	xml_str(x, "customerGatewayId", r->id);
	xml_str(x, "state", r->state);
	xml_str(x, "type", api_doc_str(doc, "type"));
	xml_str(x, "ipAddress", api_doc_str(doc, "ipAddress"));
	xml_str(x, "bgpAsn", api_doc_str(doc, "bgpAsn"));
	xml_str(x, "bgpAsnExtended", api_doc_str(doc, "bgpAsnExtended"));
	xml_str(x, "certificateArn", api_doc_str(doc, "certificateArn"));
	xml_str(x, "deviceName", api_doc_str(doc, "deviceName"));
	api_xml_tagset(x, tags);
	return E_OK;
}

static bool cgw_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct cgw_find {
	struct json_object *want;
	char id[STORE_ID_MAX];
};

/* "An identical request returns information about the existing customer gateway." */
static result_t cgw_find_cb(void *arg, const struct store_res *r)
{
	struct cgw_find *f = arg;
	struct json_object *doc;
	static const char *const keys[] = {"type",           "ipAddress",      "bgpAsn",
	                                   "bgpAsnExtended", "certificateArn", "deviceName"};
	bool same = true;
	size_t i;

	if (f->id[0] || (strcmp(r->state, "pending") != 0 && strcmp(r->state, "available") != 0))
		return E_OK;
	doc = api_doc_parse(r);
	if (!doc)
		return E_NOMEM;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && same; i++)
		same = cgw_same(api_doc_str(doc, keys[i]), api_doc_str(f->want, keys[i]));
	json_object_put(doc);
	if (same)
		snprintf(f->id, sizeof(f->id), "%s", r->id);
	return E_OK;
}

static RESULT cgw_params(struct api_req *rq, struct api_resp *rs, struct json_object *doc)
{
	const char *type, *ip, *cert, *dev;
	struct addr a;
	uint64_t asn = 0;
	char num[24];

	GUARD(api_get_str(rq, rs, "Type", true, &type));
	if (strcmp(type, "ipsec.1") != 0)
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "Invalid value '%.32s' for Type: the only supported type is ipsec.1.", type);
	GUARD(api_get_str(rq, rs, "IpAddress", false, &ip));
	if (!ip)
		GUARD(api_get_str(rq, rs, "PublicIp", false, &ip));
	GUARD(api_get_str(rq, rs, "CertificateArn", false, &cert));
	GUARD(api_get_str(rq, rs, "DeviceName", false, &dev));
	if (!ip && !cert)
		return api_error(rs, 400, "MissingParameter",
		                 "You must specify either IpAddress or CertificateArn (G:948).");
	if (ip && addr_parse(ip, &a) != E_OK)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.64s' for IpAddress: expected an IPv4 or IPv6 "
		                 "address.",
		                 ip);
	if (cert && strncmp(cert, "arn:", 4) != 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.64s' for CertificateArn: expected an ARN "
		                 "(arn:aws:acm:...).",
		                 cert);
	if (dev && strlen(dev) > CGW_DEVICE_NAME_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "DeviceName is longer than %d characters.", CGW_DEVICE_NAME_MAX);
	GUARD(cgw_asn(rq, rs, &asn));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)asn);
	api_doc_set_str(doc, "type", type);
	api_doc_set_str(doc, "ipAddress", ip);
	api_doc_set_str(doc, asn > CGW_ASN_MAX ? "bgpAsnExtended" : "bgpAsn", num);
	api_doc_set_str(doc, "certificateArn", cert);
	api_doc_set_str(doc, "deviceName", dev);
	return E_OK;
}

static RESULT cgw_create(struct api_req *rq, struct api_resp *rs, struct json_object *doc,
                         struct store_tags *tags, struct store_res *r)
{
	struct cgw_find find = {doc, ""};
	size_t n = 0;

	GUARD(cgw_params(rq, rs, doc));
	GUARD(api_tagspec_parse(rq, rs, STORE_T_CGW, tags));
	GUARD(store_res_foreach(rq->store, STORE_T_CGW, NULL, NULL, cgw_find_cb, &find));
	if (find.id[0])
		return store_res_get(rq->store, find.id, r);
	GUARD(store_res_count(rq->store, STORE_T_CGW, NULL, NULL, cgw_live_states, &n));
	if (n >= CGW_PER_REGION_MAX)
		return api_error(rs, 400, "CustomerGatewayLimitExceeded",
		                 "You have reached the limit of %d customer gateways in %s.",
		                 CGW_PER_REGION_MAX, rq->region);
	store_res_init(r, STORE_T_CGW, NULL, "pending");
	GUARD(store_id_new(rq->store, "cgw", r->id));
	store_res_schedule(rq->store, r, "available", store_timing(rq->store)->pending_ms);
	GUARD(api_doc_save(r, doc));
	GUARD(store_res_insert(rq->store, r));
	return api_tags_apply(rq, rs, r->id, tags);
}

result_t api_cgw_create(struct api_req *rq, struct api_resp *rs)
{
	return api_res_create(rq, rs, cgw_create, "customerGateway", cgw_xml);
}

static const char *const cgw_filters[] = {"bgp-asn", "customer-gateway-id", "ip-address", "state",
                                          "type",    "device-name",         NULL};

struct cgw_describe {
	struct api_req *rq;
	struct api_resp *rs;
	struct api_strlist ids;
	struct api_filters filters;
	size_t seen;
};

static result_t cgw_describe_cb(void *arg, const struct store_res *r)
{
	struct cgw_describe *d = arg;
	struct json_object *doc;
	struct store_tags tags;
	result_t rc;

	if (d->ids.n && !api_strlist_has(&d->ids, r->id))
		return E_OK;
	d->seen++;
	doc = api_doc_parse(r);
	if (!doc)
		return E_NOMEM;
	rc = store_tags_get(d->rq->store, r->id, &tags);
	if (rc == E_OK) {
		const char *asn = api_doc_str(doc, "bgpAsn");
		struct api_attr attrs[] = {
		    {"bgp-asn", asn ? asn : api_doc_str(doc, "bgpAsnExtended")},
		    {"customer-gateway-id", r->id},
		    {"ip-address", api_doc_str(doc, "ipAddress")},
		    {"state", r->state},
		    {"type", api_doc_str(doc, "type")},
		    {"device-name", api_doc_str(doc, "deviceName")},
		};

		if (api_filters_match(&d->filters, attrs, sizeof(attrs) / sizeof(attrs[0]),
		                      &tags)) {
			xml_open(&d->rs->x, "item");
			rc = cgw_xml(d->rq, &d->rs->x, r, doc, &tags);
			xml_close(&d->rs->x);
		}
		store_tags_fini(&tags);
	}
	json_object_put(doc);
	return rc;
}

result_t api_cgw_describe(struct api_req *rq, struct api_resp *rs)
{
	struct cgw_describe d = {rq, rs, {NULL, 0}, {NULL, 0}, 0};
	result_t rc;

	GUARD_OUT(rc, api_get_strlist(rq, rs, "CustomerGatewayId", &d.ids));
	GUARD_OUT(rc, api_ids_exist(rq, rs, &d.ids, STORE_T_CGW,
	                            "InvalidCustomerGatewayID.NotFound", "customerGateway"));
	GUARD_OUT(rc, api_filters_parse(rq, rs, cgw_filters, &d.filters));
	xml_open(&rs->x, "customerGatewaySet");
	GUARD_OUT(rc, store_res_foreach(rq->store, STORE_T_CGW, NULL, NULL, cgw_describe_cb, &d));
	xml_close(&rs->x);
out:
	api_strlist_fini(&d.ids);
	api_filters_fini(&d.filters);
	return rc;
}

result_t api_cgw_delete(struct api_req *rq, struct api_resp *rs)
{
	const char *id;
	struct store_res r;
	size_t n = 0;
	result_t rc;

	GUARD(api_get_str(rq, rs, "CustomerGatewayId", true, &id));
	GUARD(api_res_load(rq, rs, id, STORE_T_CGW, "InvalidCustomerGatewayID.NotFound",
	                   "customerGateway", &r));
	if (strcmp(r.state, "deleting") == 0 || strcmp(r.state, "deleted") == 0) {
		rc = E_OK; /* already on its way out: deleting is idempotent */
		goto done;
	}
	GUARD_OUT(rc, store_res_count(rq->store, STORE_T_VPN, id, NULL, vpn_live_states, &n));
	if (n > 0) {
		/* G:4201: refused while any VPN connection uses it. */
		rc = api_error(rs, 400, "IncorrectState",
		               "The customer gateway '%s' is in use by %zu VPN connection(s); "
		               "delete them first.",
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
