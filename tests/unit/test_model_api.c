/* Unit tests: the VPN connection operations (src/api/api_vpn*.c) called in process on a real
 * store in a temporary directory, the way the dispatcher calls them (one transaction each).
 * The real-client tests are tests/api/test_vpn_*.py; these pin the rules cheaply. */
#include "test.h"

#include <ftw.h>
#include <unistd.h>

#include "api/api_handlers.h"
#include "api/api_vpn.h"
#include "conf/conf.h"
#include "lib/secret.h"
#include "api/api_req.h"
#include "lib/buf.h"
#include "store/store.h"

struct call_out {
	char body[65536];
	char code[64];
	char msg[API_ERR_MSG_MAX];
};

static struct store *st;
static char dir[64];

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s;
	(void)f;
	(void)w;
	return remove(p);
}

static void store_fresh(void)
{
	if (st) {
		store_close(st);
		nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	}
	snprintf(dir, sizeof(dir), "/tmp/gh-test-vpn-XXXXXX");
	if (!mkdtemp(dir) || store_open(dir, &st) != E_OK)
		abort();
}

__attribute__((destructor)) static void store_gone(void)
{
	if (st) {
		store_close(st);
		nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	}
}

/* Run one handler on a form body; E_OK or E_API (code in out->code). */
static result_t call(api_handler_fn fn, const char *form, struct call_out *out)
{
	struct api_req rq = {0};
	struct api_resp rs = {0};
	struct rbuf in;
	char err[256];
	result_t rc;

	rbuf_init(&in, form, strlen(form));
	if (api_form_parse(&in, &rq.params, err, sizeof(err)) != E_OK)
		abort();
	rq.action = "Test";
	rq.region = "us-east-1";
	rq.owner_id = API_OWNER_ID;
	rq.store = st;
	snprintf(rq.request_id, sizeof(rq.request_id), "test");
	wbuf_init_dyn(&rs.body, 4096, 0);
	xml_init(&rs.x, &rs.body);
	if (store_begin(st) != E_OK)
		abort();
	rc = fn(&rq, &rs);
	if (rc == E_OK) {
		if (store_commit(st) != E_OK)
			abort();
	} else {
		store_rollback(st);
	}
	snprintf(out->body, sizeof(out->body), "%s", wbuf_cstr(&rs.body));
	snprintf(out->code, sizeof(out->code), "%s", rs.code);
	snprintf(out->msg, sizeof(out->msg), "%s", rs.message);
	wbuf_free(&rs.body);
	api_params_fini(&rq.params);
	return rc;
}

/* Value of the first <tag>...</tag> after `from` in s (static buffer). */
static const char *elem(const char *s, const char *tag)
{
	static char buf[512];
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(s, open);
	if (!a)
		return "";
	a += strlen(open);
	b = strstr(a, close);
	if (!b)
		return "";
	snprintf(buf, sizeof(buf), "%.*s", (int)(b - a), a);
	return buf;
}

static void make_cgw(char *cgw)
{
	static struct call_out co;
	static unsigned host = 1;
	char form[128];

	/* A distinct address each time: the same IP and ASN would be the same gateway. */
	snprintf(form, sizeof(form), "Type=ipsec.1&IpAddress=192.0.2.%u&BgpAsn=65000", host++);
	if (call(api_cgw_create, form, &co) != E_OK)
		abort();
	snprintf(cgw, 32, "%s", elem(co.body, "customerGatewayId"));
}

static void make_gateways(char *cgw, char *vgw)
{
	static struct call_out co;

	make_cgw(cgw);
	if (call(api_vgw_create, "Type=ipsec.1", &co) != E_OK)
		abort();
	snprintf(vgw, 32, "%s", elem(co.body, "vpnGatewayId"));
}

static struct call_out o;

TEST(api_vpn_create_defaults)
{
	char cgw[32], vgw[32], form[256];

	store_fresh();
	make_gateways(cgw, vgw);
	snprintf(form, sizeof(form), "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s", cgw, vgw);
	CHECK_OK(call(api_vpn_create, form, &o));
	CHECK(strncmp(elem(o.body, "vpnConnectionId"), "vpn-", 4) == 0);
	CHECK_STR(elem(o.body, "state"), "pending");
	CHECK_STR(elem(o.body, "phase1LifetimeSeconds"), "28800");
	CHECK_STR(elem(o.body, "dpdTimeoutSeconds"), "40");
	CHECK_STR(elem(o.body, "startupAction"), "add");
	CHECK_STR(elem(o.body, "localIpv4NetworkCidr"), "0.0.0.0/0");
	CHECK_STR(elem(o.body, "outsideIpAddress"), "198.51.100.1");
	CHECK(strstr(o.body, "<outsideIpAddress>198.51.100.2</outsideIpAddress>") != NULL);
	CHECK(strstr(o.body, "&lt;vpn_connection id=") != NULL);
	CHECK_EQ(strlen(elem(o.body, "preSharedKey")), 32);
	CHECK_STR(elem(o.body, "status"), "DOWN");
}

TEST(api_vpn_create_rules)
{
	static const struct {
		const char *extra, *code;
	} cases[] = {
	    {"&Options.TunnelOptions.1.TunnelInsideCidr=169.254.1.0/30", "InvalidParameterValue"},
	    {"&Options.TunnelOptions.1.PreSharedKey=0abcdefgh", "InvalidParameterValue"},
	    {"&Options.TunnelOptions.2.Phase1DHGroupNumber.1.Value=5", "InvalidParameterValue"},
	    {"&Options.TunnelOptions.1.Phase1LifetimeSeconds=1800&Options.TunnelOptions.1."
	     "Phase2LifetimeSeconds=1800",
	     "InvalidParameterValue"},
	    {"&Options.TunnelOptions.3.DPDTimeoutSeconds=40", "InvalidParameterValue"},
	    {"&Options.TunnelInsideIpVersion=ipv6", "InvalidParameterValue"},
	    {"&Options.EnableAcceleration=true", "InvalidParameterValue"},
	    {"&Options.LocalIpv4NetworkCidr=fd00::/8", "InvalidParameterValue"},
	    {"&Options.TunnelOptions.1.IKEVersion.1.Value=ikev1&Options.TunnelOptions.1."
	     "StartupAction=start",
	     "InvalidParameterCombination"},
	};
	char cgw[32], vgw[32], form[512];

	store_fresh();
	make_gateways(cgw, vgw);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(form, sizeof(form), "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s%s",
		         cgw, vgw, cases[i].extra);
		if (call(api_vpn_create, form, &o) != E_API)
			TEST_FAIL("case %zu accepted", i);
		if (strcmp(o.code, cases[i].code) != 0)
			TEST_FAIL("case %zu: %s (%s), want %s", i, o.code, o.msg, cases[i].code);
	}
	snprintf(form, sizeof(form), "Type=ipsec.2&CustomerGatewayId=%s", cgw);
	CHECK_ERR(call(api_vpn_create, form, &o), E_API);
	CHECK_ERR(call(api_vpn_create, "Type=ipsec.1&CustomerGatewayId=cgw-00000000000000000", &o),
	          E_API);
	CHECK_STR(o.code, "InvalidCustomerGatewayID.NotFound");
}

TEST(api_vpn_inside_cidr_in_use_on_same_vgw)
{
	char cgw[32], vgw[32], cgw2[32], vgw2[32], form[512];

	store_fresh();
	make_gateways(cgw, vgw);
	make_gateways(cgw2, vgw2);
	snprintf(form, sizeof(form),
	         "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s"
	         "&Options.TunnelOptions.1.TunnelInsideCidr=169.254.10.0/30",
	         cgw, vgw);
	CHECK_OK(call(api_vpn_create, form, &o));
	snprintf(form, sizeof(form),
	         "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s"
	         "&Options.TunnelOptions.2.TunnelInsideCidr=169.254.10.0/30",
	         cgw2, vgw);
	CHECK_ERR(call(api_vpn_create, form, &o), E_API);
	CHECK_STR(o.code, "InvalidCidr.InUse");
	/* Another VGW: fine. */
	snprintf(form, sizeof(form),
	         "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s"
	         "&Options.TunnelOptions.2.TunnelInsideCidr=169.254.10.0/30",
	         cgw2, vgw2);
	CHECK_OK(call(api_vpn_create, form, &o));
}

TEST(api_vpn_describe_delete_modify)
{
	char cgw[32], vgw[32], form[512], id[32], ip2[32];
	int64_t next;

	store_fresh();
	make_gateways(cgw, vgw);
	snprintf(form, sizeof(form),
	         "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s&Options.StaticRoutesOnly=true"
	         "&TagSpecification.1.ResourceType=vpn-connection&TagSpecification.1.Tag.1.Key=Name"
	         "&TagSpecification.1.Tag.1.Value=site-a",
	         cgw, vgw);
	CHECK_OK(call(api_vpn_create, form, &o));
	snprintf(id, sizeof(id), "%s", elem(o.body, "vpnConnectionId"));
	CHECK_OK(store_tick(st, store_now_ms() + 60000, &next));
	snprintf(form, sizeof(form), "VpnConnectionId.1=%s", id);
	CHECK_OK(call(api_vpn_describe, form, &o));
	CHECK_STR(elem(o.body, "state"), "available");
	CHECK_STR(elem(o.body, "value"), "AES128"); /* first item of the first set */
	CHECK(strstr(o.body, "<key>Name</key><value>site-a</value>") != NULL ||
	      strstr(o.body, "<value>site-a</value>") != NULL);
	CHECK_OK(call(api_vpn_describe, "Filter.1.Name=tag:Name&Filter.1.Value.1=site-b", &o));
	CHECK(strstr(o.body, "vpnConnectionId") == NULL);
	CHECK_OK(call(api_vpn_describe,
	              "Filter.1.Name=option.static-routes-only&Filter.1.Value.1=true", &o));
	CHECK(strstr(o.body, id) != NULL);
	CHECK_ERR(call(api_vpn_describe, "Filter.1.Name=bogus&Filter.1.Value.1=x", &o), E_API);

	/* Routes. */
	snprintf(form, sizeof(form), "VpnConnectionId=%s&DestinationCidrBlock=192.168.0.0/24", id);
	CHECK_OK(call(api_vpn_route_create, form, &o));
	CHECK_ERR(call(api_vpn_route_create, form, &o), E_API);
	CHECK_STR(o.code, "RouteAlreadyExists");

	/* Tunnel options of tunnel 2 by its outside address. */
	snprintf(form, sizeof(form), "VpnConnectionId=%s", id);
	CHECK_OK(call(api_vpn_describe, form, &o));
	snprintf(ip2, sizeof(ip2), "%s", "198.51.100.2");
	snprintf(
	    form, sizeof(form),
	    "VpnConnectionId=%s&VpnTunnelOutsideIpAddress=%s&TunnelOptions.DPDTimeoutSeconds=45"
	    "&TunnelOptions.Phase2DHGroupNumber.1.Value=14",
	    id, ip2);
	CHECK_OK(call(api_vpn_modify_tunnel_options, form, &o));
	CHECK(strstr(o.body, "<dpdTimeoutSeconds>45</dpdTimeoutSeconds>") != NULL);
	CHECK(strstr(o.body, "<dpdTimeoutSeconds>40</dpdTimeoutSeconds>") != NULL);
	snprintf(form, sizeof(form),
	         "VpnConnectionId=%s&VpnTunnelOutsideIpAddress=203.0.113.9&TunnelOptions."
	         "DPDTimeoutSeconds=45",
	         id);
	CHECK_ERR(call(api_vpn_modify_tunnel_options, form, &o), E_API);

	/* Sample configuration. */
	snprintf(form, sizeof(form),
	         "VpnConnectionId=%s&VpnConnectionDeviceTypeId=strongswan-swanctl", id);
	CHECK_OK(call(api_vpn_device_sample, form, &o));
	CHECK(strstr(o.body, "remote_addrs = 198.51.100.2") != NULL);
	CHECK(strstr(o.body, "esp_proposals = aes128-aes256-sha1-sha256-sha384-sha512-modp2048,") !=
	      NULL);

	/* Delete: deleted, still visible; again is fine. */
	snprintf(form, sizeof(form), "VpnConnectionId=%s", id);
	CHECK_OK(call(api_vpn_delete, form, &o));
	CHECK_OK(store_tick(st, store_now_ms() + 1000, &next));
	snprintf(form, sizeof(form), "VpnConnectionId.1=%s", id);
	CHECK_OK(call(api_vpn_describe, form, &o));
	CHECK_STR(elem(o.body, "state"), "deleted");
	CHECK(strstr(o.body, "customerGatewayConfiguration") == NULL);
	snprintf(form, sizeof(form), "VpnConnectionId=%s", id);
	CHECK_OK(call(api_vpn_delete, form, &o));
}

TEST(api_vpn_quota_per_vgw)
{
	char cgw[32], vgw[32], form[256];

	store_fresh();
	make_gateways(cgw, vgw);
	for (int i = 0; i < 11; i++) {
		char c2[32];
		result_t rc;

		make_cgw(c2);
		snprintf(form, sizeof(form), "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s",
		         c2, vgw);
		rc = call(api_vpn_create, form, &o);
		if (i < 10 && rc != E_OK)
			TEST_FAIL("connection %d refused: %s %s", i + 1, o.code, o.msg);
		if (i == 10) {
			CHECK_ERR(rc, E_API);
			CHECK_STR(o.code, "VpnConnectionLimitExceeded");
		}
	}
}

TEST(api_vpn_telemetry_from_engine)
{
	char cgw[32], vgw[32], form[256], id[32];
	struct addr out;

	store_fresh();
	make_gateways(cgw, vgw);
	snprintf(form, sizeof(form), "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s", cgw, vgw);
	CHECK_OK(call(api_vpn_create, form, &o));
	snprintf(id, sizeof(id), "%s", elem(o.body, "vpnConnectionId"));
	addr_from_v4(&out, 0xc6336402u); /* 198.51.100.2: tunnel 2 */
	CHECK_OK(api_vpn_telemetry_update(st, id, &out, true, "2 BGP ROUTES", 2));
	snprintf(form, sizeof(form), "VpnConnectionId.1=%s", id);
	CHECK_OK(call(api_vpn_describe, form, &o));
	CHECK(strstr(o.body,
	             "<outsideIpAddress>198.51.100.2</outsideIpAddress><status>UP</status>") !=
	      NULL);
	CHECK(strstr(o.body, "<statusMessage>2 BGP ROUTES</statusMessage><acceptedRouteCount>2<") !=
	      NULL);
	CHECK(strstr(o.body,
	             "<outsideIpAddress>198.51.100.1</outsideIpAddress><status>DOWN</status>") !=
	      NULL);
	addr_from_v4(&out, 0xc6336409u);
	CHECK_ERR(api_vpn_telemetry_update(st, id, &out, true, NULL, 0), E_NOTFOUND);
	CHECK_ERR(api_vpn_telemetry_update(st, "vpn-00000000000000000", &out, true, NULL, 0),
	          E_NOTFOUND);
}

TEST(api_vpn_engine_tunnels_from_store)
{
	char cgw[32], vgw[32], form[512], id[32];
	struct conf_tunnel *t = NULL;
	size_t n = 0;
	char s[PREFIX_STRLEN];

	store_fresh();
	make_gateways(cgw, vgw);
	snprintf(form, sizeof(form),
	         "Type=ipsec.1&CustomerGatewayId=%s&VpnGatewayId=%s&Options.StaticRoutesOnly=true"
	         "&Options.TunnelOptions.2.DPDTimeoutSeconds=90",
	         cgw, vgw);
	CHECK_OK(call(api_vpn_create, form, &o));
	snprintf(id, sizeof(id), "%s", elem(o.body, "vpnConnectionId"));
	snprintf(form, sizeof(form), "VpnConnectionId=%s&DestinationCidrBlock=10.8.0.0/16", id);
	CHECK_OK(call(api_vpn_route_create, form, &o));
	CHECK_OK(api_vpn_conf_tunnels(st, &t, &n));
	CHECK_EQ(n, 2);
	if (n != 2) {
		free(t);
		return;
	}
	CHECK_STR(t[0].t.vpn_id, id);
	CHECK_EQ(t[0].t.index, 1);
	CHECK_EQ(t[1].t.index, 2);
	CHECK_EQ(t[1].t.opt.dpd_timeout_s, 90);
	CHECK_EQ(t[0].t.opt.dpd_timeout_s, 40);
	CHECK_EQ(t[0].t.outside_remote.family, AF_INET); /* the CGW's address */
	CHECK_EQ(t[1].nroutes, 1);
	prefix_format(&t[1].routes[0].prefix, s);
	CHECK_STR(s, "10.8.0.0/16");
	CHECK_EQ(strlen(t[0].t.opt.psk), 32);
	secret_wipe(t, n * sizeof(*t));
	free(t);
	/* Deleted connections are not desired any more. */
	snprintf(form, sizeof(form), "VpnConnectionId=%s", id);
	CHECK_OK(call(api_vpn_delete, form, &o));
	CHECK_OK(api_vpn_conf_tunnels(st, &t, &n));
	CHECK_EQ(n, 0);
	free(t);
}
