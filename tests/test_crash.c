/*
 * test_crash.c - the after-a-kill check finds what a crash can do wrong
 * (a lost acknowledged commit, a hole below head, a corrupt value), and
 * `kvbench crash` kills real runs and finds nothing lost with sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/config.h"
#include "report/table.h"
#include "tests/testutil.h"
#include "workloads/crash.h"
#include "workloads/kv.h"

struct fixture {
    char dir[PATH_MAX];
    struct kvb_sweep *sw;
    struct kvb_run_spec spec;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct kvb_config_error e;
    const char *sets[] = {"backends=lmdb", "value_size=64"};
    kvbt_mkdtemp(f->dir, "crash");
    assert_int_equal(kvb_sweep_load(NULL, sets, 2, &f->sw, &e), 0);
    assert_int_equal(kvb_sweep_spec(f->sw, 0, &f->spec, &e), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kvb_config_free(&f->spec.cfg);
    kvb_sweep_free(f->sw);
    kvbt_rmtree(f->dir);
    free(f);
    return 0;
}

/* Writes monotonic keys 0 .. n-1 (skipping `hole`, corrupting `bad`) and head = n. */
static void populate(struct fixture *f, uint64_t n, uint64_t hole, uint64_t bad)
{
    const struct kvb_config *cfg = &f->spec.cfg;
    struct kvb_db db = {.be = cfg->be};
    struct kvb_client c = {.db = &db};
    struct kvb_open_args oa = {.dir = f->dir, .sync = true, .opts = cfg->bopts,
                               .max_clients = 1, .expected_keys = 100,
                               .value_size = cfg->value_size};
    struct kvb_valgen vg;
    uint8_t val[64];
    char key[KVB_KEY_MAX], head[24];
    assert_int_equal(kvb_valgen_init(&vg, cfg->value_size, cfg->seed), 0);
    assert_int_equal(cfg->be->open(&db, &oa), KVB_OK);
    assert_int_equal(cfg->be->client_open(&c), KVB_OK);
    assert_int_equal(cfg->be->begin(&c, 0), KVB_OK);
    kvb_value_prepare(&vg, val);
    for (uint64_t i = 0; i < n; i++) {
        if (i == hole)
            continue;
        kvb_value_fill(&vg, val, i, 0);
        if (i == bad)
            val[40] ^= 1;
        assert_int_equal(cfg->be->put(&c, key, kvb_monotonic_key(key, i), val, sizeof(val)),
                         KVB_OK);
        if (i == bad)
            val[40] ^= 1;
    }
    assert_int_equal(cfg->be->put(&c, KVB_HEAD_KEY, 4, head, kvb_put_decimal(head, n, 1)),
                     KVB_OK);
    assert_int_equal(cfg->be->commit(&c), KVB_OK);
    cfg->be->client_close(&c);
    assert_int_equal(cfg->be->close(&db), KVB_OK);
    kvb_valgen_free(&vg);
}

static void test_intact(void **state)
{
    struct fixture *f = *state;
    uint64_t acked[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct kvb_crash_check c;
    populate(f, 10, UINT64_MAX, UINT64_MAX);
    assert_int_equal(kvb_crash_check(&f->spec.cfg, f->dir, acked, 10, &c), 0);
    assert_int_equal(c.head, 10);
    assert_int_equal(c.lost, 0);
    assert_false(c.broken);
    assert_true(c.open_ms >= 0);
}

static void test_lost_acknowledged(void **state)
{
    struct fixture *f = *state;
    uint64_t acked[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    struct kvb_crash_check c;
    populate(f, 10, UINT64_MAX, UINT64_MAX);
    assert_int_equal(kvb_crash_check(&f->spec.cfg, f->dir, acked, 12, &c), 0);
    assert_int_equal(c.lost, 2);
    assert_int_equal(c.first_lost, 10);
    assert_false(c.broken);
}

static void test_hole_below_head(void **state)
{
    struct fixture *f = *state;
    uint64_t acked[] = {0, 1, 2};
    struct kvb_crash_check c;
    populate(f, 10, 5, UINT64_MAX);
    assert_int_equal(kvb_crash_check(&f->spec.cfg, f->dir, acked, 3, &c), 0);
    assert_true(c.broken);
    assert_non_null(strstr(c.detail, "key_000005 is missing"));
}

static void test_corrupt_value(void **state)
{
    struct fixture *f = *state;
    uint64_t acked[] = {0};
    struct kvb_crash_check c;
    populate(f, 10, UINT64_MAX, 7);
    assert_int_equal(kvb_crash_check(&f->spec.cfg, f->dir, acked, 1, &c), 0);
    assert_true(c.broken);
    assert_non_null(strstr(c.detail, "key_000007"));
}

static void test_unopenable(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX];
    struct kvb_crash_check c;
    /* an LMDB data file that is not one */
    kvbt_write_file(f->dir, "data.mdb", "this is not an LMDB environment, not even close....",
                    path);
    assert_int_equal(kvb_crash_check(&f->spec.cfg, f->dir, NULL, 0, &c), -1);
    assert_true(c.failed);
    assert_non_null(strstr(c.detail, "reopening"));
}

/* The whole command on lmdb: kills, reopens, nothing lost with sync. */
static void test_crash_command(void **state)
{
    struct fixture *f = *state;
    char cmd[PATH_MAX * 3], csv[PATH_MAX];
    snprintf(cmd, sizeof(cmd),
             "%s/kvbench crash --kills 3 --min-ms 100 --max-ms 300 -o %s "
             "--set backends=[lmdb,mem] --set num_writers=2 --set writer_rate=0 "
             "--set data_dir=%s/data --set name=t 2>/dev/null",
             KVB_TEST_BINARY_DIR, f->dir, f->dir);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    snprintf(csv, sizeof(csv), "%s/t-crash.csv", f->dir);
    struct kvb_table t;
    char err[256];
    assert_int_equal(kvb_csv_read(csv, &t, err, sizeof(err)), 0);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(kvb_table_get(&t, 0, "backend"), "lmdb");
    assert_string_equal(kvb_table_get(&t, 0, "status"), "ok");
    assert_string_equal(kvb_table_get(&t, 0, "kills"), "3");
    assert_string_equal(kvb_table_get(&t, 0, "lost_acked_commits"), "0");
    assert_true(atoi(kvb_table_get(&t, 0, "acked_commits")) > 0);
    assert_true(strlen(kvb_table_get(&t, 0, "recovery_p50_ms")) > 0);
    assert_string_equal(kvb_table_get(&t, 1, "status"), "n/a"); /* mem keeps nothing */
    kvb_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hole_below_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unopenable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
