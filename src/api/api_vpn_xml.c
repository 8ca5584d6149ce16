/*
 * api/api_vpn_xml.c - the VpnConnection output shape (ec2-api.md section 6: VpnConnection,
 * VpnConnectionOptions, TunnelOption, VgwTelemetry, VpnStaticRoute), element names exact.
 */
#include "api/api_vpn.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

static void xml_prefix(struct xml *x, const char *name, const struct prefix *p)
{
	char s[PREFIX_STRLEN];

	prefix_format(p, s);
	xml_str(x, name, s);
}

/* <setName><item><value>v</value></item>...</setName> */
static void xml_value_set(struct xml *x, const char *set, uint32_t mask, int kind)
{
	xml_open(x, set);
	for (unsigned b = 0; b < 32; b++) {
		if (!(mask & (1u << b)))
			continue;
		xml_open(x, "item");
		if (kind == 0)
			xml_str(x, "value", model_encr_name((enum model_encr)b));
		else if (kind == 1)
			xml_str(x, "value", model_integ_name((enum model_integ)b));
		else if (kind == 2)
			xml_u64(x, "value", b);
		else
			xml_str(x, "value", model_ike_version_name(1u << b));
		xml_close(x);
	}
	xml_close(x);
}

static void xml_tunnel_option(struct xml *x, const struct model_vpn_tunnel *t)
{
	const struct model_tunnel_options *o = &t->opt;
	char a[ADDR_STRLEN];

	xml_open(x, "item");
	addr_format(&t->outside_ip, a);
	xml_str(x, "outsideIpAddress", a);
	if (o->inside_cidr.addr.family)
		xml_prefix(x, "tunnelInsideCidr", &o->inside_cidr);
	if (o->has_inside_ipv6)
		xml_prefix(x, "tunnelInsideIpv6Cidr", &o->inside_ipv6_cidr);
	xml_str(x, "preSharedKey", o->psk);
	xml_u64(x, "phase1LifetimeSeconds", o->phase1_lifetime_s);
	xml_u64(x, "phase2LifetimeSeconds", o->phase2_lifetime_s);
	xml_u64(x, "rekeyMarginTimeSeconds", o->rekey_margin_s);
	xml_u64(x, "rekeyFuzzPercentage", o->rekey_fuzz_pct);
	xml_u64(x, "replayWindowSize", o->replay_window);
	xml_u64(x, "dpdTimeoutSeconds", o->dpd_timeout_s);
	xml_str(x, "dpdTimeoutAction", model_dpd_action_name(o->dpd_action));
	xml_value_set(x, "phase1EncryptionAlgorithmSet", o->phase1_encr, 0);
	xml_value_set(x, "phase2EncryptionAlgorithmSet", o->phase2_encr, 0);
	xml_value_set(x, "phase1IntegrityAlgorithmSet", o->phase1_integ, 1);
	xml_value_set(x, "phase2IntegrityAlgorithmSet", o->phase2_integ, 1);
	xml_value_set(x, "phase1DHGroupNumberSet", o->phase1_dh, 2);
	xml_value_set(x, "phase2DHGroupNumberSet", o->phase2_dh, 2);
	xml_value_set(x, "ikeVersionSet", o->ike_versions, 3);
	xml_str(x, "startupAction", model_startup_action_name(o->startup_action));
	xml_open(x, "logOptions");
	xml_open(x, "cloudWatchLogOptions");
	xml_bool(x, "logEnabled", o->log_enabled);
	if (o->log_group_arn[0])
		xml_str(x, "logGroupArn", o->log_group_arn);
	xml_str(x, "logOutputFormat", model_log_format_name(o->log_format_text));
	xml_close(x);
	xml_close(x);
	xml_bool(x, "enableTunnelLifecycleControl", o->lifecycle_control);
	xml_close(x);
}

static void xml_options(struct xml *x, const struct model_vpn_connection *c)
{
	const struct model_vpn_options *o = &c->opt;

	xml_open(x, "options");
	xml_bool(x, "enableAcceleration", o->enable_acceleration);
	xml_bool(x, "staticRoutesOnly", o->static_routes_only);
	if (o->tunnel_inside_ipv6) {
		xml_prefix(x, "localIpv6NetworkCidr", &o->local_ipv6_cidr);
		xml_prefix(x, "remoteIpv6NetworkCidr", &o->remote_ipv6_cidr);
	} else {
		xml_prefix(x, "localIpv4NetworkCidr", &o->local_ipv4_cidr);
		xml_prefix(x, "remoteIpv4NetworkCidr", &o->remote_ipv4_cidr);
	}
	xml_str(x, "outsideIpAddressType", model_outside_ip_type_name(o->outside_ip_type));
	if (o->transport_attachment_id[0])
		xml_str(x, "transportTransitGatewayAttachmentId", o->transport_attachment_id);
	xml_str(x, "tunnelInsideIpVersion", o->tunnel_inside_ipv6 ? "ipv6" : "ipv4");
	xml_open(x, "tunnelOptionSet");
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++)
		xml_tunnel_option(x, &c->tunnels[i]);
	xml_close(x);
	xml_str(x, "tunnelBandwidth", model_tunnel_bandwidth_name(o->tunnel_bandwidth));
	xml_close(x);
}

static void xml_telemetry(struct xml *x, const struct api_vpn *v)
{
	const struct model_vpn_connection *c = v->c;
	char ts[32], a[ADDR_STRLEN];

	xml_open(x, "vgwTelemetry");
	for (size_t i = 0; i < MODEL_VPN_TUNNELS; i++) {
		const struct model_vpn_tunnel *t = &c->tunnels[i];
		int64_t ms =
		    t->last_status_change_s ? t->last_status_change_s * 1000 : v->row.created_ms;

		xml_open(x, "item");
		addr_format(&t->outside_ip, a);
		xml_str(x, "outsideIpAddress", a);
		xml_str(x, "status", t->up ? "UP" : "DOWN");
		api_iso8601_ms(ms, ts);
		xml_str(x, "lastStatusChange", ts);
		xml_str(x, "statusMessage", t->status_message);
		xml_u64(x, "acceptedRouteCount", t->accepted_route_count);
		xml_close(x);
	}
	xml_close(x);
}

static void xml_routes(struct xml *x, const struct model_vpn_connection *c)
{
	xml_open(x, "routes");
	for (size_t i = 0; i < c->nroutes; i++) {
		xml_open(x, "item");
		xml_prefix(x, "destinationCidrBlock", &c->routes[i].cidr);
		xml_str(x, "source", "Static");
		xml_str(x, "state", model_vpn_state_name(c->routes[i].state));
		xml_close(x);
	}
	xml_close(x);
}

/* customerGatewayConfiguration: only while pending or available (ec2-api.md VpnConnection). */
static void xml_cgw_config(struct api_req *rq, struct xml *x, const struct model_vpn_connection *c)
{
	struct devcfg_peer p;
	struct wbuf w;

	if (c->state != MODEL_VPN_PENDING && c->state != MODEL_VPN_AVAILABLE)
		return;
	api_vpn_peer(rq, c, &p);
	wbuf_init_dyn(&w, 8192, 0);
	if (devcfg_cgw_xml(&p, &w) == E_OK)
		xml_str(x, "customerGatewayConfiguration", wbuf_cstr(&w));
	secret_wipe(w.data, w.cap);
	wbuf_free(&w);
}

void api_vpn_xml(struct api_req *rq, struct xml *x, const char *elem, const struct api_vpn *v)
{
	const struct model_vpn_connection *c = v->c;
	struct store_tags tags = {0};

	xml_open(x, elem);
	xml_str(x, "vpnConnectionId", c->id);
	xml_str(x, "state", model_vpn_state_name(c->state));
	xml_cgw_config(rq, x, c);
	xml_str(x, "customerGatewayId", c->cgw_id);
	xml_str(x, "category", MODEL_VPN_CATEGORY);
	xml_str(x, "type", MODEL_VPN_TYPE);
	if (c->vgw_id[0])
		xml_str(x, "vpnGatewayId", c->vgw_id);
	if (c->tgw_id[0])
		xml_str(x, "transitGatewayId", c->tgw_id);
	xml_str(x, "gatewayAssociationState",
	        c->vgw_id[0] || c->tgw_id[0] ? "associated" : "not-associated");
	xml_options(x, c);
	xml_routes(x, c);
	xml_telemetry(x, v);
	if (store_tags_get(rq->store, c->id, &tags) == E_OK) {
		api_xml_tagset(x, &tags);
		store_tags_fini(&tags);
	}
	xml_close(x);
}
