/*
 * svc/svc.c - the join of the EC2 API and the tunnel engine (svc/svc.h): desired tunnels from
 * the configuration file and the store into engine_apply, tunnel status back into the store
 * as VgwTelemetry.
 */
#include "svc/svc.h"

#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_vpn.h"
#include "conf/conf.h"
#include "engine/engine.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/secret.h"

/* What the store shows for one API tunnel (reported = written at least once by this run). */
struct svc_tel {
	char vpn_id[MODEL_ID_MAX];
	unsigned index;
	struct addr outside;
	bool reported, up;
	uint32_t routes;
	char msg[ENGINE_STATUS_MSG_MAX];
};

struct svc {
	struct svc_config cfg;
	struct engine *engine;
	const struct conf *file_seen; /* the runner's configuration at the last sync */
	struct ev_timer poll;
	struct svc_tel *tel; /* the API tunnels of the last sync */
	size_t ntel;
};

static const struct conf *file_conf(const struct svc *s)
{
	return s->cfg.runner ? engine_runner_conf(s->cfg.runner) : s->cfg.file;
}

/* desired = the file's tunnels, then the store's (a duplicate <vpn-id> <index> is skipped). */
static result_t desired_build(const struct conf *file, struct conf_tunnel *api, size_t napi,
                              struct conf **out)
{
	size_t nf = file ? file->ntunnels : 0, n = 0;
	struct conf *c = NULL;

	GUARD(conf_new_empty(&c));
	c->tunnels = calloc(nf + napi + 1, sizeof(*c->tunnels));
	if (!c->tunnels) {
		conf_free(c);
		return E_NOMEM;
	}
	if (nf)
		memcpy(c->tunnels, file->tunnels, nf * sizeof(*c->tunnels));
	c->ntunnels = n = nf;
	for (size_t i = 0; i < napi; i++) {
		if (conf_tunnel_find(c, api[i].t.vpn_id, api[i].t.index)) {
			log_warn("svc",
			         "%s tunnel %u is in the configuration file and the API: the "
			         "file's runs",
			         api[i].t.vpn_id, api[i].t.index);
			continue;
		}
		c->tunnels[n++] = api[i];
		c->ntunnels = n;
	}
	if (file) {
		memcpy(c->pool, file->pool, sizeof(c->pool));
		c->npool = file->npool;
	}
	*out = c;
	return E_OK;
}

/* Keep the telemetry state of tunnels that stay (same id, index, outside address). */
static result_t tel_rebuild(struct svc *s, const struct conf *c, size_t first_api)
{
	size_t n = c->ntunnels - first_api;
	struct svc_tel *v = calloc(n + 1, sizeof(*v));

	if (!v)
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct model_tunnel *t = &c->tunnels[first_api + i].t;

		snprintf(v[i].vpn_id, sizeof(v[i].vpn_id), "%s", t->vpn_id);
		v[i].index = t->index;
		v[i].outside = t->outside_local;
		for (size_t k = 0; k < s->ntel; k++)
			if (s->tel[k].index == t->index &&
			    strcmp(s->tel[k].vpn_id, t->vpn_id) == 0 &&
			    addr_equal(&s->tel[k].outside, &t->outside_local))
				v[i] = s->tel[k];
	}
	free(s->tel);
	s->tel = v;
	s->ntel = n;
	return E_OK;
}

/* desired = file + the store's tunnels; the telemetry list follows it. */
static result_t desired_compose(struct svc *s, const struct conf *file, struct conf **out)
{
	struct conf_tunnel *api = NULL;
	struct conf *c = NULL;
	size_t napi = 0;
	result_t rc;

	*out = NULL;
	GUARD(api_vpn_conf_tunnels(s->cfg.store, &api, &napi));
	rc = desired_build(file, api, napi, &c);
	secret_wipe(api, napi * sizeof(*api));
	free(api);
	GUARD(rc);
	rc = tel_rebuild(s, c, file ? file->ntunnels : 0);
	if (rc != E_OK) {
		conf_free(c);
		return rc;
	}
	s->file_seen = file;
	*out = c;
	return E_OK;
}

/* The runner's reload hook (SIGHUP): the new file plus the API's tunnels in one apply, so a
 * reload leaves the API's tunnels (and their SAs) alone. */
static result_t on_runner_compose(void *arg, const struct conf *file, struct conf **desired)
{
	return desired_compose(arg, file, desired);
}

RESULT svc_sync(struct svc *s)
{
	struct conf *c = NULL;
	result_t rc;

	GUARD(desired_compose(s, file_conf(s), &c));
	rc = engine_apply(s->engine, c);
	if (rc != E_OK)
		log_warn("svc", "tunnels partly applied: %s", err_msg(rc));
	conf_free(c);
	return E_OK;
}

static bool tel_changed(const struct svc_tel *t, const struct engine_tunnel_status *st)
{
	return !t->reported || t->up != st->up || t->routes != st->accepted_route_count ||
	       strcmp(t->msg, st->status_message) != 0;
}

size_t svc_poll(struct svc *s)
{
	size_t written = 0;

	for (size_t i = 0; i < s->ntel; i++) {
		struct svc_tel *t = &s->tel[i];
		struct engine_tunnel_status st;
		result_t rc;

		if (engine_tunnel_status(s->engine, t->vpn_id, t->index, &st) != E_OK ||
		    !tel_changed(t, &st))
			continue;
		rc = api_vpn_telemetry_update(s->cfg.store, t->vpn_id, &t->outside, st.up,
		                              st.status_message, st.accepted_route_count);
		if (rc != E_OK && rc != E_NOTFOUND) {
			log_warn("svc", "%s tunnel %u: telemetry not stored: %s", t->vpn_id,
			         t->index, err_msg(rc));
			continue;
		}
		/* E_NOTFOUND: the connection went away; the next sync drops the tunnel. */
		t->reported = true;
		t->up = st.up;
		t->routes = st.accepted_route_count;
		memcpy(t->msg, st.status_message, sizeof(t->msg));
		written += rc == E_OK;
	}
	return written;
}

static void on_poll(struct ev_timer *tm)
{
	struct svc *s = tm->arg;

	/* A runner configuration this svc did not compose (a reload without the hook): put the
	 * API's tunnels back. With the hook (svc_new sets it) this does not happen. */
	if (file_conf(s) != s->file_seen) {
		if (svc_sync(s) == E_OK)
			log_info("svc",
			         "configuration file reloaded: the API's tunnels applied again");
		else
			log_warn("svc", "tunnels not reconciled after the reload");
	}
	svc_poll(s);
	ev_timer_arm(s->cfg.loop, tm, SVC_POLL_MS);
}

void svc_api_changed(struct svc *s, const char *action)
{
	result_t rc = svc_sync(s);

	if (rc != E_OK)
		log_warn("svc", "after %s: tunnels not reconciled: %s", action, err_msg(rc));
	svc_poll(s);
}

static void on_api_change(void *arg, const char *action)
{
	svc_api_changed(arg, action);
}

RESULT svc_new(const struct svc_config *cfg, struct svc **out)
{
	struct svc *s = calloc(1, sizeof(*s));
	result_t rc;

	*out = NULL;
	if (!s)
		return E_NOMEM;
	s->cfg = *cfg;
	s->engine = cfg->runner ? engine_runner_engine(cfg->runner) : cfg->engine;
	if (!s->engine || !cfg->store) {
		free(s);
		return E_INVAL;
	}
	rc = svc_sync(s);
	if (rc != E_OK) {
		svc_free(s);
		return rc;
	}
	log_info("svc", "%zu tunnels of VPN connections from the store", s->ntel);
	if (cfg->runner)
		engine_runner_set_compose(cfg->runner, on_runner_compose, s);
	svc_poll(s);
	if (cfg->api)
		api_server_set_change_cb(cfg->api, on_api_change, s);
	if (cfg->loop) {
		ev_timer_init(&s->poll, on_poll, s);
		ev_timer_arm(cfg->loop, &s->poll, SVC_POLL_MS);
	}
	*out = s;
	return E_OK;
}

void svc_free(struct svc *s)
{
	if (!s)
		return;
	if (s->cfg.api)
		api_server_set_change_cb(s->cfg.api, NULL, NULL);
	if (s->cfg.runner)
		engine_runner_set_compose(s->cfg.runner, NULL, NULL);
	if (s->cfg.loop && ev_timer_armed(&s->poll))
		ev_timer_cancel(s->cfg.loop, &s->poll);
	free(s->tel);
	free(s);
}

static bool pool_addr_used(const struct conf *c, const struct addr *a)
{
	for (size_t i = 0; i < c->ntunnels; i++)
		if (addr_equal(&c->tunnels[i].t.outside_local, a))
			return true;
	return false;
}

RESULT svc_outside_pool_export(const struct conf *c)
{
	char list[CONF_POOL_MAX * (ADDR_STRLEN + 1)] = "";
	size_t len = 0, n = 0;

	if (!c || c->npool == 0)
		return E_OK;
	for (size_t i = 0; i < c->npool; i++) {
		char a[ADDR_STRLEN];

		if (c->pool[i].family != AF_INET || pool_addr_used(c, &c->pool[i]))
			continue;
		addr_format(&c->pool[i], a);
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", n ? "," : "", a);
		n++;
	}
	if (n == 0) {
		log_warn("svc", "no IPv4 outside-address left for VPN connections created through "
		                "the API (the file's tunnels use them all)");
		return E_RANGE;
	}
	if (setenv(API_VPN_POOL_ENV, list, 1) != 0)
		return E_SYSTEM;
	log_info("svc", "outside addresses for VPN connections: %s", list);
	return E_OK;
}
