#ifndef GC_REPO_LAYOUT_GIT_H
#define GC_REPO_LAYOUT_GIT_H

/*
 * The only libgit2 user. Everything else sees git through these gc_git_*
 * functions and plain types: object ids as 40-hex strings, trees as
 * (path, blob) callbacks, commits built from path updates.
 *
 * Every function returns 0 or a negative gc_code (util/error.h), never a
 * libgit2 code; the codes a caller may act on are named below.
 *
 * CONTRACT (implemented by repo-layout/git.c, with git_remote.c,
 * git_rawtree.c and git_notes.c; other modules code against it):
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define GC_OID_HEX 41 /* 40 hex digits + NUL */

typedef struct gc_git gc_git; /* an open repository (opaque) */

typedef struct gc_git_open_opts {
	const char *
		cache_dir;   /* where remote URLs are cloned; NULL =
				$XDG_CACHE_HOME/gitcanary or ~/.cache/gitcanary */
	const char *ssh_key; /* private key file for ssh://, or NULL (agent) */
	const char *token;   /* HTTPS token, or NULL; never logged */
	/*
	 * Send the token or a URL password to an http:// (not https://)
	 * remote; without it such a remote that asks for credentials is
	 * refused (also set by $GITCANARY_ALLOW_INSECURE_HTTP=1).
	 */
	bool allow_insecure_http;
	/*
	 * Private key file (OpenSSH format or PEM, unencrypted) that signs
	 * every commit gc_git_commit makes, as `git commit -S` with
	 * gpg.format=ssh does; read once here, never logged. NULL = unsigned.
	 */
	const char *signing_key;
} gc_git_open_opts;

/*
 * Opens a local repository (work tree or bare) at `where`, or, when `where`
 * is a URL (file://, https://, ssh://), clones it into the cache directory
 * (bare) on first use and fetches on later calls. GC_ENOTFOUND when no
 * repository is at a local `where`.
 */
int gc_git_open(gc_git **out, const char *where, const gc_git_open_opts *opts,
		gc_error *err);
void gc_git_free(gc_git *git);
/*
 * Reads the signing key at path again (key rotation): later commits are
 * signed with it. When it cannot be read or parsed, err says so, with the
 * path (never a byte of the key), and the key in use stays.
 */
int gc_git_reload_signing_key(gc_git *git, const char *path, gc_error *err);
/* Fetches every branch and the notes refs from the remote (no-op for a local
 * repository). */
int gc_git_fetch(gc_git *git, gc_error *err);
/*
 * Whether the repository can be reached: a remote's last fetch worked, a
 * local repository's directory still exists.
 */
bool gc_git_reachable(const gc_git *git);

/*
 * Resolves a branch, tag or commit (NULL = the remote's HEAD branch, or
 * HEAD of a local repository) to a commit id. GC_ENOTFOUND when missing.
 * For remote repositories branch names resolve to the fetched remote state.
 */
int gc_git_resolve(char out[GC_OID_HEX], gc_git *git, const char *rev,
		   gc_error *err);
/* Name of the default branch ("main"). Owned. */
int gc_git_default_branch(char **out, gc_git *git, gc_error *err);

/* Calls cb for every blob of the commit's tree, in path order. */
typedef int (*gc_git_blob_cb)(const char *path, const char blob_id[GC_OID_HEX],
			      const char *data, size_t len, void *payload);
int gc_git_walk(gc_git *git, const char commit[GC_OID_HEX], gc_git_blob_cb cb,
		void *payload, gc_error *err);
/* Reads one file of a commit; GC_ENOTFOUND when absent. */
int gc_git_read(gc_buf *out, gc_git *git, const char commit[GC_OID_HEX],
		const char *path, gc_error *err);
/*
 * gc_git_read for the files gc_git_walk visits: GC_ENOTFOUND also when
 * path is a symlink, a submodule or a directory.
 */
int gc_git_read_file(gc_buf *out, gc_git *git, const char commit[GC_OID_HEX],
		     const char *path, gc_error *err);
/* Paths that differ between two commits (either may be "" = empty tree). */
typedef int (*gc_git_path_cb)(const char *path, void *payload);
int gc_git_diff_paths(gc_git *git, const char from[GC_OID_HEX],
		      const char to[GC_OID_HEX], gc_git_path_cb cb,
		      void *payload, gc_error *err);

/*
 * Writes a blob and returns its id, so that a caller can hand file contents
 * over as it produces them (gc_git_update.blob) instead of keeping them
 * until gc_git_commit. An unreferenced blob is harmless (git gc drops it).
 */
int gc_git_write_blob(char out[GC_OID_HEX], gc_git *git, const char *data,
		      size_t len, gc_error *err);

/*
 * One change of a commit: write data (or the blob `blob`) at path, or delete
 * path (data and blob NULL). Zero-initialise it: fields may be added.
 */
typedef struct gc_git_update {
	const char *path;
	const char *data;
	size_t len;
	const char
		*blob; /* hex id of a blob already written (gc_git_write_blob)
			  instead of data; NULL = use data */
} gc_git_update;

typedef struct gc_git_signature {
	const char *name;
	const char *email;
	long long when; /* seconds since the epoch; 0 = now */
} gc_git_signature;

/*
 * Makes a commit whose tree is parent's tree with `updates` applied
 * (git_tree_create_updated: only the trees on changed paths are rewritten);
 * parent "" makes a root commit. Does not move any ref. Signed (a gpgsig
 * header) when the repository was opened with a signing_key.
 */
int gc_git_commit(char out[GC_OID_HEX], gc_git *git, const char *parent,
		  const gc_git_update *updates, size_t n,
		  const gc_git_signature *author,
		  const gc_git_signature *committer, const char *message,
		  gc_error *err);
/*
 * Every commit's objects are written as one pack (docs/git.md), so packs
 * pile up; this merges the small ones once a few were written since the
 * last merge, and makes the empty files the next packs are written to. It
 * is for a moment with nothing else to do (a tick that found no work); a
 * writer that is never idle merges every 64 packs on its own.
 */
int gc_git_tidy(gc_git *git, gc_error *err);
/*
 * Moves refs/heads/<branch> from `expect` ("" = must not exist) to `to`,
 * locally; GC_ECONFLICT if it moved meanwhile. For a remote repository
 * this also pushes (no force: the remote rejects a non-fast-forward, which
 * is GC_ECONFLICT too).
 */
int gc_git_update_branch(gc_git *git, const char *branch, const char *expect,
			 const char to[GC_OID_HEX], gc_error *err);
/* Adds or replaces the note of `target` under notes ref `ref`, then pushes it
 * for a remote; GC_ECONFLICT when the race is still lost after 5 tries. */
int gc_git_note_set(gc_git *git, const char *ref, const char target[GC_OID_HEX],
		    const char *text, const gc_git_signature *sig,
		    gc_error *err);
/*
 * A note made from the current one: fn gets the note of `target` as the
 * notes ref holds it (NULL: none) and returns the new text (owned, freed
 * here). Called again on every lost race, with the note the winner left,
 * so concurrent writers of one note (shards) merge instead of losing an
 * update. Otherwise as gc_git_note_set.
 */
typedef char *(*gc_git_note_fn)(const char *old, void *payload);
int gc_git_note_update(gc_git *git, const char *ref,
		       const char target[GC_OID_HEX], gc_git_note_fn fn,
		       void *payload, const gc_git_signature *sig,
		       gc_error *err);
/* The note of `target` under `ref`; GC_ENOTFOUND when it has none. */
int gc_git_note_get(gc_buf *out, gc_git *git, const char *ref,
		    const char target[GC_OID_HEX], gc_error *err);
/* Commit messages of a branch, newest first, up to max (0 = all). */
typedef int (*gc_git_log_cb)(const char id[GC_OID_HEX], const char *message,
			     long long when, void *payload);
int gc_git_log(gc_git *git, const char *rev, size_t max, gc_git_log_cb cb,
	       void *payload, gc_error *err);

#endif
