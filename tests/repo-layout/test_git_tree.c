#include "git_helpers.h"

/*
 * gc_git_commit edits the trees on changed paths as raw objects
 * (repo-layout/git.c, raw_edit). Each case applies a set of updates to the
 * same base and compares the tree with the one git itself writes for them
 * (read-tree, update-index, write-tree): git's entry order ('-' < '/' <
 * '0', a directory named like a file), deep new directories, directories
 * that become empty (the root too), modes.
 */

static char *tmp;

static void setup(void)
{
	tmp = gc_test_tmpdir();
	sh_ok("cd '%s' && git init -q -b main wt && cd wt && "
	      "mkdir -p a a0 ns/app ns/_ && "
	      "for f in a.yaml a-b.yaml a/x.yaml a0/y.yaml ab ns/app/x.yaml "
	      "ns/_/d.yaml ns/_/e.yaml exec.sh; do echo \"$f\" >\"$f\"; done && "
	      "chmod +x exec.sh && git add . && git commit -qm base",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
}

#define MAXUP 9

static const struct {
	gc_git_update up[MAXUP];
} cases[] = {
	{ { { "a/x.yaml", "new\n", 4, NULL } } },
	{ { { "a/w.yaml", "w\n", 2, NULL },
	    { "a-c.yaml", "c\n", 2, NULL },
	    { "a0/z", "z\n", 2, NULL },
	    { "a.yaml", "changed\n", 8, NULL } } },
	{ { { "a/x.yaml", NULL, 0, NULL }, { "q/r.yaml", NULL, 0, NULL } } },
	{ { { "n1/n2/n3/f.yaml", "f\n", 2, NULL },
	    { "ns/_/d.yaml", NULL, 0, NULL },
	    { "ns/_/e.yaml", NULL, 0, NULL },
	    { "exec.sh", "now plain\n", 10, NULL } } },
	{ { { "a.yaml", NULL, 0, NULL },
	    { "a-b.yaml", NULL, 0, NULL },
	    { "a/x.yaml", NULL, 0, NULL },
	    { "a0/y.yaml", NULL, 0, NULL },
	    { "ab", NULL, 0, NULL },
	    { "exec.sh", NULL, 0, NULL } } },
	{ { { "a.yaml", NULL, 0, NULL },
	    { "a-b.yaml", NULL, 0, NULL },
	    { "a/x.yaml", NULL, 0, NULL },
	    { "a0/y.yaml", NULL, 0, NULL },
	    { "ab", NULL, 0, NULL },
	    { "exec.sh", NULL, 0, NULL },
	    { "ns/app/x.yaml", NULL, 0, NULL },
	    { "ns/_/d.yaml", NULL, 0, NULL },
	    { "ns/_/e.yaml", NULL, 0, NULL } } },
};

START_TEST(test_git_tree__matches_git_write_tree)
{
	gc_error err = GC_ERROR_INIT;
	gc_git_signature sig = { "bot", "bot@example.com", 1700000000 };
	gc_buf script = GC_BUF_INIT;
	char parent[GC_OID_HEX], id[GC_OID_HEX];
	char *path = gc_xasprintf("%s/wt", tmp), *got, *want;
	const gc_git_update *up = cases[_i].up;
	gc_git *g = NULL;
	size_t n = 0;

	while (n < MAXUP && up[n].path)
		n++;
	ck_assert_int_eq(gc_git_open(&g, path, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(parent, g, "main", &err), 0);
	ck_assert_msg(gc_git_commit(id, g, parent, up, n, &sig, NULL, "x",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	got = sh("git -C '%s' rev-parse %s^{tree}", path, id);
	gc_buf_addf(&script,
		    "cd '%s' && export GIT_INDEX_FILE=$PWD/.git/oracle && "
		    "git read-tree main",
		    path);
	for (size_t i = 0; i < n; i++) {
		if (up[i].data)
			gc_buf_addf(&script,
				    " && b=$(printf '%%s' '%.*s' | "
				    "git hash-object -w --stdin) && "
				    "git update-index --add --cacheinfo "
				    "100644,$b,%s",
				    (int)up[i].len, up[i].data, up[i].path);
		else
			gc_buf_addf(&script,
				    " && git update-index --force-remove %s",
				    up[i].path);
	}
	gc_buf_adds(&script, " && git write-tree");
	want = sh("%s", script.ptr);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	gc_buf_release(&script);
	gc_git_free(g);
	gc_error_release(&err);
	free(path);
}
END_TEST

static Suite *gc_suite_git_tree(void)
{
	Suite *s = suite_create("git_tree");
	TCase *tc = tcase_create("git_tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_git_tree__matches_git_write_tree, 0,
			    GC_ARRAY_SIZE(cases));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_tree)
