#ifndef GC_TESTS_REPO_LAYOUT_GIT_HELPERS_H
#define GC_TESTS_REPO_LAYOUT_GIT_HELPERS_H

/*
 * Shared by test_git.c and test_git_remote.c: run the git CLI as a "human"
 * with a fixed identity and no user or system configuration.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/git.h"
#include "util/alloc.h"

#define GIT_ENV                                                           \
	"export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "       \
	"GIT_AUTHOR_NAME=Human GIT_AUTHOR_EMAIL=human@example.com "       \
	"GIT_COMMITTER_NAME=Human GIT_COMMITTER_EMAIL=human@example.com " \
	"GIT_AUTHOR_DATE='1700000000 +0000' "                             \
	"GIT_COMMITTER_DATE='1700000000 +0000'; "

static inline char *sh_vrun(int want, const char *fmt, va_list ap)
	GC_PRINTF(2, 0);

/* Runs a shell line, asserts its exit status; stdout without its last \n. */
static inline char *sh_vrun(int want, const char *fmt, va_list ap)
{
	gc_buf cmd = GC_BUF_INIT, out = GC_BUF_INIT, errb = GC_BUF_INIT;
	int st;

	gc_buf_adds(&cmd, GIT_ENV);
	gc_buf_vaddf(&cmd, fmt, ap);
	st = gc_test_sh(&out, &errb, "%s", cmd.ptr);
	ck_assert_msg(st == want, "'%s' exited %d: %s", cmd.ptr, st, errb.ptr);
	if (out.len && out.ptr[out.len - 1] == '\n')
		gc_buf_truncate(&out, out.len - 1);
	gc_buf_release(&cmd);
	gc_buf_release(&errb);
	return gc_buf_detach(&out, NULL);
}

static inline char *sh(const char *fmt, ...) GC_PRINTF(1, 2);
static inline char *sh(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sh_vrun(0, fmt, ap);
	va_end(ap);
	return s;
}

/* Runs a shell line that must succeed; output dropped. */
static inline void sh_ok(const char *fmt, ...) GC_PRINTF(1, 2);
static inline void sh_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(sh_vrun(0, fmt, ap));
	va_end(ap);
}

/* Collects walked paths as "path=blob\n" lines. */
static inline int collect_blob(const char *path, const char blob_id[GC_OID_HEX],
			       const char *data, size_t len, void *payload)
{
	gc_buf *b = payload;

	(void)data;
	(void)len;
	gc_buf_addf(b, "%s=%s\n", path, blob_id);
	return 0;
}

static inline int collect_path(const char *path, void *payload)
{
	gc_buf_addf(payload, "%s\n", path);
	return 0;
}

static inline const gc_git_signature *bot(void)
{
	static const gc_git_signature s = { "gitcanary", "bot@example.com",
					    1700000100 };

	return &s;
}

#endif
