/*
 * In-process IKEv2 exchanges: two engines ("AWS" responder A on 127.0.0.1, customer-gateway
 * initiator B on 127.0.0.2) on one event loop, over real UDP on loopback.
 *
 *   B (initiator)                           A (responder)
 *   HDR, SAi1, KEi, Ni, N(NAT_D)      -->
 *                                     <--   HDR, SAr1, KEr, Nr, N(NAT_D)
 *   HDR, SK {IDi, AUTH, SAi2, TSi, TSr} -->
 *                                     <--   HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 *
 * The loop runs until a condition holds or a generous cap passes (the cap only bounds a
 * failing test; nothing asserts timings).
 */
#include "test.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "ike/ike.h"
#include "ike/ike_wire.h"
#include "lib/log.h"

#define RUN_CAP_MS 20000
#define MAX_LIVE 8

struct side {
	struct ike_ctx *ctx;
	struct ike_tunnel *tun;
	uint32_t live_in[MAX_LIVE], live_out[MAX_LIVE];
	uint8_t key_in[MAX_LIVE][36], key_out[MAX_LIVE][36];
	size_t nlive;
	unsigned ups, downs;
	bool encap;
	unsigned drop_out; /* drop this many outbound datagrams */
	unsigned dropped;
};

static struct ev_loop *loop;
static struct side A, B;
static uint16_t port_base;
static char events[64][32];
static unsigned nevents;

static void on_record(void *arg, const char *event, const struct log_field *f, unsigned n)
{
	(void)arg, (void)f, (void)n;
	if (nevents < 64)
		snprintf(events[nevents++], sizeof(events[0]), "%s", event);
}

static bool saw_event(const char *e)
{
	for (unsigned i = 0; i < nevents; i++)
		if (!strcmp(events[i], e))
			return true;
	return false;
}

static void child_up(void *arg, const struct ike_child_sa_info *i)
{
	struct side *s = arg;

	s->ups++;
	s->encap = i->udp_encap;
	if (s->nlive < MAX_LIVE) {
		s->live_in[s->nlive] = i->spi_in;
		s->live_out[s->nlive] = i->spi_out;
		memcpy(s->key_in[s->nlive], i->encr_key_in, i->encr_key_len);
		memcpy(s->key_out[s->nlive], i->encr_key_out, i->encr_key_len);
		s->nlive++;
	}
}

static void child_down(void *arg, uint32_t spi_in, uint32_t spi_out)
{
	struct side *s = arg;

	(void)spi_out;
	s->downs++;
	for (size_t i = 0; i < s->nlive; i++) {
		if (s->live_in[i] == spi_in) {
			s->nlive--;
			s->live_in[i] = s->live_in[s->nlive];
			s->live_out[i] = s->live_out[s->nlive];
			memcpy(s->key_in[i], s->key_in[s->nlive], 36);
			memcpy(s->key_out[i], s->key_out[s->nlive], 36);
			return;
		}
	}
}

static const struct ike_callbacks cbs = {child_up, child_down, NULL};

static bool drop_hook(void *arg, bool out, const uint8_t *pkt, size_t len)
{
	struct side *s = arg;

	(void)pkt, (void)len;
	if (out && s->drop_out > 0) {
		s->drop_out--;
		s->dropped++;
		return true;
	}
	return false;
}

static bool default_tunnel(struct model_tunnel *m, const char *local, const char *remote,
                           bool start)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->vpn_id, sizeof(m->vpn_id), "vpn-test");
	m->index = 1;
	if (addr_parse(local, &m->outside_local) != E_OK ||
	    addr_parse(remote, &m->outside_remote) != E_OK ||
	    prefix_parse("0.0.0.0/0", false, &m->local_net) != E_OK ||
	    prefix_parse("0.0.0.0/0", false, &m->remote_net) != E_OK)
		return false;
	snprintf(m->opt.psk, sizeof(m->opt.psk), "secret.key_123");
	m->opt.phase1_lifetime_s = 28800;
	m->opt.phase2_lifetime_s = 3600;
	m->opt.rekey_margin_s = 270;
	m->opt.rekey_fuzz_pct = 100;
	m->opt.replay_window = 1024;
	m->opt.dpd_timeout_s = 40;
	m->opt.startup_action = start ? MODEL_STARTUP_START : MODEL_STARTUP_ADD;
	m->opt.phase1_encr = m->opt.phase2_encr = 0xf;
	m->opt.phase1_integ = m->opt.phase2_integ = 0xf;
	m->opt.phase1_dh = MODEL_DH_MASK(2) | 0x1ffc000u;
	m->opt.phase2_dh = m->opt.phase1_dh | MODEL_DH_MASK(5);
	m->opt.ike_versions = MODEL_IKE_V2;
	return true;
}

static bool side_setup(struct side *s, const struct model_tunnel *m,
                       const struct ike_ctx_config *extra)
{
	struct ike_ctx_config cfg = {0};

	if (extra)
		cfg = *extra;
	cfg.ike_port = port_base;
	cfg.natt_port = (uint16_t)(port_base + 1);
	cfg.drop = drop_hook;
	cfg.drop_arg = s;
	memset(s, 0, sizeof(*s));
	return ike_ctx_new(loop, &cfg, &s->ctx) == E_OK &&
	       ike_tunnel_new(s->ctx, m, &cbs, s, &s->tun) == E_OK;
}

static void teardown(void)
{
	ike_ctx_free(A.ctx);
	ike_ctx_free(B.ctx);
	ev_loop_free(loop);
	loop = NULL;
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
}

/* Fresh loop, ports, responder A (Add) and initiator B (Start) with the given options. */
static bool setup(const struct model_tunnel_options *oa, const struct model_tunnel_options *ob,
                  const struct ike_ctx_config *ca, const struct ike_ctx_config *cb)
{
	struct model_tunnel ma, mb;

	nevents = 0;
	port_base = (uint16_t)(20000 + (getpid() * 7 + port_base + 2) % 40000);
	if (ev_loop_new(&loop) != E_OK)
		return false;
	if (!default_tunnel(&ma, "127.0.0.1", "127.0.0.2", false) ||
	    !default_tunnel(&mb, "127.0.0.2", "127.0.0.1", true))
		return false;
	if (oa)
		ma.opt = *oa;
	if (ob)
		mb.opt = *ob;
	ma.opt.startup_action = MODEL_STARTUP_ADD;   /* A waits (the AWS default) */
	mb.opt.startup_action = MODEL_STARTUP_START; /* B initiates */
	return side_setup(&A, &ma, ca) && side_setup(&B, &mb, cb);
}

static bool run_until(bool (*cond)(void))
{
	for (int i = 0; i < RUN_CAP_MS / 10; i++) {
		if (cond())
			return true;
		if (ev_loop_run_once(loop, 10) != E_OK)
			return false;
	}
	return cond();
}

/* Both sides agree on exactly one CHILD SA: SPIs crossed, keys crossed. */
static bool one_matching_child(void)
{
	return A.nlive == 1 && B.nlive == 1 && A.live_in[0] == B.live_out[0] &&
	       A.live_out[0] == B.live_in[0] && !memcmp(A.key_in[0], B.key_out[0], 16) &&
	       !memcmp(A.key_out[0], B.key_in[0], 16) && ike_tunnel_is_up(A.tun) &&
	       ike_tunnel_is_up(B.tun);
}

static bool both_up(void)
{
	return one_matching_child();
}

static struct model_tunnel_options opts_default(void)
{
	struct model_tunnel m;

	if (!default_tunnel(&m, "127.0.0.1", "127.0.0.2", false))
		memset(&m, 0, sizeof(m));
	return m.opt;
}

TEST(ike_handshake_default)
{
	log_set_record_sink(on_record, NULL);
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	CHECK(!A.encap);
	teardown();
}

TEST(ike_handshake_each_algorithm)
{
	static const uint16_t groups[] = {2, 14, 15, 16, 19, 20, 21, 22, 23, 24};

	for (unsigned e = 0; e < MODEL_ENCR__COUNT; e++) {
		for (unsigned i = 0; i < MODEL_INTEG__COUNT; i++) {
			struct model_tunnel_options o = opts_default();

			o.phase1_encr = o.phase2_encr = 1u << e;
			o.phase1_integ = o.phase2_integ = 1u << i;
			o.phase1_dh = MODEL_DH_MASK(14);
			CHECK(setup(&o, &o, NULL, NULL));
			CHECK(run_until(both_up));
			teardown();
		}
	}
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct model_tunnel_options o = opts_default();

		o.phase1_dh = MODEL_DH_MASK(groups[g]);
		CHECK(setup(&o, &o, NULL, NULL));
		CHECK(run_until(both_up));
		teardown();
	}
}

static bool saw_psk_mismatch(void)
{
	return saw_event("psk-mismatch") && saw_event("auth-failed");
}

TEST(ike_wrong_psk)
{
	struct model_tunnel_options oa = opts_default(), ob = opts_default();

	snprintf(ob.psk, sizeof(ob.psk), "another.key_456");
	CHECK(setup(&oa, &ob, NULL, NULL));
	CHECK(run_until(saw_psk_mismatch));
	CHECK(!ike_tunnel_is_up(A.tun));
	CHECK_EQ(A.ups, 0);
	teardown();
}

static bool saw_no_proposal(void)
{
	return saw_event("no-proposal");
}

TEST(ike_no_proposal)
{
	struct model_tunnel_options oa = opts_default(), ob = opts_default();

	oa.phase1_encr = 1u << MODEL_ENCR_AES256;
	ob.phase1_encr = 1u << MODEL_ENCR_AES128;
	CHECK(setup(&oa, &ob, NULL, NULL));
	CHECK(run_until(saw_no_proposal));
	CHECK(!ike_tunnel_is_up(A.tun));
	teardown();
}

TEST(ike_cookie_challenge)
{
	struct ike_ctx_config ca = {.cookie_always = true};

	CHECK(setup(NULL, NULL, &ca, NULL));
	CHECK(run_until(both_up));
	teardown();
}

TEST(ike_invalid_ke_retry)
{
	struct model_tunnel_options oa = opts_default(), ob = opts_default();
	char d[512];

	/* B sends KE for 14 (its lowest); A only allows 19 and asks for it */
	oa.phase1_dh = MODEL_DH_MASK(19);
	ob.phase1_dh = MODEL_DH_MASK(14) | MODEL_DH_MASK(19);
	CHECK(setup(&oa, &ob, NULL, NULL));
	CHECK(run_until(both_up));
	ike_tunnel_describe(A.tun, d, sizeof(d));
	CHECK(strstr(d, "dh 19") != NULL);
	teardown();
}

TEST(ike_forced_natt)
{
	struct ike_ctx_config cb = {.force_natt = true};

	CHECK(setup(NULL, NULL, NULL, &cb));
	CHECK(run_until(both_up));
	CHECK(A.encap && B.encap);
	teardown();
}

static uint32_t first_spi;

static bool rekeyed_child(void)
{
	return one_matching_child() && A.live_in[0] != first_spi && A.live_out[0] != first_spi;
}

TEST(ike_child_rekey_both_sides)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	CHECK_OK(ike_tunnel_rekey_child(A.tun)); /* the AWS side rekeys */
	CHECK(run_until(rekeyed_child));
	CHECK(saw_event("create-child-sa"));
	first_spi = A.live_in[0];
	CHECK_OK(ike_tunnel_rekey_child(B.tun)); /* the customer gateway rekeys */
	CHECK(run_until(rekeyed_child));
	teardown();
}

TEST(ike_child_rekey_simultaneous)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	/* RFC 7296 2.8.1: both rekey at once; the redundant SA and the old one go away */
	CHECK_OK(ike_tunnel_rekey_child(A.tun));
	CHECK_OK(ike_tunnel_rekey_child(B.tun));
	CHECK(run_until(rekeyed_child));
	teardown();
}

static char spi_before[64];

static bool ike_rekeyed(void)
{
	char d[512];

	ike_tunnel_describe(A.tun, d, sizeof(d));
	return one_matching_child() && strstr(d, spi_before) == NULL && strstr(d, "IKE ");
}

TEST(ike_ike_rekey_both_sides)
{
	char d[512];

	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	ike_tunnel_describe(A.tun, d, sizeof(d));
	snprintf(spi_before, sizeof(spi_before), "%.20s", strstr(d, "IKE ") + 4);
	CHECK_OK(ike_tunnel_rekey_ike(A.tun));
	CHECK(run_until(ike_rekeyed));
	CHECK_EQ(A.live_in[0], first_spi); /* CHILD SAs move to the new IKE SA */
	ike_tunnel_describe(A.tun, d, sizeof(d));
	snprintf(spi_before, sizeof(spi_before), "%.20s", strstr(d, "IKE ") + 4);
	CHECK_OK(ike_tunnel_rekey_ike(B.tun));
	CHECK(run_until(ike_rekeyed));
	/* and the rekeyed IKE SA still carries CREATE_CHILD_SA */
	CHECK_OK(ike_tunnel_rekey_child(B.tun));
	CHECK(run_until(rekeyed_child));
	teardown();
}

TEST(ike_lost_packets_retransmitted)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	/* B's first IKE_SA_INIT and A's first answer are lost */
	B.drop_out = 1;
	A.drop_out = 1;
	CHECK(run_until(both_up));
	CHECK_EQ(B.dropped, 1);
	CHECK_EQ(A.dropped, 1);
	teardown();
}

static bool a_down(void)
{
	return !ike_tunnel_is_up(A.tun) && A.nlive == 0 && saw_event("delete-ike");
}

TEST(ike_delete)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	CHECK_OK(ike_tunnel_delete(B.tun));
	CHECK(run_until(a_down));
	teardown();
	log_set_record_sink(NULL, NULL);
}

/* ike.h: on the NAT-T port, ESP-in-UDP goes to the data plane's SO_REUSEPORT socket (index 1
 * of the group), while IKE (non-ESP marker) and keepalives (1 octet) stay with the engine. */
TEST(ike_natt_reuseport_split)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	static const uint8_t esp[12] = {0x00, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
	static const uint8_t ike[8] = {0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
	static const uint8_t ka[1] = {0xff};
	uint8_t buf[64];
	int one = 1, dp, tx;
	unsigned got_esp = 0, got_other = 0;

	CHECK(setup(NULL, NULL, NULL, NULL));
	sin.sin_port = htons(ike_ctx_natt_port(A.ctx));
	sin.sin_addr.s_addr = htonl(0x7f000001);
	dp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(dp >= 0 && tx >= 0);
	CHECK(setsockopt(dp, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0);
	CHECK(bind(dp, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	for (int i = 0; i < 20; i++) {
		CHECK(sendto(tx, esp, sizeof(esp), 0, (struct sockaddr *)&sin, sizeof(sin)) > 0);
		CHECK(sendto(tx, ike, sizeof(ike), 0, (struct sockaddr *)&sin, sizeof(sin)) > 0);
		CHECK(sendto(tx, ka, sizeof(ka), 0, (struct sockaddr *)&sin, sizeof(sin)) > 0);
	}
	for (int i = 0; i < 20; i++)
		CHECK_OK(ev_loop_run_once(loop, 5));
	for (;;) {
		ssize_t n = recv(dp, buf, sizeof(buf), 0);

		if (n < 0)
			break;
		if (n == (ssize_t)sizeof(esp) && buf[2] == 0x12)
			got_esp++;
		else
			got_other++;
	}
	close(dp);
	close(tx);
	CHECK_EQ(got_esp, 20);
	CHECK_EQ(got_other, 0);
	teardown();
}

static bool a_single_child_after_restart(void)
{
	return one_matching_child() && A.downs >= 1;
}

/* B restarts without a DELETE; its new IKE_AUTH carries INITIAL_CONTACT (RFC 7296 2.4) and A
 * drops the stale IKE SA and its CHILD SA at once. */
TEST(ike_initial_contact_after_restart)
{
	struct model_tunnel mb;

	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	ike_ctx_free(B.ctx);
	CHECK(default_tunnel(&mb, "127.0.0.2", "127.0.0.1", true));
	CHECK(side_setup(&B, &mb, NULL));
	CHECK(run_until(a_single_child_after_restart));
	teardown();
}

/* RFC 7296 2.5: a request with major version 3 is answered with INVALID_MAJOR_VERSION. */
TEST(ike_invalid_major_version)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint8_t req[28] = {
	    1,    2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, IKEV2_EXCH_IKE_SA_INIT,
	    0x08, 0, 0, 0, 0, 0, 0, 0, 28};
	uint8_t resp[128];
	ssize_t n = -1;
	int fd;

	CHECK(setup(NULL, NULL, NULL, NULL));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	/* from 127.0.0.2, the address A's tunnel expects its peer at */
	to.sin_addr.s_addr = htonl(0x7f000002);
	CHECK(bind(fd, (struct sockaddr *)&to, sizeof(to)) == 0);
	to.sin_port = htons(port_base);
	to.sin_addr.s_addr = htonl(0x7f000001);
	CHECK(sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) == 28);
	for (int i = 0; i < 200 && n < 0; i++) {
		CHECK_OK(ev_loop_run_once(loop, 5));
		n = recv(fd, resp, sizeof(resp), 0);
	}
	close(fd);
	/* header (28) + notify payload (8): type 5 at offset 34 */
	CHECK_EQ(n, 36);
	CHECK_EQ(resp[17], 0x20);
	CHECK_EQ(resp[16], 41);
	CHECK_EQ(resp[34] << 8 | resp[35], 5);
	teardown();
}
