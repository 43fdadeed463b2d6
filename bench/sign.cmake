add_executable(sign_bench ${CMAKE_CURRENT_SOURCE_DIR}/sign_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(sign_bench PRIVATE gc_reconciler)
target_include_directories(sign_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(sign_bench)
