/*
 * store/store_tags.c - EC2 tags: (resource id, key) -> value.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void store_tags_fini(struct store_tags *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const char *store_tags_find(const struct store_tags *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return t->v[i].value;
	return NULL;
}

static RESULT store_tags_append(struct store_tags *t, const char *key, const char *value)
{
	struct store_tag *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));

	if (!nv)
		return E_NOMEM;
	t->v = nv;
	nv[t->n].key = strdup(key ? key : "");
	nv[t->n].value = strdup(value ? value : "");
	if (!nv[t->n].key || !nv[t->n].value) {
		free(nv[t->n].key);
		free(nv[t->n].value);
		return E_NOMEM;
	}
	t->n++;
	return E_OK;
}

RESULT store_tags_get(struct store *st, const char *id, struct store_tags *out)
{
	sqlite3_stmt *s = NULL;
	result_t rc = E_OK;
	int step;

	out->v = NULL;
	out->n = 0;
	GUARD(store_prepare(st, "SELECT key, value FROM tags WHERE resource_id = ?1 ORDER BY key",
	                    &s));
	store_bind_text(s, 1, id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		GUARD_OUT(rc, store_tags_append(out, (const char *)sqlite3_column_text(s, 0),
		                                (const char *)sqlite3_column_text(s, 1)));
	}
	if (step != SQLITE_DONE)
		rc = store_sql_fail(st, "get tags");
out:
	sqlite3_finalize(s);
	if (rc != E_OK)
		store_tags_fini(out);
	return rc;
}

static RESULT store_tag_stmt(struct store *st, const char *sql, const char *a, const char *b,
                             const char *c)
{
	sqlite3_stmt *s = NULL;
	int rc;

	GUARD(store_prepare(st, sql, &s));
	store_bind_text(s, 1, a);
	store_bind_text(s, 2, b);
	store_bind_text(s, 3, c);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, "tags");
	return E_OK;
}

RESULT store_tag_put(struct store *st, const char *id, const char *key, const char *value)
{
	return store_tag_stmt(st, "INSERT OR REPLACE INTO tags VALUES (?1, ?2, ?3)", id, key,
	                      value ? value : "");
}

RESULT store_tag_del(struct store *st, const char *id, const char *key, const char *value)
{
	return store_tag_stmt(st,
	                      "DELETE FROM tags WHERE resource_id = ?1 AND key = ?2"
	                      " AND (?3 IS NULL OR value = ?3)",
	                      id, key, value);
}

RESULT store_tag_del_all(struct store *st, const char *id)
{
	return store_tag_stmt(st,
	                      "DELETE FROM tags WHERE resource_id = ?1 AND ?2 IS NULL"
	                      " AND ?3 IS NULL",
	                      id, NULL, NULL);
}

RESULT store_tags_foreach(struct store *st, store_tag_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	result_t rc = E_OK;
	int step;

	GUARD(store_prepare(st,
	                    "SELECT t.resource_id, r.type, t.key, t.value FROM tags t"
	                    " JOIN resources r ON r.id = t.resource_id"
	                    " ORDER BY t.resource_id, t.key",
	                    &s));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		rc = cb(arg, (const char *)sqlite3_column_text(s, 0),
		        (const char *)sqlite3_column_text(s, 1),
		        (const char *)sqlite3_column_text(s, 2),
		        (const char *)sqlite3_column_text(s, 3));
		if (rc != E_OK)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = store_sql_fail(st, "list tags");
out:
	sqlite3_finalize(s);
	return rc;
}
