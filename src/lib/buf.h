/*
 * buf.h - the one buffer API.
 *
 * struct rbuf is a bounds-checked read cursor over bytes the caller owns. Every parser of
 * untrusted bytes reads through it: no pointer arithmetic on packets elsewhere. Every getter
 * either succeeds and advances, or returns E_TRUNCATED and leaves the cursor where it was.
 * Integers are read in network byte order.
 *
 * struct wbuf is a writer. It writes into caller storage (fixed) or into heap storage it grows
 * (dynamic, wbuf_init_dyn / wbuf_free). Writes are sticky-error: a write that does not fit sets
 * `err` and every later write is ignored, so builders write straight through and check once with
 * wbuf_result(). Length fields are reserved with wbuf_reserve() and filled later with
 * wbuf_fill_u16/u32().
 *
 * Neither type is thread-safe; each is owned by one thread at a time.
 */
#ifndef GH_LIB_BUF_H
#define GH_LIB_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct rbuf {
	const uint8_t *data;
	size_t len;
	size_t off;
};

void rbuf_init(struct rbuf *r, const void *data, size_t len);
size_t rbuf_remaining(const struct rbuf *r);
size_t rbuf_offset(const struct rbuf *r);

RESULT rbuf_get_u8(struct rbuf *r, uint8_t *v);
RESULT rbuf_get_u16(struct rbuf *r, uint16_t *v);
RESULT rbuf_get_u24(struct rbuf *r, uint32_t *v);
RESULT rbuf_get_u32(struct rbuf *r, uint32_t *v);
RESULT rbuf_get_u64(struct rbuf *r, uint64_t *v);
/* Copy n bytes out. */
RESULT rbuf_get_bytes(struct rbuf *r, void *dst, size_t n);
/* Borrow a pointer to the next n bytes (valid as long as the underlying data). */
RESULT rbuf_get_ptr(struct rbuf *r, size_t n, const uint8_t **p);
/* Split off the next n bytes as a sub-reader; the parent advances past them. */
RESULT rbuf_get_sub(struct rbuf *r, size_t n, struct rbuf *sub);
/* Everything left, as a sub-reader; the parent ends up empty. */
void rbuf_get_rest(struct rbuf *r, struct rbuf *sub);
RESULT rbuf_skip(struct rbuf *r, size_t n);
/* Look at the next byte without consuming it. */
RESULT rbuf_peek_u8(const struct rbuf *r, uint8_t *v);
/* E_TRAILING unless the reader is exhausted. */
RESULT rbuf_expect_end(const struct rbuf *r);
/* Pointer to the unread bytes (rbuf_remaining() of them). */
const uint8_t *rbuf_cur(const struct rbuf *r);

struct wbuf {
	uint8_t *data;
	size_t cap;
	size_t len;
	size_t max; /* dynamic buffers never grow past this */
	bool dyn;
	result_t err;
};

void wbuf_init(struct wbuf *w, void *storage, size_t cap);
/* A growable buffer; `max` bounds its size (0 = 64 MiB). Free with wbuf_free(). */
void wbuf_init_dyn(struct wbuf *w, size_t initial, size_t max);
void wbuf_free(struct wbuf *w);
/* Forget the contents but keep the storage and clear the error. */
void wbuf_reset(struct wbuf *w);

void wbuf_put_u8(struct wbuf *w, uint8_t v);
void wbuf_put_u16(struct wbuf *w, uint16_t v);
void wbuf_put_u24(struct wbuf *w, uint32_t v);
void wbuf_put_u32(struct wbuf *w, uint32_t v);
void wbuf_put_u64(struct wbuf *w, uint64_t v);
void wbuf_put_bytes(struct wbuf *w, const void *src, size_t n);
void wbuf_put_zero(struct wbuf *w, size_t n);
void wbuf_put_str(struct wbuf *w, const char *s);
void wbuf_printf(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reserve n bytes to fill later; returns their offset (meaningless once w->err is set). */
size_t wbuf_reserve(struct wbuf *w, size_t n);
/* Pointer to n writable bytes at the end, advancing len; NULL (and err set) when they do not fit. */
uint8_t *wbuf_append(struct wbuf *w, size_t n);
void wbuf_fill_u8(struct wbuf *w, size_t off, uint8_t v);
void wbuf_fill_u16(struct wbuf *w, size_t off, uint16_t v);
void wbuf_fill_u32(struct wbuf *w, size_t off, uint32_t v);
/* NUL-terminate without counting the NUL (for text buffers). */
const char *wbuf_cstr(struct wbuf *w);
RESULT wbuf_result(const struct wbuf *w);

#endif
