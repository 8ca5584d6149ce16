/*
 * acm/acm_json.c - the ACM JSON protocol (awsJson1_1): dispatch, ImportCertificate,
 * DescribeCertificate, DeleteCertificate and GetCertificate (ListCertificates is acm_list.c).
 *
 * Request: POST / with X-Amz-Target CertificateManager.<Op> and a JSON object body. Blob
 * members (Certificate, PrivateKey, CertificateChain) arrive base64-encoded, as botocore sends
 * them. Timestamps in answers are epoch seconds (JSON numbers). Errors are HTTP 400 with
 * {"__type": "<Code>", "message": "..."}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "acm/acm_int.h"
#include "lib/secret.h"
#include "store/store.h"

#define ACM_BODY_MAX (4u << 20)

result_t acm_err(struct acm_ctx *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	c->status = 400;
	snprintf(c->code, sizeof(c->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return E_API;
}

static const char *acm_in_str(struct acm_ctx *c, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(c->in, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A base64 blob member; *out malloc'd and NUL-terminated. */
static RESULT acm_in_blob(struct acm_ctx *c, const char *k, bool required, size_t max, char **out,
                          size_t *len)
{
	const char *s = acm_in_str(c, k);
	size_t n, pad = 0;
	int dl;

	*out = NULL;
	*len = 0;
	if (!s) {
		if (required)
			return acm_err(
			    c, "ValidationException",
			    "1 validation error detected: Value null at '%c%s' failed to "
			    "satisfy constraint: Member must not be null",
			    k[0] + 32, k + 1);
		return E_OK;
	}
	n = strlen(s);
	if (n % 4 != 0 || n / 4 * 3 > max + 2)
		return acm_err(c, "ValidationException", "%s must be base64 of at most %zu bytes.",
		               k, max);
	*out = malloc(n / 4 * 3 + 1);
	if (!*out)
		return E_NOMEM;
	dl = EVP_DecodeBlock((unsigned char *)*out, (const unsigned char *)s, (int)n);
	if (dl < 0) {
		free(*out);
		*out = NULL;
		return acm_err(c, "ValidationException", "%s is not valid base64.", k);
	}
	while (n && s[n - 1] == '=' && pad < 2) {
		pad++;
		n--;
	}
	*len = (size_t)dl - pad;
	(*out)[*len] = 0;
	return E_OK;
}

static RESULT acm_arn_in(struct acm_ctx *c, const char **arn, char id[ACM_ID_LEN + 1])
{
	*arn = acm_in_str(c, "CertificateArn");
	if (!*arn)
		return acm_err(c, "ValidationException",
		               "1 validation error detected: Value null at 'certificateArn' failed "
		               "to satisfy constraint: Member must not be null");
	if (acm_arn_id(*arn, c->region, c->account, id) != E_OK)
		return acm_err(c, "InvalidArnException",
		               "The certificate ARN %.200s is not valid: expected "
		               "arn:aws:acm:%s:%s:certificate/<uuid>.",
		               *arn, c->region, c->account);
	return E_OK;
}

static RESULT acm_load(struct acm_ctx *c, const char *arn, const char *id, struct acm_cert *out)
{
	result_t rc = acm_cert_get(c->st, id, out);

	if (rc == E_NOTFOUND)
		return acm_err(c, "ResourceNotFoundException", "Could not find certificate %.200s.",
		               arn);
	if (rc == E_OK)
		acm_arn_format(c->region, c->account, out->id, out->arn, sizeof(out->arn));
	return rc;
}

static RESULT acm_op_import(struct acm_ctx *c)
{
	char *cert = NULL, *key = NULL, *chain = NULL, err[256], id[ACM_ID_LEN + 1];
	size_t cl = 0, kl = 0, hl = 0;
	const char *arn = acm_in_str(c, "CertificateArn");
	struct acm_cert ac;
	result_t rc;

	memset(&ac, 0, sizeof(ac));
	GUARD_OUT(rc, acm_in_blob(c, "Certificate", true, ACM_CERT_MAX, &cert, &cl));
	GUARD_OUT(rc, acm_in_blob(c, "PrivateKey", true, ACM_KEY_MAX, &key, &kl));
	GUARD_OUT(rc, acm_in_blob(c, "CertificateChain", false, ACM_CHAIN_MAX, &chain, &hl));
	if (arn) { /* re-import over an existing certificate keeps its ARN */
		struct acm_cert old;

		GUARD_OUT(rc, acm_arn_in(c, &arn, id));
		GUARD_OUT(rc, acm_load(c, arn, id, &old));
		acm_cert_fini(&old);
	}
	rc = acm_cert_parse(cert, cl, key, kl, chain, hl, &ac, err, sizeof(err));
	ERR_clear_error();
	if (rc == E_ACM_PEM || rc == E_ACM_KEY_MISMATCH) {
		rc = acm_err(c, "ValidationException", "%s", err);
		goto out;
	}
	GUARD_OUT(rc, rc);
	if (arn)
		memcpy(ac.id, id, sizeof(ac.id));
	else
		acm_new_id(ac.id);
	ac.imported_ms = store_now_ms();
	acm_arn_format(c->region, c->account, ac.id, ac.arn, sizeof(ac.arn));
	GUARD_OUT(rc, acm_cert_put(c->st, &ac));
	json_object_object_add(c->res, "CertificateArn", json_object_new_string(ac.arn));
out:
	if (key) {
		secret_wipe(key, kl);
		free(key);
	}
	free(cert);
	free(chain);
	acm_cert_fini(&ac);
	return rc;
}

struct json_object *acm_json_sans(const struct acm_cert *ac)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < ac->n_sans; i++)
		json_object_array_add(a, json_object_new_string(ac->sans[i]));
	return a;
}

void acm_json_common(struct json_object *o, const struct acm_cert *ac, int64_t now_s)
{
	json_object_object_add(o, "CertificateArn", json_object_new_string(ac->arn));
	json_object_object_add(o, "DomainName", json_object_new_string(ac->domain));
	json_object_object_add(o, "Type", json_object_new_string("IMPORTED"));
	json_object_object_add(o, "Status", json_object_new_string(acm_cert_status(ac, now_s)));
	json_object_object_add(o, "KeyAlgorithm", json_object_new_string(ac->key_algo));
	json_object_object_add(o, "NotBefore", json_object_new_int64(ac->not_before_s));
	json_object_object_add(o, "NotAfter", json_object_new_int64(ac->not_after_s));
	json_object_object_add(o, "ImportedAt", json_object_new_int64(ac->imported_ms / 1000));
}

static RESULT acm_op_describe(struct acm_ctx *c)
{
	char id[ACM_ID_LEN + 1], by[64];
	const char *arn;
	struct acm_cert ac;
	struct json_object *o, *inuse;
	bool used = false;
	result_t rc;

	GUARD(acm_arn_in(c, &arn, id));
	GUARD(acm_load(c, arn, id, &ac));
	rc = acm_cert_in_use(c->st, ac.arn, by, sizeof(by), &used);
	if (rc == E_OK) {
		o = json_object_new_object();
		acm_json_common(o, &ac, store_now_ms() / 1000);
		json_object_object_add(o, "SubjectAlternativeNames", acm_json_sans(&ac));
		json_object_object_add(o, "Serial", json_object_new_string(ac.serial));
		json_object_object_add(o, "Subject", json_object_new_string(ac.subject));
		json_object_object_add(o, "Issuer", json_object_new_string(ac.issuer));
		json_object_object_add(o, "SignatureAlgorithm",
		                       json_object_new_string(ac.sig_algo));
		json_object_object_add(o, "RenewalEligibility",
		                       json_object_new_string("INELIGIBLE"));
		inuse = json_object_new_array();
		if (used)
			json_object_array_add(inuse, json_object_new_string(by));
		json_object_object_add(o, "InUseBy", inuse);
		json_object_object_add(c->res, "Certificate", o);
	}
	acm_cert_fini(&ac);
	return rc;
}

static RESULT acm_op_get(struct acm_ctx *c)
{
	char id[ACM_ID_LEN + 1];
	const char *arn;
	struct acm_cert ac;

	GUARD(acm_arn_in(c, &arn, id));
	GUARD(acm_load(c, arn, id, &ac));
	json_object_object_add(c->res, "Certificate", json_object_new_string(ac.cert_pem));
	if (ac.chain_pem)
		json_object_object_add(c->res, "CertificateChain",
		                       json_object_new_string(ac.chain_pem));
	acm_cert_fini(&ac);
	return E_OK;
}

static RESULT acm_op_delete(struct acm_ctx *c)
{
	char id[ACM_ID_LEN + 1], by[64];
	const char *arn;
	struct acm_cert ac;
	bool used = false;

	GUARD(acm_arn_in(c, &arn, id));
	GUARD(acm_load(c, arn, id, &ac));
	acm_cert_fini(&ac);
	GUARD(acm_cert_in_use(c->st, arn, by, sizeof(by), &used));
	if (used)
		return acm_err(
		    c, "ResourceInUseException",
		    "Certificate %.200s is in use by %s; delete or modify that Client VPN "
		    "endpoint first.",
		    arn, by);
	return acm_cert_remove(c->st, id);
}

static const struct {
	const char *op;
	result_t (*fn)(struct acm_ctx *c);
} acm_ops[] = {
    {"ImportCertificate", acm_op_import},     {"ListCertificates", acm_op_list},
    {"DescribeCertificate", acm_op_describe}, {"GetCertificate", acm_op_get},
    {"DeleteCertificate", acm_op_delete},
};

static RESULT acm_parse_body(struct acm_ctx *c, const uint8_t *body, size_t len)
{
	struct json_tokener *tok;

	if (len == 0) {
		c->in = json_object_new_object();
		return c->in ? E_OK : E_NOMEM;
	}
	if (len > ACM_BODY_MAX)
		return acm_err(c, "ValidationException", "The request body is too large.");
	tok = json_tokener_new();
	if (!tok)
		return E_NOMEM;
	c->in = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	if (c->in && json_tokener_get_parse_end(tok) != len) {
		json_object_put(c->in);
		c->in = NULL;
	}
	json_tokener_free(tok);
	if (!c->in || !json_object_is_type(c->in, json_type_object))
		return acm_err(c, "SerializationException",
		               "The request body must be one JSON object.");
	return E_OK;
}

static RESULT acm_dispatch(struct acm_ctx *c, const char *op, const uint8_t *body, size_t len)
{
	size_t i;

	GUARD(acm_parse_body(c, body, len));
	for (i = 0; i < sizeof(acm_ops) / sizeof(acm_ops[0]); i++)
		if (strcmp(acm_ops[i].op, op) == 0)
			return acm_ops[i].fn(c);
	return acm_err(c, "UnknownOperationException",
	               "CertificateManager.%.64s is not an operation this server supports "
	               "(ImportCertificate, ListCertificates, DescribeCertificate, "
	               "GetCertificate, DeleteCertificate).",
	               op);
}

RESULT acm_json_handle(struct store *st, const char *region, const char *account, const char *op,
                       const uint8_t *body, size_t len, struct wbuf *out, unsigned *status)
{
	struct acm_ctx c;
	struct json_object *e;
	result_t rc;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.region = region;
	c.account = account;
	c.status = 200;
	c.res = json_object_new_object();
	if (!c.res)
		return E_NOMEM;
	rc = acm_dispatch(&c, op ? op : "", body, len);
	if (rc == E_API) {
		e = json_object_new_object();
		json_object_object_add(e, "__type", json_object_new_string(c.code));
		json_object_object_add(e, "message", json_object_new_string(c.msg));
		wbuf_put_str(out, json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
		json_object_put(e);
		rc = E_OK;
	} else if (rc == E_OK) {
		wbuf_put_str(out, json_object_to_json_string_ext(c.res, JSON_C_TO_STRING_PLAIN));
	}
	*status = c.status;
	json_object_put(c.res);
	json_object_put(c.in);
	return rc == E_OK ? wbuf_result(out) : rc;
}

result_t acm_api_json(void *arg, struct store *st, const char *region, const char *account,
                      const char *op, const uint8_t *body, size_t len, struct wbuf *out,
                      unsigned *status)
{
	(void)arg;
	return acm_json_handle(st, region, account, op, body, len, out, status);
}
