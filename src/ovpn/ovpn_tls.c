/*
 * ovpn_tls.c - TLS 1.2/1.3 for the control channel through OpenSSL with memory BIOs: the
 * reliability layer carries the ciphertext, we never give OpenSSL a socket.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ovpn/ovpn_int.h"

static void ovpn_tls_log_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warn("ovpn", "%s: %s", what, buf);
	}
}

static RESULT ovpn_tls_load_crl(SSL_CTX *ctx, const char *path)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());

	if (!lk || X509_load_crl_file(lk, path, X509_FILETYPE_PEM) <= 0) {
		ovpn_tls_log_errors(path);
		return E_OVPN_TLS;
	}
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return E_OK;
}

RESULT ovpn_tls_ctx_new(const struct ovpn_config *cfg, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	result_t rc = E_OVPN_TLS;

	if (!ctx)
		goto out;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (!cfg->cert_path || !cfg->key_path || !cfg->ca_path) {
		log_err("ovpn", "server certificate, key and client CA are required");
		rc = E_INVAL;
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, cfg->ca_path, NULL) != 1) {
		ovpn_tls_log_errors("server certificate/key/CA");
		goto out;
	}
	if (cfg->crl_path && cfg->crl_path[0] && ovpn_tls_load_crl(ctx, cfg->crl_path) != E_OK)
		goto out;
	/* Mutual authentication: a client certificate from our CA is mandatory. A client cert
	 * carrying an EKU must allow clientAuth (the counterpart of remote-cert-tls client). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	*out = ctx;
	ctx = NULL;
	rc = E_OK;
out:
	SSL_CTX_free(ctx);
	return rc;
}

RESULT ovpn_ks_tls_start(struct ovpn_ks *ks, SSL_CTX *ctx)
{
	ks->ssl = SSL_new(ctx);
	ks->rbio = BIO_new(BIO_s_mem());
	ks->wbio = BIO_new(BIO_s_mem());
	if (!ks->ssl || !ks->rbio || !ks->wbio) {
		BIO_free(ks->rbio);
		BIO_free(ks->wbio);
		SSL_free(ks->ssl);
		ks->ssl = NULL;
		ks->rbio = ks->wbio = NULL;
		return E_NOMEM;
	}
	SSL_set_bio(ks->ssl, ks->rbio, ks->wbio);
	SSL_set_accept_state(ks->ssl);
	wbuf_init_dyn(&ks->plain, 1024, 64 * 1024);
	return E_OK;
}

static void ovpn_tls_peer_cn(struct ovpn_client *c, SSL *ssl)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	if (!peer)
		return;
	X509_NAME *n = X509_get_subject_name(peer);
	if (n)
		(void)X509_NAME_get_text_by_NID(n, NID_commonName, c->info.common_name,
		                                sizeof(c->info.common_name));
	X509_free(peer);
}

static RESULT ovpn_tls_handshake(struct ovpn_client *c, struct ovpn_ks *ks)
{
	int r = SSL_do_handshake(ks->ssl);
	if (r == 1) {
		ovpn_tls_peer_cn(c, ks->ssl);
		log_info("ovpn", "peer %u key %u: %s %s handshake done, client CN=%s",
		         c->info.peer_id, ks->key_id, SSL_get_version(ks->ssl),
		         SSL_get_cipher_name(ks->ssl), c->info.common_name);
		ks->state = OVPN_KS_KM2;
		return E_OK;
	}
	int e = SSL_get_error(ks->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return E_OK;
	long v = SSL_get_verify_result(ks->ssl);
	log_warn("ovpn", "peer %u key %u: TLS handshake failed%s%s", c->info.peer_id, ks->key_id,
	         v != X509_V_OK ? ": client certificate: " : "",
	         v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
	ovpn_tls_log_errors("TLS");
	return E_OVPN_TLS;
}

RESULT ovpn_ks_tls_pump(struct ovpn_client *c, struct ovpn_ks *ks, const uint8_t *in, size_t n)
{
	uint8_t tmp[4096];

	if (!ks->ssl)
		return E_STATE;
	if (n > 0 && BIO_write(ks->rbio, in, (int)n) != (int)n)
		return E_NOMEM;
	if (ks->state == OVPN_KS_TLS)
		GUARD(ovpn_tls_handshake(c, ks));
	if (ks->state == OVPN_KS_TLS)
		return E_OK;
	for (;;) {
		int r = SSL_read(ks->ssl, tmp, sizeof(tmp));
		if (r > 0) {
			wbuf_put_bytes(&ks->plain, tmp, (size_t)r);
			GUARD(wbuf_result(&ks->plain));
			continue;
		}
		int e = SSL_get_error(ks->ssl, r);
		secret_wipe(tmp, sizeof(tmp));
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return E_OK;
		ovpn_tls_log_errors("TLS read");
		return E_OVPN_TLS;
	}
}

RESULT ovpn_ks_tls_write(struct ovpn_ks *ks, const void *data, size_t n)
{
	if (!ks->ssl || SSL_write(ks->ssl, data, (int)n) != (int)n) {
		ovpn_tls_log_errors("TLS write");
		return E_OVPN_TLS;
	}
	return E_OK;
}

void ovpn_ks_fini(struct ovpn_ks *ks)
{
	SSL_free(ks->ssl);
	if (ks->plain.data)
		secret_wipe(ks->plain.data, ks->plain.cap);
	wbuf_free(&ks->plain);
	if (ks->dk.valid)
		ovpn_data_key_fini(&ks->dk);
	memset(ks, 0, sizeof(*ks));
}
