#include "util/common.h"
#include "prometheus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "util/alloc.h"
#include "util/buf.h"

#define PROM_BIN "/usr/bin/prometheus"

struct gc_test_prom {
	pid_t pid;
	unsigned short port;
	char *dir;
	char *url;
	unsigned ntargets;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static unsigned short free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned short port = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int gc_test_http_get(unsigned short port, const char *path, void *out)
{
	gc_buf *body = out, resp = GC_BUF_INIT;
	struct sockaddr_in sa;
	char chunk[16384];
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	ssize_t n;
	char *req, *hdr_end;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto cleanup;
	req = gc_xasprintf("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, strlen(req)) < 0) {
		free(req);
		goto cleanup;
	}
	free(req);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		gc_buf_add(&resp, chunk, (size_t)n);
	if (sscanf(resp.ptr, "HTTP/%*s %d", &status) != 1)
		status = -1;
	hdr_end = strstr(resp.ptr, "\r\n\r\n");
	if (body) {
		gc_buf_clear(body);
		if (hdr_end)
			gc_buf_adds(body, hdr_end + 4);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	gc_buf_release(&resp);
	return status;
}

static void write_config(const char *path, const char *const *targets,
			 const char *interval)
{
	gc_buf cfg = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	gc_buf_addf(
		&cfg,
		"global:\n  scrape_interval: %s\n  evaluation_interval: %s\n"
		"scrape_configs:\n  - job_name: test\n"
		"    scrape_interval: %s\n    scrape_timeout: %s\n"
		"    static_configs:\n      - targets:\n",
		interval, interval, interval, interval);
	for (size_t i = 0; targets && targets[i]; i++)
		gc_buf_addf(&cfg, "          - '%s'\n", targets[i]);
	if (!targets || !targets[0])
		gc_buf_adds(&cfg, "          []\n");
	if (gc_buf_write_file(path, cfg.ptr, cfg.len, &err) < 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, err.msg);
		abort();
	}
	gc_buf_release(&cfg);
}

static pid_t spawn(const char *dir, unsigned short port,
		   const char *const *extra)
{
	char *cfg = gc_xasprintf("--config.file=%s/prometheus.yml", dir);
	char *data = gc_xasprintf("--storage.tsdb.path=%s/data", dir);
	char *listen = gc_xasprintf("--web.listen-address=127.0.0.1:%u", port);
	char *log = gc_xasprintf("%s/prometheus.log", dir);
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	argv[n++] = PROM_BIN;
	argv[n++] = cfg;
	argv[n++] = data;
	argv[n++] = listen;
	argv[n++] = "--log.level=warn";
	argv[n++] = "--storage.tsdb.retention.time=1h";
	for (size_t i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(PROM_BIN, GC_UNCONST(argv));
		_exit(127);
	}
	free(cfg);
	free(data);
	free(listen);
	free(log);
	return pid;
}

static int wait_ready(gc_test_prom *p, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10; i++) {
		int st;

		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = 0;
			return -1;
		}
		if (gc_test_http_get(p->port, "/-/ready", NULL) == 200)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

gc_test_prom *gc_test_prom_start(const char *const *targets,
				 const char *interval,
				 const char *const *extra_args)
{
	gc_test_prom *p = gc_xcalloc(1, sizeof(*p));
	char *cfg;

	p->dir = gc_test_tmpdir();
	cfg = gc_xasprintf("%s/prometheus.yml", p->dir);
	write_config(cfg, targets, interval ? interval : "1s");
	free(cfg);
	for (size_t i = 0; targets && targets[i]; i++)
		p->ntargets++;
	for (int attempt = 0; attempt < 3; attempt++) {
		p->port = free_port();
		p->pid = spawn(p->dir, p->port, extra_args);
		if (p->pid > 0 && wait_ready(p, 30) == 0) {
			p->url = gc_xasprintf("http://127.0.0.1:%u", p->port);
			return p;
		}
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
	}
	fprintf(stderr, "prometheus did not start; see %s/prometheus.log\n",
		p->dir);
	abort();
}

void gc_test_prom_stop(gc_test_prom *p)
{
	if (!p)
		return;
	if (p->pid > 0) {
		int st;

		kill(p->pid, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
				p->pid = 0;
				break;
			}
			sleep_ms(100);
		}
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
	}
	gc_test_rmrf(p->dir);
	free(p->dir);
	free(p->url);
	free(p);
}

const char *gc_test_prom_url(const gc_test_prom *p)
{
	return p->url;
}

static void escape(gc_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			gc_buf_addch(out, (char)c);
		else
			gc_buf_addf(out, "%%%02X", c);
	}
}

/* Number of samples in the result, -1 on errors; last value in *last. */
static int run_query(const gc_test_prom *p, const char *query, double *last)
{
	gc_buf path = GC_BUF_INIT, body = GC_BUF_INIT;
	cJSON *root = NULL, *el;
	int n = -1;

	gc_buf_adds(&path, "/api/v1/query?query=");
	escape(&path, query);
	if (gc_test_http_get(p->port, path.ptr, &body) != 200)
		goto cleanup;
	root = cJSON_Parse(body.ptr);
	n = 0;
	cJSON_ArrayForEach (el, cJSON_GetObjectItem(cJSON_GetObjectItem(root,
									"data"),
						    "result")) {
		cJSON *v =
			cJSON_GetArrayItem(cJSON_GetObjectItem(el, "value"), 1);

		if (cJSON_IsString(v)) {
			*last = strtod(v->valuestring, NULL);
			n++;
		}
	}
cleanup:
	cJSON_Delete(root);
	gc_buf_release(&path);
	gc_buf_release(&body);
	return n;
}

int gc_test_prom_wait_query(const gc_test_prom *p, const char *query,
			    int timeout_s)
{
	for (int i = 0; i < timeout_s * 5; i++) {
		double v = 0;

		if (run_query(p, query, &v) > 0 && v == v)
			return 0;
		sleep_ms(200);
	}
	return -1;
}

int gc_test_prom_wait_scraped(const gc_test_prom *p, int timeout_s)
{
	for (int i = 0; i < timeout_s * 5; i++) {
		double v = 0;

		if (run_query(p, "up == 1", &v) >= (int)p->ntargets)
			return 0;
		sleep_ms(200);
	}
	return -1;
}
