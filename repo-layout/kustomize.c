/*
 * gc_kustomize_build: materialize a root's files, run the kustomize
 * executable (kustomize_run.c), and give every built object the place it
 * came from.
 *
 * What kustomize v5.5 (`kubectl kustomize`, kubectl 1.32) prints with
 * `buildMetadata: [originAnnotations]` in the root kustomization, learnt by
 * running it (paths are relative to the root directory):
 *
 *   a plain resource        config.kubernetes.io/origin: |
 *                             path: deployment.yaml
 *   from a base             path: ../base/deployment.yaml
 *   a file in a subdir      path: sub/svc.yaml
 *   a component's resource  path: ../comp/pdb.yaml
 *   namePrefix, images:,    unchanged: the origin stays the defining file
 *   replicas, labels,       (the transformers are only listed with
 *   strategic-merge and     `transformerAnnotations`, in
 *   JSON patches            alpha.config.kubernetes.io/transformations)
 *   configMapGenerator      configuredIn: kustomization.yaml
 *                           configuredBy:
 *                             apiVersion: builtin
 *                             kind: ConfigMapGenerator
 *   a JSON patch that       configuredIn: ../comp/kustomization.yaml
 *   replaces the whole      configuredBy: {apiVersion: builtin,
 *   metadata/annotations      kind: PatchTransformer}
 *
 * Only the root's buildMetadata counts: a base that asks for origins gets
 * none in an overlay's build that does not. A plain build drops an empty
 * `annotations: {}`, so removing the origin removes a map it leaves empty.
 * kubectl reports a failure on stderr as
 *   E1203 07:32:38.116512 25684 run.go:72] "command failed"
 *   err="invalid Kustomization: json: unknown field \"bogusField\""
 * and kustomize as "Error: ..."; deprecation notes ("# Warning: ...") may
 * come first.
 */
#include "kustomize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/map.h"
#include "yaml.h"

#define ORIGIN "config.kubernetes.io/origin"
#define MSG_MAX 400

/* An input file and, once asked for, its parsed documents. */
typedef struct kstate {
	const gc_kfile *f;
	gc_doclist docs;
	bool parsed, ok;
} kstate;

typedef struct build {
	const char *root; /* "" for the repository root */
	char *kpath;      /* the root's kustomization file */
	kstate *kfile;    /* its state */
	kstate *st;       /* one per input file */
	size_t n;
	gc_map by_path; /* path -> kstate * */
	char *tmp;      /* the temporary directory */
	gc_problems *problems;
	bool keep_origin; /* the root asks for origins itself */
	bool origins;     /* the materialized root asks for them */
} build;

static const char *const kust_names[] = { "kustomization.yaml",
					  "kustomization.yml",
					  "Kustomization" };

/* ---- paths ---- */

static bool clean_path(const char *p, bool may_be_empty)
{
	const char *seg = p;

	if (!*p)
		return may_be_empty;
	if (*p == '/')
		return false;
	for (;;) {
		size_t n = strcspn(seg, "/");

		if (!n || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (!seg[n])
			return true;
		seg += n + 1;
	}
}

/*
 * dir + "/" + rel with "." and ".." resolved, as a repository path
 * ("" = the root); false when it leaves the repository or is absolute.
 */
static bool join_norm(gc_buf *out, const char *dir, const char *rel)
{
	gc_buf in = GC_BUF_INIT;
	const char *seg;
	bool ok = rel[0] != '/';

	gc_buf_clear(out);
	gc_buf_addf(&in, "%s/%s", dir, rel);
	for (seg = in.ptr; ok && *seg;) {
		size_t n = strcspn(seg, "/");

		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash = strrchr(out->ptr, '/');

			ok = out->len > 0;
			gc_buf_truncate(out,
					slash ? (size_t)(slash - out->ptr) : 0);
		} else if (n && !(n == 1 && seg[0] == '.')) {
			if (out->len)
				gc_buf_addch(out, '/');
			gc_buf_add(out, seg, n);
		}
		seg += n + (seg[n] == '/');
	}
	gc_buf_release(&in);
	return ok;
}

static void dir_of(gc_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	gc_buf_clear(out);
	if (slash)
		gc_buf_add(out, path, (size_t)(slash - path));
}

static bool is_kustomization(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	for (size_t i = 0; i < GC_ARRAY_SIZE(kust_names); i++)
		if (!strcmp(base, kust_names[i]))
			return true;
	return false;
}

static kstate *find_file(const build *b, const char *path)
{
	return gc_map_gets(&b->by_path, path);
}

/* Whether a file lies at or below path. */
static bool exists_below(const build *b, const char *path)
{
	size_t n = strlen(path);

	if (find_file(b, path))
		return true;
	for (size_t i = 0; i < b->n; i++)
		if (!n || (!strncmp(b->st[i].f->path, path, n) &&
			   b->st[i].f->path[n] == '/'))
			return true;
	return false;
}

/* The file's documents, parsed once; NULL when it does not parse. */
static const gc_doclist *docs_of(kstate *s)
{
	if (!s)
		return NULL;
	if (!s->parsed) {
		s->parsed = true;
		s->ok = gc_yaml_parse(&s->docs, s->f->path, s->f->data,
				      s->f->len, NULL) == 0;
	}
	return s->ok ? &s->docs : NULL;
}

static const cJSON *kust_root(kstate *s)
{
	const gc_doclist *d = docs_of(s);

	return d && d->n == 1 && cJSON_IsObject(d->v[0]->root) ? d->v[0]->root
							       : NULL;
}

/* ---- messages ---- */

/*
 * One line of at most MSG_MAX bytes (cut at a character boundary), control
 * characters as spaces, the temporary directory as repository paths.
 */
static void sanitize(gc_buf *out, const char *s, size_t len, const char *tmp)
{
	size_t tl = tmp ? strlen(tmp) : 0;

	for (size_t i = 0; i < len && out->len < MSG_MAX;) {
		unsigned char c = (unsigned char)s[i];

		if (tl && !strncmp(s + i, tmp, tl)) {
			i += tl;
			if (s[i] == '/')
				i++;
			else
				gc_buf_addch(out, '.');
			continue;
		}
		gc_buf_addch(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		i++;
	}
	if (out->len >= MSG_MAX) {
		while (out->len &&
		       ((unsigned char)out->ptr[out->len - 1] & 0xc0) == 0x80)
			gc_buf_truncate(out, out->len - 1);
		if (out->len && (unsigned char)out->ptr[out->len - 1] >= 0xc0)
			gc_buf_truncate(out, out->len - 1);
		gc_buf_adds(out, "...");
	}
}

/* Go's quoting of kubectl's err="...": the text, unescaped. */
static void go_unquote(gc_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i] != '"'; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len) {
			c = s[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		gc_buf_addch(out, c);
	}
}

/*
 * The tool's first error line: kubectl's `"command failed" err="..."`, or
 * kustomize's "Error: ...", else the first line that is not a warning,
 * else the first line.
 */
static void first_error(gc_buf *out, const gc_buf *err, const char *tmp)
{
	const char *best = NULL, *any = NULL, *p, *eol;
	gc_buf raw = GC_BUF_INIT;

	for (p = err->ptr; *p; p = *eol ? eol + 1 : eol) {
		const char *q;

		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (eol == p)
			continue;
		if (!any)
			any = p;
		if ((q = strstr(p, "\"command failed\" err=\"")) && q < eol) {
			q += strlen("\"command failed\" err=\"");
			go_unquote(&raw, q, (size_t)(eol - q));
			break;
		}
		/* klog's multi-line form: err=<, the lines indented, > */
		if ((q = strstr(p, "\"command failed\" err=<")) && q < eol &&
		    *eol) {
			p = eol + 1 + strspn(eol + 1, " \t");
			gc_buf_add(&raw, p, strcspn(p, "\n"));
			break;
		}
		if (!strncmp(p, "Error: ", 7)) {
			gc_buf_add(&raw, p + 7, (size_t)(eol - p - 7));
			break;
		}
		if (!best && strncmp(p, "# Warning", 9) &&
		    strncmp(p, "Warning", 7))
			best = p;
	}
	if (!raw.len && (best || any)) {
		p = best ? best : any;
		eol = strchr(p, '\n');
		gc_buf_add(&raw, p, eol ? (size_t)(eol - p) : strlen(p));
	}
	sanitize(out, raw.ptr, raw.len, tmp);
	gc_buf_release(&raw);
}

/*
 * Where in the root's kustomization the message points: the field of
 * `unknown field "X"`, or a resources/components/patches entry it quotes.
 */
static gc_loc locate_message(build *b, const char *msg)
{
	static const char *const lists[] = { "resources", "components", "bases",
					     "patches" };
	const cJSON *root = kust_root(b->kfile);
	const gc_doc *doc = root ? b->kfile->docs.v[0] : NULL;
	const char *uf = strstr(msg, "unknown field \"");
	gc_loc none = { 1, 1, 0, 0 };
	gc_buf q = GC_BUF_INIT;

	if (!root)
		return none;
	if (uf) {
		uf += strlen("unknown field \"");
		gc_buf_add(&q, uf, strcspn(uf, "\""));
		root = cJSON_GetObjectItemCaseSensitive(root, q.ptr);
		gc_buf_release(&q);
		return root ? gc_doc_key_loc(doc, root) : none;
	}
	for (size_t i = 0; i < GC_ARRAY_SIZE(lists); i++) {
		const cJSON *list =
			cJSON_GetObjectItemCaseSensitive(root, lists[i]);
		const cJSON *e;

		cJSON_ArrayForEach (e, list) {
			/* a patches entry quotes its path */
			const cJSON *s = gc_json_get(e, "path");

			if (!s)
				s = e;
			if (!cJSON_IsString(s))
				continue;
			gc_buf_clear(&q);
			gc_buf_addf(&q, "'%s'", s->valuestring);
			if (strstr(msg, q.ptr)) {
				gc_buf_release(&q);
				return gc_doc_loc(doc, s);
			}
		}
	}
	gc_buf_release(&q);
	return none;
}

static void build_failed(build *b, const gc_kustomize__run *r,
			 const gc_kustomize_opts *o, const char *why)
{
	gc_buf msg = GC_BUF_INIT;
	gc_loc loc = { 1, 1, 0, 0 };

	if (r && r->timed_out)
		gc_buf_addf(&msg, "kustomize build timed out after %u ms",
			    o->timeout_ms);
	else if (r && r->too_big)
		gc_buf_addf(&msg,
			    "kustomize build output is larger than %zu bytes",
			    o->max_output);
	else {
		gc_buf_adds(&msg, "kustomize build failed: ");
		if (why)
			sanitize(&msg, why, strlen(why), b->tmp);
		else if (r->err.len)
			first_error(&msg, &r->err, b->tmp);
		else if (WIFSIGNALED(r->status))
			gc_buf_addf(&msg, "killed by signal %d",
				    WTERMSIG(r->status));
		else
			gc_buf_addf(&msg, "exit status %d",
				    WEXITSTATUS(r->status));
		loc = locate_message(b, msg.ptr);
	}
	gc_problems_add(b->problems, b->kpath, loc.line, loc.column, "%s",
			msg.ptr);
	gc_buf_release(&msg);
}

/* ---- no network: remote entries are refused before running ---- */

static bool looks_remote(build *b, const char *kdir, const char *e,
			 bool *outside)
{
	static const char *const schemes[] = { "git@", "gh:", "git::", "ssh:" };
	gc_buf path = GC_BUF_INIT;
	bool local;
	size_t slashes = 0;

	*outside = false;
	if (strstr(e, "://") || strstr(e, "?ref=") || strstr(e, "?version="))
		return true;
	for (size_t i = 0; i < GC_ARRAY_SIZE(schemes); i++)
		if (!strncmp(e, schemes[i], strlen(schemes[i])))
			return true;
	if (!join_norm(&path, kdir, e)) {
		gc_buf_release(&path);
		*outside = true;
		return false;
	}
	local = exists_below(b, path.ptr);
	gc_buf_release(&path);
	if (local)
		return false;
	/* host/org/repo[//dir]: a first segment with a dot, three segments */
	for (const char *p = e; *p; p++)
		slashes += *p == '/';
	return strstr(e, "//") ||
	       (strcspn(e, "/") > strcspn(e, ".") && slashes >= 2 &&
		strncmp(e, "./", 2) && strncmp(e, "../", 3));
}

static void refuse(build *b, kstate *s, const cJSON *e, const char *list,
		   bool outside)
{
	gc_buf name = GC_BUF_INIT;
	gc_loc loc = gc_doc_loc(s->docs.v[0], e);

	sanitize(&name, e->valuestring, strlen(e->valuestring), NULL);
	if (outside)
		gc_problems_add(b->problems, s->f->path, loc.line, loc.column,
				"%s '%s' is outside the repository", list,
				name.ptr);
	else
		gc_problems_add(
			b->problems, s->f->path, loc.line, loc.column,
			"remote %s '%s' is not allowed: builds run without network; vendor it into the repository",
			list, name.ptr);
	gc_buf_release(&name);
}

static size_t check_entries(build *b, kstate *s)
{
	static const char *const lists[] = { "resources", "components",
					     "bases" };
	const cJSON *root = kust_root(s), *e;
	gc_buf kdir = GC_BUF_INIT;
	size_t bad = 0;

	dir_of(&kdir, s->f->path);
	for (size_t i = 0; root && i < GC_ARRAY_SIZE(lists); i++) {
		const cJSON *list =
			cJSON_GetObjectItemCaseSensitive(root, lists[i]);

		cJSON_ArrayForEach (e, list) {
			bool outside, remote;

			if (!cJSON_IsString(e))
				continue;
			remote = looks_remote(b, kdir.ptr, e->valuestring,
					      &outside);
			if (remote || outside) {
				refuse(b, s, e, lists[i], outside);
				bad++;
			}
		}
	}
	gc_buf_release(&kdir);
	return bad;
}

/* ---- asking the build for origins ---- */

/* Byte offset of a 1-based line and column (columns count characters). */
static size_t offset_of(const gc_kfile *f, gc_loc loc)
{
	size_t off = 0;
	unsigned line = 1, col = 1;

	while (off < f->len && line < loc.line)
		line += f->data[off++] == '\n';
	while (off < f->len && col < loc.column && f->data[off] != '\n') {
		off++;
		while (off < f->len &&
		       ((unsigned char)f->data[off] & 0xc0) == 0x80)
			off++;
		col++;
	}
	return off;
}

static bool has_origin_request(const cJSON *root)
{
	const cJSON *e;

	cJSON_ArrayForEach (e,
			    cJSON_GetObjectItemCaseSensitive(root,
							     "buildMetadata"))
		if (cJSON_IsString(e) &&
		    !strcmp(e->valuestring, "originAnnotations"))
			return true;
	return false;
}

/*
 * The root's kustomization text with "originAnnotations" added to its
 * buildMetadata, as an edit of the text (not a re-emitted tree, which
 * would turn `newTag: 1.10` into 1.1): into a flow list or mapping after
 * its '[' or '{', else as a line in front of the first item or key. The
 * result is parsed again; when it is not the same kustomization plus the
 * request, the build runs without origins.
 */
static void request_origins(build *b, gc_buf *text)
{
	const gc_kfile *f = b->kfile->f;
	const cJSON *root = kust_root(b->kfile), *bm, *check;
	const gc_doc *doc = root ? b->kfile->docs.v[0] : NULL;
	gc_doclist again = GC_DOCLIST_INIT;
	gc_loc at;
	size_t off;

	gc_buf_add(text, f->data, f->len);
	if (!root)
		return;
	if ((b->keep_origin = has_origin_request(root)))
		return;
	bm = cJSON_GetObjectItemCaseSensitive(root, "buildMetadata");
	if (bm && !cJSON_IsArray(bm))
		return;
	at = gc_doc_loc(doc, bm ? bm : root);
	off = offset_of(f, at);
	gc_buf_clear(text);
	if (off < f->len && (f->data[off] == '[' || f->data[off] == '{')) {
		gc_buf_add(text, f->data, off + 1);
		gc_buf_adds(text,
			    bm ? "originAnnotations"
			       : "\"buildMetadata\": [originAnnotations]");
		if ((bm ? bm : root)->child)
			gc_buf_adds(text, ", ");
		off++;
	} else {
		gc_buf_add(text, f->data, off);
		gc_buf_adds(text, bm ? "- originAnnotations\n"
				     : "buildMetadata: [originAnnotations]\n");
		for (unsigned i = 1; i < at.column; i++)
			gc_buf_addch(text, ' ');
	}
	gc_buf_add(text, f->data + off, f->len - off);
	if (gc_yaml_parse(&again, f->path, text->ptr, text->len, NULL) == 0 &&
	    again.n == 1 && (check = again.v[0]->root) &&
	    cJSON_IsObject(check) && has_origin_request(check) &&
	    cJSON_GetArraySize(check) == cJSON_GetArraySize(root) + !bm)
		b->origins = true;
	else {
		gc_buf_clear(text);
		gc_buf_add(text, f->data, f->len);
	}
	gc_doclist_release(&again);
}

/* ---- running ---- */

static char **command_argv(const gc_kustomize_opts *o, const char *dir)
{
	const char *cmd = o->command, *p;
	char **argv;
	size_t n = 0;

	if (!cmd)
		cmd = gc_kustomize__on_path("kustomize") ? "kustomize build"
							 : "kubectl kustomize";
	argv = gc_xcalloc(strlen(cmd) / 2 + 3, sizeof(*argv));
	for (p = cmd; *p;) {
		size_t len = strcspn(p, " ");

		if (len)
			argv[n++] = gc_xstrndup(p, len);
		p += len + (p[len] == ' ');
	}
	argv[n] = gc_xstrdup(dir);
	return argv;
}

static void free_argv(char **argv)
{
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int materialize(build *b, gc_error *err)
{
	gc_buf text = GC_BUF_INIT, path = GC_BUF_INIT;
	int error = 0;

	request_origins(b, &text);
	for (size_t i = 0; i < b->n && error >= 0; i++) {
		const gc_kfile *f = b->st[i].f;

		gc_buf_clear(&path);
		gc_buf_addf(&path, "%s/%s", b->tmp, f->path);
		error = &b->st[i] == b->kfile
				? gc_buf_write_file(path.ptr, text.ptr,
						    text.len, err)
				: gc_buf_write_file(path.ptr, f->data, f->len,
						    err);
	}
	gc_buf_release(&text);
	gc_buf_release(&path);
	return error;
}

/* ---- from the output to located documents ---- */

/*
 * Removes the origin annotation (and the annotations it leaves empty)
 * unless the root asked for it; returns it parsed, owned, or NULL.
 */
static cJSON *take_origin(const build *b, cJSON *obj)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	cJSON *o = cJSON_GetObjectItemCaseSensitive(ann, ORIGIN), *out = NULL;
	gc_doclist d = GC_DOCLIST_INIT;

	if (!cJSON_IsString(o))
		return NULL;
	if (gc_yaml_parse(&d, ORIGIN, o->valuestring, strlen(o->valuestring),
			  NULL) == 0 &&
	    d.n == 1 && cJSON_IsObject(d.v[0]->root)) {
		out = d.v[0]->root;
		d.v[0]->root = NULL;
	}
	gc_doclist_release(&d);
	if (!b->keep_origin) {
		cJSON_DeleteItemFromObjectCaseSensitive(ann, ORIGIN);
		if (!ann->child)
			cJSON_DeleteItemFromObjectCaseSensitive(meta,
								"annotations");
	}
	return out;
}

/*
 * The document of a source file a built object came from: same kind, and
 * the same name, else the longest source name the built name contains
 * (namePrefix, nameSuffix).
 */
static const gc_doc *source_doc(const gc_doclist *docs, const cJSON *built)
{
	const char *kind = gc_json_str(built, "kind");
	const char *name = gc_json_str(built, "metadata.name");
	const gc_doc *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; kind && name && i < docs->n; i++) {
		const char *k = gc_json_str(docs->v[i]->root, "kind");
		const char *n = gc_json_str(docs->v[i]->root, "metadata.name");

		if (!k || !n || strcmp(k, kind))
			continue;
		if (!strcmp(n, name))
			return docs->v[i];
		if (strstr(name, n) && (!best || strlen(n) > best_len)) {
			best = docs->v[i];
			best_len = strlen(n);
		}
	}
	return best;
}

static bool same_scalar(const cJSON *a, const cJSON *b)
{
	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	if (cJSON_IsString(a))
		return !strcmp(a->valuestring, b->valuestring);
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble;
	return !cJSON_IsObject(a) && !cJSON_IsArray(a);
}

/* A list item's counterpart: the item of the same name, else by place. */
static const cJSON *counterpart(const cJSON *src, const cJSON *item, int i)
{
	const char *name = gc_json_str(item, "name");
	const cJSON *e;

	if (!cJSON_IsObject(item) || !name)
		return cJSON_GetArrayItem(src, i);
	cJSON_ArrayForEach (e, src) {
		const char *n = gc_json_str(e, "name");

		if (n && !strcmp(n, name))
			return e;
	}
	return NULL;
}

/*
 * Gives every node of built the position of src's node at the same key
 * path when both are mappings, both lists, or equal scalars.
 */
static void copy_locs(gc_doc *to, const cJSON *built, const gc_doc *from,
		      const cJSON *src)
{
	const cJSON *c;
	int i = 0;

	if (!src)
		return;
	if (cJSON_IsObject(built) != cJSON_IsObject(src) ||
	    cJSON_IsArray(built) != cJSON_IsArray(src) ||
	    (!cJSON_IsObject(built) && !cJSON_IsArray(built) &&
	     !same_scalar(built, src)))
		return;
	gc_doc_set_loc(to, built, gc_doc_loc(from, src));
	cJSON_ArrayForEach (c, built) {
		copy_locs(to, c, from,
			  cJSON_IsObject(built)
				  ? cJSON_GetObjectItemCaseSensitive(src,
								     c->string)
				  : counterpart(src, c, i));
		i++;
	}
}

/*
 * The name node of the generator entry that made an object (the longest
 * name the built name contains), in kustomization k; NULL when unknown.
 */
static const cJSON *generator_name(kstate *k, const cJSON *origin,
				   const cJSON *built)
{
	const char *by = gc_json_str(origin, "configuredBy.kind");
	const char *name = gc_json_str(built, "metadata.name");
	const char *field = NULL;
	const cJSON *e, *best = NULL;

	if (by && !strcmp(by, "ConfigMapGenerator"))
		field = "configMapGenerator";
	else if (by && !strcmp(by, "SecretGenerator"))
		field = "secretGenerator";
	if (!field || !name || !kust_root(k))
		return NULL;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(kust_root(k),
								field)) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");

		if (cJSON_IsString(n) && strstr(name, n->valuestring) &&
		    (!best ||
		     strlen(n->valuestring) > strlen(best->valuestring)))
			best = n;
	}
	return best;
}

/* Positions of a built object: from its source file, or its generator. */
static void locate(gc_doc *doc, kstate *src, kstate *gen, const cJSON *origin)
{
	const gc_doclist *docs = docs_of(src);
	const gc_doc *sd = docs ? source_doc(docs, doc->root) : NULL;
	const cJSON *gn = gen ? generator_name(gen, origin, doc->root) : NULL;

	if (sd) {
		doc->start = sd->start;
		copy_locs(doc, doc->root, sd, sd->root);
	} else if (gn) {
		doc->start = gc_doc_loc(gen->docs.v[0], gn);
		gc_doc_set_loc(doc, doc->root, doc->start);
		gc_doc_set_loc(doc, gc_json_get(doc->root, "metadata.name"),
			       doc->start);
	}
	gc_doc_seal(doc);
}

/* One built object as a located document; takes the tree of built. */
static gc_doc *place(build *b, gc_doc *built, unsigned index)
{
	cJSON *tree = built->root;
	cJSON *origin =
		b->origins || b->keep_origin ? take_origin(b, tree) : NULL;
	const char *p = gc_json_str(origin, "path");
	const char *cin = gc_json_str(origin, "configuredIn");
	gc_buf path = GC_BUF_INIT;
	kstate *src = NULL, *gen = NULL;
	gc_doc *doc;

	if (p && join_norm(&path, b->root, p))
		src = find_file(b, path.ptr);
	else if (cin && join_norm(&path, b->root, cin))
		gen = find_file(b, path.ptr);
	if (!src && !gen) {
		gc_buf_clear(&path);
		gc_buf_adds(&path, b->kpath);
	}
	doc = gc_doc_new(path.ptr, index);
	doc->root = tree;
	built->root = NULL;
	doc->via = gc_xstrdup(b->kpath);
	doc->start = (gc_loc){ 1, 1, 0, 0 };
	locate(doc, src, gen, origin);
	cJSON_Delete(origin);
	gc_buf_release(&path);
	return doc;
}

/* The output as documents in `placed`; false (a problem) when it is not. */
/*
 * Parses the output one document at a time (at the "---" lines kustomize
 * puts between objects, which a nested block scalar cannot hold), so a
 * large build is not held to gc_yaml_parse's limit on one file.
 */
static int parse_output(gc_doclist *built, const char *path, const char *s,
			size_t len, gc_error *err)
{
	size_t start = 0, line = 0;
	int error = 0;

	while (error >= 0 && start < len) {
		const char *nl = memchr(s + line, '\n', len - line);
		size_t next = nl ? (size_t)(nl - s) + 1 : len;
		bool sep = next - line == 4 && !memcmp(s + line, "---\n", 4);

		if (sep || next == len) {
			size_t end = sep ? line : len;

			if (end > start)
				error = gc_yaml_parse(built, path, s + start,
						      end - start, err);
			start = next;
		}
		line = next;
	}
	return error;
}

static bool read_output(build *b, const gc_kustomize__run *r,
			const gc_kustomize_opts *o, gc_doclist *placed)
{
	gc_doclist built = GC_DOCLIST_INIT;
	gc_error perr = GC_ERROR_INIT;
	bool ok = parse_output(&built, b->kpath, r->out.ptr, r->out.len,
			       &perr) == 0;

	for (size_t i = 0; ok && i < built.n; i++)
		if (!cJSON_IsObject(built.v[i]->root) ||
		    !gc_json_str(built.v[i]->root, "kind")) {
			gc_error_set(&perr, GC_EPARSE,
				     "output document %zu is not an object",
				     i + 1);
			ok = false;
		}
	if (!ok) {
		gc_buf why = GC_BUF_INIT;

		gc_buf_addf(&why, "output does not parse: %s",
			    gc_error_msg(&perr));
		build_failed(b, NULL, o, why.ptr);
		gc_buf_release(&why);
	}
	for (size_t i = 0; ok && i < built.n; i++)
		gc_doclist_push(placed, place(b, built.v[i], (unsigned)i));
	gc_doclist_release(&built);
	gc_error_release(&perr);
	return ok;
}

/* ---- the build ---- */

static int setup(build *b, const char *root, const gc_kfile *files, size_t n,
		 gc_error *err)
{
	gc_buf kp = GC_BUF_INIT;
	gc_error perr = GC_ERROR_INIT;

	b->root = !strcmp(root, ".") ? "" : root;
	if (!clean_path(b->root, true))
		return gc_error_set(
			err, GC_EINVALID,
			"kustomize root '%s' is not a clean relative path",
			root);
	b->st = gc_xcalloc(n ? n : 1, sizeof(*b->st));
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!clean_path(files[i].path, false))
			return gc_error_set(
				err, GC_EINVALID,
				"kustomize input '%s' is not a clean relative path",
				files[i].path);
		b->st[i].f = &files[i];
		gc_map_sets(&b->by_path, files[i].path, &b->st[i]);
	}
	for (size_t i = 0; !b->kfile && i < GC_ARRAY_SIZE(kust_names); i++) {
		gc_buf_clear(&kp);
		gc_buf_addf(&kp, "%s%s%s", b->root, *b->root ? "/" : "",
			    kust_names[i]);
		b->kfile = find_file(b, kp.ptr);
	}
	if (!b->kfile) {
		gc_buf_release(&kp);
		return gc_error_set(
			err, GC_EINVALID,
			"no kustomization file in '%s' among the inputs", root);
	}
	b->kpath = gc_buf_detach(&kp, NULL);
	b->kfile->parsed = true;
	b->kfile->ok =
		gc_yaml_parse(&b->kfile->docs, b->kpath, b->kfile->f->data,
			      b->kfile->f->len, &perr) == 0;
	if (!b->kfile->ok)
		gc_problems_add_error(b->problems, &perr);
	gc_error_release(&perr);
	return 0;
}

/* Problems for remote or outside entries of every kustomization. */
static size_t check_inputs(build *b)
{
	size_t bad = !b->kfile->ok; /* the root's syntax error: reported */

	for (size_t i = 0; i < b->n; i++)
		if (is_kustomization(b->st[i].f->path))
			bad += check_entries(b, &b->st[i]);
	return bad;
}

int gc_kustomize_build(const gc_kustomize_opts *opts, const char *root,
		       const gc_kfile *files, size_t nfiles, gc_doclist *out,
		       gc_problems *problems, gc_error *err)
{
	gc_kustomize_opts o = { NULL, 0, 0 };
	build b;
	gc_kustomize__run r = { GC_BUF_INIT, GC_BUF_INIT, 0, false, false };
	gc_doclist placed = GC_DOCLIST_INIT;
	gc_buf dir = GC_BUF_INIT;
	char **argv = NULL;
	int error;

	if (opts)
		o = *opts;
	if (!o.timeout_ms)
		o.timeout_ms = GC_KUSTOMIZE_TIMEOUT_MS;
	if (!o.max_output)
		o.max_output = GC_KUSTOMIZE_MAX_OUTPUT;
	memset(&b, 0, sizeof(b));
	b.problems = problems;
	if ((error = setup(&b, root, files, nfiles, err)) < 0 ||
	    check_inputs(&b) > 0)
		goto cleanup;
	if ((error = gc_kustomize__tmpdir(&b.tmp, err)) < 0 ||
	    (error = materialize(&b, err)) < 0)
		goto cleanup;
	gc_buf_addf(&dir, "%s%s%s", b.tmp, *b.root ? "/" : "", b.root);
	argv = command_argv(&o, dir.ptr);
	if ((error = gc_kustomize__exec(&r, argv, b.tmp, o.timeout_ms,
					o.max_output, err)) < 0)
		goto cleanup;
	if (r.timed_out || r.too_big || !WIFEXITED(r.status) ||
	    WEXITSTATUS(r.status))
		build_failed(&b, &r, &o, NULL);
	else if (read_output(&b, &r, &o, &placed))
		for (size_t i = 0; i < placed.n; i++)
			gc_doclist_push(out, placed.v[i]);
	placed.n = 0; /* handed over */
cleanup:
	if (b.tmp)
		gc_kustomize__rmrf(b.tmp);
	for (size_t i = 0; i < b.n; i++)
		gc_doclist_release(&b.st[i].docs);
	free(b.st);
	free(b.tmp);
	free(b.kpath);
	gc_map_release(&b.by_path);
	gc_doclist_release(&placed);
	gc_kustomize__run_release(&r);
	gc_buf_release(&dir);
	if (argv)
		free_argv(argv);
	return error;
}
