/*
 * crypto.h - the algorithms of the AWS tunnel options table, over OpenSSL 3 (EVP).
 *
 * Identifiers are the IKEv2 IANA transform IDs (RFC 7296 3.3.2, RFC 5282, RFC 4868), so IKE can
 * use them straight from the wire and ESP shares them:
 *   encryption:  CRYPTO_ENCR_AES_CBC (12) with 128/256-bit keys, CRYPTO_ENCR_AES_GCM_16 (20)
 *   integrity:   CRYPTO_INTEG_HMAC_SHA1_96 (2), _SHA2_256_128 (12), _SHA2_384_192 (13),
 *                _SHA2_512_256 (14)
 *   PRF:         CRYPTO_PRF_HMAC_SHA1 (2), _SHA2_256 (5), _SHA2_384 (6), _SHA2_512 (7)
 *   DH groups:   2, 5, 14-18 (MODP, RFC 2409/3526), 19-21 (ECP, RFC 5903),
 *                22-24 (MODP with prime-order subgroup, RFC 5114)
 *
 * Ownership: every object is created by *_new and freed (keys wiped) by *_free. An object is
 * used by one thread at a time; the data path keeps one crypto_aead per SA direction per worker.
 * Objects share no mutable state, and the functions without an object (PRF, prf+, integ, SHA-1,
 * the *_supported / *_len queries) may be called from any thread at any time.
 * Implementation: src/crypto/dh.c (+ dh_groups.c tables), prf.c, integ.c, aead.c.
 * Errors: E_UNSUPPORTED (unknown ID), E_CRYPTO (OpenSSL failure), E_CRYPTO_AUTH (ICV mismatch,
 * compared in constant time), E_CRYPTO_DH (peer public value invalid, including a KE data length
 * other than crypto_dh_pub_len), E_INVAL (sizes: a NULL pointer with a non-zero length, an
 * output capacity too small, a key of the wrong length), E_NOMEM. Empty inputs (NULL, 0) are
 * valid wherever a length is given.
 */
#ifndef GH_CRYPTO_H
#define GH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum crypto_encr {
	CRYPTO_ENCR_AES_CBC = 12,
	CRYPTO_ENCR_AES_GCM_16 = 20,
};

enum crypto_integ {
	CRYPTO_INTEG_NONE = 0,
	CRYPTO_INTEG_HMAC_SHA1_96 = 2,
	CRYPTO_INTEG_HMAC_SHA2_256_128 = 12,
	CRYPTO_INTEG_HMAC_SHA2_384_192 = 13,
	CRYPTO_INTEG_HMAC_SHA2_512_256 = 14,
};

enum crypto_prf {
	CRYPTO_PRF_HMAC_SHA1 = 2,
	CRYPTO_PRF_HMAC_SHA2_256 = 5,
	CRYPTO_PRF_HMAC_SHA2_384 = 6,
	CRYPTO_PRF_HMAC_SHA2_512 = 7,
};

#define CRYPTO_MAX_PRF_LEN 64
#define CRYPTO_MAX_ICV_LEN 32
#define CRYPTO_MAX_DH_PUB_LEN 1024 /* MODP-8192 */
#define CRYPTO_MAX_DH_SHARED_LEN 1024
#define CRYPTO_GCM_SALT_LEN 4

/* --- Diffie-Hellman (RFC 7296 3.4 KE payload encodings) ---
 * MODP public values are g^x left-padded to the prime's length; the shared secret is the full
 * prime length. ECP public values are x || y (no 0x04 prefix); the shared secret is x only
 * (RFC 5903 7). Peer values are validated (range for MODP, point on curve for ECP, subgroup
 * order for 22-24). */
struct crypto_dh;

bool crypto_dh_supported(uint16_t group);
/* Length of the KE payload data for the group; 0 when unsupported. */
size_t crypto_dh_pub_len(uint16_t group);
RESULT crypto_dh_new(uint16_t group, struct crypto_dh **out);
/* For known-answer tests: a key pair from a given private value (big-endian). */
RESULT crypto_dh_new_private(uint16_t group, const uint8_t *priv, size_t len,
			     struct crypto_dh **out);
/* Writes crypto_dh_pub_len(group) bytes. */
RESULT crypto_dh_public(const struct crypto_dh *dh, uint8_t *out, size_t cap, size_t *len);
RESULT crypto_dh_shared(struct crypto_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
			size_t cap, size_t *len);
uint16_t crypto_dh_group(const struct crypto_dh *dh);
void crypto_dh_free(struct crypto_dh *dh);

/* --- PRF (RFC 7296 2.13) --- */
bool crypto_prf_supported(uint16_t prf);
/* Output length of the PRF (also its preferred key length). */
size_t crypto_prf_len(uint16_t prf);
/* out gets crypto_prf_len(prf) bytes of prf(key, data). */
RESULT crypto_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data,
		  size_t data_len, uint8_t *out);
/* prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), out_len bytes.
 * out_len is at most 255 * crypto_prf_len(prf). */
RESULT crypto_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		       size_t seed_len, uint8_t *out, size_t out_len);

/* --- Integrity (RFC 2404, RFC 4868): HMAC truncated to the ICV length --- */
bool crypto_integ_supported(uint16_t integ);
size_t crypto_integ_key_len(uint16_t integ); /* 20, 32, 48, 64 */
size_t crypto_integ_icv_len(uint16_t integ); /* 12, 16, 24, 32 */
/* icv gets crypto_integ_icv_len(integ) bytes. Any key_len is accepted (HMAC hashes or pads the
 * key; the RFC 2202 vectors use other lengths); IKE and ESP pass crypto_integ_key_len. */
RESULT crypto_integ(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data,
		    size_t data_len, uint8_t *icv);

/* --- Hash, for NAT detection (RFC 7296 2.23: SHA-1) --- */
RESULT crypto_sha1(const uint8_t *data, size_t len, uint8_t out[20]);

/* --- Encryption with integrity: one object for the IKE SK payload and for ESP ---
 * key_bits is 128 or 256. For GCM the encryption key material is key || 4-byte salt
 * (RFC 4106 8.1, RFC 5282 7.1) and integ is CRYPTO_INTEG_NONE. For CBC the integrity key is
 * given separately.
 *
 * seal/open work in place on buf[0..len):
 *   CBC: len is a multiple of 16 (caller pads); buf = AES-CBC(key, iv(16), buf);
 *        icv = HMAC(integ_key, aad || iv || ciphertext) truncated (encrypt-then-MAC).
 *   GCM: nonce = salt || iv(8); aad as given; icv = the 16-byte tag.
 * open verifies the ICV (constant time) before decrypting; E_CRYPTO_AUTH on mismatch, with
 * buf unchanged. No allocation after crypto_aead_new: safe for the packet path.
 * Details: CBC rejects a len that is not a multiple of 16 (E_INVAL); GCM takes any len
 * (block_len 4 is what ESP pads to, RFC 4303 2.4; RFC 5282 IKE SK data need not be aligned).
 * For GCM, OpenSSL checks the tag (constant time) in the same pass as the decryption; on a
 * mismatch the keystream is applied again, so buf is restored before E_CRYPTO_AUTH returns.
 * Keys: encr_key_len must be crypto_encr_keymat_len(encr, key_bits) and integ_key_len
 * crypto_integ_key_len(integ) (E_INVAL otherwise); GCM needs CRYPTO_INTEG_NONE, CBC an HMAC. */
struct crypto_aead;

/* Bytes of encryption key material (key, plus salt for GCM); 0 when unsupported. */
size_t crypto_encr_keymat_len(uint16_t encr, unsigned key_bits);
RESULT crypto_aead_new(uint16_t encr, unsigned key_bits, uint16_t integ, const uint8_t *encr_key,
		       size_t encr_key_len, const uint8_t *integ_key, size_t integ_key_len,
		       struct crypto_aead **out);
void crypto_aead_free(struct crypto_aead *a);
size_t crypto_aead_iv_len(const struct crypto_aead *a);    /* 16 CBC, 8 GCM */
size_t crypto_aead_icv_len(const struct crypto_aead *a);   /* integ ICV, 16 GCM */
size_t crypto_aead_block_len(const struct crypto_aead *a); /* 16 CBC, 4 GCM (RFC 4303 2.4) */
/* Added: the cipher's own alignment, 16 CBC, 1 GCM. IKE SK payloads (RFC 7296 3.14, RFC 5282)
 * only need this: a peer may send GCM-protected IKE messages of any length (strongSwan does),
 * so IKE must not apply ESP's 4-octet rule when receiving. */
size_t crypto_aead_cipher_block_len(const struct crypto_aead *a);
RESULT crypto_aead_seal(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv);
RESULT crypto_aead_open(struct crypto_aead *a, const uint8_t *aad, size_t aad_len,
			const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv);

#endif
