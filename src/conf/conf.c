/*
 * conf/conf.c - entry points of the conf module: read, parse, diagnostics, defaults,
 * comparisons used by the engine's diff, and freeing (secrets wiped).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"
#include "lib/secret.h"

void conf_diag_add(struct conf_diags *d, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (d->n >= CONF_DIAGS_MAX) {
		d->dropped++;
		return;
	}
	d->v[d->n].line = line;
	va_start(ap, fmt);
	vsnprintf(d->v[d->n].msg, sizeof(d->v[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

void conf_diags_print(const struct conf_diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].line)
			fprintf(f, "%s:%u: %s\n", d->file, d->v[i].line, d->v[i].msg);
		else
			fprintf(f, "%s: %s\n", d->file, d->v[i].msg);
	}
	if (d->dropped)
		fprintf(f, "%s: %zu more problems not shown\n", d->file, d->dropped);
}

static void diags_reset(struct conf_diags *d, const char *name)
{
	size_t n = strlen(name);

	d->n = d->dropped = 0;
	if (n >= sizeof(d->file))
		n = sizeof(d->file) - 1;
	memcpy(d->file, name, n);
	d->file[n] = '\0';
}

void conf_tunnel_defaults(struct conf_tunnel *ct)
{
	memset(ct, 0, sizeof(*ct));
	/* Local/Remote IPv4 Network CIDR default 0.0.0.0/0 (G:391-401). */
	ct->t.local_net.addr.family = AF_INET;
	ct->t.remote_net.addr.family = AF_INET;
	model_tunnel_options_default(&ct->t.opt);
}

RESULT conf_parse_text(const char *name, const char *text, size_t len, struct conf **out,
                       struct conf_diags *d)
{
	struct conf *c;
	struct rbuf r;
	size_t n;

	*out = NULL;
	diags_reset(d, name);
	if (len > CONF_FILE_MAX_BYTES) {
		conf_diag_add(d, 0, "larger than %d bytes", CONF_FILE_MAX_BYTES);
		return E_PARSE;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return E_NOMEM;
	n = strlen(name);
	memcpy(c->path, name, n < sizeof(c->path) ? n + 1 : 1);
	rbuf_init(&r, text, len);
	conf_parse_all(c, &r, d);
	if (d->n || d->dropped) {
		conf_free(c);
		return E_PARSE;
	}
	*out = c;
	return E_OK;
}

RESULT conf_parse_file(const char *path, struct conf **out, struct conf_diags *d)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0, got;
	result_t rc = E_SYSTEM;

	*out = NULL;
	diags_reset(d, path);
	f = fopen(path, "r");
	if (!f) {
		conf_diag_add(d, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	/* One byte more than allowed, so an oversized file is noticed without reading it all. */
	buf = malloc(CONF_FILE_MAX_BYTES + 1);
	if (!buf) {
		rc = E_NOMEM;
		goto out;
	}
	while ((got = fread(buf + len, 1, CONF_FILE_MAX_BYTES + 1 - len, f)) > 0)
		len += got;
	if (ferror(f)) {
		conf_diag_add(d, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	rc = conf_parse_text(path, buf, len, out, d);
out:
	if (buf) {
		secret_wipe(buf, len);
		free(buf);
	}
	if (f)
		fclose(f);
	return rc;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	if (c->tunnels) {
		secret_wipe(c->tunnels, c->ntunnels * sizeof(*c->tunnels));
		free(c->tunnels);
	}
	secret_wipe(c, sizeof(*c));
	free(c);
}

const struct conf_tunnel *conf_tunnel_find(const struct conf *c, const char *vpn_id, unsigned index)
{
	for (size_t i = 0; c && i < c->ntunnels; i++)
		if (c->tunnels[i].t.index == index && strcmp(c->tunnels[i].t.vpn_id, vpn_id) == 0)
			return &c->tunnels[i];
	return NULL;
}

static bool opt_equal(const struct model_tunnel_options *a, const struct model_tunnel_options *b)
{
	return prefix_equal(&a->inside_cidr, &b->inside_cidr) &&
	       a->has_inside_ipv6 == b->has_inside_ipv6 &&
	       (!a->has_inside_ipv6 || prefix_equal(&a->inside_ipv6_cidr, &b->inside_ipv6_cidr)) &&
	       strcmp(a->psk, b->psk) == 0 && a->phase1_lifetime_s == b->phase1_lifetime_s &&
	       a->phase2_lifetime_s == b->phase2_lifetime_s &&
	       a->rekey_margin_s == b->rekey_margin_s && a->rekey_fuzz_pct == b->rekey_fuzz_pct &&
	       a->replay_window == b->replay_window && a->dpd_timeout_s == b->dpd_timeout_s &&
	       a->dpd_action == b->dpd_action && a->startup_action == b->startup_action &&
	       a->phase1_encr == b->phase1_encr && a->phase2_encr == b->phase2_encr &&
	       a->phase1_integ == b->phase1_integ && a->phase2_integ == b->phase2_integ &&
	       a->phase1_dh == b->phase1_dh && a->phase2_dh == b->phase2_dh &&
	       a->ike_versions == b->ike_versions && a->log_enabled == b->log_enabled &&
	       strcmp(a->log_group_arn, b->log_group_arn) == 0 &&
	       a->log_format_text == b->log_format_text &&
	       a->lifecycle_control == b->lifecycle_control;
}

bool conf_tunnel_same_ike(const struct conf_tunnel *a, const struct conf_tunnel *b)
{
	const struct model_tunnel *x = &a->t, *y = &b->t;

	return strcmp(x->vpn_id, y->vpn_id) == 0 && x->index == y->index &&
	       a->customer_side == b->customer_side &&
	       addr_equal(&x->outside_local, &y->outside_local) &&
	       addr_equal(&x->outside_remote, &y->outside_remote) &&
	       prefix_equal(&x->local_net, &y->local_net) &&
	       prefix_equal(&x->remote_net, &y->remote_net) && opt_equal(&x->opt, &y->opt);
}

bool conf_tunnel_equal(const struct conf_tunnel *a, const struct conf_tunnel *b)
{
	if (!conf_tunnel_same_ike(a, b) || a->nroutes != b->nroutes)
		return false;
	for (size_t i = 0; i < a->nroutes; i++)
		if (!prefix_equal(&a->routes[i].prefix, &b->routes[i].prefix) ||
		    a->routes[i].priority != b->routes[i].priority)
			return false;
	return true;
}

int conf_check(const char *path, bool verbose, FILE *out, FILE *err)
{
	struct conf_diags *d = calloc(1, sizeof(*d));
	struct conf *c = NULL;
	int status = 1;

	if (!d) {
		fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	if (conf_parse_file(path, &c, d) == E_OK) {
		if (verbose)
			conf_print(c, out);
		else
			fprintf(err, "configuration OK\n");
		status = 0;
	} else {
		conf_diags_print(d, err);
	}
	conf_free(c);
	free(d);
	return status;
}
