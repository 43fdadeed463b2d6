#include "util/url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"

/* The parts of "scheme://[userinfo@]host[:port][/path][?query][#frag]". */
typedef struct url_parts {
	const char *scheme, *host, *path, *end;
	size_t scheme_len, host_len; /* host_len: host and port */
} url_parts;

static bool split(url_parts *u, const char *url)
{
	const char *sep = strstr(url, "://"), *at = NULL;
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	if (!sep || n == 0 || url + n != sep)
		return false;
	u->scheme = url;
	u->scheme_len = n;
	u->host = sep + 3;
	u->path = u->host + strcspn(u->host, "/?#");
	for (const char *p = u->host; p < u->path; p++)
		if (*p == '@')
			at = p;
	if (at)
		u->host = at + 1;
	u->host_len = (size_t)(u->path - u->host);
	u->end = u->path + strcspn(u->path, "?#");
	return true;
}

void gc_url_redact(gc_buf *out, const char *url)
{
	gc_buf b = GC_BUF_INIT;
	url_parts u;

	url = url ? url : "";
	if (!split(&u, url)) {
		gc_text_escape(out, url, strlen(url), 0, 0);
		return;
	}
	gc_buf_add(&b, u.scheme, u.scheme_len);
	gc_buf_adds(&b, "://");
	gc_buf_add(&b, u.host, (size_t)(u.end - u.host));
	if (*u.end)
		gc_buf_adds(&b, "?<redacted>");
	gc_text_escape(out, b.ptr, b.len, 0, 0);
	gc_buf_release(&b);
}

char *gc_url_redacted(const char *url)
{
	gc_buf b = GC_BUF_INIT;

	gc_url_redact(&b, url);
	return gc_buf_detach(&b, NULL);
}

static const char *default_port(const url_parts *u)
{
	if (u->scheme_len == 5 && !strncasecmp(u->scheme, "https", 5))
		return "443";
	if (u->scheme_len == 4 && !strncasecmp(u->scheme, "http", 4))
		return "80";
	if (u->scheme_len == 3 && !strncasecmp(u->scheme, "ssh", 3))
		return "22";
	return "";
}

/* host and port of u, lowercased, the port always spelt out; owned. */
static char *origin(const url_parts *u)
{
	gc_buf b = GC_BUF_INIT;
	const char *colon = NULL;

	for (size_t i = 0; i < u->host_len; i++) {
		char c = u->host[i];

		if (c == ']')
			colon = NULL; /* an IPv6 literal */
		else if (c == ':')
			colon = u->host + i;
		gc_buf_addch(&b, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
	if (!colon || colon + 1 == u->host + u->host_len) {
		if (colon)
			gc_buf_truncate(&b, b.len - 1);
		gc_buf_addf(&b, ":%s", default_port(u));
	}
	return gc_buf_detach(&b, NULL);
}

bool gc_url_same_origin(const char *a, const char *b)
{
	url_parts ua, ub;
	char *oa, *ob;
	bool same;

	if (!a || !b || !split(&ua, a) || !split(&ub, b) ||
	    ua.scheme_len != ub.scheme_len ||
	    strncasecmp(ua.scheme, ub.scheme, ua.scheme_len))
		return false;
	oa = origin(&ua);
	ob = origin(&ub);
	same = !strcmp(oa, ob);
	free(oa);
	free(ob);
	return same;
}

bool gc_url_is_plain_http(const char *url)
{
	return url && !strncasecmp(url, "http://", 7);
}
