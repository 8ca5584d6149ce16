/*
 * cvpn/cvpn_ovpn.c - the certificate material an endpoint hands to the OpenVPN server
 * (client-vpn.md F: ServerCertificateArn -> cert/key + chain, ClientRootCertificateChainArn ->
 * the CA that verifies client certificates, the CRL -> crl-verify).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm.h"
#include "cvpn/cvpn.h"
#include "lib/secret.h"

static RESULT cvpn_cert_load(struct store *st, const char *region, const char *account,
                             const char *arn, struct acm_cert *c)
{
	char id[ACM_ID_LEN + 1];

	if (!arn || acm_arn_id(arn, region, account, id) != E_OK)
		return E_NOTFOUND;
	return acm_cert_get(st, id, c);
}

static char *cvpn_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *o = malloc(la + lb + 2);

	if (!o)
		return NULL;
	memcpy(o, a, la);
	if (la && a[la - 1] != '\n')
		o[la++] = '\n';
	if (lb)
		memcpy(o + la, b, lb);
	o[la + lb] = 0;
	return o;
}

RESULT cvpn_materials_get(struct store *st, const char *region, const char *account,
                          const struct cvpn_endpoint *e, struct cvpn_materials *out)
{
	struct acm_cert srv, ca;
	const char *client_arn = NULL;
	size_t i;
	result_t rc;

	memset(out, 0, sizeof(*out));
	memset(&ca, 0, sizeof(ca));
	for (i = 0; i < e->n_auth; i++)
		if (e->auth[i].type == CVPN_AUTH_CERTIFICATE)
			client_arn = e->auth[i].client_root_chain_arn;
	GUARD(cvpn_cert_load(st, region, account, e->server_cert_arn, &srv));
	rc = client_arn ? cvpn_cert_load(st, region, account, client_arn, &ca) : E_NOTFOUND;
	if (rc == E_OK) {
		out->server_cert_chain = cvpn_concat(srv.cert_pem, srv.chain_pem);
		out->server_key = srv.key_pem ? strdup(srv.key_pem) : NULL;
		out->client_ca = strdup(ca.chain_pem ? ca.chain_pem : ca.cert_pem);
		out->crl = e->crl_pem ? strdup(e->crl_pem) : NULL;
		if (!out->server_cert_chain || !out->server_key || !out->client_ca ||
		    (e->crl_pem && !out->crl))
			rc = E_NOMEM;
	}
	acm_cert_fini(&srv);
	acm_cert_fini(&ca);
	if (rc != E_OK)
		cvpn_materials_fini(out);
	return rc;
}

void cvpn_materials_fini(struct cvpn_materials *m)
{
	if (m->server_key) {
		secret_wipe(m->server_key, strlen(m->server_key));
		free(m->server_key);
	}
	free(m->server_cert_chain);
	free(m->client_ca);
	free(m->crl);
	memset(m, 0, sizeof(*m));
}
