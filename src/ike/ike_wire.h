/*
 * ike_wire.h - IKEv2 wire format (RFC 7296 section 3): constants, the decoded forms of the
 * payloads, and the parse/build functions of ike_msg.c and the ike_pld_*.c files.
 *
 * Parsing is staged. ike_msg_frame() checks the header and splits the payload chain into
 * (type, critical, body) sub-readers; ike_msg_decode() turns the bodies into the plain structs
 * below (pointers borrow from the packet buffer, which must outlive the struct); the exchange
 * code then verifies (mandatory payloads present, proposals acceptable) and acts.
 * Builders append through struct wbuf with reserved length fields.
 *
 * Internal to src/ike. Not thread-safe (one event loop thread).
 */
#ifndef GH_IKE_WIRE_H
#define GH_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

#define IKEV2_HDR_LEN 28
#define IKEV2_GENERIC_HDR_LEN 4
#define IKEV2_VERSION 0x20         /* major 2, minor 0 */
#define IKEV2_NON_ESP_MARKER_LEN 4 /* RFC 3948 2.2 */
#define IKEV2_MSG_MAX 8192

enum ikev2_exchange {
	IKEV2_EXCH_IKE_SA_INIT = 34,
	IKEV2_EXCH_IKE_AUTH = 35,
	IKEV2_EXCH_CREATE_CHILD_SA = 36,
	IKEV2_EXCH_INFORMATIONAL = 37,
};

#define IKEV2_FLAG_INITIATOR 0x08
#define IKEV2_FLAG_VERSION 0x10
#define IKEV2_FLAG_RESPONSE 0x20

enum ikev2_payload {
	IKEV2_PL_NONE = 0,
	IKEV2_PL_SA = 33,
	IKEV2_PL_KE = 34,
	IKEV2_PL_IDI = 35,
	IKEV2_PL_IDR = 36,
	IKEV2_PL_CERT = 37,
	IKEV2_PL_CERTREQ = 38,
	IKEV2_PL_AUTH = 39,
	IKEV2_PL_NONCE = 40,
	IKEV2_PL_NOTIFY = 41,
	IKEV2_PL_DELETE = 42,
	IKEV2_PL_VENDOR = 43,
	IKEV2_PL_TSI = 44,
	IKEV2_PL_TSR = 45,
	IKEV2_PL_SK = 46,
	IKEV2_PL_CP = 47,
	IKEV2_PL_EAP = 48,
	IKEV2_PL_SKF = 53,
};

enum ikev2_notify {
	IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKEV2_N_INVALID_IKE_SPI = 4,
	IKEV2_N_INVALID_MAJOR_VERSION = 5,
	IKEV2_N_INVALID_SYNTAX = 7,
	IKEV2_N_INVALID_MESSAGE_ID = 9,
	IKEV2_N_INVALID_SPI = 11,
	IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV2_N_INVALID_KE_PAYLOAD = 17,
	IKEV2_N_AUTHENTICATION_FAILED = 24,
	IKEV2_N_SINGLE_PAIR_REQUIRED = 34,
	IKEV2_N_NO_ADDITIONAL_SAS = 35,
	IKEV2_N_TS_UNACCEPTABLE = 38,
	IKEV2_N_TEMPORARY_FAILURE = 43,
	IKEV2_N_CHILD_SA_NOT_FOUND = 44,
	IKEV2_N_ERROR_MAX = 16383, /* types below 16384 are errors (RFC 7296 3.10.1) */
	IKEV2_N_INITIAL_CONTACT = 16384,
	IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKEV2_N_COOKIE = 16390,
	IKEV2_N_USE_TRANSPORT_MODE = 16391,
	IKEV2_N_REKEY_SA = 16393,
	IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKEV2_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKEV2_N_MOBIKE_SUPPORTED = 16396,
};

enum ikev2_proto {
	IKEV2_PROTO_IKE = 1,
	IKEV2_PROTO_AH = 2,
	IKEV2_PROTO_ESP = 3,
};

enum ikev2_transform_type {
	IKEV2_TRANS_ENCR = 1,
	IKEV2_TRANS_PRF = 2,
	IKEV2_TRANS_INTEG = 3,
	IKEV2_TRANS_DH = 4,
	IKEV2_TRANS_ESN = 5,
};

#define IKEV2_ATTR_KEY_LENGTH 14
#define IKEV2_ATTR_TV 0x8000

enum ikev2_id_type {
	IKEV2_ID_IPV4_ADDR = 1,
	IKEV2_ID_FQDN = 2,
	IKEV2_ID_RFC822_ADDR = 3,
	IKEV2_ID_IPV6_ADDR = 5,
	IKEV2_ID_KEY_ID = 11,
};

#define IKEV2_AUTH_SHARED_KEY_MIC 2

#define IKEV2_TS_IPV4_ADDR_RANGE 7

/* Decoder limits: beyond these a message is refused as INVALID_SYNTAX. */
#define IKE_MAX_PAYLOADS 48
#define IKE_MAX_PROPOSALS 16
#define IKE_MAX_TRANSFORMS 64
#define IKE_MAX_NOTIFIES 16
#define IKE_MAX_TS 8
#define IKE_MAX_DELETES 4
#define IKE_MAX_DELETE_SPIS 16
#define IKE_NONCE_MIN 16 /* RFC 7296 2.10 */
#define IKE_NONCE_MAX 256
#define IKE_ID_MAX 255

/*                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 3.1
 */
struct ike_hdr {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length;
};

/* One payload of a chain, framed but not decoded. */
struct ike_raw_payload {
	uint8_t type;
	bool critical;
	struct rbuf body;
};

struct ike_chain {
	struct ike_raw_payload pl[IKE_MAX_PAYLOADS];
	size_t n;
	/* RFC 7296 2.5: first unrecognised payload with the critical bit, else 0 */
	uint8_t unsupported_critical;
	/* RFC 7296 3.14: the SK payload is last; its Next Payload names the first inner one */
	bool has_sk;
	uint8_t sk_first;
	struct rbuf sk_body;
};

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t key_bits; /* Key Length attribute, 0 when absent */
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[8];
	size_t ntrans;
	struct ike_transform trans[IKE_MAX_TRANSFORMS];
};

struct ike_sa_payload {
	size_t nprop;
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
};

struct ike_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};

struct ike_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
	/* "RestOfIDPayload" of RFC 7296 2.15: type, 3 reserved bytes, data */
	const uint8_t *rest;
	size_t rest_len;
};

struct ike_ts {
	uint8_t type;
	uint8_t proto;
	uint16_t start_port, end_port;
	uint32_t start_v4, end_v4; /* host order */
};

struct ike_ts_payload {
	size_t n;
	struct ike_ts ts[IKE_MAX_TS];
};

struct ike_delete {
	uint8_t proto;
	uint8_t spi_len;
	size_t nspi;
	uint32_t esp_spi[IKE_MAX_DELETE_SPIS]; /* host order; proto ESP/AH */
};

/* Every payload of one (decrypted) message, decoded. `have_*` say which were present. */
struct ike_payloads {
	bool have_sa, have_ke, have_nonce, have_idi, have_idr, have_auth, have_tsi, have_tsr;
	struct ike_sa_payload sa;
	uint16_t ke_group;
	const uint8_t *ke_data;
	size_t ke_len;
	const uint8_t *nonce;
	size_t nonce_len;
	struct ike_id idi, idr;
	uint8_t auth_method;
	const uint8_t *auth_data;
	size_t auth_len;
	struct ike_ts_payload tsi, tsr;
	size_t nnotify;
	struct ike_notify notify[IKE_MAX_NOTIFIES];
	size_t ndelete;
	struct ike_delete del[IKE_MAX_DELETES];
	size_t nvendor;
};

/* --- ike_msg.c --- */
RESULT ike_hdr_parse(struct rbuf *r, struct ike_hdr *h);
/* Frame a payload chain starting with type `first` over all of r. */
RESULT ike_chain_frame(struct rbuf *r, uint8_t first, struct ike_chain *c);
/* Frame the header and the (outer) chain of a whole datagram (no non-ESP marker). */
RESULT ike_msg_frame(const uint8_t *data, size_t len, struct ike_hdr *h, struct ike_chain *c);
/* Decode every payload of a chain into p (appends: call ike_payloads_init first). */
RESULT ike_chain_decode(const struct ike_chain *c, struct ike_payloads *p);
void ike_payloads_init(struct ike_payloads *p);
const struct ike_notify *ike_payloads_notify(const struct ike_payloads *p, uint16_t type);
/* The first error notify (type < 16384), or NULL. */
const struct ike_notify *ike_payloads_error(const struct ike_payloads *p);

/* Builder: header with a reserved length, payloads with reserved next/length fields. */
struct ike_builder {
	struct wbuf *w;
	size_t next_off; /* where the previous "next payload" byte lives */
	size_t len_off;  /* the header's Length field */
};
void ike_build_hdr(struct ike_builder *b, struct wbuf *w, const struct ike_hdr *h);
/* Start a payload: links it into the chain, returns the offset of its length field. */
size_t ike_build_pl_begin(struct ike_builder *b, uint8_t type);
void ike_build_pl_end(struct ike_builder *b, size_t len_off);
/* Fill the header length; returns wbuf_result. */
RESULT ike_build_finish(struct ike_builder *b);

/* --- ike_pld_sa.c --- */
RESULT ike_sa_decode(struct rbuf *r, struct ike_sa_payload *sa);
void ike_sa_build(struct ike_builder *b, const struct ike_sa_payload *sa);

/* --- ike_pld.c --- */
RESULT ike_ke_decode(struct rbuf *r, struct ike_payloads *p);
RESULT ike_nonce_decode(struct rbuf *r, struct ike_payloads *p);
RESULT ike_id_decode(struct rbuf *r, struct ike_id *id);
RESULT ike_auth_decode(struct rbuf *r, struct ike_payloads *p);
RESULT ike_notify_decode(struct rbuf *r, struct ike_notify *n);
RESULT ike_delete_decode(struct rbuf *r, struct ike_delete *d);
RESULT ike_ts_decode(struct rbuf *r, struct ike_ts_payload *ts);
void ike_ke_build(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len);
void ike_nonce_build(struct ike_builder *b, const uint8_t *nonce, size_t len);
void ike_id_build(struct ike_builder *b, uint8_t pl_type, uint8_t id_type, const uint8_t *data,
                  size_t len);
void ike_auth_build(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len);
void ike_notify_build(struct ike_builder *b, uint8_t proto, const uint8_t *spi, size_t spi_len,
                      uint16_t type, const uint8_t *data, size_t len);
void ike_delete_build(struct ike_builder *b, uint8_t proto, const uint32_t *spis, size_t n);
void ike_ts_build(struct ike_builder *b, uint8_t pl_type, const struct ike_ts_payload *ts);

#endif
