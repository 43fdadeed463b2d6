#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "reconciler/loop/loop.h"
#include "reconciler/loop/shard.h"
#include "util/alloc.h"
#include "util/log.h"

/*
 * Shards (--shard I/N, docs/operations.md#shards): four gc_loop instances
 * in one process, each with its own handle on one bare repository, tick
 * at the same (fake) times in four threads, so their compare-and-swaps of
 * the deploy ref race. (A path, not a file:// URL: libgit2's local
 * transport moves a pushed ref without comparing it, so two racing pushes
 * over file:// both succeed; a git server's receive-pack, over ssh or
 * https, compares and refuses.) A fifth loop without
 * --shard runs the same releases on a copy of the remote. What the
 * shards leave must be what the one instance leaves: every file of the
 * deploy branch goes through the same versions in the same order (so no
 * stage is lost or written twice), and each shard's commits touch only
 * the paths of its namespaces.
 */

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"
#define T0 2000000000
#define NSHARDS 4
#define NNS 40  /* namespaces */
#define PER 25  /* canaries per namespace: 1,000 */
#define STEP 60 /* analysis.interval */
/*
 * No automatic gc in the bare repositories the loops write in place: the
 * gc a push to one starts in the background removes empty object
 * directories, and a loop writing a loose object there at that moment
 * finds its directory gone ("failed to rename lockfile ...").
 */
#define NO_GC(repo)                                              \
	"git --git-dir=" repo " config receive.autogc false && " \
	"git --git-dir=" repo " config gc.auto 0 && "

typedef struct env {
	char *dir;
	char *url, *ref_url;
	gc_loop_opts opts[NSHARDS], ref_opts;
	char names[NSHARDS][16];
	char caches[NSHARDS + 1][512];
	gc_loop *shards[NSHARDS], *one;
	int attempts; /* of every shard tick */
	int rebases;  /* pushes lost to another shard and replayed */
	int ticks;
	gc_buf out;
} env;

static const char canary_fmt[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n  name: %s\n  namespace: %s\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: %s\n"
	"  service:\n    port: 9898\n"
	"  analysis:\n    interval: %s\n    threshold: 5\n    maxWeight: 20\n"
	"    stepWeight: 10\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n  name: %s\n  namespace: %s\n"
	"spec:\n  replicas: 2\n"
	"  selector:\n    matchLabels:\n      app: %s\n"
	"  template:\n    metadata:\n      labels:\n        app: %s\n"
	"    spec:\n      containers:\n      - name: app\n"
	"        image: example/app:%s\n"
	"---\n";

static void sh_ok(env *e, const char *fmt, ...) GC_PRINTF(2, 3);

static void sh_ok(env *e, const char *fmt, ...)
{
	gc_buf cmd = GC_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	gc_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	rc = gc_test_sh(&e->out, NULL, "cd '%s' && { %s; } 2>&1", e->dir,
			cmd.ptr);
	ck_assert_msg(rc == 0, "%s: exit %d\n%s", cmd.ptr, rc, e->out.ptr);
	gc_buf_release(&cmd);
}

/* src/<ns>.yaml: n canaries with their targets, and a ConfigMap. */
static void write_apps(env *e, int k, const char *tag, int n,
		       const char *interval)
{
	char *path = gc_xasprintf("%s/src/ns-%02d.yaml", e->dir, k);
	char ns[16], name[16];
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	snprintf(ns, sizeof(ns), "ns-%02d", k);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "app-%02d", i);
		fprintf(f, canary_fmt, name, ns, name, interval, name, ns, name,
			name, tag);
	}
	fprintf(f,
		"apiVersion: v1\nkind: ConfigMap\n"
		"metadata:\n  name: settings\n  namespace: %s\n"
		"data:\n  tag: \"%s\"\n",
		ns, tag);
	fclose(f);
	free(path);
}

static void write_ns(env *e, int k, const char *tag)
{
	write_apps(e, k, tag, PER, "60s");
}

/* Every namespace as a cluster-scoped object: shard 0's to pass through. */
static void write_namespaces(env *e)
{
	char *path = gc_xasprintf("%s/src/namespaces.yaml", e->dir);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	for (int k = 0; k < NNS; k++)
		fprintf(f,
			"%sapiVersion: v1\nkind: Namespace\n"
			"metadata:\n  name: ns-%02d\n",
			k ? "---\n" : "", k);
	fclose(f);
	free(path);
}

static void push(env *e, const char *subject)
{
	sh_ok(e,
	      "cd src && git add -A && " GIT " commit -qm '%s' && "
	      "git push -q origin main && git push -q one main",
	      subject);
}

static void new_shard(env *e, int i)
{
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_loop_new(&e->shards[i], &e->opts[i], &err) == 0, "%s",
		      gc_error_msg(&err));
}

static void opts_init(gc_loop_opts *o, const char *url, const char *cache,
		      const char *committer)
{
	memset(o, 0, sizeof(*o));
	o->repo = url;
	o->source_branch = "main";
	o->assume_ready = true;
	o->min_interval_ms = 1000;
	o->cache_dir = cache;
	o->committer_name = committer;
	o->committer_email = "gitcanary@localhost";
}

static void env_setup(env *e)
{
	gc_error err = GC_ERROR_INIT;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_log_set_level(getenv("LC_DEBUG") ? GC_LOG_DEBUG : GC_LOG_ERROR);
	e->dir = gc_test_tmpdir();
	sh_ok(e,
	      "git init -q --bare -b main remote.git && "
	      "git init -q --bare -b main one.git && " NO_GC("remote.git") "git clone -q remote.git src 2>/dev/null && " NO_GC(
		      "one.git") "git -C src remote add one ../one.git");
	for (int k = 0; k < NNS; k++)
		write_ns(e, k, "1.0.0");
	write_namespaces(e);
	push(e, "apps");
	e->url = gc_xasprintf("%s/remote.git", e->dir);
	e->ref_url = gc_xasprintf("%s/one.git", e->dir);
	for (int i = 0; i < NSHARDS; i++) {
		snprintf(e->names[i], sizeof(e->names[i]), "shard-%d", i);
		snprintf(e->caches[i], sizeof(e->caches[i]), "%s/cache-%d",
			 e->dir, i);
		opts_init(&e->opts[i], e->url, e->caches[i], e->names[i]);
		e->opts[i].shard.index = (unsigned)i;
		e->opts[i].shard.count = NSHARDS;
		new_shard(e, i);
	}
	snprintf(e->caches[NSHARDS], sizeof(e->caches[NSHARDS]), "%s/cache-one",
		 e->dir);
	opts_init(&e->ref_opts, e->ref_url, e->caches[NSHARDS], "one");
	ck_assert_int_eq(gc_loop_new(&e->one, &e->ref_opts, &err), 0);
}

static void env_free(env *e)
{
	for (int i = 0; i < NSHARDS; i++)
		gc_loop_free(e->shards[i]);
	gc_loop_free(e->one);
	if (!getenv("GC_KEEP"))
		gc_test_rmrf(e->dir);
	else
		fprintf(stderr, "kept %s\n", e->dir);
	free(e->dir);
	free(e->url);
	free(e->ref_url);
	gc_buf_release(&e->out);
}

typedef struct shard_tick {
	gc_loop *loop;
	int64_t now;
	int rc;
	gc_tick_result res;
	gc_error err;
} shard_tick;

static void *tick_thread(void *arg)
{
	shard_tick *s = arg;

	s->rc = gc_loop_tick(s->loop, &s->res, s->now, &s->err);
	return NULL;
}

/* Every shard ticks at now, at the same time; then the one instance. */
static void round_at(env *e, int64_t now)
{
	shard_tick s[NSHARDS];
	pthread_t th[NSHARDS];
	gc_tick_result res;
	gc_error err = GC_ERROR_INIT;

	for (int i = 0; i < NSHARDS; i++) {
		s[i].loop = e->shards[i];
		s[i].now = now;
		memset(&s[i].err, 0, sizeof(s[i].err)); /* GC_ERROR_INIT */
		ck_assert_int_eq(pthread_create(&th[i], NULL, tick_thread,
						&s[i]),
				 0);
	}
	for (int i = 0; i < NSHARDS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(s[i].rc == 0, "shard %d: %s", i,
			      gc_error_msg(&s[i].err));
		gc_error_release(&s[i].err);
		e->attempts += s[i].res.attempts;
		e->rebases += s[i].res.rebases;
		e->ticks++;
	}
	ck_assert_msg(gc_loop_tick(e->one, &res, now, &err) == 0, "%s",
		      gc_error_msg(&err));
}

/* "count phase" lines of the status files of the deploy branch of repo. */
static char *phases(env *e, const char *repo)
{
	sh_ok(e,
	      "git --git-dir=%s.git grep -h '^  phase: ' deploy -- "
	      ".gitcanary/status | sort | uniq -c | sed 's/^ *//; s/  */ /g'",
	      repo);
	return gc_xstrdup(e->out.ptr);
}

/*
 * Every file of the deploy branch of repo (kustomization.yaml aside, which
 * lists whatever the tree holds at each commit) with the blob of each of
 * its versions, oldest first: one line per version, by path.
 */
static void versions(env *e, const char *repo)
{
	char *cmd = gc_xasprintf(
		"git --git-dir=%s.git log --reverse --raw --no-abbrev "
		"--format= deploy | awk '$6 != \"kustomization.yaml\" "
		"{print $6, $4}' | sort -s -k1,1 > %s.versions",
		repo, repo);

	sh_ok(e, "%s", cmd);
	free(cmd);
}

/*
 * The paths each deploy commit changed, by committer: every one must be
 * a path of the committer's shard (kustomization.yaml is every shard's).
 * Returns the number of commits of each shard in per[].
 */
static void check_ownership(env *e, unsigned count, int per[NSHARDS])
{
	char *lines, *save = NULL;
	int who = -1;
	gc_shard s = { 0, count };

	sh_ok(e, "git --git-dir=remote.git log --format='C %%cn' --name-only "
		 "deploy");
	lines = gc_xstrdup(e->out.ptr);
	for (char *l = strtok_r(lines, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "C shard-", 8)) {
			who = atoi(l + 8);
			ck_assert(who >= 0 && who < (int)count);
			per[who]++;
			continue;
		}
		ck_assert_msg(who >= 0, "a commit of no shard: %s", l);
		s.index = (unsigned)who;
		ck_assert_msg(gc_shard_owns_path(&s, l),
			      "shard %d changed %s, another shard's path", who,
			      l);
	}
	free(lines);
}

static int count_lines(env *e, const char *cmd)
{
	sh_ok(e, "%s", cmd);
	return atoi(e->out.ptr);
}

START_TEST(test_shards__four_shards_release_like_one)
{
	env e;
	char *want, *got;
	int per[NSHARDS] = { 0 }, r;

	env_setup(&e);
	round_at(&e, T0);
	got = phases(&e, "remote");
	ck_assert_str_eq(got, "1000 phase: Initialized\n");
	free(got);
	for (int k = 0; k < NNS; k++)
		write_ns(&e, k, "1.0.1");
	push(&e, "bump every app");
	for (r = 1; r < 20; r++) {
		round_at(&e, T0 + STEP * r);
		/* shard 2 dies between ticks mid-release; its replacement
		 * starts from nothing but the deploy branch */
		if (r == 3) {
			gc_loop_free(e.shards[2]);
			new_shard(&e, 2);
		}
		got = phases(&e, "remote");
		if (!strcmp(got, "1000 phase: Succeeded\n")) {
			free(got);
			break;
		}
		free(got);
	}
	ck_assert_int_lt(r, 20);
	want = phases(&e, "one");
	ck_assert_str_eq(want, "1000 phase: Succeeded\n");
	free(want);

	/* the same files, each through the same versions in the same order */
	sh_ok(&e, "test $(git --git-dir=remote.git rev-parse deploy^{tree}) = "
		  "$(git --git-dir=one.git rev-parse deploy^{tree})");
	versions(&e, "remote");
	versions(&e, "one");
	sh_ok(&e, "diff one.versions remote.versions | head -20; "
		  "cmp -s one.versions remote.versions");
	/* 1,000 canaries through 6 stages, 40 ConfigMaps and Namespaces */
	ck_assert_int_gt(count_lines(&e, "grep -c '^.gitcanary/status/' "
					 "remote.versions"),
			 6000);

	/* each commit by one shard, on its own namespaces' paths only */
	check_ownership(&e, NSHARDS, per);
	for (int i = 0; i < NSHARDS; i++)
		ck_assert_msg(per[i] >= 6, "shard %d made %d commits", i,
			      per[i]);
	sh_ok(&e, "git --git-dir=remote.git log --format='%%cn' deploy -- "
		  "_cluster | sort -u");
	ck_assert_str_eq(e.out.ptr, "shard-0\n");
	ck_assert_int_eq(count_lines(&e, "git --git-dir=remote.git rev-list "
					 "--merges deploy | wc -l"),
			 0);

	/* every deploy commit has its evidence note; the bump's outcome
	 * note lists all 1,000 releases, written by four shards */
	ck_assert_int_eq(count_lines(&e,
				     "for c in $(git --git-dir=remote.git "
				     "rev-list deploy); do git "
				     "--git-dir=remote.git notes "
				     "--ref=gitcanary show $c >/dev/null || "
				     "echo $c; done | wc -l"),
			 0);
	ck_assert_int_eq(count_lines(&e,
				     "git --git-dir=remote.git notes "
				     "--ref=gitcanary show main | "
				     "grep -c '\"outcome\":.*\"promoted\"'"),
			 1000);
	/* the pushes did race, and lost pushes were replayed on top of the
	 * other shard's commit */
	ck_assert_msg(e.rebases > 0, "%d attempts and %d replays in %d ticks",
		      e.attempts, e.rebases, e.ticks);
	env_free(&e);
}
END_TEST

/*
 * Two shards: team-a is shard 0's, default shard 1's. A Canary arriving
 * in default takes its target over in one commit of shard 1 (the target's
 * pass-through copy goes as its rendered objects come); deleted, it lets
 * the target go in one commit of shard 1 too. Shard 0 never writes a path
 * of default, and alone writes the cluster-scoped objects.
 */
static const char api_canary[] =
	"apiVersion: flagger.app/v1beta1\nkind: Canary\n"
	"metadata:\n  name: api\n  namespace: default\n"
	"spec:\n  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: api\n  service:\n    port: 80\n"
	"  analysis:\n    interval: 60s\n    threshold: 5\n"
	"    maxWeight: 20\n    stepWeight: 10\n";

static void write_file(env *e, const char *name, const char *text)
{
	char *path = gc_xasprintf("%s/src/%s", e->dir, name);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void deployment_of(env *e, const char *ns, const char *name)
{
	char *file = gc_xasprintf("%s-%s.yaml", ns, name);
	char *text = gc_xasprintf(
		"apiVersion: apps/v1\nkind: Deployment\n"
		"metadata:\n  name: %s\n  namespace: %s\n"
		"spec:\n  selector:\n    matchLabels:\n      app: %s\n"
		"  template:\n    metadata:\n      labels:\n        app: %s\n"
		"    spec:\n      containers:\n      - name: app\n"
		"        image: example/%s:1.0.0\n",
		name, ns, name, name, name);

	write_file(e, file, text);
	free(file);
	free(text);
}

/* Ticks shard i at now; want: the deploy commit's name-status, or NULL
 * for no commit. */
static void tick_one(env *e, int i, int64_t now, const char *want)
{
	gc_tick_result res;
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_loop_tick(e->shards[i], &res, now, &err) == 0, "%s",
		      gc_error_msg(&err));
	ck_assert_msg(res.committed == (want != NULL), "shard %d: %s", i,
		      res.committed ? "a commit" : "no commit");
	if (!want)
		return;
	sh_ok(e, "git --git-dir=remote.git show --format='%%cn' "
		 "--name-status --no-renames deploy | grep -v '^$'");
	ck_assert_str_eq(e->out.ptr, want);
}

START_TEST(test_shards__takeover_and_release_are_one_commit)
{
	env e;
	gc_error err = GC_ERROR_INIT;

	ck_assert_uint_eq(gc_shard_of("team-a", 2), 0);
	ck_assert_uint_eq(gc_shard_of("default", 2), 1);
	memset(&e, 0, sizeof(e));
	gc_buf_init(&e.out);
	gc_log_set_level(GC_LOG_ERROR);
	e.dir = gc_test_tmpdir();
	sh_ok(&e,
	      "git init -q --bare -b main remote.git && " NO_GC(
		      "remote.git") "git clone -q remote.git src 2>/dev/null");
	deployment_of(&e, "team-a", "web");
	deployment_of(&e, "default", "api");
	write_file(&e, "ns.yaml",
		   "apiVersion: v1\nkind: Namespace\n"
		   "metadata:\n  name: team-a\n");
	sh_ok(&e, "cd src && git add -A && " GIT " commit -qm apps && "
		  "git push -q origin main");
	e.url = gc_xasprintf("%s/remote.git", e.dir);
	for (int i = 0; i < 2; i++) {
		snprintf(e.names[i], sizeof(e.names[i]), "shard-%d", i);
		opts_init(&e.opts[i], e.url, NULL, e.names[i]);
		e.opts[i].shard.index = (unsigned)i;
		e.opts[i].shard.count = 2;
		ck_assert_int_eq(gc_loop_new(&e.shards[i], &e.opts[i], &err),
				 0);
	}
	tick_one(&e, 0, T0,
		 "shard-0\nA\t_cluster/namespace-team-a.yaml\n"
		 "A\tkustomization.yaml\n"
		 "A\tteam-a/_/deployment-web.yaml\n");
	tick_one(&e, 1, T0,
		 "shard-1\nA\tdefault/_/deployment-api.yaml\n"
		 "M\tkustomization.yaml\n");

	write_file(&e, "default-api-canary.yaml", api_canary);
	sh_ok(&e, "cd src && git add -A && " GIT " commit -qm canary && "
		  "git push -q origin main");
	tick_one(&e, 0, T0 + 60, NULL);
	tick_one(&e, 1, T0 + 60,
		 "shard-1\nA\t.gitcanary/status/default/api.yaml\n"
		 "D\tdefault/_/deployment-api.yaml\n"
		 "A\tdefault/api/deployment-api-primary.yaml\n"
		 "A\tdefault/api/deployment-api.yaml\n"
		 "A\tdefault/api/destinationrule-api-canary.yaml\n"
		 "A\tdefault/api/destinationrule-api-primary.yaml\n"
		 "A\tdefault/api/service-api-canary.yaml\n"
		 "A\tdefault/api/service-api-primary.yaml\n"
		 "A\tdefault/api/service-api.yaml\n"
		 "A\tdefault/api/virtualservice-api.yaml\n"
		 "M\tkustomization.yaml\n");

	sh_ok(&e, "cd src && git rm -q default-api-canary.yaml && " GIT
		  " commit -qm 'no canary' && git push -q origin main");
	tick_one(&e, 0, T0 + 120, NULL);
	tick_one(&e, 1, T0 + 120,
		 "shard-1\nD\t.gitcanary/status/default/api.yaml\n"
		 "A\tdefault/_/deployment-api.yaml\n"
		 "D\tdefault/api/deployment-api-primary.yaml\n"
		 "D\tdefault/api/deployment-api.yaml\n"
		 "D\tdefault/api/destinationrule-api-canary.yaml\n"
		 "D\tdefault/api/destinationrule-api-primary.yaml\n"
		 "D\tdefault/api/service-api-canary.yaml\n"
		 "D\tdefault/api/service-api-primary.yaml\n"
		 "D\tdefault/api/service-api.yaml\n"
		 "D\tdefault/api/virtualservice-api.yaml\n"
		 "M\tkustomization.yaml\n");
	env_free(&e);
}
END_TEST

/* --shard is checked before anything runs. */
START_TEST(test_shards__usage)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	int rc = gc_test_sh(&out, &err,
			    "'%s' reconcile --once --repo /nonexistent "
			    "--shard 4/4",
			    gc_test_binary);

	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(err.ptr, "gitcanary reconcile: --shard must be I/N "
				  "with 0 <= I < N <= 256, not '4/4'\n");
	rc = gc_test_sh(&out, &err, "'%s' run --help", gc_test_binary);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, "  --shard I/N "));
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

#define NO_FILE_URL                                                        \
	"--shard needs a remote that compares the deploy branch before "   \
	"moving it, and a file:// URL does not (libgit2's local "          \
	"transport: two shards' racing pushes would both succeed and one " \
	"commit would be lost); give the repository as a plain path"

/*
 * Shards of a file:// URL are refused before anything runs (its pushes
 * do not compare-and-swap); one shard of one, and a plain path, are not.
 */
START_TEST(test_shards__file_url_refused)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();
	int rc;

	rc = gc_test_sh(&out, &err,
			"'%s' reconcile --once --repo file:///srv/git/apps.git "
			"--shard 1/2",
			gc_test_binary);
	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(err.ptr, "gitcanary reconcile: " NO_FILE_URL
				  " (--repo /srv/git/apps.git) or an ssh:// "
				  "URL\n");
	rc = gc_test_sh(&out, &err,
			"'%s' run --listen '' --repo FILE://host/apps.git "
			"--shard 0/3",
			gc_test_binary);
	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(err.ptr,
			 "gitcanary run: " NO_FILE_URL " or an ssh:// URL\n");
	/* these go on, to find no repository there */
	rc = gc_test_sh(&out, &err,
			"'%s' reconcile --once --repo file:///nonexistent.git "
			"--shard 0/1 --cache-dir '%s/cache' 2>&1 | tail -n 1",
			gc_test_binary, dir);
	ck_assert_str_eq(out.ptr,
			 "gitcanary reconcile: cannot fetch "
			 "'file:///nonexistent.git': failed to resolve path "
			 "'/nonexistent.git': No such file or directory\n");
	rc = gc_test_sh(&out, &err,
			"'%s' reconcile --once --repo /nonexistent.git "
			"--shard 1/2 2>&1 | tail -n 1",
			gc_test_binary);
	ck_assert_str_eq(out.ptr,
			 "gitcanary reconcile: cannot open repository "
			 "'/nonexistent.git': failed to resolve path "
			 "'/nonexistent.git': No such file or directory\n");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* `gitcanary run --shard i/2` in the background, its pid in shard-i.pid. */
static void daemon_start(env *e, int i)
{
	sh_ok(e,
	      "n=$(grep -c ' watching ' shard-%d.log 2>/dev/null || true); "
	      "'%s' run --repo remote.git --shard %d/2 --assume-ready "
	      "--min-interval 1s --poll 100ms --listen '' "
	      "--committer 'shard-%d <gitcanary@localhost>' "
	      ">>shard-%d.log 2>&1 </dev/null & echo $! >shard-%d.pid; "
	      "for k in $(seq 200); do "
	      "[ \"$(grep -c ' watching ' shard-%d.log)\" -gt \"${n:-0}\" ] "
	      "&& break; sleep 0.05; done",
	      i, gc_test_binary, i, i, i, i, i);
}

static void daemon_signal(env *e, int i, const char *sig)
{
	sh_ok(e,
	      "pid=$(cat shard-%d.pid) && kill -%s $pid && "
	      "while kill -0 $pid 2>/dev/null; do sleep 0.05; done",
	      i, sig);
}

/* Waits up to max_s seconds for every status file to be at phase. */
static void wait_all(env *e, const char *want, int max_s)
{
	char *got = NULL;

	for (int i = 0; i < max_s * 10; i++) {
		free(got);
		got = phases(e, "remote");
		if (!strcmp(got, want)) {
			free(got);
			return;
		}
		nap_ms(100);
	}
	ck_abort_msg("phases after %ds:\n%s", max_s, got);
}

/*
 * Two `gitcanary run --shard` daemons on one bare repository; shard 1's is
 * killed with SIGKILL at arbitrary moments of a release of 40 canaries and
 * started again. Every canary goes through the same events as every other
 * (those of shard 0, never killed, are the reference): no stage lost, none
 * twice; every commit is of one shard and on its paths only.
 */
START_TEST(test_shards__killed_shard_resumes)
{
	env e;
	long waits[] = { 300, 800, 450, 1100, 600 };
	int per[NSHARDS] = { 0 }, owners[2] = { 0 };
	char *first = NULL;
	gc_buf seq = GC_BUF_INIT;

	memset(&e, 0, sizeof(e));
	gc_buf_init(&e.out);
	e.dir = gc_test_tmpdir();
	sh_ok(&e,
	      "git init -q --bare -b main remote.git && " NO_GC(
		      "remote.git") "git clone -q remote.git src 2>/dev/null");
	for (int k = 0; k < 8; k++) {
		char ns[16];

		snprintf(ns, sizeof(ns), "ns-%02d", k);
		owners[gc_shard_of(ns, 2)]++;
		write_apps(&e, k, "1.0.0", 5, "1s");
	}
	ck_assert(owners[0] && owners[1]);
	sh_ok(&e, "cd src && git add -A && " GIT " commit -qm apps && "
		  "git push -q origin main");
	daemon_start(&e, 0);
	daemon_start(&e, 1);
	wait_all(&e, "40 phase: Initialized\n", 60);
	for (int k = 0; k < 8; k++)
		write_apps(&e, k, "1.0.1", 5, "1s");
	sh_ok(&e, "cd src && git commit -qam bump && git push -q origin main");
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		nap_ms(waits[i]);
		daemon_signal(&e, 1, "KILL");
		daemon_start(&e, 1);
	}
	wait_all(&e, "40 phase: Succeeded\n", 120);
	daemon_signal(&e, 0, "TERM");
	daemon_signal(&e, 1, "TERM");

	check_ownership(&e, 2, per);
	ck_assert(per[0] > 0 && per[1] > 0);
	/* each canary's events, its names replaced, in commit order */
	for (int k = 0; k < 8; k++) {
		for (int i = 0; i < 5; i++) {
			sh_ok(&e,
			      "git --git-dir=remote.git log --reverse "
			      "--format=%%B deploy | "
			      "sed -n 's|^ns-%02d/app-%02d: ||p' | "
			      "sed 's/app-[0-9]*/T/g; s/ns-[0-9]*/N/g'",
			      k, i);
			if (!first) {
				first = gc_xstrdup(e.out.ptr);
				continue;
			}
			ck_assert_msg(!strcmp(first, e.out.ptr),
				      "ns-%02d/app-%02d:\n%s\nothers:\n%s", k,
				      i, e.out.ptr, first);
		}
	}
	gc_buf_adds(&seq, first);
	ck_assert_ptr_nonnull(strstr(seq.ptr, "New revision detected! "
					      "Scaling up T.N\n"));
	ck_assert_ptr_nonnull(
		strstr(seq.ptr, "Advance T.N canary weight 20\n"));
	ck_assert_ptr_nonnull(strstr(seq.ptr, "Promotion completed! "
					      "Scaling down T.N\n"));
	/* shard 1 was killed and started again each time */
	sh_ok(&e, "grep -c ' watching ' shard-1.log");
	ck_assert_str_eq(e.out.ptr, "6\n");
	free(first);
	gc_buf_release(&seq);
	env_free(&e);
}
END_TEST

Suite *gc_suite_shards(void);

Suite *gc_suite_shards(void)
{
	Suite *s = suite_create("shards");
	TCase *small = tcase_create("two"), *tc = tcase_create("four");

	tcase_add_test(small, test_shards__usage);
	tcase_add_test(small, test_shards__file_url_refused);
	tcase_add_test(small, test_shards__takeover_and_release_are_one_commit);
	tcase_set_timeout(small, 300);
	tcase_add_test(small, test_shards__killed_shard_resumes);
	suite_add_tcase(s, small);
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_shards__four_shards_release_like_one);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_shards)
