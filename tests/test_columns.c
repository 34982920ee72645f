/*
 * test_columns.c - the column table: the seed's columns first and in order,
 * every configuration key and every role with its columns, one format rule
 * per kind, and `kvbench columns` printing the same table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/columns.h"
#include "report/row.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"
#include "util/option.h"

static void test_seed_first(void **state)
{
    (void)state;
    assert_int_equal(kvb_seed_count, 26);
    for (size_t i = 0; i < kvb_seed_count; i++)
        assert_string_equal(kvb_column_at(i)->name, kvb_seed_columns[i]);
    assert_string_equal(kvb_column_at(0)->name, "config_label");
    assert_string_equal(kvb_column_at(25)->name, "random_writer_p99_ms");
}

static void test_every_column_described(void **state)
{
    (void)state;
    size_t n = kvb_column_count();
    assert_true(n > 150);
    for (size_t i = 0; i < n; i++) {
        const struct kvb_column *c = kvb_column_at(i);
        assert_non_null(c->unit);
        assert_true(strlen(c->help) > 5);
        assert_int_equal(kvb_column_index(c->name), (int)i);
        if (c->of[0])
            assert_true(kvb_column_index(c->of) >= 0);
    }
    assert_int_equal(kvb_column_index("no_such_column"), -1);
}

/* The sources: a column per configuration key that is not sweep-wide, and
 * each role's group, named from the role table. */
static void test_sources(void **state)
{
    (void)state;
    for (const struct kvb_option *o = kvb_config_options; o->name; o++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%s", o->name, o->type == KVB_OPT_SECONDS ? "_secs" : "");
        if (o->sweep)
            assert_int_equal(kvb_column_index(name), -1);
        else if (kvb_column_index(name) < 0)
            fail_msg("config key %s has no column %s", o->name, name);
    }
    static const char *const suffixes[] = {"p50_ms",    "p99_ms",      "samples",
                                           "conflicts", "window_secs", "attempts_mean"};
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        const struct kvb_role_def *d = &kvb_roles[r];
        assert_true(kvb_column_index(d->ops_col) >= 0);
        assert_true(kvb_column_index(d->tps_col) >= 0);
        assert_true(kvb_column_index(d->retry_col) >= 0);
        for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
            char name[64];
            snprintf(name, sizeof(name), "%s_%s", d->col, suffixes[k]);
            if (kvb_column_index(name) < 0)
                fail_msg("role %s has no column %s", d->name, name);
        }
    }
}

static const char *cell(char **cells, const char *col)
{
    int i = kvb_column_index(col);
    assert_true(i >= 0);
    return cells[i];
}

/* One rule per kind: counts keep every digit (io_write_bytes printed as
 * 4.59981e+06 before the table), figures 6 significant digits, flags true
 * or false, unknown values empty. */
static void test_formats(void **state)
{
    (void)state;
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    struct kvb_result *res = malloc(sizeof(*res));
    assert_non_null(spec);
    assert_non_null(res);
    char why[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_defaults(kvb_config_options, &spec->cfg, why, sizeof(why)), 0);
    snprintf(spec->label, sizeof(spec->label), "W1");
    snprintf(spec->cfg.backend, sizeof(spec->cfg.backend), "null");
    spec->cfg.seed = UINT64_MAX; /* a double would round it */
    kvb_result_init(res);
    res->io_write_bytes = 4599810;
    res->measured_secs = 3;
    res->role[KVB_ROLE_WRITER].clients = 1;
    res->role[KVB_ROLE_WRITER].ops = 12345678901ull;
    res->role[KVB_ROLE_WRITER].window_secs = 3;
    char **cells = calloc(kvb_ncolumns, sizeof(*cells));
    assert_non_null(cells);
    assert_int_equal(kvb_row_build(spec, res, NULL, cells), 0);
    assert_string_equal(cell(cells, "io_write_bytes"), "4599810");
    assert_string_equal(cell(cells, "total_writes"), "12345678901");
    assert_string_equal(cell(cells, "write_tps"), "4.11523e+09");
    assert_string_equal(cell(cells, "seed"), "18446744073709551615");
    assert_string_equal(cell(cells, "sync"), "true");
    assert_string_equal(cell(cells, "read_before_write"), "false");
    assert_string_equal(cell(cells, "writer_low_samples"), "true"); /* no samples */
    assert_string_equal(cell(cells, "read_low_samples"), "");       /* no readers */
    assert_string_equal(cell(cells, "writer_p99_ms"), "");          /* no samples */
    assert_string_equal(cell(cells, "duration_secs"), "10");
    assert_string_equal(cell(cells, "arrival"), "fixed");
    assert_string_equal(cell(cells, "status"), "ok");
    assert_string_equal(cell(cells, "contended"), ""); /* the sweep fills it */
    kvb_row_free(cells);
    /* no result: the configuration, status failed with the reason, nothing measured */
    assert_int_equal(kvb_row_build(spec, NULL, "killed by signal 9", cells), 0);
    assert_string_equal(cell(cells, "status"), "failed");
    assert_string_equal(cell(cells, "failure_reason"), "killed by signal 9");
    assert_string_equal(cell(cells, "verification"), "n/a");
    assert_string_equal(cell(cells, "total_writes"), "");
    assert_string_equal(cell(cells, "num_writers"), "1");
    kvb_row_free(cells);
    free(cells);
    free(res);
    free(spec);
}

/* `kvbench columns` prints the table: a line per column, in order. */
static void test_command(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[PATH_MAX + 16], err[PATH_MAX + 16];
    kvbt_mkdtemp(dir, "columns");
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(err, sizeof(err), "%s/err", dir);
    static const char *const args[] = {"columns", "--csv", NULL};
    assert_int_equal(kvbt_run_kvbench(args, out, err), 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[1024];
    size_t n = 0;
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "index,name,unit,kind,repeats,meaning\n");
    while (fgets(line, sizeof(line), f)) {
        char want[128];
        snprintf(want, sizeof(want), "%zu,%s,", n + 1, kvb_column_at(n)->name);
        assert_true(strncmp(line, want, strlen(want)) == 0);
        n++;
    }
    fclose(f);
    assert_int_equal(n, kvb_column_count());
    static const char *const bad[] = {"columns", "--csvv", NULL};
    assert_int_equal(kvbt_run_kvbench(bad, out, err), 2);
    kvbt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_first), cmocka_unit_test(test_every_column_described),
        cmocka_unit_test(test_sources),    cmocka_unit_test(test_formats),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
