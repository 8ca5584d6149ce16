/*
 * test_cvpn.c - the Client VPN model: every validation rule of client-vpn.md with a passing
 * and a failing case (table-driven), sub-resource rules, authorization semantics, JSON round
 * trip, the exported profile and the CRL check.
 */
#include <json-c/json.h>

#include "cvpn/cvpn.h"
#include "test.h"

#define REGION "us-east-1"
#define ACCOUNT "123456789012"

/* ---- table-driven attribute checks ---- */

struct cidr_case {
	const char *in;
	result_t want;
	const char *code;
};

TEST(cvpn_client_cidr_sizes)
{
	/* claim 1: /12../22 accepted, /23 and /11 rejected; B2a format */
	static const struct cidr_case cases[] = {
	    {"10.0.0.0/22", E_OK, NULL},
	    {"10.0.0.0/12", E_OK, NULL},
	    {"172.16.0.0/16", E_OK, NULL},
	    {"10.0.0.0/23", E_CVPN_INVALID, "InvalidParameterValue"},
	    {"10.0.0.0/11", E_CVPN_INVALID, "InvalidParameterValue"},
	    {"10.0.0.1/22", E_CVPN_INVALID, "InvalidParameterValue"}, /* host bits */
	    {"fd00::/48", E_CVPN_INVALID, "InvalidParameterValue"},
	    {"banana", E_CVPN_INVALID, "InvalidParameterValue"},
	    {"", E_CVPN_INVALID, "InvalidParameterValue"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cvpn_verr err = {"", ""};
		struct prefix p;

		CHECK_ERR(cvpn_check_client_cidr(cases[i].in, &p, &err), cases[i].want);
		if (cases[i].code)
			CHECK_STR(err.code, cases[i].code);
	}
}

struct num_case {
	uint64_t v;
	result_t want;
};

TEST(cvpn_port_values)
{
	/* claim 8 */
	static const struct num_case cases[] = {
	    {443, E_OK},
	    {1194, E_OK},
	    {8443, E_CVPN_INVALID},
	    {0, E_CVPN_INVALID},
	    {65535, E_CVPN_INVALID},
	};
	struct cvpn_verr err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_ERR(cvpn_check_port(cases[i].v, &err), cases[i].want);
	CHECK(strstr(err.msg, "443") && strstr(err.msg, "1194"));
}

TEST(cvpn_session_hours_values)
{
	/* claim 9 */
	static const struct num_case cases[] = {
	    {8, E_OK},           {10, E_OK},           {12, E_OK},          {24, E_OK},
	    {6, E_CVPN_INVALID}, {48, E_CVPN_INVALID}, {0, E_CVPN_INVALID}, {9, E_CVPN_INVALID},
	};
	struct cvpn_verr err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_ERR(cvpn_check_session_hours(cases[i].v, &err), cases[i].want);
}

TEST(cvpn_transport_values)
{
	struct cvpn_verr err;
	enum cvpn_transport t;

	CHECK_OK(cvpn_check_transport("udp", &t, &err));
	CHECK(t == CVPN_UDP);
	CHECK_OK(cvpn_check_transport("tcp", &t, &err));
	CHECK(t == CVPN_TCP);
	CHECK_ERR(cvpn_check_transport("UDP", &t, &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_transport("sctp", &t, &err), E_CVPN_INVALID);
}

TEST(cvpn_banner_length_and_utf8)
{
	/* claim 11: 1400 characters ok, 1401 not, invalid UTF-8 not; characters, not bytes */
	char *s = malloc(1402 * 3 + 1);
	struct cvpn_verr err;
	size_t i;

	CHECK(s != NULL);
	for (i = 0; i < 1400; i++)
		memcpy(s + 3 * i, "\xe3\x81\x82", 3); /* U+3042, 3 bytes */
	s[3 * 1400] = 0;
	CHECK_OK(cvpn_check_banner(s, &err));
	memcpy(s + 3 * 1400, "x", 2);
	CHECK_ERR(cvpn_check_banner(s, &err), E_CVPN_INVALID);
	CHECK(strstr(err.msg, "1401") != NULL);
	free(s);
	CHECK_ERR(cvpn_check_banner("bad \xc3\x28 utf8", &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_banner("overlong \xc0\xaf", &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_banner("surrogate \xed\xa0\x80", &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_banner("truncated \xe3\x81", &err), E_CVPN_INVALID);
	CHECK_OK(cvpn_check_banner("Welcome \xf0\x9f\x94\x92", &err));
	CHECK_OK(cvpn_check_banner(NULL, &err));
}

TEST(cvpn_dns_servers)
{
	/* claim 12: at most two, IPv4 */
	const char *two[] = {"10.0.0.2", "8.8.8.8"};
	const char *three[] = {"10.0.0.2", "8.8.8.8", "1.1.1.1"};
	const char *v6[] = {"fd00::1"};
	const char *junk[] = {"dns.example"};
	struct addr a[CVPN_DNS_SERVERS_MAX];
	struct cvpn_verr err;

	CHECK_OK(cvpn_check_dns(two, 2, a, &err));
	CHECK_EQ(addr_v4(&a[1]), 0x08080808u);
	CHECK_ERR(cvpn_check_dns(three, 3, a, &err), E_CVPN_INVALID);
	CHECK(strstr(err.msg, "at most 2") != NULL);
	CHECK_ERR(cvpn_check_dns(v6, 1, a, &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_dns(junk, 1, a, &err), E_CVPN_INVALID);
	CHECK_OK(cvpn_check_dns(NULL, 0, a, &err));
}

TEST(cvpn_log_options)
{
	/* claim 13 */
	struct cvpn_verr err;

	CHECK_OK(cvpn_check_log(false, NULL, &err));
	CHECK_OK(cvpn_check_log(true, "grp", &err));
	CHECK_ERR(cvpn_check_log(true, NULL, &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_log(true, "", &err), E_CVPN_INVALID);
	CHECK(strstr(err.msg, "CloudwatchLogGroup") != NULL);
}

struct arn_case {
	const char *arn;
	result_t want;
};

TEST(cvpn_lambda_arn)
{
	/* claim 18 / D4-D6 */
	static const struct arn_case cases[] = {
	    {"arn:aws:lambda:us-east-1:123456789012:function:AWSClientVPN-check", E_OK},
	    {"arn:aws:lambda:us-east-1:123456789012:function:AWSClientVPN-check:prod", E_OK},
	    {"arn:aws:lambda:us-east-1:123456789012:function:check", E_CVPN_INVALID},
	    {"arn:aws:lambda:us-east-1:123456789012:function:AWSClientVPN-", E_CVPN_INVALID},
	    {"arn:aws:lambda:eu-west-1:123456789012:function:AWSClientVPN-x", E_CVPN_INVALID},
	    {"arn:aws:lambda:us-east-1:999999999999:function:AWSClientVPN-x", E_CVPN_INVALID},
	    {"arn:aws:lambda:us-east-1:12345:function:AWSClientVPN-x", E_CVPN_INVALID},
	    {"arn:aws:s3:::bucket", E_CVPN_INVALID},
	    {"", E_CVPN_INVALID},
	};
	struct cvpn_verr err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_ERR(cvpn_check_lambda_arn(cases[i].arn, REGION, ACCOUNT, &err),
		          cases[i].want);
	CHECK_ERR(cvpn_check_lambda_arn(NULL, REGION, ACCOUNT, &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_check_lambda_arn(cases[2].arn, REGION, ACCOUNT, &err), E_CVPN_INVALID);
	CHECK(strstr(err.msg, "AWSClientVPN-") != NULL);
}

TEST(cvpn_acm_arn)
{
	static const struct arn_case cases[] = {
	    {"arn:aws:acm:us-east-1:123456789012:certificate/abc", E_OK},
	    {"arn:aws:acm:eu-west-1:123456789012:certificate/abc", E_CVPN_INVALID},
	    {"arn:aws:acm:us-east-1:123456789012:certificate/", E_CVPN_INVALID},
	    {"arn:aws:iam::123456789012:server-certificate/x", E_CVPN_INVALID},
	};
	struct cvpn_verr err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_ERR(cvpn_check_acm_arn("ServerCertificateArn", cases[i].arn, REGION, &err),
		          cases[i].want);
}

TEST(cvpn_auth_options)
{
	struct cvpn_auth a[3];
	struct cvpn_verr err;

	memset(a, 0, sizeof(a));
	CHECK_ERR(cvpn_check_auth(a, 0, &err), E_CVPN_INVALID);
	CHECK_STR(err.code, "MissingParameter");
	a[0].type = CVPN_AUTH_CERTIFICATE;
	CHECK_ERR(cvpn_check_auth(a, 1, &err), E_CVPN_INVALID); /* no chain ARN */
	a[0].client_root_chain_arn = "arn:aws:acm:us-east-1:123456789012:certificate/ca";
	CHECK_OK(cvpn_check_auth(a, 1, &err));
	a[1].type = CVPN_AUTH_DIRECTORY;
	a[1].directory_id = "d-123";
	CHECK_ERR(cvpn_check_auth(a, 2, &err), E_CVPN_INVALID);
	CHECK_STR(err.code, "UnsupportedOperation");
	a[1].type = CVPN_AUTH_FEDERATED;
	CHECK_ERR(cvpn_check_auth(a, 2, &err), E_CVPN_INVALID);
	CHECK(strstr(err.msg, "federated-authentication") != NULL);
	a[1] = a[0];
	CHECK_ERR(cvpn_check_auth(a, 2, &err), E_CVPN_INVALID); /* same type twice */
	CHECK_ERR(cvpn_check_auth(a, 3, &err), E_CVPN_INVALID); /* more than 2 */
}

TEST(cvpn_portal_and_description)
{
	struct cvpn_verr err;
	bool on = true;
	char long_desc[300];

	CHECK_OK(cvpn_check_portal("disabled", &on, &err));
	CHECK(!on);
	CHECK_OK(cvpn_check_portal("enabled", &on, &err));
	CHECK(on);
	CHECK_ERR(cvpn_check_portal("on", &on, &err), E_CVPN_INVALID);
	memset(long_desc, 'd', sizeof(long_desc) - 1);
	long_desc[sizeof(long_desc) - 1] = 0;
	CHECK_ERR(cvpn_check_description(long_desc, &err), E_CVPN_INVALID);
	long_desc[CVPN_DESCRIPTION_MAX] = 0;
	CHECK_OK(cvpn_check_description(long_desc, &err));
}

/* ---- endpoint fixture ---- */

static void ep_fixture(struct cvpn_endpoint *e)
{
	struct cvpn_verr err;

	cvpn_endpoint_init(e);
	snprintf(e->id, sizeof(e->id), "cvpn-endpoint-0123456789abcdef0");
	if (cvpn_check_client_cidr("172.16.0.0/22", &e->client_cidr, &err) != E_OK)
		abort();
	if (cvpn_str_set(&e->server_cert_arn, "arn:aws:acm:us-east-1:123456789012:certificate/s") ||
	    cvpn_str_set(&e->auth[0].client_root_chain_arn,
	                 "arn:aws:acm:us-east-1:123456789012:certificate/c"))
		abort();
	e->auth[0].type = CVPN_AUTH_CERTIFICATE;
	e->n_auth = 1;
	e->created_ms = 1700000000000;
}

static void assoc_fixture(struct cvpn_assoc *a, const char *id, const char *subnet, const char *az,
                          const char *cidr, const char *vpc_cidr)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->subnet_id, sizeof(a->subnet_id), "%s", subnet);
	snprintf(a->vpc_id, sizeof(a->vpc_id), "vpc-0aaa");
	snprintf(a->az, sizeof(a->az), "%s", az);
	if (prefix_parse(cidr, false, &a->subnet_cidr) != E_OK ||
	    prefix_parse(vpc_cidr, false, &a->vpc_cidr) != E_OK)
		abort();
	a->created_ms = 1700000001000;
}

TEST(cvpn_defaults)
{
	/* claims 7, 8, 9, 10 */
	struct cvpn_endpoint e;
	struct cvpn_verr err;

	ep_fixture(&e);
	CHECK(e.transport == CVPN_UDP);
	CHECK_EQ(e.port, 443);
	CHECK_EQ(e.session_hours, 24);
	CHECK(!e.split_tunnel);
	CHECK(e.status == CVPN_ST_PENDING_ASSOCIATE);
	CHECK_OK(cvpn_endpoint_check(&e, &err));
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_endpoint_check_negatives)
{
	struct cvpn_endpoint e;
	struct cvpn_verr err;

	ep_fixture(&e);
	CHECK_OK(prefix_parse("172.16.0.0/16", false, &e.vpc_cidr));
	snprintf(e.vpc_id, sizeof(e.vpc_id), "vpc-0aaa");
	CHECK_ERR(cvpn_endpoint_check(&e, &err), E_CVPN_INVALID); /* claim 2: overlaps VPC */
	CHECK(strstr(err.msg, "vpc-0aaa") != NULL);
	CHECK_OK(prefix_parse("10.0.0.0/16", false, &e.vpc_cidr));
	CHECK_OK(cvpn_endpoint_check(&e, &err));
	e.connect_enabled = true;
	CHECK_ERR(cvpn_endpoint_check(&e, &err), E_CVPN_INVALID);
	e.connect_enabled = false;
	snprintf(e.sg_ids[0], CVPN_ID_MAX, "sg-1");
	e.n_sg = 1;
	e.vpc_id[0] = 0;
	CHECK_ERR(cvpn_endpoint_check(&e, &err), E_CVPN_INVALID);
	CHECK_STR(err.code, "InvalidParameterDependency");
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_assoc_lifecycle)
{
	/* claims 3, 4, 5, 35, 2 (OverlappingCidr) */
	struct cvpn_endpoint e;
	struct cvpn_assoc a, b;
	struct cvpn_conn c;
	struct cvpn_verr err;
	size_t cut = 0;

	ep_fixture(&e);
	assoc_fixture(&a, "cvpn-assoc-01", "subnet-1", "us-east-1a", "10.0.1.0/24", "10.0.0.0/16");
	CHECK_OK(cvpn_assoc_add(&e, &a, &err));
	CHECK(e.status == CVPN_ST_AVAILABLE);
	CHECK_STR(e.vpc_id, "vpc-0aaa");
	CHECK_EQ(e.n_routes, 1); /* the VPC's local route, origin associate */
	CHECK(e.routes[0].origin_associate);
	CHECK_ERR(cvpn_assoc_add(&e, &a, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnDuplicateAssociationException");
	assoc_fixture(&b, "cvpn-assoc-02", "subnet-2", "us-east-1a", "10.0.2.0/24", "10.0.0.0/16");
	CHECK_ERR(cvpn_assoc_add(&e, &b, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnSubnetId.DuplicateAz");
	assoc_fixture(&b, "cvpn-assoc-02", "subnet-2", "us-east-1b", "10.0.2.0/24", "10.0.0.0/16");
	snprintf(b.vpc_id, sizeof(b.vpc_id), "vpc-0bbb");
	CHECK_ERR(cvpn_assoc_add(&e, &b, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnSubnetId.NotFound");
	assoc_fixture(&b, "cvpn-assoc-02", "subnet-2", "us-east-1b", "10.0.2.0/28", "10.0.0.0/16");
	CHECK_ERR(cvpn_assoc_add(&e, &b, &err), E_CVPN_INVALID); /* smaller than /27 */
	assoc_fixture(&b, "cvpn-assoc-02", "subnet-2", "us-east-1b", "10.0.2.0/24", "10.0.0.0/16");
	CHECK_OK(cvpn_assoc_add(&e, &b, &err));
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "cvpn-connection-01");
	c.common_name = "client1";
	CHECK_OK(cvpn_conn_add(&e, &c));
	CHECK_OK(cvpn_assoc_remove(&e, "cvpn-assoc-01", 5, &cut, &err));
	CHECK(e.status == CVPN_ST_AVAILABLE);
	CHECK_EQ(cut, 0);
	CHECK_ERR(cvpn_assoc_remove(&e, "cvpn-assoc-01", 5, &cut, &err), E_CVPN_CONFLICT);
	CHECK_OK(cvpn_assoc_remove(&e, "cvpn-assoc-02", 6, &cut, &err));
	CHECK(e.status == CVPN_ST_PENDING_ASSOCIATE); /* A11 */
	CHECK_EQ(cut, 1);
	CHECK(e.conns[0].status == CVPN_CONN_TERMINATED);
	CHECK_EQ(e.conns[0].end_ms, 6);
	CHECK_EQ(e.n_routes, 0); /* the automatic route went with it */
	cvpn_endpoint_fini(&e);

	ep_fixture(&e);
	assoc_fixture(&a, "cvpn-assoc-03", "subnet-3", "us-east-1a", "172.16.1.0/24",
	              "172.16.0.0/16");
	CHECK_ERR(cvpn_assoc_add(&e, &a, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnSubnetId.OverlappingCidr");
	cvpn_endpoint_fini(&e);
}

static void rule_fixture(struct cvpn_rule *r, const char *cidr, const char *group)
{
	memset(r, 0, sizeof(*r));
	if (prefix_parse(cidr, false, &r->dst) != E_OK)
		abort();
	r->group_id = (char *)group;
	r->access_all = group == NULL;
}

TEST(cvpn_rules)
{
	/* claims 32, 33 */
	struct cvpn_endpoint e;
	struct cvpn_rule r;
	struct cvpn_verr err;
	struct prefix p;
	struct addr dst;
	const char *ga[] = {"A"}, *gb[] = {"B"};
	size_t i;

	ep_fixture(&e);
	CHECK_OK(addr_parse("10.0.1.5", &dst));
	CHECK(!cvpn_rules_allow(&e, &dst, NULL, 0)); /* default deny */
	rule_fixture(&r, "10.0.0.0/16", NULL);
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	CHECK(cvpn_rules_allow(&e, &dst, NULL, 0));
	CHECK_ERR(cvpn_rule_add(&e, &r, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnDuplicateAuthorizationRule");
	rule_fixture(&r, "10.0.0.0/16", NULL);
	r.access_all = false;
	CHECK_ERR(cvpn_rule_add(&e, &r, &err), E_CVPN_INVALID); /* neither group nor all */
	CHECK_OK(prefix_parse("10.0.0.0/16", false, &p));
	CHECK_OK(cvpn_rule_remove(&e, &p, NULL, true, &err));
	CHECK_ERR(cvpn_rule_remove(&e, &p, NULL, true, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnEndpointAuthorizationRuleNotFound");
	/* longest prefix wins: A on /16, B on /24 -> A alone cannot reach 10.0.1.5 */
	rule_fixture(&r, "10.0.0.0/16", "A");
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	rule_fixture(&r, "10.0.1.0/24", "B");
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	CHECK(!cvpn_rules_allow(&e, &dst, ga, 1));
	CHECK(cvpn_rules_allow(&e, &dst, gb, 1));
	CHECK_OK(addr_parse("10.0.2.5", &dst));
	CHECK(cvpn_rules_allow(&e, &dst, ga, 1));
	/* 0.0.0.0/0 for everyone covers only what nothing else covers */
	rule_fixture(&r, "0.0.0.0/0", NULL);
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	CHECK_OK(addr_parse("192.0.2.1", &dst));
	CHECK(cvpn_rules_allow(&e, &dst, gb, 1));
	CHECK_OK(addr_parse("10.0.2.5", &dst));
	CHECK(!cvpn_rules_allow(&e, &dst, gb, 1));
	/* limit */
	for (i = e.n_rules; i < CVPN_RULES_MAX; i++) {
		char c[32];

		snprintf(c, sizeof(c), "192.168.%zu.0/24", i);
		rule_fixture(&r, c, NULL);
		CHECK_OK(cvpn_rule_add(&e, &r, &err));
	}
	rule_fixture(&r, "198.51.100.0/24", NULL);
	CHECK_ERR(cvpn_rule_add(&e, &r, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "ClientVpnAuthorizationRuleLimitExceeded");
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_routes)
{
	/* claim 34, B2b */
	struct cvpn_endpoint e;
	struct cvpn_assoc a;
	struct cvpn_route r;
	struct cvpn_verr err;
	struct prefix p;

	ep_fixture(&e);
	memset(&r, 0, sizeof(r));
	CHECK_OK(prefix_parse("0.0.0.0/0", false, &r.dst));
	snprintf(r.target_subnet, sizeof(r.target_subnet), "subnet-1");
	CHECK_ERR(cvpn_route_add(&e, &r, &err), E_CVPN_CONFLICT); /* not associated */
	assoc_fixture(&a, "cvpn-assoc-01", "subnet-1", "us-east-1a", "10.0.1.0/24", "10.0.0.0/16");
	CHECK_OK(cvpn_assoc_add(&e, &a, &err));
	CHECK_OK(cvpn_route_add(&e, &r, &err));
	CHECK_ERR(cvpn_route_add(&e, &r, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnDuplicateRoute");
	CHECK_OK(prefix_parse("172.16.2.0/24", false, &r.dst));
	CHECK_ERR(cvpn_route_add(&e, &r, &err), E_CVPN_INVALID); /* inside the client CIDR */
	r.dst = e.client_cidr;
	snprintf(r.target_subnet, sizeof(r.target_subnet), "local");
	CHECK_OK(cvpn_route_add(&e, &r, &err)); /* client-to-client */
	CHECK_OK(prefix_parse("10.0.0.0/16", false, &p));
	CHECK_ERR(cvpn_route_remove(&e, &p, NULL, &err), E_CVPN_CONFLICT); /* origin associate */
	CHECK(strstr(err.msg, "disassociate") != NULL);
	CHECK_OK(prefix_parse("0.0.0.0/0", false, &p));
	CHECK_OK(cvpn_route_remove(&e, &p, "subnet-1", &err));
	CHECK_ERR(cvpn_route_remove(&e, &p, NULL, &err), E_CVPN_CONFLICT);
	CHECK_STR(err.code, "InvalidClientVpnRouteNotFound");
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_forwarding_decision)
{
	/* E2 + E3: a route must cover the destination and a rule must allow it */
	struct cvpn_endpoint e;
	struct cvpn_assoc a;
	struct cvpn_rule r;
	struct cvpn_route rt;
	struct cvpn_verr err;
	struct addr in_vpc, outside, other_client;
	size_t cut;

	ep_fixture(&e);
	CHECK_OK(addr_parse("10.0.1.5", &in_vpc));
	CHECK_OK(addr_parse("192.0.2.7", &outside));
	CHECK_OK(addr_parse("172.16.0.9", &other_client));
	rule_fixture(&r, "0.0.0.0/0", NULL);
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	CHECK(!cvpn_forward_allowed(&e, &in_vpc, NULL, 0)); /* authorized, but no route yet */
	assoc_fixture(&a, "cvpn-assoc-01", "subnet-1", "us-east-1a", "10.0.1.0/24", "10.0.0.0/16");
	CHECK_OK(cvpn_assoc_add(&e, &a, &err)); /* adds the VPC route */
	CHECK(cvpn_forward_allowed(&e, &in_vpc, NULL, 0));
	CHECK(!cvpn_forward_allowed(&e, &outside, NULL, 0)); /* no route to the internet */
	CHECK(!cvpn_forward_allowed(&e, &other_client, NULL, 0)); /* no client-to-client route */
	memset(&rt, 0, sizeof(rt));
	rt.dst = e.client_cidr;
	snprintf(rt.target_subnet, sizeof(rt.target_subnet), "local");
	CHECK_OK(cvpn_route_add(&e, &rt, &err));
	CHECK(cvpn_forward_allowed(&e, &other_client, NULL, 0));
	CHECK_OK(prefix_parse("0.0.0.0/0", false, &rt.dst));
	snprintf(rt.target_subnet, sizeof(rt.target_subnet), "subnet-1");
	CHECK_OK(cvpn_route_add(&e, &rt, &err));
	CHECK(cvpn_forward_allowed(&e, &outside, NULL, 0));
	/* the rule is what allows: revoke it and nothing passes, routes or not */
	CHECK_OK(cvpn_rule_remove(&e, &r.dst, NULL, true, &err));
	CHECK(!cvpn_forward_allowed(&e, &in_vpc, NULL, 0));
	CHECK(!cvpn_forward_allowed(&e, &outside, NULL, 0));
	/* a group rule does not match a client without groups */
	rule_fixture(&r, "10.0.0.0/16", "engineering");
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	CHECK(!cvpn_forward_allowed(&e, &in_vpc, NULL, 0));
	{
		const char *g[] = {"engineering"};

		CHECK(cvpn_forward_allowed(&e, &in_vpc, g, 1));
	}
	/* disassociating the subnet takes its routes: nothing through it any more */
	CHECK_OK(cvpn_assoc_remove(&e, "cvpn-assoc-01", 1, &cut, &err));
	{
		const char *g[] = {"engineering"};

		CHECK(!cvpn_forward_allowed(&e, &in_vpc, g, 1));
	}
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_states_from_age)
{
	struct cvpn_assoc a;
	struct cvpn_rule r;
	struct cvpn_route rt;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	memset(&rt, 0, sizeof(rt));
	a.created_ms = r.created_ms = rt.created_ms = 1000;
	CHECK_STR(cvpn_assoc_state(&a, 1500, 1000), "associating");
	CHECK_STR(cvpn_assoc_state(&a, 2000, 1000), "associated");
	CHECK_STR(cvpn_rule_state(&r, 1500, 1000), "authorizing");
	CHECK_STR(cvpn_rule_state(&r, 2500, 1000), "active");
	CHECK_STR(cvpn_route_state(&rt, 1999, 1000), "creating");
	CHECK_STR(cvpn_route_state(&rt, 2000, 1000), "active");
}

TEST(cvpn_conn_retention)
{
	struct cvpn_endpoint e;
	struct cvpn_conn c;

	ep_fixture(&e);
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "cvpn-connection-1");
	CHECK_OK(cvpn_conn_add(&e, &c));
	CHECK_EQ(cvpn_conns_terminate_all(&e, 1000), 1);
	cvpn_conn_expire(&e, 1000 + CVPN_CONN_RETENTION_MS);
	CHECK_EQ(e.n_conns, 1); /* still within 60 minutes */
	cvpn_conn_expire(&e, 1001 + CVPN_CONN_RETENTION_MS);
	CHECK_EQ(e.n_conns, 0);
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_json_roundtrip)
{
	struct cvpn_endpoint e, f;
	struct cvpn_assoc a;
	struct cvpn_rule r;
	struct cvpn_conn c;
	struct cvpn_verr err;
	struct json_object *o, *o2;
	char *s1, *s2;

	ep_fixture(&e);
	CHECK_OK(cvpn_str_set(&e.description, "corp \"vpn\""));
	CHECK_OK(cvpn_str_set(&e.banner_text, "hello \xe3\x81\x82"));
	e.banner_enabled = true;
	e.transport = CVPN_TCP;
	e.port = 1194;
	e.session_hours = 8;
	CHECK_OK(addr_parse("10.0.0.2", &e.dns[0]));
	e.n_dns = 1;
	CHECK_OK(cvpn_str_set(&e.tok.token, "tok-1"));
	assoc_fixture(&a, "cvpn-assoc-01", "subnet-1", "us-east-1a", "10.0.1.0/24", "10.0.0.0/16");
	CHECK_OK(cvpn_assoc_add(&e, &a, &err));
	rule_fixture(&r, "10.0.0.0/16", "eng");
	CHECK_OK(cvpn_rule_add(&e, &r, &err));
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "cvpn-connection-1");
	c.common_name = "client1";
	c.ingress_bytes = 1234567890123ull;
	CHECK_OK(cvpn_conn_add(&e, &c));
	o = cvpn_endpoint_to_json(&e);
	CHECK(o != NULL);
	CHECK_OK(cvpn_endpoint_from_json(o, &f));
	o2 = cvpn_endpoint_to_json(&f);
	s1 = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	s2 = strdup(json_object_to_json_string_ext(o2, JSON_C_TO_STRING_PLAIN));
	CHECK_STR(s1, s2);
	CHECK(f.status == CVPN_ST_AVAILABLE);
	CHECK(f.transport == CVPN_TCP);
	CHECK_EQ(f.port, 1194);
	CHECK_EQ(f.conns[0].ingress_bytes, 1234567890123ull);
	CHECK_STR(f.rules[0].group_id, "eng");
	free(s1);
	free(s2);
	json_object_put(o);
	json_object_put(o2);
	cvpn_endpoint_fini(&e);
	cvpn_endpoint_fini(&f);
}

TEST(cvpn_json_rejects_bad_docs)
{
	static const char *const bad[] = {
	    "[]",
	    "{}", /* no status */
	    "{\"status\":\"flying\"}",
	    "{\"status\":\"available\",\"clientCidrBlock\":\"nope\"}",
	    "{\"status\":\"available\",\"dnsServers\":[\"1.1.1.1\",\"2.2.2.2\",\"3.3.3.3\"]}",
	    "{\"status\":\"available\",\"routes\":[5]}",
	    "{\"status\":\"available\",\"authenticationOptions\":[{\"type\":\"x\"}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *o = json_tokener_parse(bad[i]);
		struct cvpn_endpoint e;

		CHECK_ERR(cvpn_endpoint_from_json(o, &e), E_PARSE);
		cvpn_endpoint_fini(&e);
		json_object_put(o);
	}
}

TEST(cvpn_profile_layout)
{
	/* claim 38 and openvpn-protocol.md 8, line for line */
	static const char want[] =
	    "client\n"
	    "dev tun\n"
	    "proto tcp\n"
	    "remote cvpn-endpoint-0123456789abcdef0.prod.clientvpn.us-east-1.gatehouse.internal "
	    "1194\n"
	    "remote-random-hostname\n"
	    "resolv-retry infinite\n"
	    "nobind\n"
	    "remote-cert-tls server\n"
	    "cipher AES-256-GCM\n"
	    "verb 3\n"
	    "<ca>\n"
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	    "</ca>\n"
	    "reneg-sec 0\n";
	struct cvpn_endpoint e;
	char *p = NULL, dns[256];

	ep_fixture(&e);
	e.transport = CVPN_TCP;
	e.port = 1194;
	CHECK_OK(cvpn_profile_build(
	    &e, REGION, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", &p));
	CHECK_STR(p, want);
	free(p);
	cvpn_dns_name(e.id, REGION, dns, sizeof(dns));
	CHECK_STR(dns, "*.cvpn-endpoint-0123456789abcdef0.prod.clientvpn.us-east-1.gatehouse."
	               "internal");
	cvpn_endpoint_fini(&e);
}

TEST(cvpn_crl_check)
{
	/* a real CRL (openssl ca -gencrl, one revoked serial) and broken ones */
	static const char crl[] =
	    "-----BEGIN X509 CRL-----\n"
	    "MIIBjDB2AgEBMA0GCSqGSIb3DQEBCwUAMBwxGjAYBgNVBAMMEUdhdGVob3VzZSBU\n"
	    "ZXN0IGNhFw0yNjExMjQxMjE0MTZaFw0yNjEyMjQxMjE0MTZaMBYwFAIDAX9VFw0y\n"
	    "NjExMjQxMjE0MTZaoA4wDDAKBgNVHRQEAwIBATANBgkqhkiG9w0BAQsFAAOCAQEA\n"
	    "suDpHBTICOMCjraoKywGctAPfl08OV4K8mxNpIfWFcf+kJSQ1TGLYGFTQMb+4U2e\n"
	    "4zBW8qq/pUImlhgAQpO9AgzxMv8WpwTJ9OQsxiLQQ1QuwtvLwHc6ozLQTel7WfGL\n"
	    "+VEl/msb9rS5Sx8zBFUf0SnAcmCcqskdf8a4+PNGSobwxEm4E4y0YEOV1EW1Jxhx\n"
	    "feh3ecUE9ZKVkJOjnj1KBuHGXveMAlL2lFO10kSWpcTgpIqljVvh23154lVHWJMo\n"
	    "oBf1CGl8GYbPUNcgrU+FcgaWUlPmT/Uhdj+Pn1OuMofgD29DJJr7290PEat1W0bo\n"
	    "UtWHsK4+qak7TWHUHWBmSQ==\n"
	    "-----END X509 CRL-----\n";
	struct cvpn_verr err;

	CHECK_OK(cvpn_crl_check(crl, &err));
	CHECK_ERR(cvpn_crl_check("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", &err),
	          E_CVPN_INVALID);
	CHECK_ERR(cvpn_crl_check("not a crl", &err), E_CVPN_INVALID);
	CHECK_ERR(cvpn_crl_check("", &err), E_CVPN_INVALID);
	CHECK_STR(err.code, "MissingParameter");
}
