/*
 * ovpn_gso.c - what the TUN hands over with offloads on (TUN_F_CSUM | TUN_F_TSO4): a packet
 * whose checksum the kernel left to us (VIRTIO_NET_HDR_F_NEEDS_CSUM, CHECKSUM_PARTIAL), or a
 * TCP super-packet of up to 64 KiB (GSO_TCPV4) that the kernel forwarded in one piece, to be
 * cut into segments of gso_size payload octets here, each a complete IPv4/TCP packet as the
 * kernel's tcp_gso_segment would have made it:
 *   - sequence number advanced by the payload before it, IPv4 identification by one;
 *   - FIN and PSH only on the last segment, CWR only on the first;
 *   - total length, IPv4 header checksum and TCP checksum (RFC 9293 3.1, pseudo-header)
 *     computed for each.
 * The openvpn client's kernel checks those checksums, so every one must be right.
 */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "ovpn/ovpn_int.h"

#define OVPN_IPPROTO_TCP 6
#define OVPN_TCP_FIN 0x01
#define OVPN_TCP_PSH 0x08
#define OVPN_TCP_CWR 0x80

/* RFC 1071 one's-complement sum of n octets (an odd last octet padded with zero) plus start,
 * folded to 16 bits, not complemented. 1.2: the sum does not depend on byte order or word
 * size, so it runs over 64-bit native loads and is swapped to network order once at the end
 * (on a little-endian host each 16-bit word was summed byte-swapped). */
uint16_t ovpn_csum(uint32_t start, const uint8_t *p, size_t n)
{
	uint64_t sum = 0, v;
	size_t i = 0;
	uint8_t tail[8] = {0};

	for (; i + 8 <= n; i += 8) {
		memcpy(&v, p + i, 8);
		sum += (v & 0xFFFFFFFFu) + (v >> 32);
	}
	if (i < n)
		memcpy(tail, p + i, n - i);
	memcpy(&v, tail, 8);
	sum += (v & 0xFFFFFFFFu) + (v >> 32);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (uint64_t)ntohs((uint16_t)sum) + start;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

static void ovpn_put16(uint8_t *p, uint16_t v)
{
	struct wbuf w;

	wbuf_init(&w, p, 2);
	wbuf_put_u16(&w, v);
}

static void ovpn_put32(uint8_t *p, uint32_t v)
{
	struct wbuf w;

	wbuf_init(&w, p, 4);
	wbuf_put_u32(&w, v);
}

/* CHECKSUM_PARTIAL: the field at csum_start + csum_offset holds the pseudo-header sum; the
 * checksum covers everything from csum_start (virtio 1.1 5.1.6.2). */
static RESULT ovpn_gso_csum(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t n)
{
	size_t start = vh->csum_start, off = (size_t)vh->csum_start + vh->csum_offset;

	if (start >= n || off + 2 > n)
		return E_TRUNCATED;
	ovpn_put16(pkt + off, (uint16_t)~ovpn_csum(0, pkt + start, n - start));
	return E_OK;
}

struct ovpn_gso_hdr {
	size_t ip_hlen, hdr_len;
	uint16_t id;
	uint32_t seq;
	uint8_t flags;
};

static RESULT ovpn_gso_parse(const uint8_t *pkt, size_t n, struct ovpn_gso_hdr *h)
{
	struct rbuf r;
	uint8_t vihl, proto, doff;

	rbuf_init(&r, pkt, n);
	GUARD(rbuf_get_u8(&r, &vihl));
	GUARD(rbuf_skip(&r, 3));
	GUARD(rbuf_get_u16(&r, &h->id));
	GUARD(rbuf_skip(&r, 3));
	GUARD(rbuf_get_u8(&r, &proto));
	h->ip_hlen = (size_t)(vihl & 0x0F) * 4;
	if (vihl >> 4 != 4 || h->ip_hlen < 20 || proto != OVPN_IPPROTO_TCP)
		return E_INVAL;
	rbuf_init(&r, pkt, n);
	GUARD(rbuf_skip(&r, h->ip_hlen + 4));
	GUARD(rbuf_get_u32(&r, &h->seq));
	GUARD(rbuf_skip(&r, 4));
	GUARD(rbuf_get_u8(&r, &doff));
	GUARD(rbuf_get_u8(&r, &h->flags));
	h->hdr_len = h->ip_hlen + (size_t)(doff >> 4) * 4;
	if ((doff >> 4) < 5 || h->hdr_len > n)
		return E_TRUNCATED;
	return E_OK;
}

/* One segment: headers of the super-packet with this segment's fields, then its payload. */
static size_t ovpn_gso_build(const struct ovpn_gso_hdr *h, const uint8_t *pkt, size_t off,
                             size_t len, bool first, bool last, uint8_t *out)
{
	size_t n = h->hdr_len + len, th = h->ip_hlen;
	uint8_t flags = h->flags;

	memcpy(out, pkt, h->hdr_len);
	memcpy(out + h->hdr_len, pkt + h->hdr_len + off, len);
	if (!last)
		flags &= (uint8_t) ~(OVPN_TCP_FIN | OVPN_TCP_PSH);
	if (!first)
		flags &= (uint8_t)~OVPN_TCP_CWR;
	ovpn_put16(out + 2, (uint16_t)n);
	ovpn_put16(out + 4, h->id);
	ovpn_put16(out + 10, 0);
	ovpn_put16(out + 10, (uint16_t)~ovpn_csum(0, out, th));
	ovpn_put32(out + th + 4, h->seq + (uint32_t)off);
	out[th + 13] = flags;
	ovpn_put16(out + th + 16, 0);
	/* pseudo-header: source, destination, zero, protocol, TCP length */
	uint32_t ph = ovpn_csum(0, out + 12, 8) + OVPN_IPPROTO_TCP + (uint32_t)(n - th);
	ovpn_put16(out + th + 16, (uint16_t)~ovpn_csum(ph, out + th, n - th));
	return n;
}

RESULT ovpn_gso_split(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t n, uint8_t *out,
                      size_t out_cap, ovpn_gso_emit_fn emit, void *arg)
{
	struct ovpn_gso_hdr h;
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			GUARD(ovpn_gso_csum(vh, pkt, n));
		emit(arg, pkt, n);
		return E_OK;
	}
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 || vh->gso_size == 0)
		return E_INVAL;
	GUARD(ovpn_gso_parse(pkt, n, &h));
	size_t mss = vh->gso_size, payload = n - h.hdr_len;
	if (h.hdr_len + mss > out_cap)
		return E_OVERFLOW;
	/* Segment i carries identification id + i. A payload-less super-packet is one segment. */
	size_t off = 0;
	do {
		size_t len = payload - off < mss ? payload - off : mss;
		struct ovpn_gso_hdr hi = h;
		hi.id = (uint16_t)(h.id + off / mss);
		emit(arg, out,
		     ovpn_gso_build(&hi, pkt, off, len, off == 0, off + len >= payload, out));
		off += len;
	} while (off < payload);
	return E_OK;
}
