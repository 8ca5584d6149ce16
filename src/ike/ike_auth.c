/*
 * ike_auth.c - the IKE_AUTH exchange with pre-shared keys (RFC 7296 1.2, 2.15) and the first
 * CHILD SA.
 *
 *   Initiator                         Responder
 *   -------------------------------------------------------------------
 *   HDR, SK {IDi, AUTH, SAi2, TSi, TSr}  -->
 *                                <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 */
#include "ike/ike_int.h"

#include <stdlib.h>
#include <string.h>

#include "ike/ike_sk.h"
#include "lib/secret.h"

/* IDs are the outside IPv4 addresses, as AWS and strongSwan's defaults use. */
void ike_id_own(const struct ike_tunnel *t, uint8_t buf[4])
{
	memcpy(buf, t->m.outside_local.bytes, 4);
}

RESULT ike_auth_compute(struct ike_sa *sa, bool of_initiator, const struct ike_id *id, uint8_t *out,
                        size_t *out_len)
{
	const struct wbuf *msg = of_initiator ? &sa->init_req : &sa->init_resp;

	*out_len = sa->keys.prf_len;
	return ike_auth_psk(sa->suite.prf, sa->tun->m.opt.psk,
	                    of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr, sa->keys.prf_len,
	                    msg->data, msg->len, of_initiator ? sa->nr : sa->ni,
	                    of_initiator ? sa->nr_len : sa->ni_len, id->rest, id->rest_len, out);
}

/* Our own ID payload body, as the struct the AUTH computation reads. */
static void own_id(const struct ike_tunnel *t, uint8_t rest[8], struct ike_id *id)
{
	memset(rest, 0, 8);
	rest[0] = IKEV2_ID_IPV4_ADDR;
	ike_id_own(t, rest + 4);
	id->type = IKEV2_ID_IPV4_ADDR;
	id->data = rest + 4;
	id->len = 4;
	id->rest = rest;
	id->rest_len = 8;
}

static RESULT verify_peer_auth(struct ike_sa *sa, const struct ike_payloads *p, bool peer_is_i)
{
	uint8_t want[CRYPTO_MAX_PRF_LEN];
	size_t len;
	bool ok;

	if (p->auth_method != IKEV2_AUTH_SHARED_KEY_MIC)
		return E_IKE_AUTH;
	GUARD(ike_auth_compute(sa, peer_is_i, peer_is_i ? &p->idi : &p->idr, want, &len));
	ok = p->auth_len == len && secret_equal(want, p->auth_data, len);
	secret_wipe(want, sizeof(want));
	return ok ? E_OK : E_IKE_AUTH;
}

static void log_psk_mismatch(struct ike_sa *sa)
{
	char ip[ADDR_STRLEN];

	addr_format(&sa->remote, ip);
	ike_log_event(sa->tun, "psk-mismatch",
	              "AWS tunnel detected a pre-shared key mismatch with cgw: %s", ip);
}

static void add_own_id_auth(struct ike_sa *sa, struct ike_builder *b, bool as_initiator)
{
	uint8_t rest[8], auth[CRYPTO_MAX_PRF_LEN];
	struct ike_id id;
	size_t len = 0;

	own_id(sa->tun, rest, &id);
	ike_id_build(b, as_initiator ? IKEV2_PL_IDI : IKEV2_PL_IDR, id.type, id.data, id.len);
	if (ike_auth_compute(sa, as_initiator, &id, auth, &len) != E_OK)
		b->w->err = E_CRYPTO;
	ike_auth_build(b, IKEV2_AUTH_SHARED_KEY_MIC, auth, len);
	secret_wipe(auth, sizeof(auth));
}

static bool only_sa(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->tun->sas; o; o = o->next)
		if (o != sa && o->state != IKE_SA_DEAD)
			return false;
	return true;
}

RESULT ike_auth_send(struct ike_sa *sa)
{
	struct ike_tunnel *t = sa->tun;
	struct ike_sa_payload *offer = malloc(sizeof(*offer));
	struct ike_ts_payload tsi, tsr;
	struct ike_builder b;
	struct wbuf inner;
	result_t rc;

	wbuf_init_dyn(&inner, 1024, 0);
	GUARD_OUT(rc, offer ? E_OK : E_NOMEM);
	GUARD_OUT(rc, ike_spi_random32(&sa->rk.new_spi_in));
	ike_proposal_offer_child(&t->m.opt, 0, sa->rk.new_spi_in, offer);
	ike_ts_from_prefix(&t->m.remote_net, &tsi);
	ike_ts_from_prefix(&t->m.local_net, &tsr);
	ike_inner_begin(&b, &inner);
	add_own_id_auth(sa, &b, true);
	/* RFC 7296 2.4: tell the peer to drop any SA it still has from before our restart */
	if (only_sa(sa))
		ike_notify_build(&b, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ike_sa_build(&b, offer);
	ike_ts_build(&b, IKEV2_PL_TSI, &tsi);
	ike_ts_build(&b, IKEV2_PL_TSR, &tsr);
	sa->state = IKE_SA_AUTH_SENT;
	rc = ike_sa_request(sa, IKEV2_EXCH_IKE_AUTH, IKE_REQ_AUTH, &inner);
out:
	free(offer);
	wbuf_free(&inner);
	return rc;
}

/* Responder: pick the CHILD SA of the IKE_AUTH request; false with *notify set on refusal. */
static bool auth_child_select(struct ike_sa *sa, const struct ike_payloads *p, struct ike_suite *s,
                              size_t *idx, struct ike_ts_payload *tsi, struct ike_ts_payload *tsr,
                              uint16_t *notify)
{
	struct ike_tunnel *t = sa->tun;

	if (ike_proposal_select_child(&t->m.opt, &p->sa, IKE_PROP_DH_IGNORE, s, idx) != E_OK ||
	    p->sa.prop[*idx].spi_len != 4) {
		ike_log_event(t, "no-proposal-child",
		              "No Proposal Match Found. Notifying with \"No proposal chosen\"");
		*notify = IKEV2_N_NO_PROPOSAL_CHOSEN;
		return false;
	}
	if (ike_child_ts_select(t, p, tsi, tsr) != E_OK) {
		ike_log_event(t, "ts-unacceptable", "AWS: Traffic Selector: TS_UNACCEPTABLE: %s",
		              "traffic selectors do not match the configured network CIDRs");
		*notify = IKEV2_N_TS_UNACCEPTABLE;
		return false;
	}
	return true;
}

static uint32_t spi_of(const struct ike_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
	       p->spi[3];
}

static void auth_fail(struct ike_sa *sa)
{
	struct ike_builder b;
	struct wbuf inner;

	log_psk_mismatch(sa);
	ike_log_event(sa->tun, "auth-failed",
	              "AWS tunnel is sending AUTHENTICATION_FAILED as the response");
	wbuf_init_dyn(&inner, 64, 0);
	ike_inner_begin(&b, &inner);
	ike_notify_build(&b, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
	IKE_IGNORE(ike_sa_respond(sa, IKEV2_EXCH_IKE_AUTH, &inner));
	wbuf_free(&inner);
	ike_sa_kill(sa, "authentication failed");
}

/* RFC 7296 2.4: INITIAL_CONTACT - the peer has no other SA with us (it restarted), so every
 * older IKE SA of this tunnel is stale and goes, with its CHILD SAs. */
static void initial_contact(struct ike_sa *sa)
{
	for (struct ike_sa *o = sa->tun->sas; o; o = o->next)
		if (o != sa && o->state != IKE_SA_DEAD)
			ike_sa_kill(o, "INITIAL_CONTACT from the peer");
}

void ike_auth_request(struct ike_sa *sa, const struct ike_payloads *p)
{
	struct ike_sa_payload *ans = malloc(sizeof(*ans));
	struct ike_ts_payload tsi, tsr;
	struct ike_suite cs;
	struct ike_builder b;
	struct wbuf inner;
	uint16_t notify = 0;
	uint32_t spi_in = 0;
	size_t idx = 0;
	bool child;

	wbuf_init_dyn(&inner, 1024, 0);
	if (!ans)
		goto out;
	if (!p->have_idi || !p->have_auth) {
		ike_info_notify_response(sa, IKEV2_EXCH_IKE_AUTH, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	if (verify_peer_auth(sa, p, true) != E_OK) {
		auth_fail(sa);
		goto out;
	}
	child = p->have_sa && p->have_tsi && p->have_tsr &&
	        auth_child_select(sa, p, &cs, &idx, &tsi, &tsr, &notify) &&
	        ike_spi_random32(&spi_in) == E_OK;
	ike_inner_begin(&b, &inner);
	add_own_id_auth(sa, &b, false);
	if (child) {
		ike_proposal_from_suite(&cs, p->sa.prop[idx].num, IKEV2_PROTO_ESP,
		                        (const uint8_t[4]){(uint8_t)(spi_in >> 24),
		                                           (uint8_t)(spi_in >> 16),
		                                           (uint8_t)(spi_in >> 8), (uint8_t)spi_in},
		                        4, ans);
		ike_sa_build(&b, ans);
		ike_ts_build(&b, IKEV2_PL_TSI, &tsi);
		ike_ts_build(&b, IKEV2_PL_TSR, &tsr);
	} else if (notify) {
		ike_notify_build(&b, 0, NULL, 0, notify, NULL, 0);
	}
	if (ike_sa_respond(sa, IKEV2_EXCH_IKE_AUTH, &inner) != E_OK) {
		ike_sa_kill(sa, "cannot answer IKE_AUTH");
		goto out;
	}
	ike_sa_established(sa);
	if (ike_payloads_notify(p, IKEV2_N_INITIAL_CONTACT))
		initial_contact(sa);
	if (child && ike_child_install(sa, &cs, spi_in, spi_of(&p->sa.prop[idx]), NULL, 0, sa->ni,
	                               sa->ni_len, sa->nr, sa->nr_len, false, false, NULL) != E_OK)
		log_warn("ike", "%s: cannot install the CHILD SA", sa->tun->name);
out:
	free(ans);
	wbuf_free(&inner);
}

static void auth_response_child(struct ike_sa *sa, const struct ike_payloads *p)
{
	struct ike_suite cs, chosen;
	size_t idx;
	const struct ike_notify *err = ike_payloads_error(p);

	if (err || !p->have_sa || !p->have_tsi || !p->have_tsr ||
	    ike_proposal_read_answer(&p->sa, IKEV2_PROTO_ESP, &cs) != E_OK ||
	    ike_proposal_select_child(&sa->tun->m.opt, &p->sa, IKE_PROP_DH_IGNORE, &chosen, &idx) !=
	        E_OK ||
	    p->sa.prop[0].spi_len != 4) {
		if (err && err->type == IKEV2_N_TS_UNACCEPTABLE)
			ike_log_event(
			    sa->tun, "ts-unacceptable",
			    "AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder");
		ike_log_event(sa->tun, "child-failed",
		              "AWS tunnel Phase 2 was unable to establish while keeping Phase 1");
		return;
	}
	cs.dh = 0;
	if (ike_child_install(sa, &cs, sa->rk.new_spi_in, spi_of(&p->sa.prop[0]), NULL, 0, sa->ni,
	                      sa->ni_len, sa->nr, sa->nr_len, true, false, NULL) != E_OK)
		log_warn("ike", "%s: cannot install the CHILD SA", sa->tun->name);
}

void ike_auth_response(struct ike_sa *sa, const struct ike_payloads *p)
{
	const struct ike_notify *err = ike_payloads_error(p);

	if (err && err->type == IKEV2_N_AUTHENTICATION_FAILED) {
		log_psk_mismatch(sa);
		ike_sa_kill(sa, "peer sent AUTHENTICATION_FAILED");
		return;
	}
	if (!p->have_idr || !p->have_auth || verify_peer_auth(sa, p, false) != E_OK) {
		log_psk_mismatch(sa);
		ike_sa_kill(sa, "responder authentication failed");
		return;
	}
	ike_sa_established(sa);
	auth_response_child(sa, p);
}
