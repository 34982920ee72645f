/*
 * skiplist.c - the memtable's ordered index (see skiplist.h). The single
 * writer (a committer holding the commit lock) fills a node, sets its links
 * with relaxed stores and publishes it with release stores into its
 * predecessors, bottom level first, so that a reader that finds it through
 * any level sees it whole. Readers never lock or write.
 */
#include "backends/awdb/skiplist.h"

#include <string.h>

void awdb_sl_init(struct awdb_skiplist *sl, struct awdb_node *head, uint64_t seed)
{
    head->height = AWDB_SL_MAXH;
    head->klen = 0;
    head->vlen = 0;
    head->seq = 0;
    for (int i = 0; i < AWDB_SL_MAXH; i++)
        atomic_store_explicit(&head->next[i], NULL, memory_order_relaxed);
    sl->head = head;
    atomic_store_explicit(&sl->height, 1, memory_order_relaxed);
    sl->rng = seed | 1;
}

unsigned awdb_sl_random_height(struct awdb_skiplist *sl)
{
    uint64_t x = sl->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sl->rng = x;
    unsigned h = 1;
    while (h < AWDB_SL_MAXH && (x & 3) == 0) {
        h++;
        x >>= 2;
    }
    return h;
}

int awdb_node_cmp(const struct awdb_node *n, const void *key, size_t klen, uint64_t seq)
{
    int c = awdb_key_cmp(awdb_node_key(n), n->klen, key, klen);
    if (c)
        return c;
    return n->seq > seq ? -1 : n->seq < seq;
}

/* Finds, at every level, the last node before (key, seq); returns the node
 * after it at level 0. */
static struct awdb_node *find(const struct awdb_skiplist *sl, const void *key, size_t klen,
                              uint64_t seq, struct awdb_node **prev)
{
    struct awdb_node *x = sl->head;
    int level = (int)atomic_load_explicit(&sl->height, memory_order_relaxed) - 1;
    for (;;) {
        struct awdb_node *next = atomic_load_explicit(&x->next[level], memory_order_acquire);
        if (next)
            __builtin_prefetch(atomic_load_explicit(&next->next[level], memory_order_relaxed));
        if (next && awdb_node_cmp(next, key, klen, seq) < 0) {
            x = next;
            continue;
        }
        if (prev)
            prev[level] = x;
        if (level == 0)
            return next;
        level--;
    }
}

void awdb_sl_insert(struct awdb_skiplist *sl, struct awdb_node *node)
{
    struct awdb_node *prev[AWDB_SL_MAXH];
    unsigned h = atomic_load_explicit(&sl->height, memory_order_relaxed);
    find(sl, awdb_node_key(node), node->klen, node->seq, prev);
    if (node->height > h) {
        for (unsigned i = h; i < node->height; i++)
            prev[i] = sl->head;
        /* Readers that see the new height before the links find NULL at the
         * new levels in head and drop down: harmless. */
        atomic_store_explicit(&sl->height, node->height, memory_order_relaxed);
    }
    for (unsigned i = 0; i < node->height; i++) {
        struct awdb_node *next = atomic_load_explicit(&prev[i]->next[i], memory_order_relaxed);
        atomic_store_explicit(&node->next[i], next, memory_order_relaxed);
        atomic_store_explicit(&prev[i]->next[i], node, memory_order_release);
    }
}

const struct awdb_node *awdb_sl_seek(const struct awdb_skiplist *sl, const void *key, size_t klen,
                                     uint64_t seq)
{
    return find(sl, key, klen, seq, NULL);
}
