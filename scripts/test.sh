#!/usr/bin/env bash
# The test command: installs what is missing, fetches the real-model corpus, builds, exports the
# benchmark models the interop tests compare against ONNX Runtime, runs every test with CTest, then runs them all again under
# AddressSanitizer + UndefinedBehaviorSanitizer and each libFuzzer target for a bounded time
# (scripts/test-hardening.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/install-deps.sh"
# The third-party real-model corpus (cached in .cache/real-models; a no-op once fetched).
"$here/scripts/fetch_models.sh"
"$here/scripts/build.sh" "$here/build"
if [ -f "$here/scripts/export_bench_models.py" ]; then
  /usr/bin/python3 "$here/scripts/export_bench_models.py" "$here/.cache/models"
fi
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)" --timeout 3000)
"$here/scripts/test-hardening.sh"
