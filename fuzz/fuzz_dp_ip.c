/*
 * fuzz_dp_ip - the data plane's inner-packet parsers (robustness.md 3.5 / CVE-2017-7508 class:
 * truncated headers and TCP options under MSS clamping): dp_ip_parse, dp_mss_clamp,
 * dp_ipv4_fragment, dp_icmp_too_big, TCP segmentation (TUN TSO) and receive coalescing on
 * arbitrary bytes as read from the TUN or decrypted.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp/dp_ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[65536], out[65536], gbuf[DP_VNET_HDR_LEN + DP_GRO_MAX_LEN];
	struct dp_gro g = {.buf = gbuf};
	struct dp_ip ip;
	struct addr from;
	size_t n;
	bool last = false;

	if (size > sizeof(pkt))
		return 0;
	memcpy(pkt, data, size);
	if (dp_ip_parse(pkt, size, &ip) != E_OK)
		return 0;
	if (ip.total_len > size || ip.hdr_len > ip.total_len)
		__builtin_trap();
	(void)dp_mss_clamp(pkt, &ip, 1200);
	for (unsigned i = 0; !last && i < 200; i++)
		if (dp_ipv4_fragment(pkt, &ip, 576, i, out, sizeof(out), &n, &last) != E_OK)
			break;
	memset(&from, 0, sizeof(from));
	from.family = ip.src.family;
	(void)dp_icmp_too_big(pkt, &ip, 1400, &from, out, sizeof(out), &n);
	last = false;
	for (unsigned i = 0; !last && i < 200; i++) {
		struct dp_ip si;

		if (dp_tcp_segment(pkt, &ip, 536, i, out, sizeof(out), &n, &last) != E_OK)
			break;
		if (dp_ip_parse(out, n, &si) != E_OK)
			__builtin_trap(); /* a segment must parse */
		if (!dp_gro_add(&g, out, &si)) {
			(void)dp_gro_finish(&g);
			(void)dp_gro_add(&g, out, &si);
		}
	}
	if (dp_gro_add(&g, pkt, &ip) || dp_gro_add(&g, pkt, &ip))
		(void)dp_gro_finish(&g);
	(void)dp_gro_finish(&g);
	(void)dp_csum_complete(pkt, ip.total_len, ip.hdr_len, 16);
	return 0;
}
