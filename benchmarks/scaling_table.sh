#!/usr/bin/env bash
# Prints a scaling table from a sweep's CSV, as the design notes' tables:
# per backend and axis value, throughput (transactions/s over all roles),
# speedup over the first row of that backend, p99 latency of the busiest
# role, and efficiency (speedup / clients, for thread axes).
# Usage: benchmarks/scaling_table.sh RESULTS.csv AXIS_COLUMN
#   e.g. benchmarks/scaling_table.sh results/scaling-threads.csv num_random_writers
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RESULTS.csv AXIS_COLUMN" >&2; exit 2; }
awk -v axis="$2" '
function csvsplit(line, out,    n, i, c, q, cell) {
    n = 0; cell = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cell = cell c; i++ } else q = 0 } else cell = cell c }
        else if (c == "\"") q = 1
        else if (c == ",") { out[++n] = cell; cell = "" }
        else cell = cell c
    }
    out[++n] = cell
    return n
}
NR == 1 { n = csvsplit($0, h); for (i = 1; i <= n; i++) col[h[i]] = i
          if (!(axis in col)) { print "no column " axis > "/dev/stderr"; exit 2 }
          printf "%-10s %12s %14s %9s %12s %11s  %s\n", "backend", axis, "txn/s", "speedup", "p99 ms", "efficiency", "status"
          next }
{
    csvsplit($0, f)
    be = f[col["backend"]]; x = f[col[axis]]
    tps = f[col["write_tps"]] + f[col["read_tps"]] + f[col["random_write_tps"]]
    p99 = f[col["random_writer_p99_ms"]]; if (p99 == "") p99 = f[col["writer_p99_ms"]]; if (p99 == "") p99 = f[col["read_p99_ms"]]
    if (!(be in base)) base[be] = tps
    sp = base[be] > 0 ? tps / base[be] : 0
    eff = (axis ~ /^num_/ && x > 0) ? sprintf("%.2f", sp / x) : "-"
    printf "%-10s %12s %14.1f %9.2f %12s %11s  %s\n", be, x, tps, sp, p99, eff, f[col["status"]]
}' "$1"
