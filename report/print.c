/* print.c - one run's result as text a person reads at a terminal. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "report/print.h"
#include "report/row.h"
#include "workloads/result.h"
#include "workloads/run.h"

/* A duration in the unit that keeps three significant digits readable. */
static const char *dur(char *buf, size_t n, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, n, "%lluns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, n, "%.1fus", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, n, "%.2fms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", (double)ns / 1e9);
    return buf;
}

/* One role's figures; its rate is over its own window, named when the role
 * overran the schedule (secs long). How many operations started late is a
 * figure of an open-loop role (paced, rate > 0) only: a closed-loop client
 * starts each operation when it is ready, never late. */
static void role_line(FILE *out, const char *name, const struct kvb_role_stats *s, double secs,
                      double rate)
{
    if (!s->clients)
        return;
    const struct kvb_hist *h = &s->latency;
    double tps = kvb_role_tps(s);
    fprintf(out, "  %-14s %2u clients  %10llu ops  %12.2f ops/s", name, s->clients,
            (unsigned long long)s->ops, isnan(tps) ? 0.0 : tps);
    if (s->window_secs > secs + 1e-6)
        fprintf(out, " over %.3g s", s->window_secs);
    char a[32], b[32], c[32], d[32], e[32];
    if (h->count)
        fprintf(out, "  p50 %s  p95 %s  p99 %s  p99.9 %s  max %s%s",
                dur(a, sizeof(a), kvb_hist_percentile(h, 50)),
                dur(b, sizeof(b), kvb_hist_percentile(h, 95)),
                dur(c, sizeof(c), kvb_hist_percentile(h, 99)),
                dur(d, sizeof(d), kvb_hist_percentile(h, 99.9)), dur(e, sizeof(e), h->max),
                kvb_hist_low_samples(h) ? "  (few samples)" : "");
    fputc('\n', out);
    if (s->service.count) {
        fprintf(out, "  %-14s service time p50 %s  p99 %s", "",
                dur(a, sizeof(a), kvb_hist_percentile(&s->service, 50)),
                dur(b, sizeof(b), kvb_hist_percentile(&s->service, 99)));
        if (rate > 0)
            fprintf(out, ";  %llu started >1 ms late", (unsigned long long)s->behind);
        fputc('\n', out);
    }
    if (s->conflicts || s->retry_failures || s->errors)
        fprintf(out, "  %-14s conflicts %llu (%.2f%% of %llu attempts), retry failures %llu, "
                     "errors %llu\n",
                "", (unsigned long long)s->conflicts,
                s->attempts ? 100.0 * (double)s->conflicts / (double)s->attempts : 0.0,
                (unsigned long long)s->attempts, (unsigned long long)s->retry_failures,
                (unsigned long long)s->errors);
}

void kvb_print_result(FILE *out, const struct kvb_run_spec *spec, const struct kvb_result *res)
{
    fprintf(out, "%s  %s  (%s, %g s measured after %g s warmup, sync %s)\n", spec->label,
            spec->cfg.backend, kvb_result_status(res), res->measured_secs, spec->cfg.warmup,
            spec->cfg.sync ? "on" : "off");
    if (res->failed)
        fprintf(out, "  failed: %s\n", res->reason);
    for (int r = 0; r < KVB_ROLE_COUNT; r++)
        role_line(out, kvb_roles[r].plural, &res->role[r], spec->cfg.duration,
                  kvb_role_rate(&spec->cfg, (enum kvb_role)r));
    if (res->role[KVB_ROLE_SCANNER].clients)
        fprintf(out, "  scans returned %llu keys\n", (unsigned long long)res->scanned_keys);
    fprintf(out, "  isolation violations: %llu%s%s\n",
            (unsigned long long)res->isolation_violations, res->first_violation[0] ? " — " : "",
            res->first_violation);
    fprintf(out, "  verification: %s%s%s\n",
            res->verdict == KVB_VERIFY_PASSED   ? "passed"
            : res->verdict == KVB_VERIFY_FAILED ? "FAILED"
            : res->failed                       ? "not done (the run failed)"
            : res->verify_detail[0]             ? "n/a"
                                                : "n/a (backend stores nothing)",
            res->verify_detail[0] ? " — " : "", res->verify_detail);
    if (res->preloaded)
        fprintf(out, "  preloaded %llu keys in %.2f s\n", (unsigned long long)res->preloaded,
                res->preload_secs);
    fprintf(out, "  cpu %.2f s user, %.2f s sys; peak RSS %.1f MiB", res->cpu_user_secs,
            res->cpu_sys_secs, res->peak_rss_mb);
    if (!isnan(res->io_write_bytes))
        fprintf(out, "; %.1f MiB written to storage", res->io_write_bytes / (1024.0 * 1024.0));
    fputc('\n', out);
}
