#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/map.h"

START_TEST(test_buf__grows_and_detaches)
{
	gc_buf b = GC_BUF_INIT;
	char *s;
	size_t n;

	ck_assert_str_eq(b.ptr, "");
	for (int i = 0; i < 1000; i++)
		gc_buf_addf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, strlen(b.ptr));
	ck_assert(!strncmp(b.ptr, "0,1,2,", 6));
	s = gc_buf_detach(&b, &n);
	ck_assert_uint_eq(n, strlen(s));
	ck_assert_str_eq(b.ptr, "");
	free(s);
}
END_TEST

START_TEST(test_buf__error_formats_location)
{
	gc_error err = GC_ERROR_INIT;
	char *s;

	ck_assert_int_eq(gc_error_set_at(&err, GC_EPARSE, "a/b.yaml", 3, 7,
					 "bad '%s'", "x"),
			 GC_EPARSE);
	/* the innermost error wins */
	gc_error_set(&err, GC_ERROR, "outer");
	gc_error_prefixf(&err, "canary '%s'", "test/podinfo");
	s = gc_error_format(&err);
	ck_assert_str_eq(s, "a/b.yaml:3:7: canary 'test/podinfo': bad 'x'");
	free(s);
	gc_error_release(&err);
}
END_TEST

START_TEST(test_buf__fnv1a32_known_vectors)
{
	ck_assert_uint_eq(gc_hash_fnv1a32(GC_FNV32_INIT, "", 0), 0x811c9dc5u);
	ck_assert_uint_eq(gc_hash_fnv1a32(GC_FNV32_INIT, "a", 1), 0xe40c292cu);
	ck_assert_uint_eq(gc_hash_fnv1a32(GC_FNV32_INIT, "foobar", 6),
			  0xbf9cf968u);
}
END_TEST

/* A wiped secret is zeros, to its last byte and no further. */
START_TEST(test_buf__wipe_zeroes_the_secret)
{
	char secret[] = "s3cr3t-token";
	char *heap = gc_xstrdup("another secret");

	gc_wipe(secret, sizeof(secret) - 1);
	for (size_t i = 0; i < sizeof(secret) - 1; i++)
		ck_assert_int_eq(secret[i], 0);
	ck_assert_int_eq(secret[sizeof(secret) - 1], 0);
	gc_wipe(NULL, 4); /* nothing to wipe */
	gc_free_secret(heap);
	gc_free_secret(NULL);
}
END_TEST

START_TEST(test_buf__map_put_get_iterate)
{
	gc_map m = GC_MAP_INIT;
	const gc_map_entry *e;
	size_t seen = 0;
	char key[32];

	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		ck_assert_ptr_null(gc_map_sets(&m, key, (void *)(i + 1)));
	}
	ck_assert_uint_eq(m.len, 5000);
	ck_assert_ptr_eq(gc_map_gets(&m, "k4242"), (void *)4243);
	ck_assert_ptr_null(gc_map_gets(&m, "nope"));
	for (size_t it = 0; gc_map_next(&m, &it, &e);)
		seen++;
	ck_assert_uint_eq(seen, 5000);
	gc_map_release(&m);
}
END_TEST

static Suite *gc_suite_buf(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_buf__grows_and_detaches);
	tcase_add_test(tc, test_buf__error_formats_location);
	tcase_add_test(tc, test_buf__fnv1a32_known_vectors);
	tcase_add_test(tc, test_buf__map_put_get_iterate);
	tcase_add_test(tc, test_buf__wipe_zeroes_the_secret);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_buf)
