#include <stdio.h>

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

/*
 * Big trees (over the 4 KiB libgit2 keeps parsed) go through gc_git's raw
 * tree cache: a chain of commits, each on the one before (its trees come
 * from the cache), must still match git, and diffs and reads of git's own
 * commits must agree with git on modes, symlinks, submodules and a file
 * that became a directory.
 */
static void big_repo(const char *path)
{
	sh_ok("cd '%s' && mkdir big && for i in $(seq 1000 2600); do "
	      "echo $i >big/file-$i.yaml; done && ln -s a.yaml link && "
	      "git add . && git update-index --add --cacheinfo "
	      "160000,1111111111111111111111111111111111111111,sub && "
	      "git commit -qm big && git tag big && "
	      "echo 7 >big/file-1007.yaml && chmod +x big/file-1008.yaml && "
	      "rm ab link && mkdir ab && echo x >ab/x.yaml && "
	      "ln -s a0 link && git rm -q -r ns && git add -A . && "
	      "git update-index --add --cacheinfo "
	      "160000,2222222222222222222222222222222222222222,sub && "
	      "git commit -qm edits && git tag edits",
	      path);
}

static void check_diff(gc_git *g, const char *path, const char *from,
		       const char *to)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf got = GC_BUF_INIT;
	char *want;

	ck_assert_int_eq(gc_git_diff_paths(g, from, to, collect_path, &got,
					   &err),
			 0);
	want = sh("cd '%s' && git diff-tree -r --name-only %s %s", path,
		  *from ? from : "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
		  to);
	if (got.len)
		gc_buf_truncate(&got, got.len - 1); /* the last '\n' */
	ck_assert_str_eq(got.ptr, want);
	free(want);
	gc_buf_release(&got);
}

START_TEST(test_git_tree__big_trees_diff_read_and_edit_like_git)
{
	gc_error err = GC_ERROR_INIT;
	gc_git_signature sig = { "bot", "bot@example.com", 1700000000 };
	char *path = gc_xasprintf("%s/wt", tmp), *got, *want;
	char big[GC_OID_HEX], edits[GC_OID_HEX], id[GC_OID_HEX];
	gc_buf b = GC_BUF_INIT;
	gc_git *g = NULL;

	big_repo(path);
	ck_assert_int_eq(gc_git_open(&g, path, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(big, g, "big", &err), 0);
	ck_assert_int_eq(gc_git_resolve(edits, g, "edits", &err), 0);
	check_diff(g, path, big, edits);
	check_diff(g, path, edits, big);
	check_diff(g, path, "", edits);

	ck_assert_int_eq(gc_git_read(&b, g, edits, "big/file-1007.yaml", &err),
			 0);
	ck_assert_str_eq(b.ptr, "7\n");
	gc_buf_clear(&b);
	ck_assert_int_eq(gc_git_read(&b, g, edits, "link", &err), 0);
	ck_assert_str_eq(b.ptr, "a0");
	ck_assert_int_eq(gc_git_read_file(&b, g, edits, "link", &err),
			 GC_ENOTFOUND);
	gc_error_clear(&err);
	ck_assert_int_eq(gc_git_read_file(&b, g, edits, "sub", &err),
			 GC_ENOTFOUND);
	gc_error_clear(&err);
	ck_assert_msg(gc_git_read(&b, g, edits, "sub", &err) == GC_EINVALID,
		      "%s", gc_error_msg(&err));
	gc_error_clear(&err);
	ck_assert_int_eq(gc_git_read(&b, g, edits, "big", &err), GC_EINVALID);
	gc_error_clear(&err);
	ck_assert_int_eq(gc_git_read(&b, g, edits, "ab/x.yaml/y", &err),
			 GC_ENOTFOUND);
	gc_error_clear(&err);
	ck_assert_int_eq(gc_git_read(&b, g, edits, "big/none", &err),
			 GC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "no file 'big/none'"));
	gc_error_clear(&err);

	/* commits on commits: the big tree's base comes from the cache */
	memcpy(id, edits, GC_OID_HEX);
	for (int i = 0; i < 3; i++) {
		char parent[GC_OID_HEX], name[32], data[16];
		gc_git_update up[2] = { { name, data, 0, NULL },
					{ "big/file-1500.yaml", NULL, 0,
					  NULL } };

		memcpy(parent, id, GC_OID_HEX);
		snprintf(name, sizeof(name), "big/file-%d.yaml", 1100 + i);
		up[0].len = (size_t)snprintf(data, sizeof(data), "v%d\n", i);
		ck_assert_msg(gc_git_commit(id, g, parent, up, 2, &sig, NULL,
					    "x", &err) == 0,
			      "%s", gc_error_msg(&err));
		got = sh("git -C '%s' rev-parse %s^{tree}", path, id);
		want = sh(
			"cd '%s' && export GIT_INDEX_FILE=$PWD/.git/o && "
			"git read-tree %s && b=$(printf 'v%d\\n' | "
			"git hash-object -w --stdin) && "
			"git update-index --add --cacheinfo 100644,$b,%s && "
			"git update-index --force-remove big/file-1500.yaml && "
			"git write-tree && git fsck --no-dangling --strict "
			"--no-progress %s",
			path, parent, i, name, id);
		ck_assert_str_eq(got, want);
		free(got);
		free(want);
		check_diff(g, path, parent, id);
		gc_buf_clear(&b);
		ck_assert_int_eq(gc_git_read(&b, g, id, name, &err), 0);
		ck_assert_str_eq(b.ptr, data);
	}
	gc_buf_release(&b);
	gc_git_free(g);
	free(path);
}
END_TEST

static Suite *gc_suite_git_tree(void)
{
	Suite *s = suite_create("git_tree");
	TCase *tc = tcase_create("git_tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* git fsck and 1,600 files: seconds under a loaded machine */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_git_tree__matches_git_write_tree, 0,
			    GC_ARRAY_SIZE(cases));
	tcase_add_test(tc,
		       test_git_tree__big_trees_diff_read_and_edit_like_git);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_tree)
