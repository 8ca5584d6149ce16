/*
 * esp.h - ESP security associations (RFC 4303), tunnel mode, optionally UDP-encapsulated
 * (RFC 3948).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |               Security Parameters Index (SPI)                 | ^Int.
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *  |                      Sequence Number                          | |ered
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 *  |                    IV (8 octets GCM, 16 CBC)                  | |   ^
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 *  |                    Payload Data (inner IP packet)             | |Conf.
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *  |               |     Padding (0-255 bytes: 1, 2, 3, ...)       | |ered*
 *  +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 *  |                               |  Pad Length   | Next Header   | v   v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 *  |         Integrity Check Value (16 GCM, 12-32 HMAC)            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * AAD / authenticated header = SPI || Seq (8 octets; no ESN: AWS does not negotiate it).
 * GCM IV = the 64-bit sequence counter (RFC 4106 3.1: a counter is allowed; unique per key).
 * CBC IV = 16 random bytes from a per-SA pool refilled from the CSPRNG (RFC 3602 2.1: the IV
 * must be unpredictable), so there is no RNG call per packet.
 *
 * Threads: an esp_sa is created and freed by the control thread. Its packet functions
 * (esp_encapsulate for an outbound SA, esp_decapsulate for an inbound one) are called by ONE
 * data-plane thread at a time; the counters in struct esp_sa_stats may be read by any thread
 * (relaxed atomics, written only by that owner).
 *
 * No allocation after esp_sa_new: the packet functions work in place on the caller's buffer.
 * Errors of the packet functions: E_TRUNCATED (shorter than the framing), E_INVAL (CBC payload
 * not block-aligned, SPI mismatch), E_ESP_REPLAY, E_CRYPTO_AUTH (ICV), E_ESP_PAD,
 * E_ESP_NEXT_HEADER, E_ESP_DUMMY (next header 59: drop silently), E_ESP_SEQ_EXHAUSTED,
 * E_ESP_LIFETIME, E_OVERFLOW (buffer too small to encapsulate).
 */
#ifndef GH_ESP_ESP_H
#define GH_ESP_ESP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "lib/addr.h"
#include "lib/err.h"

/* site-to-site.md 2 #18: "Replay window size (packets) 64 - 2048, default 1024". */
#define ESP_REPLAY_WINDOW_MIN 64
#define ESP_REPLAY_WINDOW_MAX 2048
#define ESP_REPLAY_WINDOW_DEFAULT 1024
/* RFC 6479 ring of 64-bit words: one word more than the window needs, a power of two. */
#define ESP_REPLAY_WORDS_MAX 64

#define ESP_HDR_LEN 8 /* SPI + Seq */
#define ESP_MAX_IV_LEN 16
#define ESP_TRAILER_LEN 2 /* Pad Length + Next Header */
/* Bytes to leave in front of the inner packet for esp_encapsulate (SPI, Seq, largest IV). */
#define ESP_HEADROOM (ESP_HDR_LEN + ESP_MAX_IV_LEN)
/* Bytes to leave after the inner packet: padding to a 16-octet block, trailer, largest ICV. */
#define ESP_TAILROOM (15 + ESP_TRAILER_LEN + CRYPTO_MAX_ICV_LEN)

/* RFC 4303 2.6 / IANA protocol numbers for the Next Header field. */
#define ESP_NH_IPV4 4
#define ESP_NH_IPV6 41
#define ESP_NH_NONE 59 /* dummy packet (TFC), RFC 4303 2.6 */

#define ESP_MAX_ENCR_KEY_LEN 36 /* AES-256 key + 4-octet GCM salt */
#define ESP_MAX_INTEG_KEY_LEN 64

/* RFC 4303 3.3.3: the sender's counter MUST NOT cycle. Rekey is signalled at the soft limit,
 * sending is refused from ESP_SEQ_HARD_LIMIT on (so 2^32 - 1 is never put on the wire). */
#define ESP_SEQ_SOFT_LIMIT 0xF0000000u
#define ESP_SEQ_HARD_LIMIT 0xFFFFFFFFu

enum esp_dir {
	ESP_DIR_IN = 0,
	ESP_DIR_OUT = 1,
};

enum esp_mode {
	ESP_MODE_TUNNEL = 0,    /* AWS: next header 4 or 41 only */
	ESP_MODE_TRANSPORT = 1, /* only for published vectors: any next header but 59 */
};

/* Everything needed to install one SA (one direction). IKE fills it in; the key material is
 * copied by esp_sa_new, so the caller wipes its copy. */
struct esp_sa_params {
	uint32_t spi; /* host order; the SPI the receiver chose */
	enum esp_dir dir;
	enum esp_mode mode;
	uint16_t encr;     /* CRYPTO_ENCR_AES_CBC or CRYPTO_ENCR_AES_GCM_16 */
	unsigned key_bits; /* 128 or 256 */
	uint16_t integ;    /* CRYPTO_INTEG_*; CRYPTO_INTEG_NONE for GCM */
	uint8_t encr_key[ESP_MAX_ENCR_KEY_LEN]; /* GCM: key || salt (RFC 4106 8.1) */
	size_t encr_key_len;
	uint8_t integ_key[ESP_MAX_INTEG_KEY_LEN];
	size_t integ_key_len;
	uint32_t replay_window; /* packets, 64-2048; 0 = default 1024 (inbound only) */
	/* Outer addresses (outbound: where to send; inbound: informational) */
	struct addr local, remote;
	bool encap; /* RFC 3948 UDP encapsulation */
	uint16_t local_port, remote_port; /* host order, usually 4500 */
	/* Optional lifetimes; 0 = none. Soft: signal rekey; hard: stop using the SA. */
	uint64_t soft_packets, hard_packets;
	uint64_t soft_bytes, hard_bytes;
};

/* RFC 4303 3.4.3 anti-replay window, RFC 6479 bitmap ring. */
struct esp_replay {
	uint64_t top;    /* highest authenticated sequence number */
	uint32_t window; /* packets */
	uint32_t mask;   /* words - 1 */
	uint64_t bits[ESP_REPLAY_WORDS_MAX];
};

/* Written by the owning data-plane thread, read by anyone (relaxed). */
struct esp_sa_stats {
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes; /* inner bytes */
	_Atomic uint64_t err_auth;
	_Atomic uint64_t err_replay;
	_Atomic uint64_t err_other;
	_Atomic uint64_t last_ms; /* clock_mono_ms of the last good packet (DPD) */
};

#define ESP_IV_POOL_LEN 512

struct esp_sa {
	uint32_t spi;
	enum esp_dir dir;
	enum esp_mode mode;
	uint16_t encr;
	struct crypto_aead *aead;
	size_t iv_len, icv_len, block_len;
	uint64_t seq; /* outbound: last sequence number sent */
	struct esp_replay replay;
	struct addr local, remote;
	bool encap;
	uint16_t local_port, remote_port;
	uint64_t soft_packets, hard_packets, soft_bytes, hard_bytes;
	bool soft_signalled; /* set once when a soft limit is first crossed */
	struct esp_sa_stats stats;
	size_t iv_pool_off; /* CBC only */
	uint8_t iv_pool[ESP_IV_POOL_LEN];
};

/* E_INVAL on bad parameters (window out of range, key lengths), E_UNSUPPORTED on unknown
 * algorithms, E_NOMEM, E_CRYPTO. */
RESULT esp_sa_new(const struct esp_sa_params *p, struct esp_sa **out);
void esp_sa_free(struct esp_sa *sa);

/* Bytes ESP adds to an inner packet of inner_len bytes (header, IV, padding, trailer, ICV). */
size_t esp_sa_overhead(const struct esp_sa *sa, size_t inner_len);

/* The SPI of a received ESP packet (cheap, before any SA lookup). E_TRUNCATED if < 8 bytes. */
RESULT esp_packet_spi(const uint8_t *pkt, size_t len, uint32_t *spi);

struct esp_out {
	size_t off;       /* where the ESP packet starts in the buffer */
	size_t len;       /* its length */
	bool soft_limit;  /* true exactly once: a soft limit was crossed, rekey now */
};

/* Outbound, in place. buf[ESP_HEADROOM .. ESP_HEADROOM + inner_len) holds the inner packet;
 * cap must leave ESP_TAILROOM after it. next_header is ESP_NH_IPV4 or ESP_NH_IPV6. */
RESULT esp_encapsulate(struct esp_sa *sa, uint8_t *buf, size_t cap, size_t inner_len,
		       uint8_t next_header, struct esp_out *out);

struct esp_in {
	size_t off; /* inner packet offset in the buffer */
	size_t len;
	uint8_t next_header;
	uint32_t seq;
};

/* Inbound, in place: replay check (before the ICV), ICV (constant time), window update,
 * padding and next-header checks. now_ms updates the last-inbound time for DPD. */
RESULT esp_decapsulate(struct esp_sa *sa, uint8_t *pkt, size_t len, uint64_t now_ms,
		       struct esp_in *in);

/* Replay window (exposed for tests). */
RESULT esp_replay_init(struct esp_replay *r, uint32_t window);
/* E_OK when seq may be accepted (not yet seen, inside or ahead of the window). */
RESULT esp_replay_check(const struct esp_replay *r, uint32_t seq);
/* Mark seq as received; call only after the ICV verified. */
void esp_replay_update(struct esp_replay *r, uint32_t seq);

#endif
