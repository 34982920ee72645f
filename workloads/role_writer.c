/*
 * role_writer.c - the monotonic writer: every writer races the others to
 * claim the next index of one shared head key, so concurrent writers
 * conflict ("precondition failures") and every committed index must be
 * claimed exactly once (checked by verify.c).
 */
#include "workloads/worker.h"

#include <stdlib.h>

/* begin; h = get(head); put(key_h, value(h)); put(head, h+1); commit. */
void kvb_writer_op(struct kvb_worker *w, struct kvb_op *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    char headbuf[24];

    for (;;) {
        op->attempts++;
        uint64_t h;
        const char *what = "begin";
        int rc = be->begin(c, 0);
        if (rc == KVB_OK) {
            what = "get head";
            rc = kvb_op_read_head(w, KVB_GET_FOR_UPDATE, &h);
        }
        if (rc == KVB_OK) {
            size_t kl = kvb_monotonic_key(w->key, h);
            kvb_value_fill(&w->ctx->vg, w->valbuf, h, 0);
            what = "put key";
            rc = be->put(c, w->key, kl, w->valbuf, w->ctx->vg.size);
        }
        if (rc == KVB_OK) {
            size_t hl = kvb_put_decimal(headbuf, h + 1, 1);
            what = "put head";
            rc = be->put(c, KVB_HEAD_KEY, 4, headbuf, hl);
        }
        if (rc != KVB_OK) {
            kvb_op_fail(w, op, what);
            return;
        }
        op->index = h;
        if (kvb_op_commit(w, op))
            return;
    }
}

/* Remembers a committed index for the end-of-run check (warmup included),
 * and tells a crash test's log about it right after the clock stopped. */
void kvb_writer_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end)
{
    (void)start;
    if (op->status != KVB_OP_OK || !w->ctx->verify)
        return;
    if (w->nclaimed == w->capclaimed) {
        size_t cap = w->capclaimed ? w->capclaimed * 2 : 1024;
        uint64_t *n = realloc(w->claimed, cap * sizeof(*n));
        if (!n) {
            kvb_worker_error(w, "claim", "out of memory recording committed indices");
            return;
        }
        w->claimed = n;
        w->capclaimed = cap;
    }
    w->claimed[w->nclaimed++] = op->index;
    if (w->ctx->acks)
        kvb_ack_log_append(w->ctx->acks, op->index, end);
}
