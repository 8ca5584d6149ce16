/*
 * ovpn_int.h - internals shared by the server's files (not a public interface).
 *
 *   ovpn_server.c  sockets, stateless cookie handshake, dispatch, TUN forwarding
 *   ovpn_client.c  per-client control channel: key states, TLS, key-method 2, push, timers
 *   ovpn_tls.c     SSL_CTX and the memory-BIO TLS pump
 *   ovpn_admin.c   kill, kill-all, reconfigure; the per-client configuration (profile)
 *
 * All on the event loop's thread.
 */
#ifndef GH_OVPN_INT_H
#define GH_OVPN_INT_H

#include <openssl/ssl.h>
#include <sys/socket.h>

#include "inet/inet.h"
#include "lib/buf.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "ovpn/ovpn.h"
#include "ovpn/ovpn_cookie.h"
#include "ovpn/ovpn_data.h"
#include "ovpn/ovpn_km.h"
#include "ovpn/ovpn_pkt.h"
#include "ovpn/ovpn_reliable.h"
#include "ovpn/ovpn_tls_crypt.h"

#define OVPN_KS_N 3 /* current, lame duck, one being negotiated */
#define OVPN_TICK_MS 1000u
#define OVPN_KILL_GRACE_MS 3000u
#define OVPN_ACCEPT_PAUSE_MS 1000u /* accept4 out of descriptors: pause the listener */
#define OVPN_CIPHERS_MAX 8
#define OVPN_TCP_RX_MAX (2 + OVPN_PKT_MAX)

/* 16-octet magic payloads inside the data channel (ping.c, occ.c). */
extern const uint8_t ovpn_ping_magic[16];
extern const uint8_t ovpn_occ_magic[16];
#define OVPN_OCC_EXIT 6

enum ovpn_ks_state {
	OVPN_KS_FREE = 0,
	OVPN_KS_TLS,      /* TLS handshake in progress */
	OVPN_KS_KM2,      /* handshake done, waiting for the client's key-method 2 */
	OVPN_KS_SENT_KEY, /* our key-method 2 sent; keys installed; waiting for the ACKs */
	OVPN_KS_ACTIVE,   /* usable for sending */
	OVPN_KS_ERROR,
};

struct ovpn_ks {
	enum ovpn_ks_state state;
	uint8_t key_id;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	struct ovpn_reliable rel;
	struct wbuf plain; /* TLS plaintext received, not yet consumed */
	struct ovpn_data_key dk;
	uint64_t started_ms;
	uint64_t expire_ms; /* lame duck: dropped at this time (0 = not a lame duck) */
};

/* What a client keeps from the configuration it connected under: pushed options, ciphers,
 * timers, session timeout. ovpn_server_reconfigure() makes a new one for later clients; the
 * server holds the current one and each client a reference to the one it started with. */
struct ovpn_profile {
	unsigned refs;
	struct ovpn_config cfg; /* *_path are NULL (read only inside new/reconfigure) */
	enum ovpn_cipher ciphers[OVPN_CIPHERS_MAX];
	size_t n_ciphers;
};

/* Data path batches: datagrams per recvmmsg / per flush of the send queue, and the room for
 * one datagram (a larger tun_mtu falls back to one recvfrom per datagram). */
#define OVPN_BATCH 32
#define OVPN_BATCH_SLOT 9216

enum ovpn_gso {
	OVPN_GSO_UNKNOWN = 0, /* not tried yet */
	OVPN_GSO_ON,
	OVPN_GSO_OFF, /* the kernel refused UDP_SEGMENT: one datagram per message */
};

/* Datagrams built during a TUN burst, sent together at its end (or when full). */
struct ovpn_txq {
	bool on; /* ovpn_xmit queues instead of sending */
	unsigned n;
	size_t len[OVPN_BATCH];
	struct sockaddr_storage sa[OVPN_BATCH];
	socklen_t salen[OVPN_BATCH];
	uint8_t buf[OVPN_BATCH][OVPN_BATCH_SLOT];
};

/* TCP segments from one client batch being merged into one super-packet for the TUN
 * (inet_gro_add / inet_gro_finish, src/inet/inet.h). */
struct ovpn_gro {
	bool on;           /* during a UDP batch on a TUN with IFF_VNET_HDR */
	struct inet_gro g; /* g.buf = buf, set by ovpn_server_new */
	uint8_t buf[INET_VNET_HDR_LEN + INET_GRO_MAX_LEN];
};

struct ovpn_tcp_conn {
	struct ovpn_server *srv;
	int fd;
	struct ev_io io;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint8_t rx[OVPN_TCP_RX_MAX];
	size_t rx_len;
	struct wbuf tx; /* bytes the socket did not take yet */
	struct ovpn_client *client;
	struct ovpn_tcp_conn *next;
	uint64_t opened_ms; /* accept time: without a session it is closed after hand-window */
	bool tx_batched;    /* tx holds packets of the current TUN burst, to be sent at its end */
};

struct ovpn_client {
	struct ovpn_server *srv;
	struct ovpn_profile *prof; /* reference */
	struct ovpn_client_info info;
	bool dead;
	char dead_reason[64];
	struct sockaddr_storage sa;
	socklen_t salen;
	struct ovpn_tcp_conn *conn; /* TCP only */
	uint64_t sid_local, sid_remote;
	struct ovpn_ks ks[OVPN_KS_N];
	struct ovpn_ks *send_ks; /* key used for outgoing data */
	uint8_t last_key_id;
	struct ovpn_peer_caps caps;
	bool cipher_set;
	bool pushed;
	uint32_t pool_idx;
	uint64_t last_rx_ms, last_tx_ms, key_since_ms;
	struct ovpn_replay tc_replay; /* tls-crypt packet ids seen, for tc_time */
	uint32_t tc_time;
	uint64_t kill_at_ms; /* deferred termination (after AUTH_FAILED / HALT), 0 = none */
	char kill_reason[64];
	struct ev_timer timer;
	struct log_ratelimit rl;
};

struct ovpn_server {
	struct ev_loop *loop;
	struct ovpn_config cfg;    /* current; *_path are NULL after new/reconfigure */
	struct ovpn_profile *prof; /* current, for clients that connect from now on */
	bool closing;              /* in ovpn_server_free: no more hooks */
	SSL_CTX *ssl_ctx;
	int udp_fd, tcp_fd;
	struct ev_io udp_io, tcp_io;
	struct ev_timer accept_pause; /* accept4 out of descriptors: listen again later */
	struct ovpn_tcp_conn *conns;
	int tun_fd;
	struct ev_io tun_io;
	char tun_name[16];
	uint16_t port;
	struct ovpn_cookie cookie;
	bool tc_on;
	struct ovpn_tls_crypt tc;
	uint32_t tc_pid, tc_time;        /* our tls-crypt packet id (all sessions) and net_time */
	uint8_t ubuf[OVPN_PKT_MAX + 64]; /* unwrapped control packet */
	uint8_t wrapbuf[OVPN_PKT_MAX + 128];
	struct ovpn_client **by_peer; /* max_clients */
	struct ovpn_client **by_ip;   /* pool_size, index = address - pool_base */
	uint32_t pool_base, pool_size, server_ip;
	uint8_t rxbuf[OVPN_PKT_MAX + 64];
	uint8_t txbuf[OVPN_PKT_MAX + 64];
	uint8_t ptbuf[OVPN_PKT_MAX + 64];
	struct log_ratelimit rl;
	struct log_ratelimit reset_rl; /* HARD_RESET_SERVER_V2 answers (reflect filter) */
	/* Data path batching (ovpn_server.c): UDP datagrams in by recvmmsg, out by sendmmsg
	 * with UDP GSO; TCP output of a TUN burst in one send. */
	enum ovpn_gso udp_gso;
	struct ovpn_txq txq;
	struct sockaddr_storage rxq_sa[OVPN_BATCH];
	uint8_t rxq[OVPN_BATCH][OVPN_BATCH_SLOT];
	bool tun_vnet; /* TUN with IFF_VNET_HDR and TSO (tun_open_offload): GRO/GSO */
	uint8_t segbuf[OVPN_BATCH_SLOT]; /* one segment of a TUN super-packet */
	struct ovpn_gro gro;
};

/* ovpn_tls.c */
RESULT ovpn_tls_ctx_new(const struct ovpn_config *cfg, SSL_CTX **out);
RESULT ovpn_ks_tls_start(struct ovpn_ks *ks, SSL_CTX *ctx);
/* Feed received TLS bytes, drive the handshake, collect plaintext into ks->plain. */
RESULT ovpn_ks_tls_pump(struct ovpn_client *c, struct ovpn_ks *ks, const uint8_t *in, size_t n);
RESULT ovpn_ks_tls_write(struct ovpn_ks *ks, const void *data, size_t n);
void ovpn_ks_fini(struct ovpn_ks *ks);

/* ovpn_client.c */
RESULT ovpn_client_new(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                       struct ovpn_tcp_conn *conn, uint64_t sid_local, uint64_t sid_remote,
                       struct ovpn_client **out);
void ovpn_client_free(struct ovpn_client *c);
void ovpn_client_ctl_input(struct ovpn_client *c, const struct ovpn_ctl *p);
void ovpn_client_kill(struct ovpn_client *c, const char *reason);
/* Kill after OVPN_KILL_GRACE_MS, so a final AUTH_FAILED/HALT can be retransmitted. */
void ovpn_client_kill_later(struct ovpn_client *c, const char *reason);
/* Encrypt and send one inner packet to the client. */
void ovpn_client_data_send(struct ovpn_client *c, const uint8_t *pkt, size_t n);
/* tls-crypt replay check for an authenticated control packet (long-form packet id). */
bool ovpn_client_tc_fresh(struct ovpn_client *c, uint32_t pid, uint32_t net_time);
/* E_OK when the packet authenticated (the caller may then let a UDP client float). */
RESULT ovpn_client_data_input(struct ovpn_client *c, const uint8_t *pkt, size_t n);
void ovpn_client_flush(struct ovpn_client *c);
void ovpn_client_schedule(struct ovpn_client *c);
/* Log line + structured record (connection log) for a client event. */
void ovpn_client_event(struct ovpn_client *c, const char *event, const char *reason);
/* ovpn_push.c: key-method 2 and control messages of one key state. */
RESULT ovpn_ks_km2_input(struct ovpn_client *c, struct ovpn_ks *ks);
void ovpn_ks_msgs_input(struct ovpn_client *c, struct ovpn_ks *ks);
RESULT ovpn_client_ctl_msg_send(struct ovpn_client *c, const char *msg);

/* End a session from the server: "HALT,<reason>" or "RESTART,<reason>" over the control
 * channel, freed after OVPN_KILL_GRACE_MS (at once when no control message can go out). A
 * client already ending keeps its first reason. */
void ovpn_client_end(struct ovpn_client *c, enum ovpn_kill_mode how, const char *reason);

/* ovpn_admin.c */
RESULT ovpn_profile_new(const struct ovpn_config *cfg, struct ovpn_profile **out);
struct ovpn_profile *ovpn_profile_ref(struct ovpn_profile *p);
void ovpn_profile_unref(struct ovpn_profile *p);
/* Read a tls-crypt v1 static key file into tc (server direction). E_OVPN_TLS if unreadable. */
RESULT ovpn_tc_load(const char *path, struct ovpn_tls_crypt *tc);

/* ovpn_server.c */
/* Send one built packet (w starts with 2 octets of headroom for the TCP length). */
void ovpn_server_send(struct ovpn_server *srv, struct ovpn_client *c, struct wbuf *w);
void ovpn_server_tun_write(struct ovpn_server *srv, const uint8_t *pkt, size_t n);
void ovpn_server_client_gone(struct ovpn_server *srv, struct ovpn_client *c);
/* The client's address from the pool, taken when it is first pushed (after authentication:
 * half-open sessions hold none). E_OVPN_POOL when the pool is exhausted. */
RESULT ovpn_server_addr_take(struct ovpn_server *srv, struct ovpn_client *c);

/* ovpn_batch.c: data path batching. Between begin and end (one TUN burst) ovpn_xmit queues
 * outgoing packets; end sends them: UDP by sendmmsg (GSO for runs of equal-size datagrams to
 * one client), TCP by one send per connection. */
void ovpn_txq_begin(struct ovpn_server *srv);
void ovpn_txq_end(struct ovpn_server *srv);
/* Socket buffers of OVPN_UDP_SOCKBUF octets each way on the UDP socket: the default (~200 KiB,
 * ~90 full datagrams) overflows whenever the loop is not scheduled for a few milliseconds. */
#define OVPN_UDP_SOCKBUF (4 * 1024 * 1024)
void ovpn_udp_buffers(int fd);
/* Queue one UDP datagram (copied); false if it cannot be queued (too large): send it now. */
bool ovpn_txq_add(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                  const uint8_t *p, size_t n);
/* Queue framed TCP bytes on conn->tx (dropped beyond max bytes waiting). */
void ovpn_txq_tcp_add(struct ovpn_tcp_conn *conn, const uint8_t *p, size_t n, size_t max);
/* recvmmsg up to OVPN_BATCH datagrams into srv->rxq / srv->rxq_sa; returns how many (0 when
 * none). len[i] is 0 for a datagram that did not fit its slot. */
size_t ovpn_rxq_recv(struct ovpn_server *srv, size_t len[OVPN_BATCH], socklen_t salen[OVPN_BATCH]);

#endif
