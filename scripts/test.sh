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
# The install list must cover every file the build read (a fresh machine has nothing else),
# and the check must notice a package missing from it.
/usr/bin/python3 "$here/scripts/check_install_list.py" "$here/build"
if /usr/bin/python3 "$here/scripts/check_install_list.py" "$here/build" --drop libdnnl-dev 2>/dev/null; then
  echo "test.sh: check_install_list.py passed with libdnnl-dev left out of the list" >&2
  exit 1
fi
if [ -f "$here/scripts/export_bench_models.py" ]; then
  /usr/bin/python3 "$here/scripts/export_bench_models.py" "$here/.cache/models"
fi
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)" --timeout 3000)
"$here/scripts/test-hardening.sh"
# The sanitizer and fuzz builds read clang's and the sanitizers' files too.
hardening_builds=()
for b in build-asan build-fuzz; do [ -d "$here/$b" ] && hardening_builds+=("$here/$b"); done
if ((${#hardening_builds[@]})); then
  /usr/bin/python3 "$here/scripts/check_install_list.py" "${hardening_builds[@]}"
fi
