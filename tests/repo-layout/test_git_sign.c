/*
 * Signed commits (git_sign.c): a repository opened with a signing key makes
 * exactly the commit `git commit-tree -S` makes with gpg.format=ssh (same
 * id, so the same bytes), for deploy and notes commits alike, and git
 * verifies them; a bad key file stops gc_git_open with its path.
 */
#include <stdio.h>

#include "git_helpers.h"

static char *tmp;

/* git as a verifier: the key of tmp/key.pub is trusted for bot@example.com */
#define VERIFY_GIT                                                        \
	"git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=%s/allowed " \
	"--git-dir=%s/repo.git"

static void setup(void)
{
	tmp = gc_test_tmpdir();
	sh_ok("cd '%s' && git init -q --bare -b main repo.git && "
	      "ssh-keygen -q -t ed25519 -N '' -C bot -f key && "
	      "printf 'bot@example.com %%s\\n' \"$(cut -d' ' -f1,2 key.pub)\" "
	      ">allowed",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
}

static gc_git *open_signed(const char *key)
{
	gc_git_open_opts opts = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *path = gc_xasprintf("%s/repo.git", tmp);
	char *key_path = key ? gc_xasprintf("%s/%s", tmp, key) : NULL;
	gc_git *g = NULL;

	opts.signing_key = key_path;
	ck_assert_msg(gc_git_open(&g, path, &opts, &err) == 0, "%s",
		      gc_error_msg(&err));
	free(key_path);
	free(path);
	return g;
}

static void commit(char out[GC_OID_HEX], gc_git *g, const char *parent,
		   const char *path, const char *data, const char *msg)
{
	gc_git_update up = { 0 };
	gc_error err = GC_ERROR_INIT;

	up.path = path;
	up.data = data;
	up.len = strlen(data);
	ck_assert_msg(gc_git_commit(out, g, parent, &up, 1, bot(), NULL, msg,
				    &err) == 0,
		      "%s", gc_error_msg(&err));
}

/* What git commit-tree -S makes of the same tree, parent, identity, time. */
static char *git_signed(const char *commit, const char *parent, const char *msg)
{
	return sh("cd '%s' && GIT_AUTHOR_NAME=gitcanary "
		  "GIT_AUTHOR_EMAIL=bot@example.com "
		  "GIT_COMMITTER_NAME=gitcanary "
		  "GIT_COMMITTER_EMAIL=bot@example.com "
		  "GIT_AUTHOR_DATE='1700000100 +0000' "
		  "GIT_COMMITTER_DATE='1700000100 +0000' "
		  "git --git-dir=repo.git -c gpg.format=ssh "
		  "-c user.signingKey=%s/key commit-tree -S %s%s -m '%s' "
		  "%s^{tree}",
		  tmp, tmp, *parent ? "-p " : "", parent, msg, commit);
}

START_TEST(test_git_sign__commits_are_git_commit_S_byte_for_byte)
{
	char c1[GC_OID_HEX], c2[GC_OID_HEX];
	gc_git *g = open_signed("key");
	char *want, *got;

	commit(c1, g, "", "a.yaml", "a: 1\n", "first");
	want = git_signed(c1, "", "first");
	ck_assert_str_eq(c1, want);
	free(want);
	commit(c2, g, c1, "dir/b.yaml", "b: 2\n", "Advance podinfo.test");
	want = git_signed(c2, c1, "Advance podinfo.test");
	ck_assert_str_eq(c2, want);
	free(want);
	/* git verifies them, and says whose key it is */
	sh_ok("cd '%s' && " VERIFY_GIT " verify-commit %s %s", tmp, tmp, tmp,
	      c1, c2);
	got = sh("cd '%s' && " VERIFY_GIT " log --format=%%G?%%x20%%GS %s", tmp,
		 tmp, tmp, c2);
	ck_assert_str_eq(got, "G bot@example.com\nG bot@example.com");
	free(got);
	got = sh("cd '%s' && " VERIFY_GIT " log -1 --show-signature %s 2>&1 "
		 "| sed -n 2p | sed 's/SHA256:.*/SHA256:/'",
		 tmp, tmp, tmp, c2);
	ck_assert_str_eq(got, "Good \"git\" signature for bot@example.com "
			      "with ED25519 key SHA256:");
	free(got);
	/* an untrusted key is not good */
	got = sh("cd '%s' && : >allowed && " VERIFY_GIT
		 " log -1 --format=%%G? %s",
		 tmp, tmp, tmp, c2);
	ck_assert_str_ne(got, "G");
	free(got);
	gc_git_free(g);
}
END_TEST

START_TEST(test_git_sign__notes_commits_are_signed)
{
	char c1[GC_OID_HEX];
	gc_error err = GC_ERROR_INIT;
	gc_git *g = open_signed("key");
	char *got;

	commit(c1, g, "", "a.yaml", "a: 1\n", "first");
	for (int i = 0; i < 2; i++)
		ck_assert_msg(gc_git_note_set(g, "refs/notes/gitcanary", c1,
					      i ? "second" : "first", bot(),
					      &err) == 0,
			      "%s", gc_error_msg(&err));
	got = sh("cd '%s' && " VERIFY_GIT
		 " log --format=%%G? refs/notes/gitcanary && " VERIFY_GIT
		 " verify-commit refs/notes/gitcanary && " VERIFY_GIT
		 " notes --ref=gitcanary show %s",
		 tmp, tmp, tmp, tmp, tmp, tmp, tmp, c1);
	ck_assert_str_eq(got, "G\nG\nsecond");
	free(got);
	gc_git_free(g);
}
END_TEST

START_TEST(test_git_sign__without_a_key_commits_are_unsigned)
{
	char c1[GC_OID_HEX];
	gc_git *g = open_signed(NULL);
	char *got;

	commit(c1, g, "", "a.yaml", "a: 1\n", "first");
	got = sh("cd '%s' && " VERIFY_GIT " log --format=%%G? %s && "
		 "git --git-dir=repo.git cat-file commit %s | grep -c gpgsig "
		 "|| true",
		 tmp, tmp, tmp, c1, c1);
	ck_assert_str_eq(got, "N\n0");
	free(got);
	gc_git_free(g);
}
END_TEST

/* gc_git_open with tmp/<key> fails with code and "<path>: <want>". */
static void assert_open_fails(const char *key, int code, const char *want)
{
	gc_git_open_opts opts = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *key_path = gc_xasprintf("%s/%s", tmp, key);
	char *repo = gc_xasprintf("%s/nothing-here", tmp);
	char *expect = gc_xasprintf("%s: %s", key_path, want);
	gc_git *g = NULL;
	char *msg;

	opts.signing_key = key_path;
	/* the key is read first: its error, not the missing repository's */
	ck_assert_int_eq(gc_git_open(&g, repo, &opts, &err), code);
	ck_assert_ptr_null(g);
	msg = gc_error_format(&err);
	ck_assert_str_eq(msg, expect);
	free(msg);
	free(expect);
	free(repo);
	free(key_path);
	gc_error_release(&err);
}

START_TEST(test_git_sign__bad_key_files_stop_open_with_their_path)
{
	sh_ok("cd '%s' && ssh-keygen -q -t ed25519 -N 'a passphrase' -f "
	      "locked && : >empty && mkdir dir",
	      tmp);
	assert_open_fails(
		"missing", GC_EOS,
		"signing key: cannot open: No such file or directory");
	assert_open_fails("dir", GC_EOS,
			  "signing key: cannot read: Is a directory");
	assert_open_fails(
		"locked", GC_EINVALID,
		"signing key: the key is encrypted with a passphrase; "
		"gitcanary needs a key without one (a dedicated "
		"signing key)");
	assert_open_fails(
		"key.pub", GC_EINVALID,
		"signing key: a public key; the private key is needed");
	assert_open_fails("empty", GC_EINVALID,
			  "signing key: not a private key (expected OpenSSH's "
			  "format or PEM)");
}
END_TEST

Suite *gc_suite_git_sign(void);
Suite *gc_suite_git_sign(void)
{
	Suite *s = suite_create("git_sign");
	TCase *tc = tcase_create("git_sign");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
		       test_git_sign__commits_are_git_commit_S_byte_for_byte);
	tcase_add_test(tc, test_git_sign__notes_commits_are_signed);
	tcase_add_test(tc, test_git_sign__without_a_key_commits_are_unsigned);
	tcase_add_test(tc,
		       test_git_sign__bad_key_files_stop_open_with_their_path);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_sign)
