#ifndef GC_RENDER_REVISION_H
#define GC_RENDER_REVISION_H

#include <cjson/cJSON.h>

#include "util/buf.h"

/* Longest revision string plus NUL ("4294967295" mapped digit by digit). */
#define GC_REVISION_MAX 11

/*
 * Flagger's lastAppliedSpec for a pod template (spec.template of the
 * target Deployment): values the API server defaults (imagePullPolicy,
 * terminationMessagePath, port protocol TCP, probe timings, ...; the list
 * is in docs/render.md) are taken out when they equal the default, so
 * writing a default is not a new revision; then FNV-1a-32 over the
 * canonical serialisation, printed
 * in decimal with every digit mapped through k8s SafeEncodeString
 * (0->4 1->5 2->6 3->7 4->8 5->9 6->b 7->c 8->d 9->f).
 */
void gc_revision_hash(char out[GC_REVISION_MAX], const cJSON *template);

/*
 * Canonical serialisation: compact JSON with object keys sorted bytewise and
 * numbers printed as YAML would read them back; the same tree always gives
 * the same bytes, whatever order its keys were written in.
 */
void gc_revision_canonical(gc_buf *out, const cJSON *node);

#endif
