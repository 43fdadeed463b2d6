/*
 * Where alerts go (release/alerts.c): a canary's alerts resolved against
 * the AlertProviders and Secrets of a source directory, Flagger's
 * metadata fields for every strategy, and the global notifier's flags.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reconciler/release/alerts.h"
#include "util/alloc.h"
#include "util/json.h"

#define CANARY_HEAD                                                     \
	"apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n"    \
	"  name: podinfo\n  namespace: test\nspec:\n"                   \
	"  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n" \
	"    name: podinfo\n"                                           \
	"  service:\n    port: 9898\n"

typedef struct fixture {
	char *dir;
	gc_index *idx;
	gc_canary_spec spec;
} fixture;

/* Loads yaml as the only file of a source directory; parses its Canary. */
static void load(fixture *f, const char *yaml)
{
	gc_error err = GC_ERROR_INIT;
	gc_canary_spec_opts opts = { 0 };
	const gc_object *c;
	char *path;

	f->dir = gc_test_tmpdir();
	path = gc_xasprintf("%s/all.yaml", f->dir);
	ck_assert_int_eq(gc_buf_write_file(path, yaml, strlen(yaml), &err), 0);
	free(path);
	ck_assert_msg(gc_source_load_dir(&f->idx, f->dir, NULL, &err) == 0,
		      "%s", gc_error_msg(&err));
	c = gc_index_find(f->idx, "Canary", "test", "podinfo");
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(gc_canary_spec_parse(&f->spec, c->doc->root, "test",
					   &opts, &err) == 0,
		      "%s", gc_error_msg(&err));
}

static void unload(fixture *f)
{
	gc_canary_spec_release(&f->spec);
	gc_index_free(f->idx);
	gc_test_rmrf(f->dir);
	free(f->dir);
}

static const char resolve_yaml[] = CANARY_HEAD
	"  analysis:\n    interval: 1m\n    threshold: 5\n    stepWeight: 10\n"
	"    alerts:\n"
	"    - name: bot\n      severity: error\n"
	"      providerRef:\n        name: bot\n"
	"    - name: hook\n      severity: warn\n"
	"      providerRef:\n        name: hook\n        namespace: ops\n"
	"    - name: quiet\n"
	"      providerRef:\n        name: gone\n"
	"    - name: nosecret\n      severity: info\n"
	"      providerRef:\n        name: nosecret\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n"
	"  name: bot\n  namespace: test\nspec:\n  type: slack\n"
	"  channel: ops\n  proxy: http://proxy:3128\n"
	"  secretRef:\n    name: bot\n"
	"---\n"
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: bot\n"
	"  namespace: test\ndata:\n"
	/* https://slack.com/api/chat.postMessage, xoxb-1 */
	"  address: aHR0cHM6Ly9zbGFjay5jb20vYXBpL2NoYXQucG9zdE1lc3NhZ2U=\n"
	"  token: eG94Yi0x\n"
	"stringData:\n  token: xoxb-2\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n"
	"  name: hook\n  namespace: ops\nspec:\n  type: discord\n"
	"  username: canary-bot\n  secretRef:\n    name: hook\n"
	"---\n"
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: hook\n"
	"  namespace: ops\nstringData:\n"
	"  address: https://discord.com/api/webhooks/1/t\n  token: ignored\n"
	"---\n"
	"apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata:\n"
	"  name: nosecret\n  namespace: test\nspec:\n  type: gchat\n"
	"  secretRef:\n    name: missing\n";

START_TEST(test_alerts__resolve)
{
	fixture f;
	gc_alert_dest *d;
	size_t n;

	load(&f, resolve_yaml);
	gc_alerts_resolve(&d, &n, f.idx, &f.spec);
	ck_assert_uint_eq(n, 4);
	/* a Secret's address and token (stringData wins over data) */
	ck_assert_str_eq(d[0].name, "bot");
	ck_assert_str_eq(d[0].provider, "test/bot");
	ck_assert_int_eq(d[0].severity, GC_ALERT_ERROR);
	ck_assert_int_eq(d[0].type, GC_NOTIFIER_SLACK);
	ck_assert_str_eq(d[0].url, "https://slack.com/api/chat.postMessage");
	ck_assert_str_eq(d[0].token, "xoxb-2");
	ck_assert_str_eq(d[0].proxy, "http://proxy:3128");
	ck_assert_str_eq(d[0].username, "flagger");
	ck_assert_str_eq(d[0].channel, "ops");
	ck_assert(d[0].secret);
	ck_assert_ptr_null(d[0].problem);
	/* another namespace; Discord's /slack; no token but Slack's */
	ck_assert_str_eq(d[1].provider, "ops/hook");
	ck_assert_int_eq(d[1].severity, GC_ALERT_WARN);
	ck_assert_str_eq(d[1].url,
			 "https://discord.com/api/webhooks/1/t/slack");
	ck_assert_ptr_null(d[1].token);
	ck_assert_str_eq(d[1].username, "canary-bot");
	ck_assert_str_eq(d[1].channel, "general");
	/* unresolvable: a problem, never the address */
	ck_assert_int_eq(d[2].severity, GC_ALERT_NONE);
	ck_assert_str_eq(d[2].problem, "alert provider test/gone not found");
	ck_assert_ptr_null(d[2].url);
	ck_assert_str_eq(
		d[3].problem,
		"all.yaml:86:11: spec.secretRef: Secret test/missing not found in the repository");
	for (size_t i = 0; i < n; i++)
		gc_alert_dest_release(&d[i]);
	free(d);
	unload(&f);
}
END_TEST

static const struct {
	const char *analysis;
	const char *routing; /* NULL: no Traffic routing field */
} routings[] = {
	{ "    stepWeight: 10\n    maxWeight: 50\n",
	  "Weight step: 10 max: 50" },
	/* Flagger prints the spec's maxWeight, 0 when unset */
	{ "    stepWeight: 20\n", "Weight step: 20 max: 0" },
	{ "    stepWeights: [1, 2, 10, 80]\n",
	  "Weight steps: 1,2,10,80 max: 0" },
	{ "    iterations: 10\n", "Blue/Green" },
	{ "    iterations: 10\n    match:\n    - headers:\n        x-canary:\n"
	  "          exact: insider\n",
	  "A/B Testing" },
};

START_TEST(test_alerts__metadata_fields)
{
	char *yaml = gc_xasprintf(CANARY_HEAD "  progressDeadlineSeconds: 90\n"
					      "  analysis:\n    interval: 1m\n"
					      "    threshold: 3\n%s",
				  routings[_i].analysis);
	gc_alert_fields md;
	fixture f;

	load(&f, yaml);
	gc_alerts_metadata(&md, &f.spec);
	ck_assert_uint_eq(md.n, 4);
	ck_assert_str_eq(md.v[0].name, "Target");
	ck_assert_str_eq(md.v[0].value, "Deployment/podinfo.test");
	ck_assert_str_eq(md.v[1].name, "Failed checks threshold");
	ck_assert_str_eq(md.v[1].value, "3");
	ck_assert_str_eq(md.v[2].name, "Progress deadline");
	ck_assert_str_eq(md.v[2].value, "90s");
	ck_assert_str_eq(md.v[3].name, "Traffic routing");
	ck_assert_str_eq(md.v[3].value, routings[_i].routing);
	gc_alert_fields_release(&md);
	unload(&f);
	free(yaml);
}
END_TEST

/* Defaults: threshold 1 and 600s when unset. */
START_TEST(test_alerts__metadata_defaults)
{
	gc_alert_fields md;
	fixture f;

	load(&f, CANARY_HEAD "  analysis:\n    interval: 1m\n"
			     "    stepWeight: 5\n");
	gc_alerts_metadata(&md, &f.spec);
	ck_assert_str_eq(md.v[1].value, "1");
	ck_assert_str_eq(md.v[2].value, "600s");
	gc_alert_fields_release(&md);
	unload(&f);
}
END_TEST

static const struct {
	const char *slack, *channel, *user, *teams, *severity;
	int rc;
	const char *msg; /* error, or the destination's name */
	gc_alert_severity sev;
} globals[] = {
	{ NULL, NULL, NULL, NULL, NULL, GC_ENOTFOUND, NULL, GC_ALERT_NONE },
	{ "https://hooks.slack.com/services/x", "ops", NULL, NULL, NULL, 0,
	  "--slack-url", GC_ALERT_INFO },
	{ "https://hooks.slack.com/services/x", "ops", "bot",
	  "https://outlook.office.com/webhook/y", "error", 0, "--msteams-url",
	  GC_ALERT_ERROR },
	{ "https://hooks.slack.com/services/x", NULL, NULL, NULL, NULL,
	  GC_EINVALID, "--slack-url needs --slack-channel", GC_ALERT_NONE },
	{ "hooks.slack.com/x", "ops", NULL, NULL, NULL, GC_EINVALID,
	  "--slack-url: the address is not an http:// or https:// URL",
	  GC_ALERT_NONE },
	{ NULL, NULL, NULL, "https://t/x", "critical", GC_EINVALID,
	  "--alert-severity must be info, warn or error", GC_ALERT_NONE },
};

START_TEST(test_alerts__global_flags)
{
	gc_alert_dest d = { 0 };
	gc_error err = GC_ERROR_INIT;
	int rc = gc_alerts_global(&d, globals[_i].slack, globals[_i].channel,
				  globals[_i].user, globals[_i].teams,
				  globals[_i].severity, &err);

	ck_assert_int_eq(rc, globals[_i].rc);
	if (rc == GC_EINVALID)
		ck_assert_str_eq(gc_error_msg(&err), globals[_i].msg);
	if (rc == 0) {
		ck_assert_str_eq(d.name, globals[_i].msg);
		ck_assert_int_eq(d.severity, globals[_i].sev);
		ck_assert_ptr_null(d.provider);
		ck_assert_str_eq(d.username, globals[_i].user ? globals[_i].user
							      : "flagger");
	}
	gc_alert_dest_release(&d);
	gc_error_release(&err);
}
END_TEST

START_TEST(test_alerts__severity_rule)
{
	/* alert's severity x event's severity, Flagger's shouldAlert */
	static const bool want[4][4] = {
		/* NONE */ { false, false, false, false },
		/* INFO */ { false, true, true, true },
		/* WARN */ { false, false, true, true },
		/* ERROR */ { false, false, false, true },
	};

	for (int a = 0; a < 4; a++)
		for (int e = 0; e < 4; e++)
			ck_assert_msg(gc_alerts_wants((gc_alert_severity)a,
						      (gc_alert_severity)e) ==
					      want[a][e],
				      "alert %d event %d", a, e);
}
END_TEST

Suite *gc_suite_alerts(void);

Suite *gc_suite_alerts(void)
{
	Suite *s = suite_create("alerts");
	TCase *tc = tcase_create("alerts");

	tcase_add_test(tc, test_alerts__resolve);
	tcase_add_loop_test(tc, test_alerts__metadata_fields, 0,
			    GC_ARRAY_SIZE(routings));
	tcase_add_test(tc, test_alerts__metadata_defaults);
	tcase_add_loop_test(tc, test_alerts__global_flags, 0,
			    GC_ARRAY_SIZE(globals));
	tcase_add_test(tc, test_alerts__severity_rule);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_alerts)
