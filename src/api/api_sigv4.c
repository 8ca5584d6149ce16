/*
 * api/api_sigv4.c - AWS Signature Version 4 (AWS4-HMAC-SHA256) verification.
 *
 *   CanonicalRequest = Method '\n' CanonicalURI '\n' CanonicalQueryString '\n'
 *                      CanonicalHeaders '\n' SignedHeaders '\n' hex(SHA256(payload))
 *   StringToSign     = "AWS4-HMAC-SHA256" '\n' X-Amz-Date '\n' Scope '\n'
 *                      hex(SHA256(CanonicalRequest))
 *   kSigning         = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 *                      "aws4_request")
 *   Signature        = hex(HMAC(kSigning, StringToSign))
 */
#include "api/api_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/secret.h"

#define SIGV4_TOKEN_MAX 1200

/* Read up to the next ',' (or the end) into tok, trimmed; false when too long. */
static bool sigv4_next_token(struct rbuf *r, char *tok, size_t cap)
{
	size_t n = 0, start = 0;
	uint8_t c;

	while (rbuf_get_u8(r, &c) == E_OK && c != ',') {
		if (n + 1 >= cap)
			return false;
		tok[n++] = (char)c;
	}
	while (start < n && tok[start] == ' ')
		start++;
	while (n > start && tok[n - 1] == ' ')
		n--;
	memmove(tok, tok + start, n - start);
	tok[n - start] = 0;
	return true;
}

/* Split "AK/date/region/service/aws4_request". */
static bool sigv4_parse_credential(const char *v, struct sigv4_auth *out)
{
	char *parts[5], buf[512], *save = NULL, *p;
	size_t n = 0;

	if (strlen(v) >= sizeof(buf))
		return false;
	strcpy(buf, v);
	for (p = strtok_r(buf, "/", &save); p && n < 5; p = strtok_r(NULL, "/", &save))
		parts[n++] = p;
	if (n != 5 || p || strcmp(parts[4], "aws4_request") != 0 || strlen(parts[1]) != 8)
		return false;
	if (strlen(parts[0]) >= sizeof(out->access_key) ||
	    strlen(parts[2]) >= sizeof(out->region) || strlen(parts[3]) >= sizeof(out->service))
		return false;
	strcpy(out->access_key, parts[0]);
	strcpy(out->date, parts[1]);
	strcpy(out->region, parts[2]);
	strcpy(out->service, parts[3]);
	return true;
}

RESULT sigv4_parse_auth(const char *hdr, struct sigv4_auth *out, char *err, size_t errlen)
{
	const size_t alen = strlen(SIGV4_ALGORITHM);
	bool have_cred = false, have_sh = false, have_sig = false;
	char tok[SIGV4_TOKEN_MAX];
	struct rbuf r;

	memset(out, 0, sizeof(*out));
	if (strncmp(hdr, SIGV4_ALGORITHM " ", alen + 1) != 0) {
		snprintf(err, errlen, "Unsupported AWS 'algorithm': only %s is accepted.",
		         SIGV4_ALGORITHM);
		return E_API_AUTH;
	}
	rbuf_init(&r, hdr + alen + 1, strlen(hdr + alen + 1));
	while (rbuf_remaining(&r) > 0) {
		if (!sigv4_next_token(&r, tok, sizeof(tok))) {
			snprintf(err, errlen, "Authorization header component too long.");
			return E_API_AUTH;
		}
		if (strncmp(tok, "Credential=", 11) == 0) {
			if (!sigv4_parse_credential(tok + 11, out)) {
				snprintf(err, errlen,
				         "Authorization header Credential must be "
				         "<key>/<YYYYMMDD>/<region>/<service>/aws4_request.");
				return E_API_AUTH;
			}
			have_cred = true;
		} else if (strncmp(tok, "SignedHeaders=", 14) == 0 &&
		           strlen(tok + 14) < sizeof(out->signed_headers) && tok[14]) {
			strcpy(out->signed_headers, tok + 14);
			have_sh = true;
		} else if (strncmp(tok, "Signature=", 10) == 0 && strlen(tok + 10) == 64) {
			strcpy(out->signature, tok + 10);
			have_sig = true;
		}
	}
	if (!have_cred || !have_sh || !have_sig) {
		snprintf(err, errlen, "Authorization header requires '%s' parameter.",
		         !have_cred ? "Credential"
		         : !have_sh ? "SignedHeaders"
		                    : "Signature");
		return E_API_AUTH;
	}
	return E_OK;
}

/* RFC 3986 2.3 unreserved characters stay; everything else is %XX (upper-case hex). */
static void sigv4_uri_encode(struct wbuf *w, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			wbuf_put_u8(w, c);
		} else {
			wbuf_put_u8(w, '%');
			wbuf_put_u8(w, (uint8_t)hex[c >> 4]);
			wbuf_put_u8(w, (uint8_t)hex[c & 15]);
		}
	}
}

/* Percent-decode then re-encode one query component (name or value). */
static void sigv4_reencode(struct wbuf *w, struct rbuf *r)
{
	uint8_t c, h1, h2;

	while (rbuf_get_u8(r, &c) == E_OK) {
		if (c == '%') {
			struct rbuf save = *r;

			if (rbuf_get_u8(r, &h1) == E_OK && rbuf_get_u8(r, &h2) == E_OK &&
			    hex_digit_value((char)h1) >= 0 && hex_digit_value((char)h2) >= 0)
				c = (uint8_t)(hex_digit_value((char)h1) << 4 | hex_digit_value((char)h2));
			else
				*r = save;
		}
		sigv4_uri_encode(w, &c, 1);
	}
}

static int sigv4_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

RESULT sigv4_canonical_query(const char *query, struct wbuf *out)
{
	char **pairs = NULL;
	size_t n = 0, i, start = 0, len;
	result_t rc = E_OK;
	struct rbuf r;

	if (!query || !*query)
		return E_OK;
	len = strlen(query);
	for (i = 0; i <= len; i++) {
		size_t plen, eq;
		struct wbuf pw;
		char **np;

		if (i < len && query[i] != '&')
			continue;
		plen = i - start;
		if (plen > 0) {
			for (eq = 0; eq < plen && query[start + eq] != '='; eq++)
				;
			wbuf_init_dyn(&pw, plen * 3 + 2, 0);
			rbuf_init(&r, query + start, eq);
			sigv4_reencode(&pw, &r);
			/* \x01 sorts below every encoded byte: order by name, then value. */
			wbuf_put_u8(&pw, 1);
			if (eq < plen) {
				rbuf_init(&r, query + start + eq + 1, plen - eq - 1);
				sigv4_reencode(&pw, &r);
			}
			np = realloc(pairs, (n + 1) * sizeof(*np));
			if (!np || wbuf_result(&pw) != E_OK || !(np[n] = strdup(wbuf_cstr(&pw)))) {
				wbuf_free(&pw);
				if (np)
					pairs = np;
				rc = E_NOMEM;
				goto out;
			}
			pairs = np;
			n++;
			wbuf_free(&pw);
		}
		start = i + 1;
	}
	if (n > 1)
		qsort(pairs, n, sizeof(*pairs), sigv4_str_cmp);
	for (i = 0; i < n; i++) {
		char *sep = strchr(pairs[i], 1);

		if (sep)
			*sep = '=';
		if (i)
			wbuf_put_u8(out, '&');
		wbuf_put_str(out, pairs[i]);
	}
out:
	for (i = 0; i < n; i++)
		free(pairs[i]);
	free(pairs);
	return rc;
}

/* Trim and collapse runs of spaces (SigV4 canonical header value). */
static void sigv4_header_value(struct wbuf *w, const char *v)
{
	bool space = false, any = false;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = any;
			continue;
		}
		if (space)
			wbuf_put_u8(w, ' ');
		space = false;
		any = true;
		wbuf_put_u8(w, (uint8_t)*v);
	}
}

static void sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		memset(md, 0, sizeof(md));
	hex_encode(md, 32, out);
}

RESULT sigv4_canonical_request(const struct sigv4_input *in, const struct sigv4_auth *a,
                               struct wbuf *out, char *err, size_t errlen)
{
	char names[sizeof(a->signed_headers)], *save = NULL, *h, hash[65];
	const char *prev = "";
	bool have_host = false;

	wbuf_printf(out, "%s\n%s\n", in->method, in->path);
	GUARD(sigv4_canonical_query(in->query, out));
	wbuf_put_u8(out, '\n');
	strcpy(names, a->signed_headers);
	for (h = strtok_r(names, ";", &save); h; h = strtok_r(NULL, ";", &save)) {
		const char *v = in->header(in->header_arg, h);
		const char *c;

		for (c = h; *c; c++) {
			if (*c >= 'A' && *c <= 'Z') {
				snprintf(err, errlen, "SignedHeaders must be lower-case.");
				return E_API_AUTH;
			}
		}
		if (strcmp(h, prev) <= 0) {
			snprintf(err, errlen, "SignedHeaders must be sorted and unique.");
			return E_API_AUTH;
		}
		if (!v) {
			snprintf(err, errlen, "The signed header '%.64s' is not in the request.",
			         h);
			return E_API_AUTH;
		}
		have_host |= strcmp(h, "host") == 0;
		wbuf_printf(out, "%s:", h);
		sigv4_header_value(out, v);
		wbuf_put_u8(out, '\n');
		prev = h;
	}
	if (!have_host) {
		snprintf(err, errlen, "SignedHeaders must include 'host'.");
		return E_API_AUTH;
	}
	sigv4_sha256_hex(in->body, in->body_len, hash);
	wbuf_printf(out, "\n%s\n%s", a->signed_headers, hash);
	return wbuf_result(out);
}

RESULT sigv4_parse_amz_date(const char *s, int64_t *out)
{
	struct tm tm;
	int v[6], i, pos = 0;
	static const int widths[6] = {4, 2, 2, 2, 2, 2};

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return E_PARSE;
	for (i = 0; i < 6; i++) {
		int k;

		if (i == 3)
			pos++; /* the 'T' */
		v[i] = 0;
		for (k = 0; k < widths[i]; k++, pos++) {
			if (s[pos] < '0' || s[pos] > '9')
				return E_PARSE;
			v[i] = v[i] * 10 + (s[pos] - '0');
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return E_PARSE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = (int64_t)timegm(&tm);
	return E_OK;
}

static bool sigv4_hmac(const void *key, size_t klen, const void *data, size_t dlen, uint8_t out[32])
{
	unsigned olen = 0;

	return HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &olen) && olen == 32;
}

/* Signature = hex(HMAC(kSigning, string-to-sign)). */
static bool sigv4_sign(const char *secret, const struct sigv4_auth *a, const char *sts,
                       char out[65])
{
	uint8_t k[32], sig[32];
	char kdate[300];
	bool ok;
	int n;

	n = snprintf(kdate, sizeof(kdate), "AWS4%s", secret);
	ok = n > 0 && (size_t)n < sizeof(kdate) &&
	     sigv4_hmac(kdate, (size_t)n, a->date, strlen(a->date), k) &&
	     sigv4_hmac(k, 32, a->region, strlen(a->region), k) &&
	     sigv4_hmac(k, 32, a->service, strlen(a->service), k) &&
	     sigv4_hmac(k, 32, "aws4_request", 12, k) && sigv4_hmac(k, 32, sts, strlen(sts), sig);
	if (ok)
		hex_encode(sig, 32, out);
	secret_wipe(kdate, sizeof(kdate));
	secret_wipe(k, sizeof(k));
	secret_wipe(sig, sizeof(sig));
	return ok;
}

/* Scope and key checks before any hashing. */
static RESULT sigv4_check_scope(const struct sigv4_input *in, const struct sigv4_auth *a,
                                const struct sigv4_keys *keys, int64_t now_s, struct api_resp *rs,
                                const char **amz_date)
{
	int64_t t;

	*amz_date = in->header(in->header_arg, "x-amz-date");
	if (!*amz_date)
		return api_error(rs, 400, "IncompleteSignature",
		                 "Authorization header requires existence of the 'X-Amz-Date' "
		                 "header.");
	if (sigv4_parse_amz_date(*amz_date, &t) != E_OK)
		return api_error(rs, 400, "IncompleteSignature",
		                 "X-Amz-Date must have the form YYYYMMDDTHHMMSSZ.");
	if (t > now_s + SIGV4_MAX_SKEW_S || t < now_s - SIGV4_MAX_SKEW_S)
		return api_error(rs, 400, "RequestExpired",
		                 "Request has expired: X-Amz-Date %s differs from the server "
		                 "clock by more than 15 minutes.",
		                 *amz_date);
	if (strcmp(a->access_key, keys->access_key) != 0)
		return api_error(rs, 401, "AuthFailure",
		                 "AWS was not able to validate the provided access credentials.");
	if (strcmp(a->service, keys->service ? keys->service : "ec2") != 0)
		return api_error(rs, 401, "AuthFailure",
		                 "Credential should be scoped to correct service: '%s'.",
		                 keys->service ? keys->service : "ec2");
	if (strcmp(a->region, keys->region) != 0)
		return api_error(rs, 401, "AuthFailure",
		                 "Credential should be scoped to a valid region, not '%s'; this "
		                 "server serves '%s'.",
		                 a->region, keys->region);
	if (strncmp(a->date, *amz_date, 8) != 0)
		return api_error(rs, 403, "SignatureDoesNotMatch",
		                 "Date in Credential scope does not match YYYYMMDD from "
		                 "X-Amz-Date.");
	return E_OK;
}

RESULT sigv4_verify(const struct sigv4_input *in, const struct sigv4_keys *keys, int64_t now_s,
                    struct api_resp *rs)
{
	const char *hdr = in->header(in->header_arg, "authorization"), *amz_date = NULL;
	char err[256], crhash[65], sig[65];
	struct sigv4_auth a;
	struct wbuf cr, sts;
	result_t rc = E_OK;

	if (!hdr)
		return api_error(rs, 401, "MissingAuthenticationToken",
		                 "The request must contain an Authorization header signed with "
		                 "AWS Signature Version 4.");
	if (sigv4_parse_auth(hdr, &a, err, sizeof(err)) != E_OK)
		return api_error(rs, 400, "IncompleteSignature", "%s", err);
	GUARD(sigv4_check_scope(in, &a, keys, now_s, rs, &amz_date));
	wbuf_init_dyn(&cr, 1024, 1 << 20);
	wbuf_init_dyn(&sts, 256, 4096);
	rc = sigv4_canonical_request(in, &a, &cr, err, sizeof(err));
	if (rc == E_API_AUTH) {
		rc = api_error(rs, 400, "IncompleteSignature", "%s", err);
		goto out;
	}
	GUARD_OUT(rc, rc);
	sigv4_sha256_hex(cr.data, cr.len, crhash);
	wbuf_printf(&sts, "%s\n%s\n%s/%s/%s/aws4_request\n%s", SIGV4_ALGORITHM, amz_date, a.date,
	            a.region, a.service, crhash);
	GUARD_OUT(rc, wbuf_result(&sts));
	if (!sigv4_sign(keys->secret_key, &a, wbuf_cstr(&sts), sig)) {
		rc = E_CRYPTO;
		goto out;
	}
	if (!secret_equal(sig, a.signature, 64))
		rc =
		    api_error(rs, 403, "SignatureDoesNotMatch",
		              "The request signature we calculated does not match the signature "
		              "you provided. Check your AWS Secret Access Key and signing method.");
out:
	wbuf_free(&cr);
	wbuf_free(&sts);
	return rc;
}
