/*
 * api/api_http.c - HTTP/1.1 transport: libmicrohttpd in external-epoll mode on our event loop.
 *
 * MHD's epoll descriptor is an ev_io; MHD_get_timeout() arms an ev_timer; both call MHD_run(),
 * which calls api_http_access() on this thread. Bodies are collected up to body_max (413 with an
 * EC2 error beyond; a Content-Length over the limit is refused before reading the body).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "store/store.h"

struct api_http_ctx {
	char *uri; /* as sent, with the query string */
	struct wbuf body;
	bool started;
	bool too_big;
};

static void *api_http_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct api_http_ctx *ctx = calloc(1, sizeof(*ctx));

	(void)cls;
	(void)c;
	if (!ctx)
		return NULL;
	ctx->uri = strdup(uri ? uri : "/");
	wbuf_init_dyn(&ctx->body, 1024, 0);
	return ctx;
}

static void api_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
	struct api_http_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!ctx)
		return;
	wbuf_free(&ctx->body);
	free(ctx->uri);
	free(ctx);
	*con_cls = NULL;
}

static const char *api_http_header(void *arg, const char *lname)
{
	return MHD_lookup_connection_value(arg, MHD_HEADER_KIND, lname);
}

static enum MHD_Result api_http_send_ct(struct MHD_Connection *c, struct api_resp *rs,
                                        const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(rs->body.len, rs->body.data, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result api_http_send(struct MHD_Connection *c, struct api_resp *rs)
{
	return api_http_send_ct(c, rs, "text/xml;charset=UTF-8");
}

/* An error before dispatch (transport level), in the EC2 envelope. */
static enum MHD_Result api_http_fail(struct MHD_Connection *c, unsigned status, const char *code,
                                     const char *msg)
{
	struct api_resp rs;
	char rid[40];
	enum MHD_Result ret;

	api_resp_init(&rs);
	api_uuid(rid);
	api_error(&rs, status, code, "%s", msg);
	api_resp_error_body(&rs, rid);
	log_info("api", "%s -> %u %s: %s", rid, status, code, msg);
	ret = api_http_send(c, &rs);
	api_resp_fini(&rs);
	return ret;
}

/* First call for a request: only headers are known. */
static enum MHD_Result api_http_start(struct api_server *srv, struct MHD_Connection *c,
                                      struct api_http_ctx *ctx, const char *method)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "content-length");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "content-type");
	char msg[160];

	ctx->started = true;
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0)
		return api_http_fail(c, 405, "UnsupportedOperation",
		                     "Only POST / and GET / are supported.");
	if (strncmp(ctx->uri, "/", 1) != 0 || (ctx->uri[1] != 0 && ctx->uri[1] != '?'))
		return api_http_fail(c, 404, "UnsupportedOperation",
		                     "The EC2 API is served at the path '/' only.");
	if (cl && strtoull(cl, NULL, 10) > srv->body_max) {
		snprintf(msg, sizeof(msg), "The request body is larger than %zu bytes.",
		         srv->body_max);
		return api_http_fail(c, 413, "RequestEntityTooLarge", msg);
	}
	if (strcmp(method, "POST") == 0 && ct &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 &&
	    !api_json_find(srv, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-target")))
		return api_http_fail(c, 415, "UnsupportedProtocol",
		                     "Content-Type must be application/x-www-form-urlencoded.");
	return MHD_YES;
}

static enum MHD_Result api_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls)
{
	struct api_server *srv = cls;
	struct api_http_ctx *ctx = *con_cls;
	struct sigv4_input hr;
	struct api_resp rs;
	enum MHD_Result ret;
	const char *target;
	char *q;

	(void)url;
	(void)version;
	if (!ctx)
		return MHD_NO;
	if (!ctx->started)
		return api_http_start(srv, c, ctx, method);
	if (*upload_data_size > 0) {
		if (!ctx->too_big && ctx->body.len + *upload_data_size <= srv->body_max)
			wbuf_put_bytes(&ctx->body, upload_data, *upload_data_size);
		else
			ctx->too_big = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big || wbuf_result(&ctx->body) != E_OK)
		return api_http_fail(c, 413, "RequestEntityTooLarge",
		                     "The request body is larger than the server accepts.");
	q = strchr(ctx->uri, '?');
	if (q)
		*q++ = 0;
	memset(&hr, 0, sizeof(hr));
	hr.method = method;
	hr.path = ctx->uri;
	hr.query = q;
	hr.body = ctx->body.data;
	hr.body_len = ctx->body.len;
	hr.header = api_http_header;
	hr.header_arg = c;
	api_resp_init(&rs);
	target = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-target");
	if (api_json_find(srv, target)) { /* ACM and other JSON protocols (api_json.c) */
		api_json_dispatch(srv, api_json_find(srv, target), target, &hr, &rs);
		ret = api_http_send_ct(c, &rs, "application/x-amz-json-1.1");
		api_resp_fini(&rs);
		return ret;
	}
	api_dispatch(srv, &hr, &rs);
	ret = api_http_send(c, &rs);
	api_resp_fini(&rs);
	return ret;
}

static void api_http_rearm(struct api_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;

	if (MHD_get_timeout(srv->mhd, &ms) == MHD_YES)
		ev_timer_arm(srv->loop, &srv->timer, ms);
	else
		ev_timer_cancel(srv->loop, &srv->timer);
}

static void api_http_run(struct api_server *srv)
{
	if (MHD_run(srv->mhd) != MHD_YES)
		log_warn("api", "MHD_run failed");
	api_http_rearm(srv);
}

static void api_http_io_cb(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	api_http_run(io->arg);
}

static void api_http_timer_cb(struct ev_timer *t)
{
	api_http_run(t->arg);
}

static void api_http_panic(void *cls, const char *file, unsigned line, const char *reason)
{
	(void)cls;
	log_err("api", "libmicrohttpd fatal error at %s:%u: %s", file, line, reason ? reason : "");
	abort();
}

/* "host:port" / "[v6]:port" into a sockaddr. */
static RESULT api_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[ADDR_STRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct addr a;
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon)
		return E_INVAL;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return E_INVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return E_INVAL;
	GUARD(addr_parse(host, &a));
	addr_to_sockaddr(&a, (uint16_t)port, ss, len);
	return E_OK;
}

static RESULT api_http_start_mhd(struct api_server *srv, const char *listen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (api_parse_listen(listen, &ss, &sl) != E_OK) {
		log_err("api", "bad listen address '%s' (want HOST:PORT)", listen);
		return E_INVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	MHD_set_panic_func(api_http_panic, NULL);
	srv->mhd =
	    MHD_start_daemon(flags, 0, NULL, NULL, api_http_access, srv, MHD_OPTION_SOCK_ADDR,
	                     (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, api_http_uri_cb,
	                     srv, MHD_OPTION_NOTIFY_COMPLETED, api_http_completed, srv,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONN_LIMIT, MHD_OPTION_END);
	if (!srv->mhd) {
		log_err("api", "cannot listen on %s", listen);
		return E_SYSTEM;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return E_SYSTEM;
	ev_io_init(&srv->io, info->epoll_fd, EPOLLIN, api_http_io_cb, srv);
	GUARD(ev_io_add(srv->loop, &srv->io));
	api_http_rearm(srv);
	return E_OK;
}

RESULT api_server_new(struct ev_loop *loop, struct store *st, const struct api_config *cfg,
                      struct api_server **out)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	result_t rc;

	*out = NULL;
	if (!srv)
		return E_NOMEM;
	srv->loop = loop;
	srv->store = st;
	srv->body_max = cfg->body_max ? cfg->body_max : API_BODY_MAX_DEFAULT;
	srv->access_key = strdup(cfg->access_key);
	srv->secret_key = strdup(cfg->secret_key);
	srv->region = strdup(cfg->region);
	srv->io.fd = -1;
	ev_timer_init(&srv->timer, api_http_timer_cb, srv);
	if (!srv->access_key || !srv->secret_key || !srv->region) {
		rc = E_NOMEM;
		goto out;
	}
	GUARD_OUT(rc, api_http_start_mhd(srv, cfg->listen));
	log_info("api", "EC2 API listening on %s (port %u), region %s", cfg->listen, srv->port,
	         srv->region);
	*out = srv;
	return E_OK;
out:
	api_server_free(srv);
	return rc;
}

void api_server_free(struct api_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd) {
		if (srv->io.fd >= 0)
			ev_io_del(srv->loop, &srv->io);
		ev_timer_cancel(srv->loop, &srv->timer);
		MHD_stop_daemon(srv->mhd);
	}
	if (srv->secret_key) {
		secret_wipe(srv->secret_key, strlen(srv->secret_key));
		free(srv->secret_key);
	}
	free(srv->access_key);
	free(srv->region);
	free(srv);
}

uint16_t api_server_port(const struct api_server *srv)
{
	return srv->port;
}

void api_server_set_change_cb(struct api_server *srv, api_change_cb cb, void *arg)
{
	srv->change_cb = cb;
	srv->change_arg = arg;
}
