/*
 * esp.c - ESP SA lifecycle, encapsulation and decapsulation (RFC 4303, RFC 4106, RFC 3602).
 */
#include <stdlib.h>
#include <string.h>

#include "esp/esp.h"
#include "esp/esp_internal.h"
#include "lib/buf.h"
#include "lib/secret.h"

/* Only the owning thread writes; others read. No lock prefix needed on the hot path. */
#define STAT_ADD(field, n)                                                                         \
	atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (n), \
			      memory_order_relaxed)

static RESULT esp_params_check(const struct esp_sa_params *p)
{
	if (p->dir != ESP_DIR_IN && p->dir != ESP_DIR_OUT)
		return E_INVAL;
	if (p->mode != ESP_MODE_TUNNEL && p->mode != ESP_MODE_TRANSPORT)
		return E_INVAL;
	/* RFC 4303 2.1: SPIs 1-255 are reserved by IANA, 0 is local use only (the published
	 * transport-mode vectors use such SPIs) */
	if (p->spi < 256 && p->mode == ESP_MODE_TUNNEL)
		return E_INVAL;
	if (p->encr_key_len > sizeof(p->encr_key) || p->integ_key_len > sizeof(p->integ_key))
		return E_INVAL;
	if (p->encr == CRYPTO_ENCR_AES_GCM_16 && p->integ != CRYPTO_INTEG_NONE)
		return E_INVAL;
	if (p->encr == CRYPTO_ENCR_AES_CBC && p->integ == CRYPTO_INTEG_NONE)
		return E_UNSUPPORTED; /* AWS offers no encryption-only ESP */
	if (p->replay_window != 0 && (p->replay_window < ESP_REPLAY_WINDOW_MIN ||
				      p->replay_window > ESP_REPLAY_WINDOW_MAX))
		return E_INVAL;
	return E_OK;
}

RESULT esp_sa_new(const struct esp_sa_params *p, struct esp_sa **out)
{
	struct esp_sa *sa = NULL;
	result_t rc;

	*out = NULL;
	GUARD(esp_params_check(p));
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return E_NOMEM;
	GUARD_OUT(rc, crypto_aead_new(p->encr, p->key_bits, p->integ, p->encr_key, p->encr_key_len,
				      p->integ_key, p->integ_key_len, &sa->aead));
	GUARD_OUT(rc, esp_replay_init(&sa->replay, p->replay_window ? p->replay_window
								 : ESP_REPLAY_WINDOW_DEFAULT));
	sa->spi = p->spi;
	sa->dir = p->dir;
	sa->mode = p->mode;
	sa->encr = p->encr;
	sa->iv_len = crypto_aead_iv_len(sa->aead);
	sa->icv_len = crypto_aead_icv_len(sa->aead);
	sa->block_len = crypto_aead_block_len(sa->aead);
	if (sa->iv_len > ESP_MAX_IV_LEN || sa->icv_len > CRYPTO_MAX_ICV_LEN || sa->block_len < 4 ||
	    sa->block_len > 16) {
		rc = E_UNSUPPORTED;
		goto out;
	}
	sa->local = p->local;
	sa->remote = p->remote;
	sa->encap = p->encap;
	sa->local_port = p->local_port;
	sa->remote_port = p->remote_port;
	sa->soft_packets = p->soft_packets;
	sa->hard_packets = p->hard_packets;
	sa->soft_bytes = p->soft_bytes;
	sa->hard_bytes = p->hard_bytes;
	sa->iv_pool_off = ESP_IV_POOL_LEN; /* empty: filled on first use */
	*out = sa;
	sa = NULL;
	rc = E_OK;
out:
	esp_sa_free(sa);
	return rc;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (!sa)
		return;
	crypto_aead_free(sa->aead);
	secret_wipe(sa->iv_pool, sizeof(sa->iv_pool));
	free(sa);
}

static size_t esp_pad_len(const struct esp_sa *sa, size_t inner_len)
{
	/* RFC 4303 2.4: payload + padding + 2 trailer bytes is a multiple of the block size
	 * (4 for GCM, 16 for CBC) */
	size_t rem = (inner_len + ESP_TRAILER_LEN) % sa->block_len;

	return rem ? sa->block_len - rem : 0;
}

size_t esp_sa_overhead(const struct esp_sa *sa, size_t inner_len)
{
	return ESP_HDR_LEN + sa->iv_len + esp_pad_len(sa, inner_len) + ESP_TRAILER_LEN +
	       sa->icv_len;
}

RESULT esp_packet_spi(const uint8_t *pkt, size_t len, uint32_t *spi)
{
	struct rbuf r;

	rbuf_init(&r, pkt, len);
	GUARD(rbuf_get_u32(&r, spi));
	if (rbuf_remaining(&r) < 4)
		return E_TRUNCATED;
	return E_OK;
}

/* Build SPI | Seq | IV in front of the payload and padding | pad len | NH after it, seal in
 * place, append the ICV. */
RESULT esp_seal(struct esp_sa *sa, uint32_t seq, const uint8_t *iv, uint8_t *buf, size_t cap,
		size_t inner_len, uint8_t next_header, struct esp_out *out)
{
	size_t hdr = ESP_HDR_LEN + sa->iv_len;
	size_t start = ESP_HEADROOM - hdr;
	size_t pad = esp_pad_len(sa, inner_len);
	size_t plen = inner_len + pad + ESP_TRAILER_LEN;
	uint8_t *icv;
	struct wbuf w;

	if (cap < ESP_HEADROOM || cap - ESP_HEADROOM < inner_len ||
	    cap - ESP_HEADROOM - inner_len < pad + ESP_TRAILER_LEN + sa->icv_len)
		return E_OVERFLOW;
	wbuf_init(&w, buf + start, hdr);
	wbuf_put_u32(&w, sa->spi);
	wbuf_put_u32(&w, seq);
	wbuf_put_bytes(&w, iv, sa->iv_len);
	GUARD(wbuf_result(&w));
	wbuf_init(&w, buf + ESP_HEADROOM + inner_len, cap - ESP_HEADROOM - inner_len);
	/* RFC 4303 2.4: padding bytes are 1, 2, 3, ... */
	for (size_t i = 1; i <= pad; i++)
		wbuf_put_u8(&w, (uint8_t)i);
	wbuf_put_u8(&w, (uint8_t)pad);
	wbuf_put_u8(&w, next_header);
	icv = wbuf_append(&w, sa->icv_len);
	GUARD(wbuf_result(&w));
	/* AAD = SPI || Seq (RFC 4106 5; for CBC the HMAC covers it, RFC 4303 3.3.2.1) */
	GUARD(crypto_aead_seal(sa->aead, buf + start, ESP_HDR_LEN, iv, buf + ESP_HEADROOM, plen,
			       icv));
	out->off = start;
	out->len = hdr + plen + sa->icv_len;
	return E_OK;
}

static RESULT esp_next_iv(struct esp_sa *sa, uint64_t seq, uint8_t *iv)
{
	if (sa->encr == CRYPTO_ENCR_AES_GCM_16) {
		struct wbuf w;

		/* RFC 4106 3.1: the IV may be a counter; the 64-bit sequence counter never
		 * repeats under one key */
		wbuf_init(&w, iv, 8);
		wbuf_put_u64(&w, seq);
		return wbuf_result(&w);
	}
	if (sa->iv_pool_off + sa->iv_len > ESP_IV_POOL_LEN) {
		GUARD(secret_random(sa->iv_pool, sizeof(sa->iv_pool)));
		sa->iv_pool_off = 0;
	}
	memcpy(iv, sa->iv_pool + sa->iv_pool_off, sa->iv_len);
	sa->iv_pool_off += sa->iv_len;
	return E_OK;
}

static bool esp_limit_crossed(uint64_t limit, uint64_t before, uint64_t after)
{
	return limit && before < limit && after >= limit;
}

RESULT esp_encapsulate(struct esp_sa *sa, uint8_t *buf, size_t cap, size_t inner_len,
		       uint8_t next_header, struct esp_out *out)
{
	uint8_t iv[ESP_MAX_IV_LEN];
	uint64_t pk = atomic_load_explicit(&sa->stats.packets, memory_order_relaxed);
	uint64_t by = atomic_load_explicit(&sa->stats.bytes, memory_order_relaxed);
	uint64_t seq = sa->seq + 1;

	out->soft_limit = false;
	if (sa->dir != ESP_DIR_OUT)
		return E_STATE;
	/* RFC 4303 3.3.3: never cycle the counter; a new SA must be negotiated */
	if (seq >= ESP_SEQ_HARD_LIMIT)
		return E_ESP_SEQ_EXHAUSTED;
	if ((sa->hard_packets && pk >= sa->hard_packets) ||
	    (sa->hard_bytes && by >= sa->hard_bytes))
		return E_ESP_LIFETIME;
	GUARD(esp_next_iv(sa, seq, iv));
	GUARD(esp_seal(sa, (uint32_t)seq, iv, buf, cap, inner_len, next_header, out));
	sa->seq = seq;
	STAT_ADD(sa->stats.packets, 1);
	STAT_ADD(sa->stats.bytes, inner_len);
	if (!sa->soft_signalled &&
	    (seq >= ESP_SEQ_SOFT_LIMIT || esp_limit_crossed(sa->soft_packets, pk, pk + 1) ||
	     esp_limit_crossed(sa->soft_bytes, by, by + inner_len))) {
		sa->soft_signalled = true;
		out->soft_limit = true;
	}
	return E_OK;
}

RESULT esp_trailer_parse(const uint8_t *plain, size_t len, enum esp_mode mode, size_t *inner_len,
			 uint8_t *next_header)
{
	struct rbuf r, pad;
	uint8_t pad_len, nh, b;

	if (len < ESP_TRAILER_LEN)
		return E_TRUNCATED;
	rbuf_init(&r, plain, len);
	GUARD(rbuf_skip(&r, len - ESP_TRAILER_LEN));
	GUARD(rbuf_get_u8(&r, &pad_len));
	GUARD(rbuf_get_u8(&r, &nh));
	/* RFC 4303 2.4: the pad length cannot exceed the payload in front of it */
	if (pad_len > len - ESP_TRAILER_LEN)
		return E_ESP_PAD;
	*inner_len = len - ESP_TRAILER_LEN - pad_len;
	rbuf_init(&r, plain, len - ESP_TRAILER_LEN);
	GUARD(rbuf_skip(&r, *inner_len));
	GUARD(rbuf_get_sub(&r, pad_len, &pad));
	/* RFC 4303 2.4: monotonic padding 1, 2, 3, ...; strongSwan and Linux check it */
	for (unsigned i = 1; i <= pad_len; i++) {
		GUARD(rbuf_get_u8(&pad, &b));
		if (b != i)
			return E_ESP_PAD;
	}
	/* RFC 4303 2.6: next header 59 marks a dummy packet, to be discarded */
	if (nh == ESP_NH_NONE)
		return E_ESP_DUMMY;
	/* RFC 4301 5.2: a tunnel-mode SA carries IP packets only */
	if (mode == ESP_MODE_TUNNEL && nh != ESP_NH_IPV4 && nh != ESP_NH_IPV6)
		return E_ESP_NEXT_HEADER;
	*next_header = nh;
	return E_OK;
}

struct esp_frame {
	uint32_t spi, seq;
	size_t iv_off, payload_off, payload_len, icv_off;
};

/* Stage 1: framing through rbuf, with the sizes checked before any crypto. */
static RESULT esp_frame_parse(const struct esp_sa *sa, const uint8_t *pkt, size_t len,
			      struct esp_frame *f)
{
	struct rbuf r, body;

	rbuf_init(&r, pkt, len);
	GUARD(rbuf_get_u32(&r, &f->spi));
	GUARD(rbuf_get_u32(&r, &f->seq));
	f->iv_off = rbuf_offset(&r);
	GUARD(rbuf_skip(&r, sa->iv_len));
	f->payload_off = rbuf_offset(&r);
	if (rbuf_remaining(&r) < sa->icv_len + ESP_TRAILER_LEN)
		return E_TRUNCATED;
	f->payload_len = rbuf_remaining(&r) - sa->icv_len;
	GUARD(rbuf_get_sub(&r, f->payload_len, &body));
	f->icv_off = rbuf_offset(&r);
	GUARD(rbuf_skip(&r, sa->icv_len));
	GUARD(rbuf_expect_end(&r));
	if (f->spi != sa->spi)
		return E_INVAL;
	/* RFC 4303 2.4: the ciphertext is a whole number of cipher blocks (CBC 16, GCM 4) */
	if (f->payload_len % sa->block_len)
		return E_INVAL;
	return E_OK;
}

RESULT esp_decapsulate(struct esp_sa *sa, uint8_t *pkt, size_t len, uint64_t now_ms,
		       struct esp_in *in)
{
	struct esp_frame f;
	result_t rc;

	if (sa->dir != ESP_DIR_IN)
		return E_STATE;
	rc = esp_frame_parse(sa, pkt, len, &f);
	if (rc != E_OK)
		goto out;
	/* RFC 4303 3.4.3: the replay check comes first, before the ICV, so a replayed packet
	 * costs no crypto */
	rc = esp_replay_check(&sa->replay, f.seq);
	if (rc != E_OK) {
		STAT_ADD(sa->stats.err_replay, 1);
		return rc;
	}
	rc = crypto_aead_open(sa->aead, pkt, ESP_HDR_LEN, pkt + f.iv_off, pkt + f.payload_off,
			      f.payload_len, pkt + f.icv_off);
	if (rc != E_OK) {
		if (rc == E_CRYPTO_AUTH)
			STAT_ADD(sa->stats.err_auth, 1);
		else
			STAT_ADD(sa->stats.err_other, 1);
		return rc;
	}
	/* RFC 4303 3.4.3: the window is updated only once the ICV verified */
	esp_replay_update(&sa->replay, f.seq);
	atomic_store_explicit(&sa->stats.last_ms, now_ms, memory_order_relaxed);
	rc = esp_trailer_parse(pkt + f.payload_off, f.payload_len, sa->mode, &in->len,
			       &in->next_header);
	if (rc != E_OK)
		goto out;
	in->off = f.payload_off;
	in->seq = f.seq;
	STAT_ADD(sa->stats.packets, 1);
	STAT_ADD(sa->stats.bytes, in->len);
	return E_OK;
out:
	STAT_ADD(sa->stats.err_other, 1);
	return rc;
}
