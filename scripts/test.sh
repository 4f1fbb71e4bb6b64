#!/usr/bin/env bash
# Build and run the whole test suite (unit, gradient, statistical, CLI and fuzz-corpus tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LRNN_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" -DLRNN_WERROR=ON "$@"
cd "$build"
# LRNN_CTEST_ARGS: extra ctest arguments, e.g. "-LE slow" to skip the long fits.
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" ${LRNN_CTEST_ARGS:-}
