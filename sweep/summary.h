/*
 * summary.h - one run's JSON summary: its configuration, every figure of
 * its CSV row, the machine, and each histogram's percentile distribution.
 *
 * The sweep's child writes it; the parent reads the row back from it (and
 * adds what only the parent knows, such as overlapping runs).
 */
#ifndef KVB_CLI_SUMMARY_H
#define KVB_CLI_SUMMARY_H

#include <stddef.h>

#include "config/config.h"
#include "workloads/result.h"

/* Writes the summary of a completed (or failed) run to path atomically.
 * cells is the run's row (kvb_ncolumns cells). res may be NULL (no result).
 * Returns 0, or -1 with err. */
int kvb_summary_write(const char *path, const struct kvb_run_spec *spec,
                      const struct kvb_result *res, char *const *cells, const char *data_dir,
                      char *err, size_t errlen);

/* Reads the row back: cells[kvb_ncolumns] malloc'd (kvb_row_free). Missing
 * columns are "". Returns 0, or -1 with err. */
int kvb_summary_read_row(const char *path, char **cells, char *err, size_t errlen);

/* Replaces the row of the summary at path with cells (kvb_ncolumns), keeping
 * the rest. Returns 0, or -1 with err. */
int kvb_summary_update_row(const char *path, char *const *cells, char *err, size_t errlen);

/* Samples of the run's process taken by the sweep's parent, once a second. */
struct kvb_proc_samples {
    size_t n, cap;
    double *t;      /* seconds since the run started */
    double *rss_mb; /* resident set size */
    double *anon_mb; /* its anonymous part: heap and stacks, no mapped files */
    double *fds;    /* open file descriptors */
};

/* Adds "process_samples": {"t": [...], "rss_mb": [...], "rss_anon_mb": [...], "open_fds": [...]}
 * to the summary at path. Returns 0, or -1 with err. */
int kvb_summary_add_samples(const char *path, const struct kvb_proc_samples *ps, char *err,
                            size_t errlen);

#endif
