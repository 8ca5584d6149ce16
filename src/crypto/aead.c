/*
 * aead.c - encryption with integrity for the IKE SK payload and ESP: AES-CBC with an HMAC
 * (encrypt-then-MAC, RFC 3602 + RFC 2404/4868, RFC 7296 3.14) and AES-GCM with a 16-octet ICV
 * (RFC 4106, RFC 5282).
 *
 * Packet path rules: every OpenSSL context is created and keyed once in crypto_aead_new; a
 * seal/open only sets the IV on them (EVP_CipherInit_ex2 with a NULL cipher and key) and
 * restarts the HMAC with its stored key (EVP_MAC_init with a NULL key). Nothing is allocated
 * and nothing is shared between objects, so different objects may run on different threads.
 * Encryption and decryption each get their own cipher context because the AES-CBC decryption
 * key schedule differs from the encryption one and a keyless re-init cannot switch it.
 */
#include "crypto/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/hmac.h"
#include "crypto/integ_algs.h"
#include "crypto/ossl.h"
#include "lib/secret.h"

#define AEAD_CBC_IV_LEN 16    /* RFC 3602 2.1 */
#define AEAD_CBC_BLOCK_LEN 16 /* AES block */
#define AEAD_GCM_IV_LEN 8     /* RFC 4106 3.1 explicit IV */
#define AEAD_GCM_NONCE_LEN 12 /* RFC 4106 4: salt(4) || IV(8) */
#define AEAD_GCM_ICV_LEN 16   /* ENCR_AES_GCM_16 */
#define AEAD_GCM_BLOCK_LEN 4  /* RFC 4303 2.4: 4-octet alignment only */

struct crypto_aead {
	uint16_t encr;
	size_t iv_len, icv_len, block_len;
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
	EVP_MAC_CTX *mac; /* CBC only */
	const struct crypto_integ_alg *integ;
	uint8_t salt[CRYPTO_GCM_SALT_LEN];
};

size_t crypto_encr_keymat_len(uint16_t encr, unsigned key_bits)
{
	if (key_bits != 128 && key_bits != 256)
		return 0;
	switch (encr) {
	case CRYPTO_ENCR_AES_CBC:
		return key_bits / 8;
	case CRYPTO_ENCR_AES_GCM_16:
		return key_bits / 8 + CRYPTO_GCM_SALT_LEN; /* RFC 4106 8.1 */
	default:
		return 0;
	}
}

static const char *aead_cipher_name(uint16_t encr, unsigned key_bits)
{
	if (encr == CRYPTO_ENCR_AES_CBC)
		return key_bits == 128 ? "AES-128-CBC" : "AES-256-CBC";
	return key_bits == 128 ? "AES-128-GCM" : "AES-256-GCM";
}

static EVP_CIPHER_CTX *aead_cipher_ctx_new(const char *name, const uint8_t *key, int enc)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = cipher ? EVP_CIPHER_CTX_new() : NULL;

	if (ctx && !EVP_CipherInit_ex2(ctx, cipher, key, NULL, enc, NULL)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	/* the caller pads (RFC 4303 2.4); GCM ignores this */
	if (ctx && !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_CIPHER_free(cipher); /* the context keeps its own reference */
	return ctx;
}

void crypto_aead_free(struct crypto_aead *a)
{
	if (!a)
		return;
	/* OpenSSL cleanses the key schedules and the HMAC pads when freeing the contexts */
	EVP_CIPHER_CTX_free(a->enc);
	EVP_CIPHER_CTX_free(a->dec);
	EVP_MAC_CTX_free(a->mac);
	secret_wipe(a, sizeof(*a));
	free(a);
}

/* Argument checks of crypto_aead_new; returns the integrity algorithm through *integ_alg. */
static RESULT aead_check(uint16_t encr, unsigned key_bits, uint16_t integ, size_t encr_key_len,
			 size_t integ_key_len, const struct crypto_integ_alg **integ_alg)
{
	size_t keymat = crypto_encr_keymat_len(encr, key_bits);

	*integ_alg = NULL;
	if (keymat == 0)
		return E_UNSUPPORTED;
	if (encr_key_len != keymat)
		return E_INVAL;
	if (encr == CRYPTO_ENCR_AES_GCM_16) {
		/* RFC 7296 3.3: a combined-mode cipher is offered without integrity */
		return integ == CRYPTO_INTEG_NONE && integ_key_len == 0 ? E_OK : E_INVAL;
	}
	if (integ == CRYPTO_INTEG_NONE)
		return E_INVAL; /* never encryption without integrity */
	*integ_alg = crypto_integ_alg_find(integ);
	if (!*integ_alg)
		return E_UNSUPPORTED;
	return integ_key_len == (*integ_alg)->key_len ? E_OK : E_INVAL;
}

RESULT crypto_aead_new(uint16_t encr, unsigned key_bits, uint16_t integ, const uint8_t *encr_key,
		       size_t encr_key_len, const uint8_t *integ_key, size_t integ_key_len,
		       struct crypto_aead **out)
{
	const struct crypto_integ_alg *ia;
	const char *name = aead_cipher_name(encr, key_bits);
	struct crypto_aead *a;

	if (!out)
		return E_INVAL;
	*out = NULL;
	GUARD(aead_check(encr, key_bits, integ, encr_key_len, integ_key_len, &ia));
	if (!encr_key || (integ_key_len && !integ_key))
		return E_INVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return E_NOMEM;
	a->encr = encr;
	a->integ = ia;
	a->enc = aead_cipher_ctx_new(name, encr_key, 1);
	a->dec = aead_cipher_ctx_new(name, encr_key, 0);
	if (!a->enc || !a->dec)
		goto fail;
	if (encr == CRYPTO_ENCR_AES_GCM_16) {
		memcpy(a->salt, encr_key + key_bits / 8, CRYPTO_GCM_SALT_LEN);
		a->iv_len = AEAD_GCM_IV_LEN;
		a->icv_len = AEAD_GCM_ICV_LEN;
		a->block_len = AEAD_GCM_BLOCK_LEN;
	} else {
		a->mac = crypto_hmac_ctx_new(ia->digest, integ_key, integ_key_len);
		if (!a->mac)
			goto fail;
		a->iv_len = AEAD_CBC_IV_LEN;
		a->icv_len = ia->icv_len;
		a->block_len = AEAD_CBC_BLOCK_LEN;
	}
	*out = a;
	return E_OK;
fail:
	crypto_aead_free(a);
	return crypto_ossl_done(E_CRYPTO, "AEAD key set-up");
}

size_t crypto_aead_iv_len(const struct crypto_aead *a)
{
	return a ? a->iv_len : 0;
}

size_t crypto_aead_icv_len(const struct crypto_aead *a)
{
	return a ? a->icv_len : 0;
}

size_t crypto_aead_block_len(const struct crypto_aead *a)
{
	return a ? a->block_len : 0;
}

size_t crypto_aead_cipher_block_len(const struct crypto_aead *a)
{
	if (!a)
		return 0;
	return a->encr == CRYPTO_ENCR_AES_CBC ? AEAD_CBC_BLOCK_LEN : 1; /* GCM: a stream mode */
}

/* --- AES-CBC + HMAC (encrypt-then-MAC) -------------------------------------------------------- */

/* The untruncated HMAC(aad || iv || ciphertext) into full (CRYPTO_MAX_PRF_LEN bytes). */
static RESULT aead_cbc_mac(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			   const uint8_t *iv, const uint8_t *ct, size_t len, uint8_t *full)
{
	size_t n = 0;

	if (!EVP_MAC_init(a->mac, NULL, 0, NULL) ||
	    (aad_len && !EVP_MAC_update(a->mac, aad, aad_len)) ||
	    !EVP_MAC_update(a->mac, iv, AEAD_CBC_IV_LEN) ||
	    (len && !EVP_MAC_update(a->mac, ct, len)) ||
	    !EVP_MAC_final(a->mac, full, &n, CRYPTO_MAX_PRF_LEN) || n != a->integ->mac_len)
		return E_CRYPTO;
	return E_OK;
}

static RESULT aead_cbc_crypt(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *iv, uint8_t *buf,
			     size_t len)
{
	int n = 0;

	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, enc, NULL))
		return E_CRYPTO;
	if (len && (!EVP_CipherUpdate(ctx, buf, &n, buf, (int)len) || (size_t)n != len))
		return E_CRYPTO;
	return E_OK;
}

static RESULT aead_cbc_seal(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			    const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t full[CRYPTO_MAX_PRF_LEN];
	result_t rc;

	GUARD(aead_cbc_crypt(a->enc, 1, iv, buf, len));
	rc = aead_cbc_mac(a, aad, aad_len, iv, buf, len, full);
	if (rc == E_OK)
		memcpy(icv, full, a->icv_len); /* RFC 2404 2 / RFC 4868 2.1.1: leftmost bits */
	return rc;
}

static RESULT aead_cbc_open(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			    const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t full[CRYPTO_MAX_PRF_LEN];

	/* RFC 4303 3.4.4.1: check the ICV first, decrypt only an authentic packet */
	GUARD(aead_cbc_mac(a, aad, aad_len, iv, buf, len, full));
	if (!secret_equal(full, icv, a->icv_len))
		return E_CRYPTO_AUTH;
	return aead_cbc_crypt(a->dec, 0, iv, buf, len);
}

/* --- AES-GCM ------------------------------------------------------------------------------------
 */

/* One GCM pass over aad and buf (in place) with nonce = salt || iv (RFC 4106 4). */
static RESULT aead_gcm_pass(struct crypto_aead *a, EVP_CIPHER_CTX *ctx, int enc, const uint8_t *aad,
			    size_t aad_len, const uint8_t *iv, uint8_t *buf, size_t len)
{
	uint8_t nonce[AEAD_GCM_NONCE_LEN];
	int n = 0;

	memcpy(nonce, a->salt, CRYPTO_GCM_SALT_LEN);
	memcpy(nonce + CRYPTO_GCM_SALT_LEN, iv, AEAD_GCM_IV_LEN);
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, enc, NULL))
		return E_CRYPTO;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return E_CRYPTO;
	if (len && (!EVP_CipherUpdate(ctx, buf, &n, buf, (int)len) || (size_t)n != len))
		return E_CRYPTO;
	return E_OK;
}

static RESULT aead_gcm_seal(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			    const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t last[16];
	int n = 0;

	GUARD(aead_gcm_pass(a, a->enc, 1, aad, aad_len, iv, buf, len));
	if (!EVP_EncryptFinal_ex(a->enc, last, &n) ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_AEAD_GET_TAG, AEAD_GCM_ICV_LEN, icv) <= 0)
		return E_CRYPTO;
	return E_OK;
}

/*
 * OpenSSL computes the GHASH of the ciphertext while it decrypts and compares the tag itself
 * (CRYPTO_memcmp, constant time) in EVP_DecryptFinal_ex; it cannot hand out the expected tag
 * first. So the packet is decrypted in place and, when the tag does not match, the same
 * keystream (same nonce, encrypt direction) is applied again, which restores the ciphertext:
 * the caller sees buf unchanged, as for CBC, with no copy on the good path.
 */
static RESULT aead_gcm_open(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			    const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t tag[AEAD_GCM_ICV_LEN], last[16];
	int n = 0;

	memcpy(tag, icv, sizeof(tag)); /* the ctrl takes a non-const pointer */
	GUARD(aead_gcm_pass(a, a->dec, 0, aad, aad_len, iv, buf, len));
	if (EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_AEAD_SET_TAG, AEAD_GCM_ICV_LEN, tag) <= 0)
		return E_CRYPTO;
	if (EVP_DecryptFinal_ex(a->dec, last, &n) > 0)
		return E_OK;
	/* the pass below re-encrypts the bytes just decrypted: buf is the ciphertext again */
	GUARD(aead_gcm_pass(a, a->enc, 1, NULL, 0, iv, buf, len));
	return E_CRYPTO_AUTH;
}

/* --- entry points ------------------------------------------------------------------------------
 */

static RESULT aead_check_args(const struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			      const uint8_t *iv, const uint8_t *buf, size_t len, const void *icv)
{
	if (!a || !iv || !icv || (!aad && aad_len) || (!buf && len))
		return E_INVAL;
	if (len > INT_MAX || aad_len > INT_MAX)
		return E_INVAL;
	/* CBC needs whole blocks (the caller pads, RFC 4303 2.4 / RFC 7296 3.14); GCM is a
	 * stream mode and RFC 5282 3 lets IKE send any length, so it takes any */
	if (a->encr == CRYPTO_ENCR_AES_CBC && len % AEAD_CBC_BLOCK_LEN != 0)
		return E_INVAL;
	return E_OK;
}

RESULT crypto_aead_seal(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	GUARD(aead_check_args(a, aad, aad_len, iv, buf, len, icv));
	if (a->encr == CRYPTO_ENCR_AES_GCM_16)
		return crypto_ossl_done(aead_gcm_seal(a, aad, aad_len, iv, buf, len, icv), "seal");
	return crypto_ossl_done(aead_cbc_seal(a, aad, aad_len, iv, buf, len, icv), "seal");
}

RESULT crypto_aead_open(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv)
{
	GUARD(aead_check_args(a, aad, aad_len, iv, buf, len, icv));
	if (a->encr == CRYPTO_ENCR_AES_GCM_16)
		return crypto_ossl_done(aead_gcm_open(a, aad, aad_len, iv, buf, len, icv), "open");
	return crypto_ossl_done(aead_cbc_open(a, aad, aad_len, iv, buf, len, icv), "open");
}
