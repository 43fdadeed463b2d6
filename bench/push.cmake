# push_bench: push -> deploy commit through the GitHub receiver and through
# --poll 1s, side by side, and the HTTP server's memory (issue 13).
add_executable(push_bench ${CMAKE_CURRENT_SOURCE_DIR}/push_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(push_bench PRIVATE gc_reconciler)
target_include_directories(push_bench PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_definitions(push_bench PRIVATE
	GC_BINARY="$<TARGET_FILE:gitcanary>")
add_dependencies(push_bench gitcanary)
gc_target_warnings(push_bench)
