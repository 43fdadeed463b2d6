# repo-layout/git.c: commits' trees edited as raw objects, against git write-tree.
gc_add_test(repo-layout git_tree LIBS gc_layout)
