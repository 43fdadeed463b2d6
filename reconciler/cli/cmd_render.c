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
 * written. The source is loaded with trees on demand and each canary is
 * rendered once, as the checks reach it, and emitted on a second core
 * into a spool (an unlinked temporary file) that goes to stdout or the
 * files only at the end (run).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconciler/cli/cli.h"
#include "render/render.h"
#include "repo-layout/git.h"
#include "repo-layout/layout.h"
#include "repo-layout/source.h"
#include "repo-layout/yaml.h"
#include "util/ahead.h"
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
	const gc_object *o = gc_index_find_tree(c->idx, kind, c->ns, name);

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

/* One canary's objects; its tree is loaded (trees on demand). */
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
		target = gc_index_find_tree(idx, "Deployment", can->namespace,
					    tname);
	if (!target) {
		loc = gc_doc_loc(can->doc,
				 gc_json_get(can->doc->root, "spec.targetRef"));
		return gc_error_set_at(
			err, GC_ENOTFOUND, can->doc->path, loc.line, loc.column,
			"canary '%s/%s': target deployment '%s' not found",
			can->namespace, can->name, tname ? tname : "");
	}
	if (hname)
		hpa = gc_index_find_tree(idx, "HorizontalPodAutoscaler",
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

/*
 * Where the output waits until every canary is checked and rendered, so
 * that an error prints and writes nothing: an unlinked temporary file (in
 * $TMPDIR, else /tmp), or memory when none can be made. For stdout it
 * holds the YAML stream's bytes; for --out, a record per file: the path's
 * length and the data's (two size_t), the path, the data.
 */
typedef struct spool {
	FILE *f; /* NULL: in mem */
	gc_buf mem;
	int failed; /* errno of the first write to f that failed, or 0 */
} spool;

static void spool_open(spool *sp)
{
	const char *tmp = getenv("TMPDIR");
	gc_buf path = GC_BUF_INIT;
	int fd;

	gc_buf_addf(&path, "%s/gitcanary-render-XXXXXX",
		    tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path.ptr)) >= 0) {
		unlink(path.ptr);
		if (!(sp->f = fdopen(fd, "w+b")))
			close(fd);
	}
	gc_buf_release(&path);
}

static void spool_add(spool *sp, const void *data, size_t len)
{
	if (!sp->f)
		gc_buf_add(&sp->mem, data, len);
	else if (fwrite(data, 1, len, sp->f) != len && !sp->failed)
		sp->failed = errno ? errno : EIO;
}

/* Rewinds sp for reading; an error when it could not be written. */
static int spool_rewind(spool *sp, gc_error *err)
{
	if (sp->f && !sp->failed &&
	    (fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_SET) != 0))
		sp->failed = errno ? errno : EIO;
	if (sp->failed)
		return gc_error_set(err, GC_EOS,
				    "cannot write a temporary file: %s",
				    strerror(sp->failed));
	return 0;
}

/* Reads len bytes of sp at *at (memory) or its position (file). */
static bool spool_read(spool *sp, size_t *at, void *out, size_t len)
{
	if (sp->f)
		return fread(out, 1, len, sp->f) == len;
	if (sp->mem.len - *at < len)
		return false;
	memcpy(out, sp->mem.ptr + *at, len);
	*at += len;
	return true;
}

static int spool_to_stdout(spool *sp, gc_error *err)
{
	char chunk[65536];
	size_t n;
	int error;

	if ((error = spool_rewind(sp, err)) < 0)
		return error;
	if (!sp->f) {
		if (fwrite(sp->mem.ptr, 1, sp->mem.len, stdout) != sp->mem.len)
			return gc_error_set(err, GC_EOS,
					    "cannot write the output");
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), sp->f)) > 0)
			if (fwrite(chunk, 1, n, stdout) != n)
				return gc_error_set(err, GC_EOS,
						    "cannot write the output");
		if (ferror(sp->f))
			return gc_error_set(err, GC_EOS,
					    "cannot read a temporary file");
	}
	if (fflush(stdout) != 0)
		return gc_error_set(err, GC_EOS, "cannot write the output");
	return 0;
}

static int spool_to_files(spool *sp, gc_error *err)
{
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	size_t at = 0, len[2];
	int error;

	if ((error = spool_rewind(sp, err)) < 0)
		return error;
	while (error == 0 && spool_read(sp, &at, len, sizeof(len))) {
		gc_buf_clear(&path);
		gc_buf_clear(&data);
		gc_buf_grow(&path, len[0]);
		gc_buf_grow(&data, len[1]);
		if (!spool_read(sp, &at, path.ptr, len[0]) ||
		    !spool_read(sp, &at, data.ptr, len[1])) {
			error = gc_error_set(err, GC_EOS,
					     "cannot read a temporary file");
			break;
		}
		path.ptr[path.len = len[0]] = '\0';
		data.ptr[data.len = len[1]] = '\0';
		error = gc_buf_write_file(path.ptr, data.ptr, data.len, err);
	}
	gc_buf_release(&path);
	gc_buf_release(&data);
	return error;
}

static void spool_close(spool *sp)
{
	if (sp->f)
		fclose(sp->f);
	gc_buf_release(&sp->mem);
}

/* The error of from into to (empty: nothing failed before it). */
static void take_error(gc_error *to, gc_error *from)
{
	gc_error_release(to);
	*to = *from;
	*from = (gc_error)GC_ERROR_INIT;
}

/*
 * The render of the canaries, one at a time as validate's checks reach
 * them (render_each); each canary's objects are emitted as a job of
 * util/ahead.c, on a second core while the checks and renders go on (and
 * on this one when it is ahead: emitting is the larger part of the work,
 * and needs nothing of the index), and come back in order into the spool
 * (emit_done). The first error stops it. docs/benchmarks.md, "render,
 * third round".
 */
typedef struct render_ctx {
	const render_args *a;
	const gc_index *idx;
	const gc_doc *pdoc;
	gc_ahead *ahead;
	spool sp;
	gc_buf tail;  /* what the stream's end adds after the last canary */
	bool started; /* a canary with objects was handed over */
	size_t found; /* canaries selected (--canary: 0 or 1) */
	size_t seen;  /* problems looked at, errors among them */
	size_t errors;
	bool stop; /* an error: render no more */
	int error; /* a render or emit error, in err */
	gc_error err;
} render_ctx;

/* One canary's objects, emitted on either core. */
typedef struct emit_job {
	const render_args *a;
	cJSON *set;
	const char *ns, *name; /* the canary's (the index's strings) */
	bool first;            /* no canary before it has objects */
	gc_buf out, tail;
	int error; /* in err */
	gc_error err;
} emit_job;

/* Its objects as records of files under --out. */
static int emit_files(emit_job *j)
{
	gc_buf yaml = GC_BUF_INIT, path = GC_BUF_INIT;
	const cJSON *obj;
	size_t len[2];
	int error = 0;

	cJSON_ArrayForEach (obj, j->set) {
		gc_buf_clear(&yaml);
		gc_buf_clear(&path);
		if ((error = gc_yaml_emit(&yaml, &obj, 1, &j->err)) < 0)
			break;
		gc_buf_addf(&path, "%s/", j->a->out);
		gc_layout_object_path(&path, j->ns, j->name,
				      gc_json_str(obj, "kind"),
				      gc_json_str(obj, "metadata.name"));
		len[0] = path.len;
		len[1] = yaml.len;
		gc_buf_add(&j->out, len, sizeof(len));
		gc_buf_add(&j->out, path.ptr, path.len);
		gc_buf_add(&j->out, yaml.ptr, yaml.len);
	}
	gc_buf_release(&yaml);
	gc_buf_release(&path);
	return error;
}

/* Its objects as a piece of the one YAML stream of every canary. */
static int emit_stream(emit_job *j)
{
	const cJSON **objs, *obj;
	size_t k = 0;
	int error;

	objs = gc_xcalloc((size_t)cJSON_GetArraySize(j->set) + 1,
			  sizeof(*objs));
	cJSON_ArrayForEach (obj, j->set)
		objs[k++] = obj;
	error = gc_yaml_emit_part(&j->out, &j->tail, objs, k, j->first,
				  &j->err);
	free(objs);
	return error;
}

static void emit_work(void *job, void *payload)
{
	emit_job *j = job;

	(void)payload;
	j->error = j->a->out ? emit_files(j) : emit_stream(j);
	cJSON_Delete(j->set);
	j->set = NULL;
}

/* Into the spool in the canaries' order; after an error, dropped. */
static void emit_done(void *job, void *payload)
{
	emit_job *j = job;
	render_ctx *r = payload;

	if (r->error == 0 && j->error < 0) {
		r->error = j->error;
		take_error(&r->err, &j->err);
	} else if (r->error == 0) {
		spool_add(&r->sp, j->out.ptr, j->out.len);
		if (j->out.len) {
			gc_buf_clear(&r->tail);
			gc_buf_add(&r->tail, j->tail.ptr, j->tail.len);
		}
	}
	gc_buf_release(&j->out);
	gc_buf_release(&j->tail);
	gc_error_release(&j->err);
	free(j);
}

static void render_each(const gc_object *can, const gc_problems *out,
			void *payload)
{
	render_ctx *r = payload;
	const render_args *a = r->a;
	cJSON *set = NULL;
	emit_job *j;
	char id[512];

	snprintf(id, sizeof(id), "%s/%s", can->namespace, can->name);
	if (a->canary && strcmp(a->canary, id))
		return;
	r->found++;
	for (; r->seen < out->n; r->seen++)
		r->errors += !out->v[r->seen].warning;
	if (r->stop || r->error < 0 || r->errors) {
		r->stop = true;
		return;
	}
	if ((r->error = render_one(&set, r->idx, can, a, r->pdoc, &r->err)) <
	    0) {
		cJSON_Delete(set);
		r->stop = true;
		return;
	}
	j = gc_xcalloc(1, sizeof(*j));
	j->a = a;
	j->set = set;
	j->ns = can->namespace;
	j->name = can->name;
	j->first = !r->started;
	j->err = (gc_error)GC_ERROR_INIT;
	r->started |= cJSON_GetArraySize(set) > 0;
	gc_ahead_put(r->ahead, j);
}

/* The promoted file's first Deployment into *pdoc. */
static int read_promoted(gc_doclist *promoted, const gc_doc **pdoc,
			 const char *path, gc_error *err)
{
	gc_buf data = GC_BUF_INIT;
	int error;

	if ((error = gc_buf_read_file(&data, path, GC_YAML_MAX_FILE_BYTES,
				      err)) < 0 ||
	    (error = gc_yaml_parse(promoted, path, data.ptr, data.len, err)) <
		    0)
		goto cleanup;
	for (size_t i = 0; i < promoted->n && !*pdoc; i++) {
		const char *kind = gc_json_str(promoted->v[i]->root, "kind");

		if (kind && !strcmp(kind, "Deployment"))
			*pdoc = promoted->v[i];
	}
	if (!*pdoc)
		error = gc_error_set_at(err, GC_EINVALID, path, 0, 0,
					"no Deployment in the promoted file");
cleanup:
	gc_buf_release(&data);
	return error;
}

/*
 * The trees the index keeps from its load for the checks that come next,
 * in nodes (about 110 bytes each, so about 17 MiB): the files read first
 * are parsed once, and render of 10,000 canaries stays under 48 MiB
 * (docs/benchmarks.md, "render, second round").
 */
#define RENDER_KEEP_NODES ((size_t)160000)

/*
 * Loads the source with trees on demand, then walks validate's checks;
 * each canary is rendered as the checks reach it, while its trees are
 * loaded, and emitted into the spool. Only when the checks found no error
 * and every canary rendered and emitted does the spool go to stdout or the
 * files: otherwise nothing is printed or written. The first error wins, in
 * this order: the checks' problems, the promoted file, an absent --canary,
 * a render or emit.
 */
static int run(const render_args *a, gc_error *err)
{
	gc_index *idx = NULL;
	gc_git *git = NULL; /* the index reads trees again from it */
	gc_doclist promoted = GC_DOCLIST_INIT;
	gc_problems problems = { NULL, 0, 0 };
	gc_error perr = GC_ERROR_INIT;
	render_ctx r = { 0 };
	size_t total;
	int error, perror = 0;

	r.err = (gc_error)GC_ERROR_INIT;
	if ((error = gc_cli_load(&idx, &git, &a->src,
				 &(gc_source_opts){
					 .default_namespace = a->src.default_ns,
					 .trees_on_demand = true,
					 .keep_tree_nodes = RENDER_KEEP_NODES },
				 err)) < 0)
		goto cleanup;
	if (a->promoted)
		perror = read_promoted(&promoted, &r.pdoc, a->promoted, &perr);
	r.a = a;
	r.idx = idx;
	r.stop = perror < 0;
	spool_open(&r.sp);
	r.ahead = gc_ahead_new(emit_work, emit_done, &r);
	gc_cli_check(&problems, &total, idx, render_each, &r);
	gc_ahead_end(r.ahead);
	if ((total = gc_cli_print_problems(&problems)) > 0) {
		error = gc_error_set(err, GC_EINVALID,
				     "%zu problem(s) found by validate; "
				     "nothing rendered",
				     total);
		goto cleanup;
	}
	if (perror < 0) {
		error = perror;
		take_error(err, &perr);
	} else if (a->canary && r.found == 0) {
		error = gc_error_set(err, GC_ENOTFOUND, "canary '%s' not found",
				     a->canary);
	} else if (r.error < 0) {
		error = r.error;
		take_error(err, &r.err);
	} else {
		spool_add(&r.sp, r.tail.ptr, r.tail.len);
		error = a->out ? spool_to_files(&r.sp, err)
			       : spool_to_stdout(&r.sp, err);
	}
cleanup:
	spool_close(&r.sp);
	gc_buf_release(&r.tail);
	gc_error_release(&r.err);
	gc_error_release(&perr);
	gc_doclist_release(&promoted);
	gc_problems_release(&problems);
	gc_index_free(idx);
	gc_git_free(git);
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
