/*
 * role_random_writer.c - the random writer: transactions of ops_per_txn
 * puts (or deletes) of records from its own key range, each optionally read
 * for update first. Its acknowledged writes go into the ledger, against
 * which every read of a record is judged.
 */
#include "workloads/worker.h"

uint64_t kvb_random_writer_records(const struct kvb_config *cfg)
{
    return cfg->num_random_writers ? cfg->key_count : 0;
}

int kvb_random_writer_setup(struct kvb_worker *w)
{
    const struct kvb_config *cfg = w->ctx->cfg;
    /* Disjoint shares of the key space at overlap 0, one shared range at 1. */
    uint64_t n = cfg->num_random_writers, k = cfg->key_count;
    uint64_t share = k / n ? k / n : 1;
    uint64_t len = share + (uint64_t)(cfg->key_overlap_ratio * (double)(k - share));
    w->range_len = len < k ? len : k;
    w->range_lo = n > 1 ? w->index * (k - w->range_len) / (n - 1) : 0;
    if (kvb_record_writer_setup(w, cfg->ops_per_txn, cfg->read_before_write ? cfg->ops_per_txn : 0,
                                cfg->random_writer_rate) != 0)
        return -1;
    return cfg->read_before_write ? kvb_record_reader_setup(w) : 0;
}

/* begin; ops_per_txn puts (or deletes) of records from its key range, each
 * optionally read for update first; commit. */
void kvb_random_writer_op(struct kvb_worker *w, struct kvb_op *op)
{
    const struct kvb_backend *be = w->ctx->be;
    const struct kvb_config *cfg = w->ctx->cfg;
    struct kvb_client *c = &w->client;

    for (;;) {
        kvb_op_begin_attempt(w, op);
        const char *what = "begin";
        int rc = be->begin(c, 0);
        for (unsigned k = 0; rc == KVB_OK && k < cfg->ops_per_txn; k++) {
            uint64_t i =
                w->range_lo + (w->ctx->dist.kind == KVB_DIST_SEQUENTIAL
                                   ? w->seq++ % w->range_len
                                   : kvb_keydist_next(&w->ctx->dist, &w->rng, w->range_len));
            size_t kl = kvb_record_key(w->key, i);
            struct kvb_recop *r = &w->recops[w->nrecops++];
            r->key = i;
            r->pos = k;
            r->read = KVB_RECOP_NO_READ;
            if (cfg->read_before_write) {
                what = "get record";
                rc = kvb_op_read_for_update(w, r, kl);
                if (rc != KVB_OK)
                    break;
            }
            r->del = cfg->delete_ratio > 0 && kvb_rng_unit(&w->rng) <= cfg->delete_ratio;
            if (r->del) {
                what = "delete record";
                rc = be->del(c, w->key, kl);
            } else {
                kvb_value_fill(&w->ctx->vg, w->valbuf, i, w->txn_gen);
                what = "put record";
                rc = be->put(c, w->key, kl, w->valbuf, w->ctx->vg.size);
            }
        }
        if (rc != KVB_OK) {
            kvb_op_fail(w, op, what);
            return;
        }
        if (kvb_op_commit(w, op))
            return;
    }
}
