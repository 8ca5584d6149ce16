/*
 * ovpn_data.h - OpenVPN data channel: AEAD (AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305) in the
 * classic packet format, replay window, keys from the 256-octet key2 block.
 *
 * One struct ovpn_data_key per key_id; it owns two EVP_CIPHER_CTX created once, so the per-packet
 * path allocates nothing. Owned by one thread (the one that calls encrypt/decrypt).
 * Errors: E_CRYPTO (EVP failure), E_CRYPTO_AUTH (tag mismatch), E_OVPN_REPLAY, E_OVPN_PKT_ID
 * (send packet-id space exhausted; renegotiate), E_TRUNCATED / E_OVPN_OPCODE (bad header),
 * E_OVERFLOW (output does not fit).
 */
#ifndef GH_OVPN_DATA_H
#define GH_OVPN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

enum ovpn_cipher {
	OVPN_CIPHER_NONE = 0,
	OVPN_CIPHER_AES_256_GCM,
	OVPN_CIPHER_AES_128_GCM,
	OVPN_CIPHER_CHACHA20_POLY1305,
};

#define OVPN_KEY2_LEN 256
#define OVPN_AEAD_TAG_LEN 16
#define OVPN_IMPLICIT_IV_LEN 8
/* crypto.c: renegotiate well before the 32-bit packet-id wraps. */
#define OVPN_PKT_ID_RENEG 0xFF000000u
/* --replay-window default 64 packets. */
#define OVPN_REPLAY_WINDOW 64
/* Overhead of the classic AEAD format beyond the header: packet_id + tag. */
#define OVPN_DATA_OVERHEAD (4 + OVPN_AEAD_TAG_LEN)

/* "AES-256-GCM" -> enum; OVPN_CIPHER_NONE if unknown. Case-insensitive. */
enum ovpn_cipher ovpn_cipher_from_name(const char *name, size_t len);
const char *ovpn_cipher_name(enum ovpn_cipher c);

/* Sliding window: bit i set = packet-id (top - i) seen. */
struct ovpn_replay {
	uint32_t top;
	uint64_t bitmap;
};
/* E_OVPN_REPLAY when pid is 0, already seen or older than the window. */
RESULT ovpn_replay_check(const struct ovpn_replay *r, uint32_t pid);
void ovpn_replay_update(struct ovpn_replay *r, uint32_t pid);

struct evp_cipher_ctx_st;

struct ovpn_data_key {
	bool valid;
	uint8_t key_id;
	enum ovpn_cipher cipher;
	struct evp_cipher_ctx_st *enc;
	struct evp_cipher_ctx_st *dec;
	uint8_t iv_enc[OVPN_IMPLICIT_IV_LEN];
	uint8_t iv_dec[OVPN_IMPLICIT_IV_LEN];
	uint32_t send_pid; /* last packet-id sent; starts at 0, first packet uses 1 */
	struct ovpn_replay replay;
};

/*
 * key2 layout (openvpn-protocol.md 3.2): key[0] {cipher[64], hmac[64]} then key[1]. The client
 * sends with key[0]; the server with key[1]. `server` selects the direction.
 * The implicit IV is the first 8 octets of the hmac half of a direction's key.
 */
RESULT ovpn_data_key_init(struct ovpn_data_key *k, enum ovpn_cipher c, uint8_t key_id,
                          const uint8_t key2[OVPN_KEY2_LEN], bool server);
void ovpn_data_key_fini(struct ovpn_data_key *k);

/*
 * Encrypt `pt` into a data packet appended to w:
 *   [hdr 1 or 4] [packet_id 4] [tag 16] [ciphertext]
 *   nonce = packet_id || implicit_iv; AAD = (DATA_V2 header ||) packet_id.
 * peer_id OVPN_PEER_ID_UNDEF sends P_DATA_V1.
 */
RESULT ovpn_data_encrypt(struct ovpn_data_key *k, uint32_t peer_id, const uint8_t *pt, size_t n,
                         struct wbuf *w);
/* Decrypt a whole data packet; plaintext appended to w. Replay window updated on success. */
RESULT ovpn_data_decrypt(struct ovpn_data_key *k, const uint8_t *pkt, size_t len, struct wbuf *w);

#endif
