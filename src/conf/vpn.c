/*
 * conf/vpn.c - the API's VPN connections into the same configuration model the file gives
 * (one configuration model): each connection becomes its two conf tunnels, so the daemon hands
 * the engine one struct conf (file tunnels + stored connections) and engine_apply diffs it.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/secret.h"
#include "model/vpn.h"

static void pool_add(struct conf *c, const struct addr *a)
{
	for (size_t i = 0; i < c->npool; i++)
		if (addr_equal(&c->pool[i], a))
			return;
	if (c->npool < CONF_POOL_MAX)
		c->pool[c->npool++] = *a;
}

RESULT conf_add_vpn(struct conf *c, const struct model_vpn_connection *v, const struct addr *cgw_ip)
{
	struct conf_tunnel *nt;

	if (c->ntunnels + MODEL_VPN_TUNNELS > CONF_TUNNELS_MAX)
		return E_RANGE;
	nt = realloc(c->tunnels, (c->ntunnels + MODEL_VPN_TUNNELS) * sizeof(*nt));
	if (!nt)
		return E_NOMEM;
	c->tunnels = nt;
	for (unsigned idx = 1; idx <= MODEL_VPN_TUNNELS; idx++) {
		struct conf_tunnel *ct = &c->tunnels[c->ntunnels++];

		conf_tunnel_defaults(ct);
		model_vpn_tunnel_build(v, idx, cgw_ip, &ct->t);
		pool_add(c, &ct->t.outside_local);
		if (!v->opt.static_routes_only)
			continue; /* dynamic (BGP) connections learn their routes */
		for (size_t r = 0; r < v->nroutes && ct->nroutes < CONF_ROUTES_MAX; r++) {
			if (v->routes[r].state == MODEL_VPN_DELETING ||
			    v->routes[r].state == MODEL_VPN_DELETED)
				continue;
			ct->routes[ct->nroutes].prefix = v->routes[r].cidr;
			/* Distinct kernel metrics per tunnel; tunnel 1 preferred when both UP. */
			ct->routes[ct->nroutes++].priority = CONF_ROUTE_PRIORITY_DEFAULT + idx - 1;
		}
	}
	return E_OK;
}

RESULT conf_new_empty(struct conf **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? E_OK : E_NOMEM;
}
