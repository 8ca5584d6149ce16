/* api/api_int.h - the server object, shared by api_http.c and api_dispatch.c. */
#ifndef GH_API_INT_H
#define GH_API_INT_H

#include <microhttpd.h>

#include "api/api.h"
#include "api/api_req.h"
#include "api/api_sigv4.h"
#include "lib/ev.h"

struct api_server {
	struct ev_loop *loop;
	struct store *store;
	struct MHD_Daemon *mhd;
	struct ev_io io;
	struct ev_timer timer;
	char *access_key;
	char *secret_key;
	char *region;
	size_t body_max;
	uint16_t port;
	api_change_cb change_cb;
	void *change_arg;
	struct api_json_service { /* api_server_add_json (api_json.c) */
		const char *prefix;
		const char *service;
		api_json_fn fn;
		void *arg;
	} json[API_JSON_SERVICES_MAX];
	size_t n_json;
};

/* Handle one complete HTTP request (hr describes it); fills rs (status, body). */
void api_dispatch(struct api_server *srv, const struct sigv4_input *hr, struct api_resp *rs);
/* Fill rs with the EC2 error envelope for rs->status/code/message. */
void api_resp_error_body(struct api_resp *rs, const char *request_id);
void api_resp_init(struct api_resp *rs);
void api_resp_fini(struct api_resp *rs);
/* The JSON service for an X-Amz-Target value; NULL when none (api_json.c). */
const struct api_json_service *api_json_find(const struct api_server *srv, const char *target);
/* Handle one JSON-protocol request; fills rs->status and rs->body (JSON). */
void api_json_dispatch(struct api_server *srv, const struct api_json_service *svc,
		       const char *target, const struct sigv4_input *hr, struct api_resp *rs);
/* A random (version 4) UUID. */
void api_uuid(char out[40]);

#endif
