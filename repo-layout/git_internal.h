#ifndef GC_REPO_LAYOUT_GIT_INTERNAL_H
#define GC_REPO_LAYOUT_GIT_INTERNAL_H

/*
 * What the seven files of the libgit2 wrapper share; nothing outside
 * repo-layout/git*.c includes it (the contract is git.h).
 *
 *   git.c          open, resolve, read, diff, log, commit, refs; the one
 *                  translation of libgit2 codes (gc_git__code)
 *   git_remote.c   remote URLs, credentials, the clone cache, fetch, push
 *   git_rawtree.c  trees as raw bytes: parser, cache, differ, editor
 *   git_notes.c    notes, written with git's fan-out
 *   git_sign.c     the signing key and signed commits (over sshsig.h)
 *   git_pack.c     how objects are written: held, then one pack; merges
 *   git_deflate.c  their pack entries, deflated on a thread (libdeflate)
 *
 * Every function here returns 0 or a negative gc_code (util/error.h), never
 * a libgit2 code: libgit2 results are compared with GIT_* right after the
 * libgit2 call and turned into a gc_code by gc_git__fail or gc_git__code.
 */

#include <stdbool.h>
#include <stdint.h>

#include <git2.h>

#include "git.h"

#define GC_GIT_REMOTE "origin"
#define GC_GIT_TRACKING "refs/remotes/" GC_GIT_REMOTE "/"
#define GC_GIT_TREE_CACHE_SLOTS 12

struct raw_tree;                              /* git_rawtree.c */
typedef struct gc_git_pending gc_git_pending; /* git_pack.c */

struct gc_git {
	git_repository *repo;
	char *url;     /* remote URL without password, NULL = local; owned */
	char *display; /* gc_url_redact(url), for messages; owned */
	char *token;   /* HTTPS token or NULL; owned, never logged */
	char *ssh_key; /* private key path or NULL; owned */
	char *user;    /* user of a "user:password@" URL, or NULL; owned */
	char *pass;    /* its password; owned, never logged or stored */
	bool insecure_http; /* credentials may go to an http:// remote */
	git_remote *remote; /* the remote of a URL, kept open across fetches */
	/*
	 * Its twin for pushes, looked up at the first push and kept too: a
	 * push on the fetch's remote costs ~10 ms more a tick (libgit2 1.5).
	 */
	git_remote *push_remote;
	bool fetch_failed; /* the last fetch of the remote failed */
	/*
	 * Refs peeled lately: object id -> the commit it peels to. Objects
	 * never change, so this is always right; it saves reading the
	 * commit again (libgit2 does not cache commits over 4 KiB, and a
	 * deploy commit for 10,000 canaries has a message of ~1 MB).
	 */
	git_oid peel_from[4], peel_to[4];
	unsigned npeeled;
	/* the paths of the last gc_git_diff_paths: a tick diffs the same
	 * two source commits twice (index update, then the loop) */
	char diff_from[GC_OID_HEX], diff_to[GC_OID_HEX];
	char **diff_paths; /* owned; NULL = none */
	size_t ndiff, adiff;
	/* big trees read or written lately, newest first (git_rawtree.c) */
	struct raw_tree *trees[GC_GIT_TREE_CACHE_SLOTS];
	size_t ntrees, tree_bytes;
	/* --signing-key (sshsig.h): signs every commit; NULL = unsigned */
	struct gc_sshsig_key *signer;
	/* objects written since a ref last moved (git_pack.c); owned by
	 * the repository's object database */
	gc_git_pending *pending;
	/* packs written since the small ones were last merged */
	unsigned fresh_packs;
};

/* ---- git.c ---- */

/* The gc_code of a libgit2 error code: the one translation. */
gc_code gc_git__code(int git_rc);
/*
 * Sets err to "<fmt>: <libgit2 message>" (secrets scrubbed) with `code` and
 * returns code; the libgit2 error is read once (it may be NULL) and cleared.
 */
int gc_git__fail_code(const gc_git *g, gc_error *err, gc_code code,
		      const char *fmt, ...) GC_PRINTF(4, 5);
/* gc_git__fail_code with the translation of the libgit2 code rc. */
#define gc_git__fail(g, err, rc, ...) \
	gc_git__fail_code((g), (err), gc_git__code(rc), __VA_ARGS__)

/* A full 40-hex id; GC_EINVALID otherwise. */
int gc_git__parse_oid(git_oid *out, const char *hex, gc_error *err);
void gc_git__oid_hex(char out[GC_OID_HEX], const git_oid *oid);
/* The tree of commit `hex`, or NULL for "" (the empty tree). */
int gc_git__lookup_tree(git_tree **out, gc_git *g, const char *hex,
			gc_error *err);
/* The tree id of commit `hex`. */
int gc_git__commit_tree_id(git_oid *out, gc_git *g, const char *hex,
			   gc_error *err);
/* A libgit2 signature (a libgit2 code: callers use gc_git__fail). */
int gc_git__make_sig(git_signature **out, const gc_git_signature *s);
/* Relative, '/'-separated, no empty, ".", ".." or ".git" component. */
bool gc_git__path_ok(const char *path);
/* The blob of an upsert: u->blob checked, or u->data written now. */
int gc_git__update_blob(git_oid *out, gc_git *g, const gc_git_update *u,
			gc_error *err);
static inline bool gc_git__update_removes(const gc_git_update *u)
{
	return !u->data && !u->blob;
}
/* Appends a path to g->diff_paths. */
void gc_git__diff_add(gc_git *g, const char *path);
/* *found and the id when the ref exists; *found false when not. */
int gc_git__ref_id(git_oid *out, bool *found, gc_git *g, const char *name,
		   gc_error *err);
/* Compare-and-swap of a local ref (expect NULL = must not exist);
 * GC_ECONFLICT when it moved or is locked. */
int gc_git__ref_cas(gc_git *g, const char *name, const git_oid *expect,
		    const git_oid *to, gc_error *err);

/* ---- git_remote.c ---- */

/* "scheme://...". */
bool gc_git__is_url(const char *where);
/* "git@host:org/repo.git": git's scp-like syntax. */
bool gc_git__scp_like(const char *where);
/* Opens (or creates) the cached bare clone of url and fetches it. */
int gc_git__open_remote(gc_git *g, const char *url,
			const gc_git_open_opts *opts, gc_error *err);
/* Pushes one refspec without force; a rejection is GC_ECONFLICT. */
int gc_git__push_one(gc_git *g, const char *spec, gc_error *err);
/* Pushes `to` to the remote's branch if its tracking ref is at expect
 * (NULL = absent); GC_ECONFLICT otherwise or when rejected. */
int gc_git__push_branch(gc_git *g, const char *branch, const git_oid *expect,
			const git_oid *to, gc_error *err);

/* ---- git_rawtree.c ---- */

/*
 * Trees on hot paths read, compared and edited as raw bytes. Each function
 * returns 0 or a negative gc_code. On 0, *fallback tells whether it did
 * the job: true means the trees are unusual (a malformed tree, a file where
 * a directory is expected, an empty path component, the same path twice),
 * nothing usable was produced and the caller asks libgit2, which judges
 * them as git does. The outputs are meaningful only for 0 and !*fallback.
 */
int gc_git__read_raw(gc_buf *out, bool *fallback, gc_git *g, const char *commit,
		     const char *path, bool files_only, gc_error *err);
/* The paths that differ between two commits ("" = empty tree), appended
 * with gc_git__diff_add. */
int gc_git__diff_raw(bool *fallback, gc_git *g, const char *from,
		     const char *to, gc_error *err);
/* The tree `base` (NULL = none) with updates applied, written. */
int gc_git__write_tree_raw(git_oid *out, bool *fallback, gc_git *g,
			   git_tree *base, const gc_git_update *updates,
			   size_t n, gc_error *err);
void gc_git__tree_cache_clear(gc_git *g);

/* ---- git_sign.c ---- */

/*
 * Reads and parses the signing key at path into g->signer, replacing the
 * one there only when the new one is good.
 */
int gc_git__signer_load(gc_git *g, const char *path, gc_error *err);
void gc_git__signer_free(gc_git *g);
/*
 * git_commit_create without a ref update, signed when g->signer is set
 * (a gpgsig header with an SSH signature, as git commit -S writes it).
 */
int gc_git__commit_create(git_oid *out, gc_git *g, const git_signature *author,
			  const git_signature *committer, const char *message,
			  const git_tree *tree, size_t nparents,
			  const git_commit **parents, gc_error *err);

/* ---- git_pack.c ---- */

/*
 * Makes every object write of g->repo wait in memory until
 * gc_git__flush, and counts the small packs already there as written
 * (so that their merge comes as soon as in a long-lived loop): called
 * once the repository is open.
 */
int gc_git__pending_attach(gc_git *g, gc_error *err);
/*
 * Writes the waiting objects as one pack (and merges small packs once
 * 64 were written without an idle moment). Called before any ref moves,
 * so a ref never points at an object that is only in memory.
 */
int gc_git__flush(gc_git *g, gc_error *err);
/*
 * Writes an object (to the waiting ones). Unlike git_odb_write it does
 * not look for the object in the repository first (for a new object
 * libgit2 rescans its pack list and stats loose paths: a fifth of the CPU
 * of a first tick): one the repository has already is written again,
 * which git allows (a second copy in the new pack), unless a pack of this
 * tick holds it. Past 2 MiB waiting, writes them as a pack.
 */
int gc_git__write_object(git_oid *out, gc_git *g, const void *data, size_t len,
			 git_object_t type, gc_error *err);
/* Writes the waiting objects as a pack when they take much memory. */
int gc_git__flush_if_big(gc_git *g, gc_error *err);

/* ---- git_deflate.c ---- */

/* Pack entries made from held objects, a batch at a time, on a thread. */
typedef struct gc_git_deflater gc_git_deflater;
typedef struct gc_git_batch gc_git_batch;
/* An object's pack entry in the bytes a take hands over: it starts at
 * off (type and size), its zlib stream at zoff, len bytes in all. */
typedef struct gc_git_entry {
	size_t off, zoff, len;
} gc_git_entry;
/* Entries of the objects held, in the order they were added. */
typedef void (*gc_git_take_cb)(const char *packed, size_t len,
			       const gc_git_entry *entries, size_t n,
			       void *payload);

gc_git_deflater *gc_git__deflater_new(void);
/* Stops its thread; drops what it holds. */
void gc_git__deflater_free(gc_git_deflater *d);
/*
 * Holds an object. Until it is taken, its bytes are at
 * gc_git__deflater_bytes(*in, *at) (never moved once its batch is full).
 */
void gc_git__deflater_add(gc_git_deflater *d, gc_git_batch **in, size_t *at,
			  git_object_t type, const void *data, size_t len);
const char *gc_git__deflater_bytes(const gc_git_batch *b, size_t at);
/* Appends an object's pack entry to out, here and now (e: where). */
int gc_git__deflate(gc_buf *out, gc_git_entry *e, gc_git_deflater *d,
		    git_object_t type, const void *data, size_t len);
/* Bytes of the objects held and not taken yet. */
size_t gc_git__deflater_held(const gc_git_deflater *d);
/*
 * Hands the deflated batches to cb, in order; with all, every object
 * held (deflating here what the thread has not started). 0 or -1 (a
 * libgit2 error set; what failed is not taken: drop it).
 */
int gc_git__deflater_take(gc_git_deflater *d, bool all, gc_git_take_cb cb,
			  void *payload);
/* Forgets every object held (waits for the batch the thread is on). */
void gc_git__deflater_drop(gc_git_deflater *d);
/* Frees the batches kept for the next objects: in an idle moment. */
void gc_git__deflater_trim(gc_git_deflater *d);
/* A zlib stream of len bytes inflated into out, exactly size bytes. */
int gc_git__inflate(gc_git_deflater *d, void *out, size_t size, const void *in,
		    size_t len);
uint32_t gc_git__crc32(const void *data, size_t len);

#endif
