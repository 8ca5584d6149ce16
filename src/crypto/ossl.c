/*
 * ossl.c - OpenSSL error-queue hygiene; see ossl.h.
 */
#include "crypto/ossl.h"

#include <openssl/err.h>

#include "lib/log.h"

result_t crypto_ossl_done(result_t rc, const char *what)
{
	unsigned long e;
	char buf[256];

	if (rc == E_OK)
		return rc;
	e = ERR_peek_error();
	if (e != 0) {
		if (log_get_level() >= LOG_DEBUG) {
			ERR_error_string_n(e, buf, sizeof(buf));
			log_debug("crypto", "%s: %s (%s)", what, err_msg(rc), buf);
		}
		ERR_clear_error();
	}
	return rc;
}
