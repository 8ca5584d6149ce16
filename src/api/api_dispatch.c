/*
 * api/api_dispatch.c - one request from bytes to answer:
 *   SigV4 -> form decode -> Action -> DryRun -> transaction -> handler -> commit -> XML.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_handlers.h"
#include "api/api_int.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "store/store.h"

#define API_RESP_MAX (64u << 20)

void api_resp_init(struct api_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	wbuf_init_dyn(&rs->body, 4096, API_RESP_MAX);
	xml_init(&rs->x, &rs->body);
	rs->status = 200;
}

void api_resp_fini(struct api_resp *rs)
{
	wbuf_free(&rs->body);
}

void api_uuid(char out[40])
{
	uint8_t b[16];
	char h[33];

	if (secret_random(b, sizeof(b)) != E_OK)
		memset(b, 0, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 9562 5.4: version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	hex_encode(b, sizeof(b), h);
	snprintf(out, 40, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* ec2-api.md 2.3: <Response><Errors><Error>..</Error></Errors><RequestID>..</RequestID>. */
void api_resp_error_body(struct api_resp *rs, const char *request_id)
{
	wbuf_free(&rs->body);
	wbuf_init_dyn(&rs->body, 512, 1 << 16);
	xml_init(&rs->x, &rs->body);
	wbuf_put_str(&rs->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	xml_open(&rs->x, "Response");
	xml_open(&rs->x, "Errors");
	xml_open(&rs->x, "Error");
	xml_str(&rs->x, "Code", rs->code);
	xml_str(&rs->x, "Message", rs->message);
	xml_close(&rs->x);
	xml_close(&rs->x);
	xml_str(&rs->x, "RequestID", request_id);
	xml_close(&rs->x);
	if (rs->status < 400)
		rs->status = 400;
}

/* The parameters: the query string, then (POST) the body. */
static RESULT api_parse_params(const struct sigv4_input *hr, struct api_req *rq,
                               struct api_resp *rs)
{
	char err[256];
	struct wbuf all;
	struct rbuf r;
	result_t rc;

	wbuf_init_dyn(&all, hr->body_len + 64, 0);
	if (hr->query && *hr->query)
		wbuf_put_str(&all, hr->query);
	if (hr->body_len > 0) {
		if (all.len)
			wbuf_put_u8(&all, '&');
		wbuf_put_bytes(&all, hr->body, hr->body_len);
	}
	rc = wbuf_result(&all);
	if (rc == E_OK) {
		rbuf_init(&r, all.data, all.len);
		rc = api_form_parse(&r, &rq->params, err, sizeof(err));
	}
	wbuf_free(&all);
	if (rc == E_API_FORM)
		return api_error(rs, 400, "MalformedQueryString", "%s", err);
	return rc;
}

static RESULT api_run_op(struct api_server *srv, const struct api_op *op, struct api_req *rq,
                         struct api_resp *rs)
{
	result_t rc;
	bool dry = false;

	GUARD(api_get_bool(rq, rs, "DryRun", false, &dry));
	if (dry)
		return api_error(rs, 412, "DryRunOperation",
		                 "Request would have succeeded, but DryRun flag is set.");
	wbuf_printf(&rs->body,
	            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\">",
	            op->action, API_XMLNS);
	xml_str(&rs->x, "requestId", rq->request_id);
	GUARD(store_begin(srv->store));
	rc = op->handler(rq, rs);
	if (rc == E_OK)
		rc = wbuf_result(&rs->body);
	if (rc != E_OK) {
		store_rollback(srv->store);
		return rc;
	}
	/* Commit before respond: an acknowledged change survives kill -9. */
	GUARD(store_commit(srv->store));
	if (srv->change_cb && strncmp(op->action, "Describe", 8) != 0 &&
	    strncmp(op->action, "Get", 3) != 0)
		srv->change_cb(srv->change_arg, op->action);
	wbuf_printf(&rs->body, "</%sResponse>", op->action);
	return wbuf_result(&rs->body);
}

static RESULT api_handle(struct api_server *srv, const struct sigv4_input *hr, struct api_req *rq,
                         struct api_resp *rs)
{
	struct sigv4_keys keys = {srv->access_key, srv->secret_key, srv->region};
	const struct api_op *op;

	GUARD(sigv4_verify(hr, &keys, clock_wall_s(), rs));
	GUARD(api_parse_params(hr, rq, rs));
	rq->action = api_param(&rq->params, "Action");
	if (!rq->action || !*rq->action)
		return api_error(rs, 400, "MissingAction",
		                 "The request must contain the parameter Action.");
	op = api_op_find(rq->action);
	if (!op)
		return api_error(rs, 400, "InvalidAction",
		                 "The action %.100s is not valid for this web service.",
		                 rq->action);
	return api_run_op(srv, op, rq, rs);
}

void api_dispatch(struct api_server *srv, const struct sigv4_input *hr, struct api_resp *rs)
{
	struct api_req rq;
	result_t rc;

	memset(&rq, 0, sizeof(rq));
	api_uuid(rq.request_id);
	rq.region = srv->region;
	rq.owner_id = API_OWNER_ID;
	rq.store = srv->store;
	rq.srv = srv;
	rc = api_handle(srv, hr, &rq, rs);
	if (rc != E_OK) {
		if (rc != E_API) {
			log_err("api", "%s %s: internal error: %s", rq.request_id,
			        rq.action ? rq.action : "-", err_msg(rc));
			api_error(rs, 500, "InternalError", "An internal error has occurred (%s).",
			          err_name(rc));
		}
		log_info("api", "%s %.64s -> %u %s: %s", rq.request_id, rq.action ? rq.action : "-",
		         rs->status, rs->code, rs->message);
		api_resp_error_body(rs, rq.request_id);
	} else {
		log_info("api", "%s %s -> 200", rq.request_id, rq.action);
	}
	api_params_fini(&rq.params);
}
