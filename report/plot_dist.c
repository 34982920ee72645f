/*
 * plot_dist.c - the runs' JSON summaries, matched to the CSV's rows, and
 * the latency distribution figures drawn from them: one per configuration
 * label, a panel per client role (writer, reader, random writer), one line
 * per backend, latency against percentile on HdrHistogram's "nines" axis
 * (x = 1 / (1 - p/100), log-scaled, so 90%, 99%, 99.9% ... are equally
 * spaced).
 *
 * A line ends at the highest percentile its sample count resolves: beyond
 * p where n * (1 - p/100) < 1 the summary repeats the maximum, and drawing
 * that as a flat tail would claim a knowledge of the tail the run does not
 * have. Runs with fewer than 100 samples are circled; failed runs, which
 * have no distribution, are listed in the legend with their marker.
 *
 * A configuration run `repeat: N` times has one row (the median of its
 * runs) and N summaries, runs/NNNN-rK-LABEL-BACKEND.json: the row is
 * matched to repeat 1 (the lowest K there is when that one is missing,
 * with a note), and its figures say which repeat they draw.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot_int.h"
#include "util/sort.h"
#include "util/text.h"

/* The *.json names in dir, sorted; *names malloc'd (free each and it). */
static int list_json(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(*names, cap * sizeof(*nn));
            if (!nn)
                goto oom;
            *names = nn;
        }
        if (!((*names)[*n] = strdup(e->d_name)))
            goto oom;
        (*n)++;
    }
    closedir(d);
    kvb_sort_strings(*names, *n);
    return 0;
oom:
    closedir(d);
    for (size_t i = 0; i < *n; i++)
        free((*names)[i]);
    free(*names);
    *names = NULL;
    *n = 0;
    errno = ENOMEM;
    return -1;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* A count kept as a JSON number or a string of digits; 0 when neither. */
static unsigned json_count(json_t *v)
{
    double d = json_is_number(v) ? json_number_value(v) : kvb_parse_number(json_string_value(v));
    return d >= 1 && d <= 1e6 ? (unsigned)d : 0;
}

/* N of a summary's `repeat: N` (its config, else its row); 1 when absent. */
static unsigned repeats_of(json_t *doc)
{
    unsigned n = json_count(json_object_get(json_object_get(doc, "config"), "repeat"));
    if (!n)
        n = json_count(json_object_get(json_object_get(doc, "row"), "repeat"));
    return n ? n : 1;
}

/* K of a summary named NNNN-rK-STEM.json (the scheduler's name for run K of
 * a configuration repeated N > 1 times, K = 1..N); 0 when the name has no
 * such tag. Only asked when N > 1: a label of its own that starts with
 * "rK-" is then after the tag, never in its place. */
static unsigned repeat_tag(const char *file, unsigned nrep)
{
    const char *p = file;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    if (p[0] != '-' || p[1] != 'r' || !isdigit((unsigned char)p[2]))
        return 0;
    char *end;
    unsigned long k = strtoul(p + 2, &end, 10);
    return *end == '-' && k >= 1 && k <= nrep ? (unsigned)k : 0;
}

int pl_runs_load(struct pl_sweep *s, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0;
    int rc = -1;

    unsigned *run_rep = NULL, *run_nrep = NULL;
    if (!(s->row_run = calloc(s->t->nrows, sizeof(*s->row_run))) ||
        !(s->row_rep = calloc(s->t->nrows, sizeof(*s->row_rep))) ||
        !(s->row_nrep = calloc(s->t->nrows, sizeof(*s->row_nrep))))
        goto oom;
    if (list_json(s->runs_dir, &names, &n) != 0) {
        if (errno == ENOMEM)
            goto oom;
        if (pl_note(s,
                    "No run summaries: %s: %s. Latency distributions, the configuration and "
                    "the machine are left out.",
                    s->runs_dir, strerror(errno)) != 0)
            goto oom;
        return 0;
    }
    if (!(s->runs = calloc(n ? n : 1, sizeof(*s->runs))) ||
        !(run_rep = calloc(n ? n : 1, sizeof(*run_rep))) ||
        !(run_nrep = calloc(n ? n : 1, sizeof(*run_nrep))))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        json_error_t je;
        snprintf(path, sizeof(path), "%s/%s", s->runs_dir, names[i]);
        json_t *doc = json_load_file(path, 0, &je);
        if (!doc || !json_is_object(doc) || !json_is_string(json_object_get(doc, "label")) ||
            !json_is_string(json_object_get(doc, "backend"))) {
            int e = doc ? pl_note(s, "%s: not a run summary (no label or backend); left out.", path)
                        : pl_note(s, "%s:%d: %s; left out.", path, je.line, je.text);
            json_decref(doc);
            if (e != 0)
                goto oom;
            continue;
        }
        run_nrep[s->nruns] = repeats_of(doc);
        run_rep[s->nruns] = run_nrep[s->nruns] > 1 ? repeat_tag(names[i], run_nrep[s->nruns]) : 0;
        s->runs[s->nruns++] = doc;
    }

    /* Each row's summary: same label and backend, and same run_index when
     * both have one. A configuration run N > 1 times has N summaries of the
     * same label, backend and run_index, and one row (their median): the
     * row gets repeat 1, or failing that the lowest repeat there is. */
    size_t missing = 0, not_first = 0;
    char first[512] = "", first_rep[512] = "";
    for (size_t r = 0; r < s->t->nrows; r++) {
        const char *label = pl_cell(s, r, "config_label"), *be = pl_cell(s, r, "backend");
        double idx = kvb_parse_number(pl_cell(s, r, "run_index"));
        unsigned best = UINT_MAX;
        for (size_t i = 0; i < s->nruns && best > 1; i++) {
            json_t *doc = s->runs[i];
            json_t *ji = json_object_get(doc, "run_index");
            if (strcmp(jstr(doc, "label"), label) != 0 || strcmp(jstr(doc, "backend"), be) != 0)
                continue;
            if (!isnan(idx) && json_is_number(ji) && json_number_value(ji) != idx)
                continue;
            /* Once run: rank 0, taken. Repeated: rank K; untagged last. */
            unsigned rank = run_nrep[i] < 2 ? 0 : run_rep[i] ? run_rep[i] : UINT_MAX - 1;
            if (rank >= best)
                continue;
            best = rank;
            s->row_run[r] = doc;
            s->row_rep[r] = run_nrep[i] > 1 ? run_rep[i] : 0;
            s->row_nrep[r] = run_nrep[i] > 1 ? run_nrep[i] : 0;
        }
        if (!s->row_run[r] && missing++ == 0)
            snprintf(first, sizeof(first), "%s on %s", label, be);
        if (s->row_run[r] && s->row_nrep[r] && s->row_rep[r] != 1 && not_first++ == 0) {
            if (s->row_rep[r])
                snprintf(first_rep, sizeof(first_rep), "%s on %s, which draws repeat %u of %u",
                         label, be, s->row_rep[r], s->row_nrep[r]);
            else
                snprintf(first_rep, sizeof(first_rep),
                         "%s on %s, which draws a summary not named NNNN-rK-...", label, be);
        }
    }
    if (missing && pl_note(s,
                           "%zu of %zu rows have no run summary in %s (the first: %s); their "
                           "latency distributions and time series are left out.",
                           missing, s->t->nrows, s->runs_dir, first) != 0)
        goto oom;
    if (not_first && pl_note(s,
                             "%zu of %zu rows of repeated configurations have no summary of "
                             "their repeat 1 in %s; their distributions and time series draw "
                             "the lowest repeat there is (the first: %s).",
                             not_first, s->t->nrows, s->runs_dir, first_rep) != 0)
        goto oom;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(run_rep);
    free(run_nrep);
    return rc;
}

void pl_repeat_title(const struct pl_sweep *s, const size_t *rows, size_t nrows, char *out,
                     size_t n)
{
    unsigned nrep = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nrows; i++) {
        size_t r = rows[i];
        if (!s->row_run[r])
            continue;
        if (s->row_rep[r] != 1 || (nrep && s->row_nrep[r] != nrep))
            return;
        nrep = s->row_nrep[r];
    }
    if (nrep)
        snprintf(out, n, " - repeat 1 of %u", nrep);
}

void pl_repeat_tag(const struct pl_sweep *s, size_t r, bool title_says, char *out, size_t n)
{
    out[0] = '\0';
    if (title_says || !s->row_run[r] || !s->row_nrep[r])
        return;
    if (s->row_rep[r])
        snprintf(out, n, " (repeat %u of %u)", s->row_rep[r], s->row_nrep[r]);
    else
        snprintf(out, n, " (one of %u repeats)", s->row_nrep[r]);
}

void pl_runs_free(struct pl_sweep *s)
{
    for (size_t i = 0; i < s->nruns; i++)
        json_decref(s->runs[i]);
    free(s->runs);
    free(s->row_run);
    free(s->row_rep);
    free(s->row_nrep);
    s->runs = NULL;
    s->row_run = NULL;
    s->row_rep = s->row_nrep = NULL;
    s->nruns = 0;
}

static const struct {
    const char *key, *title;
} roles[] = {
    {"writer_latency", "writer latency"},
    {"reader_latency", "reader latency"},
    {"random_writer_latency", "random writer latency"},
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

/* The lowest and highest percentile drawn: the "nines" axis runs 50% .. 99.999%. */
#define P_LO 50.0
#define P_HI 99.999

static json_t *hist_of(json_t *run, size_t role)
{
    json_t *h = json_object_get(json_object_get(run, "histograms"), roles[role].key);
    json_t *pts = json_object_get(h, "percentiles");
    return json_is_array(pts) && json_array_size(pts) > 0 ? h : NULL;
}

/* Whether percentile p of n samples is more than the maximum repeated. */
static bool resolved(double p, double n)
{
    return n * (1 - p / 100) >= 1 - 1e-9;
}

/* Calls fn for every point of h that is drawn. */
static void each_point(json_t *h, void (*fn)(void *, double x, double p, double ms), void *ctx)
{
    double n = json_number_value(json_object_get(h, "count"));
    json_t *pts = json_object_get(h, "percentiles"), *pt;
    size_t i;
    json_array_foreach(pts, i, pt)
    {
        double p = json_number_value(json_array_get(pt, 0));
        double ms = json_number_value(json_array_get(pt, 1));
        if (p < P_LO - 1e-9 || p > P_HI + 1e-9 || !resolved(p, n) || !isfinite(ms))
            continue;
        fn(ctx, 1 / (1 - p / 100), p, ms);
    }
}

static void add_to_axis(void *ctx, double x, double p, double ms)
{
    (void)x;
    (void)p;
    pl_axis_add(ctx, ms);
}

static void write_point(void *ctx, double x, double p, double ms)
{
    pl_printf(ctx, "%.9g %.9g %.9g\n", x, p, ms);
}

size_t pl_group_rows(const struct pl_sweep *s, size_t g, size_t *rows)
{
    size_t n = 0;
    for (size_t b = 0; b < s->nbackends; b++)
        for (size_t r = 0; r < s->t->nrows; r++)
            if (s->row_x[r] == g && s->row_b[r] == b)
                rows[n++] = r;
    return n;
}

/* Legend entries for the rows of a group that have no line; with draw NULL,
 * only counts them. Returns how many. */
static size_t keyentries(const struct pl_sweep *s, const size_t *rows, size_t nrows, size_t role,
                         struct pl_buf *draw, bool *first)
{
    char t[512];
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++) {
        size_t r = rows[i];
        const char *st = pl_cell(s, r, "status"), *be = s->backends[s->row_b[r]];
        json_t *run = s->row_run[r];
        const char *style = NULL;
        if (run && hist_of(run, role)) {
            if (strcmp(st, "violation") != 0)
                continue;
            style = PL_STYLE_VIOLATION;
            snprintf(t, sizeof(t), "%s: verification failed", be);
        } else if (strcmp(st, "ok") != 0 && strcmp(st, "violation") != 0) {
            const char *why = pl_cell(s, r, "failure_reason");
            style = PL_STYLE_FAILED;
            snprintf(t, sizeof(t), "%s: failed run%s%.40s%s", be, *why ? ": " : "", why,
                     strlen(why) > 40 ? "..." : "");
        } else if (!run) {
            style = "pt 1 ps 1.5 lc rgb \"#808080\"";
            snprintf(t, sizeof(t), "%s: no run summary", be);
        } else {
            continue; /* the role has no clients in this run */
        }
        n++;
        if (!draw)
            continue;
        pl_puts(draw, *first ? "plot " : ", \\\n     ");
        *first = false;
        pl_printf(draw, "keyentry with points %s title ", style);
        pl_gp_str(draw, t);
    }
    return n;
}

/* Entries in the legend of role k's panel: a line per run with the role's
 * histogram, the low-samples marker if any, and the keyentries. */
static size_t panel_entries(const struct pl_sweep *s, const size_t *rows, size_t nrows, size_t k)
{
    size_t n = keyentries(s, rows, nrows, k, NULL, NULL);
    bool low = false;
    for (size_t i = 0; i < nrows; i++) {
        json_t *h = s->row_run[rows[i]] ? hist_of(s->row_run[rows[i]], k) : NULL;
        if (h) {
            n++;
            low |= json_is_true(json_object_get(h, "low_samples"));
        }
    }
    return n + low;
}

static int dist_figure(struct pl_sweep *s, size_t g, size_t *rows, char *err, size_t errlen)
{
    struct pl_buf dat = {0}, setup = {0}, draw = {0}, gp = {0};
    char stem[PATH_MAX / 4], title[1024];
    int nblocks = 0, rc = -1;
    size_t nrows = pl_group_rows(s, g, rows);
    bool panel[NROLES] = {false}, any_run = false;

    for (size_t i = 0; i < nrows; i++) {
        any_run |= s->row_run[rows[i]] != NULL;
        for (size_t k = 0; k < NROLES; k++)
            panel[k] |= s->row_run[rows[i]] && hist_of(s->row_run[rows[i]], k);
    }
    if (!any_run && s->nruns == 0)
        return 0; /* no summaries at all: noted once already */
    size_t npanels = 0;
    for (size_t k = 0; k < NROLES; k++)
        npanels += panel[k];
    if (npanels == 0) {
        panel[0] = true; /* a panel to say there is nothing, and why */
        npanels = 1;
    }

    snprintf(stem, sizeof(stem), "%s-dist-%s", s->name_stem, s->gstem[g]);
    char datfile[PATH_MAX];
    snprintf(datfile, sizeof(datfile), "%s.dat", stem);
    pl_printf(&dat, "# %s.dat - latency distributions of configuration ", stem);
    pl_comment(&dat, s->groups[g].label);
    pl_puts(&dat, ", sweep ");
    pl_comment(&dat, s->name);
    pl_puts(&dat, "\n# columns: x = 1/(1 - p/100) (the nines axis), p (percentile), latency_ms\n"
                  "# each line stops at the highest percentile its sample count n resolves "
                  "(n * (1 - p/100) >= 1)\n");

    pl_puts(&setup, "set border 3 lc rgb '#404040'\n"
                    "set tics nomirror out scale 0.6\n"
                    "set grid xtics ytics lt 1 lc rgb '#e0e0e0' lw 1\n"
                    "set key outside below center vertical maxcols 1 Left reverse samplen 3 "
                    "spacing 1.2\n"
                    "set logscale x 10\n"
                    "set xrange [1.8:1.25e5]\n"
                    "set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, "
                    "'99.999%%' 100000)\n"
                    "set mxtics default\n"
                    "set xlabel 'percentile'\n"
                    "set ylabel 'latency (ms)'\n");

    /* The legends go below the panels, one entry a line; the same bottom
     * margin for every panel keeps their axes aligned. */
    size_t entries = 1;
    for (size_t k = 0; k < NROLES; k++) {
        size_t e = panel[k] ? panel_entries(s, rows, nrows, k) : 0;
        if (e > entries)
            entries = e;
    }
    pl_printf(&setup, "set bmargin %.1f\n", 4.5 + 1.25 * (double)entries);

    char rep_title[64], tag[64];
    pl_repeat_title(s, rows, nrows, rep_title, sizeof(rep_title));
    snprintf(title, sizeof(title), "%s: latency distribution by backend - sweep %s%s",
             s->groups[g].label, s->name, rep_title);
    pl_printf(&draw, "set multiplot layout 1,%zu title ", npanels);
    pl_gp_str(&draw, title);
    pl_puts(&draw, " font ',13'\n");

    for (size_t k = 0; k < NROLES; k++) {
        if (!panel[k])
            continue;
        struct pl_axis ax;
        pl_axis_init(&ax);
        for (size_t i = 0; i < nrows; i++) {
            json_t *h = s->row_run[rows[i]] ? hist_of(s->row_run[rows[i]], k) : NULL;
            if (h)
                each_point(h, add_to_axis, &ax);
        }
        pl_axis_done(&ax);
        pl_puts(&draw, "set title ");
        pl_gp_str(&draw, roles[k].title);
        pl_puts(&draw, " font ',11'\n");
        pl_axis_emit(&draw, &ax, 'y');
        pl_puts(&draw, ax.empty ? "set label 1 'no distribution' at graph 0.5, graph 0.5 center\n"
                                : "unset label 1\n");

        bool first = true, any_low = false;
        for (size_t i = 0; i < nrows; i++) {
            size_t r = rows[i], b = s->row_b[r];
            json_t *h = s->row_run[r] ? hist_of(s->row_run[r], k) : NULL;
            if (!h)
                continue;
            double n = json_number_value(json_object_get(h, "count"));
            bool lowh = json_is_true(json_object_get(h, "low_samples"));
            char what[512];
            snprintf(what, sizeof(what), "%s %s (n=%.0f%s): x p latency_ms", s->backends[b],
                     roles[k].key, n, lowh ? ", fewer than 100 samples" : "");
            int blk = pl_block(&dat, &nblocks, what);
            each_point(h, write_point, &dat);
            pl_puts(&draw, first ? "plot " : ", \\\n     ");
            if (first)
                pl_gp_str(&draw, datfile);
            else
                pl_puts(&draw, "''");
            first = false;
            pl_printf(&draw,
                      " index %d using 1:3 with linespoints lc rgb \"%s\" lw 1.8 pt 7 ps 0.6 "
                      "title ",
                      blk, pl_backend_color(b));
            pl_repeat_tag(s, r, rep_title[0] != '\0', tag, sizeof(tag));
            snprintf(what, sizeof(what), "%s (n=%.0f)%s%s", s->backends[b], n, tag,
                     pl_contended_tag(s, r));
            pl_gp_str(&draw, what);
            any_low |= lowh;
        }
        if (any_low) {
            /* The points of every line resting on fewer than 100 samples, circled. */
            char what[128];
            snprintf(what, sizeof(what), "%s: points from fewer than 100 samples: x p latency_ms",
                     roles[k].key);
            int low = pl_block(&dat, &nblocks, what);
            for (size_t i = 0; i < nrows; i++) {
                json_t *h = s->row_run[rows[i]] ? hist_of(s->row_run[rows[i]], k) : NULL;
                if (h && json_is_true(json_object_get(h, "low_samples")))
                    each_point(h, write_point, &dat);
            }
            pl_puts(&draw, first ? "plot " : ", \\\n     ");
            if (first)
                pl_gp_str(&draw, datfile);
            else
                pl_puts(&draw, "''");
            first = false;
            pl_printf(&draw, " index %d using 1:3 with points %s title 'fewer than 100 samples'",
                      low, PL_STYLE_LOW);
        }
        if (first) {
            pl_puts(&draw, "plot 1e300 notitle");
            first = false;
        }
        keyentries(s, rows, nrows, k, &draw, &first);
        pl_puts(&draw, "\n");
    }
    pl_puts(&draw, "unset multiplot\n");

    int width = npanels == 1 ? 900 : 620 * (int)npanels;
    pl_script(&gp, s, stem, width, 470 + 20 * (int)entries, &setup, &draw);
    snprintf(title, sizeof(title), "%s: latency distribution by backend%s", s->groups[g].label,
             rep_title);
    if (pl_fig_write(s, PL_SEC_DIST, stem, title, &dat, &gp, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    pl_buf_free(&dat);
    pl_buf_free(&setup);
    pl_buf_free(&draw);
    pl_buf_free(&gp);
    return rc;
}

int pl_dist_figures(struct pl_sweep *s, char *err, size_t errlen)
{
    size_t *rows = malloc(s->t->nrows * sizeof(*rows));
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t g = 0; g < s->ngroups && rc == 0; g++)
        rc = dist_figure(s, g, rows, err, errlen);
    free(rows);
    return rc;
}
