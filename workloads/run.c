/*
 * run.c - one run from open to verdict: open the backend, preload, start the
 * clients, warm up, measure, stop, verify, close.
 */
#include "workloads/run.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "util/clock.h"
#include "util/fs.h"
#include "workloads/verify.h"
#include "workloads/worker.h"

#define PRELOAD_BATCH 1000

/* write_bytes from /proc/self/io: what this process caused to be written to storage. */
static double io_write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f)
        return NAN;
    char line[128];
    double v = NAN;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long x;
        if (sscanf(line, "write_bytes: %llu", &x) == 1)
            v = (double)x;
    }
    fclose(f);
    return v;
}

/* Loads records 0 .. n-1 in transactions of PRELOAD_BATCH puts. Untimed. */
static int preload(struct kvb_run_ctx *ctx, struct kvb_client *c, uint64_t n,
                   struct kvb_result *res)
{
    const struct kvb_backend *be = ctx->be;
    uint8_t *val = malloc(ctx->vg.size);
    char key[KVB_KEY_MAX];
    if (!val) {
        kvb_result_fail(res, "preload: out of memory");
        return -1;
    }
    kvb_value_prepare(&ctx->vg, val);
    int rc = KVB_OK;
    const char *what = "begin";
    for (uint64_t i = 0; i < n && rc == KVB_OK;) {
        rc = be->begin(c, 0);
        uint64_t stop = i + PRELOAD_BATCH < n ? i + PRELOAD_BATCH : n;
        for (; rc == KVB_OK && i < stop; i++) {
            size_t kl = kvb_record_key(key, i);
            kvb_value_fill(&ctx->vg, val, i, 0);
            what = "put";
            rc = be->put(c, key, kl, val, ctx->vg.size);
        }
        if (rc != KVB_OK) {
            be->abort(c);
            break;
        }
        what = "commit";
        rc = be->commit(c);
    }
    free(val);
    if (rc != KVB_OK) {
        kvb_result_fail(res, "preload: %s: %s", what,
                        rc == KVB_CONFLICT ? "unexpected conflict" : c->err);
        return -1;
    }
    return 0;
}

/* The measured window of a client whose last measured operation completed
 * at last_end: it ends with the schedule, or with that operation when the
 * client fell behind (by more than 1% of the window: the last operations
 * always end a little after the schedule does). Throughput is what was
 * achieved, not what was offered; each role has its own window (the longest
 * of its clients'), so a compactor holding a long transaction past the end
 * does not lower the readers' rate. */
static double client_window(const struct kvb_run_ctx *ctx, uint64_t last_end)
{
    uint64_t end = ctx->t_end;
    if (last_end > end && last_end - end > (ctx->t_end - ctx->t_measure) / 100)
        end = last_end;
    return (double)(end - ctx->t_measure) / 1e9;
}

static void merge_role(struct kvb_role_stats *dst, const struct kvb_role_stats *src)
{
    dst->clients++;
    dst->ops += src->ops;
    dst->attempts += src->attempts;
    dst->conflicts += src->conflicts;
    dst->retry_failures += src->retry_failures;
    dst->errors += src->errors;
    dst->behind += src->behind;
    if (src->window_secs > dst->window_secs)
        dst->window_secs = src->window_secs;
    if (src->max_attempts > dst->max_attempts)
        dst->max_attempts = src->max_attempts;
    kvb_hist_merge(&dst->latency, &src->latency);
    kvb_hist_merge(&dst->service, &src->service);
}

/* Records the roles that write records can write: the ledger tracks them. */
static uint64_t ledger_keys(const struct kvb_config *cfg)
{
    uint64_t n = 0;
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        uint64_t k = kvb_roles[r].records ? kvb_roles[r].records(cfg) : 0;
        if (k > n)
            n = k;
    }
    return n;
}

static int setup_worker(struct kvb_run_ctx *ctx, struct kvb_worker *w, enum kvb_role role,
                        unsigned index, unsigned id, struct kvb_result *res)
{
    w->ctx = ctx;
    w->role = role;
    w->index = index;
    kvb_hist_init(&w->stats.latency);
    kvb_hist_init(&w->stats.service);
    kvb_rng_seed(&w->rng, ctx->cfg->seed * 1000003u + id);
    w->gen = ((uint64_t)id + 1) << 40;
    w->valbuf = malloc(ctx->vg.size);
    w->readbuf = malloc(ctx->vg.size);
    if (!w->valbuf || !w->readbuf) {
        kvb_result_fail(res, "out of memory for client buffers");
        return -1;
    }
    kvb_value_prepare(&ctx->vg, w->valbuf);
    w->client.db = &ctx->db;
    w->client.id = id;
    if (kvb_roles[role].setup && kvb_roles[role].setup(w) != 0) {
        kvb_result_fail(res, "%s %u (client %u): %s", kvb_roles[role].title, index, id,
                        w->first_error);
        return -1;
    }
    if (ctx->nintervals) {
        w->iops = calloc(ctx->nintervals, sizeof(*w->iops));
        w->ihist = malloc(ctx->nintervals * sizeof(*w->ihist));
        if (!w->iops || !w->ihist) {
            kvb_result_fail(res, "out of memory for %u report intervals", ctx->nintervals);
            return -1;
        }
        for (unsigned i = 0; i < ctx->nintervals; i++)
            kvb_hist_init(&w->ihist[i]);
    }
    if (ctx->be->client_open(&w->client) != KVB_OK) {
        kvb_result_fail(res, "%s: opening client %u: %s", ctx->be->name, id, w->client.err);
        return -1;
    }
    w->client_open = true;
    return 0;
}

/* The per-interval figures of every client, merged per role. */
static int merge_series(struct kvb_run_ctx *ctx, struct kvb_worker *w, unsigned n,
                        struct kvb_result *res)
{
    struct kvb_series *s = &res->series;
    struct kvb_hist *h = malloc(sizeof(*h));
    s->n = ctx->nintervals;
    s->interval_secs = ctx->cfg->report_interval;
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        s->ops[r] = calloc(s->n, sizeof(uint64_t));
        s->p99_ns[r] = calloc(s->n, sizeof(uint64_t));
        if (!s->ops[r] || !s->p99_ns[r] || !h) {
            free(h);
            kvb_result_fail(res, "out of memory merging the time series");
            return -1;
        }
        for (unsigned k = 0; k < s->n; k++) {
            kvb_hist_init(h);
            for (unsigned i = 0; i < n; i++) {
                if (w[i].role != (enum kvb_role)r)
                    continue;
                s->ops[r][k] += w[i].iops[k];
                kvb_hist_merge(h, &w[i].ihist[k]);
            }
            s->p99_ns[r][k] = h->count ? kvb_hist_percentile(h, 99) : 0;
        }
    }
    free(h);
    return 0;
}

/* The engine's counters now (unknown when the backend has none). */
static void engine_counters(struct kvb_run_ctx *ctx, struct kvb_engine_counters *c,
                            struct kvb_result *res)
{
    kvb_engine_counters_init(c);
    if (ctx->be->counters && ctx->be->counters(&ctx->db, c) != KVB_OK)
        kvb_result_fail(res, "%s: counters: %s", ctx->be->name, ctx->db.err);
}

/* After the clients stopped: the lag histograms, and the engine's counters
 * over the whole run and over the window, which opened at `start`. */
static void backend_figures(struct kvb_run_ctx *ctx, const struct kvb_engine_counters *start,
                            struct kvb_result *res)
{
    if (ctx->be->stats) {
        struct kvb_backend_stats st;
        kvb_backend_stats_init(&st);
        if (ctx->be->stats(&ctx->db, &st) != KVB_OK) {
            kvb_result_fail(res, "%s: stats: %s", ctx->be->name, ctx->db.err);
            return;
        }
        if (st.durable_lag) {
            res->durable_lag = *st.durable_lag;
            res->durable_lag_dropped = (double)st.durable_lag_dropped;
        }
        if (st.visible_lag)
            res->visible_lag = *st.visible_lag;
    }
    /* after stats, which may have waited for the last commits to be durable */
    engine_counters(ctx, &res->engine_total, res);
    kvb_engine_counters_sub(&res->engine, &res->engine_total, start);
}

static double tv_secs(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int kvb_run(const struct kvb_config *cfg, const char *dir, struct kvb_result *res)
{
    return kvb_run_acked(cfg, dir, res, NULL);
}

int kvb_run_acked(const struct kvb_config *cfg, const char *dir, struct kvb_result *res,
                  struct kvb_ack_log *acks)
{
    struct kvb_run_ctx ctx = {.cfg = cfg, .be = cfg->be, .acks = acks};
    unsigned nw = cfg->num_writers, n = 0;
    for (int r = 0; r < KVB_ROLE_COUNT; r++)
        n += ctx.role_clients[r] = kvb_role_clients(cfg, (enum kvb_role)r);
    struct kvb_worker *w = NULL;
    bool db_open = false, barrier = false;
    double io0 = io_write_bytes();

    kvb_result_init(res);
    ctx.verify = (ctx.be->caps & KVB_CAP_STORES) != 0;
    ctx.records_may_vanish = cfg->num_random_writers > 0 && cfg->delete_ratio > 0;
    /* Without monotonic writers there is no head: readers do point reads only. */
    ctx.has_head = cfg->num_writers > 0;
    if (cfg->num_scanners && !ctx.be->scan) {
        kvb_result_fail(res, "%s cannot scan, but num_scanners is %u", ctx.be->name,
                        cfg->num_scanners);
        goto out;
    }
    kvb_keydist_init(&ctx.dist, cfg->key_distribution,
                     cfg->key_count > cfg->preload ? cfg->key_count : cfg->preload,
                     cfg->zipf_theta, cfg->hotspot_keys, cfg->hotspot_ops);
    if (cfg->report_interval > 0) {
        ctx.interval_ns = (uint64_t)(cfg->report_interval * 1e9);
        /* the last interval may be shorter; none starts at the very end */
        double k = ceil(cfg->duration / cfg->report_interval - 1e-9);
        double bytes = k * n * (double)sizeof(struct kvb_hist);
        if (bytes > 1024.0 * 1024 * 1024) {
            kvb_result_fail(res,
                            "report_interval %g s over %g s for %u clients needs %.0f MiB of "
                            "histograms; use a longer interval",
                            cfg->report_interval, cfg->duration, n, bytes / 1048576);
            goto out;
        }
        ctx.nintervals = (unsigned)k;
    }
    if (kvb_valgen_init(&ctx.vg, cfg->value_size, cfg->seed) != 0) {
        kvb_result_fail(res, "out of memory");
        goto out;
    }
    if (ctx.verify && kvb_ledger_init(&ctx.ledger, ledger_keys(cfg), cfg->preload,
                                      ctx.records_may_vanish, n + 1) != 0) {
        kvb_result_fail(res, "out of memory for the ledger of %llu records",
                        (unsigned long long)ledger_keys(cfg));
        goto out;
    }
    ctx.db.be = ctx.be;
    struct kvb_open_args oa = {
        .dir = dir,
        .sync = cfg->sync,
        .opts = cfg->bopts,
        .max_clients = n + 1,
        .expected_keys = cfg->preload + cfg->key_count,
        .value_size = cfg->value_size,
    };
    if (ctx.be->open(&ctx.db, &oa) != KVB_OK) {
        kvb_result_fail(res, "%s: open %s: %s", ctx.be->name, dir, ctx.db.err);
        goto out;
    }
    db_open = true;

    w = calloc(n + 1, sizeof(*w)); /* the extra one preloads and verifies */
    if (!w) {
        kvb_result_fail(res, "out of memory for %u clients", n);
        goto out;
    }
    struct kvb_worker *aux = &w[n];
    if (setup_worker(&ctx, aux, KVB_ROLE_READER, 0, n, res) != 0)
        goto out;
    if (cfg->preload) {
        uint64_t p0 = kvb_now_ns();
        if (preload(&ctx, &aux->client, cfg->preload, res) != 0)
            goto out;
        res->preload_secs = (double)(kvb_now_ns() - p0) / 1e9;
    }
    ctx.preloaded = ctx.verify ? cfg->preload : 0;
    res->preloaded = cfg->preload;

    /* Clients in role order: writers first, so w[0 .. nw) are the writers. */
    unsigned id = 0;
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        for (unsigned k = 0; k < ctx.role_clients[r]; k++, id++)
            if (setup_worker(&ctx, &w[id], (enum kvb_role)r, k, id, res) != 0)
                goto out;
    }

    if (pthread_barrier_init(&ctx.start, NULL, n + 1) != 0) {
        kvb_result_fail(res, "pthread_barrier_init failed");
        goto out;
    }
    barrier = true;
    for (unsigned i = 0; i < n; i++) {
        int err = pthread_create(&w[i].thread, NULL, kvb_worker_main, &w[i]);
        if (err) {
            /* the barrier cannot be released with fewer threads: give up hard */
            kvb_result_fail(res, "pthread_create: %s", strerror(err));
            fprintf(stderr, "kvbench: pthread_create: %s\n", strerror(err));
            exit(1);
        }
        w[i].started = true;
    }

    ctx.t0 = kvb_now_ns();
    ctx.t_measure = ctx.t0 + (uint64_t)(cfg->warmup * 1e9);
    ctx.t_end = ctx.t_measure + (uint64_t)(cfg->duration * 1e9);
    ctx.ledger.t0 = ctx.t0;
    if (ctx.be->measure_from)
        ctx.be->measure_from(&ctx.db, ctx.t_measure);
    pthread_barrier_wait(&ctx.start);

    struct rusage ru0, ru1;
    struct kvb_engine_counters engine0;
    kvb_sleep_until(ctx.t_measure);
    res->start_wall_ns = kvb_wall_ns();
    engine_counters(&ctx, &engine0, res);
    getrusage(RUSAGE_SELF, &ru0);
    for (unsigned i = 0; i < n; i++)
        pthread_join(w[i].thread, NULL);
    getrusage(RUSAGE_SELF, &ru1);
    res->measured_secs = client_window(&ctx, 0);
    for (unsigned i = 0; i < n; i++) {
        w[i].stats.window_secs = client_window(&ctx, w[i].last_end);
        if (w[i].stats.window_secs > res->measured_secs)
            res->measured_secs = w[i].stats.window_secs;
    }
    res->cpu_user_secs = tv_secs(ru1.ru_utime) - tv_secs(ru0.ru_utime);
    res->cpu_sys_secs = tv_secs(ru1.ru_stime) - tv_secs(ru0.ru_stime);

    for (unsigned i = 0; i < n; i++) /* reads that waited for writes to be published */
        kvb_worker_settle(&w[i]);
    for (unsigned i = 0; i < n; i++) {
        merge_role(&res->role[w[i].role], &w[i].stats);
        res->isolation_violations += w[i].violations;
        if (w[i].first_violation[0] && !res->first_violation[0])
            snprintf(res->first_violation, sizeof(res->first_violation), "%s",
                     w[i].first_violation);
        if (w[i].first_error[0])
            kvb_result_fail(res, "%s: %s", ctx.be->name, w[i].first_error);
        if (w[i].role == KVB_ROLE_WRITER)
            res->acked_commits += w[i].nclaimed;
    }
    if (ctx.nintervals && merge_series(&ctx, w, n, res) != 0)
        goto out;
    for (unsigned i = 0; i < n; i++)
        res->scanned_keys += w[i].scanned;
    backend_figures(&ctx, &engine0, res);
    if (ctx.verify && !res->failed)
        kvb_verify_run(&ctx, aux, w, nw, res);

out:
    if (w) {
        for (unsigned i = 0; i <= n; i++) {
            if (w[i].client_open)
                ctx.be->client_close(&w[i].client);
            free(w[i].valbuf);
            free(w[i].readbuf);
            free(w[i].claimed);
            free(w[i].recops);
            free(w[i].pending);
            free(w[i].scanbuf);
            free(w[i].iops);
            free(w[i].ihist);
        }
        free(w);
    }
    if (barrier)
        pthread_barrier_destroy(&ctx.start);
    if (db_open && ctx.be->close(&ctx.db) != KVB_OK)
        kvb_result_fail(res, "%s: close: %s", ctx.be->name, ctx.db.err);
    kvb_valgen_free(&ctx.vg);
    kvb_ledger_free(&ctx.ledger);

    char full[256];
    if (res->failed && kvb_fs_full_note(dir, full, sizeof(full)) &&
        strlen(res->reason) + strlen(full) + 3 < sizeof(res->reason)) {
        strcat(res->reason, "; ");
        strcat(res->reason, full);
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    res->peak_rss_mb = (double)ru.ru_maxrss / 1024.0;
    res->io_write_bytes = io_write_bytes() - io0;
    return res->failed ? -1 : 0;
}
