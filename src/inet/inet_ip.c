/*
 * inet_ip.c - inner IP packets: parse, checksums, MSS clamp, fragment, ICMP, and the TUN's
 * virtio_net_hdr with TCP segmentation of its super-packets (see inet.h).
 *
 *  IPv4 (RFC 791 3.1)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  IPv6 (RFC 8200 3): Version(4) TC(8) Flow(20) | Payload Length(16) Next Header(8)
 *  Hop Limit(8) | Source(128) | Destination(128)
 */
#include <string.h>

#include "inet/inet.h"
#include "lib/buf.h"

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFF_MASK 0x1fff
#define IPV6_HDR_LEN 40
#define TCP_SYN 0x02
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define ICMP_HDR_LEN 8
#define IPV6_MIN_MTU 1280

static RESULT inet_ipv4_parse(struct rbuf *r, size_t len, uint8_t b0, struct inet_ip *ip)
{
	uint16_t total, frag, skip16;
	uint8_t skip8;

	ip->version = 4;
	ip->hdr_len = (size_t)(b0 & 0x0f) * 4;
	GUARD(rbuf_get_u8(r, &skip8)); /* TOS */
	GUARD(rbuf_get_u16(r, &total));
	GUARD(rbuf_get_u16(r, &skip16)); /* identification */
	GUARD(rbuf_get_u16(r, &frag));
	GUARD(rbuf_get_u8(r, &skip8)); /* TTL */
	GUARD(rbuf_get_u8(r, &ip->proto));
	GUARD(rbuf_get_u16(r, &skip16)); /* checksum */
	memset(&ip->src, 0, sizeof(ip->src));
	memset(&ip->dst, 0, sizeof(ip->dst));
	ip->src.family = ip->dst.family = AF_INET;
	GUARD(rbuf_get_bytes(r, ip->src.bytes, 4));
	GUARD(rbuf_get_bytes(r, ip->dst.bytes, 4));
	if (ip->hdr_len < 20 || total < ip->hdr_len || total > len)
		return E_INET_BAD_PACKET;
	ip->total_len = total;
	ip->df = (frag & IPV4_DF) != 0;
	ip->is_fragment = (frag & (IPV4_MF | IPV4_OFF_MASK)) != 0;
	return E_OK;
}

static RESULT inet_ipv6_parse(struct rbuf *r, size_t len, struct inet_ip *ip)
{
	uint16_t plen;
	uint8_t skip[3];

	ip->version = 6;
	ip->hdr_len = IPV6_HDR_LEN;
	GUARD(rbuf_get_bytes(r, skip, 3)); /* rest of version/TC/flow label */
	GUARD(rbuf_get_u16(r, &plen));
	GUARD(rbuf_get_u8(r, &ip->proto));
	GUARD(rbuf_get_u8(r, &skip[0])); /* hop limit */
	memset(&ip->src, 0, sizeof(ip->src));
	memset(&ip->dst, 0, sizeof(ip->dst));
	ip->src.family = ip->dst.family = AF_INET6;
	GUARD(rbuf_get_bytes(r, ip->src.bytes, 16));
	GUARD(rbuf_get_bytes(r, ip->dst.bytes, 16));
	if ((size_t)plen + IPV6_HDR_LEN > len)
		return E_INET_BAD_PACKET;
	ip->total_len = (size_t)plen + IPV6_HDR_LEN;
	ip->df = true; /* RFC 8200 5: routers never fragment IPv6 */
	ip->is_fragment = false;
	return E_OK;
}

RESULT inet_ip_parse(const uint8_t *pkt, size_t len, struct inet_ip *ip)
{
	struct rbuf r;
	uint8_t b0;
	result_t rc;

	rbuf_init(&r, pkt, len);
	if (rbuf_get_u8(&r, &b0) != E_OK)
		return E_INET_BAD_PACKET;
	if (b0 >> 4 == 4)
		rc = inet_ipv4_parse(&r, len, b0, ip);
	else if (b0 >> 4 == 6)
		rc = inet_ipv6_parse(&r, len, ip);
	else
		rc = E_INET_BAD_PACKET;
	return rc == E_OK ? E_OK : E_INET_BAD_PACKET;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i;

	/* RFC 1071 2(B): the sum is independent of byte order; add 32-bit native words into
	 * a 64-bit accumulator, fold, and swap to network order once */
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		acc += (v & 0xffffffffu) + (v >> 32);
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = ((acc & 0xff) << 8) | (acc >> 8);
#endif
	sum += (uint32_t)acc;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t inet_ipv4_csum(const uint8_t *hdr, size_t hdr_len)
{
	return csum_fold(csum_add(0, hdr, hdr_len));
}

static void put_u16_at(uint8_t *p, size_t off, uint16_t v)
{
	struct wbuf w;

	wbuf_init(&w, p + off, 2);
	wbuf_put_u16(&w, v);
}

/* Find the MSS option of a TCP SYN; r is positioned at the TCP header, offsets are r's. */
static bool tcp_find_mss(struct rbuf *r, size_t *mss_off, uint16_t *mss, size_t *csum_off)
{
	uint8_t fixed[12], doff, flags, kind, olen;
	uint16_t window;
	struct rbuf opts;
	size_t opts_off;

	/* ports, sequence and acknowledgment numbers */
	if (rbuf_get_bytes(r, fixed, sizeof(fixed)) || rbuf_get_u8(r, &doff) ||
	    rbuf_get_u8(r, &flags) || rbuf_get_u16(r, &window))
		return false;
	*csum_off = rbuf_offset(r);
	if (!(flags & TCP_SYN) || (doff >> 4) < 5 || rbuf_skip(r, 4))
		return false;
	opts_off = rbuf_offset(r);
	if (rbuf_get_sub(r, (size_t)(doff >> 4) * 4 - 20, &opts) != E_OK)
		return false;
	while (rbuf_get_u8(&opts, &kind) == E_OK && kind != TCPOPT_EOL) {
		if (kind == TCPOPT_NOP)
			continue;
		if (rbuf_get_u8(&opts, &olen) != E_OK || olen < 2)
			return false;
		if (kind == TCPOPT_MSS && olen == 4) {
			*mss_off = opts_off + rbuf_offset(&opts);
			return rbuf_get_u16(&opts, mss) == E_OK;
		}
		if (rbuf_skip(&opts, olen - 2u) != E_OK)
			return false;
	}
	return false;
}

bool inet_mss_clamp(uint8_t *pkt, const struct inet_ip *ip, uint16_t mss)
{
	struct rbuf r;
	size_t mss_off, csum_off;
	uint16_t old, csum, o, n;
	uint32_t sum;

	if (ip->proto != INET_IPPROTO_TCP || ip->is_fragment || !mss)
		return false;
	rbuf_init(&r, pkt, ip->total_len);
	if (rbuf_skip(&r, ip->hdr_len) != E_OK)
		return false;
	if (!tcp_find_mss(&r, &mss_off, &old, &csum_off) || old <= mss)
		return false;
	rbuf_init(&r, pkt, ip->total_len);
	if (rbuf_skip(&r, csum_off) || rbuf_get_u16(&r, &csum))
		return false;
	/* RFC 1624 3: HC' = ~(~HC + ~m + m'); a field at an odd offset counts byte-swapped */
	o = old;
	n = mss;
	if ((mss_off - ip->hdr_len) & 1) {
		o = (uint16_t)(o << 8 | o >> 8);
		n = (uint16_t)(n << 8 | n >> 8);
	}
	sum = (uint16_t)~csum;
	sum += (uint16_t)~o;
	sum += n;
	put_u16_at(pkt, mss_off, mss);
	put_u16_at(pkt, csum_off, csum_fold(sum));
	return true;
}

RESULT inet_ipv4_fragment(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu, unsigned idx,
                          uint8_t *out, size_t cap, size_t *out_len, bool *last)
{
	struct rbuf r;
	uint16_t frag;
	size_t chunk, data_len = ip->total_len - ip->hdr_len, off, n;
	const uint8_t *hdr, *data;
	struct wbuf w;

	if (ip->version != 4 || ip->df || mtu < ip->hdr_len + 8 || mtu > 65535)
		return E_INVAL;
	chunk = (mtu - ip->hdr_len) & ~(size_t)7; /* RFC 791: offsets in 8-octet units */
	off = (size_t)idx * chunk;
	if (off >= data_len)
		return E_INVAL;
	n = data_len - off < chunk ? data_len - off : chunk;
	rbuf_init(&r, pkt, ip->total_len);
	GUARD(rbuf_skip(&r, 6));
	GUARD(rbuf_get_u16(&r, &frag));
	rbuf_init(&r, pkt, ip->total_len);
	GUARD(rbuf_get_ptr(&r, ip->hdr_len, &hdr));
	GUARD(rbuf_skip(&r, off));
	GUARD(rbuf_get_ptr(&r, n, &data));
	*last = off + n == data_len;
	/* the fragment keeps the original offset and MF (re-fragmenting a fragment) */
	frag = (uint16_t)(((frag & IPV4_OFF_MASK) + off / 8) |
	                  ((!*last || (frag & IPV4_MF)) ? IPV4_MF : 0));
	wbuf_init(&w, out, cap);
	wbuf_put_bytes(&w, hdr, ip->hdr_len);
	wbuf_put_bytes(&w, data, n);
	GUARD(wbuf_result(&w));
	/* RFC 791: every fragment carries the header (options copied as they are) */
	put_u16_at(out, 2, (uint16_t)(ip->hdr_len + n));
	put_u16_at(out, 6, frag);
	put_u16_at(out, 10, 0);
	put_u16_at(out, 10, inet_ipv4_csum(out, ip->hdr_len));
	*out_len = ip->hdr_len + n;
	return E_OK;
}

static RESULT icmp4_too_big(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu,
                            const struct addr *from, struct wbuf *w)
{
	/* RFC 792: the original header plus the first 64 bits of its data */
	size_t quote = ip->hdr_len + 8 < ip->total_len ? ip->hdr_len + 8 : ip->total_len;
	size_t ip_off = w->len, icmp_off;

	wbuf_put_u8(w, 0x45);
	wbuf_put_u8(w, 0);
	wbuf_put_u16(w, (uint16_t)(20 + ICMP_HDR_LEN + quote));
	wbuf_put_u32(w, 0); /* id, flags, offset */
	wbuf_put_u8(w, 64);
	wbuf_put_u8(w, INET_IPPROTO_ICMP);
	wbuf_put_u16(w, 0);
	wbuf_put_bytes(w, from->bytes, 4);
	wbuf_put_bytes(w, ip->src.bytes, 4);
	icmp_off = w->len;
	wbuf_put_u8(w, 3); /* destination unreachable */
	wbuf_put_u8(w, 4); /* fragmentation needed and DF set */
	wbuf_put_u16(w, 0);
	wbuf_put_u16(w, 0);
	wbuf_put_u16(w, (uint16_t)mtu); /* RFC 1191 4: next-hop MTU */
	wbuf_put_bytes(w, pkt, quote);
	GUARD(wbuf_result(w));
	wbuf_fill_u16(w, ip_off + 10, inet_ipv4_csum(w->data + ip_off, 20));
	wbuf_fill_u16(w, icmp_off + 2,
	              csum_fold(csum_add(0, w->data + icmp_off, ICMP_HDR_LEN + quote)));
	return wbuf_result(w);
}

static RESULT icmp6_too_big(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu,
                            const struct addr *from, struct wbuf *w)
{
	/* RFC 4443 3.2: as much of the packet as fits in the minimum IPv6 MTU */
	size_t max = IPV6_MIN_MTU - IPV6_HDR_LEN - ICMP_HDR_LEN;
	size_t quote = ip->total_len < max ? ip->total_len : max;
	size_t plen = ICMP_HDR_LEN + quote, icmp_off;
	uint32_t sum;

	wbuf_put_u32(w, 0x60000000u);
	wbuf_put_u16(w, (uint16_t)plen);
	wbuf_put_u8(w, INET_IPPROTO_ICMPV6);
	wbuf_put_u8(w, 64);
	wbuf_put_bytes(w, from->bytes, 16);
	wbuf_put_bytes(w, ip->src.bytes, 16);
	icmp_off = w->len;
	wbuf_put_u8(w, 2); /* packet too big */
	wbuf_put_u8(w, 0);
	wbuf_put_u16(w, 0);
	wbuf_put_u32(w, mtu);
	wbuf_put_bytes(w, pkt, quote);
	GUARD(wbuf_result(w));
	/* RFC 8200 8.1 pseudo-header: source, destination, length, next header */
	sum = csum_add(0, from->bytes, 16);
	sum = csum_add(sum, ip->src.bytes, 16);
	sum += (uint32_t)plen + INET_IPPROTO_ICMPV6;
	sum = csum_add(sum, w->data + icmp_off, plen);
	wbuf_fill_u16(w, icmp_off + 2, csum_fold(sum));
	return wbuf_result(w);
}

RESULT inet_icmp_too_big(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu,
                         const struct addr *from, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w;

	if (from->family != ip->src.family)
		return E_INVAL;
	wbuf_init(&w, out, cap);
	if (ip->version == 4)
		GUARD(icmp4_too_big(pkt, ip, mtu, from, &w));
	else
		GUARD(icmp6_too_big(pkt, ip, mtu, from, &w));
	*out_len = w.len;
	return E_OK;
}

RESULT inet_vnet_parse(const uint8_t *p, size_t len, struct inet_vnet_hdr *h)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	GUARD(rbuf_get_u8(&r, &h->flags));
	GUARD(rbuf_get_u8(&r, &h->gso_type));
	GUARD(rbuf_get_bytes(&r, &h->hdr_len, 2));
	GUARD(rbuf_get_bytes(&r, &h->gso_size, 2));
	GUARD(rbuf_get_bytes(&r, &h->csum_start, 2));
	return rbuf_get_bytes(&r, &h->csum_offset, 2);
}

void inet_vnet_put(uint8_t *out, uint8_t flags)
{
	memset(out, 0, INET_VNET_HDR_LEN);
	out[0] = flags;
}

RESULT inet_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t off)
{
	if (start >= len || off + 2 > len - start)
		return E_INET_BAD_PACKET;
	put_u16_at(pkt, start + off, csum_fold(csum_add(0, pkt + start, len - start)));
	return E_OK;
}

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

struct tcp_hdr_info {
	size_t hdr_len; /* IP + TCP headers */
	uint32_t seq;
	uint8_t flags;
	uint16_t ipv4_id;
};

static RESULT tcp_hdr_read(const uint8_t *pkt, const struct inet_ip *ip, struct tcp_hdr_info *t)
{
	struct rbuf r;
	uint8_t doff;
	uint16_t ports[2];

	if (ip->proto != INET_IPPROTO_TCP || ip->is_fragment)
		return E_INET_BAD_PACKET;
	rbuf_init(&r, pkt, ip->total_len);
	GUARD(rbuf_skip(&r, 4));
	GUARD(rbuf_get_u16(&r, &t->ipv4_id));
	rbuf_init(&r, pkt, ip->total_len);
	GUARD(rbuf_skip(&r, ip->hdr_len));
	GUARD(rbuf_get_u16(&r, &ports[0]));
	GUARD(rbuf_get_u16(&r, &ports[1]));
	GUARD(rbuf_get_u32(&r, &t->seq));
	GUARD(rbuf_skip(&r, 4));
	GUARD(rbuf_get_u8(&r, &doff));
	GUARD(rbuf_get_u8(&r, &t->flags));
	t->hdr_len = ip->hdr_len + (size_t)(doff >> 4) * 4;
	if ((doff >> 4) < 5 || t->hdr_len > ip->total_len)
		return E_INET_BAD_PACKET;
	return E_OK;
}

static void tcp_fix_csum(uint8_t *seg, const struct inet_ip *ip, size_t len)
{
	size_t tcp_len = len - ip->hdr_len;
	uint32_t sum;

	put_u16_at(seg, ip->hdr_len + 16, 0);
	if (ip->version == 4) {
		sum = csum_add(0, seg + 12, 8);
	} else {
		sum = csum_add(0, seg + 8, 32);
	}
	sum += INET_IPPROTO_TCP + (uint32_t)tcp_len;
	sum = csum_add(sum, seg + ip->hdr_len, tcp_len);
	put_u16_at(seg, ip->hdr_len + 16, csum_fold(sum));
}

RESULT inet_tcp_segment(const uint8_t *pkt, const struct inet_ip *ip, uint16_t gso_size,
                        unsigned idx, uint8_t *out, size_t cap, size_t *out_len, bool *last)
{
	struct tcp_hdr_info t;
	size_t payload, off, n;
	struct wbuf w;
	uint8_t flags;

	GUARD(tcp_hdr_read(pkt, ip, &t));
	if (!gso_size || (ip->version == 6 && ip->hdr_len != 40))
		return E_INET_BAD_PACKET;
	payload = ip->total_len - t.hdr_len;
	off = (size_t)idx * gso_size;
	if (off >= payload && !(payload == 0 && idx == 0))
		return E_INVAL;
	n = payload - off < gso_size ? payload - off : gso_size;
	*last = off + n == payload;
	wbuf_init(&w, out, cap);
	wbuf_put_bytes(&w, pkt, t.hdr_len);
	wbuf_put_bytes(&w, pkt + t.hdr_len + off, n);
	GUARD(wbuf_result(&w));
	if (ip->version == 4) {
		put_u16_at(out, 2, (uint16_t)(t.hdr_len + n));
		put_u16_at(out, 4, (uint16_t)(t.ipv4_id + idx));
		put_u16_at(out, 10, 0);
		put_u16_at(out, 10, inet_ipv4_csum(out, ip->hdr_len));
	} else {
		put_u16_at(out, 4, (uint16_t)(t.hdr_len - ip->hdr_len + n));
	}
	wbuf_init(&w, out + ip->hdr_len + 4, 4);
	wbuf_put_u32(&w, t.seq + (uint32_t)off);
	flags = t.flags;
	if (!*last)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (idx)
		flags &= (uint8_t)~TCP_CWR;
	out[ip->hdr_len + 13] = flags;
	tcp_fix_csum(out, ip, t.hdr_len + n);
	*out_len = t.hdr_len + n;
	return E_OK;
}
