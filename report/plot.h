/*
 * plot.h - a sweep's CSV (and its runs' JSON summaries) as pictures, drawn by
 * gnuplot, and an index.html that holds them all.
 *
 * From DIR/NAME.csv and the run summaries in DIR/NAME/runs/, kvb_plot_sweep
 * writes into the output directory (default DIR/NAME/plots/), for each
 * figure STEM: STEM.dat (the numbers plotted), STEM.gp (the gnuplot script;
 * `cd` there and `gnuplot STEM.gp` redraws it), STEM.png and STEM.svg:
 *
 *   NAME-latency-BACKEND       per backend: writer p50/p99, reader p50/p99
 *                              over the configurations
 *   NAME-compare-writer-p99    one line per backend, for each of writer p99,
 *   NAME-compare-reader-p99    reader p99, write throughput and
 *   NAME-compare-write-tps     precondition failure rate
 *   NAME-compare-precondition-failure-rate
 *   NAME-dist-LABEL            per configuration label: latency against
 *                              percentile ("nines" axis), one line per backend
 *   NAME-timeseries-LABEL      per configuration label some of whose runs
 *                              recorded a time series (report_interval > 0):
 *                              throughput (ops/s) above, p99 latency (ms)
 *                              below, against seconds into the measured
 *                              window, one line per backend and role; none
 *                              for a label without time series
 *   index.html                 sweep, config, machine, the CSV as a table and
 *                              every figure (PNGs embedded), in one file
 *
 * BACKEND and LABEL are made file-name safe ([A-Za-z0-9._-], the rest '_').
 * The x axis of the first two kinds is the configuration labels, sorted by
 * num_writers, then writer_rate, then order of appearance. A y axis is
 * logarithmic when its values are all positive and span more than two
 * decades. Failed runs are drawn as red crosses on the x axis, runs whose
 * verification failed as triangles there, runs that met CPU contention (the
 * CSV's `contended` column says yes) as diamonds just above, with a footnote
 * saying how many, and percentiles from fewer than 100 samples are
 * circled. A distribution or time series drawn from a contended run says
 * "CPU contended" in its legend; index.html counts and marks those rows.
 *
 * A configuration run `repeat: N` times (N > 1) has one CSV row, the median
 * of its runs, which the first two kinds of figure draw, and N summaries,
 * runs/NNNN-rK-LABEL-BACKEND.json (K = 1..N). Its distribution and time
 * series figures draw one of them, repeat 1 (when that one is missing, the
 * lowest K there is, with a note), and their titles say which.
 *
 * gnuplot is run as a program (the pngcairo and svg terminals): the one in
 * $KVB_GNUPLOT if set, else `gnuplot` on $PATH.
 */
#ifndef KVB_REPORT_PLOT_H
#define KVB_REPORT_PLOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Return codes: 0 is success; the rest are negative, as LMDB's are. */
#define KVB_PLOT_ERROR (-1)      /* writing a file or running gnuplot failed */
#define KVB_PLOT_BAD_INPUT (-2)  /* the CSV is unreadable, lacks a needed column, or has no rows */
#define KVB_PLOT_NO_GNUPLOT (-3) /* gnuplot cannot be found: nothing was written */

/* Columns the CSV must have; the rest are optional (the *_low_samples flags,
 * failure_reason, ...). NULL-terminated. */
extern const char *const kvb_plot_required_columns[];

struct kvb_plot_opts {
    const char *gnuplot; /* program to run; NULL: $KVB_GNUPLOT, else gnuplot on $PATH */
    bool no_render;      /* write the .dat and .gp files only: no gnuplot, no images,
                          * no index.html (gnuplot need not exist) */
};

struct kvb_plot_info {
    size_t figures; /* figures written (each as .dat, .gp, and unless no_render .png, .svg) */
    size_t notes;   /* things left out, listed in index.html (runs without a summary, ...) */
    char outdir[PATH_MAX];
    char index[PATH_MAX]; /* index.html, "" with no_render */
};

/* Draws the sweep whose CSV is at csv. runs_dir holds the run summaries
 * (NULL: DIR/NAME/runs beside the CSV; a missing directory leaves the
 * distribution plots out, with a note); outdir receives the files (NULL:
 * DIR/NAME/plots; made with its parents). NAME is the CSV's file name less
 * ".csv". Files of earlier plots that this sweep no longer has are left alone.
 *
 * Returns 0; KVB_PLOT_BAD_INPUT (nothing written); KVB_PLOT_NO_GNUPLOT
 * (checked after the CSV, before anything is written); or KVB_PLOT_ERROR,
 * each with a one-line message in err. A gnuplot failure's message names the
 * script and quotes gnuplot's own error. */
int kvb_plot_sweep(const char *csv, const char *runs_dir, const char *outdir, char *err,
                   size_t errlen);

/* kvb_plot_sweep with options (o may be NULL) and, when info is not NULL,
 * an account of what was written. */
int kvb_plot_sweep_opts(const char *csv, const char *runs_dir, const char *outdir,
                        const struct kvb_plot_opts *o, struct kvb_plot_info *info, char *err,
                        size_t errlen);

/* Finds the gnuplot program as kvb_plot_sweep does (prog, else $KVB_GNUPLOT,
 * else PATH) and writes its path into out (n bytes). Returns 0, or
 * KVB_PLOT_NO_GNUPLOT with the reason in err. */
int kvb_plot_find_gnuplot(const char *prog, char *out, size_t n, char *err, size_t errlen);

#endif
