/*
 * acm/acm_list.c - CertificateManager.ListCertificates with ACM's paging and filters.
 *
 * Request members (botocore acm 2015-12-08 ListCertificatesRequest):
 *   CertificateStatuses  list of CertificateStatus; a certificate matches any of them
 *   Includes             Filters {keyTypes, keyUsage, extendedKeyUsage, exportOption, managedBy};
 *                        members AND-ed, the values of one list OR-ed
 *   MaxItems             1..1000; absent = everything in one answer
 *   NextToken            from the previous answer, opaque
 *   SortBy / SortOrder   CREATED_AT (the import time here) / ASCENDING | DESCENDING
 *
 * Without Includes.keyTypes only RSA_1024 and RSA_2048 certificates that have a domain name are
 * listed: ACM's documented default ("Default filtering returns only RSA_1024 and RSA_2048
 * certificates that have at least one domain").
 *
 * Paging: every matching certificate gets a sort key ("i:<uuid>", or "c:<16 hex ms>:<uuid>" for
 * CREATED_AT); the list is sorted by it and NextToken is "gh1" + hex of the last key returned,
 * so a page continues after that key even when certificates were imported or deleted between
 * calls. A token that does not decode, or was made for another sort, is InvalidArgsException.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm_int.h"
#include "lib/secret.h"
#include "store/store.h"

#define ACM_LIST_MAX_ITEMS 1000
#define ACM_TOKEN_MAX 10000 /* NextToken shape: 1..10000 characters */
#define ACM_TOKEN_PREFIX "gh1"
#define ACM_SORT_KEY_MAX 64

static const char *const acm_statuses[] = {
    "PENDING_VALIDATION",   "ISSUED",  "INACTIVE", "EXPIRED",
    "VALIDATION_TIMED_OUT", "REVOKED", "FAILED",   NULL,
};
static const char *const acm_key_types[] = {
    "RSA_1024",      "RSA_2048",     "RSA_3072",     "RSA_4096",
    "EC_prime256v1", "EC_secp384r1", "EC_secp521r1", NULL,
};
static const char *const acm_default_key_types[] = {"RSA_1024", "RSA_2048", NULL};
static const char *const acm_exports[] = {"ENABLED", "DISABLED", NULL};
static const char *const acm_managers[] = {"CLOUDFRONT", NULL};
static const char *const acm_sort_by[] = {"CREATED_AT", NULL};
static const char *const acm_sort_orders[] = {"ASCENDING", "DESCENDING", NULL};

/* The parsed request. String lists point into the request's JSON (c->in). */
struct acm_list_req {
	const char *statuses[8];
	size_t n_statuses;
	const char *key_types[8];
	size_t n_key_types;
	bool default_key_types;
	uint32_t ku, eku;       /* wanted usages (bit sets as acm_cert_usages); 0 = no filter */
	bool ku_any, eku_any;   /* "ANY" in the list: every certificate */
	const char *export_opt; /* NULL = no filter */
	const char *managed_by;
	bool by_created, descending;
	size_t max_items;             /* 0 = unlimited */
	char after[ACM_SORT_KEY_MAX]; /* the token's key; "" = from the start */
};

struct acm_list_item {
	char key[ACM_SORT_KEY_MAX];
	struct json_object *o;
};

struct acm_list {
	struct acm_ctx *c;
	struct acm_list_req *q;
	struct acm_list_item *v;
	size_t n, cap;
	int64_t now_s;
};

static size_t acm_enum_index(const char *const *set, const char *s)
{
	size_t i;

	for (i = 0; set[i]; i++)
		if (strcmp(set[i], s) == 0)
			return i;
	return SIZE_MAX;
}

static RESULT acm_enum_err(struct acm_ctx *c, const char *member, const char *v,
                           const char *const *set)
{
	char allowed[256];
	size_t i, o = 0;

	allowed[0] = 0;
	for (i = 0; set[i] && o < sizeof(allowed); i++)
		o += (size_t)snprintf(allowed + o, sizeof(allowed) - o, "%s%s", i ? ", " : "",
		                      set[i]);
	return acm_err(c, "ValidationException",
	               "1 validation error detected: Value '%.64s' at '%s' failed to satisfy "
	               "constraint: Member must satisfy enum value set: [%s]",
	               v, member, allowed);
}

static RESULT acm_type_err(struct acm_ctx *c, const char *member, const char *what)
{
	return acm_err(c, "SerializationException", "%s must be %s.", member, what);
}

/* A JSON array of enum strings: the values (from `set`) go to out (up to cap, when out is not
 * NULL) and their indexes as bits to *bits (when not NULL); *n counts them. */
static RESULT acm_enum_list(struct acm_ctx *c, struct json_object *parent, const char *k,
                            const char *member, const char *const *set, const char **out, size_t *n,
                            size_t cap, uint32_t *bits)
{
	struct json_object *a, *v;
	size_t i, len, at;

	*n = 0;
	if (!json_object_object_get_ex(parent, k, &a) || json_object_is_type(a, json_type_null))
		return E_OK;
	if (!json_object_is_type(a, json_type_array))
		return acm_type_err(c, k, "a list of strings");
	len = json_object_array_length(a);
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(a, i);
		if (!v || !json_object_is_type(v, json_type_string))
			return acm_type_err(c, k, "a list of strings");
		at = acm_enum_index(set, json_object_get_string(v));
		if (at == SIZE_MAX)
			return acm_enum_err(c, member, json_object_get_string(v), set);
		if (bits)
			*bits |= 1u << at;
		if (out && *n < cap)
			out[(*n)++] = set[at];
		else if (!out)
			(*n)++;
	}
	return E_OK;
}

/* One enum string member (NULL when absent). */
static RESULT acm_enum_one(struct acm_ctx *c, struct json_object *parent, const char *k,
                           const char *member, const char *const *set, const char **out)
{
	struct json_object *v;
	size_t at;

	*out = NULL;
	if (!json_object_object_get_ex(parent, k, &v) || json_object_is_type(v, json_type_null))
		return E_OK;
	if (!json_object_is_type(v, json_type_string))
		return acm_type_err(c, k, "a string");
	at = acm_enum_index(set, json_object_get_string(v));
	if (at == SIZE_MAX)
		return acm_enum_err(c, member, json_object_get_string(v), set);
	*out = set[at];
	return E_OK;
}

static RESULT acm_list_includes(struct acm_ctx *c, struct acm_list_req *q)
{
	struct json_object *inc = NULL;
	size_t n;

	q->default_key_types = true;
	if (!json_object_object_get_ex(c->in, "Includes", &inc) ||
	    json_object_is_type(inc, json_type_null))
		return E_OK;
	if (!json_object_is_type(inc, json_type_object))
		return acm_type_err(c, "Includes", "an object");
	GUARD(acm_enum_list(c, inc, "keyTypes", "includes.keyTypes", acm_key_types, q->key_types,
	                    &q->n_key_types, sizeof(q->key_types) / sizeof(q->key_types[0]), NULL));
	q->default_key_types = q->n_key_types == 0;
	GUARD(acm_enum_list(c, inc, "keyUsage", "includes.keyUsage", acm_ku_names, NULL, &n, 0,
	                    &q->ku));
	q->ku_any = (q->ku & ACM_KU_ANY) != 0;
	GUARD(acm_enum_list(c, inc, "extendedKeyUsage", "includes.extendedKeyUsage", acm_eku_names,
	                    NULL, &n, 0, &q->eku));
	q->eku_any = (q->eku & ACM_EKU_ANY) != 0;
	GUARD(acm_enum_one(c, inc, "exportOption", "includes.exportOption", acm_exports,
	                   &q->export_opt));
	return acm_enum_one(c, inc, "managedBy", "includes.managedBy", acm_managers,
	                    &q->managed_by);
}

static RESULT acm_list_max_items(struct acm_ctx *c, struct acm_list_req *q)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(c->in, "MaxItems", &v) ||
	    json_object_is_type(v, json_type_null))
		return E_OK;
	if (!json_object_is_type(v, json_type_int))
		return acm_type_err(c, "MaxItems", "an integer");
	n = json_object_get_int64(v);
	if (n < 1 || n > ACM_LIST_MAX_ITEMS)
		return acm_err(c, "ValidationException",
		               "1 validation error detected: Value '%" PRId64 "' at 'maxItems' "
		               "failed to satisfy constraint: Member must have value %s %d",
		               n, n < 1 ? "greater than or equal to" : "less than or equal to",
		               n < 1 ? 1 : ACM_LIST_MAX_ITEMS);
	q->max_items = (size_t)n;
	return E_OK;
}

/* NextToken: "gh1" + hex of a sort key of the request's kind ("i:" or "c:"). */
static RESULT acm_list_token(struct acm_ctx *c, struct acm_list_req *q)
{
	struct json_object *v;
	const char *t;
	size_t len, n, i;

	if (!json_object_object_get_ex(c->in, "NextToken", &v) ||
	    json_object_is_type(v, json_type_null))
		return E_OK;
	if (!json_object_is_type(v, json_type_string))
		return acm_type_err(c, "NextToken", "a string");
	t = json_object_get_string(v);
	len = strlen(t);
	if (len < 1 || len > ACM_TOKEN_MAX)
		return acm_err(c, "ValidationException",
		               "1 validation error detected: Value at 'nextToken' failed to "
		               "satisfy constraint: Member must have length between 1 and %d",
		               ACM_TOKEN_MAX);
	if (strncmp(t, ACM_TOKEN_PREFIX, 3) != 0 ||
	    hex_decode(t + 3, q->after, sizeof(q->after) - 1, &n) != E_OK || n < 3)
		goto bad;
	q->after[n] = 0;
	for (i = 0; i < n; i++)
		if (q->after[i] < 0x21 || q->after[i] > 0x7e)
			goto bad;
	if (strncmp(q->after, q->by_created ? "c:" : "i:", 2) != 0)
		goto bad;
	return E_OK;
bad:
	return acm_err(c, "InvalidArgsException",
	               "The NextToken is not valid: pass the NextToken of the previous "
	               "ListCertificates answer with the same SortBy.");
}

static RESULT acm_list_parse(struct acm_ctx *c, struct acm_list_req *q)
{
	const char *by, *order;

	memset(q, 0, sizeof(*q));
	GUARD(acm_enum_list(c, c->in, "CertificateStatuses", "certificateStatuses", acm_statuses,
	                    q->statuses, &q->n_statuses,
	                    sizeof(q->statuses) / sizeof(q->statuses[0]), NULL));
	GUARD(acm_list_includes(c, q));
	GUARD(acm_list_max_items(c, q));
	GUARD(acm_enum_one(c, c->in, "SortBy", "sortBy", acm_sort_by, &by));
	GUARD(acm_enum_one(c, c->in, "SortOrder", "sortOrder", acm_sort_orders, &order));
	q->by_created = by != NULL;
	q->descending = order && strcmp(order, "DESCENDING") == 0;
	return acm_list_token(c, q);
}

static bool acm_str_in(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* A certificate's key usages, parsed once for the filters and the summary. */
struct acm_usages {
	bool ok; /* false: the stored PEM did not parse (no usage filter matches it) */
	uint32_t ku, eku;
};

/* Includes and CertificateStatuses. */
static bool acm_list_match(const struct acm_list *l, const struct acm_cert *ac,
                           const struct acm_usages *u)
{
	const struct acm_list_req *q = l->q;

	if (q->n_statuses && !acm_str_in(q->statuses, q->n_statuses, acm_cert_status(ac, l->now_s)))
		return false;
	if (q->default_key_types &&
	    (!ac->domain[0] || acm_enum_index(acm_default_key_types, ac->key_algo) == SIZE_MAX))
		return false;
	if (!q->default_key_types && !acm_str_in(q->key_types, q->n_key_types, ac->key_algo))
		return false;
	/* Imported certificates cannot be exported and are not managed by another service. */
	if ((q->export_opt && strcmp(q->export_opt, "DISABLED") != 0) || q->managed_by)
		return false;
	if (q->ku && !q->ku_any && !(u->ok && (u->ku & q->ku)))
		return false;
	if (q->eku && !q->eku_any && !(u->ok && (u->eku & q->eku)))
		return false;
	return true;
}

static struct json_object *acm_usage_list(const char *const *names, size_t n, uint32_t bits)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		if (bits & (1u << i))
			json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

static struct json_object *acm_list_summary(const struct acm_list *l, const struct acm_cert *ac,
                                            const struct acm_usages *u)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	acm_json_common(o, ac, l->now_s);
	json_object_object_add(o, "SubjectAlternativeNameSummaries", acm_json_sans(ac));
	json_object_object_add(o, "HasAdditionalSubjectAlternativeNames",
	                       json_object_new_boolean(false));
	json_object_object_add(o, "RenewalEligibility", json_object_new_string("INELIGIBLE"));
	json_object_object_add(o, "Exported", json_object_new_boolean(false));
	if (u->ok) {
		json_object_object_add(o, "KeyUsages",
		                       acm_usage_list(acm_ku_names, ACM_KU_N, u->ku));
		json_object_object_add(
		    o, "ExtendedKeyUsages",
		    acm_usage_list(acm_eku_names, ACM_EKU_N, u->eku & ~ACM_EKU_NONE));
	}
	return o;
}

static result_t acm_list_cb(void *arg, const struct acm_cert *ac)
{
	struct acm_list *l = arg;
	struct acm_list_item *it;
	struct acm_cert tmp = *ac;
	struct acm_usages u;

	u.ok = acm_cert_usages(ac->cert_pem, &u.ku, &u.eku) == E_OK;
	if (!acm_list_match(l, ac, &u))
		return E_OK;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct acm_list_item *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return E_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n];
	if (l->q->by_created)
		snprintf(it->key, sizeof(it->key), "c:%016" PRIx64 ":%s", (uint64_t)ac->imported_ms,
		         ac->id);
	else
		snprintf(it->key, sizeof(it->key), "i:%s", ac->id);
	acm_arn_format(l->c->region, l->c->account, ac->id, tmp.arn, sizeof(tmp.arn));
	it->o = acm_list_summary(l, &tmp, &u);
	if (!it->o)
		return E_NOMEM;
	l->n++;
	return E_OK;
}

static int acm_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct acm_list_item *)a)->key,
	              ((const struct acm_list_item *)b)->key);
}

/* The page: items after the token's key in the request's order, at most max_items. */
static RESULT acm_list_page(struct acm_list *l, struct json_object *arr)
{
	const struct acm_list_req *q = l->q;
	size_t i, taken = 0;
	bool more = false;
	char tok[sizeof(ACM_TOKEN_PREFIX) + 2 * ACM_SORT_KEY_MAX];
	const char *last = NULL;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), acm_item_cmp);
	for (i = 0; i < l->n; i++) {
		size_t at = q->descending ? l->n - 1 - i : i;
		int cmp = q->after[0] ? strcmp(l->v[at].key, q->after) : 0;

		if (q->after[0] && (q->descending ? cmp >= 0 : cmp <= 0))
			continue;
		if (q->max_items && taken == q->max_items) {
			more = true;
			break;
		}
		if (json_object_array_add(arr, json_object_get(l->v[at].o)) != 0)
			return E_NOMEM;
		last = l->v[at].key;
		taken++;
	}
	if (more && last) {
		snprintf(tok, sizeof(tok), "%s", ACM_TOKEN_PREFIX);
		hex_encode(last, strlen(last), tok + 3);
		json_object_object_add(l->c->res, "NextToken", json_object_new_string(tok));
	}
	return E_OK;
}

/* InUse for the certificates on the page only: each answer scans the endpoints. */
static RESULT acm_list_in_use(struct acm_ctx *c, struct json_object *arr)
{
	size_t i, n = json_object_array_length(arr);
	struct json_object *o, *arn;
	char by[64];
	bool used;

	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "CertificateArn", &arn))
			continue;
		used = false;
		GUARD(acm_cert_in_use(c->st, json_object_get_string(arn), by, sizeof(by), &used));
		json_object_object_add(o, "InUse", json_object_new_boolean(used));
	}
	return E_OK;
}

RESULT acm_op_list(struct acm_ctx *c)
{
	struct acm_list_req q;
	struct acm_list l;
	struct json_object *arr;
	result_t rc;
	size_t i;

	memset(&l, 0, sizeof(l));
	GUARD(acm_list_parse(c, &q));
	l.c = c;
	l.q = &q;
	l.now_s = store_now_ms() / 1000;
	arr = json_object_new_array();
	if (!arr)
		return E_NOMEM;
	json_object_object_add(c->res, "CertificateSummaryList", arr);
	GUARD_OUT(rc, acm_cert_foreach(c->st, acm_list_cb, &l));
	GUARD_OUT(rc, acm_list_page(&l, arr));
	GUARD_OUT(rc, acm_list_in_use(c, arr));
out:
	for (i = 0; i < l.n; i++)
		json_object_put(l.v[i].o);
	free(l.v);
	return rc;
}
