/*
 * engine/backend.c - the real backend of the engine: IKE tunnels (ike/ike.h) and the ESP data
 * plane (dp/dp.h), wired together.
 *
 *   IKE child_sa_up   -> esp_sa_params (in, out) -> dp_sa_install: inbound first, then
 *                        outbound (the data plane switches outbound traffic atomically and
 *                        keeps the old SA until told): make before break on rekey
 *   IKE child_sa_down -> dp_sa_remove (both directions)
 *   IKE tunnel_status -> engine_tunnel_set_status (routes follow health)
 *   dp SA soft limit  -> ike_tunnel_rekey_child (RFC 4303 3.3.3: never cycle the counter)
 *
 * One data plane (TUN device + UDP 4500 / ESP sockets) per outside address: the IKE module
 * owns address:4500 first and steers ESP-in-UDP to the data plane's SO_REUSEPORT socket on the
 * same address and port (ike/ike.h), so the data plane binds the tunnel's outside address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp.h"
#include "engine/engine_int.h"
#include "ike/ike.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "tun/tun.h"

struct engine_dp {
	struct engine *e;
	struct addr local;
	struct dp *dp;
	unsigned ifindex;
	unsigned tun_no; /* the TUN is <prefix><tun_no> */
	unsigned refs;
	struct engine_dp *next;
};

struct engine_real {
	struct ike_ctx *ike;
	struct engine_dp *dps;
};

static bool tun_no_used(const struct engine_real *r, unsigned n)
{
	for (const struct engine_dp *d = r->dps; d; d = d->next)
		if (d->tun_no == n)
			return true;
	return false;
}

/* The lowest TUN number no data plane uses, so a restarted tunnel gets its name back. */
static unsigned tun_no_free(const struct engine_real *r)
{
	unsigned n = 0;

	while (tun_no_used(r, n))
		n++;
	return n;
}

static struct engine_real *real(const struct engine *e)
{
	return e->be_state;
}

static void dp_event(void *arg, const struct dp_event *ev)
{
	struct engine_dp *edp = arg;
	char name[96];

	for (struct engine_tunnel *t = edp->e->tunnels; t; t = t->next) {
		if (t->dp != edp || t->dp_handle != ev->tunnel)
			continue;
		engine_tunnel_name(t, name, sizeof(name));
		log_info("engine", "%s: SA %08x %s: %s, rekeying the CHILD SA", name, ev->spi,
		         ev->dir == ESP_DIR_OUT ? "out" : "in",
		         ev->type == DP_EV_SA_SOFT ? "soft limit reached"
		                                   : "sequence limit reached");
		if (t->ike && ike_tunnel_rekey_child(t->ike) != E_OK)
			log_warn("engine", "%s: CHILD SA rekey could not start", name);
		return;
	}
}

static result_t dp_get(struct engine *e, const struct addr *local, struct engine_dp **out)
{
	struct engine_real *r = real(e);
	struct dp_config cfg = {0};
	struct engine_dp *edp;
	result_t rc;

	for (edp = r->dps; edp; edp = edp->next) {
		if (addr_equal(&edp->local, local)) {
			edp->refs++;
			*out = edp;
			return E_OK;
		}
	}
	edp = calloc(1, sizeof(*edp));
	if (!edp)
		return E_NOMEM;
	edp->tun_no = tun_no_free(r);
	snprintf(cfg.tun_name, sizeof(cfg.tun_name), "%s%u", e->opt.tun_prefix, edp->tun_no);
	cfg.local = *local;
	cfg.udp_port = ike_ctx_natt_port(r->ike);
	rc = dp_new(e->loop, &cfg, &edp->dp);
	if (rc == E_OK)
		rc = tun_ifindex(dp_tun_name(edp->dp), &edp->ifindex);
	if (rc != E_OK) {
		if (edp->dp)
			dp_free(edp->dp);
		free(edp);
		return rc;
	}
	edp->e = e;
	edp->local = *local;
	edp->refs = 1;
	dp_set_event_cb(edp->dp, dp_event, edp);
	edp->next = r->dps;
	r->dps = edp;
	*out = edp;
	return E_OK;
}

static void dp_put(struct engine *e, struct engine_dp *edp)
{
	struct engine_dp **pp = &real(e)->dps;

	if (--edp->refs > 0)
		return;
	while (*pp && *pp != edp)
		pp = &(*pp)->next;
	if (*pp)
		*pp = edp->next;
	dp_free(edp->dp);
	free(edp);
}

/* ---- IKE callbacks ---- */

static void sa_params(const struct ike_child_sa_info *info, bool in, struct esp_sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->spi = in ? info->spi_in : info->spi_out;
	p->dir = in ? ESP_DIR_IN : ESP_DIR_OUT;
	p->mode = ESP_MODE_TUNNEL;
	p->encr = info->encr;
	p->key_bits = info->key_bits;
	p->integ = info->integ;
	if (info->encr_key_len <= sizeof(p->encr_key)) {
		memcpy(p->encr_key, in ? info->encr_key_in : info->encr_key_out,
		       info->encr_key_len);
		p->encr_key_len = info->encr_key_len;
	}
	if (info->integ_key_len <= sizeof(p->integ_key)) {
		memcpy(p->integ_key, in ? info->integ_key_in : info->integ_key_out,
		       info->integ_key_len);
		p->integ_key_len = info->integ_key_len;
	}
	p->replay_window = info->replay_window;
	p->local = info->local;
	p->remote = info->remote;
	p->encap = info->udp_encap;
	p->local_port = info->local_port;
	p->remote_port = info->remote_port;
}

static void on_child_sa_up(void *arg, const struct ike_child_sa_info *info)
{
	struct engine_tunnel *t = arg;
	struct esp_sa_params p;
	char name[96];
	result_t rc;

	engine_tunnel_name(t, name, sizeof(name));
	if (!t->dp || !t->dp_handle) {
		log_err("engine", "%s: CHILD SA up but no data-plane tunnel", name);
		return;
	}
	/* Inbound first: the peer may send with the new SA as soon as it has it. */
	sa_params(info, true, &p);
	rc = dp_sa_install(t->dp->dp, t->dp_handle, &p);
	secret_wipe(&p, sizeof(p));
	if (rc == E_OK) {
		sa_params(info, false, &p);
		rc = dp_sa_install(t->dp->dp, t->dp_handle, &p);
		secret_wipe(&p, sizeof(p));
		if (rc != E_OK && dp_sa_remove(t->dp->dp, info->spi_in, ESP_DIR_IN) != E_OK)
			log_warn("engine", "%s: inbound SA %08x already gone", name, info->spi_in);
	}
	if (rc != E_OK) {
		log_err("engine", "%s: cannot install CHILD SA %08x/%08x: %s", name, info->spi_in,
		        info->spi_out, err_msg(rc));
		return;
	}
	if (t->nsas < ENGINE_SA_PAIRS_MAX)
		t->sas[t->nsas++] = (struct engine_sa_pair){info->spi_in, info->spi_out};
	log_info("engine", "%s: CHILD SA installed: in %08x out %08x%s%s", name, info->spi_in,
	         info->spi_out, info->udp_encap ? " (UDP-encapsulated)" : "",
	         info->rekey ? " (rekey)" : "");
}

static void on_child_sa_down(void *arg, uint32_t spi_in, uint32_t spi_out)
{
	struct engine_tunnel *t = arg;
	char name[96];

	engine_tunnel_name(t, name, sizeof(name));
	for (size_t i = 0; i < t->nsas; i++) {
		if (t->sas[i].spi_in != spi_in || t->sas[i].spi_out != spi_out)
			continue;
		t->sas[i] = t->sas[--t->nsas];
		break;
	}
	if (!t->dp)
		return;
	if (dp_sa_remove(t->dp->dp, spi_out, ESP_DIR_OUT) != E_OK ||
	    dp_sa_remove(t->dp->dp, spi_in, ESP_DIR_IN) != E_OK)
		log_debug("engine", "%s: SA %08x/%08x was not installed", name, spi_in, spi_out);
	log_info("engine", "%s: CHILD SA removed: in %08x out %08x", name, spi_in, spi_out);
}

static void on_tunnel_status(void *arg, bool up, const char *msg)
{
	struct engine_tunnel *t = arg;

	/* UP needs a CHILD SA that actually carries traffic: one the data plane accepted. */
	if (up && t->nsas == 0) {
		engine_tunnel_set_status(t, false, "IKE SA up but no CHILD SA in the data plane");
		return;
	}
	engine_tunnel_set_status(t, up, msg);
}

/* DPD (RFC 7296 2.4): the newest authenticated inbound ESP packet of the tunnel's SAs. */
static uint64_t on_last_inbound_ms(void *arg)
{
	struct engine_tunnel *t = arg;
	struct dp_sa_info si;
	uint64_t last = 0;

	for (size_t i = 0; t->dp && i < t->nsas; i++)
		if (dp_sa_stats(t->dp->dp, t->sas[i].spi_in, ESP_DIR_IN, &si) == E_OK &&
		    si.last_ms > last)
			last = si.last_ms;
	return last;
}

static const struct ike_callbacks ike_cbs = {
    .child_sa_up = on_child_sa_up,
    .child_sa_down = on_child_sa_down,
    .tunnel_status = on_tunnel_status,
    .last_inbound_ms = on_last_inbound_ms,
};

/* ---- the backend table ---- */

static result_t real_tunnel_start(struct engine *e, struct engine_tunnel *t)
{
	struct dp_tunnel_params p = {0};
	struct addr cgw;
	result_t rc;

	/* IKE first: it must own address:4500 before the data plane joins the port. */
	rc = ike_tunnel_new(real(e)->ike, &t->ct.t, &ike_cbs, t, &t->ike);
	if (rc != E_OK) {
		engine_tunnel_set_status(t, false, "cannot start IKE on the outside address");
		return rc;
	}
	rc = dp_get(e, &t->ct.t.outside_local, &t->dp);
	if (rc != E_OK) {
		engine_tunnel_set_status(t, false, "cannot open the data plane");
		return rc;
	}
	p.local = t->ct.t.outside_local;
	p.remote = t->ct.t.outside_remote;
	/* G:1555: the AWS side takes the first host of the inside /30, the customer gateway the
	 * second (inside-role customer: we are the customer gateway). */
	model_inside_addrs(&t->ct.t.opt.inside_cidr, &p.inside.addr, &cgw);
	if (t->ct.customer_side)
		p.inside.addr = cgw;
	p.inside.len = t->ct.t.opt.inside_cidr.len;
	if (t->ct.t.opt.has_inside_ipv6) {
		model_inside_addrs(&t->ct.t.opt.inside_ipv6_cidr, &p.inside6.addr, &cgw);
		p.inside6.len = t->ct.t.opt.inside_ipv6_cidr.len;
	}
	rc = dp_tunnel_add(t->dp->dp, &p, &t->dp_handle);
	if (rc != E_OK) {
		t->dp_handle = 0;
		engine_tunnel_set_status(t, false, "cannot add the data-plane tunnel");
	}
	return rc;
}

static void real_tunnel_stop(struct engine *e, struct engine_tunnel *t)
{
	char name[96];

	engine_tunnel_name(t, name, sizeof(name));
	if (t->ike) {
		/* Graceful: tell the peer (INFORMATIONAL DELETE), then the CHILD SAs go down
		 * through child_sa_down while the data-plane tunnel still exists. */
		if (ike_tunnel_is_up(t->ike) && ike_tunnel_delete(t->ike) != E_OK)
			log_debug("engine", "%s: no IKE SA to delete", name);
		ike_tunnel_free(t->ike);
		t->ike = NULL;
	}
	if (t->dp) {
		if (t->dp_handle && dp_tunnel_remove(t->dp->dp, t->dp_handle) != E_OK)
			log_warn("engine", "%s: data-plane tunnel already gone", name);
		dp_put(e, t->dp);
		t->dp = NULL;
		t->dp_handle = 0;
	}
	t->nsas = 0;
}

static result_t real_route_add(struct engine *e, struct engine_tunnel *t,
                               const struct conf_route *r)
{
	result_t rc;

	(void)e;
	if (!t->dp || !t->dp_handle)
		return E_STATE;
	rc = dp_route_add(t->dp->dp, &r->prefix, t->dp_handle, r->priority);
	return rc == E_EXISTS ? E_OK : rc;
}

static void real_route_del(struct engine *e, struct engine_tunnel *t, const struct conf_route *r)
{
	(void)e;
	if (!t->dp || !t->dp_handle)
		return;
	if (dp_route_remove(t->dp->dp, &r->prefix, t->dp_handle) != E_OK)
		log_debug("engine", "data-plane route already gone");
}

static result_t real_kroute_set(struct engine *e, const struct engine_tunnel *t,
                                const struct prefix *p, uint32_t metric, unsigned *dev)
{
	result_t rc;

	if (!t->dp || !t->dp_handle)
		return E_STATE;
	rc = tun_route_replace(t->dp->ifindex, p, e->opt.route_table, metric);
	if (rc == E_OK)
		*dev = t->dp->ifindex;
	else
		log_err("engine", "kernel route: %s", err_msg(rc));
	return rc;
}

static void real_kroute_del(struct engine *e, unsigned dev, const struct prefix *p, uint32_t metric)
{
	/* The device may be gone already (its last tunnel stopped): its routes went with it. */
	if (tun_route_del(dev, p, e->opt.route_table, metric) != E_OK)
		log_debug("engine", "kernel route already gone");
}

static result_t real_rekey(struct engine *e, struct engine_tunnel *t, bool ike)
{
	(void)e;
	if (!t->ike)
		return E_STATE;
	return ike ? ike_tunnel_rekey_ike(t->ike) : ike_tunnel_rekey_child(t->ike);
}

static void real_stats(const struct engine *e, const struct engine_tunnel *t,
                       struct engine_tunnel_status *st)
{
	struct dp_sa_info in, out;

	(void)e;
	if (!t->dp || t->nsas == 0)
		return;
	/* The newest pair carries the traffic (make before break). */
	if (dp_sa_stats(t->dp->dp, t->sas[t->nsas - 1].spi_in, ESP_DIR_IN, &in) == E_OK) {
		st->bytes_in = in.bytes;
		st->last_inbound_ms = in.last_ms;
	}
	if (dp_sa_stats(t->dp->dp, t->sas[t->nsas - 1].spi_out, ESP_DIR_OUT, &out) == E_OK)
		st->bytes_out = out.bytes;
}

static void real_fini(struct engine *e)
{
	struct engine_real *r = real(e);

	if (!r)
		return;
	while (r->dps) {
		struct engine_dp *edp = r->dps;

		r->dps = edp->next;
		dp_free(edp->dp);
		free(edp);
	}
	if (r->ike)
		ike_ctx_free(r->ike);
	free(r);
	e->be_state = NULL;
}

const struct engine_backend engine_backend_real = {
    .tunnel_start = real_tunnel_start,
    .tunnel_stop = real_tunnel_stop,
    .route_add = real_route_add,
    .route_del = real_route_del,
    .kroute_set = real_kroute_set,
    .kroute_del = real_kroute_del,
    .rekey = real_rekey,
    .stats = real_stats,
    .fini = real_fini,
};

RESULT engine_backend_real_new(struct ev_loop *loop, const struct engine_options *opt, void **state)
{
	struct engine_real *r = calloc(1, sizeof(*r));
	struct ike_ctx_config cfg = {0};
	result_t rc;

	*state = NULL;
	if (!r)
		return E_NOMEM;
	if (opt) {
		cfg.ike_port = opt->ike_port;
		cfg.natt_port = opt->natt_port;
		cfg.force_natt = opt->force_natt;
	}
	rc = ike_ctx_new(loop, &cfg, &r->ike);
	if (rc != E_OK) {
		free(r);
		return rc;
	}
	*state = r;
	return E_OK;
}

/* Here rather than in engine.c, so the core links without IKE and the data plane (unit tests). */
RESULT engine_new(struct ev_loop *loop, const struct engine_options *opt, const struct conf *c,
                  struct engine **out)
{
	void *st = NULL;

	*out = NULL;
	GUARD(engine_backend_real_new(loop, opt, &st));
	return engine_new_backend(loop, opt, &engine_backend_real, st, c, out);
}
