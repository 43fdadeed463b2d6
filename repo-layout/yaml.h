#ifndef GC_REPO_LAYOUT_YAML_H
#define GC_REPO_LAYOUT_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "doc.h"
#include "util/buf.h"
#include "util/error.h"

/* What one manifest file and one document may take (alias bombs included). */
#define GC_YAML_MAX_FILE_BYTES (8u * 1024 * 1024)
#define GC_YAML_MAX_NODES 250000u
#define GC_YAML_MAX_DEPTH 64u

/*
 * Parses every document of a YAML stream (libyaml) into `out`, appending
 * one gc_doc per non-empty document. Plain scalars resolve as Kubernetes
 * reads them (YAML 1.1: yes/no/on/off are booleans, 0777 is octal). On
 * error nothing is appended and err holds path:line:column.
 */
int gc_yaml_parse(gc_doclist *out, const char *path, const char *data,
		  size_t len, gc_error *err);

/*
 * Emits documents as a YAML stream ("---" between them) with libyaml's
 * emitter: block style, keys in tree order, strings quoted where a plain
 * scalar would read back as another type.
 */
int gc_yaml_emit(gc_buf *out, const cJSON *const *docs, size_t n,
		 gc_error *err);

#endif
