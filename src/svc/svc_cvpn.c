/*
 * svc/svc_cvpn.c - Client VPN endpoints of the store as running OpenVPN servers
 * (svc/svc_cvpn.h): one server per available endpoint, its connection records, the
 * forwarding decision.
 */
#include "svc/svc_cvpn.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cvpn/cvpn_ops.h"
#include "lib/clock.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "store/store.h"
#include "svc/svc_cvpn_int.h"

#define CVPN_RETIRE_MS 4000 /* > the server's kill grace: HALT/RESTART can be retransmitted */

/* A client that got its address, and its connection record. */
struct cvpn_peer {
	uint32_t peer_id;
	char conn_id[CVPN_ID_MAX];
	uint64_t seen[4]; /* counters last written: bytes in/out, packets in/out */
};

/* One OpenVPN server of an endpoint. A retiring one has ended its clients and is freed
 * CVPN_RETIRE_MS later; its hooks still keep the records. */
struct cvpn_srv {
	struct svc_cvpn *s;
	char ep_id[CVPN_ID_MAX];
	struct ovpn_server *srv;
	struct ovpn_config oc; /* as started (paths cleared) */
	char fp[65];           /* fingerprint of certificates + options */
	struct cvpn_endpoint ep; /* rules and routes for the authorize hook */
	bool retiring;
	struct ev_timer retire;
	struct cvpn_peer *peers;
	size_t npeers, cap;
	struct cvpn_srv *next;
};

struct svc_cvpn {
	struct svc_cvpn_config cfg;
	struct cvpn_srv *srvs;
	struct ev_timer poll;
	uint64_t next_sync_ms;
	char nat_fp[65]; /* "" = table not ours yet */
	bool fwd_checked;
};

/* ---- connection records --------------------------------------------------------------- */

/* Load endpoint ep_id, let fn change it, save it, in one transaction. */
typedef bool (*rec_fn)(void *arg, struct cvpn_endpoint *e);

static result_t rec_update(struct svc_cvpn *s, const char *ep_id, rec_fn fn, void *arg)
{
	struct store_res row;
	struct cvpn_endpoint e;
	result_t rc;

	GUARD(store_begin(s->cfg.store));
	rc = cvpn_store_load(s->cfg.store, ep_id, &row, &e);
	if (rc == E_OK) {
		if (fn(arg, &e))
			rc = cvpn_store_save(s->cfg.store, &row, &e);
		store_res_fini(&row);
		cvpn_endpoint_fini(&e);
	}
	if (rc != E_OK) {
		store_rollback(s->cfg.store);
		return rc;
	}
	return store_commit(s->cfg.store);
}

static void counters_of(const struct ovpn_client_info *c, uint64_t v[4])
{
	v[0] = c->bytes_in;
	v[1] = c->bytes_out;
	v[2] = c->packets_in;
	v[3] = c->packets_out;
}

/* ingress: from the client into the network (E5 ingressBytes), egress: to the client. */
static void counters_set(struct cvpn_conn *r, const uint64_t v[4])
{
	r->ingress_bytes = v[0];
	r->egress_bytes = v[1];
	r->ingress_packets = v[2];
	r->egress_packets = v[3];
}

struct rec_new {
	const struct cvpn_conn *c;
};

static bool rec_add(void *arg, struct cvpn_endpoint *e)
{
	const struct rec_new *n = arg;

	return cvpn_conn_add(e, n->c) == E_OK;
}

struct rec_gone {
	const char *conn_id;
	const struct ovpn_client_info *c;
	const char *reason;
	struct cvpn_conn final; /* the record as ended, for the connection log */
	char cn[OVPN_CN_LEN + 1];
};

static bool rec_end(void *arg, struct cvpn_endpoint *e)
{
	struct rec_gone *g = arg;
	struct cvpn_conn *r = cvpn_conn_find(e, g->conn_id);
	uint64_t v[4];

	if (!r)
		return false;
	if (g->c) {
		counters_of(g->c, v);
		counters_set(r, v);
	}
	if (r->status == CVPN_CONN_ACTIVE)
		cvpn_conn_end(r, store_now_ms(), CVPN_END_GONE, g->reason);
	g->final = *r;
	snprintf(g->cn, sizeof(g->cn), "%s", r->common_name ? r->common_name : "");
	g->final.common_name = g->cn;
	g->final.username = NULL;
	return true;
}

static bool rec_end_all(void *arg, struct cvpn_endpoint *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_conns; i++)
		if (e->conns[i].status == CVPN_CONN_ACTIVE) {
			cvpn_conn_end(&e->conns[i], store_now_ms(), CVPN_END_GONE, arg);
			n++;
		}
	return n > 0;
}

/* ---- ovpn hooks ----------------------------------------------------------------------- */

static struct cvpn_peer *peer_find(struct cvpn_srv *v, uint32_t peer_id)
{
	for (size_t i = 0; i < v->npeers; i++)
		if (v->peers[i].peer_id == peer_id)
			return &v->peers[i];
	return NULL;
}

/* E2 + E3 (cvpn_forward_allowed). Certificate authentication carries no groups, so only
 * "all groups" rules can match. */
static bool on_authorize(void *arg, const struct ovpn_client_info *c, const struct addr *dst)
{
	struct cvpn_srv *v = arg;

	(void)c;
	return !v->retiring && cvpn_forward_allowed(&v->ep, dst, NULL, 0);
}

static void on_connected(void *arg, const struct ovpn_client_info *c)
{
	struct cvpn_srv *v = arg;
	struct cvpn_conn r;
	struct cvpn_peer *p;
	struct rec_new n = {&r};
	result_t rc;

	if (v->retiring) { /* its endpoint stopped serving: no new sessions (A11) */
		if (ovpn_server_client_kill(v->srv, c->peer_id, OVPN_KILL_HALT,
		                            "The Client VPN endpoint is not available") != E_OK)
			log_debug("cvpn", "%s: peer %u already gone", v->ep_id, c->peer_id);
		return;
	}
	if (v->npeers == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		struct cvpn_peer *np = realloc(v->peers, cap * sizeof(*np));

		if (!np) {
			log_err("cvpn", "%s: no memory for a connection record", v->ep_id);
			return;
		}
		v->peers = np;
		v->cap = cap;
	}
	memset(&r, 0, sizeof(r));
	if (store_id_new(v->s->cfg.store, CVPN_PREFIX_CONN, r.id) != E_OK)
		return;
	r.common_name = (char *)c->common_name;
	addr_format(&c->vpn_addr, r.client_ip);
	r.status = CVPN_CONN_ACTIVE;
	r.established_ms = store_now_ms();
	rc = rec_update(v->s, v->ep_id, rec_add, &n);
	if (rc != E_OK) {
		log_err("cvpn", "%s: connection of CN=%s not recorded: %s", v->ep_id,
		        c->common_name, err_msg(rc));
		return;
	}
	cvpn_connlog_write(v->s->cfg.data_dir, &v->ep, &r, c, r.established_ms);
	p = &v->peers[v->npeers++];
	memset(p, 0, sizeof(*p));
	p->peer_id = c->peer_id;
	memcpy(p->conn_id, r.id, sizeof(p->conn_id));
	{
		char from[ADDR_STRLEN];

		addr_format(&c->remote_addr, from);
		log_info("cvpn", "%s: %s CN=%s from %s port %u got %s", v->ep_id, r.id,
		         c->common_name, from, c->remote_port, r.client_ip);
	}
}

static void on_disconnected(void *arg, const struct ovpn_client_info *c, const char *reason)
{
	struct cvpn_srv *v = arg;
	struct cvpn_peer *p = peer_find(v, c->peer_id);
	struct rec_gone g;
	result_t rc;

	if (!p)
		return;
	memset(&g, 0, sizeof(g));
	g.conn_id = p->conn_id;
	g.c = c;
	g.reason = reason;
	rc = rec_update(v->s, v->ep_id, rec_end, &g);
	if (rc != E_OK && rc != E_NOTFOUND)
		log_warn("cvpn", "%s: end of %s not recorded: %s", v->ep_id, p->conn_id,
		         err_msg(rc));
	if (rc == E_OK && g.final.id[0])
		cvpn_connlog_write(v->s->cfg.data_dir, &v->ep, &g.final, c, store_now_ms());
	log_info("cvpn", "%s: %s CN=%s ended: %s", v->ep_id, p->conn_id, c->common_name, reason);
	*p = v->peers[--v->npeers];
}

/* ---- one server ----------------------------------------------------------------------- */

static void srv_unlink(struct svc_cvpn *s, struct cvpn_srv *v)
{
	for (struct cvpn_srv **pp = &s->srvs; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			return;
		}
}

/* Free the server; records of clients still listed end as `reason`. */
static void srv_free(struct cvpn_srv *v, const char *reason)
{
	struct svc_cvpn *s = v->s;

	if (ev_timer_armed(&v->retire))
		ev_timer_cancel(s->cfg.loop, &v->retire);
	srv_unlink(s, v);
	ovpn_server_free(v->srv);
	if (v->npeers)
		(void)rec_update(s, v->ep_id, rec_end_all, (void *)reason);
	cvpn_endpoint_fini(&v->ep);
	free(v->peers);
	free(v);
}

static void on_retired(struct ev_timer *t)
{
	srv_free(t->arg, "Endpoint stopped serving");
}

/* End every client (HALT: the endpoint stops; RESTART: it moves) and free it soon. */
static void srv_retire(struct cvpn_srv *v, enum ovpn_kill_mode how, const char *why)
{
	log_info("cvpn", "%s: server on %s port %u stops: %s", v->ep_id,
	         v->oc.proto == OVPN_PROTO_TCP ? "tcp" : "udp", v->oc.port, why);
	v->retiring = true;
	if (!v->npeers) {
		srv_free(v, why);
		return;
	}
	(void)ovpn_server_kill_all(v->srv, how, why);
	ev_timer_arm(v->s->cfg.loop, &v->retire, CVPN_RETIRE_MS);
}

static struct cvpn_srv *srv_find(struct svc_cvpn *s, const char *ep_id)
{
	for (struct cvpn_srv *v = s->srvs; v; v = v->next)
		if (!v->retiring && strcmp(v->ep_id, ep_id) == 0)
			return v;
	return NULL;
}

/* ---- endpoint -> server configuration --------------------------------------------------- */

static void tun_name(const char *ep_id, char out[16])
{
	size_t n = strlen(ep_id);

	snprintf(out, 16, "cvpn%.11s", n > 11 ? ep_id + n - 11 : ep_id);
}

/* client-vpn.md F: ClientCidrBlock, port/transport, DNS, split tunnel, session timeout. */
static void oc_build(const struct svc_cvpn *s, const struct cvpn_endpoint *e,
                     struct ovpn_config *oc)
{
	ovpn_config_defaults(oc);
	oc->proto = e->transport == CVPN_TCP ? OVPN_PROTO_TCP : OVPN_PROTO_UDP;
	oc->listen_addr = e->listen_addr;
	oc->port = e->port;
	oc->client_cidr = e->client_cidr;
	/* B9b: split tunnel pushes the endpoint's routes; otherwise redirect-gateway def1. */
	oc->split_tunnel = e->split_tunnel;
	for (size_t i = 0; e->split_tunnel && i < e->n_routes && oc->n_routes < OVPN_MAX_ROUTES;
	     i++)
		if (!prefix_overlaps(&e->routes[i].dst, &e->client_cidr))
			oc->routes[oc->n_routes++] = e->routes[i].dst;
	for (size_t i = 0; i < e->n_dns && i < OVPN_MAX_DNS; i++)
		oc->dns[oc->n_dns++] = e->dns[i];
	oc->session_timeout_sec = e->session_hours * (s->cfg.hour_s ? s->cfg.hour_s : SVC_CVPN_HOUR_S);
	oc->session_restart = !e->disconnect_on_session_timeout;
	tun_name(e->id, oc->tun_name);
}

static void fp_add(EVP_MD_CTX *md, const char *s)
{
	if (s)
		(void)EVP_DigestUpdate(md, s, strlen(s) + 1);
	else
		(void)EVP_DigestUpdate(md, "", 1);
}

/* What a running server must be reconfigured for: its certificates and pushed options. */
static result_t fp_compute(const struct cvpn_materials *m, const struct ovpn_config *oc,
                           char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[32];
	unsigned int hl = 0;
	char a[PREFIX_STRLEN];
	int ok;

	if (!md)
		return E_NOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	fp_add(md, m->server_cert_chain);
	fp_add(md, m->server_key);
	fp_add(md, m->client_ca);
	fp_add(md, m->crl);
	for (size_t i = 0; i < oc->n_routes; i++) {
		prefix_format(&oc->routes[i], a);
		fp_add(md, a);
	}
	fp_add(md, "dns");
	for (size_t i = 0; i < oc->n_dns; i++) {
		addr_format(&oc->dns[i], a);
		fp_add(md, a);
	}
	snprintf(a, sizeof(a), "%d %u %d", oc->split_tunnel, oc->session_timeout_sec,
	         oc->session_restart);
	fp_add(md, a);
	ok = ok && EVP_DigestFinal_ex(md, h, &hl) && hl == sizeof(h);
	EVP_MD_CTX_free(md);
	if (!ok)
		return E_CRYPTO;
	hex_encode(h, sizeof(h), out);
	return E_OK;
}

/* Fields a running server cannot change. */
static bool oc_same_socket(const struct ovpn_config *a, const struct ovpn_config *b)
{
	return a->proto == b->proto && a->port == b->port &&
	       addr_equal(&a->listen_addr, &b->listen_addr) &&
	       prefix_equal(&a->client_cidr, &b->client_cidr);
}

static result_t srv_start(struct svc_cvpn *s, struct cvpn_endpoint *e, struct ovpn_config *oc,
                          const struct cvpn_materials *m, const char *fp)
{
	struct cvpn_srv *v = calloc(1, sizeof(*v));
	struct cvpn_files f;
	result_t rc;

	if (!v)
		return E_NOMEM;
	v->s = s;
	snprintf(v->ep_id, sizeof(v->ep_id), "%s", e->id);
	cvpn_endpoint_init(&v->ep);
	ev_timer_init(&v->retire, on_retired, v);
	oc->hooks = (struct ovpn_hooks){v, on_authorize, on_connected, on_disconnected};
	/* A retiring server of this endpoint (its port changed) holds the TUN name: its clients
	 * have their RESTART already; it goes now. */
	for (struct cvpn_srv *o = s->srvs, *next; o; o = next) {
		next = o->next;
		if (o->retiring && strcmp(o->ep_id, e->id) == 0)
			srv_free(o, "Endpoint moved to another port");
	}
	rc = cvpn_files_write(s->cfg.data_dir, e->id, m, &f, oc);
	if (rc == E_OK) {
		rc = ovpn_server_new(s->cfg.loop, oc, &v->srv);
		cvpn_files_remove(&f);
	}
	if (rc != E_OK) {
		free(v);
		return rc;
	}
	oc->cert_path = oc->key_path = oc->ca_path = oc->crl_path = NULL;
	v->oc = *oc;
	memcpy(v->fp, fp, sizeof(v->fp));
	v->next = s->srvs;
	s->srvs = v;
	if (!s->fwd_checked) {
		cvpn_forwarding_check();
		s->fwd_checked = true;
	}
	{
		char la[ADDR_STRLEN], cc[PREFIX_STRLEN];

		addr_format(&oc->listen_addr, la);
		prefix_format(&oc->client_cidr, cc);
		log_info("cvpn", "%s: serving %s %s port %u, clients %s on %s", e->id,
		         oc->proto == OVPN_PROTO_TCP ? "tcp" : "udp", la,
		         ovpn_server_port(v->srv), cc, ovpn_server_tun_name(v->srv));
	}
	return E_OK;
}

static result_t srv_reconfigure(struct svc_cvpn *s, struct cvpn_srv *v, struct ovpn_config *oc,
                                const struct cvpn_materials *m, const char *fp)
{
	struct cvpn_files f;
	result_t rc;

	oc->hooks = v->oc.hooks;
	GUARD(cvpn_files_write(s->cfg.data_dir, v->ep_id, m, &f, oc));
	rc = ovpn_server_reconfigure(v->srv, oc);
	cvpn_files_remove(&f);
	GUARD(rc);
	oc->cert_path = oc->key_path = oc->ca_path = oc->crl_path = NULL;
	v->oc = *oc;
	memcpy(v->fp, fp, sizeof(v->fp));
	log_info("cvpn", "%s: server reconfigured", v->ep_id);
	return E_OK;
}

/* Cut live clients whose record the API ended: Terminate -> HALT, a reset -> RESTART. */
static void srv_cut_ended(struct cvpn_srv *v)
{
	size_t n = 0, cap = v->npeers;
	struct {
		uint32_t peer_id;
		enum ovpn_kill_mode how;
		char msg[96];
	} *cut;

	if (!cap)
		return;
	/* A kill may run the disconnected hook at once, which edits v->peers: collect first. */
	cut = calloc(cap, sizeof(*cut));
	if (!cut)
		return;
	for (size_t i = 0; i < v->npeers; i++) {
		const struct cvpn_conn *r = cvpn_conn_find(&v->ep, v->peers[i].conn_id);

		if (!r || r->status == CVPN_CONN_ACTIVE)
			continue;
		cut[n].peer_id = v->peers[i].peer_id;
		cut[n].how = r->end == CVPN_END_TERMINATED ? OVPN_KILL_HALT : OVPN_KILL_RESTART;
		snprintf(cut[n].msg, sizeof(cut[n].msg), "%s", r->msg[0] ? r->msg : "terminated");
		n++;
	}
	/* E_NOTFOUND: already being cut by an earlier sync. */
	for (size_t i = 0; i < n; i++)
		if (ovpn_server_client_kill(v->srv, cut[i].peer_id, cut[i].how, cut[i].msg) == E_OK)
			log_info("cvpn", "%s: peer %u cut (%s): %s", v->ep_id, cut[i].peer_id,
			         cut[i].how == OVPN_KILL_HALT ? "HALT" : "RESTART", cut[i].msg);
	free(cut);
}

/* ---- sync ------------------------------------------------------------------------------ */

struct ep_list {
	struct cvpn_endpoint *v;
	size_t n;
};

static result_t ep_collect(void *arg, const struct store_res *r)
{
	struct ep_list *l = arg;
	struct cvpn_endpoint *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return E_NOMEM;
	l->v = nv;
	cvpn_endpoint_init(&nv[l->n]);
	if (cvpn_store_parse(r, &nv[l->n]) != E_OK) {
		log_warn("cvpn", "%s: stored endpoint unreadable: not served", r->id);
		return E_OK;
	}
	l->n++;
	return E_OK;
}

static void ep_list_fini(struct ep_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cvpn_endpoint_fini(&l->v[i]);
	free(l->v);
}

static bool listen_taken(const struct ep_list *l, const struct cvpn_endpoint *e,
                         const struct addr *a)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cvpn_endpoint *o = &l->v[i];

		if (o != e && o->status != CVPN_ST_DELETED && o->transport == e->transport &&
		    o->port == e->port && addr_equal(&o->listen_addr, a))
			return true;
	}
	return false;
}

static bool rec_listen(void *arg, struct cvpn_endpoint *e)
{
	e->listen_addr = *(const struct addr *)arg;
	return true;
}

/* The endpoint's listen address: kept, or the first free one of the pool (stored). */
static result_t listen_pick(struct svc_cvpn *s, const struct ep_list *l, struct cvpn_endpoint *e)
{
	struct addr a;
	size_t i;

	if (e->listen_addr.family)
		return E_OK;
	if (s->cfg.nlisten == 0) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET; /* the any-address */
		if (listen_taken(l, e, &a)) {
			log_err("cvpn",
			        "%s: another endpoint already serves %s port %u on every address: "
			        "give client-vpn-address one address per endpoint",
			        e->id, cvpn_transport_str(e->transport), e->port);
			return E_RANGE;
		}
	} else {
		for (i = 0; i < s->cfg.nlisten; i++)
			if (!listen_taken(l, e, &s->cfg.listen[i]))
				break;
		if (i == s->cfg.nlisten) {
			log_err("cvpn",
			        "%s: every client-vpn-address already serves %s port %u: add one "
			        "to the configuration",
			        e->id, cvpn_transport_str(e->transport), e->port);
			return E_RANGE;
		}
		a = s->cfg.listen[i];
	}
	GUARD(rec_update(s, e->id, rec_listen, &a));
	e->listen_addr = a;
	return E_OK;
}

/* One available endpoint: its server started, replaced or reconfigured; ended records cut.
 * e is moved into the server (left empty). */
static result_t ep_serve(struct svc_cvpn *s, struct cvpn_endpoint *e)
{
	struct cvpn_srv *v = srv_find(s, e->id);
	struct cvpn_materials m;
	struct ovpn_config oc;
	char fp[65];
	result_t rc;

	if (!e->listen_addr.family)
		return E_RANGE; /* listen_pick said why */
	oc_build(s, e, &oc);
	rc = cvpn_materials_get(s->cfg.store, s->cfg.region, s->cfg.account, e, &m);
	if (rc != E_OK) {
		log_err("cvpn", "%s: certificates not available (%s): not served", e->id,
		        err_msg(rc));
		if (v)
			srv_retire(v, OVPN_KILL_HALT, "certificates gone");
		return rc;
	}
	rc = fp_compute(&m, &oc, fp);
	if (rc == E_OK && v && !oc_same_socket(&v->oc, &oc)) {
		srv_retire(v, OVPN_KILL_RESTART, "VPN port changed");
		v = NULL;
	}
	if (rc == E_OK && !v)
		rc = srv_start(s, e, &oc, &m, fp);
	else if (rc == E_OK && strcmp(v->fp, fp) != 0)
		rc = srv_reconfigure(s, v, &oc, &m, fp);
	cvpn_materials_fini(&m);
	if (rc != E_OK) {
		log_err("cvpn", "%s: not served: %s", e->id, err_msg(rc));
		return rc;
	}
	v = srv_find(s, e->id);
	cvpn_endpoint_fini(&v->ep);
	v->ep = *e; /* moved: the list must not free it */
	cvpn_endpoint_init(e);
	srv_cut_ended(v);
	return E_OK;
}

static const struct cvpn_endpoint *ep_lookup(const struct ep_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

static void nat_sync(struct svc_cvpn *s)
{
	struct cvpn_nat v[CVPN_ENDPOINTS_MAX * 2];
	EVP_MD_CTX *md;
	unsigned char h[32];
	unsigned int hl = 0;
	char fp[65];
	size_t n = 0;

	for (struct cvpn_srv *p = s->srvs; p && n < sizeof(v) / sizeof(v[0]); p = p->next) {
		if (p->retiring)
			continue;
		v[n].cidr = p->oc.client_cidr;
		snprintf(v[n].tun, sizeof(v[n].tun), "%s", ovpn_server_tun_name(p->srv));
		n++;
	}
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, v, n * sizeof(v[0])) || !EVP_DigestFinal_ex(md, h, &hl)) {
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_MD_CTX_free(md);
	hex_encode(h, sizeof(h), fp);
	if ((n == 0 && !s->nat_fp[0]) || strcmp(fp, s->nat_fp) == 0)
		return;
	if (cvpn_nat_apply(v, n) == E_OK)
		memcpy(s->nat_fp, n ? fp : "", n ? sizeof(fp) : 1);
}

void svc_cvpn_sync(struct svc_cvpn *s)
{
	struct ep_list l = {NULL, 0};
	struct cvpn_srv *v, *next;

	if (store_res_foreach(s->cfg.store, CVPN_T_ENDPOINT, NULL, NULL, ep_collect, &l) != E_OK) {
		log_warn("cvpn", "endpoints not read from the store: servers left as they are");
		ep_list_fini(&l);
		return;
	}
	for (v = s->srvs; v; v = next) {
		const struct cvpn_endpoint *e = ep_lookup(&l, v->ep_id);

		next = v->next;
		if (!v->retiring && (!e || e->status != CVPN_ST_AVAILABLE))
			srv_retire(v, OVPN_KILL_HALT,
			           e ? "endpoint is not available" : "endpoint deleted");
	}
	/* Addresses first, against the whole list: serving moves endpoints out of it. */
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].status == CVPN_ST_AVAILABLE && listen_pick(s, &l, &l.v[i]) != E_OK)
			log_debug("cvpn", "%s: no listen address", l.v[i].id);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].status == CVPN_ST_AVAILABLE)
			(void)ep_serve(s, &l.v[i]);
	ep_list_fini(&l);
	nat_sync(s);
	s->next_sync_ms = clock_mono_ms() + SVC_CVPN_SYNC_MS;
}

/* ---- counters ---------------------------------------------------------------------------- */

struct rec_counts {
	struct cvpn_srv *v;
	const struct ovpn_client_info *ci;
	size_t n, written;
};

static bool rec_count(void *arg, struct cvpn_endpoint *e)
{
	struct rec_counts *rc = arg;

	for (size_t i = 0; i < rc->n; i++) {
		struct cvpn_peer *p = peer_find(rc->v, rc->ci[i].peer_id);
		struct cvpn_conn *r = p ? cvpn_conn_find(e, p->conn_id) : NULL;
		uint64_t now[4];

		if (!r)
			continue;
		counters_of(&rc->ci[i], now);
		if (memcmp(now, p->seen, sizeof(now)) == 0)
			continue;
		counters_set(r, now);
		memcpy(p->seen, now, sizeof(now));
		rc->written++;
	}
	return rc->written > 0;
}

static bool counters_changed(struct cvpn_srv *v, const struct ovpn_client_info *ci, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cvpn_peer *p = peer_find(v, ci[i].peer_id);
		uint64_t now[4];

		counters_of(&ci[i], now);
		if (p && memcmp(now, p->seen, sizeof(now)) != 0)
			return true;
	}
	return false;
}

size_t svc_cvpn_poll(struct svc_cvpn *s)
{
	size_t total = 0;

	for (struct cvpn_srv *v = s->srvs; v; v = v->next) {
		struct ovpn_client_info *ci;
		struct rec_counts rc = {v, NULL, 0, 0};

		if (!v->npeers)
			continue;
		ci = calloc(v->npeers, sizeof(*ci));
		if (!ci)
			continue;
		rc.ci = ci;
		rc.n = ovpn_server_clients(v->srv, ci, v->npeers);
		if (counters_changed(v, ci, rc.n) && rec_update(s, v->ep_id, rec_count, &rc) == E_OK)
			total += rc.written;
		free(ci);
	}
	return total;
}

static void on_poll(struct ev_timer *t)
{
	struct svc_cvpn *s = t->arg;

	if (clock_mono_ms() >= s->next_sync_ms)
		svc_cvpn_sync(s);
	svc_cvpn_poll(s);
	ev_timer_arm(s->cfg.loop, t, SVC_CVPN_POLL_MS);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

RESULT svc_cvpn_new(const struct svc_cvpn_config *cfg, struct svc_cvpn **out)
{
	struct svc_cvpn *s;
	struct ep_list l = {NULL, 0};

	*out = NULL;
	if (!cfg->loop || !cfg->store || !cfg->data_dir || !cfg->region || !cfg->account)
		return E_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return E_NOMEM;
	s->cfg = *cfg;
	/* Sessions of a previous run are gone: their records end now. */
	if (store_res_foreach(cfg->store, CVPN_T_ENDPOINT, NULL, NULL, ep_collect, &l) == E_OK)
		for (size_t i = 0; i < l.n; i++)
			for (size_t k = 0; k < l.v[i].n_conns; k++)
				if (l.v[i].conns[k].status == CVPN_CONN_ACTIVE) {
					(void)rec_update(s, l.v[i].id, rec_end_all,
					                 "Gatehouse restarted");
					break;
				}
	ep_list_fini(&l);
	svc_cvpn_sync(s);
	ev_timer_init(&s->poll, on_poll, s);
	ev_timer_arm(cfg->loop, &s->poll, SVC_CVPN_POLL_MS);
	*out = s;
	return E_OK;
}

void svc_cvpn_free(struct svc_cvpn *s)
{
	if (!s)
		return;
	if (ev_timer_armed(&s->poll))
		ev_timer_cancel(s->cfg.loop, &s->poll);
	while (s->srvs)
		srv_free(s->srvs, "Gatehouse stopped");
	if (s->nat_fp[0] && cvpn_nat_apply(NULL, 0) != E_OK)
		log_warn("cvpn", "nftables table not removed");
	free(s);
}
