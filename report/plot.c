/*
 * plot.c - kvb_plot_sweep: reads a sweep's CSV, orders its configurations
 * along the x axis, and draws one latency figure per backend and one
 * comparison figure per headline figure (see plot.h). The run summaries and
 * the distribution figures are plot_dist.c's, the time series plot_ts.c's,
 * index.html is plot_html.c's.
 *
 * Every figure is a .dat file of numbers in gnuplot's blocks (two blank
 * lines apart, each opened by a comment saying what it holds) and a .gp
 * script that draws it twice, as PNG and as SVG. Values a run did not
 * produce are written as NaN, which breaks a line rather than bridging it
 * (gnuplot reads NaN as an undefined value; declared the `missing` string
 * it would skip the point and join its neighbours).
 */
#include "report/plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/plot_int.h"
#include "util/fs.h"
#include "util/text.h"

const char *const kvb_plot_required_columns[] = {
    "config_label",
    "backend",
    "status",
    "num_writers",
    "writer_rate",
    "writer_p50_ms",
    "writer_p99_ms",
    "read_p50_ms",
    "read_p99_ms",
    "write_tps",
    "precondition_failure_rate",
    NULL,
};

const char *pl_cell(const struct pl_sweep *s, size_t r, const char *col)
{
    const char *v = kvb_table_get(s->t, r, col);
    return v ? v : "";
}

int pl_note(struct pl_sweep *s, const char *fmt, ...)
{
    char **n = realloc(s->notes, (s->nnotes + 1) * sizeof(*n));
    if (!n)
        return -1;
    s->notes = n;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&n[s->nnotes], fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    s->nnotes++;
    return 0;
}

/* Records a figure; title is copied. Returns its index, or -1 (ENOMEM). */
static int fig_add(struct pl_sweep *s, enum pl_section sec, const char *stem, const char *title)
{
    struct pl_fig *f = realloc(s->figs, (s->nfigs + 1) * sizeof(*f));
    if (!f)
        return -1;
    s->figs = f;
    f += s->nfigs;
    snprintf(f->stem, sizeof(f->stem), "%s", stem);
    f->section = sec;
    if (!(f->title = strdup(title)))
        return -1;
    return (int)s->nfigs++;
}

int pl_fig_write(struct pl_sweep *s, enum pl_section sec, const char *stem, const char *title,
                 const struct pl_buf *dat, const struct pl_buf *gp, char *err, size_t errlen)
{
    char name[PATH_MAX];
    snprintf(name, sizeof(name), "%s.dat", stem);
    if (pl_buf_write(dat, s->outdir, name, err, errlen) != 0)
        return -1;
    snprintf(name, sizeof(name), "%s.gp", stem);
    if (pl_buf_write(gp, s->outdir, name, err, errlen) != 0)
        return -1;
    if (s->gnuplot && pl_run_gnuplot(s->gnuplot, s->outdir, name, err, errlen) != 0) {
        /* No half-drawn images left behind. */
        for (int i = 0; i < 2; i++) {
            char img[PATH_MAX];
            snprintf(img, sizeof(img), "%s/%s.%s", s->outdir, stem, i ? "svg" : "png");
            unlink(img);
        }
        return -1;
    }
    if (fig_add(s, sec, stem, title) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void pl_script(struct pl_buf *gp, const struct pl_sweep *s, const char *stem, int width, int height,
               const struct pl_buf *setup, const struct pl_buf *draw)
{
    pl_printf(gp, "# %s.gp - drawn by `kvbench plot` from ", stem);
    pl_comment(gp, s->csv);
    pl_printf(gp,
              "\n# Redraw %s.png and %s.svg with: gnuplot %s.gp (in this directory).\n"
              "# The numbers are in %s.dat, in blocks (`index N`).\n\n",
              stem, stem, stem, stem);
    pl_puts(gp, "set encoding utf8\n");
    pl_puts(gp, setup->s ? setup->s : "");
    static const char *const terms[] = {"png", "svg"};
    for (int i = 0; i < 2; i++) {
        pl_puts(gp, "\n");
        pl_terminal(gp, terms[i], stem, width, height);
        pl_puts(gp, draw->s ? draw->s : "");
        pl_puts(gp, "unset output\n");
    }
    if (setup->oom || draw->oom)
        gp->oom = true;
}

/* The look shared by the figures over configurations. */
static void common_setup(struct pl_buf *g)
{
    pl_puts(g, "set border 3 lc rgb '#404040'\n"
               "set tics nomirror out scale 0.6\n"
               "set grid xtics ytics lt 1 lc rgb '#e0e0e0' lw 1\n"
               "set key outside below center horizontal Left reverse samplen 4 spacing 1.2 "
               "width 2\n"
               "set title font ',13'\n");
}

void pl_emit_xaxis(const struct pl_sweep *s, struct pl_buf *gp)
{
    size_t longest = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        size_t n = strlen(s->groups[g].label);
        if (n > longest)
            longest = n;
    }
    /* About 6.5 px a character at 10 pt, 700 px of plot area. */
    double room = 700.0 / (double)s->ngroups;
    const char *rot = (double)longest * 6.5 < room * 0.9 ? ""
                      : s->ngroups <= 16                 ? " rotate by 25 right"
                                                         : " rotate by 90 right";
    if (strstr(rot, "25")) {
        /* A label slanted right of its tick reaches left past it by about
         * cos(25) of its length: widen the left margin (in characters) so the
         * first one is not cut off. */
        double need = 0.91 * (double)longest - room / 2 / 6.5 + 2;
        pl_printf(gp, "set lmargin %.0f\n", need > 10 ? need : 10);
    }
    pl_printf(gp, "set xrange [-0.5:%.1f]\n", (double)s->ngroups - 0.5);
    pl_printf(gp, "set xtics%s (", rot);
    for (size_t g = 0; g < s->ngroups; g++) {
        pl_puts(gp, g ? ", " : "");
        pl_gp_tic(gp, s->groups[g].label);
        pl_printf(gp, " %zu", g);
    }
    pl_puts(gp, ")\nset xlabel 'configuration (ordered by num_writers, then writer_rate)'\n");
}

static int figure_width(const struct pl_sweep *s)
{
    int w = 1000;
    if (s->ngroups > 20)
        w = 1000 + 40 * (int)(s->ngroups - 20);
    return w > 3000 ? 3000 : w;
}

/* The data file's header: what it is and which label each x stands for. */
static void dat_header(const struct pl_sweep *s, struct pl_buf *d, const char *stem,
                       const char *what)
{
    pl_printf(d, "# %s.dat - %s; sweep ", stem, what);
    pl_comment(d, s->name);
    pl_puts(d, "\n# x: position of the configuration on the x axis:\n");
    for (size_t g = 0; g < s->ngroups; g++) {
        pl_printf(d, "#   %zu = ", g);
        pl_comment(d, s->groups[g].label);
        pl_puts(d, "\n");
    }
}

int pl_block(struct pl_buf *d, int *nblocks, const char *what)
{
    pl_printf(d, "%s# block %d: %s\n", *nblocks ? "\n\n" : "\n", *nblocks, what);
    return (*nblocks)++;
}

static void num(struct pl_buf *d, double v)
{
    if (isnan(v))
        pl_puts(d, " NaN");
    else
        pl_printf(d, " %.9g", v);
}

/* What a marker marks: a row's status, or (apart from it) contention. */
enum row_kind { ROW_OK, ROW_FAILED, ROW_VIOLATION, ROW_CONTENDED };

static enum row_kind row_kind(const struct pl_sweep *s, size_t r)
{
    const char *st = pl_cell(s, r, "status");
    if (strcmp(st, "ok") == 0)
        return ROW_OK;
    if (strcmp(st, "violation") == 0)
        return ROW_VIOLATION;
    return ROW_FAILED;
}

/* The failed, violating or contended rows of backend b (all backends if b
 * is SIZE_MAX) as a block of markers at height y; returns the block's index
 * or -1. */
static int marker_block(const struct pl_sweep *s, const size_t *order, size_t b, enum row_kind k,
                        double y, struct pl_buf *d, int *nblocks)
{
    static const char *const what_of[] = {
        [ROW_FAILED] = "failed runs",
        [ROW_VIOLATION] = "runs whose verification failed",
        [ROW_CONTENDED] = "runs under CPU contention",
    };
    int idx = -1;
    for (size_t i = 0; i < s->t->nrows; i++) {
        size_t r = order[i];
        if ((b != SIZE_MAX && s->row_b[r] != b) ||
            (k == ROW_CONTENDED ? !pl_contended(s, r) : row_kind(s, r) != k))
            continue;
        if (idx < 0) {
            char what[256];
            snprintf(what, sizeof(what), "%s%s%s (x, y: drawn just above the x axis); %s",
                     what_of[k], b != SIZE_MAX ? " of " : "", b != SIZE_MAX ? s->backends[b] : "",
                     k == ROW_CONTENDED ? "CPU pressure, load per core" : "status, reason");
            idx = pl_block(d, nblocks, what);
        }
        pl_printf(d, "%zu %.9g # ", s->row_x[r], y);
        if (k == ROW_CONTENDED) {
            pl_puts(d, "cpu_pressure_pct ");
            pl_comment(d, pl_cell(s, r, "cpu_pressure_pct"));
            pl_puts(d, ", load_per_core ");
            pl_comment(d, pl_cell(s, r, "load_per_core"));
            pl_puts(d, "\n");
            continue;
        }
        pl_comment(d, pl_cell(s, r, "status"));
        pl_puts(d, ": ");
        const char *why = pl_cell(s, r, k == ROW_FAILED ? "failure_reason" : "verification_detail");
        pl_comment(d, *why ? why : pl_cell(s, r, "first_violation"));
        pl_puts(d, "\n");
    }
    return idx;
}

/* ---- one latency figure per backend ---- */

static const struct {
    const char *col, *low, *title, *style;
} lat_series[] = {
    {"writer_p50_ms", "writer_low_samples", "writer p50", "lc rgb \"blue\" dt 1"},
    {"writer_p99_ms", "writer_low_samples", "writer p99", "lc rgb \"blue\" dt 2"},
    {"read_p50_ms", "read_low_samples", "reader p50", "lc rgb \"forest-green\" dt 1"},
    {"read_p99_ms", "read_low_samples", "reader p99", "lc rgb \"forest-green\" dt 2"},
};
#define NLAT (sizeof(lat_series) / sizeof(lat_series[0]))

static bool low_flag(const struct pl_sweep *s, size_t r, const char *col)
{
    double v = kvb_parse_number(pl_cell(s, r, col));
    return !isnan(v) && v != 0;
}

static void plot_clause(struct pl_buf *p, bool *first, const char *stem)
{
    if (*first) {
        char file[PATH_MAX];
        snprintf(file, sizeof(file), "%s.dat", stem);
        pl_puts(p, "plot ");
        pl_gp_str(p, file);
        *first = false;
    } else {
        pl_puts(p, ", \\\n     ''");
    }
}

static int latency_figure(struct pl_sweep *s, const size_t *order, size_t b, char *err,
                          size_t errlen)
{
    struct pl_buf dat = {0}, setup = {0}, draw = {0}, gp = {0};
    char stem[PATH_MAX / 4], title[1024], what[256];
    int nblocks = 0, rc = -1;
    snprintf(stem, sizeof(stem), "%s-latency-%s", s->name_stem, s->bstem[b]);
    snprintf(what, sizeof(what), "latency by configuration of backend %s", s->backends[b]);
    dat_header(s, &dat, stem, what);

    /* Block 0: the four series. */
    struct pl_axis ax;
    pl_axis_init(&ax);
    bool have[NLAT] = {false}, any_low = false;
    pl_block(&dat, &nblocks, "x writer_p50_ms writer_p99_ms read_p50_ms read_p99_ms");
    for (size_t i = 0; i < s->t->nrows; i++) {
        size_t r = order[i];
        if (s->row_b[r] != b)
            continue;
        pl_printf(&dat, "%zu", s->row_x[r]);
        for (size_t k = 0; k < NLAT; k++) {
            double v = kvb_parse_number(pl_cell(s, r, lat_series[k].col));
            num(&dat, v);
            pl_axis_add(&ax, v);
            have[k] |= !isnan(v);
            any_low |= !isnan(v) && low_flag(s, r, lat_series[k].low);
        }
        pl_puts(&dat, "\n");
    }
    pl_axis_done(&ax);

    int low = -1;
    if (any_low) {
        low = pl_block(&dat, &nblocks, "percentiles from fewer than 100 samples (x, y)");
        for (size_t i = 0; i < s->t->nrows; i++) {
            size_t r = order[i];
            if (s->row_b[r] != b)
                continue;
            for (size_t k = 0; k < NLAT; k++) {
                double v = kvb_parse_number(pl_cell(s, r, lat_series[k].col));
                if (!isnan(v) && low_flag(s, r, lat_series[k].low))
                    pl_printf(&dat, "%zu %.9g\n", s->row_x[r], v);
            }
        }
    }
    int failed = marker_block(s, order, b, ROW_FAILED, pl_axis_floor(&ax, 0.03), &dat, &nblocks);
    int viol = marker_block(s, order, b, ROW_VIOLATION, pl_axis_floor(&ax, 0.03), &dat, &nblocks);
    int cont = marker_block(s, order, b, ROW_CONTENDED, pl_axis_floor(&ax, 0.08), &dat, &nblocks);

    snprintf(title, sizeof(title), "%s: latency by configuration - sweep %s", s->backends[b],
             s->name);
    common_setup(&setup);
    pl_puts(&setup, "set title ");
    pl_gp_str(&setup, title);
    pl_puts(&setup, "\nset ylabel 'latency (ms)'\n");
    pl_emit_xaxis(s, &setup);
    pl_axis_emit(&setup, &ax, 'y');
    if (ax.empty)
        pl_puts(&setup, "set label 1 'no latency figures' at graph 0.5, graph 0.5 center\n");
    pl_contention_footnote(s, &setup);

    bool first = true;
    for (size_t k = 0; k < NLAT; k++) {
        if (!have[k])
            continue;
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index 0 using 1:%zu with linespoints %s lw 1.6 pt 7 ps 0.9 title ",
                  k + 2, lat_series[k].style);
        pl_gp_str(&draw, lat_series[k].title);
    }
    if (low >= 0) {
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index %d using 1:2 with points %s title 'fewer than 100 samples'", low,
                  PL_STYLE_LOW);
    }
    if (failed >= 0) {
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index %d using 1:2 with points %s title 'failed run'", failed,
                  PL_STYLE_FAILED);
    }
    if (viol >= 0) {
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index %d using 1:2 with points %s title 'verification failed'", viol,
                  PL_STYLE_VIOLATION);
    }
    if (cont >= 0) {
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index %d using 1:2 with points %s title 'CPU contended'", cont,
                  PL_STYLE_CONTENDED);
    }
    if (first)
        pl_puts(&draw, "plot 1e300 notitle");
    pl_puts(&draw, "\n");
    pl_script(&gp, s, stem, figure_width(s), 560, &setup, &draw);
    snprintf(title, sizeof(title), "%s: writer and reader latency by configuration",
             s->backends[b]);
    if (pl_fig_write(s, PL_SEC_LATENCY, stem, title, &dat, &gp, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    pl_buf_free(&dat);
    pl_buf_free(&setup);
    pl_buf_free(&draw);
    pl_buf_free(&gp);
    return rc;
}

/* ---- comparison figures: one line per backend ---- */

static const struct {
    const char *stem, *col, *low, *title, *ylabel;
} cmp_figs[] = {
    {"writer-p99", "writer_p99_ms", "writer_low_samples", "writer p99 latency", "latency (ms)"},
    {"reader-p99", "read_p99_ms", "read_low_samples", "reader p99 latency", "latency (ms)"},
    {"write-tps", "write_tps", NULL, "write throughput", "committed writes per second"},
    {"precondition-failure-rate", "precondition_failure_rate", NULL, "precondition failure rate",
     "conflicts per commit attempt"},
};

static int compare_figure(struct pl_sweep *s, const size_t *order, size_t f, char *err,
                          size_t errlen)
{
    struct pl_buf dat = {0}, setup = {0}, draw = {0}, gp = {0};
    char stem[PATH_MAX / 4], title[1024], what[512];
    int nblocks = 0, rc = -1;
    int *line = calloc(s->nbackends, sizeof(int));
    if (!line) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(stem, sizeof(stem), "%s-compare-%s", s->name_stem, cmp_figs[f].stem);
    snprintf(what, sizeof(what), "%s (%s) by configuration, one block per backend",
             cmp_figs[f].title, cmp_figs[f].col);
    dat_header(s, &dat, stem, what);

    struct pl_axis ax;
    pl_axis_init(&ax);
    bool any_low = false;
    for (size_t b = 0; b < s->nbackends; b++) {
        snprintf(what, sizeof(what), "%s: x %s", s->backends[b], cmp_figs[f].col);
        line[b] = pl_block(&dat, &nblocks, what);
        bool have = false;
        for (size_t i = 0; i < s->t->nrows; i++) {
            size_t r = order[i];
            if (s->row_b[r] != b)
                continue;
            double v = kvb_parse_number(pl_cell(s, r, cmp_figs[f].col));
            pl_printf(&dat, "%zu", s->row_x[r]);
            num(&dat, v);
            pl_puts(&dat, "\n");
            pl_axis_add(&ax, v);
            have |= !isnan(v);
            any_low |= !isnan(v) && cmp_figs[f].low && low_flag(s, r, cmp_figs[f].low);
        }
        if (!have)
            line[b] = -1;
    }
    pl_axis_done(&ax);

    int low = -1;
    if (any_low) {
        low = pl_block(&dat, &nblocks, "percentiles from fewer than 100 samples (x, y)");
        for (size_t i = 0; i < s->t->nrows; i++) {
            size_t r = order[i];
            double v = kvb_parse_number(pl_cell(s, r, cmp_figs[f].col));
            if (!isnan(v) && low_flag(s, r, cmp_figs[f].low))
                pl_printf(&dat, "%zu %.9g\n", s->row_x[r], v);
        }
    }

    snprintf(title, sizeof(title), "%s by backend - sweep %s", cmp_figs[f].title, s->name);
    common_setup(&setup);
    pl_puts(&setup, "set title ");
    pl_gp_str(&setup, title);
    pl_puts(&setup, "\nset ylabel ");
    pl_gp_str(&setup, cmp_figs[f].ylabel);
    pl_puts(&setup, "\n");
    pl_emit_xaxis(s, &setup);
    pl_axis_emit(&setup, &ax, 'y');
    if (ax.empty)
        pl_puts(&setup, "set label 1 'no figures' at graph 0.5, graph 0.5 center\n");
    pl_contention_footnote(s, &setup);

    bool first = true;
    for (size_t b = 0; b < s->nbackends; b++) {
        if (line[b] < 0)
            continue;
        plot_clause(&draw, &first, stem);
        pl_printf(&draw,
                  " index %d using 1:2 with linespoints lc rgb \"%s\" lw 1.8 pt 7 ps 0.9 "
                  "title ",
                  line[b], pl_backend_color(b));
        pl_gp_str(&draw, s->backends[b]);
    }
    if (low >= 0) {
        plot_clause(&draw, &first, stem);
        pl_printf(&draw, " index %d using 1:2 with points %s title 'fewer than 100 samples'", low,
                  PL_STYLE_LOW);
    }
    /* Markers of each backend, a little higher for each so they do not cover each other. */
    for (size_t b = 0; b < s->nbackends; b++) {
        double y = pl_axis_floor(&ax, 0.03 + 0.035 * (double)(b % 6));
        int fb = marker_block(s, order, b, ROW_FAILED, y, &dat, &nblocks);
        int vb = marker_block(s, order, b, ROW_VIOLATION, y, &dat, &nblocks);
        int cb = marker_block(s, order, b, ROW_CONTENDED,
                              pl_axis_floor(&ax, 0.08 + 0.035 * (double)(b % 6)), &dat, &nblocks);
        if (fb >= 0) {
            plot_clause(&draw, &first, stem);
            pl_printf(&draw,
                      " index %d using 1:2 with points pt 2 ps 2.2 lw 2.5 lc rgb \"%s\" "
                      "title ",
                      fb, pl_backend_color(b));
            snprintf(what, sizeof(what), "%s: failed run", s->backends[b]);
            pl_gp_str(&draw, what);
        }
        if (vb >= 0) {
            plot_clause(&draw, &first, stem);
            pl_printf(&draw, " index %d using 1:2 with points pt 9 ps 2 lc rgb \"%s\" title ", vb,
                      pl_backend_color(b));
            snprintf(what, sizeof(what), "%s: verification failed", s->backends[b]);
            pl_gp_str(&draw, what);
        }
        if (cb >= 0) {
            plot_clause(&draw, &first, stem);
            pl_printf(&draw,
                      " index %d using 1:2 with points pt 12 ps 2 lw 1.5 lc rgb \"%s\" title ", cb,
                      pl_backend_color(b));
            snprintf(what, sizeof(what), "%s: CPU contended", s->backends[b]);
            pl_gp_str(&draw, what);
        }
    }
    if (first)
        pl_puts(&draw, "plot 1e300 notitle");
    pl_puts(&draw, "\n");
    pl_script(&gp, s, stem, figure_width(s), 560, &setup, &draw);
    snprintf(title, sizeof(title), "%s by backend", cmp_figs[f].title);
    if (pl_fig_write(s, PL_SEC_COMPARE, stem, title, &dat, &gp, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    free(line);
    pl_buf_free(&dat);
    pl_buf_free(&setup);
    pl_buf_free(&draw);
    pl_buf_free(&gp);
    return rc;
}

/* ---- loading and ordering ---- */

static int cmp_group(const void *a, const void *b)
{
    const struct pl_group *x = a, *y = b;
    double kx[2] = {x->num_writers, x->writer_rate}, ky[2] = {y->num_writers, y->writer_rate};
    for (int i = 0; i < 2; i++) {
        if (isnan(kx[i]) != isnan(ky[i]))
            return isnan(kx[i]) ? 1 : -1; /* unknown last */
        if (!isnan(kx[i]) && kx[i] != ky[i])
            return kx[i] < ky[i] ? -1 : 1;
    }
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Makes stems[i] a file-name-safe, unique form of names[i]. */
static void unique_stems(char (*stems)[80], const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char base[PL_SAFE_MAX + 1];
        kvb_safe_name(base, sizeof(base), names[i]);
        snprintf(stems[i], 80, "%s", base);
        for (unsigned k = 2;; k++) {
            size_t j = 0;
            while (j < i && strcmp(stems[j], stems[i]) != 0)
                j++;
            if (j == i)
                break;
            snprintf(stems[i], 80, "%s-%u", base, k);
        }
    }
}

/* Rows by x position, then in CSV order (qsort_r with the row_x array). */
static int cmp_row(const void *a, const void *b, void *ctx)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const size_t *rx = ctx;
    if (rx[x] != rx[y])
        return rx[x] < rx[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int index_rows(struct pl_sweep *s, char *err, size_t errlen)
{
    const struct kvb_table *t = s->t;
    s->backends = calloc(t->nrows, sizeof(*s->backends));
    s->groups = calloc(t->nrows, sizeof(*s->groups));
    s->row_x = calloc(t->nrows, sizeof(size_t));
    s->row_b = calloc(t->nrows, sizeof(size_t));
    if (!s->backends || !s->groups || !s->row_x || !s->row_b)
        goto oom;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *be = pl_cell(s, r, "backend"), *label = pl_cell(s, r, "config_label");
        size_t b = 0, g = 0;
        while (b < s->nbackends && strcmp(s->backends[b], be) != 0)
            b++;
        if (b == s->nbackends)
            s->backends[s->nbackends++] = be;
        while (g < s->ngroups && strcmp(s->groups[g].label, label) != 0)
            g++;
        if (g == s->ngroups)
            s->groups[s->ngroups++] = (struct pl_group){
                .label = label,
                .num_writers = kvb_parse_number(pl_cell(s, r, "num_writers")),
                .writer_rate = kvb_parse_number(pl_cell(s, r, "writer_rate")),
                .first = r,
            };
        s->row_b[r] = b;
    }
    qsort(s->groups, s->ngroups, sizeof(*s->groups), cmp_group);
    for (size_t r = 0; r < t->nrows; r++) {
        const char *label = pl_cell(s, r, "config_label");
        size_t g = 0;
        while (strcmp(s->groups[g].label, label) != 0)
            g++;
        s->row_x[r] = g;
    }
    s->bstem = calloc(s->nbackends, sizeof(*s->bstem));
    s->gstem = calloc(s->ngroups, sizeof(*s->gstem));
    const char **labels = calloc(s->ngroups, sizeof(*labels));
    if (!s->bstem || !s->gstem || !labels) {
        free(labels);
        goto oom;
    }
    for (size_t g = 0; g < s->ngroups; g++)
        labels[g] = s->groups[g].label;
    unique_stems(s->bstem, s->backends, s->nbackends);
    unique_stems(s->gstem, labels, s->ngroups);
    free(labels);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The CSV must exist, parse, have the columns plotted and at least a row. */
static int load_csv(const char *csv, struct kvb_table *t, char *err, size_t errlen)
{
    if (kvb_csv_read(csv, t, err, errlen) != 0)
        return KVB_PLOT_BAD_INPUT;
    char missing[512] = "";
    size_t len = 0, n = 0;
    for (const char *const *c = kvb_plot_required_columns; *c; c++) {
        if (kvb_table_col(t, *c) >= 0)
            continue;
        len += (size_t)snprintf(missing + len, len < sizeof(missing) ? sizeof(missing) - len : 0,
                                "%s%s", n++ ? ", " : "", *c);
        if (len >= sizeof(missing))
            len = sizeof(missing) - 1;
    }
    if (n) {
        snprintf(err, errlen, "%s: not a kvbench sweep CSV: missing column%s %s", csv,
                 n > 1 ? "s" : "", missing);
        return KVB_PLOT_BAD_INPUT;
    }
    if (t->nrows == 0) {
        snprintf(err, errlen, "%s: no rows to plot (the CSV has only its header)", csv);
        return KVB_PLOT_BAD_INPUT;
    }
    return 0;
}

/* DIR and NAME of DIR/NAME.csv. */
static void split_csv_path(const char *csv, char *dir, size_t dn, char *name, size_t nn)
{
    const char *slash = strrchr(csv, '/');
    const char *base = slash ? slash + 1 : csv;
    if (!slash)
        snprintf(dir, dn, ".");
    else if (slash == csv)
        snprintf(dir, dn, "/");
    else
        snprintf(dir, dn, "%.*s", (int)(slash - csv), csv);
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".csv") == 0)
        bl -= 4;
    snprintf(name, nn, "%.*s", (int)bl, base);
}

static void sweep_free(struct pl_sweep *s)
{
    pl_runs_free(s);
    free(s->backends);
    free(s->bstem);
    free(s->groups);
    free(s->gstem);
    free(s->row_x);
    free(s->row_b);
    for (size_t i = 0; i < s->nfigs; i++)
        free(s->figs[i].title);
    free(s->figs);
    for (size_t i = 0; i < s->nnotes; i++)
        free(s->notes[i]);
    free(s->notes);
}

int kvb_plot_sweep_opts(const char *csv, const char *runs_dir, const char *outdir,
                        const struct kvb_plot_opts *o, struct kvb_plot_info *info, char *err,
                        size_t errlen)
{
    static const struct kvb_plot_opts none = {0};
    struct kvb_table t = {0};
    struct pl_sweep s = {.t = &t, .csv = csv};
    char dir[PATH_MAX], name[256], gnuplot[PATH_MAX];
    size_t *order = NULL;
    int rc;

    if (!o)
        o = &none;
    if (info)
        *info = (struct kvb_plot_info){0};
    split_csv_path(csv, dir, sizeof(dir), name, sizeof(name));
    s.name = name;
    kvb_safe_name(s.name_stem, PL_SAFE_MAX + 1, name);
    if ((rc = load_csv(csv, &t, err, errlen)) != 0)
        goto out;
    if (!o->no_render) {
        if ((rc = kvb_plot_find_gnuplot(o->gnuplot, gnuplot, sizeof(gnuplot), err, errlen)) != 0)
            goto out;
        s.gnuplot = gnuplot;
    }
    rc = KVB_PLOT_ERROR;
    int n1 = outdir ? snprintf(s.outdir, sizeof(s.outdir), "%s", outdir)
                    : snprintf(s.outdir, sizeof(s.outdir), "%s/%s/plots", dir, name);
    int n2 = runs_dir ? snprintf(s.runs_dir, sizeof(s.runs_dir), "%s", runs_dir)
                      : snprintf(s.runs_dir, sizeof(s.runs_dir), "%s/%s/runs", dir, name);
    if (n1 >= (int)sizeof(s.outdir) || n2 >= (int)sizeof(s.runs_dir)) {
        snprintf(err, errlen, "%s: output path too long", csv);
        goto out;
    }
    if (index_rows(&s, err, errlen) != 0 || kvb_mkdir_p(s.outdir, err, errlen) != 0 ||
        pl_runs_load(&s, err, errlen) != 0)
        goto out;

    if (!(order = malloc(t.nrows * sizeof(*order)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < t.nrows; r++)
        order[r] = r;
    qsort_r(order, t.nrows, sizeof(*order), cmp_row, s.row_x);

    for (size_t b = 0; b < s.nbackends; b++)
        if (latency_figure(&s, order, b, err, errlen) != 0)
            goto out;
    for (size_t f = 0; f < sizeof(cmp_figs) / sizeof(cmp_figs[0]); f++)
        if (compare_figure(&s, order, f, err, errlen) != 0)
            goto out;
    if (pl_dist_figures(&s, err, errlen) != 0 || pl_ts_figures(&s, err, errlen) != 0)
        goto out;
    if (!o->no_render && pl_html_index(&s, err, errlen) != 0)
        goto out;
    if (info) {
        info->figures = s.nfigs;
        info->notes = s.nnotes;
        snprintf(info->outdir, sizeof(info->outdir), "%s", s.outdir);
        if (!o->no_render)
            snprintf(info->index, sizeof(info->index), "%s/index.html", s.outdir);
    }
    rc = 0;
out:
    free(order);
    sweep_free(&s);
    kvb_table_free(&t);
    return rc;
}

int kvb_plot_sweep(const char *csv, const char *runs_dir, const char *outdir, char *err,
                   size_t errlen)
{
    return kvb_plot_sweep_opts(csv, runs_dir, outdir, NULL, NULL, err, errlen);
}
