#ifndef GC_RECONCILER_MACHINE_H
#define GC_RECONCILER_MACHINE_H

/*
 * The release state machine: one Flagger tick (flagger-behaviour.md §3.2)
 * as a PURE function. No clock, no I/O, no globals: the same inputs always
 * give the same outputs. docs/state-machine.md describes every transition.
 *
 * Checks (webhooks, metrics) are asked for, not performed. A tick is
 * replayed from the start with the results of the batches asked for so far:
 *
 *	gc_check_batch done[GC_MACHINE_MAX_BATCHES];
 *	size_t n = 0;
 *	gc_machine_out out;
 *
 *	gc_machine_out_init(&out);
 *	while (gc_machine_step(&out, &in, done, n) == GC_MACHINE_NEED) {
 *		done[n] = out.need;            // take the request over
 *		memset(&out.need, 0, sizeof(out.need));
 *		run_checks(&done[n], ctx);     // fills status/message
 *		n++;
 *	}
 *	... use out ...; release done[0..n) and out
 *
 * Batch k of a replay is always the same request as long as the inputs and
 * the results of batches 0..k-1 are the same.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/release/canary_spec.h"
#include "reconciler/checks/check.h"
#include "reconciler/release/status.h"

/* A tick asks for at most this many batches. */
#define GC_MACHINE_MAX_BATCHES 8

/* Readiness of a rendered Deployment, as the caller observed it (§3.5). */
typedef enum gc_ready {
	GC_READY = 0,     /* updated and available (or scaled to zero) */
	GC_READY_WAITING, /* still rolling out: retriable */
	GC_READY_FAILED   /* stuck for good (ProgressDeadlineExceeded) */
} gc_ready;

typedef struct gc_readiness {
	gc_ready state;
	/* borrowed; the reason without prefix, e.g. "waiting for rollout to
	 * finish: 0 out of 2 new replicas have been updated" */
	const char *message;
} gc_readiness;

/* The Istio routing as currently rendered (VirtualService weights). */
typedef struct gc_routing {
	int primary;
	int canary;
	bool mirror;
} gc_routing;

typedef enum gc_replica_plan {
	GC_REPLICAS_UNCHANGED = 0, /* keep the canary replicas as rendered */
	GC_REPLICAS_ZERO,          /* scale the canary (target) to 0 */
	GC_REPLICAS_SCALE /* scale from zero to out.replica_count (§3.6) */
} gc_replica_plan;

typedef struct gc_machine_in {
	const gc_canary_spec *spec;
	const char *revision; /* gc_revision_hash of the target spec.template */
	/*
	 * Flagger's trackedConfigs of the target now
	 * (gc_render_tracked_configs); borrowed. NULL = config tracking off:
	 * configs never make a new revision and SyncStatus drops
	 * trackedConfigs (Flagger's -enable-config-tracking=false).
	 */
	const cJSON *configs;
	/*
	 * The same map for the configs the primary runs (its "<name>-primary"
	 * copies), or NULL when unknown; only read when the target's template
	 * is the promoted one, to tell a revert (docs/state-machine.md).
	 */
	const cJSON *promoted_configs;
	const gc_status *status; /* status at the start of the tick */
	gc_routing routing;
	gc_readiness primary;
	gc_readiness canary;
	int canary_replicas;  /* replicas of the canary Deployment as rendered
				 now */
	int primary_replicas; /* spec.replicas of the primary, 0 when unset */
	int hpa_min_replicas; /* minReplicas of the target's HPA, 0 when none */
	int64_t now;          /* seconds since the epoch */
} gc_machine_in;

typedef enum gc_event_type {
	GC_EVENT_NORMAL = 0,
	GC_EVENT_WARNING
} gc_event_type;

/* Flagger's alert severities (flaggerv1.AlertSeverity, §3.12). */
typedef enum gc_alert_severity {
	GC_ALERT_NONE = 0, /* no alert (or an alert's empty severity) */
	GC_ALERT_INFO,
	GC_ALERT_WARN,
	GC_ALERT_ERROR
} gc_alert_severity;

typedef struct gc_event {
	gc_event_type type;
	bool error;     /* W(E): also logged at error level (§3.12) */
	gc_phase phase; /* the canary's phase when emitted (event webhook
			   payload) */
	char *message;  /* owned; exact Flagger text */
	/*
	 * The alert Flagger raises right after this event (c.alert() in
	 * pkg/controller), or GC_ALERT_NONE: its severity, its exact text
	 * (owned) and whether it carries the canary's metadata fields.
	 */
	gc_alert_severity alert;
	char *alert_message;
	bool alert_metadata;
} gc_event;

/* Frees what e owns. */
void gc_event_release(gc_event *e);

typedef struct gc_machine_out {
	gc_status status; /* the new status (owned) */
	gc_routing routing;
	gc_replica_plan replicas;
	int replica_count; /* with GC_REPLICAS_SCALE */
	/* Copy the target's template onto the primary (Promote, §3.8.1; also
	 * every tick of initialization, which creates the primary). */
	bool promote;
	/* Anything to commit: status (other than last_tick), routing,
	 * replicas or promote differ from the input. Events alone do not
	 * count (a suspended canary emits one every tick). */
	bool changed;
	gc_event *events;
	size_t nevents, alloc;
	/* With GC_MACHINE_NEED: the requests of the next batch (owned). */
	gc_check_batch need;
} gc_machine_out;

typedef enum gc_machine_result {
	GC_MACHINE_DONE = 0,
	GC_MACHINE_NEED
} gc_machine_result;

void gc_machine_out_init(gc_machine_out *out);
void gc_machine_out_release(gc_machine_out *out);

/*
 * Runs one tick. `results` are the batches returned through out->need by
 * the previous calls for the same inputs, each run by the caller. Returns
 * GC_MACHINE_NEED with out->need set when the tick needs one more batch,
 * GC_MACHINE_DONE when out is complete. out is reset at every call.
 */
gc_machine_result gc_machine_step(gc_machine_out *out, const gc_machine_in *in,
				  const gc_check_batch *results,
				  size_t nresults);

/*
 * The due rule, here only (the loop and `plan` call it). A canary at rest
 * (gc_machine_at_rest) waits for gc_machine_wakes; any other ticks once per
 * analysis interval, rounded up to whole seconds (gc_machine_next_due).
 */

/*
 * True when the canary's next tick is due at now (seconds): no status yet
 * (status NULL); at rest, when gc_machine_wakes for revision and configs;
 * in a release, when gc_machine_next_due of last_tick has come. last_tick is
 * the later of status->last_tick and a tick the caller made but did not
 * persist.
 */
bool gc_machine_due(const gc_canary_spec *spec, const gc_status *status,
		    const char *revision, const cJSON *configs,
		    int64_t last_tick, int64_t now);
/* When the tick after one at last_tick (seconds) is due: last_tick plus
 * interval_ms (the spec's) rounded up to whole seconds. */
int64_t gc_machine_next_due(int64_t interval_ms, int64_t last_tick);
/* Initialized, Succeeded, Failed: the phases that wait for a revision, not
 * for the interval. */
bool gc_machine_at_rest(gc_phase phase);
/* True when a canary at rest has work: a new revision, or a Failed one
 * whose template changed (SyncStatus records the new hashes). */
bool gc_machine_wakes(const gc_status *status, const char *revision,
		      const cJSON *configs);

#endif
