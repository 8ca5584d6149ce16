/*
 * dp_peer - the data plane with static SAs and no IKE, for namespace tests and benchmarks.
 *
 *   dp_peer --tun gh0 --local 192.0.2.1 --remote 192.0.2.2 [--encap] --alg gcm128 \
 *           --spi-out 0x1001 --key-out HEX [--ikey-out HEX] \
 *           --spi-in 0x2001 --key-in HEX [--ikey-in HEX] \
 *           --inside 169.254.10.1/30 --route 10.2.0.0/24 [--route ...]
 *           [--no-gso] [--no-gro] [--no-offload]
 *
 * --alg: gcm128, gcm256 (key = AES key || 4-octet salt), cbc128-sha1, cbc256-sha256
 * (key = AES key, --ikey = HMAC key). Runs until SIGINT/SIGTERM, then prints the counters.
 *
 * Rekey (make-before-break) test: --spi-in2/--key-in2 installs a second inbound SA at start;
 * --spi-out2/--key-out2 a second outbound SA on SIGUSR1 (it takes over the traffic), and
 * SIGUSR2 then removes the first outbound SA. --soft-packets / --hard-packets set the first
 * outbound SA's lifetimes; data-plane events are printed as "event: soft|hard|exhausted ...".
 * Test tool only: keys on the command line are fine here and nowhere else.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp.h"
#include "lib/log.h"
#include "lib/secret.h"

struct alg {
	const char *name;
	uint16_t encr;
	unsigned bits;
	uint16_t integ;
};

static const struct alg algs[] = {
	{"gcm128", CRYPTO_ENCR_AES_GCM_16, 128, CRYPTO_INTEG_NONE},
	{"gcm256", CRYPTO_ENCR_AES_GCM_16, 256, CRYPTO_INTEG_NONE},
	{"cbc128-sha1", CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96},
	{"cbc256-sha256", CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_256_128},
};

#define MAX_ROUTES 16

struct opts {
	struct dp_config cfg;
	struct dp_tunnel_params tun;
	struct esp_sa_params in, out;
	struct esp_sa_params in2, out2; /* rekey test: spi 0 = unused */
	const struct alg *alg;
	struct prefix routes[MAX_ROUTES];
	unsigned nroutes;
};

static void usage(void)
{
	fprintf(stderr, "usage: dp_peer --tun NAME --local ADDR --remote ADDR [--encap] --alg ALG\n"
			"  --spi-out N --key-out HEX [--ikey-out HEX] --spi-in N --key-in HEX\n"
			"  [--ikey-in HEX] [--inside CIDR] [--route PREFIX]... [--mtu N] [--gso] "
			"[--gro] [--offload] [--window N]\n");
	exit(2);
}

static void hex_arg(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	if (hex_decode(s, out, cap, n) != E_OK)
		usage();
}

/* "169.254.10.1/30": the host address with its prefix length (prefix_parse would clear the
 * host bits). */
static void inside_arg(const char *s, struct prefix *p)
{
	char buf[PREFIX_STRLEN];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || prefix_parse(s, true, p) != E_OK)
		usage();
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (addr_parse(buf, &p->addr) != E_OK)
		usage();
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"tun", 1, 0, 't'},     {"local", 1, 0, 'l'},   {"remote", 1, 0, 'r'},
		{"encap", 0, 0, 'e'},   {"alg", 1, 0, 'a'},     {"spi-out", 1, 0, 'S'},
		{"key-out", 1, 0, 'K'}, {"ikey-out", 1, 0, 'I'}, {"spi-in", 1, 0, 's'},
		{"key-in", 1, 0, 'k'},  {"ikey-in", 1, 0, 'i'}, {"inside", 1, 0, 'n'},
		{"route", 1, 0, 'R'},   {"mtu", 1, 0, 'm'},     {"no-gso", 0, 0, 'g'},
		{"no-gro", 0, 0, 'G'},     {"window", 1, 0, 'w'},  {"no-offload", 0, 0, 'O'},
		{"spi-out2", 1, 0, '1'}, {"key-out2", 1, 0, '2'}, {"ikey-out2", 1, 0, '3'},
		{"strict-source", 0, 0, '9'}, {"soft-packets", 1, 0, '7'}, {"hard-packets", 1, 0, '8'},
		{"spi-in2", 1, 0, '4'},  {"key-in2", 1, 0, '5'},  {"ikey-in2", 1, 0, '6'},
		{0, 0, 0, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			snprintf(o->cfg.tun_name, sizeof(o->cfg.tun_name), "%s", optarg);
			break;
		case 'l':
			if (addr_parse(optarg, &o->cfg.local) != E_OK)
				usage();
			o->tun.local = o->in.local = o->out.local = o->cfg.local;
			break;
		case 'r':
			if (addr_parse(optarg, &o->tun.remote) != E_OK)
				usage();
			o->in.remote = o->out.remote = o->tun.remote;
			break;
		case 'e':
			o->in.encap = o->out.encap = true;
			break;
		case 'a':
			for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
				if (!strcmp(optarg, algs[i].name))
					o->alg = &algs[i];
			if (!o->alg)
				usage();
			break;
		case 'S':
			o->out.spi = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->in.spi = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'K':
			hex_arg(optarg, o->out.encr_key, sizeof(o->out.encr_key),
				&o->out.encr_key_len);
			break;
		case 'k':
			hex_arg(optarg, o->in.encr_key, sizeof(o->in.encr_key), &o->in.encr_key_len);
			break;
		case 'I':
			hex_arg(optarg, o->out.integ_key, sizeof(o->out.integ_key),
				&o->out.integ_key_len);
			break;
		case 'i':
			hex_arg(optarg, o->in.integ_key, sizeof(o->in.integ_key),
				&o->in.integ_key_len);
			break;
		case 'n':
			inside_arg(optarg, &o->tun.inside);
			break;
		case 'R':
			if (o->nroutes == MAX_ROUTES ||
			    prefix_parse(optarg, false, &o->routes[o->nroutes++]) != E_OK)
				usage();
			break;
		case 'm':
			o->tun.mtu = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'g':
			o->cfg.no_udp_gso = true;
			break;
		case 'G':
			o->cfg.no_udp_gro = true;
			break;
		case 'O':
			o->cfg.no_tun_offload = true;
			break;
		case '1':
			o->out2.spi = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case '2':
			hex_arg(optarg, o->out2.encr_key, sizeof(o->out2.encr_key),
				&o->out2.encr_key_len);
			break;
		case '3':
			hex_arg(optarg, o->out2.integ_key, sizeof(o->out2.integ_key),
				&o->out2.integ_key_len);
			break;
		case '4':
			o->in2.spi = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case '5':
			hex_arg(optarg, o->in2.encr_key, sizeof(o->in2.encr_key),
				&o->in2.encr_key_len);
			break;
		case '6':
			hex_arg(optarg, o->in2.integ_key, sizeof(o->in2.integ_key),
				&o->in2.integ_key_len);
			break;
		case '9':
			o->tun.strict_source = true;
			break;
		case '7':
			o->out.soft_packets = strtoull(optarg, NULL, 0);
			break;
		case '8':
			o->out.hard_packets = strtoull(optarg, NULL, 0);
			break;
		case 'w':
			o->in.replay_window = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!o->alg || !o->in.spi || !o->out.spi || !o->cfg.local.family || !o->tun.remote.family)
		usage();
}

static struct ev_loop *loop;
static struct dp *the_dp;
static uint32_t the_tunnel;

static void on_signal(struct ev_signal *s)
{
	(void)s;
	ev_loop_stop(loop);
}

static void on_usr1(struct ev_signal *s)
{
	struct opts *o = s->arg;
	result_t rc = dp_sa_install(the_dp, the_tunnel, &o->out2);

	printf("rekey: outbound SA %08x installed: %s\n", o->out2.spi, err_msg(rc));
	fflush(stdout);
}

static void on_usr2(struct ev_signal *s)
{
	struct opts *o = s->arg;
	result_t rc = dp_sa_remove(the_dp, o->out.spi, ESP_DIR_OUT);

	printf("rekey: outbound SA %08x removed: %s\n", o->out.spi, err_msg(rc));
	fflush(stdout);
}

static void on_dp_event(void *arg, const struct dp_event *ev)
{
	static const char *names[] = {"", "soft", "hard", "exhausted"};

	(void)arg;
	printf("event: %s tunnel=%u spi=%08x dir=%s\n", names[ev->type], ev->tunnel, ev->spi,
	       ev->dir == ESP_DIR_OUT ? "out" : "in");
	fflush(stdout);
}

/* The second SA of a direction: same algorithm and addresses, its own SPI and keys. */
static void sa2_from(struct esp_sa_params *sa2, const struct esp_sa_params *base)
{
	struct esp_sa_params k = *sa2;

	*sa2 = *base;
	sa2->spi = k.spi;
	memcpy(sa2->encr_key, k.encr_key, sizeof(k.encr_key));
	sa2->encr_key_len = k.encr_key_len;
	memcpy(sa2->integ_key, k.integ_key, sizeof(k.integ_key));
	sa2->integ_key_len = k.integ_key_len;
	secret_wipe(&k, sizeof(k));
}

static void print_stats(struct dp *dp, const struct opts *o)
{
	struct dp_stats s;
	struct dp_sa_info in = {0}, out = {0};

	dp_stats(dp, &s);
	if (dp_sa_stats(dp, o->in.spi, ESP_DIR_IN, &in) != E_OK)
		printf("inbound SA %08x gone\n", o->in.spi);
	if (dp_sa_stats(dp, o->out.spi, ESP_DIR_OUT, &out) != E_OK)
		printf("outbound SA %08x gone\n", o->out.spi);
	printf("tx_packets=%llu tx_bytes=%llu rx_packets=%llu rx_bytes=%llu\n",
	       (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
	       (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes);
	printf("drop_no_route=%llu drop_no_sa=%llu drop_unknown_spi=%llu drop_auth=%llu "
	       "drop_replay=%llu drop_bad=%llu drop_policy=%llu drop_send=%llu\n",
	       (unsigned long long)s.drop_no_route, (unsigned long long)s.drop_no_sa,
	       (unsigned long long)s.drop_unknown_spi, (unsigned long long)s.drop_auth,
	       (unsigned long long)s.drop_replay, (unsigned long long)s.drop_bad,
	       (unsigned long long)s.drop_policy, (unsigned long long)s.drop_send);
	printf("fragmented=%llu icmp_frag_needed=%llu mss_clamped=%llu tx_syscalls=%llu "
	       "rx_syscalls=%llu\n",
	       (unsigned long long)s.fragmented, (unsigned long long)s.icmp_frag_needed,
	       (unsigned long long)s.mss_clamped, (unsigned long long)s.tx_syscalls,
	       (unsigned long long)s.rx_syscalls);
	printf("sa_in packets=%llu auth=%llu replay=%llu; sa_out packets=%llu active=%d\n",
	       (unsigned long long)in.packets, (unsigned long long)in.err_auth,
	       (unsigned long long)in.err_replay, (unsigned long long)out.packets, out.active);
	if (o->in2.spi && dp_sa_stats(dp, o->in2.spi, ESP_DIR_IN, &in) == E_OK)
		printf("sa_in2 packets=%llu\n", (unsigned long long)in.packets);
	if (o->out2.spi && dp_sa_stats(dp, o->out2.spi, ESP_DIR_OUT, &out) == E_OK)
		printf("sa_out2 packets=%llu active=%d\n", (unsigned long long)out.packets,
		       out.active);
	fflush(stdout);
}

static int run(struct opts *o)
{
	struct ev_signal sint, sterm, susr1, susr2;
	struct dp *dp = NULL;
	uint32_t h;
	int rc = 1;

	o->cfg.kernel_routes = true;
	o->in.dir = ESP_DIR_IN;
	o->out.dir = ESP_DIR_OUT;
	o->in.encr = o->out.encr = o->alg->encr;
	o->in.key_bits = o->out.key_bits = o->alg->bits;
	o->in.integ = o->out.integ = o->alg->integ;
	o->in.local_port = o->in.remote_port = o->out.local_port = o->out.remote_port =
		DP_UDP_ENCAP_PORT;
	sa2_from(&o->in2, &o->in);
	sa2_from(&o->out2, &o->out);
	if (ev_loop_new(&loop) != E_OK || ev_signal_add(loop, &sint, SIGINT, on_signal, NULL) ||
	    ev_signal_add(loop, &sterm, SIGTERM, on_signal, NULL) ||
	    ev_signal_add(loop, &susr1, SIGUSR1, on_usr1, o) ||
	    ev_signal_add(loop, &susr2, SIGUSR2, on_usr2, o))
		goto out;
	if (dp_new(loop, &o->cfg, &dp) != E_OK || dp_tunnel_add(dp, &o->tun, &h) != E_OK ||
	    dp_sa_install(dp, h, &o->in) != E_OK || dp_sa_install(dp, h, &o->out) != E_OK) {
		fprintf(stderr, "dp_peer: data plane setup failed\n");
		goto out;
	}
	if (o->in2.spi && dp_sa_install(dp, h, &o->in2) != E_OK) {
		fprintf(stderr, "dp_peer: second inbound SA failed\n");
		goto out;
	}
	the_dp = dp;
	the_tunnel = h;
	dp_set_event_cb(dp, on_dp_event, NULL);
	for (unsigned i = 0; i < o->nroutes; i++)
		if (dp_route_add(dp, &o->routes[i], h, 100) != E_OK) {
			fprintf(stderr, "dp_peer: route %u failed\n", i);
			goto out;
		}
	printf("dp_peer: up on %s\n", dp_tun_name(dp));
	fflush(stdout);
	if (ev_loop_run(loop) != E_OK)
		goto out;
	print_stats(dp, o);
	rc = 0;
out:
	dp_free(dp);
	ev_loop_free(loop);
	secret_wipe(&o->in, sizeof(o->in));
	secret_wipe(&o->out, sizeof(o->out));
	secret_wipe(&o->in2, sizeof(o->in2));
	secret_wipe(&o->out2, sizeof(o->out2));
	return rc;
}

int main(int argc, char **argv)
{
	static struct opts o;

	parse(argc, argv, &o);
	return run(&o);
}
