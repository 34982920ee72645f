/*
 * plot_ts.c - the time series of the runs that recorded one
 * (report_interval > 0): per configuration label, NAME-timeseries-LABEL,
 * two panels over the measured window, throughput above and p99 latency
 * below, one line per backend and role (colour: backend; dash and point
 * shape: role). A label none of whose runs has a time series gets no figure.
 *
 * A summary's "time_series" holds, per role that ran, "ops_per_sec" and
 * "p99_ms" of each interval of interval_secs. The .dat has one block per
 * backend and role, a line per interval: its middle, start and end (seconds
 * into the measured window; x is the middle), the throughput, the p99 and
 * the samples behind it (operations completed in the interval,
 * ops_per_sec x interval_secs).
 *
 * - An operation counts in the interval it was due to start in (its
 *   intended start, under a rate), so under a fixed rate a stall shows
 *   first as a p99 spike; under a closed loop, as a throughput dip.
 * - An interval in which nothing completed has no p99: NaN, a gap in the
 *   line. A p99 from fewer than 100 samples is drawn as an open point.
 * - When the duration is not a multiple of the interval, the last interval
 *   is cut short by the end of the run (the summary's last_interval_secs,
 *   its rate already over that length); its x is the middle of that part,
 *   and the .dat says so in the block's comment.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot_int.h"

/* The roles a summary may hold, in legend order; others follow, as found. */
static const struct {
    const char *key, *title;
} known_roles[] = {
    {"writer", "writer"},       {"reader", "reader"},   {"random_writer", "random writer"},
    {"compactor", "compactor"}, {"scanner", "scanner"},
};
#define NKNOWN (sizeof(known_roles) / sizeof(known_roles[0]))
#define MAXROLES 16

/* Point shapes per role: filled, and open for a p99 from few samples. */
static const int pt_filled[] = {7, 5, 9, 11, 13};
static const int pt_open[] = {6, 4, 8, 10, 12};
#define NSHAPES (sizeof(pt_filled) / sizeof(pt_filled[0]))

/* Fewer samples than this behind a p99: an open point. */
#define LOW_SAMPLES 100
/* Points on the lines up to this many intervals; lines only beyond. */
#define MAX_POINTS 100

/* A run's time series, or NULL: an object with interval_secs > 0. */
static json_t *ts_of(json_t *run)
{
    json_t *ts = json_object_get(run, "time_series");
    json_t *iv = json_object_get(ts, "interval_secs");
    if (!json_is_object(ts) || !json_is_number(iv) || !(json_number_value(iv) > 0))
        return NULL;
    return ts;
}

/* Role key's series in ts, or NULL: an object with a non-empty ops_per_sec. */
static json_t *ts_role(json_t *ts, const char *key)
{
    json_t *o = json_object_get(ts, key);
    json_t *ops = json_object_get(o, "ops_per_sec");
    return json_is_object(o) && json_is_array(ops) && json_array_size(ops) > 0 ? o : NULL;
}

static double jnum(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* One line: a role of a row's run. */
struct ts_line {
    size_t row;
    size_t role;  /* index into the figure's role list */
    size_t shape; /* the role's look: its place in known_roles, the same in every figure */
    int block;
};

/* A role's look: its place in known_roles, or after them in order found. */
static size_t role_shape(const char *const *roles, size_t i)
{
    size_t unknown = 0;
    for (size_t j = 0; j <= i; j++) {
        size_t k = 0;
        while (k < NKNOWN && strcmp(roles[j], known_roles[k].key) != 0)
            k++;
        if (j == i)
            return (k < NKNOWN ? k : NKNOWN + unknown) % NSHAPES;
        unknown += k == NKNOWN;
    }
    return 0;
}

/* The points of one line, with what the block's comment says about them. */
struct ts_points {
    size_t n;
    double *mid, *t0, *t1, *rate, *p99, *samples;
    bool cut;      /* the last interval is cut short by the end of the run */
    double I, end; /* interval; end of the last interval drawn */
};

static void points_free(struct ts_points *p)
{
    free(p->mid);
    *p = (struct ts_points){0};
}

/* Reads role series o of a run into p. Returns 0 or -1 (ENOMEM). */
static int points_read(json_t *ts, json_t *o, struct ts_points *p)
{
    json_t *ops = json_object_get(o, "ops_per_sec"), *p99 = json_object_get(o, "p99_ms");
    size_t n = json_array_size(ops);
    double iv = jnum(json_object_get(ts, "intervals"));
    if (iv >= 0 && iv < (double)n)
        n = (size_t)iv;
    *p = (struct ts_points){.I = json_number_value(json_object_get(ts, "interval_secs"))};
    if (!(p->mid = malloc((n ? n : 1) * 6 * sizeof(double))))
        return -1;
    p->t0 = p->mid + n;
    p->t1 = p->t0 + n;
    p->rate = p->t1 + n;
    p->p99 = p->rate + n;
    p->samples = p->p99 + n;
    json_t *counts = json_object_get(o, "ops");
    double I = p->I, last = jnum(json_object_get(ts, "last_interval_secs"));
    if (isnan(last) || last <= 0 || last > I)
        last = I;
    for (size_t k = 0; k < n; k++) {
        double t0 = (double)k * I, t1 = k + 1 == n ? t0 + last : t0 + I;
        double ops_ps = jnum(json_array_get(ops, k)), lat = jnum(json_array_get(p99, k));
        double samples = jnum(json_array_get(counts, k));
        if (isnan(samples) && !isnan(ops_ps))
            samples = round(ops_ps * (t1 - t0)); /* summaries without "ops" */
        p->cut = p->cut || t1 - t0 < I * (1 - 1e-9);
        p->t0[p->n] = t0;
        p->t1[p->n] = t1;
        p->mid[p->n] = (t0 + t1) / 2;
        p->samples[p->n] = samples;
        p->rate[p->n] = ops_ps;
        p->p99[p->n] = samples > 0 && isfinite(lat) ? lat : NAN;
        p->end = t1;
        p->n++;
    }
    return 0;
}

static void role_title(const char *const *roles, size_t i, char *out, size_t n)
{
    for (size_t k = 0; k < NKNOWN; k++)
        if (strcmp(roles[i], known_roles[k].key) == 0) {
            snprintf(out, n, "%s", known_roles[k].title);
            return;
        }
    snprintf(out, n, "%s", roles[i]);
}

/* Adds key to roles (n of them, MAXROLES at most) unless there. */
static void add_role(const char **roles, size_t *n, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(roles[i], key) == 0)
            return;
    if (*n < MAXROLES)
        roles[(*n)++] = key;
}

/* Starts a clause of a plot command: "plot 'file'" first, "''" after. */
static void clause(struct pl_buf *draw, bool *first, const char *datfile)
{
    pl_puts(draw, *first ? "plot " : ", \\\n     ");
    if (*first)
        pl_gp_str(draw, datfile);
    else
        pl_puts(draw, "''");
    *first = false;
}

static void keyentry(struct pl_buf *draw, bool *first, const char *style, const char *title)
{
    pl_puts(draw, *first ? "plot " : ", \\\n     ");
    *first = false;
    pl_printf(draw, "keyentry with points %s title ", style);
    pl_gp_str(draw, title);
}

/* Legend entries for the rows of the group without a line, in the
 * throughput panel's plot command (draw NULL: only counted). */
static size_t missing_entries(const struct pl_sweep *s, const size_t *rows, size_t nrows,
                              struct pl_buf *draw, bool *first)
{
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++) {
        size_t r = rows[i];
        const char *st = pl_cell(s, r, "status"), *be = s->backends[s->row_b[r]];
        json_t *run = s->row_run[r];
        bool failed = strcmp(st, "ok") != 0 && strcmp(st, "violation") != 0;
        char t[256];
        const char *style;
        if (run && ts_of(run)) {
            if (strcmp(st, "violation") != 0)
                continue;
            style = PL_STYLE_VIOLATION;
            snprintf(t, sizeof(t), "%s: verification failed", be);
        } else if (failed) {
            style = PL_STYLE_FAILED;
            snprintf(t, sizeof(t), "%s: failed run", be);
        } else {
            style = "pt 1 ps 1.5 lc rgb \"#808080\"";
            snprintf(t, sizeof(t), "%s: %s", be, run ? "no time series" : "no run summary");
        }
        n++;
        if (draw)
            keyentry(draw, first, style, t);
    }
    return n;
}

static int ts_figure(struct pl_sweep *s, size_t g, size_t *rows, char *err, size_t errlen)
{
    size_t nrows = pl_group_rows(s, g, rows);
    const char *roles[MAXROLES];
    size_t nroles = 0;

    /* The roles with a series in any run of the group: known ones first. */
    for (size_t k = 0; k < NKNOWN; k++)
        for (size_t i = 0; i < nrows; i++) {
            json_t *ts = s->row_run[rows[i]] ? ts_of(s->row_run[rows[i]]) : NULL;
            if (ts && ts_role(ts, known_roles[k].key))
                add_role(roles, &nroles, known_roles[k].key);
        }
    for (size_t i = 0; i < nrows; i++) {
        json_t *ts = s->row_run[rows[i]] ? ts_of(s->row_run[rows[i]]) : NULL;
        const char *key;
        json_t *v;
        json_object_foreach(ts, key, v)
        {
            if (ts_role(ts, key))
                add_role(roles, &nroles, key);
        }
    }
    if (nroles == 0)
        return 0; /* no run of this label recorded a time series */

    struct pl_buf dat = {0}, setup = {0}, draw = {0}, gp = {0};
    char stem[PATH_MAX / 4], title[1024], datfile[PATH_MAX], rep_title[64];
    int nblocks = 0, rc = -1;
    struct ts_line *lines = calloc(nrows * nroles, sizeof(*lines));
    size_t nlines = 0;
    if (!lines) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(stem, sizeof(stem), "%s-timeseries-%s", s->name_stem, s->gstem[g]);
    snprintf(datfile, sizeof(datfile), "%s.dat", stem);
    pl_repeat_title(s, rows, nrows, rep_title, sizeof(rep_title));

    pl_printf(&dat, "# %s.dat - throughput and p99 latency over time of configuration ", stem);
    pl_comment(&dat, s->groups[g].label);
    pl_puts(&dat, ", sweep ");
    pl_comment(&dat, s->name);
    pl_puts(&dat, "\n# one block per backend and role; columns: t_mid_s t_start_s t_end_s "
                  "ops_per_sec p99_ms samples\n"
                  "# t: seconds into the measured window (x = t_mid_s); samples: operations "
                  "completed in the interval (p99_ms is NaN without any)\n");

    struct pl_axis thr, lat;
    pl_axis_init(&thr);
    pl_axis_init(&lat);
    double xmax = 0, interval = NAN;
    bool same_interval = true, any_low = false;
    size_t most = 0;
    for (size_t i = 0; i < nrows; i++) {
        size_t r = rows[i], b = s->row_b[r];
        json_t *run = s->row_run[r], *ts = run ? ts_of(run) : NULL;
        if (!ts)
            continue;
        char tag[64] = "";
        if (s->row_nrep[r] && s->row_rep[r])
            snprintf(tag, sizeof(tag), "; repeat %u of %u", s->row_rep[r], s->row_nrep[r]);
        else if (s->row_nrep[r])
            snprintf(tag, sizeof(tag), "; one of %u repeats", s->row_nrep[r]);
        for (size_t k = 0; k < nroles; k++) {
            json_t *o = ts_role(ts, roles[k]);
            if (!o)
                continue;
            struct ts_points p;
            if (points_read(ts, o, &p) != 0) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            if (p.n == 0) {
                points_free(&p); /* "intervals": 0, or only one past the end */
                continue;
            }
            if (isnan(interval))
                interval = p.I;
            else if (p.I != interval)
                same_interval = false;
            char what[512];
            snprintf(what, sizeof(what),
                     "%s %s (interval %g s%s%s): t_mid_s t_start_s t_end_s ops_per_sec p99_ms "
                     "samples",
                     s->backends[b], roles[k], p.I, tag,
                     p.cut ? "; the last interval is cut short by the end of the run, its rate "
                             "is over the part inside"
                           : "");
            lines[nlines++] = (struct ts_line){.row = r,
                                               .role = k,
                                               .shape = role_shape(roles, k),
                                               .block = pl_block(&dat, &nblocks, what)};
            for (size_t j = 0; j < p.n; j++) {
                pl_printf(&dat, "%.9g %.9g %.9g", p.mid[j], p.t0[j], p.t1[j]);
                double v[] = {p.rate[j], p.p99[j], p.samples[j]};
                for (size_t c = 0; c < 3; c++)
                    pl_printf(&dat, isnan(v[c]) ? " NaN" : " %.9g", v[c]);
                pl_puts(&dat, "\n");
                pl_axis_add(&thr, p.rate[j]);
                pl_axis_add(&lat, p.p99[j]);
                any_low |= !isnan(p.p99[j]) && p.samples[j] < LOW_SAMPLES;
            }
            if (p.end > xmax)
                xmax = p.end;
            if (p.n > most)
                most = p.n;
            points_free(&p);
        }
    }
    if (nlines == 0) {
        rc = 0; /* series without an interval to draw: no figure */
        goto out;
    }
    pl_axis_done(&thr);
    pl_axis_done(&lat);
    bool points = most <= MAX_POINTS;
    any_low &= points;

    /* Geometry: the two panels one above the other on the same x, the
     * legend on the right at the height of the upper one. */
    size_t entries = nlines + missing_entries(s, rows, nrows, NULL, NULL) + any_low;
    const int width = 1200;
    int height = 820;
    if ((int)entries * 20 + 140 > height)
        height = (int)entries * 20 + 140;
    double H = height, W = width, ph = (H - 80 - 75 - 60) / 2;
    double top1 = 1 - 80 / H, bot1 = top1 - ph / H, top2 = bot1 - 75 / H, bot2 = 60 / H;

    pl_puts(&setup, "set border 3 lc rgb '#404040'\n"
                    "set tics nomirror out scale 0.6\n"
                    "set grid xtics ytics lt 1 lc rgb '#e0e0e0' lw 1\n");
    pl_printf(&setup, "set xrange [0:%.9g]\nset format x '%%g'\n", xmax > 0 ? xmax : 1);
    pl_printf(&setup, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n", 90 / W,
              1 - 330 / W);

    snprintf(title, sizeof(title), "%s: throughput and p99 latency over time - sweep %s%s",
             s->groups[g].label, s->name, rep_title);
    pl_puts(&draw, "set multiplot title ");
    pl_gp_str(&draw, title);
    pl_puts(&draw, " font ',13'\n");

    /* Upper panel: throughput, with the legend. */
    pl_printf(&draw,
              "set key at screen %.4f, %.4f left top vertical Left reverse samplen 4 "
              "spacing 1.15\n",
              1 - 315 / W, top1);
    pl_printf(&draw, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", top1, bot1);
    pl_puts(&draw, "set title 'throughput' font ',11'\n"
                   "set ylabel 'operations per second'\n"
                   "unset xlabel\n");
    pl_axis_emit(&draw, &thr, 'y');
    pl_puts(&draw, thr.empty ? "set label 1 'no operations' at graph 0.5, graph 0.5 center\n"
                             : "unset label 1\n");
    bool first = true;
    for (size_t i = 0; i < nlines; i++) {
        size_t r = lines[i].row, b = s->row_b[r], sh = lines[i].shape;
        char rt[128], tag[64], t[512];
        role_title(roles, lines[i].role, rt, sizeof(rt));
        pl_repeat_tag(s, r, rep_title[0] != '\0', tag, sizeof(tag));
        snprintf(t, sizeof(t), "%s %s%s%s", s->backends[b], rt, tag, pl_contended_tag(s, r));
        clause(&draw, &first, datfile);
        pl_printf(&draw, " index %d using 1:4 with %s lc rgb \"%s\" dt %zu lw 1.6", lines[i].block,
                  points ? "linespoints" : "lines", pl_backend_color(b), 1 + sh);
        if (points)
            pl_printf(&draw, " pt %d ps 0.7", pt_filled[sh]);
        pl_puts(&draw, " title ");
        pl_gp_str(&draw, t);
    }
    missing_entries(s, rows, nrows, &draw, &first);
    if (any_low)
        keyentry(&draw, &first, "pt 6 ps 1 lc rgb \"black\"", "open point: p99 of < 100 samples");
    pl_puts(&draw, "\n");

    /* Lower panel: p99 latency, the same lines without titles. */
    pl_puts(&draw, "unset key\n");
    pl_printf(&draw, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", top2, bot2);
    pl_puts(&draw, "set title 'p99 latency' font ',11'\n"
                   "set ylabel 'p99 latency (ms)'\n");
    if (same_interval)
        pl_printf(&draw, "set xlabel 'seconds into the measured window (intervals of %g s)'\n",
                  interval);
    else
        pl_puts(&draw, "set xlabel 'seconds into the measured window'\n");
    pl_axis_emit(&draw, &lat, 'y');
    pl_puts(&draw, lat.empty ? "set label 1 'no latencies' at graph 0.5, graph 0.5 center\n"
                             : "unset label 1\n");
    first = true;
    for (size_t i = 0; i < nlines; i++) {
        size_t b = s->row_b[lines[i].row], sh = lines[i].shape;
        clause(&draw, &first, datfile);
        if (points)
            pl_printf(&draw,
                      " index %d using 1:5:(column(6) < %d ? %d : %d) with linespoints lc rgb "
                      "\"%s\" dt %zu lw 1.6 pt variable ps 0.9 notitle",
                      lines[i].block, LOW_SAMPLES, pt_open[sh], pt_filled[sh], pl_backend_color(b),
                      1 + sh);
        else
            pl_printf(&draw, " index %d using 1:5 with lines lc rgb \"%s\" dt %zu lw 1.6 notitle",
                      lines[i].block, pl_backend_color(b), 1 + sh);
    }
    pl_puts(&draw, "\nunset multiplot\n");

    pl_script(&gp, s, stem, width, height, &setup, &draw);
    snprintf(title, sizeof(title), "%s: throughput and p99 latency over time%s", s->groups[g].label,
             rep_title);
    if (pl_fig_write(s, PL_SEC_TIMESERIES, stem, title, &dat, &gp, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    free(lines);
    pl_buf_free(&dat);
    pl_buf_free(&setup);
    pl_buf_free(&draw);
    pl_buf_free(&gp);
    return rc;
}

int pl_ts_figures(struct pl_sweep *s, char *err, size_t errlen)
{
    size_t *rows = malloc((s->t->nrows ? s->t->nrows : 1) * sizeof(*rows));
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t g = 0; g < s->ngroups && rc == 0; g++)
        rc = ts_figure(s, g, rows, err, errlen);
    free(rows);
    return rc;
}
