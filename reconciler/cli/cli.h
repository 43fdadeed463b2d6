#ifndef GC_RECONCILER_CLI_H
#define GC_RECONCILER_CLI_H

#include "repo-layout/source.h"

/* Exit codes of every command (design brief). */
enum gc_exit { GC_EXIT_OK = 0, GC_EXIT_FAILURE = 1, GC_EXIT_USAGE = 2 };

/* One per subcommand, in reconciler/cmd_<verb>.c; argv[0] is the verb. */
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

/* Prints "gitcanary <verb>: <msg>" to stderr and returns GC_EXIT_USAGE. */
int gc_cli_usage(const char *verb, const char *msg);

/*
 * Option parsing: matches `--opt VALUE` or `--opt=VALUE` at argv[*i]
 * (advancing *i past a separate value); 1 when matched, 0 when argv[*i] is
 * another option, -1 when the value is missing.
 */
int gc_cli_take(const char **out, const char *opt, int argc, char **argv,
		int *i);

/* One `--name VALUE` option of a command and where its value goes. */
typedef struct gc_cli_opt {
	const char *name;  /* "--repo" */
	const char *alias; /* "-n", or NULL */
	const char **value;
} gc_cli_opt;

/*
 * Parses argv[1..] for `verb`: every argument is one of opts (ended by an
 * entry with a NULL name), or, when positional is not NULL, the one bare
 * argument it receives. Returns 0 to go on, or -1 to stop with *rc the
 * exit code: GC_EXIT_OK after printing usage for `--help`/`-h`,
 * GC_EXIT_USAGE after printing the problem as gc_cli_usage does.
 */
int gc_cli_parse(const char *verb, const char *usage, const gc_cli_opt *opts,
		 const char **positional, int argc, char **argv, int *rc);

/*
 * The source of a read-only command: -1 with *rc = GC_EXIT_USAGE (printed)
 * when --dir is combined with --repo or --ref; otherwise 0, and repo
 * defaults to "." when no directory is given.
 */
int gc_cli_source(const char *verb, const char *dir, const char **repo,
		  const char *ref, int *rc);

/*
 * Loads the manifests every read-only command works on: a plain directory
 * (dir != NULL), or the commit `ref` (NULL = HEAD / the remote's HEAD
 * branch) of the repository or URL `repo`.
 */
int gc_cli_load(gc_index **idx, const char *repo, const char *ref,
		const char *dir, const gc_source_opts *opts, gc_error *err);

#endif
