#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "harness.h"
#include "httpd.h"
#include "prometheus.h"
#include "util/alloc.h"
#include "util/json.h"

/*
 * gitcanary run as a service (docs/operations.md): the real binary with
 * --listen 127.0.0.1:0 against a bare remote made from examples/podinfo,
 * asked over loopback HTTP as a kubelet and a forge would ask it. --poll
 * 1h, so only pushes make ticks after the first; a tick is seen as a
 * deploy commit, and counted by its "-v" log line "tick (push)".
 */

#define GIT "git -c user.name=Dev -c user.email=dev@example.com"
#define S_GITHUB "gh-Sec-1"
#define S_GITLAB "gl-Sec-2"
#define S_GITEA "gt-Sec-3"
#define S_GENERIC "gn-Sec-4"

typedef struct env {
	char *dir;
	gc_buf out, err;
	unsigned short port;
	gc_httpd *hooks; /* the canary's webhooks (SIGTERM test only) */
} env;

static void sh_ok(env *e, const char *fmt, ...) GC_PRINTF(2, 3);

static void sh_ok(env *e, const char *fmt, ...)
{
	gc_buf cmd = GC_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	gc_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	rc = gc_test_sh(&e->out, &e->err, "cd '%s' && { %s; }", e->dir,
			cmd.ptr);
	ck_assert_msg(rc == 0, "%s: exit %d\n%s%s", cmd.ptr, rc, e->out.ptr,
		      e->err.ptr);
	gc_buf_release(&cmd);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* remote.git and its clone src/ with examples/<canary>, plus secrets. */
static void env_setup(env *e, const char *canary_sed)
{
	char *cmd;

	memset(e, 0, sizeof(*e));
	gc_buf_init(&e->out);
	gc_buf_init(&e->err);
	e->dir = gc_test_tmpdir();
	cmd = gc_xasprintf("git init -q --bare -b main remote.git && "
			   "git clone -q remote.git src 2>/dev/null && "
			   "cp -r '%s/examples/podinfo/.' src/ && %s && "
			   "cd src && git add . && " GIT
			   " commit -qm podinfo && "
			   "git push -q origin main && cd .. && "
			   "printf '# one per forge\\ngithub: " S_GITHUB
			   "\\ngitlab: " S_GITLAB "\\ngitea: " S_GITEA
			   "\\ngeneric: " S_GENERIC "\\n' >secrets",
			   gc_test_source_dir,
			   canary_sed ? canary_sed : "true");
	sh_ok(e, "%s", cmd);
	free(cmd);
}

static void env_free(env *e)
{
	gc_test_sh(NULL, NULL,
		   "cd '%s' && [ -f gc.pid ] && kill -9 $(cat gc.pid) "
		   "2>/dev/null; true",
		   e->dir);
	if (e->hooks)
		gc_httpd_stop(e->hooks);
	gc_test_rmrf(e->dir);
	free(e->dir);
	gc_buf_release(&e->out);
	gc_buf_release(&e->err);
}

/*
 * Starts `gitcanary run -v --listen 127.0.0.1:0 --poll 1h <flags>` (its
 * exit status goes to gc.rc) and waits for "watching"; reads the port.
 */
static void daemon_start(env *e, const char *flags)
{
	char *cmd = gc_xasprintf(
		"sh -c \"'%s' run -v --repo remote.git --assume-ready "
		"--min-interval 1s --listen 127.0.0.1:0 --poll 1h %s "
		">gc.log 2>&1 </dev/null & echo \\$! >gc.pid; wait \\$!; "
		"echo \\$? >gc.rc\" >/dev/null 2>&1 & "
		"for i in $(seq 200); do grep -q ' watching ' gc.log "
		"2>/dev/null && break; sleep 0.05; done; "
		"sed -n 's/.* info listening on 127.0.0.1:\\([0-9]*\\)$/\\1/p' "
		"gc.log",
		gc_test_binary, flags);

	sh_ok(e, "%s", cmd);
	free(cmd);
	e->port = (unsigned short)atoi(e->out.ptr);
	ck_assert_msg(e->port > 0, "no port in the log");
}

/* SIGTERM, then the exit status once it is gone. */
static int daemon_term(env *e)
{
	sh_ok(e,
	      "kill -TERM $(cat gc.pid) && for i in $(seq 600); do "
	      "[ -f gc.rc ] && break; sleep 0.05; done; cat gc.rc%s",
	      "");
	return atoi(e->out.ptr);
}

/* How many lines of gc.log match the grep pattern. */
static int log_count(env *e, const char *pattern)
{
	sh_ok(e, "grep -c -- '%s' gc.log || true", pattern);
	return atoi(e->out.ptr);
}

typedef struct reply {
	long status;
	gc_buf body;
	char type[128];
	char allow[64];
} reply;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	gc_buf_add(ud, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	reply *r = ud;
	size_t len = size * n;

	if (len > 14 && !strncasecmp(p, "Content-Type: ", 14))
		snprintf(r->type, sizeof(r->type), "%.*s", (int)(len - 16),
			 p + 14);
	if (len > 7 && !strncasecmp(p, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 9),
			 p + 7);
	return len;
}

/* A request to the daemon; headers is a NULL-ended list. */
static void request(reply *r, env *e, const char *method, const char *path,
		    const char *const *headers, const char *body, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char *url = gc_xasprintf("http://127.0.0.1:%u%s", e->port, path);
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	gc_buf_init(&r->body);
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
		      curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
}

static void get(reply *r, env *e, const char *path)
{
	request(r, e, "GET", path, NULL, NULL, 0);
}

static void assert_reply(reply *r, long status, const char *body)
{
	ck_assert_int_eq(r->status, status);
	ck_assert_str_eq(r->body.ptr, body);
	gc_buf_release(&r->body);
}

/* "sha256=<hex>" of HMAC-SHA256(key, body), as GitHub signs. */
static void sign(char *out, const char *prefix, const char *key,
		 const char *body, size_t len)
{
	unsigned char m[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t at = (size_t)sprintf(out, "%s", prefix);

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body,
	     len, m, &n);
	for (unsigned i = 0; i < n; i++)
		at += (size_t)sprintf(out + at, "%02x", m[i]);
}

/* A push request of forge for ref, signed with key (NULL = unsigned). */
static void push_hook(reply *r, env *e, const char *forge, const char *ref,
		      const char *key)
{
	char body[200], sig[200], hsig[300], hev[100], path[64];
	const char *headers[3] = { NULL };
	size_t n = 0;

	snprintf(body, sizeof(body),
		 "{\"ref\":\"%s\",\"after\":\"0123\",\"repository\":{}}", ref);
	if (!strcmp(forge, "github")) {
		sign(sig, "sha256=", key ? key : "", body, strlen(body));
		snprintf(hsig, sizeof(hsig), "X-Hub-Signature-256: %s", sig);
		snprintf(hev, sizeof(hev), "X-GitHub-Event: push");
	} else if (!strcmp(forge, "gitlab")) {
		snprintf(hsig, sizeof(hsig), "X-Gitlab-Token: %s",
			 key ? key : "");
		snprintf(hev, sizeof(hev), "X-Gitlab-Event: Push Hook");
	} else if (!strcmp(forge, "gitea")) {
		sign(sig, "", key ? key : "", body, strlen(body));
		snprintf(hsig, sizeof(hsig), "X-Gitea-Signature: %s", sig);
		snprintf(hev, sizeof(hev), "X-Gitea-Event: push");
	} else {
		sign(sig, "sha256=", key ? key : "", body, strlen(body));
		snprintf(hsig, sizeof(hsig), "X-Signature: %s", sig);
		hev[0] = '\0';
	}
	if (key)
		headers[n++] = hsig;
	if (*hev)
		headers[n++] = hev;
	snprintf(path, sizeof(path), "/hooks/%s", forge);
	request(r, e, "POST", path, headers, body, strlen(body));
}

/* Waits up to max_s for GET path to answer status; its body. */
static void wait_status(reply *r, env *e, const char *path, long status,
			int max_s)
{
	for (int i = 0; i < max_s * 20; i++) {
		get(r, e, path);
		if (r->status == status)
			return;
		gc_buf_release(&r->body);
		nap_ms(50);
	}
	ck_abort_msg("%s never answered %ld", path, status);
}

/* Adds a ConfigMap `name` to the source and pushes it (no webhook). */
static void push_configmap(env *e, const char *name)
{
	sh_ok(e,
	      "cd src && n=%s && printf 'apiVersion: v1\\nkind: ConfigMap\\n"
	      "metadata:\\n  name: %%s\\n  namespace: test\\n"
	      "data:\\n  k: v\\n' $n >$n.yaml && git add $n.yaml && " GIT
	      " commit -qm $n && git push -q origin main",
	      name);
}

/* Whether the deploy branch has the ConfigMap `name`. */
static bool deployed(env *e, const char *name)
{
	sh_ok(e,
	      "git --git-dir=remote.git ls-tree -r --name-only deploy | "
	      "grep -c 'configmap-%s' || true",
	      name);
	return atoi(e->out.ptr) > 0;
}

static void wait_deployed(env *e, const char *name, int max_s)
{
	for (int i = 0; i < max_s * 20; i++) {
		if (deployed(e, name))
			return;
		nap_ms(50);
	}
	ck_abort_msg("%s not on the deploy branch after %ds", name, max_s);
}

/* ---- probes ---- */

START_TEST(test_service__probes)
{
	env e;
	reply r;
	const char *q[] = { "X-GitHub-Event: push", NULL };

	env_setup(&e, NULL);
	daemon_start(&e, "");
	get(&r, &e, "/healthz");
	ck_assert_str_eq(r.type, "text/plain; charset=utf-8");
	assert_reply(&r, 200, "ok\n");
	wait_status(&r, &e, "/readyz", 200, 20);
	assert_reply(&r, 200, "ok\n");
	get(&r, &e, "/healthz?verbose=1");
	assert_reply(&r, 200, "ok\n");
	/* the registry of reconciler/service/metrics.c */
	get(&r, &e, "/metrics");
	ck_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(
		strstr(r.body.ptr,
		       "\nflagger_canary_total{namespace=\"test\"} 1\n"));
	gc_buf_release(&r.body);
	request(&r, &e, "POST", "/healthz", NULL, "x", 1);
	ck_assert_str_eq(r.allow, "GET");
	assert_reply(&r, 405, "method not allowed\n");
	get(&r, &e, "/nope");
	assert_reply(&r, 404, "not found\n");
	/* without --webhook-secret-file the receivers are off */
	request(&r, &e, "POST", "/hooks/github", q, "{}", 2);
	assert_reply(&r, 404, "not found\n");
	ck_assert_int_eq(
		log_count(&e, " info push receivers off (no "
			      "--webhook-secret-file): /hooks/\\* answer 404$"),
		1);
	ck_assert_int_eq(daemon_term(&e), 0);
	sh_ok(&e, "tail -1 gc.log | sed 's/^[^ ]* //'%s", "");
	ck_assert_str_eq(e.out.ptr, "info stopping\n");
	env_free(&e);
}
END_TEST

START_TEST(test_service__readyz_follows_the_remote)
{
	env e;
	reply r;

	env_setup(&e, NULL);
	daemon_start(&e, "--webhook-secret-file secrets");
	wait_status(&r, &e, "/readyz", 200, 20);
	gc_buf_release(&r.body);
	sh_ok(&e, "mv remote.git remote.away%s", "");
	push_hook(&r, &e, "github", "refs/heads/main", S_GITHUB);
	assert_reply(&r, 202, "tick queued\n");
	wait_status(&r, &e, "/readyz", 503, 20);
	/* one line: since when, and what the tick said */
	ck_assert_msg(!strncmp(r.body.ptr, "remote unreachable since 20", 27),
		      "%s", r.body.ptr);
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "Z: "));
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "unreachable"));
	ck_assert_ptr_eq(strchr(r.body.ptr, '\n'), r.body.ptr + r.body.len - 1);
	gc_buf_release(&r.body);
	get(&r, &e, "/healthz");
	assert_reply(&r, 200, "ok\n");
	sh_ok(&e, "mv remote.away remote.git%s", "");
	push_hook(&r, &e, "github", "refs/heads/main", S_GITHUB);
	assert_reply(&r, 202, "tick queued\n");
	wait_status(&r, &e, "/readyz", 200, 20);
	assert_reply(&r, 200, "ok\n");
	ck_assert_int_eq(daemon_term(&e), 0);
	env_free(&e);
}
END_TEST

/* ---- receivers ---- */

START_TEST(test_service__signed_pushes_tick)
{
	static const char *const forges[] = { "github", "gitlab", "gitea",
					      "generic" };
	static const char *const keys[] = { S_GITHUB, S_GITLAB, S_GITEA,
					    S_GENERIC };
	env e;
	reply r;

	env_setup(&e, NULL);
	daemon_start(&e, "--webhook-secret-file secrets");
	wait_status(&r, &e, "/readyz", 200, 20);
	gc_buf_release(&r.body);
	ck_assert_int_eq(log_count(&e, " info push receivers on: "
				       "/hooks/github, /hooks/gitlab, "
				       "/hooks/gitea, /hooks/generic "
				       "(source branch main)$"),
			 1);
	for (size_t i = 0; i < GC_ARRAY_SIZE(forges); i++) {
		char name[32];

		snprintf(name, sizeof(name), "cm-%s", forges[i]);
		push_configmap(&e, name);
		if (i == 0) {
			/* --poll 1h: without the webhook nothing moves */
			nap_ms(1500);
			ck_assert(!deployed(&e, name));
		}
		push_hook(&r, &e, forges[i], "refs/heads/main", keys[i]);
		assert_reply(&r, 202, "tick queued\n");
		wait_deployed(&e, name, 10);
	}
	ck_assert_int_eq(log_count(&e, " debug tick (push) committed in "), 4);
	ck_assert_int_eq(daemon_term(&e), 0);
	env_free(&e);
}
END_TEST

/* A body of n bytes, signed for GitHub: the headers into h[0..2]. */
static char *signed_body(char *sig_header, size_t n, const char *fill)
{
	char *body = gc_xmalloc(n + 1), sig[100];

	for (size_t i = 0; i < n; i++)
		body[i] = fill[i % strlen(fill)];
	body[n] = '\0';
	sign(sig, "sha256=", S_GITHUB, body, n);
	sprintf(sig_header, "X-Hub-Signature-256: %s", sig);
	return body;
}

START_TEST(test_service__refused_requests_do_not_tick)
{
	env e;
	reply r;
	char sig[200];
	const char *h[4] = { sig, "X-GitHub-Event: push", NULL, NULL };
	char *body;
	int ticks;

	env_setup(&e, NULL);
	daemon_start(&e, "--webhook-secret-file secrets");
	wait_status(&r, &e, "/readyz", 200, 20);
	gc_buf_release(&r.body);
	ticks = log_count(&e, " debug tick (");
	push_configmap(&e, "cm-quiet");
	push_hook(&r, &e, "github", "refs/heads/main", "guess");
	assert_reply(&r, 401, "wrong signature\n");
	push_hook(&r, &e, "github", "refs/heads/main", NULL);
	assert_reply(&r, 401, "missing signature\n");
	push_hook(&r, &e, "gitlab", "refs/heads/main", S_GITHUB);
	assert_reply(&r, 401, "wrong token\n");
	push_hook(&r, &e, "gitlab", "refs/heads/main", NULL);
	assert_reply(&r, 401, "missing token\n");
	push_hook(&r, &e, "gitea", "refs/heads/main", S_GITLAB);
	assert_reply(&r, 401, "wrong signature\n");
	push_hook(&r, &e, "generic", "refs/heads/main", S_GITEA);
	assert_reply(&r, 401, "wrong signature\n");
	/* authentic, but another branch or a tag */
	push_hook(&r, &e, "github", "refs/heads/dev", S_GITHUB);
	assert_reply(&r, 200, "ignored: not a push to the source branch\n");
	push_hook(&r, &e, "gitea", "refs/tags/v1.2.3", S_GITEA);
	assert_reply(&r, 200, "ignored: not a push to the source branch\n");
	/* malformed: no event header, JSON that does not parse */
	body = signed_body(sig, 40, "{\"ref\":\"refs/heads/main\"}   ");
	h[1] = NULL;
	request(&r, &e, "POST", "/hooks/github", h, body, 40);
	assert_reply(&r, 400, "missing event header\n");
	free(body);
	h[1] = "X-GitHub-Event: push";
	body = signed_body(sig, 30, "{\"ref\":");
	request(&r, &e, "POST", "/hooks/github", h, body, 30);
	assert_reply(&r, 400, "malformed JSON\n");
	free(body);
	/* over the 1 MiB cap, declared or chunked */
	body = signed_body(sig, 2 * 1024 * 1024,
			   "{\"ref\":\"refs/heads/main\"}");
	request(&r, &e, "POST", "/hooks/github", h, body, 2 * 1024 * 1024);
	assert_reply(&r, 413, "request body too large\n");
	h[2] = "Transfer-Encoding: chunked";
	request(&r, &e, "POST", "/hooks/github", h, body, 1100 * 1024);
	assert_reply(&r, 413, "request body too large\n");
	free(body);
	get(&r, &e, "/hooks/github");
	ck_assert_str_eq(r.allow, "POST");
	assert_reply(&r, 405, "method not allowed\n");
	/* GitHub's ping when a webhook is created */
	h[1] = "X-GitHub-Event: ping";
	h[2] = NULL;
	body = signed_body(sig, 20, "{\"zen\":\"hi\"}        ");
	request(&r, &e, "POST", "/hooks/github", h, body, 20);
	assert_reply(&r, 200, "pong\n");
	free(body);
	nap_ms(2000);
	ck_assert(!deployed(&e, "cm-quiet"));
	ck_assert_int_eq(log_count(&e, " debug tick ("), ticks);
	ck_assert_int_eq(log_count(&e, " warn github webhook refused (401): "
				       "wrong signature$"),
			 1);
	ck_assert_int_eq(log_count(&e, "Sec-"), 0); /* no secret logged */
	push_hook(&r, &e, "gitlab", "refs/heads/main", S_GITLAB);
	assert_reply(&r, 202, "tick queued\n");
	wait_deployed(&e, "cm-quiet", 10);
	ck_assert_int_eq(daemon_term(&e), 0);
	env_free(&e);
}
END_TEST

/* ---- a burst ---- */

#define BURST 1000
#define PARALLEL 32

typedef struct burst_req {
	CURL *c;
	struct curl_slist *h;
	char sig[200];
	char *body;
	size_t len;
	long want;
	gc_buf got;
} burst_req;

/* Request i of the burst: a tenth valid pushes, the rest a mix. */
static void burst_setup(burst_req *b, env *e, int i)
{
	static const char push[] = "{\"ref\":\"refs/heads/main\"}";
	static const char dev[] = "{\"ref\":\"refs/heads/dev\"}";
	const char *path = "/hooks/github", *key = S_GITHUB, *body = push;
	char url[80], hdr[300];

	memset(b, 0, sizeof(*b));
	gc_buf_init(&b->got);
	b->c = curl_easy_init();
	b->want = 202;
	switch (i % 10) {
	case 1: /* a forged signature */
		key = "guess";
		b->want = 401;
		break;
	case 2: /* malformed */
		body = "{\"ref\":";
		b->want = 400;
		break;
	case 3: /* another branch */
		body = dev;
		b->want = 200;
		break;
	case 4:
		path = "/healthz";
		b->want = 200;
		break;
	case 5:
		path = "/readyz";
		b->want = 200;
		break;
	case 6:
		path = "/hooks/unknown";
		b->want = 404;
		break;
	case 7:
		path = "/hooks/gitlab";
		b->want = 401;
		break;
	case 8: /* oversized, now and then */
		if (i % 100 == 8) {
			b->want = 413;
			b->len = 1024 * 1024 + 1;
		}
		break;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", e->port, path);
	curl_easy_setopt(b->c, CURLOPT_URL, url);
	curl_easy_setopt(b->c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(b->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(b->c, CURLOPT_WRITEDATA, &b->got);
	curl_easy_setopt(b->c, CURLOPT_PRIVATE, b);
	if (!strcmp(path, "/healthz") || !strcmp(path, "/readyz"))
		return;
	if (!b->len)
		b->len = strlen(body);
	b->body = gc_xmalloc(b->len + 1);
	for (size_t k = 0; k < b->len; k++)
		b->body[k] = body[k % strlen(body)];
	sign(b->sig, "sha256=", key, b->body, b->len);
	snprintf(hdr, sizeof(hdr), "X-Hub-Signature-256: %s", b->sig);
	b->h = curl_slist_append(b->h, hdr);
	b->h = curl_slist_append(b->h, "X-GitHub-Event: push");
	b->h = curl_slist_append(b->h, "Expect:");
	curl_easy_setopt(b->c, CURLOPT_HTTPHEADER, b->h);
	curl_easy_setopt(b->c, CURLOPT_POSTFIELDS, b->body);
	curl_easy_setopt(b->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
}

static void burst_check(burst_req *b)
{
	long status = 0;

	curl_easy_getinfo(b->c, CURLINFO_RESPONSE_CODE, &status);
	ck_assert_int_eq(status, b->want);
	curl_slist_free_all(b->h);
	curl_easy_cleanup(b->c);
	free(b->body);
	gc_buf_release(&b->got);
}

START_TEST(test_service__burst)
{
	env e;
	reply r;
	burst_req *reqs = gc_xcalloc(BURST, sizeof(*reqs));
	CURLM *m = curl_multi_init();
	int next = 0, running = 0, done = 0, ticks;
	struct timespec t0, t1;
	double secs;
	CURLMsg *msg;

	env_setup(&e, NULL);
	daemon_start(&e, "--webhook-secret-file secrets");
	wait_status(&r, &e, "/readyz", 200, 20);
	gc_buf_release(&r.body);
	ticks = log_count(&e, " debug tick (push) ");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < BURST) {
		int left;

		while (next < BURST && running < PARALLEL) {
			burst_setup(&reqs[next], &e, next);
			curl_multi_add_handle(m, reqs[next++].c);
			running++;
		}
		curl_multi_perform(m, &left);
		while ((msg = curl_multi_info_read(m, &left))) {
			burst_req *b;

			ck_assert_int_eq(msg->data.result, CURLE_OK);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&b);
			curl_multi_remove_handle(m, b->c);
			burst_check(b);
			running--;
			done++;
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	curl_multi_cleanup(m);
	free(reqs);
	nap_ms(1500);
	/* alive, and 100 accepted pushes were a tick or two per second */
	get(&r, &e, "/healthz");
	assert_reply(&r, 200, "ok\n");
	ticks = log_count(&e, " debug tick (push) ") - ticks;
	ck_assert_msg(ticks >= 1 && ticks <= (int)secs + 3,
		      "%d ticks for a burst of %.2f s", ticks, secs);
	ck_assert_int_eq(daemon_term(&e), 0);
	env_free(&e);
}
END_TEST

/* ---- shutdown ---- */

static int acceptance_calls;

/* /acceptance (the canary's pre-rollout hook) answers after 2 s. */
static void slow_hooks(const gc_httpd_request *req, gc_httpd_response *resp,
		       void *payload)
{
	(void)payload;
	if (!strcmp(req->path, "/acceptance")) {
		__atomic_add_fetch(&acceptance_calls, 1, __ATOMIC_SEQ_CST);
		resp->delay_ms = 2000;
	}
}

START_TEST(test_service__sigterm_finishes_the_tick)
{
	env e;
	reply r;
	char *sed, *url;
	gc_httpd *hooks = gc_httpd_start(slow_hooks, NULL);

	url = gc_httpd_url(hooks, "");
	sed = gc_xasprintf("sed 's|HOOKS|%s|' '%s/tests/fixtures/loop/"
			   "canary.yaml' >src/canary.yaml",
			   url, gc_test_source_dir);
	env_setup(&e, sed);
	e.hooks = hooks;
	daemon_start(&e, "--webhook-secret-file secrets");
	wait_status(&r, &e, "/readyz", 200, 20);
	gc_buf_release(&r.body);
	/* a new revision: scaled up, then the pre-rollout hook next tick */
	sh_ok(&e,
	      "cd src && sed -i 's|podinfo:[0-9.]*$|podinfo:3.1.1|' "
	      "deployment.yaml && " GIT " commit -qam bump && "
	      "git push -q origin main%s",
	      "");
	push_hook(&r, &e, "github", "refs/heads/main", S_GITHUB);
	assert_reply(&r, 202, "tick queued\n");
	for (int i = 0; i < 200 && log_count(&e, "tick (push) committed") < 1;
	     i++)
		nap_ms(50);
	nap_ms(1100); /* the canary is due (interval 1s) */
	push_hook(&r, &e, "github", "refs/heads/main", S_GITHUB);
	assert_reply(&r, 202, "tick queued\n");
	for (int i = 0;
	     i < 200 && !__atomic_load_n(&acceptance_calls, __ATOMIC_SEQ_CST);
	     i++)
		nap_ms(50);
	ck_assert_int_eq(__atomic_load_n(&acceptance_calls, __ATOMIC_SEQ_CST),
			 1);
	/* SIGTERM while the tick waits for the hook */
	ck_assert_int_eq(daemon_term(&e), 0);
	ck_assert_int_eq(log_count(&e, "tick (push) committed"), 2);
	sh_ok(&e,
	      "git --git-dir=remote.git log -1 --format=%%s deploy; "
	      "tail -1 gc.log | sed 's/^[^ ]* //'%s",
	      "");
	ck_assert_str_eq(e.out.ptr, "Advance podinfo.test canary weight 10\n"
				    "info stopping\n");
	free(sed);
	free(url);
	env_free(&e);
}
END_TEST

/* ---- metrics, scraped by a real Prometheus ---- */

static void ok_hooks(const gc_httpd_request *req, gc_httpd_response *resp,
		     void *payload)
{
	(void)req;
	(void)resp;
	(void)payload;
}

/*
 * The values query took from t0 to now (a 100 ms step), each change once:
 * "0 10 20" for a series that went 0, 10, 20.
 */
static char *prom_changes(const char *prom_url, const char *query, double t0)
{
	gc_buf body = GC_BUF_INIT, seen = GC_BUF_INIT;
	unsigned short port = (unsigned short)atoi(strrchr(prom_url, ':') + 1);
	char *path, *last = NULL;
	CURL *c = curl_easy_init();
	char *q = curl_easy_escape(c, query, 0);
	cJSON *root, *values;

	path = gc_xasprintf("/api/v1/query_range?query=%s&start=%.3f&end=%.3f"
			    "&step=0.1",
			    q, t0, (double)time(NULL) + 1);
	ck_assert_int_eq(gc_test_http_get(port, path, &body), 200);
	root = cJSON_Parse(body.ptr);
	values = cJSON_GetArrayItem(gc_json_get(root, "data.result"), 0);
	ck_assert_msg(values != NULL, "%s: no series in %s", query, body.ptr);
	values = cJSON_GetObjectItem(values, "values");
	for (cJSON *v = values ? values->child : NULL; v; v = v->next) {
		const char *val = cJSON_GetArrayItem(v, 1)->valuestring;

		if (last && !strcmp(last, val))
			continue;
		gc_buf_addf(&seen, "%s%s", seen.len ? " " : "", val);
		last = cJSON_GetArrayItem(v, 1)->valuestring;
	}
	cJSON_Delete(root);
	curl_free(q);
	curl_easy_cleanup(c);
	free(path);
	gc_buf_release(&body);
	return gc_buf_detach(&seen, NULL);
}

/*
 * A release as a dashboard sees it: a real Prometheus scrapes /metrics
 * every 100 ms while an image bump goes 10 %, 20 %, ... 50 % and is
 * promoted (the fixture's canary: interval 1s, stepWeight 10, maxWeight
 * 50, no metrics).
 */
START_TEST(test_service__prometheus_scrapes_a_release)
{
	env e;
	reply r;
	char *sed, *url, *got, target[32];
	const char *targets[] = { target, NULL };
	gc_httpd *hooks = gc_httpd_start(ok_hooks, NULL);
	gc_test_prom *prom;
	double t0;

	url = gc_httpd_url(hooks, "");
	sed = gc_xasprintf("sed 's|HOOKS|%s|' '%s/tests/fixtures/loop/"
			   "canary.yaml' >src/canary.yaml",
			   url, gc_test_source_dir);
	env_setup(&e, sed);
	e.hooks = hooks;
	daemon_start(&e, "--poll 100ms");
	snprintf(target, sizeof(target), "127.0.0.1:%u", e.port);
	prom = gc_test_prom_start(targets, "100ms", NULL);
	ck_assert_int_eq(gc_test_prom_wait_query(
				 prom,
				 "flagger_canary_status{name=\"podinfo\","
				 "namespace=\"test\"} == 1",
				 30),
			 0);
	t0 = (double)time(NULL) - 1;
	sh_ok(&e,
	      "cd src && sed -i 's|podinfo:[0-9.]*$|podinfo:3.1.1|' "
	      "deployment.yaml && " GIT " commit -qam bump && "
	      "git push -q origin main%s",
	      "");
	for (int i = 0; i < 600; i++) {
		sh_ok(&e,
		      "git --git-dir=remote.git log -1 --format=%%s deploy%s",
		      "");
		if (strstr(e.out.ptr, "Promotion completed!"))
			break;
		nap_ms(100);
	}
	ck_assert_str_eq(e.out.ptr,
			 "Promotion completed! Scaling down podinfo.test\n");
	nap_ms(1000); /* a few scrapes of the end */
	got = prom_changes(gc_test_prom_url(prom),
			   "flagger_canary_weight{workload=\"podinfo\","
			   "namespace=\"test\"}",
			   t0);
	ck_assert_str_eq(got, "0 10 20 30 40 50 0");
	free(got);
	got = prom_changes(gc_test_prom_url(prom),
			   "flagger_canary_weight{workload=\"podinfo-primary\","
			   "namespace=\"test\"}",
			   t0);
	ck_assert_str_eq(got, "100 90 80 70 60 50 100");
	free(got);
	/* 1 at rest, 0 while progressing, 1 once promoted */
	got = prom_changes(gc_test_prom_url(prom),
			   "flagger_canary_status{name=\"podinfo\","
			   "namespace=\"test\"}",
			   t0);
	ck_assert_str_eq(got, "1 0 1");
	free(got);
	got = prom_changes(gc_test_prom_url(prom),
			   "flagger_canary_total{namespace=\"test\"}", t0);
	ck_assert_str_eq(got, "1");
	free(got);
	get(&r, &e, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "\nflagger_info{"));
	gc_buf_release(&r.body);
	gc_test_prom_stop(prom);
	ck_assert_int_eq(daemon_term(&e), 0);
	free(sed);
	free(url);
	env_free(&e);
}
END_TEST

static Suite *gc_suite_service(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("service");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_service__probes);
	tcase_add_test(tc, test_service__readyz_follows_the_remote);
	tcase_add_test(tc, test_service__signed_pushes_tick);
	tcase_add_test(tc, test_service__refused_requests_do_not_tick);
	tcase_add_test(tc, test_service__burst);
	tcase_add_test(tc, test_service__sigterm_finishes_the_tick);
	tcase_add_test(tc, test_service__prometheus_scrapes_a_release);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_service)
