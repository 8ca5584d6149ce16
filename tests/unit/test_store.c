/*
 * test_store.c - the SQLite store: resources, tags, ids, timed transitions and purge, reopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static result_t count_cb(void *arg, const struct store_res *r)
{
	(void)r;
	(*(int *)arg)++;
	return E_OK;
}

TEST(store_resources_tags_transitions)
{
	char dir[] = "/tmp/gh-store-test-XXXXXX", id[STORE_ID_MAX], path[128];
	static const char *const live[] = {"pending", "available", NULL};
	struct store *st;
	struct store_res r, g;
	struct store_tags t;
	int64_t next = 0, now;
	size_t n = 0;
	int seen = 0;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_OK(store_open(dir, &st));
	CHECK_OK(store_begin(st));
	CHECK_OK(store_id_new(st, "cgw", id));
	CHECK_EQ(strlen(id), 4 + STORE_ID_HEX_DIGITS);
	store_res_init(&r, STORE_T_CGW, id, "pending");
	snprintf(r.ref1, sizeof(r.ref1), "x");
	CHECK_OK(store_res_set_doc(&r, "{\"a\":1}"));
	store_res_schedule(st, &r, "available", 0);
	CHECK_OK(store_res_insert(st, &r));
	CHECK_ERR(store_res_insert(st, &r), E_EXISTS);
	CHECK_OK(store_tag_put(st, id, "Name", "one"));
	CHECK_OK(store_tag_put(st, id, "Name", "two"));
	CHECK_OK(store_commit(st));
	store_res_fini(&r);

	CHECK_OK(store_tags_get(st, id, &t));
	CHECK_EQ(t.n, 1);
	CHECK_STR(store_tags_find(&t, "Name"), "two");
	store_tags_fini(&t);
	CHECK_OK(store_res_count(st, STORE_T_CGW, "x", NULL, live, &n));
	CHECK_EQ(n, 1);

	now = store_now_ms();
	CHECK_OK(store_tick(st, now + 1, &next));
	CHECK_OK(store_res_get(st, id, &g));
	CHECK_STR(g.state, "available");
	CHECK_STR(g.doc, "{\"a\":1}");
	CHECK_EQ(g.next_ms, 0);
	/* deleting -> deleted -> purged after the retention time. */
	snprintf(g.state, sizeof(g.state), "deleting");
	store_res_schedule(st, &g, "deleted", 0);
	CHECK_OK(store_begin(st));
	CHECK_OK(store_res_update(st, &g));
	CHECK_OK(store_commit(st));
	store_res_fini(&g);
	CHECK_OK(store_tick(st, store_now_ms() + 1, &next));
	CHECK_OK(store_res_get(st, id, &g));
	CHECK_STR(g.state, "deleted");
	CHECK_STR(g.next_state, STORE_PURGE);
	store_res_fini(&g);
	store_close(st);

	/* Reopen: the row and its pending purge survived. */
	CHECK_OK(store_open(dir, &st));
	CHECK_OK(store_res_foreach(st, STORE_T_CGW, NULL, NULL, count_cb, &seen));
	CHECK_EQ(seen, 1);
	CHECK_OK(store_tick(st, store_now_ms() + STORE_DELETED_RETENTION_MS_DEFAULT + 1, &next));
	CHECK_ERR(store_res_get(st, id, &g), E_NOTFOUND);
	CHECK_OK(store_tags_get(st, id, &t));
	CHECK_EQ(t.n, 0);
	store_close(st);

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s-wal", dir, STORE_DB_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s-shm", dir, STORE_DB_FILE);
	unlink(path);
	rmdir(dir);
}
