/*
 * Raw trees. Trees on hot paths are handled as raw bytes: edited
 * (raw_edit), searched (raw_lookup) and compared (raw_diff) without
 * libgit2's tree objects. The
 * big ones are kept in a small cache. At 10,000 canaries in one namespace a
 * deploy directory and its status directory are trees of ~10,000 entries
 * (~400 KiB), rewritten by every tick and read again by the next, and the
 * source directory is as big and read by every tick's diff and reads.
 * Reading one from the object database costs inflate and the SHA-1 check
 * (sha1dc), and libgit2 keeps parsed trees only up to 4 KiB. Objects never
 * change, so a cached tree is always right. Anything unusual (a malformed
 * tree, a file where a directory is expected) sets raw_op.fallback and the
 * caller (git.c) uses libgit2 instead: see git_internal.h.
 */
#include "git_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define RAW_OID 20          /* SHA-1 */
#define TREE_CACHE_MIN 4096 /* smaller trees: libgit2 keeps them parsed */
#define TREE_CACHE_BYTES (6u << 20) /* bytes and entries of cached trees */

/*
 * One raw-tree operation. Functions taking it return 0 or a negative
 * gc_code; after 0 they may have set fallback: the trees are unusual, stop
 * and let libgit2 judge them. Callers check both.
 */
typedef struct raw_op {
	gc_git *g;
	git_odb *odb;
	gc_error *err;
	bool fallback;
} raw_op;

typedef struct raw_entry {
	const char *mode, *name; /* borrowed from the raw tree or a change */
	size_t mode_len, len;
	bool dir, remove;
	unsigned filemode; /* mode as a number (raw trees only) */
	const unsigned char *id;
} raw_entry;

#define RAW_TYPE(m) ((m)&0170000u)
#define RAW_DIR 0040000u
#define RAW_FILE 0100000u
#define RAW_GITLINK 0160000u

/* The octal mode of len bytes at p; false when it is not one. */
static bool raw_mode(unsigned *out, const char *p, size_t len)
{
	unsigned m = 0;

	if (!len || len > 7)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '7')
			return false;
		m = m * 8 + (unsigned)(p[i] - '0');
	}
	*out = m;
	return true;
}

/* git's order: a directory's name compares as if it ended with '/'. */
static int raw_cmp(const raw_entry *a, const raw_entry *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	unsigned ca, cb;

	if (c)
		return c;
	ca = n < a->len ? (unsigned char)a->name[n] : (a->dir ? '/' : 0);
	cb = n < b->len ? (unsigned char)b->name[n] : (b->dir ? '/' : 0);
	return ca < cb ? -1 : ca > cb;
}

static int raw_cmp_qsort(const void *a, const void *b)
{
	return raw_cmp(a, b);
}

/* The entries of a raw tree; false when it is malformed. */
static bool raw_parse(raw_entry **out, size_t *n, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	size_t alloc = 16;
	raw_entry *v = gc_xcalloc(alloc, sizeof(*v));

	*n = 0;
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *nul;
		unsigned mode;
		raw_entry *e;

		if (!sp || !(nul = memchr(sp, '\0', (size_t)(end - sp))) ||
		    (size_t)(end - nul - 1) < RAW_OID ||
		    !raw_mode(&mode, p, (size_t)(sp - p))) {
			free(v);
			return false;
		}
		if (*n == alloc) {
			alloc *= 2;
			v = gc_xrealloc(v, alloc * sizeof(*v));
		}
		e = &v[(*n)++];
		memset(e, 0, sizeof(*e));
		e->mode = p;
		e->mode_len = (size_t)(sp - p);
		e->name = sp + 1;
		e->len = (size_t)(nul - sp - 1);
		e->filemode = mode;
		e->dir = RAW_TYPE(mode) == RAW_DIR;
		e->id = (const unsigned char *)nul + 1;
		p = nul + 1 + RAW_OID;
	}
	*out = gc_xrealloc(v, (*n ? *n : 1) * sizeof(*v));
	return true;
}

/* A tree's bytes and entries; shared by the cache and its users. */
typedef struct raw_tree {
	unsigned refs;
	git_oid id;
	raw_entry *entries; /* in git's order, into data; owned */
	size_t n, len, cost;
	char data[];
} raw_tree;

static void raw_tree_unref(raw_tree *t)
{
	if (t && !--t->refs) {
		free(t->entries);
		free(t);
	}
}

/* A raw_tree of a copy of data; NULL when it is not a well-formed tree. */
static raw_tree *raw_tree_new(const git_oid *id, const char *data, size_t len)
{
	raw_tree *t = gc_xmalloc(sizeof(*t) + len + 1);

	t->refs = 1;
	git_oid_cpy(&t->id, id);
	t->len = len;
	memcpy(t->data, data, len);
	if (!raw_parse(&t->entries, &t->n, t->data, len)) {
		free(t);
		return NULL;
	}
	t->cost = sizeof(*t) + len + t->n * sizeof(*t->entries);
	return t;
}

/* The cached tree `id` (a new reference), or NULL; it becomes the newest. */
static raw_tree *tree_cache_find(gc_git *g, const git_oid *id)
{
	for (size_t i = 0; i < g->ntrees; i++) {
		raw_tree *t = g->trees[i];

		if (!git_oid_equal(&t->id, id))
			continue;
		memmove(&g->trees[1], &g->trees[0], i * sizeof(*g->trees));
		g->trees[0] = t;
		t->refs++;
		return t;
	}
	return NULL;
}

/* Keeps t (when big) as the newest entry, dropping the oldest to fit. */
static void tree_cache_add(gc_git *g, raw_tree *t)
{
	if (t->len < TREE_CACHE_MIN || t->cost > TREE_CACHE_BYTES / 2)
		return;
	while (g->ntrees && (g->ntrees == GC_GIT_TREE_CACHE_SLOTS ||
			     g->tree_bytes + t->cost > TREE_CACHE_BYTES)) {
		raw_tree *old = g->trees[--g->ntrees];

		g->tree_bytes -= old->cost;
		raw_tree_unref(old);
	}
	memmove(&g->trees[1], &g->trees[0], g->ntrees * sizeof(*g->trees));
	g->trees[0] = t;
	g->ntrees++;
	g->tree_bytes += t->cost;
	t->refs++;
}

void gc_git__tree_cache_clear(gc_git *g)
{
	while (g->ntrees)
		raw_tree_unref(g->trees[--g->ntrees]);
	g->tree_bytes = 0;
}

/* The tree `id` (a reference to release); op->fallback when malformed. */
static int tree_get(raw_tree **out, raw_op *op, const git_oid *id)
{
	git_odb_object *obj = NULL;
	raw_tree *t;
	int rc;

	if ((t = tree_cache_find(op->g, id))) {
		*out = t;
		return 0;
	}
	if ((rc = git_odb_read(&obj, op->odb, id)) < 0)
		return gc_git__fail(op->g, op->err, rc, "cannot read a tree");
	t = git_odb_object_type(obj) == GIT_OBJECT_TREE
		    ? raw_tree_new(id, git_odb_object_data(obj),
				   git_odb_object_size(obj))
		    : NULL;
	git_odb_object_free(obj);
	if (!t) {
		op->fallback = true;
		return 0;
	}
	tree_cache_add(op->g, t);
	*out = t;
	return 0;
}

/* The entry `name` (len bytes) of t, or NULL: git's order, so bisect. */
static const raw_entry *raw_tree_find(const raw_tree *t, const char *name,
				      size_t len)
{
	raw_entry key = { .name = name, .len = len };

	for (int dir = 0; dir < 2; dir++) {
		size_t lo = 0, hi = t->n;

		key.dir = dir;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = raw_cmp(&key, &t->entries[mid]);

			if (!c)
				return &t->entries[mid];
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return NULL;
}

/*
 * The id and mode of path below the tree `root`, with *found (false when
 * absent); op->fallback for a path libgit2 should judge (empty components).
 */
static int raw_lookup(git_oid *out, unsigned *mode, bool *found, raw_op *op,
		      const git_oid *root, const char *path)
{
	git_oid cur;
	const char *s = path;
	int rc;

	*found = false;
	git_oid_cpy(&cur, root);
	for (;;) {
		size_t n = strcspn(s, "/");
		const raw_entry *e;
		raw_tree *t = NULL;

		if (!n) {
			op->fallback = true;
			return 0;
		}
		if ((rc = tree_get(&t, op, &cur)) < 0 || op->fallback)
			return rc;
		if ((e = raw_tree_find(t, s, n))) {
			git_oid_fromraw(&cur, e->id);
			*mode = e->filemode;
		}
		raw_tree_unref(t);
		if (!e || (s[n] && RAW_TYPE(*mode) != RAW_DIR))
			return 0;
		if (!s[n])
			break;
		s += n + 1;
	}
	git_oid_cpy(out, &cur);
	*found = true;
	return 0;
}

int gc_git__read_raw(gc_buf *out, bool *fallback, gc_git *g, const char *commit,
		     const char *path, bool files_only, gc_error *err)
{
	raw_op op = { g, NULL, err, false };
	git_blob *blob = NULL;
	git_oid root, id;
	unsigned mode = 0, type;
	bool found;
	int rc;

	*fallback = !commit || !*commit || !path;
	if (*fallback)
		return 0;
	if ((rc = gc_git__commit_tree_id(&root, g, commit, err)) < 0)
		return rc;
	if ((rc = git_repository_odb(&op.odb, g->repo)) < 0)
		return gc_git__fail(g, err, rc,
				    "cannot open the object database");
	rc = raw_lookup(&id, &mode, &found, &op, &root, path);
	git_odb_free(op.odb);
	*fallback = op.fallback;
	if (rc < 0 || op.fallback)
		return rc;
	type = RAW_TYPE(mode);
	if (!found || (files_only && type != RAW_FILE))
		return gc_error_set(err, GC_ENOTFOUND,
				    "no file '%s' in commit %.7s", path,
				    commit);
	if (type == RAW_DIR || type == RAW_GITLINK)
		return gc_error_set(err, GC_EINVALID,
				    "'%s' is not a file in commit %.7s", path,
				    commit);
	if ((rc = git_blob_lookup(&blob, g->repo, &id)) < 0)
		return gc_git__fail(g, err, rc, "'%s'", path);
	gc_buf_add(out, git_blob_rawcontent(blob),
		   (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

static bool raw_same(const raw_entry *a, const raw_entry *b)
{
	return a->filemode == b->filemode && !memcmp(a->id, b->id, RAW_OID);
}

static int raw_diff(raw_op *op, const git_oid *a, const git_oid *b,
		    gc_buf *path);

/* An entry on one side (a or b NULL) or changed: its path, or its files. */
static int raw_diff_entry(raw_op *op, const raw_entry *a, const raw_entry *b,
			  gc_buf *path)
{
	const raw_entry *e = a ? a : b;
	size_t base = path->len;
	git_oid ia, ib;
	int rc = 0;

	gc_buf_add(path, e->name, e->len);
	if (e->dir) {
		if (a)
			git_oid_fromraw(&ia, a->id);
		if (b)
			git_oid_fromraw(&ib, b->id);
		gc_buf_addch(path, '/');
		rc = raw_diff(op, a ? &ia : NULL, b ? &ib : NULL, path);
	} else {
		gc_git__diff_add(op->g, path->ptr);
	}
	gc_buf_truncate(path, base);
	return rc;
}

/*
 * git_diff_tree_to_tree's paths (no renames; a file that became a directory
 * is two changes) for trees a and b (NULL = empty), below path: the two
 * sorted entry lists are merged, and a subtree is entered only when its id
 * changed.
 */
static int raw_diff(raw_op *op, const git_oid *a, const git_oid *b,
		    gc_buf *path)
{
	raw_tree *ta = NULL, *tb = NULL;
	size_t i = 0, k = 0, na, nb;
	int rc = 0;

	if (a && ((rc = tree_get(&ta, op, a)) < 0 || op->fallback))
		goto cleanup;
	if (b && ((rc = tree_get(&tb, op, b)) < 0 || op->fallback))
		goto cleanup;
	na = ta ? ta->n : 0;
	nb = tb ? tb->n : 0;
	while (rc == 0 && !op->fallback && (i < na || k < nb)) {
		const raw_entry *ea = i < na ? &ta->entries[i] : NULL;
		const raw_entry *eb = k < nb ? &tb->entries[k] : NULL;
		int c = 0;

		if (!eb || (ea && (c = raw_cmp(ea, eb)) < 0)) {
			rc = raw_diff_entry(op, ea, NULL, path);
			i++;
		} else if (!ea || c > 0) {
			rc = raw_diff_entry(op, NULL, eb, path);
			k++;
		} else {
			if (!raw_same(ea, eb))
				rc = raw_diff_entry(op, ea, eb, path);
			i++;
			k++;
		}
	}
cleanup:
	raw_tree_unref(ta);
	raw_tree_unref(tb);
	return rc;
}

int gc_git__diff_raw(bool *fallback, gc_git *g, const char *from,
		     const char *to, gc_error *err)
{
	raw_op op = { g, NULL, err, false };
	git_oid a, b;
	gc_buf path = GC_BUF_INIT;
	int rc;

	*fallback = false;
	if ((*from && (rc = gc_git__commit_tree_id(&a, g, from, err)) < 0) ||
	    (*to && (rc = gc_git__commit_tree_id(&b, g, to, err)) < 0))
		return rc;
	if ((rc = git_repository_odb(&op.odb, g->repo)) < 0)
		return gc_git__fail(g, err, rc,
				    "cannot open the object database");
	rc = raw_diff(&op, *from ? &a : NULL, *to ? &b : NULL, &path);
	git_odb_free(op.odb);
	gc_buf_release(&path);
	*fallback = op.fallback;
	return rc;
}

/*
 * ---- editing raw tree objects ----
 *
 * git_tree_create_updated() loads every tree on a changed path into a
 * treebuilder (one allocation and hash insert per entry) and sorts it back:
 * about 60 % of a one-canary tick at 10,000 canaries in one namespace,
 * whose directories hold 10,000 entries. Here a tree on a changed path is
 * read as raw bytes, its entries are merged with the (few) changes in
 * git's order, and the bytes are written back; trees that become empty are
 * dropped, as git_tree_create_updated does. Anything unusual (a file where
 * a directory is expected, or the other way round) sets op->fallback and
 * the caller uses libgit2.
 */
typedef struct raw_change {
	const char *path; /* below the directory being edited */
	bool remove;
	git_oid id; /* the blob, for an upsert */
} raw_change;

static const raw_entry *raw_find(const raw_entry *v, size_t n, const char *name,
				 size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len == len && !memcmp(v[i].name, name, len))
			return &v[i];
	return NULL;
}

static int raw_edit(git_oid *out, bool *empty, raw_op *op, const git_oid *base,
		    raw_change *ch, size_t n);

/*
 * The edits of one directory: a subdirectory's changes are applied
 * recursively first. edits has room for n entries; ids for n oids.
 */
static int raw_collect(raw_entry *edits, size_t *nedits, git_oid *ids,
		       raw_op *op, const raw_entry *old, size_t nold,
		       raw_change *ch, size_t n)
{
	*nedits = 0;
	for (size_t i = 0, j; i < n; i = j) {
		const char *slash = strchr(ch[i].path, '/');
		size_t len = slash ? (size_t)(slash - ch[i].path)
				   : strlen(ch[i].path);
		const raw_entry *cur = raw_find(old, nold, ch[i].path, len);
		raw_entry *e = &edits[*nedits];
		bool gone = false;
		int rc;

		for (j = i + 1;
		     j < n && !strncmp(ch[j].path, ch[i].path, len) &&
		     ch[j].path[len] == (slash ? '/' : '\0');
		     j++)
			;
		memset(e, 0, sizeof(*e));
		e->name = ch[i].path;
		e->len = len;
		e->dir = slash != NULL;
		if (cur && cur->dir != e->dir) {
			op->fallback = true;
			return 0;
		}
		if (slash) {
			git_oid sub;

			for (size_t k = i; k < j; k++)
				ch[k].path += len + 1;
			if (cur)
				git_oid_fromraw(&sub, cur->id);
			rc = raw_edit(&ids[*nedits], &gone, op,
				      cur ? &sub : NULL, &ch[i], j - i);
			for (size_t k = i; k < j; k++)
				ch[k].path -= len + 1;
			if (rc < 0 || op->fallback)
				return rc;
		} else if (j != i + 1) {
			op->fallback = true; /* the same file twice */
			return 0;
		} else {
			gone = ch[i].remove;
			git_oid_cpy(&ids[*nedits], &ch[i].id);
		}
		if (gone && !cur)
			continue;
		e->remove = gone;
		e->mode = e->dir ? "40000" : "100644";
		e->mode_len = strlen(e->mode);
		e->id = ids[*nedits].id;
		(*nedits)++;
	}
	return 0;
}

/* Writes a tree; a big one goes to the cache, for the next tick's edit. */
static int raw_write(git_oid *out, raw_op *op, const char *data, size_t len)
{
	raw_tree *t;
	int rc;

	if ((rc = gc_git__write_object(out, op->g, data, len, GIT_OBJECT_TREE,
				       op->err)) < 0)
		return rc;
	if (len >= TREE_CACHE_MIN && (t = raw_tree_new(out, data, len))) {
		tree_cache_add(op->g, t);
		raw_tree_unref(t);
	}
	return 0;
}

static void raw_put(gc_buf *out, const raw_entry *e, size_t *count)
{
	if (e->remove)
		return;
	gc_buf_add(out, e->mode, e->mode_len);
	gc_buf_addch(out, ' ');
	gc_buf_add(out, e->name, e->len);
	gc_buf_addch(out, '\0');
	gc_buf_add(out, (const char *)e->id, RAW_OID);
	(*count)++;
}

/*
 * The end of the run of old[i..n) that sorts before e (old[i] does):
 * consecutive entries of a raw tree are consecutive bytes, so an edit of
 * one entry in a 10,000-entry directory copies the rest in two pieces.
 */
static size_t raw_before(const raw_entry *old, size_t i, size_t n,
			 const raw_entry *e)
{
	size_t lo = i + 1, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (raw_cmp(&old[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Applies ch (sorted by path) to the tree base (NULL = none). */
static int raw_edit(git_oid *out, bool *empty, raw_op *op, const git_oid *base,
		    raw_change *ch, size_t n)
{
	raw_tree *t = NULL;
	raw_entry *old = NULL, *edits = gc_xcalloc(n, sizeof(*edits));
	git_oid *ids = gc_xcalloc(n, sizeof(*ids));
	gc_buf data = GC_BUF_INIT;
	size_t nold = 0, nedits = 0, count = 0, i = 0, k = 0;
	int rc = 0;

	if (base && ((rc = tree_get(&t, op, base)) < 0 || op->fallback))
		goto cleanup;
	if (t) {
		old = t->entries;
		nold = t->n;
	}
	if ((rc = raw_collect(edits, &nedits, ids, op, old, nold, ch, n)) < 0 ||
	    op->fallback)
		goto cleanup;
	qsort(edits, nedits, sizeof(*edits), raw_cmp_qsort);
	while (i < nold || k < nedits) {
		int c = i == nold     ? 1
			: k == nedits ? -1
				      : raw_cmp(&old[i], &edits[k]);

		if (c < 0) { /* the old entries before the next edit, at once */
			size_t j = k == nedits ? nold
					       : raw_before(old, i, nold,
							    &edits[k]);

			gc_buf_add(&data, old[i].mode,
				   (size_t)((const char *)old[j - 1].id +
					    RAW_OID - old[i].mode));
			count += j - i;
			i = j;
			continue;
		}
		raw_put(&data, &edits[k++], &count);
		if (c == 0)
			i++; /* replaced or removed */
	}
	*empty = count == 0;
	if (!*empty)
		rc = raw_write(out, op, data.ptr, data.len);
cleanup:
	raw_tree_unref(t);
	free(edits);
	free(ids);
	gc_buf_release(&data);
	return rc;
}

static int raw_change_cmp(const void *a, const void *b)
{
	return strcmp(((const raw_change *)a)->path,
		      ((const raw_change *)b)->path);
}

int gc_git__write_tree_raw(git_oid *out, bool *fallback, gc_git *g,
			   git_tree *base, const gc_git_update *updates,
			   size_t n, gc_error *err)
{
	raw_change *ch = gc_xcalloc(n ? n : 1, sizeof(*ch));
	raw_op op = { g, NULL, err, false };
	bool empty = false;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!gc_git__path_ok(updates[i].path)) {
			op.fallback = true; /* libgit2 reports it */
			goto cleanup;
		}
		ch[i].path = updates[i].path;
		ch[i].remove = gc_git__update_removes(&updates[i]);
		if (!ch[i].remove)
			rc = gc_git__update_blob(&ch[i].id, g, &updates[i],
						 err);
	}
	if (rc < 0)
		goto cleanup;
	qsort(ch, n, sizeof(*ch), raw_change_cmp);
	if ((rc = git_repository_odb(&op.odb, g->repo)) < 0) {
		rc = gc_git__fail(g, err, rc,
				  "cannot open the object database");
		goto cleanup;
	}
	rc = raw_edit(out, &empty, &op, base ? git_tree_id(base) : NULL, ch, n);
	if (rc == 0 && !op.fallback && empty) { /* the root stays, empty */
		rc = gc_git__write_object(out, g, "", 0, GIT_OBJECT_TREE, err);
	}
cleanup:
	git_odb_free(op.odb);
	free(ch);
	*fallback = op.fallback;
	return rc;
}
