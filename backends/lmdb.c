/*
 * lmdb.c - the LMDB backend: one environment in the run's directory, the
 * unnamed database, one transaction per kvbench transaction.
 *
 * Writers are serialised by LMDB's own write lock: a write transaction
 * (mdb_txn_begin without MDB_RDONLY) waits for the previous one to end, so a
 * write transaction never sees a concurrent change and commits never
 * conflict. Readers use read-only transactions: the environment is opened
 * with MDB_NOTLS, which ties a reader slot to the MDB_txn rather than to the
 * thread, and each client keeps one read-only MDB_txn that it resets at the
 * end of a transaction and renews at the next begin (no allocation, no
 * reader-table search on the hot path).
 *
 * A write transaction holds LMDB's write mutex, so it must begin and end on
 * the same thread, and one thread must not have two clients inside write
 * transactions at once (the second begin would wait forever).
 *
 * Durability: with `sync`, every commit is flushed (fdatasync, or msync with
 * writemap) before it returns. Without it the environment is opened with
 * MDB_NOSYNC: commits return once written to the page cache; a crash of the
 * process loses nothing, but an operating-system crash or power loss loses
 * the commits the kernel had not yet written back (bounded only by its
 * writeback, vm.dirty_expire_centisecs, 30 s by default), and with writemap
 * may corrupt the file. close syncs everything.
 *
 * Map size: `map_size` if set; otherwise expected_keys x (value_size + 64) x
 * 4, at least 1 GiB. The map is only reserved address space and a sparse
 * file, so a generous default costs nothing; a run that outgrows it fails
 * with MDB_MAP_FULL and a hint to raise lmdb.map_size.
 *
 * Values returned by get point into the map and stay valid until the next
 * call on the client; a read-only transaction's pages are released at its
 * commit, after the harness has copied what it needs.
 *
 * Scans use a cursor (MDB_SET_RANGE, then MDB_NEXT) in the unnamed
 * database's default order, memcmp with the shorter key first on a common
 * prefix. A read-only transaction's cursor, like the transaction itself, is
 * the client's for good: opened by the first scan and renewed
 * (mdb_cursor_renew) for each later one. A write transaction's cursor is
 * opened by its first scan and reused until the transaction ends, which
 * frees it. A scan in a write transaction sees that transaction's writes.
 */
#include "backends/backend.h"

#include <lmdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct lmdb_opts {
    uint64_t map_size;    /* 0: derived from the hints */
    unsigned max_readers; /* 0: max(126, max_clients) */
    bool writemap;
    bool nordahead;
};

static const struct kvb_option lmdb_options[] = {
    {
        .name = "map_size",
        .type = KVB_OPT_SIZE,
        .offset = offsetof(struct lmdb_opts, map_size),
        .def = "0",
        .help = "size of the memory map, the database's upper bound "
                "(0: expected keys x (value size + 64) x 4, at least 1GiB)",
    },
    {
        .name = "max_readers",
        .type = KVB_OPT_UINT,
        .offset = offsetof(struct lmdb_opts, max_readers),
        .def = "0",
        .help = "reader table slots, at least one per client (0: max(126, clients))",
    },
    {
        .name = "writemap",
        .type = KVB_OPT_BOOL,
        .offset = offsetof(struct lmdb_opts, writemap),
        .def = "false",
        .help = "MDB_WRITEMAP: write through a writable memory map instead of write()",
    },
    {
        .name = "nordahead",
        .type = KVB_OPT_BOOL,
        .offset = offsetof(struct lmdb_opts, nordahead),
        .def = "false",
        .help = "MDB_NORDAHEAD: turn off the kernel's read-ahead on the data file",
    },
    {.name = NULL},
};

#define LMDB_MIN_MAP ((uint64_t)1 << 30)
#define LMDB_MAX_MAP ((uint64_t)1 << 44) /* where the derived default stops growing */
#define LMDB_DEFAULT_READERS 126u

struct lmdb_db {
    MDB_env *env;
    MDB_dbi dbi;
    uint64_t map_size;
    atomic_uint_fast64_t user_bytes;
};

struct lmdb_client {
    struct lmdb_db *db;
    MDB_txn *txn;     /* the transaction in progress, or NULL */
    MDB_txn *rtxn;    /* this client's read-only txn, reset between uses (or NULL) */
    MDB_cursor *rcur; /* scans in rtxn: opened once, renewed per scan (or NULL) */
    MDB_cursor *wcur; /* scans in the write txn in progress; LMDB frees it at its end */
    bool readonly;
    uint64_t pending_bytes; /* key+value bytes put in the write txn in progress */
};

/* The hint appended to MDB_MAP_FULL errors. */
static const char *lmdb_hint(int rc)
{
    return rc == MDB_MAP_FULL ? " (raise lmdb.map_size)" : "";
}

static int lmdb_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    static const struct lmdb_opts none;
    const struct lmdb_opts *o = args->opts ? args->opts : &none;
    struct lmdb_db *l = calloc(1, sizeof *l);
    MDB_txn *txn = NULL;
    int rc, dead;
    if (!l)
        return kvb_errorf(db->err, "lmdb: out of memory");

    l->map_size = o->map_size;
    if (!l->map_size) {
        uint64_t per_key = ((uint64_t)args->value_size + 64) * 4;
        l->map_size = args->expected_keys > LMDB_MAX_MAP / per_key ? LMDB_MAX_MAP
                                                                   : args->expected_keys * per_key;
        if (l->map_size < LMDB_MIN_MAP)
            l->map_size = LMDB_MIN_MAP;
    }
    unsigned readers = o->max_readers;
    if (!readers)
        readers =
            args->max_clients > LMDB_DEFAULT_READERS ? args->max_clients : LMDB_DEFAULT_READERS;
    if (readers < args->max_clients) {
        kvb_errorf(db->err,
                   "lmdb: max_readers is %u but the run has %u clients (each keeps a reader slot)",
                   readers, args->max_clients);
        goto fail;
    }

    unsigned flags = MDB_NOTLS;
    if (!args->sync)
        flags |= MDB_NOSYNC;
    if (o->writemap)
        flags |= MDB_WRITEMAP;
    if (o->nordahead)
        flags |= MDB_NORDAHEAD;

    if ((rc = mdb_env_create(&l->env))) {
        kvb_errorf(db->err, "mdb_env_create: %s", mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_env_set_mapsize(l->env, (size_t)l->map_size))) {
        kvb_errorf(db->err, "mdb_env_set_mapsize(%llu): %s", (unsigned long long)l->map_size,
                   mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_env_set_maxreaders(l->env, readers))) {
        kvb_errorf(db->err, "mdb_env_set_maxreaders(%u): %s", readers, mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_env_open(l->env, args->dir, flags, 0644))) {
        kvb_errorf(db->err, "mdb_env_open(%s): %s", args->dir, mdb_strerror(rc));
        goto fail;
    }
    /* Slots left by a crashed process that used this directory. */
    mdb_reader_check(l->env, &dead);

    if ((rc = mdb_txn_begin(l->env, NULL, 0, &txn))) {
        kvb_errorf(db->err, "mdb_txn_begin: %s", mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_dbi_open(txn, NULL, 0, &l->dbi))) {
        kvb_errorf(db->err, "mdb_dbi_open: %s", mdb_strerror(rc));
        mdb_txn_abort(txn);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn))) {
        kvb_errorf(db->err, "mdb_txn_commit: %s", mdb_strerror(rc));
        goto fail;
    }
    db->priv = l;
    return KVB_OK;

fail:
    if (l->env)
        mdb_env_close(l->env);
    free(l);
    return KVB_ERR;
}

static int lmdb_close(struct kvb_db *db)
{
    struct lmdb_db *l = db->priv;
    int ret = KVB_OK;
    if (!l)
        return KVB_OK;
    int rc = mdb_env_sync(l->env, 1);
    if (rc)
        ret = kvb_errorf(db->err, "mdb_env_sync: %s", mdb_strerror(rc));
    mdb_env_close(l->env);
    free(l);
    db->priv = NULL;
    return ret;
}

static int lmdb_client_open(struct kvb_client *c)
{
    struct lmdb_client *lc = calloc(1, sizeof *lc);
    if (!lc)
        return kvb_errorf(c->err, "lmdb: out of memory");
    lc->db = c->db->priv;
    c->priv = lc;
    return KVB_OK;
}

static void lmdb_client_close(struct kvb_client *c)
{
    struct lmdb_client *lc = c->priv;
    if (!lc)
        return;
    if (lc->txn && lc->txn != lc->rtxn)
        mdb_txn_abort(lc->txn); /* frees wcur */
    if (lc->rcur)
        mdb_cursor_close(lc->rcur);
    if (lc->rtxn)
        mdb_txn_abort(lc->rtxn); /* also releases its reader slot */
    free(lc);
    c->priv = NULL;
}

static int lmdb_begin(struct kvb_client *c, unsigned flags)
{
    struct lmdb_client *lc = c->priv;
    int rc;
    if (lc->txn)
        return kvb_errorf(c->err, "lmdb: begin inside a transaction");
    lc->readonly = (flags & KVB_TXN_READONLY) != 0;
    if (!lc->readonly) {
        lc->pending_bytes = 0;
        lc->wcur = NULL;
        if ((rc = mdb_txn_begin(lc->db->env, NULL, 0, &lc->txn)))
            return kvb_errorf(c->err, "mdb_txn_begin: %s", mdb_strerror(rc));
        return KVB_OK;
    }
    if (lc->rtxn) {
        if ((rc = mdb_txn_renew(lc->rtxn)))
            return kvb_errorf(c->err, "mdb_txn_renew: %s", mdb_strerror(rc));
    } else if ((rc = mdb_txn_begin(lc->db->env, NULL, MDB_RDONLY, &lc->rtxn))) {
        lc->rtxn = NULL;
        return kvb_errorf(c->err, "mdb_txn_begin(MDB_RDONLY): %s", mdb_strerror(rc));
    }
    lc->txn = lc->rtxn;
    return KVB_OK;
}

static int lmdb_get(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
                    const void **val, size_t *vlen)
{
    (void)flags; /* writers are serialised: nothing can change under a read */
    struct lmdb_client *lc = c->priv;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v;
    if (!lc->txn)
        return kvb_errorf(c->err, "lmdb: get outside a transaction");
    int rc = mdb_get(lc->txn, lc->db->dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return KVB_NOT_FOUND;
    if (rc)
        return kvb_errorf(c->err, "mdb_get: %s", mdb_strerror(rc));
    *val = v.mv_data;
    *vlen = v.mv_size;
    return KVB_OK;
}

static int lmdb_put(struct kvb_client *c, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    struct lmdb_client *lc = c->priv;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    MDB_val v = {.mv_size = vlen, .mv_data = (void *)val};
    if (!lc->txn)
        return kvb_errorf(c->err, "lmdb: put outside a transaction");
    int rc = mdb_put(lc->txn, lc->db->dbi, &k, &v, 0);
    if (rc)
        return kvb_errorf(c->err, "mdb_put: %s%s", mdb_strerror(rc), lmdb_hint(rc));
    lc->pending_bytes += klen + vlen;
    return KVB_OK;
}

static int lmdb_del(struct kvb_client *c, const void *key, size_t klen)
{
    struct lmdb_client *lc = c->priv;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    if (!lc->txn)
        return kvb_errorf(c->err, "lmdb: del outside a transaction");
    int rc = mdb_del(lc->txn, lc->db->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return KVB_OK; /* deleting what is not there is not an error */
    if (rc)
        return kvb_errorf(c->err, "mdb_del: %s%s", mdb_strerror(rc), lmdb_hint(rc));
    lc->pending_bytes += klen;
    return KVB_OK;
}

static int lmdb_commit(struct kvb_client *c)
{
    struct lmdb_client *lc = c->priv;
    MDB_txn *txn = lc->txn;
    if (!txn)
        return kvb_errorf(c->err, "lmdb: commit outside a transaction");
    lc->txn = NULL;
    if (txn == lc->rtxn) {
        mdb_txn_reset(txn); /* keeps the reader slot for the next begin */
        return KVB_OK;
    }
    lc->wcur = NULL;
    int rc = mdb_txn_commit(txn); /* frees txn and wcur whatever it returns */
    if (rc)
        return kvb_errorf(c->err, "mdb_txn_commit: %s%s", mdb_strerror(rc), lmdb_hint(rc));
    if (lc->pending_bytes)
        atomic_fetch_add_explicit(&lc->db->user_bytes, lc->pending_bytes, memory_order_relaxed);
    return KVB_OK;
}

static void lmdb_abort(struct kvb_client *c)
{
    struct lmdb_client *lc = c->priv;
    MDB_txn *txn = lc->txn;
    if (!txn)
        return;
    lc->txn = NULL;
    if (txn == lc->rtxn) {
        mdb_txn_reset(txn);
    } else {
        lc->wcur = NULL;
        mdb_txn_abort(txn); /* frees wcur */
    }
}

static int lmdb_scan(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                     int (*fn)(void *arg, const void *key, size_t klen, const void *val,
                               size_t vlen),
                     void *arg)
{
    struct lmdb_client *lc = c->priv;
    MDB_cursor *cur;
    int rc;
    if (!lc->txn)
        return kvb_errorf(c->err, "lmdb: scan outside a transaction");
    if (limit == 0)
        return KVB_OK;

    if (lc->txn != lc->rtxn) {
        if (!lc->wcur && (rc = mdb_cursor_open(lc->txn, lc->db->dbi, &lc->wcur))) {
            lc->wcur = NULL;
            return kvb_errorf(c->err, "mdb_cursor_open: %s", mdb_strerror(rc));
        }
        cur = lc->wcur;
    } else if (lc->rcur) {
        /* Binds the cursor to this incarnation of the read-only txn. */
        if ((rc = mdb_cursor_renew(lc->txn, lc->rcur)))
            return kvb_errorf(c->err, "mdb_cursor_renew: %s", mdb_strerror(rc));
        cur = lc->rcur;
    } else {
        if ((rc = mdb_cursor_open(lc->txn, lc->db->dbi, &lc->rcur))) {
            lc->rcur = NULL;
            return kvb_errorf(c->err, "mdb_cursor_open: %s", mdb_strerror(rc));
        }
        cur = lc->rcur;
    }

    /* MDB_SET_RANGE refuses an empty key (MDB_BAD_VALSIZE); every key is >= "". */
    MDB_val k = {.mv_size = slen, .mv_data = (void *)start}, v;
    rc = mdb_cursor_get(cur, &k, &v, slen ? MDB_SET_RANGE : MDB_FIRST);
    for (size_t n = 0; rc == MDB_SUCCESS;) {
        if (fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size) != 0 || ++n == limit)
            return KVB_OK;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND)
        return kvb_errorf(c->err, "mdb_cursor_get: %s", mdb_strerror(rc));
    return KVB_OK;
}

/* LMDB writes its pages from the committing thread and counts nothing:
 * only the user bytes are known. */
static int lmdb_counters(struct kvb_db *db, struct kvb_engine_counters *c)
{
    struct lmdb_db *l = db->priv;
    c->user_bytes_written = (double)atomic_load(&l->user_bytes);
    return KVB_OK;
}

const struct kvb_backend kvb_backend_lmdb = {
    .name = "lmdb",
    .summary = "LMDB: B+tree in a memory map, one writer at a time, MVCC readers",
    .caps = KVB_CAP_STORES | KVB_CAP_DURABLE | KVB_CAP_PERSIST | KVB_CAP_SERIAL_WRITES,
    .options = lmdb_options,
    .opts_size = sizeof(struct lmdb_opts),
    .open = lmdb_open,
    .close = lmdb_close,
    .client_open = lmdb_client_open,
    .client_close = lmdb_client_close,
    .begin = lmdb_begin,
    .get = lmdb_get,
    .put = lmdb_put,
    .del = lmdb_del,
    .commit = lmdb_commit,
    .abort = lmdb_abort,
    .scan = lmdb_scan,
    .counters = lmdb_counters,
};
