/*
 * memtable.c - a memtable: one anonymous mapping holding a bump-allocated
 * arena of skiplist nodes and an open-addressing hash index (32-bit slots
 * holding node offsets, linear probing) from each key to its newest version.
 * The skiplist orders versions for the flush into the base store; the hash
 * index makes point reads and commit validation one or two probes instead of
 * a descent. Older versions of a key follow its newest one at level 0 of the
 * skiplist, so a reader at an older snapshot walks down from there. A slot
 * holds the node's offset and 32 more bits of the key's hash, so a probe
 * passes over other keys' slots without touching their nodes: a lookup that
 * misses costs about one cache line. In front of the index sits a blocked
 * Bloom filter (one byte per slot; a key sets 6 bits in one 64-byte block),
 * small enough to stay in a core's L2 cache: most lookups of keys a
 * memtable does not hold - the common case for point reads once most data
 * is in the base - end there without touching the index. Its bits are set
 * (relaxed) before the node is published and before the commit's sequence
 * number is made visible (release), so a reader whose snapshot includes the
 * commit sees them.
 *
 * The mapping is MAP_NORESERVE: memory is committed as the arena fills. The
 * hash index takes an eighth of the memtable's bytes; the writer reports the
 * memtable full when the arena is full or the index three quarters full, so
 * probing stays short and always ends.
 */
#include "backends/awdb/memtable.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

uint64_t awdb_key_hash(const void *key, size_t klen)
{
    const uint8_t *p = key;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (klen * 0xff51afd7ed558ccdull);
    while (klen >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        klen -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, klen);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 32);
}

struct awdb_memtable *awdb_mem_new(size_t bytes, uint64_t id)
{
    if (bytes < 64 * 1024)
        bytes = 64 * 1024;
    uint32_t slots = 512;
    while ((size_t)slots * 2 * 64 <= bytes && slots < (1u << 30))
        slots *= 2;
    size_t slot_bytes = (size_t)slots * sizeof(uint64_t);
    size_t bloom_bytes = slots; /* 8 bits per slot */
    size_t arena = (bytes - slot_bytes - bloom_bytes) & ~(size_t)4095;
    if (arena > ((size_t)UINT32_MAX) * 8)
        arena = ((size_t)UINT32_MAX) * 8;
    struct awdb_memtable *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->map_len = arena + slot_bytes + bloom_bytes;
    m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->map == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->arena_cap = arena;
    m->slots = (_Atomic uint64_t *)(m->map + arena);
    m->mask = slots - 1;
    m->bloom = (_Atomic uint64_t *)(m->map + arena + slot_bytes);
    m->bloom_mask = (uint32_t)(bloom_bytes / 64) - 1;
    m->max_keys = slots / 4 * 3;
    m->id = id;
    atomic_init(&m->refs, 1);
    /* The head node sits at offset 0, so offset 0 in a slot means empty. */
    struct awdb_node *head = (struct awdb_node *)m->map;
    m->used = awdb_node_size(0, 0, AWDB_SL_MAXH);
    atomic_init(&m->used_pub, m->used);
    awdb_sl_init(&m->sl, head, id * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull);
    return m;
}

void awdb_mem_ref(struct awdb_memtable *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void awdb_mem_unref(struct awdb_memtable *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    munmap(m->map, m->map_len);
    free(m);
}

/* The bloom block for hash h, and the 6 bit positions (0..511) in it. */
static inline uint32_t bloom_block(const struct awdb_memtable *m, uint64_t h)
{
    return (uint32_t)(h >> 20) & m->bloom_mask;
}

static inline void bloom_add(struct awdb_memtable *m, uint64_t h)
{
    _Atomic uint64_t *b = m->bloom + (size_t)bloom_block(m, h) * 8;
    uint64_t x = h * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 6; i++, x >>= 9) {
        unsigned pos = (unsigned)(x & 511);
        uint64_t w = atomic_load_explicit(&b[pos >> 6], memory_order_relaxed);
        atomic_store_explicit(&b[pos >> 6], w | (1ull << (pos & 63)), memory_order_relaxed);
    }
}

static inline bool bloom_may_have(const struct awdb_memtable *m, uint64_t h)
{
    _Atomic uint64_t *b = m->bloom + (size_t)bloom_block(m, h) * 8;
    uint64_t x = h * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 6; i++, x >>= 9) {
        unsigned pos = (unsigned)(x & 511);
        if (!(atomic_load_explicit(&b[pos >> 6], memory_order_relaxed) & (1ull << (pos & 63))))
            return false;
    }
    return true;
}

static inline struct awdb_node *at(const struct awdb_memtable *m, uint64_t slot)
{
    return (struct awdb_node *)(m->map + (size_t)(uint32_t)slot * 8);
}

/* The slot index holding key, or the empty one where it would go; *val is
 * the slot's content or 0. */
static uint32_t probe(const struct awdb_memtable *m, const void *key, size_t klen, uint64_t h,
                      uint64_t *val)
{
    uint32_t i = (uint32_t)h & m->mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        uint64_t s = atomic_load_explicit(&m->slots[i], memory_order_acquire);
        if (s == 0) {
            *val = 0;
            return i;
        }
        if ((uint32_t)(s >> 32) == tag) {
            const struct awdb_node *n = at(m, s);
            if (n->klen == klen && memcmp(awdb_node_key(n), key, klen) == 0) {
                *val = s;
                return i;
            }
        }
        i = (i + 1) & m->mask;
    }
}

void awdb_mem_insert(struct awdb_memtable *m, const void *key, size_t klen, uint64_t seq, int type,
                     const void *val, size_t vlen, unsigned height)
{
    size_t size = awdb_node_size(klen, vlen, height);
    struct awdb_node *n = (struct awdb_node *)(m->map + m->used);
    uint32_t off = (uint32_t)(m->used / 8);
    m->used += size;
    n->seq = seq;
    n->vlen = (uint32_t)vlen;
    n->klen = (uint16_t)klen;
    n->type = (uint8_t)type;
    n->height = (uint8_t)height;
    memcpy((uint8_t *)awdb_node_key(n), key, klen);
    if (vlen)
        memcpy((uint8_t *)awdb_node_val(n), val, vlen);
    /* Link first: the hash slot then points at a node whose level-0 link to
     * the older versions is already set. */
    awdb_sl_insert(&m->sl, n);
    uint64_t old, h = awdb_key_hash(key, klen);
    uint32_t i = probe(m, key, klen, h, &old);
    if (!old) {
        m->nkeys++;
        bloom_add(m, h);
    }
    atomic_store_explicit(&m->slots[i], (h >> 32 << 32) | off, memory_order_release);
    if (!m->min_seq)
        m->min_seq = seq;
    if (seq > m->max_seq)
        m->max_seq = seq;
    atomic_store_explicit(&m->used_pub, m->used, memory_order_relaxed);
}

const struct awdb_node *awdb_mem_get_h(const struct awdb_memtable *m, const void *key, size_t klen,
                                       uint64_t h, uint64_t snap)
{
    uint64_t s;
    if (!bloom_may_have(m, h))
        return NULL;
    probe(m, key, klen, h, &s);
    if (!s)
        return NULL;
    const struct awdb_node *n = at(m, s);
    while (n->seq > snap) {
        n = awdb_node_next(n);
        if (!n || n->klen != klen || memcmp(awdb_node_key(n), key, klen) != 0)
            return NULL;
    }
    return n;
}

uint64_t awdb_mem_newest_h(const struct awdb_memtable *m, const void *key, size_t klen, uint64_t h)
{
    uint64_t s;
    if (!bloom_may_have(m, h))
        return 0;
    probe(m, key, klen, h, &s);
    return s ? at(m, s)->seq : 0;
}
