add_executable(git_bench ${CMAKE_CURRENT_SOURCE_DIR}/git_bench.c
	${CMAKE_CURRENT_SOURCE_DIR}/bench.c)
target_link_libraries(git_bench PRIVATE gc_layout)
target_include_directories(git_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(git_bench)
