/*
 * api/api_sigv4.h - AWS Signature Version 4 verification (ec2-api.md 3), split so the pure
 * parts (Authorization header parsing, canonical request) can be fuzzed and unit-tested.
 *
 * The signature is over: method, URI path "/", the canonical query string, the canonical
 * headers named in SignedHeaders, SignedHeaders, and hex(SHA-256(body)) computed over the body
 * received (botocore sends no X-Amz-Content-SHA256 for ec2).
 */
#ifndef GH_API_SIGV4_H
#define GH_API_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "api/api_req.h"
#include "lib/buf.h"
#include "lib/err.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_MAX_SKEW_S (15 * 60) /* ec2-api.md 3: clock skew over 15 min -> RequestExpired */
#define SIGV4_HEADERS_MAX 32

struct sigv4_auth {
	char access_key[128];
	char date[9]; /* YYYYMMDD of the credential scope */
	char region[64];
	char service[32];
	char signed_headers[1024]; /* "content-type;host;x-amz-date" */
	char signature[65];        /* lower-case hex */
};

/* Header lookup by lower-case name; NULL when absent. */
typedef const char *(*sigv4_header_fn)(void *arg, const char *lname);

struct sigv4_input {
	const char *method;
	const char *path;  /* "/" */
	const char *query; /* raw query string without '?', or NULL */
	const uint8_t *body;
	size_t body_len;
	sigv4_header_fn header;
	void *header_arg;
};

/* Parse "AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, SignedHeaders=...,
 * Signature=...". E_API_AUTH with a message in err for the user (IncompleteSignature). */
RESULT sigv4_parse_auth(const char *hdr, struct sigv4_auth *out, char *err, size_t errlen);
/* The canonical query string: pairs URI-encoded (RFC 3986 unreserved kept), sorted. */
RESULT sigv4_canonical_query(const char *query, struct wbuf *out);
/* The canonical request text. E_API_AUTH (err filled) when a signed header is missing. */
RESULT sigv4_canonical_request(const struct sigv4_input *in, const struct sigv4_auth *a,
                               struct wbuf *out, char *err, size_t errlen);
/* Parse X-Amz-Date "YYYYMMDDTHHMMSSZ" into epoch seconds. */
RESULT sigv4_parse_amz_date(const char *s, int64_t *out);

/* The server's credentials and scope. */
struct sigv4_keys {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service; /* credential scope service; NULL = "ec2" */
};

/* Verify a request; on failure fills rs with the EC2 error (MissingAuthenticationToken,
 * IncompleteSignature, AuthFailure, SignatureDoesNotMatch, RequestExpired) and returns E_API. */
RESULT sigv4_verify(const struct sigv4_input *in, const struct sigv4_keys *keys, int64_t now_s,
                    struct api_resp *rs);

#endif
