/* keydist.c - key distributions (see keydist.h). */
#include "workloads/keydist.h"

#include <math.h>

static double zeta(uint64_t n, double theta)
{
    double sum = 0;
    for (uint64_t i = 1; i <= n; i++)
        sum += 1.0 / pow((double)i, theta);
    return sum;
}

void kvb_keydist_init(struct kvb_keydist *d, int kind, uint64_t n, double theta, double hot_keys,
                      double hot_ops)
{
    d->kind = kind;
    d->n = n ? n : 1;
    d->theta = theta;
    d->hot_keys = hot_keys;
    d->hot_ops = hot_ops;
    d->zetan = d->alpha = d->eta = d->half_pow_theta = 0;
    if (kind == KVB_DIST_ZIPFIAN || kind == KVB_DIST_LATEST) {
        d->zetan = zeta(d->n, theta);
        d->alpha = 1.0 / (1.0 - theta);
        d->half_pow_theta = 1.0 + pow(0.5, theta);
        double zeta2 = zeta(2, theta);
        d->eta = (1.0 - pow(2.0 / (double)d->n, 1.0 - theta)) / (1.0 - zeta2 / d->zetan);
    }
}

uint64_t kvb_zipf_rank(const struct kvb_keydist *d, struct kvb_rng *r)
{
    double u = kvb_rng_unit(r) - 0x1.0p-53; /* [0, 1) */
    double uz = u * d->zetan;
    if (uz < 1.0 || d->n == 1)
        return 0;
    if (uz < d->half_pow_theta)
        return 1;
    uint64_t k = (uint64_t)((double)d->n * pow(d->eta * u - d->eta + 1.0, d->alpha));
    return k < d->n ? k : d->n - 1;
}

/* FNV-1a over the 8 bytes of x, as YCSB scrambles zipfian ranks. */
static uint64_t fnv64(uint64_t x)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t kvb_keydist_next(const struct kvb_keydist *d, struct kvb_rng *r, uint64_t m)
{
    if (m <= 1)
        return 0;
    switch (d->kind) {
    case KVB_DIST_ZIPFIAN:
        return fnv64(kvb_zipf_rank(d, r)) % m;
    case KVB_DIST_LATEST:
        return m - 1 - kvb_zipf_rank(d, r) % m;
    case KVB_DIST_HOTSPOT: {
        uint64_t hot = (uint64_t)(d->hot_keys * (double)m);
        if (hot == 0)
            hot = 1;
        if (hot >= m || kvb_rng_unit(r) <= d->hot_ops)
            return kvb_rng_below(r, hot < m ? hot : m);
        return hot + kvb_rng_below(r, m - hot);
    }
    default:
        return kvb_rng_below(r, m);
    }
}
