/*
 * Flux's envsubst (fluxcd/pkg envsubst: parse/parse.go, parse/scan.go,
 * template.go, funcs.go), re-read as one recursive-descent pass that
 * expands while it parses. The grammar follows the fork's scanner, quirks
 * included: a parameter of a function is ONE token (a nested ${...} or a
 * run of text), `$$` is `$` outside and in replace patterns, `\/` and
 * `\\` escape only in replace patterns, and the bash forms the fork lists
 * but does not parse (${var-default}) are errors as there.
 */
#include "repo-layout/envsubst.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

typedef struct scan {
	const char *s;
	size_t pos, len;
	gc_envsubst_lookup_cb lookup;
	void *payload;
	bool strict;
	gc_error *err;
} scan;

enum { MAX_ARGS = 8 };

static int parse_func(scan *sc, gc_buf *out);

static int syntax(scan *sc, const char *what)
{
	return gc_error_set(sc->err, GC_EPARSE, "%s", what);
}

static int peek(const scan *sc, size_t off)
{
	return sc->pos + off < sc->len ? (unsigned char)sc->s[sc->pos + off]
				       : -1;
}

static bool at_lbrack(const scan *sc)
{
	return peek(sc, 0) == '$' && peek(sc, 1) == '{';
}

/* unicode.IsLetter/IsDigit or '_', with every non-ASCII byte a letter. */
static bool is_ident(int c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c >= 0x80;
}

enum accept { NOT_CLOSING, NOT_SLASH, NOT_COLON_CLOSE };

static bool accepts(enum accept a, int c)
{
	switch (a) {
	case NOT_SLASH:
		return c != '/';
	case NOT_COLON_CLOSE:
		return c != ':' && c != '}';
	case NOT_CLOSING:
		break;
	}
	return c != '}';
}

/* scanEscaped: `$$` and, with backslashes on, `\/` and `\\`. */
static bool escaped(const scan *sc, bool backslash)
{
	int c = peek(sc, 0), n = peek(sc, 1);

	return (c == '$' && n == '$') ||
	       (backslash && c == '\\' && (n == '/' || n == '\\'));
}

/*
 * parseParam: a nested ${...}, or text up to the first character `a`
 * rejects or the next "${". escapes: the replace function's scanEscape.
 */
static int parse_param(scan *sc, gc_buf *out, enum accept a, bool escapes)
{
	bool any = false;

	if (at_lbrack(sc)) {
		sc->pos += 2;
		return parse_func(sc, out);
	}
	while (sc->pos < sc->len && !at_lbrack(sc)) {
		if (escapes && escaped(sc, true)) {
			gc_buf_addch(out, sc->s[sc->pos + 1]);
			sc->pos += 2;
		} else if (accepts(a, peek(sc, 0))) {
			gc_buf_addch(out, sc->s[sc->pos++]);
		} else {
			break;
		}
		any = true;
	}
	if (!any)
		return syntax(sc,
			      "unable to parse substitution within function");
	return 0;
}

static int consume_rbrack(scan *sc)
{
	if (peek(sc, 0) != '}')
		return syntax(sc, "bad substitution");
	sc->pos++;
	return 0;
}

/* Go's strconv.Atoi: optional sign, decimal digits, no overflow. */
static bool atoi_go(const char *s, long *out)
{
	bool neg = *s == '-';
	long v = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (LONG_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static void substr(gc_buf *out, const char *v, gc_buf *args, size_t nargs)
{
	long n = (long)strlen(v), pos, length;

	if (!atoi_go(args[0].ptr, &pos)) {
		gc_buf_adds(out, v);
		return;
	}
	if (pos < 0)
		pos = pos + n < 0 ? 0 : pos + n;
	if (nargs == 1) {
		if (pos < n)
			gc_buf_adds(out, v + pos);
		return;
	}
	if (!atoi_go(args[1].ptr, &length)) {
		gc_buf_adds(out, v);
		return;
	}
	if (pos + length >= n) {
		if (pos < n)
			gc_buf_adds(out, v + pos);
	} else if (length > 0) {
		gc_buf_add(out, v + pos, (size_t)length);
	}
}

/* strings.Replace(s, old, new, n) with n = 1 or all, old not empty. */
static void replace(gc_buf *out, const char *v, const char *old,
		    const char *new, bool all)
{
	size_t ol = strlen(old);
	const char *hit;

	while (*old && (hit = strstr(v, old))) {
		gc_buf_add(out, v, (size_t)(hit - v));
		gc_buf_adds(out, new);
		v = hit + ol;
		if (!all)
			break;
	}
	gc_buf_adds(out, v);
}

/* Reverses s rune by rune (UTF-8 sequences stay whole). */
static char *reverse(const char *s)
{
	size_t n = strlen(s), i = 0;
	char *r = gc_xmalloc(n + 1);

	while (i < n) {
		size_t w = 1;

		while (i + w < n && ((unsigned char)s[i + w] & 0xC0) == 0x80)
			w++;
		memcpy(r + n - i - w, s + i, w);
		i += w;
	}
	r[n] = '\0';
	return r;
}

/* ---- the fork's glob (envsubst/path/match.go) ---- */

enum { NO_MATCH = 0, MATCH = 1, BAD_PATTERN = -1 };

/* One UTF-8 code point of s (len > 0) into *cp; returns its length. */
static size_t decode_rune(const char *s, size_t len, unsigned *cp)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 : 4;

	if (n > len || (c >= 0x80 && c < 0xC0))
		n = 1;
	*cp = n == 1 ? c : c & (0xFFu >> (n + 1));
	for (size_t i = 1; i < n; i++)
		*cp = *cp << 6 | ((unsigned char)s[i] & 0x3F);
	return n;
}

/* getEsc: a possibly escaped character of a class, or BAD_PATTERN. */
static int class_char(const char **chunk, const char *end, unsigned *cp)
{
	const char *c = *chunk;

	if (c == end || *c == '-' || *c == ']')
		return BAD_PATTERN;
	if (*c == '\\' && ++c == end)
		return BAD_PATTERN;
	c += decode_rune(c, (size_t)(end - c), cp);
	*chunk = c;
	return c == end ? BAD_PATTERN : MATCH;
}

/*
 * matchChunk: whether chunk (no '*') matches the start of name; *rest is
 * what follows. Unlike Go's path.Match, '?' matches '/' too.
 */
static int match_chunk(const char *chunk, const char *cend, const char *name,
		       const char *nend, const char **rest)
{
	while (chunk < cend) {
		unsigned r, lo, hi;
		bool negated = false, hit = false;
		int nrange = 0;

		if (name == nend)
			return NO_MATCH;
		switch (*chunk) {
		case '[':
			name += decode_rune(name, (size_t)(nend - name), &r);
			if (++chunk < cend && *chunk == '^')
				negated = true, chunk++;
			for (;;) {
				if (chunk < cend && *chunk == ']' && nrange) {
					chunk++;
					break;
				}
				if (class_char(&chunk, cend, &lo) < 0)
					return BAD_PATTERN;
				hi = lo;
				if (*chunk == '-' &&
				    (chunk++, class_char(&chunk, cend, &hi)) <
					    0)
					return BAD_PATTERN;
				hit |= lo <= r && r <= hi;
				nrange++;
			}
			if (hit == negated)
				return NO_MATCH;
			continue;
		case '?':
			name += decode_rune(name, (size_t)(nend - name), &r);
			chunk++;
			continue;
		case '\\':
			if (++chunk == cend)
				return BAD_PATTERN;
			break;
		default:
			break;
		}
		if (*chunk++ != *name++)
			return NO_MATCH;
	}
	*rest = name;
	return MATCH;
}

/* scanChunk: skips leading stars; the chunk runs to the next bare '*'. */
static const char *scan_chunk(const char **pat, bool *star)
{
	const char *p = *pat;
	bool inrange = false;

	*star = false;
	while (*p == '*')
		p++, *star = true;
	*pat = p;
	for (; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '[')
			inrange = true;
		else if (*p == ']')
			inrange = false;
		else if (*p == '*' && !inrange)
			break;
	}
	return p;
}

/*
 * The fork's Match: '*' and '?' match '/' too, a trailing '*' matches the
 * rest, and each chunk takes its first match (the last one must end the
 * name).
 */
static int glob_match(const char *pat, const char *name, size_t len)
{
	const char *nend = name + len;

	while (*pat) {
		bool star;
		const char *cstart, *cend, *rest = NULL;
		int rc;

		cstart = pat;
		cend = scan_chunk(&cstart, &star);
		pat = cend;
		if (star && cstart == cend)
			return MATCH;
		rc = match_chunk(cstart, cend, name, nend, &rest);
		if (rc == MATCH && (rest == nend || *pat)) {
			name = rest;
			continue;
		}
		if (rc < 0)
			return rc;
		rc = NO_MATCH;
		for (const char *n = name; star && n < nend && rc != MATCH;
		     n++) {
			rc = match_chunk(cstart, cend, n + 1, nend, &rest);
			if (rc < 0)
				return rc;
			if (rc == MATCH && !*pat && rest != nend)
				rc = NO_MATCH;
		}
		if (rc != MATCH)
			return NO_MATCH;
		name = rest;
	}
	return name == nend ? MATCH : NO_MATCH;
}

/*
 * trimShortest/trimLongest over prefixes s[0:len-i], longest first; a bad
 * pattern leaves s as it is.
 */
static void trim_prefix(gc_buf *out, const char *s, const char *pat,
			bool longest)
{
	size_t n = strlen(s), best = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = glob_match(pat, s, n - i);

		if (rc < 0) {
			best = 0;
			break;
		}
		if (rc == MATCH) {
			best = n - i;
			if (longest)
				break;
		}
	}
	gc_buf_adds(out, s + best);
}

static void trim_suffix(gc_buf *out, const char *s, const char *pat,
			bool longest)
{
	char *rs = reverse(s), *rp = reverse(pat), *back;
	gc_buf tmp = GC_BUF_INIT;

	trim_prefix(&tmp, rs, rp, longest);
	back = reverse(tmp.ptr);
	gc_buf_adds(out, back);
	free(back);
	free(rs);
	free(rp);
	gc_buf_release(&tmp);
}

static void change_case(gc_buf *out, const char *v, bool upper, bool all)
{
	size_t start = out->len;

	gc_buf_adds(out, v);
	for (size_t i = start; i < out->len; i++) {
		char c = out->ptr[i];

		if (upper && c >= 'a' && c <= 'z')
			out->ptr[i] = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			out->ptr[i] = (char)(c - 'A' + 'a');
		if (!all)
			break;
	}
}

/* lookupFunc and the functions of funcs.go. */
static void apply(gc_buf *out, const char *op, const char *v, gc_buf *args,
		  size_t nargs)
{
	if (!strcmp(op, "#") && !nargs)
		gc_buf_addf(out, "%zu", strlen(v));
	else if (!strcmp(op, ",") || !strcmp(op, ",,"))
		change_case(out, v, false, op[1] != '\0');
	else if (!strcmp(op, "^") || !strcmp(op, "^^"))
		change_case(out, v, true, op[1] != '\0');
	else if (!strcmp(op, "#") || !strcmp(op, "##"))
		trim_prefix(out, v, args[0].ptr, op[1] != '\0');
	else if (!strcmp(op, "%") || !strcmp(op, "%%"))
		trim_suffix(out, v, args[0].ptr, op[1] != '\0');
	else if (!strcmp(op, ":") && nargs)
		substr(out, v, args, nargs);
	else if (!strcmp(op, "/") || !strcmp(op, "//"))
		replace(out, v, args[0].ptr, nargs > 1 ? args[1].ptr : "",
			op[1] != '\0');
	else if (!strcmp(op, "/#") && nargs == 2 &&
		 !strncmp(v, args[0].ptr, args[0].len))
		replace(out, v, args[0].ptr, args[1].ptr, false);
	else if (!strcmp(op, "/%") && nargs == 2 && strlen(v) >= args[0].len &&
		 !strcmp(v + strlen(v) - args[0].len, args[0].ptr)) {
		gc_buf_add(out, v, strlen(v) - args[0].len);
		gc_buf_adds(out, args[1].ptr);
	} else if (!*v && nargs && (op[0] == '=' || (op[0] == ':' && op[1]))) {
		for (size_t i = 0; i < nargs; i++) /* toDefault */
			gc_buf_add(out, args[i].ptr, args[i].len);
	} else {
		gc_buf_adds(out, v);
	}
}

static bool is_default_op(const char *op)
{
	static const char *const ops[] = { "-",  "+",  "=",  "?",
					   ":-", ":+", ":=", ":?" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

static int expand(scan *sc, gc_buf *out, const char *name, size_t nlen,
		  const char *op, gc_buf *args, size_t nargs)
{
	const char *v = NULL;
	char *copy;

	if (!sc->lookup(name, nlen, &v, sc->payload)) {
		if (sc->strict && !is_default_op(op))
			return gc_error_set(
				sc->err, GC_EINVALID,
				"variable not set (strict mode): \"%.*s\"",
				(int)nlen, name);
		v = "";
	}
	copy = gc_xstrdup(v);
	apply(out, op, copy, args, nargs);
	free(copy);
	return 0;
}

/* A function's parameters: what follows its operator, up to '}'. */
static int parse_args(scan *sc, const char *op, gc_buf *args, size_t *nargs)
{
	int error;

	if (op[0] == '=' || (op[0] == ':' && op[1])) { /* parseDefaultFunc */
		while (peek(sc, 0) != '}') {
			if (*nargs == MAX_ARGS)
				return syntax(sc, "bad substitution");
			if ((error = parse_param(sc, &args[(*nargs)++],
						 NOT_CLOSING, false)) < 0)
				return error;
		}
		return consume_rbrack(sc);
	}
	if (op[0] == ':') { /* parseSubstrFunc */
		if ((error = parse_param(sc, &args[(*nargs)++], NOT_COLON_CLOSE,
					 false)) < 0)
			return error;
		if (peek(sc, 0) == '}')
			return consume_rbrack(sc);
		if (peek(sc, 0) != ':')
			return syntax(sc, "bad substitution");
		while (peek(sc, 0) == ':')
			sc->pos++;
		if ((error = parse_param(sc, &args[(*nargs)++], NOT_CLOSING,
					 false)) < 0)
			return error;
		return consume_rbrack(sc);
	}
	if (op[0] == '/') { /* parseReplaceFunc */
		if ((error = parse_param(sc, &args[(*nargs)++], NOT_SLASH,
					 true)) < 0)
			return error;
		if (peek(sc, 0) != '/')
			return syntax(sc, "bad substitution");
		while (peek(sc, 0) == '/')
			sc->pos++;
		if (peek(sc, 0) == '}')
			return consume_rbrack(sc);
		if ((error = parse_param(sc, &args[(*nargs)++], NOT_CLOSING,
					 true)) < 0)
			return error;
		return consume_rbrack(sc);
	}
	if (op[0] == '#' || op[0] == '%') { /* parseRemoveFunc */
		if ((error = parse_param(sc, &args[(*nargs)++], NOT_CLOSING,
					 false)) < 0)
			return error;
		return consume_rbrack(sc);
	}
	return consume_rbrack(sc); /* casing, or a bare ${var} */
}

/* Reads the operator after a variable name into op (at most 2 bytes). */
static int parse_op(scan *sc, char op[3])
{
	int c = peek(sc, 0), n = peek(sc, 1);

	memset(op, 0, 3);
	if (c == ':') {
		op[0] = ':';
		sc->pos++;
		if (n == '=' || n == '-' || n == '?' || n == '+') {
			op[1] = (char)n;
			sc->pos++;
		}
	} else if (c == '=') {
		op[0] = '=';
		sc->pos++;
	} else if (c == ',' || c == '^' || c == '#' || c == '%') {
		bool casing = c == ',' || c == '^';

		for (int i = 0; i < 2; i++) {
			c = peek(sc, 0);
			if (casing ? (c == ',' || c == '^') : c == op[0] || !i)
				op[i] = (char)c, sc->pos++;
			else
				break;
		}
	} else if (c == '/') {
		op[0] = '/';
		sc->pos++;
		if (n == '/' || n == '#' || n == '%') {
			op[1] = (char)n;
			sc->pos++;
		}
	} else if (c != '}') {
		return syntax(sc, "missing closing brace");
	}
	return 0;
}

/* parseFunc, after "${". */
static int parse_func(scan *sc, gc_buf *out)
{
	gc_buf args[MAX_ARGS];
	size_t nargs = 0, start, nlen;
	char op[3] = "";
	bool len_func = peek(sc, 0) == '#'; /* parseLenFunc */
	int error;

	for (size_t i = 0; i < MAX_ARGS; i++)
		gc_buf_init(&args[i]);
	if (len_func) {
		op[0] = '#';
		sc->pos++;
	}
	start = sc->pos;
	while (is_ident(peek(sc, 0)))
		sc->pos++;
	nlen = sc->pos - start;
	if (!nlen) {
		error = syntax(sc, len_func ? "bad substitution"
					    : "unable to parse variable name");
		goto cleanup;
	}
	if (len_func)
		error = consume_rbrack(sc);
	else if ((error = parse_op(sc, op)) == 0)
		error = parse_args(sc, op, args, &nargs);
	if (error < 0)
		goto cleanup;
	error = expand(sc, out, sc->s + start, nlen, op, args, nargs);
cleanup:
	for (size_t i = 0; i < MAX_ARGS; i++)
		gc_buf_release(&args[i]);
	return error;
}

int gc_envsubst_eval(gc_buf *out, const char *s, gc_envsubst_lookup_cb lookup,
		     void *payload, bool strict, gc_error *err)
{
	scan sc = { s, 0, strlen(s), lookup, payload, strict, err };
	int error;

	while (sc.pos < sc.len) {
		if (at_lbrack(&sc)) {
			sc.pos += 2;
			if ((error = parse_func(&sc, out)) < 0)
				return error;
		} else if (escaped(&sc, false)) {
			gc_buf_addch(out, '$');
			sc.pos += 2;
		} else {
			gc_buf_addch(out, s[sc.pos++]);
		}
	}
	return 0;
}
