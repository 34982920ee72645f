/*
 * table.h - a table of text cells with named columns, and CSV in and out.
 *
 * The sweep builds one table (one row per run) and writes it as CSV; merge
 * and plot read CSVs back into tables. CSV follows RFC 4180: cells holding a
 * comma, quote, CR or LF are quoted, quotes doubled; the reader accepts the
 * same, with LF or CRLF line ends.
 *
 * Ownership: the table owns every string in it (copied in); free with
 * kvb_table_free. Writes go to PATH.tmp.<pid>, are fsync'd, then renamed over
 * PATH, so a reader never sees a half-written file.
 */
#ifndef KVB_REPORT_TABLE_H
#define KVB_REPORT_TABLE_H

#include <stddef.h>

struct kvb_table {
    size_t ncols;
    char **cols;    /* column names */
    size_t nrows;
    char ***rows;   /* rows[r][c]; a missing value is "" */
    size_t cap;     /* allocated rows */
};

/* Starts an empty table with the given column names (copied). Returns 0 or -1 (ENOMEM). */
int kvb_table_init(struct kvb_table *t, const char *const *cols, size_t ncols);

/* Appends a row of ncols cells (copied; NULL means ""). Returns 0 or -1. */
int kvb_table_add_row(struct kvb_table *t, const char *const *cells);

/* Index of column name, or -1. */
int kvb_table_col(const struct kvb_table *t, const char *name);

/* Cell (r, column name), or NULL when the column does not exist. */
const char *kvb_table_get(const struct kvb_table *t, size_t r, const char *name);

void kvb_table_free(struct kvb_table *t);

/* Writes t as CSV to path atomically (temp file, fsync, rename). Returns 0,
 * or -1 with a message naming the path and the failing call in err. */
int kvb_csv_write(const char *path, const struct kvb_table *t, char *err, size_t errlen);

/* Reads a CSV file (first line: column names) into t. Returns 0, or -1 with
 * "path:line: what was wrong" in err (a row with the wrong number of cells,
 * an unterminated quote, an empty file). */
int kvb_csv_read(const char *path, struct kvb_table *t, char *err, size_t errlen);

/* Writes data to path atomically, as kvb_csv_write does. */
int kvb_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
