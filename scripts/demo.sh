#!/usr/bin/env bash
# The main job: build, then validate and render the bundled podinfo example.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
echo "== gitcanary validate --dir examples/podinfo"
./build/reconciler/gitcanary validate --dir examples/podinfo
