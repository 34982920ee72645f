/*
 * plot_html.c - index.html: one self-contained page for a sweep (the PNGs
 * are embedded as data: URIs, so the file alone can be attached or mailed;
 * each links to its SVG, script and data beside it). It holds the sweep's
 * name, its configuration (the values every run had, and the axes swept),
 * the machine, every figure, what was left out, and the CSV as a table.
 * Every text from the CSV or the summaries is HTML-escaped.
 *
 * A small script marks images that did not load and counts those that did
 * in <body data-images-loaded="LOADED/TOTAL">, so a headless browser can
 * check that the page renders.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/machine.h"
#include "report/plot_int.h"
#include "util/fs.h"
#include "util/text.h"

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:0 auto;max-width:1280px;padding:1em 2em;color:#222}\n"
    "h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;margin-top:1.8em;"
    "border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "code{background:#f4f4f4;padding:0 .25em;border-radius:3px}\n"
    "nav a{margin-right:1em}\n"
    "table{border-collapse:collapse;font-size:12.5px}\n"
    "th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top;"
    "white-space:nowrap}\n"
    "th{background:#f4f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.failed td{background:#fde8e8}tr.violation td{background:#f6e6f6}\n"
    "tr.contended td:first-child{box-shadow:inset 4px 0 #e67e00}\n"
    ".contended{color:#b35900}\n"
    "td.low{font-style:italic;color:#8a6d00}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{color:#555;font-size:.9em}\n"
    "img.broken{outline:3px solid red}\n"
    ".swept{font-weight:600;color:#0b5394}\n"
    ".legend{color:#555}\n";

static const char script[] =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.querySelectorAll('img[data-plot]'), ok = 0;\n"
    "  for (var i = 0; i < imgs.length; i++) {\n"
    "    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
    "    else imgs[i].className += ' broken';\n"
    "  }\n"
    "  document.body.setAttribute('data-images-loaded', ok + '/' + imgs.length);\n"
    "});\n"
    "</script>\n";

/* A JSON scalar as text: strings as they are, reals with 3 decimals at most. */
static void scalar(struct pl_buf *b, json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        pl_html(b, json_string_value(v));
    else if (json_is_integer(v))
        pl_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        snprintf(tmp, sizeof(tmp), "%.3f", json_real_value(v));
        char *e = tmp + strlen(tmp);
        while (e > tmp && e[-1] == '0')
            *--e = '\0';
        if (e > tmp && e[-1] == '.')
            *--e = '\0';
        pl_puts(b, tmp);
    } else if (json_is_true(v) || json_is_false(v))
        pl_puts(b, json_is_true(v) ? "true" : "false");
    else {
        char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        pl_html(b, d ? d : "?");
        free(d);
    }
}

/* Adds v to the array of distinct values kept under key in acc. */
static void distinct(json_t *acc, const char *key, json_t *v)
{
    json_t *vals = json_object_get(acc, key);
    if (!vals) {
        vals = json_array();
        json_object_set_new(acc, key, vals);
    }
    size_t i;
    json_t *x;
    json_array_foreach(vals, i, x)
    {
        if (json_equal(x, v))
            return;
    }
    json_array_append(vals, v);
}

static double as_number(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : kvb_parse_number(json_string_value(v));
}

static int cmp_number(const void *a, const void *b)
{
    double x = as_number(*(json_t *const *)a), y = as_number(*(json_t *const *)b);
    return x < y ? -1 : x > y;
}

/* Puts the values in numeric order when they are all numbers (1, 4, 16
 * rather than the order of the runs); others keep the runs' order. */
static void sort_numeric(json_t *vals)
{
    size_t n = json_array_size(vals);
    json_t *v[64];
    if (n < 2 || n > 64)
        return;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(vals, i));
        if (isnan(as_number(v[i]))) {
            for (size_t j = 0; j <= i; j++)
                json_decref(v[j]);
            return;
        }
    }
    qsort(v, n, sizeof(v[0]), cmp_number);
    json_array_clear(vals);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(vals, v[i]);
}

static void config_section(const struct pl_sweep *s, struct pl_buf *h)
{
    pl_puts(h, "<h2 id=\"config\">Configuration</h2>\n");
    json_t *acc = json_object();
    for (size_t r = 0; r < s->t->nrows; r++) {
        json_t *cfg = json_object_get(s->row_run[r], "config");
        const char *k;
        json_t *v;
        json_object_foreach(cfg, k, v)
        {
            if (json_is_object(v)) {
                const char *k2;
                json_t *v2;
                json_object_foreach(v, k2, v2)
                {
                    char key[256];
                    snprintf(key, sizeof(key), "%s.%s", k, k2);
                    distinct(acc, key, v2);
                }
            } else {
                distinct(acc, k, v);
            }
        }
    }
    if (json_object_size(acc) == 0) {
        pl_puts(h, "<p>Not available: no run summaries (see <a href=\"#notes\">left "
                   "out</a>).</p>\n");
        json_decref(acc);
        return;
    }
    pl_puts(h, "<p>What the runs were given; <span class=\"swept\">blue</span> keys took "
               "several values (the sweep's axes, and the backends).</p>\n"
               "<div class=\"scroll\"><table>\n<tr><th>key</th><th>value</th></tr>\n");
    const char *k;
    json_t *vals;
    json_object_foreach(acc, k, vals)
    {
        sort_numeric(vals);
        bool swept = json_array_size(vals) > 1;
        pl_printf(h, "<tr><td%s>", swept ? " class=\"swept\"" : "");
        pl_html(h, k);
        pl_puts(h, "</td><td>");
        size_t i;
        json_t *v;
        json_array_foreach(vals, i, v)
        {
            pl_puts(h, i ? ", " : "");
            scalar(h, v);
        }
        pl_puts(h, "</td></tr>\n");
    }
    pl_puts(h, "</table></div>\n");
    json_decref(acc);
}

static void machine_section(const struct pl_sweep *s, struct pl_buf *h)
{
    pl_puts(h, "<h2 id=\"machine\">Machine</h2>\n");
    json_t *ms = json_array(), *counts = json_array();
    for (size_t r = 0; r < s->t->nrows; r++) {
        json_t *m = json_object_get(s->row_run[r], "machine");
        if (!json_is_object(m))
            continue;
        size_t i;
        json_t *x;
        bool found = false;
        json_array_foreach(ms, i, x)
        {
            if (json_equal(x, m)) {
                json_t *c = json_array_get(counts, i);
                json_integer_set(c, json_integer_value(c) + 1);
                found = true;
                break;
            }
        }
        if (!found) {
            json_array_append(ms, m);
            json_array_append_new(counts, json_integer(1));
        }
    }
    if (json_array_size(ms) == 0)
        pl_puts(h, "<p>Not available: no run summaries (see <a href=\"#notes\">left "
                   "out</a>).</p>\n");
    if (json_array_size(ms) > 1)
        pl_puts(h, "<p><strong>The runs did not all run on the same machine:</strong> compare "
                   "their figures with care.</p>\n");
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m)
    {
        pl_puts(h, "<table>\n");
        if (json_array_size(ms) > 1)
            pl_printf(h, "<tr><th colspan=\"2\">%lld runs</th></tr>\n",
                      (long long)json_integer_value(json_array_get(counts, i)));
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v)
        {
            pl_puts(h, "<tr><th>");
            pl_html(h, k);
            pl_puts(h, "</th><td>");
            scalar(h, v);
            pl_puts(h, "</td></tr>\n");
        }
        pl_puts(h, "</table>\n");
    }
    json_decref(ms);
    json_decref(counts);
}

static bool has_section(const struct pl_sweep *s, enum pl_section sec)
{
    for (size_t i = 0; i < s->nfigs; i++)
        if (s->figs[i].section == sec)
            return true;
    return false;
}

static int figures_section(const struct pl_sweep *s, struct pl_buf *h, enum pl_section sec,
                           char *err, size_t errlen)
{
    static const char *const head[PL_SEC_COUNT][2] = {
        {"latency", "Latency by configuration, per backend"},
        {"compare", "Backends compared"},
        {"dist", "Latency distributions"},
        {"timeseries", "Over time"},
    };
    /* Only runs with report_interval have time series: no section without. */
    if (sec == PL_SEC_TIMESERIES && !has_section(s, sec))
        return 0;
    pl_printf(h, "<h2 id=\"%s\">%s</h2>\n", head[sec][0], head[sec][1]);
    if (sec == PL_SEC_DIST)
        pl_puts(h, "<p class=\"legend\">Latency against percentile on a &ldquo;nines&rdquo; "
                   "axis. Each line stops at the highest percentile its sample count n "
                   "resolves (n&nbsp;&times;&nbsp;(1&nbsp;&minus;&nbsp;p) &ge; 1).</p>\n");
    if (sec == PL_SEC_TIMESERIES)
        pl_puts(h, "<p class=\"legend\">Throughput and p99 latency per interval of "
                   "<code>report_interval</code> seconds of the measured window, one line per "
                   "backend (colour) and role (dash and point shape). An operation counts in "
                   "the interval it was due to start in, so under a fixed rate a stall shows "
                   "first as a p99 spike; under a closed loop, as a throughput dip. An open "
                   "point is a p99 from fewer than 100 samples; a gap, an interval in which "
                   "nothing completed. A last interval cut short by the end of the run is "
                   "drawn over the part inside it.</p>\n");
    size_t shown = 0;
    for (size_t i = 0; i < s->nfigs; i++) {
        const struct pl_fig *f = &s->figs[i];
        if (f->section != sec)
            continue;
        char path[PATH_MAX];
        char *png;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s.png", s->outdir, f->stem);
        if (kvb_read_file(path, 0, &png, &len, NULL, 0) != 0 || len == 0) {
            free(png);
            snprintf(err, errlen, "%s: cannot read the image gnuplot drew", path);
            return -1;
        }
        pl_puts(h, "<figure id=\"");
        pl_html(h, f->stem);
        pl_puts(h, "\"><a href=\"");
        pl_html(h, f->stem);
        pl_puts(h, ".svg\"><img data-plot=\"");
        pl_html(h, f->stem);
        pl_puts(h, "\" alt=\"");
        pl_html(h, f->title);
        pl_puts(h, "\" src=\"data:image/png;base64,");
        pl_base64(h, (const unsigned char *)png, len);
        free(png);
        pl_puts(h, "\"></a>\n<figcaption>");
        pl_html(h, f->title);
        static const char *const ext[][2] = {
            {"png", "PNG"}, {"svg", "SVG"}, {"gp", "gnuplot script"}, {"dat", "data"}};
        for (size_t e = 0; e < 4; e++) {
            pl_puts(h, " &middot; <a href=\"");
            pl_html(h, f->stem);
            pl_printf(h, ".%s\">%s</a>", ext[e][0], ext[e][1]);
        }
        pl_puts(h, "</figcaption></figure>\n");
        shown++;
    }
    if (!shown)
        pl_puts(h, "<p>None (see <a href=\"#notes\">left out</a>).</p>\n");
    return 0;
}

static bool numeric(const char *c)
{
    return !isnan(kvb_parse_number(c));
}

/* A table of the given columns (all when cols is NULL) of every row. */
static void csv_table(const struct pl_sweep *s, struct pl_buf *h, const char *const *cols)
{
    const struct kvb_table *t = s->t;
    size_t n = 0;
    int idx[64];
    if (cols) {
        for (; cols[n]; n++)
            idx[n] = kvb_table_col(t, cols[n]);
    }
    size_t ncols = cols ? n : t->ncols;
    pl_puts(h, "<div class=\"scroll\"><table>\n<tr>");
    for (size_t c = 0; c < ncols; c++) {
        int ci = cols ? idx[c] : (int)c;
        if (ci < 0)
            continue;
        pl_puts(h, "<th>");
        pl_html(h, t->cols[ci]);
        pl_puts(h, "</th>");
    }
    pl_puts(h, "</tr>\n");
    int wlow = kvb_table_col(t, "writer_low_samples"), rlow = kvb_table_col(t, "read_low_samples");
    for (size_t r = 0; r < t->nrows; r++) {
        const char *st = pl_cell(s, r, "status");
        pl_printf(h, "<tr class=\"%s%s\"%s>",
                  strcmp(st, "ok") == 0          ? "ok"
                  : strcmp(st, "violation") == 0 ? "violation"
                                                 : "failed",
                  pl_contended(s, r) ? " contended" : "",
                  pl_contended(s, r) ? " title=\"ran under CPU contention\"" : "");
        for (size_t c = 0; c < ncols; c++) {
            int ci = cols ? idx[c] : (int)c;
            if (ci < 0)
                continue;
            const char *v = t->rows[r][ci], *name = t->cols[ci];
            int lowc = strncmp(name, "writer_p", 8) == 0 ? wlow
                       : strncmp(name, "read_p", 6) == 0 ? rlow
                                                         : -1;
            bool low = lowc >= 0 && *v && kvb_parse_number(t->rows[r][lowc]) > 0;
            pl_printf(h, "<td%s%s>", numeric(v) ? " class=\"n" : "",
                      numeric(v) ? (low ? " low\" title=\"fewer than 100 samples\"" : "\"") : "");
            pl_html(h, v);
            pl_puts(h, "</td>");
        }
        pl_puts(h, "</tr>\n");
    }
    pl_puts(h, "</table></div>\n");
}

int pl_html_index(struct pl_sweep *s, char *err, size_t errlen)
{
    static const char *const summary_cols[] = {
        "config_label",
        "backend",
        "status",
        "num_writers",
        "writer_rate",
        "num_readers",
        "reader_rate",
        "write_tps",
        "writer_p50_ms",
        "writer_p99_ms",
        "read_p50_ms",
        "read_p99_ms",
        "precondition_failure_rate",
        "contended",
        "cpu_pressure_pct",
        "failure_reason",
        NULL,
    };
    struct pl_buf h = {0};
    size_t failed = 0, viol = 0, contended = 0;
    int rc = -1;
    for (size_t r = 0; r < s->t->nrows; r++) {
        const char *st = pl_cell(s, r, "status");
        failed += strcmp(st, "ok") != 0 && strcmp(st, "violation") != 0;
        viol += strcmp(st, "violation") == 0;
        contended += pl_contended(s, r);
    }

    pl_puts(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>kvbench sweep ");
    pl_html(&h, s->name);
    pl_printf(&h, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>kvbench sweep <code>",
              style);
    pl_html(&h, s->name);
    pl_printf(&h, "</code></h1>\n<p>%zu runs: ", s->t->nrows);
    for (size_t b = 0; b < s->nbackends; b++) {
        pl_puts(&h, b ? ", " : "");
        pl_puts(&h, "<code>");
        pl_html(&h, s->backends[b]);
        pl_puts(&h, "</code>");
    }
    pl_printf(&h,
              " over %zu configurations; <strong>%zu failed</strong>, <strong>%zu with "
              "violations</strong>",
              s->ngroups, failed, viol);
    if (contended)
        pl_printf(&h,
                  ", <strong class=\"contended\">%zu under CPU contention</strong> (see "
                  "<a href=\"#contention\">below</a>)",
                  contended);
    pl_puts(&h, ". From <code>");
    pl_html(&h, s->csv);
    pl_puts(&h, "</code>.</p>\n"
                "<nav><a href=\"#machine\">Machine</a><a href=\"#config\">Configuration</a>"
                "<a href=\"#latency\">Latency</a><a href=\"#compare\">Backends compared</a>"
                "<a href=\"#dist\">Distributions</a>");
    if (has_section(s, PL_SEC_TIMESERIES))
        pl_puts(&h, "<a href=\"#timeseries\">Over time</a>");
    pl_puts(&h, "<a href=\"#results\">Results</a>");
    if (s->nnotes)
        pl_puts(&h, "<a href=\"#notes\">Left out</a>");
    pl_puts(&h, "</nav>\n"
                "<p class=\"legend\">On the figures: a red &times; on the x axis is a failed run "
                "(in the comparisons, a &times; in the backend&rsquo;s colour); a triangle, a run "
                "whose verification failed; a black circle, a percentile from fewer than 100 "
                "samples; an orange diamond (in the comparisons, a diamond in the "
                "backend&rsquo;s colour), a run under CPU contention. A y axis is logarithmic "
                "when its values span more than two decades.</p>\n");
    if (contended)
        pl_printf(&h,
                  "<p class=\"legend contended\" id=\"contention\"><strong>%zu of %zu runs "
                  "met CPU contention</strong> (<code>contended</code> = yes, marked in the "
                  "tables by an orange edge): some task waited for a CPU during %g%% of the "
                  "run or more (<code>cpu_pressure_pct</code>, from the kernel&rsquo;s "
                  "/proc/pressure/cpu), or, without it, the load average per core passed %g. "
                  "Runs beside each other and other load on the machine share its cores, so "
                  "these figures can be slower than the engine is: compare them with "
                  "care.</p>\n",
                  contended, s->t->nrows, KVB_CONTENDED_PRESSURE_PCT, KVB_CONTENDED_LOAD_PER_CORE);
    bool repeated = false;
    for (size_t r = 0; r < s->t->nrows; r++)
        repeated |= s->row_nrep && s->row_nrep[r] > 1;
    if (repeated)
        pl_puts(&h, "<p class=\"legend\">Configurations run several times "
                    "(<code>repeat</code>): their row, and the figures by configuration, hold "
                    "the median of the repeats; the distributions and time series draw one "
                    "run, repeat 1, as their titles say.</p>\n");

    machine_section(s, &h);
    config_section(s, &h);
    for (int sec = 0; sec < PL_SEC_COUNT; sec++)
        if (figures_section(s, &h, (enum pl_section)sec, err, errlen) != 0)
            goto out;
    if (s->nnotes) {
        pl_puts(&h, "<h2 id=\"notes\">Left out</h2>\n<ul>\n");
        for (size_t i = 0; i < s->nnotes; i++) {
            pl_puts(&h, "<li>");
            pl_html(&h, s->notes[i]);
            pl_puts(&h, "</li>\n");
        }
        pl_puts(&h, "</ul>\n");
    }
    pl_puts(&h, "<h2 id=\"results\">Results</h2>\n");
    csv_table(s, &h, summary_cols);
    pl_printf(&h, "<details>\n<summary>All %zu columns (the CSV)</summary>\n", s->t->ncols);
    csv_table(s, &h, NULL);
    pl_printf(&h, "</details>\n%s</body>\n</html>\n", script);
    rc = pl_buf_write(&h, s->outdir, "index.html", err, errlen);
out:
    pl_buf_free(&h);
    return rc;
}
