/*
 * op.c - what the roles' operations share: first errors and violations,
 * commits with retries, reads for update, and the ledger's side of record
 * writers and readers (publishing acknowledged writes, judging reads, the
 * reads left undecided until a writer publishes).
 */
#include "workloads/worker.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kvb_worker_error(struct kvb_worker *w, const char *what, const char *msg)
{
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof(w->first_error), "%s: %s", what, msg);
}

void kvb_worker_violation(struct kvb_worker *w, const char *fmt, ...)
{
    w->violations++;
    if (w->first_violation[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->first_violation, sizeof(w->first_violation), fmt, ap);
    va_end(ap);
}

void kvb_op_fail(struct kvb_worker *w, struct kvb_op *op, const char *what)
{
    w->ctx->be->abort(&w->client);
    kvb_worker_error(w, what, w->client.err);
    op->status = KVB_OP_ERROR;
}

bool kvb_op_commit(struct kvb_worker *w, struct kvb_op *op)
{
    int rc = w->ctx->be->commit(&w->client);
    if (rc == KVB_OK) {
        op->status = KVB_OP_OK;
        return true;
    }
    if (rc == KVB_CONFLICT) {
        op->conflicts++;
        if (op->attempts < w->ctx->cfg->max_retry_count + 1)
            return false;
        op->status = KVB_OP_RETRY_FAILED;
        return true;
    }
    kvb_worker_error(w, "commit", w->client.err);
    op->status = KVB_OP_ERROR;
    return true;
}

int kvb_op_read_head(struct kvb_worker *w, unsigned flags, uint64_t *h)
{
    const void *v;
    size_t vl;
    int rc = w->ctx->be->get(&w->client, KVB_HEAD_KEY, 4, flags, &v, &vl);
    if (rc == KVB_NOT_FOUND) {
        *h = 0;
        return KVB_OK;
    }
    if (rc != KVB_OK)
        return rc;
    if (!kvb_parse_head(v, vl, h))
        return kvb_errorf(w->client.err, "head holds %zu bytes that are not a decimal number", vl);
    return KVB_OK;
}

void kvb_op_begin_attempt(struct kvb_worker *w, struct kvb_op *op)
{
    op->attempts++;
    w->txn_gen = w->gen++;
    w->nrecops = 0;
}

int kvb_op_read_for_update(struct kvb_worker *w, struct kvb_recop *r, size_t kl)
{
    const void *v;
    size_t vl;
    int rc = w->ctx->be->get(&w->client, w->key, kl, KVB_GET_FOR_UPDATE, &v, &vl);
    if (rc == KVB_NOT_FOUND) {
        r->read = KVB_RECOP_ABSENT;
        return KVB_OK;
    }
    if (rc == KVB_OK) {
        r->read = KVB_RECOP_VALUE;
        r->readlen = vl;
        memcpy(r->head, v, vl < KVB_VALUE_HEAD ? vl : KVB_VALUE_HEAD);
    }
    return rc;
}

uint64_t kvb_record_space(const struct kvb_run_ctx *ctx)
{
    return ctx->preloaded ? ctx->preloaded : ctx->cfg->key_count;
}

/* ---- setup ---- */

int kvb_record_reader_setup(struct kvb_worker *w)
{
    if (!w->ctx->ledger.nkeys)
        return 0;
    if (!(w->pending = malloc(KVB_PENDING_READS * sizeof(*w->pending)))) {
        snprintf(w->first_error, sizeof(w->first_error), "out of memory for pending reads");
        return -1;
    }
    w->cappending = KVB_PENDING_READS;
    return 0;
}

int kvb_record_writer_setup(struct kvb_worker *w, unsigned nops, unsigned per, double rate)
{
    struct kvb_run_ctx *ctx = w->ctx;
    const struct kvb_config *cfg = ctx->cfg;
    if (!(w->recops = calloc(nops ? nops : 1, sizeof(*w->recops))))
        goto oom;
    if (!ctx->ledger.nkeys)
        return 0;
    /* Room for every attempt a paced client can make (Poisson arrivals
     * included, with margin), within its share of KVB_LEDGER_BUDGET. */
    unsigned writers = 0;
    for (int r = 0; r < KVB_ROLE_COUNT; r++)
        if (kvb_roles[r].records)
            writers += ctx->role_clients[r];
    uint64_t share = KVB_LEDGER_BUDGET / writers;
    uint64_t ops =
        share / (sizeof(struct kvb_ledger_attempt) + per * sizeof(struct kvb_ledger_rmw));
    uint64_t attempts = ops;
    if (rate > 0) {
        double most = 2 * ceil(rate * (cfg->warmup + cfg->duration)) + 64;
        if (most < (double)ops)
            ops = (uint64_t)most;
        most *= cfg->max_retry_count + 1.0;
        if (most < (double)attempts)
            attempts = (uint64_t)most;
    }
    if (kvb_ledger_open_log(&ctx->ledger, w->client.id, w->role, w->index, attempts, ops * per) !=
        0)
        goto oom;
    return 0;
oom:
    snprintf(w->first_error, sizeof(w->first_error),
             "out of memory for the write buffers and ledger log");
    return -1;
}

/* ---- judging reads of records against the ledger ---- */

/* Judges pending read r (ledger.h); returns false while it is undecided. */
static bool settle_read(struct kvb_worker *w, const struct kvb_pending_read *r, bool final)
{
    char why[400];
    enum kvb_ledger_judgement j =
        kvb_ledger_judge(&w->ctx->ledger, r->key, r->got, r->floor, final, why, sizeof(why));
    if (j == KVB_LEDGER_UNDECIDED)
        return false;
    if (j != KVB_LEDGER_FINE)
        kvb_worker_violation(w, "%s %u: %s: rec_%010llu, read at %.6f s, returned %s",
                             kvb_roles[w->role].title, w->index,
                             j == KVB_LEDGER_STALE ? "stale read" : "dirty read",
                             (unsigned long long)r->key, (double)(r->t - w->ctx->t0) / 1e9, why);
    return true;
}

void kvb_judge_record(struct kvb_worker *w, uint64_t key, uint64_t got, uint64_t t)
{
    if (kvb_ledger_is_latest(&w->ctx->ledger, key, got))
        return;
    struct kvb_pending_read r = {
        .key = key, .got = got, .floor = kvb_ledger_floor(&w->ctx->ledger, key, t), .t = t};
    if (settle_read(w, &r, false))
        return;
    if (w->npending == w->cappending && w->cappending < KVB_PENDING_READS_MAX) {
        struct kvb_pending_read *p = realloc(w->pending, 2 * w->cappending * sizeof(*p));
        if (p) {
            w->pending = p;
            w->cappending *= 2;
        }
    }
    if (w->npending < w->cappending)
        w->pending[w->npending++] = r;
    else
        atomic_fetch_add_explicit(&w->ctx->ledger.unjudged, 1, memory_order_relaxed);
}

void kvb_worker_settle_pending(struct kvb_worker *w, bool final)
{
    unsigned keep = 0;
    for (unsigned i = 0; i < w->npending; i++)
        if (!settle_read(w, &w->pending[i], final))
            w->pending[keep++] = w->pending[i];
    w->npending = keep;
}

void kvb_worker_settle(struct kvb_worker *w)
{
    kvb_worker_settle_pending(w, true);
}

/* ---- publishing the writes of random writers and compactors ---- */

static int cmp_recop(const void *pa, const void *pb)
{
    const struct kvb_recop *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* The version a read for update found: its generation, KVB_GEN_ABSENT, or
 * KVB_GEN_NONE when the value was corrupt (a violation). */
static uint64_t read_version(struct kvb_worker *w, const struct kvb_recop *r)
{
    if (r->read == KVB_RECOP_ABSENT)
        return KVB_GEN_ABSENT;
    char why[160];
    if (kvb_value_head_verify(&w->ctx->vg, r->key, r->head, r->readlen, why, sizeof(why)))
        return kvb_get_le64(r->head + 8);
    kvb_worker_violation(w, "%s %u: rec_%010llu read for update: %s", kvb_roles[w->role].title,
                         w->index, (unsigned long long)r->key, why);
    return KVB_GEN_NONE;
}

/* A record written twice counts with its last write and the first read of
 * it, the one that came from the store. */
void kvb_record_writer_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start,
                             uint64_t end)
{
    struct kvb_ledger *lg = &w->ctx->ledger;
    if (!lg->nkeys || op->status != KVB_OP_OK)
        return;
    if (!kvb_ledger_ack(lg, w->txn_gen, start, end))
        return; /* its log is full: counted, the verdict will say n/a */
    struct kvb_recop *ops = w->recops;
    unsigned n = w->nrecops;
    if (n > 1)
        qsort(ops, n, sizeof(*ops), cmp_recop);
    for (unsigned i = 0, j; i < n; i = j + 1) {
        for (j = i; j + 1 < n && ops[j + 1].key == ops[i].key; j++)
            ;
        /* the read first: its floor must not be this very write */
        uint64_t got = ops[i].read == KVB_RECOP_NO_READ ? KVB_GEN_NONE : read_version(w, &ops[i]);
        if (got != KVB_GEN_NONE)
            kvb_judge_record(w, ops[i].key, got, start);
        if (got != KVB_GEN_NONE && got != KVB_GEN_ABSENT)
            kvb_ledger_rmw(lg, ops[i].key, w->txn_gen | (ops[j].del ? KVB_GEN_DELETE : 0), got);
        kvb_ledger_wrote(lg, ops[i].key, w->txn_gen, ops[j].del, start, end);
    }
}
