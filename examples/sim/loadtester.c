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

static int task(const cJSON *p, int *status, gc_buf *resp)
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
		  : task(p, status, resp);
	cJSON_Delete(p);
	return rc;
}

void gc_sim_loadtester_release(gc_sim_loadtester *lt)
{
	gc_map_release(&lt->gates);
}
