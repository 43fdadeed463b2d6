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
 * A piece of that stream, so that pieces are emitted apart (on two cores,
 * as render does) and joined: the documents of docs as the stream of every
 * piece's documents in order has them. first: no piece with documents
 * comes before this one (else its first document starts with "---", as a
 * stream's later documents do). Appends the piece's bytes to out, and to
 * tail what the stream's end adds when this is the last piece with
 * documents (libyaml's "..." after a block scalar that keeps its trailing
 * line breaks; mostly nothing). The pieces in order, then the last one's
 * tail, are byte for byte gc_yaml_emit of all their documents.
 */
int gc_yaml_emit_part(gc_buf *out, gc_buf *tail, const cJSON *const *docs,
		      size_t n, bool first, gc_error *err);

#endif
