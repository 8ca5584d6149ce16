/*
 * dh.c - Diffie-Hellman for the IKE KE payload (RFC 7296 3.4) over OpenSSL 3 EVP_PKEY.
 *
 * MODP groups are built from the p/g(/q) of dh_groups.c with EVP_PKEY_fromdata; ECP groups are
 * OpenSSL's named NIST curves. Encodings (RFC 7296 3.4, RFC 5903 7):
 *   MODP public  = g^x left-padded to |p|          shared = g^xy left-padded to |p|
 *   ECP public   = x || y, each |field|, no 0x04  shared = x only
 * Peer values are validated before use (RFC 6989): 1 < y < p-1 for every MODP group,
 * additionally y^q = 1 mod p for the RFC 5114 groups; for ECP the point must decode on the
 * curve (which also rejects coordinates >= the field prime and the point at infinity).
 */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/dh_groups.h"
#include "crypto/ossl.h"
#include "lib/secret.h"

struct crypto_dh {
	const struct crypto_dh_group *grp;
	EVP_PKEY *key;
	size_t pub_len;
	uint8_t pub[CRYPTO_MAX_DH_PUB_LEN];
};

bool crypto_dh_supported(uint16_t group)
{
	return crypto_dh_group_find(group) != NULL;
}

size_t crypto_dh_pub_len(uint16_t group)
{
	const struct crypto_dh_group *grp = crypto_dh_group_find(group);

	return grp ? grp->pub_len : 0;
}

uint16_t crypto_dh_group(const struct crypto_dh *dh)
{
	return dh ? dh->grp->id : 0;
}

void crypto_dh_free(struct crypto_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key); /* OpenSSL clears private BIGNUMs on free */
	secret_wipe(dh, sizeof(*dh));
	free(dh);
}

/* --- MODP ----------------------------------------------------------------------------------- */

struct dh_modp_params {
	BIGNUM *p, *g, *q;
};

static void dh_modp_params_fini(struct dh_modp_params *mp)
{
	BN_free(mp->p);
	BN_free(mp->g);
	BN_free(mp->q);
}

static RESULT dh_modp_params_init(const struct crypto_dh_group *grp, struct dh_modp_params *mp)
{
	memset(mp, 0, sizeof(*mp));
	if (!BN_hex2bn(&mp->p, grp->p_hex) || !BN_hex2bn(&mp->g, grp->g_hex) ||
	    (grp->q_hex && !BN_hex2bn(&mp->q, grp->q_hex))) {
		dh_modp_params_fini(mp);
		return E_CRYPTO;
	}
	return E_OK;
}

/* An EVP_PKEY of the group with optional public and private values (NULL for none). */
static RESULT dh_modp_pkey(const struct dh_modp_params *mp, const BIGNUM *pub, const BIGNUM *priv,
			   EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	int selection =
	    priv ? EVP_PKEY_KEYPAIR : (pub ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEY_PARAMETERS);
	result_t rc = E_CRYPTO;

	*out = NULL;
	if (!bld || !ctx || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, mp->p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, mp->g))
		goto out;
	if (mp->q && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, mp->q))
		goto out;
	if (pub && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub))
		goto out;
	if (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, selection, params) <= 0)
		goto out;
	rc = E_OK;
out:
	OSSL_PARAM_free(params); /* holds the private value when given */
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static RESULT dh_keygen_from(EVP_PKEY *params, unsigned priv_bits, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
	int bits = (int)priv_bits;
	OSSL_PARAM p[2] = {OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits),
			   OSSL_PARAM_construct_end()};
	result_t rc = E_CRYPTO;

	*out = NULL;
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
	    (!bits || EVP_PKEY_CTX_set_params(ctx, p) > 0) && EVP_PKEY_keygen(ctx, out) > 0)
		rc = E_OK;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Key pair from a random private value (priv == NULL) or from the given one. The random
 * exponent has grp->priv_bits bits where set (the keygen parameter; OpenSSL would otherwise
 * use its own default for the groups it recognises and the full |p| for group 2), else
 * OpenSSL's choice within [1, q-1] for the RFC 5114 groups. */
static RESULT dh_modp_key(const struct crypto_dh_group *grp, const BIGNUM *priv, EVP_PKEY **out)
{
	struct dh_modp_params mp;
	EVP_PKEY *params = NULL;
	BIGNUM *pub = NULL;
	BN_CTX *bn = NULL;
	result_t rc = E_CRYPTO;

	GUARD(dh_modp_params_init(grp, &mp));
	if (!priv) {
		GUARD_OUT(rc, dh_modp_pkey(&mp, NULL, NULL, &params));
		GUARD_OUT(rc, dh_keygen_from(params, grp->priv_bits, out));
		goto out;
	}
	rc = E_INVAL; /* RFC 7296 3.4 leaves the value to us, but 0 < x < p is needed */
	if (BN_is_zero(priv) || BN_cmp(priv, mp.p) >= 0)
		goto out;
	rc = E_CRYPTO;
	bn = BN_CTX_new();
	pub = BN_new();
	if (!bn || !pub || !BN_mod_exp_mont_consttime(pub, mp.g, priv, mp.p, bn, NULL))
		goto out;
	GUARD_OUT(rc, dh_modp_pkey(&mp, pub, priv, out));
out:
	EVP_PKEY_free(params);
	BN_free(pub);
	BN_CTX_free(bn);
	dh_modp_params_fini(&mp);
	return rc;
}

static RESULT dh_modp_export(struct crypto_dh *dh)
{
	BIGNUM *pub = NULL;
	result_t rc = E_CRYPTO;

	if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &pub) > 0 &&
	    BN_bn2binpad(pub, dh->pub, (int)dh->grp->pub_len) == (int)dh->grp->pub_len)
		rc = E_OK;
	BN_free(pub);
	return rc;
}

/* RFC 6989 2.1/2.2: 1 < y < p-1, and y^q = 1 mod p for the prime-order-subgroup groups. */
static RESULT dh_modp_check_peer(const struct dh_modp_params *mp, const BIGNUM *y)
{
	BIGNUM *pm1 = BN_dup(mp->p), *t = BN_new();
	BN_CTX *bn = BN_CTX_new();
	result_t rc = E_CRYPTO;

	if (!pm1 || !t || !bn || !BN_sub_word(pm1, 1))
		goto out;
	rc = E_CRYPTO_DH;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0)
		goto out;
	if (mp->q) {
		rc = E_CRYPTO;
		if (!BN_mod_exp(t, y, mp->q, mp->p, bn))
			goto out;
		rc = E_CRYPTO_DH;
		if (!BN_is_one(t))
			goto out;
	}
	rc = E_OK;
out:
	BN_free(pm1);
	BN_free(t);
	BN_CTX_free(bn);
	return rc;
}

static RESULT dh_modp_peer(const struct crypto_dh *dh, const uint8_t *peer, EVP_PKEY **out)
{
	struct dh_modp_params mp;
	BIGNUM *y = NULL;
	result_t rc = E_CRYPTO;

	GUARD(dh_modp_params_init(dh->grp, &mp));
	y = BN_bin2bn(peer, (int)dh->grp->pub_len, NULL);
	if (!y)
		goto out;
	GUARD_OUT(rc, dh_modp_check_peer(&mp, y));
	GUARD_OUT(rc, dh_modp_pkey(&mp, y, NULL, out));
out:
	BN_free(y);
	dh_modp_params_fini(&mp);
	return rc;
}

/* --- ECP ------------------------------------------------------------------------------------ */

static RESULT dh_ecp_pkey(const struct crypto_dh_group *grp, const uint8_t *point, size_t len,
			  const BIGNUM *priv, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int selection = priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
	result_t rc = E_CRYPTO;

	*out = NULL;
	if (!bld || !ctx ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, grp->curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, len))
		goto out;
	if (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, selection, params) <= 0)
		goto out;
	rc = E_OK;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Decode an uncompressed point (0x04 || x || y) on the curve: E_CRYPTO_DH when it is not. */
static RESULT dh_ecp_check_point(const struct crypto_dh_group *grp, const uint8_t *point,
				 size_t len)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(grp->nid);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	result_t rc = E_CRYPTO;

	if (!pt)
		goto out;
	rc = E_CRYPTO_DH;
	if (EC_POINT_oct2point(g, pt, point, len, NULL) != 1 || EC_POINT_is_at_infinity(g, pt) ||
	    EC_POINT_is_on_curve(g, pt, NULL) != 1)
		goto out;
	rc = E_OK;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return rc;
}

static RESULT dh_ecp_key(const struct crypto_dh_group *grp, const BIGNUM *priv, EVP_PKEY **out)
{
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	uint8_t point[1 + 2 * 66];
	size_t len;
	result_t rc = E_CRYPTO;

	*out = NULL;
	if (!priv) {
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", grp->curve);
		return *out ? E_OK : E_CRYPTO;
	}
	g = EC_GROUP_new_by_curve_name(grp->nid);
	pt = g ? EC_POINT_new(g) : NULL;
	if (!pt)
		goto out;
	rc = E_INVAL; /* the scalar must be in [1, n-1] */
	if (BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	rc = E_CRYPTO;
	if (!EC_POINT_mul(g, pt, priv, NULL, NULL, NULL))
		goto out;
	len = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point), NULL);
	if (len != 1 + grp->pub_len)
		goto out;
	GUARD_OUT(rc, dh_ecp_pkey(grp, point, len, priv, out));
out:
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return rc;
}

static RESULT dh_ecp_export(struct crypto_dh *dh)
{
	BIGNUM *x = NULL, *y = NULL;
	int n = (int)dh->grp->coord_len;
	result_t rc = E_CRYPTO;

	if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_X, &x) > 0 &&
	    EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) > 0 &&
	    BN_bn2binpad(x, dh->pub, n) == n && BN_bn2binpad(y, dh->pub + n, n) == n)
		rc = E_OK;
	BN_free(x);
	BN_free(y);
	return rc;
}

static RESULT dh_ecp_peer(const struct crypto_dh *dh, const uint8_t *peer, EVP_PKEY **out)
{
	uint8_t point[1 + 2 * 66];
	size_t len = 1 + dh->grp->pub_len;

	/* RFC 5903 7: the KE data is x || y; OpenSSL wants the SEC1 uncompressed form */
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(point + 1, peer, dh->grp->pub_len);
	GUARD(dh_ecp_check_point(dh->grp, point, len));
	return dh_ecp_pkey(dh->grp, point, len, NULL, out);
}

/* --- common ----------------------------------------------------------------------------------- */

static RESULT dh_create(const struct crypto_dh_group *grp, const BIGNUM *priv,
			struct crypto_dh **out)
{
	struct crypto_dh *dh = calloc(1, sizeof(*dh));
	result_t rc;

	if (!dh)
		return E_NOMEM;
	dh->grp = grp;
	dh->pub_len = grp->pub_len;
	if (grp->kind == CRYPTO_DH_ECP) {
		GUARD_OUT(rc, dh_ecp_key(grp, priv, &dh->key));
		GUARD_OUT(rc, dh_ecp_export(dh));
	} else {
		GUARD_OUT(rc, dh_modp_key(grp, priv, &dh->key));
		GUARD_OUT(rc, dh_modp_export(dh));
	}
	*out = dh;
	return E_OK;
out:
	crypto_dh_free(dh);
	return rc;
}

RESULT crypto_dh_new(uint16_t group, struct crypto_dh **out)
{
	const struct crypto_dh_group *grp = crypto_dh_group_find(group);

	if (!out)
		return E_INVAL;
	*out = NULL;
	if (!grp)
		return E_UNSUPPORTED;
	return crypto_ossl_done(dh_create(grp, NULL, out), "DH key generation");
}

RESULT crypto_dh_new_private(uint16_t group, const uint8_t *priv, size_t len,
			     struct crypto_dh **out)
{
	const struct crypto_dh_group *grp = crypto_dh_group_find(group);
	BIGNUM *x;
	result_t rc;

	if (!out)
		return E_INVAL;
	*out = NULL;
	if (!grp)
		return E_UNSUPPORTED;
	if (!priv || len == 0 || len > CRYPTO_MAX_DH_PUB_LEN)
		return E_INVAL;
	x = BN_secure_new();
	if (!x)
		return E_NOMEM;
	if (!BN_bin2bn(priv, (int)len, x)) {
		BN_clear_free(x);
		return E_CRYPTO;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	rc = dh_create(grp, x, out);
	BN_clear_free(x);
	return crypto_ossl_done(rc, "DH key from a private value");
}

RESULT crypto_dh_public(const struct crypto_dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	if (!dh || !out || !len || cap < dh->pub_len)
		return E_INVAL;
	memcpy(out, dh->pub, dh->pub_len);
	*len = dh->pub_len;
	return E_OK;
}

static RESULT dh_derive(EVP_PKEY *key, EVP_PKEY *peer, bool pad, uint8_t *out, size_t want)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t n = want;
	result_t rc = E_CRYPTO;

	/* the peer was validated above; set_peer_ex(..., 0) skips OpenSSL's full re-check */
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) <= 0)
		goto out;
	if (pad && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, out, &n) <= 0 || n != want) {
		secret_wipe(out, want);
		goto out;
	}
	rc = E_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

RESULT crypto_dh_shared(struct crypto_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
			size_t cap, size_t *len)
{
	EVP_PKEY *pk = NULL;
	result_t rc;

	if (!dh || !out || !len || cap < dh->grp->shared_len)
		return E_INVAL;
	*len = 0;
	/* RFC 7296 3.4: the KE data length is fixed by the group */
	if (!peer || peer_len != dh->grp->pub_len)
		return E_CRYPTO_DH;
	if (dh->grp->kind == CRYPTO_DH_ECP)
		GUARD_OUT(rc, dh_ecp_peer(dh, peer, &pk));
	else
		GUARD_OUT(rc, dh_modp_peer(dh, peer, &pk));
	GUARD_OUT(rc,
		  dh_derive(dh->key, pk, dh->grp->kind != CRYPTO_DH_ECP, out, dh->grp->shared_len));
	*len = dh->grp->shared_len;
out:
	EVP_PKEY_free(pk);
	return crypto_ossl_done(rc, "DH shared secret");
}
