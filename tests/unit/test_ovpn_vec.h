/*
 * test_ovpn_vec.h - read vectors/openvpn-vectors.json for the ovpn unit tests.
 */
#ifndef GH_TEST_OVPN_VEC_H
#define GH_TEST_OVPN_VEC_H

#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "lib/secret.h"
#include "test.h"

static struct json_object *ovpn_vec_root(void)
{
	static struct json_object *root;
	if (!root)
		root = json_object_from_file(test_spec_path("vectors/openvpn-vectors.json"));
	return root;
}

__attribute__((destructor)) static void ovpn_vec_free(void)
{
	json_object_put(ovpn_vec_root());
}

/* The object of list `list` whose "name" starts with `name`, or NULL. */
static struct json_object *ovpn_vec_find(const char *list, const char *name)
{
	struct json_object *arr, *o, *n;
	if (!ovpn_vec_root() || !json_object_object_get_ex(ovpn_vec_root(), list, &arr))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(o, "name", &n) &&
		    strncmp(json_object_get_string(n), name, strlen(name)) == 0)
			return o;
	}
	return NULL;
}

static const char *ovpn_vec_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Hex field `key` of o into out; returns the length (0 on any failure). */
static size_t ovpn_vec_hex(struct json_object *o, const char *key, uint8_t *out, size_t cap)
{
	const char *s = ovpn_vec_str(o, key);
	size_t n = 0;
	if (!s || hex_decode(s, out, cap, &n) != E_OK)
		return 0;
	return n;
}

#endif
