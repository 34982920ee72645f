/*
 * client.c - one client thread: paces and times its role's operations
 * (kvb_roles[role].op) and judges each (.judge) once the clock stopped.
 *
 * Between the two clock reads of an operation there is only the engine's
 * work and the building of keys and values into reused buffers; checking
 * what was read happens after the second clock read.
 */
#include "workloads/worker.h"

#include <sys/prctl.h>

#include "util/clock.h"

/* Waits for the intended start: sleeps until shortly before it, then spins
 * the last stretch, so a wake-up delay of the scheduler does not count as the
 * engine's latency (it costs ~SPIN_NS of CPU per paced operation). */
#define SPIN_NS 50000u

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t wait_until(uint64_t t)
{
    uint64_t now = kvb_now_ns();
    if (t > now + SPIN_NS)
        kvb_sleep_until(t - SPIN_NS);
    while ((now = kvb_now_ns()) < t)
        cpu_relax();
    return now;
}

/* Adds an operation of the measured window to the statistics. */
static void count_op(struct kvb_worker *w, const struct kvb_op *op, uint64_t intended,
                     uint64_t start, uint64_t end)
{
    struct kvb_run_ctx *ctx = w->ctx;
    struct kvb_role_stats *st = &w->stats;
    w->last_end = end;
    st->attempts += op->attempts;
    st->conflicts += op->conflicts;
    if (intended + 1000000 < start)
        st->behind++;
    if (op->status == KVB_OP_RETRY_FAILED) {
        st->retry_failures++;
        return;
    }
    if (op->status != KVB_OP_OK) {
        st->errors++;
        return;
    }
    st->ops++;
    if (op->attempts > st->max_attempts)
        st->max_attempts = op->attempts;
    kvb_hist_record(&st->latency, end - intended);
    kvb_hist_record(&st->service, end - start);
    w->scanned += op->items;
    if (ctx->interval_ns) {
        uint64_t k = (intended - ctx->t_measure) / ctx->interval_ns;
        if (k < ctx->nintervals) {
            w->iops[k]++;
            kvb_hist_record(&w->ihist[k], end - intended);
        }
    }
}

void *kvb_worker_main(void *arg)
{
    struct kvb_worker *w = arg;
    struct kvb_run_ctx *ctx = w->ctx;
    const struct kvb_config *cfg = ctx->cfg;
    const struct kvb_role_def *role = &kvb_roles[w->role];
    uint64_t errors = 0;

    /* Sleeps end within a microsecond of the intended start, not the
     * default 50 us timer slack later: the wake-up delay counts as latency. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    pthread_barrier_wait(&ctx->start);
    kvb_pacer_init(
        &w->pacer, kvb_role_rate(cfg, w->role), cfg->arrival == KVB_ARRIVAL_POISSON, ctx->t0,
        kvb_pacer_phase(w->index, ctx->role_clients[w->role], w->role, KVB_ROLE_COUNT), &w->rng);

    uint64_t now = kvb_now_ns();
    for (;;) {
        uint64_t intended = kvb_pacer_peek(&w->pacer, now);
        if (intended >= ctx->t_end || (!w->pacer.open_loop && now >= ctx->t_end))
            break;
        uint64_t start = now;
        if (intended > now)
            start = wait_until(intended);
        kvb_pacer_advance(&w->pacer, &w->rng);

        struct kvb_op op = {0};
        role->op(w, &op);
        uint64_t end = kvb_now_ns();
        now = end;

        if (role->judge)
            role->judge(w, &op, start, end);
        if (w->npending)
            kvb_worker_settle_pending(w, false);
        if (op.status == KVB_OP_ERROR && ++errors >= KVB_MAX_WORKER_ERRORS)
            break;
        if (intended >= ctx->t_measure)
            count_op(w, &op, intended, start, end);
    }
    return NULL;
}
