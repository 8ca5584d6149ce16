/*
 * ovpn_km.c - key-method 2, peer-info, NCP, key derivation, control text messages
 * (openvpn-protocol.md 3.1, 3.2, 4, 5).
 */
#include "ovpn/ovpn_km.h"

#include <ctype.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

/* read_string: rejects a length above capacity; length 0 is the empty string. */
static RESULT ovpn_km2_string(struct rbuf *r, char *dst, size_t cap)
{
	uint16_t n;
	const uint8_t *p;

	GUARD(rbuf_get_u16(r, &n));
	dst[0] = '\0';
	if (n == 0)
		return E_OK;
	if (n > cap)
		return E_OVPN_KEY_METHOD;
	GUARD(rbuf_get_ptr(r, n, &p));
	memcpy(dst, p, n);
	/* NUL-terminate defensively whatever the peer sent. */
	dst[n - 1] = '\0';
	return E_OK;
}

RESULT ovpn_km2_parse_client(const uint8_t *data, size_t len, struct ovpn_km2 *out,
                             size_t *consumed)
{
	struct rbuf r;
	uint32_t zero;
	uint8_t method;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, data, len);
	GUARD(rbuf_get_u32(&r, &zero));
	/* A non-zero first word is the AWS VPN Client's 32-bit-length variant (SAML); unsupported.
	 */
	if (zero != 0)
		return E_OVPN_KEY_METHOD;
	GUARD(rbuf_get_u8(&r, &method));
	/* Low 4 bits: key method; high bits flags that must be zero. */
	if (method != OVPN_KEY_METHOD_2)
		return E_OVPN_KEY_METHOD;
	GUARD(rbuf_get_bytes(&r, out->pre_master, sizeof(out->pre_master)));
	GUARD(rbuf_get_bytes(&r, out->random1, sizeof(out->random1)));
	GUARD(rbuf_get_bytes(&r, out->random2, sizeof(out->random2)));
	GUARD(ovpn_km2_string(&r, out->options, sizeof(out->options) - 1));
	/* username, password and peer-info are optional at the end of the message. */
	if (rbuf_remaining(&r) > 0)
		GUARD(ovpn_km2_string(&r, out->username, sizeof(out->username) - 1));
	if (rbuf_remaining(&r) > 0)
		GUARD(ovpn_km2_string(&r, out->password, sizeof(out->password) - 1));
	if (rbuf_remaining(&r) > 0)
		GUARD(ovpn_km2_string(&r, out->peer_info, sizeof(out->peer_info) - 1));
	*consumed = rbuf_offset(&r);
	return E_OK;
}

static void ovpn_km2_put_string(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);
	if (n == 0) {
		wbuf_put_u16(w, 0);
		return;
	}
	wbuf_put_u16(w, (uint16_t)(n + 1));
	wbuf_put_bytes(w, s, n + 1);
}

void ovpn_km2_build_server(struct wbuf *w, const uint8_t random1[OVPN_RANDOM_LEN],
                           const uint8_t random2[OVPN_RANDOM_LEN], const char *options)
{
	wbuf_put_u32(w, 0);
	wbuf_put_u8(w, OVPN_KEY_METHOD_2);
	wbuf_put_bytes(w, random1, OVPN_RANDOM_LEN);
	wbuf_put_bytes(w, random2, OVPN_RANDOM_LEN);
	ovpn_km2_put_string(w, options);
	ovpn_km2_put_string(w, ""); /* username */
	ovpn_km2_put_string(w, ""); /* password */
	ovpn_km2_put_string(w, ""); /* peer-info */
}

bool ovpn_peer_info_get(const char *peer_info, const char *var, char *val, size_t cap)
{
	size_t vl = strlen(var);
	const char *p = peer_info;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > vl && strncmp(p, var, vl) == 0 && p[vl] == '=') {
			size_t n = ll - vl - 1;
			if (n >= cap)
				n = cap - 1;
			memcpy(val, p + vl + 1, n);
			val[n] = '\0';
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

void ovpn_peer_caps_parse(const char *peer_info, struct ovpn_peer_caps *out)
{
	char v[32];

	memset(out, 0, sizeof(*out));
	if (ovpn_peer_info_get(peer_info, "IV_PROTO", v, sizeof(v)))
		out->iv_proto = (uint32_t)strtoul(v, NULL, 10);
	if (!ovpn_peer_info_get(peer_info, "IV_CIPHERS", out->ciphers, sizeof(out->ciphers))) {
		/* IV_NCP=2: a 2.4 client that does AES-GCM negotiation. */
		if (ovpn_peer_info_get(peer_info, "IV_NCP", v, sizeof(v)) && atoi(v) >= 2)
			snprintf(out->ciphers, sizeof(out->ciphers), "AES-256-GCM:AES-128-GCM");
	}
	(void)ovpn_peer_info_get(peer_info, "IV_VER", out->version, sizeof(out->version));
	(void)ovpn_peer_info_get(peer_info, "IV_PLAT", out->platform, sizeof(out->platform));
}

RESULT ovpn_cipher_list_parse(const char *s, enum ovpn_cipher *out, size_t cap, size_t *n)
{
	*n = 0;
	while (*s) {
		size_t l = strcspn(s, ":");
		enum ovpn_cipher c = ovpn_cipher_from_name(s, l);
		/* Names we do not implement (BF-CBC, AES-256-CBC ...) are skipped: a client may
		 * list them; a server list made only of those fails with E_PARSE below. */
		if (c != OVPN_CIPHER_NONE) {
			if (*n >= cap)
				return E_OVERFLOW;
			out[(*n)++] = c;
		}
		s += l;
		if (*s == ':')
			s++;
	}
	return *n ? E_OK : E_PARSE;
}

RESULT ovpn_cipher_negotiate(const enum ovpn_cipher *server, size_t n,
                             const struct ovpn_peer_caps *caps, enum ovpn_cipher *out)
{
	enum ovpn_cipher theirs[16];
	size_t nt = 0;

	if (ovpn_cipher_list_parse(caps->ciphers, theirs, 16, &nt) != E_OK)
		return E_OVPN_NO_CIPHER;
	/* ssl_ncp.c: walk the server's own list, first one the client also offers wins. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < nt; j++) {
			if (server[i] == theirs[j]) {
				*out = server[i];
				return E_OK;
			}
		}
	}
	return E_OVPN_NO_CIPHER;
}

RESULT ovpn_prf_tls1(const uint8_t *secret, size_t secret_len, const uint8_t *seed, size_t seed_len,
                     uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	result_t rc = E_CRYPTO;

	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"MD5-SHA1", 0);
	params[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = E_OK;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

static void ovpn_put_sid(uint8_t *p, uint64_t sid)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)sid;
		sid >>= 8;
	}
}

RESULT ovpn_key2_legacy(const struct ovpn_km2 *client, const uint8_t s_random1[OVPN_RANDOM_LEN],
                        const uint8_t s_random2[OVPN_RANDOM_LEN], uint64_t sid_client,
                        uint64_t sid_server, uint8_t key2[OVPN_KEY2_LEN])
{
	static const char l1[] = "OpenVPN master secret";
	static const char l2[] = "OpenVPN key expansion";
	uint8_t seed[sizeof(l2) - 1 + 2 * OVPN_RANDOM_LEN + 16];
	uint8_t master[48];
	size_t n;
	result_t rc;

	n = sizeof(l1) - 1;
	memcpy(seed, l1, n);
	memcpy(seed + n, client->random1, OVPN_RANDOM_LEN);
	memcpy(seed + n + OVPN_RANDOM_LEN, s_random1, OVPN_RANDOM_LEN);
	GUARD_OUT(rc, ovpn_prf_tls1(client->pre_master, OVPN_PRE_MASTER_LEN, seed,
	                            n + 2 * OVPN_RANDOM_LEN, master, sizeof(master)));
	n = sizeof(l2) - 1;
	memcpy(seed, l2, n);
	memcpy(seed + n, client->random2, OVPN_RANDOM_LEN);
	memcpy(seed + n + OVPN_RANDOM_LEN, s_random2, OVPN_RANDOM_LEN);
	ovpn_put_sid(seed + n + 2 * OVPN_RANDOM_LEN, sid_client);
	ovpn_put_sid(seed + n + 2 * OVPN_RANDOM_LEN + 8, sid_server);
	GUARD_OUT(rc,
	          ovpn_prf_tls1(master, sizeof(master), seed, sizeof(seed), key2, OVPN_KEY2_LEN));
out:
	secret_wipe(master, sizeof(master));
	secret_wipe(seed, sizeof(seed));
	return rc;
}

RESULT ovpn_ctl_msg_next(struct rbuf *r, char *msg, size_t cap)
{
	struct rbuf probe = *r;
	size_t n = 0;
	bool bad = false;
	uint8_t c;

	for (;;) {
		if (rbuf_get_u8(&probe, &c) != E_OK)
			return E_AGAIN;
		if (c == '\0')
			break;
		if (n + 1 < cap)
			msg[n++] = (char)c;
		else
			bad = true;
		/* CVE-2024-5594: drop messages with non-printable characters (CR/LF stripped). */
		if (!isprint(c) && c != '\r' && c != '\n')
			bad = true;
	}
	*r = probe;
	while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n'))
		n--;
	msg[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (msg[i] == '\r' || msg[i] == '\n')
			bad = true;
	}
	return bad ? E_PARSE : E_OK;
}
