/*
 * test_engine_figures.c - the engine's figures of a whole run (kvb_run):
 * bytes written, write amplification and stalls over the measured window
 * next to the same over the whole run, awdb's WAL preparation counted apart
 * from what it wrote for the data, and awdb's durable lag of every commit
 * acknowledged in the window, in the result and in the CSV row.
 *
 * A big preload and a small window make the difference plain: the preload's
 * bytes are in the whole-run figures and not in the window's. Bounds are on
 * byte counts, which follow from the workload, never on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/backend.h"
#include "report/row.h"
#include "workloads/result.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"
#include "workloads/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
/* librocksdb is not built with TSan (as in test_run.c). */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:librocksdb.so\nrace:libstdc++.so\n";
}
#endif

static struct kvb_result *run_ok(const char *const *sets)
{
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    return res;
}

/* The cell of column col in the row of res (spec left at its zero values). */
static void row_cell(const struct kvb_result *res, const char *col, char *buf, size_t n)
{
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    char *cells[kvb_ncolumns];
    assert_non_null(spec);
    assert_int_equal(kvb_row_build(spec, res, NULL, cells), 0);
    int i = kvb_column_index(col);
    assert_true(i >= 0);
    snprintf(buf, n, "%s", cells[i]);
    kvb_row_free(cells);
    free(spec);
}

static void print_counters(const char *what, const struct kvb_engine_counters *c)
{
    print_message("%-10s disk %.0f prep %.0f user %.0f (write amplification %.3g), "
                  "stalls %.0f (%.1f ms)\n",
                  what, c->disk_bytes_written, c->prep_bytes_written, c->user_bytes_written,
                  kvb_engine_write_amplification(c), c->write_stalls, c->stall_ms);
}

/* A preload of 20000 records of 200 bytes (4 MB) and a window of a few
 * small commits: the window's bytes are a small part of the run's, and no
 * counter of the window exceeds the run's. */
static void window_excludes_preload(const char *backend, bool disk_known)
{
    char be[64];
    snprintf(be, sizeof be, "backends=%s", backend);
    const char *const sets[] = {
        be,
        "preload=20000",
        "value_size=200",
        "num_writers=1",
        "writer_rate=40",
        "num_readers=0",
        "duration=0.25",
        "warmup=0.1",
        "sync=false",
        NULL,
    };
    struct kvb_result *res = run_ok(sets);
    print_message("%s:\n", backend);
    print_counters("window", &res->engine);
    print_counters("whole run", &res->engine_total);
    const struct kvb_engine_counters *w = &res->engine, *t = &res->engine_total;
    /* the preload alone asked for 20000 * 200 value bytes */
    assert_true(t->user_bytes_written >= 20000.0 * 200);
    assert_true(w->user_bytes_written > 0);
    assert_true(w->user_bytes_written * 50 < t->user_bytes_written);
    for (const struct kvb_engine_counter *e = kvb_engine_counter_table; e->name; e++) {
        double wv = kvb_engine_counter_get(w, e), tv = kvb_engine_counter_get(t, e);
        if (isnan(tv)) {
            assert_true(isnan(wv));
            continue;
        }
        if (!(wv >= 0 && wv <= tv))
            fail_msg("%s: %s is %g in the window, %g over the run", backend, e->name, wv, tv);
    }
    if (disk_known) {
        assert_true(t->disk_bytes_written >= t->user_bytes_written);
        assert_true(w->disk_bytes_written * 10 < t->disk_bytes_written);
    } else {
        assert_true(isnan(t->disk_bytes_written));
    }

    /* the row gives both, under different names */
    char cell[64], want[64];
    row_cell(res, "user_bytes_written", cell, sizeof cell);
    snprintf(want, sizeof want, "%.15g", w->user_bytes_written); /* a count: every digit */
    assert_string_equal(cell, want);
    row_cell(res, "user_bytes_written_total", cell, sizeof cell);
    snprintf(want, sizeof want, "%.15g", t->user_bytes_written);
    assert_string_equal(cell, want);
    free(res);
}

static void test_window_excludes_preload_awdb(void **state)
{
    (void)state;
    window_excludes_preload("awdb", true);
}

static void test_window_excludes_preload_rocksdb(void **state)
{
    (void)state;
#ifdef KVB_WITH_ROCKSDB
    window_excludes_preload("rocksdb", true);
#else
    skip();
#endif
}

static void test_window_excludes_preload_lmdb(void **state)
{
    (void)state;
    window_excludes_preload("lmdb", false);
}

/* awdb with sync keeps 4 MiB of zeros written ahead of its WAL: they are
 * prep_bytes_written, not part of what it wrote for the data, so the write
 * amplification of a few hundred small commits stays near that of the WAL
 * records (they would have made it hundreds). */
static void test_awdb_prealloc_apart(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=awdb", "sync=true",    "num_writers=1", "writer_rate=100",
        "num_readers=0", "duration=0.3", "warmup=0.1",    NULL,
    };
    struct kvb_result *res = run_ok(sets);
    print_counters("window", &res->engine);
    print_counters("whole run", &res->engine_total);
    const struct kvb_engine_counters *w = &res->engine, *t = &res->engine_total;
    assert_true(t->prep_bytes_written >= 256 * 1024);
    assert_true(w->user_bytes_written > 0);
    double wa = kvb_engine_write_amplification(w), wat = kvb_engine_write_amplification(t);
    if (!(wa >= 1 && wa < 8 && wat >= 1 && wat < 8))
        fail_msg("write amplification %g (window), %g (whole run): WAL records of small commits "
                 "are a few times their user bytes at most",
                 wa, wat);
    /* what the amplification would have been with the zeros counted in */
    assert_true((t->disk_bytes_written + t->prep_bytes_written) / t->user_bytes_written > 50);
    char cell[64];
    row_cell(res, "prep_bytes_written_total", cell, sizeof cell);
    assert_true(strtod(cell, NULL) >= 256 * 1024);
    free(res);
}

/* awdb async with one WAL sync a second and a closed-loop writer: far more
 * commits wait for a sync than the adapter's ring used to hold. Each one
 * acknowledged in the window has its durable lag, and nothing is dropped. */
static void test_awdb_durable_lag_of_every_commit(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=awdb", "sync=false",    "awdb.flush_interval_ms=1000",
        "num_writers=1", "writer_rate=0", "num_readers=0",
        "duration=1",    "warmup=0",      NULL,
    };
    struct kvb_result *res = run_ok(sets);
    uint64_t acked = res->role[KVB_ROLE_WRITER].ops;
    print_message("%llu commits in the window, %llu durable lags (max %.1f ms), %g dropped\n",
                  (unsigned long long)acked, (unsigned long long)res->durable_lag.count,
                  res->durable_lag.max / 1e6, res->durable_lag_dropped);
    assert_true(acked > 0);
    /* the harness counts by intended start, the adapter by acknowledgement:
     * with no warmup both see every commit */
    assert_int_equal(res->durable_lag.count, acked);
    assert_true(res->durable_lag_dropped == 0);
    char cell[64];
    row_cell(res, "durable_lag_dropped", cell, sizeof cell);
    assert_string_equal(cell, "0");
    free(res);
}

/* Backends that track no durable lag leave the column empty. */
static void test_no_lag_no_dropped(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=awdb", "sync=true",    "num_writers=1", "writer_rate=50",
        "num_readers=0", "duration=0.1", "warmup=0",      NULL,
    };
    struct kvb_result *res = run_ok(sets);
    assert_true(isnan(res->durable_lag_dropped));
    char cell[64];
    row_cell(res, "durable_lag_dropped", cell, sizeof cell);
    assert_string_equal(cell, "");
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_excludes_preload_awdb),
        cmocka_unit_test(test_window_excludes_preload_rocksdb),
        cmocka_unit_test(test_window_excludes_preload_lmdb),
        cmocka_unit_test(test_awdb_prealloc_apart),
        cmocka_unit_test(test_awdb_durable_lag_of_every_commit),
        cmocka_unit_test(test_no_lag_no_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
