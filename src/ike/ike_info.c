/*
 * ike_info.c - INFORMATIONAL exchanges (RFC 7296 1.4): DELETE of CHILD and IKE SAs, liveness
 * checks (DPD, 2.4) and error notifies in responses.
 *
 *   HDR, SK {[N,] [D,] [CP,] ...}  -->  <--  HDR, SK {[N,] [D,] [CP], ...}
 */
#include "ike/ike_int.h"

#include <stdlib.h>

#include "ike/ike_sk.h"
#include "lib/clock.h"

void ike_info_notify_response(struct ike_sa *sa, uint8_t exchange, uint16_t type,
                              const uint8_t *data, size_t len)
{
	struct ike_builder b;
	struct wbuf inner;

	wbuf_init_dyn(&inner, 64, 0);
	ike_inner_begin(&b, &inner);
	ike_notify_build(&b, 0, NULL, 0, type, data, len);
	IKE_IGNORE(ike_sa_respond(sa, exchange, &inner));
	wbuf_free(&inner);
}

static void child_remove(struct ike_sa *sa, struct ike_child *c)
{
	for (struct ike_child **pp = &sa->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			ike_child_free(c, true);
			return;
		}
	}
}

/* The peer deletes CHILD SAs by its inbound SPIs (our spi_out); we answer with ours
 * (RFC 7296 1.4.1). */
static void info_delete_children(struct ike_sa *sa, const struct ike_delete *d,
                                 struct ike_builder *b)
{
	uint32_t ours[IKE_MAX_DELETE_SPIS];
	size_t n = 0;

	for (size_t i = 0; i < d->nspi; i++) {
		struct ike_child *c = ike_child_by_spi_out(sa, d->esp_spi[i]);

		ike_log_event(sa->tun, "delete-child",
		              "AWS tunnel received DELETE for Phase 2 SA with SPI: %08x",
		              d->esp_spi[i]);
		if (!c)
			continue;
		if (sa->req_kind == IKE_REQ_CHILD_REKEY && sa->rk.old_child == c)
			ike_log_event(
			    sa->tun, "rekey-collision",
			    "AWS tunnel detected a (CHILD_REKEY) collision as CHILD_DELETE");
		ours[n++] = c->spi_in;
		child_remove(sa, c);
	}
	if (n)
		ike_delete_build(b, IKEV2_PROTO_ESP, ours, n);
}

static void info_peer_deleted_ike(struct ike_sa *sa)
{
	struct ike_tunnel *t = sa->tun;
	struct ike_sa *peer;

	/* RFC 7296 2.8.2: the peer deletes the old IKE SA of a simultaneous rekey only when
	 * the SA it created survived, so the CHILD SAs waiting here belong to that one */
	peer = sa->ike_collision ? ike_sa_by_spis(t, sa->coll_spi_i, sa->coll_spi_r) : NULL;
	if (peer && sa->children) {
		peer->rekeyed = false;
		ike_sa_adopt_children(sa, peer);
	}
	t->down_msg = "IKE SA deleted by the peer";
	ike_sa_kill(sa, "deleted by the peer");
	/* G:572: AWS re-initiates IKE when it receives a delete SA from the CGW (Start
	 * tunnels), unless the delete only ended an IKE SA that was replaced by a rekey */
	if (t->m.opt.startup_action == MODEL_STARTUP_START && !ike_sa_current(t))
		ev_timer_arm(t->ctx->loop, &t->start_timer, IKE_RETRY_INITIATE_MS);
}

void ike_info_request(struct ike_sa *sa, const struct ike_payloads *p)
{
	struct ike_builder b;
	struct wbuf inner;
	bool delete_ike = false;

	wbuf_init_dyn(&inner, 256, 0);
	ike_inner_begin(&b, &inner);
	for (size_t i = 0; i < p->ndelete; i++) {
		if (p->del[i].proto == IKEV2_PROTO_IKE)
			delete_ike = true;
		else if (p->del[i].proto == IKEV2_PROTO_ESP)
			info_delete_children(sa, &p->del[i], &b);
	}
	if (delete_ike) {
		ike_log_event(sa->tun, "delete-ike",
		              "AWS tunnel received DELETE for IKE_SA from CGW");
		wbuf_reset(&inner);
		ike_inner_begin(&b, &inner);
	}
	IKE_IGNORE(ike_sa_respond(sa, IKEV2_EXCH_INFORMATIONAL, &inner));
	wbuf_free(&inner);
	if (delete_ike)
		info_peer_deleted_ike(sa);
}

void ike_info_response(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_payloads *p)
{
	(void)p;
	if (kind == IKE_REQ_DELETE_CHILD) {
		struct ike_child *c = ike_child_by_spi_in(sa, sa->del_spi_in);

		if (c)
			child_remove(sa, c);
	} else if (kind == IKE_REQ_DELETE_IKE) {
		ike_sa_kill(sa, sa->rekeyed ? "rekeyed" : "deleted");
	}
}

/* RFC 7296 1.4.1: a CHILD SA is deleted by naming our inbound SPI. */
RESULT ike_info_delete_spi(struct ike_sa *sa, uint32_t spi_in)
{
	struct ike_builder b;
	struct wbuf inner;
	result_t rc;

	if (sa->req_kind != IKE_REQ_NONE) {
		ike_sa_enqueue(sa, IKE_REQ_DELETE_CHILD, spi_in);
		return E_OK;
	}
	wbuf_init_dyn(&inner, 64, 0);
	ike_inner_begin(&b, &inner);
	ike_delete_build(&b, IKEV2_PROTO_ESP, &spi_in, 1);
	rc = ike_sa_request(sa, IKEV2_EXCH_INFORMATIONAL, IKE_REQ_DELETE_CHILD, &inner);
	if (rc == E_OK)
		sa->del_spi_in = spi_in;
	wbuf_free(&inner);
	return rc;
}

RESULT ike_info_delete_child(struct ike_sa *sa, struct ike_child *c)
{
	return ike_info_delete_spi(sa, c->spi_in);
}

RESULT ike_info_delete_ike(struct ike_sa *sa)
{
	struct ike_builder b;
	struct wbuf inner;
	result_t rc;

	wbuf_init_dyn(&inner, 64, 0);
	ike_inner_begin(&b, &inner);
	ike_delete_build(&b, IKEV2_PROTO_IKE, NULL, 0);
	/* a delete replaces whatever was outstanding or queued */
	ike_sa_pending_clear(sa);
	if (sa->req_kind != IKE_REQ_NONE)
		ike_sa_request_done(sa);
	rc = ike_sa_request(sa, IKEV2_EXCH_INFORMATIONAL, IKE_REQ_DELETE_IKE, &inner);
	if (rc == E_OK)
		sa->state = IKE_SA_DELETING;
	wbuf_free(&inner);
	return rc;
}

/* When the peer was last heard from: on the IKE SA, or on any of its CHILD SAs (ESP). */
static uint64_t ike_last_heard_ms(const struct ike_sa *sa)
{
	const struct ike_tunnel *t = sa->tun;
	uint64_t last = sa->last_rx_ms, esp;

	if (t->cb.last_inbound_ms) {
		esp = t->cb.last_inbound_ms(t->cb_arg);
		if (esp > last)
			last = esp;
	}
	return last;
}

/* RFC 7296 2.4: probe only when nothing was heard for a while, neither IKE nor ESP (checked
 * again when a queued probe gets its turn: the exchange before it may have shown the peer
 * alive). */
RESULT ike_info_dpd_send(struct ike_sa *sa)
{
	struct ike_builder b;
	struct wbuf inner;
	result_t rc;

	if (sa->state != IKE_SA_ESTABLISHED ||
	    clock_mono_ms() - ike_last_heard_ms(sa) < IKE_DPD_INTERVAL_MS)
		return E_OK;
	if (sa->req_kind != IKE_REQ_NONE) {
		ike_sa_enqueue(sa, IKE_REQ_DPD, 0);
		return E_OK;
	}
	wbuf_init_dyn(&inner, 16, 0);
	ike_inner_begin(&b, &inner);
	rc = ike_sa_request(sa, IKEV2_EXCH_INFORMATIONAL, IKE_REQ_DPD, &inner);
	wbuf_free(&inner);
	return rc;
}

static void on_dpd(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;

	if (sa->state != IKE_SA_ESTABLISHED)
		return;
	IKE_IGNORE(ike_info_dpd_send(sa));
	ev_timer_arm(sa->tun->ctx->loop, &sa->dpd_timer, IKE_DPD_INTERVAL_MS);
}

void ike_dpd_arm(struct ike_sa *sa)
{
	sa->dpd_timer.cb = on_dpd;
	ev_timer_arm(sa->tun->ctx->loop, &sa->dpd_timer, IKE_DPD_INTERVAL_MS);
}

/* RFC 7296 2.8: an SA past its (hard) lifetime is deleted even when rekeying never
 * succeeded. Its keys must not be used any more, so it leaves the data plane now; the
 * DELETE tells the peer (sent, or queued behind the rekey still in flight). */
void ike_info_expire_child(struct ike_child *c)
{
	struct ike_sa *sa = c->sa;
	uint32_t spi_in = c->spi_in;
	bool last = sa->children == c && !c->next;

	ike_log_event(sa->tun, "child-expired",
	              "AWS tunnel Phase 2 SA %08x reached its hard lifetime without a rekey",
	              spi_in);
	if (last)
		sa->tun->down_msg =
		    "CHILD SA expired at its hard lifetime (rekey did not complete)";
	child_remove(sa, c);
	if (sa->state == IKE_SA_ESTABLISHED)
		IKE_IGNORE(ike_info_delete_spi(sa, spi_in));
}

void ike_info_expire_ike(struct ike_sa *sa)
{
	log_info("ike", "%s: IKE SA %016llx_i expired", sa->tun->name,
	         (unsigned long long)sa->spi_i);
	if (sa->state != IKE_SA_ESTABLISHED || ike_info_delete_ike(sa) != E_OK)
		ike_sa_kill(sa, "lifetime expired");
}
