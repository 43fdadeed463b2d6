/*
 * Parsing a load's files on two cores: the files a walk hands over are
 * parsed by a thread of the load's own and by the walk itself when it is
 * ahead, and come back parsed in the order they were handed over, on the
 * walk's thread. Internal to the repository model (source.c).
 */
#ifndef GC_PARSE_AHEAD_H
#define GC_PARSE_AHEAD_H

#include <stddef.h>

#include "doc.h"
#include "source.h"

typedef struct gc_ahead gc_ahead;

/*
 * A file parsed (gc_index__parse): its documents and problems, both to be
 * taken over by the callback (what it leaves is released).
 */
typedef void (*gc_ahead_cb)(const char *path, gc_doclist *docs,
			    gc_problems *problems, void *payload);

/* Starts one; without a thread (none could be made) it parses inline. */
gc_ahead *gc_ahead_new(gc_ahead_cb cb, void *payload);
/*
 * Hands a file over (its bytes are copied). Calls back, before it returns,
 * for the files handed over earlier that are parsed by then, in order.
 */
void gc_ahead_put(gc_ahead *a, const char *path, const char *data, size_t len);
/* Parses what is left, calls back for every file still due, frees a. */
void gc_ahead_end(gc_ahead *a);

#endif
