/*
 * gitcanary get [--repo PATH|URL] [--deploy-branch NAME] [-n NS]
 *
 * The canaries' status as the deploy branch records it, as a kubectl-like
 * table: NAMESPACE NAME STATUS WEIGHT FAILEDCHECKS LASTTRANSITIONTIME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "reconciler/release/deploy_state.h"
#include "reconciler/loop/loop.h"
#include "repo-layout/layout.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/buf.h"

typedef struct row {
	char *cells[6];
} row;

typedef struct rows {
	row *v;
	size_t n, alloc;
	const char *ns; /* filter or NULL */
	int error;
	gc_error *err;
} rows;

static int add_row(const char *path, const char blob_id[GC_OID_HEX],
		   const char *data, size_t len, void *payload)
{
	rows *r = payload;
	gc_deploy_canary dc;
	char *ns = NULL, *name = NULL, when[GC_TIME_MAX] = "";
	row *w;

	(void)blob_id;
	if (!gc_layout_parse_status_path(path, &ns, &name))
		return 0;
	if (r->ns && strcmp(r->ns, ns)) {
		free(ns);
		free(name);
		return 0;
	}
	gc_deploy_canary_init(&dc);
	if (gc_deploy_canary_parse(&dc, path, data, len, r->err) < 0) {
		free(ns);
		free(name);
		return r->error = -1;
	}
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->v = gc_xrealloc(r->v, r->alloc * sizeof(*r->v));
	}
	w = &r->v[r->n++];
	if (dc.status.last_transition_time)
		gc_time_format(when, dc.status.last_transition_time);
	w->cells[0] = ns;
	w->cells[1] = name;
	w->cells[2] = gc_xstrdup(gc_phase_name(dc.status.phase));
	w->cells[3] = gc_xasprintf("%d", dc.status.canary_weight);
	w->cells[4] = gc_xasprintf("%d", dc.status.failed_checks);
	w->cells[5] = gc_xstrdup(when);
	gc_deploy_canary_release(&dc);
	return 0;
}

static void print_table(const rows *r)
{
	static const char *const head[6] = {
		"NAMESPACE", "NAME",         "STATUS",
		"WEIGHT",    "FAILEDCHECKS", "LASTTRANSITIONTIME"
	};
	size_t width[6];

	for (size_t c = 0; c < 6; c++) {
		width[c] = strlen(head[c]);
		for (size_t i = 0; i < r->n; i++)
			if (strlen(r->v[i].cells[c]) > width[c])
				width[c] = strlen(r->v[i].cells[c]);
	}
	for (size_t i = 0; i <= r->n; i++) {
		for (size_t c = 0; c < 6; c++) {
			const char *s = i ? r->v[i - 1].cells[c] : head[c];

			if (c == 5)
				printf("%s\n", s);
			else
				printf("%-*s   ", (int)width[c], s);
		}
	}
}

static const char usage_text[] =
	"usage: gitcanary get [--repo PATH|URL] [--deploy-branch NAME] [-n NAMESPACE] [-v]\n";

int cmd_get(int argc, char **argv)
{
	const char *repo = NULL, *branch = NULL, *ns = NULL;
	gc_error err = GC_ERROR_INIT;
	rows r = { 0 };
	gc_git *git = NULL;
	char commit[GC_OID_HEX], *msg;
	int rc = GC_EXIT_OK;
	const gc_cli_opt opts[] = { { "repo", 0, GC_CLI_VALUE, &repo, 0 },
				    { "deploy-branch", 0, GC_CLI_VALUE, &branch,
				      0 },
				    { "namespace", 'n', GC_CLI_VALUE, &ns, 0 },
				    { NULL, 0, GC_CLI_VALUE, NULL, 0 } };

	if (gc_cli_parse("get", usage_text, opts, NULL, argc, argv, &rc) < 0)
		return rc;
	r.ns = ns;
	r.err = &err;
	if (gc_cli_open_deploy(&git, commit, repo, branch, &err) < 0 ||
	    gc_git_walk(git, commit, add_row, &r, &err) < 0 || r.error) {
		msg = gc_error_format(&err);
		fprintf(stderr, "gitcanary get: %s\n", msg);
		free(msg);
		rc = GC_EXIT_FAILURE;
		goto cleanup;
	}
	if (r.n == 0)
		fprintf(stderr, "No canaries found.\n");
	else
		print_table(&r);
cleanup:
	for (size_t i = 0; i < r.n; i++)
		for (size_t c = 0; c < 6; c++)
			free(r.v[i].cells[c]);
	free(r.v);
	gc_error_release(&err);
	gc_git_free(git);
	return rc;
}
