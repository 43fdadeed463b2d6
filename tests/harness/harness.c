#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"

const char gc_test_source_dir[] = GC_SOURCE_DIR;
const char gc_test_binary[] = GC_BINARY;

int gc_test_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

char *gc_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = gc_xasprintf("%s/gc-test-XXXXXX", base ? base : "/tmp");

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	return dir;
}

void gc_test_rmrf(const char *dir)
{
	if (dir && strstr(dir, "gc-test-"))
		gc_test_sh(NULL, NULL, "rm -rf '%s'", dir);
}

static void slurp_into(gc_buf *buf, const char *path)
{
	gc_error err = GC_ERROR_INIT;

	gc_buf_clear(buf);
	if (gc_buf_read_file(buf, path, 1u << 30, &err) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, err.msg);
		abort();
	}
	gc_error_release(&err);
}

int gc_test_sh(gc_buf *out, gc_buf *err, const char *fmt, ...)
{
	char *dir = gc_test_tmpdir();
	gc_buf cmd = GC_BUF_INIT;
	va_list ap;
	int status;

	va_start(ap, fmt);
	gc_buf_adds(&cmd, "( ");
	gc_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	gc_buf_addf(&cmd, " ) >'%s/out' 2>'%s/err' </dev/null", dir, dir);
	status = system(cmd.ptr);
	if (out || err) {
		char *p = gc_xasprintf("%s/out", dir);

		if (out)
			slurp_into(out, p);
		free(p);
		p = gc_xasprintf("%s/err", dir);
		if (err)
			slurp_into(err, p);
		free(p);
	}
	gc_buf_release(&cmd);
	cmd = (gc_buf)GC_BUF_INIT;
	gc_buf_addf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.ptr) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	gc_buf_release(&cmd);
	free(dir);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

char *gc_test_fixture(const char *rel)
{
	return gc_xasprintf("%s/tests/fixtures/%s", gc_test_source_dir, rel);
}

char *gc_test_slurp(const char *path)
{
	gc_buf buf = GC_BUF_INIT;

	slurp_into(&buf, path);
	return gc_buf_detach(&buf, NULL);
}
