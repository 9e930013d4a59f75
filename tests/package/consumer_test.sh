#!/usr/bin/env bash
# The installed C++ package from outside (run by CTest as package.consumer):
#   1. `cmake --install` of the build into a fresh prefix (the cpp component);
#   2. each public header compiled alone against that prefix, its include list checked for
#      oneDNN, protobuf and ONNX headers (none may leak through the public API);
#   3. tests/package/consumer configured with find_package(octet), built, and run on the
#      bundled model, quantizing it and running FP32 and INT8.
#   consumer_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
build="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" --component cpp >/dev/null
test -n "$(find "$prefix" -name octetConfig.cmake)" || { echo "no octetConfig.cmake under $prefix"; exit 1; }

cxx="${CXX:-c++}"
leaks=0
for header in "$prefix"/include/octet/*.hpp; do
  name="octet/$(basename "$header")"
  # -M lists every header the translation unit reads, system ones included.
  if ! deps="$(echo "#include \"$name\"" | "$cxx" -std=c++20 -I"$prefix/include" -x c++ -M - 2>&1)"; then
    echo "$name does not compile alone:"; echo "$deps"; exit 1
  fi
  if bad="$(echo "$deps" | tr ' \\' '\n\n' | grep -E 'dnnl|oneapi|google/protobuf|/onnx/|opencv|nlohmann')"; then
    echo "$name pulls in a dependency's headers:"; echo "$bad"; leaks=1
  fi
done
((leaks == 0)) || exit 1

cmake -S "$source_dir/tests/package/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer" "$source_dir/models/fmnist_resnet.onnx" "$work/resnet_int8.onnx"
