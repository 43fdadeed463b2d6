#ifndef GC_RECONCILER_CANARY_SPEC_H
#define GC_RECONCILER_CANARY_SPEC_H

/*
 * A Canary manifest (flagger.app/v1beta1) read into plain C values with
 * Flagger's defaults applied (flagger-behaviour.md §1.1, §1.3, §3.7, §6).
 * The state machine (machine.h) only reads this struct; every cJSON pointer
 * in it is borrowed from the Canary document, which must outlive the spec.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/error.h"

typedef enum gc_strategy {
	GC_STRATEGY_CANARY = 0, /* weight steps */
	GC_STRATEGY_BLUE_GREEN, /* iterations without match */
	GC_STRATEGY_AB          /* iterations with match */
} gc_strategy;

/* Webhook types of §6.1; "" parses as GC_HOOK_ROLLOUT. */
typedef enum gc_hook_type {
	GC_HOOK_CONFIRM_ROLLOUT = 0,
	GC_HOOK_PRE_ROLLOUT,
	GC_HOOK_ROLLOUT,
	GC_HOOK_CONFIRM_TRAFFIC_INCREASE,
	GC_HOOK_CONFIRM_PROMOTION,
	GC_HOOK_POST_ROLLOUT,
	GC_HOOK_ROLLBACK,
	GC_HOOK_EVENT,
	GC_HOOK__COUNT
} gc_hook_type;

/* The webhooks of one type, in spec order (items borrowed). */
typedef struct gc_hook_list {
	const cJSON **v;
	size_t n;
} gc_hook_list;

typedef struct gc_canary_spec {
	/* owned strings */
	char *name;         /* <C> */
	char *namespace;    /* <NS> */
	char *target;       /* <T> = spec.targetRef.name */
	char *target_kind;  /* spec.targetRef.kind, default "Deployment" */
	char *service;      /* <APEX> = spec.service.name or <T> */
	char *interval_str; /* spec.analysis.interval verbatim ("" if unset) */

	int64_t interval_ms; /* tick period after defaults and the floor */
	int threshold;       /* >= 1 */
	int max_weight;      /* §3.7.1 formula, clamped to 1..100 */
	int step_weight;
	int *step_weights; /* owned */
	size_t n_step_weights;
	int step_weight_promotion;
	int iterations;
	const cJSON *match; /* analysis.match, NULL when empty */
	bool mirror;
	int mirror_weight;
	int primary_ready_threshold; /* percent, default 100 */
	int canary_ready_threshold;  /* percent, default 100 */
	int64_t progress_deadline_s; /* default 600 */
	bool skip_analysis; /* spec.skipAnalysis, or no analysis at all */
	bool suspend;
	bool has_autoscaler; /* spec.autoscalerRef is set */
	gc_strategy strategy;

	gc_hook_list hooks[GC_HOOK__COUNT];
	const cJSON **metrics; /* analysis.metrics[] items, borrowed */
	size_t n_metrics;

	const cJSON *root; /* the Canary document, borrowed */
} gc_canary_spec;

typedef struct gc_canary_spec_opts {
	/* Floor of the interval in ms; 0 = Flagger's 10 s. At least 1 s. */
	int64_t min_interval_ms;
} gc_canary_spec_opts;

/*
 * Reads `canary` (a whole Canary document) whose resolved namespace is
 * `ns` into `out` (caller-owned; release with gc_canary_spec_release).
 * GC_EINVALID with a "spec.analysis...: ..." message when a field has the
 * wrong type or would make the release stall (see
 * docs/flagger-compatibility.md); nothing is written to out then.
 */
int gc_canary_spec_parse(gc_canary_spec *out, const cJSON *canary,
			 const char *ns, const gc_canary_spec_opts *opts,
			 gc_error *err);
void gc_canary_spec_release(gc_canary_spec *spec);

/*
 * Go's time.ParseDuration ("1m30s", "500ms", "1.5h", "0") into
 * milliseconds; GC_EINVALID when it does not parse.
 */
int gc_duration_parse(int64_t *out_ms, const char *s);

/* §3.7.1 nextStepWeight(w) for the canary strategy. */
int gc_canary_spec_next_step(const gc_canary_spec *spec, int weight);

#endif
