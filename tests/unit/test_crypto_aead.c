/* Unit tests for src/crypto encryption with integrity (crypto_aead): RFC 3602 AES-CBC cases,
 * draft-mcgrew-gcm-test-01 AES-GCM-ESP packets, tamper detection with the buffer left intact,
 * argument checks, and independent objects used from several threads at once. */
#include "test.h"

#include <pthread.h>

#include <openssl/err.h>

#include "crypto/crypto.h"
#include "test_crypto_vec.h"

/* An HMAC key for running the RFC 3602 raw (integrity-less) cases through crypto_aead. */
static const uint8_t integ_key20[20] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
					0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04};

/* The encrypt-then-MAC ICV recomputed independently with crypto_integ. */
static bool cbc_icv_expected(uint16_t integ, const uint8_t *key, size_t key_len,
			     const struct vec_bytes *aad, const struct vec_bytes *iv,
			     const uint8_t *ct, size_t len, uint8_t *icv)
{
	struct vec_bytes m;

	if (aad->n + iv->n + len > sizeof(m.b))
		return false;
	memcpy(m.b, aad->b, aad->n);
	memcpy(m.b + aad->n, iv->b, iv->n);
	memcpy(m.b + aad->n + iv->n, ct, len);
	return crypto_integ(integ, key, key_len, m.b, aad->n + iv->n + len, icv) == E_OK;
}

/* Seal pt with key/iv (aad may be empty): the ciphertext must be ct and the ICV the HMAC of
 * aad || iv || ct; then open restores pt. */
static void cbc_case(const struct vec_bytes *key, const struct vec_bytes *iv,
		     const struct vec_bytes *aad, const struct vec_bytes *pt,
		     const struct vec_bytes *ct)
{
	struct crypto_aead *a = NULL;
	uint8_t buf[512], icv[CRYPTO_MAX_ICV_LEN], want_icv[CRYPTO_MAX_ICV_LEN];

	CHECK_EQ(pt->n, ct->n);
	CHECK(pt->n <= sizeof(buf));
	CHECK_OK(crypto_aead_new(CRYPTO_ENCR_AES_CBC, (unsigned)key->n * 8,
				 CRYPTO_INTEG_HMAC_SHA1_96, key->b, key->n, integ_key20,
				 sizeof(integ_key20), &a));
	memcpy(buf, pt->b, pt->n);
	CHECK_OK(crypto_aead_seal(a, aad->b, aad->n, iv->b, buf, pt->n, icv));
	CHECK_MEM(buf, ct->b, ct->n);
	CHECK(cbc_icv_expected(CRYPTO_INTEG_HMAC_SHA1_96, integ_key20, sizeof(integ_key20), aad, iv,
			       ct->b, ct->n, want_icv));
	CHECK_MEM(icv, want_icv, 12);
	CHECK_OK(crypto_aead_open(a, aad->b, aad->n, iv->b, buf, ct->n, icv));
	CHECK_MEM(buf, pt->b, pt->n);
	crypto_aead_free(a);
}

TEST(aes_cbc_rfc3602_raw_cases_1_to_4)
{
	struct json_object *root = vec_load("aes-cbc-rfc3602.json");
	struct json_object *arr = vec_get(root, "raw_cases");
	struct vec_bytes key, iv, pt, ct, none = {.n = 0};
	size_t i;

	CHECK(arr != NULL);
	for (i = 0; i < json_object_array_length(arr) && !test_failed_flag; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "iv", &iv) &&
		      vec_hex(v, "plaintext", &pt) && vec_hex(v, "ciphertext", &ct));
		cbc_case(&key, &iv, &none, &pt, &ct);
	}
	CHECK_EQ(i, 4);
	json_object_put(root);
}

/* Cases 5 and 7: the ESP payload (with trailer) encrypts to the published packet; SPI || Seq
 * is the authenticated header as ESP will pass it. */
TEST(aes_cbc_rfc3602_esp_cases_5_and_7)
{
	struct json_object *root = vec_load("aes-cbc-rfc3602.json");
	struct json_object *arr = vec_get(root, "esp_packet_cases");
	struct vec_bytes key, iv, pt, ct, pkt, aad;
	size_t i;

	CHECK(arr != NULL);
	for (i = 0; i < json_object_array_length(arr) && !test_failed_flag; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "iv", &iv) &&
		      vec_hex(v, "esp_plaintext_with_trailer", &pt) &&
		      vec_hex(v, "ciphertext", &ct) &&
		      vec_hex(v, "esp_packet_spi_seq_iv_ciphertext", &pkt));
		CHECK_EQ(pkt.n, 8 + 16 + ct.n);
		CHECK_MEM(pkt.b + 8, iv.b, 16);
		CHECK_MEM(pkt.b + 24, ct.b, ct.n);
		memcpy(aad.b, pkt.b, 8);
		aad.n = 8;
		cbc_case(&key, &iv, &aad, &pt, &ct);
	}
	CHECK_EQ(i, 2);
	json_object_put(root);
}

static void gcm_case(struct json_object *v)
{
	struct vec_bytes keymat, iv, aad, pt, ct, icv16, pkt, spi;
	struct crypto_aead *a = NULL;
	unsigned bits = (unsigned)vec_int(v, "aes_key_bits");
	uint8_t buf[512], icv[16];

	CHECK(vec_hex(v, "keymat_rfc4106", &keymat) && vec_hex(v, "iv_explicit", &iv) &&
	      vec_hex(v, "aad", &aad) && vec_hex(v, "esp_plaintext_with_trailer", &pt) &&
	      vec_hex(v, "ciphertext", &ct) && vec_hex(v, "icv16", &icv16) &&
	      vec_hex(v, "esp_packet", &pkt) && vec_hex(v, "spi", &spi));
	CHECK_EQ(keymat.n, crypto_encr_keymat_len(CRYPTO_ENCR_AES_GCM_16, bits));
	CHECK_OK(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, bits, CRYPTO_INTEG_NONE, keymat.b,
				 keymat.n, NULL, 0, &a));
	CHECK_EQ(crypto_aead_iv_len(a), iv.n);
	memcpy(buf, pt.b, pt.n);
	CHECK_OK(crypto_aead_seal(a, aad.b, aad.n, iv.b, buf, pt.n, icv));
	CHECK_MEM(buf, ct.b, ct.n);
	CHECK_MEM(icv, icv16.b, 16);
	/* the packet on the wire: SPI | Seq(low 32) | IV | ciphertext | ICV (RFC 4106 3) */
	CHECK_EQ(pkt.n, 8 + 8 + ct.n + 16);
	CHECK_MEM(pkt.b, spi.b, 4);
	CHECK_MEM(pkt.b + 8, iv.b, 8);
	CHECK_MEM(pkt.b + 16 + ct.n, icv, 16);
	CHECK_OK(crypto_aead_open(a, aad.b, aad.n, iv.b, buf, ct.n, icv));
	CHECK_MEM(buf, pt.b, pt.n);
	crypto_aead_free(a);
}

TEST(aes_gcm_esp_draft_mcgrew_vectors)
{
	struct json_object *root = vec_load("aes-gcm-esp-draft-mcgrew-gcm-test-01.json");
	struct json_object *arr = vec_get(root, "vectors");
	unsigned run = 0, skipped = 0;

	CHECK(arr != NULL);
	for (size_t i = 0; i < json_object_array_length(arr) && !test_failed_flag; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (vec_int(v, "aes_key_bits") == 192) { /* not offered (no AES-192 at AWS) */
			skipped++;
			continue;
		}
		gcm_case(v);
		run++;
	}
	CHECK_EQ(run, 13);
	CHECK_EQ(skipped, 1);
	json_object_put(root);
}

struct suite {
	uint16_t encr;
	unsigned bits;
	uint16_t integ;
	size_t iv_len, icv_len, block_len;
};

static const struct suite suites[] = {
    {CRYPTO_ENCR_AES_GCM_16, 128, CRYPTO_INTEG_NONE, 8, 16, 4},
    {CRYPTO_ENCR_AES_GCM_16, 256, CRYPTO_INTEG_NONE, 8, 16, 4},
    {CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96, 16, 12, 16},
    {CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA1_96, 16, 12, 16},
    {CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA2_256_128, 16, 16, 16},
    {CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_256_128, 16, 16, 16},
    {CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA2_384_192, 16, 24, 16},
    {CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_512_256, 16, 32, 16},
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static const uint8_t test_key[128] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
				      14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
				      27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
				      40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50};

static RESULT suite_new(const struct suite *s, struct crypto_aead **out)
{
	return crypto_aead_new(s->encr, s->bits, s->integ, test_key,
			       crypto_encr_keymat_len(s->encr, s->bits), test_key + 7,
			       crypto_integ_key_len(s->integ), out);
}

TEST(aead_sizes)
{
	struct crypto_aead *a = NULL;

	for (size_t i = 0; i < N_SUITES; i++) {
		CHECK_OK(suite_new(&suites[i], &a));
		CHECK_EQ(crypto_aead_iv_len(a), suites[i].iv_len);
		CHECK_EQ(crypto_aead_icv_len(a), suites[i].icv_len);
		CHECK_EQ(crypto_aead_block_len(a), suites[i].block_len);
		CHECK_EQ(crypto_aead_cipher_block_len(a),
			 suites[i].encr == CRYPTO_ENCR_AES_CBC ? 16 : 1);
		crypto_aead_free(a);
	}
	CHECK_EQ(crypto_encr_keymat_len(CRYPTO_ENCR_AES_CBC, 128), 16);
	CHECK_EQ(crypto_encr_keymat_len(CRYPTO_ENCR_AES_CBC, 256), 32);
	CHECK_EQ(crypto_encr_keymat_len(CRYPTO_ENCR_AES_GCM_16, 128), 20);
	CHECK_EQ(crypto_encr_keymat_len(CRYPTO_ENCR_AES_GCM_16, 256), 36);
	CHECK_EQ(crypto_encr_keymat_len(CRYPTO_ENCR_AES_CBC, 192), 0);
	CHECK_EQ(crypto_encr_keymat_len(3, 128), 0);
	CHECK_EQ(crypto_aead_iv_len(NULL), 0);
	CHECK_EQ(crypto_aead_icv_len(NULL), 0);
	CHECK_EQ(crypto_aead_block_len(NULL), 0);
	CHECK_EQ(crypto_aead_cipher_block_len(NULL), 0);
	crypto_aead_free(NULL);
}

/* Seal with one object, open with another built from the same keys, many lengths. */
TEST(aead_roundtrip_every_suite)
{
	uint8_t pt[1500], buf[1500], aad[12], iv[16], icv[CRYPTO_MAX_ICV_LEN];
	static const size_t lens[] = {0, 16, 32, 64, 512, 1392, 1488};

	CHECK_OK(secret_random(pt, sizeof(pt)));
	CHECK_OK(secret_random(aad, sizeof(aad)));
	for (size_t i = 0; i < N_SUITES && !test_failed_flag; i++) {
		struct crypto_aead *tx = NULL, *rx = NULL;

		CHECK_OK(suite_new(&suites[i], &tx));
		CHECK_OK(suite_new(&suites[i], &rx));
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			size_t n = lens[j];

			CHECK_OK(secret_random(iv, sizeof(iv)));
			memcpy(buf, pt, n);
			CHECK_OK(crypto_aead_seal(tx, aad, sizeof(aad), iv, buf, n, icv));
			CHECK(n == 0 || memcmp(buf, pt, n) != 0);
			CHECK_OK(crypto_aead_open(rx, aad, sizeof(aad), iv, buf, n, icv));
			CHECK_MEM(buf, pt, n);
		}
		crypto_aead_free(tx);
		crypto_aead_free(rx);
	}
}

/* GCM is a stream mode: any length goes (RFC 5282 IKE SK payloads need not be aligned). */
TEST(aead_gcm_any_length)
{
	struct crypto_aead *a = NULL;
	uint8_t pt[37], buf[37], iv[8] = {9}, icv[16];

	CHECK_OK(secret_random(pt, sizeof(pt)));
	CHECK_OK(suite_new(&suites[0], &a));
	for (size_t n = 1; n <= sizeof(pt); n += 3) {
		memcpy(buf, pt, n);
		CHECK_OK(crypto_aead_seal(a, NULL, 0, iv, buf, n, icv));
		CHECK_OK(crypto_aead_open(a, NULL, 0, iv, buf, n, icv));
		CHECK_MEM(buf, pt, n);
	}
	crypto_aead_free(a);
}

/* Any flipped bit of ICV, ciphertext, IV or AAD -> E_CRYPTO_AUTH, buffer unchanged. */
static void tamper_suite(const struct suite *s)
{
	struct crypto_aead *a = NULL;
	uint8_t ct[64], buf[64], aad[8] = {0, 0, 0x43, 0x21, 0, 0, 0, 1}, iv[16] = {7}, icv[32];
	size_t icv_len;

	CHECK_OK(suite_new(s, &a));
	icv_len = crypto_aead_icv_len(a);
	memset(ct, 0x5a, sizeof(ct));
	CHECK_OK(crypto_aead_seal(a, aad, sizeof(aad), iv, ct, sizeof(ct), icv));
	for (size_t bit = 0; bit < icv_len * 8; bit += 7) {
		icv[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memcpy(buf, ct, sizeof(ct));
		CHECK_ERR(crypto_aead_open(a, aad, sizeof(aad), iv, buf, sizeof(buf), icv),
			  E_CRYPTO_AUTH);
		CHECK_MEM(buf, ct, sizeof(ct));
		icv[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t byte = 0; byte < sizeof(ct); byte += 13) {
		memcpy(buf, ct, sizeof(ct));
		buf[byte] ^= 0x80;
		CHECK_ERR(crypto_aead_open(a, aad, sizeof(aad), iv, buf, sizeof(buf), icv),
			  E_CRYPTO_AUTH);
		CHECK(buf[byte] == (ct[byte] ^ 0x80));
		buf[byte] ^= 0x80;
		CHECK_MEM(buf, ct, sizeof(ct));
	}
	aad[7] ^= 1;
	CHECK_ERR(crypto_aead_open(a, aad, sizeof(aad), iv, buf, sizeof(buf), icv), E_CRYPTO_AUTH);
	CHECK_MEM(buf, ct, sizeof(ct));
	aad[7] ^= 1;
	iv[crypto_aead_iv_len(a) - 1] ^= 1;
	CHECK_ERR(crypto_aead_open(a, aad, sizeof(aad), iv, buf, sizeof(buf), icv), E_CRYPTO_AUTH);
	CHECK_MEM(buf, ct, sizeof(ct));
	iv[crypto_aead_iv_len(a) - 1] ^= 1;
	CHECK_ERR(crypto_aead_open(a, aad, 4, iv, buf, sizeof(buf), icv), E_CRYPTO_AUTH);
	/* a failed open leaves the object usable */
	CHECK_OK(crypto_aead_open(a, aad, sizeof(aad), iv, buf, sizeof(buf), icv));
	CHECK(buf[0] == 0x5a && buf[63] == 0x5a);
	crypto_aead_free(a);
}

TEST(aead_tampering_detected_buffer_unchanged)
{
	ERR_clear_error();
	for (size_t i = 0; i < N_SUITES && !test_failed_flag; i++)
		tamper_suite(&suites[i]);
	CHECK_EQ(ERR_peek_error(), 0); /* failures leave OpenSSL's error queue empty */
}

/* Keys from different material do not open each other's packets. */
TEST(aead_wrong_key_fails)
{
	struct crypto_aead *a = NULL, *b = NULL;
	uint8_t key2[36], buf[32] = {1}, iv[8] = {0}, icv[16];

	memcpy(key2, test_key, sizeof(key2));
	key2[0] ^= 1;
	CHECK_OK(suite_new(&suites[0], &a));
	CHECK_OK(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, key2, 20, NULL, 0, &b));
	CHECK_OK(crypto_aead_seal(a, NULL, 0, iv, buf, sizeof(buf), icv));
	CHECK_ERR(crypto_aead_open(b, NULL, 0, iv, buf, sizeof(buf), icv), E_CRYPTO_AUTH);
	crypto_aead_free(b);
	b = NULL;
	key2[0] ^= 1;
	key2[17] ^= 1; /* only the salt differs */
	CHECK_OK(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, key2, 20, NULL, 0, &b));
	CHECK_ERR(crypto_aead_open(b, NULL, 0, iv, buf, sizeof(buf), icv), E_CRYPTO_AUTH);
	crypto_aead_free(a);
	crypto_aead_free(b);
}

TEST(aead_new_rejects_bad_parameters)
{
	struct crypto_aead *a = (struct crypto_aead *)&a;
	const uint8_t *k = test_key;

	CHECK_ERR(crypto_aead_new(3, 128, 2, k, 16, k, 20, &a), E_UNSUPPORTED); /* 3DES */
	CHECK(a == NULL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 192, 2, k, 24, k, 20, &a), E_UNSUPPORTED);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 192, 0, k, 28, NULL, 0, &a),
		  E_UNSUPPORTED);
	CHECK_ERR(crypto_aead_new(19, 128, 0, k, 20, NULL, 0, &a), E_UNSUPPORTED); /* GCM-12 */
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 1, k, 16, k, 16, &a), E_UNSUPPORTED);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 2, k, 15, k, 20, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 2, k, 16, k, 19, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 0, k, 16, NULL, 0, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 2, NULL, 16, k, 20, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, 2, k, 16, NULL, 20, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, k, 16, NULL, 0, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 2, k, 20, k, 20, &a), E_INVAL);
	CHECK_ERR(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, k, 20, NULL, 0, NULL), E_INVAL);
	CHECK(a == NULL);
}

TEST(aead_seal_open_reject_bad_arguments)
{
	struct crypto_aead *a = NULL;
	uint8_t buf[32] = {0}, iv[16] = {0}, icv[32];

	CHECK_OK(suite_new(&suites[2], &a)); /* CBC */
	CHECK_ERR(crypto_aead_seal(a, NULL, 0, iv, buf, 15, icv), E_INVAL);
	CHECK_ERR(crypto_aead_open(a, NULL, 0, iv, buf, 17, icv), E_INVAL);
	CHECK_ERR(crypto_aead_seal(a, NULL, 1, iv, buf, 16, icv), E_INVAL);
	CHECK_ERR(crypto_aead_seal(a, NULL, 0, NULL, buf, 16, icv), E_INVAL);
	CHECK_ERR(crypto_aead_seal(a, NULL, 0, iv, NULL, 16, icv), E_INVAL);
	CHECK_ERR(crypto_aead_seal(a, NULL, 0, iv, buf, 16, NULL), E_INVAL);
	CHECK_ERR(crypto_aead_open(a, NULL, 0, iv, buf, 16, NULL), E_INVAL);
	CHECK_ERR(crypto_aead_seal(NULL, NULL, 0, iv, buf, 16, icv), E_INVAL);
	CHECK_OK(crypto_aead_seal(a, NULL, 0, iv, NULL, 0, icv));
	CHECK_OK(crypto_aead_open(a, NULL, 0, iv, NULL, 0, icv));
	crypto_aead_free(a);
}

/* Independent objects on different threads at once (the ESP worker model): each thread
 * checks every packet, so any shared state between objects would show as a failure. */
struct worker {
	const struct suite *s;
	unsigned failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct crypto_aead *tx = NULL, *rx = NULL;
	uint8_t pt[1392], buf[1392], iv[16] = {0}, icv[32]; /* CBC: whole blocks */

	if (suite_new(w->s, &tx) != E_OK || suite_new(w->s, &rx) != E_OK ||
	    secret_random(pt, sizeof(pt)) != E_OK) {
		w->failures++;
		goto out;
	}
	for (unsigned i = 0; i < 2000; i++) {
		iv[0] = (uint8_t)i;
		iv[1] = (uint8_t)(i >> 8);
		memcpy(buf, pt, sizeof(buf));
		if (crypto_aead_seal(tx, iv, 8, iv, buf, sizeof(buf), icv) != E_OK ||
		    crypto_aead_open(rx, iv, 8, iv, buf, sizeof(buf), icv) != E_OK ||
		    memcmp(buf, pt, sizeof(pt)) != 0)
			w->failures++;
	}
out:
	crypto_aead_free(tx);
	crypto_aead_free(rx);
	return NULL;
}

TEST(aead_objects_on_parallel_threads)
{
	pthread_t th[N_SUITES];
	struct worker w[N_SUITES];
	size_t started = 0;
	unsigned failures = 0;

	for (; started < N_SUITES; started++) {
		w[started] = (struct worker){.s = &suites[started]};
		if (pthread_create(&th[started], NULL, worker_run, &w[started]) != 0)
			break;
	}
	for (size_t i = 0; i < started; i++) { /* join all before any CHECK can return */
		failures += pthread_join(th[i], NULL) != 0;
		failures += w[i].failures;
	}
	CHECK_EQ(started, N_SUITES);
	CHECK_EQ(failures, 0);
}
