/*
 * cvpn/cvpn.h - the Client VPN model (client-vpn.md): endpoints and what hangs off them
 * (target network associations, authorization rules, routes, connections, the CRL), their
 * validation, and their JSON form in the store. Pure C: no I/O, no store, no clock (callers
 * pass times in wall-clock ms).
 *
 * Validation reports the EC2 error code and a message telling the user what to fix in a
 * struct cvpn_verr; the function returns E_CVPN_INVALID (or E_CVPN_CONFLICT for conflicts with
 * existing state: duplicates, overlaps, limits, wrong state). The API handlers
 * (cvpn_ops_*.c) turn that into the EC2 error envelope unchanged.
 *
 * Ownership: every char * in these structs is malloc'd and owned by the struct; release with
 * cvpn_endpoint_fini(). Threads: any, no shared state.
 */
#ifndef GH_CVPN_CVPN_H
#define GH_CVPN_CVPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

struct json_object;

/* Limits, quoted from client-vpn.md. */
#define CVPN_CIDR_PREFIX_MIN 12                 /* B2c: "no larger than /12" */
#define CVPN_CIDR_PREFIX_MAX 22                 /* B2c: "/22 or larger" */
#define CVPN_DNS_SERVERS_MAX 2                  /* B7d */
#define CVPN_PORT_DEFAULT 443                   /* B11 */
#define CVPN_PORT_ALT 1194                      /* B11 */
#define CVPN_SESSION_HOURS_DEFAULT 24           /* B13 */
#define CVPN_BANNER_CHARS_MAX 1400              /* B14 */
#define CVPN_AUTH_OPTIONS_MAX 2                 /* B4e */
#define CVPN_SG_MAX 5                           /* B10b */
#define CVPN_ENDPOINTS_MAX 5                    /* E8: endpoints per region */
#define CVPN_RULES_MAX 50                       /* E8: authorization rules per endpoint */
#define CVPN_ROUTES_MAX 10                      /* E8: routes per endpoint */
#define CVPN_CRL_ENTRIES_MAX 20000              /* E4 */
#define CVPN_TERMINATE_USER_MAX 5               /* E5 */
#define CVPN_CONN_RETENTION_MS (60 * 60 * 1000) /* E5: terminated shown for 60 minutes */
#define CVPN_HANDLER_MSG_MAX 255                /* D26 */
#define CVPN_LAMBDA_NAME_PREFIX "AWSClientVPN-" /* D4 */
#define CVPN_SUBNET_PREFIX_MAX 27               /* E1: "The subnet must be at least /27" */
#define CVPN_DESCRIPTION_MAX 255

#define CVPN_ID_MAX 64
#define CVPN_PREFIX_ENDPOINT "cvpn-endpoint"
#define CVPN_PREFIX_ASSOC "cvpn-assoc"
#define CVPN_PREFIX_CONN "cvpn-connection"
/* A13: the wildcard DNS name. We keep AWS's shape but end in our own domain, which an
 * operator points (wildcard record) at this server; see docs/client-vpn.md. */
#define CVPN_DNS_DOMAIN "gatehouse.internal"

struct cvpn_verr {
	char code[64];
	char msg[384];
};

enum cvpn_status {
	CVPN_ST_PENDING_ASSOCIATE,
	CVPN_ST_AVAILABLE,
	CVPN_ST_DELETING,
	CVPN_ST_DELETED,
};

enum cvpn_transport { CVPN_UDP, CVPN_TCP };

enum cvpn_auth_type {
	CVPN_AUTH_CERTIFICATE,
	CVPN_AUTH_DIRECTORY,
	CVPN_AUTH_FEDERATED,
};

struct cvpn_auth {
	enum cvpn_auth_type type;
	char *client_root_chain_arn; /* certificate-authentication */
	char *directory_id;          /* directory-service-authentication (recorded only) */
	char *saml_provider_arn;     /* federated-authentication (recorded only) */
	char *self_service_saml_provider_arn;
};

/* Idempotency record: the ClientToken and a hash of the other request parameters. */
struct cvpn_token {
	char *token;
	char hash[65];
};

struct cvpn_assoc {
	char id[CVPN_ID_MAX];
	char subnet_id[CVPN_ID_MAX];
	char vpc_id[CVPN_ID_MAX];
	char az[CVPN_ID_MAX];
	struct prefix subnet_cidr;
	struct prefix vpc_cidr;
	int64_t created_ms;
	struct cvpn_token tok;
};

struct cvpn_rule {
	struct prefix dst;
	char *group_id; /* NULL when access_all */
	bool access_all;
	char *description;
	int64_t created_ms;
	struct cvpn_token tok;
};

struct cvpn_route {
	struct prefix dst;
	char target_subnet[CVPN_ID_MAX]; /* subnet id or "local" */
	bool origin_associate;           /* added by an association (not deletable) */
	char *description;
	int64_t created_ms;
	struct cvpn_token tok;
};

enum cvpn_conn_status {
	CVPN_CONN_ACTIVE,
	CVPN_CONN_FAILED_TO_TERMINATE,
	CVPN_CONN_TERMINATING,
	CVPN_CONN_TERMINATED,
};

/* Why a connection ended: the data plane ends a live session the way its record says
 * (TERMINATED: TerminateClientVpnConnections, the client must not come back by itself;
 * RESET: a change that resets connections (C3/C6/A11), the client reconnects; GONE: the
 * client left, timed out or the server stopped). */
enum cvpn_conn_end {
	CVPN_END_NONE,
	CVPN_END_TERMINATED,
	CVPN_END_RESET,
	CVPN_END_GONE,
};

/* A client connection; the data plane fills these in (svc/svc_cvpn.c). */
struct cvpn_conn {
	char id[CVPN_ID_MAX];
	char *common_name;
	char *username;
	char client_ip[ADDR_STRLEN];
	enum cvpn_conn_status status;
	int64_t established_ms;
	int64_t end_ms; /* 0 while open */
	enum cvpn_conn_end end;
	char msg[96]; /* status message (why it ended) */
	uint64_t ingress_bytes, egress_bytes, ingress_packets, egress_packets;
};

struct cvpn_endpoint {
	char id[CVPN_ID_MAX];
	char *description;
	enum cvpn_status status;
	int64_t created_ms;
	int64_t deleted_ms;
	struct prefix client_cidr;
	char *server_cert_arn;
	struct cvpn_auth auth[CVPN_AUTH_OPTIONS_MAX];
	size_t n_auth;
	bool log_enabled;
	char *log_group;
	char *log_stream;
	struct addr dns[CVPN_DNS_SERVERS_MAX];
	size_t n_dns;
	enum cvpn_transport transport;
	uint16_t port;
	bool split_tunnel;
	unsigned session_hours;
	bool disconnect_on_session_timeout;
	bool banner_enabled;
	char *banner_text;
	bool connect_enabled;
	char *lambda_arn;
	bool self_service_portal;
	char vpc_id[CVPN_ID_MAX];
	struct prefix vpc_cidr; /* len 0 and family 0 when unknown */
	char sg_ids[CVPN_SG_MAX][CVPN_ID_MAX];
	size_t n_sg;
	char *crl_pem;
	int64_t crl_ms;
	struct cvpn_token tok;
	/* Where the OpenVPN server of this endpoint listens: chosen by the data plane from the
	 * configuration's client-vpn-address pool when it first serves, kept after (family 0 =
	 * not chosen yet). Internal: not part of any API answer. */
	struct addr listen_addr;

	struct cvpn_assoc *assocs;
	size_t n_assocs;
	struct cvpn_rule *rules;
	size_t n_rules;
	struct cvpn_route *routes;
	size_t n_routes;
	struct cvpn_conn *conns;
	size_t n_conns;
};

/* ---- enums <-> strings (cvpn_model.c) ---- */
const char *cvpn_status_str(enum cvpn_status s);
RESULT cvpn_status_parse(const char *s, enum cvpn_status *out);
const char *cvpn_transport_str(enum cvpn_transport t);
const char *cvpn_auth_type_str(enum cvpn_auth_type t);
const char *cvpn_conn_status_str(enum cvpn_conn_status s);

/* ---- lifecycle ---- */
/* Defaults from the model: udp, 443, split tunnel off, 24 h, self-service portal disabled
 * (it needs federated authentication, B4h/B12), disconnect on session timeout. */
void cvpn_endpoint_init(struct cvpn_endpoint *e);
void cvpn_endpoint_fini(struct cvpn_endpoint *e);
/* Replace *dst with a copy of s (NULL frees it). E_NOMEM. */
RESULT cvpn_str_set(char **dst, const char *s);

/* ---- attribute checks (cvpn_check.c); each fills err on failure ---- */
/* B2a/B2c: IPv4 CIDR with host bits zero and prefix length 12..22. */
RESULT cvpn_check_client_cidr(const char *s, struct prefix *out, struct cvpn_verr *err);
/* B11: 443 or 1194. */
RESULT cvpn_check_port(uint64_t port, struct cvpn_verr *err);
/* B13: 8, 10, 12 or 24. */
RESULT cvpn_check_session_hours(uint64_t h, struct cvpn_verr *err);
/* B8: "udp" or "tcp". */
RESULT cvpn_check_transport(const char *s, enum cvpn_transport *out, struct cvpn_verr *err);
/* B14: valid UTF-8, at most 1400 characters. */
RESULT cvpn_check_banner(const char *s, struct cvpn_verr *err);
/* B7: IPv4 addresses, at most two. */
RESULT cvpn_check_dns(const char *const *v, size_t n, struct addr *out, struct cvpn_verr *err);
/* B5b: a log group is required when logging is enabled. */
RESULT cvpn_check_log(bool enabled, const char *group, struct cvpn_verr *err);
/* B6/D4-D6: arn:aws:lambda:<region>:<account>:function:AWSClientVPN-<name>[:qualifier]. */
RESULT cvpn_check_lambda_arn(const char *arn, const char *region, const char *account,
                             struct cvpn_verr *err);
/* B4: 1..2 options; certificate-authentication with a chain ARN; directory/federated are
 * not supported by this server (clear error); no two of the same type. */
RESULT cvpn_check_auth(const struct cvpn_auth *a, size_t n, struct cvpn_verr *err);
/* "arn:aws:acm:<region>:<account>:certificate/<id>" in this region. */
RESULT cvpn_check_acm_arn(const char *what, const char *arn, const char *region,
                          struct cvpn_verr *err);
/* B12: enabled|disabled. */
RESULT cvpn_check_portal(const char *s, bool *out, struct cvpn_verr *err);
/* Description length. */
RESULT cvpn_check_description(const char *s, struct cvpn_verr *err);
/* Destination CIDR of a rule or route (IPv4). */
RESULT cvpn_check_dest_cidr(const char *what, const char *s, struct prefix *out,
                            struct cvpn_verr *err);
/* B2b: the client CIDR must not overlap the VPC CIDR (when known) nor any route. */
RESULT cvpn_check_cidr_conflicts(const struct cvpn_endpoint *e, struct cvpn_verr *err);
/* Whole-endpoint check run after create/modify (all of the above on the stored values). */
RESULT cvpn_endpoint_check(const struct cvpn_endpoint *e, struct cvpn_verr *err);
/* True when s is valid UTF-8; *chars gets the number of code points. */
bool cvpn_utf8_valid(const char *s, size_t *chars);

/* ---- sub-resources (cvpn_model.c) ---- */
/* E1: associate. Checks duplicate subnet, one subnet per AZ, same VPC as the endpoint (or the
 * first one), subnet CIDR vs client CIDR, and adds the origin=associate route for the VPC
 * CIDR. The first association moves pending-associate -> available (A5). */
RESULT cvpn_assoc_add(struct cvpn_endpoint *e, const struct cvpn_assoc *a, struct cvpn_verr *err);
struct cvpn_assoc *cvpn_assoc_find(struct cvpn_endpoint *e, const char *id);
/* A11: removing the last association terminates connections, drops the associate routes and
 * returns to pending-associate. *terminated gets how many connections were cut. */
RESULT cvpn_assoc_remove(struct cvpn_endpoint *e, const char *id, int64_t now_ms,
                         size_t *terminated, struct cvpn_verr *err);
/* E3 */
RESULT cvpn_rule_add(struct cvpn_endpoint *e, const struct cvpn_rule *r, struct cvpn_verr *err);
RESULT cvpn_rule_remove(struct cvpn_endpoint *e, const struct prefix *dst, const char *group,
                        bool all_groups, struct cvpn_verr *err);
/* E2 */
RESULT cvpn_route_add(struct cvpn_endpoint *e, const struct cvpn_route *r, struct cvpn_verr *err);
RESULT cvpn_route_remove(struct cvpn_endpoint *e, const struct prefix *dst, const char *target,
                         struct cvpn_verr *err);
/* C3/A11: mark every active connection terminated (CVPN_END_RESET: a change that resets
 * connections); returns how many. */
size_t cvpn_conns_terminate_all(struct cvpn_endpoint *e, int64_t now_ms);
/* End one connection record (status terminated, end time, reason, message). */
void cvpn_conn_end(struct cvpn_conn *c, int64_t now_ms, enum cvpn_conn_end why, const char *msg);
struct cvpn_conn *cvpn_conn_find(struct cvpn_endpoint *e, const char *id);
const char *cvpn_conn_end_str(enum cvpn_conn_end e);
/* E5: add a connection record (the data plane calls this). */
RESULT cvpn_conn_add(struct cvpn_endpoint *e, const struct cvpn_conn *c);
/* Drop terminated connections older than CVPN_CONN_RETENTION_MS. */
void cvpn_conn_expire(struct cvpn_endpoint *e, int64_t now_ms);

/* E3 semantics: is dst reachable by a client in `groups`? Longest prefix wins; 0.0.0.0/0
 * last. (For the data plane.) */
bool cvpn_rules_allow(const struct cvpn_endpoint *e, const struct addr *dst,
                      const char *const *groups, size_t n_groups);

/* The data plane's decision for a client packet to dst (E2 + E3): an endpoint route covers
 * dst (routes through a disassociated subnet are already gone) and the rules allow it. */
bool cvpn_forward_allowed(const struct cvpn_endpoint *e, const struct addr *dst,
                          const char *const *groups, size_t n_groups);

/* Transitional state of a sub-resource from its age (pending_ms after creation it is done). */
const char *cvpn_assoc_state(const struct cvpn_assoc *a, int64_t now_ms, uint64_t pending_ms);
const char *cvpn_rule_state(const struct cvpn_rule *r, int64_t now_ms, uint64_t pending_ms);
const char *cvpn_route_state(const struct cvpn_route *r, int64_t now_ms, uint64_t pending_ms);

/* A13: "*.cvpn-endpoint-<hex>.prod.clientvpn.<region>.<CVPN_DNS_DOMAIN>". */
void cvpn_dns_name(const char *id, const char *region, char *buf, size_t len);

/* ---- CRL and client configuration (cvpn_crl.c, cvpn_profile.c; OpenSSL) ---- */
/* E4: a PEM X509 CRL, at most CVPN_CRL_ENTRIES_MAX entries. */
RESULT cvpn_crl_check(const char *pem, struct cvpn_verr *err);
/* E6: the .ovpn profile (client ... reneg-sec 0) with ca_pem in <ca>. Owned by the caller. */
RESULT cvpn_profile_build(const struct cvpn_endpoint *e, const char *region, const char *ca_pem,
                          char **out);

/* ---- JSON for the store (cvpn_json.c) ---- */
struct json_object *cvpn_endpoint_to_json(const struct cvpn_endpoint *e);
/* E_PARSE on a malformed document (e is left initialised; fini it). */
RESULT cvpn_endpoint_from_json(struct json_object *o, struct cvpn_endpoint *e);

/* ---- what the OpenVPN server needs from ACM (cvpn_ovpn.c) ---- */
struct store;
/* PEM texts for the data plane (src/ovpn's ovpn_config takes files: write these 0600):
 * the server certificate followed by its chain, the server key (secret: wiped by
 * cvpn_materials_fini), the CA that signs client certificates (the client-root ARN's chain,
 * or its certificate), and the CRL (NULL when none). E_NOTFOUND when a certificate is gone. */
struct cvpn_materials {
	char *server_cert_chain;
	char *server_key;
	char *client_ca;
	char *crl;
};
RESULT cvpn_materials_get(struct store *st, const char *region, const char *account,
                          const struct cvpn_endpoint *e, struct cvpn_materials *out);
void cvpn_materials_fini(struct cvpn_materials *m);

#endif
