/*
 * ike.h - the IKEv2 engine (RFC 7296, PSK authentication, NAT-T per RFC 3948 / 7296 2.23) of
 * the AWS-style Site-to-Site tunnels. Public interface of src/ike.
 *
 * Model: one struct ike_ctx per event loop owns the UDP sockets (500 and 4500 on each local
 * outside address, IPv4) and dispatches datagrams to tunnels. One struct ike_tunnel per
 * model_tunnel (one AWS tunnel = one IKE peer); it keeps the current IKE SA and its CHILD SAs,
 * rekeys them (the AWS side initiates rekeys: lifetime - margin - random fuzz), runs DPD and
 * answers the peer. Negotiated CHILD SAs are announced through the callbacks so the engine can
 * program the ESP data plane.
 *
 * NAT-T and the data plane: the UDP 4500 socket is opened with SO_REUSEPORT and a classic BPF
 * reuseport program (SO_ATTACH_REUSEPORT_CBPF) that sends datagrams whose first 4 payload
 * bytes are zero (non-ESP marker: IKE) or that are shorter than 4 bytes (NAT keepalive) to
 * socket 0 of the group (ours, opened first), and everything else (ESP-in-UDP) to socket 1:
 * the data plane opens its own socket on the same address and port 4500 with SO_REUSEPORT set
 * AFTER ike_tunnel_new (see ike_ctx_natt_port). Without a data-plane socket ESP lands on ours
 * and is dropped (rate-limited debug log).
 *
 * Threads: every function here, and every callback, runs on the loop's thread. No locks.
 * Ownership: the ctx must outlive its tunnels; ike_tunnel_free sends nothing (call
 * ike_tunnel_delete first for a graceful DELETE) and reports child_sa_down for live CHILD SAs.
 * Re-entrancy: a callback may call ike_tunnel_free on its own (or any) tunnel. The free is
 * then deferred until the engine call that ran the callback returns to the loop (the tunnel
 * stops initiating at once; its remaining child_sa_down calls happen at that point, so the
 * callback arg must stay valid until then). A callback must NOT call ike_ctx_free.
 * Errors: E_SYSTEM (sockets), E_NOMEM, E_INVAL (bad tunnel model), E_STATE.
 */
#ifndef GH_IKE_H
#define GH_IKE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"
#include "lib/ev.h"
#include "model/tunnel.h"

struct ike_ctx;
struct ike_tunnel;

#define IKE_PORT 500
#define IKE_NATT_PORT 4500

struct ike_ctx_config {
	uint16_t ike_port;  /* 0: IKE_PORT (tests use high ports on loopback) */
	uint16_t natt_port; /* 0: IKE_NATT_PORT */
	/* RFC 7296 2.6: above this many half-open IKE SAs, IKE_SA_INIT needs a COOKIE.
	 * 0: IKE_COOKIE_THRESHOLD_DEFAULT. */
	unsigned cookie_threshold;
	bool cookie_always; /* tests: demand a COOKIE on every IKE_SA_INIT */
	/* Behave as if behind a NAT (like strongSwan's encap=yes): float to the NAT-T port. */
	bool force_natt;
	/* Test hook: return true to drop a datagram (outbound: out = true). NULL in production. */
	bool (*drop)(void *arg, bool out, const uint8_t *pkt, size_t len);
	void *drop_arg;
};

/* Everything the ESP data plane needs for one CHILD SA. Keys are valid only during the
 * callback (copied by the receiver, wiped by us afterwards). */
struct ike_child_sa_info {
	const char *vpn_id;
	unsigned tunnel_index;
	uint32_t spi_in;  /* host order: SPI of inbound ESP packets (ours) */
	uint32_t spi_out; /* SPI the peer chose, for outbound packets */
	uint16_t encr;    /* CRYPTO_ENCR_AES_CBC or CRYPTO_ENCR_AES_GCM_16 */
	unsigned key_bits;
	uint16_t integ; /* CRYPTO_INTEG_*, 0 for GCM */
	/* encryption key material (key, + 4-byte salt for GCM), integrity key */
	const uint8_t *encr_key_in, *encr_key_out;
	size_t encr_key_len;
	const uint8_t *integ_key_in, *integ_key_out;
	size_t integ_key_len;
	bool udp_encap; /* RFC 3948 ESP-in-UDP */
	struct addr local, remote;
	uint16_t local_port, remote_port; /* the IKE SA's ports (4500 when encapsulated) */
	uint32_t replay_window;
	uint32_t lifetime_s;
	struct prefix ts_local, ts_remote; /* our side (AWS "remote" net), peer's side */
	bool rekey;                        /* replaces an earlier SA (same tunnel) */
};

struct ike_callbacks {
	void (*child_sa_up)(void *arg, const struct ike_child_sa_info *info);
	void (*child_sa_down)(void *arg, uint32_t spi_in, uint32_t spi_out);
	/* up: an IKE SA with at least one CHILD SA exists; msg says why it changed. */
	void (*tunnel_status)(void *arg, bool up, const char *msg);
	/* Optional: clock_mono_ms() of the last authenticated inbound packet on the tunnel's
	 * CHILD SAs (0 = none). RFC 7296 2.4: traffic on a CHILD SA shows the peer alive, so a
	 * DPD probe goes out only after silence on both the IKE SA and its CHILD SAs. */
	uint64_t (*last_inbound_ms)(void *arg);
};

/* cfg may be NULL (defaults). */
RESULT ike_ctx_new(struct ev_loop *loop, const struct ike_ctx_config *cfg, struct ike_ctx **out);
void ike_ctx_free(struct ike_ctx *ctx);
/* The NAT-T port the data plane must bind (with SO_REUSEPORT) on a tunnel's local address. */
uint16_t ike_ctx_natt_port(const struct ike_ctx *ctx);

/* Create a tunnel from the model (copied). Opens the sockets of t->outside_local if needed.
 * With startup_action START (and a known outside_remote) it initiates at once, and keeps
 * retrying (AWS: "continuously try to establish"); with ADD it waits for the peer. */
RESULT ike_tunnel_new(struct ike_ctx *ctx, const struct model_tunnel *t,
                      const struct ike_callbacks *cb, void *arg, struct ike_tunnel **out);
void ike_tunnel_free(struct ike_tunnel *t);
/* Initiate now (E_STATE when an IKE SA already exists; E_INVAL without a remote address). */
RESULT ike_tunnel_initiate(struct ike_tunnel *t);
/* Start a rekey of the first CHILD SA / of the IKE SA now (tests, operators). With a request
 * outstanding (RFC 7296 2.3 window of 1) the rekey is queued and sent after its response. */
RESULT ike_tunnel_rekey_child(struct ike_tunnel *t);
RESULT ike_tunnel_rekey_ike(struct ike_tunnel *t);
/* Send DELETE for the IKE SA (INFORMATIONAL) and drop it. */
RESULT ike_tunnel_delete(struct ike_tunnel *t);
bool ike_tunnel_is_up(const struct ike_tunnel *t);
/* IKE SAs the tunnel holds in any state (being set up, established, being deleted). */
unsigned ike_tunnel_sa_count(const struct ike_tunnel *t);

/* A one-line description of the tunnel's SAs (for tools and the control socket). */
void ike_tunnel_describe(const struct ike_tunnel *t, char *buf, size_t cap);

#endif
