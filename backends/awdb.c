/*
 * awdb.c - the `awdb` backend: kvbench's adapter for our engine
 * (backends/awdb/awdb.h). One awdb database per run; one awdb transaction
 * handle per client, reused from one transaction to the next.
 *
 * Durability: the config's `awdb.mode` is one of
 *   auto   (default) follows the harness: `sync: true` -> awdb's sync mode,
 *          `sync: false` -> async (the WAL is synced every flush_interval_ms);
 *   sync   always sync, whatever `sync` says (stronger than sync: false asks);
 *   async, none
 *          only with `sync: false`: with `sync: true` the harness promises
 *          that every acknowledged commit is durable, which these modes do
 *          not keep, so such a config is refused with a message (check).
 *
 * Conflicts: awdb validates every key a read-write transaction read, so
 * KVB_GET_FOR_UPDATE needs nothing extra. AWDB_CONFLICT (a key read changed,
 * or a memtable flush since the snapshot may have carried its newer version
 * out of the memtables) is KVB_CONFLICT.
 *
 * Three latencies: in async mode each commit is acknowledged before it is
 * durable. The client keeps a ring of (sequence number, acknowledgement
 * time) of its async commits; whenever awdb's durable sequence number has
 * passed the oldest one, it asks awdb when that durability step happened
 * (awdb_commit_times, one lookup per step) and records durable time minus
 * acknowledgement time in its durable_lag histogram. Visibility in async
 * mode precedes the acknowledgement (the commit is published under awdb's
 * commit lock), so visible_lag records 0 for each such commit. In sync mode
 * both happen before commit returns and neither histogram is reported; in
 * none mode durability waits for a memtable flush and is not tracked either.
 * The histograms cover the commits acknowledged in the harness's measured
 * window (measure_from drops the preload's and skips the warmup's).
 *
 * Nothing is dropped quietly: the commits slowest to become durable are the
 * tail the histogram is for. The ring starts small and doubles while
 * commits wait (up to `lag_memory`, 16 bytes a commit). At the end (stats,
 * or a client closing) the commits still pending are given up to one flush
 * interval and a second to become durable on their own; then awdb is asked
 * to sync, and they are recorded when that returns, the moment they did
 * become durable. A commit whose lag cannot be known is counted in
 * durable_lag_dropped instead: one that found the ring at lag_memory (the
 * newest is left out, so the oldest, slowest, stay), one whose durability
 * step awdb's timeline no longer holds (its client committed nothing while
 * awdb took 8192 steps), and one that never became durable (awdb failed).
 *
 * Scans are awdb_scan: in key order, own writes over the snapshot; keys
 * visited join a read-write transaction's read set (no phantom protection).
 *
 * Threading: stats is called with the clients idle (kvbench calls it after
 * joining the client threads), which is what makes reading the clients'
 * histograms without locks safe.
 */
#include "backends/backend.h"
#include "backends/awdb/awdb.h"
#include "util/clock.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { AWM_AUTO, AWM_SYNC, AWM_ASYNC, AWM_NONE };
static const char *const awdb_modes[] = {"auto", "sync", "async", "none", NULL};

struct awdb_kopts {
    int mode;
    unsigned flush_interval_ms;
    uint64_t memtable_size;
    uint64_t wal_segment_size;
    uint64_t wal_prealloc;
    uint64_t lag_memory;
};

static const struct kvb_option awdb_koptions[] = {
    {.name = "mode",
     .label = "awmode",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct awdb_kopts, mode),
     .def = "auto",
     .choices = awdb_modes,
     .help = "durability: auto (sync: true -> sync, false -> async), sync, or async/none "
             "(these two need sync: false)"},
    {.name = "flush_interval_ms",
     .label = "fi",
     .type = KVB_OPT_UINT,
     .offset = offsetof(struct awdb_kopts, flush_interval_ms),
     .min = 1,
     .max = 60000,
     .def = "10",
     .help = "async mode: longest time between WAL syncs, ms (1..60000)"},
    {.name = "memtable_size",
     .label = "mt",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct awdb_kopts, memtable_size),
     .min = 256 * 1024,
     .max = 64.0 * 1024 * 1024 * 1024,
     .def = "64MiB",
     .help = "memory for all memtables (two halves: one active, one flushing); writers stall "
             "when both are full (256KiB..64GiB)"},
    {.name = "wal_segment_size",
     .label = "seg",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct awdb_kopts, wal_segment_size),
     .min = 64 * 1024,
     .max = 64.0 * 1024 * 1024 * 1024,
     .def = "64MiB",
     .help = "start a new WAL segment file past this size (64KiB..64GiB)"},
    {.name = "wal_prealloc",
     .label = "pre",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct awdb_kopts, wal_prealloc),
     .min = 0,
     .max = 1024.0 * 1024 * 1024,
     .def = "4MiB",
     .help = "sync mode: zeros kept written ahead of the WAL's end, so commits overwrite "
             "instead of append (0 off, else 256KiB..1GiB)"},
    {.name = "lag_memory",
     .label = "lagmem",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct awdb_kopts, lag_memory),
     .min = 16 * 1024,
     .max = 16.0 * 1024 * 1024 * 1024,
     .def = "64MiB",
     .help = "async mode: most memory per client for commits awaiting durability, 16 bytes "
             "each; past it commits are counted in durable_lag_dropped (16KiB..16GiB)"},
    {.name = NULL},
};

#define AWK_RING_MIN 1024u /* a client's first ring of pending commits; it doubles as needed */

struct awk_pending {
    uint64_t seq, ack_ns;
};

struct awk_client {
    awdb_txn *txn;
    struct awk_db *db;
    bool track;               /* async mode: keep lag histograms */
    struct awk_pending *ring; /* cap entries, a power of two (none before the first commit) */
    uint64_t cap;
    uint64_t head, tail; /* ring[head & (cap - 1)] is the oldest pending */
    uint64_t dropped;    /* commits left out of durable: their lag could not be known */
    struct kvb_hist durable, visible;
    struct awk_client *next, *prev;
};

struct awk_db {
    awdb *db;
    enum awdb_mode mode;
    unsigned flush_interval_ms;
    uint64_t ring_max;  /* most pending commits a client keeps (lag_memory), a power of two */
    pthread_mutex_t mu; /* the client list and the closed clients' histograms */
    struct awk_client *clients;
    struct kvb_hist durable, visible;       /* merged from closed clients */
    struct kvb_hist st_durable, st_visible; /* what stats last reported */
    uint64_t dropped;                       /* of closed clients */
    uint64_t measure_from; /* commits acknowledged before it are not tracked */
};

static int awk_check(const void *opts, bool sync, char *err, size_t errlen)
{
    const struct awdb_kopts *o = opts;
    if (sync && (o->mode == AWM_ASYNC || o->mode == AWM_NONE)) {
        snprintf(err, errlen,
                 "awdb: mode %s does not make every acknowledged commit durable, which sync: true "
                 "promises; set sync: false, or awdb.mode: auto or sync",
                 awdb_modes[o->mode]);
        return -1;
    }
    if (o->wal_prealloc && o->wal_prealloc < 256 * 1024) {
        snprintf(err, errlen, "awdb: wal_prealloc must be 0 (off) or at least 256KiB, not %" PRIu64,
                 o->wal_prealloc);
        return -1;
    }
    return 0;
}

/* The WAL flusher and the memtable flush thread; in sync mode with
 * wal_prealloc, the thread that writes zeros ahead of the WAL too. */
static unsigned awk_background_threads(const void *opts, bool sync)
{
    const struct awdb_kopts *o = opts;
    bool sync_mode = o->mode == AWM_SYNC || (o->mode == AWM_AUTO && sync);
    return 2 + (sync_mode && o->wal_prealloc > 0);
}

static int awk_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    static const struct awdb_kopts none = {AWM_AUTO, 10, 64u << 20, 64u << 20, 4u << 20, 64u << 20};
    const struct awdb_kopts *o = args->opts ? args->opts : &none;
    char err[KVB_ERRLEN - 32];
    if (awk_check(o, args->sync, err, sizeof err))
        return kvb_errorf(db->err, "%s", err);
    struct awdb_options ao;
    awdb_options_init(&ao);
    switch (o->mode) {
    case AWM_SYNC:
        ao.mode = AWDB_SYNC;
        break;
    case AWM_ASYNC:
        ao.mode = AWDB_ASYNC;
        break;
    case AWM_NONE:
        ao.mode = AWDB_NONE;
        break;
    default:
        ao.mode = args->sync ? AWDB_SYNC : AWDB_ASYNC;
    }
    ao.flush_interval_ms = o->flush_interval_ms;
    ao.memtable_size = (size_t)o->memtable_size;
    ao.wal_segment_size = (size_t)o->wal_segment_size;
    ao.wal_prealloc = (size_t)o->wal_prealloc;
    ao.max_txns = args->max_clients + 16;
    /* The base store's map is address space and a sparse file: generous. */
    uint64_t want = args->expected_keys * ((uint64_t)args->value_size + 64) * 4;
    if (want > ao.base_map_size)
        ao.base_map_size = (size_t)want;

    struct awk_db *a = calloc(1, sizeof *a);
    if (!a)
        return kvb_errorf(db->err, "awdb: out of memory");
    pthread_mutex_init(&a->mu, NULL);
    kvb_hist_init(&a->durable);
    kvb_hist_init(&a->visible);
    a->mode = ao.mode;
    a->flush_interval_ms = ao.flush_interval_ms;
    a->ring_max = AWK_RING_MIN;
    while (a->ring_max * 2 * sizeof(struct awk_pending) <= o->lag_memory)
        a->ring_max *= 2;
    int rc = awdb_open(args->dir, &ao, &a->db, err, sizeof err);
    if (rc) {
        pthread_mutex_destroy(&a->mu);
        free(a);
        return kvb_errorf(db->err, "awdb_open(%s): %s", args->dir,
                          err[0] ? err : awdb_strerror(rc));
    }
    db->priv = a;
    return KVB_OK;
}

static int awk_close(struct kvb_db *db)
{
    struct awk_db *a = db->priv;
    if (!a)
        return KVB_OK;
    char msg[KVB_ERRLEN - 64];
    snprintf(msg, sizeof msg, "%s", awdb_errmsg(a->db));
    int rc = awdb_close(a->db);
    pthread_mutex_destroy(&a->mu);
    free(a);
    db->priv = NULL;
    if (rc)
        return kvb_errorf(db->err, "awdb_close: %s%s%s", awdb_strerror(rc), msg[0] ? ": " : "",
                          msg);
    return KVB_OK;
}

/* Records the lags of pending commits that have become durable. */
static void awk_resolve(struct awk_client *c)
{
    uint64_t durable = awdb_durable_seq(c->db->db);
    while (c->head != c->tail) {
        struct awk_pending *p = &c->ring[c->head & (c->cap - 1)];
        if (p->seq > durable)
            return;
        struct awdb_seq_times t;
        if (awdb_commit_times(c->db->db, p->seq, &t) != 0 || !t.durable_ns) {
            c->dropped++; /* its step is older than awdb's timeline */
            c->head++;
            continue;
        }
        /* Every pending commit in the same durability step shares its time. */
        do {
            kvb_hist_record(&c->durable, t.durable_ns > p->ack_ns ? t.durable_ns - p->ack_ns : 0);
            c->head++;
            p = &c->ring[c->head & (c->cap - 1)];
        } while (c->head != c->tail && p->seq <= t.step_seq);
    }
}

/* Doubles the ring, keeping each pending commit at its index; false when
 * it is at ring_max or memory runs out. */
static bool awk_grow(struct awk_client *k)
{
    uint64_t cap = k->cap ? k->cap * 2 : AWK_RING_MIN;
    if (cap > k->db->ring_max)
        return false;
    struct awk_pending *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return false;
    for (uint64_t i = k->head; i != k->tail; i++)
        ring[i & (cap - 1)] = k->ring[i & (k->cap - 1)];
    free(k->ring);
    k->ring = ring;
    k->cap = cap;
    return true;
}

/* Keeps a commit until it is durable; false if there is no room for it. */
static bool awk_track(struct awk_client *k, uint64_t seq, uint64_t ack_ns)
{
    if (k->tail - k->head == k->cap) {
        awk_resolve(k);
        if (k->tail - k->head == k->cap && !awk_grow(k))
            return false;
    }
    k->ring[k->tail & (k->cap - 1)] = (struct awk_pending){seq, ack_ns};
    k->tail++;
    return true;
}

static int awk_client_open(struct kvb_client *c)
{
    struct awk_db *a = c->db->priv;
    struct awk_client *k = calloc(1, sizeof *k);
    if (!k)
        return kvb_errorf(c->err, "awdb: out of memory");
    k->db = a;
    k->track = a->mode == AWDB_ASYNC;
    kvb_hist_init(&k->durable);
    kvb_hist_init(&k->visible);
    int rc = awdb_txn_new(a->db, &k->txn);
    if (rc) {
        free(k);
        return kvb_errorf(c->err, "awdb_txn_new: %s", awdb_strerror(rc));
    }
    pthread_mutex_lock(&a->mu);
    k->next = a->clients;
    if (a->clients)
        a->clients->prev = k;
    a->clients = k;
    pthread_mutex_unlock(&a->mu);
    c->priv = k;
    return KVB_OK;
}

/* At the end, the client idle: gives its pending commits up to a flush
 * interval and a second to become durable on their own, then has awdb sync
 * what is still pending, and records them all; what never became durable
 * (awdb failed) is dropped. */
static void awk_settle(struct awk_client *k)
{
    if (!k->track || k->head == k->tail)
        return;
    awdb *db = k->db->db;
    uint64_t last = k->ring[(k->tail - 1) & (k->cap - 1)].seq;
    uint64_t deadline = kvb_now_ns() + (uint64_t)k->db->flush_interval_ms * 1000000u + 1000000000u;
    while (awdb_durable_seq(db) < last && !awdb_errmsg(db)[0] && kvb_now_ns() < deadline) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    if (awdb_durable_seq(db) < last)
        awdb_sync(db); /* its error, if any, is awdb's: commits and close report it */
    awk_resolve(k);
    k->dropped += k->tail - k->head;
    k->head = k->tail;
}

static void awk_client_close(struct kvb_client *c)
{
    struct awk_client *k = c->priv;
    if (!k)
        return;
    struct awk_db *a = k->db;
    awdb_txn_free(k->txn);
    awk_settle(k);
    pthread_mutex_lock(&a->mu);
    kvb_hist_merge(&a->durable, &k->durable);
    kvb_hist_merge(&a->visible, &k->visible);
    a->dropped += k->dropped;
    if (k->prev)
        k->prev->next = k->next;
    else
        a->clients = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&a->mu);
    free(k->ring);
    free(k);
    c->priv = NULL;
}

static int awk_err(struct kvb_client *c, const char *what, int rc)
{
    const char *msg = rc == AWDB_FAILED ? awdb_errmsg(((struct awk_client *)c->priv)->db->db) : "";
    return kvb_errorf(c->err, "awdb %s: %s%s%s", what, awdb_strerror(rc), msg[0] ? ": " : "", msg);
}

static int awk_begin(struct kvb_client *c, unsigned flags)
{
    struct awk_client *k = c->priv;
    int rc = awdb_txn_begin(k->txn, (flags & KVB_TXN_READONLY) ? AWDB_TXN_RDONLY : 0);
    return rc ? awk_err(c, "begin", rc) : KVB_OK;
}

static int awk_get(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
                   const void **val, size_t *vlen)
{
    (void)flags; /* every key a read-write transaction reads is validated */
    struct awk_client *k = c->priv;
    int rc = awdb_get(k->txn, key, klen, val, vlen);
    if (rc == 0)
        return KVB_OK;
    return rc == AWDB_NOTFOUND ? KVB_NOT_FOUND : awk_err(c, "get", rc);
}

static int awk_put(struct kvb_client *c, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct awk_client *k = c->priv;
    int rc = awdb_put(k->txn, key, klen, val, vlen);
    return rc ? awk_err(c, "put", rc) : KVB_OK;
}

static int awk_del(struct kvb_client *c, const void *key, size_t klen)
{
    struct awk_client *k = c->priv;
    int rc = awdb_del(k->txn, key, klen);
    return rc ? awk_err(c, "del", rc) : KVB_OK;
}

static int awk_commit(struct kvb_client *c)
{
    struct awk_client *k = c->priv;
    struct awdb_commit_info info;
    int rc = awdb_txn_commit(k->txn, &info);
    if (rc == AWDB_CONFLICT)
        return KVB_CONFLICT;
    if (rc)
        return awk_err(c, "commit", rc);
    if (k->track && info.seq) {
        uint64_t now = kvb_now_ns();
        if (now < k->db->measure_from)
            return KVB_OK;
        kvb_hist_record(&k->visible, 0); /* published before commit returned */
        if (!awk_track(k, info.seq, now))
            k->dropped++; /* the ring is at lag_memory: the oldest stay */
        else if (awdb_durable_seq(k->db->db) >= k->ring[k->head & (k->cap - 1)].seq)
            awk_resolve(k);
    }
    return KVB_OK;
}

static void awk_abort(struct kvb_client *c)
{
    struct awk_client *k = c->priv;
    awdb_txn_abort(k->txn);
}

static int awk_scan(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                    int (*fn)(void *arg, const void *key, size_t klen, const void *val,
                              size_t vlen),
                    void *arg)
{
    struct awk_client *k = c->priv;
    if (limit == 0) /* kvbench: visit nothing; awdb: 0 would mean no limit */
        return KVB_OK;
    int rc = awdb_scan(k->txn, start, slen, limit, fn, arg);
    return rc ? awk_err(c, "scan", rc) : KVB_OK;
}

/* disk_bytes_written: the WAL's records and the base store's writes;
 * prep_bytes_written: the zeros written ahead of the WAL (wal_prealloc).
 * awdb_stats may be called at any time. */
static int awk_counters(struct kvb_db *db, struct kvb_engine_counters *c)
{
    struct awk_db *a = db->priv;
    struct awdb_stats s;
    awdb_stats(a->db, &s);
    c->disk_bytes_written = (double)(s.wal_bytes + s.base_bytes);
    c->prep_bytes_written = (double)s.wal_zeroed;
    c->user_bytes_written = (double)s.user_bytes;
    c->write_stalls = (double)s.write_stalls;
    c->stall_ms = (double)s.stall_ns / 1e6;
    return KVB_OK;
}

static int awk_stats(struct kvb_db *db, struct kvb_backend_stats *st)
{
    struct awk_db *a = db->priv;
    if (a->mode != AWDB_ASYNC)
        return KVB_OK;
    pthread_mutex_lock(&a->mu);
    a->st_durable = a->durable;
    a->st_visible = a->visible;
    uint64_t dropped = a->dropped;
    for (struct awk_client *k = a->clients; k; k = k->next) {
        awk_settle(k);
        kvb_hist_merge(&a->st_durable, &k->durable);
        kvb_hist_merge(&a->st_visible, &k->visible);
        dropped += k->dropped;
    }
    pthread_mutex_unlock(&a->mu);
    st->durable_lag = &a->st_durable;
    st->visible_lag = &a->st_visible;
    st->durable_lag_dropped = dropped;
    return KVB_OK;
}

/* Clients are idle: their histograms and pending rings are reset here. */
static void awk_measure_from(struct kvb_db *db, uint64_t t_ns)
{
    struct awk_db *a = db->priv;
    pthread_mutex_lock(&a->mu);
    a->measure_from = t_ns;
    kvb_hist_init(&a->durable);
    kvb_hist_init(&a->visible);
    a->dropped = 0;
    for (struct awk_client *k = a->clients; k; k = k->next) {
        kvb_hist_init(&k->durable);
        kvb_hist_init(&k->visible);
        k->head = k->tail;
        k->dropped = 0;
    }
    pthread_mutex_unlock(&a->mu);
}

const struct kvb_backend kvb_backend_awdb = {
    .name = "awdb",
    .summary = "awdb: group-commit WAL, MVCC skiplist memtables, optimistic txns, LMDB base",
    .caps = KVB_CAP_STORES | KVB_CAP_DURABLE | KVB_CAP_CONFLICTS | KVB_CAP_PERSIST,
    .options = awdb_koptions,
    .opts_size = sizeof(struct awdb_kopts),
    .check = awk_check,
    .background_threads = awk_background_threads,
    .open = awk_open,
    .close = awk_close,
    .client_open = awk_client_open,
    .client_close = awk_client_close,
    .begin = awk_begin,
    .get = awk_get,
    .put = awk_put,
    .del = awk_del,
    .commit = awk_commit,
    .abort = awk_abort,
    .scan = awk_scan,
    .counters = awk_counters,
    .stats = awk_stats,
    .measure_from = awk_measure_from,
};
