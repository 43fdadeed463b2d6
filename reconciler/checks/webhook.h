#ifndef GC_RECONCILER_WEBHOOK_H
#define GC_RECONCILER_WEBHOOK_H

/*
 * Webhooks (flagger-behaviour.md §6): the JSON payload, the per-attempt
 * timeout, retries with backoff and the success rule (final status <=
 * 202). The asynchronous execution lives in checks.c; these are the
 * pure parts it uses.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "reconciler/checks/http_client.h"
#include "util/error.h"

#define GC_WEBHOOK_DEFAULT_TIMEOUT_MS 10000

/*
 * {"name":..,"namespace":..,"phase":..,"checksum":..,"metadata":{..}} as
 * Flagger's json.Marshal writes it: this field order, metadata keys sorted
 * (a Go map), numbers and booleans in metadata as strings, and <, >, &
 * escaped as \u003c, \u003e, \u0026. metadata is omitted when NULL or not
 * an object. Owned.
 */
char *gc_webhook_payload(const char *name, const char *ns, const char *phase,
			 const char *checksum, const cJSON *metadata);

/*
 * The metadata of an event-hook payload (§6.2): eventMessage, eventType
 * ("Normal" / "Warning"), timestamp (Unix epoch milliseconds as a decimal
 * string), plus the hook's own string metadata except those three keys.
 * Owned; pass it to gc_webhook_payload.
 */
cJSON *gc_webhook_event_metadata(const cJSON *hook_metadata,
				 const char *message, const char *event_type,
				 long long timestamp_ms);

/*
 * Per-attempt timeout in ms: a Go duration ("30s", "1m", "1m30s", "500ms");
 * fewer than 2 characters (or NULL) gives the 10 s default. GC_EINVALID on
 * a malformed duration.
 */
int gc_webhook_timeout_ms(long *out, const char *timeout, gc_error *err);

/* Whether an attempt's outcome is retried (go-retryablehttp's rule). */
bool gc_webhook_retryable(const gc_http_request *req);

/*
 * Delay before attempt `attempt` + 1 (attempt >= 1): base * 2^(attempt-1)
 * capped at max_ms, or a Retry-After (429/503) capped at max_ms.
 */
long gc_webhook_backoff_ms(const gc_http_request *req, unsigned attempt,
			   long base_ms, long max_ms);

/*
 * Judges the final attempt: true when passed; else *message (owned) is the
 * §6.2 failure text: the response body quoted as data (gc_text_quote: one
 * line, escaped, at most GC_TEXT_SNIPPET bytes; the evidence keeps all of
 * it), or "POST <url> giving up after <n> attempt(s)[: <err>]" with the
 * url redacted.
 */
bool gc_webhook_judge(char **message, const gc_http_request *req,
		      const char *url, unsigned attempts);

#endif
