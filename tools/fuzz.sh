#!/usr/bin/env bash
# Runs the libFuzzer binaries (a build configured with -DGLOWLAB_FUZZ=ON, e.g. by
# `./quickstart sanitize`) for a bounded time or number of runs each, and reports per target the
# executions, execs/s and findings (docs/hardening.md).
#   tools/fuzz.sh [--time SECONDS] [--runs N] [BUILD_DIR] [TARGET...]
# Defaults: --time 20 (none when only --runs is given; both: whichever comes first), BUILD_DIR
# build-sanitize, every target. Each target reads the committed seeds
# (tests/fuzz/corpus/<target>, never written to) and keeps what it discovers in
# BUILD_DIR/fuzz-work/<target>/corpus; crash, leak, timeout and out-of-memory inputs are kept in
# BUILD_DIR/fuzz-work/<target>/artifacts. Exit status 1 names each target that found something.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=""
runs=""
build=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) if [ -z "$build" ] && [ -d "$1" ]; then build=$1; else targets+=("$1"); fi; shift ;;
  esac
done
build=${build:-build-sanitize}
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(cd tests/fuzz/corpus && ls -d fuzz_* 2>/dev/null))
fi
# shellcheck source=../tests/sanitizers/env.sh
source tests/sanitizers/env.sh

[ -z "$seconds" ] && [ -z "$runs" ] && seconds=20
limit=(-max_total_time="${seconds:-0}")  # 0: no time limit
[ -n "$runs" ] && limit+=(-runs="$runs")
status=0
printf '%-24s %12s %10s %8s  %s\n' target executions execs/s seconds findings
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  seeds="tests/fuzz/corpus/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz.sh: $bin is missing: configure $build with -DGLOWLAB_FUZZ=ON (clang) and build it" >&2
    exit 2
  fi
  [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  work="$build/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  touch "$work/started"
  start=$(date +%s)
  rc=0
  # The first folder receives new inputs; the committed seeds are only read.
  "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/log.txt" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log.txt" | tail -1)
  found=$(find "$work/artifacts" -newer "$work/started" -type f \( -name 'crash-*' -o -name 'leak-*' \
            -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | sort | tr '\n' ' ')
  verdict=none
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    verdict="exit $rc ${found:-(no artifact; see $work/log.txt)}"
    status=1
  fi
  printf '%-24s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$elapsed" "$verdict"
done
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: findings above (logs: $build/fuzz-work/<target>/log.txt); reproduce with $build/tests/fuzz/<target> ARTIFACT" >&2
fi
exit "$status"
