#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

/*
 * The HTTP API of flagger-loadtester (pkg/loadtester/server.go), with the
 * same status codes and bodies. Tasks are simulated: a command is logged,
 * never executed.
 */

static int reply(int *status, gc_buf *resp, int code, const char *body)
{
	*status = code;
	gc_buf_adds(resp, body);
	return 0;
}

static bool is_str_or_null(const cJSON *item)
{
	return !item || cJSON_IsString(item) || cJSON_IsNull(item);
}

/* Decodes the webhook payload as Go's json.Unmarshal would accept it. */
static cJSON *decode(const char *body, size_t len)
{
	static const char *const strs[] = { "name", "namespace", "phase",
					    "checksum" };
	cJSON *p = cJSON_ParseWithLength(body, len);
	const cJSON *md, *kv;

	if (!p)
		return NULL;
	if (cJSON_IsNull(p)) {
		cJSON_Delete(p);
		return cJSON_CreateObject();
	}
	if (!cJSON_IsObject(p))
		goto bad;
	for (size_t i = 0; i < GC_ARRAY_SIZE(strs); i++)
		if (!is_str_or_null(cJSON_GetObjectItem(p, strs[i])))
			goto bad;
	md = cJSON_GetObjectItem(p, "metadata");
	if (md && !cJSON_IsNull(md) && !cJSON_IsObject(md))
		goto bad;
	cJSON_ArrayForEach (kv, md) {
		if (!is_str_or_null(kv))
			goto bad;
	}
	return p;
bad:
	cJSON_Delete(p);
	return NULL;
}

static const char *field(const cJSON *p, const char *key)
{
	const char *s = gc_json_str(p, key);

	return s ? s : "";
}

/* Go's time.ParseDuration for the units hey takes: "1m", "30s", "1m30s",
 * "500ms". */
static double go_duration(const char *s)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 } };
	double total = 0.0;

	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t i;

		if (end == s)
			return -1.0;
		for (i = 0; i < GC_ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);

			if (!strncmp(end, units[i].unit, n) &&
			    (end[n] < 'a' || end[n] > 'z'))
				break;
		}
		if (i == GC_ARRAY_SIZE(units))
			return -1.0;
		total += v * units[i].scale;
		s = end + strlen(units[i].unit);
	}
	return total;
}

/* The value after flag `flag` in cmd ("-z 1m"), or NULL; owned. */
static char *flag_value(const char *cmd, const char *flag)
{
	size_t n = strlen(flag);
	const char *s = cmd;

	while ((s = strstr(s, flag))) {
		if ((s == cmd || s[-1] == ' ') && s[n] == ' ') {
			const char *v = s + n + 1, *e = v;

			while (*e && *e != ' ' && *e != ';' && *e != '&')
				e++;
			return gc_xstrndup(v, (size_t)(e - v));
		}
		s += n;
	}
	return NULL;
}

static double flag_num(const char *cmd, const char *flag, double def)
{
	char *v = flag_value(cmd, flag);
	double d = v ? strtod(v, NULL) : def;

	free(v);
	return d > 0.0 ? d : def;
}

/*
 * `hey [-z DUR] [-q QPS] [-c N] [-n N] http://HOST[:PORT]/...` becomes
 * simulated traffic to HOST (like the real load tester running hey), so
 * the canary has requests to measure when the routing sends it none.
 */
static void simulate_hey(gc_sim_loadtester *lt, const cJSON *p, const char *cmd)
{
	const char *url = strstr(cmd, "://"), *e;
	char *host, *key, *z;
	double rps, secs;

	if (!lt->cluster || !url || strncmp(cmd, "hey ", 4))
		return;
	url += 3;
	for (e = url; *e && !strchr(":/ '\"", *e); e++)
		;
	host = gc_xstrndup(url, (size_t)(e - url));
	z = flag_value(cmd, "-z");
	pthread_mutex_lock(lt->mu);
	rps = flag_num(cmd, "-q", 0.0) * flag_num(cmd, "-c", 50.0);
	if (rps <= 0.0)
		rps = lt->cluster->rps;
	secs = z ? go_duration(z) : flag_num(cmd, "-n", 200.0) / rps;
	key = gc_xasprintf("%s.%s %s", field(p, "name"), field(p, "namespace"),
			   cmd);
	if (secs > 0.0 && host[0])
		gc_sim_traffic_generate(lt->cluster, key, field(p, "namespace"),
					host, rps, secs);
	pthread_mutex_unlock(lt->mu);
	gc_info("loadtester: simulating hey: %g requests/s to %s for %gs", rps,
		host, secs);
	free(key);
	free(z);
	free(host);
}

static int task(gc_sim_loadtester *lt, const cJSON *p, int *status,
		gc_buf *resp)
{
	const cJSON *md = cJSON_GetObjectItem(p, "metadata");
	const char *type;

	if (!cJSON_IsObject(md) || !md->child)
		return reply(status, resp, 400,
			     "metadata not found in payload");
	type = gc_json_str(md, "type");
	if (!type)
		type = "cmd";
	gc_info("loadtester: %s task for %s.%s simulated (not executed)", type,
		field(p, "name"), field(p, "namespace"));
	if (!strcmp(type, "cmd") && gc_json_str(md, "cmd"))
		simulate_hey(lt, p, gc_json_str(md, "cmd"));
	if (!strcmp(type, "cmd") || !strcmp(type, "ngrinder"))
		return reply(status, resp, 202, "");
	if (!strcmp(type, "bash") || !strcmp(type, "helm") ||
	    !strcmp(type, "helmv3") || !strcmp(type, "kubectl") ||
	    !strcmp(type, "concord"))
		return reply(status, resp, 200, "");
	/* flagger-loadtester panics here: the connection is dropped. */
	gc_warn("loadtester: unknown task type '%s', dropping the connection",
		type);
	return -1;
}

/* /gate/{check,open,close} and /rollback/{...}: key is "[rollback.]name.ns". */
static int gate(gc_sim_loadtester *lt, const char *prefix, const char *verb,
		const cJSON *p, int *status, gc_buf *resp)
{
	char *key = gc_xasprintf("%s%s.%s", prefix, field(p, "name"),
				 field(p, "namespace"));
	int rc;

	if (!strcmp(verb, "check")) {
		rc = gc_map_gets(&lt->gates, key)
			     ? reply(status, resp, 200, "Approved")
			     : reply(status, resp, 403, "Forbidden");
	} else {
		bool open = !strcmp(verb, "open");

		gc_map_sets(&lt->gates, key, open ? (void *)lt : NULL);
		gc_info("loadtester: gate %s %s", key,
			open ? "opened" : "closed");
		rc = reply(status, resp, 202, "");
	}
	free(key);
	return rc;
}

int gc_sim_loadtester_handle(const char *method, const char *url,
			     const char *body, size_t len, int *status,
			     gc_buf *resp, const char **content_type,
			     void *payload)
{
	static const char *const verbs[] = { "check", "open", "close" };
	gc_sim_loadtester *lt = payload;
	const char *prefix = NULL, *verb = NULL;
	cJSON *p;
	int rc;

	(void)method;
	*content_type = "text/plain; charset=utf-8";
	if (!strcmp(url, "/healthz") || !strcmp(url, "/gate/approve"))
		return reply(status, resp, 200, "OK");
	if (!strcmp(url, "/gate/halt"))
		return reply(status, resp, 403, "Forbidden");
	if (!strncmp(url, "/alerts/", 8))
		return gc_sim_alert_sink(url + 8, body, len, status, resp);
	for (size_t i = 0; i < GC_ARRAY_SIZE(verbs); i++) {
		char *g = gc_xasprintf("/gate/%s", verbs[i]);
		char *r = gc_xasprintf("/rollback/%s", verbs[i]);

		if (!strcmp(url, g) || !strcmp(url, r)) {
			prefix = !strcmp(url, g) ? "" : "rollback.";
			verb = verbs[i];
		}
		free(g);
		free(r);
	}
	if (!(p = decode(body, len)))
		return reply(status, resp, 400, "");
	rc = verb ? gate(lt, prefix, verb, p, status, resp)
		  : task(lt, p, status, resp);
	cJSON_Delete(p);
	return rc;
}

void gc_sim_loadtester_release(gc_sim_loadtester *lt)
{
	gc_map_release(&lt->gates);
}
