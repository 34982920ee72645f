/*
 * test_config.c - config loading, --set overrides, validation errors and
 * sweep expansion (config/config.c, config/cases.c, config/expand.c, config/yaml_tree.c).
 *
 * Bad configs are a table: YAML text, and the line, column, key and a
 * distinctive part of the message the one error must carry. Backend options
 * are read back through each backend's option table (kvb_opt_format), so the
 * tests do not depend on the layout of the backends' private structs.
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

#include "config/config.h"
#include "config/yaml_tree.h"
#include "tests/testutil.h"

struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    kvbt_mkdtemp(f->dir, "config");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kvbt_rmtree(f->dir);
    free(f);
    return 0;
}

/* Loads text written to dir/name with the given overrides; asserts success. */
static struct kvb_sweep *load_ok(struct fixture *f, const char *name, const char *text,
                                 const char *const *sets, size_t nset)
{
    struct kvb_sweep *s = NULL;
    struct kvb_config_error err;
    const char *path = NULL;
    if (text) {
        kvbt_write_file(f->dir, name, text, f->path);
        path = f->path;
    }
    if (kvb_sweep_load(path, sets, nset, &s, &err) != 0) {
        char buf[1024];
        kvb_config_error_format(&err, buf, sizeof(buf));
        fail_msg("load failed: %s", buf);
    }
    assert_non_null(s);
    return s;
}

/* Loads text and returns the error (asserting that it failed). */
static struct kvb_config_error load_bad(struct fixture *f, const char *text,
                                        const char *const *sets, size_t nset)
{
    struct kvb_sweep *s = (struct kvb_sweep *)1;
    struct kvb_config_error err;
    const char *path = NULL;
    if (text) {
        kvbt_write_file(f->dir, "bad.yaml", text, f->path);
        path = f->path;
    }
    int rc = kvb_sweep_load(path, sets, nset, &s, &err);
    if (rc == 0) {
        kvb_sweep_free(s);
        fail_msg("loaded, but should have failed:\n%s", text ? text : "(no file)");
    }
    assert_int_equal(rc, -1);
    assert_null(s);
    return err;
}

static void spec_at(const struct kvb_sweep *s, size_t i, struct kvb_run_spec *spec)
{
    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_spec(s, i, spec, &err), 0);
    assert_int_equal(spec->index, i);
    assert_non_null(spec->cfg.be);
    assert_non_null(spec->cfg.bopts);
}

/* A backend option of cfg as text (kvb_opt_format). */
static const char *bopt(const struct kvb_config *cfg, const char *name)
{
    static char buf[128];
    const struct kvb_option *o = kvb_opt_find(cfg->be->options, name);
    assert_non_null(o);
    kvb_opt_format(o, cfg->bopts, buf, sizeof(buf));
    return buf;
}

static const char *swept_value(const struct kvb_run_spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->nswept; i++)
        if (strcmp(spec->swept[i].key, key) == 0)
            return spec->swept[i].value;
    return NULL;
}

/* ---- valid configs ---- */

static void test_valid_config(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "valid.yaml",
                                  "# a comment\n"
                                  "name: my-sweep\n"
                                  "backends: [mem, lmdb]\n"
                                  "parallel: 4\n"
                                  "duration: 2m\n"
                                  "warmup: 500ms\n"
                                  "timeout: 1h\n"
                                  "num_writers: 3\n"
                                  "writer_rate: 0.5\n"
                                  "num_readers: 0\n"
                                  "reader_rate: 0\n"
                                  "num_random_writers: 2\n"
                                  "random_writer_rate: 1e3\n"
                                  "ops_per_txn: 8\n"
                                  "key_count: 5000000000\n"
                                  "preload: 1000\n"
                                  "value_size: 1000\n"
                                  "max_retry_count: 0\n"
                                  "sync: false\n"
                                  "seed: 42\n"
                                  "arrival: poisson\n"
                                  "data_dir: \"/mnt/disk under test\"\n"
                                  "mem:\n"
                                  "  lose_write_every: 3\n"
                                  "  lost_update: yes\n"
                                  "lmdb:\n"
                                  "  map_size: 1G\n",
                                  NULL, 0);
    assert_string_equal(kvb_sweep_name(s), "my-sweep");
    assert_int_equal(kvb_sweep_count(s), 2);
    char axis[64] = "untouched";
    assert_false(kvb_sweep_has_axes(s, axis, sizeof(axis)));

    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    const struct kvb_config *c = &spec.cfg;
    assert_string_equal(c->name, "my-sweep");
    assert_string_equal(c->backend, "mem");
    assert_string_equal(c->be->name, "mem");
    assert_int_equal(c->parallel, 4);
    assert_true(c->duration == 120.0);
    assert_true(c->warmup == 0.5);
    assert_true(c->timeout == 3600.0);
    assert_int_equal(c->num_writers, 3);
    assert_true(c->writer_rate == 0.5);
    assert_int_equal(c->num_readers, 0);
    assert_true(c->reader_rate == 0);
    assert_int_equal(c->num_random_writers, 2);
    assert_true(c->random_writer_rate == 1000.0);
    assert_int_equal(c->ops_per_txn, 8);
    assert_true(c->key_count == 5000000000ull);
    assert_true(c->preload == 1000);
    assert_int_equal(c->value_size, 1000);
    assert_int_equal(c->max_retry_count, 0);
    assert_false(c->sync);
    assert_true(c->seed == 42);
    assert_int_equal(c->arrival, KVB_ARRIVAL_POISSON);
    assert_string_equal(c->data_dir, "/mnt/disk under test");
    assert_string_equal(bopt(c, "lose_write_every"), "3");
    assert_string_equal(bopt(c, "lost_update"), "true");
    assert_string_equal(bopt(c, "stale_read_every"), "0"); /* default */
    assert_string_equal(spec.label, "W3_WR0.50_RD0_RT0");
    assert_int_equal(spec.nswept, 0);
    kvb_config_free(&spec.cfg);
    assert_null(spec.cfg.bopts);

    spec_at(s, 1, &spec);
    assert_string_equal(spec.cfg.backend, "lmdb");
    assert_string_equal(bopt(&spec.cfg, "map_size"), "1073741824");
    assert_int_equal(spec.cfg.num_writers, 3);
    kvb_config_free(&spec.cfg);

    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_spec(s, 2, &spec, &err), -1);
    kvb_sweep_free(s);
}

static void test_defaults(void **state)
{
    (void)state;
    struct kvb_sweep *s = NULL;
    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_load(NULL, NULL, 0, &s, &err), 0);
    assert_string_equal(kvb_sweep_name(s), "kvbench");
    assert_int_equal(kvb_sweep_count(s), 1);
    assert_false(kvb_sweep_has_axes(s, NULL, 0));

    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    const struct kvb_config *c = &spec.cfg;
    assert_string_equal(c->name, "kvbench");
    assert_string_equal(c->backend, "lmdb");
    assert_int_equal(c->parallel, 1);
    assert_true(c->duration == 10);
    assert_true(c->warmup == 1);
    assert_true(c->timeout == 0);
    assert_int_equal(c->num_writers, 1);
    assert_true(c->writer_rate == 0.1);
    assert_int_equal(c->num_readers, 2);
    assert_true(c->reader_rate == 100);
    assert_int_equal(c->num_random_writers, 0);
    assert_true(c->random_writer_rate == 0);
    assert_int_equal(c->ops_per_txn, 1);
    assert_true(c->key_count == 100000);
    assert_true(c->preload == 0);
    assert_int_equal(c->value_size, 100);
    assert_int_equal(c->max_retry_count, 10);
    assert_true(c->sync);
    assert_true(c->seed == 1);
    assert_int_equal(c->arrival, KVB_ARRIVAL_FIXED);
    assert_string_equal(c->data_dir, "");
    assert_string_equal(spec.label, "W1_WR0.10_RD2_RT100");
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);

    /* Every row's default parses (a table bug would fail here). */
    struct kvb_config cfg;
    char why[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_defaults(kvb_config_options, &cfg, why, sizeof(why)), 0);
    for (const struct kvb_option *o = kvb_config_options; o->name; o++)
        assert_non_null(o->help);
}

static void test_name_from_file_stem(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "ci-small.yml", "num_writers: 2\n", NULL, 0);
    assert_string_equal(kvb_sweep_name(s), "ci-small");
    kvb_sweep_free(s);
    s = load_ok(f, "baseline.yaml", "num_writers: 2\n", NULL, 0);
    assert_string_equal(kvb_sweep_name(s), "baseline");
    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    assert_string_equal(spec.cfg.name, "baseline");
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);
    const char *sets[] = {"name=renamed"};
    s = load_ok(f, "baseline.yaml", "num_writers: 2\n", sets, 1);
    assert_string_equal(kvb_sweep_name(s), "renamed");
    kvb_sweep_free(s);
}

static void test_durations_with_units(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s =
        load_ok(f, "d.yaml", "duration: [500ms, 2m, 1.5]\nwarmup: 250us\ntimeout: 2h\n", NULL, 0);
    assert_int_equal(kvb_sweep_count(s), 3);
    const double want[] = {0.5, 120, 1.5};
    const char *labels[] = {"W1_WR0.10_RD2_RT100_DUR0.5s", "W1_WR0.10_RD2_RT100_DUR120s",
                            "W1_WR0.10_RD2_RT100_DUR1.5s"};
    for (size_t i = 0; i < 3; i++) {
        struct kvb_run_spec spec;
        spec_at(s, i, &spec);
        assert_true(spec.cfg.duration == want[i]);
        assert_true(spec.cfg.warmup == 250e-6);
        assert_true(spec.cfg.timeout == 7200);
        assert_string_equal(spec.label, labels[i]);
        assert_int_equal(spec.nswept, 1);
        assert_string_equal(spec.swept[0].key, "duration");
        kvb_config_free(&spec.cfg);
    }
    kvb_sweep_free(s);
}

/* ---- bad configs ---- */

struct bad_case {
    const char *yaml;
    int line, column;
    const char *key;
    const char *msg; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    /* unknown keys, with suggestions among config keys and backends */
    {"num_writers: 1\nnum_writer: 2\n", 2, 1, "num_writer", "did you mean 'num_writers'?"},
    {"duraton: 5\n", 1, 1, "duraton", "unknown (did you mean 'duration'?)"},
    {"lmbd:\n  map_size: 1G\n", 1, 1, "lmbd", "did you mean 'lmdb'?"},
    {"wiredtiger:\n  cache: 1G\n", 1, 1, "wiredtiger",
     "unknown backend (compiled backends: null, mem"},
    {"frobnicate: 1\n", 1, 1, "frobnicate", "unknown (not a config key or a backend name)"},
    {"lmdb:\n  map_sise: 1G\n", 2, 3, "lmdb.map_sise", "did you mean 'map_size'?"},
    {"mem:\n  bogus_option_name: 1\n", 2, 3, "mem.bogus_option_name", "lose_write_every"},
    /* wrong types */
    {"num_writers:\n  a: 1\n", 2, 3, "num_writers", "got a mapping"},
    {"num_writers: [1, [2]]\n", 1, 18, "num_writers", "in the list, got a list"},
    {"num_writers: [1, {a: 2}]\n", 1, 18, "num_writers", "in the list, got a mapping"},
    {"lmdb: 5\n", 1, 7, "lmdb", "expected a mapping of lmdb options"},
    {"lmdb: [1, 2]\n", 1, 7, "lmdb", "got a list"},
    {"mem:\n  lose_write_every: {a: 1}\n", 2, 21, "mem.lose_write_every", "got a mapping"},
    {"sync: maybe\n", 1, 7, "sync", "expected a boolean"},
    {"arrival: poison\n", 1, 10, "arrival", "did you mean 'poisson'?"},
    {"num_writers: two\n", 1, 14, "num_writers", "expected an integer"},
    {"[a]: 1\n", 1, 1, "", "expected a key name, got a list"},
    {"hello\n", 1, 1, "", "expected a mapping of config keys at the top level"},
    {"- 1\n- 2\n", 1, 1, "", "got a list"},
    /* nulls */
    {"num_writers:\n", 1, 13, "num_writers", "got nothing"},
    {"num_writers: ~\n", 1, 14, "num_writers", "got nothing"},
    {"num_writers: [1, ~]\n", 1, 18, "num_writers", "got nothing"},
    {"backends:\n", 1, 10, "backends", "expected a backend name"},
    /* numbers out of range, negative, non-finite */
    {"num_writers: -1\n", 1, 14, "num_writers", "got '-1'"},
    {"writer_rate: -0.5\n", 1, 14, "writer_rate", "out of range"},
    {"writer_rate: 1e999\n", 1, 14, "writer_rate", "not finite"},
    {"reader_rate: .inf\n", 1, 14, "reader_rate", "got '.inf'"},
    {"reader_rate: nan\n", 1, 14, "reader_rate", "got 'nan'"},
    {"value_size: 10\n", 1, 13, "value_size", "out of range"},
    {"value_size: [100, 1000, 99999999]\n", 1, 25, "value_size", "out of range"},
    {"parallel: 0\n", 1, 11, "parallel", "out of range"},
    {"duration: 0\n", 1, 11, "duration", "out of range"},
    {"duration: 5 fortnights\n", 1, 11, "duration", "unknown unit"},
    {"key_count: 0\n", 1, 12, "key_count", "out of range"},
    {"num_writers: 99999999999\n", 1, 14, "num_writers", "larger than"},
    {"lmdb:\n  map_size: -1G\n", 2, 13, "lmdb.map_size", "expected a non-negative size"},
    /* lists */
    {"num_readers: []\n", 1, 14, "num_readers", "empty list"},
    {"backends: []\n", 1, 11, "backends", "empty list"},
    {"num_writers: [1, 2, 1]\n", 1, 21, "num_writers", "listed twice (first at line 1, column 15)"},
    {"name: [a, b]\n", 1, 7, "name", "cannot be a sweep axis"},
    {"parallel: [1, 2]\n", 1, 11, "parallel", "cannot be a sweep axis"},
    /* duplicates */
    {"seed: 1\nsync: true\nseed: 2\n", 3, 1, "seed", "duplicate key (first at line 1, column 1)"},
    {"mem:\n  lose_write_every: 1\n  lose_write_every: 2\n", 3, 3, "mem.lose_write_every",
     "duplicate key (first at line 2, column 3)"},
    {"lmdb: {map_size: 1G}\nlmdb: {map_size: 2G}\n", 2, 1, "lmdb", "duplicate key"},
    /* backends */
    {"backends: [mem, lmbd]\n", 1, 17, "backends", "unknown backend 'lmbd' (did you mean 'lmdb'?)"},
    {"backends: cassandra\n", 1, 11, "backends",
     "unknown backend 'cassandra' (compiled backends: null, mem, lmdb"},
    {"backends: [mem, mem]\n", 1, 17, "backends", "'mem' is listed twice"},
    {"backends: [null]\nnull:\n  stall_ms: 5\n", 2, 1, "null", "stall_ms is set but"},
    {"backends: [null]\nnull:\n  stall_every_ms: [0, 10]\n  stall_ms: 5\n", 2, 1, "null",
     "(with stall_every_ms=0)"},
    /* aliases */
    {"num_writers: &n 2\nnum_readers: *n\n", 2, 14, "num_readers",
     "aliases (*n) are not supported"},
    {"base: &b {a: 1}\n", 1, 1, "base", "unknown"},
    {"num_writers: [1, *x]\nx: &x 1\n", 1, 18, "num_writers", "aliases (*x) are not supported"},
    /* not YAML */
    {"num_writers: [1, 2\n", 1, 19, "", "not valid YAML: did not find expected ',' or ']'"},
    {"num_writers: 1: 2\n", 1, 15, "", "not valid YAML: mapping values are not allowed"},
    {"num_writers: 1\n  num_readers: 2\n", 2, 14, "", "not valid YAML"},
    {"name: \"unterminated\n", 1, 20, "", "not valid YAML: found unexpected end of stream"},
    {"\tnum_writers: 1\n", 1, 1, "", "not valid YAML"},
    {"name: x\xff\xfey\n", 1, 8, "", "not valid YAML: invalid"},
    {"num_writers: 1\n---\nnum_readers: 2\n", 2, 1, "", "more than one YAML document"},
    {"name: \"a\\0b\"\n", 1, 7, "name", "NUL"},
    /* empty */
    {"", 0, 0, "", "empty config"},
    {"# only a comment\n\n", 0, 0, "", "empty config"},
    {"---\n", 0, 0, "", "empty config"},
    {"--- 5\n", 1, 5, "", "got a scalar"},
};

static void test_bad_configs(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct kvb_config_error err = load_bad(f, c->yaml, NULL, 0);
        char buf[1200];
        kvb_config_error_format(&err, buf, sizeof(buf));
        print_message("case %zu: %s\n", i, buf);
        if (c->line || c->column) {
            assert_int_equal(err.line, c->line);
            assert_int_equal(err.column, c->column);
        }
        assert_string_equal(err.file, f->path);
        assert_string_equal(err.key, c->key);
        if (!strstr(err.msg, c->msg))
            fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
    }
}

/* The whole message for an unknown key, pinned: the key is named once (it
 * used to be named twice, "key 'x': unknown key 'x'"). */
static void test_unknown_key_messages(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *yaml, *set, *name;
        const char *want; /* after "FILE:" */
    } cases[] = {
        {"num_writerz: 2\n", NULL, "num_writerz",
         "1:1: key 'num_writerz': unknown (did you mean 'num_writers'?)"},
        {"cases:\n  a: {num_writerz: 2}\n", NULL, "num_writerz",
         "2:7: key 'cases.a.num_writerz': unknown (did you mean 'num_writers'?)"},
        {"frobnicate: 1\n", NULL, "frobnicate",
         "1:1: key 'frobnicate': unknown (not a config key or a backend name)"},
        {"lmdb:\n  map_sise: 1G\n", NULL, "map_sise",
         "2:3: key 'lmdb.map_sise': unknown option (did you mean 'map_size'?)"},
        {"mem:\n  zzzzzzzzzz: 1\n", NULL, "zzzzzzzzzz",
         "2:3: key 'mem.zzzzzzzzzz': unknown option (mem options: lose_write_every, "
         "stale_read_every, corrupt_read_every, lost_update, crash_after_commits, "
         "hang_after_commits, persist, persist_interval_ms, ignore_sync)"},
        {NULL, "num_writerz=2", "num_writerz",
         "1:1: key 'num_writerz': unknown (did you mean 'num_writers'?)"},
        {NULL, "lmdb.map_sise=1G", "map_sise",
         "1:1: key 'lmdb.map_sise': unknown option (did you mean 'map_size'?)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *sets[] = {cases[i].set};
        struct kvb_config_error err = load_bad(f, cases[i].yaml, sets, cases[i].set ? 1 : 0);
        char got[1200], want[PATH_MAX + 300];
        kvb_config_error_format(&err, got, sizeof(got));
        snprintf(want, sizeof(want), "%s:%s", cases[i].yaml ? f->path : "--set", cases[i].want);
        assert_string_equal(got, want);
        const char *first = strstr(got, cases[i].name);
        assert_non_null(first);
        assert_null(strstr(first + 1, cases[i].name));
    }
}

/* A backend's options that no run uses load, with a warning placed at the
 * backend's key: not an error, as a config may keep them for another day. */
static void test_unused_backend_options_warn(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *yaml, *set;
        size_t runs, nwarn;
        int line, column; /* of the first warning */
        const char *key, *msg;
    } cases[] = {
        {"backends: [lmdb]\nmem: {lost_update: false}\n", NULL, 1, 1, 2, 1, "mem",
         "this backend is not among `backends` (lmdb): its options are not used"},
        {"mem: {lost_update: false}\n", NULL, 1, 1, 1, 1, "mem",
         "this backend is not among `backends` (lmdb, the default): its options are not used"},
        {"backends: [lmdb, null]\n", "mem.lost_update=true", 2, 1, 1, 1, "mem",
         "this backend is not among `backends` (lmdb, null): its options are not used"},
        {"backends: [mem]\nlmdb: {writemap: true}\ncases:\n  a: {seed: 2}\n  b: {seed: 3}\n", NULL,
         2, 1, 2, 1, "lmdb",
         "this backend is not among the `backends` of any case: its options are not used"},
        {"backends: [mem]\ncases:\n  a: {seed: 2}\n  b: {backends: [lmdb], mem: {lost_update: "
         "false}}\n",
         NULL, 2, 1, 4, 25, "cases.b.mem",
         "this backend is not among the case's `backends` (lmdb): its options are not used"},
        /* used: by the top level, by one case of several, by the case itself */
        {"backends: [lmdb, mem]\nmem: {lost_update: false}\nlmdb: {writemap: true}\n", NULL, 2, 0,
         0, 0, NULL, NULL},
        {"backends: [mem]\nlmdb: {writemap: true}\ncases:\n  a: {seed: 2}\n  b: {backends: "
         "[lmdb]}\n",
         NULL, 2, 0, 0, 0, NULL, NULL},
        {"cases:\n  a: {backends: [mem], mem: {lost_update: false}}\n", NULL, 1, 0, 0, 0, NULL,
         NULL},
        {"lmdb: {writemap: true}\n", NULL, 1, 0, 0, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *sets[] = {cases[i].set};
        struct kvb_sweep *s = load_ok(f, "warn.yaml", cases[i].yaml, sets, cases[i].set ? 1 : 0);
        assert_int_equal(kvb_sweep_count(s), cases[i].runs);
        size_t n;
        const struct kvb_config_error *w = kvb_sweep_warnings(s, &n);
        if (n != cases[i].nwarn)
            fail_msg("case %zu: %zu warnings, expected %zu", i, n, cases[i].nwarn);
        if (n) {
            assert_string_equal(w[0].file, cases[i].set ? "--set" : f->path);
            assert_int_equal(w[0].line, cases[i].line);
            assert_int_equal(w[0].column, cases[i].column);
            assert_string_equal(w[0].key, cases[i].key);
            assert_string_equal(w[0].msg, cases[i].msg);
        }
        kvb_sweep_free(s);
    }
}

static void test_deep_nesting(void **state)
{
    struct fixture *f = *state;
    char text[4096] = "num_writers: ";
    for (int i = 0; i < 1000; i++)
        strcat(text, "[");
    struct kvb_config_error err = load_bad(f, text, NULL, 0);
    assert_non_null(strstr(err.msg, "nesting deeper than"));
    assert_int_equal(err.line, 1);
}

static void test_missing_file(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = NULL;
    struct kvb_config_error err;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/nope.yaml", f->dir);
    assert_int_equal(kvb_sweep_load(path, NULL, 0, &s, &err), -1);
    assert_null(s);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_non_null(strstr(err.msg, "No such file"));
    char buf[PATH_MAX + 1024];
    kvb_config_error_format(&err, buf, sizeof(buf));
    assert_non_null(strstr(buf, "nope.yaml: cannot open"));

    /* A directory is not a config either. */
    assert_int_equal(kvb_sweep_load(f->dir, NULL, 0, &s, &err), -1);
    assert_non_null(strstr(err.msg, "cannot read"));
}

static void test_error_format(void **state)
{
    (void)state;
    struct kvb_config_error e = {.line = 3, .column = 14};
    snprintf(e.file, sizeof(e.file), "c.yaml");
    snprintf(e.key, sizeof(e.key), "num_writers");
    snprintf(e.msg, sizeof(e.msg), "expected an integer, got 'x'");
    char buf[1024];
    kvb_config_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "c.yaml:3:14: key 'num_writers': expected an integer, got 'x'");
    e.key[0] = '\0';
    e.line = e.column = 0;
    kvb_config_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "c.yaml: expected an integer, got 'x'");
}

/* ---- --set ---- */

static void test_set_scalars_and_lists(void **state)
{
    struct fixture *f = *state;
    const char *text = "num_writers: [1, 2]\nnum_readers: [3, 4]\nbackends: [mem, lmdb]\n";

    /* A scalar replaces a list; VALUE is YAML, so "mem" is a scalar. */
    const char *sets1[] = {"num_writers=7", "backends=mem", "value_size=1000"};
    struct kvb_sweep *s = load_ok(f, "s.yaml", text, sets1, 3);
    assert_int_equal(kvb_sweep_count(s), 2);
    struct kvb_run_spec spec;
    spec_at(s, 1, &spec);
    assert_int_equal(spec.cfg.num_writers, 7);
    assert_int_equal(spec.cfg.num_readers, 4);
    assert_int_equal(spec.cfg.value_size, 1000);
    assert_string_equal(spec.cfg.backend, "mem");
    assert_string_equal(spec.label, "W7_WR0.10_RD4_RT100");
    kvb_config_free(&spec.cfg);
    char axis[64];
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "num_readers");
    const char *t = kvb_sweep_text(s);
    assert_non_null(strstr(t, "num_writers: 7\n"));
    assert_non_null(strstr(t, "num_readers: [3, 4]\n"));
    assert_non_null(strstr(t, "backends: mem\n"));
    assert_non_null(strstr(t, "value_size: 1000\n"));
    kvb_sweep_free(s);

    /* A list replaces the file's value in place (its axis keeps its order);
     * a key only in --set comes after the file's keys. */
    const char *sets2[] = {"seed=[5, 6]", "num_writers=[8,9]", "backends=[lmdb]"};
    s = load_ok(f, "s.yaml", text, sets2, 3);
    assert_int_equal(kvb_sweep_count(s), 8);
    const unsigned want_w[] = {8, 8, 8, 8, 9, 9, 9, 9};
    const unsigned want_r[] = {3, 3, 4, 4, 3, 3, 4, 4};
    const uint64_t want_seed[] = {5, 6, 5, 6, 5, 6, 5, 6};
    for (size_t i = 0; i < 8; i++) {
        spec_at(s, i, &spec);
        assert_int_equal(spec.cfg.num_writers, want_w[i]);
        assert_int_equal(spec.cfg.num_readers, want_r[i]);
        assert_true(spec.cfg.seed == want_seed[i]);
        assert_int_equal(spec.nswept, 3);
        assert_string_equal(spec.swept[0].key, "num_writers");
        assert_string_equal(spec.swept[1].key, "num_readers");
        assert_string_equal(spec.swept[2].key, "seed");
        kvb_config_free(&spec.cfg);
    }
    spec_at(s, 7, &spec);
    assert_string_equal(spec.label, "W9_WR0.10_RD4_RT100_SEED6");
    kvb_config_free(&spec.cfg);
    /* The effective text keeps the order and reads back the same. */
    const char *want_text =
        "num_writers: [8, 9]\nnum_readers: [3, 4]\nbackends: [lmdb]\nseed: [5, 6]\n";
    assert_string_equal(kvb_sweep_text(s), want_text);
    kvb_sweep_free(s);
    s = load_ok(f, "again.yaml", want_text, NULL, 0);
    assert_int_equal(kvb_sweep_count(s), 8);
    assert_string_equal(kvb_sweep_text(s), want_text);
    kvb_sweep_free(s);

    /* Without a file: defaults plus overrides. */
    const char *sets3[] = {"num_writers=[1,2]", "duration=2m"};
    s = NULL;
    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_load(NULL, sets3, 2, &s, &err), 0);
    assert_int_equal(kvb_sweep_count(s), 2);
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "num_writers");
    spec_at(s, 1, &spec);
    assert_int_equal(spec.cfg.num_writers, 2);
    assert_true(spec.cfg.duration == 120);
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);
}

static void test_set_backend_options(void **state)
{
    struct fixture *f = *state;
    const char *text =
        "backends: [mem, lmdb]\nmem:\n  lose_write_every: 3\n  stale_read_every: 4\n";
    const char *sets[] = {"mem.lose_write_every=9", "lmdb.map_size=[1G, 2G]",
                          "mem={stale_read_every: 5, lost_update: on}"};
    struct kvb_sweep *s = load_ok(f, "b.yaml", text, sets, 3);
    assert_int_equal(kvb_sweep_count(s), 3);
    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    assert_string_equal(spec.cfg.backend, "mem");
    assert_string_equal(bopt(&spec.cfg, "lose_write_every"), "9");
    assert_string_equal(bopt(&spec.cfg, "stale_read_every"), "5");
    assert_string_equal(bopt(&spec.cfg, "lost_update"), "true");
    assert_string_equal(spec.label, "W1_WR0.10_RD2_RT100");
    kvb_config_free(&spec.cfg);
    spec_at(s, 2, &spec);
    assert_string_equal(spec.cfg.backend, "lmdb");
    assert_string_equal(bopt(&spec.cfg, "map_size"), "2147483648");
    assert_string_equal(spec.label, "W1_WR0.10_RD2_RT100_map_size-2G");
    assert_string_equal(swept_value(&spec, "lmdb.map_size"), "2147483648");
    kvb_config_free(&spec.cfg);
    char axis[64];
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "lmdb.map_size");
    const char *t = kvb_sweep_text(s);
    assert_non_null(
        strstr(t, "mem:\n  lose_write_every: 9\n  stale_read_every: 5\n  lost_update: on\n"));
    assert_non_null(strstr(t, "lmdb:\n  map_size: [1G, 2G]\n"));
    kvb_sweep_free(s);
}

struct bad_set {
    const char *set;
    int line, column;
    const char *key;
    const char *msg;
};

static const struct bad_set bad_sets[] = {
    {"num_writers", 0, 0, "", "expected KEY=VALUE"},
    {"=3", 0, 0, "", "expected KEY=VALUE"},
    {"num_writer=2", 1, 1, "num_writer", "did you mean 'num_writers'?"},
    {"num_writers=-1", 1, 13, "num_writers", "got '-1'"},
    {"num_writers=[1, -1]", 1, 17, "num_writers", "got '-1'"},
    {"num_writers=[1,", 1, 16, "num_writers", "not valid YAML"},
    {"num_writers=", 1, 13, "num_writers", "got nothing"},
    {"num_writers=[]", 1, 13, "num_writers", "empty list"},
    {"num_writers={a: 1}", 1, 13, "num_writers", "got a mapping"},
    {"backends=[mem, lmbd]", 1, 16, "backends", "did you mean 'lmdb'?"},
    {"lmbd.map_size=1G", 1, 1, "lmbd.map_size", "unknown backend 'lmbd' (did you mean 'lmdb'?)"},
    {"lmdb.map_sise=1G", 1, 1, "lmdb.map_sise", "did you mean 'map_size'?"},
    {"lmdb.map_size=lots", 1, 15, "lmdb.map_size", "expected a non-negative size"},
    {"mem.lose_write_every=[1, 1]", 1, 26, "mem.lose_write_every", "listed twice"},
    {"lmdb=5", 1, 6, "lmdb", "expected a mapping of lmdb options"},
    {"null.stall_ms=5", 1, 1, "null", "stall_every_ms is 0"},
};

static void test_set_errors(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
        const struct bad_set *c = &bad_sets[i];
        const char *sets[] = {"num_readers=1", c->set};
        struct kvb_config_error err = load_bad(f, "backends: [mem, null]\n", sets, 2);
        char buf[1200];
        kvb_config_error_format(&err, buf, sizeof(buf));
        print_message("set case %zu: %s\n", i, buf);
        /* A backend's check() points at its map; here it only exists in --set. */
        assert_string_equal(err.file, "--set");
        assert_int_equal(err.line, c->line);
        assert_int_equal(err.column, c->column);
        assert_string_equal(err.key, c->key);
        if (!strstr(err.msg, c->msg))
            fail_msg("set case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
    }
}

/* An error in the file is reported even when --set would replace the value:
 * the file must be right on its own. */
static void test_set_does_not_hide_file_errors(void **state)
{
    struct fixture *f = *state;
    const char *sets[] = {"num_writers=2"};
    struct kvb_config_error err = load_bad(f, "num_writers: {}\n", sets, 1);
    assert_string_equal(err.file, f->path);
    assert_string_equal(err.key, "num_writers");
}

/* ---- expansion ---- */

static void test_comprehensive_expansion(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "comprehensive.yaml",
                                  "backends: [mem, lmdb]\n"
                                  "num_writers: [1, 2, 3]\n"
                                  "writer_rate: [0.02, 0.05, 0.1, 0.15, 0.2]\n"
                                  "num_readers: 2\n"
                                  "reader_rate: 100\n"
                                  "duration: 60\n"
                                  "parallel: 8\n",
                                  NULL, 0);
    assert_string_equal(kvb_sweep_name(s), "comprehensive");
    assert_int_equal(kvb_sweep_count(s), 30);
    char axis[64];
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "num_writers");

    const char *rates[] = {"0.02", "0.05", "0.10", "0.15", "0.20"};
    const double rate_values[] = {0.02, 0.05, 0.1, 0.15, 0.2};
    for (size_t i = 0; i < 30; i++) {
        struct kvb_run_spec spec;
        spec_at(s, i, &spec);
        size_t g = i / 2;
        unsigned w = (unsigned)(g / 5) + 1;
        char label[64];
        snprintf(label, sizeof(label), "W%u_WR%s_RD2_RT100", w, rates[g % 5]);
        assert_string_equal(spec.label, label);
        assert_string_equal(spec.cfg.backend, i % 2 ? "lmdb" : "mem");
        assert_int_equal(spec.cfg.num_writers, w);
        assert_true(spec.cfg.writer_rate == rate_values[g % 5]);
        assert_int_equal(spec.cfg.parallel, 8);
        assert_true(spec.cfg.duration == 60);
        assert_int_equal(spec.nswept, 2);
        assert_string_equal(spec.swept[0].key, "num_writers");
        assert_string_equal(spec.swept[1].key, "writer_rate");
        char wv[8];
        snprintf(wv, sizeof(wv), "%u", w);
        assert_string_equal(spec.swept[0].value, wv);
        kvb_config_free(&spec.cfg);
    }
    kvb_sweep_free(s);
}

static void test_backend_axes_multiply_their_backend_only(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "bax.yaml",
                                  "num_writers: [1, 2]\n"
                                  "backends: [mem, lmdb, null]\n"
                                  "mem:\n"
                                  "  lose_write_every: [0, 5, 10]\n"
                                  "  lost_update: false\n"
                                  "null:\n"
                                  "  stall_every_ms: [10, 20]\n"
                                  "  stall_ms: 1\n",
                                  NULL, 0);
    /* per num_writers point: 3 mem + 1 lmdb + 2 null */
    assert_int_equal(kvb_sweep_count(s), 12);
    const char *want_be[] = {"mem", "mem", "mem", "lmdb", "null", "null"};
    const char *want_suffix[] = {"_lose_write_every-0",  "_lose_write_every-5",
                                 "_lose_write_every-10", "",
                                 "_stall_every_ms-10",   "_stall_every_ms-20"};
    for (size_t i = 0; i < 12; i++) {
        struct kvb_run_spec spec;
        spec_at(s, i, &spec);
        unsigned w = i < 6 ? 1 : 2;
        assert_int_equal(spec.cfg.num_writers, w);
        assert_string_equal(spec.cfg.backend, want_be[i % 6]);
        char label[128];
        snprintf(label, sizeof(label), "W%u_WR0.10_RD2_RT100%s", w, want_suffix[i % 6]);
        assert_string_equal(spec.label, label);
        if (i % 6 < 3) {
            assert_int_equal(spec.nswept, 2);
            assert_string_equal(spec.swept[1].key, "mem.lose_write_every");
            assert_string_equal(bopt(&spec.cfg, "lost_update"), "false");
        } else if (i % 6 == 3) {
            assert_int_equal(spec.nswept, 1);
        } else {
            assert_string_equal(swept_value(&spec, "null.stall_every_ms"),
                                i % 6 == 4 ? "10" : "20");
            assert_string_equal(bopt(&spec.cfg, "stall_ms"), "1");
        }
        kvb_config_free(&spec.cfg);
    }
    kvb_sweep_free(s);
}

static void test_other_axes_labels(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "lab.yaml",
                                  "value_size: [100, 1000]\n"
                                  "sync: [true, false]\n"
                                  "writer_rate: [0.015, 2]\n"
                                  "reader_rate: [1e6]\n"
                                  "num_random_writers: 1\n"
                                  "random_writer_rate: [0, 2.5]\n"
                                  "arrival: [fixed, poisson]\n"
                                  "backends: [lmdb]\n"
                                  "lmdb: {map_size: [64M, 1000]}\n",
                                  NULL, 0);
    assert_int_equal(kvb_sweep_count(s), 64);
    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    assert_string_equal(spec.label,
                        "W1_WR0.015_RD2_RT1000000_VS100_SYNCtrue_RWR0_ARRfixed_map_size-64M");
    kvb_config_free(&spec.cfg);
    spec_at(s, 63, &spec);
    assert_string_equal(spec.label,
                        "W1_WR2.00_RD2_RT1000000_VS1000_SYNCfalse_RWR2.5_ARRpoisson_map_size-1000");
    assert_int_equal(spec.nswept, 6);
    assert_string_equal(swept_value(&spec, "sync"), "false");
    assert_string_equal(swept_value(&spec, "writer_rate"), "2");
    assert_null(swept_value(&spec, "reader_rate")); /* a list of one is not an axis */
    kvb_config_free(&spec.cfg);

    /* Labels are deterministic: the same index gives the same spec. */
    struct kvb_run_spec a, b;
    spec_at(s, 37, &a);
    spec_at(s, 37, &b);
    assert_string_equal(a.label, b.label);
    kvb_config_free(&a.cfg);
    kvb_config_free(&b.cfg);
    kvb_sweep_free(s);
}

static void test_too_many_runs(void **state)
{
    struct fixture *f = *state;
    char text[8192];
    size_t len = 0;
    const char *keys[] = {"seed", "key_count", "preload", "max_retry_count"};
    for (size_t k = 0; k < 4; k++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s: [", keys[k]);
        for (int i = 1; i <= 100; i++)
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", i > 1 ? ", " : "", i);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "]\n");
    }
    struct kvb_config_error err = load_bad(f, text, NULL, 0);
    assert_non_null(strstr(err.msg, "more than 1000000 runs"));
    assert_string_equal(err.key, "max_retry_count");
}

/* ---- robustness ---- */

/* Mutated and truncated configs must load or fail cleanly, never crash
 * (run under -DKVB_SANITIZE=address to make that a strong statement). */
static void test_never_crash(void **state)
{
    struct fixture *f = *state;
    static const char base[] = "name: fuzz\n"
                               "backends: [mem, lmdb]\n"
                               "num_writers: [1, 2]\n"
                               "writer_rate: 0.1\n"
                               "duration: 2m\n"
                               "mem:\n"
                               "  lose_write_every: [0, 3]\n"
                               "lmdb: {map_size: 1G}\n"
                               "seed: &a [1, 2]\n";
    static const char alphabet[] = "[]{}:,-?&*!|>'\"#%@`\n\t ~0a\xff\xc3";
    unsigned seed = 12345;
    char text[sizeof(base) + 8];
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(text, base, sizeof(base));
        size_t len = sizeof(base) - 1;
        int edits = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            text[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
        }
        if (iter % 7 == 0)
            text[(seed >> 4) % len] = '\0';
        kvbt_write_file(f->dir, "fuzz.yaml", text, f->path);
        struct kvb_sweep *s = NULL;
        struct kvb_config_error err;
        if (kvb_sweep_load(f->path, NULL, 0, &s, &err) == 0) {
            for (size_t i = 0; i < kvb_sweep_count(s); i++) {
                struct kvb_run_spec spec;
                assert_int_equal(kvb_sweep_spec(s, i, &spec, &err), 0);
                kvb_config_free(&spec.cfg);
            }
            assert_non_null(kvb_sweep_text(s));
            kvb_sweep_free(s);
        } else {
            assert_true(err.msg[0] != '\0');
        }
    }
}

static void test_yaml_tree(void **state)
{
    (void)state;
    struct kvb_ynode *root = NULL;
    struct kvb_yaml_error e;
    const char *text = "a: 1\nb: [x, 'y', \"\"]\nc:\n  d: ~\n";
    assert_int_equal(kvb_yaml_parse(text, strlen(text), "t", 0, &root, &e), 0);
    assert_non_null(root);
    assert_int_equal(root->kind, KVB_YMAP);
    assert_int_equal(root->n, 3);
    const struct kvb_ynode *b = root->items[3];
    assert_int_equal(b->kind, KVB_YSEQ);
    assert_int_equal(b->n, 3);
    assert_int_equal(b->line, 2);
    assert_int_equal(b->column, 4);
    assert_true(b->items[0]->plain);
    assert_false(b->items[1]->plain);
    assert_false(kvb_ynode_is_null(b->items[2])); /* "" quoted is a string */
    assert_true(kvb_ynode_is_null(root->items[5]->items[1]));
    char *out = kvb_yaml_emit(root);
    assert_non_null(out);
    assert_string_equal(out, "a: 1\nb: [x, 'y', '']\nc:\n  d: ~\n");
    free(out);
    kvb_ynode_free(root);

    /* A value's column is offset by col0 on its first line. */
    assert_int_equal(kvb_yaml_parse("[1, x", 5, "--set", 12, &root, &e), -1);
    assert_int_equal(e.line, 1);
    assert_true(e.column > 12);
    assert_int_equal(kvb_yaml_parse("", 0, "t", 0, &root, &e), 0);
    assert_null(root);
}

/* ---- cases ---- */

/* A config key of cfg as text (its option row's kvb_opt_format). */
static const char *copt(const struct kvb_config *cfg, const char *name)
{
    static char buf[128];
    const struct kvb_option *o = kvb_opt_find(kvb_config_options, name);
    assert_non_null(o);
    kvb_opt_format(o, cfg, buf, sizeof(buf));
    return buf;
}

static const char db_bench_yaml[] =
    "name: db_bench\n"
    "backends: [mem, lmdb]\n"
    "duration: 30s\n"
    "value_size: [100, 1000]\n"
    "cases:\n"
    "  fillseq:    {num_random_writers: 1, key_distribution: sequential}\n"
    "  fillrandom: {num_random_writers: 1}\n"
    "  readrandom: {num_readers: 1, reader_rate: 0, preload: 100000}\n";

/* Cases x value_size x 2 backends: the case varies slowest, its name starts
 * the label and swept[], and each run gets its case's values. */
static void test_cases_expansion(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "db_bench.yaml", db_bench_yaml, NULL, 0);
    assert_string_equal(kvb_sweep_name(s), "db_bench");
    assert_int_equal(kvb_sweep_count(s), 12);
    char axis[64];
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "case");

    static const char *const want_case[] = {"fillseq", "fillrandom", "readrandom"};
    static const char *const want_fixed[] = {"W1_WR0.10_RD2_RT100", "W1_WR0.10_RD2_RT100",
                                             "W1_WR0.10_RD1_RT0"};
    for (size_t i = 0; i < 12; i++) {
        struct kvb_run_spec spec;
        spec_at(s, i, &spec);
        size_t c = i / 4;
        unsigned vs = (i / 2) % 2 ? 1000 : 100;
        const struct kvb_config *cfg = &spec.cfg;
        char label[128];
        snprintf(label, sizeof(label), "%s_%s_VS%u", want_case[c], want_fixed[c], vs);
        assert_string_equal(spec.label, label);
        assert_string_equal(cfg->backend, i % 2 ? "lmdb" : "mem");
        assert_int_equal(spec.nswept, 2);
        assert_string_equal(spec.swept[0].key, "case");
        assert_string_equal(spec.swept[0].value, want_case[c]);
        assert_string_equal(spec.swept[1].key, "value_size");
        assert_int_equal(cfg->value_size, vs);
        assert_true(cfg->duration == 30); /* the top level's, in every case */
        assert_string_equal(cfg->name, "db_bench");
        assert_int_equal(cfg->num_random_writers, c < 2 ? 1 : 0);
        assert_string_equal(copt(cfg, "key_distribution"), c == 0 ? "sequential" : "uniform");
        assert_int_equal(cfg->num_readers, c == 2 ? 1 : 2);
        assert_true(cfg->reader_rate == (c == 2 ? 0 : 100));
        assert_true(cfg->preload == (c == 2 ? 100000 : 0));
        kvb_config_free(&spec.cfg);
    }

    /* The text holds the cases and reads back to the same sweep. */
    const char *t = kvb_sweep_text(s);
    assert_non_null(strstr(t, "cases:\n  fillseq:\n    num_random_writers: 1\n"
                              "    key_distribution: sequential\n  fillrandom:\n"));
    assert_non_null(strstr(t, "  readrandom:\n    num_readers: 1\n    reader_rate: 0\n"
                              "    preload: 100000\n"));
    struct kvb_sweep *again = load_ok(f, "db_bench.yaml", t, NULL, 0);
    assert_int_equal(kvb_sweep_count(again), 12);
    assert_string_equal(kvb_sweep_text(again), t);
    for (size_t i = 0; i < 12; i++) {
        struct kvb_run_spec a, b;
        spec_at(s, i, &a);
        spec_at(again, i, &b);
        assert_string_equal(a.label, b.label);
        kvb_config_free(&a.cfg);
        kvb_config_free(&b.cfg);
    }
    kvb_sweep_free(again);
    kvb_sweep_free(s);
}

/* A case's list is an axis inside that case; a case's value replaces a top-
 * level list (in its place); `backends` and backend maps may be overridden,
 * a backend map option by option. */
static void test_cases_lists_and_backend_maps(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s = load_ok(f, "mix.yaml",
                                  "backends: [mem, lmdb]\n"
                                  "num_writers: [1, 2]\n"
                                  "mem: {lose_write_every: 3, stale_read_every: 4}\n"
                                  "cases:\n"
                                  "  a: {num_writers: 5}\n"
                                  "  b:\n"
                                  "    value_size: [100, 200]\n"
                                  "    backends: mem\n"
                                  "    mem: {lose_write_every: [0, 7]}\n"
                                  "  c: {seed: 9}\n",
                                  NULL, 0);
    /* a: 2 backends; b: 2 num_writers x 2 value_size x 2 lose_write_every;
     * c: 2 num_writers x 2 backends */
    assert_int_equal(kvb_sweep_count(s), 2 + 8 + 4);
    struct kvb_run_spec spec;

    for (size_t i = 0; i < 2; i++) {
        spec_at(s, i, &spec);
        assert_string_equal(spec.label, "a_W5_WR0.10_RD2_RT100");
        assert_int_equal(spec.nswept, 1);
        assert_string_equal(swept_value(&spec, "case"), "a");
        assert_string_equal(spec.cfg.backend, i ? "lmdb" : "mem");
        if (!i) {
            assert_string_equal(bopt(&spec.cfg, "lose_write_every"), "3");
            assert_string_equal(bopt(&spec.cfg, "stale_read_every"), "4");
        }
        kvb_config_free(&spec.cfg);
    }
    for (size_t i = 2; i < 10; i++) {
        size_t k = i - 2;
        unsigned w = k < 4 ? 1 : 2, vs = (k / 2) % 2 ? 200 : 100, lwe = k % 2 ? 7 : 0;
        spec_at(s, i, &spec);
        char label[128];
        snprintf(label, sizeof(label), "b_W%u_WR0.10_RD2_RT100_VS%u_lose_write_every-%u", w, vs,
                 lwe);
        assert_string_equal(spec.label, label);
        assert_string_equal(spec.cfg.backend, "mem");
        assert_int_equal(spec.cfg.num_writers, w);
        assert_int_equal(spec.cfg.value_size, vs);
        char v[16];
        snprintf(v, sizeof(v), "%u", lwe);
        assert_string_equal(bopt(&spec.cfg, "lose_write_every"), v);
        assert_string_equal(bopt(&spec.cfg, "stale_read_every"), "4"); /* the top level's */
        assert_int_equal(spec.nswept, 4);
        assert_string_equal(spec.swept[0].key, "case");
        assert_string_equal(spec.swept[1].key, "num_writers");
        assert_string_equal(spec.swept[2].key, "value_size");
        assert_string_equal(spec.swept[3].key, "mem.lose_write_every");
        assert_string_equal(spec.swept[3].value, v);
        kvb_config_free(&spec.cfg);
    }
    for (size_t i = 10; i < 14; i++) {
        spec_at(s, i, &spec);
        unsigned w = i < 12 ? 1 : 2;
        char label[64];
        snprintf(label, sizeof(label), "c_W%u_WR0.10_RD2_RT100", w);
        assert_string_equal(spec.label, label);
        assert_true(spec.cfg.seed == 9);
        assert_int_equal(spec.cfg.value_size, 100);
        assert_string_equal(spec.cfg.backend, i % 2 ? "lmdb" : "mem");
        assert_int_equal(spec.nswept, 2);
        kvb_config_free(&spec.cfg);
    }
    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_spec(s, 14, &spec, &err), -1);
    kvb_sweep_free(s);
}

/* One case is not an axis (kvbench run accepts it); its name still starts
 * the label. --set case=... keeps only the cases named, in file order. */
static void test_cases_select(void **state)
{
    struct fixture *f = *state;
    struct kvb_sweep *s =
        load_ok(f, "one.yaml", "backends: lmdb\ncases:\n  only: {num_writers: 3}\n", NULL, 0);
    assert_int_equal(kvb_sweep_count(s), 1);
    assert_false(kvb_sweep_has_axes(s, NULL, 0));
    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    assert_string_equal(spec.label, "only_W3_WR0.10_RD2_RT100");
    assert_int_equal(spec.nswept, 1);
    assert_string_equal(spec.swept[0].key, "case");
    assert_string_equal(spec.swept[0].value, "only");
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);

    const char *sets1[] = {"case=fillrandom", "backends=lmdb", "value_size=100"};
    s = load_ok(f, "db_bench.yaml", db_bench_yaml, sets1, 3);
    assert_int_equal(kvb_sweep_count(s), 1);
    assert_false(kvb_sweep_has_axes(s, NULL, 0));
    spec_at(s, 0, &spec);
    assert_string_equal(spec.label, "fillrandom_W1_WR0.10_RD2_RT100");
    assert_int_equal(spec.cfg.num_random_writers, 1);
    kvb_config_free(&spec.cfg);
    const char *t = kvb_sweep_text(s);
    assert_non_null(strstr(t, "cases:\n  fillrandom:\n    num_random_writers: 1\n"));
    assert_null(strstr(t, "fillseq"));
    assert_null(strstr(t, "readrandom"));
    kvb_sweep_free(s);

    /* A list chooses several; the file's order stands. */
    const char *sets2[] = {"case=[readrandom, fillseq]"};
    s = load_ok(f, "db_bench.yaml", db_bench_yaml, sets2, 1);
    assert_int_equal(kvb_sweep_count(s), 8);
    char axis[64];
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "case");
    spec_at(s, 0, &spec);
    assert_string_equal(swept_value(&spec, "case"), "fillseq");
    kvb_config_free(&spec.cfg);
    spec_at(s, 7, &spec);
    assert_string_equal(spec.label, "readrandom_W1_WR0.10_RD1_RT0_VS1000");
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);

    /* The last --set case= wins. */
    const char *sets3[] = {"case=fillseq", "case=readrandom"};
    s = load_ok(f, "db_bench.yaml", db_bench_yaml, sets3, 2);
    assert_int_equal(kvb_sweep_count(s), 4);
    assert_true(kvb_sweep_has_axes(s, axis, sizeof(axis)));
    assert_string_equal(axis, "value_size");
    kvb_sweep_free(s);
}

static void test_cases_set(void **state)
{
    struct fixture *f = *state;
    const char *sets[] = {
        "cases.fillseq.num_random_writers=4",
        "cases.readrandom.lmdb.map_size=[1G, 2G]",
        "cases.fillrandom={num_random_writers: 2, seed: 7}", /* replaces the case */
        "cases.extra={num_scanners: 1}",                     /* a new case, last */
        "backends=lmdb",
        "value_size=100",
    };
    struct kvb_sweep *s = load_ok(f, "db_bench.yaml", db_bench_yaml, sets, 6);
    assert_int_equal(kvb_sweep_count(s), 1 + 1 + 2 + 1);
    struct kvb_run_spec spec;
    spec_at(s, 0, &spec);
    assert_string_equal(spec.label, "fillseq_W1_WR0.10_RD2_RT100");
    assert_int_equal(spec.cfg.num_random_writers, 4);
    assert_string_equal(copt(&spec.cfg, "key_distribution"), "sequential");
    kvb_config_free(&spec.cfg);
    spec_at(s, 1, &spec);
    assert_int_equal(spec.cfg.num_random_writers, 2);
    assert_true(spec.cfg.seed == 7);
    kvb_config_free(&spec.cfg);
    spec_at(s, 3, &spec);
    assert_string_equal(spec.label, "readrandom_W1_WR0.10_RD1_RT0_map_size-2G");
    assert_string_equal(bopt(&spec.cfg, "map_size"), "2147483648");
    assert_string_equal(swept_value(&spec, "lmdb.map_size"), "2147483648");
    kvb_config_free(&spec.cfg);
    spec_at(s, 4, &spec);
    assert_string_equal(spec.label, "extra_W1_WR0.10_RD2_RT100");
    assert_int_equal(spec.cfg.num_scanners, 1);
    kvb_config_free(&spec.cfg);
    const char *t = kvb_sweep_text(s);
    assert_non_null(strstr(t, "  readrandom:\n    num_readers: 1\n    reader_rate: 0\n"
                              "    preload: 100000\n    lmdb:\n      map_size: [1G, 2G]\n"));
    kvb_sweep_free(s);

    /* The whole mapping, without a file. */
    const char *sets2[] = {"cases={x: {num_writers: 2}, y: {num_writers: 3}}", "case=y"};
    s = NULL;
    struct kvb_config_error err;
    assert_int_equal(kvb_sweep_load(NULL, sets2, 2, &s, &err), 0);
    assert_int_equal(kvb_sweep_count(s), 1);
    spec_at(s, 0, &spec);
    assert_string_equal(spec.label, "y_W3_WR0.10_RD2_RT100");
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(s);
}

static const struct bad_case bad_case_configs[] = {
    /* the shape of `cases` */
    {"cases: {}\n", 1, 8, "cases", "no cases"},
    {"cases:\n", 1, 7, "cases", "got nothing"},
    {"cases: [a, b]\n", 1, 8, "cases", "expected a mapping of case names"},
    {"cases:\n  a: {}\n", 2, 6, "cases.a", "empty case"},
    {"cases:\n  a: 5\n", 2, 6, "cases.a", "expected a mapping of the config keys"},
    {"cases:\n  a:\n  b: {seed: 1}\n", 2, 5, "cases.a", "got nothing"},
    {"cases:\n  a: [seed, 1]\n", 2, 6, "cases.a", "got a list"},
    {"cases: {a: &x {seed: 1}, b: *x}\n", 1, 29, "cases.b", "aliases (*x) are not supported"},
    /* case names */
    {"cases:\n  a: {seed: 1}\n  a: {seed: 2}\n", 3, 3, "cases.a",
     "duplicate key (first at line 2, column 3)"},
    {"cases:\n  \"fill seq\": {seed: 1}\n", 2, 3, "cases.fill seq",
     "may hold only letters, digits, '_', '.' and '-'"},
    {"cases:\n  a/b: {seed: 1}\n", 2, 3, "cases.a/b", "may hold only letters"},
    {"cases:\n  \"\": {seed: 1}\n", 2, 3, "cases", "empty key name"},
    {"cases:\n  [a]: {seed: 1}\n", 2, 3, "cases", "expected a key name, got a list"},
    {"cases:\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: {seed: 1}\n", 2,
     3, "cases.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "case name of 65 characters: at most 64"},
    /* keys inside a case */
    {"cases:\n  a: {num_writer: 1}\n", 2, 7, "cases.a.num_writer",
     "unknown (did you mean 'num_writers'?)"},
    {"cases:\n  a: {seed: 1, seed: 2}\n", 2, 16, "cases.a.seed", "duplicate key"},
    {"cases:\n  a: {parallel: 2}\n", 2, 7, "cases.a.parallel", "cannot differ between cases"},
    {"cases:\n  a: {name: x}\n", 2, 7, "cases.a.name", "set it at the top level"},
    {"cases:\n  a: {cases: {b: {seed: 1}}}\n", 2, 7, "cases.a.cases", "cases do not nest"},
    {"cases:\n  a: {lmbd: {map_size: 1G}}\n", 2, 7, "cases.a.lmbd", "did you mean 'lmdb'?"},
    {"cases:\n  a: {lmdb: {map_sise: 1G}}\n", 2, 14, "cases.a.lmdb.map_sise",
     "did you mean 'map_size'?"},
    {"cases:\n  a: {lmdb: 5}\n", 2, 13, "cases.a.lmdb", "expected a mapping of lmdb options"},
    {"cases:\n  a: {num_writers: {x: 1}}\n", 2, 20, "cases.a.num_writers", "got a mapping"},
    {"cases:\n  a: {num_writers: []}\n", 2, 20, "cases.a.num_writers", "empty list"},
    {"cases:\n  a: {num_writers: ~}\n", 2, 20, "cases.a.num_writers", "got nothing"},
    /* values inside a case, parsed by their rows */
    {"cases:\n  a: {num_writers: -1}\n", 2, 20, "cases.a.num_writers", "got '-1'"},
    {"cases:\n  ok: {seed: 1}\n  a:\n    num_writers: [1, 2, x]\n", 4, 25, "cases.a.num_writers",
     "expected an integer"},
    {"cases:\n  a: {num_writers: [1, 1]}\n", 2, 24, "cases.a.num_writers", "listed twice"},
    {"cases:\n  a: {key_distribution: zipfan}\n", 2, 25, "cases.a.key_distribution",
     "did you mean 'zipfian'?"},
    {"cases:\n  a: {lmdb: {map_size: lots}}\n", 2, 24, "cases.a.lmdb.map_size",
     "expected a non-negative size"},
    {"cases:\n  a: {backends: [mem, lmbd]}\n", 2, 23, "cases.a.backends",
     "unknown backend 'lmbd' (did you mean 'lmdb'?)"},
    /* a backend's check(), with the case's values */
    {"backends: [null]\ncases:\n  a: {seed: 1}\n  b: {null: {stall_ms: 5}}\n", 4, 7, "cases.b.null",
     "stall_ms is set but"},
    {"null: {stall_every_ms: 10, stall_ms: 1}\ncases:\n  a: {null: {stall_every_ms: [10, 0]}}\n", 3,
     7, "cases.a.null", "(with stall_every_ms=0, in case 'a')"},
    /* near misses of the key itself */
    {"case: a\n", 1, 1, "case", "unknown (did you mean 'cases'?)"},
    {"cazes:\n  a: {seed: 1}\n", 1, 1, "cazes", "did you mean 'cases'?"},
};

static void test_cases_bad_configs(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(bad_case_configs) / sizeof(bad_case_configs[0]); i++) {
        const struct bad_case *c = &bad_case_configs[i];
        struct kvb_config_error err = load_bad(f, c->yaml, NULL, 0);
        char buf[1200];
        kvb_config_error_format(&err, buf, sizeof(buf));
        print_message("cases case %zu: %s\n", i, buf);
        assert_int_equal(err.line, c->line);
        assert_int_equal(err.column, c->column);
        assert_string_equal(err.file, f->path);
        assert_string_equal(err.key, c->key);
        if (!strstr(err.msg, c->msg))
            fail_msg("cases case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
    }
}

/* `sync` set in a case reaches the backend's check(). */
static void test_cases_backend_check_sees_case_sync(void **state)
{
    struct fixture *f = *state;
    if (!kvb_backend_find("rocksdb"))
        skip();
    struct kvb_config_error err = load_bad(f,
                                           "backends: [rocksdb]\n"
                                           "rocksdb: {disable_wal: true}\n"
                                           "sync: false\n"
                                           "cases:\n"
                                           "  fast: {seed: 2}\n"
                                           "  durable: {sync: true}\n",
                                           NULL, 0);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.key, "rocksdb");
    assert_non_null(strstr(err.msg, "disable_wal"));
    assert_non_null(strstr(err.msg, "in case 'durable'"));
    err = load_bad(f, "sync: true\ncases:\n  nowal: {rocksdb: {disable_wal: true}}\n", NULL, 0);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 11);
    assert_string_equal(err.key, "cases.nowal.rocksdb");
}

struct bad_case_set {
    const char *yaml; /* the file */
    const char *set;
    int line, column;
    const char *key;
    const char *msg;
};

static const struct bad_case_set bad_case_sets[] = {
    {db_bench_yaml, "case=nope", 1, 6, "case",
     "unknown case 'nope' (its cases: fillseq, fillrandom, readrandom)"},
    {db_bench_yaml, "case=filseq", 1, 6, "case", "unknown case 'filseq' (did you mean 'fillseq'?)"},
    {db_bench_yaml, "case=[fillseq, fillseq]", 1, 16, "case", "'fillseq' is listed twice"},
    {db_bench_yaml, "case={a: 1}", 1, 6, "case", "got a mapping"},
    {db_bench_yaml, "case=", 1, 6, "case", "got nothing"},
    {db_bench_yaml, "case=[]", 1, 6, "case", "empty list"},
    {"num_writers: 1\n", "case=a", 1, 6, "case", "the config has no cases"},
    {db_bench_yaml, "cases.filseq.seed=1", 1, 1, "cases.filseq.seed",
     "unknown case 'filseq' (did you mean 'fillseq'?)"},
    {db_bench_yaml, "cases.fillseq.num_writer=1", 1, 1, "cases.fillseq.num_writer",
     "did you mean 'num_writers'?"},
    {db_bench_yaml, "cases.fillseq.num_writers=-1", 1, 27, "cases.fillseq.num_writers", "got '-1'"},
    {db_bench_yaml, "cases.fillseq.parallel=2", 1, 1, "cases.fillseq.parallel",
     "cannot differ between cases"},
    {db_bench_yaml, "cases.fillseq.lmdb.map_sise=1G", 1, 1, "cases.fillseq.lmdb.map_sise",
     "did you mean 'map_size'?"},
    {db_bench_yaml, "cases.fillseq.lmbd.map_size=1G", 1, 1, "cases.fillseq.lmbd.map_size",
     "unknown backend 'lmbd'"},
    {db_bench_yaml, "cases.x y={seed: 1}", 1, 1, "cases.x y", "may hold only letters"},
    {db_bench_yaml, "cases.new={}", 1, 11, "cases.new", "empty case"},
    {db_bench_yaml, "cases.new={seed: x}", 1, 18, "cases.new.seed",
     "expected a non-negative integer, got 'x'"},
    {db_bench_yaml, "cases.=1", 1, 1, "cases.", "empty case name"},
    {db_bench_yaml, "cases={}", 1, 7, "cases", "no cases"},
    {"num_writers: 1\n", "cases.a.seed=1", 1, 1, "cases.a.seed", "the config has no cases"},
};

static void test_cases_set_errors(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(bad_case_sets) / sizeof(bad_case_sets[0]); i++) {
        const struct bad_case_set *c = &bad_case_sets[i];
        const char *sets[] = {"num_readers=1", c->set};
        struct kvb_config_error err = load_bad(f, c->yaml, sets, 2);
        char buf[1200];
        kvb_config_error_format(&err, buf, sizeof(buf));
        print_message("cases set %zu: %s\n", i, buf);
        assert_string_equal(err.file, "--set");
        assert_int_equal(err.line, c->line);
        assert_int_equal(err.column, c->column);
        assert_string_equal(err.key, c->key);
        if (!strstr(err.msg, c->msg))
            fail_msg("cases set %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
    }
}

/* Every case is checked, also those --set case= leaves out. */
static void test_cases_unchosen_still_checked(void **state)
{
    struct fixture *f = *state;
    const char *sets[] = {"case=a"};
    struct kvb_config_error err = load_bad(f, "cases:\n  a: {seed: 1}\n  b: {seed: x}\n", sets, 1);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 13);
    assert_string_equal(err.key, "cases.b.seed");
}

/* Each case is checked as one flat map, yet every value is checked where it
 * is written: a top-level value that every case replaces still fails, under
 * its own key; and a backend's check whose inputs all come from the top
 * level is the top level's, placed at its map and naming no case. */
static void test_cases_checked_where_written(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *yaml, *want; /* after "FILE:" */
    } cases[] = {
        {"num_writers: x\ncases:\n  a: {num_writers: 1}\n",
         "1:14: key 'num_writers': expected an integer in [0, 4096], got 'x'"},
        {"mem: {lose_write_every: [1, 1]}\ncases:\n  a: {mem: {lose_write_every: 2}}\n",
         "1:29: key 'mem.lose_write_every': '1' is listed twice (first at line 1, column 26)"},
        {"null: {stall_ms: 5}\ncases:\n  a: {seed: 1}\n  b: {backends: [null]}\n",
         "1:1: key 'null': stall_ms is set but stall_every_ms is 0, so it never stalls"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kvb_config_error err = load_bad(f, cases[i].yaml, NULL, 0);
        char got[1200], want[PATH_MAX + 300];
        kvb_config_error_format(&err, got, sizeof(got));
        snprintf(want, sizeof(want), "%s:%s", f->path, cases[i].want);
        assert_string_equal(got, want);
    }
}

static void test_cases_never_crash(void **state)
{
    struct fixture *f = *state;
    static const char base[] = "backends: [mem, lmdb]\n"
                               "num_writers: [1, 2]\n"
                               "cases:\n"
                               "  a: {num_writers: 3, mem: {lose_write_every: [0, 3]}}\n"
                               "  b.c-d:\n"
                               "    value_size: [100, 200]\n"
                               "    backends: lmdb\n"
                               "  e: {lmdb: {map_size: 1G}, sync: false}\n";
    static const char alphabet[] = "[]{}:,-?&*!|>'\"#%@`\n\t ~0a\xff\xc3";
    unsigned seed = 777;
    char text[sizeof(base) + 8];
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(text, base, sizeof(base));
        size_t len = sizeof(base) - 1;
        int edits = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            text[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
        }
        if (iter % 7 == 0)
            text[(seed >> 4) % len] = '\0';
        kvbt_write_file(f->dir, "fuzz.yaml", text, f->path);
        const char *sets[] = {"case=a"};
        for (size_t nset = 0; nset < 2; nset++) {
            struct kvb_sweep *s = NULL;
            struct kvb_config_error err;
            if (kvb_sweep_load(f->path, sets, nset, &s, &err) == 0) {
                for (size_t i = 0; i < kvb_sweep_count(s); i++) {
                    struct kvb_run_spec spec;
                    assert_int_equal(kvb_sweep_spec(s, i, &spec, &err), 0);
                    kvb_config_free(&spec.cfg);
                }
                assert_non_null(kvb_sweep_text(s));
                kvb_sweep_free(s);
            } else {
                assert_true(err.msg[0] != '\0');
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_yaml_tree),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_valid_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_from_file_stem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durations_with_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_backend_options_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_scalars_and_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_backend_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_does_not_hide_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comprehensive_expansion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_axes_multiply_their_backend_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_axes_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_expansion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_lists_and_backend_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_bad_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_backend_check_sees_case_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_set_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_unchosen_still_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_checked_where_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_never_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
