/*
 * Pack entries made from objects, beside the tick: the libdeflate
 * wrapper of the libgit2 wrapper (git_internal.h). git_pack.c holds a
 * tick's objects until a flush; this file turns them into pack entries
 * (type and size, then a zlib stream).
 *
 * Objects are held raw, one after another, in batches of BATCH_BYTES. A
 * full batch is sealed and handed to a thread of the deflater's own,
 * which deflates it while the tick goes on rendering (deflating was a
 * sixth of a first tick at 10,000 canaries, and the machines we run on
 * have a second core); a take hands the deflated batches back in order,
 * and with `all` deflates here what the thread has not started and the
 * open batch. A small tick never fills a batch and starts no work there.
 * Objects that come faster than the thread deflates them (a commit's
 * trees) do not pile up: past QUEUED_MAX batches waiting, seal deflates
 * the oldest here.
 *
 * Only sealed batches cross threads: their raw bytes and objects are
 * never changed once sealed, and the thread writes only their packed
 * bytes, rc and done flag (done under the lock). Everything the thread
 * writes to is allocated before it gets it, and spent batches are kept
 * for the next ones until an idle moment: glibc raises its mmap threshold
 * when a big block is freed, and a first tick's churn of 256 KB buffers
 * then left the heap fragmented (peak RSS +10 MiB at 10,000 canaries).
 *
 * libdeflate compresses a whole buffer at once, ~1.5x faster than zlib's
 * level 1 on a 1 KB manifest, with one compressor reused for every object.
 */
#include "git_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "util/alloc.h"

#define BATCH_BYTES (256u << 10) /* objects' bytes deflated at once */
#define BATCH_SPARES 4           /* spent batches kept for the next */
#define QUEUED_MAX 2             /* waiting for the thread: more, here */
#define STORED_MIN (16u << 10)   /* trees this big: zlib stored blocks */

typedef struct batch_obj {
	git_object_t type;
	size_t raw, size; /* the object's bytes in raw */
} batch_obj;

struct gc_git_batch {
	struct gc_git_batch *next;   /* the next sealed one (the writer's) */
	struct gc_git_batch *queued; /* the next for the thread (lock) */
	gc_buf raw, packed;
	batch_obj *objs;
	gc_git_entry *entries; /* objs' entries in packed */
	size_t n, alloc;
	bool done; /* packed is made (under lock) */
	int rc;
};

typedef struct gc_git_batch batch;

/* compressors at level 1 and 0 (stored), made at first use */
typedef struct compressors {
	struct libdeflate_compressor *fast, *stored;
} compressors;

struct gc_git_deflater {
	batch *open;                 /* taking objects */
	batch *sealed, *sealed_tail; /* in order, not taken */
	batch *spares;               /* spent, kept for the next */
	size_t nspares;
	size_t held; /* raw bytes of the batches not taken */
	compressors mine, its;
	struct libdeflate_decompressor *inflater;
	pthread_t thread;
	bool started, stop;  /* the thread (under lock) */
	batch *queue, *tail; /* batches for the thread (under lock) */
	size_t nqueued;      /* in queue (under lock) */
	batch *busy;         /* the one it deflates (under lock) */
	pthread_mutex_t lock;
	pthread_cond_t wake, finished;
};

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

/* Appends the pack entry of an object to out, with c's compressors. */
static int deflate_entry(gc_buf *out, gc_git_entry *e, compressors *c,
			 git_object_t type, const void *data, size_t len)
{
	bool big = type == GIT_OBJECT_TREE && len >= STORED_MIN;
	struct libdeflate_compressor **z = big ? &c->stored : &c->fast;
	size_t room, n;

	if (!*z && !(*z = libdeflate_alloc_compressor(big ? 0 : 1)))
		return -1;
	e->off = out->len;
	add_entry_header(out, type, len);
	e->zoff = out->len;
	room = libdeflate_zlib_compress_bound(*z, len);
	gc_buf_grow(out, room + 1);
	n = libdeflate_zlib_compress(*z, data, len, out->ptr + out->len, room);
	if (!n) {
		gc_buf_truncate(out, e->off);
		return -1; /* never: the bound is there */
	}
	out->len += n;
	out->ptr[out->len] = '\0';
	e->len = out->len - e->off;
	return 0;
}

static int deflate_batch(batch *b, compressors *c)
{
	for (size_t i = 0; i < b->n; i++) {
		const batch_obj *o = &b->objs[i];

		if (deflate_entry(&b->packed, &b->entries[i], c, o->type,
				  b->raw.ptr + o->raw, o->size) < 0)
			return -1;
	}
	return 0;
}

int gc_git__deflate(gc_buf *out, gc_git_entry *e, gc_git_deflater *d,
		    git_object_t type, const void *data, size_t len)
{
	if (deflate_entry(out, e, &d->mine, type, data, len) < 0) {
		git_error_set_str(GIT_ERROR_ZLIB, "cannot deflate an object");
		return -1;
	}
	return 0;
}

static void *deflate_thread(void *payload)
{
	gc_git_deflater *d = payload;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		batch *b;
		int rc;

		while (!d->queue && !d->stop)
			pthread_cond_wait(&d->wake, &d->lock);
		if (d->stop)
			break;
		b = d->busy = d->queue;
		if (!(d->queue = b->queued))
			d->tail = NULL;
		d->nqueued--;
		pthread_mutex_unlock(&d->lock);
		rc = deflate_batch(b, &d->its);
		pthread_mutex_lock(&d->lock);
		b->rc = rc;
		b->done = true;
		d->busy = NULL;
		pthread_cond_broadcast(&d->finished);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

gc_git_deflater *gc_git__deflater_new(void)
{
	gc_git_deflater *d = gc_xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	pthread_cond_init(&d->finished, NULL);
	return d;
}

static void batch_free(batch *b)
{
	gc_buf_release(&b->raw);
	gc_buf_release(&b->packed);
	free(b->objs);
	free(b->entries);
	free(b);
}

/* A spent batch kept for the next (unless a big object grew it). */
static void batch_spent(gc_git_deflater *d, batch *b)
{
	if (d->nspares == BATCH_SPARES || b->raw.alloc > 2 * BATCH_BYTES) {
		batch_free(b);
		return;
	}
	gc_buf_clear(&b->raw);
	gc_buf_clear(&b->packed);
	b->n = 0;
	b->done = false;
	b->rc = 0;
	b->queued = NULL;
	b->next = d->spares;
	d->spares = b;
	d->nspares++;
}

static void seal(gc_git_deflater *d);

static batch *batch_new(gc_git_deflater *d)
{
	batch *b = d->spares;

	if (b) {
		d->spares = b->next;
		d->nspares--;
		b->next = NULL;
		return b;
	}
	b = gc_xcalloc(1, sizeof(*b));
	gc_buf_init(&b->raw);
	gc_buf_init(&b->packed);
	gc_buf_grow(&b->raw, BATCH_BYTES + BATCH_BYTES / 4);
	return b;
}

void gc_git__deflater_add(gc_git_deflater *d, gc_git_batch **in, size_t *at,
			  git_object_t type, const void *data, size_t len)
{
	batch *b = d->open;

	if (!b)
		b = d->open = batch_new(d);
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? 2 * b->alloc : 256;
		b->objs = gc_xrealloc(b->objs, b->alloc * sizeof(*b->objs));
		b->entries =
			gc_xrealloc(b->entries, b->alloc * sizeof(*b->entries));
	}
	b->objs[b->n].type = type;
	b->objs[b->n].raw = *at = b->raw.len;
	b->objs[b->n++].size = len;
	*in = b;
	gc_buf_add(&b->raw, data, len);
	d->held += len;
	if (b->raw.len >= BATCH_BYTES)
		seal(d);
}

const char *gc_git__deflater_bytes(const gc_git_batch *b, size_t at)
{
	return b->raw.ptr + at;
}

size_t gc_git__deflater_held(const gc_git_deflater *d)
{
	return d->held;
}

/* The open batch, last of the sealed ones; NULL if none. */
static batch *close_open(gc_git_deflater *d)
{
	batch *b = d->open;

	if (!b)
		return NULL;
	d->open = NULL;
	if (d->sealed_tail)
		d->sealed_tail->next = b;
	else
		d->sealed = b;
	d->sealed_tail = b;
	return b;
}

/* The batch taking objects goes to the thread. */
static void seal(gc_git_deflater *d)
{
	batch *b = close_open(d);

	if (!b)
		return;
	/* every entry's header and libdeflate's bound (5 bytes a block) */
	gc_buf_grow(&b->packed, b->raw.len + b->raw.len / 512 + 48 * b->n);
	if (!d->its.fast)
		d->its.fast = libdeflate_alloc_compressor(1);
	if (!d->its.stored)
		d->its.stored = libdeflate_alloc_compressor(0);
	pthread_mutex_lock(&d->lock);
	if (!d->started)
		d->started = pthread_create(&d->thread, NULL, deflate_thread,
					    d) == 0;
	if (d->started) {
		if (d->tail)
			d->tail->queued = b;
		else
			d->queue = b;
		d->tail = b;
		d->nqueued++;
		pthread_cond_signal(&d->wake);
		/*
		 * Objects come faster than the thread deflates them (a
		 * commit's trees): the oldest waiting is deflated here, so
		 * that the raw bytes held stay bounded (each batch held is
		 * its raw bytes and as many for their entries).
		 */
		b = NULL;
		if (d->nqueued > QUEUED_MAX) {
			b = d->queue;
			if (!(d->queue = b->queued))
				d->tail = NULL;
			d->nqueued--;
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (b) { /* no thread, or too many waiting for it: deflated here */
		int rc = deflate_batch(b, &d->mine);

		pthread_mutex_lock(&d->lock);
		b->rc = rc;
		b->done = true;
		pthread_mutex_unlock(&d->lock);
	}
}

int gc_git__deflater_take(gc_git_deflater *d, bool all, gc_git_take_cb cb,
			  void *payload)
{
	int rc = 0;

	if (all) {
		/* what the thread has not started is deflated here, and the
		 * open batch (a small tick's only one: no thread woken) */
		batch *b, *open = close_open(d);

		pthread_mutex_lock(&d->lock);
		b = d->queue;
		d->queue = d->tail = NULL;
		d->nqueued = 0;
		pthread_mutex_unlock(&d->lock);
		for (; b; b = b->queued) {
			b->rc = deflate_batch(b, &d->mine);
			pthread_mutex_lock(&d->lock);
			b->done = true;
			pthread_mutex_unlock(&d->lock);
		}
		if (open) { /* never seen by the thread */
			open->rc = deflate_batch(open, &d->mine);
			open->done = true;
		}
	}
	while (d->sealed && rc == 0) {
		batch *b = d->sealed;
		bool done;

		pthread_mutex_lock(&d->lock);
		while (all && !b->done)
			pthread_cond_wait(&d->finished, &d->lock);
		done = b->done;
		pthread_mutex_unlock(&d->lock);
		if (!done)
			break;
		if (!(d->sealed = b->next))
			d->sealed_tail = NULL;
		if ((rc = b->rc) == 0) {
			cb(b->packed.ptr, b->packed.len, b->entries, b->n,
			   payload);
			d->held -= b->raw.len;
		}
		batch_spent(d, b);
	}
	if (rc < 0)
		git_error_set_str(GIT_ERROR_ZLIB, "cannot deflate an object");
	return rc;
}

void gc_git__deflater_drop(gc_git_deflater *d)
{
	if (d->open)
		batch_spent(d, d->open);
	d->open = NULL;
	pthread_mutex_lock(&d->lock);
	d->queue = d->tail = NULL; /* not started: never will be */
	d->nqueued = 0;
	while (d->busy)
		pthread_cond_wait(&d->finished, &d->lock);
	pthread_mutex_unlock(&d->lock);
	while (d->sealed) {
		batch *b = d->sealed;

		d->sealed = b->next;
		batch_spent(d, b);
	}
	d->sealed_tail = NULL;
	d->held = 0;
}

void gc_git__deflater_trim(gc_git_deflater *d)
{
	while (d->spares) {
		batch *b = d->spares;

		d->spares = b->next;
		batch_free(b);
	}
	d->nspares = 0;
}

void gc_git__deflater_free(gc_git_deflater *d)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
	}
	gc_git__deflater_drop(d); /* the thread is gone: waits for none */
	gc_git__deflater_trim(d);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->finished);
	libdeflate_free_compressor(d->mine.fast);
	libdeflate_free_compressor(d->mine.stored);
	libdeflate_free_compressor(d->its.fast);
	libdeflate_free_compressor(d->its.stored);
	libdeflate_free_decompressor(d->inflater);
	free(d);
}

int gc_git__inflate(gc_git_deflater *d, void *out, size_t size, const void *in,
		    size_t len)
{
	if (!d->inflater && !(d->inflater = libdeflate_alloc_decompressor()))
		return -1;
	return libdeflate_zlib_decompress(d->inflater, in, len, out, size,
					  NULL) == LIBDEFLATE_SUCCESS
		       ? 0
		       : -1;
}

uint32_t gc_git__crc32(const void *data, size_t len)
{
	return libdeflate_crc32(0, data, len);
}
