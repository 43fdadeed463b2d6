add_executable(render_cli_bench ${CMAKE_CURRENT_SOURCE_DIR}/render_cli_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(render_cli_bench PRIVATE gc_reconciler)
target_include_directories(render_cli_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(render_cli_bench)
