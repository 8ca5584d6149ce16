/*
 * store/store.h - the resource store: one SQLite database in the data directory.
 *
 * Durability: the database runs in WAL mode with synchronous=FULL, so a transaction that
 * store_commit() returned E_OK for survives kill -9 and power loss. The API commits before it
 * answers, so nothing a client saw acknowledged is lost.
 *
 * Model: every resource is one row {id, type, state, ref1, ref2, created, next transition, doc}.
 * `doc` is a JSON document (json-c text) with the type's own attributes; ref1/ref2 are indexed
 * references used for "in use" checks and joins. Conventions per type:
 *
 *   type              id prefix  ref1                 ref2            doc
 *   customer-gateway  cgw-       -                    -               CGW attributes
 *   vpn-gateway       vgw-       -                    -               VGW attributes
 *   vpc               vpc-       -                    -               {cidrBlock, ...}
 *   route-table       rtb-       vpc id               -               routes, propagation
 *   vpc-attachment    (vgw/vpc)  vpn gateway id       vpc id          {}
 *   vpn-connection    vpn-       customer gateway id  vgw or tgw id   model_vpn_to_json()
 *
 * Tags live in their own table keyed by (resource id, key).
 *
 * Timed state transitions: a row may carry {next_state, next_ms} (wall-clock ms). When the time
 * comes, store_tick() moves the row to next_state (pending -> available, deleting -> deleted,
 * attaching -> attached, ...). Reaching "deleted" or "detached" schedules a purge after the
 * retention time; a purge removes the row and its tags. Transitions are persisted, so a restart
 * resumes them. store_attach_loop() drives store_tick() from an ev timer armed at the earliest
 * pending transition.
 *
 * Writes outside an API request (the engine recording tunnel status, say) wrap themselves in
 * store_begin/store_commit; the API dispatcher already does that around every handler.
 *
 * Threads: a store is used by the event-loop thread only. Errors: E_STORE for SQLite failures
 * (logged with the SQLite message), E_NOTFOUND, E_EXISTS (duplicate id), E_STORE_SCHEMA.
 */
#ifndef GH_STORE_STORE_H
#define GH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct ev_loop;
struct store;

#define STORE_ID_MAX 64
#define STORE_TYPE_MAX 32
#define STORE_STATE_MAX 32
#define STORE_ID_HEX_DIGITS 17 /* "cgw-" + 17 lower-case hex digits, like EC2 */
#define STORE_SCHEMA_VERSION 1
#define STORE_DB_FILE "gatehouse.db"
#define STORE_PURGE "-" /* next_state value meaning "remove the row" */

/* Resource type names (also the EC2 ResourceType used by tags). */
#define STORE_T_CGW "customer-gateway"
#define STORE_T_VGW "vpn-gateway"
#define STORE_T_VPC "vpc"
#define STORE_T_RTB "route-table"
#define STORE_T_ATTACH "vpc-attachment"
#define STORE_T_VPN "vpn-connection"

struct store_timing {
	uint64_t pending_ms;           /* pending -> available, attaching -> attached, ... */
	uint64_t deleted_retention_ms; /* how long "deleted" rows stay visible */
};
#define STORE_PENDING_MS_DEFAULT 2000
#define STORE_DELETED_RETENTION_MS_DEFAULT 300000

struct store_res {
	char id[STORE_ID_MAX];
	char type[STORE_TYPE_MAX];
	char state[STORE_STATE_MAX];
	char ref1[STORE_ID_MAX];
	char ref2[STORE_ID_MAX];
	int64_t created_ms;               /* wall clock */
	char next_state[STORE_STATE_MAX]; /* "" = none, STORE_PURGE = remove */
	int64_t next_ms;                  /* wall clock; 0 = none */
	char *doc;                        /* JSON text, malloc'd, owned; may be NULL */
};

struct store_tag {
	char *key;
	char *value;
};

struct store_tags {
	struct store_tag *v;
	size_t n;
};

/* Open (creating if needed) DIR/gatehouse.db; creates DIR (0700) when missing. */
RESULT store_open(const char *dir, struct store **out);
void store_close(struct store *st);

void store_set_timing(struct store *st, const struct store_timing *t);
const struct store_timing *store_timing(const struct store *st);

/* Transactions: one per API request. store_commit re-arms the transition timer. */
RESULT store_begin(struct store *st);
RESULT store_commit(struct store *st);
void store_rollback(struct store *st);

/* A fresh id "<prefix>-" + 17 hex digits from the CSPRNG, not yet used in the store. */
RESULT store_id_new(struct store *st, const char *prefix, char out[STORE_ID_MAX]);

/* Resources. store_res_get fills *out (free with store_res_fini); E_NOTFOUND when absent. */
void store_res_init(struct store_res *r, const char *type, const char *id, const char *state);
void store_res_fini(struct store_res *r);
RESULT store_res_set_doc(struct store_res *r, const char *json);
/* Schedule a transition of r (in memory; insert/update persists it). */
void store_res_schedule(const struct store *st, struct store_res *r, const char *next_state,
                        uint64_t delay_ms);
RESULT store_res_insert(struct store *st, const struct store_res *r);
RESULT store_res_get(struct store *st, const char *id, struct store_res *out);
RESULT store_res_update(struct store *st, const struct store_res *r);
RESULT store_res_remove(struct store *st, const char *id);

/* Calls cb for each row of `type` (ordered by id), optionally only those with ref1/ref2 equal
 * to the given value (NULL = any). cb's r is valid during the call only. A non-E_OK result from
 * cb stops the walk and is returned. */
typedef result_t (*store_res_cb)(void *arg, const struct store_res *r);
RESULT store_res_foreach(struct store *st, const char *type, const char *ref1, const char *ref2,
                         store_res_cb cb, void *arg);
/* Count rows of `type` with ref1/ref2 (NULL = any) whose state is one of `states`
 * (NULL-terminated; NULL = any state). */
RESULT store_res_count(struct store *st, const char *type, const char *ref1, const char *ref2,
                       const char *const *states, size_t *out);

/* Tags. */
RESULT store_tags_get(struct store *st, const char *id, struct store_tags *out);
void store_tags_fini(struct store_tags *t);
const char *store_tags_find(const struct store_tags *t, const char *key);
RESULT store_tag_put(struct store *st, const char *id, const char *key, const char *value);
/* Delete key (only when its value equals `value`, unless value is NULL). */
RESULT store_tag_del(struct store *st, const char *id, const char *key, const char *value);
RESULT store_tag_del_all(struct store *st, const char *id);
typedef result_t (*store_tag_cb)(void *arg, const char *id, const char *type, const char *key,
                                 const char *value);
/* Every tag of every resource, ordered by (resource id, key). */
RESULT store_tags_foreach(struct store *st, store_tag_cb cb, void *arg);

/* Apply every transition due at now_ms in one transaction; *next_ms gets the earliest one still
 * pending (0 = none). The transition callback sees each row after its change. */
typedef void (*store_transition_cb)(void *arg, const struct store_res *r, const char *old_state);
void store_set_transition_cb(struct store *st, store_transition_cb cb, void *arg);
RESULT store_tick(struct store *st, int64_t now_ms, int64_t *next_ms);
/* Drive store_tick from an ev timer on `loop` (the loop's thread). */
RESULT store_attach_loop(struct store *st, struct ev_loop *loop);

/* Wall-clock milliseconds (what created_ms/next_ms use). */
int64_t store_now_ms(void);

#endif
