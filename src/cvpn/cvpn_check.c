/*
 * cvpn/cvpn_check.c - attribute validation, one function per rule of client-vpn.md B.
 * Every failure names the parameter, the value and what is allowed.
 */
#include <stdio.h>
#include <string.h>

#include "cvpn/cvpn_int.h"

RESULT cvpn_check_client_cidr(const char *s, struct prefix *out, struct cvpn_verr *err)
{
	struct prefix p;

	if (!s || prefix_parse(s, false, &p) != E_OK || p.addr.family != AF_INET)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientCidrBlock '%.64s' is not an IPv4 CIDR block (a.b.c.d/n with the "
		            "host bits zero), for example 10.0.0.0/22.",
		            s ? s : "");
	/* B2c: "/22 or larger, and no larger than /12". */
	if (p.len > CVPN_CIDR_PREFIX_MAX)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientCidrBlock %.64s is too small: the client CIDR must be /%d or "
		            "larger (prefix length %d to %d).",
		            s, CVPN_CIDR_PREFIX_MAX, CVPN_CIDR_PREFIX_MIN, CVPN_CIDR_PREFIX_MAX);
	if (p.len < CVPN_CIDR_PREFIX_MIN)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientCidrBlock %.64s is too large: the client CIDR must be no larger "
		            "than /%d (prefix length %d to %d).",
		            s, CVPN_CIDR_PREFIX_MIN, CVPN_CIDR_PREFIX_MIN, CVPN_CIDR_PREFIX_MAX);
	*out = p;
	return E_OK;
}

RESULT cvpn_check_port(uint64_t port, struct cvpn_verr *err)
{
	if (port != CVPN_PORT_DEFAULT && port != CVPN_PORT_ALT)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "VpnPort %llu is not allowed: valid values are %d and %d.",
		            (unsigned long long)port, CVPN_PORT_DEFAULT, CVPN_PORT_ALT);
	return E_OK;
}

RESULT cvpn_check_session_hours(uint64_t h, struct cvpn_verr *err)
{
	if (h != 8 && h != 10 && h != 12 && h != 24)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "SessionTimeoutHours %llu is not allowed: valid values are 8, 10, 12 "
		            "and 24 (default 24).",
		            (unsigned long long)h);
	return E_OK;
}

RESULT cvpn_check_transport(const char *s, enum cvpn_transport *out, struct cvpn_verr *err)
{
	if (s && strcmp(s, "udp") == 0)
		*out = CVPN_UDP;
	else if (s && strcmp(s, "tcp") == 0)
		*out = CVPN_TCP;
	else
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "TransportProtocol '%.32s' is not valid: use udp or tcp.", s ? s : "");
	return E_OK;
}

/* RFC 3629 section 4: the UTF-8 syntax (no overlongs, no surrogates, at most U+10FFFF). */
bool cvpn_utf8_valid(const char *s, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		unsigned c = *p, need, i;
		uint32_t cp;

		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return false;
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += need + 1;
		n++;
	}
	if (chars)
		*chars = n;
	return true;
}

RESULT cvpn_check_banner(const char *s, struct cvpn_verr *err)
{
	size_t n = 0;

	if (!s)
		return E_OK;
	if (!cvpn_utf8_valid(s, &n))
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientLoginBannerOptions.BannerText must be UTF-8 encoded text.");
	if (n > CVPN_BANNER_CHARS_MAX)
		return verr(
		    err, E_CVPN_INVALID, "InvalidParameterValue",
		    "ClientLoginBannerOptions.BannerText has %zu characters; the maximum is "
		    "%d.",
		    n, CVPN_BANNER_CHARS_MAX);
	return E_OK;
}

RESULT cvpn_check_dns(const char *const *v, size_t n, struct addr *out, struct cvpn_verr *err)
{
	size_t i;

	if (n > CVPN_DNS_SERVERS_MAX)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "%zu DNS servers given; a Client VPN endpoint can have at most %d.", n,
		            CVPN_DNS_SERVERS_MAX);
	for (i = 0; i < n; i++)
		if (addr_parse(v[i], &out[i]) != E_OK || out[i].family != AF_INET)
			return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
			            "DNS server '%.64s' is not an IPv4 address.", v[i]);
	return E_OK;
}

RESULT cvpn_check_log(bool enabled, const char *group, struct cvpn_verr *err)
{
	if (enabled && (!group || !*group))
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ConnectionLogOptions.CloudwatchLogGroup is required when connection "
		            "logging is enabled.");
	return E_OK;
}

/* Split "arn:aws:<svc>:<region>:<account>:<rest>"; false when the shape is wrong. */
static bool cvpn_arn_split(const char *arn, const char *svc, char region[64], char account[64],
                           const char **rest)
{
	char head[32];
	const char *p = arn, *c;
	size_t len;

	snprintf(head, sizeof(head), "arn:aws:%s:", svc);
	if (!arn || strncmp(arn, head, strlen(head)) != 0)
		return false;
	p += strlen(head);
	c = strchr(p, ':');
	if (!c || (len = (size_t)(c - p)) == 0 || len >= 64)
		return false;
	memcpy(region, p, len);
	region[len] = 0;
	p = c + 1;
	c = strchr(p, ':');
	if (!c || (len = (size_t)(c - p)) != 12 || strspn(p, "0123456789") < 12)
		return false;
	memcpy(account, p, len);
	account[len] = 0;
	*rest = c + 1;
	return true;
}

RESULT cvpn_check_lambda_arn(const char *arn, const char *region, const char *account,
                             struct cvpn_verr *err)
{
	char r[64], a[64];
	const char *rest, *name;

	if (!cvpn_arn_split(arn, "lambda", r, a, &rest) || strncmp(rest, "function:", 9) != 0 ||
	    !rest[9])
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientConnectOptions.LambdaFunctionArn '%.128s' is not a Lambda "
		            "function ARN (arn:aws:lambda:<region>:<account>:function:<name>).",
		            arn ? arn : "");
	name = rest + 9;
	/* D4: the function name must start with AWSClientVPN- (a qualifier may follow, D5). */
	if (strncmp(name, CVPN_LAMBDA_NAME_PREFIX, strlen(CVPN_LAMBDA_NAME_PREFIX)) != 0 ||
	    !name[strlen(CVPN_LAMBDA_NAME_PREFIX)])
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "The client connect handler function name must start with '%s' (got "
		            "'%.64s').",
		            CVPN_LAMBDA_NAME_PREFIX, name);
	/* D6: same region and account as the endpoint. */
	if (strcmp(r, region) != 0 || strcmp(a, account) != 0)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "The client connect handler must be in region %s and account %s "
		            "(the ARN names %s / %s).",
		            region, account, r, a);
	return E_OK;
}

RESULT cvpn_check_acm_arn(const char *what, const char *arn, const char *region,
                          struct cvpn_verr *err)
{
	char r[64], a[64];
	const char *rest;

	if (!cvpn_arn_split(arn, "acm", r, a, &rest) || strncmp(rest, "certificate/", 12) != 0 ||
	    !rest[12])
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "%s '%.128s' is not an ACM certificate ARN "
		            "(arn:aws:acm:<region>:<account>:certificate/<id>).",
		            what, arn ? arn : "");
	/* B3b: in ACM in the same region as the endpoint. */
	if (strcmp(r, region) != 0)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "%s must be a certificate in region %s, not %s.", what, region, r);
	return E_OK;
}

RESULT cvpn_check_auth(const struct cvpn_auth *a, size_t n, struct cvpn_verr *err)
{
	size_t i, j;

	if (n == 0)
		return verr(err, E_CVPN_INVALID, "MissingParameter",
		            "Choose an authentication method: Authentication.1.Type="
		            "certificate-authentication with "
		            "Authentication.1.MutualAuthentication.ClientRootCertificateChainArn.");
	if (n > CVPN_AUTH_OPTIONS_MAX)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "At most %d authentication options can be given.",
		            CVPN_AUTH_OPTIONS_MAX);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (a[j].type == a[i].type)
				return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
				            "Authentication type %s is given twice.",
				            cvpn_auth_type_str(a[i].type));
		if (a[i].type != CVPN_AUTH_CERTIFICATE)
			return verr(err, E_CVPN_INVALID, "UnsupportedOperation",
			            "Authentication type %s is not supported by this server; use "
			            "certificate-authentication (mutual TLS with client "
			            "certificates).",
			            cvpn_auth_type_str(a[i].type));
		if (!a[i].client_root_chain_arn || !*a[i].client_root_chain_arn)
			return verr(
			    err, E_CVPN_INVALID, "MissingParameter",
			    "certificate-authentication needs "
			    "MutualAuthentication.ClientRootCertificateChainArn (the ACM ARN "
			    "of the CA that signs client certificates; the server certificate "
			    "ARN works when the same CA issued both).");
	}
	return E_OK;
}

RESULT cvpn_check_portal(const char *s, bool *out, struct cvpn_verr *err)
{
	if (s && strcmp(s, "enabled") == 0)
		*out = true;
	else if (s && strcmp(s, "disabled") == 0)
		*out = false;
	else
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "SelfServicePortal '%.32s' is not valid: use enabled or disabled.",
		            s ? s : "");
	return E_OK;
}

RESULT cvpn_check_description(const char *s, struct cvpn_verr *err)
{
	size_t n = 0;

	if (s && (!cvpn_utf8_valid(s, &n) || n > CVPN_DESCRIPTION_MAX))
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Description must be UTF-8 text of at most %d characters.",
		            CVPN_DESCRIPTION_MAX);
	return E_OK;
}

RESULT cvpn_check_dest_cidr(const char *what, const char *s, struct prefix *out,
                            struct cvpn_verr *err)
{
	if (!s || prefix_parse(s, false, out) != E_OK || out->addr.family != AF_INET)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "%s '%.64s' is not an IPv4 CIDR block (a.b.c.d/n with the host bits "
		            "zero).",
		            what, s ? s : "");
	return E_OK;
}

RESULT cvpn_check_cidr_conflicts(const struct cvpn_endpoint *e, struct cvpn_verr *err)
{
	char c1[PREFIX_STRLEN], c2[PREFIX_STRLEN];
	size_t i;

	prefix_format(&e->client_cidr, c1);
	if (e->vpc_cidr.addr.family && prefix_overlaps(&e->vpc_cidr, &e->client_cidr)) {
		prefix_format(&e->vpc_cidr, c2);
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientCidrBlock %s overlaps the CIDR %s of %s; choose a client range "
		            "outside the VPC.",
		            c1, c2, e->vpc_id);
	}
	for (i = 0; i < e->n_routes; i++) {
		const struct cvpn_route *r = &e->routes[i];

		if (strcmp(r->target_subnet, "local") == 0 || r->dst.len == 0)
			continue;
		if (prefix_overlaps(&r->dst, &e->client_cidr)) {
			prefix_format(&r->dst, c2);
			return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
			            "ClientCidrBlock %s overlaps the route to %s.", c1, c2);
		}
	}
	return E_OK;
}

RESULT cvpn_endpoint_check(const struct cvpn_endpoint *e, struct cvpn_verr *err)
{
	char c[PREFIX_STRLEN];

	prefix_format(&e->client_cidr, c);
	GUARD(cvpn_check_client_cidr(c, &(struct prefix){0}, err));
	GUARD(cvpn_check_port(e->port, err));
	GUARD(cvpn_check_session_hours(e->session_hours, err));
	GUARD(cvpn_check_banner(e->banner_text, err));
	GUARD(cvpn_check_description(e->description, err));
	GUARD(cvpn_check_log(e->log_enabled, e->log_group, err));
	GUARD(cvpn_check_auth(e->auth, e->n_auth, err));
	if (e->n_dns > CVPN_DNS_SERVERS_MAX || e->n_sg > CVPN_SG_MAX)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "Too many DNS servers or security groups.");
	if (e->n_sg && !e->vpc_id[0])
		return verr(err, E_CVPN_INVALID, "InvalidParameterDependency",
		            "SecurityGroupId.N needs VpcId: give the VPC that holds the security "
		            "groups.");
	if (e->connect_enabled && !e->lambda_arn)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "ClientConnectOptions.LambdaFunctionArn is required when the client "
		            "connect handler is enabled.");
	return cvpn_check_cidr_conflicts(e, err);
}
