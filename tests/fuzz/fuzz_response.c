/*
 * What servers answer: a Prometheus /api/v1/query response (the first
 * byte picks the HTTP status) and a webhook's response, judged as the
 * runner does. Whatever the body, the message that can reach a commit is
 * one valid UTF-8 line of bounded length; the body also goes through the
 * URL redaction and the evidence JSON.
 */
#include <string.h>

#include "fuzz.h"
#include "reconciler/checks/prometheus.h"
#include "reconciler/checks/webhook.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/text.h"
#include "util/url.h"

static void check_line(const char *s, size_t max)
{
	FUZZ_CHECK(!strchr(s, '\n') && !strchr(s, '\r') && !strchr(s, 0x1b));
	FUZZ_CHECK(gc_text_valid_utf8(s, strlen(s)));
	FUZZ_CHECK(!max || strlen(s) <= max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 422, 500, 503, 302 };
	gc_error err = GC_ERROR_INIT;
	gc_http_request req = { 0 };
	gc_buf b = GC_BUF_INIT;
	cJSON *ev = cJSON_CreateObject();
	char *msg = NULL, *json;
	double v;

	if (!size)
		goto done;
	req.status = statuses[data[0] % GC_ARRAY_SIZE(statuses)];
	gc_buf_init(&req.response);
	gc_buf_add(&req.response, data + 1, size - 1);
	if (gc_prometheus_parse(&v, req.status, req.response.ptr,
				req.response.len, &err) < 0)
		check_line(gc_error_msg(&err), 0);
	gc_webhook_judge(&msg, &req, "https://u:p@hook.example/x?k=v", 1);
	if (msg)
		check_line(msg, GC_TEXT_SNIPPET + 2 + 3);
	gc_json_add_str(ev, "response", req.response.ptr);
	json = gc_json_print(ev);
	FUZZ_CHECK(gc_text_valid_utf8(json, strlen(json)));
	free(json);
	gc_url_redact(&b, req.response.ptr);
	check_line(b.ptr, 0);
done:
	free(msg);
	cJSON_Delete(ev);
	gc_buf_release(&b);
	gc_buf_release(&req.response);
	gc_error_release(&err);
	return 0;
}
