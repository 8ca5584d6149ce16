/*
 * engine/kroute.c - the kernel routes of the customer prefixes: ONE route per prefix, into the
 * TUN device of the preferred tunnel, re-pointed when health changes.
 *
 * Two tunnels of one connection (or of two connections) routing the same prefix are
 * candidates for it. Installing a route per tunnel at the same metric does not work: the
 * kernel refuses the second (EEXIST) and the first stays even when its tunnel dies. So the
 * engine keeps per prefix the route it installed (struct engine_kroute) and, after every
 * change of health or of the routes, points it at the best candidate:
 *
 *   1. a healthy (UP) tunnel first   - site-to-site.md 4.2 B.2, "The health of a tunnel
 *                                      endpoint takes precedence over other routing attributes"
 *   2. the lower route priority      - MED-like, 4.2 B.3
 *   3. the lower tunnel index        - G:319: AWS "prefers one of the tunnels, but can
 *                                      automatically fail over" (then the connection id)
 *
 * (Longest prefix, 4.2 B.1, is the kernel's own rule across prefixes.) The metric still says
 * health and priority (engine_route_metric), so a route of a DOWN tunnel sorts after any other
 * path the host has. Same metric: `ip route replace` re-points it in one step; a new metric:
 * the new route is added before the old one is deleted (make before break).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/log.h"

/* True when candidate a (route ra of tunnel ta) is preferred over b. */
static bool kroute_better(const struct engine_tunnel *ta, const struct conf_route *ra,
                          const struct engine_tunnel *tb, const struct conf_route *rb)
{
	int c;

	if (ta->up != tb->up)
		return ta->up;
	if (ra->priority != rb->priority)
		return ra->priority < rb->priority;
	if (ta->ct.t.index != tb->ct.t.index)
		return ta->ct.t.index < tb->ct.t.index;
	c = strcmp(ta->ct.t.vpn_id, tb->ct.t.vpn_id);
	return c < 0;
}

/* The best candidate for prefix p (NULL: none). */
static const struct engine_tunnel *kroute_best(const struct engine *e, const struct prefix *p,
                                               const struct conf_route **route)
{
	const struct engine_tunnel *best = NULL;

	*route = NULL;
	for (const struct engine_tunnel *t = e->tunnels; t; t = t->next) {
		if (t->stopping)
			continue;
		for (size_t i = 0; i < t->ct.nroutes; i++) {
			const struct conf_route *r = &t->ct.routes[i];

			if (!t->route_on[i] || !prefix_equal(&r->prefix, p))
				continue;
			if (!best || kroute_better(t, r, best, *route)) {
				best = t;
				*route = r;
			}
		}
	}
	return best;
}

static struct engine_kroute *kroute_find(struct engine *e, const struct prefix *p)
{
	for (size_t i = 0; i < e->nkroutes; i++)
		if (prefix_equal(&e->kroutes[i].prefix, p))
			return &e->kroutes[i];
	return NULL;
}

static struct engine_kroute *kroute_new(struct engine *e, const struct prefix *p)
{
	if (e->nkroutes == e->kroutes_cap) {
		size_t cap = e->kroutes_cap ? e->kroutes_cap * 2 : 8;
		struct engine_kroute *v = realloc(e->kroutes, cap * sizeof(*v));

		if (!v)
			return NULL;
		e->kroutes = v;
		e->kroutes_cap = cap;
	}
	memset(&e->kroutes[e->nkroutes], 0, sizeof(e->kroutes[0]));
	e->kroutes[e->nkroutes].prefix = *p;
	return &e->kroutes[e->nkroutes++];
}

static void kroute_drop(struct engine *e, struct engine_kroute *k)
{
	char pf[PREFIX_STRLEN];

	prefix_format(&k->prefix, pf);
	e->be->kroute_del(e, k->dev, &k->prefix, k->metric);
	log_info("engine", "route %s: removed (no tunnel routes it)", pf);
	*k = e->kroutes[--e->nkroutes];
}

/* Point prefix p at tunnel t (route r). A new entry when installed is NULL. */
static void kroute_point(struct engine *e, struct engine_kroute *k, const struct engine_tunnel *t,
                         const struct conf_route *r)
{
	uint32_t m = engine_route_metric(t->up, r->priority);
	char via[sizeof(k->via)], pf[PREFIX_STRLEN];
	unsigned dev = 0;

	snprintf(via, sizeof(via), "%s tunnel %u", t->ct.t.vpn_id, t->ct.t.index);
	if (k->dev && k->metric == m && strcmp(k->via, via) == 0)
		return;
	prefix_format(&r->prefix, pf);
	if (e->be->kroute_set(e, t, &r->prefix, m, &dev) != E_OK) {
		log_err("engine", "route %s: cannot point it at %s (metric %u)", pf, via, m);
		return;
	}
	/* Make before break: the old route goes only once the new one is in. */
	if (k->dev && k->metric != m)
		e->be->kroute_del(e, k->dev, &k->prefix, k->metric);
	log_info("engine", "route %s: via %s (%s, metric %u)%s%s", pf, via, t->up ? "UP" : "DOWN",
	         m, k->dev ? ", was via " : "", k->dev ? k->via : "");
	k->dev = dev;
	k->metric = m;
	memcpy(k->via, via, sizeof(k->via));
}

void engine_kroutes_select(struct engine *e)
{
	/* Installed prefixes: re-point or remove. */
	for (size_t i = 0; i < e->nkroutes;) {
		struct engine_kroute *k = &e->kroutes[i];
		const struct conf_route *r;
		const struct engine_tunnel *t = kroute_best(e, &k->prefix, &r);

		if (!t) {
			kroute_drop(e, k); /* the last entry moved to i */
			continue;
		}
		kroute_point(e, k, t, r);
		i++;
	}
	/* Prefixes not installed yet. */
	for (const struct engine_tunnel *t = e->tunnels; t; t = t->next) {
		for (size_t i = 0; !t->stopping && i < t->ct.nroutes; i++) {
			const struct conf_route *r = NULL;
			const struct engine_tunnel *best;
			struct engine_kroute *k;

			if (!t->route_on[i] || kroute_find(e, &t->ct.routes[i].prefix))
				continue;
			best = kroute_best(e, &t->ct.routes[i].prefix, &r);
			k = kroute_new(e, &t->ct.routes[i].prefix);
			if (!k) {
				log_err("engine", "out of memory for a kernel route");
				return;
			}
			kroute_point(e, k, best, r);
			if (!k->dev) /* not installed: try again at the next change */
				e->nkroutes--;
		}
	}
}

void engine_kroutes_clear(struct engine *e)
{
	while (e->nkroutes)
		kroute_drop(e, &e->kroutes[e->nkroutes - 1]);
	free(e->kroutes);
	e->kroutes = NULL;
	e->kroutes_cap = 0;
}
