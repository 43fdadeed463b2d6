/* gc_git_* on local repositories (work tree and bare); no remote involved. */
#include <stdio.h>

#include "git_helpers.h"

static char *tmp;

static void setup(void)
{
	tmp = gc_test_tmpdir();
	/* a work tree with files whose order tests tree sorting */
	sh_ok("cd '%s' && git init -q -b main wt && cd wt && "
	      "mkdir -p dir/sub && echo a > a.yaml && echo x > dir-x.yaml && "
	      "echo b > dir/b.yaml && echo c > dir/sub/c.yaml && "
	      "git add . && git commit -q -m first && git tag v1 && "
	      "git tag -a -m annotated v1-annotated && "
	      "echo a2 > a.yaml && git commit -q -am second",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
}

static gc_git *open_wt(void)
{
	gc_error err = GC_ERROR_INIT;
	char *path = gc_xasprintf("%s/wt", tmp);
	gc_git *g = NULL;

	ck_assert_msg(gc_git_open(&g, path, NULL, &err) == 0, "%s", err.msg);
	free(path);
	return g;
}

START_TEST(test_git__opens_work_tree_and_bare)
{
	gc_error err = GC_ERROR_INIT;
	char *head = sh("git -C '%s/wt' rev-parse HEAD", tmp);
	char *path = NULL, *branch = NULL;
	char id[GC_OID_HEX];
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(id, g, NULL, &err), 0);
	ck_assert_str_eq(id, head);
	ck_assert_int_eq(gc_git_default_branch(&branch, g, &err), 0);
	ck_assert_str_eq(branch, "main");
	gc_git_free(g);
	free(branch);

	sh_ok("git clone -q --bare '%s/wt' '%s/bare.git'", tmp, tmp);
	path = gc_xasprintf("%s/bare.git", tmp);
	ck_assert_int_eq(gc_git_open(&g, path, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_str_eq(id, head);
	gc_git_free(g);
	free(path);

	path = gc_xasprintf("%s/nope", tmp);
	g = NULL;
	ck_assert_int_eq(gc_git_open(&g, path, NULL, &err), GC_ENOTFOUND);
	ck_assert_ptr_null(g);
	ck_assert_msg(!strncmp(err.msg, "cannot open repository '", 24), "%s",
		      err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nope'"));
	gc_error_release(&err);
	free(path);
	free(head);
}
END_TEST

static const struct {
	const char *rev;  /* %s = short id of the first commit */
	const char *want; /* git rev-parse argument; NULL = must fail */
	int code;
	const char *msg;
} revs[] = {
	{ "main", "main", 0, NULL },
	{ "v1", "v1^{commit}", 0, NULL },
	{ "v1-annotated", "v1-annotated^{commit}", 0, NULL },
	{ "refs/heads/main", "main", 0, NULL },
	{ "HEAD", "HEAD", 0, NULL },
	{ "SHORT", "main~1", 0, NULL },
	{ "FULL", "main~1", 0, NULL },
	{ "nope", NULL, GC_ENOTFOUND, "no branch, tag or commit 'nope'" },
	{ "0000000", NULL, GC_ENOTFOUND, "no branch, tag or commit '0000000'" },
	{ "main~1", NULL, GC_ENOTFOUND, "no branch, tag or commit 'main~1'" },
};

START_TEST(test_git__resolves_branch_tag_and_ids)
{
	gc_error err = GC_ERROR_INIT;
	char *full = sh("git -C '%s/wt' rev-parse main~1", tmp);
	char *rev = gc_xstrdup(revs[_i].rev);
	char id[GC_OID_HEX] = "";
	gc_git *g = open_wt();

	if (!strcmp(rev, "SHORT") || !strcmp(rev, "FULL")) {
		size_t n = strcmp(rev, "SHORT") ? 40 : 7;

		free(rev);
		rev = gc_xstrndup(full, n);
	}
	ck_assert_int_eq(gc_git_resolve(id, g, rev, &err), revs[_i].code);
	if (revs[_i].want) {
		char *want =
			sh("git -C '%s/wt' rev-parse '%s'", tmp, revs[_i].want);

		ck_assert_str_eq(id, want);
		free(want);
	} else {
		ck_assert_str_eq(err.msg, revs[_i].msg);
		ck_assert_str_eq(id, "");
	}
	gc_error_release(&err);
	gc_git_free(g);
	free(rev);
	free(full);
}
END_TEST

START_TEST(test_git__walks_blobs_in_path_order_and_reads)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf got = GC_BUF_INIT, data = GC_BUF_INIT;
	char *want = sh("git -C '%s/wt' ls-tree -r HEAD | "
			"awk '{ print $4 \"=\" $3 }'",
			tmp);
	char id[GC_OID_HEX];
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(id, g, NULL, &err), 0);
	ck_assert_int_eq(gc_git_walk(g, id, collect_blob, &got, &err), 0);
	gc_buf_truncate(&got, got.len - 1); /* sh() drops the last newline */
	ck_assert_str_eq(got.ptr, want);
	ck_assert_ptr_nonnull(strstr(got.ptr, "a.yaml="));
	/* '-' sorts before '/': git's tree order is full-path byte order */
	ck_assert(strstr(got.ptr, "dir-x.yaml") < strstr(got.ptr, "dir/b"));

	ck_assert_int_eq(gc_git_read(&data, g, id, "dir/sub/c.yaml", &err), 0);
	ck_assert_str_eq(data.ptr, "c\n");
	ck_assert_int_eq(gc_git_read(&data, g, id, "zz.yaml", &err),
			 GC_ENOTFOUND);
	want[0] = '\0';
	free(want);
	want = gc_xasprintf("no file 'zz.yaml' in commit %.7s", id);
	ck_assert_str_eq(err.msg, want);
	gc_error_release(&err);
	gc_git_free(g);
	gc_buf_release(&got);
	gc_buf_release(&data);
	free(want);
}
END_TEST

START_TEST(test_git__commit_applies_nested_updates_and_deletions)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf paths = GC_BUF_INIT;
	char parent[GC_OID_HEX], id[GC_OID_HEX], root[GC_OID_HEX];
	static const char empty[GC_OID_HEX] = ""; /* "" = the empty tree */
	const gc_git_update ups[] = {
		{ "ns1/app/deploy.yaml", "kind: Deployment\n", 17, NULL },
		{ "a.yaml", "changed\n", 8, NULL },
		{ "dir/sub/c.yaml", NULL, 0, NULL },   /* empties dir/sub */
		{ "never/there.yaml", NULL, 0, NULL }, /* absent: ignored */
		{ "ns1/empty", "", 0, NULL },
	};
	const gc_git_update bad[] = { { "../escape", "x", 1, NULL } };
	char *s;
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(parent, g, NULL, &err), 0);
	ck_assert_msg(gc_git_commit(id, g, parent, ups, GC_ARRAY_SIZE(ups),
				    bot(), NULL, "Advance podinfo", &err) == 0,
		      "%s", err.msg);
	s = sh("cd '%s/wt' && git ls-tree -r --name-only %s", tmp, id);
	ck_assert_str_eq(s,
			 "a.yaml\ndir-x.yaml\ndir/b.yaml\nns1/app/deploy.yaml\n"
			 "ns1/empty");
	free(s);
	s = sh("cd '%s/wt' && git show %s:ns1/app/deploy.yaml && "
	       "git rev-parse %s^ && git log -1 --format='%%an <%%ae> %%at|%%B' %s",
	       tmp, id, id, id);
	ck_assert_str_eq(
		s + 17 + 41,
		"gitcanary <bot@example.com> 1700000100|Advance podinfo\n");
	ck_assert(!strncmp(s + 17, parent, 40));
	free(s);
	/* the ref did not move */
	s = sh("git -C '%s/wt' rev-parse main", tmp);
	ck_assert_str_eq(s, parent);
	free(s);

	ck_assert_int_eq(gc_git_diff_paths(g, parent, id, collect_path, &paths,
					   &err),
			 0);
	gc_buf_addch(&paths, '\0');
	ck_assert_str_eq(paths.ptr,
			 "a.yaml\ndir/sub/c.yaml\nns1/app/deploy.yaml\n"
			 "ns1/empty\n");

	/* root commit */
	ck_assert_int_eq(gc_git_commit(root, g, "", ups, 2, bot(), bot(),
				       "root\n", &err),
			 0);
	s = sh("cd '%s/wt' && git ls-tree -r --name-only %s && "
	       "git rev-list --count %s",
	       tmp, root, root);
	ck_assert_str_eq(s, "a.yaml\nns1/app/deploy.yaml\n1");
	free(s);
	gc_buf_clear(&paths);
	ck_assert_int_eq(gc_git_diff_paths(g, empty, root, collect_path, &paths,
					   &err),
			 0);
	gc_buf_addch(&paths, '\0');
	ck_assert_str_eq(paths.ptr, "a.yaml\nns1/app/deploy.yaml\n");

	ck_assert_int_eq(gc_git_commit(id, g, parent, bad, 1, bot(), NULL, "x",
				       &err),
			 GC_EINVALID);
	ck_assert_str_eq(err.msg, "invalid path '../escape'");
	gc_error_release(&err);
	gc_buf_release(&paths);
	gc_git_free(g);
}
END_TEST

/* Reads path of commit into a string; owned. */
static char *read_str(gc_git *g, const char *commit, const char *path)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf b = GC_BUF_INIT;

	ck_assert_msg(gc_git_read(&b, g, commit, path, &err) == 0, "%s",
		      gc_error_msg(&err));
	return gc_buf_detach(&b, NULL);
}

START_TEST(test_git__commit_takes_written_blobs)
{
	gc_error err = GC_ERROR_INIT;
	char parent[GC_OID_HEX], blob[GC_OID_HEX], id[GC_OID_HEX];
	char root[GC_OID_HEX], tree[GC_OID_HEX];
	gc_git_update ups[3] = { { "a.yaml", "ignored\n", 8, blob },
				 { "new/dir/b.yaml", NULL, 0, blob },
				 { "dir/b.yaml", NULL, 0, NULL } };
	gc_git_update bad = { "x.yaml", NULL, 0, NULL };
	char *s;
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(parent, g, NULL, &err), 0);
	ck_assert_int_eq(gc_git_write_blob(blob, g, "from a blob\n", 12, &err),
			 0);
	s = sh("cd '%s/wt' && printf 'from a blob\\n' | git hash-object --stdin",
	       tmp);
	ck_assert_str_eq(blob, s);
	free(s);

	/* an edited tree (raw edit): upserts of the blob, a removal */
	ck_assert_msg(gc_git_commit(id, g, parent, ups, GC_ARRAY_SIZE(ups),
				    bot(), NULL, "blobs", &err) == 0,
		      "%s", gc_error_msg(&err));
	s = read_str(g, id, "a.yaml");
	ck_assert_str_eq(s, "from a blob\n");
	free(s);
	s = read_str(g, id, "new/dir/b.yaml");
	ck_assert_str_eq(s, "from a blob\n");
	free(s);
	s = sh("cd '%s/wt' && git fsck --no-dangling --no-progress %s && "
	       "git ls-tree -r --name-only %s",
	       tmp, id, id);
	ck_assert_str_eq(s, "a.yaml\ndir-x.yaml\ndir/sub/c.yaml\n"
			    "new/dir/b.yaml");
	free(s);

	/* a root commit (libgit2's tree update) */
	ck_assert_msg(gc_git_commit(root, g, "", ups, 2, bot(), NULL, "root",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	s = read_str(g, root, "new/dir/b.yaml");
	ck_assert_str_eq(s, "from a blob\n");
	free(s);

	/* ids that do not name a blob of the repository */
	s = sh("git -C '%s/wt' rev-parse %s^{tree}", tmp, parent);
	snprintf(tree, sizeof(tree), "%s", s);
	free(s);
	bad.blob = tree;
	ck_assert_int_eq(gc_git_commit(id, g, parent, &bad, 1, bot(), NULL, "x",
				       &err),
			 GC_EINVALID);
	gc_error_clear(&err);
	bad.blob = "0123456789012345678901234567890123456789";
	ck_assert_int_eq(gc_git_commit(id, g, "", &bad, 1, bot(), NULL, "x",
				       &err),
			 GC_EINVALID);
	gc_error_clear(&err);
	bad.blob = "not-hex";
	ck_assert_int_eq(gc_git_commit(id, g, parent, &bad, 1, bot(), NULL, "x",
				       &err),
			 GC_EINVALID);
	ck_assert_str_eq(err.msg, "'x.yaml': 'not-hex' is not a blob id");
	gc_error_release(&err);
	gc_git_free(g);
}
END_TEST

START_TEST(test_git__local_branch_update_is_compare_and_swap)
{
	gc_error err = GC_ERROR_INIT;
	char c1[GC_OID_HEX], c2[GC_OID_HEX], c3[GC_OID_HEX];
	const gc_git_update up = { "f", "1", 1, NULL };
	char *s;
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(c1, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(c2, g, c1, &up, 1, bot(), NULL, "2",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_commit(c3, g, c1, &up, 1, NULL, NULL, "3",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", c1, &err), 0);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", c2, &err),
			 GC_ECONFLICT);
	gc_error_release(&err);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", c1, c2, &err), 0);
	/* a stale expectation loses: the branch stays where it is */
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", c1, c3, &err),
			 GC_ECONFLICT);
	ck_assert_str_eq(
		err.msg,
		"'refs/heads/deploy' moved meanwhile: old reference value does not match");
	gc_error_release(&err);
	s = sh("git -C '%s/wt' rev-parse deploy", tmp);
	ck_assert_str_eq(s, c2);
	free(s);
	ck_assert_int_eq(gc_git_update_branch(g, "bad..name", "", c1, &err),
			 GC_EINVALID);
	ck_assert_str_eq(err.msg, "invalid branch name 'bad..name'");
	gc_error_release(&err);
	gc_git_free(g);
}
END_TEST

START_TEST(test_git__notes_set_replace_get)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf note = GC_BUF_INIT;
	char head[GC_OID_HEX], first[GC_OID_HEX];
	const char *ref = "refs/notes/gitcanary";
	char *s;
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(head, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_resolve(first, g, "v1", &err), 0);
	ck_assert_int_eq(gc_git_note_set(g, ref, head, "query: x\n", bot(),
					 &err),
			 0);
	ck_assert_int_eq(gc_git_note_set(g, ref, head, "value: 99\n", bot(),
					 &err),
			 0);
	ck_assert_int_eq(gc_git_note_get(&note, g, ref, head, &err), 0);
	ck_assert_str_eq(note.ptr, "value: 99\n");
	s = sh("git -C '%s/wt' notes --ref=gitcanary show %s", tmp, head);
	ck_assert_str_eq(s, "value: 99");
	free(s);
	ck_assert_int_eq(gc_git_note_get(&note, g, ref, first, &err),
			 GC_ENOTFOUND);
	gc_error_release(&err);
	ck_assert_int_eq(gc_git_note_set(g, "refs/heads/x", head, "t", NULL,
					 &err),
			 GC_EINVALID);
	ck_assert_str_eq(err.msg, "invalid notes ref 'refs/heads/x'");
	gc_error_release(&err);
	gc_buf_release(&note);
	gc_git_free(g);
}
END_TEST

/*
 * Notes go to "<2 hex>/<38 hex>" (git's fan-out), so that the notes tree
 * of a long-lived deploy branch does not grow into one flat directory; a
 * note `git notes` wrote at the root is replaced, not duplicated.
 */
START_TEST(test_git__notes_fan_out_and_replace_root_notes)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf note = GC_BUF_INIT;
	char head[GC_OID_HEX], first[GC_OID_HEX], *s, *want;
	const char *ref = "refs/notes/gitcanary";
	gc_git *g = open_wt();

	ck_assert_int_eq(gc_git_resolve(head, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_resolve(first, g, "v1", &err), 0);
	free(sh("git -C '%s/wt' notes --ref=gitcanary add -m old %s", tmp,
		head));
	free(sh("git -C '%s/wt' notes --ref=gitcanary add -m older %s", tmp,
		first));
	ck_assert_int_eq(gc_git_note_set(g, ref, head, "new\n", bot(), &err),
			 0);
	/* the other root note moved to the fan-out, as it was */
	s = sh("git -C '%s/wt' ls-tree --name-only %s", tmp, ref);
	if (!strncmp(head, first, 2))
		want = gc_xasprintf("%.2s", head);
	else if (strcmp(head, first) < 0)
		want = gc_xasprintf("%.2s\n%.2s", head, first);
	else
		want = gc_xasprintf("%.2s\n%.2s", first, head);
	ck_assert_str_eq(s, want);
	free(s);
	free(want);
	s = sh("git -C '%s/wt' notes --ref=gitcanary show %s", tmp, first);
	ck_assert_str_eq(s, "older");
	free(s);
	ck_assert_int_eq(gc_git_note_set(g, ref, first, "one\n", bot(), &err),
			 0);
	s = sh("git -C '%s/wt' ls-tree -r --name-only %s", tmp, ref);
	want = strcmp(head, first) < 0
		       ? gc_xasprintf("%.2s/%s\n%.2s/%s", head, head + 2, first,
				      first + 2)
		       : gc_xasprintf("%.2s/%s\n%.2s/%s", first, first + 2,
				      head, head + 2);
	ck_assert_str_eq(s, want);
	free(s);
	free(want);
	s = sh("git -C '%s/wt' notes --ref=gitcanary show %s", tmp, head);
	ck_assert_str_eq(s, "new");
	free(s);
	ck_assert_int_eq(gc_git_note_get(&note, g, ref, first, &err), 0);
	ck_assert_str_eq(note.ptr, "one\n");
	gc_buf_release(&note);
	gc_git_free(g);
}
END_TEST

struct logged {
	gc_buf text;
	size_t n;
};

static int collect_log(const char id[GC_OID_HEX], const char *message,
		       long long when, void *payload)
{
	struct logged *l = payload;

	(void)id;
	gc_buf_addf(&l->text, "%lld %s", when, message);
	l->n++;
	return 0;
}

START_TEST(test_git__log_is_newest_first)
{
	gc_error err = GC_ERROR_INIT;
	struct logged l = { GC_BUF_INIT, 0 };
	char c1[GC_OID_HEX], c2[GC_OID_HEX], c3[GC_OID_HEX];
	gc_git_signature s1 = { "b", "b@x", 1800000000 }, s2 = s1;
	const gc_git_update up = { "f", "1", 1, NULL };
	gc_git *g = open_wt();

	s2.when = 1800000001;
	ck_assert_int_eq(gc_git_resolve(c1, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(c2, g, c1, &up, 1, &s1, NULL, "third",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_commit(c3, g, c2, NULL, 0, &s2, NULL,
				       "fourth\n\nCanary: test/podinfo\n",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "main", c1, c3, &err), 0);
	ck_assert_int_eq(gc_git_log(g, "main", 0, collect_log, &l, &err), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.text.ptr,
			 "1800000001 fourth\n\nCanary: test/podinfo\n"
			 "1800000000 third\n"
			 "1700000000 second\n"
			 "1700000000 first\n");
	gc_buf_clear(&l.text);
	l.n = 0;
	ck_assert_int_eq(gc_git_log(g, NULL, 2, collect_log, &l, &err), 0);
	ck_assert_uint_eq(l.n, 2);
	gc_buf_release(&l.text);
	gc_git_free(g);
}
END_TEST

static Suite *gc_suite_git(void)
{
	Suite *s = suite_create("git");
	TCase *tc = tcase_create("local");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_git__opens_work_tree_and_bare);
	tcase_add_loop_test(tc, test_git__resolves_branch_tag_and_ids, 0,
			    GC_ARRAY_SIZE(revs));
	tcase_add_test(tc, test_git__walks_blobs_in_path_order_and_reads);
	tcase_add_test(tc,
		       test_git__commit_applies_nested_updates_and_deletions);
	tcase_add_test(tc, test_git__commit_takes_written_blobs);
	tcase_add_test(tc, test_git__local_branch_update_is_compare_and_swap);
	tcase_add_test(tc, test_git__notes_set_replace_get);
	tcase_add_test(tc, test_git__notes_fan_out_and_replace_root_notes);
	tcase_add_test(tc, test_git__log_is_newest_first);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git)
