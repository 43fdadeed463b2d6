# The reconcile loop end to end: gitcanary reconcile/run/get/describe against
# real git repositories, and the commit message format.
gc_add_test(reconciler loop LIBS gc_reconciler LABEL integration TIMEOUT 600)
gc_add_test(reconciler message LIBS gc_reconciler)
gc_add_test(reconciler loop_alerts LIBS gc_reconciler LABEL integration TIMEOUT 300)
