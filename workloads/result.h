/*
 * result.h - what one run measured, as plain data.
 *
 * The run loop (workloads/) fills a struct kvb_result; the report writers turn
 * it into a CSV row and a JSON summary. Per-role figures cover the measured
 * window only (warmup excluded); verification covers the whole run.
 */
#ifndef KVB_WORKLOADS_RESULT_H
#define KVB_WORKLOADS_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "util/hist.h"
#include "workloads/role.h"


/* Per role, merged over its clients. */
struct kvb_role_stats {
    unsigned clients;
    uint64_t ops;            /* transactions completed in the window (committed, for writers) */
    uint64_t attempts;       /* transaction attempts, retries included */
    uint64_t conflicts;      /* precondition failures (KVB_CONFLICT at commit) */
    uint64_t retry_failures; /* operations given up after max_retry_count retries */
    uint64_t errors;         /* KVB_ERR results */
    uint64_t max_attempts;   /* most attempts one committed operation needed */
    uint64_t behind;         /* operations that started after their intended time + 1 ms */
    struct kvb_hist latency; /* intended start -> completion (coordinated omission corrected) */
    struct kvb_hist service; /* actual start -> completion */
    double window_secs;      /* the role's own measured window: from its start to the end of
                              * the schedule, or to the role's last measured completion when
                              * its clients fell behind; its rate is ops / window_secs, so a
                              * role that overran does not dilute another's. 0: no clients */
};

/* Operations per second of a role over its own window; NaN without a window. */
double kvb_role_tps(const struct kvb_role_stats *s);

enum kvb_verdict { KVB_VERIFY_NA = 0, KVB_VERIFY_PASSED, KVB_VERIFY_FAILED };

#define KVB_REASON_LEN 512

/* A time series of the measured window in intervals (report_interval). */
struct kvb_series {
    unsigned n;            /* intervals; 0: no series */
    double interval_secs;
    uint64_t *ops[KVB_ROLE_COUNT];  /* operations completed per interval (by intended start) */
    uint64_t *p99_ns[KVB_ROLE_COUNT]; /* p99 latency per interval, 0 when none */
};

struct kvb_result {
    bool failed;                  /* the run did not complete: reason says why */
    char reason[KVB_REASON_LEN];  /* first error, with where it happened */

    double measured_secs;         /* the longest role window (kvb_role_stats.window_secs);
                                   * the schedule's length when no role overran it */
    struct kvb_role_stats role[KVB_ROLE_COUNT];

    uint64_t isolation_violations; /* reads that saw something impossible */
    char first_violation[KVB_REASON_LEN];

    int verdict;                  /* enum kvb_verdict: end-of-run verification */
    char verify_detail[KVB_REASON_LEN];
    uint64_t acked_commits;       /* monotonic commits acknowledged, warmup included */
    uint64_t final_head;          /* head read back after the run (if stored) */
    uint64_t preloaded;           /* keys loaded before the run */
    double preload_secs;

    /* Process figures of the child that ran it. */
    double cpu_user_secs, cpu_sys_secs;
    double peak_rss_mb;
    double io_write_bytes; /* /proc/self/io write_bytes */

    /* The engine's counters (NaN when unknown): `engine` over the measured
     * window (from its start until the clients stopped), `engine_total` over
     * the whole run (from open: preload and warmup included). */
    struct kvb_engine_counters engine, engine_total;
    /* Lag histograms (count 0 when none), of the commits acknowledged in the
     * window, and how many of those durable_lag leaves out (NaN when the
     * backend does not track durable lag). */
    struct kvb_hist durable_lag, visible_lag;
    double durable_lag_dropped;

    uint64_t start_wall_ns; /* when the measured window began (Unix time) */

    struct kvb_series series; /* owned: kvb_result_release */

    uint64_t scanned_keys; /* keys returned by scans in the window */
};

/* Zeroes r and initialises its histograms; NaN for unknown backend figures. */
void kvb_result_init(struct kvb_result *r);

/* Frees what r owns (its time series); r can be initialised again. */
void kvb_result_release(struct kvb_result *r);

/* Records the first failure: later calls keep the first reason. */
void kvb_result_fail(struct kvb_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
