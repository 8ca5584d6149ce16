/*
 * api/api_req.h - what an EC2 operation handler works with: the decoded parameters, the
 * response XML writer, EC2 errors, filters and pagination.
 *
 * A handler has the type api_handler_fn. It reads rq->params, uses rq->store inside the
 * transaction the dispatcher opened, and writes the output members (not the root element and
 * not requestId: the dispatcher writes those) with the xml_* functions on rs->x. To fail it
 * returns api_error(rs, status, "Code", "message ...") (E_API): the dispatcher rolls the
 * transaction back and sends the EC2 error envelope. Any other non-E_OK result becomes
 * 500 InternalError. On E_OK the dispatcher commits, then answers (commit before respond).
 *
 * All of this runs on the event-loop thread, one request at a time.
 */
#ifndef GH_API_REQ_H
#define GH_API_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/xml_text.h" /* xml_escape */
#include "store/store.h"

#define API_XMLNS "http://ec2.amazonaws.com/doc/2016-11-15/"
#define API_VERSION "2016-11-15"
#define API_OWNER_ID "123456789012" /* the single account this server serves */
#define API_PARAMS_MAX 20000        /* parameters per request */
#define API_NAME_MAX 256            /* bytes in a decoded parameter name */
#define API_ERR_MSG_MAX 512

/* ---- parameters (api_form.c) ---- */

struct api_param {
	char *name;  /* decoded, NUL-terminated */
	char *value; /* decoded, NUL-terminated, valid UTF-8 */
};

struct api_params {
	struct api_param *v; /* sorted by name after api_form_parse */
	size_t n;
	size_t cap;
};

/* Decode application/x-www-form-urlencoded text ('+' is a space, %XX escapes) into a sorted
 * map. Errors: E_API_FORM with a message for the user in err (bad %-escape, NUL, invalid
 * UTF-8, control character, duplicate name, too many parameters). */
RESULT api_form_parse(struct rbuf *in, struct api_params *out, char *err, size_t errlen);
void api_params_fini(struct api_params *p);
/* Exact lookup; NULL when absent. */
const char *api_param(const struct api_params *p, const char *name);
const char *api_paramf(const struct api_params *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The distinct N of names "<prefix>.N" and "<prefix>.N.<anything>", ascending (gaps allowed:
 * botocore leaves out empty structures). Returns how many were found (at most cap). */
size_t api_param_indices(const struct api_params *p, const char *prefix, uint32_t *idx, size_t cap);

/* ---- XML writer (api_xml.c) ---- */

#define XML_DEPTH_MAX 32

struct xml {
	struct wbuf *w;
	const char *stack[XML_DEPTH_MAX]; /* element names (string literals or long-lived) */
	size_t depth;
};

void xml_init(struct xml *x, struct wbuf *w);
void xml_open(struct xml *x, const char *name);
void xml_close(struct xml *x);
/* <name>escaped value</name>; nothing when value is NULL. */
void xml_str(struct xml *x, const char *name, const char *value);
void xml_strf(struct xml *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xml_bool(struct xml *x, const char *name, bool v);
void xml_u64(struct xml *x, const char *name, uint64_t v);

/* ---- request / response ---- */

struct api_server;

struct api_req {
	const char *action;
	struct api_params params;
	char request_id[40];
	const char *region;
	const char *owner_id;
	struct store *store;
	struct api_server *srv;
};

struct api_resp {
	struct wbuf body;
	struct xml x;
	unsigned status;
	char code[64];
	char message[API_ERR_MSG_MAX];
};

typedef result_t (*api_handler_fn)(struct api_req *rq, struct api_resp *rs);

/* Record an EC2 error; returns E_API for the handler to return. */
result_t api_error(struct api_resp *rs, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Typed parameter access; each reports its own EC2 error (MissingParameter,
 * InvalidParameterValue) naming the parameter and what is expected. */
RESULT api_get_str(struct api_req *rq, struct api_resp *rs, const char *name, bool required,
                   const char **out);
RESULT api_get_bool(struct api_req *rq, struct api_resp *rs, const char *name, bool def, bool *out);
/* Decimal in [min, max]; *present false (and *out untouched) when absent. */
RESULT api_get_u64(struct api_req *rq, struct api_resp *rs, const char *name, uint64_t min,
                   uint64_t max, bool *present, uint64_t *out);

/* A list of strings "<name>.N" (pointers into rq->params). */
struct api_strlist {
	const char **v;
	size_t n;
};
RESULT api_get_strlist(struct api_req *rq, struct api_resp *rs, const char *name,
                       struct api_strlist *out);
void api_strlist_fini(struct api_strlist *l);
bool api_strlist_has(const struct api_strlist *l, const char *s);

/* ---- filters (api_filter.c): Filter.N.Name / Filter.N.Value.M ---- */

struct api_filter {
	const char *name;
	struct api_strlist values;
};

struct api_filters {
	struct api_filter *v;
	size_t n;
};

/* Parse the filters; `allowed` (NULL-terminated) lists the accepted names besides "tag:<key>"
 * and "tag-key". An unknown name or a filter without values is InvalidParameterValue. */
RESULT api_filters_parse(struct api_req *rq, struct api_resp *rs, const char *const *allowed,
                         struct api_filters *out);
void api_filters_fini(struct api_filters *f);

/* A resource's filterable attributes: name -> value, a name may repeat (multi-valued). */
struct api_attr {
	const char *name;
	const char *value;
};

/* True when every filter matches (values of one filter are OR-ed, filters AND-ed; values
 * may use the EC2 wildcards * and ?). */
bool api_filters_match(const struct api_filters *f, const struct api_attr *attrs, size_t n,
                       const struct store_tags *tags);

/* ---- pagination (api_page.c): MaxResults / NextToken ---- */

#define API_PAGE_KEY_MAX 512

struct api_page {
	bool limited;                 /* MaxResults given */
	size_t max;                   /* items in this page */
	char after[API_PAGE_KEY_MAX]; /* resume after this key ("" = from the start) */
	size_t emitted;
	bool more; /* an item was left over */
	char last[API_PAGE_KEY_MAX];
};

/* MaxResults in [min, max] (InvalidParameterValue otherwise), NextToken (InvalidNextToken). */
RESULT api_page_parse(struct api_req *rq, struct api_resp *rs, uint32_t min, uint32_t max,
                      struct api_page *pg);
/* For items in ascending key order: true when `key` belongs in this page (call once per
 * matching item; records that more remain once the page is full). */
bool api_page_take(struct api_page *pg, const char *key);
/* Write <nextToken> when more remain. */
void api_page_finish(struct api_page *pg, struct xml *x);

/* ---- shared output and input pieces (api_common.c) ---- */

/* <tagSet><item><key/><value/></item>...</tagSet> (nothing when no tags). */
void api_xml_tagset(struct xml *x, const struct store_tags *tags);
/* TagSpecification.N for a resource being created: validates, keeps the tags for `type`
 * (other resource types are InvalidParameterValue). */
RESULT api_tagspec_parse(struct api_req *rq, struct api_resp *rs, const char *type,
                         struct store_tags *out);
/* Store tags (validated) on a resource; TagLimitExceeded past 50. */
RESULT api_tags_apply(struct api_req *rq, struct api_resp *rs, const char *id,
                      const struct store_tags *tags);
/* Validate one tag key/value (InvalidParameterValue / InvalidTagKey.Malformed). */
RESULT api_tag_check(struct api_resp *rs, const char *key, const char *value);

/* Load a resource of a given type, or fail with `notfound_code` ("The <what> ID 'x' does not
 * exist"). Rows in state "deleted" count as found (callers decide). */
RESULT api_res_load(struct api_req *rq, struct api_resp *rs, const char *id, const char *type,
                    const char *notfound_code, const char *what, struct store_res *out);
/* JSON documents of resource rows (json-c). api_doc_parse never returns NULL unless out of
 * memory (an empty object for a row without a document); release with json_object_put. */
struct json_object;
struct json_object *api_doc_parse(const struct store_res *r);
const char *api_doc_str(struct json_object *o, const char *key);
/* Writes one resource's members (without the enclosing element) from its row, parsed
 * document and tags; may read more rows through rq->store. */
typedef RESULT (*api_res_item_fn)(struct api_req *rq, struct xml *x, const struct store_res *r,
                                  struct json_object *doc, const struct store_tags *tags);
/* <elem>...</elem> for resource r: parses its document, loads its tags and calls item. */
RESULT api_res_write(struct api_req *rq, struct xml *x, const char *elem, const struct store_res *r,
                     api_res_item_fn item);
/* Creates a resource: create validates the request, fills r (doc and tags are scratch it may
 * fill) and inserts it; on success <elem> is written for r with item. */
typedef RESULT (*api_res_create_fn)(struct api_req *rq, struct api_resp *rs,
                                    struct json_object *doc, struct store_tags *tags,
                                    struct store_res *r);
RESULT api_res_create(struct api_req *rq, struct api_resp *rs, api_res_create_fn create,
                      const char *elem, api_res_item_fn item);
void api_doc_set_str(struct json_object *o, const char *key, const char *value);
RESULT api_doc_save(struct store_res *r, struct json_object *o);

/* Route sources (API_ROUTE_SOURCE in api_vpn_ops.def): emit the prefixes a VGW propagates. */
typedef void (*api_route_emit_fn)(void *arg, const char *dst_cidr);

/* Every id in ids exists with that type (api_res_load's error otherwise). */
RESULT api_ids_exist(struct api_req *rq, struct api_resp *rs, const struct api_strlist *ids,
                     const char *type, const char *code, const char *what);

/* The ISO 8601 string of a wall-clock ms value. */
void api_iso8601_ms(int64_t ms, char buf[32]);

#endif
