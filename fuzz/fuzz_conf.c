/*
 * fuzz_conf - the configuration file parser (conf_parse_text): any bytes must give either a
 * valid configuration, which then prints (conf_print) to text that parses back equal, or a
 * list of problems - never a crash, an overrun or a leak. The corpus holds real files.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf_diags diags;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL, *c2 = NULL;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	if (conf_parse_text("fuzz", (const char *)data, size, &c, &diags) != E_OK)
		return 0;
	f = open_memstream(&out, &n);
	if (f) {
		conf_print(c, f);
		fclose(f);
		/* A valid file's normalized form is valid and means the same. */
		if (conf_parse_text("printed", out, n, &c2, &diags) != E_OK ||
		    c2->ntunnels != c->ntunnels)
			abort();
		for (size_t i = 0; i < c->ntunnels; i++)
			if (!conf_tunnel_equal(&c->tunnels[i], &c2->tunnels[i]))
				abort();
	}
	free(out);
	conf_free(c2);
	conf_free(c);
	return 0;
}
