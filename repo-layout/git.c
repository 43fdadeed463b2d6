/*
 * The only libgit2 user (see git.h for the contract, docs/git.md for the
 * semantics). libgit2 errors are translated once, in git_fail(); every
 * message goes through scrub() so a token or URL userinfo never reaches an
 * error message.
 */
#include "git.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "util/alloc.h"
#include "util/hash.h"

#define REMOTE "origin"
#define TRACKING "refs/remotes/" REMOTE "/"
#define NOTE_PUSH_ATTEMPTS 5
#define CRED_ATTEMPTS 1
#define TREE_CACHE_MIN 4096 /* smaller trees: libgit2 keeps them parsed */
#define TREE_CACHE_BYTES (6u << 20) /* bytes and entries of cached trees */
#define TREE_CACHE_SLOTS 12

typedef struct raw_tree raw_tree;

struct gc_git {
	git_repository *repo;
	char *url;     /* remote URL without password, NULL = local; owned */
	char *display; /* url without userinfo, for messages; owned */
	char *token;   /* HTTPS token or NULL; owned, never logged */
	char *ssh_key; /* private key path or NULL; owned */
	char *user;    /* user of a "user:password@" URL, or NULL; owned */
	char *pass;    /* its password; owned, never logged or stored */
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
	/* big trees read or written lately, newest first (see raw trees) */
	raw_tree *trees[TREE_CACHE_SLOTS];
	size_t ntrees, tree_bytes;
};

static void tree_cache_clear(gc_git *g);

/* State shared by the network callbacks of one connection. */
struct net {
	const gc_git *g;
	unsigned userpass_tries, ssh_tries;
	char *rejected; /* first "ref: status" the remote rejected; owned */
};

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

/* Appends s with the secret and any URL userinfo replaced by "***". */
static void scrub(gc_buf *out, const char *s, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0;

	while (*s) {
		const char *p;

		if (slen && !strncmp(s, secret, slen)) {
			gc_buf_adds(out, "***");
			s += slen;
			continue;
		}
		if (!strncmp(s, "://", 3)) {
			size_t auth = strcspn(s + 3, "/ \t'\"");
			const char *at = NULL;

			for (p = s + 3; p < s + 3 + auth; p++)
				if (*p == '@')
					at = p;
			gc_buf_adds(out, "://");
			s += 3;
			if (at) {
				gc_buf_adds(out, "***");
				s = at;
			}
			continue;
		}
		gc_buf_addch(out, *s++);
	}
}

static gc_code map_code(int rc)
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

static int git_fail_code(const gc_git *g, gc_error *err, gc_code code,
			 const char *fmt, ...) GC_PRINTF(4, 5);

/*
 * Sets err to "<fmt>: <libgit2 message>" with `code`; the libgit2 error is
 * read once (it may be NULL) and cleared.
 */
static int git_fail_code(const gc_git *g, gc_error *err, gc_code code,
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

#define git_fail(g, err, rc, ...) \
	git_fail_code((g), (err), map_code(rc), __VA_ARGS__)

/* ---- small helpers --------------------------------------------------- */

static int parse_oid(git_oid *out, const char *hex, gc_error *err)
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

static void oid_hex(char out[GC_OID_HEX], const git_oid *oid)
{
	git_oid_tostr(out, GC_OID_HEX, oid);
}

static int lookup_commit(git_commit **out, gc_git *g, const char *hex,
			 gc_error *err)
{
	git_oid oid;
	int rc;

	if ((rc = parse_oid(&oid, hex, err)) < 0)
		return rc;
	if ((rc = git_commit_lookup(out, g->repo, &oid)) < 0)
		return git_fail(g, err, rc, "commit '%s'", hex);
	return 0;
}

/* A tree of `hex`, or NULL for "" (the empty tree). */
static int lookup_tree(git_tree **out, gc_git *g, const char *hex,
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
		rc = git_fail(g, err, rc, "tree of commit '%s'", hex);
	git_commit_free(c);
	return rc;
}

static int make_sig(git_signature **out, const gc_git_signature *s)
{
	const char *name = s && s->name ? s->name : "gitcanary";
	const char *email = s && s->email ? s->email : "gitcanary@localhost";

	if (!s || !s->when)
		return git_signature_now(out, name, email);
	return git_signature_new(out, name, email, (git_time_t)s->when, 0);
}

static int mkdir_p(const char *dir, gc_error *err)
{
	char *p = gc_xstrdup(dir), *s;
	int rc = 0;

	for (s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c)
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rc = gc_error_set_errno(err, p,
						"cannot create directory");
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* ---- remotes: credentials, fetch, push ------------------------------- */

static bool is_url(const char *where)
{
	size_t n = strspn(where, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

	return n > 0 && !strncmp(where + n, "://", 3);
}

/* "git@host:org/repo.git": git's scp-like syntax (a colon before any slash). */
static bool scp_like(const char *where)
{
	const char *colon = strchr(where, ':');
	const char *slash = strchr(where, '/');

	return colon && colon > where && (!slash || colon < slash);
}

/* The URL without "user:password@"; owned. */
static char *url_display(const char *url)
{
	gc_buf out = GC_BUF_INIT;
	const char *auth = strstr(url, "://");
	const char *at, *end;

	if (!auth)
		return gc_xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/");
	at = memchr(auth, '@', (size_t)(end - auth));
	while (at && memchr(at + 1, '@', (size_t)(end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(end - at - 1));
	gc_buf_add(&out, url, (size_t)(auth - url));
	gc_buf_adds(&out, at ? at + 1 : auth);
	return gc_buf_detach(&out, NULL);
}

/*
 * Keeps a password given in the URL ("https://user:pw@host/...") out of the
 * clone's config: g->url has no userinfo at all (libgit2 would otherwise
 * send the user with an empty password); user and password go to the
 * credentials callback.
 */
static void split_url(gc_git *g, const char *url)
{
	const char *auth = strstr(url, "://") + 3;
	const char *end = auth + strcspn(auth, "/");
	const char *at = NULL, *colon;
	gc_buf out = GC_BUF_INIT;

	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon) {
		g->url = gc_xstrdup(url);
		return;
	}
	g->user = gc_xstrndup(auth, (size_t)(colon - auth));
	g->pass = gc_xstrndup(colon + 1, (size_t)(at - colon - 1));
	gc_buf_add(&out, url, (size_t)(auth - url));
	gc_buf_adds(&out, at + 1);
	g->url = gc_buf_detach(&out, NULL);
}

/*
 * Directory name of a URL's clone in the cache: the URL without scheme and
 * userinfo, reduced to [A-Za-z0-9._-], plus a hash of the URL so distinct
 * URLs never share a clone. It never contains '/' and never starts with '.'.
 */
static char *cache_name(const char *display)
{
	gc_buf out = GC_BUF_INIT;
	const char *s = strstr(display, "://") + 3;
	size_t len = strlen(s);

	if (len > 4 && !strcmp(s + len - 4, ".git"))
		len -= 4;
	for (size_t i = 0; i < len && out.len < 64; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.';

		if (!ok)
			c = '_';
		if ((c == '_' || c == '.') &&
		    (!out.len || out.ptr[out.len - 1] == '_'))
			continue; /* no leading '.', no runs of '_' */
		gc_buf_addch(&out, c);
	}
	gc_buf_addf(&out, "%s%08x.git", out.len ? "-" : "",
		    (unsigned)gc_hash_fnv1a32(GC_FNV32_INIT, display,
					      strlen(display)));
	return gc_buf_detach(&out, NULL);
}

static int cred_cb(git_credential **out, const char *url,
		   const char *username_from_url, unsigned int allowed,
		   void *payload)
{
	struct net *net = payload;
	const char *user = username_from_url ? username_from_url
			   : net->g->user    ? net->g->user
					     : "git";

	(void)url;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (net->ssh_tries++ >= CRED_ATTEMPTS)
			goto denied;
		if (net->g->ssh_key)
			return git_credential_ssh_key_new(out, user, NULL,
							  net->g->ssh_key,
							  NULL);
		return git_credential_ssh_key_from_agent(out, user);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    (net->g->pass || net->g->token)) {
		if (net->userpass_tries++ >= CRED_ATTEMPTS)
			goto denied;
		if (net->g->pass)
			return git_credential_userpass_plaintext_new(
				out, net->g->user, net->g->pass);
		return git_credential_userpass_plaintext_new(out,
							     "x-access-token",
							     net->g->token);
	}
	git_error_set_str(
		GIT_ERROR_NET,
		"the remote requires credentials (set GITCANARY_GIT_TOKEN or an SSH key)");
	return GIT_EAUTH;
denied:
	git_error_set_str(GIT_ERROR_NET, "the remote rejected the credentials");
	return GIT_EAUTH;
}

/*
 * libgit2 (1.5.1, CVE-2023-22742) refuses an ssh server whose host key is
 * not in $HOME/.ssh/known_hosts with "invalid or unknown remote ssh
 * hostkey"; say where it looked and what to do instead.
 */
static int net_fail(const gc_git *g, gc_error *err, int rc, const char *what)
{
	if (rc != GIT_ECERTIFICATE || strncmp(g->url, "ssh://", 6))
		return git_fail(g, err, rc, "%s '%s'", what, g->display);
	git_error_clear();
	return gc_error_set(
		err, GC_ERROR,
		"%s '%s': the server's host key is not in ~/.ssh/known_hosts or differs from it (see ssh-keyscan)",
		what, g->display);
}

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
	struct net *net = payload;

	if (status && !net->rejected)
		net->rejected = gc_xasprintf("'%s' %s", refname, status);
	return 0;
}

static void net_callbacks(git_remote_callbacks *cb, struct net *net,
			  const gc_git *g)
{
	memset(net, 0, sizeof(*net));
	net->g = g;
	cb->credentials = cred_cb;
	cb->push_update_reference = push_ref_cb;
	cb->payload = net;
}

/* Points refs/remotes/origin/HEAD at the remote's HEAD branch, if known. */
static int note_remote_head(gc_git *g, git_remote *remote, gc_error *err)
{
	git_buf head = { 0 };
	git_reference *ref = NULL;
	char *target = NULL;
	int rc;

	rc = git_remote_default_branch(&head, remote);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0; /* an empty remote has no HEAD branch yet */
	}
	if (rc < 0)
		return git_fail(g, err, rc, "remote HEAD of '%s'", g->display);
	if (!strncmp(head.ptr, "refs/heads/", 11)) {
		target = gc_xasprintf(TRACKING "%s", head.ptr + 11);
		rc = git_reference_symbolic_create(&ref, g->repo,
						   TRACKING "HEAD", target, 1,
						   "gitcanary: remote HEAD");
		if (rc < 0)
			rc = git_fail(g, err, rc, "remote HEAD of '%s'",
				      g->display);
	}
	git_reference_free(ref);
	git_buf_dispose(&head);
	free(target);
	return rc < 0 ? rc : 0;
}

static int fetch_remote(gc_git *g, gc_error *err)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	git_fetch_options fo;
	struct net net;
	int rc;

	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	net_callbacks(&cb, &net, g);
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_PRUNE;
	if ((rc = git_remote_lookup(&remote, g->repo, REMOTE)) < 0 ||
	    (rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
				     NULL)) < 0 ||
	    (rc = git_remote_download(remote, NULL, &fo)) < 0 ||
	    (rc = git_remote_update_tips(remote, &cb, 0,
					 GIT_REMOTE_DOWNLOAD_TAGS_UNSPECIFIED,
					 "gitcanary: fetch")) < 0 ||
	    (rc = git_remote_prune(remote, &cb)) < 0) {
		rc = net_fail(g, err, rc, "cannot fetch");
		goto cleanup;
	}
	rc = note_remote_head(g, remote, err);
cleanup:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	free(net.rejected);
	return rc;
}

/*
 * Pushes one refspec without force. A non-fast-forward, detected by
 * libgit2 before sending or by the remote, is GC_ECONFLICT.
 */
static int push_one(gc_git *g, const char *spec, gc_error *err)
{
	git_remote *remote = NULL;
	git_push_options po;
	char *specs[] = { (char *)spec };
	git_strarray arr = { specs, 1 };
	struct net net;
	int rc;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	net_callbacks(&po.callbacks, &net, g);
	if ((rc = git_remote_lookup(&remote, g->repo, REMOTE)) < 0) {
		rc = git_fail(g, err, rc, "remote of '%s'", g->display);
		goto cleanup;
	}
	rc = git_remote_push(remote, &arr, &po);
	if (rc == GIT_ENONFASTFORWARD) {
		rc = git_fail_code(g, err, GC_ECONFLICT,
				   "push to '%s' rejected", g->display);
	} else if (rc == GIT_ECERTIFICATE) {
		rc = net_fail(g, err, rc, "cannot push to");
	} else if (rc < 0) {
		rc = git_fail_code(g, err, GC_ERROR, "cannot push to '%s'",
				   g->display);
	} else if (net.rejected) {
		rc = gc_error_set(err, GC_ECONFLICT,
				  "push to '%s' rejected: %s", g->display,
				  net.rejected);
	}
cleanup:
	git_remote_free(remote);
	free(net.rejected);
	return rc;
}

static int ensure_remote(gc_git *g, gc_error *err)
{
	static const char *const extra[] = { "+refs/notes/*:refs/notes/*",
					     "+refs/tags/*:refs/tags/*" };
	git_remote *remote = NULL;
	int rc;

	rc = git_remote_lookup(&remote, g->repo, REMOTE);
	if (rc == 0 && strcmp(git_remote_url(remote), g->url))
		rc = git_remote_set_url(g->repo, REMOTE, g->url);
	if (rc == GIT_ENOTFOUND) {
		rc = git_remote_create_with_fetchspec(&remote, g->repo, REMOTE,
						      g->url,
						      "+refs/heads/*:" TRACKING
						      "*");
		for (size_t i = 0; rc == 0 && i < GC_ARRAY_SIZE(extra); i++)
			rc = git_remote_add_fetch(g->repo, REMOTE, extra[i]);
	}
	if (rc < 0)
		rc = git_fail(g, err, rc, "cannot set up the remote '%s'",
			      g->display);
	git_remote_free(remote);
	return rc;
}

static char *default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg)
		return gc_xasprintf("%s/gitcanary", xdg);
	return gc_xasprintf("%s/.cache/gitcanary", home && *home ? home : ".");
}

static int open_remote(gc_git *g, const char *url, const gc_git_open_opts *opts,
		       gc_error *err)
{
	char *dir = opts && opts->cache_dir ? gc_xstrdup(opts->cache_dir)
					    : default_cache_dir();
	char *name = NULL, *path = NULL;
	int rc;

	split_url(g, url);
	g->display = url_display(url);
	if ((rc = mkdir_p(dir, err)) < 0)
		goto cleanup;
	name = cache_name(g->display);
	path = gc_xasprintf("%s/%s", dir, name);
	rc = git_repository_open_bare(&g->repo, path);
	if (rc == GIT_ENOTFOUND)
		rc = git_repository_init(&g->repo, path, 1);
	if (rc < 0) {
		rc = git_fail(g, err, rc,
			      "cannot open the cache of '%s' in '%s'",
			      g->display, dir);
		goto cleanup;
	}
	if ((rc = ensure_remote(g, err)) < 0)
		goto cleanup;
	rc = fetch_remote(g, err);
cleanup:
	free(dir);
	free(name);
	free(path);
	return rc;
}

int gc_git_open(gc_git **out, const char *where, const gc_git_open_opts *opts,
		gc_error *err)
{
	gc_git *g = gc_xcalloc(1, sizeof(*g));
	const char *token = opts && opts->token ? opts->token
						: getenv("GITCANARY_GIT_TOKEN");
	const char *key = opts && opts->ssh_key ? opts->ssh_key
						: getenv("GITCANARY_SSH_KEY");
	int rc;

	pthread_once(&init_once, lib_init);
	g->token = token && *token ? gc_xstrdup(token) : NULL;
	g->ssh_key = key && *key ? gc_xstrdup(key) : NULL;
	if (is_url(where)) {
		rc = open_remote(g, where, opts, err);
	} else {
		rc = git_repository_open_ext(&g->repo, where,
					     GIT_REPOSITORY_OPEN_NO_SEARCH,
					     NULL);
		if (rc < 0 && scp_like(where))
			rc = git_fail(
				g, err, rc,
				"cannot open repository '%s' (an scp-like address: write it as an ssh:// URL)",
				where);
		else if (rc < 0)
			rc = git_fail(g, err, rc, "cannot open repository '%s'",
				      where);
	}
	if (rc < 0)
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
	git_repository_free(g->repo);
	free(g->url);
	free(g->display);
	if (g->token)
		memset(g->token, 0, strlen(g->token));
	free(g->token);
	free(g->ssh_key);
	free(g->user);
	if (g->pass)
		memset(g->pass, 0, strlen(g->pass));
	free(g->pass);
	forget_diff(g);
	tree_cache_clear(g);
	free(g);
}

int gc_git_fetch(gc_git *g, gc_error *err)
{
	return g->url ? fetch_remote(g, err) : 0;
}

/* ---- resolving ------------------------------------------------------- */

int gc_git_default_branch(char **out, gc_git *g, gc_error *err)
{
	const char *name = g->url ? TRACKING "HEAD" : "HEAD";
	const char *prefix = g->url ? TRACKING : "refs/heads/";
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
		rc = git_fail(g, err, rc, "reference '%s'", name);
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

/*
 * 0 and the commit id when refname exists, GIT_ENOTFOUND (a libgit2 code,
 * distinct from the gc_code values it can also return) when not.
 */
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

static int peel_ref(git_oid *out, gc_git *g, const char *refname, gc_error *err)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int rc, valid = 0;

	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
		git_error_clear();
		return GIT_ENOTFOUND;
	}
	rc = git_reference_lookup(&ref, g->repo, refname);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return rc;
	}
	if (rc == 0 && peeled_before(out, g, ref)) {
		git_reference_free(ref);
		return 0;
	}
	if (rc < 0 ||
	    (rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT)) < 0) {
		rc = git_fail_code(g, err, GC_EINVALID,
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
		return git_fail(g, err, rc, "commit '%s'", rev);
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc < 0)
		rc = git_fail_code(g, err, GC_EINVALID,
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
	int rc;

	if (rev && !strcmp(rev, "HEAD"))
		rev = NULL; /* HEAD, or the remote's HEAD branch */
	if (!rev) {
		if (!g->url) {
			rc = git_reference_name_to_id(out, g->repo, "HEAD");
			if (rc < 0)
				return git_fail(g, err, rc, "HEAD of '%s'",
						git_repository_path(g->repo));
			return 0;
		}
		if ((rc = gc_git_default_branch(&branch, g, err)) < 0)
			return rc;
		rev = branch;
	}
	if (g->url)
		name = gc_xasprintf(TRACKING "%s", rev);
	else
		name = gc_xasprintf("refs/heads/%s", rev);
	rc = peel_ref(out, g, name, err);
	free(name);
	if (rc == GIT_ENOTFOUND) {
		name = gc_xasprintf("refs/tags/%s", rev);
		rc = peel_ref(out, g, name, err);
		free(name);
	}
	if (rc == GIT_ENOTFOUND && !strncmp(rev, "refs/", 5))
		rc = peel_ref(out, g, rev, err);
	if (rc == GIT_ENOTFOUND)
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
	oid_hex(out, &oid);
	return 0;
}

/*
 * ---- raw trees ----
 *
 * Trees on hot paths are handled as raw bytes: edited (raw_edit), searched
 * (read_path) and compared (diff_paths) without libgit2's tree objects. The
 * big ones are kept in a small cache. At 10,000 canaries in one namespace a
 * deploy directory and its status directory are trees of ~10,000 entries
 * (~400 KiB), rewritten by every tick and read again by the next, and the
 * source directory is as big and read by every tick's diff and reads.
 * Reading one from the object database costs inflate and the SHA-1 check
 * (sha1dc), and libgit2 keeps parsed trees only up to 4 KiB. Objects never
 * change, so a cached tree is always right. Anything unusual (a malformed
 * tree, a file where a directory is expected) returns RAW_FALLBACK and the
 * caller uses libgit2.
 */
#define RAW_FALLBACK 1
#define RAW_OID 20 /* SHA-1 */

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
	while (g->ntrees && (g->ntrees == TREE_CACHE_SLOTS ||
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

static void tree_cache_clear(gc_git *g)
{
	while (g->ntrees)
		raw_tree_unref(g->trees[--g->ntrees]);
	g->tree_bytes = 0;
}

/* The tree `id` (a reference to release); RAW_FALLBACK when malformed. */
static int tree_get(raw_tree **out, gc_git *g, git_odb *odb, const git_oid *id,
		    gc_error *err)
{
	git_odb_object *obj = NULL;
	raw_tree *t;
	int rc;

	if ((t = tree_cache_find(g, id))) {
		*out = t;
		return 0;
	}
	if ((rc = git_odb_read(&obj, odb, id)) < 0)
		return git_fail(g, err, rc, "cannot read a tree");
	t = git_odb_object_type(obj) == GIT_OBJECT_TREE
		    ? raw_tree_new(id, git_odb_object_data(obj),
				   git_odb_object_size(obj))
		    : NULL;
	git_odb_object_free(obj);
	if (!t)
		return RAW_FALLBACK;
	tree_cache_add(g, t);
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
			rc = git_fail(g, err, rc, "'%s'", path->ptr);
		} else if (mode == GIT_FILEMODE_TREE) {
			gc_buf_addch(path, '/');
			rc = walk_tree(g, (git_tree *)obj, path, cb, payload,
				       err);
		} else {
			git_blob *blob = (git_blob *)obj;

			oid_hex(hex, git_tree_entry_id(e));
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

	if ((rc = lookup_tree(&tree, g, commit, err)) < 0)
		return rc;
	if (tree)
		rc = walk_tree(g, tree, &path, cb, payload, err);
	git_tree_free(tree);
	gc_buf_release(&path);
	return rc;
}

/* The tree of commit `hex`. */
static int commit_tree_id(git_oid *out, gc_git *g, const char *hex,
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

/*
 * The id and mode of path below the tree `root`: GIT_ENOTFOUND when absent,
 * RAW_FALLBACK for a path libgit2 should judge (empty components).
 */
static int raw_lookup(git_oid *out, unsigned *mode, gc_git *g, git_odb *odb,
		      const git_oid *root, const char *path, gc_error *err)
{
	git_oid cur;
	const char *s = path;
	int rc;

	git_oid_cpy(&cur, root);
	for (;;) {
		size_t n = strcspn(s, "/");
		const raw_entry *e;
		raw_tree *t = NULL;

		if (!n)
			return RAW_FALLBACK;
		if ((rc = tree_get(&t, g, odb, &cur, err)) != 0)
			return rc;
		if ((e = raw_tree_find(t, s, n))) {
			git_oid_fromraw(&cur, e->id);
			*mode = e->filemode;
		}
		raw_tree_unref(t);
		if (!e || (s[n] && RAW_TYPE(*mode) != RAW_DIR))
			return GIT_ENOTFOUND;
		if (!s[n])
			break;
		s += n + 1;
	}
	git_oid_cpy(out, &cur);
	return 0;
}

/* read_path through raw trees; RAW_FALLBACK = ask libgit2. */
static int read_path_raw(gc_buf *out, gc_git *g, const char *commit,
			 const char *path, bool files_only, gc_error *err)
{
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_oid root, id;
	unsigned mode = 0, type;
	int rc;

	if (!commit || !*commit || !path)
		return RAW_FALLBACK;
	if ((rc = commit_tree_id(&root, g, commit, err)) < 0)
		return rc;
	if ((rc = git_repository_odb(&odb, g->repo)) < 0)
		return git_fail(g, err, rc, "cannot open the object database");
	rc = raw_lookup(&id, &mode, g, odb, &root, path, err);
	git_odb_free(odb);
	type = RAW_TYPE(mode);
	if (rc == GIT_ENOTFOUND || (rc == 0 && files_only && type != RAW_FILE))
		return gc_error_set(err, GC_ENOTFOUND,
				    "no file '%s' in commit %.7s", path,
				    commit);
	if (rc != 0)
		return rc;
	if (type == RAW_DIR || type == RAW_GITLINK)
		return gc_error_set(err, GC_EINVALID,
				    "'%s' is not a file in commit %.7s", path,
				    commit);
	if ((rc = git_blob_lookup(&blob, g->repo, &id)) < 0)
		return git_fail(g, err, rc, "'%s'", path);
	gc_buf_add(out, git_blob_rawcontent(blob),
		   (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
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

	if ((rc = lookup_tree(&tree, g, commit, err)) < 0)
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
		rc = git_fail(g, err, rc, "'%s'", path);
		goto cleanup;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		rc = gc_error_set(err, GC_EINVALID,
				  "'%s' is not a file in commit %.7s", path,
				  commit);
		goto cleanup;
	}
	if ((rc = git_blob_lookup(&blob, g->repo, git_tree_entry_id(e))) < 0) {
		rc = git_fail(g, err, rc, "'%s'", path);
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
	int rc = read_path_raw(out, g, commit, path, files_only, err);

	if (rc == RAW_FALLBACK)
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

static void diff_add(gc_git *g, const char *path)
{
	if (g->ndiff + 1 >= g->adiff) {
		g->adiff = g->adiff ? 2 * g->adiff : 16;
		g->diff_paths = gc_xrealloc(g->diff_paths,
					    g->adiff * sizeof(*g->diff_paths));
	}
	g->diff_paths[g->ndiff++] = gc_xstrdup(path);
	g->diff_paths[g->ndiff] = NULL;
}

static bool raw_same(const raw_entry *a, const raw_entry *b)
{
	return a->filemode == b->filemode && !memcmp(a->id, b->id, RAW_OID);
}

static int raw_diff(gc_git *g, git_odb *odb, const git_oid *a, const git_oid *b,
		    gc_buf *path, gc_error *err);

/* An entry on one side (a or b NULL) or changed: its path, or its files. */
static int raw_diff_entry(gc_git *g, git_odb *odb, const raw_entry *a,
			  const raw_entry *b, gc_buf *path, gc_error *err)
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
		rc = raw_diff(g, odb, a ? &ia : NULL, b ? &ib : NULL, path,
			      err);
	} else {
		diff_add(g, path->ptr);
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
static int raw_diff(gc_git *g, git_odb *odb, const git_oid *a, const git_oid *b,
		    gc_buf *path, gc_error *err)
{
	raw_tree *ta = NULL, *tb = NULL;
	size_t i = 0, k = 0, na, nb;
	int rc = 0;

	if ((a && (rc = tree_get(&ta, g, odb, a, err)) != 0) ||
	    (b && (rc = tree_get(&tb, g, odb, b, err)) != 0))
		goto cleanup;
	na = ta ? ta->n : 0;
	nb = tb ? tb->n : 0;
	while (rc == 0 && (i < na || k < nb)) {
		const raw_entry *ea = i < na ? &ta->entries[i] : NULL;
		const raw_entry *eb = k < nb ? &tb->entries[k] : NULL;
		int c = 0;

		if (!eb || (ea && (c = raw_cmp(ea, eb)) < 0)) {
			rc = raw_diff_entry(g, odb, ea, NULL, path, err);
			i++;
		} else if (!ea || c > 0) {
			rc = raw_diff_entry(g, odb, NULL, eb, path, err);
			k++;
		} else {
			if (!raw_same(ea, eb))
				rc = raw_diff_entry(g, odb, ea, eb, path, err);
			i++;
			k++;
		}
	}
cleanup:
	raw_tree_unref(ta);
	raw_tree_unref(tb);
	return rc;
}

/* diff_paths with raw trees; RAW_FALLBACK = ask libgit2. */
static int diff_paths_raw(gc_git *g, const char *from, const char *to,
			  gc_error *err)
{
	git_oid a, b;
	git_odb *odb = NULL;
	gc_buf path = GC_BUF_INIT;
	int rc;

	if ((*from && (rc = commit_tree_id(&a, g, from, err)) < 0) ||
	    (*to && (rc = commit_tree_id(&b, g, to, err)) < 0))
		return rc;
	if ((rc = git_repository_odb(&odb, g->repo)) < 0)
		return git_fail(g, err, rc, "cannot open the object database");
	rc = raw_diff(g, odb, *from ? &a : NULL, *to ? &b : NULL, &path, err);
	git_odb_free(odb);
	gc_buf_release(&path);
	return rc;
}

static int diff_paths_libgit2(gc_git *g, const char *from, const char *to,
			      gc_error *err)
{
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	size_t n;
	int rc;

	if ((rc = lookup_tree(&a, g, from, err)) < 0 ||
	    (rc = lookup_tree(&b, g, to, err)) < 0)
		goto cleanup;
	if ((rc = git_diff_tree_to_tree(&diff, g->repo, a, b, NULL)) < 0) {
		rc = git_fail(g, err, rc, "cannot diff %.7s..%.7s", from, to);
		goto cleanup;
	}
	n = git_diff_num_deltas(diff);
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		diff_add(g, d->new_file.path ? d->new_file.path
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
	int rc;

	forget_diff(g);
	rc = diff_paths_raw(g, from, to, err);
	if (rc == RAW_FALLBACK) {
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
		rc = git_fail(g, err, rc, "cannot walk the history of '%s'",
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
			rc = git_fail(g, err, rc, "cannot walk the history");
			break;
		}
		oid_hex(hex, &oid);
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

/* Relative, '/'-separated, no empty, ".", ".." or ".git" component. */
static bool path_ok(const char *path)
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

	if ((rc = git_blob_create_from_buffer(&id, g->repo, data ? data : "",
					      data ? len : 0)) < 0)
		return git_fail(g, err, rc, "cannot write a blob");
	oid_hex(out, &id);
	return 0;
}

static bool update_removes(const gc_git_update *u)
{
	return !u->data && !u->blob;
}

/*
 * The blob of an upsert: u->blob, which must name a blob of the repository
 * (a tree must not point at a missing object), or u->data written now.
 */
static int update_blob(git_oid *out, gc_git *g, const gc_git_update *u,
		       gc_error *err)
{
	git_odb *odb = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	size_t len;
	int rc;

	if (!u->blob) {
		if ((rc = git_blob_create_from_buffer(out, g->repo, u->data,
						      u->len)) < 0)
			return git_fail(g, err, rc, "cannot write '%s'",
					u->path);
		return 0;
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
		return git_fail(g, err, rc, "'%s': blob %.7s", u->path,
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

		if (!path_ok(updates[i].path))
			return gc_error_set(err, GC_EINVALID,
					    "invalid path '%s'",
					    updates[i].path ? updates[i].path
							    : "(null)");
		u->path = updates[i].path;
		if (update_removes(&updates[i])) {
			git_tree_entry *e = NULL;

			rc = base ? git_tree_entry_bypath(&e, base, u->path)
				  : GIT_ENOTFOUND;
			git_tree_entry_free(e);
			if (rc == GIT_ENOTFOUND) {
				git_error_clear();
				continue;
			}
			if (rc < 0)
				return git_fail(g, err, rc, "'%s'", u->path);
			u->action = GIT_TREE_UPDATE_REMOVE;
		} else {
			if ((rc = update_blob(&u->id, g, &updates[i], err)) < 0)
				return rc;
			u->action = GIT_TREE_UPDATE_UPSERT;
			u->filemode = GIT_FILEMODE_BLOB;
		}
		(*nupd)++;
	}
	return 0;
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
 * a directory is expected, or the other way round) returns RAW_FALLBACK
 * and the caller uses libgit2.
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

static int raw_edit(git_oid *out, bool *empty, gc_git *g, git_odb *odb,
		    const git_oid *base, raw_change *ch, size_t n,
		    gc_error *err);

/*
 * The edits of one directory: a subdirectory's changes are applied
 * recursively first. edits has room for n entries; ids for n oids.
 */
static int raw_collect(raw_entry *edits, size_t *nedits, git_oid *ids,
		       gc_git *g, git_odb *odb, const raw_entry *old,
		       size_t nold, raw_change *ch, size_t n, gc_error *err)
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
		if (cur && cur->dir != e->dir)
			return RAW_FALLBACK;
		if (slash) {
			git_oid sub;

			for (size_t k = i; k < j; k++)
				ch[k].path += len + 1;
			if (cur)
				git_oid_fromraw(&sub, cur->id);
			rc = raw_edit(&ids[*nedits], &gone, g, odb,
				      cur ? &sub : NULL, &ch[i], j - i, err);
			for (size_t k = i; k < j; k++)
				ch[k].path -= len + 1;
			if (rc != 0)
				return rc;
		} else if (j != i + 1) {
			return RAW_FALLBACK; /* the same file twice */
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
static int raw_write(git_oid *out, gc_git *g, git_odb *odb, const char *data,
		     size_t len, gc_error *err)
{
	raw_tree *t;
	int rc;

	if ((rc = git_odb_write(out, odb, data, len, GIT_OBJECT_TREE)) < 0)
		return git_fail(g, err, rc, "cannot write a tree");
	if (len >= TREE_CACHE_MIN && (t = raw_tree_new(out, data, len))) {
		tree_cache_add(g, t);
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

/* Applies ch (sorted by path) to the tree base (NULL = none). */
static int raw_edit(git_oid *out, bool *empty, gc_git *g, git_odb *odb,
		    const git_oid *base, raw_change *ch, size_t n,
		    gc_error *err)
{
	raw_tree *t = NULL;
	raw_entry *old = NULL, *edits = gc_xcalloc(n, sizeof(*edits));
	git_oid *ids = gc_xcalloc(n, sizeof(*ids));
	gc_buf data = GC_BUF_INIT;
	size_t nold = 0, nedits = 0, count = 0, i = 0, k = 0;
	int rc = 0;

	if (base && (rc = tree_get(&t, g, odb, base, err)) != 0)
		goto cleanup;
	if (t) {
		old = t->entries;
		nold = t->n;
	}
	if ((rc = raw_collect(edits, &nedits, ids, g, odb, old, nold, ch, n,
			      err)) != 0)
		goto cleanup;
	qsort(edits, nedits, sizeof(*edits), raw_cmp_qsort);
	while (i < nold || k < nedits) {
		int c = i == nold     ? 1
			: k == nedits ? -1
				      : raw_cmp(&old[i], &edits[k]);

		if (c < 0) {
			raw_put(&data, &old[i++], &count);
			continue;
		}
		raw_put(&data, &edits[k++], &count);
		if (c == 0)
			i++; /* replaced or removed */
	}
	*empty = count == 0;
	if (!*empty)
		rc = raw_write(out, g, odb, data.ptr, data.len, err);
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

/* write_tree for a base tree, with raw_edit; RAW_FALLBACK = use libgit2. */
static int write_tree_raw(git_oid *out, gc_git *g, git_tree *base,
			  const gc_git_update *updates, size_t n, gc_error *err)
{
	raw_change *ch = gc_xcalloc(n ? n : 1, sizeof(*ch));
	git_odb *odb = NULL;
	bool empty = false;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!path_ok(updates[i].path)) {
			rc = RAW_FALLBACK; /* libgit2 reports it */
			break;
		}
		ch[i].path = updates[i].path;
		ch[i].remove = update_removes(&updates[i]);
		if (!ch[i].remove)
			rc = update_blob(&ch[i].id, g, &updates[i], err);
	}
	if (rc != 0)
		goto cleanup;
	qsort(ch, n, sizeof(*ch), raw_change_cmp);
	if ((rc = git_repository_odb(&odb, g->repo)) < 0) {
		rc = git_fail(g, err, rc, "cannot open the object database");
		goto cleanup;
	}
	rc = raw_edit(out, &empty, g, odb, git_tree_id(base), ch, n, err);
	if (rc == 0 && empty) /* the root stays, empty */
		rc = git_odb_write(out, odb, "", 0, GIT_OBJECT_TREE);
cleanup:
	git_odb_free(odb);
	free(ch);
	return rc;
}

static int write_tree(git_oid *out, gc_git *g, git_tree *base,
		      const gc_git_update *updates, size_t n, gc_error *err)
{
	git_tree_update *upd = gc_xcalloc(n ? n : 1, sizeof(*upd));
	git_treebuilder *tb = NULL;
	size_t nupd;
	int rc;

	if (base && n &&
	    (rc = write_tree_raw(out, g, base, updates, n, err)) !=
		    RAW_FALLBACK)
		goto cleanup;
	if ((rc = build_updates(upd, &nupd, g, base, updates, n, err)) < 0)
		goto cleanup;
	if (nupd)
		rc = git_tree_create_updated(out, g->repo, base, nupd, upd);
	else if (base)
		git_oid_cpy(out, git_tree_id(base));
	else if ((rc = git_treebuilder_new(&tb, g->repo, NULL)) == 0)
		rc = git_treebuilder_write(out, tb);
	if (rc < 0)
		rc = git_fail(g, err, rc, "cannot build the tree");
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
			rc = git_fail(g, err, rc, "tree of '%s'", parent);
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
	    (rc = make_sig(&a, author)) < 0 ||
	    (rc = make_sig(&c, committer ? committer : author)) < 0 ||
	    (rc = git_commit_create(&id, g->repo, NULL, a, c, NULL, msg.ptr,
				    tree, pc ? 1 : 0, parents)) < 0) {
		rc = git_fail(g, err, rc, "cannot commit");
		goto cleanup;
	}
	oid_hex(out, &id);
cleanup:
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	gc_buf_release(&msg);
	return rc;
}

/* Compare-and-swap of a local ref; expect NULL = must not exist. */
static int ref_cas(gc_git *g, const char *name, const git_oid *expect,
		   const git_oid *to, gc_error *err)
{
	git_reference *ref = NULL;
	int rc;

	if (expect)
		rc = git_reference_create_matching(&ref, g->repo, name, to, 1,
						   expect, "gitcanary: update");
	else
		rc = git_reference_create(&ref, g->repo, name, to, 0,
					  "gitcanary: create");
	git_reference_free(ref);
	if (rc == GIT_ELOCKED)
		return git_fail_code(
			g, err, GC_ECONFLICT,
			"'%s' is locked by another git process (if none runs, one was killed: remove the .lock file)",
			name);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ENOTFOUND)
		return git_fail_code(g, err, GC_ECONFLICT,
				     "'%s' moved meanwhile", name);
	if (rc < 0)
		return git_fail(g, err, rc, "cannot update '%s'", name);
	return 0;
}

/* 1 and the id when the ref exists, 0 when not. */
static int ref_id(git_oid *out, gc_git *g, const char *name, gc_error *err)
{
	int rc = git_reference_name_to_id(out, g->repo, name);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return git_fail(g, err, rc, "reference '%s'", name);
	return 1;
}

/*
 * libgit2 1.5 pushes only from a reference, so the commit goes out through a
 * scratch ref (refs/gitcanary/push/<branch>) that is removed afterwards.
 */
static int push_branch(gc_git *g, const char *branch, const git_oid *expect,
		       const git_oid *to, gc_error *err)
{
	char *tracking = gc_xasprintf(TRACKING "%s", branch);
	char *scratch = gc_xasprintf("refs/gitcanary/push/%s", branch);
	char *spec = gc_xasprintf("%s:refs/heads/%s", scratch, branch);
	git_reference *ref = NULL;
	git_oid cur;
	int rc;

	if ((rc = ref_id(&cur, g, tracking, err)) < 0)
		goto cleanup;
	if (rc != (expect != NULL) ||
	    (expect && !git_oid_equal(&cur, expect))) {
		rc = gc_error_set(err, GC_ECONFLICT,
				  "branch '%s' of '%s' moved meanwhile", branch,
				  g->display);
		goto cleanup;
	}
	rc = git_reference_create(&ref, g->repo, scratch, to, 1, NULL);
	git_reference_free(ref);
	ref = NULL;
	if (rc < 0) {
		rc = git_fail(g, err, rc, "cannot update '%s'", scratch);
		goto cleanup;
	}
	rc = push_one(g, spec, err);
	git_reference_remove(g->repo, scratch);
	if (rc < 0)
		goto cleanup;
	rc = git_reference_create(&ref, g->repo, tracking, to, 1,
				  "gitcanary: push");
	if (rc < 0)
		rc = git_fail(g, err, rc, "cannot update '%s'", tracking);
cleanup:
	git_reference_free(ref);
	free(tracking);
	free(scratch);
	free(spec);
	return rc;
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
	if ((expect && *expect && (rc = parse_oid(&want, expect, err)) < 0) ||
	    (rc = lookup_commit(&c, g, to, err)) < 0)
		goto cleanup;
	git_oid_cpy(&to_id, git_commit_id(c));
	if (g->url)
		rc = push_branch(g, branch, expect && *expect ? &want : NULL,
				 &to_id, err);
	else
		rc = ref_cas(g, name, expect && *expect ? &want : NULL, &to_id,
			     err);
cleanup:
	git_commit_free(c);
	free(name);
	return rc;
}

/* ---- notes ----------------------------------------------------------- */

static int check_notes_ref(const char *ref, gc_error *err)
{
	int valid = 0;

	if (!ref || strncmp(ref, "refs/notes/", 11) ||
	    git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
		git_error_clear();
		return gc_error_set(err, GC_EINVALID, "invalid notes ref '%s'",
				    ref ? ref : "(null)");
	}
	return 0;
}

/* A note at the root of a notes tree, and where it moves to. */
typedef struct flat_note {
	char name[GC_OID_HEX];
	char fan[GC_OID_HEX + 1];
	char blob[GC_OID_HEX];
} flat_note;

static bool is_hex_oid(const char *s)
{
	return strlen(s) == GIT_OID_HEXSZ &&
	       strspn(s, "0123456789abcdef") == GIT_OID_HEXSZ;
}

/*
 * The notes at the root of the notes commit `parent` (written by
 * git_note_create, `git notes` or gitcanary before the fan-out), but
 * `skip`: moved to the fan-out with the next note, so the flat part of an
 * old notes tree goes once.
 */
static int flat_notes(flat_note **out, size_t *n, gc_git *g, const char *parent,
		      const char *skip, gc_error *err)
{
	git_tree *t = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = lookup_tree(&t, g, parent, err)) < 0 || !t)
		return rc;
	for (size_t i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		flat_note *f;

		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
		    !is_hex_oid(name) || !strcmp(name, skip))
			continue;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			*out = gc_xrealloc(*out, alloc * sizeof(**out));
		}
		f = &(*out)[(*n)++];
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->fan, sizeof(f->fan), "%.2s/%s", name, name + 2);
		oid_hex(f->blob, git_tree_entry_id(e));
	}
	git_tree_free(t);
	return 0;
}

/*
 * Commits the note on ref at "<2 hex>/<38 hex>", the fan-out git itself
 * uses for many notes. git_note_create writes every note at the root: the
 * deploy branch gets a note per tick, and at 20,000 notes each write
 * rewrote a 20,000-entry tree (~50 ms). A note of the same object written
 * at the root (by git_note_create or `git notes`) is removed, so there is
 * one, and the other root notes move to the fan-out in the same commit.
 * The local ref moves by compare-and-swap; a lost race is redone.
 */
static int note_write(gc_git *g, const char *ref, const git_oid *target,
		      const char *text, const gc_git_signature *sig,
		      gc_error *err)
{
	char hex[GC_OID_HEX], parent[GC_OID_HEX], blob[GC_OID_HEX];
	char commit[GC_OID_HEX], fan[GC_OID_HEX + 1];
	gc_git_update *up = NULL;
	flat_note *flat = NULL;
	size_t nflat = 0;
	git_oid old, id;
	int had, rc;

	oid_hex(hex, target);
	snprintf(fan, sizeof(fan), "%.2s/%s", hex, hex + 2);
	if ((rc = gc_git_write_blob(blob, g, text, strlen(text), err)) < 0)
		return rc;
	for (int attempt = 0; attempt < NOTE_PUSH_ATTEMPTS; attempt++) {
		gc_error_clear(err);
		if ((rc = had = ref_id(&old, g, ref, err)) < 0)
			break;
		if (had)
			oid_hex(parent, &old);
		else
			parent[0] = '\0';
		free(flat);
		if ((rc = flat_notes(&flat, &nflat, g, parent, hex, err)) < 0)
			break;
		free(up);
		up = gc_xcalloc(2 + 2 * nflat, sizeof(*up));
		up[0].path = fan;
		up[0].blob = blob;
		up[1].path = hex; /* data and blob NULL: removed */
		for (size_t i = 0; i < nflat; i++) {
			up[2 + 2 * i].path = flat[i].fan;
			up[2 + 2 * i].blob = flat[i].blob;
			up[3 + 2 * i].path = flat[i].name;
		}
		if ((rc = gc_git_commit(commit, g, parent, up, 2 + 2 * nflat,
					sig, sig, "Notes added by gitcanary",
					err)) < 0 ||
		    (rc = parse_oid(&id, commit, err)) < 0)
			break;
		rc = ref_cas(g, ref, had ? &old : NULL, &id, err);
		if (rc != GC_ECONFLICT)
			break;
	}
	free(up);
	free(flat);
	return rc;
}

/* Puts the local notes ref back where it was (had = 0: delete it). */
static void ref_restore(gc_git *g, const char *ref, int had, const git_oid *old)
{
	git_reference *r = NULL;

	if (had > 0)
		git_reference_create(&r, g->repo, ref, old, 1,
				     "gitcanary: restore");
	else
		git_reference_remove(g->repo, ref);
	git_reference_free(r);
	git_error_clear();
}

/*
 * Note, push without force; on a rejection fetch (which resets the local
 * notes ref to the remote's), re-apply the note on top and retry.
 */
static int note_push(gc_git *g, const char *ref, const git_oid *target,
		     const char *text, const gc_git_signature *sig,
		     gc_error *err)
{
	char *spec = gc_xasprintf("%s:%s", ref, ref);
	int rc = 0;

	for (int attempt = 0; attempt < NOTE_PUSH_ATTEMPTS; attempt++) {
		gc_error perr = GC_ERROR_INIT;
		git_oid old;
		int had;

		if ((rc = had = ref_id(&old, g, ref, err)) < 0 ||
		    (rc = note_write(g, ref, target, text, sig, err)) < 0)
			break;
		rc = push_one(g, spec, &perr);
		if (rc < 0)
			ref_restore(g, ref, had, &old);
		if (rc != GC_ECONFLICT || attempt + 1 == NOTE_PUSH_ATTEMPTS) {
			if (rc < 0)
				gc_error_set(err, perr.code, "%s", perr.msg);
			gc_error_release(&perr);
			break;
		}
		gc_error_release(&perr);
		if ((rc = fetch_remote(g, err)) < 0)
			break;
	}
	free(spec);
	return rc;
}

int gc_git_note_set(gc_git *g, const char *ref, const char target[GC_OID_HEX],
		    const char *text, const gc_git_signature *sig,
		    gc_error *err)
{
	git_signature *s = NULL;
	git_oid oid;
	int rc;

	if ((rc = check_notes_ref(ref, err)) < 0 ||
	    (rc = parse_oid(&oid, target, err)) < 0)
		return rc;
	if ((rc = make_sig(&s, sig)) < 0)
		return git_fail(g, err, rc, "invalid signature");
	git_signature_free(s);
	if (g->url)
		return note_push(g, ref, &oid, text, sig, err);
	return note_write(g, ref, &oid, text, sig, err);
}

int gc_git_note_get(gc_buf *out, gc_git *g, const char *ref,
		    const char target[GC_OID_HEX], gc_error *err)
{
	git_note *note = NULL;
	git_oid oid;
	int rc;

	if ((rc = check_notes_ref(ref, err)) < 0 ||
	    (rc = parse_oid(&oid, target, err)) < 0)
		return rc;
	rc = git_note_read(&note, g->repo, ref, &oid);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return gc_error_set(err, GC_ENOTFOUND,
				    "no note for %.7s under '%s'", target, ref);
	}
	if (rc < 0)
		return git_fail(g, err, rc, "cannot read the note of %.7s",
				target);
	gc_buf_adds(out, git_note_message(note));
	git_note_free(note);
	return 0;
}
