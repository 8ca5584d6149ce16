/*
 * model/vpn.c - the VPN connection resource: defaults, connection-level rules, generated
 * values, static routes, the engine's view of a tunnel.
 */
#include "model/vpn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/secret.h"

static const char *const state_names[] = {
    [MODEL_VPN_PENDING] = "pending",
    [MODEL_VPN_AVAILABLE] = "available",
    [MODEL_VPN_DELETING] = "deleting",
    [MODEL_VPN_DELETED] = "deleted",
};

static const char *const outside_type_names[] = {
    [MODEL_OUTSIDE_PUBLIC_IPV4] = "PublicIpv4",
    [MODEL_OUTSIDE_PRIVATE_IPV4] = "PrivateIpv4",
    [MODEL_OUTSIDE_IPV6] = "Ipv6",
};

static const char *const bandwidth_names[] = {
    [MODEL_BANDWIDTH_STANDARD] = "standard",
    [MODEL_BANDWIDTH_LARGE] = "large",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static result_t name_lookup(const char *const *names, size_t n, const char *s, bool icase, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if ((icase ? strcasecmp(names[i], s) : strcmp(names[i], s)) == 0) {
			*out = (int)i;
			return E_OK;
		}
	}
	return E_PARSE;
}

const char *model_vpn_state_name(enum model_vpn_state s)
{
	return (unsigned)s < N(state_names) ? state_names[s] : "unknown";
}

RESULT model_vpn_state_parse(const char *s, enum model_vpn_state *out)
{
	int i;

	GUARD(name_lookup(state_names, N(state_names), s, false, &i));
	*out = (enum model_vpn_state)i;
	return E_OK;
}

const char *model_outside_ip_type_name(enum model_outside_ip_type t)
{
	return (unsigned)t < N(outside_type_names) ? outside_type_names[t] : "PublicIpv4";
}

RESULT model_outside_ip_type_parse(const char *s, enum model_outside_ip_type *out)
{
	int i;

	GUARD(name_lookup(outside_type_names, N(outside_type_names), s, true, &i));
	*out = (enum model_outside_ip_type)i;
	return E_OK;
}

const char *model_tunnel_bandwidth_name(enum model_tunnel_bandwidth b)
{
	return (unsigned)b < N(bandwidth_names) ? bandwidth_names[b] : "standard";
}

RESULT model_tunnel_bandwidth_parse(const char *s, enum model_tunnel_bandwidth *out)
{
	int i;

	GUARD(name_lookup(bandwidth_names, N(bandwidth_names), s, false, &i));
	*out = (enum model_tunnel_bandwidth)i;
	return E_OK;
}

static void prefix_any(struct prefix *p, int family)
{
	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
}

void model_vpn_init(struct model_vpn_connection *c)
{
	memset(c, 0, sizeof(*c));
	c->state = MODEL_VPN_PENDING;
	prefix_any(&c->opt.local_ipv4_cidr, AF_INET);
	prefix_any(&c->opt.remote_ipv4_cidr, AF_INET);
	prefix_any(&c->opt.local_ipv6_cidr, AF_INET6);
	prefix_any(&c->opt.remote_ipv6_cidr, AF_INET6);
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		model_tunnel_options_default(&c->tunnels[i].opt);
}

void model_vpn_wipe(struct model_vpn_connection *c)
{
	secret_wipe(c, sizeof(*c));
}

static result_t check_gateway_options(const struct model_vpn_connection *c, struct model_err *e)
{
	const struct model_vpn_options *o = &c->opt;
	bool on_tgw = c->tgw_id[0] != 0, on_vgw = c->vgw_id[0] != 0;

	if (on_tgw && on_vgw)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
		                     "Specify either a virtual private gateway or a transit "
		                     "gateway, not both.");
	if (o->tunnel_inside_ipv6 && !on_tgw)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "TunnelInsideIpVersion ipv6 is only supported for VPN "
		                     "connections on a transit gateway.");
	if (o->enable_acceleration && !on_tgw)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Acceleration is only supported for VPN connections on a "
		                     "transit gateway.");
	if (o->tunnel_bandwidth == MODEL_BANDWIDTH_LARGE && on_vgw)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "TunnelBandwidth large is only supported for VPN connections "
		                     "on a transit gateway or Cloud WAN.");
	if (o->outside_ip_type == MODEL_OUTSIDE_PRIVATE_IPV4) {
		if (!o->transport_attachment_id[0])
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			                     "TransportTransitGatewayAttachmentId is required when "
			                     "OutsideIpAddressType is PrivateIpv4.");
		if (o->enable_acceleration)
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			                     "Acceleration is not supported with "
			                     "OutsideIpAddressType PrivateIpv4.");
	} else if (o->transport_attachment_id[0]) {
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
		                     "TransportTransitGatewayAttachmentId is only valid with "
		                     "OutsideIpAddressType PrivateIpv4.");
	}
	return E_OK;
}

static result_t check_networks(const struct model_vpn_options *o, struct model_err *e)
{
	if (o->local_ipv4_cidr.addr.family != AF_INET || o->remote_ipv4_cidr.addr.family != AF_INET)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "LocalIpv4NetworkCidr and RemoteIpv4NetworkCidr must be IPv4 "
		                     "CIDR blocks.");
	if (o->local_ipv6_cidr.addr.family != AF_INET6 ||
	    o->remote_ipv6_cidr.addr.family != AF_INET6)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "LocalIpv6NetworkCidr and RemoteIpv6NetworkCidr must be IPv6 "
		                     "CIDR blocks.");
	return E_OK;
}

static result_t check_tunnels(const struct model_vpn_connection *c, bool cgw_has_ip,
                              struct model_err *e)
{
	struct model_tunnel_ctx ctx = {cgw_has_ip, c->opt.enable_acceleration};
	const struct model_tunnel_options *a = &c->tunnels[0].opt, *b = &c->tunnels[1].opt;

	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		const struct model_tunnel_options *t = &c->tunnels[i].opt;

		GUARD(model_tunnel_options_validate(t, &ctx, e));
		if (t->has_inside_ipv6 && !c->opt.tunnel_inside_ipv6)
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			                     "TunnelInsideIpv6Cidr can only be specified when "
			                     "TunnelInsideIpVersion is ipv6.");
	}
	if (a->inside_cidr.addr.family && prefix_equal(&a->inside_cidr, &b->inside_cidr))
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The two tunnels of a VPN connection must use different "
		                     "inside CIDR blocks.");
	if (a->has_inside_ipv6 && b->has_inside_ipv6 &&
	    prefix_equal(&a->inside_ipv6_cidr, &b->inside_ipv6_cidr))
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The two tunnels of a VPN connection must use different "
		                     "inside IPv6 CIDR blocks.");
	return E_OK;
}

RESULT model_vpn_validate(const struct model_vpn_connection *c, bool cgw_has_ip,
                          struct model_err *e)
{
	GUARD(check_gateway_options(c, e));
	GUARD(check_networks(&c->opt, e));
	return check_tunnels(c, cgw_has_ip, e);
}

/* used[0..n) plus the CIDRs this connection already has, on the heap (n may be large). */
static result_t used_with_own(const struct model_vpn_connection *c, bool v6,
                              const struct prefix *used, size_t n, struct prefix **out,
                              size_t *nout)
{
	struct prefix *all = calloc(n + MODEL_VPN_TUNNELS, sizeof(*all));
	size_t k = 0;

	if (!all)
		return E_NOMEM;
	if (n)
		memcpy(all, used, n * sizeof(*all));
	k = n;
	for (size_t j = 0; j < MODEL_VPN_TUNNELS; j++) {
		const struct model_tunnel_options *t = &c->tunnels[j].opt;

		if (!v6 && t->inside_cidr.addr.family)
			all[k++] = t->inside_cidr;
		if (v6 && t->has_inside_ipv6)
			all[k++] = t->inside_ipv6_cidr;
	}
	*out = all;
	*nout = k;
	return E_OK;
}

static result_t fill_cidrs(struct model_vpn_connection *c, bool v6, const struct prefix *used,
                           size_t n)
{
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		struct model_tunnel_options *t = &c->tunnels[i].opt;
		struct prefix *all = NULL;
		size_t nall = 0;
		result_t rc;

		if (v6 ? t->has_inside_ipv6 : t->inside_cidr.addr.family != 0)
			continue;
		/* The other tunnel's block counts as used, so the two always differ. */
		GUARD(used_with_own(c, v6, used, n, &all, &nall));
		if (v6) {
			rc = model_inside_ipv6_cidr_allocate(all, nall, &t->inside_ipv6_cidr);
			t->has_inside_ipv6 = rc == E_OK;
		} else {
			rc = model_inside_cidr_allocate(all, nall, &t->inside_cidr);
		}
		free(all);
		GUARD(rc);
	}
	return E_OK;
}

RESULT model_vpn_fill_generated(struct model_vpn_connection *c, const struct prefix *used_v4,
                                size_t n4, const struct prefix *used_v6, size_t n6)
{
	struct model_tunnel_options *a = &c->tunnels[0].opt, *b = &c->tunnels[1].opt;

	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		struct model_tunnel_options *t = &c->tunnels[i].opt;

		if (t->psk[0])
			continue;
		do {
			GUARD(model_psk_generate(t->psk));
			/* Two equal 32-character random keys will not happen, but the rule is
			 * cheap to keep: the tunnels' generated PSKs differ (claim 22). */
		} while (a->psk[0] && b->psk[0] && strcmp(a->psk, b->psk) == 0);
	}
	/* Each tunnel has a /30 even on IPv6 connections (G:894). */
	GUARD(fill_cidrs(c, false, used_v4, n4));
	if (c->opt.tunnel_inside_ipv6)
		GUARD(fill_cidrs(c, true, used_v6, n6));
	return E_OK;
}

int model_vpn_tunnel_by_outside(const struct model_vpn_connection *c, const char *outside)
{
	struct addr a;

	if (addr_parse(outside, &a) != E_OK)
		return -1;
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		if (c->tunnels[i].outside_ip.family && addr_equal(&c->tunnels[i].outside_ip, &a))
			return (int)i;
	return -1;
}

void model_vpn_tunnel_build(const struct model_vpn_connection *c, unsigned index,
                            const struct addr *cgw_ip, struct model_tunnel *out)
{
	const struct model_vpn_tunnel *t = &c->tunnels[index == 2 ? 1 : 0];

	memset(out, 0, sizeof(*out));
	snprintf(out->vpn_id, sizeof(out->vpn_id), "%s", c->id);
	out->index = index == 2 ? 2 : 1;
	out->outside_local = t->outside_ip;
	if (cgw_ip)
		out->outside_remote = *cgw_ip;
	if (c->opt.tunnel_inside_ipv6) {
		out->local_net = c->opt.local_ipv6_cidr;
		out->remote_net = c->opt.remote_ipv6_cidr;
	} else {
		out->local_net = c->opt.local_ipv4_cidr;
		out->remote_net = c->opt.remote_ipv4_cidr;
	}
	out->opt = t->opt;
}

RESULT model_vpn_route_add(struct model_vpn_connection *c, const struct prefix *p)
{
	for (size_t i = 0; i < c->nroutes; i++)
		if (prefix_equal(&c->routes[i].cidr, p))
			return E_EXISTS;
	if (c->nroutes >= MODEL_VPN_ROUTES_MAX)
		return E_RANGE;
	c->routes[c->nroutes].cidr = *p;
	c->routes[c->nroutes].state = MODEL_VPN_AVAILABLE;
	c->nroutes++;
	return E_OK;
}

RESULT model_vpn_route_del(struct model_vpn_connection *c, const struct prefix *p)
{
	for (size_t i = 0; i < c->nroutes; i++) {
		if (!prefix_equal(&c->routes[i].cidr, p))
			continue;
		memmove(&c->routes[i], &c->routes[i + 1],
		        (c->nroutes - i - 1) * sizeof(c->routes[0]));
		c->nroutes--;
		return E_OK;
	}
	return E_NOTFOUND;
}
