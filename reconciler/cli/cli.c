/*
 * The one option parser of every command (getopt_long), and what the
 * commands share: the source of the read-only ones, the loop flags of
 * `reconcile` and `run`, the deploy branch of `get` and `describe`.
 */
#define _GNU_SOURCE /* getopt_long; this file only */

#include "reconciler/cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reconciler/release/alerts.h"
#include "reconciler/release/canary_spec.h"
#include "repo-layout/yaml.h"
#include "reconciler/release/validate.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/url.h"

int gc_cli_usage(const char *verb, const char *msg)
{
	fprintf(stderr, "gitcanary %s: %s\n", verb, msg);
	return GC_EXIT_USAGE;
}

int gc_cli_fail(const char *verb, gc_error *err)
{
	char *msg = gc_error_format(err);

	fprintf(stderr, "gitcanary %s: %s\n", verb, msg);
	free(msg);
	gc_error_release(err);
	return GC_EXIT_FAILURE;
}

/* getopt_long's code for opts[i] when it has no short name */
#define OPT_BASE 256

/* Index in opts of getopt_long's answer c, or -1. */
static int find_opt(const gc_cli_opt *opts, int c)
{
	for (int i = 0; opts && opts[i].name; i++)
		if (c == OPT_BASE + i || (opts[i].alias && c == opts[i].alias))
			return i;
	return -1;
}

/* Stores one value; fills msg (and returns -1) when a list is full. */
static int store(const gc_cli_opt *o, char *value, char *msg, size_t len)
{
	const char **list = o->to;
	size_t n = 0;

	switch (o->kind) {
	case GC_CLI_VALUE:
		*(const char **)o->to = value;
		break;
	case GC_CLI_FLAG:
		*(bool *)o->to = true;
		break;
	case GC_CLI_LIST:
		while (list[n])
			n++;
		if (n == o->max) {
			snprintf(msg, len, "too many --%s options", o->name);
			return -1;
		}
		list[n] = value;
		list[n + 1] = NULL;
		break;
	}
	return 0;
}

/*
 * The problem behind getopt_long's '?' (unknown) or ':' (no value), where
 * arg is the argument it stumbled on.
 */
static void describe(char *msg, size_t len, int c, const char *arg,
		     const struct option *lopts)
{
	const struct option *hit = NULL;
	int matches = 0;
	size_t n;

	if (strncmp(arg, "--", 2) != 0) {
		/* a short option: getopt_long names the letter */
		snprintf(msg, len,
			 c == ':' ? "option '-%c' needs a value"
				  : "unknown argument '-%c'; see --help",
			 optopt);
		return;
	}
	if (c == ':') {
		snprintf(msg, len, "option '%s' needs a value", arg);
		return;
	}
	n = strcspn(arg + 2, "="); /* the name as given */
	for (const struct option *o = lopts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		hit = o;
		if (strlen(o->name) == n) {
			matches = 1;
			break;
		}
		matches++;
	}
	if (matches == 1 && arg[n + 2] == '=' && hit->has_arg == no_argument)
		snprintf(msg, len, "option '--%s' takes no value", hit->name);
	else if (matches > 1)
		snprintf(msg, len, "option '%.*s' is ambiguous; see --help",
			 (int)n + 2, arg);
	else
		snprintf(msg, len, "unknown argument '%s'; see --help", arg);
}

/* The first problem wins; later ones are not reported. */
static void problem(char *msg, size_t len, const char *why)
{
	if (!*msg)
		snprintf(msg, len, "%s", why);
}

/* A bare argument: the positional one, or a problem. */
static void bare(const char **positional, char *arg, char *msg, size_t len)
{
	char why[512];

	if (positional && !*positional) {
		*positional = arg;
		return;
	}
	snprintf(why, sizeof(why), "unknown argument '%s'; see --help", arg);
	problem(msg, len, why);
}

/* getopt_long's codes of --log-level and --log-format (every command) */
#define OPT_LOG_LEVEL (OPT_BASE - 2)
#define OPT_LOG_FORMAT (OPT_BASE - 1)

/*
 * getopt_long's tables for opts, plus --help, --verbose, --log-level and
 * --log-format: lopts has room for GC_CLI_MAX_OPTS + 5 entries, shorts for
 * 2 * GC_CLI_MAX_OPTS + 5.
 */
static void tables(struct option *lopts, char *shorts, const gc_cli_opt *opts)
{
	int n = 0;

	/* "-": bare arguments in order, as code 1; ":": ':' for no value */
	shorts = stpcpy(shorts, "-:hv");
	for (; opts && opts[n].name; n++) {
		GC_ASSERT(n < GC_CLI_MAX_OPTS);
		GC_ASSERT(opts[n].alias != 'h' && opts[n].alias != 'v');
		lopts[n] = (struct option){
			opts[n].name,
			opts[n].kind == GC_CLI_FLAG ? no_argument
						    : required_argument,
			NULL, opts[n].alias ? opts[n].alias : OPT_BASE + n
		};
		if (opts[n].alias)
			*shorts++ = opts[n].alias;
		if (opts[n].alias && opts[n].kind != GC_CLI_FLAG)
			*shorts++ = ':';
	}
	*shorts = '\0';
	lopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[n + 1] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lopts[n + 2] = (struct option){ "log-level", required_argument, NULL,
					OPT_LOG_LEVEL };
	lopts[n + 3] = (struct option){ "log-format", required_argument, NULL,
					OPT_LOG_FORMAT };
	lopts[n + 4] = (struct option){ NULL, 0, NULL, 0 };
}

int gc_cli_parse(const char *verb, const char *usage, const gc_cli_opt *opts,
		 const char **positional, int argc, char **argv, int *rc)
{
	struct option lopts[GC_CLI_MAX_OPTS + 5];
	char shorts[2 * GC_CLI_MAX_OPTS + 5];
	char msg[512] = "", why[512];
	bool help = false;
	int verbose = 0, c, i;
	gc_log_level level = GC_LOG_INFO;
	gc_log_format format = GC_LOG_TEXT;

	tables(lopts, shorts, opts);
	opterr = 0; /* the messages are ours */
	optind = 0; /* start afresh, whoever parsed before */
	for (;;) {
		/* where a bad letter amid "-xyz" leaves optind */
		int at = optind ? optind : 1;

		if ((c = getopt_long(argc, argv, shorts, lopts, NULL)) == -1)
			break;
		if (c == 'h') {
			help = true;
		} else if (c == 'v') {
			verbose++;
		} else if (c == OPT_LOG_LEVEL &&
			   gc_log_level_parse(&level, optarg) < 0) {
			snprintf(
				why, sizeof(why),
				"--log-level must be debug, info, warn or error, not '%s'",
				optarg);
			problem(msg, sizeof(msg), why);
		} else if (c == OPT_LOG_FORMAT &&
			   gc_log_format_parse(&format, optarg) < 0) {
			snprintf(why, sizeof(why),
				 "--log-format must be text or json, not '%s'",
				 optarg);
			problem(msg, sizeof(msg), why);
		} else if (c == 1) {
			bare(positional, optarg, msg, sizeof(msg));
		} else if (c == '?' || c == ':') {
			describe(why, sizeof(why), c,
				 argv[optind == at ? at : optind - 1], lopts);
			problem(msg, sizeof(msg), why);
		} else if ((i = find_opt(opts, c)) >= 0 &&
			   store(&opts[i], optarg, why, sizeof(why)) < 0) {
			problem(msg, sizeof(msg), why);
		}
	}
	/* after "--", every argument is a bare one */
	for (; optind < argc; optind++)
		bare(positional, argv[optind], msg, sizeof(msg));
	if (help) {
		fputs(usage, stdout);
		*rc = GC_EXIT_OK;
		return -1;
	}
	if (*msg) {
		*rc = gc_cli_usage(verb, msg);
		return -1;
	}
	/* -v is --log-level debug, whatever the order */
	gc_log_set_level(verbose ? GC_LOG_DEBUG : level);
	gc_log_set_format(format);
	return 0;
}

/* table (ended by a NULL name) then extra (may be NULL) into out */
static void join(gc_cli_opt *out, const gc_cli_opt *table,
		 const gc_cli_opt *extra)
{
	size_t n = 0;

	for (; table->name; table++)
		out[n++] = *table;
	for (; extra && extra->name; extra++) {
		GC_ASSERT(n < GC_CLI_MAX_OPTS);
		out[n++] = *extra;
	}
	out[n] = (gc_cli_opt){ NULL, 0, GC_CLI_VALUE, NULL, 0 };
}

int gc_cli_parse_source(gc_cli_source_args *src, const char *verb,
			const char *usage, const gc_cli_opt *extra, int argc,
			char **argv, int *rc)
{
	const gc_cli_opt table[] = {
		{ "repo", 0, GC_CLI_VALUE, &src->repo, 0 },
		{ "ref", 0, GC_CLI_VALUE, &src->ref, 0 },
		{ "dir", 0, GC_CLI_VALUE, &src->dir, 0 },
		{ "default-namespace", 0, GC_CLI_VALUE, &src->default_ns, 0 },
		{ "path", 0, GC_CLI_LIST, src->paths, GC_SOURCE_MAX_PATHS },
		{ "kustomize-command", 0, GC_CLI_VALUE, &src->kustomize_command,
		  0 },
		{ "flux-source", 0, GC_CLI_VALUE, &src->flux_source, 0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};
	gc_cli_opt opts[GC_CLI_MAX_OPTS + 1];

	join(opts, table, extra);
	if (gc_cli_parse(verb, usage, opts, NULL, argc, argv, rc) < 0)
		return -1;
	if (src->dir && (src->repo || src->ref)) {
		*rc = gc_cli_usage(
			verb, "--dir cannot be combined with --repo or --ref");
		return -1;
	}
	if (!src->dir && !src->repo)
		src->repo = ".";
	return 0;
}

void gc_cli_check(gc_problems *out, size_t *canaries, gc_index *idx,
		  gc_validate_canary_cb cb, void *payload)
{
	const gc_problems *loaded = gc_index_problems(idx);

	for (size_t i = 0; i < loaded->n; i++) {
		gc_problems_add(out, loaded->v[i].path, loaded->v[i].line,
				loaded->v[i].column, "%s", loaded->v[i].msg);
		if (loaded->v[i].warning)
			gc_problems_last_is_warning(out);
	}
	gc_validate_index(out, idx, canaries, cb, payload);
}

size_t gc_cli_print_problems(gc_problems *p)
{
	gc_problems_sort(p);
	for (size_t i = 0; i < p->n; i++) {
		const gc_problem *x = &p->v[i], *prev = i ? &p->v[i - 1] : NULL;

		/* one Deployment targeted by two canaries: report once */
		if (prev && !strcmp(prev->path, x->path) &&
		    prev->line == x->line && prev->column == x->column &&
		    !strcmp(prev->msg, x->msg))
			continue;
		fprintf(stderr, "%s:%u:%u: %s%s\n", x->path, x->line, x->column,
			x->warning ? "warning: " : "", x->msg);
	}
	return gc_problems_errors(p);
}

/* --path, --kustomize-command and --flux-source into opts. */
static void source_opts(gc_source_opts *opts, const char *const *paths,
			const char *kustomize_command, const char *flux_source)
{
	opts->flux_source = flux_source;
	opts->paths = paths;
	for (opts->npaths = 0; paths[opts->npaths];)
		opts->npaths++;
	opts->kustomize_command = kustomize_command;
}

int gc_cli_load(gc_index **idx, gc_git **git_out, const gc_cli_source_args *src,
		const gc_source_opts *in, gc_error *err)
{
	gc_source_opts o = *in, *opts = &o;
	gc_git *git = NULL;
	char commit[GC_OID_HEX];
	int error;

	source_opts(opts, src->paths, src->kustomize_command, src->flux_source);
	if (src->dir)
		return gc_source_load_dir(idx, src->dir, opts, err);
	if ((error = gc_git_open(&git, src->repo ? src->repo : ".", NULL,
				 err)) < 0 ||
	    (error = gc_git_resolve(commit, git, src->ref, err)) < 0)
		goto cleanup;
	if ((error = gc_source_load_git(idx, git, commit, opts, err)) == 0 &&
	    opts->trees_on_demand) {
		GC_ASSERT(git_out);
		*git_out = git;
		git = NULL;
	}
cleanup:
	gc_git_free(git);
	return error;
}

static const char loop_help[] =
	"  --repo PATH|URL            repository (work tree, bare, or URL); default .\n"
	"  --source-branch NAME       branch people push to; default the remote HEAD branch\n"
	"  --deploy-branch NAME       branch gitcanary writes; default deploy\n"
	"  --notes-ref REF            notes ref for evidence; default refs/notes/gitcanary\n"
	"  --default-namespace NS     namespace of documents without one; default \"default\"\n"
	"  --path DIR                 a root to build, as a Flux Kustomization's spec.path\n"
	"                             (repeatable); default the repository root, or the\n"
	"                             paths of the Flux Kustomizations of the source\n"
	"  --kustomize-command CMD    kustomize to run; default `kustomize build`, else\n"
	"                             `kubectl kustomize`\n"
	"  --flux-source [NS/]NAME    the GitRepository Flux Kustomizations name for this\n"
	"                             repository; default flux-system/flux-system\n"
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
	"  --signing-key FILE         sign deploy and notes commits with this SSH private key\n"
	"                             (as git commit -S with gpg.format=ssh; unencrypted;\n"
	"                             also $GITCANARY_SIGNING_KEY)\n"
	"  --allow-insecure-http      send the token to an http:// remote (refused otherwise;\n"
	"                             also $GITCANARY_ALLOW_INSECURE_HTTP=1)\n"
	"  --include-label-prefix L   target labels/annotations with these key prefixes\n"
	"                             (comma list, * = all) go onto the primary; default none\n"
	"  --slack-url URL            Slack hook for alerts of canaries without analysis.alerts\n"
	"                             (also $SLACK_URL); needs --slack-channel\n"
	"  --slack-channel NAME       its channel\n"
	"  --slack-user NAME          its user name; default flagger\n"
	"  --msteams-url URL          MS Teams hook instead of Slack (also $MSTEAMS_URL)\n"
	"  --alert-severity LEVEL     what the global hook receives: info (default), warn, error\n"
	"  --cluster-name NAME        a Cluster field in every alert\n"
	"  --shard I/N                own only the namespaces of shard I of N (0 <= I < N\n"
	"                             <= 256), sharing the deploy branch with the others\n"
	"  -v, --verbose              log debug lines too\n"
	"  --log-level LEVEL          debug, info (default), warn or error\n"
	"  --log-format FORMAT        text (default) or json (one object a line)\n";

/* "Name <email>" into two owned strings; -1 when it is not that. */
static int split_ident(char **name, char **email, const char *s)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *end = lt;

	if (!lt || !gt || gt[1] != '\0' || lt == s)
		return -1;
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s)
		return -1;
	*name = gc_xstrndup(s, (size_t)(end - s));
	*email = gc_xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

/* The first line of a token file, owned; NULL when it cannot be read. */
static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096], *token;
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	token = gc_xstrdup(buf);
	gc_wipe(buf, sizeof(buf));
	return token;
}

/* The global notifier's flags (Flagger's; URLs also from the
 * environment, as Flagger's fromEnv): a usage error when unusable. */
static int check_alerts(gc_loop_opts *o, const char *verb)
{
	gc_alert_dest d = { 0 };
	gc_error err = GC_ERROR_INIT;
	int rc = 0;

	if (!o->slack_url && getenv("SLACK_URL"))
		o->slack_url = getenv("SLACK_URL");
	if (!o->msteams_url && getenv("MSTEAMS_URL"))
		o->msteams_url = getenv("MSTEAMS_URL");
	if (gc_alerts_global(&d, o->slack_url, o->slack_channel, o->slack_user,
			     o->msteams_url, o->alert_severity,
			     &err) == GC_EINVALID)
		rc = gc_cli_usage(verb, gc_error_msg(&err));
	gc_alert_dest_release(&d);
	gc_error_release(&err);
	return rc;
}

/*
 * Shards race for one ref, and libgit2's local (file://) transport moves a
 * pushed ref without comparing its old value: two racing pushes would both
 * succeed and one commit would be lost. A plain path updates the ref with
 * compare-and-swap (git_reference_create_matching), a git server's
 * receive-pack compares too. The usage error when --shard I/N (N > 1)
 * meets a file:// URL.
 */
static int check_shard_remote(const gc_loop_opts *o, const char *verb)
{
	const char *path;
	char *msg;
	int rc;

	if (o->shard.count < 2 || !o->repo ||
	    strncasecmp(o->repo, "file://", 7))
		return 0;
	path = o->repo + 7;
	msg = gc_xasprintf(
		"--shard needs a remote that compares the deploy branch before "
		"moving it, and a file:// URL does not (libgit2's local "
		"transport: two shards' racing pushes would both succeed and "
		"one commit would be lost); give the repository as a plain "
		"path%s%s%s or an ssh:// URL",
		*path == '/' ? " (--repo " : "", *path == '/' ? path : "",
		*path == '/' ? ")" : "");
	rc = gc_cli_usage(verb, msg);
	free(msg);
	return rc;
}

/* Reads what gc_cli_parse left as strings into a; 0 or a usage error. */
static int check_loop(gc_cli_loop_args *a, const char *verb, const char *author,
		      const char *committer, const char *min,
		      const char *token_file, const char *shard)
{
	gc_loop_opts *o = &a->opts;
	gc_error err = GC_ERROR_INIT;
	int rc;

	if (author &&
	    split_ident(&a->author_name, &a->author_email, author) < 0)
		return gc_cli_usage(verb, "--author must be \"Name <email>\"");
	if (committer &&
	    split_ident(&a->committer_name, &a->committer_email, committer) < 0)
		return gc_cli_usage(verb,
				    "--committer must be \"Name <email>\"");
	o->author_name = a->author_name;
	o->author_email = a->author_email;
	o->committer_name = a->committer_name;
	o->committer_email = a->committer_email;
	if (min && (gc_duration_parse(&o->min_interval_ms, min) < 0 ||
		    o->min_interval_ms < 1000))
		return gc_cli_usage(
			verb,
			"--min-interval must be a duration of at least 1s");
	/* without it, repo-layout reads $GITCANARY_GIT_TOKEN (every command) */
	if (token_file && !(a->token = read_token(token_file)))
		return gc_cli_usage(verb, "--token-file cannot be read");
	o->token = a->token;
	if (shard && gc_shard_parse(&o->shard, shard, &err) < 0) {
		rc = gc_cli_usage(verb, gc_error_msg(&err));
		gc_error_release(&err);
		return rc;
	}
	if ((rc = check_shard_remote(o, verb)))
		return rc;
	/* the flag wins; an empty variable is no key (an EnvironmentFile's
	 * GITCANARY_SIGNING_KEY=) */
	if (!o->signing_key && getenv("GITCANARY_SIGNING_KEY") &&
	    *getenv("GITCANARY_SIGNING_KEY"))
		o->signing_key = getenv("GITCANARY_SIGNING_KEY");
	if (!o->event_webhook && getenv("EVENT_WEBHOOK_URL"))
		o->event_webhook = getenv("EVENT_WEBHOOK_URL");
	return check_alerts(o, verb);
}

int gc_cli_parse_loop(gc_cli_loop_args *a, const char *verb, const char *usage,
		      const gc_cli_opt *extra, int argc, char **argv, int *rc)
{
	gc_loop_opts *o = &a->opts;
	const char *author = NULL, *committer = NULL, *min = NULL,
		   *token_file = NULL, *shard = NULL;
	const gc_cli_opt table[] = {
		{ "repo", 0, GC_CLI_VALUE, &o->repo, 0 },
		{ "source-branch", 0, GC_CLI_VALUE, &o->source_branch, 0 },
		{ "deploy-branch", 0, GC_CLI_VALUE, &o->deploy_branch, 0 },
		{ "notes-ref", 0, GC_CLI_VALUE, &o->notes_ref, 0 },
		{ "default-namespace", 0, GC_CLI_VALUE, &o->default_namespace,
		  0 },
		{ "author", 0, GC_CLI_VALUE, &author, 0 },
		{ "committer", 0, GC_CLI_VALUE, &committer, 0 },
		{ "min-interval", 0, GC_CLI_VALUE, &min, 0 },
		{ "assume-ready", 0, GC_CLI_FLAG, &o->assume_ready, 0 },
		{ "metrics-server", 0, GC_CLI_VALUE, &o->metrics_server, 0 },
		{ "readiness-server", 0, GC_CLI_VALUE, &o->readiness_server,
		  0 },
		{ "credentials-dir", 0, GC_CLI_VALUE, &o->credentials_dir, 0 },
		{ "event-webhook", 0, GC_CLI_VALUE, &o->event_webhook, 0 },
		{ "connect-to", 0, GC_CLI_LIST, o->connect_to,
		  GC_LOOP_MAX_CONNECT_TO },
		{ "cache-dir", 0, GC_CLI_VALUE, &o->cache_dir, 0 },
		{ "ssh-key", 0, GC_CLI_VALUE, &o->ssh_key, 0 },
		{ "signing-key", 0, GC_CLI_VALUE, &o->signing_key, 0 },
		{ "token-file", 0, GC_CLI_VALUE, &token_file, 0 },
		{ "allow-insecure-http", 0, GC_CLI_FLAG,
		  &o->allow_insecure_http, 0 },
		{ "include-label-prefix", 0, GC_CLI_VALUE,
		  &o->include_label_prefix, 0 },
		{ "path", 0, GC_CLI_LIST, o->paths, GC_SOURCE_MAX_PATHS },
		{ "kustomize-command", 0, GC_CLI_VALUE, &o->kustomize_command,
		  0 },
		{ "flux-source", 0, GC_CLI_VALUE, &o->flux_source, 0 },
		{ "slack-url", 0, GC_CLI_VALUE, &o->slack_url, 0 },
		{ "slack-channel", 0, GC_CLI_VALUE, &o->slack_channel, 0 },
		{ "slack-user", 0, GC_CLI_VALUE, &o->slack_user, 0 },
		{ "msteams-url", 0, GC_CLI_VALUE, &o->msteams_url, 0 },
		{ "alert-severity", 0, GC_CLI_VALUE, &o->alert_severity, 0 },
		{ "cluster-name", 0, GC_CLI_VALUE, &o->cluster_name, 0 },
		{ "shard", 0, GC_CLI_VALUE, &shard, 0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};
	gc_cli_opt opts[GC_CLI_MAX_OPTS + 1];
	gc_buf help = GC_BUF_INIT;
	int r;

	join(opts, table, extra);
	gc_buf_adds(&help, usage);
	gc_buf_adds(&help, loop_help);
	r = gc_cli_parse(verb, help.ptr, opts, NULL, argc, argv, rc);
	gc_buf_release(&help);
	if (r < 0)
		return -1;
	if ((*rc = check_loop(a, verb, author, committer, min, token_file,
			      shard)))
		return -1;
	gc_url_redact(&help, o->repo ? o->repo : ".");
	gc_debug("%s: repository %s, source branch %s, deploy branch %s", verb,
		 help.ptr,
		 o->source_branch ? o->source_branch : "(remote HEAD)",
		 o->deploy_branch ? o->deploy_branch : "deploy");
	if (o->shard.count)
		gc_info("shard %u/%u: the namespaces whose shard is %u of %u",
			o->shard.index, o->shard.count, o->shard.index,
			o->shard.count);
	gc_buf_release(&help);
	return 0;
}

void gc_cli_loop_args_release(gc_cli_loop_args *a)
{
	gc_free_secret(a->token);
	free(a->author_name);
	free(a->author_email);
	free(a->committer_name);
	free(a->committer_email);
	memset(a, 0, sizeof(*a));
}

int gc_cli_open_deploy(gc_git **git, char commit[GC_OID_HEX], const char *repo,
		       const char *branch, gc_error *err)
{
	const char *b = branch ? branch : "deploy";
	char *tracking[2];
	int error;

	if ((error = gc_git_open(git, repo ? repo : ".", NULL, err)) < 0)
		return error;
	/* an ordinary clone has origin/deploy, no local deploy */
	tracking[0] = gc_xasprintf("refs/remotes/origin/%s", b);
	tracking[1] = gc_xasprintf("refs/remotes/%s", b);
	error = gc_git_resolve(commit, *git, b, err);
	for (size_t i = 0; error == GC_ENOTFOUND && i < 2; i++) {
		gc_error_clear(err);
		error = gc_git_resolve(commit, *git, tracking[i], err);
	}
	free(tracking[0]);
	free(tracking[1]);
	if (error == GC_ENOTFOUND) {
		gc_error_clear(err);
		error = gc_error_set(
			err, GC_ENOTFOUND,
			"no deploy branch '%s' (has gitcanary run yet?)", b);
	}
	if (error < 0) {
		gc_git_free(*git);
		*git = NULL;
	}
	return error;
}

int gc_cli_check_output(const char *verb, const char *output, bool wide,
			int *rc)
{
	char msg[160];

	if (!output || !strcmp(output, "json") || !strcmp(output, "yaml") ||
	    (wide && !strcmp(output, "wide")))
		return 0;
	snprintf(msg, sizeof(msg), "unknown output format '%s' (expected %s)",
		 output, wide ? "wide, yaml or json" : "yaml or json");
	*rc = gc_cli_usage(verb, msg);
	return -1;
}

/* JSON as kubectl (Go's json.MarshalIndent) lays it out: 4-space indents. */
static void json_indent(gc_buf *out, const cJSON *v, int depth)
{
	const cJSON *m;
	char *scalar;

	if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child) {
		bool obj = cJSON_IsObject(v);

		gc_buf_addch(out, obj ? '{' : '[');
		for (m = v->child; m; m = m->next) {
			gc_buf_addf(out, "\n%*s", 4 * (depth + 1), "");
			if (obj) {
				scalar = cJSON_PrintUnformatted(
					&(cJSON){ .type = cJSON_String,
						  .valuestring = m->string });
				if (!scalar)
					GC_BUG("cJSON allocation failed");
				gc_buf_addf(out, "%s: ", scalar);
				free(scalar);
			}
			json_indent(out, m, depth + 1);
			if (m->next)
				gc_buf_addch(out, ',');
		}
		gc_buf_addf(out, "\n%*s%c", 4 * depth, "", obj ? '}' : ']');
		return;
	}
	if (!(scalar = cJSON_PrintUnformatted(v)))
		GC_BUG("cJSON allocation failed");
	gc_buf_adds(out, scalar);
	free(scalar);
}

int gc_cli_print_object(const char *output, const cJSON *obj, gc_error *err)
{
	gc_buf out = GC_BUF_INIT;
	int error = 0;

	if (!strcmp(output, "yaml")) {
		error = gc_yaml_emit(&out, &obj, 1, err);
	} else {
		json_indent(&out, obj, 0);
		gc_buf_addch(&out, '\n');
	}
	if (error == 0)
		fputs(out.ptr, stdout);
	gc_buf_release(&out);
	return error;
}
