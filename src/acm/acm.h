/*
 * acm/acm.h - a local certificate store shaped like AWS Certificate Manager.
 *
 * Certificates are imported (PEM certificate, PEM private key, optional PEM chain), validated
 * with OpenSSL (the certificate parses, the key parses and matches it, every chain certificate
 * parses), and kept as store rows of type ACM_T_CERT whose id is the certificate UUID; the ARN
 * is arn:aws:acm:<region>:<account>:certificate/<uuid>.
 *
 * Keys at rest: the private key PEM is kept in the row's JSON document in the SQLite database,
 * which lives in the data directory that store_open creates with mode 0700 (and the database
 * file is not readable by other users through it). It is never returned by any API call
 * (GetCertificate returns only the certificate and chain, like ACM for imported
 * certificates) and never logged. Buffers that held it are wiped (secret_wipe).
 *
 * The ACM JSON protocol (awsJson1_1: POST / with X-Amz-Target CertificateManager.<Op>, SigV4
 * service "acm") is acm_json_handle(); the API server routes those requests to it
 * (api_server_add_json, see api/api.h).
 *
 * Threads: the event-loop thread (the store's). Errors: E_ACM_PEM, E_ACM_KEY_MISMATCH
 * (with a message for the user), E_NOTFOUND, E_STORE, E_NOMEM.
 */
#ifndef GH_ACM_ACM_H
#define GH_ACM_ACM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

struct store;

#define ACM_T_CERT "acm-certificate"
#define ACM_ID_LEN 36 /* UUID text */
#define ACM_ARN_MAX 192
#define ACM_CERT_MAX 32768    /* ACM ImportCertificate: Certificate max length */
#define ACM_KEY_MAX 5124      /* PrivateKey max length */
#define ACM_CHAIN_MAX 2097152 /* CertificateChain max length */
#define ACM_CERTS_MAX 1000    /* certificates per account and region (our limit) */

struct acm_cert {
	char id[ACM_ID_LEN + 1];
	char arn[ACM_ARN_MAX];
	char *cert_pem;
	char *key_pem; /* secret: wiped by acm_cert_fini */
	char *chain_pem;
	char domain[256];
	char subject[512];
	char issuer[512];
	char serial[128];
	char key_algo[32];
	char sig_algo[64];
	char **sans;
	size_t n_sans;
	int64_t not_before_s, not_after_s;
	int64_t imported_ms;
};

void acm_cert_fini(struct acm_cert *c);

/* Parse and validate an import. On failure err says what to fix. */
RESULT acm_cert_parse(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                      const char *chain_pem, size_t chain_len, struct acm_cert *out, char *err,
                      size_t errlen);

/* The ACM status of an imported certificate at now_s (epoch seconds): "EXPIRED" after its
 * NotAfter, else "ISSUED". */
const char *acm_cert_status(const struct acm_cert *c, int64_t now_s);

/* Key usages (RFC 5280 4.2.1.3) and extended key usages (4.2.1.12) of a certificate, as bit
 * sets over ACM's KeyUsageName / ExtendedKeyUsageName values (ACM_KU_*, ACM_EKU_*; bit i is
 * entry i of acm_ku_names / acm_eku_names). A certificate without the EKU extension has
 * ACM_EKU_NONE; an EKU OID that has no ACM name sets ACM_EKU_CUSTOM. E_ACM_PEM when the PEM
 * does not parse. */
enum {
	ACM_KU_N = 11,  /* DIGITAL_SIGNATURE .. DECIPHER_ONLY, ANY, CUSTOM */
	ACM_EKU_N = 12, /* TLS_WEB_SERVER_AUTHENTICATION .. ANY, NONE, CUSTOM */
	ACM_KU_ANY = 1u << 9,
	ACM_KU_CUSTOM = 1u << 10,
	ACM_EKU_ANY = 1u << 9,
	ACM_EKU_NONE = 1u << 10,
	ACM_EKU_CUSTOM = 1u << 11,
};
extern const char *const acm_ku_names[ACM_KU_N + 1];   /* NULL-terminated */
extern const char *const acm_eku_names[ACM_EKU_N + 1]; /* NULL-terminated */
RESULT acm_cert_usages(const char *cert_pem, uint32_t *ku, uint32_t *eku);

/* ARN <-> id. acm_arn_id: E_PARSE when not "arn:aws:acm:<region>:<account>:certificate/<uuid>"
 * of this region and account. */
void acm_arn_format(const char *region, const char *account, const char *id, char *buf, size_t len);
RESULT acm_arn_id(const char *arn, const char *region, const char *account,
                  char id[ACM_ID_LEN + 1]);

/* A fresh random (version 4) UUID for a new certificate. */
void acm_new_id(char id[ACM_ID_LEN + 1]);

/* Store rows (caller holds the transaction). acm_cert_put inserts or replaces. */
RESULT acm_cert_put(struct store *st, struct acm_cert *c);
RESULT acm_cert_get(struct store *st, const char *id, struct acm_cert *out);
RESULT acm_cert_remove(struct store *st, const char *id);
typedef result_t (*acm_cert_cb)(void *arg, const struct acm_cert *c);
RESULT acm_cert_foreach(struct store *st, acm_cert_cb cb, void *arg);
/* The CA chain to give clients for a certificate ARN: the imported chain when there is one,
 * else the certificate itself (self-signed). Malloc'd; E_NOTFOUND when the ARN is unknown. */
RESULT acm_ca_chain(struct store *st, const char *arn, const char *region, const char *account,
                    char **out);
/* True when some Client VPN endpoint references the ARN; `by` gets its id. */
RESULT acm_cert_in_use(struct store *st, const char *arn, char *by, size_t bylen, bool *used);

/* Import from files (the local command): validates and stores; *arn gets the ARN. */
RESULT acm_import_files(struct store *st, const char *region, const char *account,
                        const char *cert_path, const char *key_path, const char *chain_path,
                        char arn[ACM_ARN_MAX], char *err, size_t errlen);

/* The ACM JSON protocol. `op` is the part after "CertificateManager.". Writes the JSON answer
 * (a result, or {"__type": ..., "message": ...}) to out and the HTTP status to *status. Runs
 * inside the caller's store transaction: commit when *status is 200. */
RESULT acm_json_handle(struct store *st, const char *region, const char *account, const char *op,
                       const uint8_t *body, size_t len, struct wbuf *out, unsigned *status);
/* The same with the api_json_fn signature (api/api.h), for api_server_add_json(srv,
 * "CertificateManager.", "acm", acm_api_json, NULL). */
result_t acm_api_json(void *arg, struct store *st, const char *region, const char *account,
                      const char *op, const uint8_t *body, size_t len, struct wbuf *out,
                      unsigned *status);

#endif
