add_executable(render_bench ${CMAKE_CURRENT_SOURCE_DIR}/render_bench.c)
target_link_libraries(render_bench PRIVATE gc_render gc_layout PkgConfig::YAML)
target_include_directories(render_bench PRIVATE ${CMAKE_SOURCE_DIR})
gc_target_warnings(render_bench)
