#!/usr/bin/env bash
# The test command: installs what is missing, builds, exports the benchmark models the interop
# tests compare against ONNX Runtime, and runs every test with CTest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh" "$here/build"
if [ -f "$here/scripts/export_bench_models.py" ]; then
  /usr/bin/python3 "$here/scripts/export_bench_models.py" "$here/.cache/models"
fi
cd "$here/build"
ctest --output-on-failure -j "$(nproc)" --timeout 3000
