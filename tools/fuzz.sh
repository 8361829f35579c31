#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a bounded time, seeded
# with the traces in testdata/. A crash leaves its input in fuzz/crashes/ (add it to testdata/
# and a test once fixed).
#   tools/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCTANA_FUZZ=ON -DCTANA_SANITIZE=ON -DCTANA_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_trace fuzz_packet
mkdir -p fuzz/crashes
status=0
for t in fuzz_trace fuzz_packet; do
  corpus="$build/corpus-$t"
  mkdir -p "$corpus"
  if [ "$t" = fuzz_trace ]; then
    find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k -exec cp {} "$corpus"/ \;
  fi
  echo "== $t: ${secs}s"
  if ! "$build/$t" "$corpus" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=fuzz/crashes/ -print_final_stats=1 2>"$build/$t.log"; then
    status=1
    echo "$t: FOUND A PROBLEM, see $build/$t.log and fuzz/crashes/"
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" "$build/$t.log" | tail -3
done
exit $status
