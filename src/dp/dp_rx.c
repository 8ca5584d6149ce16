/*
 * dp_rx.c - the RX worker: UDP 4500 / raw ESP -> SPI -> inbound SA -> decapsulate -> TUN.
 *
 * recvmmsg takes up to DP_BATCH datagrams per syscall; with UDP_GRO the kernel hands over
 * runs of equal-size ESP-in-UDP datagrams as one buffer plus the segment size, split here.
 * Writing to the TUN is one write() per packet (the TUN has no batched write).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "dp/dp_internal.h"
#include "inet/inet.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

struct dp_rx {
	struct dp_worker *w;
	struct dp_state *st;
	uint64_t now_ms;
	struct log_ratelimit rl;
	struct inet_gro gro; /* TUN offload: the TCP burst being coalesced */
};

static void dp_rx_write(struct dp_rx *rx, const uint8_t *p, size_t n, size_t inner, unsigned pkts)
{
	struct dp_worker *w = rx->w;

	if (write(w->tun_fd, p, n) < 0) {
		DP_STAT_ADD(w->st.drop_send, pkts);
		return;
	}
	DP_STAT_ADD(w->st.rx_packets, pkts);
	DP_STAT_ADD(w->st.rx_bytes, inner);
}

static void dp_rx_gro_flush(struct dp_rx *rx)
{
	unsigned nseg = rx->gro.nseg;
	size_t n = inet_gro_finish(&rx->gro);

	if (n)
		dp_rx_write(rx, rx->gro.buf, n, n - INET_VNET_HDR_LEN, nseg);
}

/* RFC 4301 5.2: the inner source must be one the SA's tunnel may carry (its routes) */
static bool dp_rx_policy_ok(const struct dp_rx *rx, const struct dp_sa *sa, const struct addr *src)
{
	const struct route_entry *e = route_lookup(rx->st->routes, src);

	for (unsigned i = 0; e && i < e->npaths; i++)
		if (e->paths[i].tunnel == sa->tunnel)
			return true;
	return false;
}

static void dp_rx_count_err(struct dp_rx *rx, result_t rc, uint32_t spi)
{
	struct dp_worker_stats *s = &rx->w->st;

	switch (rc) {
	case E_ESP_REPLAY:
		DP_STAT_ADD(s->drop_replay, 1);
		break;
	case E_CRYPTO_AUTH:
		DP_STAT_ADD(s->drop_auth, 1);
		if (log_ratelimit_ok(&rx->rl))
			log_warn("dp", "SA %08x: integrity check failed, dropped", spi);
		break;
	case E_ESP_DUMMY:
		break; /* RFC 4303 2.6: discard silently */
	default:
		DP_STAT_ADD(s->drop_bad, 1);
		break;
	}
}

static void dp_rx_esp(struct dp_rx *rx, uint8_t *pkt, size_t len)
{
	struct dp_worker *w = rx->w;
	struct dp_sa *sa;
	struct esp_in in;
	struct inet_ip ip;
	uint32_t spi;
	result_t rc;

	/* cheap before expensive: framing and SPI lookup before any crypto */
	if (esp_packet_spi(pkt, len, &spi) != E_OK) {
		DP_STAT_ADD(w->st.drop_bad, 1); /* includes NAT keepalives (RFC 3948 2.3) */
		return;
	}
	if (!(sa = dp_state_in_sa(rx->st, spi))) {
		DP_STAT_ADD(w->st.drop_unknown_spi, 1);
		if (log_ratelimit_ok(&rx->rl))
			log_warn("dp", "ESP with unknown SPI %08x dropped", spi);
		return;
	}
	rc = esp_decapsulate(sa->esp, pkt, len, rx->now_ms, &in);
	if (rc != E_OK) {
		dp_rx_count_err(rx, rc, spi);
		return;
	}
	if (inet_ip_parse(pkt + in.off, in.len, &ip) != E_OK ||
	    (ip.version == 4) != (in.next_header == ESP_NH_IPV4)) {
		DP_STAT_ADD(w->st.drop_bad, 1);
		return;
	}
	if (rx->st->tunnels[sa->tunnel] && rx->st->tunnels[sa->tunnel]->p.strict_source &&
	    !dp_rx_policy_ok(rx, sa, &ip.src)) {
		DP_STAT_ADD(w->st.drop_policy, 1);
		return;
	}
	if (inet_mss_clamp(pkt + in.off, &ip, ip.version == 4 ? sa->mss4 : sa->mss6))
		DP_STAT_ADD(w->st.mss_clamped, 1);
	if (!w->dp->offload) {
		dp_rx_write(rx, pkt + in.off, ip.total_len, ip.total_len, 1);
		return;
	}
	/* TUN offload: coalesce TCP bursts; anything else flushes the burst (keeping the
	 * order within a flow) and goes alone */
	if (inet_gro_add(&rx->gro, pkt + in.off, &ip))
		return;
	dp_rx_gro_flush(rx);
	if (inet_gro_add(&rx->gro, pkt + in.off, &ip))
		return;
	/* authenticated by ESP: the kernel need not verify the inner checksum again
	 * (in.off >= 16, so the header fits in front of the inner packet) */
	in.off -= INET_VNET_HDR_LEN;
	inet_vnet_put(pkt + in.off, INET_VNET_F_DATA_VALID);
	dp_rx_write(rx, pkt + in.off, ip.total_len + INET_VNET_HDR_LEN, ip.total_len, 1);
}

/* Raw IPv4 sockets deliver the IP header too; IPv6 raw sockets do not. */
static bool dp_rx_strip_ip(uint8_t *buf, size_t len, size_t *off)
{
	struct rbuf r;
	uint8_t b0;

	rbuf_init(&r, buf, len);
	if (rbuf_get_u8(&r, &b0) != E_OK || b0 >> 4 != 4 || (size_t)(b0 & 0xf) * 4 > len)
		return false;
	*off = (size_t)(b0 & 0xf) * 4;
	return true;
}

static uint16_t dp_rx_gro_size(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 && v < 65536 ? (uint16_t)v : 0;
		}
	}
	return 0;
}

static void dp_rx_sock(struct dp_rx *rx, int fd, bool raw)
{
	struct dp_worker *w = rx->w;
	struct mmsghdr mm[DP_BATCH];
	struct iovec iov[DP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm[DP_BATCH];
	unsigned n = w->nslots < DP_BATCH ? w->nslots : DP_BATCH;
	int got;

	memset(mm, 0, sizeof(mm[0]) * n);
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){w->bufs + i * w->slot_len, w->slot_len};
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = cm[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
	}
	got = recvmmsg(fd, mm, n, MSG_DONTWAIT, NULL);
	DP_STAT_ADD(w->st.rx_syscalls, 1);
	rx->now_ms = clock_mono_ms();
	for (int i = 0; i < got; i++) {
		uint8_t *buf = iov[i].iov_base;
		size_t len = mm[i].msg_len, off = 0, seg;

		if (raw && w->dp->cfg.local.family == AF_INET && !dp_rx_strip_ip(buf, len, &off)) {
			DP_STAT_ADD(w->st.drop_bad, 1);
			continue;
		}
		seg = raw ? 0 : dp_rx_gro_size(&mm[i].msg_hdr);
		if (!seg)
			seg = len - off;
		for (; off < len; off += seg)
			dp_rx_esp(rx, buf + off, len - off < seg ? len - off : seg);
	}
	dp_rx_gro_flush(rx);
}

void *dp_rx_main(void *arg)
{
	struct dp_rx rx = {.w = arg, .rl = LOG_RATELIMIT_INIT(1, 5)};
	struct dp *dp = rx.w->dp;

	rx.gro.buf = rx.w->big;
	struct pollfd pfd[2] = {{dp->udp_fd, POLLIN, 0}, {dp->raw_fd, POLLIN, 0}};
	nfds_t nfd = dp->raw_fd >= 0 ? 2 : 1;

	while (!atomic_load_explicit(&dp->stop, memory_order_relaxed)) {
		dp_worker_quiescent(rx.w);
		if (poll(pfd, nfd, DP_POLL_MS) <= 0)
			continue;
		rx.st = dp_worker_state(rx.w);
		if (pfd[0].revents & POLLIN)
			dp_rx_sock(&rx, dp->udp_fd, false);
		if (nfd > 1 && (pfd[1].revents & POLLIN))
			dp_rx_sock(&rx, dp->raw_fd, true);
	}
	return NULL;
}
