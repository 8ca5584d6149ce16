/*
 * dp_tx.c - the TX worker: TUN -> route -> tunnel -> outbound SA -> ESP -> UDP 4500 / raw ESP.
 *
 * A batch is up to DP_BATCH packets read from the worker's TUN queue until EAGAIN, then one
 * sendmmsg per socket. With UDP GSO (UDP_SEGMENT, Linux 4.18) a run of equal-size ESP packets
 * to one peer goes down as a single message the kernel splits, so a bulk TCP flow costs about
 * one send syscall per 64 packets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "dp/dp_internal.h"
#include "inet/inet.h"
#include "lib/log.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define DP_MAX_FRAGS 4          /* tun_mtu <= 1975 over a tunnel MTU >= 576 */
#define DP_GSO_MAX_SEGS 64      /* UDP_MAX_SEGMENTS */
#define DP_GSO_MAX_BYTES 65000

struct dp_txq_ent {
	uint8_t *p;
	size_t len;
	struct dp_sa *sa;
};

struct dp_txq {
	unsigned n;
	struct dp_txq_ent e[2 * DP_BATCH];
};

struct dp_tx {
	struct dp_worker *w;
	struct dp_state *st;
	unsigned slot; /* next free buffer slot */
	struct dp_txq udp, raw;
	struct log_ratelimit rl;
};

static void dp_tx_flush_q(struct dp_tx *tx, struct dp_txq *q, int fd, bool gso)
{
	struct mmsghdr mm[2 * DP_BATCH];
	struct iovec iov[2 * DP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm[2 * DP_BATCH];
	unsigned nm = 0, i = 0, sent = 0;

	memset(mm, 0, sizeof(mm[0]) * q->n);
	for (unsigned k = 0; k < q->n; k++)
		iov[k] = (struct iovec){q->e[k].p, q->e[k].len};
	while (i < q->n) {
		unsigned j = i;
		size_t size = q->e[i].len, total = size;
		struct msghdr *m = &mm[nm].msg_hdr;

		/* GSO: every segment but the last has the segment size */
		while (gso && j + 1 < q->n && q->e[j + 1].sa == q->e[i].sa &&
		       q->e[j].len == size && q->e[j + 1].len <= size &&
		       j + 1 - i < DP_GSO_MAX_SEGS && total + q->e[j + 1].len <= DP_GSO_MAX_BYTES)
			total += q->e[++j].len;
		m->msg_name = &q->e[i].sa->dst;
		m->msg_namelen = q->e[i].sa->dst_len;
		m->msg_iov = &iov[i];
		m->msg_iovlen = j - i + 1;
		if (j > i) {
			struct cmsghdr *c;

			m->msg_control = cm[nm].buf;
			m->msg_controllen = sizeof(cm[nm].buf);
			c = CMSG_FIRSTHDR(m);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(c), &(uint16_t){(uint16_t)size}, sizeof(uint16_t));
		}
		nm++;
		i = j + 1;
	}
	while (sent < nm) {
		int r = sendmmsg(fd, mm + sent, nm - sent, 0);

		DP_STAT_ADD(tx->w->st.tx_syscalls, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN / ENOBUFS / EMSGSIZE: drop this message and go on */
			if (log_ratelimit_ok(&tx->rl))
				log_warn("dp", "send: %s", strerror(errno));
			DP_STAT_ADD(tx->w->st.drop_send, mm[sent].msg_hdr.msg_iovlen);
			sent++;
			continue;
		}
		sent += (unsigned)r;
	}
	q->n = 0;
}

static void dp_tx_flush(struct dp_tx *tx)
{
	struct dp *dp = tx->w->dp;

	if (tx->udp.n)
		dp_tx_flush_q(tx, &tx->udp, dp->udp_fd, dp->gso_ok);
	if (tx->raw.n)
		dp_tx_flush_q(tx, &tx->raw, dp->raw_fd, false);
	tx->slot = 0;
}

/* Encapsulate the inner packet sitting at buf + ESP_HEADROOM and queue it. */
static void dp_tx_seal(struct dp_tx *tx, struct dp_sa *sa, uint8_t *buf, size_t len,
		       uint8_t version)
{
	struct dp *dp = tx->w->dp;
	struct esp_out out;
	struct dp_txq *q;
	result_t rc;

	rc = esp_encapsulate(sa->esp, buf, DP_BUF_LEN, len,
			     version == 4 ? ESP_NH_IPV4 : ESP_NH_IPV6, &out);
	if (rc != E_OK) {
		if (rc == E_ESP_SEQ_EXHAUSTED)
			dp_sa_flag_event(dp, sa, DP_EV_SA_EXHAUSTED);
		else if (rc == E_ESP_LIFETIME)
			dp_sa_flag_event(dp, sa, DP_EV_SA_HARD);
		DP_STAT_ADD(tx->w->st.drop_no_sa, 1);
		return;
	}
	if (out.soft_limit)
		dp_sa_flag_event(dp, sa, DP_EV_SA_SOFT);
	q = sa->esp->encap || dp->raw_fd < 0 ? &tx->udp : &tx->raw;
	q->e[q->n++] = (struct dp_txq_ent){buf + out.off, out.len, sa};
	DP_STAT_ADD(tx->w->st.tx_packets, 1);
	DP_STAT_ADD(tx->w->st.tx_bytes, len);
}

static struct dp_sa *dp_tx_route(struct dp_tx *tx, const struct addr *dst,
				 const struct dp_tunnel **tun)
{
	const struct route_entry *e = route_lookup(tx->st->routes, dst);

	if (!e) {
		DP_STAT_ADD(tx->w->st.drop_no_route, 1);
		return NULL;
	}
	/* equal-prefix paths in priority order: the first tunnel with an SA (failover) */
	for (unsigned i = 0; i < e->npaths; i++) {
		uint32_t h = e->paths[i].tunnel;

		if (h <= DP_MAX_TUNNELS && tx->st->out_sa[h] && tx->st->tunnels[h]) {
			*tun = tx->st->tunnels[h];
			return tx->st->out_sa[h];
		}
	}
	DP_STAT_ADD(tx->w->st.drop_no_sa, 1);
	return NULL;
}

/* Larger than the tunnel MTU: fragment before encryption (RFC 4459, guide 5.2) when DF is
 * clear, otherwise tell the sender (ICMP, back into the TUN). */
static void dp_tx_too_big(struct dp_tx *tx, struct dp_sa *sa, const struct dp_tunnel *t,
			  uint8_t *pkt, const struct inet_ip *ip)
{
	struct dp_worker *w = tx->w;
	bool last = false;

	if (ip->version == 4 && !ip->df) {
		for (unsigned idx = 0; !last && idx < DP_MAX_FRAGS; idx++) {
			uint8_t *fb = w->bufs + (size_t)tx->slot++ * DP_BUF_LEN;
			size_t flen;

			if (inet_ipv4_fragment(pkt, ip, sa->mtu, idx, fb + ESP_HEADROOM,
					       DP_BUF_LEN - ESP_HEADROOM - ESP_TAILROOM, &flen,
					       &last) != E_OK)
				break;
			dp_tx_seal(tx, sa, fb, flen, 4);
		}
		DP_STAT_ADD(w->st.fragmented, 1);
		return;
	}
	{
		uint8_t icmp[INET_VNET_HDR_LEN + 1400];
		size_t n, h = w->dp->offload ? INET_VNET_HDR_LEN : 0;
		/* From the destination: an error from one of the host's own addresses (our
		 * inside address) would be dropped as a martian, one from the far side passes
		 * reverse-path filtering through this TUN. */
		const struct addr *from = &ip->dst;

		(void)t;
		inet_vnet_put(icmp, 0);
		if (inet_icmp_too_big(pkt, ip, sa->mtu, from, icmp + h, sizeof(icmp) - h, &n) ==
			    E_OK &&
		    write(w->tun_fd, icmp, n + h) > 0)
			DP_STAT_ADD(w->st.icmp_frag_needed, 1);
	}
}

static void dp_tx_packet(struct dp_tx *tx, uint8_t *buf, size_t n)
{
	uint8_t *pkt = buf + ESP_HEADROOM;
	const struct dp_tunnel *t = NULL;
	struct dp_sa *sa;
	struct inet_ip ip;

	if (inet_ip_parse(pkt, n, &ip) != E_OK) {
		DP_STAT_ADD(tx->w->st.drop_bad, 1);
		return;
	}
	if (!(sa = dp_tx_route(tx, &ip.dst, &t)))
		return;
	/* guide 5.2: clamp the TCP MSS to the tunnel's value */
	if (inet_mss_clamp(pkt, &ip, ip.version == 4 ? sa->mss4 : sa->mss6))
		DP_STAT_ADD(tx->w->st.mss_clamped, 1);
	if (ip.total_len > sa->mtu) {
		dp_tx_too_big(tx, sa, t, pkt, &ip);
		return;
	}
	dp_tx_seal(tx, sa, buf, ip.total_len, ip.version);
}

/* A free slot with room for the packet's fragments; flushes the batch when full. */
static uint8_t *dp_tx_slot(struct dp_tx *tx)
{
	struct dp_worker *w = tx->w;

	if (tx->slot + 1 + DP_MAX_FRAGS > w->nslots)
		dp_tx_flush(tx);
	return w->bufs + (size_t)tx->slot++ * DP_BUF_LEN;
}

/* TUN offload: one read is a virtio_net_hdr and a packet, possibly a TCP super-packet that is
 * segmented here (gso_size payload per segment), each segment then takes the normal path. */
static void dp_tx_offload_packet(struct dp_tx *tx, uint8_t *raw, size_t n)
{
	struct dp_worker_stats *s = &tx->w->st;
	struct inet_vnet_hdr vh;
	struct inet_ip ip;
	uint8_t *pkt = raw + INET_VNET_HDR_LEN;
	size_t len;
	bool last = false;

	if (n < INET_VNET_HDR_LEN || inet_vnet_parse(raw, n, &vh) != E_OK) {
		DP_STAT_ADD(s->drop_bad, 1);
		return;
	}
	n -= INET_VNET_HDR_LEN;
	if (vh.gso_type == INET_VNET_GSO_NONE) {
		uint8_t *slot;

		if (((vh.flags & INET_VNET_F_NEEDS_CSUM) &&
		     inet_csum_complete(pkt, n, vh.csum_start, vh.csum_offset) != E_OK) ||
		    n > DP_BUF_LEN - ESP_HEADROOM - ESP_TAILROOM) {
			DP_STAT_ADD(s->drop_bad, 1);
			return;
		}
		slot = dp_tx_slot(tx);
		memcpy(slot + ESP_HEADROOM, pkt, n);
		dp_tx_packet(tx, slot, n);
		return;
	}
	if ((vh.gso_type != INET_VNET_GSO_TCPV4 && vh.gso_type != INET_VNET_GSO_TCPV6) ||
	    inet_ip_parse(pkt, n, &ip) != E_OK) {
		DP_STAT_ADD(s->drop_bad, 1);
		return;
	}
	for (unsigned idx = 0; !last; idx++) {
		uint8_t *slot = dp_tx_slot(tx);

		if (inet_tcp_segment(pkt, &ip, vh.gso_size, idx, slot + ESP_HEADROOM,
				     DP_BUF_LEN - ESP_HEADROOM - ESP_TAILROOM, &len, &last) != E_OK) {
			DP_STAT_ADD(s->drop_bad, 1);
			return;
		}
		dp_tx_packet(tx, slot, len);
	}
}

static void dp_tx_batch_offload(struct dp_tx *tx)
{
	struct dp_worker *w = tx->w;

	tx->slot = 0;
	for (unsigned reads = 0; reads < DP_BATCH; reads++) {
		ssize_t n = read(w->tun_fd, w->big, DP_TSO_BUF_LEN);

		DP_STAT_ADD(w->st.tx_syscalls, 1);
		if (n <= 0)
			break;
		dp_tx_offload_packet(tx, w->big, (size_t)n);
	}
	dp_tx_flush(tx);
}

static void dp_tx_batch(struct dp_tx *tx)
{
	struct dp_worker *w = tx->w;
	unsigned reads = 0;

	tx->slot = 0;
	while (reads < DP_BATCH && tx->slot + 1 + DP_MAX_FRAGS <= 2 * DP_BATCH) {
		uint8_t *buf = w->bufs + (size_t)tx->slot * DP_BUF_LEN;
		ssize_t n = read(w->tun_fd, buf + ESP_HEADROOM,
				 DP_BUF_LEN - ESP_HEADROOM - ESP_TAILROOM);

		DP_STAT_ADD(w->st.tx_syscalls, 1);
		if (n <= 0)
			break;
		tx->slot++;
		reads++;
		dp_tx_packet(tx, buf, (size_t)n);
	}
	dp_tx_flush(tx);
}

void *dp_tx_main(void *arg)
{
	struct dp_tx tx = {.w = arg, .rl = LOG_RATELIMIT_INIT(1, 5)};
	struct dp *dp = tx.w->dp;

	while (!atomic_load_explicit(&dp->stop, memory_order_relaxed)) {
		struct pollfd pfd = {tx.w->tun_fd, POLLIN, 0};

		/* quiescent: no snapshot held across the wait */
		dp_worker_quiescent(tx.w);
		if (poll(&pfd, 1, DP_POLL_MS) <= 0)
			continue;
		tx.st = dp_worker_state(tx.w);
		if (dp->offload)
			dp_tx_batch_offload(&tx);
		else
			dp_tx_batch(&tx);
	}
	return NULL;
}
