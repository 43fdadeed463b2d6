/*
 * gitcanary get [--repo PATH|URL] [--deploy-branch NAME] [-n NS | -A]
 *               [-o wide|yaml|json] [-w]
 *
 * The canaries' status as the deploy branch records it, as kubectl prints
 * Flagger's Canary: a table (NAMESPACE NAME STATUS WEIGHT FAILEDCHECKS
 * LASTTRANSITIONTIME; -o wide adds the CRD's priority-1 columns), or the
 * status documents as a kubectl List (-o yaml|json). --watch prints the
 * rows again whenever the deploy branch moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reconciler/cli/cli.h"
#include "reconciler/release/deploy_state.h"
#include "reconciler/loop/loop.h"
#include "repo-layout/layout.h"
#include "repo-layout/yaml.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/* Flagger's additionalPrinterColumns; `wide` ones have priority 1. */
static const struct column {
	const char *head, *path; /* path NULL: from the status file */
	bool wide;
} columns[] = {
	{ "NAMESPACE", NULL, false },
	{ "NAME", NULL, false },
	{ "STATUS", NULL, false },
	{ "WEIGHT", NULL, false },
	{ "SUSPENDED", "spec.suspend", true },
	{ "FAILEDCHECKS", NULL, false },
	{ "INTERVAL", "spec.analysis.interval", true },
	{ "MIRROR", "spec.analysis.mirror", true },
	{ "STEPWEIGHT", "spec.analysis.stepWeight", true },
	{ "STEPWEIGHTS", "spec.analysis.stepWeights", true },
	{ "MAXWEIGHT", "spec.analysis.maxWeight", true },
	{ "LASTTRANSITIONTIME", NULL, false },
};
#define NCOLS GC_ARRAY_SIZE(columns)

typedef struct row {
	char *cells[NCOLS];
} row;

typedef struct rows {
	row *v;
	size_t n, alloc;
	cJSON *items;   /* -o yaml|json: the status documents */
	const char *ns; /* filter or NULL */
	int error;
	gc_error *err;
} rows;

/* A printer column's cell as kubectl shows it: "" when absent. */
static char *cell(const cJSON *root, const char *path)
{
	const cJSON *v = gc_json_get(root, path);
	char *s;

	if (cJSON_IsString(v))
		return gc_xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return gc_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (!v || cJSON_IsNull(v))
		return gc_xstrdup("");
	if (!(s = cJSON_PrintUnformatted(v)))
		GC_BUG("cJSON allocation failed");
	return s;
}

static void fill_row(row *w, char *ns, char *name, const gc_deploy_canary *dc,
		     const cJSON *root)
{
	char when[GC_TIME_MAX] = "";

	if (dc->status.last_transition_time)
		gc_time_format(when, dc->status.last_transition_time);
	for (size_t c = 0; c < NCOLS; c++)
		if (columns[c].path)
			w->cells[c] = cell(root, columns[c].path);
	w->cells[0] = ns;
	w->cells[1] = name;
	w->cells[2] = gc_xstrdup(gc_phase_name(dc->status.phase));
	w->cells[3] = gc_xasprintf("%d", dc->status.canary_weight);
	w->cells[5] = gc_xasprintf("%d", dc->status.failed_checks);
	w->cells[NCOLS - 1] = gc_xstrdup(when);
}

static int add_row(const char *path, const char blob_id[GC_OID_HEX],
		   const char *data, size_t len, void *payload)
{
	rows *r = payload;
	gc_deploy_canary dc;
	gc_doclist docs = { 0 };
	char *ns = NULL, *name = NULL;
	const cJSON *root;

	(void)blob_id;
	if (!gc_layout_parse_status_path(path, &ns, &name))
		return 0;
	if (r->ns && strcmp(r->ns, ns)) {
		free(ns);
		free(name);
		return 0;
	}
	gc_deploy_canary_init(&dc);
	if (gc_deploy_canary_parse(&dc, path, data, len, r->err) < 0 ||
	    gc_yaml_parse(&docs, path, data, len, r->err) < 0 || !docs.n) {
		free(ns);
		free(name);
		gc_deploy_canary_release(&dc);
		gc_doclist_release(&docs);
		return r->error = -1;
	}
	root = docs.v[0]->root;
	if (r->items) {
		cJSON_AddItemToArray(r->items, gc_json_dup(root));
		free(ns);
		free(name);
	} else {
		if (r->n == r->alloc) {
			r->alloc = r->alloc ? 2 * r->alloc : 16;
			r->v = gc_xrealloc(r->v, r->alloc * sizeof(*r->v));
		}
		memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
		fill_row(&r->v[r->n++], ns, name, &dc, root);
	}
	gc_deploy_canary_release(&dc);
	gc_doclist_release(&docs);
	return 0;
}

static void print_table(const rows *r, bool wide, bool head)
{
	size_t width[NCOLS];
	size_t last = 0;

	for (size_t c = 0; c < NCOLS; c++) {
		width[c] = strlen(columns[c].head);
		for (size_t i = 0; i < r->n; i++)
			if (strlen(r->v[i].cells[c]) > width[c])
				width[c] = strlen(r->v[i].cells[c]);
		if (wide || !columns[c].wide)
			last = c;
	}
	for (size_t i = head ? 0 : 1; i <= r->n; i++) {
		for (size_t c = 0; c < NCOLS; c++) {
			const char *s =
				i ? r->v[i - 1].cells[c] : columns[c].head;

			if (columns[c].wide && !wide)
				continue;
			if (c == last)
				printf("%s\n", s);
			else
				printf("%-*s   ", (int)width[c], s);
		}
	}
}

static void rows_clear(rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (size_t c = 0; c < NCOLS; c++)
			free(r->v[i].cells[c]);
	free(r->v);
	cJSON_Delete(r->items);
	r->v = NULL;
	r->items = NULL;
	r->n = r->alloc = 0;
}

/* One listing of the deploy commit. */
static int list(rows *r, gc_git *git, const char commit[GC_OID_HEX],
		const char *output, gc_error *err)
{
	cJSON *doc;
	int error;

	if (output && strcmp(output, "wide"))
		r->items = cJSON_CreateArray();
	if ((error = gc_git_walk(git, commit, add_row, r, err)) < 0 ||
	    (error = r->error) < 0)
		return error;
	if (!r->items)
		return 0;
	/* kubectl get -o yaml|json of several objects: a v1 List */
	doc = cJSON_CreateObject();
	gc_json_add_str(doc, "apiVersion", "v1");
	gc_json_add_str(doc, "kind", "List");
	cJSON_AddItemToObject(doc, "items", r->items);
	r->items = NULL;
	error = gc_cli_print_object(output, doc, err);
	cJSON_Delete(doc);
	return error;
}

/*
 * --watch: every 2 s, fetch (a URL) or re-read the branch; when it moved,
 * print the rows again without the header, as kubectl get -w does.
 */
static int watch(rows *r, gc_git *git, char commit[GC_OID_HEX],
		 const char *branch, const char *output, gc_error *err)
{
	const char *b = branch ? branch : "deploy";
	char next[GC_OID_HEX];
	char *tracking = gc_xasprintf("refs/remotes/origin/%s", b);
	struct timespec pause = { 2, 0 };
	int error = 0;

	for (;;) {
		nanosleep(&pause, NULL);
		if ((error = gc_git_fetch(git, err)) < 0)
			break;
		error = gc_git_resolve(next, git, b, err);
		if (error == GC_ENOTFOUND) {
			gc_error_clear(err);
			error = gc_git_resolve(next, git, tracking, err);
		}
		if (error < 0)
			break;
		if (!strcmp(next, commit))
			continue;
		memcpy(commit, next, GC_OID_HEX);
		rows_clear(r);
		if ((error = list(r, git, commit, output, err)) < 0)
			break;
		if (!r->items)
			print_table(r, output != NULL, false);
		fflush(stdout);
	}
	free(tracking);
	return error;
}

static const char usage_text[] =
	"usage: gitcanary get [--repo PATH|URL] [--deploy-branch NAME] [-n NAMESPACE | -A]\n"
	"                     [-o wide|yaml|json] [-w] [-v]\n"
	"\n"
	"  --repo PATH|URL       git repository; default .\n"
	"  --deploy-branch NAME  the deploy branch; default deploy, else origin/deploy\n"
	"  -n, --namespace NS    only canaries of this namespace\n"
	"  -A, --all-namespaces  canaries of every namespace (the default)\n"
	"  -o, --output FORMAT   wide (more columns), yaml or json (the status files as a List)\n"
	"  -w, --watch           after the listing, print the rows again whenever the branch moves\n"
	"  -v, --verbose         log debug lines too\n"
	"  --log-level LEVEL     debug, info (default), warn or error\n"
	"  --log-format FORMAT   text (default) or json (one object a line)\n";

int cmd_get(int argc, char **argv)
{
	const char *repo = NULL, *branch = NULL, *ns = NULL, *output = NULL;
	bool all = false, watching = false;
	gc_error err = GC_ERROR_INIT;
	rows r = { 0 };
	gc_git *git = NULL;
	char commit[GC_OID_HEX];
	int rc = GC_EXIT_OK;
	const gc_cli_opt opts[] = {
		{ "repo", 0, GC_CLI_VALUE, &repo, 0 },
		{ "deploy-branch", 0, GC_CLI_VALUE, &branch, 0 },
		{ "namespace", 'n', GC_CLI_VALUE, &ns, 0 },
		{ "all-namespaces", 'A', GC_CLI_FLAG, &all, 0 },
		{ "output", 'o', GC_CLI_VALUE, &output, 0 },
		{ "watch", 'w', GC_CLI_FLAG, &watching, 0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};

	if (gc_cli_parse("get", usage_text, opts, NULL, argc, argv, &rc) < 0 ||
	    gc_cli_check_output("get", output, true, &rc) < 0)
		return rc;
	r.ns = all ? NULL : ns; /* kubectl: -A wins over -n */
	r.err = &err;
	if (gc_cli_open_deploy(&git, commit, repo, branch, &err) < 0 ||
	    list(&r, git, commit, output, &err) < 0) {
		rc = gc_cli_fail("get", &err);
		goto cleanup;
	}
	/* -o yaml|json was printed by list() */
	if ((!output || !strcmp(output, "wide")) && r.n == 0 && !watching)
		fprintf(stderr, "No canaries found.\n");
	else if (!output || !strcmp(output, "wide"))
		print_table(&r, output != NULL, true);
	fflush(stdout);
	if (watching && watch(&r, git, commit, branch, output, &err) < 0)
		rc = gc_cli_fail("get", &err);
cleanup:
	rows_clear(&r);
	gc_error_release(&err);
	gc_git_free(git);
	return rc;
}
