/*
 * columns.h - the comparison CSV's columns, as one table.
 *
 * Every column of a sweep's CSV is a row here: its name, its unit, how its
 * cells are written (format), how the repeats of one configuration combine
 * into the configuration's cell, where its value comes from (getter) and a
 * line of help. The CSV writer, the row builder (row.c), the JSON summary,
 * the plots and `kvbench columns` all read this table.
 *
 * The table is built once, on first use, from three sources:
 *   - the configuration columns, one per row of kvb_config_options that is
 *     not a sweep-wide setting (a duration's column gets "_secs");
 *   - each role's column group, named from its row of kvb_roles[]
 *     (workloads/role.h): operations, rate, latency percentiles, service
 *     times, samples, conflicts, retries, attempts, its window, and the
 *     spread of its rate and p99 over repeats;
 *   - the rows of columns.c for the rest: identity, verdicts, the process,
 *     the engine's counters (kvb_engine_counter_table), lags, and what the
 *     sweep measures around a run (contention, memory sampling).
 * The seed's 26 columns come first, in the seed's order (kvb_seed_columns);
 * the others follow in the order of their sources.
 *
 * Formats, one rule each: a count is an integer, every digit (a median of
 * an even number of repeats may end in .5); a figure has 6 significant
 * digits; a flag is true or false; text is as it is. An unknown or
 * inapplicable value is an empty cell.
 */
#ifndef KVB_REPORT_COLUMNS_H
#define KVB_REPORT_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads/result.h"
#include "workloads/run.h"

enum kvb_col_format {
    KVB_COL_TEXT,   /* as it is */
    KVB_COL_COUNT,  /* an integer: %.15g of a whole number, so no digit is lost */
    KVB_COL_FIGURE, /* a measured or derived figure: %.6g */
    KVB_COL_FLAG,   /* true or false */
};

/* How the cells of the repeats of one configuration make its row's cell. */
enum kvb_col_combine {
    KVB_COMBINE_FIRST,      /* configuration and identity, the same in every repeat: the first's */
    KVB_COMBINE_MEDIAN,     /* a figure: the median of the repeats that have one */
    KVB_COMBINE_SUM,        /* a count of bad events: the sum, so no repeat's can be outvoted */
    KVB_COMBINE_MAX,        /* the most any repeat met */
    KVB_COMBINE_BY_STATUS,  /* the worst repeat by status (failed, violation, ok): its cell */
    KVB_COMBINE_BY_VERDICT, /* the worst repeat by verification (failed, n/a, passed): its cell */
    KVB_COMBINE_ANY,        /* the first repeat whose cell is not empty */
    KVB_COMBINE_MIN_OF,     /* the least of column `of` over the repeats */
    KVB_COMBINE_MAX_OF,     /* the largest of column `of` over the repeats */
    KVB_COMBINE_COUNT,      /* how many repeats have a row */
    KVB_COMBINE_ANY_TRUE,   /* a flag: true when any repeat's is */
    KVB_COMBINE_UNION,      /* a space-separated list: every item of the repeats' lists, once */
};

/* Where a cell's value comes from when a run's row is built. */
struct kvb_row_src {
    const struct kvb_run_spec *spec;
    const struct kvb_result *res; /* NULL: the run left no result (crash, timeout) */
    const char *reason;           /* without a result: why (NULL: "no result") */
};

/* A getter's answer: text (text != NULL), else the number num (NaN: empty). */
struct kvb_cell {
    const char *text;
    double num;
};

struct kvb_column;

/* Computes column c's value for src; buf (n bytes) is room for text. */
typedef struct kvb_cell (*kvb_col_getter)(const struct kvb_column *c, const struct kvb_row_src *src,
                                          char *buf, size_t n);

struct kvb_column {
    char name[64];
    const char *unit; /* "ms", "txn/s", "s", "bytes", "MiB", "%", "" for counts and text */
    enum kvb_col_format format;
    enum kvb_col_combine combine;
    bool noted;  /* a text combined from one repeat: "repeat K of N: " before it */
    char of[64]; /* MIN_OF, MAX_OF: the column whose spread this is */
    char help[192];
    /* NULL: the sweep fills it around the run (contention, sampling), or
     * combining repeats does (repeats_done, spreads); empty until then. */
    kvb_col_getter get;
    /* the getter's argument */
    const struct kvb_option *opt; /* a configuration column: its option row */
    int role;                     /* a role's column: enum kvb_role */
    const void *arg;              /* a fixed column: its row in columns.c */
};

/* The columns in CSV order (built on first use; never freed). */
size_t kvb_column_count(void);
const struct kvb_column *kvb_column_at(size_t i);

/* The names of the columns in order, kvb_column_count() of them. */
const char *const *kvb_column_names(void);

/* Index of column name, or -1. */
int kvb_column_index(const char *name);

/* The seed's columns, in order: the first kvb_seed_count columns of every CSV. */
extern const char *const kvb_seed_columns[];
extern const size_t kvb_seed_count;

/* Writes v as column c's format wants it into buf (n bytes): "" for NaN. */
void kvb_column_format(const struct kvb_column *c, double v, char *buf, size_t n);

#endif
