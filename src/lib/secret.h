/*
 * secret.h - handling of key material and randomness (OpenSSL underneath).
 * Secrets are wiped with secret_wipe on every path and compared with secret_equal.
 */
#ifndef GH_LIB_SECRET_H
#define GH_LIB_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Overwrite memory in a way the compiler may not elide. */
void secret_wipe(void *p, size_t n);
/* Constant-time equality of two equal-length byte strings. */
bool secret_equal(const void *a, const void *b, size_t n);
/* Bytes from the CSPRNG; E_CRYPTO if it is not seeded. */
RESULT secret_random(void *out, size_t n);
/* Uniform integer in [0, bound) from the CSPRNG; bound > 0. */
RESULT secret_random_below(uint32_t bound, uint32_t *out);

/* Value of one hex digit (either case), or -1. */
int hex_digit_value(char c);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const void *in, size_t n, char *out);
/* Decode hex (either case, even length) into out (cap bytes); *n gets the length. */
RESULT hex_decode(const char *in, void *out, size_t cap, size_t *n);

#endif
