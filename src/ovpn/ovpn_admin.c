/*
 * ovpn_admin.c - what the owner of the server does to it while it runs: end one client or all
 * of them (HALT / RESTART over the control channel), and apply a new configuration in place.
 *
 * A configuration change never touches a session that is up: the TLS material goes into a new
 * SSL_CTX (each SSL object holds its own reference to the context it was made from), and the
 * per-client part of the configuration (struct ovpn_profile: pushed options, ciphers, timers,
 * session timeout) is a new reference-counted object that only clients accepted from now on
 * take. The *_path strings of a configuration are read inside ovpn_server_new() and
 * ovpn_server_reconfigure() only: the copies kept here have them set to NULL.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ovpn/ovpn_int.h"

/* --- profile ----------------------------------------------------------------------------- */

RESULT ovpn_profile_new(const struct ovpn_config *cfg, struct ovpn_profile **out)
{
	struct ovpn_profile *p = calloc(1, sizeof(*p));
	result_t rc;

	if (!p)
		return E_NOMEM;
	p->refs = 1;
	p->cfg = *cfg;
	p->cfg.cert_path = p->cfg.key_path = p->cfg.ca_path = NULL;
	p->cfg.crl_path = p->cfg.tls_crypt_path = NULL;
	rc = ovpn_cipher_list_parse(cfg->ciphers, p->ciphers, OVPN_CIPHERS_MAX, &p->n_ciphers);
	if (rc != E_OK) {
		log_err("ovpn", "bad data-ciphers list \"%s\": %s", cfg->ciphers, err_msg(rc));
		free(p);
		return E_INVAL;
	}
	*out = p;
	return E_OK;
}

struct ovpn_profile *ovpn_profile_ref(struct ovpn_profile *p)
{
	p->refs++;
	return p;
}

void ovpn_profile_unref(struct ovpn_profile *p)
{
	if (p && --p->refs == 0)
		free(p);
}

RESULT ovpn_tc_load(const char *path, struct ovpn_tls_crypt *tc)
{
	uint8_t key[OVPN_STATIC_KEY_LEN];

	if (ovpn_static_key_load(path, key) != E_OK) {
		log_err("ovpn", "cannot read tls-crypt key %s", path);
		return E_OVPN_TLS;
	}
	ovpn_tls_crypt_init(tc, key, true);
	secret_wipe(key, sizeof(key));
	return E_OK;
}

/* --- ending sessions --------------------------------------------------------------------- */

RESULT ovpn_server_client_kill(struct ovpn_server *srv, uint32_t peer_id, enum ovpn_kill_mode how,
                               const char *reason)
{
	/* A session already being ended (HALT/RESTART/AUTH_FAILED sent) counts as gone: its
	 * first reason stays. */
	if (peer_id >= srv->cfg.max_clients || !srv->by_peer[peer_id] ||
	    srv->by_peer[peer_id]->dead || srv->by_peer[peer_id]->kill_at_ms)
		return E_NOTFOUND;
	ovpn_client_end(srv->by_peer[peer_id], how, reason);
	return E_OK;
}

size_t ovpn_server_kill_all(struct ovpn_server *srv, enum ovpn_kill_mode how, const char *reason)
{
	size_t n = 0;

	/* Ending a client never frees it here (that happens on its timer), so the table can be
	 * walked while doing it. Sessions still in their handshake go as well: they were set up
	 * under what the reset is meant to get rid of. */
	for (unsigned i = 0; i < srv->cfg.max_clients; i++) {
		struct ovpn_client *c = srv->by_peer[i];
		if (!c || c->dead)
			continue;
		if (c->pushed && !c->kill_at_ms)
			n++;
		ovpn_client_end(c, how, reason);
	}
	return n;
}

/* --- reconfiguration --------------------------------------------------------------------- */

/* What the sockets, the TUN device and the tables were built from cannot change in place. */
static RESULT ovpn_reconf_check_fixed(const struct ovpn_server *srv, const struct ovpn_config *cfg)
{
	const struct ovpn_config *o = &srv->cfg;
	unsigned max = cfg->max_clients;
	const char *what = NULL;

	if (max == 0 || max > OVPN_PEER_ID_UNDEF)
		max = 1024; /* as ovpn_server_new() does */
	if (cfg->proto != o->proto)
		what = "proto";
	else if (!addr_equal(&cfg->listen_addr, &o->listen_addr))
		what = "listen address";
	else if (cfg->port != o->port && cfg->port != srv->port)
		what = "port";
	else if (!prefix_equal(&cfg->client_cidr, &o->client_cidr))
		what = "client CIDR";
	else if (strcmp(cfg->tun_name, o->tun_name) != 0 &&
	         strcmp(cfg->tun_name, srv->tun_name) != 0)
		what = "TUN device name";
	else if (cfg->tun_mtu != o->tun_mtu)
		what = "tun-mtu";
	else if (max != o->max_clients)
		what = "max clients";
	if (what) {
		log_err("ovpn", "reconfigure: the %s cannot change while the server runs", what);
		return E_INVAL;
	}
	return E_OK;
}

/* Everything the new configuration needs, built before anything is replaced. */
struct ovpn_reconf {
	SSL_CTX *ctx;
	struct ovpn_profile *prof;
	bool tc_on;
	struct ovpn_tls_crypt tc;
};

static void ovpn_reconf_fini(struct ovpn_reconf *r)
{
	SSL_CTX_free(r->ctx);
	ovpn_profile_unref(r->prof);
	ovpn_tls_crypt_fini(&r->tc);
}

static RESULT ovpn_reconf_build(const struct ovpn_config *cfg, struct ovpn_reconf *r)
{
	GUARD(ovpn_profile_new(cfg, &r->prof));
	GUARD(ovpn_tls_ctx_new(cfg, &r->ctx));
	if (cfg->tls_crypt_path && cfg->tls_crypt_path[0]) {
		GUARD(ovpn_tc_load(cfg->tls_crypt_path, &r->tc));
		r->tc_on = true;
	}
	return E_OK;
}

RESULT ovpn_server_reconfigure(struct ovpn_server *srv, const struct ovpn_config *cfg)
{
	struct ovpn_reconf r = {0};
	result_t rc;

	GUARD(ovpn_reconf_check_fixed(srv, cfg));
	rc = ovpn_reconf_build(cfg, &r);
	if (rc != E_OK) {
		log_err("ovpn", "reconfigure refused, previous configuration kept: %s",
		        err_msg(rc));
		ovpn_reconf_fini(&r);
		return rc;
	}
	/* Commit: nothing below can fail. */
	SSL_CTX *old_ctx = srv->ssl_ctx;
	srv->ssl_ctx = r.ctx;
	r.ctx = old_ctx;
	struct ovpn_profile *old_prof = srv->prof;
	srv->prof = r.prof;
	r.prof = old_prof;
	if (r.tc_on && !srv->tc_on)
		srv->tc_time = (uint32_t)time(NULL);
	srv->tc_on = r.tc_on;
	struct ovpn_tls_crypt old_tc = srv->tc;
	srv->tc = r.tc;
	r.tc = old_tc;
	secret_wipe(&old_tc, sizeof(old_tc));
	if (cfg->hand_window_sec != srv->cfg.hand_window_sec &&
	    ovpn_cookie_init(&srv->cookie, cfg->hand_window_sec) != E_OK)
		log_warn("ovpn", "reconfigure: handshake cookie key not renewed");
	/* The fixed fields stay as new() had them (equal, or another spelling of the same: port
	 * 0, tun_name ""), and the hooks are bound at ovpn_server_new(). */
	struct ovpn_config keep = srv->cfg;
	srv->cfg = srv->prof->cfg;
	srv->cfg.hooks = keep.hooks;
	srv->cfg.port = keep.port;
	memcpy(srv->cfg.tun_name, keep.tun_name, sizeof(srv->cfg.tun_name));
	srv->cfg.max_clients = keep.max_clients;
	ovpn_reconf_fini(&r); /* the old context, profile and tls-crypt key */
	log_info("ovpn",
	         "configuration applied for new sessions (%zu routes, ciphers %s, reneg-sec %u, "
	         "session timeout %u s)",
	         srv->cfg.n_routes, srv->cfg.ciphers, srv->cfg.reneg_sec,
	         srv->cfg.session_timeout_sec);
	return E_OK;
}
