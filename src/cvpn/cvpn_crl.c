/*
 * cvpn/cvpn_crl.c - the client certificate revocation list (client-vpn.md E4) and the client
 * configuration profile (E6, openvpn-protocol.md 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cvpn/cvpn_int.h"
#include "lib/buf.h"

RESULT cvpn_crl_check(const char *pem, struct cvpn_verr *err)
{
	BIO *bio;
	X509_CRL *crl;
	int n;

	if (!pem || !*pem)
		return verr(err, E_CVPN_INVALID, "MissingParameter",
		            "CertificateRevocationList must hold a PEM CRL "
		            "(-----BEGIN X509 CRL-----).");
	bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	if (!bio)
		return E_NOMEM;
	crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!crl)
		return verr(err, E_CVPN_INVALID, "InvalidParameterValue",
		            "CertificateRevocationList is not a valid PEM certificate revocation "
		            "list; generate it with 'openssl ca -gencrl' (or easyrsa gen-crl) and "
		            "pass the PEM text.");
	n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
	/* E4: at most 20,000 entries. */
	if (n > CVPN_CRL_ENTRIES_MAX)
		return verr(err, E_CVPN_INVALID, "ClientVpnCertificateRevocationListLimitExceeded",
		            "The CRL has %d entries; at most %d are allowed.", n,
		            CVPN_CRL_ENTRIES_MAX);
	return E_OK;
}

/* openvpn-protocol.md 8 / client-vpn.md E6: the profile AWS exports, line for line. The
 * remote is the DNS name without "*."; remote-random-hostname makes the client add a random
 * label, which the wildcard record resolves. */
RESULT cvpn_profile_build(const struct cvpn_endpoint *e, const char *region, const char *ca_pem,
                          char **out)
{
	char dns[256];
	struct wbuf w;
	size_t n;
	result_t rc;

	*out = NULL;
	cvpn_dns_name(e->id, region, dns, sizeof(dns));
	wbuf_init_dyn(&w, 4096, 1u << 20);
	wbuf_printf(&w,
	            "client\n"
	            "dev tun\n"
	            "proto %s\n"
	            "remote %s %u\n"
	            "remote-random-hostname\n"
	            "resolv-retry infinite\n"
	            "nobind\n"
	            "remote-cert-tls server\n"
	            "cipher AES-256-GCM\n"
	            "verb 3\n"
	            "<ca>\n",
	            cvpn_transport_str(e->transport), dns + 2, (unsigned)e->port);
	wbuf_put_str(&w, ca_pem ? ca_pem : "");
	n = ca_pem ? strlen(ca_pem) : 0;
	if (n && ca_pem[n - 1] != '\n')
		wbuf_put_u8(&w, '\n');
	wbuf_put_str(&w, "</ca>\nreneg-sec 0\n");
	wbuf_put_u8(&w, 0);
	rc = wbuf_result(&w);
	if (rc != E_OK) {
		wbuf_free(&w);
		return rc;
	}
	*out = (char *)w.data; /* the dynamic buffer is plain malloc'd memory */
	return E_OK;
}
