/* Unit tests: tunnel options (model/tunnel.h): defaults, every rule of site-to-site.md
 * section 2 with a negative case, names, PSK and inside-CIDR generators. */
#include "test.h"

#include <arpa/inet.h>

#include "model/tunnel.h"

TEST(model_defaults_are_the_guides)
{
	struct model_tunnel_options o;

	model_tunnel_options_default(&o);
	CHECK_EQ(o.phase1_lifetime_s, 28800);
	CHECK_EQ(o.phase2_lifetime_s, 3600);
	CHECK_EQ(o.rekey_margin_s, 270);
	CHECK_EQ(o.rekey_fuzz_pct, 100);
	CHECK_EQ(o.replay_window, 1024);
	CHECK_EQ(o.dpd_timeout_s, 40);
	CHECK_EQ(o.dpd_action, MODEL_DPD_CLEAR);
	CHECK_EQ(o.startup_action, MODEL_STARTUP_ADD);
	CHECK_EQ(o.phase1_encr, 0xf);
	CHECK_EQ(o.phase2_integ, 0xf);
	CHECK_EQ(o.ike_versions, MODEL_IKE_V1 | MODEL_IKE_V2);
	/* Phase 1: 2, 14-24 (not 5); phase 2: 2, 5, 14-24. */
	CHECK(o.phase1_dh & MODEL_DH_MASK(2));
	CHECK(!(o.phase1_dh & MODEL_DH_MASK(5)));
	CHECK(o.phase2_dh & MODEL_DH_MASK(5));
	for (unsigned g = 14; g <= 24; g++)
		CHECK((o.phase1_dh & MODEL_DH_MASK(g)) && (o.phase2_dh & MODEL_DH_MASK(g)));
	CHECK(!(o.phase2_dh & MODEL_DH_MASK(25)) && !(o.phase1_dh & MODEL_DH_MASK(1)));
	CHECK(!o.log_enabled && !o.log_format_text && !o.lifecycle_control);
	CHECK_OK(model_tunnel_options_validate(&o, NULL, NULL));
}

/* Scalar options: name, value, accepted? */
static const struct {
	const char *name, *value;
	bool ok;
} scalar_cases[] = {
    {"Phase1LifetimeSeconds", "899", false},
    {"Phase1LifetimeSeconds", "28801", false},
    {"Phase1LifetimeSeconds", "28800", true},
    {"Phase1LifetimeSeconds", "900", true},
    {"Phase1LifetimeSeconds", "abc", false},
    {"Phase1LifetimeSeconds", "", false},
    {"Phase1LifetimeSeconds", "-900", false},
    {"Phase1LifetimeSeconds", "99999999999", false},
    {"Phase2LifetimeSeconds", "899", false},
    {"Phase2LifetimeSeconds", "3601", false},
    {"Phase2LifetimeSeconds", "900", true},
    {"RekeyMarginTimeSeconds", "59", false},
    {"RekeyMarginTimeSeconds", "60", true},
    {"RekeyFuzzPercentage", "-1", false},
    {"RekeyFuzzPercentage", "101", false},
    {"RekeyFuzzPercentage", "0", true},
    {"RekeyFuzzPercentage", "100", true},
    {"ReplayWindowSize", "63", false},
    {"ReplayWindowSize", "2049", false},
    {"ReplayWindowSize", "64", true},
    {"ReplayWindowSize", "2048", true},
    {"DPDTimeoutSeconds", "29", false},
    {"DPDTimeoutSeconds", "30", true},
    {"DPDTimeoutSeconds", "86400", true},
    {"DPDTimeoutAction", "clear", true},
    {"DPDTimeoutAction", "None", true},
    {"DPDTimeoutAction", "restart", true},
    {"DPDTimeoutAction", "hold", false},
    {"StartupAction", "add", true},
    {"StartupAction", "start", true},
    {"StartupAction", "route", false},
    {"PreSharedKey", "a.b_C9xyz", true},
    {"PreSharedKey", "1234567", false},
    {"PreSharedKey", "12345678", true},
    {"PreSharedKey", "0abcdefgh", false},
    {"PreSharedKey", "abcd-efgh", false},
    {"PreSharedKey", "abcd efgh", false},
    {"PreSharedKey", "abcdefgh!", false},
    {"TunnelInsideCidr", "169.254.10.0/30", true},
    {"TunnelInsideCidr", "169.254.10.0/29", false},
    {"TunnelInsideCidr", "10.0.0.0/30", false},
    {"TunnelInsideCidr", "169.254.10.1/30", false},
    {"TunnelInsideCidr", "169.254.0.0/30", false},
    {"TunnelInsideCidr", "169.254.1.0/30", false},
    {"TunnelInsideCidr", "169.254.2.0/30", false},
    {"TunnelInsideCidr", "169.254.3.0/30", false},
    {"TunnelInsideCidr", "169.254.4.0/30", false},
    {"TunnelInsideCidr", "169.254.5.0/30", false},
    {"TunnelInsideCidr", "169.254.169.252/30", false},
    {"TunnelInsideCidr", "169.254.6.0/30", true},
    {"TunnelInsideCidr", "garbage", false},
    {"TunnelInsideIpv6Cidr", "fd00:1::/126", true},
    {"TunnelInsideIpv6Cidr", "fd00:1::/125", false},
    {"TunnelInsideIpv6Cidr", "fe80::/126", false},
    {"LogOptions.CloudWatchLogOptions.LogEnabled", "true", true},
    {"LogOptions.CloudWatchLogOptions.LogEnabled", "yes", false},
    {"LogOptions.CloudWatchLogOptions.LogOutputFormat", "text", true},
    {"LogOptions.CloudWatchLogOptions.LogOutputFormat", "xml", false},
    {"LogOptions.CloudWatchLogOptions.LogGroupArn", "arn:aws:logs:us-east-1:1:log-group:x", true},
    {"LogOptions.CloudWatchLogOptions.LogGroupArn", "not-an-arn", false},
    {"EnableTunnelLifecycleControl", "true", true},
    {"EnableTunnelLifecycleControl", "1", false},
};

TEST(model_scalar_option_table)
{
	for (size_t i = 0; i < sizeof(scalar_cases) / sizeof(scalar_cases[0]); i++) {
		struct model_tunnel_options o;
		struct model_err e = {0};
		result_t rc;

		model_tunnel_options_default(&o);
		rc = model_tunnel_option_set(&o, scalar_cases[i].name, scalar_cases[i].value, &e);
		if (scalar_cases[i].ok && rc != E_OK)
			TEST_FAIL("%s=%s refused: %s", scalar_cases[i].name, scalar_cases[i].value,
			          e.msg);
		if (!scalar_cases[i].ok) {
			if (rc != E_MODEL_INVALID)
				TEST_FAIL("%s=%s accepted", scalar_cases[i].name,
				          scalar_cases[i].value);
			CHECK_STR(e.code, "InvalidParameterValue");
			CHECK(e.msg[0] != 0);
		}
	}
}

TEST(model_unknown_option_is_notfound)
{
	struct model_tunnel_options o;

	model_tunnel_options_default(&o);
	CHECK_ERR(model_tunnel_option_set(&o, "Phase3LifetimeSeconds", "1", NULL), E_NOTFOUND);
	CHECK_ERR(model_tunnel_option_set_list(&o, "Phase3DHGroupNumbers", NULL, 0, NULL),
	          E_NOTFOUND);
}

TEST(model_set_value_lands_in_field)
{
	struct model_tunnel_options o;

	model_tunnel_options_default(&o);
	CHECK_OK(model_tunnel_option_set(&o, "Phase2LifetimeSeconds", "1800", NULL));
	CHECK_EQ(o.phase2_lifetime_s, 1800);
	CHECK_OK(model_tunnel_option_set(&o, "DPDTimeoutAction", "Restart", NULL));
	CHECK_EQ(o.dpd_action, MODEL_DPD_RESTART);
	CHECK_OK(model_tunnel_option_set(&o, "PreSharedKey", "secret_key.1", NULL));
	CHECK_STR(o.psk, "secret_key.1");
	CHECK_OK(model_tunnel_option_set(&o, "TunnelInsideCidr", "169.254.44.232/30", NULL));
	CHECK_EQ(o.inside_cidr.len, 30);
}

static const struct {
	const char *name;
	const char *values[4];
	size_t n;
	bool ok;
	uint32_t mask;
} list_cases[] = {
    {"Phase1DHGroupNumbers", {"5"}, 1, false, 0},
    {"Phase2DHGroupNumbers", {"5"}, 1, true, 1u << 5},
    {"Phase1DHGroupNumbers", {"1"}, 1, false, 0},
    {"Phase2DHGroupNumbers", {"25"}, 1, false, 0},
    {"Phase1DHGroupNumber", {"14", "19"}, 2, true, (1u << 14) | (1u << 19)},
    {"Phase1DHGroupNumbers", {"x"}, 1, false, 0},
    {"Phase1EncryptionAlgorithms", {"3DES"}, 1, false, 0},
    {"Phase2EncryptionAlgorithms", {"3DES"}, 1, false, 0},
    {"Phase1EncryptionAlgorithms", {"AES256", "AES128-GCM-16"}, 2, true, 0x6},
    {"Phase2EncryptionAlgorithm", {"AES256-GCM-16"}, 1, true, 0x8},
    {"Phase1EncryptionAlgorithms", {"aes128"}, 1, false, 0},
    {"Phase1IntegrityAlgorithms", {"MD5"}, 1, false, 0},
    {"Phase2IntegrityAlgorithms", {"SHA2-512", "SHA1"}, 2, true, 0x9},
    {"IKEVersions", {"ikev2"}, 1, true, MODEL_IKE_V2},
    {"IKEVersion", {"ikev3"}, 1, false, 0},
    {"IKEVersions", {0}, 0, false, 0},
    {"Phase1EncryptionAlgorithms", {0}, 0, false, 0},
    {"Phase2DHGroupNumbers", {0}, 0, false, 0},
};

TEST(model_list_option_table)
{
	for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		struct model_tunnel_options o, before;
		struct model_err e = {0};
		result_t rc;

		model_tunnel_options_default(&o);
		before = o;
		rc = model_tunnel_option_set_list(&o, list_cases[i].name, list_cases[i].values,
		                                  list_cases[i].n, &e);
		if (list_cases[i].ok) {
			if (rc != E_OK)
				TEST_FAIL("case %zu refused: %s", i, e.msg);
			CHECK(memcmp(&o, &before, sizeof(o)) != 0);
			CHECK(o.phase1_dh == list_cases[i].mask ||
			      o.phase2_dh == list_cases[i].mask ||
			      o.phase1_encr == list_cases[i].mask ||
			      o.phase2_encr == list_cases[i].mask ||
			      o.phase2_integ == list_cases[i].mask ||
			      o.ike_versions == list_cases[i].mask);
		} else {
			if (rc != E_MODEL_INVALID)
				TEST_FAIL("case %zu (%s) accepted", i, list_cases[i].name);
			CHECK_STR(e.code, "InvalidParameterValue");
			CHECK(memcmp(&o, &before, sizeof(o)) == 0); /* untouched on error */
		}
	}
}

/* Relations: phase1, phase2, margin -> valid? */
static const struct {
	uint32_t p1, p2, margin;
	bool ok;
} relation_cases[] = {
    {28800, 3600, 270, true}, {1800, 1800, 270, false},  {1800, 1799, 270, true},
    {1200, 3600, 270, false}, {900, 900, 270, true}, /* the one equal pair allowed */
    {3600, 3600, 270, false}, {28800, 3600, 1800, true}, {28800, 3600, 1801, false},
    {28800, 900, 450, true},  {28800, 900, 451, false},  {28800, 3600, 59, false},
};

TEST(model_lifetime_and_margin_relations)
{
	for (size_t i = 0; i < sizeof(relation_cases) / sizeof(relation_cases[0]); i++) {
		struct model_tunnel_options o;
		struct model_err e = {0};
		result_t rc;

		model_tunnel_options_default(&o);
		o.phase1_lifetime_s = relation_cases[i].p1;
		o.phase2_lifetime_s = relation_cases[i].p2;
		o.rekey_margin_s = relation_cases[i].margin;
		rc = model_tunnel_options_validate(&o, NULL, &e);
		if (relation_cases[i].ok && rc != E_OK)
			TEST_FAIL("case %zu refused: %s", i, e.msg);
		if (!relation_cases[i].ok && rc != E_MODEL_INVALID)
			TEST_FAIL("case %zu accepted", i);
	}
}

TEST(model_margin_message_names_the_bound)
{
	struct model_tunnel_options o;
	struct model_err e = {0};

	model_tunnel_options_default(&o);
	o.rekey_margin_s = 1801;
	CHECK_ERR(model_tunnel_options_validate(&o, NULL, &e), E_MODEL_INVALID);
	CHECK(strstr(e.msg, "RekeyMarginTimeSeconds") && strstr(e.msg, "1800"));
}

TEST(model_startup_start_rules)
{
	struct model_tunnel_options o;
	struct model_tunnel_ctx with_ip = {true, false}, no_ip = {false, false},
	                        accel = {true, true};
	struct model_err e = {0};
	const char *v1[] = {"ikev1"};

	model_tunnel_options_default(&o);
	o.startup_action = MODEL_STARTUP_START;
	CHECK_OK(model_tunnel_options_validate(&o, &with_ip, &e));
	CHECK_ERR(model_tunnel_options_validate(&o, &no_ip, &e), E_MODEL_INVALID);
	CHECK_STR(e.code, "InvalidParameterCombination");
	CHECK_ERR(model_tunnel_options_validate(&o, &accel, &e), E_MODEL_INVALID);
	CHECK_OK(model_tunnel_option_set_list(&o, "IKEVersions", v1, 1, NULL));
	CHECK_ERR(model_tunnel_options_validate(&o, &with_ip, &e), E_MODEL_INVALID);
	CHECK(strstr(e.msg, "ikev2") != NULL);
	model_tunnel_options_default(&o);
	o.dpd_action = MODEL_DPD_RESTART;
	CHECK_OK(model_tunnel_options_validate(&o, &with_ip, &e));
	CHECK_ERR(model_tunnel_options_validate(&o, &accel, &e), E_MODEL_INVALID);
}

TEST(model_validate_catches_bad_struct_values)
{
	struct model_tunnel_options o;

	model_tunnel_options_default(&o);
	o.phase1_dh |= MODEL_DH_MASK(5);
	CHECK_ERR(model_tunnel_options_validate(&o, NULL, NULL), E_MODEL_INVALID);
	model_tunnel_options_default(&o);
	o.ike_versions = 0;
	CHECK_ERR(model_tunnel_options_validate(&o, NULL, NULL), E_MODEL_INVALID);
	model_tunnel_options_default(&o);
	o.replay_window = 4096;
	CHECK_ERR(model_tunnel_options_validate(&o, NULL, NULL), E_MODEL_INVALID);
	model_tunnel_options_default(&o);
	strcpy(o.psk, "0bad_psk_here");
	CHECK_ERR(model_tunnel_options_validate(&o, NULL, NULL), E_MODEL_INVALID);
}

TEST(model_names_round_trip)
{
	for (unsigned i = 0; i < MODEL_ENCR__COUNT; i++) {
		enum model_encr v;

		CHECK_OK(model_encr_parse(model_encr_name(i), &v));
		CHECK_EQ(v, i);
	}
	for (unsigned i = 0; i < MODEL_INTEG__COUNT; i++) {
		enum model_integ v;

		CHECK_OK(model_integ_parse(model_integ_name(i), &v));
		CHECK_EQ(v, i);
	}
	CHECK_STR(model_encr_name(MODEL_ENCR_AES256_GCM16), "AES256-GCM-16");
	CHECK_STR(model_integ_name(MODEL_INTEG_SHA2_384), "SHA2-384");
	CHECK_STR(model_dpd_action_name(MODEL_DPD_NONE), "none");
	CHECK_STR(model_startup_action_name(MODEL_STARTUP_START), "start");
	CHECK_STR(model_ike_version_name(MODEL_IKE_V2), "ikev2");
	CHECK(model_encr_name(MODEL_ENCR__COUNT) == NULL);
	CHECK(model_ike_version_name(3) == NULL);
}

TEST(model_psk_generated)
{
	char a[MODEL_PSK_MAX + 1], b[MODEL_PSK_MAX + 1];

	for (int i = 0; i < 200; i++) {
		CHECK_OK(model_psk_generate(a));
		CHECK_EQ(strlen(a), 32);
		CHECK(a[0] != '0');
		for (size_t j = 0; j < 32; j++)
			CHECK((a[j] >= '0' && a[j] <= '9') || (a[j] >= 'a' && a[j] <= 'z') ||
			      (a[j] >= 'A' && a[j] <= 'Z'));
		CHECK_OK(model_psk_check(a, NULL));
	}
	CHECK_OK(model_psk_generate(b));
	CHECK(strcmp(a, b) != 0);
}

TEST(model_psk_message_never_shows_the_key)
{
	struct model_err e = {0};

	CHECK_ERR(model_psk_check("secret!value", &e), E_MODEL_INVALID);
	CHECK(strstr(e.msg, "secret") == NULL);
	CHECK(strstr(e.msg, "position 7") != NULL);
}

TEST(model_inside_cidr_unique_and_allocate)
{
	struct prefix used[3], p;
	struct model_err e = {0};

	CHECK_OK(prefix_parse("169.254.10.0/30", false, &used[0]));
	CHECK_OK(prefix_parse("169.254.20.0/30", false, &used[1]));
	CHECK_OK(prefix_parse("169.254.10.0/30", false, &p));
	CHECK_ERR(model_inside_cidr_unique(&p, used, 2, &e), E_MODEL_IN_USE);
	CHECK_STR(e.code, "InvalidCidr.InUse");
	CHECK_OK(prefix_parse("169.254.30.0/30", false, &p));
	CHECK_OK(model_inside_cidr_unique(&p, used, 2, NULL));
	for (int i = 0; i < 500; i++) {
		CHECK_OK(model_inside_cidr_allocate(used, 2, &p));
		CHECK_OK(model_inside_cidr_check(&p, NULL));
		CHECK_OK(model_inside_cidr_unique(&p, used, 2, NULL));
	}
}

TEST(model_inside_cidr_allocate_finds_the_last_block)
{
	/* Everything used but one /30: the scan must find it; then exhaustion. */
	struct prefix *used = calloc(16384, sizeof(*used)), p;
	size_t n = 0;

	CHECK(used != NULL);
	for (uint32_t b = 0; b < 16384; b++) {
		if (b == 4321)
			continue;
		used[n].len = 30;
		addr_from_v4(&used[n].addr, 0xa9fe0000u | b << 2);
		n++;
	}
	if (model_inside_cidr_allocate(used, n, &p) != E_OK) {
		free(used);
		TEST_FAIL("no block found");
	}
	CHECK_EQ(addr_v4(&p.addr), 0xa9fe0000u | 4321u << 2);
	used[n++] = p;
	CHECK_ERR(model_inside_cidr_allocate(used, n, &p), E_MODEL_EXHAUSTED);
	free(used);
}

TEST(model_inside_addresses_first_and_second_host)
{
	struct prefix p;
	struct addr aws, cgw;
	char a[ADDR_STRLEN], c[ADDR_STRLEN];

	CHECK_OK(prefix_parse("169.254.44.232/30", false, &p));
	model_inside_addrs(&p, &aws, &cgw);
	addr_format(&aws, a);
	addr_format(&cgw, c);
	CHECK_STR(a, "169.254.44.233");
	CHECK_STR(c, "169.254.44.234");
	CHECK_OK(prefix_parse("fd00:10::4/126", false, &p));
	model_inside_addrs(&p, &aws, &cgw);
	addr_format(&aws, a);
	CHECK_STR(a, "fd00:10::5");
}

TEST(model_inside_ipv6_allocate)
{
	struct prefix p;

	for (int i = 0; i < 50; i++) {
		CHECK_OK(model_inside_ipv6_cidr_allocate(NULL, 0, &p));
		CHECK_OK(model_inside_ipv6_cidr_check(&p, NULL));
	}
}

TEST(model_option_name_lists_are_accepted)
{
	size_t n;
	const char *const *names = model_tunnel_scalar_names(&n);
	struct model_tunnel_options o;

	CHECK_EQ(n, 15);
	for (size_t i = 0; i < n; i++) {
		model_tunnel_options_default(&o);
		/* Known names never answer E_NOTFOUND, whatever the value. */
		CHECK(model_tunnel_option_set(&o, names[i], "x", NULL) != E_NOTFOUND);
	}
	names = model_tunnel_list_wire_names(&n);
	CHECK_EQ(n, 7);
	for (size_t i = 0; i < n; i++) {
		const char *v[] = {"x"};

		model_tunnel_options_default(&o);
		CHECK_ERR(model_tunnel_option_set_list(&o, names[i], v, 1, NULL), E_MODEL_INVALID);
	}
}
