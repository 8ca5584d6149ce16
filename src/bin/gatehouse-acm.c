/*
 * gatehouse-acm - the local certificate store (src/acm) without the API:
 *
 *   gatehouse-acm import --data-dir DIR --certificate CERT.pem --private-key KEY.pem
 *                        [--certificate-chain CHAIN.pem] [--region us-east-1]
 *   gatehouse-acm list   --data-dir DIR [--region us-east-1]
 *
 * It opens the daemon's database directly (SQLite WAL: safe beside a running gatehoused) and
 * does what `aws acm import-certificate` / `aws acm list-certificates` do over the API: the
 * same OpenSSL validation, the same ARN. Prints the ARN on success; exit 1 with the reason on
 * failure, 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "acm/acm.h"
#include "api/api_req.h"
#include "lib/log.h"
#include "store/store.h"

struct gha_opts {
	const char *data_dir, *region, *cert, *key, *chain;
};

static void gha_usage(FILE *f)
{
	fprintf(f, "usage: gatehouse-acm import --data-dir DIR --certificate CERT.pem "
	           "--private-key KEY.pem\n"
	           "                            [--certificate-chain CHAIN.pem] [--region REGION]\n"
	           "       gatehouse-acm list --data-dir DIR [--region REGION]\n");
}

static int gha_parse(int argc, char **argv, struct gha_opts *o)
{
	static const struct option lo[] = {
	    {"data-dir", required_argument, NULL, 'd'},
	    {"region", required_argument, NULL, 'r'},
	    {"certificate", required_argument, NULL, 'c'},
	    {"private-key", required_argument, NULL, 'k'},
	    {"certificate-chain", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->data_dir = optarg;
			break;
		case 'r':
			o->region = optarg;
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'C':
			o->chain = optarg;
			break;
		default:
			return -1;
		}
	}
	return o->data_dir ? 0 : -1;
}

struct gha_list {
	const char *region;
};

static result_t gha_list_cb(void *arg, const struct acm_cert *c)
{
	struct gha_list *l = arg;
	char arn[ACM_ARN_MAX];

	acm_arn_format(l->region, API_OWNER_ID, c->id, arn, sizeof(arn));
	printf("%s\t%s\t%s\n", arn, c->domain, c->key_algo);
	return E_OK;
}

static int gha_run(struct store *st, const char *cmd, const struct gha_opts *o)
{
	char arn[ACM_ARN_MAX], err[256] = "";
	struct gha_list l = {o->region};
	result_t rc;

	if (strcmp(cmd, "list") == 0)
		return acm_cert_foreach(st, gha_list_cb, &l) == E_OK ? 0 : 1;
	if (!o->cert || !o->key) {
		gha_usage(stderr);
		return 2;
	}
	rc = store_begin(st);
	if (rc == E_OK)
		rc = acm_import_files(st, o->region, API_OWNER_ID, o->cert, o->key, o->chain, arn,
		                      err, sizeof(err));
	if (rc == E_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc != E_OK) {
		fprintf(stderr, "gatehouse-acm: import failed: %s\n", err[0] ? err : err_msg(rc));
		return 1;
	}
	printf("%s\n", arn);
	return 0;
}

int main(int argc, char **argv)
{
	struct gha_opts o = {NULL, "us-east-1", NULL, NULL, NULL};
	struct store *st = NULL;
	const char *cmd = argc > 1 ? argv[1] : "";
	int ret;

	if (strcmp(cmd, "import") != 0 && strcmp(cmd, "list") != 0) {
		gha_usage(stderr);
		return 2;
	}
	if (gha_parse(argc - 1, argv + 1, &o) != 0 || optind != argc - 1) {
		gha_usage(stderr);
		return 2;
	}
	log_set_level(LOG_WARN);
	umask(077); /* a database this tool creates holds private keys: owner only */
	if (store_open(o.data_dir, &st) != E_OK) {
		fprintf(stderr, "gatehouse-acm: cannot open the store in %s\n", o.data_dir);
		return 1;
	}
	ret = gha_run(st, cmd, &o);
	store_close(st);
	return ret;
}
