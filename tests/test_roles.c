/*
 * test_roles.c - the workload library's roles and knobs, run for real:
 * disjoint key ranges never conflict, shared ranges with read-modify-write
 * do on engines that detect conflicts, compactor conflicts are counted on
 * their own, scans come back ordered and verified on every backend that
 * scans, deletes do not count as violations, every acknowledged record
 * write is accounted for on every backend that stores (no false alarm),
 * the time series adds up, and every shipped config loads and expands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "config/config.h"
#include "workloads/result.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"

/* Runs sets + "backends=NAME" and returns the result; fails on a failed run. */
static struct kvb_result *run_on(const char *backend, const char *const *sets)
{
    const char *all[32];
    char be[64];
    size_t n = 0;
    snprintf(be, sizeof(be), "backends=%s", backend);
    all[n++] = be;
    for (size_t i = 0; sets[i] && n < 31; i++)
        all[n++] = sets[i];
    all[n] = NULL;
    int rc;
    struct kvb_result *res = kvbt_run_sets(all, &rc);
    if (rc != 0 || res->failed)
        fail_msg("%s: run failed: %s", backend, res->reason);
    if (res->isolation_violations)
        fail_msg("%s: %llu violations, first: %s", backend,
                 (unsigned long long)res->isolation_violations, res->first_violation);
    return res;
}

static void test_disjoint_ranges_never_conflict(void **state)
{
    (void)state;
    const char *sets[] = {"duration=0.4", "warmup=0", "num_writers=0", "num_readers=0",
                          "num_random_writers=4", "random_writer_rate=0",
                          "read_before_write=true", "ops_per_txn=5", "key_count=400",
                          "key_overlap_ratio=0", "sync=false", NULL};
    for (size_t i = 0; kvb_backends[i]; i++) {
        struct kvb_result *res = run_on(kvb_backends[i]->name, sets);
        const struct kvb_role_stats *rw = &res->role[KVB_ROLE_RANDOM_WRITER];
        assert_true(rw->ops > 0);
        if (rw->conflicts)
            fail_msg("%s: %llu conflicts on disjoint ranges", kvb_backends[i]->name,
                     (unsigned long long)rw->conflicts);
        free(res);
    }
}

static void test_shared_range_read_modify_write_conflicts(void **state)
{
    (void)state;
    const char *sets[] = {"duration=0.5", "warmup=0", "num_writers=0", "num_readers=0",
                          "num_random_writers=4", "random_writer_rate=0",
                          "read_before_write=true", "ops_per_txn=5", "key_count=50",
                          "key_overlap_ratio=1", "sync=false", NULL};
    for (size_t i = 0; kvb_backends[i]; i++) {
        if (!(kvb_backends[i]->caps & KVB_CAP_CONFLICTS))
            continue;
        uint64_t conflicts = 0;
        /* Conflicts need two writers to interleave: a few rounds make that sure. */
        for (int round = 0; round < 10 && !conflicts; round++) {
            struct kvb_result *res = run_on(kvb_backends[i]->name, sets);
            conflicts = res->role[KVB_ROLE_RANDOM_WRITER].conflicts;
            assert_int_equal(res->verdict, KVB_VERIFY_PASSED);
            free(res);
        }
        if (!conflicts)
            fail_msg("%s: no conflicts on a shared range with read-modify-write",
                     kvb_backends[i]->name);
    }
}

static void test_compactor_conflicts_counted_apart(void **state)
{
    (void)state;
    const char *sets[] = {"duration=0.6", "warmup=0", "num_writers=0", "num_readers=0",
                          "preload=200", "key_count=200", "num_random_writers=2",
                          "random_writer_rate=0", "read_before_write=true",
                          "num_compactors=2", "compactor_rate=0", "compactor_read_count=20",
                          "compactor_sleep_ms=5", "sync=false", NULL};
    for (size_t i = 0; kvb_backends[i]; i++) {
        if (!(kvb_backends[i]->caps & KVB_CAP_CONFLICTS))
            continue;
        uint64_t conflicts = 0;
        for (int round = 0; round < 10 && !conflicts; round++) {
            struct kvb_result *res = run_on(kvb_backends[i]->name, sets);
            const struct kvb_role_stats *cp = &res->role[KVB_ROLE_COMPACTOR];
            assert_int_equal(cp->clients, 2);
            assert_true(cp->attempts >= cp->ops);
            /* a compactor's latency includes the time it holds its transaction */
            if (cp->ops)
                assert_true(kvb_hist_percentile(&cp->service, 50) >= 5000000);
            conflicts = cp->conflicts;
            assert_int_equal(res->verdict, KVB_VERIFY_PASSED);
            free(res);
        }
        if (!conflicts)
            fail_msg("%s: compactors never conflicted with read-modify-write writers",
                     kvb_backends[i]->name);
    }
}

static void test_scans_ordered_and_verified(void **state)
{
    (void)state;
    const char *sets[] = {"duration=0.4", "warmup=0", "num_writers=1", "writer_rate=200",
                          "num_readers=0", "preload=3000", "num_scanners=2",
                          "scanner_rate=0", "scan_length=50", "num_random_writers=1",
                          "random_writer_rate=500", "key_count=3000", "sync=false", NULL};
    for (size_t i = 0; kvb_backends[i]; i++) {
        const struct kvb_backend *be = kvb_backends[i];
        if (!be->scan)
            continue;
        struct kvb_result *res = run_on(be->name, sets);
        const struct kvb_role_stats *sc = &res->role[KVB_ROLE_SCANNER];
        assert_true(sc->ops > 0);
        if (be->caps & KVB_CAP_STORES) {
            /* full scans: 50 keys each unless the start is within 50 of the end */
            assert_true(res->scanned_keys > sc->ops * 40);
            assert_int_equal(res->verdict, KVB_VERIFY_PASSED);
        }
        free(res);
    }
}

static void test_deletes_are_not_violations(void **state)
{
    (void)state;
    const char *sets[] = {"duration=0.4", "warmup=0", "num_writers=1", "writer_rate=100",
                          "num_readers=2", "reader_rate=0", "preload=500", "key_count=500",
                          "num_random_writers=2", "random_writer_rate=0", "delete_ratio=0.5",
                          "sync=false", NULL};
    const char *backends[] = {"mem", "lmdb"};
    for (size_t i = 0; i < 2; i++) {
        struct kvb_result *res = run_on(backends[i], sets);
        assert_true(res->role[KVB_ROLE_READER].ops > 0);
        assert_int_equal(res->verdict, KVB_VERIFY_PASSED);
        free(res);
    }
}

/* No false alarm: every backend that stores keeps every acknowledged record
 * write, with overlapping random writers that delete, read before they
 * write (or not), a compactor holding its transaction open, readers and a
 * monotonic writer all at once. */
static void test_record_writes_accounted_for(void **state)
{
    (void)state;
    const char *sets[] = {"duration=1", "warmup=0.05", "num_writers=1", "writer_rate=100",
                          "num_readers=2", "reader_rate=0", "preload=30", "key_count=30",
                          "num_random_writers=3", "random_writer_rate=0", "ops_per_txn=2",
                          "delete_ratio=0.3", "num_compactors=1", "compactor_rate=0",
                          "compactor_read_count=4", "compactor_sleep_ms=1", "sync=false",
                          NULL /* one of the variants */, NULL};
    static const char *const variants[] = {"read_before_write=true", "read_before_write=false"};
    size_t at = sizeof(sets) / sizeof(*sets) - 2;
    for (size_t i = 0; kvb_backends[i]; i++) {
        if (!(kvb_backends[i]->caps & KVB_CAP_STORES))
            continue;
        for (size_t v = 0; v < 2; v++) {
            sets[at] = variants[v];
            struct kvb_result *res = run_on(kvb_backends[i]->name, sets);
            if (!res->role[KVB_ROLE_RANDOM_WRITER].ops || !res->role[KVB_ROLE_READER].ops)
                fail_msg("%s, %s: %llu random writes (%llu attempts, %llu retry failures, "
                         "%llu errors), %llu reads",
                         kvb_backends[i]->name, variants[v],
                         (unsigned long long)res->role[KVB_ROLE_RANDOM_WRITER].ops,
                         (unsigned long long)res->role[KVB_ROLE_RANDOM_WRITER].attempts,
                         (unsigned long long)res->role[KVB_ROLE_RANDOM_WRITER].retry_failures,
                         (unsigned long long)res->role[KVB_ROLE_RANDOM_WRITER].errors,
                         (unsigned long long)res->role[KVB_ROLE_READER].ops);
            if (res->verdict != KVB_VERIFY_PASSED)
                fail_msg("%s: verification %d: %s", kvb_backends[i]->name, res->verdict,
                         res->verify_detail);
            free(res);
        }
    }
}

static void test_time_series_adds_up(void **state)
{
    (void)state;
    const char *sets[] = {"duration=1", "warmup=0.2", "num_writers=0", "num_readers=2",
                          "reader_rate=400", "report_interval=0.25", NULL};
    struct kvb_result *res = run_on("mem", sets);
    const struct kvb_series *s = &res->series;
    assert_int_equal(s->n, 4);
    uint64_t total = 0;
    for (unsigned k = 0; k < s->n; k++) {
        total += s->ops[KVB_ROLE_READER][k];
        /* paced: each interval holds its share of the schedule */
        assert_int_equal(s->ops[KVB_ROLE_READER][k], 200);
        assert_true(s->p99_ns[KVB_ROLE_READER][k] > 0);
        assert_int_equal(s->ops[KVB_ROLE_WRITER][k], 0);
    }
    assert_int_equal(total, res->role[KVB_ROLE_READER].ops);
    kvb_result_release(res);
    free(res);
}

static void test_shipped_configs_load(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 256];
    snprintf(dir, sizeof(dir), "%s/configs", KVB_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct kvb_sweep *sw;
        struct kvb_config_error ce;
        if (kvb_sweep_load(path, NULL, 0, &sw, &ce) != 0) {
            char msg[2048];
            kvb_config_error_format(&ce, msg, sizeof(msg));
            fail_msg("%s", msg);
        }
        size_t runs = kvb_sweep_count(sw);
        assert_true(runs > 0);
        for (size_t i = 0; i < runs; i++) {
            struct kvb_run_spec spec;
            assert_int_equal(kvb_sweep_spec(sw, i, &spec, &ce), 0);
            assert_non_null(spec.cfg.be);
            kvb_config_free(&spec.cfg);
        }
        kvb_sweep_free(sw);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disjoint_ranges_never_conflict),
        cmocka_unit_test(test_shared_range_read_modify_write_conflicts),
        cmocka_unit_test(test_compactor_conflicts_counted_apart),
        cmocka_unit_test(test_scans_ordered_and_verified),
        cmocka_unit_test(test_deletes_are_not_violations),
        cmocka_unit_test(test_record_writes_accounted_for),
        cmocka_unit_test(test_time_series_adds_up),
        cmocka_unit_test(test_shipped_configs_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
