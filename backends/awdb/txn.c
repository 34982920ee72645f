/*
 * txn.c - transaction handles: taking a snapshot, reads (own writes, then
 * memtables newest first, then the base store), and the buffered write set
 * and read set that commit.c validates and applies.
 *
 * A handle is reusable: its buffers, its LMDB read transaction (reset while
 * idle, renewed at begin) and its WAL record pool survive from one
 * transaction to the next, so the steady state allocates nothing.
 *
 * Snapshot consistency: begin pins the current version (hazard pointer),
 * renews the base read transaction, then reads the visible sequence number,
 * and retries if the version changed meanwhile. The base may then be newer
 * than the version (a flush committed in between): harmless, because a flush
 * only writes memtables whose commits are all visible, so everything in that
 * base is also in the pinned memtables or at most the snapshot; and every
 * commit at most the snapshot is in the pinned memtables or that base, since
 * the version did not change.
 *
 * A read-write transaction's snapshot is refreshed at its first read if
 * that read would otherwise see a key older than its newest version (which
 * dooms the commit to a conflict): in AWDB_SYNC a commit is invisible until
 * its WAL sync, and writers racing on one key would otherwise spin through
 * certain conflicts instead of waiting for that sync. Nothing has been read
 * before, so the transaction cannot tell its snapshot was taken late.
 */
#include "backends/awdb/awdb_int.h"

#include "backends/awdb/wal_record.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define TXN_ID_BLOCK 1024

int awdb_txn_new(awdb *db, awdb_txn **txnp)
{
    *txnp = NULL;
    struct awdb_txn *t = aligned_alloc(64, (sizeof *t + 63) & ~(size_t)63);
    if (!t)
        return ENOMEM;
    memset(t, 0, sizeof *t);
    t->db = db;
    t->rng = (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ull | 1;
    t->pool = awdb_recpool_new();
    int rc = t->pool ? 0 : ENOMEM;
    if (!rc)
        rc = mdb_txn_begin(db->base.env, NULL, MDB_RDONLY, &t->rtxn);
    if (rc) {
        awdb_recpool_release(t->pool);
        free(t);
        return rc;
    }
    mdb_txn_reset(t->rtxn);
    pthread_mutex_lock(&db->txns_mu);
    if (db->ntxns >= db->opts.max_txns) {
        pthread_mutex_unlock(&db->txns_mu);
        mdb_txn_abort(t->rtxn);
        awdb_recpool_release(t->pool);
        free(t);
        return AWDB_INVALID;
    }
    t->reg_next = db->txns;
    if (db->txns)
        db->txns->reg_prev = t;
    db->txns = t;
    db->ntxns++;
    pthread_mutex_unlock(&db->txns_mu);
    *txnp = t;
    return 0;
}

void awdb_txn_free(awdb_txn *t)
{
    if (!t)
        return;
    awdb_txn_abort(t);
    struct awdb *db = t->db;
    pthread_mutex_lock(&db->txns_mu);
    if (t->reg_prev)
        t->reg_prev->reg_next = t->reg_next;
    else
        db->txns = t->reg_next;
    if (t->reg_next)
        t->reg_next->reg_prev = t->reg_prev;
    db->ntxns--;
    pthread_mutex_unlock(&db->txns_mu);
    if (t->cursor)
        mdb_cursor_close(t->cursor);
    mdb_txn_abort(t->rtxn);
    awdb_recpool_release(t->pool);
    free(t->order);
    free(t->ops);
    free(t->wbuf);
    free(t->widx);
    free(t->rbuf);
    free(t);
}

/* Pins the current version, renews the base read transaction and reads the
 * visible sequence number, retrying until the version did not change. */
static int take_snapshot(struct awdb_txn *t)
{
    struct awdb *db = t->db;
    for (;;) {
        struct awdb_version *v = awdb_version_pin(t);
        int rc = mdb_txn_renew(t->rtxn);
        if (rc) {
            atomic_store_explicit(&t->hazard, NULL, memory_order_release);
            return rc;
        }
        uint64_t snap = atomic_load_explicit(&db->visible_seq, memory_order_acquire);
        if (atomic_load_explicit(&db->current, memory_order_acquire) == v) {
            t->ver = v;
            t->snap = snap;
            return 0;
        }
        mdb_txn_reset(t->rtxn);
    }
}

int awdb_txn_begin(awdb_txn *t, unsigned flags)
{
    if (t->state != TXN_IDLE || (flags & ~AWDB_TXN_RDONLY))
        return AWDB_INVALID;
    struct awdb *db = t->db;
    int rc = take_snapshot(t);
    if (rc)
        return rc;
    if (t->id_next == t->id_end) {
        uint64_t b = atomic_fetch_add_explicit(&db->txn_ids, TXN_ID_BLOCK, memory_order_relaxed);
        t->id_next = (db->gen << AWDB_GEN_SHIFT) | b;
        t->id_end = t->id_next + TXN_ID_BLOCK;
    }
    t->id = t->id_next++;
    t->flags = flags;
    t->state = TXN_ACTIVE;
    t->nops = t->wlen = t->node_bytes = 0;
    t->rec_bytes = AWDB_REC_HDR;
    t->rlen = t->nreads = 0;
    if (t->widx)
        memset(t->widx, 0, t->widx_cap * sizeof *t->widx);
    return 0;
}

/* Ends the transaction: releases the base snapshot and the version. */
void awdb_txn_end(struct awdb_txn *t)
{
    if (t->state == TXN_IDLE)
        return;
    mdb_txn_reset(t->rtxn);
    atomic_store_explicit(&t->hazard, NULL, memory_order_release);
    t->ver = NULL;
    t->cursor_fresh = false;
    t->state = TXN_IDLE;
}

void awdb_txn_abort(awdb_txn *t)
{
    awdb_txn_end(t);
}

uint64_t awdb_txn_id(const awdb_txn *t)
{
    return t->id;
}

uint64_t awdb_txn_snapshot(const awdb_txn *t)
{
    return t->snap;
}

/* ---- the write set ---- */

static inline const uint8_t *op_key(const struct awdb_txn *t, const struct awdb_wop *o)
{
    return t->wbuf + o->koff;
}

/* Index slot for key: holding its op (+1) or empty. */
static size_t widx_find(const struct awdb_txn *t, const void *key, size_t klen)
{
    size_t mask = t->widx_cap - 1, i = (size_t)awdb_key_hash(key, klen) & mask;
    for (;;) {
        uint32_t e = t->widx[i];
        if (!e)
            return i;
        const struct awdb_wop *o = &t->ops[e - 1];
        if (o->klen == klen && memcmp(op_key(t, o), key, klen) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int widx_grow(struct awdb_txn *t)
{
    size_t cap = t->widx_cap ? t->widx_cap * 2 : 64;
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return ENOMEM;
    free(t->widx);
    t->widx = idx;
    t->widx_cap = cap;
    for (size_t i = 0; i < t->nops; i++) {
        const struct awdb_wop *o = &t->ops[i];
        t->widx[widx_find(t, op_key(t, o), o->klen)] = (uint32_t)(i + 1);
    }
    return 0;
}

static const struct awdb_wop *ws_get(const struct awdb_txn *t, const void *key, size_t klen)
{
    if (!t->nops)
        return NULL;
    uint32_t e = t->widx[widx_find(t, key, klen)];
    return e ? &t->ops[e - 1] : NULL;
}

static int ensure(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    uint8_t *b = realloc(*buf, c);
    if (!b)
        return ENOMEM;
    *buf = b;
    *cap = c;
    return 0;
}

static unsigned txn_height(struct awdb_txn *t)
{
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->rng = x;
    unsigned h = 1;
    while (h < AWDB_SL_MAXH && (x & 3) == 0) {
        h++;
        x >>= 2;
    }
    return h;
}

static int ws_add(struct awdb_txn *t, int type, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
    struct awdb *db = t->db;
    if (t->state != TXN_ACTIVE || (t->flags & AWDB_TXN_RDONLY) || klen == 0 || (vlen && !val))
        return AWDB_INVALID;
    if (klen > AWDB_MAX_KEY_SIZE || vlen > AWDB_MAX_VALUE_SIZE)
        return AWDB_TOO_BIG;
    const struct awdb_wop *old = ws_get(t, key, klen);
    size_t bytes = t->node_bytes + awdb_mem_bound(klen, vlen);
    size_t rec = t->rec_bytes + awdb_rec_op_size(klen, vlen);
    if (old) {
        bytes -= awdb_mem_bound(old->klen, old->vlen);
        rec -= awdb_rec_op_size(old->klen, old->vlen);
    }
    if (bytes > db->txn_limit || (!old && t->nops + 1 > db->txn_max_ops))
        return AWDB_TOO_BIG;
    if (ensure(&t->wbuf, &t->wcap, t->wlen + klen + vlen))
        return ENOMEM;
    if (!old) {
        if (t->nops + 1 > t->ops_cap) {
            size_t cap = t->ops_cap ? t->ops_cap * 2 : 16;
            struct awdb_wop *ops = realloc(t->ops, cap * sizeof *ops);
            if (!ops)
                return ENOMEM;
            t->ops = ops;
            t->ops_cap = cap;
        }
        if ((t->nops + 1) * 2 > t->widx_cap && widx_grow(t))
            return ENOMEM;
    }
    struct awdb_wop *o;
    if (old) {
        o = &t->ops[old - t->ops];
    } else {
        o = &t->ops[t->nops];
        o->koff = (uint32_t)t->wlen;
        o->klen = (uint16_t)klen;
        memcpy(t->wbuf + t->wlen, key, klen);
        t->wlen += klen;
        o->height = (uint8_t)txn_height(t);
        t->widx[widx_find(t, key, klen)] = (uint32_t)(t->nops + 1);
        t->nops++;
    }
    o->type = (uint8_t)type;
    o->voff = (uint32_t)t->wlen;
    o->vlen = (uint32_t)vlen;
    if (vlen)
        memcpy(t->wbuf + t->wlen, val, vlen);
    t->wlen += vlen;
    t->node_bytes = bytes;
    t->rec_bytes = rec;
    return 0;
}

int awdb_put(awdb_txn *t, const void *key, size_t klen, const void *val, size_t vlen)
{
    return ws_add(t, AWDB_OP_PUT, key, klen, val, vlen);
}

int awdb_del(awdb_txn *t, const void *key, size_t klen)
{
    return ws_add(t, AWDB_OP_DEL, key, klen, NULL, 0);
}

/* ---- reads ---- */

int awdb_txn_note_read(struct awdb_txn *t, const void *key, size_t klen)
{
    if (ensure(&t->rbuf, &t->rcap, t->rlen + 2 + klen))
        return ENOMEM;
    awdb_put_u16(t->rbuf + t->rlen, (uint16_t)klen);
    memcpy(t->rbuf + t->rlen + 2, key, klen);
    t->rlen += 2 + klen;
    t->nreads++;
    return 0;
}

static int refresh_for(struct awdb_txn *t, const void *key, size_t klen)
{
    struct awdb *db = t->db;
    const struct awdb_version *v = t->ver;
    uint64_t newest = 0;
    for (unsigned i = 0; i < v->n && !newest; i++)
        newest = awdb_mem_newest(v->mem[i], key, klen);
    if (newest <= t->snap)
        return 0;
    if (db->opts.mode == AWDB_SYNC) {
        if (awdb_wal_wait(&db->wal, newest))
            return AWDB_FAILED;
    } else {
        /* Published under the commit lock: a matter of instructions. */
        while (atomic_load_explicit(&db->visible_seq, memory_order_acquire) < newest) {
            if (atomic_load(&db->failed))
                return AWDB_FAILED;
            sched_yield();
        }
    }
    mdb_txn_reset(t->rtxn);
    atomic_store_explicit(&t->hazard, NULL, memory_order_release);
    t->cursor_fresh = false;
    return take_snapshot(t);
}

int awdb_get(awdb_txn *t, const void *key, size_t klen, const void **val, size_t *vlen)
{
    if (t->state != TXN_ACTIVE || klen == 0)
        return AWDB_INVALID;
    if (klen > AWDB_MAX_KEY_SIZE)
        return AWDB_TOO_BIG;
    bool rw = !(t->flags & AWDB_TXN_RDONLY);
    if (rw) {
        const struct awdb_wop *o = ws_get(t, key, klen);
        if (o) {
            if (o->type == AWDB_OP_DEL)
                return AWDB_NOTFOUND;
            *val = t->wbuf + o->voff;
            *vlen = o->vlen;
            return 0;
        }
        /* The first read of the snapshot: if the key has a version newer than
         * the snapshot, reading it would doom the commit. Nothing has been
         * read yet, so wait for that version to be visible (in AWDB_SYNC at
         * most one WAL sync) and take the snapshot again. */
        if (!t->nreads) {
            int rc = refresh_for(t, key, klen);
            if (rc)
                return rc;
        }
        /* Remember the key before looking: a missing key is a read too. */
        if (awdb_txn_note_read(t, key, klen))
            return ENOMEM;
    }
    const struct awdb_version *v = t->ver;
    uint64_t h = awdb_key_hash(key, klen);
    for (unsigned i = 0; i < v->n; i++) {
        if (awdb_mem_empty(v->mem[i]))
            continue;
        const struct awdb_node *n = awdb_mem_get_h(v->mem[i], key, klen, h, t->snap);
        if (n) {
            if (n->type == AWDB_OP_DEL)
                return AWDB_NOTFOUND;
            *val = awdb_node_val(n);
            *vlen = n->vlen;
            return 0;
        }
    }
    return awdb_base_get(&t->db->base, t->rtxn, key, klen, val, vlen);
}
