# checks_bench: one round of 10,000 canaries x 2 metrics against a real
# Prometheus (docs/benchmarks.md ## checks). Uses the test harness.
add_executable(checks_bench ${CMAKE_CURRENT_SOURCE_DIR}/checks_bench.c)
target_link_libraries(checks_bench PRIVATE gc_reconciler gc_test_harness)
gc_target_warnings(checks_bench)
