/*
 * conf/validate.c - the checks that involve more than one value: within one tunnel (the
 * guide's dependent limits, site-to-site.md section 2 and 0.1) and across the whole file.
 * Each problem is reported on the line of the key that breaks the rule, or on the tunnel's
 * block line when that key was left at its default.
 */
#include <string.h>

#include "conf/conf_int.h"

static unsigned at(const struct conf_tunnel_lines *ln, enum conf_tkey k)
{
	return ln->key[k] ? ln->key[k] : ln->block;
}

static void check_required(const struct conf_tunnel *ct, const struct conf_tunnel_lines *ln,
                           struct conf_diags *d)
{
	static const struct {
		enum conf_tkey k;
		const char *name;
	} req[] = {
	    {CONF_TK_LOCAL_ADDRESS, "local-address"},
	    {CONF_TK_REMOTE_ADDRESS, "remote-address"},
	    {CONF_TK_INSIDE_CIDR, "inside-cidr"},
	    {CONF_TK_PSK, "pre-shared-key"},
	};

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!ln->key[req[i].k])
			conf_diag_add(d, ln->block, "tunnel %s %u: %s is required", ct->t.vpn_id,
			              ct->t.index, req[i].name);
}

static void check_networks(const struct conf_tunnel *ct, const struct conf_tunnel_lines *ln,
                           struct conf_diags *d)
{
	const struct model_tunnel *t = &ct->t;

	if (t->outside_local.family && t->outside_remote.family &&
	    t->outside_local.family != t->outside_remote.family)
		conf_diag_add(d, at(ln, CONF_TK_REMOTE_ADDRESS),
		              "remote-address: not the same address family as local-address");
	if (t->local_net.addr.family != AF_INET)
		conf_diag_add(d, at(ln, CONF_TK_LOCAL_NETWORK), "local-network: must be IPv4");
	if (t->remote_net.addr.family != AF_INET)
		conf_diag_add(d, at(ln, CONF_TK_REMOTE_NETWORK), "remote-network: must be IPv4");
	for (size_t i = 0; i < ct->nroutes; i++) {
		const struct prefix *r = &ct->routes[i].prefix;
		char buf[PREFIX_STRLEN];

		if (r->addr.family != t->local_net.addr.family || r->len < t->local_net.len ||
		    !prefix_contains(&t->local_net, &r->addr)) {
			prefix_format(r, buf);
			conf_diag_add(d, at(ln, CONF_TK_ROUTE),
			              "route: %s is outside local-network (the customer side)",
			              buf);
		}
	}
}

/*
 * The rules between options are the model's (model_tunnel_options_validate: lifetimes, rekey
 * margin, startup action needs IKEv2 and the CGW address ...), so the file and the API refuse
 * the same things. The model names the EC2 option first; its message goes on that key's line.
 */
static void check_model(const struct conf_tunnel *ct, const struct conf_tunnel_lines *ln,
                        struct conf_diags *d)
{
	struct model_tunnel_ctx ctx = {.cgw_has_ip = ct->t.outside_remote.family != 0};
	struct model_err e = {0};
	enum conf_tkey tk;

	if (model_tunnel_options_validate(&ct->t.opt, &ctx, &e) == E_OK)
		return;
	tk = conf_tkey_of_ec2(e.msg);
	if (tk == CONF_TK__COUNT)
		conf_diag_add(d, ln->block, "tunnel %s %u: %s", ct->t.vpn_id, ct->t.index, e.msg);
	else
		conf_diag_add(d, at(ln, tk), "%s: %s", conf_tkey_name(tk), e.msg);
}

void conf_validate_tunnel(const struct conf_tunnel *ct, const struct conf_tunnel_lines *ln,
                          struct conf_diags *d)
{
	/* A value that failed its own check was not set: relations would be checked on a
	 * default instead, so the model's pass runs only on a block without problems. */
	bool clean = d->n + d->dropped == ln->ndiags_at_open;

	check_required(ct, ln, d);
	check_networks(ct, ln, d);
	if (clean && d->n + d->dropped == ln->ndiags_at_open)
		check_model(ct, ln, d);
}

static void check_pairs(const struct conf *c, const struct conf_tunnel_lines *lines, size_t i,
                        struct conf_diags *d)
{
	const struct model_tunnel *a = &c->tunnels[i].t;

	for (size_t j = 0; j < i; j++) {
		const struct model_tunnel *b = &c->tunnels[j].t;

		if (strcmp(a->vpn_id, b->vpn_id) == 0 && a->index == b->index)
			conf_diag_add(d, lines[i].block,
			              "tunnel %s %u is already defined on line %u", a->vpn_id,
			              a->index, lines[j].block);
		if (a->outside_local.family && addr_equal(&a->outside_local, &b->outside_local) &&
		    addr_equal(&a->outside_remote, &b->outside_remote))
			conf_diag_add(d, at(&lines[i], CONF_TK_REMOTE_ADDRESS),
			              "tunnel %s %u: same local-address and remote-address as the "
			              "tunnel on line %u",
			              a->vpn_id, a->index, lines[j].block);
		/* G:367: unique inside CIDR (among the VPNs of one gateway). */
		if (a->opt.inside_cidr.addr.family &&
		    prefix_equal(&a->opt.inside_cidr, &b->opt.inside_cidr))
			conf_diag_add(d, at(&lines[i], CONF_TK_INSIDE_CIDR),
			              "inside-cidr: already used by the tunnel on line %u",
			              lines[j].block);
	}
}

static bool in_pool(const struct conf *c, const struct addr *a)
{
	for (size_t i = 0; i < c->npool; i++)
		if (addr_equal(&c->pool[i], a))
			return true;
	return false;
}

void conf_validate_all(const struct conf *c, const struct conf_tunnel_lines *lines,
                       struct conf_diags *d)
{
	char buf[ADDR_STRLEN];

	for (size_t i = 0; i < c->ntunnels; i++) {
		const struct model_tunnel *t = &c->tunnels[i].t;

		check_pairs(c, lines, i, d);
		if (t->outside_local.family && !in_pool(c, &t->outside_local)) {
			addr_format(&t->outside_local, buf);
			conf_diag_add(d, at(&lines[i], CONF_TK_LOCAL_ADDRESS),
			              "local-address: %s is not an outside-address of this gateway",
			              buf);
		}
	}
	if (!c->access_key[0] != !c->secret_key[0])
		conf_diag_add(d, 0, "access-key and secret-key must be given together");
}
