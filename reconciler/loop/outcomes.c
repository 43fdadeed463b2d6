/*
 * The outcome notes of the releases a tick ended, on the source commits
 * that started them (docs/reconcile.md, step 12): one note update per
 * source commit, made again from the note another writer (a shard) left
 * when a push of it is lost.
 */

#include "reconciler/loop/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

/* The outcomes of the releases of one source commit that ended. */
typedef struct outcomes {
	gc_msg_outcome *v;
	size_t n;
} outcomes;

/* The source commit's outcome note with them added (gc_git_note_fn):
 * made again from the note another shard left when it wrote first. */
static char *outcome_note(const char *old, void *payload)
{
	const outcomes *o = payload;
	cJSON *note = gc_message_outcome(old, o->v, o->n);
	char *text = gc_json_print(note);

	cJSON_Delete(note);
	return text;
}

static void fill_outcome(gc_msg_outcome *o, const gc_canary_done *d,
			 const char *commit, int64_t now)
{
	memset(o, 0, sizeof(*o));
	o->ns = d->obj->namespace;
	o->name = d->obj->name;
	o->promoted = d->stage.phase == GC_PHASE_SUCCEEDED;
	o->when = now;
	o->max_weight = d->stage.release_max_weight;
	o->match = d->stage.ab_match;
	/* SyncStatus(Failed) resets the counter; report the run's */
	o->failed_checks = d->stage.failed_checks > d->stage.old_failed_checks
				   ? d->stage.failed_checks
				   : d->stage.old_failed_checks;
	o->revision = d->revision;
	o->deploy_commit = commit;
	o->last_event =
		d->report.nevents
			? d->report.events[d->report.nevents - 1].message
			: NULL;
}

/*
 * One note update per source commit for the releases of the tick that
 * ended (a bump of many canaries is one commit): in tick order.
 */
void gc_loop__write_outcomes(gc_tick *t, const char *commit,
			     const gc_git_signature *sig)
{
	gc_loop *l = t->loop;
	bool *done = gc_xcalloc(t->n + 1, sizeof(*done));
	outcomes o = { gc_xcalloc(t->n + 1, sizeof(*o.v)), 0 };
	gc_error err = GC_ERROR_INIT;

	for (size_t i = 0; i < t->n; i++) {
		const char *src = t->d[i].stage.source_commit;

		if (done[i] || !t->d[i].ended || !t->d[i].changed || !src[0])
			continue;
		o.n = 0;
		for (size_t k = i; k < t->n; k++) {
			const gc_canary_done *d = &t->d[k];

			if (done[k] || !d->ended || !d->changed ||
			    strcmp(d->stage.source_commit, src))
				continue;
			done[k] = true;
			fill_outcome(&o.v[o.n++], d, commit, t->now);
		}
		if (gc_git_note_update(l->git,
				       gc_loop__opt_or(l->opts.notes_ref,
						       GC_LOOP_DEFAULT_NOTES),
				       src, outcome_note, &o, sig, &err) < 0)
			gc_warn("outcome note on %.12s: %s", src,
				gc_error_msg(&err));
		gc_error_clear(&err);
	}
	free(o.v);
	free(done);
}
