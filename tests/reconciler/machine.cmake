# The release state machine, the status file format and `gitcanary plan`.
gc_add_test(reconciler status LIBS gc_reconciler)
gc_add_test(reconciler machine LIBS gc_reconciler)
gc_add_test(reconciler plan LIBS gc_reconciler)
