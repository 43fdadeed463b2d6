/* gc_problems: located problems collected while loading and validating. */
#include "source.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/text.h"

/*
 * A problem is one line, like an error (util/text.h): a value quoted in
 * the message (a YAML string with a newline, a file name) cannot start a
 * "path:line:col:" line of its own.
 */
static char *one_line(const char *s)
{
	gc_buf b = GC_BUF_INIT;

	gc_text_escape(&b, s, strlen(s), 0, 0);
	return gc_buf_detach(&b, NULL);
}

static void problems_push(gc_problems *p, const char *path, unsigned line,
			  unsigned column, char *msg)
{
	gc_problem *pr;

	if (p->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 16;
		p->v = gc_xrealloc(p->v, p->alloc * sizeof(*p->v));
	}
	pr = &p->v[p->n++];
	pr->path = one_line(path ? path : "");
	pr->line = line;
	pr->column = column;
	pr->msg = one_line(msg);
	free(msg);
	pr->warning = false;
}

void gc_problems_add(gc_problems *p, const char *path, unsigned line,
		     unsigned column, const char *fmt, ...)
{
	gc_buf msg = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	problems_push(p, path, line, column, gc_buf_detach(&msg, NULL));
}

void gc_problems_add_error(gc_problems *p, const gc_error *err)
{
	problems_push(p, err->path, err->line, err->column,
		      gc_xstrdup(gc_error_msg(err)));
}

void gc_problems_last_is_warning(gc_problems *p)
{
	if (p->n)
		p->v[p->n - 1].warning = true;
}

size_t gc_problems_errors(const gc_problems *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += !p->v[i].warning;
	return n;
}

static int cmp_problem(const void *a, const void *b)
{
	const gc_problem *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void gc_problems_sort(gc_problems *p)
{
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), cmp_problem);
}

void gc_problems_release(gc_problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].msg);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->alloc = 0;
}
