/*
 * How objects are written: the objects of a tick are kept in memory until
 * a commit or a ref needs them, then written at once, as a pack for a big
 * tick and as loose objects for a small one. Part of the libgit2 wrapper
 * (git_internal.h); docs/git.md has the why and the numbers.
 *
 * A backend of libgit2's object database (git2/sys/odb_backend.h) of the
 * highest priority takes every write: blobs, trees and commits go here,
 * each as the entry it will be in a pack (its type and size, then its
 * zlib stream). libgit2 reads them back through the same backend, so the
 * tick sees its own objects. At the end of gc_git_commit and before a ref
 * moves (gc_git__ref_cas, gc_git__push_one) gc_git__flush writes them:
 *
 *   - at least PACK_MIN objects (the first tick at 10,000 canaries writes
 *     ~110,000): one pack and its index, through libgit2's indexer
 *     (git_odb_write_pack), instead of one file per object — creating
 *     110,000 files took 15-50 s here;
 *   - fewer (a one-canary tick writes ~10): loose objects, so packs do
 *     not pile up tick after tick; trees of STORED_MIN bytes and more (the
 *     10,000-entry directories of a namespace and of its status files)
 *     are written with zlib's stored blocks, which git reads as any loose
 *     object: deflating two such trees was ~70 % of a one-bump tick, and
 *     ids of 20 random bytes hardly compress (360 -> 243 KB). libgit2's
 *     own loose writer cannot do that (it takes level 0 to mean "no zlib
 *     stream" and writes objects git cannot read), so the stored ones are
 *     written here, the rest by libgit2's loose backend.
 *
 * A crash loses only objects that no ref points to yet. The pending
 * entries are bounded: past PENDING_MAX bytes they go to a pack at the
 * next gc_git_write_blob, referenced or not (unreferenced objects are
 * harmless). Not thread-safe, as gc_git is not.
 */
#include "git_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "util/alloc.h"

#define PACK_MIN 512           /* objects: fewer are written loose */
#define PENDING_MAX (8u << 20) /* bytes of entries kept in memory */
#define STORED_MIN (64u << 10) /* trees this big: zlib stored blocks */
#define PENDING_PRIORITY 1000  /* above libgit2's loose (1), packs (2) */
#define PACK_TYPE_MAX 4        /* commit 1, tree 2, blob 3, tag 4 */

typedef struct pend_obj {
	git_oid id;
	git_object_t type;
	size_t size;     /* of the object */
	size_t off, len; /* its pack entry (header and zlib) in data */
	size_t zoff;     /* where the zlib stream starts */
} pend_obj;

struct gc_git_pending {
	git_odb_backend parent; /* first: libgit2 casts */
	gc_buf data;            /* pack entries, one after another */
	pend_obj *objs;
	size_t n, alloc;
	uint32_t *slots;        /* open addressing: index + 1, 0 = free */
	size_t nslots;          /* a power of two, > 2n */
	git_odb_backend *loose; /* libgit2's loose writer, for small ticks */
	char *objects_dir;
};

static size_t slot_of(const git_oid *id, size_t nslots)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (nslots - 1);
}

static pend_obj *pending_find(const gc_git_pending *p, const git_oid *id)
{
	if (!p->nslots)
		return NULL;
	for (size_t s = slot_of(id, p->nslots);;
	     s = (s + 1) & (p->nslots - 1)) {
		uint32_t k = p->slots[s];

		if (!k)
			return NULL;
		if (git_oid_equal(&p->objs[k - 1].id, id))
			return &p->objs[k - 1];
	}
}

static void slots_put(uint32_t *slots, size_t nslots, const git_oid *id,
		      uint32_t k)
{
	size_t s = slot_of(id, nslots);

	while (slots[s])
		s = (s + 1) & (nslots - 1);
	slots[s] = k;
}

static void pending_index(gc_git_pending *p)
{
	if (2 * (p->n + 1) < p->nslots)
		return;
	free(p->slots);
	p->nslots = p->nslots ? 2 * p->nslots : 1024;
	p->slots = gc_xcalloc(p->nslots, sizeof(*p->slots));
	for (size_t i = 0; i < p->n; i++)
		slots_put(p->slots, p->nslots, &p->objs[i].id, (uint32_t)i + 1);
}

/* A pack entry's header: type and size, 4 then 7 bits a byte. */
static void add_entry_header(gc_buf *out, git_object_t type, size_t size)
{
	unsigned char hdr[16];
	size_t n = 0;

	hdr[n] = (unsigned char)(((unsigned)type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		hdr[n++] |= 0x80;
		hdr[n] = size & 0x7f;
		size >>= 7;
	}
	gc_buf_add(out, hdr, n + 1);
}

/* Appends the zlib stream of the pieces at `level`; zlib's code or Z_OK. */
static int add_deflated(gc_buf *out, int level, const void *const *pieces,
			const size_t *lens, size_t npieces)
{
	z_stream z;
	size_t total = 0;
	int rc;

	memset(&z, 0, sizeof(z));
	if ((rc = deflateInit(&z, level)) != Z_OK)
		return rc;
	for (size_t i = 0; i < npieces; i++)
		total += lens[i];
	gc_buf_grow(out, deflateBound(&z, (uLong)total) + 64);
	z.next_out = (Bytef *)out->ptr + out->len;
	z.avail_out = (uInt)(out->alloc - out->len - 1);
	for (size_t i = 0; rc == Z_OK && i < npieces; i++) {
		z.next_in = (Bytef *)GC_UNCONST(pieces[i]);
		z.avail_in = (uInt)lens[i];
		rc = deflate(&z, i + 1 == npieces ? Z_FINISH : Z_NO_FLUSH);
	}
	if (rc == Z_STREAM_END) {
		out->len = out->alloc - 1 - z.avail_out;
		out->ptr[out->len] = '\0';
		rc = Z_OK;
	} else if (rc == Z_OK) {
		rc = Z_BUF_ERROR; /* deflateBound was wrong: never */
	}
	deflateEnd(&z);
	return rc;
}

/* The object's bytes, inflated into out (size bytes). */
static int pend_inflate(void *out, const gc_git_pending *p, const pend_obj *o)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)p->data.ptr + o->zoff;
	z.avail_in = (uInt)(o->off + o->len - o->zoff);
	z.next_out = out;
	z.avail_out = (uInt)o->size;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return rc == Z_STREAM_END && !z.avail_out ? 0 : -1;
}

static int pend_write(git_odb_backend *b, const git_oid *id, const void *data,
		      size_t len, git_object_t type)
{
	gc_git_pending *p = (gc_git_pending *)b;
	const void *pieces[] = { data };
	int level = type == GIT_OBJECT_TREE && len >= STORED_MIN
			    ? Z_NO_COMPRESSION
			    : Z_BEST_SPEED;
	pend_obj *o;

	if (pending_find(p, id))
		return 0;
	if (p->n == UINT32_MAX - 1 || (unsigned)type > PACK_TYPE_MAX) {
		git_error_set_str(GIT_ERROR_ODB, "cannot keep that object");
		return -1;
	}
	pending_index(p);
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 256;
		p->objs = gc_xrealloc(p->objs, p->alloc * sizeof(*p->objs));
	}
	o = &p->objs[p->n];
	git_oid_cpy(&o->id, id);
	o->type = type;
	o->size = len;
	o->off = p->data.len;
	add_entry_header(&p->data, type, len);
	o->zoff = p->data.len;
	if (add_deflated(&p->data, level, pieces, &len, 1) != Z_OK) {
		gc_buf_truncate(&p->data, o->off);
		git_error_set_str(GIT_ERROR_ZLIB, "cannot deflate an object");
		return -1;
	}
	o->len = p->data.len - o->off;
	p->n++;
	slots_put(p->slots, p->nslots, id, (uint32_t)p->n);
	return 0;
}

static int pend_read(void **out, size_t *len, git_object_t *type,
		     git_odb_backend *b, const git_oid *id)
{
	gc_git_pending *p = (gc_git_pending *)b;
	const pend_obj *o = pending_find(p, id);
	void *buf;

	if (!o)
		return GIT_ENOTFOUND;
	if (!(buf = git_odb_backend_data_alloc(b, o->size + 1)))
		return -1;
	if (pend_inflate(buf, p, o) < 0) {
		git_odb_backend_data_free(b, buf);
		git_error_set_str(GIT_ERROR_ZLIB, "cannot inflate an object");
		return -1;
	}
	((char *)buf)[o->size] = '\0';
	*out = buf;
	*len = o->size;
	*type = o->type;
	return 0;
}

static int pend_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
			    const git_oid *id)
{
	const pend_obj *o = pending_find((gc_git_pending *)b, id);

	if (!o)
		return GIT_ENOTFOUND;
	*len = o->size;
	*type = o->type;
	return 0;
}

static int pend_exists(git_odb_backend *b, const git_oid *id)
{
	return pending_find((gc_git_pending *)b, id) != NULL;
}

static void pending_clear(gc_git_pending *p)
{
	gc_buf_release(&p->data);
	free(p->objs);
	free(p->slots);
	p->objs = NULL;
	p->slots = NULL;
	p->n = p->alloc = p->nslots = 0;
}

/* Owned by the object database once added: libgit2 calls this. */
static void pend_free(git_odb_backend *b)
{
	gc_git_pending *p = (gc_git_pending *)b;

	pending_clear(p);
	if (p->loose)
		p->loose->free(p->loose);
	free(p->objects_dir);
	free(p);
}

int gc_git__write_object(git_oid *out, gc_git *g, const void *data, size_t len,
			 git_object_t type, gc_error *err)
{
	git_odb *odb = NULL;
	int rc;

	if (g->pending) {
		if ((rc = git_odb_hash(out, data, len, type)) == 0)
			rc = pend_write(&g->pending->parent, out, data, len,
					type);
	} else if ((rc = git_repository_odb(&odb, g->repo)) == 0) {
		rc = git_odb_write(out, odb, data, len, type);
	}
	git_odb_free(odb);
	if (rc < 0)
		return gc_git__fail(g, err, rc, "cannot write an object");
	return 0;
}

int gc_git__pending_attach(gc_git *g, gc_error *err)
{
	gc_git_pending *p = gc_xcalloc(1, sizeof(*p));
	git_buf dir = { 0 };
	git_odb *odb = NULL;
	int rc;

	gc_buf_init(&p->data);
	if ((rc = git_odb_init_backend(&p->parent, GIT_ODB_BACKEND_VERSION)) <
		    0 ||
	    (rc = git_repository_item_path(&dir, g->repo,
					   GIT_REPOSITORY_ITEM_OBJECTS)) < 0 ||
	    (rc = git_odb_backend_loose(&p->loose, dir.ptr, -1, 0, 0, 0)) < 0 ||
	    (rc = git_repository_odb(&odb, g->repo)) < 0) {
		rc = gc_git__fail(g, err, rc,
				  "cannot open the object database");
		goto cleanup;
	}
	p->objects_dir =
		gc_xstrndup(dir.ptr,
			    strlen(dir.ptr) -
				    (dir.size && dir.ptr[dir.size - 1] == '/'));
	p->parent.read = pend_read;
	p->parent.read_header = pend_read_header;
	p->parent.write = pend_write;
	p->parent.exists = pend_exists;
	p->parent.free = pend_free;
	if ((rc = git_odb_add_backend(odb, &p->parent, PENDING_PRIORITY)) < 0) {
		rc = gc_git__fail(g, err, rc,
				  "cannot open the object database");
		goto cleanup;
	}
	g->pending = p; /* the odb owns it */
	p = NULL;
cleanup:
	if (p)
		pend_free(&p->parent);
	git_odb_free(odb);
	git_buf_dispose(&dir);
	return rc;
}

/* ---- writing them out ------------------------------------------------ */

/* One pack of every pending object, through libgit2's indexer. */
static int write_pack(gc_git *g, gc_git_pending *p, git_odb *odb, gc_error *err)
{
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = { 0 };
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned sumlen = 0;
	int rc;

	for (int i = 0; i < 4; i++) /* the object count, big-endian */
		hdr[8 + i] = (unsigned char)(p->n >> (24 - 8 * i));
	if (!md || !EVP_DigestInit_ex(md, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(md, hdr, sizeof(hdr)) ||
	    !EVP_DigestUpdate(md, p->data.ptr, p->data.len) ||
	    !EVP_DigestFinal_ex(md, sum, &sumlen) || sumlen != 20) {
		rc = gc_error_set(err, GC_ERROR, "cannot hash a pack");
		goto cleanup;
	}
	if ((rc = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
	    (rc = wp->append(wp, hdr, sizeof(hdr), &stats)) < 0 ||
	    (rc = wp->append(wp, p->data.ptr, p->data.len, &stats)) < 0 ||
	    (rc = wp->append(wp, sum, sumlen, &stats)) < 0 ||
	    (rc = wp->commit(wp, &stats)) < 0 ||
	    (rc = git_odb_refresh(odb)) < 0)
		rc = gc_git__fail(g, err, rc,
				  "cannot write a pack of %zu objects", p->n);
cleanup:
	if (wp)
		wp->free(wp);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * A loose object whose zlib stream uses stored blocks (git's loose format:
 * zlib of "<type> <size>\0<data>"), written as git writes one: a temporary
 * file beside it, renamed into place, read-only.
 */
static int write_stored_loose(const gc_git_pending *p, const pend_obj *o,
			      const void *data, gc_error *err)
{
	char hex[GC_OID_HEX], head[64];
	gc_buf z = GC_BUF_INIT;
	char *dir, *tmp = NULL, *path = NULL;
	const void *pieces[2] = { head, data };
	size_t lens[2];
	int fd = -1, rc = 0;

	gc_git__oid_hex(hex, &o->id);
	lens[0] = (size_t)snprintf(head, sizeof(head), "%s %zu",
				   git_object_type2string(o->type), o->size) +
		  1;
	lens[1] = o->size;
	dir = gc_xasprintf("%s/%.2s", p->objects_dir, hex);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		rc = gc_error_set(err, GC_EOS, "'%s': %s", dir,
				  strerror(errno));
		goto cleanup;
	}
	if (add_deflated(&z, Z_NO_COMPRESSION, pieces, lens, 2) != Z_OK) {
		rc = gc_error_set(err, GC_ERROR, "cannot deflate a tree");
		goto cleanup;
	}
	tmp = gc_xasprintf("%s/tmp_obj_XXXXXX", dir);
	path = gc_xasprintf("%s/%s", dir, hex + 2);
	if ((fd = mkstemp(tmp)) < 0 ||
	    write(fd, z.ptr, z.len) != (ssize_t)z.len || fchmod(fd, 0444) < 0 ||
	    close(fd) < 0 || (fd = -1, rename(tmp, path) < 0)) {
		rc = gc_error_set(err, GC_EOS, "'%s': %s", path,
				  strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
cleanup:
	free(dir);
	free(tmp);
	free(path);
	gc_buf_release(&z);
	return rc;
}

static int write_loose(gc_git *g, gc_git_pending *p, gc_error *err)
{
	gc_buf buf = GC_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		const pend_obj *o = &p->objs[i];

		gc_buf_clear(&buf);
		gc_buf_grow(&buf, o->size);
		if (pend_inflate(buf.ptr, p, o) < 0) {
			rc = gc_error_set(err, GC_ERROR,
					  "cannot inflate an object");
		} else if (o->type == GIT_OBJECT_TREE &&
			   o->size >= STORED_MIN) {
			rc = write_stored_loose(p, o, buf.ptr, err);
		} else if ((rc = p->loose->write(p->loose, &o->id, buf.ptr,
						 o->size, o->type)) < 0) {
			rc = gc_git__fail(g, err, rc, "cannot write an object");
		}
	}
	gc_buf_release(&buf);
	return rc;
}

static int flush(gc_git *g, bool as_pack, gc_error *err)
{
	gc_git_pending *p = g->pending;
	git_odb *odb = NULL;
	int rc;

	if (!p || !p->n)
		return 0;
	if ((rc = git_repository_odb(&odb, g->repo)) < 0)
		return gc_git__fail(g, err, rc,
				    "cannot open the object database");
	if (as_pack || p->n >= PACK_MIN)
		rc = write_pack(g, p, odb, err);
	else
		rc = write_loose(g, p, err);
	if (rc == 0)
		pending_clear(p);
	git_odb_free(odb);
	return rc;
}

int gc_git__flush(gc_git *g, gc_error *err)
{
	return flush(g, false, err);
}

int gc_git__flush_if_big(gc_git *g, gc_error *err)
{
	if (!g->pending || g->pending->data.len < PENDING_MAX)
		return 0;
	return flush(g, true, err);
}
