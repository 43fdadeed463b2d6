/*
 * gc_git_* against an ssh:// remote: a private OpenSSH sshd on 127.0.0.1
 * (its own host key, config and authorized_keys in a temporary directory,
 * running as the invoking user), a fresh client key pair, and a bare
 * repository on disk. gitcanary clones, fetches and pushes through libgit2's
 * libssh2 transport; a "human" pushes with plain git over the same sshd.
 *
 * libgit2 1.5.1 (CVE-2023-22742) checks the server's host key against
 * $HOME/.ssh/known_hosts and refuses an unknown or changed one, so every
 * test runs with its own HOME whose known_hosts has the daemon's key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "git_helpers.h"

#define SSHD "/usr/sbin/sshd"
#define SSHD_LIFETIME "600" /* seconds, in case all else fails */
#define PORT_ATTEMPTS 10

static struct {
	char *dir;   /* keys, sshd_config, log; owned */
	char *user;  /* the invoking user, whom sshd lets in; owned */
	char *error; /* why sshd_start failed, or NULL; owned */
	pid_t pid;   /* of `timeout ... sshd -D`, 0 = not running */
	unsigned port;
} srv;

static char *tmp, *url, *cache, *key;
static gc_git_open_opts opts;

/* A port nobody listens on right now, or 0 (sshd may still lose it). */
static unsigned free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool port_open(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The daemon's log so far (sshd -e writes it to stderr); owned. */
static char *sshd_log(void)
{
	char *path = gc_xasprintf("%s/sshd.log", srv.dir);
	gc_buf log = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	if (gc_buf_read_file(&log, path, 1u << 20, &err) < 0)
		gc_buf_adds(&log, gc_error_msg(&err));
	gc_error_release(&err);
	free(path);
	return gc_buf_detach(&log, NULL);
}

/* Length of the daemon's log so far, to look only at what follows. */
static size_t sshd_log_len(void)
{
	char *log = sshd_log();
	size_t n = strlen(log);

	free(log);
	return n;
}

/*
 * Starts `sshd -D -e` on srv.port; the pid is srv.pid. A runner killed
 * before its teardown (ctest's timeout) leaves no daemon: timeout(1) gets
 * SIGTERM when we die, passes it on, and ends sshd anyway after a while.
 */
static int sshd_spawn(void)
{
	char *cfg = gc_xasprintf("%s/sshd_config", srv.dir);
	char *log = gc_xasprintf("%s/sshd.log", srv.dir);
	FILE *f = fopen(cfg, "w");
	int rc = -1;

	if (!f)
		goto cleanup;
	fprintf(f,
		"ListenAddress 127.0.0.1\n"
		"Port %u\n"
		"HostKey %s/host_key\n"
		"AuthorizedKeysFile %s/authorized_keys\n"
		"PidFile %s/sshd.pid\n"
		"StrictModes no\n"
		"UsePAM no\n"
		"PasswordAuthentication no\n"
		"KbdInteractiveAuthentication no\n"
		"PubkeyAuthentication yes\n"
		"PermitRootLogin prohibit-password\n",
		srv.port, srv.dir, srv.dir, srv.dir);
	if (fclose(f) != 0)
		goto cleanup;
	fflush(NULL);
	srv.pid = fork();
	if (srv.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);

		if (fd < 0 || in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
			_exit(127);
		execlp("timeout", "timeout", SSHD_LIFETIME, SSHD, "-D", "-e",
		       "-f", cfg, (char *)NULL);
		_exit(127);
	}
	rc = srv.pid > 0 ? 0 : -1;
cleanup:
	free(cfg);
	free(log);
	return rc;
}

/* Waits until our sshd listens (0), or it exited, e.g. port taken (-1). */
static int sshd_wait(void)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	char *want = gc_xasprintf("Server listening on 127.0.0.1 port %u.",
				  srv.port);
	int rc = -1;

	for (int i = 0; i < 500; i++) {
		char *log;
		int st;

		if (waitpid(srv.pid, &st, WNOHANG) == srv.pid) {
			srv.pid = 0;
			break;
		}
		log = sshd_log();
		rc = strstr(log, want) && port_open(srv.port) ? 0 : -1;
		free(log);
		if (rc == 0)
			break;
		nanosleep(&nap, NULL);
	}
	free(want);
	return rc;
}

static void sshd_stop(void)
{
	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM); /* timeout(1) passes it on to sshd */
		waitpid(srv.pid, NULL, 0);
	}
	srv.pid = 0;
}

/*
 * Once per test case, in Check's parent process: keys and a daemon. A
 * failed assertion here would end the whole runner, so a problem is kept
 * in srv.error and every test fails with it (see setup). As root, sshd
 * wants its privilege separation directory, which a container without an
 * init system lacks (Debian's service creates it when it starts).
 */
static void sshd_start(void)
{
	struct passwd *pw = getpwuid(geteuid());
	gc_buf out = GC_BUF_INIT;

	srv.dir = gc_test_tmpdir();
	srv.user = gc_xstrdup(pw ? pw->pw_name : "");
	if (access(SSHD, X_OK) != 0) {
		srv.error = gc_xstrdup(
			SSHD
			" not found: run scripts/setup.sh (openssh-server)");
		return;
	}
	if (geteuid() == 0 && mkdir("/run/sshd", 0755) < 0 && errno != EEXIST) {
		srv.error =
			gc_xasprintf("mkdir /run/sshd: %s", strerror(errno));
		return;
	}
	if (gc_test_sh(
		    &out, &out,
		    "cd '%s' && for k in host_key other_host_key client_key wrong_key; do "
		    "ssh-keygen -q -t ed25519 -N '' -C gitcanary-test "
		    "-f $k || exit 1; done && cp client_key.pub authorized_keys",
		    srv.dir) != 0) {
		srv.error = gc_xasprintf("ssh-keygen failed: %s", out.ptr);
		gc_buf_release(&out);
		return;
	}
	gc_buf_release(&out);
	for (int i = 0; i < PORT_ATTEMPTS; i++) {
		srv.port = free_port();
		if (srv.port && sshd_spawn() == 0 && sshd_wait() == 0)
			return;
		sshd_stop();
	}
	srv.error = sshd_log();
}

static void sshd_teardown(void)
{
	sshd_stop();
	gc_test_rmrf(srv.dir);
	free(srv.dir);
	free(srv.user);
	free(srv.error);
	memset(&srv, 0, sizeof(srv));
}

/* Plain git (the "human") over the same sshd, with the client key. */
#define GIT_SSH_ENV                                                              \
	"export GIT_SSH_COMMAND=\"ssh -i '%s/client_key' -o IdentitiesOnly=yes " \
	"-o BatchMode=yes -o StrictHostKeyChecking=no "                          \
	"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR\"; "

/* $HOME/.ssh/known_hosts: the daemon (at its port) with key `pub`. */
static void known_host(const char *pub)
{
	sh_ok("mkdir -p '%s/.ssh' && k=\"$(cut -d' ' -f1,2 '%s/%s')\" && "
	      "printf '[127.0.0.1]:%u %%s\\n' \"$k\" > '%s/.ssh/known_hosts'",
	      tmp, srv.dir, pub, srv.port, tmp);
}

static void setup(void)
{
	ck_assert_msg(!srv.error, "no sshd: %s", srv.error);
	tmp = gc_test_tmpdir();
	url = gc_xasprintf("ssh://%s@127.0.0.1:%u%s/remote.git", srv.user,
			   srv.port, tmp);
	cache = gc_xasprintf("%s/cache", tmp);
	key = gc_xasprintf("%s/client_key", srv.dir);
	opts.cache_dir = cache;
	opts.token = NULL;
	opts.ssh_key = key;
	unsetenv("GITCANARY_SSH_KEY");
	unsetenv("SSH_AUTH_SOCK"); /* never a developer's agent */
	/* libgit2 looks for .ssh/known_hosts here at each connection */
	setenv("HOME", tmp, 1);
	known_host("host_key.pub");
	sh_ok("cd '%s' && git init -q -b main seed && cd seed && "
	      "mkdir ns && echo a > ns/a.yaml && git add . && "
	      "git commit -q -m first && "
	      "git clone -q --bare . ../remote.git",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
	free(url);
	free(cache);
	free(key);
}

/* A commit pushed over ssh by the git CLI from its own clone. */
static void human_commit(const char *file, const char *msg)
{
	sh_ok(GIT_SSH_ENV
	      "cd '%s' && { [ -d human ] || git clone -q '%s' human; } && "
	      "cd human && git pull -q --ff-only && echo '%s' > %s && "
	      "git add %s && git commit -q -m '%s' && git push -q origin main",
	      srv.dir, tmp, url, msg, file, file, msg);
}

static char *remote_rev(const char *rev)
{
	return sh("git --git-dir='%s/remote.git' rev-parse '%s'", tmp, rev);
}

START_TEST(test_git_ssh__clones_fetches_and_pushes)
{
	gc_error err = GC_ERROR_INIT;
	char base[GC_OID_HEX], ours[GC_OID_HEX];
	const gc_git_update up = { "ns/deploy.yaml", "replicas: 2\n", 12,
				   NULL };
	char *theirs, *s;
	gc_git *g = NULL;

	/* clone */
	ck_assert_msg(gc_git_open(&g, url, &opts, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	s = remote_rev("main");
	ck_assert_str_eq(base, s);
	free(s);
	s = sh("ls -A '%s' | wc -l", cache);
	ck_assert_str_eq(s, "1");
	free(s);

	/* fetch a commit the human pushed over ssh */
	human_commit("ns/b.yaml", "human change");
	theirs = remote_rev("main");
	ck_assert_msg(gc_git_fetch(g, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	ck_assert_str_eq(base, theirs);
	free(theirs);

	/* push with compare-and-swap, and create a branch */
	ck_assert_int_eq(gc_git_commit(ours, g, base, &up, 1, bot(), NULL,
				       "ours", &err),
			 0);
	ck_assert_msg(gc_git_update_branch(g, "main", base, ours, &err) == 0,
		      "%s", err.msg);
	s = remote_rev("main");
	ck_assert_str_eq(s, ours);
	free(s);
	ck_assert_msg(gc_git_update_branch(g, "deploy", "", ours, &err) == 0,
		      "%s", err.msg);
	s = remote_rev("deploy");
	ck_assert_str_eq(s, ours);
	free(s);
	ck_assert_msg(gc_git_note_set(g, "refs/notes/gitcanary", ours,
				      "promoted\n", bot(), &err) == 0,
		      "%s", err.msg);
	s = sh("git --git-dir='%s/remote.git' notes --ref=gitcanary show main",
	       tmp);
	ck_assert_str_eq(s, "promoted");
	free(s);
	gc_git_free(g);

	/* a second open reuses the clone; a race with the human is lost */
	ck_assert_msg(gc_git_open(&g, url, &opts, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	ck_assert_str_eq(base, ours);
	human_commit("ns/c.yaml", "human fix");
	ck_assert_int_eq(gc_git_commit(ours, g, base, &up, 1, bot(), NULL,
				       "racing", &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "main", base, ours, &err),
			 GC_ECONFLICT);
	s = gc_xasprintf(
		"push to 'ssh://127.0.0.1:%u%s/remote.git' rejected: cannot push because a reference that you are trying to update on the remote contains commits that are not present locally",
		srv.port, tmp);
	ck_assert_str_eq(err.msg, s);
	free(s);
	gc_error_release(&err);
	s = sh("git --git-dir='%s/remote.git' log --format=%%s main", tmp);
	ck_assert_str_eq(s, "human fix\nours\nhuman change\nfirst");
	free(s);

	/* fetch, redo on top, push */
	ck_assert_msg(gc_git_fetch(g, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(ours, g, base, &up, 1, bot(), NULL,
				       "redone", &err),
			 0);
	ck_assert_msg(gc_git_update_branch(g, "main", base, ours, &err) == 0,
		      "%s", err.msg);
	s = sh("git --git-dir='%s/remote.git' log -1 --format=%%s main", tmp);
	ck_assert_str_eq(s, "redone");
	free(s);
	gc_git_free(g);
}
END_TEST

/* The key's content (private and public) is in no message. */
static void assert_no_key_material(const char *msg, const char *name)
{
	char *priv = sh("sed -n 2p '%s/%s'", srv.dir, name);
	char *pub = sh("cut -d' ' -f2 '%s/%s.pub'", srv.dir, name);

	ck_assert_uint_gt(strlen(priv), 20);
	ck_assert_uint_gt(strlen(pub), 20);
	ck_assert_ptr_null(strstr(msg, priv));
	ck_assert_ptr_null(strstr(msg, pub));
	ck_assert_ptr_null(strstr(msg, "PRIVATE KEY"));
	free(priv);
	free(pub);
}

START_TEST(test_git_ssh__wrong_key_is_refused)
{
	gc_error err = GC_ERROR_INIT;
	char *wrong = gc_xasprintf("%s/wrong_key", srv.dir);
	size_t seen = sshd_log_len();
	char *want, *s;
	gc_git *g = NULL;

	opts.ssh_key = wrong;
	ck_assert_int_eq(gc_git_open(&g, url, &opts, &err), GC_ERROR);
	ck_assert_ptr_null(g);
	want = gc_xasprintf(
		"cannot fetch 'ssh://127.0.0.1:%u%s/remote.git': the remote rejected the credentials",
		srv.port, tmp);
	ck_assert_str_eq(err.msg, want);
	assert_no_key_material(err.msg, "wrong_key");
	free(want);
	gc_error_release(&err);
	/* and the server saw a refused key, not a broken connection */
	s = sshd_log();
	ck_assert_msg(strstr(s + seen,
			     "Connection closed by authenticating user"),
		      "%s", s);
	free(s);
	free(wrong);
}
END_TEST

/* libgit2 checks the host key; an unknown or changed one is refused. */
static const char *const host_keys[] = { NULL, "other_host_key.pub" };

START_TEST(test_git_ssh__unknown_or_changed_host_key_is_refused)
{
	gc_error err = GC_ERROR_INIT;
	size_t seen = sshd_log_len();
	char *want, *s;
	gc_git *g = NULL;

	if (host_keys[_i])
		known_host(host_keys[_i]);
	else
		sh_ok("rm '%s/.ssh/known_hosts'", tmp);
	ck_assert_int_eq(gc_git_open(&g, url, &opts, &err), GC_ERROR);
	ck_assert_ptr_null(g);
	want = gc_xasprintf(
		"cannot fetch 'ssh://127.0.0.1:%u%s/remote.git': the server's host key is not in ~/.ssh/known_hosts or differs from it (see ssh-keyscan)",
		srv.port, tmp);
	ck_assert_str_eq(err.msg, want);
	free(want);
	gc_error_release(&err);
	/* refused before authenticating: the server saw no key */
	s = sshd_log();
	ck_assert_ptr_null(strstr(s + seen, "publickey"));
	free(s);
}
END_TEST

START_TEST(test_git_ssh__validate_through_binary)
{
	gc_buf out = GC_BUF_INIT, errb = GC_BUF_INIT;
	char *podinfo = gc_xasprintf("ssh://%s@127.0.0.1:%u%s/podinfo.git",
				     srv.user, srv.port, tmp);
	int st;

	sh_ok("cd '%s' && mkdir podinfo && cp -R '%s/examples/podinfo/.' podinfo && "
	      "cd podinfo && git init -q -b main && git add -A && "
	      "git commit -q -m initial && git clone -q --bare . ../podinfo.git",
	      tmp, gc_test_source_dir);
	st = gc_test_sh(&out, &errb,
			"XDG_CACHE_HOME='%s' GITCANARY_SSH_KEY='%s' "
			"'%s' validate --repo '%s'",
			cache, key, gc_test_binary, podinfo);
	ck_assert_msg(st == 0, "exit %d: %s", st, errb.ptr);
	ck_assert_str_eq(out.ptr, "1 canaries, 6 manifests OK\n");
	/* nothing but the warnings of the seed's v2beta2 HPAs */
	ck_assert_str_eq(
		errb.ptr,
		"hpa-total.yaml:4:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n"
		"hpa.yaml:1:13: warning: autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26: use autoscaling/v2\n");
	gc_buf_release(&out);
	gc_buf_release(&errb);

	/* the command line says what to do about an unknown host */
	sh_ok("rm '%s/.ssh/known_hosts'", tmp);
	sh_ok("rm -r '%s/gitcanary'", cache);
	st = gc_test_sh(&out, &errb,
			"XDG_CACHE_HOME='%s' GITCANARY_SSH_KEY='%s' "
			"'%s' validate --repo '%s'",
			cache, key, gc_test_binary, podinfo);
	ck_assert_int_eq(st, 1);
	ck_assert_str_eq(out.ptr, "");
	ck_assert_msg(strstr(errb.ptr, "known_hosts"), "%s", errb.ptr);
	gc_buf_release(&out);
	gc_buf_release(&errb);
	free(podinfo);
}
END_TEST

static Suite *gc_suite_git_ssh(void)
{
	Suite *s = suite_create("git_ssh");
	TCase *tc = tcase_create("ssh");

	tcase_add_unchecked_fixture(tc, sshd_start, sshd_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* a dozen ssh handshakes each, on a busy machine */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_git_ssh__clones_fetches_and_pushes);
	tcase_add_test(tc, test_git_ssh__wrong_key_is_refused);
	tcase_add_loop_test(
		tc, test_git_ssh__unknown_or_changed_host_key_is_refused, 0,
		GC_ARRAY_SIZE(host_keys));
	tcase_add_test(tc, test_git_ssh__validate_through_binary);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_ssh)
