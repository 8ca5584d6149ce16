/*
 * conf/parse.c - lines of words -> struct conf, through one table of keys per block.
 *
 *   <global key> <values...>
 *   tunnel <vpn-id> <index> {
 *           <tunnel key> <values...>
 *   }
 *
 * Every problem is reported with its line and parsing goes on, so one run lists them all.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_int.h"
#include "lib/secret.h"
#include "model/tunnel.h"

struct parser {
	struct conf *c;
	struct conf_diags *d;
	struct conf_tunnel *cur;         /* open tunnel block, or NULL */
	struct conf_tunnel_lines *lines; /* parallel to c->tunnels */
	size_t cap;
	unsigned gseen[8];
	struct conf_tunnel scratch; /* body of a block whose header was bad */
};

struct key {
	const char *name;
	unsigned id;     /* index into gseen / conf_tunnel_lines.key */
	size_t min, max; /* number of values after the key */
	bool repeat;
	const char *ec2; /* tunnel options: the EC2 member name the model knows it by */
	void (*fn)(struct parser *p, const struct key *k, const struct conf_line *l);
};

#define CURLINES(p) (&(p)->lines[(p)->c->ntunnels - 1])
#define ARG(l, i) ((l)->tok[(i)].s)

static void copy_str(struct parser *p, const struct conf_line *l, char *dst, size_t cap)
{
	size_t n = strlen(ARG(l, 1));

	if (n == 0 || n >= cap) {
		conf_diag_add(p->d, l->lineno, "%s: value must be 1-%zu characters", ARG(l, 0),
		              cap - 1);
		return;
	}
	memcpy(dst, ARG(l, 1), n + 1);
}

/* ---- global keys ---- */

static void g_listen(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	if (conf_value_listen(ARG(l, 1), p->d, l->lineno))
		copy_str(p, l, p->c->listen, sizeof(p->c->listen));
}

static void g_data_dir(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	if (ARG(l, 1)[0] != '/')
		conf_diag_add(p->d, l->lineno, "data-dir: \"%s\" must be an absolute path",
		              ARG(l, 1));
	else
		copy_str(p, l, p->c->data_dir, sizeof(p->c->data_dir));
}

static void g_access_key(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	copy_str(p, l, p->c->access_key, sizeof(p->c->access_key));
}

static void g_secret_key(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	copy_str(p, l, p->c->secret_key, sizeof(p->c->secret_key));
}

static void g_log_level(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	if (!log_level_parse(ARG(l, 1), &p->c->log_level))
		conf_diag_add(p->d, l->lineno,
		              "log-level: \"%s\" is not one of err, warn, info, debug", ARG(l, 1));
	else
		p->c->has_log_level = true;
}

/* A repeatable list of addresses (no duplicates, at most CONF_POOL_MAX). */
static void addr_list(struct parser *p, const struct conf_line *l, const char *key,
                      struct addr *v, size_t *n)
{
	struct addr a;

	for (size_t i = 1; i < l->n; i++) {
		if (!conf_value_addr(ARG(l, i), &a, p->d, l->lineno, key))
			continue;
		for (size_t j = 0; j < *n; j++) {
			if (addr_equal(&v[j], &a)) {
				conf_diag_add(p->d, l->lineno, "%s: %s is listed twice", key,
				              ARG(l, i));
				goto next;
			}
		}
		if (*n >= CONF_POOL_MAX) {
			conf_diag_add(p->d, l->lineno, "%s: more than %d addresses", key,
			              CONF_POOL_MAX);
			return;
		}
		v[(*n)++] = a;
	next:;
	}
}

static void g_outside_address(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	addr_list(p, l, "outside-address", p->c->pool, &p->c->npool);
}

static void g_cvpn_address(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	addr_list(p, l, "client-vpn-address", p->c->cvpn_addrs, &p->c->ncvpn_addrs);
}

static void g_vpc_network(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	struct prefix pf;

	for (size_t i = 1; i < l->n; i++) {
		if (!conf_value_prefix(ARG(l, i), &pf, p->d, l->lineno, "vpc-network"))
			continue;
		if (p->c->nvpc_nets >= CONF_VPC_NETS_MAX) {
			conf_diag_add(p->d, l->lineno, "vpc-network: more than %d networks",
			              CONF_VPC_NETS_MAX);
			return;
		}
		p->c->vpc_nets[p->c->nvpc_nets++] = pf;
	}
}

static const struct key global_keys[] = {
    {"listen", 0, 1, 1, false, NULL, g_listen},
    {"data-dir", 1, 1, 1, false, NULL, g_data_dir},
    {"access-key", 2, 1, 1, false, NULL, g_access_key},
    {"secret-key", 3, 1, 1, false, NULL, g_secret_key},
    {"log-level", 4, 1, 1, false, NULL, g_log_level},
    {"outside-address", 5, 1, CONF_TOKENS_MAX, true, NULL, g_outside_address},
    {"vpc-network", 6, 1, CONF_TOKENS_MAX, true, NULL, g_vpc_network},
    {"client-vpn-address", 7, 1, CONF_TOKENS_MAX, true, NULL, g_cvpn_address},
};

/* ---- tunnel keys ---- */

#define T(p) (&(p)->cur->t)

static void t_local_address(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	(void)conf_value_addr(ARG(l, 1), &T(p)->outside_local, p->d, l->lineno, ARG(l, 0));
}

static void t_remote_address(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	(void)conf_value_addr(ARG(l, 1), &T(p)->outside_remote, p->d, l->lineno, ARG(l, 0));
}

static void t_local_network(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	(void)conf_value_prefix(ARG(l, 1), &T(p)->local_net, p->d, l->lineno, ARG(l, 0));
}

static void t_remote_network(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	(void)conf_value_prefix(ARG(l, 1), &T(p)->remote_net, p->d, l->lineno, ARG(l, 0));
}

/*
 * Tunnel options go through the model's setters under their EC2 member names, so the file and
 * the API accept exactly the same values with the same messages (one configuration model).
 */
static void t_model_scalar(struct parser *p, const struct key *k, const struct conf_line *l)
{
	struct model_err e = {0};

	if (model_tunnel_option_set(&T(p)->opt, k->ec2, ARG(l, 1), &e) != E_OK)
		conf_diag_add(p->d, l->lineno, "%s: %s", k->name, e.msg);
}

static void t_model_list(struct parser *p, const struct key *k, const struct conf_line *l)
{
	const char *v[CONF_TOKENS_MAX];
	struct model_err e = {0};

	for (size_t i = 1; i < l->n; i++)
		v[i - 1] = ARG(l, i);
	if (model_tunnel_option_set_list(&T(p)->opt, k->ec2, v, l->n - 1, &e) != E_OK)
		conf_diag_add(p->d, l->lineno, "%s: %s", k->name, e.msg);
}

/* inside-role aws|customer */
static void t_inside_role(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	if (strcmp(ARG(l, 1), "aws") == 0)
		p->cur->customer_side = false;
	else if (strcmp(ARG(l, 1), "customer") == 0)
		p->cur->customer_side = true;
	else
		conf_diag_add(p->d, l->lineno, "inside-role: \"%s\" is not one of aws, customer",
		              ARG(l, 1));
}

/* route <cidr> [priority <n>] */
static void t_route(struct parser *p, const struct key *k, const struct conf_line *l)
{
	(void)k;
	struct conf_route r = {.priority = CONF_ROUTE_PRIORITY_DEFAULT};

	if (!conf_value_prefix(ARG(l, 1), &r.prefix, p->d, l->lineno, "route"))
		return;
	if (l->n == 3 || (l->n == 4 && strcmp(ARG(l, 2), "priority") != 0)) {
		conf_diag_add(p->d, l->lineno, "route: expected \"route <cidr> [priority <n>]\"");
		return;
	}
	if (l->n == 4 && !conf_value_u32(ARG(l, 3), 0, CONF_ROUTE_PRIORITY_MAX, &r.priority, p->d,
	                                 l->lineno, "priority"))
		return;
	for (size_t i = 0; i < p->cur->nroutes; i++) {
		if (prefix_equal(&p->cur->routes[i].prefix, &r.prefix)) {
			conf_diag_add(p->d, l->lineno, "route: %s is listed twice in this tunnel",
			              ARG(l, 1));
			return;
		}
	}
	if (p->cur->nroutes >= CONF_ROUTES_MAX) {
		conf_diag_add(p->d, l->lineno, "route: more than %d routes in one tunnel",
		              CONF_ROUTES_MAX);
		return;
	}
	p->cur->routes[p->cur->nroutes++] = r;
}

#define SCALAR(name, tk, ec2)                                                                      \
	{                                                                                          \
		name, tk, 1, 1, false, ec2, t_model_scalar                                         \
	}
#define LIST(name, tk, max, ec2)                                                                   \
	{                                                                                          \
		name, tk, 1, max, false, ec2, t_model_list                                         \
	}

static const struct key tunnel_keys[] = {
    {"local-address", CONF_TK_LOCAL_ADDRESS, 1, 1, false, NULL, t_local_address},
    {"remote-address", CONF_TK_REMOTE_ADDRESS, 1, 1, false, NULL, t_remote_address},
    {"local-network", CONF_TK_LOCAL_NETWORK, 1, 1, false, NULL, t_local_network},
    {"remote-network", CONF_TK_REMOTE_NETWORK, 1, 1, false, NULL, t_remote_network},
    {"route", CONF_TK_ROUTE, 1, 3, true, NULL, t_route},
    {"inside-role", CONF_TK_INSIDE_ROLE, 1, 1, false, NULL, t_inside_role},
    SCALAR("inside-cidr", CONF_TK_INSIDE_CIDR, "TunnelInsideCidr"),
    SCALAR("inside-ipv6-cidr", CONF_TK_INSIDE_IPV6_CIDR, "TunnelInsideIpv6Cidr"),
    SCALAR("pre-shared-key", CONF_TK_PSK, "PreSharedKey"),
    LIST("phase1-encryption-algorithms", CONF_TK_P1_ENCR, 4, "Phase1EncryptionAlgorithms"),
    LIST("phase2-encryption-algorithms", CONF_TK_P2_ENCR, 4, "Phase2EncryptionAlgorithms"),
    LIST("phase1-integrity-algorithms", CONF_TK_P1_INTEG, 4, "Phase1IntegrityAlgorithms"),
    LIST("phase2-integrity-algorithms", CONF_TK_P2_INTEG, 4, "Phase2IntegrityAlgorithms"),
    LIST("phase1-dh-group-numbers", CONF_TK_P1_DH, 12, "Phase1DHGroupNumbers"),
    LIST("phase2-dh-group-numbers", CONF_TK_P2_DH, 13, "Phase2DHGroupNumbers"),
    LIST("ike-versions", CONF_TK_IKE_VERSIONS, 2, "IKEVersions"),
    SCALAR("phase1-lifetime-seconds", CONF_TK_P1_LIFETIME, "Phase1LifetimeSeconds"),
    SCALAR("phase2-lifetime-seconds", CONF_TK_P2_LIFETIME, "Phase2LifetimeSeconds"),
    SCALAR("rekey-margin-time-seconds", CONF_TK_REKEY_MARGIN, "RekeyMarginTimeSeconds"),
    SCALAR("rekey-fuzz-percentage", CONF_TK_REKEY_FUZZ, "RekeyFuzzPercentage"),
    SCALAR("replay-window-size", CONF_TK_REPLAY_WINDOW, "ReplayWindowSize"),
    SCALAR("dpd-timeout-seconds", CONF_TK_DPD_TIMEOUT, "DPDTimeoutSeconds"),
    SCALAR("dpd-timeout-action", CONF_TK_DPD_ACTION, "DPDTimeoutAction"),
    SCALAR("startup-action", CONF_TK_STARTUP_ACTION, "StartupAction"),
    SCALAR("log-enabled", CONF_TK_LOG_ENABLED, "LogOptions.CloudWatchLogOptions.LogEnabled"),
    SCALAR("log-group-arn", CONF_TK_LOG_GROUP_ARN, "LogOptions.CloudWatchLogOptions.LogGroupArn"),
    SCALAR("log-output-format", CONF_TK_LOG_FORMAT,
           "LogOptions.CloudWatchLogOptions.LogOutputFormat"),
    SCALAR("tunnel-lifecycle-control", CONF_TK_LIFECYCLE, "EnableTunnelLifecycleControl"),
};

/* The config key of an EC2 option name (to place the model's messages on a line). */
enum conf_tkey conf_tkey_of_ec2(const char *msg)
{
	const char *best = NULL;
	enum conf_tkey tk = CONF_TK__COUNT;

	for (size_t i = 0; i < sizeof(tunnel_keys) / sizeof(tunnel_keys[0]); i++) {
		const char *hit = tunnel_keys[i].ec2 ? strstr(msg, tunnel_keys[i].ec2) : NULL;

		if (hit && (!best || hit < best)) {
			best = hit;
			tk = (enum conf_tkey)tunnel_keys[i].id;
		}
	}
	return tk;
}

const char *conf_tkey_name(enum conf_tkey tk)
{
	for (size_t i = 0; i < sizeof(tunnel_keys) / sizeof(tunnel_keys[0]); i++)
		if (tunnel_keys[i].id == (unsigned)tk)
			return tunnel_keys[i].name;
	return "tunnel";
}

/* Look the key up, check its count and duplicates, run its handler. */
static void dispatch(struct parser *p, const struct conf_line *l, const struct key *keys,
                     size_t nkeys, unsigned *seen, const char *where)
{
	const struct key *k = NULL;

	for (size_t i = 0; i < nkeys && !k; i++)
		if (conf_tok_is(&l->tok[0], keys[i].name))
			k = &keys[i];
	if (!k) {
		conf_diag_add(p->d, l->lineno, "unknown keyword \"%s\" %s", ARG(l, 0), where);
		return;
	}
	if (l->n - 1 < k->min || l->n - 1 > k->max) {
		conf_diag_add(p->d, l->lineno, "%s: expected %zu%s value%s, got %zu", k->name,
		              k->min, k->max > k->min ? " or more" : "", k->max > 1 ? "s" : "",
		              l->n - 1);
		return;
	}
	if (seen[k->id] && !k->repeat) {
		conf_diag_add(p->d, l->lineno, "%s: already given on line %u", k->name,
		              seen[k->id]);
		return;
	}
	seen[k->id] = l->lineno;
	k->fn(p, k, l);
}

static void tunnel_open(struct parser *p, const struct conf_line *l)
{
	struct conf *c = p->c;
	struct conf_tunnel *ct;
	uint32_t index = 0;
	bool ok;

	if (l->n != 4 || !conf_tok_is(&l->tok[3], "{")) {
		conf_diag_add(p->d, l->lineno, "expected \"tunnel <vpn-id> <1|2> {\"");
		return;
	}
	ok = conf_value_name(ARG(l, 1), p->d, l->lineno, "tunnel vpn id");
	ok = conf_value_u32(ARG(l, 2), 1, 2, &index, p->d, l->lineno, "tunnel index") && ok;
	if (c->ntunnels >= CONF_TUNNELS_MAX) {
		conf_diag_add(p->d, l->lineno, "more than %d tunnels", CONF_TUNNELS_MAX);
		ok = false;
	}
	if (c->ntunnels == p->cap && ok) {
		size_t ncap = p->cap ? p->cap * 2 : 8;
		struct conf_tunnel *nt = realloc(c->tunnels, ncap * sizeof(*nt));
		struct conf_tunnel_lines *nl;

		if (nt)
			c->tunnels = nt;
		nl = nt ? realloc(p->lines, ncap * sizeof(*nl)) : NULL;
		if (nl)
			p->lines = nl;
		if (!nt || !nl) {
			conf_diag_add(p->d, l->lineno, "out of memory");
			ok = false;
		} else {
			p->cap = ncap;
		}
	}
	/* Even a bad header opens a block (a scratch one) so its body is still checked. */
	ct = ok ? &c->tunnels[c->ntunnels++] : &p->scratch;
	conf_tunnel_defaults(ct);
	if (ok)
		memcpy(ct->t.vpn_id, ARG(l, 1), strlen(ARG(l, 1)) + 1);
	ct->t.index = index;
	ct->line = l->lineno;
	p->cur = ct;
	if (ok) {
		memset(CURLINES(p), 0, sizeof(*CURLINES(p)));
		CURLINES(p)->block = l->lineno;
		CURLINES(p)->ndiags_at_open = p->d->n + p->d->dropped;
	}
}

static bool cur_is_real(const struct parser *p)
{
	return p->c->ntunnels > 0 && p->cur == &p->c->tunnels[p->c->ntunnels - 1];
}

static void tunnel_close(struct parser *p)
{
	if (cur_is_real(p))
		conf_validate_tunnel(p->cur, CURLINES(p), p->d);
	else
		secret_wipe(p->cur, sizeof(*p->cur));
	p->cur = NULL;
}

static void parse_line(struct parser *p, const struct conf_line *l)
{
	unsigned scratch_seen[CONF_TK__COUNT];

	if (p->cur) {
		if (conf_tok_is(&l->tok[0], "}")) {
			if (l->n > 1)
				conf_diag_add(p->d, l->lineno, "unexpected words after \"}\"");
			tunnel_close(p);
		} else if (conf_tok_is(&l->tok[0], "tunnel")) {
			conf_diag_add(p->d, l->lineno,
			              "tunnel block inside a tunnel block (missing \"}\"?)");
		} else if (conf_tok_is(&l->tok[l->n - 1], "{")) {
			conf_diag_add(p->d, l->lineno, "unexpected block inside a tunnel block");
		} else {
			memset(scratch_seen, 0, sizeof(scratch_seen));
			dispatch(p, l, tunnel_keys, sizeof(tunnel_keys) / sizeof(tunnel_keys[0]),
			         cur_is_real(p) ? CURLINES(p)->key : scratch_seen,
			         "in a tunnel block");
		}
		return;
	}
	if (conf_tok_is(&l->tok[0], "tunnel"))
		tunnel_open(p, l);
	else if (conf_tok_is(&l->tok[0], "}"))
		conf_diag_add(p->d, l->lineno, "\"}\" without an open block");
	else if (conf_tok_is(&l->tok[l->n - 1], "{"))
		conf_diag_add(p->d, l->lineno, "unknown block \"%s\"", ARG(l, 0));
	else
		dispatch(p, l, global_keys, sizeof(global_keys) / sizeof(global_keys[0]), p->gseen,
		         "at the top level");
}

void conf_parse_all(struct conf *c, struct rbuf *text, struct conf_diags *d)
{
	struct parser p = {.c = c, .d = d};
	struct conf_line *l = calloc(1, sizeof(*l));
	unsigned lineno = 0, open_line = 0;

	if (!l) {
		conf_diag_add(d, 0, "out of memory");
		return;
	}
	while (conf_lex_line(text, &lineno, l, d)) {
		if (l->bad || l->n == 0)
			continue;
		if (!p.cur && conf_tok_is(&l->tok[0], "tunnel"))
			open_line = l->lineno;
		parse_line(&p, l);
	}
	if (p.cur) {
		conf_diag_add(d, open_line, "tunnel block is not closed with \"}\"");
		tunnel_close(&p);
	}
	conf_validate_all(c, p.lines, d);
	secret_wipe(l, sizeof(*l));
	free(l);
	free(p.lines);
}
