/*
 * ovpn_tls_crypt.c - tls-crypt v1 wrapping of control packets (tls_crypt.c in OpenVPN).
 */
#include "ovpn/ovpn_tls_crypt.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "lib/secret.h"

#define OVPN_STATIC_KEY_BEGIN "-----BEGIN OpenVPN Static key V1-----"
#define OVPN_STATIC_KEY_END "-----END OpenVPN Static key V1-----"
#define OVPN_STATIC_KEY_FILE_MAX 4096

RESULT ovpn_static_key_parse(const char *text, uint8_t key[OVPN_STATIC_KEY_LEN])
{
	const char *p = strstr(text, OVPN_STATIC_KEY_BEGIN), *end;
	char hex[2 * OVPN_STATIC_KEY_LEN + 1];
	size_t n = 0, got = 0;
	result_t rc;

	if (!p || !(end = strstr(p, OVPN_STATIC_KEY_END)))
		return E_PARSE;
	for (p += strlen(OVPN_STATIC_KEY_BEGIN); p < end; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p) || n >= sizeof(hex) - 1)
			return E_PARSE;
		hex[n++] = *p;
	}
	hex[n] = '\0';
	rc = n == 2 * OVPN_STATIC_KEY_LEN ? hex_decode(hex, key, OVPN_STATIC_KEY_LEN, &got)
	                                  : E_PARSE;
	secret_wipe(hex, sizeof(hex));
	return rc == E_OK && got == OVPN_STATIC_KEY_LEN ? E_OK : E_PARSE;
}

RESULT ovpn_static_key_load(const char *path, uint8_t key[OVPN_STATIC_KEY_LEN])
{
	char buf[OVPN_STATIC_KEY_FILE_MAX];
	FILE *f = fopen(path, "r");
	size_t n;
	result_t rc;

	if (!f)
		return E_SYSTEM;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rc = ovpn_static_key_parse(buf, key);
	secret_wipe(buf, sizeof(buf));
	return rc;
}

void ovpn_tls_crypt_init(struct ovpn_tls_crypt *tc, const uint8_t key[OVPN_STATIC_KEY_LEN],
                         bool server)
{
	/* key[i] = 128 octets: cipher[64] then hmac[64]. */
	const uint8_t *k0 = key, *k1 = key + 128;
	const uint8_t *tx = server ? k0 : k1, *rx = server ? k1 : k0;

	memcpy(tc->ke_tx, tx, 32);
	memcpy(tc->ka_tx, tx + 64, 32);
	memcpy(tc->ke_rx, rx, 32);
	memcpy(tc->ka_rx, rx + 64, 32);
}

void ovpn_tls_crypt_fini(struct ovpn_tls_crypt *tc)
{
	secret_wipe(tc, sizeof(*tc));
}

static RESULT ovpn_tc_tag(const uint8_t ka[32], const uint8_t *hdr, size_t hdr_len,
                          const uint8_t *pt, size_t pt_len, uint8_t tag[OVPN_TLS_CRYPT_TAG_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t out = 0;
	result_t rc = E_CRYPTO;

	if (ctx && EVP_MAC_init(ctx, ka, 32, params) == 1 &&
	    EVP_MAC_update(ctx, hdr, hdr_len) == 1 &&
	    (pt_len == 0 || EVP_MAC_update(ctx, pt, pt_len) == 1) &&
	    EVP_MAC_final(ctx, tag, &out, OVPN_TLS_CRYPT_TAG_LEN) == 1 &&
	    out == OVPN_TLS_CRYPT_TAG_LEN)
		rc = E_OK;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static RESULT ovpn_tc_ctr(const uint8_t ke[32], const uint8_t iv[16], const uint8_t *in, size_t n,
                          uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;
	result_t rc = E_CRYPTO;

	if (ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, ke, iv) == 1 &&
	    (n == 0 || EVP_EncryptUpdate(ctx, out, &l1, in, (int)n) == 1) &&
	    EVP_EncryptFinal_ex(ctx, out + l1, &l2) == 1)
		rc = E_OK;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

RESULT ovpn_tls_crypt_unwrap(const struct ovpn_tls_crypt *tc, const uint8_t *pkt, size_t n,
                             struct wbuf *out, uint32_t *pid, uint32_t *net_time)
{
	struct rbuf r;
	const uint8_t *hdr, *tag, *ct = NULL;
	uint8_t want[OVPN_TLS_CRYPT_TAG_LEN];

	rbuf_init(&r, pkt, n);
	/* op|kid, session id, packet_id, net_time: the authenticated header (17 octets) */
	GUARD(rbuf_get_ptr(&r, 1 + 8 + 4 + 4, &hdr));
	GUARD(rbuf_get_ptr(&r, OVPN_TLS_CRYPT_TAG_LEN, &tag));
	size_t ct_len = rbuf_remaining(&r);
	if (ct_len)
		GUARD(rbuf_get_ptr(&r, ct_len, &ct));
	size_t start = out->len;
	wbuf_put_bytes(out, hdr, 1 + 8);
	uint8_t *pt = wbuf_append(out, ct_len);
	GUARD(wbuf_result(out));
	/* SIV: decrypt with IV = tag[0..15], then recompute the tag over header | plaintext. */
	result_t rc = ovpn_tc_ctr(tc->ke_rx, tag, ct, ct_len, pt);
	if (rc == E_OK)
		rc = ovpn_tc_tag(tc->ka_rx, hdr, 1 + 8 + 4 + 4, pt, ct_len, want);
	if (rc == E_OK && !secret_equal(want, tag, sizeof(want)))
		rc = E_OVPN_HMAC;
	if (rc != E_OK) {
		secret_wipe(out->data + start, out->len - start);
		out->len = start;
		return rc;
	}
	struct rbuf h;
	rbuf_init(&h, hdr + 9, 8);
	GUARD(rbuf_get_u32(&h, pid));
	return rbuf_get_u32(&h, net_time);
}

RESULT ovpn_tls_crypt_wrap(const struct ovpn_tls_crypt *tc, const uint8_t *plain, size_t n,
                           uint32_t pid, uint32_t net_time, struct wbuf *out)
{
	struct rbuf r;
	const uint8_t *opsid, *pt = NULL;
	uint8_t hdr[17];
	struct wbuf hw;

	rbuf_init(&r, plain, n);
	GUARD(rbuf_get_ptr(&r, 1 + 8, &opsid));
	size_t pt_len = rbuf_remaining(&r);
	if (pt_len)
		GUARD(rbuf_get_ptr(&r, pt_len, &pt));
	wbuf_init(&hw, hdr, sizeof(hdr));
	wbuf_put_bytes(&hw, opsid, 9);
	wbuf_put_u32(&hw, pid);
	wbuf_put_u32(&hw, net_time);
	GUARD(wbuf_result(&hw));
	wbuf_put_bytes(out, hdr, sizeof(hdr));
	uint8_t *tag = wbuf_append(out, OVPN_TLS_CRYPT_TAG_LEN);
	uint8_t *ct = wbuf_append(out, pt_len);
	GUARD(wbuf_result(out));
	GUARD(ovpn_tc_tag(tc->ka_tx, hdr, sizeof(hdr), pt, pt_len, tag));
	return ovpn_tc_ctr(tc->ke_tx, tag, pt, pt_len, ct);
}
