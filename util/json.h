#ifndef GC_UTIL_JSON_H
#define GC_UTIL_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/*
 * Small helpers over cJSON, the in-memory object model of every manifest.
 * Paths are dot-separated object keys ("spec.analysis.interval"); all
 * returned pointers are borrowed from the tree.
 */
const cJSON *gc_json_get(const cJSON *obj, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *gc_json_str(const cJSON *obj, const char *path);
/* The number at path, or def when absent or not a number. */
double gc_json_num(const cJSON *obj, const char *path, double def);
bool gc_json_bool(const cJSON *obj, const char *path, bool def);
/*
 * Adds a string / number member and returns the new item. A string that
 * is not valid UTF-8 (a server's text) is added with U+FFFD for each bad
 * byte, so every JSON gitcanary writes is valid.
 */
cJSON *gc_json_add_str(cJSON *obj, const char *key, const char *value);
cJSON *gc_json_add_num(cJSON *obj, const char *key, double value);
/* Gets or creates an object member. */
cJSON *gc_json_obj(cJSON *obj, const char *key);
/*
 * cJSON_Print with DEL, C1 controls and U+2028/U+2029 escaped as \\uXXXX,
 * for notes; owned (free()).
 */
char *gc_json_print(const cJSON *item);
/* Deep copy that aborts on out-of-memory; NULL in, NULL out. */
cJSON *gc_json_dup(const cJSON *item);
/* What a node is, for messages: "a mapping", "a list", "a string", ... */
const char *gc_json_type_name(const cJSON *n);

#endif
