/*
 * gitcanary describe NS/NAME [--repo PATH|URL] [--deploy-branch NAME]
 *                    [-o yaml|json]
 *
 * One canary's status from its status file on the deploy branch, then its
 * event history: the event lines of every deploy commit whose trailers
 * name the canary, oldest first. -o prints the status file's Canary
 * document instead, as kubectl get canary -o does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "reconciler/release/deploy_state.h"
#include "repo-layout/layout.h"
#include "reconciler/release/status.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "repo-layout/yaml.h"

typedef struct history {
	const char *id; /* "ns/name" */
	gc_buf lines;   /* newest commit first, reversed when printed */
	char **v;
	size_t n, alloc;
} history;

/*
 * The paragraphs of a deploy commit's message (release/message.h): the
 * subject, the events (one line each, every one "<ns>/<name>: "), the
 * trailers. Only the last two are read, so nothing but gitcanary's own
 * lines is ever taken for an event or a trailer.
 */
typedef struct paragraphs {
	const char *events, *events_end; /* NULL when there is none */
	const char *trailers;
} paragraphs;

static void split_message(paragraphs *p, const char *message)
{
	const char *before = NULL, *last = message, *s = message;
	size_t n = 1;

	while ((s = strstr(s, "\n\n")) != NULL) {
		s += 2;
		while (*s == '\n')
			s++;
		if (!*s)
			break;
		before = last;
		last = s;
		n++;
	}
	p->trailers = n == 1 ? "" : last;
	p->events = n >= 3 ? before : NULL;
	p->events_end = p->events ? strstr(p->events, "\n\n") : NULL;
	if (p->events && !p->events_end)
		p->events_end = p->events + strlen(p->events);
}

static bool names_canary(const char *trailers, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = trailers; *p; p += strcspn(p, "\n"), p += !!*p)
		if (!strncmp(p, "Canary: ", 8) && !strncmp(p + 8, id, n) &&
		    (p[8 + n] == '\n' || p[8 + n] == '\0'))
			return true;
	return false;
}

static int collect(const char id[GC_OID_HEX], const char *message,
		   long long when, void *payload)
{
	history *h = payload;
	size_t n = strlen(h->id);
	char t[GC_TIME_MAX];
	const char *line, *end;
	gc_buf block = GC_BUF_INIT;
	paragraphs para;

	split_message(&para, message);
	if (!names_canary(para.trailers, h->id) || !para.events)
		return 0;
	gc_time_format(t, when);
	for (line = para.events; line < para.events_end; line = end + 1) {
		const char *text, *type = "Normal";

		end = strchr(line, '\n');
		if (!end || end > para.events_end)
			end = para.events_end;
		if (strncmp(line, h->id, n) || line[n] != ':' ||
		    line[n + 1] != ' ')
			continue;
		text = line + n + 2;
		if (!strncmp(text, "warning: ", 9)) {
			type = "Warning";
			text += 9;
		}
		gc_buf_addf(&block, "  %-22s%-9s%.12s  %.*s\n", t, type, id,
			    (int)(end - text), text);
	}
	if (h->n == h->alloc) {
		h->alloc = h->alloc ? 2 * h->alloc : 32;
		h->v = gc_xrealloc(h->v, h->alloc * sizeof(*h->v));
	}
	h->v[h->n++] = gc_buf_detach(&block, NULL);
	return 0;
}

static void print_status(const char *ns, const char *name,
			 const gc_deploy_canary *dc)
{
	const gc_status *s = &dc->status;
	char t[GC_TIME_MAX] = "";

	if (s->last_transition_time)
		gc_time_format(t, s->last_transition_time);
	printf("Name:                 %s\n", name);
	printf("Namespace:            %s\n", ns);
	printf("Phase:                %s\n", gc_phase_name(s->phase));
	printf("Canary Weight:        %d\n", s->canary_weight);
	printf("Failed Checks:        %d\n", s->failed_checks);
	printf("Iterations:           %d\n", s->iterations);
	printf("Last Applied Spec:    %s\n", s->last_applied_spec);
	printf("Last Promoted Spec:   %s\n", s->last_promoted_spec);
	printf("Last Transition Time: %s\n", t);
	printf("Routing:              primary %d, canary %d%s\n",
	       dc->routing.primary, dc->routing.canary,
	       dc->routing.mirror ? ", mirror" : "");
	if (dc->source_commit[0])
		printf("Source Commit:        %s\n", dc->source_commit);
	if (s->condition.present)
		printf("Conditions:\n  Promoted  %s  %s  %s\n",
		       gc_cond_status_name(s->condition.status),
		       s->condition.reason, s->condition.message);
}

static const char usage_text[] =
	"usage: gitcanary describe NAMESPACE/NAME [--repo PATH|URL] [--deploy-branch NAME]\n"
	"                          [-o yaml|json] [-v]\n"
	"\n"
	"  --repo PATH|URL       git repository; default .\n"
	"  --deploy-branch NAME  the deploy branch; default deploy, else origin/deploy\n"
	"  -o, --output FORMAT   yaml or json: the status file's Canary document\n"
	"  -v, --verbose         log debug lines too\n"
	"  --log-level LEVEL     debug, info (default), warn or error\n"
	"  --log-format FORMAT   text (default) or json (one object a line)\n";

/* -o: the Canary document of the status file. */
static int print_document(const char *output, const char *path,
			  const gc_buf *data, gc_error *err)
{
	gc_doclist docs = { 0 };
	int error;

	if ((error = gc_yaml_parse(&docs, path, data->ptr, data->len, err)) ==
		    0 &&
	    docs.n)
		error = gc_cli_print_object(output, docs.v[0]->root, err);
	gc_doclist_release(&docs);
	return error;
}

int cmd_describe(int argc, char **argv)
{
	const char *repo = NULL, *branch = NULL, *target = NULL, *output = NULL;
	gc_error err = GC_ERROR_INIT;
	gc_deploy_canary dc;
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	history h = { 0 };
	gc_git *git = NULL;
	char commit[GC_OID_HEX], *ns = NULL, *name, *msg;
	int rc = GC_EXIT_OK;
	const gc_cli_opt opts[] = { { "repo", 0, GC_CLI_VALUE, &repo, 0 },
				    { "deploy-branch", 0, GC_CLI_VALUE, &branch,
				      0 },
				    { "output", 'o', GC_CLI_VALUE, &output, 0 },
				    { NULL, 0, GC_CLI_VALUE, NULL, 0 } };

	gc_deploy_canary_init(&dc);
	if (gc_cli_parse("describe", usage_text, opts, &target, argc, argv,
			 &rc) < 0 ||
	    gc_cli_check_output("describe", output, false, &rc) < 0)
		return rc;
	if (!target || !strchr(target, '/'))
		return gc_cli_usage("describe", "expected NAMESPACE/NAME");
	ns = gc_xstrdup(target);
	name = strchr(ns, '/');
	*name++ = '\0';
	h.id = target;
	gc_layout_status_path(&path, ns, name);
	if (gc_cli_open_deploy(&git, commit, repo, branch, &err) < 0)
		goto fail;
	if (gc_git_read(&data, git, commit, path.ptr, &err) < 0) {
		if (err.code == GC_ENOTFOUND) {
			gc_error_clear(&err);
			gc_error_set(
				&err, GC_ENOTFOUND,
				"canary '%s' not found on the deploy branch",
				target);
		}
		goto fail;
	}
	if (output) {
		if (print_document(output, path.ptr, &data, &err) < 0)
			goto fail;
		goto cleanup;
	}
	if (gc_deploy_canary_parse(&dc, path.ptr, data.ptr, data.len, &err) <
		    0 ||
	    gc_git_log(git, commit, 0, collect, &h, &err) < 0)
		goto fail;
	print_status(ns, name, &dc);
	printf("Events:\n  %-22s%-9s%-14s%s\n", "Time", "Type", "Commit",
	       "Message");
	for (size_t i = h.n; i > 0; i--)
		fputs(h.v[i - 1], stdout);
	goto cleanup;
fail:
	msg = gc_error_format(&err);
	fprintf(stderr, "gitcanary describe: %s\n", msg);
	free(msg);
	rc = GC_EXIT_FAILURE;
cleanup:
	for (size_t i = 0; i < h.n; i++)
		free(h.v[i]);
	free(h.v);
	free(ns);
	gc_deploy_canary_release(&dc);
	gc_buf_release(&path);
	gc_buf_release(&data);
	gc_error_release(&err);
	gc_git_free(git);
	return rc;
}
