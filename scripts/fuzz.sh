#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, -DKVB_FUZZ=ON) in build-fuzz/
# (or $KVB_FUZZ_BUILD_DIR) and runs each for SECONDS (default 60), one at a
# time, over a scratch copy of its seed corpus tests/fuzz/<name>/ (the
# committed corpus never grows). Reports executions and findings per fuzzer;
# findings (crash-*, leak-*, timeout-*, oom-* inputs) are kept in
# build-fuzz/fuzz-findings/<name>/. Exits 1 if there is any finding.
#
#   scripts/fuzz.sh [SECONDS] [FUZZER...]     e.g. scripts/fuzz.sh 300 wal
#
# A finding becomes a regression test: copy it into tests/fuzz/regress/<name>/
# (tests/test_fuzz_regress.c replays every file there), then fix the bug.
# Reproduce one with: build-fuzz/fuzz/fuzz_<name> FILE
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(config wal wal_record)
case $secs in '' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: skipped, clang not installed"
    exit 0
fi

build=${KVB_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang cmake -S . -B "$build" -DKVB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzzers >/dev/null

# Scratch space: corpora and the fuzzers' databases (tmpfs when there is one).
root=/dev/shm
[ -d "$root" ] && [ -w "$root" ] || root=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$root/kvb-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export KVB_FUZZ_TMPDIR=$scratch
touch "$scratch/.start" # findings are the files newer than this

max_len() {
    case $1 in
    wal) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

total_findings=0
report=()
for name in "${fuzzers[@]}"; do
    bin=$build/fuzz/fuzz_$name
    seeds=tests/fuzz/$name
    [ -x "$bin" ] && [ -d "$seeds" ] || { echo "fuzz: no fuzzer '$name' (or no $seeds)" >&2; exit 2; }
    corpus=$scratch/corpus-$name
    findings=$build/fuzz-findings/$name
    mkdir -p "$corpus" "$findings"
    cp -R "$seeds"/. "$corpus"/
    before=$(find "$findings" -type f | wc -l)
    dict=()
    [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")

    # libFuzzer stops at its first finding: start it again for the time left
    # (at most 5 times, in case a seed itself fails).
    execs=0
    start=$(date +%s)
    for attempt in 1 2 3 4 5; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -gt 0 ] || break
        log=$scratch/$name-$attempt.log
        rc=0
        "$bin" -max_total_time="$left" -print_final_stats=1 -timeout=10 -max_len="$(max_len "$name")" \
            "${dict[@]}" -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1 || rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        [ "$rc" -eq 0 ] && break
        echo "fuzz: $name: finding (exit $rc); log follows" >&2
        grep -E 'ERROR|SUMMARY|runtime error|^fuzz: |^    #[0-9]' "$log" | head -30 >&2 || true
    done
    elapsed=$(($(date +%s) - start))
    [ "$elapsed" -gt 0 ] || elapsed=1
    found=$(($(find "$findings" -type f | wc -l) - before))
    total_findings=$((total_findings + found))
    report+=("$(printf '%-12s %6ss %12s executions %8s/s %4s findings' "$name" "$elapsed" "$execs" \
        "$((execs / elapsed))" "$found")")
done

echo "fuzz: results"
for line in "${report[@]}"; do echo "  $line"; done
if [ "$total_findings" -gt 0 ]; then
    echo "fuzz: $total_findings new finding(s) in $build/fuzz-findings/:" >&2
    find "$build/fuzz-findings" -type f -newer "$scratch/.start" | sed 's/^/  /' >&2
    exit 1
fi
echo "fuzz: no findings"
