/*
 * test_run.c - kvb_run in this process: one configuration, start to verdict.
 *
 * On mem without faults a run of concurrent monotonic writers and readers
 * verifies. Each anomaly mem can inject is caught by the check meant for it:
 * a lost acknowledged write and a lost update by the end-of-run
 * verification, a stale or corrupt read by the readers, and head moved past
 * the acknowledged commits (a second run on a persisted mem) by the
 * end-of-run check of head; and so with random writers and with compactors
 * instead of monotonic writers, whose own reads for update are judged too.
 * lmdb with every role and a preload verifies. On null with a periodic
 * stall, latency from the intended start shows the stall while service time
 * does not (coordinated omission corrected). Warmup is excluded from what is
 * counted. A role that overruns the schedule (a compactor holding its
 * transaction) has its own window and does not lower another role's rate.
 *
 * Configurations are built as the program builds them: a sweep loaded from
 * --set overrides, expanded to its one spec. Runs are short (well under a
 * second each). Timing is only checked in the direction that cannot flake on
 * a busy machine; operation counts of paced clients follow from the
 * schedule, not the clock, so they are checked exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"
#include "report/row.h"
#include "workloads/result.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"
#include "backends/backend.h"
#include "util/hist.h"
#include "workloads/run.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__SANITIZE_THREAD__)
/* librocksdb is not built with TSan: races TSan reports inside it are not
 * ours to judge (as in test_backends.c). Its frames are often lost in the
 * report (it is built without frame pointers) and only the libstdc++ code it
 * calls shows; kvbench is C, so a race in libstdc++ is always rocksdb's. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:librocksdb.so\nrace:libstdc++.so\n";
}
#endif

/* ---- running one configuration ----------------------------------------- */

static const char *verdict_name(int v)
{
    return v == KVB_VERIFY_PASSED ? "passed" : v == KVB_VERIFY_FAILED ? "failed" : "n/a";
}

/* The run completed, verified, and no reader saw anything impossible. */
static void expect_clean(const struct kvb_result *res, int rc)
{
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    if (res->verdict != KVB_VERIFY_PASSED)
        fail_msg("verification %s: %s", verdict_name(res->verdict), res->verify_detail);
    if (res->isolation_violations)
        fail_msg("%llu isolation violations, first: %s",
                 (unsigned long long)res->isolation_violations, res->first_violation);
    assert_string_equal(res->first_violation, "");
    assert_string_equal(kvb_result_status(res), KVB_STATUS_OK);
    assert_int_equal(res->final_head, res->acked_commits);
    for (int i = 0; i < KVB_ROLE_COUNT; i++) {
        assert_int_equal(res->role[i].errors, 0);
        assert_int_equal(res->role[i].retry_failures, 0);
        /* every completed operation is in both histograms */
        assert_int_equal(res->role[i].latency.count, res->role[i].ops);
        assert_int_equal(res->role[i].service.count, res->role[i].ops);
    }
}

/* A completed run whose verification failed; returns nothing, checks the
 * detail mentions one of the needles (NULL-terminated). */
static void expect_verify_failed(const struct kvb_result *res, int rc,
                                 const char *const *needles)
{
    if (rc != 0 || res->failed)
        fail_msg("the run should complete (and fail verification), but: %s", res->reason);
    if (res->verdict != KVB_VERIFY_FAILED)
        fail_msg("verification %s (head %llu, %llu acknowledged): the anomaly went unnoticed",
                 verdict_name(res->verdict), (unsigned long long)res->final_head,
                 (unsigned long long)res->acked_commits);
    assert_string_equal(kvb_result_status(res), KVB_STATUS_VIOLATION);
    for (const char *const *n = needles; *n; n++)
        if (strstr(res->verify_detail, *n))
            return;
    fail_msg("verification detail '%s' does not say what was wrong (expected '%s'%s)",
             res->verify_detail, needles[0], needles[1] ? " or similar" : "");
}

static void expect_violations(const struct kvb_result *res, int rc)
{
    if (rc != 0 || res->failed)
        fail_msg("the run should complete, but: %s", res->reason);
    if (res->isolation_violations == 0)
        fail_msg("no isolation violation counted (%llu reads)",
                 (unsigned long long)res->role[KVB_ROLE_READER].ops);
    if (!strstr(res->first_violation, "reader"))
        fail_msg("first violation '%s' does not say which reader saw what",
                 res->first_violation);
    assert_string_equal(kvb_result_status(res), KVB_STATUS_VIOLATION);
}

/* |got - want| <= slack */
static void expect_count(const char *what, uint64_t got, uint64_t want, uint64_t slack)
{
    if (got + slack < want || got > want + slack)
        fail_msg("%s: %llu, expected %llu (+-%llu)", what, (unsigned long long)got,
                 (unsigned long long)want, (unsigned long long)slack);
}

/* ---- mem without faults ------------------------------------------------ */

/* The run's window is the schedule's (secs), or longer when a client fell
 * behind at its end (a loaded machine); then it is the longest role's. */
static void expect_window(const struct kvb_result *res, double secs)
{
    double longest = 0;
    for (int r = 0; r < KVB_ROLE_COUNT; r++)
        if (res->role[r].window_secs > longest)
            longest = res->role[r].window_secs;
    if (res->measured_secs < secs || res->measured_secs != longest)
        fail_msg("window %g s: expected %g s or, when clients fell behind, the longest role's "
                 "(%g s)",
                 res->measured_secs, secs, longest);
}

static void test_mem_paced_verifies(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=3", "writer_rate=500", "num_readers=2",
        "reader_rate=1000", "duration=0.5", "warmup=0.2", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_clean(res, rc);
    const struct kvb_role_stats *w = &res->role[KVB_ROLE_WRITER], *r = &res->role[KVB_ROLE_READER];
    assert_int_equal(w->clients, 3);
    assert_int_equal(r->clients, 2);
    assert_int_equal(res->role[KVB_ROLE_RANDOM_WRITER].clients, 0);
    /* paced: the schedule decides the counts (3 x 500/s x 0.5 s, 2 x 1000/s x 0.5 s) */
    expect_count("writes in the window", w->ops, 750, 3);
    expect_count("reads in the window", r->ops, 1000, 2);
    /* acknowledged commits cover warmup too: 3 x 500/s x 0.7 s */
    expect_count("acknowledged commits", res->acked_commits, 1050, 3);
    /* mem serialises writers: never a conflict */
    assert_int_equal(w->conflicts, 0);
    assert_int_equal(w->attempts, w->ops);
    assert_int_equal(w->max_attempts, 1);
    expect_window(res, 0.5);
    free(res);
}

static void test_mem_unpaced_verifies(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=3", "writer_rate=0", "num_readers=2",
        "reader_rate=2000", "value_size=24", "duration=0.3", "warmup=0.1", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_clean(res, rc);
    /* three writers racing for head, flat out: many commits, none lost */
    assert_true(res->role[KVB_ROLE_WRITER].ops > 100);
    assert_true(res->acked_commits >= res->role[KVB_ROLE_WRITER].ops);
    assert_true(res->role[KVB_ROLE_READER].ops > 0);
    free(res);
}

/* ---- mem with each injected anomaly ---------------------------------- */

static void test_mem_lose_write_caught(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=1", "writer_rate=1000", "num_readers=1",
        "reader_rate=500", "duration=0.3", "warmup=0.1", "mem.lose_write_every=10", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    /* The 10th write commit (index 9) is acknowledged and dropped, so the
     * next one reads the same head and claims index 9 again: what the
     * end-of-run check finds first. */
    static const char *const needles[] = {
        "lost update: two acknowledged commits both claimed index 9", NULL};
    expect_verify_failed(res, rc, needles);
    assert_string_equal(res->verify_detail, needles[0]);
    /* about one commit in ten vanished */
    assert_true(res->final_head < res->acked_commits);
    free(res);
}

/* Head moved past what the run acknowledged: a second run on a store that
 * persists (mem.persist) starts at the first run's head, so the commits
 * that moved head there were not acknowledged by this run. */
static void test_head_past_acknowledged_caught(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem",  "mem.persist=true", "num_writers=1", "writer_rate=1000",
        "num_readers=0", "duration=0.1",     "warmup=0",      NULL,
    };
    char dir[PATH_MAX], want[160];
    int rc;
    kvbt_mkdtemp(dir, "run");
    struct kvb_result *first = kvbt_run_sets_in(sets, dir, &rc);
    expect_clean(first, rc);
    assert_true(first->acked_commits > 0);
    struct kvb_result *res = kvbt_run_sets_in(sets, dir, &rc);
    kvbt_rmtree(dir);
    assert_true(res->acked_commits > 0);
    assert_int_equal(res->final_head, first->final_head + res->acked_commits);
    snprintf(want, sizeof(want), "head is %llu but %llu commits were acknowledged",
             (unsigned long long)res->final_head, (unsigned long long)res->acked_commits);
    const char *const needles[] = {want, NULL};
    expect_verify_failed(res, rc, needles);
    assert_string_equal(res->verify_detail, want);
    free(first);
    free(res);
}

/* Paced clients move in lockstep (1 writer and 2 readers make 5 gets per
 * tick), so "every Nth get" must not divide that: with N = 5 every stale read
 * could land on a head read, which a reader cannot tell from a slower
 * writer. N = 3 walks over every position. */
static void test_mem_stale_read_caught(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=1", "writer_rate=1000", "num_readers=2",
        "reader_rate=1000", "duration=0.3", "warmup=0.1", "mem.stale_read_every=3", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_violations(res, rc);
    free(res);
}

static void test_mem_corrupt_read_caught(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=1", "writer_rate=1000", "num_readers=2",
        "reader_rate=1000", "duration=0.3", "warmup=0.1", "mem.corrupt_read_every=3", NULL,
    };
    /* Not every 5th get: paced clients take turns in a fixed order, and a
     * round here is 5 gets (the writer's head, each reader's head and key),
     * so every 5th get could be the same head read, round after round, and
     * a corrupt head still parses as a number (a digit xor 1 is a digit). */
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_violations(res, rc);
    free(res);
}

/* Only the reads of values are corrupted when there is nothing else to read:
 * with no writer, readers read preloaded records only, and the flipped byte
 * is in the filler. */
static void test_mem_corrupt_record_caught(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=mem", "num_writers=0", "num_readers=1", "reader_rate=1000", "preload=100",
        "duration=0.3", "warmup=0.1", "mem.corrupt_read_every=3", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_violations(res, rc);
    if (!strstr(res->first_violation, "rec_"))
        fail_msg("first violation '%s' does not name the record", res->first_violation);
    /* the end-of-run check reads through the same faulty store */
    assert_int_equal(res->verdict, KVB_VERIFY_FAILED);
    free(res);
}

static void test_mem_lost_update_caught(void **state)
{
    (void)state;
    /* several unpaced writers without the lock held across the transaction:
     * two of them read the same head and both commit */
    static const char *const sets[] = {
        "backends=mem", "num_writers=6", "writer_rate=0", "num_readers=0", "value_size=24",
        "duration=0.3", "warmup=0.1", "mem.lost_update=true", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    static const char *const needles[] = {"lost update", NULL};
    expect_verify_failed(res, rc, needles);
    assert_true(res->final_head < res->acked_commits);
    free(res);
}

/* ---- mem's anomalies with random writers and compactors ---------------- */

/* Runs sets + more (both NULL-terminated) and returns the result. */
static struct kvb_result *run_two(const char *const *sets, const char *const *more, int *rc)
{
    const char *all[40];
    size_t n = 0;
    for (size_t i = 0; sets[i] && n < 39; i++)
        all[n++] = sets[i];
    for (size_t i = 0; more[i] && n < 39; i++)
        all[n++] = more[i];
    all[n] = NULL;
    return kvbt_run_sets(all, rc);
}

/* A completed run in which some client saw something impossible: the first
 * violation names who (e.g. "compactor 0") and what ("stale read"). */
static void expect_violation(const struct kvb_result *res, int rc, const char *who,
                             const char *what)
{
    if (rc != 0 || res->failed)
        fail_msg("the run should complete, but: %s", res->reason);
    if (res->isolation_violations == 0)
        fail_msg("no violation counted (verification %s: %s)", verdict_name(res->verdict),
                 res->verify_detail);
    if (!strstr(res->first_violation, who) || !strstr(res->first_violation, what))
        fail_msg("first violation '%s' is not a %s by %s", res->first_violation, what, who);
    assert_string_equal(kvb_result_status(res), KVB_STATUS_VIOLATION);
}

/* One paced random writer on 50 preloaded records, and a reader of them. */
static const char *const random_writer_sets[] = {
    "backends=mem",   "num_writers=0",   "num_random_writers=1", "random_writer_rate=1000",
    "key_count=50",   "preload=50",      "num_readers=1",        "reader_rate=1000",
    "duration=0.3",   "warmup=0.1",      NULL,
};

/* Two compactors on 20 preloaded records, holding their transactions open,
 * and no reader: what they read is judged too. */
static const char *const compactor_sets[] = {
    "backends=mem",          "num_writers=0",        "num_readers=0",
    "num_compactors=2",      "compactor_rate=0",     "compactor_read_count=5",
    "compactor_sleep_ms=2",  "preload=20",           "duration=0.3",
    "warmup=0.1",            NULL,
};

static void test_random_writer_lost_write_caught(void **state)
{
    (void)state;
    /* the issue's example: half the acknowledged commits vanish */
    static const char *const issue[] = {
        "backends=mem", "mem.lose_write_every=2", "num_writers=0", "num_random_writers=1",
        "num_readers=1", "preload=50", "duration=0.3", "warmup=0.1", NULL,
    };
    static const char *const lost_write[] = {"lost write: rec_", NULL};
    int rc;
    struct kvb_result *res = kvbt_run_sets(issue, &rc);
    expect_verify_failed(res, rc, lost_write);
    free(res);
    /* the reader of the records that lost their writes sees them stale */
    static const char *const fault[] = {"mem.lose_write_every=2", NULL};
    res = run_two(random_writer_sets, fault, &rc);
    expect_verify_failed(res, rc, lost_write);
    expect_violation(res, rc, "reader 0", "stale read");
    free(res);
}

static void test_random_writer_stale_read_caught(void **state)
{
    (void)state;
    static const char *const fault[] = {"mem.stale_read_every=3", NULL};
    int rc;
    struct kvb_result *res = run_two(random_writer_sets, fault, &rc);
    expect_violation(res, rc, "reader 0", "stale read");
    free(res);
}

/* A corrupt value read for update: 24-byte values, so the flipped byte is
 * in the header the writer checks. */
static void test_random_writer_corrupt_read_caught(void **state)
{
    (void)state;
    static const char *const fault[] = {"mem.corrupt_read_every=4", "value_size=24",
                                        "read_before_write=true", "num_readers=0", NULL};
    int rc;
    struct kvb_result *res = run_two(random_writer_sets, fault, &rc);
    expect_violation(res, rc, "random writer 0", "read for update: value header checksum");
    free(res);
}

static void test_random_writer_lost_update_caught(void **state)
{
    (void)state;
    /* read-modify-writes on ten records, flat out: two of them read the
     * same version and both commit. They must overlap: a few rounds make
     * that sure on a busy machine. */
    static const char *const sets[] = {
        "backends=mem",      "mem.lost_update=true", "num_writers=0",
        "num_readers=0",     "num_random_writers=3", "random_writer_rate=0",
        "read_before_write=true", "ops_per_txn=10",  "key_count=10",
        "preload=10",        "duration=0.3",         "warmup=0.05",
        NULL,
    };
    static const char *const lost_update[] = {"lost update: rec_", NULL};
    int rc;
    struct kvb_result *res = NULL;
    for (int round = 0; round < 10; round++) {
        free(res);
        res = kvbt_run_sets(sets, &rc);
        if (res->verdict != KVB_VERIFY_PASSED)
            break;
    }
    expect_verify_failed(res, rc, lost_update);
    free(res);
}

static void test_compactor_lost_write_caught(void **state)
{
    (void)state;
    static const char *const fault[] = {"mem.lose_write_every=3", NULL};
    static const char *const lost_write[] = {"lost write: rec_", NULL};
    int rc;
    struct kvb_result *res = run_two(compactor_sets, fault, &rc);
    expect_verify_failed(res, rc, lost_write);
    expect_violation(res, rc, "compactor", "stale read");
    free(res);
}

static void test_compactor_stale_read_caught(void **state)
{
    (void)state;
    static const char *const fault[] = {"mem.stale_read_every=3", NULL};
    int rc;
    struct kvb_result *res = run_two(compactor_sets, fault, &rc);
    expect_violation(res, rc, "compactor", "stale read");
    free(res);
}

static void test_compactor_corrupt_read_caught(void **state)
{
    (void)state;
    static const char *const fault[] = {"mem.corrupt_read_every=4", "value_size=24", NULL};
    int rc;
    struct kvb_result *res = run_two(compactor_sets, fault, &rc);
    expect_violation(res, rc, "compactor", "read for update: value header checksum");
    free(res);
}

static void test_compactor_lost_update_caught(void **state)
{
    (void)state;
    /* without the lock held, both compactors read, sleep, and write back */
    static const char *const fault[] = {"mem.lost_update=true", NULL};
    static const char *const lost_update[] = {"lost update: rec_", NULL};
    int rc;
    struct kvb_result *res = run_two(compactor_sets, fault, &rc);
    expect_verify_failed(res, rc, lost_update);
    free(res);
}

/* ---- lmdb, every role ------------------------------------------------- */

static void test_lmdb_all_roles_verify(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=lmdb",        "num_writers=2",         "writer_rate=200",
        "num_readers=2",        "reader_rate=1000",      "num_random_writers=2",
        "random_writer_rate=200", "ops_per_txn=4",       "key_count=500",
        "preload=3000",         "sync=false",            "duration=0.5",
        "warmup=0.1",           NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_clean(res, rc);
    const struct kvb_role_stats *w = &res->role[KVB_ROLE_WRITER];
    const struct kvb_role_stats *rw = &res->role[KVB_ROLE_RANDOM_WRITER];
    assert_int_equal(w->clients, 2);
    assert_int_equal(rw->clients, 2);
    expect_count("monotonic writes", w->ops, 200, 2);
    expect_count("random writes", rw->ops, 200, 2);
    expect_count("reads", res->role[KVB_ROLE_READER].ops, 1000, 2);
    assert_int_equal(res->preloaded, 3000);
    assert_true(res->preload_secs > 0);
    /* lmdb serialises writers: no conflicts by construction */
    assert_int_equal(w->conflicts + rw->conflicts, 0);
    assert_true(res->acked_commits > 0);
    free(res);
}

/* ---- conflicts and retries (rocksdb: optimistic transactions) ----------- */

static void test_rocksdb_conflicts_counted(void **state)
{
    (void)state;
    if (!kvb_backend_find("rocksdb"))
        skip();
    /* three writers flat out on one head key: some commits conflict and are
     * retried, a few give up after max_retry_count retries */
    static const char *const sets[] = {
        "backends=rocksdb", "num_writers=3", "writer_rate=0", "num_readers=1",
        "reader_rate=1000", "max_retry_count=2", "sync=false", "duration=0.4",
        "warmup=0.1", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    if (res->verdict != KVB_VERIFY_PASSED || res->isolation_violations)
        fail_msg("verification %s: %s; violations %llu: %s", verdict_name(res->verdict),
                 res->verify_detail, (unsigned long long)res->isolation_violations,
                 res->first_violation);
    assert_int_equal(res->final_head, res->acked_commits);
    const struct kvb_role_stats *w = &res->role[KVB_ROLE_WRITER];
    assert_true(w->ops > 0);
    assert_int_equal(w->errors, 0);
    /* every attempt either committed, or conflicted */
    assert_int_equal(w->attempts, w->ops + w->conflicts);
    /* a retry failure is max_retry_count + 1 conflicting attempts */
    assert_true(w->retry_failures * 3 <= w->conflicts);
    assert_true(w->max_attempts >= 1 && w->max_attempts <= 3);
    if (w->conflicts > w->retry_failures * 3)
        assert_true(w->max_attempts >= 2); /* some conflict was retried and committed */
    /* readers never conflict */
    assert_int_equal(res->role[KVB_ROLE_READER].conflicts, 0);
    free(res);
}

/* ---- coordinated omission -------------------------------------------- */

static void test_null_stall_shows_in_latency_not_service(void **state)
{
    (void)state;
    const double stall_ms = 50;
    static const char *const sets[] = {
        "backends=null", "num_writers=1", "writer_rate=1000", "num_readers=1",
        "reader_rate=1000", "duration=1", "warmup=0.1", "null.stall_every_ms=100",
        "null.stall_ms=50", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    /* null stores nothing: verification does not apply */
    assert_int_equal(res->verdict, KVB_VERIFY_NA);
    assert_int_equal(res->isolation_violations, 0);

    static const enum kvb_role roles[] = {KVB_ROLE_WRITER, KVB_ROLE_READER};
    for (size_t i = 0; i < 2; i++) {
        const struct kvb_role_stats *s = &res->role[roles[i]];
        const char *name = roles[i] == KVB_ROLE_WRITER ? "writer" : "reader";
        /* every intended operation ran, stalled or not */
        expect_count(name, s->ops, 1000, 2);
        double lat_p99 = (double)kvb_hist_percentile(&s->latency, 99) / 1e6;
        double svc_p50 = (double)kvb_hist_percentile(&s->service, 50) / 1e6;
        double svc_max = (double)s->service.max / 1e6;
        /* a stall of 50 ms every 100 ms delays about half the requests behind
         * it: the p99 from the intended start sees (nearly) the whole stall */
        if (lat_p99 < 0.6 * stall_ms)
            fail_msg("%s: latency p99 %.3f ms hides a %.0f ms stall (coordinated omission)",
                     name, lat_p99, stall_ms);
        /* while the service time of a typical operation knows nothing of it */
        if (svc_p50 >= stall_ms / 5)
            fail_msg("%s: service time p50 %.3f ms, expected far below the %.0f ms stall",
                     name, svc_p50, stall_ms);
        /* the stalled operation itself took the whole stall */
        assert_true(svc_max >= 0.99 * stall_ms);
        /* and the requests queued behind it started late */
        assert_true(s->behind > 0);
    }
    free(res);
}

/* The same stall with Poisson arrivals: still visible, still not in service time. */
static void test_null_stall_poisson(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=null", "num_writers=0", "num_readers=1", "reader_rate=1000",
        "arrival=poisson", "duration=1", "warmup=0.1", "null.stall_every_ms=100",
        "null.stall_ms=50", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    const struct kvb_role_stats *s = &res->role[KVB_ROLE_READER];
    /* a Poisson count with mean 1000 (sd ~32): the seed fixes it anyway */
    expect_count("reads", s->ops, 1000, 150);
    assert_true((double)kvb_hist_percentile(&s->latency, 99) / 1e6 >= 30);
    assert_true((double)kvb_hist_percentile(&s->service, 50) / 1e6 < 10);
    free(res);
}

/* ---- warmup ----------------------------------------------------------- */

static void test_warmup_excluded(void **state)
{
    (void)state;
    /* R = 1000/s for D = 0.5 s after a 0.5 s warmup: R*D, not R*(D + warmup) */
    static const char *const sets[] = {
        "backends=mem", "num_writers=1", "writer_rate=1000", "num_readers=1",
        "reader_rate=400", "duration=0.5", "warmup=0.5", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    expect_clean(res, rc);
    const struct kvb_role_stats *w = &res->role[KVB_ROLE_WRITER], *r = &res->role[KVB_ROLE_READER];
    expect_count("writes in the window", w->ops, 500, 1);
    expect_count("writer latency samples", w->latency.count, 500, 1);
    expect_count("reads in the window", r->ops, 200, 1);
    /* what was committed during warmup is still verified */
    expect_count("acknowledged commits (warmup included)", res->acked_commits, 1000, 1);
    assert_int_equal(res->final_head, res->acked_commits);
    expect_window(res, 0.5);
    free(res);
}

/* Warmup 0 is allowed: everything counts. */
static void test_no_warmup(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=null", "num_writers=1", "writer_rate=1000", "num_readers=0",
        "duration=0.3", "warmup=0", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    expect_count("writes", res->role[KVB_ROLE_WRITER].ops, 300, 1);
    free(res);
}

/* ---- each role's own window ---------------------------------------- */

/* The row kvbench writes for sets' one spec and res. */
static char **row_of(const char *const *sets, const struct kvb_result *res)
{
    size_t nset = 0;
    while (sets[nset])
        nset++;
    struct kvb_sweep *sw = NULL;
    struct kvb_config_error ce;
    assert_int_equal(kvb_sweep_load(NULL, sets, nset, &sw, &ce), 0);
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    char **cells = calloc(kvb_ncolumns, sizeof(*cells));
    assert_non_null(spec);
    assert_non_null(cells);
    assert_int_equal(kvb_sweep_spec(sw, 0, spec, &ce), 0);
    assert_int_equal(kvb_row_build(spec, res, NULL, cells), 0);
    kvb_config_free(&spec->cfg);
    free(spec);
    kvb_sweep_free(sw);
    return cells;
}

static const char *cell_of(char **cells, const char *col)
{
    int i = kvb_column_index(col);
    assert_true(i >= 0);
    return cells[i];
}

/* The cell a rate of ops over secs is written as. */
static void expect_rate_cell(char **cells, const char *col, uint64_t ops, double secs)
{
    char want[64];
    snprintf(want, sizeof(want), "%.6g", (double)ops / secs);
    if (strcmp(cell_of(cells, col), want) != 0)
        fail_msg("%s is %s, expected %s (%llu operations over %g s)", col, cell_of(cells, col),
                 want, (unsigned long long)ops, secs);
}

/* A compactor whose transaction is held past the end of the schedule does
 * not lower the readers' rate: every role's rate is over its own window.
 * The compactor (2/s for 1 s) intends its second transaction at 0.5 s or
 * later and holds it 2 s (at least), so it ends 1.5 s or more after the
 * schedule whatever the machine's load: its window is at least 2.5 s. The
 * reader's 100 reads take microseconds each on null; its window is the
 * schedule's, or a little longer when a loaded machine delayed its last
 * reads, but never the compactor's. */
static void test_role_windows_apart(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=null", "num_writers=0", "num_readers=1", "reader_rate=100",
        "num_compactors=1", "compactor_rate=2", "compactor_sleep_ms=2000",
        "compactor_read_count=1", "duration=1", "warmup=0", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    const struct kvb_role_stats *rd = &res->role[KVB_ROLE_READER];
    const struct kvb_role_stats *cp = &res->role[KVB_ROLE_COMPACTOR];
    expect_count("reads in the window", rd->ops, 100, 1);
    assert_int_equal(cp->ops, 2);
    if (cp->window_secs < 2.5)
        fail_msg("the compactor's window is %g s: its second transaction (held 2 s) "
                 "should end 1.5 s or more after the 1 s schedule",
                 cp->window_secs);
    /* the run's window is the longest role's */
    assert_true(res->measured_secs == cp->window_secs);
    if (rd->window_secs < 1.0 || rd->window_secs > cp->window_secs - 1.0)
        fail_msg("the reader's window is %g s next to the compactor's %g s: the reader "
                 "inherited the compactor's overrun",
                 rd->window_secs, cp->window_secs);
    /* a role without clients has no window */
    assert_true(res->role[KVB_ROLE_WRITER].window_secs == 0);

    /* each role's rate in the row is its operations over its own window */
    char **cells = row_of(sets, res);
    expect_rate_cell(cells, "read_tps", rd->ops, rd->window_secs);
    expect_rate_cell(cells, "compactor_tps", cp->ops, cp->window_secs);
    char want[64];
    snprintf(want, sizeof(want), "%.6g", rd->window_secs);
    assert_string_equal(cell_of(cells, "read_window_secs"), want);
    snprintf(want, sizeof(want), "%.6g", cp->window_secs);
    assert_string_equal(cell_of(cells, "compactor_window_secs"), want);
    assert_string_equal(cell_of(cells, "window_secs"), want);
    /* absent roles: 0/s (every role, as the seed's columns always said), no window */
    assert_string_equal(cell_of(cells, "write_tps"), "0");
    assert_string_equal(cell_of(cells, "writer_window_secs"), "");
    assert_string_equal(cell_of(cells, "scan_tps"), "0");
    assert_string_equal(cell_of(cells, "scanner_p99_ms"), "");
    kvb_row_free(cells);
    free(cells);
    free(res);
}

/* A closed loop on null: the harness alone, many operations, nothing to verify. */
static void test_null_closed_loop(void **state)
{
    (void)state;
    static const char *const sets[] = {
        "backends=null", "num_writers=1", "writer_rate=0", "num_readers=1", "reader_rate=0",
        "duration=0.2", "warmup=0.05", NULL,
    };
    int rc;
    struct kvb_result *res = kvbt_run_sets(sets, &rc);
    if (rc != 0 || res->failed)
        fail_msg("run failed: %s", res->reason);
    assert_int_equal(res->verdict, KVB_VERIFY_NA);
    /* many operations: null takes well under a microsecond per call */
    assert_true(res->role[KVB_ROLE_WRITER].ops > 100);
    assert_true(res->role[KVB_ROLE_READER].ops > 100);
    assert_int_equal(res->acked_commits, 0); /* nothing to claim where nothing is kept */
    free(res);
}

/* A run that cannot open its backend fails with the reason, and returns -1. */
static void test_open_failure_reported(void **state)
{
    (void)state;
    static const char *const sets[] = {"backends=lmdb", "duration=0.1", "warmup=0", NULL};
    struct kvb_sweep *sw = NULL;
    struct kvb_config_error ce;
    assert_int_equal(kvb_sweep_load(NULL, sets, 3, &sw, &ce), 0);
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    assert_non_null(spec);
    assert_int_equal(kvb_sweep_spec(sw, 0, spec, &ce), 0);
    struct kvb_result *res = malloc(sizeof(*res));
    assert_non_null(res);
    assert_int_equal(kvb_run(&spec->cfg, "/nonexistent/kvbench-test-dir", res), -1);
    assert_true(res->failed);
    assert_non_null(strstr(res->reason, "lmdb"));
    assert_non_null(strstr(res->reason, "/nonexistent/kvbench-test-dir"));
    assert_string_equal(kvb_result_status(res), KVB_STATUS_FAILED);
    free(res);
    kvb_config_free(&spec->cfg);
    free(spec);
    kvb_sweep_free(sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_paced_verifies),
        cmocka_unit_test(test_mem_unpaced_verifies),
        cmocka_unit_test(test_mem_lose_write_caught),
        cmocka_unit_test(test_head_past_acknowledged_caught),
        cmocka_unit_test(test_mem_stale_read_caught),
        cmocka_unit_test(test_mem_corrupt_read_caught),
        cmocka_unit_test(test_mem_corrupt_record_caught),
        cmocka_unit_test(test_mem_lost_update_caught),
        cmocka_unit_test(test_random_writer_lost_write_caught),
        cmocka_unit_test(test_random_writer_stale_read_caught),
        cmocka_unit_test(test_random_writer_corrupt_read_caught),
        cmocka_unit_test(test_random_writer_lost_update_caught),
        cmocka_unit_test(test_compactor_lost_write_caught),
        cmocka_unit_test(test_compactor_stale_read_caught),
        cmocka_unit_test(test_compactor_corrupt_read_caught),
        cmocka_unit_test(test_compactor_lost_update_caught),
        cmocka_unit_test(test_lmdb_all_roles_verify),
        cmocka_unit_test(test_rocksdb_conflicts_counted),
        cmocka_unit_test(test_null_stall_shows_in_latency_not_service),
        cmocka_unit_test(test_null_stall_poisson),
        cmocka_unit_test(test_warmup_excluded),
        cmocka_unit_test(test_no_warmup),
        cmocka_unit_test(test_role_windows_apart),
        cmocka_unit_test(test_null_closed_loop),
        cmocka_unit_test(test_open_failure_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
