/*
 * api/api_form.c - application/x-www-form-urlencoded decoding and the parameter map.
 *
 * ec2-api.md 2.1: botocore encodes the body with Python urlencode (quote_plus): a space is '+',
 * everything else outside the unreserved set is %XX of its UTF-8 bytes. We decode both, reject
 * broken escapes, NUL and other control characters (except TAB, LF, CR) and invalid UTF-8
 * (they could not be echoed back in XML), and refuse duplicate names (botocore never sends
 * them; accepting one of two values silently would hide a client bug).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_req.h"
#include "lib/secret.h"

/* RFC 3629 section 4: UTF-8 syntax, without overlongs or surrogates. */
static bool api_utf8_valid(struct rbuf *r)
{
	uint8_t c, c2;
	size_t n, i;
	uint32_t cp, min;

	while (rbuf_get_u8(r, &c) == E_OK) {
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (i = 0; i < n; i++) {
			if (rbuf_get_u8(r, &c2) != E_OK || (c2 & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (c2 & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* Check a decoded name or value; a message in err when it is not acceptable. */
static bool api_text_ok(const struct wbuf *b, bool is_name, char *err, size_t errlen)
{
	struct rbuf r;
	uint8_t c;

	if (is_name && b->len == 0) {
		snprintf(err, errlen, "A parameter name is empty.");
		return false;
	}
	if (is_name && b->len > API_NAME_MAX) {
		snprintf(err, errlen, "A parameter name is longer than %d bytes.", API_NAME_MAX);
		return false;
	}
	rbuf_init(&r, b->data, b->len);
	while (rbuf_get_u8(&r, &c) == E_OK) {
		if (c < 0x20 && !(!is_name && (c == '\t' || c == '\n' || c == '\r'))) {
			snprintf(err, errlen,
			         "A parameter %s contains the control character 0x%02x.",
			         is_name ? "name" : "value", c);
			return false;
		}
	}
	rbuf_init(&r, b->data, b->len);
	if (!api_utf8_valid(&r)) {
		snprintf(err, errlen, "A parameter %s is not valid UTF-8.",
		         is_name ? "name" : "value");
		return false;
	}
	return true;
}

static RESULT api_params_add(struct api_params *p, struct wbuf *name, struct wbuf *value)
{
	struct api_param *nv;
	char *n, *v;

	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;

		nv = realloc(p->v, ncap * sizeof(*nv));
		if (!nv)
			return E_NOMEM;
		p->v = nv;
		p->cap = ncap;
	}
	n = strndup(wbuf_cstr(name), name->len);
	v = strndup(wbuf_cstr(value), value->len);
	if (!n || !v) {
		free(n);
		free(v);
		return E_NOMEM;
	}
	p->v[p->n].name = n;
	p->v[p->n].value = v;
	p->n++;
	return E_OK;
}

static int api_param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct api_param *)a)->name, ((const struct api_param *)b)->name);
}

/* Finish one name=value pair (skipping empty segments like "&&"). */
static RESULT api_form_pair(struct api_params *out, struct wbuf *name, struct wbuf *value,
                            bool seen_eq, char *err, size_t errlen)
{
	if (name->len == 0 && value->len == 0 && !seen_eq)
		return E_OK;
	GUARD(wbuf_result(name));
	GUARD(wbuf_result(value));
	if (!api_text_ok(name, true, err, errlen) || !api_text_ok(value, false, err, errlen))
		return E_API_FORM;
	if (out->n >= API_PARAMS_MAX) {
		snprintf(err, errlen, "The request has more than %d parameters.", API_PARAMS_MAX);
		return E_API_FORM;
	}
	return api_params_add(out, name, value);
}

static RESULT api_form_decode(struct rbuf *in, struct api_params *out, struct wbuf *name,
                              struct wbuf *value, char *err, size_t errlen)
{
	struct wbuf *cur = name;
	bool seen_eq = false;
	uint8_t c, h1, h2;

	while (rbuf_get_u8(in, &c) == E_OK) {
		if (c == '&') {
			GUARD(api_form_pair(out, name, value, seen_eq, err, errlen));
			wbuf_reset(name);
			wbuf_reset(value);
			cur = name;
			seen_eq = false;
		} else if (c == '=' && !seen_eq) {
			seen_eq = true;
			cur = value;
		} else if (c == '+') {
			wbuf_put_u8(cur, ' ');
		} else if (c == '%') {
			if (rbuf_get_u8(in, &h1) != E_OK || rbuf_get_u8(in, &h2) != E_OK ||
			    hex_digit_value((char)h1) < 0 || hex_digit_value((char)h2) < 0) {
				snprintf(err, errlen,
				         "Malformed percent-encoding near byte %zu: '%%' must be "
				         "followed by two hex digits.",
				         rbuf_offset(in));
				return E_API_FORM;
			}
			wbuf_put_u8(cur, (uint8_t)(hex_digit_value((char)h1) << 4 |
			                            hex_digit_value((char)h2)));
		} else {
			wbuf_put_u8(cur, c);
		}
	}
	return api_form_pair(out, name, value, seen_eq, err, errlen);
}

RESULT api_form_parse(struct rbuf *in, struct api_params *out, char *err, size_t errlen)
{
	struct wbuf name, value;
	result_t rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(err, errlen, "Malformed request.");
	wbuf_init_dyn(&name, 64, API_NAME_MAX + 16);
	wbuf_init_dyn(&value, 256, 0);
	rc = api_form_decode(in, out, &name, &value, err, errlen);
	wbuf_free(&name);
	wbuf_free(&value);
	if (rc == E_OVERFLOW) {
		snprintf(err, errlen, "A parameter name is longer than %d bytes.", API_NAME_MAX);
		rc = E_API_FORM;
	}
	if (rc != E_OK)
		goto fail;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), api_param_cmp);
	for (i = 1; i < out->n; i++) {
		if (strcmp(out->v[i - 1].name, out->v[i].name) == 0) {
			snprintf(err, errlen, "The parameter %.200s appears more than once.",
			         out->v[i].name);
			rc = E_API_FORM;
			goto fail;
		}
	}
	return E_OK;
fail:
	api_params_fini(out);
	return rc;
}

void api_params_fini(struct api_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const char *api_param(const struct api_params *p, const char *name)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->v[mid].name, name);

		if (c == 0)
			return p->v[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *api_paramf(const struct api_params *p, const char *fmt, ...)
{
	char name[API_NAME_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(name))
		return NULL;
	return api_param(p, name);
}

/* The N of "<prefix>.N[.rest]"; false when name has another shape. */
static bool api_param_index(const char *name, const char *prefix, size_t plen, uint32_t *n)
{
	const char *s;
	uint64_t v = 0;

	if (strncmp(name, prefix, plen) != 0 || name[plen] != '.')
		return false;
	s = name + plen + 1;
	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (*s != 0 && *s != '.')
		return false;
	*n = (uint32_t)v;
	return true;
}

static int api_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t api_param_indices(const struct api_params *p, const char *prefix, uint32_t *idx, size_t cap)
{
	size_t plen = strlen(prefix), i, j, n = 0;
	uint32_t v;

	for (i = 0; i < p->n && n < cap; i++) {
		if (!api_param_index(p->v[i].name, prefix, plen, &v))
			continue;
		for (j = 0; j < n && idx[j] != v; j++)
			;
		if (j == n)
			idx[n++] = v;
	}
	if (n > 1)
		qsort(idx, n, sizeof(*idx), api_u32_cmp);
	return n;
}
