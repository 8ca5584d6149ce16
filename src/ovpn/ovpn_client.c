/*
 * ovpn_client.c - one connected client: its key states (key_id 0..7, each with its own
 * reliability layer and TLS session), control packet input, retransmission, renegotiation
 * (soft reset) with a lame-duck key, keepalive and the data channel (openvpn-protocol.md 2, 3,
 * 6, 7).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "ovpn/ovpn_int.h"

const uint8_t ovpn_ping_magic[16] = {0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
                                     0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48};
const uint8_t ovpn_occ_magic[16] = {0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
                                    0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c};

static void ovpn_client_timer_cb(struct ev_timer *t);

static struct ovpn_ks *ovpn_ks_find(struct ovpn_client *c, uint8_t key_id)
{
	for (unsigned i = 0; i < OVPN_KS_N; i++) {
		if (c->ks[i].state != OVPN_KS_FREE && c->ks[i].key_id == key_id)
			return &c->ks[i];
	}
	return NULL;
}

static bool ovpn_ks_negotiating(const struct ovpn_ks *ks)
{
	return ks->state == OVPN_KS_TLS || ks->state == OVPN_KS_KM2 ||
	       ks->state == OVPN_KS_SENT_KEY;
}

/* A slot for a new key state: a free one, else the oldest that is not sending. */
static struct ovpn_ks *ovpn_ks_alloc(struct ovpn_client *c, uint8_t key_id, uint8_t reset_op)
{
	struct ovpn_ks *ks = NULL;
	uint64_t now = clock_mono_ms();

	for (unsigned i = 0; i < OVPN_KS_N && !ks; i++) {
		if (c->ks[i].state == OVPN_KS_FREE)
			ks = &c->ks[i];
	}
	for (unsigned i = 0; i < OVPN_KS_N && !ks; i++) {
		if (&c->ks[i] != c->send_ks && (!ks || c->ks[i].started_ms < ks->started_ms))
			ks = &c->ks[i];
	}
	if (!ks)
		return NULL;
	ovpn_ks_fini(ks);
	ovpn_reliable_init(&ks->rel);
	ks->key_id = key_id;
	ks->started_ms = now;
	if (ovpn_ks_tls_start(ks, c->srv->ssl_ctx) != E_OK)
		return NULL;
	ks->state = OVPN_KS_TLS;
	/* Each side's message 0 of a key state is its reset packet. */
	if (ovpn_reliable_queue(&ks->rel, reset_op, NULL, 0, now) != E_OK) {
		ovpn_ks_fini(ks);
		return NULL;
	}
	c->last_key_id = key_id;
	return ks;
}

RESULT ovpn_client_new(struct ovpn_server *srv, const struct sockaddr *sa, socklen_t salen,
                       struct ovpn_tcp_conn *conn, uint64_t sid_local, uint64_t sid_remote,
                       struct ovpn_client **out)
{
	struct ovpn_client *c = calloc(1, sizeof(*c));
	if (!c)
		return E_NOMEM;
	c->srv = srv;
	c->prof = ovpn_profile_ref(srv->prof);
	memcpy(&c->sa, sa, salen);
	c->salen = salen;
	c->conn = conn;
	c->sid_local = sid_local;
	c->sid_remote = sid_remote;
	c->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(2, 5);
	c->last_rx_ms = c->last_tx_ms = clock_mono_ms();
	if (addr_from_sockaddr(sa, &c->info.remote_addr, &c->info.remote_port) != E_OK)
		memset(&c->info.remote_addr, 0, sizeof(c->info.remote_addr));
	ev_timer_init(&c->timer, ovpn_client_timer_cb, c);
	struct ovpn_ks *ks = ovpn_ks_alloc(c, 0, OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
	if (!ks) {
		ovpn_profile_unref(c->prof);
		free(c);
		return E_NOMEM;
	}
	/* The stateless 3-way handshake already exchanged both resets (message 0 each way):
	 * the client echoed our cookie session id, so it has our reset. */
	ovpn_reliable_ack(&ks->rel, (const uint32_t[]){0}, 1);
	ks->rel.next_recv_id = 1;
	*out = c;
	return E_OK;
}

void ovpn_client_free(struct ovpn_client *c)
{
	ev_timer_cancel(c->srv->loop, &c->timer);
	for (unsigned i = 0; i < OVPN_KS_N; i++)
		ovpn_ks_fini(&c->ks[i]);
	ovpn_profile_unref(c->prof);
	secret_wipe(c, sizeof(*c));
	free(c);
}

void ovpn_client_event(struct ovpn_client *c, const char *event, const char *reason)
{
	char vpn[ADDR_STRLEN], rem[ADDR_STRLEN], port[8], pid[12], bin[24], bout[24];
	addr_format(&c->info.vpn_addr, vpn);
	addr_format(&c->info.remote_addr, rem);
	snprintf(port, sizeof(port), "%u", c->info.remote_port);
	snprintf(pid, sizeof(pid), "%u", c->info.peer_id);
	snprintf(bin, sizeof(bin), "%llu", (unsigned long long)c->info.bytes_in);
	snprintf(bout, sizeof(bout), "%llu", (unsigned long long)c->info.bytes_out);
	const struct log_field f[] = {
	    {"peer_id", pid},
	    {"common_name", c->info.common_name},
	    {"client_ip", vpn},
	    {"remote_ip", rem},
	    {"remote_port", port},
	    {"cipher", ovpn_cipher_name(c->info.cipher)},
	    {"bytes_in", bin},
	    {"bytes_out", bout},
	    {"reason", reason ? reason : ""},
	};
	log_info("ovpn", "peer %u CN=%s (%s port %s): %s%s%s, address %s", c->info.peer_id,
	         c->info.common_name, rem, port, event, reason ? ": " : "", reason ? reason : "",
	         vpn);
	log_record(event, f, sizeof(f) / sizeof(f[0]));
}

void ovpn_client_kill(struct ovpn_client *c, const char *reason)
{
	if (c->dead)
		return;
	/* A session the server is already ending keeps that reason (the client's EXIT or its
	 * TCP close after a HALT is the consequence, not the cause). */
	if (c->kill_at_ms)
		reason = c->kill_reason;
	c->dead = true;
	snprintf(c->dead_reason, sizeof(c->dead_reason), "%s", reason);
	ovpn_client_event(c, "ovpn.disconnect", reason);
	/* Freed from the timer, never under a caller that still holds the pointer. */
	ev_timer_arm(c->srv->loop, &c->timer, 0);
}

void ovpn_client_kill_later(struct ovpn_client *c, const char *reason)
{
	if (c->kill_at_ms)
		return;
	c->kill_at_ms = clock_mono_ms() + OVPN_KILL_GRACE_MS;
	snprintf(c->kill_reason, sizeof(c->kill_reason), "%s", reason);
}

void ovpn_client_end(struct ovpn_client *c, enum ovpn_kill_mode how, const char *reason)
{
	char msg[128];
	size_t n;

	if (c->dead || c->kill_at_ms)
		return;
	if (!reason)
		reason = "";
	/* openvpn-protocol.md 4: HALT makes the stock client exit (SIGTERM), RESTART makes it
	 * reconnect by itself (SIGUSR1). A reason starting with '[' would be read as flags. */
	n = (size_t)snprintf(msg, sizeof(msg), "%s%s%s",
	                     how == OVPN_KILL_RESTART ? "RESTART" : "HALT", reason[0] ? "," : "",
	                     reason[0] == '[' ? reason + 1 : reason);
	/* The client drops a control message holding any non-printable character. */
	for (size_t i = 0; i < n && i < sizeof(msg) - 1; i++) {
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	}
	if (ovpn_client_ctl_msg_send(c, msg) != E_OK) {
		ovpn_client_kill(c, reason); /* no control channel up: nothing to tell */
		return;
	}
	log_info("ovpn", "peer %u CN=%s: sent %s", c->info.peer_id, c->info.common_name, msg);
	ovpn_client_kill_later(c, reason);
	ovpn_client_flush(c);
	ovpn_client_schedule(c);
}

/* --- sending control packets ------------------------------------------------------------- */

static void ovpn_ctl_send(struct ovpn_client *c, struct ovpn_ks *ks, uint8_t opcode,
                          const struct ovpn_rel_send *msg, unsigned max_acks)
{
	struct ovpn_ctl p = {
	    .opcode = opcode,
	    .key_id = ks->key_id,
	    .sid = c->sid_local,
	    .remote_sid = c->sid_remote,
	};
	struct wbuf w;

	p.n_acks = (uint8_t)ovpn_reliable_take_acks(&ks->rel, p.acks, max_acks);
	if (msg) {
		p.msg_id = msg->msg_id;
		p.payload = msg->data;
		p.payload_len = msg->len;
	}
	wbuf_init(&w, c->srv->txbuf, sizeof(c->srv->txbuf));
	wbuf_put_u16(&w, 0); /* TCP length headroom */
	ovpn_ctl_build(&w, &p);
	ovpn_server_send(c->srv, c, &w);
}

/* Move TLS output into the send window, one P_CONTROL_V1 per OVPN_RELIABLE_PAYLOAD_MAX. */
static void ovpn_ks_tls_drain(struct ovpn_ks *ks, uint64_t now)
{
	uint8_t chunk[OVPN_RELIABLE_PAYLOAD_MAX];

	while (ks->wbio && BIO_ctrl_pending(ks->wbio) > 0 && ovpn_reliable_can_send(&ks->rel)) {
		int n = BIO_read(ks->wbio, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (ovpn_reliable_queue(&ks->rel, OVPN_P_CONTROL_V1, chunk, (size_t)n, now) != E_OK)
			break;
	}
}

static void ovpn_ks_flush(struct ovpn_client *c, struct ovpn_ks *ks, uint64_t now)
{
	struct ovpn_rel_send *s;

	ovpn_ks_tls_drain(ks, now);
	while ((s = ovpn_reliable_due(&ks->rel, now)) != NULL) {
		ovpn_ctl_send(c, ks, s->opcode, s, OVPN_CONTROL_SEND_ACK_MAX);
		ovpn_reliable_sent(s, now);
	}
	while (ks->rel.n_acks > 0)
		ovpn_ctl_send(c, ks, OVPN_P_ACK_V1, NULL, OVPN_ACK_MAX);
}

/* A key state whose key-method 2 went out and was acknowledged becomes the sending key; the
 * previous one stays valid for receiving during tran-window (openvpn-protocol.md 7). */
static void ovpn_ks_maybe_activate(struct ovpn_client *c, struct ovpn_ks *ks, uint64_t now)
{
	if (ks->state != OVPN_KS_SENT_KEY || !ks->dk.valid || !ovpn_reliable_idle(&ks->rel) ||
	    BIO_ctrl_pending(ks->wbio) > 0)
		return;
	ks->state = OVPN_KS_ACTIVE;
	if (c->send_ks && c->send_ks != ks) {
		c->send_ks->expire_ms = now + (uint64_t)c->prof->cfg.tran_window_sec * 1000;
		log_info("ovpn", "peer %u: key %u active, key %u kept for %u s", c->info.peer_id,
		         ks->key_id, c->send_ks->key_id, c->prof->cfg.tran_window_sec);
	}
	c->send_ks = ks;
	c->key_since_ms = now;
}

void ovpn_client_flush(struct ovpn_client *c)
{
	uint64_t now = clock_mono_ms();

	for (unsigned i = 0; i < OVPN_KS_N && !c->dead; i++) {
		struct ovpn_ks *ks = &c->ks[i];
		if (ks->state == OVPN_KS_FREE)
			continue;
		ovpn_ks_flush(c, ks, now);
		ovpn_ks_maybe_activate(c, ks, now);
	}
}

/* --- receiving control packets ----------------------------------------------------------- */

static void ovpn_ks_fail(struct ovpn_client *c, struct ovpn_ks *ks, const char *why)
{
	uint64_t now = clock_mono_ms();
	/* Let a TLS alert out before giving up. */
	ovpn_ks_flush(c, ks, now);
	ks->state = OVPN_KS_ERROR;
	if (!c->send_ks || c->send_ks == ks)
		ovpn_client_kill(c, why);
}

static void ovpn_ks_deliver(struct ovpn_client *c, struct ovpn_ks *ks)
{
	const struct ovpn_rel_recv *m;

	while (!c->dead && ks->state != OVPN_KS_ERROR && (m = ovpn_reliable_peek(&ks->rel))) {
		result_t rc = E_OK;
		if (m->opcode == OVPN_P_CONTROL_V1)
			rc = ovpn_ks_tls_pump(c, ks, m->data, m->len);
		ovpn_reliable_consume(&ks->rel);
		if (rc != E_OK) {
			ovpn_ks_fail(c, ks, "TLS error");
			return;
		}
	}
	if (ks->state == OVPN_KS_KM2 && ks->plain.len > 0 && ovpn_ks_km2_input(c, ks) != E_OK) {
		ovpn_ks_fail(c, ks, "key-method 2 failed");
		return;
	}
	if ((ks->state == OVPN_KS_SENT_KEY || ks->state == OVPN_KS_ACTIVE) && ks->plain.len > 0)
		ovpn_ks_msgs_input(c, ks);
}

static struct ovpn_ks *ovpn_ks_for_packet(struct ovpn_client *c, const struct ovpn_ctl *p)
{
	struct ovpn_ks *ks = ovpn_ks_find(c, p->key_id);
	if (ks || p->opcode != OVPN_P_CONTROL_SOFT_RESET_V1)
		return ks;
	/* Client-initiated renegotiation: key_id 1..7, never 0 again. */
	if (p->key_id == 0)
		return NULL;
	ks = ovpn_ks_alloc(c, p->key_id, OVPN_P_CONTROL_SOFT_RESET_V1);
	if (ks)
		log_info("ovpn", "peer %u: client renegotiates, key %u", c->info.peer_id,
		         p->key_id);
	return ks;
}

void ovpn_client_ctl_input(struct ovpn_client *c, const struct ovpn_ctl *p)
{
	if (c->dead)
		return;
	/* The session ids must match both ways (the echo only when acks are present). */
	if (p->sid != c->sid_remote || (p->n_acks > 0 && p->remote_sid != c->sid_local))
		return;
	if (p->opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2)
		return; /* a late duplicate of the first packet; already answered */
	struct ovpn_ks *ks = ovpn_ks_for_packet(c, p);
	if (!ks || ks->state == OVPN_KS_ERROR)
		return;
	c->last_rx_ms = clock_mono_ms();
	ovpn_reliable_ack(&ks->rel, p->acks, p->n_acks);
	if (p->has_msg_id) {
		result_t rc =
		    ovpn_reliable_recv(&ks->rel, p->msg_id, p->opcode, p->payload, p->payload_len);
		if (rc == E_OK)
			ovpn_ks_deliver(c, ks);
	}
	ovpn_client_flush(c);
	ovpn_client_schedule(c);
}

/* --- data channel ------------------------------------------------------------------------ */

static void ovpn_client_data_out(struct ovpn_client *c, const uint8_t *pt, size_t n)
{
	struct ovpn_ks *ks = c->send_ks;
	struct wbuf w;

	if (!ks || !ks->dk.valid)
		return;
	wbuf_init(&w, c->srv->txbuf, sizeof(c->srv->txbuf));
	wbuf_put_u16(&w, 0);
	uint32_t pid =
	    (c->caps.iv_proto & OVPN_IV_PROTO_DATA_V2) ? c->info.peer_id : OVPN_PEER_ID_UNDEF;
	if (ovpn_data_encrypt(&ks->dk, pid, pt, n, &w) != E_OK)
		return;
	c->last_tx_ms = clock_mono_ms();
	ovpn_server_send(c->srv, c, &w);
}

void ovpn_client_data_send(struct ovpn_client *c, const uint8_t *pkt, size_t n)
{
	if (c->dead || !c->pushed)
		return;
	c->info.packets_out++;
	c->info.bytes_out += n;
	ovpn_client_data_out(c, pkt, n);
}

/* Inner IPv4 packet from the client: source must be the address we gave it. */
static void ovpn_client_inner(struct ovpn_client *c, const uint8_t *pt, size_t n)
{
	struct ovpn_server *srv = c->srv;
	struct rbuf r;
	uint8_t vihl;
	uint32_t src, dst;
	struct addr d;

	rbuf_init(&r, pt, n);
	if (rbuf_get_u8(&r, &vihl) != E_OK || (vihl >> 4) != 4 || rbuf_skip(&r, 11) != E_OK ||
	    rbuf_get_u32(&r, &src) != E_OK || rbuf_get_u32(&r, &dst) != E_OK)
		return;
	if (src != addr_v4(&c->info.vpn_addr)) {
		if (log_ratelimit_ok(&c->rl))
			log_warn("ovpn", "peer %u: dropped packet with spoofed source",
			         c->info.peer_id);
		return;
	}
	addr_from_v4(&d, dst);
	if (srv->cfg.hooks.authorize && !srv->cfg.hooks.authorize(srv->cfg.hooks.arg, &c->info, &d))
		return;
	c->info.packets_in++;
	c->info.bytes_in += n;
	ovpn_server_tun_write(srv, pt, n);
}

RESULT ovpn_client_data_input(struct ovpn_client *c, const uint8_t *pkt, size_t n)
{
	struct ovpn_data_hdr h;
	struct wbuf w;

	if (c->dead)
		return E_STATE;
	GUARD(ovpn_data_hdr_parse(pkt, n, &h));
	struct ovpn_ks *ks = ovpn_ks_find(c, h.key_id);
	if (!ks || !ks->dk.valid)
		return E_OVPN_PEER_ID;
	/* A DATA_V2 peer-id is authenticated (AAD); it must be the one we pushed. */
	if (h.opcode == OVPN_P_DATA_V2 && h.peer_id != c->info.peer_id)
		return E_OVPN_PEER_ID;
	wbuf_init(&w, c->srv->ptbuf, sizeof(c->srv->ptbuf));
	result_t rc = ovpn_data_decrypt(&ks->dk, pkt, n, &w);
	if (rc != E_OK) {
		if (log_ratelimit_ok(&c->rl))
			log_warn("ovpn", "peer %u key %u: data packet dropped: %s", c->info.peer_id,
			         h.key_id, err_msg(rc));
		return rc;
	}
	c->last_rx_ms = clock_mono_ms();
	if (w.len == sizeof(ovpn_ping_magic) && memcmp(w.data, ovpn_ping_magic, w.len) == 0)
		return E_OK;
	if (w.len > sizeof(ovpn_occ_magic) && memcmp(w.data, ovpn_occ_magic, 16) == 0) {
		/* explicit-exit-notify without cc-exit: OCC_EXIT in the data channel */
		if (w.data[16] == OVPN_OCC_EXIT)
			ovpn_client_kill(c, "client exit (OCC)");
		return E_OK;
	}
	ovpn_client_inner(c, w.data, w.len);
	return E_OK;
}

bool ovpn_client_tc_fresh(struct ovpn_client *c, uint32_t pid, uint32_t net_time)
{
	/* packet_id.c: a later time starts a new sequence, an earlier one is a replay. */
	if (net_time > c->tc_time) {
		c->tc_time = net_time;
		memset(&c->tc_replay, 0, sizeof(c->tc_replay));
	} else if (net_time < c->tc_time) {
		return false;
	}
	if (ovpn_replay_check(&c->tc_replay, pid) != E_OK)
		return false;
	ovpn_replay_update(&c->tc_replay, pid);
	return true;
}

/* --- timers ------------------------------------------------------------------------------ */

static void ovpn_client_reneg_start(struct ovpn_client *c)
{
	uint8_t key_id = c->last_key_id >= 7 ? 1 : (uint8_t)(c->last_key_id + 1);
	/* Never reuse the key_id that is still in use for sending. */
	if (c->send_ks && c->send_ks->key_id == key_id)
		key_id = key_id >= 7 ? 1 : (uint8_t)(key_id + 1);
	if (ovpn_ks_alloc(c, key_id, OVPN_P_CONTROL_SOFT_RESET_V1))
		log_info("ovpn", "peer %u: server renegotiates, key %u", c->info.peer_id, key_id);
}

static bool ovpn_client_reneg_due(const struct ovpn_client *c, uint64_t now)
{
	const struct ovpn_config *cfg = &c->prof->cfg;

	if (!c->send_ks)
		return false;
	for (unsigned i = 0; i < OVPN_KS_N; i++) {
		if (ovpn_ks_negotiating(&c->ks[i]))
			return false;
	}
	if (c->send_ks->dk.send_pid >= OVPN_PKT_ID_RENEG)
		return true;
	return cfg->reneg_sec && now - c->key_since_ms >= (uint64_t)cfg->reneg_sec * 1000;
}

static void ovpn_client_ks_timers(struct ovpn_client *c, uint64_t now)
{
	uint64_t hand = (uint64_t)c->prof->cfg.hand_window_sec * 1000;

	for (unsigned i = 0; i < OVPN_KS_N && !c->dead; i++) {
		struct ovpn_ks *ks = &c->ks[i];
		if (ks->state == OVPN_KS_FREE || ks == c->send_ks)
			continue;
		bool hs_timeout = (ovpn_ks_negotiating(ks) || ks->state == OVPN_KS_ERROR) &&
		                  now - ks->started_ms > hand;
		if (hs_timeout && !c->send_ks) {
			ovpn_client_kill(c, "TLS handshake did not finish within hand-window");
		} else if (hs_timeout || (ks->expire_ms && now >= ks->expire_ms)) {
			log_debug("ovpn", "peer %u: key %u retired", c->info.peer_id, ks->key_id);
			ovpn_ks_fini(ks);
		}
	}
}

static void ovpn_client_tick(struct ovpn_client *c, uint64_t now)
{
	const struct ovpn_config *cfg = &c->prof->cfg;

	if (c->kill_at_ms && now >= c->kill_at_ms)
		ovpn_client_kill(c, c->kill_reason);
	ovpn_client_ks_timers(c, now);
	if (c->dead)
		return;
	if (cfg->ping_restart_sec && now - c->last_rx_ms > (uint64_t)cfg->ping_restart_sec * 1000) {
		ovpn_client_kill(c, "ping-restart: nothing received");
		return;
	}
	/* session-timeout: counted from the moment the client got its address. */
	if (c->pushed && cfg->session_timeout_sec && !c->kill_at_ms &&
	    now - c->info.connected_ms >= (uint64_t)cfg->session_timeout_sec * 1000) {
		ovpn_client_end(c, cfg->session_restart ? OVPN_KILL_RESTART : OVPN_KILL_HALT,
		                "session timeout");
		if (c->dead)
			return;
	}
	if (c->pushed && cfg->ping_sec && now - c->last_tx_ms >= (uint64_t)cfg->ping_sec * 1000)
		ovpn_client_data_out(c, ovpn_ping_magic, sizeof(ovpn_ping_magic));
	if (ovpn_client_reneg_due(c, now))
		ovpn_client_reneg_start(c);
	ovpn_client_flush(c);
}

void ovpn_client_schedule(struct ovpn_client *c)
{
	uint64_t now = clock_mono_ms(), next = now + OVPN_TICK_MS;

	if (c->dead)
		return;
	for (unsigned i = 0; i < OVPN_KS_N; i++) {
		if (c->ks[i].state == OVPN_KS_FREE)
			continue;
		uint64_t d = ovpn_reliable_deadline(&c->ks[i].rel);
		if (d < next)
			next = d;
	}
	ev_timer_arm(c->srv->loop, &c->timer, next > now ? next - now : 0);
}

static void ovpn_client_timer_cb(struct ev_timer *t)
{
	struct ovpn_client *c = t->arg;

	if (!c->dead)
		ovpn_client_tick(c, clock_mono_ms());
	if (c->dead) {
		ovpn_server_client_gone(c->srv, c);
		ovpn_client_free(c);
		return;
	}
	ovpn_client_schedule(c);
}
