/*
 * gc_source_update_git: an index brought from one commit to the next by
 * re-reading only the changed files equals a fresh gc_source_load_git of
 * the new commit: the objects (path, document, kind, namespace, name, in
 * order), the lookups, the document count and the problems, exactly and in
 * the same order. Random edits, additions, deletions, renames,
 * kustomization namespace changes, duplicates and broken files, commit
 * after commit; plus the readable cases one by one.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/index.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/json.h"

typedef struct repo {
	char *dir;
	gc_git *git;
	char head[GC_OID_HEX]; /* "" before the first commit */
} repo;

static const gc_git_signature sig = { "t", "t@example.com", 1700000000 };

static void repo_open(repo *r)
{
	gc_error err = GC_ERROR_INIT;

	r->dir = gc_test_tmpdir();
	ck_assert_int_eq(gc_test_sh(NULL, NULL, "git init -q --bare '%s'",
				    r->dir),
			 0);
	ck_assert_msg(gc_git_open(&r->git, r->dir, NULL, &err) == 0, "%s",
		      gc_error_msg(&err));
	r->head[0] = '\0';
}

static void repo_close(repo *r)
{
	gc_git_free(r->git);
	gc_test_rmrf(r->dir);
	free(r->dir);
}

static void repo_commit(repo *r, const gc_git_update *ups, size_t n)
{
	gc_error err = GC_ERROR_INIT;
	char id[GC_OID_HEX];

	ck_assert_msg(gc_git_commit(id, r->git, r->head, ups, n, &sig, &sig,
				    "x", &err) == 0,
		      "%s", gc_error_msg(&err));
	memcpy(r->head, id, GC_OID_HEX);
}

/* Everything a caller of the index can observe, as text. */
static char *dump(gc_index *idx)
{
	gc_buf b = GC_BUF_INIT;
	gc_problems *p = gc_index_problems(idx);

	gc_buf_addf(&b, "%zu documents\n", gc_index_doc_count(idx));
	for (size_t i = 0; i < gc_index_count(idx); i++) {
		const gc_object *o = gc_index_at(idx, i);
		const gc_object *found =
			o->name ? gc_index_find(idx, o->kind, o->namespace,
						o->name)
				: NULL;

		gc_buf_addf(&b, "%s#%u %s %s %s/%s%s\n", o->doc->path,
			    o->doc->index,
			    o->api_version ? o->api_version : "-", o->kind,
			    o->namespace ? o->namespace : "-",
			    o->name ? o->name : "-",
			    found == o ? " (found)" : "");
	}
	for (size_t i = 0; i < p->n; i++)
		gc_buf_addf(&b, "%s:%u:%u: %s\n", p->v[i].path, p->v[i].line,
			    p->v[i].column, p->v[i].msg);
	return gc_buf_detach(&b, NULL);
}

/*
 * dump, then every object's tree (loaded again when dropped) with the
 * position of its root and of its metadata.name.
 */
static char *dump_trees(gc_index *idx)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf b = GC_BUF_INIT;
	char *s = dump(idx);

	gc_buf_adds(&b, s);
	free(s);
	for (size_t i = 0; i < gc_index_count(idx); i++) {
		const gc_object *o = gc_index_at(idx, i);
		const cJSON *name;
		gc_loc at, nat;

		ck_assert_msg(gc_index_load(idx, o, &err) == 0, "%s",
			      gc_error_msg(&err));
		name = gc_json_get(o->doc->root, "metadata.name");
		at = gc_doc_loc(o->doc, o->doc->root);
		nat = gc_doc_key_loc(o->doc, name);
		s = cJSON_PrintUnformatted(o->doc->root);
		gc_buf_addf(&b, "%s#%u %u:%u %u:%u %s\n", o->doc->path,
			    o->doc->index, at.line, at.column, nat.line,
			    nat.column, s ? s : "-");
		free(s);
	}
	return gc_buf_detach(&b, NULL);
}

/* A full load of r's head (without trees on demand), dumped. */
static char *full_dump(repo *r, const gc_source_opts *opts, bool trees)
{
	gc_source_opts plain = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	char *s;

	if (opts) {
		plain = *opts;
		plain.trees_on_demand = false;
	}
	ck_assert_msg(gc_source_load_git(&idx, r->git, r->head,
					 opts ? &plain : NULL, &err) == 0,
		      "%s", gc_error_msg(&err));
	s = trees ? dump_trees(idx) : dump(idx);
	gc_index_free(idx);
	return s;
}

static void update(gc_index *idx, repo *r, const char *from,
		   const gc_source_opts *opts)
{
	gc_error err = GC_ERROR_INIT;
	char f[GC_OID_HEX];

	memcpy(f, from, GC_OID_HEX);
	ck_assert_msg(gc_source_update_git(idx, r->git, f, r->head, opts,
					   &err) == 0,
		      "%s", gc_error_msg(&err));
}

/* ---- random histories ---- */

static const char *const dirs[] = { "",          "apps/",
				    "apps/web/", "apps/web/x/",
				    "base/",     "node_modules/",
				    ".hidden/",  "apps-b/",
				    "apps.c/" };
static const char *const names[] = { "a.yaml",
				     "b.yml",
				     "c.yaml",
				     "kustomization.yaml",
				     "kustomization.yml",
				     "Kustomization",
				     "z.yaml",
				     "notes.txt",
				     ".tool.yaml",
				     "apps",
				     "a-b.yaml" };
static const char *const kinds[] = { "ConfigMap", "Secret", "Namespace",
				     "Service", "ClusterRole" };
static const char *const objnames[] = { "one", "two", "Bad_Name", "3x" };
static const char *const namespaces[] = { NULL,   "ns1",       "ns2",
					  "\"\"", "Not_Valid", "[1]" };
static const char *const kust_ns[] = { "k1", "k2", "default", "BAD NS", "7" };
/* what a kustomization lists: files, directories, missing ones, escapes */
static const char *const resources[] = { "a.yaml",  "b.yml",     "c.yaml",
					 "z.yaml",  "web",       "x",
					 "../base", "../a.yaml", "missing.yaml",
					 "apps" };

static unsigned pick(unsigned n)
{
	return (unsigned)rand() % n;
}

static void gen_object(gc_buf *b)
{
	const char *ns = namespaces[pick(GC_ARRAY_SIZE(namespaces))];

	switch (pick(12)) {
	case 0:
		gc_buf_adds(b, "- just\n- a list\n");
		return;
	case 1:
		gc_buf_adds(b, "apiVersion: v1\nkind: ConfigMap\n");
		return;
	case 2:
		gc_buf_adds(b, "kind: 5\nmetadata: []\n");
		return;
	default:
		break;
	}
	gc_buf_addf(b, "apiVersion: v1\nkind: %s\nmetadata:\n  name: %s\n",
		    kinds[pick(GC_ARRAY_SIZE(kinds))],
		    objnames[pick(GC_ARRAY_SIZE(objnames))]);
	if (ns)
		gc_buf_addf(b, "  namespace: %s\n", ns);
	if (pick(2))
		gc_buf_addf(b, "data:\n  k: v%u\n", pick(100));
}

static void gen_content(gc_buf *b, bool kust)
{
	unsigned ndocs;

	switch (pick(10)) {
	case 0:
		gc_buf_adds(b, "a: [\n"); /* syntax error */
		return;
	case 1:
		return; /* empty */
	case 2:
		gc_buf_add(b, "a: 1\n\0b", 8); /* binary */
		return;
	default:
		break;
	}
	if (kust) {
		gc_buf_adds(b, "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			       "kind: Kustomization\n");
		if (pick(5))
			gc_buf_addf(b, "namespace: %s\n",
				    kust_ns[pick(GC_ARRAY_SIZE(kust_ns))]);
		ndocs = pick(4);
		if (ndocs)
			gc_buf_adds(b, "resources:\n");
		for (unsigned i = 0; i < ndocs; i++)
			gc_buf_addf(b, "- %s\n",
				    resources[pick(GC_ARRAY_SIZE(resources))]);
		if (pick(6) == 0)
			gc_buf_adds(b, "---\nnamespace: k2\n");
		return;
	}
	ndocs = 1 + pick(3);
	for (unsigned i = 0; i < ndocs; i++) {
		if (i)
			gc_buf_adds(b, "---\n");
		gen_object(b);
	}
}

typedef struct fileset {
	char *paths[128];
	size_t n;
} fileset;

static char *random_path(void)
{
	gc_buf b = GC_BUF_INIT;

	gc_buf_addf(&b, "%s%s", dirs[pick(GC_ARRAY_SIZE(dirs))],
		    names[pick(GC_ARRAY_SIZE(names))]);
	return gc_buf_detach(&b, NULL);
}

static bool fileset_has(const fileset *fs, const char *path)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->paths[i], path))
			return true;
	return false;
}

/*
 * A path that can be written: not a directory of an existing file and no
 * existing file on one of its directories ("apps" the file vs "apps/").
 */
static bool path_fits(const fileset *fs, const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < fs->n; i++) {
		size_t m = strlen(fs->paths[i]);

		if ((m < n && !strncmp(path, fs->paths[i], m) &&
		     path[m] == '/') ||
		    (n < m && !strncmp(fs->paths[i], path, n) &&
		     fs->paths[i][n] == '/'))
			return false;
	}
	return true;
}

static void fileset_remove(fileset *fs, const char *path)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->paths[i], path)) {
			free(fs->paths[i]);
			fs->paths[i] = fs->paths[--fs->n];
			return;
		}
}

/* One commit of 1 to 4 random changes. */
static void random_commit(repo *r, fileset *fs)
{
	gc_git_update ups[8] = { 0 };
	gc_buf data[8];
	char *paths[8];
	size_t n = 0, want = 1 + pick(4);
	gc_buf prev = GC_BUF_INIT;

	for (size_t tries = 0; n < want && tries < 50; tries++) {
		unsigned op = fs->n ? pick(4) : 0;
		char *path =
			op == 0 ? random_path()
				: gc_xstrdup(fs->paths[pick((unsigned)fs->n)]);
		bool taken = false;

		for (size_t i = 0; i < n; i++)
			taken |= !strcmp(paths[i], path);
		if (taken || (op == 0 && !path_fits(fs, path)) ||
		    (op == 3 && n + 2 > GC_ARRAY_SIZE(ups))) {
			free(path);
			continue;
		}
		gc_buf_init(&data[n]);
		paths[n] = path;
		ups[n].path = path;
		if (op == 2) { /* delete */
			ups[n].data = NULL;
			ups[n].len = 0;
			fileset_remove(fs, path);
			n++;
			continue;
		}
		if (op == 3) { /* rename: same bytes under a new path */
			char *to = random_path();
			gc_error err = GC_ERROR_INIT;

			for (size_t i = 0; i < n; i++)
				taken |= !strcmp(paths[i], to);
			if (taken || fileset_has(fs, to) ||
			    !path_fits(fs, to) || !strcmp(to, path)) {
				free(to);
				free(path);
				continue;
			}
			gc_buf_clear(&prev);
			ck_assert_int_eq(gc_git_read(&prev, r->git, r->head,
						     path, &err),
					 0);
			ups[n].data = NULL;
			ups[n].len = 0;
			fileset_remove(fs, path);
			n++;
			gc_buf_init(&data[n]);
			gc_buf_add(&data[n], prev.ptr ? prev.ptr : "",
				   prev.len);
			paths[n] = to;
			path = to;
			ups[n].path = to;
		} else { /* write (new or edited) */
			gen_content(&data[n], gc_name_is_kustomization(path));
		}
		ups[n].data = data[n].ptr ? data[n].ptr : "";
		ups[n].len = data[n].len;
		if (!fileset_has(fs, path) && fs->n < GC_ARRAY_SIZE(fs->paths))
			fs->paths[fs->n++] = gc_xstrdup(path);
		else if (!fileset_has(fs, path))
			ups[n].data = NULL; /* full: delete instead */
		n++;
	}
	repo_commit(r, ups, n);
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		gc_buf_release(&data[i]);
	}
	gc_buf_release(&prev);
}

/*
 * Random histories: an index updated commit by commit equals a fresh
 * load. With trees on demand (lazy) its trees are dropped now and then,
 * and the trees it parses again equal those of the fresh load.
 */
static void random_histories(int seed, bool lazy, size_t keep)
{
	repo r;
	fileset fs = { { NULL }, 0 };
	gc_source_opts dflt = { .default_namespace = "dflt",
				.trees_on_demand = lazy,
				.keep_tree_nodes = keep },
		       plain = { .trees_on_demand = lazy,
				 .keep_tree_nodes = keep },
		       *opts = &plain;
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	char from[GC_OID_HEX];
	size_t nonempty = 0;

	srand(1000u + (unsigned)seed);
	repo_open(&r);
	random_commit(&r, &fs);
	ck_assert_int_eq(gc_source_load_git(&idx, r.git, r.head, opts, &err),
			 0);
	if (lazy) {
		/* the trees kept from the load, or parsed again */
		char *want = full_dump(&r, opts, true), *got = dump_trees(idx);

		ck_assert_msg(!strcmp(want, got),
			      "seed %d load:\n--- full load\n%s--- lazy\n%s",
			      seed, want, got);
		free(want);
		free(got);
	}
	for (int step = 0; step < 120; step++) {
		char *want, *got;

		memcpy(from, r.head, GC_OID_HEX);
		random_commit(&r, &fs);
		/* now and then the default namespace changes too */
		if (pick(10) == 0)
			opts = opts == &dflt ? &plain : &dflt;
		update(idx, &r, from, opts);
		if (lazy && pick(2) == 0)
			gc_index_trim(idx);
		want = full_dump(&r, opts, lazy);
		got = lazy ? dump_trees(idx) : dump(idx);
		ck_assert_msg(
			!strcmp(want, got),
			"seed %d step %d:\n--- full load\n%s--- update\n%s",
			seed, step, want, got);
		nonempty += gc_index_count(idx) > 0;
		free(want);
		free(got);
	}
	/* a root kustomization hides what it does not list: fewer than before
	 */
	ck_assert_uint_gt(nonempty, 20);
	gc_index_free(idx);
	for (size_t i = 0; i < fs.n; i++)
		free(fs.paths[i]);
	repo_close(&r);
}

START_TEST(test_source_update__random_histories_equal_a_full_load)
{
	random_histories(_i, false, 0);
}
END_TEST

START_TEST(test_source_update__trees_on_demand_equal_a_full_load)
{
	random_histories(_i, true, 0);
}
END_TEST

/* Some trees kept from the load (render's parse once), the rest dropped. */
START_TEST(test_source_update__kept_trees_equal_a_full_load)
{
	random_histories(_i, true, 40);
}
END_TEST

/* ---- the cases one by one ---- */

typedef struct step {
	const char *path, *data; /* data NULL = delete */
} step;

static char *apply(repo *r, gc_index **idx, const step *steps, size_t n)
{
	gc_git_update ups[8] = { 0 };
	char from[GC_OID_HEX];
	gc_error err = GC_ERROR_INIT;

	ck_assert_uint_le(n, GC_ARRAY_SIZE(ups));
	for (size_t i = 0; i < n; i++) {
		ups[i].path = steps[i].path;
		ups[i].data = steps[i].data;
		ups[i].len = steps[i].data ? strlen(steps[i].data) : 0;
	}
	memcpy(from, r->head, GC_OID_HEX);
	repo_commit(r, ups, n);
	if (!*idx)
		ck_assert_int_eq(gc_source_load_git(idx, r->git, r->head, NULL,
						    &err),
				 0);
	else
		update(*idx, r, from, NULL);
	return dump(*idx);
}

#define CM(name, extra) \
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " name "\n" extra

START_TEST(test_source_update__cases)
{
	repo r;
	gc_index *idx = NULL;
	char *got;
	const step load[] = {
		{ "apps/kustomization.yaml",
		  "namespace: k1\nresources: [a.yaml]\n" },
		{ "apps/a.yaml", CM("one", "") },
		{ "b.yaml", CM("one", "  namespace: k1\n") },
		{ "c.yaml", CM("two", "") },
	};
	const step kust_moves[] = {
		{ "apps/kustomization.yaml",
		  "namespace: k2\nresources: [a.yaml]\n" },
	};
	const step dup_back[] = {
		{ "apps/kustomization.yaml", NULL },
		{ "apps/z.yaml", CM("two", "") },
	};
	const step first_gone[] = { { "apps/z.yaml", NULL },
				    { "c.yaml", "a: [\n" } };

	repo_open(&r);
	got = apply(&r, &idx, load, GC_ARRAY_SIZE(load));
	/* apps/a.yaml is k1/one first, so b.yaml's is the duplicate */
	ck_assert_str_eq(
		got,
		"3 documents\n"
		"apps/a.yaml#0 v1 ConfigMap k1/one (found)\n"
		"c.yaml#0 v1 ConfigMap default/two (found)\n"
		"b.yaml:1:1: duplicate ConfigMap k1/one (first defined at apps/a.yaml:1:1)\n");
	free(got);
	/* the kustomization moves apps/a.yaml away: b.yaml's is no duplicate */
	got = apply(&r, &idx, kust_moves, GC_ARRAY_SIZE(kust_moves));
	ck_assert_str_eq(got, "3 documents\n"
			      "apps/a.yaml#0 v1 ConfigMap k2/one (found)\n"
			      "b.yaml#0 v1 ConfigMap k1/one (found)\n"
			      "c.yaml#0 v1 ConfigMap default/two (found)\n");
	free(got);
	/* without it Flux's generated kustomization takes every file of
	 * apps/: apps/a.yaml is default/one; apps/z.yaml's default/two comes
	 * before c.yaml's in path order */
	got = apply(&r, &idx, dup_back, GC_ARRAY_SIZE(dup_back));
	ck_assert_str_eq(
		got,
		"4 documents\n"
		"apps/a.yaml#0 v1 ConfigMap default/one (found)\n"
		"apps/z.yaml#0 v1 ConfigMap default/two (found)\n"
		"b.yaml#0 v1 ConfigMap k1/one (found)\n"
		"c.yaml:1:1: duplicate ConfigMap default/two (first defined at apps/z.yaml:1:1)\n");
	free(got);
	/* the first one deleted, the second broken: neither is left */
	got = apply(&r, &idx, first_gone, GC_ARRAY_SIZE(first_gone));
	ck_assert_str_eq(
		got,
		"2 documents\n"
		"apps/a.yaml#0 v1 ConfigMap default/one (found)\n"
		"b.yaml#0 v1 ConfigMap k1/one (found)\n"
		"c.yaml:1:5: did not find expected node content while parsing a flow node\n");
	free(got);
	gc_index_free(idx);
	repo_close(&r);
}
END_TEST

/* One commit writing (or deleting, data NULL) many generated files. */
static void commit_many(repo *r, size_t n, unsigned seed, bool del)
{
	gc_git_update *ups = gc_xcalloc(n, sizeof(*ups));
	gc_buf *data = gc_xcalloc(n, sizeof(*data));
	char **paths = gc_xcalloc(n, sizeof(*paths));

	for (size_t i = 0; i < n; i++) {
		paths[i] = gc_xasprintf("d%zu/f%03zu.yaml", i % 3, i);
		gc_buf_init(&data[i]);
		/* names repeat across files: duplicates change owners */
		gc_buf_addf(&data[i], CM("n%zu", "data:\n  k: v%u\n"),
			    (i * seed) % 37, seed);
		if (i % 5 == 0)
			gc_buf_addf(&data[i], "---\n" CM("m%zu", ""),
				    (i + seed) % 11);
		ups[i].path = paths[i];
		ups[i].data = del && i % 4 == 0 ? NULL : data[i].ptr;
		ups[i].len = ups[i].data ? data[i].len : 0;
	}
	repo_commit(r, ups, n);
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		gc_buf_release(&data[i]);
	}
	free(paths);
	free(data);
	free(ups);
}

/* Updates of many files (the objects list is rebuilt) and of a few. */
START_TEST(test_source_update__large_and_small_updates_equal_a_full_load)
{
	repo r;
	gc_index *idx = NULL;
	gc_error err = GC_ERROR_INIT;
	char from[GC_OID_HEX], *want, *got;
	const struct {
		size_t n;
		unsigned seed;
		bool del;
	} commits[] = { { 150, 3, false }, { 5, 7, false },   { 120, 5, true },
			{ 2, 11, false },  { 150, 13, true }, { 1, 2, true } };

	repo_open(&r);
	commit_many(&r, 10, 1, false);
	ck_assert_int_eq(gc_source_load_git(&idx, r.git, r.head, NULL, &err),
			 0);
	for (size_t i = 0; i < GC_ARRAY_SIZE(commits); i++) {
		memcpy(from, r.head, GC_OID_HEX);
		commit_many(&r, commits[i].n, commits[i].seed, commits[i].del);
		update(idx, &r, from, NULL);
		want = full_dump(&r, NULL, false);
		got = dump(idx);
		ck_assert_msg(!strcmp(want, got),
			      "commit %zu:\n--- full load\n%s--- update\n%s", i,
			      want, got);
		free(want);
		free(got);
	}
	gc_index_free(idx);
	repo_close(&r);
}
END_TEST

START_TEST(test_source_update__error_leaves_the_index_unchanged)
{
	repo r;
	gc_index *idx = NULL;
	gc_error err = GC_ERROR_INIT;
	char *before, *after, from[GC_OID_HEX];
	const char missing[GC_OID_HEX] =
		"0123456789012345678901234567890123456789";
	const step load[] = { { "a.yaml", CM("one", "") } };

	repo_open(&r);
	before = apply(&r, &idx, load, GC_ARRAY_SIZE(load));
	memcpy(from, r.head, GC_OID_HEX);
	ck_assert_int_lt(gc_source_update_git(idx, r.git, from, missing, NULL,
					      &err),
			 0);
	after = dump(idx);
	ck_assert_str_eq(after, before);
	gc_error_release(&err);
	free(before);
	free(after);
	gc_index_free(idx);
	repo_close(&r);
}
END_TEST

START_TEST(test_source_update__symlinks_are_not_manifests)
{
	repo r;
	gc_index *idx = NULL;
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	char from[GC_OID_HEX], *got;
	const step load[] = { { "a.yaml", CM("one", "") } };

	repo_open(&r);
	free(apply(&r, &idx, load, GC_ARRAY_SIZE(load)));
	memcpy(from, r.head, GC_OID_HEX);
	/* a commit made by git itself with a.yaml turned into a symlink */
	ck_assert_int_eq(
		gc_test_sh(
			&out, NULL,
			"export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
			"GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com "
			"GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com; "
			"cd '%s' && l=$(printf 'b.yaml' | git hash-object -w --stdin) && "
			"t=$(printf '120000 blob %%s\\ta.yaml\\n' $l | git mktree) && "
			"git commit-tree -p %s -m s $t",
			r.dir, r.head),
		0);
	ck_assert_uint_ge(out.len, 40);
	memcpy(r.head, out.ptr, 40);
	r.head[40] = '\0';
	ck_assert_int_eq(gc_source_update_git(idx, r.git, from, r.head, NULL,
					      &err),
			 0);
	got = dump(idx);
	ck_assert_str_eq(got, "0 documents\n");
	free(got);
	got = full_dump(&r, NULL, false);
	ck_assert_str_eq(got, "0 documents\n");
	free(got);
	gc_buf_release(&out);
	gc_index_free(idx);
	repo_close(&r);
}
END_TEST

static Suite *gc_suite_source_update(void)
{
	Suite *s = suite_create("source_update");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(
		tc, test_source_update__random_histories_equal_a_full_load, 0,
		8);
	tcase_add_loop_test(
		tc, test_source_update__trees_on_demand_equal_a_full_load, 0,
		8);
	tcase_add_loop_test(tc,
			    test_source_update__kept_trees_equal_a_full_load, 0,
			    4);
	tcase_add_test(tc, test_source_update__cases);
	tcase_add_test(
		tc,
		test_source_update__large_and_small_updates_equal_a_full_load);
	tcase_add_test(tc,
		       test_source_update__error_leaves_the_index_unchanged);
	tcase_add_test(tc, test_source_update__symlinks_are_not_manifests);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_source_update)
