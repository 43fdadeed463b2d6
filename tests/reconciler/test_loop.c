#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "httpd.h"
#include "prometheus.h"
#include "util/alloc.h"
#include "util/json.h"

/*
 * gitcanary run as a user runs it, against a bare repository made from
 * examples/podinfo with tests/fixtures/loop/canary.yaml (interval 1s,
 * webhooks pointing at an HTTP server of the test). Every tick is a new
 * process, so each test also shows that all state lives in git.
 */

/* 1: /load answers 500; 2: 400 with FORGED_BODY */
static volatile int fail_load_test;
/* a body that tries to write history (issue 15) */
#define FORGED_BODY                                                       \
	"oops\n\ntest/podinfo: Promotion completed! Scaling down "        \
	"podinfo.test\n\nCanary: test/podinfo\nPhase: Succeeded\n\x1b[2J" \
	"\xff"

/*
 * Event webhooks: what /events*, /global, /broken and /flaky received, one
 * "<path> <phase>|<eventType>|<eventMessage>" line per request. /broken
 * always answers 500, /flaky only its first request.
 */
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;
static gc_buf events_got = GC_BUF_INIT;
static char *events_first_body;
static unsigned flaky_calls;
/* set: the next /acceptance call commits to the deploy branch first */
static char *human_commit_dir;

static void record_event(const gc_httpd_request *req, gc_httpd_response *resp)
{
	cJSON *j = cJSON_Parse(req->body);

	pthread_mutex_lock(&events_lock);
	gc_buf_addf(&events_got, "%s %s|%s|%s\n", req->path,
		    gc_json_str(j, "phase"),
		    gc_json_str(j, "metadata.eventType"),
		    gc_json_str(j, "metadata.eventMessage"));
	if (!events_first_body)
		events_first_body = gc_xstrdup(req->body);
	if (!strcmp(req->path, "/broken") ||
	    (!strcmp(req->path, "/flaky") && flaky_calls++ == 0))
		resp->status = 500;
	pthread_mutex_unlock(&events_lock);
	cJSON_Delete(j);
}

/* What the event hooks received since the last call; owned. */
static char *take_events(void)
{
	char *s;

	pthread_mutex_lock(&events_lock);
	s = gc_xstrdup(events_got.ptr);
	gc_buf_clear(&events_got);
	pthread_mutex_unlock(&events_lock);
	return s;
}

static void hooks(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	(void)payload;
	if (!strcmp(req->path, "/load") && fail_load_test == 1) {
		resp->status = 500;
		gc_buf_adds(&resp->body, "load test failed");
	}
	if (!strcmp(req->path, "/load") && fail_load_test == 2) {
		resp->status = 400;
		gc_buf_adds(&resp->body, FORGED_BODY);
	}
	if (!strcmp(req->path, "/acceptance") && human_commit_dir) {
		/* a concurrent writer: the tick's push will be lost */
		gc_test_sh(
			NULL, NULL,
			"cd '%s' && g='git -c user.name=Dev "
			"-c user.email=dev@example.com --git-dir=remote.git' "
			"&& c=$($g commit-tree -p deploy -m human "
			"'deploy^{tree}') && $g update-ref refs/heads/deploy $c",
			human_commit_dir);
		GC_FREE_AND_NULL(human_commit_dir);
	}
	if (!strcmp(req->path, "/echo")) {
		/* echoes what it was sent: header and query (issue 15) */
		const char *auth = gc_httpd_header(req, "Authorization");
		const char *tok = gc_httpd_arg(req, "token");

		resp->status = 400;
		gc_buf_addf(&resp->body, "you sent %s and %s",
			    auth ? auth : "-", tok ? tok : "-");
	}
	if (!strncmp(req->path, "/events", 7) ||
	    !strcmp(req->path, "/global") || !strcmp(req->path, "/broken") ||
	    !strcmp(req->path, "/flaky"))
		record_event(req, resp);
}

typedef struct env {
	char *dir;
	gc_httpd *hooks;
	gc_buf out, err;
	const char *flags; /* added to every reconcile */
} env;

#define SUBJECTS_OK                                                    \
	"Initialization done! podinfo.test\n"                          \
	"New revision detected! Scaling up podinfo.test\n"             \
	"Advance podinfo.test canary weight 10\n"                      \
	"Advance podinfo.test canary weight 20\n"                      \
	"Advance podinfo.test canary weight 30\n"                      \
	"Advance podinfo.test canary weight 40\n"                      \
	"Advance podinfo.test canary weight 50\n"                      \
	"Copying podinfo.test template spec to podinfo-primary.test\n" \
	"Routing all traffic to primary\n"                             \
	"Promotion completed! Scaling down podinfo.test\n"

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"

static void sh_ok(env *e, const char *cmd)
{
	int rc =
		gc_test_sh(&e->out, &e->err, "cd '%s' && { %s; }", e->dir, cmd);

	ck_assert_msg(rc == 0, "%s: exit %d\n%s%s", cmd, rc, e->out.ptr,
		      e->err.ptr);
}

/*
 * A bare remote.git and a work clone src/ holding examples/<example>, with
 * tests/fixtures/loop/canary.yaml as its Canary at canary_path.
 */
static void env_setup_example(env *e, const char *example,
			      const char *canary_path)
{
	char *hooks_url, *cmd;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_buf_init(&e->err);
	fail_load_test = 0;
	e->dir = gc_test_tmpdir();
	e->hooks = gc_httpd_start(hooks, NULL);
	hooks_url = gc_httpd_url(e->hooks, "");
	cmd = gc_xasprintf(
		"git init -q --bare -b main remote.git && "
		"git clone -q remote.git src 2>/dev/null && "
		"cp -r '%s/examples/%s/.' src/ && "
		"sed 's|HOOKS|%s|' '%s/tests/fixtures/loop/canary.yaml' "
		">src/%s && "
		"cd src && git add . && " GIT " commit -qm 'podinfo' && "
		"git push -q origin main",
		gc_test_source_dir, example, hooks_url, gc_test_source_dir,
		canary_path);
	sh_ok(e, cmd);
	free(cmd);
	free(hooks_url);
}

static void env_setup(env *e)
{
	env_setup_example(e, "podinfo", "canary.yaml");
}

static void env_free(env *e)
{
	/* daemons a failed assertion left behind (only ours, by pid) */
	gc_test_sh(NULL, NULL,
		   "cd '%s' && for f in *.pid; do [ -f \"$f\" ] && "
		   "kill -9 $(cat \"$f\") 2>/dev/null; done; true",
		   e->dir);
	gc_httpd_stop(e->hooks);
	gc_test_rmrf(e->dir);
	free(e->dir);
	gc_buf_release(&e->out);
	gc_buf_release(&e->err);
}

static int reconcile(env *e, const char *extra)
{
	return gc_test_sh(&e->out, &e->err,
			  "cd '%s' && '%s' reconcile --once --repo remote.git "
			  "--assume-ready --min-interval 1s %s %s",
			  e->dir, gc_test_binary, e->flags ? e->flags : "",
			  extra ? extra : "");
}

static void push_src(env *e, const char *change, const char *subject)
{
	char *cmd = gc_xasprintf("cd src && %s && " GIT
				 " commit -qam '%s' && git push -q origin main",
				 change, subject);

	sh_ok(e, cmd);
	free(cmd);
}

static void bump(env *e, const char *tag)
{
	char *change = gc_xasprintf(
		"sed -i 's|podinfo:[0-9.]*$|podinfo:%s|' deployment.yaml", tag);
	char *subject = gc_xasprintf("podinfo %s", tag);

	push_src(e, change, subject);
	free(change);
	free(subject);
}

/* The canary's phase on the deploy branch ("" before the first run). */
static char *phase(env *e, const char *ns)
{
	gc_test_sh(&e->out, NULL,
		   "cd '%s' && git --git-dir=remote.git show "
		   "deploy:.gitcanary/status/%s/podinfo.yaml 2>/dev/null | "
		   "sed -n 's/^  phase: //p'",
		   e->dir, ns);
	if (e->out.len && e->out.ptr[e->out.len - 1] == '\n')
		gc_buf_truncate(&e->out, e->out.len - 1);
	return gc_xstrdup(e->out.ptr);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Ticks (a new process each time) until the phase is `want`; every tick
 * must exit with `rc`.
 */
static void tick_until_rc(env *e, const char *ns, const char *want, int max,
			  int want_rc)
{
	char *p = NULL;

	for (int i = 0; i < max; i++) {
		int rc = reconcile(e, NULL);

		ck_assert_msg(rc == want_rc, "reconcile exit %d: %s", rc,
			      e->err.ptr);
		free(p);
		p = phase(e, ns);
		if (!strcmp(p, want)) {
			free(p);
			return;
		}
		nap_ms(250);
	}
	ck_abort_msg("phase %s after %d ticks, want %s", p, max, want);
}

static void tick_until(env *e, const char *ns, const char *want, int max)
{
	tick_until_rc(e, ns, want, max, 0);
}

/* Starts `gitcanary run` in the background; its pid goes to <name>.pid. */
/*
 * Starts `gitcanary run` and returns once it has logged "watching": its
 * signal handlers are in place, so a SIGTERM right after is a clean stop.
 */
static void daemon_start(env *e, const char *name)
{
	char *cmd = gc_xasprintf(
		"n=$(grep -c ' watching ' %s.log 2>/dev/null || true); "
		"'%s' run --repo remote.git --assume-ready --min-interval 1s "
		"--listen 127.0.0.1:0 "
		"--poll 100ms >>%s.log 2>&1 </dev/null & echo $! >%s.pid; "
		"for i in $(seq 200); do "
		"[ \"$(grep -c ' watching ' %s.log)\" -gt \"${n:-0}\" ] && "
		"break; sleep 0.05; done",
		name, gc_test_binary, name, name, name);

	sh_ok(e, cmd);
	free(cmd);
}

static void daemon_signal(env *e, const char *name, const char *sig)
{
	char *cmd = gc_xasprintf(
		"pid=$(cat %s.pid) && kill -%s $pid && "
		"while kill -0 $pid 2>/dev/null; do sleep 0.05; done",
		name, sig);

	sh_ok(e, cmd);
	free(cmd);
}

/* Waits (up to max_s seconds) for the phase while daemons run. */
static void wait_phase(env *e, const char *ns, const char *want, int max_s)
{
	char *p = NULL;

	for (int i = 0; i < max_s * 10; i++) {
		free(p);
		p = phase(e, ns);
		if (!strcmp(p, want)) {
			free(p);
			return;
		}
		nap_ms(100);
	}
	ck_abort_msg("phase %s after %ds, want %s", p, max_s, want);
}

static char *subjects(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "cd '%s' && git --git-dir=remote.git log --reverse "
		   "--format=%%s deploy",
		   e->dir);
	return gc_xstrdup(e->out.ptr);
}

static void assert_subjects(env *e, const char *want)
{
	char *got = subjects(e);

	ck_assert_str_eq(got, want);
	free(got);
}

/* ---- the first run ---- */

START_TEST(test_loop__first_run_creates_deploy_branch)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, "git --git-dir=remote.git ls-tree -r --name-only deploy");
	ck_assert_str_eq(
		e.out.ptr,
		".gitcanary/status/test/podinfo.yaml\n"
		"istio-system/_/gateway-public-gateway.yaml\n"
		"kustomization.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo.yaml\n"
		"test/podinfo/deployment-podinfo-primary.yaml\n"
		"test/podinfo/deployment-podinfo.yaml\n"
		"test/podinfo/destinationrule-podinfo-canary.yaml\n"
		"test/podinfo/destinationrule-podinfo-primary.yaml\n"
		"test/podinfo/horizontalpodautoscaler-podinfo-primary.yaml\n"
		"test/podinfo/service-podinfo-canary.yaml\n"
		"test/podinfo/service-podinfo-primary.yaml\n"
		"test/podinfo/service-podinfo.yaml\n"
		"test/podinfo/virtualservice-podinfo.yaml\n");
	/* what the cluster runs: kubectl kustomize of a checkout */
	sh_ok(&e, "git clone -q -b deploy remote.git co && "
		  "kubectl kustomize co | awk '/^kind:/{k=$2} "
		  "/^  name:/{n=$2} /^  namespace:/{print k\" \"$2\"/\"n}' "
		  "| LC_ALL=C sort");
	ck_assert_str_eq(e.out.ptr,
			 "Deployment test/podinfo\n"
			 "Deployment test/podinfo-primary\n"
			 "DestinationRule test/podinfo-canary\n"
			 "DestinationRule test/podinfo-primary\n"
			 "Gateway istio-system/public-gateway\n"
			 "HorizontalPodAutoscaler test/podinfo\n"
			 "HorizontalPodAutoscaler test/podinfo-primary\n"
			 "HorizontalPodAutoscaler test/podinfo-total\n"
			 "Service test/podinfo\n"
			 "Service test/podinfo-canary\n"
			 "Service test/podinfo-primary\n"
			 "VirtualService test/podinfo\n");
	/* the canary target runs 0 replicas outside a release */
	sh_ok(&e, "sed -n 's/^  replicas: //p' "
		  "co/test/podinfo/deployment-podinfo.yaml");
	ck_assert_str_eq(e.out.ptr, "0\n");
	sh_ok(&e,
	      "git --git-dir=remote.git log -1 --format=%B deploy | "
	      "git interpret-trailers --parse | sed 's/^Source-Commit: .*/Source-Commit: S/'");
	ck_assert_str_eq(e.out.ptr, "Canary: test/podinfo\n"
				    "Phase: Initialized\n"
				    "Canary-Weight: 0\n"
				    "Primary-Weight: 100\n"
				    "Failed-Checks: 0\n"
				    "Revision: 76bd5bbb89\n"
				    "Source-Commit: S\n");
	sh_ok(&e,
	      "git --git-dir=remote.git log -1 --format='%an <%ae>|%cn <%ce>' deploy");
	ck_assert_str_eq(e.out.ptr, "gitcanary <gitcanary@localhost>|"
				    "gitcanary <gitcanary@localhost>\n");
	/* nothing moved, nothing due: no commit */
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	ck_assert_str_eq(e.out.ptr, "");
	assert_subjects(&e, "Initialization done! podinfo.test\n");
	env_free(&e);
}
END_TEST

/*
 * --include-label-prefix: the target's labels with those prefixes go onto
 * the primary Deployment, Flagger's -include-label-prefix; none by default.
 */
START_TEST(test_loop__include_label_prefix)
{
	const char *grep = "git --git-dir=remote.git show "
			   "deploy:test/podinfo/deployment-podinfo-primary.yaml"
			   " | sed -n '/^  labels:/,/^  annotations:/p'";
	env e;

	env_setup(&e);
	push_src(&e,
		 "sed -i '0,/^    app: podinfo$/s//    app: podinfo\\n"
		 "    team: web\\n    tier: backend/' deployment.yaml",
		 "labels");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, grep);
	ck_assert_str_eq(e.out.ptr,
			 "  labels:\n"
			 "    app: podinfo-primary\n"
			 "    app.kubernetes.io/managed-by: gitcanary\n"
			 "  annotations:\n");
	sh_ok(&e, "git --git-dir=remote.git branch -q -D deploy");
	ck_assert_int_eq(reconcile(&e, "--include-label-prefix team"), 0);
	sh_ok(&e, grep);
	ck_assert_str_eq(e.out.ptr,
			 "  labels:\n"
			 "    team: web\n"
			 "    app: podinfo-primary\n"
			 "    app.kubernetes.io/managed-by: gitcanary\n"
			 "  annotations:\n");
	env_free(&e);
}
END_TEST

/* ---- a whole release ---- */

START_TEST(test_loop__release_commit_by_commit)
{
	env e;
	char *p;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, "--author 'Rel Bot <rel@example.com>'"),
			 0);
	bump(&e, "3.1.1");
	tick_until(&e, "test", "Succeeded", 80);
	assert_subjects(&e, SUBJECTS_OK);
	/* the second commit of the release says who and what */
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git rev-parse main", e.dir);
	p = gc_xstrdup(e.out.ptr);
	sh_ok(&e, "git --git-dir=remote.git log --format=%B -1 "
		  "deploy~7");
	{
		char *want = gc_xasprintf(
			"Advance podinfo.test canary weight 10\n\n"
			"test/podinfo: Starting canary analysis for podinfo.test\n"
			"test/podinfo: Pre-rollout check acceptance-test passed\n"
			"test/podinfo: Advance podinfo.test canary weight 10\n\n"
			"Canary: test/podinfo\nPhase: Progressing\n"
			"Canary-Weight: 10\nPrimary-Weight: 90\n"
			"Failed-Checks: 0\nRevision: 59fd49b99d\n"
			"Source-Commit: %s\n",
			p);

		ck_assert_str_eq(e.out.ptr, want);
		free(want);
	}
	/* the primary runs the new image, the canary is scaled down */
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:test/podinfo/deployment-podinfo-primary.yaml | "
		  "grep -c 'image: stefanprodan/podinfo:3.1.1'; "
		  "git --git-dir=remote.git show "
		  "deploy:test/podinfo/deployment-podinfo.yaml | "
		  "sed -n 's/^  replicas: //p'");
	ck_assert_str_eq(e.out.ptr, "1\n0\n");
	/* the outcome note on the source commit that started it */
	p[strcspn(p, "\n")] = '\0';
	{
		char *cmd = gc_xasprintf(
			"git --git-dir=remote.git notes --ref=gitcanary show %s "
			"| tr -d ' \\t\\n' | sed 's/\"time\":\"[^\"]*\"/T/;s/\"deployCommit\":\"[^\"]*\"/D/'",
			p);

		sh_ok(&e, cmd);
		free(cmd);
	}
	ck_assert_str_eq(
		e.out.ptr,
		"{\"releases\":[{\"canary\":\"test/podinfo\",\"outcome\":\"promoted\",T,"
		"\"maxWeight\":50,\"failedChecks\":0,\"revision\":\"59fd49b99d\",D,"
		"\"lastEvent\":\"Promotioncompleted!Scalingdownpodinfo.test\"}]}");
	/* evidence of the webhook runs on the tick commit */
	sh_ok(&e,
	      "git --git-dir=remote.git notes --ref=gitcanary show deploy~7 "
	      "| grep -o '\"name\":[^,]*' | sort -u");
	ck_assert_str_eq(e.out.ptr, "\"name\":\t\"acceptance-test\"\n");
	/* author as configured on the first commit */
	sh_ok(&e,
	      "git --git-dir=remote.git log --reverse --format='%an <%ae>' deploy | head -1");
	ck_assert_str_eq(e.out.ptr, "Rel Bot <rel@example.com>\n");
	/* get and describe */
	gc_test_sh(&e.out, &e.err,
		   "cd '%s' && '%s' get --repo remote.git | "
		   "sed 's/20[0-9T:Z-]*$/TIME/'",
		   e.dir, gc_test_binary);
	ck_assert_str_eq(
		e.out.ptr,
		"NAMESPACE   NAME      STATUS      WEIGHT   FAILEDCHECKS   LASTTRANSITIONTIME\n"
		"test        podinfo   Succeeded   0        0              TIME\n");
	gc_test_sh(&e.out, &e.err,
		   "cd '%s' && '%s' describe test/podinfo --repo remote.git | "
		   "sed -n '/^Events:/,$p' | sed 1d | "
		   "sed -E 's/^ +[^ ]+ +[^ ]+ +[^ ]+ +//'",
		   e.dir, gc_test_binary);
	ck_assert_str_eq(
		e.out.ptr,
		"Message\n"
		"Initialization done! podinfo.test\n"
		"New revision detected! Scaling up podinfo.test\n"
		"Starting canary analysis for podinfo.test\n"
		"Pre-rollout check acceptance-test passed\n"
		"Advance podinfo.test canary weight 10\n"
		"Advance podinfo.test canary weight 20\n"
		"Advance podinfo.test canary weight 30\n"
		"Advance podinfo.test canary weight 40\n"
		"Advance podinfo.test canary weight 50\n"
		"Copying podinfo.test template spec to podinfo-primary.test\n"
		"Routing all traffic to primary\n"
		"Promotion completed! Scaling down podinfo.test\n");
	free(p);
	env_free(&e);
}
END_TEST

/*
 * The Flux-style example: an image bump written into the production
 * overlay's images: (as Flux image automation writes it) is the same
 * release a Deployment edit starts, and what is deployed is what Flux
 * would build (the overlay's patch, postBuild's substitution).
 */
START_TEST(test_loop__overlay_images_bump_is_a_release)
{
	env e;

	env_setup_example(&e, "flux", "apps/base/podinfo/canary.yaml");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, "git --git-dir=remote.git ls-tree -r --name-only deploy");
	ck_assert_str_eq(
		e.out.ptr,
		".gitcanary/status/test/podinfo.yaml\n"
		"istio-system/_/gateway-public-gateway.yaml\n"
		"kustomization.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo.yaml\n"
		"test/podinfo/deployment-podinfo-primary.yaml\n"
		"test/podinfo/deployment-podinfo.yaml\n"
		"test/podinfo/destinationrule-podinfo-canary.yaml\n"
		"test/podinfo/destinationrule-podinfo-primary.yaml\n"
		"test/podinfo/horizontalpodautoscaler-podinfo-primary.yaml\n"
		"test/podinfo/service-podinfo-canary.yaml\n"
		"test/podinfo/service-podinfo-primary.yaml\n"
		"test/podinfo/service-podinfo.yaml\n"
		"test/podinfo/virtualservice-podinfo.yaml\n");
	push_src(&e,
		 "sed -i 's/newTag: 3.1.0/newTag: 3.1.1/' "
		 "apps/production/kustomization.yaml",
		 "podinfo 3.1.1");
	tick_until(&e, "test", "Succeeded", 80);
	assert_subjects(&e, SUBJECTS_OK);
	sh_ok(&e,
	      "git --git-dir=remote.git show "
	      "deploy:test/podinfo/deployment-podinfo-primary.yaml | "
	      "grep -E 'image:|value: production'; "
	      "git --git-dir=remote.git show "
	      "deploy:test/podinfo/horizontalpodautoscaler-podinfo-primary.yaml"
	      " | sed -n 's/^  maxReplicas: //p'");
	ck_assert_str_eq(e.out.ptr,
			 "          value: production\n"
			 "        image: stefanprodan/podinfo:3.1.1\n"
			 "6\n");
	env_free(&e);
}
END_TEST

/*
 * get and describe as a kubectl user runs them: in an ordinary clone
 * (origin/deploy, no local deploy branch), with -o wide|yaml|json, -A and
 * --deploy-branch origin/deploy (issue 17).
 */
START_TEST(test_loop__get_and_describe_in_a_clone)
{
	env e;
	char *cmd;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, "git clone -q remote.git clone 2>/dev/null && "
		  "git -C clone branch --list deploy");
	ck_assert_str_eq(e.out.ptr, "");
	cmd = gc_xasprintf(
		"cd clone && B='%s' && T='s/20[0-9T:Z-]*$/TIME/' && "
		"$B get | sed \"$T\" && "
		"$B get --deploy-branch origin/deploy -n other -A | sed \"$T\" && "
		"$B get -o wide | sed \"$T\" && "
		"$B get -n other; "
		"$B get -o json | sed -n '1,10p;/\"phase\"/p' && "
		"$B get -o yaml | sed -n '1,6p' && "
		"$B describe test/podinfo -o yaml | sed -n '1,4p;/^  phase/p' && "
		"$B describe test/podinfo -o json | sed -n '1,3p'",
		gc_test_binary);
	sh_ok(&e, cmd);
	free(cmd);
	ck_assert_str_eq(
		e.out.ptr,
		"NAMESPACE   NAME      STATUS        WEIGHT   FAILEDCHECKS   LASTTRANSITIONTIME\n"
		"test        podinfo   Initialized   0        0              TIME\n"
		"NAMESPACE   NAME      STATUS        WEIGHT   FAILEDCHECKS   LASTTRANSITIONTIME\n"
		"test        podinfo   Initialized   0        0              TIME\n"
		"NAMESPACE   NAME      STATUS        WEIGHT   SUSPENDED   FAILEDCHECKS   INTERVAL   MIRROR   STEPWEIGHT   STEPWEIGHTS   MAXWEIGHT   LASTTRANSITIONTIME\n"
		"test        podinfo   Initialized   0                    0              1s                  10                         50          TIME\n"
		"{\n"
		"    \"apiVersion\": \"v1\",\n"
		"    \"kind\": \"List\",\n"
		"    \"items\": [\n"
		"        {\n"
		"            \"apiVersion\": \"flagger.app/v1beta1\",\n"
		"            \"kind\": \"Canary\",\n"
		"            \"metadata\": {\n"
		"                \"name\": \"podinfo\",\n"
		"                \"namespace\": \"test\"\n"
		"                \"phase\": \"Initialized\",\n"
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- apiVersion: flagger.app/v1beta1\n"
		"  kind: Canary\n"
		"  metadata:\n"
		"apiVersion: flagger.app/v1beta1\n"
		"kind: Canary\n"
		"metadata:\n"
		"  name: podinfo\n"
		"  phase: Initialized\n"
		"{\n"
		"    \"apiVersion\": \"flagger.app/v1beta1\",\n"
		"    \"kind\": \"Canary\",\n");
	ck_assert_str_eq(e.err.ptr, "No canaries found.\n");
	/* --watch lists, then waits for the branch to move */
	cmd = gc_xasprintf("cd clone && timeout 3 '%s' get -w | "
			   "sed 's/20[0-9T:Z-]*$/TIME/'",
			   gc_test_binary);
	sh_ok(&e, cmd);
	free(cmd);
	ck_assert_str_eq(
		e.out.ptr,
		"NAMESPACE   NAME      STATUS        WEIGHT   FAILEDCHECKS   LASTTRANSITIONTIME\n"
		"test        podinfo   Initialized   0        0              TIME\n");
	env_free(&e);
}
END_TEST

/*
 * A Service of the source with the apex name (a LoadBalancer with
 * external-dns annotations) is taken over as Flagger takes it over: type,
 * nodePorts, labels and annotations stay; only selector and ports change;
 * it is not passed through as well (issue 17).
 */
START_TEST(test_loop__apex_service_is_taken_over)
{
	env e;

	env_setup(&e);
	push_src(
		&e,
		"printf '%s\\n' 'apiVersion: v1' 'kind: Service' "
		"'metadata:' '  name: podinfo' '  namespace: test' "
		"'  annotations: {external-dns.alpha.kubernetes.io/hostname: podinfo.example.com}' "
		"'spec:' '  type: LoadBalancer' '  selector: {app: podinfo}' "
		"'  ports: [{name: http, port: 9898, nodePort: 30898}]' "
		">service.yaml && git add service.yaml",
		"a LoadBalancer for podinfo");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e,
	      "git --git-dir=remote.git ls-tree --name-only deploy test/_/");
	ck_assert_str_eq(e.out.ptr,
			 "test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
			 "test/_/horizontalpodautoscaler-podinfo.yaml\n");
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:test/podinfo/service-podinfo.yaml | "
		  "grep -E 'external-dns|type:|nodePort'");
	ck_assert_str_eq(
		e.out.ptr,
		"    external-dns.alpha.kubernetes.io/hostname: podinfo.example.com\n"
		"  type: LoadBalancer\n"
		"    nodePort: 30898\n");
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:test/podinfo/service-podinfo.yaml | "
		  "sed -n '/selector:/,/ports:/p'");
	ck_assert_str_eq(e.out.ptr, "  selector:\n"
				    "    app: podinfo-primary\n"
				    "  ports:\n");
	env_free(&e);
}
END_TEST

/* reconcile --once with nothing to commit says what is due next (issue 17) */
START_TEST(test_loop__once_says_what_is_due_next)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	ck_assert_str_eq(e.out.ptr, "");
	ck_assert_ptr_nonnull(strstr(
		e.err.ptr,
		"gitcanary reconcile: nothing to do: no canary is due (every canary is at rest until the source changes)\n"));
	push_src(&e,
		 "sed -i 's/^    interval: 1s$/    interval: 1m/' canary.yaml",
		 "interval 1m");
	bump(&e, "3.1.1");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	ck_assert_uint_eq(e.out.len, 41); /* the commit id and \n */
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	ck_assert_str_eq(e.out.ptr, "");
	ck_assert_ptr_nonnull(strstr(
		e.err.ptr,
		"gitcanary reconcile: nothing to do: next due is test/podinfo at 20"));
	ck_assert_ptr_nonnull(strstr(e.err.ptr, "Z (in "));
	env_free(&e);
}
END_TEST

/*
 * A misspelt Canary (kind: Canery) never turns safety off: the new image
 * of the Deployment it names is not passed through while it is broken;
 * spelt right, the canary takes the Deployment over.
 */
START_TEST(test_loop__misspelt_canary_holds_its_target)
{
	env e;
	const char *image =
		"git --git-dir=remote.git show deploy:other/_/deployment-podinfo.yaml"
		" | sed -n 's|.*image: stefanprodan/||p'";

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	push_src(&e,
		 "mkdir other && for f in deployment.yaml hpa.yaml; do "
		 "sed 's/namespace: test/namespace: other/' $f >other/$f; "
		 "done && git add other",
		 "other app");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, image);
	ck_assert_str_eq(e.out.ptr, "podinfo:3.1.0\n");
	push_src(
		&e,
		"sed 's/namespace: test/namespace: other/; "
		"s/^kind: Canary$/kind: Canery/' canary.yaml >other/canary.yaml "
		"&& sed -i 's|podinfo:[0-9.]*$|podinfo:3.1.1|' "
		"other/deployment.yaml && git add other",
		"canery and a new image");
	reconcile(&e, NULL);
	ck_assert_ptr_nonnull(strstr(e.err.ptr, "has no kind 'Canery'"));
	sh_ok(&e, image);
	ck_assert_str_eq(e.out.ptr, "podinfo:3.1.0\n");
	push_src(&e,
		 "sed -i 's/^kind: Canery$/kind: Canary/' other/canary.yaml",
		 "canary");
	ck_assert_msg(reconcile(&e, NULL) == 0, "%s", e.err.ptr);
	sh_ok(&e,
	      "git --git-dir=remote.git ls-tree -r --name-only deploy other/");
	ck_assert_ptr_null(
		strstr(e.out.ptr, "other/_/deployment-podinfo.yaml"));
	ck_assert_ptr_nonnull(
		strstr(e.out.ptr,
		       "other/podinfo/deployment-podinfo-primary.yaml"));
	env_free(&e);
}
END_TEST

/* ---- config tracking ---- */

#define CONFIG_COPY "test/podinfo/configmap-podinfo-config-primary.yaml"

/* data.color of a file of the deploy branch at rev. */
static char *color_at(env *e, const char *rev, const char *path)
{
	gc_test_sh(&e->out, NULL,
		   "cd '%s' && git --git-dir=remote.git show %s:%s | "
		   "sed -n 's/^  color: //p'",
		   e->dir, rev, path);
	if (e->out.len && e->out.ptr[e->out.len - 1] == '\n')
		gc_buf_truncate(&e->out, e->out.len - 1);
	return gc_xstrdup(e->out.ptr);
}

static void assert_color(env *e, const char *rev, const char *path,
			 const char *want)
{
	char *got = color_at(e, rev, path);

	ck_assert_msg(!strcmp(got, want), "%s:%s has color '%s', want '%s'",
		      rev, path, got, want);
	free(got);
}

/*
 * Only a ConfigMap the target references changes: the release runs like an
 * image bump, the primary's copy keeps the old data through the analysis
 * (the canary gets the new data at once) and the promotion commit gives the
 * primary the new data with a new flagger-id, so it rolls.
 */
START_TEST(test_loop__config_change_is_a_release)
{
	env e;
	char rev[16], *p;

	env_setup(&e);
	push_src(
		&e,
		"printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		"  name: podinfo-config\n  namespace: test\ndata:\n"
		"  color: blue\n' >configmap.yaml && git add configmap.yaml && "
		"sed -i 's|^\\( *\\)image: stefanprodan/podinfo.*|&\\n"
		"\\1envFrom:\\n\\1  - configMapRef:\\n"
		"\\1      name: podinfo-config|' deployment.yaml",
		"podinfo reads podinfo-config");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	assert_subjects(&e, "Initialization done! podinfo.test\n");
	assert_color(&e, "deploy", CONFIG_COPY, "blue");
	/* printf '{"color":"blue"}' | sha256sum, first 16 hex digits */
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:.gitcanary/status/test/podinfo.yaml | "
		  "grep -o 'configmap/podinfo-config: .*'");
	ck_assert_str_eq(e.out.ptr,
			 "configmap/podinfo-config: f234cb93c08ad64e\n");

	push_src(&e, "sed -i 's/color: blue/color: green/' configmap.yaml",
		 "podinfo-config green");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	p = phase(&e, "test");
	ck_assert_str_eq(p, "Progressing");
	free(p);
	assert_color(&e, "deploy", CONFIG_COPY, "blue");
	assert_color(&e, "deploy", "test/_/configmap-podinfo-config.yaml",
		     "green");
	/* printf '{"color":"green"}' | sha256sum, first 16 hex digits */
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:.gitcanary/status/test/podinfo.yaml | "
		  "grep -o 'configmap/podinfo-config: .*'");
	ck_assert_str_eq(e.out.ptr,
			 "configmap/podinfo-config: b1c0d2a81c6839b3\n");
	tick_until(&e, "test", "Succeeded", 80);
	assert_subjects(&e, SUBJECTS_OK);
	/* deploy~8 started the run, deploy~3 is weight 50, deploy~2 promotes */
	for (int i = 3; i <= 8; i++) {
		snprintf(rev, sizeof(rev), "deploy~%d", i);
		assert_color(&e, rev, CONFIG_COPY, "blue");
	}
	assert_color(&e, "deploy~2", CONFIG_COPY, "green");
	assert_color(&e, "deploy", CONFIG_COPY, "green");
	/* the same template, a new flagger-id: the primary rolls */
	sh_ok(&e, "for r in deploy~3 deploy~2; do "
		  "git --git-dir=remote.git show "
		  "$r:test/podinfo/deployment-podinfo-primary.yaml | "
		  "grep 'flagger-id:'; done | uniq | wc -l");
	ck_assert_str_eq(e.out.ptr, "2\n");
	/* at rest: another tick changes nothing */
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	assert_subjects(&e, SUBJECTS_OK);
	env_free(&e);
}
END_TEST

/* ---- a rollback ---- */

START_TEST(test_loop__rollback_on_failing_webhook)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	fail_load_test = 1;
	bump(&e, "3.1.2");
	tick_until(&e, "test", "Failed", 80);
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git log --reverse "
		   "--format=%%s deploy | sed 's|127.0.0.1:[0-9]*|HOOKS|'",
		   e.dir);
	ck_assert_str_eq(
		e.out.ptr,
		"Initialization done! podinfo.test\n"
		"New revision detected! Scaling up podinfo.test\n"
		"Advance podinfo.test canary weight 10\n"
		"Halt podinfo.test advancement external check load-test failed POST http://HOOKS/load giving up after 1 attempt(s)\n"
		"Halt podinfo.test advancement external check load-test failed POST http://HOOKS/load giving up after 1 attempt(s)\n"
		"Canary failed! Scaling down podinfo.test\n");
	sh_ok(&e,
	      "git --git-dir=remote.git log -1 --format=%B deploy | "
	      "sed -n '3,4p'; git --git-dir=remote.git log -1 --format=%B deploy | "
	      "git interpret-trailers --parse | grep -E '^(Phase|Failed-Checks)'");
	ck_assert_str_eq(
		e.out.ptr,
		"test/podinfo: warning: Rolling back podinfo.test failed checks threshold reached 2\n"
		"test/podinfo: warning: Canary failed! Scaling down podinfo.test\n"
		"Phase: Failed\nFailed-Checks: 0\n");
	/* the outcome note keeps what the status resets */
	sh_ok(&e,
	      "git --git-dir=remote.git notes --ref=gitcanary show main "
	      "| tr -d ' \\t\\n' | grep -o '\"outcome.*failedChecks\":[0-9]*' "
	      "| sed 's/\"time\":\"[^\"]*\"/T/'");
	ck_assert_str_eq(e.out.ptr, "\"outcome\":\"rolledback\",T,"
				    "\"maxWeight\":10,\"failedChecks\":2\n");
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:test/podinfo/deployment-podinfo-primary.yaml | "
		  "grep -c 'image: stefanprodan/podinfo:3.1.0'; "
		  "git --git-dir=remote.git show "
		  "deploy:test/podinfo/deployment-podinfo.yaml | "
		  "sed -n 's/^  replicas: //p'; "
		  "git --git-dir=remote.git show "
		  "deploy:test/podinfo/virtualservice-podinfo.yaml | "
		  "sed -n 's/^ *weight: //p'");
	ck_assert_str_eq(e.out.ptr, "1\n0\n100\n0\n");
	env_free(&e);
}
END_TEST

/*
 * A webhook's answer is data: it cannot add an event or a trailer to a
 * deploy commit, `describe` does not show it as an event, the logs and
 * commits carry no terminal escape, and the note has it whole.
 */
START_TEST(test_loop__webhook_cannot_forge_history)
{
	env e;
	cJSON *note;
	const cJSON *c, *chk;
	bool found = false;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	fail_load_test = 2;
	bump(&e, "3.1.2");
	tick_until(&e, "test", "Failed", 80);
	/* no line of any commit is the forged event or trailer */
	sh_ok(&e, "git --git-dir=remote.git log --format=%B deploy | "
		  "grep -cE '^(test/podinfo: Promotion|Phase: Succeeded)' "
		  "|| true; git --git-dir=remote.git log --format=%B deploy | "
		  "grep -c \"$(printf '\\033')\" || true");
	ck_assert_str_eq(e.out.ptr, "0\n0\n");
	sh_ok(&e, "git --git-dir=remote.git log --format=%B -1 deploy~1 | "
		  "sed -n 1p");
	ck_assert_str_eq(
		e.out.ptr,
		"Halt podinfo.test advancement external check load-test failed "
		"\"oops\\n\\ntest/podinfo: Promotion completed! Scaling down "
		"podinfo.test\\n\\nCanary: test/podinfo\\nPhase: Succeeded\\n"
		"\\u001b[2J\xef\xbf\xbd\"\n");
	gc_test_sh(&e.out, &e.err,
		   "cd '%s' && '%s' describe test/podinfo --repo remote.git | "
		   "sed -n '/^Events:/,$p' | grep -c '  Promotion completed' "
		   "|| true",
		   e.dir, gc_test_binary);
	ck_assert_str_eq(e.out.ptr, "0\n");
	/* the note of the tick that failed the check has the whole body */
	sh_ok(&e, "git --git-dir=remote.git notes --ref=gitcanary show "
		  "deploy~1");
	note = cJSON_Parse(e.out.ptr);
	ck_assert_ptr_nonnull(note);
	c = cJSON_GetArrayItem(gc_json_get(note, "canaries"), 0);
	cJSON_ArrayForEach (chk, gc_json_get(c, "checks")) {
		const char *r = gc_json_str(chk, "response");

		if (r &&
		    !strcmp(r, "oops\n\ntest/podinfo: Promotion completed! "
			       "Scaling down podinfo.test\n\nCanary: "
			       "test/podinfo\nPhase: Succeeded\n\x1b[2J"
			       "\xef\xbf\xbd"))
			found = true;
	}
	ck_assert(found);
	cJSON_Delete(note);
	env_free(&e);
}
END_TEST

/*
 * Secrets in every form a URL can carry them (issue 15): userinfo, query
 * string, a token file, a header a server echoes. After a release that
 * runs and fails its hooks, no secret is on the deploy branch, in the
 * notes, in the status files, in the logs or in the cache directory.
 */
START_TEST(test_loop__secrets_reach_nothing_written)
{
	/* what gitcanary writes; main holds the user's own canary.yaml */
	static const char *const where[] = {
		"git --git-dir=remote.git log -p deploy",
		"git --git-dir=remote.git log -p refs/notes/gitcanary",
		"git --git-dir=remote.git notes --ref=gitcanary list | "
		"while read n c; do git --git-dir=remote.git show $n; done",
		"cat gc.log",
		"find cache",
		"grep -r -a . cache",
	};
	env e;
	char *url = NULL, *cmd;

	env_setup(&e);
	url = gc_httpd_url(e.hooks, "");
	cmd = gc_xasprintf(
		"printf 'Sec-TOKEN-1\\n' >token && "
		"cd src && sed -i "
		"'s|http://127.0.0.1:\\([0-9]*\\)/acceptance|"
		"http://bob:Sec-USER-2@127.0.0.1:\\1/acceptance?apikey=Sec-QUERY-3|;"
		"s|http://127.0.0.1:\\([0-9]*\\)/load|"
		"http://eve:Sec-ECHO-4@127.0.0.1:\\1/echo?token=Sec-ECHOQ-5|' "
		"canary.yaml && grep -c Sec- canary.yaml && " GIT
		" commit -qam secrets && git push -q origin main");
	sh_ok(&e, cmd);
	free(cmd);
	ck_assert_str_eq(e.out.ptr, "2\n");
	cmd = gc_xasprintf(
		"cd '%s' && '%s' reconcile --once -v "
		"--repo \"file://$PWD/remote.git\" --cache-dir cache "
		"--token-file token --assume-ready --min-interval 1s "
		"--metrics-server 'http://pat:Sec-PROM-6@127.0.0.1:1/?k=Sec-PROMQ-7' "
		"--event-webhook '%s/events?key=Sec-EVENT-8' 2>>gc.log",
		e.dir, gc_test_binary, url);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(gc_test_sh(&e.out, &e.err, "%s", cmd), 0);
	bump(&e, "3.1.2");
	for (int i = 0; i < 40; i++) {
		char *p;

		gc_test_sh(&e.out, &e.err, "%s", cmd);
		p = phase(&e, "test");
		if (!strcmp(p, "Failed")) {
			free(p);
			break;
		}
		free(p);
		nap_ms(250);
	}
	/* the hooks ran and failed, so their answers were written */
	sh_ok(&e, "git --git-dir=remote.git log --format=%B deploy | "
		  "grep -c 'you sent Basic \\*\\*\\* and \\*\\*\\*' | "
		  "sed 's/^[1-9][0-9]*$/some/'");
	ck_assert_str_eq(e.out.ptr, "some\n");
	/* base64 of eve:Sec-ECHO-4 and bob:Sec-USER-2 too */
	for (size_t i = 0; i < GC_ARRAY_SIZE(where); i++) {
		char *grep = gc_xasprintf(
			"{ %s; } | grep -a -o -E '.{0,60}(Sec-|"
			"ZXZlOlNlYy1FQ0hPLTQ|Ym9iOlNlYy1VU0VSLTI).{0,20}' | "
			"head -3; true",
			where[i]);

		sh_ok(&e, grep);
		ck_assert_msg(!e.out.len, "a secret in `%s`:\n%s", where[i],
			      e.out.ptr);
		free(grep);
	}
	free(cmd);
	free(url);
	env_free(&e);
}
END_TEST

/* ---- restarts ---- */

START_TEST(test_loop__killed_daemon_resumes_from_git)
{
	env e;
	char *p = NULL;
	long waits[] = { 700, 1300, 400, 1900, 900, 250, 1100, 600 };

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	bump(&e, "3.1.1");
	/* kill -9 at arbitrary moments, between ticks and inside them */
	for (size_t i = 0; i < GC_ARRAY_SIZE(waits); i++) {
		daemon_start(&e, "gc");
		nap_ms(waits[i]);
		daemon_signal(&e, "gc", "KILL");
		free(p);
		p = phase(&e, "test");
		if (!strcmp(p, "Succeeded"))
			break;
	}
	free(p);
	daemon_start(&e, "gc");
	wait_phase(&e, "test", "Succeeded", 30);
	/* SIGTERM: the tick finishes, exit 0 */
	sh_ok(&e, "kill -TERM $(cat gc.pid); wait_for() { "
		  "while kill -0 $1 2>/dev/null; do sleep 0.05; done; }; "
		  "wait_for $(cat gc.pid); tail -1 gc.log | sed 's/^[^ ]* //'");
	ck_assert_str_eq(e.out.ptr, "info stopping\n");
	assert_subjects(&e, SUBJECTS_OK);
	env_free(&e);
}
END_TEST

/*
 * The repository goes away (issue 15): the daemon says it is unreachable
 * and backs off (100, 200, 400, 800 ms, ...) instead of logging "no
 * branch 'main'" every poll, and carries on once it is back.
 */
START_TEST(test_loop__unreachable_repository_backs_off)
{
	env e;

	env_setup(&e);
	daemon_start(&e, "gc");
	wait_phase(&e, "test", "Initialized", 30);
	sh_ok(&e,
	      "mv remote.git gone.git && sleep 2 && "
	      "grep -c 'tick failed' gc.log; "
	      "grep -c 'tick failed.*the repository is unreachable' gc.log; "
	      "grep -c 'no branch' gc.log; true");
	{
		int failed = 0, unreachable = 0, plain = 0;

		ck_assert_int_eq(sscanf(e.out.ptr, "%d %d %d", &failed,
					&unreachable, &plain),
				 3);
		/* 20 polls of 100 ms; backoff leaves 4 or 5 tries */
		ck_assert_msg(failed >= 3 && failed <= 6, "%s", e.out.ptr);
		ck_assert_int_eq(unreachable, failed);
	}
	sh_ok(&e, "mv gone.git remote.git && for i in $(seq 100); do "
		  "grep -q 'tick worked again' gc.log && break; sleep 0.1; "
		  "done; grep -c 'tick worked again after' gc.log");
	ck_assert_str_eq(e.out.ptr, "1\n");
	daemon_signal(&e, "gc", "TERM");
	env_free(&e);
}
END_TEST

/* ---- concurrency ---- */

/* A push that cannot land is retried, reported, and the stage not lost. */
START_TEST(test_loop__lost_push_is_not_a_lost_stage)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	bump(&e, "3.1.1");
	sh_ok(&e, "touch remote.git/refs/heads/deploy.lock");
	ck_assert_int_eq(reconcile(&e, NULL), 1);
	ck_assert_ptr_nonnull(strstr(e.err.ptr,
				     "gitcanary reconcile: "
				     "'refs/heads/deploy' is locked by "
				     "another git process (if none runs, "
				     "one was killed: remove the .lock "
				     "file): failed to lock file"));
	assert_subjects(&e, "Initialization done! podinfo.test\n");
	sh_ok(&e, "rm remote.git/refs/heads/deploy.lock");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	assert_subjects(&e, "Initialization done! podinfo.test\n"
			    "New revision detected! Scaling up podinfo.test\n");
	env_free(&e);
}
END_TEST

START_TEST(test_loop__two_daemons_and_human_pushes)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	daemon_start(&e, "a");
	daemon_start(&e, "b");
	bump(&e, "3.1.1");
	for (int i = 1; i <= 3; i++) {
		char *change = gc_xasprintf(
			"printf 'apiVersion: v1\\nkind: ConfigMap\\n"
			"metadata:\\n  name: cm-%d\\n  namespace: test\\n"
			"data:\\n  k: v\\n' "
			">cm-%d.yaml && git add cm-%d.yaml",
			i, i, i);
		char *subject = gc_xasprintf("config %d", i);

		nap_ms(900);
		push_src(&e, change, subject);
		free(change);
		free(subject);
	}
	wait_phase(&e, "test", "Succeeded", 40);
	daemon_signal(&e, "a", "TERM");
	daemon_signal(&e, "b", "TERM");
	/* every release step once, in order, whoever made it */
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git log --reverse "
		   "--format=%%s deploy | grep -v '^Sync '",
		   e.dir);
	ck_assert_str_eq(e.out.ptr, SUBJECTS_OK);
	/* both processes worked, and lost some pushes without harm */
	sh_ok(&e, "git --git-dir=remote.git rev-list --min-parents=2 deploy "
		  "| wc -l; git --git-dir=remote.git log --format=%s main | "
		  "grep -c '^config'; git --git-dir=remote.git ls-tree "
		  "--name-only deploy test/_/ | grep -c configmap-cm-");
	ck_assert_str_eq(e.out.ptr, "0\n3\n3\n");
	env_free(&e);
}
END_TEST

/* ---- one broken app does not stop another ---- */

START_TEST(test_loop__broken_app_does_not_stop_others)
{
	env e;
	char *first;

	env_setup(&e);
	push_src(&e,
		 "mkdir other && cp canary.yaml deployment.yaml hpa.yaml "
		 "other/ && sed -i 's/namespace: test/namespace: other/' "
		 "other/*.yaml && git add other",
		 "second app");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	first = subjects(&e);
	ck_assert_str_eq(first, "Reconcile 2 canaries\n");
	free(first);
	sh_ok(&e, "git --git-dir=remote.git rev-parse deploy");
	first = gc_xstrdup(e.out.ptr);
	first[strcspn(first, "\n")] = '\0';
	/* break the other app's Deployment and bump podinfo */
	push_src(&e, "printf '  bad: [\\n' >>other/deployment.yaml",
		 "break other");
	bump(&e, "3.1.1");
	tick_until_rc(&e, "test", "Succeeded", 80, 1);
	ck_assert_ptr_nonnull(strstr(e.err.ptr, "other/deployment.yaml:"));
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git log --reverse "
		   "--format=%%s %s..deploy",
		   e.dir, first);
	ck_assert_str_eq(e.out.ptr,
			 strchr(SUBJECTS_OK, '\n') + 1); /* all but init */
	/* nothing of the broken app changed on the deploy branch */
	{
		char *cmd = gc_xasprintf(
			"git --git-dir=remote.git diff --name-only %s deploy "
			"-- other .gitcanary/status/other",
			first);

		sh_ok(&e, cmd);
		free(cmd);
	}
	ck_assert_str_eq(e.out.ptr, "");
	free(first);
	env_free(&e);
}
END_TEST

/*
 * What Flagger silently ignores (an alert without severity: it receives
 * nothing) and an object of a removed apiVersion are warnings: logged once
 * for the revision, not at every tick of the release, and the release goes
 * on. The valid AlertProvider is worth no line, and nothing is sent.
 */
START_TEST(test_loop__warnings_are_logged_once_and_stop_nothing)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	push_src(
		&e,
		"printf '    alerts:\\n      - name: on-call\\n"
		"        providerRef:\\n          name: slack\\n' >>canary.yaml"
		" && printf 'apiVersion: flagger.app/v1beta1\\n"
		"kind: AlertProvider\\nmetadata:\\n  name: slack\\n"
		"  namespace: test\\nspec:\\n  type: slack\\n"
		"  address: https://hooks.slack.com/x\\n' >alert.yaml"
		" && printf 'apiVersion: policy/v1beta1\\n"
		"kind: PodDisruptionBudget\\nmetadata:\\n  name: podinfo\\n"
		"  namespace: test\\nspec:\\n  minAvailable: 1\\n' >pdb.yaml"
		" && git add alert.yaml pdb.yaml",
		"alerts");
	bump(&e, "3.1.1");
	daemon_start(&e, "gc");
	wait_phase(&e, "test", "Succeeded", 60);
	daemon_signal(&e, "gc", "TERM");
	sh_ok(&e,
	      "grep -c ' warning: spec.analysis.alerts.0..severity: not set: "
	      "Flagger sends this alert nothing (set info, warn or error)$' "
	      "gc.log; grep -c -e 'alert.yaml' -e \"alert 'on-call'\" "
	      "gc.log; grep -c 'pdb.yaml:1:13: warning: policy/v1beta1 "
	      "PodDisruptionBudget was removed in Kubernetes 1.25: use "
	      "policy/v1$' gc.log; grep -c 'skipped' gc.log || true");
	ck_assert_str_eq(e.out.ptr, "1\n0\n1\n0\n");
	env_free(&e);
}
END_TEST

/* ---- pass-through ---- */

static void deploy_files(env *e, const char *dir)
{
	char *cmd = gc_xasprintf(
		"git --git-dir=remote.git ls-tree --name-only deploy %s/", dir);

	sh_ok(e, cmd);
	free(cmd);
}

START_TEST(test_loop__passthrough_follows_source_but_not_broken_files)
{
	env e;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	push_src(&e,
		 "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
		 "  name: extra\\n  namespace: test\\ndata:\\n  k: v\\n' "
		 ">extra.yaml && "
		 "git add extra.yaml",
		 "add extra");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	sh_ok(&e, "git --git-dir=remote.git log -1 --format=%s deploy; "
		  "git --git-dir=remote.git rev-parse --short=12 main; "
		  "git --git-dir=remote.git show "
		  "deploy:test/_/configmap-extra.yaml");
	{
		char *want = gc_xasprintf(
			"Sync %.12s from main\n%.12s\napiVersion: v1\n"
			"kind: ConfigMap\nmetadata:\n  name: extra\n"
			"  namespace: test\ndata:\n  k: v\n",
			strchr(e.out.ptr, '\n') + 1,
			strchr(e.out.ptr, '\n') + 1);

		ck_assert_str_eq(e.out.ptr, want);
		free(want);
	}
	/* a broken file: nothing is deleted, not even what really went */
	push_src(
		&e,
		"git rm -q extra.yaml && printf '  bad: [\\n' >>hpa-total.yaml",
		"break");
	/* an error of the source is exit 1, syntax or schema (issue 17) */
	ck_assert_int_eq(reconcile(&e, NULL), 1);
	ck_assert_ptr_nonnull(strstr(
		e.err.ptr,
		"hpa-total.yaml:24:9: did not find expected node content"));
	deploy_files(&e, "test/_");
	ck_assert_str_eq(e.out.ptr,
			 "test/_/configmap-extra.yaml\n"
			 "test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
			 "test/_/horizontalpodautoscaler-podinfo.yaml\n");
	/* fixed: the vanished ConfigMap goes */
	push_src(&e, "git checkout HEAD~1 -- hpa-total.yaml", "fix");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	deploy_files(&e, "test/_");
	ck_assert_str_eq(e.out.ptr,
			 "test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
			 "test/_/horizontalpodautoscaler-podinfo.yaml\n");
	sh_ok(&e, "git --git-dir=remote.git show deploy:kustomization.yaml "
		  "| grep -c configmap || true");
	ck_assert_str_eq(e.out.ptr, "0\n");
	env_free(&e);
}
END_TEST

/* Every file of the deploy branch, one per line. */
static char *deploy_tree(env *e)
{
	sh_ok(e, "git --git-dir=remote.git ls-tree -r --name-only deploy");
	return gc_xstrdup(e->out.ptr);
}

#define RENDERED                                                      \
	"test/podinfo/deployment-podinfo-primary.yaml\n"              \
	"test/podinfo/deployment-podinfo.yaml\n"                      \
	"test/podinfo/destinationrule-podinfo-canary.yaml\n"          \
	"test/podinfo/destinationrule-podinfo-primary.yaml\n"         \
	"test/podinfo/horizontalpodautoscaler-podinfo-primary.yaml\n" \
	"test/podinfo/service-podinfo-canary.yaml\n"                  \
	"test/podinfo/service-podinfo-primary.yaml\n"                 \
	"test/podinfo/service-podinfo.yaml\n"                         \
	"test/podinfo/virtualservice-podinfo.yaml\n"

/*
 * A Canary deleted from the source: in one commit its status and rendered
 * objects leave the deploy branch and its target Deployment passes through
 * as written (never both, which kustomize would refuse). A Canary file
 * that does not parse deletes nothing. Through the daemon (its caches) and
 * through --once.
 */
START_TEST(test_loop__deleted_canary_leaves_the_deploy_branch)
{
	static const char managed[] =
		".gitcanary/status/test/podinfo.yaml\n"
		"istio-system/_/gateway-public-gateway.yaml\n"
		"kustomization.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo.yaml\n" RENDERED;
	static const char unmanaged[] =
		"istio-system/_/gateway-public-gateway.yaml\n"
		"kustomization.yaml\n"
		"test/_/deployment-podinfo.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo-total.yaml\n"
		"test/_/horizontalpodautoscaler-podinfo.yaml\n";
	env e;
	char *files;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	files = deploy_tree(&e);
	ck_assert_str_eq(files, managed);
	free(files);
	/* a misspelt kind is not a deleted Canary: nothing is removed, and
	 * its target does not pass through */
	push_src(&e, "sed -i 's/^kind: Canary$/kind: Canery/' canary.yaml",
		 "misspell the kind");
	ck_assert_int_eq(reconcile(&e, NULL), 1);
	files = deploy_tree(&e);
	ck_assert_str_eq(files, managed);
	free(files);
	push_src(&e, "sed -i 's/^kind: Canery$/kind: Canary/' canary.yaml",
		 "fix the kind");
	/* a Canary that does not parse is not a deleted one */
	push_src(&e, "printf '  bad: [\\n' >>canary.yaml", "break canary");
	ck_assert_int_eq(reconcile(&e, NULL), 1);
	files = deploy_tree(&e);
	ck_assert_str_eq(files, managed);
	free(files);
	/* deleted while the daemon runs */
	daemon_start(&e, "gc");
	push_src(&e, "git rm -q canary.yaml", "no more canary");
	for (int i = 0; i < 100; i++) {
		if (gc_test_sh(NULL, NULL,
			       "cd '%s' && git --git-dir=remote.git cat-file "
			       "-e deploy:.gitcanary/status/test/podinfo.yaml "
			       "2>/dev/null",
			       e.dir) != 0)
			break;
		nap_ms(100);
	}
	daemon_signal(&e, "gc", "TERM");
	files = deploy_tree(&e);
	ck_assert_str_eq(files, unmanaged);
	free(files);
	sh_ok(&e,
	      "git --git-dir=remote.git show --no-renames --format=%s --name-status "
	      "deploy | sed 's/^Sync [0-9a-f]* from main$/Sync/'");
	ck_assert_str_eq(
		e.out.ptr,
		"Sync\n\n"
		"D\t.gitcanary/status/test/podinfo.yaml\n"
		"M\tkustomization.yaml\n"
		"A\ttest/_/deployment-podinfo.yaml\n"
		"D\ttest/podinfo/deployment-podinfo-primary.yaml\n"
		"D\ttest/podinfo/deployment-podinfo.yaml\n"
		"D\ttest/podinfo/destinationrule-podinfo-canary.yaml\n"
		"D\ttest/podinfo/destinationrule-podinfo-primary.yaml\n"
		"D\ttest/podinfo/horizontalpodautoscaler-podinfo-primary.yaml\n"
		"D\ttest/podinfo/service-podinfo-canary.yaml\n"
		"D\ttest/podinfo/service-podinfo-primary.yaml\n"
		"D\ttest/podinfo/service-podinfo.yaml\n"
		"D\ttest/podinfo/virtualservice-podinfo.yaml\n");
	/* the Deployment as the source has it: no replicas (its HPA scales
	 * it again), the image of the source */
	sh_ok(&e, "git --git-dir=remote.git show "
		  "deploy:test/_/deployment-podinfo.yaml | "
		  "grep -E 'replicas|image:'");
	ck_assert_str_eq(e.out.ptr,
			 "        image: stefanprodan/podinfo:3.1.0\n");
	/* back, then deleted again, with --once */
	push_src(&e, "git checkout HEAD~2 -- canary.yaml", "canary again");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	files = deploy_tree(&e);
	ck_assert_str_eq(files, managed);
	free(files);
	push_src(&e, "git rm -q canary.yaml", "no canary again");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	files = deploy_tree(&e);
	ck_assert_str_eq(files, unmanaged);
	free(files);
	env_free(&e);
}
END_TEST

/* ---- readiness from kube-state-metrics in a real Prometheus ---- */

static volatile int canary_updated;

static void ksm_series(gc_buf *b, const char *name, int updated)
{
	static const char *const metrics[] = {
		"kube_deployment_spec_replicas",
		"kube_deployment_status_replicas_updated",
		"kube_deployment_status_replicas_available",
		"kube_deployment_status_replicas",
		"kube_deployment_metadata_generation",
		"kube_deployment_status_observed_generation"
	};
	const int values[] = { 2, updated, updated, 2, 1, 1 };

	for (size_t i = 0; i < GC_ARRAY_SIZE(metrics); i++)
		gc_buf_addf(b, "%s{namespace=\"test\",deployment=\"%s\"} %d\n",
			    metrics[i], name, values[i]);
}

static void ksm(const gc_httpd_request *req, gc_httpd_response *resp,
		void *payload)
{
	(void)payload;
	(void)req;
	resp->content_type = "text/plain; version=0.0.4";
	ksm_series(&resp->body, "podinfo-primary", 2);
	ksm_series(&resp->body, "podinfo", canary_updated);
}

START_TEST(test_loop__no_analysis_until_the_canary_is_ready)
{
	env e;
	gc_httpd *metrics;
	gc_test_prom *prom;
	char target[64], *flags, *p;
	const char *targets[2] = { target, NULL };

	env_setup(&e);
	canary_updated = 0;
	metrics = gc_httpd_start(ksm, NULL);
	snprintf(target, sizeof(target), "127.0.0.1:%u",
		 (unsigned)gc_httpd_port(metrics));
	prom = gc_test_prom_start(targets, "1s", NULL);
	ck_assert_int_eq(gc_test_prom_wait_query(
				 prom,
				 "kube_deployment_status_replicas_updated", 30),
			 0);
	flags = gc_xasprintf("--readiness-server %s", gc_test_prom_url(prom));
	/* without --assume-ready: the loop asks Prometheus */
	ck_assert_int_eq(gc_test_sh(&e.out, &e.err,
				    "cd '%s' && '%s' reconcile --once --repo "
				    "remote.git --min-interval 1s %s",
				    e.dir, gc_test_binary, flags),
			 0);
	bump(&e, "3.1.1");
	for (int i = 0; i < 3; i++) {
		nap_ms(1100);
		ck_assert_int_eq(gc_test_sh(&e.out, &e.err,
					    "cd '%s' && '%s' reconcile --once "
					    "--repo remote.git --min-interval "
					    "1s %s",
					    e.dir, gc_test_binary, flags),
				 0);
	}
	p = subjects(&e);
	ck_assert_str_eq(
		p,
		"Initialization done! podinfo.test\n"
		"New revision detected! Scaling up podinfo.test\n"
		"canary deployment podinfo.test not ready: waiting for rollout to finish: 0 out of 2 new replicas have been updated\n");
	free(p);
	/* the canary rolls out: the analysis starts */
	canary_updated = 2;
	ck_assert_int_eq(
		gc_test_prom_wait_query(
			prom,
			"kube_deployment_status_replicas_available{deployment=\"podinfo\"} == 2",
			30),
		0);
	nap_ms(1100);
	ck_assert_int_eq(gc_test_sh(&e.out, &e.err,
				    "cd '%s' && '%s' reconcile --once --repo "
				    "remote.git --min-interval 1s %s",
				    e.dir, gc_test_binary, flags),
			 0);
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git log -1 --format=%%s "
		   "deploy",
		   e.dir);
	ck_assert_str_eq(e.out.ptr, "Advance podinfo.test canary weight 10\n");
	free(flags);
	gc_test_prom_stop(prom);
	gc_httpd_stop(metrics);
	env_free(&e);
}
END_TEST

/* ---- event webhooks ---- */

/*
 * Appends webhooks to the canary (its analysis.webhooks list ends the
 * file): HOOKS becomes the test server's URL, HOSTPORT its host:port.
 */
static void add_hooks(env *e, const char *yaml)
{
	char *url = gc_httpd_url(e->hooks, ""), *path, *change;
	gc_error err = GC_ERROR_INIT;

	path = gc_xasprintf("%s/more-hooks.yaml", e->dir);
	ck_assert_int_eq(gc_buf_write_file(path, yaml, strlen(yaml), &err), 0);
	change = gc_xasprintf("sed 's|HOOKS|%s|; s|HOSTPORT|127.0.0.1:%u|' "
			      "../more-hooks.yaml >>canary.yaml",
			      url, (unsigned)gc_httpd_port(e->hooks));
	push_src(e, change, "event hooks");
	free(change);
	free(path);
	free(url);
}

/* "<path> <phase>|<type>|<message>" lines without the phase; owned. */
static char *without_phase(const char *lines)
{
	gc_buf b = GC_BUF_INIT;

	for (const char *p = lines; *p;) {
		const char *nl = strchr(p, '\n');
		const char *sp = strchr(p, ' ');
		const char *bar = strchr(p, '|');

		ck_assert(nl && sp && bar && sp < bar && bar < nl);
		gc_buf_add(&b, p, (size_t)(sp - p + 1));
		gc_buf_add(&b, bar + 1, (size_t)(nl - bar));
		p = nl + 1;
	}
	return gc_buf_detach(&b, NULL);
}

static size_t count_prefix(const char *lines, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = lines; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		n += !strncmp(p, prefix, len);
	return n;
}

#define EVENT_HOOK                    \
	"      - name: events\n"      \
	"        type: event\n"       \
	"        url: HOOKS/events\n" \
	"        metadata:\n"         \
	"          team: podinfo\n"   \
	"          eventType: not-this\n"

/* what the event hook receives in a release: phase|type|message */
#define EVENTS_OK                                                                \
	"/events Initialized|Normal|Initialization done! podinfo.test\n"         \
	"/events Progressing|Normal|New revision detected! Scaling up "          \
	"podinfo.test\n"                                                         \
	"/events Progressing|Normal|Starting canary analysis for podinfo.test\n" \
	"/events Progressing|Normal|Pre-rollout check acceptance-test passed\n"  \
	"/events Progressing|Normal|Advance podinfo.test canary weight 10\n"     \
	"/events Progressing|Normal|Advance podinfo.test canary weight 20\n"     \
	"/events Progressing|Normal|Advance podinfo.test canary weight 30\n"     \
	"/events Progressing|Normal|Advance podinfo.test canary weight 40\n"     \
	"/events Progressing|Normal|Advance podinfo.test canary weight 50\n"     \
	"/events Progressing|Normal|Copying podinfo.test template spec to "      \
	"podinfo-primary.test\n"                                                 \
	"/events Promoting|Normal|Routing all traffic to primary\n"              \
	"/events Succeeded|Normal|Promotion completed! Scaling down "            \
	"podinfo.test\n"

START_TEST(test_loop__event_webhooks_follow_the_commits)
{
	env e;
	char *got, *want;

	env_setup(&e);
	add_hooks(&e, EVENT_HOOK);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	bump(&e, "3.1.1");
	tick_until(&e, "test", "Succeeded", 80);
	got = take_events();
	ck_assert_str_eq(got, EVENTS_OK);
	/* the same events in the same order as the deploy commits */
	gc_test_sh(&e.out, NULL,
		   "cd '%s' && git --git-dir=remote.git log --reverse "
		   "--format=%%b deploy | sed -n "
		   "-e 's/^test\\/podinfo: warning: /\\/events Warning|/p' "
		   "-e 's/^test\\/podinfo: /\\/events Normal|/p'",
		   e.dir);
	want = without_phase(got);
	ck_assert_str_eq(want, e.out.ptr);
	free(want);
	free(got);
	/* Flagger's payload; the hook's eventType does not win */
	ck_assert_msg(
		gc_test_sh(
			NULL, NULL,
			"printf '%%s' '%s' | grep -Eq '^\\{\"name\":\"podinfo\","
			"\"namespace\":\"test\",\"phase\":\"Initialized\","
			"\"checksum\":\"[0-9a-z]+\",\"metadata\":\\{"
			"\"eventMessage\":\"Initialization done! podinfo.test\","
			"\"eventType\":\"Normal\",\"team\":\"podinfo\","
			"\"timestamp\":\"[0-9]{13}\"\\}\\}$'",
			events_first_body) == 0,
		"payload %s", events_first_body);
	/* the deliveries are evidence on the commit that carries the events */
	sh_ok(&e,
	      "git --git-dir=remote.git notes --ref=gitcanary show deploy~7 "
	      "| tr -d '\\n\\t' | grep -o '\"eventWebhooks\":.*' | "
	      "sed -E 's/127.0.0.1:[0-9]+/HOOKS/g; "
	      "s/\"duration_ms\":[0-9.e+-]+/D/g'");
	ck_assert_str_eq(
		e.out.ptr,
		"\"eventWebhooks\":["
		"{\"name\":\"events\",\"type\":\"event\",\"url\":\"http://HOOKS/events\","
		"\"status\":200,D,\"attempts\":1,\"result\":\"pass\","
		"\"eventMessage\":\"Starting canary analysis for podinfo.test\"}, "
		"{\"name\":\"events\",\"type\":\"event\",\"url\":\"http://HOOKS/events\","
		"\"status\":200,D,\"attempts\":1,\"result\":\"pass\","
		"\"eventMessage\":\"Pre-rollout check acceptance-test passed\"}, "
		"{\"name\":\"events\",\"type\":\"event\",\"url\":\"http://HOOKS/events\","
		"\"status\":200,D,\"attempts\":1,\"result\":\"pass\","
		"\"eventMessage\":\"Advance podinfo.test canary weight 10\"}]}]}\n");
	env_free(&e);
}
END_TEST

#define FAILING_HOOKS                                                    \
	"      - name: broken\n"                                         \
	"        type: event\n"                                          \
	"        url: http://user:s3cret@HOSTPORT/broken?token=s3cret\n" \
	"      - name: flaky\n"                                          \
	"        type: event\n"                                          \
	"        url: HOOKS/flaky\n"                                     \
	"        retries: 1\n"

START_TEST(test_loop__event_webhook_flag_and_failing_hooks)
{
	env e;
	char *url, *flags, *got, *warn, *last_err;
	size_t n;

	env_setup(&e);
	url = gc_httpd_url(e.hooks, "/global");
	flags = gc_xasprintf("--event-webhook %s", url);
	e.flags = flags;
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	got = take_events();
	ck_assert_str_eq(
		got,
		"/global Initialized|Normal|Initialization done! podinfo.test\n");
	free(got);
	/* the canary's own event hooks replace the global one (Flagger) */
	add_hooks(&e, FAILING_HOOKS);
	bump(&e, "3.1.1");
	tick_until(&e, "test", "Succeeded", 80);
	last_err = gc_xstrdup(e.err.ptr); /* the last tick's */
	assert_subjects(&e, SUBJECTS_OK);
	got = take_events();
	ck_assert_uint_eq(count_prefix(got, "/global "), 0);
	/* every event once to each; flaky survived its one 500 */
	sh_ok(&e, "git --git-dir=remote.git log --format=%b deploy | "
		  "grep -c '^test/podinfo: '");
	n = strtoul(e.out.ptr, NULL, 10) - 1; /* all but the initialization */
	ck_assert_uint_eq(count_prefix(got, "/broken "), n);
	ck_assert_uint_eq(count_prefix(got, "/flaky "), n + 1);
	ck_assert_uint_eq(flaky_calls, n + 1);
	/* logged without secrets; the tick succeeded anyway */
	warn = gc_xasprintf(
		"test/podinfo: event webhook 'broken' "
		"http://127.0.0.1:%u/broken?<redacted> failed: status 500 "
		"after 1 attempt(s)",
		(unsigned)gc_httpd_port(e.hooks));
	ck_assert_msg(strstr(last_err, warn), "%s", last_err);
	ck_assert_ptr_null(strstr(last_err, "s3cret"));
	ck_assert_ptr_null(strstr(last_err, "'flaky'"));
	/* not in the evidence notes nor the commit messages (the status file
	 * is the Canary with its status, as in Flagger, so it has the URL) */
	sh_ok(&e,
	      "{ git --git-dir=remote.git log -p refs/notes/gitcanary; "
	      "git --git-dir=remote.git log deploy; } | grep -c s3cret || true");
	ck_assert_str_eq(e.out.ptr, "0\n");
	free(warn);
	free(last_err);
	free(got);
	free(flags);
	free(url);
	env_free(&e);
}
END_TEST

/*
 * The JSON log lines (--log-format json) whose message is msg: each must
 * name the canary test/podinfo and the deploy commit `commit`.
 */
static int count_logged(const char *log, const char *msg, const char *commit)
{
	int n = 0;

	for (const char *p = log; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = gc_xstrndup(p, len);
		cJSON *j = cJSON_Parse(line);

		ck_assert_msg(j != NULL, "not JSON: %s", line);
		ck_assert_ptr_nonnull(gc_json_str(j, "time"));
		if (!strcmp(gc_json_str(j, "message"), msg)) {
			ck_assert_str_eq(gc_json_str(j, "canary"),
					 "test/podinfo");
			ck_assert_str_eq(gc_json_str(j, "commit"), commit);
			ck_assert_str_eq(gc_json_str(j, "level"), "info");
			ck_assert_str_eq(gc_json_str(j, "type"), "Normal");
			ck_assert_str_eq(gc_json_str(j, "phase"),
					 "Progressing");
			n++;
		}
		cJSON_Delete(j);
		free(line);
		p += len + (p[len] == '\n');
	}
	return n;
}

/* Only a pushed tick sends its events: a lost one never, its retry once. */
START_TEST(test_loop__lost_push_sends_no_events)
{
	env e;
	char *got, *tip, *log;

	env_setup(&e);
	add_hooks(&e, EVENT_HOOK);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	free(take_events());
	bump(&e, "3.1.1");
	sh_ok(&e, "touch remote.git/refs/heads/deploy.lock");
	ck_assert_int_eq(reconcile(&e, NULL), 1);
	got = take_events();
	ck_assert_str_eq(got, "");
	free(got);
	sh_ok(&e, "rm remote.git/refs/heads/deploy.lock");
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	got = take_events();
	ck_assert_str_eq(
		got,
		"/events Progressing|Normal|New revision detected! Scaling up podinfo.test\n");
	free(got);
	/* a writer moves the deploy branch while the next tick runs */
	human_commit_dir = gc_xstrdup(e.dir);
	nap_ms(1100);
	ck_assert_int_eq(reconcile(&e, "--log-format json"), 0);
	ck_assert_ptr_null(human_commit_dir);
	ck_assert_ptr_nonnull(
		strstr(e.err.ptr, "push to deploy branch 'deploy' lost ("));
	/* each event logged once, with the commit that was pushed */
	log = gc_xstrdup(e.err.ptr);
	sh_ok(&e, "git --git-dir=remote.git rev-parse deploy");
	e.out.ptr[strcspn(e.out.ptr, "\n")] = '\0';
	tip = gc_xstrdup(e.out.ptr);
	ck_assert_int_eq(
		count_logged(log, "Starting canary analysis for podinfo.test",
			     tip),
		1);
	ck_assert_int_eq(count_logged(log,
				      "Advance podinfo.test canary weight 10",
				      tip),
			 1);
	free(log);
	free(tip);
	got = take_events();
	ck_assert_str_eq(
		got,
		"/events Progressing|Normal|Starting canary analysis for podinfo.test\n"
		"/events Progressing|Normal|Pre-rollout check acceptance-test passed\n"
		"/events Progressing|Normal|Advance podinfo.test canary weight 10\n");
	free(got);
	assert_subjects(&e, "Initialization done! podinfo.test\n"
			    "New revision detected! Scaling up podinfo.test\n"
			    "human\n"
			    "Advance podinfo.test canary weight 10\n");
	env_free(&e);
}
END_TEST

Suite *gc_suite_loop(void);

Suite *gc_suite_loop(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_loop__first_run_creates_deploy_branch);
	tcase_add_test(tc, test_loop__get_and_describe_in_a_clone);
	tcase_add_test(tc, test_loop__once_says_what_is_due_next);
	tcase_add_test(tc, test_loop__apex_service_is_taken_over);
	tcase_add_test(tc, test_loop__include_label_prefix);
	tcase_add_test(tc, test_loop__release_commit_by_commit);
	tcase_add_test(tc, test_loop__overlay_images_bump_is_a_release);
	tcase_add_test(tc, test_loop__misspelt_canary_holds_its_target);
	tcase_add_test(tc, test_loop__config_change_is_a_release);
	tcase_add_test(tc, test_loop__rollback_on_failing_webhook);
	tcase_add_test(tc, test_loop__webhook_cannot_forge_history);
	tcase_add_test(tc, test_loop__killed_daemon_resumes_from_git);
	tcase_add_test(tc, test_loop__unreachable_repository_backs_off);
	tcase_add_test(tc, test_loop__lost_push_is_not_a_lost_stage);
	tcase_add_test(tc, test_loop__two_daemons_and_human_pushes);
	tcase_add_test(tc, test_loop__broken_app_does_not_stop_others);
	tcase_add_test(tc,
		       test_loop__warnings_are_logged_once_and_stop_nothing);
	tcase_add_test(
		tc, test_loop__passthrough_follows_source_but_not_broken_files);
	tcase_add_test(tc, test_loop__no_analysis_until_the_canary_is_ready);
	tcase_add_test(tc, test_loop__deleted_canary_leaves_the_deploy_branch);
	tcase_add_test(tc, test_loop__event_webhooks_follow_the_commits);
	tcase_add_test(tc, test_loop__event_webhook_flag_and_failing_hooks);
	tcase_add_test(tc, test_loop__lost_push_sends_no_events);
	suite_add_tcase(s, tc);
	/* its own case: CK_RUN_CASE=secrets runs it alone */
	tc = tcase_create("secrets");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_loop__secrets_reach_nothing_written);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_loop)
