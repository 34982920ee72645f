/*
 * mpsc.c - the WAL queue: committers push encoded records, the flusher
 * thread pops them in push order. Vyukov's intrusive MPSC queue: producers
 * exchange the head pointer and then link the previous head to their node;
 * the consumer walks from the tail. A stub node keeps the list non-empty so
 * that the consumer never races a producer for the last node. The one
 * window of inconsistency - a producer that has exchanged the head but not
 * yet linked - is waited out by the consumer with a pause loop; producers
 * push under the commit lock, so that window is a few instructions.
 */
#include "backends/awdb/mpsc.h"

#include <stddef.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void awdb_mpsc_init(struct awdb_mpsc *q)
{
    atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->head, &q->stub, memory_order_relaxed);
    q->tail = &q->stub;
}

void awdb_mpsc_push(struct awdb_mpsc *q, struct awdb_mpsc_node *n)
{
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    struct awdb_mpsc_node *prev = atomic_exchange_explicit(&q->head, n, memory_order_acq_rel);
    atomic_store_explicit(&prev->next, n, memory_order_release);
}

/* Next of node n, waiting out a producer that has exchanged but not linked. */
static struct awdb_mpsc_node *next_of(struct awdb_mpsc *q, struct awdb_mpsc_node *n)
{
    struct awdb_mpsc_node *next = atomic_load_explicit(&n->next, memory_order_acquire);
    while (!next && atomic_load_explicit(&q->head, memory_order_acquire) != n) {
        cpu_relax();
        next = atomic_load_explicit(&n->next, memory_order_acquire);
    }
    return next;
}

struct awdb_mpsc_node *awdb_mpsc_pop(struct awdb_mpsc *q)
{
    struct awdb_mpsc_node *tail = q->tail;
    struct awdb_mpsc_node *next = next_of(q, tail);
    if (tail == &q->stub) {
        if (!next)
            return NULL;
        q->tail = next;
        tail = next;
        next = next_of(q, tail);
    }
    if (next) {
        q->tail = next;
        return tail;
    }
    /* tail is the last node: put the stub behind it so it can be handed out. */
    awdb_mpsc_push(q, &q->stub);
    next = next_of(q, tail);
    if (next) {
        q->tail = next;
        return tail;
    }
    return NULL;
}

bool awdb_mpsc_empty(struct awdb_mpsc *q)
{
    return q->tail == &q->stub && atomic_load_explicit(&q->head, memory_order_acquire) == &q->stub;
}
