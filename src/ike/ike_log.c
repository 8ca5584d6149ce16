/*
 * ike_log.c - the tunnel log events the users see (site-to-site.md 7.1, G:5290-5322): each is
 * a log line with the tunnel's identity and a structured record (event name, VPN id, tunnel
 * outside IP, message) from which the tunnel logs are built.
 */
#include "ike/ike_int.h"

#include <stdarg.h>
#include <stdio.h>

void ike_log_event(const struct ike_tunnel *t, const char *event, const char *fmt, ...)
{
	char msg[256], ip[ADDR_STRLEN], idx[8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	addr_format(&t->m.outside_local, ip);
	snprintf(idx, sizeof(idx), "%u", t->m.index);
	log_info("ike", "%s: %s", t->name, msg);
	const struct log_field fields[] = {
	    {"VpnConnectionId", t->m.vpn_id},
	    {"TunnelIndex", idx},
	    {"TunnelOutsideIPAddress", ip},
	    {"VpnLogDetail", msg},
	};
	log_record(event, fields, sizeof(fields) / sizeof(fields[0]));
}
