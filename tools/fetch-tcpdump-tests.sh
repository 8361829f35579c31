#!/usr/bin/env bash
# Fetch the tcpdump project's test captures (hundreds of real and deliberately malformed pcap/pcapng
# files, many of them crash reproducers) from Debian's source package, into .cache/tcpdump-tests/.
# Uses a private apt state directory: the system's package lists are not touched.
#   tools/fetch-tcpdump-tests.sh [DEST]
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/tcpdump-tests}
if [ -n "$(ls "$dest"/*.pcap 2>/dev/null | head -1)" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
# The system's binary sources, turned into source-package sources.
srcs=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)
if [ -n "$srcs" ]; then
  sed 's/^Types: deb$/Types: deb-src/' "$srcs" > "$work/sources.sources"
  list_opt=(-o "Dir::Etc::SourceList=$work/sources.sources")
else
  sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$work/sources.list"
  list_opt=(-o "Dir::Etc::SourceList=$work/sources.list")
fi
apt_opts=("${list_opt[@]}" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists"
          -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root -qq)
for try in 1 2 3; do
  if apt-get "${apt_opts[@]}" update && (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only tcpdump); then
    break
  fi
  [ "$try" = 3 ] && { echo "fetch-tcpdump-tests: could not download tcpdump's source package" >&2; exit 1; }
  sleep 5
done
tar -C "$work/src" -xzf "$work"/src/tcpdump_*.orig.tar.gz
mkdir -p "$dest"
cp "$work"/src/tcpdump-*/tests/*.pcap "$work"/src/tcpdump-*/tests/*.pcapng "$dest"/ 2>/dev/null || true
echo "fetch-tcpdump-tests: $(ls "$dest" | wc -l) captures in $dest"
