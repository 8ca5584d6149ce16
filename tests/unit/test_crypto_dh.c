/* Unit tests for src/crypto Diffie-Hellman: published KATs (RFC 5903, RFC 5114, strongSwan
 * MODP), the parameter tables, peer validation (RFC 6989) and a round trip for every group. */
#include "test.h"

#include <strings.h>

#include <openssl/err.h>

#include "crypto/crypto.h"
#include "crypto/dh_groups.h"
#include "test_crypto_vec.h"

static const uint16_t supported_groups[] = {2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
#define N_SUPPORTED (sizeof(supported_groups) / sizeof(supported_groups[0]))

/* One party of a KAT: private value priv gives public pub, and with peer gives shared. */
static void kat_party(uint16_t group, const struct vec_bytes *priv, const struct vec_bytes *pub,
		      const struct vec_bytes *peer, const struct vec_bytes *shared)
{
	struct crypto_dh *dh = NULL;
	uint8_t out[CRYPTO_MAX_DH_PUB_LEN];
	size_t len = 0;

	CHECK_OK(crypto_dh_new_private(group, priv->b, priv->n, &dh));
	CHECK_EQ(crypto_dh_group(dh), group);
	CHECK_OK(crypto_dh_public(dh, out, sizeof(out), &len));
	CHECK_EQ(len, pub->n);
	CHECK_EQ(len, crypto_dh_pub_len(group));
	CHECK_MEM(out, pub->b, len);
	memset(out, 0, sizeof(out));
	CHECK_OK(crypto_dh_shared(dh, peer->b, peer->n, out, sizeof(out), &len));
	CHECK_EQ(len, shared->n);
	CHECK_MEM(out, shared->b, len);
	crypto_dh_free(dh);
}

/* Runs both parties of every vector of a file: keys named priv/pub for A and B, and Z. */
static unsigned kat_file(const char *file, const char *xa, const char *ya, const char *xb,
			 const char *yb, const char *z, unsigned *unsupported)
{
	struct json_object *root = vec_load(file), *arr = vec_get(root, "vectors");
	struct vec_bytes a, pa, b, pb, s;
	unsigned done = 0;

	*unsupported = 0;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		uint16_t group = (uint16_t)vec_int(v, "dh_group");

		if (!vec_hex(v, xa, &a) || !vec_hex(v, ya, &pa) || !vec_hex(v, xb, &b) ||
		    !vec_hex(v, yb, &pb) || !vec_hex(v, z, &s))
			break;
		if (!crypto_dh_supported(group)) {
			(*unsupported)++;
			continue;
		}
		kat_party(group, &a, &pa, &pb, &s);
		if (test_failed_flag)
			break;
		kat_party(group, &b, &pb, &pa, &s);
		if (test_failed_flag)
			break;
		done++;
	}
	json_object_put(root);
	return done;
}

TEST(dh_unsupported_groups)
{
	static const uint16_t bad[] = {0, 1, 3, 4, 25, 26, 27, 31, 32, 0xffff};
	struct crypto_dh *dh = (struct crypto_dh *)&dh;
	uint8_t priv[32] = {1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!crypto_dh_supported(bad[i]));
		CHECK_EQ(crypto_dh_pub_len(bad[i]), 0);
		CHECK_ERR(crypto_dh_new(bad[i], &dh), E_UNSUPPORTED);
		CHECK(dh == NULL);
		CHECK_ERR(crypto_dh_new_private(bad[i], priv, sizeof(priv), &dh), E_UNSUPPORTED);
	}
	for (size_t i = 0; i < N_SUPPORTED; i++)
		CHECK(crypto_dh_supported(supported_groups[i]));
	CHECK_EQ(crypto_dh_group(NULL), 0);
	crypto_dh_free(NULL);
}

TEST(dh_pub_lengths)
{
	static const struct {
		uint16_t group;
		size_t len;
	} want[] = {{2, 128}, {5, 192}, {14, 256}, {15, 384}, {16, 512}, {17, 768}, {18, 1024},
		    {19, 64}, {20, 96}, {21, 132}, {22, 128}, {23, 256}, {24, 256}};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ(crypto_dh_pub_len(want[i].group), want[i].len);
}

/* The tables in dh_groups.c equal the published parameters. */
TEST(dh_modp_tables_match_vectors)
{
	static const char *const files[] = {"modp-groups-1-2-5-14-18.json",
					    "modp-rfc5114-groups22-24.json"};
	unsigned checked = 0;

	for (size_t f = 0; f < 2; f++) {
		struct json_object *root = vec_load(files[f]), *arr = vec_get(root, "vectors");

		CHECK(arr != NULL);
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *v = json_object_array_get_idx(arr, i);
			const struct crypto_dh_group *g =
			    crypto_dh_group_find((uint16_t)vec_int(v, "dh_group"));
			const char *q = vec_str(v, "q");

			if (vec_int(v, "dh_group") == 1) {
				CHECK(g == NULL); /* 768-bit group 1 is not offered */
				continue;
			}
			CHECK(g != NULL);
			CHECK(strcasecmp(g->p_hex, vec_str(v, "p")) == 0);
			CHECK(strcasecmp(g->g_hex, vec_str(v, "g")) == 0);
			CHECK(q ? g->q_hex && strcasecmp(g->q_hex, q) == 0 : g->q_hex == NULL);
			CHECK_EQ(g->pub_len * 2, strlen(vec_str(v, "p")));
			checked++;
		}
		json_object_put(root);
	}
	CHECK_EQ(checked, 10);
}

TEST(dh_modp_kat_groups_2_5_14_to_18)
{
	unsigned unsupported;

	CHECK_EQ(
	    kat_file("modp-groups-1-2-5-14-18.json", "xA", "yA", "xB", "yB", "Z", &unsupported), 7);
	CHECK_EQ(unsupported, 1); /* group 1 */
}

TEST(dh_modp_kat_rfc5114_groups_22_to_24)
{
	unsigned unsupported;

	CHECK_EQ(
	    kat_file("modp-rfc5114-groups22-24.json", "xA", "yA", "xB", "yB", "Z", &unsupported),
	    3);
	CHECK_EQ(unsupported, 0);
}

TEST(dh_ecp_kat_rfc5903)
{
	unsigned unsupported;
	struct json_object *root = vec_load("ecdh-rfc5903-groups19-21.json");
	struct json_object *arr = vec_get(root, "vectors");

	CHECK_EQ(kat_file("ecdh-rfc5903-groups19-21.json", "i",
			  "ke_payload_key_exchange_data_initiator", "r",
			  "ke_payload_key_exchange_data_responder", "shared_secret_g_ir",
			  &unsupported),
		 3);
	CHECK_EQ(unsupported, 0);
	/* the KE data is gix || giy: check the file's own split agrees with what we encode */
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		struct vec_bytes x, y, xy, ke, z;

		CHECK(vec_hex(v, "gix", &x) && vec_hex(v, "giy", &y) &&
		      vec_hex(v, "ke_payload_key_exchange_data_initiator", &ke) &&
		      vec_hex(v, "girx", &z));
		CHECK(vec_cat(&xy, &x, &y));
		CHECK_EQ(xy.n, ke.n);
		CHECK_MEM(xy.b, ke.b, ke.n);
		CHECK_EQ(z.n, ke.n / 2);
	}
	json_object_put(root);
}

TEST(dh_ecp_kat_rfc5114_appendix_a)
{
	unsigned unsupported;

	/* groups 19/20/21 are run; 25 and 26 (192/224-bit ECP) are not supported */
	CHECK_EQ(kat_file("ecdh-rfc5114-appendixA.json", "dA", "QA_x_y", "dB", "QB_x_y", "Z_x",
			  &unsupported),
		 3);
	CHECK_EQ(unsupported, 2);
	CHECK(!crypto_dh_supported(25));
	CHECK(!crypto_dh_supported(26));
}

static void roundtrip(uint16_t group)
{
	struct crypto_dh *a = NULL, *b = NULL;
	uint8_t pa[CRYPTO_MAX_DH_PUB_LEN], pb[CRYPTO_MAX_DH_PUB_LEN];
	uint8_t sa[CRYPTO_MAX_DH_SHARED_LEN], sb[CRYPTO_MAX_DH_SHARED_LEN];
	size_t la = 0, lb = 0, za = 0, zb = 0;

	CHECK_OK(crypto_dh_new(group, &a));
	CHECK_OK(crypto_dh_new(group, &b));
	CHECK_OK(crypto_dh_public(a, pa, sizeof(pa), &la));
	CHECK_OK(crypto_dh_public(b, pb, sizeof(pb), &lb));
	CHECK_EQ(la, crypto_dh_pub_len(group));
	CHECK_EQ(lb, la);
	CHECK(memcmp(pa, pb, la) != 0);
	CHECK_OK(crypto_dh_shared(a, pb, lb, sa, sizeof(sa), &za));
	CHECK_OK(crypto_dh_shared(b, pa, la, sb, sizeof(sb), &zb));
	CHECK_EQ(za, zb);
	CHECK_EQ(za, group >= 19 && group <= 21 ? la / 2 : la);
	CHECK_MEM(sa, sb, za);
	crypto_dh_free(a);
	crypto_dh_free(b);
}

TEST(dh_roundtrip_every_group)
{
	for (size_t i = 0; i < N_SUPPORTED && !test_failed_flag; i++)
		roundtrip(supported_groups[i]);
}

/* Two fresh keys of one group differ (the private value is random). */
TEST(dh_new_keys_differ)
{
	struct crypto_dh *a = NULL, *b = NULL;
	uint8_t pa[256], pb[256];
	size_t la, lb;

	CHECK_OK(crypto_dh_new(14, &a));
	CHECK_OK(crypto_dh_new(14, &b));
	CHECK_OK(crypto_dh_public(a, pa, sizeof(pa), &la));
	CHECK_OK(crypto_dh_public(b, pb, sizeof(pb), &lb));
	CHECK(memcmp(pa, pb, sizeof(pa)) != 0);
	crypto_dh_free(a);
	crypto_dh_free(b);
}

static void expect_bad_peer(struct crypto_dh *dh, const uint8_t *peer, size_t len)
{
	uint8_t out[CRYPTO_MAX_DH_SHARED_LEN];
	size_t n = 99;

	CHECK_ERR(crypto_dh_shared(dh, peer, len, out, sizeof(out), &n), E_CRYPTO_DH);
	CHECK_EQ(n, 0);
}

/* RFC 6989 2.1/2.2: 0, 1, p-1, p, > p and a wrong length are refused for every MODP group. */
static void modp_invalid(uint16_t group)
{
	const struct crypto_dh_group *g = crypto_dh_group_find(group);
	struct crypto_dh *dh = NULL;
	uint8_t v[CRYPTO_MAX_DH_PUB_LEN + 1];
	size_t n = g->pub_len, len;

	CHECK_OK(crypto_dh_new(group, &dh));
	memset(v, 0, sizeof(v));
	expect_bad_peer(dh, v, n); /* 0 */
	v[n - 1] = 1;
	expect_bad_peer(dh, v, n); /* 1 */
	CHECK_OK(hex_decode(g->p_hex, v, sizeof(v), &len));
	CHECK_EQ(len, n);
	expect_bad_peer(dh, v, n); /* p */
	v[n - 1]--;
	expect_bad_peer(dh, v, n); /* p - 1 */
	memset(v, 0xff, sizeof(v));
	expect_bad_peer(dh, v, n); /* > p */
	memset(v, 0, sizeof(v));
	v[n - 1] = 2;
	expect_bad_peer(dh, v, n - 1); /* short */
	expect_bad_peer(dh, v, n + 1); /* long */
	expect_bad_peer(dh, NULL, 0);
	crypto_dh_free(dh);
}

TEST(dh_modp_rejects_invalid_public_values)
{
	static const uint16_t modp[] = {2, 5, 14, 15, 16, 17, 18, 22, 23, 24};

	for (size_t i = 0; i < sizeof(modp) / sizeof(modp[0]) && !test_failed_flag; i++)
		modp_invalid(modp[i]);
}

/* RFC 6989 2.2: for 22-24 a value in range but outside the order-q subgroup is refused;
 * y = 2 is in range and (checked here) has y^q != 1; the same value is valid for group 14. */
TEST(dh_modp_subgroup_rejects_wrong_order)
{
	static const uint16_t sub[] = {22, 23, 24};
	uint8_t v[256], out[256];
	size_t n;
	struct crypto_dh *dh = NULL;

	for (size_t i = 0; i < 3; i++) {
		n = crypto_dh_pub_len(sub[i]);
		memset(v, 0, sizeof(v));
		v[n - 1] = 2;
		CHECK_OK(crypto_dh_new(sub[i], &dh));
		expect_bad_peer(dh, v, n);
		crypto_dh_free(dh);
		dh = NULL;
	}
	memset(v, 0, sizeof(v));
	v[255] = 2;
	CHECK_OK(crypto_dh_new(14, &dh));
	CHECK_OK(crypto_dh_shared(dh, v, 256, out, sizeof(out), &n));
	CHECK_EQ(n, 256);
	crypto_dh_free(dh);
}

static void ecp_invalid(uint16_t group)
{
	const struct crypto_dh_group *g = crypto_dh_group_find(group);
	struct crypto_dh *dh = NULL, *peer = NULL;
	uint8_t v[CRYPTO_MAX_DH_PUB_LEN + 1], out[CRYPTO_MAX_DH_SHARED_LEN];
	size_t n = g->pub_len, len;

	CHECK_OK(crypto_dh_new(group, &dh));
	CHECK_OK(crypto_dh_new(group, &peer));
	CHECK_OK(crypto_dh_public(peer, v, sizeof(v), &len));
	CHECK_OK(crypto_dh_shared(dh, v, n, out, sizeof(out), &len)); /* valid as is */
	v[n - 1] ^= 1;
	expect_bad_peer(dh, v, n); /* y changed: off the curve */
	v[n - 1] ^= 1;
	expect_bad_peer(dh, v, n - 1);
	expect_bad_peer(dh, v, n + 1);
	memset(v, 0, sizeof(v));
	expect_bad_peer(dh, v, n); /* (0, 0) */
	memset(v, 0xff, sizeof(v));
	expect_bad_peer(dh, v, n); /* coordinates >= the field prime */
	crypto_dh_free(dh);
	crypto_dh_free(peer);
}

TEST(dh_ecp_rejects_invalid_points)
{
	for (uint16_t group = 19; group <= 21 && !test_failed_flag; group++)
		ecp_invalid(group);
}

/* x + p for a valid x (the field prime of P-256 leaves room below 2^256 only for small x):
 * the RFC 5903 point with x replaced by x + p must be refused, not reduced. P-521 has room
 * for every x, so it is tested there. */
TEST(dh_ecp_rejects_unreduced_coordinate)
{
	struct json_object *root = vec_load("ecdh-rfc5903-groups19-21.json");
	struct json_object *v = json_object_array_get_idx(vec_get(root, "vectors"), 2);
	struct crypto_dh *dh = NULL;
	struct vec_bytes ke;
	uint8_t out[66];
	size_t len;
	unsigned carry = 0;
	/* P-521 prime 2^521 - 1: 0x01ff ff..ff in 66 octets */
	uint8_t p521[66];

	CHECK(v != NULL);
	CHECK_EQ(vec_int(v, "dh_group"), 21);
	CHECK(vec_hex(v, "ke_payload_key_exchange_data_responder", &ke));
	memset(p521, 0xff, sizeof(p521));
	p521[0] = 0x01;
	CHECK_OK(crypto_dh_new(21, &dh));
	CHECK_OK(crypto_dh_shared(dh, ke.b, ke.n, out, sizeof(out), &len));
	for (int i = 65; i >= 0; i--) { /* x += p on the first coordinate */
		unsigned s = ke.b[i] + p521[i] + carry;

		ke.b[i] = (uint8_t)s;
		carry = s >> 8;
	}
	CHECK_EQ(carry, 0);
	expect_bad_peer(dh, ke.b, ke.n);
	crypto_dh_free(dh);
	json_object_put(root);
}

TEST(dh_bad_arguments)
{
	struct crypto_dh *dh = NULL;
	uint8_t buf[256], zero[32] = {0}, big[32];
	size_t len;

	CHECK_ERR(crypto_dh_new(14, NULL), E_INVAL);
	CHECK_ERR(crypto_dh_new_private(14, NULL, 0, &dh), E_INVAL);
	CHECK_ERR(crypto_dh_new_private(14, zero, sizeof(zero), &dh), E_INVAL);
	CHECK_ERR(crypto_dh_new_private(19, zero, sizeof(zero), &dh), E_INVAL);
	memset(big, 0xff, sizeof(big)); /* above the P-256 group order */
	CHECK_ERR(crypto_dh_new_private(19, big, sizeof(big), &dh), E_INVAL);
	CHECK(dh == NULL);
	CHECK_OK(crypto_dh_new(14, &dh));
	CHECK_ERR(crypto_dh_public(dh, buf, 255, &len), E_INVAL);
	CHECK_ERR(crypto_dh_public(NULL, buf, sizeof(buf), &len), E_INVAL);
	CHECK_OK(crypto_dh_public(dh, buf, sizeof(buf), &len));
	CHECK_ERR(crypto_dh_shared(dh, buf, len, buf, 255, &len), E_INVAL);
	crypto_dh_free(dh);
}

/* Constructed KATs (private values searched for and results computed here with Python big
 * integers / affine P-256 arithmetic): A's public value and g^ab both start with a 0x00 octet,
 * so the left padding of RFC 7296 3.4 / RFC 5903 7 is exercised (without it ~1/256 of
 * exchanges would fail). Z for group 2 even starts with two zero octets. */
static const struct {
	uint16_t group;
	const char *a, *b, *z;
} leading_zero[] = {
    {2, "352e01e9367f4c56bcfaac05bcbe06f48aa3f960d31db2933786001610be1f97",
     "e148ebb7407e8660dd126e9a21648f14375634c70c5cfcf87ec829cf75141727",
     "0000901e3e94964c1bd18fcc06f60cdec0beedb2c98a40e855f2f672ade39dc78375b6488073c36e"
     "176ae1583cf239601d53279b7f2c8748c544f8e6bda02209c6e961dc017abe4b4a9187adc2abbd81"
     "9c4467d74de9386d265fc1cb5f2db9d8009f8e6aca7ed3682ac064e1b5d4d40ce8a91676c9b1383e"
     "d8bb3997a927f588"},
    {22, "b5b8241a8bc43bfd22cb668e61820c76459ac94f", "60769401f04bba45db5246ea22e1da0a8c9d6925",
     "006523ad2b9ae6f43541b1d36e46b759a0e5cb187d5f8f7f5f97dadac0e0cd1e2dd0402a39ff1450"
     "68ac48e092f4450c5186c1ab66e21506607c52c94716006d27c922f0487c6fdfb95e164ea371d3be"
     "a63e812349baa0c53de22a7df9d4bbdbce943e1c973c9f792b08c5fc24ffa1e880349c48b482b5be"
     "639577b0ae2e1171"},
    {19, "a828e3986d413cfcb33a6aef2c871657717ec5976dfd2ec647f2482682e1a4ad",
     "6ed4158eda72c74dfb3b44caf1e08f1e5b3a7d5320df57d5298de6a4fa9ead34",
     "00de7a14aed8d0356b1908735a45abe1a46cdd2ab7482aa9abac9c763eef0094"},
};

static void leading_zero_case(uint16_t group, const char *ahex, const char *bhex, const char *zhex)
{
	struct vec_bytes a, b, z;
	struct crypto_dh *da = NULL, *db = NULL;
	uint8_t pa[CRYPTO_MAX_DH_PUB_LEN], pb[CRYPTO_MAX_DH_PUB_LEN];
	uint8_t sa[CRYPTO_MAX_DH_SHARED_LEN], sb[CRYPTO_MAX_DH_SHARED_LEN];
	size_t la, lb, za, zb;

	CHECK_OK(hex_decode(ahex, a.b, sizeof(a.b), &a.n));
	CHECK_OK(hex_decode(bhex, b.b, sizeof(b.b), &b.n));
	CHECK_OK(hex_decode(zhex, z.b, sizeof(z.b), &z.n));
	CHECK_OK(crypto_dh_new_private(group, a.b, a.n, &da));
	CHECK_OK(crypto_dh_new_private(group, b.b, b.n, &db));
	CHECK_OK(crypto_dh_public(da, pa, sizeof(pa), &la));
	CHECK_OK(crypto_dh_public(db, pb, sizeof(pb), &lb));
	CHECK_EQ(la, crypto_dh_pub_len(group));
	CHECK_EQ(pa[0], 0);
	CHECK_OK(crypto_dh_shared(da, pb, lb, sa, sizeof(sa), &za));
	CHECK_OK(crypto_dh_shared(db, pa, la, sb, sizeof(sb), &zb));
	CHECK_EQ(za, z.n);
	CHECK_EQ(zb, z.n);
	CHECK_MEM(sa, z.b, z.n);
	CHECK_MEM(sb, z.b, z.n);
	crypto_dh_free(da);
	crypto_dh_free(db);
}

TEST(dh_left_pads_public_and_shared)
{
	for (size_t i = 0; i < sizeof(leading_zero) / sizeof(leading_zero[0]); i++)
		leading_zero_case(leading_zero[i].group, leading_zero[i].a, leading_zero[i].b,
				  leading_zero[i].z);
}

/* A refused peer value leaves no entry in OpenSSL's per-thread error queue (a stale entry
 * would make a later libssl call on the same thread fail). */
TEST(dh_failures_leave_openssl_error_queue_empty)
{
	struct crypto_dh *ec = NULL, *modp = NULL;
	uint8_t v[256], out[256];
	size_t len;

	ERR_clear_error();
	CHECK_OK(crypto_dh_new(19, &ec));
	CHECK_OK(crypto_dh_new(22, &modp));
	memset(v, 0xff, sizeof(v));
	CHECK_ERR(crypto_dh_shared(ec, v, 64, out, sizeof(out), &len), E_CRYPTO_DH);
	CHECK_EQ(ERR_peek_error(), 0);
	memset(v, 0, sizeof(v));
	v[10] = 1; /* in range, not on the curve */
	CHECK_ERR(crypto_dh_shared(ec, v, 64, out, sizeof(out), &len), E_CRYPTO_DH);
	CHECK_EQ(ERR_peek_error(), 0);
	v[127] = 2; /* wrong order for group 22 */
	CHECK_ERR(crypto_dh_shared(modp, v, 128, out, sizeof(out), &len), E_CRYPTO_DH);
	CHECK_EQ(ERR_peek_error(), 0);
	crypto_dh_free(ec);
	crypto_dh_free(modp);
}
