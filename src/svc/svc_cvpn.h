/*
 * svc/svc_cvpn.h - Client VPN endpoints of the store run as OpenVPN servers (src/ovpn).
 *
 * The join between the Client VPN model (cvpn/cvpn.h, the EC2 operations) and the data plane:
 *
 *   every API change, every SVC_CVPN_SYNC_MS  ->  each `available` endpoint has one server:
 *        started (materials from ACM), reconfigured when its certificates, CRL or pushed
 *        options change, replaced when its port changes, retired (HALT) when the endpoint
 *        leaves `available`; connection records the API ended are cut (Terminate: HALT, a
 *        change that resets connections: RESTART, client-vpn.md C3/C6)
 *   a client gets its address                  ->  a connection record (active, CN, address)
 *   every SVC_CVPN_POLL_MS                     ->  bytes and packets into the records
 *   a client is gone                           ->  its record terminated, with the reason
 *
 * Forwarding (the ovpn authorize hook, per packet): a client may send to a destination only
 * when an endpoint route covers it and the authorization rules allow it (E3: default deny,
 * longest prefix, 0.0.0.0/0 last). Toward the target network the client's source becomes
 * the server's address on the outgoing interface (B2e): one nftables table
 * `ip gatehouse-cvpn` (libnftables) masquerades each client CIDR leaving by any interface but
 * the endpoint's TUN. One daemon per network namespace owns that table.
 *
 * Listening: each endpoint takes an address of cfg.listen (the configuration's
 * client-vpn-address), the first no other endpoint with the same transport and port uses, and
 * keeps it (stored with the endpoint); with no addresses configured, the any-address.
 * Certificates reach the server as files under DATA_DIR/cvpn/ (0600) that exist only while
 * the server reads them.
 *
 * Threads: the loop's. Ownership: borrows loop and store; free before them.
 */
#ifndef GH_SVC_SVC_CVPN_H
#define GH_SVC_SVC_CVPN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

struct ev_loop;
struct store;
struct svc_cvpn;

#define SVC_CVPN_POLL_MS 1000 /* counters -> DescribeClientVpnConnections */
#define SVC_CVPN_SYNC_MS 5000 /* resync without an API change (timed transitions, retries) */
#define SVC_CVPN_HOUR_S 3600  /* one hour of SessionTimeoutHours */
#define SVC_CVPN_ADDRS_MAX 64 /* CONF_POOL_MAX */

struct svc_cvpn_config {
	struct ev_loop *loop;
	struct store *store;
	const char *data_dir; /* materials go to DATA_DIR/cvpn/ */
	const char *region;
	const char *account;
	struct addr listen[SVC_CVPN_ADDRS_MAX]; /* none: the any-address */
	size_t nlisten;
	uint32_t hour_s; /* 0: SVC_CVPN_HOUR_S (tests shorten it) */
};

/* Marks the records a previous run left active as terminated, then syncs. E_NOMEM, E_INVAL. */
RESULT svc_cvpn_new(const struct svc_cvpn_config *cfg, struct svc_cvpn **out);
/* Stops every server (without notifying clients) and removes the nftables table. */
void svc_cvpn_free(struct svc_cvpn *s);
/* Reconcile the servers with the store now (after an API change). */
void svc_cvpn_sync(struct svc_cvpn *s);
/* Write changed counters of live connections to the store now; returns records written. */
size_t svc_cvpn_poll(struct svc_cvpn *s);

#endif
