# End to end (tests/e2e/test_e2e.c, driven by tests/e2e/e2e.sh on
# scripts/playground.sh): one ctest entry per scenario, selected with
# CK_RUN_CASE, so `ctest -j2` runs them in parallel. Each starts a real
# Prometheus, gitcanary-sim and `gitcanary run`.
set(GC_E2E_SCENARIOS success rollback template404 ab bluegreen gate)
add_executable(test_e2e e2e/test_e2e.c)
target_link_libraries(test_e2e PRIVATE gc_test_harness gc_layout)
target_compile_definitions(test_e2e PRIVATE GC_BUILD_DIR="${CMAKE_BINARY_DIR}")
gc_target_warnings(test_e2e)
add_dependencies(test_e2e gitcanary gitcanary-sim)
foreach(scenario ${GC_E2E_SCENARIOS})
	add_test(NAME e2e.${scenario} COMMAND test_e2e)
	set_tests_properties(e2e.${scenario} PROPERTIES
		LABELS e2e TIMEOUT 300 ENVIRONMENT CK_RUN_CASE=${scenario})
endforeach()
