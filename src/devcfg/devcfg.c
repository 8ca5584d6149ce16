/*
 * devcfg/devcfg.c - the device types, the per-tunnel facts every generator uses, and the
 * CustomerGatewayConfiguration XML (customer-gateway-configuration.md).
 */
#include "devcfg/devcfg.h"

#include <arpa/inet.h>
#include <string.h>

#include "lib/xml_text.h"

/* Stable ids: never renumber, only append (docs/decisions.md). */
static const struct devcfg_device_type device_types[] = {
    {"strongswan-swanctl", "Strongswan", "Linux (swanctl)", "Strongswan 5.9+"},
    {"libreswan-ipsec-conf", "Libreswan", "Linux (ipsec.conf)", "Libreswan 4.x+"},
    {"cisco-ios", "Cisco Systems, Inc.", "CSRv AMI", "IOS 12.4+"},
    {"juniper-junos-srx", "Juniper Networks, Inc.", "SRX Routers", "JunOS 11.0+"},
    {"generic", "Generic", "Generic", "Vendor Agnostic"},
};

typedef void (*devcfg_gen_fn)(const struct devcfg_peer *, uint32_t, struct wbuf *);

static const devcfg_gen_fn device_gens[] = {
    devcfg_strongswan, devcfg_libreswan, devcfg_cisco_ios, devcfg_junos, devcfg_generic,
};

#define NTYPES (sizeof(device_types) / sizeof(device_types[0]))

const struct devcfg_device_type *devcfg_device_types(size_t *n)
{
	*n = NTYPES;
	return device_types;
}

unsigned devcfg_first(uint32_t mask)
{
	for (unsigned b = 0; b < 32; b++)
		if (mask & (1u << b))
			return b;
	return 0;
}

bool devcfg_bgp(const struct devcfg_peer *p)
{
	return !p->vpn->opt.static_routes_only;
}

void devcfg_tunnel_facts(const struct devcfg_peer *p, unsigned index, struct devcfg_tunnel *t)
{
	const struct model_vpn_connection *c = p->vpn;
	const struct model_vpn_tunnel *vt = &c->tunnels[index == 2 ? 1 : 0];
	struct addr aws, cgw;

	memset(t, 0, sizeof(*t));
	t->index = index == 2 ? 2 : 1;
	t->opt = &vt->opt;
	if (vt->outside_ip.family)
		addr_format(&vt->outside_ip, t->aws_outside);
	if (p->cgw_ip.family)
		addr_format(&p->cgw_ip, t->cgw_outside);
	model_inside_addrs(&vt->opt.inside_cidr, &aws, &cgw);
	addr_format(&aws, t->aws_inside);
	addr_format(&cgw, t->cgw_inside);
	prefix_format(&vt->opt.inside_cidr, t->inside_cidr);
	if (c->opt.tunnel_inside_ipv6 && vt->opt.has_inside_ipv6) {
		model_inside_addrs(&vt->opt.inside_ipv6_cidr, &aws, &cgw);
		addr_format(&aws, t->aws_inside6);
		addr_format(&cgw, t->cgw_inside6);
		prefix_format(&c->opt.local_ipv6_cidr, t->local_net);
		prefix_format(&c->opt.remote_ipv6_cidr, t->remote_net);
	} else {
		prefix_format(&c->opt.local_ipv4_cidr, t->local_net);
		prefix_format(&c->opt.remote_ipv4_cidr, t->remote_net);
	}
}

RESULT devcfg_sample(const char *type_id, uint32_t ike_version, const struct devcfg_peer *p,
                     struct wbuf *w)
{
	uint32_t allowed =
	    p->vpn->tunnels[0].opt.ike_versions & p->vpn->tunnels[1].opt.ike_versions;

	if (ike_version == 0)
		ike_version = (allowed & MODEL_IKE_V2) ? MODEL_IKE_V2 : MODEL_IKE_V1;
	if (ike_version != MODEL_IKE_V1 && ike_version != MODEL_IKE_V2)
		return E_INVAL;
	if (!(allowed & ike_version))
		return E_INVAL;
	for (size_t i = 0; i < NTYPES; i++) {
		if (strcmp(device_types[i].id, type_id) != 0)
			continue;
		device_gens[i](p, ike_version, w);
		return wbuf_result(w);
	}
	return E_DEVCFG_DEVICE;
}

/* ---- CustomerGatewayConfiguration ---- */

/* XML names of the first (lowest) value of each list (G:327: evaluated first). */
static const char *xml_encr(unsigned e)
{
	static const char *const n[] = {"aes-128-cbc", "aes-256-cbc", "aes-128-gcm-16",
	                                "aes-256-gcm-16"};

	return e < 4 ? n[e] : "aes-128-cbc";
}

static const char *xml_integ(unsigned i, bool esp)
{
	static const char *const ike[] = {"sha1", "sha2-256", "sha2-384", "sha2-512"};
	static const char *const ipsec[] = {"hmac-sha1-96", "hmac-sha2-256-128",
	                                    "hmac-sha2-384-192", "hmac-sha2-512-256"};

	if (i >= 4)
		i = 0;
	return esp ? ipsec[i] : ike[i];
}

static void xml_elem(struct wbuf *w, const char *indent, const char *name, const char *value)
{
	wbuf_printf(w, "%s<%s>", indent, name);
	xml_escape(w, value);
	wbuf_printf(w, "</%s>\n", name);
}

static void xml_inside(struct wbuf *w, const char *ind, const char *ip, bool v6)
{
	wbuf_printf(w, "%s<tunnel_inside_address>\n", ind);
	wbuf_printf(w, "%s  <ip_address>%s</ip_address>\n", ind, ip);
	if (v6) {
		wbuf_printf(w, "%s  <network_cidr>126</network_cidr>\n", ind);
	} else {
		wbuf_printf(w, "%s  <network_mask>255.255.255.252</network_mask>\n", ind);
		wbuf_printf(w, "%s  <network_cidr>30</network_cidr>\n", ind);
	}
	wbuf_printf(w, "%s</tunnel_inside_address>\n", ind);
}

static void xml_side(struct wbuf *w, const struct devcfg_peer *p, const struct devcfg_tunnel *t,
                     bool aws)
{
	const char *outside = aws ? t->aws_outside : t->cgw_outside;
	const char *inside6 = aws ? t->aws_inside6 : t->cgw_inside6;

	wbuf_printf(w, "    <%s>\n", aws ? "vpn_gateway" : "customer_gateway");
	wbuf_printf(w, "      <tunnel_outside_address>\n");
	wbuf_printf(w, "        <ip_address>%s</ip_address>\n", outside);
	wbuf_printf(w, "      </tunnel_outside_address>\n");
	xml_inside(w, "      ", aws ? t->aws_inside : t->cgw_inside, false);
	if (inside6[0]) {
		wbuf_printf(w, "      <tunnel_inside_ipv6_address>\n");
		wbuf_printf(w, "        <ip_address>%s</ip_address>\n", inside6);
		wbuf_printf(w, "        <network_cidr>126</network_cidr>\n");
		wbuf_printf(w, "      </tunnel_inside_ipv6_address>\n");
	}
	if (devcfg_bgp(p))
		wbuf_printf(
		    w,
		    "      <bgp>\n        <asn>%u</asn>\n        <hold_time>%d</hold_time>\n"
		    "      </bgp>\n",
		    aws ? p->amazon_asn : p->cgw_asn, DEVCFG_BGP_HOLD_TIME_S);
	wbuf_printf(w, "    </%s>\n", aws ? "vpn_gateway" : "customer_gateway");
}

static void xml_ike_ipsec(struct wbuf *w, const struct devcfg_tunnel *t)
{
	const struct model_tunnel_options *o = t->opt;

	wbuf_printf(w, "    <ike>\n");
	xml_elem(w, "      ", "authentication_protocol",
	         xml_integ(devcfg_first(o->phase1_integ), false));
	xml_elem(w, "      ", "encryption_protocol", xml_encr(devcfg_first(o->phase1_encr)));
	wbuf_printf(w, "      <lifetime>%u</lifetime>\n", o->phase1_lifetime_s);
	wbuf_printf(w, "      <perfect_forward_secrecy>group%u</perfect_forward_secrecy>\n",
	            devcfg_first(o->phase1_dh));
	wbuf_printf(w, "      <mode>main</mode>\n");
	xml_elem(w, "      ", "pre_shared_key", o->psk);
	wbuf_printf(w, "    </ike>\n    <ipsec>\n      <protocol>esp</protocol>\n");
	xml_elem(w, "      ", "authentication_protocol",
	         xml_integ(devcfg_first(o->phase2_integ), true));
	xml_elem(w, "      ", "encryption_protocol", xml_encr(devcfg_first(o->phase2_encr)));
	wbuf_printf(w, "      <lifetime>%u</lifetime>\n", o->phase2_lifetime_s);
	wbuf_printf(w, "      <perfect_forward_secrecy>group%u</perfect_forward_secrecy>\n",
	            devcfg_first(o->phase2_dh));
	wbuf_printf(
	    w,
	    "      <mode>tunnel</mode>\n      <clear_df_bit>true</clear_df_bit>\n"
	    "      <fragmentation_before_encryption>true</fragmentation_before_encryption>\n"
	    "      <tcp_mss_adjustment>%d</tcp_mss_adjustment>\n"
	    "      <dead_peer_detection>\n        <interval>%d</interval>\n"
	    "        <retries>%d</retries>\n      </dead_peer_detection>\n    </ipsec>\n",
	    DEVCFG_TCP_MSS, DEVCFG_DPD_INTERVAL_S, DEVCFG_DPD_RETRIES);
}

RESULT devcfg_cgw_xml(const struct devcfg_peer *p, struct wbuf *w)
{
	const struct model_vpn_connection *c = p->vpn;
	char net[PREFIX_STRLEN];

	wbuf_put_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vpn_connection id=\"");
	xml_escape(w, c->id);
	wbuf_put_str(w, "\">\n");
	xml_elem(w, "  ", "customer_gateway_id", c->cgw_id);
	if (c->tgw_id[0])
		xml_elem(w, "  ", "transit_gateway_id", c->tgw_id);
	else
		xml_elem(w, "  ", "vpn_gateway_id", c->vgw_id);
	xml_elem(w, "  ", "vpn_connection_type", MODEL_VPN_TYPE);
	if (c->opt.static_routes_only)
		xml_elem(w, "  ", "vpn_connection_attributes", "NoBGPVPNConnection");
	prefix_format(&c->opt.local_ipv4_cidr, net);
	xml_elem(w, "  ", "ipv4_network_cidr_local", net);
	prefix_format(&c->opt.remote_ipv4_cidr, net);
	xml_elem(w, "  ", "ipv4_network_cidr_remote", net);
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;

		devcfg_tunnel_facts(p, i, &t);
		wbuf_printf(w, "  <ipsec_tunnel>\n");
		xml_side(w, p, &t, false);
		xml_side(w, p, &t, true);
		xml_ike_ipsec(w, &t);
		xml_elem(w, "    ", "tunnel_cidr", t.inside_cidr);
		wbuf_printf(w, "  </ipsec_tunnel>\n");
	}
	wbuf_put_str(w, "</vpn_connection>\n");
	return wbuf_result(w);
}
