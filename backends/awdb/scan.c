/*
 * scan.c - ordered range reads in a transaction (awdb_scan): a merge of the
 * transaction's own writes (sorted for the scan), one iterator per memtable
 * of its version and an LMDB cursor on its base snapshot. Each memtable
 * iterator stands on the version of its current key that the snapshot sees
 * (the first one at or below the snapshot, versions coming newest first) and
 * skips keys with no such version. At each step the smallest key wins, and
 * among sources holding it the newest source decides: own writes, then
 * memtables newest first, then the base; a deletion hides the key.
 */
#include "backends/awdb/awdb_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline bool same_key(const struct awdb_node *a, const struct awdb_node *b)
{
    return a->klen == b->klen && memcmp(awdb_node_key(a), awdb_node_key(b), a->klen) == 0;
}

/* From the first version of some key (or NULL), the first version visible
 * at snap of that key or a later one. */
static const struct awdb_node *settle(const struct awdb_node *n, uint64_t snap)
{
    while (n) {
        const struct awdb_node *k = n;
        while (n && n->seq > snap && same_key(n, k))
            n = awdb_node_next(n);
        if (n && same_key(n, k))
            return n;
    }
    return NULL;
}

/* The next key's visible version after version v. */
static const struct awdb_node *advance(const struct awdb_node *v, uint64_t snap)
{
    const struct awdb_node *n = awdb_node_next(v);
    while (n && same_key(n, v))
        n = awdb_node_next(n);
    return settle(n, snap);
}

/* qsort has no context argument; the scanning thread's transaction. */
static __thread struct awdb_txn *tls_sort;

static int cmp_ops_tls(const void *a, const void *b)
{
    const struct awdb_wop *x = &tls_sort->ops[*(const uint32_t *)a];
    const struct awdb_wop *y = &tls_sort->ops[*(const uint32_t *)b];
    return awdb_key_cmp(tls_sort->wbuf + x->koff, x->klen, tls_sort->wbuf + y->koff, y->klen);
}

/* The transaction's writes with keys >= start, sorted; their count. */
static int sorted_writes(struct awdb_txn *t, const void *start, size_t slen, size_t *n)
{
    *n = 0;
    if (!t->nops)
        return 0;
    if (t->order_cap < t->nops) {
        uint32_t *o = realloc(t->order, t->nops * sizeof *o);
        if (!o)
            return ENOMEM;
        t->order = o;
        t->order_cap = t->nops;
    }
    for (size_t i = 0; i < t->nops; i++) {
        const struct awdb_wop *o = &t->ops[i];
        if (!slen || awdb_key_cmp(t->wbuf + o->koff, o->klen, start, slen) >= 0)
            t->order[(*n)++] = (uint32_t)i;
    }
    tls_sort = t;
    qsort(t->order, *n, sizeof *t->order, cmp_ops_tls);
    return 0;
}

int awdb_scan(awdb_txn *t, const void *start, size_t slen, size_t limit, awdb_scan_fn fn, void *arg)
{
    if (t->state != TXN_ACTIVE || (slen && !start))
        return AWDB_INVALID;
    if (slen > AWDB_MAX_KEY_SIZE)
        return AWDB_TOO_BIG;
    struct awdb *db = t->db;
    bool rw = !(t->flags & AWDB_TXN_RDONLY);
    const struct awdb_version *v = t->ver;
    int rc;

    /* own writes */
    size_t nw = 0, wi = 0;
    if (rw && (rc = sorted_writes(t, start, slen, &nw)))
        return rc;
    /* memtables */
    const struct awdb_node *mi[AWDB_MAX_MEMTABLES];
    for (unsigned i = 0; i < v->n; i++) {
        const struct awdb_node *n = slen ? awdb_sl_seek(&v->mem[i]->sl, start, slen, UINT64_MAX)
                                         : awdb_mem_first(v->mem[i]);
        mi[i] = settle(n, t->snap);
    }
    /* base */
    if (!t->cursor) {
        if ((rc = mdb_cursor_open(t->rtxn, db->base.data, &t->cursor)))
            return rc;
        t->cursor_fresh = true;
    } else if (!t->cursor_fresh) {
        if ((rc = mdb_cursor_renew(t->rtxn, t->cursor)))
            return rc;
        t->cursor_fresh = true;
    }
    MDB_val bk = {slen, (void *)start}, bv;
    bool bvalid;
    rc = mdb_cursor_get(t->cursor, &bk, &bv, slen ? MDB_SET_RANGE : MDB_FIRST);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    bvalid = rc == 0;

    size_t emitted = 0;
    for (;;) {
        /* the smallest current key among the sources */
        const uint8_t *key = NULL;
        size_t klen = 0;
        if (wi < nw) {
            const struct awdb_wop *o = &t->ops[t->order[wi]];
            key = t->wbuf + o->koff;
            klen = o->klen;
        }
        for (unsigned i = 0; i < v->n; i++)
            if (mi[i] && (!key || awdb_key_cmp(awdb_node_key(mi[i]), mi[i]->klen, key, klen) < 0)) {
                key = awdb_node_key(mi[i]);
                klen = mi[i]->klen;
            }
        if (bvalid && (!key || awdb_key_cmp(bk.mv_data, bk.mv_size, key, klen) < 0)) {
            key = bk.mv_data;
            klen = bk.mv_size;
        }
        if (!key)
            break;
        /* the newest source holding it decides; every holder moves on */
        bool decided = false, present = false;
        const void *val = NULL;
        size_t vlen = 0;
        /* key may point into a source that advances below: copy it first */
        uint8_t kbuf[AWDB_MAX_KEY_SIZE];
        memcpy(kbuf, key, klen);
        key = kbuf;
        if (wi < nw) {
            const struct awdb_wop *o = &t->ops[t->order[wi]];
            if (awdb_key_cmp(t->wbuf + o->koff, o->klen, key, klen) == 0) {
                decided = true;
                present = o->type == AWDB_OP_PUT;
                val = t->wbuf + o->voff;
                vlen = o->vlen;
                wi++;
            }
        }
        for (unsigned i = 0; i < v->n; i++) {
            if (mi[i] && awdb_key_cmp(awdb_node_key(mi[i]), mi[i]->klen, key, klen) == 0) {
                if (!decided) {
                    decided = true;
                    present = mi[i]->type == AWDB_OP_PUT;
                    val = awdb_node_val(mi[i]);
                    vlen = mi[i]->vlen;
                }
                mi[i] = advance(mi[i], t->snap);
            }
        }
        if (bvalid && awdb_key_cmp(bk.mv_data, bk.mv_size, key, klen) == 0) {
            if (!decided) {
                present = true;
                val = bv.mv_data;
                vlen = bv.mv_size;
            }
            /* val may point into the base page: call fn before moving */
        }
        int stop = 0;
        if (present) {
            if (rw && (rc = awdb_txn_note_read(t, key, klen)))
                return rc;
            stop = fn(arg, key, klen, val, vlen);
            emitted++;
        }
        if (bvalid && awdb_key_cmp(bk.mv_data, bk.mv_size, key, klen) == 0) {
            rc = mdb_cursor_get(t->cursor, &bk, &bv, MDB_NEXT);
            if (rc && rc != MDB_NOTFOUND)
                return rc;
            bvalid = rc == 0;
        }
        if (stop || (limit && emitted >= limit))
            break;
    }
    return 0;
}
