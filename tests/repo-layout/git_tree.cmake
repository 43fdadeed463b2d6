# repo-layout/git.c: commits' trees edited as raw objects, against git write-tree.
gc_add_test(repo-layout git_tree LIBS gc_layout)
# repo-layout/git_pack.c: a big commit as one pack, a small one loose with
# big trees in stored blocks, the push sending all of it.
gc_add_test(repo-layout git_pack LIBS gc_layout LABEL integration)
