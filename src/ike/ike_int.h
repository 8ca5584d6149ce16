/*
 * ike_int.h - internal state of the IKE engine: context, sockets, tunnels, IKE SAs, CHILD SAs,
 * and the functions the exchange files share. Everything runs on the loop thread.
 */
#ifndef GH_IKE_INT_H
#define GH_IKE_INT_H

#include "crypto/crypto.h"
#include "ike/ike.h"
#include "ike/ike_keys.h"
#include "ike/ike_proposal.h"
#include "ike/ike_wire.h"
#include "lib/log.h"

/* For results that have no one to report to (best-effort sends); the event is logged where it
 * matters. */
#define IKE_IGNORE(expr)                                                                           \
	do {                                                                                       \
		result_t ike_ignored_ = (expr);                                                    \
		(void)ike_ignored_;                                                                \
	} while (0)

#define IKE_MAX_SOCKS 8
#define IKE_COOKIE_THRESHOLD_DEFAULT 10
#define IKE_RETRANSMIT_BASE_MS 1000u    /* first retransmission after 1 s ... */
#define IKE_RETRANSMIT_MAX_MS 16000u    /* ... doubling up to 16 s ... */
#define IKE_RETRANSMIT_TRIES 5u         /* ... 5 retransmissions, then give up (~47 s) */
#define IKE_HALF_OPEN_TIMEOUT_MS 30000u /* un-established responder SA lifetime */
#define IKE_RETRY_INITIATE_MS 5000u     /* AWS initiator: keep trying to establish */
#define IKE_NATT_KEEPALIVE_MS 20000u    /* RFC 3948 4: keepalive when behind a NAT */
#define IKE_NONCE_LEN 32
#define IKE_COOKIE_LEN 32
#define IKE_PENDING_MAX 8 /* requests waiting for the window, per IKE SA */
#define IKE_DPD_INTERVAL_MS                                                                        \
	10000u /* G:333-337: probe after 10 s of silence; dead after dpd_timeout */

enum ike_sa_state {
	IKE_SA_INIT_SENT, /* initiator: waiting for the IKE_SA_INIT response */
	IKE_SA_INIT_DONE, /* responder: waiting for IKE_AUTH */
	IKE_SA_AUTH_SENT, /* initiator: waiting for the IKE_AUTH response */
	IKE_SA_ESTABLISHED,
	IKE_SA_DELETING,
	IKE_SA_DEAD, /* freed at the end of the current dispatch */
};

struct ike_sock {
	struct ike_ctx *ctx;
	struct addr local;
	int fd_ike, fd_natt;
	struct ev_io io_ike, io_natt;
	unsigned refs;
};

struct ike_ctx {
	struct ev_loop *loop;
	struct ike_ctx_config cfg;
	struct ike_sock *socks[IKE_MAX_SOCKS];
	size_t nsocks;
	struct ike_tunnel *tunnels;
	unsigned half_open;
	uint8_t cookie_secret[32];
	struct log_ratelimit rl_drop;
};

struct ike_child {
	struct ike_child *next;
	uint32_t spi_in, spi_out;
	struct ike_suite suite;
	struct prefix ts_local, ts_remote;
	bool installed;
	bool rekeyed; /* replaced; deleted soon */
	/* RFC 7296 2.8.1: lowest nonce of the peer's rekey of this SA while ours was pending */
	uint8_t collision_nonce[IKE_NONCE_MAX];
	size_t collision_len;
	struct ev_timer rekey_timer;
	struct ev_timer expire_timer; /* hard lifetime (phase 2) */
	struct ike_sa *sa;
};

/* What an outstanding request of ours is for. */
enum ike_req_kind {
	IKE_REQ_NONE,
	IKE_REQ_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_CHILD_REKEY,
	IKE_REQ_IKE_REKEY,
	IKE_REQ_DELETE_CHILD,
	IKE_REQ_DELETE_IKE,
	IKE_REQ_DPD,
};

/* A request that found the window busy (RFC 7296 2.3: one outstanding request) and waits
 * its turn. CHILD SAs are named by our inbound SPI, so an entry outlives the struct. */
struct ike_pending {
	enum ike_req_kind kind; /* CHILD_REKEY, IKE_REKEY, DELETE_CHILD or DPD */
	uint32_t spi_in;
};

/* State of a CREATE_CHILD_SA we started (CHILD or IKE rekey). */
struct ike_rekey {
	struct crypto_dh *dh;
	uint8_t ni[IKE_NONCE_LEN];
	uint32_t new_spi_in; /* child rekey */
	uint64_t new_spi;    /* IKE rekey: our SPI of the new IKE SA */
	struct ike_child *old_child;
	uint16_t dh_group;
};

struct ike_sa {
	struct ike_sa *next;
	struct ike_tunnel *tun;
	uint64_t spi_i, spi_r;
	bool initiator; /* we are the original initiator of this IKE SA */
	enum ike_sa_state state;
	struct ike_suite suite;
	struct ike_keys keys;
	bool have_keys;
	struct crypto_dh *dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	struct wbuf init_req, init_resp; /* IKE_SA_INIT messages, for AUTH (RFC 7296 2.15) */
	uint8_t cookie[IKE_NONCE_MAX];
	size_t cookie_len;
	uint16_t ke_group; /* the group of our KE (initiator) */
	bool counted_half_open;

	/* addressing */
	struct ike_sock *sock;
	struct addr remote;
	uint16_t remote_port;
	bool natt; /* on the NAT-T port, with the non-ESP marker */
	bool nat_local, nat_remote;

	/* message IDs, window size 1 (RFC 7296 2.3) */
	uint32_t next_msgid; /* of our next request */
	uint32_t peer_msgid; /* expected of the peer's next request */
	struct wbuf req;     /* outstanding request (sent bytes, no marker) */
	enum ike_req_kind req_kind;
	unsigned req_tries;
	struct ev_timer retx_timer;
	struct wbuf resp; /* our last response, for retransmitted requests */
	uint32_t resp_msgid;
	bool have_resp;
	/* SHA-1 of the request datagram that `resp` answers: only a byte-identical copy is a
	 * retransmission (RFC 7296 2.1); anything else with that message ID is authenticated like
	 * any message and dropped when it fails (2.21.2). */
	uint8_t resp_req_digest[20];
	bool have_resp_req_digest;

	struct ike_rekey rk; /* our pending CREATE_CHILD_SA */
	struct ike_child *children;
	struct ev_timer life_timer; /* IKE rekey (established) or half-open timeout */
	struct ev_timer dpd_timer;
	struct ev_timer keepalive_timer;
	struct ev_timer expire_timer; /* hard lifetime (phase 1), when rekeying never succeeded */
	uint64_t last_rx_ms;
	uint32_t del_spi_in; /* CHILD SA our pending DELETE names */
	bool rekeyed;        /* replaced by a newer IKE SA */

	/* RFC 7296 2.8.2: the peer rekeyed this IKE SA while our own rekey of it was pending.
	 * The CHILD SAs stay here until our exchange completes and the nonces decide. */
	bool ike_collision;
	uint64_t coll_spi_i, coll_spi_r;   /* the IKE SA the peer's rekey created */
	uint8_t coll_nonce[IKE_NONCE_MAX]; /* lowest nonce of the peer's exchange */
	size_t coll_nonce_len;

	struct ike_pending pend[IKE_PENDING_MAX]; /* FIFO */
	size_t npend;
	struct ev_timer pend_timer; /* runs the next pending request once the window is free */
};

struct ike_tunnel {
	struct ike_tunnel *next;
	struct ike_ctx *ctx;
	struct model_tunnel m;
	struct ike_callbacks cb;
	void *cb_arg;
	struct ike_sock *sock;
	struct ike_sa *sas; /* newest first; the first established one is current */
	struct ev_timer start_timer;
	bool up;
	bool restarting;      /* DPD action restart: keep initiating until up again (G:572) */
	const char *down_msg; /* why the next status change to down happens (static string) */
	unsigned busy;        /* depth of engine calls on the stack (ike_tunnel_enter) */
	bool free_pending;    /* ike_tunnel_free was called while busy, or is running */
	char name[96];        /* "vpn-x tunnel 1 (198.51.100.1)" for logs */
};

/* ike_net.c */
RESULT ike_sock_get(struct ike_ctx *ctx, const struct addr *local, struct ike_sock **out);
void ike_sock_put(struct ike_sock *s);
RESULT ike_net_send(struct ike_sa *sa, const struct wbuf *msg);
void ike_net_send_raw(struct ike_sock *s, bool natt, const struct addr *to, uint16_t port,
                      const uint8_t *data, size_t len);
void ike_net_keepalive_start(struct ike_sa *sa);

/* ike_sa.c */
RESULT ike_sa_new(struct ike_tunnel *t, bool initiator, struct ike_sa **out);
void ike_sa_kill(struct ike_sa *sa, const char *why);
void ike_sa_reap(struct ike_tunnel *t);
struct ike_sa *ike_sa_current(struct ike_tunnel *t);
void ike_dispatch(struct ike_sock *s, bool natt, const struct addr *from, uint16_t port,
                  const uint8_t *data, size_t len);
/* Build an encrypted message: inner payloads (ike_inner_begin'd) into out. */
RESULT ike_sa_seal(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                   struct wbuf *inner, struct wbuf *out);
RESULT ike_sa_request(struct ike_sa *sa, uint8_t exchange, enum ike_req_kind kind,
                      struct wbuf *inner);
RESULT ike_sa_respond(struct ike_sa *sa, uint8_t exchange, struct wbuf *inner);
void ike_sa_request_done(struct ike_sa *sa);
void ike_sa_established(struct ike_sa *sa);
void ike_sa_arm_rekey(struct ike_sa *sa);
uint64_t ike_rekey_delay_ms(const struct ike_tunnel *t, uint32_t lifetime_s);
void ike_tunnel_status(struct ike_tunnel *t);
/* Around every entry from the loop that may reach a callback: a callback may then call
 * ike_tunnel_free, which is deferred to the matching leave. */
void ike_tunnel_enter(struct ike_tunnel *t);
void ike_tunnel_leave(struct ike_tunnel *t);
struct ike_sa *ike_sa_by_spis(struct ike_tunnel *t, uint64_t spi_i, uint64_t spi_r);
/* RFC 7296 2.18: CHILD SAs move to the IKE SA that replaces `from`. */
void ike_sa_adopt_children(struct ike_sa *from, struct ike_sa *to);

/* ike_queue.c: requests waiting for the window (RFC 7296 2.3) */
void ike_sa_enqueue(struct ike_sa *sa, enum ike_req_kind kind, uint32_t spi_in);
void ike_sa_pending_kick(struct ike_sa *sa);
void ike_sa_pending_clear(struct ike_sa *sa);
void ike_sa_pending_move(struct ike_sa *from, struct ike_sa *to);

/* ike_init.c */
RESULT ike_init_start(struct ike_tunnel *t);
void ike_init_request(struct ike_sock *s, bool natt, const struct addr *from, uint16_t port,
                      const struct ike_hdr *h, const uint8_t *data, size_t len);
void ike_init_response(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *data, size_t len);
void ike_send_plain_notify(struct ike_sock *s, bool natt, const struct addr *to, uint16_t port,
                           const struct ike_hdr *req, uint16_t type, const uint8_t *data,
                           size_t len);
RESULT ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct addr *a, uint16_t port,
                     uint8_t out[20]);

/* ike_auth.c */
RESULT ike_auth_send(struct ike_sa *sa);
void ike_auth_request(struct ike_sa *sa, const struct ike_payloads *p);
void ike_auth_response(struct ike_sa *sa, const struct ike_payloads *p);
RESULT ike_auth_compute(struct ike_sa *sa, bool of_initiator, const struct ike_id *id_rest,
                        uint8_t *out, size_t *out_len);
void ike_id_own(const struct ike_tunnel *t, uint8_t buf[4]);

/* ike_child.c */
RESULT ike_child_install(struct ike_sa *sa, const struct ike_suite *s, uint32_t spi_in,
                         uint32_t spi_out, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
                         size_t ni_len, const uint8_t *nr, size_t nr_len, bool we_initiated,
                         bool rekey, struct ike_child **out);
void ike_child_free(struct ike_child *c, bool report);
struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi_out);
struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi_in);
RESULT ike_child_ts_select(const struct ike_tunnel *t, const struct ike_payloads *p,
                           struct ike_ts_payload *tsi, struct ike_ts_payload *tsr);
void ike_ts_from_prefix(const struct prefix *pf, struct ike_ts_payload *ts);
RESULT ike_spi_random32(uint32_t *spi);
RESULT ike_spi_random64(uint64_t *spi);

/* ike_rekey.c */
RESULT ike_rekey_child_start(struct ike_sa *sa, struct ike_child *c);
RESULT ike_rekey_ike_start(struct ike_sa *sa);
void ike_rekey_request(struct ike_sa *sa, const struct ike_payloads *p);
void ike_rekey_response(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_payloads *p);
void ike_rekey_fini(struct ike_rekey *rk);

/* ike_info.c */
void ike_info_request(struct ike_sa *sa, const struct ike_payloads *p);
void ike_info_response(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_payloads *p);
/* Send a DELETE for a CHILD SA, or queue it when the window is busy (E_OK either way). */
RESULT ike_info_delete_child(struct ike_sa *sa, struct ike_child *c);
RESULT ike_info_delete_spi(struct ike_sa *sa, uint32_t spi_in);
/* An empty INFORMATIONAL (RFC 7296 2.4 liveness check) if nothing was heard for a while. */
RESULT ike_info_dpd_send(struct ike_sa *sa);
RESULT ike_info_delete_ike(struct ike_sa *sa);
void ike_dpd_arm(struct ike_sa *sa);
/* Hard lifetime reached: DELETE (best effort) and drop. */
void ike_info_expire_child(struct ike_child *c);
void ike_info_expire_ike(struct ike_sa *sa);
/* Error notify in a response to a request (encrypted when the SA has keys). */
void ike_info_notify_response(struct ike_sa *sa, uint8_t exchange, uint16_t type,
                              const uint8_t *data, size_t len);

/* ike_log.c: the guide's tunnel log messages, as log lines and structured records */
void ike_log_event(const struct ike_tunnel *t, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
