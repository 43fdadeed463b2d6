# /metrics through releases: the loop in process, a real Prometheus for its
# metric checks, the series read back through gc_metrics_write.
gc_add_test(reconciler loop_metrics LIBS gc_reconciler PkgConfig::MHD LABEL integration TIMEOUT 300)
