#include <stdio.h>
#include <string.h>

#include "harness.h"

/*
 * The option parsing every read-only command shares (reconciler/cli/cli.c):
 * what a user sees for --help, a typo, a missing value and a stray
 * argument. Run against the binary, in a directory without a repository,
 * so nothing past parsing can succeed.
 */

static const struct {
	const char *args;
	int rc;
	const char *out; /* prefix of stdout */
	const char *err;
} cases[] = {
	{ "get --help", 0, "usage: gitcanary get ", "" },
	{ "describe -h", 0, "usage: gitcanary describe ", "" },
	{ "validate --bogus --help", 0, "usage: gitcanary validate ", "" },
	{ "render --help", 0, "usage: gitcanary render ", "" },
	{ "plan --help", 0, "usage: gitcanary plan ", "" },
	{ "get --bogus", 2, "",
	  "gitcanary get: unknown argument '--bogus'; see --help\n" },
	{ "get -n", 2, "", "gitcanary get: option '-n' needs a value\n" },
	{ "get --namespace", 2, "",
	  "gitcanary get: option '--namespace' needs a value\n" },
	{ "describe test/podinfo extra", 2, "",
	  "gitcanary describe: unknown argument 'extra'; see --help\n" },
	{ "describe", 2, "", "gitcanary describe: expected NAMESPACE/NAME\n" },
	{ "describe --repo", 2, "",
	  "gitcanary describe: option '--repo' needs a value\n" },
	{ "validate stray", 2, "",
	  "gitcanary validate: unknown argument 'stray'; see --help\n" },
	{ "validate --dir=d --ref=main", 2, "",
	  "gitcanary validate: --dir cannot be combined with --repo or --ref\n" },
	{ "render --dir d --repo r", 2, "",
	  "gitcanary render: --dir cannot be combined with --repo or --ref\n" },
	{ "render --promoted f", 2, "",
	  "gitcanary render: --promoted needs --canary\n" },
	{ "validate --repo git@example.com:org/apps.git", 1, "",
	  "gitcanary validate: cannot open repository "
	  "'git@example.com:org/apps.git' (an scp-like address: write it as "
	  "an ssh:// URL): failed to resolve path "
	  "'git@example.com:org/apps.git': No such file or directory\n" },
	{ "plan --dir d", 2, "",
	  "gitcanary plan: --canary NS/NAME is required\n" },
};

START_TEST(test_cli__usage)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(&out, &err, "cd /tmp && '%s' %s",
				    gc_test_binary, cases[_i].args),
			 cases[_i].rc);
	ck_assert_str_eq(err.ptr, cases[_i].err);
	ck_assert_msg(!strncmp(out.ptr, cases[_i].out, strlen(cases[_i].out)),
		      "stdout of '%s': %s", cases[_i].args, out.ptr);
	if (!*cases[_i].out)
		ck_assert_str_eq(out.ptr, "");
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

static Suite *gc_suite_cli(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_loop_test(tc, test_cli__usage, 0, GC_ARRAY_SIZE(cases));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_cli)
