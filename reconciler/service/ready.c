/*
 * Readiness (ready.h): the record of the last ticks and the verdict of
 * /readyz.
 */
#include "reconciler/service/ready.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/text.h"
#include "util/url.h"

#define REASON_MAX 400

void gc_ready_init(gc_ready *r, int64_t poll_ms)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->poll_ms = poll_ms;
}

void gc_ready_release(gc_ready *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* Whether c may be part of a URL scheme. */
static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* msg with every URL in it redacted (util/url.h), escaped to one line. */
static void redact(gc_buf *out, const char *msg)
{
	gc_buf url = GC_BUF_INIT, raw = GC_BUF_INIT;
	const char *p = msg, *sep;

	while ((sep = strstr(p, "://"))) {
		const char *start = sep, *end = sep + 3;

		while (start > p && scheme_char(start[-1]))
			start--;
		while (*end && !strchr(" \t'\"<>()", *end))
			end++;
		gc_buf_add(&raw, p, (size_t)(start - p));
		gc_buf_clear(&url);
		gc_buf_add(&url, start, (size_t)(end - start));
		gc_url_redact(&raw, url.ptr);
		p = end;
	}
	gc_buf_adds(&raw, p);
	gc_text_escape(out, raw.ptr, raw.len, REASON_MAX, 0);
	gc_buf_release(&url);
	gc_buf_release(&raw);
}

void gc_ready_record(gc_ready *r, int64_t now_ms, bool ok, bool reachable,
		     const char *error)
{
	gc_buf msg = GC_BUF_INIT;

	if (!ok)
		redact(&msg, error ? error : "");
	pthread_mutex_lock(&r->lock);
	r->st.ticks++;
	r->st.ok = ok;
	r->st.reachable = reachable;
	if (ok) {
		r->st.last_ok_ms = now_ms;
		r->st.failing_ms = 0;
	} else if (!r->st.failing_ms) {
		r->st.failing_ms = now_ms;
	}
	if (reachable)
		r->st.unreachable_ms = 0;
	else if (!r->st.unreachable_ms)
		r->st.unreachable_ms = now_ms;
	snprintf(r->st.error, sizeof(r->st.error), "%s", msg.ptr);
	pthread_mutex_unlock(&r->lock);
	gc_buf_release(&msg);
}

/* "2026-12-03T10:20:00Z" of ms since the epoch. */
static void stamp(gc_buf *out, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gc_buf_adds(out, s);
}

unsigned gc_ready_verdict(gc_buf *body, const gc_ready_state *st,
			  int64_t now_ms, int64_t poll_ms)
{
	if (!st->ticks) {
		gc_buf_adds(body, "starting: no tick has finished yet\n");
		return 503;
	}
	if (!st->reachable) {
		gc_buf_adds(body, "remote unreachable since ");
		stamp(body, st->unreachable_ms);
		gc_buf_addf(body, ": %s\n", st->error);
		return 503;
	}
	if (st->ok ||
	    (st->last_ok_ms && now_ms - st->last_ok_ms <= 3 * poll_ms)) {
		gc_buf_adds(body, "ok\n");
		return 200;
	}
	gc_buf_adds(body, "ticks failing since ");
	stamp(body, st->failing_ms);
	gc_buf_addf(body, ": %s\n", st->error);
	return 503;
}

unsigned gc_ready_check(gc_ready *r, int64_t now_ms, gc_buf *body)
{
	gc_ready_state st;

	pthread_mutex_lock(&r->lock);
	st = r->st;
	pthread_mutex_unlock(&r->lock);
	return gc_ready_verdict(body, &st, now_ms, r->poll_ms);
}
