/*
 * xml_text.h - escaping of text for XML character data and attribute values, shared by the
 * EC2 response writer (api) and the customer-gateway device configurations (devcfg).
 * Writes through a wbuf, so errors are sticky in it. Any thread; no state.
 */
#ifndef GH_LIB_XML_TEXT_H
#define GH_LIB_XML_TEXT_H

#include "buf.h"

/* Write the NUL-terminated s to w with &, <, >, ", ' and CR escaped. */
void xml_escape(struct wbuf *w, const char *s);

#endif
