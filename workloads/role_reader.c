/*
 * role_reader.c - the verifying reader: reads head and one key it implies
 * (a monotonic key below head or a preloaded record) in a read-only
 * transaction, and judges what it saw after the clock stopped.
 */
#include "workloads/worker.h"

#include <string.h>

int kvb_reader_setup(struct kvb_worker *w)
{
    return kvb_record_reader_setup(w);
}

/* begin; h = get(head); pick one of the h monotonic keys and the preloaded
 * records; get it; copy the value out; commit. Without monotonic writers
 * there is no head to read: one get, begun KVB_TXN_ONE_READ. */
void kvb_reader_op(struct kvb_worker *w, struct kvb_op *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    const char *what = "begin";
    uint64_t h = 0;

    op->attempts = 1;
    int rc = be->begin(c, KVB_TXN_READONLY | (w->ctx->has_head ? 0 : KVB_TXN_ONE_READ));
    if (rc == KVB_OK && w->ctx->has_head) {
        what = "get head";
        rc = kvb_op_read_head(w, 0, &h);
    }
    if (rc == KVB_OK) {
        uint64_t pre = w->ctx->preloaded, known = h + pre;
        if (known > 0) {
            /* records first, then monotonic keys, so "latest" favours new commits */
            uint64_t j = kvb_keydist_next(&w->ctx->dist, &w->rng, known);
            size_t kl;
            if (j < pre) {
                kl = kvb_record_key(w->key, j);
                op->index = j;
                op->read_record = true;
            } else {
                kl = kvb_monotonic_key(w->key, j - pre);
                op->index = j - pre;
                op->read_record = false;
            }
            const void *v;
            size_t vl;
            what = "get key";
            rc = be->get(c, w->key, kl, 0, &v, &vl);
            op->read_key = true;
            op->read_rc = rc;
            if (rc == KVB_OK) {
                w->readlen = vl;
                memcpy(w->readbuf, v, vl < w->ctx->vg.size ? vl : w->ctx->vg.size);
            } else if (rc == KVB_NOT_FOUND) {
                rc = KVB_OK; /* judged after the clock stops */
            }
        }
    }
    if (rc != KVB_OK) {
        kvb_op_fail(w, op, what);
        return;
    }
    rc = be->commit(c);
    if (rc == KVB_CONFLICT) {
        op->conflicts++; /* a read-only transaction should never conflict; counted */
        op->status = KVB_OP_OK;
        return;
    }
    if (rc != KVB_OK) {
        kvb_worker_error(w, "commit", c->err);
        op->status = KVB_OP_ERROR;
        return;
    }
    op->status = KVB_OP_OK;
}

/* Checks what the reader saw; the read began at start. */
void kvb_reader_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end)
{
    (void)end;
    if (!w->ctx->verify || op->status != KVB_OP_OK || !op->read_key)
        return;
    /* records random writers or compactors write: judged against the ledger */
    bool tracked = op->read_record && op->index < w->ctx->ledger.nkeys;
    char why[160];
    if (op->read_rc == KVB_OK &&
        kvb_value_verify(&w->ctx->vg, op->index, w->readbuf, w->readlen, why, sizeof(why))) {
        if (tracked)
            kvb_judge_record(w, op->index, kvb_get_le64(w->readbuf + 8), start);
        return; /* the common case: nothing to format */
    }
    if (op->read_rc == KVB_NOT_FOUND && tracked) {
        kvb_judge_record(w, op->index, KVB_GEN_ABSENT, start);
        return;
    }
    char key[KVB_KEY_MAX + 1];
    size_t kl =
        op->read_record ? kvb_record_key(key, op->index) : kvb_monotonic_key(key, op->index);
    key[kl] = '\0';
    if (op->read_rc == KVB_NOT_FOUND)
        kvb_worker_violation(w, "reader %u: %s is missing although %s", w->index, key,
                             op->read_record ? "it was preloaded" : "head says it was committed");
    else
        kvb_worker_violation(w, "reader %u: %s: %s", w->index, key, why);
}
