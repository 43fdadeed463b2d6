# deploy/: the kustomize builds of deploy/ and deploy/sharded, validated
# against the upstream schemas and checked (tests/deploy/run.sh). The image
# test, deploy/image/test.sh, needs root and Debian's mirror: .ci/run.
add_test(NAME deploy.kustomize COMMAND ${CMAKE_SOURCE_DIR}/tests/deploy/run.sh)
set_tests_properties(deploy.kustomize PROPERTIES LABELS integration TIMEOUT 120
	SKIP_RETURN_CODE 77)
