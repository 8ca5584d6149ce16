/*
 * engine/engine.c - the engine's core: running tunnels, the diff of engine_apply (validate ->
 * diff -> apply), the tunnel status, and route preference. IKE and the data plane are reached
 * only through the backend table (engine_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "lib/log.h"
#include "lib/secret.h"

uint32_t engine_route_metric(bool healthy, uint32_t priority)
{
	/* site-to-site.md 4.2 B.2: "The health of a tunnel endpoint takes precedence over other
	 * routing attributes"; then the lower priority (MED-like). Longest prefix is the kernel's
	 * own first rule. Which tunnel gets the prefix's one route: kroute.c. */
	if (priority > ENGINE_ROUTE_PRIORITY_MAX)
		priority = ENGINE_ROUTE_PRIORITY_MAX;
	return (healthy ? 0 : ENGINE_METRIC_UNHEALTHY) + priority;
}

void engine_tunnel_name(const struct engine_tunnel *t, char *buf, size_t cap)
{
	char a[ADDR_STRLEN];

	addr_format(&t->ct.t.outside_local, a);
	snprintf(buf, cap, "%s tunnel %u (%s)", t->ct.t.vpn_id, t->ct.t.index, a);
}

/* Give the data plane every route of the tunnel it does not have yet (it has none before the
 * tunnel's data-plane tunnel exists), then re-select the kernel routes (kroute.c). */
static void routes_sync(struct engine *e, struct engine_tunnel *t)
{
	for (size_t i = 0; i < t->ct.nroutes; i++)
		if (!t->route_on[i])
			t->route_on[i] = e->be->route_add(e, t, &t->ct.routes[i]) == E_OK;
	engine_kroutes_select(e);
}

/* Withdraw the tunnel's candidates: the kernel routes move to another tunnel (or go) before
 * the data-plane paths are removed. */
static void routes_clear(struct engine *e, struct engine_tunnel *t)
{
	bool on[CONF_ROUTES_MAX];

	memcpy(on, t->route_on, sizeof(on));
	memset(t->route_on, 0, sizeof(t->route_on));
	engine_kroutes_select(e);
	for (size_t i = 0; i < t->ct.nroutes; i++)
		if (on[i])
			e->be->route_del(e, t, &t->ct.routes[i]);
}

void engine_tunnel_set_status(struct engine_tunnel *t, bool ike_up, const char *msg)
{
	char name[96];
	bool was = t->up;

	t->ike_up = ike_up;
	/* J:25, G:5455: UP only with the IKE SA and a CHILD SA (IKE reports both as one). */
	t->up = ike_up;
	snprintf(t->msg, sizeof(t->msg), "%s", msg ? msg : "");
	if (was == t->up && t->last_change_s)
		return;
	t->last_change_s = (int64_t)time(NULL);
	engine_tunnel_name(t, name, sizeof(name));
	log_info("engine", "%s: %s%s%s", name, t->up ? "UP" : "DOWN", t->msg[0] ? ": " : "",
	         t->msg);
	if (!t->stopping)
		routes_sync(t->e, t);
}

static struct engine_tunnel *tunnel_find(const struct engine *e, const char *vpn_id, unsigned index)
{
	for (struct engine_tunnel *t = e->tunnels; t; t = t->next)
		if (t->ct.t.index == index && strcmp(t->ct.t.vpn_id, vpn_id) == 0)
			return t;
	return NULL;
}

static result_t tunnel_add(struct engine *e, const struct conf_tunnel *ct)
{
	struct engine_tunnel *t = calloc(1, sizeof(*t));
	char name[96];

	if (!t)
		return E_NOMEM;
	t->e = e;
	t->ct = *ct;
	t->next = e->tunnels;
	e->tunnels = t;
	e->ntunnels++;
	/* DOWN until IKE reports (routes follow once the backend has a data-plane tunnel). */
	t->stopping = true;
	engine_tunnel_set_status(t, false,
	                         ct->t.opt.startup_action == MODEL_STARTUP_START
	                             ? "initiating"
	                             : "waiting for the customer gateway to initiate");
	t->stopping = false;
	if (e->be->tunnel_start(e, t) != E_OK) {
		engine_tunnel_name(t, name, sizeof(name));
		log_err("engine", "%s: cannot start: %s", name, t->msg);
	}
	routes_sync(e, t);
	return E_OK;
}

static void tunnel_remove(struct engine *e, struct engine_tunnel *t)
{
	struct engine_tunnel **pp = &e->tunnels;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	e->ntunnels--;
	t->stopping = true;
	routes_clear(e, t);
	e->be->tunnel_stop(e, t);
	secret_wipe(t, sizeof(*t));
	free(t);
}

/* Route r is also in the new list (same prefix and priority) at an index not taken yet. */
static int route_kept(const struct conf_route *r, const struct conf_tunnel *ct, const bool *taken)
{
	for (size_t j = 0; j < ct->nroutes; j++)
		if (!taken[j] && ct->routes[j].priority == r->priority &&
		    prefix_equal(&ct->routes[j].prefix, &r->prefix))
			return (int)j;
	return -1;
}

/* Same IKE and addresses, other routes: keep the SAs and the routes that stay (no kernel route
 * churn for them), withdraw the ones that go, add the new ones. */
static void tunnel_update_routes(struct engine *e, struct engine_tunnel *t,
                                 const struct conf_tunnel *ct)
{
	bool kept[CONF_ROUTES_MAX] = {0}, gone[CONF_ROUTES_MAX] = {0};

	for (size_t i = 0; i < t->ct.nroutes; i++) {
		int j = route_kept(&t->ct.routes[i], ct, kept);

		if (j >= 0 && t->route_on[i])
			kept[j] = true;
		else if (t->route_on[i])
			gone[i] = true;
		t->route_on[i] = j >= 0 && t->route_on[i];
	}
	engine_kroutes_select(e);
	for (size_t i = 0; i < t->ct.nroutes; i++)
		if (gone[i])
			e->be->route_del(e, t, &t->ct.routes[i]);
	memcpy(t->ct.routes, ct->routes, sizeof(ct->routes));
	t->ct.nroutes = ct->nroutes;
	memcpy(t->route_on, kept, sizeof(kept));
	routes_sync(e, t);
}

RESULT engine_apply(struct engine *e, const struct conf *c)
{
	struct engine_tunnel *t, *next;
	size_t added = 0, removed = 0, restarted = 0, rerouted = 0;
	result_t rc = E_OK;

	/* Gone or changed: stop first, so a restarted tunnel can reuse its addresses. */
	for (t = e->tunnels; t; t = next) {
		const struct conf_tunnel *want = conf_tunnel_find(c, t->ct.t.vpn_id, t->ct.t.index);

		next = t->next;
		if (!want) {
			tunnel_remove(e, t);
			removed++;
		} else if (!conf_tunnel_same_ike(&t->ct, want)) {
			tunnel_remove(e, t);
			restarted++;
		} else if (!conf_tunnel_equal(&t->ct, want)) {
			tunnel_update_routes(e, t, want);
			rerouted++;
		}
	}
	for (size_t i = 0; c && i < c->ntunnels; i++) {
		if (tunnel_find(e, c->tunnels[i].t.vpn_id, c->tunnels[i].t.index))
			continue;
		if (tunnel_add(e, &c->tunnels[i]) != E_OK)
			rc = E_NOMEM;
		else
			added++;
	}
	added -= restarted;
	log_info("engine",
	         "configuration applied: %zu tunnels (%zu added, %zu removed, "
	         "%zu restarted, %zu with new routes)",
	         e->ntunnels, added, removed, restarted, rerouted);
	return rc;
}

RESULT engine_new_backend(struct ev_loop *loop, const struct engine_options *opt,
                          const struct engine_backend *be, void *be_state, const struct conf *c,
                          struct engine **out)
{
	struct engine *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e) {
		if (be->fini) {
			struct engine tmp = {.be_state = be_state};
			be->fini(&tmp);
		}
		return E_NOMEM;
	}
	e->loop = loop;
	if (opt)
		e->opt = *opt;
	if (!e->opt.tun_prefix[0])
		memcpy(e->opt.tun_prefix, "gh", 3);
	e->be = be;
	e->be_state = be_state;
	*out = e;
	return c ? engine_apply(e, c) : E_OK;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->tunnels)
		tunnel_remove(e, e->tunnels);
	engine_kroutes_clear(e);
	if (e->be->fini)
		e->be->fini(e);
	free(e);
}

RESULT engine_tunnel_status(const struct engine *e, const char *vpn_id, unsigned index,
                            struct engine_tunnel_status *out)
{
	const struct engine_tunnel *t = tunnel_find(e, vpn_id, index);

	memset(out, 0, sizeof(*out));
	if (!t)
		return E_NOTFOUND;
	out->up = t->up;
	out->ike_up = t->ike_up;
	out->last_status_change_s = t->last_change_s;
	memcpy(out->status_message, t->msg, sizeof(out->status_message));
	out->outside_local = t->ct.t.outside_local;
	for (size_t i = 0; i < t->ct.nroutes; i++)
		out->accepted_route_count += t->route_on[i];
	if (e->be->stats)
		e->be->stats(e, t, out);
	return E_OK;
}

RESULT engine_tunnel_rekey_child(struct engine *e, const char *vpn_id, unsigned index)
{
	struct engine_tunnel *t = tunnel_find(e, vpn_id, index);

	return t ? e->be->rekey(e, t, false) : E_NOTFOUND;
}

RESULT engine_tunnel_rekey_ike(struct engine *e, const char *vpn_id, unsigned index)
{
	struct engine_tunnel *t = tunnel_find(e, vpn_id, index);

	return t ? e->be->rekey(e, t, true) : E_NOTFOUND;
}

size_t engine_tunnel_count(const struct engine *e)
{
	return e->ntunnels;
}
