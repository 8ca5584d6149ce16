/*
 * devcfg/devcfg_swan.c - sample configurations for strongSwan (swanctl.conf) and Libreswan
 * (ipsec.conf).
 *
 * The strongSwan file follows the configuration tested against strongSwan 5.9.8 in
 * interop.md section 3.2, filled with the connection's real values. swanctl values run to the
 * end of the line, so every setting is one `key = value` line (interop.md: "one key = value
 * per line"); comments are whole lines.
 */
#include "devcfg/devcfg.h"

#include <string.h>

const char *devcfg_swan_encr(unsigned e)
{
	static const char *const n[] = {"aes128", "aes256", "aes128gcm16", "aes256gcm16"};

	return e < 4 ? n[e] : NULL;
}

const char *devcfg_swan_integ(unsigned i)
{
	static const char *const n[] = {"sha1", "sha256", "sha384", "sha512"};

	return i < 4 ? n[i] : NULL;
}

/* RFC 7296 / RFC 5114 group numbers to strongSwan keywords. */
const char *devcfg_swan_dh(unsigned g)
{
	switch (g) {
	case 2:
		return "modp1024";
	case 5:
		return "modp1536";
	case 14:
		return "modp2048";
	case 15:
		return "modp3072";
	case 16:
		return "modp4096";
	case 17:
		return "modp6144";
	case 18:
		return "modp8192";
	case 19:
		return "ecp256";
	case 20:
		return "ecp384";
	case 21:
		return "ecp521";
	case 22:
		return "modp1024s160";
	case 23:
		return "modp2048s224";
	case 24:
		return "modp2048s256";
	}
	return NULL;
}

/*
 * The device rekeys ahead of the gateway: strongSwan picks a rekey time in
 * [rekey - rand, rekey]; with rekey = life - 2 * margin (when that leaves room) it renews
 * before the AWS side's own margin window starts, and the SA still ends at `life`.
 */
void devcfg_swan_rekey(uint32_t life_s, uint32_t margin_s, uint32_t *rekey_s, uint32_t *rand_s)
{
	uint32_t rekey = life_s >= 4 * margin_s ? life_s - 2 * margin_s : life_s - margin_s;

	*rekey_s = rekey;
	*rand_s = margin_s < rekey / 2 ? margin_s : rekey / 2;
}

/* Append the keywords of the bits of mask, "-"-joined. */
static void swan_words(struct wbuf *w, bool *first, uint32_t mask, const char *(*name)(unsigned),
                       const char *prefix)
{
	for (unsigned b = 0; b < 32; b++) {
		if (!(mask & (1u << b)) || !name(b))
			continue;
		if (!*first)
			wbuf_put_u8(w, '-');
		*first = false;
		wbuf_printf(w, "%s%s", prefix, name(b));
	}
}

#define CBC_MASK ((1u << MODEL_ENCR_AES128) | (1u << MODEL_ENCR_AES256))
#define GCM_MASK ((1u << MODEL_ENCR_AES128_GCM16) | (1u << MODEL_ENCR_AES256_GCM16))

/*
 * "key = <proposals>": one proposal per cipher family. CBC needs integrity algorithms; AEAD
 * (GCM) must not have them, and IKE AEAD proposals name a PRF instead. E.g.
 * "aes128-aes256-sha1-sha256-modp2048,aes128gcm16-prfsha256-modp2048" (no spaces).
 */
static void swan_proposal_line(struct wbuf *w, const char *indent, const char *key, uint32_t encr,
                               uint32_t integ, uint32_t dh, bool ike)
{
	bool first = true;

	wbuf_printf(w, "%s%s = ", indent, key);
	if (encr & CBC_MASK) {
		swan_words(w, &first, encr & CBC_MASK, devcfg_swan_encr, "");
		swan_words(w, &first, integ, devcfg_swan_integ, "");
		swan_words(w, &first, dh, devcfg_swan_dh, "");
	}
	if (encr & GCM_MASK) {
		if (!first)
			wbuf_put_u8(w, ',');
		first = true;
		swan_words(w, &first, encr & GCM_MASK, devcfg_swan_encr, "");
		if (ike)
			swan_words(w, &first, integ, devcfg_swan_integ, "prf");
		swan_words(w, &first, dh, devcfg_swan_dh, "");
	}
	wbuf_put_u8(w, '\n');
}

static void swan_header(struct wbuf *w, const struct devcfg_peer *p, uint32_t ike)
{
	const struct model_vpn_connection *c = p->vpn;

	wbuf_printf(w,
	            "# Gatehouse sample configuration: strongSwan 5.9+ (swanctl.conf)\n"
	            "# VPN connection %s, customer gateway %s, %s %s\n"
	            "# IKE version: %s. Load with: swanctl --load-all\n#\n",
	            c->id, c->cgw_id, c->tgw_id[0] ? "transit gateway" : "virtual private gateway",
	            c->tgw_id[0] ? c->tgw_id : c->vgw_id, model_ike_version_name(ike));
	wbuf_put_str(
	    w, "# Values run to the end of the line: keep one setting per line.\n"
	       "# strongswan.conf needs the kdf, openssl (or aes/sha1/sha2/gmp) plugins; with\n"
	       "# kernel-libipsec ESP is always UDP-encapsulated (NAT-T on port 4500).\n#\n");
}

static void swan_updown_comment(struct wbuf *w, const struct devcfg_tunnel *t)
{
	wbuf_printf(w, "# Tunnel %u inside addresses: this device %s/30, gateway %s/30 (%s).\n",
	            t->index, t->cgw_inside, t->aws_inside, t->inside_cidr);
	if (t->cgw_inside6[0])
		wbuf_printf(w, "# Tunnel %u inside IPv6: this device %s/126, gateway %s/126.\n",
		            t->index, t->cgw_inside6, t->aws_inside6);
	wbuf_printf(w,
	            "# For BGP or pings over the tunnel, add the inside address from an updown\n"
	            "# script (children.tun%u.updown = /etc/swanctl/aws-updown-tun%u.sh):\n"
	            "#   case \"$PLUTO_VERB\" in\n"
	            "#     up-client)   ip addr replace %s/30 dev ipsec0 ;;\n"
	            "#     down-client) ip addr del %s/30 dev ipsec0 2>/dev/null ;;\n"
	            "#   esac\n",
	            t->index, t->index, t->cgw_inside, t->cgw_inside);
}

static void swan_ike_timers(struct wbuf *w, const struct model_tunnel_options *o, uint32_t ike)
{
	uint32_t rekey, rnd;

	devcfg_swan_rekey(o->phase1_lifetime_s, o->rekey_margin_s, &rekey, &rnd);
	wbuf_printf(w, "    rekey_time = %us\n    over_time = %us\n    rand_time = %us\n", rekey,
	            o->phase1_lifetime_s - rekey, rnd);
	wbuf_printf(w, "    reauth_time = 0\n    dpd_delay = %ds\n", DEVCFG_DPD_INTERVAL_S);
	if (ike == MODEL_IKE_V1)
		wbuf_printf(w, "    dpd_timeout = %us\n", o->dpd_timeout_s);
	wbuf_printf(w, "    keyingtries = 0\n    mobike = no\n    encap = no\n"
	               "    fragmentation = yes\n");
}

static void swan_child(struct wbuf *w, const struct devcfg_tunnel *t)
{
	const struct model_tunnel_options *o = t->opt;
	uint32_t rekey, rnd;
	bool we_start = o->startup_action == MODEL_STARTUP_ADD;

	devcfg_swan_rekey(o->phase2_lifetime_s, o->rekey_margin_s, &rekey, &rnd);
	wbuf_printf(w, "    children {\n      tun%u {\n", t->index);
	wbuf_printf(w, "        local_ts = %s\n        remote_ts = %s\n", t->local_net,
	            t->remote_net);
	swan_proposal_line(w, "        ", "esp_proposals", o->phase2_encr, o->phase2_integ,
	                   o->phase2_dh, false);
	wbuf_printf(w,
	            "        rekey_time = %us\n        life_time = %us\n        rand_time = %us\n",
	            rekey, o->phase2_lifetime_s, rnd);
	wbuf_printf(w, "        replay_window = %u\n", o->replay_window);
	wbuf_printf(w, "        dpd_action = restart\n");
	/* StartupAction add (default): the device must initiate. start: the gateway does. */
	wbuf_printf(w, "        start_action = %s\n        close_action = %s\n",
	            we_start ? "start" : "none", we_start ? "start" : "none");
	wbuf_printf(w, "      }\n    }\n");
}

static void swan_conn(struct wbuf *w, const struct devcfg_tunnel *t, uint32_t ike)
{
	const struct model_tunnel_options *o = t->opt;
	uint32_t encr1 = o->phase1_encr;

	swan_updown_comment(w, t);
	wbuf_printf(w, "  aws-tun%u {\n    version = %u\n", t->index, ike == MODEL_IKE_V1 ? 1 : 2);
	if (ike == MODEL_IKE_V1)
		wbuf_put_str(w, "    aggressive = no\n");
	wbuf_printf(w, "    remote_addrs = %s\n", t->aws_outside);
	/* strongSwan has no AEAD (GCM) for IKEv1 IKE SAs: offer the CBC ciphers when allowed. */
	if (ike == MODEL_IKE_V1 && (o->phase1_encr & CBC_MASK) && (o->phase1_encr & GCM_MASK))
		encr1 = o->phase1_encr & CBC_MASK;
	swan_proposal_line(w, "    ", "proposals", encr1, o->phase1_integ, o->phase1_dh, true);
	swan_ike_timers(w, o, ike);
	wbuf_put_str(w, "    local {\n      auth = psk\n");
	if (t->cgw_outside[0])
		wbuf_printf(w, "      id = %s\n", t->cgw_outside);
	wbuf_printf(w, "    }\n    remote {\n      auth = psk\n      id = %s\n    }\n",
	            t->aws_outside);
	swan_child(w, t);
	wbuf_put_str(w, "  }\n");
}

void devcfg_strongswan(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w)
{
	struct devcfg_tunnel t[MODEL_VPN_TUNNELS];

	for (unsigned i = 0; i < MODEL_VPN_TUNNELS; i++)
		devcfg_tunnel_facts(p, i + 1, &t[i]);
	swan_header(w, p, ike);
	wbuf_put_str(w, "connections {\n");
	for (unsigned i = 0; i < MODEL_VPN_TUNNELS; i++)
		swan_conn(w, &t[i], ike);
	wbuf_put_str(w, "}\n\nsecrets {\n");
	for (unsigned i = 0; i < MODEL_VPN_TUNNELS; i++) {
		wbuf_printf(w, "  ike-tun%u {\n", t[i].index);
		if (t[i].cgw_outside[0])
			wbuf_printf(w, "    id-cgw = %s\n", t[i].cgw_outside);
		wbuf_printf(w, "    id-aws = %s\n    secret = \"%s\"\n  }\n", t[i].aws_outside,
		            t[i].opt->psk);
	}
	wbuf_put_str(w, "}\n");
}

/* ---- Libreswan ---- */

static void libreswan_algs(struct wbuf *w, const char *key, uint32_t encr, uint32_t integ,
                           uint32_t dh)
{
	/* Libreswan: "aes128-sha1;modp2048" style, one algorithm each (the first allowed). */
	static const char *const enc[] = {"aes128", "aes256", "aes_gcm128", "aes_gcm256"};
	static const char *const in[] = {"sha1", "sha2_256", "sha2_384", "sha2_512"};
	unsigned e = devcfg_first(encr), i = devcfg_first(integ);
	const char *g = devcfg_swan_dh(devcfg_first(dh));

	if (e >= 2)
		wbuf_printf(w, "    %s=%s;%s\n", key, enc[e & 3], g ? g : "modp2048");
	else
		wbuf_printf(w, "    %s=%s-%s;%s\n", key, enc[e & 3], in[i & 3], g ? g : "modp2048");
}

void devcfg_libreswan(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w)
{
	const struct model_vpn_connection *c = p->vpn;

	wbuf_printf(w,
	            "# Gatehouse sample configuration: Libreswan (ipsec.conf)\n"
	            "# VPN connection %s, customer gateway %s. IKE version: %s\n\n",
	            c->id, c->cgw_id, model_ike_version_name(ike));
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;
		const struct model_tunnel_options *o;

		devcfg_tunnel_facts(p, i, &t);
		o = t.opt;
		wbuf_printf(w, "# Tunnel %u inside: this device %s/30, gateway %s/30\n", i,
		            t.cgw_inside, t.aws_inside);
		wbuf_printf(w, "conn aws-tun%u\n    authby=secret\n    auto=%s\n", i,
		            o->startup_action == MODEL_STARTUP_ADD ? "start" : "add");
		wbuf_printf(w, "    left=%%defaultroute\n    leftid=%s\n    right=%s\n",
		            t.cgw_outside[0] ? t.cgw_outside : "%defaultroute", t.aws_outside);
		wbuf_printf(w, "    type=tunnel\n    leftsubnet=%s\n    rightsubnet=%s\n",
		            t.local_net, t.remote_net);
		wbuf_printf(w, "    ikev2=%s\n", ike == MODEL_IKE_V2 ? "insist" : "no");
		libreswan_algs(w, "ike", o->phase1_encr, o->phase1_integ, o->phase1_dh);
		libreswan_algs(w, "esp", o->phase2_encr, o->phase2_integ, o->phase2_dh);
		/* Libreswan rekeys rekeymargin (+ fuzz) before expiry: ahead of the gateway. */
		wbuf_printf(w, "    ikelifetime=%us\n    salifetime=%us\n    rekeymargin=%us\n",
		            o->phase1_lifetime_s, o->phase2_lifetime_s, o->rekey_margin_s);
		wbuf_printf(w,
		            "    dpddelay=%d\n    dpdtimeout=%u\n    dpdaction=restart\n"
		            "    replay-window=%u\n\n",
		            DEVCFG_DPD_INTERVAL_S, o->dpd_timeout_s, o->replay_window);
	}
	wbuf_put_str(w, "# /etc/ipsec.secrets\n");
	for (unsigned i = 1; i <= MODEL_VPN_TUNNELS; i++) {
		struct devcfg_tunnel t;

		devcfg_tunnel_facts(p, i, &t);
		wbuf_printf(w, "%s %s : PSK \"%s\"\n", t.cgw_outside[0] ? t.cgw_outside : "%any",
		            t.aws_outside, t.opt->psk);
	}
}
