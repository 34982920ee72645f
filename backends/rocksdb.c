/*
 * rocksdb.c - the `rocksdb` backend: an OptimisticTransactionDB through
 * RocksDB's C API (rocksdb/c.h, Debian's librocksdb 7.8).
 *
 * A write transaction is a RocksDB optimistic transaction begun with
 * set_snapshot, so validation at commit asks "did anything this transaction
 * read for update change since its snapshot?"; its reads go through the same
 * snapshot (read options carry it), so a transaction sees one consistent
 * state. RocksDB reports a failed validation as Busy ("Resource busy"), or as
 * TryAgain when the memtables no longer reach back to the snapshot (a flush
 * carried the history away); both are KVB_CONFLICT. A read-only transaction
 * is a plain DB snapshot and snapshot reads, with no transaction object; one
 * begun KVB_TXN_ONE_READ takes no snapshot (its single Get is consistent by
 * itself), as a plain DB::Get does.
 *
 * blind_writes: batch (default: transaction) defers the RocksDB transaction:
 * begin opens none, puts and deletes go into a per-client WriteBatch, and the
 * first get or scan begins the optimistic transaction (taking its snapshot
 * then) and replays the batch into it. A transaction that never read commits
 * its batch with a plain DB::Write on the base DB, as db_bench and a plain
 * RocksDB user do: no conflict check, so blind writes never conflict. Such a
 * write passes RocksDB's OCC lock buckets by, and with RocksDB's parallel
 * validation (7.8's default) a transaction validates its keys against the
 * memtables under those buckets and then writes: a plain write of one of its
 * keys could slip in between, unseen. So in this mode the backend keeps its
 * own striped reader-writer locks (rdb_stripes): a plain batch commit holds
 * its keys' stripes shared (blind writers do not wait for one another), a
 * transaction's commit holds the stripes of every key it tracked (read for
 * update or written) exclusively, around RocksDB's commit.
 *
 * scan iterates in key order through the transaction (seeing its own
 * writes) or, read-only, through a DB iterator at the snapshot.
 *
 * Client threads run with RocksDB's per-thread PerfContext counting off,
 * as db_bench does (see rdb_begin).
 *
 * Allocation on the hot path is what the C API forces: the transaction
 * object is reused (old_txn), write and transaction options are shared and
 * read-only after open, read options and (blind_writes: batch) the write
 * batch are per client and reused; each begin that takes a snapshot still
 * allocates a snapshot handle, and each get a pinnable slice, which holds the
 * returned value until the client's next call.
 *
 * Figures for a run come from RocksDB's statistics (enabled at open), read
 * back by parsing the statistics text, as the 7.8 C API has no ticker getter.
 */
#include "backends/backend.h"

#include <rocksdb/c.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The backend's options: the config's `rocksdb:` map. */
struct rdb_opts {
    uint64_t write_buffer_size;
    uint64_t block_cache_size;
    int compression; /* index into rdb_compressions */
    double bloom_bits;
    unsigned max_background_jobs;
    unsigned recycle_log_file_num;
    int wal_recovery_mode; /* index into rdb_recovery_modes, = RocksDB's enum value */
    bool disable_wal;
    int blind_writes; /* index into rdb_blind_writes */
};

/* In RocksDB's WALRecoveryMode order: the index is RocksDB's value. */
static const char *const rdb_recovery_modes[] = {"tolerate_corrupted_tail", "absolute",
                                                 "point_in_time", "skip_any", NULL};
enum { RDB_RECOVERY_SKIP_ANY = 3 };

static const char *const rdb_blind_writes[] = {"transaction", "batch", NULL};
enum { RDB_BLIND_TXN, RDB_BLIND_BATCH };

static const char *const rdb_compressions[] = {"none", "lz4", "zstd", "snappy", NULL};
static const int rdb_compression_types[] = {
    rocksdb_no_compression,
    rocksdb_lz4_compression,
    rocksdb_zstd_compression,
    rocksdb_snappy_compression,
};

/* Defaults are RocksDB 7.8's own, so that `rocksdb:` with no keys is stock
 * RocksDB (8 MiB is the block cache it creates when given none). */
static const struct kvb_option rdb_options[] = {
    {.name = "write_buffer_size",
     .label = "wbs",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct rdb_opts, write_buffer_size),
     .min = 64 * 1024,
     .max = 64.0 * 1024 * 1024 * 1024,
     .def = "64MiB",
     .help = "memtable size before it is flushed to an SST file (64KiB..64GiB)"},
    {.name = "block_cache_size",
     .label = "cache",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct rdb_opts, block_cache_size),
     .min = 0,
     .max = 1024.0 * 1024 * 1024 * 1024,
     .def = "8MiB",
     .help = "LRU block cache for SST blocks; 0 disables the block cache"},
    {.name = "compression",
     .label = "comp",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct rdb_opts, compression),
     .def = "snappy",
     .choices = rdb_compressions,
     .help = "SST block compression (all levels); open fails if the library lacks it"},
    {.name = "bloom_bits",
     .label = "bloom",
     .type = KVB_OPT_DOUBLE,
     .offset = offsetof(struct rdb_opts, bloom_bits),
     .min = 0,
     .max = 100,
     .def = "0",
     .help = "bits per key of a full bloom filter on SST files; 0 = no filter, else 1..100"},
    {.name = "max_background_jobs",
     .label = "bg",
     .type = KVB_OPT_UINT,
     .offset = offsetof(struct rdb_opts, max_background_jobs),
     .min = 1,
     .max = 256,
     .def = "2",
     .help = "flush and compaction jobs RocksDB may run at once (1..256)"},
    {.name = "recycle_log_file_num",
     .label = "recycle",
     .type = KVB_OPT_UINT,
     .offset = offsetof(struct rdb_opts, recycle_log_file_num),
     .min = 0,
     .max = 64,
     .def = "0",
     .help = "WAL files kept for reuse once obsolete (after a memtable flush), so syncs "
             "overwrite instead of append (0..64); RocksDB ignores it unless "
             "wal_recovery_mode is skip_any"},
    {.name = "wal_recovery_mode",
     .label = "walrec",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct rdb_opts, wal_recovery_mode),
     .def = "point_in_time",
     .choices = rdb_recovery_modes,
     .help = "what a bad WAL record means at recovery: tolerate_corrupted_tail, absolute, "
             "point_in_time (RocksDB's default) or skip_any"},
    {.name = "disable_wal",
     .label = "nowal",
     .type = KVB_OPT_BOOL,
     .offset = offsetof(struct rdb_opts, disable_wal),
     .def = "false",
     .help = "write no WAL: commits are lost on a crash until flushed (needs sync: false)"},
    {.name = "blind_writes",
     .label = "blind",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct rdb_opts, blind_writes),
     .def = "transaction",
     .choices = rdb_blind_writes,
     .help = "transaction: every write txn is an optimistic txn begun with a snapshot, and "
             "its written keys are validated at commit (blind writes can conflict); batch: a "
             "write txn that made no get by commit is a plain WriteBatch on the base DB, "
             "unvalidated, as in db_bench (blind writers' conflict figures are 0 by "
             "construction), and a txn's snapshot is taken at its first get or scan, not at "
             "begin (the same for txns that read first)"},
    {.name = NULL},
};

struct rdb {
    rocksdb_optimistictransactiondb_t *odb;
    rocksdb_t *base;               /* wrapper for the base DB: snapshots, flush, properties */
    rocksdb_options_t *options;    /* kept open: it owns the Statistics object */
    rocksdb_cache_t *cache;        /* NULL when block_cache_size is 0 */
    rocksdb_writeoptions_t *wopts; /* shared, read-only after open */
    rocksdb_optimistictransaction_options_t *topts; /* shared, read-only after open */
    bool disable_wal;
    /* blind_writes: batch: the striped locks (NULL in transaction mode) */
    pthread_rwlock_t *stripes;
    atomic_uint_fast64_t user_bytes; /* key+value bytes of committed puts and deletes */
    atomic_uint open_clients;
};

/* RDB_RO1: read-only, begun KVB_TXN_ONE_READ (no snapshot). RDB_WB
 * (blind_writes: batch): a write transaction that has not read yet, its
 * writes in rc->wb and no RocksDB transaction. */
enum rdb_state { RDB_IDLE, RDB_RW, RDB_RO, RDB_RO1, RDB_WB };

/* Striped locks of blind_writes: batch, indexed by a hash of the key. */
#define RDB_STRIPES 4096u

struct rdb_client {
    struct rdb *db;
    rocksdb_transaction_t *txn;   /* reused by every write transaction (old_txn) */
    rocksdb_readoptions_t *ropts; /* carries the current snapshot */
    /* The current snapshot handle: a RW transaction's is a malloc'd copy
     * (rocksdb_free), a RO transaction's comes from rocksdb_create_snapshot
     * (rocksdb_release_snapshot). */
    const rocksdb_snapshot_t *snap;
    rocksdb_pinnableslice_t *val; /* value of the last get, until the next call */
    enum rdb_state state;
    unsigned reads;         /* RDB_RO1: gets made so far */
    uint64_t pending_bytes; /* user bytes of the open transaction */
    /* blind_writes: batch only */
    rocksdb_writebatch_t *wb; /* RDB_WB: the writes made so far */
    uint32_t *keys;           /* stripes of the keys the transaction tracks */
    size_t nkeys, capkeys;
};

/* Copies RocksDB's message into buf and frees RocksDB's copy. */
static int rdb_fail(char *buf, const char *what, char *rerr)
{
    kvb_errorf(buf, "rocksdb %s: %s", what, rerr);
    rocksdb_free(rerr);
    return KVB_ERR;
}

static bool rdb_is_conflict(const char *rerr)
{
    /* Status::Busy and Status::TryAgain as Status::ToString spells them. */
    return strncmp(rerr, "Resource busy", 13) == 0 ||
           strncmp(rerr, "Operation failed. Try again.", 28) == 0;
}

static int rdb_check(const void *opts, bool sync, char *err, size_t errlen)
{
    const struct rdb_opts *o = opts;
    if (o->disable_wal && sync) {
        snprintf(err, errlen,
                 "rocksdb: disable_wal: true contradicts sync: true (with no WAL there is "
                 "nothing to sync, so commits would not be durable); set sync: false or "
                 "disable_wal: false");
        return -1;
    }
    if (o->bloom_bits > 0 && o->bloom_bits < 1) {
        snprintf(err, errlen,
                 "rocksdb: bloom_bits: expected 0 (no filter) or a number from 1 to 100, got %g",
                 o->bloom_bits);
        return -1;
    }
    if (o->compression < 0 ||
        (size_t)o->compression >= sizeof rdb_compression_types / sizeof rdb_compression_types[0]) {
        snprintf(err, errlen, "rocksdb: compression: unknown choice %d", o->compression);
        return -1;
    }
    if (o->blind_writes != RDB_BLIND_TXN && o->blind_writes != RDB_BLIND_BATCH) {
        snprintf(err, errlen, "rocksdb: blind_writes: unknown choice %d", o->blind_writes);
        return -1;
    }
    if (o->recycle_log_file_num && o->wal_recovery_mode != RDB_RECOVERY_SKIP_ANY) {
        snprintf(err, errlen,
                 "rocksdb: recycle_log_file_num: %u has no effect with wal_recovery_mode: %s "
                 "(RocksDB 7.8, the version kvbench is built with, turns WAL recycling off unless the "
                 "mode is skip_any); set "
                 "wal_recovery_mode: skip_any or recycle_log_file_num: 0",
                 o->recycle_log_file_num, rdb_recovery_modes[o->wal_recovery_mode]);
        return -1;
    }
    return 0;
}

/* Finds "name ... COUNT : n" on a line of RocksDB's statistics text (tickers
 * and histograms both have a COUNT field). */
static int rdb_stat_count(const char *text, const char *name, uint64_t *out)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)) != NULL; p += n) {
        if ((p != text && p[-1] != '\n') || p[n] != ' ')
            continue;
        const char *eol = strchr(p, '\n');
        const char *c = strstr(p, "COUNT : ");
        if (!c || (eol && c > eol))
            return -1;
        *out = strtoull(c + 8, NULL, 10);
        return 0;
    }
    return -1;
}

/*
 * For tests and diagnostics, not part of the backend interface: reads the
 * COUNT of RocksDB statistic `name` ("rocksdb.wal.synced") on an open rocksdb
 * db. Returns 0, or -1 if the statistic is unknown.
 */
int kvb_rocksdb_ticker(struct kvb_db *db, const char *name, uint64_t *out);
int kvb_rocksdb_ticker(struct kvb_db *db, const char *name, uint64_t *out)
{
    struct rdb *r = db->priv;
    char *text = rocksdb_options_statistics_get_string(r->options);
    if (!text)
        return -1;
    int rc = rdb_stat_count(text, name, out);
    rocksdb_free(text);
    return rc;
}

/*
 * For tests and diagnostics, not part of the backend interface: reads RocksDB
 * integer property `name` ("rocksdb.block-cache-capacity") on an open rocksdb
 * db. Returns 0, or -1 if the property is unknown.
 */
int kvb_rocksdb_property_int(struct kvb_db *db, const char *name, uint64_t *out);
int kvb_rocksdb_property_int(struct kvb_db *db, const char *name, uint64_t *out)
{
    struct rdb *r = db->priv;
    return rocksdb_property_int(r->base, name, out) == 0 ? 0 : -1;
}

static void rdb_free(struct rdb *r)
{
    if (r->base)
        rocksdb_optimistictransactiondb_close_base_db(r->base);
    if (r->odb)
        rocksdb_optimistictransactiondb_close(r->odb);
    if (r->topts)
        rocksdb_optimistictransaction_options_destroy(r->topts);
    if (r->wopts)
        rocksdb_writeoptions_destroy(r->wopts);
    if (r->options)
        rocksdb_options_destroy(r->options);
    if (r->cache)
        rocksdb_cache_destroy(r->cache);
    if (r->stripes) {
        for (unsigned i = 0; i < RDB_STRIPES; i++)
            pthread_rwlock_destroy(&r->stripes[i]);
        free(r->stripes);
    }
    free(r);
}

/* Allocates the striped locks of blind_writes: batch. Writers are preferred
 * (glibc's rwlocks prefer readers by default), so that a stream of blind
 * writes to a hot key cannot starve a transaction's commit. */
static int rdb_stripes_init(struct rdb *r)
{
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0)
        return -1;
#ifdef __GLIBC__ /* an enum there, not a macro */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    r->stripes = malloc(RDB_STRIPES * sizeof *r->stripes);
    unsigned i = 0;
    if (r->stripes)
        for (; i < RDB_STRIPES; i++)
            if (pthread_rwlock_init(&r->stripes[i], &attr) != 0)
                break;
    pthread_rwlockattr_destroy(&attr);
    if (i == RDB_STRIPES)
        return 0;
    while (i-- > 0)
        pthread_rwlock_destroy(&r->stripes[i]);
    free(r->stripes);
    r->stripes = NULL;
    return -1;
}

static int rdb_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    struct rdb_opts defaults;
    const struct rdb_opts *o = args->opts;
    char *rerr = NULL;

    if (!o) {
        if (kvb_opt_defaults(rdb_options, &defaults, db->err, KVB_ERRLEN) != 0)
            return KVB_ERR;
        o = &defaults;
    }
    if (rdb_check(o, args->sync, db->err, KVB_ERRLEN) != 0)
        return KVB_ERR;

    struct rdb *r = calloc(1, sizeof *r);
    if (!r)
        return kvb_errorf(db->err, "rocksdb open: out of memory");
    atomic_init(&r->user_bytes, 0);
    atomic_init(&r->open_clients, 0);
    r->disable_wal = o->disable_wal;
    if (o->blind_writes == RDB_BLIND_BATCH && rdb_stripes_init(r) != 0) {
        rdb_free(r);
        return kvb_errorf(db->err, "rocksdb open: out of memory (blind_writes locks)");
    }

    r->options = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->options, 1);
    rocksdb_options_enable_statistics(r->options);
    rocksdb_options_set_write_buffer_size(r->options, (size_t)o->write_buffer_size);
    rocksdb_options_set_compression(r->options, rdb_compression_types[o->compression]);
    rocksdb_options_set_max_background_jobs(r->options, (int)o->max_background_jobs);
    rocksdb_options_set_recycle_log_file_num(r->options, o->recycle_log_file_num);
    rocksdb_options_set_wal_recovery_mode(r->options, o->wal_recovery_mode);

    rocksdb_block_based_table_options_t *bbo = rocksdb_block_based_options_create();
    if (o->block_cache_size > 0) {
        r->cache = rocksdb_cache_create_lru((size_t)o->block_cache_size);
        rocksdb_block_based_options_set_block_cache(bbo, r->cache);
    } else {
        rocksdb_block_based_options_set_no_block_cache(bbo, 1);
    }
    if (o->bloom_bits > 0) /* the table options take ownership of the policy */
        rocksdb_block_based_options_set_filter_policy(
            bbo, rocksdb_filterpolicy_create_bloom_full(o->bloom_bits));
    rocksdb_options_set_block_based_table_factory(r->options, bbo); /* copies bbo */
    rocksdb_block_based_options_destroy(bbo);

    r->odb = rocksdb_optimistictransactiondb_open(r->options, args->dir, &rerr);
    if (rerr) {
        /* An unsupported compression fails here: "Invalid argument:
         * Compression type LZ4 is not linked with the binary." */
        if (strstr(rerr, "ompression"))
            kvb_errorf(db->err, "rocksdb open %s: compression: %s: %s", args->dir,
                       rdb_compressions[o->compression], rerr);
        else
            kvb_errorf(db->err, "rocksdb open %s: %s", args->dir, rerr);
        rocksdb_free(rerr);
        r->odb = NULL;
        rdb_free(r);
        return KVB_ERR;
    }
    r->base = rocksdb_optimistictransactiondb_get_base_db(r->odb);

    r->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wopts, args->sync);
    rocksdb_writeoptions_disable_WAL(r->wopts, o->disable_wal);
    r->topts = rocksdb_optimistictransaction_options_create();
    rocksdb_optimistictransaction_options_set_set_snapshot(r->topts, 1);

    db->priv = r;
    return KVB_OK;
}

static int rdb_close(struct kvb_db *db)
{
    struct rdb *r = db->priv;
    char *rerr = NULL;
    int rc = KVB_OK;

    if (!r)
        return KVB_OK;
    unsigned live = atomic_load(&r->open_clients);
    if (live)
        return kvb_errorf(db->err, "rocksdb close: %u clients still open", live);

    /* The C API's close cannot report Close()'s status, so make everything
     * durable first where errors can still be seen: sync the WAL, or without
     * a WAL flush the memtables to SST files. */
    if (!r->disable_wal) {
        rocksdb_flush_wal(r->base, 1, &rerr);
        if (rerr)
            rc = rdb_fail(db->err, "close: syncing the WAL", rerr);
    } else {
        rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
        rocksdb_flushoptions_set_wait(fo, 1);
        rocksdb_flush(r->base, fo, &rerr);
        rocksdb_flushoptions_destroy(fo);
        if (rerr)
            rc = rdb_fail(db->err, "close: flushing memtables", rerr);
    }
    uint64_t bg_errors = 0;
    if (rc == KVB_OK &&
        rocksdb_property_int(r->base, "rocksdb.background-errors", &bg_errors) == 0 &&
        bg_errors > 0)
        rc = kvb_errorf(db->err,
                        "rocksdb close: %llu background errors (flush or compaction) "
                        "during the run; see LOG in the data directory",
                        (unsigned long long)bg_errors);

    rdb_free(r);
    db->priv = NULL;
    return rc;
}

static int rdb_client_open(struct kvb_client *c)
{
    struct rdb_client *rc = calloc(1, sizeof *rc);
    if (!rc)
        return kvb_errorf(c->err, "rocksdb client_open: out of memory");
    rc->db = c->db->priv;
    rc->ropts = rocksdb_readoptions_create();
    if (rc->db->stripes)
        rc->wb = rocksdb_writebatch_create();
    rc->state = RDB_IDLE;
    atomic_fetch_add(&rc->db->open_clients, 1);
    c->priv = rc;
    return KVB_OK;
}

static inline void rdb_release_val(struct rdb_client *rc)
{
    if (rc->val) {
        rocksdb_pinnableslice_destroy(rc->val);
        rc->val = NULL;
    }
}

/* Ends the current transaction's snapshot and returns the client to idle.
 * The transaction object itself is kept for the next begin. */
static void rdb_end(struct rdb_client *rc)
{
    rdb_release_val(rc);
    switch (rc->state) {
    case RDB_RW:
        rocksdb_free((void *)rc->snap);
        break;
    case RDB_RO:
        rocksdb_release_snapshot(rc->db->base, rc->snap);
        break;
    case RDB_WB:
        rocksdb_writebatch_clear(rc->wb);
        break;
    default:
        break;
    }
    rc->snap = NULL;
    rocksdb_readoptions_set_snapshot(rc->ropts, NULL);
    rc->state = RDB_IDLE;
    rc->pending_bytes = 0;
    rc->nkeys = 0;
}

/* ---- blind_writes: batch: the keys a transaction tracks, and their locks ---- */

static inline uint32_t rdb_stripe_of(const void *key, size_t klen)
{
    const unsigned char *p = key;
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < klen; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return (uint32_t)((h ^ (h >> 32)) & (RDB_STRIPES - 1));
}

/* Notes that the open transaction tracks key (blind_writes: batch only). */
static int rdb_track(struct kvb_client *c, struct rdb_client *rc, const void *key, size_t klen)
{
    if (rc->nkeys == rc->capkeys) {
        size_t cap = rc->capkeys ? rc->capkeys * 2 : 16;
        uint32_t *k = realloc(rc->keys, cap * sizeof *k);
        if (!k)
            return kvb_errorf(c->err, "rocksdb: out of memory tracking keys");
        rc->keys = k;
        rc->capkeys = cap;
    }
    rc->keys[rc->nkeys++] = rdb_stripe_of(key, klen);
    return KVB_OK;
}

static int rdb_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Locks the stripes of the tracked keys in ascending order (so that no two
 * commits deadlock), each once: shared for a plain batch, exclusive for a
 * transaction. Sorts and deduplicates rc->keys. */
static void rdb_lock_stripes(struct rdb_client *rc, bool exclusive)
{
    size_t n = rc->nkeys;
    if (n > 1) {
        qsort(rc->keys, n, sizeof rc->keys[0], rdb_cmp_u32);
        size_t m = 1;
        for (size_t i = 1; i < n; i++)
            if (rc->keys[i] != rc->keys[m - 1])
                rc->keys[m++] = rc->keys[i];
        rc->nkeys = n = m;
    }
    for (size_t i = 0; i < n; i++) {
        pthread_rwlock_t *l = &rc->db->stripes[rc->keys[i]];
        if (exclusive)
            pthread_rwlock_wrlock(l);
        else
            pthread_rwlock_rdlock(l);
    }
}

static void rdb_unlock_stripes(struct rdb_client *rc)
{
    for (size_t i = rc->nkeys; i-- > 0;)
        pthread_rwlock_unlock(&rc->db->stripes[rc->keys[i]]);
}

static void rdb_client_close(struct kvb_client *c)
{
    struct rdb_client *rc = c->priv;
    if (!rc)
        return;
    if (rc->state == RDB_RW) {
        char *rerr = NULL;
        rocksdb_transaction_rollback(rc->txn, &rerr);
        rocksdb_free(rerr);
    }
    rdb_end(rc);
    if (rc->txn)
        rocksdb_transaction_destroy(rc->txn);
    if (rc->wb)
        rocksdb_writebatch_destroy(rc->wb);
    free(rc->keys);
    rocksdb_readoptions_destroy(rc->ropts);
    atomic_fetch_sub(&rc->db->open_clients, 1);
    free(rc);
    c->priv = NULL;
}

static int rdb_begin(struct kvb_client *c, unsigned flags)
{
    struct rdb_client *rc = c->priv;
    struct rdb *r = rc->db;

    if (rc->state != RDB_IDLE)
        return kvb_errorf(c->err, "rocksdb begin: a transaction is already open");
    rdb_release_val(rc);
    /* RocksDB counts into a per-thread PerfContext unless told otherwise
     * (its default perf level is kEnableCount): a thread-local lookup and add
     * on every key comparison, block read and WAL write, 15-25% of a
     * memtable Get or Put. Nobody reads those counters (our figures come from
     * the Statistics object) and db_bench turns them off by default
     * (--perf_level=1); so do we, on whichever thread runs this transaction.
     * The level is the thread's, so this is set at every begin: a store. */
    rocksdb_set_perf_level(rocksdb_disable);
    if ((flags & (KVB_TXN_READONLY | KVB_TXN_ONE_READ)) == (KVB_TXN_READONLY | KVB_TXN_ONE_READ)) {
        /* One Get is consistent by itself: no snapshot, plain read options. */
        rc->reads = 0;
        rc->state = RDB_RO1;
        return KVB_OK;
    }
    if (flags & KVB_TXN_READONLY) {
        rc->snap = rocksdb_create_snapshot(r->base);
        rc->state = RDB_RO;
    } else if (r->stripes) {
        /* blind_writes: batch: the transaction begins at the first read */
        rc->state = RDB_WB;
        return KVB_OK;
    } else {
        rc->txn = rocksdb_optimistictransaction_begin(r->odb, r->wopts, r->topts, rc->txn);
        rc->snap = rocksdb_transaction_get_snapshot(rc->txn);
        rc->state = RDB_RW;
    }
    rocksdb_readoptions_set_snapshot(rc->ropts, rc->snap);
    return KVB_OK;
}

/* blind_writes: batch, at a write transaction's first read: begins the
 * optimistic transaction (its snapshot is taken now) and replays the writes
 * made so far into it, where they are tracked as if made through it. */
static int rdb_start_txn(struct kvb_client *c, struct rdb_client *rc)
{
    struct rdb *r = rc->db;
    char *rerr = NULL;

    rc->txn = rocksdb_optimistictransaction_begin(r->odb, r->wopts, r->topts, rc->txn);
    rc->snap = rocksdb_transaction_get_snapshot(rc->txn);
    rocksdb_readoptions_set_snapshot(rc->ropts, rc->snap);
    rc->state = RDB_RW;
    if (rocksdb_writebatch_count(rc->wb) > 0) {
        rocksdb_transaction_rebuild_from_writebatch(rc->txn, rc->wb, &rerr);
        rocksdb_writebatch_clear(rc->wb);
        if (rerr)
            return rdb_fail(c->err, "replaying the writes into the transaction", rerr);
    }
    return KVB_OK;
}

static int rdb_get(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
                   const void **val, size_t *vlen)
{
    struct rdb_client *rc = c->priv;
    char *rerr = NULL;

    rdb_release_val(rc);
    switch (rc->state) {
    case RDB_WB:
        if (rdb_start_txn(c, rc) != KVB_OK)
            return KVB_ERR;
        /* fall through */
    case RDB_RW:
        if (flags & KVB_GET_FOR_UPDATE) {
            if (rc->db->stripes && rdb_track(c, rc, key, klen) != KVB_OK)
                return KVB_ERR;
            rc->val =
                rocksdb_transaction_get_pinned_for_update(rc->txn, rc->ropts, key, klen, 1, &rerr);
        } else {
            rc->val = rocksdb_transaction_get_pinned(rc->txn, rc->ropts, key, klen, &rerr);
        }
        break;
    case RDB_RO1:
        if (rc->reads++ > 0)
            return kvb_errorf(c->err, "rocksdb get: a second get in a KVB_TXN_ONE_READ "
                                      "transaction (it has no snapshot)");
        /* its ropts carry no snapshot */
        /* fall through */
    case RDB_RO:
        rc->val = rocksdb_get_pinned(rc->db->base, rc->ropts, key, klen, &rerr);
        break;
    default:
        return kvb_errorf(c->err, "rocksdb get: no transaction is open");
    }
    if (rerr)
        return rdb_fail(c->err, "get", rerr);
    if (!rc->val)
        return KVB_NOT_FOUND;
    *val = rocksdb_pinnableslice_value(rc->val, vlen);
    return KVB_OK;
}

static int rdb_put(struct kvb_client *c, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct rdb_client *rc = c->priv;
    char *rerr = NULL;

    if (rc->state != RDB_RW && rc->state != RDB_WB)
        return kvb_errorf(c->err, "rocksdb put: %s",
                          rc->state == RDB_IDLE ? "no transaction is open"
                                                : "the transaction is read-only");
    if (rc->db->stripes && rdb_track(c, rc, key, klen) != KVB_OK)
        return KVB_ERR;
    if (rc->state == RDB_WB)
        rocksdb_writebatch_put(rc->wb, key, klen, val, vlen);
    else
        rocksdb_transaction_put(rc->txn, key, klen, val, vlen, &rerr);
    if (rerr)
        return rdb_fail(c->err, "put", rerr);
    rc->pending_bytes += klen + vlen;
    return KVB_OK;
}

static int rdb_del(struct kvb_client *c, const void *key, size_t klen)
{
    struct rdb_client *rc = c->priv;
    char *rerr = NULL;

    if (rc->state != RDB_RW && rc->state != RDB_WB)
        return kvb_errorf(c->err, "rocksdb del: %s",
                          rc->state == RDB_IDLE ? "no transaction is open"
                                                : "the transaction is read-only");
    if (rc->db->stripes && rdb_track(c, rc, key, klen) != KVB_OK)
        return KVB_ERR;
    if (rc->state == RDB_WB)
        rocksdb_writebatch_delete(rc->wb, key, klen);
    else
        rocksdb_transaction_delete(rc->txn, key, klen, &rerr);
    if (rerr)
        return rdb_fail(c->err, "del", rerr);
    rc->pending_bytes += klen;
    return KVB_OK;
}

static int rdb_commit(struct kvb_client *c)
{
    struct rdb_client *rc = c->priv;
    char *rerr = NULL;
    int ret = KVB_OK;

    switch (rc->state) {
    case RDB_RO:
    case RDB_RO1:
        break;
    case RDB_WB:
        /* blind_writes: batch, nothing read: a plain write, no validation */
        rdb_lock_stripes(rc, false);
        rocksdb_write(rc->db->base, rc->db->wopts, rc->wb, &rerr);
        rdb_unlock_stripes(rc);
        if (!rerr) {
            if (rc->pending_bytes)
                atomic_fetch_add_explicit(&rc->db->user_bytes, rc->pending_bytes,
                                          memory_order_relaxed);
        } else {
            ret = rdb_fail(c->err, "commit (write batch)", rerr);
        }
        break;
    case RDB_RW:
        if (rc->db->stripes) {
            rdb_lock_stripes(rc, true);
            rocksdb_transaction_commit(rc->txn, &rerr);
            rdb_unlock_stripes(rc);
        } else {
            rocksdb_transaction_commit(rc->txn, &rerr);
        }
        if (!rerr) {
            if (rc->pending_bytes)
                atomic_fetch_add_explicit(&rc->db->user_bytes, rc->pending_bytes,
                                          memory_order_relaxed);
        } else if (rdb_is_conflict(rerr)) {
            rocksdb_free(rerr);
            ret = KVB_CONFLICT;
        } else {
            ret = rdb_fail(c->err, "commit", rerr);
        }
        break;
    default:
        return kvb_errorf(c->err, "rocksdb commit: no transaction is open");
    }
    rdb_end(rc);
    return ret;
}

static void rdb_abort(struct kvb_client *c)
{
    struct rdb_client *rc = c->priv;
    if (rc->state == RDB_RW) {
        char *rerr = NULL;
        rocksdb_transaction_rollback(rc->txn, &rerr);
        rocksdb_free(rerr); /* rollback of an optimistic txn only clears it */
    }
    rdb_end(rc);
}

/*
 * Ordered scan within the open transaction. A write transaction iterates
 * through the transaction (its own uncommitted writes over the snapshot,
 * RocksDB's BaseDeltaIterator); a read-only one through a plain DB iterator
 * whose read options carry the snapshot. The iterator is created per scan and
 * destroyed before returning: the 7.8 C API has no Refresh to re-point a kept
 * iterator at the next transaction's snapshot, and a transaction iterator
 * must not outlive Commit/Rollback anyway. Keys and values point into the
 * iterator's pinned blocks, valid until the next step, which is all fn may
 * rely on.
 */
static int rdb_scan(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                    int (*fn)(void *arg, const void *key, size_t klen, const void *val,
                              size_t vlen),
                    void *arg)
{
    struct rdb_client *rc = c->priv;
    rocksdb_iterator_t *it;
    char *rerr = NULL;

    rdb_release_val(rc);
    switch (rc->state) {
    case RDB_WB:
        if (rdb_start_txn(c, rc) != KVB_OK)
            return KVB_ERR;
        /* fall through */
    case RDB_RW:
        it = rocksdb_transaction_create_iterator(rc->txn, rc->ropts);
        break;
    case RDB_RO1:
        return kvb_errorf(c->err, "rocksdb scan: the transaction was begun KVB_TXN_ONE_READ");
    case RDB_RO:
        it = rocksdb_create_iterator(rc->db->base, rc->ropts);
        break;
    default:
        return kvb_errorf(c->err, "rocksdb scan: no transaction is open");
    }
    if (!it)
        return kvb_errorf(c->err, "rocksdb scan: could not create an iterator");

    size_t n = 0;
    if (limit > 0) {
        rocksdb_iter_seek(it, start, slen);
        while (rocksdb_iter_valid(it)) {
            size_t kl, vl;
            const char *k = rocksdb_iter_key(it, &kl);
            const char *v = rocksdb_iter_value(it, &vl);
            if (fn(arg, k, kl, v, vl) != 0 || ++n >= limit)
                break;
            rocksdb_iter_next(it);
        }
    }
    /* An iterator that stopped being valid because of an I/O error or a
     * corruption says so here; running off the end is not an error. */
    rocksdb_iter_get_error(it, &rerr);
    rocksdb_iter_destroy(it);
    if (rerr)
        return rdb_fail(c->err, "scan", rerr);
    return KVB_OK;
}

/*
 * disk_bytes_written: flush + compaction output + WAL bytes (tickers
 *   rocksdb.flush.write.bytes, rocksdb.compact.write.bytes, rocksdb.wal.bytes);
 *   MANIFEST, OPTIONS and LOG writes are not counted.
 * prep_bytes_written: 0; RocksDB reserves file space with fallocate, which
 *   writes nothing.
 * user_bytes_written: our own count of key+value bytes of committed puts
 *   (and key bytes of deletes), the same definition every backend uses.
 * write_stalls: rocksdb.db.write.stall COUNT, writes that went through
 *   RocksDB's delay/stop path; stall_ms: rocksdb.stall.micros / 1000.
 * RocksDB's statistics may be read while other threads write.
 */
static int rdb_counters(struct kvb_db *db, struct kvb_engine_counters *c)
{
    struct rdb *r = db->priv;
    char *text = rocksdb_options_statistics_get_string(r->options);
    if (!text)
        return kvb_errorf(db->err, "rocksdb stats: statistics are not enabled");

    uint64_t flush, compact, wal, stalls, stall_us;
    if (rdb_stat_count(text, "rocksdb.flush.write.bytes", &flush) == 0 &&
        rdb_stat_count(text, "rocksdb.compact.write.bytes", &compact) == 0 &&
        rdb_stat_count(text, "rocksdb.wal.bytes", &wal) == 0)
        c->disk_bytes_written = (double)flush + (double)compact + (double)wal;
    if (rdb_stat_count(text, "rocksdb.db.write.stall", &stalls) == 0)
        c->write_stalls = (double)stalls;
    if (rdb_stat_count(text, "rocksdb.stall.micros", &stall_us) == 0)
        c->stall_ms = (double)stall_us / 1000.0;
    rocksdb_free(text);
    c->prep_bytes_written = 0;
    c->user_bytes_written = (double)atomic_load_explicit(&r->user_bytes, memory_order_relaxed);
    return KVB_OK;
}

/* The flush and compaction jobs it may run at once. */
static unsigned rdb_background_threads(const void *opts, bool sync)
{
    (void)sync;
    return ((const struct rdb_opts *)opts)->max_background_jobs;
}

const struct kvb_backend kvb_backend_rocksdb = {
    .name = "rocksdb",
    .summary = "RocksDB OptimisticTransactionDB (C API), snapshot per transaction",
    .caps = KVB_CAP_STORES | KVB_CAP_DURABLE | KVB_CAP_CONFLICTS | KVB_CAP_PERSIST,
    .options = rdb_options,
    .opts_size = sizeof(struct rdb_opts),
    .check = rdb_check,
    .background_threads = rdb_background_threads,
    .open = rdb_open,
    .close = rdb_close,
    .client_open = rdb_client_open,
    .client_close = rdb_client_close,
    .begin = rdb_begin,
    .get = rdb_get,
    .put = rdb_put,
    .del = rdb_del,
    .commit = rdb_commit,
    .abort = rdb_abort,
    .scan = rdb_scan,
    .counters = rdb_counters,
};
