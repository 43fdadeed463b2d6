/*
 * Notes: evidence and outcomes attached to commits under a notes ref,
 * written at git's "<2 hex>/<38 hex>" fan-out and pushed (never forced) for
 * a remote. Part of the libgit2 wrapper (git_internal.h).
 */
#include "git_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define NOTE_PUSH_ATTEMPTS 5

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

/* What a note says: a fixed text, or one made from the current note. */
typedef struct note_text {
	const char *ref;
	const char *text;
	gc_git_note_fn fn;
	void *payload;
} note_text;

/*
 * The note's blob. A made one is made from the note the ref holds now: if
 * the ref moved since the caller read it, its compare-and-swap fails and
 * the note is made again.
 */
static int note_blob(char blob[GC_OID_HEX], gc_git *g, const git_oid *target,
		     const note_text *nt, gc_error *err)
{
	gc_buf old = GC_BUF_INIT;
	char hex[GC_OID_HEX], *text;
	int rc;

	if (!nt->fn)
		return gc_git_write_blob(blob, g, nt->text, strlen(nt->text),
					 err);
	gc_git__oid_hex(hex, target);
	rc = gc_git_note_get(&old, g, nt->ref, hex, err);
	if (rc < 0 && rc != GC_ENOTFOUND)
		goto cleanup;
	gc_error_clear(err);
	text = nt->fn(rc == 0 ? old.ptr : NULL, nt->payload);
	rc = gc_git_write_blob(blob, g, text, strlen(text), err);
	free(text);
cleanup:
	gc_buf_release(&old);
	return rc;
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
	if ((rc = gc_git__lookup_tree(&t, g, parent, err)) < 0 || !t)
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
		gc_git__oid_hex(f->blob, git_tree_entry_id(e));
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
		      const note_text *nt, const gc_git_signature *sig,
		      gc_error *err)
{
	char hex[GC_OID_HEX], parent[GC_OID_HEX], blob[GC_OID_HEX];
	char commit[GC_OID_HEX], fan[GC_OID_HEX + 1];
	gc_git_update *up = NULL;
	flat_note *flat = NULL;
	size_t nflat = 0;
	git_oid old, id;
	bool had;
	int rc;

	gc_git__oid_hex(hex, target);
	snprintf(fan, sizeof(fan), "%.2s/%s", hex, hex + 2);
	for (int attempt = 0; attempt < NOTE_PUSH_ATTEMPTS; attempt++) {
		gc_error_clear(err);
		if ((rc = gc_git__ref_id(&old, &had, g, ref, err)) < 0)
			break;
		if (had)
			gc_git__oid_hex(parent, &old);
		else
			parent[0] = '\0';
		free(flat);
		flat = NULL;
		if ((rc = note_blob(blob, g, target, nt, err)) < 0 ||
		    (rc = flat_notes(&flat, &nflat, g, parent, hex, err)) < 0)
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
		    (rc = gc_git__parse_oid(&id, commit, err)) < 0)
			break;
		rc = gc_git__ref_cas(g, ref, had ? &old : NULL, &id, err);
		if (rc != GC_ECONFLICT)
			break;
	}
	free(up);
	free(flat);
	return rc;
}

/* Puts the local notes ref back where it was (had false: delete it). */
static void ref_restore(gc_git *g, const char *ref, bool had,
			const git_oid *old)
{
	git_reference *r = NULL;

	if (had)
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
		     const note_text *nt, const gc_git_signature *sig,
		     gc_error *err)
{
	char *spec = gc_xasprintf("%s:%s", ref, ref);
	int rc = 0;

	for (int attempt = 0; attempt < NOTE_PUSH_ATTEMPTS; attempt++) {
		gc_error perr = GC_ERROR_INIT;
		git_oid old;
		bool had;

		if ((rc = gc_git__ref_id(&old, &had, g, ref, err)) < 0 ||
		    (rc = note_write(g, ref, target, nt, sig, err)) < 0)
			break;
		rc = gc_git__push_one(g, spec, &perr);
		if (rc < 0)
			ref_restore(g, ref, had, &old);
		if (rc != GC_ECONFLICT || attempt + 1 == NOTE_PUSH_ATTEMPTS) {
			if (rc < 0)
				gc_error_set(err, perr.code, "%s", perr.msg);
			gc_error_release(&perr);
			break;
		}
		gc_error_release(&perr);
		if ((rc = gc_git_fetch(g, err)) < 0)
			break;
	}
	free(spec);
	return rc;
}

static int note_set(gc_git *g, const char *ref, const char target[GC_OID_HEX],
		    const note_text *nt, const gc_git_signature *sig,
		    gc_error *err)
{
	git_signature *s = NULL;
	git_oid oid;
	int rc;

	if ((rc = check_notes_ref(ref, err)) < 0 ||
	    (rc = gc_git__parse_oid(&oid, target, err)) < 0)
		return rc;
	if ((rc = gc_git__make_sig(&s, sig)) < 0)
		return gc_git__fail(g, err, rc, "invalid signature");
	git_signature_free(s);
	if (g->url)
		return note_push(g, ref, &oid, nt, sig, err);
	return note_write(g, ref, &oid, nt, sig, err);
}

int gc_git_note_set(gc_git *g, const char *ref, const char target[GC_OID_HEX],
		    const char *text, const gc_git_signature *sig,
		    gc_error *err)
{
	note_text nt = { ref, text, NULL, NULL };

	return note_set(g, ref, target, &nt, sig, err);
}

int gc_git_note_update(gc_git *g, const char *ref,
		       const char target[GC_OID_HEX], gc_git_note_fn fn,
		       void *payload, const gc_git_signature *sig,
		       gc_error *err)
{
	note_text nt = { ref, NULL, fn, payload };

	return note_set(g, ref, target, &nt, sig, err);
}

int gc_git_note_get(gc_buf *out, gc_git *g, const char *ref,
		    const char target[GC_OID_HEX], gc_error *err)
{
	git_note *note = NULL;
	git_oid oid;
	int rc;

	if ((rc = check_notes_ref(ref, err)) < 0 ||
	    (rc = gc_git__parse_oid(&oid, target, err)) < 0)
		return rc;
	rc = git_note_read(&note, g->repo, ref, &oid);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return gc_error_set(err, GC_ENOTFOUND,
				    "no note for %.7s under '%s'", target, ref);
	}
	if (rc < 0)
		return gc_git__fail(g, err, rc, "cannot read the note of %.7s",
				    target);
	gc_buf_adds(out, git_note_message(note));
	git_note_free(note);
	return 0;
}
