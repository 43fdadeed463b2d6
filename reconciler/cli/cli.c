#include "reconciler/cli/cli.h"

#include <stdio.h>
#include <string.h>

int gc_cli_usage(const char *verb, const char *msg)
{
	fprintf(stderr, "gitcanary %s: %s\n", verb, msg);
	return GC_EXIT_USAGE;
}

int gc_cli_take(const char **out, const char *opt, int argc, char **argv,
		int *i)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

/* Takes argv[*i] as one of opts: gc_cli_take's 1, 0 or -1. */
static int take_opt(const gc_cli_opt *opts, int argc, char **argv, int *i)
{
	int r = 0;

	for (; opts->name && !r; opts++) {
		r = gc_cli_take(opts->value, opts->name, argc, argv, i);
		if (!r && opts->alias)
			r = gc_cli_take(opts->value, opts->alias, argc, argv,
					i);
	}
	return r;
}

int gc_cli_parse(const char *verb, const char *usage, const gc_cli_opt *opts,
		 const char **positional, int argc, char **argv, int *rc)
{
	char msg[256];
	int r;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			*rc = GC_EXIT_OK;
			return -1;
		}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (positional && !*positional && arg[0] != '-') {
			*positional = arg;
			continue;
		}
		if ((r = take_opt(opts, argc, argv, &i)) > 0)
			continue;
		if (r < 0)
			snprintf(msg, sizeof(msg), "option '%s' needs a value",
				 arg);
		else
			snprintf(msg, sizeof(msg),
				 "unknown argument '%s'; see --help", arg);
		*rc = gc_cli_usage(verb, msg);
		return -1;
	}
	return 0;
}

int gc_cli_source(const char *verb, const char *dir, const char **repo,
		  const char *ref, int *rc)
{
	if (dir && (*repo || ref)) {
		*rc = gc_cli_usage(
			verb, "--dir cannot be combined with --repo or --ref");
		return -1;
	}
	if (!dir && !*repo)
		*repo = ".";
	return 0;
}

int gc_cli_load(gc_index **idx, const char *repo, const char *ref,
		const char *dir, const gc_source_opts *opts, gc_error *err)
{
	gc_git *git = NULL;
	char commit[GC_OID_HEX];
	int error;

	if (dir)
		return gc_source_load_dir(idx, dir, opts, err);
	if ((error = gc_git_open(&git, repo ? repo : ".", NULL, err)) < 0 ||
	    (error = gc_git_resolve(commit, git, ref, err)) < 0)
		goto cleanup;
	error = gc_source_load_git(idx, git, commit, opts, err);
cleanup:
	gc_git_free(git);
	return error;
}
