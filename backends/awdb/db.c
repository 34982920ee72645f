/*
 * db.c - opening and closing a database, its options and statistics, and the
 * WAL flusher's callbacks (errors are in error.c, the durability timeline in
 * timeline.c). Open order: lock the directory, open the base store,
 * read its meta, replay the WAL (recovery.c), durably start a new generation,
 * then start the WAL flusher and the memtable flush thread. Close runs it
 * backwards after a final checkpoint.
 */
#include "backends/awdb/awdb_int.h"

#include "backends/awdb/crc32c.h"
#include "backends/awdb/futex.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

void awdb_options_init(struct awdb_options *o)
{
    *o = (struct awdb_options){
        .mode = AWDB_SYNC,
        .flush_interval_ms = 10,
        .memtable_size = 64u << 20,
        .max_memtables = 2,
        .wal_segment_size = 64u << 20,
        .wal_prealloc = 4u << 20,
        .base_map_size = (size_t)64 << 30,
        .max_txns = 1024,
        .io = NULL,
    };
}

uint64_t awdb_durable_seq(awdb *db)
{
    return atomic_load_explicit(&db->durable_seq, memory_order_acquire);
}

uint64_t awdb_visible_seq(awdb *db)
{
    return atomic_load_explicit(&db->visible_seq, memory_order_acquire);
}

/* The WAL flusher's callbacks. */
static void on_durable(void *ctx, uint64_t seq, uint64_t ns)
{
    struct awdb *db = ctx;
    awdb_timeline_push(db, seq, ns);
    if (db->opts.mode == AWDB_SYNC)
        atomic_store_explicit(&db->visible_seq, seq, memory_order_release);
    atomic_store_explicit(&db->durable_seq, seq, memory_order_release);
}

static void on_error(void *ctx, int rc, const char *msg)
{
    awdb_fail(ctx, rc, "%s", msg);
}

void awdb_stats(awdb *db, struct awdb_stats *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&db->commit_mu);
    st->commits = db->st_commits;
    st->conflicts = db->st_conflicts;
    st->user_bytes = db->st_user_bytes;
    st->write_stalls = db->st_stalls;
    st->stall_ns = db->st_stall_ns;
    st->flushes = db->st_flushes;
    st->last_seq = db->last_seq;
    const struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    for (unsigned i = 0; i < v->n; i++)
        st->memtable_bytes += awdb_mem_used(v->mem[i]);
    st->memtables = v->n;
    pthread_mutex_unlock(&db->commit_mu);
    st->wal_bytes = atomic_load(&db->wal.bytes);
    st->wal_batches = atomic_load(&db->wal.batches);
    st->wal_syncs = atomic_load(&db->wal.syncs);
    st->wal_sync_ns = atomic_load(&db->wal.sync_ns);
    st->wal_zeroed = atomic_load(&db->wal.prep.bytes);
    st->wal_zero_waits = atomic_load(&db->wal.prep.waits);
    st->base_bytes = atomic_load(&db->st_base_bytes);
    st->visible_seq = atomic_load(&db->visible_seq);
    st->durable_seq = atomic_load(&db->durable_seq);
    st->flushed_seq = atomic_load(&db->flushed_seq);
}

static int check_options(const struct awdb_options *o, char *err, size_t errlen)
{
    if (o->mode != AWDB_SYNC && o->mode != AWDB_ASYNC && o->mode != AWDB_NONE)
        snprintf(err, errlen, "mode must be AWDB_SYNC, AWDB_ASYNC or AWDB_NONE");
    else if (o->flush_interval_ms < 1 || o->flush_interval_ms > 60000)
        snprintf(err, errlen, "flush_interval_ms must be in 1..60000, not %u",
                 o->flush_interval_ms);
    else if (o->max_memtables < 2 || o->max_memtables > AWDB_MAX_MEMTABLES)
        snprintf(err, errlen, "max_memtables must be in 2..%d, not %u", AWDB_MAX_MEMTABLES,
                 o->max_memtables);
    else if (o->memtable_size < (256u << 10))
        snprintf(err, errlen, "memtable_size must be at least 256 KiB, not %zu", o->memtable_size);
    else if (o->memtable_size / o->max_memtables > ((size_t)16 << 30))
        snprintf(err, errlen, "memtable_size / max_memtables must be at most 16 GiB");
    else if (o->wal_segment_size < (64u << 10))
        snprintf(err, errlen, "wal_segment_size must be at least 64 KiB, not %zu",
                 o->wal_segment_size);
    else if (o->wal_prealloc && o->wal_prealloc < (256u << 10))
        snprintf(err, errlen, "wal_prealloc must be 0 or at least 256 KiB, not %zu",
                 o->wal_prealloc);
    else if (o->base_map_size < (1u << 20))
        snprintf(err, errlen, "base_map_size must be at least 1 MiB");
    else if (o->max_txns < 1 || o->max_txns > 100000)
        snprintf(err, errlen, "max_txns must be in 1..100000, not %u", o->max_txns);
    else
        return 0;
    return AWDB_INVALID;
}

static void destroy(struct awdb *db)
{
    struct awdb_version *v = atomic_load(&db->current);
    awdb_version_free(v);
    while (db->retired) {
        struct awdb_version *r = db->retired;
        db->retired = r->retired_next;
        awdb_version_free(r);
    }
    if (db->wal_ready)
        awdb_wal_destroy(&db->wal);
    awdb_base_close(&db->base);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    pthread_mutex_destroy(&db->commit_mu);
    pthread_cond_destroy(&db->stall_cv);
    pthread_mutex_destroy(&db->flush_mu);
    pthread_cond_destroy(&db->flush_cv);
    pthread_cond_destroy(&db->flushed_cv);
    pthread_mutex_destroy(&db->txns_mu);
    pthread_mutex_destroy(&db->retire_mu);
    pthread_mutex_destroy(&db->tl_mu);
    pthread_mutex_destroy(&db->err_mu);
    free(db->tl);
    free(db->dir);
    free(db);
}

int awdb_open(const char *dir, const struct awdb_options *opts, awdb **dbp, char *errbuf,
              size_t errlen)
{
    char scratch[8];
    if (!errbuf) {
        errbuf = scratch;
        errlen = sizeof scratch;
    }
    errbuf[0] = 0;
    *dbp = NULL;
    struct awdb_options o;
    if (opts)
        o = *opts;
    else
        awdb_options_init(&o);
    if (!o.io)
        o.io = awdb_io_posix();
    int rc = check_options(&o, errbuf, errlen);
    if (rc)
        return rc;

    struct awdb *db = aligned_alloc(64, (sizeof *db + 63) & ~(size_t)63);
    if (!db)
        return ENOMEM;
    memset(db, 0, sizeof *db);
    db->opts = o;
    db->lock_fd = -1;
    pthread_mutex_init(&db->commit_mu, NULL);
    pthread_cond_init(&db->stall_cv, NULL);
    pthread_mutex_init(&db->flush_mu, NULL);
    pthread_cond_init(&db->flush_cv, NULL);
    pthread_cond_init(&db->flushed_cv, NULL);
    pthread_mutex_init(&db->txns_mu, NULL);
    pthread_mutex_init(&db->retire_mu, NULL);
    pthread_mutex_init(&db->tl_mu, NULL);
    pthread_mutex_init(&db->err_mu, NULL);
    db->dir = strdup(dir);
    db->tl = calloc(AWDB_TIMELINE, sizeof *db->tl);
    if (!db->dir || !db->tl) {
        rc = ENOMEM;
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    awdb_crc32c(0, "", 0); /* pick the implementation now, not on the first commit */

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db->lock_fd < 0) {
        rc = errno;
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(rc));
        goto fail;
    }
    if (flock(db->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? AWDB_LOCKED : errno;
        snprintf(errbuf, errlen, "cannot lock %s: %s", path,
                 rc == AWDB_LOCKED ? "the database is open elsewhere" : strerror(rc));
        goto fail;
    }

    if ((rc = awdb_base_open(&db->base, dir, o.base_map_size, o.max_txns + 16, errbuf, errlen)))
        goto fail;
    uint64_t flushed, gen;
    if ((rc = awdb_base_meta(&db->base, &flushed, &gen))) {
        snprintf(errbuf, errlen, "base store %s/base.mdb: reading meta: %s", dir,
                 awdb_strerror(rc));
        goto fail;
    }

    /* Memtables: the budget split evenly; a transaction may use half of one. */
    db->mem_bytes = o.memtable_size / o.max_memtables;
    struct awdb_memtable *m = awdb_mem_new(db->mem_bytes, ++db->next_mem_id);
    if (!m) {
        rc = ENOMEM;
        snprintf(errbuf, errlen, "out of memory for a memtable");
        goto fail;
    }
    db->txn_limit = awdb_mem_txn_limit(m);
    if (db->txn_limit > (1u << 30))
        db->txn_limit = 1u << 30;
    db->txn_max_ops = m->max_keys / 2;
    struct awdb_version *v = awdb_version_new(&m, 1, flushed);
    awdb_mem_unref(m);
    if (!v) {
        rc = ENOMEM;
        goto fail;
    }
    atomic_store(&db->current, v);
    atomic_store(&db->flushed_seq, flushed);

    struct awdb_wal_config wc = {
        .dir = dir,
        .io = o.io,
        .mode = o.mode,
        .interval_ms = o.flush_interval_ms,
        .segment_size = o.wal_segment_size,
        .prealloc = o.wal_prealloc,
        .on_durable = on_durable,
        .on_error = on_error,
        .ctx = db,
    };
    if ((rc = awdb_wal_init(&db->wal, &wc, 0))) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    db->wal_ready = true;

    if ((rc = awdb_recover(db, flushed, errbuf, errlen)))
        goto fail;
    uint64_t top = db->last_seq;

    /* A new generation, durable before any new seq or txn id is handed out. */
    if ((top >> AWDB_GEN_SHIFT) > gen)
        gen = top >> AWDB_GEN_SHIFT;
    if (gen + 1 > AWDB_MAX_GEN) {
        rc = AWDB_INVALID;
        snprintf(errbuf, errlen, "%s has been opened 2^20 times: generations exhausted", dir);
        goto fail;
    }
    db->gen = gen + 1;
    if ((rc = awdb_base_set_gen(&db->base, db->gen))) {
        snprintf(errbuf, errlen, "base store: recording the generation: %s", awdb_strerror(rc));
        goto fail;
    }
    /* Every commit up to the new generation's base is recovered, durable and
     * visible; the next commit is base + 1. */
    top = db->last_seq = db->gen << AWDB_GEN_SHIFT;
    atomic_store(&db->visible_seq, top);
    atomic_store(&db->durable_seq, top);
    atomic_store(&db->wal.durable, top);
    db->wal.written = top;
    atomic_store(&db->txn_ids, 1);

    /* Segments that replay already flushed into the base are not needed. */
    int d = awdb_wal_delete_upto(&db->wal, atomic_load(&db->flushed_seq));
    if (d < 0) {
        rc = -d;
        snprintf(errbuf, errlen, "wal: deleting flushed segments in %s: %s", dir, strerror(rc));
        goto fail;
    }
    if (o.mode != AWDB_NONE && (rc = awdb_wal_start(&db->wal))) {
        snprintf(errbuf, errlen, "cannot start the WAL thread: %s", strerror(rc));
        goto fail;
    }
    if ((rc = awdb_flush_start(db))) {
        snprintf(errbuf, errlen, "cannot start the flush thread: %s", strerror(rc));
        awdb_wal_stop(&db->wal);
        goto fail;
    }
    *dbp = db;
    return 0;
fail:
    if (db->wal_ready)
        awdb_wal_stop(&db->wal);
    destroy(db);
    return rc;
}

int awdb_shutdown(struct awdb *db, bool checkpoint)
{
    pthread_mutex_lock(&db->txns_mu);
    unsigned live = db->ntxns;
    pthread_mutex_unlock(&db->txns_mu);
    if (live)
        return AWDB_INVALID;
    int rc = 0;
    if (checkpoint && !atomic_load(&db->failed))
        rc = awdb_checkpoint(db);
    awdb_flush_stop(db);
    awdb_wal_stop(&db->wal);
    if (checkpoint && !atomic_load(&db->failed)) {
        int r = awdb_wal_delete_upto(&db->wal, atomic_load(&db->flushed_seq));
        if (r < 0 && !rc)
            rc = -r;
    }
    if (atomic_load(&db->failed))
        rc = atomic_load(&db->failed);
    destroy(db);
    return rc;
}

int awdb_close(awdb *db)
{
    return db ? awdb_shutdown(db, true) : 0;
}
