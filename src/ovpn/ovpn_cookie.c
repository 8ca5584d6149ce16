/*
 * ovpn_cookie.c - stateless 3-way handshake cookie (mudp.c / ssl_pkt.c in OpenVPN 2.6).
 */
#include "ovpn/ovpn_cookie.h"

#include <openssl/evp.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/secret.h"

RESULT ovpn_cookie_init(struct ovpn_cookie *ck, uint32_t hand_window_sec)
{
	ck->slot_sec = (hand_window_sec + 1) / 2;
	if (ck->slot_sec == 0)
		ck->slot_sec = 1;
	return secret_random(ck->key, sizeof(ck->key));
}

void ovpn_cookie_fini(struct ovpn_cookie *ck)
{
	secret_wipe(ck, sizeof(*ck));
}

static uint64_t ovpn_cookie_slot_mac(const struct ovpn_cookie *ck, const struct sockaddr *sa,
                                     uint64_t sid_c, uint64_t slot)
{
	uint8_t in[8 + 1 + 16 + 2 + 8], mac[32];
	struct addr a = {0};
	uint16_t port = 0;
	struct wbuf w;
	struct rbuf r;
	size_t ml = 0;
	uint64_t v = 0;

	if (addr_from_sockaddr(sa, &a, &port) != E_OK)
		memset(&a, 0, sizeof(a));
	wbuf_init(&w, in, sizeof(in));
	wbuf_put_u64(&w, slot);
	wbuf_put_u8(&w, a.family);
	wbuf_put_bytes(&w, a.bytes, sizeof(a.bytes));
	wbuf_put_u16(&w, port);
	wbuf_put_u64(&w, sid_c);
	if (wbuf_result(&w) != E_OK ||
	    !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, ck->key, sizeof(ck->key), in, w.len, mac,
	               sizeof(mac), &ml))
		return 0; /* refused by ovpn_cookie_verify */
	rbuf_init(&r, mac, sizeof(mac));
	if (rbuf_get_u64(&r, &v) != E_OK)
		return 0;
	return v ? v : 1;
}

uint64_t ovpn_cookie_make(const struct ovpn_cookie *ck, const struct sockaddr *sa, uint64_t sid_c,
                          uint64_t now_ms)
{
	/* time_slot = now / ((hand_window + 1) / 2) */
	return ovpn_cookie_slot_mac(ck, sa, sid_c, now_ms / 1000 / ck->slot_sec);
}

/* ssl_pkt.c check_session_hmac_and_pkt_id: only what a fresh client sends as its third packet. */
static RESULT ovpn_cookie_pkt_check(const struct ovpn_ctl *p)
{
	if (p->key_id != 0 || p->n_acks == 0)
		return E_OVPN_COOKIE;
	if (p->opcode != OVPN_P_ACK_V1 && p->opcode != OVPN_P_CONTROL_V1)
		return E_OVPN_COOKIE;
	for (unsigned i = 0; i < p->n_acks; i++) {
		if (p->acks[i] > 1)
			return E_OVPN_COOKIE;
	}
	if (p->has_msg_id && p->msg_id > 1)
		return E_OVPN_COOKIE;
	return E_OK;
}

/* CVE-2025-13086: OpenVPN inverted this comparison; a wrong cookie must never pass. */
RESULT ovpn_cookie_verify(const struct ovpn_cookie *ck, const struct sockaddr *sa,
                          const struct ovpn_ctl *p, uint64_t now_ms)
{
	uint64_t slot = now_ms / 1000 / ck->slot_sec;
	uint8_t want[8], got[8];
	struct wbuf w1, w2;
	bool ok = false;

	GUARD(ovpn_cookie_pkt_check(p));
	wbuf_init(&w2, got, sizeof(got));
	wbuf_put_u64(&w2, p->remote_sid);
	for (uint64_t i = 0; i <= OVPN_COOKIE_SLOTS_BACK && i <= slot; i++) {
		uint64_t c = ovpn_cookie_slot_mac(ck, sa, p->sid, slot - i);
		wbuf_init(&w1, want, sizeof(want));
		wbuf_put_u64(&w1, c);
		/* Constant time, and every candidate is computed whatever matched. */
		ok |= c != 0 && secret_equal(want, got, sizeof(want));
	}
	return ok ? E_OK : E_OVPN_COOKIE;
}
