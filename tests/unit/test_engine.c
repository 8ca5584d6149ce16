/*
 * test_engine.c - the engine's reconcile logic (validate -> diff -> apply) and route preference,
 * through a recording backend: which tunnels start and stop, which routes move with health.
 * The real backend (IKE + data plane) is exercised against strongSwan in tests/net/s2s_*.sh.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "model/vpn.h"
#include "lib/ev.h"
#include "test.h"

struct rec {
	char log[64][128];
	size_t n;
	bool fail_start;
};

static struct rec rec;

static void rec_add(const char *fmt, const char *a, unsigned b, unsigned c)
{
	if (rec.n < 64)
		snprintf(rec.log[rec.n++], sizeof(rec.log[0]), fmt, a, b, c);
}

static bool rec_has(const char *s)
{
	for (size_t i = 0; i < rec.n; i++)
		if (strcmp(rec.log[i], s) == 0)
			return true;
	return false;
}

static result_t b_start(struct engine *e, struct engine_tunnel *t)
{
	(void)e;
	rec_add("start %s %u", t->ct.t.vpn_id, t->ct.t.index, 0);
	if (rec.fail_start) {
		engine_tunnel_set_status(t, false, "cannot open the data plane");
		return E_SYSTEM;
	}
	t->dp_handle = 1;
	return E_OK;
}

static void b_stop(struct engine *e, struct engine_tunnel *t)
{
	(void)e;
	rec_add("stop %s %u", t->ct.t.vpn_id, t->ct.t.index, 0);
	t->dp_handle = 0;
}

static result_t b_route_add(struct engine *e, struct engine_tunnel *t, const struct conf_route *r)
{
	(void)e;
	if (!t->dp_handle)
		return E_STATE;
	rec_add("add %s %u /%u", t->ct.t.vpn_id, t->ct.t.index, r->prefix.len);
	return E_OK;
}

static void b_route_del(struct engine *e, struct engine_tunnel *t, const struct conf_route *r)
{
	(void)e;
	rec_add("del %s %u /%u", t->ct.t.vpn_id, t->ct.t.index, r->prefix.len);
}

/* "kroute 10.1.0.0/16 vpn-a 1 100": the one kernel route of the prefix, via tunnel 1. */
static result_t b_kroute_set(struct engine *e, const struct engine_tunnel *t,
                             const struct prefix *p, uint32_t metric, unsigned *dev)
{
	char pf[PREFIX_STRLEN];

	(void)e;
	prefix_format(p, pf);
	if (rec.n < 64)
		snprintf(rec.log[rec.n++], sizeof(rec.log[0]), "kroute %s %s %u %u", pf,
		         t->ct.t.vpn_id, t->ct.t.index, metric);
	*dev = t->ct.t.index;
	return E_OK;
}

static void b_kroute_del(struct engine *e, unsigned dev, const struct prefix *p, uint32_t metric)
{
	char pf[PREFIX_STRLEN];

	(void)e;
	prefix_format(p, pf);
	if (rec.n < 64)
		snprintf(rec.log[rec.n++], sizeof(rec.log[0]), "kdel %s dev %u %u", pf, dev,
		         metric);
}

static result_t b_rekey(struct engine *e, struct engine_tunnel *t, bool ike)
{
	(void)e;
	rec_add(ike ? "rekey-ike %s %u" : "rekey-child %s %u", t->ct.t.vpn_id, t->ct.t.index, 0);
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

#define HEAD "outside-address 198.51.100.1 198.51.100.2\n"
#define TUN1(extra)                                                                                \
	"tunnel vpn-a 1 {\n local-address 198.51.100.1\n remote-address 192.0.2.2\n"               \
	" inside-cidr 169.254.10.0/30\n pre-shared-key tunnel1psk\n route 10.1.0.0/16\n" extra     \
	"}\n"
#define TUN2(extra)                                                                                \
	"tunnel vpn-a 2 {\n local-address 198.51.100.2\n remote-address 192.0.2.2\n"               \
	" inside-cidr 169.254.11.0/30\n pre-shared-key tunnel2psk\n route 10.1.0.0/16 priority "   \
	"200\n" extra "}\n"

static struct conf *parse(const char *txt)
{
	static struct conf_diags d;
	struct conf *c = NULL;

	if (conf_parse_text("t", txt, strlen(txt), &c, &d) != E_OK)
		conf_diags_print(&d, stderr);
	return c;
}

static struct engine_tunnel *find(struct engine *e, unsigned index)
{
	for (struct engine_tunnel *t = e->tunnels; t; t = t->next)
		if (t->ct.t.index == index)
			return t;
	return NULL;
}

TEST(engine_metric_health_first_then_priority)
{
	CHECK(engine_route_metric(true, 65535) < engine_route_metric(false, 0));
	CHECK(engine_route_metric(true, 100) < engine_route_metric(true, 200));
	CHECK(engine_route_metric(false, 100) < engine_route_metric(false, 200));
	CHECK_EQ(engine_route_metric(true, 4000000000u), ENGINE_ROUTE_PRIORITY_MAX);
}

TEST(engine_apply_reconciles_only_what_changed)
{
	struct conf *c1 = parse(HEAD TUN1("") TUN2(""));
	struct conf *c2 = parse(HEAD TUN1("") TUN2(" replay-window-size 64\n"));
	struct conf *c3 = parse(HEAD TUN1(" route 10.2.0.0/16\n") TUN2(" replay-window-size 64\n"));
	struct conf *c4 = parse(HEAD TUN2(" replay-window-size 64\n"));
	struct engine *e = NULL;

	CHECK(c1 && c2 && c3 && c4);
	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, c1, &e));
	CHECK_EQ(engine_tunnel_count(e), 2);
	CHECK(rec_has("start vpn-a 1") && rec_has("start vpn-a 2"));
	CHECK(rec_has("add vpn-a 1 /16") && rec_has("add vpn-a 2 /16"));
	/* ONE kernel route for the prefix both route: tunnel 1 (both DOWN, priority 100 < 200),
	 * at the unhealthy metric (unhealthy + 100). */
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 1 1048676"));
	CHECK(!rec_has("kroute 10.1.0.0/16 vpn-a 2 1048776"));

	/* The same configuration again: nothing happens. */
	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_apply(e, c1));
	CHECK_EQ(rec.n, 0);

	/* Tunnel 2's options change: only tunnel 2 restarts (G:4369). */
	CHECK_OK(engine_apply(e, c2));
	CHECK(rec_has("stop vpn-a 2") && rec_has("start vpn-a 2"));
	CHECK(!rec_has("stop vpn-a 1") && !rec_has("start vpn-a 1"));
	CHECK_EQ(find(e, 2)->ct.t.opt.replay_window, 64);

	/* Only routes change on tunnel 1: no restart, routes replaced. */
	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_apply(e, c3));
	CHECK(!rec_has("stop vpn-a 1") && !rec_has("start vpn-a 1"));
	CHECK(!rec_has("del vpn-a 1 /16") && rec_has("add vpn-a 1 /16"));
	CHECK(rec_has("kroute 10.2.0.0/16 vpn-a 1 1048676"));
	CHECK_EQ(find(e, 1)->ct.nroutes, 2);
	CHECK_EQ(rec.n, 2); /* the kept route untouched: only 10.2.0.0/16 added */

	/* Tunnel 1 removed. */
	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_apply(e, c4));
	CHECK(rec_has("stop vpn-a 1") && !rec_has("stop vpn-a 2"));
	CHECK_EQ(engine_tunnel_count(e), 1);
	/* Its prefix moves to tunnel 2 (added before the old one goes), 10.2/16 goes. */
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 2 1048776"));
	CHECK(rec_has("kdel 10.1.0.0/16 dev 1 1048676"));
	CHECK(rec_has("kdel 10.2.0.0/16 dev 1 1048676"));

	memset(&rec, 0, sizeof(rec));
	engine_free(e);
	CHECK(rec_has("stop vpn-a 2"));
	conf_free(c1);
	conf_free(c2);
	conf_free(c3);
	conf_free(c4);
}

TEST(engine_status_and_routes_follow_health)
{
	struct conf *c = parse(HEAD TUN1("") TUN2(""));
	struct engine_tunnel_status st;
	struct engine *e = NULL;
	struct engine_tunnel *t1;

	CHECK(c != NULL);
	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, c, &e));
	CHECK_OK(engine_tunnel_status(e, "vpn-a", 1, &st));
	CHECK(!st.up);
	CHECK(st.last_status_change_s > 0);
	CHECK_STR(st.status_message, "waiting for the customer gateway to initiate");
	CHECK_EQ(st.accepted_route_count, 1);
	CHECK_ERR(engine_tunnel_status(e, "vpn-a", 3, &st), E_NOTFOUND);
	CHECK_ERR(engine_tunnel_status(e, "vpn-b", 1, &st), E_NOTFOUND);

	/* IKE reports UP: the route moves to the healthy metric. */
	t1 = find(e, 1);
	memset(&rec, 0, sizeof(rec));
	engine_tunnel_set_status(t1, true, "IKE SA and CHILD SA established");
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 1 100"));
	CHECK(rec_has("kdel 10.1.0.0/16 dev 1 1048676"));
	CHECK(!rec_has("del vpn-a 1 /16")); /* the data-plane path stays */
	CHECK_OK(engine_tunnel_status(e, "vpn-a", 1, &st));
	CHECK(st.up && st.ike_up);
	CHECK_STR(st.status_message, "IKE SA and CHILD SA established");

	/* Same state, new message: no route churn. */
	memset(&rec, 0, sizeof(rec));
	engine_tunnel_set_status(t1, true, "CHILD SA rekeyed");
	CHECK_EQ(rec.n, 0);

	/* DOWN again (DPD): back behind every healthy path. */
	engine_tunnel_set_status(t1, false, "AWS tunnel DPD timed out after 3 retransmits");
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 1 1048676"));
	CHECK_OK(engine_tunnel_status(e, "vpn-a", 1, &st));
	CHECK(!st.up);
	CHECK_EQ(st.accepted_route_count, 1); /* per tunnel, whatever the kernel route says */

	/* Tunnel 2 UP, tunnel 1 DOWN: the route fails over although tunnel 1 has the better
	 * priority (health first); tunnel 1 UP again: back to it (priority). */
	memset(&rec, 0, sizeof(rec));
	engine_tunnel_set_status(find(e, 2), true, "IKE SA and CHILD SA established");
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 2 200"));
	CHECK(rec_has("kdel 10.1.0.0/16 dev 1 1048676"));
	memset(&rec, 0, sizeof(rec));
	engine_tunnel_set_status(t1, true, "IKE SA and CHILD SA established");
	CHECK(rec_has("kroute 10.1.0.0/16 vpn-a 1 100"));
	CHECK(rec_has("kdel 10.1.0.0/16 dev 2 200"));
	CHECK_OK(engine_tunnel_status(e, "vpn-a", 2, &st));
	CHECK_EQ(st.accepted_route_count, 1);

	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_tunnel_rekey_child(e, "vpn-a", 2));
	CHECK_OK(engine_tunnel_rekey_ike(e, "vpn-a", 1));
	CHECK(rec_has("rekey-child vpn-a 2") && rec_has("rekey-ike vpn-a 1"));
	CHECK_ERR(engine_tunnel_rekey_child(e, "nope", 1), E_NOTFOUND);
	engine_free(e);
	conf_free(c);
}

TEST(engine_start_failure_is_a_status_not_an_error)
{
	struct conf *c = parse(HEAD TUN1(""));
	struct engine_tunnel_status st;
	struct engine *e = NULL;

	CHECK(c != NULL);
	memset(&rec, 0, sizeof(rec));
	rec.fail_start = true;
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, c, &e));
	CHECK_OK(engine_tunnel_status(e, "vpn-a", 1, &st));
	CHECK(!st.up);
	CHECK_STR(st.status_message, "cannot open the data plane");
	CHECK_EQ(st.accepted_route_count, 0);
	engine_free(e);
	conf_free(c);
	rec.fail_start = false;
}

/* The API's connections go through the same model and the same diff. */
TEST(engine_apply_vpn_connections_from_the_model)
{
	struct model_vpn_connection v;
	struct prefix p;
	struct addr cgw;
	struct conf *c = NULL;
	struct engine *e = NULL;

	model_vpn_init(&v);
	snprintf(v.id, sizeof(v.id), "vpn-0123abcd");
	v.opt.static_routes_only = true;
	CHECK_OK(addr_parse("198.51.100.1", &v.tunnels[0].outside_ip));
	CHECK_OK(addr_parse("198.51.100.2", &v.tunnels[1].outside_ip));
	CHECK_OK(prefix_parse("169.254.10.0/30", false, &v.tunnels[0].opt.inside_cidr));
	CHECK_OK(prefix_parse("169.254.11.0/30", false, &v.tunnels[1].opt.inside_cidr));
	snprintf(v.tunnels[0].opt.psk, sizeof(v.tunnels[0].opt.psk), "tunnel1psk");
	snprintf(v.tunnels[1].opt.psk, sizeof(v.tunnels[1].opt.psk), "tunnel2psk");
	CHECK_OK(prefix_parse("172.16.0.0/16", false, &p));
	CHECK_OK(model_vpn_route_add(&v, &p));
	CHECK_OK(addr_parse("192.0.2.2", &cgw));

	CHECK_OK(conf_new_empty(&c));
	CHECK_OK(conf_add_vpn(c, &v, &cgw));
	CHECK_EQ(c->ntunnels, 2);
	CHECK_EQ(c->npool, 2);
	CHECK_STR(c->tunnels[1].t.vpn_id, "vpn-0123abcd");
	CHECK_EQ(c->tunnels[1].t.index, 2);
	CHECK(addr_equal(&c->tunnels[0].t.outside_remote, &cgw));
	CHECK_EQ(c->tunnels[0].nroutes, 1);
	CHECK(c->tunnels[0].routes[0].priority < c->tunnels[1].routes[0].priority);

	memset(&rec, 0, sizeof(rec));
	CHECK_OK(engine_new_backend(NULL, NULL, &rec_backend, NULL, c, &e));
	CHECK(rec_has("start vpn-0123abcd 1") && rec_has("start vpn-0123abcd 2"));
	CHECK(rec_has("add vpn-0123abcd 2 /16"));
	engine_free(e);
	conf_free(c);
	model_vpn_wipe(&v);
}
