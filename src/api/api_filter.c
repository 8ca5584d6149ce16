/*
 * api/api_filter.c - Filter.N.Name / Filter.N.Value.M and matching, and pagination.
 *
 * EC2 semantics: values of one filter are OR-ed, filters are AND-ed; "tag:<key>" matches the
 * tag value of that key, "tag-key" matches any tag key; * and ? are wildcards.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_req.h"
#include "lib/secret.h"

#define API_FILTERS_MAX 50
#define API_FILTER_VALUES_MAX 200

void api_filters_fini(struct api_filters *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		api_strlist_fini(&f->v[i].values);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static bool api_filter_name_ok(const char *name, const char *const *allowed)
{
	size_t i;

	if (strncmp(name, "tag:", 4) == 0 && name[4])
		return true;
	if (strcmp(name, "tag-key") == 0)
		return true;
	for (i = 0; allowed && allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

RESULT api_filters_parse(struct api_req *rq, struct api_resp *rs, const char *const *allowed,
                         struct api_filters *out)
{
	uint32_t idx[API_FILTERS_MAX + 1];
	size_t n, i;
	result_t rc = E_OK;
	char prefix[64];

	out->v = NULL;
	out->n = 0;
	n = api_param_indices(&rq->params, "Filter", idx, API_FILTERS_MAX + 1);
	if (n > API_FILTERS_MAX)
		return api_error(rs, 400, "FilterLimitExceeded",
		                 "At most %d filters are allowed in one request.", API_FILTERS_MAX);
	if (n == 0)
		return E_OK;
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v)
		return E_NOMEM;
	for (i = 0; i < n; i++) {
		struct api_filter *f = &out->v[out->n];

		f->name = api_paramf(&rq->params, "Filter.%u.Name", idx[i]);
		if (!f->name) {
			rc = api_error(rs, 400, "MissingParameter", "Filter.%u.Name is required.",
			               idx[i]);
			goto out;
		}
		if (!api_filter_name_ok(f->name, allowed)) {
			rc =
			    api_error(rs, 400, "InvalidParameterValue",
			              "The filter '%.64s' is invalid for %s.", f->name, rq->action);
			goto out;
		}
		snprintf(prefix, sizeof(prefix), "Filter.%u.Value", idx[i]);
		GUARD_OUT(rc, api_get_strlist(rq, rs, prefix, &f->values));
		out->n++;
		if (f->values.n == 0) {
			rc = api_error(rs, 400, "InvalidParameterValue",
			               "The filter '%.64s' needs at least one value "
			               "(Filter.%u.Value.1).",
			               f->name, idx[i]);
			goto out;
		}
		if (f->values.n > API_FILTER_VALUES_MAX) {
			rc =
			    api_error(rs, 400, "FilterLimitExceeded",
			              "A filter accepts at most %d values.", API_FILTER_VALUES_MAX);
			goto out;
		}
	}
out:
	if (rc != E_OK)
		api_filters_fini(out);
	return rc;
}

static bool api_filter_values_match(const struct api_strlist *vals, const char *s)
{
	size_t i;

	for (i = 0; i < vals->n; i++)
		if (fnmatch(vals->v[i], s, 0) == 0)
			return true;
	return false;
}

static bool api_filter_one(const struct api_filter *f, const struct api_attr *attrs, size_t n,
                           const struct store_tags *tags)
{
	size_t i;

	if (strncmp(f->name, "tag:", 4) == 0) {
		const char *v = tags ? store_tags_find(tags, f->name + 4) : NULL;

		return v && api_filter_values_match(&f->values, v);
	}
	if (strcmp(f->name, "tag-key") == 0) {
		for (i = 0; tags && i < tags->n; i++)
			if (api_filter_values_match(&f->values, tags->v[i].key))
				return true;
		return false;
	}
	for (i = 0; i < n; i++)
		if (attrs[i].value && strcmp(attrs[i].name, f->name) == 0 &&
		    api_filter_values_match(&f->values, attrs[i].value))
			return true;
	return false;
}

bool api_filters_match(const struct api_filters *f, const struct api_attr *attrs, size_t n,
                       const struct store_tags *tags)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!api_filter_one(&f->v[i], attrs, n, tags))
			return false;
	return true;
}

/* NextToken is opaque to clients: hex of the last key returned, behind a version byte. */
RESULT api_page_parse(struct api_req *rq, struct api_resp *rs, uint32_t min, uint32_t max,
                      struct api_page *pg)
{
	const char *tok = api_param(&rq->params, "NextToken");
	uint64_t v = 0;
	bool present = false;
	size_t n = 0;

	memset(pg, 0, sizeof(*pg));
	GUARD(api_get_u64(rq, rs, "MaxResults", min, max, &present, &v));
	pg->limited = present;
	pg->max = present ? (size_t)v : SIZE_MAX;
	if (!tok || !*tok)
		return E_OK;
	if (strncmp(tok, "gh1", 3) != 0 ||
	    hex_decode(tok + 3, pg->after, sizeof(pg->after) - 1, &n) != E_OK)
		goto bad;
	pg->after[n] = 0;
	if (strlen(pg->after) != n) /* no NUL inside */
		goto bad;
	return E_OK;
bad:
	return api_error(rs, 400, "InvalidNextToken",
	                 "The NextToken is not valid; pass the nextToken of the previous response "
	                 "unchanged.");
}

bool api_page_take(struct api_page *pg, const char *key)
{
	if (pg->after[0] && strcmp(key, pg->after) <= 0)
		return false;
	if (pg->emitted >= pg->max) {
		pg->more = true;
		return false;
	}
	pg->emitted++;
	snprintf(pg->last, sizeof(pg->last), "%s", key);
	return true;
}

void api_page_finish(struct api_page *pg, struct xml *x)
{
	char hex[2 * API_PAGE_KEY_MAX + 1];

	if (!pg->more)
		return;
	hex_encode(pg->last, strlen(pg->last), hex);
	xml_strf(x, "nextToken", "gh1%s", hex);
}
