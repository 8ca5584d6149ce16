/*
 * test_conf.c - the configuration file: a full valid file, defaults, the normalized output
 * round trip, and one negative case per problem the parser can report (with its line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "conf/conf.h"
#include "test.h"

#define GOOD_HEAD                                                                                  \
	"outside-address 198.51.100.1 198.51.100.2\n"                                              \
	"vpc-network 10.0.0.0/16\n"

#define TUN_BODY                                                                                   \
	"\tlocal-address 198.51.100.1\n"                                                           \
	"\tremote-address 192.0.2.2\n"                                                             \
	"\tinside-cidr 169.254.10.0/30\n"                                                          \
	"\tpre-shared-key tunnel1_psk_8to64\n"

static const char good[] = "# a complete file\n"
                           "listen 127.0.0.1:8080\n"
                           "data-dir \"/var/lib/gate house\"\n"
                           "access-key AKIDEXAMPLE\n"
                           "secret-key \"wJalr\\\"XUtn\"\n"
                           "log-level debug\n"
                           "outside-address 198.51.100.1\n"
                           "outside-address 198.51.100.2   # the second tunnel\n"
                           "vpc-network 10.0.0.0/16 10.1.0.0/16\n"
                           "\n"
                           "tunnel vpn-0abc 1 {\n"
                           "\tlocal-address 198.51.100.1\n"
                           "\tremote-address 192.0.2.2\n"
                           "\tlocal-network 172.16.0.0/12\n"
                           "\tinside-cidr 169.254.10.0/30\n"
                           "\tpre-shared-key tunnel1_psk_8to64\n"
                           "\tphase1-encryption-algorithms AES128 AES256-GCM-16\n"
                           "\tphase2-integrity-algorithms SHA1 SHA2-512\n"
                           "\tphase1-dh-group-numbers 2 14\n"
                           "\tphase2-dh-group-numbers 5\n"
                           "\tphase1-lifetime-seconds 3600\n"
                           "\tphase2-lifetime-seconds 1800\n"
                           "\trekey-margin-time-seconds 900\n"
                           "\trekey-fuzz-percentage 0\n"
                           "\treplay-window-size 64\n"
                           "\tdpd-timeout-seconds 30\n"
                           "\tdpd-timeout-action Restart\n"
                           "\tstartup-action start\n"
                           "\tike-versions ikev2\n"
                           "\troute 172.16.1.0/24\n"
                           "\troute 172.16.2.0/24 priority 50\n"
                           "\tinside-role customer\n"
                           "}\n"
                           "tunnel vpn-0abc 2 {\n"
                           "\tlocal-address 198.51.100.2\n"
                           "\tremote-address 192.0.2.2\n"
                           "\tinside-cidr 169.254.11.0/30\n"
                           "\tpre-shared-key \"tunnel2.psk\"\n"
                           "}";

static struct conf_diags diags;

TEST(conf_good_file)
{
	struct conf *c = NULL;
	const struct conf_tunnel *t1, *t2;

	CHECK_OK(conf_parse_text("good", good, strlen(good), &c, &diags));
	CHECK_STR(c->listen, "127.0.0.1:8080");
	CHECK_STR(c->data_dir, "/var/lib/gate house");
	CHECK_STR(c->secret_key, "wJalr\"XUtn");
	CHECK_EQ(c->log_level, LOG_DEBUG);
	CHECK_EQ(c->npool, 2);
	CHECK_EQ(c->nvpc_nets, 2);
	CHECK_EQ(c->ntunnels, 2);
	t1 = conf_tunnel_find(c, "vpn-0abc", 1);
	t2 = conf_tunnel_find(c, "vpn-0abc", 2);
	CHECK(t1 && t2);
	CHECK(conf_tunnel_find(c, "vpn-0abc", 3) == NULL);
	CHECK_EQ(t1->t.opt.phase1_encr,
	         (1u << MODEL_ENCR_AES128) | (1u << MODEL_ENCR_AES256_GCM16));
	CHECK_EQ(t1->t.opt.phase2_integ, (1u << MODEL_INTEG_SHA1) | (1u << MODEL_INTEG_SHA2_512));
	CHECK_EQ(t1->t.opt.phase1_dh, MODEL_DH_MASK(2) | MODEL_DH_MASK(14));
	CHECK_EQ(t1->t.opt.phase2_dh, MODEL_DH_MASK(5));
	CHECK_EQ(t1->t.opt.dpd_action, MODEL_DPD_RESTART);
	CHECK_EQ(t1->t.opt.startup_action, MODEL_STARTUP_START);
	CHECK_EQ(t1->t.opt.ike_versions, MODEL_IKE_V2);
	CHECK_EQ(t1->nroutes, 2);
	CHECK_EQ(t1->routes[0].priority, CONF_ROUTE_PRIORITY_DEFAULT);
	CHECK_EQ(t1->routes[1].priority, 50);
	CHECK_EQ(t1->t.local_net.len, 12);
	CHECK(t1->customer_side && !t2->customer_side);
	CHECK_STR(t2->t.opt.psk, "tunnel2.psk");
	conf_free(c);
}

/* Omitting every option gives the guide's defaults (site-to-site.md 11 #38). */
TEST(conf_defaults)
{
	static const char txt[] = GOOD_HEAD "tunnel v 1 {\n" TUN_BODY "}\n";
	struct conf *c = NULL;
	const struct model_tunnel_options *o;

	CHECK_OK(conf_parse_text("t", txt, strlen(txt), &c, &diags));
	o = &c->tunnels[0].t.opt;
	CHECK_EQ(o->phase1_lifetime_s, 28800);
	CHECK_EQ(o->phase2_lifetime_s, 3600);
	CHECK_EQ(o->rekey_margin_s, 270);
	CHECK_EQ(o->rekey_fuzz_pct, 100);
	CHECK_EQ(o->replay_window, 1024);
	CHECK_EQ(o->dpd_timeout_s, 40);
	CHECK_EQ(o->dpd_action, MODEL_DPD_CLEAR);
	CHECK_EQ(o->startup_action, MODEL_STARTUP_ADD);
	CHECK_EQ(o->phase1_encr, 0xf);
	CHECK_EQ(o->phase2_integ, 0xf);
	CHECK_EQ(o->phase1_dh, 0x1ffc004u);
	CHECK_EQ(o->phase2_dh, 0x1ffc024u);
	CHECK_EQ(o->ike_versions, MODEL_IKE_V1 | MODEL_IKE_V2);
	CHECK_EQ(c->tunnels[0].t.local_net.len, 0);
	CHECK_EQ(c->tunnels[0].t.remote_net.addr.family, AF_INET);
	conf_free(c);
}

/* conf_print output parses back to the same configuration and prints identically. */
TEST(conf_print_round_trip)
{
	struct conf *a = NULL, *b = NULL;
	char *p1 = NULL, *p2 = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *f;

	CHECK_OK(conf_parse_text("good", good, strlen(good), &a, &diags));
	f = open_memstream(&p1, &n1);
	conf_print(a, f);
	fclose(f);
	if (conf_parse_text("printed", p1, n1, &b, &diags) != E_OK) {
		conf_diags_print(&diags, stderr);
		fprintf(stderr, "%s", p1);
	}
	CHECK(b != NULL);
	f = open_memstream(&p2, &n2);
	conf_print(b, f);
	fclose(f);
	CHECK_STR(p1, p2);
	CHECK_EQ(a->ntunnels, b->ntunnels);
	for (size_t i = 0; i < a->ntunnels; i++)
		CHECK(conf_tunnel_equal(&a->tunnels[i], &b->tunnels[i]));
	CHECK(!conf_tunnel_equal(&a->tunnels[0], &b->tunnels[1]));
	free(p1);
	free(p2);
	conf_free(a);
	conf_free(b);
}

TEST(conf_tunnel_compare)
{
	static const char txt[] = GOOD_HEAD "tunnel v 1 {\n" TUN_BODY "route 10.9.0.0/16\n}\n";
	struct conf *a = NULL;
	struct conf_tunnel x;

	CHECK_OK(conf_parse_text("t", txt, strlen(txt), &a, &diags));
	x = a->tunnels[0];
	x.line = 99;
	CHECK(conf_tunnel_equal(&a->tunnels[0], &x));
	x.routes[0].priority = 7;
	CHECK(!conf_tunnel_equal(&a->tunnels[0], &x));
	CHECK(conf_tunnel_same_ike(&a->tunnels[0], &x));
	x.t.opt.replay_window = 64;
	CHECK(!conf_tunnel_same_ike(&a->tunnels[0], &x));
	conf_free(a);
}

/* One bad input per problem: the expected line and a piece of the message. */
struct bad_case {
	const char *text;
	unsigned line;
	const char *msg;
};

#define T1(body) GOOD_HEAD "tunnel v 1 {\n" TUN_BODY body "}\n"

static const struct bad_case bad[] = {
    {"bogus 1\n", 1, "unknown keyword \"bogus\" at the top level"},
    {"listen\n", 1, "listen: expected 1 value, got 0"},
    {"listen 1.2.3.4:80 x\n", 1, "listen: expected 1 value, got 2"},
    {"listen 1.2.3.4\n", 1, "is not address:port"},
    {"listen 1.2.3.4:0\n", 1, "listen port: 0 is out of range 1-65535"},
    {"listen [::1]:99999\n", 1, "listen port: 99999 is out of range"},
    {"listen ::1:80\n", 1, "is not address:port"},
    {"listen 1.2.3.4:8080\nlisten 1.2.3.4:8081\n", 2, "listen: already given on line 1"},
    {"data-dir relative/path\n", 1, "must be an absolute path"},
    {"log-level loud\n", 1, "log-level: \"loud\" is not one of"},
    {"access-key A\n", 0, "access-key and secret-key must be given together"},
    {"outside-address 1.2.3\n", 1, "outside-address: \"1.2.3\" is not an IP address"},
    {"outside-address 1.2.3.4 1.2.3.4\n", 1, "is listed twice"},
    {"vpc-network 10.0.0.1/16\n", 1, "has host bits set"},
    {"vpc-network 10.0.0.0\n", 1, "is not a CIDR"},
    {"x \"unterminated\n", 1, "unterminated quoted string"},
    {"x \"a\\q\"\n", 1, "bad escape"},
    {"x a\"b\"\n", 1, "quote inside a word"},
    {"x \001\n", 1, "control or non-ASCII byte"},
    {"}\n", 1, "\"}\" without an open block"},
    {"frob x {\n", 1, "unknown block \"frob\""},
    {"tunnel v 1\n", 1, "expected \"tunnel <vpn-id> <1|2> {\""},
    {"tunnel v 3 {\n}\n", 1, "tunnel index: 3 is out of range 1-2"},
    {"tunnel v!x 1 {\n}\n", 1, "may only hold letters"},
    {"tunnel vpn-0123456789abcdef0123456789ab 1 {\n}\n", 1, "must be 1-31 characters"},
    {GOOD_HEAD "tunnel v 1 {\n" TUN_BODY, 3, "tunnel block is not closed"},
    {T1("tunnel w 1 {\n"), 8, "tunnel block inside a tunnel block"},
    {T1("x {\n"), 8, "unexpected block inside a tunnel block"},
    {T1("} extra\n"), 8, "unexpected words after"},
    {T1("color blue\n"), 8, "unknown keyword \"color\" in a tunnel block"},
    {GOOD_HEAD "tunnel v 1 {\n}\n", 3, "local-address is required"},
    {GOOD_HEAD "tunnel v 1 {\n}\n", 3, "remote-address is required"},
    {GOOD_HEAD "tunnel v 1 {\n}\n", 3, "inside-cidr is required"},
    {GOOD_HEAD "tunnel v 1 {\n}\n", 3, "pre-shared-key is required"},
    {T1("local-address 198.51.100.2\n"), 8, "local-address: already given on line 4"},
    {T1("remote-address 2001:db8::1\n"), 8, "already given"},
    {GOOD_HEAD "tunnel v 1 {\nlocal-address 198.51.100.1\nremote-address 2001:db8::1\n"
               "inside-cidr 169.254.10.0/30\npre-shared-key abcdefgh\n}\n",
     5, "not the same address family"},
    {GOOD_HEAD "tunnel v 1 {\nlocal-address 198.51.100.9\nremote-address 192.0.2.2\n"
               "inside-cidr 169.254.10.0/30\npre-shared-key abcdefgh\n}\n",
     4, "198.51.100.9 is not an outside-address"},
    {T1("local-network 10.0.0.0/33\n"), 8, "is not a CIDR"},
    {T1("local-network ::/0\n"), 8, "local-network: must be IPv4"},
    {T1("remote-network ::/0\n"), 8, "remote-network: must be IPv4"},
    {T1("inside-cidr 169.254.20.0/30\n"), 8, "already given"},
    {GOOD_HEAD "tunnel v 1 {\ninside-cidr 169.254.20.0/29\n}\n", 4,
     "must be a size /30 CIDR block from the 169.254.0.0/16"},
    {GOOD_HEAD "tunnel v 1 {\ninside-cidr 10.0.0.0/30\n}\n", 4,
     "must be a size /30 CIDR block from the 169.254.0.0/16"},
    {GOOD_HEAD "tunnel v 1 {\ninside-cidr 169.254.5.0/30\n}\n", 4, "169.254.5.0/30 is reserved"},
    {GOOD_HEAD "tunnel v 1 {\ninside-cidr 169.254.169.252/30\n}\n", 4, "is reserved"},
    {T1("inside-ipv6-cidr fd00::/64\n"), 8,
     "must be a size /126 CIDR block from the local fd00::/8"},
    {T1("inside-ipv6-cidr 2001:db8::/126\n"), 8,
     "must be a size /126 CIDR block from the local fd00::/8"},
    {GOOD_HEAD "tunnel v 1 {\npre-shared-key abcdefg\n}\n", 4,
     "between 8 and 64 characters in length (got 7)"},
    {GOOD_HEAD "tunnel v 1 {\npre-shared-key "
               "a1234567890123456789012345678901234567890123456789012345678901234\n}\n",
     4, "(got 65)"},
    {GOOD_HEAD "tunnel v 1 {\npre-shared-key 0abcdefgh\n}\n", 4, "cannot start with zero"},
    {GOOD_HEAD "tunnel v 1 {\npre-shared-key abc-defgh\n}\n", 4, "invalid character at position 4"},
    {GOOD_HEAD "tunnel v 1 {\npre-shared-key \"abc defgh\"\n}\n", 4,
     "invalid character at position 4"},
    {T1("phase1-encryption-algorithms 3DES\n"), 8,
     "Invalid value '3DES' for Phase1EncryptionAlgorithms"},
    {T1("phase2-encryption-algorithms AES128 AES192\n"), 8, "Invalid value 'AES192'"},
    {T1("phase1-integrity-algorithms MD5\n"), 8,
     "Invalid value 'MD5' for Phase1IntegrityAlgorithms"},
    {T1("phase2-integrity-algorithms\n"), 8, "expected 1 or more values, got 0"},
    {T1("phase1-dh-group-numbers 5\n"), 8, "Invalid value '5' for Phase1DHGroupNumbers"},
    {T1("phase1-dh-group-numbers 1\n"), 8, "Invalid value '1' for Phase1DHGroupNumbers"},
    {T1("phase2-dh-group-numbers 25\n"), 8, "Invalid value '25' for Phase2DHGroupNumbers"},
    {T1("phase2-dh-group-numbers two\n"), 8, "Invalid value 'two'"},
    {T1("phase1-lifetime-seconds 899\n"), 8,
     "'899' for Phase1LifetimeSeconds: it must be an integer between 900 and 28800"},
    {T1("phase1-lifetime-seconds 28801\n"), 8, "between 900 and 28800"},
    {T1("phase2-lifetime-seconds 3601\n"), 8, "between 900 and 3600"},
    {T1("phase2-lifetime-seconds -1\n"), 8, "Invalid value '-1'"},
    {T1("phase2-lifetime-seconds 99999999999\n"), 8, "Invalid value '99999999999'"},
    {T1("phase1-lifetime-seconds 1800\nphase2-lifetime-seconds 1800\n"), 9,
     "Phase2LifetimeSeconds (1800) must be less than Phase1LifetimeSeconds (1800)"},
    {T1("phase1-lifetime-seconds 900\n"), 3, "(3600) must be less than"},
    {T1("rekey-margin-time-seconds 59\n"), 8, "'59' for RekeyMarginTimeSeconds"},
    {T1("phase2-lifetime-seconds 1000\nrekey-margin-time-seconds 501\n"), 9,
     "(501) must be between 60 and half"},
    {T1("rekey-fuzz-percentage 101\n"), 8, "between 0 and 100"},
    {T1("replay-window-size 63\n"), 8, "between 64 and 2048"},
    {T1("replay-window-size 2049\n"), 8, "between 64 and 2048"},
    {T1("dpd-timeout-seconds 29\n"), 8, "greater than or equal to 30"},
    {T1("dpd-timeout-action reboot\n"), 8, "Valid values: clear | none | restart"},
    {T1("startup-action go\n"), 8, "Valid values: add | start"},
    {T1("ike-versions ikev3\n"), 8, "Valid values: ikev1 | ikev2"},
    {T1("ike-versions ikev1\nstartup-action start\n"), 9, "requires ikev2 in IKEVersions"},
    {T1("log-enabled maybe\n"), 8, "expected true or false"},
    {T1("inside-role cgw\n"), 8, "inside-role: \"cgw\" is not one of aws, customer"},
    {T1("log-output-format xml\n"), 8, "Valid values: json | text"},
    {T1("tunnel-lifecycle-control 1\n"), 8, "expected true or false"},
    {T1("route 10.0.0.0/8 metric 5\n"), 8, "expected \"route <cidr> [priority <n>]\""},
    {T1("route 10.0.0.0/8 priority\n"), 8, "expected \"route <cidr> [priority <n>]\""},
    {T1("route 10.0.0.0/8 priority x\n"), 8, "priority: \"x\" is not a number"},
    {T1("route 10.0.0.0/8 priority 65536\n"), 8, "priority: 65536 is out of range 0-65535"},
    {T1("route 10.0.0.0/8\nroute 10.0.0.0/8\n"), 9, "listed twice in this tunnel"},
    {T1("local-network 10.0.0.0/8\nroute 11.0.0.0/16\n"), 9, "is outside local-network"},
    {GOOD_HEAD "tunnel v 1 {\n" TUN_BODY "}\ntunnel v 1 {\n" TUN_BODY "}\n", 9,
     "tunnel v 1 is already defined on line 3"},
    {GOOD_HEAD "tunnel v 1 {\n" TUN_BODY "}\ntunnel w 1 {\n" TUN_BODY "}\n", 11,
     "same local-address and remote-address"},
    {GOOD_HEAD "tunnel v 1 {\n" TUN_BODY "}\ntunnel w 1 {\n" TUN_BODY "}\n", 12,
     "inside-cidr: already used by the tunnel on line 3"},
};

static bool has_diag(const struct conf_diags *d, unsigned line, const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].line == line && strstr(d->v[i].msg, msg))
			return true;
	return false;
}

TEST(conf_each_problem_reported_with_line)
{
	size_t nfail = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct conf *c = (struct conf *)1;
		result_t rc = conf_parse_text("bad", bad[i].text, strlen(bad[i].text), &c, &diags);

		if (rc != E_PARSE || c != NULL || !has_diag(&diags, bad[i].line, bad[i].msg)) {
			conf_diags_print(&diags, stderr);
			fprintf(stderr, "    case %zu: want line %u \"%s\"\n", i, bad[i].line,
			        bad[i].msg);
			nfail++;
		}
	}
	CHECK_EQ(nfail, 0);
}

/* Every problem of a file is reported, not just the first. */
TEST(conf_collects_all_problems)
{
	static const char txt[] = "bogus\n"
	                          "log-level loud\n"
	                          "outside-address 198.51.100.1\n"
	                          "tunnel v 1 {\n"
	                          "\treplay-window-size 1\n"
	                          "\tdpd-timeout-action x\n"
	                          "}\n"
	                          "}\n";
	struct conf *c = NULL;

	CHECK_ERR(conf_parse_text("multi", txt, strlen(txt), &c, &diags), E_PARSE);
	CHECK(has_diag(&diags, 1, "unknown keyword"));
	CHECK(has_diag(&diags, 2, "log-level"));
	CHECK(has_diag(&diags, 4, "local-address is required"));
	CHECK(has_diag(&diags, 5, "replay-window-size"));
	CHECK(has_diag(&diags, 6, "dpd-timeout-action"));
	CHECK(has_diag(&diags, 8, "without an open block"));
	CHECK_EQ(diags.n, 9);
}

TEST(conf_limits)
{
	size_t n = CONF_LINE_MAX + 10, off;
	char *txt = malloc(n + 600);
	struct conf *c = NULL;

	CHECK(txt != NULL);
	memset(txt, 'a', n);
	memcpy(txt + n, "\nx ", 3);
	off = n + 3;
	memset(txt + off, 'b', CONF_TOKEN_MAX + 5);
	off += CONF_TOKEN_MAX + 5;
	txt[off++] = '\n';
	CHECK_ERR(conf_parse_text("big", txt, off, &c, &diags), E_PARSE);
	CHECK(has_diag(&diags, 1, "line longer than"));
	CHECK(has_diag(&diags, 2, "word longer than"));
	free(txt);
	/* too many words */
	{
		char line[200] = "outside-address";
		for (int i = 0; i < 40; i++)
			strcat(line, " 1");
		strcat(line, "\n");
		CHECK_ERR(conf_parse_text("w", line, strlen(line), &c, &diags), E_PARSE);
		CHECK(has_diag(&diags, 1, "more than 32 words"));
	}
	CHECK_ERR(conf_parse_text("huge", "", CONF_FILE_MAX_BYTES + 1, &c, &diags), E_PARSE);
	CHECK(has_diag(&diags, 0, "larger than"));
}

TEST(conf_file_io)
{
	char path[] = "/tmp/gh-test-conf-XXXXXX";
	int fd = mkstemp(path);
	struct conf *c = NULL;
	FILE *f;

	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs(good, f);
	fclose(f);
	CHECK_OK(conf_parse_file(path, &c, &diags));
	CHECK_EQ(c->ntunnels, 2);
	CHECK_STR(c->path, path);
	conf_free(c);
	unlink(path);
	CHECK_ERR(conf_parse_file(path, &c, &diags), E_SYSTEM);
	CHECK(has_diag(&diags, 0, "cannot open"));
	CHECK(c == NULL);
}

TEST(conf_diags_print_format)
{
	static const char txt[] = "\nbogus\n";
	struct conf *c = NULL;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	CHECK_ERR(conf_parse_text("my.conf", txt, strlen(txt), &c, &diags), E_PARSE);
	f = open_memstream(&out, &n);
	conf_diags_print(&diags, f);
	fclose(f);
	CHECK_STR(out, "my.conf:2: unknown keyword \"bogus\" at the top level\n");
	free(out);
}

/* The daemon's -n / -nv. */
TEST(conf_check_mode)
{
	char path[] = "/tmp/gh-test-conf-XXXXXX";
	char *out = NULL, *err = NULL;
	size_t no = 0, ne = 0;
	FILE *fo, *fe;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "log-level loud\n", 15) == 15);
	close(fd);
	fo = open_memstream(&out, &no);
	fe = open_memstream(&err, &ne);
	CHECK_EQ(conf_check(path, true, fo, fe), 1);
	fclose(fo);
	fclose(fe);
	CHECK(strstr(err, ":1: log-level: \"loud\" is not one of") != NULL);
	CHECK_EQ(no, 0);
	free(out);
	free(err);

	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, good, strlen(good)) == (ssize_t)strlen(good));
	close(fd);
	fo = open_memstream(&out, &no);
	fe = open_memstream(&err, &ne);
	CHECK_EQ(conf_check(path, true, fo, fe), 0);
	fclose(fo);
	fclose(fe);
	CHECK(strstr(out, "tunnel vpn-0abc 2 {\n") != NULL);
	CHECK(strstr(out, "\treplay-window-size 1024\n") != NULL);
	free(out);
	free(err);
	unlink(path);
}
