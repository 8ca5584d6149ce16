/*
 * ike_keys.h - key derivation for IKE and CHILD SAs and the PSK AUTH value. Internal.
 * All key material is wiped by ike_keys_fini / by the callers of ike_child_keys_derive.
 */
#ifndef GH_IKE_KEYS_H
#define GH_IKE_KEYS_H

#include "crypto/crypto.h"
#include "ike/ike_proposal.h"

struct ike_keys {
	uint16_t prf;
	size_t prf_len;
	uint8_t sk_d[CRYPTO_MAX_PRF_LEN];
	uint8_t sk_pi[CRYPTO_MAX_PRF_LEN];
	uint8_t sk_pr[CRYPTO_MAX_PRF_LEN];
	struct crypto_aead *in;  /* protects what we receive */
	struct crypto_aead *out; /* protects what we send */
};

struct ike_child_keys {
	uint8_t encr_i[36], integ_i[64]; /* initiator -> responder */
	uint8_t encr_r[36], integ_r[64]; /* responder -> initiator */
	size_t encr_len, integ_len;
};

/* Initial (old == NULL) or rekeyed (old = the IKE SA being rekeyed) IKE SA keys. */
RESULT ike_keys_derive(const struct ike_suite *s, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       uint64_t spi_i, uint64_t spi_r, bool initiator, const struct ike_keys *old,
                       struct ike_keys *k);
void ike_keys_fini(struct ike_keys *k);
RESULT ike_child_keys_derive(const struct ike_keys *ike, const struct ike_suite *s,
                             const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                             const uint8_t *nr, size_t nr_len, struct ike_child_keys *ck);
/* out gets crypto_prf_len(prf) bytes. */
RESULT ike_auth_psk(uint16_t prf, const char *psk, const uint8_t *sk_p, size_t sk_p_len,
                    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *id_rest, size_t id_rest_len, uint8_t *out);

#endif
