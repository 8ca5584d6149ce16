/*
 * test_ovpn_admin.c - ovpn_server_reconfigure() and the kill calls on a real server: UDP on an
 * ephemeral port and a real TUN device, inside a network namespace of this process's own
 * (unshare(CLONE_NEWNET): nothing is created outside it, and it goes away with the process).
 * Needs root, as the scenario tests do; without it the tests say so and check nothing.
 *
 * Fixtures (openssl command line, valid until 2036): a P-256 CA, a server certificate it
 * signed (serial 0x42) with its key, an unrelated key, an empty CRL from the CA and a tls-crypt
 * v1 static key (openvpn --genkey secret).
 */
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/ev.h"
#include "ovpn/ovpn_int.h"
#include "test.h"

static const char FX_CA[] = "-----BEGIN CERTIFICATE-----\n"
                            "MIIBkzCCATmgAwIBAgIUaRumCBnHiMvpPm2rPJXFBD3Ar2YwCgYIKoZIzj0EAwIw\n"
                            "FzEVMBMGA1UEAwwMb3ZwbiB0ZXN0IENBMB4XDTI2MTEyNDE0MzUwMloXDTM2MTEy\n"
                            "MTE0MzUwMlowFzEVMBMGA1UEAwwMb3ZwbiB0ZXN0IENBMFkwEwYHKoZIzj0CAQYI\n"
                            "KoZIzj0DAQcDQgAELX3IgLP0yepT1rOF5JiiAaXGYrefT6uCVkgxseo/cBZm8wJe\n"
                            "ny8MaJ//Cb8QWK/HQYRSIFwVE5Cuc3xYacygyaNjMGEwHQYDVR0OBBYEFAYOdylg\n"
                            "4hXwgjaQuwSer6cERotFMB8GA1UdIwQYMBaAFAYOdylg4hXwgjaQuwSer6cERotF\n"
                            "MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0gA\n"
                            "MEUCIHRTuStg4qtFOlpX2tAyzUjl1q19zbcW+K7j2tacFUxxAiEAvqjiR1h+RE6/\n"
                            "PHL5iSYvOjLHaYecM9kKWi0dN3HNC5s=\n"
                            "-----END CERTIFICATE-----\n";

static const char FX_SRV_CRT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkzCCATmgAwIBAgIBQjAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxvdnBuIHRl\n"
    "c3QgQ0EwHhcNMjYxMTI0MTQzNTAyWhcNMzYxMTIxMTQzNTAyWjAbMRkwFwYDVQQD\n"
    "DBBzZXJ2ZXIub3Zwbi50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVGK5\n"
    "zbgZQOJwkRjITAJx4Z3b13cLsXQ6f9OoSB8x+WaJPsZoyED1rVx0Lagi/7bLvDuR\n"
    "apyJSz8/EGh8KT/GgqNyMHAwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYD\n"
    "VR0lBAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFMkHlYiV8L+d3+AjDkcdHOzbAsYI\n"
    "MB8GA1UdIwQYMBaAFAYOdylg4hXwgjaQuwSer6cERotFMAoGCCqGSM49BAMCA0gA\n"
    "MEUCIQDjnRJQxJSXKjreZBOmO55D7twhyD/FIAvVrTv5rqq3vwIgKizSHn17MWzp\n"
    "YfatNtJG53a3Fx+9KLbVce1oLk7sE+8=\n"
    "-----END CERTIFICATE-----\n";

static const char FX_SRV_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgN0kdyhUkx3NSUSNw\n"
    "6RXmBt70VuS0a1km5ZorXiHyEg+hRANCAARUYrnNuBlA4nCRGMhMAnHhndvXdwux\n"
    "dDp/06hIHzH5Zok+xmjIQPWtXHQtqCL/tsu8O5FqnIlLPz8QaHwpP8aC\n"
    "-----END PRIVATE KEY-----\n";

static const char FX_OTHER_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgl6u5GT0OXsjPwdwd\n"
    "Sq1NZ1qRYSsrew/7C2pa/EeowaGhRANCAATVfFQr37qNmIimuk7iHOl2Qw8h934N\n"
    "k40YyAiTydv3W1d8JWTbFASliK47Tk11i/tGtzXtPN51CI0BC3aA1+oA\n"
    "-----END PRIVATE KEY-----\n";

static const char FX_CRL[] = "-----BEGIN X509 CRL-----\n"
                             "MIGvMFcCAQEwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMb3ZwbiB0ZXN0IENBFw0y\n"
                             "NjExMjQxNDM1MDJaFw0zNjExMjExNDM1MDJaoA8wDTALBgNVHRQEBAICEAAwCgYI\n"
                             "KoZIzj0EAwIDSAAwRQIhAK93Vg/h2vhw71lhCAcvYLgsF/0ce0vqjfHxzMqgE0NG\n"
                             "AiAcoX9SIgHzkdTbfN00T1Ex8B+VMMWV+yLTlgosZKoplQ==\n"
                             "-----END X509 CRL-----\n";

static const char FX_TC_KEY[] = "#\n"
                                "# 2048 bit OpenVPN static key\n"
                                "#\n"
                                "-----BEGIN OpenVPN Static key V1-----\n"
                                "ce32d75f93aac97f72e556694eae298e\n"
                                "8e92fdc6d7fdea6a9cb7b2ba49d6087f\n"
                                "2e09785b04f995ea73c8143f51b1701d\n"
                                "3c47e55db367d777ff4190260a4f9184\n"
                                "a07c5c87c365d111e7787e89cbbc1fb6\n"
                                "81d5cc3e8b195bf6e4af366c4cdff021\n"
                                "7f20f4416e3d5fcd9b89ff28e01abf92\n"
                                "d70a99d49805eaaf25a7e47aa76d04f2\n"
                                "630b17daa327a7c7cd9793367ffb685a\n"
                                "6d537f85978fee36358c4c9454c30fdc\n"
                                "eee29a49de58c549e217a4e4e0ad9af1\n"
                                "41b6801edda8a83a4565b7c9c522e155\n"
                                "0c53cfab8ca777a76346391091b54297\n"
                                "2a73fecc9b9ce6c1baa571c6342f5cbe\n"
                                "9f8bcb8ffb24b1c51b0edc4eded7f149\n"
                                "6d529a1d241296578a576831a657dd28\n"
                                "-----END OpenVPN Static key V1-----\n";

static bool g_ready;
static char g_dir[64];
static char g_ca[96], g_crt[96], g_key[96], g_other[96], g_crl[96], g_tc[96], g_junk[96];
static char g_missing[96];

static bool fx_write(char *path, size_t cap, const char *name, const char *text)
{
	snprintf(path, cap, "%s/%s", g_dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* Runs first: a private network namespace, then the fixture files. */
TEST(ovpn_admin_setup)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "    not root (or no namespaces): server tests skipped\n");
		return;
	}
	snprintf(g_dir, sizeof(g_dir), "/tmp/gh-test-ovpn-admin-XXXXXX");
	CHECK(mkdtemp(g_dir) != NULL);
	CHECK(fx_write(g_ca, sizeof(g_ca), "ca.crt", FX_CA));
	CHECK(fx_write(g_crt, sizeof(g_crt), "srv.crt", FX_SRV_CRT));
	CHECK(fx_write(g_key, sizeof(g_key), "srv.key", FX_SRV_KEY));
	CHECK(fx_write(g_other, sizeof(g_other), "other.key", FX_OTHER_KEY));
	CHECK(fx_write(g_crl, sizeof(g_crl), "crl.pem", FX_CRL));
	CHECK(fx_write(g_tc, sizeof(g_tc), "tc.key", FX_TC_KEY));
	CHECK(fx_write(g_junk, sizeof(g_junk), "junk.pem", "not PEM at all\n"));
	snprintf(g_missing, sizeof(g_missing), "%s/missing.pem", g_dir);
	g_ready = true;
}

static void cfg_base(struct ovpn_config *cfg)
{
	ovpn_config_defaults(cfg);
	cfg->port = 0;
	cfg->cert_path = g_crt;
	cfg->key_path = g_key;
	cfg->ca_path = g_ca;
	CHECK_OK(prefix_parse("10.8.0.0/24", false, &cfg->client_cidr));
}

struct fixture {
	struct ev_loop *loop;
	struct ovpn_server *srv;
	struct ovpn_config cfg;
};

static bool fixture_up(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	cfg_base(&f->cfg);
	if (ev_loop_new(&f->loop) != E_OK)
		return false;
	/* Paths from a buffer that is gone after new(): nothing may keep pointing into it. */
	char crt[96];
	snprintf(crt, sizeof(crt), "%s", g_crt);
	f->cfg.cert_path = crt;
	result_t rc = ovpn_server_new(f->loop, &f->cfg, &f->srv);
	memset(crt, 'x', sizeof(crt) - 1);
	f->cfg.cert_path = g_crt;
	return rc == E_OK;
}

static void fixture_down(struct fixture *f)
{
	ovpn_server_free(f->srv);
	ev_loop_free(f->loop);
}

TEST(ovpn_admin_paths_not_kept)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	const struct ovpn_config *k = &f.srv->cfg;
	CHECK(!k->cert_path && !k->key_path && !k->ca_path && !k->crl_path && !k->tls_crypt_path);
	CHECK(!f.srv->prof->cfg.cert_path && !f.srv->prof->cfg.key_path);
	CHECK(ovpn_server_port(f.srv) != 0);
	fixture_down(&f);
}

/* What the sockets, TUN device and tables were made from: E_INVAL, nothing replaced. */
TEST(ovpn_admin_reconfigure_fixed_fields)
{
	static const char *const what[] = {"proto", "listen", "port", "cidr", "tun", "mtu", "max"};
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct ovpn_config c = f.cfg;
		SSL_CTX *ctx = f.srv->ssl_ctx;
		struct ovpn_profile *prof = f.srv->prof;
		c.reneg_sec = 77; /* a change that would be fine on its own */
		switch (i) {
		case 0:
			c.proto = OVPN_PROTO_TCP;
			break;
		case 1:
			CHECK_OK(addr_parse("127.0.0.1", &c.listen_addr));
			break;
		case 2:
			c.port = (uint16_t)(ovpn_server_port(f.srv) + 1);
			break;
		case 3:
			CHECK_OK(prefix_parse("10.9.0.0/24", false, &c.client_cidr));
			break;
		case 4:
			snprintf(c.tun_name, sizeof(c.tun_name), "ghother0");
			break;
		case 5:
			c.tun_mtu = 1400;
			break;
		case 6:
			c.max_clients = 16;
			break;
		}
		if (ovpn_server_reconfigure(f.srv, &c) != E_INVAL) {
			fixture_down(&f);
			TEST_FAIL("changed %s not refused with E_INVAL", what[i]);
		}
		CHECK(f.srv->ssl_ctx == ctx && f.srv->prof == prof);
		CHECK_EQ(f.srv->cfg.reneg_sec, 3600);
	}
	fixture_down(&f);
}

/* The same values written another way are no change: the bound port for port 0, the TUN name
 * the kernel picked, max_clients 0 (= the default 1024). */
TEST(ovpn_admin_reconfigure_same)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	struct ovpn_config c = f.cfg;
	CHECK_OK(ovpn_server_reconfigure(f.srv, &c));
	c.port = ovpn_server_port(f.srv);
	snprintf(c.tun_name, sizeof(c.tun_name), "%s", ovpn_server_tun_name(f.srv));
	c.max_clients = 0;
	CHECK_OK(ovpn_server_reconfigure(f.srv, &c));
	CHECK_OK(ovpn_server_reconfigure(f.srv, &f.cfg)); /* and the first spelling again */
	fixture_down(&f);
}

/* Unreadable or mismatched material: refused, the previous configuration stays whole. */
TEST(ovpn_admin_reconfigure_bad_material_keeps_old)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	const struct {
		const char *what;
		result_t want;
	} cases[] = {
	    {"key of another certificate", E_OVPN_TLS},
	    {"CA file missing", E_OVPN_TLS},
	    {"CRL not PEM", E_OVPN_TLS},
	    {"certificate not PEM", E_OVPN_TLS},
	    {"tls-crypt key not a static key", E_OVPN_TLS},
	    {"tls-crypt key missing", E_OVPN_TLS},
	    {"no usable data cipher", E_INVAL},
	    {"no CA at all", E_INVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ovpn_config c = f.cfg;
		SSL_CTX *ctx = f.srv->ssl_ctx;
		struct ovpn_profile *prof = f.srv->prof;
		c.reneg_sec = 77;
		c.session_timeout_sec = 5;
		c.crl_path = g_crl;
		switch (i) {
		case 0:
			c.key_path = g_other;
			break;
		case 1:
			c.ca_path = g_missing;
			break;
		case 2:
			c.crl_path = g_junk;
			break;
		case 3:
			c.cert_path = g_junk;
			break;
		case 4:
			c.tls_crypt_path = g_junk;
			break;
		case 5:
			c.tls_crypt_path = g_missing;
			break;
		case 6:
			snprintf(c.ciphers, sizeof(c.ciphers), "BF-CBC");
			break;
		case 7:
			c.ca_path = NULL;
			break;
		}
		result_t rc = ovpn_server_reconfigure(f.srv, &c);
		if (rc != cases[i].want) {
			fixture_down(&f);
			TEST_FAIL("%s: got %s", cases[i].what, err_name(rc));
		}
		CHECK(f.srv->ssl_ctx == ctx && f.srv->prof == prof);
		CHECK_EQ(f.srv->cfg.reneg_sec, 3600);
		CHECK_EQ(f.srv->prof->cfg.session_timeout_sec, 0);
		CHECK(!f.srv->tc_on);
	}
	fixture_down(&f);
}

/* Good material: new context and profile for later clients; a client holding the old profile
 * keeps its values; hooks stay those given to new(). */
static void hook_connected(void *arg, const struct ovpn_client_info *c)
{
	(void)arg;
	(void)c;
}

TEST(ovpn_admin_reconfigure_applies)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	SSL_CTX *ctx = f.srv->ssl_ctx;
	struct ovpn_profile *held = ovpn_profile_ref(f.srv->prof); /* as a connected client */
	struct ovpn_config c = f.cfg;
	char crl[96];
	snprintf(crl, sizeof(crl), "%s", g_crl);
	c.crl_path = crl;
	c.tls_crypt_path = g_tc;
	c.reneg_sec = 77;
	c.session_timeout_sec = 5;
	c.session_restart = true;
	c.split_tunnel = true;
	c.n_routes = 1;
	CHECK_OK(prefix_parse("10.99.0.0/16", false, &c.routes[0]));
	snprintf(c.ciphers, sizeof(c.ciphers), "CHACHA20-POLY1305");
	c.hooks.connected = hook_connected;
	result_t rc = ovpn_server_reconfigure(f.srv, &c);
	memset(crl, 'x', sizeof(crl) - 1);
	CHECK_OK(rc);
	CHECK(f.srv->ssl_ctx != ctx && f.srv->prof != held);
	const struct ovpn_profile *p = f.srv->prof;
	CHECK_EQ(p->cfg.reneg_sec, 77);
	CHECK_EQ(p->cfg.session_timeout_sec, 5);
	CHECK(p->cfg.session_restart && p->cfg.split_tunnel);
	CHECK_EQ(p->cfg.n_routes, 1);
	CHECK_EQ(p->n_ciphers, 1);
	CHECK_EQ(p->ciphers[0], OVPN_CIPHER_CHACHA20_POLY1305);
	CHECK(!p->cfg.crl_path && !p->cfg.tls_crypt_path && !f.srv->cfg.crl_path);
	CHECK(f.srv->tc_on);
	CHECK(f.srv->cfg.hooks.connected == NULL);
	CHECK_EQ(held->cfg.reneg_sec, 3600);
	CHECK_EQ(held->n_ciphers, 3);
	CHECK_EQ(held->refs, 1);
	ovpn_profile_unref(held);
	/* and back: tls-crypt off again, CRL gone */
	CHECK_OK(ovpn_server_reconfigure(f.srv, &f.cfg));
	CHECK(!f.srv->tc_on);
	CHECK_EQ(f.srv->prof->cfg.reneg_sec, 3600);
	fixture_down(&f);
}

TEST(ovpn_admin_kill_unknown)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_up(&f));
	CHECK_ERR(ovpn_server_client_kill(f.srv, 0, OVPN_KILL_HALT, "x"), E_NOTFOUND);
	CHECK_ERR(ovpn_server_client_kill(f.srv, 5000, OVPN_KILL_RESTART, "x"), E_NOTFOUND);
	CHECK_EQ(ovpn_server_kill_all(f.srv, OVPN_KILL_RESTART, "x"), 0);
	fixture_down(&f);
}

/* --- ending sessions and the disconnected hook --------------------------------------------- */

static unsigned g_conn_hooks, g_disc_hooks;
static char g_disc_reason[64];
static uint32_t g_disc_peer;

static void hook_disc(void *arg, const struct ovpn_client_info *c, const char *reason)
{
	struct ovpn_server *srv = arg;
	g_disc_hooks++;
	g_disc_peer = c->peer_id;
	snprintf(g_disc_reason, sizeof(g_disc_reason), "%s", reason);
	/* The peer-id is free again only now: the client already left the tables. */
	if (srv && c->peer_id < srv->cfg.max_clients && srv->by_peer[c->peer_id])
		g_disc_peer = 9999;
}

/* A session as the server holds it once its handshake was accepted (no TLS peer behind it:
 * no control message can go out), put in the tables as ovpn_client_accept() does. */
static struct ovpn_client *fake_client(struct ovpn_server *srv, uint32_t peer_id, bool pushed)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(40000 + peer_id)};
	struct ovpn_client *c = NULL;

	sa.sin_addr.s_addr = htonl(0xC0000202);
	if (ovpn_client_new(srv, (struct sockaddr *)&sa, sizeof(sa), NULL, 1, 2, &c) != E_OK)
		return NULL;
	c->info.peer_id = peer_id;
	c->pool_idx = 2 + peer_id;
	srv->by_peer[peer_id] = c;
	srv->by_ip[c->pool_idx] = c;
	c->pushed = pushed;
	c->info.connected_ms = clock_mono_ms();
	return c;
}

static bool loop_turns(struct ev_loop *loop, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (ev_loop_run_once(loop, 10) != E_OK)
			return false;
	}
	return true;
}

static bool fixture_hooked(struct fixture *f)
{
	if (!fixture_up(f))
		return false;
	f->srv->cfg.hooks = (struct ovpn_hooks){.arg = f->srv, .disconnected = hook_disc};
	g_conn_hooks = g_disc_hooks = 0;
	g_disc_reason[0] = 0;
	return true;
}

TEST(ovpn_admin_kill_hook_once)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_hooked(&f));
	struct ovpn_client *a = fake_client(f.srv, 0, true), *b = fake_client(f.srv, 1, false);
	CHECK(a && b);
	struct ovpn_client_info ci[4];
	CHECK_EQ(ovpn_server_clients(f.srv, ci, 4), 1);
	/* No control channel up: ended at once, never freed or announced inside the call. */
	CHECK_OK(ovpn_server_client_kill(f.srv, 0, OVPN_KILL_HALT, "bye"));
	CHECK_EQ(g_disc_hooks, 0);
	CHECK(f.srv->by_peer[0] == a);
	CHECK_ERR(ovpn_server_client_kill(f.srv, 0, OVPN_KILL_RESTART, "again"), E_NOTFOUND);
	CHECK_EQ(ovpn_server_clients(f.srv, ci, 4), 0);
	/* kill_all: the unannounced session goes too, but only announced ones are counted */
	CHECK_EQ(ovpn_server_kill_all(f.srv, OVPN_KILL_RESTART, "reset"), 0);
	CHECK(loop_turns(f.loop, 3));
	CHECK_EQ(g_disc_hooks, 1); /* b was never announced: no hook */
	CHECK_EQ(g_disc_peer, 0);
	CHECK_STR(g_disc_reason, "bye");
	CHECK(f.srv->by_peer[0] == NULL && f.srv->by_peer[1] == NULL);
	fixture_down(&f);
}

TEST(ovpn_admin_session_timeout)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_hooked(&f));
	struct ovpn_config c = f.cfg;
	c.session_timeout_sec = 1;
	CHECK_OK(ovpn_server_reconfigure(f.srv, &c));
	struct ovpn_client *a = fake_client(f.srv, 3, true);
	CHECK(a != NULL);
	a->info.connected_ms -= 1500; /* connected 1.5 s ago */
	ovpn_client_schedule(a);
	for (unsigned i = 0; i < 200 && !g_disc_hooks; i++)
		CHECK(loop_turns(f.loop, 1));
	CHECK_EQ(g_disc_hooks, 1);
	CHECK_EQ(g_disc_peer, 3);
	CHECK_STR(g_disc_reason, "session timeout");
	fixture_down(&f);
}

/* ovpn_server_free() ends everyone without announcing anything. */
TEST(ovpn_admin_free_no_hook)
{
	struct fixture f;
	if (!g_ready)
		return;
	CHECK(fixture_hooked(&f));
	CHECK(fake_client(f.srv, 0, true) && fake_client(f.srv, 5, true));
	CHECK_OK(ovpn_server_client_kill(f.srv, 5, OVPN_KILL_HALT, "x")); /* dead, not yet freed */
	fixture_down(&f);
	CHECK_EQ(g_disc_hooks, 0);
}

TEST(ovpn_admin_teardown)
{
	static const char *const names[] = {"ca.crt",  "srv.crt", "srv.key", "other.key",
	                                    "crl.pem", "tc.key",  "junk.pem"};
	char p[128];
	if (!g_ready)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, names[i]);
		CHECK(unlink(p) == 0);
	}
	CHECK(rmdir(g_dir) == 0);
}
