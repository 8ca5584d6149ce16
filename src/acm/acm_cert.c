/*
 * acm/acm_cert.c - validate an import with OpenSSL: certificate, matching key, chain.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acm/acm.h"
#include "lib/secret.h"

static void acm_free_str(char **s, bool wipe)
{
	if (*s && wipe)
		secret_wipe(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void acm_cert_fini(struct acm_cert *c)
{
	size_t i;

	acm_free_str(&c->cert_pem, false);
	acm_free_str(&c->key_pem, true);
	acm_free_str(&c->chain_pem, false);
	for (i = 0; i < c->n_sans; i++)
		free(c->sans[i]);
	free(c->sans);
	memset(c, 0, sizeof(*c));
}

/* Never prompt for a passphrase: encrypted keys are refused (ACM does the same). */
static int acm_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static char *acm_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static void acm_name(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long l;

	buf[0] = 0;
	if (!b)
		return;
	/* RFC 2253 order like ACM's "CN=...,O=..." */
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	l = BIO_get_mem_data(b, &p);
	if (l > 0)
		snprintf(buf, len, "%.*s", (int)l, p);
	BIO_free(b);
}

static int64_t acm_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static RESULT acm_info_sans(X509 *x, struct acm_cert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, n;

	if (!gens)
		return E_OK;
	n = sk_GENERAL_NAME_num(gens);
	c->sans = calloc((size_t)n + 1, sizeof(*c->sans));
	for (i = 0; c->sans && i < n; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		c->sans[c->n_sans] = acm_strndup((const char *)ASN1_STRING_get0_data(g->d.dNSName),
		                                 (size_t)ASN1_STRING_length(g->d.dNSName));
		if (c->sans[c->n_sans])
			c->n_sans++;
	}
	GENERAL_NAMES_free(gens);
	return c->sans ? E_OK : E_NOMEM;
}

static void acm_info_key(EVP_PKEY *pk, struct acm_cert *c)
{
	char group[64] = "";
	size_t gl = 0;

	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		snprintf(c->key_algo, sizeof(c->key_algo), "RSA_%d", EVP_PKEY_get_bits(pk));
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	           EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &gl) == 1) {
		snprintf(c->key_algo, sizeof(c->key_algo), "EC_%.28s", group);
	} else {
		snprintf(c->key_algo, sizeof(c->key_algo), "%s",
		         OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
	}
}

static RESULT acm_info(X509 *x, struct acm_cert *c)
{
	X509_NAME *subj = X509_get_subject_name(x);
	ASN1_INTEGER *ser = X509_get_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(ser, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	size_t i, o = 0;
	int cn;

	acm_name(subj, c->subject, sizeof(c->subject));
	acm_name(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	cn = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (cn >= 0) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, cn));

		snprintf(c->domain, sizeof(c->domain), "%.*s", ASN1_STRING_length(d),
		         (const char *)ASN1_STRING_get0_data(d));
	}
	/* ACM prints the serial as colon-separated lower-case hex bytes. */
	for (i = 0; hex && hex[i] && o + 4 < sizeof(c->serial); i++) {
		if (i && i % 2 == 0 && (strlen(hex) % 2 == 0))
			c->serial[o++] = ':';
		c->serial[o++] = (char)tolower((unsigned char)hex[i]);
	}
	c->serial[o] = 0;
	OPENSSL_free(hex);
	BN_free(bn);
	c->not_before_s = acm_time(X509_get0_notBefore(x));
	c->not_after_s = acm_time(X509_get0_notAfter(x));
	snprintf(c->sig_algo, sizeof(c->sig_algo), "%s", OBJ_nid2ln(X509_get_signature_nid(x)));
	if (!c->domain[0] && c->n_sans)
		snprintf(c->domain, sizeof(c->domain), "%s", c->sans[0]);
	return acm_info_sans(x, c);
}

static result_t acm_fail(char *err, size_t errlen, result_t rc, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return rc;
}

/* Every certificate of a PEM chain parses; returns how many. */
static RESULT acm_chain_check(const char *pem, size_t len, int *count)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	*count = 0;
	if (!b)
		return E_NOMEM;
	while ((x = PEM_read_bio_X509(b, NULL, acm_no_pass, NULL)) != NULL) {
		X509_free(x);
		(*count)++;
	}
	/* Stopped at the end (no more PEM) or at garbage: only the former is fine. */
	BIO_free(b);
	return *count > 0 ? E_OK : E_ACM_PEM;
}

RESULT acm_cert_parse(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                      const char *chain_pem, size_t chain_len, struct acm_cert *out, char *err,
                      size_t errlen)
{
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	result_t rc = E_OK;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!cert_len || cert_len > ACM_CERT_MAX || !key_len || key_len > ACM_KEY_MAX ||
	    chain_len > ACM_CHAIN_MAX)
		return acm_fail(err, errlen, E_ACM_PEM,
		                "Certificate (1..32768 bytes), PrivateKey (1..5124 bytes) and "
		                "CertificateChain (up to 2097152 bytes) must be PEM text.");
	b = BIO_new_mem_buf(cert_pem, (int)cert_len);
	x = b ? PEM_read_bio_X509(b, NULL, acm_no_pass, NULL) : NULL;
	BIO_free(b);
	if (!x)
		return acm_fail(err, errlen, E_ACM_PEM,
		                "The certificate field is not a PEM X.509 certificate "
		                "(-----BEGIN CERTIFICATE-----).");
	b = BIO_new_mem_buf(key_pem, (int)key_len);
	pk = b ? PEM_read_bio_PrivateKey(b, NULL, acm_no_pass, NULL) : NULL;
	BIO_free(b);
	if (!pk) {
		rc = acm_fail(err, errlen, E_ACM_PEM,
		              "The private key is not an unencrypted PEM private key.");
		goto out;
	}
	if (X509_check_private_key(x, pk) != 1) {
		rc = acm_fail(err, errlen, E_ACM_KEY_MISMATCH,
		              "The private key does not match the public key in the certificate.");
		goto out;
	}
	if (chain_len && acm_chain_check(chain_pem, chain_len, &n) != E_OK) {
		rc = acm_fail(err, errlen, E_ACM_PEM,
		              "The certificate chain is not a list of PEM X.509 certificates.");
		goto out;
	}
	out->cert_pem = acm_strndup(cert_pem, cert_len);
	out->key_pem = acm_strndup(key_pem, key_len);
	out->chain_pem = chain_len ? acm_strndup(chain_pem, chain_len) : NULL;
	if (!out->cert_pem || !out->key_pem || (chain_len && !out->chain_pem)) {
		rc = E_NOMEM;
		goto out;
	}
	acm_info_key(pk, out);
	rc = acm_info(x, out);
out:
	if (rc != E_OK)
		acm_cert_fini(out);
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

void acm_arn_format(const char *region, const char *account, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "arn:aws:acm:%s:%s:certificate/%s", region, account, id);
}

RESULT acm_arn_id(const char *arn, const char *region, const char *account, char id[ACM_ID_LEN + 1])
{
	char want[ACM_ARN_MAX];
	size_t n, i;

	acm_arn_format(region, account, "", want, sizeof(want));
	n = strlen(want);
	if (!arn || strncmp(arn, want, n) != 0 || strlen(arn + n) != ACM_ID_LEN)
		return E_PARSE;
	for (i = 0; i < ACM_ID_LEN; i++) {
		char ch = arn[n + i];

		if ((i == 8 || i == 13 || i == 18 || i == 23) ? ch != '-'
		                                              : !isxdigit((unsigned char)ch))
			return E_PARSE;
	}
	memcpy(id, arn + n, ACM_ID_LEN);
	id[ACM_ID_LEN] = 0;
	return E_OK;
}

const char *acm_cert_status(const struct acm_cert *c, int64_t now_s)
{
	return c->not_after_s && now_s > c->not_after_s ? "EXPIRED" : "ISSUED";
}

/* ACM's KeyUsageName values in the order of the RFC 5280 4.2.1.3 bits, then its two extras. */
const char *const acm_ku_names[ACM_KU_N + 1] = {
    "DIGITAL_SIGNATURE",
    "NON_REPUDIATION",
    "KEY_ENCIPHERMENT",
    "DATA_ENCIPHERMENT",
    "KEY_AGREEMENT",
    "CERTIFICATE_SIGNING",
    "CRL_SIGNING",
    "ENCIPHER_ONLY",
    "DECIPHER_ONLY",
    "ANY",
    "CUSTOM",
    NULL,
};
static const uint32_t acm_ku_bits[] = {
    KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
    KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT,   KU_KEY_CERT_SIGN,
    KU_CRL_SIGN,          KU_ENCIPHER_ONLY,   KU_DECIPHER_ONLY,
};

/* ACM's ExtendedKeyUsageName values; the first nine are RFC 5280 4.2.1.12 / RFC 4945 OIDs. */
const char *const acm_eku_names[ACM_EKU_N + 1] = {
    "TLS_WEB_SERVER_AUTHENTICATION",
    "TLS_WEB_CLIENT_AUTHENTICATION",
    "CODE_SIGNING",
    "EMAIL_PROTECTION",
    "TIME_STAMPING",
    "OCSP_SIGNING",
    "IPSEC_END_SYSTEM",
    "IPSEC_TUNNEL",
    "IPSEC_USER",
    "ANY",
    "NONE",
    "CUSTOM",
    NULL,
};
static const int acm_eku_nids[] = {
    NID_server_auth, NID_client_auth,         NID_code_sign,      NID_email_protect,
    NID_time_stamp,  NID_OCSP_sign,           NID_ipsecEndSystem, NID_ipsecTunnel,
    NID_ipsecUser,   NID_anyExtendedKeyUsage,
};

static uint32_t acm_eku_bit(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(acm_eku_nids) / sizeof(acm_eku_nids[0]); i++)
		if (acm_eku_nids[i] == nid)
			return 1u << i;
	return ACM_EKU_CUSTOM;
}

RESULT acm_cert_usages(const char *cert_pem, uint32_t *ku, uint32_t *eku)
{
	BIO *b = BIO_new_mem_buf(cert_pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, acm_no_pass, NULL) : NULL;
	EXTENDED_KEY_USAGE *ext;
	uint32_t bits;
	size_t i;
	int k;

	BIO_free(b);
	*ku = 0;
	*eku = 0;
	if (!x)
		return E_ACM_PEM;
	bits = X509_get_key_usage(x); /* UINT32_MAX when the extension is absent */
	for (i = 0; bits != UINT32_MAX && i < sizeof(acm_ku_bits) / sizeof(acm_ku_bits[0]); i++)
		if (bits & acm_ku_bits[i])
			*ku |= 1u << i;
	ext = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	if (!ext)
		*eku = ACM_EKU_NONE;
	for (k = 0; ext && k < sk_ASN1_OBJECT_num(ext); k++)
		*eku |= acm_eku_bit(OBJ_obj2nid(sk_ASN1_OBJECT_value(ext, k)));
	EXTENDED_KEY_USAGE_free(ext);
	X509_free(x);
	return E_OK;
}
