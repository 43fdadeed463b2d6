gc_add_test(reconciler validate LIBS gc_reconciler LABEL integration TIMEOUT 300)
# The option parser of every command, and the version, through the binary.
gc_add_test(reconciler cli LIBS gc_reconciler)
target_compile_definitions(test_reconciler_cli PRIVATE
	GC_TEST_VERSION="${PROJECT_VERSION}")
