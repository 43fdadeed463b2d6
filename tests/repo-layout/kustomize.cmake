# repo-layout/kustomize.c: builds with the kustomize tool, located.
gc_add_test(repo-layout kustomize LIBS gc_layout)
