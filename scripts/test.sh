#!/usr/bin/env bash
# Build and run the whole test suite (unit, gradient, statistical, CLI and fuzz-corpus tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LRNN_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" -DLRNN_WERROR=ON "$@"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
