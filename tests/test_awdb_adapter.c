/* test_awdb_adapter.c - the `awdb` kvbench backend (backends/awdb.c): how
 * awdb.mode and the harness's sync flag combine, return-code and error
 * mapping, the stats hook (bytes, durable/visible lag histograms in async
 * mode), and the whole engine against the `mem` reference backend under
 * random transactions through the same interface, across awdb reopens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/backend.h"
#include "tests/testutil.h"
#include "util/clock.h"
#include "util/option.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    const struct kvb_backend *be;
    void *opts;
    struct kvb_db db;
    char dir[PATH_MAX];
};

static void fx_opts(struct fx *f, const char *be, const char *mode)
{
    char err[KVB_OPT_ERRLEN];
    f->be = kvb_backend_find(be);
    assert_non_null(f->be);
    f->opts = calloc(1, f->be->opts_size ? f->be->opts_size : 1);
    if (f->be->options)
        assert_int_equal(kvb_opt_defaults(f->be->options, f->opts, err, sizeof err), 0);
    if (mode)
        assert_int_equal(
            kvb_opt_parse(kvb_opt_find(f->be->options, "mode"), mode, f->opts, err, sizeof err), 0);
}

static void fx_open(struct fx *f, bool sync)
{
    memset(&f->db, 0, sizeof f->db);
    f->db.be = f->be;
    struct kvb_open_args a = {.dir = f->dir,
                              .sync = sync,
                              .opts = f->opts,
                              .max_clients = 4,
                              .expected_keys = 1000,
                              .value_size = 100};
    if (f->be->open(&f->db, &a) != KVB_OK)
        fail_msg("%s open: %s", f->be->name, f->db.err);
}

static void fx_close(struct fx *f)
{
    if (f->be->close(&f->db) != KVB_OK)
        fail_msg("%s close: %s", f->be->name, f->db.err);
}

static void client(struct fx *f, struct kvb_client *c, unsigned id)
{
    memset(c, 0, sizeof *c);
    c->db = &f->db;
    c->id = id;
    if (f->be->client_open(c) != KVB_OK)
        fail_msg("client_open: %s", c->err);
}

static int put1(struct fx *f, struct kvb_client *c, const char *k, const char *v)
{
    assert_int_equal(f->be->begin(c, 0), KVB_OK);
    assert_int_equal(f->be->put(c, k, strlen(k), v, strlen(v)), KVB_OK);
    return f->be->commit(c);
}

static void test_mode_and_sync(void **state)
{
    (void)state;
    struct fx f;
    char err[256];
    fx_opts(&f, "awdb", NULL);
    assert_int_equal(f.be->check(f.opts, true, err, sizeof err), 0); /* auto */
    assert_int_equal(f.be->check(f.opts, false, err, sizeof err), 0);
    free(f.opts);
    fx_opts(&f, "awdb", "async");
    assert_int_equal(f.be->check(f.opts, false, err, sizeof err), 0);
    assert_int_equal(f.be->check(f.opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "sync: true"));
    /* open refuses it too, whoever forgot to call check */
    kvbt_mkdtemp(f.dir, "awdb-ad-mode");
    memset(&f.db, 0, sizeof f.db);
    struct kvb_open_args a = {.dir = f.dir, .sync = true, .opts = f.opts, .max_clients = 1};
    assert_int_equal(f.be->open(&f.db, &a), KVB_ERR);
    assert_non_null(strstr(f.db.err, "async"));
    free(f.opts);
    fx_opts(&f, "awdb", "none");
    assert_int_equal(f.be->check(f.opts, true, err, sizeof err), -1);
    free(f.opts);
    fx_opts(&f, "awdb", "sync");
    assert_int_equal(f.be->check(f.opts, false, err, sizeof err), 0); /* stronger is fine */
    /* zeros ahead of the WAL: off, or a window worth a helper's while */
    const struct kvb_option *pre = kvb_opt_find(f.be->options, "wal_prealloc");
    assert_non_null(pre);
    char perr[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_parse(pre, "100KiB", f.opts, perr, sizeof perr), 0);
    assert_int_equal(f.be->check(f.opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "wal_prealloc"));
    assert_non_null(strstr(err, "256KiB"));
    assert_int_equal(kvb_opt_parse(pre, "0", f.opts, perr, sizeof perr), 0);
    assert_int_equal(f.be->check(f.opts, true, err, sizeof err), 0);
    free(f.opts);
    kvbt_rmtree(f.dir);
}

static void test_codes_and_errors(void **state)
{
    (void)state;
    struct fx f;
    fx_opts(&f, "awdb", NULL);
    kvbt_mkdtemp(f.dir, "awdb-ad-codes");
    fx_open(&f, true);
    struct kvb_client a, b;
    client(&f, &a, 0);
    client(&f, &b, 1);
    const void *val;
    size_t vlen;
    assert_int_equal(f.be->begin(&a, KVB_TXN_READONLY), KVB_OK);
    assert_int_equal(f.be->get(&a, "nope", 4, 0, &val, &vlen), KVB_NOT_FOUND);
    f.be->abort(&a);
    /* a conflict is KVB_CONFLICT, and ends the transaction */
    assert_int_equal(put1(&f, &b, "k", "0"), KVB_OK);
    assert_int_equal(f.be->begin(&a, 0), KVB_OK);
    assert_int_equal(f.be->get(&a, "k", 1, KVB_GET_FOR_UPDATE, &val, &vlen), KVB_OK);
    assert_int_equal(put1(&f, &b, "k", "1"), KVB_OK);
    assert_int_equal(f.be->put(&a, "k", 1, "2", 1), KVB_OK);
    assert_int_equal(f.be->commit(&a), KVB_CONFLICT);
    assert_int_equal(f.be->begin(&a, 0), KVB_OK);
    /* over the limits: KVB_ERR with awdb's reason, and the txn goes on */
    static char big[600];
    memset(big, 'k', sizeof big);
    assert_int_equal(f.be->put(&a, big, sizeof big, "v", 1), KVB_ERR);
    assert_non_null(strstr(a.err, "too big"));
    assert_int_equal(f.be->put(&a, "ok", 2, "v", 1), KVB_OK);
    assert_int_equal(f.be->commit(&a), KVB_OK);
    f.be->abort(&a); /* safe when idle */

    struct kvb_engine_counters ec;
    kvb_engine_counters_init(&ec);
    assert_int_equal(f.be->counters(&f.db, &ec), KVB_OK);
    assert_true(ec.disk_bytes_written > 0);
    assert_true(ec.user_bytes_written == 1 + 1 + 1 + 1 + 2 + 1); /* k=0, k=1, ok=v */
    assert_true(ec.write_stalls == 0);
    struct kvb_backend_stats st;
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    assert_null(st.durable_lag); /* sync: durable before the acknowledgement */
    assert_null(st.visible_lag);
    f.be->client_close(&a);
    f.be->client_close(&b);
    fx_close(&f);
    free(f.opts);
    kvbt_rmtree(f.dir);
}

static void test_async_lag_histograms(void **state)
{
    (void)state;
    struct fx f;
    fx_opts(&f, "awdb", NULL);
    char err[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_parse(kvb_opt_find(f.be->options, "flush_interval_ms"), "5", f.opts,
                                   err, sizeof err),
                     0);
    kvbt_mkdtemp(f.dir, "awdb-ad-lag");
    fx_open(&f, false); /* auto + sync: false = async */
    struct kvb_client c[2];
    client(&f, &c[0], 0);
    client(&f, &c[1], 1);
    uint64_t t0 = kvb_now_ns(); /* before the first commit */
    for (int i = 0; i < 2000; i++) {
        char key[32];
        snprintf(key, sizeof key, "key%d", i);
        assert_int_equal(put1(&f, &c[i % 2], key, "value"), KVB_OK);
    }
    struct kvb_backend_stats st;
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    uint64_t t1 = kvb_now_ns(); /* after the last commit became durable */
    assert_non_null(st.durable_lag);
    assert_non_null(st.visible_lag);
    /* every acknowledged commit became durable */
    assert_int_equal(st.durable_lag->count, 2000);
    assert_int_equal(st.visible_lag->count, 2000);
    assert_int_equal(st.visible_lag->max, 0);
    print_message("durable lag: p50 %.2f ms, max %.2f ms, in a window of %.2f ms\n",
                  kvb_hist_percentile(st.durable_lag, 50) / 1e6, st.durable_lag->max / 1e6,
                  (double)(t1 - t0) / 1e6);
    /* each lag is durable time minus acknowledgement time, both inside the
     * test's own window; and async means acknowledged before durable (a
     * commit made durable before its acknowledgement is the exception) */
    assert_true(st.durable_lag->max <= t1 - t0);
    assert_true(kvb_hist_percentile(st.durable_lag, 50) > 0);
    /* closing a client keeps its figures */
    f.be->client_close(&c[0]);
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    assert_int_equal(st.durable_lag->count, 2000);

    /* The measured window: what came before it (the preload) is dropped,
     * commits acknowledged before it opens (the warmup) are left out. */
    client(&f, &c[0], 0);
    uint64_t open_at = kvb_now_ns() + 300000000u;
    f.be->measure_from(&f.db, open_at);
    open_at -= 1000000u; /* margin for the clock read */
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    assert_int_equal(st.durable_lag->count, 0);
    assert_int_equal(st.visible_lag->count, 0);
    unsigned before = 0, inside = 0;
    for (int i = 0; inside < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "win%d", i);
        assert_int_equal(put1(&f, &c[i % 2], key, "value"), KVB_OK);
        if (kvb_now_ns() < open_at)
            before++;
        else
            inside++;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    print_message("window: %u commits before it, %u inside, %" PRIu64 " lags recorded\n", before,
                  inside, st.durable_lag->count);
    assert_true(before >= 1);
    assert_true(st.durable_lag->count <= inside + 1);
    assert_true(st.durable_lag->count + 1 >= inside);
    assert_int_equal(st.visible_lag->count, st.durable_lag->count);
    f.be->client_close(&c[0]);
    f.be->client_close(&c[1]);
    fx_close(&f);
    free(f.opts);
    kvbt_rmtree(f.dir);
}

/* What stats said of a burst's commits. */
struct lag_figures {
    uint64_t durable, visible, dropped;
};

/* Opens awdb in async mode (sync: false) with the options given as
 * "name=value" strings (NULL-terminated), makes n commits from one client
 * as fast as it goes, all in the window, and returns what stats said. */
static struct lag_figures async_burst(const char *tag, const char *const *sets, int n)
{
    struct fx f;
    char err[KVB_OPT_ERRLEN];
    fx_opts(&f, "awdb", NULL);
    for (const char *const *p = sets; *p; p++) {
        char name[64];
        const char *eq = strchr(*p, '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - *p), *p);
        if (kvb_opt_parse(kvb_opt_find(f.be->options, name), eq + 1, f.opts, err, sizeof err))
            fail_msg("%s: %s", *p, err);
    }
    kvbt_mkdtemp(f.dir, tag);
    fx_open(&f, false);
    struct kvb_client c;
    client(&f, &c, 0);
    f.be->measure_from(&f.db, kvb_now_ns());
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "b%d", i);
        assert_int_equal(put1(&f, &c, key, "v"), KVB_OK);
    }
    struct kvb_backend_stats st;
    kvb_backend_stats_init(&st);
    assert_int_equal(f.be->stats(&f.db, &st), KVB_OK);
    assert_non_null(st.durable_lag);
    assert_non_null(st.visible_lag);
    print_message("%d commits: %" PRIu64 " durable lags (p50 %.1f ms, max %.1f ms), %" PRIu64
                  " dropped\n",
                  n, st.durable_lag->count, kvb_hist_percentile(st.durable_lag, 50) / 1e6,
                  st.durable_lag->max / 1e6, st.durable_lag_dropped);
    struct lag_figures lf = {st.durable_lag->count, st.visible_lag->count, st.durable_lag_dropped};
    f.be->client_close(&c);
    fx_close(&f);
    free(f.opts);
    kvbt_rmtree(f.dir);
    return lf;
}

/* More commits waiting for one WAL sync than the first ring holds (the
 * adapter's ring used to be 65536 and gave up on the oldest when full):
 * every one of them is in the histogram, none dropped. At stats the last
 * ones are still waiting for the interval's sync: they are recorded when it
 * comes. */
static void test_async_lag_keeps_the_tail(void **state)
{
    (void)state;
    static const char *const sets[] = {"flush_interval_ms=2000", NULL};
    const int n = 70000;
    struct lag_figures lf = async_burst("awdb-ad-tail", sets, n);
    assert_int_equal(lf.dropped, 0);
    assert_int_equal(lf.durable, n);
    assert_int_equal(lf.visible, n);
}

/* With lag_memory at its least (1024 pending commits), a longer burst
 * cannot all be kept: what is left out is counted, and the histogram keeps
 * the oldest (the slowest to become durable). */
static void test_async_lag_counts_what_it_leaves_out(void **state)
{
    (void)state;
    static const char *const sets[] = {"flush_interval_ms=2000", "lag_memory=16KiB", NULL};
    const int n = 5000;
    struct lag_figures lf = async_burst("awdb-ad-left", sets, n);
    assert_int_equal(lf.durable + lf.dropped, n);
    assert_true(lf.dropped > 0);
    assert_true(lf.durable >= 1024);
    assert_int_equal(lf.visible, n);
}

/* awdb against mem: the same random transactions, one at a time, through
 * the kvbench interface; every read and the final state must agree. */
static void test_against_mem(void **state)
{
    (void)state;
    struct fx a, m;
    fx_opts(&a, "awdb", NULL);
    fx_opts(&m, "mem", NULL);
    char err[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_parse(kvb_opt_find(a.be->options, "memtable_size"), "256KiB", a.opts,
                                   err, sizeof err),
                     0);
    kvbt_mkdtemp(a.dir, "awdb-ad-vsmem");
    kvbt_mkdtemp(m.dir, "awdb-ad-mem");
    fx_open(&a, false);
    fx_open(&m, false);
    struct kvb_client ca, cm;
    client(&a, &ca, 0);
    client(&m, &cm, 0);
    uint64_t rng = 42;
    char val[300];
    unsigned found = 0, missing = 0;
    for (int txn = 0; txn < 6000; txn++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        bool ro = rng % 5 == 0;
        assert_int_equal(a.be->begin(&ca, ro ? KVB_TXN_READONLY : 0), KVB_OK);
        assert_int_equal(m.be->begin(&cm, ro ? KVB_TXN_READONLY : 0), KVB_OK);
        int ops = 1 + (int)(rng % 6);
        for (int o = 0; o < ops; o++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            char key[32];
            int klen = snprintf(key, sizeof key, "key%u", (unsigned)(rng >> 8) % 300);
            unsigned what = ro ? 0 : (unsigned)(rng >> 40) % 4;
            if (what <= 1) {
                const void *va, *vm;
                size_t la, lm;
                int ra = a.be->get(&ca, key, (size_t)klen, 0, &va, &la);
                int rm = m.be->get(&cm, key, (size_t)klen, 0, &vm, &lm);
                if (ra != rm)
                    fail_msg("txn %d: get %s: awdb %d, mem %d", txn, key, ra, rm);
                if (ra == KVB_OK)
                    found++;
                else
                    missing++;
                if (ra == KVB_OK) {
                    assert_int_equal(la, lm);
                    assert_memory_equal(va, vm, la);
                }
            } else if (what == 2) {
                size_t vlen = (rng >> 20) % sizeof val;
                memset(val, 'a' + txn % 26, vlen);
                assert_int_equal(a.be->put(&ca, key, (size_t)klen, val, vlen), KVB_OK);
                assert_int_equal(m.be->put(&cm, key, (size_t)klen, val, vlen), KVB_OK);
            } else {
                assert_int_equal(a.be->del(&ca, key, (size_t)klen), KVB_OK);
                assert_int_equal(m.be->del(&cm, key, (size_t)klen), KVB_OK);
            }
        }
        if (rng % 7 == 0) {
            a.be->abort(&ca);
            m.be->abort(&cm);
        } else {
            assert_int_equal(a.be->commit(&ca), KVB_OK);
            assert_int_equal(m.be->commit(&cm), KVB_OK);
        }
        if (txn % 1500 == 1499) { /* awdb persists; mem stays open */
            a.be->client_close(&ca);
            fx_close(&a);
            fx_open(&a, false);
            client(&a, &ca, 0);
        }
    }
    print_message("compared %u found and %u missing reads\n", found, missing);
    assert_true(found > 1000 && missing > 100);
    a.be->client_close(&ca);
    m.be->client_close(&cm);
    fx_close(&a);
    fx_close(&m);
    free(a.opts);
    free(m.opts);
    kvbt_rmtree(a.dir);
    kvbt_rmtree(m.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_and_sync),
        cmocka_unit_test(test_codes_and_errors),
        cmocka_unit_test(test_async_lag_histograms),
        cmocka_unit_test(test_async_lag_keeps_the_tail),
        cmocka_unit_test(test_async_lag_counts_what_it_leaves_out),
        cmocka_unit_test(test_against_mem),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
