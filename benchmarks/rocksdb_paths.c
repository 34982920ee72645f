/*
 * rocksdb_paths.c - what each RocksDB C API path kvbench's rocksdb backend
 * takes costs per operation, next to the plain calls db_bench makes: thread
 * CPU time, so that other work on the machine disturbs it little. It explains
 * the ratios benchmarks/db_bench_compare.sh prints; it is not part of the
 * build.
 *
 *     cc -O2 -Wall -Wextra -o rocksdb_paths benchmarks/rocksdb_paths.c -lrocksdb
 *     ./rocksdb_paths [dir]        (default: $TMPDIR or /tmp)
 *
 * Options are the backend's defaults (RocksDB's own, statistics on, snappy,
 * 64 MiB memtable, 8 MiB block cache), PerfContext off as the backend sets it.
 * Writes: 400k puts of 14-byte keys drawn from 1M, 100-byte values, each
 * variant on a fresh database. Reads: 800k gets of 200k keys in the memtable.
 */
#define _GNU_SOURCE
#include <rocksdb/c.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILL_KEYS 1000000
#define WRITES 400000
#define READ_KEYS 200000
#define READS 800000

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(char *err, const char *what)
{
    if (err) {
        fprintf(stderr, "rocksdb_paths: %s: %s\n", what, err);
        exit(1);
    }
}

/* kvbench's record key: "rec_" and ten digits. */
static size_t record_key(char *k, uint64_t i)
{
    return (size_t)snprintf(k, 32, "rec_%010llu", (unsigned long long)i);
}

struct env {
    char dir[4096];
    rocksdb_options_t *opts;
    rocksdb_cache_t *cache;
    rocksdb_optimistictransactiondb_t *odb;
    rocksdb_t *base;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
    rocksdb_optimistictransaction_options_t *with_snap, *no_snap;
};

static void rmtree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rocksdb_paths: could not remove %s\n", dir);
}

static void env_open(struct env *e, const char *parent, const char *tag)
{
    char *err = NULL;
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "%s/rocksdb_paths-%s-%d", parent, tag, (int)getpid());
    rmtree(e->dir);
    e->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(e->opts, 1);
    rocksdb_options_enable_statistics(e->opts);
    rocksdb_options_set_write_buffer_size(e->opts, 64u << 20);
    rocksdb_options_set_compression(e->opts, rocksdb_snappy_compression);
    rocksdb_options_set_max_background_jobs(e->opts, 2);
    rocksdb_block_based_table_options_t *bbo = rocksdb_block_based_options_create();
    e->cache = rocksdb_cache_create_lru(8u << 20);
    rocksdb_block_based_options_set_block_cache(bbo, e->cache);
    rocksdb_options_set_block_based_table_factory(e->opts, bbo);
    rocksdb_block_based_options_destroy(bbo);
    e->odb = rocksdb_optimistictransactiondb_open(e->opts, e->dir, &err);
    check(err, "open");
    e->base = rocksdb_optimistictransactiondb_get_base_db(e->odb);
    e->wo = rocksdb_writeoptions_create();
    e->ro = rocksdb_readoptions_create();
    e->with_snap = rocksdb_optimistictransaction_options_create();
    rocksdb_optimistictransaction_options_set_set_snapshot(e->with_snap, 1);
    e->no_snap = rocksdb_optimistictransaction_options_create();
}

static void env_close(struct env *e)
{
    rocksdb_optimistictransaction_options_destroy(e->with_snap);
    rocksdb_optimistictransaction_options_destroy(e->no_snap);
    rocksdb_readoptions_destroy(e->ro);
    rocksdb_writeoptions_destroy(e->wo);
    rocksdb_optimistictransactiondb_close_base_db(e->base);
    rocksdb_optimistictransactiondb_close(e->odb);
    rocksdb_options_destroy(e->opts);
    rocksdb_cache_destroy(e->cache);
    rmtree(e->dir);
}

enum wpath { W_PUT, W_TXN, W_TXN_SNAP, W_TXN_SNAP_GFU, W_COUNT };
static const char *const wnames[W_COUNT] = {
    "DB::Put (db_bench fillrandom)",
    "txn begin/put/commit, no snapshot",
    "txn begin(snapshot)/put/commit (kvbench random writer)",
    "as above, get_for_update first (read_before_write)",
};

static double write_path(const char *parent, enum wpath p)
{
    struct env e;
    rocksdb_transaction_t *txn = NULL;
    char k[32], val[100], *err = NULL;
    memset(val, 'v', sizeof val);
    env_open(&e, parent, "w");
    double t0 = cpu_ns();
    for (int i = 0; i < WRITES; i++) {
        size_t kl = record_key(k, next_rand() % FILL_KEYS);
        if (p == W_PUT) {
            rocksdb_put(e.base, e.wo, k, kl, val, sizeof val, &err);
            check(err, "put");
            continue;
        }
        txn = rocksdb_optimistictransaction_begin(e.odb, e.wo, p == W_TXN ? e.no_snap : e.with_snap,
                                                  txn);
        const rocksdb_snapshot_t *snap = NULL;
        if (p != W_TXN) { /* as the backend: a copy of the handle on the read options */
            snap = rocksdb_transaction_get_snapshot(txn);
            rocksdb_readoptions_set_snapshot(e.ro, snap);
        }
        if (p == W_TXN_SNAP_GFU) {
            rocksdb_pinnableslice_t *v =
                rocksdb_transaction_get_pinned_for_update(txn, e.ro, k, kl, 1, &err);
            check(err, "get_for_update");
            rocksdb_pinnableslice_destroy(v);
        }
        rocksdb_transaction_put(txn, k, kl, val, sizeof val, &err);
        check(err, "txn put");
        rocksdb_transaction_commit(txn, &err);
        check(err, "commit");
        if (snap) {
            rocksdb_readoptions_set_snapshot(e.ro, NULL);
            rocksdb_free((void *)snap);
        }
    }
    double us = (cpu_ns() - t0) / WRITES / 1e3;
    if (txn)
        rocksdb_transaction_destroy(txn);
    env_close(&e);
    return us;
}

enum rpath { R_GET, R_SNAP_GET, R_KVBENCH, R_COUNT };
static const char *const rnames[R_COUNT] = {
    "DB::Get (db_bench readrandom)",
    "snapshot + Get + release",
    "snapshot + Get(head, absent) + Get + release (kvbench reader)",
};

static double read_path(struct env *e, enum rpath p)
{
    char k[32], *err = NULL;
    double t0 = cpu_ns();
    for (int i = 0; i < READS; i++) {
        size_t kl = record_key(k, next_rand() % READ_KEYS);
        const rocksdb_snapshot_t *snap = NULL;
        if (p != R_GET) {
            snap = rocksdb_create_snapshot(e->base);
            rocksdb_readoptions_set_snapshot(e->ro, snap);
        }
        if (p == R_KVBENCH) {
            rocksdb_pinnableslice_t *v = rocksdb_get_pinned(e->base, e->ro, "head", 4, &err);
            check(err, "get head");
            if (v)
                rocksdb_pinnableslice_destroy(v);
        }
        rocksdb_pinnableslice_t *v = rocksdb_get_pinned(e->base, e->ro, k, kl, &err);
        check(err, "get");
        if (!v) {
            fprintf(stderr, "rocksdb_paths: %s missing\n", k);
            exit(1);
        }
        rocksdb_pinnableslice_destroy(v);
        if (snap) {
            rocksdb_readoptions_set_snapshot(e->ro, NULL);
            rocksdb_release_snapshot(e->base, snap);
        }
    }
    return (cpu_ns() - t0) / READS / 1e3;
}

int main(int argc, char **argv)
{
    const char *parent = argc > 1 ? argv[1] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    rocksdb_set_perf_level(rocksdb_disable);

    printf("%-68s %s\n", "path (one thread)", "CPU us/op");
    for (int p = 0; p < W_COUNT; p++)
        printf("write %-62s %9.2f\n", wnames[p], write_path(parent, (enum wpath)p));

    struct env e;
    char k[32], val[100], *err = NULL;
    memset(val, 'v', sizeof val);
    env_open(&e, parent, "r");
    for (uint64_t i = 0; i < READ_KEYS; i++) {
        size_t kl = record_key(k, i);
        rocksdb_put(e.base, e.wo, k, kl, val, sizeof val, &err);
        check(err, "preload");
    }
    for (int p = 0; p < R_COUNT; p++)
        printf("read  %-62s %9.2f\n", rnames[p], read_path(&e, (enum rpath)p));
    env_close(&e);
    return 0;
}
