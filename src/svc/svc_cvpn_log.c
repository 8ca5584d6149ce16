/*
 * svc/svc_cvpn_log.c - Client VPN connection logging (client-vpn.md B5, E7) to a local
 * "log group": one JSON object per line in DATA_DIR/logs/<group>/<stream>, where a
 * CloudWatch log group would be. An entry is written when a connection is established and
 * when it ends (with its counters, end time and duration). Failed mutual-authentication
 * attempts are not logged (E7, claim 43): they never become connections.
 */
#include "svc/svc_cvpn_int.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/* A log group or stream name as one path component: [A-Za-z0-9._-], others become '_'. */
static void path_part(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; in && *in && n + 1 < cap; in++) {
		char ch = *in;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';

		out[n++] = ok ? ch : '_';
	}
	out[n] = 0;
	if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		snprintf(out, cap, "default");
}

/* E7: "YYYY-MM-DD HH:MM:SS" (UTC), "NA" for none. */
static void log_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 32, "NA");
}

static void jstr(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v && *v ? v : "NA"));
}

static void jnum(struct json_object *o, const char *k, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	jstr(o, k, b); /* E7: counters are strings */
}

static struct json_object *entry_build(const struct cvpn_endpoint *e, const struct cvpn_conn *r,
                                       const struct ovpn_client_info *c, int64_t now_ms)
{
	struct json_object *o = json_object_new_object();
	char t[32], a[ADDR_STRLEN];

	if (!o)
		return NULL;
	jstr(o, "connection-log-type", "connection-attempt");
	jstr(o, "connection-attempt-status", "successful");
	jstr(o, "connection-reset-status", "NA");
	jstr(o, "connection-attempt-failure-reason", "NA");
	jstr(o, "connection-id", r->id);
	jstr(o, "client-vpn-endpoint-id", e->id);
	jstr(o, "transport-protocol", cvpn_transport_str(e->transport));
	log_time(r->established_ms, t);
	jstr(o, "connection-start-time", t);
	log_time(now_ms, t);
	jstr(o, "connection-last-update-time", t);
	jstr(o, "client-ip", r->client_ip);
	jstr(o, "common-name", r->common_name);
	jstr(o, "device-type", "NA");
	addr_format(&c->remote_addr, a);
	jstr(o, "device-ip", a);
	jnum(o, "port", c->remote_port);
	jnum(o, "ingress-bytes", r->ingress_bytes);
	jnum(o, "egress-bytes", r->egress_bytes);
	jnum(o, "ingress-packets", r->ingress_packets);
	jnum(o, "egress-packets", r->egress_packets);
	log_time(r->end_ms, t);
	jstr(o, "connection-end-time", t);
	jstr(o, "posture-compliance-statuses", "NA");
	jstr(o, "username", r->username);
	if (r->end_ms > 0 && r->end_ms >= r->established_ms)
		jnum(o, "connection-duration-seconds",
		     (uint64_t)(r->end_ms - r->established_ms) / 1000);
	else
		jstr(o, "connection-duration-seconds", "NA");
	return o;
}

static int dir_open(int at, const char *name)
{
	if (mkdirat(at, name, 0700) != 0 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void cvpn_connlog_write(const char *data_dir, const struct cvpn_endpoint *e,
                        const struct cvpn_conn *r, const struct ovpn_client_info *c,
                        int64_t now_ms)
{
	char group[256], stream[256];
	struct json_object *o;
	const char *line;
	int d0, d1 = -1, d2 = -1, fd = -1;

	if (!e->log_enabled)
		return;
	path_part(e->log_group, group, sizeof(group));
	path_part(e->log_stream ? e->log_stream : e->id, stream, sizeof(stream));
	o = entry_build(e, r, c, now_ms);
	line = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                 JSON_C_TO_STRING_NOSLASHESCAPE)
	         : NULL;
	d0 = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d0 >= 0)
		d1 = dir_open(d0, "logs");
	if (d1 >= 0)
		d2 = dir_open(d1, group);
	if (d2 >= 0)
		fd = openat(d2, stream, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (!line || fd < 0 || dprintf(fd, "%s\n", line) < 0)
		log_warn("cvpn", "%s: connection log %s/%s not written: %s", e->id, group, stream,
		         line ? strerror(errno) : "no memory");
	if (fd >= 0)
		close(fd);
	if (d2 >= 0)
		close(d2);
	if (d1 >= 0)
		close(d1);
	if (d0 >= 0)
		close(d0);
	json_object_put(o);
}
