#!/usr/bin/env bash
# Set up, build and (with `test`) run the whole test suite, on a fresh Debian 12 machine.
#   tools/build.sh          install what is missing, build build/ctana
#   tools/build.sh test     ... and run every test (warnings are errors)
# Environment: BUILD_DIR (default build), CTANA_SANITIZE=1 for an ASan+UBSan build,
# CTANA_FUZZ=1 to build with clang and the libFuzzer targets too (tools/fuzz.sh can then run
# them from this build directory without building the library again).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-build}
build_dir=${BUILD_DIR:-build}

tools/deps.sh "$mode"
[ "${CTANA_FUZZ:-0}" = 1 ] && tools/deps.sh fuzz

cmake_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "$mode" = test ]; then cmake_args+=(-DCTANA_WERROR=ON -DCTANA_TESTS=ON); else cmake_args+=(-DCTANA_TESTS=OFF); fi
[ "${CTANA_SANITIZE:-0}" = 1 ] && cmake_args+=(-DCTANA_SANITIZE=ON)
if [ "${CTANA_FUZZ:-0}" = 1 ]; then
  export CC=clang CXX=clang++
  cmake_args+=(-DCTANA_FUZZ=ON)
fi
cmake "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

if [ "$mode" = test ]; then
  tools/fetch-tcpdump-tests.sh   # the tcpdump project's test captures, for the robustness test
  ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
fi
