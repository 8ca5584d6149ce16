/* Unit tests: devcfg (CustomerGatewayConfiguration XML and sample device configurations).
 * Key lines are asserted, not whole golden files; the strongSwan file is checked against
 * swanctl.conf's syntax rules (one "key = value" per line, balanced sections). */
#include "test.h"

#include <arpa/inet.h>
#include <ctype.h>

#include "devcfg/devcfg.h"

static struct model_vpn_connection vpn;

static void peer_sample(struct devcfg_peer *p, bool bgp)
{
	model_vpn_init(&vpn);
	strcpy(vpn.id, "vpn-0123456789abcdef0");
	strcpy(vpn.cgw_id, "cgw-0123456789abcdef0");
	strcpy(vpn.vgw_id, "vgw-0123456789abcdef0");
	vpn.opt.static_routes_only = !bgp;
	addr_from_v4(&vpn.tunnels[0].outside_ip, 0xc6336401u); /* 198.51.100.1 */
	addr_from_v4(&vpn.tunnels[1].outside_ip, 0xc6336402u); /* 198.51.100.2 */
	if (prefix_parse("169.254.44.232/30", false, &vpn.tunnels[0].opt.inside_cidr) != E_OK ||
	    prefix_parse("169.254.45.0/30", false, &vpn.tunnels[1].opt.inside_cidr) != E_OK)
		abort();
	strcpy(vpn.tunnels[0].opt.psk, "tunnel1_psk_abcdef");
	strcpy(vpn.tunnels[1].opt.psk, "tunnel2_psk_ghijkl");
	memset(p, 0, sizeof(*p));
	p->vpn = &vpn;
	addr_from_v4(&p->cgw_ip, 0xc0000202u); /* 192.0.2.2 */
	p->cgw_asn = 65000;
	p->amazon_asn = 64512;
}

/* Text between the n-th (0-based) occurrence of `from` and the next `to`. */
static bool section(const char *s, const char *from, unsigned nth, const char *to, char *out,
                    size_t cap)
{
	const char *a = s, *b;

	for (unsigned i = 0; i <= nth; i++) {
		a = strstr(i ? a + 1 : a, from);
		if (!a)
			return false;
	}
	b = strstr(a, to);
	if (!b || (size_t)(b - a) >= cap)
		return false;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = 0;
	return true;
}

/* Every start tag has its end tag, properly nested (the XML we write has no attributes but
 * the root's, no self-closing tags, no comments). */
static bool xml_balanced(const char *s)
{
	char stack[32][64];
	int depth = 0;

	s = strstr(s, "?>");
	if (!s)
		return false;
	for (s += 2; (s = strchr(s, '<')) != NULL; s++) {
		bool close = s[1] == '/';
		const char *name = s + (close ? 2 : 1);
		size_t n = strcspn(name, " >");

		if (n == 0 || n >= 64)
			return false;
		if (close) {
			if (depth == 0 || strncmp(stack[depth - 1], name, n) != 0 ||
			    stack[depth - 1][n])
				return false;
			depth--;
		} else {
			if (depth == 32)
				return false;
			memcpy(stack[depth], name, n);
			stack[depth++][n] = 0;
		}
	}
	return depth == 0;
}

TEST(devcfg_xml_paths_and_whose_address)
{
	struct devcfg_peer p;
	struct wbuf w;
	char t1[4096], side[1024];
	const char *x;

	peer_sample(&p, true);
	wbuf_init_dyn(&w, 1024, 0);
	CHECK_OK(devcfg_cgw_xml(&p, &w));
	x = wbuf_cstr(&w);
	CHECK(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) == 0);
	CHECK(strstr(x, "<vpn_connection id=\"vpn-0123456789abcdef0\">") != NULL);
	CHECK(strstr(x, "<customer_gateway_id>cgw-0123456789abcdef0</customer_gateway_id>") !=
	      NULL);
	CHECK(strstr(x, "<vpn_gateway_id>vgw-0123456789abcdef0</vpn_gateway_id>") != NULL);
	CHECK(strstr(x, "<vpn_connection_type>ipsec.1</vpn_connection_type>") != NULL);
	CHECK(strstr(x, "NoBGPVPNConnection") == NULL);
	CHECK(xml_balanced(x));
	CHECK(section(x, "<ipsec_tunnel>", 0, "</ipsec_tunnel>", t1, sizeof(t1)));
	/* vpn_gateway = our side: outside 198.51.100.1, inside first host .233 */
	CHECK(section(t1, "<vpn_gateway>", 0, "</vpn_gateway>", side, sizeof(side)));
	CHECK(strstr(side,
	             "<tunnel_outside_address>\n        <ip_address>198.51.100.1</ip_address>"));
	CHECK(strstr(side, "<ip_address>169.254.44.233</ip_address>") != NULL);
	CHECK(strstr(side, "<asn>64512</asn>") && strstr(side, "<hold_time>30</hold_time>"));
	CHECK(section(t1, "<customer_gateway>", 0, "</customer_gateway>", side, sizeof(side)));
	CHECK(strstr(side, "<ip_address>192.0.2.2</ip_address>") != NULL);
	CHECK(strstr(side, "<ip_address>169.254.44.234</ip_address>") != NULL);
	CHECK(strstr(side, "<network_mask>255.255.255.252</network_mask>") != NULL);
	CHECK(strstr(side, "<asn>65000</asn>") != NULL);
	CHECK(strstr(t1, "<pre_shared_key>tunnel1_psk_abcdef</pre_shared_key>") != NULL);
	CHECK(strstr(t1, "<lifetime>28800</lifetime>") && strstr(t1, "<lifetime>3600</lifetime>"));
	CHECK(strstr(t1, "<perfect_forward_secrecy>group2</perfect_forward_secrecy>") != NULL);
	CHECK(section(x, "<ipsec_tunnel>", 1, "</ipsec_tunnel>", t1, sizeof(t1)));
	CHECK(strstr(t1, "<ip_address>198.51.100.2</ip_address>") != NULL);
	CHECK(strstr(t1, "<ip_address>169.254.45.1</ip_address>") != NULL);
	CHECK(strstr(t1, "tunnel2_psk_ghijkl") != NULL);
	wbuf_free(&w);
}

TEST(devcfg_xml_static_tgw_and_chosen_values)
{
	struct devcfg_peer p;
	struct wbuf w;
	const char *x, *enc[] = {"AES256"}, *dh[] = {"19", "14"};

	peer_sample(&p, false);
	vpn.vgw_id[0] = 0;
	strcpy(vpn.tgw_id, "tgw-0123456789abcdef0");
	CHECK_OK(model_tunnel_option_set_list(&vpn.tunnels[0].opt, "Phase1EncryptionAlgorithms",
	                                      enc, 1, NULL));
	CHECK_OK(
	    model_tunnel_option_set_list(&vpn.tunnels[0].opt, "Phase1DHGroupNumbers", dh, 2, NULL));
	wbuf_init_dyn(&w, 64, 0);
	CHECK_OK(devcfg_cgw_xml(&p, &w));
	x = wbuf_cstr(&w);
	CHECK(strstr(x, "<transit_gateway_id>tgw-0123456789abcdef0</transit_gateway_id>") != NULL);
	CHECK(strstr(x, "<vpn_gateway_id>") == NULL);
	CHECK(
	    strstr(x, "<vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>"));
	CHECK(strstr(x, "<bgp>") == NULL);
	CHECK(strstr(x, "<encryption_protocol>aes-256-cbc</encryption_protocol>") != NULL);
	CHECK(strstr(x, "<perfect_forward_secrecy>group14</perfect_forward_secrecy>") != NULL);
	CHECK(xml_balanced(x));
	wbuf_free(&w);
}

TEST(devcfg_xml_overflow_reported)
{
	struct devcfg_peer p;
	struct wbuf w;
	char small[100];

	peer_sample(&p, true);
	wbuf_init(&w, small, sizeof(small));
	CHECK_ERR(devcfg_cgw_xml(&p, &w), E_OVERFLOW);
}

TEST(devcfg_device_types_stable_and_unique)
{
	size_t n;
	const struct devcfg_device_type *t = devcfg_device_types(&n);

	CHECK(n >= 5);
	CHECK_STR(t[0].id, "strongswan-swanctl");
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].vendor[0] && t[i].platform[0] && t[i].software[0]);
		for (size_t j = i + 1; j < n; j++)
			CHECK(strcmp(t[i].id, t[j].id) != 0);
	}
}

TEST(devcfg_sample_errors)
{
	struct devcfg_peer p;
	struct wbuf w;
	const char *v2[] = {"ikev2"};

	peer_sample(&p, true);
	wbuf_init_dyn(&w, 64, 0);
	CHECK_ERR(devcfg_sample("no-such-device", 0, &p, &w), E_DEVCFG_DEVICE);
	CHECK_ERR(devcfg_sample("generic", 7, &p, &w), E_INVAL);
	CHECK_OK(model_tunnel_option_set_list(&vpn.tunnels[1].opt, "IKEVersions", v2, 1, NULL));
	CHECK_ERR(devcfg_sample("generic", MODEL_IKE_V1, &p, &w), E_INVAL);
	wbuf_free(&w);
}

/* swanctl.conf syntax: "name {", "}", "key = value" (value not empty, one per line), or a
 * comment; sections balance. Returns the first bad line number, 0 if all good. */
static int swanctl_bad_line(const char *s)
{
	int line = 0, depth = 0;

	while (*s) {
		size_t n = strcspn(s, "\n");
		char l[1024];
		char *t, *eq;

		line++;
		if (n >= sizeof(l))
			return line;
		memcpy(l, s, n);
		l[n] = 0;
		s += n + (s[n] == '\n');
		for (t = l; *t == ' ' || *t == '\t'; t++)
			;
		if (!*t || *t == '#')
			continue;
		if (strcmp(t, "}") == 0) {
			if (--depth < 0)
				return line;
			continue;
		}
		n = strlen(t);
		if (n > 2 && strcmp(t + n - 2, " {") == 0 && !strchr(t, '=')) {
			depth++;
			continue;
		}
		eq = strstr(t, " = ");
		if (!eq || eq == t || !eq[3] || strchr(eq + 3, '=') || strchr(eq + 3, '{') ||
		    strchr(eq + 3, '}'))
			return line;
		for (char *k = t; k < eq; k++)
			if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
				return line;
	}
	return depth == 0 ? 0 : line;
}

static const char *line_of(const char *s, const char *prefix, unsigned nth, char *out, size_t cap)
{
	const char *a = s;

	for (unsigned i = 0; i <= nth; i++) {
		a = strstr(i ? a + 1 : a, prefix);
		if (!a)
			return NULL;
	}
	snprintf(out, cap, "%.*s", (int)strcspn(a, "\n"), a);
	return out;
}

TEST(devcfg_strongswan_syntax_and_values)
{
	struct devcfg_peer p;
	struct wbuf w;
	char l[1024];
	const char *s;

	peer_sample(&p, true);
	wbuf_init_dyn(&w, 1024, 0);
	CHECK_OK(devcfg_sample("strongswan-swanctl", 0, &p, &w));
	s = wbuf_cstr(&w);
	CHECK_EQ(swanctl_bad_line(s), 0);
	CHECK(strstr(s, "    version = 2\n") != NULL);
	CHECK(strstr(s, "    remote_addrs = 198.51.100.1\n") &&
	      strstr(s, "    remote_addrs = 198.51.100.2\n"));
	CHECK(strstr(s, "      id = 192.0.2.2\n") != NULL);
	/* Defaults: every algorithm, CBC and GCM as separate proposals, all DH groups. */
	CHECK(line_of(s, "    proposals = ", 0, l, sizeof(l)));
	CHECK_STR(l,
	          "    proposals = aes128-aes256-sha1-sha256-sha384-sha512-modp1024-modp2048-"
	          "modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-ecp521-modp1024s160-"
	          "modp2048s224-modp2048s256,aes128gcm16-aes256gcm16-prfsha1-prfsha256-prfsha384-"
	          "prfsha512-modp1024-modp2048-modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-"
	          "ecp521-modp1024s160-modp2048s224-modp2048s256");
	CHECK(line_of(s, "        esp_proposals = ", 0, l, sizeof(l)));
	CHECK(strstr(l, "modp1536") != NULL); /* group 5 allowed in phase 2 */
	CHECK(strstr(l, ",aes128gcm16-aes256gcm16-modp1024-") !=
	      NULL); /* ESP GCM: no integ, no prf */
	CHECK(strstr(s, "prfsha1-modp1536") == NULL);
	/* Lifetimes end at the tunnel's; the device rekeys ahead of the 270 s margin. */
	CHECK(strstr(s, "    rekey_time = 28260s\n    over_time = 540s\n    rand_time = 270s\n"));
	CHECK(strstr(
	    s,
	    "        rekey_time = 3060s\n        life_time = 3600s\n        rand_time = 270s\n"));
	CHECK(strstr(s, "        replay_window = 1024\n") != NULL);
	CHECK(strstr(s, "        local_ts = 0.0.0.0/0\n        remote_ts = 0.0.0.0/0\n") != NULL);
	CHECK(strstr(s, "        start_action = start\n") != NULL);
	CHECK(strstr(s, "dpd_timeout") == NULL); /* IKEv1 only */
	CHECK(strstr(s, "    secret = \"tunnel1_psk_abcdef\"\n") != NULL);
	CHECK(strstr(s, "    secret = \"tunnel2_psk_ghijkl\"\n") != NULL);
	CHECK(strstr(s, "    id-aws = 198.51.100.2\n") != NULL);
	CHECK(strstr(s, "ip addr replace 169.254.44.234/30 dev ipsec0") != NULL);
	wbuf_free(&w);
}

TEST(devcfg_strongswan_restricted_ikev1)
{
	struct devcfg_peer p;
	struct wbuf w;
	char l[512];
	const char *s, *enc[] = {"AES256-GCM-16"}, *integ[] = {"SHA2-256"}, *dh[] = {"14"},
	               *v1[] = {"ikev1"};

	peer_sample(&p, false);
	for (int i = 0; i < 2; i++) {
		struct model_tunnel_options *o = &vpn.tunnels[i].opt;

		CHECK_OK(
		    model_tunnel_option_set_list(o, "Phase1EncryptionAlgorithms", enc, 1, NULL));
		CHECK_OK(
		    model_tunnel_option_set_list(o, "Phase1IntegrityAlgorithms", integ, 1, NULL));
		CHECK_OK(model_tunnel_option_set_list(o, "Phase1DHGroupNumbers", dh, 1, NULL));
		CHECK_OK(model_tunnel_option_set_list(o, "Phase2DHGroupNumbers", dh, 1, NULL));
		CHECK_OK(model_tunnel_option_set_list(o, "IKEVersions", v1, 1, NULL));
		CHECK_OK(model_tunnel_option_set(o, "Phase2LifetimeSeconds", "900", NULL));
		CHECK_OK(model_tunnel_option_set(o, "RekeyMarginTimeSeconds", "450", NULL));
		CHECK_OK(model_tunnel_option_set(o, "DPDTimeoutSeconds", "45", NULL));
		CHECK_OK(model_tunnel_option_set(o, "StartupAction", "start", NULL));
	}
	CHECK_OK(prefix_parse("10.1.0.0/16", false, &vpn.opt.local_ipv4_cidr));
	wbuf_init_dyn(&w, 1024, 0);
	CHECK_OK(devcfg_sample("strongswan-swanctl", 0, &p, &w)); /* ikev1: the only one allowed */
	s = wbuf_cstr(&w);
	CHECK_EQ(swanctl_bad_line(s), 0);
	CHECK(strstr(s, "    version = 1\n    aggressive = no\n") != NULL);
	CHECK(line_of(s, "    proposals = ", 0, l, sizeof(l)));
	CHECK_STR(l, "    proposals = aes256gcm16-prfsha256-modp2048");
	CHECK(strstr(s, "    dpd_timeout = 45s\n") != NULL);
	CHECK(strstr(s, "        local_ts = 10.1.0.0/16\n") != NULL);
	/* 900 s with a 450 s margin: rekey before the end, never at 0. */
	CHECK(strstr(s, "        rekey_time = 450s\n        life_time = 900s\n") != NULL);
	CHECK(strstr(s, "        start_action = none\n") != NULL);
	wbuf_free(&w);
}

TEST(devcfg_swan_rekey_never_zero)
{
	for (uint32_t life = 900; life <= 28800; life += 300)
		for (uint32_t m = 60; m <= 1800 && m <= life / 2; m += 30) {
			uint32_t rekey, rnd;

			devcfg_swan_rekey(life, m, &rekey, &rnd);
			CHECK(rekey > 0 && rekey < life);
			CHECK(rnd < rekey);
		}
}

TEST(devcfg_other_devices_key_lines)
{
	static const struct {
		const char *id;
		const char *want[4];
	} cases[] = {
	    {"libreswan-ipsec-conf",
	     {"conn aws-tun1\n", "    right=198.51.100.2\n", "ikev2=insist",
	      "192.0.2.2 198.51.100.1 : PSK \"tunnel1_psk_abcdef\""}},
	    {"cisco-ios",
	     {"crypto ikev2 proposal PROPOSAL-TUN1\n  encryption aes-cbc-128\n  integrity sha1\n  "
	      "group 2\n",
	      "  ip address 169.254.44.234 255.255.255.252\n",
	      "  tunnel destination 198.51.100.2\n",
	      "  neighbor 169.254.44.233 remote-as 64512\n"}},
	    {"juniper-junos-srx",
	     {"set interfaces st0 unit 1 family inet address 169.254.44.234/30\n",
	      "set security ike gateway gw-tun2 address 198.51.100.2\n",
	      "pre-shared-key ascii-text \"tunnel2_psk_ghijkl\"",
	      "set protocols bgp group ebgp neighbor 169.254.45.1 peer-as 64512\n"}},
	    {"generic",
	     {"IPSec Tunnel #1\n", "  - Pre-Shared Key                    : tunnel1_psk_abcdef\n",
	      "  - Virtual Private Gateway           : 169.254.44.233/30\n",
	      "  - Neighbor IP Address               : 169.254.45.1\n"}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct devcfg_peer p;
		struct wbuf w;
		const char *s;

		peer_sample(&p, true);
		wbuf_init_dyn(&w, 1024, 0);
		CHECK_OK(devcfg_sample(cases[i].id, MODEL_IKE_V2, &p, &w));
		s = wbuf_cstr(&w);
		for (size_t j = 0; j < 4; j++)
			if (!strstr(s, cases[i].want[j])) {
				wbuf_free(&w);
				TEST_FAIL("%s: missing \"%s\"", cases[i].id, cases[i].want[j]);
			}
		wbuf_free(&w);
	}
}

TEST(devcfg_strongswan_ikev1_ike_proposals_without_gcm)
{
	struct devcfg_peer p;
	struct wbuf w;
	char l[1024];
	const char *s;

	peer_sample(&p, true);
	wbuf_init_dyn(&w, 1024, 0);
	CHECK_OK(devcfg_sample("strongswan-swanctl", MODEL_IKE_V1, &p, &w));
	s = wbuf_cstr(&w);
	CHECK(line_of(s, "    proposals = ", 0, l, sizeof(l)));
	CHECK(strstr(l, "gcm") == NULL);
	CHECK(strstr(l, "aes128-aes256-sha1") != NULL);
	/* ESP keeps GCM (strongSwan supports it in IKEv1 quick mode). */
	CHECK(line_of(s, "        esp_proposals = ", 0, l, sizeof(l)));
	CHECK(strstr(l, "aes128gcm16") != NULL);
	wbuf_free(&w);
}
