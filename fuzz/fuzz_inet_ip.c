/*
 * fuzz_inet_ip - the inner-packet parsers of src/inet, used by the IPsec data plane and the
 * OpenVPN server (robustness.md 3.5 / CVE-2017-7508 class: truncated headers and TCP options
 * under MSS clamping): inet_ip_parse, inet_mss_clamp, inet_ipv4_fragment, inet_icmp_too_big,
 * TCP segmentation (TUN TSO) and receive coalescing on arbitrary bytes as read from the TUN
 * or decrypted. Sequences of packets through the coalescer and the vnet header: fuzz_inet_gro.
 * Corpus: fuzz/corpus/fuzz_inet_ip/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "inet/inet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[65536], out[65536], gbuf[INET_VNET_HDR_LEN + INET_GRO_MAX_LEN];
	struct inet_gro g = {.buf = gbuf};
	struct inet_ip ip;
	struct addr from;
	size_t n;
	bool last = false;

	if (size > sizeof(pkt))
		return 0;
	memcpy(pkt, data, size);
	if (inet_ip_parse(pkt, size, &ip) != E_OK)
		return 0;
	if (ip.total_len > size || ip.hdr_len > ip.total_len)
		__builtin_trap();
	(void)inet_mss_clamp(pkt, &ip, 1200);
	for (unsigned i = 0; !last && i < 200; i++)
		if (inet_ipv4_fragment(pkt, &ip, 576, i, out, sizeof(out), &n, &last) != E_OK)
			break;
	memset(&from, 0, sizeof(from));
	from.family = ip.src.family;
	(void)inet_icmp_too_big(pkt, &ip, 1400, &from, out, sizeof(out), &n);
	last = false;
	for (unsigned i = 0; !last && i < 200; i++) {
		struct inet_ip si;

		if (inet_tcp_segment(pkt, &ip, 536, i, out, sizeof(out), &n, &last) != E_OK)
			break;
		if (inet_ip_parse(out, n, &si) != E_OK)
			__builtin_trap(); /* a segment must parse */
		if (!inet_gro_add(&g, out, &si)) {
			(void)inet_gro_finish(&g);
			(void)inet_gro_add(&g, out, &si);
		}
	}
	if (inet_gro_add(&g, pkt, &ip) || inet_gro_add(&g, pkt, &ip))
		(void)inet_gro_finish(&g);
	(void)inet_gro_finish(&g);
	(void)inet_csum_complete(pkt, ip.total_len, ip.hdr_len, 16);
	return 0;
}
