/*
 * fuzz/fuzz_acm_json.c - the ACM JSON protocol (acm_json_handle): request bodies as
 * untrusted bytes for every operation, notably ListCertificates' members (MaxItems,
 * NextToken, CertificateStatuses, Includes, SortBy/SortOrder).
 *
 * Input layout: the first byte picks the operation (modulo the table), the rest is the body.
 * One store in a temp directory serves every input; each input runs in a transaction that is
 * rolled back, so inputs do not see each other's imports; the directory goes at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>

#include "acm/acm.h"
#include "lib/buf.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_ops[] = {
    "ListCertificates", "ImportCertificate", "DescribeCertificate",
    "GetCertificate",   "DeleteCertificate",
};

static struct store *fuzz_st;
static char fuzz_dir[] = "/tmp/gh-fuzz-acm-XXXXXX";

static void fuzz_cleanup(void)
{
	static const char *const files[] = {"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"};
	char path[sizeof(fuzz_dir) + 32];
	size_t i;

	store_close(fuzz_st);
	fuzz_st = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, files[i]);
		unlink(path);
	}
	rmdir(fuzz_dir);
}

static struct store *fuzz_store(void)
{
	if (!fuzz_st) {
		if (!mkdtemp(fuzz_dir))
			return NULL;
		if (store_open(fuzz_dir, &fuzz_st) != E_OK) {
			rmdir(fuzz_dir);
			return NULL;
		}
		atexit(fuzz_cleanup);
	}
	return fuzz_st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fuzz_store();
	unsigned status = 0;
	struct wbuf w;

	if (!st || size == 0 || store_begin(st) != E_OK)
		return 0;
	wbuf_init_dyn(&w, 1024, 1 << 22);
	(void)acm_json_handle(st, "us-east-1", "123456789012",
	                      fuzz_ops[data[0] % (sizeof(fuzz_ops) / sizeof(fuzz_ops[0]))],
	                      data + 1, size - 1, &w, &status);
	wbuf_free(&w);
	store_rollback(st);
	ERR_clear_error();
	return 0;
}
