/* verify.c - end-of-run verification (see verify.h). */
#include "workloads/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sort.h"

static void verdict_failed(struct kvb_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void verdict_failed(struct kvb_result *res, const char *fmt, ...)
{
    if (res->verdict == KVB_VERIFY_FAILED)
        return; /* keep the first finding */
    res->verdict = KVB_VERIFY_FAILED;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->verify_detail, sizeof(res->verify_detail), fmt, ap);
    va_end(ap);
}

/* Every committed index, sorted. Duplicates mean two commits claimed the
 * same head: a lost update. */
static void check_claims(const struct kvb_worker *writers, unsigned nwriters, uint64_t head,
                         struct kvb_result *res)
{
    size_t total = 0;
    for (unsigned i = 0; i < nwriters; i++)
        total += writers[i].nclaimed;
    if (total == 0)
        return;
    uint64_t *all = malloc(total * sizeof(*all));
    if (!all) {
        verdict_failed(res, "out of memory checking %zu committed indices", total);
        return;
    }
    size_t k = 0;
    for (unsigned i = 0; i < nwriters; i++) {
        memcpy(all + k, writers[i].claimed, writers[i].nclaimed * sizeof(*all));
        k += writers[i].nclaimed;
    }
    kvb_sort_u64(all, total);
    for (size_t i = 1; i < total; i++) {
        if (all[i] == all[i - 1]) {
            verdict_failed(res, "lost update: two acknowledged commits both claimed index %llu",
                           (unsigned long long)all[i]);
            break;
        }
    }
    if (all[total - 1] >= head)
        verdict_failed(res, "a commit claimed index %llu but head is %llu",
                       (unsigned long long)all[total - 1], (unsigned long long)head);
    free(all);
}

/* After the run, record index (key) holds got: a generation, or KVB_GEN_ABSENT. */
static void check_record(const struct kvb_run_ctx *ctx, uint64_t index, const char *key,
                         uint64_t got, struct kvb_result *res)
{
    char why[400];
    uint64_t floor = kvb_ledger_floor(&ctx->ledger, index, UINT64_MAX);
    switch (kvb_ledger_judge(&ctx->ledger, index, got, floor, true, why, sizeof(why))) {
    case KVB_LEDGER_STALE:
        verdict_failed(res, "lost write: %s holds %s", key, why);
        break;
    case KVB_LEDGER_UNCOMMITTED:
        verdict_failed(res, "uncommitted write: %s holds %s", key, why);
        break;
    case KVB_LEDGER_FINE:
    case KVB_LEDGER_UNDECIDED: /* not with final */
        break;
    }
}

/* Read-modify-writes that replaced the same version; and whether the
 * ledger held everything it had to. */
static void check_ledger(struct kvb_ledger *lg, struct kvb_result *res)
{
    char why[KVB_REASON_LEN];
    if (res->verdict != KVB_VERIFY_FAILED && kvb_ledger_find_lost_update(lg, why, sizeof(why)))
        verdict_failed(res, "%s", why);
    uint64_t missed = kvb_ledger_incomplete(lg);
    if (res->verdict == KVB_VERIFY_PASSED && missed) {
        res->verdict = KVB_VERIFY_NA;
        snprintf(res->verify_detail, sizeof(res->verify_detail),
                 "records not fully checked: %llu acknowledged transactions or undecided reads "
                 "did not fit (the ledger's %llu MiB, %u undecided reads per client)",
                 (unsigned long long)missed, (unsigned long long)(KVB_LEDGER_BUDGET >> 20),
                 KVB_PENDING_READS_MAX);
    }
}

void kvb_verify_run(struct kvb_run_ctx *ctx, struct kvb_worker *aux,
                    const struct kvb_worker *writers, unsigned nwriters, struct kvb_result *res)
{
    const struct kvb_backend *be = ctx->be;
    struct kvb_client *c = &aux->client;
    char key[KVB_KEY_MAX + 1], why[160];
    const void *v;
    size_t vl;
    uint64_t head = 0;

    res->verdict = KVB_VERIFY_PASSED;
    int rc = be->begin(c, KVB_TXN_READONLY);
    if (rc != KVB_OK) {
        verdict_failed(res, "verify: begin: %s", c->err);
        return;
    }
    rc = be->get(c, KVB_HEAD_KEY, 4, 0, &v, &vl);
    if (rc == KVB_OK && !kvb_parse_head(v, vl, &head))
        verdict_failed(res, "head holds %zu bytes that are not a decimal number", vl);
    else if (rc == KVB_ERR)
        verdict_failed(res, "verify: get head: %s", c->err);
    res->final_head = head;
    /* Claims first: a lost update also leaves head short of the acknowledged
     * commits, and the duplicate index is the more precise finding. */
    check_claims(writers, nwriters, head, res);
    if (head != res->acked_commits)
        verdict_failed(res, "head is %llu but %llu commits were acknowledged%s",
                       (unsigned long long)head, (unsigned long long)res->acked_commits,
                       head < res->acked_commits ? " (acknowledged writes lost)" : "");

    /* Records: those random writers or compactors write are judged against
     * the ledger, the others must be as preloaded. */
    uint64_t records = ctx->preloaded > ctx->ledger.nkeys ? ctx->preloaded : ctx->ledger.nkeys;
    for (uint64_t i = 0; i < head + records && res->verdict != KVB_VERIFY_FAILED; i++) {
        bool record = i >= head;
        uint64_t index = record ? i - head : i;
        size_t kl = record ? kvb_record_key(key, index) : kvb_monotonic_key(key, index);
        key[kl] = '\0';
        rc = be->get(c, key, kl, 0, &v, &vl);
        if (rc != KVB_OK && rc != KVB_NOT_FOUND)
            verdict_failed(res, "verify: get %s: %s", key, c->err);
        else if (rc == KVB_OK && !kvb_value_verify(&ctx->vg, index, v, vl, why, sizeof(why)))
            verdict_failed(res, "%s: %s", key, why);
        else if (record && index < ctx->ledger.nkeys)
            check_record(ctx, index, key,
                         rc == KVB_OK ? kvb_get_le64((const uint8_t *)v + 8) : KVB_GEN_ABSENT, res);
        else if (rc == KVB_NOT_FOUND)
            verdict_failed(res, "%s is missing after the run", key);
    }
    be->abort(c);
    if (ctx->ledger.nkeys)
        check_ledger(&ctx->ledger, res);
}
