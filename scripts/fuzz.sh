#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, -DKVB_FUZZ=ON) in build-fuzz/
# (or $KVB_FUZZ_BUILD_DIR) and runs each for SECONDS (default 60), one at a
# time, over a scratch copy of its seed corpus tests/fuzz/<name>/ (the
# committed corpus never grows). Reports executions and findings per fuzzer;
# findings (crash-*, leak-*, timeout-*, oom-* inputs) are kept in
# build-fuzz/fuzz-findings/<name>/. Exits 1 if there is any finding, or if
# a fuzzer exits non-zero without leaving one (killed, out of memory, a
# bad option: the end of its log is shown).
#
# Needs clang with libFuzzer and its sanitizer runtimes (Debian: clang and
# libclang-rt-dev). Without them it says it skipped and exits 0 - except
# under CI (CI=true), where fuzzing is a check that must run: it fails.
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

# Scratch space: corpora and the fuzzers' databases (tmpfs when there is one).
root=/dev/shm
[ -d "$root" ] && [ -w "$root" ] || root=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$root/kvb-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export KVB_FUZZ_TMPDIR=$scratch

# No fuzzing without clang and libFuzzer: a skip, or under CI a failure.
unavailable() {
    if [ "${CI:-}" = true ]; then
        echo "fuzz: $1; under CI (CI=true) fuzzing must run (Debian: apt-get install clang libclang-rt-dev)" >&2
        exit 1
    fi
    echo "fuzz: skipped, $1"
    exit 0
}
command -v clang >/dev/null 2>&1 || unavailable "clang not installed"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
    clang -fsanitize=fuzzer,address,undefined -x c - -o "$scratch/probe" 2>"$scratch/probe.log" ||
    unavailable "clang cannot link a fuzzer: $(grep -m1 -iE 'cannot find|error' "$scratch/probe.log" || tail -1 "$scratch/probe.log")"

build=${KVB_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang cmake -S . -B "$build" -DKVB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzzers >/dev/null
touch "$scratch/.start" # findings are the files newer than this

max_len() {
    case $1 in
    wal) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

total_findings=0
failed=()
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
    outcome=
    start=$(date +%s)
    for attempt in 1 2 3 4 5; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -gt 0 ] || break
        log=$scratch/$name-$attempt.log
        rc=0
        had=$(find "$findings" -type f | wc -l)
        "$bin" -max_total_time="$left" -print_final_stats=1 -timeout=10 -max_len="$(max_len "$name")" \
            "${dict[@]}" -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1 || rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        [ "$rc" -eq 0 ] && break
        if [ "$(find "$findings" -type f | wc -l)" -eq "$had" ]; then
            # Not a finding: the fuzzer itself failed (killed, out of memory,
            # a bad option). Fuzzing did not happen; say so and stop.
            echo "fuzz: $name: exited with status $rc without leaving a finding; the end of its log:" >&2
            tail -20 "$log" | sed 's/^/  /' >&2
            outcome=" FAILED (exit $rc)"
            failed+=("$name")
            break
        fi
        echo "fuzz: $name: finding (exit $rc); log follows" >&2
        grep -E 'ERROR|SUMMARY|runtime error|^fuzz: |^    #[0-9]' "$log" | head -30 >&2 || true
    done
    elapsed=$(($(date +%s) - start))
    [ "$elapsed" -gt 0 ] || elapsed=1
    found=$(($(find "$findings" -type f | wc -l) - before))
    total_findings=$((total_findings + found))
    report+=("$(printf '%-12s %6ss %12s executions %8s/s %4s findings%s' "$name" "$elapsed" "$execs" \
        "$((execs / elapsed))" "$found" "$outcome")")
done

echo "fuzz: results"
for line in "${report[@]}"; do echo "  $line"; done
status=0
if [ "$total_findings" -gt 0 ]; then
    echo "fuzz: $total_findings new finding(s) in $build/fuzz-findings/:" >&2
    find "$build/fuzz-findings" -type f -newer "$scratch/.start" | sed 's/^/  /' >&2
    status=1
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${failed[*]} failed without a finding (see their logs above)" >&2
    status=1
fi
[ "$status" -eq 0 ] && echo "fuzz: no findings"
exit "$status"
