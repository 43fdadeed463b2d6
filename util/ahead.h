/*
 * Work done ahead on a second core, in order: a caller hands jobs over
 * one by one; a thread of its own does each job's work, and so does the
 * caller whenever the jobs in flight reach a bound (the caller is then
 * ahead, and both cores work); each job's end comes back on the caller's
 * thread, in the order the jobs were handed over. A load parses its files
 * this way, and render emits its canaries.
 */
#ifndef GC_AHEAD_H
#define GC_AHEAD_H

typedef struct gc_ahead gc_ahead;

/* A job's work, on either thread; it touches nothing but the job. */
typedef void (*gc_ahead_work_cb)(void *job, void *payload);
/* A job's end, on the caller's thread, in order; it frees the job. */
typedef void (*gc_ahead_done_cb)(void *job, void *payload);

/* Starts one; without a thread (none could be made) work is done inline. */
gc_ahead *gc_ahead_new(gc_ahead_work_cb work, gc_ahead_done_cb done,
		       void *payload);
/*
 * Hands a job over. Before it returns, ends (done) the jobs handed over
 * earlier whose work is done by then, in order; at most GC_AHEAD_JOBS
 * are in flight after it.
 */
void gc_ahead_put(gc_ahead *a, void *job);
/* Does the work left, ends every job still due, and frees a. */
void gc_ahead_end(gc_ahead *a);

#define GC_AHEAD_JOBS 64

#endif
