#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/url.h"

static const struct {
	const char *in;
	size_t max;
	unsigned flags;
	const char *want;
} escapes[] = {
	/* a forged event or trailer stays inside one quoted line */
	{ "oops\n\ntest/podinfo: Promotion completed!", 0, GC_TEXT_QUOTE,
	  "\"oops\\n\\ntest/podinfo: Promotion completed!\"" },
	{ "a\r\nCanary: x/y", 0, 0, "a\\r\\nCanary: x/y" },
	/* terminal escapes: ESC, DEL, a C1 CSI, U+2028 */
	{ "\x1b[31mred\x7f", 0, 0, "\\u001b[31mred\\u007f" },
	{ "x\xc2\x9b"
	  "2J",
	  0, 0, "x\\u009b2J" },
	{ "l\xe2\x80\xa8s", 0, 0, "l\\u2028s" },
	/* invalid UTF-8: a stray byte, an overlong '/', a surrogate */
	{ "\xff(", 0, 0, "\xef\xbf\xbd(" },
	{ "\xc0\xaf", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xed\xa0\x80", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "caf\xc3\xa9", 0, 0, "caf\xc3\xa9" },
	/* quotes and backslashes only escaped when quoted */
	{ "say \"hi\" \\o/", 0, GC_TEXT_QUOTE, "\"say \\\"hi\\\" \\\\o/\"" },
	{ "say \"hi\" \\o/", 0, 0, "say \"hi\" \\o/" },
	/* bounded, never inside a character or an escape */
	{ "abcdef", 4, 0, "abcd..." },
	{ "ab\xc3\xa9", 3, 0, "ab..." },
	{ "ab\ncd", 3, GC_TEXT_QUOTE, "\"ab...\"" },
};

START_TEST(test_text__escapes_one_line)
{
	gc_buf b = GC_BUF_INIT;

	gc_text_escape(&b, escapes[_i].in, strlen(escapes[_i].in),
		       escapes[_i].max, escapes[_i].flags);
	ck_assert_str_eq(b.ptr, escapes[_i].want);
	ck_assert_ptr_null(strchr(b.ptr, '\n'));
	gc_buf_release(&b);
}
END_TEST

START_TEST(test_text__escaping_twice_changes_nothing)
{
	const char *in = "a\n\x1b[0m\xff b\\n";
	gc_buf once = GC_BUF_INIT, twice = GC_BUF_INIT;

	gc_text_escape(&once, in, strlen(in), 0, 0);
	gc_text_escape(&twice, once.ptr, once.len, 0, 0);
	ck_assert_str_eq(once.ptr, twice.ptr);
	gc_buf_release(&once);
	gc_buf_release(&twice);
}
END_TEST

START_TEST(test_text__quote_is_bounded)
{
	gc_buf b = GC_BUF_INIT;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gc_text_quote(&b, big);
	ck_assert_uint_eq(b.len, GC_TEXT_SNIPPET + 5);
	ck_assert_str_eq(b.ptr + b.len - 4, "...\"");
	gc_buf_release(&b);
}
END_TEST

START_TEST(test_text__utf8_keeps_everything_valid)
{
	static const char in[] = "ok\n\xff\x00z\xe2\x82\xac";
	gc_buf b = GC_BUF_INIT;

	gc_text_utf8(&b, in, sizeof(in) - 1);
	ck_assert_str_eq(b.ptr, "ok\n\xef\xbf\xbd\xef\xbf\xbdz\xe2\x82\xac");
	gc_buf_release(&b);
}
END_TEST

static const struct {
	const char *url, *want;
} urls[] = {
	{ "https://u:p@h/a?token=x&y=1", "https://h/a?<redacted>" },
	{ "http://h/a#frag", "http://h/a?<redacted>" },
	{ "http://u@h?x", "http://h?<redacted>" },
	{ "https://h:8443/api/v1/query?query=up",
	  "https://h:8443/api/v1/query?<redacted>" },
	{ "https://user:p%40ss@host/o/r.git", "https://host/o/r.git" },
	{ "ssh://git@host/o/r.git", "ssh://host/o/r.git" },
	{ "https://h/a\nb", "https://h/a\\nb" },
	{ "git@host:o/r.git", "git@host:o/r.git" },
	{ "/srv/repo", "/srv/repo" },
	{ "", "" },
};

START_TEST(test_text__url_redact)
{
	gc_buf b = GC_BUF_INIT;

	gc_url_redact(&b, urls[_i].url);
	ck_assert_str_eq(b.ptr, urls[_i].want);
	gc_buf_release(&b);
}
END_TEST

static const struct {
	const char *a, *b;
	bool same;
} origins[] = {
	{ "https://h/a", "https://H:443/b?c", true },
	{ "https://u:p@h/a", "https://h/x", true },
	{ "http://h/a", "https://h/a", false },
	{ "https://h/a", "https://evil/a", false },
	{ "https://h/a", "https://h.evil/a", false },
	{ "https://h:8443/a", "https://h/a", false },
	{ "https://h@evil/a", "https://h/a", false },
	{ "http://[::1]:80/a", "http://[::1]/b", true },
	{ "/local", "/local", false },
};

START_TEST(test_text__url_same_origin)
{
	ck_assert_int_eq(gc_url_same_origin(origins[_i].a, origins[_i].b),
			 origins[_i].same);
}
END_TEST

static Suite *gc_suite_text(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_text__escapes_one_line, 0,
			    GC_ARRAY_SIZE(escapes));
	tcase_add_test(tc, test_text__escaping_twice_changes_nothing);
	tcase_add_test(tc, test_text__quote_is_bounded);
	tcase_add_test(tc, test_text__utf8_keeps_everything_valid);
	tcase_add_loop_test(tc, test_text__url_redact, 0, GC_ARRAY_SIZE(urls));
	tcase_add_loop_test(tc, test_text__url_same_origin, 0,
			    GC_ARRAY_SIZE(origins));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_text)
