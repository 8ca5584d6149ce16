/*
 * devcfg/devcfg_vendor.c - sample configurations for Cisco IOS, Juniper JunOS (SRX) and the
 * generic text format (site-to-site.md section 6.3: "IPsec Tunnel #1" sections with outside
 * and inside addresses, PSK, IKE and IPsec parameters, DPD, BGP).
 *
 * Algorithms: the first (lowest) allowed value of each list, which is what the gateway
 * evaluates first (G:327); the file says so, and lists the others.
 */
#include "devcfg/devcfg.h"

#include <string.h>

static const char *cisco_ikev2_encr(unsigned e)
{
	static const char *const n[] = {"aes-cbc-128", "aes-cbc-256", "aes-gcm-128", "aes-gcm-256"};

	return n[e & 3];
}

static const char *cisco_ikev2_integ(unsigned i)
{
	static const char *const n[] = {"sha1", "sha256", "sha384", "sha512"};

	return n[i & 3];
}

static void cisco_transform_set(struct wbuf *w, unsigned n, unsigned e, unsigned i)
{
	static const char *const enc[] = {"esp-aes 128", "esp-aes 256", "esp-gcm 128",
	                                  "esp-gcm 256"};
	static const char *const in[] = {" esp-sha-hmac", " esp-sha256-hmac", " esp-sha384-hmac",
	                                 " esp-sha512-hmac"};

	/* GCM carries its own integrity: no HMAC transform. */
	wbuf_printf(w, "crypto ipsec transform-set ipsec-prop-tun%u %s%s\n  mode tunnel\n!\n", n,
	            enc[e & 3], e >= 2 ? "" : in[i & 3]);
}

static void cisco_ipsec_and_interface(struct wbuf *w, const struct devcfg_peer *p,
                                      const struct devcfg_tunnel *t, uint32_t ike)
{
	const struct model_tunnel_options *o = t->opt;
	unsigned n = t->index;

	cisco_transform_set(w, n, devcfg_first(o->phase2_encr), devcfg_first(o->phase2_integ));
	wbuf_printf(w,
	            "crypto ipsec profile ipsec-tun%u\n  set pfs group%u\n"
	            "  set security-association lifetime seconds %u\n"
	            "  set transform-set ipsec-prop-tun%u\n",
	            n, devcfg_first(o->phase2_dh), o->phase2_lifetime_s, n);
	if (ike == MODEL_IKE_V2)
		wbuf_printf(w, "  set ikev2-profile IKEV2-PROFILE-TUN%u\n", n);
	wbuf_put_str(w, "!\n");
	wbuf_printf(w,
	            "interface Tunnel%u\n  ip address %s 255.255.255.252\n  ip virtual-reassembly\n"
	            "  tunnel source <outside-interface>\n  tunnel destination %s\n  tunnel mode "
	            "ipsec ipv4\n"
	            "  tunnel protection ipsec profile ipsec-tun%u\n  ip tcp adjust-mss %d\n  no "
	            "shutdown\n!\n",
	            n, t->cgw_inside, t->aws_outside, n, DEVCFG_TCP_MSS);
	if (devcfg_bgp(p))
		wbuf_printf(w,
		            "router bgp %u\n  neighbor %s remote-as %u\n  neighbor %s activate\n"
		            "  neighbor %s timers %d %d\n!\n",
		            p->cgw_asn, t->aws_inside, p->amazon_asn, t->aws_inside, t->aws_inside,
		            DEVCFG_BGP_KEEPALIVE_S, DEVCFG_BGP_HOLD_TIME_S);
	else
		wbuf_printf(w, "ip route %s Tunnel%u track %u\n!\n", t->remote_net, n, 100 * n);
}

static void cisco_tunnel(struct wbuf *w, const struct devcfg_peer *p, const struct devcfg_tunnel *t,
                         uint32_t ike)
{
	const struct model_tunnel_options *o = t->opt;
	unsigned n = t->index;

	wbuf_printf(w, "! ---- IPSec Tunnel #%u (gateway %s) ----\n", n, t->aws_outside);
	if (ike == MODEL_IKE_V2) {
		wbuf_printf(w,
		            "crypto ikev2 proposal PROPOSAL-TUN%u\n"
		            "  encryption %s\n  integrity %s\n  group %u\n!\n",
		            n, cisco_ikev2_encr(devcfg_first(o->phase1_encr)),
		            cisco_ikev2_integ(devcfg_first(o->phase1_integ)),
		            devcfg_first(o->phase1_dh));
		wbuf_printf(w,
		            "crypto ikev2 policy POLICY-TUN%u\n  proposal PROPOSAL-TUN%u\n  match "
		            "address local %s\n!\n",
		            n, n, t->cgw_outside[0] ? t->cgw_outside : "<cgw-outside-ip>");
		wbuf_printf(w,
		            "crypto ikev2 keyring KEYRING-TUN%u\n  peer %s\n    address %s\n"
		            "    pre-shared-key %s\n!\n",
		            n, t->aws_outside, t->aws_outside, o->psk);
		wbuf_printf(
		    w,
		    "crypto ikev2 profile IKEV2-PROFILE-TUN%u\n  match identity remote address %s "
		    "255.255.255.255\n"
		    "  authentication remote pre-share\n  authentication local pre-share\n"
		    "  keyring local KEYRING-TUN%u\n  lifetime %u\n  dpd %d %d on-demand\n!\n",
		    n, t->aws_outside, n, o->phase1_lifetime_s, DEVCFG_DPD_INTERVAL_S,
		    DEVCFG_DPD_RETRIES);
	} else {
		wbuf_printf(
		    w,
		    "crypto isakmp policy %u\n  encryption aes %s\n  authentication pre-share\n"
		    "  group %u\n  lifetime %u\n  hash %s\n!\n",
		    200 + n, devcfg_first(o->phase1_encr) == MODEL_ENCR_AES256 ? "256" : "128",
		    devcfg_first(o->phase1_dh), o->phase1_lifetime_s,
		    devcfg_first(o->phase1_integ) ? "sha256" : "sha");
		wbuf_printf(w,
		            "crypto keyring keyring-tun%u\n  local-address %s\n  pre-shared-key "
		            "address %s key %s\n!\n",
		            n, t->cgw_outside[0] ? t->cgw_outside : "<cgw-outside-ip>",
		            t->aws_outside, o->psk);
		wbuf_printf(w, "crypto isakmp keepalive %d %d on-demand\n!\n",
		            DEVCFG_DPD_INTERVAL_S, DEVCFG_DPD_RETRIES);
	}
	cisco_ipsec_and_interface(w, p, t, ike);
}

void devcfg_cisco_ios(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w)
{
	wbuf_printf(w,
	            "! Gatehouse sample configuration: Cisco IOS 12.4+\n! VPN connection %s, "
	            "IKE version %s\n!\n",
	            p->vpn->id, model_ike_version_name(ike));
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;

		devcfg_tunnel_facts(p, i, &t);
		cisco_tunnel(w, p, &t, ike);
	}
}

/* ---- Juniper JunOS (SRX) ---- */

static const char *junos_encr(unsigned e)
{
	static const char *const n[] = {"aes-128-cbc", "aes-256-cbc", "aes-128-gcm", "aes-256-gcm"};

	return n[e & 3];
}

static const char *junos_integ(unsigned i, bool esp)
{
	static const char *const ike[] = {"sha1", "sha-256", "sha-384", "sha-512"};
	static const char *const ipsec[] = {"hmac-sha1-96", "hmac-sha-256-128", "hmac-sha-384",
	                                    "hmac-sha-512"};

	return esp ? ipsec[i & 3] : ike[i & 3];
}

static void junos_ipsec_and_routing(struct wbuf *w, const struct devcfg_peer *p,
                                    const struct devcfg_tunnel *t)
{
	const struct model_tunnel_options *o = t->opt;
	unsigned n = t->index, e2 = devcfg_first(o->phase2_encr);

	wbuf_printf(w, "set security ipsec proposal ipsec-prop-tun%u protocol esp\n", n);
	if (e2 < 2)
		wbuf_printf(
		    w, "set security ipsec proposal ipsec-prop-tun%u authentication-algorithm %s\n",
		    n, junos_integ(devcfg_first(o->phase2_integ), true));
	wbuf_printf(w, "set security ipsec proposal ipsec-prop-tun%u encryption-algorithm %s\n", n,
	            junos_encr(e2));
	wbuf_printf(w, "set security ipsec proposal ipsec-prop-tun%u lifetime-seconds %u\n", n,
	            o->phase2_lifetime_s);
	wbuf_printf(
	    w, "set security ipsec policy ipsec-pol-tun%u perfect-forward-secrecy keys group%u\n",
	    n, devcfg_first(o->phase2_dh));
	wbuf_printf(w, "set security ipsec policy ipsec-pol-tun%u proposals ipsec-prop-tun%u\n", n,
	            n);
	wbuf_printf(w, "set security ipsec vpn vpn-tun%u bind-interface st0.%u\n", n, n);
	wbuf_printf(w, "set security ipsec vpn vpn-tun%u ike gateway gw-tun%u\n", n, n);
	wbuf_printf(w, "set security ipsec vpn vpn-tun%u ike ipsec-policy ipsec-pol-tun%u\n", n, n);
	wbuf_printf(w, "set security ipsec vpn vpn-tun%u df-bit clear\n", n);
	wbuf_printf(w, "set security flow tcp-mss ipsec-vpn mss %d\n", DEVCFG_TCP_MSS);
	if (devcfg_bgp(p)) {
		wbuf_printf(w, "set protocols bgp group ebgp type external\n");
		wbuf_printf(w, "set protocols bgp group ebgp neighbor %s peer-as %u\n",
		            t->aws_inside, p->amazon_asn);
		wbuf_printf(w, "set protocols bgp group ebgp neighbor %s local-address %s\n",
		            t->aws_inside, t->cgw_inside);
		wbuf_printf(w, "set protocols bgp group ebgp neighbor %s hold-time %d\n",
		            t->aws_inside, DEVCFG_BGP_HOLD_TIME_S);
	} else {
		wbuf_printf(w, "set routing-options static route %s next-hop st0.%u\n",
		            t->remote_net, n);
	}
}

static void junos_tunnel(struct wbuf *w, const struct devcfg_peer *p, const struct devcfg_tunnel *t,
                         uint32_t ike)
{
	const struct model_tunnel_options *o = t->opt;
	unsigned n = t->index, e1 = devcfg_first(o->phase1_encr);

	wbuf_printf(w, "# ---- IPSec Tunnel #%u (gateway %s) ----\n", n, t->aws_outside);
	wbuf_printf(w, "set interfaces st0 unit %u family inet address %s/30\n", n, t->cgw_inside);
	wbuf_printf(w, "set interfaces st0 unit %u family inet mtu %d\n", n, DEVCFG_TUNNEL_MTU);
	wbuf_printf(w, "set security zones security-zone trust interfaces st0.%u\n", n);
	wbuf_printf(
	    w, "set security ike proposal ike-prop-tun%u authentication-method pre-shared-keys\n",
	    n);
	if (e1 < 2)
		wbuf_printf(
		    w, "set security ike proposal ike-prop-tun%u authentication-algorithm %s\n", n,
		    junos_integ(devcfg_first(o->phase1_integ), false));
	wbuf_printf(w, "set security ike proposal ike-prop-tun%u encryption-algorithm %s\n", n,
	            junos_encr(e1));
	wbuf_printf(w, "set security ike proposal ike-prop-tun%u dh-group group%u\n", n,
	            devcfg_first(o->phase1_dh));
	wbuf_printf(w, "set security ike proposal ike-prop-tun%u lifetime-seconds %u\n", n,
	            o->phase1_lifetime_s);
	wbuf_printf(w, "set security ike policy ike-pol-tun%u mode main\n", n);
	wbuf_printf(w, "set security ike policy ike-pol-tun%u proposals ike-prop-tun%u\n", n, n);
	wbuf_printf(w, "set security ike policy ike-pol-tun%u pre-shared-key ascii-text \"%s\"\n",
	            n, o->psk);
	wbuf_printf(w, "set security ike gateway gw-tun%u ike-policy ike-pol-tun%u\n", n, n);
	wbuf_printf(w, "set security ike gateway gw-tun%u address %s\n", n, t->aws_outside);
	wbuf_printf(
	    w, "set security ike gateway gw-tun%u dead-peer-detection interval %d threshold %d\n",
	    n, DEVCFG_DPD_INTERVAL_S, DEVCFG_DPD_RETRIES);
	wbuf_printf(w, "set security ike gateway gw-tun%u external-interface ge-0/0/0.0\n", n);
	wbuf_printf(w, "set security ike gateway gw-tun%u version %s\n", n,
	            ike == MODEL_IKE_V2 ? "v2-only" : "v1-only");
	junos_ipsec_and_routing(w, p, t);
}

void devcfg_junos(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w)
{
	wbuf_printf(w,
	            "# Gatehouse sample configuration: Juniper SRX, JunOS 11.0+\n"
	            "# VPN connection %s, IKE version %s\n",
	            p->vpn->id, model_ike_version_name(ike));
	if (devcfg_bgp(p))
		wbuf_printf(w, "set routing-options autonomous-system %u\n", p->cgw_asn);
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;

		devcfg_tunnel_facts(p, i, &t);
		junos_tunnel(w, p, &t, ike);
	}
}

/* ---- Generic ---- */

static void generic_list(struct wbuf *w, const char *label, uint32_t mask,
                         const char *(*name)(unsigned))
{
	bool first = true;

	wbuf_printf(w, "  - %-34s: ", label);
	for (unsigned b = 0; b < 32; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (name)
			wbuf_printf(w, "%s%s", first ? "" : ", ", name(b));
		else
			wbuf_printf(w, "%s%u", first ? "" : ", ", b);
		first = false;
	}
	wbuf_put_u8(w, '\n');
}

static const char *encr_name_u(unsigned e)
{
	return model_encr_name((enum model_encr)e);
}

static const char *integ_name_u(unsigned i)
{
	return model_integ_name((enum model_integ)i);
}

static void generic_ipsec_and_interface(struct wbuf *w, const struct devcfg_peer *p,
                                        const struct devcfg_tunnel *t)
{
	const struct model_tunnel_options *o = t->opt;

	wbuf_printf(w, "\n#2: IPSec Configuration\n\n");
	wbuf_printf(w, "  - Protocol                          : esp\n");
	wbuf_printf(w, "  - Authentication Algorithm          : %s\n",
	            model_integ_name(devcfg_first(o->phase2_integ)));
	wbuf_printf(w, "  - Encryption Algorithm              : %s\n",
	            model_encr_name(devcfg_first(o->phase2_encr)));
	wbuf_printf(w, "  - Lifetime                          : %u seconds\n",
	            o->phase2_lifetime_s);
	wbuf_printf(w, "  - Mode                              : tunnel\n");
	wbuf_printf(w, "  - Perfect Forward Secrecy           : Diffie-Hellman Group %u\n",
	            devcfg_first(o->phase2_dh));
	generic_list(w, "Also accepted (encryption)", o->phase2_encr, encr_name_u);
	generic_list(w, "Also accepted (integrity)", o->phase2_integ, integ_name_u);
	generic_list(w, "Also accepted (PFS groups)", o->phase2_dh, NULL);
	wbuf_printf(w, "  - Replay window                     : %u packets\n", o->replay_window);
	wbuf_printf(w,
	            "  - DPD Interval                      : %d\n  - DPD Retries                   "
	            "    : %d\n",
	            DEVCFG_DPD_INTERVAL_S, DEVCFG_DPD_RETRIES);
	wbuf_printf(w, "  - Gateway DPD timeout / action      : %u seconds / %s\n",
	            o->dpd_timeout_s, model_dpd_action_name(o->dpd_action));
	wbuf_printf(w, "  - Gateway startup action            : %s\n",
	            model_startup_action_name(o->startup_action));
	wbuf_printf(w,
	            "  - TCP MSS Adjustment                : %d bytes\n  - Clear Don't Fragment "
	            "Bit          : enabled\n"
	            "  - Fragmentation                     : Before encryption\n",
	            DEVCFG_TCP_MSS);
	wbuf_printf(w, "\n#3: Tunnel Interface Configuration\n\n");
	wbuf_printf(w,
	            "Outside IP Addresses:\n  - Customer Gateway                  : %s\n"
	            "  - Virtual Private Gateway           : %s\n",
	            t->cgw_outside[0] ? t->cgw_outside : "(your device's public address)",
	            t->aws_outside);
	wbuf_printf(w,
	            "Inside IP Addresses (%s)\n  - Customer Gateway                  : %s/30\n"
	            "  - Virtual Private Gateway           : %s/30\n",
	            t->inside_cidr, t->cgw_inside, t->aws_inside);
	if (t->cgw_inside6[0])
		wbuf_printf(w,
		            "  - Customer Gateway (IPv6)           : %s/126\n"
		            "  - Virtual Private Gateway (IPv6)    : %s/126\n",
		            t->cgw_inside6, t->aws_inside6);
	wbuf_printf(w, "Traffic selectors: local %s, remote %s\nTunnel interface MTU: %d bytes\n",
	            t->local_net, t->remote_net, DEVCFG_TUNNEL_MTU);
	if (devcfg_bgp(p))
		wbuf_printf(w,
		            "\n#4: Border Gateway Protocol (BGP) Configuration\n\n"
		            "  - Customer Gateway ASN              : %u\n  - Virtual Private "
		            "Gateway ASN       : %u\n"
		            "  - Neighbor IP Address               : %s\n  - Hold Time             "
		            "            : %d\n"
		            "  - Keepalive                         : %d\n",
		            p->cgw_asn, p->amazon_asn, t->aws_inside, DEVCFG_BGP_HOLD_TIME_S,
		            DEVCFG_BGP_KEEPALIVE_S);
	else
		wbuf_printf(w,
		            "\n#4: Static Routing Configuration\n\n  - Route %s via this tunnel's "
		            "interface\n",
		            t->remote_net);
}

static void generic_tunnel(struct wbuf *w, const struct devcfg_peer *p,
                           const struct devcfg_tunnel *t, uint32_t ike)
{
	const struct model_tunnel_options *o = t->opt;

	wbuf_printf(w,
	            "\nIPSec Tunnel "
	            "#%u\n================================================================\n",
	            t->index);
	wbuf_printf(w, "#1: Internet Key Exchange Configuration\n\n");
	wbuf_printf(w, "  - IKE version                       : %s\n", model_ike_version_name(ike));
	wbuf_printf(w, "  - Authentication Method             : Pre-Shared Key\n");
	wbuf_printf(w, "  - Pre-Shared Key                    : %s\n", o->psk);
	wbuf_printf(w, "  - Authentication Algorithm          : %s\n",
	            model_integ_name(devcfg_first(o->phase1_integ)));
	wbuf_printf(w, "  - Encryption Algorithm              : %s\n",
	            model_encr_name(devcfg_first(o->phase1_encr)));
	wbuf_printf(w, "  - Lifetime                          : %u seconds\n",
	            o->phase1_lifetime_s);
	wbuf_printf(w, "  - Phase 1 Negotiation Mode          : main\n");
	wbuf_printf(w, "  - Diffie-Hellman                    : Group %u\n",
	            devcfg_first(o->phase1_dh));
	generic_list(w, "Also accepted (encryption)", o->phase1_encr, encr_name_u);
	generic_list(w, "Also accepted (integrity)", o->phase1_integ, integ_name_u);
	generic_list(w, "Also accepted (DH groups)", o->phase1_dh, NULL);
	generic_ipsec_and_interface(w, p, t);
}

void devcfg_generic(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w)
{
	const struct model_vpn_connection *c = p->vpn;

	wbuf_printf(w,
	            "Gatehouse sample configuration: Generic\n\nYour VPN Connection ID   : %s\n"
	            "Your Customer Gateway ID : %s\nYour %s : %s\nVPN Connection Type      : %s\n",
	            c->id, c->cgw_id,
	            c->tgw_id[0] ? "Transit Gateway ID      " : "Virtual Private Gateway ID",
	            c->tgw_id[0] ? c->tgw_id : c->vgw_id, MODEL_VPN_TYPE);
	wbuf_put_str(
	    w, "\nThe gateway evaluates proposals starting with the lowest configured value of\n"
	       "each list below; the first value is shown, the others are also accepted.\n");
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;

		devcfg_tunnel_facts(p, i, &t);
		generic_tunnel(w, p, &t, ike);
	}
}
