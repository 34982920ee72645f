/*
 * plot_int.h - what the pieces of the plotter share (internal to report/):
 * the loaded sweep, a growable string, escaping for gnuplot and HTML, and
 * running gnuplot. plot.c loads the sweep and draws the per-backend and
 * comparison figures, plot_dist.c reads the run summaries and draws the
 * latency distributions, plot_ts.c the time series, plot_html.c writes
 * index.html, plot_util.c has the rest.
 */
#ifndef KVB_REPORT_PLOT_INT_H
#define KVB_REPORT_PLOT_INT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "report/table.h"

/* A growable NUL-terminated string. An allocation failure sets oom; later
 * appends do nothing, and pl_buf_write reports it. */
struct pl_buf {
    char *s;
    size_t len, cap;
    bool oom;
};

void pl_printf(struct pl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pl_puts(struct pl_buf *b, const char *s);
void pl_buf_free(struct pl_buf *b);
/* Writes b to dir/name atomically. Returns 0, or -1 with err. */
int pl_buf_write(const struct pl_buf *b, const char *dir, const char *name, char *err,
                 size_t errlen);

/* Appends s as a gnuplot string literal in single quotes, where nothing is
 * interpreted (no backslash escapes, no `command` or @macro substitution):
 * a quote is doubled, control characters become spaces. Text is drawn with
 * the terminals' noenhanced option, so _ ^ { } @ & are shown as they are. */
void pl_gp_str(struct pl_buf *b, const char *s);
/* pl_gp_str for a tic label, which gnuplot reads as a format: % is doubled. */
void pl_gp_tic(struct pl_buf *b, const char *s);
/* Appends s with control characters replaced by spaces: safe in a comment. */
void pl_comment(struct pl_buf *b, const char *s);
/* Appends s escaped for HTML text and attribute values (& < > " '). */
void pl_html(struct pl_buf *b, const char *s);
/* Appends the base64 encoding of n bytes. */
void pl_base64(struct pl_buf *b, const unsigned char *p, size_t n);

/* The longest file-name-safe form (kvb_safe_name) of a sweep name, backend
 * or label that goes into a figure's file name. */
#define PL_SAFE_MAX 64

/* Runs `gnuplot script` with dir as working directory, stdin from /dev/null
 * and stderr captured. Returns 0 when gnuplot exits 0, else -1 with
 * "gnuplot script: exit N: <gnuplot's first error lines>" in err. */
int pl_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *err,
                   size_t errlen);

/* The y axis of one figure, decided from the values drawn on it. */
struct pl_axis {
    bool log;      /* all values positive and max/min > 100 */
    bool empty;    /* nothing finite to draw */
    double lo, hi; /* range */
};
void pl_axis_init(struct pl_axis *a);
void pl_axis_add(struct pl_axis *a, double v);
/* Fixes the range after all values were added. */
void pl_axis_done(struct pl_axis *a);
/* Where a marker sits just above the x axis: the given fraction up the range. */
double pl_axis_floor(const struct pl_axis *a, double frac);
/* Appends "set yrange", "set logscale y" / "unset logscale y", format. */
void pl_axis_emit(struct pl_buf *b, const struct pl_axis *a, char axis);

/* The common look of every figure. */
#define PL_FONT "DejaVu Sans,10"
/* Starts a figure for terminal term ("png" or "svg") writing stem.term. */
void pl_terminal(struct pl_buf *gp, const char *term, const char *stem, int width, int height);

/* Colours for backends, by their index (first appearance in the CSV). */
const char *pl_backend_color(size_t i);

/* Marker styles (the same on every figure). */
#define PL_STYLE_LOW "pt 6 ps 2.2 lw 1.5 lc rgb \"black\""
#define PL_STYLE_FAILED "pt 2 ps 2.2 lw 2.5 lc rgb \"red\""
#define PL_STYLE_VIOLATION "pt 9 ps 2 lc rgb \"dark-magenta\""
#define PL_STYLE_CONTENDED "pt 12 ps 2 lw 1.5 lc rgb \"dark-orange\""

/* One configuration label: one position on the x axis, one distribution figure. */
struct pl_group {
    const char *label; /* the table's cell */
    double num_writers, writer_rate;
    size_t first; /* first row with this label */
};

enum pl_section { PL_SEC_LATENCY, PL_SEC_COMPARE, PL_SEC_DIST, PL_SEC_TIMESERIES, PL_SEC_COUNT };

struct pl_fig {
    char stem[PATH_MAX / 4];
    char *title;
    enum pl_section section;
};

struct pl_sweep {
    const struct kvb_table *t;
    const char *name;   /* sweep name: the CSV's file name less .csv */
    char name_stem[80]; /* name, file-name safe: the prefix of every figure */
    const char *csv;
    char outdir[PATH_MAX];
    char runs_dir[PATH_MAX];
    const char *gnuplot; /* NULL: do not render */

    size_t nbackends;
    const char **backends; /* cells of the table, in order of first appearance */
    char (*bstem)[80];     /* file-name-safe backend names, unique */
    size_t ngroups;
    struct pl_group *groups; /* sorted: x position = index */
    char (*gstem)[80];       /* file-name-safe labels, unique */
    size_t *row_x, *row_b;   /* per row: group and backend index */

    json_t **runs; /* loaded summaries (owned), nruns of them */
    size_t nruns;
    json_t **row_run; /* per row: its summary in runs, or NULL */
    /* Per row, for a configuration run `repeat: N` times (N > 1): which of
     * its runs row_run is (K of runs/NNNN-rK-...json) and N; both 0 for a
     * configuration run once or a row without a summary. */
    unsigned *row_rep, *row_nrep;

    struct pl_fig *figs;
    size_t nfigs;
    char **notes; /* things left out, for index.html */
    size_t nnotes;
};

/* Cell (r, col) of the sweep's table, "" when the column is absent. */
const char *pl_cell(const struct pl_sweep *s, size_t r, const char *col);
/* Whether row r ran under CPU contention: its `contended` cell is "true"
 * (the sweep's rule, kvb_contended in report/machine.h); false for CSVs without the column. */
bool pl_contended(const struct pl_sweep *s, size_t r);
/* " - CPU contended" when the run whose summary is drawn for row r met CPU
 * contention (the summary's own row says so), else "". */
const char *pl_contended_tag(const struct pl_sweep *s, size_t r);
/* Appends to a figure's setup, when some rows ran under CPU contention, a
 * footnote saying how many (its label number 99). */
void pl_contention_footnote(const struct pl_sweep *s, struct pl_buf *setup);
/* Adds a note (printf-style). Returns 0 or -1 (ENOMEM). */
int pl_note(struct pl_sweep *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes stem.dat and stem.gp, runs gnuplot unless not rendering, and
 * records the figure (section sec, title copied) for the report. Returns 0,
 * or -1 with err set. */
int pl_fig_write(struct pl_sweep *s, enum pl_section sec, const char *stem, const char *title,
                 const struct pl_buf *dat, const struct pl_buf *gp, char *err, size_t errlen);
/* Appends the script of figure stem to gp: a header, setup once, then for
 * PNG and SVG in turn the terminal and draw. */
void pl_script(struct pl_buf *gp, const struct pl_sweep *s, const char *stem, int width, int height,
               const struct pl_buf *setup, const struct pl_buf *draw);
/* Opens data block number *nblocks in a .dat buffer (two blank lines after
 * the previous one, a comment saying what it holds); returns its index. */
int pl_block(struct pl_buf *d, int *nblocks, const char *what);
/* Appends the x axis (configuration labels as tics) to a script. */
void pl_emit_xaxis(const struct pl_sweep *s, struct pl_buf *gp);

/* plot_dist.c: loads the run summaries in s->runs_dir and matches them to
 * rows (notes for what is missing). Returns 0 or -1 with err (ENOMEM only). */
int pl_runs_load(struct pl_sweep *s, char *err, size_t errlen);
void pl_runs_free(struct pl_sweep *s);
/* plot_dist.c: one distribution figure per configuration label. */
int pl_dist_figures(struct pl_sweep *s, char *err, size_t errlen);
/* plot_dist.c: the rows of group g, by backend then CSV order, into rows
 * (room for every row); returns how many. */
size_t pl_group_rows(const struct pl_sweep *s, size_t g, size_t *rows);
/* plot_dist.c: which repeat the figure of a group draws, for its title:
 * " - repeat 1 of N" when every row with a summary has repeat 1 of the same
 * N > 1, else "" (then pl_repeat_tag names the repeat per line). */
void pl_repeat_title(const struct pl_sweep *s, const size_t *rows, size_t nrows, char *out,
                     size_t n);
/* plot_dist.c: " (repeat K of N)" for a line of row r when the figure's
 * title does not say it already (title_says: pl_repeat_title was not ""),
 * else "". */
void pl_repeat_tag(const struct pl_sweep *s, size_t r, bool title_says, char *out, size_t n);
/* plot_ts.c: one time-series figure per configuration label whose runs
 * recorded one (report_interval). */
int pl_ts_figures(struct pl_sweep *s, char *err, size_t errlen);
/* plot_html.c: index.html. */
int pl_html_index(struct pl_sweep *s, char *err, size_t errlen);

#endif
