# The checks runner: Prometheus metric checks, webhooks and their scheduling.
target_link_libraries(gc_test_harness PUBLIC PkgConfig::MHD PkgConfig::CRYPTO)
gc_add_test(reconciler prometheus LIBS gc_reconciler gc_layout LABEL integration TIMEOUT 180)
gc_add_test(reconciler webhook LIBS gc_reconciler LABEL integration TIMEOUT 120)
gc_add_test(reconciler checks LIBS gc_reconciler LABEL integration TIMEOUT 120)
gc_add_test(reconciler event_hooks LIBS gc_reconciler LABEL integration TIMEOUT 60)
# Alerts: Flagger's notifier payloads, and their delivery to real servers.
gc_add_test(reconciler notifier LIBS gc_reconciler)
gc_add_test(reconciler alerts LIBS gc_reconciler gc_layout)
gc_add_test(reconciler alert_hooks LIBS gc_reconciler LABEL integration TIMEOUT 60)
