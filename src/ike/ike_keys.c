/*
 * ike_keys.c - IKE SA and CHILD SA key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18) and the
 * PSK AUTH value (2.15).
 */
#include "ike/ike_keys.h"

#include <string.h>

#include "lib/secret.h"

void ike_keys_fini(struct ike_keys *k)
{
	crypto_aead_free(k->in);
	crypto_aead_free(k->out);
	secret_wipe(k, sizeof(*k));
}

static void put_spi(uint8_t *p, uint64_t spi)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)spi;
		spi >>= 8;
	}
}

/* RFC 7296 2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) */
static RESULT keys_expand(const struct ike_suite *s, const uint8_t *skeyseed, const uint8_t *ni,
                          size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i,
                          uint64_t spi_r, bool initiator, struct ike_keys *k)
{
	uint8_t seed[2 * IKE_NONCE_MAX + 16], km[7 * 64 + 2 * 36];
	size_t pl = crypto_prf_len(s->prf), il = s->integ ? crypto_integ_key_len(s->integ) : 0;
	size_t el = crypto_encr_keymat_len(s->encr, s->key_bits), n = 0, total;
	const uint8_t *ai, *ar, *ei, *er;
	result_t rc;

	total = 3 * pl + 2 * il + 2 * el;
	if (el == 0 || total > sizeof(km))
		return E_UNSUPPORTED;
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	put_spi(seed + ni_len + nr_len, spi_i);
	put_spi(seed + ni_len + nr_len + 8, spi_r);
	GUARD_OUT(rc, crypto_prf_plus(s->prf, skeyseed, pl, seed, ni_len + nr_len + 16, km, total));
	memcpy(k->sk_d, km, pl);
	n = pl;
	ai = km + n, n += il;
	ar = km + n, n += il;
	ei = km + n, n += el;
	er = km + n, n += el;
	memcpy(k->sk_pi, km + n, pl);
	memcpy(k->sk_pr, km + n + pl, pl);
	k->prf = s->prf;
	k->prf_len = pl;
	GUARD_OUT(rc, crypto_aead_new(s->encr, s->key_bits, s->integ, initiator ? ei : er, el,
	                              initiator ? ai : ar, il, &k->out));
	GUARD_OUT(rc, crypto_aead_new(s->encr, s->key_bits, s->integ, initiator ? er : ei, el,
	                              initiator ? ar : ai, il, &k->in));
out:
	secret_wipe(km, sizeof(km));
	return rc;
}

RESULT ike_keys_derive(const struct ike_suite *s, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       uint64_t spi_i, uint64_t spi_r, bool initiator, const struct ike_keys *old,
                       struct ike_keys *k)
{
	uint8_t key[2 * IKE_NONCE_MAX], skeyseed[CRYPTO_MAX_PRF_LEN];
	uint8_t data[CRYPTO_MAX_DH_SHARED_LEN + 2 * IKE_NONCE_MAX];
	result_t rc;

	memset(k, 0, sizeof(*k));
	if (ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX || gir_len > CRYPTO_MAX_DH_SHARED_LEN)
		return E_INVAL;
	if (!old) {
		/* RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir) */
		memcpy(key, ni, ni_len);
		memcpy(key + ni_len, nr, nr_len);
		GUARD_OUT(rc, crypto_prf(s->prf, key, ni_len + nr_len, gir, gir_len, skeyseed));
	} else {
		/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), old PRF */
		memcpy(data, gir, gir_len);
		memcpy(data + gir_len, ni, ni_len);
		memcpy(data + gir_len + ni_len, nr, nr_len);
		GUARD_OUT(rc, crypto_prf(old->prf, old->sk_d, old->prf_len, data,
		                         gir_len + ni_len + nr_len, skeyseed));
	}
	GUARD_OUT(rc, keys_expand(s, skeyseed, ni, ni_len, nr, nr_len, spi_i, spi_r, initiator, k));
out:
	secret_wipe(key, sizeof(key));
	secret_wipe(data, sizeof(data));
	secret_wipe(skeyseed, sizeof(skeyseed));
	if (rc != E_OK)
		ike_keys_fini(k);
	return rc;
}

/* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); the initiator-to-responder
 * encryption and integrity keys come first, then the responder-to-initiator ones. */
RESULT ike_child_keys_derive(const struct ike_keys *ike, const struct ike_suite *s,
                             const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                             const uint8_t *nr, size_t nr_len, struct ike_child_keys *ck)
{
	uint8_t seed[CRYPTO_MAX_DH_SHARED_LEN + 2 * IKE_NONCE_MAX], km[2 * (36 + 64)];
	size_t el = crypto_encr_keymat_len(s->encr, s->key_bits);
	size_t il = s->integ ? crypto_integ_key_len(s->integ) : 0;
	result_t rc;

	memset(ck, 0, sizeof(*ck));
	if (el == 0 || el > sizeof(ck->encr_i) || il > sizeof(ck->integ_i) ||
	    gir_len > CRYPTO_MAX_DH_SHARED_LEN || ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return E_UNSUPPORTED;
	if (gir_len)
		memcpy(seed, gir, gir_len);
	memcpy(seed + gir_len, ni, ni_len);
	memcpy(seed + gir_len + ni_len, nr, nr_len);
	GUARD_OUT(rc, crypto_prf_plus(ike->prf, ike->sk_d, ike->prf_len, seed,
	                              gir_len + ni_len + nr_len, km, 2 * (el + il)));
	memcpy(ck->encr_i, km, el);
	memcpy(ck->integ_i, km + el, il);
	memcpy(ck->encr_r, km + el + il, el);
	memcpy(ck->integ_r, km + 2 * el + il, il);
	ck->encr_len = el;
	ck->integ_len = il;
out:
	secret_wipe(seed, sizeof(seed));
	secret_wipe(km, sizeof(km));
	return rc;
}

/* RFC 7296 2.15:
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) */
RESULT ike_auth_psk(uint16_t prf, const char *psk, const uint8_t *sk_p, size_t sk_p_len,
                    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *id_rest, size_t id_rest_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t maced[CRYPTO_MAX_PRF_LEN], key[CRYPTO_MAX_PRF_LEN];
	struct wbuf w;
	size_t pl = crypto_prf_len(prf);
	result_t rc;

	wbuf_init_dyn(&w, msg_len + nonce_len + pl, 0);
	GUARD_OUT(rc, crypto_prf(prf, sk_p, sk_p_len, id_rest, id_rest_len, maced));
	GUARD_OUT(rc, crypto_prf(prf, (const uint8_t *)psk, strlen(psk), (const uint8_t *)pad,
	                         sizeof(pad) - 1, key));
	wbuf_put_bytes(&w, msg, msg_len);
	wbuf_put_bytes(&w, nonce, nonce_len);
	wbuf_put_bytes(&w, maced, pl);
	GUARD_OUT(rc, wbuf_result(&w));
	GUARD_OUT(rc, crypto_prf(prf, key, pl, w.data, w.len, out));
out:
	secret_wipe(key, sizeof(key));
	secret_wipe(maced, sizeof(maced));
	wbuf_free(&w);
	return rc;
}
