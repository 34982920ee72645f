/*
 * mpsc.h - an intrusive lock-free multi-producer single-consumer queue
 * (Dmitry Vyukov's design): push is one atomic exchange and one store, no
 * loop and no syscall; one consumer pops in push order.
 */
#ifndef AWDB_MPSC_H
#define AWDB_MPSC_H

#include <stdatomic.h>
#include <stdbool.h>

struct awdb_mpsc_node {
    _Atomic(struct awdb_mpsc_node *) next;
};

struct awdb_mpsc {
    _Alignas(64) _Atomic(struct awdb_mpsc_node *) head; /* producers swap here */
    _Alignas(64) struct awdb_mpsc_node *tail;           /* consumer's end */
    struct awdb_mpsc_node stub;
};

void awdb_mpsc_init(struct awdb_mpsc *q);

/* Appends n; any thread. The node must stay valid until popped. */
void awdb_mpsc_push(struct awdb_mpsc *q, struct awdb_mpsc_node *n);

/* Removes and returns the oldest node, or NULL if the queue is empty. The one
 * consumer thread only. If a producer is between its exchange and its link
 * store, waits for it (a few instructions). */
struct awdb_mpsc_node *awdb_mpsc_pop(struct awdb_mpsc *q);

/* True if nothing is queued (a producer mid-push counts as queued).
 * Consumer only. */
bool awdb_mpsc_empty(struct awdb_mpsc *q);

#endif
