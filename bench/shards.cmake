add_executable(shards_bench ${CMAKE_CURRENT_SOURCE_DIR}/shards_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench_loop.c)
target_link_libraries(shards_bench PRIVATE gc_reconciler)
target_include_directories(shards_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(shards_bench)
