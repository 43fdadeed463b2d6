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

/*
 * The same stream written as it is made, a group of documents at a time,
 * so that a caller can free each group once it is emitted: the bytes are
 * those gc_yaml_emit gives for all the documents together. The emitter
 * hands its buffer to cb when it fills and at gc_yaml_stream_end; cb
 * returns 0 or a negative gc_code with err set, which the stream returns.
 */
typedef int (*gc_yaml_write_cb)(const char *data, size_t len, void *payload,
				gc_error *err);
typedef struct gc_yaml_stream gc_yaml_stream;
gc_yaml_stream *gc_yaml_stream_new(gc_yaml_write_cb cb, void *payload);
int gc_yaml_stream_put(gc_yaml_stream *s, const cJSON *const *docs, size_t n,
		       gc_error *err);
/* Ends the stream and writes what the emitter still holds. */
int gc_yaml_stream_end(gc_yaml_stream *s, gc_error *err);
void gc_yaml_stream_free(gc_yaml_stream *s);

#endif
