#include "util/text.h"

#include <string.h>

/*
 * The length of the valid UTF-8 sequence at s (1..4), its code point in
 * *cp; 0 when s starts an invalid sequence (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF or cut short).
 */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool gc_text_valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;

	for (size_t i = 0, n; i < len; i += n) {
		if (p[i] && p[i] < 0x80) {
			n = 1;
			continue;
		}
		if (!(n = utf8_seq(p + i, len - i, &cp)) || !cp)
			return false;
	}
	return true;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void gc_text_utf8(gc_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n;
	unsigned cp;

	while (i < len) {
		/* a NUL would end the string early: replaced too */
		if ((n = utf8_seq(p + i, len - i, &cp)) > 0 && cp) {
			i += n;
			continue;
		}
		gc_buf_add(out, s + start, i - start);
		gc_buf_adds(out, replacement);
		start = ++i;
	}
	gc_buf_add(out, s + start, i - start);
}

/* The escape of code point cp, or NULL when it stands for itself. */
static const char *escape_of(unsigned cp, unsigned flags, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (cp) {
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '"':
		return flags & GC_TEXT_QUOTE ? "\\\"" : NULL;
	case '\\':
		return flags & GC_TEXT_QUOTE ? "\\\\" : NULL;
	default:
		break;
	}
	if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) &&
	    cp != 0x2028 && cp != 0x2029)
		return NULL;
	tmp[0] = '\\';
	tmp[1] = 'u';
	tmp[2] = hex[(cp >> 12) & 15];
	tmp[3] = hex[(cp >> 8) & 15];
	tmp[4] = hex[(cp >> 4) & 15];
	tmp[5] = hex[cp & 15];
	tmp[6] = '\0';
	return tmp;
}

void gc_text_escape(gc_buf *out, const char *s, size_t len, size_t max,
		    unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used = 0;

	if (flags & GC_TEXT_QUOTE)
		gc_buf_addch(out, '"');
	while (i < len) {
		char tmp[8];
		const char *esc;
		unsigned cp;
		size_t n = utf8_seq(p + i, len - i, &cp), w;

		esc = n ? escape_of(cp, flags, tmp) : replacement;
		w = esc ? strlen(esc) : n;
		if (max && used + w > max) {
			gc_buf_adds(out, "...");
			break;
		}
		if (esc)
			gc_buf_adds(out, esc);
		else
			gc_buf_add(out, s + i, n);
		used += w;
		i += n ? n : 1;
	}
	if (flags & GC_TEXT_QUOTE)
		gc_buf_addch(out, '"');
}

void gc_text_quote(gc_buf *out, const char *s)
{
	s = s ? s : "";
	gc_text_escape(out, s, strlen(s), GC_TEXT_SNIPPET, GC_TEXT_QUOTE);
}

/* The first s[0..slen) in p[0..len), or NULL (NUL bytes included). */
static const char *find(const char *p, size_t len, const char *s, size_t slen)
{
	for (const char *end = p + len; (size_t)(end - p) >= slen; p++) {
		if (!(p = memchr(p, s[0], (size_t)(end - p) - slen + 1)))
			return NULL;
		if (!memcmp(p, s, slen))
			return p;
	}
	return NULL;
}

void gc_text_scrub(gc_buf *buf, const char *const *secrets, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t slen = secrets[k] ? strlen(secrets[k]) : 0;
		const char *start = buf->ptr, *end = buf->ptr + buf->len, *p;
		gc_buf out = GC_BUF_INIT;

		if (!slen || !find(start, buf->len, secrets[k], slen))
			continue;
		while ((p = find(start, (size_t)(end - start), secrets[k],
				 slen))) {
			gc_buf_add(&out, start, (size_t)(p - start));
			gc_buf_adds(&out, "***");
			start = p + slen;
		}
		gc_buf_add(&out, start, (size_t)(end - start));
		gc_buf_release(buf);
		*buf = out;
	}
}
