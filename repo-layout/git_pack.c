/*
 * How objects are written: the objects of a tick are kept in memory until
 * a commit or a ref needs them, then written at once as one pack, and the
 * small packs that pile up are merged. Part of the libgit2 wrapper
 * (git_internal.h); docs/git.md has the why and the numbers.
 *
 * A backend of libgit2's object database (git2/sys/odb_backend.h) of the
 * highest priority takes every write: blobs, trees and commits go here,
 * each as the entry it will be in a pack (its type and size, then its
 * zlib stream, made by git_deflate.c). libgit2 reads them back through the same
 * backend, so the tick sees its own objects. At the end of gc_git_commit and
 * before a ref moves (gc_git__ref_cas, gc_git__push_one) gc_git__flush writes
 * them as one pack and its index (git's formats; make_index has why not
 * libgit2's indexer):
 *
 *   - no loose objects at all: the first tick at 10,000 canaries wrote
 *     ~110,000 object files (15-70 s here), and a one-canary tick ~15
 *     files, each a file system create (and a directory for a new
 *     two-digit prefix);
 *   - trees of 16 KiB and more (the 10,000-entry directories of
 *     a namespace and of its status files) are stored in zlib's stored
 *     blocks: deflating two such trees was ~70 % of a one-bump tick, and
 *     ids of 20 random bytes hardly compress (360 -> 243 KB);
 *   - a tick writes one or two packs, so the small ones are merged when
 *     the loop has nothing else to do (gc_git_tidy, merge_packs).
 *
 * A crash loses only objects that no ref points to yet. The pending
 * entries are bounded: past PENDING_MAX bytes they go to a pack at the
 * next object write, referenced or not (unreferenced objects are
 * harmless), and the headers of what went are kept until the tick's end
 * (packed_obj). Not thread-safe, as gc_git is not.
 */
#include "git_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <openssl/evp.h>

#include "util/alloc.h"

#define PENDING_MAX (2u << 20) /* bytes of entries kept in memory */
#define KEEP_MAX (1u << 20)    /* a buffer this big is kept after a tick */
#define DIRECT_MAX (1u << 20)  /* bytes of a tick deflated as they come */
#define SPARES 4               /* files a one-canary tick creates */
#define PENDING_PRIORITY 1000  /* above libgit2's loose (1), packs (2) */
#define PACK_TYPE_MAX 4        /* commit 1, tree 2, blob 3, tag 4 */
#define MERGE_IDLE 4           /* packs written: gc_git_tidy merges */
#define MERGE_BUSY 64          /* packs written: the next flush merges */
#define SMALL_BYTES (4u << 20) /* a pack smaller than this, */
#define SMALL_OBJECTS 1024     /* with fewer objects, is merged */

typedef struct pend_obj {
	git_oid id;
	git_object_t type;
	size_t size;     /* of the object */
	gc_git_batch *b; /* not deflated yet: its bytes are in b, */
	size_t raw;      /* here */
	size_t off, len; /* its pack entry (header and zlib) in data */
	size_t zoff;     /* where the zlib stream starts */
} pend_obj;

/* An object a pack of this tick holds already: its header (24 bytes). */
typedef struct packed_obj {
	git_oid id;
	uint32_t size : 29; /* objects of 512 MiB and more: not kept */
	uint32_t type : 3;
} packed_obj;

#define PACKED_SIZE_MAX ((1u << 29) - 1)

struct gc_git_pending {
	git_odb_backend parent; /* first: libgit2 casts */
	gc_buf data;            /* pack entries, one after another */
	pend_obj *objs;
	size_t n, alloc;
	uint32_t *slots; /* open addressing: index + 1, 0 = free */
	size_t nslots;   /* a power of two, > 2n */
	char *objects_dir;
	gc_git_deflater *deflater; /* makes the entries of objs */
	size_t ndeflated;          /* objs whose entries are in data */
	size_t direct; /* bytes deflated at once since the last gc_git__flush */
	/*
	 * The objects gc_git__flush_if_big wrote since the last
	 * gc_git__flush: a tick's commit asks for the header of each blob
	 * the tick wrote, and libgit2 would read it from the pack, making
	 * every page of the tick's packs resident (+25 MiB at 10,000
	 * canaries). Open addressing as objs has.
	 */
	packed_obj *packed;
	size_t npacked, apacked;
	uint32_t *pslots;
	size_t npslots;
	/* empty temporary files in objects/pack made in an idle moment,
	 * each written and renamed by a flush (make_spares) */
	int spare_fd[SPARES];
	char *spare_path[SPARES];
	size_t nspare;
};

static size_t slot_of(const git_oid *id, size_t nslots)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (nslots - 1);
}

/*
 * The entry (1-based; 0: none) that slots give id, in the array at base
 * whose elements, stride bytes apart, each start with their id.
 */
static uint32_t slots_get(const uint32_t *slots, size_t nslots,
			  const git_oid *id, const void *base, size_t stride)
{
	if (!nslots)
		return 0;
	for (size_t s = slot_of(id, nslots);; s = (s + 1) & (nslots - 1)) {
		uint32_t k = slots[s];

		if (!k || git_oid_equal((const git_oid *)((const char *)base +
							  (k - 1) * stride),
					id))
			return k;
	}
}

static pend_obj *pending_find(const gc_git_pending *p, const git_oid *id)
{
	uint32_t k =
		slots_get(p->slots, p->nslots, id, p->objs, sizeof(*p->objs));

	return k ? &p->objs[k - 1] : NULL;
}

static void slots_put(uint32_t *slots, size_t nslots, const git_oid *id,
		      uint32_t k)
{
	size_t s = slot_of(id, nslots);

	while (slots[s])
		s = (s + 1) & (nslots - 1);
	slots[s] = k;
}

static const packed_obj *packed_find(const gc_git_pending *p, const git_oid *id)
{
	uint32_t k = slots_get(p->pslots, p->npslots, id, p->packed,
			       sizeof(*p->packed));

	return k ? &p->packed[k - 1] : NULL;
}

/*
 * The headers of the objects just written as a pack, kept: sized to what
 * they need (~100,000 objects in a first tick at 10,000 canaries, 2.4 MB
 * and 0.5 MB of slots, filled to three quarters at most).
 */
static void packed_keep(gc_git_pending *p)
{
	size_t need = p->npacked + p->n;

	if (need >= UINT32_MAX / 2)
		return; /* libgit2 reads them from the pack */
	if (need > p->apacked) {
		p->apacked = (need + 16383) & ~(size_t)16383;
		p->packed =
			gc_xrealloc(p->packed, p->apacked * sizeof(*p->packed));
	}
	if (4 * need >= 3 * p->npslots) {
		free(p->pslots);
		while (4 * need >= 3 * p->npslots)
			p->npslots = p->npslots ? 2 * p->npslots : 8192;
		p->pslots = gc_xcalloc(p->npslots, sizeof(*p->pslots));
		for (size_t i = 0; i < p->npacked; i++)
			slots_put(p->pslots, p->npslots, &p->packed[i].id,
				  (uint32_t)i + 1);
	}
	for (size_t i = 0; i < p->n; i++) {
		const pend_obj *o = &p->objs[i];
		packed_obj *k = &p->packed[p->npacked];

		if (o->size > PACKED_SIZE_MAX || packed_find(p, &o->id))
			continue;
		git_oid_cpy(&k->id, &o->id);
		k->size = (uint32_t)o->size & PACKED_SIZE_MAX;
		k->type = (uint32_t)o->type & 7;
		slots_put(p->pslots, p->npslots, &o->id,
			  (uint32_t)++p->npacked);
	}
}

static void packed_forget(gc_git_pending *p)
{
	free(p->packed);
	free(p->pslots);
	p->packed = NULL;
	p->pslots = NULL;
	p->npacked = p->apacked = p->npslots = 0;
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

/* The entries of the next objects, from the deflater: data grows. */
static void take_entries(const char *packed, size_t len,
			 const gc_git_entry *entries, size_t n, void *payload)
{
	gc_git_pending *p = payload;
	size_t base = p->data.len;

	gc_buf_add(&p->data, packed, len);
	for (size_t i = 0; i < n; i++) {
		pend_obj *o = &p->objs[p->ndeflated++];

		o->b = NULL;
		o->off = base + entries[i].off;
		o->zoff = base + entries[i].zoff;
		o->len = entries[i].len;
	}
}

static void pending_clear(gc_git_pending *p);

static int pend_write(git_odb_backend *b, const git_oid *id, const void *data,
		      size_t len, git_object_t type)
{
	gc_git_pending *p = (gc_git_pending *)b;
	pend_obj *o;

	if (pending_find(p, id) || packed_find(p, id))
		return 0; /* in memory, or in a pack already */
	if (p->n == UINT32_MAX - 1 || (unsigned)type > PACK_TYPE_MAX) {
		git_error_set_str(GIT_ERROR_ODB, "cannot keep that object");
		return -1;
	}
	/*
	 * What the thread has deflated joins data now, not at the flush:
	 * a commit's trees come with no gc_git__flush_if_big between them,
	 * and their batches would all be held twice (raw, then deflated).
	 */
	if (gc_git__deflater_take(p->deflater, false, take_entries, p) < 0) {
		pending_clear(p); /* never: the tick fails */
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
	o->b = NULL;
	/*
	 * A tick's first DIRECT_MAX bytes are deflated as they come, as a
	 * one-canary tick's always are (a batch would copy its two 400 KB
	 * trees at 10,000 canaries three times); a bigger tick's next ones
	 * go to the deflater's thread, in order after them.
	 */
	if (p->ndeflated == p->n && p->direct + len <= DIRECT_MAX) {
		gc_git_entry e;

		if (gc_git__deflate(&p->data, &e, p->deflater, type, data,
				    len) < 0)
			return -1;
		o->off = e.off;
		o->zoff = e.zoff;
		o->len = e.len;
		p->direct += len;
		p->ndeflated++;
	} else {
		gc_git__deflater_add(p->deflater, &o->b, &o->raw, type, data,
				     len);
	}
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
	if (o->b) /* not deflated yet */
		memcpy(buf, gc_git__deflater_bytes(o->b, o->raw), o->size);
	else if (gc_git__inflate(p->deflater, buf, o->size,
				 p->data.ptr + o->zoff,
				 o->off + o->len - o->zoff) < 0) {
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
	const gc_git_pending *p = (gc_git_pending *)b;
	const pend_obj *o = pending_find(p, id);
	const packed_obj *k;

	if (o) {
		*len = o->size;
		*type = o->type;
		return 0;
	}
	if (!(k = packed_find(p, id)))
		return GIT_ENOTFOUND;
	*len = k->size;
	*type = (git_object_t)k->type;
	return 0;
}

static int pend_exists(git_odb_backend *b, const git_oid *id)
{
	const gc_git_pending *p = (gc_git_pending *)b;

	return pending_find(p, id) || packed_find(p, id);
}

static void pending_clear(gc_git_pending *p)
{
	gc_git__deflater_drop(p->deflater);
	p->ndeflated = 0;
	/* kept for the tick's next pack (gc_git__flush trims it) */
	gc_buf_clear(&p->data);
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
	packed_forget(p);
	gc_buf_release(&p->data);
	gc_git__deflater_free(p->deflater);
	while (p->nspare--) {
		close(p->spare_fd[p->nspare]);
		unlink(p->spare_path[p->nspare]);
		free(p->spare_path[p->nspare]);
	}
	free(p->objects_dir);
	free(p);
}

/*
 * The id of an object this process made: SHA-1 of "<type> <len>\0" and
 * the bytes, by libcrypto (with the CPU's SHA instructions ~4x faster
 * than the collision-detecting SHA-1 libgit2 hashes with, which guards
 * against crafted objects, not needed for our own: a 400 KB tree is
 * hashed in ~0.3 ms instead of ~1.2 ms).
 */
static int object_id(git_oid *out, const void *data, size_t len,
		     git_object_t type)
{
	char head[64];
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned sumlen = 0;
	int n = snprintf(head, sizeof(head), "%s %zu",
			 git_object_type2string(type), len);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
		  EVP_DigestUpdate(md, head, (size_t)n + 1) &&
		  EVP_DigestUpdate(md, data, len) &&
		  EVP_DigestFinal_ex(md, sum, &sumlen) && sumlen == 20;

	EVP_MD_CTX_free(md);
	if (!ok) {
		git_error_set_str(GIT_ERROR_SHA, "cannot hash an object");
		return -1;
	}
	return git_oid_fromraw(out, sum);
}

int gc_git__write_object(git_oid *out, gc_git *g, const void *data, size_t len,
			 git_object_t type, gc_error *err)
{
	git_odb *odb = NULL;
	int rc;

	if (g->pending) {
		if ((rc = object_id(out, data, len, type)) == 0)
			rc = pend_write(&g->pending->parent, out, data, len,
					type);
	} else if ((rc = git_repository_odb(&odb, g->repo)) == 0) {
		rc = git_odb_write(out, odb, data, len, type);
	}
	git_odb_free(odb);
	if (rc < 0)
		return gc_git__fail(g, err, rc, "cannot write an object");
	/* a commit's trees as well as blobs: data stays near PENDING_MAX */
	return gc_git__flush_if_big(g, err);
}

static int attach(gc_git *g, gc_error *err)
{
	gc_git_pending *p = gc_xcalloc(1, sizeof(*p));
	git_buf dir = { 0 };
	git_odb *odb = NULL;
	int rc;

	gc_buf_init(&p->data);
	p->deflater = gc_git__deflater_new();
	if ((rc = git_odb_init_backend(&p->parent, GIT_ODB_BACKEND_VERSION)) <
		    0 ||
	    (rc = git_repository_item_path(&dir, g->repo,
					   GIT_REPOSITORY_ITEM_OBJECTS)) < 0 ||
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

static int oid_order(const void *a, const void *b)
{
	return git_oid_cmp(&(*(const pend_obj *const *)a)->id,
			   &(*(const pend_obj *const *)b)->id);
}

/*
 * The pack's index (git's version 2: fan-out, ids, CRC-32s and offsets of
 * the entries, the pack's checksum, its own). libgit2's indexer would
 * read the pack back, inflate and hash every object again to learn what
 * this writer already knows: a fifth of a one-bump tick at 10,000
 * canaries and ~1 s of the first tick.
 */
static int make_index(gc_buf *idx, const gc_git_pending *p,
		      const unsigned char sum[20])
{
	const pend_obj **v = gc_xcalloc(p->n ? p->n : 1, sizeof(*v));
	static const unsigned char magic[8] = {
		0xff, 't', 'O', 'c', 0, 0, 0, 2
	};
	unsigned char own[EVP_MAX_MD_SIZE];
	gc_buf large = GC_BUF_INIT;
	unsigned ownlen = 0;
	size_t k = 0;
	int rc = 0;

	for (size_t i = 0; i < p->n; i++)
		v[i] = &p->objs[i];
	qsort(v, p->n, sizeof(*v), oid_order);
	gc_buf_add(idx, magic, sizeof(magic));
	for (unsigned byte = 0; byte < 256; byte++) {
		while (k < p->n && v[k]->id.id[0] <= byte)
			k++;
		gc_buf_add_be32(idx, (uint32_t)k);
	}
	for (size_t i = 0; i < p->n; i++)
		gc_buf_add(idx, v[i]->id.id, 20);
	for (size_t i = 0; i < p->n; i++)
		gc_buf_add_be32(idx, gc_git__crc32(p->data.ptr + v[i]->off,
						   v[i]->len));
	for (size_t i = 0; i < p->n; i++) {
		uint64_t off = 12 + (uint64_t)v[i]->off; /* after the header */

		if (off < 0x80000000u) {
			gc_buf_add_be32(idx, (uint32_t)off);
			continue;
		}
		gc_buf_add_be32(idx, 0x80000000u | (uint32_t)(large.len / 8));
		gc_buf_add_be32(&large, (uint32_t)(off >> 32));
		gc_buf_add_be32(&large, (uint32_t)off);
	}
	gc_buf_add(idx, large.ptr, large.len);
	gc_buf_add(idx, sum, 20);
	if (!EVP_Digest(idx->ptr, idx->len, own, &ownlen, EVP_sha1(), NULL) ||
	    ownlen != 20)
		rc = -1;
	else
		gc_buf_add(idx, own, 20);
	gc_buf_release(&large);
	free(v);
	return rc;
}

/*
 * Creates the empty temporary files the next flushes write, so that a
 * tick does not create them: on ext4 a create scans the inode table past
 * recently deleted inodes (`recently_deleted`), ~1 ms each on a disk
 * where many files were deleted lately, and a one-canary tick writes four
 * (two packs and their indexes). Called when the loop has nothing to do.
 */
static void make_spares(gc_git_pending *p)
{
	while (p->nspare < SPARES) {
		char *tmp =
			gc_xasprintf("%s/pack/tmp_gc_XXXXXX", p->objects_dir);
		int fd = mkstemp(tmp);

		if (fd < 0) {
			free(tmp);
			return; /* the flush makes its own */
		}
		p->spare_fd[p->nspare] = fd;
		p->spare_path[p->nspare++] = tmp;
	}
}

/*
 * Writes objects/pack/name from pieces as git does: a temporary file (a
 * spare one if there is), read-only, renamed into place.
 */
static int write_file(gc_git_pending *p, const char *name,
		      const void *const *pieces, const size_t *lens,
		      size_t npieces, gc_error *err)
{
	char *tmp, *path = gc_xasprintf("%s/pack/%s", p->objects_dir, name);
	int fd, rc = 0;
	bool ok;

	if (p->nspare) {
		fd = p->spare_fd[--p->nspare];
		tmp = p->spare_path[p->nspare];
	} else {
		tmp = gc_xasprintf("%s/pack/tmp_gc_XXXXXX", p->objects_dir);
		if ((fd = mkstemp(tmp)) < 0) {
			rc = gc_error_set(err, GC_EOS, "'%s': %s", tmp,
					  strerror(errno));
			goto cleanup;
		}
	}
	ok = true;
	for (size_t i = 0; ok && i < npieces; i++)
		ok = write(fd, pieces[i], lens[i]) == (ssize_t)lens[i];
	ok = ok && fchmod(fd, 0444) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		rc = gc_error_set(err, GC_EOS, "'%s': %s", path,
				  strerror(errno ? errno : EIO));
		unlink(tmp);
	}
cleanup:
	free(tmp);
	free(path);
	return rc;
}

/*
 * One pack of every pending object and its index, in objects/pack; the
 * pack goes first, so an index never names a pack that is not there.
 * name: the pack's checksum in hex, which git and libgit2 name it by.
 */
static int write_pack(char name[GC_OID_HEX], gc_git *g, gc_git_pending *p,
		      git_odb *odb, gc_error *err)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *file = NULL;
	gc_buf idx = GC_BUF_INIT;
	unsigned sumlen = 0;
	int rc;

	for (int i = 0; i < 4; i++) /* the object count, big-endian */
		hdr[8 + i] = (unsigned char)(p->n >> (24 - 8 * i));
	if (!md || !EVP_DigestInit_ex(md, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(md, hdr, sizeof(hdr)) ||
	    !EVP_DigestUpdate(md, p->data.ptr, p->data.len) ||
	    !EVP_DigestFinal_ex(md, sum, &sumlen) || sumlen != 20 ||
	    make_index(&idx, p, sum) < 0) {
		rc = gc_error_set(err, GC_ERROR, "cannot hash a pack");
		goto cleanup;
	}
	for (int i = 0; i < 20; i++)
		snprintf(name + 2 * i, 3, "%02x", sum[i]);
	{
		const void *pack[] = { hdr, p->data.ptr, sum };
		const size_t packlen[] = { sizeof(hdr), p->data.len, 20 };
		const void *index[] = { idx.ptr };

		file = gc_xasprintf("pack-%s.pack", name);
		if ((rc = write_file(p, file, pack, packlen, 3, err)) < 0)
			goto cleanup;
		free(file);
		file = gc_xasprintf("pack-%s.idx", name);
		if ((rc = write_file(p, file, index, &idx.len, 1, err)) < 0)
			goto cleanup;
	}
	if ((rc = git_odb_refresh(odb)) < 0)
		rc = gc_git__fail(g, err, rc,
				  "cannot read a pack of %zu objects", p->n);
cleanup:
	EVP_MD_CTX_free(md);
	gc_buf_release(&idx);
	free(file);
	return rc;
}

/* The waiting objects, as one pack; keep: their headers too (packed). */
static int write_pending(char name[GC_OID_HEX], gc_git *g, bool keep,
			 gc_error *err)
{
	gc_git_pending *p = g->pending;
	git_odb *odb = NULL;
	int rc;

	*name = '\0';
	if (!p->n)
		return 0;
	if (gc_git__deflater_take(p->deflater, true, take_entries, p) < 0) {
		pending_clear(p); /* never: the flush fails */
		return gc_git__fail(g, err, -1, "cannot deflate an object");
	}
	if ((rc = git_repository_odb(&odb, g->repo)) < 0)
		return gc_git__fail(g, err, rc,
				    "cannot open the object database");
	rc = write_pack(name, g, p, odb, err);
	git_odb_free(odb);
	if (rc == 0) {
		if (keep)
			packed_keep(p);
		pending_clear(p);
		g->fresh_packs++;
	}
	return rc;
}

/* ---- merging small packs --------------------------------------------- */

/* A small pack: its name ("pack-<hex>") and object count. */
typedef struct small_pack {
	char *name;
	size_t objects;
} small_pack;

static int small_pack_cmp(const void *a, const void *b)
{
	size_t x = ((const small_pack *)a)->objects,
	       y = ((const small_pack *)b)->objects;

	return x < y ? -1 : x > y;
}

/* The objects of a small pack of dir, or 0 for another pack. */
static size_t small_objects(const char *dir, const char *name)
{
	char *path = gc_xasprintf("%s/%s.keep", dir, name);
	struct stat st;
	size_t objects = 0;
	bool small = stat(path, &st) < 0; /* git never merges a kept one */

	free(path);
	path = gc_xasprintf("%s/%s.pack", dir, name);
	small = small && stat(path, &st) == 0 &&
		(size_t)st.st_size < SMALL_BYTES;
	free(path);
	/* a version 2 index: 1,072 bytes, then 28 an object */
	path = gc_xasprintf("%s/%s.idx", dir, name);
	if (small && stat(path, &st) == 0 && st.st_size >= 1072)
		objects = ((size_t)st.st_size - 1072) / 28;
	free(path);
	return objects < SMALL_OBJECTS ? objects : 0;
}

/* The small packs of dir, fewest objects first. */
static small_pack *small_packs(size_t *n, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	small_pack *v = NULL;
	size_t alloc = 0;

	*n = 0;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name), objects;
		char *name;

		if (len < 10 || strncmp(e->d_name, "pack-", 5) ||
		    strcmp(e->d_name + len - 5, ".pack"))
			continue;
		name = gc_xstrndup(e->d_name, len - 5);
		if (!(objects = small_objects(dir, name))) {
			free(name);
			continue;
		}
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			v = gc_xrealloc(v, alloc * sizeof(*v));
		}
		v[*n].name = name;
		v[(*n)++].objects = objects;
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), small_pack_cmp);
	return v;
}

/*
 * How many of the packs v (fewest objects first) to merge, as `git repack
 * --geometric=2` chooses: the biggest packs that each hold at least twice
 * the objects of the next smaller one stay, the rest are merged, and so is
 * any of those staying with fewer than twice the objects merged. Each
 * object is then copied O(log) times over its life.
 */
static size_t geometric_split(const small_pack *v, size_t n)
{
	size_t i = n - 1, split, total = 0;

	while (i > 0 && v[i].objects >= 2 * v[i - 1].objects)
		i--;
	if (i == 0)
		return 0;
	split = i + 1;
	for (size_t k = 0; k < split; k++)
		total += v[k].objects;
	while (split < n && v[split].objects < 2 * total)
		total += v[split++].objects;
	return split;
}

/* Copies one object of a pack to the waiting ones. */
static int copy_cb(const git_oid *id, void *payload)
{
	git_odb_backend **b = payload; /* { the pack, the waiting ones } */
	git_object_t type;
	void *data;
	size_t len;
	int rc;

	if ((rc = b[0]->read(&data, &len, &type, b[0], id)) < 0)
		return rc;
	rc = pend_write(b[1], id, data, len, type);
	git_odb_backend_data_free(b[0], data);
	return rc;
}

/*
 * A fresh object database for g->repo: the packs merged away are closed
 * (libgit2 keeps every pack it has opened) and a new waiting backend
 * takes the writes.
 */
static int reopen_odb(gc_git *g, const char *objects_dir, gc_error *err)
{
	git_odb *odb = NULL;
	int rc;

	if ((rc = git_odb_open(&odb, objects_dir)) < 0 ||
	    (rc = git_repository_set_odb(g->repo, odb)) < 0)
		rc = gc_git__fail(g, err, rc,
				  "cannot open the object database");
	git_odb_free(odb);
	g->pending = NULL;
	return rc < 0 ? rc : attach(g, err);
}

/*
 * A tick writes a pack or two; in an idle tick after MERGE_IDLE of them
 * (gc_git_tidy), or in a busy one after MERGE_BUSY, the smallest
 * (geometric_split) are copied into one (or more, PENDING_MAX apart) and
 * removed, so the pack count stays low: no delta search, each object
 * copied as it is stored. Bigger packs (SMALL_BYTES,
 * SMALL_OBJECTS) stay as they are, as the first tick's do (`git gc`
 * packs them all).
 */
static int merge_packs(gc_git *g, gc_error *err)
{
	gc_git_pending *p = g->pending;
	char *dir = gc_xasprintf("%s/pack", p->objects_dir);
	char *objects_dir = gc_xstrdup(p->objects_dir);
	size_t n, split, nmade = 0;
	small_pack *v = small_packs(&n, dir);
	char(*made)[GC_OID_HEX] = NULL; /* the packs written */
	int rc = 0;

	/* an object of a pack merged away must be copied, not skipped */
	packed_forget(p);
	g->fresh_packs = 0;
	if (n < 2 || (split = geometric_split(v, n)) < 2)
		goto cleanup;
	for (size_t i = 0; i < split && rc == 0; i++) {
		char *idx = gc_xasprintf("%s/%s.idx", dir, v[i].name);
		git_odb_backend *b[2] = { NULL, &p->parent };

		if ((rc = git_odb_backend_one_pack(&b[0], idx)) == 0)
			rc = b[0]->foreach(b[0], copy_cb, b);
		if (b[0])
			b[0]->free(b[0]);
		free(idx);
		if (rc < 0)
			rc = gc_git__fail(g, err, rc, "cannot merge %zu packs",
					  split);
		else if (p->data.len + gc_git__deflater_held(p->deflater) >=
				 PENDING_MAX ||
			 i + 1 == split) {
			made = gc_xrealloc(made, (nmade + 1) * sizeof(*made));
			rc = write_pending(made[nmade++], g, false, err);
		}
	}
	for (size_t i = 0; i < split && rc == 0; i++) {
		char *path;
		bool again = false;

		/* a piece of one whole pack has its name: it is that pack */
		for (size_t k = 0; k < nmade; k++)
			again |= !strcmp(v[i].name + 5, made[k]);
		if (again)
			continue;
		/* the index first: a pack without one is never read */
		path = gc_xasprintf("%s/%s.idx", dir, v[i].name);
		unlink(path);
		free(path);
		path = gc_xasprintf("%s/%s.pack", dir, v[i].name);
		unlink(path);
		free(path);
	}
	if (rc == 0)
		rc = reopen_odb(g, objects_dir, err);
cleanup:
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	free(made);
	free(dir);
	free(objects_dir);
	return rc;
}

int gc_git__pending_attach(gc_git *g, gc_error *err)
{
	char *dir;
	small_pack *v;
	size_t n;
	int rc;

	if ((rc = attach(g, err)) < 0)
		return rc;
	/*
	 * The small packs earlier processes left count as written: a
	 * `reconcile --once` a run merges them as a long-lived loop would.
	 */
	dir = gc_xasprintf("%s/pack", g->pending->objects_dir);
	v = small_packs(&n, dir);
	g->fresh_packs = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	free(dir);
	return 0;
}

int gc_git__flush(gc_git *g, gc_error *err)
{
	char name[GC_OID_HEX];
	int rc;

	if (!g->pending)
		return 0;
	g->pending->direct = 0; /* a tick's end: the next deflates at once */
	packed_forget(g->pending);
	if (!g->pending->n)
		return 0;
	rc = write_pending(name, g, false, err);
	/* a tick's buffer is kept for the next; a first tick's is not */
	if (rc == 0 && g->pending->data.alloc > KEEP_MAX)
		gc_buf_release(&g->pending->data);
	if (rc < 0 || g->fresh_packs < MERGE_BUSY)
		return rc;
	return merge_packs(g, err);
}

int gc_git_tidy(gc_git *g, gc_error *err)
{
	int rc = 0;

	if (g->pending && g->fresh_packs >= MERGE_IDLE)
		rc = merge_packs(g, err);
	if (g->pending) {
		/* between ticks: a tick cut short by an error never flushed */
		packed_forget(g->pending);
		make_spares(g->pending);
		gc_git__deflater_trim(g->pending->deflater);
		if (!g->pending->n && g->pending->data.alloc > KEEP_MAX)
			gc_buf_release(&g->pending->data);
	}
	return rc;
}

int gc_git__flush_if_big(gc_git *g, gc_error *err)
{
	gc_git_pending *p = g->pending;
	char name[GC_OID_HEX];

	if (!p)
		return 0;
	if (gc_git__deflater_take(p->deflater, false, take_entries, p) < 0) {
		pending_clear(p); /* never: the tick fails */
		return gc_git__fail(g, err, -1, "cannot deflate an object");
	}
	if (p->data.len + gc_git__deflater_held(p->deflater) < PENDING_MAX)
		return 0;
	return write_pending(name, g, true, err);
}
