/*
 * test_ovpn_reliable.c - the control-channel reliability layer: window limits, duplicates,
 * and an exchange over a deterministic lossy, duplicating, reordering link on virtual time.
 */
#include "ovpn/ovpn_reliable.h"
#include "test.h"

TEST(ovpn_reliable_window)
{
	static struct ovpn_reliable r;
	uint8_t d[OVPN_RELIABLE_PAYLOAD_MAX + 1] = {0};

	ovpn_reliable_init(&r);
	CHECK_ERR(ovpn_reliable_queue(&r, OVPN_P_CONTROL_V1, d, sizeof(d), 0), E_OVERFLOW);
	for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++)
		CHECK_OK(ovpn_reliable_queue(&r, OVPN_P_CONTROL_V1, d, 10, 0));
	CHECK(!ovpn_reliable_can_send(&r));
	CHECK_ERR(ovpn_reliable_queue(&r, OVPN_P_CONTROL_V1, d, 10, 0), E_AGAIN);
	/* Lowest id first; back-off doubles. */
	struct ovpn_rel_send *s = ovpn_reliable_due(&r, 0);
	CHECK(s && s->msg_id == 0);
	ovpn_reliable_sent(s, 0);
	CHECK_EQ(s->next_ms, OVPN_RETRANSMIT_BASE_MS);
	ovpn_reliable_sent(s, 0);
	CHECK_EQ(s->next_ms, 2 * OVPN_RETRANSMIT_BASE_MS);
	s = ovpn_reliable_due(&r, 0);
	CHECK(s && s->msg_id == 1);
	/* An ACK frees exactly the acked ids, not a cumulative range. */
	ovpn_reliable_ack(&r, (const uint32_t[]){3}, 1);
	/* A slot is free, but id 6 would be 6 past the unacked id 0: wait. */
	CHECK(!ovpn_reliable_can_send(&r));
	CHECK_ERR(ovpn_reliable_queue(&r, OVPN_P_CONTROL_V1, d, 10, 0), E_AGAIN);
	ovpn_reliable_ack(&r, (const uint32_t[]){0}, 1);
	CHECK(ovpn_reliable_can_send(&r));
	CHECK_OK(ovpn_reliable_queue(&r, OVPN_P_CONTROL_V1, d, 10, 0));
	CHECK(!ovpn_reliable_can_send(&r));
	ovpn_reliable_ack(&r, (const uint32_t[]){1, 2, 4, 5, 6}, 5);
	CHECK(ovpn_reliable_idle(&r));
	CHECK_EQ(ovpn_reliable_deadline(&r), UINT64_MAX);
}

TEST(ovpn_reliable_receive)
{
	static struct ovpn_reliable r;
	uint32_t acks[OVPN_ACK_MAX];

	ovpn_reliable_init(&r);
	CHECK(ovpn_reliable_peek(&r) == NULL);
	CHECK_OK(ovpn_reliable_recv(&r, 1, OVPN_P_CONTROL_V1, (const uint8_t *)"b", 1));
	CHECK(ovpn_reliable_peek(&r) == NULL); /* 0 missing: nothing in order yet */
	CHECK_OK(ovpn_reliable_recv(&r, 0, OVPN_P_CONTROL_V1, (const uint8_t *)"a", 1));
	CHECK_ERR(ovpn_reliable_recv(&r, 1, OVPN_P_CONTROL_V1, (const uint8_t *)"b", 1), E_EXISTS);
	CHECK_ERR(ovpn_reliable_recv(&r, OVPN_RELIABLE_RECV_N, OVPN_P_CONTROL_V1, NULL, 0),
	          E_OVPN_WINDOW);
	const struct ovpn_rel_recv *m = ovpn_reliable_peek(&r);
	CHECK(m && m->msg_id == 0 && m->data[0] == 'a');
	ovpn_reliable_consume(&r);
	m = ovpn_reliable_peek(&r);
	CHECK(m && m->msg_id == 1 && m->data[0] == 'b');
	ovpn_reliable_consume(&r);
	CHECK(ovpn_reliable_peek(&r) == NULL);
	/* Acks owed: 1 and 0 once each (duplicates not repeated in the list). */
	CHECK_EQ(ovpn_reliable_take_acks(&r, acks, OVPN_ACK_MAX), 2);
	/* A late duplicate of a delivered message is acknowledged again, never redelivered. */
	CHECK_ERR(ovpn_reliable_recv(&r, 0, OVPN_P_CONTROL_V1, (const uint8_t *)"a", 1), E_EXISTS);
	CHECK(ovpn_reliable_peek(&r) == NULL);
	CHECK_EQ(ovpn_reliable_take_acks(&r, acks, 1), 1);
	CHECK_EQ(acks[0], 0);
	CHECK_ERR(ovpn_reliable_recv(&r, 2, OVPN_P_CONTROL_V1, NULL, OVPN_CTL_PAYLOAD_MAX + 1),
	          E_OVERFLOW);
}

/* A link that drops, duplicates and reorders by a fixed pseudo-random schedule. */
struct link {
	uint32_t x;
	struct {
		uint32_t id;
		uint8_t byte;
		uint64_t at;
	} q[256];
	unsigned n;
};

static uint32_t link_rand(struct link *l)
{
	l->x = l->x * 1103515245u + 12345u;
	return l->x >> 16;
}

static void link_put(struct link *l, uint32_t id, uint8_t byte, uint64_t now)
{
	uint32_t r = link_rand(l) % 10;
	if (r < 3 || l->n >= 250)
		return; /* 30 % loss */
	unsigned copies = r == 9 ? 2 : 1;
	for (unsigned i = 0; i < copies; i++) {
		l->q[l->n].id = id;
		l->q[l->n].byte = byte;
		l->q[l->n].at = now + 10 + link_rand(l) % 300; /* reordering delay */
		l->n++;
	}
}

TEST(ovpn_reliable_lossy_exchange)
{
	static struct ovpn_reliable a, b;
	static struct link fwd = {.x = 7}, back = {.x = 99};
	const unsigned total = 40;
	unsigned queued = 0, delivered = 0;
	uint64_t now = 0;

	ovpn_reliable_init(&a);
	ovpn_reliable_init(&b);
	for (; now < 600000 && delivered < total; now += 10) {
		while (queued < total && ovpn_reliable_can_send(&a)) {
			uint8_t byte = (uint8_t)queued;
			CHECK_OK(ovpn_reliable_queue(&a, OVPN_P_CONTROL_V1, &byte, 1, now));
			queued++;
		}
		struct ovpn_rel_send *s;
		while ((s = ovpn_reliable_due(&a, now)) != NULL) {
			link_put(&fwd, s->msg_id, s->data[0], now);
			ovpn_reliable_sent(s, now);
		}
		for (unsigned i = 0; i < fwd.n;) {
			if (fwd.q[i].at > now) {
				i++;
				continue;
			}
			result_t rc = ovpn_reliable_recv(&b, fwd.q[i].id, OVPN_P_CONTROL_V1,
			                                 &fwd.q[i].byte, 1);
			CHECK(rc == E_OK || rc == E_EXISTS);
			fwd.q[i] = fwd.q[--fwd.n];
		}
		const struct ovpn_rel_recv *m;
		while ((m = ovpn_reliable_peek(&b)) != NULL) {
			/* In order, exactly once. */
			CHECK_EQ(m->data[0], delivered);
			delivered++;
			ovpn_reliable_consume(&b);
		}
		uint32_t acks[OVPN_ACK_MAX];
		unsigned na = ovpn_reliable_take_acks(&b, acks, OVPN_ACK_MAX);
		for (unsigned i = 0; i < na; i++)
			link_put(&back, acks[i], 0, now);
		for (unsigned i = 0; i < back.n;) {
			if (back.q[i].at > now) {
				i++;
				continue;
			}
			ovpn_reliable_ack(&a, &back.q[i].id, 1);
			back.q[i] = back.q[--back.n];
		}
	}
	CHECK_EQ(delivered, total);
}
