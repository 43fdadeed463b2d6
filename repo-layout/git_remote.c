/*
 * Remotes: URLs and their credentials, the cache of bare clones, fetch and
 * push (never forced). Part of the libgit2 wrapper (git_internal.h).
 */
#include "git_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/hash.h"
#include "util/url.h"

#define CRED_ATTEMPTS 1

/* State shared by the network callbacks of one connection. */
struct net {
	const gc_git *g;
	unsigned userpass_tries, ssh_tries;
	char *rejected; /* first "ref: status" the remote rejected; owned */
};

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

/* Removes a directory tree gitcanary made (best effort, no symlinks
 * followed). */
static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct stat st;

	while (d && (e = readdir(d))) {
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = gc_xasprintf("%s/%s", path, e->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(sub);
		else
			unlink(sub);
		free(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

bool gc_git__is_url(const char *where)
{
	size_t n = strspn(where, "abcdefghijklmnopqrstuvwxyz0123456789+.-");

	return n > 0 && !strncmp(where + n, "://", 3);
}

/* A colon before any slash. */
bool gc_git__scp_like(const char *where)
{
	const char *colon = strchr(where, ':');
	const char *slash = strchr(where, '/');

	return colon && colon > where && (!slash || colon < slash);
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
 * Directory name of a URL's clone in the cache: the redacted URL (no
 * userinfo, query or fragment: display) without its scheme, reduced to
 * [A-Za-z0-9._-], plus a hash of it so distinct repositories never share a
 * clone. It never contains '/' and never starts with '.'.
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

	if (url && !gc_url_same_origin(url, net->g->url)) {
		/* a redirect: what we hold is for the remote we were given */
		git_error_set_str(
			GIT_ERROR_NET,
			"the remote redirected to another host; credentials are only sent to the remote's own host");
		return GIT_EAUTH;
	}
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
	    (net->g->pass || net->g->token) &&
	    gc_url_is_plain_http(net->g->url) && !net->g->insecure_http) {
		git_error_set_str(
			GIT_ERROR_NET,
			"refusing to send credentials over plain http (use https:// or ssh://, or --allow-insecure-http)");
		return GIT_EAUTH;
	}
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
		return gc_git__fail(g, err, rc, "%s '%s'", what, g->display);
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
		return gc_git__fail(g, err, rc, "remote HEAD of '%s'",
				    g->display);
	if (!strncmp(head.ptr, "refs/heads/", 11)) {
		target = gc_xasprintf(GC_GIT_TRACKING "%s", head.ptr + 11);
		rc = git_reference_symbolic_create(&ref, g->repo,
						   GC_GIT_TRACKING "HEAD",
						   target, 1,
						   "gitcanary: remote HEAD");
		if (rc < 0)
			rc = gc_git__fail(g, err, rc, "remote HEAD of '%s'",
					  g->display);
	}
	git_reference_free(ref);
	git_buf_dispose(&head);
	free(target);
	return rc < 0 ? rc : 0;
}

/*
 * The remote is looked up once (ensure_remote) and kept in g->remote: a
 * lookup per fetch leaks about 120 KB per tick inside libgit2 1.5.
 */
static int fetch_remote(gc_git *g, gc_error *err)
{
	git_remote *remote = g->remote;
	git_remote_callbacks cb;
	git_fetch_options fo;
	struct net net;
	int rc;

	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	net_callbacks(&cb, &net, g);
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_PRUNE;
	if ((rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
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
	git_remote_disconnect(remote);
	free(net.rejected);
	return rc;
}

/*
 * A non-fast-forward, detected by libgit2 before sending or by the remote,
 * is GC_ECONFLICT.
 */
int gc_git__push_one(gc_git *g, const char *spec, gc_error *err)
{
	git_remote *remote;
	git_push_options po;
	char *specs[] = { GC_UNCONST(spec) };
	git_strarray arr = { specs, 1 };
	struct net net;
	int rc;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.pb_parallelism = 0; /* one thread a core to make the pack */
	net_callbacks(&po.callbacks, &net, g);
	if ((rc = gc_git__flush(g, err)) < 0)
		goto cleanup;
	if (!g->remote) {
		rc = gc_error_set(err, GC_ERROR, "'%s' is not a remote",
				  g->display);
		goto cleanup;
	}
	if (!g->push_remote &&
	    ((rc = git_remote_lookup(&g->push_remote, g->repo, GC_GIT_REMOTE)) <
		     0 ||
	     (strcmp(git_remote_url(g->push_remote), g->url) &&
	      (rc = git_remote_set_instance_url(g->push_remote, g->url)) <
		      0))) {
		git_remote_free(g->push_remote);
		g->push_remote = NULL;
		rc = gc_git__fail(g, err, rc, "cannot set up the remote '%s'",
				  g->display);
		goto cleanup;
	}
	remote = g->push_remote;
	rc = git_remote_push(remote, &arr, &po);
	if (rc == GIT_ENONFASTFORWARD) {
		rc = gc_git__fail_code(g, err, GC_ECONFLICT,
				       "push to '%s' rejected", g->display);
	} else if (rc == GIT_ECERTIFICATE) {
		rc = net_fail(g, err, rc, "cannot push to");
	} else if (rc < 0) {
		rc = gc_git__fail_code(g, err, GC_ERROR, "cannot push to '%s'",
				       g->display);
	} else if (net.rejected) {
		rc = gc_error_set(err, GC_ECONFLICT,
				  "push to '%s' rejected: %s", g->display,
				  net.rejected);
	}
cleanup:
	free(net.rejected);
	return rc;
}

/*
 * The remote "origin" of the cached clone. Its config keeps the URL
 * without query string or fragment (they may hold a token); the remote
 * kept in g->remote uses the whole URL (git_remote_set_instance_url).
 */
static int ensure_remote(gc_git *g, gc_error *err)
{
	static const char *const extra[] = { "+refs/notes/*:refs/notes/*",
					     "+refs/tags/*:refs/tags/*" };
	git_remote *remote = NULL;
	char *stored = gc_xstrndup(g->url, strcspn(g->url, "?#"));
	int rc;

	rc = git_remote_lookup(&remote, g->repo, GC_GIT_REMOTE);
	if (rc == 0 && strcmp(git_remote_url(remote), stored))
		rc = git_remote_set_url(g->repo, GC_GIT_REMOTE, stored);
	if (rc == GIT_ENOTFOUND) {
		rc = git_remote_create_with_fetchspec(
			&remote, g->repo, GC_GIT_REMOTE, stored,
			"+refs/heads/*:" GC_GIT_TRACKING "*");
		for (size_t i = 0; rc == 0 && i < GC_ARRAY_SIZE(extra); i++)
			rc = git_remote_add_fetch(g->repo, GC_GIT_REMOTE,
						  extra[i]);
	}
	git_remote_free(remote);
	/* looked up again: git_remote_add_fetch changed only the config */
	if (rc == 0)
		rc = git_remote_lookup(&g->remote, g->repo, GC_GIT_REMOTE);
	if (rc == 0 && strcmp(stored, g->url))
		rc = git_remote_set_instance_url(g->remote, g->url);
	if (rc < 0)
		rc = gc_git__fail(g, err, rc, "cannot set up the remote '%s'",
				  g->display);
	free(stored);
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

int gc_git__open_remote(gc_git *g, const char *url,
			const gc_git_open_opts *opts, gc_error *err)
{
	char *dir = opts && opts->cache_dir ? gc_xstrdup(opts->cache_dir)
					    : default_cache_dir();
	char *name = NULL, *path = NULL;
	bool created = false;
	int rc;

	split_url(g, url);
	g->display = gc_url_redacted(url);
	if ((rc = mkdir_p(dir, err)) < 0)
		goto cleanup;
	name = cache_name(g->display);
	path = gc_xasprintf("%s/%s", dir, name);
	rc = git_repository_open_bare(&g->repo, path);
	if (rc == GIT_ENOTFOUND) {
		rc = git_repository_init(&g->repo, path, 1);
		created = rc == 0;
	}
	if (rc < 0) {
		rc = gc_git__fail(g, err, rc,
				  "cannot open the cache of '%s' in '%s'",
				  g->display, dir);
		goto cleanup;
	}
	if ((rc = ensure_remote(g, err)) < 0)
		goto cleanup;
	rc = fetch_remote(g, err);
cleanup:
	if (rc < 0 && created) {
		/* a first clone that failed leaves no empty cache behind */
		git_repository_free(g->repo);
		g->repo = NULL;
		rm_tree(path);
	}
	free(dir);
	free(name);
	free(path);
	return rc;
}

int gc_git_fetch(gc_git *g, gc_error *err)
{
	int rc = g->url ? fetch_remote(g, err) : 0;

	g->fetch_failed = rc < 0;
	return rc;
}

bool gc_git_reachable(const gc_git *g)
{
	struct stat st;

	if (g->url)
		return !g->fetch_failed;
	return stat(git_repository_path(g->repo), &st) == 0;
}

/*
 * libgit2 1.5 pushes only from a reference, so the commit goes out through a
 * scratch ref (refs/gitcanary/push/<branch>) that is removed afterwards.
 */
int gc_git__push_branch(gc_git *g, const char *branch, const git_oid *expect,
			const git_oid *to, gc_error *err)
{
	char *tracking = gc_xasprintf(GC_GIT_TRACKING "%s", branch);
	char *scratch = gc_xasprintf("refs/gitcanary/push/%s", branch);
	char *spec = gc_xasprintf("%s:refs/heads/%s", scratch, branch);
	git_reference *ref = NULL;
	git_oid cur;
	bool found;
	int rc;

	if ((rc = gc_git__ref_id(&cur, &found, g, tracking, err)) < 0)
		goto cleanup;
	if (found != (expect != NULL) ||
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
		rc = gc_git__fail(g, err, rc, "cannot update '%s'", scratch);
		goto cleanup;
	}
	rc = gc_git__push_one(g, spec, err);
	git_reference_remove(g->repo, scratch);
	if (rc < 0)
		goto cleanup;
	rc = git_reference_create(&ref, g->repo, tracking, to, 1,
				  "gitcanary: push");
	if (rc < 0)
		rc = gc_git__fail(g, err, rc, "cannot update '%s'", tracking);
cleanup:
	git_reference_free(ref);
	free(tracking);
	free(scratch);
	free(spec);
	return rc;
}
