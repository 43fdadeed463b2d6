#ifndef GC_RECONCILER_CLI_H
#define GC_RECONCILER_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "reconciler/loop/loop.h"
#include "reconciler/release/validate.h"
#include "repo-layout/git.h"
#include "repo-layout/source.h"

/* Exit codes of every command (design brief). */
enum gc_exit { GC_EXIT_OK = 0, GC_EXIT_FAILURE = 1, GC_EXIT_USAGE = 2 };

/* One per subcommand, in reconciler/cli/cmd_<verb>.c; argv[0] is the verb. */
typedef int (*gc_cmd_fn)(int argc, char **argv);

typedef struct gc_cmd {
	const char *name;
	gc_cmd_fn fn;
	const char *help;
} gc_cmd;

int cmd_validate(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* "0.1.0", or "0.1.0 (<git describe --always --dirty>)" from a checkout. */
const char *gc_cli_version(void);

/* Prints "gitcanary <verb>: <msg>" to stderr and returns GC_EXIT_USAGE. */
int gc_cli_usage(const char *verb, const char *msg);

/*
 * Prints "gitcanary <verb>: <err formatted>" to stderr, releases err and
 * returns GC_EXIT_FAILURE.
 */
int gc_cli_fail(const char *verb, gc_error *err);

/* What an option stores, and where (gc_cli_opt.to). */
typedef enum gc_cli_kind {
	GC_CLI_VALUE, /* --name VALUE or --name=VALUE: const char *  */
	GC_CLI_FLAG,  /* --name: bool, set to true */
	GC_CLI_LIST   /* repeatable --name VALUE: appended to a
		       * NULL-terminated const char *[max + 1] */
} gc_cli_kind;

/* One option of a command; a table ends with a NULL name. */
typedef struct gc_cli_opt {
	const char *name; /* long name without the dashes: "repo" */
	char alias;       /* short name ('n' for -n), or 0 */
	gc_cli_kind kind;
	void *to;   /* borrowed: where the value goes */
	size_t max; /* GC_CLI_LIST: room in `to`, without the NULL */
} gc_cli_opt;

/* Most options a table may have (each helper's own ones included). */
#define GC_CLI_MAX_OPTS 64

/*
 * The one option parser (getopt_long): parses argv[1..] for `verb`
 * against opts. Every command also takes -h/--help and -v/--verbose
 * (repeatable; one lowers the log level to debug). An option's value is
 * the next argument whatever it looks like (`--repo --help` is a repo
 * named "--help"); long options may be abbreviated when unambiguous; "--"
 * ends the options. A bare argument goes to *positional when that is
 * not NULL and still unset, else it is an error.
 *
 * Returns 0 to go on, or -1 to stop with *rc the exit code: GC_EXIT_OK
 * after printing `usage` to stdout when --help was given (even after
 * another error), GC_EXIT_USAGE after printing the first problem as
 * gc_cli_usage does. Values are pointers into argv.
 */
int gc_cli_parse(const char *verb, const char *usage, const gc_cli_opt *opts,
		 const char **positional, int argc, char **argv, int *rc);

/* Where the manifests of a read-only command come from. */
typedef struct gc_cli_source_args {
	const char *repo, *ref, *dir, *default_ns;
	const char *paths[GC_SOURCE_MAX_PATHS + 1]; /* --path, NULL-ended */
	const char *kustomize_command;
	const char *flux_source;
} gc_cli_source_args;

/* The help of the options that say how the source is built. */
#define GC_CLI_ROOTS_HELP                                                                   \
	"  --path DIR               a root to build, as a Flux Kustomization's spec.path\n" \
	"                           (repeatable); default the repository root, or the\n"    \
	"                           paths of the Flux Kustomizations of the source\n"       \
	"  --kustomize-command CMD  kustomize to run for overlays; default `kustomize\n"    \
	"                           build` when on PATH, else `kubectl kustomize`\n"        \
	"  --flux-source [NS/]NAME  the GitRepository that is this repository, for the\n"   \
	"                           sourceRef of Flux Kustomizations; default\n"            \
	"                           flux-system/flux-system\n"

/*
 * gc_cli_parse for validate, render and plan: --repo, --ref, --dir,
 * --path, --kustomize-command and --default-namespace into *src, then the
 * command's own options `extra`.
 * --dir combined with --repo or --ref is a usage error; otherwise repo
 * defaults to "." when no directory is given.
 */
int gc_cli_parse_source(gc_cli_source_args *src, const char *verb,
			const char *usage, const gc_cli_opt *extra, int argc,
			char **argv, int *rc);

/*
 * validate's checks of a loaded index, the one set `validate` and `render`
 * run: the index's own problems (parse errors, duplicates) then every
 * flagger.app object's (reconciler/release/validate.h), calling cb (may be
 * NULL) after each Canary. *canaries counts the Canaries checked. Printed
 * by gc_cli_print_problems as path:line:column: [warning: ]message on
 * stderr, sorted, each once; the number of errors is returned.
 */
void gc_cli_check(gc_problems *out, size_t *canaries, gc_index *idx,
		  gc_validate_canary_cb cb, void *payload);
size_t gc_cli_print_problems(gc_problems *p);

/*
 * Loads the manifests every read-only command works on: a plain directory
 * (src->dir != NULL), or the commit src->ref (NULL = HEAD / the remote's
 * HEAD branch) of the repository or URL src->repo; src's roots and
 * kustomize command go into opts. With opts->trees_on_demand the index
 * reads files again from the repository: *git gets it (owned, NULL for a
 * directory), to be freed after the index.
 */
int gc_cli_load(gc_index **idx, gc_git **git, const gc_cli_source_args *src,
		const gc_source_opts *opts, gc_error *err);

/* The options of `reconcile` and `run`: the loop's, and what they own. */
typedef struct gc_cli_loop_args {
	gc_loop_opts opts; /* strings borrow argv and the fields below */
	char *author_name, *author_email;       /* owned */
	char *committer_name, *committer_email; /* owned */
	char *token; /* owned: --token-file's content; zeroed on release */
} gc_cli_loop_args;

/*
 * gc_cli_parse for `reconcile` and `run`: the loop's flags (their help
 * follows `usage`) into a->opts, then the command's own options `extra`.
 * Checks --author, --committer and --min-interval, reads --token-file, and
 * takes $EVENT_WEBHOOK_URL when --event-webhook is not given. Release `a`
 * with gc_cli_loop_args_release whatever this returns.
 */
int gc_cli_parse_loop(gc_cli_loop_args *a, const char *verb, const char *usage,
		      const gc_cli_opt *extra, int argc, char **argv, int *rc);
void gc_cli_loop_args_release(gc_cli_loop_args *a);

/*
 * Opens the repository `repo` (NULL = ".") and resolves its deploy branch
 * (NULL = "deploy") into commit; *git is owned by the caller on success.
 * In a clone without a local branch of that name, the remote-tracking
 * branch refs/remotes/origin/<branch> is read; "origin/deploy" names
 * refs/remotes/origin/deploy. Shared by get and describe.
 */
int gc_cli_open_deploy(gc_git **git, char commit[GC_OID_HEX], const char *repo,
		       const char *branch, gc_error *err);

/*
 * Checks `output` (NULL = the table) against the -o values get and
 * describe take: "json", "yaml", and "wide" when wide is true. Returns 0,
 * or -1 with *rc = GC_EXIT_USAGE after printing the problem.
 */
int gc_cli_check_output(const char *verb, const char *output, bool wide,
			int *rc);

/*
 * Prints obj to stdout as -o json (kubectl's layout: 4-space indents) or
 * -o yaml (gc_yaml_emit).
 */
int gc_cli_print_object(const char *output, const cJSON *obj, gc_error *err);

#endif
