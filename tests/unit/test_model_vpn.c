/* Unit tests: the VPN connection resource (model/vpn.h): connection rules, generated values,
 * static routes, the engine's tunnel view, JSON round trips and malformed JSON. */
#include "test.h"

#include <arpa/inet.h>

#include "lib/secret.h"
#include "model/vpn.h"

static void vpn_sample(struct model_vpn_connection *c)
{
	model_vpn_init(c);
	strcpy(c->id, "vpn-0123456789abcdef0");
	strcpy(c->cgw_id, "cgw-0123456789abcdef0");
	strcpy(c->vgw_id, "vgw-0123456789abcdef0");
	addr_from_v4(&c->tunnels[0].outside_ip, 0xc633640au); /* 198.51.100.10 */
	addr_from_v4(&c->tunnels[1].outside_ip, 0xc633640bu); /* 198.51.100.11 */
}

TEST(vpn_defaults)
{
	struct model_vpn_connection c;
	char s[PREFIX_STRLEN];

	model_vpn_init(&c);
	CHECK_EQ(c.state, MODEL_VPN_PENDING);
	prefix_format(&c.opt.local_ipv4_cidr, s);
	CHECK_STR(s, "0.0.0.0/0");
	prefix_format(&c.opt.remote_ipv6_cidr, s);
	CHECK_STR(s, "::/0");
	CHECK_STR(model_outside_ip_type_name(c.opt.outside_ip_type), "PublicIpv4");
	CHECK_EQ(c.tunnels[1].opt.phase1_lifetime_s, 28800);
	CHECK(!c.opt.static_routes_only && !c.opt.enable_acceleration && !c.opt.tunnel_inside_ipv6);
}

TEST(vpn_fill_generated_distinct)
{
	struct model_vpn_connection c;
	struct prefix used[1];

	vpn_sample(&c);
	CHECK_OK(prefix_parse("169.254.10.0/30", false, &used[0]));
	CHECK_OK(model_vpn_fill_generated(&c, used, 1, NULL, 0));
	CHECK_EQ(strlen(c.tunnels[0].opt.psk), 32);
	CHECK(strcmp(c.tunnels[0].opt.psk, c.tunnels[1].opt.psk) != 0);
	CHECK(!prefix_equal(&c.tunnels[0].opt.inside_cidr, &c.tunnels[1].opt.inside_cidr));
	CHECK(!prefix_equal(&c.tunnels[0].opt.inside_cidr, &used[0]));
	CHECK(!c.tunnels[0].opt.has_inside_ipv6);
	CHECK_OK(model_vpn_validate(&c, true, NULL));
	model_vpn_wipe(&c);
}

TEST(vpn_fill_keeps_given_values)
{
	struct model_vpn_connection c;

	vpn_sample(&c);
	strcpy(c.tunnels[1].opt.psk, "given_psk.1");
	CHECK_OK(prefix_parse("169.254.77.0/30", false, &c.tunnels[0].opt.inside_cidr));
	CHECK_OK(model_vpn_fill_generated(&c, NULL, 0, NULL, 0));
	CHECK_STR(c.tunnels[1].opt.psk, "given_psk.1");
	CHECK_EQ(addr_v4(&c.tunnels[0].opt.inside_cidr.addr), 0xa9fe4d00u);
	CHECK(!prefix_equal(&c.tunnels[0].opt.inside_cidr, &c.tunnels[1].opt.inside_cidr));
}

TEST(vpn_ipv6_tgw_gets_both_cidrs)
{
	struct model_vpn_connection c;

	vpn_sample(&c);
	c.vgw_id[0] = 0;
	strcpy(c.tgw_id, "tgw-0123456789abcdef0");
	c.opt.tunnel_inside_ipv6 = true;
	CHECK_OK(model_vpn_fill_generated(&c, NULL, 0, NULL, 0));
	CHECK(c.tunnels[0].opt.has_inside_ipv6 && c.tunnels[1].opt.has_inside_ipv6);
	CHECK(c.tunnels[0].opt.inside_cidr.addr.family == AF_INET);
	CHECK_OK(model_vpn_validate(&c, true, NULL));
}

/* Connection-level negative cases. */
TEST(vpn_connection_rules)
{
	struct model_vpn_connection c;
	struct model_err e = {0};

	vpn_sample(&c);
	c.opt.tunnel_inside_ipv6 = true; /* ipv6 on a VGW */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);
	CHECK(strstr(e.msg, "transit gateway") != NULL);

	vpn_sample(&c);
	c.opt.enable_acceleration = true; /* acceleration on a VGW */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);

	vpn_sample(&c);
	strcpy(c.tgw_id, "tgw-1"); /* both gateways */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);

	vpn_sample(&c);
	c.vgw_id[0] = 0;
	strcpy(c.tgw_id, "tgw-1");
	c.opt.outside_ip_type = MODEL_OUTSIDE_PRIVATE_IPV4; /* no transport attachment */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);
	strcpy(c.opt.transport_attachment_id, "tgw-attach-1");
	CHECK_OK(model_vpn_validate(&c, true, &e));
	c.opt.enable_acceleration = true; /* accel + private */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);

	vpn_sample(&c);
	CHECK_OK(prefix_parse("169.254.9.0/30", false, &c.tunnels[0].opt.inside_cidr));
	c.tunnels[1].opt.inside_cidr = c.tunnels[0].opt.inside_cidr; /* same /30 twice */
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);

	vpn_sample(&c);
	c.tunnels[1].opt.startup_action = MODEL_STARTUP_START; /* CGW without an address */
	CHECK_ERR(model_vpn_validate(&c, false, &e), E_MODEL_INVALID);
	CHECK_OK(model_vpn_validate(&c, true, &e));

	vpn_sample(&c);
	c.tunnels[0].opt.has_inside_ipv6 = true; /* IPv6 CIDR on an IPv4 connection */
	CHECK_OK(prefix_parse("fd00::/126", false, &c.tunnels[0].opt.inside_ipv6_cidr));
	CHECK_ERR(model_vpn_validate(&c, true, &e), E_MODEL_INVALID);
}

TEST(vpn_tunnel_lookup_and_build)
{
	struct model_vpn_connection c;
	struct model_tunnel t;
	struct addr cgw;
	char s[ADDR_STRLEN];

	vpn_sample(&c);
	CHECK_EQ(model_vpn_tunnel_by_outside(&c, "198.51.100.11"), 1);
	CHECK_EQ(model_vpn_tunnel_by_outside(&c, "198.51.100.12"), -1);
	CHECK_EQ(model_vpn_tunnel_by_outside(&c, "nonsense"), -1);
	CHECK_OK(addr_parse("192.0.2.2", &cgw));
	CHECK_OK(prefix_parse("10.1.0.0/16", false, &c.opt.local_ipv4_cidr));
	c.tunnels[1].opt.dpd_timeout_s = 77;
	model_vpn_tunnel_build(&c, 2, &cgw, &t);
	CHECK_STR(t.vpn_id, "vpn-0123456789abcdef0");
	CHECK_EQ(t.index, 2);
	addr_format(&t.outside_local, s);
	CHECK_STR(s, "198.51.100.11");
	CHECK(addr_equal(&t.outside_remote, &cgw));
	CHECK_EQ(t.local_net.len, 16);
	CHECK_EQ(t.opt.dpd_timeout_s, 77);
	model_vpn_tunnel_build(&c, 1, NULL, &t);
	CHECK_EQ(t.outside_remote.family, 0);
}

TEST(vpn_routes)
{
	static struct model_vpn_connection c;
	struct prefix p;

	vpn_sample(&c);
	CHECK_OK(prefix_parse("192.168.0.0/24", false, &p));
	CHECK_OK(model_vpn_route_add(&c, &p));
	CHECK_ERR(model_vpn_route_add(&c, &p), E_EXISTS);
	CHECK_OK(model_vpn_route_del(&c, &p));
	CHECK_ERR(model_vpn_route_del(&c, &p), E_NOTFOUND);
	for (uint32_t i = 0; i < 100; i++) {
		p.len = 24;
		addr_from_v4(&p.addr, 0x0a000000u | i << 8);
		CHECK_OK(model_vpn_route_add(&c, &p));
	}
	p.len = 24;
	addr_from_v4(&p.addr, 0x0b000000u);
	CHECK_ERR(model_vpn_route_add(&c, &p), E_RANGE); /* the 101st (G:5628) */
}

TEST(vpn_json_round_trip)
{
	static struct model_vpn_connection c, d;
	const char *v1[] = {"ikev2"}, *dh[] = {"14", "20"}, *enc[] = {"AES256-GCM-16"};
	struct prefix p;
	char *json = NULL, *json2 = NULL;

	vpn_sample(&c);
	c.state = MODEL_VPN_AVAILABLE;
	c.created_s = 1790000000;
	c.opt.static_routes_only = true;
	CHECK_OK(prefix_parse("10.9.0.0/16", false, &c.opt.remote_ipv4_cidr));
	CHECK_OK(model_vpn_fill_generated(&c, NULL, 0, NULL, 0));
	CHECK_OK(model_tunnel_option_set(&c.tunnels[1].opt, "Phase2LifetimeSeconds", "1200", NULL));
	CHECK_OK(model_tunnel_option_set(&c.tunnels[1].opt, "DPDTimeoutAction", "none", NULL));
	CHECK_OK(model_tunnel_option_set(
	    &c.tunnels[1].opt, "LogOptions.CloudWatchLogOptions.LogEnabled", "true", NULL));
	CHECK_OK(model_tunnel_option_set(&c.tunnels[1].opt,
	                                 "LogOptions.CloudWatchLogOptions.LogGroupArn",
	                                 "arn:aws:logs:us-east-1:111122223333:log-group:g", NULL));
	CHECK_OK(model_tunnel_option_set_list(&c.tunnels[1].opt, "IKEVersions", v1, 1, NULL));
	CHECK_OK(
	    model_tunnel_option_set_list(&c.tunnels[1].opt, "Phase1DHGroupNumbers", dh, 2, NULL));
	CHECK_OK(model_tunnel_option_set_list(&c.tunnels[0].opt, "Phase2EncryptionAlgorithms", enc,
	                                      1, NULL));
	c.tunnels[0].up = true;
	c.tunnels[0].accepted_route_count = 3;
	strcpy(c.tunnels[0].status_message, "1 BGP ROUTES");
	c.tunnels[1].opt.lifecycle_control = true;
	c.tunnels[1].pending_maintenance = true;
	c.tunnels[1].maintenance_auto_applied_after_s = 1790001000;
	CHECK_OK(prefix_parse("192.168.1.0/24", false, &p));
	CHECK_OK(model_vpn_route_add(&c, &p));
	strcpy(c.tags[0].key, "Name");
	strcpy(c.tags[0].value, "site \"a\" <b>");
	c.ntags = 1;

	CHECK_OK(model_vpn_to_json(&c, &json));
	CHECK_OK(model_vpn_from_json(json, strlen(json), &d));
	CHECK_OK(model_vpn_to_json(&d, &json2));
	CHECK_STR(json, json2);
	CHECK(memcmp(&c.tunnels[1].opt, &d.tunnels[1].opt, sizeof(c.tunnels[1].opt)) == 0);
	CHECK(memcmp(&c.tunnels[0].opt, &d.tunnels[0].opt, sizeof(c.tunnels[0].opt)) == 0);
	CHECK(memcmp(&c.opt, &d.opt, sizeof(c.opt)) == 0);
	CHECK_STR(d.tags[0].value, "site \"a\" <b>");
	CHECK_EQ(d.nroutes, 1);
	CHECK_EQ(d.state, MODEL_VPN_AVAILABLE);
	CHECK_EQ(d.tunnels[1].maintenance_auto_applied_after_s, 1790001000);
	CHECK(addr_equal(&c.tunnels[1].outside_ip, &d.tunnels[1].outside_ip));
	secret_wipe(json, strlen(json));
	secret_wipe(json2, strlen(json2));
	free(json);
	free(json2);
}

/* Every malformed or out-of-rule document is refused, none crashes. */
TEST(vpn_json_rejects_bad_documents)
{
	static struct model_vpn_connection c, d;
	static const struct {
		const char *from, *to;
	} edits[] = {
	    {"\"v\":1", "\"v\":2"},
	    {"\"state\":\"pending\"", "\"state\":\"gone\""},
	    {"\"Phase1LifetimeSeconds\":28800", "\"Phase1LifetimeSeconds\":28801"},
	    {"\"Phase1LifetimeSeconds\":28800", "\"Phase1LifetimeSeconds\":\"x\""},
	    {"\"Phase1DHGroupNumbers\":[2,", "\"Phase1DHGroupNumbers\":[5,"},
	    {"\"IKEVersions\":[\"ikev1\",\"ikev2\"]", "\"IKEVersions\":[]"},
	    {"\"tunnel_inside_ip_version\":\"ipv4\"", "\"tunnel_inside_ip_version\":\"v4\""},
	    {"\"local_ipv4_network_cidr\":\"0.0.0.0/0\"", "\"local_ipv4_network_cidr\":\"::/0\""},
	    {"\"static_routes_only\":false", "\"static_routes_only\":0"},
	    {"\"outside_ip\":\"198.51.100.10\"", "\"outside_ip\":\"198.51.100.300\""},
	    {"\"routes\":[]", "\"routes\":{}"},
	    {"\"tags\":[]", "\"tags\":[1]"},
	    {"\"DPDTimeoutAction\":\"clear\"", "\"DPDTimeoutAction\":\"explode\""},
	    {"\"Bogus\":1", ""},
	};
	char *json = NULL;

	vpn_sample(&c);
	CHECK_OK(model_vpn_fill_generated(&c, NULL, 0, NULL, 0));
	CHECK_OK(model_vpn_to_json(&c, &json));
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char buf[8192];
		const char *at = strstr(json, edits[i].from);

		if (!at) {
			/* The last case adds an unknown tunnel option. */
			const char *opts = strstr(json, "\"options\":{\"TunnelInsideCidr\"");

			CHECK(opts != NULL);
			snprintf(buf, sizeof(buf), "%.*s\"options\":{\"Bogus\":1,%s",
			         (int)(opts - json), json, opts + strlen("\"options\":{"));
		} else {
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - json), json, edits[i].to,
			         at + strlen(edits[i].from));
		}
		if (model_vpn_from_json(buf, strlen(buf), &d) != E_PARSE)
			TEST_FAIL("edit %zu accepted", i);
	}
	CHECK_ERR(model_vpn_from_json("", 0, &d), E_PARSE);
	CHECK_ERR(model_vpn_from_json("[]", 2, &d), E_PARSE);
	CHECK_ERR(model_vpn_from_json("{\"v\":1}", 7, &d), E_PARSE);
	CHECK_ERR(model_vpn_from_json(json, strlen(json) - 1, &d), E_PARSE); /* truncated */
	CHECK_OK(model_vpn_from_json(json, strlen(json), &d));
	free(json);
}
