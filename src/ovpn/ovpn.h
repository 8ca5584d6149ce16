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
	/* Called once for every client `connected` announced, when it is gone (exit notify,
	 * ping-restart, kill, session timeout, TCP close, replaced by a new session from the same
	 * address), after it left ovpn_server_clients() and before its peer-id and address can
	 * be given to another client. Not called by ovpn_server_free(). A hook may call
	 * ovpn_server_client_kill/kill_all/clients, never ovpn_server_free(). */
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
	/* Session timeout (client-vpn.md B13, like openvpn --session-timeout): a client is ended
	 * this long after it got its address; 0 = never. session_restart: end it with RESTART
	 * (the stock client reconnects: DisconnectOnSessionTimeout=false) instead of HALT. */
	uint32_t session_timeout_sec;
	bool session_restart;
	struct ovpn_hooks hooks;
};

/* How a server-side end of a session reaches the stock client: HALT (it exits and does not
 * reconnect) or RESTART (it reconnects at once, e.g. after a reset). */
enum ovpn_kill_mode {
	OVPN_KILL_HALT,
	OVPN_KILL_RESTART,
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

/* Snapshot of connected clients (from the connected hook until the disconnected hook, so a
 * killed client is listed during its grace time); returns how many were written (<= cap). */
size_t ovpn_server_clients(const struct ovpn_server *srv, struct ovpn_client_info *out, size_t cap);
/* Terminate a client: "HALT,<reason>" or "RESTART,<reason>" over the control channel, state
 * freed 3 s later (retransmissions); the disconnected hook runs then (never inside this
 * call), with this reason (also when the client's EXIT or TCP close comes first). Without a
 * usable control channel yet (a handshake in progress) the session just ends. Non-printable
 * characters in reason are sent as '?'. E_NOTFOUND if unknown or already being ended. */
RESULT ovpn_server_client_kill(struct ovpn_server *srv, uint32_t peer_id, enum ovpn_kill_mode how,
                               const char *reason);
/* Every client, as above (client-vpn.md C3 "resets connections"), sessions still in their
 * handshake included. Returns how many connected clients (announced by the hook and not
 * already being ended) it ended. */
size_t ovpn_server_kill_all(struct ovpn_server *srv, enum ovpn_kill_mode how, const char *reason);
/* Apply a new configuration without dropping anyone: new TLS material (cert, key, CA, CRL)
 * for handshakes from now on, and new pushed options, ciphers, timers and session timeout
 * for clients that connect from now on. proto, listen_addr, port, client_cidr, tun_name,
 * tun_mtu and max_clients must be unchanged (E_INVAL; port 0 / tun_name "" / max_clients 0
 * also match what new() made of them); a bad data-ciphers list or missing cert/key/CA path
 * is E_INVAL too. On E_OVPN_TLS (unreadable/mismatched material) and on every other error the
 * old configuration stays whole. The *_path strings are read only inside this call; the hooks
 * stay those given to ovpn_server_new() (cfg->hooks is ignored). Connected clients are left
 * alone: reset them with ovpn_server_kill_all() if the change calls for it. Their later
 * renegotiations are TLS handshakes too and use the new material (as in openvpn, a client
 * revoked by a new CRL fails its next renegotiation and cannot come back). Exception: the
 * tls-crypt key (on/off or a new key) wraps every control packet, so it changes for
 * connected clients at once too; their control channel (renegotiation, EXIT) fails until
 * they reconnect: reset them with kill_all(RESTART) after changing it. */
RESULT ovpn_server_reconfigure(struct ovpn_server *srv, const struct ovpn_config *cfg);

#endif
