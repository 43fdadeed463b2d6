/*
 * Parsing a load's files on two cores (repo-layout/parse_ahead.c): every
 * file comes back on the walk's thread, in the order it was handed over,
 * parsed exactly as gc_index__parse parses it on one thread (documents,
 * positions, problems), with a bounded number of files in flight.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/index.h"
#include "repo-layout/parse_ahead.h"
#include "util/alloc.h"
#include "util/buf.h"

#define FILES 400
/* at most this many handed over and not called back (parse_ahead.c) */
#define IN_FLIGHT 64

/* File i: one document, two, or a syntax error, and some big ones. */
static void file_bytes(gc_buf *b, char *path, size_t n, int i)
{
	gc_buf_clear(b);
	snprintf(path, n, "apps/f%04d.yaml", i);
	if (i % 7 == 3) {
		gc_buf_addf(b, "kind: ConfigMap\nmetadata: {name: [b%d\n", i);
		return;
	}
	gc_buf_addf(b, "kind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n", i);
	for (int k = 0; k < (i % 11 == 0 ? 300 : 3); k++)
		gc_buf_addf(b, "  k%d: \"%d\"\n", k, i * k);
	if (i % 5 == 0)
		gc_buf_addf(b, "---\nkind: Secret\nmetadata: {name: s%d}\n", i);
}

/* What a file parses to, as one string: documents, positions, problems. */
static char *describe(const gc_doclist *docs, const gc_problems *problems)
{
	gc_buf b = GC_BUF_INIT;

	for (size_t d = 0; d < docs->n; d++) {
		char *json = cJSON_PrintUnformatted(docs->v[d]->root);
		const cJSON *name =
			cJSON_GetObjectItem(docs->v[d]->root, "metadata");
		gc_loc at = gc_doc_loc(docs->v[d], name);

		gc_buf_addf(&b, "doc %u at %u:%u, metadata at %u:%u: %s\n",
			    docs->v[d]->index, docs->v[d]->start.line,
			    docs->v[d]->start.column, at.line, at.column, json);
		free(json);
	}
	for (size_t p = 0; p < problems->n; p++)
		gc_buf_addf(&b, "problem %s:%u:%u: %s\n", problems->v[p].path,
			    problems->v[p].line, problems->v[p].column,
			    problems->v[p].msg);
	return gc_buf_detach(&b, NULL);
}

typedef struct seen {
	int n;
	char *want[FILES];
	pthread_t walk;
	bool other_thread, out_of_order;
} seen;

static void take(const char *path, gc_doclist *docs, gc_problems *problems,
		 void *payload)
{
	seen *s = payload;
	char want_path[64];
	gc_buf unused = GC_BUF_INIT;
	char *got;

	if (!pthread_equal(pthread_self(), s->walk))
		s->other_thread = true;
	file_bytes(&unused, want_path, sizeof(want_path), s->n);
	gc_buf_release(&unused);
	if (strcmp(path, want_path)) {
		s->out_of_order = true;
		return;
	}
	got = describe(docs, problems);
	ck_assert_str_eq(got, s->want[s->n]);
	free(got);
	s->n++;
}

START_TEST(test_parse_ahead__files_come_back_in_order_as_one_thread_parses)
{
	seen s = { .walk = pthread_self() };
	gc_buf b = GC_BUF_INIT;
	char path[64];
	gc_ahead *a;

	for (int i = 0; i < FILES; i++) {
		gc_doclist docs = GC_DOCLIST_INIT;
		gc_problems problems = { 0 };

		file_bytes(&b, path, sizeof(path), i);
		gc_index__parse(path, b.ptr, b.len, &docs, &problems);
		s.want[i] = describe(&docs, &problems);
		gc_doclist_release(&docs);
		gc_problems_release(&problems);
	}
	/* the case covers every kind of file */
	ck_assert_ptr_nonnull(strstr(s.want[3], "problem apps/f0003.yaml:"));
	ck_assert_ptr_nonnull(strstr(s.want[5], "doc 1 at"));
	a = gc_ahead_new(take, &s);
	for (int i = 0; i < FILES; i++) {
		file_bytes(&b, path, sizeof(path), i);
		gc_ahead_put(a, path, b.ptr, b.len);
		/* the bytes were copied: the walk reuses its buffer */
		memset(b.ptr, 'x', b.len);
		ck_assert_int_ge(s.n, i + 1 - IN_FLIGHT);
	}
	gc_ahead_end(a);
	ck_assert(!s.out_of_order);
	ck_assert(!s.other_thread);
	ck_assert_int_eq(s.n, FILES);
	for (int i = 0; i < FILES; i++)
		free(s.want[i]);
	gc_buf_release(&b);
}
END_TEST

START_TEST(test_parse_ahead__an_end_with_nothing_handed_over)
{
	seen s = { .walk = pthread_self() };

	gc_ahead_end(gc_ahead_new(take, &s));
	ck_assert_int_eq(s.n, 0);
}
END_TEST

static Suite *gc_suite_parse_ahead(void)
{
	Suite *s = suite_create("parse_ahead");
	TCase *tc = tcase_create("core");

	tcase_add_test(
		tc,
		test_parse_ahead__files_come_back_in_order_as_one_thread_parses);
	tcase_add_test(tc, test_parse_ahead__an_end_with_nothing_handed_over);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_parse_ahead)
