/* test_inet.c - inner IP packets (src/inet): parse, MSS clamping with checksum repair,
 * fragmentation before encryption, ICMP "fragmentation needed", and the TUN offloads shared by
 * the IPsec data plane and the OpenVPN server: partial checksums, TCP segmentation of
 * super-packets and receive coalescing (what merges, what must not, and the super-packet
 * checked against the segments it came from). End to end: tests/net/dp_esp_loop.sh,
 * tests/net/ovpn_client.sh. */
#include "test.h"

#include "inet/inet.h"
#include "lib/buf.h"

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

TEST(inet_mss_clamp_even_and_odd_offsets)
{
	for (unsigned nops = 0; nops < 4 && !test_failed_flag; nops++) {
		uint8_t pkt[128];
		size_t len = tcp4_syn(pkt, 1460, nops);
		struct inet_ip ip;

		CHECK(tcp4_csum_ok(pkt, len));
		CHECK_OK(inet_ip_parse(pkt, len, &ip));
		CHECK_EQ(ip.proto, 6);
		CHECK(inet_mss_clamp(pkt, &ip, 1406));
		CHECK_EQ(rd16(pkt + 42 + nops), 1406);
		CHECK(tcp4_csum_ok(pkt, len));
		/* already small enough: untouched */
		CHECK(!inet_mss_clamp(pkt, &ip, 1406));
		CHECK(!inet_mss_clamp(pkt, &ip, 1446));
	}
}

TEST(inet_mss_clamp_ignores_non_syn_and_garbage)
{
	uint8_t pkt[128];
	size_t len = tcp4_syn(pkt, 1460, 0);
	struct inet_ip ip;

	pkt[33] = 0x10; /* ACK only */
	CHECK_OK(inet_ip_parse(pkt, len, &ip));
	CHECK(!inet_mss_clamp(pkt, &ip, 1000));
	pkt[33] = 0x02;
	pkt[41] = 0; /* option length 0: malformed, left alone */
	CHECK(!inet_mss_clamp(pkt, &ip, 1000));
	pkt[41] = 4;
	pkt[32] = 0xf0; /* data offset beyond the packet */
	CHECK(!inet_mss_clamp(pkt, &ip, 1000));
}

TEST(inet_ip_parse_errors)
{
	uint8_t pkt[64] = {0x45};
	struct inet_ip ip;

	CHECK_ERR(inet_ip_parse(pkt, 0, &ip), E_INET_BAD_PACKET);
	CHECK_ERR(inet_ip_parse(pkt, 19, &ip), E_INET_BAD_PACKET);
	wr16(pkt + 2, 64);
	CHECK_OK(inet_ip_parse(pkt, 64, &ip));
	CHECK_ERR(inet_ip_parse(pkt, 63, &ip), E_INET_BAD_PACKET); /* total length > buffer */
	pkt[0] = 0x44;                                             /* IHL 4 */
	CHECK_ERR(inet_ip_parse(pkt, 64, &ip), E_INET_BAD_PACKET);
	pkt[0] = 0x60;
	wr16(pkt + 4, 24);
	CHECK_OK(inet_ip_parse(pkt, 64, &ip));
	CHECK_EQ(ip.total_len, 64);
	wr16(pkt + 4, 25);
	CHECK_ERR(inet_ip_parse(pkt, 64, &ip), E_INET_BAD_PACKET);
	pkt[0] = 0x50;
	CHECK_ERR(inet_ip_parse(pkt, 64, &ip), E_INET_BAD_PACKET);
}

/* Fragments reassemble to the original; each has a valid header checksum. */
TEST(inet_ipv4_fragment_reassembles)
{
	static uint8_t pkt[1500], frag[1500], re[1500];
	size_t total = 1500;
	struct inet_ip ip;
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
	CHECK_OK(inet_ip_parse(pkt, total, &ip));
	memcpy(re, pkt, 20);
	for (unsigned idx = 0; !last && idx < 8; idx++, n++) {
		size_t flen, off;
		struct inet_ip fi;

		CHECK_OK(inet_ipv4_fragment(pkt, &ip, 1446, idx, frag, sizeof(frag), &flen, &last));
		CHECK(flen <= 1446);
		CHECK_OK(inet_ip_parse(frag, flen, &fi));
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
	CHECK_OK(inet_ip_parse(pkt, total, &ip));
	CHECK_ERR(inet_ipv4_fragment(pkt, &ip, 1446, 0, frag, sizeof(frag), &covered, &last),
	          E_INVAL);
}

TEST(inet_icmp_frag_needed_and_packet_too_big)
{
	uint8_t pkt[1500] = {0x45}, out[1400];
	struct inet_ip ip;
	struct addr from;
	size_t n;

	wr16(pkt + 2, 1500);
	pkt[6] = 0x40; /* DF */
	pkt[9] = 6;
	pkt[12] = 10, pkt[13] = 1, pkt[15] = 1;
	pkt[16] = 10, pkt[17] = 2, pkt[19] = 1;
	CHECK_OK(inet_ip_parse(pkt, sizeof(pkt), &ip));
	CHECK_OK(addr_parse("10.2.0.1", &from));
	CHECK_OK(inet_icmp_too_big(pkt, &ip, 1446, &from, out, sizeof(out), &n));
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
	CHECK_OK(inet_ip_parse(pkt, sizeof(pkt), &ip));
	CHECK_OK(addr_parse("::2", &from));
	CHECK_OK(inet_icmp_too_big(pkt, &ip, 1386, &from, out, sizeof(out), &n));
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
	CHECK_ERR(inet_icmp_too_big(pkt, &ip, 1386, &from, out, sizeof(out), &n), E_INVAL);
}

/* TSO from the TUN: a 4000-byte TCP super-packet becomes 3 valid segments. */
TEST(inet_tcp_segment_super_packet)
{
	static uint8_t pkt[4096], seg[2048], payload[4000];
	size_t hdr = 20 + 32, total = hdr + sizeof(payload), covered = 0;
	uint32_t seq0 = 0xfffff000u; /* wraps inside the burst */
	struct inet_ip ip;
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
	CHECK_OK(inet_ip_parse(pkt, total, &ip));
	for (unsigned idx = 0; !last; idx++, n++) {
		size_t len;
		uint32_t seq;

		CHECK_OK(inet_tcp_segment(pkt, &ip, 1388, idx, seg, sizeof(seg), &len, &last));
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
	CHECK_ERR(inet_tcp_segment(pkt, &ip, 1388, 3, seg, sizeof(seg), &covered, &last), E_INVAL);
	CHECK_ERR(inet_tcp_segment(pkt, &ip, 0, 0, seg, sizeof(seg), &covered, &last),
	          E_INET_BAD_PACKET);
}

/* VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header sum; completing it gives the
 * same checksum as computing it from scratch. */
TEST(inet_csum_complete_partial)
{
	uint8_t pkt[128];
	size_t len = tcp4_syn(pkt, 1000, 1);
	uint32_t ph = 0;
	struct inet_vnet_hdr vh;
	uint8_t hdr[INET_VNET_HDR_LEN] = {1, 0, 0, 0, 0, 0, 20, 0, 16, 0};

	ph += sum16(0, pkt + 12, 8);
	ph += 6 + (uint32_t)(len - 20);
	wr16(pkt + 36, sum16(ph, NULL, 0));
	CHECK(!tcp4_csum_ok(pkt, len));
	CHECK_OK(inet_csum_complete(pkt, len, 20, 16));
	CHECK(tcp4_csum_ok(pkt, len));
	CHECK_ERR(inet_csum_complete(pkt, len, len, 16), E_INET_BAD_PACKET);
	CHECK_ERR(inet_csum_complete(pkt, len, 20, len), E_INET_BAD_PACKET);
	CHECK_OK(inet_vnet_parse(hdr, sizeof(hdr), &vh));
	CHECK_EQ(vh.flags, 1);
	CHECK_EQ(vh.csum_start, 20); /* host (little-endian) order on x86 */
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_ERR(inet_vnet_parse(hdr, 9, &vh), E_TRUNCATED);
}

/* Receive coalescing: segments of one burst merge back into the super-packet; a gap, another
 * flow or a pure ACK does not merge. */
TEST(inet_gro_merges_in_order_segments)
{
	static uint8_t pkt[4096], seg[4][2048], buf[INET_VNET_HDR_LEN + INET_GRO_MAX_LEN];
	size_t hdr = 20 + 32, total = hdr + 4000, lens[4], n;
	struct inet_gro g = {.buf = buf};
	struct inet_ip ip, si;
	bool last = false;
	unsigned nseg = 0;
	struct inet_vnet_hdr vh;

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
	CHECK_OK(inet_ip_parse(pkt, total, &ip));
	while (!last) {
		CHECK_OK(inet_tcp_segment(pkt, &ip, 1388, nseg, seg[nseg], sizeof(seg[0]),
		                          &lens[nseg], &last));
		nseg++;
	}
	CHECK_EQ(nseg, 3);
	/* out of order: the second segment cannot follow itself */
	CHECK_OK(inet_ip_parse(seg[0], lens[0], &si));
	CHECK(inet_gro_add(&g, seg[0], &si));
	CHECK(!inet_gro_add(&g, seg[0], &si));
	for (unsigned i = 1; i < nseg; i++) {
		CHECK_OK(inet_ip_parse(seg[i], lens[i], &si));
		CHECK(inet_gro_add(&g, seg[i], &si));
	}
	/* the short last segment closed the burst */
	CHECK(!inet_gro_add(&g, seg[1], &si));
	n = inet_gro_finish(&g);
	CHECK_EQ(n, INET_VNET_HDR_LEN + total);
	CHECK_OK(inet_vnet_parse(buf, n, &vh));
	CHECK_EQ(vh.flags, INET_VNET_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, INET_VNET_GSO_TCPV4);
	CHECK_EQ(vh.gso_size, 1388);
	CHECK_EQ(vh.hdr_len, hdr);
	CHECK_EQ(vh.csum_start, 20);
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_EQ(sum16(0, buf + INET_VNET_HDR_LEN, 20), 0xffff);
	CHECK_MEM(buf + INET_VNET_HDR_LEN + hdr, pkt + hdr, total - hdr);
	/* completing the partial checksum gives a valid TCP checksum */
	CHECK_OK(inet_csum_complete(buf + INET_VNET_HDR_LEN, total, 20, 16));
	CHECK(tcp4_csum_ok(buf + INET_VNET_HDR_LEN, total));
	CHECK_EQ(inet_gro_finish(&g), 0);

	/* another flow (port) does not join; a lone segment is written unchanged */
	CHECK_OK(inet_ip_parse(seg[0], lens[0], &si));
	CHECK(inet_gro_add(&g, seg[0], &si));
	seg[1][21] ^= 1;
	CHECK_OK(inet_ip_parse(seg[1], lens[1], &si));
	CHECK(!inet_gro_add(&g, seg[1], &si));
	n = inet_gro_finish(&g);
	CHECK_EQ(n, INET_VNET_HDR_LEN + lens[0]);
	CHECK_EQ(buf[0], INET_VNET_F_DATA_VALID);
	CHECK_EQ(buf[1], INET_VNET_GSO_NONE);
	CHECK_MEM(buf + INET_VNET_HDR_LEN, seg[0], lens[0]);
	/* a SYN never coalesces */
	{
		uint8_t syn[128];
		size_t sl = tcp4_syn(syn, 1460, 0);

		CHECK_OK(inet_ip_parse(syn, sl, &si));
		CHECK(!inet_gro_add(&g, syn, &si));
	}
}

/* --- coalescing as the OpenVPN server meets it: bursts from a stock client ----------------- */

#define GRO_SRC 0x0A080002u /* 10.8.0.2 */
#define GRO_DST 0x0A630002u /* 10.99.0.2 */

struct seg_opt {
	uint32_t seq;
	size_t payload;
	uint8_t flags;   /* 0 = ACK */
	uint16_t sport;  /* 0 = 40000 */
	uint32_t tsval;  /* timestamp option value */
	bool ip_options; /* IHL 6 */
	uint16_t frag;   /* flags/fragment offset word */
};

/* IPv4 + TCP (with a 12-octet timestamp option) + payload octets (seq + i) & 0xff. */
static size_t mkseg(uint8_t *buf, size_t cap, const struct seg_opt *o)
{
	struct wbuf w;
	size_t ihl = o->ip_options ? 24 : 20, thl = 32;
	uint16_t total = (uint16_t)(ihl + thl + o->payload);

	wbuf_init(&w, buf, cap);
	wbuf_put_u8(&w, (uint8_t)(0x40 | ihl / 4));
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, total);
	wbuf_put_u16(&w, (uint16_t)o->seq); /* identification: varies */
	wbuf_put_u16(&w, o->frag ? o->frag : 0x4000);
	wbuf_put_u8(&w, 64);
	wbuf_put_u8(&w, 6);
	wbuf_put_u16(&w, 0);
	wbuf_put_u32(&w, GRO_SRC);
	wbuf_put_u32(&w, GRO_DST);
	if (o->ip_options)
		wbuf_put_u32(&w, 0x01010100); /* NOP NOP NOP EOL */
	wbuf_put_u16(&w, o->sport ? o->sport : 40000);
	wbuf_put_u16(&w, 5201);
	wbuf_put_u32(&w, o->seq);
	wbuf_put_u32(&w, 0x11223344);
	wbuf_put_u8(&w, (uint8_t)(thl / 4) << 4);
	wbuf_put_u8(&w, o->flags ? o->flags : 0x10);
	wbuf_put_u16(&w, 502);
	wbuf_put_u16(&w, 0x1234); /* checksum: not looked at */
	wbuf_put_u16(&w, 0);
	wbuf_put_u32(&w, 0x0101080A); /* NOP NOP TS */
	wbuf_put_u32(&w, o->tsval);
	wbuf_put_u32(&w, 7);
	for (size_t i = 0; i < o->payload; i++)
		wbuf_put_u8(&w, (uint8_t)(o->seq + i));
	return wbuf_result(&w) == E_OK ? w.len : 0;
}

static uint8_t gro_buf[INET_VNET_HDR_LEN + INET_GRO_MAX_LEN]; /* 64 KiB: not on the stack */
static struct inet_gro gro = {.buf = gro_buf};
static uint8_t gro_pkt[2048];

static void gro_reset(void)
{
	gro.nseg = 0;
}

/* Offer a packet of n octets as the server does: parse, then coalesce. */
static bool gro_offer(const uint8_t *p, size_t n)
{
	struct inet_ip ip;

	return inet_ip_parse(p, n, &ip) == E_OK && inet_gro_add(&gro, p, &ip);
}

static bool gro_add_seg(const struct seg_opt *o)
{
	size_t n = mkseg(gro_pkt, sizeof(gro_pkt), o);

	return n > 0 && gro_offer(gro_pkt, n);
}

TEST(inet_gro_merges_a_burst_until_short_psh)
{
	const uint8_t *h = gro_buf + INET_VNET_HDR_LEN;
	struct inet_vnet_hdr vh;
	uint32_t seq = 1000;

	gro_reset();
	for (int i = 0; i < 4; i++, seq += 1400)
		CHECK(gro_add_seg(&(struct seg_opt){.seq = seq, .payload = 1400}));
	CHECK(gro_add_seg(&(struct seg_opt){.seq = seq, .payload = 300, .flags = 0x18}));
	/* closed by the short PSH segment */
	CHECK(!gro_add_seg(&(struct seg_opt){.seq = seq + 300, .payload = 1400}));
	size_t n = inet_gro_finish(&gro) - INET_VNET_HDR_LEN;
	CHECK_EQ(n, 20 + 32 + 4 * 1400 + 300);
	CHECK_EQ(rd16(h + 2), n);
	CHECK_EQ(sum16(0, h, 20), 0xffff); /* header checksum valid */
	CHECK_EQ(h[20 + 13], 0x18);        /* PSH carried to the super-packet */
	for (size_t i = 0; i < 4 * 1400 + 300; i++)
		if (h[52 + i] != (uint8_t)(1000 + i))
			TEST_FAIL("payload octet %zu", i);
	/* the TCP checksum field: pseudo-header sum, folded, not complemented */
	uint8_t ph[12] = {
	    10, 8, 0, 2, 10, 99, 0, 2, 0, 6, (uint8_t)((n - 20) >> 8), (uint8_t)(n - 20)};
	CHECK_EQ(rd16(h + 36), sum16(0, ph, sizeof(ph)));
	CHECK_OK(inet_vnet_parse(gro_buf, INET_VNET_HDR_LEN, &vh));
	CHECK_EQ(vh.flags, INET_VNET_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, INET_VNET_GSO_TCPV4);
	CHECK_EQ(vh.gso_size, 1400);
	CHECK_EQ(vh.hdr_len, 52);
	CHECK_EQ(gro.nseg, 0u);
	CHECK_EQ(inet_gro_finish(&gro), 0u);
}

/* What never starts a super-packet. */
TEST(inet_gro_refuses_non_bulk)
{
	static const struct seg_opt bad[] = {
	    {.seq = 1, .payload = 0},                 /* pure ACK */
	    {.seq = 1, .payload = 10, .flags = 0x02}, /* SYN */
	    {.seq = 1, .payload = 10, .flags = 0x11}, /* FIN */
	    {.seq = 1, .payload = 10, .flags = 0x14}, /* RST */
	    {.seq = 1, .payload = 10, .flags = 0x50}, /* ECE */
	    {.seq = 1, .payload = 10, .ip_options = true},
	    {.seq = 1, .payload = 10, .frag = 0x2000}, /* more fragments */
	    {.seq = 1, .payload = 10, .frag = 0x0010}, /* fragment offset */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gro_reset();
		if (gro_add_seg(&bad[i]))
			TEST_FAIL("case %zu merged", i);
	}
	/* truncated / not IP */
	gro_reset();
	size_t n = mkseg(gro_pkt, sizeof(gro_pkt), &(struct seg_opt){.seq = 1, .payload = 10});
	CHECK(!gro_offer(gro_pkt, n - 1));
	CHECK(!gro_offer(gro_pkt, 19));
	gro_pkt[0] = 0x50;
	CHECK(!gro_offer(gro_pkt, n));
}

/* What never joins one: another flow, a gap, different options, a larger segment. */
TEST(inet_gro_refuses_other_flows)
{
	static const struct seg_opt next[] = {
	    {.seq = 1401, .payload = 1400, .sport = 40001}, /* other flow */
	    {.seq = 1402, .payload = 1400},                 /* gap */
	    {.seq = 1, .payload = 1400},                    /* retransmission */
	    {.seq = 1401, .payload = 1400, .tsval = 9},     /* options differ */
	    {.seq = 1401, .payload = 1401},                 /* larger than the first */
	};
	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		gro_reset();
		CHECK(gro_add_seg(&(struct seg_opt){.seq = 1, .payload = 1400}));
		if (gro_add_seg(&next[i]))
			TEST_FAIL("case %zu merged", i);
		CHECK_EQ(gro.nseg, 1u);
	}
}

/* A super-packet never exceeds the IP total length. */
TEST(inet_gro_bounded)
{
	uint32_t seq = 1;
	unsigned merged = 0;

	gro_reset();
	while (gro_add_seg(&(struct seg_opt){.seq = seq, .payload = 1400})) {
		seq += 1400;
		merged++;
	}
	CHECK_EQ(merged, (65535u - 52) / 1400);
	CHECK(inet_gro_finish(&gro) <= INET_VNET_HDR_LEN + 65535);
}

/* The checksum (64-bit native loads) against the plain RFC 1071 loop, every length and
 * alignment, random octets: the completed field makes the region sum to all ones. */
TEST(inet_csum_matches_rfc1071)
{
	uint8_t rnd[300], buf[300];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 2; n + off <= sizeof(buf); n++) {
			memcpy(buf, rnd, sizeof(buf));
			buf[off] = buf[off + 1] = 0;
			if (inet_csum_complete(buf, off + n, off, 0) != E_OK ||
			    sum16(0, buf + off, n) != 0xffff)
				TEST_FAIL("offset %zu length %zu", off, n);
		}
	}
}
