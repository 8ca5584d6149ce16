/*
 * api/api_common.c - EC2 errors, typed parameter access, tags in and out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "api/api_req.h"

#define API_TAGS_PER_RESOURCE_MAX 50 /* "Each resource can have a maximum of 50 tags" */
#define API_TAG_KEY_MAX 127
#define API_TAG_VALUE_MAX 256
#define API_LIST_MAX 1000 /* ResourceId.N: "Up to 1000 resource IDs" */

result_t api_error(struct api_resp *rs, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	rs->status = status;
	snprintf(rs->code, sizeof(rs->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(rs->message, sizeof(rs->message), fmt, ap);
	va_end(ap);
	return E_API;
}

RESULT api_get_str(struct api_req *rq, struct api_resp *rs, const char *name, bool required,
                   const char **out)
{
	*out = api_param(&rq->params, name);
	if (!*out && required)
		return api_error(rs, 400, "MissingParameter",
		                 "The request must contain the parameter %s.", name);
	return E_OK;
}

RESULT api_get_bool(struct api_req *rq, struct api_resp *rs, const char *name, bool def, bool *out)
{
	const char *v = api_param(&rq->params, name);

	*out = def;
	if (!v)
		return E_OK;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.64s' for %s: expected true or false.", v, name);
	return E_OK;
}

RESULT api_get_u64(struct api_req *rq, struct api_resp *rs, const char *name, uint64_t min,
                   uint64_t max, bool *present, uint64_t *out)
{
	const char *v = api_param(&rq->params, name), *s;
	uint64_t n = 0;

	*present = false;
	if (!v)
		return E_OK;
	for (s = v; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			break;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (s == v || *s != 0 || s - v > 20)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Invalid value '%.64s' for %s: expected a decimal integer from "
		                 "%llu to %llu.",
		                 v, name, (unsigned long long)min, (unsigned long long)max);
	if (n < min || n > max)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Value %llu for %s is out of range: it must be from %llu to %llu.",
		                 (unsigned long long)n, name, (unsigned long long)min,
		                 (unsigned long long)max);
	*present = true;
	*out = n;
	return E_OK;
}

RESULT api_get_strlist(struct api_req *rq, struct api_resp *rs, const char *name,
                       struct api_strlist *out)
{
	uint32_t idx[API_LIST_MAX + 1];
	size_t n, i;

	out->v = NULL;
	out->n = 0;
	n = api_param_indices(&rq->params, name, idx, API_LIST_MAX + 1);
	if (n > API_LIST_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "%s.N accepts at most %d values.", name, API_LIST_MAX);
	if (n == 0)
		return E_OK;
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v)
		return E_NOMEM;
	for (i = 0; i < n; i++) {
		const char *v = api_paramf(&rq->params, "%s.%u", name, idx[i]);

		if (!v) {
			api_strlist_fini(out);
			return api_error(rs, 400, "InvalidParameterValue",
			                 "%s.%u must be a plain value.", name, idx[i]);
		}
		out->v[out->n++] = v;
	}
	return E_OK;
}

void api_strlist_fini(struct api_strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool api_strlist_has(const struct api_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void api_xml_tagset(struct xml *x, const struct store_tags *tags)
{
	size_t i;

	if (!tags || tags->n == 0)
		return;
	xml_open(x, "tagSet");
	for (i = 0; i < tags->n; i++) {
		xml_open(x, "item");
		xml_str(x, "key", tags->v[i].key);
		xml_str(x, "value", tags->v[i].value);
		xml_close(x);
	}
	xml_close(x);
}

static size_t api_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((uint8_t)*s & 0xc0) != 0x80;
	return n;
}

RESULT api_tag_check(struct api_resp *rs, const char *key, const char *value)
{
	if (!key || !*key)
		return api_error(rs, 400, "InvalidParameterValue", "Tag keys must not be empty.");
	if (api_utf8_chars(key) > API_TAG_KEY_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Tag key '%.40s...' is longer than %d characters.", key,
		                 API_TAG_KEY_MAX);
	if (strncmp(key, "aws:", 4) == 0)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Tag keys starting with 'aws:' are reserved for internal use.");
	if (value && api_utf8_chars(value) > API_TAG_VALUE_MAX)
		return api_error(rs, 400, "InvalidParameterValue",
		                 "Tag value for key '%.64s' is longer than %d characters.", key,
		                 API_TAG_VALUE_MAX);
	return E_OK;
}

static RESULT api_tags_push(struct store_tags *t, const char *key, const char *value)
{
	struct store_tag *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));

	if (!nv)
		return E_NOMEM;
	t->v = nv;
	nv[t->n].key = strdup(key);
	nv[t->n].value = strdup(value ? value : "");
	if (!nv[t->n].key || !nv[t->n].value) {
		free(nv[t->n].key);
		free(nv[t->n].value);
		return E_NOMEM;
	}
	t->n++;
	return E_OK;
}

/* The tags of TagSpecification.<spec>: Tag.M.Key / Tag.M.Value. */
static RESULT api_tagspec_one(struct api_req *rq, struct api_resp *rs, uint32_t spec,
                              struct store_tags *out)
{
	char prefix[64];
	uint32_t idx[API_TAGS_PER_RESOURCE_MAX + 1];
	size_t n, i;

	snprintf(prefix, sizeof(prefix), "TagSpecification.%u.Tag", spec);
	n = api_param_indices(&rq->params, prefix, idx, API_TAGS_PER_RESOURCE_MAX + 1);
	if (n > API_TAGS_PER_RESOURCE_MAX)
		return api_error(rs, 400, "TagLimitExceeded",
		                 "A resource can have at most %d tags.", API_TAGS_PER_RESOURCE_MAX);
	for (i = 0; i < n; i++) {
		const char *k = api_paramf(&rq->params, "%s.%u.Key", prefix, idx[i]);
		const char *v = api_paramf(&rq->params, "%s.%u.Value", prefix, idx[i]);

		GUARD(api_tag_check(rs, k, v));
		GUARD(api_tags_push(out, k, v));
	}
	return E_OK;
}

RESULT api_tagspec_parse(struct api_req *rq, struct api_resp *rs, const char *type,
                         struct store_tags *out)
{
	uint32_t idx[16];
	size_t n, i;
	result_t rc = E_OK;

	out->v = NULL;
	out->n = 0;
	n = api_param_indices(&rq->params, "TagSpecification", idx, 16);
	for (i = 0; i < n; i++) {
		const char *rt =
		    api_paramf(&rq->params, "TagSpecification.%u.ResourceType", idx[i]);

		if (!rt) {
			rc = api_error(rs, 400, "MissingParameter",
			               "TagSpecification.%u.ResourceType is required.", idx[i]);
			goto out;
		}
		if (strcmp(rt, type) != 0) {
			rc = api_error(rs, 400, "InvalidParameterValue",
			               "'%.64s' is not a valid taggable resource type for this "
			               "operation; use '%s'.",
			               rt, type);
			goto out;
		}
		GUARD_OUT(rc, api_tagspec_one(rq, rs, idx[i], out));
	}
out:
	if (rc != E_OK)
		store_tags_fini(out);
	return rc;
}

RESULT api_tags_apply(struct api_req *rq, struct api_resp *rs, const char *id,
                      const struct store_tags *tags)
{
	struct store_tags cur;
	size_t i, extra = 0;

	GUARD(store_tags_get(rq->store, id, &cur));
	for (i = 0; i < tags->n; i++)
		if (!store_tags_find(&cur, tags->v[i].key))
			extra++;
	i = cur.n;
	store_tags_fini(&cur);
	if (i + extra > API_TAGS_PER_RESOURCE_MAX)
		return api_error(rs, 400, "TagLimitExceeded",
		                 "The maximum number of tags (%d) for resource %s would be "
		                 "exceeded.",
		                 API_TAGS_PER_RESOURCE_MAX, id);
	for (i = 0; i < tags->n; i++)
		GUARD(store_tag_put(rq->store, id, tags->v[i].key, tags->v[i].value));
	return E_OK;
}

RESULT api_res_load(struct api_req *rq, struct api_resp *rs, const char *id, const char *type,
                    const char *notfound_code, const char *what, struct store_res *out)
{
	result_t rc = store_res_get(rq->store, id, out);

	if (rc == E_NOTFOUND || (rc == E_OK && strcmp(out->type, type) != 0)) {
		if (rc == E_OK)
			store_res_fini(out);
		return api_error(rs, 400, notfound_code, "The %s ID '%.64s' does not exist", what,
		                 id);
	}
	return rc;
}

void api_iso8601_ms(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	char base[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = 0;
	snprintf(buf, 32, "%.19s.%03uZ", base, (unsigned)((ms % 1000 + 1000) % 1000));
}

struct json_object *api_doc_parse(const struct store_res *r)
{
	struct json_object *o = r->doc ? json_tokener_parse(r->doc) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o ? o : json_object_new_object();
}

RESULT api_res_write(struct api_req *rq, struct xml *x, const char *elem, const struct store_res *r,
                     api_res_item_fn item)
{
	struct json_object *doc = api_doc_parse(r);
	struct store_tags tags;
	result_t rc;

	if (!doc)
		return E_NOMEM;
	rc = store_tags_get(rq->store, r->id, &tags);
	if (rc == E_OK) {
		xml_open(x, elem);
		rc = item(rq, x, r, doc, &tags);
		xml_close(x);
		store_tags_fini(&tags);
	}
	json_object_put(doc);
	return rc;
}

RESULT api_res_create(struct api_req *rq, struct api_resp *rs, api_res_create_fn create,
                      const char *elem, api_res_item_fn item)
{
	struct json_object *doc = json_object_new_object();
	struct store_tags tags = {NULL, 0};
	struct store_res r;
	result_t rc;

	memset(&r, 0, sizeof(r));
	if (!doc)
		return E_NOMEM;
	GUARD_OUT(rc, create(rq, rs, doc, &tags, &r));
	rc = api_res_write(rq, &rs->x, elem, &r, item);
out:
	store_res_fini(&r);
	store_tags_fini(&tags);
	json_object_put(doc);
	return rc;
}

const char *api_doc_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void api_doc_set_str(struct json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
	else
		json_object_object_del(o, key);
}

RESULT api_doc_save(struct store_res *r, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (!s)
		return E_NOMEM;
	return store_res_set_doc(r, s);
}

/* Every requested ID must exist (`code` otherwise). */
RESULT api_ids_exist(struct api_req *rq, struct api_resp *rs, const struct api_strlist *ids,
                     const char *type, const char *code, const char *what)
{
	struct store_res r;
	size_t i;

	for (i = 0; i < ids->n; i++) {
		GUARD(api_res_load(rq, rs, ids->v[i], type, code, what, &r));
		store_res_fini(&r);
	}
	return E_OK;
}
