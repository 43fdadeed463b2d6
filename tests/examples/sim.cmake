# examples/sim: gitcanary-sim in-process (model, traffic, scenario) and as a
# process against a git repository, scraped with curl.
gc_add_test(examples sim LIBS gc_sim LABEL integration TIMEOUT 120)
target_compile_definitions(test_examples_sim PRIVATE
	GC_SIM_BINARY="$<TARGET_FILE:gitcanary-sim>")
add_dependencies(test_examples_sim gitcanary-sim)
