# /metrics: the registry and its exposition (promtool lints a scrape).
gc_add_test(reconciler metrics LIBS gc_reconciler)
target_include_directories(test_reconciler_metrics PRIVATE ${CMAKE_BINARY_DIR}/reconciler)
