/*
 * contention.h - whether the runs of a sweep competed for the CPU.
 *
 * Runs that overlap share the machine's cores: with more busy threads than
 * cores, every figure of every run is taken under contention. Two things
 * make that visible. Before a sweep starts, kvb_sweep_cpu_demand estimates
 * the threads its runs need at once (each run's clients plus its engine's
 * background threads, see kvb_backend.background_threads) against the
 * cores, so that the sweep can warn. While it runs, the sweep's parent
 * reads the machine's CPU pressure when each run starts and ends and its
 * load average once a second (kvb_cpu_gauge_read, report/machine.h), and
 * kvb_contention_cells turns that into the row's context columns, with
 * kvb_contended's rule.
 */
#ifndef KVB_CLI_CONTENTION_H
#define KVB_CLI_CONTENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "report/machine.h"

/* CPUs this process may run on (its affinity mask), at least 1. */
unsigned kvb_cores(void);

/* Threads a run keeps busy: its clients plus its engine's background
 * threads (an estimate; the clients alone when the backend says nothing). */
unsigned kvb_run_threads(const struct kvb_config *cfg);

/* What a sweep's runs need at once. */
struct kvb_cpu_demand {
    unsigned runs;    /* runs at once: jobs, at most the sweep's runs (repeats included) */
    unsigned threads; /* kvb_run_threads of the `runs` runs that have the most, together */
    unsigned cores;   /* as given */
};

/* Fills d for the specs of a sweep run `jobs` at a time on `cores` CPUs.
 * Returns true when more than one run runs at once and together they need
 * more threads than there are cores: the sweep should say so. */
bool kvb_sweep_cpu_demand(const struct kvb_run_spec *specs, size_t nspecs, unsigned jobs,
                          unsigned cores, struct kvb_cpu_demand *d);

/* What one run met, as the sweep's parent saw it. */
struct kvb_run_contention {
    struct kvb_cpu_gauge start, end;
    double load_max;       /* highest 1-minute load average read from start to end */
    unsigned peak_threads; /* most threads of the runs running at once, its own included */
    unsigned cores;
};

/* Takes a reading's load average into c->load_max (NaN until one is known). */
void kvb_run_contention_note(struct kvb_run_contention *c, const struct kvb_cpu_gauge *g);

/* Sets the row's context columns from c: cpu_pressure_pct, load_per_core
 * (load_max / cores), peak_threads, cores and contended ("true"/"false", by
 * kvb_contended). Returns 0, or -1 (ENOMEM). */
int kvb_contention_cells(const struct kvb_run_contention *c, char **cells);

#endif
