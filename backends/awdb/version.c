/*
 * version.c - versions and their safe reclamation. A transaction pins the
 * current version with a hazard pointer (Michael's scheme): it publishes the
 * pointer in its handle, then checks the version is still current; the
 * reclaimer frees a retired version only when no handle's hazard pointer
 * holds it. Readers thus pin a snapshot with one store and two loads on
 * their own cache line, never a shared reference count.
 */
#include "backends/awdb/awdb_int.h"

#include <stdlib.h>

struct awdb_version *awdb_version_new(struct awdb_memtable *const *mem, unsigned n,
                                      uint64_t base_seq)
{
    struct awdb_version *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        v->mem[i] = mem[i];
        awdb_mem_ref(mem[i]);
    }
    v->n = n;
    v->base_seq = base_seq;
    return v;
}

void awdb_version_free(struct awdb_version *v)
{
    if (!v)
        return;
    for (unsigned i = 0; i < v->n; i++)
        awdb_mem_unref(v->mem[i]);
    free(v);
}

void awdb_version_install(struct awdb *db, struct awdb_version *v)
{
    struct awdb_version *old = atomic_load_explicit(&db->current, memory_order_relaxed);
    atomic_store_explicit(&db->current, v, memory_order_seq_cst);
    if (old) {
        pthread_mutex_lock(&db->retire_mu);
        old->retired_next = db->retired;
        db->retired = old;
        pthread_mutex_unlock(&db->retire_mu);
    }
}

void awdb_version_reclaim(struct awdb *db)
{
    pthread_mutex_lock(&db->retire_mu);
    struct awdb_version *list = db->retired, *keep = NULL, *dead = NULL;
    db->retired = NULL;
    pthread_mutex_unlock(&db->retire_mu);
    atomic_thread_fence(memory_order_seq_cst);
    pthread_mutex_lock(&db->txns_mu);
    while (list) {
        struct awdb_version *v = list;
        list = v->retired_next;
        bool held = false;
        for (struct awdb_txn *t = db->txns; t && !held; t = t->reg_next)
            held = atomic_load_explicit(&t->hazard, memory_order_seq_cst) == v;
        if (held) {
            v->retired_next = keep;
            keep = v;
        } else {
            v->retired_next = dead;
            dead = v;
        }
    }
    pthread_mutex_unlock(&db->txns_mu);
    while (dead) {
        struct awdb_version *v = dead;
        dead = v->retired_next;
        awdb_version_free(v);
    }
    if (keep) {
        pthread_mutex_lock(&db->retire_mu);
        struct awdb_version *tail = keep;
        while (tail->retired_next)
            tail = tail->retired_next;
        tail->retired_next = db->retired;
        db->retired = keep;
        pthread_mutex_unlock(&db->retire_mu);
    }
}

struct awdb_version *awdb_version_pin(struct awdb_txn *txn)
{
    struct awdb *db = txn->db;
    for (;;) {
        struct awdb_version *v = atomic_load_explicit(&db->current, memory_order_acquire);
        atomic_store_explicit(&txn->hazard, v, memory_order_seq_cst);
        if (atomic_load_explicit(&db->current, memory_order_seq_cst) == v)
            return v;
    }
}
