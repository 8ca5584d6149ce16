/*
 * api/api_vgw.h - lookups on customer and virtual private gateways for other operations
 * (the VPN-connection handlers, route tables). Event-loop thread, inside a request's
 * transaction.
 */
#ifndef GH_API_VGW_H
#define GH_API_VGW_H

#include <stdbool.h>

#include "store/store.h"

/* The VPC a VGW is attaching/attached/detaching to ("" when none) and that state. */
RESULT api_vgw_attached_vpc(struct store *st, const char *vgw_id, char vpc[STORE_ID_MAX],
                            char state[STORE_STATE_MAX]);
/* True when the VGW is attaching or attached to that VPC. */
RESULT api_vgw_is_attached_to(struct store *st, const char *vgw_id, const char *vpc_id,
                              bool *attached);

#endif
