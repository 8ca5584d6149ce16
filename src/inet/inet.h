/*
 * inet.h - inner IP packets of the tunnels, shared by the IPsec data plane (src/dp) and the
 * OpenVPN server (src/ovpn): header parse, checksums (RFC 1071), TCP MSS clamping, IPv4
 * fragmentation before encryption (RFC 4459 / RFC 791), ICMP "fragmentation needed"
 * (RFC 792) and ICMPv6 "packet too big" (RFC 4443 3.2), and the TUN offloads: the
 * virtio_net_hdr, TCP segmentation of TSO super-packets and receive coalescing (GRO).
 * Pure functions over caller buffers, no allocation, no state but the caller's struct
 * inet_gro: any thread may call them on its own buffers. inet_ip.c, inet_gro.c.
 * Errors: E_INET_BAD_PACKET for a malformed or inconsistent packet, E_INVAL for a request the
 * packet cannot satisfy, buffer errors (E_OVERFLOW, E_TRUNCATED) for a too small out or input.
 */
#ifndef GH_INET_H
#define GH_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

#define INET_IPPROTO_ICMP 1
#define INET_IPPROTO_TCP 6
#define INET_IPPROTO_ICMPV6 58

struct inet_ip {
	uint8_t version;  /* 4 or 6 */
	size_t hdr_len;   /* IPv4 IHL * 4; IPv6 40 */
	size_t total_len; /* from the header (<= the buffer) */
	uint8_t proto;    /* IPv4 protocol / IPv6 next header (first) */
	bool df;          /* IPv4 don't fragment */
	bool is_fragment; /* IPv4: MF set or offset != 0 */
	struct addr src, dst;
};

/* E_INET_BAD_PACKET when the header is malformed or longer than len. Bytes after the
 * header's total length (total_len) are not part of the packet. */
RESULT inet_ip_parse(const uint8_t *pkt, size_t len, struct inet_ip *ip);

/* If pkt is a TCP SYN (first fragment, IPv4 or IPv6 without extension headers) whose MSS
 * option exceeds mss, lower it and fix the TCP checksum (RFC 1624). True when changed. */
bool inet_mss_clamp(uint8_t *pkt, const struct inet_ip *ip, uint16_t mss);

/* IPv4 header checksum (RFC 791) over hdr_len bytes, checksum field included as zero. */
uint16_t inet_ipv4_csum(const uint8_t *hdr, size_t hdr_len);

/* Fragment fragment number `idx` of an IPv4 packet for an MTU: writes it into out (cap),
 * sets *out_len, and *last when it is the final one. Call with idx = 0, 1, ... until *last.
 * E_INVAL if the packet cannot be fragmented (DF, or MTU too small). */
RESULT inet_ipv4_fragment(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu, unsigned idx,
                          uint8_t *out, size_t cap, size_t *out_len, bool *last);

/* Build an ICMP error about pkt, back towards its source: IPv4 type 3 code 4 with the next-hop
 * MTU (RFC 1191 4), IPv6 type 2 "packet too big" (RFC 4443 3.2). `from` is the ICMP source. */
RESULT inet_icmp_too_big(const uint8_t *pkt, const struct inet_ip *ip, uint32_t mtu,
                         const struct addr *from, uint8_t *out, size_t cap, size_t *out_len);

/* struct virtio_net_hdr (linux/virtio_net.h) in front of every TUN packet with IFF_VNET_HDR;
 * host byte order. */
#define INET_VNET_HDR_LEN 10
#define INET_VNET_F_NEEDS_CSUM 1
#define INET_VNET_F_DATA_VALID 2
#define INET_VNET_GSO_NONE 0
#define INET_VNET_GSO_TCPV4 1
#define INET_VNET_GSO_TCPV6 4
#define INET_VNET_GSO_ECN 0x80 /* flag: the super-packet carries ECN CE/CWR */

struct inet_vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

RESULT inet_vnet_parse(const uint8_t *p, size_t len, struct inet_vnet_hdr *h);
/* Write a header (flags, no GSO) into out[0..INET_VNET_HDR_LEN). */
void inet_vnet_put(uint8_t *out, uint8_t flags);
/* Finish a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the one's-complement sum of
 * pkt[start..len) goes, complemented, into pkt[start + off]. E_INET_BAD_PACKET if out of range. */
RESULT inet_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t off);
/* Segment idx of a TCP super-packet (TSO from the TUN): headers plus gso_size bytes of
 * payload, IPv4 id / IPv6 length, sequence number, flags (FIN/PSH last only, CWR first only)
 * and checksums fixed. Call with idx = 0, 1, ... until *last. */
RESULT inet_tcp_segment(const uint8_t *pkt, const struct inet_ip *ip, uint16_t gso_size,
                        unsigned idx, uint8_t *out, size_t cap, size_t *out_len, bool *last);

/* Receive coalescing for the TUN (the user-space side of GRO): consecutive in-order TCP
 * segments of one flow (ACK, optionally PSH on the last; identical headers but for length,
 * id, sequence) are merged into one super-packet written with a virtio_net_hdr of type
 * TCPV4/TCPV6, so the kernel's TCP receive path runs once per burst. inet_gro.c. */
#define INET_GRO_MAX_LEN 65535

struct inet_gro {
	uint8_t *buf; /* INET_VNET_HDR_LEN + INET_GRO_MAX_LEN, caller-owned */
	size_t len;   /* IP packet bytes after the header */
	unsigned nseg;
	uint8_t version;
	size_t ip_hdr_len, hdr_len; /* IP, IP + TCP */
	uint16_t seg_size;
	uint32_t next_seq;
	bool closed; /* a short or PSH segment ended the burst */
};

/* Append pkt (parsed as ip) to the burst, or start one when empty. False: not coalescable
 * with the burst (flush it, then try again) or not coalescable at all (write it alone). */
bool inet_gro_add(struct inet_gro *g, const uint8_t *pkt, const struct inet_ip *ip);
/* Fix the headers and the virtio_net_hdr; returns the bytes to write from g->buf (0 when
 * empty) and empties the burst. A lone segment goes out unchanged behind
 * INET_VNET_F_DATA_VALID: both callers' AEAD (ESP, the OpenVPN data channel) authenticated it,
 * as it did every segment of a super-packet whose checksums are not verified either. */
size_t inet_gro_finish(struct inet_gro *g);

#endif
