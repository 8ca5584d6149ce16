/*
 * route.c - path-compressed binary trie for longest-prefix match.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route/route.h"

struct route_node {
	struct route_node *child[2];
	struct route_entry e; /* e.npaths == 0: a branch point only */
};

struct route_table {
	struct route_node *root4, *root6;
	size_t count;
};

static unsigned key_bit(const uint8_t *k, unsigned i)
{
	return (k[i >> 3] >> (7 - (i & 7))) & 1;
}

/* Number of leading bits (at most max) on which a and b agree. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned i = 0;

	while (i + 8 <= max && a[i >> 3] == b[i >> 3])
		i += 8;
	while (i < max && key_bit(a, i) == key_bit(b, i))
		i++;
	return i;
}

static bool node_covers(const struct route_node *n, const uint8_t *k)
{
	return common_bits(n->e.prefix.addr.bytes, k, n->e.prefix.len) == n->e.prefix.len;
}

static struct route_node **table_root(struct route_table *t, uint8_t family)
{
	return family == AF_INET6 ? &t->root6 : &t->root4;
}

static const struct route_node *table_root_c(const struct route_table *t, uint8_t family)
{
	return family == AF_INET6 ? t->root6 : t->root4;
}

RESULT route_table_new(struct route_table **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? E_OK : E_NOMEM;
}

static void node_free(struct route_node *n)
{
	if (!n)
		return;
	node_free(n->child[0]);
	node_free(n->child[1]);
	free(n);
}

void route_table_free(struct route_table *t)
{
	if (!t)
		return;
	node_free(t->root4);
	node_free(t->root6);
	free(t);
}

static RESULT node_clone(const struct route_node *n, struct route_node **out)
{
	*out = NULL;
	if (!n)
		return E_OK;
	*out = malloc(sizeof(**out));
	if (!*out)
		return E_NOMEM;
	**out = *n;
	(*out)->child[0] = (*out)->child[1] = NULL;
	GUARD(node_clone(n->child[0], &(*out)->child[0]));
	return node_clone(n->child[1], &(*out)->child[1]);
}

RESULT route_table_clone(const struct route_table *t, struct route_table **out)
{
	struct route_table *c = NULL;
	result_t rc;

	GUARD(route_table_new(&c));
	c->count = t->count;
	GUARD_OUT(rc, node_clone(t->root4, &c->root4));
	GUARD_OUT(rc, node_clone(t->root6, &c->root6));
	*out = c;
	return E_OK;
out:
	route_table_free(c);
	return rc;
}

static RESULT prefix_check(const struct prefix *p, struct prefix *norm)
{
	if ((p->addr.family != AF_INET && p->addr.family != AF_INET6) ||
	    p->len > addr_bits(&p->addr))
		return E_INVAL;
	*norm = *p;
	prefix_normalize(norm);
	return E_OK;
}

static struct route_node *node_new(const struct prefix *p)
{
	struct route_node *n = calloc(1, sizeof(*n));

	if (n) {
		n->e.prefix = *p;
		prefix_normalize(&n->e.prefix);
	}
	return n;
}

/* Find or create the node for exactly prefix p. */
static RESULT node_get(struct route_table *t, const struct prefix *p, struct route_node **out)
{
	struct route_node **link = table_root(t, p->addr.family), *n, *fresh, *branch;
	const uint8_t *k = p->addr.bytes;
	unsigned c;
	struct prefix bp;

	while ((n = *link) && n->e.prefix.len <= p->len && node_covers(n, k)) {
		if (n->e.prefix.len == p->len) {
			*out = n;
			return E_OK;
		}
		link = &n->child[key_bit(k, n->e.prefix.len)];
	}
	if (!(fresh = node_new(p)))
		return E_NOMEM;
	if (!n) {
		*link = fresh;
		*out = fresh;
		return E_OK;
	}
	c = common_bits(k, n->e.prefix.addr.bytes, p->len < n->e.prefix.len ? p->len
									   : n->e.prefix.len);
	if (c == p->len) { /* the new prefix contains n */
		fresh->child[key_bit(n->e.prefix.addr.bytes, c)] = n;
		*link = fresh;
		*out = fresh;
		return E_OK;
	}
	bp = *p;
	bp.len = (uint8_t)c;
	if (!(branch = node_new(&bp))) {
		free(fresh);
		return E_NOMEM;
	}
	branch->child[key_bit(k, c)] = fresh;
	branch->child[key_bit(n->e.prefix.addr.bytes, c)] = n;
	*link = branch;
	*out = fresh;
	return E_OK;
}

RESULT route_add(struct route_table *t, const struct prefix *p, uint32_t tunnel,
		 uint32_t priority)
{
	struct prefix np;
	struct route_node *n;
	unsigned i;

	GUARD(prefix_check(p, &np));
	GUARD(node_get(t, &np, &n));
	for (i = 0; i < n->e.npaths; i++)
		if (n->e.paths[i].tunnel == tunnel)
			return E_EXISTS;
	if (n->e.npaths == ROUTE_MAX_PATHS)
		return E_RANGE; /* an empty node just made is never full */
	i = n->e.npaths;
	while (i > 0 && n->e.paths[i - 1].priority > priority) {
		n->e.paths[i] = n->e.paths[i - 1];
		i--;
	}
	n->e.paths[i] = (struct route_path){tunnel, priority};
	if (n->e.npaths++ == 0)
		t->count++;
	return E_OK;
}

/* Splice out routeless nodes with fewer than two children along the path to p. */
static void node_prune(struct route_node **link)
{
	struct route_node *n = *link;

	if (!n)
		return;
	node_prune(&n->child[0]);
	node_prune(&n->child[1]);
	if (n->e.npaths == 0 && (!n->child[0] || !n->child[1])) {
		*link = n->child[0] ? n->child[0] : n->child[1];
		free(n);
	}
}

static void entry_drop_path(struct route_entry *e, unsigned i)
{
	memmove(&e->paths[i], &e->paths[i + 1], (e->npaths - i - 1) * sizeof(e->paths[0]));
	e->npaths--;
}

RESULT route_remove(struct route_table *t, const struct prefix *p, uint32_t tunnel)
{
	struct prefix np;
	struct route_node **link, *n;

	GUARD(prefix_check(p, &np));
	link = table_root(t, np.addr.family);
	while ((n = *link) && n->e.prefix.len <= np.len && node_covers(n, np.addr.bytes)) {
		if (n->e.prefix.len == np.len) {
			for (unsigned i = 0; i < n->e.npaths; i++) {
				if (n->e.paths[i].tunnel != tunnel)
					continue;
				entry_drop_path(&n->e, i);
				if (n->e.npaths == 0) {
					t->count--;
					node_prune(table_root(t, np.addr.family));
				}
				return E_OK;
			}
			return E_NOTFOUND;
		}
		link = &n->child[key_bit(np.addr.bytes, n->e.prefix.len)];
	}
	return E_NOTFOUND;
}

static size_t node_remove_tunnel(struct route_node *n, uint32_t tunnel, size_t *emptied)
{
	size_t removed = 0;

	if (!n)
		return 0;
	for (unsigned i = 0; i < n->e.npaths; i++) {
		if (n->e.paths[i].tunnel == tunnel) {
			entry_drop_path(&n->e, i);
			removed++;
			if (n->e.npaths == 0)
				(*emptied)++;
			break;
		}
	}
	return removed + node_remove_tunnel(n->child[0], tunnel, emptied) +
	       node_remove_tunnel(n->child[1], tunnel, emptied);
}

size_t route_remove_tunnel(struct route_table *t, uint32_t tunnel)
{
	size_t emptied = 0;
	size_t n = node_remove_tunnel(t->root4, tunnel, &emptied) +
		   node_remove_tunnel(t->root6, tunnel, &emptied);

	t->count -= emptied;
	node_prune(&t->root4);
	node_prune(&t->root6);
	return n;
}

const struct route_entry *route_lookup(const struct route_table *t, const struct addr *a)
{
	const struct route_node *n = table_root_c(t, a->family), *best = NULL;
	unsigned bits = addr_bits(a);

	while (n && node_covers(n, a->bytes)) {
		if (n->e.npaths)
			best = n;
		if (n->e.prefix.len >= bits)
			break;
		n = n->child[key_bit(a->bytes, n->e.prefix.len)];
	}
	return best ? &best->e : NULL;
}

const struct route_entry *route_find(const struct route_table *t, const struct prefix *p)
{
	struct prefix np;
	const struct route_node *n;

	if (prefix_check(p, &np) != E_OK)
		return NULL;
	n = table_root_c(t, np.addr.family);
	while (n && n->e.prefix.len <= np.len && node_covers(n, np.addr.bytes)) {
		if (n->e.prefix.len == np.len)
			return n->e.npaths ? &n->e : NULL;
		n = n->child[key_bit(np.addr.bytes, n->e.prefix.len)];
	}
	return NULL;
}

size_t route_count(const struct route_table *t)
{
	return t->count;
}

static void node_walk(const struct route_node *n,
		      void (*cb)(void *arg, const struct route_entry *e), void *arg)
{
	if (!n)
		return;
	if (n->e.npaths)
		cb(arg, &n->e);
	node_walk(n->child[0], cb, arg);
	node_walk(n->child[1], cb, arg);
}

void route_walk(const struct route_table *t, void (*cb)(void *arg, const struct route_entry *e),
		void *arg)
{
	node_walk(t->root4, cb, arg);
	node_walk(t->root6, cb, arg);
}
