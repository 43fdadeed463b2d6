add_executable(roots_bench ${CMAKE_CURRENT_SOURCE_DIR}/roots_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(roots_bench PRIVATE gc_reconciler)
target_include_directories(roots_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(roots_bench)
