/*
 * ovpn_cookie.h - the stateless HMAC cookie of the 3-way handshake (openvpn-protocol.md 3):
 * the server's session id for a client reset is HMAC-SHA256(key, time_slot | client address |
 * client port | client session id) truncated to 64 bits; no state exists until the client's
 * third packet echoes a cookie that verifies for the current slot or one of the two before.
 *
 * The format is local (it only has to verify here). Pure functions given the key; any thread.
 * Errors: E_OVPN_COOKIE (wrong cookie, or a third packet that is not the one a fresh client
 * sends: key_id 0, P_ACK_V1/P_CONTROL_V1, acks only ids <= 1, message id <= 1).
 */
#ifndef GH_OVPN_COOKIE_H
#define GH_OVPN_COOKIE_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "ovpn/ovpn_pkt.h"

#define OVPN_COOKIE_KEY_LEN 32
#define OVPN_COOKIE_SLOTS_BACK 2

struct ovpn_cookie {
	uint8_t key[OVPN_COOKIE_KEY_LEN];
	uint32_t slot_sec; /* (hand_window + 1) / 2 */
};

/* Random key; slot length from the handshake window. */
RESULT ovpn_cookie_init(struct ovpn_cookie *ck, uint32_t hand_window_sec);
void ovpn_cookie_fini(struct ovpn_cookie *ck);
/* The server session id to answer a reset from (sa, sid_c) with at time now_ms. Never 0. */
uint64_t ovpn_cookie_make(const struct ovpn_cookie *ck, const struct sockaddr *sa, uint64_t sid_c,
                          uint64_t now_ms);
/* Does the third packet p from sa carry a valid cookie? */
RESULT ovpn_cookie_verify(const struct ovpn_cookie *ck, const struct sockaddr *sa,
                          const struct ovpn_ctl *p, uint64_t now_ms);

#endif
