/*
 * ike_net.c - UDP sockets for IKE (500) and NAT-T (4500) per local outside address, the
 * non-ESP marker (RFC 3948 2.2), NAT keepalives (RFC 3948 2.3, 4) and the reuseport split of
 * port 4500 between IKE (us) and ESP-in-UDP (the data plane); see ike.h.
 */
#include "ike/ike_int.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define IKE_RX_BUF 65536

/* Reuseport selector run on the UDP payload of each datagram for port 4500:
 *   len < 4            -> 0 (NAT keepalive 0xff, ours)
 *   first word == 0    -> 0 (non-ESP marker: IKE, ours)
 *   otherwise          -> 1 (ESP: the data plane's socket, which joins the group second)
 * An index beyond the group falls back to the hash, i.e. to our socket when we are alone. */
static struct sock_filter ike_natt_bpf[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 4, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, 1),          BPF_STMT(BPF_RET | BPF_K, 0),
};

static RESULT sock_open(const struct addr *a, uint16_t port, bool reuseport, int *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return E_SYSTEM;
	if (reuseport) {
		struct sock_fprog prog = {sizeof(ike_natt_bpf) / sizeof(ike_natt_bpf[0]),
		                          ike_natt_bpf};

		if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
			goto fail;
	}
	addr_to_sockaddr(a, port, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	*out = fd;
	return E_OK;
fail:
	close(fd);
	return E_SYSTEM;
}

static void sock_read(struct ike_sock *s, int fd, bool natt)
{
	static uint8_t buf[IKE_RX_BUF];
	struct ike_ctx *ctx = s->ctx;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct addr from;
		uint16_t port;
		struct rbuf r;
		uint32_t marker;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			return;
		if (addr_from_sockaddr((struct sockaddr *)&ss, &from, &port) != E_OK)
			continue;
		if (ctx->cfg.drop && ctx->cfg.drop(ctx->cfg.drop_arg, false, buf, (size_t)n))
			continue;
		rbuf_init(&r, buf, (size_t)n);
		if (natt) {
			/* RFC 3948 2.3: a single 0xff octet is a NAT keepalive, ignored */
			if (n < IKEV2_NON_ESP_MARKER_LEN)
				continue;
			if (rbuf_get_u32(&r, &marker) != E_OK || marker != 0) {
				if (log_ratelimit_ok(&ctx->rl_drop))
					log_debug("ike",
					          "dropping ESP-in-UDP without a data plane");
				continue;
			}
		}
		ike_dispatch(s, natt, &from, port, rbuf_cur(&r), rbuf_remaining(&r));
	}
}

static void on_ike(struct ev_io *io, uint32_t ev)
{
	(void)ev;
	sock_read(io->arg, io->fd, false);
}

static void on_natt(struct ev_io *io, uint32_t ev)
{
	(void)ev;
	sock_read(io->arg, io->fd, true);
}

RESULT ike_sock_get(struct ike_ctx *ctx, const struct addr *local, struct ike_sock **out)
{
	struct ike_sock *s;
	result_t rc;

	for (size_t i = 0; i < ctx->nsocks; i++) {
		if (addr_equal(&ctx->socks[i]->local, local)) {
			ctx->socks[i]->refs++;
			*out = ctx->socks[i];
			return E_OK;
		}
	}
	if (ctx->nsocks == IKE_MAX_SOCKS || local->family != AF_INET)
		return E_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return E_NOMEM;
	s->ctx = ctx;
	s->local = *local;
	s->fd_ike = s->fd_natt = -1;
	GUARD_OUT(rc, sock_open(local, ctx->cfg.ike_port, false, &s->fd_ike));
	GUARD_OUT(rc, sock_open(local, ctx->cfg.natt_port, true, &s->fd_natt));
	ev_io_init(&s->io_ike, s->fd_ike, EPOLLIN, on_ike, s);
	ev_io_init(&s->io_natt, s->fd_natt, EPOLLIN, on_natt, s);
	GUARD_OUT(rc, ev_io_add(ctx->loop, &s->io_ike));
	rc = ev_io_add(ctx->loop, &s->io_natt);
	if (rc != E_OK) {
		ev_io_del(ctx->loop, &s->io_ike);
		goto out;
	}
	s->refs = 1;
	ctx->socks[ctx->nsocks++] = s;
	*out = s;
	return E_OK;
out:
	if (s->fd_ike >= 0)
		close(s->fd_ike);
	if (s->fd_natt >= 0)
		close(s->fd_natt);
	free(s);
	return rc;
}

void ike_sock_put(struct ike_sock *s)
{
	struct ike_ctx *ctx = s->ctx;

	if (--s->refs > 0)
		return;
	for (size_t i = 0; i < ctx->nsocks; i++) {
		if (ctx->socks[i] == s) {
			ctx->socks[i] = ctx->socks[--ctx->nsocks];
			break;
		}
	}
	ev_io_del(ctx->loop, &s->io_ike);
	ev_io_del(ctx->loop, &s->io_natt);
	close(s->fd_ike);
	close(s->fd_natt);
	free(s);
}

void ike_net_send_raw(struct ike_sock *s, bool natt, const struct addr *to, uint16_t port,
                      const uint8_t *data, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t buf[IKEV2_NON_ESP_MARKER_LEN + IKE_RX_BUF];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	if (natt && len > 1) /* RFC 3948 2.2: IKE on the NAT-T port carries the non-ESP marker */
		wbuf_put_u32(&w, 0);
	wbuf_put_bytes(&w, data, len);
	if (wbuf_result(&w) != E_OK)
		return;
	if (s->ctx->cfg.drop && s->ctx->cfg.drop(s->ctx->cfg.drop_arg, true, w.data, w.len))
		return;
	addr_to_sockaddr(to, port, &ss, &sl);
	if (sendto(natt ? s->fd_natt : s->fd_ike, w.data, w.len, 0, (struct sockaddr *)&ss, sl) < 0)
		log_debug("ike", "sendto failed: %s", strerror(errno));
}

RESULT ike_net_send(struct ike_sa *sa, const struct wbuf *msg)
{
	GUARD(wbuf_result(msg));
	ike_net_send_raw(sa->sock, sa->natt, &sa->remote, sa->remote_port, msg->data, msg->len);
	return E_OK;
}

static void on_keepalive(struct ev_timer *tm)
{
	struct ike_sa *sa = tm->arg;
	static const uint8_t ka = 0xff;

	if (sa->state != IKE_SA_ESTABLISHED || !sa->natt)
		return;
	ike_net_send_raw(sa->sock, true, &sa->remote, sa->remote_port, &ka, 1);
	ev_timer_arm(sa->tun->ctx->loop, &sa->keepalive_timer, IKE_NATT_KEEPALIVE_MS);
}

/* RFC 3948 4: the host behind the NAT sends keepalives to keep the mapping open. */
void ike_net_keepalive_start(struct ike_sa *sa)
{
	if (!sa->natt || !(sa->nat_local || sa->tun->ctx->cfg.force_natt))
		return;
	ev_timer_init(&sa->keepalive_timer, on_keepalive, sa);
	ev_timer_arm(sa->tun->ctx->loop, &sa->keepalive_timer, IKE_NATT_KEEPALIVE_MS);
}

RESULT ike_ctx_new(struct ev_loop *loop, const struct ike_ctx_config *cfg, struct ike_ctx **out)
{
	struct ike_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return E_NOMEM;
	ctx->loop = loop;
	if (cfg)
		ctx->cfg = *cfg;
	if (!ctx->cfg.ike_port)
		ctx->cfg.ike_port = IKE_PORT;
	if (!ctx->cfg.natt_port)
		ctx->cfg.natt_port = IKE_NATT_PORT;
	if (!ctx->cfg.cookie_threshold)
		ctx->cfg.cookie_threshold = IKE_COOKIE_THRESHOLD_DEFAULT;
	ctx->rl_drop = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 5);
	if (secret_random(ctx->cookie_secret, sizeof(ctx->cookie_secret)) != E_OK) {
		free(ctx);
		return E_CRYPTO;
	}
	*out = ctx;
	return E_OK;
}

void ike_ctx_free(struct ike_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->tunnels)
		ike_tunnel_free(ctx->tunnels);
	secret_wipe(ctx->cookie_secret, sizeof(ctx->cookie_secret));
	free(ctx);
}

uint16_t ike_ctx_natt_port(const struct ike_ctx *ctx)
{
	return ctx->cfg.natt_port;
}
