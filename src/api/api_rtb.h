/* api/api_rtb.h - route-table pieces used by the VPC operations. Event-loop thread. */
#ifndef GH_API_RTB_H
#define GH_API_RTB_H

#include "api/api_req.h"

/* The main route table of a new VPC, with the local route to its CIDR. */
RESULT api_rtb_create_main(struct api_req *rq, const char *vpc_id, const char *vpc_cidr);
/* Remove every route table of a VPC (with their tags). */
RESULT api_rtb_delete_for_vpc(struct api_req *rq, const char *vpc_id);

#endif
