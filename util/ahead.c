/*
 * Work done ahead on a second core, in order (ahead.h). The jobs wait in
 * a ring in the order they came; the thread works on the oldest one nobody
 * took, and so does the caller when the ring is full; jobs leave the ring
 * from its head only, on the caller's thread. A job belongs to whoever
 * took it until it is marked worked; the ring's counters belong to the
 * mutex.
 */
#include "util/ahead.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/alloc.h"

typedef struct slot {
	void *job;
	bool worked;
} slot;

struct gc_ahead {
	gc_ahead_work_cb work;
	gc_ahead_done_cb done;
	void *payload;
	pthread_t thread;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t more;   /* a job to work on, or the end */
	pthread_cond_t worked; /* a job worked */
	/* counts of jobs: ended <= taken for work <= handed over */
	size_t head, taken, put;
	bool ending;
	slot v[GC_AHEAD_JOBS];
};

static slot *at(gc_ahead *a, size_t seq)
{
	return &a->v[seq % GC_AHEAD_JOBS];
}

/* Takes the oldest job nobody took and works on it; with a->mu held. */
static void work_next(gc_ahead *a)
{
	slot *s = at(a, a->taken++);

	pthread_mutex_unlock(&a->mu);
	a->work(s->job, a->payload);
	pthread_mutex_lock(&a->mu);
	s->worked = true;
	pthread_cond_signal(&a->worked);
}

/* Ends the worked jobs at the head, in order; with a->mu held. */
static void end_worked(gc_ahead *a)
{
	while (a->head < a->put && at(a, a->head)->worked) {
		slot *s = at(a, a->head);
		void *job = s->job;

		s->job = NULL;
		s->worked = false;
		a->head++;
		pthread_mutex_unlock(&a->mu);
		a->done(job, a->payload);
		pthread_mutex_lock(&a->mu);
	}
}

/*
 * Ends the head job, working on the oldest job not taken, or waiting for
 * the thread's, until it is worked; with a->mu held.
 */
static void advance(gc_ahead *a)
{
	if (!at(a, a->head)->worked) {
		if (a->taken < a->put)
			work_next(a);
		else /* the thread has it */
			pthread_cond_wait(&a->worked, &a->mu);
	}
	end_worked(a);
}

static void *ahead_main(void *payload)
{
	gc_ahead *a = payload;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->taken == a->put && !a->ending)
			pthread_cond_wait(&a->more, &a->mu);
		if (a->taken == a->put)
			break;
		work_next(a);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

gc_ahead *gc_ahead_new(gc_ahead_work_cb work, gc_ahead_done_cb done,
		       void *payload)
{
	gc_ahead *a = gc_xcalloc(1, sizeof(*a));

	a->work = work;
	a->done = done;
	a->payload = payload;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->more, NULL);
	pthread_cond_init(&a->worked, NULL);
	a->threaded = pthread_create(&a->thread, NULL, ahead_main, a) == 0;
	return a;
}

void gc_ahead_put(gc_ahead *a, void *job)
{
	pthread_mutex_lock(&a->mu);
	while (a->put - a->head == GC_AHEAD_JOBS)
		advance(a);
	at(a, a->put++)->job = job;
	if (a->threaded)
		pthread_cond_signal(&a->more);
	else
		work_next(a);
	end_worked(a);
	pthread_mutex_unlock(&a->mu);
}

void gc_ahead_end(gc_ahead *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->head < a->put)
		advance(a);
	a->ending = true;
	pthread_cond_signal(&a->more);
	pthread_mutex_unlock(&a->mu);
	if (a->threaded)
		pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->more);
	pthread_cond_destroy(&a->worked);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
