/*
 * fuzz/fuzz_acm_import.c - acm_cert_parse (ImportCertificate's certificate, key and chain,
 * after base64): the input is split at the first two NUL bytes into the three PEM texts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "acm/acm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p[3] = {"", "", ""};
	size_t len[3] = {0, 0, 0}, i, k = 0, start = 0;
	char *copy = malloc(size + 1), err[256];
	struct acm_cert c;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (i = 0; i <= size && k < 3; i++)
		if (i == size || (copy[i] == 0 && k < 2)) {
			p[k] = copy + start;
			len[k++] = i - start;
			start = i + 1;
		}
	if (acm_cert_parse(p[0], len[0], p[1], len[1], p[2], len[2], &c, err, sizeof(err)) == E_OK)
		acm_cert_fini(&c);
	ERR_clear_error();
	free(copy);
	return 0;
}
