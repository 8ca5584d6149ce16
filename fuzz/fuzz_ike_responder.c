/*
 * fuzz_ike_responder - libFuzzer target over the responder state machine of src/ike: the
 * dispatch of received datagrams (ike_sa.c), IKE_SA_INIT (ike_init.c) and, behind a valid
 * SK payload, the IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL handlers (ike_auth.c,
 * ike_rekey.c, ike_info.c).
 *
 * Real DH makes the keys of a negotiated SA unknowable, so the SA the second mode talks to
 * is built with fixed keys (what IKE_SA_INIT would leave behind), and the fuzzer's bytes
 * become the inner payload chain, sealed with those keys: the handlers see them exactly as
 * after a successful ICV check. Nothing is sent (the drop hook eats every datagram).
 *
 * Input: byte 0 picks the mode.
 *   even: bytes 1.. are one datagram from the peer (IKE_SA_INIT request or anything).
 *   odd:  byte 1: bit 0 = SA established (else: waiting for IKE_AUTH), bits 1-2 pick the
 *         exchange (IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, IKE_AUTH); byte 2: first inner
 *         payload type; bytes 3..: the inner payload chain.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "ike/ike_sk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_IKE_PORT 47500

static struct ev_loop *loop;
static struct ike_ctx *ctx;
static struct ike_tunnel *tun;
static struct addr peer;

static bool drop_all(void *arg, bool out, const uint8_t *pkt, size_t len)
{
	(void)arg, (void)out, (void)pkt, (void)len;
	return true;
}

static bool fuzz_init(void)
{
	struct ike_ctx_config cfg = {
	    .ike_port = FUZZ_IKE_PORT, .natt_port = FUZZ_IKE_PORT + 1, .drop = drop_all};
	struct model_tunnel m;

	if (ctx)
		return true;
	log_set_level(LOG_ERR);
	memset(&m, 0, sizeof(m));
	snprintf(m.vpn_id, sizeof(m.vpn_id), "vpn-fuzz");
	m.index = 1;
	if (addr_parse("127.0.0.1", &m.outside_local) != E_OK ||
	    addr_parse("127.0.0.2", &m.outside_remote) != E_OK ||
	    prefix_parse("0.0.0.0/0", false, &m.local_net) != E_OK ||
	    prefix_parse("0.0.0.0/0", false, &m.remote_net) != E_OK)
		return false;
	peer = m.outside_remote;
	snprintf(m.opt.psk, sizeof(m.opt.psk), "fuzz.key_123");
	m.opt.phase1_lifetime_s = 28800;
	m.opt.phase2_lifetime_s = 3600;
	m.opt.rekey_margin_s = 270;
	m.opt.replay_window = 1024;
	m.opt.dpd_timeout_s = 40;
	m.opt.startup_action = MODEL_STARTUP_ADD;
	m.opt.phase1_encr = m.opt.phase2_encr = 0xf;
	m.opt.phase1_integ = m.opt.phase2_integ = 0xf;
	m.opt.phase1_dh = MODEL_DH_MASK(2) | 0x1ffc000u;
	m.opt.phase2_dh = m.opt.phase1_dh | MODEL_DH_MASK(5);
	m.opt.ike_versions = MODEL_IKE_V2;
	return ev_loop_new(&loop) == E_OK && ike_ctx_new(loop, &cfg, &ctx) == E_OK &&
	       ike_tunnel_new(ctx, &m, NULL, NULL, &tun) == E_OK;
}

/* The state IKE_SA_INIT leaves (responder), with fixed keys instead of a DH result. */
static struct ike_sa *fixed_sa(bool established)
{
	static const struct ike_suite s = {.encr = CRYPTO_ENCR_AES_GCM_16,
	                                   .key_bits = 128,
	                                   .prf = CRYPTO_PRF_HMAC_SHA2_256,
	                                   .dh = 14};
	static const uint8_t gir[32] = {1}, ni[32] = {2}, nr[32] = {3};
	struct ike_sa *sa;

	if (ike_sa_new(tun, false, &sa) != E_OK)
		return NULL;
	sa->spi_i = 0x1111111111111111ull;
	sa->spi_r = 0x2222222222222222ull;
	sa->suite = s;
	sa->remote = peer;
	sa->remote_port = FUZZ_IKE_PORT;
	memcpy(sa->ni, ni, sizeof(ni));
	memcpy(sa->nr, nr, sizeof(nr));
	sa->ni_len = sa->nr_len = sizeof(ni);
	sa->peer_msgid = 1;
	sa->next_msgid = 1;
	if (ike_keys_derive(&s, gir, sizeof(gir), ni, sizeof(ni), nr, sizeof(nr), sa->spi_i,
	                    sa->spi_r, false, NULL, &sa->keys) != E_OK)
		return sa;
	sa->have_keys = true;
	sa->state = IKE_SA_INIT_DONE;
	if (established)
		ike_sa_established(sa);
	return sa;
}

static void mode_sealed(const uint8_t *data, size_t size)
{
	static const uint8_t exch[4] = {IKEV2_EXCH_IKE_AUTH, IKEV2_EXCH_CREATE_CHILD_SA,
	                                IKEV2_EXCH_INFORMATIONAL, IKEV2_EXCH_IKE_AUTH};
	struct ike_sa *sa;
	struct ike_hdr h;
	struct wbuf inner, out;

	if (size < 2 || !(sa = fixed_sa(data[0] & 1)) || !sa->have_keys)
		return;
	h = (struct ike_hdr){.spi_i = sa->spi_i,
	                     .spi_r = sa->spi_r,
	                     .exchange = exch[(data[0] >> 1) & 3],
	                     .flags = IKEV2_FLAG_INITIATOR,
	                     .msg_id = sa->peer_msgid};
	wbuf_init_dyn(&inner, size, 0);
	wbuf_init_dyn(&out, size + 128, 0);
	/* ike_inner_begin's layout: byte 0 is the first inner payload type */
	wbuf_put_bytes(&inner, data + 1, size - 1);
	if (ike_sk_seal(sa->keys.in, &h, &inner, &out) == E_OK)
		ike_dispatch(tun->sock, false, &peer, FUZZ_IKE_PORT, out.data, out.len);
	wbuf_free(&inner);
	wbuf_free(&out);
}

/* Forget every SA so each input starts from the same state. */
static void reset(void)
{
	for (struct ike_sa *sa = tun->sas; sa; sa = sa->next)
		ike_sa_kill(sa, "fuzz reset");
	ike_sa_reap(tun);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > IKEV2_MSG_MAX || !fuzz_init())
		return 0;
	if (data[0] & 1)
		mode_sealed(data + 1, size - 1);
	else
		ike_dispatch(tun->sock, false, &peer, FUZZ_IKE_PORT, data + 1, size - 1);
	reset();
	return 0;
}
