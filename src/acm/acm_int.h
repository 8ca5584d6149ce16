/*
 * acm/acm_int.h - inside src/acm: the JSON operation context shared by acm_json.c (dispatch,
 * import, describe, get, delete) and acm_list.c (ListCertificates with paging and filters).
 *
 * Threads: the event-loop thread, inside the API dispatcher's store transaction.
 */
#ifndef GH_ACM_INT_H
#define GH_ACM_INT_H

#include <json-c/json.h>

#include "acm/acm.h"

/* One JSON request: its input object, the result object being built, and the error (if any)
 * that acm_err recorded. */
struct acm_ctx {
	struct store *st;
	const char *region;
	const char *account;
	struct json_object *in;
	struct json_object *res; /* result object */
	unsigned status;
	char code[64];
	char msg[384];
};

/* Records an ACM error (HTTP 400, {"__type": code, "message": ...}); returns E_API. */
result_t acm_err(struct acm_ctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The members every certificate answer shares (ARN, domain, type, status, key algorithm,
 * validity, import time); ac->arn must be set. now_s decides EXPIRED. */
void acm_json_common(struct json_object *o, const struct acm_cert *ac, int64_t now_s);
/* The certificate's DNS SANs as a JSON array (new reference). */
struct json_object *acm_json_sans(const struct acm_cert *ac);

/* CertificateManager.ListCertificates (acm_list.c). */
RESULT acm_op_list(struct acm_ctx *c);

#endif
