#ifndef GC_RECONCILER_SERVICE_PROCESS_METRICS_H
#define GC_RECONCILER_SERVICE_PROCESS_METRICS_H

/*
 * The process_* series every Prometheus client library exports, the cheap
 * ones: start time, CPU seconds and resident memory, read from /proc and
 * getrusage at each scrape (the start time once). A series that cannot be
 * read is left out.
 */

#include "util/buf.h"

/* Appends the process_* series (HELP, TYPE, samples) to out. */
void gc_process_metrics_write(gc_buf *out);

#endif
