/*
 * test_ovpn_pkt.c - OpenVPN packet layer and handshake cookie against the real packets from
 * OpenVPN's own unit tests (vectors/openvpn-vectors.json), one negative case per error.
 */
#include <netinet/in.h>

#include "ovpn/ovpn_cookie.h"
#include "ovpn/ovpn_pkt.h"
#include "ovpn/ovpn_tls_crypt.h"
#include "test_ovpn_vec.h"

static size_t pkt_hex(const char *name, uint8_t *out, size_t cap)
{
	return ovpn_vec_hex(ovpn_vec_find("control_packets", name), "hex", out, cap);
}

TEST(ovpn_pkt_client_reset_v2)
{
	uint8_t b[256];
	struct ovpn_ctl p;
	size_t n = pkt_hex("client_reset_v2_none", b, sizeof(b));

	CHECK(n == 14);
	CHECK_OK(ovpn_ctl_parse(b, n, &p));
	CHECK_EQ(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
	CHECK_EQ(p.key_id, 0);
	CHECK(p.sid == 0x6891923fa3103437ull);
	CHECK_EQ(p.n_acks, 0);
	CHECK(p.has_msg_id);
	CHECK_EQ(p.msg_id, 0);
	CHECK_EQ(p.payload_len, 0);
}

TEST(ovpn_pkt_control_with_ack)
{
	uint8_t b[256];
	struct ovpn_ctl p;
	size_t n = pkt_hex("client_control_with_ack", b, sizeof(b));

	CHECK_OK(ovpn_ctl_parse(b, n, &p));
	CHECK_EQ(p.opcode, OVPN_P_CONTROL_V1);
	CHECK(p.sid == 0x7819bf2ebcd19a45ull);
	CHECK_EQ(p.n_acks, 1);
	CHECK_EQ(p.acks[0], 0);
	CHECK(p.remote_sid == 0xeafebfa4418ae31bull);
	CHECK_EQ(p.msg_id, 1);
	CHECK_EQ(p.payload_len, 3);
	CHECK_MEM(p.payload, "\x16\x03\x01", 3);
}

TEST(ovpn_pkt_ack_v1)
{
	uint8_t b[256];
	struct ovpn_ctl p;
	size_t n = pkt_hex("client_ack_none_random_id", b, sizeof(b));

	CHECK_OK(ovpn_ctl_parse(b, n, &p));
	CHECK_EQ(p.opcode, OVPN_P_ACK_V1);
	CHECK(!p.has_msg_id);
	CHECK_EQ(p.n_acks, 1);
	CHECK(p.remote_sid == 0xdd85db535623b02eull);

	n = pkt_hex("client_ack_123_none_random_id", b, sizeof(b));
	CHECK_OK(ovpn_ctl_parse(b, n, &p));
	CHECK_EQ(p.n_acks, 3);
	CHECK_EQ(p.acks[2], 2);
}

/* Built packets are byte-identical to the captured ones. */
TEST(ovpn_pkt_build_roundtrip)
{
	static const char *names[] = {"client_reset_v2_none", "client_control_with_ack",
	                              "client_ack_none_random_id", "client_ack_123_none_random_id"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t b[256], o[256];
		struct ovpn_ctl p;
		struct wbuf w;
		size_t n = pkt_hex(names[i], b, sizeof(b));
		CHECK(n > 0);
		CHECK_OK(ovpn_ctl_parse(b, n, &p));
		wbuf_init(&w, o, sizeof(o));
		ovpn_ctl_build(&w, &p);
		CHECK_OK(wbuf_result(&w));
		CHECK_EQ(w.len, n);
		CHECK_MEM(o, b, n);
	}
}

TEST(ovpn_pkt_negative)
{
	uint8_t b[4096];
	struct ovpn_ctl p;
	size_t n;

	/* Truncated in the remote session id (OpenVPN's mislabelled test packet). */
	n = pkt_hex("client_control_none_random_id", b, sizeof(b));
	CHECK(n == 15);
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_TRUNCATED);
	/* Shorter than opcode + session id. */
	CHECK_ERR(ovpn_ctl_parse(b, 5, &p), E_TRUNCATED);
	CHECK_ERR(ovpn_ctl_parse(b, 0, &p), E_TRUNCATED);
	/* Obsolete key-method 1 resets, opcode 0 and opcodes above P_LAST_OPCODE. */
	n = pkt_hex("client_reset_v2_none", b, sizeof(b));
	b[0] = 1 << 3;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_OPCODE);
	b[0] = 2 << 3;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_OPCODE);
	b[0] = 0;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_OPCODE);
	b[0] = 12 << 3;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_OPCODE);
	b[0] = (uint8_t)(31 << 3);
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_OPCODE);
	/* Data opcodes are not control packets. */
	b[0] = OVPN_P_DATA_V2 << 3;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_SYNTAX);
	/* tls-crypt-v2 packets are not configured. */
	b[0] = OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 << 3;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_UNSUPPORTED);
	/* ack_count 9 > RELIABLE_ACK_SIZE. */
	n = pkt_hex("client_ack_none_random_id", b, sizeof(b));
	b[9] = 9;
	CHECK_ERR(ovpn_ctl_parse(b, n, &p), E_OVPN_ACKS);
	/* P_ACK_V1 with a trailing octet. */
	n = pkt_hex("client_ack_none_random_id", b, sizeof(b));
	b[n] = 0;
	CHECK_ERR(ovpn_ctl_parse(b, n + 1, &p), E_TRAILING);
	/* Control payload larger than we accept (CVE-2017-7478 was an ASSERT here). */
	n = pkt_hex("client_control_with_ack", b, sizeof(b));
	memset(b + n, 0x17, sizeof(b) - n);
	CHECK_ERR(ovpn_ctl_parse(b, n + OVPN_CTL_PAYLOAD_MAX, &p), E_OVPN_SYNTAX);
	CHECK_OK(ovpn_ctl_parse(b, n + OVPN_CTL_PAYLOAD_MAX - 3, &p));
}

TEST(ovpn_pkt_data_hdr)
{
	struct ovpn_data_hdr h;
	static const uint8_t v2[] = {0x48 | 2, 0x00, 0x01, 0x02, 0xaa};
	static const uint8_t v1[] = {0x30 | 1, 0xaa};

	CHECK_OK(ovpn_data_hdr_parse(v2, sizeof(v2), &h));
	CHECK_EQ(h.opcode, OVPN_P_DATA_V2);
	CHECK_EQ(h.key_id, 2);
	CHECK_EQ(h.peer_id, 0x102);
	CHECK_EQ(h.hdr_len, 4);
	CHECK_OK(ovpn_data_hdr_parse(v1, sizeof(v1), &h));
	CHECK_EQ(h.opcode, OVPN_P_DATA_V1);
	CHECK_EQ(h.peer_id, OVPN_PEER_ID_UNDEF);
	CHECK_EQ(h.hdr_len, 1);
	CHECK_ERR(ovpn_data_hdr_parse(v2, 3, &h), E_TRUNCATED);
	CHECK_ERR(ovpn_data_hdr_parse(v2, 0, &h), E_TRUNCATED);
	CHECK_ERR(ovpn_data_hdr_parse((const uint8_t *)"\x20", 1, &h), E_OVPN_OPCODE);
}

TEST(ovpn_pkt_tcp_framing)
{
	uint8_t s[64];
	struct rbuf stream, pkt;
	struct wbuf w;

	wbuf_init(&w, s, sizeof(s));
	wbuf_put_u16(&w, 3);
	wbuf_put_bytes(&w, "abc", 3);
	wbuf_put_u16(&w, 2);
	wbuf_put_bytes(&w, "de", 2);
	wbuf_put_u16(&w, 5);
	wbuf_put_bytes(&w, "fg", 2); /* incomplete */
	rbuf_init(&stream, s, w.len);
	CHECK_OK(ovpn_tcp_frame_next(&stream, &pkt));
	CHECK_EQ(rbuf_remaining(&pkt), 3);
	CHECK_MEM(rbuf_cur(&pkt), "abc", 3);
	CHECK_OK(ovpn_tcp_frame_next(&stream, &pkt));
	CHECK_MEM(rbuf_cur(&pkt), "de", 2);
	size_t at = rbuf_offset(&stream);
	CHECK_ERR(ovpn_tcp_frame_next(&stream, &pkt), E_AGAIN);
	CHECK_EQ(rbuf_offset(&stream), at);
	rbuf_init(&stream, s, 1); /* half a length */
	CHECK_ERR(ovpn_tcp_frame_next(&stream, &pkt), E_AGAIN);
	rbuf_init(&stream, (const uint8_t *)"\0\0", 2);
	CHECK_ERR(ovpn_tcp_frame_next(&stream, &pkt), E_OVPN_SYNTAX);
}

/* --- cookie: the third packet must echo what we answered the reset with ------------------ */

static void sin_make(struct sockaddr_in *sin, uint32_t ip, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(ip);
	sin->sin_port = htons(port);
}

TEST(ovpn_cookie_roundtrip)
{
	struct ovpn_cookie ck;
	struct sockaddr_in a, b;
	uint8_t buf[256];
	struct ovpn_ctl p;
	uint64_t now = 1000000;

	CHECK_OK(ovpn_cookie_init(&ck, 60));
	sin_make(&a, 0xc0000202, 40000);
	sin_make(&b, 0xc0000203, 40000);
	/* The real client ACK, with our cookie put in the echoed session id. */
	size_t n = pkt_hex("client_ack_none_random_id", buf, sizeof(buf));
	CHECK_OK(ovpn_ctl_parse(buf, n, &p));
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	p.remote_sid = ovpn_cookie_make(&ck, (struct sockaddr *)&a, p.sid, now);
	CHECK_OK(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now));
	/* Still valid two slots (2 x 30 s) later, not three. */
	CHECK_OK(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now + 60000));
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now + 95000), E_OVPN_COOKIE);
	/* Another source address or port, another client session id: refused. */
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&b, &p, now), E_OVPN_COOKIE);
	sin_make(&b, 0xc0000202, 40001);
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&b, &p, now), E_OVPN_COOKIE);
	p.sid ^= 1;
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	p.sid ^= 1;
	/* CVE-2025-13086: every single-bit change of the cookie is refused. */
	for (int bit = 0; bit < 64; bit++) {
		p.remote_sid ^= 1ull << bit;
		CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
		p.remote_sid ^= 1ull << bit;
	}
	ovpn_cookie_fini(&ck);
}

TEST(ovpn_cookie_third_packet_shape)
{
	struct ovpn_cookie ck;
	struct sockaddr_in a;
	uint8_t buf[256];
	struct ovpn_ctl p;
	uint64_t now = 5000;

	CHECK_OK(ovpn_cookie_init(&ck, 60));
	sin_make(&a, 0xc0000202, 40000);
	/* Acks of ids 0,1,2: a fresh client cannot have seen id 2. */
	size_t n = pkt_hex("client_ack_123_none_random_id", buf, sizeof(buf));
	CHECK_OK(ovpn_ctl_parse(buf, n, &p));
	p.remote_sid = ovpn_cookie_make(&ck, (struct sockaddr *)&a, p.sid, now);
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	/* P_CONTROL_V1 with message id 1 is fine; id 2, a key_id, or no ack is not. */
	n = pkt_hex("client_control_with_ack", buf, sizeof(buf));
	CHECK_OK(ovpn_ctl_parse(buf, n, &p));
	p.remote_sid = ovpn_cookie_make(&ck, (struct sockaddr *)&a, p.sid, now);
	CHECK_OK(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now));
	p.msg_id = 2;
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	p.msg_id = 1;
	p.key_id = 1;
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	p.key_id = 0;
	p.n_acks = 0;
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	p.n_acks = 1;
	p.opcode = OVPN_P_CONTROL_SOFT_RESET_V1;
	CHECK_ERR(ovpn_cookie_verify(&ck, (struct sockaddr *)&a, &p, now), E_OVPN_COOKIE);
	ovpn_cookie_fini(&ck);
}

/* --- tls-crypt v1 ------------------------------------------------------------------------ */

static void static_key_from_vec(uint8_t key[OVPN_STATIC_KEY_LEN])
{
	const char *hex = ovpn_vec_str(ovpn_vec_root(), "static_key_hex");
	size_t n = 0;
	if (!hex || hex_decode(hex, key, OVPN_STATIC_KEY_LEN, &n) != E_OK ||
	    n != OVPN_STATIC_KEY_LEN)
		memset(key, 0, OVPN_STATIC_KEY_LEN);
}

/* The client's tls-crypt reset from OpenVPN's tests, unwrapped by the server side. */
TEST(ovpn_tls_crypt_vector)
{
	uint8_t key[OVPN_STATIC_KEY_LEN], b[256], out[256];
	struct ovpn_tls_crypt tc;
	struct ovpn_ctl p;
	struct wbuf w;
	uint32_t pid = 0, t = 0;
	size_t n = pkt_hex("client_reset_v2_tls_crypt", b, sizeof(b));

	static_key_from_vec(key);
	ovpn_tls_crypt_init(&tc, key, true);
	wbuf_init(&w, out, sizeof(out));
	CHECK_OK(ovpn_tls_crypt_unwrap(&tc, b, n, &w, &pid, &t));
	CHECK_EQ(pid, 1);
	CHECK_EQ(t, 1641281761u);
	CHECK_OK(ovpn_ctl_parse(w.data, w.len, &p));
	CHECK_EQ(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
	CHECK(p.sid == 0xf419cb12d1f9e48full);
	CHECK_EQ(p.n_acks, 0);
	CHECK_EQ(p.msg_id, 0);
	/* Every single-bit change anywhere is refused, and leaves nothing in the output. */
	for (size_t bit = 0; bit < n * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		wbuf_init(&w, out, sizeof(out));
		result_t rc = ovpn_tls_crypt_unwrap(&tc, b, n, &w, &pid, &t);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (rc != E_OVPN_HMAC || w.len != 0)
			TEST_FAIL("bit %zu: %s", bit, err_name(rc));
	}
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_tls_crypt_unwrap(&tc, b, 1 + 8 + 8 + 31, &w, &pid, &t), E_TRUNCATED);
	/* The client's own direction does not verify with the server's receive key. */
	ovpn_tls_crypt_init(&tc, key, false);
	wbuf_init(&w, out, sizeof(out));
	CHECK_ERR(ovpn_tls_crypt_unwrap(&tc, b, n, &w, &pid, &t), E_OVPN_HMAC);
	ovpn_tls_crypt_fini(&tc);
}

/* Server wraps, a client-direction instance unwraps to the same plain packet. */
TEST(ovpn_tls_crypt_roundtrip)
{
	uint8_t key[OVPN_STATIC_KEY_LEN], b[256], wrapped[512], out[512];
	struct ovpn_tls_crypt srv, cli;
	struct wbuf w, o;
	uint32_t pid, t;
	size_t n = pkt_hex("client_control_with_ack", b, sizeof(b));

	static_key_from_vec(key);
	ovpn_tls_crypt_init(&srv, key, true);
	ovpn_tls_crypt_init(&cli, key, false);
	wbuf_init(&w, wrapped, sizeof(wrapped));
	CHECK_OK(ovpn_tls_crypt_wrap(&srv, b, n, 7, 1700000000u, &w));
	CHECK_EQ(w.len, n + 8 + OVPN_TLS_CRYPT_TAG_LEN);
	wbuf_init(&o, out, sizeof(out));
	CHECK_OK(ovpn_tls_crypt_unwrap(&cli, wrapped, w.len, &o, &pid, &t));
	CHECK_EQ(pid, 7);
	CHECK_EQ(t, 1700000000u);
	CHECK_EQ(o.len, n);
	CHECK_MEM(out, b, n);
	wbuf_init(&o, out, sizeof(out));
	CHECK_ERR(ovpn_tls_crypt_unwrap(&srv, wrapped, w.len, &o, &pid, &t), E_OVPN_HMAC);
	CHECK_ERR(ovpn_tls_crypt_wrap(&srv, b, 5, 1, 1, &w), E_TRUNCATED);
}

TEST(ovpn_static_key_file)
{
	uint8_t key[OVPN_STATIC_KEY_LEN], want[OVPN_STATIC_KEY_LEN];
	char text[1024];
	const char *hex = ovpn_vec_str(ovpn_vec_root(), "static_key_hex");
	size_t off = 0;

	CHECK(hex && strlen(hex) == 512);
	static_key_from_vec(want);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
	                        "#\n# 2048 bit OpenVPN static key\n#\n"
	                        "-----BEGIN OpenVPN Static key V1-----\n");
	for (int i = 0; i < 16; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%.32s\n", hex + 32 * i);
	snprintf(text + off, sizeof(text) - off, "-----END OpenVPN Static key V1-----\n");
	CHECK_OK(ovpn_static_key_parse(text, key));
	CHECK_MEM(key, want, sizeof(key));
	text[200] = 'x';
	CHECK_ERR(ovpn_static_key_parse(text, key), E_PARSE);
	CHECK_ERR(ovpn_static_key_parse("-----BEGIN OpenVPN Static key V1-----\nabcd\n"
	                                "-----END OpenVPN Static key V1-----",
	                                key),
	          E_PARSE);
	CHECK_ERR(ovpn_static_key_parse("no key here", key), E_PARSE);
}
