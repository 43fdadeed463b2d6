/*
 * A shard's lost push replayed on the new deploy head (docs/reconcile.md,
 * "Shards"). Shards write disjoint paths, so a commit of another shard
 * changes nothing this tick read: the tick's files go on top of it as
 * they are, with kustomization.yaml (which lists the whole tree) made
 * again when both changed the layout. Anything else on the new head (a
 * path of this shard: a human, or a second instance with the same
 * --shard) makes the tick start over from a fresh fetch.
 */

#include "reconciler/loop/internal.h"

#include <stdio.h>
#include <string.h>

#include "repo-layout/layout.h"
#include "util/log.h"

/* At most this many replays in one attempt before it starts over. */
#define MAX_REBASES 16

typedef struct foreign_ctx {
	const gc_shard *shard;
	bool own;           /* a path of this shard changed */
	bool kustomization; /* kustomization.yaml changed */
} foreign_ctx;

static int foreign(const char *path, void *payload)
{
	foreign_ctx *c = payload;

	if (!strcmp(path, GC_LAYOUT_KUSTOMIZATION))
		c->kustomization = true;
	else if (gc_shard_owns_path(c->shard, path))
		c->own = true;
	return 0;
}

/* Drops the tick's write of path, if it has one. */
static void drop_write(gc_tick *t, const char *path)
{
	gc_tick_writes *w = &t->wr;

	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->updates[i].path, path))
			continue;
		memmove(&w->updates[i], &w->updates[i + 1],
			(w->n - i - 1) * sizeof(*w->updates));
		memmove(&w->blobs[i], &w->blobs[i + 1],
			(w->n - i - 1) * sizeof(*w->blobs));
		w->n--;
		return;
	}
}

bool gc_loop__rebase(gc_tick *t)
{
	gc_loop *l = t->loop;
	foreign_ctx c = { &l->opts.shard, false, false };
	char head[GC_OID_HEX];
	gc_error err = GC_ERROR_INIT;
	bool all = false, ok = false;

	if (!l->opts.shard.count || t->rebases >= MAX_REBASES)
		return false;
	if (gc_git_fetch(l->git, &err) < 0 ||
	    gc_git_resolve(head, l->git, gc_loop__deploy_branch(l), &err) < 0)
		goto done;
	/* the tree holds t->deploy and the tick's writes: theirs go in */
	if (gc_deploy_tree_update(&l->tree, l->git, head, foreign, &c, &all,
				  &err) < 0 ||
	    all || c.own)
		goto done;
	if (c.kustomization && t->wr.layout_changed) {
		drop_write(t, GC_LAYOUT_KUSTOMIZATION);
		gc_loop__kustomization(t);
	}
	gc_debug("push lost to another shard's %.12s: replayed on top of it",
		 head);
	snprintf(t->deploy, sizeof(t->deploy), "%s", head);
	t->rebases++;
	ok = true;
done:
	if (err.code)
		gc_debug("replaying the tick on the deploy head: %s",
			 gc_error_msg(&err));
	gc_error_release(&err);
	return ok && t->wr.error == 0;
}
