/*
 * role_compactor.c - the compactor: a long read-modify-write transaction
 * over compactor_read_count records, held open for compactor_sleep_ms, so
 * it meets every concurrent writer of those records (a conflict, or a lost
 * update when the engine misses one).
 */
#include "workloads/worker.h"

#include "util/clock.h"

uint64_t kvb_compactor_records(const struct kvb_config *cfg)
{
    /* the space compactors pick from (kvb_record_space): the preloaded
     * records, else the key space */
    return cfg->num_compactors ? (cfg->preload ? cfg->preload : cfg->key_count) : 0;
}

int kvb_compactor_setup(struct kvb_worker *w)
{
    const struct kvb_config *cfg = w->ctx->cfg;
    if (kvb_record_writer_setup(w, cfg->compactor_read_count, cfg->compactor_read_count,
                                cfg->compactor_rate) != 0)
        return -1;
    return kvb_record_reader_setup(w);
}

/* begin; read compactor_read_count records for update; hold the transaction
 * open for compactor_sleep_ms; write them all back; commit. */
void kvb_compactor_op(struct kvb_worker *w, struct kvb_op *op)
{
    const struct kvb_backend *be = w->ctx->be;
    const struct kvb_config *cfg = w->ctx->cfg;
    struct kvb_client *c = &w->client;
    uint64_t space = kvb_record_space(w->ctx);

    for (;;) {
        kvb_op_begin_attempt(w, op);
        const char *what = "begin";
        int rc = be->begin(c, 0);
        for (unsigned k = 0; rc == KVB_OK && k < cfg->compactor_read_count; k++) {
            struct kvb_recop *r = &w->recops[w->nrecops++];
            r->key = kvb_keydist_next(&w->ctx->dist, &w->rng, space);
            r->pos = k;
            r->del = false;
            size_t kl = kvb_record_key(w->key, r->key);
            what = "get record";
            rc = kvb_op_read_for_update(w, r, kl);
        }
        if (rc == KVB_OK && cfg->compactor_sleep_ms > 0)
            kvb_sleep_until(kvb_now_ns() + (uint64_t)(cfg->compactor_sleep_ms * 1e6));
        for (unsigned k = 0; rc == KVB_OK && k < w->nrecops; k++) {
            const struct kvb_recop *r = &w->recops[k];
            size_t kl = kvb_record_key(w->key, r->key);
            kvb_value_fill(&w->ctx->vg, w->valbuf, r->key, w->txn_gen);
            what = "put record";
            rc = be->put(c, w->key, kl, w->valbuf, w->ctx->vg.size);
        }
        if (rc != KVB_OK) {
            kvb_op_fail(w, op, what);
            return;
        }
        if (kvb_op_commit(w, op))
            return;
    }
}
