/* pace.c - seeding the generator and starting a schedule (see pace.h). */
#include "workloads/pace.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void kvb_rng_seed(struct kvb_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void kvb_pacer_init(struct kvb_pacer *p, double rate, bool poisson, uint64_t t0, double phase,
                    struct kvb_rng *r)
{
    p->open_loop = rate > 0;
    p->poisson = poisson;
    p->interval_ns = rate > 0 ? 1e9 / rate : 0;
    p->t0 = t0;
    p->k = 0;
    p->offset = 0;
    if (p->open_loop && poisson)
        p->offset = -log(kvb_rng_unit(r)) * p->interval_ns;
    else if (p->open_loop)
        p->t0 += (uint64_t)(phase * p->interval_ns);
    p->next = p->t0 + (uint64_t)p->offset;
}

double kvb_pacer_phase(unsigned index, unsigned clients, unsigned stream, unsigned streams)
{
    if (!clients || !streams)
        return 0;
    return ((double)index + (double)stream / streams) / clients;
}
