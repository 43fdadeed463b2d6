gc_add_test(repo-layout parse_ahead LIBS gc_layout)
