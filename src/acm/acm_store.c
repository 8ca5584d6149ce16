/*
 * acm/acm_store.c - certificates as store rows (type ACM_T_CERT, id = UUID, doc = JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>

#include "acm/acm.h"
#include "lib/secret.h"
#include "store/store.h"

#define ACM_FILE_MAX (4u << 20)
#define ACM_CVPN_TYPE "client-vpn-endpoint" /* cvpn/cvpn_ops.h CVPN_T_ENDPOINT */

static void acm_jstr(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static struct json_object *acm_to_json(const struct acm_cert *c)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	acm_jstr(o, "certificate", c->cert_pem);
	acm_jstr(o, "privateKey", c->key_pem);
	acm_jstr(o, "certificateChain", c->chain_pem);
	acm_jstr(o, "domainName", c->domain);
	acm_jstr(o, "subject", c->subject);
	acm_jstr(o, "issuer", c->issuer);
	acm_jstr(o, "serial", c->serial);
	acm_jstr(o, "keyAlgorithm", c->key_algo);
	acm_jstr(o, "signatureAlgorithm", c->sig_algo);
	json_object_object_add(o, "notBefore", json_object_new_int64(c->not_before_s));
	json_object_object_add(o, "notAfter", json_object_new_int64(c->not_after_s));
	json_object_object_add(o, "importedMs", json_object_new_int64(c->imported_ms));
	for (i = 0; i < c->n_sans; i++)
		json_object_array_add(a, json_object_new_string(c->sans[i]));
	json_object_object_add(o, "subjectAlternativeNames", a);
	return o;
}

static const char *acm_get(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t acm_get_i64(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

static char *acm_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static RESULT acm_from_row(const struct store_res *r, struct acm_cert *c)
{
	struct json_object *o = r->doc ? json_tokener_parse(r->doc) : NULL, *a;
	result_t rc = E_OK;
	size_t i, n;

	memset(c, 0, sizeof(*c));
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return E_PARSE;
	}
	snprintf(c->id, sizeof(c->id), "%.36s", r->id);
	c->cert_pem = acm_dup(acm_get(o, "certificate"));
	c->key_pem = acm_dup(acm_get(o, "privateKey"));
	c->chain_pem = acm_dup(acm_get(o, "certificateChain"));
	snprintf(c->domain, sizeof(c->domain), "%s", acm_get(o, "domainName") ?: "");
	snprintf(c->subject, sizeof(c->subject), "%s", acm_get(o, "subject") ?: "");
	snprintf(c->issuer, sizeof(c->issuer), "%s", acm_get(o, "issuer") ?: "");
	snprintf(c->serial, sizeof(c->serial), "%s", acm_get(o, "serial") ?: "");
	snprintf(c->key_algo, sizeof(c->key_algo), "%s", acm_get(o, "keyAlgorithm") ?: "");
	snprintf(c->sig_algo, sizeof(c->sig_algo), "%s", acm_get(o, "signatureAlgorithm") ?: "");
	c->not_before_s = acm_get_i64(o, "notBefore");
	c->not_after_s = acm_get_i64(o, "notAfter");
	c->imported_ms = acm_get_i64(o, "importedMs");
	if (json_object_object_get_ex(o, "subjectAlternativeNames", &a) &&
	    json_object_is_type(a, json_type_array) && (n = json_object_array_length(a)) > 0) {
		c->sans = calloc(n, sizeof(*c->sans));
		for (i = 0; c->sans && i < n; i++) {
			struct json_object *v = json_object_array_get_idx(a, i);

			if (v && json_object_is_type(v, json_type_string) &&
			    (c->sans[c->n_sans] = strdup(json_object_get_string(v))))
				c->n_sans++;
		}
	}
	if (!c->cert_pem)
		rc = E_PARSE;
	/* The document text held the key: wipe our parsed copy of it. */
	json_object_put(o);
	if (rc != E_OK)
		acm_cert_fini(c);
	return rc;
}

RESULT acm_cert_put(struct store *st, struct acm_cert *c)
{
	struct json_object *o = acm_to_json(c);
	struct store_res r, old;
	const char *s;
	result_t rc;
	bool exists;

	if (!o)
		return E_NOMEM;
	rc = store_res_get(st, c->id, &old);
	exists = rc == E_OK;
	if (exists)
		store_res_fini(&old);
	store_res_init(&r, ACM_T_CERT, c->id, "ISSUED");
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = s ? store_res_set_doc(&r, s) : E_NOMEM;
	if (s)
		secret_wipe((void *)s, strlen(s));
	json_object_put(o);
	if (rc == E_OK)
		rc = exists ? store_res_update(st, &r) : store_res_insert(st, &r);
	if (r.doc)
		secret_wipe(r.doc, strlen(r.doc));
	store_res_fini(&r);
	return rc;
}

RESULT acm_cert_get(struct store *st, const char *id, struct acm_cert *out)
{
	struct store_res r;
	result_t rc;

	memset(out, 0, sizeof(*out));
	GUARD(store_res_get(st, id, &r));
	if (strcmp(r.type, ACM_T_CERT) != 0)
		rc = E_NOTFOUND;
	else
		rc = acm_from_row(&r, out);
	out->imported_ms = out->imported_ms ? out->imported_ms : r.created_ms;
	if (r.doc)
		secret_wipe(r.doc, strlen(r.doc));
	store_res_fini(&r);
	return rc;
}

RESULT acm_cert_remove(struct store *st, const char *id)
{
	GUARD(store_tag_del_all(st, id));
	return store_res_remove(st, id);
}

struct acm_walk {
	acm_cert_cb cb;
	void *arg;
};

static result_t acm_walk_cb(void *arg, const struct store_res *r)
{
	struct acm_walk *w = arg;
	struct acm_cert c;
	result_t rc;

	if (acm_from_row(r, &c) != E_OK)
		return E_OK; /* a damaged row is skipped, not fatal for listing */
	rc = w->cb(w->arg, &c);
	acm_cert_fini(&c);
	return rc;
}

RESULT acm_cert_foreach(struct store *st, acm_cert_cb cb, void *arg)
{
	struct acm_walk w = {cb, arg};

	return store_res_foreach(st, ACM_T_CERT, NULL, NULL, acm_walk_cb, &w);
}

RESULT acm_ca_chain(struct store *st, const char *arn, const char *region, const char *account,
                    char **out)
{
	char id[ACM_ID_LEN + 1];
	struct acm_cert c;

	*out = NULL;
	if (acm_arn_id(arn, region, account, id) != E_OK)
		return E_NOTFOUND;
	GUARD(acm_cert_get(st, id, &c));
	*out = strdup(c.chain_pem ? c.chain_pem : c.cert_pem);
	acm_cert_fini(&c);
	return *out ? E_OK : E_NOMEM;
}

struct acm_use {
	const char *arn;
	char *by;
	size_t bylen;
	bool used;
};

static result_t acm_use_cb(void *arg, const struct store_res *r)
{
	struct acm_use *u = arg;
	char quoted[ACM_ARN_MAX + 2];

	/* The endpoint document names certificates as JSON strings; an exact quoted match. */
	snprintf(quoted, sizeof(quoted), "\"%s\"", u->arn);
	if (!u->used && r->doc && strcmp(r->state, "deleted") != 0 && strstr(r->doc, quoted)) {
		u->used = true;
		snprintf(u->by, u->bylen, "%s", r->id);
	}
	return E_OK;
}

RESULT acm_cert_in_use(struct store *st, const char *arn, char *by, size_t bylen, bool *used)
{
	struct acm_use u = {arn, by, bylen, false};

	GUARD(store_res_foreach(st, ACM_CVPN_TYPE, NULL, NULL, acm_use_cb, &u));
	*used = u.used;
	return E_OK;
}

static RESULT acm_read_file(const char *path, char **out, size_t *len)
{
	FILE *f;
	size_t n;
	char *buf;

	*out = NULL;
	*len = 0;
	if (!path)
		return E_OK;
	f = fopen(path, "rb");
	if (!f)
		return E_SYSTEM;
	buf = malloc(ACM_FILE_MAX + 1);
	n = buf ? fread(buf, 1, ACM_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf)
		return E_NOMEM;
	if (n > ACM_FILE_MAX) {
		free(buf);
		return E_RANGE;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return E_OK;
}

void acm_new_id(char id[ACM_ID_LEN + 1])
{
	uint8_t b[16];
	char h[33];

	if (secret_random(b, sizeof(b)) != E_OK)
		memset(b, 0x5a, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 9562 5.4: version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), h);
	snprintf(id, ACM_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

RESULT acm_import_files(struct store *st, const char *region, const char *account,
                        const char *cert_path, const char *key_path, const char *chain_path,
                        char arn[ACM_ARN_MAX], char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL, *chain = NULL;
	size_t cl, kl, hl;
	struct acm_cert c;
	result_t rc;

	memset(&c, 0, sizeof(c));
	rc = acm_read_file(cert_path, &cert, &cl);
	if (rc == E_OK)
		rc = acm_read_file(key_path, &key, &kl);
	if (rc == E_OK)
		rc = acm_read_file(chain_path, &chain, &hl);
	if (rc != E_OK) {
		snprintf(err, errlen, "cannot read the certificate, key or chain file");
		goto out;
	}
	GUARD_OUT(rc, acm_cert_parse(cert, cl, key, kl, chain, hl, &c, err, errlen));
	acm_new_id(c.id);
	acm_arn_format(region, account, c.id, c.arn, sizeof(c.arn));
	c.imported_ms = store_now_ms();
	GUARD_OUT(rc, acm_cert_put(st, &c));
	snprintf(arn, ACM_ARN_MAX, "%s", c.arn);
out:
	if (key) {
		secret_wipe(key, kl);
		free(key);
	}
	free(cert);
	free(chain);
	acm_cert_fini(&c);
	ERR_clear_error();
	return rc;
}
