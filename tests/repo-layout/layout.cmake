gc_add_test(repo-layout layout LIBS gc_layout)
