/*
 * gatehoused - the Gatehouse daemon: the EC2 Query API over the store, on one event loop.
 *
 *   gatehoused --listen 127.0.0.1:5000 --data-dir DIR --access-key AK --secret-key SK
 *              [--region us-east-1] [--log-level info] [--config FILE [-n [-v]]]
 *
 * Structure: parse options -> open the store -> start subsystems on the loop -> run until
 * SIGTERM/SIGINT (signalfd) -> stop subsystems in reverse order. A new subsystem (the tunnel
 * engine with --config FILE) adds an option, one start call and one stop call.
 * With --config, svc (svc/svc.h) joins the API and the engine: stored VPN connections run as
 * tunnels, their status shows as VgwTelemetry, the file's outside-address pool feeds the API.
 * With --config, svc_cvpn (svc/svc_cvpn.h) also runs the stored Client VPN endpoints as
 * OpenVPN servers. Both follow every API change (gh_on_change).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm.h"
#include "api/api.h"
#include "api/api_req.h"
#include "conf/conf.h"
#include "engine/engine.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "store/store.h"
#include "svc/svc.h"
#include "svc/svc_cvpn.h"

#define GH_DEFAULT_LISTEN "127.0.0.1:5000"
#define GH_DEFAULT_REGION "us-east-1"
#define GH_DEFAULT_KEY "test" /* like moto: for trials only, say so loudly */

struct gh_opts {
	const char *listen;
	const char *data_dir;
	const char *access_key;
	const char *secret_key;
	const char *region;
	struct store_timing timing;
	size_t body_max;
	const char *config;          /* --config: tunnels and settings (docs/configuration.md) */
	bool check, verbose;         /* -n / -v: check the file only */
	bool listen_set, keys_set;   /* flags win over the file */
	uint32_t hour_s;             /* --session-hour-s */
};

struct gh_daemon {
	struct gh_opts o;
	struct ev_loop *loop;
	struct store *store;
	struct api_server *api;
	struct ev_signal sigterm, sigint;
	struct conf *conf; /* parsed --config, handed to the engine runner */
	struct engine_runner *engine;
	struct svc *svc; /* the API's VPN connections as live tunnels (with --config) */
	struct svc_cvpn *cvpn; /* the API's Client VPN endpoints as OpenVPN servers */
	struct addr cvpn_addrs[SVC_CVPN_ADDRS_MAX]; /* the file's client-vpn-address */
	size_t ncvpn_addrs;
	char cf_listen[CONF_STR_MAX], cf_data_dir[CONF_PATH_MAX], cf_ak[CONF_STR_MAX],
		cf_sk[CONF_STR_MAX];
};

static void gh_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: gatehoused --data-dir DIR [options]\n"
	    "\n"
	    "  --listen HOST:PORT       EC2 API address (default %s; [::1]:PORT for IPv6;\n"
	    "                           port 0 picks a free port, logged at start)\n"
	    "  --data-dir DIR           where the database lives (created 0700 if missing)\n"
	    "  --access-key AK          the access key id clients sign with (default '%s')\n"
	    "  --secret-key SK          its secret (default '%s'; also env GATEHOUSE_SECRET_KEY)\n"
	    "  --region REGION          the one region this server serves (default %s)\n"
	    "  --log-level LEVEL        err, warn, info or debug (default info)\n"
	    "  --state-delay-ms MS      pending->available etc. take this long (default %d)\n"
	    "  --deleted-retention-s S  deleted resources stay visible this long (default %d)\n"
	    "  --body-max BYTES         largest request body accepted (default %u)\n"
	    "  --session-hour-s S       length of one hour of SessionTimeoutHours (default 3600;\n"
	    "                           shorter only for tests)\n"
	    "  --config FILE            gatehoused.conf: settings, outside addresses, tunnels;\n"
	    "                           SIGHUP re-reads it and applies the difference\n"
	    "  -n, --check              only check --config (problems as file:line), exit\n"
	    "  -v, --verbose            with -n: print the normalized configuration\n"
	    "  --help                   this text\n",
	    GH_DEFAULT_LISTEN, GH_DEFAULT_KEY, GH_DEFAULT_KEY, GH_DEFAULT_REGION,
	    STORE_PENDING_MS_DEFAULT, STORE_DELETED_RETENTION_MS_DEFAULT / 1000,
	    API_BODY_MAX_DEFAULT);
}

static bool gh_parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == 0 && *out <= max;
}

/* The numeric options: false when out of range. */
static bool gh_opt_num(int c, const char *arg, struct gh_opts *o)
{
	unsigned long long n;

	switch (c) {
	case 'p':
		if (!gh_parse_num(arg, 86400000ULL, &n))
			return false;
		o->timing.pending_ms = n;
		return true;
	case 'R':
		if (!gh_parse_num(arg, 31536000ULL, &n))
			return false;
		o->timing.deleted_retention_ms = n * 1000;
		return true;
	case 'b':
		if (!gh_parse_num(arg, 1ULL << 30, &n) || n == 0)
			return false;
		o->body_max = (size_t)n;
		return true;
	case 'H':
		if (!gh_parse_num(arg, 3600, &n) || n == 0)
			return false;
		o->hour_s = (uint32_t)n;
		return true;
	}
	return false;
}

/* 0 = run, 1 = exit 0 (help), -1 = usage error. */
static int gh_parse_opts(int argc, char **argv, struct gh_opts *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"data-dir", required_argument, NULL, 'd'},
	    {"access-key", required_argument, NULL, 'a'},
	    {"secret-key", required_argument, NULL, 's'},
	    {"region", required_argument, NULL, 'r'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"state-delay-ms", required_argument, NULL, 'p'},
	    {"deleted-retention-s", required_argument, NULL, 'R'},
	    {"body-max", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, 'c'},
	    {"session-hour-s", required_argument, NULL, 'H'},
	    {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum log_level lvl;
	int c;

	while ((c = getopt_long(argc, argv, "hnv", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			o->listen_set = true;
			break;
		case 'd':
			o->data_dir = optarg;
			break;
		case 'a':
			o->access_key = optarg;
			o->keys_set = true;
			break;
		case 's':
			o->secret_key = optarg;
			o->keys_set = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'n':
			o->check = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'r':
			o->region = optarg;
			break;
		case 'L':
			if (!log_level_parse(optarg, &lvl))
				return -1;
			log_set_level(lvl);
			break;
		case 'p':
		case 'R':
		case 'b':
		case 'H':
			if (!gh_opt_num(c, optarg, o))
				return -1;
			break;
		case 'h':
			gh_usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc || (!o->data_dir && !o->config) || (o->check && !o->config))
		return -1;
	return 0;
}

static void gh_on_signal(struct ev_signal *s)
{
	struct gh_daemon *d = s->arg;

	log_info("main", "signal %d: stopping", s->signo);
	ev_loop_stop(d->loop);
}

/* --config: read the file (every problem printed as file:line); it fills what no flag set. */
static RESULT gh_load_config(struct gh_daemon *d)
{
	struct conf_diags *diags = calloc(1, sizeof(*diags));
	result_t rc;

	if (!diags)
		return E_NOMEM;
	rc = conf_parse_file(d->o.config, &d->conf, diags);
	conf_diags_print(diags, stderr);
	free(diags);
	if (rc != E_OK)
		return rc;
	if (!d->o.data_dir && d->conf->data_dir[0])
		d->o.data_dir = memcpy(d->cf_data_dir, d->conf->data_dir, sizeof(d->cf_data_dir));
	if (!d->o.listen_set && d->conf->listen[0])
		d->o.listen = memcpy(d->cf_listen, d->conf->listen, sizeof(d->cf_listen));
	for (size_t i = 0; i < d->conf->ncvpn_addrs && i < SVC_CVPN_ADDRS_MAX; i++)
		d->cvpn_addrs[d->ncvpn_addrs++] = d->conf->cvpn_addrs[i];
	if (!d->o.keys_set && d->conf->access_key[0]) {
		d->o.access_key = memcpy(d->cf_ak, d->conf->access_key, sizeof(d->cf_ak));
		d->o.secret_key = memcpy(d->cf_sk, d->conf->secret_key, sizeof(d->cf_sk));
	}
	return d->o.data_dir ? E_OK : E_INVAL;
}

/* Every committed API change: tunnels (svc) and Client VPN endpoints (svc_cvpn) follow. */
static void gh_on_change(void *arg, const char *action)
{
	struct gh_daemon *d = arg;

	if (d->svc)
		svc_api_changed(d->svc, action);
	if (d->cvpn)
		svc_cvpn_sync(d->cvpn);
}

static RESULT gh_cvpn_start(struct gh_daemon *d)
{
	struct svc_cvpn_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.loop = d->loop;
	cc.store = d->store;
	cc.data_dir = d->o.data_dir;
	cc.region = d->o.region;
	cc.account = API_OWNER_ID;
	memcpy(cc.listen, d->cvpn_addrs, sizeof(cc.listen));
	cc.nlisten = d->ncvpn_addrs;
	cc.hour_s = d->o.hour_s;
	return svc_cvpn_new(&cc, &d->cvpn);
}

static RESULT gh_start(struct gh_daemon *d)
{
	struct api_config ac = {d->o.listen, d->o.access_key, d->o.secret_key, d->o.region,
	                        d->o.body_max};

	GUARD(ev_loop_new(&d->loop));
	GUARD(ev_signal_add(d->loop, &d->sigterm, SIGTERM, gh_on_signal, d));
	GUARD(ev_signal_add(d->loop, &d->sigint, SIGINT, gh_on_signal, d));
	if (d->conf) { /* the tunnel engine (takes the configuration, SIGHUP reloads) */
		struct conf *c = d->conf;

		d->conf = NULL;
		/* the file's outside-address pool is where the API allocates from */
		if (svc_outside_pool_export(c) != E_OK)
			log_warn("main", "%s: outside addresses not handed to the API", d->o.config);
		GUARD(engine_runner_start_conf(d->loop, d->o.config, c, NULL, &d->engine));
	}
	GUARD(store_open(d->o.data_dir, &d->store));
	store_set_timing(d->store, &d->o.timing);
	GUARD(store_attach_loop(d->store, d->loop));
	GUARD(api_server_new(d->loop, d->store, &ac, &d->api));
	/* ACM (awsJson1_1, X-Amz-Target CertificateManager.*) on the same port: Client VPN
	 * server and client CA certificates are imported with `aws acm import-certificate`. */
	GUARD(api_server_add_json(d->api, "CertificateManager.", "acm", acm_api_json, NULL));
	if (d->engine) { /* one service: stored VPN connections run as tunnels (svc/svc.h) */
		struct svc_config sc = {d->loop, d->store, NULL, d->engine, NULL, NULL};

		GUARD(svc_new(&sc, &d->svc));
	}
	/* Like the tunnels, Client VPN endpoints run only with --config: from flags alone the
	 * daemon is the API over the store (no TUN devices, sockets or nftables on the host). */
	if (d->engine)
		GUARD(gh_cvpn_start(d));
	api_server_set_change_cb(d->api, gh_on_change, d);
	return E_OK;
}

static void gh_stop(struct gh_daemon *d)
{
	if (d->api)
		api_server_set_change_cb(d->api, NULL, NULL);
	svc_cvpn_free(d->cvpn);
	svc_free(d->svc);
	engine_runner_free(d->engine);
	conf_free(d->conf);
	api_server_free(d->api);
	store_close(d->store);
	if (d->loop)
		ev_loop_free(d->loop);
}

int main(int argc, char **argv)
{
	struct gh_daemon d;
	const char *env_sk = getenv("GATEHOUSE_SECRET_KEY");
	result_t rc;
	int p;

	memset(&d, 0, sizeof(d));
	d.o.listen = GH_DEFAULT_LISTEN;
	d.o.region = GH_DEFAULT_REGION;
	d.o.access_key = GH_DEFAULT_KEY;
	d.o.secret_key = env_sk && *env_sk ? env_sk : GH_DEFAULT_KEY;
	d.o.timing.pending_ms = STORE_PENDING_MS_DEFAULT;
	d.o.timing.deleted_retention_ms = STORE_DELETED_RETENTION_MS_DEFAULT;
	p = gh_parse_opts(argc, argv, &d.o);
	if (p != 0) {
		if (p < 0)
			gh_usage(stderr);
		return p < 0 ? 2 : 0;
	}
	if (d.o.check)
		return conf_check(d.o.config, d.o.verbose, stdout, stderr);
	if (d.o.config && gh_load_config(&d) != E_OK) {
		log_err("main", "%s: not started (see the problems above)", d.o.config);
		gh_stop(&d);
		return 1;
	}
	if (strcmp(d.o.secret_key, GH_DEFAULT_KEY) == 0)
		log_warn("main",
		         "using the default trial credentials '%s'/'%s': set "
		         "--access-key/--secret-key for anything but a trial",
		         d.o.access_key, GH_DEFAULT_KEY);
	rc = gh_start(&d);
	if (rc == E_OK) {
		log_info("main", "gatehoused running (data in %s)", d.o.data_dir);
		rc = ev_loop_run(d.loop);
	}
	if (rc != E_OK)
		log_err("main", "gatehoused: %s", err_msg(rc));
	gh_stop(&d);
	return rc == E_OK ? 0 : 1;
}
