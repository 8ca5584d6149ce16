/*
 * ike_sa.c - IKE SA lifecycle, lookup by SPI, message IDs and retransmission (RFC 7296 2.1,
 * 2.3), and the dispatch of received messages to the exchange files.
 */
#include "ike/ike_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_sk.h"
#include "lib/clock.h"
#include "lib/secret.h"

#define IKE_MSG_BUF_MAX (64 * 1024)

RESULT ike_spi_random64(uint64_t *spi)
{
	do
		GUARD(secret_random(spi, sizeof(*spi)));
	while (*spi == 0);
	return E_OK;
}

RESULT ike_spi_random32(uint32_t *spi)
{
	/* RFC 4303 2.1: SPIs 1-255 are reserved */
	do
		GUARD(secret_random(spi, sizeof(*spi)));
	while (*spi < 256);
	return E_OK;
}

static void on_retransmit(struct ev_timer *tm);
static void on_retransmit_due(struct ike_sa *sa);

static void on_ike_expire(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;
	struct ike_tunnel *t = sa->tun;

	ike_tunnel_enter(t);
	ike_info_expire_ike(sa);
	ike_sa_reap(t);
	ike_tunnel_leave(t);
}

RESULT ike_sa_new(struct ike_tunnel *t, bool initiator, struct ike_sa **out)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return E_NOMEM;
	sa->tun = t;
	sa->initiator = initiator;
	sa->sock = t->sock;
	wbuf_init_dyn(&sa->init_req, 512, IKE_MSG_BUF_MAX);
	wbuf_init_dyn(&sa->init_resp, 512, IKE_MSG_BUF_MAX);
	wbuf_init_dyn(&sa->req, 512, IKE_MSG_BUF_MAX);
	wbuf_init_dyn(&sa->resp, 512, IKE_MSG_BUF_MAX);
	ev_timer_init(&sa->retx_timer, on_retransmit, sa);
	ev_timer_init(&sa->life_timer, NULL, sa);
	ev_timer_init(&sa->dpd_timer, NULL, sa);
	ev_timer_init(&sa->keepalive_timer, NULL, sa);
	ev_timer_init(&sa->expire_timer, on_ike_expire, sa);
	ev_timer_init(&sa->pend_timer, NULL, sa);
	sa->last_rx_ms = clock_mono_ms();
	sa->next = t->sas;
	t->sas = sa;
	*out = sa;
	return E_OK;
}

static void ike_sa_timers_cancel(struct ike_sa *sa)
{
	struct ev_loop *loop = sa->tun->ctx->loop;

	ev_timer_cancel(loop, &sa->retx_timer);
	ev_timer_cancel(loop, &sa->life_timer);
	ev_timer_cancel(loop, &sa->dpd_timer);
	ev_timer_cancel(loop, &sa->keepalive_timer);
	ev_timer_cancel(loop, &sa->expire_timer);
	ike_sa_pending_clear(sa);
}

/* Mark dead: timers off, CHILD SAs reported down. The memory goes at the next reap, so a
 * caller up the stack may still look at the struct. */
void ike_sa_kill(struct ike_sa *sa, const char *why)
{
	if (sa->state == IKE_SA_DEAD)
		return;
	log_info("ike", "%s: IKE SA %016llx_i %016llx_r closed: %s", sa->tun->name,
	         (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, why);
	sa->state = IKE_SA_DEAD;
	ike_sa_timers_cancel(sa);
	while (sa->children) {
		struct ike_child *c = sa->children;

		sa->children = c->next;
		ike_child_free(c, true);
	}
	if (sa->counted_half_open) {
		sa->counted_half_open = false;
		sa->tun->ctx->half_open--;
	}
}

static void ike_sa_free(struct ike_sa *sa)
{
	ike_sa_kill(sa, "freed");
	ike_rekey_fini(&sa->rk);
	crypto_dh_free(sa->dh);
	if (sa->have_keys)
		ike_keys_fini(&sa->keys);
	wbuf_free(&sa->init_req);
	wbuf_free(&sa->init_resp);
	wbuf_free(&sa->req);
	wbuf_free(&sa->resp);
	secret_wipe(sa, sizeof(*sa));
	free(sa);
}

static void on_start(struct ev_timer *tm)
{
	struct ike_tunnel *t = tm->arg;
	result_t rc = ike_tunnel_initiate(t);

	/* E_STATE: an IKE SA exists (the peer was faster); its end re-arms us if needed */
	if (rc != E_OK && rc != E_STATE)
		ev_timer_arm(t->ctx->loop, &t->start_timer, IKE_RETRY_INITIATE_MS);
}

/* AWS G:572: with startup action Start (or DPD action Restart) the AWS side "will
 * continuously try to establish a connection until one is made": whenever the last IKE SA
 * is gone (failed attempt, peer gave up, DELETE received), initiate again. */
static void ike_tunnel_maybe_restart(struct ike_tunnel *t)
{
	if (ike_sa_current(t) || t->m.outside_remote.family == 0 || t->free_pending)
		return;
	for (struct ike_sa *sa = t->sas; sa; sa = sa->next)
		if (sa->state != IKE_SA_DEAD)
			return;
	if ((t->m.opt.startup_action == MODEL_STARTUP_START || t->restarting) &&
	    !ev_timer_armed(&t->start_timer))
		ev_timer_arm(t->ctx->loop, &t->start_timer, IKE_RETRY_INITIATE_MS);
}

void ike_sa_reap(struct ike_tunnel *t)
{
	struct ike_sa **pp = &t->sas;

	while (*pp) {
		struct ike_sa *sa = *pp;

		if (sa->state == IKE_SA_DEAD) {
			*pp = sa->next;
			ike_sa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
	ike_tunnel_status(t);
	ike_tunnel_maybe_restart(t);
}

struct ike_sa *ike_sa_current(struct ike_tunnel *t)
{
	for (struct ike_sa *sa = t->sas; sa; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED && !sa->rekeyed)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_by_spis(struct ike_tunnel *t, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = t->sas; sa; sa = sa->next)
		if (sa->state != IKE_SA_DEAD && sa->spi_i == spi_i && sa->spi_r == spi_r)
			return sa;
	return NULL;
}

void ike_sa_adopt_children(struct ike_sa *from, struct ike_sa *to)
{
	struct ike_child **tail = &to->children;

	while (*tail)
		tail = &(*tail)->next;
	*tail = from->children;
	from->children = NULL;
	for (struct ike_child *c = *tail; c; c = c->next)
		c->sa = to;
	ike_sa_pending_move(from, to);
}

/* Up: an established IKE SA carries an installed CHILD SA. During a simultaneous IKE rekey
 * (RFC 7296 2.8.2) the CHILD SAs wait on the replaced IKE SA, which still counts. */
static bool tunnel_carries_traffic(const struct ike_tunnel *t)
{
	for (const struct ike_sa *sa = t->sas; sa; sa = sa->next) {
		if (sa->state != IKE_SA_ESTABLISHED)
			continue;
		for (const struct ike_child *c = sa->children; c; c = c->next)
			if (c->installed)
				return true;
	}
	return false;
}

void ike_tunnel_status(struct ike_tunnel *t)
{
	bool up = tunnel_carries_traffic(t);
	const char *msg = up ? "IKE and CHILD SA established" : t->down_msg ? t->down_msg : "no SA";

	if (up == t->up)
		return;
	t->up = up;
	t->down_msg = NULL;
	if (up)
		t->restarting = false;
	ike_log_event(t, up ? "tunnel-up" : "tunnel-down", "%s: %s",
	              up ? "tunnel is up" : "tunnel is down", msg);
	if (t->cb.tunnel_status)
		t->cb.tunnel_status(t->cb_arg, up, msg);
}

static uint8_t ike_sa_flags(const struct ike_sa *sa, bool response)
{
	return (uint8_t)((sa->initiator ? IKEV2_FLAG_INITIATOR : 0) |
	                 (response ? IKEV2_FLAG_RESPONSE : 0));
}

RESULT ike_sa_seal(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                   struct wbuf *inner, struct wbuf *out)
{
	struct ike_hdr h = {.spi_i = sa->spi_i,
	                    .spi_r = sa->spi_r,
	                    .exchange = exchange,
	                    .flags = ike_sa_flags(sa, response),
	                    .msg_id = msgid};

	wbuf_reset(out);
	return ike_sk_seal(sa->keys.out, &h, inner, out);
}

static void arm_retransmit(struct ike_sa *sa)
{
	uint64_t delay = (uint64_t)IKE_RETRANSMIT_BASE_MS << sa->req_tries;

	if (delay > IKE_RETRANSMIT_MAX_MS)
		delay = IKE_RETRANSMIT_MAX_MS;
	ev_timer_arm(sa->tun->ctx->loop, &sa->retx_timer, delay);
}

/* Send a request we built (already in sa->req) and start retransmitting it. */
static RESULT send_req(struct ike_sa *sa, enum ike_req_kind kind)
{
	sa->req_kind = kind;
	sa->req_tries = 0;
	GUARD(ike_net_send(sa, &sa->req));
	arm_retransmit(sa);
	return E_OK;
}

RESULT ike_sa_request(struct ike_sa *sa, uint8_t exchange, enum ike_req_kind kind,
                      struct wbuf *inner)
{
	/* RFC 7296 2.3: window size 1, one request outstanding */
	if (sa->req_kind != IKE_REQ_NONE)
		return E_AGAIN;
	GUARD(ike_sa_seal(sa, exchange, false, sa->next_msgid, inner, &sa->req));
	sa->next_msgid++;
	return send_req(sa, kind);
}

/* For IKE_SA_INIT, built in the clear by ike_init.c into sa->req. */
RESULT ike_sa_request_plain(struct ike_sa *sa, enum ike_req_kind kind);
RESULT ike_sa_request_plain(struct ike_sa *sa, enum ike_req_kind kind)
{
	return send_req(sa, kind);
}

void ike_sa_request_done(struct ike_sa *sa)
{
	sa->req_kind = IKE_REQ_NONE;
	ev_timer_cancel(sa->tun->ctx->loop, &sa->retx_timer);
	ike_sa_pending_kick(sa);
}

RESULT ike_sa_respond(struct ike_sa *sa, uint8_t exchange, struct wbuf *inner)
{
	GUARD(ike_sa_seal(sa, exchange, true, sa->peer_msgid, inner, &sa->resp));
	sa->resp_msgid = sa->peer_msgid++;
	sa->have_resp = true;
	return ike_net_send(sa, &sa->resp);
}

static void on_retransmit(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;
	struct ike_tunnel *t = sa->tun;

	if (sa->req_kind == IKE_REQ_NONE)
		return;
	ike_tunnel_enter(t);
	on_retransmit_due(sa);
	ike_tunnel_leave(t);
}

static void on_retransmit_due(struct ike_sa *sa)
{
	struct ike_tunnel *t = sa->tun;

	if (sa->req_kind == IKE_REQ_DPD
	        ? clock_mono_ms() - sa->last_rx_ms >= t->m.opt.dpd_timeout_s * 1000ull
	        : sa->req_tries >= IKE_RETRANSMIT_TRIES) {
		if (sa->req_kind == IKE_REQ_DPD) {
			ike_log_event(t, "dpd-timeout",
			              "AWS tunnel DPD timed out after %u retransmits",
			              sa->req_tries);
			/* G:333-337: action none keeps the SAs as they are */
			if (t->m.opt.dpd_action == MODEL_DPD_NONE) {
				ike_sa_request_done(sa);
				return;
			}
			t->down_msg = "peer dead (DPD timeout)";
		}
		ike_sa_kill(sa, "peer did not answer");
		if (t->m.opt.dpd_action == MODEL_DPD_RESTART && sa->req_kind == IKE_REQ_DPD) {
			/* G:572: restart re-initiates, and keeps trying until it succeeds */
			t->restarting = true;
			ev_timer_arm(t->ctx->loop, &t->start_timer, 0);
		}
		ike_sa_reap(t);
		return;
	}
	sa->req_tries++;
	log_debug("ike", "%s: retransmit %u of message %u", t->name, sa->req_tries,
	          sa->next_msgid - 1);
	IKE_IGNORE(ike_net_send(sa, &sa->req));
	arm_retransmit(sa);
}

static struct ike_tunnel *tunnel_find(struct ike_ctx *ctx, struct ike_sock *s,
                                      const struct addr *from)
{
	struct ike_tunnel *any = NULL;

	for (struct ike_tunnel *t = ctx->tunnels; t; t = t->next) {
		if (t->sock != s)
			continue;
		if (addr_equal(&t->m.outside_remote, from))
			return t;
		if (t->m.outside_remote.family == 0 && !any)
			any = t;
	}
	return any;
}

static struct ike_sa *sa_find(struct ike_tunnel *t, const struct ike_hdr *h)
{
	bool from_initiator = (h->flags & IKEV2_FLAG_INITIATOR) != 0;

	for (struct ike_sa *sa = t->sas; sa; sa = sa->next) {
		if (sa->state == IKE_SA_DEAD)
			continue;
		/* the peer is the original initiator exactly when we are not */
		if (from_initiator == sa->initiator)
			continue;
		if (sa->spi_i == h->spi_i &&
		    (sa->spi_r == h->spi_r || sa->state == IKE_SA_INIT_SENT))
			return sa;
	}
	return NULL;
}

/* Verify and decrypt an SK-protected message into p. */
static RESULT sa_open(struct ike_sa *sa, const uint8_t *data, size_t len, uint8_t *plain,
                      size_t cap, struct ike_payloads *p, uint8_t *critical)
{
	struct ike_hdr h;
	struct ike_chain *outer = malloc(2 * sizeof(*outer)), *inner;
	struct rbuf r;
	result_t rc;

	if (!outer)
		return E_NOMEM;
	inner = outer + 1;
	*critical = 0;
	GUARD_OUT(rc, ike_msg_frame(data, len, &h, outer));
	GUARD_OUT(rc, sa->have_keys && outer->has_sk ? E_OK : E_IKE_SYNTAX);
	GUARD_OUT(rc, ike_sk_open(sa->keys.in, data, len, outer, plain, cap, &r));
	rc = ike_chain_frame(&r, outer->sk_first, inner);
	if (rc == E_IKE_CRITICAL)
		*critical = inner->unsupported_critical;
	if (rc != E_OK)
		goto out;
	ike_payloads_init(p);
	rc = ike_chain_decode(inner, p);
out:
	free(outer);
	return rc;
}

/* RFC 7296 2.23: after an authenticated message, follow the peer's address and port; a
 * message arriving on the NAT-T port moves the SA there. */
static void sa_follow_peer(struct ike_sa *sa, bool natt, const struct addr *from, uint16_t port)
{
	if (natt)
		sa->natt = true;
	sa->remote = *from;
	sa->remote_port = port;
	sa->last_rx_ms = clock_mono_ms();
}

static void sa_handle_response(struct ike_sa *sa, const struct ike_hdr *h,
                               const struct ike_payloads *p)
{
	enum ike_req_kind kind = sa->req_kind;

	(void)h;
	ike_sa_request_done(sa); /* the handlers may start the next request */
	switch (kind) {
	case IKE_REQ_AUTH:
		ike_auth_response(sa, p);
		break;
	case IKE_REQ_CHILD_REKEY:
	case IKE_REQ_IKE_REKEY:
		ike_rekey_response(sa, kind, p);
		break;
	default:
		ike_info_response(sa, kind, p);
		break;
	}
}

static void sa_handle_request(struct ike_sa *sa, const struct ike_hdr *h,
                              const struct ike_payloads *p)
{
	if (h->exchange == IKEV2_EXCH_IKE_AUTH && sa->state == IKE_SA_INIT_DONE)
		ike_auth_request(sa, p);
	else if (h->exchange == IKEV2_EXCH_CREATE_CHILD_SA && sa->state == IKE_SA_ESTABLISHED)
		ike_rekey_request(sa, p);
	else if (h->exchange == IKEV2_EXCH_INFORMATIONAL && sa->state >= IKE_SA_AUTH_SENT &&
	         sa->state != IKE_SA_DEAD)
		ike_info_request(sa, p);
	/* CVE-2014-2338, CVE-2019-12312: nothing else is acted on before IKE_AUTH completes */
}

static void sa_process(struct ike_sa *sa, bool natt, const struct addr *from, uint16_t port,
                       const struct ike_hdr *h, const uint8_t *data, size_t len)
{
	struct ike_payloads *p = malloc(sizeof(*p));
	uint8_t *plain = malloc(len);
	uint8_t critical = 0;
	result_t rc;

	if (!p || !plain)
		goto out;
	rc = sa_open(sa, data, len, plain, len, p, &critical);
	if (rc == E_IKE_CRITICAL && !(h->flags & IKEV2_FLAG_RESPONSE)) {
		/* RFC 7296 2.5: reject the message, naming the payload type */
		ike_info_notify_response(sa, h->exchange, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
		                         &critical, 1);
		goto out;
	}
	if (rc != E_OK) {
		log_debug("ike", "%s: dropping message %u: %s", sa->tun->name, h->msg_id,
		          err_msg(rc));
		goto out;
	}
	sa_follow_peer(sa, natt, from, port);
	if (h->flags & IKEV2_FLAG_RESPONSE)
		sa_handle_response(sa, h, p);
	else
		sa_handle_request(sa, h, p);
out:
	if (plain)
		secret_wipe(plain, len);
	free(plain);
	free(p);
}

/*
 * A request is a retransmission only when it is byte for byte the one we answered last: the SPIs
 * and message ID travel in the clear, so a copy with the same ID but other bytes (a corrupted
 * ICV, a forgery) must not make us resend the response (RFC 7296 2.21.2: messages failing the
 * integrity check are dropped silently; robustness.md #23).
 */
static bool is_retransmission(const struct ike_sa *sa, const struct ike_hdr *h,
                              const uint8_t digest[20])
{
	return sa->have_resp && sa->have_resp_req_digest && h->msg_id == sa->resp_msgid &&
	       sa->peer_msgid == h->msg_id + 1 &&
	       memcmp(sa->resp_req_digest, digest, sizeof(sa->resp_req_digest)) == 0;
}

static void dispatch_sa(struct ike_tunnel *t, bool natt, const struct addr *from, uint16_t port,
                        const struct ike_hdr *h, const uint8_t *data, size_t len)
{
	struct ike_sa *sa = sa_find(t, h);
	uint8_t digest[20];

	if (!sa)
		return;
	if (h->flags & IKEV2_FLAG_RESPONSE) {
		/* RFC 7296 2.3: a response must match our outstanding request */
		if (sa->req_kind == IKE_REQ_NONE || h->msg_id != sa->next_msgid - 1)
			return;
		if (h->exchange == IKEV2_EXCH_IKE_SA_INIT) {
			if (sa->state == IKE_SA_INIT_SENT)
				ike_init_response(sa, h, data, len);
			return;
		}
		sa_process(sa, natt, from, port, h, data, len);
		return;
	}
	if (crypto_sha1(data, len, digest) != E_OK)
		return;
	if (is_retransmission(sa, h, digest)) {
		/* RFC 7296 2.1: a retransmitted request gets the same response again */
		IKE_IGNORE(ike_net_send(sa, &sa->resp));
		return;
	}
	if (h->msg_id != sa->peer_msgid)
		return;
	sa_process(sa, natt, from, port, h, data, len);
	if (sa->have_resp && sa->resp_msgid == h->msg_id) {
		/* this request was authenticated and answered: remember exactly which bytes */
		memcpy(sa->resp_req_digest, digest, sizeof(digest));
		sa->have_resp_req_digest = true;
	}
}

void ike_dispatch(struct ike_sock *s, bool natt, const struct addr *from, uint16_t port,
                  const uint8_t *data, size_t len)
{
	struct ike_tunnel *t;
	struct ike_hdr h;
	struct rbuf r;
	result_t rc;

	rbuf_init(&r, data, len);
	/* cheap checks first: header, length, a tunnel for this peer */
	rc = ike_hdr_parse(&r, &h);
	t = tunnel_find(s->ctx, s, from);
	if (!t || (rc != E_OK && rc != E_IKE_VERSION) || h.length != len || h.spi_i == 0)
		return;
	if (rc == E_IKE_VERSION) {
		/* RFC 7296 2.5: answer requests (never responses) with the version we speak */
		if (!(h.flags & IKEV2_FLAG_RESPONSE) && log_ratelimit_ok(&s->ctx->rl_drop))
			ike_send_plain_notify(s, natt, from, port, &h,
			                      IKEV2_N_INVALID_MAJOR_VERSION, NULL, 0);
		return;
	}
	ike_tunnel_enter(t);
	if (h.exchange == IKEV2_EXCH_IKE_SA_INIT && !(h.flags & IKEV2_FLAG_RESPONSE)) {
		ike_init_request(s, natt, from, port, &h, data, len);
	} else {
		dispatch_sa(t, natt, from, port, &h, data, len);
	}
	ike_sa_reap(t);
	ike_tunnel_leave(t);
}

uint64_t ike_rekey_delay_ms(const struct ike_tunnel *t, uint32_t lifetime_s)
{
	uint64_t margin = t->m.opt.rekey_margin_s, fuzz_max, fuzz = 0;
	uint32_t r;

	/* G:479-495: rekey in the margin before expiry, at a random point of the fuzz window */
	if (margin >= lifetime_s)
		margin = lifetime_s / 2;
	fuzz_max = margin * t->m.opt.rekey_fuzz_pct / 100;
	if (fuzz_max > 0 && fuzz_max < UINT32_MAX &&
	    secret_random_below((uint32_t)fuzz_max + 1, &r) == E_OK)
		fuzz = r;
	return (lifetime_s - margin - fuzz) * 1000ull;
}

static void on_ike_rekey(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;

	if (sa->state != IKE_SA_ESTABLISHED || sa->rekeyed)
		return;
	/* a busy window queues the rekey (ike_queue.c) */
	if (ike_rekey_ike_start(sa) != E_OK)
		ev_timer_arm(sa->tun->ctx->loop, &sa->life_timer, IKE_RETRANSMIT_BASE_MS);
}

void ike_sa_arm_rekey(struct ike_sa *sa)
{
	sa->life_timer.cb = on_ike_rekey;
	ev_timer_arm(sa->tun->ctx->loop, &sa->life_timer,
	             ike_rekey_delay_ms(sa->tun, sa->tun->m.opt.phase1_lifetime_s));
}

void ike_sa_established(struct ike_sa *sa)
{
	char suite[96];

	sa->state = IKE_SA_ESTABLISHED;
	if (sa->counted_half_open) {
		sa->counted_half_open = false;
		sa->tun->ctx->half_open--;
	}
	ike_suite_format(&sa->suite, suite, sizeof(suite));
	log_info("ike", "%s: IKE SA %016llx_i %016llx_r established (%s)%s", sa->tun->name,
	         (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, suite,
	         sa->natt ? ", NAT-T" : "");
	ev_timer_cancel(sa->tun->ctx->loop, &sa->life_timer);
	ike_sa_arm_rekey(sa);
	ev_timer_arm(sa->tun->ctx->loop, &sa->expire_timer,
	             sa->tun->m.opt.phase1_lifetime_s * 1000ull);
	ike_dpd_arm(sa);
	ike_net_keepalive_start(sa);
}

/* --- tunnels --- */

RESULT ike_tunnel_new(struct ike_ctx *ctx, const struct model_tunnel *m,
                      const struct ike_callbacks *cb, void *arg, struct ike_tunnel **out)
{
	struct ike_tunnel *t;
	char ip[ADDR_STRLEN];
	result_t rc;

	if (m->outside_local.family != AF_INET || m->opt.psk[0] == '\0')
		return E_INVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return E_NOMEM;
	t->ctx = ctx;
	t->m = *m;
	if (cb)
		t->cb = *cb;
	t->cb_arg = arg;
	addr_format(&m->outside_local, ip);
	snprintf(t->name, sizeof(t->name), "%s tunnel %u (%s)", m->vpn_id, m->index, ip);
	rc = ike_sock_get(ctx, &m->outside_local, &t->sock);
	if (rc != E_OK) {
		free(t);
		return rc;
	}
	ev_timer_init(&t->start_timer, on_start, t);
	t->next = ctx->tunnels;
	ctx->tunnels = t;
	if (m->opt.startup_action == MODEL_STARTUP_START && m->outside_remote.family)
		ev_timer_arm(ctx->loop, &t->start_timer, 0);
	*out = t;
	return E_OK;
}

void ike_tunnel_enter(struct ike_tunnel *t)
{
	t->busy++;
}

static void tunnel_destroy(struct ike_tunnel *t);

void ike_tunnel_leave(struct ike_tunnel *t)
{
	if (--t->busy == 0 && t->free_pending)
		tunnel_destroy(t);
}

/* Safe from inside a callback: the engine is then still on the stack, so the free waits
 * until the outermost engine call returns (ike_tunnel_leave). */
void ike_tunnel_free(struct ike_tunnel *t)
{
	if (!t || t->free_pending)
		return;
	t->free_pending = true;
	if (t->busy == 0)
		tunnel_destroy(t);
}

static void tunnel_destroy(struct ike_tunnel *t)
{
	struct ike_tunnel **pp;

	t->busy++; /* callbacks below may call ike_tunnel_free again: ignored (free_pending) */
	for (pp = &t->ctx->tunnels; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	ev_timer_cancel(t->ctx->loop, &t->start_timer);
	while (t->sas) {
		struct ike_sa *sa = t->sas;

		t->sas = sa->next;
		ike_sa_free(sa);
	}
	ike_sock_put(t->sock);
	secret_wipe(&t->m.opt.psk, sizeof(t->m.opt.psk));
	free(t);
}

RESULT ike_tunnel_initiate(struct ike_tunnel *t)
{
	if (t->m.outside_remote.family != AF_INET)
		return E_INVAL;
	if (t->free_pending)
		return E_STATE;
	for (struct ike_sa *sa = t->sas; sa; sa = sa->next)
		if (sa->state != IKE_SA_DEAD)
			return E_STATE;
	return ike_init_start(t);
}

bool ike_tunnel_is_up(const struct ike_tunnel *t)
{
	return t->up;
}

unsigned ike_tunnel_sa_count(const struct ike_tunnel *t)
{
	unsigned n = 0;

	for (const struct ike_sa *sa = t->sas; sa; sa = sa->next)
		n += sa->state != IKE_SA_DEAD;
	return n;
}

RESULT ike_tunnel_rekey_child(struct ike_tunnel *t)
{
	struct ike_sa *sa = ike_sa_current(t);

	if (!sa || !sa->children)
		return E_STATE;
	return ike_rekey_child_start(sa, sa->children);
}

RESULT ike_tunnel_rekey_ike(struct ike_tunnel *t)
{
	struct ike_sa *sa = ike_sa_current(t);

	if (!sa)
		return E_STATE;
	return ike_rekey_ike_start(sa);
}

RESULT ike_tunnel_delete(struct ike_tunnel *t)
{
	struct ike_sa *sa = ike_sa_current(t);

	if (!sa)
		return E_STATE;
	return ike_info_delete_ike(sa);
}

void ike_tunnel_describe(const struct ike_tunnel *t, char *buf, size_t cap)
{
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	wbuf_printf(&w, "%s: %s", t->name, t->up ? "UP" : "DOWN");
	for (const struct ike_sa *sa = t->sas; sa; sa = sa->next) {
		char suite[96];

		if (sa->state != IKE_SA_ESTABLISHED)
			continue;
		ike_suite_format(&sa->suite, suite, sizeof(suite));
		wbuf_printf(&w, "; IKE %016llx_i %016llx_r %s%s", (unsigned long long)sa->spi_i,
		            (unsigned long long)sa->spi_r, suite, sa->natt ? " natt" : "");
		for (const struct ike_child *c = sa->children; c; c = c->next) {
			ike_suite_format(&c->suite, suite, sizeof(suite));
			wbuf_printf(&w, "; CHILD in %08x out %08x %s", c->spi_in, c->spi_out,
			            suite);
		}
	}
	(void)wbuf_cstr(&w);
}
