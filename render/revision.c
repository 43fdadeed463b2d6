#include "revision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static void add_string(gc_buf *out, const char *s)
{
	gc_buf_addch(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			gc_buf_addf(out, "\\%c", c);
		else if (c < 0x20)
			gc_buf_addf(out, "\\u%04x", c);
		else
			gc_buf_addch(out, (char)c);
	}
	gc_buf_addch(out, '"');
}

void gc_revision_canonical(gc_buf *out, const cJSON *node)
{
	size_t n = 0, i = 0;
	const cJSON **members;

	if (cJSON_IsObject(node)) {
		for (const cJSON *m = node->child; m; m = m->next)
			n++;
		members = gc_xcalloc(n, sizeof(*members));
		for (const cJSON *m = node->child; m; m = m->next)
			members[i++] = m;
		qsort(members, n, sizeof(*members), cmp_keys);
		gc_buf_addch(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				gc_buf_addch(out, ',');
			add_string(out, members[i]->string);
			gc_buf_addch(out, ':');
			gc_revision_canonical(out, members[i]);
		}
		gc_buf_addch(out, '}');
		free(members);
	} else if (cJSON_IsArray(node)) {
		gc_buf_addch(out, '[');
		for (const cJSON *m = node->child; m; m = m->next) {
			if (m != node->child)
				gc_buf_addch(out, ',');
			gc_revision_canonical(out, m);
		}
		gc_buf_addch(out, ']');
	} else if (cJSON_IsString(node)) {
		add_string(out, node->valuestring);
	} else if (cJSON_IsNumber(node)) {
		double d = node->valuedouble;

		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			gc_buf_addf(out, "%lld", (long long)d);
		else
			gc_buf_addf(out, "%.17g", d);
	} else if (cJSON_IsBool(node)) {
		gc_buf_adds(out, cJSON_IsTrue(node) ? "true" : "false");
	} else {
		gc_buf_adds(out, "null");
	}
}

/* Maps the decimal digits of n through the SafeEncodeString alphabet. */
static void revision_encode(char out[GC_REVISION_MAX], unsigned long n)
{
	static const char alphabet[] = "456789bcdf";
	char dec[GC_REVISION_MAX];
	size_t i;

	snprintf(dec, sizeof(dec), "%lu", n);
	for (i = 0; dec[i]; i++)
		out[i] = alphabet[dec[i] - '0'];
	out[i] = '\0';
}

/* ---- API server defaults (docs/render.md, "Revisions") ---- */

/* Deletes obj.key when it holds the string value. */
static void drop_str(cJSON *obj, const char *key, const char *value)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(v) && !strcmp(v->valuestring, value))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

static void drop_num(cJSON *obj, const char *key, double value)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsNumber(v) && v->valuedouble == value)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

/* Deletes obj.key when it is an empty mapping (or null). */
static void drop_empty(cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsNull(v) || (cJSON_IsObject(v) && !v->child))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

static cJSON *member(cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key)
				   : NULL;
}

/* The first item of list obj.key, or NULL. */
static cJSON *first(cJSON *obj, const char *key)
{
	cJSON *list = member(obj, key);

	return cJSON_IsArray(list) ? list->child : NULL;
}

/* SetDefaults_Container: Always for ":latest" or no tag, else IfNotPresent. */
static const char *default_pull_policy(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');

	if (strchr(image, '@'))
		return "IfNotPresent";
	if (!colon || !strcmp(colon + 1, "latest"))
		return "Always";
	return "IfNotPresent";
}

static void probe_defaults(cJSON *probe)
{
	cJSON *http = member(probe, "httpGet");

	drop_num(probe, "timeoutSeconds", 1);
	drop_num(probe, "periodSeconds", 10);
	drop_num(probe, "successThreshold", 1);
	drop_num(probe, "failureThreshold", 3);
	drop_str(http, "scheme", "HTTP");
	drop_str(http, "path", "/");
}

static void container_defaults(cJSON *c)
{
	static const char *const probes[] = { "livenessProbe", "readinessProbe",
					      "startupProbe" };
	const cJSON *img = member(c, "image");
	const char *image =
		cJSON_IsString(img) && img->valuestring ? img->valuestring : "";
	cJSON *m;

	drop_str(c, "terminationMessagePath", "/dev/termination-log");
	drop_str(c, "terminationMessagePolicy", "File");
	drop_str(c, "imagePullPolicy", default_pull_policy(image));
	drop_empty(c, "resources");
	for (m = first(c, "ports"); m; m = m->next)
		drop_str(m, "protocol", "TCP");
	for (size_t i = 0; i < GC_ARRAY_SIZE(probes); i++)
		probe_defaults(member(c, probes[i]));
	for (m = first(c, "env"); m; m = m->next)
		drop_str(member(member(m, "valueFrom"), "fieldRef"),
			 "apiVersion", "v1");
}

/*
 * Removes from a pod template the values the API server would fill in
 * when they are absent, so a template written with them and one written
 * without have the same revision (Flagger hashes the object it reads back,
 * defaults applied).
 */
static void strip_defaults(cJSON *template)
{
	static const char *const lists[] = { "containers", "initContainers" };
	static const char *const sources[] = { "secret", "configMap",
					       "downwardAPI", "projected" };
	cJSON *spec = member(template, "spec"), *m;

	drop_empty(member(template, "metadata"), "creationTimestamp");
	drop_str(spec, "restartPolicy", "Always");
	drop_str(spec, "dnsPolicy", "ClusterFirst");
	drop_str(spec, "schedulerName", "default-scheduler");
	drop_num(spec, "terminationGracePeriodSeconds", 30);
	drop_empty(spec, "securityContext");
	for (size_t i = 0; i < GC_ARRAY_SIZE(lists); i++)
		for (m = first(spec, lists[i]); m; m = m->next)
			container_defaults(m);
	for (m = first(spec, "volumes"); m; m = m->next)
		for (size_t i = 0; i < GC_ARRAY_SIZE(sources); i++)
			drop_num(member(m, sources[i]), "defaultMode", 420);
}

void gc_revision_hash(char out[GC_REVISION_MAX], const cJSON *template)
{
	gc_buf canon = GC_BUF_INIT;
	cJSON *copy = template ? cJSON_Duplicate(template, 1) : NULL;

	if (template && !copy)
		GC_BUG("cJSON allocation failed");
	strip_defaults(copy);
	gc_revision_canonical(&canon, copy);
	cJSON_Delete(copy);
	revision_encode(out,
			gc_hash_fnv1a32(GC_FNV32_INIT, canon.ptr, canon.len));
	gc_buf_release(&canon);
}
