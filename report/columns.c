/* columns.c - the column table (see columns.h). */
#include "report/columns.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/row.h"
#include "util/option.h"

const char *const kvb_seed_columns[] = {
    "config_label",
    "backend",
    "status",
    "num_writers",
    "num_readers",
    "writer_rate",
    "reader_rate",
    "duration_secs",
    "total_writes",
    "total_reads",
    "write_tps",
    "read_tps",
    "writer_p50_ms",
    "writer_p95_ms",
    "writer_p99_ms",
    "read_p50_ms",
    "read_p95_ms",
    "read_p99_ms",
    "precondition_failure_rate",
    "retry_failures",
    "isolation_violations",
    "random_writes",
    "random_write_tps",
    "random_writer_p50_ms",
    "random_writer_p95_ms",
    "random_writer_p99_ms",
};
const size_t kvb_seed_count = sizeof(kvb_seed_columns) / sizeof(kvb_seed_columns[0]);

static struct kvb_cell num(double v)
{
    return (struct kvb_cell){.text = NULL, .num = v};
}

static struct kvb_cell text(const char *s)
{
    return (struct kvb_cell){.text = s ? s : "", .num = NAN};
}

static const struct kvb_cell empty = {.text = NULL, .num = NAN};

/* ---- the run's identity and verdicts ---- */

static struct kvb_cell get_run_index(const struct kvb_column *c, const struct kvb_row_src *s,
                                     char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return num((double)s->spec->index);
}

static struct kvb_cell get_label(const struct kvb_column *c, const struct kvb_row_src *s, char *buf,
                                 size_t n)
{
    (void)c, (void)buf, (void)n;
    return text(s->spec->label);
}

static struct kvb_cell get_backend(const struct kvb_column *c, const struct kvb_row_src *s,
                                   char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return text(s->spec->cfg.backend);
}

static struct kvb_cell get_status(const struct kvb_column *c, const struct kvb_row_src *s,
                                  char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return text(s->res ? kvb_result_status(s->res) : KVB_STATUS_FAILED);
}

static struct kvb_cell get_reason(const struct kvb_column *c, const struct kvb_row_src *s,
                                  char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return text(s->res ? s->res->reason : s->reason ? s->reason : "no result");
}

static struct kvb_cell get_verification(const struct kvb_column *c, const struct kvb_row_src *s,
                                        char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    if (!s->res)
        return text("n/a");
    return text(s->res->verdict == KVB_VERIFY_PASSED   ? "passed"
                : s->res->verdict == KVB_VERIFY_FAILED ? "failed"
                                                       : "n/a");
}

static struct kvb_cell get_verify_detail(const struct kvb_column *c, const struct kvb_row_src *s,
                                         char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    const struct kvb_result *r = s->res;
    if (!r)
        return empty;
    if (r->verdict == KVB_VERIFY_NA && !r->failed && !r->verify_detail[0])
        return text("backend stores nothing: verification not applicable");
    return text(r->verify_detail);
}

static struct kvb_cell get_first_violation(const struct kvb_column *c, const struct kvb_row_src *s,
                                           char *buf, size_t n)
{
    (void)c, (void)buf, (void)n;
    return s->res ? text(s->res->first_violation) : empty;
}

/* "key=value;..." of the run's swept keys. */
static struct kvb_cell get_swept(const struct kvb_column *c, const struct kvb_row_src *s, char *buf,
                                 size_t n)
{
    (void)c;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->spec->nswept && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", i ? ";" : "", s->spec->swept[i].key,
                                s->spec->swept[i].value);
    return text(buf);
}

/* "option=value;..." of every option of the run's backend. */
static struct kvb_cell get_backend_options(const struct kvb_column *c, const struct kvb_row_src *s,
                                           char *buf, size_t n)
{
    (void)c;
    const struct kvb_config *cfg = &s->spec->cfg;
    size_t len = 0;
    buf[0] = '\0';
    for (const struct kvb_option *o = cfg->be ? cfg->be->options : NULL; o && o->name; o++) {
        char v[128];
        kvb_opt_format(o, cfg->bopts, v, sizeof(v));
        if (len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", len ? ";" : "", o->name, v);
    }
    return text(buf);
}

static struct kvb_cell get_start_time(const struct kvb_column *c, const struct kvb_row_src *s,
                                      char *buf, size_t n)
{
    (void)c;
    if (!s->res || !s->res->start_wall_ns)
        return empty;
    time_t t = (time_t)(s->res->start_wall_ns / 1000000000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text(buf);
}

/* ---- a configuration column: the option row's value ---- */

static struct kvb_cell get_option(const struct kvb_column *c, const struct kvb_row_src *s,
                                  char *buf, size_t n)
{
    const struct kvb_option *o = c->opt;
    const char *p = (const char *)&s->spec->cfg + o->offset;
    switch (o->type) {
    case KVB_OPT_BOOL:
        return num(*(const bool *)p);
    case KVB_OPT_UINT:
        return num(*(const unsigned *)p);
    case KVB_OPT_U64:
    case KVB_OPT_SIZE: /* as text: a double would lose digits past 2^53 */
        snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)p);
        return text(buf);
    case KVB_OPT_DOUBLE:
    case KVB_OPT_SECONDS:
        return num(*(const double *)p);
    case KVB_OPT_STRING:
    case KVB_OPT_ENUM:
        break;
    }
    kvb_opt_format(o, &s->spec->cfg, buf, n);
    return text(buf);
}

/* ---- a role's columns ---- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static double ms(const struct kvb_hist *h, double p)
{
    return h->count ? (double)(p >= 100 ? h->max : kvb_hist_percentile(h, p)) / 1e6 : NAN;
}

/* A role's figure from its merged statistics (NaN: empty). A role without
 * clients did 0 operations at 0/s (the seed's columns have always said so);
 * its latencies and per-client figures are empty. */
struct role_metric {
    const char *suffix; /* the column is "<col>_<suffix>"; NULL: the role's own spelling */
    size_t spelling;    /* ... at this offset in struct kvb_role_def */
    const char *unit;
    enum kvb_col_format format;
    enum kvb_col_combine combine;
    double (*get)(const struct kvb_role_stats *s, const struct kvb_result *res);
    const char *help; /* %s: the role's plural */
};

static double m_ops(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return (double)s->ops;
}
static double m_tps(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    return s->clients ? kvb_role_tps(s) : ratio(0, r->measured_secs);
}
#define PCT(fn, field, p)                                                                          \
    static double fn(const struct kvb_role_stats *s, const struct kvb_result *r)                   \
    {                                                                                              \
        (void)r;                                                                                   \
        return ms(&s->field, p);                                                                   \
    }
PCT(m_p50, latency, 50)
PCT(m_p95, latency, 95)
PCT(m_p99, latency, 99)
PCT(m_p999, latency, 99.9)
PCT(m_max, latency, 100)
PCT(m_svc_p50, service, 50)
PCT(m_svc_p99, service, 99)
static double m_mean(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->latency.count ? kvb_hist_mean(&s->latency) / 1e6 : NAN;
}
static double m_samples(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->clients ? (double)s->latency.count : NAN;
}
static double m_low(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->clients ? (double)kvb_hist_low_samples(&s->latency) : NAN;
}
static double m_behind(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->clients ? (double)s->behind : NAN;
}
static double m_conflicts(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return (double)s->conflicts;
}
static double m_conflict_rate(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->clients ? (s->attempts ? (double)s->conflicts / (double)s->attempts : 0) : NAN;
}
static double m_retry_failures(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return (double)s->retry_failures;
}
static double m_attempts_mean(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    uint64_t done = s->ops + s->retry_failures + s->errors;
    return done ? (double)s->attempts / (double)done : NAN;
}
static double m_attempts_max(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->ops ? (double)s->max_attempts : NAN;
}
static double m_window(const struct kvb_role_stats *s, const struct kvb_result *r)
{
    (void)r;
    return s->clients ? s->window_secs : NAN;
}

#define OWN(field) NULL, offsetof(struct kvb_role_def, field)
#define SUFFIX(s) s, 0

static const struct role_metric role_metrics[] = {
    {OWN(ops_col), "", KVB_COL_COUNT, KVB_COMBINE_MEDIAN, m_ops,
     "operations the %s completed in the measured window"},
    {OWN(tps_col), "txn/s", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_tps,
     "operations/s of the %s over their own window"},
    {SUFFIX("p50_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_p50,
     "median latency of the %s, intended start to completion (coordinated omission corrected)"},
    {SUFFIX("p95_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_p95, "p95 latency of the %s"},
    {SUFFIX("p99_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_p99, "p99 latency of the %s"},
    {SUFFIX("p999_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_p999,
     "p99.9 latency of the %s"},
    {SUFFIX("max_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_max,
     "largest latency of the %s"},
    {SUFFIX("mean_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_mean, "mean latency of the %s"},
    {SUFFIX("svc_p50_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_svc_p50,
     "median service time of the %s (actual start to completion)"},
    {SUFFIX("svc_p99_ms"), "ms", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_svc_p99,
     "p99 service time of the %s"},
    {SUFFIX("samples"), "", KVB_COL_COUNT, KVB_COMBINE_MEDIAN, m_samples,
     "latency samples of the %s"},
    {SUFFIX("low_samples"), "", KVB_COL_FLAG, KVB_COMBINE_ANY_TRUE, m_low,
     "too few samples of the %s for their p99.9 to mean much"},
    {SUFFIX("behind_schedule"), "", KVB_COL_COUNT, KVB_COMBINE_MEDIAN, m_behind,
     "operations of the %s that started more than 1 ms after their intended time"},
    {SUFFIX("conflicts"), "", KVB_COL_COUNT, KVB_COMBINE_MEDIAN, m_conflicts,
     "commits of the %s that conflicted (precondition failures)"},
    {OWN(conflict_col), "", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_conflict_rate,
     "conflicts per transaction attempt of the %s"},
    {OWN(retry_col), "", KVB_COL_COUNT, KVB_COMBINE_SUM, m_retry_failures,
     "operations of the %s given up after max_retry_count retries"},
    {SUFFIX("attempts_mean"), "", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_attempts_mean,
     "transaction attempts per operation of the %s"},
    {SUFFIX("attempts_max"), "", KVB_COL_COUNT, KVB_COMBINE_MEDIAN, m_attempts_max,
     "most attempts one committed operation of the %s needed"},
    {SUFFIX("window_secs"), "s", KVB_COL_FIGURE, KVB_COMBINE_MEDIAN, m_window,
     "the measured window of the %s: their rate is operations over it"},
};

static struct kvb_cell get_role(const struct kvb_column *c, const struct kvb_row_src *s, char *buf,
                                size_t n)
{
    (void)buf, (void)n;
    if (!s->res)
        return empty;
    const struct role_metric *m = c->arg;
    return num(m->get(&s->res->role[c->role], s->res));
}

/* ---- run-wide figures ---- */

#define RES_GETTER(fn, expr)                                                                       \
    static struct kvb_cell fn(const struct kvb_column *c, const struct kvb_row_src *s, char *buf,  \
                              size_t n)                                                            \
    {                                                                                              \
        (void)c, (void)buf, (void)n;                                                               \
        const struct kvb_result *r = s->res;                                                       \
        return r ? num(expr) : empty;                                                              \
    }

static double all_errors(const struct kvb_result *r)
{
    uint64_t e = 0;
    for (int i = 0; i < KVB_ROLE_COUNT; i++)
        e += r->role[i].errors;
    return (double)e;
}

RES_GETTER(get_violations, (double)r->isolation_violations)
RES_GETTER(get_errors, all_errors(r))
RES_GETTER(get_acked, (double)r->acked_commits)
RES_GETTER(get_final_head, r->verdict != KVB_VERIFY_NA ? (double)r->final_head : NAN)
RES_GETTER(get_preload_secs, r->preloaded ? r->preload_secs : NAN)
RES_GETTER(get_scanned, (double)r->scanned_keys)
RES_GETTER(get_window, r->measured_secs)
RES_GETTER(get_cpu_user, r->cpu_user_secs)
RES_GETTER(get_cpu_sys, r->cpu_sys_secs)
RES_GETTER(get_rss, r->peak_rss_mb)
RES_GETTER(get_io_write, r->io_write_bytes)
RES_GETTER(get_dlag_p50, ms(&r->durable_lag, 50))
RES_GETTER(get_dlag_p99, ms(&r->durable_lag, 99))
RES_GETTER(get_dlag_max, ms(&r->durable_lag, 100))
RES_GETTER(get_dlag_dropped, r->durable_lag_dropped)
RES_GETTER(get_vlag_p50, ms(&r->visible_lag, 50))
RES_GETTER(get_vlag_p99, ms(&r->visible_lag, 99))
RES_GETTER(get_vlag_max, ms(&r->visible_lag, 100))

/* An engine counter: over the window (arg: the counter's row), or over the whole run. */
static struct kvb_cell get_engine(const struct kvb_column *c, const struct kvb_row_src *s,
                                  char *buf, size_t n)
{
    (void)buf, (void)n;
    if (!s->res)
        return empty;
    const struct kvb_engine_counters *e = c->role ? &s->res->engine_total : &s->res->engine;
    return num(c->arg ? kvb_engine_counter_get(e, c->arg) : kvb_engine_write_amplification(e));
}

/* A column of columns.c's own. */
struct fixed {
    const char *name, *unit;
    enum kvb_col_format format;
    enum kvb_col_combine combine;
    bool noted;
    kvb_col_getter get;
    const char *help;
};

#define TEXT KVB_COL_TEXT
#define COUNT KVB_COL_COUNT
#define FIGURE KVB_COL_FIGURE
#define FLAG KVB_COL_FLAG

/* Before the configuration. */
static const struct fixed head[] = {
    {"config_label", "", TEXT, KVB_COMBINE_FIRST, false, get_label,
     "the configuration: its case and swept keys (W2_WR0.10_RD2_RT100)"},
    {"backend", "", TEXT, KVB_COMBINE_FIRST, false, get_backend, "the engine"},
    {"status", "", TEXT, KVB_COMBINE_BY_STATUS, false, get_status,
     "ok, violation (isolation or verification failed) or failed (the run did not complete)"},
    {"run_index", "", COUNT, KVB_COMBINE_FIRST, false, get_run_index,
     "the run's place in the sweep's expansion, from 0"},
    {"failure_reason", "", TEXT, KVB_COMBINE_BY_STATUS, true, get_reason,
     "why the run failed, with where"},
    {"verification", "", TEXT, KVB_COMBINE_BY_VERDICT, false, get_verification,
     "passed, failed or n/a: the end-of-run check of what the clients left"},
    {"verification_detail", "", TEXT, KVB_COMBINE_BY_VERDICT, true, get_verify_detail,
     "the first thing verification found wrong, or why it does not apply"},
    {"first_violation", "", TEXT, KVB_COMBINE_ANY, true, get_first_violation,
     "the first isolation violation a client saw"},
    {"isolation_violations", "", COUNT, KVB_COMBINE_SUM, false, get_violations,
     "reads that saw something impossible, lost and stale writes included"},
};

/* After the roles. */
static const struct fixed body[] = {
    {"errors", "", COUNT, KVB_COMBINE_SUM, false, get_errors,
     "operations that failed with an engine error, all roles"},
    {"acked_commits", "", COUNT, KVB_COMBINE_MEDIAN, false, get_acked,
     "monotonic commits acknowledged, warmup included"},
    {"final_head", "", COUNT, KVB_COMBINE_MEDIAN, false, get_final_head,
     "head read back after the run"},
    {"preload_secs", "s", FIGURE, KVB_COMBINE_MEDIAN, false, get_preload_secs,
     "time the preload took (untimed in the figures)"},
    {"scanned_keys", "", COUNT, KVB_COMBINE_MEDIAN, false, get_scanned,
     "keys the scans returned in the measured window"},
    {"window_secs", "s", FIGURE, KVB_COMBINE_MEDIAN, false, get_window,
     "the longest role window: the schedule's length unless a role overran it"},
    {"cpu_user_secs", "s", FIGURE, KVB_COMBINE_MEDIAN, false, get_cpu_user,
     "user CPU of the run's process over the measured window"},
    {"cpu_sys_secs", "s", FIGURE, KVB_COMBINE_MEDIAN, false, get_cpu_sys,
     "system CPU of the run's process over the measured window"},
    {"peak_rss_mb", "MiB", FIGURE, KVB_COMBINE_MEDIAN, false, get_rss,
     "peak resident memory of the run's process"},
    {"io_write_bytes", "bytes", COUNT, KVB_COMBINE_MEDIAN, false, get_io_write,
     "bytes the run's process caused to be written to storage (/proc/self/io)"},
};

/* After the engine's counters. */
static const struct fixed tail[] = {
    {"durable_lag_p50_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_dlag_p50,
     "median time from a commit's acknowledgement to its durability"},
    {"durable_lag_p99_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_dlag_p99,
     "p99 of the durable lag"},
    {"durable_lag_max_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_dlag_max,
     "largest durable lag"},
    {"durable_lag_dropped", "", COUNT, KVB_COMBINE_MAX, false, get_dlag_dropped,
     "acknowledged commits the durable lag leaves out"},
    {"visible_lag_p50_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_vlag_p50,
     "median time from a commit's acknowledgement until readers see it"},
    {"visible_lag_p99_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_vlag_p99,
     "p99 of the visible lag"},
    {"visible_lag_max_ms", "ms", FIGURE, KVB_COMBINE_MEDIAN, false, get_vlag_max,
     "largest visible lag"},
    {"repeats_done", "", COUNT, KVB_COMBINE_COUNT, false, NULL,
     "repeats of the configuration that produced a row"},
    {"rss_sampled_max_mb", "MiB", FIGURE, KVB_COMBINE_MEDIAN, false, NULL,
     "the run's largest resident memory, sampled by the sweep once a second after warmup"},
    {"rss_growth_mb", "MiB", FIGURE, KVB_COMBINE_MEDIAN, false, NULL,
     "growth of resident memory over the sampled window"},
    {"rss_anon_growth_mb", "MiB", FIGURE, KVB_COMBINE_MEDIAN, false, NULL,
     "growth of anonymous resident memory over the sampled window"},
    {"open_fds_max", "", COUNT, KVB_COMBINE_MEDIAN, false, NULL,
     "most file descriptors the run held open"},
    {"open_fds_growth", "", COUNT, KVB_COMBINE_MEDIAN, false, NULL,
     "growth of open file descriptors over the sampled window"},
    {"overlapping_runs", "", COUNT, KVB_COMBINE_MAX, false, NULL,
     "most other runs that ran at the same time"},
    {"overlapped_runs", "", TEXT, KVB_COMBINE_UNION, false, NULL,
     "run_index of every run that ran beside it"},
    {"peak_threads", "", COUNT, KVB_COMBINE_MAX, false, NULL,
     "most threads of all runs at once, engine threads included"},
    {"cores", "", COUNT, KVB_COMBINE_FIRST, false, NULL, "CPU cores the machine has"},
    {"cpu_pressure_pct", "%", FIGURE, KVB_COMBINE_MAX, false, NULL,
     "share of the window some task waited for a CPU (PSI)"},
    {"load_per_core", "", FIGURE, KVB_COMBINE_MAX, false, NULL,
     "runnable threads per core over the window"},
    {"contended", "", FLAG, KVB_COMBINE_ANY_TRUE, false, NULL,
     "the run met enough CPU contention to distort its figures"},
    {"start_time", "", TEXT, KVB_COMBINE_FIRST, false, get_start_time,
     "when the measured window began (UTC)"},
    {"swept", "", TEXT, KVB_COMBINE_FIRST, false, get_swept,
     "the keys the sweep varies and their values in this run"},
    {"backend_options", "", TEXT, KVB_COMBINE_FIRST, false, get_backend_options,
     "every option of the backend, as the run used it"},
};

/* ---- building the table ---- */

static struct {
    struct kvb_column *cols;
    const char **names;
    size_t n, cap;
} table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void internal(const char *what, const char *name)
{
    fprintf(stderr, "kvbench: internal error: column table: %s '%s'\n", what, name);
    abort();
}

static int find(const char *name)
{
    for (size_t i = 0; i < table.n; i++)
        if (strcmp(table.cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

static struct kvb_column *add(const char *name, const char *unit, enum kvb_col_format format,
                              enum kvb_col_combine combine, kvb_col_getter get)
{
    if (find(name) >= 0)
        internal("two columns named", name);
    if (table.n == table.cap) {
        table.cap = table.cap ? 2 * table.cap : 256;
        table.cols = realloc(table.cols, table.cap * sizeof(*table.cols));
        if (!table.cols)
            internal("out of memory at", name);
    }
    struct kvb_column *c = &table.cols[table.n++];
    memset(c, 0, sizeof(*c));
    if ((size_t)snprintf(c->name, sizeof(c->name), "%s", name) >= sizeof(c->name))
        internal("name too long", name);
    c->unit = unit;
    c->format = format;
    c->combine = combine;
    c->get = get;
    return c;
}

static void add_fixed(const struct fixed *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct kvb_column *c = add(f[i].name, f[i].unit, f[i].format, f[i].combine, f[i].get);
        c->noted = f[i].noted;
        c->arg = &f[i];
        snprintf(c->help, sizeof(c->help), "%s", f[i].help);
    }
}

static void add_config(void)
{
    for (const struct kvb_option *o = kvb_config_options; o->name; o++) {
        if (o->sweep)
            continue;
        char name[64];
        bool secs = o->type == KVB_OPT_SECONDS;
        snprintf(name, sizeof(name), "%s%s", o->name, secs ? "_secs" : "");
        enum kvb_col_format f = o->type == KVB_OPT_BOOL ? KVB_COL_FLAG
                                : o->type == KVB_OPT_STRING || o->type == KVB_OPT_ENUM
                                    ? KVB_COL_TEXT
                                : o->type == KVB_OPT_DOUBLE || secs ? KVB_COL_FIGURE
                                                                    : KVB_COL_COUNT;
        const char *unit = o->unit ? o->unit : secs ? "s" : o->type == KVB_OPT_SIZE ? "bytes" : "";
        struct kvb_column *c = add(name, unit, f, KVB_COMBINE_FIRST, get_option);
        c->opt = o;
        snprintf(c->help, sizeof(c->help), "config: %s", o->help);
    }
}

static void add_roles(void)
{
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        const struct kvb_role_def *d = &kvb_roles[r];
        char name[64];
        for (size_t i = 0; i < sizeof(role_metrics) / sizeof(role_metrics[0]); i++) {
            const struct role_metric *m = &role_metrics[i];
            if (m->suffix)
                snprintf(name, sizeof(name), "%s_%s", d->col, m->suffix);
            else
                snprintf(name, sizeof(name), "%s",
                         *(const char *const *)((const char *)d + m->spelling));
            struct kvb_column *c = add(name, m->unit, m->format, m->combine, get_role);
            c->role = r;
            c->arg = m;
            snprintf(c->help, sizeof(c->help), m->help, d->plural);
        }
        /* the spread of its rate and p99 over repeats */
        char p99[64];
        snprintf(p99, sizeof(p99), "%s_p99_ms", d->col);
        const char *of[] = {d->tps_col, d->tps_col, p99, p99};
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof(name), "%s_%s", of[k], k % 2 ? "max" : "min");
            struct kvb_column *c = add(name, k < 2 ? "txn/s" : "ms", KVB_COL_FIGURE,
                                       k % 2 ? KVB_COMBINE_MAX_OF : KVB_COMBINE_MIN_OF, NULL);
            c->role = r;
            snprintf(c->of, sizeof(c->of), "%s", of[k]);
            snprintf(c->help, sizeof(c->help), "%s of %s over the repeats",
                     k % 2 ? "largest" : "least", of[k]);
        }
    }
}

static void add_engine(bool total)
{
    const char *suffix = total ? "_total" : "";
    const char *over = total ? "over the whole run (open, preload and warmup included)"
                             : "over the measured window";
    char name[64];
    for (const struct kvb_engine_counter *e = kvb_engine_counter_table;; e++) {
        bool wa = !e->name;
        snprintf(name, sizeof(name), "%s%s", wa ? "write_amplification" : e->name, suffix);
        struct kvb_column *c =
            add(name, "", wa ? KVB_COL_FIGURE : KVB_COL_COUNT, KVB_COMBINE_MEDIAN, get_engine);
        c->role = total; /* get_engine's choice of counters */
        c->arg = wa ? NULL : e;
        snprintf(c->help, sizeof(c->help), "engine: %s %s",
                 wa ? "disk bytes per user byte written" : e->name, over);
        if (wa)
            break;
    }
}

static void build(void)
{
    add_fixed(head, sizeof(head) / sizeof(head[0]));
    add_config();
    add_roles();
    add_fixed(body, sizeof(body) / sizeof(body[0]));
    add_engine(false);
    add_engine(true);
    add_fixed(tail, sizeof(tail) / sizeof(tail[0]));

    /* the seed's columns to the front, in its order; the rest keep theirs */
    struct kvb_column *out = malloc(table.n * sizeof(*out));
    bool *taken = calloc(table.n, sizeof(*taken));
    table.names = malloc(table.n * sizeof(*table.names));
    if (!out || !taken || !table.names)
        internal("out of memory", "");
    size_t k = 0;
    for (size_t s = 0; s < kvb_seed_count; s++) {
        size_t i = 0;
        while (i < table.n && strcmp(table.cols[i].name, kvb_seed_columns[s]) != 0)
            i++;
        if (i == table.n)
            internal("no seed column", kvb_seed_columns[s]);
        out[k++] = table.cols[i];
        taken[i] = true;
    }
    for (size_t i = 0; i < table.n; i++)
        if (!taken[i])
            out[k++] = table.cols[i];
    free(taken);
    free(table.cols);
    table.cols = out;
    for (size_t i = 0; i < table.n; i++)
        table.names[i] = table.cols[i].name;
    for (size_t i = 0; i < table.n; i++)
        if (table.cols[i].of[0] && find(table.cols[i].of) < 0)
            internal("spread of no column", table.cols[i].of);
}

static void ensure(void)
{
    pthread_once(&table_once, build);
}

size_t kvb_column_count(void)
{
    ensure();
    return table.n;
}

const struct kvb_column *kvb_column_at(size_t i)
{
    ensure();
    return i < table.n ? &table.cols[i] : NULL;
}

const char *const *kvb_column_names(void)
{
    ensure();
    return table.names;
}

int kvb_column_index(const char *name)
{
    ensure();
    return find(name);
}

void kvb_column_format(const struct kvb_column *c, double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "%s", "");
        return;
    }
    switch (c->format) {
    case KVB_COL_FLAG:
        snprintf(buf, n, "%s", v != 0 ? "true" : "false");
        break;
    case KVB_COL_COUNT:
        snprintf(buf, n, "%.15g", v);
        break;
    case KVB_COL_FIGURE:
    case KVB_COL_TEXT:
        snprintf(buf, n, "%.6g", v);
        break;
    }
}
