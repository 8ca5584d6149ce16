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
	unsigned drop_ccsa_resp; /* drop this many outbound CREATE_CHILD_SA responses */
	bool mute;               /* drop every outbound datagram (a dead peer) */
	bool status_up;
	char status_msg[128];
	bool free_on_down; /* call ike_tunnel_free from the tunnel_status callback */
	bool freed;
};

static struct ev_loop *loop;
static bool a_initiates;
static struct side A, B;
static uint16_t port_base;
#define MAX_EVENTS 512
static char events[MAX_EVENTS][32];
static unsigned nevents;

static void on_record(void *arg, const char *event, const struct log_field *f, unsigned n)
{
	(void)arg, (void)f, (void)n;
	if (nevents < MAX_EVENTS)
		snprintf(events[nevents++], sizeof(events[0]), "%s", event);
}

static unsigned count_event(const char *e)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nevents; i++)
		n += !strcmp(events[i], e);
	return n;
}

static bool saw_event(const char *e)
{
	return count_event(e) > 0;
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

static void status(void *arg, bool up, const char *msg)
{
	struct side *s = arg;

	s->status_up = up;
	snprintf(s->status_msg, sizeof(s->status_msg), "%s", msg);
	if (!up && s->free_on_down && !s->freed) {
		/* ike.h: safe from inside a callback (deferred until the engine returns) */
		ike_tunnel_free(s->tun);
		s->tun = NULL;
		s->freed = true;
	}
}

static const struct ike_callbacks cbs = {child_up, child_down, status};

static bool is_ccsa_response(const uint8_t *pkt, size_t len)
{
	/* RFC 7296 3.1: exchange type at octet 18, flags at 19 (no NAT-T marker here) */
	return len > 19 && pkt[18] == IKEV2_EXCH_CREATE_CHILD_SA && (pkt[19] & IKEV2_FLAG_RESPONSE);
}

static bool drop_hook(void *arg, bool out, const uint8_t *pkt, size_t len)
{
	struct side *s = arg;

	if (out && (s->mute || (s->drop_ccsa_resp > 0 && is_ccsa_response(pkt, len)))) {
		if (!s->mute)
			s->drop_ccsa_resp--;
		s->dropped++;
		return true;
	}
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
	log_set_record_sink(on_record, NULL);
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
	/* A waits (the AWS default), B initiates; or the other way round */
	ma.opt.startup_action = a_initiates ? MODEL_STARTUP_START : MODEL_STARTUP_ADD;
	mb.opt.startup_action = a_initiates ? MODEL_STARTUP_ADD : MODEL_STARTUP_START;
	return side_setup(&A, &ma, ca) && side_setup(&B, &mb, cb);
}

static bool run_until_ms(bool (*cond)(void), int cap_ms)
{
	for (int i = 0; i < cap_ms / 10; i++) {
		if (cond())
			return true;
		if (ev_loop_run_once(loop, 10) != E_OK)
			return false;
	}
	return cond();
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

/* The "IKE <spi_i>_i <spi_r>_r" of the single established IKE SA, or "" when not exactly one. */
static void ike_spis(struct ike_tunnel *t, char *out, size_t cap)
{
	char d[512];
	const char *p;

	ike_tunnel_describe(t, d, sizeof(d));
	p = strstr(d, "; IKE ");
	out[0] = '\0';
	if (p && !strstr(p + 1, "; IKE "))
		snprintf(out, cap, "%.41s", p + 2);
}

static char ike_before[64];

/* Exactly one IKE SA on each side (in any state), the same SPIs, new ones, one CHILD SA. */
static bool one_new_ike_sa_each(void)
{
	char a[64], b[64];

	ike_spis(A.tun, a, sizeof(a));
	ike_spis(B.tun, b, sizeof(b));
	return ike_tunnel_sa_count(A.tun) == 1 && ike_tunnel_sa_count(B.tun) == 1 && a[0] &&
	       !strcmp(a, b) && strcmp(a, ike_before) != 0 && one_matching_child();
}

static void run_for(int ms)
{
	for (int i = 0; i < ms / 10; i++)
		if (ev_loop_run_once(loop, 10) != E_OK)
			return;
}

/*
 * RFC 7296 2.8.2, both sides rekey the IKE SA at once:
 *   A: CREATE_CHILD_SA {SA, Ni1, KEi} -->   <-- B: CREATE_CHILD_SA {SA, Ni2, KEi}
 *   A: {SA, Nr2, KEr}                 -->   <-- B: {SA, Nr1, KEr}
 * Both exchanges complete; the IKE SA with the lowest of the four nonces is deleted by its
 * creator, the old one by the creator of the survivor. The CHILD SA moves over untouched.
 */
TEST(ike_ike_rekey_simultaneous)
{
	for (int round = 0; round < 4; round++) { /* random nonces: either side may win */
		CHECK(setup(NULL, NULL, NULL, NULL));
		CHECK(run_until(both_up));
		first_spi = A.live_in[0];
		ike_spis(A.tun, ike_before, sizeof(ike_before));
		CHECK(ike_before[0] != '\0');
		CHECK_OK(ike_tunnel_rekey_ike(A.tun));
		CHECK_OK(ike_tunnel_rekey_ike(B.tun));
		CHECK(run_until(one_new_ike_sa_each));
		run_for(300); /* nothing else happens afterwards */
		CHECK(one_new_ike_sa_each());
		CHECK(saw_event("rekey-collision"));
		CHECK_EQ(A.live_in[0], first_spi); /* the CHILD SA carried over, never re-made */
		CHECK_EQ(A.ups, 1);
		CHECK_EQ(B.ups, 1);
		CHECK_EQ(A.downs, 0);
		CHECK_EQ(B.downs, 0);
		/* the surviving IKE SA works on both sides */
		CHECK_OK(ike_tunnel_rekey_child(B.tun));
		CHECK(run_until(rekeyed_child));
		teardown();
	}
}

static bool a_fresh_child_b_deleted_old(void)
{
	return one_matching_child() && A.live_in[0] != first_spi && B.downs >= 1 &&
	       saw_event("child-expired");
}

static struct model_tunnel_options opts_short_child(void)
{
	struct model_tunnel_options o = opts_default();

	/* CHILD rekey at 2 s (no fuzz), hard lifetime 4 s */
	o.phase2_lifetime_s = 4;
	o.rekey_margin_s = 2;
	o.rekey_fuzz_pct = 0;
	return o;
}

/*
 * A DELETE that finds the window busy is queued, not skipped (RFC 7296 2.3: one request).
 *   A: CREATE_CHILD_SA (rekey, t=2 s) -->   B answers, the answer is lost twice
 *   A: hard lifetime (t=4 s): the old CHILD SA goes, its DELETE waits for the window
 *   A: retransmission (t=5 s)         -->   <-- B: answer
 *   A: INFORMATIONAL {D(old)}         -->   B removes the old CHILD SA too
 */
TEST(ike_delete_queued_while_busy)
{
	struct model_tunnel_options oa = opts_short_child();

	CHECK(setup(&oa, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	B.drop_ccsa_resp = 2;
	CHECK(run_until(a_fresh_child_b_deleted_old));
	CHECK_EQ(B.dropped, 2);
	teardown();
}

static bool a_child_expired(void)
{
	return A.nlive == 0 && A.downs == 1 && !ike_tunnel_is_up(A.tun) && !A.status_up &&
	       saw_event("child-expired");
}

/* RFC 7296 2.8: a CHILD SA whose rekey never completes (the peer's answers are lost) is
 * removed at its hard lifetime; the tunnel goes down and says why. */
TEST(ike_child_hard_lifetime)
{
	struct model_tunnel_options oa = opts_short_child();

	CHECK(setup(&oa, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	CHECK(A.status_up);
	B.drop_ccsa_resp = 1000;
	CHECK(run_until(a_child_expired));
	CHECK(strstr(A.status_msg, "hard lifetime") != NULL);
	CHECK(B.dropped >= 1);
	teardown();
}

static bool two_no_proposals(void)
{
	return count_event("no-proposal") >= 2 && ike_tunnel_sa_count(A.tun) == 0;
}

/* G:572: with startup action Start the AWS side "will continuously try to establish a
 * connection until one is made": A (AWS, Start) is refused twice, then the customer gateway
 * is fixed and the next attempt succeeds. */
TEST(ike_start_keeps_retrying)
{
	struct model_tunnel_options oa = opts_default(), ob = opts_default();
	struct model_tunnel mb;

	oa.phase1_encr = 1u << MODEL_ENCR_AES256;
	ob.phase1_encr = 1u << MODEL_ENCR_AES128;
	a_initiates = true;
	CHECK(setup(&oa, &ob, NULL, NULL));
	CHECK(run_until(two_no_proposals));
	CHECK(!ike_tunnel_is_up(A.tun));
	ike_tunnel_free(B.tun);
	CHECK(default_tunnel(&mb, "127.0.0.2", "127.0.0.1", false));
	mb.opt.phase1_encr = oa.phase1_encr;
	CHECK_OK(ike_tunnel_new(B.ctx, &mb, &cbs, &B, &B.tun));
	CHECK(run_until(both_up));
	a_initiates = false;
	teardown();
}

static bool up_again_after_delete(void)
{
	return one_matching_child() && A.live_in[0] != first_spi && saw_event("delete-ike");
}

/* G:572: AWS (Start) re-initiates IKE when it receives a delete SA from the CGW. */
TEST(ike_start_reinitiates_after_delete)
{
	a_initiates = true;
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	CHECK_OK(ike_tunnel_delete(B.tun)); /* B (customer gateway, Add) deletes */
	CHECK(run_until(up_again_after_delete));
	a_initiates = false;
	teardown();
}

static bool saw_dpd_timeout(void)
{
	return saw_event("dpd-timeout");
}

/* G:333-337: DPD action none: the timeout is logged, the SAs stay and keep working. */
TEST(ike_dpd_action_none)
{
	struct model_tunnel_options oa = opts_default();

	oa.dpd_timeout_s = 1;
	oa.dpd_action = MODEL_DPD_NONE;
	CHECK(setup(&oa, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	B.mute = true;
	CHECK(run_until_ms(saw_dpd_timeout, 40000));
	CHECK(ike_tunnel_is_up(A.tun));
	CHECK_EQ(A.downs, 0);
	CHECK_EQ(ike_tunnel_sa_count(A.tun), 1);
	B.mute = false;
	CHECK_OK(ike_tunnel_rekey_child(A.tun));
	CHECK(run_until(rekeyed_child));
	teardown();
}

static bool a_restarted(void)
{
	return one_matching_child() && A.live_in[0] != first_spi && A.downs >= 1;
}

/* G:333-337, G:572: DPD action restart: the dead SAs go and A (Add) re-initiates. */
TEST(ike_dpd_action_restart)
{
	struct model_tunnel_options oa = opts_default();

	oa.dpd_timeout_s = 1;
	oa.dpd_action = MODEL_DPD_RESTART;
	CHECK(setup(&oa, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	B.mute = true;
	CHECK(run_until_ms(saw_dpd_timeout, 40000));
	CHECK(!ike_tunnel_is_up(A.tun));
	CHECK(strstr(A.status_msg, "DPD") != NULL);
	B.mute = false;
	CHECK(run_until(a_restarted));
	teardown();
}

static bool a_freed(void)
{
	return A.freed;
}

/* ike.h: ike_tunnel_free from inside a callback is deferred, not a use after free. */
TEST(ike_free_from_callback)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	A.free_on_down = true;
	CHECK_OK(ike_tunnel_delete(B.tun));
	CHECK(run_until(a_freed));
	run_for(200);
	CHECK(A.tun == NULL);
	teardown();
}

static bool child_and_ike_rekeyed(void)
{
	return one_new_ike_sa_each() && A.live_in[0] != first_spi;
}

/* RFC 7296 2.3 (window of 1): an IKE rekey asked for while a CHILD rekey is in flight waits
 * in the queue and runs after it (and after the DELETE of the old CHILD SA). */
TEST(ike_rekey_queued_behind_child_rekey)
{
	CHECK(setup(NULL, NULL, NULL, NULL));
	CHECK(run_until(both_up));
	first_spi = A.live_in[0];
	ike_spis(A.tun, ike_before, sizeof(ike_before));
	CHECK_OK(ike_tunnel_rekey_child(A.tun));
	CHECK_OK(ike_tunnel_rekey_ike(A.tun)); /* window busy: queued, not refused */
	CHECK(run_until(child_and_ike_rekeyed));
	CHECK_EQ(A.downs, 1); /* only the old CHILD SA went */
	CHECK_EQ(B.downs, 1);
	teardown();
}
