/*
 * cvpn/cvpn_store.c - an endpoint's store row <-> its model (cvpn/cvpn_ops.h "Storage"), for
 * the API handlers and the data plane (svc/svc_cvpn.c) alike.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cvpn/cvpn_ops.h"

RESULT cvpn_store_load(struct store *st, const char *id, struct store_res *row,
                       struct cvpn_endpoint *e)
{
	result_t rc;

	memset(row, 0, sizeof(*row));
	cvpn_endpoint_init(e);
	rc = store_res_get(st, id, row);
	if (rc == E_OK && strcmp(row->type, CVPN_T_ENDPOINT) != 0) {
		store_res_fini(row);
		rc = E_NOTFOUND;
	}
	GUARD(rc);
	rc = cvpn_store_parse(row, e);
	if (rc != E_OK)
		store_res_fini(row);
	return rc;
}

RESULT cvpn_store_parse(const struct store_res *row, struct cvpn_endpoint *e)
{
	struct json_object *o = row->doc ? json_tokener_parse(row->doc) : NULL;
	result_t rc;

	cvpn_endpoint_fini(e);
	cvpn_endpoint_init(e);
	rc = cvpn_endpoint_from_json(o, e);
	json_object_put(o);
	if (rc == E_OK) /* the row state is the truth: timed transitions change only the row */
		rc = cvpn_status_parse(row->state, &e->status);
	if (rc != E_OK) {
		cvpn_endpoint_fini(e);
		return E_PARSE;
	}
	cvpn_conn_expire(e, store_now_ms());
	return E_OK;
}

RESULT cvpn_store_save(struct store *st, struct store_res *row, const struct cvpn_endpoint *e)
{
	struct json_object *o = cvpn_endpoint_to_json(e);
	const char *s;
	result_t rc;

	if (!o)
		return E_NOMEM;
	/* No "\/" escapes: acm_cert_in_use looks for the ARN text in the document. */
	s = json_object_to_json_string_ext(o,
	                                   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = s ? store_res_set_doc(row, s) : E_NOMEM;
	json_object_put(o);
	GUARD(rc);
	snprintf(row->state, sizeof(row->state), "%s", cvpn_status_str(e->status));
	snprintf(row->ref1, sizeof(row->ref1), "%s", e->vpc_id);
	return store_res_update(st, row);
}
