/*
 * model/tunnel.h - the tunnel options of one Site-to-Site VPN tunnel, as the EC2 API, the
 * configuration file and the tunnel engine all see them (one configuration model).
 *
 * Values and ranges are the guide's (../shared/spec/site-to-site.md section 2). The API
 * validates and stores these; the engine consumes them. Algorithm sets are bit masks over the
 * enums below so "which of the allowed values" is one field.
 */
#ifndef GH_MODEL_TUNNEL_H
#define GH_MODEL_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"

/* Phase 1/2 encryption algorithms: "AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16". */
enum model_encr {
	MODEL_ENCR_AES128 = 0,
	MODEL_ENCR_AES256 = 1,
	MODEL_ENCR_AES128_GCM16 = 2,
	MODEL_ENCR_AES256_GCM16 = 3,
	MODEL_ENCR__COUNT
};

/* Phase 1/2 integrity algorithms: "SHA1", "SHA2-256", "SHA2-384", "SHA2-512". */
enum model_integ {
	MODEL_INTEG_SHA1 = 0,
	MODEL_INTEG_SHA2_256 = 1,
	MODEL_INTEG_SHA2_384 = 2,
	MODEL_INTEG_SHA2_512 = 3,
	MODEL_INTEG__COUNT
};

enum model_dpd_action {
	MODEL_DPD_CLEAR = 0, /* default */
	MODEL_DPD_NONE,
	MODEL_DPD_RESTART,
};

enum model_startup_action {
	MODEL_STARTUP_ADD = 0, /* default: the customer gateway initiates */
	MODEL_STARTUP_START,   /* we initiate (IKEv2 only, needs the CGW address) */
};

#define MODEL_IKE_V1 (1u << 0)
#define MODEL_IKE_V2 (1u << 1)

#define MODEL_PSK_MAX 64

/* Bit n set = DH group n allowed. Phase 1: 2, 14-24; phase 2: 2, 5, 14-24. */
#define MODEL_DH_MASK(n) (1u << (n))

struct model_tunnel_options {
	struct prefix inside_cidr;      /* /30 in 169.254.0.0/16; we take the first host */
	struct prefix inside_ipv6_cidr; /* /126 in fd00::/8, when has_inside_ipv6 */
	bool has_inside_ipv6;
	char psk[MODEL_PSK_MAX + 1]; /* 8-64 chars, alnum . _, not starting with 0 */
	uint32_t phase1_lifetime_s;  /* 900-28800, default 28800 */
	uint32_t phase2_lifetime_s;  /* 900-3600, default 3600 */
	uint32_t rekey_margin_s;     /* 60-phase2/2, default 270 */
	uint32_t rekey_fuzz_pct;     /* 0-100, default 100 */
	uint32_t replay_window;      /* 64-2048 packets, default 1024 */
	uint32_t dpd_timeout_s;      /* >= 30, default 40 */
	enum model_dpd_action dpd_action;
	enum model_startup_action startup_action;
	uint32_t phase1_encr;  /* mask of 1u << enum model_encr */
	uint32_t phase2_encr;
	uint32_t phase1_integ; /* mask of 1u << enum model_integ */
	uint32_t phase2_integ;
	uint32_t phase1_dh;    /* mask of MODEL_DH_MASK(group) */
	uint32_t phase2_dh;
	uint32_t ike_versions; /* MODEL_IKE_V1 | MODEL_IKE_V2 */
	bool log_enabled;
	char log_group_arn[256];
	bool log_format_text; /* false: json */
	bool lifecycle_control;
};

/* One tunnel as the engine runs it: the options plus where it lives. */
struct model_tunnel {
	char vpn_id[32];           /* "vpn-..." (or a name from the config file) */
	unsigned index;            /* 1 or 2 */
	struct addr outside_local; /* our outside address */
	struct addr outside_remote; /* the customer gateway's; family 0 when unknown */
	struct prefix local_net;   /* customer side ("Local IPv4 Network CIDR"), default 0/0 */
	struct prefix remote_net;  /* AWS side ("Remote IPv4 Network CIDR"), default 0/0 */
	struct model_tunnel_options opt;
};

#endif
