# The reconcile loop's caches: a long-lived loop against a fresh one.
gc_add_test(reconciler loop_cache LIBS gc_reconciler PkgConfig::MHD LABEL integration TIMEOUT 300)
