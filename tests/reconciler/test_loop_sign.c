/*
 * --signing-key end to end: `gitcanary reconcile` releases podinfo against
 * a bare remote reached by a file:// URL (so every commit is pushed), and
 * git, with an allowed_signers file, finds every deploy commit and every
 * notes commit signed (%G? = G, verify-commit, --show-signature), as does
 * `ssh-keygen -Y verify` on a commit's payload. Without a key the commits
 * stay unsigned; a bad key file stops the command before it does anything.
 * $GITCANARY_SIGNING_KEY names the key when the flag does not, and
 * `gitcanary run` reads the key file again after a SIGHUP (rotation).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "httpd.h"
#include "util/alloc.h"

typedef struct env {
	char *dir;
	gc_httpd *hooks;
	gc_buf out, err;
} env;

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"
/* git trusting the test's key ($A, set by sh_ok) for gitcanary's committer */
#define VERIFY "git -c gpg.ssh.allowedSignersFile=\"$A\" "

/* Webhooks of tests/fixtures/loop/canary.yaml: all pass (200). */
static void hooks(const gc_httpd_request *req, gc_httpd_response *resp,
		  void *payload)
{
	(void)req;
	(void)resp;
	(void)payload;
}

static void sh_ok(env *e, const char *cmd)
{
	int rc = gc_test_sh(&e->out, &e->err,
			    "cd '%s' && A=\"$PWD/allowed\" && { %s; }", e->dir,
			    cmd);

	ck_assert_msg(rc == 0, "%s: exit %d\n%s%s", cmd, rc, e->out.ptr,
		      e->err.ptr);
}

/*
 * remote.git and its work clone src/ holding examples/podinfo with the
 * test canary; key, an ed25519 key, and allowed, trusting it.
 */
static void env_setup(env *e)
{
	char *hooks_url, *cmd;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_buf_init(&e->err);
	e->dir = gc_test_tmpdir();
	e->hooks = gc_httpd_start(hooks, NULL);
	hooks_url = gc_httpd_url(e->hooks, "");
	cmd = gc_xasprintf(
		"git init -q --bare -b main remote.git && "
		"git clone -q remote.git src 2>/dev/null && "
		"cp -r '%s/examples/podinfo/.' src/ && "
		"sed 's|HOOKS|%s|' '%s/tests/fixtures/loop/canary.yaml' "
		">src/canary.yaml && "
		"cd src && git add . && " GIT " commit -qm 'podinfo' && "
		"git push -q origin main && cd .. && "
		"ssh-keygen -q -t ed25519 -N '' -C deploy-signing -f key && "
		"printf 'gitcanary@localhost %%s\\n' \"$(cut -d' ' -f1,2 "
		"key.pub)\" >allowed",
		gc_test_source_dir, hooks_url, gc_test_source_dir);
	sh_ok(e, cmd);
	free(cmd);
	free(hooks_url);
}

static void env_free(env *e)
{
	/* a daemon a failed test left (gitcanary run's) */
	gc_test_sh(NULL, NULL,
		   "cd '%s' && [ -f gc.pid ] && kill -9 $(cat gc.pid) "
		   "2>/dev/null; true",
		   e->dir);
	gc_httpd_stop(e->hooks);
	gc_test_rmrf(e->dir);
	free(e->dir);
	gc_buf_release(&e->out);
	gc_buf_release(&e->err);
}

/* One tick through a file:// URL; variables and extra flags as given. */
static int reconcile_env(env *e, const char *vars, const char *extra)
{
	return gc_test_sh(&e->out, &e->err,
			  "cd '%s' && %s '%s' reconcile --once --repo "
			  "\"file://$PWD/remote.git\" --cache-dir cache "
			  "--assume-ready --min-interval 1s %s",
			  e->dir, vars, gc_test_binary, extra);
}

static int reconcile(env *e, const char *extra)
{
	return reconcile_env(e, "", extra);
}

static char *phase(env *e)
{
	gc_test_sh(&e->out, NULL,
		   "cd '%s' && git --git-dir=remote.git show "
		   "deploy:.gitcanary/status/test/podinfo.yaml 2>/dev/null | "
		   "sed -n 's/^  phase: //p' | tr -d '\\n'",
		   e->dir);
	return gc_xstrdup(e->out.ptr);
}

static void tick_until(env *e, const char *extra, const char *want)
{
	struct timespec nap = { 0, 250000000L };
	char *p = NULL;

	for (int i = 0; i < 80; i++) {
		int rc = reconcile(e, extra);

		ck_assert_msg(rc == 0, "reconcile exit %d: %s", rc, e->err.ptr);
		free(p);
		p = phase(e);
		if (!strcmp(p, want)) {
			free(p);
			return;
		}
		nanosleep(&nap, NULL);
	}
	ck_abort_msg("phase %s after 80 ticks, want %s", p, want);
}

static void bump(env *e)
{
	sh_ok(e, "cd src && sed -i 's|podinfo:[0-9.]*$|podinfo:3.1.1|' "
		 "deployment.yaml && " GIT " commit -qam bump && "
		 "git push -q origin main");
}

/* No line of the private key file in s. */
static void assert_no_key(env *e, const char *s)
{
	char *cmd = gc_xasprintf("cat '%s/key'", e->dir);
	gc_buf key = GC_BUF_INIT;

	gc_test_sh(&key, NULL, "%s", cmd);
	for (char *line = strtok(key.ptr, "\n"); line;
	     line = strtok(NULL, "\n"))
		if (strncmp(line, "-----", 5))
			ck_assert_msg(!strstr(s, line), "the key leaked: %s",
				      s);
	gc_buf_release(&key);
	free(cmd);
}

START_TEST(test_loop_sign__release_and_notes_commits_are_signed)
{
	env e;
	char *fp;

	env_setup(&e);
	tick_until(&e, "--signing-key key", "Initialized");
	assert_no_key(&e, e.err.ptr);
	ck_assert_msg(strstr(e.err.ptr, " info signing commits with the key "
					"SHA256:"),
		      "%s", e.err.ptr);
	bump(&e);
	tick_until(&e, "--signing-key key", "Succeeded");
	assert_no_key(&e, e.err.ptr);
	/* a clone, as a reviewer or CI sees the deploy branch */
	sh_ok(&e, "git clone -q remote.git co && cd co && "
		  "git rev-list --count origin/deploy && " VERIFY
		  "log --format=%G? origin/deploy | sort | uniq -c");
	ck_assert_str_eq(e.out.ptr, "10\n     10 G\n");
	sh_ok(&e, "cd co && for c in $(git rev-list origin/deploy); do " VERIFY
		  "verify-commit $c 2>/dev/null || exit 1; done");
	/* the notes commits (evidence, outcomes) too */
	sh_ok(&e, "git --git-dir=remote.git rev-list --count "
		  "refs/notes/gitcanary && " VERIFY "--git-dir=remote.git log "
		  "--format=%G? refs/notes/gitcanary | sort -u && " VERIFY
		  "--git-dir=remote.git verify-commit refs/notes/gitcanary");
	ck_assert_msg(atoi(e.out.ptr) >= 10, "%s", e.out.ptr);
	ck_assert_str_eq(strchr(e.out.ptr, '\n'), "\nG\n");
	/* OpenSSH on the payload git signs: the commit without gpgsig */
	sh_ok(&e, "cd co && git cat-file commit origin/deploy >c && "
		  "sed -n '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/p' c | "
		  "sed 's/^gpgsig //; s/^ //' >sig && "
		  "sed '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/d' c "
		  ">payload && ssh-keygen -Y verify -f ../allowed "
		  "-I gitcanary@localhost -n git -s sig <payload >v 2>&1 && "
		  "sed 's/SHA256:.*/SHA256:/' v");
	ck_assert_str_eq(e.out.ptr, "Good \"git\" signature for "
				    "gitcanary@localhost with ED25519 key "
				    "SHA256:\n");
	sh_ok(&e, "ssh-keygen -lf key.pub | cut -d' ' -f2 | tr -d '\\n'");
	fp = gc_xstrdup(e.out.ptr);
	sh_ok(&e, "cd co && " VERIFY "log -1 --show-signature origin/deploy "
		  "| sed -n 2p");
	{
		char *want = gc_xasprintf("Good \"git\" signature for "
					  "gitcanary@localhost with ED25519 "
					  "key %s\n",
					  fp);

		ck_assert_str_eq(e.out.ptr, want);
		free(want);
	}
	free(fp);
	env_free(&e);
}
END_TEST

START_TEST(test_loop_sign__without_a_key_nothing_is_signed)
{
	env e;

	env_setup(&e);
	tick_until(&e, "", "Initialized");
	bump(&e);
	tick_until(&e, "", "Succeeded");
	sh_ok(&e,
	      VERIFY "--git-dir=remote.git log --format=%G? deploy "
		     "refs/notes/gitcanary | sort -u && "
		     "git --git-dir=remote.git cat-file --batch-all-objects "
		     "--batch | grep -c '^gpgsig' || true");
	ck_assert_str_eq(e.out.ptr, "N\n0\n");
	env_free(&e);
}
END_TEST

START_TEST(test_loop_sign__bad_key_stops_before_anything_is_done)
{
	env e;
	char *want;

	env_setup(&e);
	sh_ok(&e, "ssh-keygen -q -t ed25519 -N 'a passphrase' -f locked");
	ck_assert_int_eq(reconcile(&e, "--signing-key missing"), 1);
	want = gc_xasprintf("gitcanary reconcile: missing: signing key: "
			    "cannot open: No such file or directory\n");
	ck_assert_str_eq(e.err.ptr, want);
	free(want);
	ck_assert_int_eq(reconcile(&e, "--signing-key locked"), 1);
	ck_assert_str_eq(e.err.ptr,
			 "gitcanary reconcile: locked: signing key: the key "
			 "is encrypted with a passphrase; gitcanary needs a "
			 "key without one (a dedicated signing key)\n");
	ck_assert_int_eq(reconcile(&e, "--signing-key key.pub"), 1);
	ck_assert_str_eq(e.err.ptr,
			 "gitcanary reconcile: key.pub: signing key: a public "
			 "key; the private key is needed\n");
	/* the environment names the key when the flag does not */
	ck_assert_int_eq(reconcile_env(&e, "GITCANARY_SIGNING_KEY=key.pub", ""),
			 1);
	ck_assert_str_eq(e.err.ptr,
			 "gitcanary reconcile: key.pub: signing key: a public "
			 "key; the private key is needed\n");
	/* ... and the flag wins over it */
	ck_assert_int_eq(reconcile_env(&e, "GITCANARY_SIGNING_KEY=key.pub",
				       "--signing-key locked"),
			 1);
	ck_assert_msg(strstr(e.err.ptr, "gitcanary reconcile: locked: signing "
					"key: the key is encrypted"),
		      "%s", e.err.ptr);
	/* the daemon too, at start */
	ck_assert_int_eq(
		gc_test_sh(&e.out, &e.err,
			   "cd '%s' && timeout 20 '%s' run --repo "
			   "remote.git --listen '' --signing-key locked",
			   e.dir, gc_test_binary),
		1);
	ck_assert_msg(strstr(e.err.ptr, "gitcanary run: locked: signing key: "
					"the key is encrypted"),
		      "%s", e.err.ptr);
	/* nothing was written */
	ck_assert_int_ne(gc_test_sh(NULL, NULL,
				    "git --git-dir='%s/remote.git' "
				    "rev-parse --verify -q deploy",
				    e.dir),
			 0);
	env_free(&e);
}
END_TEST

/* The deploy head of remote.git once it is not `old` ("" = none yet). */
static char *deploy_after(env *e, const char *old)
{
	char *cmd = gc_xasprintf(
		"for i in $(seq 400); do h=$(git --git-dir=remote.git "
		"rev-parse -q --verify deploy); [ -n \"$h\" ] && "
		"[ \"$h\" != '%s' ] && break; sleep 0.05; done; "
		"printf %%s \"$h\"",
		old);

	sh_ok(e, cmd);
	free(cmd);
	ck_assert_msg(e->out.len == 40 && strcmp(e->out.ptr, old),
		      "the deploy branch did not move from '%s'", old);
	return gc_xstrdup(e->out.ptr);
}

/* Whether git, trusting the keys of the allowed_signers file `allowed`,
 * verifies commit c of remote.git. */
static bool verifies(env *e, const char *allowed, const char *c)
{
	return gc_test_sh(NULL, NULL,
			  "cd '%s' && git -c gpg.ssh.allowedSignersFile="
			  "\"$PWD/%s\" --git-dir=remote.git verify-commit %s",
			  e->dir, allowed, c) == 0;
}

/* A ConfigMap passed through to the deploy branch: one deploy commit. */
static void push_configmap(env *e, const char *name)
{
	char *cmd = gc_xasprintf(
		"cd src && printf 'apiVersion: v1\\nkind: ConfigMap\\n"
		"metadata:\\n  name: %s\\n  namespace: test\\n' >%s.yaml && "
		"git add %s.yaml && " GIT " commit -qm %s && "
		"git push -q origin main",
		name, name, name, name);

	sh_ok(e, cmd);
	free(cmd);
}

/* Waits until gc.log has n lines with s; the last of them. */
static char *log_line(env *e, const char *s, int n)
{
	char *cmd = gc_xasprintf(
		"for i in $(seq 400); do [ \"$(grep -cF -- '%s' gc.log)\" -ge "
		"%d ] && break; sleep 0.05; done; grep -F -- '%s' gc.log | "
		"tail -n 1 | sed 's/^[^ ]* //'",
		s, n, s);

	sh_ok(e, cmd);
	free(cmd);
	ck_assert_msg(e->out.len, "no '%s' in the log", s);
	return gc_xstrdup(e->out.ptr);
}

/*
 * Waits for the n-th "signing commits with the key" line of gc.log and
 * checks it names the key of the public key file pub (ssh-keygen -l).
 */
static void assert_signing_with(env *e, const char *pub, int n)
{
	char *cmd =
		gc_xasprintf("ssh-keygen -lf %s | cut -d' ' -f2 | tr -d '\\n'",
			     pub);
	char *line, *want;

	sh_ok(e, cmd);
	want = gc_xasprintf("info signing commits with the key %s (ED25519)\n",
			    e->out.ptr);
	line = log_line(e, "signing commits with the key", n);
	ck_assert_str_eq(line, want);
	free(line);
	free(want);
	free(cmd);
}

/*
 * `gitcanary run` with the key named by $GITCANARY_SIGNING_KEY: after a
 * SIGHUP a broken key file is logged (its path, no key) and the old key
 * keeps signing; after the next SIGHUP the new key signs.
 */
START_TEST(test_loop_sign__sighup_reads_the_key_again)
{
	env e;
	char *c0, *c1, *c2, *line, *cmd;

	env_setup(&e);
	sh_ok(&e, "ssh-keygen -q -t ed25519 -N '' -C rotated -f keyb && "
		  "printf 'gitcanary@localhost %s\\n' \"$(cut -d' ' -f1,2 "
		  "keyb.pub)\" >allowedb && cp key current");
	cmd = gc_xasprintf(
		"sh -c \"GITCANARY_SIGNING_KEY=current '%s' run --repo "
		"remote.git --assume-ready --min-interval 1s --listen '' "
		"--poll 100ms >gc.log 2>&1 </dev/null & echo \\$! >gc.pid; "
		"wait \\$!; echo \\$? >gc.rc\" >/dev/null 2>&1 & true",
		gc_test_binary);
	sh_ok(&e, cmd);
	free(cmd);
	c0 = deploy_after(&e, "");
	ck_assert(verifies(&e, "allowed", c0));
	assert_signing_with(&e, "key.pub", 1);

	/* a broken key: logged with its path, the old key stays */
	sh_ok(&e, "cp key.pub current && kill -HUP $(cat gc.pid)");
	line = log_line(&e, "SIGHUP", 1);
	ck_assert_str_eq(line, "error SIGHUP: current: signing key: a public "
			       "key; the private key is needed; still signing "
			       "with the old key\n");
	free(line);
	push_configmap(&e, "one");
	c1 = deploy_after(&e, c0);
	ck_assert(verifies(&e, "allowed", c1));
	ck_assert(!verifies(&e, "allowedb", c1));

	/* the new key */
	sh_ok(&e, "cp keyb current && kill -HUP $(cat gc.pid)");
	assert_signing_with(&e, "keyb.pub", 2);
	push_configmap(&e, "two");
	c2 = deploy_after(&e, c1);
	ck_assert(verifies(&e, "allowedb", c2));
	ck_assert(!verifies(&e, "allowed", c2));
	/* the commit of the second ConfigMap */
	cmd = gc_xasprintf("git --git-dir=remote.git show --format=%%s -s %s "
			   "| sed \"s/$(git -C src rev-parse --short=12 "
			   "HEAD)/HEAD/\" && git --git-dir=remote.git "
			   "ls-tree -r --name-only %s | grep two",
			   c2, c2);
	sh_ok(&e, cmd);
	free(cmd);
	ck_assert_str_eq(e.out.ptr,
			 "Sync HEAD from main\ntest/_/configmap-two.yaml\n");
	/* OpenSSH agrees */
	cmd = gc_xasprintf(
		"git --git-dir=remote.git cat-file commit %s >c && "
		"sed -n '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/p' c | "
		"sed 's/^gpgsig //; s/^ //' >sig && "
		"sed '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/d' c "
		">payload && ssh-keygen -Y verify -f allowedb "
		"-I gitcanary@localhost -n git -s sig <payload",
		c2);
	sh_ok(&e, cmd);
	free(cmd);

	/* no key bytes in the log; SIGTERM still stops it */
	sh_ok(&e, "cat gc.log");
	assert_no_key(&e, e.out.ptr);
	sh_ok(&e, "kill -TERM $(cat gc.pid) && for i in $(seq 600); do "
		  "[ -f gc.rc ] && break; sleep 0.05; done; cat gc.rc");
	ck_assert_str_eq(e.out.ptr, "0\n");
	free(c0);
	free(c1);
	free(c2);
	env_free(&e);
}
END_TEST

Suite *gc_suite_loop_sign(void);
Suite *gc_suite_loop_sign(void)
{
	Suite *s = suite_create("loop_sign");
	TCase *tc = tcase_create("loop_sign");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc,
		       test_loop_sign__release_and_notes_commits_are_signed);
	tcase_add_test(tc, test_loop_sign__without_a_key_nothing_is_signed);
	tcase_add_test(tc,
		       test_loop_sign__bad_key_stops_before_anything_is_done);
	tcase_add_test(tc, test_loop_sign__sighup_reads_the_key_again);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_loop_sign)
