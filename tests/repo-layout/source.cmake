gc_add_test(repo-layout source LIBS gc_layout)
