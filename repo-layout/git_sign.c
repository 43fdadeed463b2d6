/*
 * Signed commits: the signing key, read when the repository is opened
 * (and again on gc_git_reload_signing_key), and commits made the way `git
 * commit -S` with gpg.format=ssh makes them: the commit object as it would be
 * without a signature is signed in the namespace "git" (sshsig.c) and the
 * armored signature becomes its gpgsig header. Part of the libgit2 wrapper
 * (git_internal.h).
 */
#include "git_internal.h"

#include <stdlib.h>

#include "sshsig.h"
#include "util/alloc.h"
#include "util/log.h"

/* a 16384-bit RSA key file is ~12 KiB */
#define KEY_FILE_MAX (64 * 1024)

int gc_git__signer_load(gc_git *g, const char *path, gc_error *err)
{
	gc_error perr = GC_ERROR_INIT;
	gc_buf data = GC_BUF_INIT;
	gc_sshsig_key *key = NULL;
	int rc;

	if ((rc = gc_buf_read_file(&data, path, KEY_FILE_MAX, err)) < 0) {
		gc_error_prefixf(err, "signing key");
	} else if ((rc = gc_sshsig_key_parse(&key, data.ptr, data.len, &perr)) <
		   0) {
		/* the parser knows no path: the message gets it here */
		gc_error_set_at(err, perr.code, path, 0, 0, "signing key: %s",
				gc_error_msg(&perr));
	}
	gc_wipe(data.ptr, data.len);
	gc_buf_release(&data);
	gc_error_release(&perr);
	if (rc < 0)
		return rc; /* a key already loaded stays */
	gc_sshsig_key_free(g->signer);
	g->signer = key;
	gc_info("signing commits with the key %s",
		gc_sshsig_key_fingerprint(g->signer));
	return 0;
}

int gc_git_reload_signing_key(gc_git *g, const char *path, gc_error *err)
{
	return gc_git__signer_load(g, path, err);
}

void gc_git__signer_free(gc_git *g)
{
	gc_sshsig_key_free(g->signer);
	g->signer = NULL;
}

int gc_git__commit_create(git_oid *out, gc_git *g, const git_signature *author,
			  const git_signature *committer, const char *message,
			  const git_tree *tree, size_t nparents,
			  const git_commit **parents, gc_error *err)
{
	git_buf raw = GIT_BUF_INIT;
	gc_buf sig = GC_BUF_INIT;
	int rc;

	if (!g->signer) {
		rc = git_commit_create(out, g->repo, NULL, author, committer,
				       NULL, message, tree, nparents, parents);
		return rc < 0 ? gc_git__fail(g, err, rc, "cannot commit") : 0;
	}
	if ((rc = git_commit_create_buffer(&raw, g->repo, author, committer,
					   NULL, message, tree, nparents,
					   parents)) < 0)
		return gc_git__fail(g, err, rc, "cannot commit");
	if ((rc = gc_sshsig_sign(&sig, g->signer, "git", raw.ptr, raw.size,
				 err)) < 0) {
		gc_error_prefixf(err, "cannot sign the commit");
		goto cleanup;
	}
	/* the header's last line is ended by libgit2, as git does */
	gc_buf_truncate(&sig, sig.len - 1);
	if ((rc = git_commit_create_with_signature(out, g->repo, raw.ptr,
						   sig.ptr, NULL)) < 0)
		rc = gc_git__fail(g, err, rc, "cannot commit");
cleanup:
	git_buf_dispose(&raw);
	gc_buf_release(&sig);
	return rc;
}
