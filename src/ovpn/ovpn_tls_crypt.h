/*
 * ovpn_tls_crypt.h - tls-crypt (v1): every control packet authenticated and encrypted with a
 * pre-shared static key, AES-256-CTR + HMAC-SHA256 in a SIV construction
 * (openvpn-protocol.md 2.3). Wrapped packets are checked before any other work, so a server
 * with tls-crypt answers nothing to a peer without the key.
 *
 *  +--------+------------+-----------+----------+----------+----------------------------+
 *  | op|kid | session_id | packet_id | net_time | tag (32) | AES-256-CTR(plaintext)     |
 *  | 1      | 8          | 4         | 4        |          | IV = tag[0..15]            |
 *  +--------+------------+-----------+----------+----------+----------------------------+
 *  tag = HMAC-SHA256(Ka, op|kid | session_id | packet_id | net_time | plaintext)
 *  plaintext = ack_count | [acks | remote sid] | [message_packet_id] | payload
 *
 * Keys from the 2048-bit static key: the server sends with key[0] and receives with key[1]
 * (KEY_DIRECTION_NORMAL); the client the reverse. Ke = key[i].cipher[0..31],
 * Ka = key[i].hmac[0..31]. Pure functions over the caller's struct; one thread at a time.
 * Errors: E_OVPN_HMAC (tag mismatch), E_TRUNCATED, E_PARSE (key file), E_CRYPTO, E_OVERFLOW.
 */
#ifndef GH_OVPN_TLS_CRYPT_H
#define GH_OVPN_TLS_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

#define OVPN_STATIC_KEY_LEN 256
#define OVPN_TLS_CRYPT_TAG_LEN 32
/* op + sid + packet_id + net_time + tag */
#define OVPN_TLS_CRYPT_OVERHEAD (4 + 4 + OVPN_TLS_CRYPT_TAG_LEN)

struct ovpn_tls_crypt {
	uint8_t ke_tx[32], ka_tx[32];
	uint8_t ke_rx[32], ka_rx[32];
};

/* "-----BEGIN OpenVPN Static key V1-----" + 16 lines of 32 hex + END line -> 256 octets. */
RESULT ovpn_static_key_parse(const char *text, uint8_t key[OVPN_STATIC_KEY_LEN]);
RESULT ovpn_static_key_load(const char *path, uint8_t key[OVPN_STATIC_KEY_LEN]);

void ovpn_tls_crypt_init(struct ovpn_tls_crypt *tc, const uint8_t key[OVPN_STATIC_KEY_LEN],
                         bool server);
void ovpn_tls_crypt_fini(struct ovpn_tls_crypt *tc);

/* Unwrap a received packet; the plain control packet (op | sid | plaintext) is appended to
 * out, ready for ovpn_ctl_parse. pid/net_time returned for the caller's replay check. */
RESULT ovpn_tls_crypt_unwrap(const struct ovpn_tls_crypt *tc, const uint8_t *pkt, size_t n,
                             struct wbuf *out, uint32_t *pid, uint32_t *net_time);
/* Wrap a plain control packet (op | sid | rest) into out. */
RESULT ovpn_tls_crypt_wrap(const struct ovpn_tls_crypt *tc, const uint8_t *plain, size_t n,
                           uint32_t pid, uint32_t net_time, struct wbuf *out);

#endif
