/*
 * test_svc_cvpn.c - the join of stored Client VPN endpoints and OpenVPN servers
 * (svc/svc_cvpn.h), in a private network namespace (root; skipped otherwise): an available
 * endpoint gets a listening server and its listen address is stored, records a previous run
 * left active end, the nftables masquerade table follows the servers, and an endpoint that
 * returns to pending-associate stops serving. Clients are the scenario tests' business
 * (tests/net/cvpn_*.sh, stock openvpn).
 */
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acm/acm.h"
#include "cvpn/cvpn_ops.h"
#include "lib/ev.h"
#include "store/store.h"
#include "svc/svc_cvpn.h"
#include "test.h"
#include "fx_acm.h"

#define REGION "us-east-1"
#define ACCOUNT "123456789012"
#define EP_ID "cvpn-endpoint-0123456789abcdef0"
#define L(s) (sizeof(s) - 1)

static bool g_netns;

static bool netns_private(void)
{
	if (!g_netns)
		g_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
		          system("ip link set lo up") == 0;
	return g_netns;
}

/* Can we bind UDP 127.0.0.1:443 (that is, does no server hold it)? */
static bool port_free(void)
{
	struct sockaddr_storage ss;
	struct addr a;
	socklen_t sl;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0 || addr_parse("127.0.0.1", &a) != E_OK)
		return false;
	addr_to_sockaddr(&a, 443, &ss, &sl);
	ok = bind(fd, (struct sockaddr *)&ss, sl) == 0;
	close(fd);
	return ok;
}

static bool nat_table_present(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	bool present;

	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	present = nft_run_cmd_from_buffer(ctx, "list table ip gatehouse-cvpn") == 0;
	nft_ctx_free(ctx);
	return present;
}

/* The endpoint row: available, one connection a previous run left active. */
static result_t ep_store(struct store *st, const char *arn)
{
	struct cvpn_endpoint e;
	struct cvpn_conn c;
	struct store_res row;
	struct cvpn_verr err;
	result_t rc;

	cvpn_endpoint_init(&e);
	snprintf(e.id, sizeof(e.id), EP_ID);
	e.status = CVPN_ST_AVAILABLE;
	GUARD(cvpn_check_client_cidr("172.16.0.0/22", &e.client_cidr, &err));
	GUARD(cvpn_str_set(&e.server_cert_arn, arn));
	e.auth[0].type = CVPN_AUTH_CERTIFICATE;
	GUARD(cvpn_str_set(&e.auth[0].client_root_chain_arn, arn));
	e.n_auth = 1;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "cvpn-connection-0000000000000000a");
	c.common_name = "alice";
	snprintf(c.client_ip, sizeof(c.client_ip), "172.16.0.2");
	c.status = CVPN_CONN_ACTIVE;
	c.established_ms = store_now_ms() - 1000;
	GUARD(cvpn_conn_add(&e, &c));
	store_res_init(&row, CVPN_T_ENDPOINT, EP_ID, "available");
	rc = store_res_insert(st, &row);
	if (rc == E_OK)
		rc = cvpn_store_save(st, &row, &e);
	store_res_fini(&row);
	cvpn_endpoint_fini(&e);
	return rc;
}

static result_t ep_set_status(struct store *st, enum cvpn_status s)
{
	struct cvpn_endpoint e;
	struct store_res row;
	result_t rc;

	GUARD(cvpn_store_load(st, EP_ID, &row, &e));
	e.status = s;
	rc = cvpn_store_save(st, &row, &e);
	store_res_fini(&row);
	cvpn_endpoint_fini(&e);
	return rc;
}

static result_t cert_import(struct store *st, char arn[ACM_ARN_MAX])
{
	struct acm_cert c;
	char err[256];
	result_t rc;

	GUARD(acm_cert_parse(FX_SRV_CRT, L(FX_SRV_CRT), FX_SRV_KEY, L(FX_SRV_KEY), FX_CA, L(FX_CA),
	                     &c, err, sizeof(err)));
	acm_new_id(c.id);
	acm_arn_format(REGION, ACCOUNT, c.id, c.arn, sizeof(c.arn));
	rc = acm_cert_put(st, &c);
	snprintf(arn, ACM_ARN_MAX, "%s", c.arn);
	acm_cert_fini(&c);
	return rc;
}

TEST(svc_cvpn_serves_available_endpoints)
{
	char dir[64] = "/tmp/gh-test-svc-cvpn-XXXXXX", arn[ACM_ARN_MAX], la[ADDR_STRLEN];
	struct svc_cvpn_config cfg;
	struct svc_cvpn *s = NULL;
	struct ev_loop *loop = NULL;
	struct store *st = NULL;
	struct cvpn_endpoint e;
	struct store_res row;

	if (!netns_private()) {
		fprintf(stderr, "    not root (or no namespaces): skipped\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK_OK(store_open(dir, &st));
	CHECK_OK(ev_loop_new(&loop));
	CHECK_OK(store_begin(st));
	CHECK_OK(cert_import(st, arn));
	CHECK_OK(ep_store(st, arn));
	CHECK_OK(store_commit(st));
	CHECK(port_free());

	memset(&cfg, 0, sizeof(cfg));
	cfg.loop = loop;
	cfg.store = st;
	cfg.data_dir = dir;
	cfg.region = REGION;
	cfg.account = ACCOUNT;
	CHECK_OK(addr_parse("127.0.0.1", &cfg.listen[0]));
	cfg.nlisten = 1;
	CHECK_OK(svc_cvpn_new(&cfg, &s));

	/* serving on the pool's address, kept in the store; the old session ended */
	CHECK(!port_free());
	CHECK(nat_table_present());
	CHECK_OK(cvpn_store_load(st, EP_ID, &row, &e));
	addr_format(&e.listen_addr, la);
	CHECK_STR(la, "127.0.0.1");
	CHECK_EQ(e.n_conns, 1);
	CHECK_EQ(e.conns[0].status, CVPN_CONN_TERMINATED);
	CHECK_EQ(e.conns[0].end, CVPN_END_GONE);
	CHECK_STR(e.conns[0].msg, "Gatehouse restarted");
	store_res_fini(&row);
	cvpn_endpoint_fini(&e);
	/* no certificate files left behind: they exist only while the server reads them */
	{
		char p[128];

		snprintf(p, sizeof(p), "%s/cvpn/" EP_ID ".key", dir);
		CHECK(access(p, F_OK) != 0 && errno == ENOENT);
	}

	/* A11: back to pending-associate -> the server stops, the NAT table goes */
	CHECK_OK(store_begin(st));
	CHECK_OK(ep_set_status(st, CVPN_ST_PENDING_ASSOCIATE));
	CHECK_OK(store_commit(st));
	svc_cvpn_sync(s);
	CHECK(port_free());
	CHECK(!nat_table_present());

	/* available again -> served again on the same address */
	CHECK_OK(store_begin(st));
	CHECK_OK(ep_set_status(st, CVPN_ST_AVAILABLE));
	CHECK_OK(store_commit(st));
	svc_cvpn_sync(s);
	CHECK(!port_free());
	svc_cvpn_free(s);
	CHECK(port_free());
	CHECK(!nat_table_present());

	ev_loop_free(loop);
	store_close(st);
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_EQ(system(cmd), 0);
	}
}

