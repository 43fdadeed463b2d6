# libFuzzer targets (tests/fuzz/fuzz.h), only with -DGC_BUILD_FUZZERS=ON and
# clang; scripts/fuzz.sh builds and runs them.
if(GC_BUILD_FUZZERS)
	foreach(t yaml validate render template response receivers)
		add_executable(fuzz_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c)
		target_link_libraries(fuzz_${t} PRIVATE gc_reconciler)
		target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
		target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
		gc_target_warnings(fuzz_${t})
	endforeach()
endif()
