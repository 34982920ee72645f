#!/bin/sh
# test_awdb_lib.sh NM LIBAWDB LIBAWDB_FAULT - the shape of the awdb library
# users link (ctest runs it; backends/awdb/CMakeLists.txt):
#   - the fault layer is not in it: libawdb.a defines no awdb_fault_* and no
#     awdb_abandon, libawdb_fault.a does;
#   - its files call one another one way (the layer map atop awdb_int.h):
#     "file A uses a symbol file B defines" has no cycle. Prints the graph,
#     or the cycle it found.
set -eu
nm=$1 lib=$2 fault=$3

# "file symbol type" for every symbol of an archive's members.
syms() {
    "$nm" -P -A "$1" | awk '{ m = $1; sub(/^.*\[/, "", m); sub(/\.o\]:$/, "", m); print m, $2, $3 }'
}

status=0
leaked=$(syms "$lib" | awk '$3 ~ /^[A-TV-Z]$/ && $2 ~ /^awdb_(fault_|abandon$)/ { print "  " $1 ": " $2 }')
if [ -n "$leaked" ]; then
    printf 'awdb: the fault layer is in %s:\n%s\n' "$lib" "$leaked"
    status=1
fi
for s in awdb_fault_new awdb_abandon; do
    syms "$fault" | awk -v s="$s" '$2 == s && $3 == "T" { found = 1 } END { exit !found }' \
        || { echo "awdb: $fault does not define $s"; status=1; }
done

syms "$lib" | awk '
    $3 == "U" { n++; from[n] = $1; sym[n] = $2; next }
    $3 ~ /^[A-TV-Z]$/ { def[$2] = $1 }
    function dfs(v,   k, a, nn, w, i, path) {
        color[v] = 1
        stack[++sp] = v
        nn = split(out[v], a, " ")
        for (k = 1; k <= nn; k++) {
            w = a[k]
            if (color[w] == 1) {
                path = ""
                for (i = 1; i <= sp; i++)
                    if (stack[i] == w || path != "")
                        path = path stack[i] " -(" via[stack[i], (i < sp ? stack[i + 1] : w)] ")-> "
                print "awdb: files call each other: " path w
                bad = 1
            } else if (!color[w])
                dfs(w)
        }
        sp--
        color[v] = 2
    }
    END {
        for (i = 1; i <= n; i++) {
            d = def[sym[i]]
            if (d == "" || d == from[i] || (from[i], d) in via)
                continue
            via[from[i], d] = sym[i]
            out[from[i]] = out[from[i]] " " d
            files[from[i]] = 1
        }
        for (f in files)
            printf "%s ->%s\n", f, out[f] | "sort"
        close("sort")
        for (f in files)
            if (!color[f])
                dfs(f)
        exit bad
    }' || status=1
exit $status
