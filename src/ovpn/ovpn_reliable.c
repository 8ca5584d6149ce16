/*
 * ovpn_reliable.c - reliability layer for OpenVPN control packets (openvpn-protocol.md 2.1).
 */
#include "ovpn/ovpn_reliable.h"

#include <string.h>

void ovpn_reliable_init(struct ovpn_reliable *r)
{
	memset(r, 0, sizeof(*r));
}

/* reliable_get_buf_output_sequenced: a new id must lie within the window counted from the
 * lowest unacknowledged id, not just fit a free slot, or a single lost message lets the ids in
 * flight spread past the peer's receive window. */
bool ovpn_reliable_can_send(const struct ovpn_reliable *r)
{
	bool free_slot = false, have_min = false;
	uint32_t min_id = 0;

	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
		if (!r->snd[i].used) {
			free_slot = true;
		} else if (!have_min || r->snd[i].msg_id < min_id) {
			min_id = r->snd[i].msg_id;
			have_min = true;
		}
	}
	return free_slot && (!have_min || r->next_send_id - min_id < OVPN_RELIABLE_SEND_N);
}

bool ovpn_reliable_idle(const struct ovpn_reliable *r)
{
	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
		if (r->snd[i].used)
			return false;
	}
	return true;
}

RESULT ovpn_reliable_queue(struct ovpn_reliable *r, uint8_t opcode, const uint8_t *data, size_t len,
                           uint64_t now_ms)
{
	if (len > OVPN_RELIABLE_PAYLOAD_MAX)
		return E_OVERFLOW;
	if (!ovpn_reliable_can_send(r))
		return E_AGAIN;
	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
		struct ovpn_rel_send *s = &r->snd[i];
		if (s->used)
			continue;
		s->used = true;
		s->opcode = opcode;
		/* Message ids increase by one per new message and never change on retransmit. */
		s->msg_id = r->next_send_id++;
		s->next_ms = now_ms;
		s->timeout_ms = OVPN_RETRANSMIT_BASE_MS;
		s->len = len;
		if (len)
			memcpy(s->data, data, len);
		return E_OK;
	}
	return E_AGAIN;
}

void ovpn_reliable_ack(struct ovpn_reliable *r, const uint32_t *ids, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
			if (r->snd[i].used && r->snd[i].msg_id == ids[j])
				r->snd[i].used = false;
		}
	}
}

static void ovpn_reliable_owe_ack(struct ovpn_reliable *r, uint32_t id)
{
	for (unsigned i = 0; i < r->n_acks; i++) {
		if (r->acks[i] == id)
			return;
	}
	/* Full: the peer retransmits and we ack it then. */
	if (r->n_acks < OVPN_ACK_MAX)
		r->acks[r->n_acks++] = id;
}

RESULT ovpn_reliable_recv(struct ovpn_reliable *r, uint32_t msg_id, uint8_t opcode,
                          const uint8_t *data, size_t len)
{
	if (len > OVPN_CTL_PAYLOAD_MAX)
		return E_OVERFLOW;
	if (msg_id < r->next_recv_id) {
		/* Our ACK was lost: acknowledge again, deliver nothing. */
		ovpn_reliable_owe_ack(r, msg_id);
		return E_EXISTS;
	}
	if (msg_id - r->next_recv_id >= OVPN_RELIABLE_RECV_N)
		return E_OVPN_WINDOW;
	struct ovpn_rel_recv *s = &r->rcv[msg_id % OVPN_RELIABLE_RECV_N];
	ovpn_reliable_owe_ack(r, msg_id);
	if (s->used)
		return E_EXISTS;
	s->used = true;
	s->opcode = opcode;
	s->msg_id = msg_id;
	s->len = len;
	if (len)
		memcpy(s->data, data, len);
	return E_OK;
}

const struct ovpn_rel_recv *ovpn_reliable_peek(const struct ovpn_reliable *r)
{
	const struct ovpn_rel_recv *s = &r->rcv[r->next_recv_id % OVPN_RELIABLE_RECV_N];
	if (s->used && s->msg_id == r->next_recv_id)
		return s;
	return NULL;
}

void ovpn_reliable_consume(struct ovpn_reliable *r)
{
	struct ovpn_rel_recv *s = &r->rcv[r->next_recv_id % OVPN_RELIABLE_RECV_N];
	if (s->used && s->msg_id == r->next_recv_id) {
		s->used = false;
		r->next_recv_id++;
	}
}

struct ovpn_rel_send *ovpn_reliable_due(struct ovpn_reliable *r, uint64_t now_ms)
{
	struct ovpn_rel_send *best = NULL;
	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
		struct ovpn_rel_send *s = &r->snd[i];
		/* Lowest id first so the peer can deliver in order. */
		if (s->used && s->next_ms <= now_ms && (!best || s->msg_id < best->msg_id))
			best = s;
	}
	return best;
}

void ovpn_reliable_sent(struct ovpn_rel_send *s, uint64_t now_ms)
{
	s->next_ms = now_ms + s->timeout_ms;
	if (s->timeout_ms < OVPN_RETRANSMIT_MAX_MS)
		s->timeout_ms *= 2;
}

uint64_t ovpn_reliable_deadline(const struct ovpn_reliable *r)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
		if (r->snd[i].used && r->snd[i].next_ms < d)
			d = r->snd[i].next_ms;
	}
	return d;
}

unsigned ovpn_reliable_take_acks(struct ovpn_reliable *r, uint32_t *out, unsigned max)
{
	unsigned n = r->n_acks < max ? r->n_acks : max;
	memcpy(out, r->acks, n * sizeof(out[0]));
	memmove(r->acks, r->acks + n, (r->n_acks - n) * sizeof(r->acks[0]));
	r->n_acks -= n;
	return n;
}
