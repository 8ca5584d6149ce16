/*
 * conf/print.c - the normalized configuration (gatehoused -nv): every key spelled out in one
 * order, defaults included, so two files that mean the same print the same. The output parses
 * back to an equal configuration (tests/unit/test_conf.c checks the round trip). Secrets are
 * printed: this is the administrator's own file.
 */
#include "conf/conf_int.h"

static void print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_encr(FILE *f, const char *key, uint32_t mask)
{
	fprintf(f, "\t%s", key);
	for (unsigned i = 0; i < MODEL_ENCR__COUNT; i++)
		if (mask & (1u << i))
			fprintf(f, " %s", model_encr_name((enum model_encr)i));
	fputc('\n', f);
}

static void print_integ(FILE *f, const char *key, uint32_t mask)
{
	fprintf(f, "\t%s", key);
	for (unsigned i = 0; i < MODEL_INTEG__COUNT; i++)
		if (mask & (1u << i))
			fprintf(f, " %s", model_integ_name((enum model_integ)i));
	fputc('\n', f);
}

static void print_dh(FILE *f, const char *key, uint32_t mask)
{
	fprintf(f, "\t%s", key);
	for (unsigned g = 0; g < 32; g++)
		if (mask & MODEL_DH_MASK(g))
			fprintf(f, " %u", g);
	fputc('\n', f);
}

static void print_tunnel_opts(FILE *f, const struct model_tunnel_options *o)
{
	char buf[PREFIX_STRLEN];

	prefix_format(&o->inside_cidr, buf);
	fprintf(f, "\tinside-cidr %s\n", buf);
	if (o->has_inside_ipv6) {
		prefix_format(&o->inside_ipv6_cidr, buf);
		fprintf(f, "\tinside-ipv6-cidr %s\n", buf);
	}
	fprintf(f, "\tpre-shared-key ");
	print_quoted(f, o->psk);
	fputc('\n', f);
	print_encr(f, "phase1-encryption-algorithms", o->phase1_encr);
	print_encr(f, "phase2-encryption-algorithms", o->phase2_encr);
	print_integ(f, "phase1-integrity-algorithms", o->phase1_integ);
	print_integ(f, "phase2-integrity-algorithms", o->phase2_integ);
	print_dh(f, "phase1-dh-group-numbers", o->phase1_dh);
	print_dh(f, "phase2-dh-group-numbers", o->phase2_dh);
	fprintf(f, "\tphase1-lifetime-seconds %u\n", o->phase1_lifetime_s);
	fprintf(f, "\tphase2-lifetime-seconds %u\n", o->phase2_lifetime_s);
	fprintf(f, "\trekey-margin-time-seconds %u\n", o->rekey_margin_s);
	fprintf(f, "\trekey-fuzz-percentage %u\n", o->rekey_fuzz_pct);
	fprintf(f, "\treplay-window-size %u\n", o->replay_window);
	fprintf(f, "\tdpd-timeout-seconds %u\n", o->dpd_timeout_s);
	fprintf(f, "\tdpd-timeout-action %s\n", model_dpd_action_name(o->dpd_action));
	fprintf(f, "\tstartup-action %s\n", model_startup_action_name(o->startup_action));
	fprintf(f, "\tike-versions%s%s\n", o->ike_versions & MODEL_IKE_V1 ? " ikev1" : "",
	        o->ike_versions & MODEL_IKE_V2 ? " ikev2" : "");
	fprintf(f, "\tlog-enabled %s\n", o->log_enabled ? "true" : "false");
	if (o->log_group_arn[0]) {
		fprintf(f, "\tlog-group-arn ");
		print_quoted(f, o->log_group_arn);
		fputc('\n', f);
	}
	fprintf(f, "\tlog-output-format %s\n", model_log_format_name(o->log_format_text));
	fprintf(f, "\ttunnel-lifecycle-control %s\n", o->lifecycle_control ? "true" : "false");
}

static void print_tunnel(FILE *f, const struct conf_tunnel *ct)
{
	const struct model_tunnel *t = &ct->t;
	char buf[PREFIX_STRLEN];

	fprintf(f, "\ntunnel %s %u {\n", t->vpn_id, t->index);
	addr_format(&t->outside_local, buf);
	fprintf(f, "\tlocal-address %s\n", buf);
	addr_format(&t->outside_remote, buf);
	fprintf(f, "\tremote-address %s\n", buf);
	prefix_format(&t->local_net, buf);
	fprintf(f, "\tlocal-network %s\n", buf);
	prefix_format(&t->remote_net, buf);
	fprintf(f, "\tremote-network %s\n", buf);
	print_tunnel_opts(f, &t->opt);
	fprintf(f, "\tinside-role %s\n", ct->customer_side ? "customer" : "aws");
	for (size_t i = 0; i < ct->nroutes; i++) {
		prefix_format(&ct->routes[i].prefix, buf);
		fprintf(f, "\troute %s priority %u\n", buf, ct->routes[i].priority);
	}
	fprintf(f, "}\n");
}

void conf_print(const struct conf *c, FILE *f)
{
	static const char *const levels[] = {"err", "warn", "info", "debug"};
	char buf[PREFIX_STRLEN];

	if (c->listen[0])
		fprintf(f, "listen %s\n", c->listen);
	if (c->data_dir[0]) {
		fprintf(f, "data-dir ");
		print_quoted(f, c->data_dir);
		fputc('\n', f);
	}
	if (c->access_key[0]) {
		fprintf(f, "access-key ");
		print_quoted(f, c->access_key);
		fprintf(f, "\nsecret-key ");
		print_quoted(f, c->secret_key);
		fputc('\n', f);
	}
	fprintf(f, "log-level %s\n",
	        levels[c->has_log_level && c->log_level <= LOG_DEBUG ? c->log_level : LOG_INFO]);
	for (size_t i = 0; i < c->npool; i++) {
		addr_format(&c->pool[i], buf);
		fprintf(f, "outside-address %s\n", buf);
	}
	for (size_t i = 0; i < c->ncvpn_addrs; i++) {
		addr_format(&c->cvpn_addrs[i], buf);
		fprintf(f, "client-vpn-address %s\n", buf);
	}
	for (size_t i = 0; i < c->nvpc_nets; i++) {
		prefix_format(&c->vpc_nets[i], buf);
		fprintf(f, "vpc-network %s\n", buf);
	}
	for (size_t i = 0; i < c->ntunnels; i++)
		print_tunnel(f, &c->tunnels[i]);
}
