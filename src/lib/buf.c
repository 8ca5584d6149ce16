#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WBUF_DEFAULT_MAX ((size_t)64 << 20)

void rbuf_init(struct rbuf *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->off = 0;
}

size_t rbuf_remaining(const struct rbuf *r)
{
	return r->len - r->off;
}

size_t rbuf_offset(const struct rbuf *r)
{
	return r->off;
}

const uint8_t *rbuf_cur(const struct rbuf *r)
{
	return r->data ? r->data + r->off : NULL;
}

RESULT rbuf_get_ptr(struct rbuf *r, size_t n, const uint8_t **p)
{
	if (n > rbuf_remaining(r))
		return E_TRUNCATED;
	*p = r->data + r->off;
	r->off += n;
	return E_OK;
}

static uint64_t rbuf_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

RESULT rbuf_get_u8(struct rbuf *r, uint8_t *v)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, 1, &p));
	*v = p[0];
	return E_OK;
}

RESULT rbuf_get_u16(struct rbuf *r, uint16_t *v)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, 2, &p));
	*v = (uint16_t)rbuf_be(p, 2);
	return E_OK;
}

RESULT rbuf_get_u24(struct rbuf *r, uint32_t *v)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, 3, &p));
	*v = (uint32_t)rbuf_be(p, 3);
	return E_OK;
}

RESULT rbuf_get_u32(struct rbuf *r, uint32_t *v)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, 4, &p));
	*v = (uint32_t)rbuf_be(p, 4);
	return E_OK;
}

RESULT rbuf_get_u64(struct rbuf *r, uint64_t *v)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, 8, &p));
	*v = rbuf_be(p, 8);
	return E_OK;
}

RESULT rbuf_get_bytes(struct rbuf *r, void *dst, size_t n)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, n, &p));
	if (n)
		memcpy(dst, p, n);
	return E_OK;
}

RESULT rbuf_get_sub(struct rbuf *r, size_t n, struct rbuf *sub)
{
	const uint8_t *p;

	GUARD(rbuf_get_ptr(r, n, &p));
	rbuf_init(sub, p, n);
	return E_OK;
}

void rbuf_get_rest(struct rbuf *r, struct rbuf *sub)
{
	rbuf_init(sub, rbuf_cur(r), rbuf_remaining(r));
	r->off = r->len;
}

RESULT rbuf_skip(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	return rbuf_get_ptr(r, n, &p);
}

RESULT rbuf_peek_u8(const struct rbuf *r, uint8_t *v)
{
	if (rbuf_remaining(r) < 1)
		return E_TRUNCATED;
	*v = r->data[r->off];
	return E_OK;
}

RESULT rbuf_expect_end(const struct rbuf *r)
{
	return rbuf_remaining(r) ? E_TRAILING : E_OK;
}

void wbuf_init(struct wbuf *w, void *storage, size_t cap)
{
	w->data = storage;
	w->cap = storage ? cap : 0;
	w->len = 0;
	w->max = w->cap;
	w->dyn = false;
	w->err = E_OK;
}

void wbuf_init_dyn(struct wbuf *w, size_t initial, size_t max)
{
	wbuf_init(w, NULL, 0);
	w->dyn = true;
	w->max = max ? max : WBUF_DEFAULT_MAX;
	if (initial) {
		w->data = malloc(initial);
		if (w->data)
			w->cap = initial;
		else
			w->err = E_NOMEM;
	}
}

void wbuf_free(struct wbuf *w)
{
	if (w->dyn)
		free(w->data);
	w->data = NULL;
	w->cap = w->len = 0;
}

void wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->err = E_OK;
}

/* Make room for n more bytes (plus one for wbuf_cstr's NUL); false with err set otherwise. */
static bool wbuf_room(struct wbuf *w, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (w->err != E_OK)
		return false;
	if (n > w->max || w->len > w->max - n) {
		w->err = E_OVERFLOW;
		return false;
	}
	need = w->len + n;
	if (need <= w->cap)
		return true;
	if (!w->dyn) {
		w->err = E_OVERFLOW;
		return false;
	}
	ncap = w->cap ? w->cap : 256;
	while (ncap < need + 1)
		ncap = ncap * 2;
	p = realloc(w->data, ncap);
	if (!p) {
		w->err = E_NOMEM;
		return false;
	}
	w->data = p;
	w->cap = ncap;
	return true;
}

uint8_t *wbuf_append(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if (!wbuf_room(w, n))
		return NULL;
	p = w->data + w->len;
	w->len += n;
	return p;
}

static void wbuf_put_be(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t *p = wbuf_append(w, n);

	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

void wbuf_put_u8(struct wbuf *w, uint8_t v)
{
	wbuf_put_be(w, v, 1);
}

void wbuf_put_u16(struct wbuf *w, uint16_t v)
{
	wbuf_put_be(w, v, 2);
}

void wbuf_put_u24(struct wbuf *w, uint32_t v)
{
	wbuf_put_be(w, v & 0xffffffu, 3);
}

void wbuf_put_u32(struct wbuf *w, uint32_t v)
{
	wbuf_put_be(w, v, 4);
}

void wbuf_put_u64(struct wbuf *w, uint64_t v)
{
	wbuf_put_be(w, v, 8);
}

void wbuf_put_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wbuf_append(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void wbuf_put_zero(struct wbuf *w, size_t n)
{
	uint8_t *p = wbuf_append(w, n);

	if (p && n)
		memset(p, 0, n);
}

void wbuf_put_str(struct wbuf *w, const char *s)
{
	wbuf_put_bytes(w, s, strlen(s));
}

void wbuf_printf(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (w->err == E_OK)
			w->err = E_INVAL;
		return;
	}
	/* Room for the NUL vsnprintf writes; it is not counted in len. */
	if (!wbuf_room(w, (size_t)n + 1))
		return;
	p = w->data + w->len;
	va_start(ap, fmt);
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w->len += (size_t)n;
}

size_t wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t off = w->len;

	wbuf_put_zero(w, n);
	return off;
}

static void wbuf_fill_be(struct wbuf *w, size_t off, uint64_t v, size_t n)
{
	if (w->err != E_OK)
		return;
	if (off > w->len || n > w->len - off) {
		w->err = E_OVERFLOW;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->data[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

void wbuf_fill_u8(struct wbuf *w, size_t off, uint8_t v)
{
	wbuf_fill_be(w, off, v, 1);
}

void wbuf_fill_u16(struct wbuf *w, size_t off, uint16_t v)
{
	wbuf_fill_be(w, off, v, 2);
}

void wbuf_fill_u32(struct wbuf *w, size_t off, uint32_t v)
{
	wbuf_fill_be(w, off, v, 4);
}

const char *wbuf_cstr(struct wbuf *w)
{
	if (!wbuf_room(w, 1))
		return "";
	w->data[w->len] = 0;
	return (const char *)w->data;
}

RESULT wbuf_result(const struct wbuf *w)
{
	return w->err;
}
