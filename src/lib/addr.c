#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

RESULT addr_parse(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return E_OK;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return E_OK;
	}
	return E_PARSE;
}

void addr_format(const struct addr *a, char *buf)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->bytes, buf, ADDR_STRLEN))
		strcpy(buf, "?");
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, addr_bits(a) / 8) == 0;
}

unsigned addr_bits(const struct addr *a)
{
	return a->family == AF_INET6 ? 128 : 32;
}

uint32_t addr_v4(const struct addr *a)
{
	return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
	       (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

void addr_from_v4(struct addr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->bytes[0] = (uint8_t)(v >> 24);
	a->bytes[1] = (uint8_t)(v >> 16);
	a->bytes[2] = (uint8_t)(v >> 8);
	a->bytes[3] = (uint8_t)v;
}

void addr_to_sockaddr(const struct addr *a, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->bytes, 4);
		*len = sizeof(*s4);
	}
}

RESULT addr_from_sockaddr(const struct sockaddr *sa, struct addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		a->family = AF_INET;
		memcpy(a->bytes, &s4->sin_addr, 4);
		if (port)
			*port = ntohs(s4->sin_port);
		return E_OK;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		a->family = AF_INET6;
		memcpy(a->bytes, &s6->sin6_addr, 16);
		if (port)
			*port = ntohs(s6->sin6_port);
		return E_OK;
	}
	return E_UNSUPPORTED;
}

void prefix_normalize(struct prefix *p)
{
	unsigned bits = addr_bits(&p->addr);

	for (unsigned i = 0; i < bits / 8; i++) {
		unsigned keep = p->len > i * 8 ? p->len - i * 8 : 0;

		if (keep < 8)
			p->addr.bytes[i] &= (uint8_t)(0xff00u >> keep);
	}
}

RESULT prefix_parse(const char *s, bool allow_host_bits, struct prefix *out)
{
	char buf[PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long len;
	struct prefix norm;
	size_t alen;

	if (!slash)
		return E_PARSE;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf))
		return E_PARSE;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	GUARD(addr_parse(buf, &out->addr));
	if (slash[1] < '0' || slash[1] > '9')
		return E_PARSE;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > addr_bits(&out->addr) || end - (slash + 1) > 3)
		return E_PARSE;
	out->len = (uint8_t)len;
	norm = *out;
	prefix_normalize(&norm);
	if (!allow_host_bits && !addr_equal(&norm.addr, &out->addr))
		return E_INVAL;
	*out = norm;
	return E_OK;
}

void prefix_format(const struct prefix *p, char *buf)
{
	char a[ADDR_STRLEN];

	addr_format(&p->addr, a);
	snprintf(buf, PREFIX_STRLEN, "%s/%u", a, p->len);
}

bool prefix_contains(const struct prefix *p, const struct addr *a)
{
	struct prefix q;

	if (p->addr.family != a->family)
		return false;
	q.addr = *a;
	q.len = p->len;
	prefix_normalize(&q);
	return addr_equal(&q.addr, &p->addr);
}

bool prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return a->len <= b->len ? prefix_contains(a, &b->addr) : prefix_contains(b, &a->addr);
}

bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && addr_equal(&a->addr, &b->addr);
}
