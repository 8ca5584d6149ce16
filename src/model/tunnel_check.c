/*
 * model/tunnel_check.c - setting tunnel options from their EC2 text form, and the rules
 * between them (site-to-site.md section 2; decisions in docs/decisions.md).
 *
 * One table describes every scalar option: its EC2 member name, where it lives and its range.
 * The setters and the validator both read it, so a range is written down once.
 */
#include "model/tunnel.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_kind {
	OPT_U32,
	OPT_INSIDE_CIDR,
	OPT_INSIDE_IPV6_CIDR,
	OPT_PSK,
	OPT_DPD_ACTION,
	OPT_STARTUP_ACTION,
	OPT_LOG_ENABLED,
	OPT_LOG_ARN,
	OPT_LOG_FORMAT,
	OPT_LIFECYCLE,
};

struct opt_desc {
	const char *name; /* EC2 member name (VpnTunnelOptionsSpecification) */
	enum opt_kind kind;
	size_t off; /* OPT_U32: offset of the uint32_t */
	uint32_t min, max;
};

#define U32(name, field, lo, hi)                                                                   \
	{                                                                                          \
		name, OPT_U32, offsetof(struct model_tunnel_options, field), lo, hi                \
	}

static const struct opt_desc scalar_opts[] = {
    U32("Phase1LifetimeSeconds", phase1_lifetime_s, MODEL_PHASE1_LIFETIME_MIN_S,
        MODEL_PHASE1_LIFETIME_MAX_S),
    U32("Phase2LifetimeSeconds", phase2_lifetime_s, MODEL_PHASE2_LIFETIME_MIN_S,
        MODEL_PHASE2_LIFETIME_MAX_S),
    /* The upper bound (phase 2 / 2) is a relation, checked in the validator. */
    U32("RekeyMarginTimeSeconds", rekey_margin_s, MODEL_REKEY_MARGIN_MIN_S,
        MODEL_PHASE2_LIFETIME_MAX_S / 2),
    U32("RekeyFuzzPercentage", rekey_fuzz_pct, 0, MODEL_REKEY_FUZZ_MAX_PCT),
    U32("ReplayWindowSize", replay_window, MODEL_REPLAY_WINDOW_MIN, MODEL_REPLAY_WINDOW_MAX),
    U32("DPDTimeoutSeconds", dpd_timeout_s, MODEL_DPD_TIMEOUT_MIN_S, MODEL_DPD_TIMEOUT_MAX_S),
    {"TunnelInsideCidr", OPT_INSIDE_CIDR, 0, 0, 0},
    {"TunnelInsideIpv6Cidr", OPT_INSIDE_IPV6_CIDR, 0, 0, 0},
    {"PreSharedKey", OPT_PSK, 0, 0, 0},
    {"DPDTimeoutAction", OPT_DPD_ACTION, 0, 0, 0},
    {"StartupAction", OPT_STARTUP_ACTION, 0, 0, 0},
    {"LogOptions.CloudWatchLogOptions.LogEnabled", OPT_LOG_ENABLED, 0, 0, 0},
    {"LogOptions.CloudWatchLogOptions.LogGroupArn", OPT_LOG_ARN, 0, 0, 0},
    {"LogOptions.CloudWatchLogOptions.LogOutputFormat", OPT_LOG_FORMAT, 0, 0, 0},
    {"EnableTunnelLifecycleControl", OPT_LIFECYCLE, 0, 0, 0},
};

#define NSCALAR (sizeof(scalar_opts) / sizeof(scalar_opts[0]))

static uint32_t *opt_u32(struct model_tunnel_options *o, const struct opt_desc *d)
{
	return (uint32_t *)((char *)o + d->off);
}

static uint32_t opt_u32_get(const struct model_tunnel_options *o, const struct opt_desc *d)
{
	return *(const uint32_t *)((const char *)o + d->off);
}

static result_t u32_range_err(const struct opt_desc *d, const char *shown, struct model_err *e)
{
	if (d->max == MODEL_DPD_TIMEOUT_MAX_S)
		return model_err_set(
		    e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		    "Invalid value '%s' for %s: it must be an integer greater than "
		    "or equal to %u.",
		    shown, d->name, d->min);
	return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
	                     "Invalid value '%s' for %s: it must be an integer between %u and %u.",
	                     shown, d->name, d->min, d->max);
}

static result_t set_u32(struct model_tunnel_options *o, const struct opt_desc *d, const char *v,
                        struct model_err *e)
{
	char *end;
	unsigned long long n;

	if (v[0] < '0' || v[0] > '9' || strlen(v) > 10)
		return u32_range_err(d, v, e);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end || errno || n < d->min || n > d->max)
		return u32_range_err(d, v, e);
	*opt_u32(o, d) = (uint32_t)n;
	return E_OK;
}

static result_t parse_bool(const char *name, const char *v, bool *out, struct model_err *e)
{
	if (strcasecmp(v, "true") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0)
		*out = false;
	else
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Invalid value '%.64s' for %s: expected true or false.", v,
		                     name);
	return E_OK;
}

static result_t set_enum(struct model_tunnel_options *o, const struct opt_desc *d, const char *v,
                         struct model_err *e)
{
	if (d->kind == OPT_DPD_ACTION) {
		if (model_dpd_action_parse(v, &o->dpd_action) == E_OK)
			return E_OK;
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Invalid value '%.64s' for DPDTimeoutAction. Valid values: "
		                     "clear | none | restart.",
		                     v);
	}
	if (d->kind == OPT_STARTUP_ACTION) {
		if (model_startup_action_parse(v, &o->startup_action) == E_OK)
			return E_OK;
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Invalid value '%.64s' for StartupAction. Valid values: "
		                     "add | start.",
		                     v);
	}
	/* OPT_LOG_FORMAT */
	if (strcasecmp(v, "json") == 0 || strcasecmp(v, "text") == 0) {
		o->log_format_text = strcasecmp(v, "text") == 0;
		return E_OK;
	}
	return model_err_set(
	    e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
	    "Invalid value '%.64s' for LogOutputFormat. Valid values: json | text.", v);
}

static result_t set_log_arn(struct model_tunnel_options *o, const char *v, struct model_err *e)
{
	if (strlen(v) > MODEL_LOG_GROUP_ARN_MAX || (v[0] && strncmp(v, "arn:", 4) != 0))
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Invalid value for LogGroupArn: expected the ARN of a "
		                     "CloudWatch log group (arn:...), at most %d characters.",
		                     MODEL_LOG_GROUP_ARN_MAX);
	snprintf(o->log_group_arn, sizeof(o->log_group_arn), "%s", v);
	return E_OK;
}

static result_t set_scalar(struct model_tunnel_options *o, const struct opt_desc *d, const char *v,
                           struct model_err *e)
{
	switch (d->kind) {
	case OPT_U32:
		return set_u32(o, d, v, e);
	case OPT_INSIDE_CIDR:
		return model_inside_cidr_parse(v, &o->inside_cidr, e);
	case OPT_INSIDE_IPV6_CIDR:
		GUARD(model_inside_ipv6_cidr_parse(v, &o->inside_ipv6_cidr, e));
		o->has_inside_ipv6 = true;
		return E_OK;
	case OPT_PSK:
		GUARD(model_psk_check(v, e));
		snprintf(o->psk, sizeof(o->psk), "%s", v);
		return E_OK;
	case OPT_DPD_ACTION:
	case OPT_STARTUP_ACTION:
	case OPT_LOG_FORMAT:
		return set_enum(o, d, v, e);
	case OPT_LOG_ENABLED:
		return parse_bool("LogEnabled", v, &o->log_enabled, e);
	case OPT_LOG_ARN:
		return set_log_arn(o, v, e);
	case OPT_LIFECYCLE:
		return parse_bool(d->name, v, &o->lifecycle_control, e);
	}
	return E_INVAL;
}

RESULT model_tunnel_option_set(struct model_tunnel_options *o, const char *name, const char *value,
                               struct model_err *e)
{
	for (size_t i = 0; i < NSCALAR; i++)
		if (strcmp(scalar_opts[i].name, name) == 0)
			return set_scalar(o, &scalar_opts[i], value, e);
	return E_NOTFOUND;
}

/* ---- list options ---- */

enum list_kind { LIST_ENCR, LIST_INTEG, LIST_DH, LIST_IKE };

struct list_desc {
	const char *name;      /* member name */
	const char *wire_name; /* ec2 wire name (list element prefix) */
	enum list_kind kind;
	size_t off;
	uint32_t allowed;
	const char *valid; /* for the message */
};

#define DH1_VALID "2 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24"
#define DH2_VALID "2 | 5 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24"
#define ENCR_VALID "AES128 | AES256 | AES128-GCM-16 | AES256-GCM-16"
#define INTEG_VALID "SHA1 | SHA2-256 | SHA2-384 | SHA2-512"
#define OFF(f) offsetof(struct model_tunnel_options, f)

static const struct list_desc list_opts[] = {
    {"Phase1EncryptionAlgorithms", "Phase1EncryptionAlgorithm", LIST_ENCR, OFF(phase1_encr),
     MODEL_ENCR_ALL, ENCR_VALID},
    {"Phase2EncryptionAlgorithms", "Phase2EncryptionAlgorithm", LIST_ENCR, OFF(phase2_encr),
     MODEL_ENCR_ALL, ENCR_VALID},
    {"Phase1IntegrityAlgorithms", "Phase1IntegrityAlgorithm", LIST_INTEG, OFF(phase1_integ),
     MODEL_INTEG_ALL, INTEG_VALID},
    {"Phase2IntegrityAlgorithms", "Phase2IntegrityAlgorithm", LIST_INTEG, OFF(phase2_integ),
     MODEL_INTEG_ALL, INTEG_VALID},
    {"Phase1DHGroupNumbers", "Phase1DHGroupNumber", LIST_DH, OFF(phase1_dh),
     MODEL_PHASE1_DH_ALLOWED, DH1_VALID},
    {"Phase2DHGroupNumbers", "Phase2DHGroupNumber", LIST_DH, OFF(phase2_dh),
     MODEL_PHASE2_DH_ALLOWED, DH2_VALID},
    {"IKEVersions", "IKEVersion", LIST_IKE, OFF(ike_versions), MODEL_IKE_ALL, "ikev1 | ikev2"},
};

#define NLIST (sizeof(list_opts) / sizeof(list_opts[0]))

static bool list_value_bit(const struct list_desc *d, const char *v, uint32_t *bit)
{
	enum model_encr en;
	enum model_integ in;
	char *end;
	unsigned long g;

	switch (d->kind) {
	case LIST_ENCR:
		if (model_encr_parse(v, &en) != E_OK)
			return false;
		*bit = 1u << en;
		return true;
	case LIST_INTEG:
		if (model_integ_parse(v, &in) != E_OK)
			return false;
		*bit = 1u << in;
		return true;
	case LIST_DH:
		if (v[0] < '0' || v[0] > '9' || strlen(v) > 2)
			return false;
		g = strtoul(v, &end, 10);
		if (*end || g > 31)
			return false;
		*bit = MODEL_DH_MASK(g);
		return (*bit & d->allowed) != 0;
	case LIST_IKE:
		return model_ike_version_parse(v, bit) == E_OK;
	}
	return false;
}

RESULT model_tunnel_option_set_list(struct model_tunnel_options *o, const char *name,
                                    const char *const *values, size_t n, struct model_err *e)
{
	const struct list_desc *d = NULL;
	uint32_t mask = 0, bit;

	for (size_t i = 0; i < NLIST && !d; i++)
		if (strcmp(list_opts[i].name, name) == 0 ||
		    strcmp(list_opts[i].wire_name, name) == 0)
			d = &list_opts[i];
	if (!d)
		return E_NOTFOUND;
	if (n == 0)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "%s must contain one or more values. Valid values: %s.",
		                     d->name, d->valid);
	for (size_t i = 0; i < n; i++) {
		if (!list_value_bit(d, values[i], &bit))
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
			                     "Invalid value '%.64s' for %s. Valid values: %s.",
			                     values[i], d->name, d->valid);
		mask |= bit;
	}
	*(uint32_t *)((char *)o + d->off) = mask;
	return E_OK;
}

const char *const *model_tunnel_scalar_names(size_t *n)
{
	/* Same order as scalar_opts (test_model checks each one is accepted). */
	static const char *const names[] = {
	    "Phase1LifetimeSeconds",
	    "Phase2LifetimeSeconds",
	    "RekeyMarginTimeSeconds",
	    "RekeyFuzzPercentage",
	    "ReplayWindowSize",
	    "DPDTimeoutSeconds",
	    "TunnelInsideCidr",
	    "TunnelInsideIpv6Cidr",
	    "PreSharedKey",
	    "DPDTimeoutAction",
	    "StartupAction",
	    "LogOptions.CloudWatchLogOptions.LogEnabled",
	    "LogOptions.CloudWatchLogOptions.LogGroupArn",
	    "LogOptions.CloudWatchLogOptions.LogOutputFormat",
	    "EnableTunnelLifecycleControl",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == NSCALAR, "one name per option");

	*n = NSCALAR;
	return names;
}

const char *const *model_tunnel_list_wire_names(size_t *n)
{
	static const char *const names[] = {
	    "Phase1EncryptionAlgorithm",
	    "Phase2EncryptionAlgorithm",
	    "Phase1IntegrityAlgorithm",
	    "Phase2IntegrityAlgorithm",
	    "Phase1DHGroupNumber",
	    "Phase2DHGroupNumber",
	    "IKEVersion",
	};

	*n = sizeof(names) / sizeof(names[0]);
	return names;
}

/* ---- whole-options validation ---- */

static result_t check_ranges(const struct model_tunnel_options *o, struct model_err *e)
{
	char shown[16];

	for (size_t i = 0; i < NSCALAR; i++) {
		const struct opt_desc *d = &scalar_opts[i];
		uint32_t v;

		if (d->kind != OPT_U32)
			continue;
		v = opt_u32_get(o, d);
		/* The margin's upper bound is the relation below, with its own message. */
		if (v < d->min || (v > d->max && d->off != OFF(rekey_margin_s))) {
			snprintf(shown, sizeof(shown), "%u", v);
			return u32_range_err(d, shown, e);
		}
	}
	for (size_t i = 0; i < NLIST; i++) {
		const struct list_desc *d = &list_opts[i];
		uint32_t m = *(const uint32_t *)((const char *)o + d->off);

		if (m == 0 || (m & ~d->allowed))
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
			                     "%s must contain one or more of: %s.", d->name,
			                     d->valid);
	}
	return E_OK;
}

/* site-to-site.md section 0.1 #5 and #6; the choices are in docs/decisions.md. */
static result_t check_relations(const struct model_tunnel_options *o, struct model_err *e)
{
	uint32_t p1 = o->phase1_lifetime_s, p2 = o->phase2_lifetime_s;

	if (p2 >= p1 && !(p1 == MODEL_PHASE1_LIFETIME_MIN_S && p2 == MODEL_PHASE2_LIFETIME_MIN_S))
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Phase2LifetimeSeconds (%u) must be less than "
		                     "Phase1LifetimeSeconds (%u).",
		                     p2, p1);
	if (o->rekey_margin_s > p2 / 2)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "RekeyMarginTimeSeconds (%u) must be between %u and half of "
		                     "Phase2LifetimeSeconds (%u), i.e. at most %u.",
		                     o->rekey_margin_s, MODEL_REKEY_MARGIN_MIN_S, p2, p2 / 2);
	return E_OK;
}

static result_t check_addresses(const struct model_tunnel_options *o, struct model_err *e)
{
	if (o->inside_cidr.addr.family != 0)
		GUARD(model_inside_cidr_check(&o->inside_cidr, e));
	if (o->has_inside_ipv6)
		GUARD(model_inside_ipv6_cidr_check(&o->inside_ipv6_cidr, e));
	if (o->psk[0])
		GUARD(model_psk_check(o->psk, e));
	if ((unsigned)o->dpd_action > MODEL_DPD_RESTART ||
	    (unsigned)o->startup_action > MODEL_STARTUP_START)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "Invalid DPDTimeoutAction or StartupAction.");
	return E_OK;
}

static result_t check_initiation(const struct model_tunnel_options *o,
                                 const struct model_tunnel_ctx *ctx, struct model_err *e)
{
	if (o->startup_action == MODEL_STARTUP_START) {
		/* G:571: AWS-side initiation is IKEv2 only. */
		if (!(o->ike_versions & MODEL_IKE_V2))
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			                     "StartupAction 'start' requires ikev2 in IKEVersions: "
			                     "the gateway initiates IKE with IKEv2 only.");
		/* G:570: initiating needs the customer gateway's address. */
		if (ctx && !ctx->cgw_has_ip)
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			                     "StartupAction 'start' requires a customer gateway "
			                     "with an IP address.");
		/* G:803: accelerated connections must be initiated by the customer gateway. */
		if (ctx && ctx->accelerated)
			return model_err_set(
			    e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
			    "StartupAction 'start' is not supported on accelerated "
			    "VPN connections: the customer gateway must initiate.");
	}
	if (o->dpd_action == MODEL_DPD_RESTART && ctx && ctx->accelerated)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_COMBINATION,
		                     "DPDTimeoutAction 'restart' is not supported on accelerated "
		                     "VPN connections: the customer gateway must initiate.");
	return E_OK;
}

RESULT model_tunnel_options_validate(const struct model_tunnel_options *o,
                                     const struct model_tunnel_ctx *ctx, struct model_err *e)
{
	GUARD(check_ranges(o, e));
	GUARD(check_relations(o, e));
	GUARD(check_addresses(o, e));
	return check_initiation(o, ctx, e);
}
