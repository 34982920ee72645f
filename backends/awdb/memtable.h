/*
 * memtable.h - one memtable: an arena holding versions, the skiplist that
 * orders them, and a hash index from key to its newest version for point
 * reads. One writer (under the commit lock), lock-free readers.
 */
#ifndef AWDB_MEMTABLE_H
#define AWDB_MEMTABLE_H

#include "backends/awdb/skiplist.h"

#include <stdbool.h>

struct awdb_memtable {
    uint8_t *map; /* one anonymous mapping: arena, then hash slots */
    size_t map_len;
    size_t arena_cap; /* bytes usable for nodes */
    size_t used;      /* arena bytes in use (writer; readers via awdb_mem_used) */
    _Atomic size_t used_pub;
    _Atomic uint64_t *slots; /* hash tag << 32 | node offset / 8; 0 = empty; linear probing */
    uint32_t mask;
    _Atomic uint64_t *bloom; /* blocked Bloom filter: 512-bit blocks, 6 bits per key */
    uint32_t bloom_mask;     /* blocks - 1 */
    uint32_t nkeys, max_keys;
    struct awdb_skiplist sl;
    uint64_t min_seq, max_seq; /* sequence numbers inserted; 0 while empty */
    uint64_t id;               /* creation order, for messages and tests */
    _Atomic int refs;
};

/* A new empty memtable using about bytes of memory (at least 64 KiB),
 * with one reference. NULL if out of memory. */
struct awdb_memtable *awdb_mem_new(size_t bytes, uint64_t id);

void awdb_mem_ref(struct awdb_memtable *m);
/* Drops a reference; the last one unmaps the memtable. */
void awdb_mem_unref(struct awdb_memtable *m);

/* Largest total of node sizes one transaction may need (half the arena). */
static inline size_t awdb_mem_txn_limit(const struct awdb_memtable *m)
{
    return m->arena_cap / 2;
}

/* Bytes the arena would need for a node of this size at the tallest height. */
static inline size_t awdb_mem_bound(size_t klen, size_t vlen)
{
    return awdb_node_size(klen, vlen, AWDB_SL_MAXH);
}

/* Writer: draws the height of a future node. */
static inline unsigned awdb_mem_height(struct awdb_memtable *m)
{
    return awdb_sl_random_height(&m->sl);
}

/* Writer: true if nodes totalling bytes for at most nkeys new keys fit. */
static inline bool awdb_mem_fits(const struct awdb_memtable *m, size_t bytes, size_t nkeys)
{
    return m->used + bytes <= m->arena_cap && m->nkeys + nkeys <= m->max_keys;
}

/* Writer: inserts a version; it must fit (awdb_mem_fits with
 * awdb_node_size(klen, vlen, height)) and (key, seq) must be new. */
void awdb_mem_insert(struct awdb_memtable *m, const void *key, size_t klen, uint64_t seq, int type,
                     const void *val, size_t vlen, unsigned height);

/* The newest version of key with seq <= snap, or NULL. Any thread. h is
 * awdb_key_hash(key, klen), computed once for all memtables. */
const struct awdb_node *awdb_mem_get_h(const struct awdb_memtable *m, const void *key, size_t klen,
                                       uint64_t h, uint64_t snap);

static inline const struct awdb_node *awdb_mem_get(const struct awdb_memtable *m, const void *key,
                                                   size_t klen, uint64_t snap);

/* Sequence number of key's newest version, 0 if none. Any thread. */
uint64_t awdb_mem_newest_h(const struct awdb_memtable *m, const void *key, size_t klen, uint64_t h);

static inline const struct awdb_node *awdb_mem_first(const struct awdb_memtable *m)
{
    return awdb_sl_first(&m->sl);
}

static inline bool awdb_mem_empty(const struct awdb_memtable *m)
{
    return awdb_mem_first(m) == NULL;
}

/* Arena bytes in use. Any thread. */
static inline size_t awdb_mem_used(const struct awdb_memtable *m)
{
    return atomic_load_explicit(&((struct awdb_memtable *)m)->used_pub, memory_order_relaxed);
}

/* Hash of a key, as the index uses it. */
uint64_t awdb_key_hash(const void *key, size_t klen);

static inline const struct awdb_node *awdb_mem_get(const struct awdb_memtable *m, const void *key,
                                                   size_t klen, uint64_t snap)
{
    return awdb_mem_get_h(m, key, klen, awdb_key_hash(key, klen), snap);
}

static inline uint64_t awdb_mem_newest(const struct awdb_memtable *m, const void *key, size_t klen)
{
    return awdb_mem_newest_h(m, key, klen, awdb_key_hash(key, klen));
}

#endif
