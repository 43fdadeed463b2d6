#ifndef GC_RECONCILER_MESSAGE_H
#define GC_RECONCILER_MESSAGE_H

/*
 * The words of a deploy-branch commit and of its git notes (pure):
 *
 *   <subject>                      the event when one canary moved, else a
 *                                  summary
 *
 *   test/podinfo: Advance podinfo.test canary weight 20
 *   test/podinfo: warning: Halt podinfo.test advancement ...
 *
 *   Canary: test/podinfo           one trailer block per canary, all in the
 *   Phase: Progressing             last paragraph, so that
 *   Canary-Weight: 20              `git interpret-trailers --parse` reads
 *   Primary-Weight: 80             them
 *   Failed-Checks: 0
 *   Revision: 5f56684589
 *   Source-Commit: <40 hex>
 *
 * An event is written as one line (util/text.h: controls escaped, at most
 * GC_MSG_LINE_MAX bytes), so the subject is one line, the events paragraph
 * has one line per event, each "<ns>/<name>: ", and nothing a server says
 * can add a line, an event or a trailer; `describe` reads events from that
 * paragraph only. The note keeps the events and evidence whole.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "reconciler/checks/check.h"
#include "reconciler/release/machine.h"
#include "util/buf.h"

#define GC_MSG_LINE_MAX 1024

/* One canary that changed in a tick; all pointers borrowed. */
typedef struct gc_msg_canary {
	const char *ns, *name;
	const char *phase;
	int canary_weight, primary_weight, failed_checks;
	const char *revision;
	const char *source_commit; /* "" or NULL when unknown */
	const gc_event *events;
	size_t nevents;
	/* check batches run for it this tick (evidence) */
	const gc_check_batch *batches;
	size_t nbatches;
	/* event webhook deliveries of its events (event_hooks.h) */
	const gc_check_batch *deliveries;
	size_t ndeliveries;
	/* evidence of its alerts, sent or not (alert_hooks.h), or NULL */
	const cJSON *alerts;
} gc_msg_canary;

/*
 * The commit message of a tick: canaries[0..n) changed (n may be 0 when
 * only passed-through files changed). source is the source commit (the
 * subject abbreviates it to 12 digits), branch the source branch name.
 */
void gc_message_commit(gc_buf *out, const gc_msg_canary *canaries, size_t n,
		       const char *source, const char *branch);

/*
 * The evidence note of a tick commit (owned): {"sourceCommit", "time",
 * "canaries": [{"canary", "phase", "events": [{"type", "message"}],
 * "checks": [evidence...], "eventWebhooks": [evidence...],
 * "alerts": [evidence...]}]}; "eventWebhooks" only when some event was
 * delivered, "alerts" only when some alert was due.
 */
cJSON *gc_message_evidence(const gc_msg_canary *canaries, size_t n,
			   const char *source_commit, int64_t now);

/* The outcome of one release, for the note on its source commit. */
typedef struct gc_msg_outcome {
	const char *ns, *name;
	bool promoted; /* false = rolled back */
	int64_t when;
	int max_weight; /* highest canary weight reached */
	int failed_checks;
	const char *revision;
	const char *deploy_commit;
	const char *last_event; /* or NULL */
	/* an A/B release: what routes to the canary ("x-canary"), else NULL
	 * or "" (then maxWeight is written) */
	const char *match;
} gc_msg_outcome;

/* Room for gc_message_match's summary, NUL included. */
#define GC_MESSAGE_MATCH_MAX 128

/*
 * What an A/B release (analysis.match) sends to the canary, for people:
 * the header names of every match entry ("x-canary", "cookie"), else the
 * kinds of condition ("uri", "sourceLabels"), comma-separated, truncated
 * to fit out. "" when match is empty.
 */
void gc_message_match(char out[GC_MESSAGE_MATCH_MAX], const cJSON *match);

/*
 * Adds outcomes o[0..n) to the note text of a source commit (existing may
 * be NULL or a previous note; its releases are kept, one of the same
 * canary and deploy commit is replaced). Owned JSON.
 */
cJSON *gc_message_outcome(const char *existing, const gc_msg_outcome *o,
			  size_t n);

#endif
