/*
 * fuzz/fuzz_model_vpn_json.c - model_vpn_from_json (the store's VPN connection documents).
 * Anything accepted must encode again and decode to the same document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/vpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model_vpn_connection c, d;
	char *a = NULL, *b = NULL;

	if (model_vpn_from_json((const char *)data, size, &c) != E_OK)
		return 0;
	if (model_vpn_to_json(&c, &a) != E_OK)
		abort();
	if (model_vpn_from_json(a, strlen(a), &d) != E_OK || model_vpn_to_json(&d, &b) != E_OK ||
	    strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	return 0;
}
