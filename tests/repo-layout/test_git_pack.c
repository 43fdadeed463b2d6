/*
 * How gc_git writes objects (repo-layout/git_pack.c): a commit as one
 * pack, big trees in zlib stored blocks, nothing on disk before a commit
 * or a ref needs it, small packs merged, and a push that sends all of it.
 * Checked with the git CLI (count-objects, fsck, cat-file).
 */
#include <stdio.h>

#include "git_helpers.h"
#include "repo-layout/git_internal.h"

static char *tmp, *url, *cache, *clone;
static gc_git_open_opts opts;
static const gc_git_signature sig = { "bot", "bot@example.com", 1700000000 };

static void setup(void)
{
	tmp = gc_test_tmpdir();
	url = gc_xasprintf("file://%s/remote.git", tmp);
	cache = gc_xasprintf("%s/cache", tmp);
	opts.cache_dir = cache;
	sh_ok("cd '%s' && git init -q -b main seed && cd seed && "
	      "echo a > a.yaml && git add . && git commit -q -m first && "
	      "git clone -q --bare . ../remote.git",
	      tmp);
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
	free(url);
	free(cache);
	free(clone);
	clone = NULL;
}

/* size bytes that deflate to no less, from the generator's state *x */
static void noise(char *d, size_t size, unsigned long *x)
{
	for (size_t k = 0; k < size; k++) {
		*x = *x * 6364136223846793005ul + 1442695040888963407ul;
		d[k] = (char)(*x >> 56);
	}
}

/*
 * n blobs of noise, size bytes each, into data (n * size) and g, at paths
 * big/blob-NNNN, as the updates of a commit.
 */
static void write_noise_blobs(gc_git *g, char *data, size_t n, size_t size,
			      unsigned long x, char (*paths)[32],
			      char (*ids)[GC_OID_HEX], gc_git_update *up)
{
	gc_error err = GC_ERROR_INIT;

	for (size_t i = 0; i < n; i++) {
		char *d = data + size * i;

		noise(d, size, &x);
		snprintf(paths[i], sizeof(paths[i]), "big/blob-%04zu", i);
		ck_assert_int_eq(gc_git_write_blob(ids[i], g, d, size, &err),
				 0);
		up[i].path = paths[i];
		up[i].blob = ids[i];
	}
}

/* `git count-objects -v`'s value of key ("count", "packs") in repo. */
static long objects(const char *repo, const char *key)
{
	char *s = sh("git -C '%s' count-objects -v | sed -n 's/^%s: //p'", repo,
		     key);
	long n = atol(s);

	free(s);
	return n;
}

/* n files dir/file-NNNN.yaml holding "NNNN\n" (data in one buffer). */
static gc_git_update *many(size_t n, const char *dir, char **data)
{
	gc_git_update *up = gc_xcalloc(n, sizeof(*up));
	char *d = *data = gc_xcalloc(n, 48);

	for (size_t i = 0; i < n; i++) {
		char *path = d + 48 * i;
		int len = snprintf(path, 32, "%s/file-%04zu.yaml", dir, i);

		up[i].path = path;
		up[i].data = path + len + 1;
		up[i].len = (size_t)snprintf(path + len + 1, 16, "%04zu\n", i);
	}
	return up;
}

/*
 * The first tick at 10,000 canaries wrote ~110,000 loose objects: a commit
 * of many files is now one pack, on disk when gc_git_commit returns, and
 * the push sends all of it.
 */
START_TEST(test_git_pack__big_commit_is_one_pack_and_pushed)
{
	gc_error err = GC_ERROR_INIT;
	char main_id[GC_OID_HEX], id[GC_OID_HEX], *data, *s;
	gc_git_update *up = many(1200, "ns/app", &data);
	long loose, packs;
	gc_git *g = NULL;

	ck_assert_msg(gc_git_open(&g, url, &opts, &err) == 0, "%s", err.msg);
	clone = sh("ls -d '%s'/*", cache);
	loose = objects(clone, "count");
	packs = objects(clone, "packs");
	ck_assert_int_eq(gc_git_resolve(main_id, g, "main", &err), 0);
	ck_assert_msg(gc_git_commit(id, g, main_id, up, 1200, &sig, NULL,
				    "many", &err) == 0,
		      "%s", gc_error_msg(&err));
	/* 1200 blobs, 2 directories, the root, the commit: one pack */
	ck_assert_int_eq(objects(clone, "count"), loose);
	ck_assert_int_eq(objects(clone, "packs"), packs + 1);
	sh_ok("git -C '%s' fsck --no-dangling --no-progress %s", clone, id);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s/remote.git' fsck --no-dangling --no-progress", tmp);
	s = sh("git -C '%s/remote.git' ls-tree -r --name-only deploy | wc -l",
	       tmp);
	ck_assert_str_eq(s, "1201");
	free(s);
	s = sh("git -C '%s/remote.git' cat-file -p deploy:ns/app/file-0777.yaml",
	       tmp);
	ck_assert_str_eq(s, "0777");
	free(s);
	gc_git_free(g);
	free(up);
	free(data);
}
END_TEST

/*
 * A one-canary tick: a few objects, one more pack and no loose file, and
 * a 10,000-entry directory's tree (here 3,000: ~110 KB) in zlib stored
 * blocks. A blob written without a commit is not on disk: no ref can
 * point at it yet, and a crash loses nothing a ref needs.
 */
START_TEST(test_git_pack__small_commit_is_a_pack_and_big_tree_stored)
{
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *data, *s, *tree;
	char base[GC_OID_HEX], id[GC_OID_HEX], blob[GC_OID_HEX];
	gc_git_update *up = many(3000, "bench", &data);
	gc_git_update one = { "bench/file-1234.yaml", NULL, 0, NULL };
	long loose, packs, size, stored;
	gc_git *g = NULL;

	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(id, g, "main", &err), 0);
	ck_assert_msg(gc_git_commit(base, g, id, up, 3000, &sig, NULL, "base",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	loose = objects(repo, "count");
	packs = objects(repo, "packs");

	ck_assert_int_eq(gc_git_write_blob(blob, g, "changed\n", 8, &err), 0);
	s = sh("git -C '%s' cat-file -t %s 2>/dev/null || echo none", repo,
	       blob);
	ck_assert_str_eq(s, "none");
	free(s);
	one.blob = blob;
	ck_assert_msg(gc_git_commit(id, g, base, &one, 1, &sig, NULL, "one",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	/* the blob, bench/, the root and the commit: one pack of 4 */
	ck_assert_int_eq(objects(repo, "count"), loose);
	ck_assert_int_eq(objects(repo, "packs"), packs + 1);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	/* the indexes gitcanary writes: checksums, CRCs and offsets */
	sh_ok("cd '%s/objects/pack' && for i in *.idx; do "
	      "git verify-pack $i || exit 1; done",
	      repo);
	s = sh("git -C '%s' show deploy:bench/file-1234.yaml", repo);
	ck_assert_str_eq(s, "changed");
	free(s);
	s = sh("git -C '%s' ls-tree deploy:bench | wc -l", repo);
	ck_assert_str_eq(s, "3000");
	free(s);
	/* stored: its pack entry is the tree's bytes plus zlib's few */
	tree = sh("git -C '%s' rev-parse deploy:bench", repo);
	s = sh("git -C '%s' cat-file -s %s", repo, tree);
	size = atol(s);
	free(s);
	s = sh("for i in '%s'/objects/pack/*.idx; do git verify-pack -v $i; "
	       "done | awk '$1 == \"%s\" { print $4; exit }'",
	       repo, tree);
	stored = atol(s);
	free(s);
	ck_assert_int_gt(size, 64 * 1024);
	ck_assert_int_gt(stored, size);
	ck_assert_int_lt(stored, size + size / 100 + 64);
	free(tree);
	gc_git_free(g);
	free(up);
	free(data);
	free(repo);
}
END_TEST

/*
 * A first tick's objects are deflated by a second thread, a batch at a
 * time, while the writer goes on: ~6 MB of blobs (incompressible, so
 * packs are written before the commit too) come out whole, in packs git
 * verifies, and no loose file; what each blob's id names is what was
 * written (git hashes the content itself).
 */
START_TEST(test_git_pack__batches_deflated_aside_are_whole)
{
	enum { N = 4000, SIZE = 1500 };
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *s, *want;
	char(*paths)[32] = gc_xcalloc(N, sizeof(*paths));
	char(*ids)[GC_OID_HEX] = gc_xcalloc(N, sizeof(*ids));
	char *data = gc_xcalloc(N, SIZE);
	gc_git_update *up = gc_xcalloc(N, sizeof(*up));
	char base[GC_OID_HEX], id[GC_OID_HEX];
	unsigned long x = 12345;
	long loose, packs;
	gc_git *g = NULL;

	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	loose = objects(repo, "count");
	packs = objects(repo, "packs");
	write_noise_blobs(g, data, N, SIZE, x, paths, ids, up);
	/* past 2 MiB waiting, packs were written before any commit */
	ck_assert_int_ge(objects(repo, "packs"), packs + 2);
	ck_assert_msg(gc_git_commit(id, g, base, up, N, &sig, NULL, "big",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	ck_assert_int_eq(objects(repo, "count"), loose);
	sh_ok("cd '%s' && for i in objects/pack/*.idx; do "
	      "git verify-pack $i || exit 1; done",
	      repo);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress %s", repo,
	      id);
	for (size_t i = 0; i < N; i += 997) {
		char *file = gc_xasprintf("%s/blob", tmp);

		ck_assert_int_eq(gc_buf_write_file(file,
						   data + (size_t)SIZE * i,
						   SIZE, &err),
				 0);
		want = sh("git hash-object '%s'", file);
		s = sh("git -C '%s' rev-parse %s:%s", repo, id, paths[i]);
		ck_assert_str_eq(s, want);
		ck_assert_str_eq(s, ids[i]);
		free(s);
		free(want);
		free(file);
	}
	gc_git_free(g);
	free(up);
	free(data);
	free(ids);
	free(paths);
	free(repo);
}
END_TEST

/* What takes hand over: the entries one after another, as a pack's. */
typedef struct taken {
	gc_buf packed;
	gc_git_entry *entries;
	size_t n;
} taken;

static void take_cb(const char *packed, size_t len, const gc_git_entry *entries,
		    size_t n, void *payload)
{
	taken *t = payload;

	t->entries = gc_xrealloc(t->entries, (t->n + n) * sizeof(*t->entries));
	for (size_t i = 0; i < n; i++) {
		t->entries[t->n + i] = entries[i];
		t->entries[t->n + i].off += t->packed.len;
		t->entries[t->n + i].zoff += t->packed.len;
	}
	t->n += n;
	gc_buf_add(&t->packed, packed, len);
}

/*
 * Objects come faster than the deflating thread takes them (a commit's
 * trees, ~6 MB here, only copied): past two batches waiting for it the
 * writer deflates the oldest itself, so a take that does not wait already
 * hands over all but the last few batches (what is held twice, raw and
 * deflated, stays bounded). What all takes hand over,
 * across batch boundaries and an object bigger than a batch, is each
 * object's whole pack entry, in order: its type and size, then a zlib
 * stream of its bytes.
 */
START_TEST(test_git_pack__deflater_holds_few_batches)
{
	enum { N = 600, BIG = 100 };
	gc_git_deflater *d = gc_git__deflater_new();
	gc_git_batch **in = gc_xcalloc(N, sizeof(*in));
	size_t *at = gc_xcalloc(N, sizeof(*at)), *len, total = 0, held;
	taken t = { GC_BUF_INIT, NULL, 0 };
	gc_buf obj = GC_BUF_INIT, out = GC_BUF_INIT;
	char **objs = gc_xcalloc(N, sizeof(*objs));

	len = gc_xcalloc(N, sizeof(*len));
	for (size_t i = 0; i < N; i++) {
		gc_buf_clear(&obj);
		while (obj.len < (i == BIG ? 400000 : 1 + i * 997 % 20000))
			gc_buf_addf(&obj, "%zu-%zu ", i, obj.len * 31 % 1009);
		len[i] = obj.len;
		objs[i] = gc_xstrndup(obj.ptr, obj.len);
		total += len[i];
	}
	for (size_t i = 0; i < N; i++) /* as fast as they come */
		gc_git__deflater_add(d, &in[i], &at[i],
				     i % 3 ? GIT_OBJECT_BLOB : GIT_OBJECT_TREE,
				     objs[i], len[i]);
	for (size_t i = 0; i < N; i++)
		ck_assert(!memcmp(gc_git__deflater_bytes(in[i], at[i]), objs[i],
				  len[i]));
	ck_assert_uint_gt(total, 5u << 20);
	ck_assert_uint_eq(gc_git__deflater_held(d), total);
	ck_assert_int_eq(gc_git__deflater_take(d, false, take_cb, &t), 0);
	held = gc_git__deflater_held(d);
	/* here ~0.15 of 6.4 MB; 4.4-5.8 MB when only the thread deflated (a
	 * margin for a thread the scheduler keeps waiting mid-batch) */
	ck_assert_msg(held <= total / 2, "%zu of %zu bytes held", held, total);
	ck_assert_uint_gt(t.n, N / 2);
	ck_assert_int_eq(gc_git__deflater_take(d, true, take_cb, &t), 0);
	ck_assert_uint_eq(t.n, N);
	ck_assert_uint_eq(gc_git__deflater_held(d), 0);
	for (size_t i = 0; i < N; i++) {
		const gc_git_entry *e = &t.entries[i];
		const unsigned char *h = (unsigned char *)t.packed.ptr + e->off;
		size_t size = h[0] & 0x0f, shift = 4, k = 0;

		ck_assert_uint_eq(e->off, i ? t.entries[i - 1].off +
							  t.entries[i - 1].len
					    : 0);
		ck_assert_uint_eq((h[0] >> 4) & 7,
				  i % 3 ? GIT_OBJECT_BLOB : GIT_OBJECT_TREE);
		while (h[k] & 0x80) {
			size |= (size_t)(h[++k] & 0x7f) << shift;
			shift += 7;
		}
		ck_assert_uint_eq(size, len[i]);
		ck_assert_uint_eq(e->zoff, e->off + k + 1);
		gc_buf_clear(&out);
		gc_buf_grow(&out, len[i] + 1);
		ck_assert_int_eq(gc_git__inflate(d, out.ptr, len[i],
						 t.packed.ptr + e->zoff,
						 e->off + e->len - e->zoff),
				 0);
		ck_assert(!memcmp(out.ptr, objs[i], len[i]));
		free(objs[i]);
	}
	ck_assert_uint_eq(t.packed.len,
			  t.entries[N - 1].off + t.entries[N - 1].len);
	gc_git__deflater_free(d);
	gc_buf_release(&t.packed);
	gc_buf_release(&obj);
	gc_buf_release(&out);
	free(t.entries);
	free(objs);
	free(len);
	free(at);
	free(in);
}
END_TEST

/*
 * The blobs of a tick past 2 MiB are in packs before its commit: the
 * commit takes them (their headers are kept until the tick ends, so
 * libgit2 does not read them back from the packs), a blob written again
 * after its pack is not packed twice, and an id that names no blob of the
 * repository is still refused.
 */
START_TEST(test_git_pack__blobs_packed_before_the_commit_count_once)
{
	enum { N = 2000, SIZE = 1500 };
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *s;
	char(*paths)[32] = gc_xcalloc(N + 1, sizeof(*paths));
	char(*ids)[GC_OID_HEX] = gc_xcalloc(N + 1, sizeof(*ids));
	char *data = gc_xcalloc(N, SIZE), again[GC_OID_HEX];
	gc_git_update *up = gc_xcalloc(N + 1, sizeof(*up));
	char base[GC_OID_HEX], id[GC_OID_HEX];
	unsigned long x = 777;
	long packs, stored, distinct;
	gc_git *g = NULL;

	sh_ok("git -C '%s' config gc.auto 0", repo);
	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	packs = objects(repo, "packs");
	write_noise_blobs(g, data, N, SIZE, x, paths, ids, up);
	ck_assert_int_ge(objects(repo, "packs"), packs + 1);
	/* the first blob again, its pack on disk: the same id, no copy */
	ck_assert_int_eq(gc_git_write_blob(again, g, data, SIZE, &err), 0);
	ck_assert_str_eq(again, ids[0]);
	/* an id of no object: refused as before */
	snprintf(paths[N], sizeof(paths[N]), "big/none");
	up[N].path = paths[N];
	up[N].blob = "0123456789012345678901234567890123456789";
	ck_assert_int_eq(gc_git_commit(id, g, base, up, N + 1, &sig, NULL,
				       "none", &err),
			 GC_EINVALID);
	ck_assert_str_eq(gc_error_msg(&err),
			 "'big/none': no blob 0123456 in the repository");
	gc_error_clear(&err);
	ck_assert_msg(gc_git_commit(id, g, base, up, N, &sig, NULL, "big",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	sh_ok("cd '%s' && for i in objects/pack/*.idx; do "
	      "git verify-pack $i || exit 1; done",
	      repo);
	s = sh("git -C '%s' ls-tree -r deploy big | wc -l", repo);
	ck_assert_str_eq(s, "2000");
	free(s);
	/* every object once (packed or loose) */
	s = sh("git -C '%s' count-objects -v | awk '/^(count|in-pack):/ "
	       "{ n += $2 } END { print n }'; "
	       "git -C '%s' cat-file --batch-all-objects --batch-check | "
	       "wc -l",
	       repo, repo);
	ck_assert_int_eq(sscanf(s, "%ld %ld", &stored, &distinct), 2);
	ck_assert_int_eq(stored, distinct);
	free(s);
	gc_git_free(g);
	free(up);
	free(data);
	free(ids);
	free(paths);
	free(repo);
}
END_TEST

/*
 * The packs a tick wrote before its commit are small when its blobs are
 * big; an idle moment merges them before the commit comes (gc_git_tidy):
 * every blob is copied to the new packs, though its header was kept as
 * already packed, and the commit finds them all.
 */
START_TEST(test_git_pack__packs_merged_before_the_commit_keep_its_blobs)
{
	enum { N = 15, SIZE = 700000 };
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *s, *before, *after;
	char paths[N][32], ids[N][GC_OID_HEX], base[GC_OID_HEX], id[GC_OID_HEX];
	char *data = gc_xmalloc(SIZE);
	gc_git_update up[N];
	unsigned long x = 4242;
	long packs;
	gc_git *g = NULL;

	sh_ok("git -C '%s' config gc.auto 0", repo);
	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(base, g, "main", &err), 0);
	packs = objects(repo, "packs");
	memset(up, 0, sizeof(up));
	for (size_t i = 0; i < N; i++) {
		noise(data, SIZE, &x);
		ck_assert_int_eq(gc_git_write_blob(ids[i], g, data, SIZE, &err),
				 0);
		snprintf(paths[i], sizeof(paths[i]), "big/blob-%02zu", i);
		up[i].path = paths[i];
		up[i].blob = ids[i];
	}
	/* three blobs a pack; merged, each is copied again (in the order
	 * of ids: new packs, the old ones gone) */
	ck_assert_int_eq(objects(repo, "packs"), packs + 5);
	before = sh("ls '%s/objects/pack'", repo);
	ck_assert_int_eq(gc_git_tidy(g, &err), 0);
	after = sh("ls '%s/objects/pack'", repo);
	ck_assert_str_ne(after, before);
	ck_assert_int_eq(objects(repo, "packs"), packs + 5);
	ck_assert_msg(gc_git_commit(id, g, base, up, N, &sig, NULL, "big",
				    &err) == 0,
		      "%s", gc_error_msg(&err));
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	s = sh("git -C '%s' rev-parse deploy:big/blob-14", repo);
	ck_assert_str_eq(s, ids[14]);
	free(s);
	s = sh("git -C '%s' cat-file -s deploy:big/blob-03", repo);
	ck_assert_str_eq(s, "700000");
	free(s);
	gc_git_free(g);
	free(before);
	free(after);
	free(data);
	free(repo);
}
END_TEST

/*
 * Tick after tick, a pack each: a busy writer merges the small ones every
 * 64 packs, an idle moment (gc_git_tidy) after 4; the merged ones are
 * gone, every object is kept once, every commit is still whole (a merged
 * piece holding one whole pack is that pack, by name: it once deleted
 * itself), and the same gc_git goes on writing and reading after it.
 */
START_TEST(test_git_pack__small_packs_are_merged)
{
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *data, *s;
	char id[GC_OID_HEX], prev[GC_OID_HEX];
	gc_git_update *up = many(3000, "bench", &data);
	long packs, loose, most = 0, stored, distinct;
	gc_buf b = GC_BUF_INIT;
	gc_git *g = NULL;

	sh_ok("git -C '%s' config gc.auto 0", repo);
	loose = objects(repo, "count");
	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_resolve(prev, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(id, g, prev, up, 3000, &sig, NULL,
				       "base", &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "deploy", "", id, &err), 0);
	packs = objects(repo, "packs");
	for (int i = 0; i < 100; i++) {
		char line[32];
		gc_git_update one = { "bench/file-0042.yaml", line, 0, NULL };

		one.len = (size_t)snprintf(line, sizeof(line), "v%d\n", i);
		snprintf(prev, sizeof(prev), "%s", id);
		ck_assert_msg(gc_git_commit(id, g, prev, &one, 1, &sig, NULL,
					    "one", &err) == 0,
			      "%d: %s", i, gc_error_msg(&err));
		ck_assert_msg(gc_git_update_branch(g, "deploy", prev, id,
						   &err) == 0,
			      "%d: %s", i, gc_error_msg(&err));
		if (objects(repo, "packs") > most)
			most = objects(repo, "packs");
		if (i == 69) { /* busy: merged every 64 packs */
			ck_assert_int_le(most, packs + 64);
			ck_assert_int_gt(most, packs + 60);
			ck_assert_int_lt(objects(repo, "packs"), most / 4);
		}
		if (i >= 70) /* idle between commits: merged every 4 */
			ck_assert_int_eq(gc_git_tidy(g, &err), 0);
	}
	ck_assert_int_lt(objects(repo, "packs"), packs + 8);
	ck_assert_int_eq(objects(repo, "count"), loose);
	gc_git_free(g);
	/* one process a commit (reconcile --once from cron): the packs the
	 * others left count, so an idle one merges them */
	for (int i = 100; i < 106; i++) {
		char line[32];
		gc_git_update one = { "bench/file-0042.yaml", line, 0, NULL };

		one.len = (size_t)snprintf(line, sizeof(line), "v%d\n", i);
		snprintf(prev, sizeof(prev), "%s", id);
		ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
		ck_assert_int_eq(gc_git_commit(id, g, prev, &one, 1, &sig, NULL,
					       "one", &err),
				 0);
		ck_assert_int_eq(gc_git_update_branch(g, "deploy", prev, id,
						      &err),
				 0);
		gc_git_free(g);
	}
	most = objects(repo, "packs");
	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(gc_git_tidy(g, &err), 0);
	ck_assert_int_lt(objects(repo, "packs"), most - 4);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	s = sh("git -C '%s' rev-list --count deploy", repo);
	ck_assert_str_eq(s, "108");
	free(s);
	s = sh("git -C '%s' show deploy~13:bench/file-0042.yaml", repo);
	ck_assert_str_eq(s, "v92");
	free(s);
	/* every object once (packed or loose): the merged packs are gone */
	s = sh("git -C '%s' count-objects -v | awk '/^(count|in-pack):/ "
	       "{ n += $2 } END { print n }'; "
	       "git -C '%s' cat-file --batch-all-objects --batch-check | "
	       "wc -l",
	       repo, repo);
	ck_assert_int_eq(sscanf(s, "%ld %ld", &stored, &distinct), 2);
	ck_assert_int_eq(stored, distinct);
	free(s);
	/* the same gc_git reads what it wrote before a merge */
	s = sh("git -C '%s' rev-parse deploy~36", repo);
	ck_assert_int_eq(gc_git_read(&b, g, s, "bench/file-0042.yaml", &err),
			 0);
	free(s);
	ck_assert_str_eq(b.ptr, "v69\n");
	gc_buf_release(&b);
	gc_git_free(g);
	free(up);
	free(data);
	free(repo);
}
END_TEST

/* The files in repo's objects/pack whose names start with prefix. */
static long pack_files(const char *repo, const char *prefix)
{
	char *s = sh("ls '%s/objects/pack' | grep -c '^%s' || true", repo,
		     prefix);
	long n = atol(s);

	free(s);
	return n;
}

/*
 * An idle moment makes the empty files the next packs are written to
 * (a tick then creates none); they are used, and removed with the
 * handle, and what is written through them is whole.
 */
START_TEST(test_git_pack__idle_makes_the_files_a_tick_writes)
{
	gc_error err = GC_ERROR_INIT;
	char *repo = gc_xasprintf("%s/remote.git", tmp), *s;
	char id[GC_OID_HEX], prev[GC_OID_HEX];
	gc_git_update one = { "a.yaml", "b\n", 2, NULL };
	gc_git *g = NULL;

	ck_assert_int_eq(gc_git_open(&g, repo, NULL, &err), 0);
	ck_assert_int_eq(pack_files(repo, "tmp_gc_"), 0);
	ck_assert_int_eq(gc_git_tidy(g, &err), 0);
	ck_assert_int_eq(pack_files(repo, "tmp_gc_"), 4);
	ck_assert_int_eq(gc_git_resolve(prev, g, "main", &err), 0);
	ck_assert_int_eq(gc_git_commit(id, g, prev, &one, 1, &sig, NULL, "b",
				       &err),
			 0);
	ck_assert_int_eq(gc_git_update_branch(g, "main", prev, id, &err), 0);
	/* the pack and its index went to two of them */
	ck_assert_int_eq(pack_files(repo, "tmp_gc_"), 2);
	ck_assert_int_eq(pack_files(repo, "pack-"), 2);
	sh_ok("git -C '%s' fsck --strict --no-dangling --no-progress", repo);
	s = sh("git -C '%s' show main:a.yaml", repo);
	ck_assert_str_eq(s, "b");
	free(s);
	gc_git_free(g);
	ck_assert_int_eq(pack_files(repo, "tmp_gc_"), 0);
	free(repo);
}
END_TEST

static Suite *gc_suite_git_pack(void)
{
	Suite *s = suite_create("git_pack");
	TCase *tc = tcase_create("git_pack");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_git_pack__big_commit_is_one_pack_and_pushed);
	tcase_add_test(
		tc, test_git_pack__small_commit_is_a_pack_and_big_tree_stored);
	tcase_add_test(tc, test_git_pack__batches_deflated_aside_are_whole);
	tcase_add_test(tc, test_git_pack__deflater_holds_few_batches);
	tcase_add_test(
		tc, test_git_pack__blobs_packed_before_the_commit_count_once);
	tcase_add_test(
		tc,
		test_git_pack__packs_merged_before_the_commit_keep_its_blobs);
	tcase_add_test(tc, test_git_pack__small_packs_are_merged);
	tcase_add_test(tc, test_git_pack__idle_makes_the_files_a_tick_writes);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_git_pack)
