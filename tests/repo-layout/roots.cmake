# repo-layout/roots.c and source.c: roots and builds as Flux builds them.
gc_add_test(repo-layout roots LIBS gc_layout)
