#ifndef GC_RECONCILER_SERVICE_METRICS_H
#define GC_RECONCILER_SERVICE_METRICS_H

/*
 * The metrics of /metrics (docs/operations.md, "Metrics"): one registry per
 * process holding Flagger's series, with the names, labels, types and
 * meanings of fluxcd/flagger's pkg/metrics/recorder.go, and gitcanary's
 * own (gitcanary_*, process_*).
 *
 * Thread-safe: the loop and the checks record on the tick's thread while a
 * scrape writes on the server's. A canary's series change only when the
 * loop records what a tick saw of it, so an idle tick does no work per
 * canary: it records its duration and result, nothing else.
 *
 * Flagger's series carry the canary's target name as "name" (as Flagger's
 * recorder does) but the registry keys them by the canary ("<ns>/<name>",
 * the loop's id), so that a canary that leaves the source takes its series
 * with it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/checks/check.h"
#include "reconciler/release/canary_spec.h"
#include "reconciler/release/status.h"
#include "util/buf.h"

/* The Content-Type of what gc_metrics_write writes. */
#define GC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Appends every series in the Prometheus text exposition format 0.0.4
 * (HELP and TYPE lines, label values escaped) to out; returns 0. payload
 * is not read: this is the shape of the HTTP server's /metrics callback.
 */
int gc_metrics_write(gc_buf *out, void *payload);

/* What a complete tick left of one canary it looked at (all borrowed). */
typedef struct gc_metrics_canary {
	const char *id;        /* "<ns>/<name>" */
	const char *namespace; /* <ns> */
	/* spec.targetRef.name; NULL = unknown (no series but the count) */
	const char *target;
	/* phase and weights are known (a status file, or the machine's) */
	bool has_stage;
	gc_phase phase;
	int primary_weight, canary_weight;
	/* a release ended in this tick: Succeeded or Failed */
	bool ended;
	gc_strategy strategy;
	bool skip_analysis;
} gc_metrics_canary;

/*
 * Records v[0..n) of a tick that reached the deploy branch (one lock for
 * all). A canary without has_stage only counts in flagger_canary_total and
 * keeps the series it had. With all, v holds every canary of the source
 * and the series of any other are dropped.
 */
void gc_metrics_canaries(const gc_metrics_canary *v, size_t n, bool all);
/* Drops every series of canary id ("<ns>/<name>"): it left the source. */
void gc_metrics_canary_remove(const char *id);
/*
 * The last value of a canary's analysis metric
 * (flagger_canary_metric_analysis), as Flagger records it: request-duration
 * in seconds, any other as the query returned it.
 */
void gc_metrics_canary_analysis(const char *ns, const char *name,
				const char *target, const char *metric,
				double value);
/* The seconds one analysis run took (flagger_canary_duration_seconds). */
void gc_metrics_canary_duration(const char *ns, const char *name,
				const char *target, double seconds);

/* How a tick (gc_loop_tick, with its retries) ended. */
typedef enum gc_metrics_tick_result {
	GC_METRICS_TICK_COMMITTED = 0, /* pushed a commit */
	GC_METRICS_TICK_UNCHANGED,     /* looked, nothing to commit */
	GC_METRICS_TICK_SKIPPED,       /* nothing moved and nothing due */
	GC_METRICS_TICK_FAILED,        /* returned an error */
	GC_METRICS_TICK__COUNT
} gc_metrics_tick_result;

/*
 * One tick: its wall time in seconds and its result; a tick that did not
 * fail sets the last successful tick time to now (seconds since the
 * epoch) and a committed one counts a deploy-branch commit.
 */
void gc_metrics_tick(gc_metrics_tick_result result, double seconds,
		     int64_t now);
/* A push lost to a concurrent writer (compare-and-swap), retried. */
void gc_metrics_push_conflict(void);
/* A fetch of the repository that failed. */
void gc_metrics_fetch_failure(void);
/* The source's problems after a tick that loaded it (a gauge). */
void gc_metrics_source_problems(size_t errors, size_t warnings);
/*
 * One check the runner finished: a metric query (pass, fail, or error: the
 * query itself failed), a webhook of a type ("" = rollout) or an alert.
 */
void gc_metrics_check(gc_check_kind kind, const char *type, bool pass,
		      bool error);

#endif
