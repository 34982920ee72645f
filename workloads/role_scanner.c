/*
 * role_scanner.c - the scanner: an ordered range read of scan_length
 * records from a random start, inside a read-only snapshot; after the clock
 * stopped, the keys must ascend from the start, be records, verify, and be
 * as many as were asked for while records remain.
 */
#include "workloads/worker.h"

#include <stdlib.h>
#include <string.h>

int kvb_scanner_setup(struct kvb_worker *w)
{
    w->scancap = (size_t)w->ctx->cfg->scan_length * (2 + KVB_KEY_MAX + 4 + w->ctx->vg.size);
    if (!(w->scanbuf = malloc(w->scancap))) {
        snprintf(w->first_error, sizeof(w->first_error),
                 "out of memory for a scan buffer of %zu bytes", w->scancap);
        return -1;
    }
    return 0;
}

/* Copies one scanned pair into the worker's buffer: [klen u16][key][vlen u32][value]. */
static int scan_collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct kvb_worker *w = arg;
    size_t need = 2 + klen + 4 + vlen;
    if (klen > 0xffff || w->scanlen + need > w->scancap)
        return 1; /* judged afterwards: too few keys or an oversize one */
    uint8_t *p = w->scanbuf + w->scanlen;
    p[0] = (uint8_t)klen;
    p[1] = (uint8_t)(klen >> 8);
    memcpy(p + 2, key, klen);
    p += 2 + klen;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(vlen >> (8 * i));
    memcpy(p + 4, val, vlen);
    w->scanlen += need;
    w->scancount++;
    return 0;
}

/* begin (read-only); scan scan_length records from a random start; commit. */
void kvb_scanner_op(struct kvb_worker *w, struct kvb_op *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    const char *what = "begin";

    op->attempts = 1;
    w->scanlen = 0;
    w->scancount = 0;
    int rc = be->begin(c, KVB_TXN_READONLY);
    if (rc == KVB_OK) {
        op->index = kvb_keydist_next(&w->ctx->dist, &w->rng, kvb_record_space(w->ctx));
        size_t kl = kvb_record_key(w->key, op->index);
        what = "scan";
        rc = be->scan(c, w->key, kl, w->ctx->cfg->scan_length, scan_collect, w);
    }
    if (rc != KVB_OK) {
        kvb_op_fail(w, op, what);
        return;
    }
    rc = be->commit(c);
    if (rc != KVB_OK && rc != KVB_CONFLICT) {
        kvb_worker_error(w, "commit", c->err);
        op->status = KVB_OP_ERROR;
        return;
    }
    op->status = KVB_OP_OK;
    op->items = w->scancount;
}

/* Parses "rec_NNNNNNNNNN" into its index; false for any other key. */
static bool parse_record_key(const uint8_t *k, size_t kl, uint64_t *index)
{
    if (kl < 5 || memcmp(k, "rec_", 4) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 4; i < kl; i++) {
        if (k[i] < '0' || k[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(k[i] - '0');
    }
    *index = v;
    return true;
}

void kvb_scanner_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end)
{
    (void)start;
    (void)end;
    if (!w->ctx->verify || op->status != KVB_OP_OK)
        return;
    const uint8_t *p = w->scanbuf, *stop = w->scanbuf + w->scanlen;
    uint64_t prev = 0;
    char why[160];
    for (unsigned n = 0; p < stop; n++) {
        size_t kl = (size_t)p[0] | (size_t)p[1] << 8;
        const uint8_t *key = p + 2;
        size_t vl = (size_t)p[2 + kl] | (size_t)p[3 + kl] << 8 | (size_t)p[4 + kl] << 16 |
                    (size_t)p[5 + kl] << 24;
        const uint8_t *val = p + 6 + kl;
        p = val + vl;
        uint64_t index;
        if (!parse_record_key(key, kl, &index)) {
            kvb_worker_violation(w, "scanner %u: scan from rec_%010llu returned key '%.*s'",
                                 w->index, (unsigned long long)op->index, (int)(kl < 40 ? kl : 40),
                                 (const char *)key);
            return;
        }
        if (index < op->index || (n > 0 && index <= prev)) {
            kvb_worker_violation(
                w, "scanner %u: scan from rec_%010llu returned rec_%010llu out of order", w->index,
                (unsigned long long)op->index, (unsigned long long)index);
            return;
        }
        if (!kvb_value_verify(&w->ctx->vg, index, val, vl, why, sizeof(why))) {
            kvb_worker_violation(w, "scanner %u: rec_%010llu: %s", w->index,
                                 (unsigned long long)index, why);
            return;
        }
        prev = index;
    }
    /* preloaded records never vanish unless random writers delete */
    uint64_t expect = w->ctx->preloaded > op->index ? w->ctx->preloaded - op->index : 0;
    if (expect > w->ctx->cfg->scan_length)
        expect = w->ctx->cfg->scan_length;
    if (!w->ctx->records_may_vanish && w->scancount < expect)
        kvb_worker_violation(w, "scanner %u: scan from rec_%010llu returned %u keys, expected %llu",
                             w->index, (unsigned long long)op->index, w->scancount,
                             (unsigned long long)expect);
}
