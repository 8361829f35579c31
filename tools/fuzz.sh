#!/usr/bin/env bash
# Build the libFuzzer targets of fuzz/ with clang (ASan + UBSan, warnings as errors) and run
# each for a bounded time, seeded from the traces in testdata/ (tools/fuzz-seeds.py) and the
# regression inputs in testdata/fuzz/<target>/. A problem leaves its input in
# fuzz/crashes/<target>-*; once fixed, add the input to testdata/fuzz/<target>/ (the test suite
# replays that directory, tests/fuzz_replay.cpp). docs/security.md lists the targets.
#   tools/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     default 60 s, every target
# Environment: FUZZ_JOBS targets at once (default 1), BUILD_DIR (default build-fuzz).
# Prints one line per target: time, executions, executions per second, coverage (cov: edges,
# ft: features), and OK or the problem; the same table goes to BUILD_DIR/fuzz-report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
build=${BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
all=(trace packet pcap pcapng ctrace terse ipv4 ipv6 icmp udp tcp ftp dns dhcp tls ipreasm)
for f in src/protocols/*/fuzz_*.cpp; do  # the protocol modules' targets
    [ -e "$f" ] || continue
    n=${f##*/fuzz_}
    all+=("${n%.cpp}")
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

tools/deps.sh fuzz
# A build directory made by `CTANA_SANITIZE=1 CTANA_FUZZ=1 tools/build.sh` (the CI's) is used as
# it is; any other is configured for the fuzz targets alone.
if ! grep -q '^CTANA_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null ||
  ! grep -q '^CTANA_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCTANA_FUZZ=ON -DCTANA_SANITIZE=ON -DCTANA_TESTS=OFF \
    -DCTANA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target fuzz
rm -rf "$build/seeds"
python3 tools/fuzz-seeds.py "$build/seeds" >/dev/null
mkdir -p fuzz/crashes

run_one() {
  local t=$1 corpus="$build/corpus/$t" log="$build/$t.log"
  mkdir -p "$corpus" "testdata/fuzz/$t" "$build/seeds/$t"  # a target tools/fuzz-seeds.py makes no seeds for
  local rc=0 max_len=8192  # decoders: a few packets or messages; small inputs run fast
  case $t in trace | pcap | pcapng | ctrace | terse) max_len=65536 ;; esac
  "$build/fuzz_$t" "$corpus" "$build/seeds/$t" "testdata/fuzz/$t" -max_total_time="$secs" -max_len="$max_len" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="fuzz/crashes/$t-" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  rmdir "testdata/fuzz/$t" 2>/dev/null || true
  local execs eps last cov ft result=OK
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [ "$rc" -ne 0 ]; then
    result="PROBLEM: $(grep -m1 -E 'ERROR|violated|SUMMARY|timeout|out-of-memory' "$log" || echo "exit $rc"), see $log"
  fi
  printf '%-8s %5ss %10s execs %7s/s  cov %6s  ft %7s  %s\n' "$t" "$secs" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
    "${ft:-?}" "$result" | tee -a "$build/fuzz-report.txt"
  [ "$rc" -eq 0 ]
}

: >"$build/fuzz-report.txt"
status=0
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
