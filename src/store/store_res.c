/*
 * store/store_res.c - resource rows and their timed state transitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "store/store_int.h"

#define STORE_RES_COLS "id, type, state, ref1, ref2, created_ms, next_state, next_ms, doc"
#define STORE_TICK_MAX 10000 /* transitions applied per tick; the rest wait for the next */

void store_res_init(struct store_res *r, const char *type, const char *id, const char *state)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->type, sizeof(r->type), "%s", type ? type : "");
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
	snprintf(r->state, sizeof(r->state), "%s", state ? state : "");
	r->created_ms = store_now_ms();
}

void store_res_fini(struct store_res *r)
{
	free(r->doc);
	r->doc = NULL;
}

RESULT store_res_set_doc(struct store_res *r, const char *json)
{
	char *d = NULL;

	if (json) {
		d = strdup(json);
		if (!d)
			return E_NOMEM;
	}
	free(r->doc);
	r->doc = d;
	return E_OK;
}

void store_res_schedule(const struct store *st, struct store_res *r, const char *next_state,
                        uint64_t delay_ms)
{
	(void)st;
	snprintf(r->next_state, sizeof(r->next_state), "%s", next_state ? next_state : "");
	r->next_ms = next_state ? store_now_ms() + (int64_t)delay_ms : 0;
}

static void store_res_bind(sqlite3_stmt *s, const struct store_res *r)
{
	store_bind_text(s, 1, r->id);
	store_bind_text(s, 2, r->type);
	store_bind_text(s, 3, r->state);
	store_bind_text(s, 4, r->ref1);
	store_bind_text(s, 5, r->ref2);
	sqlite3_bind_int64(s, 6, r->created_ms);
	store_bind_text(s, 7, r->next_state);
	sqlite3_bind_int64(s, 8, r->next_ms);
	store_bind_text(s, 9, r->doc);
}

/* Fill r from a row selected with STORE_RES_COLS (r->doc is borrowed when !copy_doc). */
static RESULT store_res_read(sqlite3_stmt *s, struct store_res *r)
{
	const unsigned char *doc;

	memset(r, 0, sizeof(*r));
	store_copy_col(s, 0, r->id, sizeof(r->id));
	store_copy_col(s, 1, r->type, sizeof(r->type));
	store_copy_col(s, 2, r->state, sizeof(r->state));
	store_copy_col(s, 3, r->ref1, sizeof(r->ref1));
	store_copy_col(s, 4, r->ref2, sizeof(r->ref2));
	r->created_ms = sqlite3_column_int64(s, 5);
	store_copy_col(s, 6, r->next_state, sizeof(r->next_state));
	r->next_ms = sqlite3_column_int64(s, 7);
	doc = sqlite3_column_text(s, 8);
	return store_res_set_doc(r, (const char *)doc);
}

RESULT store_res_insert(struct store *st, const struct store_res *r)
{
	sqlite3_stmt *s = NULL;
	int rc;

	GUARD(store_prepare(st,
	                    "INSERT INTO resources (" STORE_RES_COLS ") VALUES "
	                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                    &s));
	store_res_bind(s, r);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return E_EXISTS;
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, "insert resource");
	return E_OK;
}

RESULT store_res_get(struct store *st, const char *id, struct store_res *out)
{
	sqlite3_stmt *s = NULL;
	result_t rc = E_NOTFOUND;

	memset(out, 0, sizeof(*out));
	GUARD(store_prepare(st, "SELECT " STORE_RES_COLS " FROM resources WHERE id = ?1", &s));
	store_bind_text(s, 1, id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = store_res_read(s, out);
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = store_sql_fail(st, "get resource");
	}
	sqlite3_finalize(s);
	return rc;
}

RESULT store_res_update(struct store *st, const struct store_res *r)
{
	sqlite3_stmt *s = NULL;
	int rc;

	GUARD(
	    store_prepare(st,
	                  "UPDATE resources SET type = ?2, state = ?3, ref1 = ?4, ref2 = ?5,"
	                  " created_ms = ?6, next_state = ?7, next_ms = ?8, doc = ?9 WHERE id = ?1",
	                  &s));
	store_res_bind(s, r);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, "update resource");
	return sqlite3_changes(st->db) == 1 ? E_OK : E_NOTFOUND;
}

RESULT store_res_remove(struct store *st, const char *id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	GUARD(store_tag_del_all(st, id));
	GUARD(store_prepare(st, "DELETE FROM resources WHERE id = ?1", &s));
	store_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, "remove resource");
	return E_OK;
}

RESULT store_res_foreach(struct store *st, const char *type, const char *ref1, const char *ref2,
                         store_res_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_res r;
	result_t rc = E_OK;
	int step;

	GUARD(store_prepare(st,
	                    "SELECT " STORE_RES_COLS " FROM resources WHERE type = ?1"
	                    " AND (?2 IS NULL OR ref1 = ?2) AND (?3 IS NULL OR ref2 = ?3)"
	                    " ORDER BY id",
	                    &s));
	store_bind_text(s, 1, type);
	store_bind_text(s, 2, ref1);
	store_bind_text(s, 3, ref2);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		GUARD_OUT(rc, store_res_read(s, &r));
		rc = cb(arg, &r);
		store_res_fini(&r);
		if (rc != E_OK)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = store_sql_fail(st, "list resources");
out:
	sqlite3_finalize(s);
	return rc;
}

RESULT store_res_count(struct store *st, const char *type, const char *ref1, const char *ref2,
                       const char *const *states, size_t *out)
{
	sqlite3_stmt *s = NULL;
	result_t rc = E_OK;
	size_t i;
	int step;

	*out = 0;
	GUARD(store_prepare(st,
	                    "SELECT state FROM resources WHERE type = ?1"
	                    " AND (?2 IS NULL OR ref1 = ?2) AND (?3 IS NULL OR ref2 = ?3)",
	                    &s));
	store_bind_text(s, 1, type);
	store_bind_text(s, 2, ref1);
	store_bind_text(s, 3, ref2);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(s, 0);
		bool hit = !states;

		for (i = 0; states && states[i] && !hit; i++)
			hit = state && strcmp(state, states[i]) == 0;
		if (hit)
			(*out)++;
	}
	if (step != SQLITE_DONE)
		rc = store_sql_fail(st, "count resources");
	sqlite3_finalize(s);
	return rc;
}

/* One due transition: the earliest row with next_ms <= now. */
static RESULT store_tick_one(struct store *st, int64_t now_ms, bool *done)
{
	sqlite3_stmt *s = NULL;
	struct store_res r;
	char old[STORE_STATE_MAX];
	result_t rc;
	int step;

	*done = false;
	GUARD(store_prepare(st,
	                    "SELECT " STORE_RES_COLS " FROM resources WHERE next_ms > 0"
	                    " AND next_ms <= ?1 ORDER BY next_ms LIMIT 1",
	                    &s));
	sqlite3_bind_int64(s, 1, now_ms);
	step = sqlite3_step(s);
	if (step != SQLITE_ROW) {
		sqlite3_finalize(s);
		*done = true;
		return step == SQLITE_DONE ? E_OK : store_sql_fail(st, "due transitions");
	}
	rc = store_res_read(s, &r);
	sqlite3_finalize(s);
	GUARD(rc);
	if (strcmp(r.next_state, STORE_PURGE) == 0 || r.next_state[0] == 0) {
		log_debug("store", "%s: purged", r.id);
		rc = store_res_remove(st, r.id);
		goto out;
	}
	snprintf(old, sizeof(old), "%s", r.state);
	snprintf(r.state, sizeof(r.state), "%s", r.next_state);
	if (strcmp(r.state, "deleted") == 0 || strcmp(r.state, "detached") == 0)
		store_res_schedule(st, &r, STORE_PURGE, st->timing.deleted_retention_ms);
	else
		store_res_schedule(st, &r, NULL, 0);
	GUARD_OUT(rc, store_res_update(st, &r));
	log_info("store", "%s: %s -> %s", r.id, old, r.state);
	if (st->transition_cb)
		st->transition_cb(st->transition_arg, &r, old);
out:
	store_res_fini(&r);
	return rc;
}

RESULT store_tick(struct store *st, int64_t now_ms, int64_t *next_ms)
{
	result_t rc = E_OK;
	bool done = false;
	int n;

	*next_ms = 0;
	GUARD(store_begin(st));
	for (n = 0; n < STORE_TICK_MAX && !done; n++)
		GUARD_OUT(rc, store_tick_one(st, now_ms, &done));
	rc = store_commit(st);
	return rc;
out:
	store_rollback(st);
	return rc;
}
