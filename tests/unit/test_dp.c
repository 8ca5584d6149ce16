/* test_dp.c - the data plane's inner-packet work (MSS clamping with checksum repair,
 * fragmentation before encryption, ICMP "fragmentation needed") and the guide's MTU/MSS table.
 * The workers themselves are exercised end to end by tests/net/dp_esp_loop.sh. */
#include "test.h"

#include "dp/dp.h"
#include "dp/dp_ip.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Full one's-complement sum, for verifying checksums from scratch. */
static uint16_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static bool tcp4_csum_ok(const uint8_t *pkt, size_t len)
{
	uint32_t sum = 0;

	sum += sum16(0, pkt + 12, 8); /* source, destination */
	sum += 6 + (uint32_t)(len - 20);
	return sum16(sum, pkt + 20, len - 20) == 0xffff;
}

/* IPv4 TCP SYN with options: [NOP]* MSS(mss) ..., checksum filled in. */
static size_t tcp4_syn(uint8_t *p, uint16_t mss, unsigned nops)
{
	size_t opt = 4 + nops, optlen = (opt + 3) & ~(size_t)3, len = 20 + 20 + optlen;
	uint32_t sum = 0;

	memset(p, 0, len);
	p[0] = 0x45;
	wr16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = 6;
	p[12] = 10, p[13] = 1, p[15] = 1;
	p[16] = 10, p[17] = 2, p[19] = 1;
	wr16(p + 10, (uint16_t)~sum16(0, p, 20));
	wr16(p + 20, 40000);
	wr16(p + 22, 80);
	p[32] = (uint8_t)((20 + optlen) / 4 << 4);
	p[33] = 0x02; /* SYN */
	wr16(p + 34, 65535);
	for (unsigned i = 0; i < nops; i++)
		p[40 + i] = 1;
	p[40 + nops] = 2;
	p[41 + nops] = 4;
	wr16(p + 42 + nops, mss);
	sum += sum16(0, p + 12, 8);
	sum += 6 + (uint32_t)(len - 20);
	wr16(p + 36, (uint16_t)~sum16(sum, p + 20, len - 20));
	return len;
}

TEST(dp_mss_clamp_even_and_odd_offsets)
{
	for (unsigned nops = 0; nops < 4 && !test_failed_flag; nops++) {
		uint8_t pkt[128];
		size_t len = tcp4_syn(pkt, 1460, nops);
		struct dp_ip ip;

		CHECK(tcp4_csum_ok(pkt, len));
		CHECK_OK(dp_ip_parse(pkt, len, &ip));
		CHECK_EQ(ip.proto, 6);
		CHECK(dp_mss_clamp(pkt, &ip, 1406));
		CHECK_EQ(rd16(pkt + 42 + nops), 1406);
		CHECK(tcp4_csum_ok(pkt, len));
		/* already small enough: untouched */
		CHECK(!dp_mss_clamp(pkt, &ip, 1406));
		CHECK(!dp_mss_clamp(pkt, &ip, 1446));
	}
}

TEST(dp_mss_clamp_ignores_non_syn_and_garbage)
{
	uint8_t pkt[128];
	size_t len = tcp4_syn(pkt, 1460, 0);
	struct dp_ip ip;

	pkt[33] = 0x10; /* ACK only */
	CHECK_OK(dp_ip_parse(pkt, len, &ip));
	CHECK(!dp_mss_clamp(pkt, &ip, 1000));
	pkt[33] = 0x02;
	pkt[41] = 0; /* option length 0: malformed, left alone */
	CHECK(!dp_mss_clamp(pkt, &ip, 1000));
	pkt[41] = 4;
	pkt[32] = 0xf0; /* data offset beyond the packet */
	CHECK(!dp_mss_clamp(pkt, &ip, 1000));
}

TEST(dp_ip_parse_errors)
{
	uint8_t pkt[64] = {0x45};
	struct dp_ip ip;

	CHECK_ERR(dp_ip_parse(pkt, 0, &ip), E_DP_BAD_PACKET);
	CHECK_ERR(dp_ip_parse(pkt, 19, &ip), E_DP_BAD_PACKET);
	wr16(pkt + 2, 64);
	CHECK_OK(dp_ip_parse(pkt, 64, &ip));
	CHECK_ERR(dp_ip_parse(pkt, 63, &ip), E_DP_BAD_PACKET); /* total length > buffer */
	pkt[0] = 0x44;                                         /* IHL 4 */
	CHECK_ERR(dp_ip_parse(pkt, 64, &ip), E_DP_BAD_PACKET);
	pkt[0] = 0x60;
	wr16(pkt + 4, 24);
	CHECK_OK(dp_ip_parse(pkt, 64, &ip));
	CHECK_EQ(ip.total_len, 64);
	wr16(pkt + 4, 25);
	CHECK_ERR(dp_ip_parse(pkt, 64, &ip), E_DP_BAD_PACKET);
	pkt[0] = 0x50;
	CHECK_ERR(dp_ip_parse(pkt, 64, &ip), E_DP_BAD_PACKET);
}

/* Fragments reassemble to the original; each has a valid header checksum. */
TEST(dp_ipv4_fragment_reassembles)
{
	static uint8_t pkt[1500], frag[1500], re[1500];
	size_t total = 1500;
	struct dp_ip ip;
	bool last = false;
	unsigned n = 0;
	size_t covered = 0;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	wr16(pkt + 2, (uint16_t)total);
	wr16(pkt + 4, 0x1234);
	pkt[8] = 64;
	pkt[9] = 17;
	for (size_t i = 20; i < total; i++)
		pkt[i] = (uint8_t)(i * 31);
	wr16(pkt + 10, (uint16_t)~sum16(0, pkt, 20));
	CHECK_OK(dp_ip_parse(pkt, total, &ip));
	memcpy(re, pkt, 20);
	for (unsigned idx = 0; !last && idx < 8; idx++, n++) {
		size_t flen, off;
		struct dp_ip fi;

		CHECK_OK(dp_ipv4_fragment(pkt, &ip, 1446, idx, frag, sizeof(frag), &flen, &last));
		CHECK(flen <= 1446);
		CHECK_OK(dp_ip_parse(frag, flen, &fi));
		CHECK(fi.is_fragment);
		CHECK_EQ(sum16(0, frag, 20), 0xffff);
		CHECK_EQ(rd16(frag + 4), 0x1234);
		off = (size_t)(rd16(frag + 6) & 0x1fff) * 8;
		CHECK_EQ(!(rd16(frag + 6) & 0x2000), last);
		memcpy(re + 20 + off, frag + 20, flen - 20);
		covered += flen - 20;
	}
	CHECK_EQ(n, 2);
	CHECK_EQ(covered, total - 20);
	CHECK_MEM(re + 20, pkt + 20, total - 20);
	/* DF set: refused */
	pkt[6] = 0x40;
	CHECK_OK(dp_ip_parse(pkt, total, &ip));
	CHECK_ERR(dp_ipv4_fragment(pkt, &ip, 1446, 0, frag, sizeof(frag), &covered, &last),
		  E_INVAL);
}

TEST(dp_icmp_frag_needed_and_packet_too_big)
{
	uint8_t pkt[1500] = {0x45}, out[1400];
	struct dp_ip ip;
	struct addr from;
	size_t n;

	wr16(pkt + 2, 1500);
	pkt[6] = 0x40; /* DF */
	pkt[9] = 6;
	pkt[12] = 10, pkt[13] = 1, pkt[15] = 1;
	pkt[16] = 10, pkt[17] = 2, pkt[19] = 1;
	CHECK_OK(dp_ip_parse(pkt, sizeof(pkt), &ip));
	CHECK_OK(addr_parse("10.2.0.1", &from));
	CHECK_OK(dp_icmp_too_big(pkt, &ip, 1446, &from, out, sizeof(out), &n));
	CHECK_EQ(n, 20 + 8 + 28);
	CHECK_EQ(sum16(0, out, 20), 0xffff);
	CHECK_EQ(out[9], 1);
	CHECK_MEM(out + 16, pkt + 12, 4); /* back to the sender */
	CHECK_EQ(out[20], 3);
	CHECK_EQ(out[21], 4);
	CHECK_EQ(rd16(out + 26), 1446);
	CHECK_EQ(sum16(0, out + 20, n - 20), 0xffff);
	CHECK_MEM(out + 28, pkt, 28);

	/* IPv6: type 2, MTU in 32 bits, pseudo-header checksum */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	wr16(pkt + 4, 1460);
	pkt[6] = 6;
	pkt[8 + 15] = 1;
	pkt[24 + 15] = 2;
	CHECK_OK(dp_ip_parse(pkt, sizeof(pkt), &ip));
	CHECK_OK(addr_parse("::2", &from));
	CHECK_OK(dp_icmp_too_big(pkt, &ip, 1386, &from, out, sizeof(out), &n));
	CHECK_EQ(n, 1280);
	CHECK_EQ(out[40], 2);
	CHECK_EQ(rd16(out + 46), 1386);
	{
		uint32_t s = sum16(0, out + 8, 32);

		s += 58 + (uint32_t)(n - 40);
		CHECK_EQ(sum16(s, out + 40, n - 40), 0xffff);
	}
	/* family mismatch */
	CHECK_OK(addr_parse("10.2.0.1", &from));
	CHECK_ERR(dp_icmp_too_big(pkt, &ip, 1386, &from, out, sizeof(out), &n), E_INVAL);
}

/* site-to-site.md 5.2, MTU / MSS by algorithm (G:1390-1400). */
TEST(dp_tunnel_mtu_matches_the_guide_table)
{
	static const struct {
		uint16_t encr, integ;
		bool natt;
		uint32_t mtu, mss4, mss6;
	} rows[] = {
		{CRYPTO_ENCR_AES_GCM_16, CRYPTO_INTEG_NONE, false, 1446, 1406, 1386},
		{CRYPTO_ENCR_AES_GCM_16, CRYPTO_INTEG_NONE, true, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA1_96, false, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA1_96, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_256_128, false, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_256_128, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_384_192, false, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_384_192, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_512_256, false, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_512_256, true, 1406, 1366, 1346},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !test_failed_flag; i++) {
		struct esp_sa_params p = {0};
		struct esp_sa *sa;
		uint32_t mtu;

		p.spi = 0x1000;
		p.dir = ESP_DIR_OUT;
		p.encr = rows[i].encr;
		p.key_bits = 128;
		p.integ = rows[i].integ;
		p.encr_key_len = crypto_encr_keymat_len(p.encr, 128);
		p.integ_key_len = rows[i].integ ? crypto_integ_key_len(p.integ) : 0;
		p.encap = rows[i].natt;
		CHECK_OK(addr_parse("192.0.2.2", &p.remote));
		CHECK_OK(esp_sa_new(&p, &sa));
		mtu = dp_tunnel_mtu(sa);
		CHECK_EQ(mtu, rows[i].mtu);
		CHECK_EQ(mtu - 40, rows[i].mss4);
		CHECK_EQ(mtu - 60, rows[i].mss6);
		/* and a full-size inner packet plus overhead is exactly an outer 1500 or less */
		CHECK(mtu + esp_sa_overhead(sa, mtu) + 20 + (rows[i].natt ? 8 : 0) <= 1500);
		esp_sa_free(sa);
	}
}

/* TSO from the TUN: a 4000-byte TCP super-packet becomes 3 valid segments. */
TEST(dp_tcp_segment_super_packet)
{
	static uint8_t pkt[4096], seg[2048], payload[4000];
	size_t hdr = 20 + 32, total = hdr + sizeof(payload), covered = 0;
	uint32_t seq0 = 0xfffff000u; /* wraps inside the burst */
	struct dp_ip ip;
	bool last = false;
	unsigned n = 0;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	wr16(pkt + 2, (uint16_t)total);
	wr16(pkt + 4, 100);
	pkt[6] = 0x40;
	pkt[8] = 64;
	pkt[9] = 6;
	pkt[12] = 10, pkt[13] = 1, pkt[15] = 1;
	pkt[16] = 10, pkt[17] = 2, pkt[19] = 1;
	pkt[24] = (uint8_t)(seq0 >> 24), pkt[25] = (uint8_t)(seq0 >> 16);
	pkt[26] = (uint8_t)(seq0 >> 8), pkt[27] = (uint8_t)seq0;
	pkt[32] = 8 << 4;
	pkt[33] = 0x18 | 0x01 | 0x80; /* ACK PSH FIN CWR */
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = pkt[hdr + i] = (uint8_t)(i * 7 + 3);
	CHECK_OK(dp_ip_parse(pkt, total, &ip));
	for (unsigned idx = 0; !last; idx++, n++) {
		size_t len;
		uint32_t seq;

		CHECK_OK(dp_tcp_segment(pkt, &ip, 1388, idx, seg, sizeof(seg), &len, &last));
		CHECK(len <= hdr + 1388);
		CHECK_EQ(rd16(seg + 2), len);
		CHECK_EQ(rd16(seg + 4), 100 + idx);
		CHECK_EQ(sum16(0, seg, 20), 0xffff);
		CHECK(tcp4_csum_ok(seg, len));
		seq = (uint32_t)seg[24] << 24 | (uint32_t)seg[25] << 16 | (uint32_t)seg[26] << 8 |
		      seg[27];
		CHECK_EQ(seq, (uint32_t)(seq0 + covered));
		CHECK_EQ(!!(seg[33] & 0x01), last); /* FIN and PSH only on the last */
		CHECK_EQ(!!(seg[33] & 0x08), last);
		CHECK_EQ(!!(seg[33] & 0x80), idx == 0); /* CWR only on the first */
		CHECK_MEM(seg + hdr, payload + covered, len - hdr);
		covered += len - hdr;
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(covered, sizeof(payload));
	CHECK_ERR(dp_tcp_segment(pkt, &ip, 1388, 3, seg, sizeof(seg), &covered, &last), E_INVAL);
	CHECK_ERR(dp_tcp_segment(pkt, &ip, 0, 0, seg, sizeof(seg), &covered, &last),
		  E_DP_BAD_PACKET);
}

/* VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header sum; completing it gives the
 * same checksum as computing it from scratch. */
TEST(dp_csum_complete_partial)
{
	uint8_t pkt[128];
	size_t len = tcp4_syn(pkt, 1000, 1);
	uint32_t ph = 0;
	struct dp_vnet_hdr vh;
	uint8_t hdr[DP_VNET_HDR_LEN] = {1, 0, 0, 0, 0, 0, 20, 0, 16, 0};

	ph += sum16(0, pkt + 12, 8);
	ph += 6 + (uint32_t)(len - 20);
	wr16(pkt + 36, sum16(ph, NULL, 0));
	CHECK(!tcp4_csum_ok(pkt, len));
	CHECK_OK(dp_csum_complete(pkt, len, 20, 16));
	CHECK(tcp4_csum_ok(pkt, len));
	CHECK_ERR(dp_csum_complete(pkt, len, len, 16), E_DP_BAD_PACKET);
	CHECK_ERR(dp_csum_complete(pkt, len, 20, len), E_DP_BAD_PACKET);
	CHECK_OK(dp_vnet_parse(hdr, sizeof(hdr), &vh));
	CHECK_EQ(vh.flags, 1);
	CHECK_EQ(vh.csum_start, 20); /* host (little-endian) order on x86 */
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_ERR(dp_vnet_parse(hdr, 9, &vh), E_TRUNCATED);
}

/* Receive coalescing: segments of one burst merge back into the super-packet; a gap, another
 * flow or a pure ACK does not merge. */
TEST(dp_gro_merges_in_order_segments)
{
	static uint8_t pkt[4096], seg[4][2048], buf[DP_VNET_HDR_LEN + DP_GRO_MAX_LEN];
	size_t hdr = 20 + 32, total = hdr + 4000, lens[4], n;
	struct dp_gro g = {.buf = buf};
	struct dp_ip ip, si;
	bool last = false;
	unsigned nseg = 0;
	struct dp_vnet_hdr vh;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	wr16(pkt + 2, (uint16_t)total);
	pkt[8] = 64;
	pkt[9] = 6;
	pkt[12] = 10, pkt[13] = 1, pkt[15] = 1;
	pkt[16] = 10, pkt[17] = 2, pkt[19] = 1;
	pkt[32] = 8 << 4;
	pkt[33] = 0x18; /* ACK PSH */
	for (size_t i = hdr; i < total; i++)
		pkt[i] = (uint8_t)(i * 5);
	CHECK_OK(dp_ip_parse(pkt, total, &ip));
	while (!last) {
		CHECK_OK(dp_tcp_segment(pkt, &ip, 1388, nseg, seg[nseg], sizeof(seg[0]),
					&lens[nseg], &last));
		nseg++;
	}
	CHECK_EQ(nseg, 3);
	/* out of order: the second segment cannot follow itself */
	CHECK_OK(dp_ip_parse(seg[0], lens[0], &si));
	CHECK(dp_gro_add(&g, seg[0], &si));
	CHECK(!dp_gro_add(&g, seg[0], &si));
	for (unsigned i = 1; i < nseg; i++) {
		CHECK_OK(dp_ip_parse(seg[i], lens[i], &si));
		CHECK(dp_gro_add(&g, seg[i], &si));
	}
	/* the short last segment closed the burst */
	CHECK(!dp_gro_add(&g, seg[1], &si));
	n = dp_gro_finish(&g);
	CHECK_EQ(n, DP_VNET_HDR_LEN + total);
	CHECK_OK(dp_vnet_parse(buf, n, &vh));
	CHECK_EQ(vh.flags, DP_VNET_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, DP_VNET_GSO_TCPV4);
	CHECK_EQ(vh.gso_size, 1388);
	CHECK_EQ(vh.hdr_len, hdr);
	CHECK_EQ(vh.csum_start, 20);
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_EQ(sum16(0, buf + DP_VNET_HDR_LEN, 20), 0xffff);
	CHECK_MEM(buf + DP_VNET_HDR_LEN + hdr, pkt + hdr, total - hdr);
	/* completing the partial checksum gives a valid TCP checksum */
	CHECK_OK(dp_csum_complete(buf + DP_VNET_HDR_LEN, total, 20, 16));
	CHECK(tcp4_csum_ok(buf + DP_VNET_HDR_LEN, total));
	CHECK_EQ(dp_gro_finish(&g), 0);

	/* another flow (port) does not join; a lone segment is written unchanged */
	CHECK_OK(dp_ip_parse(seg[0], lens[0], &si));
	CHECK(dp_gro_add(&g, seg[0], &si));
	seg[1][21] ^= 1;
	CHECK_OK(dp_ip_parse(seg[1], lens[1], &si));
	CHECK(!dp_gro_add(&g, seg[1], &si));
	n = dp_gro_finish(&g);
	CHECK_EQ(n, DP_VNET_HDR_LEN + lens[0]);
	CHECK_EQ(buf[0], DP_VNET_F_DATA_VALID);
	CHECK_EQ(buf[1], DP_VNET_GSO_NONE);
	CHECK_MEM(buf + DP_VNET_HDR_LEN, seg[0], lens[0]);
	/* a SYN never coalesces */
	{
		uint8_t syn[128];
		size_t sl = tcp4_syn(syn, 1460, 0);

		CHECK_OK(dp_ip_parse(syn, sl, &si));
		CHECK(!dp_gro_add(&g, syn, &si));
	}
}
