#include "json.h"
#include "alloc.h"
#include "common.h"

#include <string.h>

const cJSON *gc_json_get(const cJSON *obj, const char *path)
{
	const char *p = path;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		const cJSON *child = NULL;

		if (!cJSON_IsObject(obj))
			return NULL;
		for (child = obj->child; child; child = child->next)
			if (child->string && strlen(child->string) == n &&
			    !memcmp(child->string, p, n))
				break;
		obj = child;
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

const char *gc_json_str(const cJSON *obj, const char *path)
{
	const cJSON *item = gc_json_get(obj, path);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

double gc_json_num(const cJSON *obj, const char *path, double def)
{
	const cJSON *item = gc_json_get(obj, path);

	return cJSON_IsNumber(item) ? item->valuedouble : def;
}

bool gc_json_bool(const cJSON *obj, const char *path, bool def)
{
	const cJSON *item = gc_json_get(obj, path);

	return cJSON_IsBool(item) ? cJSON_IsTrue(item) : def;
}

static cJSON *must(cJSON *item)
{
	if (!item)
		GC_BUG("cJSON allocation failed");
	return item;
}

cJSON *gc_json_add_str(cJSON *obj, const char *key, const char *value)
{
	return must(cJSON_AddStringToObject(obj, key, value));
}

cJSON *gc_json_add_num(cJSON *obj, const char *key, double value)
{
	return must(cJSON_AddNumberToObject(obj, key, value));
}

cJSON *gc_json_obj(cJSON *obj, const char *key)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsObject(item))
		return item;
	if (item)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	return must(cJSON_AddObjectToObject(obj, key));
}

cJSON *gc_json_dup(const cJSON *item)
{
	return item ? must(cJSON_Duplicate(item, 1)) : NULL;
}

const char *gc_json_type_name(const cJSON *n)
{
	if (cJSON_IsObject(n))
		return "a mapping";
	if (cJSON_IsArray(n))
		return "a list";
	if (cJSON_IsString(n))
		return "a string";
	if (cJSON_IsNumber(n))
		return "a number";
	if (cJSON_IsBool(n))
		return "a boolean";
	return "null";
}
