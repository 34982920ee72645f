/*
 * test_rocksdb.c - the rocksdb backend against the contract of backend.h:
 * transaction semantics (snapshots, read-your-writes, abort), conflicts
 * (deterministic Busy and TryAgain cases, and three unpaced monotonic
 * writers), options and sync reaching RocksDB (OPTIONS file, properties,
 * statistics), option errors, stats, and reopening after close; read-only
 * transactions begun KVB_TXN_ONE_READ, and blind_writes: batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/backend.h"
#include "tests/testutil.h"
#include "util/clock.h"
#include "util/option.h"

#include <dirent.h>
#include <math.h>
#include <rocksdb/c.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct kvb_backend kvb_backend_rocksdb;
/* Diagnostics exported by backends/rocksdb.c for these tests. */
int kvb_rocksdb_ticker(struct kvb_db *db, const char *name, uint64_t *out);
int kvb_rocksdb_property_int(struct kvb_db *db, const char *name, uint64_t *out);

static const struct kvb_backend *be = &kvb_backend_rocksdb;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KVBT_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(KVBT_TSAN)
/* librocksdb is not instrumented: TSan sees its memcpy/memcmp (through the
 * interceptors) but not the atomics that order them (memtable skiplist), and
 * reports races inside RocksDB that are not there. Ignore what RocksDB's own
 * code does; our code and the test's threads stay checked. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "called_from_lib:librocksdb.so\n";
}
#endif

/* ---- helpers ---- */

static void *opts_new(void)
{
    char err[KVB_OPT_ERRLEN];
    void *o = calloc(1, be->opts_size);
    assert_non_null(o);
    assert_int_equal(kvb_opt_defaults(be->options, o, err, sizeof err), 0);
    return o;
}

static void opt_set(void *opts, const char *key, const char *text)
{
    char err[KVB_OPT_ERRLEN] = "";
    const struct kvb_option *o = kvb_opt_find(be->options, key);
    assert_non_null(o);
    if (kvb_opt_parse(o, text, opts, err, sizeof err) != 0)
        fail_msg("%s=%s: %s", key, text, err);
}

static void db_open(struct kvb_db *db, const char *dir, bool sync, const void *opts)
{
    memset(db, 0, sizeof *db);
    db->be = be;
    struct kvb_open_args a = {
        .dir = dir, .sync = sync, .opts = opts, .max_clients = 8, .value_size = 100};
    if (be->open(db, &a) != KVB_OK)
        fail_msg("open: %s", db->err);
}

static void db_close(struct kvb_db *db)
{
    if (be->close(db) != KVB_OK)
        fail_msg("close: %s", db->err);
}

static void cl_open(struct kvb_client *c, struct kvb_db *db, unsigned id)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    c->id = id;
    if (be->client_open(c) != KVB_OK)
        fail_msg("client_open: %s", c->err);
}

static void ok(struct kvb_client *c, int rc)
{
    if (rc != KVB_OK)
        fail_msg("expected KVB_OK, got %d (%s)", rc, rc == KVB_ERR ? c->err : "");
}

static void put_s(struct kvb_client *c, const char *k, const char *v)
{
    ok(c, be->put(c, k, strlen(k), v, strlen(v)));
}

/* Gets k and compares with want (NULL: must be absent). */
static void get_is(struct kvb_client *c, const char *k, unsigned flags, const char *want)
{
    const void *v = NULL;
    size_t n = 0;
    int rc = be->get(c, k, strlen(k), flags, &v, &n);
    if (!want) {
        if (rc != KVB_NOT_FOUND)
            fail_msg("get %s: expected not found, got %d (%s)", k, rc, c->err);
        return;
    }
    ok(c, rc);
    if (n != strlen(want) || memcmp(v, want, n) != 0)
        fail_msg("get %s: expected '%s', got '%.*s'", k, want, (int)n, (const char *)v);
}

static void commit_one(struct kvb_client *c, const char *k, const char *v)
{
    ok(c, be->begin(c, 0));
    put_s(c, k, v);
    ok(c, be->commit(c));
}

static uint64_t ticker(struct kvb_db *db, const char *name)
{
    uint64_t v = 0;
    if (kvb_rocksdb_ticker(db, name, &v) != 0)
        fail_msg("no statistic %s", name);
    return v;
}

/* Reads the newest OPTIONS-* file RocksDB wrote into dir (caller frees). */
static char *read_options_file(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    unsigned long best = 0;
    while ((e = readdir(d)) != NULL) {
        unsigned long n;
        if (sscanf(e->d_name, "OPTIONS-%lu", &n) == 1 && n > best)
            best = n;
    }
    closedir(d);
    assert_true(best > 0);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/OPTIONS-%06lu", dir, best);
    char *text = kvbt_read_file(path);
    assert_non_null(text);
    return text;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' not found", needle);
}

/* ---- registration and options ---- */

static void test_registered(void **state)
{
    (void)state;
    assert_ptr_equal(kvb_backend_find("rocksdb"), be);
    assert_int_equal(be->caps,
                     KVB_CAP_STORES | KVB_CAP_DURABLE | KVB_CAP_CONFLICTS | KVB_CAP_PERSIST);
    const char *keys[] = {"write_buffer_size",    "block_cache_size",  "compression",
                          "bloom_bits",           "max_background_jobs", "disable_wal",
                          "blind_writes",         "recycle_log_file_num", "wal_recovery_mode"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct kvb_option *o = kvb_opt_find(be->options, keys[i]);
        assert_non_null(o);
        assert_non_null(o->help);
        assert_true(strlen(o->help) > 10);
    }
}

/* Each bad value is refused by the table (the config layer prefixes the
 * key), or by check with a sentence that names the keys involved. */
static void test_bad_options(void **state)
{
    (void)state;
    static const struct {
        const char *key, *text, *expect;
    } bad[] = {
        {"write_buffer_size", "1k", "size"},
        {"write_buffer_size", "lots", "size"},
        {"block_cache_size", "-1", "size"},
        {"compression", "gzip", "one of: none, lz4, zstd, snappy"},
        {"compression", "zstdd", "did you mean 'zstd'"},
        {"bloom_bits", "-3", "number"},
        {"bloom_bits", "101", "out of range"},
        {"max_background_jobs", "0", "integer"},
        {"max_background_jobs", "1000", "integer"},
        {"disable_wal", "maybe", "boolean"},
        {"blind_writes", "txn", "one of: transaction, batch"},
        {"blind_writes", "batches", "did you mean 'batch'"},
        {"recycle_log_file_num", "65", "integer"},
        {"wal_recovery_mode", "skip", "one of: tolerate_corrupted_tail, absolute"},
        {"wal_recovery_mode", "skip_anyy", "did you mean 'skip_any'"},
    };
    void *opts = opts_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[KVB_OPT_ERRLEN] = "";
        const struct kvb_option *o = kvb_opt_find(be->options, bad[i].key);
        assert_non_null(o);
        assert_int_equal(kvb_opt_parse(o, bad[i].text, opts, err, sizeof err), -1);
        if (!strstr(err, bad[i].expect) || !strstr(err, bad[i].text))
            fail_msg("%s=%s: unclear error '%s'", bad[i].key, bad[i].text, err);
    }
    /* The defaults pass check, with or without sync. */
    char err[KVB_OPT_ERRLEN] = "";
    assert_int_equal(be->check(opts, true, err, sizeof err), 0);
    assert_int_equal(be->check(opts, false, err, sizeof err), 0);

    /* disable_wal contradicts sync: true, and only that. */
    opt_set(opts, "disable_wal", "true");
    assert_int_equal(be->check(opts, false, err, sizeof err), 0);
    assert_int_equal(be->check(opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "disable_wal"));
    assert_non_null(strstr(err, "sync"));

    /* open refuses it too, with the same sentence. */
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "rocks-badopt");
    struct kvb_db db = {.be = be};
    struct kvb_open_args a = {.dir = dir, .sync = true, .opts = opts, .max_clients = 1};
    assert_int_equal(be->open(&db, &a), KVB_ERR);
    assert_non_null(strstr(db.err, "disable_wal"));
    assert_null(db.priv);
    opt_set(opts, "disable_wal", "false");

    /* WAL recycling RocksDB would silently turn off is refused. */
    opt_set(opts, "recycle_log_file_num", "4");
    assert_int_equal(be->check(opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "recycle_log_file_num"));
    assert_non_null(strstr(err, "skip_any"));
    opt_set(opts, "wal_recovery_mode", "skip_any");
    assert_int_equal(be->check(opts, true, err, sizeof err), 0);
    opt_set(opts, "recycle_log_file_num", "0");
    opt_set(opts, "wal_recovery_mode", "point_in_time");

    /* A bloom filter of less than one bit per key is a mistake. */
    opt_set(opts, "bloom_bits", "0.5");
    assert_int_equal(be->check(opts, false, err, sizeof err), -1);
    assert_non_null(strstr(err, "bloom_bits"));
    opt_set(opts, "bloom_bits", "10");
    assert_int_equal(be->check(opts, false, err, sizeof err), 0);

    kvbt_rmtree(dir);
    free(opts);
}

/* What the config says is what RocksDB runs with: read back from the
 * OPTIONS file RocksDB writes and from its properties. */
static void test_options_reach_rocksdb(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;

    /* Defaults are RocksDB's own. */
    kvbt_mkdtemp(dir, "rocks-opts");
    void *opts = opts_new();
    db_open(&db, dir, false, opts);
    uint64_t cap = 0;
    assert_int_equal(kvb_rocksdb_property_int(&db, "rocksdb.block-cache-capacity", &cap), 0);
    assert_int_equal(cap, 8u << 20);
    db_close(&db);
    char *text = read_options_file(dir);
    assert_has(text, "\n  write_buffer_size=67108864\n");
    assert_has(text, "\n  compression=kSnappyCompression\n");
    assert_has(text, "\n  max_background_jobs=2\n");
    assert_has(text, "\n  filter_policy=nullptr\n");
    assert_has(text, "\n  recycle_log_file_num=0\n");
    assert_has(text, "\n  wal_recovery_mode=kPointInTimeRecovery\n");
    free(text);
    kvbt_rmtree(dir);

    /* Each value set is the value RocksDB reports. */
    kvbt_mkdtemp(dir, "rocks-opts");
    opt_set(opts, "write_buffer_size", "1MiB");
    opt_set(opts, "block_cache_size", "16M");
    opt_set(opts, "compression", "zstd");
    opt_set(opts, "disable_wal", "true");
    opt_set(opts, "bloom_bits", "10");
    opt_set(opts, "max_background_jobs", "3");
    opt_set(opts, "recycle_log_file_num", "4");
    opt_set(opts, "wal_recovery_mode", "skip_any");
    db_open(&db, dir, false, opts);
    assert_int_equal(kvb_rocksdb_property_int(&db, "rocksdb.block-cache-capacity", &cap), 0);
    assert_int_equal(cap, 16u << 20);
    db_close(&db);
    text = read_options_file(dir);
    assert_has(text, "\n  write_buffer_size=1048576\n");
    assert_has(text, "\n  compression=kZSTD\n");
    assert_has(text, "\n  max_background_jobs=3\n");
    assert_has(text, "\n  filter_policy=bloomfilter\n");
    assert_has(text, "\n  recycle_log_file_num=4\n");
    assert_has(text, "\n  wal_recovery_mode=kSkipAnyCorruptedRecords\n");
    free(text);
    opt_set(opts, "recycle_log_file_num", "0");
    opt_set(opts, "wal_recovery_mode", "point_in_time");
    kvbt_rmtree(dir);

    /* Every compression we offer is in Debian's build (open would fail
     * with "not linked with the binary" otherwise). */
    static const char *const names[][2] = {{"none", "kNoCompression"},
                                           {"lz4", "kLZ4Compression"},
                                           {"zstd", "kZSTD"},
                                           {"snappy", "kSnappyCompression"}};
    for (size_t i = 0; i < 4; i++) {
        kvbt_mkdtemp(dir, "rocks-comp");
        opt_set(opts, "compression", names[i][0]);
        db_open(&db, dir, false, opts);
        db_close(&db);
        text = read_options_file(dir);
        char want[64];
        snprintf(want, sizeof want, "\n  compression=%s\n", names[i][1]);
        assert_has(text, want);
        free(text);
        kvbt_rmtree(dir);
    }

    /* block_cache_size 0 means no block cache. */
    kvbt_mkdtemp(dir, "rocks-opts");
    opt_set(opts, "block_cache_size", "0");
    db_open(&db, dir, false, opts);
    db_close(&db);
    text = read_options_file(dir);
    assert_has(text, "\n  no_block_cache=true\n");
    free(text);
    kvbt_rmtree(dir);
    free(opts);
}

/* The bloom filter is built and consulted: lookups of absent keys inside the
 * key range of SST files are ruled out by it, and not without it. */
static uint64_t bloom_useful(const char *bits)
{
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client c;
    kvbt_mkdtemp(dir, "rocks-bloom");
    void *opts = opts_new();
    opt_set(opts, "write_buffer_size", "64KiB");
    opt_set(opts, "bloom_bits", bits);
    db_open(&db, dir, false, opts);
    cl_open(&c, &db, 0);
    char k[32], v[256];
    memset(v, 'v', sizeof v - 1);
    v[sizeof v - 1] = '\0';
    /* ~1.3 MB through 64 KiB memtables: with at most two memtables, writes
     * wait for flushes, so SST files exist when we read. */
    for (int i = 0; i < 4000; i++) {
        snprintf(k, sizeof k, "k%06d", i * 2);
        commit_one(&c, k, v);
    }
    ok(&c, be->begin(&c, KVB_TXN_READONLY));
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "k%06d", i * 2 + 1);
        get_is(&c, k, 0, NULL);
    }
    ok(&c, be->commit(&c));
    uint64_t useful = ticker(&db, "rocksdb.bloom.filter.useful");
    be->client_close(&c);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
    return useful;
}

static void test_bloom_reaches_rocksdb(void **state)
{
    (void)state;
    assert_true(bloom_useful("10") > 0);
    assert_int_equal(bloom_useful("0"), 0);
}

/* sync reaches WriteOptions: every synced commit syncs the WAL (one client,
 * so no group commit); without sync the WAL is written but never synced;
 * disable_wal writes no WAL at all. */
static void test_sync_reaches_rocksdb(void **state)
{
    (void)state;
    static const struct {
        bool sync, nowal;
        bool want_synced, want_wal;
    } cases[] = {
        {true, false, true, true},
        {false, false, false, true},
        {false, true, false, false},
    };
    for (size_t i = 0; i < 3; i++) {
        char dir[PATH_MAX];
        struct kvb_db db;
        struct kvb_client c;
        kvbt_mkdtemp(dir, "rocks-sync");
        void *opts = opts_new();
        opt_set(opts, "disable_wal", cases[i].nowal ? "true" : "false");
        db_open(&db, dir, cases[i].sync, opts);
        cl_open(&c, &db, 0);
        uint64_t synced0 = ticker(&db, "rocksdb.wal.synced");
        for (int n = 0; n < 10; n++) {
            char k[16];
            snprintf(k, sizeof k, "k%d", n);
            commit_one(&c, k, "value");
        }
        uint64_t synced = ticker(&db, "rocksdb.wal.synced") - synced0;
        uint64_t wal = ticker(&db, "rocksdb.wal.bytes");
        if (cases[i].want_synced)
            assert_true(synced >= 10);
        else
            assert_int_equal(synced, 0);
        if (cases[i].want_wal)
            assert_true(wal > 0);
        else
            assert_int_equal(wal, 0);
        be->client_close(&c);
        db_close(&db);
        kvbt_rmtree(dir);
        free(opts);
    }
}

/* ---- transactions ---- */

static void test_txn_semantics(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;
    kvbt_mkdtemp(dir, "rocks-txn");
    db_open(&db, dir, false, NULL); /* NULL opts: the table's defaults */
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);

    /* Absent, then read-your-writes inside the transaction. */
    ok(&a, be->begin(&a, 0));
    get_is(&a, "x", 0, NULL);
    put_s(&a, "x", "1");
    get_is(&a, "x", 0, "1");
    get_is(&a, "x", KVB_GET_FOR_UPDATE, "1");
    /* Not visible to others before commit. */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "x", 0, NULL);
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a));

    /* Abort discards writes. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "y", "gone");
    be->abort(&a);
    ok(&a, be->begin(&a, KVB_TXN_READONLY));
    get_is(&a, "y", 0, NULL);
    get_is(&a, "x", 0, "1");
    be->abort(&a);

    /* A transaction reads at its snapshot: a commit after begin is not
     * seen, by a write transaction or a read-only one. */
    struct kvb_client w;
    cl_open(&w, &db, 2);
    ok(&a, be->begin(&a, 0));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    commit_one(&w, "x", "2");
    commit_one(&w, "z", "new");
    get_is(&a, "x", 0, "1");
    get_is(&a, "z", 0, NULL);
    get_is(&b, "x", 0, "1");
    get_is(&b, "z", 0, NULL);
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a)); /* read nothing for update: no conflict */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "x", 0, "2");
    get_is(&b, "z", 0, "new");
    ok(&b, be->commit(&b));

    /* Delete. */
    ok(&a, be->begin(&a, 0));
    ok(&a, be->del(&a, "z", 1));
    get_is(&a, "z", 0, NULL);
    ok(&a, be->commit(&a));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "z", 0, NULL);

    /* A returned value stays valid until the client's next call, even
     * while another client overwrites the key. */
    const void *v;
    size_t n;
    ok(&b, be->get(&b, "x", 1, 0, &v, &n));
    commit_one(&w, "x", "3");
    assert_int_equal(n, 1);
    assert_memory_equal(v, "2", 1);

    /* Writes in a read-only transaction are errors, with a message. */
    assert_int_equal(be->put(&b, "q", 1, "v", 1), KVB_ERR);
    assert_non_null(strstr(b.err, "read-only"));
    assert_int_equal(be->del(&b, "q", 1), KVB_ERR);
    be->abort(&b);
    /* And so are calls outside a transaction. */
    assert_int_equal(be->put(&b, "q", 1, "v", 1), KVB_ERR);
    assert_int_equal(be->get(&b, "q", 1, 0, &v, &n), KVB_ERR);
    assert_int_equal(be->commit(&b), KVB_ERR);
    be->abort(&b); /* harmless when idle */

    /* Binary keys and values, and an empty value. */
    ok(&a, be->begin(&a, 0));
    ok(&a, be->put(&a, "\0k\xff", 3, "\0\1\2", 3));
    ok(&a, be->put(&a, "empty", 5, "", 0));
    ok(&a, be->commit(&a));
    ok(&a, be->begin(&a, KVB_TXN_READONLY));
    ok(&a, be->get(&a, "\0k\xff", 3, 0, &v, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(v, "\0\1\2", 3);
    ok(&a, be->get(&a, "empty", 5, 0, &v, &n));
    assert_int_equal(n, 0);
    ok(&a, be->commit(&a));

    /* close refuses while clients are open, then succeeds. */
    assert_int_equal(be->close(&db), KVB_ERR);
    assert_non_null(strstr(db.err, "clients still open"));
    be->client_close(&a);
    be->client_close(&b);
    be->client_close(&w);
    db_close(&db);
    assert_null(db.priv);
    kvbt_rmtree(dir);
}

/* Two clients interleaved in one thread: both read head for update, the
 * first commits, the second conflicts. A plain read does not conflict. */
static void test_conflict_busy(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;
    kvbt_mkdtemp(dir, "rocks-conflict");
    db_open(&db, dir, true, NULL);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    commit_one(&a, "head", "0");

    for (int round = 0; round < 3; round++) { /* the reused txn objects stay sound */
        char h[16], h1[16];
        snprintf(h, sizeof h, "%d", round);
        snprintf(h1, sizeof h1, "%d", round + 1);
        ok(&a, be->begin(&a, 0));
        ok(&b, be->begin(&b, 0));
        get_is(&a, "head", KVB_GET_FOR_UPDATE, h);
        get_is(&b, "head", KVB_GET_FOR_UPDATE, h);
        put_s(&a, "head", h1);
        put_s(&b, "head", h1);
        ok(&a, be->commit(&a));
        assert_int_equal(be->commit(&b), KVB_CONFLICT);
    }
    /* b's conflicting write did not land; head is a's. */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "head", 0, "3");
    ok(&b, be->commit(&b));

    /* Without KVB_GET_FOR_UPDATE the read is not validated. */
    ok(&a, be->begin(&a, 0));
    ok(&b, be->begin(&b, 0));
    get_is(&b, "head", 0, "3");
    put_s(&a, "head", "4");
    ok(&a, be->commit(&a));
    put_s(&b, "other", "x");
    ok(&b, be->commit(&b));

    /* A key read for update that nobody changed does not conflict. */
    ok(&a, be->begin(&a, 0));
    ok(&b, be->begin(&b, 0));
    get_is(&b, "other", KVB_GET_FOR_UPDATE, "x");
    put_s(&a, "head", "5");
    ok(&a, be->commit(&a));
    put_s(&b, "other", "y");
    ok(&b, be->commit(&b));

    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);
}

/* RocksDB answers TryAgain when the memtables no longer reach back to the
 * snapshot (a flush carried the history away): a conflict too. */
static void test_conflict_tryagain(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;
    kvbt_mkdtemp(dir, "rocks-tryagain");
    void *opts = opts_new();
    opt_set(opts, "write_buffer_size", "64KiB");
    db_open(&db, dir, false, opts);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    ok(&a, be->begin(&a, 0));
    get_is(&a, "head", KVB_GET_FOR_UPDATE, NULL);
    put_s(&a, "head", "1");
    /* ~4 MB of other keys through 64 KiB memtables. */
    char k[32], v[1000];
    memset(v, 'x', sizeof v - 1);
    v[sizeof v - 1] = '\0';
    for (int i = 0; i < 4000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        commit_one(&b, k, v);
    }
    assert_int_equal(be->commit(&a), KVB_CONFLICT);
    /* A fresh transaction goes through. */
    ok(&a, be->begin(&a, 0));
    get_is(&a, "head", KVB_GET_FOR_UPDATE, NULL);
    put_s(&a, "head", "1");
    ok(&a, be->commit(&a));
    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* RocksDB's per-thread PerfContext counting is off on the thread running a
 * transaction (it costs 15-25% of a memtable Get and nobody reads it): no
 * key comparisons are counted after begin, although they are when the
 * thread's level is set to count. */
static void test_perf_context_off(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client c;
    kvbt_mkdtemp(dir, "rocks-perf");
    db_open(&db, dir, false, NULL);
    cl_open(&c, &db, 0);
    char k[16];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "k%03d", i);
        commit_one(&c, k, "v");
    }
    rocksdb_perfcontext_t *pc = rocksdb_perfcontext_create();
    assert_non_null(pc);

    /* The counters work: a Get at kEnableCount compares keys. */
    ok(&c, be->begin(&c, KVB_TXN_READONLY));
    rocksdb_set_perf_level(rocksdb_enable_count);
    rocksdb_perfcontext_reset(pc);
    get_is(&c, "k050", 0, "v");
    assert_true(rocksdb_perfcontext_metric(pc, rocksdb_user_key_comparison_count) > 0);
    ok(&c, be->commit(&c));

    /* begin turns them off again, for read-only and write transactions. */
    for (unsigned flags = 0; flags <= KVB_TXN_READONLY; flags += KVB_TXN_READONLY) {
        rocksdb_set_perf_level(rocksdb_enable_count);
        ok(&c, be->begin(&c, flags));
        rocksdb_perfcontext_reset(pc);
        get_is(&c, "k050", 0, "v");
        get_is(&c, "k0500", 0, NULL);
        assert_int_equal(rocksdb_perfcontext_metric(pc, rocksdb_user_key_comparison_count), 0);
        ok(&c, be->commit(&c));
    }
    rocksdb_perfcontext_destroy(pc);
    be->client_close(&c);
    db_close(&db);
    kvbt_rmtree(dir);
}

/* ---- scan ---- */

#define SC_MAX 4096

/* What a scan visited: keys and values joined as "k=v" in visit order. */
struct scanned {
    unsigned n, stop_after; /* stop_after: return non-zero on that visit (0: never) */
    char kv[SC_MAX][160];
};

static int scan_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct scanned *s = arg;
    if (s->n >= SC_MAX)
        return 1;
    snprintf(s->kv[s->n], sizeof s->kv[0], "%.*s=%.*s", (int)klen, (const char *)key, (int)vlen,
             (const char *)val);
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* Scans from start and compares with want, a NULL-terminated list of "k=v". */
static void scan_is(struct kvb_client *c, const char *start, size_t limit, unsigned stop_after,
                    const char *const *want)
{
    static struct scanned s;
    memset(&s, 0, sizeof s);
    s.stop_after = stop_after;
    ok(c, be->scan(c, start, strlen(start), limit, scan_cb, &s));
    unsigned n = 0;
    while (want[n])
        n++;
    for (unsigned i = 0; i < s.n && i < n; i++)
        if (strcmp(s.kv[i], want[i]) != 0)
            fail_msg("scan from '%s' limit %zu: visit %u is '%s', expected '%s'", start, limit, i,
                     s.kv[i], want[i]);
    if (s.n != n)
        fail_msg("scan from '%s' limit %zu: %u keys visited, expected %u", start, limit, s.n, n);
}

static void test_scan(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b, w;
    kvbt_mkdtemp(dir, "rocks-scan");
    db_open(&db, dir, false, NULL);
    assert_non_null(be->scan);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    cl_open(&w, &db, 2);

    /* Written out of order, one commit each; visited in key order. */
    static const char *const keys[] = {"d", "b", "f", "a", "e", "c"};
    for (size_t i = 0; i < 6; i++) {
        char v[8];
        snprintf(v, sizeof v, "%s1", keys[i]);
        commit_one(&w, keys[i], v);
    }
    for (unsigned flags = 0; flags <= KVB_TXN_READONLY; flags += KVB_TXN_READONLY) {
        ok(&a, be->begin(&a, flags));
        scan_is(&a, "", 100, 0,
                (const char *const[]){"a=a1", "b=b1", "c=c1", "d=d1", "e=e1", "f=f1", NULL});
        /* limit */
        scan_is(&a, "b", 3, 0, (const char *const[]){"b=b1", "c=c1", "d=d1", NULL});
        scan_is(&a, "a", 1, 0, (const char *const[]){"a=a1", NULL});
        scan_is(&a, "a", 0, 0, (const char *const[]){NULL});
        /* start between keys and past the end */
        scan_is(&a, "cc", 2, 0, (const char *const[]){"d=d1", "e=e1", NULL});
        scan_is(&a, "e", 10, 0, (const char *const[]){"e=e1", "f=f1", NULL});
        scan_is(&a, "g", 10, 0, (const char *const[]){NULL});
        /* fn returning non-zero stops the scan at once */
        scan_is(&a, "a", 100, 2, (const char *const[]){"a=a1", "b=b1", NULL});
        scan_is(&a, "c", 100, 1, (const char *const[]){"c=c1", NULL});
        ok(&a, be->commit(&a));
    }

    /* A write transaction's scan sees its own puts, overwrites and deletes. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "bb", "new");
    put_s(&a, "c", "c2");
    ok(&a, be->del(&a, "d", 1));
    scan_is(&a, "b", 4, 0, (const char *const[]){"b=b1", "bb=new", "c=c2", "e=e1", NULL});
    /* ... that nobody else sees before the commit. */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    scan_is(&b, "b", 4, 0, (const char *const[]){"b=b1", "c=c1", "d=d1", "e=e1", NULL});
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    scan_is(&b, "b", 4, 0, (const char *const[]){"b=b1", "bb=new", "c=c2", "e=e1", NULL});
    ok(&b, be->commit(&b));

    /* Snapshot isolation: commits made after begin are not visited, by a
     * write transaction or a read-only one, even scanning after them. */
    ok(&a, be->begin(&a, 0));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    commit_one(&w, "ab", "late");
    commit_one(&w, "a", "a2");
    ok(&w, be->begin(&w, 0));
    ok(&w, be->del(&w, "b", 1));
    ok(&w, be->commit(&w));
    scan_is(&a, "", 3, 0, (const char *const[]){"a=a1", "b=b1", "bb=new", NULL});
    scan_is(&b, "", 3, 0, (const char *const[]){"a=a1", "b=b1", "bb=new", NULL});
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a)); /* nothing read for update: no conflict */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    scan_is(&b, "", 3, 0, (const char *const[]){"a=a2", "ab=late", "bb=new", NULL});
    ok(&b, be->commit(&b));

    /* Outside a transaction a scan is an error; an aborted transaction's
     * writes are gone. */
    struct scanned *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(be->scan(&a, "a", 1, 10, scan_cb, s), KVB_ERR);
    assert_non_null(strstr(a.err, "no transaction"));
    assert_int_equal(s->n, 0);
    ok(&a, be->begin(&a, 0));
    put_s(&a, "aa", "gone");
    be->abort(&a);
    ok(&a, be->begin(&a, KVB_TXN_READONLY));
    scan_is(&a, "a", 2, 0, (const char *const[]){"a=a2", "ab=late", NULL});
    ok(&a, be->commit(&a));

    be->client_close(&a);
    be->client_close(&b);
    be->client_close(&w);
    db_close(&db);
    kvbt_rmtree(dir);
    free(s);
}

/* A scan across SST files and the memtable, overwritten and deleted keys
 * included, visits every live key once, in order, with its newest value. */
static void test_scan_across_files(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client c;
    kvbt_mkdtemp(dir, "rocks-scanfiles");
    void *opts = opts_new();
    opt_set(opts, "write_buffer_size", "64KiB");
    db_open(&db, dir, false, opts);
    cl_open(&c, &db, 0);
    char k[32], v[128];
    const int n = 3000;
    /* 3000 keys of ~110 bytes through 64 KiB memtables: several SST files,
     * then every third key overwritten and every seventh deleted, so the
     * newest versions sit in newer files and the memtable. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int j = (i * 7919) % n; /* a permutation: not in key order */
            if (pass == 1 && j % 3 != 0)
                continue;
            snprintf(k, sizeof k, "k%05d", j);
            snprintf(v, sizeof v, "%d:%d:%0100d", j, pass, 0);
            commit_one(&c, k, v);
        }
    for (int i = 0; i < n; i += 7) {
        snprintf(k, sizeof k, "k%05d", i);
        ok(&c, be->begin(&c, 0));
        ok(&c, be->del(&c, k, strlen(k)));
        ok(&c, be->commit(&c));
    }
    uint64_t sst = 0;
    assert_int_equal(kvb_rocksdb_property_int(&db, "rocksdb.total-sst-files-size", &sst), 0);
    assert_true(sst > 0);

    static struct scanned s;
    for (unsigned flags = 0; flags <= KVB_TXN_READONLY; flags += KVB_TXN_READONLY) {
        memset(&s, 0, sizeof s);
        ok(&c, be->begin(&c, flags));
        ok(&c, be->scan(&c, "k", 1, SC_MAX, scan_cb, &s));
        ok(&c, be->commit(&c));
        unsigned m = 0;
        for (int i = 0; i < n; i++) {
            if (i % 7 == 0)
                continue;
            char want[160];
            snprintf(want, sizeof want, "k%05d=%d:%d:%0100d", i, i, i % 3 == 0, 0);
            if (m >= s.n)
                fail_msg("scan ended after %u keys, before k%05d", s.n, i);
            if (strcmp(s.kv[m], want) != 0)
                fail_msg("visit %u: '%s', expected '%s'", m, s.kv[m], want);
            m++;
        }
        assert_int_equal(s.n, m);
    }
    be->client_close(&c);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* ---- three unpaced monotonic writers ---- */

#define MW_THREADS 3
#define MW_COMMITS 400    /* per thread per round */
#define MW_MAX_RETRY 1000 /* per commit */
#define MW_MAX_ROUNDS 20  /* until conflicts are seen */
#define MW_VALUE 100

struct mw {
    struct kvb_client c;
    uint64_t commits, conflicts, retry_failures, user_bytes;
    uint64_t *claimed; /* the head values this writer's commits claimed */
    char failure[KVB_ERRLEN + 64];
};

static size_t key_of(uint64_t h, char *buf)
{
    return (size_t)snprintf(buf, 32, "key%llu", (unsigned long long)h);
}

/* value(h): its index, then filler derived from it, MW_VALUE bytes. */
static void value_of(uint64_t h, char *buf)
{
    int n = snprintf(buf, MW_VALUE, "v%llu:", (unsigned long long)h);
    for (int i = n; i < MW_VALUE; i++)
        buf[i] = (char)('a' + (h * 7 + (uint64_t)i) % 26);
}

static uint64_t parse_head(const void *v, size_t n)
{
    char buf[32]; /* no cmocka asserts here: writer threads call this */
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return strtoull(buf, NULL, 10);
}

static void *mw_thread(void *arg)
{
    struct mw *w = arg;
    struct kvb_client *c = &w->c;
    char key[32], val[MW_VALUE], hv[32];
    for (int i = 0; i < MW_COMMITS; i++) {
        int tries = 0;
        for (;;) {
            const void *v;
            size_t n;
            uint64_t h = 0;
            int rc = be->begin(c, 0);
            if (rc == KVB_OK) {
                rc = be->get(c, "head", 4, KVB_GET_FOR_UPDATE, &v, &n);
                if (rc == KVB_OK)
                    h = parse_head(v, n);
                else if (rc == KVB_NOT_FOUND)
                    rc = KVB_OK;
            }
            size_t kl = key_of(h, key), hl = 0;
            if (rc == KVB_OK) {
                value_of(h, val);
                rc = be->put(c, key, kl, val, MW_VALUE);
            }
            if (rc == KVB_OK) {
                hl = (size_t)snprintf(hv, sizeof hv, "%llu", (unsigned long long)(h + 1));
                rc = be->put(c, "head", 4, hv, hl);
            }
            if (rc == KVB_OK) {
                rc = be->commit(c);
            } else {
                be->abort(c);
            }
            if (rc == KVB_OK) {
                w->claimed[w->commits++] = h;
                w->user_bytes += kl + MW_VALUE + 4 + hl;
                break;
            }
            if (rc != KVB_CONFLICT) {
                snprintf(w->failure, sizeof w->failure, "rc %d: %s", rc, c->err);
                return NULL;
            }
            w->conflicts++;
            if (++tries > MW_MAX_RETRY) {
                w->retry_failures++;
                break;
            }
        }
    }
    return NULL;
}

/* head equals the acknowledged commits, every claimed index is distinct
 * and every key below head verifies. */
static void mw_verify(struct kvb_db *db, struct mw *w, uint64_t total)
{
    struct kvb_client c;
    cl_open(&c, db, 9);
    ok(&c, be->begin(&c, KVB_TXN_READONLY));
    const void *v;
    size_t n;
    ok(&c, be->get(&c, "head", 4, 0, &v, &n));
    uint64_t head = parse_head(v, n);
    assert_int_equal(head, total);

    unsigned char *seen = calloc(total ? total : 1, 1);
    assert_non_null(seen);
    for (int t = 0; t < MW_THREADS; t++)
        for (uint64_t i = 0; i < w[t].commits; i++) {
            uint64_t h = w[t].claimed[i];
            assert_true(h < total);
            if (seen[h])
                fail_msg("index %llu claimed twice (lost update)", (unsigned long long)h);
            seen[h] = 1;
        }
    free(seen);

    char key[32], want[MW_VALUE];
    for (uint64_t h = 0; h < head; h++) {
        size_t kl = key_of(h, key);
        int rc = be->get(&c, key, kl, 0, &v, &n);
        if (rc != KVB_OK)
            fail_msg("%s: rc %d after %llu commits", key, rc, (unsigned long long)total);
        value_of(h, want);
        assert_int_equal(n, MW_VALUE);
        assert_memory_equal(v, want, MW_VALUE);
    }
    ok(&c, be->commit(&c));
    be->client_close(&c);
}

static void monotonic_case(const char *blind_writes)
{
    char dir[PATH_MAX];
    struct kvb_db db;
    struct mw w[MW_THREADS];
    kvbt_mkdtemp(dir, "rocks-mono");
    void *opts = opts_new();
    opt_set(opts, "write_buffer_size", "256KiB"); /* some flushes happen during the run */
    opt_set(opts, "blind_writes", blind_writes);
    db_open(&db, dir, false, opts);
    memset(w, 0, sizeof w);
    for (int t = 0; t < MW_THREADS; t++) {
        cl_open(&w[t].c, &db, (unsigned)t);
        w[t].claimed = calloc(MW_COMMITS * MW_MAX_ROUNDS, sizeof(uint64_t));
        assert_non_null(w[t].claimed);
    }

    uint64_t conflicts = 0, commits = 0, retry_failures = 0, user_bytes = 0;
    int rounds = 0;
    while (rounds < MW_MAX_ROUNDS && (rounds == 0 || conflicts == 0)) {
        pthread_t th[MW_THREADS];
        for (int t = 0; t < MW_THREADS; t++)
            assert_int_equal(pthread_create(&th[t], NULL, mw_thread, &w[t]), 0);
        for (int t = 0; t < MW_THREADS; t++)
            assert_int_equal(pthread_join(th[t], NULL), 0);
        rounds++;
        conflicts = commits = retry_failures = user_bytes = 0;
        for (int t = 0; t < MW_THREADS; t++) {
            if (w[t].failure[0])
                fail_msg("writer %d: %s", t, w[t].failure);
            conflicts += w[t].conflicts;
            commits += w[t].commits;
            retry_failures += w[t].retry_failures;
            user_bytes += w[t].user_bytes;
        }
        mw_verify(&db, w, commits);
    }
    print_message("monotonic (blind_writes: %s): %d round(s), %llu commits, %llu conflicts, "
                  "%llu retry failures\n",
                  blind_writes, rounds, (unsigned long long)commits, (unsigned long long)conflicts,
                  (unsigned long long)retry_failures);
    assert_true(conflicts > 0);
    assert_int_equal(retry_failures, 0);
    assert_int_equal(commits, (uint64_t)rounds * MW_THREADS * MW_COMMITS);

    /* Stats: our user bytes are exactly the committed key+value bytes;
     * RocksDB wrote at least that much WAL; stall figures are known (whether
     * these writers stall is up to RocksDB: test_write_stall_counted forces one). */
    struct kvb_engine_counters st;
    kvb_engine_counters_init(&st);
    ok(&w[0].c, be->counters(&db, &st));
    assert_true(st.user_bytes_written == (double)user_bytes);
    assert_true(st.disk_bytes_written >= st.user_bytes_written);
    assert_true(st.disk_bytes_written >= (double)ticker(&db, "rocksdb.wal.bytes"));
    assert_false(isnan(st.write_stalls));
    assert_false(isnan(st.stall_ms));

    for (int t = 0; t < MW_THREADS; t++) {
        be->client_close(&w[t].c);
        free(w[t].claimed);
    }
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

static void test_monotonic_writers(void **state)
{
    (void)state;
    monotonic_case("transaction");
}

/* The same read-modify-write transactions with blind_writes: batch (each
 * begins its RocksDB transaction at its first get): conflicts as before. */
static void test_monotonic_writers_batch(void **state)
{
    (void)state;
    monotonic_case("batch");
}

/* ---- KVB_TXN_ONE_READ ---- */

static uint64_t num_snapshots(struct kvb_db *db)
{
    uint64_t n = 0;
    assert_int_equal(kvb_rocksdb_property_int(db, "rocksdb.num-snapshots", &n), 0);
    return n;
}

/* A read-only transaction begun KVB_TXN_ONE_READ takes no snapshot and its
 * one get sees what is committed when it is made; a second get, a scan or a
 * write is refused. Snapshots are counted relative to before begin: an idle
 * client's reused transaction object keeps its last snapshot. */
static void one_read_case(const char *blind_writes)
{
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;
    kvbt_mkdtemp(dir, "rocks-oneread");
    void *opts = opts_new();
    opt_set(opts, "blind_writes", blind_writes);
    db_open(&db, dir, false, opts);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    const unsigned one = KVB_TXN_READONLY | KVB_TXN_ONE_READ;

    commit_one(&a, "k", "v1");
    uint64_t snaps = num_snapshots(&db);
    ok(&b, be->begin(&b, one));
    assert_int_equal(num_snapshots(&db), snaps);
    get_is(&b, "k", 0, "v1");
    ok(&b, be->commit(&b));
    ok(&b, be->begin(&b, one));
    get_is(&b, "absent", 0, NULL);
    ok(&b, be->commit(&b));

    /* A plain read-only transaction does take one (the property counts). */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    assert_int_equal(num_snapshots(&db), snaps + 1);
    ok(&b, be->commit(&b));
    assert_int_equal(num_snapshots(&db), snaps);

    /* No snapshot at begin: the get sees a commit made after begin. */
    ok(&b, be->begin(&b, one));
    commit_one(&a, "k", "v2");
    get_is(&b, "k", 0, "v2");
    ok(&b, be->commit(&b));

    /* The value stays valid until the client's next call. */
    const void *v;
    size_t n;
    ok(&b, be->begin(&b, one));
    ok(&b, be->get(&b, "k", 1, 0, &v, &n));
    commit_one(&a, "k", "v3");
    assert_int_equal(n, 2);
    assert_memory_equal(v, "v2", 2);
    /* One get only; then the transaction ends as usual. */
    assert_int_equal(be->get(&b, "k", 1, 0, &v, &n), KVB_ERR);
    assert_non_null(strstr(b.err, "KVB_TXN_ONE_READ"));
    be->abort(&b);
    ok(&b, be->begin(&b, one));
    assert_int_equal(be->put(&b, "q", 1, "v", 1), KVB_ERR);
    assert_non_null(strstr(b.err, "read-only"));
    assert_int_equal(be->del(&b, "q", 1), KVB_ERR);
    assert_int_equal(be->scan(&b, "", 0, 10, scan_cb, NULL), KVB_ERR);
    be->abort(&b);
    /* A transaction that ends without its get is fine too. */
    ok(&b, be->begin(&b, one));
    ok(&b, be->commit(&b));
    /* Alone, KVB_TXN_ONE_READ means nothing: a write transaction. */
    ok(&b, be->begin(&b, KVB_TXN_ONE_READ));
    get_is(&b, "k", 0, "v3");
    get_is(&b, "k", 0, "v3");
    put_s(&b, "q", "w");
    ok(&b, be->commit(&b));
    ok(&b, be->begin(&b, one));
    get_is(&b, "q", 0, "w");
    ok(&b, be->commit(&b));

    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

static void test_one_read(void **state)
{
    (void)state;
    one_read_case("transaction");
    one_read_case("batch");
}

/* ---- blind_writes: batch ---- */

static void *opts_batch(void)
{
    void *opts = opts_new();
    opt_set(opts, "blind_writes", "batch");
    return opts;
}

/* Writes, aborts, read-your-writes and snapshots of blind_writes: batch. */
static void test_blind_batch(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;
    kvbt_mkdtemp(dir, "rocks-batch");
    void *opts = opts_batch();
    db_open(&db, dir, false, opts);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);

    /* put + commit: visible to others after commit, not before; a write
     * transaction that has not read holds no snapshot. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "x", "1");
    put_s(&a, "y", "1");
    assert_int_equal(num_snapshots(&db), 0); /* no transaction object exists yet */
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "x", 0, NULL);
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "x", 0, "1");
    get_is(&b, "y", 0, "1");
    ok(&b, be->commit(&b));

    /* abort discards puts and deletes. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "gone", "v");
    ok(&a, be->del(&a, "x", 1));
    be->abort(&a);
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "gone", 0, NULL);
    get_is(&b, "x", 0, "1");
    ok(&b, be->commit(&b));
    /* ... and a delete commits. */
    ok(&a, be->begin(&a, 0));
    ok(&a, be->del(&a, "y", 1));
    ok(&a, be->commit(&a));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "y", 0, NULL);
    ok(&b, be->commit(&b));

    /* Read-your-writes once a get has begun the transaction: the writes made
     * before it are replayed into it. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "k", "mine");
    ok(&a, be->del(&a, "x", 1));
    assert_int_equal(num_snapshots(&db), 0);
    get_is(&a, "k", 0, "mine");
    assert_int_equal(num_snapshots(&db), 1); /* the transaction's, taken at the get */
    get_is(&a, "x", 0, NULL);
    get_is(&a, "k", KVB_GET_FOR_UPDATE, "mine");
    put_s(&a, "k2", "also");
    get_is(&a, "k2", 0, "also");
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "k", 0, NULL);
    get_is(&b, "x", 0, "1");
    ok(&b, be->commit(&b));
    ok(&a, be->commit(&a));
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "k", 0, "mine");
    get_is(&b, "k2", 0, "also");
    get_is(&b, "x", 0, NULL);
    ok(&b, be->commit(&b));
    /* ... and so does a scan. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "k1", "new");
    struct scanned *sc = calloc(1, sizeof *sc);
    assert_non_null(sc);
    ok(&a, be->scan(&a, "k", 1, 10, scan_cb, sc));
    assert_int_equal(sc->n, 3);
    assert_string_equal(sc->kv[0], "k=mine");
    assert_string_equal(sc->kv[1], "k1=new");
    assert_string_equal(sc->kv[2], "k2=also");
    free(sc);
    be->abort(&a);
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "k1", 0, NULL);
    ok(&b, be->commit(&b));

    /* The snapshot is taken at the first read, not at begin: a commit made
     * between the two is seen. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "p", "1");
    commit_one(&b, "s", "before-first-read");
    get_is(&a, "s", 0, "before-first-read");
    commit_one(&b, "s", "after-first-read");
    get_is(&a, "s", 0, "before-first-read");
    ok(&a, be->commit(&a));

    /* Figures: user bytes count what plain batches and transactions wrote. */
    struct kvb_engine_counters st;
    kvb_engine_counters_init(&st);
    ok(&a, be->counters(&db, &st));
    /* x,y (4) + del y (1) + k, del x (5+1) + k2 (6) + s twice (18+17) + p (2) */
    double want = 4 + 1 + 5 + 1 + 6 + 18 + 17 + 2;
    if (st.user_bytes_written != want)
        fail_msg("user_bytes_written %g, expected %g", st.user_bytes_written, want);

    /* Errors are reported as before. */
    assert_int_equal(be->put(&a, "q", 1, "v", 1), KVB_ERR);
    assert_non_null(strstr(a.err, "no transaction"));
    ok(&a, be->begin(&a, KVB_TXN_READONLY));
    assert_int_equal(be->put(&a, "q", 1, "v", 1), KVB_ERR);
    assert_non_null(strstr(a.err, "read-only"));
    be->abort(&a);

    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* Conflicts with blind_writes: batch: two blind writers of one key never
 * conflict (they do in transaction mode); read-modify-write transactions
 * conflict as before, with each other and with a plain batch's write. */
static void test_blind_batch_conflicts(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client a, b;

    /* transaction mode: blind writes of one key conflict */
    kvbt_mkdtemp(dir, "rocks-batch-txn");
    db_open(&db, dir, false, NULL);
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    ok(&a, be->begin(&a, 0));
    ok(&b, be->begin(&b, 0));
    put_s(&a, "k", "A");
    put_s(&b, "k", "B");
    ok(&a, be->commit(&a));
    assert_int_equal(be->commit(&b), KVB_CONFLICT);
    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);

    kvbt_mkdtemp(dir, "rocks-batch-conflicts");
    void *opts = opts_batch();
    db_open(&db, dir, true, opts); /* sync: the plain batch goes through the same options */
    cl_open(&a, &db, 0);
    cl_open(&b, &db, 1);
    uint64_t synced = ticker(&db, "rocksdb.wal.synced");

    for (int round = 0; round < 3; round++) {
        ok(&a, be->begin(&a, 0));
        ok(&b, be->begin(&b, 0));
        put_s(&a, "k", "A");
        put_s(&b, "k", "B");
        put_s(&b, "k", "B2");
        ok(&a, be->commit(&a));
        ok(&b, be->commit(&b)); /* no conflict */
    }
    assert_true(ticker(&db, "rocksdb.wal.synced") >= synced + 6);
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "k", 0, "B2");
    ok(&b, be->commit(&b));

    /* Read-modify-write against read-modify-write. */
    commit_one(&a, "head", "0");
    for (int round = 0; round < 3; round++) {
        char h[16], h1[16];
        snprintf(h, sizeof h, "%d", round);
        snprintf(h1, sizeof h1, "%d", round + 1);
        ok(&a, be->begin(&a, 0));
        ok(&b, be->begin(&b, 0));
        get_is(&a, "head", KVB_GET_FOR_UPDATE, h);
        get_is(&b, "head", KVB_GET_FOR_UPDATE, h);
        put_s(&a, "head", h1);
        put_s(&b, "head", h1);
        ok(&a, be->commit(&a));
        assert_int_equal(be->commit(&b), KVB_CONFLICT);
    }
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "head", 0, "3");
    ok(&b, be->commit(&b));

    /* Read-modify-write against a plain batch of the key it read. */
    ok(&a, be->begin(&a, 0));
    get_is(&a, "head", KVB_GET_FOR_UPDATE, "3");
    commit_one(&b, "head", "blind");
    put_s(&a, "head", "4");
    assert_int_equal(be->commit(&a), KVB_CONFLICT);
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "head", 0, "blind");
    ok(&b, be->commit(&b));

    /* A write made before the first get is replayed into the transaction
     * and tracked: a plain batch of that key after the get conflicts. */
    ok(&a, be->begin(&a, 0));
    put_s(&a, "w", "mine");
    get_is(&a, "other", KVB_GET_FOR_UPDATE, NULL);
    commit_one(&b, "w", "theirs");
    assert_int_equal(be->commit(&a), KVB_CONFLICT);
    ok(&b, be->begin(&b, KVB_TXN_READONLY));
    get_is(&b, "w", 0, "theirs");
    ok(&b, be->commit(&b));

    /* A plain read (not for update) is not validated, as before. */
    ok(&a, be->begin(&a, 0));
    get_is(&a, "head", 0, "blind");
    commit_one(&b, "head", "5");
    put_s(&a, "other", "x");
    ok(&a, be->commit(&a));

    be->client_close(&a);
    be->client_close(&b);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* Threads mixing plain batches and read-modify-write transactions on shared
 * keys (so on shared lock stripes): no deadlock, no blind write conflicts,
 * no lost increment. */
#define BB_KEYS 16
#define BB_OPS 1500
#define BB_MAX_RETRY 10000

struct bb {
    struct kvb_client c;
    bool rmw;
    unsigned seed;
    uint64_t commits, conflicts;
    char failure[KVB_ERRLEN + 64];
};

static void *bb_thread(void *arg)
{
    struct bb *w = arg;
    struct kvb_client *c = &w->c;
    char key[16], val[32];
    for (int i = 0; i < BB_OPS; i++) {
        for (int tries = 0;; tries++) {
            int rc = be->begin(c, 0);
            /* two or three keys of the shared set, in any order */
            for (int k = 0; rc == KVB_OK && k < 2 + i % 2; k++) {
                int n = snprintf(key, sizeof key, "s%u", (unsigned)rand_r(&w->seed) % BB_KEYS);
                int vl = snprintf(val, sizeof val, "%p:%d", (void *)w, i);
                rc = be->put(c, key, (size_t)n, val, (size_t)vl);
            }
            if (rc == KVB_OK && w->rmw) {
                const void *v;
                size_t n;
                uint64_t count = 0;
                rc = be->get(c, "count", 5, KVB_GET_FOR_UPDATE, &v, &n);
                if (rc == KVB_OK)
                    count = parse_head(v, n);
                else if (rc == KVB_NOT_FOUND)
                    rc = KVB_OK;
                int vl = snprintf(val, sizeof val, "%llu", (unsigned long long)count + 1);
                if (rc == KVB_OK)
                    rc = be->put(c, "count", 5, val, (size_t)vl);
            }
            if (rc == KVB_OK)
                rc = be->commit(c);
            else
                be->abort(c);
            if (rc == KVB_OK) {
                w->commits++;
                break;
            }
            if (rc != KVB_CONFLICT || !w->rmw || tries >= BB_MAX_RETRY) {
                snprintf(w->failure, sizeof w->failure, "%s: rc %d: %s",
                         w->rmw ? "read-modify-write" : "blind", rc, rc == KVB_ERR ? c->err : "");
                return NULL;
            }
            w->conflicts++;
        }
    }
    return NULL;
}

static void test_blind_batch_threads(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    struct kvb_db db;
    struct bb w[4];
    kvbt_mkdtemp(dir, "rocks-batch-threads");
    void *opts = opts_batch();
    db_open(&db, dir, false, opts);
    memset(w, 0, sizeof w);
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        cl_open(&w[t].c, &db, (unsigned)t);
        w[t].rmw = t % 2 == 0;
        w[t].seed = (unsigned)t + 1;
        assert_int_equal(pthread_create(&th[t], NULL, bb_thread, &w[t]), 0);
    }
    for (int t = 0; t < 4; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    uint64_t increments = 0, conflicts = 0;
    for (int t = 0; t < 4; t++) {
        if (w[t].failure[0])
            fail_msg("thread %d: %s", t, w[t].failure);
        assert_int_equal(w[t].commits, BB_OPS);
        if (w[t].rmw)
            increments += w[t].commits;
        conflicts += w[t].conflicts;
    }
    struct kvb_client c;
    cl_open(&c, &db, 5);
    ok(&c, be->begin(&c, KVB_TXN_READONLY));
    const void *v;
    size_t n;
    ok(&c, be->get(&c, "count", 5, 0, &v, &n));
    assert_int_equal(parse_head(v, n), increments);
    ok(&c, be->commit(&c));
    print_message("blind_writes batch threads: %llu increments, %llu conflicts\n",
                  (unsigned long long)increments, (unsigned long long)conflicts);
    be->client_close(&c);
    for (int t = 0; t < 4; t++)
        be->client_close(&w[t].c);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* ---- reopen ---- */

/* Every acknowledged key is there after close and reopen, with the WAL
 * (sync or not) and without it (close flushes the memtables). */
static void reopen_case(bool sync, const char *nowal)
{
    char dir[PATH_MAX];
    struct kvb_db db;
    struct kvb_client c;
    kvbt_mkdtemp(dir, "rocks-reopen");
    void *opts = opts_new();
    opt_set(opts, "disable_wal", nowal);
    opt_set(opts, "write_buffer_size", "64KiB");
    db_open(&db, dir, sync, opts);
    cl_open(&c, &db, 0);
    char key[32], val[MW_VALUE];
    const int n = 3000; /* some in SST files, the tail only in the WAL/memtable */
    for (int i = 0; i < n; i++) {
        size_t kl = key_of((uint64_t)i, key);
        value_of((uint64_t)i, val);
        ok(&c, be->begin(&c, 0));
        ok(&c, be->put(&c, key, kl, val, MW_VALUE));
        ok(&c, be->commit(&c));
    }
    be->client_close(&c);
    db_close(&db);

    /* Reopen with other options: the data does not depend on them. */
    opt_set(opts, "compression", "lz4");
    opt_set(opts, "write_buffer_size", "4MiB");
    db_open(&db, dir, sync, opts);
    cl_open(&c, &db, 0);
    ok(&c, be->begin(&c, KVB_TXN_READONLY));
    for (int i = 0; i < n; i++) {
        const void *v;
        size_t vl;
        size_t kl = key_of((uint64_t)i, key);
        int rc = be->get(&c, key, kl, 0, &v, &vl);
        if (rc != KVB_OK)
            fail_msg("%s lost after reopen (sync %d, disable_wal %s): rc %d", key, sync, nowal, rc);
        value_of((uint64_t)i, val);
        assert_int_equal(vl, MW_VALUE);
        assert_memory_equal(v, val, MW_VALUE);
    }
    ok(&c, be->commit(&c));
    be->client_close(&c);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

/* A forced write stall is counted, in its units. Each commit puts 1 MiB
 * into 64 KiB memtables: every commit fills one, and RocksDB stops writes
 * while two memtables (its default max_write_buffer_number) wait to be
 * flushed - so a commit stalls whenever the flush of the one before it has
 * not finished: an SST file compressed (zstd, incompressible data), written
 * and synced, against a commit's copies in memory (no WAL). About half the
 * commits stall, on disk or tmpfs. One writer: at most one stall per
 * commit, and the stall time lies within the time the commits took. */
static void test_write_stall_counted(void **state)
{
    (void)state;
    enum { COMMITS = 30, VALUE = 1 << 20 };
    char dir[PATH_MAX], key[16];
    kvbt_mkdtemp(dir, "rdb-stall");
    void *opts = opts_new();
    opt_set(opts, "write_buffer_size", "64KiB");
    opt_set(opts, "compression", "zstd");
    opt_set(opts, "disable_wal", "true");
    struct kvb_db db;
    struct kvb_client c;
    db_open(&db, dir, false, opts);
    cl_open(&c, &db, 0);
    unsigned char *val = malloc(VALUE);
    assert_non_null(val);
    uint64_t x = 0x9e3779b97f4a7c15ull; /* incompressible: zstd works through all of it */
    for (size_t i = 0; i < VALUE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        val[i] = (unsigned char)x;
    }
    uint64_t t0 = kvb_now_ns();
    for (int i = 0; i < COMMITS; i++) {
        int klen = snprintf(key, sizeof key, "big%03d", i);
        ok(&c, be->begin(&c, 0));
        ok(&c, be->put(&c, key, (size_t)klen, val, VALUE));
        ok(&c, be->commit(&c));
    }
    double elapsed_ms = (double)(kvb_now_ns() - t0) / 1e6;
    struct kvb_engine_counters st;
    kvb_engine_counters_init(&st);
    ok(&c, be->counters(&db, &st));
    print_message("%d commits of 1 MiB in %.1f ms: %.0f write stalls, %.1f ms stalled\n", COMMITS,
                  elapsed_ms, st.write_stalls, st.stall_ms);
    assert_true(st.write_stalls >= 1 && st.write_stalls <= COMMITS);
    assert_true(st.stall_ms > 0 && st.stall_ms <= elapsed_ms);
    free(val);
    be->client_close(&c);
    db_close(&db);
    kvbt_rmtree(dir);
    free(opts);
}

static void test_reopen(void **state)
{
    (void)state;
    reopen_case(true, "false");
    reopen_case(false, "false");
    reopen_case(false, "true");
}

/* An open that fails says why, with RocksDB's message. */
static void test_open_error(void **state)
{
    (void)state;
    struct kvb_db db = {.be = be};
    struct kvb_open_args a = {.dir = "/proc/kvbench-no-such-dir/x", .max_clients = 1};
    assert_int_equal(be->open(&db, &a), KVB_ERR);
    assert_non_null(strstr(db.err, "rocksdb open"));
    assert_non_null(strstr(db.err, "/proc/kvbench-no-such-dir/x"));
    assert_true(strlen(db.err) > 40);
    assert_null(db.priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_options_reach_rocksdb),
        cmocka_unit_test(test_bloom_reaches_rocksdb),
        cmocka_unit_test(test_sync_reaches_rocksdb),
        cmocka_unit_test(test_txn_semantics),
        cmocka_unit_test(test_conflict_busy),
        cmocka_unit_test(test_conflict_tryagain),
        cmocka_unit_test(test_perf_context_off),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_scan_across_files),
        cmocka_unit_test(test_monotonic_writers),
        cmocka_unit_test(test_monotonic_writers_batch),
        cmocka_unit_test(test_one_read),
        cmocka_unit_test(test_blind_batch),
        cmocka_unit_test(test_blind_batch_conflicts),
        cmocka_unit_test(test_blind_batch_threads),
        cmocka_unit_test(test_write_stall_counted),
        cmocka_unit_test(test_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
