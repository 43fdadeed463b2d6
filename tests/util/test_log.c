#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/buf.h"
#include "util/log.h"

/* What fn logged to stderr, without the leading time stamp. */
static char *capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	gc_buf got = GC_BUF_INIT;
	char chunk[512];
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
		gc_buf_add(&got, chunk, n);
	fclose(tmp);
	return gc_buf_detach(&got, NULL);
}

/* "2026-12-03T10:00:00Z " is 21 bytes; JSON's "time" member is 30 */
static void drop_stamps(char *s, size_t stamp, size_t keep)
{
	char *out = s;

	for (char *p = s; *p;) {
		size_t len = strcspn(p, "\n");

		ck_assert_uint_gt(len, stamp + keep);
		memcpy(out, p, keep);
		memmove(out + keep, p + keep + stamp, len - keep - stamp);
		out += len - stamp;
		p += len;
		if (*p)
			*out++ = *p++;
	}
	*out = '\0';
}

static void entries(void)
{
	const gc_log_field f[] = { { "canary", "test/podinfo" },
				   { "commit", "0123abcd" },
				   { "phase", NULL },
				   { "type", "Warning" } };

	gc_debug("not shown");
	gc_info("plain %d", 1);
	gc_log_with(GC_LOG_WARN, f, GC_ARRAY_SIZE(f),
		    "a server said \"no\"\n\x1b[31mforged: line");
}

START_TEST(test_log__text_is_one_line_per_entry)
{
	char *got;

	gc_log_set_level(GC_LOG_INFO);
	gc_log_set_format(GC_LOG_TEXT);
	got = capture(entries);
	drop_stamps(got, 21, 0);
	ck_assert_str_eq(
		got,
		"info plain 1\n"
		"warn test/podinfo: a server said \"no\"\\n\\u001b[31mforged: line commit=0123abcd type=Warning\n");
	free(got);
}
END_TEST

START_TEST(test_log__json_is_one_object_per_line)
{
	char *got;

	gc_log_set_level(GC_LOG_INFO);
	gc_log_set_format(GC_LOG_JSON);
	got = capture(entries);
	drop_stamps(got, 30, 1);
	ck_assert_str_eq(
		got,
		"{\"level\":\"info\",\"message\":\"plain 1\"}\n"
		"{\"level\":\"warn\",\"message\":\"a server said \\\"no\\\"\\n\\u001b[31mforged: line\","
		"\"canary\":\"test/podinfo\",\"commit\":\"0123abcd\",\"type\":\"Warning\"}\n");
	free(got);
	gc_log_set_format(GC_LOG_TEXT);
}
END_TEST

START_TEST(test_log__level_hides_lower_entries)
{
	char *got;

	gc_log_set_level(GC_LOG_DEBUG);
	got = capture(entries);
	ck_assert_ptr_nonnull(strstr(got, " debug not shown\n"));
	free(got);
	gc_log_set_level(GC_LOG_ERROR);
	got = capture(entries);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(test_log__names_parse)
{
	gc_log_level l;
	gc_log_format f;

	ck_assert_int_eq(gc_log_level_parse(&l, "warning"), 0);
	ck_assert_int_eq(l, GC_LOG_WARN);
	ck_assert_int_eq(gc_log_level_parse(&l, "debug"), 0);
	ck_assert_int_eq(l, GC_LOG_DEBUG);
	ck_assert_int_eq(gc_log_level_parse(&l, "INFO"), -1);
	ck_assert_int_eq(gc_log_format_parse(&f, "json"), 0);
	ck_assert_int_eq(f, GC_LOG_JSON);
	ck_assert_int_eq(gc_log_format_parse(&f, "logfmt"), -1);
}
END_TEST

static Suite *gc_suite_log(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_log__text_is_one_line_per_entry);
	tcase_add_test(tc, test_log__json_is_one_object_per_line);
	tcase_add_test(tc, test_log__level_hides_lower_entries);
	tcase_add_test(tc, test_log__names_parse);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_log)
