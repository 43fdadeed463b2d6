/*
 * The libgit2 wrapper (see git.h for the contract, docs/git.md for the
 * semantics): open, resolve, read, diff, log, commit and refs. Remotes are
 * in git_remote.c, raw trees in git_rawtree.c, notes in git_notes.c.
 * libgit2 codes become gc_code values in one place, gc_git__code(), and
 * every message goes through scrub() so a token, a URL password, userinfo
 * or query string never reaches an error message.
 */
#include "git_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/url.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	git_libgit2_init();
	/*
	 * Like git, trust the object database when reading: libgit2 hashes
	 * every object it reads again by default, ~12 % of a one-bump tick
	 * at 10,000 canaries (a 10,000-entry source tree is ~400 KB). Objects
	 * are still hashed when written, and fetched packs when indexed.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

/* ---- errors ---------------------------------------------------------- */

/*
 * Appends s with the secret replaced by "***" and every URL in it redacted
 * (util/url.h: no userinfo, query string or fragment).
 */
static void scrub(gc_buf *out, const char *s, const char *secret)
{
	static const char scheme_chars[] = "abcdefghijklmnopqrstuvwxyz"
					   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789+.-";
	size_t slen = secret ? strlen(secret) : 0, base = out->len;

	while (*s) {
		if (slen && !strncmp(s, secret, slen)) {
			gc_buf_adds(out, "***");
			s += slen;
			continue;
		}
		if (!strncmp(s, "://", 3)) {
			size_t back = out->len, end = strcspn(s, " \t'\"");
			char *url;

			while (back > base &&
			       strchr(scheme_chars, out->ptr[back - 1]))
				back--;
			url = gc_xasprintf("%.*s%.*s", (int)(out->len - back),
					   out->ptr + back, (int)end, s);
			gc_buf_truncate(out, back);
			gc_url_redact(out, url);
			free(url);
			s += end;
			continue;
		}
		gc_buf_addch(out, *s++);
	}
}

/*
 * The one translation of libgit2 codes: the few a caller can act on get
 * their own gc_code, the rest are GC_ERROR.
 */
gc_code gc_git__code(int rc)
{
	switch (rc) {
	case GIT_ENOTFOUND:
		return GC_ENOTFOUND;
	case GIT_EAMBIGUOUS:
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		return GC_EINVALID;
	case GIT_ENONFASTFORWARD:
	case GIT_EMODIFIED:
	case GIT_EEXISTS:
		return GC_ECONFLICT;
	default:
		return GC_ERROR;
	}
}

int gc_git__fail_code(const gc_git *g, gc_error *err, gc_code code,
		      const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	gc_buf ctx = GC_BUF_INIT, tmp = GC_BUF_INIT, msg = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&ctx, fmt, ap);
	va_end(ap);
	if (ge && ge->message && *ge->message) {
		gc_buf_adds(&ctx, ": ");
		gc_buf_adds(&ctx, ge->message);
	}
	while (ctx.len && strchr(".\n ", ctx.ptr[ctx.len - 1]))
		gc_buf_truncate(&ctx, ctx.len - 1);
	scrub(&tmp, ctx.ptr, g ? g->token : NULL);
	scrub(&msg, tmp.ptr, g ? g->pass : NULL);
	gc_error_set(err, code, "%s", msg.ptr);
	git_error_clear();
	gc_buf_release(&ctx);
	gc_buf_release(&tmp);
	gc_buf_release(&msg);
	return code;
}

/* ---- small helpers --------------------------------------------------- */

int gc_git__parse_oid(git_oid *out, const char *hex, gc_error *err)
{
	size_t i;

	for (i = 0; hex && i < GIT_OID_HEXSZ; i++)
		if (!strchr("0123456789abcdefABCDEF", hex[i]) || !hex[i])
			break;
	if (!hex || i != GIT_OID_HEXSZ || hex[i] || git_oid_fromstr(out, hex))
		return gc_error_set(err, GC_EINVALID,
				    "'%s' is not a full commit id",
				    hex ? hex : "(null)");
	return 0;
}

void gc_git__oid_hex(char out[GC_OID_HEX], const git_oid *oid)
{
	git_oid_tostr(out, GC_OID_HEX, oid);
}

static int lookup_commit(git_commit **out, gc_git *g, const char *hex,
			 gc_error *err)
{
	git_oid oid;
	int rc;

	if ((rc = gc_git__parse_oid(&oid, hex, err)) < 0)
		return rc;
	if ((rc = git_commit_lookup(out, g->repo, &oid)) < 0)
		return gc_git__fail(g, err, rc, "commit '%s'", hex);
	return 0;
}

int gc_git__lookup_tree(git_tree **out, gc_git *g, const char *hex,
			gc_error *err)
{
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	if (!hex || !*hex)
		return 0;
	if ((rc = lookup_commit(&c, g, hex, err)) < 0)
		return rc;
	if ((rc = git_commit_tree(out, c)) < 0)
		rc = gc_git__fail(g, err, rc, "tree of commit '%s'", hex);
	git_commit_free(c);
	return rc;
}

int gc_git__make_sig(git_signature **out, const gc_git_signature *s)
{
	const char *name = s && s->name ? s->name : "gitcanary";
	const char *email = s && s->email ? s->email : "gitcanary@localhost";

	if (!s || !s->when)
		return git_signature_now(out, name, email);
	return git_signature_new(out, name, email, (git_time_t)s->when, 0);
}

int gc_git_open(gc_git **out, const char *where, const gc_git_open_opts *opts,
		gc_error *err)
{
	gc_git *g = gc_xcalloc(1, sizeof(*g));
	const char *token = opts && opts->token ? opts->token
						: getenv("GITCANARY_GIT_TOKEN");
	const char *key = opts && opts->ssh_key ? opts->ssh_key
						: getenv("GITCANARY_SSH_KEY");
	const char *insecure = getenv("GITCANARY_ALLOW_INSECURE_HTTP");
	int rc;

	pthread_once(&init_once, lib_init);
	g->token = token && *token ? gc_xstrdup(token) : NULL;
	g->ssh_key = key && *key ? gc_xstrdup(key) : NULL;
	g->insecure_http = (opts && opts->allow_insecure_http) ||
			   (insecure && !strcmp(insecure, "1"));
	if (opts && opts->signing_key &&
	    (rc = gc_git__signer_load(g, opts->signing_key, err)) < 0)
		goto cleanup;
	if (gc_git__is_url(where)) {
		rc = gc_git__open_remote(g, where, opts, err);
	} else {
		rc = git_repository_open_ext(&g->repo, where,
					     GIT_REPOSITORY_OPEN_NO_SEARCH,
					     NULL);
		if (rc < 0 && gc_git__scp_like(where))
			rc = gc_git__fail(
				g, err, rc,
				"cannot open repository '%s' (an scp-like address: write it as an ssh:// URL)",
				where);
		else if (rc < 0)
			rc = gc_git__fail(g, err, rc,
					  "cannot open repository '%s'", where);
	}
	if (rc < 0 || (rc = gc_git__pending_attach(g, err)) < 0)
		goto cleanup;
	*out = g;
	g = NULL;
cleanup:
	gc_git_free(g);
	return rc;
}

static void forget_diff(gc_git *g)
{
	for (size_t i = 0; i < g->ndiff; i++)
		free(g->diff_paths[i]);
	free(g->diff_paths);
	g->diff_paths = NULL;
	g->ndiff = g->adiff = 0;
}

void gc_git_free(gc_git *g)
{
	if (!g)
		return;
	git_remote_free(g->remote);
	git_remote_free(g->push_remote);
	git_repository_free(g->repo);
	free(g->url);
	free(g->display);
	gc_free_secret(g->token);
	free(g->ssh_key);
	free(g->user);
	gc_free_secret(g->pass);
	forget_diff(g);
	gc_git__tree_cache_clear(g);
	gc_git__signer_free(g);
	free(g);
}

/* ---- resolving ------------------------------------------------------- */

int gc_git_default_branch(char **out, gc_git *g, gc_error *err)
{
	const char *name = g->url ? GC_GIT_TRACKING "HEAD" : "HEAD";
	const char *prefix = g->url ? GC_GIT_TRACKING : "refs/heads/";
	git_reference *ref = NULL;
	const char *target;
	int rc;

	rc = git_reference_lookup(&ref, g->repo, name);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = gc_error_set(err, GC_ENOTFOUND,
				  "the default branch of '%s' is unknown",
				  g->url ? g->display
					 : git_repository_path(g->repo));
		goto cleanup;
	}
	if (rc < 0) {
		rc = gc_git__fail(g, err, rc, "reference '%s'", name);
		goto cleanup;
	}
	target = git_reference_symbolic_target(ref);
	if (!target || strncmp(target, prefix, strlen(prefix))) {
		rc = gc_error_set(err, GC_ENOTFOUND,
				  "'%s' does not point at a branch", name);
		goto cleanup;
	}
	*out = gc_xstrdup(target + strlen(prefix));
cleanup:
	git_reference_free(ref);
	return rc;
}

/* The object a direct ref points to, or NULL (symbolic). */
static const git_oid *direct_target(const git_reference *ref)
{
	return git_reference_type(ref) == GIT_REFERENCE_DIRECT
		       ? git_reference_target(ref)
		       : NULL;
}

static bool peeled_before(git_oid *out, const gc_git *g,
			  const git_reference *ref)
{
	const git_oid *id = direct_target(ref);

	for (unsigned i = 0; id && i < GC_ARRAY_SIZE(g->peel_from); i++) {
		if (i < g->npeeled && git_oid_equal(&g->peel_from[i], id)) {
			git_oid_cpy(out, &g->peel_to[i]);
			return true;
		}
	}
	return false;
}

static void remember_peel(gc_git *g, const git_reference *ref,
			  const git_oid *commit)
{
	const git_oid *id = direct_target(ref);
	unsigned n = GC_ARRAY_SIZE(g->peel_from);

	if (!id)
		return;
	/* newest first */
	memmove(&g->peel_from[1], &g->peel_from[0],
		(n - 1) * sizeof(*g->peel_from));
	memmove(&g->peel_to[1], &g->peel_to[0], (n - 1) * sizeof(*g->peel_to));
	git_oid_cpy(&g->peel_from[0], id);
	git_oid_cpy(&g->peel_to[0], commit);
	if (g->npeeled < n)
		g->npeeled++;
}

/*
 * The commit refname peels to, with *found; *found false (and 0) when there
 * is no such ref or refname is not a valid ref name, err untouched.
 */
static int peel_ref(git_oid *out, bool *found, gc_git *g, const char *refname,
		    gc_error *err)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int rc, valid = 0;

	*found = false;
	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
		git_error_clear();
		return 0;
	}
	rc = git_reference_lookup(&ref, g->repo, refname);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	*found = true;
	if (rc == 0 && peeled_before(out, g, ref)) {
		git_reference_free(ref);
		return 0;
	}
	if (rc < 0 ||
	    (rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT)) < 0) {
		rc = gc_git__fail_code(g, err, GC_EINVALID,
				       "'%s' does not name a commit", refname);
	} else {
		git_oid_cpy(out, git_object_id(obj));
		remember_peel(g, ref, out);
	}
	git_object_free(obj);
	git_reference_free(ref);
	return rc;
}

static int resolve_hex(git_oid *out, gc_git *g, const char *rev, gc_error *err)
{
	size_t len = strlen(rev);
	git_object *obj = NULL, *peeled = NULL;
	git_oid prefix;
	int rc;

	if (len < 4 || len > GIT_OID_HEXSZ ||
	    rev[strspn(rev, "0123456789abcdefABCDEF")] ||
	    git_oid_fromstrn(&prefix, rev, len) < 0) {
		git_error_clear();
		return gc_error_set(err, GC_ENOTFOUND,
				    "no branch, tag or commit '%s'", rev);
	}
	rc = git_object_lookup_prefix(&obj, g->repo, &prefix, len,
				      GIT_OBJECT_ANY);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return gc_error_set(err, GC_ENOTFOUND,
				    "no branch, tag or commit '%s'", rev);
	}
	if (rc < 0)
		return gc_git__fail(g, err, rc, "commit '%s'", rev);
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc < 0)
		rc = gc_git__fail_code(g, err, GC_EINVALID,
				       "'%s' does not name a commit", rev);
	else
		git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

/* Branch (remote-tracking for remotes), tag, full ref name, then commit id. */
static int resolve_oid(git_oid *out, gc_git *g, const char *rev, gc_error *err)
{
	char *branch = NULL, *name;
	bool found;
	int rc;

	if (rev && !strcmp(rev, "HEAD"))
		rev = NULL; /* HEAD, or the remote's HEAD branch */
	if (!rev) {
		if (!g->url) {
			rc = git_reference_name_to_id(out, g->repo, "HEAD");
			if (rc < 0)
				return gc_git__fail(g, err, rc, "HEAD of '%s'",
						    git_repository_path(
							    g->repo));
			return 0;
		}
		if ((rc = gc_git_default_branch(&branch, g, err)) < 0)
			return rc;
		rev = branch;
	}
	if (g->url)
		name = gc_xasprintf(GC_GIT_TRACKING "%s", rev);
	else
		name = gc_xasprintf("refs/heads/%s", rev);
	rc = peel_ref(out, &found, g, name, err);
	free(name);
	if (rc == 0 && !found) {
		name = gc_xasprintf("refs/tags/%s", rev);
		rc = peel_ref(out, &found, g, name, err);
		free(name);
	}
	if (rc == 0 && !found && !strncmp(rev, "refs/", 5))
		rc = peel_ref(out, &found, g, rev, err);
	if (rc == 0 && !found)
		rc = resolve_hex(out, g, rev, err);
	free(branch);
	return rc;
}

int gc_git_resolve(char out[GC_OID_HEX], gc_git *g, const char *rev,
		   gc_error *err)
{
	git_oid oid;
	int rc;

	if ((rc = resolve_oid(&oid, g, rev, err)) < 0)
		return rc;
	gc_git__oid_hex(out, &oid);
	return 0;
}

/* ---- reading --------------------------------------------------------- */

static int walk_tree(gc_git *g, git_tree *tree, gc_buf *path, gc_git_blob_cb cb,
		     void *payload, gc_error *err)
{
	size_t n = git_tree_entrycount(tree);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_filemode_t mode = git_tree_entry_filemode(e);
		size_t base = path->len;
		git_object *obj = NULL;
		char hex[GC_OID_HEX];

		if (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB &&
		    mode != GIT_FILEMODE_BLOB_EXECUTABLE)
			continue; /* symlinks and submodules are not manifests
				   */
		gc_buf_adds(path, git_tree_entry_name(e));
		if ((rc = git_tree_entry_to_object(&obj, g->repo, e)) < 0) {
			rc = gc_git__fail(g, err, rc, "'%s'", path->ptr);
		} else if (mode == GIT_FILEMODE_TREE) {
			gc_buf_addch(path, '/');
			rc = walk_tree(g, (git_tree *)obj, path, cb, payload,
				       err);
		} else {
			git_blob *blob = (git_blob *)obj;

			gc_git__oid_hex(hex, git_tree_entry_id(e));
			rc = cb(path->ptr, hex, git_blob_rawcontent(blob),
				(size_t)git_blob_rawsize(blob), payload);
		}
		git_object_free(obj);
		gc_buf_truncate(path, base);
	}
	return rc;
}

int gc_git_walk(gc_git *g, const char commit[GC_OID_HEX], gc_git_blob_cb cb,
		void *payload, gc_error *err)
{
	git_tree *tree = NULL;
	gc_buf path = GC_BUF_INIT;
	int rc;

	if ((rc = gc_git__lookup_tree(&tree, g, commit, err)) < 0)
		return rc;
	if (tree)
		rc = walk_tree(g, tree, &path, cb, payload, err);
	git_tree_free(tree);
	gc_buf_release(&path);
	return rc;
}

int gc_git__commit_tree_id(git_oid *out, gc_git *g, const char *hex,
			   gc_error *err)
{
	git_commit *c = NULL;
	int rc;

	if ((rc = lookup_commit(&c, g, hex, err)) < 0)
		return rc;
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

static int read_path_libgit2(gc_buf *out, gc_git *g,
			     const char commit[GC_OID_HEX], const char *path,
			     bool files_only, gc_error *err)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;

	if ((rc = gc_git__lookup_tree(&tree, g, commit, err)) < 0)
		return rc;
	rc = tree ? git_tree_entry_bypath(&e, tree, path) : GIT_ENOTFOUND;
	if (rc == 0 && files_only &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)
		rc = GIT_ENOTFOUND;
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = gc_error_set(err, GC_ENOTFOUND,
				  "no file '%s' in commit %.7s", path, commit);
		goto cleanup;
	}
	if (rc < 0) {
		rc = gc_git__fail(g, err, rc, "'%s'", path);
		goto cleanup;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		rc = gc_error_set(err, GC_EINVALID,
				  "'%s' is not a file in commit %.7s", path,
				  commit);
		goto cleanup;
	}
	if ((rc = git_blob_lookup(&blob, g->repo, git_tree_entry_id(e))) < 0) {
		rc = gc_git__fail(g, err, rc, "'%s'", path);
		goto cleanup;
	}
	gc_buf_add(out, git_blob_rawcontent(blob),
		   (size_t)git_blob_rawsize(blob));
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

static int read_path(gc_buf *out, gc_git *g, const char commit[GC_OID_HEX],
		     const char *path, bool files_only, gc_error *err)
{
	bool fallback = false;
	int rc = gc_git__read_raw(out, &fallback, g, commit, path, files_only,
				  err);

	if (rc == 0 && fallback)
		rc = read_path_libgit2(out, g, commit, path, files_only, err);
	return rc;
}

int gc_git_read(gc_buf *out, gc_git *g, const char commit[GC_OID_HEX],
		const char *path, gc_error *err)
{
	return read_path(out, g, commit, path, false, err);
}

int gc_git_read_file(gc_buf *out, gc_git *g, const char commit[GC_OID_HEX],
		     const char *path, gc_error *err)
{
	return read_path(out, g, commit, path, true, err);
}

void gc_git__diff_add(gc_git *g, const char *path)
{
	if (g->ndiff + 1 >= g->adiff) {
		g->adiff = g->adiff ? 2 * g->adiff : 16;
		g->diff_paths = gc_xrealloc(g->diff_paths,
					    g->adiff * sizeof(*g->diff_paths));
	}
	g->diff_paths[g->ndiff++] = gc_xstrdup(path);
	g->diff_paths[g->ndiff] = NULL;
}

static int diff_paths_libgit2(gc_git *g, const char *from, const char *to,
			      gc_error *err)
{
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	size_t n;
	int rc;

	if ((rc = gc_git__lookup_tree(&a, g, from, err)) < 0 ||
	    (rc = gc_git__lookup_tree(&b, g, to, err)) < 0)
		goto cleanup;
	if ((rc = git_diff_tree_to_tree(&diff, g->repo, a, b, NULL)) < 0) {
		rc = gc_git__fail(g, err, rc, "cannot diff %.7s..%.7s", from,
				  to);
		goto cleanup;
	}
	n = git_diff_num_deltas(diff);
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		gc_git__diff_add(g, d->new_file.path ? d->new_file.path
						     : d->old_file.path);
	}
cleanup:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

/* The paths that differ between two commits, into g->diff_paths. */
static int diff_paths(gc_git *g, const char *from, const char *to,
		      gc_error *err)
{
	bool fallback = false;
	int rc;

	forget_diff(g);
	rc = gc_git__diff_raw(&fallback, g, from, to, err);
	if (rc == 0 && fallback) {
		forget_diff(g);
		rc = diff_paths_libgit2(g, from, to, err);
	}
	if (rc < 0) {
		forget_diff(g);
		return rc;
	}
	if (!g->diff_paths) /* none: still a result */
		g->diff_paths = gc_xcalloc(1, sizeof(*g->diff_paths));
	snprintf(g->diff_from, sizeof(g->diff_from), "%s", from);
	snprintf(g->diff_to, sizeof(g->diff_to), "%s", to);
	return 0;
}

/* "" (the empty tree) or 40 hex digits: a name of fixed content. */
static bool full_id(const char *rev)
{
	return !*rev || (strlen(rev) == GC_OID_HEX - 1 &&
			 strspn(rev, "0123456789abcdef") == GC_OID_HEX - 1);
}

int gc_git_diff_paths(gc_git *g, const char from[GC_OID_HEX],
		      const char to[GC_OID_HEX], gc_git_path_cb cb,
		      void *payload, gc_error *err)
{
	int rc = 0;

	/* commit ids name fixed content: the same pair, the same paths */
	if (!g->diff_paths || !full_id(from) || !full_id(to) ||
	    strcmp(g->diff_from, from) || strcmp(g->diff_to, to))
		rc = diff_paths(g, from, to, err);
	for (size_t i = 0; rc == 0 && i < g->ndiff; i++)
		rc = cb(g->diff_paths[i], payload);
	return rc;
}

int gc_git_log(gc_git *g, const char *rev, size_t max, gc_git_log_cb cb,
	       void *payload, gc_error *err)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t n = 0;
	int rc;

	if ((rc = resolve_oid(&oid, g, rev, err)) < 0)
		return rc;
	if ((rc = git_revwalk_new(&walk, g->repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
						    GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(walk, &oid)) < 0) {
		rc = gc_git__fail(g, err, rc, "cannot walk the history of '%s'",
				  rev ? rev : "HEAD");
		goto cleanup;
	}
	while (rc == 0 && (!max || n < max)) {
		git_commit *c = NULL;
		char hex[GC_OID_HEX];

		rc = git_revwalk_next(&oid, walk);
		if (rc == GIT_ITEROVER) {
			git_error_clear();
			rc = 0;
			break;
		}
		if (rc < 0 || (rc = git_commit_lookup(&c, g->repo, &oid)) < 0) {
			rc = gc_git__fail(g, err, rc,
					  "cannot walk the history");
			break;
		}
		gc_git__oid_hex(hex, &oid);
		rc = cb(hex, git_commit_message(c),
			(long long)git_commit_time(c), payload);
		git_commit_free(c);
		n++;
	}
cleanup:
	git_revwalk_free(walk);
	return rc;
}

/* ---- writing --------------------------------------------------------- */

bool gc_git__path_ok(const char *path)
{
	const char *s = path;

	if (!path || !*path)
		return false;
	for (;;) {
		size_t n = strcspn(s, "/");

		if (!n || (n == 1 && s[0] == '.') ||
		    (n == 2 && !strncmp(s, "..", 2)) ||
		    (n == 4 && !strncmp(s, ".git", 4)))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

int gc_git_write_blob(char out[GC_OID_HEX], gc_git *g, const char *data,
		      size_t len, gc_error *err)
{
	git_oid id;
	int rc;

	if ((rc = gc_git__write_object(&id, g, data ? data : "", data ? len : 0,
				       GIT_OBJECT_BLOB, err)) < 0)
		return rc;
	gc_git__oid_hex(out, &id);
	return gc_git__flush_if_big(g, err);
}

/*
 * The blob of an upsert: u->blob, which must name a blob of the repository
 * (a tree must not point at a missing object), or u->data written now.
 */
int gc_git__update_blob(git_oid *out, gc_git *g, const gc_git_update *u,
			gc_error *err)
{
	git_odb *odb = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	size_t len;
	int rc;

	if (!u->blob) {
		if ((rc = gc_git__write_object(out, g, u->data, u->len,
					       GIT_OBJECT_BLOB, err)) < 0)
			gc_error_prefixf(err, "'%s'", u->path);
		return rc;
	}
	if (strlen(u->blob) != GIT_OID_HEXSZ ||
	    strspn(u->blob, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    git_oid_fromstr(out, u->blob) < 0) {
		git_error_clear();
		return gc_error_set(err, GC_EINVALID,
				    "'%s': '%s' is not a blob id", u->path,
				    u->blob);
	}
	if ((rc = git_repository_odb(&odb, g->repo)) == 0)
		rc = git_odb_read_header(&len, &type, odb, out);
	git_odb_free(odb);
	if (rc == GIT_ENOTFOUND || (rc == 0 && type != GIT_OBJECT_BLOB)) {
		git_error_clear();
		return gc_error_set(err, GC_EINVALID,
				    "'%s': no blob %.7s in the repository",
				    u->path, u->blob);
	}
	if (rc < 0)
		return gc_git__fail(g, err, rc, "'%s': blob %.7s", u->path,
				    u->blob);
	return 0;
}

/* Turns updates into libgit2 tree updates; deletions of absent paths drop. */
static int build_updates(git_tree_update *upd, size_t *nupd, gc_git *g,
			 git_tree *base, const gc_git_update *updates, size_t n,
			 gc_error *err)
{
	int rc;

	*nupd = 0;
	for (size_t i = 0; i < n; i++) {
		git_tree_update *u = &upd[*nupd];

		if (!gc_git__path_ok(updates[i].path))
			return gc_error_set(err, GC_EINVALID,
					    "invalid path '%s'",
					    updates[i].path ? updates[i].path
							    : "(null)");
		u->path = updates[i].path;
		if (gc_git__update_removes(&updates[i])) {
			git_tree_entry *e = NULL;

			rc = base ? git_tree_entry_bypath(&e, base, u->path)
				  : GIT_ENOTFOUND;
			git_tree_entry_free(e);
			if (rc == GIT_ENOTFOUND) {
				git_error_clear();
				continue;
			}
			if (rc < 0)
				return gc_git__fail(g, err, rc, "'%s'",
						    u->path);
			u->action = GIT_TREE_UPDATE_REMOVE;
		} else {
			if ((rc = gc_git__update_blob(&u->id, g, &updates[i],
						      err)) < 0)
				return rc;
			u->action = GIT_TREE_UPDATE_UPSERT;
			u->filemode = GIT_FILEMODE_BLOB;
		}
		(*nupd)++;
	}
	return 0;
}

static int write_tree(git_oid *out, gc_git *g, git_tree *base,
		      const gc_git_update *updates, size_t n, gc_error *err)
{
	git_tree_update *upd = gc_xcalloc(n ? n : 1, sizeof(*upd));
	git_treebuilder *tb = NULL;
	size_t nupd;
	int rc;

	if (n) {
		bool fallback = false;

		rc = gc_git__write_tree_raw(out, &fallback, g, base, updates, n,
					    err);
		if (rc < 0 || !fallback)
			goto cleanup;
	}
	if ((rc = build_updates(upd, &nupd, g, base, updates, n, err)) < 0)
		goto cleanup;
	if (nupd)
		rc = git_tree_create_updated(out, g->repo, base, nupd, upd);
	else if (base)
		git_oid_cpy(out, git_tree_id(base));
	else if ((rc = git_treebuilder_new(&tb, g->repo, NULL)) == 0)
		rc = git_treebuilder_write(out, tb);
	if (rc < 0)
		rc = gc_git__fail(g, err, rc, "cannot build the tree");
cleanup:
	git_treebuilder_free(tb);
	free(upd);
	return rc;
}

int gc_git_commit(char out[GC_OID_HEX], gc_git *g, const char *parent,
		  const gc_git_update *updates, size_t n,
		  const gc_git_signature *author,
		  const gc_git_signature *committer, const char *message,
		  gc_error *err)
{
	git_commit *pc = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *a = NULL, *c = NULL;
	gc_buf msg = GC_BUF_INIT;
	git_oid tree_id, id;
	const git_commit *parents[1];
	int rc;

	if (parent && *parent) {
		if ((rc = lookup_commit(&pc, g, parent, err)) < 0)
			goto cleanup;
		if ((rc = git_commit_tree(&base, pc)) < 0) {
			rc = gc_git__fail(g, err, rc, "tree of '%s'", parent);
			goto cleanup;
		}
	}
	if ((rc = write_tree(&tree_id, g, base, updates, n, err)) < 0)
		goto cleanup;
	gc_buf_adds(&msg, message ? message : "");
	if (!msg.len || msg.ptr[msg.len - 1] != '\n')
		gc_buf_addch(&msg, '\n');
	parents[0] = pc;
	if ((rc = git_tree_lookup(&tree, g->repo, &tree_id)) < 0 ||
	    (rc = gc_git__make_sig(&a, author)) < 0 ||
	    (rc = gc_git__make_sig(&c, committer ? committer : author)) < 0) {
		rc = gc_git__fail(g, err, rc, "cannot commit");
		goto cleanup;
	}
	if ((rc = gc_git__commit_create(&id, g, a, c, msg.ptr, tree, pc ? 1 : 0,
					parents, err)) < 0)
		goto cleanup;
	/* the commit and everything it needs, on disk (git_pack.c) */
	if ((rc = gc_git__flush(g, err)) < 0)
		goto cleanup;
	gc_git__oid_hex(out, &id);
cleanup:
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	gc_buf_release(&msg);
	return rc;
}

int gc_git__ref_cas(gc_git *g, const char *name, const git_oid *expect,
		    const git_oid *to, gc_error *err)
{
	git_reference *ref = NULL;
	int rc;

	if ((rc = gc_git__flush(g, err)) < 0)
		return rc;
	if (expect)
		rc = git_reference_create_matching(&ref, g->repo, name, to, 1,
						   expect, "gitcanary: update");
	else
		rc = git_reference_create(&ref, g->repo, name, to, 0,
					  "gitcanary: create");
	git_reference_free(ref);
	if (rc == GIT_ELOCKED)
		return gc_git__fail_code(
			g, err, GC_ECONFLICT,
			"'%s' is locked by another git process (if none runs, one was killed: remove the .lock file)",
			name);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ENOTFOUND)
		return gc_git__fail_code(g, err, GC_ECONFLICT,
					 "'%s' moved meanwhile", name);
	if (rc < 0)
		return gc_git__fail(g, err, rc, "cannot update '%s'", name);
	return 0;
}

int gc_git__ref_id(git_oid *out, bool *found, gc_git *g, const char *name,
		   gc_error *err)
{
	int rc = git_reference_name_to_id(out, g->repo, name);

	*found = rc == 0;
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return gc_git__fail(g, err, rc, "reference '%s'", name);
	return 0;
}

int gc_git_update_branch(gc_git *g, const char *branch, const char *expect,
			 const char to[GC_OID_HEX], gc_error *err)
{
	char *name = gc_xasprintf("refs/heads/%s", branch);
	git_oid want, to_id;
	git_commit *c = NULL;
	int rc, valid = 0;

	if (git_reference_name_is_valid(&valid, name) < 0 || !valid) {
		git_error_clear();
		rc = gc_error_set(err, GC_EINVALID, "invalid branch name '%s'",
				  branch);
		goto cleanup;
	}
	if ((expect && *expect &&
	     (rc = gc_git__parse_oid(&want, expect, err)) < 0) ||
	    (rc = lookup_commit(&c, g, to, err)) < 0)
		goto cleanup;
	git_oid_cpy(&to_id, git_commit_id(c));
	if (g->url)
		rc = gc_git__push_branch(g, branch,
					 expect && *expect ? &want : NULL,
					 &to_id, err);
	else
		rc = gc_git__ref_cas(g, name, expect && *expect ? &want : NULL,
				     &to_id, err);
cleanup:
	git_commit_free(c);
	free(name);
	return rc;
}
