/*
 * keydist.h - which key an operation touches: uniform, zipfian (YCSB's
 * generator, Gray et al.'s algorithm, scrambled so hot keys are spread over
 * the key space), latest (zipfian over recency: the newest keys are hottest)
 * hotspot (a fraction of the keys takes a fraction of the operations) and
 * sequential (each client walks its range in order; the caller keeps the
 * position, as it is per client).
 *
 * A distribution is set up once per run (zipfian needs zeta(n), O(n)) and
 * then shared read-only by every client; drawing is O(1) and allocation-free.
 */
#ifndef KVB_WORKLOADS_KEYDIST_H
#define KVB_WORKLOADS_KEYDIST_H

#include <stdint.h>

#include "workloads/pace.h"

enum kvb_dist_kind {
    KVB_DIST_UNIFORM = 0,
    KVB_DIST_ZIPFIAN,
    KVB_DIST_LATEST,
    KVB_DIST_HOTSPOT,
    KVB_DIST_SEQUENTIAL, /* random writers walk their own range in order (db_bench's fillseq);
                            other roles draw uniformly */
};

struct kvb_keydist {
    int kind;       /* enum kvb_dist_kind */
    uint64_t n;     /* items the zipfian constants were computed for */
    double theta, alpha, zetan, eta, half_pow_theta;
    double hot_keys; /* hotspot: fraction of the keys that are hot */
    double hot_ops;  /* hotspot: fraction of operations that go to them */
};

/* Sets d up for up to n items (n >= 1). theta in (0, 1) for zipfian/latest;
 * hot_keys and hot_ops in [0, 1] for hotspot. */
void kvb_keydist_init(struct kvb_keydist *d, int kind, uint64_t n, double theta, double hot_keys,
                      double hot_ops);

/* A zipfian rank in [0, d->n): rank 0 is the most frequent. */
uint64_t kvb_zipf_rank(const struct kvb_keydist *d, struct kvb_rng *r);

/* An index in [0, m), m >= 1 the number of keys that exist now (m may be
 * below d->n when keys are still being added). */
uint64_t kvb_keydist_next(const struct kvb_keydist *d, struct kvb_rng *r, uint64_t m);

#endif
