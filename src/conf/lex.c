/*
 * conf/lex.c - split the configuration text into lines of words.
 *
 * The grammar (docs/configuration.md): a line is words separated by blanks; "#" starts a
 * comment; a word in double quotes may hold blanks, "#", "{" and "}" and the escapes \" and \\;
 * "{" and "}" outside quotes are words of their own. Every limit is checked and reported with
 * the line: line length, word length, words per line, control bytes, unterminated quotes.
 * Bytes are read only through struct rbuf.
 */
#include <string.h>

#include "conf/conf_int.h"

struct lexer {
	struct conf_line *l;
	struct conf_diags *d;
	char word[CONF_TOKEN_MAX];
	size_t wlen;
	bool in_word, quoted, overlong;
};

bool conf_tok_is(const struct conf_tok *t, const char *s)
{
	return !t->quoted && strcmp(t->s, s) == 0;
}

static void lex_fail(struct lexer *x, const char *fmt, const char *arg)
{
	if (!x->l->bad)
		conf_diag_add(x->d, x->l->lineno, fmt, arg);
	x->l->bad = true;
}

static void lex_put(struct lexer *x, uint8_t c)
{
	if (x->wlen + 1 >= sizeof(x->word)) {
		if (!x->overlong)
			conf_diag_add(x->d, x->l->lineno, "word longer than %d bytes",
			              CONF_TOKEN_MAX - 1);
		x->overlong = true;
		x->l->bad = true;
		return;
	}
	x->word[x->wlen++] = (char)c;
	x->in_word = true;
}

static void lex_end_word(struct lexer *x)
{
	struct conf_line *l = x->l;

	if (!x->in_word)
		return;
	if (l->n >= CONF_TOKENS_MAX) {
		lex_fail(x, "more than %s words on one line", "32");
	} else if (!x->overlong) {
		memcpy(l->tok[l->n].s, x->word, x->wlen);
		l->tok[l->n].s[x->wlen] = '\0';
		l->tok[l->n].quoted = x->quoted;
		l->n++;
	}
	x->wlen = 0;
	x->in_word = x->quoted = x->overlong = false;
}

/* A quoted string; the opening quote is consumed. False when the line ends inside it. */
static bool lex_quoted(struct lexer *x, struct rbuf *line)
{
	uint8_t c;

	x->in_word = x->quoted = true;
	while (rbuf_get_u8(line, &c) == E_OK) {
		if (c == '"')
			return true;
		if (c == '\\') {
			if (rbuf_get_u8(line, &c) != E_OK || (c != '"' && c != '\\')) {
				lex_fail(x, "bad escape in quoted string (only \\\" and \\\\)%s",
				         "");
				return false;
			}
		} else if (c < 0x20 && c != '\t') {
			lex_fail(x, "control character in quoted string%s", "");
			return false;
		}
		lex_put(x, c);
	}
	lex_fail(x, "unterminated quoted string%s", "");
	return false;
}

static void lex_words(struct lexer *x, struct rbuf *line)
{
	uint8_t c;

	while (rbuf_get_u8(line, &c) == E_OK) {
		if (c == '#')
			break;
		if (c == ' ' || c == '\t' || c == '\r') {
			lex_end_word(x);
		} else if (c == '"') {
			if (x->in_word) {
				lex_fail(x, "quote inside a word%s", "");
				return;
			}
			if (!lex_quoted(x, line))
				return;
			lex_end_word(x);
		} else if (c == '{' || c == '}') {
			lex_end_word(x);
			lex_put(x, c);
			lex_end_word(x);
		} else if (c < 0x20 || c >= 0x7f) {
			lex_fail(x, "control or non-ASCII byte outside quotes%s", "");
			return;
		} else {
			lex_put(x, c);
		}
	}
	lex_end_word(x);
}

bool conf_lex_line(struct rbuf *r, unsigned *lineno, struct conf_line *l, struct conf_diags *d)
{
	struct lexer x = {.l = l, .d = d};
	const uint8_t *start = rbuf_cur(r);
	size_t len = 0;
	uint8_t c;
	struct rbuf line;

	if (rbuf_remaining(r) == 0)
		return false;
	l->lineno = ++*lineno;
	l->n = 0;
	l->bad = false;
	/* Find the end of the line; the newline is consumed but not part of it. */
	while (rbuf_peek_u8(r, &c) == E_OK && c != '\n') {
		if (rbuf_skip(r, 1) != E_OK)
			break;
		len++;
	}
	if (rbuf_skip(r, 1) != E_OK) {
		/* the last line had no newline: nothing to consume */
	}
	if (len > CONF_LINE_MAX) {
		conf_diag_add(d, l->lineno, "line longer than %d bytes", CONF_LINE_MAX);
		l->bad = true;
		return true;
	}
	rbuf_init(&line, start, len);
	lex_words(&x, &line);
	if (l->bad)
		l->n = 0;
	return true;
}
