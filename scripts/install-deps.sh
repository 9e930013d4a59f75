#!/usr/bin/env bash
# Installs everything octet needs on Debian 12, as root: the compiler toolchain and
# libraries from Debian, the ONNX node tests and Fashion-MNIST data packages, PyTorch for
# the scripts that train and export test models, and ONNX Runtime (npm) as the peer engine.
# Safe to run again; nothing is downloaded at run time after this.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

# ocl-icd-opencl-dev: libdnnl-dev only recommends it, yet Debian's dnnl-config.cmake calls
# find_package(OpenCL), so without it find_package(dnnl) fails on a fresh machine.
# ccache: rebuilds of the same sources (the sanitizer and fuzz builds, a second checkout) hit.
# pybind11-dev, python3-dev: the Python module (python/); python3-pytest runs its tests.
# llvm-14, lld-14: with clang++-14 (the fuzz build) CMake picks llvm-ar-14 and the other
# llvm-*-14 tools when they exist and GNU binutils otherwise; installing them gives every
# machine the same toolchain, and llvm-symbolizer names source lines in sanitizer reports.
packages=(
  build-essential cmake pkg-config ccache
  libdnnl-dev ocl-icd-opencl-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev zlib1g-dev
  libopencv-core-dev libopencv-imgcodecs-dev libopencv-imgproc-dev
  libonnx-testdata dataset-fashion-mnist
  python3-torch python3-torchvision python3-onnx python3-numpy python3-pil
  pybind11-dev python3-dev python3-pytest
  clang-14 libclang-rt-14-dev libomp-14-dev llvm-14 lld-14
)
# --list: print the Debian packages this script installs (scripts/check_install_list.py proves
# the list complete against what the build really reads).
if [ "${1:-}" = --list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
# Node.js and npm: a machine may already carry them from another source (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package), so ask for Debian's only
# when the commands are absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime's CPU engine ships inside the npm package; its install script would download
# from a host that is not reachable, hence --ignore-scripts.
if [ ! -f "$here/peer/node_modules/onnxruntime-node/package.json" ]; then
  (cd "$here/peer" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
