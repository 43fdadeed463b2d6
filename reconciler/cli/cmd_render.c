/*
 * gitcanary render [--repo PATH|URL] [--ref REV] [--dir DIR] [--path DIR]...
 *                  [--canary NS/NAME] [--stage STAGE] [--promoted FILE]
 *                  [--out DIR] [--default-namespace NS]
 *
 * Renders the objects of one stage for every Canary (or one) of a commit
 * or directory: a multi-document YAML stream on stdout, or one file per
 * object under --out laid out as on the deploy branch
 * (<ns>/<canary>/<kind>-<name>.yaml). It first runs exactly validate's
 * checks and prints their problems as validate does; with any error it
 * renders nothing. All or nothing: on any error nothing is printed or
 * written. Canaries are rendered and written one at a time (write_out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "render/render.h"
#include "repo-layout/git.h"
#include "repo-layout/layout.h"
#include "repo-layout/source.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

static const char usage_text[] =
	"usage: gitcanary render [--repo PATH|URL] [--ref REV] [--dir DIR] [--canary NS/NAME]\n"
	"                        [--stage STAGE] [--promoted FILE] [--out DIR] [--default-namespace NS]\n"
	"                        [--include-label-prefix LIST]\n"
	"\n"
	"  --repo PATH|URL          git repository (work tree, bare, or URL); default .\n"
	"  --ref REV                branch, tag or commit; default HEAD\n"
	"  --dir DIR                read a plain directory instead of a commit (no git)\n" GC_CLI_ROOTS_HELP
	"  --canary NS/NAME         render this canary only; default every canary\n"
	"  --stage STAGE            initialization (default), progressing:WEIGHT, mirror, ab,\n"
	"                           bluegreen, bluegreen:switched, promoting[:WEIGHT], finalising,\n"
	"                           succeeded, failed\n"
	"  --promoted FILE          a file whose (first) Deployment has the pod template the primary runs\n"
	"                           (the previously promoted revision); needs --canary\n"
	"  --out DIR                write <ns>/<canary>/<kind>-<name>.yaml files under DIR\n"
	"  --default-namespace NS   namespace of documents without one; default \"default\"\n"
	"  --include-label-prefix L target labels/annotations with these key prefixes\n"
	"                           (comma list, * = all) go onto the primary; default none\n"
	"  -v, --verbose            log debug lines too\n"
	"  --log-level LEVEL        debug, info (default), warn or error\n"
	"  --log-format FORMAT      text (default) or json (one object a line)\n";

typedef struct render_args {
	gc_cli_source_args src;
	const char *canary, *stage, *promoted, *out, *label_prefix;
} render_args;

static int parse_args(render_args *a, int argc, char **argv, int *rc)
{
	const gc_cli_opt opts[] = {
		{ "canary", 0, GC_CLI_VALUE, &a->canary, 0 },
		{ "stage", 0, GC_CLI_VALUE, &a->stage, 0 },
		{ "promoted", 0, GC_CLI_VALUE, &a->promoted, 0 },
		{ "out", 0, GC_CLI_VALUE, &a->out, 0 },
		{ "include-label-prefix", 0, GC_CLI_VALUE, &a->label_prefix,
		  0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};
	gc_error err = GC_ERROR_INIT;
	gc_stage st;
	const char *why = NULL;
	char msg[512];

	if (gc_cli_parse_source(&a->src, "render", usage_text, opts, argc, argv,
				rc) < 0)
		return -1;
	if (a->canary && !strchr(a->canary, '/'))
		why = "--canary must be NS/NAME";
	else if (a->promoted && !a->canary)
		why = "--promoted needs --canary";
	else if (a->stage && gc_stage_parse(&st, a->stage, NULL, &err) < 0) {
		snprintf(msg, sizeof(msg), "%s", gc_error_msg(&err));
		gc_error_release(&err);
		why = msg;
	}
	if (why) {
		*rc = gc_cli_usage("render", why);
		return -1;
	}
	return 0;
}

typedef struct ctx {
	const gc_index *idx;
	const char *ns;
	const gc_doc *docs[4]; /* by gc_render_source */
} ctx;

static const cJSON *lookup(const char *kind, const char *name, void *payload)
{
	const ctx *c = payload;
	const gc_object *o = gc_index_find(c->idx, kind, c->ns, name);

	return o ? o->doc->root : NULL;
}

static void locate(gc_error *err, gc_render_source src, const cJSON *node,
		   void *payload)
{
	const ctx *c = payload;
	const gc_doc *doc = c->docs[src];
	gc_loc loc;

	if (!doc)
		return;
	loc = gc_doc_loc(doc, node);
	free(err->path);
	err->path = gc_xstrdup(doc->path);
	err->line = loc.line;
	err->column = loc.column;
}

static int render_one(cJSON **out, const gc_index *idx, const gc_object *can,
		      const render_args *a, const gc_doc *promoted,
		      gc_error *err)
{
	ctx c = { idx, can->namespace, { can->doc, NULL, NULL, promoted } };
	gc_render_input in = { 0 };
	const char *tname = gc_json_str(can->doc->root, "spec.targetRef.name");
	const char *hname =
		gc_json_str(can->doc->root, "spec.autoscalerRef.name");
	const char *apex = gc_json_str(can->doc->root, "spec.service.name");
	const gc_object *target = NULL, *hpa = NULL, *svc;
	gc_loc loc;
	int error;

	if (tname)
		target =
			gc_index_find(idx, "Deployment", can->namespace, tname);
	if (!target) {
		loc = gc_doc_loc(can->doc,
				 gc_json_get(can->doc->root, "spec.targetRef"));
		return gc_error_set_at(
			err, GC_ENOTFOUND, can->doc->path, loc.line, loc.column,
			"canary '%s/%s': target deployment '%s' not found",
			can->namespace, can->name, tname ? tname : "");
	}
	if (hname)
		hpa = gc_index_find(idx, "HorizontalPodAutoscaler",
				    can->namespace, hname);
	c.docs[GC_RENDER_SRC_TARGET] = target->doc;
	c.docs[GC_RENDER_SRC_HPA] = hpa ? hpa->doc : NULL;
	in.canary = can->doc->root;
	in.namespace = can->namespace;
	in.target = target->doc->root;
	in.hpa = hpa ? hpa->doc->root : NULL;
	svc = gc_index_find_tree(idx, "Service", can->namespace,
				 apex && *apex ? apex : tname);
	in.apex_service = svc ? svc->doc->root : NULL;
	in.lookup = lookup;
	in.lookup_payload = &c;
	in.locate = locate;
	in.locate_payload = &c;
	in.include_label_prefix = a->label_prefix;
	if ((error = gc_stage_parse(&in.stage, a->stage, can->doc->root, err)) <
	    0)
		return error;
	if (promoted) {
		in.stage.promoted_template =
			gc_json_get(promoted->root, "spec.template");
		if (!in.stage.promoted_template)
			return gc_error_set_at(
				err, GC_EINVALID, promoted->path,
				promoted->start.line, promoted->start.column,
				"no spec.template in the promoted deployment");
	}
	return gc_render_canary(out, &in, err);
}

static int stdout_write(const char *data, size_t len, void *payload,
			gc_error *err)
{
	(void)payload;
	if (fwrite(data, 1, len, stdout) != len)
		return gc_error_set(err, GC_EOS, "cannot write the output");
	return 0;
}

/* One canary's objects as files under --out. */
static int write_files(const render_args *a, const cJSON *set,
		       const gc_object *can, gc_error *err)
{
	gc_buf yaml = GC_BUF_INIT, path = GC_BUF_INIT;
	const cJSON *obj;
	int error = 0;

	cJSON_ArrayForEach (obj, set) {
		gc_buf_clear(&yaml);
		gc_buf_clear(&path);
		if ((error = gc_yaml_emit(&yaml, &obj, 1, err)) < 0)
			break;
		gc_buf_addf(&path, "%s/", a->out);
		gc_layout_object_path(&path, can->namespace, can->name,
				      gc_json_str(obj, "kind"),
				      gc_json_str(obj, "metadata.name"));
		if ((error = gc_buf_write_file(path.ptr, yaml.ptr, yaml.len,
					       err)) < 0)
			break;
	}
	gc_buf_release(&yaml);
	gc_buf_release(&path);
	return error;
}

/*
 * Renders and writes one canary at a time, so that only one canary's
 * objects are in memory: a YAML stream on stdout (the bytes of one
 * gc_yaml_emit of everything), or files under --out. A first pass renders
 * every canary and drops the result, so that a render error still prints
 * and writes nothing.
 */
static int write_out(const render_args *a, const gc_index *idx,
		     const gc_object *const *canaries, size_t n,
		     const gc_doc *pdoc, gc_error *err)
{
	gc_yaml_stream *s = NULL;
	cJSON *set = NULL;
	int error = 0;

	for (size_t i = 0; i < n && !error; i++) {
		error = render_one(&set, idx, canaries[i], a, pdoc, err);
		cJSON_Delete(set);
		set = NULL;
	}
	if (!a->out)
		s = gc_yaml_stream_new(stdout_write, NULL);
	for (size_t i = 0; i < n && !error; i++) {
		const cJSON **objs;
		size_t k = 0;

		if ((error = render_one(&set, idx, canaries[i], a, pdoc, err)) <
		    0)
			break;
		if (a->out) {
			error = write_files(a, set, canaries[i], err);
		} else {
			const cJSON *obj;

			objs = gc_xcalloc((size_t)cJSON_GetArraySize(set) + 1,
					  sizeof(*objs));
			cJSON_ArrayForEach (obj, set)
				objs[k++] = obj;
			error = gc_yaml_stream_put(s, objs, k, err);
			free(objs);
		}
		cJSON_Delete(set);
		set = NULL;
	}
	if (s && !error)
		error = gc_yaml_stream_end(s, err);
	if (s && !error && fflush(stdout) != 0)
		error = gc_error_set(err, GC_EOS, "cannot write the output");
	gc_yaml_stream_free(s);
	return error;
}

static int run(const render_args *a, gc_error *err)
{
	gc_index *idx = NULL;
	gc_doclist promoted = GC_DOCLIST_INIT;
	gc_buf data = GC_BUF_INIT;
	gc_problems problems = { NULL, 0, 0 };
	const gc_object **canaries = NULL;
	const gc_doc *pdoc = NULL;
	size_t n = 0, total;
	int error;

	if ((error = gc_cli_load(&idx, &a->src,
				 &(gc_source_opts){ .default_namespace =
							    a->src.default_ns },
				 err)) < 0)
		goto cleanup;
	gc_cli_check(&problems, &total, idx);
	if ((total = gc_cli_print_problems(&problems)) > 0) {
		error = gc_error_set(err, GC_EINVALID,
				     "%zu problem(s) found by validate; "
				     "nothing rendered",
				     total);
		goto cleanup;
	}
	if (a->promoted &&
	    ((error = gc_buf_read_file(&data, a->promoted,
				       GC_YAML_MAX_FILE_BYTES, err)) < 0 ||
	     (error = gc_yaml_parse(&promoted, a->promoted, data.ptr, data.len,
				    err)) < 0))
		goto cleanup;
	for (size_t i = 0; i < promoted.n && !pdoc; i++) {
		const char *kind = gc_json_str(promoted.v[i]->root, "kind");

		if (kind && !strcmp(kind, "Deployment"))
			pdoc = promoted.v[i];
	}
	if (a->promoted && !pdoc) {
		error = gc_error_set_at(err, GC_EINVALID, a->promoted, 0, 0,
					"no Deployment in the promoted file");
		goto cleanup;
	}
	total = gc_index_count(idx);
	canaries = gc_xcalloc(total + 1, sizeof(*canaries));
	for (size_t i = 0; i < total; i++) {
		const gc_object *o = gc_index_at(idx, i);
		char id[512];

		if (strcmp(o->kind, "Canary"))
			continue;
		snprintf(id, sizeof(id), "%s/%s", o->namespace, o->name);
		if (a->canary && strcmp(a->canary, id))
			continue;
		canaries[n++] = o;
	}
	if (a->canary && n == 0) {
		error = gc_error_set(err, GC_ENOTFOUND, "canary '%s' not found",
				     a->canary);
		goto cleanup;
	}
	error = write_out(a, idx, canaries, n, pdoc, err);
cleanup:
	free(canaries);
	gc_doclist_release(&promoted);
	gc_buf_release(&data);
	gc_problems_release(&problems);
	gc_index_free(idx);
	return error;
}

int cmd_render(int argc, char **argv)
{
	render_args a = { 0 };
	gc_error err = GC_ERROR_INIT;
	char *msg;
	int rc;

	if (parse_args(&a, argc, argv, &rc) < 0)
		return rc;
	if (run(&a, &err) < 0) {
		msg = gc_error_format(&err);
		/* a located error reads like a compiler's; the rest is ours */
		fprintf(stderr, "%s%s\n",
			err.path && err.line ? "" : "gitcanary render: ", msg);
		free(msg);
		gc_error_release(&err);
		return GC_EXIT_FAILURE;
	}
	return GC_EXIT_OK;
}
