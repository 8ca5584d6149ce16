/*
 * conf/conf.h - the configuration file of gatehoused (docs/configuration.md).
 *
 * One configuration model: the file, the API and the CLI all produce the same objects
 * (struct model_tunnel from model/tunnel.h inside struct conf_tunnel) and go through one
 * validate -> diff -> apply path (the diff and apply are engine_apply() in engine/engine.h).
 *
 * Parsing collects EVERY problem with its file and line into a struct conf_diags instead of
 * stopping at the first one; the daemon's -n/--check mode prints them and exits non-zero.
 *
 * Ownership: conf_parse_*() hand back a struct conf the caller frees with conf_free() (which
 * wipes the pre-shared keys and the API secret). A struct conf is plain data: any thread may
 * read it, nobody writes it after parsing. Not thread-safe to build.
 */
#ifndef GH_CONF_CONF_H
#define GH_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/addr.h"
#include "lib/err.h"
#include "lib/log.h"
#include "model/tunnel.h"

#define CONF_FILE_MAX_BYTES (1024 * 1024) /* a config file larger than this is refused */
#define CONF_LINE_MAX 4096                /* bytes per line, newline excluded */
#define CONF_TOKEN_MAX 512                /* bytes per word or quoted string */
#define CONF_TOKENS_MAX 32                /* words per line */
#define CONF_POOL_MAX 64                  /* outside addresses */
#define CONF_VPC_NETS_MAX 64              /* local (VPC) networks */
#define CONF_TUNNELS_MAX 512
#define CONF_ROUTES_MAX 100 /* static routes per tunnel, the guide's VGW quota (G:5628) */
#define CONF_DIAGS_MAX 200  /* problems reported per file; more are counted, not kept */
#define CONF_ROUTE_PRIORITY_DEFAULT 100 /* like the MED 100 the guide's examples show */
#define CONF_ROUTE_PRIORITY_MAX 65535
#define CONF_STR_MAX 256
#define CONF_PATH_MAX 1024

/* One static route to the customer network through a tunnel. */
struct conf_route {
	struct prefix prefix;
	uint32_t priority; /* among healthy tunnels with the same prefix, lower wins */
};

struct conf_tunnel {
	struct model_tunnel t; /* the shared model object */
	struct conf_route routes[CONF_ROUTES_MAX];
	size_t nroutes;
	/* inside-role customer: we are the customer gateway of this tunnel (Gatehouse <->
	 * Gatehouse) and take the /30's second host; default aws: the first (G:1555). */
	bool customer_side;
	unsigned line; /* where the block starts (diagnostics of later stages) */
};

struct conf {
	char path[CONF_PATH_MAX];     /* the file it came from ("" for a buffer) */
	char listen[CONF_STR_MAX];    /* API "addr:port" / "[v6]:port", "" = daemon default */
	char data_dir[CONF_PATH_MAX]; /* "" = daemon default */
	char access_key[CONF_STR_MAX];
	char secret_key[CONF_STR_MAX]; /* wiped by conf_free */
	enum log_level log_level;
	bool has_log_level;
	struct addr pool[CONF_POOL_MAX]; /* outside addresses the gateway may use */
	size_t npool;
	/* where Client VPN endpoints listen (svc/svc_cvpn.h); none = any address */
	struct addr cvpn_addrs[CONF_POOL_MAX];
	size_t ncvpn_addrs;
	struct prefix vpc_nets[CONF_VPC_NETS_MAX]; /* the local side ("VPC") networks */
	size_t nvpc_nets;
	struct conf_tunnel *tunnels; /* heap array of ntunnels */
	size_t ntunnels;
};

/* One problem: file:line: message. */
struct conf_diag {
	unsigned line;
	char msg[CONF_STR_MAX];
};

struct conf_diags {
	char file[CONF_PATH_MAX];
	struct conf_diag v[CONF_DIAGS_MAX];
	size_t n;
	size_t dropped; /* problems beyond CONF_DIAGS_MAX */
};

/*
 * Parse and validate a file / an in-memory text. On E_OK *out is a complete, valid
 * configuration. On E_PARSE (syntax or validation problems; all of them are in *d) or
 * E_SYSTEM (cannot read the file; one diag says why) *out is NULL.
 * `d` may be stack storage; it is reset first.
 */
RESULT conf_parse_file(const char *path, struct conf **out, struct conf_diags *d);
RESULT conf_parse_text(const char *name, const char *text, size_t len, struct conf **out,
                       struct conf_diags *d);
void conf_free(struct conf *c);

/* "file:line: message" per problem, then a summary line if some were dropped. */
void conf_diags_print(const struct conf_diags *d, FILE *f);

/* The normalized configuration (every option spelled out, defaults included): -nv. */
void conf_print(const struct conf *c, FILE *f);

/* The daemon's -n/--check: parse and validate `path`; print every problem to `err` as
 * "file:line: message"; with `verbose` print the normalized configuration to `out`.
 * Returns the exit status: 0 valid, 1 problems or unreadable. */
int conf_check(const char *path, bool verbose, FILE *out, FILE *err);

/* The guide's defaults for every tunnel option (site-to-site.md section 2); no PSK, no CIDR. */
void conf_tunnel_defaults(struct conf_tunnel *ct);

/* Same desired state (options, addresses, networks, routes)? Ignores the source line. */
bool conf_tunnel_equal(const struct conf_tunnel *a, const struct conf_tunnel *b);
/* Same tunnel options and addresses; routes may differ (those apply without a restart). */
bool conf_tunnel_same_ike(const struct conf_tunnel *a, const struct conf_tunnel *b);

/*
 * The API's side of the one model: append a stored VPN connection's two tunnels
 * (model_vpn_tunnel_build) to c, with its static routes (static-routes-only connections) and
 * its outside addresses added to the pool. cgw_ip: the customer gateway's address (NULL or
 * family 0 when it has none). E_RANGE (too many tunnels), E_NOMEM. conf_new_empty gives a
 * configuration without a file (free with conf_free).
 */
struct model_vpn_connection;
RESULT conf_add_vpn(struct conf *c, const struct model_vpn_connection *v,
                    const struct addr *cgw_ip);
RESULT conf_new_empty(struct conf **out);

/* The tunnel with this vpn id and index, or NULL. */
const struct conf_tunnel *conf_tunnel_find(const struct conf *c, const char *vpn_id,
                                           unsigned index);

#endif
