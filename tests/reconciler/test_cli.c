#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/*
 * The option parser every command shares (reconciler/cli/cli.c): what a
 * user sees for --help, a typo, a missing value and a stray argument, and
 * -v and the version. Run against the binary, in a directory without a
 * repository, so nothing past parsing can succeed.
 */

#ifndef GC_TEST_VERSION
#error "GC_TEST_VERSION (the project() version) is set by CMake"
#endif

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
	{ "get --log-level trace", 2, "",
	  "gitcanary get: --log-level must be debug, info, warn or error, not 'trace'\n" },
	{ "run --log-format xml", 2, "",
	  "gitcanary run: --log-format must be text or json, not 'xml'\n" },
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
	/* an option's value is the next argument, even one like --help */
	{ "validate --repo --help", 1, "",
	  "gitcanary validate: cannot open repository '--help': failed to "
	  "resolve path '--help': No such file or directory\n" },
	{ "get -n --help --repo /nonexistent", 1, "",
	  "gitcanary get: cannot open repository '/nonexistent': failed to "
	  "resolve path '/nonexistent': No such file or directory\n" },
	{ "validate --ref=--help --repo=--help", 1, "",
	  "gitcanary validate: cannot open repository '--help': failed to "
	  "resolve path '--help': No such file or directory\n" },
	/* the loop's flags (reconcile, run) go through the same parser */
	{ "reconcile --help", 0, "usage: gitcanary reconcile --once ", "" },
	{ "run -h", 0, "usage: gitcanary run ", "" },
	{ "reconcile --bogus --help", 0, "usage: gitcanary reconcile ", "" },
	{ "reconcile --repo --help --once", 1, "",
	  "gitcanary reconcile: cannot open repository '--help': failed to "
	  "resolve path '--help': No such file or directory\n" },
	{ "reconcile", 2, "",
	  "gitcanary reconcile: --once is required (use 'gitcanary run' for "
	  "the daemon)\n" },
	{ "reconcile --once --bogus", 2, "",
	  "gitcanary reconcile: unknown argument '--bogus'; see --help\n" },
	{ "reconcile --once stray", 2, "",
	  "gitcanary reconcile: unknown argument 'stray'; see --help\n" },
	{ "reconcile --once --poll 1s", 2, "",
	  "gitcanary reconcile: unknown argument '--poll'; see --help\n" },
	{ "run --once", 2, "",
	  "gitcanary run: unknown argument '--once'; see --help\n" },
	{ "reconcile --once=yes", 2, "",
	  "gitcanary reconcile: option '--once' takes no value\n" },
	{ "reconcile --once --repo", 2, "",
	  "gitcanary reconcile: option '--repo' needs a value\n" },
	{ "run --poll", 2, "",
	  "gitcanary run: option '--poll' needs a value\n" },
	{ "run --poll=0s", 2, "",
	  "gitcanary run: --poll must be a positive duration\n" },
	{ "reconcile --once --author bob", 2, "",
	  "gitcanary reconcile: --author must be \"Name <email>\"\n" },
	{ "reconcile --once --min-interval 10ms", 2, "",
	  "gitcanary reconcile: --min-interval must be a duration of at least "
	  "1s\n" },
	{ "reconcile --once --token-file /nonexistent", 2, "",
	  "gitcanary reconcile: --token-file cannot be read\n" },
	{ "reconcile --once --connect-to a --connect-to b --connect-to c "
	  "--connect-to d --connect-to e --connect-to f --connect-to g "
	  "--connect-to h --connect-to i",
	  2, "", "gitcanary reconcile: too many --connect-to options\n" },
	/* short options, "--", abbreviations */
	{ "get -x", 2, "",
	  "gitcanary get: unknown argument '-x'; see --help\n" },
	{ "get -o xml", 2, "",
	  "gitcanary get: unknown output format 'xml' (expected wide, yaml or json)\n" },
	{ "describe x/y -o wide", 2, "",
	  "gitcanary describe: unknown output format 'wide' (expected yaml or json)\n" },
	{ "get -vx", 2, "",
	  "gitcanary get: unknown argument '-x'; see --help\n" },
	{ "validate -- stray", 2, "",
	  "gitcanary validate: unknown argument 'stray'; see --help\n" },
	{ "describe --repo /nonexistent -- -x/y", 1, "",
	  "gitcanary describe: cannot open repository '/nonexistent': failed "
	  "to resolve path '/nonexistent': No such file or directory\n" },
	{ "validate --re x", 2, "",
	  "gitcanary validate: option '--re' is ambiguous; see --help\n" },
	{ "validate --di=d --re=main", 2, "",
	  "gitcanary validate: option '--re' is ambiguous; see --help\n" },
	{ "validate --di=d --ref=main", 2, "",
	  "gitcanary validate: --dir cannot be combined with --repo or --ref\n" },
	{ "version --help", 0, "usage: gitcanary version", "" },
	{ "version extra", 2, "",
	  "gitcanary version: unknown argument 'extra'; see --help\n" },
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

/* --help lists every option a command takes */
static const struct {
	const char *args, *want;
} help[] = {
	{ "get --help",
	  "  -n, --namespace NS    only canaries of this namespace\n" },
	{ "get --help", "  -A, --all-namespaces  " },
	{ "get --help",
	  "  -o, --output FORMAT   wide (more columns), yaml or json" },
	{ "get --help", "  -w, --watch  " },
	{ "describe --help", "  -o, --output FORMAT   yaml or json" },
	{ "plan --help",
	  "  --format FORMAT          text (default) or markdown" },
};

START_TEST(test_cli__help_lists_options)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(&out, &err, "cd /tmp && '%s' %s",
				    gc_test_binary, help[_i].args),
			 0);
	ck_assert_msg(strstr(out.ptr, help[_i].want), "stdout of '%s': %s",
		      help[_i].args, out.ptr);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/* a first clone that fails leaves no empty repository in the cache */
START_TEST(test_cli__failed_clone_leaves_no_cache)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	char *dir = gc_test_tmpdir();

	ck_assert_int_eq(
		gc_test_sh(
			&out, &err,
			"cd /tmp && XDG_CACHE_HOME='%s' '%s' validate --repo file://%s/missing.git",
			dir, gc_test_binary, dir),
		1);
	ck_assert_msg(strstr(err.ptr, "gitcanary validate: "), "stderr: %s",
		      err.ptr);
	ck_assert_int_eq(gc_test_sh(&out, NULL, "ls -A '%s/gitcanary'", dir),
			 0);
	ck_assert_str_eq(out.ptr, "");
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/* -v (or --verbose, on every command) shows the debug lines */
static const struct {
	const char *args, *want;
} verbose[] = {
	{ "reconcile --once -v", " debug reconcile: repository .," },
	{ "reconcile -v --once --repo=/nonexistent",
	  " debug reconcile: repository /nonexistent," },
	{ "run --verbose", " debug run: repository .," },
};

START_TEST(test_cli__verbose)
{
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;

	ck_assert_int_eq(gc_test_sh(&out, &err, "cd /tmp && '%s' %s",
				    gc_test_binary, verbose[_i].args),
			 1);
	ck_assert_msg(strstr(err.ptr, verbose[_i].want), "stderr of '%s': %s",
		      verbose[_i].args, err.ptr);
	gc_buf_clear(&err);
	gc_test_sh(&out, &err, "cd /tmp && '%s' reconcile --once",
		   gc_test_binary);
	ck_assert_msg(!strstr(err.ptr, " debug "), "stderr: %s", err.ptr);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

/* --version and `version`: the project() version, then git describe */
static const char *const version_args[] = { "--version", "version" };

START_TEST(test_cli__version)
{
	static const char want[] = "gitcanary " GC_TEST_VERSION;
	gc_buf out = GC_BUF_INIT, err = GC_BUF_INIT;
	size_t n = strlen(want);

	ck_assert_int_eq(gc_test_sh(&out, &err, "cd /tmp && '%s' %s",
				    gc_test_binary, version_args[_i]),
			 0);
	ck_assert_str_eq(err.ptr, "");
	ck_assert_msg(!strncmp(out.ptr, want, n), "stdout: %s", out.ptr);
	/* "gitcanary 0.1.0\n" or "gitcanary 0.1.0 (6ab1bf4-dirty)\n" */
	if (strcmp(out.ptr + n, "\n") != 0)
		ck_assert_msg(out.ptr[n] == ' ' && out.ptr[n + 1] == '(' &&
				      out.len > n + 4 &&
				      !strcmp(out.ptr + out.len - 2, ")\n"),
			      "stdout: %s", out.ptr);
	gc_buf_release(&out);
	gc_buf_release(&err);
}
END_TEST

static Suite *gc_suite_cli(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_loop_test(tc, test_cli__usage, 0, GC_ARRAY_SIZE(cases));
	tcase_add_loop_test(tc, test_cli__verbose, 0, GC_ARRAY_SIZE(verbose));
	tcase_add_loop_test(tc, test_cli__help_lists_options, 0,
			    GC_ARRAY_SIZE(help));
	tcase_add_test(tc, test_cli__failed_clone_leaves_no_cache);
	tcase_add_loop_test(tc, test_cli__version, 0,
			    GC_ARRAY_SIZE(version_args));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_cli)
