/*
 * ovpn_push.c - what a key state does once TLS is up: read the client's key-method 2 message,
 * answer with ours, derive the data-channel keys (TLS-EKM or legacy PRF), then serve the text
 * control messages (PUSH_REQUEST -> PUSH_REPLY, EXIT). openvpn-protocol.md 3.1, 3.2, 4.
 */
#include <arpa/inet.h>
#include <string.h>

#include "lib/clock.h"
#include "ovpn/ovpn_int.h"

#define OVPN_PUSH_BUNDLE_SIZE 1024 /* PUSH_BUNDLE_SIZE */
#define OVPN_CTL_MSG_MAX 1024

static void ovpn_plain_drop(struct wbuf *w, size_t n)
{
	if (n > w->len)
		n = w->len;
	memmove(w->data, w->data + n, w->len - n);
	w->len -= n;
}

RESULT ovpn_client_ctl_msg_send(struct ovpn_client *c, const char *msg)
{
	struct ovpn_ks *ks = c->send_ks;
	/* Before the first key is active, use the key state that is up. */
	for (unsigned i = 0; !ks && i < OVPN_KS_N; i++) {
		if (c->ks[i].state >= OVPN_KS_SENT_KEY && c->ks[i].state != OVPN_KS_ERROR)
			ks = &c->ks[i];
	}
	if (!ks)
		return E_STATE;
	/* Each message is a NUL-terminated string in its own TLS record. */
	return ovpn_ks_tls_write(ks, msg, strlen(msg) + 1);
}

static RESULT ovpn_key2_derive(struct ovpn_client *c, struct ovpn_ks *ks, const struct ovpn_km2 *km,
                               const uint8_t r1[OVPN_RANDOM_LEN], const uint8_t r2[OVPN_RANDOM_LEN],
                               uint8_t key2[OVPN_KEY2_LEN])
{
	if (c->info.ekm) {
		static const char label[] = OVPN_EKM_LABEL;
		if (SSL_export_keying_material(ks->ssl, key2, OVPN_KEY2_LEN, label,
		                               sizeof(label) - 1, NULL, 0, 0) != 1)
			return E_CRYPTO;
		return E_OK;
	}
	return ovpn_key2_legacy(km, r1, r2, c->sid_remote, c->sid_local, key2);
}

static void ovpn_options_string(struct ovpn_client *c, char *buf, size_t cap)
{
	/* options_string.c: only compared for warnings by the peer, never for refusal. */
	snprintf(buf, cap,
	         "V4,dev-type tun,link-mtu 1549,tun-mtu %u,proto %s,cipher %s,auth [null-digest],"
	         "keysize %u,key-method 2,tls-server",
	         c->srv->cfg.tun_mtu, c->conn ? "TCPv4_SERVER" : "UDPv4",
	         ovpn_cipher_name(c->info.cipher),
	         c->info.cipher == OVPN_CIPHER_AES_128_GCM ? 128u : 256u);
}

/* The first key state fixes the session's cipher and key derivation from the peer-info. */
static void ovpn_client_negotiate(struct ovpn_client *c, const struct ovpn_km2 *km)
{
	if (c->cipher_set)
		return;
	c->cipher_set = true;
	ovpn_peer_caps_parse(km->peer_info, &c->caps);
	snprintf(c->info.version, sizeof(c->info.version), "%s", c->caps.version);
	c->info.ekm = (c->caps.iv_proto & OVPN_IV_PROTO_TLS_KEY_EXPORT) && !c->prof->cfg.no_ekm;
	if (ovpn_cipher_negotiate(c->prof->ciphers, c->prof->n_ciphers, &c->caps,
	                          &c->info.cipher) != E_OK) {
		c->info.cipher = OVPN_CIPHER_NONE;
		log_warn("ovpn", "peer %u CN=%s: no shared data cipher (client offers \"%s\")",
		         c->info.peer_id, c->info.common_name, c->caps.ciphers);
	}
	log_info("ovpn", "peer %u CN=%s: IV_VER=%s IV_PROTO=%u cipher %s, keys from %s",
	         c->info.peer_id, c->info.common_name, c->caps.version, c->caps.iv_proto,
	         ovpn_cipher_name(c->info.cipher), c->info.ekm ? "TLS-EKM" : "TLS1-PRF");
}

RESULT ovpn_ks_km2_input(struct ovpn_client *c, struct ovpn_ks *ks)
{
	struct ovpn_km2 km;
	uint8_t r1[OVPN_RANDOM_LEN], r2[OVPN_RANDOM_LEN], key2[OVPN_KEY2_LEN];
	uint8_t out[1024];
	char opts[OVPN_TLS_OPTIONS_LEN];
	struct wbuf w;
	size_t used = 0;
	result_t rc;

	rc = ovpn_km2_parse_client(ks->plain.data, ks->plain.len, &km, &used);
	if (rc == E_TRUNCATED)
		return E_OK; /* the rest is still in flight */
	GUARD_OUT(rc, rc);
	ovpn_plain_drop(&ks->plain, used);
	ovpn_client_negotiate(c, &km);
	GUARD_OUT(rc, secret_random(r1, sizeof(r1)));
	GUARD_OUT(rc, secret_random(r2, sizeof(r2)));
	ovpn_options_string(c, opts, sizeof(opts));
	wbuf_init(&w, out, sizeof(out));
	ovpn_km2_build_server(&w, r1, r2, opts);
	GUARD_OUT(rc, wbuf_result(&w));
	GUARD_OUT(rc, ovpn_ks_tls_write(ks, w.data, w.len));
	ks->state = OVPN_KS_SENT_KEY;
	if (c->info.cipher == OVPN_CIPHER_NONE) {
		if (ovpn_client_ctl_msg_send(c,
		                             "AUTH_FAILED,Data channel cipher negotiation failed "
		                             "(no shared cipher)") != E_OK)
			log_warn("ovpn", "peer %u: could not send AUTH_FAILED", c->info.peer_id);
		ovpn_client_kill_later(c, "no shared data cipher");
		rc = E_OK;
		goto out;
	}
	GUARD_OUT(rc, ovpn_key2_derive(c, ks, &km, r1, r2, key2));
	GUARD_OUT(rc, ovpn_data_key_init(&ks->dk, c->info.cipher, ks->key_id, key2, true));
out:
	secret_wipe(&km, sizeof(km));
	secret_wipe(key2, sizeof(key2));
	secret_wipe(r1, sizeof(r1));
	secret_wipe(r2, sizeof(r2));
	secret_wipe(out, sizeof(out));
	if (rc != E_OK)
		log_warn("ovpn", "peer %u key %u: key-method 2: %s", c->info.peer_id, ks->key_id,
		         err_msg(rc));
	return rc;
}

static void ovpn_put_v4(struct wbuf *w, uint32_t host)
{
	struct in_addr a = {.s_addr = htonl(host)};
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	wbuf_put_str(w, s);
}

static uint32_t ovpn_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xFFFFFFFFu << (32 - len);
}

/* The pushed options, comma-separated, without the "PUSH_REPLY," prefix (push.c
 * prepare_push_reply order: config options first, then ifconfig, peer-id, cipher, flags). */
static void ovpn_push_options(struct ovpn_client *c, struct wbuf *w)
{
	const struct ovpn_config *cfg = &c->prof->cfg;
	char a[ADDR_STRLEN];

	wbuf_put_str(w, "route-gateway ");
	ovpn_put_v4(w, c->srv->server_ip);
	wbuf_printf(w, ",topology subnet,ping %u,ping-restart %u", cfg->ping_sec,
	            cfg->ping_restart_sec);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		if (cfg->routes[i].addr.family != AF_INET)
			continue;
		wbuf_put_str(w, ",route ");
		ovpn_put_v4(w, addr_v4(&cfg->routes[i].addr));
		wbuf_put_str(w, " ");
		ovpn_put_v4(w, ovpn_mask(cfg->routes[i].len));
	}
	for (size_t i = 0; i < cfg->n_dns; i++) {
		addr_format(&cfg->dns[i], a);
		wbuf_printf(w, ",dhcp-option DNS %s", a);
	}
	if (!cfg->split_tunnel)
		wbuf_put_str(w, ",redirect-gateway def1");
	wbuf_put_str(w, ",ifconfig ");
	ovpn_put_v4(w, addr_v4(&c->info.vpn_addr));
	wbuf_put_str(w, " ");
	ovpn_put_v4(w, ovpn_mask(cfg->client_cidr.len));
	if (c->caps.iv_proto & OVPN_IV_PROTO_DATA_V2)
		wbuf_printf(w, ",peer-id %u", c->info.peer_id);
	wbuf_printf(w, ",cipher %s", ovpn_cipher_name(c->info.cipher));
	/* protocol-flags for cc-exit capable clients, else the older key-derivation keyword. */
	if (c->caps.iv_proto & OVPN_IV_PROTO_CC_EXIT_NOTIFY)
		wbuf_printf(w, ",protocol-flags cc-exit%s", c->info.ekm ? " tls-ekm" : "");
	else if (c->info.ekm)
		wbuf_put_str(w, ",key-derivation tls-ekm");
}

/* One PUSH_REPLY carries at most PUSH_BUNDLE_SIZE octets; a longer option list goes out in
 * several, each but the last ending ",push-continuation 2", the last ",push-continuation 1". */
static RESULT ovpn_push_reply_send_split(struct ovpn_client *c, const char *opts)
{
	static const char cont2[] = ",push-continuation 2", cont1[] = ",push-continuation 1";
	const size_t room = OVPN_PUSH_BUNDLE_SIZE - sizeof("PUSH_REPLY,") - sizeof(cont2);
	char msg[OVPN_PUSH_BUNDLE_SIZE + 1];
	size_t total = strlen(opts);
	bool split = total > room;

	while (*opts) {
		size_t n = 0;
		/* Whole options only: take the next one while it still fits. */
		for (;;) {
			size_t start = n ? n + 1 : 0, end = start + strcspn(opts + start, ",");
			if (end > room)
				break;
			n = end;
			if (!opts[n])
				break;
		}
		if (n == 0)
			return E_OVERFLOW; /* one option longer than a bundle */
		const char *rest = opts + n + (opts[n] == ',' ? 1 : 0);
		snprintf(msg, sizeof(msg), "PUSH_REPLY,%.*s%s", (int)n, opts,
		         !split  ? ""
		         : *rest ? cont2
		                 : cont1);
		GUARD(ovpn_client_ctl_msg_send(c, msg));
		opts = rest;
	}
	return E_OK;
}

static void ovpn_push_reply_send(struct ovpn_client *c)
{
	struct wbuf w;

	if (ovpn_server_addr_take(c->srv, c) != E_OK) {
		log_warn("ovpn", "peer %u CN=%s refused: the client address pool is exhausted",
		         c->info.peer_id, c->info.common_name);
		if (ovpn_client_ctl_msg_send(c, "AUTH_FAILED,No free address in the client CIDR") !=
		    E_OK)
			log_warn("ovpn", "peer %u: could not send AUTH_FAILED", c->info.peer_id);
		ovpn_client_kill_later(c, "client address pool exhausted");
		return;
	}
	wbuf_init_dyn(&w, 1024, 64 * 1024);
	ovpn_push_options(c, &w);
	const char *opts = wbuf_cstr(&w);
	result_t rc = wbuf_result(&w);
	if (rc == E_OK)
		rc = ovpn_push_reply_send_split(c, opts);
	log_debug("ovpn", "peer %u: PUSH_REPLY,%s", c->info.peer_id, opts);
	wbuf_free(&w);
	if (rc != E_OK) {
		log_err("ovpn", "peer %u: PUSH_REPLY not sent: %s", c->info.peer_id, err_msg(rc));
		return;
	}
	if (!c->pushed) {
		c->pushed = true;
		c->info.connected_ms = clock_mono_ms();
		ovpn_client_event(c, "ovpn.connect", NULL);
		if (c->srv->cfg.hooks.connected)
			c->srv->cfg.hooks.connected(c->srv->cfg.hooks.arg, &c->info);
	}
}

static void ovpn_ctl_msg_handle(struct ovpn_client *c, const char *msg)
{
	if (strcmp(msg, "PUSH_REQUEST") == 0) {
		/* Not to a session being ended (AUTH_FAILED, HALT, RESTART already sent): it
		 * would be announced connected after it was told to go. */
		if (c->info.cipher != OVPN_CIPHER_NONE && !c->kill_at_ms)
			ovpn_push_reply_send(c);
	} else if (strcmp(msg, "EXIT") == 0) {
		/* explicit-exit-notify over the control channel (cc-exit) */
		ovpn_client_kill(c, "client exit");
	} else {
		log_debug("ovpn", "peer %u: ignored control message \"%.40s\"", c->info.peer_id,
		          msg);
	}
}

void ovpn_ks_msgs_input(struct ovpn_client *c, struct ovpn_ks *ks)
{
	char msg[OVPN_CTL_MSG_MAX];
	struct rbuf r;
	result_t rc;

	rbuf_init(&r, ks->plain.data, ks->plain.len);
	while (!c->dead && (rc = ovpn_ctl_msg_next(&r, msg, sizeof(msg))) != E_AGAIN) {
		if (rc != E_OK) {
			log_warn("ovpn", "peer %u: dropped malformed control message",
			         c->info.peer_id);
			continue;
		}
		ovpn_ctl_msg_handle(c, msg);
	}
	ovpn_plain_drop(&ks->plain, rbuf_offset(&r));
}
