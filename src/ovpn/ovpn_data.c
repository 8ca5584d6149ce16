/*
 * ovpn_data.c - the OpenVPN data channel, classic AEAD format (openvpn-protocol.md 6.2).
 *
 *  +--------+-----------+-----------+------------------------+
 *  | hdr    | packet_id | tag (16)  | ciphertext             |
 *  | 1 or 4 | 4         |           |                        |
 *  +--------+-----------+-----------+------------------------+
 */
#include "ovpn/ovpn_data.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "lib/secret.h"
#include "ovpn/ovpn_pkt.h"

static const struct {
	enum ovpn_cipher c;
	const char *name;
	size_t key_len;
} ovpn_ciphers[] = {
    {OVPN_CIPHER_AES_256_GCM, "AES-256-GCM", 32},
    {OVPN_CIPHER_AES_128_GCM, "AES-128-GCM", 16},
    {OVPN_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305", 32},
};

enum ovpn_cipher ovpn_cipher_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(ovpn_ciphers) / sizeof(ovpn_ciphers[0]); i++) {
		if (strlen(ovpn_ciphers[i].name) == len &&
		    strncasecmp(name, ovpn_ciphers[i].name, len) == 0)
			return ovpn_ciphers[i].c;
	}
	return OVPN_CIPHER_NONE;
}

const char *ovpn_cipher_name(enum ovpn_cipher c)
{
	for (size_t i = 0; i < sizeof(ovpn_ciphers) / sizeof(ovpn_ciphers[0]); i++) {
		if (ovpn_ciphers[i].c == c)
			return ovpn_ciphers[i].name;
	}
	return "none";
}

static const EVP_CIPHER *ovpn_cipher_evp(enum ovpn_cipher c, size_t *key_len)
{
	switch (c) {
	case OVPN_CIPHER_AES_256_GCM:
		*key_len = 32;
		return EVP_aes_256_gcm();
	case OVPN_CIPHER_AES_128_GCM:
		*key_len = 16;
		return EVP_aes_128_gcm();
	case OVPN_CIPHER_CHACHA20_POLY1305:
		*key_len = 32;
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

RESULT ovpn_replay_check(const struct ovpn_replay *r, uint32_t pid)
{
	if (pid == 0)
		return E_OVPN_REPLAY;
	if (pid > r->top)
		return E_OK;
	uint32_t diff = r->top - pid;
	if (diff >= OVPN_REPLAY_WINDOW)
		return E_OVPN_REPLAY;
	if (r->bitmap & (1ull << diff))
		return E_OVPN_REPLAY;
	return E_OK;
}

void ovpn_replay_update(struct ovpn_replay *r, uint32_t pid)
{
	if (pid > r->top) {
		uint32_t shift = pid - r->top;
		r->bitmap = shift >= 64 ? 0 : r->bitmap << shift;
		r->bitmap |= 1;
		r->top = pid;
	} else {
		r->bitmap |= 1ull << (r->top - pid);
	}
}

RESULT ovpn_data_key_init(struct ovpn_data_key *k, enum ovpn_cipher c, uint8_t key_id,
                          const uint8_t key2[OVPN_KEY2_LEN], bool server)
{
	size_t key_len = 0;
	const EVP_CIPHER *evp = ovpn_cipher_evp(c, &key_len);
	/* key[0] = octets 0..127 (client -> server), key[1] = 128..255 (server -> client). */
	const uint8_t *c2s = key2, *s2c = key2 + 128;
	const uint8_t *tx = server ? s2c : c2s, *rx = server ? c2s : s2c;

	memset(k, 0, sizeof(*k));
	if (!evp)
		return E_INVAL;
	k->enc = EVP_CIPHER_CTX_new();
	k->dec = EVP_CIPHER_CTX_new();
	if (!k->enc || !k->dec)
		goto fail;
	if (EVP_EncryptInit_ex(k->enc, evp, NULL, tx, NULL) != 1 ||
	    EVP_DecryptInit_ex(k->dec, evp, NULL, rx, NULL) != 1)
		goto fail;
	memcpy(k->iv_enc, tx + 64, OVPN_IMPLICIT_IV_LEN);
	memcpy(k->iv_dec, rx + 64, OVPN_IMPLICIT_IV_LEN);
	k->cipher = c;
	k->key_id = key_id;
	k->valid = true;
	return E_OK;
fail:
	ovpn_data_key_fini(k);
	return E_CRYPTO;
}

void ovpn_data_key_fini(struct ovpn_data_key *k)
{
	EVP_CIPHER_CTX_free(k->enc);
	EVP_CIPHER_CTX_free(k->dec);
	secret_wipe(k, sizeof(*k));
}

static void ovpn_nonce(uint8_t nonce[12], uint32_t pid, const uint8_t iv[OVPN_IMPLICIT_IV_LEN])
{
	nonce[0] = (uint8_t)(pid >> 24);
	nonce[1] = (uint8_t)(pid >> 16);
	nonce[2] = (uint8_t)(pid >> 8);
	nonce[3] = (uint8_t)pid;
	memcpy(nonce + 4, iv, OVPN_IMPLICIT_IV_LEN);
}

RESULT ovpn_data_encrypt(struct ovpn_data_key *k, uint32_t peer_id, const uint8_t *pt, size_t n,
                         struct wbuf *w)
{
	uint8_t nonce[12];
	size_t start = w->len;
	int l1 = 0, l2 = 0;

	if (!k->valid)
		return E_STATE;
	/* CVE-2017-7479: never wrap; the caller renegotiates long before this. */
	if (k->send_pid == UINT32_MAX)
		return E_OVPN_PKT_ID;
	uint32_t pid = ++k->send_pid;
	if (peer_id == OVPN_PEER_ID_UNDEF) {
		wbuf_put_u8(w, (uint8_t)(OVPN_P_DATA_V1 << OVPN_P_OPCODE_SHIFT | k->key_id));
	} else {
		wbuf_put_u8(w, (uint8_t)(OVPN_P_DATA_V2 << OVPN_P_OPCODE_SHIFT | k->key_id));
		wbuf_put_u24(w, peer_id);
	}
	size_t hdr_len = w->len - start;
	wbuf_put_u32(w, pid);
	uint8_t *tag = wbuf_append(w, OVPN_AEAD_TAG_LEN);
	uint8_t *ct = wbuf_append(w, n);
	GUARD(wbuf_result(w));
	/* AAD: DATA_V2 header || packet_id; DATA_V1: packet_id only. */
	const uint8_t *aad =
	    peer_id == OVPN_PEER_ID_UNDEF ? w->data + start + hdr_len : w->data + start;
	size_t aad_len = peer_id == OVPN_PEER_ID_UNDEF ? 4 : hdr_len + 4;
	ovpn_nonce(nonce, pid, k->iv_enc);
	if (EVP_EncryptInit_ex(k->enc, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(k->enc, NULL, &l1, aad, (int)aad_len) != 1 ||
	    (n > 0 && EVP_EncryptUpdate(k->enc, ct, &l1, pt, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(k->enc, ct + (n > 0 ? l1 : 0), &l2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(k->enc, EVP_CTRL_AEAD_GET_TAG, OVPN_AEAD_TAG_LEN, tag) != 1)
		return E_CRYPTO;
	return E_OK;
}

RESULT ovpn_data_decrypt(struct ovpn_data_key *k, const uint8_t *pkt, size_t len, struct wbuf *w)
{
	struct ovpn_data_hdr h;
	struct rbuf r, aad_r;
	const uint8_t *aad_hdr, *pidp, *tag, *ct;
	uint8_t nonce[12], aad[8];
	uint32_t pid;
	int l1 = 0, l2 = 0;

	if (!k->valid)
		return E_STATE;
	GUARD(ovpn_data_hdr_parse(pkt, len, &h));
	rbuf_init(&r, pkt, len);
	GUARD(rbuf_get_ptr(&r, h.hdr_len, &aad_hdr));
	GUARD(rbuf_get_ptr(&r, 4, &pidp));
	GUARD(rbuf_get_ptr(&r, OVPN_AEAD_TAG_LEN, &tag));
	size_t n = rbuf_remaining(&r);
	ct = n ? rbuf_cur(&r) : NULL;
	rbuf_init(&aad_r, pidp, 4);
	GUARD(rbuf_get_u32(&aad_r, &pid));
	/* Cheap before expensive: the replay window before the AEAD. */
	GUARD(ovpn_replay_check(&k->replay, pid));
	size_t aad_len = 0;
	if (h.opcode == OVPN_P_DATA_V2) {
		memcpy(aad, aad_hdr, h.hdr_len);
		aad_len = h.hdr_len;
	}
	memcpy(aad + aad_len, pidp, 4);
	aad_len += 4;
	uint8_t *pt = wbuf_append(w, n);
	GUARD(wbuf_result(w));
	ovpn_nonce(nonce, pid, k->iv_dec);
	if (EVP_DecryptInit_ex(k->dec, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(k->dec, NULL, &l1, aad, (int)aad_len) != 1 ||
	    (n > 0 && EVP_DecryptUpdate(k->dec, pt, &l1, ct, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(k->dec, EVP_CTRL_AEAD_SET_TAG, OVPN_AEAD_TAG_LEN, (void *)tag) !=
	        1) {
		w->len -= n;
		return E_CRYPTO;
	}
	if (EVP_DecryptFinal_ex(k->dec, pt + (n > 0 ? l1 : 0), &l2) != 1) {
		w->len -= n;
		return E_CRYPTO_AUTH;
	}
	ovpn_replay_update(&k->replay, pid);
	return E_OK;
}
