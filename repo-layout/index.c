/*
 * The manifest index: every document of a commit or a directory, indexed
 * by kind, namespace and name, with namespaces resolved by the rules of
 * the design brief and names checked before they can become paths.
 */
#include "index.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "yaml.h"

/*
 * The index is kept per file so that a new commit can replace a few files
 * and re-evaluate only what they affect (gc_source_update_git): a file's
 * documents, a document's own problems and the claims on each
 * kind/namespace/name key. The objects list callers see (path order then
 * document order) follows each change in place once the index is settled;
 * a load, a new default namespace or a large update rebuild it instead.
 * Which files are in it, and the namespace their kustomizations give them,
 * is the build plan's (roots.c, source.c). The problems list is rebuilt at
 * each settle, but only when some file or document has a problem.
 */
typedef struct idoc {
	gc_doc *doc; /* owned */
	gc_object
		obj; /* filled when the document is an object or claims a key */
	char *ns;    /* its metadata.namespace, NULL = none */
	gc_loc at;   /* where its root is (for duplicate problems) */
	bool valid;  /* an object with valid names: obj has them */
	gc_problems *local; /* owned or NULL: shape, name, namespace problems */
	struct idoc *next;  /* next claimant of the same key, document order */
	struct idoc *prev;  /* the one before, NULL for the first */
	struct idoc *tail;  /* on the first claimant: the last one */
	bool claims;        /* obj names a key (owner or duplicate) */
	bool owner;         /* first claimant: the object of its key */
	bool listed;        /* &obj is in the objects list */
	/*
	 * An invalid flagger.app document (a misspelt Canary): the kind and
	 * name of its targetRef, and its own namespace (owned), whose object
	 * is held as deployed (gc_index_held); NULL otherwise.
	 */
	const char *held_kind, *held_name;
	char *held_ns;
} idoc;

typedef struct ifile {
	idoc *docs;
	size_t n;
	gc_problems problems; /* the file's own: syntax, binary, empty */
	char *ns;             /* namespace its kustomizations give, or NULL */
	bool built;           /* a kustomize build's output: never trimmed */
	bool dirty;           /* documents to evaluate at the next settle */
	bool trimmed;         /* trees dropped (gc_index_trim) */
	bool reloaded;        /* in the index's list of files loaded again */
	char path[];
} ifile;

struct gc_index {
	ifile **files; /* always in path order */
	size_t nfiles, falloc;
	bool settled;
	bool relist;   /* rebuild the objects list at the next settle */
	ifile **dirty; /* files added since the last settle */
	size_t ndirty, dalloc;
	size_t nset;     /* set_file calls since the last settle */
	gc_map by_key;   /* "kind\0ns\0name" -> first claimant idoc* or NULL */
	gc_map ns_names; /* namespace -> its one owned copy */
	gc_map strings;  /* apiVersions, kinds and names of objects */
	/*
	 * trees on demand: where files are read again (gc_index_load), a
	 * commit of git or a directory (owned)
	 */
	gc_git *git;
	char commit[GC_OID_HEX];
	char *dir;
	bool lazy;
	size_t keep; /* nodes whose trees may still be kept (set_file) */
	/*
	 * Files parsed again since the last trim, which the trim visits;
	 * behind a pointer because gc_index_load adds to it through a const
	 * index (the trees it reloads are a cache, not part of what the index
	 * says). Owned.
	 */
	struct reloaded {
		ifile **v;
		size_t n, alloc;
	} * reloaded;
	bool untrimmed;   /* files were set with trees outside the list */
	char *default_ns; /* of the last settle */
	size_t ndocs;
	/* what the problems list is made of: rebuilt only when not 0 */
	size_t problem_files, problem_docs, claims, keys;
	gc_object **objs; /* path order then document order */
	size_t n, alloc;
	/* problems of directories (a load's), then of files in path order */
	gc_problems phase1;
	gc_problems plan; /* of the build plan (gc_index__set_plan_problems) */
	gc_map held;      /* keys of held targets, rebuilt with the problems */
	gc_problems problems;
	/* where the files come from: source.c's, freed with the index */
	gc_src_tree tree;
	gc_plan build_plan;
};

/* Kubernetes requires label rules for these kinds, subdomains elsewhere. */
static bool check_name(const char *kind, const char *name, const char **why)
{
	if (!strcmp(kind, "Namespace"))
		return gc_name_is_dns1123_label(name, why);
	if (!strcmp(kind, "Service"))
		return gc_name_is_dns1035_label(name, why);
	return gc_name_is_dns1123_subdomain(name, why);
}

/* ---- building ---- */

gc_index *gc_index__new(void)
{
	gc_index *idx = gc_xcalloc(1, sizeof(gc_index));

	idx->reloaded = gc_xcalloc(1, sizeof(*idx->reloaded));
	return idx;
}

static void offset_loc(const char *data, size_t off, unsigned *line,
		       unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

void gc_index__parse(const char *path, const char *data, size_t len,
		     gc_doclist *docs, gc_problems *problems)
{
	gc_error err = GC_ERROR_INIT;
	const char *nul = len ? memchr(data, '\0', len) : NULL;
	size_t before = docs->n;
	unsigned line, col;

	if (len > GC_YAML_MAX_FILE_BYTES) {
		gc_problems_add(problems, path, 1, 1,
				"file is larger than %u bytes; not loaded",
				GC_YAML_MAX_FILE_BYTES);
		return;
	}
	if (nul) {
		offset_loc(data, (size_t)(nul - data), &line, &col);
		gc_problems_add(problems, path, line, col, "%s",
				"binary file (NUL byte); not a YAML manifest");
		return;
	}
	if (gc_yaml_parse(docs, path, data, len, &err) < 0) {
		gc_problems_add_error(problems, &err);
		gc_error_release(&err);
		return;
	}
	if (docs->n == before)
		gc_problems_add(problems, path, 1, 1, "%s",
				"file has no YAML documents");
}

void gc_index__set_plan_problems(gc_index *idx, gc_problems *problems)
{
	gc_problems_release(&idx->plan);
	idx->plan = *problems;
	memset(problems, 0, sizeof(*problems));
}

gc_src_tree *gc_index__tree(gc_index *idx)
{
	return &idx->tree;
}

gc_plan *gc_index__plan(gc_index *idx)
{
	return &idx->build_plan;
}

static void problems_copy(gc_problems *to, const gc_problems *from)
{
	for (size_t i = 0; from && i < from->n; i++) {
		gc_problems_add(to, from->v[i].path, from->v[i].line,
				from->v[i].column, "%s", from->v[i].msg);
		if (from->v[i].warning)
			gc_problems_last_is_warning(to);
	}
}

/* Frees a list of problems and NULLs the pointer. */
static void problems_drop(gc_problems **p)
{
	if (!*p)
		return;
	gc_problems_release(*p);
	GC_FREE_AND_NULL(*p);
}

/* The heap copy of what p holds (p is left empty), or NULL when empty. */
static gc_problems *problems_take(gc_problems *p)
{
	gc_problems *out;

	if (!p->n) {
		gc_problems_release(p);
		return NULL;
	}
	out = gc_xmalloc(sizeof(*out));
	*out = *p;
	memset(p, 0, sizeof(*p));
	return out;
}

/* A required string member; records a problem and returns NULL when bad. */
static const char *need_str(gc_problems *problems, const gc_doc *doc,
			    const cJSON *parent, const cJSON *where,
			    const char *key, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
	gc_loc loc;

	if (cJSON_IsString(v) && *v->valuestring)
		return v->valuestring;
	loc = v ? gc_doc_loc(doc, v) : gc_doc_key_loc(doc, where);
	if (!v)
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"document has no %s", field);
	else
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"%s must be a non-empty string", field);
	return NULL;
}

static void key_of(gc_buf *key, const char *kind, const char *ns,
		   const char *name)
{
	gc_buf_clear(key);
	gc_buf_adds(key, kind);
	gc_buf_addch(key, '\0');
	gc_buf_adds(key, ns ? ns : "");
	gc_buf_addch(key, '\0');
	gc_buf_adds(key, name);
}

/* The index's one copy of a namespace name (objects share it). */
static char *intern_namespace(gc_index *idx, const char *ns)
{
	char *copy = gc_map_gets(&idx->ns_names, ns);

	if (!copy) {
		copy = gc_xstrdup(ns);
		gc_map_sets(&idx->ns_names, ns, copy);
	}
	return copy;
}

/*
 * The index's one copy of an apiVersion, kind or name: objects keep their
 * identity when their trees are dropped (gc_index_trim). Kept until the
 * index is freed (a renamed object leaves its old name behind).
 */
static const char *intern(gc_index *idx, const char *s)
{
	const char *copy = gc_map_key(&idx->strings, s);

	if (!copy) {
		gc_map_sets(&idx->strings, s, (void *)1);
		copy = gc_map_key(&idx->strings, s);
	}
	return copy;
}

/*
 * The metadata.namespace of a document into *out (NULL when absent or
 * empty: inherited at evaluation); false after a problem.
 */
static bool object_namespace(gc_index *idx, gc_problems *problems,
			     const gc_doc *doc, char **out)
{
	const cJSON *ns = gc_json_get(doc->root, "metadata.namespace");
	const char *why;
	gc_loc loc;

	*out = NULL;
	if (!ns || cJSON_IsNull(ns) ||
	    (cJSON_IsString(ns) && !*ns->valuestring))
		return true;
	loc = gc_doc_loc(doc, ns);
	if (!cJSON_IsString(ns)) {
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"metadata.namespace must be a string, not %s",
				gc_json_type_name(ns));
		return false;
	}
	if (!gc_name_is_dns1123_label(ns->valuestring, &why)) {
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"invalid namespace '%s': %s", ns->valuestring,
				why);
		return false;
	}
	*out = intern_namespace(idx, ns->valuestring);
	return true;
}

/* Document order: file, then position in the file. */
static int cmp_doc_order(const gc_object *x, const gc_object *y)
{
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->doc->index < y->doc->index ? -1
					     : x->doc->index > y->doc->index;
}

/*
 * The first i below n for which before(list, i, key) is false, n when none:
 * where key is or would go in a sorted list.
 */
static size_t bisect(const void *list, size_t n, const void *key,
		     bool (*before)(const void *list, size_t i,
				    const void *key))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before(list, mid, key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool object_before(const void *list, size_t i, const void *obj)
{
	const gc_object *const *objs = list;

	return cmp_doc_order(objs[i], obj) < 0;
}

/* Position of an object in the objects list, or where it would go. */
static size_t object_pos(const gc_index *idx, const gc_object *obj)
{
	return bisect(idx->objs, idx->n, obj, object_before);
}

/*
 * Puts d's object in or takes it out of the objects list, as its flags
 * now say, unless the list is rebuilt at the next settle anyway.
 */
static void relist(gc_index *idx, idoc *d)
{
	bool want = d->owner;
	size_t at;

	if (!idx->settled || idx->relist || want == d->listed)
		return;
	at = object_pos(idx, &d->obj);
	if (want) {
		if (idx->n == idx->alloc) {
			idx->alloc = idx->alloc ? idx->alloc * 2 : 32;
			idx->objs =
				gc_xrealloc(idx->objs,
					    idx->alloc * sizeof(*idx->objs));
		}
		memmove(&idx->objs[at + 1], &idx->objs[at],
			(idx->n - at) * sizeof(*idx->objs));
		idx->objs[at] = &d->obj;
		idx->n++;
	} else {
		GC_ASSERT(at < idx->n && idx->objs[at] == &d->obj);
		memmove(&idx->objs[at], &idx->objs[at + 1],
			(idx->n - at - 1) * sizeof(*idx->objs));
		idx->n--;
	}
	d->listed = want;
}

static void set_owner(gc_index *idx, idoc *d, bool owner)
{
	d->owner = owner;
	relist(idx, d);
}

/*
 * Claimants of a key form a list in document order, doubly linked with
 * the last one known, so a load's appends and any removal are O(1): a
 * file of 80,000 duplicates loads in linear time.
 */
static void claim(gc_index *idx, idoc *d, const gc_buf *key)
{
	idoc *head = gc_map_get(&idx->by_key, key->ptr, key->len), *x;

	d->claims = true;
	idx->claims++;
	if (!head) {
		d->prev = d->next = NULL;
		d->tail = d;
		idx->keys++;
		set_owner(idx, d, true);
		gc_map_put(&idx->by_key, key->ptr, key->len, d);
		return;
	}
	if (cmp_doc_order(&head->tail->obj, &d->obj) < 0) {
		d->prev = head->tail;
		d->next = NULL;
		head->tail->next = d;
		head->tail = d;
		return;
	}
	for (x = head; cmp_doc_order(&x->obj, &d->obj) < 0; x = x->next)
		;
	d->next = x;
	d->prev = x->prev;
	x->prev = d;
	if (d->prev) {
		d->prev->next = d;
		return;
	}
	d->tail = head->tail; /* d comes first: it owns the key now */
	set_owner(idx, head, false);
	set_owner(idx, d, true);
	gc_map_put(&idx->by_key, key->ptr, key->len, d);
}

static void unclaim(gc_index *idx, idoc *d, gc_buf *key)
{
	idoc *head;

	if (!d->claims)
		return;
	key_of(key, d->obj.kind, d->obj.namespace, d->obj.name);
	head = gc_map_get(&idx->by_key, key->ptr, key->len);
	if (d->next)
		d->next->prev = d->prev;
	if (d->prev)
		d->prev->next = d->next;
	idx->claims--;
	if (d == head) {
		head = d->next;
		if (head) {
			head->tail = d->tail;
			set_owner(idx, head, true);
		} else {
			idx->keys--;
		}
		gc_map_put(&idx->by_key, key->ptr, key->len, head);
	} else if (head && head->tail == d) {
		head->tail = d->prev;
	}
	d->next = d->prev = d->tail = NULL;
	d->claims = false;
	set_owner(idx, d, false);
}

/*
 * A flagger.app document that is no object (a misspelt kind, a bad
 * name): the object its spec.targetRef names is held as deployed, so a
 * typo never sends a new image out without its canary.
 */
static void hold_target(gc_index *idx, idoc *d)
{
	const cJSON *root = d->doc->root;
	const char *api = gc_json_str(root, "apiVersion");
	const char *kind = gc_json_str(root, "spec.targetRef.kind");
	const char *name = gc_json_str(root, "spec.targetRef.name");
	const char *ns = gc_json_str(root, "metadata.namespace");

	if (!api || strncmp(api, "flagger.app/", 12) || !name)
		return;
	d->held_kind = intern(idx, kind ? kind : "Deployment");
	d->held_name = intern(idx, name);
	d->held_ns = ns && *ns ? gc_xstrdup(ns) : NULL;
}

/*
 * Checks one document's shape and names, which do not depend on other
 * files: fills obj's identity and d->ns, or adds problems.
 */
static bool check_object(gc_index *idx, idoc *d, gc_problems *problems)
{
	gc_doc *doc = d->doc;
	const cJSON *root = doc->root, *meta;
	const char *api, *kind, *name, *why;
	char *ns = NULL;
	gc_loc loc = gc_doc_loc(doc, root);

	if (!cJSON_IsObject(root)) {
		gc_problems_add(
			problems, doc->path, loc.line, loc.column,
			"document is %s, not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)",
			gc_json_type_name(root));
		return false;
	}
	api = need_str(problems, doc, root, root, "apiVersion", "apiVersion");
	kind = need_str(problems, doc, root, root, "kind", "kind");
	meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
	if (!meta) {
		gc_problems_add(problems, doc->path, loc.line, loc.column, "%s",
				"document has no metadata.name");
		return false;
	}
	if (!cJSON_IsObject(meta)) {
		loc = gc_doc_loc(doc, meta);
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"metadata must be a mapping, not %s",
				gc_json_type_name(meta));
		return false;
	}
	name = need_str(problems, doc, meta, meta, "name", "metadata.name");
	if (!api || !kind || !name)
		return false;
	if (!gc_kind_exists_in_group(api, kind)) {
		loc = gc_doc_loc(doc, cJSON_GetObjectItem(root, "kind"));
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"%s has no kind '%s'", api, kind);
		return false;
	}
	if (!check_name(kind, name, &why)) {
		loc = gc_doc_loc(doc, cJSON_GetObjectItem(meta, "name"));
		gc_problems_add(problems, doc->path, loc.line, loc.column,
				"invalid %s name '%s': %s", kind, name, why);
		return false;
	}
	if (!gc_kind_is_cluster_scoped(kind) &&
	    !object_namespace(idx, problems, doc, &ns))
		return false;
	d->obj.api_version = intern(idx, api);
	d->obj.kind = intern(idx, kind);
	d->obj.name = intern(idx, name);
	d->ns = ns;
	return true;
}

/*
 * Resolves the namespace of one document (its kustomizations', else its
 * own, else the default) and claims its key.
 */
static void evaluate(gc_index *idx, const ifile *f, idoc *d, gc_buf *key)
{
	unclaim(idx, d, key);
	if (!d->valid)
		return;
	if (gc_kind_is_cluster_scoped(d->obj.kind))
		d->obj.namespace = NULL;
	else if (f->ns)
		d->obj.namespace = intern_namespace(idx, f->ns);
	else
		d->obj.namespace =
			d->ns ? d->ns
			      : intern_namespace(idx, idx->default_ns
							      ? idx->default_ns
							      : "default");
	key_of(key, d->obj.kind, d->obj.namespace, d->obj.name);
	claim(idx, d, key);
}

static bool file_before(const void *list, size_t i, const void *path)
{
	const ifile *const *files = list;

	return strcmp(files[i]->path, path) < 0;
}

/* Position of path in the files, or where it would go. */
static size_t file_pos(const gc_index *idx, const char *path)
{
	return bisect(idx->files, idx->nfiles, path, file_before);
}

static ifile *find_file(const gc_index *idx, const char *path)
{
	size_t at = file_pos(idx, path);

	return at < idx->nfiles && !strcmp(idx->files[at]->path, path)
		       ? idx->files[at]
		       : NULL;
}

/* Frees what a file owns (not its claims or its place in the lists). */
static void file_free(ifile *f)
{
	for (size_t i = 0; i < f->n; i++) {
		problems_drop(&f->docs[i].local);
		free(f->docs[i].held_ns);
		gc_doc_free(f->docs[i].doc);
	}
	gc_problems_release(&f->problems);
	free(f->ns);
	free(f->docs);
	free(f);
}

static void remove_file(gc_index *idx, ifile *f)
{
	gc_buf key = GC_BUF_INIT;
	size_t i;

	for (i = 0; i < f->n; i++) {
		idoc *d = &f->docs[i];

		unclaim(idx, d, &key);
		relist(idx, d);
		idx->problem_docs -= d->local != NULL;
	}
	idx->ndocs -= f->n;
	idx->problem_files -= f->problems.n > 0;
	if (f->dirty) {
		for (i = idx->ndirty; idx->dirty[--i] != f;)
			;
		idx->dirty[i] = idx->dirty[--idx->ndirty];
	}
	if (f->reloaded) {
		struct reloaded *r = idx->reloaded;

		for (i = r->n; r->v[--i] != f;)
			;
		r->v[i] = r->v[--r->n];
	}
	i = file_pos(idx, f->path);
	memmove(&idx->files[i], &idx->files[i + 1],
		(idx->nfiles - i - 1) * sizeof(*idx->files));
	idx->nfiles--;
	file_free(f);
	gc_buf_release(&key);
}

static void trim_file(ifile *f)
{
	if (f->built || f->trimmed)
		return;
	for (size_t j = 0; j < f->n; j++)
		gc_doc_trim(f->docs[j].doc);
	f->trimmed = true;
}

/* Whether f's trees fit what may still be kept; takes them from it. */
static bool keep_trees(gc_index *idx, const ifile *f)
{
	size_t nodes = 0;

	for (size_t i = 0; i < f->n; i++)
		nodes += f->docs[i].doc->pos_n;
	if (nodes > idx->keep)
		return false;
	idx->keep -= nodes;
	return true;
}

static int cmp_doc(const void *a, const void *b)
{
	const gc_doc *x = *(const gc_doc *const *)a;
	const gc_doc *y = *(const gc_doc *const *)b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Past this many files set between two settles, relist at the settle. */
#define RELIST_FILES 64

bool gc_index__set_ns(gc_index *idx, const char *path, const char *ns)
{
	ifile *f = find_file(idx, path);

	if (!f)
		return false;
	free(f->ns);
	f->ns = ns && *ns ? gc_xstrdup(ns) : NULL;
	if (idx->settled && !f->dirty) {
		if (idx->ndirty == idx->dalloc) {
			idx->dalloc = idx->dalloc ? idx->dalloc * 2 : 16;
			idx->dirty =
				gc_xrealloc(idx->dirty,
					    idx->dalloc * sizeof(*idx->dirty));
		}
		idx->dirty[idx->ndirty++] = f;
		f->dirty = true;
	}
	return true;
}

void gc_index__set_file(gc_index *idx, const char *path, gc_doclist *docs,
			gc_problems *problems, const char *ns, bool built)
{
	ifile *f = find_file(idx, path);
	size_t at, len = strlen(path);

	if (++idx->nset > RELIST_FILES)
		idx->relist = true;
	if (f)
		remove_file(idx, f);
	if (!docs)
		return;
	f = gc_xcalloc(1, sizeof(*f) + len + 1);
	memcpy(f->path, path, len + 1);
	f->ns = ns && *ns ? gc_xstrdup(ns) : NULL;
	f->built = built;
	if (docs->n > 1 && !built)
		qsort(docs->v, docs->n, sizeof(*docs->v), cmp_doc);
	f->n = docs->n;
	f->docs = gc_xcalloc(f->n ? f->n : 1, sizeof(*f->docs));
	for (size_t i = 0; i < f->n; i++) {
		idoc *d = &f->docs[i];
		gc_problems p = { 0 };

		d->doc = docs->v[i];
		if (built)
			d->doc->index =
				(unsigned)i; /* its place in the output */
		d->obj.doc = d->doc;
		d->obj.file = f->path;
		d->at = gc_doc_loc(d->doc, d->doc->root);
		d->valid = check_object(idx, d, &p);
		if (!d->valid)
			hold_target(idx, d);
		if ((d->local = problems_take(&p)))
			idx->problem_docs++;
	}
	if (idx->lazy && !built && !keep_trees(idx, f))
		trim_file(f);
	idx->untrimmed |= !f->trimmed && !built;
	idx->ndocs += f->n;
	docs->n = 0;
	gc_doclist_release(docs);
	if (problems) {
		f->problems = *problems;
		memset(problems, 0, sizeof(*problems));
	}
	idx->problem_files += f->problems.n > 0;
	if (idx->nfiles == idx->falloc) {
		idx->falloc = idx->falloc ? idx->falloc * 2 : 64;
		idx->files = gc_xrealloc(idx->files,
					 idx->falloc * sizeof(*idx->files));
	}
	/* both loaders give (nearly) path order: this is (nearly) an append */
	at = file_pos(idx, path);
	memmove(&idx->files[at + 1], &idx->files[at],
		(idx->nfiles - at) * sizeof(*idx->files));
	idx->files[at] = f;
	idx->nfiles++;
	if (idx->ndirty == idx->dalloc) {
		idx->dalloc = idx->dalloc ? idx->dalloc * 2 : 16;
		idx->dirty = gc_xrealloc(idx->dirty,
					 idx->dalloc * sizeof(*idx->dirty));
	}
	idx->dirty[idx->ndirty++] = f;
	f->dirty = true;
	for (size_t i = 0; i < f->n; i++)
		relist(idx, &f->docs[i]);
}

static void evaluate_file(gc_index *idx, ifile *f, gc_buf *key)
{
	for (size_t j = 0; j < f->n; j++)
		evaluate(idx, f, &f->docs[j], key);
}

static void push_object(gc_index *idx, gc_object *o)
{
	if (idx->n == idx->alloc) {
		idx->alloc = idx->alloc ? idx->alloc * 2 : 32;
		idx->objs =
			gc_xrealloc(idx->objs, idx->alloc * sizeof(*idx->objs));
	}
	idx->objs[idx->n++] = o;
}

static void duplicate_problem(gc_index *idx, const idoc *d, gc_buf *key)
{
	const gc_object *o = &d->obj;
	const idoc *first;
	gc_loc loc = d->at, floc;

	key_of(key, o->kind, o->namespace, o->name);
	first = gc_map_get(&idx->by_key, key->ptr, key->len);
	floc = first->at;
	gc_problems_add(&idx->problems, o->doc->path, loc.line, loc.column,
			"duplicate %s %s%s%s (first defined at %s:%u:%u)",
			o->kind, o->namespace ? o->namespace : "",
			o->namespace ? "/" : "", o->name, first->doc->path,
			floc.line, floc.column);
}

/* The objects list, from the files. */
static void rebuild_objects(gc_index *idx)
{
	idx->n = 0;
	for (size_t i = 0; i < idx->nfiles; i++) {
		ifile *f = idx->files[i];

		for (size_t j = 0; j < f->n; j++) {
			idoc *d = &f->docs[j];

			d->listed = d->owner;
			if (d->listed)
				push_object(idx, &d->obj);
		}
	}
}

/* The held key of an invalid document, as evaluate would place it. */
static void held_key(const gc_index *idx, const ifile *f, const idoc *d,
		     gc_buf *key)
{
	const char *ns = f->ns             ? f->ns
			 : d->held_ns      ? d->held_ns
			 : idx->default_ns ? idx->default_ns
					   : "default";

	key_of(key, d->held_kind, ns, d->held_name);
}

/* The problems list, from the files; the held targets with it. */
static void rebuild_problems(gc_index *idx)
{
	gc_buf key = GC_BUF_INIT;

	gc_map_release(&idx->held);
	for (size_t i = 0; i < idx->nfiles; i++)
		for (size_t j = 0; j < idx->files[i]->n; j++)
			if (idx->files[i]->docs[j].held_kind) {
				held_key(idx, idx->files[i],
					 &idx->files[i]->docs[j], &key);
				gc_map_put(&idx->held, key.ptr, key.len,
					   (void *)1);
			}

	if (idx->settled) {
		gc_problems_release(&idx->phase1);
		for (size_t i = 0; i < idx->nfiles; i++)
			problems_copy(&idx->phase1, &idx->files[i]->problems);
		gc_problems_release(&idx->problems);
	} else {
		/* what the loader added (directories), then the files' */
		idx->phase1 = idx->problems;
		memset(&idx->problems, 0, sizeof(idx->problems));
		for (size_t i = 0; i < idx->nfiles; i++)
			problems_copy(&idx->phase1, &idx->files[i]->problems);
	}
	problems_copy(&idx->problems, &idx->plan);
	problems_copy(&idx->problems, &idx->phase1);
	for (size_t i = 0; i < idx->nfiles; i++) {
		ifile *f = idx->files[i];

		for (size_t j = 0; j < f->n; j++) {
			idoc *d = &f->docs[j];

			problems_copy(&idx->problems, d->local);
			if (d->claims && !d->owner)
				duplicate_problem(idx, d, &key);
		}
	}
	gc_buf_release(&key);
}

void gc_index__finish(gc_index *idx, const gc_source_opts *opts)
{
	const char *dflt =
		opts && opts->default_namespace && *opts->default_namespace
			? opts->default_namespace
			: NULL;
	bool all = !idx->settled ||
		   (dflt ? !idx->default_ns || strcmp(dflt, idx->default_ns)
			 : idx->default_ns != NULL);
	gc_buf key = GC_BUF_INIT;

	if (all) {
		free(idx->default_ns);
		idx->default_ns = dflt ? gc_xstrdup(dflt) : NULL;
	}
	/* a new default namespace can move every object */
	if (all)
		idx->relist = true;
	if (all) {
		for (size_t i = 0; i < idx->nfiles; i++)
			evaluate_file(idx, idx->files[i], &key);
	} else {
		for (size_t i = 0; i < idx->ndirty; i++)
			evaluate_file(idx, idx->dirty[i], &key);
	}
	for (size_t i = 0; i < idx->ndirty; i++)
		idx->dirty[i]->dirty = false;
	idx->ndirty = 0;
	idx->nset = 0;
	if (idx->relist)
		rebuild_objects(idx);
	if (!idx->settled || idx->problems.n || idx->plan.n ||
	    idx->problem_files || idx->problem_docs || idx->claims != idx->keys)
		rebuild_problems(idx);
	idx->relist = false;
	idx->settled = true;
	gc_buf_release(&key);
}

/* ---- lookups ---- */

void gc_index_free(gc_index *idx)
{
	const gc_map_entry *e;

	if (!idx)
		return;
	for (size_t i = 0; i < idx->nfiles; i++)
		file_free(idx->files[i]);
	free(idx->files);
	free(idx->dirty);
	free(idx->objs);
	free(idx->default_ns);
	gc_map_release(&idx->by_key);
	gc_map_release(&idx->held);
	gc_src_tree_release(&idx->tree);
	gc_plan_release(&idx->build_plan);
	gc_problems_release(&idx->plan);
	for (size_t i = 0; gc_map_next(&idx->ns_names, &i, &e);)
		free(e->value);
	gc_map_release(&idx->ns_names);
	gc_map_release(&idx->strings);
	gc_problems_release(&idx->phase1);
	gc_problems_release(&idx->problems);
	free(idx->reloaded->v);
	free(idx->reloaded);
	free(idx->dir);
	free(idx);
}

/* ---- trees on demand ---- */

void gc_index__set_origin(gc_index *idx, gc_git *git,
			  const char commit[GC_OID_HEX], bool lazy)
{
	idx->git = git;
	snprintf(idx->commit, sizeof(idx->commit), "%s", commit);
	idx->lazy = lazy;
}

void gc_index__set_origin_dir(gc_index *idx, const char *dir, bool lazy)
{
	free(idx->dir);
	idx->dir = gc_xstrdup(dir);
	idx->git = NULL;
	idx->lazy = lazy;
}

/* The bytes of an index file again, from its commit or its directory. */
static int read_again(gc_buf *out, const gc_index *idx, const char *path,
		      gc_error *err)
{
	gc_buf full = GC_BUF_INIT;
	int error;

	if (idx->git)
		return gc_git_read_file(out, idx->git, idx->commit, path, err);
	gc_buf_addf(&full, "%s/%s", idx->dir, path);
	error = gc_buf_read_file(out, full.ptr, GC_YAML_MAX_FILE_BYTES, err);
	gc_buf_release(&full);
	return error;
}

void gc_index__set_keep(gc_index *idx, size_t nodes)
{
	idx->keep = nodes;
}

void gc_index_trim(gc_index *idx)
{
	struct reloaded *r = idx->reloaded;

	if (!idx->lazy)
		return;
	idx->keep = 0;
	/* only the files loaded again, unless others came with trees */
	for (size_t i = 0; idx->untrimmed && i < idx->nfiles; i++)
		trim_file(idx->files[i]);
	for (size_t i = 0; i < r->n; i++) {
		trim_file(r->v[i]);
		r->v[i]->reloaded = false;
	}
	idx->untrimmed = false;
	r->n = 0;
}

size_t gc_index_loaded(const gc_index *idx)
{
	return idx->reloaded->n;
}

int gc_index_load(const gc_index *idx, const gc_object *o, gc_error *err)
{
	ifile *f = o && o->file ? find_file(idx, o->file) : NULL;
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems problems = { 0 };
	gc_buf data = GC_BUF_INIT;
	int error;

	if (!f || !f->trimmed)
		return 0;
	if ((error = read_again(&data, idx, f->path, err)) < 0)
		goto cleanup;
	gc_index__parse(f->path, data.ptr ? data.ptr : "", data.len, &docs,
			&problems);
	if (docs.n != f->n) {
		error = gc_error_set(
			err, GC_ERROR,
			"%s: %zu documents %s%.12s, %zu when it was indexed",
			f->path, docs.n, idx->git ? "at " : "now",
			idx->git ? idx->commit : "", f->n);
		goto cleanup;
	}
	if (docs.n > 1)
		qsort(docs.v, docs.n, sizeof(*docs.v), cmp_doc);
	for (size_t j = 0; j < f->n; j++) {
		gc_doc_graft(f->docs[j].doc, docs.v[j]);
		docs.v[j] = NULL;
	}
	docs.n = 0;
	f->trimmed = false;
	if (!f->reloaded) {
		struct reloaded *r = idx->reloaded;

		if (r->n == r->alloc) {
			r->alloc = r->alloc ? r->alloc * 2 : 16;
			r->v = gc_xrealloc(r->v, r->alloc * sizeof(*r->v));
		}
		r->v[r->n++] = f;
		f->reloaded = true;
	}
cleanup:
	gc_doclist_release(&docs);
	gc_problems_release(&problems);
	gc_buf_release(&data);
	return error;
}

const gc_object *gc_index_find(const gc_index *idx, const char *kind,
			       const char *ns, const char *name)
{
	gc_buf key = GC_BUF_INIT;
	const idoc *d;

	if (!kind || !name)
		return NULL;
	key_of(&key, kind, gc_kind_is_cluster_scoped(kind) ? NULL : ns, name);
	d = gc_map_get(&idx->by_key, key.ptr, key.len);
	gc_buf_release(&key);
	return d ? &d->obj : NULL;
}

const gc_object *gc_index_find_tree(const gc_index *idx, const char *kind,
				    const char *ns, const char *name)
{
	const gc_object *o = gc_index_find(idx, kind, ns, name);
	gc_error err = GC_ERROR_INIT;

	if (o && gc_index_load(idx, o, &err) < 0) {
		gc_err("%s", gc_error_msg(&err));
		o = NULL;
	}
	gc_error_release(&err);
	return o;
}

size_t gc_index_count(const gc_index *idx)
{
	return idx->n;
}

const gc_object *gc_index_at(const gc_index *idx, size_t i)
{
	return i < idx->n ? idx->objs[i] : NULL;
}

void gc_index_foreach_in_file(const gc_index *idx, const char *path,
			      gc_index_object_cb cb, void *payload)
{
	const ifile *f = find_file(idx, path);

	if (!f || !idx->settled)
		return;
	for (size_t j = 0; j < f->n; j++)
		if (f->docs[j].owner)
			cb(&f->docs[j].obj, payload);
}

bool gc_index_held(const gc_index *idx, const gc_object *o)
{
	gc_buf key = GC_BUF_INIT;
	bool held;

	if (!idx->held.len)
		return false;
	key_of(&key, o->kind, o->namespace, o->name);
	held = gc_map_get(&idx->held, key.ptr, key.len) != NULL;
	gc_buf_release(&key);
	return held;
}

size_t gc_index_doc_count(const gc_index *idx)
{
	return idx->ndocs;
}

gc_problems *gc_index_problems(gc_index *idx)
{
	return &idx->problems;
}
