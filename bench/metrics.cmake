# metrics_bench: a scrape of /metrics, the registry's memory and what the
# instrumentation adds to an idle tick, at 1,000 and 10,000 canaries
# (docs/benchmarks.md ## metrics).
add_executable(metrics_bench ${CMAKE_CURRENT_SOURCE_DIR}/metrics_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(metrics_bench PRIVATE gc_reconciler)
target_include_directories(metrics_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(metrics_bench)
