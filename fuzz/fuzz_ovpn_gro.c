/*
 * fuzz_ovpn_gro.c - TUN offloads: super-packets from decrypted client packets
 * (src/ovpn/ovpn_gro.c) and segments from what the TUN hands over (src/ovpn/ovpn_gso.c).
 * Input: packets, each behind a 2-octet big-endian length. Every one is offered to the
 * coalescer, which is finished when it refuses one (as the server does) and at the end; a
 * super-packet must never exceed the IPv4 limit nor claim a length it does not have. Every
 * one of at least 10 octets is also read as a vnet header + packet and cut into segments,
 * which must fit the segment buffer.
 * Corpus: fuzz/corpus/fuzz_ovpn_gro/ (TCP bursts as a stock client sends them).
 */
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn/ovpn_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ovpn_gro g;
static uint8_t copy[OVPN_GRO_MAX + 16], seg[1600];

static void emit(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	if (n > sizeof(seg) && p == seg)
		abort();
}

static void split(const uint8_t *p, size_t n)
{
	struct virtio_net_hdr vh;
	struct rbuf r;

	rbuf_init(&r, p, n);
	if (rbuf_get_bytes(&r, &vh, sizeof(vh)) != E_OK)
		return;
	memcpy(copy, rbuf_cur(&r), rbuf_remaining(&r));
	(void)ovpn_gso_split(&vh, copy, rbuf_remaining(&r), seg, sizeof(seg), emit, NULL);
}

static void finish(void)
{
	struct virtio_net_hdr vh;
	size_t n = ovpn_gro_finish(&g, &vh);

	if (n > OVPN_GRO_MAX || (n && (size_t)(g.buf[2] << 8 | g.buf[3]) != n))
		abort();
	if (vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && (vh.gso_size == 0 || vh.hdr_len >= n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rbuf r, p;
	uint16_t len;

	g.nseg = 0;
	rbuf_init(&r, data, size);
	while (rbuf_get_u16(&r, &len) == E_OK && rbuf_get_sub(&r, len, &p) == E_OK) {
		split(rbuf_cur(&p), len);
		if (ovpn_gro_add(&g, rbuf_cur(&p), len))
			continue;
		finish();
		(void)ovpn_gro_add(&g, rbuf_cur(&p), len);
	}
	finish();
	return 0;
}
