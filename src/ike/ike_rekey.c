/*
 * ike_rekey.c - CREATE_CHILD_SA (RFC 7296 1.3): CHILD SA rekey with PFS (1.3.3, phase 2 DH
 * group) and IKE SA rekey (1.3.2, 2.18), both roles, INVALID_KE retry (1.3), and the
 * simultaneous rekey rules of 2.8.1 (CHILD) and 2.8.2 (IKE): the SA created with the lowest
 * nonce is redundant. A rekey that finds the window busy is queued (ike_queue.c).
 *
 *   HDR, SK {N(REKEY_SA), SA, Ni, KEi, TSi, TSr}  -->  <--  HDR, SK {SA, Nr, KEr, TSi, TSr}
 *   HDR, SK {SA, Ni, KEi}                          -->  <--  HDR, SK {SA, Nr, KEr}
 */
#include "ike/ike_int.h"

#include <stdlib.h>
#include <string.h>

#include "ike/ike_sk.h"
#include "lib/secret.h"

void ike_rekey_fini(struct ike_rekey *rk)
{
	crypto_dh_free(rk->dh);
	rk->dh = NULL;
	rk->old_child = NULL;
}

static void put32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8),
	b[3] = (uint8_t)v;
}

static void put64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint32_t get32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint16_t child_pfs_group(const struct ike_sa *sa)
{
	const struct model_tunnel_options *o = &sa->tun->m.opt;

	if (sa->rk.dh_group && ike_proposal_dh_allowed(o->phase2_dh, sa->rk.dh_group))
		return sa->rk.dh_group;
	if (ike_proposal_dh_allowed(o->phase2_dh, sa->suite.dh))
		return sa->suite.dh;
	return ike_proposal_first_dh(o->phase2_dh);
}

static RESULT rekey_ke(struct ike_sa *sa, uint16_t group, struct ike_builder *b)
{
	uint8_t ke[CRYPTO_MAX_DH_PUB_LEN];
	size_t ke_len;

	ike_rekey_fini(&sa->rk);
	sa->rk.dh_group = group;
	GUARD(crypto_dh_new(group, &sa->rk.dh));
	GUARD(crypto_dh_public(sa->rk.dh, ke, sizeof(ke), &ke_len));
	GUARD(secret_random(sa->rk.ni, sizeof(sa->rk.ni)));
	ike_nonce_build(b, sa->rk.ni, sizeof(sa->rk.ni));
	ike_ke_build(b, group, ke, ke_len);
	return E_OK;
}

static void log_ccsa(struct ike_sa *sa, const char *what, uint32_t id)
{
	ike_log_event(sa->tun, "create-child-sa", "AWS tunnel %s (id=%u) for CREATE_CHILD_SA", what,
	              id);
}

RESULT ike_rekey_child_start(struct ike_sa *sa, struct ike_child *c)
{
	struct ike_sa_payload *offer = malloc(sizeof(*offer));
	struct ike_ts_payload tsi, tsr;
	uint16_t group = child_pfs_group(sa);
	struct ike_builder b;
	struct wbuf inner;
	uint8_t spi[4];
	result_t rc;

	wbuf_init_dyn(&inner, 1024, 0);
	GUARD_OUT(rc, offer ? E_OK : E_NOMEM);
	GUARD_OUT(rc, c->rekeyed ? E_STATE : E_OK);
	if (sa->req_kind != IKE_REQ_NONE) {
		ike_sa_enqueue(sa, IKE_REQ_CHILD_REKEY, c->spi_in);
		goto out;
	}
	ike_inner_begin(&b, &inner);
	put32(spi, c->spi_in);
	/* RFC 7296 1.3.3: REKEY_SA names the SA being rekeyed by our inbound SPI */
	ike_notify_build(&b, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	GUARD_OUT(rc, ike_spi_random32(&sa->rk.new_spi_in));
	ike_proposal_offer_child(&sa->tun->m.opt, group, sa->rk.new_spi_in, offer);
	ike_sa_build(&b, offer);
	GUARD_OUT(rc, rekey_ke(sa, group, &b));
	sa->rk.old_child = c;
	ike_ts_from_prefix(&c->ts_local, &tsi);
	ike_ts_from_prefix(&c->ts_remote, &tsr);
	ike_ts_build(&b, IKEV2_PL_TSI, &tsi);
	ike_ts_build(&b, IKEV2_PL_TSR, &tsr);
	log_ccsa(sa, "is sending request", sa->next_msgid);
	rc = ike_sa_request(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKE_REQ_CHILD_REKEY, &inner);
out:
	free(offer);
	wbuf_free(&inner);
	return rc;
}

RESULT ike_rekey_ike_start(struct ike_sa *sa)
{
	struct ike_sa_payload *offer = malloc(sizeof(*offer));
	struct ike_builder b;
	struct wbuf inner;
	uint8_t spi[8];
	result_t rc;

	wbuf_init_dyn(&inner, 1024, 0);
	GUARD_OUT(rc, offer ? E_OK : E_NOMEM);
	GUARD_OUT(rc, sa->rekeyed || sa->state != IKE_SA_ESTABLISHED ? E_STATE : E_OK);
	if (sa->req_kind != IKE_REQ_NONE) {
		ike_sa_enqueue(sa, IKE_REQ_IKE_REKEY, 0);
		goto out;
	}
	GUARD_OUT(rc, ike_spi_random64(&sa->rk.new_spi));
	put64(spi, sa->rk.new_spi);
	ike_inner_begin(&b, &inner);
	ike_proposal_offer_ike(&sa->tun->m.opt, sa->suite.dh, spi, 8, offer);
	ike_sa_build(&b, offer);
	{
		uint64_t keep = sa->rk.new_spi;

		GUARD_OUT(rc, rekey_ke(sa, sa->rk.dh_group ? sa->rk.dh_group : sa->suite.dh, &b));
		sa->rk.new_spi = keep;
	}
	log_info("ike", "%s: rekeying IKE SA %016llx_i", sa->tun->name,
	         (unsigned long long)sa->spi_i);
	rc = ike_sa_request(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKE_REQ_IKE_REKEY, &inner);
out:
	free(offer);
	wbuf_free(&inner);
	return rc;
}

static RESULT dh_shared(struct crypto_dh *dh, const struct ike_payloads *p, uint8_t *out,
                        size_t *len)
{
	if (!p->have_ke || p->ke_group != crypto_dh_group(dh))
		return E_IKE_KE;
	return crypto_dh_shared(dh, p->ke_data, p->ke_len, out, CRYPTO_MAX_DH_SHARED_LEN, len);
}

/* New IKE SA from a rekey of `old`, which is marked replaced. The caller moves the CHILD
 * SAs (RFC 7296 2.18), or leaves them on `old` while a 2.8.2 collision is undecided. */
static RESULT ike_sa_from_rekey(struct ike_sa *old, const struct ike_suite *s, bool initiator,
                                uint64_t spi_i, uint64_t spi_r, const uint8_t *gir, size_t gir_len,
                                const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                                struct ike_sa **out)
{
	struct ike_sa *sa;

	GUARD(ike_sa_new(old->tun, initiator, &sa));
	sa->suite = *s;
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	sa->remote = old->remote;
	sa->remote_port = old->remote_port;
	sa->natt = old->natt;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	memcpy(sa->ni, ni, ni_len);
	sa->ni_len = ni_len;
	memcpy(sa->nr, nr, nr_len);
	sa->nr_len = nr_len;
	if (ike_keys_derive(s, gir, gir_len, ni, ni_len, nr, nr_len, spi_i, spi_r, initiator,
	                    &old->keys, &sa->keys) != E_OK) {
		ike_sa_kill(sa, "rekey key derivation failed");
		return E_CRYPTO;
	}
	sa->have_keys = true;
	old->rekeyed = true;
	ike_sa_established(sa);
	*out = sa;
	return E_OK;
}

/* RFC 7296 2.8: "'Lowest' means an octet-by-octet comparison (instead of, for instance,
 * comparing the nonces as large integers). [...] If you reach the end of one nonce, that nonce
 * is the lower one." */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	return r ? r : (al < bl ? -1 : al > bl);
}

/* The lower of an exchange's two nonces. */
static const uint8_t *nonce_low(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                                size_t *len)
{
	bool first = nonce_cmp(a, al, b, bl) < 0;

	*len = first ? al : bl;
	return first ? a : b;
}

static void send_invalid_ke(struct ike_sa *sa, uint16_t group)
{
	uint8_t g[2] = {(uint8_t)(group >> 8), (uint8_t)group};

	ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
}

/* RFC 7296 2.8.2 ("Simultaneous IKE SA Rekeying"): the peer's rekey of this IKE SA crossed
 * ours. Both exchanges complete; remember what the peer's one created and its lowest nonce,
 * and keep the CHILD SAs here until our response lets us compare (ike_collision_resolve). */
static void ike_collision_note(struct ike_sa *sa, const struct ike_sa *n, const uint8_t *ni,
                               size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	size_t lo_len;
	const uint8_t *lo = nonce_low(ni, ni_len, nr, nr_len, &lo_len);

	ike_log_event(sa->tun, "rekey-collision",
	              "AWS tunnel detected a (IKE_REKEY) collision with the peer's IKE_REKEY");
	sa->ike_collision = true;
	sa->coll_spi_i = n->spi_i;
	sa->coll_spi_r = n->spi_r;
	memcpy(sa->coll_nonce, lo, lo_len);
	sa->coll_nonce_len = lo_len;
}

static void respond_ike_rekey(struct ike_sa *sa, const struct ike_payloads *p, bool collision)
{
	struct ike_sa_payload *ans = malloc(sizeof(*ans));
	struct ike_sa *n;
	uint8_t gir[CRYPTO_MAX_DH_SHARED_LEN], nr[IKE_NONCE_LEN], ke[CRYPTO_MAX_DH_PUB_LEN], spi[8];
	struct crypto_dh *dh = NULL;
	size_t idx, gir_len = 0, ke_len;
	struct ike_suite s;
	struct ike_builder b;
	struct wbuf inner;
	uint64_t spi_r;

	wbuf_init_dyn(&inner, 1024, 0);
	if (!ans)
		goto out;
	if (ike_proposal_select_ike(&sa->tun->m.opt, &p->sa, &s, &idx) != E_OK ||
	    p->sa.prop[idx].spi_len != 8) {
		ike_log_event(sa->tun, "no-proposal", "No Proposal Match Found by AWS");
		ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_PROPOSAL_CHOSEN,
		                         NULL, 0);
		goto out;
	}
	if (!p->have_ke || p->ke_group != s.dh) {
		send_invalid_ke(sa, s.dh);
		goto out;
	}
	if (crypto_dh_new(s.dh, &dh) != E_OK || dh_shared(dh, p, gir, &gir_len) != E_OK ||
	    crypto_dh_public(dh, ke, sizeof(ke), &ke_len) != E_OK ||
	    secret_random(nr, sizeof(nr)) != E_OK || ike_spi_random64(&spi_r) != E_OK)
		goto out;
	put64(spi, spi_r);
	ike_proposal_from_suite(&s, p->sa.prop[idx].num, IKEV2_PROTO_IKE, spi, 8, ans);
	ike_inner_begin(&b, &inner);
	ike_sa_build(&b, ans);
	ike_nonce_build(&b, nr, sizeof(nr));
	ike_ke_build(&b, s.dh, ke, ke_len);
	if (ike_sa_respond(sa, IKEV2_EXCH_CREATE_CHILD_SA, &inner) != E_OK)
		goto out;
	/* RFC 7296 2.18: the rekey initiator is the initiator of the new IKE SA */
	if (ike_sa_from_rekey(sa, &s, false, get64(p->sa.prop[idx].spi), spi_r, gir, gir_len,
	                      p->nonce, p->nonce_len, nr, sizeof(nr), &n) != E_OK)
		goto out;
	if (collision)
		ike_collision_note(sa, n, p->nonce, p->nonce_len, nr, sizeof(nr));
	else
		ike_sa_adopt_children(sa, n);
out:
	crypto_dh_free(dh);
	secret_wipe(gir, sizeof(gir));
	free(ans);
	wbuf_free(&inner);
}

/* The peer rekeyed `old`. If our own rekey of it is pending, this is a collision: keep the
 * lowest nonce of the peer's exchange for the comparison when our answer arrives. */
static void mark_rekeyed_by_peer(struct ike_sa *sa, struct ike_child *old, const uint8_t *ni,
                                 size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	const uint8_t *lo = nonce_cmp(ni, ni_len, nr, nr_len) < 0 ? ni : nr;

	old->rekeyed = true;
	ev_timer_cancel(sa->tun->ctx->loop, &old->rekey_timer);
	if (sa->req_kind != IKE_REQ_CHILD_REKEY || sa->rk.old_child != old)
		return;
	old->collision_len = lo == ni ? ni_len : nr_len;
	memcpy(old->collision_nonce, lo, old->collision_len);
}

static void respond_child(struct ike_sa *sa, const struct ike_payloads *p, struct ike_child *old)
{
	struct ike_sa_payload *ans = malloc(sizeof(*ans));
	uint8_t gir[CRYPTO_MAX_DH_SHARED_LEN], nr[IKE_NONCE_LEN], ke[CRYPTO_MAX_DH_PUB_LEN], spi[4];
	struct ike_ts_payload tsi, tsr;
	struct crypto_dh *dh = NULL;
	size_t idx, gir_len = 0, ke_len = 0;
	struct ike_suite s;
	struct ike_builder b;
	struct wbuf inner;
	uint32_t spi_in;

	wbuf_init_dyn(&inner, 1024, 0);
	if (!ans)
		goto out;
	if (ike_proposal_select_child(&sa->tun->m.opt, &p->sa,
	                              p->have_ke ? IKE_PROP_DH_REQUIRE : IKE_PROP_DH_NONE, &s,
	                              &idx) != E_OK ||
	    p->sa.prop[idx].spi_len != 4) {
		ike_log_event(sa->tun, "no-proposal-child",
		              "No Proposal Match Found. Notifying with \"No proposal chosen\"");
		ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_NO_PROPOSAL_CHOSEN,
		                         NULL, 0);
		goto out;
	}
	if (p->have_ke && p->ke_group != s.dh) {
		send_invalid_ke(sa, s.dh);
		goto out;
	}
	if (ike_child_ts_select(sa->tun, p, &tsi, &tsr) != E_OK) {
		ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_TS_UNACCEPTABLE,
		                         NULL, 0);
		goto out;
	}
	if (secret_random(nr, sizeof(nr)) != E_OK || ike_spi_random32(&spi_in) != E_OK)
		goto out;
	if (s.dh && (crypto_dh_new(s.dh, &dh) != E_OK || dh_shared(dh, p, gir, &gir_len) != E_OK ||
	             crypto_dh_public(dh, ke, sizeof(ke), &ke_len) != E_OK))
		goto out;
	put32(spi, spi_in);
	ike_proposal_from_suite(&s, p->sa.prop[idx].num, IKEV2_PROTO_ESP, spi, 4, ans);
	ike_inner_begin(&b, &inner);
	ike_sa_build(&b, ans);
	ike_nonce_build(&b, nr, sizeof(nr));
	if (s.dh)
		ike_ke_build(&b, s.dh, ke, ke_len);
	ike_ts_build(&b, IKEV2_PL_TSI, &tsi);
	ike_ts_build(&b, IKEV2_PL_TSR, &tsr);
	log_ccsa(sa, "is sending response", sa->peer_msgid);
	if (ike_sa_respond(sa, IKEV2_EXCH_CREATE_CHILD_SA, &inner) != E_OK)
		goto out;
	if (ike_child_install(sa, &s, spi_in, get32(p->sa.prop[idx].spi), gir, gir_len, p->nonce,
	                      p->nonce_len, nr, sizeof(nr), false, old != NULL, NULL) != E_OK)
		goto out;
	if (old)
		mark_rekeyed_by_peer(sa, old, p->nonce, p->nonce_len, nr, sizeof(nr));
out:
	crypto_dh_free(dh);
	secret_wipe(gir, sizeof(gir));
	free(ans);
	wbuf_free(&inner);
}

void ike_rekey_request(struct ike_sa *sa, const struct ike_payloads *p)
{
	const struct ike_notify *rk = ike_payloads_notify(p, IKEV2_N_REKEY_SA);
	struct ike_child *old = NULL;

	log_ccsa(sa, "processed request", sa->peer_msgid);
	if (!p->have_sa || !p->have_nonce || p->sa.nprop == 0) {
		ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_N_INVALID_SYNTAX,
		                         NULL, 0);
		return;
	}
	if (p->sa.prop[0].proto == IKEV2_PROTO_IKE) {
		/* RFC 7296 2.25: an IKE SA already replaced, or one with a CHILD SA exchange of
		 * ours in flight, is not rekeyed: TEMPORARY_FAILURE, the peer retries */
		if (sa->rekeyed || sa->req_kind == IKE_REQ_CHILD_REKEY) {
			ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA,
			                         IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
			return;
		}
		/* RFC 7296 2.8.2: our own IKE rekey pending = simultaneous rekey, answered */
		respond_ike_rekey(sa, p, sa->req_kind == IKE_REQ_IKE_REKEY);
		return;
	}
	if (rk) {
		old = rk->spi_len == 4 ? ike_child_by_spi_out(sa, get32(rk->spi)) : NULL;
		if (!old) {
			ike_info_notify_response(sa, IKEV2_EXCH_CREATE_CHILD_SA,
			                         IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
	}
	respond_child(sa, p, old);
}

/* Our CHILD rekey got its answer: install the new SA, then delete the redundant or old one. */
static void child_rekey_done(struct ike_sa *sa, const struct ike_payloads *p)
{
	struct ike_child *old = sa->rk.old_child, *c = NULL;
	uint8_t gir[CRYPTO_MAX_DH_SHARED_LEN];
	size_t gir_len = 0, idx;
	struct ike_suite s, chosen;

	if (!p->have_sa || !p->have_nonce ||
	    ike_proposal_read_answer(&p->sa, IKEV2_PROTO_ESP, &s) != E_OK ||
	    ike_proposal_select_child(&sa->tun->m.opt, &p->sa,
	                              s.dh ? IKE_PROP_DH_REQUIRE : IKE_PROP_DH_NONE, &chosen,
	                              &idx) != E_OK ||
	    p->sa.prop[0].spi_len != 4 ||
	    (s.dh && dh_shared(sa->rk.dh, p, gir, &gir_len) != E_OK)) {
		ike_log_event(sa->tun, "child-failed",
		              "AWS tunnel Phase 2 was unable to establish while keeping Phase 1");
		return;
	}
	if (ike_child_install(sa, &s, sa->rk.new_spi_in, get32(p->sa.prop[0].spi), gir, gir_len,
	                      sa->rk.ni, sizeof(sa->rk.ni), p->nonce, p->nonce_len, true, true,
	                      &c) != E_OK)
		goto out;
	if (old && old->rekeyed && old->collision_len) {
		/* 2.8.1: compare the lowest nonce of each exchange */
		const uint8_t *lo =
		    nonce_cmp(sa->rk.ni, sizeof(sa->rk.ni), p->nonce, p->nonce_len) < 0 ? sa->rk.ni
		                                                                        : p->nonce;
		size_t lo_len = lo == sa->rk.ni ? sizeof(sa->rk.ni) : p->nonce_len;

		if (nonce_cmp(lo, lo_len, old->collision_nonce, old->collision_len) < 0) {
			/* ours is redundant: we delete it, the peer (winner) deletes the old one */
			ike_log_event(sa->tun, "rekey-collision",
			              "AWS tunnel (CHILD_SA) redundant SA is being deleted due to "
			              "detected collision");
			IKE_IGNORE(ike_info_delete_child(sa, c));
			goto out;
		}
		/* ours survives: the peer deletes its redundant SA, we delete the old one */
	}
	if (old && ike_child_by_spi_in(sa, old->spi_in)) {
		old->rekeyed = true;
		IKE_IGNORE(ike_info_delete_child(sa, old));
	}
out:
	secret_wipe(gir, sizeof(gir));
}

/*
 * RFC 7296 2.8: "If redundant SAs are created though such a collision, the SA created with
 * the lowest of the four nonces used in the two exchanges SHOULD be closed by the endpoint
 * that created it. [...] The node that initiated the surviving rekeyed SA should delete the
 * replaced SA after the new one is established." RFC 7296 2.8.2: "Basically, the text in
 * Section 2.8 applies to this case as well; however, it is important to ensure that the
 * Child SAs are inherited by the correct IKE SA."
 *
 *   Host A (us)                                 Host B (peer)
 *   send req1: SA(..,Ni1,..)          -->
 *                                     <--       send req2: SA(..,Ni2,..)
 *   recv req2, send resp2: SA(..,Nr2,..) -->    (ike_collision_note: SA "peer", lo(Ni2,Nr2))
 *                                     <--       recv req1, send resp1: SA(..,Nr1,..)
 *   recv resp1 (here: SA "ours", lo(Ni1,Nr1))
 *
 * Ours is redundant when lo(Ni1,Nr1) < lo(Ni2,Nr2): we delete it (we created it) and the
 * CHILD SAs go to the peer's SA, whose creator deletes the old one. Otherwise the CHILD SAs
 * come to ours, we delete the old IKE SA, and the peer deletes its redundant one.
 */
static void ike_collision_resolve(struct ike_sa *old, struct ike_sa *ours, const uint8_t *ni,
                                  size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct ike_sa *peer = ike_sa_by_spis(old->tun, old->coll_spi_i, old->coll_spi_r);
	size_t lo_len;
	const uint8_t *lo = nonce_low(ni, ni_len, nr, nr_len, &lo_len);

	if (peer && nonce_cmp(lo, lo_len, old->coll_nonce, old->coll_nonce_len) < 0) {
		ike_log_event(old->tun, "rekey-collision",
		              "AWS tunnel (IKE_SA) redundant SA is being deleted due to detected "
		              "collision");
		ike_sa_adopt_children(old, peer);
		ours->rekeyed = true;
		IKE_IGNORE(ike_info_delete_ike(ours));
		return;
	}
	ike_sa_adopt_children(old, ours);
	if (peer)
		peer->rekeyed = true; /* redundant: the peer, its creator, deletes it */
	IKE_IGNORE(ike_info_delete_ike(old));
}

static void ike_rekey_done(struct ike_sa *sa, const struct ike_payloads *p)
{
	struct ike_sa *n;
	uint8_t gir[CRYPTO_MAX_DH_SHARED_LEN];
	size_t gir_len = 0, idx;
	struct ike_suite s, chosen;

	if (!p->have_sa || !p->have_nonce ||
	    ike_proposal_read_answer(&p->sa, IKEV2_PROTO_IKE, &s) != E_OK ||
	    ike_proposal_select_ike(&sa->tun->m.opt, &p->sa, &chosen, &idx) != E_OK ||
	    p->sa.prop[0].spi_len != 8 || dh_shared(sa->rk.dh, p, gir, &gir_len) != E_OK) {
		log_warn("ike", "%s: IKE SA rekey failed", sa->tun->name);
		ike_sa_arm_rekey(sa);
		return;
	}
	if (ike_sa_from_rekey(sa, &s, true, sa->rk.new_spi, get64(p->sa.prop[0].spi), gir, gir_len,
	                      sa->rk.ni, sizeof(sa->rk.ni), p->nonce, p->nonce_len, &n) != E_OK)
		goto out;
	if (sa->ike_collision) {
		ike_collision_resolve(sa, n, sa->rk.ni, sizeof(sa->rk.ni), p->nonce, p->nonce_len);
	} else {
		ike_sa_adopt_children(sa, n);
		IKE_IGNORE(ike_info_delete_ike(sa));
	}
out:
	secret_wipe(gir, sizeof(gir));
}

void ike_rekey_response(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_payloads *p)
{
	const struct ike_notify *err = ike_payloads_error(p);

	log_ccsa(sa, "processed response", sa->next_msgid - 1);
	if (err && err->type == IKEV2_N_INVALID_KE_PAYLOAD && err->data_len == 2) {
		uint16_t g = (uint16_t)(err->data[0] << 8 | err->data[1]);
		struct ike_child *old = sa->rk.old_child;

		if (g != sa->rk.dh_group && crypto_dh_supported(g)) {
			sa->rk.dh_group = g;
			if (kind == IKE_REQ_CHILD_REKEY && old)
				IKE_IGNORE(ike_rekey_child_start(sa, old));
			else if (kind == IKE_REQ_IKE_REKEY)
				IKE_IGNORE(ike_rekey_ike_start(sa));
		}
		return;
	}
	if (err) {
		log_info("ike", "%s: CREATE_CHILD_SA refused with notify %u", sa->tun->name,
		         err->type);
		if (kind == IKE_REQ_IKE_REKEY)
			ike_sa_arm_rekey(sa);
		return;
	}
	if (kind == IKE_REQ_CHILD_REKEY)
		child_rekey_done(sa, p);
	else
		ike_rekey_done(sa, p);
}
