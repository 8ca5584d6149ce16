/*
 * model/vpn_json.c - a VPN connection as JSON, for the store.
 *
 * Tunnel options are stored under their EC2 member names with their EC2 text values, and read
 * back through model_tunnel_option_set / _set_list, so a stored document passes exactly the
 * checks an API request passes. Format version "v": 1.
 */
#include "model/vpn.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VPN_JSON_VERSION 1
#define VPN_JSON_MAX_BYTES (1024 * 1024)

/* ---- encode ---- */

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void put_prefix(struct json_object *o, const char *k, const struct prefix *p)
{
	char s[PREFIX_STRLEN];

	prefix_format(p, s);
	put_str(o, k, s);
}

static void put_mask(struct json_object *o, const char *k, uint32_t mask, int kind)
{
	struct json_object *a = json_object_new_array();

	for (unsigned b = 0; b < 32; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (kind == 0)
			json_object_array_add(a, json_object_new_string(model_encr_name(b)));
		else if (kind == 1)
			json_object_array_add(a, json_object_new_string(model_integ_name(b)));
		else if (kind == 2)
			json_object_array_add(a, json_object_new_int((int)b));
		else
			json_object_array_add(
			    a, json_object_new_string(model_ike_version_name(1u << b)));
	}
	json_object_object_add(o, k, a);
}

static struct json_object *tunnel_opts_json(const struct model_tunnel_options *t)
{
	struct json_object *o = json_object_new_object();

	if (t->inside_cidr.addr.family)
		put_prefix(o, "TunnelInsideCidr", &t->inside_cidr);
	if (t->has_inside_ipv6)
		put_prefix(o, "TunnelInsideIpv6Cidr", &t->inside_ipv6_cidr);
	if (t->psk[0])
		put_str(o, "PreSharedKey", t->psk);
	put_int(o, "Phase1LifetimeSeconds", t->phase1_lifetime_s);
	put_int(o, "Phase2LifetimeSeconds", t->phase2_lifetime_s);
	put_int(o, "RekeyMarginTimeSeconds", t->rekey_margin_s);
	put_int(o, "RekeyFuzzPercentage", t->rekey_fuzz_pct);
	put_int(o, "ReplayWindowSize", t->replay_window);
	put_int(o, "DPDTimeoutSeconds", t->dpd_timeout_s);
	put_str(o, "DPDTimeoutAction", model_dpd_action_name(t->dpd_action));
	put_str(o, "StartupAction", model_startup_action_name(t->startup_action));
	put_mask(o, "Phase1EncryptionAlgorithms", t->phase1_encr, 0);
	put_mask(o, "Phase2EncryptionAlgorithms", t->phase2_encr, 0);
	put_mask(o, "Phase1IntegrityAlgorithms", t->phase1_integ, 1);
	put_mask(o, "Phase2IntegrityAlgorithms", t->phase2_integ, 1);
	put_mask(o, "Phase1DHGroupNumbers", t->phase1_dh, 2);
	put_mask(o, "Phase2DHGroupNumbers", t->phase2_dh, 2);
	put_mask(o, "IKEVersions", t->ike_versions, 3);
	put_str(o, "LogOptions.CloudWatchLogOptions.LogEnabled", t->log_enabled ? "true" : "false");
	put_str(o, "LogOptions.CloudWatchLogOptions.LogGroupArn", t->log_group_arn);
	put_str(o, "LogOptions.CloudWatchLogOptions.LogOutputFormat",
	        model_log_format_name(t->log_format_text));
	put_str(o, "EnableTunnelLifecycleControl", t->lifecycle_control ? "true" : "false");
	return o;
}

static struct json_object *tunnel_json(const struct model_vpn_tunnel *t)
{
	struct json_object *o = json_object_new_object();
	char a[ADDR_STRLEN] = "";

	if (t->outside_ip.family)
		addr_format(&t->outside_ip, a);
	put_str(o, "outside_ip", a);
	json_object_object_add(o, "options", tunnel_opts_json(&t->opt));
	put_bool(o, "up", t->up);
	put_int(o, "last_status_change", t->last_status_change_s);
	put_str(o, "status_message", t->status_message);
	put_int(o, "accepted_route_count", t->accepted_route_count);
	put_bool(o, "pending_maintenance", t->pending_maintenance);
	put_int(o, "maintenance_auto_applied_after", t->maintenance_auto_applied_after_s);
	put_int(o, "last_maintenance_applied", t->last_maintenance_applied_s);
	return o;
}

static struct json_object *options_json(const struct model_vpn_options *v)
{
	struct json_object *o = json_object_new_object();

	put_bool(o, "static_routes_only", v->static_routes_only);
	put_bool(o, "enable_acceleration", v->enable_acceleration);
	put_str(o, "tunnel_inside_ip_version", v->tunnel_inside_ipv6 ? "ipv6" : "ipv4");
	put_prefix(o, "local_ipv4_network_cidr", &v->local_ipv4_cidr);
	put_prefix(o, "remote_ipv4_network_cidr", &v->remote_ipv4_cidr);
	put_prefix(o, "local_ipv6_network_cidr", &v->local_ipv6_cidr);
	put_prefix(o, "remote_ipv6_network_cidr", &v->remote_ipv6_cidr);
	put_str(o, "outside_ip_address_type", model_outside_ip_type_name(v->outside_ip_type));
	put_str(o, "transport_transit_gateway_attachment_id", v->transport_attachment_id);
	put_str(o, "tunnel_bandwidth", model_tunnel_bandwidth_name(v->tunnel_bandwidth));
	return o;
}

static struct json_object *routes_tags_json(const struct model_vpn_connection *c, bool tags)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < (tags ? c->ntags : c->nroutes); i++) {
		struct json_object *o = json_object_new_object();

		if (tags) {
			put_str(o, "key", c->tags[i].key);
			put_str(o, "value", c->tags[i].value);
		} else {
			put_prefix(o, "cidr", &c->routes[i].cidr);
			put_str(o, "state", model_vpn_state_name(c->routes[i].state));
		}
		json_object_array_add(a, o);
	}
	return a;
}

RESULT model_vpn_to_json(const struct model_vpn_connection *c, char **out)
{
	struct json_object *o = json_object_new_object(), *tun = json_object_new_array();
	const char *text;

	put_int(o, "v", VPN_JSON_VERSION);
	put_str(o, "id", c->id);
	put_str(o, "state", model_vpn_state_name(c->state));
	put_str(o, "customer_gateway_id", c->cgw_id);
	put_str(o, "vpn_gateway_id", c->vgw_id);
	put_str(o, "transit_gateway_id", c->tgw_id);
	put_int(o, "created", c->created_s);
	put_int(o, "state_changed", c->state_changed_s);
	json_object_object_add(o, "options", options_json(&c->opt));
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		json_object_array_add(tun, tunnel_json(&c->tunnels[i]));
	json_object_object_add(o, "tunnels", tun);
	json_object_object_add(o, "routes", routes_tags_json(c, false));
	json_object_object_add(o, "tags", routes_tags_json(c, true));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	*out = text ? strdup(text) : NULL;
	/* json-c keeps its own copy of the text (PSKs inside): wipe it before the free. */
	if (text)
		memset((char *)text, 0, strlen(text));
	json_object_put(o);
	return *out ? E_OK : E_NOMEM;
}

/* ---- decode ---- */

static result_t get(struct json_object *o, const char *k, enum json_type t, struct json_object **v)
{
	if (!json_object_object_get_ex(o, k, v) || !json_object_is_type(*v, t))
		return E_PARSE;
	return E_OK;
}

static result_t get_str(struct json_object *o, const char *k, char *dst, size_t cap)
{
	struct json_object *v;
	const char *s;

	GUARD(get(o, k, json_type_string, &v));
	s = json_object_get_string(v);
	if (strlen(s) >= cap)
		return E_PARSE;
	memcpy(dst, s, strlen(s) + 1);
	return E_OK;
}

static result_t get_int(struct json_object *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	struct json_object *v;

	GUARD(get(o, k, json_type_int, &v));
	*out = json_object_get_int64(v);
	return *out < lo || *out > hi ? E_PARSE : E_OK;
}

static result_t get_bool(struct json_object *o, const char *k, bool *out)
{
	struct json_object *v;

	GUARD(get(o, k, json_type_boolean, &v));
	*out = json_object_get_boolean(v);
	return E_OK;
}

static result_t get_prefix(struct json_object *o, const char *k, int family, struct prefix *p)
{
	char s[PREFIX_STRLEN];

	GUARD(get_str(o, k, s, sizeof(s)));
	GUARD(prefix_parse(s, false, p));
	return p->addr.family == family ? E_OK : E_PARSE;
}

static result_t tunnel_list_from_json(struct model_tunnel_options *t, const char *name,
                                      struct json_object *arr)
{
	char buf[16][24];
	const char *vals[16];
	size_t n = json_object_array_length(arr);

	if (n > 16)
		return E_PARSE;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (json_object_is_type(v, json_type_int))
			snprintf(buf[i], sizeof(buf[i]), "%d", json_object_get_int(v));
		else if (json_object_is_type(v, json_type_string) &&
		         strlen(json_object_get_string(v)) < sizeof(buf[i]))
			snprintf(buf[i], sizeof(buf[i]), "%s", json_object_get_string(v));
		else
			return E_PARSE;
		vals[i] = buf[i];
	}
	return model_tunnel_option_set_list(t, name, vals, n, NULL) == E_OK ? E_OK : E_PARSE;
}

static result_t tunnel_opts_from_json(struct json_object *o, struct model_tunnel_options *t)
{
	struct json_object_iterator it = json_object_iter_begin(o), end = json_object_iter_end(o);

	model_tunnel_options_default(t);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		char num[24];
		const char *s;

		if (json_object_is_type(v, json_type_array)) {
			GUARD(tunnel_list_from_json(t, k, v));
			continue;
		}
		if (json_object_is_type(v, json_type_int)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
			s = num;
		} else if (json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
		} else {
			return E_PARSE;
		}
		/* An empty ARN is the stored "no log group". */
		if (strcmp(k, "LogOptions.CloudWatchLogOptions.LogGroupArn") == 0 && !s[0])
			continue;
		if (model_tunnel_option_set(t, k, s, NULL) != E_OK)
			return E_PARSE;
	}
	return model_tunnel_options_validate(t, NULL, NULL) == E_OK ? E_OK : E_PARSE;
}

static result_t tunnel_from_json(struct json_object *o, struct model_vpn_tunnel *t)
{
	struct json_object *opts;
	char a[ADDR_STRLEN];
	int64_t v;

	GUARD(get_str(o, "outside_ip", a, sizeof(a)));
	memset(&t->outside_ip, 0, sizeof(t->outside_ip));
	if (a[0])
		GUARD(addr_parse(a, &t->outside_ip));
	GUARD(get(o, "options", json_type_object, &opts));
	GUARD(tunnel_opts_from_json(opts, &t->opt));
	GUARD(get_bool(o, "up", &t->up));
	GUARD(get_int(o, "last_status_change", 0, INT64_MAX, &t->last_status_change_s));
	GUARD(get_str(o, "status_message", t->status_message, sizeof(t->status_message)));
	GUARD(get_int(o, "accepted_route_count", 0, UINT32_MAX, &v));
	t->accepted_route_count = (uint32_t)v;
	GUARD(get_bool(o, "pending_maintenance", &t->pending_maintenance));
	GUARD(get_int(o, "maintenance_auto_applied_after", 0, INT64_MAX,
	              &t->maintenance_auto_applied_after_s));
	return get_int(o, "last_maintenance_applied", 0, INT64_MAX, &t->last_maintenance_applied_s);
}

static result_t options_from_json(struct json_object *o, struct model_vpn_options *v)
{
	char s[MODEL_ID_MAX];

	GUARD(get_bool(o, "static_routes_only", &v->static_routes_only));
	GUARD(get_bool(o, "enable_acceleration", &v->enable_acceleration));
	GUARD(get_str(o, "tunnel_inside_ip_version", s, sizeof(s)));
	if (strcmp(s, "ipv4") != 0 && strcmp(s, "ipv6") != 0)
		return E_PARSE;
	v->tunnel_inside_ipv6 = strcmp(s, "ipv6") == 0;
	GUARD(get_prefix(o, "local_ipv4_network_cidr", AF_INET, &v->local_ipv4_cidr));
	GUARD(get_prefix(o, "remote_ipv4_network_cidr", AF_INET, &v->remote_ipv4_cidr));
	GUARD(get_prefix(o, "local_ipv6_network_cidr", AF_INET6, &v->local_ipv6_cidr));
	GUARD(get_prefix(o, "remote_ipv6_network_cidr", AF_INET6, &v->remote_ipv6_cidr));
	GUARD(get_str(o, "outside_ip_address_type", s, sizeof(s)));
	GUARD(model_outside_ip_type_parse(s, &v->outside_ip_type));
	GUARD(get_str(o, "transport_transit_gateway_attachment_id", v->transport_attachment_id,
	              sizeof(v->transport_attachment_id)));
	GUARD(get_str(o, "tunnel_bandwidth", s, sizeof(s)));
	return model_tunnel_bandwidth_parse(s, &v->tunnel_bandwidth);
}

static result_t routes_from_json(struct json_object *a, struct model_vpn_connection *c)
{
	size_t n = json_object_array_length(a);
	char s[16];

	if (n > MODEL_VPN_ROUTES_MAX)
		return E_PARSE;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		if (!json_object_is_type(r, json_type_object))
			return E_PARSE;
		GUARD(get_prefix(r, "cidr", AF_INET, &c->routes[i].cidr));
		GUARD(get_str(r, "state", s, sizeof(s)));
		GUARD(model_vpn_state_parse(s, &c->routes[i].state));
	}
	c->nroutes = n;
	return E_OK;
}

static result_t tags_from_json(struct json_object *a, struct model_vpn_connection *c)
{
	size_t n = json_object_array_length(a);

	if (n > MODEL_VPN_TAGS_MAX)
		return E_PARSE;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		if (!json_object_is_type(r, json_type_object))
			return E_PARSE;
		GUARD(get_str(r, "key", c->tags[i].key, sizeof(c->tags[i].key)));
		GUARD(get_str(r, "value", c->tags[i].value, sizeof(c->tags[i].value)));
	}
	c->ntags = n;
	return E_OK;
}

static result_t vpn_from_obj(struct json_object *o, struct model_vpn_connection *c)
{
	struct json_object *v;
	char s[16];
	int64_t ver;

	GUARD(get_int(o, "v", VPN_JSON_VERSION, VPN_JSON_VERSION, &ver));
	GUARD(get_str(o, "id", c->id, sizeof(c->id)));
	GUARD(get_str(o, "state", s, sizeof(s)));
	GUARD(model_vpn_state_parse(s, &c->state));
	GUARD(get_str(o, "customer_gateway_id", c->cgw_id, sizeof(c->cgw_id)));
	GUARD(get_str(o, "vpn_gateway_id", c->vgw_id, sizeof(c->vgw_id)));
	GUARD(get_str(o, "transit_gateway_id", c->tgw_id, sizeof(c->tgw_id)));
	GUARD(get_int(o, "created", 0, INT64_MAX, &c->created_s));
	GUARD(get_int(o, "state_changed", 0, INT64_MAX, &c->state_changed_s));
	GUARD(get(o, "options", json_type_object, &v));
	GUARD(options_from_json(v, &c->opt));
	GUARD(get(o, "tunnels", json_type_array, &v));
	if (json_object_array_length(v) != MODEL_VPN_TUNNELS)
		return E_PARSE;
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		struct json_object *t = json_object_array_get_idx(v, i);

		if (!json_object_is_type(t, json_type_object))
			return E_PARSE;
		GUARD(tunnel_from_json(t, &c->tunnels[i]));
	}
	GUARD(get(o, "routes", json_type_array, &v));
	GUARD(routes_from_json(v, c));
	GUARD(get(o, "tags", json_type_array, &v));
	return tags_from_json(v, c);
}

RESULT model_vpn_from_json(const char *json, size_t len, struct model_vpn_connection *out)
{
	struct json_tokener *tok;
	struct json_object *o;
	result_t rc;

	if (len > VPN_JSON_MAX_BYTES || len > INT32_MAX)
		return E_PARSE;
	tok = json_tokener_new();
	if (!tok)
		return E_NOMEM;
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		json_tokener_free(tok);
		return E_PARSE;
	}
	json_tokener_free(tok);
	model_vpn_init(out);
	rc = json_object_is_type(o, json_type_object) ? vpn_from_obj(o, out) : E_PARSE;
	json_object_put(o);
	if (rc != E_OK)
		model_vpn_wipe(out);
	return rc;
}
