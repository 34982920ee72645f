/*
 * commit.c - committing a transaction. Outside the lock the committer encodes
 * its WAL record. Under the commit lock it makes room in the active memtable
 * (switching to a new one, or stalling while every memtable is full),
 * validates its read set, takes the next sequence number, inserts its writes
 * (invisible: above the visible sequence number) and pushes the record on the
 * WAL queue, so records reach the log in sequence order. In AWDB_ASYNC and
 * AWDB_NONE it publishes the new visible sequence number before unlocking; in
 * AWDB_SYNC the flusher publishes it after the sync, and the committer waits
 * outside the lock.
 *
 * Validation looks only at memtables. For each key read it asks each memtable
 * of the current version for the key's newest sequence number; one above the
 * snapshot is a conflict. If the base store has absorbed commits above the
 * snapshot (a flush since begin), a newer version of a key read may have left
 * the memtables, so any transaction that read something conflicts.
 */
#include "backends/awdb/awdb_int.h"

#include "backends/awdb/futex.h"
#include "backends/awdb/wal_record.h"

#include <errno.h>

/* Commit lock held: makes room for t's writes in the active memtable. Sets
 * *switched if it made a new one. */
static int make_room(struct awdb *db, struct awdb_txn *t, bool *switched)
{
    for (;;) {
        struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
        if (awdb_mem_fits(v->mem[0], t->node_bytes, t->nops))
            return 0;
        if (atomic_load(&db->failed))
            return AWDB_FAILED;
        if (v->n >= db->opts.max_memtables) {
            /* Every memtable is full: wait for the flush thread. */
            uint64_t t0 = awdb_now_ns();
            db->st_stalls++;
            awdb_kick_flush(db);
            while (atomic_load_explicit(&db->current, memory_order_relaxed)->n >=
                       db->opts.max_memtables &&
                   !atomic_load(&db->failed))
                pthread_cond_wait(&db->stall_cv, &db->commit_mu);
            db->st_stall_ns += awdb_now_ns() - t0;
            continue;
        }
        int rc = awdb_switch_memtable(db);
        if (rc)
            return rc;
        *switched = true;
    }
}

static bool conflicts(struct awdb *db, struct awdb_txn *t)
{
    if (!t->nreads)
        return false;
    const struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_relaxed);
    if (v->base_seq > t->snap)
        return true;
    const uint8_t *p = t->rbuf, *end = t->rbuf + t->rlen;
    while (p < end) {
        size_t klen = awdb_get_u16(p);
        const uint8_t *key = p + 2;
        uint64_t h = awdb_key_hash(key, klen);
        for (unsigned i = 0; i < v->n; i++)
            if (awdb_mem_newest_h(v->mem[i], key, klen, h) > t->snap)
                return true;
        p = key + klen;
    }
    return false;
}

static void encode(struct awdb_txn *t, struct awdb_rec *rec)
{
    awdb_rec_begin(rec->buf, t->rec_bytes, (uint32_t)t->nops);
    uint8_t *p = rec->buf + AWDB_REC_HDR;
    for (size_t i = 0; i < t->nops; i++) {
        const struct awdb_wop *o = &t->ops[i];
        p = awdb_rec_put_op(p, o->type, t->wbuf + o->koff, o->klen, t->wbuf + o->voff, o->vlen);
    }
}

int awdb_txn_commit(awdb_txn *t, struct awdb_commit_info *info)
{
    struct awdb *db = t->db;
    if (info)
        *info = (struct awdb_commit_info){0, false, false};
    if (t->state != TXN_ACTIVE)
        return AWDB_INVALID;
    if (!t->nops) {
        /* Nothing written: the reads were one consistent snapshot. */
        awdb_txn_end(t);
        if (info)
            *info = (struct awdb_commit_info){0, true, true};
        return 0;
    }
    enum awdb_mode mode = db->opts.mode;
    struct awdb_rec *rec = NULL;
    if (mode != AWDB_NONE) {
        rec = awdb_recpool_get(t->pool, t->rec_bytes);
        if (!rec) {
            awdb_txn_end(t);
            return ENOMEM;
        }
        encode(t, rec);
    }

    bool switched = false;
    int rc = 0;
    uint64_t seq = 0;
    pthread_mutex_lock(&db->commit_mu);
    if (atomic_load(&db->failed)) {
        rc = AWDB_FAILED;
        goto unlock;
    }
    if ((rc = make_room(db, t, &switched)))
        goto unlock;
    if (conflicts(db, t)) {
        db->st_conflicts++;
        rc = AWDB_CONFLICT;
        goto unlock;
    }
    seq = ++db->last_seq;
    struct awdb_memtable *m = atomic_load_explicit(&db->current, memory_order_relaxed)->mem[0];
    size_t user = 0;
    for (size_t i = 0; i < t->nops; i++) {
        const struct awdb_wop *o = &t->ops[i];
        awdb_mem_insert(m, t->wbuf + o->koff, o->klen, seq, o->type, t->wbuf + o->voff, o->vlen,
                        o->height);
        user += (size_t)o->klen + o->vlen;
    }
    db->st_commits++;
    db->st_user_bytes += user;
    if (rec) {
        rec->seq = seq;
        awdb_rec_set_seq(rec->buf, seq);
        awdb_wal_push(&db->wal, rec);
        rec = NULL;
    }
    if (mode != AWDB_SYNC)
        atomic_store_explicit(&db->visible_seq, seq, memory_order_release);
unlock:
    pthread_mutex_unlock(&db->commit_mu);
    /* Release the snapshot before any wait: a sync must not pin memtables. */
    awdb_txn_end(t);
    if (rec)
        awdb_recpool_put(rec);
    if (switched)
        awdb_kick_flush(db);
    if (rc)
        return rc;
    if (mode != AWDB_NONE)
        awdb_wal_notify(&db->wal);
    if (mode == AWDB_SYNC && awdb_wal_wait(&db->wal, seq))
        return AWDB_FAILED;
    if (info)
        *info = (struct awdb_commit_info){seq, mode == AWDB_SYNC, true};
    return 0;
}
