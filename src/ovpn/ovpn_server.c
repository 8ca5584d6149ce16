/*
 * ovpn_server.c - the endpoint: config, sockets (UDP, TCP), the stateless HMAC-cookie 3-way
 * handshake, packet dispatch, the TUN device and forwarding by inner destination address.
 *
 *   client                                   server
 *   HARD_RESET_CLIENT_V2 (sid_c, msg 0)  ->  no state; sid_s = HMAC(key, slot|addr|port|sid_c)
 *                                        <-  HARD_RESET_SERVER_V2 (sid_s, ack 0, msg 0)
 *   P_ACK_V1 / P_CONTROL_V1 (ack 0, sid_s) -> cookie verified for slot, slot-1, slot-2:
 *                                            only now is a client allocated
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/clock.h"
#include "ovpn/ovpn_int.h"
#include "tun/tun.h"

#define OVPN_UDP_BURST 64
#define OVPN_TCP_TX_MAX (1024 * 1024)

void ovpn_config_defaults(struct ovpn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->proto = OVPN_PROTO_UDP;
	cfg->listen_addr.family = AF_INET;
	cfg->port = 1194;
	snprintf(cfg->ciphers, sizeof(cfg->ciphers), "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305");
	cfg->reneg_sec = 3600;
	cfg->ping_sec = 10;
	cfg->ping_restart_sec = 120;
	cfg->hand_window_sec = 60;
	cfg->tran_window_sec = 60;
	cfg->tun_mtu = 1500;
	cfg->max_clients = 1024;
}

/* --- sending ----------------------------------------------------------------------------- */

static void ovpn_tcp_conn_close(struct ovpn_tcp_conn *conn);

static void ovpn_tcp_send(struct ovpn_tcp_conn *conn, const uint8_t *p, size_t n)
{
	if (conn->tx.len == 0) {
		ssize_t k = send(conn->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return; /* the read side sees the error and closes */
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		}
		if (n == 0)
			return;
	}
	if (conn->tx.len + n > OVPN_TCP_TX_MAX)
		return; /* peer not reading: drop, TCP-level back-pressure */
	wbuf_put_bytes(&conn->tx, p, n);
	if (wbuf_result(&conn->tx) == E_OK &&
	    ev_io_modify(conn->srv->loop, &conn->io, EPOLLIN | EPOLLOUT) != E_OK)
		log_warn("ovpn", "cannot watch TCP connection for writing");
}

/* Put one packet built after 2 octets of headroom on the wire: tls-crypt wrapping for control
 * packets when configured, the 16-bit length on TCP. */
static void ovpn_xmit(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                      struct ovpn_tcp_conn *conn, struct wbuf *w)
{
	struct wbuf o;
	uint8_t opcode, key_id;

	if (wbuf_result(w) != E_OK || w->len <= 2)
		return;
	ovpn_pkt_op_split(w->data[2], &opcode, &key_id);
	if (srv->tc_on && !ovpn_pkt_is_data(opcode)) {
		wbuf_init(&o, srv->wrapbuf, sizeof(srv->wrapbuf));
		wbuf_put_u16(&o, 0);
		if (ovpn_tls_crypt_wrap(&srv->tc, w->data + 2, w->len - 2, ++srv->tc_pid,
		                        srv->tc_time, &o) != E_OK)
			return;
		w = &o;
	}
	if (conn) {
		wbuf_fill_u16(w, 0, (uint16_t)(w->len - 2));
		if (srv->txq.on)
			ovpn_txq_tcp_add(conn, w->data, w->len, OVPN_TCP_TX_MAX);
		else
			ovpn_tcp_send(conn, w->data, w->len);
	} else if (srv->udp_fd >= 0) {
		if (srv->txq.on && ovpn_txq_add(srv, sa, salen, w->data + 2, w->len - 2))
			return;
		(void)sendto(srv->udp_fd, w->data + 2, w->len - 2, 0, sa, salen);
	}
}

void ovpn_server_send(struct ovpn_server *srv, struct ovpn_client *c, struct wbuf *w)
{
	if (srv->cfg.proto == OVPN_PROTO_TCP && !c->conn)
		return;
	ovpn_xmit(srv, (struct sockaddr *)&c->sa, c->salen, c->conn, w);
}

/* Answer a client reset without creating any state. */
static void ovpn_reset_reply(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                             struct ovpn_tcp_conn *conn, const struct ovpn_ctl *p)
{
	struct ovpn_ctl r = {
	    .opcode = OVPN_P_CONTROL_HARD_RESET_SERVER_V2,
	    .n_acks = 1,
	    .acks = {p->msg_id},
	    .remote_sid = p->sid,
	    .msg_id = 0,
	};
	struct wbuf w;

	/* reflect_filter: bound what a spoofed source can make us send, with a bucket of its
	 * own (initial packets only, like OpenVPN's), so dropped junk cannot use up the answers
	 * new clients need; checked before the HMAC is computed. */
	if (!log_ratelimit_ok(&srv->reset_rl))
		return;
	r.sid = ovpn_cookie_make(&srv->cookie, sa, p->sid, clock_mono_ms());
	wbuf_init(&w, srv->txbuf, sizeof(srv->txbuf));
	wbuf_put_u16(&w, 0);
	ovpn_ctl_build(&w, &r);
	ovpn_xmit(srv, sa, salen, conn, &w);
}

/* --- client table ------------------------------------------------------------------------ */

static bool ovpn_sa_equal(const struct sockaddr_storage *a, socklen_t al, const struct sockaddr *b,
                          socklen_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static struct ovpn_client *ovpn_client_by_sa(struct ovpn_server *srv, const struct sockaddr *sa,
                                             socklen_t salen)
{
	for (unsigned i = 0; i < srv->cfg.max_clients; i++) {
		struct ovpn_client *c = srv->by_peer[i];
		if (c && !c->dead && ovpn_sa_equal(&c->sa, c->salen, sa, salen))
			return c;
	}
	return NULL;
}

/* A session gets its peer-id when its handshake starts (it indexes the session table); its
 * address only once it is authenticated (ovpn_server_addr_take). */
static RESULT ovpn_client_register(struct ovpn_server *srv, struct ovpn_client *c)
{
	unsigned pid = 0;

	while (pid < srv->cfg.max_clients && srv->by_peer[pid])
		pid++;
	if (pid >= srv->cfg.max_clients)
		return E_OVPN_POOL;
	srv->by_peer[pid] = c;
	c->info.peer_id = pid;
	return E_OK;
}

RESULT ovpn_server_addr_take(struct ovpn_server *srv, struct ovpn_client *c)
{
	unsigned ip;

	if (c->pool_idx && c->pool_idx < srv->pool_size && srv->by_ip[c->pool_idx] == c)
		return E_OK;
	/* Host addresses only: not the network, not the server (.1), not the broadcast. */
	for (ip = 2; ip + 1 < srv->pool_size && srv->by_ip[ip]; ip++)
		;
	if (ip + 1 >= srv->pool_size)
		return E_OVPN_POOL;
	srv->by_ip[ip] = c;
	c->pool_idx = ip;
	addr_from_v4(&c->info.vpn_addr, srv->pool_base + ip);
	return E_OK;
}

void ovpn_server_client_gone(struct ovpn_server *srv, struct ovpn_client *c)
{
	if (c->info.peer_id < srv->cfg.max_clients && srv->by_peer[c->info.peer_id] == c)
		srv->by_peer[c->info.peer_id] = NULL;
	if (c->pool_idx < srv->pool_size && srv->by_ip[c->pool_idx] == c)
		srv->by_ip[c->pool_idx] = NULL;
	/* The one place a connected client is announced gone: after it left the tables (its
	 * peer-id and address are free again only now), never during ovpn_server_free(). */
	if (c->pushed && !srv->closing && srv->cfg.hooks.disconnected)
		srv->cfg.hooks.disconnected(srv->cfg.hooks.arg, &c->info, c->dead_reason);
	if (c->conn) {
		c->conn->client = NULL;
		ovpn_tcp_conn_close(c->conn);
		c->conn = NULL;
	}
}

static void ovpn_client_accept(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                               struct ovpn_tcp_conn *conn, const struct ovpn_ctl *p,
                               uint32_t tc_pid, uint32_t tc_time)
{
	struct ovpn_client *c = NULL,
	                   *old = conn ? conn->client : ovpn_client_by_sa(srv, sa, salen);

	if (ovpn_cookie_verify(&srv->cookie, sa, p, clock_mono_ms()) != E_OK) {
		if (log_ratelimit_ok(&srv->rl))
			log_debug("ovpn", "dropped packet with invalid handshake cookie");
		return;
	}
	/* A new session from the address of an old one replaces it. On TCP the connection now
	 * belongs to the new session: the old one must not close it when it is freed. */
	if (old) {
		if (conn && old->conn == conn)
			old->conn = NULL;
		ovpn_client_kill(old, "replaced by a new session");
	}
	if (ovpn_client_new(srv, sa, salen, conn, p->remote_sid, p->sid, &c) != E_OK)
		return;
	if (ovpn_client_register(srv, c) != E_OK) {
		log_warn("ovpn", "client refused: %s", err_msg(E_OVPN_POOL));
		ovpn_client_free(c);
		return;
	}
	if (conn)
		conn->client = c;
	if (srv->tc_on && !ovpn_client_tc_fresh(c, tc_pid, tc_time))
		return;
	ovpn_client_ctl_input(c, p);
}

/* --- packet dispatch --------------------------------------------------------------------- */

/* DATA_V2 finds its client by peer-id, so a UDP client whose address changed (NAT rebinding)
 * keeps its session: once a packet from the new address authenticates, replies go there
 * ("float"; the replay window keeps a captured packet from moving the client). */
static void ovpn_server_data(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                             struct ovpn_tcp_conn *conn, const uint8_t *pkt, size_t n)
{
	struct ovpn_data_hdr h;
	struct ovpn_client *c;

	if (conn) {
		/* Failures are counted and logged (rate-limited) by the client. */
		result_t rc = conn->client ? ovpn_client_data_input(conn->client, pkt, n) : E_OK;
		(void)rc;
		return;
	}
	if (ovpn_data_hdr_parse(pkt, n, &h) != E_OK)
		return;
	if (h.opcode == OVPN_P_DATA_V2 && h.peer_id < srv->cfg.max_clients)
		c = srv->by_peer[h.peer_id];
	else
		c = ovpn_client_by_sa(srv, sa, salen);
	if (!c || c->dead)
		return;
	bool moved = !ovpn_sa_equal(&c->sa, c->salen, sa, salen);
	if (ovpn_client_data_input(c, pkt, n) == E_OK && moved && !c->dead) {
		char a[ADDR_STRLEN];
		memcpy(&c->sa, sa, salen);
		c->salen = salen;
		if (addr_from_sockaddr(sa, &c->info.remote_addr, &c->info.remote_port) == E_OK) {
			addr_format(&c->info.remote_addr, a);
			log_info("ovpn", "peer %u CN=%s: floated to %s port %u", c->info.peer_id,
			         c->info.common_name, a, c->info.remote_port);
		}
	}
}

static void ovpn_server_packet(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                               struct ovpn_tcp_conn *conn, const uint8_t *pkt, size_t n)
{
	struct ovpn_ctl p;
	uint8_t opcode = 0, key_id;
	uint32_t tc_pid = 0, tc_time = 0;
	struct wbuf u;
	result_t rc;

	if (n == 0)
		return;
	ovpn_pkt_op_split(pkt[0], &opcode, &key_id);
	if (ovpn_pkt_is_data(opcode)) {
		ovpn_server_data(srv, sa, salen, conn, pkt, n);
		return;
	}
	/* tls-crypt: authenticate before anything else looks at the packet. */
	if (srv->tc_on) {
		wbuf_init(&u, srv->ubuf, sizeof(srv->ubuf));
		rc = ovpn_tls_crypt_unwrap(&srv->tc, pkt, n, &u, &tc_pid, &tc_time);
		if (rc != E_OK) {
			if (log_ratelimit_ok(&srv->rl))
				log_debug("ovpn", "dropped control packet: %s", err_msg(rc));
			return;
		}
		pkt = u.data;
		n = u.len;
	}
	rc = ovpn_ctl_parse(pkt, n, &p);
	if (rc != E_OK) {
		if (log_ratelimit_ok(&srv->rl))
			log_debug("ovpn", "dropped control packet: %s", err_msg(rc));
		return;
	}
	struct ovpn_client *c = conn ? conn->client : ovpn_client_by_sa(srv, sa, salen);
	/* The session's own packets first, its reset too: a copy of it (late, or replayed by
	 * anyone who can send from the client's address) must not get a fresh stateless answer,
	 * whose new server session id (the cookie of a later time slot) the stock client takes
	 * for a new session, ending this one (ovpn_storm.sh). The session ignores it. */
	if (c && c->sid_remote == p.sid) {
		if (!srv->tc_on || ovpn_client_tc_fresh(c, tc_pid, tc_time))
			ovpn_client_ctl_input(c, &p);
		return;
	}
	if (p.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2) {
		/* openvpn-protocol.md 9.1: key_id must be 0 on the first packet. */
		if (p.key_id == 0 && p.msg_id == 0 && p.n_acks == 0)
			ovpn_reset_reply(srv, sa, salen, conn, &p);
		return;
	}
	ovpn_client_accept(srv, sa, salen, conn, &p, tc_pid, tc_time);
}

static void ovpn_gro_flush(struct ovpn_server *srv);

/* A tun_mtu too large for the batch slots: one recvfrom per datagram into rxbuf. */
static void ovpn_udp_read_one_by_one(struct ovpn_server *srv)
{
	struct sockaddr_storage sa;

	for (int i = 0; i < OVPN_UDP_BURST; i++) {
		socklen_t salen = sizeof(sa);
		ssize_t n = recvfrom(srv->udp_fd, srv->rxbuf, sizeof(srv->rxbuf), 0,
		                     (struct sockaddr *)&sa, &salen);
		if (n < 0)
			return;
		ovpn_server_packet(srv, (struct sockaddr *)&sa, salen, NULL, srv->rxbuf, (size_t)n);
	}
}

static void ovpn_udp_cb(struct ev_io *io, uint32_t revents)
{
	struct ovpn_server *srv = io->arg;
	size_t len[OVPN_BATCH];
	socklen_t salen[OVPN_BATCH];

	(void)revents;
	/* Room for the largest data packet: tun_mtu + header, packet-id, tag (and slack). */
	if ((size_t)srv->cfg.tun_mtu + 256 > OVPN_BATCH_SLOT) {
		ovpn_udp_read_one_by_one(srv);
		return;
	}
	for (int round = 0; round < OVPN_UDP_BURST / OVPN_BATCH; round++) {
		size_t got = ovpn_rxq_recv(srv, len, salen);
		srv->gro.on = srv->tun_vnet;
		for (size_t i = 0; i < got; i++) {
			if (len[i] > 0)
				ovpn_server_packet(srv, (struct sockaddr *)&srv->rxq_sa[i],
				                   salen[i], NULL, srv->rxq[i], len[i]);
		}
		srv->gro.on = false;
		ovpn_gro_flush(srv);
		if (got < OVPN_BATCH)
			return;
	}
}

/* --- TCP --------------------------------------------------------------------------------- */

static void ovpn_tcp_conn_close(struct ovpn_tcp_conn *conn)
{
	struct ovpn_server *srv = conn->srv;

	if (conn->client) {
		conn->client->conn = NULL;
		ovpn_client_kill(conn->client, "TCP connection closed");
	}
	for (struct ovpn_tcp_conn **pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	}
	ev_io_del(srv->loop, &conn->io);
	close(conn->fd);
	wbuf_free(&conn->tx);
	free(conn);
}

static bool ovpn_tcp_flush_tx(struct ovpn_tcp_conn *conn)
{
	while (conn->tx.len > 0) {
		ssize_t k = send(conn->fd, conn->tx.data, conn->tx.len, MSG_NOSIGNAL);
		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		memmove(conn->tx.data, conn->tx.data + k, conn->tx.len - (size_t)k);
		conn->tx.len -= (size_t)k;
	}
	return ev_io_modify(conn->srv->loop, &conn->io, EPOLLIN) == E_OK;
}

/* Split the byte stream into packets; false when the stream is broken. */
static bool ovpn_tcp_frames(struct ovpn_tcp_conn *conn)
{
	struct rbuf stream, pkt;
	result_t rc;

	struct ovpn_server *srv = conn->srv;

	rbuf_init(&stream, conn->rx, conn->rx_len);
	srv->gro.on = srv->tun_vnet; /* one TUN super-packet per run of segments */
	while ((rc = ovpn_tcp_frame_next(&stream, &pkt)) == E_OK) {
		ovpn_server_packet(conn->srv, (struct sockaddr *)&conn->sa, conn->salen, conn,
		                   rbuf_cur(&pkt), rbuf_remaining(&pkt));
	}
	srv->gro.on = false;
	ovpn_gro_flush(srv);
	size_t used = rbuf_offset(&stream);
	memmove(conn->rx, conn->rx + used, conn->rx_len - used);
	conn->rx_len -= used;
	return rc == E_AGAIN;
}

static void ovpn_tcp_conn_cb(struct ev_io *io, uint32_t revents)
{
	struct ovpn_tcp_conn *conn = io->arg;

	if ((revents & EPOLLOUT) && !ovpn_tcp_flush_tx(conn)) {
		ovpn_tcp_conn_close(conn);
		return;
	}
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = recv(conn->fd, conn->rx + conn->rx_len, sizeof(conn->rx) - conn->rx_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0 || (conn->rx_len += (size_t)n, !ovpn_tcp_frames(conn)))
		ovpn_tcp_conn_close(conn);
}

/* A connection that has not completed the 3-way handshake has no session, only a descriptor
 * and a receive buffer: it is closed after hand-window (as OpenVPN's hand-window ends a TCP
 * instance) and at most max_clients of them stay open, the oldest closed first. Checked at
 * each accept, which is when they pile up. */
static void ovpn_tcp_conns_trim(struct ovpn_server *srv, uint64_t now)
{
	uint64_t window = (uint64_t)srv->cfg.hand_window_sec * 1000;
	struct ovpn_tcp_conn *oldest = NULL, *next;
	unsigned n = 0;

	for (struct ovpn_tcp_conn *c = srv->conns; c; c = next) {
		next = c->next;
		if (c->client)
			continue;
		if (now - c->opened_ms > window) {
			ovpn_tcp_conn_close(c);
			continue;
		}
		n++;
		oldest = c; /* the list is newest first */
	}
	if (oldest && n >= srv->cfg.max_clients)
		ovpn_tcp_conn_close(oldest);
}

static void ovpn_accept_resume(struct ev_timer *t)
{
	struct ovpn_server *srv = t->arg;

	if (ev_io_modify(srv->loop, &srv->tcp_io, EPOLLIN) != E_OK)
		log_err("ovpn", "cannot listen for TCP connections again");
}

static void ovpn_tcp_accept_cb(struct ev_io *io, uint32_t revents)
{
	struct ovpn_server *srv = io->arg;
	struct ovpn_tcp_conn *conn;

	(void)revents;
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int fd = accept4(srv->tcp_fd, (struct sockaddr *)&sa, &salen,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors or memory: the connection stays queued and the
			 * socket readable, so stop listening for a while instead of spinning. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (log_ratelimit_ok(&srv->rl))
					log_warn("ovpn", "accept: %s: not accepting for %u ms",
					         strerror(errno), OVPN_ACCEPT_PAUSE_MS);
				if (ev_io_modify(srv->loop, &srv->tcp_io, 0) == E_OK)
					ev_timer_arm(srv->loop, &srv->accept_pause,
					             OVPN_ACCEPT_PAUSE_MS);
			}
			return;
		}
		ovpn_tcp_conns_trim(srv, clock_mono_ms());
		conn = calloc(1, sizeof(*conn));
		if (!conn) {
			close(fd);
			continue;
		}
		conn->srv = srv;
		conn->fd = fd;
		conn->opened_ms = clock_mono_ms();
		memcpy(&conn->sa, &sa, salen);
		conn->salen = salen;
		wbuf_init_dyn(&conn->tx, 4096, OVPN_TCP_TX_MAX + OVPN_PKT_MAX);
		ev_io_init(&conn->io, fd, EPOLLIN, ovpn_tcp_conn_cb, conn);
		if (ev_io_add(srv->loop, &conn->io) != E_OK) {
			wbuf_free(&conn->tx);
			close(fd);
			free(conn);
			continue;
		}
		conn->next = srv->conns;
		srv->conns = conn;
	}
}

/* --- TUN --------------------------------------------------------------------------------- */

/* One packet (or super-packet) to the TUN, behind its vnet header when the TUN has them. */
static void ovpn_tun_put(struct ovpn_server *srv, const uint8_t vh[INET_VNET_HDR_LEN],
                         const uint8_t *pkt, size_t n)
{
	struct iovec iov[2] = {{(void *)vh, INET_VNET_HDR_LEN}, {(void *)pkt, n}};
	ssize_t k = srv->tun_vnet ? writev(srv->tun_fd, iov, 2) : write(srv->tun_fd, pkt, n);

	if (k < 0 && log_ratelimit_ok(&srv->rl))
		log_warn("ovpn", "TUN write failed: %s", strerror(errno));
}

static void ovpn_gro_flush(struct ovpn_server *srv)
{
	size_t n = inet_gro_finish(&srv->gro.g);

	if (n)
		ovpn_tun_put(srv, srv->gro.buf, srv->gro.buf + INET_VNET_HDR_LEN,
		             n - INET_VNET_HDR_LEN);
}

void ovpn_server_tun_write(struct ovpn_server *srv, const uint8_t *pkt, size_t n)
{
	uint8_t plain[INET_VNET_HDR_LEN];
	struct inet_ip ip;

	/* During a UDP batch, TCP segments of one flow become one super-packet (inet_gro_add);
	 * anything else first flushes it, so the order within a flow is kept. */
	if (srv->gro.on) {
		bool parsed = inet_ip_parse(pkt, n, &ip) == E_OK;

		if (parsed && inet_gro_add(&srv->gro.g, pkt, &ip))
			return;
		ovpn_gro_flush(srv);
		if (parsed && inet_gro_add(&srv->gro.g, pkt, &ip))
			return;
	}
	inet_vnet_put(plain, 0);
	ovpn_tun_put(srv, plain, pkt, n);
}

/* Inner packet for a client: by its IPv4 destination in the client pool. */
static void ovpn_tun_route(void *arg, const uint8_t *pkt, size_t n)
{
	struct ovpn_server *srv = arg;
	struct rbuf r;
	uint8_t vihl;
	uint32_t dst;

	rbuf_init(&r, pkt, n);
	if (rbuf_get_u8(&r, &vihl) != E_OK || (vihl >> 4) != 4 || rbuf_skip(&r, 15) != E_OK ||
	    rbuf_get_u32(&r, &dst) != E_OK)
		return;
	uint32_t idx = dst - srv->pool_base;
	if (dst < srv->pool_base || idx >= srv->pool_size || !srv->by_ip[idx])
		return;
	ovpn_client_data_send(srv->by_ip[idx], pkt, n);
}

/* A packet read from a TUN with offloads, after its vnet header: its checksum completed
 * (NEEDS_CSUM, CHECKSUM_PARTIAL) or, a TCP super-packet (GSO), cut into segments of gso_size
 * payload octets as the kernel's tcp_gso_segment would (inet_tcp_segment), one at a time in
 * srv->segbuf. */
static RESULT ovpn_tun_offload(struct ovpn_server *srv, const struct inet_vnet_hdr *vh,
                               uint8_t *pkt, size_t n)
{
	uint8_t type = vh->gso_type & (uint8_t)~INET_VNET_GSO_ECN;
	struct inet_ip ip;
	size_t len;
	bool last = false;

	if (type == INET_VNET_GSO_NONE) {
		if (vh->flags & INET_VNET_F_NEEDS_CSUM)
			GUARD(inet_csum_complete(pkt, n, vh->csum_start, vh->csum_offset));
		ovpn_tun_route(srv, pkt, n);
		return E_OK;
	}
	if (type != INET_VNET_GSO_TCPV4 && type != INET_VNET_GSO_TCPV6)
		return E_INVAL;
	GUARD(inet_ip_parse(pkt, n, &ip));
	for (unsigned idx = 0; !last; idx++) {
		GUARD(inet_tcp_segment(pkt, &ip, vh->gso_size, idx, srv->segbuf,
		                       sizeof(srv->segbuf), &len, &last));
		ovpn_tun_route(srv, srv->segbuf, len);
	}
	return E_OK;
}

static void ovpn_tun_input(struct ovpn_server *srv, uint8_t *buf, size_t n)
{
	struct inet_vnet_hdr vh;
	result_t rc;

	if (!srv->tun_vnet) {
		ovpn_tun_route(srv, buf, n);
		return;
	}
	if (inet_vnet_parse(buf, n, &vh) != E_OK)
		return;
	rc = ovpn_tun_offload(srv, &vh, buf + INET_VNET_HDR_LEN, n - INET_VNET_HDR_LEN);
	if (rc != E_OK && log_ratelimit_ok(&srv->rl))
		log_debug("ovpn", "TUN packet dropped (offload type %u): %s", vh.gso_type,
		          err_msg(rc));
}

static void ovpn_tun_cb(struct ev_io *io, uint32_t revents)
{
	struct ovpn_server *srv = io->arg;

	(void)revents;
	/* The packets of one burst leave together (ovpn_batch.c). */
	ovpn_txq_begin(srv);
	for (int i = 0; i < OVPN_UDP_BURST; i++) {
		ssize_t n = read(srv->tun_fd, srv->rxbuf, sizeof(srv->rxbuf));
		if (n <= 0)
			break;
		ovpn_tun_input(srv, srv->rxbuf, (size_t)n);
	}
	ovpn_txq_end(srv);
}

/* --- lifecycle --------------------------------------------------------------------------- */

static RESULT ovpn_server_pool(struct ovpn_server *srv)
{
	const struct prefix *p = &srv->cfg.client_cidr;

	/* AWS client CIDRs are /22../12; allow /12../29 here (IPv4 only). */
	if (p->addr.family != AF_INET || p->len < 12 || p->len > 29) {
		log_err("ovpn", "client CIDR must be an IPv4 prefix /12 to /29");
		return E_INVAL;
	}
	srv->pool_base = addr_v4(&p->addr) & (0xFFFFFFFFu << (32 - p->len));
	srv->pool_size = 1u << (32 - p->len);
	srv->server_ip = srv->pool_base + 1;
	srv->by_ip = calloc(srv->pool_size, sizeof(*srv->by_ip));
	srv->by_peer = calloc(srv->cfg.max_clients, sizeof(*srv->by_peer));
	return srv->by_ip && srv->by_peer ? E_OK : E_NOMEM;
}

static RESULT ovpn_server_socket(struct ovpn_server *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, type = srv->cfg.proto == OVPN_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	addr_to_sockaddr(&srv->cfg.listen_addr, srv->cfg.port, &ss, &sl);
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return E_SYSTEM;
	/* TCP: rebind over TIME_WAIT after a restart. Not UDP: there it would let a second
	 * server bind the same address and port and share its packets. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		log_err("ovpn", "cannot bind port %u: %s", srv->cfg.port, strerror(errno));
		close(fd);
		return E_SYSTEM;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port =
		    ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (type == SOCK_STREAM) {
		srv->tcp_fd = fd;
		ev_io_init(&srv->tcp_io, fd, EPOLLIN, ovpn_tcp_accept_cb, srv);
		ev_timer_init(&srv->accept_pause, ovpn_accept_resume, srv);
		return ev_io_add(srv->loop, &srv->tcp_io);
	}
	srv->udp_fd = fd;
	ovpn_udp_buffers(fd);
	ev_io_init(&srv->udp_io, fd, EPOLLIN, ovpn_udp_cb, srv);
	return ev_io_add(srv->loop, &srv->udp_io);
}

static RESULT ovpn_server_tun(struct ovpn_server *srv)
{
	unsigned ifindex = 0;
	struct prefix local = {.len = srv->cfg.client_cidr.len};

	/* Offloads: TCP crosses the kernel as super-packets both ways (src/inet: GRO, TSO). */
	srv->tun_vnet = tun_open_offload(srv->cfg.tun_name, &srv->tun_fd, srv->tun_name) == E_OK;
	if (!srv->tun_vnet)
		GUARD(tun_open(srv->cfg.tun_name, &srv->tun_fd, srv->tun_name));
	GUARD(tun_ifindex(srv->tun_name, &ifindex));
	GUARD(tun_link_up(ifindex, srv->cfg.tun_mtu));
	addr_from_v4(&local.addr, srv->server_ip);
	GUARD(tun_addr_add(ifindex, &local));
	ev_io_init(&srv->tun_io, srv->tun_fd, EPOLLIN, ovpn_tun_cb, srv);
	return ev_io_add(srv->loop, &srv->tun_io);
}

RESULT ovpn_server_new(struct ev_loop *loop, const struct ovpn_config *cfg,
                       struct ovpn_server **out)
{
	struct ovpn_server *srv = calloc(1, sizeof(*srv));
	result_t rc;

	if (!srv)
		return E_NOMEM;
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->gro.g.buf = srv->gro.buf;
	/* The caller's path strings may not outlive this call. */
	srv->cfg.cert_path = srv->cfg.key_path = srv->cfg.ca_path = NULL;
	srv->cfg.crl_path = srv->cfg.tls_crypt_path = NULL;
	srv->udp_fd = srv->tcp_fd = srv->tun_fd = -1;
	srv->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 200);
	srv->reset_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 200);
	if (srv->cfg.max_clients == 0 || srv->cfg.max_clients > OVPN_PEER_ID_UNDEF)
		srv->cfg.max_clients = 1024;
	GUARD_OUT(rc, ovpn_profile_new(&srv->cfg, &srv->prof));
	GUARD_OUT(rc, ovpn_cookie_init(&srv->cookie, cfg->hand_window_sec));
	GUARD_OUT(rc, ovpn_server_pool(srv));
	GUARD_OUT(rc, ovpn_tls_ctx_new(cfg, &srv->ssl_ctx));
	if (cfg->tls_crypt_path && cfg->tls_crypt_path[0]) {
		GUARD_OUT(rc, ovpn_tc_load(cfg->tls_crypt_path, &srv->tc));
		srv->tc_on = true;
		srv->tc_time = (uint32_t)time(NULL);
	}
	GUARD_OUT(rc, ovpn_server_tun(srv));
	GUARD_OUT(rc, ovpn_server_socket(srv));
	log_info("ovpn", "server listening on %s port %u, TUN %s",
	         cfg->proto == OVPN_PROTO_TCP ? "tcp" : "udp", srv->port, srv->tun_name);
	*out = srv;
	return E_OK;
out:
	log_err("ovpn", "server start failed: %s", err_msg(rc));
	ovpn_server_free(srv);
	return rc;
}

void ovpn_server_free(struct ovpn_server *srv)
{
	if (!srv)
		return;
	srv->closing = true;
	for (unsigned i = 0; srv->by_peer && i < srv->cfg.max_clients; i++) {
		struct ovpn_client *c = srv->by_peer[i];
		if (!c)
			continue;
		if (!c->dead)
			snprintf(c->dead_reason, sizeof(c->dead_reason), "server shutdown");
		c->dead = true;
		ovpn_server_client_gone(srv, c);
		ovpn_client_free(c);
	}
	while (srv->conns)
		ovpn_tcp_conn_close(srv->conns);
	if (srv->udp_fd >= 0) {
		ev_io_del(srv->loop, &srv->udp_io);
		close(srv->udp_fd);
	}
	if (srv->tcp_fd >= 0) {
		if (ev_timer_armed(&srv->accept_pause))
			ev_timer_cancel(srv->loop, &srv->accept_pause);
		ev_io_del(srv->loop, &srv->tcp_io);
		close(srv->tcp_fd);
	}
	if (srv->tun_fd >= 0) {
		ev_io_del(srv->loop, &srv->tun_io);
		close(srv->tun_fd);
	}
	SSL_CTX_free(srv->ssl_ctx);
	ovpn_profile_unref(srv->prof);
	free(srv->by_ip);
	free(srv->by_peer);
	ovpn_cookie_fini(&srv->cookie);
	ovpn_tls_crypt_fini(&srv->tc);
	free(srv);
}

uint16_t ovpn_server_port(const struct ovpn_server *srv)
{
	return srv->port;
}

const char *ovpn_server_tun_name(const struct ovpn_server *srv)
{
	return srv->tun_name;
}

size_t ovpn_server_clients(const struct ovpn_server *srv, struct ovpn_client_info *out, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; i < srv->cfg.max_clients && n < cap; i++) {
		const struct ovpn_client *c = srv->by_peer[i];
		if (c && !c->dead && c->pushed)
			out[n++] = c->info;
	}
	return n;
}
