# -DGC_SANITIZE=address,undefined
if(GC_SANITIZE)
	add_compile_options(-fsanitize=${GC_SANITIZE} -fno-sanitize-recover=all
		-fno-omit-frame-pointer -g)
	add_link_options(-fsanitize=${GC_SANITIZE})
endif()
# -DGC_BUILD_FUZZERS=ON: coverage for libFuzzer in every library
if(GC_BUILD_FUZZERS)
	add_compile_options(-fsanitize=fuzzer-no-link)
endif()
