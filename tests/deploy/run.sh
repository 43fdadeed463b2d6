#!/bin/sh
# Builds deploy/, deploy/sharded and an overlay of deploy/ with `kubectl
# kustomize` (or kustomize v5), checks that the deploy/signing component adds
# exactly the signing key's variable, mount and volume to either, validates every object against the upstream Kubernetes and Prometheus
# Operator schemas (tests/schema/validate.mjs) and checks what the schemas
# cannot (tests/schema/deploy.mjs). Exits 77 (ctest: skipped) when kubectl
# and kustomize, node or the npm packages of tests/schema are missing.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
schema=$src/tests/schema
if command -v kustomize >/dev/null 2>&1; then
	build() { kustomize build "$1"; }
elif command -v kubectl >/dev/null 2>&1; then
	build() { kubectl kustomize "$1"; }
else
	echo "deploy: neither kubectl nor kustomize on PATH; skipped" >&2
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build "$src/deploy" >"$out/deploy.yaml"
build "$src/deploy/sharded" >"$out/sharded.yaml"
# deploy/signing over each: what it adds, and nothing else.
want='>         - name: GITCANARY_SIGNING_KEY
>           value: /etc/gitcanary/signing/key
>         - mountPath: /etc/gitcanary/signing
>           name: signing
>           readOnly: true
>       - name: signing
>         secret:
>           defaultMode: 288
>           secretName: gitcanary-signing'
for base in deploy sharded; do
	dir=$src/deploy
	[ "$base" = deploy ] || dir=$src/deploy/$base
	mkdir -p "$out/signing-$base"
	printf 'resources:\n  - %s\ncomponents:\n  - %s\n' \
		"$(realpath --relative-to="$out/signing-$base" "$dir")" \
		"$(realpath --relative-to="$out/signing-$base" "$src/deploy/signing")" \
		>"$out/signing-$base/kustomization.yaml"
	build "$out/signing-$base" >"$out/signing-$base.yaml"
	got=$(diff "$out/$base.yaml" "$out/signing-$base.yaml" | grep '^[<>]' || true)
	if [ "$got" != "$want" ]; then
		printf 'deploy/signing over %s adds:\n%s\n' "$base" "$got" >&2
		exit 1
	fi
done
if ! command -v node >/dev/null 2>&1 ||
	[ ! -d "$schema/node_modules/@kubernetes-models/prometheus-operator" ]; then
	echo "deploy: node or tests/schema/node_modules missing; run 'npm install' in tests/schema; skipped" >&2
	exit 77
fi
# An overlay of a user's, as docs/operations.md shows one.
mkdir "$out/overlay"
cat >"$out/overlay/kustomization.yaml" <<EOF
resources:
  - $(realpath --relative-to="$out/overlay" "$src/deploy")
configMapGenerator:
  - name: gitcanary
    behavior: merge
    literals:
      - GIT_URL=ssh://git@git.example.com/org/fleet.git
      - METRICS_SERVER=http://prometheus-operated.monitoring:9090
images:
  - name: gitcanary
    newName: registry.example.com/platform/gitcanary
    newTag: 0.1.1
EOF
build "$out/overlay" >"$out/overlay.yaml"
node "$schema/validate.mjs" "$out/deploy.yaml" "$out/sharded.yaml" "$out/overlay.yaml"
node "$schema/deploy.mjs" "$out/deploy.yaml" "$out/sharded.yaml" "$out/overlay.yaml"
