/*
 * hist.h - log-linear latency histogram (HdrHistogram's idea).
 *
 * Values are nanoseconds. Values below 2^KVB_HIST_SUB_BITS are counted
 * exactly; above, each power of two is split into 2^(KVB_HIST_SUB_BITS-1)
 * equal buckets, so a reported value is within 1/128 (< 1%) of the true one.
 * The range is 1 ns to 2^42 ns (~73 minutes); larger values are counted in
 * the top bucket and in `clamped`.
 *
 * Recording is a few instructions and touches one counter: no allocation,
 * no lock. A histogram belongs to one thread while it records; merge after
 * the threads are joined. The struct is plain data (~20 KiB): embed it or
 * allocate it, and copy it with memcpy.
 */
#ifndef KVB_UTIL_HIST_H
#define KVB_UTIL_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVB_HIST_SUB_BITS 7
#define KVB_HIST_MAX_BITS 42
#define KVB_HIST_HALF (1u << (KVB_HIST_SUB_BITS - 1))
#define KVB_HIST_BUCKETS                                                                           \
    ((1u << KVB_HIST_SUB_BITS) + (KVB_HIST_MAX_BITS - KVB_HIST_SUB_BITS) * KVB_HIST_HALF)

/* A percentile computed from fewer samples than this is flagged as unreliable. */
#define KVB_HIST_MIN_SAMPLES 100

struct kvb_hist {
    uint64_t count;   /* number of values recorded */
    uint64_t clamped; /* values above the range, counted in the top bucket */
    uint64_t min, max; /* exact extremes (min is UINT64_MAX while empty) */
    double sum;        /* exact sum, for the mean */
    uint64_t buckets[KVB_HIST_BUCKETS];
};

void kvb_hist_init(struct kvb_hist *h);

/* Bucket index of value v; exposed so the record path can be inlined. */
static inline unsigned kvb_hist_index(uint64_t v)
{
    const uint64_t top = (uint64_t)1 << KVB_HIST_MAX_BITS;
    if (v >= top)
        v = top - 1;
    if (v < (1u << KVB_HIST_SUB_BITS))
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS */
    unsigned shift = msb - (KVB_HIST_SUB_BITS - 1);    /* keep SUB_BITS significant bits */
    unsigned sub = (unsigned)(v >> shift) - KVB_HIST_HALF; /* 0 .. HALF-1 */
    return (1u << KVB_HIST_SUB_BITS) + (msb - KVB_HIST_SUB_BITS) * KVB_HIST_HALF + sub;
}

static inline void kvb_hist_record(struct kvb_hist *h, uint64_t v)
{
    h->buckets[kvb_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    if (v >= ((uint64_t)1 << KVB_HIST_MAX_BITS))
        h->clamped++;
}

/* Adds src's counts into dst. */
void kvb_hist_merge(struct kvb_hist *dst, const struct kvb_hist *src);

/* The value at percentile p (0 < p <= 100): the smallest recorded bucket
 * value v such that at least p% of the values are <= v, reported as the
 * bucket's midpoint and clipped to [min, max]. Returns 0 for an empty
 * histogram. */
uint64_t kvb_hist_percentile(const struct kvb_hist *h, double p);

/* Mean of the recorded values, 0 when empty. */
double kvb_hist_mean(const struct kvb_hist *h);

/* Lowest and highest value that fall in bucket i. */
uint64_t kvb_hist_bucket_low(unsigned i);
uint64_t kvb_hist_bucket_high(unsigned i);

/* True when percentiles of h rest on too few samples to trust. */
static inline bool kvb_hist_low_samples(const struct kvb_hist *h)
{
    return h->count < KVB_HIST_MIN_SAMPLES;
}

#endif
