#include "layout.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"
#include "yaml.h"

static void add_lower(gc_buf *out, const char *s)
{
	for (; *s; s++)
		gc_buf_addch(out, (char)tolower((unsigned char)*s));
}

void gc_layout_object_path(gc_buf *out, const char *ns, const char *canary,
			   const char *kind, const char *name)
{
	if (ns && *ns)
		gc_buf_addf(out, "%s/%s/", ns, canary ? canary : "_");
	else
		gc_buf_adds(out, "_cluster/");
	add_lower(out, kind);
	gc_buf_addf(out, "-%s.yaml", name);
}

void gc_layout_status_path(gc_buf *out, const char *ns, const char *name)
{
	gc_buf_addf(out, GC_LAYOUT_STATUS_DIR "/%s/%s.yaml", ns, name);
}

bool gc_layout_is_passthrough(const char *path)
{
	const char *slash = strchr(path, '/');

	if (!strncmp(path, "_cluster/", 9))
		return true;
	return slash && !strncmp(slash, "/_/", 3);
}

void gc_layout_passthrough_of(gc_buf *out, const char *path)
{
	const char *slash = strchr(path, '/');
	const char *base = strrchr(path, '/');

	if (!slash || !base)
		return;
	gc_buf_add(out, path, (size_t)(slash - path));
	gc_buf_addf(out, "/_%s", base);
}

void gc_layout_canary_dir(gc_buf *out, const char *ns, const char *canary)
{
	gc_buf_addf(out, "%s/%s/", ns, canary);
}

bool gc_layout_object_dir(gc_buf *out, const char *path)
{
	const char *slash = strchr(path, '/');
	const char *second = slash ? strchr(slash + 1, '/') : NULL;

	if (!second)
		return false;
	gc_buf_add(out, path, (size_t)(second - path) + 1);
	return true;
}

bool gc_layout_is_applied(const char *path)
{
	size_t n = strlen(path);

	return strncmp(path, ".gitcanary/", 11) != 0 &&
	       strcmp(path, GC_LAYOUT_KUSTOMIZATION) != 0 && n > 5 &&
	       !strcmp(path + n - 5, ".yaml");
}

bool gc_layout_parse_status_path(const char *path, char **ns, char **name)
{
	const char *p = path, *slash, *dot;
	size_t prefix = strlen(GC_LAYOUT_STATUS_DIR "/");

	if (strncmp(p, GC_LAYOUT_STATUS_DIR "/", prefix) != 0)
		return false;
	p += prefix;
	slash = strchr(p, '/');
	if (!slash || slash == p || strchr(slash + 1, '/'))
		return false;
	dot = strrchr(slash + 1, '.');
	if (!dot || strcmp(dot, ".yaml") != 0 || dot == slash + 1)
		return false;
	*ns = gc_xstrndup(p, (size_t)(slash - p));
	*name = gc_xstrndup(slash + 1, (size_t)(dot - slash - 1));
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void gc_layout_kustomization(gc_buf *out, const char **paths, size_t n)
{
	cJSON *k = cJSON_CreateObject(), *res;
	const cJSON *docs[1];

	qsort(paths, n, sizeof(*paths), cmp_str);
	gc_json_add_str(k, "apiVersion", "kustomize.config.k8s.io/v1beta1");
	gc_json_add_str(k, "kind", "Kustomization");
	res = cJSON_AddArrayToObject(k, "resources");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(res, cJSON_CreateString(paths[i]));
	docs[0] = k;
	if (gc_yaml_emit(out, docs, 1, NULL) < 0)
		GC_BUG("emitting kustomization.yaml failed");
	cJSON_Delete(k);
}
