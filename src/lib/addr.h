/*
 * addr.h - IP addresses and prefixes (IPv4 and IPv6), parse and format.
 * Addresses are kept in network byte order in 16 bytes; IPv4 uses the first 4.
 */
#ifndef GH_LIB_ADDR_H
#define GH_LIB_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

#define ADDR_STRLEN 46   /* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN 50 /* address + "/128" */

struct addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct prefix {
	struct addr addr; /* host bits are zero */
	uint8_t len;
};

RESULT addr_parse(const char *s, struct addr *out);
void addr_format(const struct addr *a, char *buf /* ADDR_STRLEN */);
bool addr_equal(const struct addr *a, const struct addr *b);
unsigned addr_bits(const struct addr *a); /* 32 or 128 */
/* IPv4 only: host-order value, and back. */
uint32_t addr_v4(const struct addr *a);
void addr_from_v4(struct addr *a, uint32_t host_order);
/* struct sockaddr_in/in6 with a port (host order), and back. */
void addr_to_sockaddr(const struct addr *a, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len);
RESULT addr_from_sockaddr(const struct sockaddr *sa, struct addr *a, uint16_t *port);

/* "10.0.0.0/16"; E_PARSE on syntax, E_INVAL when host bits are set and !allow_host_bits. */
RESULT prefix_parse(const char *s, bool allow_host_bits, struct prefix *out);
void prefix_format(const struct prefix *p, char *buf /* PREFIX_STRLEN */);
bool prefix_contains(const struct prefix *p, const struct addr *a);
/* True when either prefix contains the other. */
bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* Zero the host bits. */
void prefix_normalize(struct prefix *p);

#endif
