/*
 * ovpn_gro.c - coalescing the TCP segments a client sends in one UDP batch into one
 * super-packet for the TUN (IFF_VNET_HDR, gso_type TCPV4), so the kernel forwards, routes and
 * delivers a burst once instead of once per segment, and segments it again only where a
 * device needs it.
 *
 * The merge rules are those of the kernel's tcp_gro_receive: same flow (IPv4 without options,
 * not a fragment; equal addresses, TOS, DF, TTL, ports, acknowledgment number, data offset,
 * flags but PSH, window and options), contiguous sequence numbers, every segment but the last
 * of one size; a shorter segment or PSH ends the burst. Only ACK (and PSH) segments with a
 * payload merge: SYN, FIN, RST, URG, ECN flags and pure ACKs go alone.
 *
 * The super-packet carries VIRTIO_NET_HDR_F_NEEDS_CSUM with the pseudo-header sum in the TCP
 * checksum field (CHECKSUM_PARTIAL), so the kernel computes each segment's checksum when it
 * segments. The segments' own checksums are not verified first: the data channel's AEAD
 * authenticated every octet, so a wrong checksum could only come from the client itself.
 *
 *   IPv4 (RFC 791 3.1)                         TCP (RFC 9293 3.1)
 *   0       4       8              16       31 0              16              31
 *   |ver|ihl| TOS   |  total length  |         | source port  | dest port      |
 *   |  identification |flg| frag off |         | sequence number               |
 *   | TTL   | proto |  header csum   |         | acknowledgment number         |
 *   | source address                 |         |off|rsv|flags | window         |
 *   | destination address            |         | checksum     | urgent pointer |
 */
#include <linux/virtio_net.h>
#include <string.h>

#include "ovpn/ovpn_int.h"

#define OVPN_IPPROTO_TCP 6
#define OVPN_TCP_ACK 0x10
#define OVPN_TCP_PSH 0x08
#define OVPN_IPV4_HLEN 20
#define OVPN_TCP_CSUM_OFF 16

struct ovpn_gro_seg {
	size_t tcp_hlen, payload;
	uint32_t seq;
	uint8_t flags;
};

/* A TCP segment with a payload in an IPv4 packet without options; false for anything else. */
static bool ovpn_gro_parse(const uint8_t *pkt, size_t n, struct ovpn_gro_seg *s)
{
	struct rbuf r;
	uint8_t vihl, proto, doff;
	uint16_t total, frag;

	rbuf_init(&r, pkt, n);
	if (rbuf_get_u8(&r, &vihl) != E_OK || vihl != 0x45 || rbuf_skip(&r, 1) != E_OK ||
	    rbuf_get_u16(&r, &total) != E_OK || total != n || rbuf_skip(&r, 2) != E_OK ||
	    rbuf_get_u16(&r, &frag) != E_OK || (frag & 0x3FFF) != 0 || rbuf_skip(&r, 1) != E_OK ||
	    rbuf_get_u8(&r, &proto) != E_OK || proto != OVPN_IPPROTO_TCP ||
	    rbuf_skip(&r, 10 + 4) != E_OK || rbuf_get_u32(&r, &s->seq) != E_OK ||
	    rbuf_skip(&r, 4) != E_OK || rbuf_get_u8(&r, &doff) != E_OK ||
	    rbuf_get_u8(&r, &s->flags) != E_OK)
		return false;
	s->tcp_hlen = (size_t)(doff >> 4) * 4;
	if (s->tcp_hlen < 20 || OVPN_IPV4_HLEN + s->tcp_hlen >= n)
		return false; /* no payload */
	s->payload = n - OVPN_IPV4_HLEN - s->tcp_hlen;
	return (s->flags & ~OVPN_TCP_PSH) == OVPN_TCP_ACK;
}

/* Headers equal but for total length, identification, checksums, sequence number and PSH. */
static bool ovpn_gro_same_flow(const struct ovpn_gro *g, const uint8_t *pkt,
                               const struct ovpn_gro_seg *s)
{
	const uint8_t *h = g->buf;
	const size_t th = OVPN_IPV4_HLEN;

	if (OVPN_IPV4_HLEN + s->tcp_hlen != g->hdr_len)
		return false;
	/* IPv4: version/IHL/TOS; flags/fragment, TTL, protocol; addresses */
	if (memcmp(h, pkt, 2) != 0 || memcmp(h + 6, pkt + 6, 4) != 0 ||
	    memcmp(h + 12, pkt + 12, 8) != 0)
		return false;
	/* TCP: ports; acknowledgment number and data offset; flags but PSH; window; options */
	return memcmp(h + th, pkt + th, 4) == 0 && memcmp(h + th + 8, pkt + th + 8, 5) == 0 &&
	       (h[th + 13] & ~OVPN_TCP_PSH) == (pkt[th + 13] & ~OVPN_TCP_PSH) &&
	       memcmp(h + th + 14, pkt + th + 14, 2) == 0 &&
	       memcmp(h + th + 20, pkt + th + 20, s->tcp_hlen - 20) == 0;
}

bool ovpn_gro_add(struct ovpn_gro *g, const uint8_t *pkt, size_t n)
{
	struct ovpn_gro_seg s;
	struct rbuf r;
	const uint8_t *payload;

	if (!ovpn_gro_parse(pkt, n, &s))
		return false;
	if (g->nseg == 0) {
		memcpy(g->buf, pkt, n);
		g->len = n;
		g->nseg = 1;
		g->hdr_len = OVPN_IPV4_HLEN + s.tcp_hlen;
		g->seg_size = (uint16_t)s.payload;
		g->next_seq = s.seq + (uint32_t)s.payload;
		g->closed = (s.flags & OVPN_TCP_PSH) != 0;
		return true;
	}
	if (g->closed || s.seq != g->next_seq || s.payload > g->seg_size ||
	    g->len + s.payload > OVPN_GRO_MAX || !ovpn_gro_same_flow(g, pkt, &s))
		return false;
	rbuf_init(&r, pkt, n);
	if (rbuf_skip(&r, g->hdr_len) != E_OK || rbuf_get_ptr(&r, s.payload, &payload) != E_OK)
		return false;
	memcpy(g->buf + g->len, payload, s.payload);
	g->len += s.payload;
	g->nseg++;
	g->next_seq += (uint32_t)s.payload;
	if (s.payload < g->seg_size || (s.flags & OVPN_TCP_PSH)) {
		g->buf[OVPN_IPV4_HLEN + 13] |= s.flags & OVPN_TCP_PSH;
		g->closed = true;
	}
	return true;
}

static void ovpn_put_u16(uint8_t *p, uint16_t v)
{
	struct wbuf w;

	wbuf_init(&w, p, 2);
	wbuf_put_u16(&w, v);
}

size_t ovpn_gro_finish(struct ovpn_gro *g, struct virtio_net_hdr *vh)
{
	uint8_t *h = g->buf;
	unsigned nseg = g->nseg;

	memset(vh, 0, sizeof(*vh));
	g->nseg = 0;
	if (nseg <= 1)
		return nseg ? g->len : 0; /* one segment: unchanged */
	ovpn_put_u16(h + 2, (uint16_t)g->len);
	ovpn_put_u16(h + 10, 0);
	ovpn_put_u16(h + 10, (uint16_t)~ovpn_csum(0, h, OVPN_IPV4_HLEN));
	/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not complemented
	 * (RFC 9293 3.1: source, destination, zero, protocol, TCP length). */
	uint32_t ph =
	    ovpn_csum(0, h + 12, 8) + OVPN_IPPROTO_TCP + (uint32_t)(g->len - OVPN_IPV4_HLEN);
	ovpn_put_u16(h + OVPN_IPV4_HLEN + OVPN_TCP_CSUM_OFF, ovpn_csum(ph, NULL, 0));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)g->hdr_len;
	vh->gso_size = g->seg_size;
	vh->csum_start = OVPN_IPV4_HLEN;
	vh->csum_offset = OVPN_TCP_CSUM_OFF;
	return g->len;
}
