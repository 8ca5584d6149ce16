/*
 * ike_peer - the Gatehouse IKEv2 engine alone, for namespace tests against strongSwan.
 *
 *   ike_peer --local 192.0.2.1 --remote 192.0.2.2 --psk KEY [--start]
 *            [--p1-encr aes128,aes256,aes128gcm,aes256gcm] [--p1-integ sha1,sha256,sha384,sha512]
 *            [--p1-dh 2,14,...] [--p2-encr ...] [--p2-integ ...] [--p2-dh ...]
 *            [--local-net CIDR] [--remote-net CIDR] [--p1-life S] [--p2-life S]
 *            [--margin S] [--fuzz PCT] [--dpd-timeout S] [--dpd-action clear|none|restart]
 *            [--ports IKE,NATT] [--debug]
 *
 * Prints one line per event on stdout (line-buffered):
 *   CHILD_SA_UP spi_in=... spi_out=... encr=... bits=... integ=... encap=0|1 local=A:P remote=B:P
 *   CHILD_SA_DOWN spi_in=... spi_out=...
 *   TUNNEL UP|DOWN <message>
 * Structured tunnel log records go to stderr as "event" lines. Signals: SIGUSR1 rekeys the
 * CHILD SA, SIGUSR2 rekeys the IKE SA, SIGHUP sends DELETE for the IKE SA, SIGINT/SIGTERM exit.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "lib/log.h"

static struct ev_loop *loop;
static struct ike_tunnel *tun;

static void on_up(void *arg, const struct ike_child_sa_info *i)
{
	char l[ADDR_STRLEN], r[ADDR_STRLEN];

	(void)arg;
	addr_format(&i->local, l);
	addr_format(&i->remote, r);
	printf("CHILD_SA_UP spi_in=%08x spi_out=%08x encr=%u bits=%u integ=%u encap=%d local=%s:%u "
	       "remote=%s:%u rekey=%d\n",
	       i->spi_in, i->spi_out, i->encr, i->key_bits, i->integ, i->udp_encap, l,
	       i->local_port, r, i->remote_port, i->rekey);
}

static void on_down(void *arg, uint32_t in, uint32_t out)
{
	(void)arg;
	printf("CHILD_SA_DOWN spi_in=%08x spi_out=%08x\n", in, out);
}

static void on_status(void *arg, bool up, const char *msg)
{
	char d[1024];

	(void)arg;
	ike_tunnel_describe(tun, d, sizeof(d));
	printf("TUNNEL %s %s | %s\n", up ? "UP" : "DOWN", msg, d);
}

static void on_signal(struct ev_signal *s)
{
	result_t rc = E_OK;

	if (s->signo == SIGUSR1)
		rc = ike_tunnel_rekey_child(tun);
	else if (s->signo == SIGUSR2)
		rc = ike_tunnel_rekey_ike(tun);
	else if (s->signo == SIGHUP)
		rc = ike_tunnel_delete(tun);
	else
		ev_loop_stop(loop);
	printf("SIGNAL %d: %s\n", s->signo, err_name(rc));
}

static uint32_t parse_list(const char *s, const char *const *names, unsigned n)
{
	uint32_t mask = 0;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(t, names[i]))
				mask |= 1u << i;
	return mask;
}

static uint32_t parse_dh(const char *s)
{
	uint32_t mask = 0;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		mask |= MODEL_DH_MASK(atoi(t) & 31);
	return mask;
}

static const char *const encr_names[] = {"aes128", "aes256", "aes128gcm", "aes256gcm"};
static const char *const integ_names[] = {"sha1", "sha256", "sha384", "sha512"};

static void defaults(struct model_tunnel *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->vpn_id, sizeof(m->vpn_id), "vpn-ikepeer");
	m->index = 1;
	m->local_net.addr.family = AF_INET;
	m->remote_net.addr.family = AF_INET;
	m->opt.phase1_lifetime_s = 28800;
	m->opt.phase2_lifetime_s = 3600;
	m->opt.rekey_margin_s = 270;
	m->opt.rekey_fuzz_pct = 100;
	m->opt.replay_window = 1024;
	m->opt.dpd_timeout_s = 40;
	m->opt.phase1_encr = m->opt.phase2_encr = 0xf;
	m->opt.phase1_integ = m->opt.phase2_integ = 0xf;
	m->opt.phase1_dh = MODEL_DH_MASK(2) | 0x1ffc000u;
	m->opt.phase2_dh = m->opt.phase1_dh | MODEL_DH_MASK(5);
	m->opt.ike_versions = MODEL_IKE_V2;
}

static int parse_args(int argc, char **argv, struct model_tunnel *m, struct ike_ctx_config *cfg)
{
	static const struct option lo[] = {
	    {"local", 1, 0, 'l'}, {"remote", 1, 0, 'r'},     {"psk", 1, 0, 'k'},
	    {"start", 0, 0, 's'}, {"p1-encr", 1, 0, 1},      {"p1-integ", 1, 0, 2},
	    {"p1-dh", 1, 0, 3},   {"p2-encr", 1, 0, 4},      {"p2-integ", 1, 0, 5},
	    {"p2-dh", 1, 0, 6},   {"local-net", 1, 0, 7},    {"remote-net", 1, 0, 8},
	    {"p1-life", 1, 0, 9}, {"p2-life", 1, 0, 10},     {"margin", 1, 0, 11},
	    {"fuzz", 1, 0, 12},   {"dpd-timeout", 1, 0, 13}, {"dpd-action", 1, 0, 14},
	    {"ports", 1, 0, 15},  {"debug", 0, 0, 'd'},      {0, 0, 0, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'l':
			ok = addr_parse(optarg, &m->outside_local) == E_OK;
			break;
		case 'r':
			ok = addr_parse(optarg, &m->outside_remote) == E_OK;
			break;
		case 'k':
			snprintf(m->opt.psk, sizeof(m->opt.psk), "%s", optarg);
			break;
		case 's':
			m->opt.startup_action = MODEL_STARTUP_START;
			break;
		case 1:
			m->opt.phase1_encr = parse_list(optarg, encr_names, 4);
			break;
		case 2:
			m->opt.phase1_integ = parse_list(optarg, integ_names, 4);
			break;
		case 3:
			m->opt.phase1_dh = parse_dh(optarg);
			break;
		case 4:
			m->opt.phase2_encr = parse_list(optarg, encr_names, 4);
			break;
		case 5:
			m->opt.phase2_integ = parse_list(optarg, integ_names, 4);
			break;
		case 6:
			m->opt.phase2_dh = parse_dh(optarg);
			break;
		case 7:
			ok = prefix_parse(optarg, false, &m->local_net) == E_OK;
			break;
		case 8:
			ok = prefix_parse(optarg, false, &m->remote_net) == E_OK;
			break;
		case 9:
			m->opt.phase1_lifetime_s = (uint32_t)atoi(optarg);
			break;
		case 10:
			m->opt.phase2_lifetime_s = (uint32_t)atoi(optarg);
			break;
		case 11:
			m->opt.rekey_margin_s = (uint32_t)atoi(optarg);
			break;
		case 12:
			m->opt.rekey_fuzz_pct = (uint32_t)atoi(optarg);
			break;
		case 13:
			m->opt.dpd_timeout_s = (uint32_t)atoi(optarg);
			break;
		case 14:
			m->opt.dpd_action = !strcmp(optarg, "none")      ? MODEL_DPD_NONE
			                    : !strcmp(optarg, "restart") ? MODEL_DPD_RESTART
			                                                 : MODEL_DPD_CLEAR;
			break;
		case 15:
			ok = sscanf(optarg, "%hu,%hu", &cfg->ike_port, &cfg->natt_port) == 2;
			break;
		case 'd':
			log_set_level(LOG_DEBUG);
			break;
		default:
			ok = false;
		}
		if (!ok) {
			fprintf(
			    stderr,
			    "ike_peer: bad option (see the comment at the top of ike_peer.c)\n");
			return -1;
		}
	}
	return m->outside_local.family && m->opt.psk[0] ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct ike_callbacks cbs = {on_up, on_down, on_status};
	struct ike_ctx_config cfg = {0};
	struct ev_signal sigs[5];
	static const int signos[5] = {SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGTERM};
	struct model_tunnel m;
	struct ike_ctx *ctx = NULL;
	int rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	defaults(&m);
	if (parse_args(argc, argv, &m, &cfg) != 0) {
		fprintf(stderr, "usage: ike_peer --local A --remote B --psk KEY [--start] ...\n");
		return 2;
	}
	if (ev_loop_new(&loop) != E_OK)
		return 1;
	for (int i = 0; i < 5; i++)
		if (ev_signal_add(loop, &sigs[i], signos[i], on_signal, NULL) != E_OK)
			goto out;
	if (ike_ctx_new(loop, &cfg, &ctx) != E_OK ||
	    ike_tunnel_new(ctx, &m, &cbs, NULL, &tun) != E_OK) {
		fprintf(stderr, "ike_peer: cannot create the tunnel (sockets?)\n");
		goto out;
	}
	printf("READY\n");
	rc = ev_loop_run(loop) == E_OK ? 0 : 1;
out:
	ike_ctx_free(ctx);
	ev_loop_free(loop);
	return rc;
}
