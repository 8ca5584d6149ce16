/*
 * api/api_tags.c - CreateTags, DeleteTags, DescribeTags (ec2-api.md "Tags").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_handlers.h"

#define TAGS_LIST_MAX 1000

/* Which not-found code an id gets, by prefix (InvalidID for anything else). The row types of
 * Client VPN endpoints and subnets are cvpn/cvpn_ops.h's CVPN_T_ENDPOINT and CVPN_T_SUBNET (the
 * same strings as the EC2 ResourceType, spec client-vpn.md E9); their codes are those their own
 * operations answer. */
static const struct {
	const char *prefix;
	const char *type;
	const char *code;
	const char *what;
} tag_kinds[] = {
    {"cgw-", STORE_T_CGW, "InvalidCustomerGatewayID.NotFound", "customerGateway"},
    {"vgw-", STORE_T_VGW, "InvalidVpnGatewayID.NotFound", "vpnGateway"},
    {"vpn-", STORE_T_VPN, "InvalidVpnConnectionID.NotFound", "vpnConnection"},
    {"vpc-", STORE_T_VPC, "InvalidVpcID.NotFound", "vpc"},
    {"rtb-", STORE_T_RTB, "InvalidRouteTableID.NotFound", "routeTable"},
    {"tgw-", "transit-gateway", "InvalidTransitGatewayID.NotFound", "transitGateway"},
    {"cvpn-endpoint-", "client-vpn-endpoint", "InvalidClientVpnEndpointId.NotFound",
     "Client VPN endpoint"},
    {"subnet-", "subnet", "InvalidSubnetID.NotFound", "subnet"},
};

/* The resources of ResourceId.N, each existing and taggable. */
static RESULT tags_resources(struct api_req *rq, struct api_resp *rs, struct api_strlist *ids)
{
	struct store_res r;
	size_t i, k;

	GUARD(api_get_strlist(rq, rs, "ResourceId", ids));
	if (ids->n == 0)
		return api_error(rs, 400, "MissingParameter",
		                 "The request must contain the parameter ResourceId.1.");
	for (i = 0; i < ids->n; i++) {
		for (k = 0; k < sizeof(tag_kinds) / sizeof(tag_kinds[0]); k++)
			if (strncmp(ids->v[i], tag_kinds[k].prefix, strlen(tag_kinds[k].prefix)) ==
			    0)
				break;
		if (k == sizeof(tag_kinds) / sizeof(tag_kinds[0]))
			return api_error(rs, 400, "InvalidID",
			                 "The ID '%.64s' is not valid: it is not a taggable "
			                 "resource of this server.",
			                 ids->v[i]);
		GUARD(api_res_load(rq, rs, ids->v[i], tag_kinds[k].type, tag_kinds[k].code,
		                   tag_kinds[k].what, &r));
		store_res_fini(&r);
	}
	return E_OK;
}

/* Tag.N.Key / Tag.N.Value; `key_required` for CreateTags. Values point into the params. */
static RESULT tags_list(struct api_req *rq, struct api_resp *rs, bool create,
                        struct store_tags *out, bool **has_value)
{
	uint32_t idx[TAGS_LIST_MAX + 1];
	size_t n, i;

	out->v = NULL;
	out->n = 0;
	*has_value = NULL;
	n = api_param_indices(&rq->params, "Tag", idx, TAGS_LIST_MAX + 1);
	if (n > TAGS_LIST_MAX)
		return api_error(rs, 400, "TagLimitExceeded", "At most %d tags per request.",
		                 TAGS_LIST_MAX);
	if (create && n == 0)
		return api_error(rs, 400, "MissingParameter",
		                 "The request must contain the parameter Tag.1.Key.");
	if (n == 0)
		return E_OK;
	out->v = calloc(n, sizeof(*out->v));
	*has_value = calloc(n, sizeof(**has_value));
	if (!out->v || !*has_value)
		return E_NOMEM;
	for (i = 0; i < n; i++) {
		const char *k = api_paramf(&rq->params, "Tag.%u.Key", idx[i]);
		const char *v = api_paramf(&rq->params, "Tag.%u.Value", idx[i]);

		if (!k)
			return api_error(rs, 400, "MissingParameter", "Tag.%u.Key is required.",
			                 idx[i]);
		if (create)
			GUARD(api_tag_check(rs, k, v));
		out->v[i].key = (char *)k;
		out->v[i].value = (char *)(v ? v : "");
		(*has_value)[i] = v != NULL;
		out->n++;
	}
	return E_OK;
}

result_t api_tags_create(struct api_req *rq, struct api_resp *rs)
{
	struct api_strlist ids = {NULL, 0};
	struct store_tags tags = {NULL, 0};
	bool *has = NULL;
	result_t rc;
	size_t i;

	GUARD_OUT(rc, tags_resources(rq, rs, &ids));
	GUARD_OUT(rc, tags_list(rq, rs, true, &tags, &has));
	for (i = 0; i < ids.n; i++)
		GUARD_OUT(rc, api_tags_apply(rq, rs, ids.v[i], &tags));
	xml_bool(&rs->x, "return", true);
out:
	free(tags.v); /* strings belong to the params */
	free(has);
	api_strlist_fini(&ids);
	return rc;
}

/* Without Tag.N: every tag except the aws: ones. */
static RESULT tags_delete_all(struct api_req *rq, const char *id)
{
	struct store_tags cur;
	result_t rc = E_OK;
	size_t i;

	GUARD(store_tags_get(rq->store, id, &cur));
	for (i = 0; i < cur.n && rc == E_OK; i++)
		if (strncmp(cur.v[i].key, "aws:", 4) != 0)
			rc = store_tag_del(rq->store, id, cur.v[i].key, NULL);
	store_tags_fini(&cur);
	return rc;
}

result_t api_tags_delete(struct api_req *rq, struct api_resp *rs)
{
	struct api_strlist ids = {NULL, 0};
	struct store_tags tags = {NULL, 0};
	bool *has = NULL;
	result_t rc;
	size_t i, k;

	GUARD_OUT(rc, tags_resources(rq, rs, &ids));
	GUARD_OUT(rc, tags_list(rq, rs, false, &tags, &has));
	for (i = 0; i < ids.n; i++) {
		if (tags.n == 0)
			GUARD_OUT(rc, tags_delete_all(rq, ids.v[i]));
		/* A key with a value (even "") deletes only that value; a key alone, any. */
		for (k = 0; k < tags.n; k++)
			GUARD_OUT(rc, store_tag_del(rq->store, ids.v[i], tags.v[k].key,
			                            has[k] ? tags.v[k].value : NULL));
	}
	xml_bool(&rs->x, "return", true);
out:
	free(tags.v);
	free(has);
	api_strlist_fini(&ids);
	return rc;
}

static const char *const tags_filters[] = {"key", "resource-id", "resource-type", "value", NULL};

struct tags_describe {
	struct api_resp *rs;
	struct api_filters filters;
	struct api_page page;
};

static result_t tags_describe_cb(void *arg, const char *id, const char *type, const char *key,
                                 const char *value)
{
	struct tags_describe *d = arg;
	struct store_tag one = {(char *)key, (char *)value};
	struct store_tags tags = {&one, 1};
	struct api_attr attrs[] = {
	    {"key", key}, {"resource-id", id}, {"resource-type", type}, {"value", value}};
	char pk[API_PAGE_KEY_MAX];

	if (!api_filters_match(&d->filters, attrs, sizeof(attrs) / sizeof(attrs[0]), &tags))
		return E_OK;
	snprintf(pk, sizeof(pk), "%s\t%s", id, key);
	if (!api_page_take(&d->page, pk))
		return E_OK;
	xml_open(&d->rs->x, "item");
	xml_str(&d->rs->x, "resourceId", id);
	xml_str(&d->rs->x, "resourceType", type);
	xml_str(&d->rs->x, "key", key);
	xml_str(&d->rs->x, "value", value);
	xml_close(&d->rs->x);
	return E_OK;
}

result_t api_tags_describe(struct api_req *rq, struct api_resp *rs)
{
	struct tags_describe d;
	result_t rc;

	memset(&d, 0, sizeof(d));
	d.rs = rs;
	GUARD_OUT(rc, api_filters_parse(rq, rs, tags_filters, &d.filters));
	GUARD_OUT(rc, api_page_parse(rq, rs, 5, 1000, &d.page));
	xml_open(&rs->x, "tagSet");
	GUARD_OUT(rc, store_tags_foreach(rq->store, tags_describe_cb, &d));
	xml_close(&rs->x);
	api_page_finish(&d.page, &rs->x);
out:
	api_filters_fini(&d.filters);
	return rc;
}
