/*
 * Parsing a load's files on two cores (parse_ahead.h). The files handed
 * over wait in a ring, in order; the thread parses the oldest one nobody
 * has taken, and so does the walk itself when the ring is full (reading a
 * file costs less than parsing it, so the walk is ahead most of the time
 * and both cores parse). Parsed files leave the ring from its head only,
 * on the walk's thread, so the callback sees them in the walk's order and
 * the index is built exactly as by a load on one thread.
 *
 * A job's bytes, documents and problems belong to whoever took it until
 * it is marked parsed; the ring's counters belong to the mutex.
 */
#include "parse_ahead.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Files in flight: enough for the walk to stay ahead of the parsing. */
#define AHEAD_JOBS 64

typedef struct job {
	char *path;
	gc_buf data;
	gc_doclist docs;
	gc_problems problems;
	bool parsed;
} job;

struct gc_ahead {
	gc_ahead_cb cb;
	void *payload;
	pthread_t thread;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t work;   /* a file to parse, or the end */
	pthread_cond_t parsed; /* a file parsed */
	/* counts of files: called back < taken for parsing <= handed over */
	size_t head, taken, put;
	bool done;
	job v[AHEAD_JOBS];
};

static job *at(gc_ahead *a, size_t seq)
{
	return &a->v[seq % AHEAD_JOBS];
}

static void parse(job *j)
{
	gc_index__parse(j->path, j->data.ptr ? j->data.ptr : "", j->data.len,
			&j->docs, &j->problems);
	gc_buf_release(&j->data);
}

/* Takes the oldest file nobody took and parses it; with a->mu held. */
static void parse_next(gc_ahead *a)
{
	job *j = at(a, a->taken++);

	pthread_mutex_unlock(&a->mu);
	parse(j);
	pthread_mutex_lock(&a->mu);
	j->parsed = true;
	pthread_cond_signal(&a->parsed);
}

/* Calls back for the parsed files at the head, in order; with a->mu held. */
static void deliver(gc_ahead *a)
{
	while (a->head < a->put && at(a, a->head)->parsed) {
		job *j = at(a, a->head);

		pthread_mutex_unlock(&a->mu);
		a->cb(j->path, &j->docs, &j->problems, a->payload);
		gc_doclist_release(&j->docs);
		gc_problems_release(&j->problems);
		free(j->path);
		memset(j, 0, sizeof(*j));
		pthread_mutex_lock(&a->mu);
		a->head++;
	}
}

static void *ahead_main(void *payload)
{
	gc_ahead *a = payload;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->taken == a->put && !a->done)
			pthread_cond_wait(&a->work, &a->mu);
		if (a->taken == a->put)
			break;
		parse_next(a);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

gc_ahead *gc_ahead_new(gc_ahead_cb cb, void *payload)
{
	gc_ahead *a = gc_xcalloc(1, sizeof(*a));

	a->cb = cb;
	a->payload = payload;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->parsed, NULL);
	a->threaded = pthread_create(&a->thread, NULL, ahead_main, a) == 0;
	return a;
}

/*
 * Waits, parsing when there is a file to take, until the head file is
 * parsed, and calls back for what is; with a->mu held.
 */
static void advance(gc_ahead *a)
{
	if (!at(a, a->head)->parsed) {
		if (a->taken < a->put)
			parse_next(a);
		else /* the thread has it */
			pthread_cond_wait(&a->parsed, &a->mu);
	}
	deliver(a);
}

void gc_ahead_put(gc_ahead *a, const char *path, const char *data, size_t len)
{
	job *j;

	pthread_mutex_lock(&a->mu);
	while (a->put - a->head == AHEAD_JOBS)
		advance(a);
	j = at(a, a->put);
	j->path = gc_xstrdup(path);
	gc_buf_add(&j->data, data, len);
	a->put++;
	if (a->threaded)
		pthread_cond_signal(&a->work);
	else
		parse_next(a);
	deliver(a);
	pthread_mutex_unlock(&a->mu);
}

void gc_ahead_end(gc_ahead *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->head < a->put)
		advance(a);
	a->done = true;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	if (a->threaded)
		pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->parsed);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
