/*
 * route.h - longest-prefix-match table: IPv4 and IPv6 prefixes -> tunnel handles.
 *
 * A path-compressed binary trie per address family (in the manner of WireGuard's allowedips):
 * each node holds a prefix; a node's children extend it by at least one bit; nodes without
 * routes exist only where two branches part. A prefix may carry up to ROUTE_MAX_PATHS
 * (tunnel, priority) entries, kept in ascending priority, so a caller can fall back to the
 * next tunnel when the first has no usable SA (AWS: two tunnels per connection).
 *
 * Threads: not thread-safe. The data plane publishes read-only copies (route_table_clone)
 * through an atomic pointer; readers only call route_lookup on a table nobody modifies.
 * Errors: E_INVAL (bad prefix), E_EXISTS, E_NOTFOUND, E_RANGE (too many paths), E_NOMEM.
 */
#ifndef GH_ROUTE_ROUTE_H
#define GH_ROUTE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

#define ROUTE_MAX_PATHS 4

struct route_path {
	uint32_t tunnel;   /* data-plane tunnel handle */
	uint32_t priority; /* lower wins */
};

struct route_entry {
	struct prefix prefix;
	unsigned npaths;
	struct route_path paths[ROUTE_MAX_PATHS]; /* ascending priority */
};

struct route_table;

RESULT route_table_new(struct route_table **out);
void route_table_free(struct route_table *t);
/* A deep copy (for read-copy-update publication). */
RESULT route_table_clone(const struct route_table *t, struct route_table **out);

/* Add a path for the prefix (host bits are cleared). E_EXISTS if that tunnel already has a
 * path for the exact prefix. */
RESULT route_add(struct route_table *t, const struct prefix *p, uint32_t tunnel,
		 uint32_t priority);
/* Remove the tunnel's path for the exact prefix. */
RESULT route_remove(struct route_table *t, const struct prefix *p, uint32_t tunnel);
/* Remove every path through the tunnel; returns how many were removed. */
size_t route_remove_tunnel(struct route_table *t, uint32_t tunnel);

/* The most specific entry containing the address, or NULL. Thread-safe on a table nobody
 * modifies; no allocation. */
const struct route_entry *route_lookup(const struct route_table *t, const struct addr *a);
/* The entry for exactly this prefix, or NULL. */
const struct route_entry *route_find(const struct route_table *t, const struct prefix *p);
size_t route_count(const struct route_table *t); /* prefixes with at least one path */
/* Call cb for every entry (IPv4 first, then IPv6; shorter prefixes before longer ones on a
 * path). The table must not change during the walk. */
void route_walk(const struct route_table *t, void (*cb)(void *arg, const struct route_entry *e),
		void *arg);

#endif
