/*
 * conf/value.c - one configuration value: numbers, addresses, CIDRs, names, the API listen
 * address. (Tunnel options are checked by the model: model/tunnel.h.) Each checker reports its
 * own problem with the line and says which key it was.
 */
#include <ctype.h>
#include <string.h>

#include "conf/conf_int.h"

/* Decimal, no sign, no leading "+"; overflow is checked before it can happen. */
bool conf_value_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out, struct conf_diags *d,
                    unsigned line, const char *what)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10) {
			conf_diag_add(d, line, "%s: \"%s\" is not a number in %u-%u", what, s, lo,
			              hi);
			return false;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v < lo || v > hi) {
		conf_diag_add(d, line, "%s: %s is out of range %u-%u", what, i ? s : "\"\"", lo,
		              hi);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool conf_value_addr(const char *s, struct addr *out, struct conf_diags *d, unsigned line,
                     const char *what)
{
	if (addr_parse(s, out) != E_OK) {
		conf_diag_add(d, line, "%s: \"%s\" is not an IP address", what, s);
		return false;
	}
	return true;
}

bool conf_value_prefix(const char *s, struct prefix *out, struct conf_diags *d, unsigned line,
                       const char *what)
{
	result_t rc = prefix_parse(s, false, out);

	if (rc == E_INVAL) {
		conf_diag_add(d, line, "%s: \"%s\" has host bits set", what, s);
		return false;
	}
	if (rc != E_OK) {
		conf_diag_add(d, line, "%s: \"%s\" is not a CIDR (address/length)", what, s);
		return false;
	}
	return true;
}

/* Identifiers (vpn ids): 1-31 of [A-Za-z0-9._-], fit model_tunnel.vpn_id. */
bool conf_value_name(const char *s, struct conf_diags *d, unsigned line, const char *what)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct model_tunnel *)0)->vpn_id)) {
		conf_diag_add(d, line, "%s: \"%s\" must be 1-31 characters", what, s);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') {
			conf_diag_add(d, line, "%s: \"%s\" may only hold letters, digits, . _ -",
			              what, s);
			return false;
		}
	}
	return true;
}

/* "addr:port" or "[v6addr]:port". */
bool conf_value_listen(const char *s, struct conf_diags *d, unsigned line)
{
	char host[CONF_TOKEN_MAX];
	const char *colon = strrchr(s, ':');
	struct addr a;
	uint32_t port;
	size_t hl;

	if (!colon || colon == s)
		goto bad;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			goto bad;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (addr_parse(host, &a) != E_OK || (s[0] == '[') != (a.family == AF_INET6))
		goto bad;
	return conf_value_u32(colon + 1, 1, 65535, &port, d, line, "listen port");
bad:
	conf_diag_add(d, line, "listen: \"%s\" is not address:port (IPv6 as [address]:port)", s);
	return false;
}
