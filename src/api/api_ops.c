/*
 * api/api_ops.c - the dispatch table {Action, handler}, built from the X-macro lists.
 */
#include <string.h>

#include "api/api_handlers.h"

static const struct api_op api_ops[] = {
#define API_OP(name, fn) {name, fn},
#define API_ROUTE_SOURCE(fn)
#include "api/api_ops.def"
#include "api/api_vpn_ops.def"
#undef API_OP
#undef API_ROUTE_SOURCE
};

const struct api_op *api_op_find(const char *action)
{
	size_t i;

	for (i = 0; i < sizeof(api_ops) / sizeof(api_ops[0]); i++)
		if (strcmp(api_ops[i].action, action) == 0)
			return &api_ops[i];
	return NULL;
}
