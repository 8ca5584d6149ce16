/*
 * api/api_vpn_engine.c - the stored connections as the engine's desired tunnels
 * (struct conf_tunnel, conf/conf.h): one configuration model for the API and the file.
 */
#include "api/api_vpn.h"

#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/secret.h"

struct conf_walk {
	struct store *st;
	struct conf_tunnel *v;
	size_t n, cap;
	struct model_vpn_connection *tmp;
};

static result_t conf_grow(struct conf_walk *w)
{
	size_t ncap = w->cap ? 2 * w->cap : 8;
	struct conf_tunnel *nv;

	if (w->n + MODEL_VPN_TUNNELS <= w->cap)
		return E_OK;
	nv = calloc(ncap, sizeof(*nv));
	if (!nv)
		return E_NOMEM;
	if (w->n)
		memcpy(nv, w->v, w->n * sizeof(*nv));
	secret_wipe(w->v, w->cap * sizeof(*w->v));
	free(w->v);
	w->v = nv;
	w->cap = ncap;
	return E_OK;
}

static result_t conf_cb(void *arg, const struct store_res *r)
{
	struct conf_walk *w = arg;
	struct model_vpn_connection *c = w->tmp;
	struct devcfg_peer p;

	if ((strcmp(r->state, "pending") != 0 && strcmp(r->state, "available") != 0) || !r->doc ||
	    model_vpn_from_json(r->doc, strlen(r->doc), c) != E_OK)
		return E_OK;
	api_vpn_peer_st(w->st, c, &p);
	GUARD(conf_grow(w));
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct conf_tunnel *ct = &w->v[w->n++];

		memset(ct, 0, sizeof(*ct));
		model_vpn_tunnel_build(c, i, &p.cgw_ip, &ct->t);
		/* Static routes of a static VGW connection reach the customer through both tunnels
		 * (G:2575); BGP connections learn theirs. */
		for (size_t k = 0; c->opt.static_routes_only && c->vgw_id[0] && k < c->nroutes &&
		                   k < CONF_ROUTES_MAX;
		     k++) {
			ct->routes[ct->nroutes].prefix = c->routes[k].cidr;
			ct->routes[ct->nroutes].priority = CONF_ROUTE_PRIORITY_DEFAULT;
			ct->nroutes++;
		}
	}
	return E_OK;
}

RESULT api_vpn_conf_tunnels(struct store *st, struct conf_tunnel **out, size_t *n)
{
	struct conf_walk w = {st, NULL, 0, 0, malloc(sizeof(struct model_vpn_connection))};
	result_t rc;

	*out = NULL;
	*n = 0;
	if (!w.tmp)
		return E_NOMEM;
	rc = store_res_foreach(st, STORE_T_VPN, NULL, NULL, conf_cb, &w);
	model_vpn_wipe(w.tmp);
	free(w.tmp);
	if (rc != E_OK) {
		secret_wipe(w.v, w.cap * sizeof(*w.v));
		free(w.v);
		return rc;
	}
	*out = w.v;
	*n = w.n;
	return E_OK;
}
