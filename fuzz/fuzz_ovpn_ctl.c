/*
 * fuzz_ovpn_ctl.c - the OpenVPN control channel of one session, beyond the header parser:
 * sequences of control packets into a real client object (session-id checks, key states and
 * soft resets, the reliability layer, the TLS pump with OpenSSL), the TLS plaintext of a key
 * state (key-method 2, peer-info, NCP, PUSH_REQUEST/EXIT and other control messages), the
 * reliability layer alone against a model, tls-crypt packets wrapped with the client's key
 * through unwrap, the replay check and the session, and the data channel of a connected
 * session (replay window, pings, OCC exit, inner packets).
 *
 * No sockets, no TUN: the server object has no descriptors (ovpn_server_send then sends
 * nothing), timers are armed on a loop that never runs, the client is freed after each input.
 * The TLS context is the real one (ovpn_tls_ctx_new) over a throwaway self-signed certificate
 * written at start-up.
 *
 * Input: octet 0 selects the mode (value % 6), the rest is mode-specific:
 *   0 packets:  a TCP-framed stream (u16 length, packet)... of raw control packets, as on the
 *               wire; the session ids are taken from the first packet (so a captured client
 *               stream is accepted as one session).
 *   1 records:  structured packets, small ids so windows and acks meet: per record
 *               u8 op|key_id, u8 flags, u8 n_acks, n_acks x u8 ack, u8 msg_id, u16 len, payload.
 *   2 plain:    TLS plaintext chunks (u16 length, bytes)... into key state 0 after the
 *               handshake: key-method 2, then the control messages.
 *   3 reliable: operations on one struct ovpn_reliable checked against a model: in-order
 *               delivery, never twice, exactly the bytes received first for an id.
 *   4 tls-crypt: records (u8 net_time selector, u8 packet id, u16 length, control packet)
 *               wrapped with the client's key, then unwrapped, parsed, replay-checked and fed
 *               to the session as the server does; no (net_time, packet id) is fresh twice.
 *   5 data:     a connected session's data channel with fixed keys: raw packets, inner packets
 *               encrypted with the client's key under chosen packet ids (replays, reordering,
 *               pings, OCC exit), packets the server sends; no packet id accepted twice.
 * FUZZ_LOG=1 in the environment keeps the server's log (debug level, stderr) to see what an
 * input does. Corpus: fuzz/corpus/fuzz_ovpn_ctl/ (a real openvpn 2.6 client's TCP stream, its
 * key-method 2 message and control messages, hand-made record sequences).
 */
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "ovpn/ovpn_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ovpn_server g_srv;
static struct sockaddr_in g_sin = {.sin_family = AF_INET, .sin_port = 0x1234};

/* A self-signed P-256 certificate that is also the client CA; files removed once loaded. */
static void fuzz_tls_init(void)
{
	char cert[] = "/tmp/fuzz_ovpn_ctl_crtXXXXXX", key[] = "/tmp/fuzz_ovpn_ctl_keyXXXXXX";
	int fc = mkstemp(cert), fk = mkstemp(key);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f1 = fc >= 0 ? fdopen(fc, "w") : NULL, *f2 = fk >= 0 ? fdopen(fk, "w") : NULL;

	if (!pk || !x || !f1 || !f2)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, pk, EVP_sha256()) || !PEM_write_X509(f1, x) ||
	    !PEM_write_PrivateKey(f2, pk, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f1);
	fclose(f2);
	g_srv.cfg.cert_path = cert;
	g_srv.cfg.key_path = key;
	g_srv.cfg.ca_path = cert;
	if (ovpn_tls_ctx_new(&g_srv.cfg, &g_srv.ssl_ctx) != E_OK)
		abort();
	g_srv.cfg.cert_path = g_srv.cfg.key_path = g_srv.cfg.ca_path = NULL;
	unlink(cert);
	unlink(key);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void fuzz_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	/* Only crashes and sanitizer reports matter; the server's log lines would drown them. */
	if (!getenv("FUZZ_LOG"))
		(void)log_open("/dev/null");
	log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_ERR);
	ovpn_config_defaults(&g_srv.cfg);
	if (ev_loop_new(&g_srv.loop) != E_OK ||
	    prefix_parse("10.8.0.0/24", false, &g_srv.cfg.client_cidr) != E_OK ||
	    ovpn_profile_new(&g_srv.cfg, &g_srv.prof) != E_OK)
		abort();
	g_srv.udp_fd = g_srv.tcp_fd = g_srv.tun_fd = -1;
	g_srv.pool_base = 0x0a080000;
	g_srv.pool_size = 256;
	g_srv.server_ip = g_srv.pool_base + 1;
	g_srv.by_ip = calloc(g_srv.pool_size, sizeof(*g_srv.by_ip));
	if (!g_srv.by_ip)
		abort();
	g_srv.rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 200);
	fuzz_tls_init();
}

static struct ovpn_client *fuzz_client(uint64_t sid_local, uint64_t sid_remote)
{
	struct ovpn_client *c = NULL;
	if (ovpn_client_new(&g_srv, (struct sockaddr *)&g_sin, sizeof(g_sin), NULL, sid_local,
	                    sid_remote, &c) != E_OK)
		return NULL;
	/* The one session holds peer-id 0 and the first address, as if pushed already
	 * (ovpn_server_addr_take finds it there). */
	c->info.peer_id = 0;
	c->pool_idx = 2;
	g_srv.by_ip[2] = c;
	addr_from_v4(&c->info.vpn_addr, g_srv.pool_base + 2);
	return c;
}

/* Mode 0: raw control packets, TCP-framed. */
static void fuzz_packets(const uint8_t *data, size_t size)
{
	struct rbuf s, pkt;
	struct ovpn_ctl p;
	struct ovpn_client *c = NULL;
	uint64_t sid_r = 0, sid_l = 0x5345525645520001ull;
	bool have_r = false, have_l = false;

	/* The session ids: the first packet's own, and ours as the first ack echoes it (so a
	 * captured client stream is accepted as one session). */
	rbuf_init(&s, data, size);
	while (ovpn_tcp_frame_next(&s, &pkt) == E_OK && !have_l) {
		if (ovpn_ctl_parse(rbuf_cur(&pkt), rbuf_remaining(&pkt), &p) != E_OK)
			continue;
		if (!have_r) {
			sid_r = p.sid;
			have_r = true;
		}
		if (p.n_acks) {
			sid_l = p.remote_sid;
			have_l = true;
		}
	}
	if (!have_r || !(c = fuzz_client(sid_l, sid_r)))
		return;
	rbuf_init(&s, data, size);
	while (!c->dead && ovpn_tcp_frame_next(&s, &pkt) == E_OK) {
		if (ovpn_ctl_parse(rbuf_cur(&pkt), rbuf_remaining(&pkt), &p) == E_OK)
			ovpn_client_ctl_input(c, &p);
	}
	ovpn_client_free(c);
}

/* Mode 1: structured records. */
static void fuzz_records(const uint8_t *data, size_t size)
{
	static const uint8_t ops[] = {OVPN_P_CONTROL_V1, OVPN_P_ACK_V1,
	                              OVPN_P_CONTROL_SOFT_RESET_V1, OVPN_P_CONTROL_V1,
	                              OVPN_P_CONTROL_HARD_RESET_CLIENT_V2};
	const uint64_t sid_l = 0x1111111111111111ull, sid_r = 0x2222222222222222ull;
	struct ovpn_client *c = fuzz_client(sid_l, sid_r);
	struct rbuf r;
	uint8_t op, flags, n_acks, a, mid;
	uint16_t plen;

	if (!c)
		return;
	rbuf_init(&r, data, size);
	while (!c->dead && rbuf_get_u8(&r, &op) == E_OK && rbuf_get_u8(&r, &flags) == E_OK &&
	       rbuf_get_u8(&r, &n_acks) == E_OK) {
		struct ovpn_ctl p = {
		    .opcode = ops[(op & 0x7f) % sizeof(ops)],
		    .key_id = (uint8_t)((op >> 4) & OVPN_P_KEY_ID_MASK),
		    .sid = (flags & 1) ? sid_l : sid_r,
		    .remote_sid = (flags & 2) ? sid_r : sid_l,
		    .n_acks = (uint8_t)(n_acks % (OVPN_ACK_MAX + 1)),
		};
		for (unsigned i = 0; i < p.n_acks; i++) {
			if (rbuf_get_u8(&r, &a) != E_OK)
				goto out;
			p.acks[i] = a;
		}
		if (rbuf_get_u8(&r, &mid) != E_OK || rbuf_get_u16(&r, &plen) != E_OK)
			break;
		p.has_msg_id = p.opcode != OVPN_P_ACK_V1;
		p.msg_id = (flags & 4) ? 0xFFFFFFF0u + mid : mid;
		p.payload_len = plen % (OVPN_CTL_PAYLOAD_MAX + 1);
		if (p.payload_len > rbuf_remaining(&r))
			p.payload_len = rbuf_remaining(&r);
		if (p.payload_len && rbuf_get_ptr(&r, p.payload_len, &p.payload) != E_OK)
			break;
		if (!p.has_msg_id)
			p.payload_len = 0;
		ovpn_client_ctl_input(c, &p);
	}
out:
	ovpn_client_free(c);
}

/* Mode 2: plaintext of key state 0 once TLS is up. */
static void fuzz_plain(const uint8_t *data, size_t size)
{
	struct ovpn_client *c = fuzz_client(1, 2);
	struct ovpn_ks *ks;
	struct rbuf s, chunk;

	if (!c)
		return;
	ks = &c->ks[0];
	ks->state = OVPN_KS_KM2;
	rbuf_init(&s, data, size);
	while (!c->dead && ovpn_tcp_frame_next(&s, &chunk) == E_OK) {
		wbuf_put_bytes(&ks->plain, rbuf_cur(&chunk), rbuf_remaining(&chunk));
		if (wbuf_result(&ks->plain) != E_OK)
			break;
		if (ks->state == OVPN_KS_KM2) {
			size_t before = ks->plain.len;
			/* The reply cannot go out (no TLS session): km2 is parsed, the peer-info
			 * negotiated, then the write fails; move on as if it had been sent. */
			(void)ovpn_ks_km2_input(c, ks);
			if (c->cipher_set && ks->plain.len < before)
				ks->state = OVPN_KS_SENT_KEY;
			else if (!c->cipher_set)
				continue;
		}
		if (ks->state == OVPN_KS_SENT_KEY)
			ovpn_ks_msgs_input(c, ks);
		if (ks->plain.len > 64 * 1024 - 2048)
			break;
	}
	ovpn_client_free(c);
}

/* Mode 3: the reliability layer against a model. */
static void fuzz_reliable(const uint8_t *data, size_t size)
{
	static struct ovpn_reliable rel;
	static uint8_t first[256][8]; /* first payload octets received for ids 0..255 */
	static bool have[256];
	uint32_t want = 0, acks[OVPN_ACK_MAX];
	uint64_t now = 1000;
	struct rbuf r;
	uint8_t op, arg;

	ovpn_reliable_init(&rel);
	memset(have, 0, sizeof(have));
	rbuf_init(&r, data, size);
	while (rbuf_get_u8(&r, &op) == E_OK && rbuf_get_u8(&r, &arg) == E_OK) {
		switch (op % 7) {
		case 0: { /* a message arrives: id arg, 8 octets from the input as payload */
			uint8_t pl[8] = {0};
			(void)rbuf_get_bytes(&r, pl, sizeof(pl));
			result_t rc =
			    ovpn_reliable_recv(&rel, arg, OVPN_P_CONTROL_V1, pl, sizeof(pl));
			if (rc == E_OK && (arg < want || have[arg]))
				abort(); /* stored twice or behind the delivery point */
			if (rc == E_OK) {
				memcpy(first[arg], pl, sizeof(pl));
				have[arg] = true;
			}
			break;
		}
		case 1: { /* deliver everything in order */
			const struct ovpn_rel_recv *m;
			while ((m = ovpn_reliable_peek(&rel)) != NULL) {
				if (m->msg_id != want || want > 255 || !have[want] || m->len != 8 ||
				    memcmp(m->data, first[want], 8) != 0)
					abort();
				ovpn_reliable_consume(&rel);
				want++;
			}
			break;
		}
		case 2: /* queue one of ours */
			(void)ovpn_reliable_queue(&rel, OVPN_P_CONTROL_V1, &arg, 1, now);
			break;
		case 3: /* the peer acks id arg */
			acks[0] = arg;
			ovpn_reliable_ack(&rel, acks, 1);
			break;
		case 4: { /* time passes, due messages go out */
			struct ovpn_rel_send *snd;
			now += (uint64_t)arg * 100;
			while ((snd = ovpn_reliable_due(&rel, now)) != NULL)
				ovpn_reliable_sent(snd, now);
			if (ovpn_reliable_deadline(&rel) <= now)
				abort();
			break;
		}
		case 5: { /* acks we owe: each at most once per take, all inside the window */
			unsigned n = ovpn_reliable_take_acks(&rel, acks, arg % (OVPN_ACK_MAX + 1));
			for (unsigned i = 0; i < n; i++) {
				if (acks[i] > 255)
					abort();
				for (unsigned j = 0; j < i; j++) {
					if (acks[j] == acks[i])
						abort();
				}
			}
			break;
		}
		default: /* ids in flight never spread beyond the send window */
			if (ovpn_reliable_can_send(&rel)) {
				for (unsigned i = 0; i < OVPN_RELIABLE_SEND_N; i++) {
					if (rel.snd[i].used &&
					    rel.next_send_id - rel.snd[i].msg_id >=
					        OVPN_RELIABLE_SEND_N)
						abort();
				}
			}
			break;
		}
	}
}

/* Mode 4: tls-crypt. Each record is wrapped with the client's key (so it authenticates) and
 * goes the server's way: unwrap, parse, replay check, session. A (net_time, packet id) pair
 * is never fresh twice. */
static void fuzz_tls_crypt(const uint8_t *data, size_t size)
{
	static uint8_t wrapped[OVPN_PKT_MAX + 128], plain[OVPN_PKT_MAX + 128];
	static bool seen[8][256];
	struct ovpn_tls_crypt cli, srv;
	uint8_t key[OVPN_STATIC_KEY_LEN], t8, pid8;
	uint16_t len;
	const uint8_t *body;
	struct ovpn_client *c = fuzz_client(0x1111111111111111ull, 0x2222222222222222ull);
	struct rbuf r;

	if (!c)
		return;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	ovpn_tls_crypt_init(&cli, key, false);
	ovpn_tls_crypt_init(&srv, key, true);
	memset(seen, 0, sizeof(seen));
	rbuf_init(&r, data, size);
	while (!c->dead && rbuf_get_u8(&r, &t8) == E_OK && rbuf_get_u8(&r, &pid8) == E_OK &&
	       rbuf_get_u16(&r, &len) == E_OK) {
		struct wbuf w, u;
		struct ovpn_ctl p;
		uint32_t pid = 0, t = 0;
		size_t n = len < rbuf_remaining(&r) ? len : rbuf_remaining(&r);
		if (rbuf_get_ptr(&r, n, &body) != E_OK || n == 0)
			break;
		wbuf_init(&w, wrapped, sizeof(wrapped));
		wbuf_init(&u, plain, sizeof(plain));
		if (ovpn_tls_crypt_wrap(&cli, body, n, pid8, 1000u + (t8 & 7), &w) != E_OK ||
		    ovpn_tls_crypt_unwrap(&srv, w.data, w.len, &u, &pid, &t) != E_OK)
			continue;
		if (pid != pid8 || t != 1000u + (t8 & 7) || u.len != n || memcmp(plain, body, n))
			abort();
		if (ovpn_ctl_parse(u.data, u.len, &p) != E_OK)
			continue;
		if (ovpn_client_tc_fresh(c, pid, t)) {
			if (seen[t8 & 7][pid8])
				abort(); /* a replayed tls-crypt packet accepted */
			seen[t8 & 7][pid8] = true;
			ovpn_client_ctl_input(c, &p);
		}
	}
	ovpn_tls_crypt_fini(&cli);
	ovpn_tls_crypt_fini(&srv);
	ovpn_client_free(c);
}

/* Mode 5: the data channel of a connected session. Records: u8 kind, u8 packet id, u16 length,
 * bytes. Kind 0: the bytes are a received data packet; 1: they are an inner packet the client
 * sends with that packet id (encrypted with the client's key: pings, OCC, IPv4 from the
 * client's address or not); 2: an inner packet the server sends. A packet id is never
 * accepted twice. */
static void fuzz_data(const uint8_t *data, size_t size)
{
	static uint8_t pkt[OVPN_PKT_MAX + 64];
	static bool seen[257];
	struct ovpn_client *c = fuzz_client(1, 2);
	struct ovpn_data_key ck = {0};
	uint8_t key2[OVPN_KEY2_LEN], kind, pid8;
	uint16_t len;
	const uint8_t *body;
	struct rbuf r;

	if (!c)
		return;
	for (size_t i = 0; i < sizeof(key2); i++)
		key2[i] = (uint8_t)(i * 7 + 3);
	struct ovpn_ks *ks = &c->ks[0];
	if (ovpn_data_key_init(&ks->dk, OVPN_CIPHER_AES_256_GCM, 0, key2, true) != E_OK ||
	    ovpn_data_key_init(&ck, OVPN_CIPHER_AES_256_GCM, 0, key2, false) != E_OK)
		abort();
	ks->state = OVPN_KS_ACTIVE;
	c->send_ks = ks;
	c->pushed = true;
	c->caps.iv_proto = OVPN_IV_PROTO_DATA_V2;
	c->info.cipher = OVPN_CIPHER_AES_256_GCM;
	memset(seen, 0, sizeof(seen));
	rbuf_init(&r, data, size);
	while (!c->dead && rbuf_get_u8(&r, &kind) == E_OK && rbuf_get_u8(&r, &pid8) == E_OK &&
	       rbuf_get_u16(&r, &len) == E_OK) {
		size_t n = len < rbuf_remaining(&r) ? len : rbuf_remaining(&r);
		struct wbuf w;
		if (rbuf_get_ptr(&r, n, &body) != E_OK)
			break;
		if (kind % 3 == 0) {
			(void)ovpn_client_data_input(c, body, n);
		} else if (kind % 3 == 1) {
			uint32_t pid = (uint32_t)pid8 + 1;
			ck.send_pid = pid - 1;
			wbuf_init(&w, pkt, sizeof(pkt));
			if (ovpn_data_encrypt(&ck, (kind & 8) ? OVPN_PEER_ID_UNDEF : 0, body, n,
			                      &w) != E_OK)
				continue;
			if (ovpn_client_data_input(c, w.data, w.len) == E_OK) {
				if (seen[pid])
					abort(); /* a replayed data packet accepted */
				seen[pid] = true;
			}
		} else {
			ovpn_client_data_send(c, body, n);
		}
	}
	ovpn_data_key_fini(&ck);
	ovpn_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const modes[])(const uint8_t *, size_t) = {
	    fuzz_packets, fuzz_records, fuzz_plain, fuzz_reliable, fuzz_tls_crypt, fuzz_data};
	if (size < 1)
		return 0;
	fuzz_init();
	modes[data[0] % 6](data + 1, size - 1);
	return 0;
}
