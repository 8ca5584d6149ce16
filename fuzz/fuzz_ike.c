/*
 * fuzz_ike - libFuzzer target over the IKEv2 message parser (src/ike/ike_msg.c, ike_pld*.c),
 * proposal selection and SK payload protection (ike_sk.c) with a fixed test key.
 *
 * The first input byte picks the mode:
 *   0: a whole datagram: frame, decode every payload, run proposal selection on any SA.
 *   1: an inner payload chain (next byte = first payload type): seal it under a fixed AES-GCM
 *      key, open it again, decode the inner chain (exercises the SK round trip and every
 *      inner decoder as seen after decryption).
 *   2: a whole datagram opened with the fixed AES-CBC/HMAC-SHA-256 key (ICV and framing
 *      checks of the SK payload on hostile input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ike/ike_proposal.h"
#include "ike/ike_sk.h"
#include "ike/ike_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_chain chain, inner_chain;
static struct ike_payloads pl;

static void decode_and_select(const struct ike_chain *c)
{
	struct model_tunnel_options o;
	struct ike_suite s;
	size_t idx;

	ike_payloads_init(&pl);
	if (ike_chain_decode(c, &pl) != E_OK || !pl.have_sa)
		return;
	memset(&o, 0, sizeof(o));
	o.phase1_encr = o.phase2_encr = 0xf;
	o.phase1_integ = o.phase2_integ = 0xf;
	o.phase1_dh = MODEL_DH_MASK(2) | 0x1ffc000u;
	o.phase2_dh = o.phase1_dh | MODEL_DH_MASK(5);
	if (ike_proposal_select_ike(&o, &pl.sa, &s, &idx) != E_OK)
		(void)!ike_proposal_select_child(&o, &pl.sa, IKE_PROP_DH_REQUIRE, &s, &idx);
	(void)!ike_proposal_read_answer(&pl.sa, IKEV2_PROTO_IKE, &s);
}

static void open_inner(struct crypto_aead *a, const uint8_t *msg, size_t len)
{
	struct ike_hdr h;
	struct rbuf r;
	uint8_t *plain;

	if (ike_msg_frame(msg, len, &h, &chain) != E_OK || !chain.has_sk)
		return;
	plain = malloc(len);
	if (plain && ike_sk_open(a, msg, len, &chain, plain, len, &r) == E_OK &&
	    ike_chain_frame(&r, chain.sk_first, &inner_chain) == E_OK)
		decode_and_select(&inner_chain);
	free(plain);
}

static void mode_seal_open(const uint8_t *data, size_t size)
{
	static const uint8_t key[36] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
	                                11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
	struct ike_hdr h = {.spi_i = 1, .spi_r = 2, .exchange = IKEV2_EXCH_INFORMATIONAL};
	struct crypto_aead *a = NULL;
	struct wbuf inner, out;

	if (size < 1 ||
	    crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, key, 20, NULL, 0, &a) != E_OK)
		return;
	wbuf_init_dyn(&inner, size, 0);
	wbuf_init_dyn(&out, size + 64, 0);
	wbuf_put_bytes(&inner, data, size);
	if (ike_sk_seal(a, &h, &inner, &out) == E_OK)
		open_inner(a, out.data, out.len);
	wbuf_free(&inner);
	wbuf_free(&out);
	crypto_aead_free(a);
}

static void mode_open(const uint8_t *data, size_t size)
{
	static const uint8_t ekey[16] = {7}, ikey[32] = {9};
	struct crypto_aead *a = NULL;

	if (crypto_aead_new(CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA2_256_128, ekey, 16,
	                    ikey, 32, &a) != E_OK)
		return;
	open_inner(a, data, size);
	crypto_aead_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_hdr h;

	if (size < 1 || size > IKEV2_MSG_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (ike_msg_frame(data + 1, size - 1, &h, &chain) == E_OK)
			decode_and_select(&chain);
		break;
	case 1:
		mode_seal_open(data + 1, size - 1);
		break;
	default:
		mode_open(data + 1, size - 1);
		break;
	}
	return 0;
}
