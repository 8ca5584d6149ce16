/*
 * fuzz_api_request - the EC2 API request parsers: form decoding into the parameter map, list
 * index scanning, SigV4 Authorization header parsing, the canonical query string and the
 * canonical request (header lookups answered from the input itself).
 *
 * Input layout: the whole input is the form body; its first line (up to '\n') is also used as
 * the Authorization header and as the query string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_req.h"
#include "api/api_sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_header(void *arg, const char *lname)
{
	if (strcmp(lname, "host") == 0)
		return "127.0.0.1:5000";
	if (strcmp(lname, "x-amz-date") == 0)
		return "20261124T120000Z";
	return arg;
}

static void fuzz_form(const uint8_t *data, size_t size)
{
	struct api_params p;
	struct rbuf r;
	uint32_t idx[64];
	char err[256];

	rbuf_init(&r, data, size);
	if (api_form_parse(&r, &p, err, sizeof(err)) != E_OK)
		return;
	(void)api_param(&p, "Action");
	(void)api_param_indices(&p, "Filter", idx, 64);
	(void)api_paramf(&p, "Filter.%u.Name", 1u);
	api_params_fini(&p);
}

static void fuzz_sigv4(const char *line, const uint8_t *body, size_t size)
{
	struct sigv4_input in = {"POST", "/", line, body, size, fuzz_header, (void *)line};
	struct sigv4_auth a;
	struct wbuf w;
	char err[256];
	int64_t t;

	(void)sigv4_parse_amz_date(line, &t);
	wbuf_init_dyn(&w, 256, 1 << 20);
	(void)sigv4_canonical_query(line, &w);
	wbuf_free(&w);
	if (sigv4_parse_auth(line, &a, err, sizeof(err)) != E_OK)
		return;
	wbuf_init_dyn(&w, 256, 1 << 20);
	(void)sigv4_canonical_request(&in, &a, &w, err, sizeof(err));
	wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *line;

	fuzz_form(data, size);
	while (n < size && data[n] != '\n')
		n++;
	line = malloc(n + 1);
	if (!line)
		return 0;
	memcpy(line, data, n);
	line[n] = 0;
	fuzz_sigv4(line, data, size);
	free(line);
	return 0;
}
