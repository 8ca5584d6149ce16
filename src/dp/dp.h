/*
 * dp.h - the data plane: ESP tunnels between a TUN device and UDP/4500 (RFC 3948) or raw ESP
 * (IP protocol 50) sockets, run by worker threads.
 *
 *   control thread (ev_loop)             TX worker                    RX worker
 *   dp_tunnel_add/dp_sa_install/...      TUN read (TSO burst: split)  recvmmsg UDP 4500 / raw ESP
 *     build a new struct dp_state        route lookup -> tunnel       (UDP GRO runs: split)
 *     publish (atomic pointer)           tunnel -> current out SA     SPI -> inbound SA
 *     free the old one after every       MSS clamp, fragment / ICMP   replay, ICV, decrypt
 *     worker passed a quiescent point    esp_encapsulate              policy check (inner src)
 *     (QSBR epochs)                      sendmmsg (UDP GSO runs)      MSS clamp, TCP coalescing
 *                                                                     write to TUN
 *
 * The TUN is one queue: the TX worker reads it, the RX worker writes through the same
 * descriptor (with IFF_MULTI_QUEUE the kernel would spread reads over every attached queue).
 * Scaling further = more TX/RX worker pairs, each SA owned by one pair.
 *
 * No locks and no allocation on the per-packet path: workers read an immutable snapshot
 * (tunnels, outbound SA per tunnel, inbound SPI hash, route table) through one atomic pointer.
 * Per-SA mutable state (sequence counter, replay window) belongs to one worker: an outbound
 * SA is only touched by the TX worker, an inbound SA only by the RX worker.
 *
 * Threads: every dp_* function below is for the control (ev_loop) thread only, except
 * dp_stats, which any thread may call.
 *
 * UDP 4500 (agreed with the IKE module): IKE binds UDP 4500 first with SO_REUSEPORT and a
 * reuseport BPF program steering non-ESP-marker / keepalive datagrams to its socket (index 0)
 * and everything else to index 1. dp_new must therefore run AFTER the IKE socket is bound: the
 * data-plane socket also sets SO_REUSEPORT, binds the same address:4500 and becomes index 1.
 * Without IKE (tests, dp_peer) the data plane is simply the only socket.
 *
 * Events (soft lifetime / sequence soft limit reached, hard limit, sequence exhausted) are
 * flagged on the SA by the worker and delivered on the control thread through an eventfd the
 * data plane registers in the loop (so ev_loop_wake's single callback stays free for others).
 * The DPD "last inbound packet" time and the counters are read with dp_sa_stats.
 */
#ifndef GH_DP_DP_H
#define GH_DP_DP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "esp/esp.h"
#include "lib/addr.h"
#include "lib/err.h"
#include "lib/ev.h"

#define DP_MAX_TUNNELS 1024
#define DP_UDP_ENCAP_PORT 4500 /* RFC 3948 */
/* site-to-site.md 5.2, MTU/MSS table: "AES-GCM-16 | N/A | disabled | 1446 | 1406 | 1386" is the
 * maximum; the other rows are derived per tunnel from the SA's overhead (dp_tunnel_mtu). */
#define DP_MTU_MAX 1446
#define DP_MSS_MAX 1406
#define DP_TUN_MTU_DEFAULT 1500 /* the TUN may be larger: bigger packets are fragmented */

struct dp;

struct dp_config {
	char tun_name[IFNAMSIZ]; /* created if missing; "" = kernel picks tun%d */
	uint32_t tun_mtu;        /* 0 = DP_TUN_MTU_DEFAULT */
	struct addr local;       /* outer local address to bind (family selects IPv4/IPv6) */
	uint16_t udp_port;       /* 0 = 4500; bound with SO_REUSEPORT */
	/* Batching, each on by default and used when the kernel offers it: UDP_SEGMENT (GSO)
	 * for runs of equal-size ESP-in-UDP packets, UDP_GRO on the receive socket (IKE
	 * datagrams go to another socket and are never merged), and TUN offload
	 * (IFF_VNET_HDR + TSO: one read per TCP burst, decrypted bursts written back coalesced). */
	bool no_udp_gso;
	bool no_udp_gro;
	bool no_tun_offload;
	bool no_raw_esp;         /* do not open the protocol 50 socket */
	bool kernel_routes;      /* dp_route_add also installs prefix -> TUN in the kernel */
};

/* An event for the control thread. */
enum dp_event_type {
	DP_EV_SA_SOFT = 1,      /* soft packet/byte lifetime or ESP_SEQ_SOFT_LIMIT: rekey */
	DP_EV_SA_HARD = 2,      /* hard lifetime reached: the SA no longer sends */
	DP_EV_SA_EXHAUSTED = 3, /* RFC 4303 3.3.3: sequence space used up */
};

struct dp_event {
	enum dp_event_type type;
	uint32_t tunnel;
	uint32_t spi;
	enum esp_dir dir;
};

typedef void (*dp_event_cb)(void *arg, const struct dp_event *ev);

/* Creates the TUN device (one queue per worker), the sockets and starts the workers.
 * Needs CAP_NET_ADMIN (TUN, rtnetlink) and CAP_NET_RAW (raw ESP). E_TUN, E_SYSTEM, E_NOMEM. */
RESULT dp_new(struct ev_loop *loop, const struct dp_config *cfg, struct dp **out);
/* Stops and joins the workers, closes everything, frees all SAs (keys wiped). */
void dp_free(struct dp *dp);
void dp_set_event_cb(struct dp *dp, dp_event_cb cb, void *arg);
/* Name and index of the TUN device. */
const char *dp_tun_name(const struct dp *dp);

struct dp_tunnel_params {
	struct addr local, remote; /* outside addresses (local may be unspecified: family 0) */
	uint32_t mtu;              /* inner MTU; 0 = derived from the SA overhead, max 1446 */
	uint16_t mss;              /* TCP MSS clamp; 0 = mtu - 40 (IPv4) / - 60 (IPv6) */
	struct prefix inside;      /* optional inside address on the TUN (e.g. 169.254.x.y/30) */
	struct prefix inside6;     /* optional, family 0 = none */
	/* RFC 4301 5.2 inbound check against the routes: drop decrypted packets whose source
	 * is not routed into this tunnel. Off by default: AWS tunnels negotiate 0.0.0.0/0
	 * selectors and allow asymmetric routing over either tunnel. */
	bool strict_source;
};

/* Returns a handle in 1..DP_MAX_TUNNELS. E_RANGE when full, E_INVAL. */
RESULT dp_tunnel_add(struct dp *dp, const struct dp_tunnel_params *p, uint32_t *handle);
/* Removes the tunnel, its SAs and its routes. E_NOTFOUND. */
RESULT dp_tunnel_remove(struct dp *dp, uint32_t handle);

/* Install an SA for the tunnel. Make-before-break: an outbound SA takes over the tunnel's
 * traffic atomically; the previous outbound SA stays installed (idle) until dp_sa_remove. An
 * inbound SA is added beside the existing ones. E_EXISTS (SPI+direction in use), E_NOTFOUND
 * (tunnel), plus the errors of esp_sa_new. */
RESULT dp_sa_install(struct dp *dp, uint32_t tunnel, const struct esp_sa_params *p);
/* Remove an SA; removing the current outbound SA falls back to the newest other outbound SA
 * of the tunnel, if any. E_NOTFOUND. */
RESULT dp_sa_remove(struct dp *dp, uint32_t spi, enum esp_dir dir);

/* Route a prefix into a tunnel; lower priority wins, equal-prefix paths are tried in order
 * when a tunnel has no outbound SA. E_EXISTS, E_NOTFOUND (tunnel), E_RANGE. */
RESULT dp_route_add(struct dp *dp, const struct prefix *p, uint32_t tunnel, uint32_t priority);
RESULT dp_route_remove(struct dp *dp, const struct prefix *p, uint32_t tunnel);

struct dp_sa_info {
	uint32_t tunnel;
	uint64_t packets, bytes, err_auth, err_replay, err_other;
	uint64_t last_ms; /* clock_mono_ms of the last authenticated packet (inbound: DPD) */
	bool active;      /* outbound: the tunnel's current SA */
};
/* Control thread (the counters are relaxed atomics written by the workers). E_NOTFOUND. */
RESULT dp_sa_stats(struct dp *dp, uint32_t spi, enum esp_dir dir, struct dp_sa_info *out);

/* Worker totals (drops by reason). Any thread. */
struct dp_stats {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t drop_no_route, drop_no_sa, drop_unknown_spi, drop_auth, drop_replay,
		drop_bad, drop_policy, drop_send;
	uint64_t fragmented, icmp_frag_needed, mss_clamped;
	uint64_t tx_syscalls, rx_syscalls;
};
void dp_stats(struct dp *dp, struct dp_stats *out);

/* The tunnel MTU the guide's table gives for an SA: 1500 - outer IPv4 (20) - [UDP 8] -
 * ESP overhead of a full-size packet, rounded as the table rows are. */
uint32_t dp_tunnel_mtu(const struct esp_sa *sa);

#endif
