/*
 * test_ovpn_gro.c - TUN offloads: coalescing TCP segments into super-packets (ovpn_gro.c)
 * and cutting them into segments (ovpn_gso.c):
 * what merges, what must not, and the super-packet checked against the segments it came from
 * (payload, headers, IPv4 checksum, pseudo-header sum, vnet header).
 */
#include <linux/virtio_net.h>

#include "ovpn/ovpn_int.h"
#include "test.h"

#define SRC 0x0A080002u /* 10.8.0.2 */
#define DST 0x0A630002u /* 10.99.0.2 */

struct seg_opt {
	uint32_t seq;
	size_t payload;
	uint8_t flags;   /* 0 = ACK */
	uint16_t sport;  /* 0 = 40000 */
	uint32_t tsval;  /* timestamp option value */
	bool ip_options; /* IHL 6 */
	uint16_t frag;   /* flags/fragment offset word */
};

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)s;
}

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
	wbuf_put_u32(&w, SRC);
	wbuf_put_u32(&w, DST);
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

static struct ovpn_gro g; /* 64 KiB: not on the stack */
static uint8_t pkt[2048];

static bool add(const struct seg_opt *o)
{
	size_t n = mkseg(pkt, sizeof(pkt), o);
	return n > 0 && ovpn_gro_add(&g, pkt, n);
}

TEST(ovpn_gro_merges_a_burst)
{
	struct virtio_net_hdr vh;
	uint32_t seq = 1000;

	memset(&g, 0, sizeof(g));
	for (int i = 0; i < 4; i++, seq += 1400)
		CHECK(add(&(struct seg_opt){.seq = seq, .payload = 1400}));
	CHECK(add(&(struct seg_opt){.seq = seq, .payload = 300, .flags = 0x18})); /* PSH, short */
	/* closed by the short PSH segment */
	CHECK(!add(&(struct seg_opt){.seq = seq + 300, .payload = 1400}));
	size_t n = ovpn_gro_finish(&g, &vh);
	CHECK_EQ(n, 20 + 32 + 4 * 1400 + 300);
	CHECK_EQ(g.buf[2] << 8 | g.buf[3], n);
	CHECK_EQ(csum16(g.buf, 20), 0xFFFF); /* header checksum valid */
	CHECK_EQ(g.buf[20 + 13], 0x18);      /* PSH carried to the super-packet */
	/* payload: the segments' payloads in order */
	for (size_t i = 0; i < 4 * 1400 + 300; i++)
		if (g.buf[52 + i] != (uint8_t)(1000 + i))
			TEST_FAIL("payload octet %zu", i);
	/* the TCP checksum field: pseudo-header sum, folded, not complemented */
	uint8_t ph[12] = {
	    10, 8, 0, 2, 10, 99, 0, 2, 0, 6, (uint8_t)((n - 20) >> 8), (uint8_t)(n - 20)};
	CHECK_EQ(g.buf[36] << 8 | g.buf[37], csum16(ph, sizeof(ph)));
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(vh.gso_size, 1400);
	CHECK_EQ(vh.hdr_len, 52);
	CHECK_EQ(vh.csum_start, 20);
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_EQ(g.nseg, 0u);
	CHECK_EQ(ovpn_gro_finish(&g, &vh), 0u);
}

TEST(ovpn_gro_single_segment_unchanged)
{
	struct virtio_net_hdr vh;
	uint8_t copy[2048];

	memset(&g, 0, sizeof(g));
	size_t n = mkseg(copy, sizeof(copy), &(struct seg_opt){.seq = 5, .payload = 100});
	CHECK(ovpn_gro_add(&g, copy, n));
	CHECK_EQ(ovpn_gro_finish(&g, &vh), n);
	CHECK_MEM(g.buf, copy, n);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(vh.flags, 0);
}

/* What never starts a super-packet. */
TEST(ovpn_gro_refuses_non_bulk)
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
		memset(&g, 0, sizeof(g));
		if (add(&bad[i]))
			TEST_FAIL("case %zu merged", i);
	}
	/* not IPv4 / truncated / total length disagreeing with the packet */
	memset(&g, 0, sizeof(g));
	size_t n = mkseg(pkt, sizeof(pkt), &(struct seg_opt){.seq = 1, .payload = 10});
	CHECK(!ovpn_gro_add(&g, pkt, n - 1));
	CHECK(!ovpn_gro_add(&g, pkt, 19));
	pkt[0] = 0x60;
	CHECK(!ovpn_gro_add(&g, pkt, n));
}

/* What never joins one: another flow, a gap, different options, a larger segment. */
TEST(ovpn_gro_refuses_other_flows)
{
	static const struct seg_opt next[] = {
	    {.seq = 1401, .payload = 1400, .sport = 40001}, /* other flow */
	    {.seq = 1402, .payload = 1400},                 /* gap */
	    {.seq = 1, .payload = 1400},                    /* retransmission */
	    {.seq = 1401, .payload = 1400, .tsval = 9},     /* options differ */
	    {.seq = 1401, .payload = 1401},                 /* larger than the first */
	};
	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		memset(&g, 0, sizeof(g));
		CHECK(add(&(struct seg_opt){.seq = 1, .payload = 1400}));
		if (add(&next[i]))
			TEST_FAIL("case %zu merged", i);
		CHECK_EQ(g.nseg, 1u);
	}
}

/* A super-packet never exceeds the IPv4 total length. */
TEST(ovpn_gro_bounded)
{
	struct virtio_net_hdr vh;
	uint32_t seq = 1;
	unsigned merged = 0;

	memset(&g, 0, sizeof(g));
	while (add(&(struct seg_opt){.seq = seq, .payload = 1400})) {
		seq += 1400;
		merged++;
	}
	CHECK_EQ(merged, (65535u - 52) / 1400);
	CHECK(ovpn_gro_finish(&g, &vh) <= 65535);
}

/* --- ovpn_gso.c: cutting TUN super-packets -------------------------------------------------- */

static uint8_t segs[8][2048];
static size_t seg_len[8];
static unsigned nsegs;

static void collect(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (nsegs < 8 && n <= sizeof(segs[0])) {
		memcpy(segs[nsegs], p, n);
		seg_len[nsegs] = n;
	}
	nsegs++;
}

/* A super-packet as the kernel hands it over: IPv4/TCP header, 3 x 1400 + 500 octets. */
static size_t mksuper(uint8_t *buf, size_t cap, uint8_t flags)
{
	static uint8_t one[2048];
	size_t hl = 52, n = mkseg(one, sizeof(one), &(struct seg_opt){.seq = 7000, .payload = 0});

	if (n != hl || cap < hl + 4700)
		return 0;
	memcpy(buf, one, hl);
	buf[33] = flags;
	for (size_t i = 0; i < 4700; i++)
		buf[hl + i] = (uint8_t)(7000 + i);
	buf[2] = (uint8_t)((hl + 4700) >> 8);
	buf[3] = (uint8_t)(hl + 4700);
	return hl + 4700;
}

TEST(ovpn_gso_splits_like_the_kernel)
{
	static uint8_t sup[8192];
	uint8_t out[1600];
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                            .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
	                            .hdr_len = 52, .gso_size = 1400, .csum_start = 20,
	                            .csum_offset = 16};
	size_t n = mksuper(sup, sizeof(sup), 0x10 | 0x08 | 0x01 | 0x80); /* ACK PSH FIN CWR */

	CHECK(n > 0);
	nsegs = 0;
	CHECK_OK(ovpn_gso_split(&vh, sup, n, out, sizeof(out), collect, NULL));
	CHECK_EQ(nsegs, 4u);
	for (unsigned i = 0; i < 4 && i < nsegs; i++) {
		const uint8_t *p = segs[i];
		size_t pl = i < 3 ? 1400 : 500, len = seg_len[i];
		CHECK_EQ(len, 52 + pl);
		CHECK_EQ(p[2] << 8 | p[3], len);
		CHECK_EQ(p[4] << 8 | p[5], (7000 + i) & 0xFFFF); /* identification + i */
		CHECK_EQ(csum16(p, 20), 0xFFFF);
		uint32_t seq = (uint32_t)p[24] << 24 | p[25] << 16 | p[26] << 8 | p[27];
		CHECK_EQ(seq, 7000 + 1400 * i);
		CHECK_EQ(p[33], i == 0 ? 0x90 : i == 3 ? 0x19 : 0x10); /* CWR first, PSH FIN last */
		/* TCP checksum over pseudo-header + segment verifies to all ones */
		uint8_t ph[12] = {10, 8, 0, 2, 10, 99, 0, 2, 0, 6, (uint8_t)((len - 20) >> 8),
		                  (uint8_t)(len - 20)};
		CHECK_EQ(ovpn_csum(ovpn_csum(0, ph, 12), p + 20, len - 20), 0xFFFF);
		CHECK_EQ(p[52], (uint8_t)(7000 + 1400 * i));
	}
	/* ... and the coalescer puts the middle segments (ACK only) back together */
	memset(&g, 0, sizeof(g));
	CHECK(ovpn_gro_add(&g, segs[1], seg_len[1]));
	CHECK(ovpn_gro_add(&g, segs[2], seg_len[2]));
	CHECK_EQ(g.len, 52u + 2800);
	CHECK_MEM(g.buf + 52, sup + 52 + 1400, 2800);
}

TEST(ovpn_gso_completes_partial_checksums)
{
	uint8_t ip[200], out[1600];
	size_t n = mkseg(ip, sizeof(ip), &(struct seg_opt){.seq = 3, .payload = 101});
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20,
	                            .csum_offset = 16};
	uint8_t ph[12] = {10, 8, 0, 2, 10, 99, 0, 2, 0, 6, 0, (uint8_t)(n - 20)};

	/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum */
	ip[36] = (uint8_t)(ovpn_csum(0, ph, 12) >> 8);
	ip[37] = (uint8_t)ovpn_csum(0, ph, 12);
	nsegs = 0;
	CHECK_OK(ovpn_gso_split(&vh, ip, n, out, sizeof(out), collect, NULL));
	CHECK_EQ(nsegs, 1u);
	CHECK_EQ(ovpn_csum(ovpn_csum(0, ph, 12), segs[0] + 20, n - 20), 0xFFFF);
	/* what cannot be: checksum outside the packet, other GSO types, not TCP, too small out */
	vh.csum_start = (uint16_t)n;
	CHECK_ERR(ovpn_gso_split(&vh, ip, n, out, sizeof(out), collect, NULL), E_TRUNCATED);
	vh = (struct virtio_net_hdr){.gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 100};
	CHECK_ERR(ovpn_gso_split(&vh, ip, n, out, sizeof(out), collect, NULL), E_INVAL);
	vh = (struct virtio_net_hdr){.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1400};
	CHECK_ERR(ovpn_gso_split(&vh, ip, n, out, 100, collect, NULL), E_OVERFLOW);
	ip[9] = 17;
	CHECK_ERR(ovpn_gso_split(&vh, ip, n, out, sizeof(out), collect, NULL), E_INVAL);
	CHECK_ERR(ovpn_gso_split(&vh, ip, 30, out, sizeof(out), collect, NULL), E_INVAL);
}

/* The checksum (64-bit native loads) against the plain RFC 1071 loop, every length and
 * alignment, random octets. */
TEST(ovpn_csum_matches_rfc1071)
{
	uint8_t buf[300];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; n + off <= sizeof(buf); n++) {
			uint32_t s = 0xABCD;
			for (size_t i = 0; i < n; i += 2)
				s += (uint32_t)(buf[off + i] << 8 | (i + 1 < n ? buf[off + i + 1] : 0));
			while (s >> 16)
				s = (s & 0xFFFF) + (s >> 16);
			if (ovpn_csum(0xABCD, buf + off, n) != s)
				TEST_FAIL("offset %zu length %zu", off, n);
		}
	}
	CHECK_EQ(ovpn_csum(0x1FFFF, NULL, 0), 1u);
}
