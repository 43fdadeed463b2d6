/*
 * How gc_git writes objects (repo-layout/git_pack.c): a big commit as one
 * pack, a small one as loose objects with big trees in zlib stored blocks,
 * nothing on disk before a commit or a ref needs it, and a push that sends
 * all of it. Checked with the git CLI (count-objects, fsck, cat-file).
 */
#include <stdio.h>

#include "git_helpers.h"

static char *tmp, *url, *cache, *clone;
static gc_git_open_opts opts;
static const gc_git_signature sig = { "bot", "bot@example.com", 1700000000 };

static void setup(void)
{
	tmp = gc_test_tmpdir();
	url = gc_xasprintf("file://%s/remote.git", tmp);
	cache = gc_xasprintf("%s/cache", tmp);
	opts.cache_dir = cache;
	sh_ok("cd '%s' && git init -q -b main seed && cd seed && "
	      "echo a > a.yaml && git add . && git commit -q -m first && "
	      "git clone -q --bare . ../remote.git",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
	free(url);
	free(cache);
	free(clone);
	clone = NULL;
}

/* `git count-objects -v`'s value of key ("count", "packs") in repo. */
static long objects(const char *repo, const char *key)
{
	char *s = sh("git -C '%s' count-objects -v | sed -n 's/^%s: //p'", repo,
		     key);
	long n = atol(s);

	free(s);
	return n;
}

/* n files dir/file-NNNN.yaml holding "NNNN\n" (data in one buffer). */
static gc_git_update *many(size_t n, const char *dir, char **data)
{
	gc_git_update *up = gc_xcalloc(n, sizeof(*up));
	char *d = *data = gc_xcalloc(n, 48);

	for (size_t i = 0; i < n; i++) {
		char *path = d + 48 * i;
		int len = snprintf(path, 32, "%s/file-%04zu.yaml", dir, i);

		up[i].path = path;
		up[i].data = path + len + 1;
		up[i].len = (size_t)snprintf(path + len + 1, 16, "%04zu\n", i);
	}
	return up;
}

/*
 * The first tick at 10,000 canaries wrote ~110,000 loose objects: a commit
 * of many files is now one pack, on disk when gc_git_commit returns, and
 * the push sends all of it.
 */
START_TEST(test_git_pack__big_commit_is_one_pack_and_pushed)
{
	gc_error err = GC_ERROR_INIT;
	char main_id[GC_OID_HEX], id[GC_OID_HEX], *data, *s;
	gc_git_update *up = many(1200, "ns/app", &data);
	long loose, packs;
	gc_git *g = NULL;

	ck_assert_msg(gc_git_open(&g, url, &opts, &err) == 0, "%s", err.msg);
	clone = sh("ls -d '%s'/*", cache);
	loose = objects(clone, "count");
	packs = objects(clone, "packs");
	ck_assert_int_eq(gc_git_resolve(main_id, g, "main", &err), 0);
	ck_assert_msg(gc_git_commit(id, g, main_id, up, 1200, &sig, NULL,
				    "many", &err) == 0,
		      "%s", gc_error_msg(&err));
	/* 1200 blobs, 2 directories, the root, the commit: one pack */
	ck_assert_int_eq(objects(clone, "count"), loose);
	ck_assert_int_eq(objects(clone, "packs"), packs + 1);
	sh_ok("git -C '%s' fsck --no-dangling --no-progress %s", clone, id);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s/remote.git' fsck --no-dangling --no-progress", tmp);
	s = sh("git -C '%s/remote.git' ls-tree -r --name-only deploy | wc -l",
	       tmp);
	ck_assert_str_eq(s, "1201");
	free(s);
	s = sh("git -C '%s/remote.git' cat-file -p deploy:ns/app/file-0777.yaml",
	       tmp);
	ck_assert_str_eq(s, "0777");
	free(s);
	gc_git_free(g);
	free(up);
	free(data);
}
END_TEST

/*
 * A one-canary tick: a few objects, written loose so that packs do not
 * pile up, and a 10,000-entry directory's tree (here 3,000: ~110 KB) in
 * zlib stored blocks, which git reads as any loose object. A blob written
 * without a commit is not on disk: no ref can point at it yet, and a crash
 * loses nothing a ref needs.
 */
START_TEST(test_git_pack__small_commit_is_loose_and_big_tree_stored)
{
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *data, *s, *tree;
	char base[GC_OID_HEX], id[GC_OID_HEX], blob[GC_OID_HEX];
	gc_git_update *up = many(3000, "bench", &data);
	gc_git_update one = { "bench/file-1234.yaml", NULL, 0, NULL };
	long loose, packs, size, file;
	gc_git *g = NULL;

	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_msg(gc_git_commit(base, g, id, up, 3000, &sig, NULL, "base",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	loose = objects(repo, "count");
	packs = objects(repo, "packs");

	ck_assert_int_eq(gc_git_write_blob(blob, g, "changed\n", 8, &err), 0);
	s = sh("git -C '%s' cat-file -t %s 2>/dev/null || echo none", repo,
	       blob);
	ck_assert_str_eq(s, "none");
	free(s);
	one.blob = blob;
	ck_assert_msg(gc_git_commit(id, g, base, &one, 1, &sig, NULL, "one",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	/* the blob, bench/, the root and the commit: loose, no new pack */
	ck_assert_int_eq(objects(repo, "count"), loose + 4);
	ck_assert_int_eq(objects(repo, "packs"), packs);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	s = sh("git -C '%s' show deploy:bench/file-1234.yaml", repo);
	ck_assert_str_eq(s, "changed");
	free(s);
	s = sh("git -C '%s' ls-tree deploy:bench | wc -l", repo);
	ck_assert_str_eq(s, "3000");
	free(s);
	/* stored: the file is the tree's bytes plus zlib's few per block */
	tree = sh("git -C '%s' rev-parse deploy:bench", repo);
	s = sh("git -C '%s' cat-file -s %s", repo, tree);
	size = atol(s);
	free(s);
	s = sh("stat -c %%s '%s/objects/%.2s/%s'", repo, tree, tree + 2);
	file = atol(s);
	free(s);
	ck_assert_int_gt(size, 64 * 1024);
	ck_assert_int_gt(file, size);
	ck_assert_int_lt(file, size + size / 100 + 64);
	free(tree);
	gc_git_free(g);
	free(up);
	free(data);
	free(repo);
}
END_TEST

static Suite *gc_suite_git_pack(void)
{
	Suite *s = suite_create("git_pack");
	TCase *tc = tcase_create("git_pack");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_git_pack__big_commit_is_one_pack_and_pushed);
	tcase_add_test(
		tc, test_git_pack__small_commit_is_loose_and_big_tree_stored);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_pack)
