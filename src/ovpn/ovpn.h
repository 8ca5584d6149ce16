/*
 * ovpn.h - the OpenVPN 2.x-compatible server (AWS Client VPN endpoint data/control protocol).
 *
 * One struct ovpn_server per endpoint: a UDP or TCP listener, a TUN device, a client address
 * pool, TLS (mutual certificate authentication) on the control channel and AEAD on the data
 * channel. Everything runs on the caller's event loop (src/lib/ev.h): every function here must
 * be called from the loop's thread. Hooks are called on that thread too.
 *
 * Lifecycle: ovpn_config_defaults() -> fill in -> ovpn_server_new() (opens sockets, TUN and
 * reads certificates: needs CAP_NET_ADMIN) -> run the loop -> ovpn_server_free().
 * Errors from ovpn_server_new: E_INVAL (bad config), E_OVPN_TLS (certificate/key/CA/CRL
 * unreadable or mismatched), E_SYSTEM (socket/bind), E_TUN / E_TUN_NETLINK (TUN device).
 */
#ifndef GH_OVPN_OVPN_H
#define GH_OVPN_OVPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"
#include "ovpn/ovpn_data.h"

struct ev_loop;
struct ovpn_server;

enum ovpn_proto {
	OVPN_PROTO_UDP,
	OVPN_PROTO_TCP,
};

#define OVPN_MAX_ROUTES 256
#define OVPN_MAX_DNS 4
#define OVPN_CN_LEN 64

/* A connected client, as reported to hooks and ovpn_server_clients(). */
struct ovpn_client_info {
	uint32_t peer_id;
	char common_name[OVPN_CN_LEN + 1];
	struct addr vpn_addr;    /* from the client CIDR */
	struct addr remote_addr; /* outer source */
	uint16_t remote_port;
	enum ovpn_cipher cipher;
	bool ekm; /* data keys from TLS-EKM (else legacy PRF) */
	uint64_t bytes_in, bytes_out, packets_in, packets_out; /* inner packets */
	uint64_t connected_ms; /* clock_mono_ms() when the client got its address */
	char version[32];      /* IV_VER */
};

struct ovpn_hooks {
	void *arg;
	/* Client -> network packet to dst: allowed? NULL = allow all. Called per packet. */
	bool (*authorize)(void *arg, const struct ovpn_client_info *c, const struct addr *dst);
	void (*connected)(void *arg, const struct ovpn_client_info *c);
	void (*disconnected)(void *arg, const struct ovpn_client_info *c, const char *reason);
};

struct ovpn_config {
	enum ovpn_proto proto;
	struct addr listen_addr;    /* family AF_INET or AF_INET6; any-address by default */
	uint16_t port;              /* 0 = ephemeral (ovpn_server_port tells) */
	const char *cert_path;      /* server certificate (chain) PEM */
	const char *key_path;       /* server private key PEM */
	const char *ca_path;        /* CA(s) that sign client certificates */
	const char *crl_path;       /* optional CRL PEM; NULL = no CRL check */
	const char *tls_crypt_path; /* optional tls-crypt v1 static key; NULL = plain control */
	struct prefix client_cidr;  /* IPv4; the server takes the first host address */
	struct prefix routes[OVPN_MAX_ROUTES]; /* pushed as "route" */
	size_t n_routes;
	struct addr dns[OVPN_MAX_DNS]; /* pushed as "dhcp-option DNS" */
	size_t n_dns;
	bool split_tunnel;  /* false: push "redirect-gateway def1" */
	char ciphers[128];  /* data-ciphers, ':'-separated, server preference order */
	uint32_t reneg_sec; /* server-driven renegotiation; 0 = off */
	uint32_t ping_sec;  /* pushed "ping"; the server pings as well */
	uint32_t ping_restart_sec;
	uint32_t hand_window_sec; /* TLS handshake must finish within it (default 60) */
	uint32_t tran_window_sec; /* old key kept after a renegotiation (default 60) */
	char tun_name[16];        /* "" = kernel picks */
	uint32_t tun_mtu;
	unsigned max_clients;
	bool no_ekm; /* never use TLS-EKM: legacy TLS1-PRF keys (pre-2.6 peers, tests) */
	struct ovpn_hooks hooks;
};

/* Port 1194/udp, data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305, reneg-sec 3600,
 * ping 10, ping-restart 120, hand-window 60, tran-window 60, tun-mtu 1500, 1024 clients.
 * The *_path strings are read only inside ovpn_server_new(). */
void ovpn_config_defaults(struct ovpn_config *cfg);

RESULT ovpn_server_new(struct ev_loop *loop, const struct ovpn_config *cfg,
                       struct ovpn_server **out);
void ovpn_server_free(struct ovpn_server *srv);

/* Bound port (useful with port 0) and TUN device name. */
uint16_t ovpn_server_port(const struct ovpn_server *srv);
const char *ovpn_server_tun_name(const struct ovpn_server *srv);

/* Snapshot of connected clients; returns how many were written (at most cap). */
size_t ovpn_server_clients(const struct ovpn_server *srv, struct ovpn_client_info *out, size_t cap);
/* Terminate a client: "HALT,<reason>" over the control channel (the stock client exits and
 * does not reconnect), state freed 3 s later (retransmissions). E_NOTFOUND if unknown. */
RESULT ovpn_server_client_kill(struct ovpn_server *srv, uint32_t peer_id, const char *reason);

#endif
