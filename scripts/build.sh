#!/usr/bin/env bash
# Configures and builds octet (Release) into ./build, or into $1.
#   build.sh [BUILD_DIR] [--target T]... [CMAKE_ARGS...]
# With --target only those targets are built: the demo builds just `octet`, not the test suite.
# ccache is used when installed; CCACHE_BASEDIR makes a second checkout (CI's clean clone) hit
# the cache of the first.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
targets=()
cmake_args=()
while (($#)); do
  case "$1" in
    --target) targets+=(--target "$2"); shift 2 ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
if command -v ccache >/dev/null 2>&1; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$here}"
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
