/*
 * The build plan: from every path of a commit and its kustomization files,
 * the roots to build and, for each, either the files the native build
 * reaches (with the namespace kustomize would give them) or a kustomize
 * build and the files it reads. The rules are kustomize's and Flux's
 * (docs/repository-layout.md):
 *
 * - a root with a kustomization file is built as kustomize builds it;
 * - a root without one gets Flux's generated kustomization: every YAML
 *   file below it, and each subdirectory with a kustomization file as one
 *   resource (not descended into);
 * - `namespace:` of a kustomization sets the namespace of every namespaced
 *   object it includes, its bases' included: the outermost one wins;
 * - the native build does resources: (local files and directories) and
 *   namespace: only; anything else, anywhere below, is the tool's.
 */
#define _GNU_SOURCE /* memmem */
#include "roots.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/map.h"
#include "yaml.h"

/* ---- the tree ---- */

static bool file_before(const void *list, size_t i, const void *path)
{
	const gc_src_file *const *v = list;

	return strcmp(v[i]->path, path) < 0;
}

static size_t lower_bound(const gc_src_tree *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (file_before(t->v, mid, path))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const gc_src_file *gc_src_tree_get(const gc_src_tree *t, const char *path)
{
	size_t at = lower_bound(t, path);

	return at < t->n && !strcmp(t->v[at]->path, path) ? t->v[at] : NULL;
}

static void file_free(gc_src_file *f)
{
	if (!f)
		return;
	if (f->kust) {
		gc_kustomization_release(f->kust);
		free(f->kust);
	}
	gc_problems_release(&f->problems);
	gc_doclist_release(&f->docs);
	free(f->path);
	free(f);
}

/* Kinds whose namespace kustomize's namespace: changes in special ways
 * (renames a Namespace, rewrites subjects and webhook services). */
static bool ns_sensitive(const char *data, size_t len)
{
	static const char *const words[] = { "Namespace", "RoleBinding",
					     "WebhookConfiguration",
					     "APIService",
					     "CustomResourceDefinition" };

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (memmem(data, len, words[i], strlen(words[i])))
			return true;
	return false;
}

static void read_kustomization(gc_src_file *f, const char *data, size_t len)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	if (gc_yaml_parse(&docs, f->path, data, len, &err) < 0) {
		gc_problems_add_error(&f->problems, &err);
	} else if (docs.n != 1) {
		gc_problems_add(
			&f->problems, f->path, 1, 1, "%s",
			docs.n ? "a kustomization file holds one document"
			       : "the kustomization file is empty");
	} else {
		f->kust = gc_xcalloc(1, sizeof(*f->kust));
		if (gc_kustomization_read(f->kust, docs.v[0], &f->problems) <
		    0) {
			free(f->kust);
			f->kust = NULL;
		}
	}
	gc_error_release(&err);
	gc_doclist_release(&docs);
}

static void read_flux(gc_src_file *f, const char *data, size_t len)
{
	gc_error err = GC_ERROR_INIT;

	if (gc_yaml_parse(&f->docs, f->path, data, len, &err) < 0)
		f->flags &= ~(unsigned)GC_SRC_FLUX; /* the index reports it */
	gc_error_release(&err);
}

static bool same_refs(const gc_kref *a, size_t na, const gc_kref *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].path, b[i].path) ||
		    a[i].remote != b[i].remote || a[i].outside != b[i].outside)
			return false;
	return true;
}

/* Whether old and new plan alike (an images: bump keeps the shape). */
static bool same_shape(const gc_src_file *old, const gc_src_file *new)
{
	const gc_kustomization *a = old->kust, *b = new->kust;

	if (old->flags != new->flags || (old->flags & GC_SRC_FLUX))
		return false;
	if (!(old->flags & GC_SRC_KUST))
		return true;
	return a && b && a->plain == b->plain &&
	       !!a->namespace == !!b->namespace &&
	       (!a->namespace || !strcmp(a->namespace, b->namespace)) &&
	       same_refs(a->resources, a->nresources, b->resources,
			 b->nresources) &&
	       same_refs(a->reads, a->nreads, b->reads, b->nreads) &&
	       !old->problems.n && !new->problems.n;
}

bool gc_src_tree_set(gc_src_tree *t, const char *path, const char *data,
		     size_t len)
{
	bool moves;

	size_t at = lower_bound(t, path);
	bool found = at < t->n && !strcmp(t->v[at]->path, path);
	gc_src_file *f;

	if (!data) {
		if (found) {
			file_free(t->v[at]);
			memmove(&t->v[at], &t->v[at + 1],
				(t->n - at - 1) * sizeof(*t->v));
			t->n--;
		}
		return found;
	}
	f = gc_xcalloc(1, sizeof(*f));
	f->path = gc_xstrdup(path);
	if (gc_name_in_skipped_dir(path))
		f->flags |= GC_SRC_HIDDEN;
	else if (gc_name_is_kustomization(path))
		f->flags |= GC_SRC_KUST;
	else if (gc_name_is_manifest(path)) {
		f->flags |= GC_SRC_MANIFEST;
		if (ns_sensitive(data, len))
			f->flags |= GC_SRC_NS_SENSITIVE;
		if (memmem(data, len, GC_FLUX_GROUP, strlen(GC_FLUX_GROUP)))
			f->flags |= GC_SRC_FLUX;
		if (memmem(data, len, "ConfigMap", 9) ||
		    memmem(data, len, "Secret", 6))
			f->flags |= GC_SRC_CONFIG;
	}
	if (f->flags & GC_SRC_KUST)
		read_kustomization(f, data, len);
	if (f->flags & GC_SRC_FLUX)
		read_flux(f, data, len);
	if (found) {
		moves = !same_shape(t->v[at], f);
		file_free(t->v[at]);
		t->v[at] = f;
		return moves;
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 256;
		t->v = gc_xrealloc(t->v, t->alloc * sizeof(*t->v));
	}
	memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
	t->v[at] = f;
	t->n++;
	return true;
}

void gc_src_tree_release(gc_src_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		file_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- directories ---- */

/* The first file at or below dir ("" = the root), as an index. */
static size_t dir_start(const gc_src_tree *t, const char *dir, gc_buf *prefix)
{
	gc_buf_clear(prefix);
	if (*dir)
		gc_buf_addf(prefix, "%s/", dir);
	return *dir ? lower_bound(t, prefix->ptr) : 0;
}

static bool in_dir(const gc_src_file *f, const gc_buf *prefix)
{
	return !strncmp(f->path, prefix->ptr ? prefix->ptr : "", prefix->len);
}

static bool dir_exists(const gc_src_tree *t, const char *dir)
{
	gc_buf prefix = GC_BUF_INIT;
	size_t at = dir_start(t, dir, &prefix);
	bool yes = at < t->n && in_dir(t->v[at], &prefix);

	gc_buf_release(&prefix);
	return yes;
}

bool gc_src_tree_exists(const gc_src_tree *t, const char *path)
{
	return gc_src_tree_get(t, path) || dir_exists(t, path);
}

/* The kustomization file of dir, or NULL. */
static const gc_src_file *kust_of(const gc_src_tree *t, const char *dir)
{
	gc_buf path = GC_BUF_INIT;
	const gc_src_file *f = NULL;

	for (size_t i = 0; !f && i < GC_NAME_KUSTOMIZATION_FILES; i++) {
		gc_buf_clear(&path);
		gc_buf_addf(&path, "%s%s%s", dir, *dir ? "/" : "",
			    gc_name_kustomization_files[i]);
		f = gc_src_tree_get(t, path.ptr);
	}
	gc_buf_release(&path);
	return f;
}

/*
 * The top-most directory between dir (excluded) and path's own directory
 * that has a kustomization file, into *out; false when none has.
 */
static bool kust_dir_above(const gc_src_tree *t, const char *dir,
			   const char *path, gc_buf *out)
{
	const char *p = path + (*dir ? strlen(dir) + 1 : 0), *slash;

	while ((slash = strchr(p, '/'))) {
		gc_buf_clear(out);
		gc_buf_add(out, path, (size_t)(slash - path));
		if (kust_of(t, out->ptr))
			return true;
		p = slash + 1;
	}
	return false;
}

/* ---- planning ---- */

typedef struct planner {
	const gc_src_tree *t;
	const gc_plan_opts *opts;
	gc_plan *p;
	gc_map native; /* this root's: path -> namespace or "" (owned) */
	gc_map seen;   /* kustomization dirs of the root's walk (cycles) */
} planner;

/*
 * Whether the kustomization of dir needs the tool for itself: a field
 * beyond resources: and namespace:, a remote or escaping resource, or a
 * namespace over a file the namespace transformer treats specially. Its
 * subdirectories decide for themselves: a plain kustomization is the
 * union of its resources, each built with its namespace on top.
 */
static bool needs_tool(planner *pl, const char *dir, bool ns_applies)
{
	const gc_src_file *f = kust_of(pl->t, dir);
	const gc_kustomization *k = f ? f->kust : NULL;

	if (!k)
		return pl->opts->tool_only && f;
	if (pl->opts->tool_only || !k->plain)
		return true;
	ns_applies = ns_applies || k->namespace;
	for (size_t i = 0; i < k->nresources; i++) {
		const gc_kref *r = &k->resources[i];
		const gc_src_file *rf;

		if (r->remote || r->outside)
			return true;
		if ((rf = gc_src_tree_get(pl->t, r->path)) && ns_applies &&
		    (rf->flags & GC_SRC_NS_SENSITIVE))
			return true;
	}
	return false;
}

static void add_native(planner *pl, const char *path, const char *ns)
{
	free(gc_map_sets(&pl->native, path, gc_xstrdup(ns ? ns : "")));
}

static void visit_kust(planner *pl, const char *dir, const char *ns,
		       unsigned depth);
static void add_build(planner *pl, const char *dir, const char *ns);

/* A kustomization directory reached from a root: native or the tool. */
static void visit_dir(planner *pl, const char *dir, const char *ns,
		      unsigned depth)
{
	const gc_src_file *f = kust_of(pl->t, dir);

	if (gc_map_gets(&pl->seen, dir)) {
		gc_problems_add(&pl->p->problems, f ? f->path : dir, 1, 1,
				"kustomization '%s' is reached twice (a cycle "
				"or a resource listed twice)",
				dir);
		return;
	}
	gc_map_sets(&pl->seen, dir, (void *)1);
	if (needs_tool(pl, dir, ns != NULL))
		add_build(pl, dir, ns);
	else
		visit_kust(pl, dir, ns, depth);
}

static void ref_problem(planner *pl, const gc_kustomization *k,
			const gc_kref *r, const char *what)
{
	gc_problems_add(&pl->p->problems, k->path, r->loc.line, r->loc.column,
			"resource '%s' %s", r->path, what);
}

/* The native build of the kustomization of dir, namespace ns on top. */
static void visit_kust(planner *pl, const char *dir, const char *ns,
		       unsigned depth)
{
	const gc_src_file *f = kust_of(pl->t, dir);
	const gc_kustomization *k = f ? f->kust : NULL;

	if (!k)
		return; /* broken: its problems are the tree's */
	ns = ns ? ns : k->namespace;
	for (size_t i = 0; i < k->nresources; i++) {
		const gc_kref *r = &k->resources[i];

		if (gc_src_tree_get(pl->t, r->path))
			add_native(pl, r->path, ns);
		else if (kust_of(pl->t, r->path) && depth < 32)
			visit_dir(pl, r->path, ns, depth + 1);
		else if (dir_exists(pl->t, r->path))
			ref_problem(pl, k, r,
				    "is a directory without a kustomization "
				    "file");
		else
			ref_problem(pl, k, r, "does not exist");
	}
}

/* ---- tool builds ---- */

static void add_input(gc_map *in, const char *path)
{
	gc_map_sets(in, path, (void *)1);
}

/* Every file directly in dir (kustomize may read any of them). */
static void add_dir_files(planner *pl, gc_map *in, const char *dir)
{
	gc_buf prefix = GC_BUF_INIT;

	for (size_t i = dir_start(pl->t, dir, &prefix);
	     i < pl->t->n && in_dir(pl->t->v[i], &prefix); i++)
		if (!strchr(pl->t->v[i]->path + prefix.len, '/'))
			add_input(in, pl->t->v[i]->path);
	gc_buf_release(&prefix);
}

static void closure(planner *pl, gc_map *in, gc_map *dirs, const char *dir,
		    bool *broken, unsigned depth);

static void closure_ref(planner *pl, gc_map *in, gc_map *dirs,
			const gc_kustomization *k, const gc_kref *r,
			bool *broken, unsigned depth)
{
	gc_buf prefix = GC_BUF_INIT;

	if (r->remote) {
		ref_problem(pl, k, r,
			    "is remote: gitcanary builds without network "
			    "(vendor it into the repository)");
		*broken = true;
	} else if (r->outside) {
		ref_problem(pl, k, r, "is outside the repository");
		*broken = true;
	} else if (gc_src_tree_get(pl->t, r->path)) {
		add_input(in, r->path);
	} else if (kust_of(pl->t, r->path)) {
		closure(pl, in, dirs, r->path, broken, depth + 1);
	} else {
		/* a plain directory (components, generators): all of it */
		for (size_t i = dir_start(pl->t, r->path, &prefix);
		     i < pl->t->n && in_dir(pl->t->v[i], &prefix); i++)
			add_input(in, pl->t->v[i]->path);
	}
	gc_buf_release(&prefix);
}

/* The files a kustomize build of dir's kustomization reads. */
static void closure(planner *pl, gc_map *in, gc_map *dirs, const char *dir,
		    bool *broken, unsigned depth)
{
	const gc_src_file *f = kust_of(pl->t, dir);
	const gc_kustomization *k = f ? f->kust : NULL;

	if (gc_map_gets(dirs, dir) || depth > 32)
		return;
	gc_map_sets(dirs, dir, (void *)1);
	add_dir_files(pl, in, dir);
	if (!k)
		return;
	for (size_t i = 0; i < k->nresources; i++)
		closure_ref(pl, in, dirs, k, &k->resources[i], broken, depth);
	for (size_t i = 0; i < k->nreads; i++)
		closure_ref(pl, in, dirs, k, &k->reads[i], broken, depth);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The inputs of a build, sorted, into b (and the plan's inputs). */
static void set_inputs(gc_plan *p, gc_plan_build *b, const gc_map *in)
{
	const gc_map_entry *e;

	b->inputs = gc_xcalloc(in->len + 1, sizeof(*b->inputs));
	for (size_t i = 0; gc_map_next(in, &i, &e);) {
		b->inputs[b->ninputs++] = gc_xstrdup(e->key);
		gc_map_sets(&p->inputs, e->key, (void *)1);
	}
	qsort(b->inputs, b->ninputs, sizeof(*b->inputs), cmp_str);
}

/* A new build of the plan named key (taken over). */
static gc_plan_build *new_build(gc_plan *p, char *key)
{
	gc_plan_build *b;

	p->builds = gc_xrealloc(p->builds, (p->nbuilds + 1) * sizeof(*b));
	b = memset(&p->builds[p->nbuilds++], 0, sizeof(*b));
	b->key = key;
	gc_map_sets(&p->by_key, key, (void *)(uintptr_t)p->nbuilds);
	return b;
}

/* The tool's build of dir's kustomization file, namespace ns on top. */
static void add_build(planner *pl, const char *dir, const char *ns)
{
	gc_plan *p = pl->p;
	gc_plan_build *b;
	gc_map in = GC_MAP_INIT, dirs = GC_MAP_INIT;
	const gc_src_file *f = kust_of(pl->t, dir);
	char *key =
		gc_xasprintf("%s%s%s", f->path, ns ? "#" : "", ns ? ns : "");
	bool broken = false;

	if (gc_plan_find(p, key)) { /* another root builds it too */
		free(key);
		return;
	}
	closure(pl, &in, &dirs, dir, &broken, 0);
	b = new_build(p, key);
	b->dir = gc_xstrdup(dir);
	b->kust = gc_xstrdup(f->path);
	b->wrap_namespace = ns ? gc_xstrdup(ns) : NULL;
	b->broken = broken;
	set_inputs(p, b, &in);
	gc_map_release(&in);
	gc_map_release(&dirs);
}

static void free_values(gc_map *m)
{
	const gc_map_entry *e;

	for (size_t i = 0; gc_map_next(m, &i, &e);)
		free(e->value);
	gc_map_release(m);
}

static void build_release(gc_plan_build *b);

/*
 * Moves the native files of one unit into the plan; false, leaving the
 * plan as it was, when one of them is reached by an earlier unit with
 * another namespace.
 */
static bool merge_native(planner *pl)
{
	const gc_map_entry *e;
	const char *old;
	bool ok = true;

	for (size_t i = 0; ok && gc_map_next(&pl->native, &i, &e);)
		if (e->value && (old = gc_map_gets(&pl->p->native, e->key)))
			ok = !strcmp(old, e->value);
	for (size_t i = 0; ok && gc_map_next(&pl->native, &i, &e);)
		if (e->value && !gc_map_gets(&pl->p->native, e->key))
			gc_map_sets(&pl->p->native, e->key,
				    gc_xstrdup(e->value));
	free_values(&pl->native);
	memset(&pl->native, 0, sizeof(pl->native));
	gc_map_release(&pl->seen);
	memset(&pl->seen, 0, sizeof(pl->seen));
	return ok;
}

/*
 * One kustomization built on its own: natively when it can and its files
 * are not reached with another namespace already, else by the tool.
 */
static void plan_unit(planner *pl, const char *dir, const char *ns)
{
	size_t nbuilds = pl->p->nbuilds;

	visit_dir(pl, dir, ns, 0);
	if (merge_native(pl))
		return;
	while (pl->p->nbuilds > nbuilds)
		build_release(&pl->p->builds[--pl->p->nbuilds]);
	add_build(pl, dir, ns);
}

/*
 * What Flux's generated kustomization of dir (it has no kustomization
 * file) lists: every manifest below it, each subdirectory that has a
 * kustomization file as one entry, not descended into; in path order.
 */
typedef void (*scan_cb)(planner *pl, const char *path, bool is_dir,
			void *payload);

static void scan_generated(planner *pl, const char *dir, scan_cb cb,
			   void *payload)
{
	gc_buf prefix = GC_BUF_INIT, sub = GC_BUF_INIT, last = GC_BUF_INIT;

	for (size_t i = dir_start(pl->t, dir, &prefix);
	     i < pl->t->n && in_dir(pl->t->v[i], &prefix); i++) {
		const gc_src_file *f = pl->t->v[i];

		if (f->flags & GC_SRC_HIDDEN)
			continue;
		if (kust_dir_above(pl->t, dir, f->path, &sub)) {
			if (!last.ptr || strcmp(last.ptr, sub.ptr)) {
				cb(pl, sub.ptr, true, payload);
				gc_buf_clear(&last);
				gc_buf_adds(&last, sub.ptr);
			}
			continue;
		}
		if (f->flags & GC_SRC_MANIFEST)
			cb(pl, f->path, false, payload);
	}
	gc_buf_release(&prefix);
	gc_buf_release(&sub);
	gc_buf_release(&last);
}

typedef struct generated {
	const char *ns;
	gc_map files;
} generated;

static void generated_entry(planner *pl, const char *path, bool is_dir,
			    void *payload)
{
	generated *g = payload;

	if (is_dir)
		plan_unit(pl, path, g->ns);
	else
		gc_map_sets(&g->files, path, (void *)1);
}

/*
 * Flux's generated kustomization of dir: no transformer of its own, so
 * each subdirectory with a kustomization is a unit of its own and the
 * loose files are one more.
 */
static void visit_generated(planner *pl, const char *dir, const char *ns)
{
	generated g = { ns, GC_MAP_INIT };
	const gc_map_entry *e;

	scan_generated(pl, dir, generated_entry, &g);
	for (size_t i = 0; gc_map_next(&g.files, &i, &e);) {
		const char *old = gc_map_gets(&pl->p->native, e->key);

		if (!old)
			gc_map_sets(&pl->p->native, e->key,
				    gc_xstrdup(ns ? ns : ""));
		else if (strcmp(old, ns ? ns : ""))
			gc_problems_add(&pl->p->problems, e->key, 1, 1,
					"reached by two roots, with namespace "
					"'%s' and '%s'",
					*old ? old : "(none)",
					ns ? ns : "(none)");
	}
	gc_map_release(&g.files);
}

static void plan_root(planner *pl, const char *dir, const char *ns)
{
	if (kust_of(pl->t, dir))
		plan_unit(pl, dir, ns);
	else if (*dir && !dir_exists(pl->t, dir))
		gc_problems_add(&pl->p->problems, dir, 1, 1, "%s",
				"root directory does not exist in the commit");
	else
		visit_generated(pl, dir, ns);
}

/* ---- Flux Kustomizations ---- */

typedef struct flux_build {
	gc_map *in, *dirs;
	bool *broken;
	char ***res;
	size_t *nres;
	size_t dirlen;
} flux_build;

static void flux_entry(planner *pl, const char *path, bool is_dir,
		       void *payload)
{
	flux_build *fb = payload;
	const char *rel = path + fb->dirlen;

	*fb->res = gc_xrealloc(*fb->res, (*fb->nres + 1) * sizeof(char *));
	(*fb->res)[(*fb->nres)++] = gc_xstrdup(*rel ? rel : ".");
	if (is_dir)
		closure(pl, fb->in, fb->dirs, path, fb->broken, 1);
	else
		add_input(fb->in, path);
}

/*
 * A Flux Kustomization built by the tool: Flux's kustomization of its
 * path (found or generated), then postBuild and commonMetadata. It reads
 * its own file too, and every file that may hold a substituteFrom source.
 */
static void add_flux_build(planner *pl, gc_flux_ks *ks)
{
	gc_plan *p = pl->p;
	gc_plan_build *b;
	gc_map in = GC_MAP_INIT, dirs = GC_MAP_INIT;
	const gc_src_file *f = kust_of(pl->t, ks->path);
	bool broken = false;
	char **res = NULL;
	size_t nres = 0;
	flux_build fb = { &in,  &dirs, &broken,
			  &res, &nres, *ks->path ? strlen(ks->path) + 1 : 0 };
	char *spec = cJSON_PrintUnformatted(ks->spec), *kust;

	if (f)
		closure(pl, &in, &dirs, ks->path, &broken, 0);
	else
		scan_generated(pl, ks->path, flux_entry, &fb);
	add_input(&in, ks->doc->path);
	if (gc_json_get(ks->spec, "postBuild.substituteFrom"))
		for (size_t i = 0; i < pl->t->n; i++)
			if (pl->t->v[i]->flags & GC_SRC_CONFIG)
				add_input(&in, pl->t->v[i]->path);
	kust = f ? gc_xstrdup(f->path)
		 : gc_xasprintf("%s%skustomization.yaml", ks->path,
				*ks->path ? "/" : "");
	b = new_build(p, gc_xasprintf("%s#flux:%s/%s", kust, ks->namespace,
				      ks->name));
	b->kust = kust;
	b->dir = gc_xstrdup(ks->path);
	b->def = gc_xasprintf("%s %s", ks->doc->path, spec ? spec : "");
	b->broken = broken;
	b->flux = ks;
	b->resources = res;
	b->nresources = nres;
	set_inputs(p, b, &in);
	free(spec);
	gc_map_release(&in);
	gc_map_release(&dirs);
}

/*
 * One Flux Kustomization of this repository: with only targetNamespace,
 * a root whose namespace is that (native when it can be); else the tool's.
 */
static void plan_flux(planner *pl, gc_flux_ks *ks)
{
	const char *tns = gc_json_str(ks->spec, "targetNamespace");

	if (gc_flux_ks_needs_tool(ks) || gc_json_get(ks->spec, "postBuild") ||
	    gc_json_get(ks->spec, "commonMetadata") || pl->opts->tool_only) {
		add_flux_build(pl, ks);
		return;
	}
	plan_root(pl, ks->path, tns && *tns ? tns : NULL);
	gc_flux_ks_release(ks);
	free(ks);
}

static bool is_flux_kustomization(const gc_doc *doc)
{
	const char *api = gc_json_str(doc->root, "apiVersion");
	const char *kind = gc_json_str(doc->root, "kind");

	return api && kind && !strcmp(kind, "Kustomization") &&
	       !strncmp(api, GC_FLUX_GROUP "/", strlen(GC_FLUX_GROUP) + 1);
}

/* The roots the Flux Kustomizations of the source give; false: none. */
static bool plan_fluxes(planner *pl)
{
	const char *source = pl->opts->flux_source ? pl->opts->flux_source
						   : "flux-system/flux-system";
	bool any = false;

	for (size_t i = 0; i < pl->t->n; i++) {
		const gc_src_file *f = pl->t->v[i];

		if (!(f->flags & GC_SRC_FLUX))
			continue;
		for (size_t j = 0; j < f->docs.n; j++) {
			gc_flux_ks *ks;

			if (!is_flux_kustomization(f->docs.v[j]))
				continue;
			any = true;
			ks = gc_xcalloc(1, sizeof(*ks));
			if (gc_flux_ks_parse(ks, f->docs.v[j], source,
					     &pl->p->problems) < 0) {
				free(ks);
				continue;
			}
			if (ks->skip) {
				gc_flux_ks_release(ks);
				free(ks);
				continue;
			}
			plan_flux(pl, ks);
		}
	}
	return any;
}

void gc_plan_make(gc_plan *out, const gc_src_tree *t, const gc_plan_opts *opts)
{
	static const gc_plan_opts none = { 0 };
	planner pl = { t, opts ? opts : &none, out, GC_MAP_INIT, GC_MAP_INIT };

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->problems.n)
			for (size_t j = 0; j < t->v[i]->problems.n; j++) {
				const gc_problem *pr = &t->v[i]->problems.v[j];

				gc_problems_add(&out->problems, pr->path,
						pr->line, pr->column, "%s",
						pr->msg);
			}
	if (!pl.opts->npaths && !plan_fluxes(&pl))
		plan_root(&pl, "", NULL);
	for (size_t i = 0; i < pl.opts->npaths; i++) {
		char *dir;

		if (!gc_kustomization_join(&dir, "", pl.opts->paths[i])) {
			gc_problems_add(&out->problems, pl.opts->paths[i], 1, 1,
					"%s", "--path leaves the repository");
			continue;
		}
		plan_root(&pl, dir, NULL);
		free(dir);
	}
}

static void build_release(gc_plan_build *b)
{
	free(b->key);
	free(b->dir);
	free(b->kust);
	free(b->wrap_namespace);
	for (size_t i = 0; i < b->ninputs; i++)
		free(b->inputs[i]);
	free(b->inputs);
	if (b->flux) {
		gc_flux_ks_release(b->flux);
		free(b->flux);
	}
	free(b->def);
	for (size_t i = 0; i < b->nresources; i++)
		free(b->resources[i]);
	free(b->resources);
}

void gc_plan_release(gc_plan *p)
{
	free_values(&p->native);
	for (size_t i = 0; i < p->nbuilds; i++)
		build_release(&p->builds[i]);
	free(p->builds);
	gc_map_release(&p->inputs);
	gc_map_release(&p->by_key);
	gc_problems_release(&p->problems);
	memset(p, 0, sizeof(*p));
}

const gc_plan_build *gc_plan_find(const gc_plan *p, const char *key)
{
	uintptr_t at = (uintptr_t)gc_map_gets(&p->by_key, key);

	return at ? &p->builds[at - 1] : NULL;
}
