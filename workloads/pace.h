/*
 * pace.h - open-loop pacing: the schedule of intended start times for one
 * client, and the per-client random number generator.
 *
 * A client with a rate r > 0 issues operation k at its intended start time,
 * whether or not the previous one has finished late: latency is measured
 * from the intended start (what a user waiting on that request sees, as in
 * wrk2), so a stall cannot hide the requests it delayed. Arrivals are evenly
 * spaced (1/r apart) or Poisson (exponential gaps with mean 1/r). Rate 0
 * means closed loop: the next operation starts when the previous one ends.
 *
 * Clients do not start together. A fixed schedule starts at its phase, a
 * fraction of an interval after the common start (kvb_pacer_phase spreads
 * the clients of a role evenly over one interval, so n clients at rate r
 * together issue an even stream at n*r); a Poisson schedule's first arrival
 * is one exponential gap after the start, as a Poisson process begun there
 * has it. Otherwise equal-rate clients would fire in bursts nobody asked for.
 */
#ifndef KVB_WORKLOADS_PACE_H
#define KVB_WORKLOADS_PACE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* xoshiro256**: small, fast, good enough for choosing keys. */
struct kvb_rng {
    uint64_t s[4];
};

void kvb_rng_seed(struct kvb_rng *r, uint64_t seed);

static inline uint64_t kvb_rng_next(struct kvb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t kvb_rng_below(struct kvb_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)kvb_rng_next(r) * n) >> 64);
}

/* Uniform in (0, 1]. */
static inline double kvb_rng_unit(struct kvb_rng *r)
{
    return ((double)(kvb_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

struct kvb_pacer {
    bool open_loop;     /* rate > 0 */
    bool poisson;
    double interval_ns; /* mean gap */
    uint64_t t0;        /* start of the schedule: the common start plus the phase (fixed) */
    uint64_t k;         /* operations scheduled so far (fixed arrivals) */
    double offset;      /* ns after t0 of the next operation (poisson) */
    uint64_t next;      /* intended start of the next operation (ns, monotonic clock) */
};

/* Starts a schedule at t0 (ns). rate in operations per second; 0 = closed
 * loop (phase and r unused). Fixed arrivals: the first operation is intended
 * at t0 + phase / rate, phase in [0, 1). Poisson: the first arrival is drawn
 * from r, one exponential gap after t0 (phase unused). */
void kvb_pacer_init(struct kvb_pacer *p, double rate, bool poisson, uint64_t t0, double phase,
                    struct kvb_rng *r);

/* The phase of client `index` of the `clients` of stream `stream`, one of
 * `streams` (a role of the run's roles): (index + stream / streams) / clients.
 * A stream's clients are spread evenly over one interval, and equal-rate
 * streams are shifted against each other by 1/streams of their stream's gap,
 * so neither clients of a role nor roles with equal rates fire together.
 * Deterministic: the seed changes keys and values, never the timing. */
double kvb_pacer_phase(unsigned index, unsigned clients, unsigned stream, unsigned streams);

/* Intended start of the next operation. For a closed loop this is `now`. */
static inline uint64_t kvb_pacer_peek(const struct kvb_pacer *p, uint64_t now)
{
    return p->open_loop ? p->next : now;
}

/* Moves the schedule past the operation just started. Fixed arrivals are
 * computed as t0 + k * interval, so fractional intervals do not drift. */
static inline void kvb_pacer_advance(struct kvb_pacer *p, struct kvb_rng *r)
{
    if (!p->open_loop)
        return;
    if (p->poisson) {
        p->offset += -log(kvb_rng_unit(r)) * p->interval_ns;
        p->next = p->t0 + (uint64_t)p->offset;
    } else {
        p->k++;
        p->next = p->t0 + (uint64_t)((double)p->k * p->interval_ns);
    }
}

#endif
