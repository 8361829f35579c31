#!/usr/bin/env bash
# Set up, build and (with `test`) run the whole test suite, on a fresh Debian 12 machine.
#   tools/build.sh          install what is missing, build build/ctana
#   tools/build.sh test     ... and run every test (warnings are errors)
# Environment: BUILD_DIR (default build), CTANA_SANITIZE=1 for an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-build}
build_dir=${BUILD_DIR:-build}

# Build dependencies, the test oracles (tshark) the cross-check test compares against, and the
# JSON Schema validator of the schema test.
packages=(cmake make g++ pkg-config python3 libpcap-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libabsl-dev)
[ "$mode" = test ] && packages+=(libgtest-dev tshark python3-jsonschema)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tools/build.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake_args=(-S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "$mode" = test ]; then cmake_args+=(-DCTANA_WERROR=ON -DCTANA_TESTS=ON); else cmake_args+=(-DCTANA_TESTS=OFF); fi
[ "${CTANA_SANITIZE:-0}" = 1 ] && cmake_args+=(-DCTANA_SANITIZE=ON)
cmake "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

if [ "$mode" = test ]; then
  tools/fetch-tcpdump-tests.sh   # the tcpdump project's test captures, for the robustness test
  ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
fi
