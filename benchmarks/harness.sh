#!/usr/bin/env bash
# The harness's cost per operation: each role alone, closed loop, one client
# thread, on the null backend (which does nothing). Prints ops/s per thread
# and ns per operation; the target is >= 5 M ops/s (<= 200 ns) per thread.
# Usage: benchmarks/harness.sh [path/to/kvbench]   (default: build/kvbench)
set -euo pipefail
kvbench=${1:-build/kvbench}
cfg=$(dirname "$0")/../configs/harness.yaml
printf '%-16s %14s %10s\n' role "ops/s/thread" "ns/op"
for role in num_writers num_readers num_random_writers; do
    out=$("$kvbench" run "$cfg" --set num_random_writers=0 --set "$role=1" \
        --set writer_rate=0 --set reader_rate=0)
    rate=$(printf '%s\n' "$out" | awk '/ ops\/s/ { for (i = 1; i <= NF; i++) if ($i == "ops/s") print $(i-1) }')
    printf '%-16s %14.0f %10.1f\n' "${role#num_}" "$rate" "$(awk -v r="$rate" 'BEGIN { print 1e9 / r }')"
done
