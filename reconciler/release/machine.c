#include "reconciler/release/machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/* What a step of the tick tells its caller. */
enum { T_CONT = 0, T_DONE, T_NEED };

typedef struct tick {
	const gc_machine_in *in;
	const gc_canary_spec *s;
	gc_machine_out *out;
	gc_status *st;
	gc_phase p0; /* phase at the start of the tick */
	const gc_check_batch *results;
	size_t nresults;
	size_t next; /* index of the next batch this replay asks for */
	bool waited;
	bool phase_written; /* SyncStatus / SetStatusPhase ran: update the
			       condition */
} tick;

static const gc_check_batch empty_batch = { NULL, 0, true, false };

void gc_machine_out_init(gc_machine_out *out)
{
	memset(out, 0, sizeof(*out));
}

void gc_machine_out_release(gc_machine_out *out)
{
	gc_status_release(&out->status);
	for (size_t i = 0; i < out->nevents; i++)
		gc_event_release(&out->events[i]);
	free(out->events);
	gc_check_batch_release(&out->need);
	gc_machine_out_init(out);
}

void gc_event_release(gc_event *e)
{
	free(e->message);
	free(e->alert_message);
	e->message = e->alert_message = NULL;
}

static void ev(tick *t, gc_event_type type, const char *fmt, ...)
	GC_PRINTF(3, 4);
static void ev(tick *t, gc_event_type type, const char *fmt, ...)
{
	gc_machine_out *o = t->out;
	gc_buf b = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (o->nevents == o->alloc) {
		o->alloc = o->alloc ? o->alloc * 2 : 8;
		o->events =
			gc_xrealloc(o->events, o->alloc * sizeof(*o->events));
	}
	memset(&o->events[o->nevents], 0, sizeof(*o->events));
	o->events[o->nevents].type = type;
	o->events[o->nevents].phase = t->st->phase;
	o->events[o->nevents].message = gc_buf_detach(&b, NULL);
	o->nevents++;
}

/*
 * Flagger's c.alert(canary, message, metadata, severity) after the event
 * just emitted (§3.12): it rides on that event, so it is delivered with
 * it, once the tick is final.
 */
static void alert(tick *t, gc_alert_severity severity, bool metadata,
		  const char *fmt, ...) GC_PRINTF(4, 5);
static void alert(tick *t, gc_alert_severity severity, bool metadata,
		  const char *fmt, ...)
{
	gc_event *e;
	gc_buf b = GC_BUF_INIT;
	va_list ap;

	GC_ASSERT(t->out->nevents > 0);
	e = &t->out->events[t->out->nevents - 1];
	va_start(ap, fmt);
	gc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(e->alert_message);
	e->alert = severity;
	e->alert_metadata = metadata;
	e->alert_message = gc_buf_detach(&b, NULL);
}

/* A gate's "waiting for approval" alert, unless its hook mutes it. */
static void gate_alert(tick *t, const gc_check *c, const char *msg)
{
	if (!gc_json_bool(c->spec, "muteAlert", false))
		alert(t, GC_ALERT_WARN, false, "%s", msg);
}

static void set_routing(tick *t, int primary, int canary, bool mirror)
{
	t->out->routing.primary = primary;
	t->out->routing.canary = canary;
	t->out->routing.mirror = mirror;
}

/* Flagger's SyncStatus (§2.3). */
static void sync_status(tick *t, gc_phase phase, int weight)
{
	gc_status *st = t->st;

	st->phase = phase;
	st->canary_weight = weight;
	st->failed_checks = 0;
	st->iterations = 0;
	snprintf(st->last_applied_spec, sizeof(st->last_applied_spec), "%s",
		 t->in->revision);
	cJSON_Delete(st->tracked_configs);
	st->tracked_configs = gc_json_dup(t->in->configs);
	if (phase == GC_PHASE_INITIALIZED)
		snprintf(st->last_promoted_spec, sizeof(st->last_promoted_spec),
			 "%s", t->in->revision);
	t->phase_written = true;
}

/* Flagger's SetStatusPhase (§2.3). */
static void set_phase(tick *t, gc_phase phase)
{
	gc_status *st = t->st;

	st->phase = phase;
	if (phase == GC_PHASE_WAITING_PROMOTION) {
		st->canary_weight = 0;
		st->iterations = t->s->iterations - 1;
	} else if (phase != GC_PHASE_PROGRESSING && phase != GC_PHASE_WAITING &&
		   phase != GC_PHASE_PROMOTING) {
		st->canary_weight = 0;
		st->iterations = 0;
	}
	if (phase == GC_PHASE_INITIALIZED || phase == GC_PHASE_SUCCEEDED)
		memcpy(st->last_promoted_spec, st->last_applied_spec,
		       sizeof(st->last_promoted_spec));
	t->phase_written = true;
}

/*
 * A wait (readiness, closed gate) was observed: true when the progress
 * deadline has passed since the current stretch of waiting began.
 */
static bool wait_expired(tick *t)
{
	int64_t since =
		t->st->waiting_since ? t->st->waiting_since : t->in->now;

	t->waited = true;
	return t->in->now - since >= t->s->progress_deadline_s;
}

/*
 * Returns batch k of this replay, or NULL after putting the request into
 * out->need. Empty requests are answered at once and use no slot.
 */
static const gc_check_batch *ask(tick *t, gc_check_batch *req)
{
	const gc_check_batch *r;

	if (!req->n) {
		gc_check_batch_release(req);
		return &empty_batch;
	}
	if (t->next >= t->nresults) {
		t->out->need = *req;
		return NULL;
	}
	r = &t->results[t->next++];
	GC_ASSERT(r->n == req->n);
	for (size_t i = 0; i < r->n; i++)
		GC_ASSERT(r->v[i].spec == req->v[i].spec &&
			  r->v[i].kind == req->v[i].kind);
	gc_check_batch_release(req);
	return r;
}

static void req_add(gc_check_batch *b, gc_check_kind kind, const cJSON *spec,
		    gc_phase phase)
{
	gc_check *c;

	b->v = gc_xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
	c = &b->v[b->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->spec = spec;
	snprintf(c->phase, sizeof(c->phase), "%s", gc_phase_name(phase));
}

static const gc_check_batch *ask_hooks(tick *t, gc_hook_type type,
				       gc_phase phase, bool stop_on_pass)
{
	const gc_hook_list *l = &t->s->hooks[type];
	gc_check_batch req = { NULL, 0, !stop_on_pass, stop_on_pass };

	for (size_t i = 0; i < l->n; i++)
		req_add(&req, GC_CHECK_WEBHOOK, l->v[i], phase);
	return ask(t, &req);
}

static const char *hook_name(const gc_check *c)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(c->spec, "name");

	return cJSON_IsString(n) ? n->valuestring : "";
}

static const char *msg_of(const gc_check *c)
{
	return c->message ? c->message : "";
}

/*
 * The hook-result loop: walks the checks of b that ran, in order. Each one
 * whose status is go_on lets the run go on and is logged as the normal
 * event "<what> <hook> <said>" (nothing when what is NULL); the first other
 * one is returned for the caller to act on. NULL: every check that ran let
 * the run go on.
 */
static const gc_check *first_stop(tick *t, const gc_check_batch *b,
				  gc_check_status go_on, const char *what,
				  const char *said)
{
	for (size_t i = 0; i < b->n && b->v[i].status != GC_CHECK_NOT_RUN;
	     i++) {
		if (b->v[i].status != go_on)
			return &b->v[i];
		if (what)
			ev(t, GC_EVENT_NORMAL, "%s %s %s", what,
			   hook_name(&b->v[i]), said);
	}
	return NULL;
}

static int post_rollout(tick *t)
{
	const gc_check_batch *b =
		ask_hooks(t, GC_HOOK_POST_ROLLOUT, t->st->phase, false);
	const gc_check *c;

	if (!b)
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_PASS, "Post-rollout check", "passed");
	if (c)
		ev(t, GC_EVENT_WARNING, "Post-rollout hook %s failed %s",
		   hook_name(c), msg_of(c));
	return T_DONE;
}

/* §3.9 */
static int rollback(tick *t)
{
	const gc_canary_spec *s = t->s;

	if (t->st->failed_checks >= s->threshold)
		ev(t, GC_EVENT_WARNING,
		   "Rolling back %s.%s failed checks threshold reached %d",
		   s->name, s->namespace, t->st->failed_checks);
	if (t->st->failed_checks >= s->threshold)
		alert(t, GC_ALERT_ERROR, false,
		      "Failed checks threshold reached %d",
		      t->st->failed_checks);
	set_routing(t, 100, 0, false);
	t->out->replicas = GC_REPLICAS_ZERO;
	sync_status(t, GC_PHASE_FAILED, 0);
	ev(t, GC_EVENT_WARNING, "Canary failed! Scaling down %s.%s", s->name,
	   s->namespace);
	return post_rollout(t);
}

static int deadline_rollback(tick *t, const char *why)
{
	ev(t, GC_EVENT_WARNING,
	   "Rolling back %s.%s progress deadline exceeded %s", t->s->name,
	   t->s->namespace, why);
	alert(t, GC_ALERT_ERROR, false, "Progress deadline exceeded %s", why);
	return rollback(t);
}

/* A closed gate (waiting for what of hook) past its deadline rolls back. */
static int gate_closed(tick *t, const char *what, const char *hook)
{
	char *why;
	int ret;

	if (!wait_expired(t))
		return T_DONE;
	why = gc_xasprintf("waiting for %s %s", what, hook);
	ret = deadline_rollback(t, why);
	free(why);
	return ret;
}

/* §3.10: all traffic to the healthy canary, which keeps running. */
static int failed_promotion(tick *t, const char *why)
{
	ev(t, GC_EVENT_WARNING,
	   "Promotion of %s.%s failed, primary not ready: %s", t->s->target,
	   t->s->namespace, why);
	alert(t, GC_ALERT_ERROR, false,
	      "Promotion failed, primary not ready: %s", why);
	set_routing(t, 0, 100, false);
	sync_status(t, GC_PHASE_FAILED, 100);
	return post_rollout(t);
}

/* §3.6: replicas for scaling the canary up from zero. */
static int scale_from_zero(const gc_machine_in *in)
{
	if (in->canary_replicas > 0)
		return in->canary_replicas;
	if (!in->spec->has_autoscaler)
		return in->primary_replicas > 0 ? in->primary_replicas : 1;
	return in->hpa_min_replicas > 1 ? in->hpa_min_replicas : 1;
}

static bool in_phases(gc_phase p, gc_phase a, gc_phase b)
{
	return p == a || p == b;
}

/*
 * Initialization (§3.2 steps 7-12): the primary is (re)created from the
 * target; once it is ready the target is scaled to 0 and all traffic goes
 * to the primary. Past the deadline the canary fails with all traffic on
 * the target, which keeps running (it is the same template).
 */
static int tick_init(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_readiness *r = &t->in->primary;
	char *why = NULL;

	/* the tick that creates the primary copies the target's template */
	if (t->st->phase == GC_PHASE_NONE) {
		t->st->phase = GC_PHASE_INITIALIZING;
		t->phase_written = true;
		t->out->promote = true;
	}
	if (!s->skip_analysis && r->state != GC_READY) {
		ev(t, GC_EVENT_WARNING, "%s-primary.%s not ready: %s",
		   s->target, s->namespace, r->message ? r->message : "");
		if (r->state == GC_READY_WAITING && !wait_expired(t))
			return T_DONE;
		why = gc_xasprintf("%s%s-primary.%s not ready: %s",
				   r->state == GC_READY_WAITING
					   ? "progress deadline exceeded "
					   : "",
				   s->target, s->namespace,
				   r->message ? r->message : "");
		ev(t, GC_EVENT_WARNING, "Initialization of %s.%s failed, %s",
		   s->name, s->namespace, why);
		free(why);
		set_routing(t, 0, 100, false);
		sync_status(t, GC_PHASE_FAILED, 100);
		snprintf(t->st->last_promoted_spec,
			 sizeof(t->st->last_promoted_spec), "%s",
			 t->in->revision);
		t->out->promote = true;
		return T_DONE;
	}
	/* and so does the one that finishes, for a target changed meanwhile */
	t->out->promote = true;
	t->out->replicas = GC_REPLICAS_ZERO;
	set_routing(t, 100, 0, false);
	sync_status(t, GC_PHASE_INITIALIZED, 0);
	ev(t, GC_EVENT_NORMAL, "Initialization done! %s.%s", s->name,
	   s->namespace);
	alert(t, GC_ALERT_INFO, true,
	      "New %s detected, initialization completed.", s->target_kind);
	return T_DONE;
}

/* §3.2 step 15. */
static int check_primary(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_readiness *r = &t->in->primary;
	bool promoting =
		in_phases(t->p0, GC_PHASE_PROMOTING, GC_PHASE_FINALISING);
	const char *m = r->message ? r->message : "";
	char *why;
	int ret;

	if (s->skip_analysis || r->state == GC_READY)
		return T_CONT;
	ev(t, GC_EVENT_WARNING, "%s-primary.%s not ready: %s", s->target,
	   s->namespace, m);
	if (r->state == GC_READY_WAITING && !wait_expired(t))
		return T_DONE;
	if (promoting) {
		why = gc_xasprintf("%s%s",
				   r->state == GC_READY_WAITING
					   ? "progress deadline exceeded "
					   : "",
				   m);
		ret = failed_promotion(t, why);
		free(why);
		return ret;
	}
	if (r->state == GC_READY_FAILED)
		return rollback(t);
	why = gc_xasprintf("%s-primary.%s not ready: %s", s->target,
			   s->namespace, m);
	ret = deadline_rollback(t, why);
	free(why);
	return ret;
}

/* §3.2 step 19; not in Promoting/Finalising (see
 * docs/flagger-compatibility.md). */
static int check_canary(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_readiness *r = &t->in->canary;
	char *why;
	int ret;

	if (r->state == GC_READY ||
	    in_phases(t->p0, GC_PHASE_PROMOTING, GC_PHASE_FINALISING))
		return T_CONT;
	why = gc_xasprintf("canary deployment %s.%s not ready: %s", s->target,
			   s->namespace, r->message ? r->message : "");
	ev(t, GC_EVENT_WARNING, "%s", why);
	if (r->state == GC_READY_FAILED)
		ret = rollback(t);
	else if (wait_expired(t))
		ret = deadline_rollback(t, why);
	else
		ret = T_DONE;
	free(why);
	return ret;
}

/* §3.2 step 17: the start of a run (confirm-rollout gate, scale up). */
static int start_run(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_check_batch *b =
		ask_hooks(t, GC_HOOK_CONFIRM_ROLLOUT, t->p0, false);
	const gc_check *c;

	if (!b)
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_PASS, "Confirm-rollout check", "passed");
	if (c) {
		if (t->p0 != GC_PHASE_WAITING) {
			set_phase(t, GC_PHASE_WAITING);
			ev(t, GC_EVENT_WARNING,
			   "Halt %s.%s advancement waiting for approval %s",
			   s->name, s->namespace, hook_name(c));
			gate_alert(t, c, "Canary is waiting for approval.");
		}
		return gate_closed(t, "approval", hook_name(c));
	}
	t->out->replicas = GC_REPLICAS_SCALE;
	t->out->replica_count = scale_from_zero(t->in);
	sync_status(t, GC_PHASE_PROGRESSING, 0);
	ev(t, GC_EVENT_NORMAL, "New revision detected! Scaling up %s.%s",
	   s->target, s->namespace);
	alert(t, GC_ALERT_INFO, true, "%s",
	      "New revision detected, progressing canary analysis.");
	return T_DONE;
}

static int rollback_hooks(tick *t)
{
	const gc_check_batch *b;
	const gc_check *c;

	if (!t->s->hooks[GC_HOOK_ROLLBACK].n)
		return T_CONT;
	if (!(b = ask_hooks(t, GC_HOOK_ROLLBACK, t->p0, true)))
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_FAIL, "Rollback hook",
		       "not signaling a rollback");
	if (!c)
		return T_CONT;
	ev(t, GC_EVENT_WARNING, "Rollback check %s passed", hook_name(c));
	ev(t, GC_EVENT_WARNING, "Rolling back %s.%s manual webhook invoked",
	   t->s->name, t->s->namespace);
	alert(t, GC_ALERT_WARN, false, "%s",
	      "Rolling back manual webhook invoked");
	return rollback(t);
}

/* §3.4 */
static int skip_promote(tick *t)
{
	const gc_canary_spec *s = t->s;
	int ret;

	set_routing(t, 100, 0, false);
	ev(t, GC_EVENT_NORMAL, "Copying %s.%s template spec to %s-primary.%s",
	   s->target, s->namespace, s->target, s->namespace);
	t->out->promote = true;
	t->out->replicas = GC_REPLICAS_ZERO;
	set_phase(t, GC_PHASE_SUCCEEDED);
	if ((ret = post_rollout(t)) == T_NEED)
		return ret;
	ev(t, GC_EVENT_NORMAL,
	   "Promotion completed! Canary analysis was skipped for %s.%s",
	   s->target, s->namespace);
	alert(t, GC_ALERT_INFO, false, "%s",
	      "Canary analysis was skipped, promotion finished.");
	return T_DONE;
}

/* §3.8.2 */
static int promoting(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_routing *r = &t->in->routing;
	int step = s->step_weight_promotion, primary, canary;

	/* deviation: a gradual promotion from weight 0 would never end */
	if (step <= 0 || r->canary <= 0) {
		ev(t, GC_EVENT_NORMAL, "Routing all traffic to primary");
		set_routing(t, 100, 0, false);
		set_phase(t, GC_PHASE_FINALISING);
		return T_DONE;
	}
	primary = r->primary + step > 100 ? 100 : r->primary + step;
	canary = r->canary - step < 0 ? 0 : r->canary - step;
	set_routing(t, primary, canary, false);
	ev(t, GC_EVENT_NORMAL, "Advance %s.%s primary weight %d", s->name,
	   s->namespace, primary);
	if (primary == 100)
		set_phase(t, GC_PHASE_FINALISING);
	else
		t->st->canary_weight = canary;
	return T_DONE;
}

/* §3.2 step 23 */
static int finalising(tick *t)
{
	int ret;

	t->out->replicas = GC_REPLICAS_ZERO;
	set_phase(t, GC_PHASE_SUCCEEDED);
	if ((ret = post_rollout(t)) == T_NEED)
		return ret;
	ev(t, GC_EVENT_NORMAL, "Promotion completed! Scaling down %s.%s",
	   t->s->target, t->s->namespace);
	alert(t, GC_ALERT_INFO, false, "%s",
	      "Canary analysis completed successfully, promotion finished.");
	return T_DONE;
}

/* Pre-rollout hooks on the first analysis tick of a run (§3.2 step 26). */
static int pre_rollout(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_check_batch *b;
	const gc_check *c;

	ev(t, GC_EVENT_NORMAL, "Starting canary analysis for %s.%s", s->target,
	   s->namespace);
	if (!(b = ask_hooks(t, GC_HOOK_PRE_ROLLOUT, GC_PHASE_PROGRESSING,
			    false)))
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_PASS, "Pre-rollout check", "passed");
	if (!c)
		return T_CONT;
	ev(t, GC_EVENT_WARNING,
	   "Halt %s.%s advancement pre-rollout check %s failed %s", s->name,
	   s->namespace, hook_name(c), msg_of(c));
	t->st->failed_checks++;
	return T_DONE;
}

static bool is_template_metric(const cJSON *m)
{
	return cJSON_IsObject(
		cJSON_GetObjectItemCaseSensitive(m, "templateRef"));
}

/* Rollout hooks, then builtin/inline metrics, then template metrics (§5.3). */
static int analysis(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_hook_list *l = &s->hooks[GC_HOOK_ROLLOUT];
	gc_check_batch req = { NULL, 0, true, false };
	const gc_check_batch *b;
	const gc_check *c;

	for (size_t i = 0; i < l->n; i++)
		req_add(&req, GC_CHECK_WEBHOOK, l->v[i], GC_PHASE_PROGRESSING);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_metrics; i++)
			if (is_template_metric(s->metrics[i]) == (pass == 1))
				req_add(&req, GC_CHECK_METRIC, s->metrics[i],
					GC_PHASE_PROGRESSING);
	if (!(b = ask(t, &req)))
		return T_NEED;
	if (!(c = first_stop(t, b, GC_CHECK_PASS, NULL, NULL)))
		return T_CONT;
	if (c->kind == GC_CHECK_WEBHOOK) {
		ev(t, GC_EVENT_WARNING,
		   "Halt %s.%s advancement external check %s failed %s",
		   s->name, s->namespace, hook_name(c), msg_of(c));
	} else {
		ev(t, GC_EVENT_WARNING, "%s", msg_of(c));
		t->out->events[t->out->nevents - 1].error = c->error_event;
	}
	t->st->failed_checks++;
	return T_DONE;
}

/* §3.7.4 */
static int confirm_promotion(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_check_batch *b;
	const gc_check *c;

	if (!(b = ask_hooks(t, GC_HOOK_CONFIRM_PROMOTION, GC_PHASE_PROGRESSING,
			    false)))
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_PASS, "Confirm-promotion check",
		       "passed");
	if (!c)
		return T_CONT;
	if (t->p0 != GC_PHASE_WAITING_PROMOTION) {
		set_phase(t, GC_PHASE_WAITING_PROMOTION);
		ev(t, GC_EVENT_WARNING,
		   "Halt %s.%s advancement waiting for promotion approval %s",
		   s->name, s->namespace, hook_name(c));
		gate_alert(t, c, "Canary promotion is waiting for approval.");
	} else {
		t->st->iterations = s->iterations - 1;
	}
	return gate_closed(t, "promotion approval", hook_name(c));
}

static int confirm_traffic_increase(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_check_batch *b;
	const gc_check *c;

	if (!(b = ask_hooks(t, GC_HOOK_CONFIRM_TRAFFIC_INCREASE,
			    GC_PHASE_PROGRESSING, false)))
		return T_NEED;
	c = first_stop(t, b, GC_CHECK_PASS, "Confirm-traffic-increase check",
		       "passed");
	if (!c)
		return T_CONT;
	ev(t, GC_EVENT_WARNING,
	   "Halt %s.%s advancement waiting for traffic increase approval %s",
	   s->name, s->namespace, hook_name(c));
	gate_alert(t, c, "Canary traffic increase is waiting for approval.");
	return gate_closed(t, "traffic increase approval", hook_name(c));
}

static int promote_now(tick *t)
{
	const gc_canary_spec *s = t->s;

	ev(t, GC_EVENT_NORMAL, "Copying %s.%s template spec to %s-primary.%s",
	   s->target, s->namespace, s->target, s->namespace);
	t->out->promote = true;
	set_phase(t, GC_PHASE_PROMOTING);
	return T_DONE;
}

static void advance_iteration(tick *t)
{
	t->st->iterations++;
	ev(t, GC_EVENT_NORMAL, "Advance %s.%s canary iteration %d/%d",
	   t->s->name, t->s->namespace, t->st->iterations, t->s->iterations);
}

/* §3.7.2 */
static int run_ab(tick *t)
{
	int ret;

	if (t->s->iterations > t->st->iterations) {
		set_routing(t, 0, 100, false);
		advance_iteration(t);
		return T_DONE;
	}
	if ((ret = confirm_promotion(t)) != T_CONT)
		return ret;
	return t->s->iterations == t->st->iterations ? promote_now(t) : T_DONE;
}

/* §3.7.3 */
static int run_blue_green(tick *t)
{
	const gc_canary_spec *s = t->s;
	int ret;

	if (s->iterations > t->st->iterations) {
		if (s->mirror && !t->in->routing.mirror)
			set_routing(t, 100, 0, true);
		advance_iteration(t);
		return T_DONE;
	}
	if ((ret = confirm_promotion(t)) != T_CONT)
		return ret;
	if (s->iterations == t->st->iterations) {
		ev(t, GC_EVENT_NORMAL, "%s",
		   s->mirror
			   ? "Stop traffic mirroring and route all traffic to canary"
			   : "Routing all traffic to canary");
		set_routing(t, 0, 100, false);
		t->st->iterations++;
		return T_DONE;
	}
	return promote_now(t);
}

/* §3.7.1, with the weight clamped to maxWeight (deviation). */
static int run_canary(tick *t)
{
	const gc_canary_spec *s = t->s;
	const gc_routing *r = &t->in->routing;
	int step = gc_canary_spec_next_step(s, r->canary), w, ret;

	if (step <= 0)
		return T_DONE;
	if (!r->mirror &&
	    !in_phases(t->p0, GC_PHASE_WAITING_PROMOTION, GC_PHASE_PROMOTING) &&
	    (ret = confirm_traffic_increase(t)) != T_CONT)
		return ret;
	if (r->canary >= s->max_weight) {
		if ((ret = confirm_promotion(t)) != T_CONT)
			return ret;
		return promote_now(t);
	}
	if (s->mirror && r->canary == 0 && !r->mirror) {
		set_routing(t, 100, 0, true);
		w = 0;
	} else {
		w = r->canary + step;
		w = w > s->max_weight ? s->max_weight : w;
		set_routing(t, 100 - w, w, false);
	}
	t->st->canary_weight = w;
	ev(t, GC_EVENT_NORMAL, "Advance %s.%s canary weight %d", s->name,
	   s->namespace, w);
	return T_DONE;
}

static bool spec_changed(const gc_status *st, const char *rev)
{
	return !*st->last_applied_spec ||
	       (strcmp(rev, st->last_promoted_spec) &&
		strcmp(rev, st->last_applied_spec));
}

/* True when every entry of a has the same checksum in b. */
static bool configs_within(const cJSON *a, const cJSON *b)
{
	for (const cJSON *m = cJSON_IsObject(a) ? a->child : NULL; m;
	     m = m->next) {
		const cJSON *v =
			cJSON_IsObject(b)
				? cJSON_GetObjectItemCaseSensitive(b, m->string)
				: NULL;

		if (!cJSON_IsString(m) || !cJSON_IsString(v) ||
		    strcmp(m->valuestring, v->valuestring))
			return false;
	}
	return true;
}

/*
 * Flagger's HasConfigChanged (flagger-behaviour.md §2.5): changed when
 * there are configs and none were tracked (nil), when the counts differ,
 * or when a checksum differs. Empty and nil are unchanged; with config
 * tracking off (current NULL) nothing changes.
 */
static bool configs_changed(const cJSON *current, const cJSON *tracked)
{
	int n = cJSON_GetArraySize(current);

	if (!current)
		return false;
	if (!tracked)
		return n > 0;
	return n != cJSON_GetArraySize(tracked) ||
	       !configs_within(current, tracked);
}

/*
 * Flagger's new-revision rule for a canary at rest (§2.5): the template
 * changed (hasSpecChanged) or the configs did (HasConfigChanged; configs
 * as in gc_machine_in, NULL = tracking off).
 */
static bool revision_is_new(const gc_status *status, const char *revision,
			    const cJSON *configs)
{
	return spec_changed(status, revision) ||
	       configs_changed(configs, status->tracked_configs);
}

static bool new_revision(const tick *t)
{
	return revision_is_new(t->in->status, t->in->revision, t->in->configs);
}

/* Analysing something else than the run's revision (§3.2 step 18). */
static bool run_changed(const tick *t)
{
	return strcmp(t->in->revision, t->in->status->last_applied_spec) ||
	       configs_changed(t->in->configs, t->in->status->tracked_configs);
}

/*
 * A revert of the target to what the primary runs while a release runs:
 * the release is abandoned and all traffic returns to the primary. The
 * target is the promoted one when its template is the promoted template
 * and its configs are the primary's (in->promoted_configs; when unknown,
 * the configs tracked at the last status sync). A template revert that
 * comes with other configs is a new revision, not a revert.
 */
static bool reverted(const tick *t)
{
	const gc_status *st = t->in->status;
	const cJSON *cur = t->in->configs;
	const char *rev = t->in->revision;
	bool same_configs;

	if (!*st->last_promoted_spec || strcmp(rev, st->last_promoted_spec))
		return false;
	if (t->in->promoted_configs && cur)
		same_configs =
			cJSON_GetArraySize(cur) ==
				cJSON_GetArraySize(t->in->promoted_configs) &&
			configs_within(cur, t->in->promoted_configs);
	else
		same_configs = !configs_changed(cur, st->tracked_configs);
	if (!same_configs)
		return false;
	return t->p0 == GC_PHASE_WAITING ||
	       (in_phases(t->p0, GC_PHASE_PROGRESSING,
			  GC_PHASE_WAITING_PROMOTION) &&
		run_changed(t));
}

/* The part of a tick after the analysis has started (§3.2 steps 18-27). */
static int tick_analysis(tick *t)
{
	const gc_canary_spec *s = t->s;
	gc_phase p = t->p0;
	int ret;

	if (in_phases(p, GC_PHASE_PROGRESSING, GC_PHASE_WAITING_PROMOTION) &&
	    run_changed(t)) {
		ev(t, GC_EVENT_NORMAL,
		   "New revision detected! Restarting analysis for %s.%s",
		   s->target, s->namespace);
		set_routing(t, 100, 0, false);
		sync_status(t, GC_PHASE_PROGRESSING, 0);
		return T_DONE;
	}
	if ((ret = check_canary(t)) != T_CONT)
		return ret;
	if (s->skip_analysis)
		return skip_promote(t);
	if (in_phases(p, GC_PHASE_PROGRESSING, GC_PHASE_WAITING_PROMOTION) &&
	    (ret = rollback_hooks(t)) != T_CONT)
		return ret;
	if (p == GC_PHASE_PROMOTING)
		return promoting(t);
	if (p == GC_PHASE_FINALISING)
		return finalising(t);
	if (t->st->failed_checks >= s->threshold)
		return rollback(t);
	if (t->in->routing.canary == 0 && t->st->iterations == 0 &&
	    !(s->mirror && t->in->routing.mirror))
		ret = pre_rollout(t);
	else
		ret = analysis(t);
	if (ret != T_CONT)
		return ret;
	switch (s->strategy) {
	case GC_STRATEGY_AB:
		return run_ab(t);
	case GC_STRATEGY_BLUE_GREEN:
		return run_blue_green(t);
	case GC_STRATEGY_CANARY:
		break;
	}
	return run_canary(t);
}

static int tick_run(tick *t)
{
	const gc_canary_spec *s = t->s;
	gc_phase p = t->p0;
	int ret;

	if (s->suspend) {
		ev(t, GC_EVENT_NORMAL,
		   "skipping canary run as object is suspended");
		t->st->waiting_since = 0;
		return T_DONE;
	}
	if (p == GC_PHASE_NONE || p == GC_PHASE_INITIALIZING)
		return tick_init(t);
	if (p == GC_PHASE_TERMINATING || p == GC_PHASE_TERMINATED)
		return T_DONE;
	if ((p == GC_PHASE_INITIALIZED || p == GC_PHASE_SUCCEEDED ||
	     p == GC_PHASE_FAILED) &&
	    !new_revision(t)) {
		/* Failed: SyncStatus(current status) refreshes the hashes */
		if (p == GC_PHASE_FAILED) {
			snprintf(t->st->last_applied_spec,
				 sizeof(t->st->last_applied_spec), "%s",
				 t->in->revision);
			cJSON_Delete(t->st->tracked_configs);
			t->st->tracked_configs = gc_json_dup(t->in->configs);
		}
		return T_DONE;
	}
	if (reverted(t)) {
		ev(t, GC_EVENT_WARNING,
		   "Rolling back %s.%s target reverted to the promoted revision %s",
		   s->name, s->namespace, t->in->revision);
		return rollback(t);
	}
	if ((ret = check_primary(t)) != T_CONT)
		return ret;
	if (p == GC_PHASE_INITIALIZED || p == GC_PHASE_SUCCEEDED ||
	    p == GC_PHASE_FAILED || p == GC_PHASE_WAITING)
		return start_run(t);
	return tick_analysis(t);
}

static bool routing_eq(const gc_routing *a, const gc_routing *b)
{
	return a->primary == b->primary && a->canary == b->canary &&
	       a->mirror == b->mirror;
}

static bool json_eq(const cJSON *a, const cJSON *b)
{
	return (!a && !b) || cJSON_Compare(a, b, true);
}

/* Fields Flagger writes with lastTransitionTime = now. */
static bool flagger_fields_changed(const gc_status *a, const gc_status *b)
{
	return a->phase != b->phase || a->canary_weight != b->canary_weight ||
	       a->failed_checks != b->failed_checks ||
	       a->iterations != b->iterations ||
	       strcmp(a->last_applied_spec, b->last_applied_spec) ||
	       strcmp(a->last_promoted_spec, b->last_promoted_spec) ||
	       !json_eq(a->tracked_configs, b->tracked_configs) ||
	       a->condition.present != b->condition.present ||
	       a->condition.last_update_time != b->condition.last_update_time;
}

static void finish(tick *t)
{
	const gc_status *old = t->in->status;
	gc_status *st = t->st;
	gc_machine_out *o = t->out;
	bool progress;
	int64_t now = t->in->now;

	if (t->phase_written)
		gc_status_update_condition(st, t->s->target_kind, now);
	progress = st->phase != old->phase ||
		   !routing_eq(&o->routing, &t->in->routing) ||
		   strcmp(st->last_applied_spec, old->last_applied_spec) ||
		   (st->iterations > old->iterations &&
		    st->phase != GC_PHASE_WAITING_PROMOTION);
	if (st->phase == GC_PHASE_FAILED || st->phase == GC_PHASE_SUCCEEDED ||
	    st->phase == GC_PHASE_INITIALIZED)
		st->waiting_since = 0; /* at rest: nothing is waited for */
	else if (t->waited)
		st->waiting_since = progress || !old->waiting_since
					    ? now
					    : old->waiting_since;
	else if (progress)
		st->waiting_since = 0;
	if (flagger_fields_changed(st, old))
		st->last_transition_time = now;
	st->last_tick = now;
	o->changed = st->last_transition_time != old->last_transition_time ||
		     st->waiting_since != old->waiting_since ||
		     !routing_eq(&o->routing, &t->in->routing) ||
		     o->replicas != GC_REPLICAS_UNCHANGED || o->promote;
}

gc_machine_result gc_machine_step(gc_machine_out *out, const gc_machine_in *in,
				  const gc_check_batch *results,
				  size_t nresults)
{
	tick t;
	int ret;

	GC_ASSERT(in && in->spec && in->status && in->revision);
	gc_machine_out_release(out);
	gc_status_copy(&out->status, in->status);
	out->routing = in->routing;
	memset(&t, 0, sizeof(t));
	t.in = in;
	t.s = in->spec;
	t.out = out;
	t.st = &out->status;
	t.p0 = in->status->phase;
	t.results = results;
	t.nresults = nresults;
	ret = tick_run(&t);
	if (ret == T_NEED)
		return GC_MACHINE_NEED;
	GC_ASSERT(t.next == nresults);
	finish(&t);
	return GC_MACHINE_DONE;
}

bool gc_machine_due(const gc_canary_spec *spec, const gc_status *status,
		    const char *revision, const cJSON *configs,
		    int64_t last_tick, int64_t now)
{
	if (!status)
		return true;
	if (gc_machine_at_rest(status->phase))
		return gc_machine_wakes(status, revision, configs);
	return now >= gc_machine_next_due(spec->interval_ms, last_tick);
}

int64_t gc_machine_next_due(int64_t interval_ms, int64_t last_tick)
{
	return last_tick + (interval_ms + 999) / 1000;
}

bool gc_machine_at_rest(gc_phase phase)
{
	return phase == GC_PHASE_INITIALIZED || phase == GC_PHASE_SUCCEEDED ||
	       phase == GC_PHASE_FAILED;
}

bool gc_machine_wakes(const gc_status *status, const char *revision,
		      const cJSON *configs)
{
	return revision_is_new(status, revision, configs) ||
	       (status->phase == GC_PHASE_FAILED &&
		strcmp(revision, status->last_applied_spec) != 0);
}
