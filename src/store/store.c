/*
 * store/store.c - opening the database, schema, transactions, ids, the transition timer.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secret.h"

/* Schema version 1. Bump STORE_SCHEMA_VERSION and add a migration step for any change. */
static const char *const store_schema_v1[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS resources ("
     " id TEXT PRIMARY KEY, type TEXT NOT NULL, state TEXT NOT NULL,"
     " ref1 TEXT NOT NULL DEFAULT '', ref2 TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL, next_state TEXT NOT NULL DEFAULT '',"
     " next_ms INTEGER NOT NULL DEFAULT 0, doc TEXT)"),
    "CREATE INDEX IF NOT EXISTS resources_type ON resources(type, id)",
    "CREATE INDEX IF NOT EXISTS resources_ref1 ON resources(ref1)",
    "CREATE INDEX IF NOT EXISTS resources_ref2 ON resources(ref2)",
    "CREATE INDEX IF NOT EXISTS resources_next ON resources(next_ms) WHERE next_ms > 0",
    ("CREATE TABLE IF NOT EXISTS tags (resource_id TEXT NOT NULL, key TEXT NOT NULL,"
     " value TEXT NOT NULL, PRIMARY KEY (resource_id, key))"),
};

result_t store_sql_fail(struct store *st, const char *what)
{
	log_err("store", "%s: %s", what, st->db ? sqlite3_errmsg(st->db) : "no database");
	return E_STORE;
}

RESULT store_prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_sql_fail(st, "prepare");
	return E_OK;
}

RESULT store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("store", "%s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return E_STORE;
	}
	return E_OK;
}

void store_bind_text(sqlite3_stmt *s, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, idx);
}

void store_copy_col(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static RESULT store_schema(struct store *st)
{
	sqlite3_stmt *s = NULL;
	result_t rc = E_OK;
	int version = 0;
	size_t i;

	GUARD(store_exec(st, "BEGIN IMMEDIATE"));
	for (i = 0; i < sizeof(store_schema_v1) / sizeof(store_schema_v1[0]); i++)
		GUARD_OUT(rc, store_exec(st, store_schema_v1[i]));
	GUARD_OUT(rc, store_prepare(st, "SELECT value FROM meta WHERE key='schema_version'", &s));
	if (sqlite3_step(s) == SQLITE_ROW)
		version = atoi((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	s = NULL;
	if (version == 0) {
		GUARD_OUT(rc, store_exec(st, "INSERT INTO meta VALUES ('schema_version', '1')"));
		version = STORE_SCHEMA_VERSION;
	}
	if (version != STORE_SCHEMA_VERSION) {
		log_err("store", "database schema version %d, this build supports %d", version,
		        STORE_SCHEMA_VERSION);
		rc = E_STORE_SCHEMA;
		goto out;
	}
	rc = store_exec(st, "COMMIT");
out:
	if (rc != E_OK)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * The database holds secrets (pre-shared keys, imported private keys): create it 0600 before
 * SQLite opens it; SQLite gives its -wal and -shm files the main file's mode.
 */
static RESULT store_db_file_prepare(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		log_err("store", "cannot open %s: %s", path, strerror(errno));
		return E_SYSTEM;
	}
	if (fchmod(fd, 0600) != 0)
		log_warn("store", "cannot restrict %s to 0600: %s", path, strerror(errno));
	close(fd);
	return E_OK;
}

RESULT store_open(const char *dir, struct store **out)
{
	struct store *st;
	char path[4096];
	result_t rc = E_OK;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_err("store", "cannot create data directory %s: %s", dir, strerror(errno));
		return E_SYSTEM;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_FILE) >= sizeof(path))
		return E_RANGE;
	st = calloc(1, sizeof(*st));
	if (!st)
		return E_NOMEM;
	st->timing.pending_ms = STORE_PENDING_MS_DEFAULT;
	st->timing.deleted_retention_ms = STORE_DELETED_RETENTION_MS_DEFAULT;
	ev_timer_init(&st->timer, NULL, st);
	GUARD_OUT(rc, store_db_file_prepare(path));
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = store_sql_fail(st, path);
		goto out;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* WAL + synchronous=FULL: a committed transaction is on disk before COMMIT returns. */
	GUARD_OUT(rc, store_exec(st, "PRAGMA journal_mode=WAL"));
	GUARD_OUT(rc, store_exec(st, "PRAGMA synchronous=FULL"));
	GUARD_OUT(rc, store_schema(st));
	log_info("store", "opened %s (schema %d)", path, STORE_SCHEMA_VERSION);
	*out = st;
	return E_OK;
out:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->loop)
		ev_timer_cancel(st->loop, &st->timer);
	if (st->db)
		sqlite3_close(st->db);
	free(st);
}

void store_set_timing(struct store *st, const struct store_timing *t)
{
	st->timing = *t;
}

const struct store_timing *store_timing(const struct store *st)
{
	return &st->timing;
}

RESULT store_begin(struct store *st)
{
	GUARD(store_exec(st, "BEGIN IMMEDIATE"));
	st->in_tx = true;
	return E_OK;
}

RESULT store_commit(struct store *st)
{
	result_t rc = store_exec(st, "COMMIT");

	if (rc != E_OK) {
		store_rollback(st);
		return rc;
	}
	st->in_tx = false;
	store_rearm(st);
	return E_OK;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
}

RESULT store_id_new(struct store *st, const char *prefix, char out[STORE_ID_MAX])
{
	uint8_t rnd[9];
	char hex[19];
	struct store_res probe;
	int tries;
	result_t rc;

	for (tries = 0; tries < 8; tries++) {
		GUARD(secret_random(rnd, sizeof(rnd)));
		hex_encode(rnd, sizeof(rnd), hex);
		hex[STORE_ID_HEX_DIGITS] = 0; /* 17 of the 18 digits */
		snprintf(out, STORE_ID_MAX, "%s-%s", prefix, hex);
		rc = store_res_get(st, out, &probe);
		if (rc == E_NOTFOUND)
			return E_OK;
		if (rc != E_OK)
			return rc;
		store_res_fini(&probe);
	}
	return E_EXISTS;
}

void store_set_transition_cb(struct store *st, store_transition_cb cb, void *arg)
{
	st->transition_cb = cb;
	st->transition_arg = arg;
}

static void store_timer_cb(struct ev_timer *t)
{
	struct store *st = t->arg;
	int64_t next = 0;

	if (store_tick(st, store_now_ms(), &next) != E_OK)
		log_warn("store", "applying state transitions failed; retrying");
	store_rearm(st);
}

static RESULT store_next_due(struct store *st, int64_t *next)
{
	sqlite3_stmt *s = NULL;

	*next = 0;
	GUARD(store_prepare(st, "SELECT MIN(next_ms) FROM resources WHERE next_ms > 0", &s));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*next = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return E_OK;
}

void store_rearm(struct store *st)
{
	int64_t next = 0, now;

	if (!st->loop)
		return;
	if (store_next_due(st, &next) != E_OK) {
		ev_timer_arm(st->loop, &st->timer, 1000);
		return;
	}
	if (next == 0) {
		ev_timer_cancel(st->loop, &st->timer);
		return;
	}
	now = store_now_ms();
	ev_timer_arm(st->loop, &st->timer, next > now ? (uint64_t)(next - now) : 0);
}

RESULT store_attach_loop(struct store *st, struct ev_loop *loop)
{
	st->loop = loop;
	ev_timer_init(&st->timer, store_timer_cb, st);
	store_rearm(st);
	return E_OK;
}
