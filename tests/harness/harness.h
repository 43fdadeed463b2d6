#ifndef GC_TESTS_HARNESS_H
#define GC_TESTS_HARNESS_H

#include <check.h>

#include "util/buf.h"
#include "util/common.h"

/*
 * Every tests/<module>/test_<file>.c is its own executable (one CTest entry
 * each): it defines `Suite *gc_suite_<file>(void)` and ends with
 * GC_TEST_MAIN(gc_suite_<file>).
 */
int gc_test_run(Suite *suite);
#define GC_TEST_MAIN(fn)                  \
	int main(void)                    \
	{                                 \
		return gc_test_run(fn()); \
	}

/* A fresh directory under $TMPDIR; owned string. */
char *gc_test_tmpdir(void);
/* rm -rf, for temporary directories made by gc_test_tmpdir. */
void gc_test_rmrf(const char *dir);
/*
 * Runs a shell command line, capturing stdout and stderr (either may be
 * NULL); returns the exit status, or -1 when it did not exit normally.
 */
int gc_test_sh(gc_buf *out, gc_buf *err, const char *fmt, ...) GC_PRINTF(3, 4);
/* Path of a file under tests/fixtures; owned string. */
char *gc_test_fixture(const char *rel);
/* Reads a whole file into an owned string (aborts the test on failure). */
char *gc_test_slurp(const char *path);

/* Paths baked in by CMake. */
extern const char gc_test_source_dir[];
extern const char gc_test_binary[];

#endif
