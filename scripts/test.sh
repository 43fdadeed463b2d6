#!/usr/bin/env bash
# Builds everything and runs every test (unit, integration, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [ -f tests/schema/package.json ]; then
	(cd tests/schema && npm install --no-audit --no-fund --silent)
fi
cd build
status=0
ctest --output-on-failure -j"$(nproc)" || status=$?
# Check's own summary line of every suite, then ctest's verdict.
grep -h -E '^[0-9]+%: Checks: ' Testing/Temporary/LastTest.log || true
exit $status
