/*
 * fuzz_inet_gro.c - the TUN offloads of src/inet on packet sequences, as the OpenVPN server and
 * the IPsec data plane meet them: super-packets coalesced from decrypted packets
 * (inet_gro_add / inet_gro_finish) and segments cut from what the TUN hands over behind its
 * vnet header (inet_vnet_parse, inet_csum_complete, inet_tcp_segment).
 * Input: packets, each behind a 2-octet big-endian length. Every one is offered to the
 * coalescer, which is finished when it refuses one (as the users do) and at the end; a
 * super-packet must never exceed the IP limit nor claim a length it does not have. Every one
 * of at least 10 octets is also read as a vnet header + packet and completed or cut into
 * segments, which must fit the segment buffer.
 * Corpus: fuzz/corpus/fuzz_inet_gro/ (TCP bursts as a stock OpenVPN client sends them).
 */
#include <stdlib.h>
#include <string.h>

#include "inet/inet.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t gbuf[INET_VNET_HDR_LEN + INET_GRO_MAX_LEN];
static struct inet_gro g = {.buf = gbuf};
static uint8_t copy[INET_GRO_MAX_LEN + 16], seg[1600];

static void split(const uint8_t *p, size_t n)
{
	struct inet_vnet_hdr vh;
	struct inet_ip ip, si;
	size_t len;
	bool last = false;

	if (inet_vnet_parse(p, n, &vh) != E_OK)
		return;
	n -= INET_VNET_HDR_LEN;
	memcpy(copy, p + INET_VNET_HDR_LEN, n);
	if ((vh.gso_type & ~INET_VNET_GSO_ECN) == INET_VNET_GSO_NONE) {
		if (vh.flags & INET_VNET_F_NEEDS_CSUM)
			(void)inet_csum_complete(copy, n, vh.csum_start, vh.csum_offset);
		return;
	}
	if (inet_ip_parse(copy, n, &ip) != E_OK)
		return;
	for (unsigned idx = 0; !last; idx++) {
		if (inet_tcp_segment(copy, &ip, vh.gso_size, idx, seg, sizeof(seg), &len, &last) !=
		    E_OK)
			return;
		if (len > sizeof(seg) || inet_ip_parse(seg, len, &si) != E_OK ||
		    si.total_len != len)
			abort(); /* a segment is a well-formed packet */
	}
}

static void finish(void)
{
	struct inet_vnet_hdr vh;
	struct inet_ip ip;
	size_t n = inet_gro_finish(&g);

	if (n == 0)
		return;
	if (n > INET_VNET_HDR_LEN + INET_GRO_MAX_LEN || inet_vnet_parse(gbuf, n, &vh) != E_OK ||
	    inet_ip_parse(gbuf + INET_VNET_HDR_LEN, n - INET_VNET_HDR_LEN, &ip) != E_OK ||
	    ip.total_len != n - INET_VNET_HDR_LEN)
		abort();
	if (vh.gso_type != INET_VNET_GSO_NONE && (vh.gso_size == 0 || vh.hdr_len >= ip.total_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rbuf r, p;
	struct inet_ip ip;
	uint16_t len;

	g.nseg = 0;
	rbuf_init(&r, data, size);
	while (rbuf_get_u16(&r, &len) == E_OK && rbuf_get_sub(&r, len, &p) == E_OK) {
		split(rbuf_cur(&p), len);
		if (inet_ip_parse(rbuf_cur(&p), len, &ip) != E_OK)
			continue;
		if (inet_gro_add(&g, rbuf_cur(&p), &ip))
			continue;
		finish();
		(void)inet_gro_add(&g, rbuf_cur(&p), &ip);
	}
	finish();
	return 0;
}
