#include "reconciler/checks/webhook.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/release/canary_spec.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/url.h"

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *const *x = a, *const *y = b;

	return strcmp((*x)->string, (*y)->string);
}

/* Go marshals map[string]string with sorted keys and string values. */
static cJSON *sorted_metadata(const cJSON *md)
{
	const cJSON *it;
	const cJSON **v;
	size_t n = 0, i = 0;
	cJSON *out = cJSON_CreateObject();

	GC_ASSERT(out);
	cJSON_ArrayForEach (it, md)
		n++;
	v = gc_xcalloc(n ? n : 1, sizeof(*v));
	cJSON_ArrayForEach (it, md)
		v[i++] = it;
	qsort(v, n, sizeof(*v), cmp_keys);
	for (i = 0; i < n; i++) {
		if (cJSON_IsString(v[i])) {
			cJSON_AddStringToObject(out, v[i]->string,
						v[i]->valuestring);
		} else if (cJSON_IsNumber(v[i]) || cJSON_IsBool(v[i])) {
			char *t = cJSON_PrintUnformatted(v[i]);

			cJSON_AddStringToObject(out, v[i]->string, t ? t : "");
			cJSON_free(t);
		}
	}
	free(v);
	return out;
}

/* Go's json.Marshal escapes <, >, & and U+2028/U+2029 (HTML safety). */
static char *go_escape(const char *json)
{
	gc_buf b = GC_BUF_INIT;

	for (const char *p = json; *p; p++) {
		if (*p == '<')
			gc_buf_adds(&b, "\\u003c");
		else if (*p == '>')
			gc_buf_adds(&b, "\\u003e");
		else if (*p == '&')
			gc_buf_adds(&b, "\\u0026");
		else if ((unsigned char)p[0] == 0xe2 &&
			 (unsigned char)p[1] == 0x80 &&
			 ((unsigned char)p[2] == 0xa8 ||
			  (unsigned char)p[2] == 0xa9)) {
			gc_buf_adds(&b, (unsigned char)p[2] == 0xa8
						? "\\u2028"
						: "\\u2029");
			p += 2;
		} else
			gc_buf_addch(&b, *p);
	}
	return gc_buf_detach(&b, NULL);
}

char *gc_webhook_payload(const char *name, const char *ns, const char *phase,
			 const char *checksum, const cJSON *metadata)
{
	cJSON *o = cJSON_CreateObject();
	char *out, *esc;

	GC_ASSERT(o);
	cJSON_AddStringToObject(o, "name", name ? name : "");
	cJSON_AddStringToObject(o, "namespace", ns ? ns : "");
	cJSON_AddStringToObject(o, "phase", phase ? phase : "");
	cJSON_AddStringToObject(o, "checksum", checksum ? checksum : "");
	if (cJSON_IsObject(metadata))
		cJSON_AddItemToObject(o, "metadata", sorted_metadata(metadata));
	out = cJSON_PrintUnformatted(o);
	GC_ASSERT(out);
	cJSON_Delete(o);
	esc = go_escape(out);
	cJSON_free(out);
	return esc;
}

cJSON *gc_webhook_event_metadata(const cJSON *hook_metadata,
				 const char *message, const char *event_type,
				 long long timestamp_ms)
{
	cJSON *md = cJSON_CreateObject();
	const cJSON *it;
	char ts[32];

	GC_ASSERT(md);
	snprintf(ts, sizeof(ts), "%lld", timestamp_ms);
	cJSON_AddStringToObject(md, "eventMessage", message ? message : "");
	cJSON_AddStringToObject(md, "eventType", event_type ? event_type : "");
	cJSON_AddStringToObject(md, "timestamp", ts);
	cJSON_ArrayForEach (it, hook_metadata) {
		if (!it->string || !cJSON_IsString(it) ||
		    cJSON_GetObjectItemCaseSensitive(md, it->string))
			continue;
		cJSON_AddStringToObject(md, it->string, it->valuestring);
	}
	return md;
}

static int bad_duration(gc_error *err, const char *s)
{
	return gc_error_set(err, GC_EINVALID, "time: invalid duration \"%s\"",
			    s);
}

int gc_webhook_timeout_ms(long *out, const char *s, gc_error *err)
{
	int64_t ms;

	if (!s || strlen(s) < 2) {
		*out = GC_WEBHOOK_DEFAULT_TIMEOUT_MS;
		return 0;
	}
	/* Go's time.ParseDuration, the one parser validate checks with */
	if (gc_duration_parse(&ms, s) < 0 || ms < 1 || ms > 86400000)
		return bad_duration(err, s);
	*out = (long)ms;
	return 0;
}

bool gc_webhook_retryable(const gc_http_request *req)
{
	switch (req->result) {
	case GC_HTTP_OK:
		return req->status == 0 || req->status == 429 ||
		       (req->status >= 500 && req->status != 501);
	case GC_HTTP_ETLS:
	case GC_HTTP_EURL:
	case GC_HTTP_ETOOBIG:
		return false;
	default:
		return true;
	}
}

long gc_webhook_backoff_ms(const gc_http_request *req, unsigned attempt,
			   long base_ms, long max_ms)
{
	long d = base_ms;

	if (req->result == GC_HTTP_OK &&
	    (req->status == 429 || req->status == 503) &&
	    req->retry_after_s >= 0) {
		d = req->retry_after_s * 1000;
		return d < max_ms ? d : max_ms;
	}
	for (unsigned i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	return d < max_ms ? d : max_ms;
}

bool gc_webhook_judge(char **message, const gc_http_request *req,
		      const char *url, unsigned attempts)
{
	gc_buf b = GC_BUF_INIT;

	*message = NULL;
	if (req->result == GC_HTTP_OK && !gc_webhook_retryable(req)) {
		if (req->status <= 202)
			return true;
		/* the server's words, quoted: the note has them all */
		gc_text_quote(&b, req->response.ptr);
		*message = gc_buf_detach(&b, NULL);
		return false;
	}
	gc_buf_adds(&b, "POST ");
	gc_url_redact(&b, url);
	gc_buf_addf(&b, " giving up after %u attempt(s)", attempts);
	if (req->result != GC_HTTP_OK)
		gc_buf_addf(&b, ": %s", req->error);
	*message = gc_buf_detach(&b, NULL);
	return false;
}
