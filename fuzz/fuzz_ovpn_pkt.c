/*
 * fuzz_ovpn_pkt.c - OpenVPN packet layer: control packet parse (and build round trip), data
 * header parse, TCP stream framing, handshake cookie check, data-channel decrypt and tls-crypt
 * unwrap with fixed keys. Corpus: fuzz/corpus/fuzz_ovpn_pkt/ (real packets from OpenVPN's unit
 * tests).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn/ovpn_cookie.h"
#include "ovpn/ovpn_data.h"
#include "ovpn/ovpn_pkt.h"
#include "ovpn/ovpn_tls_crypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_ctl(const uint8_t *data, size_t size)
{
	static struct ovpn_cookie ck; /* zero key: deterministic */
	struct ovpn_ctl p, q;
	uint8_t out[OVPN_PKT_MAX];
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(1194)};
	struct wbuf w;

	if (ovpn_ctl_parse(data, size, &p) != E_OK)
		return;
	ck.slot_sec = 30;
	(void)ovpn_cookie_verify(&ck, (struct sockaddr *)&sin, &p, 123456);
	wbuf_init(&w, out, sizeof(out));
	ovpn_ctl_build(&w, &p);
	/* What parses must build back to the same bytes and parse to the same fields. */
	if (wbuf_result(&w) != E_OK || w.len != size || memcmp(out, data, size) != 0)
		abort();
	if (ovpn_ctl_parse(out, w.len, &q) != E_OK || q.sid != p.sid || q.n_acks != p.n_acks ||
	    q.payload_len != p.payload_len)
		abort();
}

static void fuzz_data(const uint8_t *data, size_t size)
{
	static struct ovpn_data_key k;
	static uint8_t out[OVPN_PKT_MAX];
	struct ovpn_data_hdr h;
	struct wbuf w;

	if (!k.valid) {
		uint8_t key2[OVPN_KEY2_LEN];
		for (size_t i = 0; i < sizeof(key2); i++)
			key2[i] = (uint8_t)i;
		if (ovpn_data_key_init(&k, OVPN_CIPHER_AES_256_GCM, 0, key2, true) != E_OK)
			abort();
	}
	if (ovpn_data_hdr_parse(data, size, &h) != E_OK)
		return;
	wbuf_init(&w, out, sizeof(out));
	(void)ovpn_data_decrypt(&k, data, size, &w);
	k.replay.top = 0;
	k.replay.bitmap = 0;
}

static void fuzz_tcp(const uint8_t *data, size_t size)
{
	struct rbuf s, pkt;
	struct ovpn_ctl p;

	rbuf_init(&s, data, size);
	while (ovpn_tcp_frame_next(&s, &pkt) == E_OK)
		(void)ovpn_ctl_parse(rbuf_cur(&pkt), rbuf_remaining(&pkt), &p);
}

static void fuzz_tls_crypt(const uint8_t *data, size_t size)
{
	static uint8_t out[OVPN_PKT_MAX + 64];
	struct ovpn_tls_crypt tc;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	struct ovpn_ctl p;
	uint32_t pid, t;
	struct wbuf w;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7);
	ovpn_tls_crypt_init(&tc, key, true);
	wbuf_init(&w, out, sizeof(out));
	if (ovpn_tls_crypt_unwrap(&tc, data, size, &w, &pid, &t) == E_OK)
		(void)ovpn_ctl_parse(w.data, w.len, &p);
	/* Wrap what came in as if it were a plain packet; it must unwrap to itself. */
	struct ovpn_tls_crypt cli;
	ovpn_tls_crypt_init(&cli, key, false);
	wbuf_init(&w, out, sizeof(out));
	if (size <= OVPN_PKT_MAX && ovpn_tls_crypt_wrap(&cli, data, size, 1, 2, &w) == E_OK) {
		static uint8_t back[OVPN_PKT_MAX + 64];
		struct wbuf b;
		wbuf_init(&b, back, sizeof(back));
		if (ovpn_tls_crypt_unwrap(&tc, w.data, w.len, &b, &pid, &t) != E_OK ||
		    b.len != size || memcmp(back, data, size) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ctl(data, size);
	fuzz_tls_crypt(data, size);
	fuzz_data(data, size);
	fuzz_tcp(data, size);
	return 0;
}
