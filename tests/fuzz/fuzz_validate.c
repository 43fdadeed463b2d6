/*
 * `validate` of a directory: the input is cut at lines "%%% NAME" into
 * files (the first part is canary.yaml), written into a scratch directory,
 * loaded as gitcanary validate --dir does and checked with exactly its
 * checks. Every problem is one line, placed at line 1 or later.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "reconciler/cli/cli.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_FILES 6

static char *scratch;

static char *written[MAX_FILES];

/* Removes the files of the last input (a fork of rm -rf is too slow). */
static void clear_dir(void)
{
	for (size_t i = 0; i < MAX_FILES; i++) {
		if (written[i])
			unlink(written[i]);
		free(written[i]);
		written[i] = NULL;
	}
}

/* A safe file name from the marker line, or NULL. */
static char *file_name(const char *p, size_t n, int i)
{
	gc_buf b = GC_BUF_INIT;

	for (size_t k = 0; k < n && b.len < 32; k++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", p[k]))
			gc_buf_addch(&b, p[k]);
	if (!b.len || b.ptr[0] == '.')
		gc_buf_addf(&b, "f%d.yaml", i);
	return gc_buf_detach(&b, NULL);
}

static void write_files(const char *data, size_t size)
{
	const char *p = data, *end = data + size;
	char *name = gc_xstrdup("canary.yaml");
	gc_error err = GC_ERROR_INIT;

	for (int i = 0; i < MAX_FILES && p <= end; i++) {
		const char *mark = NULL, *next = end;
		char *path;

		for (const char *q = p; q + 4 <= end; q++)
			if ((q == data || q[-1] == '\n') &&
			    !memcmp(q, "%%% ", 4)) {
				mark = q;
				break;
			}
		if (mark)
			next = mark;
		path = gc_xasprintf("%s/%s", scratch, name);
		gc_buf_write_file(path, p, (size_t)(next - p), &err);
		gc_error_clear(&err);
		free(written[i]);
		written[i] = path;
		free(name);
		if (!mark)
			return;
		p = memchr(mark, '\n', (size_t)(end - mark));
		name = file_name(mark + 4, (size_t)((p ? p : end) - mark - 4),
				 i + 1);
		if (!p)
			break;
		p++;
	}
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gc_source_opts opts;
	gc_error err = GC_ERROR_INIT;
	gc_problems problems = { NULL, 0, 0 };
	gc_index *idx = NULL;
	size_t canaries = 0;

	if (!scratch) {
		char tmpl[] = "/tmp/fuzz_validate.XXXXXX";

		if (!mkdtemp(tmpl))
			abort();
		scratch = gc_xstrdup(tmpl);
	}
	memset(&opts, 0, sizeof(opts));
	clear_dir();
	write_files((const char *)data, size);
	if (gc_source_load_dir(&idx, scratch, &opts, &err) == 0) {
		gc_cli_check(&problems, &canaries, idx, NULL, NULL);
		for (size_t i = 0; i < problems.n; i++) {
			FUZZ_CHECK(!strchr(problems.v[i].msg, '\n'));
			FUZZ_CHECK(!strchr(problems.v[i].path, '\n'));
		}
	} else {
		FUZZ_CHECK(!strchr(gc_error_msg(&err), '\n'));
	}
	gc_problems_release(&problems);
	gc_index_free(idx);
	gc_error_release(&err);
	return 0;
}
