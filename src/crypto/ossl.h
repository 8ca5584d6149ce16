/*
 * ossl.h - OpenSSL error-queue hygiene (internal to src/crypto).
 *
 * OpenSSL records failures in a per-thread queue. Left there, a stale entry makes a later,
 * unrelated libssl call on the same thread (the OpenVPN TLS sessions share the control-plane
 * thread with IKE) report SSL_ERROR_SSL. So every public crypto function that fails empties the
 * queue before it returns, logging the first entry at debug level.
 */
#ifndef GH_CRYPTO_OSSL_H
#define GH_CRYPTO_OSSL_H

#include "lib/err.h"

/* Empty this thread's OpenSSL error queue when rc is an error; returns rc. */
result_t crypto_ossl_done(result_t rc, const char *what);

#endif
