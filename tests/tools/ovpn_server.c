/*
 * ovpn_server - run the Gatehouse OpenVPN server from command-line flags (for tests/net).
 *
 *   ovpn_server --proto udp|tcp [--listen ADDR] [--port N] --cert F --key F --ca F [--crl F]
 *               --cidr 10.8.0.0/24 [--route P]... [--dns A]... [--split]
 *               [--ciphers LIST] [--reneg-sec N] [--tun NAME] [--no-ekm] [--tls-crypt F]
 *               [--deny P]... [--session-timeout N] [--session-restart] [--debug]
 *
 * Logs connects/disconnects with counters; SIGTERM/SIGINT stop it (printing the clients),
 * SIGUSR1 resets every client (ovpn_server_kill_all RESTART: the stock client reconnects),
 * SIGUSR2 terminates every client (HALT: it exits), SIGHUP re-reads the same arguments (and so
 * the files they name) and applies them with ovpn_server_reconfigure. Prints "KILLED n=N how=X"
 * and "RECONFIGURED rc=<error name>".
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "ovpn/ovpn.h"

static struct ovpn_server *g_srv;
static int g_argc;
static char **g_argv;
static struct prefix g_deny[8];
static size_t g_ndeny;

/* The authorization hook: destinations under a --deny prefix are refused. */
static bool hook_authorize(void *arg, const struct ovpn_client_info *c, const struct addr *dst)
{
	(void)arg;
	(void)c;
	for (size_t i = 0; i < g_ndeny; i++) {
		if (prefix_contains(&g_deny[i], dst))
			return false;
	}
	return true;
}

static void on_stop(struct ev_signal *s)
{
	ev_loop_stop(s->arg);
}

static void print_client(const char *what, const struct ovpn_client_info *c, const char *reason)
{
	char vpn[ADDR_STRLEN], rem[ADDR_STRLEN];
	addr_format(&c->vpn_addr, vpn);
	addr_format(&c->remote_addr, rem);
	printf("%s peer-id=%u cn=%s vpn=%s remote=%s:%u cipher=%s ekm=%d in=%llu/%llu "
	       "out=%llu/%llu%s%s\n",
	       what, c->peer_id, c->common_name, vpn, rem, c->remote_port,
	       ovpn_cipher_name(c->cipher), c->ekm, (unsigned long long)c->packets_in,
	       (unsigned long long)c->bytes_in, (unsigned long long)c->packets_out,
	       (unsigned long long)c->bytes_out, reason ? " reason=" : "", reason ? reason : "");
	fflush(stdout);
}

static void on_status(struct ev_signal *s)
{
	struct ovpn_client_info ci[64];
	(void)s;
	size_t n = ovpn_server_clients(g_srv, ci, 64);
	for (size_t i = 0; i < n; i++)
		print_client("CLIENT", &ci[i], NULL);
}

/* SIGUSR2: one ovpn_server_client_kill per client (HALT), as an administrator would. */
static void on_halt_all(struct ev_signal *s)
{
	struct ovpn_client_info ci[64];
	size_t k = 0;
	(void)s;
	size_t n = ovpn_server_clients(g_srv, ci, 64);
	/* E_NOTFOUND: a client already being ended (e.g. reset a moment ago). */
	for (size_t i = 0; i < n; i++)
		k += ovpn_server_client_kill(g_srv, ci[i].peer_id, OVPN_KILL_HALT,
		                             "terminated by administrator") == E_OK;
	printf("KILLED n=%zu how=HALT\n", k);
	fflush(stdout);
}

/* SIGUSR1: ovpn_server_kill_all RESTART ("reset connections"). */
static void on_restart_all(struct ev_signal *s)
{
	(void)s;
	size_t n =
	    ovpn_server_kill_all(g_srv, OVPN_KILL_RESTART, "connection reset by administrator");
	printf("KILLED n=%zu how=RESTART\n", n);
	fflush(stdout);
}

static void hook_connected(void *arg, const struct ovpn_client_info *c)
{
	(void)arg;
	print_client("CONNECTED", c, NULL);
}

static void hook_disconnected(void *arg, const struct ovpn_client_info *c, const char *reason)
{
	(void)arg;
	print_client("DISCONNECTED", c, reason);
}

static int parse_args(int argc, char **argv, struct ovpn_config *cfg)
{
	static const struct option opts[] = {
	    {"proto", 1, 0, 'P'},
	    {"listen", 1, 0, 'l'},
	    {"port", 1, 0, 'p'},
	    {"cert", 1, 0, 'c'},
	    {"key", 1, 0, 'k'},
	    {"ca", 1, 0, 'a'},
	    {"crl", 1, 0, 'r'},
	    {"cidr", 1, 0, 'n'},
	    {"route", 1, 0, 'R'},
	    {"dns", 1, 0, 'd'},
	    {"split", 0, 0, 's'},
	    {"ciphers", 1, 0, 'C'},
	    {"reneg-sec", 1, 0, 'g'},
	    {"tun", 1, 0, 't'},
	    {"debug", 0, 0, 'D'},
	    {"no-ekm", 0, 0, 'E'},
	    {"tls-crypt", 1, 0, 'T'},
	    {"deny", 1, 0, 'X'},
	    {"session-timeout", 1, 0, 'S'},
	    {"session-restart", 0, 0, 'Z'},
	    {0, 0, 0, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'P':
			cfg->proto = strcmp(optarg, "tcp") == 0 ? OVPN_PROTO_TCP : OVPN_PROTO_UDP;
			break;
		case 'l':
			if (addr_parse(optarg, &cfg->listen_addr) != E_OK)
				return -1;
			break;
		case 'p':
			cfg->port = (uint16_t)atoi(optarg);
			break;
		case 'c':
			cfg->cert_path = optarg;
			break;
		case 'k':
			cfg->key_path = optarg;
			break;
		case 'a':
			cfg->ca_path = optarg;
			break;
		case 'r':
			cfg->crl_path = optarg;
			break;
		case 'n':
			if (prefix_parse(optarg, false, &cfg->client_cidr) != E_OK)
				return -1;
			break;
		case 'R':
			if (cfg->n_routes >= OVPN_MAX_ROUTES ||
			    prefix_parse(optarg, false, &cfg->routes[cfg->n_routes++]) != E_OK)
				return -1;
			break;
		case 'd':
			if (cfg->n_dns >= OVPN_MAX_DNS ||
			    addr_parse(optarg, &cfg->dns[cfg->n_dns++]) != E_OK)
				return -1;
			break;
		case 's':
			cfg->split_tunnel = true;
			break;
		case 'C':
			snprintf(cfg->ciphers, sizeof(cfg->ciphers), "%s", optarg);
			break;
		case 'g':
			cfg->reneg_sec = (uint32_t)atoi(optarg);
			break;
		case 't':
			snprintf(cfg->tun_name, sizeof(cfg->tun_name), "%s", optarg);
			break;
		case 'D':
			log_set_level(LOG_DEBUG);
			break;
		case 'E':
			cfg->no_ekm = true;
			break;
		case 'T':
			cfg->tls_crypt_path = optarg;
			break;
		case 'S':
			cfg->session_timeout_sec = (uint32_t)atoi(optarg);
			break;
		case 'Z':
			cfg->session_restart = true;
			break;
		case 'X':
			if (g_ndeny >= 8 || prefix_parse(optarg, false, &g_deny[g_ndeny++]) != E_OK)
				return -1;
			cfg->hooks.authorize = hook_authorize;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int config_load(struct ovpn_config *cfg)
{
	ovpn_config_defaults(cfg);
	cfg->hooks.connected = hook_connected;
	cfg->hooks.disconnected = hook_disconnected;
	g_ndeny = 0;
	optind = 0; /* glibc: rescan from the start */
	return parse_args(g_argc, g_argv, cfg);
}

/* SIGHUP: the same arguments again; the files they name are read anew (e.g. a rewritten CRL). */
static void on_reload(struct ev_signal *s)
{
	struct ovpn_config cfg;
	result_t rc = E_INVAL;
	(void)s;
	if (config_load(&cfg) == 0)
		rc = ovpn_server_reconfigure(g_srv, &cfg);
	printf("RECONFIGURED rc=%s\n", err_name(rc));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ovpn_config cfg;
	struct ev_loop *loop = NULL;
	struct ev_signal s_term, s_int, s_usr1, s_usr2, s_hup;
	int rc = 1;

	g_argc = argc;
	g_argv = argv;
	if (config_load(&cfg) != 0) {
		fprintf(stderr, "usage: see the comment at the top of tests/tools/ovpn_server.c\n");
		return 2;
	}
	if (ev_loop_new(&loop) != E_OK)
		return 1;
	if (ev_signal_add(loop, &s_term, SIGTERM, on_stop, loop) != E_OK ||
	    ev_signal_add(loop, &s_int, SIGINT, on_stop, loop) != E_OK ||
	    ev_signal_add(loop, &s_usr1, SIGUSR1, on_restart_all, NULL) != E_OK ||
	    ev_signal_add(loop, &s_usr2, SIGUSR2, on_halt_all, NULL) != E_OK ||
	    ev_signal_add(loop, &s_hup, SIGHUP, on_reload, NULL) != E_OK)
		goto out;
	if (ovpn_server_new(loop, &cfg, &g_srv) != E_OK)
		goto out;
	printf("READY port=%u tun=%s\n", ovpn_server_port(g_srv), ovpn_server_tun_name(g_srv));
	fflush(stdout);
	rc = ev_loop_run(loop) == E_OK ? 0 : 1;
	on_status(NULL);
out:
	ovpn_server_free(g_srv);
	ev_loop_free(loop);
	return rc;
}
