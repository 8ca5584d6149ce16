/*
 * lib/xml_text.c - XML text escaping (see xml_text.h).
 */
#include "xml_text.h"

void xml_escape(struct wbuf *w, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			wbuf_put_str(w, "&amp;");
			break;
		case '<':
			wbuf_put_str(w, "&lt;");
			break;
		case '>':
			wbuf_put_str(w, "&gt;");
			break;
		case '"':
			wbuf_put_str(w, "&quot;");
			break;
		case '\'':
			wbuf_put_str(w, "&apos;");
			break;
		case '\r': /* a literal CR would be normalised away by the XML parser */
			wbuf_put_str(w, "&#13;");
			break;
		default:
			wbuf_put_u8(w, (uint8_t)*s);
		}
	}
}
