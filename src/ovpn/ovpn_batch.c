/*
 * ovpn_batch.c - system-call batching on the data path: UDP datagrams come in by recvmmsg, and
 * the packets a TUN burst produces go out together at its end: UDP by sendmmsg, with UDP GSO
 * (UDP_SEGMENT, Linux 4.18) for runs of equal-size datagrams to one client, so a bulk transfer
 * crosses the kernel's UDP/IP output path once per run instead of once per packet; TCP by one
 * send per connection.
 *
 * The kernel does the splitting: every segment of a GSO message but the last has the segment
 * size, the last may be shorter (udp(7)). Datagrams on the wire are exactly those a sendto per
 * packet would have produced, in the same order.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "ovpn/ovpn_int.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define OVPN_GSO_MAX_BYTES 65000 /* below the 65507-octet UDP payload limit */

/* --- socket ------------------------------------------------------------------------------- */

void ovpn_udp_buffers(int fd)
{
	int want = OVPN_UDP_SOCKBUF;

	/* FORCE goes past net.core.[rw]mem_max (CAP_NET_ADMIN, which the TUN needs anyway). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/* --- receive ------------------------------------------------------------------------------ */

size_t ovpn_rxq_recv(struct ovpn_server *srv, size_t len[OVPN_BATCH], socklen_t salen[OVPN_BATCH])
{
	struct mmsghdr mm[OVPN_BATCH];
	struct iovec iov[OVPN_BATCH];

	memset(mm, 0, sizeof(mm));
	for (size_t i = 0; i < OVPN_BATCH; i++) {
		iov[i] = (struct iovec){srv->rxq[i], sizeof(srv->rxq[i])};
		mm[i].msg_hdr.msg_name = &srv->rxq_sa[i];
		mm[i].msg_hdr.msg_namelen = sizeof(srv->rxq_sa[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	int got = recvmmsg(srv->udp_fd, mm, OVPN_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < got; i++) {
		/* Larger than a slot, so larger than any packet of this tun_mtu: length 0, dropped.
		 */
		len[i] = (mm[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : mm[i].msg_len;
		salen[i] = mm[i].msg_hdr.msg_namelen;
	}
	return got > 0 ? (size_t)got : 0;
}

/* --- UDP send queue ----------------------------------------------------------------------- */

static bool ovpn_txq_same_dst(const struct ovpn_txq *q, unsigned a, unsigned b)
{
	return q->salen[a] == q->salen[b] && memcmp(&q->sa[a], &q->sa[b], q->salen[a]) == 0;
}

/* Datagrams i..j-1 with one destination and size, at most OVPN_GSO_MAX_BYTES: one message. */
static unsigned ovpn_txq_run(const struct ovpn_server *srv, unsigned i)
{
	const struct ovpn_txq *q = &srv->txq;
	size_t size = q->len[i], total = size;
	unsigned j = i + 1;

	if (srv->udp_gso == OVPN_GSO_OFF)
		return j;
	while (j < q->n && q->len[j - 1] == size && q->len[j] <= size &&
	       total + q->len[j] <= OVPN_GSO_MAX_BYTES && ovpn_txq_same_dst(q, i, j))
		total += q->len[j++];
	return j;
}

/* The kernel refused a GSO message as such (no UDP_SEGMENT, no checksum offload on the
 * route): send its datagrams one by one, and never try GSO again. */
static void ovpn_txq_gso_refused(struct ovpn_server *srv, const struct msghdr *m)
{
	if (srv->udp_gso != OVPN_GSO_OFF)
		log_info("ovpn", "UDP GSO unavailable (%s): one datagram per message",
		         strerror(errno));
	srv->udp_gso = OVPN_GSO_OFF;
	for (size_t k = 0; k < m->msg_iovlen; k++)
		(void)sendto(srv->udp_fd, m->msg_iov[k].iov_base, m->msg_iov[k].iov_len, 0,
		             m->msg_name, m->msg_namelen);
}

static void ovpn_txq_send(struct ovpn_server *srv, struct mmsghdr *mm, unsigned nm)
{
	unsigned sent = 0;

	while (sent < nm) {
		int r = sendmmsg(srv->udp_fd, mm + sent, nm - sent, 0);
		if (r > 0) {
			sent += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		struct msghdr *m = &mm[sent].msg_hdr;
		if (m->msg_controllen && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT ||
		                          errno == EOPNOTSUPP))
			ovpn_txq_gso_refused(srv, m);
		/* else EAGAIN / ENOBUFS: the message is dropped, as a sendto would drop it */
		sent++;
	}
	if (srv->udp_gso == OVPN_GSO_UNKNOWN)
		srv->udp_gso = OVPN_GSO_ON;
}

static void ovpn_txq_flush_udp(struct ovpn_server *srv)
{
	struct ovpn_txq *q = &srv->txq;
	struct mmsghdr mm[OVPN_BATCH];
	struct iovec iov[OVPN_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm[OVPN_BATCH];
	unsigned nm = 0;

	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < q->n; i++)
		iov[i] = (struct iovec){q->buf[i], q->len[i]};
	for (unsigned i = 0, j; i < q->n; i = j, nm++) {
		struct msghdr *m = &mm[nm].msg_hdr;
		j = ovpn_txq_run(srv, i);
		m->msg_name = &q->sa[i];
		m->msg_namelen = q->salen[i];
		m->msg_iov = &iov[i];
		m->msg_iovlen = j - i;
		if (j - i > 1) {
			uint16_t seg = (uint16_t)q->len[i];
			m->msg_control = cm[nm].buf;
			m->msg_controllen = sizeof(cm[nm].buf);
			struct cmsghdr *c = CMSG_FIRSTHDR(m);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
	}
	ovpn_txq_send(srv, mm, nm);
	q->n = 0;
}

bool ovpn_txq_add(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                  const uint8_t *p, size_t n)
{
	struct ovpn_txq *q = &srv->txq;

	if (q->n == OVPN_BATCH || n > OVPN_BATCH_SLOT || salen > sizeof(q->sa[0]))
		ovpn_txq_flush_udp(srv); /* what is queued goes first: the order is kept */
	if (n > OVPN_BATCH_SLOT || salen > sizeof(q->sa[0]))
		return false;
	memcpy(q->buf[q->n], p, n);
	q->len[q->n] = n;
	memcpy(&q->sa[q->n], sa, salen);
	q->salen[q->n] = salen;
	q->n++;
	return true;
}

/* --- TCP ---------------------------------------------------------------------------------- */

void ovpn_txq_tcp_add(struct ovpn_tcp_conn *conn, const uint8_t *p, size_t n, size_t max)
{
	/* With bytes already waiting the socket is full and EPOLLOUT armed: its callback sends
	 * these too. Otherwise this burst sends them at its end. */
	if (conn->tx.len == 0)
		conn->tx_batched = true;
	if (conn->tx.len + n > max)
		return; /* peer not reading: drop, TCP-level back-pressure */
	wbuf_put_bytes(&conn->tx, p, n);
}

static void ovpn_txq_flush_tcp(struct ovpn_tcp_conn *conn)
{
	size_t off = 0;

	conn->tx_batched = false;
	while (off < conn->tx.len) {
		ssize_t k = send(conn->fd, conn->tx.data + off, conn->tx.len - off, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn->tx.len = 0; /* the read side sees the error and closes */
				return;
			}
			break;
		}
		off += (size_t)k;
	}
	memmove(conn->tx.data, conn->tx.data + off, conn->tx.len - off);
	conn->tx.len -= off;
	if (conn->tx.len && ev_io_modify(conn->srv->loop, &conn->io, EPOLLIN | EPOLLOUT) != E_OK)
		log_warn("ovpn", "cannot watch TCP connection for writing");
}

/* --- burst -------------------------------------------------------------------------------- */

void ovpn_txq_begin(struct ovpn_server *srv)
{
	srv->txq.on = true;
}

void ovpn_txq_end(struct ovpn_server *srv)
{
	srv->txq.on = false;
	if (srv->txq.n)
		ovpn_txq_flush_udp(srv);
	for (struct ovpn_tcp_conn *conn = srv->conns; conn; conn = conn->next) {
		if (conn->tx_batched)
			ovpn_txq_flush_tcp(conn);
	}
}
