#ifndef GC_RECONCILER_LOOP_H
#define GC_RECONCILER_LOOP_H

/*
 * The reconcile loop (docs/reconcile.md): one tick fetches the repository,
 * runs every due canary's state machine with its checks, renders what
 * changed, and makes one commit on the deploy branch, pushed with
 * compare-and-swap (never forced). All state is read back from the deploy
 * branch; the in-memory caches only make ticks cheaper.
 */

#include <stdbool.h>
#include <stdint.h>

#include "reconciler/loop/shard.h"
#include "repo-layout/git.h"
#include "repo-layout/source.h"
#include "util/error.h"

#define GC_LOOP_MAX_CONNECT_TO 8

typedef struct gc_loop_opts {
	const char *repo;              /* path or URL; NULL = "." */
	const char *source_branch;     /* NULL = the remote HEAD branch */
	const char *deploy_branch;     /* NULL = "deploy" */
	const char *notes_ref;         /* NULL = "refs/notes/gitcanary" */
	const char *default_namespace; /* NULL = "default" */
	const char *author_name, *author_email;       /* NULL = gitcanary */
	const char *committer_name, *committer_email; /* NULL = author */
	int64_t min_interval_ms;      /* floor of analysis.interval; 0 = 10 s */
	bool assume_ready;            /* readiness always ready */
	const char *metrics_server;   /* NULL = http://prometheus:9090 */
	const char *readiness_server; /* NULL = metrics_server */
	const char *credentials_dir;  /* NULL = none */
	/* --connect-to HOST:PORT:TO_HOST:TO_PORT, NULL-terminated */
	const char *connect_to[GC_LOOP_MAX_CONNECT_TO + 1];
	const char *cache_dir;    /* clones of URLs; NULL = default */
	const char *ssh_key;      /* never logged */
	const char *token;        /* never logged */
	bool allow_insecure_http; /* credentials to an http:// remote */
	int max_attempts;         /* ticks retried after a lost push; 0 = 5 */
	/* --event-webhook: events of canaries without event hooks; NULL =
	 * none */
	const char *event_webhook;
	/* --include-label-prefix (gc_render_input); NULL = none */
	const char *include_label_prefix;
	/* --path roots, NULL-terminated; --kustomize-command (NULL = found) */
	const char *paths[GC_SOURCE_MAX_PATHS + 1];
	const char *kustomize_command;
	const char *flux_source; /* --flux-source; NULL = flux-system */
	/*
	 * The global notifier for canaries without analysis.alerts
	 * (Flagger's -slack-url, -slack-channel, -slack-user, -msteams-url;
	 * gc_alerts_global), what it receives (--alert-severity, NULL =
	 * info) and --cluster-name, the Cluster field of every alert.
	 */
	const char *slack_url, *slack_channel, *slack_user, *msteams_url;
	const char *alert_severity;
	const char *cluster_name;
	/* --signing-key: signs deploy and notes commits; never logged */
	const char *signing_key;
	/* --shard I/N: the canaries and deploy paths of the namespaces of
	 * shard I (shard.h); count 0 = every one */
	gc_shard shard;
} gc_loop_opts;

#define GC_LOOP_DEFAULT_DEPLOY "deploy"
#define GC_LOOP_DEFAULT_NOTES "refs/notes/gitcanary"
#define GC_LOOP_DEFAULT_NAME "gitcanary"
#define GC_LOOP_DEFAULT_EMAIL "gitcanary@localhost"

typedef struct gc_loop gc_loop;

/* What a tick did. */
typedef struct gc_tick_result {
	bool skipped;   /* nothing moved and nothing was due: no work */
	bool committed; /* a commit was pushed to the deploy branch */
	char commit[GC_OID_HEX];
	size_t canaries_changed;
	size_t canaries_broken; /* skipped because of validation problems */
	/* errors of the source itself (YAML syntax, duplicates, bad names) */
	size_t source_errors;
	int attempts; /* 1 + pushes lost to a concurrent writer */
	/* pushes of a shard lost to another shard's commit and replayed on
	 * top of it, without recomputing (not in attempts) */
	int rebases;
	/*
	 * The canary this tick looked at that is due first, and when
	 * (seconds since the epoch); "" and INT64_MAX when every canary is
	 * at rest. Not filled when skipped.
	 */
	char next_canary[320];
	int64_t next_due;
} gc_tick_result;

/* opts and its strings are borrowed and must outlive the loop. */
int gc_loop_new(gc_loop **out, const gc_loop_opts *opts, gc_error *err);
void gc_loop_free(gc_loop *loop);
/* One tick at time `now` (seconds since the epoch; 0 = the clock). */
int gc_loop_tick(gc_loop *loop, gc_tick_result *res, int64_t now,
		 gc_error *err);
/*
 * The source branch: --source-branch, or the remote HEAD's branch as
 * gc_loop_new resolved it; borrowed, fixed for the loop's life.
 */
const char *gc_loop_source_branch(const gc_loop *loop);
/*
 * Reads --signing-key's file again (SIGHUP in `gitcanary run`): the next
 * commits are signed with the new key. A key that cannot be read or
 * parsed is an error naming the file, and the old key stays in use. The
 * loop must have been made with a signing_key.
 */
int gc_loop_reload_signing_key(gc_loop *loop, gc_error *err);
/* Whether the remote answered at the last tick (gc_git_reachable). */
bool gc_loop_reachable(const gc_loop *loop);

#endif
