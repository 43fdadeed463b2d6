/*
 * gitcanary reconcile --once [flags]
 *
 * One tick against the repository (docs/reconcile.md): the flags shared
 * with `gitcanary run` are parsed here too (gc_loop_parse_args).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/release/canary_spec.h"
#include "reconciler/cli/cli.h"
#include "reconciler/loop/loop.h"
#include "util/alloc.h"
#include "util/common.h"

const char gc_loop_flags_help[] =
	"  --repo PATH|URL            repository (work tree, bare, or URL); default .\n"
	"  --source-branch NAME       branch people push to; default the remote HEAD branch\n"
	"  --deploy-branch NAME       branch gitcanary writes; default deploy\n"
	"  --notes-ref REF            notes ref for evidence; default refs/notes/gitcanary\n"
	"  --default-namespace NS     namespace of documents without one; default \"default\"\n"
	"  --author \"NAME <EMAIL>\"    author of deploy commits; default gitcanary <gitcanary@localhost>\n"
	"  --committer \"NAME <EMAIL>\" committer of deploy commits; default the author\n"
	"  --min-interval DURATION    floor of analysis.interval (default 10s)\n"
	"  --assume-ready             treat every rendered Deployment as ready (no cluster)\n"
	"  --metrics-server URL       Prometheus for metric checks; default http://prometheus:9090\n"
	"  --readiness-server URL     Prometheus with kube-state-metrics; default the metrics server\n"
	"  --credentials-dir DIR      MetricTemplate secrets as DIR/<ns>/<name>/{token|username,password}\n"
	"  --event-webhook URL        POST every event of a canary without type: event\n"
	"                             webhooks here (also $EVENT_WEBHOOK_URL)\n"
	"  --connect-to H:P:H2:P2     send requests for host H port P to H2:P2 (as curl's\n"
	"                             --connect-to; repeatable, at most 8)\n"
	"  --cache-dir DIR            where URLs are cloned; default ~/.cache/gitcanary\n"
	"  --ssh-key FILE             private key for ssh:// remotes (default: the agent)\n"
	"  --token-file FILE          HTTPS token for the remote (also $GITCANARY_GIT_TOKEN)\n"
	"  --include-label-prefix L   target labels/annotations with these key prefixes\n"
	"                             (comma list, * = all) go onto the primary; default none\n";

/* "Name <email>" into two strings (kept in a static pool owned by argv). */
static int split_ident(const char **name, const char **email, char *s)
{
	char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *end = lt;

	if (!lt || !gt || gt[1] != '\0' || lt == s)
		return -1;
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s)
		return -1;
	*end = '\0';
	*gt = '\0';
	*name = s;
	*email = lt + 1;
	return 0;
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return gc_xstrdup(buf);
}

int gc_loop_parse_args(gc_loop_opts *o, const char *verb, int argc, char **argv,
		       gc_loop_flag_fn other, void *payload)
{
	static const char *const names[] = { "--repo",
					     "--source-branch",
					     "--deploy-branch",
					     "--notes-ref",
					     "--default-namespace",
					     "--metrics-server",
					     "--readiness-server",
					     "--credentials-dir",
					     "--cache-dir",
					     "--ssh-key",
					     "--event-webhook",
					     "--include-label-prefix" };
	const char **slots[] = { &o->repo,
				 &o->source_branch,
				 &o->deploy_branch,
				 &o->notes_ref,
				 &o->default_namespace,
				 &o->metrics_server,
				 &o->readiness_server,
				 &o->credentials_dir,
				 &o->cache_dir,
				 &o->ssh_key,
				 &o->event_webhook,
				 &o->include_label_prefix };
	const char *author = NULL, *committer = NULL, *min = NULL,
		   *token_file = NULL;
	char msg[512];

	for (int i = 1; i < argc; i++) {
		int r = 0;

		for (size_t k = 0; k < GC_ARRAY_SIZE(names) && !r; k++)
			r = gc_cli_take(slots[k], names[k], argc, argv, &i);
		if (!r)
			r = gc_cli_take(&author, "--author", argc, argv, &i);
		if (!r)
			r = gc_cli_take(&committer, "--committer", argc, argv,
					&i);
		if (!r)
			r = gc_cli_take(&min, "--min-interval", argc, argv, &i);
		if (!r)
			r = gc_cli_take(&token_file, "--token-file", argc, argv,
					&i);
		if (!r && !strncmp(argv[i], "--connect-to", 12)) {
			size_t n = 0;

			while (o->connect_to[n])
				n++;
			if (n == GC_LOOP_MAX_CONNECT_TO)
				return gc_cli_usage(
					verb, "too many --connect-to options");
			r = gc_cli_take(&o->connect_to[n], "--connect-to", argc,
					argv, &i);
		}
		if (!r && !strcmp(argv[i], "--assume-ready")) {
			o->assume_ready = true;
			r = 1;
		}
		if (!r && other)
			r = other(argc, argv, &i, payload);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "option '%s' needs a value",
				 argv[i]);
			return gc_cli_usage(verb, msg);
		}
		if (!r) {
			snprintf(msg, sizeof(msg),
				 "unknown argument '%s'; see --help", argv[i]);
			return gc_cli_usage(verb, msg);
		}
	}
	if (author &&
	    split_ident(&o->author_name, &o->author_email, (char *)author) < 0)
		return gc_cli_usage(verb, "--author must be \"Name <email>\"");
	if (committer && split_ident(&o->committer_name, &o->committer_email,
				     (char *)committer) < 0)
		return gc_cli_usage(verb,
				    "--committer must be \"Name <email>\"");
	if (min && (gc_duration_parse(&o->min_interval_ms, min) < 0 ||
		    o->min_interval_ms < 1000))
		return gc_cli_usage(
			verb,
			"--min-interval must be a duration of at least 1s");
	/* without it, repo-layout reads $GITCANARY_GIT_TOKEN (every command) */
	if (token_file && !(o->token = read_token(token_file)))
		return gc_cli_usage(verb, "--token-file cannot be read");
	if (!o->event_webhook && getenv("EVENT_WEBHOOK_URL"))
		o->event_webhook = getenv("EVENT_WEBHOOK_URL");
	return 0;
}

static int once_flag(int argc, char **argv, int *i, void *payload)
{
	(void)argc;
	if (strcmp(argv[*i], "--once"))
		return 0;
	*(int *)payload = 1;
	return 1;
}

int cmd_reconcile(int argc, char **argv)
{
	gc_loop_opts o = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_tick_result res;
	gc_loop *loop = NULL;
	int once = 0, rc;
	char *msg;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: gitcanary reconcile --once [flags]\n\n"
			       "Runs one reconcile tick against the repository.\n\n"
			       "  --once                     required: one tick, then exit\n%s",
			       gc_loop_flags_help);
			return GC_EXIT_OK;
		}
	}
	if ((rc = gc_loop_parse_args(&o, "reconcile", argc, argv, once_flag,
				     &once)) != 0)
		return rc;
	if (!once)
		return gc_cli_usage(
			"reconcile",
			"--once is required (use 'gitcanary run' for the daemon)");
	if (gc_loop_new(&loop, &o, &err) < 0 ||
	    gc_loop_tick(loop, &res, 0, &err) < 0) {
		msg = gc_error_format(&err);
		fprintf(stderr, "gitcanary reconcile: %s\n", msg);
		free(msg);
		gc_error_release(&err);
		gc_loop_free(loop);
		return GC_EXIT_FAILURE;
	}
	if (res.committed)
		printf("%s\n", res.commit);
	gc_loop_free(loop);
	return res.canaries_broken ? GC_EXIT_FAILURE : GC_EXIT_OK;
}
