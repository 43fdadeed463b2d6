#ifndef GC_RECONCILER_STATUS_H
#define GC_RECONCILER_STATUS_H

/*
 * The status of one canary: every field of Flagger's CanaryStatus
 * (flagger-behaviour.md §2.1) plus what gitcanary needs to keep the same
 * timing across restarts. It is persisted as JSON in the canary's status
 * file on the deploy branch (gc_status_to_json / gc_status_from_json):
 *
 *   {"phase": "Progressing", "canaryWeight": 10, "failedChecks": 0,
 *    "iterations": 0, "lastAppliedSpec": "5f56684589",
 *    "lastPromotedSpec": "7c45b9c4d6",
 *    "lastTransitionTime": "2026-11-26T15:49:58Z",
 *    "conditions": [{"type": "Promoted", "status": "Unknown",
 *                    "lastUpdateTime": "...", "lastTransitionTime": "...",
 *                    "reason": "Progressing",
 *                    "message": "New revision detected, progressing canary
 * analysis."}], "gitcanary": {"lastTickTime": "2026-11-26T15:49:58Z",
 *                  "waitingSince": "2026-11-26T15:48:58Z"}}
 *
 * Times are seconds since the epoch in C and RFC 3339 UTC in JSON; 0 means
 * unset and is not written.
 */

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/error.h"

typedef enum gc_phase {
	GC_PHASE_NONE = 0, /* "" : no status yet */
	GC_PHASE_INITIALIZING,
	GC_PHASE_INITIALIZED,
	GC_PHASE_WAITING,
	GC_PHASE_PROGRESSING,
	GC_PHASE_WAITING_PROMOTION,
	GC_PHASE_PROMOTING,
	GC_PHASE_FINALISING,
	GC_PHASE_SUCCEEDED,
	GC_PHASE_FAILED,
	GC_PHASE_TERMINATING,
	GC_PHASE_TERMINATED
} gc_phase;

/* "Progressing", ...; "" for GC_PHASE_NONE. */
const char *gc_phase_name(gc_phase p);

typedef enum gc_cond_status {
	GC_COND_UNKNOWN = 0,
	GC_COND_TRUE,
	GC_COND_FALSE
} gc_cond_status;

const char *gc_cond_status_name(gc_cond_status s);

/* The single `Promoted` condition (§2.4). */
typedef struct gc_condition {
	bool present;
	gc_cond_status status;
	char reason[24];   /* the phase name */
	char message[160]; /* §2.4 text, "Deployment" = targetRef.kind */
	int64_t last_update_time;
	int64_t last_transition_time;
} gc_condition;

#define GC_STATUS_SPEC_MAX 64

typedef struct gc_status {
	gc_phase phase;
	int canary_weight;
	int failed_checks;
	int iterations;
	char last_applied_spec[GC_STATUS_SPEC_MAX];
	char last_promoted_spec[GC_STATUS_SPEC_MAX];
	int64_t last_transition_time;
	gc_condition condition;
	/* Owned pass-through fields, NULL when absent. */
	cJSON *tracked_configs;
	char *session_affinity_cookie;
	char *primary_session_affinity_cookie;
	char *previous_session_affinity_cookie;

	/*
	 * gitcanary only ("gitcanary" object in JSON):
	 * last_tick: when the machine last ran a tick for this canary; with
	 *   the interval it decides when the next tick is due
	 *   (gc_machine_due), so a restarted process keeps the same timing.
	 * waiting_since: when the current stretch of waiting (readiness or a
	 *   closed gate) began without progress since; the progress deadline
	 *   is measured from it. 0 = not waiting.
	 */
	int64_t last_tick;
	int64_t waiting_since;
} gc_status;

void gc_status_init(gc_status *s);
void gc_status_release(gc_status *s);
/* Deep copy into an uninitialised or released dst. */
void gc_status_copy(gc_status *dst, const gc_status *src);

/*
 * Reads a status object (the JSON above; unknown members are ignored,
 * missing ones are zero). GC_EINVALID names the bad field.
 */
int gc_status_from_json(gc_status *out, const cJSON *json, gc_error *err);
/* Owned; members in the order shown above, zero/unset optional ones omitted. */
cJSON *gc_status_to_json(const gc_status *s);

/*
 * Sets the Promoted condition for s->phase with the §2.4 rules: unchanged
 * when status and reason are equal; lastTransitionTime kept when only the
 * reason changes; both times = now otherwise. kind = targetRef.kind.
 */
void gc_status_update_condition(gc_status *s, const char *kind, int64_t now);

/* RFC 3339 UTC, "2026-11-26T15:49:58Z". */
#define GC_TIME_MAX 32
void gc_time_format(char out[GC_TIME_MAX], int64_t t);
/* Accepts fractional seconds and Z or +hh:mm / -hh:mm; GC_EINVALID otherwise.
 */
int gc_time_parse(int64_t *out, const char *s);

#endif
