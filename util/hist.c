/*
 * hist.c - the log-linear histogram's cold half: initialising, merging,
 * percentiles and bucket bounds. Recording lives inline in hist.h.
 *
 * Layout (see kvb_hist_index): buckets 0..127 hold the values 0..127 exactly;
 * after that each power of two [2^e, 2^(e+1)), e = 7..41, is split into 64
 * buckets of width 2^(e-6). Reporting a bucket's midpoint is therefore within
 * half a bucket width, at most 1/128 of the value, of anything in it.
 */
#include "util/hist.h"

#include <float.h>
#include <math.h>
#include <string.h>

void kvb_hist_init(struct kvb_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void kvb_hist_merge(struct kvb_hist *dst, const struct kvb_hist *src)
{
    for (unsigned i = 0; i < KVB_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t kvb_hist_bucket_low(unsigned i)
{
    if (i >= KVB_HIST_BUCKETS)
        i = KVB_HIST_BUCKETS - 1;
    if (i < (1u << KVB_HIST_SUB_BITS))
        return i;
    unsigned j = i - (1u << KVB_HIST_SUB_BITS);
    unsigned msb = KVB_HIST_SUB_BITS + j / KVB_HIST_HALF;
    unsigned sub = j % KVB_HIST_HALF;
    return (uint64_t)(KVB_HIST_HALF + sub) << (msb - (KVB_HIST_SUB_BITS - 1));
}

uint64_t kvb_hist_bucket_high(unsigned i)
{
    if (i >= KVB_HIST_BUCKETS)
        i = KVB_HIST_BUCKETS - 1;
    if (i < (1u << KVB_HIST_SUB_BITS))
        return i;
    unsigned j = i - (1u << KVB_HIST_SUB_BITS);
    unsigned msb = KVB_HIST_SUB_BITS + j / KVB_HIST_HALF;
    return kvb_hist_bucket_low(i) + ((uint64_t)1 << (msb - (KVB_HIST_SUB_BITS - 1))) - 1;
}

/* The rank (1-based) of the value at percentile p: the smallest k with
 * k >= p/100 * count. A product within a few ulps of an integer is taken
 * as that integer, so that 99.9% of 1000 is rank 999, not 1000 from the
 * rounding of 99.9 / 100 (two roundings: at most ~4.4e-16 relative). */
static uint64_t percentile_rank(uint64_t count, double p)
{
    double x = p / 100.0 * (double)count;
    double r = nearbyint(x);
    if (fabs(x - r) <= 4 * DBL_EPSILON * x)
        x = r;
    double k = ceil(x);
    if (k < 1)
        return 1;
    if (k >= (double)count)
        return count;
    return (uint64_t)k;
}

uint64_t kvb_hist_percentile(const struct kvb_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    /* p <= 0 (or NaN) asks for the smallest value, p > 100 for the largest. */
    if (!(p > 0))
        return h->min;
    if (p > 100)
        p = 100;
    uint64_t rank = percentile_rank(h->count, p);
    uint64_t seen = 0;
    unsigned i = 0;
    for (; i < KVB_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            break;
    }
    if (i == KVB_HIST_BUCKETS) /* counts disagree with count (a bad merge): use max */
        return h->max;
    uint64_t lo = kvb_hist_bucket_low(i), hi = kvb_hist_bucket_high(i);
    uint64_t v = lo + (hi - lo) / 2;
    if (v < h->min)
        v = h->min;
    if (v > h->max)
        v = h->max;
    return v;
}

double kvb_hist_mean(const struct kvb_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
