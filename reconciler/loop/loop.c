#include "reconciler/loop/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/loop/canary_deps.h"
#include "reconciler/release/canary_spec.h"
#include "reconciler/checks/checks.h"
#include "reconciler/release/deploy_state.h"
#include "reconciler/checks/event_hooks.h"
#include "reconciler/release/machine.h"
#include "reconciler/release/message.h"
#include "reconciler/checks/prometheus.h"
#include "render/render.h"
#include "render/revision.h"
#include "repo-layout/index.h"
#include "repo-layout/layout.h"
#include "repo-layout/source.h"
#include "repo-layout/yaml.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"
#include "util/map.h"
#include "reconciler/release/validate.h"

/*
 * What the loop remembers of a canary between ticks, to skip it while its
 * inputs and its status file are unchanged and it is not due.
 */
typedef struct canary_cache {
	uint64_t status;   /* content hash of its status file */
	int64_t due;       /* INT64_MAX: at rest or broken */
	const char **keys; /* pass-through exclusion keys it owns, borrowed
			    * from loop->can.owned */
	size_t nkeys;
	bool broken;
	unsigned gen; /* the last tick that saw the canary */
} canary_cache;

typedef struct passthru_cache {
	uint64_t file; /* content hash of the file as written */
} passthru_cache;

/* The cheap path: what the last complete tick saw (loop.c). */
typedef struct loop_seen {
	char source[GC_OID_HEX], deploy[GC_OID_HEX];
	bool valid;
	int64_t next_due; /* INT64_MAX = nothing due */
	unsigned gen;     /* ticks completed */
	size_t ncanaries; /* canaries in the source */
	bool problems;    /* its source had problems */
} loop_seen;

/* Which source files changed since the caches (select.c). */
typedef struct loop_select {
	gc_map configs; /* source path -> "ns\n..." of its ConfigMaps/Secrets */
	char cache_source[GC_OID_HEX]; /* source the caches describe */
} loop_select;

/* What each canary was, owned and read (canary.c). */
typedef struct loop_canaries {
	gc_map ticks;   /* "ns/name" -> int64_t* last tick not persisted */
	gc_map cache;   /* "ns/name" -> canary_cache* */
	gc_map owned;   /* pass-through key -> number of canaries owning it */
	gc_map flipped; /* keys owned or disowned since the last pass */
	gc_canary_deps deps; /* what each cached canary read, when due */
} loop_canaries;

/* What pass-through wrote (passthrough.c). */
typedef struct loop_passthru {
	gc_map written; /* path -> passthru_cache* of the object written */
	size_t nwritten;
	gc_map files; /* source path -> pt_file* (pass_changed) */
	gc_map src;   /* pass-through path -> pt_file* of its object */
	bool ready;   /* files describes the source */
} loop_passthru;

struct gc_loop {
	gc_loop_opts opts;
	gc_git *git;
	char *source_branch; /* owned */
	char source[GC_OID_HEX];
	gc_index *idx;
	char idx_source[GC_OID_HEX]; /* the commit idx describes */
	gc_deploy_tree tree;
	loop_seen seen;
	loop_select sel;
	loop_canaries can;
	loop_passthru pt;
};

/* ---- per-canary work of one tick ---- */

/* ConfigMaps/Secrets of the source, for render and config tracking. */
typedef struct lookup_ctx {
	const gc_index *idx;
	const char *ns;
	const gc_doc *docs[4]; /* per gc_render_source, for locate */
} lookup_ctx;

/*
 * The primary's ConfigMap/Secret copies as the deploy branch holds them,
 * read and parsed on first use.
 */
typedef struct promoted_ctx {
	gc_git *git;
	const char *deploy; /* commit; "" = no deploy branch */
	const gc_deploy_tree *tree;
	const char *ns, *canary;
	const lookup_ctx *source; /* where a config without a copy comes from */
	gc_doclist docs;          /* the parsed copies */
	gc_map paths;             /* path -> its root in docs */
} promoted_ctx;

/* A canary's stage after the tick: the machine's, else the old one. */
typedef struct done_stage {
	gc_phase phase;
	int canary_weight, primary_weight, release_max_weight;
	int failed_checks, old_failed_checks;
	char source_commit[GC_OID_HEX];
} done_stage;

/* What a canary's tick said: events, checks run, their webhooks. */
typedef struct done_report {
	gc_event *events; /* owned, taken from the machine's output */
	size_t nevents;
	gc_check_batch *batches; /* owned, without their specs */
	size_t nbatches;
	gc_hook_list event_hooks; /* its event webhooks, items in hooks */
	cJSON *hooks;             /* owned copies: the index drops its trees */
	/* event webhook deliveries of its events, once the tick is final */
	gc_event_hooks_canary deliveries;
} done_report;

/*
 * What the rest of the tick (commit message, notes, event webhooks,
 * caches) reads of a canary once it is written. A tick keeps one of these
 * per canary it looks at; the work of the chunk in hand embeds it, fills
 * it as it goes and hands it back whole (take_done).
 */
typedef struct done {
	const gc_object *obj;
	char *id; /* "<ns>/<name>", owned */
	const canary_cache *cached;
	bool spec_ok, broken, skipped, ran, has_status;
	bool moved;   /* the machine's output changed (out.changed) */
	bool changed; /* some file of the canary changed */
	bool ended;   /* a release ended this tick */
	char revision[GC_REVISION_MAX];
	char checksum[GC_REVISION_MAX];
	int64_t last_tick;      /* the machine's, when it ran */
	int64_t persisted_tick; /* the status file's */
	int64_t interval_ms;
	char *target, *hpa; /* spec.targetRef/autoscalerRef names */
	done_stage stage;
	done_report report;
} done;

/* The tracked configs of the target and of the primary's copies. */
typedef struct work_configs {
	lookup_ctx source;
	promoted_ctx promoted;
	cJSON *configs;          /* owned: the target's trackedConfigs now */
	cJSON *promoted_configs; /* owned: the same for the primary's copies */
} work_configs;

/* The machine's run of one canary (run_machines). */
typedef struct work_machine {
	gc_machine_in in;
	gc_machine_out out;
	gc_check_batch batches[GC_MACHINE_MAX_BATCHES];
	size_t nbatches;
	gc_check_ctx ctx;
	char *ready_msg[2];
	char *primary_name; /* "<T>-primary", owned */
	bool finished;      /* the machine said GC_MACHINE_DONE */
} work_machine;

/* One canary of the chunk in hand. */
typedef struct work {
	done d; /* what outlives the chunk */
	const gc_object *target, *hpa;
	gc_canary_spec spec;
	bool due;
	gc_deploy_canary old, next;
	work_configs cfg;
	work_machine m;
	cJSON *rendered;   /* owned array; freed once written */
	bool was_rendered; /* rendered this tick (w->next has the files) */
	bool inputs_changed;
} work;

/* Changes of the source and the deploy branch a tick looks at (select.c). */
typedef struct tick_changes {
	gc_map paths;      /* source files changed since the caches were made */
	bool all;          /* no cache, or a kustomization changed */
	gc_map configs;    /* namespaces with a changed ConfigMap/Secret */
	gc_map deploy_ids; /* canaries whose status file moved */
	gc_map deploy_pt;  /* pass-through files another writer changed */
	char **vanished;   /* cached canaries no longer in the source */
	size_t nvanished;
	size_t nnew;      /* canaries looked at, not in the cache */
	bool canary_gone; /* a canary may have left the source */
} tick_changes;

/* The files of the tick's commit (write_file, delete_file). */
typedef struct tick_writes {
	gc_git_update *updates;    /* paths borrowed from loop->tree */
	char (*blobs)[GC_OID_HEX]; /* per update: "" = deletion */
	size_t n, alloc;
	int error; /* a blob that could not be written; in err */
	gc_error *err;
	bool layout_changed; /* a file was added or deleted */
} tick_writes;

/* Pass-through's part of one tick (passthrough.c). */
typedef struct tick_passthru {
	gc_map written;          /* paths written by pass-through */
	bool new_path;           /* it wrote a path it never had */
	size_t npassed;          /* objects written since a trim */
	const char *passed_file; /* the source file of the last one */
	gc_map kept; /* pass-through keys of canaries kept while broken */
} tick_passthru;

typedef struct tick {
	gc_loop *loop;
	int64_t now;
	char deploy[GC_OID_HEX];
	bool source_moved;
	done *d; /* the canaries the tick looks at */
	size_t n;
	char *ready_error; /* the readiness server failed this tick: why */
	tick_changes ch;
	tick_writes wr;
	tick_passthru pt;
} tick;

static const char *opt_or(const char *v, const char *def)
{
	return v && *v ? v : def;
}

static const char *deploy_branch(const gc_loop *l)
{
	return opt_or(l->opts.deploy_branch, GC_LOOP_DEFAULT_DEPLOY);
}

static const char *notes_ref(const gc_loop *l)
{
	return opt_or(l->opts.notes_ref, GC_LOOP_DEFAULT_NOTES);
}

static void cache_free(canary_cache *c)
{
	if (!c)
		return;
	free(c->keys);
	free(c);
}

/*
 * The pass-through paths of one source file's objects, owned by a canary
 * or not, in document order (loop->pt_files; loop->pt_src maps each path
 * back), so that a tick revisits only changed files and paths whose
 * ownership flipped.
 */
typedef struct pt_file {
	char *src; /* the source file */
	char **paths;
	size_t n, alloc;
} pt_file;

static void pt_file_free(pt_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->src);
	free(f);
}

static void pt_release(gc_loop *l)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&l->pt.files, &i, &e);)
		pt_file_free(e->value);
	gc_map_release(&l->pt.files);
	gc_map_release(&l->pt.src);
	l->pt.ready = false;
}

static void free_values(gc_map *m)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(m, &i, &e);)
		free(e->value);
	gc_map_release(m);
	memset(m, 0, sizeof(*m));
}

/* Forgets everything derived from earlier ticks (after an error). */
static void clear_caches(gc_loop *l)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(&l->can.cache, &i, &e);)
		cache_free(e->value);
	gc_map_release(&l->can.cache);
	memset(&l->can.cache, 0, sizeof(l->can.cache));
	free_values(&l->pt.written);
	gc_map_release(&l->can.owned);
	memset(&l->can.owned, 0, sizeof(l->can.owned));
	l->pt.nwritten = 0;
	pt_release(l);
	free_values(&l->sel.configs);
	gc_map_release(&l->can.flipped);
	l->sel.cache_source[0] = '\0';
	gc_canary_deps_release(&l->can.deps);
	l->seen.next_due = INT64_MAX;
}

int gc_loop_new(gc_loop **out, const gc_loop_opts *opts, gc_error *err)
{
	gc_git_open_opts gopts = { opts->cache_dir, opts->ssh_key,
				   opts->token };
	gc_loop *l = gc_xcalloc(1, sizeof(*l));
	int error;

	l->opts = *opts;
	gc_deploy_tree_init(&l->tree);
	l->seen.next_due = INT64_MAX;
	if ((error = gc_git_open(&l->git, opt_or(opts->repo, "."), &gopts,
				 err)) < 0)
		goto fail;
	if (opts->source_branch)
		l->source_branch = gc_xstrdup(opts->source_branch);
	else if ((error = gc_git_default_branch(&l->source_branch, l->git,
						err)) < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	gc_loop_free(l);
	return error;
}

void gc_loop_free(gc_loop *l)
{
	if (!l)
		return;
	free_values(&l->can.ticks);
	clear_caches(l);
	gc_index_free(l->idx);
	gc_deploy_tree_release(&l->tree);
	gc_git_free(l->git);
	free(l->source_branch);
	free(l);
}

/* ---- small helpers ---- */

/* The canary's last tick: this process's or its status file's, the later. */
static int64_t last_tick(const gc_loop *l, const char *id, int64_t persisted)
{
	const int64_t *t = gc_map_gets(&l->can.ticks, id);

	return t && *t > persisted ? *t : persisted;
}

static void remember_tick(gc_loop *l, const char *id, int64_t t)
{
	int64_t *v = gc_map_gets(&l->can.ticks, id);

	if (!v) {
		v = gc_xmalloc(sizeof(*v));
		gc_map_sets(&l->can.ticks, id, v);
	}
	*v = t;
}

/*
 * Records a change of the tick's commit. The bytes go into the object
 * database at once, so a full pass does not hold every file until the
 * commit; a failure is kept in t->wr.error for the commit to report.
 */
static void add_update(tick *t, const char *path, const char *data, size_t len)
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
static bool write_file(tick *t, const char *path, const gc_buf *data)
{
	if (gc_deploy_tree_same(&t->loop->tree, path, data->ptr, data->len))
		return false;
	add_update(t, path, data->ptr, data->len);
	return true;
}

static bool delete_file(tick *t, const char *path)
{
	if (!gc_deploy_tree_has(&t->loop->tree, path))
		return false;
	add_update(t, path, NULL, 0);
	return true;
}

static void log_problems(const gc_problems *p, const char *what)
{
	for (size_t i = 0; i < p->n; i++)
		gc_warn("%s:%u:%u: %s (%s skipped)", p->v[i].path, p->v[i].line,
			p->v[i].column, p->v[i].msg, what);
}

/* ---- loading one canary ---- */

static const cJSON *find_root(const gc_index *idx, const char *kind,
			      const char *ns, const char *name)
{
	const gc_object *o =
		name ? gc_index_find_tree(idx, kind, ns, name) : NULL;

	return o ? o->doc->root : NULL;
}

static const cJSON *template_lookup(const char *ns, const char *name,
				    void *payload)
{
	return find_root(payload, "MetricTemplate", ns, name);
}

static int read_status(work *w, tick *t, gc_error *err)
{
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	int error = 0;

	if (!*t->deploy)
		goto cleanup;
	gc_layout_status_path(&path, w->d.obj->namespace, w->d.obj->name);
	if (!gc_deploy_tree_has(&t->loop->tree, path.ptr))
		goto cleanup;
	if ((error = gc_git_read(&data, t->loop->git, t->deploy, path.ptr,
				 err)) < 0 ||
	    (error = gc_deploy_canary_parse(&w->old, path.ptr, data.ptr,
					    data.len, err)) < 0)
		goto cleanup;
	w->d.has_status = true;
cleanup:
	gc_buf_release(&path);
	gc_buf_release(&data);
	return error;
}

/* ---- config tracking (flagger-behaviour.md §2.5, §4.2) ---- */

static const cJSON *config_lookup(const char *kind, const char *name,
				  void *payload)
{
	const lookup_ctx *c = payload;

	return find_root(c->idx, kind, c->ns, name);
}

static void locate(gc_error *err, gc_render_source src, const cJSON *node,
		   void *payload)
{
	const lookup_ctx *c = payload;
	gc_loc loc;

	if (!c->docs[src])
		return;
	loc = gc_doc_loc(c->docs[src], node);
	free(err->path);
	err->path = gc_xstrdup(c->docs[src]->path);
	err->line = loc.line;
	err->column = loc.column;
}

/* Reads and parses one copy; NULL (logged) when it is unusable. */
static const cJSON *read_copy(promoted_ctx *p, const char *path,
			      const char *kind)
{
	gc_buf data = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	size_t n = p->docs.n;
	const cJSON *root = NULL;

	if (gc_git_read(&data, p->git, p->deploy, path, &err) < 0 ||
	    gc_yaml_parse(&p->docs, path, data.ptr, data.len, &err) < 0)
		gc_warn("%s: %s (the primary's copy is made from the source)",
			path, gc_error_msg(&err));
	else if (p->docs.n > n)
		root = p->docs.v[n]->root;
	if (root &&
	    strcmp(gc_json_str(root, "kind") ? gc_json_str(root, "kind") : "",
		   kind))
		root = NULL;
	gc_buf_release(&data);
	gc_error_release(&err);
	return root;
}

/*
 * gc_render_lookup_fn of the configs the primary runs: the "<name>-primary"
 * copy the deploy branch holds (<ns>/<canary>/<kind>-<name>-primary.yaml)
 * with its data; the source object when there is none yet.
 */
static const cJSON *promoted_lookup(const char *kind, const char *name,
				    void *payload)
{
	promoted_ctx *p = payload;
	gc_buf path = GC_BUF_INIT;
	const cJSON *root = NULL;
	char *copy = gc_xasprintf("%s-primary", name);

	gc_layout_object_path(&path, p->ns, p->canary, kind, copy);
	free(copy);
	if (*p->deploy && gc_deploy_tree_has(p->tree, path.ptr)) {
		root = gc_map_gets(&p->paths, path.ptr);
		if (!root && (root = read_copy(p, path.ptr, kind)))
			gc_map_sets(&p->paths, path.ptr, (void *)root);
	}
	gc_buf_release(&path);
	return root ? root : config_lookup(kind, name, (void *)p->source);
}

static void promoted_release(promoted_ctx *p)
{
	gc_doclist_release(&p->docs);
	gc_map_release(&p->paths);
}

static void render_input(gc_render_input *in, const work *w, const tick *t)
{
	memset(in, 0, sizeof(*in));
	in->include_label_prefix = t->loop->opts.include_label_prefix;
	in->canary = w->d.obj->doc->root;
	in->namespace = w->d.obj->namespace;
	in->target = w->target->doc->root;
	in->hpa = w->hpa ? w->hpa->doc->root : NULL;
	in->lookup = config_lookup;
	in->lookup_payload = (void *)&w->cfg.source;
	in->locate = locate;
	in->locate_payload = (void *)&w->cfg.source;
}

/*
 * The target's trackedConfigs (a missing mandatory ConfigMap/Secret makes
 * the canary broken, as in Flagger's GetTargetConfigs) and, when the
 * target's template is the promoted one, the same map of the primary's
 * copies for the machine's revert rule.
 */
static int track_configs(work *w, tick *t)
{
	gc_render_input in;
	gc_error err = GC_ERROR_INIT;
	char *msg;
	int error;

	w->cfg.source.idx = t->loop->idx;
	w->cfg.source.ns = w->d.obj->namespace;
	w->cfg.source.docs[GC_RENDER_SRC_CANARY] = w->d.obj->doc;
	w->cfg.source.docs[GC_RENDER_SRC_TARGET] = w->target->doc;
	w->cfg.source.docs[GC_RENDER_SRC_HPA] = w->hpa ? w->hpa->doc : NULL;
	w->cfg.promoted.git = t->loop->git;
	w->cfg.promoted.deploy = t->deploy;
	w->cfg.promoted.tree = &t->loop->tree;
	w->cfg.promoted.ns = w->d.obj->namespace;
	w->cfg.promoted.canary = w->d.obj->name;
	w->cfg.promoted.source = &w->cfg.source;
	render_input(&in, w, t);
	if ((error = gc_render_tracked_configs(&w->cfg.configs, &in, &err)) <
	    0) {
		msg = gc_error_format(&err);
		gc_warn("%s (canary '%s' skipped)", msg, w->d.id);
		free(msg);
		gc_error_release(&err);
		return error;
	}
	if (w->d.has_status &&
	    !strcmp(w->d.revision, w->old.status.last_promoted_spec)) {
		in.lookup = promoted_lookup;
		in.lookup_payload = &w->cfg.promoted;
		in.locate = NULL;
		if (gc_render_tracked_configs(&w->cfg.promoted_configs, &in,
					      &err) < 0)
			gc_debug("%s: configs of the primary unknown: %s",
				 w->d.id, gc_error_msg(&err));
		gc_error_release(&err);
	}
	return 0;
}

static void canary_checksum(work *w)
{
	cJSON *pair = cJSON_CreateObject();

	if (w->old.status.tracked_configs)
		cJSON_AddItemToObject(pair, "trackedConfigs",
				      gc_json_dup(
					      w->old.status.tracked_configs));
	gc_json_add_str(pair, "lastAppliedSpec", w->d.revision);
	gc_revision_hash(w->d.checksum, pair);
	cJSON_Delete(pair);
}

static bool path_changed(const tick *t, const gc_object *o)
{
	return t->ch.all || !o ||
	       gc_map_gets(&t->ch.paths, o->doc->path) != NULL;
}

static int collect_changed(const char *path, void *payload)
{
	tick *t = payload;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strcmp(base, "kustomization.yaml") ||
	    !strcmp(base, "kustomization.yml") ||
	    !strcmp(base, "Kustomization"))
		t->ch.all = true;
	gc_map_sets(&t->ch.paths, path, (void *)1);
	return 0;
}

static bool is_config(const gc_object *o)
{
	return o->kind && o->namespace &&
	       (!strcmp(o->kind, "ConfigMap") || !strcmp(o->kind, "Secret"));
}

static void note_ns(tick *t, const char *ns)
{
	gc_map_sets(&t->ch.configs, ns, (void *)1);
}

static void note_config(const gc_object *o, void *payload)
{
	if (is_config(o))
		note_ns(payload, o->namespace);
}

static void add_config_ns(const gc_object *o, void *payload)
{
	if (is_config(o)) {
		gc_buf_adds(payload, o->namespace);
		gc_buf_addch(payload, '\n');
	}
}

/* Records the namespaces of path's ConfigMaps/Secrets in loop->configs. */
static void remember_configs(gc_loop *l, const char *path)
{
	gc_buf b = GC_BUF_INIT;

	gc_index_foreach_in_file(l->idx, path, add_config_ns, &b);
	free(gc_map_sets(&l->sel.configs, path,
			 b.len ? gc_buf_detach(&b, NULL) : NULL));
	gc_buf_release(&b);
}

static void remember_all_configs(gc_loop *l)
{
	size_t n = gc_index_count(l->idx);

	free_values(&l->sel.configs);
	for (size_t i = 0; i < n; i++) {
		const gc_object *o = gc_index_at(l->idx, i);

		if (is_config(o) &&
		    (i == 0 || strcmp(o->doc->path,
				      gc_index_at(l->idx, i - 1)->doc->path)))
			remember_configs(l, o->doc->path);
	}
}

/*
 * A changed file's ConfigMaps/Secrets, as they were (loop->configs: a
 * deleted one is in no index any more) and as they are.
 */
static void note_configs(tick *t, const char *path)
{
	gc_loop *l = t->loop;
	const char *old = gc_map_gets(&l->sel.configs, path);

	for (const char *p = old; p && *p; p = strchr(p, '\n') + 1) {
		char ns[300];
		size_t len = strcspn(p, "\n");

		if (len < sizeof(ns)) {
			memcpy(ns, p, len);
			ns[len] = '\0';
			note_ns(t, ns);
		}
	}
	gc_index_foreach_in_file(l->idx, path, note_config, t);
	remember_configs(l, path);
}

/*
 * Which source files changed since the commit the caches describe (all
 * of them without caches); namespaces whose ConfigMaps/Secrets changed.
 */
static int find_changes(tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	const gc_map_entry *e;
	int error;

	t->ch.all = !*l->sel.cache_source;
	if (!t->ch.all && strcmp(l->sel.cache_source, l->source) &&
	    (error = gc_git_diff_paths(l->git, l->sel.cache_source, l->source,
				       collect_changed, t, err)) < 0)
		return error;
	if (t->ch.all) {
		remember_all_configs(l);
		return 0;
	}
	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);)
		note_configs(t, e->key);
	return 0;
}

/*
 * True when the canary can be skipped: the cache knows it, none of its
 * source files and not its status file changed, and it is not due.
 */
static bool unchanged(work *w, tick *t)
{
	gc_loop *l = t->loop;
	const gc_object *o = w->d.obj;
	const gc_object *target =
		gc_index_find(l->idx, "Deployment", o->namespace,
			      gc_json_str(o->doc->root, "spec.targetRef.name"));
	const char *hname =
		gc_json_str(o->doc->root, "spec.autoscalerRef.name");
	const gc_object *hpa = gc_index_find(l->idx, "HorizontalPodAutoscaler",
					     o->namespace, hname);
	const canary_cache *c = gc_map_gets(&l->can.cache, w->d.id);
	gc_buf path = GC_BUF_INIT;
	uint64_t status;

	gc_layout_status_path(&path, o->namespace, o->name);
	status = gc_deploy_tree_hash(&l->tree, path.ptr);
	gc_buf_release(&path);
	w->inputs_changed = !c || c->status != status || path_changed(t, o) ||
			    path_changed(t, target) ||
			    (hname && path_changed(t, hpa)) ||
			    gc_map_gets(&t->ch.configs, o->namespace) != NULL;
	if (w->inputs_changed || c->broken || t->now >= c->due)
		return false;
	w->d.skipped = true;
	w->d.cached = c;
	return true;
}

/*
 * Validates and reads one Canary. A broken one is logged and skipped:
 * its deploy files stay as they are.
 */
static void load_canary(work *w, tick *t)
{
	const gc_index *idx = t->loop->idx;
	const gc_object *o = w->d.obj;
	gc_canary_spec_opts sopts = { t->loop->opts.min_interval_ms };
	gc_problems probs = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *msg;

	w->d.id = gc_xasprintf("%s/%s", o->namespace, o->name);
	gc_deploy_canary_init(&w->old);
	gc_deploy_canary_init(&w->next);
	if (gc_index_load(idx, o, &err) < 0) {
		gc_err("canary '%s' skipped: %s", w->d.id, gc_error_msg(&err));
		w->d.broken = true;
		goto cleanup;
	}
	if (unchanged(w, t))
		return;
	if (gc_validate_canary(&probs, idx, o) > 0) {
		log_problems(&probs, w->d.id);
		w->d.broken = true;
		goto cleanup;
	}
	if (gc_canary_spec_parse(&w->spec, o->doc->root, o->namespace, &sopts,
				 &err) < 0) {
		gc_warn("%s: canary '%s' skipped: %s", o->doc->path, w->d.id,
			gc_error_msg(&err));
		w->d.broken = true;
		goto cleanup;
	}
	w->d.spec_ok = true;
	w->target = gc_index_find_tree(idx, "Deployment", o->namespace,
				       w->spec.target);
	w->hpa =
		gc_index_find_tree(idx, "HorizontalPodAutoscaler", o->namespace,
				   gc_json_str(o->doc->root,
					       "spec.autoscalerRef.name"));
	if (!w->target) {
		gc_warn("%s: canary '%s' skipped: target deployment '%s' not found",
			o->doc->path, w->d.id, w->spec.target);
		w->d.broken = true;
		goto cleanup;
	}
	gc_revision_hash(w->d.revision,
			 gc_json_get(w->target->doc->root, "spec.template"));
	if (read_status(w, t, &err) < 0) {
		msg = gc_error_format(&err);
		gc_err("canary '%s' skipped: unreadable status: %s", w->d.id,
		       msg);
		free(msg);
		w->d.broken = true;
		goto cleanup;
	}
	if (track_configs(w, t) < 0) {
		w->d.broken = true;
		goto cleanup;
	}
	canary_checksum(w);
	if (!w->d.has_status)
		w->due = true;
	else if (gc_machine_at_rest(w->old.status.phase))
		w->due = gc_machine_wakes(&w->old.status, w->d.revision,
					  w->cfg.configs);
	else
		w->due =
			t->now >=
			gc_machine_next_due(w->spec.interval_ms,
					    last_tick(t->loop, w->d.id,
						      w->old.status.last_tick));
cleanup:
	gc_problems_release(&probs);
	gc_error_release(&err);
}

/* ---- which canaries a tick looks at ---- */

/*
 * Status files another writer changed: their canaries are looked at;
 * pass-through files: written again or deleted.
 */
static int deploy_changed(const char *path, void *payload)
{
	tick *t = payload;
	char *ns = NULL, *name = NULL;
	gc_buf id = GC_BUF_INIT;

	if (gc_layout_parse_status_path(path, &ns, &name)) {
		gc_buf_addf(&id, "%s/%s", ns, name);
		gc_map_sets(&t->ch.deploy_ids, id.ptr, (void *)1);
	} else if (gc_layout_is_passthrough(path)) {
		gc_map_sets(&t->ch.deploy_pt, path, (void *)1);
	}
	free(ns);
	free(name);
	gc_buf_release(&id);
	return 0;
}

typedef struct pick_ctx {
	tick *t;
	gc_map *ids;
} pick_ctx;

/* An object of a changed file: its canary, and the canaries reading it. */
static void pick_object(const gc_object *o, void *payload)
{
	pick_ctx *p = payload;
	char key[600];

	gc_canary_deps_key_of(key, sizeof(key), o->kind, o->namespace, o->name);
	gc_canary_deps_key(&p->t->loop->can.deps, key, p->ids);
	if (gc_validate_is_canary(o) && o->namespace && o->name) {
		snprintf(key, sizeof(key), "%s/%s", o->namespace, o->name);
		gc_map_sets(p->ids, key, (void *)1);
	}
}

/* The Canary object of id "ns/name", or NULL. */
static const gc_object *canary_of(const gc_index *idx, const char *id)
{
	const char *slash = strchr(id, '/');
	const gc_object *o;
	char ns[300];

	if (!slash || (size_t)(slash - id) >= sizeof(ns))
		return NULL;
	memcpy(ns, id, (size_t)(slash - id));
	ns[slash - id] = '\0';
	o = gc_index_find(idx, "Canary", ns, slash + 1);
	return o && gc_validate_is_canary(o) ? o : NULL;
}

/* Index order: path, then document. */
static int cmp_object(const void *a, const void *b)
{
	const gc_object *x = *(const gc_object *const *)a;
	const gc_object *y = *(const gc_object *const *)b;
	int c = strcmp(x->doc->path, y->doc->path);

	if (c)
		return c;
	return (x->doc->index > y->doc->index) -
	       (x->doc->index < y->doc->index);
}

/* The canaries the tick looks at: their done records, object only yet. */
static void set_selected(tick *t, const gc_object **objs, size_t n)
{
	t->d = gc_xcalloc(n + 1, sizeof(*t->d));
	for (size_t i = 0; i < n; i++)
		t->d[t->n++].obj = objs[i];
}

/*
 * The canaries this tick looks at, in index order: without caches (or
 * after a kustomization changed) every one; else only those whose source
 * files, looked-up keys, namespace configs or status file changed, the
 * due and the broken (loop->deps). The rest would be skipped by
 * unchanged() anyway. Cached canaries gone from the source go to
 * t->ch.vanished.
 */
static void select_canaries(tick *t)
{
	gc_loop *l = t->loop;
	size_t total = gc_index_count(l->idx), n = 0;
	const gc_object **objs;
	gc_map ids = GC_MAP_INIT;
	pick_ctx p = { t, &ids };
	const gc_map_entry *e;

	if (t->ch.all) {
		objs = gc_xcalloc(total + 1, sizeof(*objs));
		for (size_t i = 0; i < total; i++)
			if (gc_validate_is_canary(gc_index_at(l->idx, i)))
				objs[n++] = gc_index_at(l->idx, i);
		set_selected(t, objs, n);
		free(objs);
		return;
	}
	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);) {
		gc_canary_deps_path(&l->can.deps, e->key, &ids);
		gc_index_foreach_in_file(l->idx, e->key, pick_object, &p);
	}
	for (size_t i = 0; gc_map_next(&t->ch.configs, &i, &e);)
		gc_canary_deps_namespace(&l->can.deps, e->key, &ids);
	for (size_t i = 0; gc_map_next(&t->ch.deploy_ids, &i, &e);)
		gc_map_sets(&ids, e->key, (void *)1);
	gc_canary_deps_always(&l->can.deps, &ids);
	gc_canary_deps_pop_due(&l->can.deps, t->now, &ids);
	objs = gc_xcalloc(ids.len + 1, sizeof(*objs));
	t->ch.vanished = gc_xcalloc(ids.len + 1, sizeof(*t->ch.vanished));
	for (size_t i = 0; gc_map_next(&ids, &i, &e);) {
		const gc_object *o = canary_of(l->idx, e->key);

		if (o)
			objs[n++] = o;
		else if (gc_map_gets(&l->can.cache, e->key) ||
			 gc_canary_deps_has(&l->can.deps, e->key))
			t->ch.vanished[t->ch.nvanished++] = gc_xstrdup(e->key);
	}
	qsort(objs, n, sizeof(*objs), cmp_object);
	set_selected(t, objs, n);
	free(objs);
	gc_map_release(&ids);
}

/* ---- readiness and the machine ---- */

/*
 * Readiness of <T>-primary and <T> of every due canary of a chunk, with
 * one bulk query set (gc_prometheus_readiness_many). An
 * unreachable Prometheus makes every Deployment "waiting", so the progress
 * deadline applies. The messages go to w->m.ready_msg (owned).
 */
static void readiness(tick *t, work *ws, size_t nw)
{
	const gc_loop_opts *o = &t->loop->opts;
	const char *server =
		opt_or(o->readiness_server,
		       opt_or(o->metrics_server, GC_PROMETHEUS_DEFAULT_SERVER));
	gc_prom_readiness_item *items = gc_xcalloc(2 * nw + 1, sizeof(*items));
	gc_error err = GC_ERROR_INIT;
	size_t n = 0, k = 0;
	bool failed;

	for (size_t i = 0; i < nw; i++) {
		work *w = &ws[i];

		if (!w->d.ran)
			continue;
		w->m.primary_name = gc_xasprintf("%s-primary", w->spec.target);
		items[n].namespace = items[n + 1].namespace = w->spec.namespace;
		items[n].name = w->m.primary_name;
		items[n].expected = items[n + 1].expected = -1;
		items[n].threshold_pct = w->spec.primary_ready_threshold;
		items[n + 1].name = w->spec.target;
		items[n + 1].threshold_pct = w->spec.canary_ready_threshold;
		n += 2;
	}
	if (o->assume_ready || n == 0)
		goto cleanup;
	/* a server that failed one chunk is not asked (and waited for) again */
	failed = t->ready_error != NULL;
	if (!failed && gc_prometheus_readiness_many(items, n, server, NULL,
						    5000, &err) < 0) {
		gc_warn("readiness from %s: %s", server, gc_error_msg(&err));
		t->ready_error = gc_xstrdup(gc_error_msg(&err));
		failed = true;
	}
	for (size_t i = 0; i < nw; i++) {
		work *w = &ws[i];
		gc_readiness *r[2] = { &w->m.in.primary, &w->m.in.canary };

		if (!w->d.ran)
			continue;
		for (int j = 0; j < 2; j++, k++) {
			if (failed) {
				free(items[k].message);
				items[k].message = gc_xasprintf(
					"waiting for rollout to finish: readiness unknown: %s",
					t->ready_error);
				items[k].state = GC_PROM_WAITING;
			}
			w->m.ready_msg[j] = items[k].message;
			items[k].message = NULL;
			if (items[k].state != GC_PROM_READY) {
				r[j]->state = GC_READY_WAITING;
				r[j]->message = w->m.ready_msg[j];
			}
		}
	}
cleanup:
	for (size_t i = 0; i < n; i++)
		free(items[i].message);
	free(items);
	gc_error_release(&err);
}

static int active_replicas(const work *w)
{
	int replicas =
		(int)gc_json_num(w->target->doc->root, "spec.replicas", 0);
	int min = w->hpa ? (int)gc_json_num(w->hpa->doc->root,
					    "spec.minReplicas", 1)
			 : 0;

	if (w->hpa && w->spec.has_autoscaler)
		return min > 1 ? min : 1;
	return replicas > 0 ? replicas : 1;
}

static void prepare_machine(work *w, tick *t)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_machine_in *in = &w->m.in;

	in->spec = &w->spec;
	in->revision = w->d.revision;
	in->configs = w->cfg.configs;
	in->promoted_configs = w->cfg.promoted_configs;
	in->status = &w->old.status;
	in->routing = w->old.routing;
	in->primary.state = in->canary.state = GC_READY; /* see readiness() */
	in->canary_replicas = w->old.canary_active ? active_replicas(w) : 0;
	in->primary_replicas =
		(int)gc_json_num(w->target->doc->root, "spec.replicas", 0);
	in->hpa_min_replicas = w->hpa ? (int)gc_json_num(w->hpa->doc->root,
							 "spec.minReplicas", 0)
				      : 0;
	in->now = t->now;
	gc_machine_out_init(&w->m.out);
	w->m.ctx.name = w->spec.name;
	w->m.ctx.namespace = w->spec.namespace;
	w->m.ctx.target = w->spec.target;
	w->m.ctx.service = w->spec.service;
	w->m.ctx.checksum = w->d.checksum;
	w->m.ctx.metrics_server =
		opt_or(gc_json_str(w->d.obj->doc->root, "spec.metricsServer"),
		       opt_or(o->metrics_server, GC_PROMETHEUS_DEFAULT_SERVER));
	w->m.ctx.interval = w->spec.interval_str;
	w->m.ctx.template_lookup = template_lookup;
	w->m.ctx.template_payload = t->loop->idx;
	w->d.ran = true;
}

/* Runs the due canaries' machines; each round's batches go to the runner
 * together. */
static int run_machines(tick *t, work *ws, size_t nw, gc_error *err)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_checks_opts copts = { 0 };
	gc_check_batch *batches = gc_xcalloc(nw + 1, sizeof(*batches));
	gc_check_ctx *ctx = gc_xcalloc(nw + 1, sizeof(*ctx));
	work **owner = gc_xcalloc(nw + 1, sizeof(*owner));
	size_t nb;
	int error = 0;

	copts.metrics_server = o->metrics_server;
	copts.credentials_dir = o->credentials_dir;
	copts.connect_to = o->connect_to;
	for (size_t i = 0; i < nw; i++)
		if (ws[i].due && !ws[i].d.broken)
			prepare_machine(&ws[i], t);
	readiness(t, ws, nw);
	for (;;) {
		nb = 0;
		for (size_t i = 0; i < nw; i++) {
			work *w = &ws[i];

			if (!w->d.ran || w->m.finished)
				continue;
			if (gc_machine_step(&w->m.out, &w->m.in, w->m.batches,
					    w->m.nbatches) == GC_MACHINE_DONE) {
				w->m.finished = true;
				continue;
			}
			GC_ASSERT(w->m.nbatches < GC_MACHINE_MAX_BATCHES);
			w->m.batches[w->m.nbatches] = w->m.out.need;
			memset(&w->m.out.need, 0, sizeof(w->m.out.need));
			batches[nb] = w->m.batches[w->m.nbatches];
			ctx[nb] = w->m.ctx;
			owner[nb++] = w;
		}
		if (!nb)
			break;
		error = gc_checks_run(batches, ctx, nb, &copts, err);
		for (size_t k = 0; k < nb; k++) {
			owner[k]->m.batches[owner[k]->m.nbatches++] =
				batches[k];
		}
		if (error < 0)
			break;
	}
	free(batches);
	free(ctx);
	free(owner);
	return error;
}

/* ---- the next state and rendering ---- */

static void next_state(work *w, tick *t)
{
	const gc_machine_out *out = &w->m.out;
	gc_phase p0 = w->old.status.phase, p1;

	gc_deploy_canary_copy(&w->next, &w->old);
	if (!w->d.ran)
		return;
	if (!out->changed)
		return;
	gc_status_release(&w->next.status);
	gc_status_copy(&w->next.status, &out->status);
	p1 = out->status.phase;
	w->next.routing = out->routing;
	if (out->replicas == GC_REPLICAS_ZERO)
		w->next.canary_active = false;
	else if (out->replicas == GC_REPLICAS_SCALE)
		w->next.canary_active = true;
	if (out->promote) {
		cJSON_Delete(w->next.promoted_template);
		w->next.promoted_template = gc_json_dup(
			gc_json_get(w->target->doc->root, "spec.template"));
		snprintf(w->next.promoted_revision,
			 sizeof(w->next.promoted_revision), "%s",
			 w->d.revision);
	}
	if (!w->d.has_status ||
	    (p1 == GC_PHASE_PROGRESSING && p0 != p1 &&
	     (gc_machine_at_rest(p0) || p0 == GC_PHASE_WAITING))) {
		snprintf(w->next.source_commit, sizeof(w->next.source_commit),
			 "%s", t->loop->source);
		w->next.release_max_weight = 0;
	}
	if (out->routing.canary > w->next.release_max_weight &&
	    p1 != GC_PHASE_INITIALIZING && p1 != GC_PHASE_INITIALIZED)
		w->next.release_max_weight = out->routing.canary;
	w->d.ended = w->d.has_status && !gc_machine_at_rest(p0) &&
		     p0 != GC_PHASE_INITIALIZING &&
		     (p1 == GC_PHASE_SUCCEEDED || p1 == GC_PHASE_FAILED);
}

static bool released(gc_phase p)
{
	return p == GC_PHASE_PROMOTING || p == GC_PHASE_FINALISING ||
	       p == GC_PHASE_SUCCEEDED || p == GC_PHASE_FAILED;
}

/*
 * Renders the canary's stage. The primary's ConfigMap/Secret copies are
 * made from the source only when the machine promotes (initialization,
 * Promote); otherwise they stay what the deploy branch holds, so a config
 * change reaches the primary through the analysis only.
 */
static int render(work *w, const tick *t, gc_error *err)
{
	static const gc_stage init = GC_STAGE_INIT;
	gc_render_input in;
	const gc_deploy_canary *n = &w->next;

	render_input(&in, w, t);
	in.stage = init;
	in.stage.phase = gc_phase_name(n->status.phase);
	in.stage.primary_weight = n->routing.primary;
	in.stage.canary_weight = n->routing.canary;
	in.stage.mirror = n->routing.mirror;
	in.stage.canary_active = n->canary_active;
	in.stage.promoted_template = n->promoted_template;
	if (!(w->d.ran && w->m.out.promote)) {
		in.stage.promoted_lookup = promoted_lookup;
		in.stage.promoted_payload = &w->cfg.promoted;
	}
	in.stage.cookie = n->status.session_affinity_cookie;
	in.stage.primary_cookie = n->status.primary_session_affinity_cookie;
	in.stage.previous_cookie = n->status.previous_session_affinity_cookie;
	in.stage.released = released(n->status.phase);
	return gc_render_canary(&w->rendered, &in, err);
}

static void object_key(gc_buf *key, const char *ns, const char *kind,
		       const char *name)
{
	gc_buf_clear(key);
	gc_layout_object_path(key, ns, NULL, kind, name);
}

/* "ns/_/kind-name.yaml" for a rendered file "ns/canary/kind-name.yaml". */
static void key_of_file(gc_buf *key, const char *path)
{
	gc_buf_clear(key);
	gc_layout_passthrough_of(key, path);
}

/* Writes the rendered objects and the status file of one canary. */
static int write_canary(work *w, tick *t, gc_error *err)
{
	gc_buf path = GC_BUF_INIT, yaml = GC_BUF_INIT, key = GC_BUF_INIT;
	const char **files = NULL;
	const cJSON *obj;
	size_t n = 0;
	int error = 0;

	files = gc_xcalloc((size_t)cJSON_GetArraySize(w->rendered) + 1,
			   sizeof(*files));
	cJSON_ArrayForEach (obj, w->rendered) {
		const char *kind = gc_json_str(obj, "kind");
		const char *name = gc_json_str(obj, "metadata.name");

		gc_buf_clear(&path);
		gc_buf_clear(&yaml);
		gc_layout_object_path(&path, w->d.obj->namespace,
				      w->d.obj->name, kind, name);
		if ((error = gc_yaml_emit(&yaml, &obj, 1, err)) < 0)
			goto cleanup;
		w->d.changed |= write_file(t, path.ptr, &yaml);
		files[n++] = gc_xstrdup(path.ptr);
	}
	gc_deploy_canary_set_files(&w->next, files, n);
	for (size_t i = 0; i < w->old.nfiles; i++) {
		bool keep = false;

		for (size_t k = 0; k < w->next.nfiles && !keep; k++)
			keep = !strcmp(w->old.files[i], w->next.files[k]);
		if (!keep)
			w->d.changed |= delete_file(t, w->old.files[i]);
	}
	gc_buf_clear(&path);
	gc_buf_clear(&yaml);
	gc_layout_status_path(&path, w->d.obj->namespace, w->d.obj->name);
	if ((error = gc_deploy_canary_emit(&yaml, &w->next, w->d.obj->namespace,
					   w->d.obj->name, w->d.obj->doc->root,
					   err)) < 0)
		goto cleanup;
	w->d.changed |= write_file(t, path.ptr, &yaml);
cleanup:
	for (size_t i = 0; i < n; i++)
		free((char *)files[i]);
	free(files);
	gc_buf_release(&path);
	gc_buf_release(&yaml);
	gc_buf_release(&key);
	return error;
}

/* Counts one owner more or less of key; returns the map's copy of key. */
static const char *own(gc_loop *l, const char *key, int delta)
{
	uintptr_t was = (uintptr_t)gc_map_gets(&l->can.owned, key), n;

	n = delta > 0 ? was + 1 : (was ? was - 1 : 0);
	gc_map_sets(&l->can.owned, key, (void *)n);
	if (!was != !n) /* pass-through looks at it again */
		gc_map_sets(&l->can.flipped, key, (void *)1);
	return gc_map_key(&l->can.owned, key);
}

static void disown_all(gc_loop *l, canary_cache *c)
{
	for (size_t k = 0; k < c->nkeys; k++)
		own(l, c->keys[k], -1);
	free(c->keys);
	c->keys = NULL;
	c->nkeys = 0;
}

/*
 * Records the pass-through keys the canary owns (its rendered objects and
 * its target) in loop->owned, replacing what it owned before. A skipped
 * canary owns what it owned.
 */
static void own_keys(tick *t, work *w)
{
	gc_loop *l = t->loop;
	const gc_deploy_canary *dc = w->was_rendered ? &w->next : &w->old;
	const char *tname =
		gc_json_str(w->d.obj->doc->root, "spec.targetRef.name");
	canary_cache *c;
	gc_buf key = GC_BUF_INIT;

	if (w->d.skipped)
		return;
	c = gc_map_gets(&l->can.cache, w->d.id);
	if (!c) {
		c = gc_xcalloc(1, sizeof(*c));
		c->broken = true; /* until the tick completes */
		gc_map_sets(&l->can.cache, w->d.id, c);
	}
	disown_all(l, c);
	c->keys = gc_xcalloc(dc->nfiles + 2, sizeof(*c->keys));
	for (size_t i = 0; i < dc->nfiles; i++) {
		key_of_file(&key, dc->files[i]);
		c->keys[c->nkeys++] = own(l, key.ptr, 1);
	}
	if (tname) {
		object_key(&key, w->d.obj->namespace, "Deployment", tname);
		c->keys[c->nkeys++] = own(l, key.ptr, 1);
	}
	gc_buf_release(&key);
}

static void done_release(done *d)
{
	done_report *r = &d->report;

	free(d->id);
	for (size_t k = 0; k < r->nevents; k++)
		free(r->events[k].message);
	free(r->events);
	for (size_t k = 0; k < r->nbatches; k++)
		gc_check_batch_release(&r->batches[k]);
	free(r->batches);
	free(r->event_hooks.v);
	cJSON_Delete(r->hooks);
	free(d->target);
	free(d->hpa);
	gc_event_hooks_release(&r->deliveries);
}

static void work_release(work *w)
{
	done_release(&w->d);
	if (w->d.spec_ok)
		gc_canary_spec_release(&w->spec);
	gc_deploy_canary_release(&w->old);
	gc_deploy_canary_release(&w->next);
	free(w->m.ready_msg[0]);
	free(w->m.ready_msg[1]);
	free(w->m.primary_name);
	cJSON_Delete(w->cfg.configs);
	cJSON_Delete(w->cfg.promoted_configs);
	promoted_release(&w->cfg.promoted);
	if (w->d.ran)
		gc_machine_out_release(&w->m.out);
	for (size_t k = 0; k < w->m.nbatches; k++)
		gc_check_batch_release(&w->m.batches[k]);
	cJSON_Delete(w->rendered);
	memset(w, 0, sizeof(*w)); /* released twice on errors */
}

/* Gives d the copies of the canary's event webhooks: the index drops its
 * trees. */
static void copy_event_hooks(done *d, const gc_hook_list *h)
{
	d->report.hooks = cJSON_CreateArray();
	d->report.event_hooks.v = gc_xcalloc(h->n, sizeof(*h->v));
	for (size_t i = 0; i < h->n; i++) {
		cJSON *copy = gc_json_dup(h->v[i]);

		cJSON_AddItemToArray(d->report.hooks, copy);
		d->report.event_hooks.v[d->report.event_hooks.n++] = copy;
	}
}

/*
 * Completes w->d with what the machine and the stage left and moves it
 * to d: the one place a done record is built.
 */
static void take_done(done *d, work *w)
{
	const gc_deploy_canary *dc = w->d.ran ? &w->next : &w->old;
	done *o = &w->d;
	const char *s;

	o->moved = o->ran && w->m.out.changed;
	o->stage.phase = dc->status.phase;
	o->stage.canary_weight = dc->routing.canary;
	o->stage.primary_weight = dc->routing.primary;
	o->stage.release_max_weight = dc->release_max_weight;
	o->stage.failed_checks = dc->status.failed_checks;
	o->stage.old_failed_checks = w->old.status.failed_checks;
	memcpy(o->stage.source_commit, dc->source_commit,
	       sizeof(o->stage.source_commit));
	o->persisted_tick = w->old.status.last_tick;
	o->interval_ms = w->spec.interval_ms;
	if (o->ran) {
		o->last_tick = w->m.out.status.last_tick;
		o->report.events = w->m.out.events;
		o->report.nevents = w->m.out.nevents;
		w->m.out.events = NULL;
		w->m.out.nevents = w->m.out.alloc = 0;
	}
	if (w->m.nbatches) {
		o->report.batches =
			gc_xcalloc(w->m.nbatches, sizeof(*o->report.batches));
		memcpy(o->report.batches, w->m.batches,
		       w->m.nbatches * sizeof(*o->report.batches));
		o->report.nbatches = w->m.nbatches;
		w->m.nbatches = 0;
		for (size_t i = 0; i < o->report.nbatches; i++)
			for (size_t k = 0; k < o->report.batches[i].n; k++)
				o->report.batches[i].v[k].spec = NULL;
	}
	if (o->report.nevents && o->spec_ok && w->spec.hooks[GC_HOOK_EVENT].n)
		copy_event_hooks(o, &w->spec.hooks[GC_HOOK_EVENT]);
	if (o->obj->doc->root) {
		if ((s = gc_json_str(o->obj->doc->root, "spec.targetRef.name")))
			o->target = gc_xstrdup(s);
		if ((s = gc_json_str(o->obj->doc->root,
				     "spec.autoscalerRef.name")))
			o->hpa = gc_xstrdup(s);
	}
	*d = *o;
	/* moved: w keeps its flags for work_release, not what d owns now */
	o->id = o->target = o->hpa = NULL;
	memset(&o->report, 0, sizeof(o->report));
}

/*
 * A full pass works through the canaries this many at a time, so that it
 * holds one chunk's work (specs, states, machines, renders) and not every
 * canary's; each chunk's checks still run together.
 */
#define CHUNK 128

/* Loads, runs, renders and writes canaries [from, from + nw) of t->d. */
static int process_chunk(tick *t, size_t from, size_t nw, gc_tick_result *res,
			 gc_error *err)
{
	work *ws = gc_xcalloc(nw + 1, sizeof(*ws));
	int error, rendered;
	char *msg;

	for (size_t i = 0; i < nw; i++) {
		work *w = &ws[i];

		w->d = t->d[from + i]; /* the object only, yet */
		load_canary(w, t);
		if (!gc_map_gets(&t->loop->can.cache, w->d.id)) {
			t->ch.canary_gone = true; /* new, or the first tick */
			t->ch.nnew++;
		}
		res->canaries_broken += w->d.broken;
	}
	if ((error = run_machines(t, ws, nw, err)) < 0)
		goto cleanup;
	for (size_t i = 0; i < nw; i++) {
		work *w = &ws[i];
		gc_error rerr = GC_ERROR_INIT;

		if (w->d.broken || w->d.skipped)
			goto keys;
		next_state(w, t);
		for (size_t k = 0; k < w->m.out.nevents; k++)
			gc_log(w->m.out.events[k].type == GC_EVENT_WARNING
				       ? GC_LOG_WARN
				       : GC_LOG_INFO,
			       "%s: %s", w->d.id, w->m.out.events[k].message);
		if (!(w->d.ran && w->m.out.changed) && !w->inputs_changed)
			goto keys;
		rendered = render(w, t, &rerr);
		w->was_rendered = w->rendered != NULL;
		if (rendered < 0) {
			msg = gc_error_format(&rerr);
			gc_warn("%s (canary '%s' skipped)", msg, w->d.id);
			free(msg);
			gc_error_release(&rerr);
			w->d.broken = true;
			goto keys;
		}
		if ((error = write_canary(w, t, err)) < 0)
			goto cleanup;
		if (w->d.ran && w->m.out.changed)
			w->d.changed = true;
	keys:
		own_keys(t, w);
		take_done(&t->d[from + i], w);
		work_release(w); /* one at a time: renders are large */
	}
cleanup:
	for (size_t i = 0; i < nw; i++)
		work_release(&ws[i]);
	free(ws);
	/*
	 * The trees the chunk parsed again; the next chunk needs others.
	 * Unless they are a few files of many canaries each, which the next
	 * chunk would parse again whole.
	 */
	if (gc_index_loaded(t->loop->idx) > 16)
		gc_index_trim(t->loop->idx);
	return error;
}

static int process_canaries(tick *t, gc_tick_result *res, gc_error *err)
{
	int error = 0;

	for (size_t i = 0; i < t->n && error == 0; i += CHUNK)
		error = process_chunk(t, i, t->n - i < CHUNK ? t->n - i : CHUNK,
				      res, err);
	return error;
}

/* ---- pass-through ---- */

static bool skip_passthrough(const gc_object *o)
{
	if (!o->api_version || !o->kind || !o->name)
		return true;
	if (!strncmp(o->api_version, "flagger.app/", 12))
		return true;
	return !strcmp(o->kind, "Kustomization") ||
	       !strncmp(o->api_version, "kustomize.config.k8s.io/", 24);
}

/* Replaces the paths of file src (f NULL: it has none); old ones go to
 * stale. */
static void pt_set(gc_loop *l, const char *src, pt_file *f, gc_map *stale)
{
	pt_file *old = gc_map_gets(&l->pt.files, src);

	for (size_t i = 0; old && i < old->n; i++) {
		if (gc_map_gets(&l->pt.src, old->paths[i]) == old)
			gc_map_sets(&l->pt.src, old->paths[i], NULL);
		if (stale)
			gc_map_sets(stale, old->paths[i], (void *)1);
	}
	for (size_t i = 0; f && i < f->n; i++)
		gc_map_sets(&l->pt.src, f->paths[i], f);
	gc_map_sets(&l->pt.files, src, f);
	pt_file_free(old);
}

/* The deploy path of a source object that passes through; false if none. */
static bool pass_path(gc_buf *path, const gc_object *o)
{
	bool cluster;

	if (skip_passthrough(o))
		return false;
	cluster = gc_kind_is_cluster_scoped(o->kind);
	if (!cluster && !o->namespace)
		return false;
	gc_buf_clear(path);
	gc_layout_object_path(path, cluster ? NULL : o->namespace, NULL,
			      o->kind, o->name);
	return true;
}

static bool passes(const tick *t, const char *path)
{
	return !gc_map_gets(&t->loop->can.owned, path) &&
	       !gc_map_gets(&t->pt.kept, path);
}

/* Writes one passed-through object unless the cache says it is there. */
static int pass_one(tick *t, const gc_object *o, const char *path,
		    gc_error *err)
{
	gc_loop *l = t->loop;
	const cJSON *docs[1];
	passthru_cache *pc = gc_map_gets(&l->pt.written, path);
	gc_buf yaml = GC_BUF_INIT;
	cJSON *doc;
	int error;

	gc_map_sets(&t->pt.written, path, (void *)1);
	if (!pc) {
		t->pt.new_path = true;
		l->pt.nwritten++;
		pc = gc_xcalloc(1, sizeof(*pc));
		gc_map_sets(&l->pt.written, path, pc);
	} else if (!path_changed(t, o) &&
		   pc->file == gc_deploy_tree_hash(&l->tree, path)) {
		return 0;
	}
	/*
	 * A full pass would otherwise parse every file back in at once.
	 * Trimmed between files only: objects come file by file, and a file
	 * of many objects is parsed once.
	 */
	if (t->pt.npassed >= 256 && strcmp(t->pt.passed_file, o->doc->path)) {
		gc_index_trim(l->idx);
		t->pt.npassed = 0;
	}
	if ((error = gc_index_load(l->idx, o, err)) < 0)
		return error;
	t->pt.npassed++;
	t->pt.passed_file = o->doc->path; /* the index's: lives past a trim */
	doc = gc_json_dup(o->doc->root);
	if (!gc_kind_is_cluster_scoped(o->kind)) {
		cJSON *meta = gc_json_obj(doc, "metadata");

		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		gc_json_add_str(meta, "namespace", o->namespace);
	}
	docs[0] = doc;
	error = gc_yaml_emit(&yaml, docs, 1, err);
	cJSON_Delete(doc);
	if (error == 0) {
		write_file(t, path, &yaml);
		pc->file = gc_deploy_tree_hash(&l->tree, path);
	}
	gc_buf_release(&yaml);
	return error;
}

/* A passed-through path that must go: its file and its cache entry. */
static void pass_remove(tick *t, const char *path)
{
	gc_loop *l = t->loop;
	passthru_cache *pc = gc_map_gets(&l->pt.written, path);

	if (pc) {
		free(pc);
		gc_map_sets(&l->pt.written, path, NULL);
		l->pt.nwritten--;
	}
	delete_file(t, path);
}

/* Deletes pass-through files whose source object is gone. */
static void pass_delete(tick *t)
{
	gc_loop *l = t->loop;
	size_t np = 0;
	const char **paths = gc_deploy_tree_paths(&l->tree, &np);

	for (size_t i = 0; i < np; i++) {
		char *p;

		if (!gc_layout_is_passthrough(paths[i]) ||
		    gc_map_gets(&t->pt.written, paths[i]))
			continue;
		p = gc_xstrdup(paths[i]);
		pass_remove(t, p);
		free(p);
	}
	free(paths);
}

static bool canary_exists(const gc_index *idx, const char *ns, const char *name)
{
	const gc_object *o = gc_index_find(idx, "Canary", ns, name);

	return o && gc_validate_is_canary(o);
}

/*
 * Canaries with a status file on the deploy branch but none in the source
 * (docs/reconcile.md). From a clean source they were deleted: their status
 * and rendered files go, and what they owned (their target) passes through
 * again as written. While the source has problems a Canary may only have
 * failed to parse: its files stay, and its target does not pass through.
 */
static void drop_vanished(tick *t)
{
	gc_loop *l = t->loop;
	bool clean = !gc_index_problems(l->idx)->n;
	const gc_map_entry *e;
	gc_map gone = GC_MAP_INIT;
	gc_buf key = GC_BUF_INIT;
	size_t np = 0;
	const char **paths;
	char *ns, *name;

	for (size_t i = 0; clean && gc_map_next(&l->can.cache, &i, &e);) {
		const char *slash = strchr(e->key, '/');
		char *cns;

		if (!e->value || !slash)
			continue;
		cns = gc_xstrndup(e->key, (size_t)(slash - e->key));
		if (!canary_exists(l->idx, cns, slash + 1)) {
			disown_all(l, e->value);
			free(e->value);
			gc_map_sets(&l->can.cache, e->key, NULL);
		}
		free(cns);
	}
	paths = gc_deploy_tree_paths(&l->tree, &np);
	for (size_t i = 0; i < np; i++) {
		if (!gc_layout_parse_status_path(paths[i], &ns, &name))
			continue;
		if (!canary_exists(l->idx, ns, name)) {
			gc_buf_clear(&key);
			gc_layout_canary_dir(&key, ns, name);
			gc_map_sets(&gone, key.ptr, (void *)1);
			if (clean) {
				gc_info("%s/%s: the Canary left the source: its objects are removed and its target passes through",
					ns, name);
				delete_file(t, paths[i]);
			}
		}
		free(ns);
		free(name);
	}
	for (size_t i = 0; gone.len && i < np; i++) {
		gc_buf_clear(&key);
		if (!gc_layout_object_dir(&key, paths[i]) ||
		    !gc_map_gets(&gone, key.ptr))
			continue;
		if (clean) {
			delete_file(t, paths[i]);
		} else {
			key_of_file(&key, paths[i]);
			gc_map_sets(&t->pt.kept, key.ptr, (void *)1);
		}
	}
	free(paths);
	gc_map_release(&gone);
	gc_buf_release(&key);
}

/* Passes the objects of one source file through, recording their paths. */
typedef struct pass_ctx {
	tick *t;
	pt_file *f;
	gc_buf path;
	size_t count; /* objects passed through */
	int error;
	gc_error *err;
} pass_ctx;

static void pass_object(const gc_object *o, void *payload)
{
	pass_ctx *c = payload;
	pt_file *f = c->f;

	if (c->error < 0 || !pass_path(&c->path, o))
		return;
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 2;
		f->paths = gc_xrealloc(f->paths, f->alloc * sizeof(*f->paths));
	}
	f->paths[f->n++] = gc_xstrdup(c->path.ptr);
	if (passes(c->t, c->path.ptr)) {
		c->error = pass_one(c->t, o, c->path.ptr, c->err);
		c->count++;
	}
}

static pt_file *pt_file_new(const char *src)
{
	pt_file *f = gc_xcalloc(1, sizeof(*f));

	f->src = gc_xstrdup(src);
	return f;
}

/*
 * Every object of the source: rebuilds loop->pt_files, writes what is not
 * there yet and deletes the pass-through files of no object.
 */
static int pass_all(tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	gc_index *idx = l->idx;
	size_t n = gc_index_count(idx);
	pass_ctx c = { t, NULL, GC_BUF_INIT, 0, 0, err };

	pt_release(l);
	for (size_t i = 0; i < n && c.error == 0; i++) {
		const gc_object *o = gc_index_at(idx, i);

		if (!c.f || strcmp(c.f->src, o->doc->path)) {
			if (c.f)
				pt_set(l, c.f->src, c.f, NULL);
			c.f = pt_file_new(o->doc->path);
		}
		pass_object(o, &c);
	}
	if (c.f)
		pt_set(l, c.f->src, c.f, NULL);
	gc_buf_release(&c.path);
	if (c.error < 0)
		return c.error;
	if (gc_index_problems(idx)->n) {
		gc_warn("source %.12s has %zu problem(s): objects whose files are broken are kept as deployed",
			l->source, gc_index_problems(idx)->n);
		return 0;
	}
	/* the same paths as last time: nothing can have disappeared */
	if (t->pt.new_path || c.count != l->pt.nwritten)
		pass_delete(t);
	l->pt.ready = true;
	return 0;
}

/*
 * Only what moved: the changed source files, the files of paths whose
 * ownership flipped and of pass-through files another writer changed.
 * A path of those that no longer passes through is deleted.
 */
static int pass_changed(tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	gc_map visit = GC_MAP_INIT, stale = GC_MAP_INIT;
	pass_ctx c = { t, NULL, GC_BUF_INIT, 0, 0, err };
	const gc_map_entry *e;
	const pt_file *f;

	for (size_t i = 0; gc_map_next(&t->ch.paths, &i, &e);)
		gc_map_sets(&visit, e->key, (void *)1);
	for (size_t k = 0; k < 2; k++) {
		const gc_map *m = k ? &t->ch.deploy_pt : &l->can.flipped;

		for (size_t i = 0; gc_map_next(m, &i, &e);) {
			gc_map_sets(&stale, e->key, (void *)1);
			if ((f = gc_map_gets(&l->pt.src, e->key)))
				gc_map_sets(&visit, f->src, (void *)1);
		}
	}
	for (size_t i = 0; c.error == 0 && gc_map_next(&visit, &i, &e);) {
		c.f = pt_file_new(e->key);
		gc_index_foreach_in_file(l->idx, e->key, pass_object, &c);
		for (size_t k = 0; k < c.f->n; k++)
			gc_map_sets(&stale, c.f->paths[k], (void *)1);
		pt_set(l, e->key, c.f->n ? c.f : NULL, &stale);
		if (!c.f->n)
			pt_file_free(c.f);
	}
	for (size_t i = 0; c.error == 0 && gc_map_next(&stale, &i, &e);)
		if (!gc_map_gets(&l->pt.src, e->key) || !passes(t, e->key))
			pass_remove(t, e->key);
	gc_buf_release(&c.path);
	gc_map_release(&visit);
	gc_map_release(&stale);
	return c.error;
}

static int pass_through(tick *t, gc_error *err)
{
	gc_loop *l = t->loop;
	bool all = !l->pt.ready || t->ch.all || l->seen.problems ||
		   gc_index_problems(l->idx)->n;
	int error;

	if (t->ch.canary_gone || gc_index_problems(l->idx)->n)
		drop_vanished(t);
	error = all ? pass_all(t, err) : pass_changed(t, err);
	if (error == 0)
		gc_map_release(
			&l->can.flipped); /* leaves it empty and usable */
	return error;
}

static void kustomization(tick *t)
{
	size_t n = 0, k = 0;
	const char **paths = gc_deploy_tree_paths(&t->loop->tree, &n);
	gc_buf yaml = GC_BUF_INIT;

	for (size_t i = 0; i < n; i++)
		if (gc_layout_is_applied(paths[i]))
			paths[k++] = paths[i];
	gc_layout_kustomization(&yaml, paths, k);
	free(paths);
	write_file(t, GC_LAYOUT_KUSTOMIZATION, &yaml);
	gc_buf_release(&yaml);
}

/* ---- commit, push, notes ---- */

static void fill_msg(gc_msg_canary *m, const done *d)
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

	a->name = opt_or(o->author_name, GC_LOOP_DEFAULT_NAME);
	a->email = opt_or(o->author_email, GC_LOOP_DEFAULT_EMAIL);
	a->when = now;
	c->name = opt_or(o->committer_name, a->name);
	c->email = opt_or(o->committer_email, a->email);
	c->when = now;
}

static void write_notes(tick *t, const char *commit, gc_msg_canary *msgs,
			size_t nm)
{
	gc_loop *l = t->loop;
	gc_git_signature a, c;
	gc_error err = GC_ERROR_INIT;
	gc_buf old = GC_BUF_INIT;
	cJSON *note;
	char *text;

	signatures(l, &a, &c, t->now);
	if (nm) {
		note = gc_message_evidence(msgs, nm, l->source, t->now);
		text = cJSON_Print(note);
		if (gc_git_note_set(l->git, notes_ref(l), commit, text, &c,
				    &err) < 0)
			gc_warn("evidence note on %.12s: %s", commit,
				gc_error_msg(&err));
		gc_error_clear(&err);
		free(text);
		cJSON_Delete(note);
	}
	for (size_t i = 0; i < t->n; i++) {
		const done *d = &t->d[i];
		gc_msg_outcome o = { 0 };

		if (!d->ended || !d->changed || !d->stage.source_commit[0])
			continue;
		gc_buf_clear(&old);
		if (gc_git_note_get(&old, l->git, notes_ref(l),
				    d->stage.source_commit, &err) < 0)
			gc_buf_clear(&old);
		gc_error_clear(&err);
		o.ns = d->obj->namespace;
		o.name = d->obj->name;
		o.promoted = d->stage.phase == GC_PHASE_SUCCEEDED;
		o.when = t->now;
		o.max_weight = d->stage.release_max_weight;
		/* SyncStatus(Failed) resets the counter; report the run's */
		o.failed_checks =
			d->stage.failed_checks > d->stage.old_failed_checks
				? d->stage.failed_checks
				: d->stage.old_failed_checks;
		o.revision = d->revision;
		o.deploy_commit = commit;
		o.last_event = d->report.nevents
				       ? d->report.events[d->report.nevents - 1]
						 .message
				       : NULL;
		note = gc_message_outcome(old.len ? old.ptr : NULL, &o);
		text = cJSON_Print(note);
		if (gc_git_note_set(l->git, notes_ref(l),
				    d->stage.source_commit, text, &c, &err) < 0)
			gc_warn("outcome note on %.12s: %s",
				d->stage.source_commit, gc_error_msg(&err));
		gc_error_clear(&err);
		free(text);
		cJSON_Delete(note);
	}
	gc_buf_release(&old);
}

/*
 * POSTs the tick's events to the event webhooks (docs/reconcile.md), once
 * the tick is final: its commit pushed, or nothing to commit. A lost push
 * never gets here, so its events go only with the recomputed tick. Events
 * of a canary whose new stage was not written are dropped with it.
 */
static void send_events(tick *t)
{
	const gc_loop_opts *o = &t->loop->opts;
	gc_event_hooks_canary *c = gc_xcalloc(t->n + 1, sizeof(*c));
	gc_check_ctx *ctx = gc_xcalloc(t->n + 1, sizeof(*ctx));
	done **owner = gc_xcalloc(t->n + 1, sizeof(*owner));
	gc_checks_opts copts = { 0 };
	gc_error err = GC_ERROR_INIT;
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		done *d = &t->d[i];

		if (!d->report.nevents || (d->moved && !d->changed))
			continue;
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
}

static int commit_and_push(tick *t, gc_tick_result *res, gc_error *err)
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
	for (size_t i = 0; i < t->wr.n; i++)
		t->wr.updates[i].blob =
			t->wr.blobs[i][0] ? t->wr.blobs[i] : NULL;
	if ((error = gc_git_commit(commit, l->git, t->deploy, t->wr.updates,
				   t->wr.n, &a, &c, msg.ptr, err)) < 0)
		goto cleanup;
	if ((error = gc_git_update_branch(l->git, deploy_branch(l), t->deploy,
					  commit, err)) < 0)
		goto cleanup;
	snprintf(l->tree.commit, sizeof(l->tree.commit), "%s", commit);
	res->committed = true;
	snprintf(res->commit, sizeof(res->commit), "%s", commit);
	res->canaries_changed = nm;
	gc_info("%.12s %.*s", commit, (int)strcspn(msg.ptr, "\n"), msg.ptr);
	/* delivered before the note is written, so that it records them */
	send_events(t);
	for (size_t i = 0, k = 0; i < t->n; i++) {
		if (!t->d[i].changed)
			continue;
		msgs[k].deliveries = t->d[i].report.deliveries.batches;
		msgs[k++].ndeliveries = t->d[i].report.deliveries.nbatches;
	}
	write_notes(t, commit, msgs, nm);
cleanup:
	free(msgs);
	gc_buf_release(&msg);
	return error;
}

/* ---- one attempt ---- */

static void tick_release(tick *t)
{
	for (size_t i = 0; i < t->n; i++)
		done_release(&t->d[i]);
	free(t->d);
	free(t->wr.updates);
	free(t->wr.blobs);
	free(t->ready_error);
	gc_map_release(&t->pt.written);
	gc_map_release(&t->ch.paths);
	gc_map_release(&t->ch.configs);
	gc_map_release(&t->pt.kept);
	gc_map_release(&t->ch.deploy_ids);
	gc_map_release(&t->ch.deploy_pt);
	for (size_t i = 0; i < t->ch.nvanished; i++)
		free(t->ch.vanished[i]);
	free(t->ch.vanished);
}

static int resolve_heads(gc_loop *l, char deploy[GC_OID_HEX], gc_error *err)
{
	int error;

	if ((error = gc_git_fetch(l->git, err)) < 0 ||
	    (error = gc_git_resolve(l->source, l->git, l->source_branch, err)) <
		    0)
		return error;
	error = gc_git_resolve(deploy, l->git, deploy_branch(l), err);
	if (error == GC_ENOTFOUND) {
		gc_error_clear(err);
		deploy[0] = '\0';
		return 0;
	}
	return error;
}

/* Problems of a new source commit, once: path:line:col: message. */
static void log_source_problems(gc_loop *l)
{
	gc_problems *p = gc_index_problems(l->idx);

	gc_problems_sort(p);
	for (size_t i = 0; i < p->n; i++)
		gc_warn("%s:%u:%u: %s", p->v[i].path, p->v[i].line,
			p->v[i].column, p->v[i].msg);
}

/* When the canary is due next; INT64_MAX at rest or broken. */
static int64_t due_at(const gc_loop *l, const tick *t, const done *d)
{
	if (d->skipped)
		return d->cached->broken ? INT64_MAX : d->cached->due;
	if (d->broken || !d->spec_ok)
		return INT64_MAX;
	if (d->moved && !d->changed)
		return t->now; /* not written: try again */
	if (!d->has_status && !d->ran)
		return t->now;
	if (gc_machine_at_rest(d->stage.phase))
		return INT64_MAX;
	return gc_machine_next_due(d->interval_ms,
				   last_tick(l, d->id, d->persisted_tick));
}

/* What the canary read, for select_canaries() of later ticks. */
static void remember_inputs(gc_loop *l, const done *d)
{
	const gc_object *o = d->obj;
	const char *tname = d->target, *hname = d->hpa;
	const gc_object *target =
		gc_index_find(l->idx, "Deployment", o->namespace, tname);
	const gc_object *hpa = gc_index_find(l->idx, "HorizontalPodAutoscaler",
					     o->namespace, hname);
	char tkey[600], hkey[600];
	gc_canary_inputs in = { 0 };

	in.ns = o->namespace;
	in.paths[0] = o->doc->path;
	in.paths[1] = target ? target->doc->path : NULL;
	in.paths[2] = hpa ? hpa->doc->path : NULL;
	if (tname) {
		gc_canary_deps_key_of(tkey, sizeof(tkey), "Deployment",
				      o->namespace, tname);
		in.keys[0] = tkey;
	}
	if (hname) {
		gc_canary_deps_key_of(hkey, sizeof(hkey),
				      "HorizontalPodAutoscaler", o->namespace,
				      hname);
		in.keys[1] = hkey;
	}
	/* unchanged() never skips these */
	in.always = d->broken || !target || (hname && !hpa);
	gc_canary_deps_set(&l->can.deps, d->id, &in);
}

static void forget(gc_loop *l, const char *id)
{
	canary_cache *c = gc_map_gets(&l->can.cache, id);

	if (c) {
		disown_all(l, c);
		free(c);
		gc_map_sets(&l->can.cache, id, NULL);
	}
	gc_canary_deps_remove(&l->can.deps, id);
}

/*
 * Remembers every canary the tick looked at; forgets vanished ones. The
 * others keep what they had.
 */
static void update_cache(gc_loop *l, tick *t)
{
	gc_buf path = GC_BUF_INIT;
	const gc_map_entry *e;

	l->seen.gen++;
	for (size_t i = 0; i < t->n; i++) {
		const done *d = &t->d[i];
		canary_cache *c = gc_map_gets(&l->can.cache, d->id);
		int64_t due;

		/* only a tick that reached the deploy branch counts */
		if (d->ran)
			remember_tick(l, d->id, d->last_tick);
		due = due_at(l, t, d);
		gc_canary_deps_set_due(&l->can.deps, d->id, due);
		if (!c)
			continue;
		c->gen = l->seen.gen;
		if (d->skipped)
			continue;
		gc_buf_clear(&path);
		gc_layout_status_path(&path, d->obj->namespace, d->obj->name);
		c->status = gc_deploy_tree_hash(&l->tree, path.ptr);
		c->broken = d->broken;
		c->due = due;
		remember_inputs(l, d);
	}
	for (size_t i = 0; i < t->ch.nvanished; i++)
		forget(l, t->ch.vanished[i]);
	/* a full pass saw every canary: the others are gone */
	for (size_t i = 0; t->ch.all && gc_map_next(&l->can.cache, &i, &e);) {
		canary_cache *c = e->value;

		if (c && c->gen != l->seen.gen)
			forget(l, e->key);
	}
	l->seen.next_due = gc_canary_deps_next_due(&l->can.deps);
	gc_buf_release(&path);
}

static double clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int attempt(gc_loop *l, gc_tick_result *res, int64_t now, gc_error *err)
{
	tick t = { 0 };
	double t0;
	bool deploy_all;
	size_t ncanaries;
	int error;

	t.loop = l;
	t.now = now;
	t.wr.err = err;
	t0 = clock_ms();
	if ((error = resolve_heads(l, t.deploy, err)) < 0)
		return error;
	if (l->seen.valid && !strcmp(l->seen.source, l->source) &&
	    !strcmp(l->seen.deploy, t.deploy) && now < l->seen.next_due) {
		res->skipped = true;
		return 0;
	}
	if (!l->idx || strcmp(l->idx_source, l->source)) {
		gc_source_opts sopts = { .default_namespace =
						 l->opts.default_namespace,
					 .trees_on_demand = true };

		/* only the changed files; a full load first and on failure */
		if (!l->idx ||
		    gc_source_update_git(l->idx, l->git, l->idx_source,
					 l->source, &sopts, err) < 0) {
			if (l->idx)
				gc_debug(
					"tick: source update failed (%s); loading it all",
					gc_error_msg(err));
			gc_error_clear(err);
			gc_index_free(l->idx);
			l->idx = NULL;
			if ((error = gc_source_load_git(&l->idx, l->git,
							l->source, &sopts,
							err)) < 0)
				goto cleanup;
		}
		snprintf(l->idx_source, sizeof(l->idx_source), "%s", l->source);
		log_source_problems(l);
	}
	gc_debug("tick: source loaded at %.1f ms", clock_ms() - t0);
	t.source_moved = !l->seen.valid || strcmp(l->seen.source, l->source) ||
			 strcmp(l->seen.deploy, t.deploy);
	if ((error = gc_deploy_tree_update(&l->tree, l->git, t.deploy,
					   deploy_changed, &t, &deploy_all,
					   err)) < 0 ||
	    (error = find_changes(&t, err)) < 0)
		goto cleanup;
	t.ch.all |= deploy_all;
	select_canaries(&t);
	if ((error = process_canaries(&t, res, err)) < 0)
		goto cleanup;
	gc_debug("tick: %zu canaries processed at %.1f ms", t.n,
		 clock_ms() - t0);
	/* all canaries in a full pass; else only those selected */
	ncanaries = l->seen.ncanaries + t.ch.nnew;
	ncanaries = t.ch.all                     ? t.n
		    : ncanaries > t.ch.nvanished ? ncanaries - t.ch.nvanished
						 : 0;
	t.ch.canary_gone = t.ch.canary_gone || t.ch.nvanished ||
			   ncanaries != l->seen.ncanaries || !l->seen.gen ||
			   l->seen.problems;
	if ((t.source_moved || l->can.flipped.len) &&
	    (error = pass_through(&t, err)) < 0)
		goto cleanup;
	gc_debug("tick: passed through at %.1f ms", clock_ms() - t0);
	if (t.wr.layout_changed)
		kustomization(&t);
	if ((error = t.wr.error) < 0 ||
	    (t.wr.n && (error = commit_and_push(&t, res, err)) < 0))
		goto cleanup;
	if (!t.wr.n)
		send_events(&t); /* nothing to commit: the tick is final */
	snprintf(l->seen.source, sizeof(l->seen.source), "%s", l->source);
	snprintf(l->seen.deploy, sizeof(l->seen.deploy), "%s",
		 res->committed ? res->commit : t.deploy);
	l->seen.valid = true;
	gc_debug("tick: pushed at %.1f ms", clock_ms() - t0);
	update_cache(l, &t);
	l->seen.ncanaries = ncanaries;
	l->seen.problems = gc_index_problems(l->idx)->n != 0;
	snprintf(l->sel.cache_source, sizeof(l->sel.cache_source), "%s",
		 l->source);
cleanup:
	if (error < 0) {
		/* the tree was changed in place: read it again next time */
		gc_deploy_tree_release(&l->tree);
		gc_deploy_tree_init(&l->tree);
		l->seen.valid = false;
		clear_caches(l);
	}
	tick_release(&t);
	if (l->idx)
		gc_index_trim(l->idx); /* between ticks: identities only */
	return error;
}

int gc_loop_tick(gc_loop *l, gc_tick_result *res, int64_t now, gc_error *err)
{
	int max = l->opts.max_attempts > 0 ? l->opts.max_attempts : 5;
	int error = 0;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < max; i++) {
		res->attempts = i + 1;
		gc_error_clear(err);
		error = attempt(l, res, now ? now : (int64_t)time(NULL), err);
		if (error != GC_ECONFLICT)
			return error;
		gc_info("push to deploy branch '%s' lost (%s); fetching and recomputing",
			deploy_branch(l), gc_error_msg(err));
		memset(res, 0, sizeof(*res));
		res->attempts = i + 1;
	}
	return error;
}
