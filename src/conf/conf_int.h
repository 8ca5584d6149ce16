/*
 * conf/conf_int.h - internals shared by the files of the conf module (not a public API).
 *
 *   lex.c       bytes -> lines of words (bounded, quoted strings, comments)
 *   parse.c     lines -> struct conf through tables of keys per block
 *   value.c     one value: numbers, addresses, CIDRs, algorithm lists, enumerations
 *   validate.c  checks across values: one tunnel, then the whole file
 *   print.c     the normalized configuration (-nv)
 *   conf.c      entry points, diagnostics, lifecycle, comparisons
 */
#ifndef GH_CONF_INT_H
#define GH_CONF_INT_H

#include "conf/conf.h"
#include "lib/buf.h"

struct conf_tok {
	char s[CONF_TOKEN_MAX];
	bool quoted; /* "{" in quotes is a word, not a block opener */
};

struct conf_line {
	unsigned lineno;
	bool bad; /* the lexer reported a problem; the parser skips the line */
	size_t n;
	struct conf_tok tok[CONF_TOKENS_MAX];
};

/* Add "file:line: message" to the list (counted, not kept, beyond CONF_DIAGS_MAX). */
void conf_diag_add(struct conf_diags *d, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Next line of words from `r`; false at the end of the input. Problems go to `d`. */
bool conf_lex_line(struct rbuf *r, unsigned *lineno, struct conf_line *l, struct conf_diags *d);

/* True when the word is "{" / "}" outside quotes. */
bool conf_tok_is(const struct conf_tok *t, const char *s);

/* Parse the whole text into c (which starts zeroed); problems go to d. */
void conf_parse_all(struct conf *c, struct rbuf *text, struct conf_diags *d);

/* Values. Each returns false after adding a diag naming `what`. */
bool conf_value_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out, struct conf_diags *d,
                    unsigned line, const char *what);
bool conf_value_addr(const char *s, struct addr *out, struct conf_diags *d, unsigned line,
                     const char *what);
bool conf_value_prefix(const char *s, struct prefix *out, struct conf_diags *d, unsigned line,
                       const char *what);
bool conf_value_listen(const char *s, struct conf_diags *d, unsigned line);
bool conf_value_name(const char *s, struct conf_diags *d, unsigned line, const char *what);

/* Source lines of a tunnel's keys, for checks that involve several of them. */
enum conf_tkey {
	CONF_TK_LOCAL_ADDRESS,
	CONF_TK_REMOTE_ADDRESS,
	CONF_TK_LOCAL_NETWORK,
	CONF_TK_REMOTE_NETWORK,
	CONF_TK_INSIDE_CIDR,
	CONF_TK_INSIDE_IPV6_CIDR,
	CONF_TK_PSK,
	CONF_TK_P1_ENCR,
	CONF_TK_P2_ENCR,
	CONF_TK_P1_INTEG,
	CONF_TK_P2_INTEG,
	CONF_TK_P1_DH,
	CONF_TK_P2_DH,
	CONF_TK_P1_LIFETIME,
	CONF_TK_P2_LIFETIME,
	CONF_TK_REKEY_MARGIN,
	CONF_TK_REKEY_FUZZ,
	CONF_TK_REPLAY_WINDOW,
	CONF_TK_DPD_TIMEOUT,
	CONF_TK_DPD_ACTION,
	CONF_TK_STARTUP_ACTION,
	CONF_TK_IKE_VERSIONS,
	CONF_TK_LOG_ENABLED,
	CONF_TK_LOG_GROUP_ARN,
	CONF_TK_LOG_FORMAT,
	CONF_TK_LIFECYCLE,
	CONF_TK_ROUTE,
	CONF_TK_INSIDE_ROLE,
	CONF_TK__COUNT
};

struct conf_tunnel_lines {
	unsigned block;
	unsigned key[CONF_TK__COUNT]; /* 0 = not given */
	size_t ndiags_at_open;        /* problems reported before the block */
};

/* The tunnel key whose EC2 name appears first in a model message (CONF_TK__COUNT: none). */
enum conf_tkey conf_tkey_of_ec2(const char *msg);
const char *conf_tkey_name(enum conf_tkey tk);

/* Checks across the values of one tunnel (lifetimes, margin, startup, required keys). */
void conf_validate_tunnel(const struct conf_tunnel *ct, const struct conf_tunnel_lines *lines,
                          struct conf_diags *d);
/* Checks across the file (unique tunnels, addresses in the pool, unique inside CIDRs). */
void conf_validate_all(const struct conf *c, const struct conf_tunnel_lines *lines,
                       struct conf_diags *d);

#endif
