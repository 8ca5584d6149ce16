/*
 * ike_child.c - CHILD SAs: keys (RFC 7296 2.17), traffic selector narrowing (2.9), the hand-off
 * to the data plane through the callbacks, and the CHILD rekey timer.
 */
#include "ike/ike_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

static uint32_t prefix_last_v4(const struct prefix *p)
{
	uint32_t start = addr_v4(&p->addr);

	return p->len == 0 ? 0xffffffffu : start | (0xffffffffu >> p->len);
}

void ike_ts_from_prefix(const struct prefix *pf, struct ike_ts_payload *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->n = 1;
	ts->ts[0].type = IKEV2_TS_IPV4_ADDR_RANGE;
	ts->ts[0].proto = 0;
	ts->ts[0].start_port = 0;
	ts->ts[0].end_port = 65535;
	ts->ts[0].start_v4 = pf->addr.family == AF_INET ? addr_v4(&pf->addr) : 0;
	ts->ts[0].end_v4 = pf->addr.family == AF_INET ? prefix_last_v4(pf) : 0xffffffffu;
}

/* RFC 7296 2.9: the responder narrows the initiator's selectors to its policy: here the
 * intersection with the configured CIDR (G:391-401); no overlap is TS_UNACCEPTABLE. */
static RESULT ts_narrow(const struct ike_ts_payload *in, const struct prefix *pf,
                        struct ike_ts_payload *out)
{
	struct ike_ts_payload mine;

	ike_ts_from_prefix(pf, &mine);
	for (size_t i = 0; i < in->n; i++) {
		const struct ike_ts *t = &in->ts[i];
		uint32_t lo = t->start_v4 > mine.ts[0].start_v4 ? t->start_v4 : mine.ts[0].start_v4;
		uint32_t hi = t->end_v4 < mine.ts[0].end_v4 ? t->end_v4 : mine.ts[0].end_v4;

		if (lo > hi || t->start_port > t->end_port)
			continue;
		*out = mine;
		out->ts[0].start_v4 = lo;
		out->ts[0].end_v4 = hi;
		out->ts[0].proto = t->proto;
		out->ts[0].start_port = t->start_port;
		out->ts[0].end_port = t->end_port;
		return E_OK;
	}
	return E_IKE_TS;
}

/* Peer initiated: TSi is the peer's (customer) side = local_net, TSr ours = remote_net. */
RESULT ike_child_ts_select(const struct ike_tunnel *t, const struct ike_payloads *p,
                           struct ike_ts_payload *tsi, struct ike_ts_payload *tsr)
{
	if (p->tsi.n == 0 || p->tsr.n == 0)
		return E_IKE_TS;
	GUARD(ts_narrow(&p->tsi, &t->m.local_net, tsi));
	return ts_narrow(&p->tsr, &t->m.remote_net, tsr);
}

struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_out == spi_out)
			return c;
	return NULL;
}

struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi_in)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_in == spi_in)
			return c;
	return NULL;
}

static void on_child_rekey(struct ev_timer *tm)
{
	struct ike_child *c = tm->arg;

	if (c->rekeyed || c->sa->state != IKE_SA_ESTABLISHED)
		return;
	/* window size 1: a busy SA queues it (ike_queue.c); other failures retry shortly */
	if (ike_rekey_child_start(c->sa, c) != E_OK)
		ev_timer_arm(c->sa->tun->ctx->loop, &c->rekey_timer, IKE_RETRANSMIT_BASE_MS);
}

static void on_child_expire(struct ev_timer *tm)
{
	struct ike_child *c = tm->arg;
	struct ike_tunnel *t = c->sa->tun;

	ike_tunnel_enter(t);
	ike_info_expire_child(c);
	ike_tunnel_status(t);
	ike_tunnel_leave(t);
}

static void child_report_up(struct ike_sa *sa, struct ike_child *c, const struct ike_child_keys *k,
                            bool we_initiated, bool rekey)
{
	struct ike_tunnel *t = sa->tun;
	struct ike_child_sa_info info = {
	    .vpn_id = t->m.vpn_id,
	    .tunnel_index = t->m.index,
	    .spi_in = c->spi_in,
	    .spi_out = c->spi_out,
	    .encr = c->suite.encr,
	    .key_bits = c->suite.key_bits,
	    .integ = c->suite.integ,
	    /* RFC 7296 2.17: the initiator's keys protect initiator -> responder */
	    .encr_key_in = we_initiated ? k->encr_r : k->encr_i,
	    .encr_key_out = we_initiated ? k->encr_i : k->encr_r,
	    .encr_key_len = k->encr_len,
	    .integ_key_in = we_initiated ? k->integ_r : k->integ_i,
	    .integ_key_out = we_initiated ? k->integ_i : k->integ_r,
	    .integ_key_len = k->integ_len,
	    .udp_encap = sa->natt,
	    .local = sa->sock->local,
	    .remote = sa->remote,
	    .local_port = sa->natt ? t->ctx->cfg.natt_port : t->ctx->cfg.ike_port,
	    .remote_port = sa->remote_port,
	    .replay_window = t->m.opt.replay_window,
	    .lifetime_s = t->m.opt.phase2_lifetime_s,
	    .ts_local = c->ts_local,
	    .ts_remote = c->ts_remote,
	    .rekey = rekey,
	};

	if (t->cb.child_sa_up)
		t->cb.child_sa_up(t->cb_arg, &info);
}

RESULT ike_child_install(struct ike_sa *sa, const struct ike_suite *s, uint32_t spi_in,
                         uint32_t spi_out, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
                         size_t ni_len, const uint8_t *nr, size_t nr_len, bool we_initiated,
                         bool rekey, struct ike_child **out)
{
	struct ike_tunnel *t = sa->tun;
	struct ike_child_keys k;
	struct ike_child *c;
	char suite[96];

	GUARD(ike_child_keys_derive(&sa->keys, s, gir, gir_len, ni, ni_len, nr, nr_len, &k));
	c = calloc(1, sizeof(*c));
	if (!c) {
		secret_wipe(&k, sizeof(k));
		return E_NOMEM;
	}
	c->sa = sa;
	c->suite = *s;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->ts_local = t->m.remote_net;
	c->ts_remote = t->m.local_net;
	c->installed = true;
	c->next = sa->children;
	sa->children = c;
	ike_suite_format(s, suite, sizeof(suite));
	log_info("ike", "%s: CHILD SA %08x_i %08x_o installed (%s)%s", t->name, spi_in, spi_out,
	         suite, sa->natt ? ", UDP-encapsulated" : "");
	child_report_up(sa, c, &k, we_initiated, rekey);
	secret_wipe(&k, sizeof(k));
	ev_timer_init(&c->rekey_timer, on_child_rekey, c);
	ev_timer_arm(t->ctx->loop, &c->rekey_timer,
	             ike_rekey_delay_ms(t, t->m.opt.phase2_lifetime_s));
	ev_timer_init(&c->expire_timer, on_child_expire, c);
	ev_timer_arm(t->ctx->loop, &c->expire_timer, t->m.opt.phase2_lifetime_s * 1000ull);
	if (out)
		*out = c;
	ike_tunnel_status(t);
	return E_OK;
}

void ike_child_free(struct ike_child *c, bool report)
{
	struct ike_tunnel *t = c->sa->tun;

	ev_timer_cancel(t->ctx->loop, &c->rekey_timer);
	ev_timer_cancel(t->ctx->loop, &c->expire_timer);
	if (c->sa->rk.old_child == c)
		c->sa->rk.old_child = NULL;
	if (report && c->installed && t->cb.child_sa_down)
		t->cb.child_sa_down(t->cb_arg, c->spi_in, c->spi_out);
	free(c);
}
