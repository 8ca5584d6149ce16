/* Unit tests for src/crypto PRFs, prf+, integrity and SHA-1: RFC 2202/2404, RFC 4868 and the
 * IKEv2 KDF vectors (NIST CAVP via libreswan, SP 800-135 SHA-2 cases via strongSwan). */
#include "test.h"

#include "crypto/crypto.h"
#include "test_crypto_vec.h"

static uint16_t prf_by_hash(const char *hash)
{
	if (!strcmp(hash, "SHA-1"))
		return CRYPTO_PRF_HMAC_SHA1;
	if (!strcmp(hash, "SHA-256") || !strcmp(hash, "PRF_HMAC_SHA2_256"))
		return CRYPTO_PRF_HMAC_SHA2_256;
	if (!strcmp(hash, "SHA-384") || !strcmp(hash, "PRF_HMAC_SHA2_384"))
		return CRYPTO_PRF_HMAC_SHA2_384;
	if (!strcmp(hash, "SHA-512") || !strcmp(hash, "PRF_HMAC_SHA2_512"))
		return CRYPTO_PRF_HMAC_SHA2_512;
	return 0;
}

static uint16_t integ_by_hash(const char *hash)
{
	if (!strcmp(hash, "SHA-256"))
		return CRYPTO_INTEG_HMAC_SHA2_256_128;
	if (!strcmp(hash, "SHA-384"))
		return CRYPTO_INTEG_HMAC_SHA2_384_192;
	if (!strcmp(hash, "SHA-512"))
		return CRYPTO_INTEG_HMAC_SHA2_512_256;
	return 0;
}

TEST(prf_and_integ_sizes)
{
	CHECK_EQ(crypto_prf_len(CRYPTO_PRF_HMAC_SHA1), 20);
	CHECK_EQ(crypto_prf_len(CRYPTO_PRF_HMAC_SHA2_256), 32);
	CHECK_EQ(crypto_prf_len(CRYPTO_PRF_HMAC_SHA2_384), 48);
	CHECK_EQ(crypto_prf_len(CRYPTO_PRF_HMAC_SHA2_512), 64);
	CHECK_EQ(crypto_integ_key_len(CRYPTO_INTEG_HMAC_SHA1_96), 20);
	CHECK_EQ(crypto_integ_icv_len(CRYPTO_INTEG_HMAC_SHA1_96), 12);
	CHECK_EQ(crypto_integ_key_len(CRYPTO_INTEG_HMAC_SHA2_256_128), 32);
	CHECK_EQ(crypto_integ_icv_len(CRYPTO_INTEG_HMAC_SHA2_256_128), 16);
	CHECK_EQ(crypto_integ_key_len(CRYPTO_INTEG_HMAC_SHA2_384_192), 48);
	CHECK_EQ(crypto_integ_icv_len(CRYPTO_INTEG_HMAC_SHA2_384_192), 24);
	CHECK_EQ(crypto_integ_key_len(CRYPTO_INTEG_HMAC_SHA2_512_256), 64);
	CHECK_EQ(crypto_integ_icv_len(CRYPTO_INTEG_HMAC_SHA2_512_256), 32);
}

TEST(prf_and_integ_unsupported_ids)
{
	/* PRF_HMAC_MD5 (1), PRF_AES128_XCBC (4); AUTH_HMAC_MD5_96 (1), AUTH_AES_XCBC_96 (5) */
	static const uint16_t bad_prf[] = {0, 1, 3, 4, 8, 0xffff};
	static const uint16_t bad_integ[] = {0, 1, 3, 5, 11, 15, 0xffff};
	uint8_t out[CRYPTO_MAX_PRF_LEN], key[64] = {0};

	for (size_t i = 0; i < sizeof(bad_prf) / sizeof(bad_prf[0]); i++) {
		CHECK(!crypto_prf_supported(bad_prf[i]));
		CHECK_EQ(crypto_prf_len(bad_prf[i]), 0);
		CHECK_ERR(crypto_prf(bad_prf[i], key, 20, key, 1, out), E_UNSUPPORTED);
		CHECK_ERR(crypto_prf_plus(bad_prf[i], key, 20, key, 1, out, 20), E_UNSUPPORTED);
	}
	for (size_t i = 0; i < sizeof(bad_integ) / sizeof(bad_integ[0]); i++) {
		CHECK(!crypto_integ_supported(bad_integ[i]));
		CHECK_EQ(crypto_integ_key_len(bad_integ[i]), 0);
		CHECK_EQ(crypto_integ_icv_len(bad_integ[i]), 0);
		CHECK_ERR(crypto_integ(bad_integ[i], key, 20, key, 1, out), E_UNSUPPORTED);
	}
}

/* RFC 2404 3 = RFC 2202 3: HMAC-SHA-1 through the PRF and HMAC-SHA-1-96 through integ. */
TEST(hmac_sha1_rfc2202_rfc2404)
{
	struct json_object *root = vec_load("hmac-sha1-96-rfc2404.json");
	struct json_object *arr = vec_get(root, "vectors");
	uint8_t out[CRYPTO_MAX_PRF_LEN];
	size_t i;

	CHECK(arr != NULL);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		struct vec_bytes key, data, full, icv;

		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "data", &data) &&
		      vec_hex(v, "hmac_sha1", &full) && vec_hex(v, "hmac_sha1_96", &icv));
		CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA1, key.b, key.n, data.b, data.n, out));
		CHECK_EQ(full.n, 20);
		CHECK_MEM(out, full.b, 20);
		memset(out, 0, sizeof(out));
		CHECK_OK(
		    crypto_integ(CRYPTO_INTEG_HMAC_SHA1_96, key.b, key.n, data.b, data.n, out));
		CHECK_EQ(icv.n, 12);
		CHECK_MEM(out, icv.b, 12);
		CHECK_EQ(out[12], 0); /* exactly the ICV length is written */
	}
	CHECK_EQ(i, 7);
	json_object_put(root);
}

/* RFC 4868 2.7.1: PRF-1..6 for SHA-256/384/512. */
TEST(hmac_sha2_prf_rfc4868)
{
	struct json_object *root = vec_load("hmac-sha2-rfc4868.json");
	struct json_object *arr = vec_get(root, "prf_vectors");
	uint8_t out[CRYPTO_MAX_PRF_LEN];
	size_t i;

	CHECK(arr != NULL);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		uint16_t prf = prf_by_hash(vec_str(v, "hash"));
		struct vec_bytes key, data, want;

		CHECK(prf != 0);
		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "data", &data) &&
		      vec_hex(v, "prf_output", &want));
		CHECK_EQ(want.n, crypto_prf_len(prf));
		CHECK_OK(crypto_prf(prf, key.b, key.n, data.b, data.n, out));
		CHECK_MEM(out, want.b, want.n);
	}
	CHECK_EQ(i, 18);
	json_object_put(root);
}

/* RFC 4868 2.7.2: AUTH256/384/512-1..4, truncated ICVs. */
TEST(hmac_sha2_auth_rfc4868)
{
	struct json_object *root = vec_load("hmac-sha2-rfc4868.json");
	struct json_object *arr = vec_get(root, "auth_vectors");
	uint8_t out[CRYPTO_MAX_PRF_LEN];
	size_t i;

	CHECK(arr != NULL);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		uint16_t integ = integ_by_hash(vec_str(v, "hash"));
		struct vec_bytes key, data, icv;

		CHECK(integ != 0);
		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "data", &data) &&
		      vec_hex(v, "truncated_icv", &icv));
		CHECK_EQ(key.n, crypto_integ_key_len(integ));
		CHECK_EQ(icv.n, crypto_integ_icv_len(integ));
		CHECK_EQ(vec_int(v, "icv_len"), icv.n);
		CHECK_OK(crypto_integ(integ, key.b, key.n, data.b, data.n, out));
		CHECK_MEM(out, icv.b, icv.n);
	}
	CHECK_EQ(i, 12);
	json_object_put(root);
}

/* NIST CAVP IKEv2 KDF tcId 100 (SHA-1): RFC 7296 2.14, 2.17, 2.18. */
TEST(ikev2_kdf_cavp_sha1)
{
	struct json_object *root = vec_load("ikev2-kdf.json");
	struct json_object *c = vec_get(root, "cavp_sha1_case");
	struct vec_bytes ni, nr, gir, girn, spii, spir, skeyseed, dkm, child, child_dh, rekey, skd;
	struct vec_bytes nonces, seed, s2;
	uint8_t out[512];

	CHECK(c != NULL);
	CHECK(vec_hex(c, "Ni", &ni) && vec_hex(c, "Nr", &nr) && vec_hex(c, "g_ir", &gir) &&
	      vec_hex(c, "g_ir_new", &girn) && vec_hex(c, "SPIi", &spii) &&
	      vec_hex(c, "SPIr", &spir) && vec_hex(c, "SKEYSEED", &skeyseed) &&
	      vec_hex(c, "DKM", &dkm) && vec_hex(c, "DKM_child", &child) &&
	      vec_hex(c, "DKM_child_dh", &child_dh) && vec_hex(c, "SKEYSEED_rekey", &rekey) &&
	      vec_hex(c, "SK_d_used_for_child_and_rekey", &skd));
	CHECK_EQ(dkm.n * 8, vec_int(c, "DKM_len_bits"));
	CHECK(vec_cat(&nonces, &ni, &nr));

	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA1, nonces.b, nonces.n, gir.b, gir.n, out));
	CHECK_MEM(out, skeyseed.b, 20);

	/* {SK_d | ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	CHECK(vec_cat(&seed, &nonces, &spii) && vec_cat(&seed, &seed, &spir));
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA1, skeyseed.b, skeyseed.n, seed.b, seed.n, out,
				 dkm.n));
	CHECK_MEM(out, dkm.b, dkm.n);
	CHECK_MEM(out, skd.b, 20); /* SK_d is the first prf-length octets */

	/* Child KEYMAT = prf+(SK_d, Ni | Nr), with PFS prf+(SK_d, g^ir(new) | Ni | Nr) */
	CHECK_OK(
	    crypto_prf_plus(CRYPTO_PRF_HMAC_SHA1, skd.b, skd.n, nonces.b, nonces.n, out, child.n));
	CHECK_MEM(out, child.b, child.n);
	CHECK(vec_cat(&s2, &girn, &nonces));
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA1, skd.b, skd.n, s2.b, s2.n, out, child_dh.n));
	CHECK_MEM(out, child_dh.b, child_dh.n);

	/* rekey SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr) */
	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA1, skd.b, skd.n, s2.b, s2.n, out));
	CHECK_MEM(out, rekey.b, 20);
	json_object_put(root);
}

/* SP 800-135 SHA-2 cases: SKEYSEED and prf+ with minimum and maximum nonce sizes. */
TEST(ikev2_kdf_sha2_cases)
{
	struct json_object *root = vec_load("ikev2-kdf.json");
	struct json_object *arr = vec_get(root, "strongswan_cavp_sha2_cases");
	uint8_t out[1024];
	unsigned skeyseed = 0, plus = 0;

	CHECK(arr != NULL);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		uint16_t prf = prf_by_hash(vec_str(v, "prf"));
		const char *fn = vec_str(v, "function");
		struct vec_bytes key, salt, want;

		CHECK(prf != 0 && fn != NULL);
		CHECK(vec_hex(v, "key", &key) && vec_hex(v, "salt", &salt) &&
		      vec_hex(v, "out", &want));
		CHECK_EQ(want.n, vec_int(v, "out_len"));
		if (!strcmp(fn, "SKEYSEED")) { /* prf(Ni | Nr, g^ir): the salt keys the PRF */
			CHECK_OK(crypto_prf(prf, salt.b, salt.n, key.b, key.n, out));
			CHECK_EQ(want.n, crypto_prf_len(prf));
			skeyseed++;
		} else {
			CHECK(!strcmp(fn, "prf+"));
			CHECK_OK(crypto_prf_plus(prf, key.b, key.n, salt.b, salt.n, out, want.n));
			plus++;
		}
		CHECK_MEM(out, want.b, want.n);
	}
	CHECK_EQ(skeyseed, 6);
	CHECK_EQ(plus, 7);
	json_object_put(root);
}

/* prf+ against its definition built from crypto_prf: T1 = prf(K, S | 0x01),
 * T2 = prf(K, T1 | S | 0x02); and the 255-block limit of RFC 7296 2.13. */
TEST(prf_plus_definition_and_limits)
{
	static const uint8_t key[] = "key", seed[] = "seed";
	uint8_t buf[80], t1[64], t2[64], plus[96];
	static uint8_t big[255 * 64 + 1];

	memcpy(buf, seed, 4);
	buf[4] = 1;
	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA2_512, key, 3, buf, 5, t1));
	memcpy(buf, t1, 64);
	memcpy(buf + 64, seed, 4);
	buf[68] = 2;
	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA2_512, key, 3, buf, 69, t2));
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_512, key, 3, seed, 4, plus, 96));
	CHECK_MEM(plus, t1, 64);
	CHECK_MEM(plus + 64, t2, 32);

	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_512, key, 3, seed, 4, big, 255 * 64));
	CHECK_MEM(big, t1, 64);
	CHECK_ERR(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_512, key, 3, seed, 4, big, 255 * 64 + 1),
		  E_INVAL);
	CHECK_ERR(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA1, key, 3, seed, 4, big, 255 * 20 + 1),
		  E_INVAL);
}

/* Empty inputs are valid HMAC inputs; NULL with a length is not. RFC 4231 has no empty case,
 * so compare against the definition: HMAC with an empty key equals HMAC with a zero key
 * (both are zero-padded to the block). */
TEST(prf_empty_and_null_arguments)
{
	static const uint8_t zero_key[20];
	uint8_t a[64], b[64];

	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, NULL, 0, NULL, 0, a));
	CHECK_OK(crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, zero_key, sizeof(zero_key), NULL, 0, b));
	CHECK_MEM(a, b, 32);
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_256, NULL, 0, NULL, 0, a, 40));
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_256, zero_key, 20, NULL, 0, b, 40));
	CHECK_MEM(a, b, 40);
	CHECK_OK(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_256, zero_key, 20, NULL, 0, NULL, 0));
	CHECK_ERR(crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, NULL, 1, NULL, 0, a), E_INVAL);
	CHECK_ERR(crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, zero_key, 20, NULL, 1, a), E_INVAL);
	CHECK_ERR(crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, zero_key, 20, NULL, 0, NULL), E_INVAL);
	CHECK_ERR(crypto_prf_plus(CRYPTO_PRF_HMAC_SHA2_256, zero_key, 20, NULL, 0, NULL, 1),
		  E_INVAL);
	CHECK_ERR(crypto_integ(CRYPTO_INTEG_HMAC_SHA1_96, zero_key, 20, NULL, 0, NULL), E_INVAL);
	CHECK_OK(crypto_integ(CRYPTO_INTEG_HMAC_SHA1_96, zero_key, 20, NULL, 0, a));
}

/* FIPS 180-2 appendix A.1 and the empty message. */
TEST(sha1_known_answers)
{
	struct vec_bytes want;
	uint8_t out[20];

	CHECK_OK(crypto_sha1((const uint8_t *)"abc", 3, out));
	CHECK_OK(hex_decode("a9993e364706816aba3e25717850c26c9cd0d89d", want.b, sizeof(want.b),
			    &want.n));
	CHECK_MEM(out, want.b, 20);
	CHECK_OK(crypto_sha1(NULL, 0, out));
	CHECK_OK(hex_decode("da39a3ee5e6b4b0d3255bfef95601890afd80709", want.b, sizeof(want.b),
			    &want.n));
	CHECK_MEM(out, want.b, 20);
	CHECK_ERR(crypto_sha1(NULL, 1, out), E_INVAL);
}
