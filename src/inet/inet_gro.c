/*
 * inet_gro.c - coalescing decrypted TCP segments into super-packets for the TUN (see inet.h).
 *
 * The merge rules follow the kernel's own tcp_gro_receive: same flow, contiguous sequence
 * numbers, identical acknowledgment number, flags word (but PSH) and options, every segment
 * but the last of one size. The result carries VIRTIO_NET_HDR_F_NEEDS_CSUM with the
 * pseudo-header sum in the TCP checksum field, so a forwarding host can still segment it.
 */
#include <string.h>

#include "inet/inet.h"
#include "lib/buf.h"

#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_PSH 0x08

struct gro_seg {
	size_t tcp_hlen, payload;
	uint32_t seq;
	uint8_t flags;
};

static bool gro_parse(const uint8_t *pkt, const struct inet_ip *ip, struct gro_seg *s)
{
	struct rbuf r;
	uint8_t doff;

	if (ip->proto != INET_IPPROTO_TCP || ip->is_fragment ||
	    ip->hdr_len != (ip->version == 4 ? 20u : 40u))
		return false;
	rbuf_init(&r, pkt, ip->total_len);
	if (rbuf_skip(&r, ip->hdr_len + 4) || rbuf_get_u32(&r, &s->seq) || rbuf_skip(&r, 4) ||
	    rbuf_get_u8(&r, &doff) || rbuf_get_u8(&r, &s->flags))
		return false;
	s->tcp_hlen = (size_t)(doff >> 4) * 4;
	if (s->tcp_hlen < 20 || ip->hdr_len + s->tcp_hlen >= ip->total_len)
		return false; /* no payload: pure ACKs go alone */
	s->payload = ip->total_len - ip->hdr_len - s->tcp_hlen;
	return (s->flags & ~TCP_FLAG_PSH) == TCP_FLAG_ACK;
}

/* Headers equal but for IPv4 length/id/checksum, IPv6 payload length, TCP sequence number,
 * checksum and PSH. */
static bool gro_same_flow(const struct inet_gro *g, const uint8_t *pkt, const struct inet_ip *ip,
                          const struct gro_seg *s)
{
	const uint8_t *h = g->buf + INET_VNET_HDR_LEN;
	size_t th = g->ip_hdr_len;

	if (ip->version != g->version || ip->hdr_len + s->tcp_hlen != g->hdr_len)
		return false;
	if (ip->version == 4) {
		if (memcmp(h, pkt, 2) || memcmp(h + 6, pkt + 6, 4) || memcmp(h + 12, pkt + 12, 8))
			return false;
	} else if (memcmp(h, pkt, 4) || memcmp(h + 6, pkt + 6, 34)) {
		return false;
	}
	/* ports; ack; data offset; flags but PSH; window; options */
	return !memcmp(h + th, pkt + th, 4) && !memcmp(h + th + 8, pkt + th + 8, 5) &&
	       (h[th + 13] & ~TCP_FLAG_PSH) == (pkt[th + 13] & ~TCP_FLAG_PSH) &&
	       !memcmp(h + th + 14, pkt + th + 14, 2) &&
	       !memcmp(h + th + 20, pkt + th + 20, s->tcp_hlen - 20);
}

bool inet_gro_add(struct inet_gro *g, const uint8_t *pkt, const struct inet_ip *ip)
{
	struct gro_seg s;

	if (!gro_parse(pkt, ip, &s))
		return false;
	if (g->nseg == 0) {
		memcpy(g->buf + INET_VNET_HDR_LEN, pkt, ip->total_len);
		g->len = ip->total_len;
		g->nseg = 1;
		g->version = ip->version;
		g->ip_hdr_len = ip->hdr_len;
		g->hdr_len = ip->hdr_len + s.tcp_hlen;
		g->seg_size = (uint16_t)s.payload;
		g->next_seq = s.seq + (uint32_t)s.payload;
		g->closed = (s.flags & TCP_FLAG_PSH) != 0;
		return true;
	}
	if (g->closed || s.seq != g->next_seq || s.payload > g->seg_size ||
	    g->len + s.payload > INET_GRO_MAX_LEN || !gro_same_flow(g, pkt, ip, &s))
		return false;
	memcpy(g->buf + INET_VNET_HDR_LEN + g->len, pkt + g->hdr_len, s.payload);
	g->len += s.payload;
	g->nseg++;
	g->next_seq += (uint32_t)s.payload;
	/* a shorter segment or PSH ends the burst, as in tcp_gro_receive */
	if (s.payload < g->seg_size || (s.flags & TCP_FLAG_PSH)) {
		g->buf[INET_VNET_HDR_LEN + g->ip_hdr_len + 13] |= s.flags & TCP_FLAG_PSH;
		g->closed = true;
	}
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	struct wbuf w;

	wbuf_init(&w, p, 2);
	wbuf_put_u16(&w, v);
}

static void put16h(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

size_t inet_gro_finish(struct inet_gro *g)
{
	uint8_t *h = g->buf + INET_VNET_HDR_LEN;
	size_t n = g->len, tcp_len = g->len - g->ip_hdr_len;
	uint32_t ph = 0;
	uint16_t folded;

	unsigned nseg = g->nseg;

	if (nseg == 0)
		return 0;
	g->nseg = 0;
	inet_vnet_put(g->buf, INET_VNET_F_DATA_VALID);
	if (nseg == 1)
		return INET_VNET_HDR_LEN + n; /* unchanged; ESP authenticated it */
	if (g->version == 4) {
		put16(h + 2, (uint16_t)n);
		put16(h + 10, 0);
		put16(h + 10, inet_ipv4_csum(h, 20));
	} else {
		put16(h + 4, (uint16_t)tcp_len);
	}
	/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not complemented */
	put16(h + g->ip_hdr_len + 16, 0);
	{
		uint8_t pseudo[40];
		struct wbuf w;

		wbuf_init(&w, pseudo, sizeof(pseudo));
		if (g->version == 4)
			wbuf_put_bytes(&w, h + 12, 8);
		else
			wbuf_put_bytes(&w, h + 8, 32);
		folded = inet_ipv4_csum(pseudo, w.len); /* ~sum of the addresses */
		ph = (uint16_t)~folded;
		ph += INET_IPPROTO_TCP + (uint32_t)tcp_len;
		while (ph >> 16)
			ph = (ph & 0xffff) + (ph >> 16);
	}
	put16(h + g->ip_hdr_len + 16, (uint16_t)ph);
	g->buf[0] = INET_VNET_F_NEEDS_CSUM;
	g->buf[1] = g->version == 4 ? INET_VNET_GSO_TCPV4 : INET_VNET_GSO_TCPV6;
	put16h(g->buf + 2, (uint16_t)g->hdr_len);
	put16h(g->buf + 4, g->seg_size);
	put16h(g->buf + 6, (uint16_t)g->ip_hdr_len);
	put16h(g->buf + 8, 16);
	return INET_VNET_HDR_LEN + n;
}
