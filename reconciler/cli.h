#ifndef GC_RECONCILER_CLI_H
#define GC_RECONCILER_CLI_H

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

#endif
