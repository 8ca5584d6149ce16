/*
 * test_ovpn_data.c - OpenVPN data channel (AEAD, replay window), key derivation (TLS1-PRF
 * vector), key-method 2, peer-info / NCP and the control-message splitter.
 */
#include "ovpn/ovpn_data.h"
#include "ovpn/ovpn_km.h"
#include "ovpn/ovpn_pkt.h"
#include "test_ovpn_vec.h"

static struct json_object *dc_vec(const char *key)
{
	struct json_object *dc, *o;
	if (!json_object_object_get_ex(ovpn_vec_root(), "constructed_data_channel", &dc) ||
	    !json_object_object_get_ex(dc, key, &o))
		return NULL;
	return o;
}

static void key2_from_vec(uint8_t key2[OVPN_KEY2_LEN])
{
	struct json_object *dc;
	const char *hex = NULL;
	size_t n = 0;
	if (json_object_object_get_ex(ovpn_vec_root(), "constructed_data_channel", &dc))
		hex = ovpn_vec_str(dc, "key2_256_bytes");
	if (!hex || hex_decode(hex, key2, OVPN_KEY2_LEN, &n) != E_OK || n != OVPN_KEY2_LEN)
		memset(key2, 0, OVPN_KEY2_LEN);
}

/* Server side decrypts the client's DATA_V2 AES-256-GCM packet of the vector file. */
TEST(ovpn_data_vector_decrypt)
{
	uint8_t key2[OVPN_KEY2_LEN], wire[256], pt[256], out[256];
	struct ovpn_data_key k;
	struct wbuf w;
	struct json_object *v = dc_vec("data_v2_aes_256_gcm");

	key2_from_vec(key2);
	size_t n = ovpn_vec_hex(v, "wire_packet", wire, sizeof(wire));
	size_t pn = ovpn_vec_hex(v, "plaintext_ipv4_icmp", pt, sizeof(pt));
	CHECK(n > 0 && pn > 0);
	CHECK_OK(ovpn_data_key_init(&k, OVPN_CIPHER_AES_256_GCM, 0, key2, true));
	wbuf_init(&w, out, sizeof(out));
	CHECK_OK(ovpn_data_decrypt(&k, wire, n, &w));
	CHECK_EQ(w.len, pn);
	CHECK_MEM(out, pt, pn);
	/* The same packet again is a replay. */
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_data_decrypt(&k, wire, n, &w), E_OVPN_REPLAY);
	ovpn_data_key_fini(&k);

	/* Flip each bit of the header (AAD), packet id, tag and ciphertext: refused. */
	for (size_t bit = 0; bit < n * 8; bit++) {
		CHECK_OK(ovpn_data_key_init(&k, OVPN_CIPHER_AES_256_GCM, 0, key2, true));
		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		wbuf_init(&w, out, sizeof(out));
		result_t rc = ovpn_data_decrypt(&k, wire, n, &w);
		wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ovpn_data_key_fini(&k);
		if (rc == E_OK)
			TEST_FAIL("bit %zu flipped and still accepted", bit);
	}
}

/* Server encrypts with key[1]; a "client" key object (server=false) decrypts it. */
TEST(ovpn_data_roundtrip_all_ciphers)
{
	static const enum ovpn_cipher cs[] = {OVPN_CIPHER_AES_256_GCM, OVPN_CIPHER_AES_128_GCM,
	                                      OVPN_CIPHER_CHACHA20_POLY1305};
	uint8_t key2[OVPN_KEY2_LEN], pkt[256], out[256];
	const uint8_t msg[] = "\x45\x00 inner packet";

	key2_from_vec(key2);
	for (size_t i = 0; i < 3; i++) {
		struct ovpn_data_key srv, cli;
		struct wbuf w;
		CHECK_OK(ovpn_data_key_init(&srv, cs[i], 3, key2, true));
		CHECK_OK(ovpn_data_key_init(&cli, cs[i], 3, key2, false));
		for (uint32_t peer = 0; peer < 2; peer++) {
			uint32_t pid = peer ? 7 : OVPN_PEER_ID_UNDEF;
			wbuf_init(&w, pkt, sizeof(pkt));
			CHECK_OK(ovpn_data_encrypt(&srv, pid, msg, sizeof(msg), &w));
			CHECK_EQ(w.len, (peer ? 4u : 1u) + OVPN_DATA_OVERHEAD + sizeof(msg));
			CHECK_EQ(pkt[0] & 7, 3);
			size_t n = w.len;
			wbuf_init(&w, out, sizeof(out));
			CHECK_OK(ovpn_data_decrypt(&cli, pkt, n, &w));
			CHECK_MEM(out, msg, sizeof(msg));
			/* The server's own receive key (c2s) cannot open it. */
			wbuf_init(&w, out, sizeof(out));
			CHECK_ERR(ovpn_data_decrypt(&srv, pkt, n, &w), E_CRYPTO_AUTH);
		}
		CHECK_EQ(srv.send_pid, 2);
		ovpn_data_key_fini(&srv);
		ovpn_data_key_fini(&cli);
	}
}

TEST(ovpn_data_negative)
{
	uint8_t key2[OVPN_KEY2_LEN] = {0}, out[64], pkt[64];
	struct ovpn_data_key k;
	struct wbuf w;

	CHECK_ERR(ovpn_data_key_init(&k, OVPN_CIPHER_NONE, 0, key2, true), E_INVAL);
	CHECK_OK(ovpn_data_key_init(&k, OVPN_CIPHER_AES_128_GCM, 0, key2, true));
	/* Too short for packet_id + tag. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = OVPN_P_DATA_V2 << 3;
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_data_decrypt(&k, pkt, 4 + 4 + 15, &w), E_TRUNCATED);
	/* Not a data opcode. */
	pkt[0] = OVPN_P_CONTROL_V1 << 3;
	CHECK_ERR(ovpn_data_decrypt(&k, pkt, 30, &w), E_OVPN_OPCODE);
	/* packet_id 0 is never valid. */
	pkt[0] = OVPN_P_DATA_V2 << 3;
	CHECK_ERR(ovpn_data_decrypt(&k, pkt, 30, &w), E_OVPN_REPLAY);
	/* Output buffer too small. */
	wbuf_init(&w, out, 4);
	CHECK_ERR(ovpn_data_encrypt(&k, 1, pkt, 30, &w), E_OVERFLOW);
	/* Packet-id space exhausted: refuse rather than wrap (CVE-2017-7479). */
	k.send_pid = UINT32_MAX;
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_data_encrypt(&k, 1, pkt, 1, &w), E_OVPN_PKT_ID);
	ovpn_data_key_fini(&k);
	CHECK(!k.valid);
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_data_encrypt(&k, 1, pkt, 1, &w), E_STATE);
}

/* The sliding window against a naive model (set of seen ids, same window rule). */
TEST(ovpn_replay_window_vs_naive)
{
	struct ovpn_replay r = {0};
	static uint8_t seen[1 << 17];
	uint32_t top = 0, x = 12345;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		/* Mostly near the top, some far behind it, some ahead. */
		uint32_t delta = (x >> 16) % 100;
		uint32_t pid = top + 5 > delta ? top + 5 - delta : 1;
		bool naive_ok = !seen[pid] && (pid > top || top - pid < OVPN_REPLAY_WINDOW);
		bool ok = ovpn_replay_check(&r, pid) == E_OK;
		if (ok != naive_ok)
			TEST_FAIL("pid %u top %u: window says %d, model %d", pid, top, ok,
			          naive_ok);
		if (ok) {
			ovpn_replay_update(&r, pid);
			seen[pid] = 1;
			if (pid > top)
				top = pid;
		}
		if (top > sizeof(seen) - 16)
			break;
	}
	CHECK_ERR(ovpn_replay_check(&r, 0), E_OVPN_REPLAY);
}

TEST(ovpn_prf_tls1_vector)
{
	struct json_object *v = ovpn_vec_find("kdf_vectors", "tls1_prf");
	const char *secret = ovpn_vec_str(v, "secret_ascii"), *seed = ovpn_vec_str(v, "seed_ascii");
	uint8_t want[64], got[64];
	size_t n = ovpn_vec_hex(v, "out", want, sizeof(want));

	CHECK(secret && seed && n == 32);
	CHECK_OK(ovpn_prf_tls1((const uint8_t *)secret, strlen(secret), (const uint8_t *)seed,
	                       strlen(seed), got, n));
	CHECK_MEM(got, want, n);
}

/* The legacy derivation is symmetric in what both sides feed it, and depends on each input. */
TEST(ovpn_key2_legacy_inputs)
{
	struct ovpn_km2 km;
	uint8_t r1[32], r2[32], a[OVPN_KEY2_LEN], b[OVPN_KEY2_LEN];

	memset(&km, 0x11, sizeof(km));
	memset(r1, 0x22, sizeof(r1));
	memset(r2, 0x33, sizeof(r2));
	CHECK_OK(ovpn_key2_legacy(&km, r1, r2, 1, 2, a));
	CHECK_OK(ovpn_key2_legacy(&km, r1, r2, 1, 2, b));
	CHECK_MEM(a, b, sizeof(a));
	CHECK_OK(ovpn_key2_legacy(&km, r1, r2, 2, 1, b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	r2[5] ^= 1;
	CHECK_OK(ovpn_key2_legacy(&km, r1, r2, 1, 2, b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static size_t km2_client_build(uint8_t *buf, size_t cap, const char *peer_info)
{
	struct wbuf w;
	wbuf_init(&w, buf, cap);
	wbuf_put_u32(&w, 0);
	wbuf_put_u8(&w, 2);
	for (int i = 0; i < 48 + 64; i++)
		wbuf_put_u8(&w, (uint8_t)i);
	const char *opts = "V4,dev-type tun,link-mtu 1559,tun-mtu 1500,proto UDPv4,cipher "
	                   "AES-256-GCM,auth [null-digest],keysize 256,key-method 2,tls-client";
	wbuf_put_u16(&w, (uint16_t)(strlen(opts) + 1));
	wbuf_put_bytes(&w, opts, strlen(opts) + 1);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, (uint16_t)(strlen(peer_info) + 1));
	wbuf_put_bytes(&w, peer_info, strlen(peer_info) + 1);
	return w.err == E_OK ? w.len : 0;
}

TEST(ovpn_km2_parse)
{
	static const char pi[] =
	    "IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\n"
	    "IV_NCP=2\nIV_CIPHERS=CHACHA20-POLY1305:AES-128-GCM\nIV_PROTO=990\n";
	uint8_t buf[1024];
	struct ovpn_km2 km;
	struct ovpn_peer_caps caps;
	size_t used = 0, n = km2_client_build(buf, sizeof(buf), pi);

	CHECK(n > 0);
	CHECK_OK(ovpn_km2_parse_client(buf, n, &km, &used));
	CHECK_EQ(used, n);
	CHECK_EQ(km.pre_master[47], 47);
	CHECK_EQ(km.random1[0], 48);
	CHECK_EQ(km.random2[31], 111);
	CHECK(strstr(km.options, "tls-client") != NULL);
	CHECK_STR(km.username, "");
	CHECK_STR(km.peer_info, pi);
	ovpn_peer_caps_parse(km.peer_info, &caps);
	CHECK_EQ(caps.iv_proto, 990);
	CHECK(caps.iv_proto & OVPN_IV_PROTO_TLS_KEY_EXPORT);
	CHECK_STR(caps.version, "2.6.14");
	/* NCP: the server's order wins among what the client offers. */
	enum ovpn_cipher srv[3], pick;
	size_t ns = 0;
	CHECK_OK(ovpn_cipher_list_parse("AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305", srv, 3, &ns));
	CHECK_EQ(ns, 3);
	CHECK_OK(ovpn_cipher_negotiate(srv, ns, &caps, &pick));
	CHECK_EQ(pick, OVPN_CIPHER_AES_128_GCM);
	CHECK_ERR(ovpn_cipher_negotiate(srv, 1, &caps, &pick), E_OVPN_NO_CIPHER);
	/* Every truncation is "wait for more" or, inside peer-info, a short but valid message. */
	for (size_t cut = 0; cut < n; cut++) {
		result_t rc = ovpn_km2_parse_client(buf, cut, &km, &used);
		if (rc != E_TRUNCATED && !(rc == E_OK && used == cut))
			TEST_FAIL("cut at %zu: %s", cut, err_name(rc));
	}
}

TEST(ovpn_km2_negative)
{
	uint8_t buf[1024];
	struct ovpn_km2 km;
	size_t used, n = km2_client_build(buf, sizeof(buf), "IV_PROTO=2\n");

	buf[3] = 1; /* AWS SAML variant: non-zero first word */
	CHECK_ERR(ovpn_km2_parse_client(buf, n, &km, &used), E_OVPN_KEY_METHOD);
	buf[3] = 0;
	buf[4] = 1; /* key-method 1 */
	CHECK_ERR(ovpn_km2_parse_client(buf, n, &km, &used), E_OVPN_KEY_METHOD);
	buf[4] = 0x12; /* flag bits set */
	CHECK_ERR(ovpn_km2_parse_client(buf, n, &km, &used), E_OVPN_KEY_METHOD);
	buf[4] = 2;
	/* options string longer than TLS_OPTIONS_LEN */
	size_t off = 4 + 1 + 48 + 64;
	buf[off] = 0x02;
	buf[off + 1] = 0x01;
	CHECK_ERR(ovpn_km2_parse_client(buf, n, &km, &used), E_OVPN_KEY_METHOD);
}

TEST(ovpn_km2_server_build)
{
	uint8_t r1[32], r2[32], buf[1024];
	struct wbuf w;
	struct rbuf r;
	uint32_t zero;
	uint8_t method;
	uint16_t l;

	memset(r1, 1, sizeof(r1));
	memset(r2, 2, sizeof(r2));
	wbuf_init(&w, buf, sizeof(buf));
	ovpn_km2_build_server(&w, r1, r2, "V4,tls-server");
	CHECK_OK(wbuf_result(&w));
	rbuf_init(&r, buf, w.len);
	CHECK_OK(rbuf_get_u32(&r, &zero));
	CHECK_EQ(zero, 0);
	CHECK_OK(rbuf_get_u8(&r, &method));
	CHECK_EQ(method, 2);
	CHECK_OK(rbuf_skip(&r, 64)); /* no pre_master from the server */
	CHECK_OK(rbuf_get_u16(&r, &l));
	CHECK_EQ(l, strlen("V4,tls-server") + 1);
	CHECK_OK(rbuf_skip(&r, l));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(rbuf_get_u16(&r, &l));
		CHECK_EQ(l, 0);
	}
	CHECK_OK(rbuf_expect_end(&r));
}

TEST(ovpn_ctl_msg_split)
{
	static const char s[] = "PUSH_REQUEST\0EXIT\r\n\0bad\x01msg\0PARTIAL";
	struct rbuf r;
	char m[64];

	rbuf_init(&r, s, sizeof(s) - 1);
	CHECK_OK(ovpn_ctl_msg_next(&r, m, sizeof(m)));
	CHECK_STR(m, "PUSH_REQUEST");
	CHECK_OK(ovpn_ctl_msg_next(&r, m, sizeof(m)));
	CHECK_STR(m, "EXIT");
	/* CVE-2024-5594: a non-printable character drops the message. */
	CHECK_ERR(ovpn_ctl_msg_next(&r, m, sizeof(m)), E_PARSE);
	size_t at = rbuf_offset(&r);
	CHECK_ERR(ovpn_ctl_msg_next(&r, m, sizeof(m)), E_AGAIN);
	CHECK_EQ(rbuf_offset(&r), at);
	/* Too long for the caller's buffer. */
	rbuf_init(&r, "0123456789\0", 11);
	CHECK_ERR(ovpn_ctl_msg_next(&r, m, 4), E_PARSE);
	/* An embedded newline is not a separator. */
	rbuf_init(&r, "A\nB\0", 4);
	CHECK_ERR(ovpn_ctl_msg_next(&r, m, sizeof(m)), E_PARSE);
}

TEST(ovpn_cipher_names)
{
	CHECK_EQ(ovpn_cipher_from_name("aes-256-gcm", 11), OVPN_CIPHER_AES_256_GCM);
	CHECK_EQ(ovpn_cipher_from_name("BF-CBC", 6), OVPN_CIPHER_NONE);
	CHECK_STR(ovpn_cipher_name(OVPN_CIPHER_CHACHA20_POLY1305), "CHACHA20-POLY1305");
	enum ovpn_cipher l[4];
	size_t n;
	CHECK_ERR(ovpn_cipher_list_parse("BF-CBC:DES", l, 4, &n), E_PARSE);
	CHECK_ERR(ovpn_cipher_list_parse("AES-256-GCM:AES-128-GCM", l, 1, &n), E_OVERFLOW);
}
