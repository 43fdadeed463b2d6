#include "json.h"
#include "alloc.h"
#include "buf.h"
#include "common.h"
#include "text.h"

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
	gc_buf b = GC_BUF_INIT;
	cJSON *item;

	if (!value || gc_text_valid_utf8(value, strlen(value)))
		return must(cJSON_AddStringToObject(obj, key, value));
	gc_text_utf8(&b, value, strlen(value));
	item = must(cJSON_AddStringToObject(obj, key, b.ptr));
	gc_buf_release(&b);
	return item;
}

/*
 * DEL, the C1 controls and U+2028/U+2029 are valid in a JSON string and
 * cJSON prints them raw; a terminal showing the note would obey a C1 CSI.
 */
static size_t raw_control(const unsigned char *p, unsigned *cp)
{
	if (p[0] == 0x7f) {
		*cp = 0x7f;
		return 1;
	}
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*cp = p[1];
		return 2;
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
		*cp = p[2] == 0xa8 ? 0x2028 : 0x2029;
		return 3;
	}
	return 0;
}

char *gc_json_print(const cJSON *item)
{
	char *text = cJSON_Print(item);
	gc_buf b = GC_BUF_INIT;
	const char *start;
	unsigned cp;

	GC_ASSERT(text);
	start = text;
	for (const char *p = text; *p;) {
		size_t n = raw_control((const unsigned char *)p, &cp);

		if (!n) {
			p++;
			continue;
		}
		gc_buf_add(&b, start, (size_t)(p - start));
		gc_buf_addf(&b, "\\u%04x", cp);
		p += n;
		start = p;
	}
	gc_buf_adds(&b, start);
	cJSON_free(text);
	return gc_buf_detach(&b, NULL);
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
