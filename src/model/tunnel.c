/*
 * model/tunnel.c - defaults of the tunnel options and the API spellings of their values.
 * Numbers are the guide's (site-to-site.md section 2).
 */
#include "model/tunnel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

result_t model_err_set(struct model_err *e, result_t rc, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return rc;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void model_tunnel_options_default(struct model_tunnel_options *o)
{
	memset(o, 0, sizeof(*o));
	o->phase1_lifetime_s = MODEL_PHASE1_LIFETIME_DEFAULT_S;
	o->phase2_lifetime_s = MODEL_PHASE2_LIFETIME_DEFAULT_S;
	o->rekey_margin_s = MODEL_REKEY_MARGIN_DEFAULT_S;
	o->rekey_fuzz_pct = MODEL_REKEY_FUZZ_DEFAULT_PCT;
	o->replay_window = MODEL_REPLAY_WINDOW_DEFAULT;
	o->dpd_timeout_s = MODEL_DPD_TIMEOUT_DEFAULT_S;
	o->dpd_action = MODEL_DPD_CLEAR;
	o->startup_action = MODEL_STARTUP_ADD;
	/* "You can specify one or more of the default values": the default is all of them. */
	o->phase1_encr = MODEL_ENCR_ALL;
	o->phase2_encr = MODEL_ENCR_ALL;
	o->phase1_integ = MODEL_INTEG_ALL;
	o->phase2_integ = MODEL_INTEG_ALL;
	o->phase1_dh = MODEL_PHASE1_DH_ALLOWED;
	o->phase2_dh = MODEL_PHASE2_DH_ALLOWED;
	o->ike_versions = MODEL_IKE_ALL;
	o->log_enabled = false;
	o->log_format_text = false; /* json (CloudWatchLogOptions default) */
	o->lifecycle_control = false;
}

/* Index = enum value; exact EC2 spellings. */
static const char *const encr_names[MODEL_ENCR__COUNT] = {
    [MODEL_ENCR_AES128] = "AES128",
    [MODEL_ENCR_AES256] = "AES256",
    [MODEL_ENCR_AES128_GCM16] = "AES128-GCM-16",
    [MODEL_ENCR_AES256_GCM16] = "AES256-GCM-16",
};

static const char *const integ_names[MODEL_INTEG__COUNT] = {
    [MODEL_INTEG_SHA1] = "SHA1",
    [MODEL_INTEG_SHA2_256] = "SHA2-256",
    [MODEL_INTEG_SHA2_384] = "SHA2-384",
    [MODEL_INTEG_SHA2_512] = "SHA2-512",
};

static const char *const dpd_names[] = {
    [MODEL_DPD_CLEAR] = "clear",
    [MODEL_DPD_NONE] = "none",
    [MODEL_DPD_RESTART] = "restart",
};

static const char *const startup_names[] = {
    [MODEL_STARTUP_ADD] = "add",
    [MODEL_STARTUP_START] = "start",
};

static int name_index(const char *const *names, size_t n, const char *s, bool icase)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && (icase ? strcasecmp(names[i], s) : strcmp(names[i], s)) == 0)
			return (int)i;
	return -1;
}

#define NAMES_N(a) (sizeof(a) / sizeof((a)[0]))

const char *model_encr_name(enum model_encr v)
{
	return (unsigned)v < MODEL_ENCR__COUNT ? encr_names[v] : NULL;
}

RESULT model_encr_parse(const char *s, enum model_encr *out)
{
	int i = name_index(encr_names, NAMES_N(encr_names), s, false);

	if (i < 0)
		return E_PARSE;
	*out = (enum model_encr)i;
	return E_OK;
}

const char *model_integ_name(enum model_integ v)
{
	return (unsigned)v < MODEL_INTEG__COUNT ? integ_names[v] : NULL;
}

RESULT model_integ_parse(const char *s, enum model_integ *out)
{
	int i = name_index(integ_names, NAMES_N(integ_names), s, false);

	if (i < 0)
		return E_PARSE;
	*out = (enum model_integ)i;
	return E_OK;
}

const char *model_dpd_action_name(enum model_dpd_action v)
{
	return (unsigned)v < NAMES_N(dpd_names) ? dpd_names[v] : NULL;
}

/* Case-insensitive: the console writes "Clear", the API "clear" (site-to-site.md #20). */
RESULT model_dpd_action_parse(const char *s, enum model_dpd_action *out)
{
	int i = name_index(dpd_names, NAMES_N(dpd_names), s, true);

	if (i < 0)
		return E_PARSE;
	*out = (enum model_dpd_action)i;
	return E_OK;
}

const char *model_startup_action_name(enum model_startup_action v)
{
	return (unsigned)v < NAMES_N(startup_names) ? startup_names[v] : NULL;
}

RESULT model_startup_action_parse(const char *s, enum model_startup_action *out)
{
	int i = name_index(startup_names, NAMES_N(startup_names), s, true);

	if (i < 0)
		return E_PARSE;
	*out = (enum model_startup_action)i;
	return E_OK;
}

const char *model_ike_version_name(uint32_t bit)
{
	if (bit == MODEL_IKE_V1)
		return "ikev1";
	if (bit == MODEL_IKE_V2)
		return "ikev2";
	return NULL;
}

RESULT model_ike_version_parse(const char *s, uint32_t *bit)
{
	if (strcasecmp(s, "ikev1") == 0)
		*bit = MODEL_IKE_V1;
	else if (strcasecmp(s, "ikev2") == 0)
		*bit = MODEL_IKE_V2;
	else
		return E_PARSE;
	return E_OK;
}

const char *model_log_format_name(bool text)
{
	return text ? "text" : "json";
}
