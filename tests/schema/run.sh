#!/bin/sh
# Validates every rendered golden (the .yaml files directly under DIR) against
# the upstream Kubernetes and Istio schemas. Exits 77 (ctest: skipped) when
# the npm packages are not installed: run `npm install` in tests/schema
# (scripts/test.sh does).
here=$(dirname "$0")
if [ ! -d "$here/node_modules/kubernetes-models" ]; then
	echo "tests/schema: node_modules missing; run 'npm install' in tests/schema" >&2
	exit 77
fi
set -- "$1"/*.yaml
exec node "$here/validate.mjs" "$@"
