/*
 * row.h - one run's row of the comparison CSV, and the row of a
 * configuration made from the rows of its repeats.
 *
 * A row is an array of kvb_ncolumns malloc'd strings, in the order of the
 * column table (columns.h), which says how each cell is computed, written
 * and combined. A figure that does not apply is an empty cell.
 */
#ifndef KVB_REPORT_ROW_H
#define KVB_REPORT_ROW_H

#include <stddef.h>

#include "report/columns.h"
#include "workloads/result.h"
#include "workloads/run.h"

/* How many cells a row has: one per column. */
#define kvb_ncolumns kvb_column_count()

/* Status values of the `status` column. */
#define KVB_STATUS_OK "ok"               /* ran, verified (or nothing to verify) */
#define KVB_STATUS_FAILED "failed"       /* did not complete: failure_reason says why */
#define KVB_STATUS_VIOLATION "violation" /* completed, but isolation or verification failed */

/* Status of a completed result. */
const char *kvb_result_status(const struct kvb_result *res);

/* Fills cells[kvb_ncolumns] (malloc'd strings; free with kvb_row_free):
 * each column's getter, written in its format. res NULL: the run produced
 * no result (crash, timeout): status "failed" with reason, the
 * configuration, nothing measured. Columns the sweep fills around the run
 * are empty. Returns 0 or -1 (ENOMEM). */
int kvb_row_build(const struct kvb_run_spec *spec, const struct kvb_result *res, const char *reason,
                  char **cells);

/* Combines the rows of the n repeats of one configuration into cells (as
 * kvb_row_build); reps[i] is repeat i+1's row, NULL when it has none (not
 * run yet). Each column's combine rule (columns.h) decides: figures are the
 * median of the repeats that have one (an odd count: the middle repeat's
 * cell as it is); counts of bad events are summed; status and
 * failure_reason come from the worst repeat by status (failed, violation,
 * ok), verification and its detail from the worst by verification (failed,
 * n/a, passed), first_violation from the first repeat that has one, each
 * text with "repeat K of N: " before it; the configuration is repeat 1's;
 * *_min / *_max are the spread of the key figures; flags are true when any
 * repeat's is; contention the most any repeat met; repeats_done counts the
 * rows. So a row never says less than its worst repeat. Returns 0 or -1
 * (ENOMEM). */
int kvb_row_combine(char **const *reps, unsigned n, char **cells);

/* Sets cell col of cells to the formatted text, freeing the old one.
 * Returns 0, or -1 (ENOMEM: the cell is then NULL, which kvb_row_free and
 * the writers treat as empty). col must be a column (else: abort, an
 * internal error). */
int kvb_row_set(char **cells, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets cell col to v written in col's format (NaN: empty). */
int kvb_row_set_num(char **cells, const char *col, double v);

void kvb_row_free(char **cells);

#endif
