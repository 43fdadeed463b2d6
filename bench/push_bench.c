/*
 * push_bench: how soon a push reaches the deploy branch, through the GitHub
 * receiver and through polling, and what the HTTP server costs in memory.
 *
 * Set-up: a bare repository with N apps (default 1000; bench_loop.c), and
 * the real `gitcanary run --poll 1s --listen 127.0.0.1:0
 * --webhook-secret-file` on it. Then `pushes` times (default 100 each),
 * alternating: another clone bumps one app's image and pushes; the clock
 * starts when `git push` returns (when a forge would send its webhook)
 * and stops when the deploy branch's ref moves to the commit "New revision
 * detected! Scaling up app-NNNNN.bench". Even rounds POST GitHub's signed
 * push webhook at once ("webhook"); odd rounds send nothing and wait for
 * the 1 s poll ("poll"). Rounds start 1.2 s + a random 0-1 s apart:
 * past the receivers' one tick per second, and at a random phase of the
 * poll (a push tick restarts the poll's wait).
 *
 * Memory: the same daemon with --listen '' and with the server (plus 50
 * probe requests and a webhook ping), three times each, alternating;
 * VmRSS 3 s after the first tick.
 * Usage: push_bench [N [pushes]]
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_loop.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SECRET "bench-secret"
#define MAX_PUSHES 1000

static void sh(char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "push_bench: failed: %s\n", cmd);
		exit(1);
	}
	free(cmd);
}

static void die(const char *what)
{
	fprintf(stderr, "push_bench: %s\n", what);
	exit(1);
}

static void nap_ms(double ms)
{
	struct timespec ts = {
		(time_t)(ms / 1000),
		(long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)
	};

	if (ms > 0)
		nanosleep(&ts, NULL);
}

typedef struct daemon {
	pid_t pid;
	unsigned short port; /* 0 without a server */
	char *log;
} daemon;

/* The first line of path (a ref file), or "" when it cannot be read. */
static void read_ref(char *out, size_t len, const char *path)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f && fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Starts gitcanary run in dir with listen ("" = none); waits for its
 * first tick to end ("tick (start)" in its -v log). */
static void daemon_start(daemon *d, const char *dir, const char *listen)
{
	char *cmd;
	gc_buf log = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	memset(d, 0, sizeof(*d));
	d->log = gc_xasprintf("%s/gc-%ld.log", dir, (long)time(NULL));
	cmd = gc_xasprintf(
		"cd %s && exec '%s' run -v --repo remote.git --source-branch main "
		"--assume-ready --min-interval 1s --poll 1s --listen '%s' %s "
		">%s 2>&1",
		dir, GC_BINARY, listen,
		*listen ? "--webhook-secret-file secrets" : "", d->log);
	if ((d->pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	for (int i = 0; i < 6000; i++) {
		const char *p;

		gc_buf_clear(&log);
		gc_error_clear(&err);
		if (gc_buf_read_file(&log, d->log, 1 << 26, &err) == 0 &&
		    strstr(log.ptr, "tick (start)")) {
			if ((p = strstr(log.ptr, "listening on 127.0.0.1:")))
				d->port = (unsigned short)atoi(p + 23);
			break;
		}
		nap_ms(20);
	}
	gc_buf_release(&log);
	gc_error_release(&err);
	if (*listen && !d->port)
		die("the daemon did not start");
}

static void daemon_stop(daemon *d)
{
	int status;

	kill(d->pid, SIGTERM);
	waitpid(d->pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the daemon did not exit 0");
	unlink(d->log);
	free(d->log);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* POSTs GitHub's push (or ping) for main, signed; the status. */
static long post_hook(CURL *c, unsigned short port, const char *event)
{
	static const char body[] =
		"{\"ref\":\"refs/heads/main\",\"after\":\"0\",\"repository\":{}}";
	unsigned char m[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char url[80], sig[120] = "X-Hub-Signature-256: sha256=", ev[64];
	struct curl_slist *h = NULL;
	long status = 0;

	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	     (const unsigned char *)body, strlen(body), m, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(sig + strlen(sig), "%02x", m[i]);
	snprintf(ev, sizeof(ev), "X-GitHub-Event: %s", event);
	h = curl_slist_append(h, sig);
	h = curl_slist_append(h, ev);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hooks/github", port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) != CURLE_OK)
		die("webhook POST failed");
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_slist_free_all(h);
	return status;
}

static void get_path(CURL *c, unsigned short port, const char *path)
{
	char url[80];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) != CURLE_OK)
		die("GET failed");
}

/* One bump of app, pushed; ms from the push's end to the deploy commit. */
static double one_push(const char *dir, const char *ref_path, int app,
		       int round, CURL *c, unsigned short port)
{
	char before[64], now[64], want[96];
	double t0, t;
	gc_buf subject = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	char *path;

	sh(gc_xasprintf("cd %s/src && sed -i 's/1.0.[0-9]*$/1.0.%d/' "
			"apps/app-%05d.yaml && git -c user.name=b "
			"-c user.email=b@b commit -qam bump",
			dir, round + 1, app));
	read_ref(before, sizeof(before), ref_path);
	sh(gc_xasprintf("cd %s/src && git push -q origin main", dir));
	t0 = gc_bench_now_ms();
	if (c && post_hook(c, port, "push") != 202)
		die("the webhook was not accepted");
	for (;;) {
		read_ref(now, sizeof(now), ref_path);
		if (*now && strcmp(now, before))
			break;
		if (gc_bench_now_ms() - t0 > 30000)
			die("no deploy commit after 30 s");
		nap_ms(0.5);
	}
	t = gc_bench_now_ms() - t0;
	path = gc_xasprintf("%s/subject", dir);
	sh(gc_xasprintf("git --git-dir=%s/remote.git log -1 --format=%%s "
			"deploy >%s",
			dir, path));
	snprintf(want, sizeof(want),
		 "New revision detected! Scaling up app-%05d.bench\n", app);
	if (gc_buf_read_file(&subject, path, 4096, &err) < 0 ||
	    strcmp(subject.ptr, want)) {
		fprintf(stderr, "push_bench: deploy commit '%s', want '%s'\n",
			subject.ptr, want);
		exit(1);
	}
	gc_buf_release(&subject);
	free(path);
	return t;
}

static void report(const char *mode, double *v, size_t n)
{
	size_t p99 = (n * 99 + 99) / 100 - 1; /* nearest rank */

	gc_bench_sort(v, n);
	printf("| %s | %zu | %.1f | %.1f | %.1f | %.1f |\n", mode, n, v[0],
	       v[n / 2], v[p99], v[n - 1]);
}

/* VmRSS of pid, MiB. */
static double rss_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	double kb = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024.0;
}

static void memory(const char *dir, CURL *c)
{
	double without[3], with[3];

	for (int i = 0; i < 3; i++) {
		daemon d;

		daemon_start(&d, dir, "");
		nap_ms(3000);
		without[i] = rss_of(d.pid);
		daemon_stop(&d);
		daemon_start(&d, dir, "127.0.0.1:0");
		for (int k = 0; k < 25; k++) {
			get_path(c, d.port, "/healthz");
			get_path(c, d.port, "/readyz");
		}
		if (post_hook(c, d.port, "ping") != 200)
			die("ping not answered");
		nap_ms(3000);
		with[i] = rss_of(d.pid);
		daemon_stop(&d);
	}
	printf("\n| daemon | VmRSS MiB (3 runs) | median |\n|---|---|---|\n");
	printf("| --listen '' | %.2f, %.2f, %.2f |", without[0], without[1],
	       without[2]);
	gc_bench_sort(without, 3);
	printf(" %.2f |\n", without[1]);
	printf("| --listen 127.0.0.1:0 + receivers | %.2f, %.2f, %.2f |",
	       with[0], with[1], with[2]);
	gc_bench_sort(with, 3);
	printf(" %.2f |\n", with[1]);
	printf("\nserver cost (median difference): %.2f MiB\n",
	       with[1] - without[1]);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	int pushes = argc > 2 ? atoi(argv[2]) : 100;
	char tmpl[] = "/tmp/push_bench.XXXXXX";
	char *dir = mkdtemp(tmpl), *ref_path;
	double *hook, *poll, last = 0;
	size_t nh = 0, np = 0;
	CURL *c;
	daemon d;

	if (!dir || n < 1 || pushes < 1 || pushes > MAX_PUSHES)
		die("usage: push_bench [N [pushes]]");
	srand(13);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	hook = gc_xcalloc((size_t)pushes, sizeof(double));
	poll = gc_xcalloc((size_t)pushes, sizeof(double));
	gc_bench_loop_repo(dir, n, NULL);
	sh(gc_xasprintf("cd %s && git --git-dir=remote.git config "
			"receive.autogc false && git --git-dir=remote.git "
			"config gc.auto 0 && printf 'github: %s\\n' >secrets",
			dir, SECRET));
	ref_path = gc_xasprintf("%s/remote.git/refs/heads/deploy", dir);
	daemon_start(&d, dir, "127.0.0.1:0");
	for (int i = 0; i < 2 * pushes; i++) {
		bool webhook = i % 2 == 0;
		double t;

		/* a random phase against the poll ticks */
		nap_ms(last + 1200 + rand() % 1000 - gc_bench_now_ms());
		last = gc_bench_now_ms();
		t = one_push(dir, ref_path, (i * 7) % n, i, webhook ? c : NULL,
			     d.port);
		if (webhook)
			hook[nh++] = t;
		else
			poll[np++] = t;
	}
	daemon_stop(&d);
	printf("| %d canaries: push to deploy commit | pushes | min ms | p50 ms | p99 ms | max ms |\n",
	       n);
	printf("|---|---|---|---|---|---|\n");
	report("GitHub webhook", hook, nh);
	report("--poll 1s", poll, np);
	fflush(stdout);
	memory(dir, c);
	curl_easy_cleanup(c);
	sh(gc_xasprintf("rm -rf %s", dir));
	free(ref_path);
	free(hook);
	free(poll);
	return 0;
}
