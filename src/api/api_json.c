/*
 * api/api_json.c - other AWS JSON-protocol services on the EC2 API port (awsJson1_1):
 * requests with "X-Amz-Target: <prefix><Op>" for a registered prefix (e.g.
 * "CertificateManager." for src/acm). Same SigV4 check with that service's credential scope,
 * the same one-transaction-per-request rule (commit before respond), JSON errors
 * {"__type": "<Code>", "message": "..."} as botocore's JSON parser reads them.
 *
 * Added by the Client VPN helper for ACM; additive to the EC2 path (api_http.c calls
 * api_json_find / api_json_dispatch before api_dispatch).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api_int.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "store/store.h"

RESULT api_server_add_json(struct api_server *srv, const char *target_prefix,
                           const char *sigv4_service, api_json_fn fn, void *arg)
{
	if (srv->n_json >= API_JSON_SERVICES_MAX)
		return E_RANGE;
	srv->json[srv->n_json++] = (struct api_json_service){target_prefix, sigv4_service, fn, arg};
	return E_OK;
}

const struct api_json_service *api_json_find(const struct api_server *srv, const char *target)
{
	size_t i;

	for (i = 0; target && i < srv->n_json; i++)
		if (strncmp(target, srv->json[i].prefix, strlen(srv->json[i].prefix)) == 0)
			return &srv->json[i];
	return NULL;
}

static void api_json_error(struct api_resp *rs, unsigned status, const char *code, const char *msg)
{
	struct json_object *o = json_object_new_object();

	wbuf_reset(&rs->body);
	rs->status = status;
	if (o) {
		json_object_object_add(o, "__type", json_object_new_string(code));
		json_object_object_add(o, "message", json_object_new_string(msg));
		wbuf_put_str(&rs->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
}

void api_json_dispatch(struct api_server *srv, const struct api_json_service *svc,
                       const char *target, const struct sigv4_input *hr, struct api_resp *rs)
{
	struct sigv4_keys keys = {srv->access_key, srv->secret_key, srv->region, svc->service};
	const char *op = target + strlen(svc->prefix);
	char rid[40];
	unsigned status = 500;
	result_t rc;

	api_uuid(rid);
	if (sigv4_verify(hr, &keys, clock_wall_s(), rs) != E_OK) {
		log_info("api", "%s %.64s -> %u %s: %s", rid, target, rs->status, rs->code,
		         rs->message);
		api_json_error(rs, rs->status, rs->code, rs->message);
		return;
	}
	rc = store_begin(srv->store);
	if (rc == E_OK) {
		rc = svc->fn(svc->arg, srv->store, srv->region, API_OWNER_ID, op, hr->body,
		             hr->body_len, &rs->body, &status);
		if (rc == E_OK && status == 200)
			rc = store_commit(srv->store); /* commit before respond */
		else
			store_rollback(srv->store);
	}
	if (rc != E_OK) {
		log_err("api", "%s %.64s: internal error: %s", rid, target, err_msg(rc));
		api_json_error(rs, 500, "InternalFailure", "An internal error has occurred.");
		return;
	}
	rs->status = status;
	log_info("api", "%s %.64s -> %u", rid, target, status);
}
