/*
 * svc/svc_cvpn_sys.c - what Client VPN endpoints need from the host: certificate files for the
 * OpenVPN server (there only while it reads them), the nftables masquerade of client CIDRs
 * (client-vpn.md B2e), the forwarding switch.
 */
#include "svc/svc_cvpn_int.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/secret.h"

#define CVPN_NFT_TABLE "ip gatehouse-cvpn"

static RESULT file_write(const char *path, const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return E_SYSTEM;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			(void)unlink(path);
			return E_SYSTEM;
		}
		off += (size_t)n;
	}
	return close(fd) == 0 ? E_OK : E_SYSTEM;
}

void cvpn_files_remove(struct cvpn_files *f)
{
	const char *paths[] = {f->cert, f->key, f->ca, f->crl};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i][0])
			(void)unlink(paths[i]);
	memset(f, 0, sizeof(*f));
}

RESULT cvpn_files_write(const char *data_dir, const char *ep_id, const struct cvpn_materials *m,
                        struct cvpn_files *f, struct ovpn_config *oc)
{
	char dir[sizeof(f->cert) - CVPN_ID_MAX - 8];
	result_t rc = E_OK;

	memset(f, 0, sizeof(*f));
	if ((size_t)snprintf(dir, sizeof(dir), "%s/cvpn", data_dir) >= sizeof(dir))
		return E_RANGE;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return E_SYSTEM;
	snprintf(f->cert, sizeof(f->cert), "%s/%s.crt", dir, ep_id);
	snprintf(f->key, sizeof(f->key), "%s/%s.key", dir, ep_id);
	snprintf(f->ca, sizeof(f->ca), "%s/%s.ca", dir, ep_id);
	if (m->crl)
		snprintf(f->crl, sizeof(f->crl), "%s/%s.crl", dir, ep_id);
	if (file_write(f->cert, m->server_cert_chain) != E_OK ||
	    file_write(f->key, m->server_key) != E_OK || file_write(f->ca, m->client_ca) != E_OK ||
	    (m->crl && file_write(f->crl, m->crl) != E_OK))
		rc = E_SYSTEM;
	if (rc != E_OK) {
		log_err("cvpn", "%s: cannot write its certificates under %s: %s", ep_id, dir,
		        strerror(errno));
		cvpn_files_remove(f);
		return rc;
	}
	oc->cert_path = f->cert;
	oc->key_path = f->key;
	oc->ca_path = f->ca;
	oc->crl_path = m->crl ? f->crl : NULL;
	return E_OK;
}

/* "table X; delete table X; table X {...}" replaces the table in one transaction. */
static RESULT nft_run(const char *cmd)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	result_t rc = E_OK;

	if (!ctx)
		return E_NOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
		const char *e = nft_ctx_get_error_buffer(ctx);

		log_err("cvpn", "nftables: %s", e && *e ? e : "command failed");
		rc = E_SYSTEM;
	}
	nft_ctx_free(ctx);
	return rc;
}

RESULT cvpn_nat_apply(const struct cvpn_nat *v, size_t n)
{
	struct wbuf w;
	result_t rc;

	if (n == 0)
		return nft_run("table " CVPN_NFT_TABLE "\ndelete table " CVPN_NFT_TABLE "\n");
	wbuf_init_dyn(&w, 512, 0);
	wbuf_printf(&w,
	            "table " CVPN_NFT_TABLE "\ndelete table " CVPN_NFT_TABLE "\n"
	            "table " CVPN_NFT_TABLE " {\n chain postrouting {\n"
	            "  type nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < n; i++) {
		char c[PREFIX_STRLEN];

		prefix_format(&v[i].cidr, c);
		wbuf_printf(&w, "  ip saddr %s oifname != \"%s\" masquerade\n", c, v[i].tun);
	}
	wbuf_printf(&w, " }\n}\n");
	wbuf_put_u8(&w, 0);
	rc = wbuf_result(&w);
	if (rc == E_OK)
		rc = nft_run((const char *)w.data);
	wbuf_free(&w);
	return rc;
}

void cvpn_forwarding_check(void)
{
	char v = '0';
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, 1) != 1)
			v = '?';
		close(fd);
	}
	if (v == '0')
		log_warn("cvpn", "net.ipv4.ip_forward is 0: Client VPN clients cannot reach their "
		                 "target networks until it is 1 (sysctl -w net.ipv4.ip_forward=1)");
}
