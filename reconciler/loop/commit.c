/*
 * The tick's commit: its files, the commit message, the push, the notes
 * and the event webhooks.
 */

#include "reconciler/loop/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/checks/checks.h"
#include "reconciler/release/message.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

const char *gc_loop__deploy_branch(const gc_loop *l)
{
	return gc_loop__opt_or(l->opts.deploy_branch, GC_LOOP_DEFAULT_DEPLOY);
}

static const char *notes_ref_name(const gc_loop *l)
{
	return gc_loop__opt_or(l->opts.notes_ref, GC_LOOP_DEFAULT_NOTES);
}

/*
 * Records a change of the tick's commit. The bytes go into the object
 * database at once, so a full pass does not hold every file until the
 * commit; a failure is kept in t->wr.error for the commit to report.
 */
static void add_update(gc_tick *t, const char *path, const char *data,
		       size_t len)
{
	gc_git_update *u;
	char *blob;

	if (t->wr.n == t->wr.alloc) {
		t->wr.alloc = t->wr.alloc ? 2 * t->wr.alloc : 64;
		t->wr.updates =
			gc_xrealloc(t->wr.updates,
				    t->wr.alloc * sizeof(*t->wr.updates));
		t->wr.blobs = gc_xrealloc(t->wr.blobs,
					  t->wr.alloc * sizeof(*t->wr.blobs));
	}
	/* a shard never writes another's paths (select.c, passthrough.c) */
	GC_ASSERT(gc_shard_owns_path(&t->loop->opts.shard, path));
	if (!data || !gc_deploy_tree_has(&t->loop->tree, path))
		t->wr.layout_changed = true;
	gc_deploy_tree_set(&t->loop->tree, path, data, len);
	u = &t->wr.updates[t->wr.n];
	blob = t->wr.blobs[t->wr.n++];
	memset(u, 0, sizeof(*u));
	u->path = gc_deploy_tree_path(&t->loop->tree, path);
	blob[0] = '\0';
	if (data && t->wr.error == 0)
		t->wr.error = gc_git_write_blob(blob, t->loop->git, data, len,
						t->wr.err);
}

/* Writes path unless it already holds these bytes; true when it changed. */
bool gc_loop__write_file(gc_tick *t, const char *path, const gc_buf *data)
{
	if (gc_deploy_tree_same(&t->loop->tree, path, data->ptr, data->len))
		return false;
	add_update(t, path, data->ptr, data->len);
	return true;
}

bool gc_loop__delete_file(gc_tick *t, const char *path)
{
	if (!gc_deploy_tree_has(&t->loop->tree, path))
		return false;
	add_update(t, path, NULL, 0);
	return true;
}

static void fill_msg(gc_msg_canary *m, const gc_canary_done *d)
{
	memset(m, 0, sizeof(*m));
	m->ns = d->obj->namespace;
	m->name = d->obj->name;
	m->phase = gc_phase_name(d->stage.phase);
	m->canary_weight = d->stage.canary_weight;
	m->primary_weight = d->stage.primary_weight;
	m->failed_checks = d->stage.failed_checks;
	m->revision = d->revision;
	m->source_commit = d->stage.source_commit;
	m->events = d->report.events;
	m->nevents = d->report.nevents;
	m->batches = d->report.batches;
	m->nbatches = d->report.nbatches;
}

static void signatures(const gc_loop *l, gc_git_signature *a,
		       gc_git_signature *c, int64_t now)
{
	const gc_loop_opts *o = &l->opts;

	a->name = gc_loop__opt_or(o->author_name, GC_LOOP_DEFAULT_NAME);
	a->email = gc_loop__opt_or(o->author_email, GC_LOOP_DEFAULT_EMAIL);
	a->when = now;
	c->name = gc_loop__opt_or(o->committer_name, a->name);
	c->email = gc_loop__opt_or(o->committer_email, a->email);
	c->when = now;
}

static void write_notes(gc_tick *t, const char *commit, gc_msg_canary *msgs,
			size_t nm)
{
	gc_loop *l = t->loop;
	gc_git_signature a, c;
	gc_error err = GC_ERROR_INIT;
	cJSON *note;
	char *text;

	signatures(l, &a, &c, t->now);
	if (nm) {
		note = gc_message_evidence(msgs, nm, l->source, t->now);
		text = gc_json_print(note);
		if (gc_git_note_set(l->git, notes_ref_name(l), commit, text, &c,
				    &err) < 0)
			gc_warn("evidence note on %.12s: %s", commit,
				gc_error_msg(&err));
		gc_error_clear(&err);
		free(text);
		cJSON_Delete(note);
	}
	gc_loop__write_outcomes(t, commit, &c);
}

/* The alerts of the tick's events (docs/alerts.md), as its events go. */
static void send_alerts(gc_tick *t)
{
	const gc_loop *l = t->loop;
	gc_alert_hooks_canary *c = gc_xcalloc(t->n + 1, sizeof(*c));
	gc_check_ctx *ctx = gc_xcalloc(t->n + 1, sizeof(*ctx));
	gc_canary_done **owner = gc_xcalloc(t->n + 1, sizeof(*owner));
	gc_alert_hooks_opts aopts = { 0 };
	gc_checks_opts copts = { 0 };
	gc_error err = GC_ERROR_INIT;
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		gc_canary_done *d = &t->d[i];

		if (!d->report.alerts_due || (d->moved && !d->changed))
			continue;
		ctx[n].name = d->obj->name;
		ctx[n].namespace = d->obj->namespace;
		c[n].ctx = &ctx[n];
		c[n].events = d->report.events;
		c[n].nevents = d->report.nevents;
		c[n].own = d->report.own_alerts;
		c[n].dests = d->report.alert_dests;
		c[n].ndests = d->report.nalert_dests;
		c[n].metadata = &d->report.alert_metadata;
		owner[n++] = d;
	}
	aopts.global = l->has_alert_global ? &l->alert_global : NULL;
	aopts.cluster = l->opts.cluster_name;
	copts.connect_to = l->opts.connect_to;
	if (n && gc_alert_hooks_deliver(c, n, &aopts, &copts, &err) < 0)
		gc_warn("alerts: %s", gc_error_msg(&err));
	for (size_t i = 0; i < n; i++)
		owner[i]->report.alerts = c[i]; /* hand over */
	gc_error_release(&err);
	free(owner);
	free(ctx);
	free(c);
}

/*
 * POSTs the tick's events to the event webhooks (docs/reconcile.md) and
 * their alerts to the alert providers, once the tick is final: its
 * commit pushed, or nothing to commit. A lost push never gets here, so
 * its events go only with the recomputed tick. Events of a canary whose
 * new stage was not written are dropped with it.
 */
/*
 * Logs an event, once: when its tick is final (after the push, or when
 * the tick commits nothing), never for an attempt lost to another writer.
 */
static void log_event(const gc_canary_done *d, const gc_event *e,
		      const char *commit)
{
	const gc_log_field f[] = {
		{ "canary", d->id },
		{ "commit", commit },
		{ "type", e->type == GC_EVENT_WARNING ? "Warning" : "Normal" },
		{ "phase", gc_phase_name(e->phase) },
	};
	gc_log_level level = e->error                      ? GC_LOG_ERROR
			     : e->type == GC_EVENT_WARNING ? GC_LOG_WARN
							   : GC_LOG_INFO;

	gc_log_with(level, f, GC_ARRAY_SIZE(f), "%s", e->message);
}

void gc_loop__send_events(gc_tick *t, const char *commit)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_event_hooks_canary *c = gc_xcalloc(t->n + 1, sizeof(*c));
	gc_check_ctx *ctx = gc_xcalloc(t->n + 1, sizeof(*ctx));
	gc_canary_done **owner = gc_xcalloc(t->n + 1, sizeof(*owner));
	gc_checks_opts copts = { 0 };
	gc_error err = GC_ERROR_INIT;
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		gc_canary_done *d = &t->d[i];

		if (!d->report.nevents || (d->moved && !d->changed))
			continue;
		for (size_t k = 0; k < d->report.nevents; k++)
			log_event(d, &d->report.events[k], commit);
		ctx[n].name = d->obj->name;
		ctx[n].namespace = d->obj->namespace;
		ctx[n].checksum = d->checksum;
		c[n].ctx = &ctx[n];
		c[n].hooks = &d->report.event_hooks;
		c[n].events = d->report.events;
		c[n].nevents = d->report.nevents;
		owner[n++] = d;
	}
	copts.connect_to = o->connect_to;
	if (n && gc_event_hooks_deliver(c, n, o->event_webhook, t->now * 1000LL,
					&copts, &err) < 0)
		gc_warn("event webhooks: %s", gc_error_msg(&err));
	for (size_t i = 0; i < n; i++)
		owner[i]->report.deliveries = c[i]; /* hand over */
	gc_error_release(&err);
	free(owner);
	free(ctx);
	free(c);
	send_alerts(t);
}

int gc_loop__commit_and_push(gc_tick *t, gc_tick_result *res, gc_error *err)
{
	gc_loop *l = t->loop;
	gc_msg_canary *msgs = gc_xcalloc(t->n + 1, sizeof(*msgs));
	gc_git_signature a, c;
	gc_buf msg = GC_BUF_INIT;
	char commit[GC_OID_HEX];
	size_t nm = 0;
	int error;

	for (size_t i = 0; i < t->n; i++)
		if (t->d[i].changed)
			fill_msg(&msgs[nm++], &t->d[i]);
	gc_message_commit(&msg, msgs, nm, l->source, l->source_branch);
	signatures(l, &a, &c, t->now);
	do { /* a shard replays a push lost to another shard (rebase.c) */
		gc_error_clear(err);
		for (size_t i = 0; i < t->wr.n; i++)
			t->wr.updates[i].blob =
				t->wr.blobs[i][0] ? t->wr.blobs[i] : NULL;
		if ((error = gc_git_commit(commit, l->git, t->deploy,
					   t->wr.updates, t->wr.n, &a, &c,
					   msg.ptr, err)) < 0)
			goto cleanup;
		error = gc_git_update_branch(l->git, gc_loop__deploy_branch(l),
					     t->deploy, commit, err);
	} while (error == GC_ECONFLICT && gc_loop__rebase(t));
	res->rebases = t->rebases;
	if (error < 0)
		goto cleanup;
	snprintf(l->tree.commit, sizeof(l->tree.commit), "%s", commit);
	res->committed = true;
	snprintf(res->commit, sizeof(res->commit), "%s", commit);
	res->canaries_changed = nm;
	gc_log_with(GC_LOG_INFO, &(gc_log_field){ "commit", commit }, 1,
		    "deploy branch: %.*s", (int)strcspn(msg.ptr, "\n"),
		    msg.ptr);
	/* delivered before the note is written, so that it records them */
	gc_loop__send_events(t, commit);
	for (size_t i = 0, k = 0; i < t->n; i++) {
		if (!t->d[i].changed)
			continue;
		msgs[k].deliveries = t->d[i].report.deliveries.batches;
		msgs[k].ndeliveries = t->d[i].report.deliveries.nbatches;
		msgs[k++].alerts = t->d[i].report.alerts.evidence;
	}
	write_notes(t, commit, msgs, nm);
cleanup:
	free(msgs);
	gc_buf_release(&msg);
	return error;
}
