/*
 * ike_queue.c - requests that wait for the window. RFC 7296 2.3: "An IKE endpoint MUST NOT
 * exceed the peer's stated window size for transmitted IKE requests"; we (and strongSwan by
 * default) use a window of 1. A rekey, a DELETE or a liveness check that comes due while a
 * request is outstanding is queued here and sent once the response arrives, so nothing is
 * skipped: a rekeyed CHILD SA is always deleted at the peer.
 */
#include "ike/ike_int.h"

#include <string.h>

static void pending_pop(struct ike_sa *sa, struct ike_pending *out)
{
	*out = sa->pend[0];
	sa->npend--;
	memmove(&sa->pend[0], &sa->pend[1], sa->npend * sizeof(sa->pend[0]));
}

static result_t pending_run(struct ike_sa *sa, const struct ike_pending *p)
{
	struct ike_child *c = ike_child_by_spi_in(sa, p->spi_in);

	switch (p->kind) {
	case IKE_REQ_CHILD_REKEY:
		/* the SA may have been rekeyed by the peer or deleted meanwhile */
		return c && !c->rekeyed ? ike_rekey_child_start(sa, c) : E_OK;
	case IKE_REQ_IKE_REKEY:
		return sa->rekeyed ? E_OK : ike_rekey_ike_start(sa);
	case IKE_REQ_DELETE_CHILD:
		/* by SPI: the SA itself may already be gone here (hard lifetime) */
		return ike_info_delete_spi(sa, p->spi_in);
	case IKE_REQ_DPD:
		return ike_info_dpd_send(sa);
	default:
		return E_OK;
	}
}

static void on_pending(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;
	struct ike_pending p;

	/* one at a time: each request takes the window until its response */
	while (sa->npend > 0 && sa->req_kind == IKE_REQ_NONE) {
		if (sa->state != IKE_SA_ESTABLISHED) {
			ike_sa_pending_clear(sa);
			return;
		}
		pending_pop(sa, &p);
		if (pending_run(sa, &p) != E_OK)
			log_warn("ike", "%s: queued request (kind %d) failed", sa->tun->name,
			         (int)p.kind);
	}
}

void ike_sa_enqueue(struct ike_sa *sa, enum ike_req_kind kind, uint32_t spi_in)
{
	for (size_t i = 0; i < sa->npend; i++)
		if (sa->pend[i].kind == kind && sa->pend[i].spi_in == spi_in)
			return; /* already waiting */
	if (sa->npend == IKE_PENDING_MAX) {
		log_warn("ike", "%s: request queue full, dropping request (kind %d)", sa->tun->name,
		         (int)kind);
		return;
	}
	sa->pend[sa->npend++] = (struct ike_pending){kind, spi_in};
	log_debug("ike", "%s: window busy, request (kind %d) queued", sa->tun->name, (int)kind);
	ike_sa_pending_kick(sa);
}

/* Called when the window frees: run the next request from the loop, after the current
 * response handler has finished (it may itself want the window first). */
void ike_sa_pending_kick(struct ike_sa *sa)
{
	if (sa->npend == 0 || sa->req_kind != IKE_REQ_NONE || sa->state == IKE_SA_DEAD)
		return;
	sa->pend_timer.cb = on_pending;
	sa->pend_timer.arg = sa;
	ev_timer_arm(sa->tun->ctx->loop, &sa->pend_timer, 0);
}

void ike_sa_pending_clear(struct ike_sa *sa)
{
	sa->npend = 0;
	ev_timer_cancel(sa->tun->ctx->loop, &sa->pend_timer);
}

/* RFC 7296 2.18: CHILD SA requests follow their SAs to the IKE SA that replaces `from`. */
void ike_sa_pending_move(struct ike_sa *from, struct ike_sa *to)
{
	size_t keep = 0;

	for (size_t i = 0; i < from->npend; i++) {
		const struct ike_pending *p = &from->pend[i];

		if (p->kind == IKE_REQ_CHILD_REKEY || p->kind == IKE_REQ_DELETE_CHILD)
			ike_sa_enqueue(to, p->kind, p->spi_in);
		else
			from->pend[keep++] = *p;
	}
	from->npend = keep;
}
