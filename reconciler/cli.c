#include "cli.h"

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
