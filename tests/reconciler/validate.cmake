gc_add_test(reconciler validate LIBS gc_reconciler LABEL integration TIMEOUT 300)
