/*
 * recpool.c - per-owner pools of WAL record buffers (see recpool.h). The
 * owner keeps a private free list; the flusher pushes returned buffers onto
 * an atomic stack that the owner takes whole with one exchange (so there is
 * no ABA). A reference count - one for the owner, one per buffer in flight -
 * lets the pool outlive its owner until the last buffer comes back.
 */
#include "backends/awdb/recpool.h"

#include <stdatomic.h>
#include <stdlib.h>

struct awdb_recpool {
    struct awdb_rec *local;              /* owner only */
    _Atomic(struct awdb_rec *) returned; /* pushed by the flusher */
    _Atomic unsigned refs;
};

struct awdb_recpool *awdb_recpool_new(void)
{
    struct awdb_recpool *p = calloc(1, sizeof *p);
    if (p)
        atomic_init(&p->refs, 1);
    return p;
}

static void free_list(struct awdb_rec *r)
{
    while (r) {
        struct awdb_rec *next = r->free_next;
        free(r);
        r = next;
    }
}

struct awdb_rec *awdb_recpool_get(struct awdb_recpool *p, size_t size)
{
    if (!p->local)
        p->local = atomic_exchange_explicit(&p->returned, NULL, memory_order_acquire);
    struct awdb_rec *r = p->local;
    if (r && r->cap >= size) {
        p->local = r->free_next;
    } else {
        if (r) { /* too small: drop it, sizes usually repeat */
            p->local = r->free_next;
            free(r);
        }
        size_t cap = size < 256 ? 256 : size;
        r = malloc(sizeof *r + cap);
        if (!r)
            return NULL;
        r->cap = (uint32_t)cap;
        r->pool = p;
    }
    r->len = (uint32_t)size;
    r->free_next = NULL;
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return r;
}

static void unref(struct awdb_recpool *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    free_list(p->local);
    free_list(atomic_load_explicit(&p->returned, memory_order_acquire));
    free(p);
}

void awdb_recpool_put(struct awdb_rec *r)
{
    struct awdb_recpool *p = r->pool;
    r->free_next = p->local;
    p->local = r;
    unref(p);
}

void awdb_recpool_return(struct awdb_rec *r)
{
    struct awdb_recpool *p = r->pool;
    struct awdb_rec *top = atomic_load_explicit(&p->returned, memory_order_relaxed);
    do
        r->free_next = top;
    while (!atomic_compare_exchange_weak_explicit(&p->returned, &top, r, memory_order_release,
                                                  memory_order_relaxed));
    unref(p);
}

void awdb_recpool_release(struct awdb_recpool *p)
{
    if (!p)
        return;
    free_list(p->local);
    p->local = NULL;
    unref(p);
}
