/*
 * The process side of gc_kustomize_build: a private temporary directory,
 * and one child run with a deadline, an output cap and no network.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include "kustomize.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"

extern char **environ;

#define STDERR_MAX (64u * 1024)
/* A closed port: the discard service, nothing listens there. */
#define NO_PROXY_URL "http://127.0.0.1:9"

int gc_kustomize__tmpdir(char **out, gc_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir, *real;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	dir = gc_xasprintf("%s/gc-kbuild.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		gc_error_set_errno(err, dir, "cannot create directory");
		free(dir);
		return GC_EOS;
	}
	/* the tool prints resolved paths; messages rewrite them */
	real = realpath(dir, NULL);
	if (real) {
		free(dir);
		dir = gc_xstrdup(real);
		free(real);
	}
	*out = dir;
	return 0;
}

void gc_kustomize__rmrf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	while (d && (e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = gc_xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			gc_kustomize__rmrf(p);
		else
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

bool gc_kustomize__on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	bool found = false;

	for (p = path; p && *p && !found; p = *end ? end + 1 : end) {
		char *file;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			continue;
		file = gc_xasprintf("%.*s/%s", (int)(end - p), p, name);
		found = access(file, X_OK) == 0;
		free(file);
	}
	return found;
}

void gc_kustomize__run_release(gc_kustomize__run *r)
{
	gc_buf_release(&r->out);
	gc_buf_release(&r->err);
}

/*
 * The child's environment: PATH and HOME kept, every proxy at a closed
 * port, git allowed no transport and no prompt. Built before fork, as
 * allocating after it is not safe.
 */
static char **child_env(void)
{
	static const char *const fixed[] = {
		"HTTP_PROXY=" NO_PROXY_URL,
		"HTTPS_PROXY=" NO_PROXY_URL,
		"http_proxy=" NO_PROXY_URL,
		"https_proxy=" NO_PROXY_URL,
		"ALL_PROXY=" NO_PROXY_URL,
		"all_proxy=" NO_PROXY_URL,
		"NO_PROXY=",
		"no_proxy=",
		"GIT_ALLOW_PROTOCOL=none",
		"GIT_TERMINAL_PROMPT=0",
	};
	static const char *const kept[] = { "PATH", "HOME" };
	char **env = gc_xcalloc(GC_ARRAY_SIZE(fixed) + GC_ARRAY_SIZE(kept) + 1,
				sizeof(*env));
	size_t n = 0;

	for (size_t i = 0; i < GC_ARRAY_SIZE(kept); i++) {
		const char *v = getenv(kept[i]);

		if (v)
			env[n++] = gc_xasprintf("%s=%s", kept[i], v);
	}
	for (size_t i = 0; i < GC_ARRAY_SIZE(fixed); i++)
		env[n++] = gc_xstrdup(fixed[i]);
	return env;
}

static void free_env(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static void say(int fd, const char *s)
{
	ssize_t rc = write(fd, s, strlen(s));

	(void)rc;
}

/* In the child: only async-signal-safe calls, then exec. */
GC_NORETURN static void child(char *const *argv, const char *dir, char **env,
			      int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || chdir(dir) < 0)
		_exit(126);
	environ = env;
	execvp(argv[0], argv);
	say(2, "cannot run '");
	say(2, argv[0]);
	say(2, "': ");
	say(2, strerror(errno));
	say(2, "\n");
	_exit(127);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what fd has now; false at end of file (or a read error). */
static bool drain(int fd, gc_buf *buf, size_t max)
{
	char chunk[16384];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n > 0) {
			if (buf->len < max)
				gc_buf_add(buf, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

static bool exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* WNOWAIT: a zombie keeps its process group for the kill below */
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		       0 &&
	       si.si_pid == pid;
}

/*
 * Reads both pipes until the child has exited and they are drained (a
 * grandchild holding them open does not count), the deadline passes or the
 * output passes the cap.
 */
static void collect(gc_kustomize__run *r, pid_t pid, int fds[2],
		    unsigned timeout_ms, size_t max_output)
{
	long long deadline = now_ms() + timeout_ms;
	bool open_[2] = { true, true };

	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		long long left = deadline - now_ms();
		bool done;

		if (left <= 0) {
			r->timed_out = true;
			return;
		}
		for (int i = 0; i < 2; i++)
			if (open_[i])
				p[n++] = (struct pollfd){ fds[i], POLLIN, 0 };
		done = exited(pid);
		if (poll(n ? p : NULL, n,
			 done ? 0 : (int)(left < 100 ? left : 100)) < 0 &&
		    errno != EINTR)
			return;
		for (int i = 0; i < 2; i++)
			if (open_[i])
				open_[i] =
					drain(fds[i], i ? &r->err : &r->out,
					      i ? STDERR_MAX : max_output + 1);
		if (r->out.len > max_output) {
			r->too_big = true;
			return;
		}
		if (done)
			return;
	}
}

int gc_kustomize__exec(gc_kustomize__run *r, char *const *argv, const char *dir,
		       unsigned timeout_ms, size_t max_output, gc_error *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, fds[2];
	char **env = child_env();
	pid_t pid;
	int error = 0;

	if (pipe(out) < 0 || pipe(errp) < 0) {
		error = gc_error_set_errno(err, argv[0], "cannot create pipe");
		goto cleanup;
	}
	for (int i = 0; i < 2; i++) {
		fcntl((i ? errp : out)[0], F_SETFD, FD_CLOEXEC);
		fcntl((i ? errp : out)[1], F_SETFD, FD_CLOEXEC);
		fcntl((i ? errp : out)[0], F_SETFL, O_NONBLOCK);
	}
	if ((pid = fork()) < 0) {
		error = gc_error_set_errno(err, argv[0], "cannot fork");
		goto cleanup;
	}
	if (pid == 0)
		child(argv, dir, env, out[1], errp[1]);
	setpgid(pid, pid); /* also here: no race with the kill below */
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	fds[0] = out[0];
	fds[1] = errp[0];
	collect(r, pid, fds, timeout_ms, max_output);
	kill(-pid, SIGKILL); /* the group: what the tool started, too */
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free_env(env);
	return error;
}
