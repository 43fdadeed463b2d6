# render/: golden tests, the CLI, and schema validation of every golden.
gc_add_test(render render LIBS gc_render gc_layout)
gc_add_test(render cmd_render LIBS gc_util LABEL integration)
find_program(GC_NODE node)
if(GC_NODE)
	add_test(NAME render.schema
		COMMAND ${CMAKE_SOURCE_DIR}/tests/schema/run.sh ${CMAKE_SOURCE_DIR}/tests/fixtures/render)
	set_tests_properties(render.schema PROPERTIES LABELS unit TIMEOUT 120
		SKIP_RETURN_CODE 77)
endif()
