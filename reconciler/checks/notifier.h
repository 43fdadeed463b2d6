#ifndef GC_RECONCILER_NOTIFIER_H
#define GC_RECONCILER_NOTIFIER_H

/*
 * Flagger's notifiers (the files of pkg/notifier) as pure functions: the exact
 * bytes Flagger POSTs to Slack, MS Teams, Discord, Rocket.Chat and Google
 * Chat for one alert, and the URL it posts them to. No I/O: the checks
 * runner sends them (checks.c, GC_CHECK_ALERT).
 *
 * The bodies are Go's json.Marshal of Flagger's payload structs: fields
 * in struct order, no spaces, "<", ">" and "&" written as \u003c, \u003e
 * and \u0026, U+2028/U+2029 escaped, invalid UTF-8 as \ufffd.
 */

#include <stdbool.h>
#include <stddef.h>

#include "reconciler/release/machine.h"
#include "util/buf.h"
#include "util/error.h"

typedef enum gc_notifier_type {
	GC_NOTIFIER_SLACK = 0,
	GC_NOTIFIER_MSTEAMS,
	GC_NOTIFIER_DISCORD,
	GC_NOTIFIER_ROCKET,
	GC_NOTIFIER_GCHAT
} gc_notifier_type;

/* "slack", "msteams", "discord", "rocket", "gchat"; GC_ENOTFOUND else. */
int gc_notifier_type_parse(gc_notifier_type *out, const char *name);
const char *gc_notifier_type_name(gc_notifier_type type);
/* "info", "warn", "error" ("" for GC_ALERT_NONE); borrowed. */
const char *gc_notifier_severity_name(gc_alert_severity severity);

/* notifier.Field */
typedef struct gc_notifier_field {
	const char *name;
	const char *value;
} gc_notifier_field;

/* The arguments of Flagger's Notifier.Post, plus the factory's. */
typedef struct gc_notifier_post {
	const char *workload;  /* the canary's name */
	const char *namespace; /* its namespace */
	const char *message;
	const gc_notifier_field *fields;
	size_t nfields;
	gc_alert_severity severity;
	/* slack, discord, rocket: Flagger's defaults are "flagger" and
	 * "general" for AlertProviders; the global flags have their own */
	const char *username;
	const char *channel;
} gc_notifier_post;

/* The JSON body of type for p, appended to out. */
void gc_notifier_body(gc_buf *out, gc_notifier_type type,
		      const gc_notifier_post *p);

/*
 * The URL Flagger posts to, appended to out: the address, except that
 * Discord's gets "/slack" joined to its path unless the address already
 * ends with it (Slack-compatible formatting).
 */
void gc_notifier_url(gc_buf *out, gc_notifier_type type, const char *address);

/*
 * Flagger's NewSlack & co. refuse an address url.ParseRequestURI rejects;
 * gitcanary needs an absolute http:// or https:// URL. GC_EINVALID with a
 * message without the address (it may be a secret).
 */
int gc_notifier_check_address(const char *address, gc_error *err);

/* Flagger's postMessage timeout, and gitcanary's bounded retries
 * (Flagger tries once): attempts of one delivery in all. */
#define GC_NOTIFIER_TIMEOUT_MS 5000
#define GC_NOTIFIER_ATTEMPTS 3

/*
 * Why a delivery failed, as one bounded line (owned): Flagger's
 * "sending notification bad response <status>: <body>" when answered,
 * else "sending notification failed to send: <error>". Control
 * characters become spaces, the text is cut at 200 bytes, and any copy
 * of url (it may come from a Secret) is replaced by "<address>".
 */
char *gc_notifier_failure(bool answered, long status, const char *body,
			  const char *error, const char *url);

#endif
