# repo-layout/source.c gc_source_update_git: an updated index equals a full load.
gc_add_test(repo-layout source_update LIBS gc_layout)
