/*
 * row.h - the comparison CSV's columns, and one run's row.
 *
 * The first columns are the ones the project promises by name; the rest add
 * detail (more percentiles, service times, sample counts, process and
 * backend figures). A figure that does not apply is an empty cell.
 */
#ifndef KVB_CLI_ROW_H
#define KVB_CLI_ROW_H

#include <stddef.h>

#include "cli/config.h"
#include "workloads/result.h"

extern const char *const kvb_columns[];
extern const size_t kvb_ncolumns;

/* Status values of the `status` column. */
#define KVB_STATUS_OK "ok"               /* ran, verified (or nothing to verify) */
#define KVB_STATUS_FAILED "failed"       /* did not complete: failure_reason says why */
#define KVB_STATUS_VIOLATION "violation" /* completed, but isolation or verification failed */

/* Status of a completed result. */
const char *kvb_result_status(const struct kvb_result *res);

/* Fills cells[kvb_ncolumns] (malloc'd strings; free with kvb_row_free) from
 * the spec and the result. res NULL: the run produced no result (crash,
 * timeout): status "failed" with reason. Returns 0 or -1 (ENOMEM). */
int kvb_row_build(const struct kvb_run_spec *spec, const struct kvb_result *res,
                  const char *reason, char **cells);

/* Combines the rows of the n repeats of one configuration into cells (as
 * kvb_row_build); reps[i] is repeat i+1's row, NULL when it has none (not
 * run yet). Each column has its rule (the table in row.c): figures are the
 * median of the repeats that have one (an odd count: the middle repeat's
 * cell as it is); counts of bad events (isolation_violations, errors, the
 * retry failures) are summed; status and failure_reason come from the worst
 * repeat by status (failed, violation, ok), verification and its detail from
 * the worst by verification (failed, n/a, passed), first_violation from the
 * first repeat that has one, each text with "repeat K of N: " before it; the
 * configuration is repeat 1's; *_min / *_max are the spread of the key
 * figures; *_low_samples and the contention a run met (overlapping_runs,
 * peak_threads, cpu_pressure_pct, load_per_core) the most any repeat had,
 * contended "yes" when any repeat was, overlapped_runs every run beside
 * any of them; repeats_done counts the rows. So a row never says less than its worst
 * repeat: a violation in one repeat of three is a row with status
 * violation, its count and its detail. Returns 0 or -1 (ENOMEM). */
int kvb_row_combine(char **const *reps, unsigned n, char **cells);

/* Sets cell col of cells (a row of kvb_ncolumns) to the formatted text,
 * freeing the old one. Returns 0, or -1 (ENOMEM: the cell is then NULL,
 * which kvb_row_free and the writers treat as empty). col must be a column. */
int kvb_row_set(char **cells, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Index of column name, or -1. */
int kvb_column_index(const char *name);

void kvb_row_free(char **cells);

#endif
