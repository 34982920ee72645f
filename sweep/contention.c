/* contention.c - the threads runs need, and the CPU a run met as row cells (see contention.h). */
#include "sweep/contention.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/row.h"

unsigned kvb_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

unsigned kvb_run_threads(const struct kvb_config *cfg)
{
    unsigned clients = cfg->num_writers + cfg->num_readers + cfg->num_random_writers +
                       cfg->num_compactors + cfg->num_scanners;
    const struct kvb_backend *be = cfg->be;
    unsigned engine = be && be->background_threads && cfg->bopts
                          ? be->background_threads(cfg->bopts, cfg->sync)
                          : 0;
    return clients + engine;
}

static int cmp_desc(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x > y ? -1 : x < y;
}

bool kvb_sweep_cpu_demand(const struct kvb_run_spec *specs, size_t nspecs, unsigned jobs,
                          unsigned cores, struct kvb_cpu_demand *d)
{
    size_t nruns = 0;
    for (size_t i = 0; i < nspecs; i++)
        nruns += specs[i].cfg.repeat ? specs[i].cfg.repeat : 1;
    *d = (struct kvb_cpu_demand){.cores = cores, .runs = nruns < jobs ? (unsigned)nruns : jobs};
    /* Every run's threads, busiest first: the first `runs` can run at once.
     * Without the memory for that, the busiest spec's, `runs` times. */
    unsigned *threads = malloc((nruns ? nruns : 1) * sizeof(*threads));
    size_t k = 0;
    for (size_t i = 0; i < nspecs; i++) {
        unsigned t = kvb_run_threads(&specs[i].cfg);
        for (unsigned r = 0; r < (specs[i].cfg.repeat ? specs[i].cfg.repeat : 1); r++) {
            if (threads)
                threads[k++] = t;
            else if (t > d->threads)
                d->threads = t;
        }
    }
    if (threads) {
        qsort(threads, k, sizeof(*threads), cmp_desc);
        for (unsigned i = 0; i < d->runs; i++)
            d->threads += threads[i];
    } else {
        d->threads *= d->runs;
    }
    free(threads);
    return d->runs > 1 && d->threads > cores;
}

void kvb_run_contention_note(struct kvb_run_contention *c, const struct kvb_cpu_gauge *g)
{
    if (!isnan(g->load1) && (isnan(c->load_max) || g->load1 > c->load_max))
        c->load_max = g->load1;
}

int kvb_contention_cells(const struct kvb_run_contention *c, char **cells)
{
    double pct = kvb_cpu_pressure_pct(&c->start, &c->end);
    double per_core = c->cores ? c->load_max / c->cores : NAN;
    int rc = 0;
    rc |= kvb_row_set_num(cells, "cpu_pressure_pct", pct);
    rc |= kvb_row_set_num(cells, "load_per_core", per_core);
    rc |= kvb_row_set_num(cells, "peak_threads", c->peak_threads);
    rc |= kvb_row_set_num(cells, "cores", c->cores);
    rc |= kvb_row_set_num(cells, "contended", kvb_contended(pct, per_core));
    return rc ? -1 : 0;
}
