/*
 * crypto_bench.c - throughput of crypto_aead seal/open, the ESP per-packet crypto.
 *
 *   crypto_bench [-t seconds-per-cell]
 *
 * For each suite AWS offers for ESP and each packet size, one object seals (encrypts +
 * computes the ICV) and another opens (verifies + decrypts) the same packets in place, on one
 * thread, as an ESP worker does. Columns:
 *   seal      seal only, back to back on one buffer
 *   open      (seal+open pair time) - (seal time), per packet
 *   seal+open one packet through both ends
 *   anchor    raw OpenSSL EVP with no per-packet set-up (AES-GCM: one long GCM stream; CBC:
 *             one CBC stream, no HMAC) - an upper bound, what `openssl speed -evp` reports
 * Gbit/s counts payload bytes (the len given to seal/open), not headers or the ICV.
 *
 * A second table gives the IKE side: per DH group, the time of one responder's work in an
 * IKE_SA_INIT or CREATE_CHILD_SA with PFS (crypto_dh_new + crypto_dh_public + crypto_dh_shared).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "lib/secret.h"

struct bench_suite {
	const char *name;
	uint16_t encr;
	unsigned bits;
	uint16_t integ;
	const char *evp_name; /* anchor cipher */
};

static const struct bench_suite bench_suites[] = {
    {"AES128-GCM-16", CRYPTO_ENCR_AES_GCM_16, 128, CRYPTO_INTEG_NONE, "AES-128-GCM"},
    {"AES256-GCM-16", CRYPTO_ENCR_AES_GCM_16, 256, CRYPTO_INTEG_NONE, "AES-256-GCM"},
    {"AES128-CBC+HMAC-SHA1-96", CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96, "AES-128-CBC"},
    {"AES256-CBC+HMAC-SHA2-256-128", CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_256_128,
     "AES-256-CBC"},
};

/* ESP payload sizes; CBC payloads are whole blocks (the caller pads), so 1400 -> 1392 there */
static const size_t bench_sizes[] = {64, 512, 1400};

#define BENCH_BATCH 256 /* packets between clock reads */

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench_result {
	double seal_ns, pair_ns, anchor_ns; /* per packet */
};

/* Runs fn(ctx) in batches for at least secs seconds; returns ns per call, or -1. */
static double bench_loop(int (*fn)(void *), void *ctx, double secs)
{
	double t0 = bench_now(), t;
	unsigned long n = 0;

	do {
		for (unsigned i = 0; i < BENCH_BATCH; i++)
			if (fn(ctx) != 0)
				return -1;
		n += BENCH_BATCH;
		t = bench_now();
	} while (t - t0 < secs);
	return (t - t0) * 1e9 / (double)n;
}

struct bench_ctx {
	struct crypto_aead *tx, *rx;
	EVP_CIPHER_CTX *evp;
	uint8_t buf[2048], aad[8], iv[16], icv[CRYPTO_MAX_ICV_LEN];
	size_t len;
	uint64_t seq;
};

static void bench_next_iv(struct bench_ctx *c)
{
	/* a counter IV, as ESP uses for GCM (RFC 4106 3.1); also fine for the benchmark's CBC */
	c->seq++;
	memcpy(c->iv, &c->seq, sizeof(c->seq));
	memcpy(c->aad + 4, &c->seq, 4);
}

static int bench_seal(void *arg)
{
	struct bench_ctx *c = arg;

	bench_next_iv(c);
	return crypto_aead_seal(c->tx, c->aad, sizeof(c->aad), c->iv, c->buf, c->len, c->icv);
}

static int bench_pair(void *arg)
{
	struct bench_ctx *c = arg;

	bench_next_iv(c);
	if (crypto_aead_seal(c->tx, c->aad, sizeof(c->aad), c->iv, c->buf, c->len, c->icv))
		return 1;
	return crypto_aead_open(c->rx, c->aad, sizeof(c->aad), c->iv, c->buf, c->len, c->icv);
}

static int bench_anchor(void *arg)
{
	struct bench_ctx *c = arg;
	int n = 0;

	return EVP_EncryptUpdate(c->evp, c->buf, &n, c->buf, (int)c->len) == 1 ? 0 : 1;
}

static EVP_CIPHER_CTX *bench_evp_new(const char *name, const uint8_t *key)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	static const uint8_t iv[16];

	if (!cipher || !ctx || !EVP_EncryptInit_ex2(ctx, cipher, key, iv, NULL)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_CIPHER_free(cipher);
	return ctx;
}

static int bench_cell(const struct bench_suite *s, size_t size, double secs, struct bench_result *r)
{
	struct bench_ctx *c = calloc(1, sizeof(*c));
	uint8_t key[64];
	int rc = 1;

	if (!c || secret_random(key, sizeof(key)) != E_OK ||
	    secret_random(c->buf, sizeof(c->buf)) != E_OK)
		goto out;
	c->len = s->encr == CRYPTO_ENCR_AES_CBC ? size / 16 * 16 : size;
	if (crypto_aead_new(s->encr, s->bits, s->integ, key,
			    crypto_encr_keymat_len(s->encr, s->bits), key + 36,
			    crypto_integ_key_len(s->integ), &c->tx) != E_OK ||
	    crypto_aead_new(s->encr, s->bits, s->integ, key,
			    crypto_encr_keymat_len(s->encr, s->bits), key + 36,
			    crypto_integ_key_len(s->integ), &c->rx) != E_OK)
		goto out;
	c->evp = bench_evp_new(s->evp_name, key);
	if (!c->evp)
		goto out;
	r->seal_ns = bench_loop(bench_seal, c, secs);
	r->pair_ns = bench_loop(bench_pair, c, secs);
	r->anchor_ns = bench_loop(bench_anchor, c, secs);
	rc = r->seal_ns < 0 || r->pair_ns < 0 || r->anchor_ns < 0;
out:
	if (c) {
		crypto_aead_free(c->tx);
		crypto_aead_free(c->rx);
		EVP_CIPHER_CTX_free(c->evp);
		free(c);
	}
	secret_wipe(key, sizeof(key));
	return rc;
}

static double gbps(size_t len, double ns)
{
	return ns > 0 ? (double)len * 8.0 / ns : 0.0;
}

static double kpps(double ns)
{
	return ns > 0 ? 1e6 / ns : 0.0;
}

static void bench_print_row(const struct bench_suite *s, size_t len, const struct bench_result *r)
{
	double open_ns = r->pair_ns - r->seal_ns;

	printf("%-29s %5zu | %7.2f %8.0f | %7.2f %8.0f | %7.2f %8.0f | %7.2f\n", s->name, len,
	       gbps(len, r->seal_ns), kpps(r->seal_ns), gbps(len, open_ns), kpps(open_ns),
	       gbps(len, r->pair_ns), kpps(r->pair_ns), gbps(len, r->anchor_ns));
}

static const uint16_t bench_groups[] = {2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};

/* One side of an exchange: new key pair, its public value, the shared secret with peer. */
static int bench_dh_once(uint16_t group, const uint8_t *peer, size_t peer_len)
{
	struct crypto_dh *dh = NULL;
	uint8_t pub[CRYPTO_MAX_DH_PUB_LEN], z[CRYPTO_MAX_DH_SHARED_LEN];
	size_t len;
	int rc = crypto_dh_new(group, &dh) != E_OK ||
		 crypto_dh_public(dh, pub, sizeof(pub), &len) != E_OK ||
		 crypto_dh_shared(dh, peer, peer_len, z, sizeof(z), &len) != E_OK;

	secret_wipe(z, sizeof(z));
	crypto_dh_free(dh);
	return rc;
}

static int bench_dh(double secs)
{
	printf("\n%-6s %8s %10s\n", "group", "ms/op", "ops/s");
	for (size_t i = 0; i < sizeof(bench_groups) / sizeof(bench_groups[0]); i++) {
		struct crypto_dh *peer = NULL;
		uint8_t pub[CRYPTO_MAX_DH_PUB_LEN];
		size_t len = 0;
		unsigned long n = 0;
		double t0, t;

		if (crypto_dh_new(bench_groups[i], &peer) != E_OK ||
		    crypto_dh_public(peer, pub, sizeof(pub), &len) != E_OK) {
			crypto_dh_free(peer);
			return 1;
		}
		crypto_dh_free(peer);
		t0 = bench_now();
		do {
			if (bench_dh_once(bench_groups[i], pub, len) != 0)
				return 1;
			n++;
			t = bench_now();
		} while (t - t0 < secs);
		printf("%-6u %8.3f %10.0f\n", bench_groups[i], (t - t0) * 1e3 / (double)n,
		       (double)n / (t - t0));
	}
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 0.5;
	int opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't' && atof(optarg) > 0) {
			secs = atof(optarg);
		} else {
			fprintf(stderr, "usage: %s [-t seconds-per-measurement]\n", argv[0]);
			return 2;
		}
	}
	printf("crypto_aead, one thread, in place; %s; %.2f s per measurement\n",
	       OpenSSL_version(OPENSSL_VERSION), secs);
	printf("%-29s %5s | %-16s | %-16s | %-16s | %s\n", "suite", "bytes", "seal", "open",
	       "seal+open", "anchor");
	printf("%-29s %5s | %7s %8s | %7s %8s | %7s %8s | %7s\n", "", "", "Gbit/s", "kpkt/s",
	       "Gbit/s", "kpkt/s", "Gbit/s", "kpkt/s", "Gbit/s");
	for (size_t i = 0; i < sizeof(bench_suites) / sizeof(bench_suites[0]); i++) {
		for (size_t j = 0; j < sizeof(bench_sizes) / sizeof(bench_sizes[0]); j++) {
			const struct bench_suite *s = &bench_suites[i];
			size_t len = s->encr == CRYPTO_ENCR_AES_CBC ? bench_sizes[j] / 16 * 16
								    : bench_sizes[j];
			struct bench_result r;

			if (bench_cell(s, bench_sizes[j], secs, &r) != 0) {
				fprintf(stderr, "%s %zu: crypto failure\n", s->name, len);
				return 1;
			}
			bench_print_row(s, len, &r);
		}
	}
	printf(
	    "\nDiffie-Hellman, one side of an exchange (new key + public value + shared secret)");
	if (bench_dh(secs) != 0) {
		fprintf(stderr, "DH failure\n");
		return 1;
	}
	return 0;
}
