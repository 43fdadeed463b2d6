add_executable(loop_bench ${CMAKE_CURRENT_SOURCE_DIR}/loop_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(loop_bench PRIVATE gc_reconciler)
target_include_directories(loop_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(loop_bench)
