# repo-layout/git.c: commits' trees edited as raw objects, against git write-tree.
gc_add_test(repo-layout git_tree LIBS gc_layout)
# repo-layout/git_pack.c: every commit as one pack, big trees in stored blocks,
# small packs merged, the push sending all of it.
gc_add_test(repo-layout git_pack LIBS gc_layout LABEL integration)
