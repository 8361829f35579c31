#!/usr/bin/env bash
# Install what a task needs on Debian 12, with apt-get (through sudo when not root), skipping
# what is installed already. Used by tools/build.sh and tools/fuzz.sh.
#   tools/deps.sh build   compilers, CMake and the libraries ctana is built with
#   tools/deps.sh test    ... and the test suite's: GoogleTest, tshark (the oracle the
#                         cross-check compares with), the JSON Schema validator, Chromium
#                         and Firefox (render ctana report's pages headless), poppler-utils
#                         (reads their printed PDF): tests/cli/report_browser.py
#   tools/deps.sh fuzz    ... build, and clang with its libFuzzer and sanitizer runtimes
#   tools/deps.sh bench   ... build, and Google Benchmark (for -DCTANA_BENCH=ON)
#   tools/deps.sh capture what the scripts of tools/capture/ run to make the real-traffic test
#                         captures (servers, clients, tcpdump); the tests need only the captures
set -euo pipefail
packages=(cmake make g++ pkg-config python3 libpcap-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libabsl-dev
          libjs-chart.js)
case "${1:-build}" in
  build) ;;
  test) packages+=(libgtest-dev tshark python3-jsonschema chromium firefox-esr poppler-utils) ;;
  fuzz) packages+=(clang libclang-rt-14-dev) ;;
  bench) packages+=(libbenchmark-dev) ;;
  capture) packages=(python3 tcpdump tshark wireshark-common iproute2 ethtool openssl curl dnsmasq-base dnsutils vsftpd
                     postfix dovecot-imapd dovecot-pop3d slapd ldap-utils postgresql postgresql-client
                     mariadb-server mariadb-client prosody tinyproxy hercules s3270) ;;
  *) echo "usage: tools/deps.sh build|test|fuzz|bench|capture" >&2; exit 1 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tools/deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
