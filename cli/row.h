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
#include "report/result.h"

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

/* Combines the rows of n repeats of one configuration into cells (as
 * kvb_row_build): every numeric figure is the median of the repeats, the
 * key figures get their min and max in *_min / *_max columns, the status is
 * the worst, the failure reason the first. Returns 0 or -1 (ENOMEM). */
int kvb_row_combine(char **const *reps, unsigned n, char **cells);

/* Index of column name, or -1. */
int kvb_column_index(const char *name);

void kvb_row_free(char **cells);

#endif
