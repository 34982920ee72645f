/* row.c - one run as a row of the comparison CSV (see row.h). */
#include "cli/row.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROLE_COLUMNS(p)                                                                            \
    p "_p999_ms", p "_max_ms", p "_mean_ms", p "_svc_p50_ms", p "_svc_p99_ms", p "_samples",       \
        p "_low_samples", p "_behind_schedule"

const char *const kvb_columns[] = {
    /* promised by name */
    "config_label", "backend", "status", "num_writers", "num_readers", "writer_rate",
    "reader_rate", "duration_secs", "total_writes", "total_reads", "write_tps", "read_tps",
    "writer_p50_ms", "writer_p95_ms", "writer_p99_ms", "read_p50_ms", "read_p95_ms",
    "read_p99_ms", "precondition_failure_rate", "retry_failures", "isolation_violations",
    "random_writes", "random_write_tps", "random_writer_p50_ms", "random_writer_p95_ms",
    "random_writer_p99_ms",
    /* what happened */
    "run_index", "failure_reason", "verification", "verification_detail", "first_violation",
    /* the rest of the configuration */
    "num_random_writers", "random_writer_rate", "ops_per_txn", "key_count", "preload",
    "value_size", "sync", "arrival", "warmup_secs", "max_retry_count", "seed",
    /* detail per role */
    ROLE_COLUMNS("writer"), ROLE_COLUMNS("read"), ROLE_COLUMNS("random_writer"),
    /* compactors and scanners */
    "compactor_ops", "compactor_tps", "compactor_p50_ms", "compactor_p95_ms", "compactor_p99_ms",
    ROLE_COLUMNS("compactor"), "compactor_conflicts", "compactor_precondition_failure_rate",
    "compactor_retry_failures", "scans", "scan_tps", "scanner_p50_ms", "scanner_p95_ms",
    "scanner_p99_ms", ROLE_COLUMNS("scanner"), "scanned_keys",
    /* the workload's shape */
    "key_distribution", "key_overlap_ratio", "delete_ratio", "read_before_write",
    "num_compactors", "num_scanners", "repeat",
    /* conflicts */
    "writer_conflicts", "writer_attempts_mean", "writer_attempts_max", "random_writer_conflicts",
    "random_writer_precondition_failure_rate", "random_retry_failures", "read_conflicts",
    "errors", "acked_commits", "final_head", "preload_secs",
    /* the process and the engine */
    "cpu_user_secs", "cpu_sys_secs", "peak_rss_mb", "io_write_bytes",
    /* the engine's counters over the measured window, then over the whole run
     * (open, preload and warmup included): kvb_engine_counter_table's names */
    "disk_bytes_written", "user_bytes_written", "write_amplification", "write_stalls", "stall_ms",
    "prep_bytes_written", "disk_bytes_written_total", "user_bytes_written_total",
    "write_amplification_total", "write_stalls_total", "stall_ms_total", "prep_bytes_written_total",
    "durable_lag_p50_ms", "durable_lag_p99_ms", "durable_lag_max_ms", "durable_lag_dropped",
    "visible_lag_p50_ms", "visible_lag_p99_ms", "visible_lag_max_ms",
    /* spread over `repeat` runs */
    "repeats_done", "write_tps_min", "write_tps_max", "read_tps_min", "read_tps_max",
    "random_write_tps_min", "random_write_tps_max", "writer_p99_ms_min", "writer_p99_ms_max",
    "read_p99_ms_min", "read_p99_ms_max", "random_writer_p99_ms_min", "random_writer_p99_ms_max",
    /* the process as the sweep's parent sampled it, once a second after warmup */
    "rss_sampled_max_mb", "rss_growth_mb", "rss_anon_growth_mb", "open_fds_max",
    "open_fds_growth", "window_secs",
    /* context */
    "overlapping_runs", "start_time", "swept", "backend_options",
    /* each role's own measured window: its *_tps is its operations over it */
    "writer_window_secs", "read_window_secs", "random_writer_window_secs",
    "compactor_window_secs", "scanner_window_secs",
};
const size_t kvb_ncolumns = sizeof(kvb_columns) / sizeof(kvb_columns[0]);

int kvb_column_index(const char *name)
{
    for (size_t i = 0; i < kvb_ncolumns; i++)
        if (strcmp(kvb_columns[i], name) == 0)
            return (int)i;
    return -1;
}

struct row {
    char **cells;
    int failed; /* an allocation failed */
};

static void set(struct row *r, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set(struct row *r, const char *col, const char *fmt, ...)
{
    int i = kvb_column_index(col);
    if (i < 0) {
        fprintf(stderr, "kvbench: internal error: no column '%s'\n", col);
        abort();
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
        r->failed = 1;
    }
    va_end(ap);
    free(r->cells[i]);
    r->cells[i] = s;
}

/* A figure, or an empty cell when it is unknown. */
static void set_num(struct row *r, const char *col, double v)
{
    if (isnan(v))
        set(r, col, "%s", "");
    else
        set(r, col, "%.6g", v);
}

static void set_ms(struct row *r, const char *col, const struct kvb_hist *h, double p)
{
    if (!h->count)
        set(r, col, "%s", "");
    else
        set(r, col, "%.4f", (double)(p >= 100 ? h->max : kvb_hist_percentile(h, p)) / 1e6);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static void role_columns(struct row *r, const char *p, const struct kvb_role_stats *s,
                         bool present)
{
    static const struct {
        const char *suffix;
        double pct;
    } lat[] = {{"p50_ms", 50}, {"p95_ms", 95}, {"p99_ms", 99}, {"p999_ms", 99.9}, {"max_ms", 100}};
    char col[64];
    for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
        snprintf(col, sizeof(col), "%s_%s", p, lat[i].suffix);
        set_ms(r, col, &s->latency, lat[i].pct);
    }
    snprintf(col, sizeof(col), "%s_mean_ms", p);
    set_num(r, col, s->latency.count ? kvb_hist_mean(&s->latency) / 1e6 : NAN);
    snprintf(col, sizeof(col), "%s_svc_p50_ms", p);
    set_ms(r, col, &s->service, 50);
    snprintf(col, sizeof(col), "%s_svc_p99_ms", p);
    set_ms(r, col, &s->service, 99);
    snprintf(col, sizeof(col), "%s_samples", p);
    set_num(r, col, present ? (double)s->latency.count : NAN);
    snprintf(col, sizeof(col), "%s_low_samples", p);
    set_num(r, col, present ? (double)kvb_hist_low_samples(&s->latency) : NAN);
    snprintf(col, sizeof(col), "%s_behind_schedule", p);
    set_num(r, col, present ? (double)s->behind : NAN);
    snprintf(col, sizeof(col), "%s_window_secs", p);
    set_num(r, col, present ? s->window_secs : NAN);
}

/* A role's throughput over its own window. A role without clients did 0
 * operations in the run's window: 0/s, not an empty cell (the seed's columns
 * have always said 0 for an absent role). */
static double role_tps(const struct kvb_role_stats *s, double run_secs)
{
    return s->clients ? kvb_role_tps(s) : ratio(0, run_secs);
}

/* One column per engine counter, and the write amplification, each name
 * followed by suffix. */
static void engine_columns(struct row *r, const char *suffix, const struct kvb_engine_counters *c)
{
    char col[64];
    for (const struct kvb_engine_counter *e = kvb_engine_counter_table; e->name; e++) {
        snprintf(col, sizeof(col), "%s%s", e->name, suffix);
        set_num(r, col, kvb_engine_counter_get(c, e));
    }
    snprintf(col, sizeof(col), "write_amplification%s", suffix);
    set_num(r, col, kvb_engine_write_amplification(c));
}

const char *kvb_result_status(const struct kvb_result *res)
{
    if (res->failed)
        return KVB_STATUS_FAILED;
    if (res->verdict == KVB_VERIFY_FAILED || res->isolation_violations > 0)
        return KVB_STATUS_VIOLATION;
    return KVB_STATUS_OK;
}

static void config_columns(struct row *r, const struct kvb_run_spec *spec)
{
    const struct kvb_config *c = &spec->cfg;
    set(r, "run_index", "%zu", spec->index);
    set(r, "config_label", "%s", spec->label);
    set(r, "backend", "%s", c->backend);
    set(r, "num_writers", "%u", c->num_writers);
    set(r, "num_readers", "%u", c->num_readers);
    set(r, "writer_rate", "%g", c->writer_rate);
    set(r, "reader_rate", "%g", c->reader_rate);
    set(r, "duration_secs", "%g", c->duration);
    set(r, "num_random_writers", "%u", c->num_random_writers);
    set(r, "random_writer_rate", "%g", c->random_writer_rate);
    set(r, "ops_per_txn", "%u", c->ops_per_txn);
    set(r, "key_count", "%llu", (unsigned long long)c->key_count);
    set(r, "preload", "%llu", (unsigned long long)c->preload);
    set(r, "value_size", "%u", c->value_size);
    set(r, "sync", "%s", c->sync ? "true" : "false");
    set(r, "arrival", "%s", c->arrival == KVB_ARRIVAL_POISSON ? "poisson" : "fixed");
    set(r, "warmup_secs", "%g", c->warmup);
    set(r, "max_retry_count", "%u", c->max_retry_count);
    set(r, "seed", "%llu", (unsigned long long)c->seed);
    static const char *const dists[] = {"uniform", "zipfian", "latest", "hotspot", "sequential"};
    set(r, "key_distribution", "%s",
        c->key_distribution >= 0 && c->key_distribution < 5 ? dists[c->key_distribution] : "?");
    set(r, "key_overlap_ratio", "%g", c->key_overlap_ratio);
    set(r, "delete_ratio", "%g", c->delete_ratio);
    set(r, "read_before_write", "%s", c->read_before_write ? "true" : "false");
    set(r, "num_compactors", "%u", c->num_compactors);
    set(r, "num_scanners", "%u", c->num_scanners);
    set(r, "repeat", "%u", c->repeat);

    char buf[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < spec->nswept && len < sizeof(buf); i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%s", i ? ";" : "",
                                spec->swept[i].key, spec->swept[i].value);
    set(r, "swept", "%s", buf);

    len = 0;
    buf[0] = '\0';
    for (const struct kvb_option *o = c->be ? c->be->options : NULL; o && o->name; o++) {
        char v[128];
        kvb_opt_format(o, c->bopts, v, sizeof(v));
        if (len < sizeof(buf))
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%s", len ? ";" : "",
                                    o->name, v);
    }
    set(r, "backend_options", "%s", buf);
}

static void result_columns(struct row *r, const struct kvb_result *res)
{
    const struct kvb_role_stats *w = &res->role[KVB_ROLE_WRITER];
    const struct kvb_role_stats *rd = &res->role[KVB_ROLE_READER];
    const struct kvb_role_stats *rw = &res->role[KVB_ROLE_RANDOM_WRITER];
    /* the longest role window: the schedule's length unless a role overran it */
    double secs = res->measured_secs;

    set(r, "status", "%s", kvb_result_status(res));
    set(r, "failure_reason", "%s", res->reason);
    set(r, "verification", "%s",
        res->verdict == KVB_VERIFY_PASSED   ? "passed"
        : res->verdict == KVB_VERIFY_FAILED ? "failed"
                                            : "n/a");
    set(r, "verification_detail", "%s",
        res->verdict == KVB_VERIFY_NA && !res->failed && !res->verify_detail[0]
            ? "backend stores nothing: verification not applicable"
            : res->verify_detail);
    set(r, "first_violation", "%s", res->first_violation);

    set(r, "total_writes", "%llu", (unsigned long long)w->ops);
    set(r, "total_reads", "%llu", (unsigned long long)rd->ops);
    set(r, "random_writes", "%llu", (unsigned long long)rw->ops);
    set_num(r, "window_secs", secs);
    set_num(r, "write_tps", role_tps(w, secs));
    set_num(r, "read_tps", role_tps(rd, secs));
    set_num(r, "random_write_tps", role_tps(rw, secs));
    role_columns(r, "writer", w, w->clients > 0);
    role_columns(r, "read", rd, rd->clients > 0);
    role_columns(r, "random_writer", rw, rw->clients > 0);

    const struct kvb_role_stats *cp = &res->role[KVB_ROLE_COMPACTOR];
    const struct kvb_role_stats *sc = &res->role[KVB_ROLE_SCANNER];
    set(r, "compactor_ops", "%llu", (unsigned long long)cp->ops);
    set_num(r, "compactor_tps", cp->clients ? kvb_role_tps(cp) : NAN);
    role_columns(r, "compactor", cp, cp->clients > 0);
    set(r, "compactor_conflicts", "%llu", (unsigned long long)cp->conflicts);
    set_num(r, "compactor_precondition_failure_rate",
            cp->clients ? (cp->attempts ? (double)cp->conflicts / (double)cp->attempts : 0)
                        : NAN);
    set(r, "compactor_retry_failures", "%llu", (unsigned long long)cp->retry_failures);
    set(r, "scans", "%llu", (unsigned long long)sc->ops);
    set_num(r, "scan_tps", sc->clients ? kvb_role_tps(sc) : NAN);
    role_columns(r, "scanner", sc, sc->clients > 0);
    set(r, "scanned_keys", "%llu", (unsigned long long)res->scanned_keys);

    set_num(r, "precondition_failure_rate",
            w->clients ? (w->attempts ? (double)w->conflicts / (double)w->attempts : 0) : NAN);
    set(r, "retry_failures", "%llu", (unsigned long long)w->retry_failures);
    set(r, "isolation_violations", "%llu", (unsigned long long)res->isolation_violations);
    set(r, "writer_conflicts", "%llu", (unsigned long long)w->conflicts);
    uint64_t wdone = w->ops + w->retry_failures + w->errors;
    set_num(r, "writer_attempts_mean", wdone ? (double)w->attempts / (double)wdone : NAN);
    set_num(r, "writer_attempts_max", w->ops ? (double)w->max_attempts : NAN);
    set(r, "random_writer_conflicts", "%llu", (unsigned long long)rw->conflicts);
    set_num(r, "random_writer_precondition_failure_rate",
            rw->clients ? (rw->attempts ? (double)rw->conflicts / (double)rw->attempts : 0)
                        : NAN);
    set(r, "random_retry_failures", "%llu", (unsigned long long)rw->retry_failures);
    set(r, "read_conflicts", "%llu", (unsigned long long)rd->conflicts);
    set(r, "errors", "%llu",
        (unsigned long long)(w->errors + rd->errors + rw->errors + cp->errors + sc->errors));
    set(r, "acked_commits", "%llu", (unsigned long long)res->acked_commits);
    set_num(r, "final_head", res->verdict != KVB_VERIFY_NA ? (double)res->final_head : NAN);
    set_num(r, "preload_secs", res->preloaded ? res->preload_secs : NAN);

    set_num(r, "cpu_user_secs", res->cpu_user_secs);
    set_num(r, "cpu_sys_secs", res->cpu_sys_secs);
    set_num(r, "peak_rss_mb", res->peak_rss_mb);
    set_num(r, "io_write_bytes", res->io_write_bytes);
    engine_columns(r, "", &res->engine);
    engine_columns(r, "_total", &res->engine_total);
    set_ms(r, "durable_lag_p50_ms", &res->durable_lag, 50);
    set_ms(r, "durable_lag_p99_ms", &res->durable_lag, 99);
    set_ms(r, "durable_lag_max_ms", &res->durable_lag, 100);
    set_num(r, "durable_lag_dropped", res->durable_lag_dropped);
    set_ms(r, "visible_lag_p50_ms", &res->visible_lag, 50);
    set_ms(r, "visible_lag_p99_ms", &res->visible_lag, 99);
    set_ms(r, "visible_lag_max_ms", &res->visible_lag, 100);

    if (res->start_wall_ns) {
        time_t t = (time_t)(res->start_wall_ns / 1000000000u);
        struct tm tm;
        char ts[32];
        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        set(r, "start_time", "%s", ts);
    }
}

int kvb_row_build(const struct kvb_run_spec *spec, const struct kvb_result *res,
                  const char *reason, char **cells)
{
    struct row r = {.cells = cells};
    for (size_t i = 0; i < kvb_ncolumns; i++)
        cells[i] = NULL;
    config_columns(&r, spec);
    if (res) {
        result_columns(&r, res);
    } else {
        set(&r, "status", "%s", KVB_STATUS_FAILED);
        set(&r, "failure_reason", "%s", reason ? reason : "no result");
        set(&r, "verification", "%s", "n/a");
    }
    for (size_t i = 0; i < kvb_ncolumns; i++)
        if (!cells[i] && !(cells[i] = strdup("")))
            r.failed = 1;
    if (r.failed) {
        kvb_row_free(cells);
        return -1;
    }
    return 0;
}

void kvb_row_free(char **cells)
{
    for (size_t i = 0; i < kvb_ncolumns; i++) {
        free(cells[i]);
        cells[i] = NULL;
    }
}

/* The figure in a cell, if the whole cell is a number. */
static bool cell_number(const char *cell, double *v)
{
    char *end;
    if (!cell || !*cell)
        return false;
    *v = strtod(cell, &end);
    return *end == '\0';
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int status_rank(const char *s)
{
    return strcmp(s, KVB_STATUS_FAILED) == 0 ? 2 : strcmp(s, KVB_STATUS_VIOLATION) == 0;
}

int kvb_row_combine(char **const *reps, unsigned n, char **cells)
{
    static const char *const spread[] = {"write_tps",     "read_tps",      "random_write_tps",
                                         "writer_p99_ms", "read_p99_ms", "random_writer_p99_ms"};
    static const char *const text_cols[] = {"run_index", "seed", "start_time"};
    struct row r = {.cells = cells};
    double *v = malloc(n * sizeof(*v));
    if (!v)
        return -1;
    for (size_t c = 0; c < kvb_ncolumns; c++) {
        cells[c] = NULL;
        unsigned k = 0;
        bool numeric = true;
        for (size_t t = 0; t < sizeof(text_cols) / sizeof(text_cols[0]); t++)
            if (strcmp(kvb_columns[c], text_cols[t]) == 0)
                numeric = false;
        for (unsigned i = 0; numeric && i < n; i++)
            numeric = cell_number(reps[i][c], &v[k++]);
        if (numeric) {
            qsort(v, n, sizeof(*v), cmp_double);
            double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
            set(&r, kvb_columns[c], "%.6g", med);
        } else {
            set(&r, kvb_columns[c], "%s", reps[0][c]);
        }
    }
    int worst = 0, st = kvb_column_index("status"), why = kvb_column_index("failure_reason");
    for (unsigned i = 1; i < n; i++) {
        if (status_rank(reps[i][st]) > status_rank(reps[worst][st]))
            worst = (int)i;
    }
    set(&r, "status", "%s", reps[worst][st]);
    for (unsigned i = 0; i < n; i++) {
        if (reps[i][why][0]) {
            set(&r, "failure_reason", "run %u of %u: %s", i + 1, n, reps[i][why]);
            break;
        }
    }
    for (size_t f = 0; f < sizeof(spread) / sizeof(spread[0]); f++) {
        int c = kvb_column_index(spread[f]);
        unsigned k = 0;
        for (unsigned i = 0; i < n; i++)
            if (cell_number(reps[i][c], &v[k]))
                k++;
        if (!k)
            continue;
        qsort(v, k, sizeof(*v), cmp_double);
        char col[64];
        snprintf(col, sizeof(col), "%s_min", spread[f]);
        set(&r, col, "%.6g", v[0]);
        snprintf(col, sizeof(col), "%s_max", spread[f]);
        set(&r, col, "%.6g", v[k - 1]);
    }
    set(&r, "repeats_done", "%u", n);
    free(v);
    if (r.failed) {
        kvb_row_free(cells);
        return -1;
    }
    return 0;
}
