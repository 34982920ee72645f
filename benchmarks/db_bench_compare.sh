#!/usr/bin/env bash
# kvbench and db_bench side by side: the same closed-loop work through
# kvbench's rocksdb backend and through RocksDB's own db_bench (Debian's
# rocksdb-tools, the same librocksdb), printing both throughputs and their
# ratio. Target (issue 6): kvbench >= 0.9 of db_bench on each row. The exit
# status reports errors only (a tool failed, output could not be parsed, a
# run did not verify), never the ratio.
#
# Usage: benchmarks/db_bench_compare.sh [path/to/kvbench]   (default: build/kvbench)
# Environment:
#   DURATION=8            measured seconds per run (no warmup on either side: db_bench has
#                         none, and a warm memtable makes puts slower, not faster)
#   FILL_KEYS=1000000     fillrandom key range
#   READ_KEYS=200000      keys loaded before readrandom (fits one 64 MiB memtable)
#   THREADS="1 4"         client threads
#   REPEAT=1              run each pair this many times and report the medians (and the
#                         spread); use 3 or more on a machine shared with other work
#   DB_BENCH=path         db_bench binary (default: found on PATH or via dpkg -L rocksdb-tools)
#   WORKDIR=dir           where both tools put their databases (default: a temp dir under $TMPDIR)
#
# What each side does per operation (the same RocksDB work on both sides):
#   fillrandom  kvbench, run with --set rocksdb.blind_writes=batch: a random writer's
#                 transaction begin; put(rec_<uniform in [0, FILL_KEYS)>, 100 B); commit.
#                 The transaction reads nothing, so the backend takes no snapshot and
#                 opens no RocksDB transaction: the put goes into a WriteBatch and commit
#                 is one DB::Write of that batch of one on the base DB (WAL + memtable),
#                 no conflict check (blind writes cannot conflict in this mode). Without
#                 the option (blind_writes: transaction, the default) each operation is an
#                 optimistic transaction: begin with a snapshot, put, commit that checks
#                 the key against the memtables under an OCC lock bucket, then writes.
#               db_bench: fillrandom (run as `overwrite` on an empty DB, see below):
#                 one DB::Put (a WriteBatch of one) on the base DB, no transaction
#   readrandom  kvbench: a reader's read-only transaction; with no monotonic writers
#                 (num_writers=0) there is no head to read, so the reader begins it
#                 KVB_TXN_ONE_READ and the backend takes no snapshot: one
#                 DB::Get(rec_<uniform in [0, READ_KEYS)>) into a PinnableSlice; copy the
#                 value out
#               db_bench: readrandom: one DB::Get into a PinnableSlice, no snapshot
#
# Engine configuration: db_bench is given the options kvbench's rocksdb backend
# uses by default (RocksDB's own defaults, statistics on; db_bench's defaults
# differ in several places); the script checks this by diffing the OPTIONS files
# both write and prints any difference. db_bench opens an OptimisticTransactionDB
# too (--optimistic_transaction_db=1, which sets the same memtable history as
# kvbench's open), but its fillrandom/readrandom write and read through the base
# DB. In db_bench 7.8 that flag trips an assertion on benchmarks that want a
# fresh database (Debian builds it with assertions on), so the fill runs as
# `overwrite` (the same WriteRandom code) on a freshly created empty database.
# readrandom reads data loaded untimed beforehand on both sides, all of it in
# the memtable (no SST files): kvbench preloads in-process; db_bench fills with
# fillseq, then reopens with --avoid_flush_during_recovery=1 so the recovered
# WAL stays in the memtable instead of being flushed to L0.
#
# What the ratios mean: both sides now do the same RocksDB work per operation,
# so what is left between them is kvbench's own code (key and value generation,
# two clock reads, histogram updates: 25-50 ns per operation on the null
# backend, benchmarks/harness.sh) and the C API's wrappers (a WriteBatch and a
# PinnableSlice object per operation). Without blind_writes=batch and
# KVB_TXN_ONE_READ the work differs, and benchmarks/rocksdb_paths.c times those
# C API paths alone (one thread, CPU per operation; 2-CPU VM):
#   DB::Put 4.3-4.7 us; optimistic begin(snapshot)/put/commit 7.1-7.4 us (commit
#     checks the key against the memtables and takes an OCC lock bucket): ~0.63
#   DB::Get 1.9-2.05 us; snapshot + Get(head, absent) + Get + release 2.4-2.6 us: ~0.79
#   and with several readers, snapshot create/release serialise on the DB mutex.
# Sync rows are dominated by fdatasync and land near 1.
# db_bench has no like-for-like transactional benchmark here: its
# randomtransaction with --optimistic_transaction_db=1 segfaults in 7.8.3
# (RandomTransactionInserter::DoInsert). Debian's librocksdb 7.8.3 is built
# with assertions on (no NDEBUG), so absolute figures are below a release
# build's; both sides use the same library.
set -euo pipefail

kvbench=${1:-build/kvbench}
DURATION=${DURATION:-8}
FILL_KEYS=${FILL_KEYS:-1000000}
READ_KEYS=${READ_KEYS:-200000}
THREADS=${THREADS:-"1 4"}
REPEAT=${REPEAT:-1}

die() {
    echo "db_bench_compare: $*" >&2
    exit 1
}

[ -x "$kvbench" ] || die "no kvbench at $kvbench (build it, or pass its path)"
if [ -z "${DB_BENCH:-}" ]; then
    DB_BENCH=$(command -v rocksdb_db_bench || command -v db_bench ||
        dpkg -L rocksdb-tools 2>/dev/null | grep -E '/(rocksdb_)?db_bench$' | head -n1 || true)
fi
if [ -z "$DB_BENCH" ] || [ ! -x "$DB_BENCH" ]; then
    die "db_bench not found: apt-get install rocksdb-tools, or set DB_BENCH"
fi

if [ -z "${WORKDIR:-}" ]; then
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/db_bench_compare.XXXXXX")
    trap 'rm -rf "$WORKDIR"' EXIT
fi
mkdir -p "$WORKDIR"
log=$WORKDIR/log
: >"$log"

# db_bench options that make its engine what kvbench's rocksdb backend opens
# (checked below against the OPTIONS files). compression_ratio=0.17 makes
# db_bench's values compress like kvbench's (about 33 bytes of SST data block
# per 14-byte key + 100-byte value with snappy, measured with sst_dump).
DBB_COMMON=(
    --key_size=14 --value_size=100
    --compression_type=snappy --compression_ratio=0.17
    --write_buffer_size=67108864 --max_write_buffer_number=2
    --cache_size=8388608 --bloom_bits=0 --max_background_jobs=2
    --statistics=1 --stats_level=3
    --enable_pipelined_write=0 --delayed_write_rate=16777216
    --table_cache_numshardbits=6 --hard_pending_compaction_bytes_limit=274877906944
    --pin_top_level_index_and_filter=1 --index_shortening_mode=1
    --dump_malloc_stats=0 --seed=1
    --perf_level=1 # PerfContext off: db_bench's default, and what the backend sets at begin
)

# Runs db_bench; prints "ops/s CPU-us/op" of benchmark $1 from its report
# line and the process's CPU time (user + system, all threads, less
# $DBB_OPEN_CPU seconds spent opening the database).
dbb_rate() {
    local bench=$1
    shift
    local out=$WORKDIR/dbb.out tf=$WORKDIR/dbb.time rc=0
    { TIMEFORMAT='%U %S' && time "$DB_BENCH" "${DBB_COMMON[@]}" "$@" >"$out" 2>&1; } 2>"$tf" || rc=$?
    cat "$out" >>"$log"
    [ "$rc" = 0 ] || die "db_bench $bench failed (exit $rc):$(printf '\n'; tail -n 5 "$out")"
    local line
    line=$(grep -aE "^$bench +:" "$out" | tail -n1) ||
        die "db_bench $bench: no result line in its output"
    if [[ $line == *" found)"* ]]; then
        local found
        found=$(printf '%s\n' "$line" | sed -E 's/.*\(([0-9]+) of ([0-9]+) found\).*/\1 \2/')
        # shellcheck disable=SC2086
        set -- $found
        [ "$1" = "$2" ] || die "db_bench $bench: only $1 of $2 keys found"
    fi
    printf '%s %s\n' "$line" "$(cat "$tf")" | awk -v open="${DBB_OPEN_CPU:-0}" '{
        for (i = 1; i <= NF; i++) {
            if ($i == "ops/sec") rate = $(i-1)
            if ($i == "operations;") ops = $(i-1)
        }
        cpu = $(NF-1) + $NF - open
        if (rate == "" || ops <= 0) exit 1
        printf "%s %.3f\n", rate, cpu * 1e6 / ops
    }' || die "db_bench $bench: cannot parse '$line'"
}

# CPU seconds db_bench spends opening (and closing) the database in $1 and
# doing nothing: subtracted from the read runs, whose open replays the WAL.
dbb_open_cpu() {
    local tf=$WORKDIR/dbb.time
    { TIMEFORMAT='%U %S' && time "$DB_BENCH" "${DBB_COMMON[@]}" --benchmarks=stats \
        --use_existing_db=1 --optimistic_transaction_db=1 --avoid_flush_during_recovery=1 \
        --db="$1" >>"$log" 2>&1; } 2>"$tf" || die "db_bench could not open $1"
    awk '{ print $1 + $2 }' "$tf"
}

# Creates an empty database in $1 (db_bench without the optimistic flag).
dbb_create() {
    rm -rf "$1"
    "$DB_BENCH" "${DBB_COMMON[@]}" --benchmarks=stats --db="$1" >>"$log" 2>&1 ||
        die "db_bench could not create an empty database in $1"
}

# Runs kvbench; prints "ops/s CPU-us/op" (the JSON row field $1; the
# process's CPU time in the measured window, all threads) after checking that
# the run succeeded and verified.
kvb_rate() {
    local field=$1
    shift
    local json=$WORKDIR/kvbench.json out
    rm -f "$json"
    if ! out=$("$kvbench" run --set backends=rocksdb --set data_dir="$WORKDIR/kv" \
        --set duration="$DURATION" --set warmup=0 --set value_size=100 \
        --set num_writers=0 --set num_readers=0 --set num_random_writers=0 \
        "$@" --json "$json" 2>&1); then
        printf '%s\n' "$out" >>"$log"
        die "kvbench run failed:$(printf '\n%s' "$out" | tail -n 5)"
    fi
    printf '%s\n' "$out" >>"$log"
    jget() { grep -o "\"$1\": *\"[^\"]*\"" "$json" | head -n1 | sed -E 's/.*: *"([^"]*)"/\1/'; }
    [ "$(jget status)" = ok ] || die "kvbench run: status $(jget status): $(jget failure_reason)"
    [ "$(jget verification)" = passed ] ||
        die "kvbench run: verification $(jget verification): $(jget verification_detail)"
    [ "$(jget isolation_violations)" = 0 ] ||
        die "kvbench run: isolation violations: $(jget first_violation)"
    local rate
    rate=$(jget "$field")
    [ -n "$rate" ] || die "kvbench run: no $field in $json"
    awk -v r="$rate" -v u="$(jget cpu_user_secs)" -v s="$(jget cpu_sys_secs)" -v d="$DURATION" \
        'BEGIN { printf "%s %.3f\n", r, (r > 0 ? (u + s) * 1e6 / (r * d) : 0) }'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- the engines are configured alike: compare the OPTIONS files ----
options_check() {
    local kvdir dbdir=$WORKDIR/dbb-opts out
    out=$("$kvbench" run --set backends=rocksdb --set data_dir="$WORKDIR/kv-opts" \
        --set duration=0.2 --set warmup=0 --set num_writers=0 --set num_readers=0 \
        --set num_random_writers=1 --set random_writer_rate=0 --set sync=false --keep 2>&1) ||
        die "kvbench options run failed: $out"
    kvdir=$(printf '%s\n' "$out" | sed -n 's/.*data kept in //p' | tail -n1)
    [ -d "$kvdir" ] || die "kvbench did not say where it kept its data"
    dbb_create "$dbdir"
    "$DB_BENCH" "${DBB_COMMON[@]}" --benchmarks=overwrite --use_existing_db=1 \
        --optimistic_transaction_db=1 --db="$dbdir" --num=1000 >>"$log" 2>&1 ||
        die "db_bench options run failed"
    # shellcheck disable=SC2012 # RocksDB names them OPTIONS-<number>
    norm() { grep -vE '^\s*(#|$)' "$(ls "$1"/OPTIONS-* | sort | tail -n1)" | sed 's/^ *//'; }
    # Differences that do not touch the benchmarked paths: db_bench registers
    # an error-handler listener, asks for missing column families (it has
    # none), and sets FIFO compaction knobs (unused under level compaction).
    local d
    d=$(diff <(norm "$kvdir") <(norm "$dbdir") | grep -E '^[<>]' |
        grep -vE 'listeners=|create_missing_column_families=|compaction_options_fifo=' || true)
    if [ -n "$d" ]; then
        echo "engine options differ (< kvbench, > db_bench):"
        printf '%s\n' "$d" | sed 's/^/  /'
    else
        echo "engine options: identical OPTIONS files (but for db_bench's listener, FIFO and column-family knobs)"
    fi
    rm -rf "$kvdir" "$dbdir" "$WORKDIR/kv-opts"
}

echo "$("$kvbench" --version 2>/dev/null || echo "kvbench ($kvbench)") vs $("$DB_BENCH" --version 2>&1 | head -n1) ($DB_BENCH)"
echo "$(nproc) CPUs; load average at start $(loadavg); ${DURATION}s measured per run"
options_check
echo

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }'; }

# One table row from REPEAT pairs of runs (kvbench, then db_bench, each pair
# back to back so that both see the same background load): the medians.
row() { # workload threads sync kvbench-rates db_bench-rates kvbench-cpu db_bench-cpu
    local kv db kc dc
    kv=$(printf '%s' "$4" | median) db=$(printf '%s' "$5" | median)
    kc=$(printf '%s' "$6" | median) dc=$(printf '%s' "$7" | median)
    awk -v w="$1" -v t="$2" -v s="$3" -v kv="$kv" -v db="$db" -v kc="$kc" -v dc="$dc" 'BEGIN {
        printf "%-11s %7s %5s %14.0f %14.0f %6.2f %10.2f %10.2f %6.2f", w, t, s, kv, db,
            (db > 0 ? kv / db : 0), kc, dc, (kc > 0 ? dc / kc : 0) }'
    if [ "$REPEAT" -gt 1 ]; then
        printf '   kvbench [%s] db_bench [%s]' "$(printf '%s' "$4" | spread)" "$(printf '%s' "$5" | spread)"
    fi
    echo
}

fill_pair() { # threads sync -> "kvbench-ops/s kvbench-cpu db_bench-ops/s db_bench-cpu"
    local t=$1 sync=$2 dbsync=0 kv dbr db=$WORKDIR/dbb
    [ "$sync" = true ] && dbsync=1
    kv=$(kvb_rate random_write_tps --set num_random_writers="$t" --set random_writer_rate=0 \
        --set ops_per_txn=1 --set key_count="$FILL_KEYS" --set sync="$sync" \
        --set rocksdb.blind_writes=batch)
    rm -rf "$WORKDIR/kv"
    dbb_create "$db"
    dbr=$(dbb_rate overwrite --benchmarks=overwrite --use_existing_db=1 \
        --optimistic_transaction_db=1 --db="$db" --num="$FILL_KEYS" --threads="$t" \
        --duration="$DURATION" --sync="$dbsync")
    rm -rf "$db"
    echo "$kv $dbr"
}

read_pair() { # threads -> "kvbench-ops/s kvbench-cpu db_bench-ops/s db_bench-cpu"
    local t=$1 kv dbr db=$WORKDIR/dbb open
    kv=$(kvb_rate read_tps --set num_readers="$t" --set reader_rate=0 --set preload="$READ_KEYS" \
        --set key_count="$READ_KEYS" --set sync=false)
    rm -rf "$WORKDIR/kv" "$db"
    "$DB_BENCH" "${DBB_COMMON[@]}" --benchmarks=fillseq --db="$db" --num="$READ_KEYS" \
        --threads=1 >>"$log" 2>&1 || die "db_bench fillseq failed"
    ! ls "$db"/*.sst >/dev/null 2>&1 || die "db_bench fillseq left SST files: raise write_buffer_size"
    open=$(dbb_open_cpu "$db")
    dbr=$(DBB_OPEN_CPU=$open dbb_rate readrandom --benchmarks=readrandom --use_existing_db=1 \
        --optimistic_transaction_db=1 --avoid_flush_during_recovery=1 --db="$db" \
        --num="$READ_KEYS" --threads="$t" --duration="$DURATION")
    ! ls "$db"/*.sst >/dev/null 2>&1 || die "db_bench readrandom read from SST files, kvbench from the memtable"
    rm -rf "$db"
    echo "$kv $dbr"
}

# Runs $1 (fill_pair or read_pair) REPEAT times and prints the row.
measure() { # pair-function workload threads sync
    local kvs="" dbs="" kcs="" dcs="" kv kc db dc r
    for ((r = 0; r < REPEAT; r++)); do
        kv="" kc="" db="" dc=""
        read -r kv kc db dc < <("$1" "$3" "$4") || true
        [ -n "$dc" ] || die "$2 run failed"
        kvs+=" $kv" kcs+=" $kc" dbs+=" $db" dcs+=" $dc"
    done
    row "$2" "$3" "$4" "$kvs" "$dbs" "$kcs" "$dcs"
}

printf '%-11s %7s %5s %14s %14s %6s %10s %10s %6s\n' workload threads sync "kvbench ops/s" \
    "db_bench ops/s" ratio "kvb us/op" "dbb us/op" ratio
for sync in false true; do
    for t in $THREADS; do
        measure fill_pair fillrandom "$t" "$sync"
    done
done
for t in $THREADS; do
    measure read_pair readrandom "$t" false
done
echo
echo "load average at end $(loadavg)"
echo "ratio (first) = kvbench ops/s / db_bench ops/s; target >= 0.9."
echo "us/op = CPU microseconds per operation, whole process (RocksDB's flush and compaction"
echo "  threads included); ratio (second) = db_bench us/op / kvbench us/op, the same comparison"
echo "  by CPU cost, which other work on the machine disturbs less than throughput."
echo "per operation: fillrandom = a transaction with one put, committed with"
echo "  rocksdb.blind_writes=batch as one DB::Write of a WriteBatch of one on the base DB, no"
echo "  snapshot, no conflict check (kvbench) vs one DB::Put (db_bench); readrandom = a"
echo "  read-only transaction begun KVB_TXN_ONE_READ: one DB::Get, no snapshot, + copy"
echo "  (kvbench) vs one DB::Get (db_bench)."
