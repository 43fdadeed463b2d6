#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "httpd.h"
#include "reconciler/loop/loop.h"
#include "util/alloc.h"
#include "util/log.h"

/*
 * One long-lived gc_loop, in process, as `gitcanary run` keeps it: its
 * caches decide which canaries a tick looks at (reconciler/loop/canary_deps.h).
 * After every tick a fresh loop (no caches: it looks at every canary) at
 * the same time must find nothing to commit, so what the caches skipped
 * was really unchanged.
 */

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"
#define T0 2000000000

typedef struct env {
	char *dir, *remote;
	gc_loop_opts opts;
	gc_loop *loop;
	gc_buf out;
} env;

static const char canary_fmt[] =
	"apiVersion: flagger.app/v1beta1\n"
	"kind: Canary\n"
	"metadata:\n  name: %s\n  namespace: t\n"
	"spec:\n"
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
	"    name: %s\n"
	"%s"
	"  service:\n    port: 9898\n"
	"  analysis:\n    interval: 60s\n    threshold: 5\n    maxWeight: 50\n"
	"    stepWeight: 10\n";

static const char deployment_fmt[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n  name: %s\n  namespace: t\n"
	"spec:\n  replicas: 2\n"
	"  selector:\n    matchLabels:\n      app: %s\n"
	"  template:\n    metadata:\n      labels:\n        app: %s\n"
	"    spec:\n      containers:\n      - name: app\n"
	"        image: example/app:%s\n";

static const char hpa_yaml[] =
	"apiVersion: autoscaling/v2\n"
	"kind: HorizontalPodAutoscaler\n"
	"metadata:\n  name: c-hpa\n  namespace: t\n"
	"spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
	"    kind: Deployment\n    name: c\n"
	"  minReplicas: 2\n  maxReplicas: 4\n";

static void sh_ok(env *e, const char *cmd)
{
	int rc = gc_test_sh(&e->out, NULL, "cd '%s' && { %s; } 2>&1", e->dir,
			    cmd);

	ck_assert_msg(rc == 0, "%s: exit %d\n%s", cmd, rc, e->out.ptr);
}

static void write_src(env *e, const char *file, const char *text)
{
	char *path = gc_xasprintf("%s/src/%s", e->dir, file);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *canary(const char *name, const char *hpa)
{
	char *ref = hpa ? gc_xasprintf("  autoscalerRef:\n"
				       "    apiVersion: autoscaling/v2\n"
				       "    kind: HorizontalPodAutoscaler\n"
				       "    name: %s\n",
				       hpa)
			: gc_xstrdup("");
	char *s = gc_xasprintf(canary_fmt, name, name, ref);

	free(ref);
	return s;
}

static char *deployment(const char *name, const char *tag)
{
	return gc_xasprintf(deployment_fmt, name, name, name, tag);
}

static void push(env *e, const char *subject)
{
	char *cmd = gc_xasprintf("cd src && git add -A && " GIT
				 " commit -qm '%s' && git push -q origin main",
				 subject);

	sh_ok(e, cmd);
	free(cmd);
}

static void env_setup(env *e)
{
	gc_error err = GC_ERROR_INIT;
	char *a = canary("a", NULL), *ad = deployment("a", "1.0.0");
	char *b = canary("b", NULL), *bd = deployment("b", "1.0.0");
	char *c = canary("c", "c-hpa"), *cd = deployment("c", "1.0.0");
	char *bfile = gc_xasprintf("%s---\n%s", b, bd);
	char *cfile = gc_xasprintf("%s---\n%s", c, cd);

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_log_set_level(getenv("LC_DEBUG") ? GC_LOG_DEBUG : GC_LOG_ERROR);
	e->dir = gc_test_tmpdir();
	sh_ok(e, "git init -q --bare -b main remote.git && "
		 "git clone -q remote.git src");
	write_src(e, "a.yaml", a);
	write_src(e, "a-dep.yaml", ad);
	write_src(e, "b.yaml", bfile);
	write_src(e, "c.yaml", cfile);
	push(e, "apps");
	e->remote = gc_xasprintf("%s/remote.git", e->dir);
	e->opts.repo = e->remote;
	e->opts.source_branch = "main";
	e->opts.assume_ready = true;
	e->opts.min_interval_ms = 1000;
	ck_assert_int_eq(gc_loop_new(&e->loop, &e->opts, &err), 0);
	free(a);
	free(ad);
	free(b);
	free(bd);
	free(c);
	free(cd);
	free(bfile);
	free(cfile);
}

static void env_free(env *e)
{
	gc_loop_free(e->loop);
	gc_test_rmrf(e->dir);
	free(e->dir);
	free(e->remote);
	gc_buf_release(&e->out);
}

/* The subject of the deploy branch's last commit. */
static char *last_subject(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "git --git-dir='%s' log -1 --format=%%s deploy", e->remote);
	if (e->out.len && e->out.ptr[e->out.len - 1] == '\n')
		gc_buf_truncate(&e->out, e->out.len - 1);
	return gc_xstrdup(e->out.ptr);
}

/*
 * Ticks the long-lived loop at now; want_subject (a prefix of the deploy
 * commit's subject) NULL = no commit. Then
 * a loop without caches must have nothing left to do.
 */
static void tick(env *e, int64_t now, const char *want_subject)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *fresh = NULL;
	char *subject;

	ck_assert_msg(gc_loop_tick(e->loop, &res, now, &err) == 0, "%s",
		      gc_error_msg(&err));
	ck_assert_int_eq(res.committed, want_subject != NULL);
	if (want_subject) {
		subject = last_subject(e);
		ck_assert_msg(!strncmp(subject, want_subject,
				       strlen(want_subject)),
			      "subject '%s', want '%s...'", subject,
			      want_subject);
		free(subject);
	}
	ck_assert_int_eq(gc_loop_new(&fresh, &e->opts, &err), 0);
	ck_assert_msg(gc_loop_tick(fresh, &res, now, &err) == 0, "%s",
		      gc_error_msg(&err));
	ck_assert_msg(!res.committed,
		      "a full pass found work the cached tick skipped: %s",
		      last_subject(e));
	gc_loop_free(fresh);
	gc_error_release(&err);
}

START_TEST(test_loop_cache__ticks_see_what_changed)
{
	env e;
	char *s;

	env_setup(&e);
	tick(&e, T0, "Reconcile 2 canaries");
	tick(&e, T0 + 1, NULL);
	/* the target in its own file */
	s = deployment("a", "1.0.1");
	write_src(&e, "a-dep.yaml", s);
	free(s);
	push(&e, "bump a");
	tick(&e, T0 + 10, "New revision detected! Scaling up a.t");
	/* due by time only */
	tick(&e, T0 + 20, NULL);
	tick(&e, T0 + 70, "Advance a.t canary weight 10");
	/* the HPA c waited for appears */
	write_src(&e, "hpa.yaml", hpa_yaml);
	push(&e, "hpa for c");
	tick(&e, T0 + 80, "Initialization done! c.t");
	/* the target moves to another file with a new image */
	s = deployment("a", "1.0.2");
	write_src(&e, "z.yaml", s);
	free(s);
	sh_ok(&e, "cd src && git rm -q a-dep.yaml");
	push(&e, "move a");
	tick(&e, T0 + 90, "Reconcile t/a");
	/* a canary goes away */
	sh_ok(&e, "cd src && git rm -q b.yaml");
	push(&e, "drop b");
	tick(&e, T0 + 100, "Sync "); /* its files leave the deploy branch */
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' ls-tree -r --name-only deploy | "
		   "grep -c -e '^t/b/' -e '^t/_/deployment-b.yaml$' -e "
		   "'status/t/b.yaml$'",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "0\n"); /* b.yaml held its target too */
	/* a canary leaves, its target stays: the target passes through */
	sh_ok(&e, "cd src && git rm -q a.yaml");
	push(&e, "drop canary a");
	tick(&e, T0 + 110, "Sync ");
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' ls-tree -r --name-only deploy | "
		   "grep -e '^t/a/' -e '^t/_/deployment-a.yaml$' -e "
		   "'status/t/a.yaml$'",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "t/_/deployment-a.yaml\n");
	env_free(&e);
}
END_TEST

/*
 * A canary at rest is looked at only when its inputs move. Deleting the
 * optional ConfigMap its target reads is such a move, though the
 * ConfigMap is in no index any more.
 */
START_TEST(test_loop_cache__deleted_config_is_seen_at_rest)
{
	env e;
	char *d, *file;

	env_setup(&e);
	d = deployment("a", "1.0.0");
	file = gc_xasprintf("%s        envFrom:\n        - configMapRef:\n"
			    "            name: a-config\n"
			    "            optional: true\n",
			    d);
	write_src(&e, "a-dep.yaml", file);
	free(file);
	free(d);
	write_src(&e, "cm.yaml",
		  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		  "  name: a-config\n  namespace: t\ndata:\n  k: v\n");
	push(&e, "a reads a-config");
	tick(&e, T0, "Reconcile 2 canaries");
	tick(&e, T0 + 1, NULL);
	sh_ok(&e, "cd src && git rm -q cm.yaml");
	push(&e, "no a-config");
	tick(&e, T0 + 2, "New revision detected! Scaling up a.t");
	env_free(&e);
}
END_TEST

static const char cm_fmt[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
			     "  name: %s\n  namespace: t\ndata:\n  k: %s\n";

static void write_cm(env *e, const char *file, const char *name,
		     const char *value)
{
	char *s = gc_xasprintf(cm_fmt, name, value);

	write_src(e, file, s);
	free(s);
}

/* The deploy branch's pass-through files, one per line. */
static const char *passed(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "git --git-dir='%s' ls-tree -r --name-only deploy | "
		   "grep '/_/' | tr '\\n' ' '",
		   e->remote);
	return e->out.ptr;
}

/* Runs cmd in a clone of the deploy branch, then commits and pushes. */
static void human_deploy(env *e, const char *cmd)
{
	char *full = gc_xasprintf(
		"rm -rf dep && git clone -q -b deploy remote.git dep && "
		"cd dep && { %s; } && git add -A && " GIT
		" commit -qm human && git push -q origin deploy",
		cmd);

	sh_ok(e, full);
	free(full);
}

/*
 * Pass-through follows the source file by file: an edit, a move to
 * another file, a rename, a deletion, a target a canary takes over or
 * lets go, and files another writer changed on the deploy branch.
 */
START_TEST(test_loop_cache__passthrough_follows_the_source)
{
	env e;
	char *s;

	env_setup(&e);
	write_src(&e, "a2.yaml", s = deployment("a2", "2.0.0"));
	free(s);
	push(&e, "a2");
	tick(&e, T0, "Reconcile 2 canaries");
	ck_assert_str_eq(passed(&e), "t/_/deployment-a2.yaml ");
	write_cm(&e, "cm.yaml", "cx", "one");
	push(&e, "cm x");
	tick(&e, T0 + 1, "Sync ");
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cx.yaml t/_/deployment-a2.yaml ");
	write_cm(&e, "cm.yaml", "cx", "two");
	push(&e, "cm x two");
	tick(&e, T0 + 2, "Sync ");
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' show deploy:t/_/configmap-cx.yaml | "
		   "grep 'k:'",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "  k: two\n");
	/* the same object from another file: nothing to write */
	sh_ok(&e, "cd src && git mv cm.yaml cm2.yaml");
	push(&e, "move cm");
	tick(&e, T0 + 3, NULL);
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cx.yaml t/_/deployment-a2.yaml ");
	write_cm(&e, "cm2.yaml", "cy", "two");
	push(&e, "rename cm");
	tick(&e, T0 + 4, "Sync ");
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cy.yaml t/_/deployment-a2.yaml ");
	/* another writer edits, adds and deletes pass-through files */
	human_deploy(&e, "echo junk > t/_/configmap-cy.yaml && "
			 "echo junk > t/_/configmap-junk.yaml");
	tick(&e, T0 + 5, "Sync ");
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cy.yaml t/_/deployment-a2.yaml ");
	human_deploy(&e, "git rm -q t/_/configmap-cy.yaml");
	tick(&e, T0 + 6, "Sync ");
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cy.yaml t/_/deployment-a2.yaml ");
	/* canary a takes a2 over and lets a go */
	s = gc_xasprintf(canary_fmt, "a", "a2", "");
	write_src(&e, "a.yaml", s);
	free(s);
	push(&e, "a targets a2");
	tick(&e, T0 + 7, "New revision detected! Scaling up a2.t");
	ck_assert_str_eq(passed(&e),
			 "t/_/configmap-cy.yaml t/_/deployment-a.yaml ");
	sh_ok(&e, "cd src && git rm -q cm2.yaml");
	push(&e, "no cm");
	tick(&e, T0 + 8, "Sync ");
	ck_assert_str_eq(passed(&e), "t/_/deployment-a.yaml ");
	env_free(&e);
}
END_TEST

/* x<i>.yaml: canary x<i> and its Deployment at tag. */
static void write_app(env *e, int i, const char *tag)
{
	char name[16], path[24];
	char *c, *d, *file;

	snprintf(name, sizeof(name), "x%03d", i);
	snprintf(path, sizeof(path), "%s.yaml", name);
	c = canary(name, NULL);
	d = deployment(name, tag);
	file = gc_xasprintf("%s---\n%s", c, d);
	write_src(e, path, file);
	free(file);
	free(c);
	free(d);
}

/*
 * A full pass works through canaries a chunk at a time (canary.c CHUNK,
 * 128): every canary of a pass over several chunks is written, and
 * canaries of different chunks moved by one push go in one commit.
 */
START_TEST(test_loop_cache__full_pass_over_several_chunks)
{
	env e;

	env_setup(&e);
	for (int i = 0; i < 300; i++)
		write_app(&e, i, "1.0.0");
	push(&e, "300 more");
	tick(&e, T0, "Reconcile 302 canaries");
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' ls-tree -r --name-only deploy | "
		   "grep -c '^t/x[0-9]*/deployment-x[0-9]*-primary.yaml$'",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "300\n");
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' log -1 --format=%%B deploy | "
		   "git interpret-trailers --parse | grep -c '^Canary: '",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "302\n");
	/* one canary in the first chunk, one in the third */
	write_app(&e, 1, "1.0.1");
	write_app(&e, 290, "1.0.1");
	push(&e, "bump two");
	tick(&e, T0 + 10, "Reconcile 2 canaries");
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' log -1 --format=%%B deploy | "
		   "git interpret-trailers --parse | grep '^Canary: '",
		   e.remote);
	ck_assert_str_eq(e.out.ptr, "Canary: t/x001\nCanary: t/x290\n");
	env_free(&e);
}
END_TEST

static void answer_404(const gc_httpd_request *req, gc_httpd_response *resp,
		       void *payload)
{
	(void)req;
	(void)payload;
	resp->status = 404;
	gc_buf_adds(&resp->body, "not here");
}

/*
 * A readiness server that fails one chunk of a full pass is not asked
 * again by the others (each would wait for it): one query set per tick,
 * and the canaries of every chunk wait with its error.
 */
START_TEST(test_loop_cache__failed_readiness_server_is_asked_once)
{
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_httpd *h = gc_httpd_start(answer_404, NULL);
	char *url = gc_httpd_url(h, "");
	env e;

	env_setup(&e);
	for (int i = 0; i < 300; i++)
		write_app(&e, i, "1.0.0");
	push(&e, "300 more");
	gc_loop_free(e.loop);
	e.opts.assume_ready = false;
	e.opts.readiness_server = url;
	ck_assert_int_eq(gc_loop_new(&e.loop, &e.opts, &err), 0);
	ck_assert_msg(gc_loop_tick(e.loop, &res, T0, &err) == 0, "%s",
		      gc_error_msg(&err));
	/* one set: six queries sent together, each answered 404 */
	ck_assert_uint_eq(gc_httpd_count(h), 6);
	gc_test_sh(&e.out, NULL,
		   "git --git-dir='%s' log -1 --format=%%B deploy | "
		   "grep '^t/x290: '",
		   e.remote);
	ck_assert_str_eq(
		e.out.ptr,
		"t/x290: warning: x290-primary.t not ready: waiting for rollout to finish: "
		"readiness unknown: readiness query failed: error response: "
		"Status 404 Not Found: \"not here\"\n");
	env_free(&e);
	gc_httpd_stop(h);
	free(url);
}
END_TEST

static Suite *gc_suite_loop_cache(void)
{
	Suite *s = suite_create("loop_cache");
	TCase *tc = tcase_create("loop_cache");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_loop_cache__ticks_see_what_changed);
	tcase_add_test(tc, test_loop_cache__deleted_config_is_seen_at_rest);
	tcase_add_test(tc, test_loop_cache__passthrough_follows_the_source);
	tcase_add_test(tc, test_loop_cache__full_pass_over_several_chunks);
	tcase_add_test(tc,
		       test_loop_cache__failed_readiness_server_is_asked_once);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_loop_cache)
