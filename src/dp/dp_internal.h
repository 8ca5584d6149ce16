/*
 * dp_internal.h - data-plane internals shared by dp.c (control), dp_tx.c, dp_rx.c, dp_sock.c.
 */
#ifndef GH_DP_INTERNAL_H
#define GH_DP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "dp/dp.h"
#include "route/route.h"

#define DP_BATCH 64
#define DP_BUF_LEN 2048 /* one slot: headroom + inner MTU + tailroom */
#define DP_POLL_MS 50   /* idle workers pass a quiescent point at least this often */
#define DP_RECLAIM_MS 20
#define DP_GRO_BUF_LEN 65536 /* one UDP_GRO super-datagram */
#define DP_GRO_SLOTS 16
#define DP_TSO_BUF_LEN (65536 + 16)

#define DP_STAT_ADD(field, n)                                                                      \
	atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (n), \
			      memory_order_relaxed)

/* Set on an SA by the worker, taken by the control thread (bits of enum dp_event_type). */
struct dp_sa {
	struct esp_sa *esp;
	uint32_t tunnel;
	uint64_t installed; /* install order: newest outbound wins on fallback */
	_Atomic uint32_t events;
	/* outbound: where to send (UDP: remote:remote_port; raw ESP: remote, port 0) */
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint32_t mtu;     /* inner MTU for this SA: the tunnel's, or dp_tunnel_mtu() */
	uint16_t mss4, mss6;
	struct dp_sa *next; /* control thread's list */
};

/* Immutable once published. */
struct dp_tunnel {
	uint32_t handle;
	struct dp_tunnel_params p;
	struct dp_tunnel *next; /* control list */
};

struct dp_in_slot {
	uint32_t spi;
	struct dp_sa *sa;
};

/* One snapshot: what the workers read. */
struct dp_state {
	struct dp_tunnel *tunnels[DP_MAX_TUNNELS + 1]; /* by handle */
	struct dp_sa *out_sa[DP_MAX_TUNNELS + 1];     /* current outbound SA per tunnel */
	struct dp_in_slot *in_hash;                    /* open addressing, size in_mask + 1 */
	uint32_t in_mask;
	struct route_table *routes;
};

struct dp_worker_stats {
	_Atomic uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	_Atomic uint64_t drop_no_route, drop_no_sa, drop_unknown_spi, drop_auth, drop_replay,
		drop_bad, drop_policy, drop_send;
	_Atomic uint64_t fragmented, icmp_frag_needed, mss_clamped;
	_Atomic uint64_t tx_syscalls, rx_syscalls;
};

struct dp_worker {
	struct dp *dp;
	pthread_t thread;
	bool started;
	bool is_tx;
	int tun_fd;
	_Atomic uint64_t qs_epoch; /* last epoch seen at a quiescent point */
	struct dp_worker_stats st;
	uint8_t *bufs; /* nslots * slot_len */
	uint8_t *big;  /* TUN offload: one TCP super-packet (TX read, RX coalescing) */
	size_t slot_len;
	unsigned nslots;
};

struct dp_retired {
	uint64_t epoch;
	struct dp_state *state;
	struct dp_sa *sa;
	struct dp_tunnel *tunnel;
	struct dp_retired *next;
};

struct dp {
	struct ev_loop *loop;
	struct dp_config cfg;
	char tun_name[IFNAMSIZ];
	unsigned tun_ifindex;
	int udp_fd, raw_fd;
	bool gso_ok, gro_ok;
	bool offload; /* TUN packets carry a struct virtio_net_hdr (inet/inet.h) */
	struct dp_worker tx, rx;
	_Atomic(struct dp_state *) state;
	_Atomic uint64_t epoch;
	_Atomic bool stop;
	/* control thread only */
	struct dp_tunnel *tunnels;
	struct dp_sa *sas;
	struct route_table *routes;
	uint64_t install_seq;
	struct dp_retired *retired;
	struct ev_timer reclaim_timer;
	int event_fd;
	struct ev_io event_io;
	dp_event_cb event_cb;
	void *event_arg;
};

/* dp.c */
RESULT dp_publish_state(struct dp *dp);
/* Free sa / t once every worker passed a quiescent point (after the publish that dropped it). */
void dp_retire_obj(struct dp *dp, struct dp_sa *sa, struct dp_tunnel *t);
void dp_sa_destroy_now(struct dp_sa *sa);
void dp_worker_quiescent(struct dp_worker *w);
struct dp_state *dp_worker_state(struct dp_worker *w);
void dp_sa_flag_event(struct dp *dp, struct dp_sa *sa, enum dp_event_type type);
struct dp_sa *dp_state_in_sa(const struct dp_state *st, uint32_t spi);

/* dp_sock.c */
RESULT dp_sock_open(struct dp *dp);
void dp_sock_close(struct dp *dp);

/* dp_tx.c, dp_rx.c */
void *dp_tx_main(void *arg);
void *dp_rx_main(void *arg);

#endif
