/*
 * flush.c - the memtable pipeline: switching to a new active memtable (the
 * full one becomes immutable), and the background thread that moves
 * immutable memtables into the base store. It takes the oldest immutable
 * memtable of the current version, waits until every commit in it is durable
 * in the WAL (and so visible), writes it into LMDB with its last sequence
 * number in one transaction, installs a version without it, wakes stalled
 * committers, frees versions no snapshot reads any more, and deletes WAL
 * segments wholly below the flushed number. Also here: awdb_checkpoint and
 * awdb_sync, which drive it.
 */
#include "backends/awdb/awdb_int.h"

#include "backends/awdb/futex.h"

#include <errno.h>

int awdb_switch_memtable(struct awdb *db)
{
    struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    if (v->n >= db->opts.max_memtables)
        return AWDB_INVALID;
    struct awdb_memtable *m = awdb_mem_new(db->mem_bytes, ++db->next_mem_id);
    if (!m)
        return ENOMEM;
    struct awdb_memtable *mem[AWDB_MAX_MEMTABLES];
    mem[0] = m;
    for (unsigned i = 0; i < v->n; i++)
        mem[i + 1] = v->mem[i];
    struct awdb_version *nv = awdb_version_new(mem, v->n + 1, v->base_seq);
    awdb_mem_unref(m); /* the version holds it now */
    if (!nv)
        return ENOMEM;
    awdb_version_install(db, nv);
    return 0;
}

int awdb_flush_memtable(struct awdb *db, struct awdb_memtable *m, uint64_t upto)
{
    uint64_t bytes = 0;
    int rc = awdb_base_flush(&db->base, m, upto, &bytes);
    atomic_fetch_add(&db->st_base_bytes, bytes);
    if (rc)
        awdb_fail(db, rc, "base store: flushing memtable %llu up to seq %llu: %s",
                  (unsigned long long)m->id, (unsigned long long)upto, awdb_strerror(rc));
    return rc;
}

/* The oldest immutable memtable (referenced) and its last seq, or NULL. */
static struct awdb_memtable *pick(struct awdb *db, uint64_t *upto)
{
    pthread_mutex_lock(&db->commit_mu);
    struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    struct awdb_memtable *m = NULL;
    if (v->n > 1) {
        m = v->mem[v->n - 1];
        awdb_mem_ref(m);
        *upto = m->max_seq;
    }
    pthread_mutex_unlock(&db->commit_mu);
    return m;
}

static int flush_one(struct awdb *db, struct awdb_memtable *m, uint64_t upto)
{
    int rc = 0;
    if (db->opts.mode != AWDB_NONE && upto && (rc = awdb_wal_sync(&db->wal, upto)))
        return AWDB_FAILED;
    if (upto > atomic_load(&db->flushed_seq) && (rc = awdb_flush_memtable(db, m, upto)))
        return rc;
    pthread_mutex_lock(&db->commit_mu);
    struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    uint64_t base_seq = upto > v->base_seq ? upto : v->base_seq;
    struct awdb_version *nv = awdb_version_new(v->mem, v->n - 1, base_seq);
    if (nv) {
        awdb_version_install(db, nv);
        db->st_flushes++;
        pthread_cond_broadcast(&db->stall_cv);
    }
    pthread_mutex_unlock(&db->commit_mu);
    if (!nv) {
        awdb_fail(db, ENOMEM, "flush: out of memory for a version");
        return ENOMEM;
    }
    if (upto > atomic_load(&db->flushed_seq))
        atomic_store(&db->flushed_seq, upto);
    if (db->opts.mode == AWDB_NONE && upto > atomic_load(&db->durable_seq)) {
        awdb_timeline_push(db, upto, awdb_now_ns());
        atomic_store(&db->durable_seq, upto);
    }
    awdb_version_reclaim(db);
    rc = awdb_wal_delete_upto(&db->wal, atomic_load(&db->flushed_seq));
    if (rc < 0)
        awdb_fail(db, -rc, "wal: deleting flushed segments in %s: %s", db->dir, awdb_strerror(-rc));
    return 0;
}

static void *flush_main(void *arg)
{
    struct awdb *db = arg;
    uint64_t seen = 0;
    for (;;) {
        uint64_t upto = 0;
        struct awdb_memtable *m = atomic_load(&db->failed) ? NULL : pick(db, &upto);
        if (m) {
            int rc = flush_one(db, m, upto);
            awdb_mem_unref(m);
            pthread_mutex_lock(&db->flush_mu);
            pthread_cond_broadcast(&db->flushed_cv);
            pthread_mutex_unlock(&db->flush_mu);
            if (!rc)
                continue;
        }
        pthread_mutex_lock(&db->flush_mu);
        while (!db->flush_stop && db->flush_kicks == seen)
            pthread_cond_wait(&db->flush_cv, &db->flush_mu);
        seen = db->flush_kicks;
        bool stop = db->flush_stop;
        pthread_mutex_unlock(&db->flush_mu);
        if (stop)
            break;
    }
    awdb_version_reclaim(db);
    return NULL;
}

void awdb_kick_flush(struct awdb *db)
{
    pthread_mutex_lock(&db->flush_mu);
    db->flush_kicks++;
    pthread_cond_signal(&db->flush_cv);
    pthread_mutex_unlock(&db->flush_mu);
}

int awdb_flush_start(struct awdb *db)
{
    int rc = pthread_create(&db->flush_thr, NULL, flush_main, db);
    if (!rc)
        db->flush_started = true;
    return rc;
}

void awdb_flush_stop(struct awdb *db)
{
    if (!db->flush_started)
        return;
    pthread_mutex_lock(&db->flush_mu);
    db->flush_stop = true;
    pthread_cond_signal(&db->flush_cv);
    pthread_mutex_unlock(&db->flush_mu);
    pthread_join(db->flush_thr, NULL);
    db->flush_started = false;
}

int awdb_checkpoint(awdb *db)
{
    int rc = 0;
    uint64_t target = 0;
    pthread_mutex_lock(&db->commit_mu);
    for (;;) {
        struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
        if (atomic_load(&db->failed) || awdb_mem_empty(v->mem[0]))
            break;
        if (v->n < db->opts.max_memtables) {
            rc = awdb_switch_memtable(db);
            break;
        }
        awdb_kick_flush(db);
        pthread_cond_wait(&db->stall_cv, &db->commit_mu);
    }
    const struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    for (unsigned i = 0; i < v->n; i++)
        if (v->mem[i]->max_seq > target)
            target = v->mem[i]->max_seq;
    pthread_mutex_unlock(&db->commit_mu);
    if (rc)
        return rc;
    awdb_kick_flush(db);
    pthread_mutex_lock(&db->flush_mu);
    while (!atomic_load(&db->failed) && atomic_load(&db->flushed_seq) < target)
        pthread_cond_wait(&db->flushed_cv, &db->flush_mu);
    pthread_mutex_unlock(&db->flush_mu);
    return atomic_load(&db->failed) ? AWDB_FAILED : 0;
}

int awdb_sync(awdb *db)
{
    if (db->opts.mode == AWDB_NONE)
        return awdb_checkpoint(db);
    pthread_mutex_lock(&db->commit_mu);
    uint64_t target = db->last_seq;
    pthread_mutex_unlock(&db->commit_mu);
    if (atomic_load(&db->failed))
        return AWDB_FAILED;
    return awdb_wal_sync(&db->wal, target) ? AWDB_FAILED : 0;
}
