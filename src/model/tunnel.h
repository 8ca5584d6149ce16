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
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

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

/*
 * ---- Functions on the tunnel options (model/tunnel.c, tunnel_check.c, inside.c) ----
 *
 * Pure functions, no I/O, no global state: any thread may call them. Validation failures
 * return E_MODEL_INVALID (or E_MODEL_IN_USE / E_MODEL_EXHAUSTED) and fill a struct model_err
 * with the EC2 error code and a message meant for the API user.
 */

#define MODEL_PHASE1_LIFETIME_MIN_S 900
#define MODEL_PHASE1_LIFETIME_MAX_S 28800
#define MODEL_PHASE1_LIFETIME_DEFAULT_S 28800
#define MODEL_PHASE2_LIFETIME_MIN_S 900
#define MODEL_PHASE2_LIFETIME_MAX_S 3600
#define MODEL_PHASE2_LIFETIME_DEFAULT_S 3600
#define MODEL_REKEY_MARGIN_MIN_S 60 /* max: phase 2 lifetime / 2 */
#define MODEL_REKEY_MARGIN_DEFAULT_S 270
#define MODEL_REKEY_FUZZ_MAX_PCT 100
#define MODEL_REKEY_FUZZ_DEFAULT_PCT 100
#define MODEL_REPLAY_WINDOW_MIN 64
#define MODEL_REPLAY_WINDOW_MAX 2048
#define MODEL_REPLAY_WINDOW_DEFAULT 1024
#define MODEL_DPD_TIMEOUT_MIN_S 30
#define MODEL_DPD_TIMEOUT_MAX_S 2147483647u /* EC2 "integer"; the guide gives no maximum */
#define MODEL_DPD_TIMEOUT_DEFAULT_S 40      /* site-to-site.md section 2 #19 (not the older 30) */
#define MODEL_PSK_MIN 8
#define MODEL_PSK_GENERATED_LEN 32
#define MODEL_LOG_GROUP_ARN_MAX 255

/* Allowed DH groups (site-to-site.md section 2 #7, #8): phase 1 2, 14-24; phase 2 2, 5, 14-24. */
#define MODEL_DH_14_24 (0x7ffu << 14)
#define MODEL_PHASE1_DH_ALLOWED (MODEL_DH_MASK(2) | MODEL_DH_14_24)
#define MODEL_PHASE2_DH_ALLOWED (MODEL_DH_MASK(2) | MODEL_DH_MASK(5) | MODEL_DH_14_24)
#define MODEL_ENCR_ALL ((1u << MODEL_ENCR__COUNT) - 1)
#define MODEL_INTEG_ALL ((1u << MODEL_INTEG__COUNT) - 1)
#define MODEL_IKE_ALL (MODEL_IKE_V1 | MODEL_IKE_V2)

/* EC2 error codes the model produces (ec2-api.md section 4). */
#define MODEL_EC2_INVALID_VALUE "InvalidParameterValue"
#define MODEL_EC2_INVALID_COMBINATION "InvalidParameterCombination"
#define MODEL_EC2_CIDR_IN_USE "InvalidCidr.InUse"

/* Why a value was refused: the EC2 error code and a user-facing message. */
struct model_err {
	const char *code; /* static string, e.g. MODEL_EC2_INVALID_VALUE */
	char msg[320];
};

/* Fill e (may be NULL) and return rc. printf-style message. */
result_t model_err_set(struct model_err *e, result_t rc, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Context for the rules that depend on the connection (site-to-site.md section 2 #20, #21). */
struct model_tunnel_ctx {
	bool cgw_has_ip;  /* startup action "start" needs the customer gateway's address */
	bool accelerated; /* accelerated VPNs: the CGW must initiate (G:803) */
};

/* The guide's default for every option; no PSK and no inside CIDR (those are generated). */
void model_tunnel_options_default(struct model_tunnel_options *o);

/*
 * Every rule of site-to-site.md section 2 on a complete set of options: ranges, non-empty
 * algorithm sets within the allowed values, the inside CIDR (/30 in 169.254.0.0/16, not
 * reserved), the IPv6 /126 in fd00::/8, the PSK, phase 2 lifetime < phase 1 lifetime
 * (docs/decisions.md), 60 <= rekey margin <= phase 2 / 2, startup "start" only with the CGW
 * address and IKEv2, and not on accelerated connections, DPD "restart" not on accelerated ones.
 * ctx may be NULL (no connection-level checks). Uniqueness across connections is separate
 * (model_inside_cidr_unique).
 */
RESULT model_tunnel_options_validate(const struct model_tunnel_options *o,
				     const struct model_tunnel_ctx *ctx, struct model_err *e);

/*
 * Set one option from its EC2 text form, by its EC2 member name ("Phase1LifetimeSeconds",
 * "DPDTimeoutAction", "TunnelInsideCidr", "PreSharedKey", "LogOptions.CloudWatchLogOptions.
 * LogEnabled", "EnableTunnelLifecycleControl", ...). Checks the option's own range/syntax;
 * relations between options are left to model_tunnel_options_validate.
 * E_NOTFOUND for a name that is not a scalar tunnel option.
 */
RESULT model_tunnel_option_set(struct model_tunnel_options *o, const char *name,
			       const char *value, struct model_err *e);
/*
 * Set a list option (replaces the set). Name is the member name ("Phase1EncryptionAlgorithms",
 * "Phase2DHGroupNumbers", "IKEVersions", ...) or the wire name ("Phase1EncryptionAlgorithm",
 * "IKEVersion", ...). An empty list is refused ("one or more" values, G:361).
 */
RESULT model_tunnel_option_set_list(struct model_tunnel_options *o, const char *name,
				    const char *const *values, size_t n, struct model_err *e);

/* The EC2 member names model_tunnel_option_set accepts (scalar options), and the wire names
 * of the list options ("Phase1EncryptionAlgorithm", ... : on the wire "<name>.N.Value"). */
const char *const *model_tunnel_scalar_names(size_t *n);
const char *const *model_tunnel_list_wire_names(size_t *n);

/* Exact API spellings. _name returns NULL for an out-of-range value. _parse is exact for
 * algorithm names, case-insensitive for actions and IKE versions (docs/decisions.md). */
const char *model_encr_name(enum model_encr v);
RESULT model_encr_parse(const char *s, enum model_encr *out);
const char *model_integ_name(enum model_integ v);
RESULT model_integ_parse(const char *s, enum model_integ *out);
const char *model_dpd_action_name(enum model_dpd_action v);
RESULT model_dpd_action_parse(const char *s, enum model_dpd_action *out);
const char *model_startup_action_name(enum model_startup_action v);
RESULT model_startup_action_parse(const char *s, enum model_startup_action *out);
/* "ikev1" / "ikev2" for MODEL_IKE_V1 / MODEL_IKE_V2. */
const char *model_ike_version_name(uint32_t bit);
RESULT model_ike_version_parse(const char *s, uint32_t *bit);
/* "json" / "text". */
const char *model_log_format_name(bool text);

/* PSK rules (G:475): 8-64 characters of [A-Za-z0-9._], not starting with '0'. */
RESULT model_psk_check(const char *psk, struct model_err *e);
/* 32 alphanumeric characters from the CSPRNG, first one not '0' (G:477). E_CRYPTO. */
RESULT model_psk_generate(char out[MODEL_PSK_MAX + 1]);

/* Inside IPv4 CIDR (G:365-383). */
bool model_inside_cidr_reserved(const struct prefix *p);
RESULT model_inside_cidr_check(const struct prefix *p, struct model_err *e);
RESULT model_inside_cidr_parse(const char *s, struct prefix *out, struct model_err *e);
/* E_MODEL_IN_USE (InvalidCidr.InUse) when p equals or overlaps one of used[0..n). */
RESULT model_inside_cidr_unique(const struct prefix *p, const struct prefix *used, size_t n,
				struct model_err *e);
/* A random free /30: not reserved, not overlapping used[0..n). E_MODEL_EXHAUSTED, E_CRYPTO. */
RESULT model_inside_cidr_allocate(const struct prefix *used, size_t n, struct prefix *out);
/* The /30's addresses: AWS side = first host, customer gateway = second (G:1555). */
void model_inside_addrs(const struct prefix *p, struct addr *aws, struct addr *cgw);

/* Inside IPv6 CIDR: /126 in fd00::/8 (G:385-389). */
RESULT model_inside_ipv6_cidr_check(const struct prefix *p, struct model_err *e);
RESULT model_inside_ipv6_cidr_parse(const char *s, struct prefix *out, struct model_err *e);
RESULT model_inside_ipv6_cidr_allocate(const struct prefix *used, size_t n, struct prefix *out);

#endif
