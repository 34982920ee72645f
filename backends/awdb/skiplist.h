/*
 * skiplist.h - the memtable's ordered index: a skiplist of versions ordered
 * by (key ascending, sequence number descending), one writer, lock-free
 * readers (LevelDB's scheme: links published with release stores).
 */
#ifndef AWDB_SKIPLIST_H
#define AWDB_SKIPLIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AWDB_SL_MAXH 12

enum { AWDB_OP_PUT = 1, AWDB_OP_DEL = 2 };

/* One version of one key. Laid out in the memtable arena as the header, then
 * height link words, then the key bytes, then the value bytes. Every field
 * but the links is written before the node is published and never after. */
struct awdb_node {
    uint64_t seq;
    uint32_t vlen;
    uint16_t klen;
    uint8_t type; /* AWDB_OP_PUT or AWDB_OP_DEL */
    uint8_t height;
    _Atomic(struct awdb_node *) next[];
};

static inline const uint8_t *awdb_node_key(const struct awdb_node *n)
{
    return (const uint8_t *)&n->next[n->height];
}

static inline const uint8_t *awdb_node_val(const struct awdb_node *n)
{
    return awdb_node_key(n) + n->klen;
}

/* The next version in order (same key older, or the next key); NULL at the end. */
static inline const struct awdb_node *awdb_node_next(const struct awdb_node *n)
{
    return atomic_load_explicit(&((struct awdb_node *)n)->next[0], memory_order_acquire);
}

/* Bytes a node needs in the arena (a multiple of 8). */
static inline size_t awdb_node_size(size_t klen, size_t vlen, unsigned height)
{
    size_t n = sizeof(struct awdb_node) + height * sizeof(void *) + klen + vlen;
    return (n + 7) & ~(size_t)7;
}

struct awdb_skiplist {
    struct awdb_node *head;  /* a node of height AWDB_SL_MAXH with no key */
    _Atomic unsigned height; /* tallest node so far */
    uint64_t rng;            /* writer's random state for heights */
};

/* Sets up sl with head, a zeroed node of height AWDB_SL_MAXH. */
void awdb_sl_init(struct awdb_skiplist *sl, struct awdb_node *head, uint64_t seed);

/* A random height for the next node (1 + geometric, p = 1/4). Writer only. */
unsigned awdb_sl_random_height(struct awdb_skiplist *sl);

/* Links node (fully written, links unset) into sl. Writer only; (key, seq)
 * must not be present. */
void awdb_sl_insert(struct awdb_skiplist *sl, struct awdb_node *node);

/* The first node at or after (key, seq) in order: the newest version of key
 * with a sequence number <= seq if there is one, else a later key, else NULL.
 * Any thread. */
const struct awdb_node *awdb_sl_seek(const struct awdb_skiplist *sl, const void *key, size_t klen,
                                     uint64_t seq);

/* The first node, or NULL. */
static inline const struct awdb_node *awdb_sl_first(const struct awdb_skiplist *sl)
{
    return awdb_node_next(sl->head);
}

/* Orders a node against (key, seq): < 0 if it comes before. */
int awdb_node_cmp(const struct awdb_node *n, const void *key, size_t klen, uint64_t seq);

/* Compares two keys as bytes, a prefix first (LMDB's default order). Eight
 * bytes at a time (loaded big-endian), inline: the skiplist's inner loop. */
static inline int awdb_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    const uint8_t *p = a, *q = b;
    size_t m = alen < blen ? alen : blen;
    while (m >= 8) {
        uint64_t x, y;
        __builtin_memcpy(&x, p, 8);
        __builtin_memcpy(&y, q, 8);
        if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
#endif
            return x < y ? -1 : 1;
        }
        p += 8;
        q += 8;
        m -= 8;
    }
    for (; m; m--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

#endif
