#ifndef GC_RECONCILER_LOOP_INTERNAL_H
#define GC_RECONCILER_LOOP_INTERNAL_H

/*
 * The loop's internals, shared by the files of reconciler/loop/ and by
 * nothing outside it (tests reach them through the static library).
 * Each struct has one owner, named in its comment.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconciler/checks/alert_hooks.h"
#include "reconciler/checks/check.h"
#include "reconciler/checks/event_hooks.h"
#include "reconciler/loop/canary_deps.h"
#include "reconciler/loop/loop.h"
#include "reconciler/release/canary_spec.h"
#include "reconciler/release/deploy_state.h"
#include "reconciler/release/machine.h"
#include "reconciler/release/message.h"
#include "render/render.h"
#include "render/revision.h"
#include "repo-layout/doc.h"
#include "repo-layout/names.h"
#include "repo-layout/source.h"
#include "util/map.h"

static inline const char *gc_loop__opt_or(const char *v, const char *def)
{
	return v && *v ? v : def;
}

/*
 * What the loop remembers of a canary between ticks, to skip it while its
 * inputs and its status file are unchanged and it is not due.
 */
typedef struct gc_canary_cache {
	uint64_t status;   /* content hash of its status file */
	int64_t due;       /* INT64_MAX: at rest or broken */
	const char **keys; /* pass-through exclusion keys it owns, borrowed
			    * from loop->can.owned */
	size_t nkeys;
	bool broken;
	unsigned gen; /* the last tick that saw the canary */
} gc_canary_cache;

typedef struct gc_passthru_cache {
	uint64_t file; /* content hash of the file as written */
} gc_passthru_cache;

/*
 * The pass-through paths of one source file's objects, owned by a canary
 * or not, in document order (loop->pt.files; loop->pt.src maps each path
 * back), so that a tick revisits only changed files and paths whose
 * ownership flipped.
 */
typedef struct gc_pt_file {
	char *src; /* the source file */
	char **paths;
	size_t n, alloc;
} gc_pt_file;

/* The cheap path: what the last complete tick saw (loop.c). */
typedef struct gc_loop_seen {
	char source[GC_OID_HEX], deploy[GC_OID_HEX];
	bool valid;
	int64_t next_due; /* INT64_MAX = nothing due */
	unsigned gen;     /* ticks completed */
	size_t ncanaries; /* canaries in the source */
	bool problems;    /* its source had problems */
} gc_loop_seen;

/* Which source files changed since the caches (select.c). */
typedef struct gc_loop_select {
	gc_map configs; /* source path -> "ns\n..." of its ConfigMaps/Secrets */
	char cache_source[GC_OID_HEX]; /* source the caches describe */
	size_t plan_gen; /* gc_source_plan_gen of the index then */
} gc_loop_select;

/* What each canary was, owned and read (canary.c; loop.c's update_cache
 * records a complete tick). */
typedef struct gc_loop_canaries {
	gc_map ticks;   /* "ns/name" -> int64_t* last tick not persisted */
	gc_map cache;   /* "ns/name" -> gc_canary_cache* */
	gc_map owned;   /* pass-through key -> number of canaries owning it */
	gc_map flipped; /* keys owned or disowned since the last pass */
	gc_canary_deps deps; /* what each cached canary read, when due */
} gc_loop_canaries;

/* What pass-through wrote (passthrough.c). */
typedef struct gc_loop_passthru {
	gc_map written; /* path -> gc_passthru_cache* of the object written */
	size_t nwritten;
	gc_map files; /* source path -> gc_pt_file* (pass_changed) */
	gc_map src;   /* pass-through path -> gc_pt_file* of its object */
	bool ready;   /* files describes the source */
} gc_loop_passthru;

struct gc_loop {
	gc_loop_opts opts;
	gc_git *git;
	char *source_branch; /* owned */
	char source[GC_OID_HEX];
	gc_index *idx;
	char idx_source[GC_OID_HEX]; /* the commit idx describes */
	gc_deploy_tree tree;
	gc_loop_seen seen;
	gc_loop_select sel;
	gc_loop_canaries can;
	gc_loop_passthru pt;
	gc_alert_dest alert_global; /* the global notifier (type, url...) */
	bool has_alert_global;
};

/* ConfigMaps/Secrets of the source, for render and config tracking. */
typedef struct gc_source_configs {
	const gc_index *idx;
	const char *ns;
	const gc_doc *docs[4]; /* per gc_render_source, for locate */
} gc_source_configs;

/*
 * The primary's ConfigMap/Secret copies as the deploy branch holds them,
 * read and parsed on first use.
 */
typedef struct gc_promoted_configs {
	gc_git *git;
	const char *deploy; /* commit; "" = no deploy branch */
	const gc_deploy_tree *tree;
	const char *ns, *canary;
	/* where a config without a copy comes from */
	gc_source_configs *source;
	gc_doclist docs; /* the parsed copies */
	gc_map paths;    /* path -> its root in docs */
} gc_promoted_configs;

/* A canary's stage after the tick: the machine's, else the old one. */
typedef struct gc_canary_stage {
	gc_phase phase;
	int canary_weight, primary_weight, release_max_weight;
	int failed_checks, old_failed_checks;
	char source_commit[GC_OID_HEX];
	char ab_match[GC_MESSAGE_MATCH_MAX]; /* A/B: gc_message_match */
	gc_strategy strategy; /* for /metrics: of the spec, when it parsed */
	bool skip_analysis;
} gc_canary_stage;

/* What a canary's tick said: events, checks run, their webhooks. */
typedef struct gc_canary_report {
	gc_event *events; /* owned, taken from the machine's output */
	size_t nevents;
	gc_check_batch *batches; /* owned, without their specs */
	size_t nbatches;
	gc_hook_list event_hooks; /* its event webhooks, items in hooks */
	cJSON *hooks;             /* owned copies: the index drops its trees */
	/* event webhook deliveries of its events, once the tick is final */
	gc_event_hooks_canary deliveries;
	/* where its events' alerts go, resolved while its tree is loaded
	 * (owned; canary.c resolve_alerts), and their deliveries */
	bool alerts_due; /* some event raised an alert */
	bool own_alerts; /* it has analysis.alerts */
	gc_alert_dest *alert_dests;
	size_t nalert_dests;
	gc_alert_fields alert_metadata;
	gc_alert_hooks_canary alerts;
} gc_canary_report;

/*
 * What the rest of the tick (commit message, notes, event webhooks,
 * caches) reads of a canary once it is written. A tick keeps one of these
 * per canary it looks at; the work of the chunk in hand embeds it, fills
 * it as it goes and hands it back whole (canary.c: take_done).
 */
typedef struct gc_canary_done {
	const gc_object *obj;
	char *id; /* "<ns>/<name>", owned */
	const gc_canary_cache *cached;
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
	gc_canary_stage stage;
	gc_canary_report report;
} gc_canary_done;

/* The tracked configs of the target and of the primary's copies
 * (canary_configs.c). */
typedef struct gc_canary_configs {
	gc_source_configs source;
	gc_promoted_configs promoted;
	cJSON *configs;          /* owned: the target's trackedConfigs now */
	cJSON *promoted_configs; /* owned: the same for the primary's copies */
} gc_canary_configs;

/* The machine's run of one canary (canary_run.c). */
typedef struct gc_canary_run {
	gc_machine_in in;
	gc_machine_out out;
	gc_check_batch batches[GC_MACHINE_MAX_BATCHES];
	size_t nbatches;
	gc_check_ctx ctx;
	char *ready_msg[2];
	char *primary_name; /* "<T>-primary", owned */
	bool finished;      /* the machine said GC_MACHINE_DONE */
} gc_canary_run;

/* One canary of the chunk in hand (canary.c, process_chunk). */
typedef struct gc_canary_work {
	gc_canary_done d; /* what outlives the chunk */
	const gc_object *target, *hpa;
	const gc_object *apex_service; /* the source's, taken over; or NULL */
	gc_canary_spec spec;
	bool due;
	gc_deploy_canary old, next;
	gc_canary_configs cfg;
	gc_canary_run m;
	cJSON *rendered;   /* owned array; freed once written */
	bool was_rendered; /* rendered this tick (w->next has the files) */
	bool inputs_changed;
} gc_canary_work;

/* Changes of the source and the deploy branch a tick looks at (select.c). */
typedef struct gc_tick_changes {
	gc_map paths;      /* source files changed since the caches were made */
	bool all;          /* no cache, or a kustomization changed */
	gc_map configs;    /* namespaces with a changed ConfigMap/Secret */
	gc_map deploy_ids; /* canaries whose status file moved */
	gc_map deploy_pt;  /* pass-through files another writer changed */
	char **vanished;   /* cached canaries no longer in the source */
	size_t nvanished;
	size_t nnew;      /* canaries looked at, not in the cache */
	bool canary_gone; /* a canary may have left the source */
} gc_tick_changes;

/* The files of the tick's commit (commit.c: write_file, delete_file). */
typedef struct gc_tick_writes {
	gc_git_update *updates;    /* paths borrowed from loop->tree */
	char (*blobs)[GC_OID_HEX]; /* per update: "" = deletion */
	size_t n, alloc;
	int error; /* a blob that could not be written; in err */
	gc_error *err;
	bool layout_changed; /* a file was added or deleted */
} gc_tick_writes;

/* Pass-through's part of one tick (passthrough.c). */
typedef struct gc_tick_passthru {
	gc_map written;          /* paths written by pass-through */
	bool new_path;           /* it wrote a path it never had */
	size_t npassed;          /* objects written since a trim */
	const char *passed_file; /* the source file of the last one */
	gc_map kept; /* pass-through keys of canaries kept while broken */
} gc_tick_passthru;

/* One attempt at a tick (loop.c: attempt). */
typedef struct gc_tick {
	gc_loop *loop;
	int64_t now;
	char deploy[GC_OID_HEX];
	bool source_moved;
	gc_canary_done *d; /* the canaries the tick looks at */
	size_t n;
	char *ready_error; /* the readiness server failed this tick: why */
	gc_tick_changes ch;
	gc_tick_writes wr;
	gc_tick_passthru pt;
	int rebases; /* lost pushes replayed on another shard's commit */
} gc_tick;

/*
 * The functions one file of loop/ lends another, in the order a tick
 * calls them (loop.c's attempt). Pointers are borrowed unless said.
 */

/* select.c: the changes since the caches, and the canaries they reach. */
/* gc_deploy_tree_update callback: status files and pass-through files
 * another writer changed (payload: the tick). */
int gc_loop__deploy_changed(const char *path, void *payload);
/* t->ch.paths and t->ch.configs: the source files changed since the
 * caches (all without caches) and the namespaces of changed configs. */
int gc_loop__find_changes(gc_tick *t, gc_error *err);
/* t->d: the canaries the tick looks at, in index order; t->ch.vanished. */
void gc_loop__select_canaries(gc_tick *t);
/* True when o (NULL: a missing object) is in a changed file. */
bool gc_loop__path_changed(const gc_tick *t, const gc_object *o);
/* The Canary ns/name of the source, or NULL. */
const gc_object *gc_loop__find_canary(const gc_index *idx, const char *ns,
				      const char *name);

/* canary.c: load, run, render and write t->d, a chunk at a time. */
int gc_loop__process_canaries(gc_tick *t, gc_tick_result *res, gc_error *err);
/* Forgets the cached canary id and disowns its keys. */
void gc_loop__uncache(gc_loop *l, const char *id);
/* Empties every cache of can but its tick map. */
void gc_loop__canaries_clear(gc_loop_canaries *can);
void gc_loop__done_release(gc_canary_done *d);

/* canary_configs.c: the tracked configs and render's lookups. */
/* w->cfg: the target's trackedConfigs and, when its template is the
 * promoted one, the primary's copies'; < 0 (logged) breaks the canary. */
int gc_loop__track_configs(gc_canary_work *w, gc_tick *t);
/* The render input of w: the canary, its target, HPA and configs. */
void gc_loop__render_input(gc_render_input *in, gc_canary_work *w,
			   const gc_tick *t);
/* gc_render_lookup_fn of the primary's copies (payload: w->cfg.promoted). */
const cJSON *gc_loop__promoted_lookup(const char *kind, const char *name,
				      void *payload);
void gc_loop__promoted_release(gc_promoted_configs *p);
/* The root of kind ns/name in the source, or NULL. */
const cJSON *gc_loop__find_root(const gc_index *idx, const char *kind,
				const char *ns, const char *name);

/* canary_run.c: readiness and the machines of a chunk's due canaries. */
int gc_loop__run_machines(gc_tick *t, gc_canary_work *ws, size_t nw,
			  gc_error *err);

/* passthrough.c */
/* Vanished canaries, then the source objects no canary owns. */
int gc_loop__pass_through(gc_tick *t, gc_error *err);
/* Writes kustomization.yaml listing every applied file. */
void gc_loop__kustomization(gc_tick *t);
/* Empties pt (after an error). */
void gc_loop__passthru_clear(gc_loop_passthru *pt);

/* commit.c */
/* Writes path unless it holds these bytes; true when it changed. */
bool gc_loop__write_file(gc_tick *t, const char *path, const gc_buf *data);
/* Deletes path if it is there; true when it was. */
bool gc_loop__delete_file(gc_tick *t, const char *path);
/* Commits t->wr, pushes it, sends the events and writes the notes. */
int gc_loop__commit_and_push(gc_tick *t, gc_tick_result *res, gc_error *err);
/*
 * Logs the tick's events and sends them to the event webhooks, once the
 * tick is final; commit is the deploy commit pushed, or NULL.
 */
void gc_loop__send_events(gc_tick *t, const char *commit);
/* The deploy branch's name (opts or the default). */
const char *gc_loop__deploy_branch(const gc_loop *l);

/* outcomes.c */
/* The outcome notes of the releases t ended, deploy commit `commit`. */
void gc_loop__write_outcomes(gc_tick *t, const char *commit,
			     const gc_git_signature *sig);

/* rebase.c */
/* After a lost push of a shard: moves the tick's writes onto the new
 * deploy head when only other shards' paths changed there (t->deploy is
 * then that head); false when the tick must start over. */
bool gc_loop__rebase(gc_tick *t);

/* loop.c */
/* The canary's last tick: this process's or its status file's, the later. */
int64_t gc_loop__last_tick(const gc_loop *l, const char *id, int64_t persisted);
/* Frees every value of m and releases it (empty and usable after). */
void gc_loop__free_values(gc_map *m);

#endif
