/* svc/svc_cvpn_int.h - the host side of Client VPN endpoints (svc_cvpn_sys.c). */
#ifndef GH_SVC_CVPN_INT_H
#define GH_SVC_CVPN_INT_H

#include "cvpn/cvpn.h"
#include "lib/buf.h"
#include "ovpn/ovpn.h"
#include "svc/svc_cvpn.h"

/* The certificate files of one server, written just before ovpn reads them. */
struct cvpn_files {
	char cert[600], key[600], ca[600], crl[600];
};

/* Write m's PEM texts as 0600 files under DATA_DIR/cvpn/ and point oc's paths at them.
 * E_SYSTEM (logged), E_RANGE (path too long). */
RESULT cvpn_files_write(const char *data_dir, const char *ep_id, const struct cvpn_materials *m,
                        struct cvpn_files *f, struct ovpn_config *oc);
void cvpn_files_remove(struct cvpn_files *f);

/* One masquerade rule: traffic from cidr leaving by any interface but tun. */
struct cvpn_nat {
	struct prefix cidr;
	char tun[16];
};
/* Replace the table with these rules (none: remove it). E_SYSTEM (logged). */
RESULT cvpn_nat_apply(const struct cvpn_nat *v, size_t n);

/* Connection logging (svc_cvpn_log.c): when e has logging enabled, append r's E7 entry to
 * DATA_DIR/logs/<group>/<stream or endpoint id>. Failures are logged, not returned. */
void cvpn_connlog_write(const char *data_dir, const struct cvpn_endpoint *e,
                        const struct cvpn_conn *r, const struct ovpn_client_info *c,
                        int64_t now_ms);

/* Warn when IPv4 forwarding is off. */
void cvpn_forwarding_check(void);

#endif
