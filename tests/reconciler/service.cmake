# gitcanary run as a service: the push receivers' and readiness verdicts
# (pure), and the server of the daemon against a real bare remote.
gc_add_test(reconciler receivers LIBS gc_reconciler)
gc_add_test(reconciler service LIBS gc_reconciler PkgConfig::CURL LABEL integration TIMEOUT 300)
