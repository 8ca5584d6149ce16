/*
 * ike_init.c - the IKE_SA_INIT exchange (RFC 7296 1.2), both roles, with COOKIE (2.6),
 * INVALID_KE_PAYLOAD (1.2, 2.7) and NAT detection (2.23).
 *
 *   Initiator                         Responder
 *   -------------------------------------------------------------------
 *   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_*)  -->
 *                                <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*)
 */
#include "ike/ike_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

RESULT ike_sa_request_plain(struct ike_sa *sa, enum ike_req_kind kind);

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | Port) */
RESULT ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct addr *a, uint16_t port,
                     uint8_t out[20])
{
	uint8_t buf[8 + 8 + 16 + 2];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, spi_i);
	wbuf_put_u64(&w, spi_r);
	wbuf_put_bytes(&w, a->bytes, a->family == AF_INET ? 4 : 16);
	wbuf_put_u16(&w, port);
	GUARD(wbuf_result(&w));
	return crypto_sha1(buf, w.len, out);
}

static void build_natd(struct ike_builder *b, struct ike_sa *sa, uint64_t spi_r)
{
	struct ike_ctx *ctx = sa->tun->ctx;
	uint8_t src[20], dst[20];
	uint16_t lport = sa->natt ? ctx->cfg.natt_port : ctx->cfg.ike_port;

	if (ike_natd_hash(sa->spi_i, spi_r, &sa->sock->local, lport, src) != E_OK ||
	    ike_natd_hash(sa->spi_i, spi_r, &sa->remote, sa->remote_port, dst) != E_OK) {
		b->w->err = E_CRYPTO;
		return;
	}
	/* Like strongSwan's encap=yes: a source hash that cannot match makes the peer see a NAT
	 * and both sides float to the NAT-T port. */
	if (ctx->cfg.force_natt && secret_random(src, sizeof(src)) != E_OK)
		b->w->err = E_CRYPTO;
	ike_notify_build(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	ike_notify_build(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
}

/* Look at the peer's NAT_DETECTION payloads (hashes over the SPIs of its message). */
static void check_natd(struct ike_sa *sa, const struct ike_payloads *p, uint64_t spi_r,
                       uint16_t local_port)
{
	uint8_t h_src[20], h_dst[20];
	bool src_seen = false, src_ok = false, dst_seen = false, dst_ok = false;

	if (ike_natd_hash(sa->spi_i, spi_r, &sa->remote, sa->remote_port, h_src) != E_OK ||
	    ike_natd_hash(sa->spi_i, spi_r, &sa->sock->local, local_port, h_dst) != E_OK)
		return;
	for (size_t i = 0; i < p->nnotify; i++) {
		const struct ike_notify *n = &p->notify[i];
		bool match = n->data_len == 20;

		if (n->type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
			src_seen = true;
			src_ok = src_ok || (match && memcmp(n->data, h_src, 20) == 0);
		} else if (n->type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
			dst_seen = true;
			dst_ok = dst_ok || (match && memcmp(n->data, h_dst, 20) == 0);
		}
	}
	sa->nat_remote = src_seen && !src_ok;
	sa->nat_local = dst_seen && !dst_ok;
}

static RESULT new_nonce(uint8_t *buf, size_t *len)
{
	*len = IKE_NONCE_LEN;
	return secret_random(buf, IKE_NONCE_LEN);
}

static RESULT build_init_request(struct ike_sa *sa)
{
	struct ike_tunnel *t = sa->tun;
	struct ike_hdr h = {
	    .spi_i = sa->spi_i, .exchange = IKEV2_EXCH_IKE_SA_INIT, .flags = IKEV2_FLAG_INITIATOR};
	struct ike_sa_payload *offer = malloc(sizeof(*offer));
	struct ike_builder b;
	uint8_t ke[CRYPTO_MAX_DH_PUB_LEN];
	size_t ke_len;
	result_t rc;

	if (!offer)
		return E_NOMEM;
	crypto_dh_free(sa->dh);
	sa->dh = NULL;
	GUARD_OUT(rc, crypto_dh_new(sa->ke_group, &sa->dh));
	GUARD_OUT(rc, crypto_dh_public(sa->dh, ke, sizeof(ke), &ke_len));
	ike_proposal_offer_ike(&t->m.opt, sa->ke_group, NULL, 0, offer);
	wbuf_reset(&sa->req);
	ike_build_hdr(&b, &sa->req, &h);
	/* RFC 7296 2.6: the cookie comes first */
	if (sa->cookie_len)
		ike_notify_build(&b, 0, NULL, 0, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	ike_sa_build(&b, offer);
	ike_ke_build(&b, sa->ke_group, ke, ke_len);
	ike_nonce_build(&b, sa->ni, sa->ni_len);
	build_natd(&b, sa, 0);
	rc = ike_build_finish(&b);
	if (rc == E_OK) {
		wbuf_reset(&sa->init_req);
		wbuf_put_bytes(&sa->init_req, sa->req.data, sa->req.len);
		rc = wbuf_result(&sa->init_req);
	}
out:
	free(offer);
	return rc;
}

RESULT ike_init_start(struct ike_tunnel *t)
{
	struct ike_sa *sa;
	result_t rc;

	GUARD(ike_sa_new(t, true, &sa));
	sa->remote = t->m.outside_remote;
	sa->remote_port = t->ctx->cfg.ike_port;
	sa->ke_group = ike_proposal_first_dh(t->m.opt.phase1_dh);
	GUARD_OUT(rc, ike_spi_random64(&sa->spi_i));
	GUARD_OUT(rc, new_nonce(sa->ni, &sa->ni_len));
	GUARD_OUT(rc, build_init_request(sa));
	sa->state = IKE_SA_INIT_SENT;
	sa->next_msgid = 1;
	log_info("ike", "%s: initiating IKE SA %016llx_i to the customer gateway", t->name,
	         (unsigned long long)sa->spi_i);
	GUARD_OUT(rc, ike_sa_request_plain(sa, IKE_REQ_INIT));
	return E_OK;
out:
	ike_sa_kill(sa, "cannot initiate");
	return rc;
}

/* Responder: the stateless answer carrying one notify (COOKIE, INVALID_KE, NO_PROPOSAL,
 * INVALID_MAJOR_VERSION), in the clear, to the request's SPIs and message ID. */
void ike_send_plain_notify(struct ike_sock *s, bool natt, const struct addr *to, uint16_t port,
                           const struct ike_hdr *req, uint16_t type, const uint8_t *data,
                           size_t len)
{
	struct ike_hdr h = {.spi_i = req->spi_i,
	                    .exchange = req->exchange,
	                    .flags = IKEV2_FLAG_RESPONSE,
	                    .msg_id = req->msg_id};
	uint8_t buf[512];
	struct wbuf w;
	struct ike_builder b;

	wbuf_init(&w, buf, sizeof(buf));
	ike_build_hdr(&b, &w, &h);
	ike_notify_build(&b, 0, NULL, 0, type, data, len);
	if (ike_build_finish(&b) == E_OK)
		ike_net_send_raw(s, natt, to, port, w.data, w.len);
}

/* RFC 7296 2.6: Cookie = Hash(Ni | IPi | SPIi | <secret>); here HMAC-SHA-256 keyed with the
 * secret, so no per-request state is kept. */
static RESULT cookie_compute(struct ike_ctx *ctx, const struct ike_payloads *p,
                             const struct addr *from, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN])
{
	uint8_t buf[IKE_NONCE_MAX + 16 + 8];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_bytes(&w, p->nonce, p->nonce_len);
	wbuf_put_bytes(&w, from->bytes, 4);
	wbuf_put_u64(&w, spi_i);
	GUARD(wbuf_result(&w));
	return crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, ctx->cookie_secret, sizeof(ctx->cookie_secret),
	                  buf, w.len, out);
}

/* True when the request may go on (cookie not needed, or valid). */
static bool cookie_check(struct ike_sock *s, bool natt, const struct addr *from, uint16_t port,
                         const struct ike_hdr *h, const struct ike_payloads *p)
{
	struct ike_ctx *ctx = s->ctx;
	const struct ike_notify *n = ike_payloads_notify(p, IKEV2_N_COOKIE);
	uint8_t want[IKE_COOKIE_LEN];

	if (ctx->half_open < ctx->cfg.cookie_threshold && !ctx->cfg.cookie_always)
		return true;
	if (cookie_compute(ctx, p, from, h->spi_i, want) != E_OK)
		return false;
	if (n && n->data_len == IKE_COOKIE_LEN && secret_equal(n->data, want, IKE_COOKIE_LEN))
		return true;
	ike_send_plain_notify(s, natt, from, port, h, IKEV2_N_COOKIE, want, sizeof(want));
	return false;
}

static struct ike_sa *find_half_open(struct ike_tunnel *t, const struct ike_hdr *h,
                                     const struct addr *from)
{
	for (struct ike_sa *sa = t->sas; sa; sa = sa->next)
		if (!sa->initiator && sa->spi_i == h->spi_i && addr_equal(&sa->remote, from) &&
		    sa->state != IKE_SA_DEAD)
			return sa;
	return NULL;
}

/* Select, check KE; on refusal answer statelessly and return false. */
static bool init_negotiate(struct ike_tunnel *t, struct ike_sock *s, bool natt,
                           const struct addr *from, uint16_t port, const struct ike_hdr *h,
                           const struct ike_payloads *p, struct ike_suite *suite, size_t *idx)
{
	uint8_t grp[2];

	if (ike_proposal_select_ike(&t->m.opt, &p->sa, suite, idx) != E_OK) {
		ike_log_event(t, "no-proposal", "No Proposal Match Found by AWS");
		ike_send_plain_notify(s, natt, from, port, h, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return false;
	}
	if (p->ke_group != suite->dh || p->ke_len != crypto_dh_pub_len(suite->dh)) {
		/* RFC 7296 1.2: INVALID_KE_PAYLOAD names the group we want */
		grp[0] = (uint8_t)(suite->dh >> 8);
		grp[1] = (uint8_t)suite->dh;
		log_info("ike", "%s: KE group %u, requesting group %u", t->name, p->ke_group,
		         suite->dh);
		ike_send_plain_notify(s, natt, from, port, h, IKEV2_N_INVALID_KE_PAYLOAD, grp, 2);
		return false;
	}
	return true;
}

static void on_half_open_timeout(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;
	char ip[ADDR_STRLEN];

	addr_format(&sa->remote, ip);
	ike_log_event(sa->tun, "half-open-timeout",
	              "AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw: %s",
	              ip);
	ike_sa_kill(sa, "IKE_AUTH did not follow");
	ike_sa_reap(sa->tun);
}

static RESULT responder_keys(struct ike_sa *sa, const struct ike_payloads *p)
{
	uint8_t shared[CRYPTO_MAX_DH_SHARED_LEN];
	size_t shared_len = 0;
	result_t rc;

	GUARD_OUT(rc, crypto_dh_new(sa->suite.dh, &sa->dh));
	GUARD_OUT(rc, crypto_dh_shared(sa->dh, p->ke_data, p->ke_len, shared, sizeof(shared),
	                               &shared_len));
	GUARD_OUT(rc, ike_keys_derive(&sa->suite, shared, shared_len, sa->ni, sa->ni_len, sa->nr,
	                              sa->nr_len, sa->spi_i, sa->spi_r, false, NULL, &sa->keys));
	sa->have_keys = true;
out:
	secret_wipe(shared, sizeof(shared));
	return rc;
}

static RESULT build_init_response(struct ike_sa *sa, uint8_t num)
{
	struct ike_hdr h = {.spi_i = sa->spi_i,
	                    .spi_r = sa->spi_r,
	                    .exchange = IKEV2_EXCH_IKE_SA_INIT,
	                    .flags = IKEV2_FLAG_RESPONSE};
	struct ike_sa_payload *ans = malloc(sizeof(*ans));
	struct ike_builder b;
	uint8_t ke[CRYPTO_MAX_DH_PUB_LEN];
	size_t ke_len;
	result_t rc;

	if (!ans)
		return E_NOMEM;
	GUARD_OUT(rc, crypto_dh_public(sa->dh, ke, sizeof(ke), &ke_len));
	ike_proposal_from_suite(&sa->suite, num, IKEV2_PROTO_IKE, NULL, 0, ans);
	wbuf_reset(&sa->resp);
	ike_build_hdr(&b, &sa->resp, &h);
	ike_sa_build(&b, ans);
	ike_ke_build(&b, sa->suite.dh, ke, ke_len);
	ike_nonce_build(&b, sa->nr, sa->nr_len);
	build_natd(&b, sa, sa->spi_r);
	GUARD_OUT(rc, ike_build_finish(&b));
	wbuf_put_bytes(&sa->init_resp, sa->resp.data, sa->resp.len);
	rc = wbuf_result(&sa->init_resp);
out:
	free(ans);
	return rc;
}

static void responder_create(struct ike_tunnel *t, struct ike_sock *s, bool natt,
                             const struct addr *from, uint16_t port, const struct ike_hdr *h,
                             const uint8_t *data, size_t len, const struct ike_payloads *p)
{
	struct ike_suite suite;
	struct ike_sa *sa;
	size_t idx;

	if (!init_negotiate(t, s, natt, from, port, h, p, &suite, &idx))
		return;
	if (ike_sa_new(t, false, &sa) != E_OK)
		return;
	sa->suite = suite;
	sa->spi_i = h->spi_i;
	sa->remote = *from;
	sa->remote_port = port;
	sa->natt = natt;
	sa->counted_half_open = true;
	t->ctx->half_open++;
	memcpy(sa->ni, p->nonce, p->nonce_len);
	sa->ni_len = p->nonce_len;
	wbuf_put_bytes(&sa->init_req, data, len);
	if (ike_spi_random64(&sa->spi_r) != E_OK || new_nonce(sa->nr, &sa->nr_len) != E_OK ||
	    responder_keys(sa, p) != E_OK || build_init_response(sa, p->sa.prop[idx].num) != E_OK) {
		ike_sa_kill(sa, "IKE_SA_INIT failed");
		return;
	}
	check_natd(sa, p, 0, natt ? t->ctx->cfg.natt_port : t->ctx->cfg.ike_port);
	sa->state = IKE_SA_INIT_DONE;
	sa->have_resp = true;
	sa->resp_msgid = 0;
	sa->peer_msgid = 1;
	sa->life_timer.cb = on_half_open_timeout;
	ev_timer_arm(t->ctx->loop, &sa->life_timer, IKE_HALF_OPEN_TIMEOUT_MS);
	IKE_IGNORE(ike_net_send(sa, &sa->resp));
}

void ike_init_request(struct ike_sock *s, bool natt, const struct addr *from, uint16_t port,
                      const struct ike_hdr *h, const uint8_t *data, size_t len)
{
	struct ike_chain *c = malloc(sizeof(*c));
	struct ike_payloads *p = malloc(sizeof(*p));
	struct ike_tunnel *t = NULL;
	struct ike_sa *old;

	for (t = s->ctx->tunnels; t; t = t->next)
		if (t->sock == s &&
		    (addr_equal(&t->m.outside_remote, from) || t->m.outside_remote.family == 0))
			break;
	if (!c || !p || !t || h->spi_r != 0 || h->msg_id != 0)
		goto out;
	old = find_half_open(t, h, from);
	if (old) {
		/* RFC 7296 2.1: a retransmitted IKE_SA_INIT gets the same answer */
		if (old->state == IKE_SA_INIT_DONE)
			ike_net_send_raw(s, natt, from, port, old->init_resp.data,
			                 old->init_resp.len);
		goto out;
	}
	ike_payloads_init(p);
	if (ike_msg_frame(data, len, (struct ike_hdr[1]){0}, c) != E_OK ||
	    ike_chain_decode(c, p) != E_OK)
		goto out;
	/* CVE-2013-6467: every mandatory payload must be there */
	if (!p->have_sa || !p->have_ke || !p->have_nonce) {
		ike_send_plain_notify(s, natt, from, port, h, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	if (!cookie_check(s, natt, from, port, h, p))
		goto out;
	responder_create(t, s, natt, from, port, h, data, len, p);
out:
	free(c);
	free(p);
}

/* --- initiator: the answer --- */

static bool init_retry(struct ike_sa *sa, const struct ike_payloads *p)
{
	const struct ike_notify *n;
	struct ike_tunnel *t = sa->tun;

	if ((n = ike_payloads_notify(p, IKEV2_N_COOKIE)) && n->data_len > 0 &&
	    n->data_len <= sizeof(sa->cookie) && sa->cookie_len == 0) {
		memcpy(sa->cookie, n->data, n->data_len);
		sa->cookie_len = n->data_len;
	} else if ((n = ike_payloads_notify(p, IKEV2_N_INVALID_KE_PAYLOAD)) && n->data_len == 2) {
		uint16_t g = (uint16_t)(n->data[0] << 8 | n->data[1]);

		/* RFC 7296 1.2: retry once with the group the responder asked for, if ours */
		if (g == sa->ke_group || !ike_proposal_dh_allowed(t->m.opt.phase1_dh, g) ||
		    !crypto_dh_supported(g))
			return false;
		log_info("ike", "%s: peer wants DH group %u, retrying", t->name, g);
		sa->ke_group = g;
	} else {
		return false;
	}
	ike_sa_request_done(sa);
	if (build_init_request(sa) != E_OK || ike_sa_request_plain(sa, IKE_REQ_INIT) != E_OK)
		return false;
	return true;
}

static RESULT initiator_keys(struct ike_sa *sa, const struct ike_payloads *p)
{
	uint8_t shared[CRYPTO_MAX_DH_SHARED_LEN];
	size_t shared_len = 0;
	result_t rc;

	if (p->ke_group != sa->ke_group || sa->suite.dh != sa->ke_group)
		return E_IKE_KE;
	GUARD_OUT(rc, crypto_dh_shared(sa->dh, p->ke_data, p->ke_len, shared, sizeof(shared),
	                               &shared_len));
	GUARD_OUT(rc, ike_keys_derive(&sa->suite, shared, shared_len, sa->ni, sa->ni_len, sa->nr,
	                              sa->nr_len, sa->spi_i, sa->spi_r, true, NULL, &sa->keys));
	sa->have_keys = true;
out:
	secret_wipe(shared, sizeof(shared));
	return rc;
}

static RESULT init_accept(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_payloads *p)
{
	struct ike_suite chosen;
	size_t idx;

	if (!p->have_sa || !p->have_ke || !p->have_nonce || h->spi_r == 0)
		return E_IKE_SYNTAX;
	GUARD(ike_proposal_read_answer(&p->sa, IKEV2_PROTO_IKE, &sa->suite));
	/* the answer must be one of the combinations we would have accepted */
	GUARD(ike_proposal_select_ike(&sa->tun->m.opt, &p->sa, &chosen, &idx));
	sa->spi_r = h->spi_r;
	memcpy(sa->nr, p->nonce, p->nonce_len);
	sa->nr_len = p->nonce_len;
	GUARD(initiator_keys(sa, p));
	check_natd(sa, p, sa->spi_r, sa->tun->ctx->cfg.ike_port);
	return E_OK;
}

void ike_init_response(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *data, size_t len)
{
	struct ike_chain *c = malloc(sizeof(*c));
	struct ike_payloads *p = malloc(sizeof(*p));
	const struct ike_notify *err;
	struct ike_tunnel *t = sa->tun;
	result_t rc;

	if (!c || !p)
		goto out;
	ike_payloads_init(p);
	if (ike_msg_frame(data, len, (struct ike_hdr[1]){0}, c) != E_OK ||
	    ike_chain_decode(c, p) != E_OK)
		goto out;
	if (init_retry(sa, p))
		goto out;
	err = ike_payloads_error(p);
	if (err) {
		if (err->type == IKEV2_N_NO_PROPOSAL_CHOSEN)
			ike_log_event(
			    t, "no-proposal-peer",
			    "No Proposal Match Found. Notifying with \"No proposal chosen\"");
		ike_sa_request_done(sa);
		ike_sa_kill(sa, "IKE_SA_INIT refused by the peer");
		goto out;
	}
	ike_sa_request_done(sa);
	rc = init_accept(sa, h, p);
	if (rc != E_OK) {
		ike_sa_kill(sa, err_msg(rc));
		goto out;
	}
	wbuf_put_bytes(&sa->init_resp, data, len);
	/* RFC 7296 2.23: with a NAT on either side, move to the NAT-T port now */
	if (sa->nat_local || sa->nat_remote || t->ctx->cfg.force_natt) {
		sa->natt = true;
		sa->remote_port = t->ctx->cfg.natt_port;
	}
	if (ike_auth_send(sa) != E_OK)
		ike_sa_kill(sa, "cannot send IKE_AUTH");
out:
	free(c);
	free(p);
}
