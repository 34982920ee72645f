/* result.c - setting up and releasing a run's result (see result.h). */
#include "workloads/result.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kvb_result_init(struct kvb_result *r)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < KVB_ROLE_COUNT; i++) {
        kvb_hist_init(&r->role[i].latency);
        kvb_hist_init(&r->role[i].service);
    }
    kvb_hist_init(&r->durable_lag);
    kvb_hist_init(&r->visible_lag);
    kvb_engine_counters_init(&r->engine);
    kvb_engine_counters_init(&r->engine_total);
    r->durable_lag_dropped = NAN;
    r->cpu_user_secs = r->cpu_sys_secs = r->peak_rss_mb = r->io_write_bytes = NAN;
}

void kvb_result_release(struct kvb_result *r)
{
    for (int i = 0; i < KVB_ROLE_COUNT; i++) {
        free(r->series.ops[i]);
        free(r->series.p99_ns[i]);
        r->series.ops[i] = NULL;
        r->series.p99_ns[i] = NULL;
    }
    r->series.n = 0;
}

double kvb_role_tps(const struct kvb_role_stats *s)
{
    return s->window_secs > 0 ? (double)s->ops / s->window_secs : NAN;
}

void kvb_result_fail(struct kvb_result *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

