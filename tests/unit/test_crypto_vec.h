/*
 * test_crypto_vec.h - reading the published vectors (the JSON files of ../shared/spec/vectors) for
 * the crypto unit tests. Include after test.h. Values are lowercase hex strings.
 */
#ifndef GH_TEST_CRYPTO_VEC_H
#define GH_TEST_CRYPTO_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/secret.h"

/* A decoded hex value; big enough for an 8192-bit MODP value or a test packet. */
struct vec_bytes {
	uint8_t b[2048];
	size_t n;
};

/* The parsed file, or NULL (the caller CHECKs it). Free with json_object_put. */
static inline struct json_object *vec_load(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "vectors/%s", name);
	return json_object_from_file(test_spec_path(rel));
}

static inline struct json_object *vec_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static inline const char *vec_str(struct json_object *o, const char *key)
{
	struct json_object *v = vec_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static inline long long vec_int(struct json_object *o, const char *key)
{
	struct json_object *v = vec_get(o, key);

	return v ? json_object_get_int64(v) : -1;
}

/* Decode the hex string under key; false when missing or malformed. */
static inline bool vec_hex(struct json_object *o, const char *key, struct vec_bytes *out)
{
	const char *s = vec_str(o, key);

	out->n = 0;
	return s && hex_decode(s, out->b, sizeof(out->b), &out->n) == E_OK;
}

/* a || b into out; false when it does not fit. */
static inline bool vec_cat(struct vec_bytes *out, const struct vec_bytes *a,
			   const struct vec_bytes *b)
{
	if (a->n + b->n > sizeof(out->b))
		return false;
	memmove(out->b, a->b, a->n);
	memcpy(out->b + a->n, b->b, b->n);
	out->n = a->n + b->n;
	return true;
}

#endif
