/*
 * test_acm.c - the certificate store: OpenSSL validation of imports (negative case per
 * error), ARN handling, rows in a real store (temp dir), and the ACM JSON protocol.
 * Fixtures: fx_acm.h.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "acm/acm.h"
#include "cvpn/cvpn.h"
#include "lib/buf.h"
#include "store/store.h"
#include "test.h"
#include "fx_acm.h"

#define REGION "us-east-1"
#define ACCOUNT "123456789012"

#define L(s) (sizeof(s) - 1)

TEST(acm_parse_ok)
{
	struct acm_cert c;
	char err[256];

	CHECK_OK(acm_cert_parse(FX_SRV_CRT, L(FX_SRV_CRT), FX_SRV_KEY, L(FX_SRV_KEY), FX_CA,
	                        L(FX_CA), &c, err, sizeof(err)));
	CHECK_STR(c.domain, "vpn.example.test");
	CHECK_STR(c.subject, "CN=vpn.example.test");
	CHECK_STR(c.issuer, "CN=Test CA");
	CHECK_STR(c.serial, "12:34");
	CHECK_STR(c.key_algo, "EC_prime256v1");
	CHECK_EQ(c.n_sans, 1);
	CHECK_STR(c.sans[0], "vpn.example.test");
	CHECK(c.not_after_s > c.not_before_s);
	CHECK(c.chain_pem != NULL);
	acm_cert_fini(&c);
	/* the chain is optional */
	CHECK_OK(acm_cert_parse(FX_SRV_CRT, L(FX_SRV_CRT), FX_SRV_KEY, L(FX_SRV_KEY), NULL, 0, &c,
	                        err, sizeof(err)));
	CHECK(c.chain_pem == NULL);
	acm_cert_fini(&c);
}

TEST(acm_parse_negatives)
{
	struct {
		const char *cert, *key, *chain;
		result_t want;
		const char *msg;
	} cases[] = {
	    {FX_SRV_CRT, FX_OTHER_KEY, NULL, E_ACM_KEY_MISMATCH, "does not match"},
	    {FX_SRV_KEY, FX_SRV_KEY, NULL, E_ACM_PEM, "certificate field"},
	    {FX_SRV_CRT, FX_SRV_CRT, NULL, E_ACM_PEM, "private key"},
	    {FX_SRV_CRT, FX_SRV_KEY, "garbage", E_ACM_PEM, "chain"},
	    {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", FX_SRV_KEY, NULL,
	     E_ACM_PEM, "certificate field"},
	    {"", FX_SRV_KEY, NULL, E_ACM_PEM, "PEM"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct acm_cert c;
		char err[256] = "";

		CHECK_ERR(acm_cert_parse(cases[i].cert, strlen(cases[i].cert), cases[i].key,
		                         strlen(cases[i].key), cases[i].chain,
		                         cases[i].chain ? strlen(cases[i].chain) : 0, &c, err,
		                         sizeof(err)),
		          cases[i].want);
		CHECK(strstr(err, cases[i].msg) != NULL);
	}
}

TEST(acm_arn)
{
	char arn[ACM_ARN_MAX], id[ACM_ID_LEN + 1];

	acm_arn_format(REGION, ACCOUNT, "0f4e5a4c-1111-4222-8333-444455556666", arn, sizeof(arn));
	CHECK_STR(arn, "arn:aws:acm:us-east-1:123456789012:certificate/"
	               "0f4e5a4c-1111-4222-8333-444455556666");
	CHECK_OK(acm_arn_id(arn, REGION, ACCOUNT, id));
	CHECK_STR(id, "0f4e5a4c-1111-4222-8333-444455556666");
	CHECK_ERR(acm_arn_id(arn, "eu-west-1", ACCOUNT, id), E_PARSE);
	CHECK_ERR(acm_arn_id(arn, REGION, "999999999999", id), E_PARSE);
	CHECK_ERR(
	    acm_arn_id("arn:aws:acm:us-east-1:123456789012:certificate/x", REGION, ACCOUNT, id),
	    E_PARSE);
	CHECK_ERR(acm_arn_id("arn:aws:acm:us-east-1:123456789012:certificate/"
	                     "0f4e5a4c+1111-4222-8333-444455556666",
	                     REGION, ACCOUNT, id),
	          E_PARSE);
	CHECK_ERR(acm_arn_id(NULL, REGION, ACCOUNT, id), E_PARSE);
}

/* ---- with a real store ---- */

static struct store *acm_store(char *dir, size_t len)
{
	struct store *st = NULL;

	snprintf(dir, len, "/tmp/gh-test-acm-XXXXXX");
	if (!mkdtemp(dir) || store_open(dir, &st) != E_OK)
		return NULL;
	return st;
}

static void acm_store_done(struct store *st, const char *dir)
{
	char cmd[128];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(4 * ((n + 2) / 3) + 1);

	if (o)
		EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)s, (int)n);
	return o;
}

/* One JSON call: returns the status; *out gets the parsed answer. */
static unsigned acm_call(struct store *st, const char *op, const char *body,
                         struct json_object **out)
{
	struct wbuf w;
	unsigned status = 0;

	wbuf_init_dyn(&w, 1024, 0);
	if (store_begin(st) != E_OK ||
	    acm_json_handle(st, REGION, ACCOUNT, op, (const uint8_t *)body, strlen(body), &w,
	                    &status) != E_OK)
		status = 999;
	if (status == 200) {
		if (store_commit(st) != E_OK)
			status = 998;
	} else {
		store_rollback(st);
	}
	wbuf_put_u8(&w, 0);
	*out = json_tokener_parse((const char *)w.data);
	wbuf_free(&w);
	return status;
}

static const char *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return "";
	return json_object_get_string(v);
}

TEST(acm_json_protocol)
{
	char dir[64], body[8192], arn[ACM_ARN_MAX];
	char *bc = b64(FX_SRV_CRT), *bk = b64(FX_SRV_KEY), *bh = b64(FX_CA),
	     *bo = b64(FX_OTHER_KEY);
	struct store *st = acm_store(dir, sizeof(dir));
	struct json_object *o = NULL, *c;
	char *chain = NULL;

	CHECK(st && bc && bk && bh && bo);
	snprintf(body, sizeof(body),
	         "{\"Certificate\":\"%s\",\"PrivateKey\":\"%s\",\"CertificateChain\":\"%s\"}", bc,
	         bk, bh);
	CHECK_EQ(acm_call(st, "ImportCertificate", body, &o), 200);
	snprintf(arn, sizeof(arn), "%s", jget(o, "CertificateArn"));
	CHECK(strncmp(arn, "arn:aws:acm:us-east-1:123456789012:certificate/", 47) == 0);
	json_object_put(o);
	/* mismatching key: ValidationException, nothing stored */
	snprintf(body, sizeof(body), "{\"Certificate\":\"%s\",\"PrivateKey\":\"%s\"}", bc, bo);
	CHECK_EQ(acm_call(st, "ImportCertificate", body, &o), 400);
	CHECK_STR(jget(o, "__type"), "ValidationException");
	json_object_put(o);
	CHECK_EQ(acm_call(st, "ImportCertificate", "{\"Certificate\":\"!!!!\"}", &o), 400);
	CHECK_STR(jget(o, "__type"), "ValidationException");
	json_object_put(o);
	CHECK_EQ(acm_call(st, "ImportCertificate", "{not json", &o), 400);
	CHECK_STR(jget(o, "__type"), "SerializationException");
	json_object_put(o);
	/* ACM's default lists RSA_1024/RSA_2048 only: the P-256 certificate needs keyTypes */
	CHECK_EQ(acm_call(st, "ListCertificates", "{}", &o), 200);
	CHECK_EQ(json_object_array_length(json_object_object_get(o, "CertificateSummaryList")), 0);
	json_object_put(o);
	CHECK_EQ(acm_call(st, "ListCertificates",
	                  "{\"Includes\":{\"keyTypes\":[\"EC_prime256v1\"]}}", &o),
	         200);
	c = json_object_object_get(o, "CertificateSummaryList");
	CHECK_EQ(json_object_array_length(c), 1);
	CHECK_STR(jget(json_object_array_get_idx(c, 0), "DomainName"), "vpn.example.test");
	json_object_put(o);
	snprintf(body, sizeof(body), "{\"CertificateArn\":\"%s\"}", arn);
	CHECK_EQ(acm_call(st, "DescribeCertificate", body, &o), 200);
	c = json_object_object_get(o, "Certificate");
	CHECK_STR(jget(c, "Serial"), "12:34");
	CHECK_STR(jget(c, "Type"), "IMPORTED");
	CHECK(strstr(json_object_to_json_string(o), "PRIVATE") == NULL); /* never the key */
	json_object_put(o);
	CHECK_EQ(acm_call(st, "GetCertificate", body, &o), 200);
	CHECK_STR(jget(o, "CertificateChain"), FX_CA);
	CHECK(strstr(json_object_to_json_string(o), "PRIVATE") == NULL);
	json_object_put(o);
	CHECK_OK(acm_ca_chain(st, arn, REGION, ACCOUNT, &chain));
	CHECK_STR(chain, FX_CA);
	free(chain);
	CHECK_EQ(acm_call(st, "FrobnicateCertificate", body, &o), 400);
	CHECK_STR(jget(o, "__type"), "UnknownOperationException");
	json_object_put(o);
	CHECK_EQ(acm_call(st, "DeleteCertificate", body, &o), 200);
	json_object_put(o);
	CHECK_EQ(acm_call(st, "DescribeCertificate", body, &o), 400);
	CHECK_STR(jget(o, "__type"), "ResourceNotFoundException");
	json_object_put(o);
	CHECK_EQ(acm_call(st, "DescribeCertificate", "{\"CertificateArn\":\"arn:x\"}", &o), 400);
	CHECK_STR(jget(o, "__type"), "InvalidArnException");
	json_object_put(o);
	free(bc);
	free(bk);
	free(bh);
	free(bo);
	acm_store_done(st, dir);
}

/* ListCertificates: MaxItems/NextToken pages cover the list once, in order; bad members. */
TEST(acm_list_paging)
{
	static const struct {
		const char *body;
		unsigned status;
		const char *type;
	} bad[] = {
	    {"{\"MaxItems\":0}", 400, "ValidationException"},
	    {"{\"MaxItems\":1001}", 400, "ValidationException"},
	    {"{\"MaxItems\":\"1\"}", 400, "SerializationException"},
	    {"{\"NextToken\":\"\"}", 400, "ValidationException"},
	    {"{\"NextToken\":\"gh1zz\"}", 400, "InvalidArgsException"},
	    {"{\"NextToken\":\"gh1\"}", 400, "InvalidArgsException"},
	    {"{\"NextToken\":\"gh16123\"}", 400, "InvalidArgsException"}, /* "a#": no kind */
	    {"{\"NextToken\":7}", 400, "SerializationException"},
	    {"{\"CertificateStatuses\":[\"NOPE\"]}", 400, "ValidationException"},
	    {"{\"CertificateStatuses\":[1]}", 400, "SerializationException"},
	    {"{\"Includes\":[]}", 400, "SerializationException"},
	    {"{\"Includes\":{\"keyTypes\":[\"RSA_9\"]}}", 400, "ValidationException"},
	    {"{\"Includes\":{\"extendedKeyUsage\":[\"X\"]}}", 400, "ValidationException"},
	    {"{\"Includes\":{\"exportOption\":\"MAYBE\"}}", 400, "ValidationException"},
	    {"{\"Includes\":{\"managedBy\":\"ME\"}}", 400, "ValidationException"},
	    {"{\"SortBy\":\"NAME\"}", 400, "ValidationException"},
	    {"{\"SortOrder\":\"UP\"}", 400, "ValidationException"},
	    {"{\"MaxItems\":1000,\"CertificateStatuses\":[]}", 200, NULL},
	};
	char dir[64], body[512], seen[5][ACM_ARN_MAX], err[256];
	struct store *st = acm_store(dir, sizeof(dir));
	struct json_object *o = NULL, *l;
	const char *tok = NULL;
	struct acm_cert c;
	size_t i, n = 0, pages = 0;

	CHECK(st != NULL);
	CHECK_OK(store_begin(st));
	for (i = 0; i < 5; i++) {
		CHECK_OK(acm_cert_parse(FX_SRV_CRT, L(FX_SRV_CRT), FX_SRV_KEY, L(FX_SRV_KEY), NULL,
		                        0, &c, err, sizeof(err)));
		acm_new_id(c.id);
		CHECK_OK(acm_cert_put(st, &c));
		acm_cert_fini(&c);
	}
	CHECK_OK(store_commit(st));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(acm_call(st, "ListCertificates", bad[i].body, &o), bad[i].status);
		if (bad[i].type)
			CHECK_STR(jget(o, "__type"), bad[i].type);
		json_object_put(o);
	}
	o = NULL;
	do { /* pages of 2 over 5 EC certificates: 2, 2, 1 */
		snprintf(body, sizeof(body),
		         "{\"MaxItems\":2,\"Includes\":{\"keyTypes\":[\"EC_prime256v1\"]}%s%s%s}",
		         tok ? ",\"NextToken\":\"" : "", tok ? tok : "", tok ? "\"" : "");
		json_object_put(o);
		CHECK_EQ(acm_call(st, "ListCertificates", body, &o), 200);
		l = json_object_object_get(o, "CertificateSummaryList");
		CHECK(json_object_array_length(l) == (pages < 2 ? 2u : 1u));
		for (i = 0; i < json_object_array_length(l) && n < 5; i++, n++) {
			snprintf(seen[n], sizeof(seen[n]), "%s",
			         jget(json_object_array_get_idx(l, i), "CertificateArn"));
			CHECK(n == 0 ||
			      strcmp(seen[n - 1], seen[n]) < 0); /* id order, no repeats */
		}
		tok = json_object_object_get(o, "NextToken") ? jget(o, "NextToken") : NULL;
		pages++;
	} while (tok && pages < 10);
	json_object_put(o);
	CHECK_EQ(pages, 3);
	CHECK_EQ(n, 5);
	acm_store_done(st, dir);
}

TEST(cvpn_materials_from_acm)
{
	/* what src/ovpn will load for an endpoint: cert + chain, key, client CA, CRL */
	char dir[64], err[256];
	struct store *st = acm_store(dir, sizeof(dir));
	struct acm_cert c;
	struct cvpn_endpoint e;
	struct cvpn_materials m;

	CHECK(st != NULL);
	CHECK_OK(store_begin(st));
	CHECK_OK(acm_cert_parse(FX_SRV_CRT, L(FX_SRV_CRT), FX_SRV_KEY, L(FX_SRV_KEY), FX_CA,
	                        L(FX_CA), &c, err, sizeof(err)));
	acm_new_id(c.id);
	acm_arn_format(REGION, ACCOUNT, c.id, c.arn, sizeof(c.arn));
	CHECK_OK(acm_cert_put(st, &c));
	CHECK_OK(store_commit(st));
	cvpn_endpoint_init(&e);
	CHECK_OK(cvpn_str_set(&e.server_cert_arn, c.arn));
	e.auth[0].type = CVPN_AUTH_CERTIFICATE;
	CHECK_OK(cvpn_str_set(&e.auth[0].client_root_chain_arn, c.arn));
	e.n_auth = 1;
	CHECK_OK(cvpn_materials_get(st, REGION, ACCOUNT, &e, &m));
	CHECK(strncmp(m.server_cert_chain, FX_SRV_CRT, L(FX_SRV_CRT)) == 0);
	CHECK_STR(m.server_cert_chain + L(FX_SRV_CRT), FX_CA);
	CHECK_STR(m.server_key, FX_SRV_KEY);
	CHECK_STR(m.client_ca, FX_CA);
	CHECK(m.crl == NULL);
	cvpn_materials_fini(&m);
	CHECK_OK(cvpn_str_set(&e.server_cert_arn, "arn:aws:acm:us-east-1:123456789012:certificate/"
	                                          "00000000-0000-4000-8000-000000000000"));
	CHECK_ERR(cvpn_materials_get(st, REGION, ACCOUNT, &e, &m), E_NOTFOUND);
	cvpn_endpoint_fini(&e);
	acm_cert_fini(&c);
	acm_store_done(st, dir);
}
