/*
 * ovpn_km.h - what travels inside the control channel's TLS stream: the key-method 2 messages,
 * peer-info, cipher negotiation (NCP), data-channel key derivation (TLS-EKM or the legacy
 * TLS 1.0 PRF), and the NUL-separated text control messages (PUSH_REQUEST, EXIT ...).
 *
 * Pure functions, any thread. Errors: E_OVPN_KEY_METHOD (malformed key-method 2 message),
 * E_TRUNCATED (not all of it has arrived yet), E_OVPN_NO_CIPHER, E_CRYPTO, E_PARSE
 * (non-printable control message, CVE-2024-5594).
 */
#ifndef GH_OVPN_KM_H
#define GH_OVPN_KM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "ovpn/ovpn_data.h"

#define OVPN_PRE_MASTER_LEN 48
#define OVPN_RANDOM_LEN 32
#define OVPN_TLS_OPTIONS_LEN 512 /* TLS_OPTIONS_LEN */
#define OVPN_USER_PASS_LEN 128   /* USER_PASS_LEN */
#define OVPN_PEER_INFO_LEN 2048
#define OVPN_KEY_METHOD_2 2

/* IV_PROTO bits (ssl.h) */
#define OVPN_IV_PROTO_DATA_V2 (1u << 1)
#define OVPN_IV_PROTO_REQUEST_PUSH (1u << 2)
#define OVPN_IV_PROTO_TLS_KEY_EXPORT (1u << 3)
#define OVPN_IV_PROTO_CC_EXIT_NOTIFY (1u << 7)

#define OVPN_EKM_LABEL "EXPORTER-OpenVPN-datakeys"

/*
 * Key-method 2 (ssl.c key_method_2_write/read):
 *   uint32 0 | uint8 key_method=2 | [pre_master 48, client only] | random1 32 | random2 32 |
 *   string options | string username | string password | string peer_info
 *   string = uint16 length including the NUL, then the bytes and the NUL; length 0 = empty.
 */
struct ovpn_km2 {
	uint8_t pre_master[OVPN_PRE_MASTER_LEN];
	uint8_t random1[OVPN_RANDOM_LEN];
	uint8_t random2[OVPN_RANDOM_LEN];
	char options[OVPN_TLS_OPTIONS_LEN + 1];
	char username[OVPN_USER_PASS_LEN + 1];
	char password[OVPN_USER_PASS_LEN + 1];
	char peer_info[OVPN_PEER_INFO_LEN + 1];
};

/* Parse the client's message (the whole message must be in data). Caller wipes out. */
RESULT ovpn_km2_parse_client(const uint8_t *data, size_t len, struct ovpn_km2 *out,
                             size_t *consumed);
/* Server's reply: no pre_master, empty username/password/peer-info. */
void ovpn_km2_build_server(struct wbuf *w, const uint8_t random1[OVPN_RANDOM_LEN],
                           const uint8_t random2[OVPN_RANDOM_LEN], const char *options);

/* Look up VAR in "VAR=VALUE\n..." peer-info; copies VALUE (truncated to cap-1). */
bool ovpn_peer_info_get(const char *peer_info, const char *var, char *val, size_t cap);

struct ovpn_peer_caps {
	uint32_t iv_proto;
	char ciphers[256]; /* IV_CIPHERS, or derived from IV_NCP=2 */
	char version[32];
	char platform[32];
};
void ovpn_peer_caps_parse(const char *peer_info, struct ovpn_peer_caps *out);

/* NCP: the first cipher of the server's list (ordered) that the client also lists. */
RESULT ovpn_cipher_negotiate(const enum ovpn_cipher *server, size_t n,
                             const struct ovpn_peer_caps *caps, enum ovpn_cipher *out);
/* Parse "AES-256-GCM:AES-128-GCM" into an array; E_PARSE on an unknown name. */
RESULT ovpn_cipher_list_parse(const char *s, enum ovpn_cipher *out, size_t cap, size_t *n);

/* TLS 1.0 PRF (P_MD5 xor P_SHA1) through EVP_KDF "TLS1-PRF" with MD5-SHA1. */
RESULT ovpn_prf_tls1(const uint8_t *secret, size_t secret_len, const uint8_t *seed, size_t seed_len,
                     uint8_t *out, size_t out_len);
/*
 * Legacy data-channel keys (openvpn-protocol.md 3.2):
 *   master = PRF(pre_master, "OpenVPN master secret" | c.random1 | s.random1, 48)
 *   key2   = PRF(master, "OpenVPN key expansion" | c.random2 | s.random2 | sid_c | sid_s, 256)
 */
RESULT ovpn_key2_legacy(const struct ovpn_km2 *client, const uint8_t s_random1[OVPN_RANDOM_LEN],
                        const uint8_t s_random2[OVPN_RANDOM_LEN], uint64_t sid_client,
                        uint64_t sid_server, uint8_t key2[OVPN_KEY2_LEN]);

/* Next NUL-terminated control message from r (trailing CR/LF stripped) into msg (cap).
 * E_AGAIN when no complete message is left; E_PARSE (message consumed) when it holds a
 * non-printable character or does not fit. */
RESULT ovpn_ctl_msg_next(struct rbuf *r, char *msg, size_t cap);

#endif
