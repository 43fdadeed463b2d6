#!/usr/bin/env bash
# Configures and builds everything into build/ (GC_WERROR=ON for -Werror).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DGC_WERROR="${GC_WERROR:-OFF}" >/dev/null
cmake --build build -j"$(nproc)"
