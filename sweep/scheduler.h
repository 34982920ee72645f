/*
 * scheduler.h - runs the specs of a sweep, each in a child process with its
 * own fresh data directory, at most `jobs` at once, and collects one row per
 * run into the comparison CSV.
 *
 * Before the first run it warns (on stderr, unless silent) when the runs
 * it will run at once need more threads than there are cores; each row
 * records the runs beside it and the CPU pressure it met (contention.h).
 *
 * A child that crashes, exits without a summary, overruns its deadline or
 * its memory ceiling (max_rss_mb) becomes a row with status "failed" and the
 * reason; the sweep goes on.
 *
 * Results are never lost: the rows finished so far are kept in
 * NAME.partial.csv after every run, renamed to NAME.csv when the sweep
 * completes. SIGINT or SIGTERM stops the children and leaves the partial
 * file. Earlier results of the same name are not overwritten: without
 * `force` the outputs get a timestamped name instead.
 */
#ifndef KVB_CLI_SCHEDULER_H
#define KVB_CLI_SCHEDULER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "sweep/contention.h"

struct kvb_sweep_opts {
    const char *outdir;  /* results directory; NULL: "results" */
    unsigned jobs;       /* runs at once; 0: the config's `parallel` */
    unsigned shard_k;    /* run only specs with index % shard_n == shard_k - 1 */
    unsigned shard_n;    /* 0: no sharding */
    bool keep;           /* keep run data directories */
    bool grouped_repeats; /* repeats back to back (default: interleaved, kvb_run_order) */
    bool force;          /* overwrite earlier results of the same name */
    int progress;        /* 1: redrawn progress line, 0: a line per run, -1: silent */
};

struct kvb_sweep_outcome {
    size_t runs;        /* rows written */
    size_t failed;      /* rows with status failed */
    size_t violations;  /* rows with status violation */
    size_t contended;   /* runs (repeats counted) that met CPU contention (kvb_contended) */
    bool oversubscribed; /* runs at once need more threads than cores (warned before) */
    struct kvb_cpu_demand cpu_demand; /* what they need, by kvb_sweep_cpu_demand */
    bool interrupted;   /* stopped by a signal: csv is the partial file */
    bool renamed;       /* earlier results existed: outputs got a timestamped name */
    char csv[PATH_MAX]; /* the CSV written */
    char partial[PATH_MAX]; /* where finished rows are kept while the sweep runs */
    char runs_dir[PATH_MAX];
};

/* Runs the sweep. Returns 0 when the CSV was written (whatever the runs'
 * statuses), -1 with err when it could not be (bad output directory, ...). */
int kvb_sweep_execute(const struct kvb_sweep *sw, const struct kvb_sweep_opts *o,
                      struct kvb_sweep_outcome *out, char *err, size_t errlen);

/* One run of a sweep: a spec and which of its `repeat` runs. */
struct kvb_task {
    size_t spec;  /* index into the sweep's (selected) specs */
    unsigned rep; /* 0 .. repeat-1 */
};

/* The order a sweep starts its runs in, into order (room for the sum of
 * repeats[0..nspecs-1]; returns that sum). repeats[i] is spec i's `repeat`.
 * By default the repeats are interleaved round-robin: repeat 1 of every
 * spec in spec order, then repeat 2 of every spec that has one, and so on,
 * so that a drift of the machine over the sweep (a disk's sync rate, other
 * load) spreads over every configuration and backend instead of landing on
 * the ones run last. grouped: every repeat of spec 0, then of spec 1, ...
 * Either way the CSV keeps one row per spec in spec order. */
size_t kvb_run_order(const unsigned *repeats, size_t nspecs, bool grouped, struct kvb_task *order);

/* Seconds a run may take before it is killed: cfg->timeout, or an automatic
 * bound from warmup, duration and preload. */
double kvb_run_deadline_secs(const struct kvb_config *cfg);

#endif
