/*
 * dh_groups.h - the Diffie-Hellman group table (internal to src/crypto).
 *
 * Constant data only: safe to read from any thread.
 */
#ifndef GH_CRYPTO_DH_GROUPS_H
#define GH_CRYPTO_DH_GROUPS_H

#include <stddef.h>
#include <stdint.h>

enum crypto_dh_kind {
	CRYPTO_DH_MODP,          /* safe prime p = 2q + 1, RFC 2409 / RFC 3526 */
	CRYPTO_DH_MODP_SUBGROUP, /* prime-order subgroup q of p, RFC 5114 */
	CRYPTO_DH_ECP,           /* NIST prime curve, RFC 5903 */
};

struct crypto_dh_group {
	uint16_t id; /* IKEv2 transform type 4 ID */
	enum crypto_dh_kind kind;
	size_t pub_len;    /* KE payload data octets */
	size_t shared_len; /* g^ir octets */
	/* MODP: big-endian hex, as printed in the RFC */
	const char *p_hex;
	const char *g_hex;
	const char *q_hex;  /* NULL for the safe-prime groups */
	unsigned priv_bits; /* private exponent length for the safe-prime groups */
	/* ECP */
	const char *curve; /* OpenSSL group name */
	int nid;
	size_t coord_len; /* octets per coordinate */
};

/* The group with this IKEv2 ID, or NULL when not supported. */
const struct crypto_dh_group *crypto_dh_group_find(uint16_t id);

#endif
