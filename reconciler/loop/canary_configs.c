/*
 * A canary's ConfigMaps/Secrets: the trackedConfigs of its target from
 * the source, and of the primary's copies from the deploy branch.
 */

#include "reconciler/loop/internal.h"

#include <stdlib.h>
#include <string.h>

#include "repo-layout/layout.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"

const cJSON *gc_loop__find_root(const gc_index *idx, const char *kind,
				const char *ns, const char *name)
{
	const gc_object *o =
		name ? gc_index_find_tree(idx, kind, ns, name) : NULL;

	return o ? o->doc->root : NULL;
}

static const cJSON *config_lookup(const char *kind, const char *name,
				  void *payload)
{
	const gc_source_configs *c = payload;

	return gc_loop__find_root(c->idx, kind, c->ns, name);
}

static void locate_node(gc_error *err, gc_render_source src, const cJSON *node,
			void *payload)
{
	const gc_source_configs *c = payload;
	gc_loc loc;

	if (!c->docs[src])
		return;
	loc = gc_doc_loc(c->docs[src], node);
	free(err->path);
	err->path = gc_xstrdup(c->docs[src]->path);
	err->line = loc.line;
	err->column = loc.column;
}

/* Reads and parses one copy; NULL (logged) when it is unusable. */
static cJSON *read_copy(gc_promoted_configs *p, const char *path,
			const char *kind)
{
	gc_buf data = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	size_t n = p->docs.n;
	cJSON *root = NULL;

	if (gc_git_read(&data, p->git, p->deploy, path, &err) < 0 ||
	    gc_yaml_parse(&p->docs, path, data.ptr, data.len, &err) < 0)
		gc_warn("%s: %s (the primary's copy is made from the source)",
			path, gc_error_msg(&err));
	else if (p->docs.n > n)
		root = p->docs.v[n]->root;
	if (root &&
	    strcmp(gc_json_str(root, "kind") ? gc_json_str(root, "kind") : "",
		   kind))
		root = NULL;
	gc_buf_release(&data);
	gc_error_release(&err);
	return root;
}

/*
 * gc_render_lookup_fn of the configs the primary runs: the "<name>-primary"
 * copy the deploy branch holds (<ns>/<canary>/<kind>-<name>-primary.yaml)
 * with its data; the source object when there is none yet.
 */
const cJSON *gc_loop__promoted_lookup(const char *kind, const char *name,
				      void *payload)
{
	gc_promoted_configs *p = payload;
	gc_buf path = GC_BUF_INIT;
	cJSON *root = NULL;
	char *copy = gc_xasprintf("%s-primary", name);

	gc_layout_object_path(&path, p->ns, p->canary, kind, copy);
	free(copy);
	if (*p->deploy && gc_deploy_tree_has(p->tree, path.ptr)) {
		root = gc_map_gets(&p->paths, path.ptr);
		if (!root && (root = read_copy(p, path.ptr, kind)))
			gc_map_sets(&p->paths, path.ptr, root);
	}
	gc_buf_release(&path);
	return root ? root : config_lookup(kind, name, p->source);
}

void gc_loop__promoted_release(gc_promoted_configs *p)
{
	gc_doclist_release(&p->docs);
	gc_map_release(&p->paths);
}

void gc_loop__render_input(gc_render_input *in, gc_canary_work *w,
			   const gc_tick *t)
{
	memset(in, 0, sizeof(*in));
	in->include_label_prefix = t->loop->opts.include_label_prefix;
	in->canary = w->d.obj->doc->root;
	in->namespace = w->d.obj->namespace;
	in->target = w->target->doc->root;
	in->hpa = w->hpa ? w->hpa->doc->root : NULL;
	in->apex_service = w->apex_service ? w->apex_service->doc->root : NULL;
	in->lookup = config_lookup;
	in->lookup_payload = &w->cfg.source;
	in->locate = locate_node;
	in->locate_payload = &w->cfg.source;
}

/*
 * The target's trackedConfigs (a missing mandatory ConfigMap/Secret makes
 * the canary broken, as in Flagger's GetTargetConfigs) and, when the
 * target's template is the promoted one, the same map of the primary's
 * copies for the machine's revert rule.
 */
int gc_loop__track_configs(gc_canary_work *w, gc_tick *t)
{
	gc_render_input in;
	gc_error err = GC_ERROR_INIT;
	char *msg;
	int error;

	w->cfg.source.idx = t->loop->idx;
	w->cfg.source.ns = w->d.obj->namespace;
	w->cfg.source.docs[GC_RENDER_SRC_CANARY] = w->d.obj->doc;
	w->cfg.source.docs[GC_RENDER_SRC_TARGET] = w->target->doc;
	w->cfg.source.docs[GC_RENDER_SRC_HPA] = w->hpa ? w->hpa->doc : NULL;
	w->cfg.promoted.git = t->loop->git;
	w->cfg.promoted.deploy = t->deploy;
	w->cfg.promoted.tree = &t->loop->tree;
	w->cfg.promoted.ns = w->d.obj->namespace;
	w->cfg.promoted.canary = w->d.obj->name;
	w->cfg.promoted.source = &w->cfg.source;
	gc_loop__render_input(&in, w, t);
	if ((error = gc_render_tracked_configs(&w->cfg.configs, &in, &err)) <
	    0) {
		msg = gc_error_format(&err);
		gc_warn("%s (canary '%s' skipped)", msg, w->d.id);
		free(msg);
		gc_error_release(&err);
		return error;
	}
	if (w->d.has_status &&
	    !strcmp(w->d.revision, w->old.status.last_promoted_spec)) {
		in.lookup = gc_loop__promoted_lookup;
		in.lookup_payload = &w->cfg.promoted;
		in.locate = NULL;
		if (gc_render_tracked_configs(&w->cfg.promoted_configs, &in,
					      &err) < 0)
			gc_debug("%s: configs of the primary unknown: %s",
				 w->d.id, gc_error_msg(&err));
		gc_error_release(&err);
	}
	return 0;
}
