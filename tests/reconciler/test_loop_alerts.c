/*
 * Alerts through `gitcanary reconcile`, as a user runs it: the podinfo
 * canary of tests/fixtures/loop/canary.yaml with analysis.alerts to five
 * AlertProviders (one per provider type, one behind a Secret with a
 * token) and a sixth that always fails, all served by an HTTP server of
 * the test. Through an initialization, a promotion and a rollback every
 * destination receives exactly Flagger's bodies for its severity; the
 * failing provider stops nothing; and the Secret's address and token
 * appear in no deploy commit, note or log line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "httpd.h"
#include "util/alloc.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static gc_buf got = GC_BUF_INIT;
static volatile int fail_load_test;

/* Alerts: "<path> <authorization or -> <body>" per request. */
static void serve(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	const char *auth = gc_httpd_header(req, "Authorization");

	(void)payload;
	if (!strcmp(req->path, "/load") && fail_load_test)
		resp->status = 500;
	if (!strcmp(req->path, "/load") || !strcmp(req->path, "/acceptance"))
		return;
	pthread_mutex_lock(&lock);
	gc_buf_addf(&got, "%s %s %s\n", req->path, auth ? auth : "-",
		    req->body);
	pthread_mutex_unlock(&lock);
	if (!strcmp(req->path, "/fail"))
		resp->status = 500;
}

/* got's requests to path, without the path; owned. */
static char *lines_of(const char *path)
{
	gc_buf b = GC_BUF_INIT;
	size_t len = strlen(path);

	pthread_mutex_lock(&lock);
	for (const char *p = got.ptr; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, path, len) && p[len] == ' ')
			gc_buf_add(&b, p + len + 1, (size_t)(nl - p) - len);
		p = nl + 1;
	}
	pthread_mutex_unlock(&lock);
	return gc_buf_detach(&b, NULL);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The n-th line (0-based) of s with its newline; owned. */
static char *line_at(const char *s, size_t n)
{
	const char *nl;

	while (n-- && (nl = strchr(s, '\n')))
		s = nl + 1;
	nl = strchr(s, '\n');
	return gc_xstrndup(s, nl ? (size_t)(nl - s + 1) : strlen(s));
}

#define SECRET_PATH "/services/T0/B0/s3cretpath"
#define TOKEN "xoxb-s3cret-token"

/*
 * Appended to canary.yaml (analysis is its last mapping): the alerts,
 * then the providers and the Secret as more documents. HOOKS is the
 * server, B64ADDR and B64TOKEN the Secret's values.
 */
static const char alerts_yaml[] =
	"    alerts:\n"
	"      - name: on-call\n"
	"        severity: error\n"
	"        providerRef:\n"
	"          name: on-call\n"
	"      - name: dev\n"
	"        severity: info\n"
	"        providerRef:\n"
	"          name: dev-teams\n"
	"          namespace: test\n"
	"      - name: qa\n"
	"        severity: warn\n"
	"        providerRef:\n"
	"          name: qa-discord\n"
	"      - name: chat\n"
	"        severity: info\n"
	"        providerRef:\n"
	"          name: chat\n"
	"      - name: ops\n"
	"        severity: info\n"
	"        providerRef:\n"
	"          name: ops-rocket\n"
	"      - name: pager\n"
	"        severity: info\n"
	"        providerRef:\n"
	"          name: pager\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: on-call\n  namespace: test\n"
	"spec:\n  type: slack\n  channel: on-call\n  username: gitcanary-bot\n"
	"  secretRef:\n    name: on-call-url\n"
	"---\n"
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: on-call-url\n  namespace: test\n"
	"type: Opaque\ndata:\n  address: B64ADDR\n  token: B64TOKEN\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: dev-teams\n  namespace: test\nspec:\n  type: msteams\n"
	"  address: HOOKS/teams\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: qa-discord\n  namespace: test\nspec:\n  type: discord\n"
	"  address: HOOKS/discord\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: chat\n  namespace: test\nspec:\n  type: gchat\n"
	"  address: HOOKS/gchat\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: ops-rocket\n  namespace: test\nspec:\n  type: rocket\n"
	"  channel: ops\n  address: HOOKS/rocket\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\n"
	"metadata:\n  name: pager\n  namespace: test\nspec:\n  type: slack\n"
	"  address: HOOKS/fail\n";

typedef struct env {
	char *dir;
	gc_httpd *srv;
	gc_buf out, err;
	gc_buf logs; /* stderr of every reconcile */
} env;

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"

static void sh_ok(env *e, const char *cmd)
{
	int rc =
		gc_test_sh(&e->out, &e->err, "cd '%s' && { %s; }", e->dir, cmd);

	ck_assert_msg(rc == 0, "%s: exit %d\n%s%s", cmd, rc, e->out.ptr,
		      e->err.ptr);
}

static void env_setup(env *e)
{
	char *url, *cmd, *path;
	gc_error err = GC_ERROR_INIT;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_buf_init(&e->err);
	gc_buf_init(&e->logs);
	gc_buf_clear(&got);
	fail_load_test = 0;
	e->dir = gc_test_tmpdir();
	e->srv = gc_httpd_start(serve, NULL);
	url = gc_httpd_url(e->srv, "");
	path = gc_xasprintf("%s/alerts.yaml", e->dir);
	ck_assert_int_eq(gc_buf_write_file(path, alerts_yaml,
					   strlen(alerts_yaml), &err),
			 0);
	cmd = gc_xasprintf(
		"git init -q --bare -b main remote.git && "
		"git clone -q remote.git src 2>/dev/null && "
		"cp -r '%s/examples/podinfo/.' src/ && "
		"sed 's|HOOKS|%s|' '%s/tests/fixtures/loop/canary.yaml' "
		">src/canary.yaml && "
		"a=$(printf %%s '%s" SECRET_PATH "' | base64 -w0) && "
		"t=$(printf %%s '" TOKEN "' | base64 -w0) && "
		"sed \"s|HOOKS|%s|; s|B64ADDR|$a|; s|B64TOKEN|$t|\" alerts.yaml "
		">>src/canary.yaml && "
		"cd src && git add . && " GIT " commit -qm 'podinfo' && "
		"git push -q origin main",
		gc_test_source_dir, url, gc_test_source_dir, url, url);
	sh_ok(e, cmd);
	free(cmd);
	free(path);
	free(url);
}

static void env_free(env *e)
{
	gc_httpd_stop(e->srv);
	gc_test_rmrf(e->dir);
	free(e->dir);
	gc_buf_release(&e->out);
	gc_buf_release(&e->err);
	gc_buf_release(&e->logs);
}

static int reconcile(env *e, const char *extra)
{
	int rc = gc_test_sh(
		&e->out, &e->err,
		"cd '%s' && '%s' reconcile --once --repo remote.git "
		"--assume-ready --min-interval 1s --cluster-name prod-eu %s",
		e->dir, gc_test_binary, extra ? extra : "");

	gc_buf_adds(&e->logs, e->err.ptr);
	return rc;
}

static char *phase(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "cd '%s' && git --git-dir=remote.git show "
		   "deploy:.gitcanary/status/test/podinfo.yaml 2>/dev/null | "
		   "sed -n 's/^  phase: //p'",
		   e->dir);
	if (e->out.len && e->out.ptr[e->out.len - 1] == '\n')
		gc_buf_truncate(&e->out, e->out.len - 1);
	return gc_xstrdup(e->out.ptr);
}

static void tick_until(env *e, const char *want, int max)
{
	struct timespec nap = { 0, 250000000L };
	char *p = NULL;

	for (int i = 0; i < max; i++) {
		int rc = reconcile(e, i % 5 ? NULL : "-v");

		ck_assert_msg(rc == 0, "reconcile exit %d: %s", rc, e->err.ptr);
		free(p);
		p = phase(e);
		if (!strcmp(p, want)) {
			free(p);
			return;
		}
		nanosleep(&nap, NULL);
	}
	ck_abort_msg("phase %s after %d ticks, want %s", p, max, want);
}

static void bump(env *e, const char *tag)
{
	char *cmd = gc_xasprintf(
		"cd src && sed -i 's|podinfo:[0-9.]*$|podinfo:%s|' "
		"deployment.yaml && " GIT " commit -qam 'podinfo %s' && "
		"git push -q origin main",
		tag, tag);

	sh_ok(e, cmd);
	free(cmd);
}

#define TEAMS(color, title, facts)                                                    \
	"- {\"@type\":\"MessageCard\",\"@context\":\"http://schema.org/extensions\"," \
	"\"themeColor\":\"" color                                                     \
	"\",\"summary\":\"podinfo.test\",\"sections\":["                              \
	"{\"activityTitle\":\"" title                                                 \
	"\",\"activitySubtitle\":\"podinfo.test\","                                   \
	"\"facts\":[{\"name\":\"Cluster\",\"value\":\"prod-eu\"}" facts               \
	"]}]}\n"
#define TEAMS_METADATA                                                  \
	",{\"name\":\"Target\",\"value\":\"Deployment/podinfo.test\"}," \
	"{\"name\":\"Failed checks threshold\",\"value\":\"2\"},"       \
	"{\"name\":\"Progress deadline\",\"value\":\"60s\"},"           \
	"{\"name\":\"Traffic routing\",\"value\":\"Weight step: 10 max: 50\"}"
#define SLACK(channel, user, color, text)                                  \
	"{\"channel\":\"" channel "\",\"username\":\"" user "\","          \
	"\"icon_url\":\"\",\"icon_emoji\":\":rocket:\",\"attachments\":[{" \
	"\"color\":\"" color                                               \
	"\",\"author_name\":\"podinfo.test\",\"text\":\"" text             \
	"\",\"mrkdwn_in\":[\"text\"],\"fields\":[{\"title\":\"Cluster\","  \
	"\"value\":\"prod-eu\",\"short\":false}]}]}\n"

START_TEST(test_loop_alerts__promotion_and_rollback)
{
	env e;
	char *s, *l;

	env_setup(&e);
	ck_assert_int_eq(reconcile(&e, NULL), 0);
	bump(&e, "3.1.1");
	tick_until(&e, "Succeeded", 80);
	fail_load_test = 1;
	bump(&e, "3.1.2");
	tick_until(&e, "Failed", 80);

	/* info: the initialization, the new revision (both with the
	 * metadata fields), the promotion and the rollback */
	s = lines_of("/teams");
	ck_assert_str_eq(
		s,
		TEAMS("0076D7",
		      "New Deployment detected, initialization completed.",
		      TEAMS_METADATA) TEAMS("0076D7",
					    "New revision detected, progressing canary analysis.",
					    TEAMS_METADATA)
			TEAMS("0076D7",
			      "Canary analysis completed successfully, promotion finished.",
			      "")
				TEAMS("0076D7",
				      "New revision detected, progressing canary analysis.",
				      TEAMS_METADATA)
					TEAMS("FF0000",
					      "Failed checks threshold reached 2",
					      ""));
	free(s);
	/* error: the rollback only, to the Secret's address with its token */
	s = lines_of(SECRET_PATH);
	ck_assert_str_eq(s, "Bearer " TOKEN
			    " " SLACK("on-call", "gitcanary-bot", "danger",
				      "Failed checks threshold reached 2"));
	free(s);
	/* warn: the rollback only; Discord's address gets /slack */
	s = lines_of("/discord/slack");
	ck_assert_str_eq(s, "- " SLACK("general", "flagger", "danger",
				       "Failed checks threshold reached 2"));
	free(s);
	s = lines_of("/rocket");
	ck_assert_uint_eq(count_lines(s), 5);
	l = line_at(s, 2);
	ck_assert_str_eq(
		l,
		"- " SLACK(
			"ops", "flagger", "#0076D7",
			"Canary analysis completed successfully, promotion finished."));
	free(l);
	free(s);
	s = lines_of("/gchat");
	ck_assert_uint_eq(count_lines(s), 5);
	l = line_at(s, 4);
	ck_assert_str_eq(
		l,
		"- {\"cards\":[{\"header\":{\"title\":\"Flagger\",\"subtitle\":\"podinfo.test\","
		"\"imageUrl\":\"https://flagger.app/favicon.png\"},\"sections\":["
		"{\"widgets\":[{\"textParagraph\":{\"text\":\"\\u003cfont color=#848484\\u003e\\u003cstrong\\u003e"
		"Failed checks threshold reached 2\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]},"
		"{\"widgets\":[{\"textParagraph\":{\"text\":\"Cluster\\u003cbr\\u003e\\u003cfont color=#848484\\u003e"
		"\\u003cstrong\\u003eprod-eu\\u003c/strong\\u003e\\u003c/font\\u003e\"}}]}]}]}\n");
	free(l);
	free(s);

	/* the failing provider: bounded retries, a warning, nothing stopped */
	s = lines_of("/fail");
	ck_assert_uint_eq(count_lines(s), 5 * 3);
	free(s);
	ck_assert_ptr_nonnull(strstr(
		e.logs.ptr,
		"test/podinfo: alert 'pager' (provider test/pager) failed after 3 attempt(s): sending notification bad response 500: "));
	sh_ok(&e, "git --git-dir=remote.git log --reverse --format=%s deploy "
		  "| tail -1");
	ck_assert_str_eq(e.out.ptr,
			 "Canary failed! Scaling down podinfo.test\n");
	/* the notes record each alert, sent or not */
	sh_ok(&e, "git --git-dir=remote.git notes --ref=gitcanary show deploy "
		  "| grep -c '\"provider\":'");
	ck_assert_str_eq(e.out.ptr, "6\n");

	/*
	 * The Secret's values: nowhere in the deploy branch's history, its
	 * notes or the logs. Its base64 form is only in the Secret's own
	 * passed-through file, as every source object is passed through.
	 */
	sh_ok(&e, "{ git --git-dir=remote.git log -p deploy; "
		  "git --git-dir=remote.git log -p refs/notes/gitcanary; } "
		  "| grep -c -e s3cretpath -e s3cret-token || true");
	ck_assert_str_eq(e.out.ptr, "0\n");
	ck_assert_ptr_null(strstr(e.logs.ptr, "s3cret"));
	ck_assert_ptr_nonnull(strstr(e.logs.ptr, "alert 'dev' sent"));
	sh_ok(&e, "a=$(git --git-dir=remote.git show main:canary.yaml | "
		  "sed -n 's/^  address: //p' | head -1) && "
		  "git --git-dir=remote.git grep -l \"$a\" deploy");
	ck_assert_str_eq(e.out.ptr, "deploy:test/_/secret-on-call-url.yaml\n");
	env_free(&e);
}
END_TEST

Suite *gc_suite_loop_alerts(void);

Suite *gc_suite_loop_alerts(void)
{
	Suite *s = suite_create("loop_alerts");
	TCase *tc = tcase_create("loop_alerts");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_loop_alerts__promotion_and_rollback);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_loop_alerts)
