add_executable(rss_bench ${CMAKE_CURRENT_SOURCE_DIR}/rss_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c)
target_link_libraries(rss_bench PRIVATE gc_reconciler)
target_include_directories(rss_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(rss_bench)
