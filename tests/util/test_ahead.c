/*
 * Work done ahead on a second core, in order (util/ahead.c): every job is
 * worked once, on either thread, and ends on the caller's thread in the
 * order it was handed over, with a bounded number in flight; jobs whose
 * work takes very different times (the thread and the caller overtake
 * each other) change nothing of that.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "harness.h"
#include "util/ahead.h"
#include "util/alloc.h"

#define JOBS 2000

typedef struct job {
	int seq;
	unsigned spin; /* work to do: iterations of a hash */
	unsigned long long result;
	int worked; /* times its work was done */
	pthread_t by;
} job;

typedef struct run {
	pthread_t caller;
	int put, ended;
	int by_caller, by_thread; /* jobs worked on each thread */
	bool wrong_thread, out_of_order, wrong_result;
} run;

static unsigned long long hash(int seq, unsigned spin)
{
	unsigned long long h = 1469598103934665603ull ^ (unsigned)seq;

	for (unsigned i = 0; i < spin; i++)
		h = (h ^ i) * 1099511628211ull;
	return h;
}

static void work(void *p, void *payload)
{
	job *j = p;

	(void)payload;
	j->result = hash(j->seq, j->spin);
	j->worked++;
	j->by = pthread_self();
}

static void done(void *p, void *payload)
{
	job *j = p;
	run *r = payload;

	if (!pthread_equal(pthread_self(), r->caller))
		r->wrong_thread = true;
	if (j->seq != r->ended || j->worked != 1)
		r->out_of_order = true;
	if (j->result != hash(j->seq, j->spin))
		r->wrong_result = true;
	if (pthread_equal(j->by, r->caller))
		r->by_caller++;
	else
		r->by_thread++;
	r->ended++;
	free(j);
}

START_TEST(test_ahead__jobs_end_in_order_on_the_callers_thread)
{
	run r = { .caller = pthread_self() };
	gc_ahead *a = gc_ahead_new(work, done, &r);

	for (int i = 0; i < JOBS; i++) {
		job *j = gc_xcalloc(1, sizeof(*j));

		j->seq = i;
		/* long and short jobs, in runs, so both sides get ahead */
		j->spin = (i / 50) % 3 == 0 ? 20000 : (i % 7 == 0 ? 50000 : 10);
		gc_ahead_put(a, j);
		r.put++;
		ck_assert_int_le(r.put - r.ended, GC_AHEAD_JOBS);
	}
	gc_ahead_end(a);
	ck_assert(!r.wrong_thread);
	ck_assert(!r.out_of_order);
	ck_assert(!r.wrong_result);
	ck_assert_int_eq(r.ended, JOBS);
	/* the thread worked: the jobs were not all done inline */
	ck_assert_int_gt(r.by_thread, 0);
}
END_TEST

START_TEST(test_ahead__an_end_with_no_job)
{
	run r = { .caller = pthread_self() };

	gc_ahead_end(gc_ahead_new(work, done, &r));
	ck_assert_int_eq(r.ended, 0);
}
END_TEST

static Suite *gc_suite_ahead(void)
{
	Suite *s = suite_create("ahead");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ahead__jobs_end_in_order_on_the_callers_thread);
	tcase_add_test(tc, test_ahead__an_end_with_no_job);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_ahead)
