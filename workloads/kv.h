/*
 * kv.h - the keys and values the workloads write, and how a reader checks
 * what it sees.
 *
 * Keys:
 *   "head"              the number of committed monotonic writes, as decimal text
 *   "key_%06llu"        monotonic key i (more digits past 999999)
 *   "rec_%010llu"       record i of the random/preloaded key space
 *
 * A value of size n >= KVB_VALUE_MIN is
 *   [0, 8)  index i, little endian
 *   [8, 16) generation g (0 for monotonic and preloaded values; for the
 *           values of random writers and compactors, the transaction
 *           attempt that wrote them, see ledger.h)
 *   [16,24) check = mix(i, g, n)
 *   [24, n) filler: a pattern fixed per run (from the seed), the same for every value
 * so any reader can verify any value from its key alone: the index must be
 * the key's, the check must match, the filler must be the pattern.
 *
 * Everything here runs on the hot path: no allocation, no locks, no printf.
 */
#ifndef KVB_WORKLOADS_KV_H
#define KVB_WORKLOADS_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KVB_HEAD_KEY "head"
#define KVB_KEY_MAX 32
#define KVB_VALUE_HEAD 24 /* bytes of index, generation and check */

/* The run's value layout: the filler pattern for one value size. */
struct kvb_valgen {
    size_t size;
    uint8_t *pattern; /* size bytes; bytes [24, size) are the filler. Owned. */
};

/* Builds the pattern for values of size bytes from seed. Returns 0 or -1 (ENOMEM). */
int kvb_valgen_init(struct kvb_valgen *vg, size_t size, uint64_t seed);
void kvb_valgen_free(struct kvb_valgen *vg);

static inline uint64_t kvb_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static inline uint64_t kvb_value_check(uint64_t index, uint64_t gen, size_t size)
{
    return kvb_mix64(index * 0x9e3779b97f4a7c15ull ^ kvb_mix64(gen + 1) ^ (uint64_t)size);
}

/* Prepares buf (vg->size bytes) to receive values: copies the filler once.
 * After that kvb_value_fill only writes the 24-byte header. */
static inline void kvb_value_prepare(const struct kvb_valgen *vg, uint8_t *buf)
{
    memcpy(buf, vg->pattern, vg->size);
}

static inline void kvb_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t kvb_get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Writes the header of value (index, gen) into a prepared buffer. */
static inline void kvb_value_fill(const struct kvb_valgen *vg, uint8_t *buf, uint64_t index,
                                  uint64_t gen)
{
    kvb_put_le64(buf, index);
    kvb_put_le64(buf + 8, gen);
    kvb_put_le64(buf + 16, kvb_value_check(index, gen, vg->size));
}

/* Checks a value read for key index. Returns true when it verifies; else
 * writes what is wrong into why (may be NULL). Accepts any generation. */
bool kvb_value_verify(const struct kvb_valgen *vg, uint64_t index, const void *val, size_t len,
                      char *why, size_t whylen);

/* Checks the first KVB_VALUE_HEAD bytes of a value of len bytes read for
 * key index (the rest unread): its size, index and check. As
 * kvb_value_verify otherwise. */
bool kvb_value_head_verify(const struct kvb_valgen *vg, uint64_t index, const uint8_t *head,
                           size_t len, char *why, size_t whylen);

/* Writes digits of v, zero-padded to at least width, at p; returns the
 * number of bytes written (at most 20). */
static inline size_t kvb_put_decimal(char *p, uint64_t v, unsigned width)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* Builds "key_%06llu" into buf (KVB_KEY_MAX bytes); returns its length (no NUL). */
static inline size_t kvb_monotonic_key(char *buf, uint64_t i)
{
    memcpy(buf, "key_", 4);
    return 4 + kvb_put_decimal(buf + 4, i, 6);
}

/* Builds "rec_%010llu" into buf; returns its length. */
static inline size_t kvb_record_key(char *buf, uint64_t i)
{
    memcpy(buf, "rec_", 4);
    return 4 + kvb_put_decimal(buf + 4, i, 10);
}

/* Parses the head value (decimal text). Returns false if it is not a number. */
bool kvb_parse_head(const void *val, size_t len, uint64_t *out);

#endif
