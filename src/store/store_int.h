/* store/store_int.h - internals shared by the store's files. */
#ifndef GH_STORE_INT_H
#define GH_STORE_INT_H

#include <sqlite3.h>

#include "lib/ev.h"
#include "store/store.h"

struct store {
	sqlite3 *db;
	struct store_timing timing;
	store_transition_cb transition_cb;
	void *transition_arg;
	struct ev_loop *loop;
	struct ev_timer timer;
	bool in_tx;
};

/* Log the SQLite error for `what` and return E_STORE. */
result_t store_sql_fail(struct store *st, const char *what);
/* Prepare a statement; E_STORE (logged) on failure. */
RESULT store_prepare(struct store *st, const char *sql, sqlite3_stmt **out);
/* Run a statement without results. */
RESULT store_exec(struct store *st, const char *sql);
/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *s, int idx, const char *v);
void store_copy_col(sqlite3_stmt *s, int col, char *dst, size_t cap);
/* Re-arm the transition timer after a change. */
void store_rearm(struct store *st);

#endif
