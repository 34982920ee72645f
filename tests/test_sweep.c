/*
 * test_sweep.c - sweeps end to end (kvb_sweep_execute): children per run,
 * the comparison CSV, one JSON summary per run, failed rows for a crash and
 * a hang, sharding and merge; and the kvbench program's exit statuses.
 *
 * Every sweep writes into a temporary directory and makes its run
 * directories under another (data_dir), which must be empty afterwards.
 * Runs are short (a few tenths of a second); the whole file takes seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/backend.h"
#include "cli/commands.h"
#include "config/config.h"
#include "sweep/contention.h"
#include "report/row.h"
#include "sweep/scheduler.h"
#include "report/table.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The columns the project promises, by name and in this order, first. */
static const char *const promised[] = {
    "config_label", "backend", "status", "num_writers", "num_readers", "writer_rate",
    "reader_rate", "duration_secs", "total_writes", "total_reads", "write_tps", "read_tps",
    "writer_p50_ms", "writer_p95_ms", "writer_p99_ms", "read_p50_ms", "read_p95_ms",
    "read_p99_ms", "precondition_failure_rate", "retry_failures", "isolation_violations",
    "random_writes", "random_write_tps", "random_writer_p50_ms", "random_writer_p95_ms",
    "random_writer_p99_ms",
};
#define NPROMISED (sizeof(promised) / sizeof(promised[0]))

/* ---- fixture: a temporary directory with out/ and data/ ----------------- */

struct fx {
    char root[PATH_MAX];
    char out[PATH_MAX];
    char data[PATH_MAX];
    char data_set[PATH_MAX + 16]; /* "data_dir=<data>" */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    kvbt_mkdtemp(f->root, "sweep");
    snprintf(f->out, sizeof(f->out), "%s/out", f->root);
    snprintf(f->data, sizeof(f->data), "%s/data", f->root);
    snprintf(f->data_set, sizeof(f->data_set), "data_dir=%s", f->data);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kvbt_rmtree(f->root);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static struct kvb_sweep *load(const char *const *sets, const char *extra)
{
    const char *all[64];
    size_t n = 0;
    for (; sets[n]; n++) {
        assert_true(n < 62);
        all[n] = sets[n];
    }
    if (extra)
        all[n++] = extra;
    struct kvb_sweep *sw = NULL;
    struct kvb_config_error ce;
    if (kvb_sweep_load(NULL, all, n, &sw, &ce) != 0) {
        char msg[2048];
        kvb_config_error_format(&ce, msg, sizeof(msg));
        fail_msg("config: %s", msg);
    }
    return sw;
}

static void execute(const struct kvb_sweep *sw, const char *outdir, unsigned shard_k,
                    unsigned shard_n, struct kvb_sweep_outcome *out)
{
    struct kvb_sweep_opts o = {
        .outdir = outdir, .shard_k = shard_k, .shard_n = shard_n, .progress = -1,
    };
    char err[1024];
    if (kvb_sweep_execute(sw, &o, out, err, sizeof(err)) != 0)
        fail_msg("sweep: %s", err);
    assert_false(out->interrupted);
}

static void read_csv(const char *path, struct kvb_table *t)
{
    char err[1024];
    if (kvb_csv_read(path, t, err, sizeof(err)) != 0)
        fail_msg("reading %s: %s", path, err);
}

static void expect_promised_columns(const struct kvb_table *t)
{
    assert_true(t->ncols >= NPROMISED);
    for (size_t i = 0; i < NPROMISED; i++)
        if (strcmp(t->cols[i], promised[i]) != 0)
            fail_msg("column %zu is '%s', expected '%s'", i + 1, t->cols[i], promised[i]);
    /* and the program's own column list is the file's */
    assert_int_equal(t->ncols, kvb_ncolumns);
    for (size_t i = 0; i < t->ncols; i++)
        assert_string_equal(t->cols[i], kvb_column_names()[i]);
}

static const char *cell(const struct kvb_table *t, size_t r, const char *col)
{
    const char *v = kvb_table_get(t, r, col);
    if (!v)
        fail_msg("no column '%s'", col);
    return v;
}

/* Rows are the sweep's specs (first..first+n, every step-th), in order. */
static void expect_rows_are_specs(const struct kvb_table *t, const struct kvb_sweep *sw,
                                  size_t first, size_t step)
{
    for (size_t r = 0; r < t->nrows; r++) {
        struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
        struct kvb_config_error ce;
        assert_non_null(spec);
        size_t i = first + r * step;
        assert_int_equal(kvb_sweep_spec(sw, i, spec, &ce), 0);
        if (strcmp(cell(t, r, "config_label"), spec->label) != 0 ||
            strcmp(cell(t, r, "backend"), spec->cfg.backend) != 0)
            fail_msg("row %zu is %s/%s, expected spec %zu: %s/%s", r,
                     cell(t, r, "config_label"), cell(t, r, "backend"), i, spec->label,
                     spec->cfg.backend);
        char idx[32];
        snprintf(idx, sizeof(idx), "%zu", i);
        assert_string_equal(cell(t, r, "run_index"), idx);
        kvb_config_free(&spec->cfg);
        free(spec);
    }
}

static int count_entries(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("opendir %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t l = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;
        if (!suffix || (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0))
            n++;
    }
    closedir(d);
    return n;
}

/* Every run directory made under data_dir was removed. */
static void expect_data_dir_empty(const struct fx *f)
{
    struct stat st;
    assert_int_equal(stat(f->data, &st), 0); /* the sweep made it */
    int n = count_entries(f->data, NULL);
    if (n)
        fail_msg("%d run directories left under %s", n, f->data);
}

static int tmp_found;

static int find_tmp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (strstr(path + ftw->base, ".tmp")) {
        fprintf(stderr, "temporary file left: %s\n", path);
        tmp_found++;
    }
    return 0;
}

static void expect_no_temp_files(const char *dir)
{
    tmp_found = 0;
    assert_int_equal(nftw(dir, find_tmp, 16, FTW_PHYS), 0);
    assert_int_equal(tmp_found, 0);
}

/* Runs `kvbench sweep -o OUT --set data_dir=DATA` with a --set for each of
 * sets and then flags (both NULL-terminated); output into capture. Returns
 * its exit status. */
static int run_sweep(const struct fx *f, const char *capture, const char *const *sets,
                     const char *const *flags)
{
    const char *args[64] = {"sweep", "-o", f->out, "--set", f->data_set};
    size_t n = 5;
    for (; *sets; sets++) {
        assert_true(n + 2 < 63);
        args[n++] = "--set";
        args[n++] = *sets;
    }
    for (; *flags; flags++) {
        assert_true(n + 1 < 63);
        args[n++] = *flags;
    }
    args[n] = NULL;
    return kvbt_run_kvbench(args, capture, NULL);
}

/* Calls fn(argc, argv) with its stderr going to capture. */
static int call_capturing_stderr(int (*fn)(int, char **), int argc, char **argv,
                                 const char *capture)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    int fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    int rc = fn(argc, argv);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    return rc;
}

static void expect_file_mentions(const char *path, const char *needle)
{
    char *text = kvbt_read_file(path);
    assert_non_null(text);
    if (!strstr(text, needle))
        fail_msg("output does not mention '%s':\n%s", needle, text);
    free(text);
}

/* ---- an end-to-end sweep on mem and lmdb -------------------------------- */

static const char *const e2e_sets[] = {
    "name=e2e",        "backends=[mem, lmdb]", "num_writers=[1, 2]", "writer_rate=[50, 100]",
    "num_readers=2",   "reader_rate=200",      "duration=0.3",       "warmup=0.1",
    "parallel=4",      NULL,
};

static void check_summary(const char *path, const struct kvb_table *t)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        fail_msg("%s:%d: %s", path, je.line, je.text);
    assert_true(json_is_object(doc));

    json_t *cfg = json_object_get(doc, "config");
    json_t *row = json_object_get(doc, "row");
    json_t *machine = json_object_get(doc, "machine");
    json_t *hist = json_object_get(doc, "histograms");
    if (!json_is_object(cfg) || !json_is_object(row) || !json_is_object(machine) ||
        !json_is_object(hist))
        fail_msg("%s lacks config, row, machine or histograms", path);

    /* the row is one of the CSV's rows, every column of it */
    const char *idx = json_string_value(json_object_get(row, "run_index"));
    assert_non_null(idx);
    size_t r = (size_t)strtoul(idx, NULL, 10);
    assert_true(r < t->nrows);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *v = json_string_value(json_object_get(row, t->cols[c]));
        if (!v || strcmp(v, t->rows[r][c]) != 0)
            fail_msg("%s: row.%s is '%s', the CSV says '%s'", path, t->cols[c], v ? v : "(none)",
                     t->rows[r][c]);
    }
    /* the configuration it ran */
    assert_string_equal(json_string_value(json_object_get(cfg, "backends")),
                        cell(t, r, "backend"));
    assert_string_equal(json_string_value(json_object_get(cfg, "num_writers")),
                        cell(t, r, "num_writers"));
    assert_non_null(json_object_get(cfg, "duration"));
    /* the machine */
    assert_true(json_object_size(machine) > 0);
    assert_true(json_is_string(json_object_get(machine, "kernel")));
    assert_true(json_integer_value(json_object_get(machine, "cores")) >= 1);
    /* each role's distributions, ending at p100 */
    static const char *const hists[] = {"writer_latency", "writer_service", "reader_latency",
                                        "reader_service"};
    for (size_t i = 0; i < 4; i++) {
        json_t *h = json_object_get(hist, hists[i]);
        if (!json_is_object(h))
            fail_msg("%s: no histogram %s", path, hists[i]);
        assert_true(json_integer_value(json_object_get(h, "count")) > 0);
        json_t *pts = json_object_get(h, "percentiles");
        assert_true(json_is_array(pts));
        size_t n = json_array_size(pts);
        assert_true(n >= 5);
        double prev_p = -1, prev_v = -1;
        for (size_t k = 0; k < n; k++) {
            json_t *pt = json_array_get(pts, k);
            double p = json_number_value(json_array_get(pt, 0));
            double v = json_number_value(json_array_get(pt, 1));
            assert_true(p > prev_p);
            assert_true(v >= prev_v);
            prev_p = p;
            prev_v = v;
        }
        assert_true(prev_p == 100);
    }
    /* no random writers in this sweep: no histogram for them */
    assert_null(json_object_get(hist, "random_writer_latency"));
    json_decref(doc);
}

/* check_summary for every summary in runs_dir; returns how many. */
static int check_summaries(const char *runs_dir, const struct kvb_table *t)
{
    DIR *d = opendir(runs_dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof(path), "%s/%s", runs_dir, e->d_name);
        check_summary(path, t);
        n++;
    }
    closedir(d);
    return n;
}

static void test_sweep_end_to_end(void **state)
{
    struct fx *f = *state;
    struct kvb_sweep *sw = load(e2e_sets, f->data_set);
    assert_int_equal(kvb_sweep_count(sw), 8);
    struct kvb_sweep_outcome out;
    execute(sw, f->out, 0, 0, &out);
    assert_int_equal(out.runs, 8);
    assert_int_equal(out.failed, 0);
    assert_int_equal(out.violations, 0);
    char want[PATH_MAX];
    snprintf(want, sizeof(want), "%s/e2e.csv", f->out);
    assert_string_equal(out.csv, want);

    struct kvb_table t;
    read_csv(out.csv, &t);
    expect_promised_columns(&t);
    assert_int_equal(t.nrows, 8);

    /* expansion order: first axis slowest, backends innermost */
    static const char *const order[][3] = {
        {"1", "50", "mem"},  {"1", "50", "lmdb"},  {"1", "100", "mem"}, {"1", "100", "lmdb"},
        {"2", "50", "mem"},  {"2", "50", "lmdb"},  {"2", "100", "mem"}, {"2", "100", "lmdb"},
    };
    for (size_t r = 0; r < 8; r++) {
        assert_string_equal(cell(&t, r, "num_writers"), order[r][0]);
        assert_string_equal(cell(&t, r, "writer_rate"), order[r][1]);
        assert_string_equal(cell(&t, r, "backend"), order[r][2]);
        /* the label names the point: W<writers>_WR<rate>_RD<readers>_RT<rate> */
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "W%s_WR%s", order[r][0], order[r][1]);
        if (strncmp(cell(&t, r, "config_label"), prefix, strlen(prefix)) != 0)
            fail_msg("row %zu label '%s' does not start with %s", r, cell(&t, r, "config_label"),
                     prefix);
        assert_non_null(strstr(cell(&t, r, "config_label"), "_RD2_RT200"));
    }
    expect_rows_are_specs(&t, sw, 0, 1);

    for (size_t r = 0; r < t.nrows; r++) {
        if (strcmp(cell(&t, r, "status"), "ok") != 0)
            fail_msg("row %zu (%s %s): status %s: %s %s %s", r, cell(&t, r, "config_label"),
                     cell(&t, r, "backend"), cell(&t, r, "status"),
                     cell(&t, r, "failure_reason"), cell(&t, r, "verification_detail"),
                     cell(&t, r, "first_violation"));
        assert_string_equal(cell(&t, r, "verification"), "passed");
        assert_string_equal(cell(&t, r, "isolation_violations"), "0");
        assert_string_equal(cell(&t, r, "retry_failures"), "0");
        assert_string_equal(cell(&t, r, "duration_secs"), "0.3");
        assert_string_equal(cell(&t, r, "num_readers"), "2");
        /* paced writers: writers x rate x 0.3 s commits, give or take one each */
        long writes = strtol(cell(&t, r, "total_writes"), NULL, 10);
        long expect = strtol(cell(&t, r, "num_writers"), NULL, 10) *
                      strtol(cell(&t, r, "writer_rate"), NULL, 10) * 3 / 10;
        if (writes < expect - 2 || writes > expect + 2)
            fail_msg("row %zu: %ld writes, expected %ld", r, writes, expect);
        assert_true(strtol(cell(&t, r, "total_reads"), NULL, 10) > 0);
        assert_true(strtod(cell(&t, r, "write_tps"), NULL) > 0);
        assert_true(strtod(cell(&t, r, "writer_p99_ms"), NULL) > 0);
        assert_true(strtod(cell(&t, r, "read_p50_ms"), NULL) > 0);
        /* no random writers: their figures say so */
        assert_string_equal(cell(&t, r, "random_writes"), "0");
        assert_string_equal(cell(&t, r, "random_writer_p99_ms"), "");
        assert_string_equal(cell(&t, r, "final_head"), cell(&t, r, "acked_commits"));
    }

    /* one JSON summary per run */
    assert_int_equal(count_entries(out.runs_dir, ".json"), 8);
    assert_int_equal(check_summaries(out.runs_dir, &t), 8);

    kvb_table_free(&t);
    expect_data_dir_empty(f);
    expect_no_temp_files(f->out);
    kvb_sweep_free(sw);
}

/* ---- a crash and a hang cost one row each ------------------------------- */

static void test_sweep_crash_is_a_failed_row(void **state)
{
    struct fx *f = *state;
    static const char *const sets[] = {
        "name=crash",     "backends=mem",    "num_writers=[1, 2]", "writer_rate=200",
        "num_readers=1",  "reader_rate=100", "duration=0.4",       "warmup=0.1",
        "mem.crash_after_commits=[0, 30]",   "parallel=2",         NULL,
    };
    struct kvb_sweep *sw = load(sets, f->data_set);
    assert_int_equal(kvb_sweep_count(sw), 4);
    struct kvb_sweep_outcome out;
    execute(sw, f->out, 0, 0, &out);
    assert_int_equal(out.runs, 4);
    assert_int_equal(out.failed, 2);
    assert_int_equal(out.violations, 0);

    struct kvb_table t;
    read_csv(out.csv, &t);
    expect_promised_columns(&t);
    assert_int_equal(t.nrows, 4);
    expect_rows_are_specs(&t, sw, 0, 1);
    for (size_t r = 0; r < 4; r++) {
        const char *swept = cell(&t, r, "swept");
        bool crashes = strstr(swept, "crash_after_commits=30") != NULL;
        if (!crashes) {
            if (strcmp(cell(&t, r, "status"), "ok") != 0)
                fail_msg("row %zu (%s): %s: %s", r, swept, cell(&t, r, "status"),
                         cell(&t, r, "failure_reason"));
            assert_string_equal(cell(&t, r, "verification"), "passed");
            continue;
        }
        assert_string_equal(cell(&t, r, "status"), "failed");
        const char *why = cell(&t, r, "failure_reason");
        if (!strstr(why, "signal 6") || !strstr(why, "crash"))
            fail_msg("row %zu: reason '%s' does not name the signal", r, why);
        /* the configuration is still in the row */
        assert_string_equal(cell(&t, r, "backend"), "mem");
        assert_true(cell(&t, r, "config_label")[0] != '\0');
        assert_string_equal(cell(&t, r, "total_writes"), "");
    }
    /* a failed run still has its summary */
    assert_int_equal(count_entries(out.runs_dir, ".json"), 4);
    kvb_table_free(&t);
    expect_data_dir_empty(f);
    expect_no_temp_files(f->out);
    kvb_sweep_free(sw);
}

static void test_sweep_hang_is_a_failed_row(void **state)
{
    struct fx *f = *state;
    static const char *const sets[] = {
        "name=hang",     "backends=mem",    "num_writers=1", "writer_rate=200",
        "num_readers=1", "reader_rate=100", "duration=0.3",  "warmup=0.1",
        "timeout=4",     "mem.hang_after_commits=[0, 30]",  "parallel=2", NULL,
    };
    struct kvb_sweep *sw = load(sets, f->data_set);
    assert_int_equal(kvb_sweep_count(sw), 2);
    struct kvb_sweep_outcome out;
    execute(sw, f->out, 0, 0, &out);
    assert_int_equal(out.runs, 2);
    assert_int_equal(out.failed, 1);

    struct kvb_table t;
    read_csv(out.csv, &t);
    assert_int_equal(t.nrows, 2);
    expect_rows_are_specs(&t, sw, 0, 1);
    if (strcmp(cell(&t, 0, "status"), "ok") != 0)
        fail_msg("row 0: %s: %s", cell(&t, 0, "status"), cell(&t, 0, "failure_reason"));
    assert_string_equal(cell(&t, 1, "status"), "failed");
    const char *why = cell(&t, 1, "failure_reason");
    if (!strstr(why, "timed out") || !strstr(why, "4 s"))
        fail_msg("reason '%s' does not name the timeout", why);
    kvb_table_free(&t);
    expect_data_dir_empty(f);
    expect_no_temp_files(f->out);
    kvb_sweep_free(sw);
}

/* ---- shards and merge --------------------------------------------------- */

static const char *const shard_sets[] = {
    "name=sh",       "backends=[mem, null]", "num_writers=[1, 2]", "writer_rate=[100, 200]",
    "num_readers=1", "reader_rate=100",      "duration=0.2",       "warmup=0.05",
    "parallel=4",    NULL,
};

static void expect_same_runs(const struct kvb_table *a, const struct kvb_table *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->ncols, b->ncols);
    for (size_t c = 0; c < a->ncols; c++)
        assert_string_equal(a->cols[c], b->cols[c]);
    for (size_t r = 0; r < a->nrows; r++) {
        assert_string_equal(cell(a, r, "config_label"), cell(b, r, "config_label"));
        assert_string_equal(cell(a, r, "backend"), cell(b, r, "backend"));
        assert_string_equal(cell(a, r, "run_index"), cell(b, r, "run_index"));
    }
}

static void test_shards_merge_to_the_whole(void **state)
{
    struct fx *f = *state;
    struct kvb_sweep *sw = load(shard_sets, f->data_set);
    assert_int_equal(kvb_sweep_count(sw), 8);
    char full_dir[PATH_MAX + 8], shard_dir[PATH_MAX + 8];
    snprintf(full_dir, sizeof(full_dir), "%s/full", f->out);
    snprintf(shard_dir, sizeof(shard_dir), "%s/shards", f->out);

    struct kvb_sweep_outcome whole, s1, s2, s9;
    execute(sw, full_dir, 0, 0, &whole);
    execute(sw, shard_dir, 1, 2, &s1);
    execute(sw, shard_dir, 2, 2, &s2);
    /* more shards than runs: a shard with nothing to do writes the header */
    execute(sw, shard_dir, 9, 9, &s9);
    assert_int_equal(whole.runs, 8);
    assert_int_equal(s1.runs, 4);
    assert_int_equal(s2.runs, 4);
    assert_int_equal(s9.runs, 0);
    assert_int_equal(whole.failed + s1.failed + s2.failed, 0);
    assert_string_not_equal(s1.csv, s2.csv);
    assert_non_null(strstr(s1.csv, "shard-1-of-2"));
    assert_non_null(strstr(s2.csv, "shard-2-of-2"));

    /* shard K/N runs specs K-1, K-1+N, ... */
    struct kvb_table tw, t1, t2, t9;
    read_csv(whole.csv, &tw);
    read_csv(s1.csv, &t1);
    read_csv(s2.csv, &t2);
    read_csv(s9.csv, &t9);
    expect_promised_columns(&t1);
    expect_promised_columns(&t9);
    assert_int_equal(t9.nrows, 0);
    kvb_table_free(&t9);
    assert_int_equal(t1.nrows, 4);
    assert_int_equal(t2.nrows, 4);
    expect_rows_are_specs(&tw, sw, 0, 1);
    expect_rows_are_specs(&t1, sw, 0, 2);
    expect_rows_are_specs(&t2, sw, 1, 2);
    /* both shards' summaries are in the one runs directory */
    assert_int_equal(count_entries(s1.runs_dir, ".json"), 8);

    /* merged, in either order of the inputs: the unsharded sweep's rows */
    char merged[PATH_MAX + 16];
    snprintf(merged, sizeof(merged), "%s/merged.csv", f->out);
    char *orders[3][5] = {{"merge", merged, s1.csv, s2.csv, NULL},
                          {"merge", merged, s2.csv, s1.csv, NULL},
                          {"merge", merged, s9.csv, s2.csv, s1.csv}};
    for (int k = 0; k < 3; k++) {
        fflush(stdout);
        assert_int_equal(kvb_cmd_merge(orders[k][4] ? 5 : 4, orders[k]), 0);
        struct kvb_table tm;
        read_csv(merged, &tm);
        expect_same_runs(&tm, &tw);
        for (size_t r = 0; r < tm.nrows; r++)
            assert_string_equal(cell(&tm, r, "status"), "ok");
        kvb_table_free(&tm);
    }

    kvb_table_free(&tw);
    kvb_table_free(&t1);
    kvb_table_free(&t2);
    expect_data_dir_empty(f);
    expect_no_temp_files(f->out);
    kvb_sweep_free(sw);
}

static void test_merge_refuses_different_columns(void **state)
{
    struct fx *f = *state;
    char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], bad[PATH_MAX], log[PATH_MAX], merged[PATH_MAX];
    assert_int_equal(mkdir(f->out, 0755), 0);
    kvbt_write_file(f->out, "a.csv", "config_label,backend,status,run_index\nW1,mem,ok,0\n", a);
    kvbt_write_file(f->out, "b.csv", "config_label,backend,state,run_index\nW2,mem,ok,1\n", b);
    kvbt_write_file(f->out, "c.csv", "config_label,backend\nW3,mem\n", c);
    kvbt_write_file(f->out, "bad.csv", "config_label,backend\n\"W3,mem\n", bad);
    snprintf(log, sizeof(log), "%s/stderr.txt", f->root);
    snprintf(merged, sizeof(merged), "%s/merged.csv", f->out);

    /* a renamed column */
    char *argv1[] = {"merge", merged, a, b};
    assert_int_equal(call_capturing_stderr(kvb_cmd_merge, 4, argv1, log), 2);
    expect_file_mentions(log, "column 3 is 'state'");
    expect_file_mentions(log, "'status'");
    expect_file_mentions(log, "b.csv");
    /* another number of columns */
    char *argv2[] = {"merge", merged, a, c};
    assert_int_equal(call_capturing_stderr(kvb_cmd_merge, 4, argv2, log), 2);
    expect_file_mentions(log, "has 2 columns but");
    /* not a CSV */
    char *argv3[] = {"merge", merged, a, bad};
    assert_int_equal(call_capturing_stderr(kvb_cmd_merge, 4, argv3, log), 2);
    expect_file_mentions(log, "bad.csv");
    /* no inputs */
    char *argv4[] = {"merge", merged};
    assert_int_equal(call_capturing_stderr(kvb_cmd_merge, 2, argv4, log), 2);
    expect_file_mentions(log, "usage");
    /* nothing was written */
    assert_int_equal(access(merged, F_OK), -1);

    /* the same columns merge */
    kvbt_write_file(f->out, "b.csv", "config_label,backend,status,run_index\nW2,mem,ok,1\n", b);
    char *argv5[] = {"merge", merged, b, a};
    fflush(stdout);
    assert_int_equal(call_capturing_stderr(kvb_cmd_merge, 4, argv5, log), 0);
    struct kvb_table t;
    read_csv(merged, &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(cell(&t, 0, "config_label"), "W1"); /* by run_index */
    assert_string_equal(cell(&t, 1, "config_label"), "W2");
    kvb_table_free(&t);
    expect_no_temp_files(f->out);
}

/* ---- repeats combined into one row (kvb_row_combine) ------------------- */

/* A row of empty cells but for "column=value" items separated by ';' in
 * each of the NULL-ended texts. */
static char **make_row(const char *kv, ...)
{
    char **cells = calloc(kvb_ncolumns, sizeof(char *));
    assert_non_null(cells);
    for (size_t c = 0; c < kvb_ncolumns; c++)
        cells[c] = strdup("");
    va_list ap;
    va_start(ap, kv);
    for (; kv; kv = va_arg(ap, const char *)) {
        char *items = strdup(kv), *save = NULL;
        for (char *it = strtok_r(items, ";", &save); it; it = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(it, '=');
            assert_non_null(eq);
            *eq = '\0';
            int c = kvb_column_index(it);
            if (c < 0)
                fail_msg("no column '%s'", it);
            free(cells[c]);
            cells[c] = strdup(eq + 1);
        }
        free(items);
    }
    va_end(ap);
    return cells;
}

static void free_row(char **cells)
{
    if (!cells)
        return;
    kvb_row_free(cells);
    free(cells);
}

static const char *col_of(char **cells, const char *col)
{
    int c = kvb_column_index(col);
    if (c < 0)
        fail_msg("no column '%s'", col);
    return cells[c];
}

/* What a combined row says agrees with itself: its status is ok exactly
 * when it counts no violation, no error and no failed verification. */
static void expect_consistent(char **cells)
{
    bool bad = strcmp(col_of(cells, "isolation_violations"), "0") != 0 ||
               strcmp(col_of(cells, "verification"), "failed") == 0;
    const char *status = col_of(cells, "status");
    if (bad && strcmp(status, KVB_STATUS_OK) == 0)
        fail_msg("status ok next to violations %s, verification %s",
                 col_of(cells, "isolation_violations"), col_of(cells, "verification"));
    if (strcmp(status, KVB_STATUS_VIOLATION) == 0 && !bad)
        fail_msg("status violation next to no violation and verification %s",
                 col_of(cells, "verification"));
    if (strcmp(col_of(cells, "isolation_violations"), "0") != 0)
        assert_true(col_of(cells, "first_violation")[0] != '\0');
}

/* One repeat of three with isolation violations, errors and retry
 * failures, another whose verification failed: the row counts them all,
 * says violation, and names the repeats its texts come from; its figures
 * are still the medians, its spread the least and largest. */
static void test_combine_repeats(void **state)
{
    (void)state;
    static const char common[] = "config_label=W1;backend=mem;writer_rate=0.15";
    char **reps[3];
    reps[0] = make_row(common,
                       "status=ok;isolation_violations=0;errors=0;retry_failures=0;"
                       "verification=passed;write_tps=100;writer_p99_ms=2.0;total_writes=1000;"
                       "writer_low_samples=false;overlapping_runs=1;start_time=2024-01-01T00:00:00Z",
                       "contended=false;cpu_pressure_pct=3.0;overlapped_runs=0001 0002", NULL);
    reps[1] = make_row(common,
                       "status=violation;isolation_violations=2;errors=1;retry_failures=3;"
                       "verification=passed;first_violation=reader 0: key 7 is stale;"
                       "write_tps=90;writer_p99_ms=5.0;total_writes=900;writer_low_samples=true;"
                       "overlapping_runs=3;start_time=2024-01-01T00:01:00Z",
                       "contended=true;cpu_pressure_pct=40.5;overlapped_runs=0002 0003-r2", NULL);
    reps[2] = make_row(common,
                       "status=violation;isolation_violations=0;errors=0;retry_failures=0;"
                       "verification=failed;verification_detail=key 17: value does not verify;"
                       "write_tps=120;writer_p99_ms=1.0;total_writes=1200;writer_low_samples=false;"
                       "overlapping_runs=2;start_time=2024-01-01T00:02:00Z",
                       "contended=false;cpu_pressure_pct=1.0;overlapped_runs=", NULL);
    char *cells[kvb_ncolumns];
    assert_int_equal(kvb_row_combine(reps, 3, cells), 0);

    assert_string_equal(col_of(cells, "status"), KVB_STATUS_VIOLATION);
    assert_string_equal(col_of(cells, "isolation_violations"), "2");
    assert_string_equal(col_of(cells, "errors"), "1");
    assert_string_equal(col_of(cells, "retry_failures"), "3");
    assert_string_equal(col_of(cells, "verification"), "failed");
    assert_string_equal(col_of(cells, "verification_detail"),
                        "repeat 3 of 3: key 17: value does not verify");
    assert_string_equal(col_of(cells, "first_violation"),
                        "repeat 2 of 3: reader 0: key 7 is stale");
    assert_string_equal(col_of(cells, "failure_reason"), "");
    expect_consistent(cells);
    /* figures: the median repeat's cell; spread: least and largest */
    assert_string_equal(col_of(cells, "write_tps"), "100");
    assert_string_equal(col_of(cells, "writer_p99_ms"), "2.0");
    assert_string_equal(col_of(cells, "total_writes"), "1000");
    assert_string_equal(col_of(cells, "write_tps_min"), "90");
    assert_string_equal(col_of(cells, "write_tps_max"), "120");
    assert_string_equal(col_of(cells, "writer_p99_ms_min"), "1.0");
    assert_string_equal(col_of(cells, "writer_p99_ms_max"), "5.0");
    assert_string_equal(col_of(cells, "read_tps_min"), ""); /* no figure in any repeat */
    /* flags and context: the most any repeat had; the configuration: repeat 1's */
    assert_string_equal(col_of(cells, "writer_low_samples"), "true");
    assert_string_equal(col_of(cells, "overlapping_runs"), "3");
    assert_string_equal(col_of(cells, "contended"), "true"); /* one repeat was */
    assert_string_equal(col_of(cells, "cpu_pressure_pct"), "40.5");
    assert_string_equal(col_of(cells, "overlapped_runs"), "0001 0002 0003-r2");
    assert_string_equal(col_of(cells, "writer_rate"), "0.15");
    assert_string_equal(col_of(cells, "start_time"), "2024-01-01T00:00:00Z");
    assert_string_equal(col_of(cells, "repeats_done"), "3");
    kvb_row_free(cells);

    /* A crashed repeat and one not run yet: status failed with the crashed
     * repeat's reason; the figures of the repeat that ran; an even count of
     * figures takes the mean of the middle two. */
    char **crashed = make_row("config_label=W1;status=failed;failure_reason=crashed: signal 11;"
                              "verification=n/a",
                              NULL);
    char **partial[3] = {reps[0], NULL, crashed};
    assert_int_equal(kvb_row_combine(partial, 3, cells), 0);
    assert_string_equal(col_of(cells, "status"), KVB_STATUS_FAILED);
    assert_string_equal(col_of(cells, "failure_reason"), "repeat 3 of 3: crashed: signal 11");
    assert_string_equal(col_of(cells, "verification"), "n/a");
    assert_string_equal(col_of(cells, "write_tps"), "100");
    assert_string_equal(col_of(cells, "repeats_done"), "2");
    kvb_row_free(cells);
    char **even[2] = {reps[0], reps[1]};
    assert_int_equal(kvb_row_combine(even, 2, cells), 0);
    assert_string_equal(col_of(cells, "write_tps"), "95");
    assert_string_equal(col_of(cells, "status"), KVB_STATUS_VIOLATION);
    assert_string_equal(col_of(cells, "verification"), "passed");
    expect_consistent(cells);
    kvb_row_free(cells);

    free_row(crashed);
    for (int i = 0; i < 3; i++)
        free_row(reps[i]);
}

/* ---- the order runs start in ------------------------------------------- */

static void expect_order(const struct kvb_task *got, size_t n, const size_t (*want)[2])
{
    for (size_t i = 0; i < n; i++)
        if (got[i].spec != want[i][0] || got[i].rep != want[i][1])
            fail_msg("run %zu is spec %zu repeat %u, expected spec %zu repeat %zu", i, got[i].spec,
                     got[i].rep + 1, want[i][0], want[i][1] + 1);
}

/* Repeats are interleaved round-robin (repeat 1 of every spec, then repeat
 * 2 of every spec that has one, ...); grouped keeps each spec's together. */
static void test_run_order(void **state)
{
    (void)state;
    const unsigned repeats[] = {3, 1, 2};
    struct kvb_task order[6];
    assert_int_equal(kvb_run_order(repeats, 3, false, order), 6);
    expect_order(order, 6, (const size_t[][2]){{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}});
    assert_int_equal(kvb_run_order(repeats, 3, true, order), 6);
    expect_order(order, 6, (const size_t[][2]){{0, 0}, {0, 1}, {0, 2}, {1, 0}, {2, 0}, {2, 1}});
}

/* The lines "[k/N] LABEL BACKEND (repeat R of M): ..." of a sweep's output,
 * in order, as "BACKEND R". */
static size_t finished_runs(const char *log, char (*runs)[32], size_t max)
{
    char *text = kvbt_read_file(log);
    assert_non_null(text);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
        char label[64], backend[16];
        unsigned rep, of;
        if (line[0] == '[' &&
            sscanf(line, "[%*u/%*u] %63s %15s (repeat %u of %u)", label, backend, &rep, &of) == 4)
            snprintf(runs[n++], sizeof(runs[0]), "%s %s %u", label, backend, rep);
    }
    free(text);
    return n;
}

/* A sweep with repeat: 2, one run at a time: the repeats run round-robin
 * (every configuration's first, then every second), the CSV has one row per
 * configuration in expansion order; a shard interleaves its own. */
static void test_sweep_interleaves_repeats(void **state)
{
    struct fx *f = *state;
    char log[PATH_MAX];
    snprintf(log, sizeof(log), "%s/output.txt", f->root);
    static const char *const sets[] = {"name=order",
                                       "backends=[null, mem]",
                                       "num_writers=[1, 2]",
                                       "writer_rate=50",
                                       "num_readers=0",
                                       "duration=0.1",
                                       "warmup=0",
                                       "repeat=2",
                                       NULL};
    assert_int_equal(run_sweep(f, log, sets, (const char *const[]){"-j", "1", NULL}), 0);
    char runs[16][32];
    assert_int_equal(finished_runs(log, runs, 16), 8);
    static const char *const want[] = {
        "W1_WR50.00_RD0_RT100 null 1", "W1_WR50.00_RD0_RT100 mem 1",  "W2_WR50.00_RD0_RT100 null 1",
        "W2_WR50.00_RD0_RT100 mem 1",  "W1_WR50.00_RD0_RT100 null 2", "W1_WR50.00_RD0_RT100 mem 2",
        "W2_WR50.00_RD0_RT100 null 2", "W2_WR50.00_RD0_RT100 mem 2",
    };
    for (size_t i = 0; i < 8; i++)
        if (strcmp(runs[i], want[i]) != 0)
            fail_msg("run %zu to finish was %s, expected %s", i + 1, runs[i], want[i]);

    struct kvb_table t;
    char csv[PATH_MAX + 16];
    snprintf(csv, sizeof(csv), "%s/order.csv", f->out);
    read_csv(csv, &t);
    assert_int_equal(t.nrows, 4);
    for (size_t r = 0; r < 4; r++) {
        char idx[8];
        snprintf(idx, sizeof(idx), "%zu", r);
        assert_string_equal(cell(&t, r, "run_index"), idx);
        assert_string_equal(cell(&t, r, "repeats_done"), "2");
    }
    kvb_table_free(&t);

    /* shard 2 of 2: configurations 1 and 3 (mem), interleaved */
    static const char *const shard[] = {"-j", "1", "--shard", "2/2", "--force", NULL};
    assert_int_equal(run_sweep(f, log, sets, shard), 0);
    assert_int_equal(finished_runs(log, runs, 16), 4);
    assert_string_equal(runs[0], "W1_WR50.00_RD0_RT100 mem 1");
    assert_string_equal(runs[1], "W2_WR50.00_RD0_RT100 mem 1");
    assert_string_equal(runs[2], "W1_WR50.00_RD0_RT100 mem 2");
    assert_string_equal(runs[3], "W2_WR50.00_RD0_RT100 mem 2");
    expect_data_dir_empty(f);
}

/* ---- runs that compete for the CPU --------------------------------------- */

/* The specs of a sweep loaded from sets; *n gets their count. */
static struct kvb_run_spec *specs_of(const char *const *sets, size_t *n)
{
    struct kvb_sweep *sw = load(sets, NULL);
    *n = kvb_sweep_count(sw);
    struct kvb_run_spec *specs = calloc(*n, sizeof(*specs));
    assert_non_null(specs);
    for (size_t i = 0; i < *n; i++) {
        struct kvb_config_error ce;
        assert_int_equal(kvb_sweep_spec(sw, i, &specs[i], &ce), 0);
    }
    kvb_sweep_free(sw);
    return specs;
}

static void free_specs(struct kvb_run_spec *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kvb_config_free(&specs[i].cfg);
    free(specs);
}

/* Threads per run are its clients plus the engine's own; runs at once need
 * the threads of the busiest of them together; the sweep warns when that
 * passes the cores and more than one run runs at once. */
static void test_cpu_demand(void **state)
{
    (void)state;
    static const char *const sets[] = {"backends=[null, awdb]", "num_writers=[1, 3]",
                                       "num_readers=2", NULL};
    size_t n;
    struct kvb_run_spec *specs = specs_of(sets, &n);
    assert_int_equal(n, 4);
    /* null has no threads of its own; awdb its WAL flusher, its memtable
     * flush and (sync, wal_prealloc) the WAL's preparation */
    static const unsigned want[] = {3, 6, 5, 8};
    for (size_t i = 0; i < n; i++)
        if (kvb_run_threads(&specs[i].cfg) != want[i])
            fail_msg("%s %s: %u threads, expected %u", specs[i].label, specs[i].cfg.backend,
                     kvb_run_threads(&specs[i].cfg), want[i]);
    struct kvb_cpu_demand d;
    /* 8 at a time: all 4 runs, 3 + 6 + 5 + 8 threads */
    assert_true(kvb_sweep_cpu_demand(specs, n, 8, 2, &d));
    assert_int_equal(d.runs, 4);
    assert_int_equal(d.threads, 22);
    assert_int_equal(d.cores, 2);
    /* 2 at a time: the two busiest, awdb with 3 writers and with 1 */
    assert_true(kvb_sweep_cpu_demand(specs, n, 2, 2, &d));
    assert_int_equal(d.threads, 14);
    assert_false(kvb_sweep_cpu_demand(specs, n, 2, 16, &d)); /* enough cores */
    assert_false(kvb_sweep_cpu_demand(specs, n, 1, 2, &d));  /* one at a time */
    assert_int_equal(d.runs, 1);
    free_specs(specs, n);

    /* awdb without sync has no WAL preparation; rocksdb's flush and
     * compaction jobs follow its option */
    static const char *const async[] = {"backends=awdb", "sync=false", "num_readers=0", NULL};
    specs = specs_of(async, &n);
    assert_int_equal(kvb_run_threads(&specs[0].cfg), 1 + 2);
    free_specs(specs, n);
    if (kvb_backend_find("rocksdb")) {
        static const char *const rdb[] = {"backends=rocksdb", "num_readers=0",
                                          "rocksdb.max_background_jobs=4", NULL};
        specs = specs_of(rdb, &n);
        assert_int_equal(kvb_run_threads(&specs[0].cfg), 1 + 4);
        free_specs(specs, n);
    }

    /* repeats are runs too: one configuration repeated can overlap itself */
    static const char *const rep[] = {"backends=null", "num_writers=1", "num_readers=2", "repeat=4",
                                      NULL};
    specs = specs_of(rep, &n);
    assert_true(kvb_sweep_cpu_demand(specs, n, 8, 2, &d));
    assert_int_equal(d.runs, 4);
    assert_int_equal(d.threads, 12);
    free_specs(specs, n);
}

/* /proc/pressure/cpu's "some" total, the pressure between two readings,
 * and the contended rule (PSI first, the load average without it). */
static void test_cpu_pressure(void **state)
{
    (void)state;
    uint64_t us = 0;
    assert_int_equal(kvb_psi_parse("some avg10=34.75 avg60=19.42 avg300=8.79 total=39725850\n"
                                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                                   &us),
                     0);
    assert_true(us == 39725850);
    assert_int_equal(kvb_psi_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", &us), -1);
    assert_int_equal(kvb_psi_parse("", &us), -1);

    struct kvb_cpu_gauge a = {.t_ns = 1000000000, .psi = true, .some_us = 5000000};
    struct kvb_cpu_gauge b = {.t_ns = 3000000000, .psi = true, .some_us = 6000000};
    assert_true(fabs(kvb_cpu_pressure_pct(&a, &b) - 50.0) < 1e-9); /* 1 s of 2 */
    b.psi = false;
    assert_true(isnan(kvb_cpu_pressure_pct(&a, &b)));

    assert_true(kvb_contended(50, NAN));
    assert_true(kvb_contended(KVB_CONTENDED_PRESSURE_PCT, 0));
    assert_false(kvb_contended(5, 9)); /* PSI says little: the load average is not asked */
    assert_true(kvb_contended(NAN, 1.5));
    assert_false(kvb_contended(NAN, 0.5));
    assert_false(kvb_contended(NAN, NAN));

    /* the cells of a run: pressure, load per core, and the verdict by the rule */
    struct kvb_run_contention c = {.start = a,
                                   .end = {.t_ns = 3000000000, .psi = true, .some_us = 5100000},
                                   .load_max = 3.0,
                                   .peak_threads = 12,
                                   .cores = 2};
    char *cells[kvb_ncolumns];
    for (size_t i = 0; i < kvb_ncolumns; i++)
        cells[i] = NULL;
    assert_int_equal(kvb_contention_cells(&c, cells), 0);
    assert_string_equal(col_of(cells, "cpu_pressure_pct"), "5");
    assert_string_equal(col_of(cells, "load_per_core"), "1.5");
    assert_string_equal(col_of(cells, "peak_threads"), "12");
    assert_string_equal(col_of(cells, "cores"), "2");
    assert_string_equal(col_of(cells, "contended"), "false");
    c.end.psi = false; /* no PSI: the load average decides */
    assert_int_equal(kvb_contention_cells(&c, cells), 0);
    assert_string_equal(col_of(cells, "cpu_pressure_pct"), "");
    assert_string_equal(col_of(cells, "contended"), "true");
    kvb_row_free(cells);
}

/* A sweep whose runs at once need more threads than the machine has cores
 * says so before it starts; each row records the runs beside it and the
 * CPU it met, and the JSON summary holds the same. */
static void test_sweep_warns_of_contention(void **state)
{
    struct fx *f = *state;
    char log[PATH_MAX];
    snprintf(log, sizeof(log), "%s/output.txt", f->root);
    /* 2 runs of 65 and 66 threads (64 readers at 1/s and 1 or 2 writers) */
    static const char *const sets[] = {"name=busy",      "backends=null",  "num_writers=[1, 2]",
                                       "writer_rate=20", "num_readers=64", "reader_rate=1",
                                       "duration=0.3",   "warmup=0",       NULL};
    assert_int_equal(run_sweep(f, log, sets, (const char *const[]){"-j", "2", NULL}), 0);
    unsigned cores = kvb_cores();
    char *text = kvbt_read_file(log);
    assert_non_null(text);
    char want[256];
    snprintf(want, sizeof(want),
             "warning: 2 runs at once need up to 131 threads (clients and engine threads) on %u "
             "cores",
             cores);
    if (131 > cores && !strstr(text, want))
        fail_msg("no warning [%s] in:\n%s", want, text);
    if (131 <= cores)
        assert_null(strstr(text, "warning:"));
    free(text);

    struct kvb_table t;
    char csv[PATH_MAX + 16];
    snprintf(csv, sizeof(csv), "%s/busy.csv", f->out);
    read_csv(csv, &t);
    assert_int_equal(t.nrows, 2);
    char cores_s[16];
    snprintf(cores_s, sizeof(cores_s), "%u", cores);
    bool psi = access("/proc/pressure/cpu", R_OK) == 0;
    for (size_t r = 0; r < 2; r++) {
        /* the two started together: each overlapped the other */
        assert_string_equal(cell(&t, r, "overlapping_runs"), "1");
        assert_string_equal(cell(&t, r, "overlapped_runs"), r ? "0000" : "0001");
        assert_string_equal(cell(&t, r, "peak_threads"), "131");
        assert_string_equal(cell(&t, r, "cores"), cores_s);
        const char *pct = cell(&t, r, "cpu_pressure_pct"), *load = cell(&t, r, "load_per_core");
        if (psi) {
            char *end;
            double v = strtod(pct, &end);
            if (!*pct || *end || v < 0 || v > 100)
                fail_msg("row %zu: cpu_pressure_pct '%s'", r, pct);
        }
        double p = *pct ? strtod(pct, NULL) : NAN, l = *load ? strtod(load, NULL) : NAN;
        assert_string_equal(cell(&t, r, "contended"), kvb_contended(p, l) ? "true" : "false");
    }
    /* the summaries hold the same row */
    char runs[PATH_MAX + 16];
    snprintf(runs, sizeof(runs), "%s/busy/runs", f->out);
    assert_int_equal(check_summaries(runs, &t), 2);
    kvb_table_free(&t);
    expect_data_dir_empty(f);
}

/* ---- the program's exit statuses ---------------------------------------- */

static void test_program_exit_statuses(void **state)
{
    struct fx *f = *state;
    char log[PATH_MAX], yaml[PATH_MAX], notyaml[PATH_MAX];
    snprintf(log, sizeof(log), "%s/output.txt", f->root);

    static const char *const version[] = {"--version", NULL};
    assert_int_equal(kvbt_run_kvbench(version, log, NULL), 0);
    expect_file_mentions(log, "kvbench " KVB_VERSION);

    /* a list-valued key makes a sweep: run refuses it and says to use sweep */
    static const char *const list[] = {"run", "--set", "num_writers=[1, 2]", NULL};
    assert_int_equal(kvbt_run_kvbench(list, log, NULL), 2);
    expect_file_mentions(log, "num_writers");
    expect_file_mentions(log, "kvbench sweep");
    static const char *const two_backends[] = {"run", "--set", "backends=[mem, null]", NULL};
    assert_int_equal(kvbt_run_kvbench(two_backends, log, NULL), 2);
    expect_file_mentions(log, "kvbench sweep");

    /* bad configs: exit 2 with the file, position and key */
    kvbt_write_file(f->root, "bad.yaml", "name: bad\nnum_writers: -1\n", yaml);
    const char *bad_file[] = {"run", yaml, NULL};
    assert_int_equal(kvbt_run_kvbench(bad_file, log, NULL), 2);
    expect_file_mentions(log, "bad.yaml:2:");
    expect_file_mentions(log, "num_writers");
    const char *bad_sweep[] = {"sweep", yaml, "-o", f->out, NULL};
    assert_int_equal(kvbt_run_kvbench(bad_sweep, log, NULL), 2);
    expect_file_mentions(log, "bad.yaml:2:");
    kvbt_write_file(f->root, "list.yaml", "[1, 2, 3]\n", notyaml);
    const char *not_mapping[] = {"run", notyaml, NULL};
    assert_int_equal(kvbt_run_kvbench(not_mapping, log, NULL), 2);
    static const char *const unknown[] = {"run", "--set", "num_writer=1", NULL};
    assert_int_equal(kvbt_run_kvbench(unknown, log, NULL), 2);
    expect_file_mentions(log, "num_writers"); /* did you mean */
    static const char *const missing[] = {"run", "/nonexistent/kvbench.yaml", NULL};
    assert_int_equal(kvbt_run_kvbench(missing, log, NULL), 2);
    static const char *const bad_cmd[] = {"frobnicate", NULL};
    assert_int_equal(kvbt_run_kvbench(bad_cmd, log, NULL), 2);
    /* nothing was written for the refused sweep */
    assert_int_equal(access(f->out, F_OK), -1);

    /* a run that passes exits 0; one whose verification fails exits 1 */
    const char *ok[] = {"run", "--set", "backends=mem", "--set", "duration=0.2", "--set",
                        "warmup=0", "--set", "writer_rate=100", "--set", f->data_set, NULL};
    assert_int_equal(kvbt_run_kvbench(ok, log, NULL), 0);
    const char *lossy[] = {"run", "--set", "backends=mem", "--set", "duration=0.2", "--set",
                           "warmup=0", "--set", "writer_rate=100", "--set",
                           "mem.lose_write_every=3", "--set", f->data_set, NULL};
    assert_int_equal(kvbt_run_kvbench(lossy, log, NULL), 1);
    expect_file_mentions(log, "verification");
    expect_data_dir_empty(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_crash_is_a_failed_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_hang_is_a_failed_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shards_merge_to_the_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_refuses_different_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_program_exit_statuses, setup, teardown),
        cmocka_unit_test(test_combine_repeats),
        cmocka_unit_test(test_run_order),
        cmocka_unit_test_setup_teardown(test_sweep_interleaves_repeats, setup, teardown),
        cmocka_unit_test(test_cpu_demand),
        cmocka_unit_test(test_cpu_pressure),
        cmocka_unit_test_setup_teardown(test_sweep_warns_of_contention, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
