#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/doc.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

static void assert_loc(gc_loc got, gc_loc want)
{
	ck_assert_uint_eq(got.line, want.line);
	ck_assert_uint_eq(got.column, want.column);
	ck_assert_uint_eq(got.key_line, want.key_line);
	ck_assert_uint_eq(got.key_column, want.key_column);
}

/* Positions past what 64 bits hold are kept exactly, sealed or not. */
static const gc_loc odd[] = {
	{ 1, 1, 0, 0 },
	{ 4194302, 16383, 4178000, 16383 }, /* the largest packed */
	{ 4194303, 1, 0, 0 },               /* line */
	{ 9000000, 2, 8999999, 1 },
	{ 1, 16384, 0, 0 },    /* column */
	{ 20000, 3, 3616, 1 }, /* key 16384 lines above */
	{ 7, 3, 7, 16384 },    /* key column */
	{ 7, 3, 8, 1 },        /* key below its value */
	{ 7, 3, 5, 0 },        /* key line without a column */
	{ 0, 0, 0, 0 },
	{ 4294967295u, 4294967295u, 4294967295u, 4294967295u },
};

START_TEST(test_doc__keeps_every_position_exactly)
{
	gc_doc *doc = gc_doc_new("x.yaml", 0);
	cJSON *nodes[GC_ARRAY_SIZE(odd)];

	doc->start = (gc_loc){ 2, 1, 0, 0 };
	doc->root = cJSON_CreateArray();
	for (size_t i = 0; i < GC_ARRAY_SIZE(odd); i++) {
		nodes[i] = cJSON_CreateNull();
		cJSON_AddItemToArray(doc->root, nodes[i]);
		gc_doc_set_loc(doc, nodes[i], odd[i]);
	}
	for (size_t i = 0; i < GC_ARRAY_SIZE(odd); i++)
		assert_loc(gc_doc_loc(doc, nodes[i]), odd[i]);
	gc_doc_seal(doc);
	for (size_t i = 0; i < GC_ARRAY_SIZE(odd); i++)
		assert_loc(gc_doc_loc(doc, nodes[i]), odd[i]);
	assert_loc(gc_doc_loc(doc, doc->root), doc->start);
	assert_loc(gc_doc_loc(doc, NULL), doc->start);
	assert_loc(gc_doc_key_loc(doc, nodes[3]),
		   (gc_loc){ 8999999, 1, 8999999, 1 });
	gc_doc_free(doc);
}
END_TEST

START_TEST(test_doc__latest_position_wins_and_forgotten_ones_go)
{
	gc_doc *doc = gc_doc_new("x.yaml", 0);
	cJSON *a = cJSON_CreateNull(), *b = cJSON_CreateNull();
	size_t mark;

	doc->root = cJSON_CreateArray();
	cJSON_AddItemToArray(doc->root, a);
	cJSON_AddItemToArray(doc->root, b);
	gc_doc_set_loc(doc, a, (gc_loc){ 1, 1, 0, 0 });
	gc_doc_set_loc(doc, b, (gc_loc){ 2, 1, 0, 0 });
	gc_doc_set_loc(doc, a, (gc_loc){ 3, 1, 0, 0 });
	mark = gc_doc_loc_mark(doc);
	gc_doc_set_loc(doc, doc->root, (gc_loc){ 4, 1, 0, 0 });
	gc_doc_forget_locs(doc, mark);
	gc_doc_seal(doc);
	ck_assert_uint_eq(doc->pos_n, 2);
	assert_loc(gc_doc_loc(doc, a), (gc_loc){ 3, 1, 0, 0 });
	assert_loc(gc_doc_loc(doc, b), (gc_loc){ 2, 1, 0, 0 });
	assert_loc(gc_doc_loc(doc, doc->root), doc->start);
	/* after sealing, a set replaces or inserts in order */
	gc_doc_set_loc(doc, b, (gc_loc){ 5, 1, 0, 0 });
	gc_doc_set_loc(doc, doc->root, (gc_loc){ 6, 1, 0, 0 });
	ck_assert_uint_eq(doc->pos_n, 3);
	assert_loc(gc_doc_loc(doc, a), (gc_loc){ 3, 1, 0, 0 });
	assert_loc(gc_doc_loc(doc, b), (gc_loc){ 5, 1, 0, 0 });
	assert_loc(gc_doc_loc(doc, doc->root), (gc_loc){ 6, 1, 0, 0 });
	gc_doc_free(doc);
}
END_TEST

/* A document with more lines and wider lines than positions pack. */
START_TEST(test_doc__parses_far_positions)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf src = GC_BUF_INIT;

	gc_buf_adds(&src, "k:\n");
	for (int i = 0; i < 20000; i++)
		gc_buf_adds(&src, "\n");
	gc_buf_adds(&src, "  v\nw: [");
	for (int i = 0; i < 20000; i++)
		gc_buf_adds(&src, " ");
	gc_buf_adds(&src, "x]\n");
	ck_assert_int_eq(gc_yaml_parse(&docs, "f.yaml", src.ptr, src.len, &err),
			 0);
	assert_loc(gc_doc_loc(docs.v[0], gc_json_get(docs.v[0]->root, "k")),
		   (gc_loc){ 20002, 3, 1, 1 });
	assert_loc(gc_doc_loc(docs.v[0],
			      gc_json_get(docs.v[0]->root, "w")->child),
		   (gc_loc){ 20003, 20005, 0, 0 });
	gc_doclist_release(&docs);
	gc_buf_release(&src);
}
END_TEST

/* A node with a position, one without, and a built document's via. */
START_TEST(test_doc__place_names_via_for_nodes_without_position)
{
	gc_doc *doc = gc_doc_new("base/deploy.yaml", 0);
	cJSON *known = cJSON_CreateNull(), *added = cJSON_CreateNull();
	const char *path;
	gc_loc loc;

	doc->start = (gc_loc){ 3, 1, 0, 0 };
	doc->root = cJSON_CreateArray();
	cJSON_AddItemToArray(doc->root, known);
	cJSON_AddItemToArray(doc->root, added);
	gc_doc_set_loc(doc, known, (gc_loc){ 7, 9, 7, 3 });
	gc_doc_seal(doc);
	gc_doc_place(doc, known, &path, &loc);
	ck_assert_str_eq(path, "base/deploy.yaml");
	assert_loc(loc, (gc_loc){ 7, 9, 7, 3 });
	gc_doc_place(doc, added, &path, &loc);
	ck_assert_str_eq(path, "base/deploy.yaml");
	assert_loc(loc, doc->start);
	doc->via = gc_xstrdup("overlay/kustomization.yaml");
	gc_doc_place(doc, added, &path, &loc);
	ck_assert_str_eq(path, "overlay/kustomization.yaml");
	assert_loc(loc, (gc_loc){ 1, 1, 0, 0 });
	gc_doc_place(doc, known, &path, &loc);
	ck_assert_str_eq(path, "base/deploy.yaml");
	gc_doc_trim(doc);
	ck_assert_str_eq(doc->via, "overlay/kustomization.yaml");
	gc_doc_free(doc);
}
END_TEST

static Suite *gc_suite_doc(void)
{
	Suite *s = suite_create("doc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_doc__keeps_every_position_exactly);
	tcase_add_test(tc,
		       test_doc__latest_position_wins_and_forgotten_ones_go);
	tcase_add_test(tc, test_doc__parses_far_positions);
	tcase_add_test(tc,
		       test_doc__place_names_via_for_nodes_without_position);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_doc)
