/*
 * cvpn/cvpn_ops.h - the Client VPN EC2 operations (ec2-api.md 5, "Client VPN ...") and the
 * minimal subnet model they need. The handlers are api_handler_fn (api/api_req.h) registered
 * with one API_OP line each in api/api_ops.def.
 *
 * Storage: one store row per endpoint, type CVPN_T_ENDPOINT, id cvpn-endpoint-<17 hex>, state =
 * the endpoint status, ref1 = the VPC id, doc = cvpn_endpoint_to_json() (associations, rules,
 * routes, connections and the CRL live inside the document). Subnets are rows of type
 * CVPN_T_SUBNET (ref1 = VPC id, doc {cidrBlock, availabilityZone}).
 *
 * Threads: the event-loop thread, inside the dispatcher's store transaction.
 */
#ifndef GH_CVPN_OPS_H
#define GH_CVPN_OPS_H

#include "api/api_req.h"
#include "cvpn/cvpn.h"

#define CVPN_T_ENDPOINT "client-vpn-endpoint"
#define CVPN_T_SUBNET "subnet"
#define CVPN_NOTFOUND "InvalidClientVpnEndpointId.NotFound"

/* The store row <-> model (cvpn_store.c), without an API request: load by id (E_NOTFOUND
 * when absent, purged or not an endpoint; E_PARSE for a bad document), parse a row already
 * read (e is re-initialised), save (doc, state, ref1). Expired connection records are dropped
 * on load. row must be released with store_res_fini, e with cvpn_endpoint_fini. */
RESULT cvpn_store_load(struct store *st, const char *id, struct store_res *row,
                       struct cvpn_endpoint *e);
RESULT cvpn_store_parse(const struct store_res *row, struct cvpn_endpoint *e);
RESULT cvpn_store_save(struct store *st, struct store_res *row, const struct cvpn_endpoint *e);

/* Load an endpoint (CVPN_NOTFOUND when absent or purged). row is kept for cvpn_ops_save. */
RESULT cvpn_ops_load(struct api_req *rq, struct api_resp *rs, const char *id, struct store_res *row,
                     struct cvpn_endpoint *e);
/* The ClientVpnEndpointId parameter, then cvpn_ops_load. */
RESULT cvpn_ops_load_param(struct api_req *rq, struct api_resp *rs, struct store_res *row,
                           struct cvpn_endpoint *e);
/* One operation's working state: the endpoint row (for cvpn_ops_save) and its model. */
struct cvpn_op {
	struct cvpn_endpoint e;
	struct store_res r;
};
typedef RESULT (*cvpn_op_fn)(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op);
typedef RESULT (*cvpn_op_filtered_fn)(struct api_req *rq, struct api_resp *rs, struct cvpn_op *op,
                                      struct api_filters *f);
void cvpn_op_init(struct cvpn_op *op);
void cvpn_op_fini(struct cvpn_op *op);
/* fn with a fresh op, released on every path. */
result_t cvpn_op_run(struct api_req *rq, struct api_resp *rs, cvpn_op_fn fn);
/* The same, with filters fn may parse into (a Describe...), also released. */
result_t cvpn_op_run_filtered(struct api_req *rq, struct api_resp *rs, cvpn_op_filtered_fn fn);
/* Write e back into row (doc and state) and update the store. */
RESULT cvpn_ops_save(struct api_req *rq, struct store_res *row, const struct cvpn_endpoint *e);
/* A model validation error as the EC2 error (E_API); other results pass through. */
result_t cvpn_ops_fail(struct api_resp *rs, result_t rc, const struct cvpn_verr *err);
/* hex SHA-256 of the request parameters except Action, Version, ClientToken and DryRun: what
 * "same parameters" means for ClientToken idempotency. */
RESULT cvpn_ops_params_hash(const struct api_req *rq, char out[65]);
/* An ACM certificate ARN that must exist in this region (InvalidParameterValue otherwise). */
RESULT cvpn_ops_check_cert(struct api_req *rq, struct api_resp *rs, const char *what,
                           const char *arn);
/* "2024-01-02T03:04:05" (the model's string times). */
void cvpn_ops_time(int64_t ms, char buf[32]);
/* <status><code>..</code></status> */
void cvpn_ops_xml_status(struct xml *x, const char *elem, const char *code);
/* A VPC's CIDR (InvalidVpcID.NotFound). */
RESULT cvpn_ops_vpc_cidr(struct api_req *rq, struct api_resp *rs, const char *vpc_id,
                         struct prefix *out);

#endif
