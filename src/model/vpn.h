/*
 * model/vpn.h - a Site-to-Site VPN connection: the resource the EC2 API creates, the store
 * keeps (as JSON) and the engine runs (as two struct model_tunnel).
 *
 * site-to-site.md section 1.5 (connection), 1.6 (tunnels), 1.7 (static routes), section 2
 * (options); ec2-api.md VpnConnection / VpnConnectionOptions / TunnelOption / VgwTelemetry.
 *
 * Plain data, no I/O. Not thread-safe: one owner at a time (the API thread builds it, the store
 * persists it, the engine receives model_tunnel copies). The PSKs inside are secrets: free a
 * connection with model_vpn_wipe() when it held real keys.
 */
#ifndef GH_MODEL_VPN_H
#define GH_MODEL_VPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"
#include "model/tunnel.h"

#define MODEL_ID_MAX 32          /* "vpn-0123456789abcdef0", "tgw-attach-0123456789abcdef0" fit */
#define MODEL_VPN_TUNNELS 2      /* always two (G:317) */
#define MODEL_VPN_ROUTES_MAX 100 /* static routes per VPN on a VGW (G:5628) */
#define MODEL_VPN_TAGS_MAX 50    /* EC2 tags per resource */
#define MODEL_TAG_KEY_MAX 127
#define MODEL_TAG_VALUE_MAX 256
#define MODEL_STATUS_MSG_MAX 128
#define MODEL_VPN_PER_REGION_MAX 50   /* G:5602 */
#define MODEL_VPN_PER_VGW_MAX 10      /* G:5603 */
#define MODEL_VPN_ACCELERATED_MAX 10  /* G:5604 */
#define MODEL_VPN_UNASSOCIATED_MAX 10 /* G:5605 */
#define MODEL_VPN_TYPE "ipsec.1"
#define MODEL_VPN_CATEGORY "VPN"

/* VpnState (ec2-api.md section 7). */
enum model_vpn_state {
	MODEL_VPN_PENDING = 0,
	MODEL_VPN_AVAILABLE,
	MODEL_VPN_DELETING,
	MODEL_VPN_DELETED,
};

enum model_outside_ip_type {
	MODEL_OUTSIDE_PUBLIC_IPV4 = 0, /* "PublicIpv4", default */
	MODEL_OUTSIDE_PRIVATE_IPV4,    /* "PrivateIpv4" */
	MODEL_OUTSIDE_IPV6,            /* "Ipv6" */
};

enum model_tunnel_bandwidth {
	MODEL_BANDWIDTH_STANDARD = 0, /* "standard", default */
	MODEL_BANDWIDTH_LARGE,        /* "large": TGW / Cloud WAN only */
};

/* VpnConnectionOptions. */
struct model_vpn_options {
	bool static_routes_only;
	bool enable_acceleration;       /* TGW only, immutable (G:799, G:801) */
	bool tunnel_inside_ipv6;        /* TunnelInsideIpVersion ipv6: TGW only (G:899) */
	struct prefix local_ipv4_cidr;  /* customer side, default 0.0.0.0/0 */
	struct prefix remote_ipv4_cidr; /* AWS side, default 0.0.0.0/0 */
	struct prefix local_ipv6_cidr;  /* default ::/0, IPv6 connections only */
	struct prefix remote_ipv6_cidr;
	enum model_outside_ip_type outside_ip_type;
	char transport_attachment_id[MODEL_ID_MAX]; /* PrivateIpv4 only */
	enum model_tunnel_bandwidth tunnel_bandwidth;
};

/* One tunnel: where it terminates on our side, its options, what the engine reports. */
struct model_vpn_tunnel {
	struct addr outside_ip; /* our outside address; unique, identifies the tunnel */
	struct model_tunnel_options opt;
	/* VgwTelemetry: DOWN until the engine reports. */
	bool up;
	int64_t last_status_change_s; /* wall clock */
	char status_message[MODEL_STATUS_MSG_MAX];
	uint32_t accepted_route_count;
	/* Tunnel endpoint lifecycle control (G:614-762). */
	bool pending_maintenance;
	int64_t maintenance_auto_applied_after_s; /* 0 = none */
	int64_t last_maintenance_applied_s;       /* 0 = never */
};

struct model_vpn_route {
	struct prefix cidr;
	enum model_vpn_state state;
};

struct model_tag {
	char key[MODEL_TAG_KEY_MAX + 1];
	char value[MODEL_TAG_VALUE_MAX + 1];
};

struct model_vpn_connection {
	char id[MODEL_ID_MAX];
	enum model_vpn_state state;
	char cgw_id[MODEL_ID_MAX];
	char vgw_id[MODEL_ID_MAX]; /* exactly one of vgw_id / tgw_id, or none ("not associated") */
	char tgw_id[MODEL_ID_MAX];
	int64_t created_s;
	int64_t state_changed_s; /* drives pending -> available and deleted -> gone */
	struct model_vpn_options opt;
	struct model_vpn_tunnel tunnels[MODEL_VPN_TUNNELS];
	struct model_vpn_route routes[MODEL_VPN_ROUTES_MAX];
	size_t nroutes;
	struct model_tag tags[MODEL_VPN_TAGS_MAX];
	size_t ntags;
};

/* Defaults: state pending, options as documented (0.0.0.0/0, ::/0, PublicIpv4, standard),
 * both tunnels with model_tunnel_options_default(). No ids, no addresses, no PSKs. */
void model_vpn_init(struct model_vpn_connection *c);
/* Wipe the PSKs (and everything else). */
void model_vpn_wipe(struct model_vpn_connection *c);

const char *model_vpn_state_name(enum model_vpn_state s);
RESULT model_vpn_state_parse(const char *s, enum model_vpn_state *out);
const char *model_outside_ip_type_name(enum model_outside_ip_type t);
RESULT model_outside_ip_type_parse(const char *s, enum model_outside_ip_type *out);
const char *model_tunnel_bandwidth_name(enum model_tunnel_bandwidth b);
RESULT model_tunnel_bandwidth_parse(const char *s, enum model_tunnel_bandwidth *out);

/*
 * Connection-level rules (site-to-site.md section 1.5, 4.5): IPv6 inside and acceleration
 * only on a TGW, PrivateIpv4 needs a transport attachment and no acceleration, the network
 * CIDRs must be of the connection's IP version. Then each tunnel's options
 * (model_tunnel_options_validate with cgw_has_ip), and the two tunnels' inside CIDRs differ.
 */
RESULT model_vpn_validate(const struct model_vpn_connection *c, bool cgw_has_ip,
                          struct model_err *e);

/*
 * Fill what the user did not give: a PSK per tunnel (distinct), an inside /30 per tunnel
 * (distinct, not in used_v4[0..n4)), and for IPv6 connections a /126 per tunnel (not in
 * used_v6). used_* are the inside CIDRs of the other connections on the same gateway.
 */
RESULT model_vpn_fill_generated(struct model_vpn_connection *c, const struct prefix *used_v4,
                                size_t n4, const struct prefix *used_v6, size_t n6);

/* The tunnel whose outside address is `outside` (text), or -1. */
int model_vpn_tunnel_by_outside(const struct model_vpn_connection *c, const char *outside);

/*
 * Build the engine's view of tunnel `index` (1 or 2): vpn id, our outside address, the
 * customer gateway's address (family 0 when the CGW has none), local/remote networks
 * (IPv4 or IPv6 per the connection), options. Plain copy: the caller wipes out->opt.psk.
 */
void model_vpn_tunnel_build(const struct model_vpn_connection *c, unsigned index,
                            const struct addr *cgw_ip, struct model_tunnel *out);

/* Static routes (VGW static-routes-only connections). E_EXISTS, E_NOTFOUND, E_RANGE (quota). */
RESULT model_vpn_route_add(struct model_vpn_connection *c, const struct prefix *p);
RESULT model_vpn_route_del(struct model_vpn_connection *c, const struct prefix *p);

/*
 * JSON for the store (json-c). Everything, PSKs included (the store file is the daemon's
 * private state). encode returns a malloc'd NUL-terminated string (free() it, after
 * secret_wipe). decode validates types and values; E_PARSE on anything malformed.
 */
RESULT model_vpn_to_json(const struct model_vpn_connection *c, char **out);
RESULT model_vpn_from_json(const char *json, size_t len, struct model_vpn_connection *out);

#endif
