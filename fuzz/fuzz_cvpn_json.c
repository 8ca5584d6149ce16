/*
 * fuzz/fuzz_cvpn_json.c - cvpn_endpoint_from_json (the store's Client VPN endpoint documents).
 * Anything accepted must encode again and decode to the same document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cvpn/cvpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *a = NULL, *b = NULL;
	struct cvpn_endpoint e, f;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)(size > INT32_MAX ? 0 : size));
	json_tokener_free(tok);
	if (cvpn_endpoint_from_json(o, &e) == E_OK) {
		a = cvpn_endpoint_to_json(&e);
		if (cvpn_endpoint_from_json(a, &f) != E_OK)
			abort();
		b = cvpn_endpoint_to_json(&f);
		if (strcmp(json_object_to_json_string(a), json_object_to_json_string(b)) != 0)
			abort();
		cvpn_endpoint_fini(&f);
	}
	cvpn_endpoint_fini(&e);
	json_object_put(o);
	json_object_put(a);
	json_object_put(b);
	return 0;
}
