#ifndef GC_RECONCILER_ALERTS_H
#define GC_RECONCILER_ALERTS_H

/*
 * Where a canary's alerts go (flagger-behaviour.md §3.12,
 * pkg/controller/events.go): its analysis.alerts resolved against the
 * AlertProviders and Secrets of the source, or the global notifier of the
 * command line; which alert receives which severity; and the metadata
 * fields of an alert. Pure reads of the index: nothing is sent here
 * (checks/alert_hooks.c sends).
 *
 * A destination's url and token may come from a Secret: they are kept in
 * memory only. Nothing here puts them into an error message.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "reconciler/checks/notifier.h"
#include "reconciler/release/canary_spec.h"
#include "reconciler/release/machine.h"
#include "repo-layout/source.h"
#include "util/error.h"

/* One place alerts go. All strings owned. */
typedef struct gc_alert_dest {
	char *name;     /* the alert's name, or the global flag's */
	char *provider; /* "<ns>/<name>" of its AlertProvider, or NULL */
	gc_alert_severity severity; /* the alert's; NONE receives nothing */
	gc_notifier_type type;
	char *url;   /* where to POST (Discord's "/slack" added); NULL when
			problem is set */
	char *token; /* Secret key token: "Authorization: Bearer", or NULL */
	char *proxy; /* spec.proxy, or NULL */
	char *username, *channel;
	bool secret;   /* url came from a Secret */
	char *problem; /* why it cannot be sent (no provider, no Secret...) */
} gc_alert_dest;

void gc_alert_dest_release(gc_alert_dest *d);

/*
 * The global notifier of Flagger's flags (cmd/flagger initNotifier):
 * MS Teams when msteams_url is set, else Slack when slack_url is, with
 * slack_user (NULL = "flagger") and slack_channel (required: Flagger's
 * NewSlack refuses an empty channel). severity (NULL = "info") is what
 * it receives, as an alert's severity. GC_ENOTFOUND when neither URL is
 * set; GC_EINVALID with a message that never holds the URL.
 */
int gc_alerts_global(gc_alert_dest *out, const char *slack_url,
		     const char *slack_channel, const char *slack_user,
		     const char *msteams_url, const char *severity,
		     gc_error *err);

/*
 * Flagger's rule: an alert of severity `alert` receives an alert of
 * severity `sev` when it is info, or equal, or warn receiving error. An
 * empty severity receives nothing (a Flagger quirk).
 */
bool gc_alerts_wants(gc_alert_severity alert, gc_alert_severity sev);

/*
 * The AlertProvider `provider` (its tree loaded) as a destination for
 * deliveries: type, address or its Secret's `address` (and `token`),
 * proxy, username (default "flagger"), channel (default "general").
 * GC_EINVALID or GC_ENOTFOUND with a located error (the provider's file,
 * or the Secret's) when it cannot be sent to; out is written only on
 * success (name and severity left to the caller).
 */
int gc_alerts_resolve_provider(gc_alert_dest *out, const gc_index *idx,
			       const gc_object *provider, gc_error *err);

/*
 * Every destination of a canary's analysis.alerts, in spec order (owned
 * array; NULL/0 when it has none). A provider that cannot be resolved
 * gives a destination with `problem` set (its error, formatted).
 */
void gc_alerts_resolve(gc_alert_dest **out, size_t *n, const gc_index *idx,
		       const gc_canary_spec *spec);

/*
 * The metadata fields of an alert that asks for them (events.go
 * alertMetadata()): Target, Failed checks threshold, Progress deadline
 * and, unless a canary without stepWeight or stepWeights, Traffic
 * routing. Flagger puts a Cluster field (--cluster-name) in front of
 * them and of every alert. Values owned (gc_alert_fields_release).
 */
typedef struct gc_alert_fields {
	gc_notifier_field v[4];
	char *owned[4];
	size_t n;
} gc_alert_fields;

void gc_alerts_metadata(gc_alert_fields *out, const gc_canary_spec *spec);
void gc_alert_fields_release(gc_alert_fields *f);

#endif
