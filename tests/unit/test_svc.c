/*
 * test_svc.c - the join of the API's store and the tunnel engine (svc/svc.h), with the engine's
 * recording backend (as tests/unit/test_engine.c): stored connections become running tunnels,
 * a restart brings them back from the store alone, a deleted connection's tunnels stop, file
 * tunnels stay beside them, and the engine's status reaches the store as VgwTelemetry.
 * The real backend against strongSwan through the AWS CLI: tests/net/s2s_tutorial.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_vpn.h"
#include "conf/conf.h"
#include "engine/engine_int.h"
#include "lib/secret.h"
#include "model/vpn.h"
#include "store/store.h"
#include "svc/svc.h"
#include "test.h"

static unsigned starts, stops;

static result_t b_start(struct engine *e, struct engine_tunnel *t)
{
	(void)e;
	starts++;
	t->dp_handle = 1;
	return E_OK;
}

static void b_stop(struct engine *e, struct engine_tunnel *t)
{
	(void)e;
	stops++;
	t->dp_handle = 0;
}

static result_t b_route_add(struct engine *e, struct engine_tunnel *t, const struct conf_route *r)
{
	(void)e;
	(void)r;
	return t->dp_handle ? E_OK : E_STATE;
}

static void b_route_del(struct engine *e, struct engine_tunnel *t, const struct conf_route *r)
{
	(void)e;
	(void)t;
	(void)r;
}

static result_t b_kroute_set(struct engine *e, const struct engine_tunnel *t,
                             const struct prefix *p, uint32_t metric, unsigned *dev)
{
	(void)e;
	(void)p;
	(void)metric;
	*dev = t->ct.t.index;
	return E_OK;
}

static void b_kroute_del(struct engine *e, unsigned dev, const struct prefix *p, uint32_t metric)
{
	(void)e;
	(void)dev;
	(void)p;
	(void)metric;
}

static result_t b_rekey(struct engine *e, struct engine_tunnel *t, bool ike)
{
	(void)e;
	(void)t;
	(void)ike;
	return E_OK;
}

static const struct engine_backend rec_backend = {
    .tunnel_start = b_start,
    .tunnel_stop = b_stop,
    .route_add = b_route_add,
    .route_del = b_route_del,
    .kroute_set = b_kroute_set,
    .kroute_del = b_kroute_del,
    .rekey = b_rekey,
};

/* A static VGW connection with one route, as CreateVpnConnection would store it. */
static void vpn_put(struct store *st, const char *id, const char *state, unsigned host)
{
	struct model_vpn_connection *c = calloc(1, sizeof(*c));
	struct prefix p;
	struct store_res r;
	char *json = NULL;

	CHECK(c != NULL);
	model_vpn_init(c);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->cgw_id, sizeof(c->cgw_id), "cgw-1");
	snprintf(c->vgw_id, sizeof(c->vgw_id), "vgw-1");
	c->opt.static_routes_only = true;
	addr_from_v4(&c->tunnels[0].outside_ip, 0xc6336400u + host);     /* 198.51.100.host */
	addr_from_v4(&c->tunnels[1].outside_ip, 0xc6336400u + host + 1); /* ... and the next */
	CHECK_OK(model_vpn_fill_generated(c, NULL, 0, NULL, 0));
	CHECK_OK(prefix_parse("172.16.1.0/24", false, &p));
	CHECK_OK(model_vpn_route_add(c, &p));
	CHECK_OK(model_vpn_to_json(c, &json));
	store_res_init(&r, STORE_T_VPN, id, state);
	snprintf(r.ref1, sizeof(r.ref1), "cgw-1");
	snprintf(r.ref2, sizeof(r.ref2), "vgw-1");
	CHECK_OK(store_res_set_doc(&r, json));
	CHECK_OK(store_begin(st));
	if (store_res_insert(st, &r) == E_EXISTS)
		CHECK_OK(store_res_update(st, &r));
	CHECK_OK(store_commit(st));
	store_res_fini(&r);
	secret_wipe(json, strlen(json));
	free(json);
	model_vpn_wipe(c);
	free(c);
}

static void vpn_state(struct store *st, const char *id, const char *state)
{
	struct store_res r;

	CHECK_OK(store_begin(st));
	CHECK_OK(store_res_get(st, id, &r));
	snprintf(r.state, sizeof(r.state), "%s", state);
	CHECK_OK(store_res_update(st, &r));
	CHECK_OK(store_commit(st));
	store_res_fini(&r);
}

/* The stored VgwTelemetry of tunnel i (0 or 1). */
static void vpn_tel(struct store *st, const char *id, unsigned i, struct model_vpn_tunnel *t)
{
	struct model_vpn_connection *c = calloc(1, sizeof(*c));
	struct store_res r;

	memset(t, 0, sizeof(*t));
	if (c && store_res_get(st, id, &r) == E_OK) {
		if (model_vpn_from_json(r.doc, strlen(r.doc), c) == E_OK)
			*t = c->tunnels[i];
		secret_wipe(&t->opt, sizeof(t->opt));
		secret_wipe(r.doc, strlen(r.doc));
		store_res_fini(&r);
	}
	if (c)
		model_vpn_wipe(c);
	free(c);
}

static struct engine_tunnel *tunnel_of(struct engine *e, const char *vpn_id, unsigned index)
{
	for (struct engine_tunnel *t = e->tunnels; t; t = t->next)
		if (t->ct.t.index == index && strcmp(t->ct.t.vpn_id, vpn_id) == 0)
			return t;
	return NULL;
}

static struct store *store_tmp(char *dir)
{
	struct store *st = NULL;

	if (!mkdtemp(dir) || store_open(dir, &st) != E_OK)
		return NULL;
	return st;
}

static void store_tmp_free(struct store *st, const char *dir)
{
	char cmd[128];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST(svc_store_connections_run_and_come_back_after_restart)
{
	char dir[] = "/tmp/gh-test-svc-XXXXXX";
	struct store *st = store_tmp(dir);
	struct svc_config cfg = {0};
	struct engine *e = NULL;
	struct svc *s = NULL;

	CHECK(st != NULL);
	vpn_put(st, "vpn-0a", "available", 1);
	vpn_put(st, "vpn-0b", "pending", 3);
	vpn_put(st, "vpn-0c", "deleted", 5);
	starts = stops = 0;
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, NULL, &e));
	cfg.store = st;
	cfg.engine = e;
	CHECK_OK(svc_new(&cfg, &s));
	/* pending and available run, deleted does not */
	CHECK_EQ(engine_tunnel_count(e), 4);
	CHECK(tunnel_of(e, "vpn-0a", 2) && tunnel_of(e, "vpn-0b", 1) && !tunnel_of(e, "vpn-0c", 1));
	CHECK_EQ(starts, 4);
	/* nothing changed: nothing restarts */
	CHECK_OK(svc_sync(s));
	CHECK_EQ(starts, 4);
	CHECK_EQ(stops, 0);
	/* DeleteVpnConnection: its two tunnels stop, the others stay */
	vpn_state(st, "vpn-0b", "deleting");
	CHECK_OK(svc_sync(s));
	CHECK_EQ(engine_tunnel_count(e), 2);
	CHECK_EQ(stops, 2);
	CHECK_EQ(starts, 4);
	svc_free(s);
	engine_free(e);
	/* "kill -9 + restart": a new engine gets the stored tunnels with no API call */
	starts = 0;
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, NULL, &e));
	cfg.engine = e;
	CHECK_OK(svc_new(&cfg, &s));
	CHECK_EQ(engine_tunnel_count(e), 2);
	CHECK(tunnel_of(e, "vpn-0a", 1) && tunnel_of(e, "vpn-0a", 2));
	CHECK_EQ(starts, 2);
	svc_free(s);
	engine_free(e);
	store_tmp_free(st, dir);
}

TEST(svc_modified_tunnel_alone_restarts)
{
	char dir[] = "/tmp/gh-test-svc-XXXXXX";
	struct store *st = store_tmp(dir);
	struct svc_config cfg = {0};
	struct engine *e = NULL;
	struct svc *s = NULL;

	CHECK(st != NULL);
	vpn_put(st, "vpn-0a", "available", 1);
	starts = stops = 0;
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, NULL, &e));
	cfg.store = st;
	cfg.engine = e;
	CHECK_OK(svc_new(&cfg, &s));
	CHECK_EQ(starts, 2);
	/* a new connection document: other PSKs and inside CIDRs for both tunnels */
	vpn_put(st, "vpn-0a", "available", 1);
	CHECK_OK(svc_sync(s));
	CHECK_EQ(stops, 2);
	CHECK_EQ(starts, 4);
	svc_free(s);
	engine_free(e);
	store_tmp_free(st, dir);
}

TEST(svc_telemetry_follows_the_engine)
{
	char dir[] = "/tmp/gh-test-svc-XXXXXX";
	struct store *st = store_tmp(dir);
	struct svc_config cfg = {0};
	struct model_vpn_tunnel t;
	struct engine *e = NULL;
	struct svc *s = NULL;
	struct engine_tunnel *et;

	CHECK(st != NULL);
	vpn_put(st, "vpn-0a", "available", 1);
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, NULL, &e));
	cfg.store = st;
	cfg.engine = e;
	CHECK_OK(svc_new(&cfg, &s)); /* writes the first status of both tunnels */
	vpn_tel(st, "vpn-0a", 1, &t);
	CHECK(!t.up);
	CHECK_STR(t.status_message, "waiting for the customer gateway to initiate");
	CHECK_EQ(svc_poll(s), 0); /* nothing new */
	et = tunnel_of(e, "vpn-0a", 2);
	CHECK(et != NULL);
	engine_tunnel_set_status(et, true, "IKE SA and CHILD SA established");
	CHECK_EQ(svc_poll(s), 1);
	vpn_tel(st, "vpn-0a", 1, &t);
	CHECK(t.up);
	CHECK_EQ(t.accepted_route_count, 1);
	CHECK(t.last_status_change_s > 0);
	CHECK_STR(t.status_message, "IKE SA and CHILD SA established");
	vpn_tel(st, "vpn-0a", 0, &t);
	CHECK(!t.up);
	engine_tunnel_set_status(et, false, "DPD timeout");
	CHECK_EQ(svc_poll(s), 1);
	vpn_tel(st, "vpn-0a", 1, &t);
	CHECK(!t.up);
	svc_free(s);
	engine_free(e);
	store_tmp_free(st, dir);
}

#define FILE_CONF                                                                                  \
	"outside-address 198.51.100.1 198.51.100.2 198.51.100.3 2001:db8::1\n"                     \
	"tunnel vpn-file 1 {\n local-address 198.51.100.3\n remote-address 192.0.2.9\n"            \
	" inside-cidr 169.254.99.0/30\n pre-shared-key filetunnelpsk\n}\n"                         \
	"tunnel vpn-0a 1 {\n local-address 198.51.100.3\n remote-address 192.0.2.8\n"              \
	" inside-cidr 169.254.98.0/30\n pre-shared-key filetunnelpsk2\n}\n"

TEST(svc_file_tunnels_beside_the_store_and_pool_export)
{
	char dir[] = "/tmp/gh-test-svc-XXXXXX";
	struct store *st = store_tmp(dir);
	static struct conf_diags d;
	struct svc_config cfg = {0};
	struct conf *file = NULL, *empty = NULL;
	struct engine *e = NULL;
	struct svc *s = NULL;
	const char *pool;

	CHECK(st != NULL);
	CHECK_OK(conf_parse_text("t", FILE_CONF, strlen(FILE_CONF), &file, &d));
	vpn_put(st, "vpn-0a", "available", 1);
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, NULL, &e));
	cfg.store = st;
	cfg.engine = e;
	cfg.file = file;
	CHECK_OK(svc_new(&cfg, &s));
	/* vpn-file 1, vpn-0a 1 of the file (it wins over the store's), vpn-0a 2 of the store */
	CHECK_EQ(engine_tunnel_count(e), 3);
	CHECK(tunnel_of(e, "vpn-file", 1) != NULL);
	CHECK_STR(tunnel_of(e, "vpn-0a", 1)->ct.t.opt.psk, "filetunnelpsk2");
	svc_free(s);
	engine_free(e);
	/* the API allocates from the file's IPv4 pool minus what the file's tunnels use */
	unsetenv(API_VPN_POOL_ENV);
	CHECK_OK(svc_outside_pool_export(file));
	pool = getenv(API_VPN_POOL_ENV);
	CHECK(pool != NULL);
	CHECK_STR(pool, "198.51.100.1,198.51.100.2");
	CHECK_OK(conf_new_empty(&empty));
	unsetenv(API_VPN_POOL_ENV);
	CHECK_OK(svc_outside_pool_export(empty)); /* no pool: the API keeps its default */
	CHECK(getenv(API_VPN_POOL_ENV) == NULL);
	conf_free(empty);
	/* every pool address used by the file's tunnels: nothing for the API, said so */
	file->npool = 1;
	file->pool[0] = file->tunnels[0].t.outside_local;
	CHECK_ERR(svc_outside_pool_export(file), E_RANGE);
	CHECK(getenv(API_VPN_POOL_ENV) == NULL);
	conf_free(file);
	store_tmp_free(st, dir);
}

TEST(svc_new_needs_an_engine_and_a_store)
{
	struct svc_config cfg = {0};
	struct svc *s = (struct svc *)1;

	CHECK_ERR(svc_new(&cfg, &s), E_INVAL);
	CHECK(s == NULL);
}
