/*
 * api/api_xml.c - the response XML writer (ec2-api.md 2.2): elements named by locationName,
 * lists as <item>, text escaped. Errors are sticky in the underlying wbuf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_req.h"

void xml_init(struct xml *x, struct wbuf *w)
{
	x->w = w;
	x->depth = 0;
}

void xml_open(struct xml *x, const char *name)
{
	if (x->depth >= XML_DEPTH_MAX) {
		x->w->err = E_OVERFLOW;
		return;
	}
	x->stack[x->depth++] = name;
	wbuf_printf(x->w, "<%s>", name);
}

void xml_close(struct xml *x)
{
	if (x->depth == 0) {
		x->w->err = E_INVAL;
		return;
	}
	wbuf_printf(x->w, "</%s>", x->stack[--x->depth]);
}

void xml_str(struct xml *x, const char *name, const char *value)
{
	if (!value)
		return;
	wbuf_printf(x->w, "<%s>", name);
	xml_escape(x->w, value);
	wbuf_printf(x->w, "</%s>", name);
}

void xml_strf(struct xml *x, const char *name, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xml_str(x, name, buf);
}

void xml_bool(struct xml *x, const char *name, bool v)
{
	xml_str(x, name, v ? "true" : "false");
}

void xml_u64(struct xml *x, const char *name, uint64_t v)
{
	xml_strf(x, name, "%llu", (unsigned long long)v);
}
