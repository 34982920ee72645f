/* row.c - one run as a row of the comparison CSV (see row.h). */
#include "cli/row.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How kvb_row_combine makes one cell of a configuration's row out of the
 * cells of its repeats (see row.h). */
enum combine {
    COMBINE_FIRST,      /* configuration and identity, the same in every repeat: the first's */
    COMBINE_MEDIAN,     /* a figure: the median of the repeats that have one */
    COMBINE_SUM,        /* a count of bad events: the sum, so no repeat's can be outvoted */
    COMBINE_MAX,        /* the most any repeat met (a flag, contention) */
    COMBINE_BY_STATUS,  /* the worst repeat by status (failed, violation, ok): its cell */
    COMBINE_BY_VERDICT, /* the worst repeat by verification (failed, n/a, passed): its cell */
    COMBINE_ANY,        /* the first repeat whose cell is not empty */
    COMBINE_MIN_OF,     /* the least of column `of` over the repeats */
    COMBINE_MAX_OF,     /* the largest of column `of` over the repeats */
    COMBINE_COUNT,      /* how many repeats have a row */
    COMBINE_YES_IF_ANY, /* a yes/no flag: "yes" when any repeat says yes */
    COMBINE_UNION,      /* a space-separated list: every item of the repeats' lists, once */
};

struct combine_rule {
    enum combine how;
    const char *of; /* MIN_OF, MAX_OF: the column whose spread this is */
    bool noted;     /* text: "repeat K of N: " before it, naming its repeat */
};

/*
 * The columns, in order, each with its rule: X(name, rule). A new column
 * cannot be added without saying how repeats combine into it.
 */
// clang-format off
#define FIRST        {COMBINE_FIRST, NULL, false}
#define MEDIAN       {COMBINE_MEDIAN, NULL, false}
#define SUM          {COMBINE_SUM, NULL, false}
#define MOST         {COMBINE_MAX, NULL, false}
#define BY_STATUS    {COMBINE_BY_STATUS, NULL, false}
#define BY_VERDICT   {COMBINE_BY_VERDICT, NULL, false}
#define NOTED(how)   {COMBINE_##how, NULL, true}
#define MIN_OF(col)  {COMBINE_MIN_OF, col, false}
#define MAX_OF(col)  {COMBINE_MAX_OF, col, false}
#define COUNT        {COMBINE_COUNT, NULL, false}
#define YES_IF_ANY   {COMBINE_YES_IF_ANY, NULL, false}
#define UNION        {COMBINE_UNION, NULL, false}

/* The detail of a role whose columns start with p. */
#define ROLE_DETAIL(X, p)                                                                          \
    X(p "_p999_ms", MEDIAN), X(p "_max_ms", MEDIAN), X(p "_mean_ms", MEDIAN),                      \
    X(p "_svc_p50_ms", MEDIAN), X(p "_svc_p99_ms", MEDIAN), X(p "_samples", MEDIAN),               \
    X(p "_low_samples", MOST), X(p "_behind_schedule", MEDIAN)

#define COLUMNS(X)                                                                                 \
    /* promised by name */                                                                         \
    X("config_label", FIRST), X("backend", FIRST), X("status", BY_STATUS),                         \
    X("num_writers", FIRST), X("num_readers", FIRST), X("writer_rate", FIRST),                     \
    X("reader_rate", FIRST), X("duration_secs", FIRST),                                            \
    X("total_writes", MEDIAN), X("total_reads", MEDIAN), X("write_tps", MEDIAN),                   \
    X("read_tps", MEDIAN), X("writer_p50_ms", MEDIAN), X("writer_p95_ms", MEDIAN),                 \
    X("writer_p99_ms", MEDIAN), X("read_p50_ms", MEDIAN), X("read_p95_ms", MEDIAN),                \
    X("read_p99_ms", MEDIAN), X("precondition_failure_rate", MEDIAN),                              \
    X("retry_failures", SUM), X("isolation_violations", SUM),                                      \
    X("random_writes", MEDIAN), X("random_write_tps", MEDIAN), X("random_writer_p50_ms", MEDIAN),  \
    X("random_writer_p95_ms", MEDIAN), X("random_writer_p99_ms", MEDIAN),                          \
    /* what happened */                                                                            \
    X("run_index", FIRST), X("failure_reason", NOTED(BY_STATUS)),                                  \
    X("verification", BY_VERDICT), X("verification_detail", NOTED(BY_VERDICT)),                    \
    X("first_violation", NOTED(ANY)),                                                              \
    /* the rest of the configuration */                                                            \
    X("num_random_writers", FIRST), X("random_writer_rate", FIRST), X("ops_per_txn", FIRST),       \
    X("key_count", FIRST), X("preload", FIRST), X("value_size", FIRST), X("sync", FIRST),          \
    X("arrival", FIRST), X("warmup_secs", FIRST), X("max_retry_count", FIRST), X("seed", FIRST),   \
    /* detail per role */                                                                          \
    ROLE_DETAIL(X, "writer"), ROLE_DETAIL(X, "read"), ROLE_DETAIL(X, "random_writer"),             \
    /* compactors and scanners */                                                                  \
    X("compactor_ops", MEDIAN), X("compactor_tps", MEDIAN), X("compactor_p50_ms", MEDIAN),         \
    X("compactor_p95_ms", MEDIAN), X("compactor_p99_ms", MEDIAN), ROLE_DETAIL(X, "compactor"),     \
    X("compactor_conflicts", MEDIAN), X("compactor_precondition_failure_rate", MEDIAN),            \
    X("compactor_retry_failures", SUM), X("scans", MEDIAN), X("scan_tps", MEDIAN),                 \
    X("scanner_p50_ms", MEDIAN), X("scanner_p95_ms", MEDIAN), X("scanner_p99_ms", MEDIAN),         \
    ROLE_DETAIL(X, "scanner"), X("scanned_keys", MEDIAN),                                          \
    /* the workload's shape */                                                                     \
    X("key_distribution", FIRST), X("key_overlap_ratio", FIRST), X("delete_ratio", FIRST),         \
    X("read_before_write", FIRST), X("num_compactors", FIRST), X("num_scanners", FIRST),           \
    X("repeat", FIRST),                                                                            \
    /* conflicts */                                                                                \
    X("writer_conflicts", MEDIAN), X("writer_attempts_mean", MEDIAN),                              \
    X("writer_attempts_max", MEDIAN), X("random_writer_conflicts", MEDIAN),                        \
    X("random_writer_precondition_failure_rate", MEDIAN), X("random_retry_failures", SUM),         \
    X("read_conflicts", MEDIAN), X("errors", SUM), X("acked_commits", MEDIAN),                     \
    X("final_head", MEDIAN), X("preload_secs", MEDIAN),                                            \
    /* the process and the engine */                                                               \
    X("cpu_user_secs", MEDIAN), X("cpu_sys_secs", MEDIAN), X("peak_rss_mb", MEDIAN),               \
    X("io_write_bytes", MEDIAN),                                                                   \
    /* the engine's counters over the measured window, then over the whole run                     \
     * (open, preload and warmup included): kvb_engine_counter_table's names */                    \
    X("disk_bytes_written", MEDIAN), X("user_bytes_written", MEDIAN),                              \
    X("write_amplification", MEDIAN), X("write_stalls", MEDIAN), X("stall_ms", MEDIAN),            \
    X("prep_bytes_written", MEDIAN), X("disk_bytes_written_total", MEDIAN),                        \
    X("user_bytes_written_total", MEDIAN), X("write_amplification_total", MEDIAN),                 \
    X("write_stalls_total", MEDIAN), X("stall_ms_total", MEDIAN),                                  \
    X("prep_bytes_written_total", MEDIAN),                                                         \
    X("durable_lag_p50_ms", MEDIAN), X("durable_lag_p99_ms", MEDIAN),                              \
    X("durable_lag_max_ms", MEDIAN), X("durable_lag_dropped", MOST),                               \
    X("visible_lag_p50_ms", MEDIAN), X("visible_lag_p99_ms", MEDIAN),                              \
    X("visible_lag_max_ms", MEDIAN),                                                               \
    /* spread over `repeat` runs */                                                                \
    X("repeats_done", COUNT),                                                                      \
    X("write_tps_min", MIN_OF("write_tps")), X("write_tps_max", MAX_OF("write_tps")),              \
    X("read_tps_min", MIN_OF("read_tps")), X("read_tps_max", MAX_OF("read_tps")),                  \
    X("random_write_tps_min", MIN_OF("random_write_tps")),                                         \
    X("random_write_tps_max", MAX_OF("random_write_tps")),                                         \
    X("writer_p99_ms_min", MIN_OF("writer_p99_ms")),                                               \
    X("writer_p99_ms_max", MAX_OF("writer_p99_ms")),                                               \
    X("read_p99_ms_min", MIN_OF("read_p99_ms")), X("read_p99_ms_max", MAX_OF("read_p99_ms")),      \
    X("random_writer_p99_ms_min", MIN_OF("random_writer_p99_ms")),                                 \
    X("random_writer_p99_ms_max", MAX_OF("random_writer_p99_ms")),                                 \
    /* the process as the sweep's parent sampled it, once a second after warmup */                 \
    X("rss_sampled_max_mb", MEDIAN), X("rss_growth_mb", MEDIAN),                                   \
    X("rss_anon_growth_mb", MEDIAN), X("open_fds_max", MEDIAN), X("open_fds_growth", MEDIAN),      \
    X("window_secs", MEDIAN),                                                                      \
    /* context: the runs beside it, the CPU it met (see cli/contention.h) */                       \
    X("overlapping_runs", MOST), X("overlapped_runs", UNION), X("peak_threads", MOST),             \
    X("cores", FIRST), X("cpu_pressure_pct", MOST), X("load_per_core", MOST),                      \
    X("contended", YES_IF_ANY), X("start_time", FIRST), X("swept", FIRST),                         \
    X("backend_options", FIRST),                                                                   \
    /* each role's own measured window: its *_tps is its operations over it */                     \
    X("writer_window_secs", MEDIAN), X("read_window_secs", MEDIAN),                                \
    X("random_writer_window_secs", MEDIAN), X("compactor_window_secs", MEDIAN),                    \
    X("scanner_window_secs", MEDIAN)
// clang-format on

#define COLUMN_NAME(name, rule) name
#define COLUMN_RULE(name, rule) rule
const char *const kvb_columns[] = {COLUMNS(COLUMN_NAME)};
const size_t kvb_ncolumns = sizeof(kvb_columns) / sizeof(kvb_columns[0]);
static const struct combine_rule column_rules[] = {COLUMNS(COLUMN_RULE)};

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

static void vset(struct row *r, const char *col, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vset(struct row *r, const char *col, const char *fmt, va_list ap)
{
    int i = kvb_column_index(col);
    if (i < 0) {
        fprintf(stderr, "kvbench: internal error: no column '%s'\n", col);
        abort();
    }
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
        r->failed = 1;
    }
    free(r->cells[i]);
    r->cells[i] = s;
}

static void set(struct row *r, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set(struct row *r, const char *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(r, col, fmt, ap);
    va_end(ap);
}

int kvb_row_set(char **cells, const char *col, const char *fmt, ...)
{
    struct row r = {.cells = cells};
    va_list ap;
    va_start(ap, fmt);
    vset(&r, col, fmt, ap);
    va_end(ap);
    return r.failed ? -1 : 0;
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

/* A repeat's figure in a column, for sorting. */
struct fig {
    double v;
    unsigned rep;
};

static int cmp_fig(const void *a, const void *b)
{
    const struct fig *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

/* The repeats that have a figure in column c, in increasing order; returns
 * how many. */
static unsigned figures(char **const *reps, unsigned n, int c, struct fig *f)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (reps[i] && cell_number(reps[i][c], &f[k].v))
            f[k++].rep = i;
    qsort(f, k, sizeof(*f), cmp_fig);
    return k;
}

static int status_rank(const char *s)
{
    return strcmp(s, KVB_STATUS_OK) == 0 ? 0 : strcmp(s, KVB_STATUS_VIOLATION) == 0 ? 1 : 2;
}

static int verdict_rank(const char *s)
{
    return strcmp(s, "passed") == 0 ? 0 : strcmp(s, "failed") == 0 ? 2 : 1;
}

/* The first repeat whose cell in column col ranks highest. */
static unsigned worst(char **const *reps, unsigned n, const char *col, int (*rank)(const char *))
{
    int c = kvb_column_index(col);
    unsigned w = n;
    for (unsigned i = 0; i < n; i++)
        if (reps[i] && (w == n || rank(reps[i][c]) > rank(reps[w][c])))
            w = i;
    return w;
}

/* Cell c from repeat `from` (n: none), "repeat K of N: " before it when noted. */
static void from_repeat(struct row *r, size_t c, char **const *reps, unsigned n, unsigned from,
                        bool noted)
{
    const char *v = from < n ? reps[from][c] : "";
    if (noted && *v)
        set(r, kvb_columns[c], "repeat %u of %u: %s", from + 1, n, v);
    else
        set(r, kvb_columns[c], "%s", v);
}

/* Whether the space-separated list s[0..len) holds item w (wl bytes). */
static bool has_item(const char *s, size_t len, const char *w, size_t wl)
{
    for (size_t i = 0; i + wl <= len; i++)
        if ((i == 0 || s[i - 1] == ' ') && memcmp(s + i, w, wl) == 0 &&
            (i + wl == len || s[i + wl] == ' '))
            return true;
    return false;
}

/* Every item of the repeats' space-separated lists in column c, once. */
static void union_cell(struct row *r, size_t c, char **const *reps, unsigned n)
{
    size_t cap = 1, len = 0;
    for (unsigned i = 0; i < n; i++)
        cap += reps[i] ? strlen(reps[i][c]) + 1 : 0;
    char *u = malloc(cap);
    if (!u) {
        r->failed = 1;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        for (const char *w = reps[i] ? reps[i][c] : ""; *w;) {
            size_t wl = strcspn(w, " ");
            if (wl && !has_item(u, len, w, wl)) {
                if (len)
                    u[len++] = ' ';
                memcpy(u + len, w, wl);
                len += wl;
            }
            w += wl + (w[wl] == ' ');
        }
    }
    u[len] = '\0';
    set(r, kvb_columns[c], "%s", u);
    free(u);
}

int kvb_row_combine(char **const *reps, unsigned n, char **cells)
{
    struct row r = {.cells = cells};
    struct fig *f = malloc((n ? n : 1) * sizeof(*f));
    for (size_t c = 0; c < kvb_ncolumns; c++)
        cells[c] = NULL;
    if (!f)
        return -1;
    unsigned done = 0, first = n;
    for (unsigned i = n; i-- > 0;)
        if (reps[i]) {
            done++;
            first = i;
        }
    unsigned by_status = worst(reps, n, "status", status_rank);
    unsigned by_verdict = worst(reps, n, "verification", verdict_rank);
    for (size_t c = 0; c < kvb_ncolumns; c++) {
        const struct combine_rule *rule = &column_rules[c];
        const char *col = kvb_columns[c];
        unsigned k;
        switch (rule->how) {
        case COMBINE_FIRST:
            from_repeat(&r, c, reps, n, first, rule->noted);
            break;
        case COMBINE_BY_STATUS:
            from_repeat(&r, c, reps, n, by_status, rule->noted);
            break;
        case COMBINE_BY_VERDICT:
            from_repeat(&r, c, reps, n, by_verdict, rule->noted);
            break;
        case COMBINE_ANY: {
            unsigned any = 0;
            while (any < n && !(reps[any] && reps[any][c][0]))
                any++;
            from_repeat(&r, c, reps, n, any, rule->noted);
            break;
        }
        case COMBINE_MEDIAN:
            /* An odd count takes the middle repeat's cell as it is. */
            k = figures(reps, n, (int)c, f);
            if (k % 2)
                from_repeat(&r, c, reps, n, f[k / 2].rep, false);
            else if (k)
                set(&r, col, "%.6g", (f[k / 2 - 1].v + f[k / 2].v) / 2);
            break;
        case COMBINE_SUM: {
            double sum = 0;
            k = figures(reps, n, (int)c, f);
            for (unsigned i = 0; i < k; i++)
                sum += f[i].v;
            if (k)
                set(&r, col, "%.15g", sum);
            break;
        }
        case COMBINE_MAX:
        case COMBINE_MIN_OF:
        case COMBINE_MAX_OF: {
            int of = rule->of ? kvb_column_index(rule->of) : (int)c;
            if (of < 0) {
                fprintf(stderr, "kvbench: internal error: no column '%s'\n", rule->of);
                abort();
            }
            k = figures(reps, n, of, f);
            if (k)
                set(&r, col, "%s", reps[f[rule->how == COMBINE_MIN_OF ? 0 : k - 1].rep][of]);
            break;
        }
        case COMBINE_COUNT:
            set(&r, col, "%u", done);
            break;
        case COMBINE_YES_IF_ANY: {
            unsigned yes = 0;
            while (yes < n && !(reps[yes] && strcmp(reps[yes][c], "yes") == 0))
                yes++;
            from_repeat(&r, c, reps, n, yes < n ? yes : first, false);
            break;
        }
        case COMBINE_UNION:
            union_cell(&r, c, reps, n);
            break;
        }
        if (!cells[c])
            set(&r, col, "%s", "");
    }
    free(f);
    if (r.failed) {
        kvb_row_free(cells);
        return -1;
    }
    return 0;
}
