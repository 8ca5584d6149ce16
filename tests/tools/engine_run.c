/*
 * engine_run - run the tunnel engine from a gatehoused configuration file, without the API
 * (for tests/net/s2s_*.sh and benchmarks).
 *
 *   engine_run --config FILE [-n [-v]] [--status FILE] [--force-natt]
 *              [--ike-port N] [--natt-port N] [--tun-prefix P]
 *
 * -n/--check only validates (problems as file:line, exit 1), -v prints the normalized file.
 * --status FILE is rewritten every STATUS_PERIOD_MS with one line per configured tunnel:
 *   <vpn-id> <index> UP|DOWN changed=<unix s> routes=<n> in=<bytes> out=<bytes> msg=<message>
 * Signals: SIGHUP re-reads the file and applies the diff; SIGUSR1 starts a CHILD SA rekey and
 * SIGUSR2 an IKE SA rekey on every tunnel; SIGTERM/SIGINT stop (IKE DELETE sent).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "lib/ev.h"
#include "lib/log.h"

#define STATUS_PERIOD_MS 500

struct run {
	struct ev_loop *loop;
	struct engine_runner *runner;
	const char *status_path;
	struct ev_timer status_timer;
	struct ev_signal sig_term, sig_int, sig_usr1, sig_usr2;
};

static void write_status(struct run *r)
{
	const struct conf *c = engine_runner_conf(r->runner);
	struct engine *e = engine_runner_engine(r->runner);
	char tmp[1100];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->status_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (size_t i = 0; i < c->ntunnels; i++) {
		const struct model_tunnel *t = &c->tunnels[i].t;
		struct engine_tunnel_status st;

		if (engine_tunnel_status(e, t->vpn_id, t->index, &st) != E_OK)
			continue;
		fprintf(f, "%s %u %s changed=%lld routes=%u in=%llu out=%llu msg=%s\n", t->vpn_id,
		        t->index, st.up ? "UP" : "DOWN", (long long)st.last_status_change_s,
		        st.accepted_route_count, (unsigned long long)st.bytes_in,
		        (unsigned long long)st.bytes_out, st.status_message);
	}
	fclose(f);
	if (rename(tmp, r->status_path) != 0)
		log_warn("engine_run", "cannot write %s", r->status_path);
}

static void on_status_timer(struct ev_timer *t)
{
	struct run *r = t->arg;

	write_status(r);
	ev_timer_arm(r->loop, t, STATUS_PERIOD_MS);
}

static void on_stop(struct ev_signal *s)
{
	struct run *r = s->arg;

	ev_loop_stop(r->loop);
}

static void on_rekey(struct ev_signal *s)
{
	struct run *r = s->arg;
	const struct conf *c = engine_runner_conf(r->runner);
	struct engine *e = engine_runner_engine(r->runner);
	bool ike = s->signo == SIGUSR2;

	for (size_t i = 0; i < c->ntunnels; i++) {
		const struct model_tunnel *t = &c->tunnels[i].t;
		result_t rc = ike ? engine_tunnel_rekey_ike(e, t->vpn_id, t->index)
		                  : engine_tunnel_rekey_child(e, t->vpn_id, t->index);

		log_info("engine_run", "%s tunnel %u: %s rekey requested: %s", t->vpn_id, t->index,
		         ike ? "IKE SA" : "CHILD SA", err_msg(rc));
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: engine_run --config FILE [-n [-v]] [--status FILE] "
	                "[--force-natt] [--ike-port N] [--natt-port N] [--tun-prefix P]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"status", required_argument, NULL, 's'},
	    {"force-natt", no_argument, NULL, 'F'},
	    {"ike-port", required_argument, NULL, 'I'},
	    {"natt-port", required_argument, NULL, 'N'},
	    {"tun-prefix", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	struct engine_options eo = {0};
	struct run r = {0};
	const char *config = NULL;
	bool check = false, verbose = false;
	int ch, status = 1;

	while ((ch = getopt_long(argc, argv, "c:nv", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 's':
			r.status_path = optarg;
			break;
		case 'F':
			eo.force_natt = true;
			break;
		case 'I':
			eo.ike_port = (uint16_t)atoi(optarg);
			break;
		case 'N':
			eo.natt_port = (uint16_t)atoi(optarg);
			break;
		case 'P':
			snprintf(eo.tun_prefix, sizeof(eo.tun_prefix), "%s", optarg);
			break;
		default:
			return usage();
		}
	}
	if (!config)
		return usage();
	if (check)
		return conf_check(config, verbose, stdout, stderr);
	if (ev_loop_new(&r.loop) != E_OK)
		return 1;
	/* Signals first: the data-plane threads inherit the blocked mask. */
	if (ev_signal_add(r.loop, &r.sig_term, SIGTERM, on_stop, &r) != E_OK ||
	    ev_signal_add(r.loop, &r.sig_int, SIGINT, on_stop, &r) != E_OK ||
	    ev_signal_add(r.loop, &r.sig_usr1, SIGUSR1, on_rekey, &r) != E_OK ||
	    ev_signal_add(r.loop, &r.sig_usr2, SIGUSR2, on_rekey, &r) != E_OK)
		goto out;
	if (engine_runner_start(r.loop, config, &eo, &r.runner) != E_OK) {
		log_err("engine_run", "cannot start from %s", config);
		goto out;
	}
	if (r.status_path) {
		ev_timer_init(&r.status_timer, on_status_timer, &r);
		ev_timer_arm(r.loop, &r.status_timer, 0);
	}
	log_info("engine_run", "running %s", config);
	status = ev_loop_run(r.loop) == E_OK ? 0 : 1;
out:
	if (r.status_path && r.runner) {
		ev_timer_cancel(r.loop, &r.status_timer);
		write_status(&r);
	}
	engine_runner_free(r.runner);
	ev_loop_free(r.loop);
	return status;
}
