/*
 * model/inside.c - pre-shared keys and inside tunnel addresses: rules and generators.
 *
 * site-to-site.md section 2 #1, #2, #15 (G:365-389, G:471-477).
 */
#include "model/tunnel.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lib/secret.h"

#define LINK_LOCAL_V4 0xa9fe0000u /* 169.254.0.0/16 */
#define INSIDE_V4_BLOCKS 16384u   /* /30s in a /16 */
#define ALLOC_RANDOM_TRIES 64

/* The reserved /30s (G:373-381), as host-order network addresses. */
static const uint32_t inside_reserved[] = {
    0xa9fe0000u, /* 169.254.0.0/30 */
    0xa9fe0100u, /* 169.254.1.0/30 */
    0xa9fe0200u, /* 169.254.2.0/30 */
    0xa9fe0300u, /* 169.254.3.0/30 */
    0xa9fe0400u, /* 169.254.4.0/30 */
    0xa9fe0500u, /* 169.254.5.0/30 */
    0xa9fea9fcu, /* 169.254.169.252/30 */
};

static bool psk_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_';
}

RESULT model_psk_check(const char *psk, struct model_err *e)
{
	size_t n = strlen(psk);

	/* The PSK never goes into a message: it is a secret even when it is wrong. */
	if (n < MODEL_PSK_MIN || n > MODEL_PSK_MAX)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The pre-shared key must be between %d and %d characters in "
		                     "length (got %zu).",
		                     MODEL_PSK_MIN, MODEL_PSK_MAX, n);
	if (psk[0] == '0')
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The pre-shared key cannot start with zero (0).");
	for (size_t i = 0; i < n; i++)
		if (!psk_char_ok(psk[i]))
			return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
			                     "The pre-shared key contains an invalid character at "
			                     "position %zu. Allowed characters are alphanumeric "
			                     "characters, periods (.), and underscores (_).",
			                     i + 1);
	return E_OK;
}

RESULT model_psk_generate(char out[MODEL_PSK_MAX + 1])
{
	static const char alnum[] =
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const uint32_t nalnum = (uint32_t)(sizeof(alnum) - 1);
	uint32_t v;

	for (size_t i = 0; i < MODEL_PSK_GENERATED_LEN; i++) {
		/* The first character skips '0' (index 0): a PSK cannot start with zero. */
		if (i == 0) {
			GUARD(secret_random_below(nalnum - 1, &v));
			v += 1;
		} else {
			GUARD(secret_random_below(nalnum, &v));
		}
		out[i] = alnum[v];
	}
	out[MODEL_PSK_GENERATED_LEN] = 0;
	v = 0;
	return E_OK;
}

bool model_inside_cidr_reserved(const struct prefix *p)
{
	uint32_t net = addr_v4(&p->addr) & 0xfffffffcu;

	for (size_t i = 0; i < sizeof(inside_reserved) / sizeof(inside_reserved[0]); i++)
		if (net == inside_reserved[i])
			return true;
	return false;
}

RESULT model_inside_cidr_check(const struct prefix *p, struct model_err *e)
{
	char s[PREFIX_STRLEN];

	prefix_format(p, s);
	if (p->addr.family != AF_INET || p->len != 30 ||
	    (addr_v4(&p->addr) & 0xffff0000u) != LINK_LOCAL_V4)
		return model_err_set(
		    e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		    "The tunnel inside CIDR %s is not valid: it must be a size /30 "
		    "CIDR block from the 169.254.0.0/16 range.",
		    s);
	if (model_inside_cidr_reserved(p))
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The tunnel inside CIDR %s is reserved and cannot be used "
		                     "(reserved: 169.254.0.0/30 to 169.254.5.0/30, "
		                     "169.254.169.252/30).",
		                     s);
	return E_OK;
}

RESULT model_inside_cidr_parse(const char *s, struct prefix *out, struct model_err *e)
{
	result_t rc = prefix_parse(s, false, out);

	if (rc != E_OK)
		return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		                     "The tunnel inside CIDR '%.64s' is not a valid CIDR block "
		                     "(expected a network address such as 169.254.10.0/30).",
		                     s);
	return model_inside_cidr_check(out, e);
}

RESULT model_inside_cidr_unique(const struct prefix *p, const struct prefix *used, size_t n,
                                struct model_err *e)
{
	char s[PREFIX_STRLEN];

	for (size_t i = 0; i < n; i++) {
		if (used[i].addr.family != p->addr.family || !prefix_overlaps(p, &used[i]))
			continue;
		prefix_format(p, s);
		return model_err_set(e, E_MODEL_IN_USE, MODEL_EC2_CIDR_IN_USE,
		                     "The tunnel inside CIDR %s is already in use by another VPN "
		                     "tunnel on the same gateway.",
		                     s);
	}
	return E_OK;
}

static bool inside_block_free(uint32_t block, const struct prefix *used, size_t n)
{
	struct prefix p;

	p.len = 30;
	addr_from_v4(&p.addr, LINK_LOCAL_V4 | block << 2);
	return !model_inside_cidr_reserved(&p) &&
	       model_inside_cidr_unique(&p, used, n, NULL) == E_OK;
}

RESULT model_inside_cidr_allocate(const struct prefix *used, size_t n, struct prefix *out)
{
	uint32_t block = 0;

	/* Random picks first (the guide: "AWS picks a /30"), then a scan so a nearly full
	 * space still finds the last free block. */
	for (unsigned t = 0; t < ALLOC_RANDOM_TRIES; t++) {
		GUARD(secret_random_below(INSIDE_V4_BLOCKS, &block));
		if (inside_block_free(block, used, n))
			goto found;
	}
	for (uint32_t i = 0; i < INSIDE_V4_BLOCKS; i++) {
		uint32_t b = (block + i) % INSIDE_V4_BLOCKS;

		if (inside_block_free(b, used, n)) {
			block = b;
			goto found;
		}
	}
	return E_MODEL_EXHAUSTED;
found:
	out->len = 30;
	addr_from_v4(&out->addr, LINK_LOCAL_V4 | block << 2);
	return E_OK;
}

void model_inside_addrs(const struct prefix *p, struct addr *aws, struct addr *cgw)
{
	if (p->addr.family == AF_INET6) {
		/* /126: same convention, first host (::1 of the block) is ours. */
		*aws = p->addr;
		*cgw = p->addr;
		aws->bytes[15] = (uint8_t)((p->addr.bytes[15] & 0xfc) | 1);
		cgw->bytes[15] = (uint8_t)((p->addr.bytes[15] & 0xfc) | 2);
		return;
	}
	uint32_t net = addr_v4(&p->addr) & 0xfffffffcu;

	addr_from_v4(aws, net + 1);
	addr_from_v4(cgw, net + 2);
}

RESULT model_inside_ipv6_cidr_check(const struct prefix *p, struct model_err *e)
{
	char s[PREFIX_STRLEN];

	if (p->addr.family == AF_INET6 && p->len == 126 && p->addr.bytes[0] == 0xfd)
		return E_OK;
	prefix_format(p, s);
	return model_err_set(e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
	                     "The tunnel inside IPv6 CIDR %s is not valid: it must be a size /126 "
	                     "CIDR block from the local fd00::/8 range.",
	                     s);
}

RESULT model_inside_ipv6_cidr_parse(const char *s, struct prefix *out, struct model_err *e)
{
	if (prefix_parse(s, false, out) != E_OK)
		return model_err_set(
		    e, E_MODEL_INVALID, MODEL_EC2_INVALID_VALUE,
		    "The tunnel inside IPv6 CIDR '%.64s' is not a valid CIDR block "
		    "(expected a network address such as fd00:10::/126).",
		    s);
	return model_inside_ipv6_cidr_check(out, e);
}

RESULT model_inside_ipv6_cidr_allocate(const struct prefix *used, size_t n, struct prefix *out)
{
	for (unsigned t = 0; t < ALLOC_RANDOM_TRIES; t++) {
		memset(out, 0, sizeof(*out));
		out->addr.family = AF_INET6;
		out->len = 126;
		GUARD(secret_random(out->addr.bytes, 16));
		out->addr.bytes[0] = 0xfd;
		out->addr.bytes[15] &= 0xfc;
		if (model_inside_cidr_unique(out, used, n, NULL) == E_OK)
			return E_OK;
	}
	return E_MODEL_EXHAUSTED;
}
