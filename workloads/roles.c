/*
 * roles.c - what each client role does in one operation, and the loop that
 * paces and times operations.
 *
 * Between the two clock reads of an operation there is only the engine's
 * work and the building of keys and values into reused buffers; checking
 * what was read happens after the second clock read.
 */
#include "workloads/worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "util/clock.h"

/* Per-operation counters, kept in registers and added to the statistics only
 * when the operation falls in the measured window. */
struct op_result {
    enum kvb_op_status status;
    unsigned attempts;
    unsigned conflicts;
    uint64_t index; /* writer: the index it claimed; reader: the index it read */
    int read_rc;    /* reader: result of the key read */
    bool read_key;  /* reader: a key was read (there was one to read) */
    bool read_record; /* reader: the key read was a preloaded record */
};

static void note_error(struct kvb_worker *w, const char *what, const char *msg)
{
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof(w->first_error), "%s: %s", what, msg);
}

static void note_violation(struct kvb_worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_violation(struct kvb_worker *w, const char *fmt, ...)
{
    w->violations++;
    if (w->first_violation[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->first_violation, sizeof(w->first_violation), fmt, ap);
    va_end(ap);
}

/* Ends an operation whose transaction failed before commit. */
static void fail_op(struct kvb_worker *w, struct op_result *op, const char *what)
{
    w->ctx->be->abort(&w->client);
    note_error(w, what, w->client.err);
    op->status = KVB_OP_ERROR;
}

/* Commits the open write transaction. Returns true when the operation is
 * over (op->status says how), false when it conflicted and may retry. */
static bool commit_done(struct kvb_worker *w, struct op_result *op, unsigned max_attempts)
{
    int rc = w->ctx->be->commit(&w->client);
    if (rc == KVB_OK) {
        op->status = KVB_OP_OK;
        return true;
    }
    if (rc == KVB_CONFLICT) {
        op->conflicts++;
        if (op->attempts < max_attempts)
            return false;
        op->status = KVB_OP_RETRY_FAILED;
        return true;
    }
    note_error(w, "commit", w->client.err);
    op->status = KVB_OP_ERROR;
    return true;
}

/* Reads head in the open transaction: 0 when absent. */
static int read_head(struct kvb_worker *w, unsigned flags, uint64_t *h)
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
        return kvb_errorf(w->client.err, "head holds %zu bytes that are not a decimal number",
                          vl);
    return KVB_OK;
}

/* Monotonic writer: begin; h = get(head); put(key_h, value(h)); put(head, h+1); commit. */
static void writer_op(struct kvb_worker *w, struct op_result *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    unsigned max_attempts = w->ctx->cfg->max_retry_count + 1;
    char headbuf[24];

    for (;;) {
        op->attempts++;
        uint64_t h;
        const char *what = "begin";
        int rc = be->begin(c, 0);
        if (rc == KVB_OK) {
            what = "get head";
            rc = read_head(w, KVB_GET_FOR_UPDATE, &h);
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
            fail_op(w, op, what);
            return;
        }
        op->index = h;
        if (commit_done(w, op, max_attempts))
            return;
    }
}

/* Reader: begin; h = get(head); pick one of the h monotonic keys and the
 * preloaded records; get it; copy the value out; commit. Without monotonic
 * writers there is no head to read: one get, begun KVB_TXN_ONE_READ. */
static void reader_op(struct kvb_worker *w, struct op_result *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    const char *what = "begin";
    uint64_t h = 0;

    op->attempts = 1;
    int rc = be->begin(c, KVB_TXN_READONLY | (w->ctx->has_head ? 0 : KVB_TXN_ONE_READ));
    if (rc == KVB_OK && w->ctx->has_head) {
        what = "get head";
        rc = read_head(w, 0, &h);
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
        fail_op(w, op, what);
        return;
    }
    rc = be->commit(c);
    if (rc == KVB_CONFLICT) {
        op->conflicts++; /* a read-only transaction should never conflict; counted */
        op->status = KVB_OP_OK;
        return;
    }
    if (rc != KVB_OK) {
        note_error(w, "commit", c->err);
        op->status = KVB_OP_ERROR;
        return;
    }
    op->status = KVB_OP_OK;
}

/* Reads record r->key (its key built in w->key, kl bytes) for update and
 * keeps what the ledger needs of what it found: judged after the clock stops. */
static int read_for_update(struct kvb_worker *w, struct kvb_recop *r, size_t kl)
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

/* Starts a random writer's or compactor's attempt: its generation, no writes yet. */
static void begin_attempt(struct kvb_worker *w, struct op_result *op)
{
    op->attempts++;
    w->txn_gen = w->gen++;
    w->nrecops = 0;
}

/* Random writer: begin; ops_per_txn puts (or deletes) of records from its
 * key range, each optionally read for update first; commit. */
static void random_writer_op(struct kvb_worker *w, struct op_result *op)
{
    const struct kvb_backend *be = w->ctx->be;
    const struct kvb_config *cfg = w->ctx->cfg;
    struct kvb_client *c = &w->client;
    unsigned max_attempts = cfg->max_retry_count + 1;

    for (;;) {
        begin_attempt(w, op);
        const char *what = "begin";
        int rc = be->begin(c, 0);
        for (unsigned k = 0; rc == KVB_OK && k < cfg->ops_per_txn; k++) {
            uint64_t i = w->range_lo + (w->ctx->dist.kind == KVB_DIST_SEQUENTIAL
                                            ? w->seq++ % w->range_len
                                            : kvb_keydist_next(&w->ctx->dist, &w->rng,
                                                               w->range_len));
            size_t kl = kvb_record_key(w->key, i);
            struct kvb_recop *r = &w->recops[w->nrecops++];
            r->key = i;
            r->pos = k;
            r->read = KVB_RECOP_NO_READ;
            if (cfg->read_before_write) {
                what = "get record";
                rc = read_for_update(w, r, kl);
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
            fail_op(w, op, what);
            return;
        }
        if (commit_done(w, op, max_attempts))
            return;
    }
}

/* Records a compactor or scanner may touch: the preloaded ones, else the key space. */
static uint64_t record_space(const struct kvb_worker *w)
{
    return w->ctx->preloaded ? w->ctx->preloaded : w->ctx->cfg->key_count;
}

/* Compactor: begin; read compactor_read_count records for update; hold the
 * transaction open for compactor_sleep_ms; write them all back; commit. */
static void compactor_op(struct kvb_worker *w, struct op_result *op)
{
    const struct kvb_backend *be = w->ctx->be;
    const struct kvb_config *cfg = w->ctx->cfg;
    struct kvb_client *c = &w->client;
    unsigned max_attempts = cfg->max_retry_count + 1;
    uint64_t space = record_space(w);

    for (;;) {
        begin_attempt(w, op);
        const char *what = "begin";
        int rc = be->begin(c, 0);
        for (unsigned k = 0; rc == KVB_OK && k < cfg->compactor_read_count; k++) {
            struct kvb_recop *r = &w->recops[w->nrecops++];
            r->key = kvb_keydist_next(&w->ctx->dist, &w->rng, space);
            r->pos = k;
            r->del = false;
            size_t kl = kvb_record_key(w->key, r->key);
            what = "get record";
            rc = read_for_update(w, r, kl);
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
            fail_op(w, op, what);
            return;
        }
        if (commit_done(w, op, max_attempts))
            return;
    }
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

/* Scanner: begin (read-only); scan scan_length records from a random start; commit. */
static void scanner_op(struct kvb_worker *w, struct op_result *op)
{
    const struct kvb_backend *be = w->ctx->be;
    struct kvb_client *c = &w->client;
    const char *what = "begin";

    op->attempts = 1;
    w->scanlen = 0;
    w->scancount = 0;
    int rc = be->begin(c, KVB_TXN_READONLY);
    if (rc == KVB_OK) {
        op->index = kvb_keydist_next(&w->ctx->dist, &w->rng, record_space(w));
        size_t kl = kvb_record_key(w->key, op->index);
        what = "scan";
        rc = be->scan(c, w->key, kl, w->ctx->cfg->scan_length, scan_collect, w);
    }
    if (rc != KVB_OK) {
        fail_op(w, op, what);
        return;
    }
    rc = be->commit(c);
    if (rc != KVB_OK && rc != KVB_CONFLICT) {
        note_error(w, "commit", c->err);
        op->status = KVB_OP_ERROR;
        return;
    }
    op->status = KVB_OP_OK;
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

/* Checks a scan after the clock stopped: keys ascending from the start,
 * every key a record, every value verifying for its key, and as many keys
 * as asked for while records remain. */
static void judge_scan(struct kvb_worker *w, const struct op_result *op)
{
    if (!w->ctx->verify || op->status != KVB_OP_OK)
        return;
    const uint8_t *p = w->scanbuf, *end = w->scanbuf + w->scanlen;
    uint64_t prev = 0;
    char why[160];
    for (unsigned n = 0; p < end; n++) {
        size_t kl = (size_t)p[0] | (size_t)p[1] << 8;
        const uint8_t *key = p + 2;
        size_t vl = (size_t)p[2 + kl] | (size_t)p[3 + kl] << 8 | (size_t)p[4 + kl] << 16 |
                    (size_t)p[5 + kl] << 24;
        const uint8_t *val = p + 6 + kl;
        p = val + vl;
        uint64_t index;
        if (!parse_record_key(key, kl, &index)) {
            note_violation(w, "scanner %u: scan from rec_%010llu returned key '%.*s'", w->index,
                           (unsigned long long)op->index, (int)(kl < 40 ? kl : 40),
                           (const char *)key);
            return;
        }
        if (index < op->index || (n > 0 && index <= prev)) {
            note_violation(w, "scanner %u: scan from rec_%010llu returned rec_%010llu out of order",
                           w->index, (unsigned long long)op->index, (unsigned long long)index);
            return;
        }
        if (!kvb_value_verify(&w->ctx->vg, index, val, vl, why, sizeof(why))) {
            note_violation(w, "scanner %u: rec_%010llu: %s", w->index, (unsigned long long)index,
                           why);
            return;
        }
        prev = index;
    }
    /* preloaded records never vanish unless random writers delete */
    uint64_t expect = w->ctx->preloaded > op->index ? w->ctx->preloaded - op->index : 0;
    if (expect > w->ctx->cfg->scan_length)
        expect = w->ctx->cfg->scan_length;
    if (!w->ctx->records_may_vanish && w->scancount < expect)
        note_violation(w, "scanner %u: scan from rec_%010llu returned %u keys, expected %llu",
                       w->index, (unsigned long long)op->index, w->scancount,
                       (unsigned long long)expect);
}

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

/* Remembers a committed monotonic index for the end-of-run check. */
static void claim(struct kvb_worker *w, uint64_t index)
{
    if (w->nclaimed == w->capclaimed) {
        size_t cap = w->capclaimed ? w->capclaimed * 2 : 1024;
        uint64_t *n = realloc(w->claimed, cap * sizeof(*n));
        if (!n) {
            note_error(w, "claim", "out of memory recording committed indices");
            return;
        }
        w->claimed = n;
        w->capclaimed = cap;
    }
    w->claimed[w->nclaimed++] = index;
}

/* Judges pending read r (ledger.h); returns false while it is undecided. */
static bool settle_read(struct kvb_worker *w, const struct kvb_pending_read *r, bool final)
{
    char why[400];
    enum kvb_ledger_judgement j =
        kvb_ledger_judge(&w->ctx->ledger, r->key, r->got, r->floor, final, why, sizeof(why));
    if (j == KVB_LEDGER_UNDECIDED)
        return false;
    if (j != KVB_LEDGER_FINE)
        note_violation(w, "%s %u: %s: rec_%010llu, read at %.6f s, returned %s",
                       kvb_role_titles[w->role], w->index,
                       j == KVB_LEDGER_STALE ? "stale read" : "dirty read",
                       (unsigned long long)r->key, (double)(r->t - w->ctx->t0) / 1e9, why);
    return true;
}

/* Judges a read of record key begun at t that returned got (a generation,
 * or KVB_GEN_ABSENT), now or, while undecided, later. */
static void judge_record(struct kvb_worker *w, uint64_t key, uint64_t got, uint64_t t)
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

/* Judges again the reads left undecided; final: every client has stopped. */
static void settle_pending(struct kvb_worker *w, bool final)
{
    unsigned keep = 0;
    for (unsigned i = 0; i < w->npending; i++)
        if (!settle_read(w, &w->pending[i], final))
            w->pending[keep++] = w->pending[i];
    w->npending = keep;
}

void kvb_worker_settle(struct kvb_worker *w)
{
    settle_pending(w, true);
}

/* Checks what a reader saw, after the clock has stopped; the read began at start. */
static void judge_read(struct kvb_worker *w, const struct op_result *op, uint64_t start)
{
    if (!w->ctx->verify || op->status != KVB_OP_OK || !op->read_key)
        return;
    /* records random writers or compactors write: judged against the ledger */
    bool tracked = op->read_record && op->index < w->ctx->ledger.nkeys;
    char why[160];
    if (op->read_rc == KVB_OK &&
        kvb_value_verify(&w->ctx->vg, op->index, w->readbuf, w->readlen, why, sizeof(why))) {
        if (tracked)
            judge_record(w, op->index, kvb_get_le64(w->readbuf + 8), start);
        return; /* the common case: nothing to format */
    }
    if (op->read_rc == KVB_NOT_FOUND && tracked) {
        judge_record(w, op->index, KVB_GEN_ABSENT, start);
        return;
    }
    char key[KVB_KEY_MAX + 1];
    size_t kl = op->read_record ? kvb_record_key(key, op->index) : kvb_monotonic_key(key, op->index);
    key[kl] = '\0';
    if (op->read_rc == KVB_NOT_FOUND)
        note_violation(w, "reader %u: %s is missing although %s", w->index, key,
                       op->read_record ? "it was preloaded" : "head says it was committed");
    else
        note_violation(w, "reader %u: %s: %s", w->index, key, why);
}

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
    note_violation(w, "%s %u: rec_%010llu read for update: %s", kvb_role_titles[w->role], w->index,
                   (unsigned long long)r->key, why);
    return KVB_GEN_NONE;
}

/* After a random writer's or compactor's transaction was acknowledged (it
 * began at start, commit returned by end): publishes it in the ledger and
 * judges what it read. A record written twice counts with its last write
 * and the first read of it, the one that came from the store. */
static void record_writes(struct kvb_worker *w, uint64_t start, uint64_t end)
{
    struct kvb_ledger *lg = &w->ctx->ledger;
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
            judge_record(w, ops[i].key, got, start);
        if (got != KVB_GEN_NONE && got != KVB_GEN_ABSENT)
            kvb_ledger_rmw(lg, ops[i].key, w->txn_gen | (ops[j].del ? KVB_GEN_DELETE : 0), got);
        kvb_ledger_wrote(lg, ops[i].key, w->txn_gen, ops[j].del, start, end);
    }
}

double kvb_role_rate(const struct kvb_config *cfg, enum kvb_role r)
{
    const double rates[KVB_ROLE_COUNT] = {
        [KVB_ROLE_WRITER] = cfg->writer_rate,
        [KVB_ROLE_READER] = cfg->reader_rate,
        [KVB_ROLE_RANDOM_WRITER] = cfg->random_writer_rate,
        [KVB_ROLE_COMPACTOR] = cfg->compactor_rate,
        [KVB_ROLE_SCANNER] = cfg->scanner_rate,
    };
    return (unsigned)r < KVB_ROLE_COUNT ? rates[r] : 0;
}

void *kvb_worker_main(void *arg)
{
    struct kvb_worker *w = arg;
    struct kvb_run_ctx *ctx = w->ctx;
    const struct kvb_config *cfg = ctx->cfg;
    static void (*const ops[KVB_ROLE_COUNT])(struct kvb_worker *, struct op_result *) = {
        [KVB_ROLE_WRITER] = writer_op,
        [KVB_ROLE_READER] = reader_op,
        [KVB_ROLE_RANDOM_WRITER] = random_writer_op,
        [KVB_ROLE_COMPACTOR] = compactor_op,
        [KVB_ROLE_SCANNER] = scanner_op,
    };
    void (*op_fn)(struct kvb_worker *, struct op_result *) = ops[w->role];
    double rate = kvb_role_rate(cfg, w->role);
    struct kvb_role_stats *st = &w->stats;
    uint64_t errors = 0;

    /* Sleeps end within a microsecond of the intended start, not the
     * default 50 us timer slack later: the wake-up delay counts as latency. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    pthread_barrier_wait(&ctx->start);
    kvb_pacer_init(&w->pacer, rate, cfg->arrival == KVB_ARRIVAL_POISSON, ctx->t0,
                   kvb_pacer_phase(w->index, ctx->role_clients[w->role], w->role, KVB_ROLE_COUNT),
                   &w->rng);

    uint64_t now = kvb_now_ns();
    for (;;) {
        uint64_t intended = kvb_pacer_peek(&w->pacer, now);
        if (intended >= ctx->t_end || (!w->pacer.open_loop && now >= ctx->t_end))
            break;
        uint64_t start = now;
        if (intended > now)
            start = wait_until(intended);
        kvb_pacer_advance(&w->pacer, &w->rng);

        struct op_result op = {0};
        op_fn(w, &op);
        uint64_t end = kvb_now_ns();
        now = end;

        if (w->role == KVB_ROLE_WRITER && op.status == KVB_OP_OK && ctx->verify) {
            claim(w, op.index);
            if (ctx->acks)
                kvb_ack_log_append(ctx->acks, op.index, end);
        }
        if (w->recops && ctx->ledger.nkeys && op.status == KVB_OP_OK)
            record_writes(w, start, end);
        if (w->role == KVB_ROLE_READER)
            judge_read(w, &op, start);
        else if (w->role == KVB_ROLE_SCANNER)
            judge_scan(w, &op);
        if (w->npending)
            settle_pending(w, false);
        if (op.status == KVB_OP_ERROR && ++errors >= KVB_MAX_WORKER_ERRORS)
            break;
        if (intended < ctx->t_measure)
            continue;

        w->last_end = end;
        st->attempts += op.attempts;
        st->conflicts += op.conflicts;
        if (intended + 1000000 < start)
            st->behind++;
        if (op.status == KVB_OP_OK) {
            st->ops++;
            if (op.attempts > st->max_attempts)
                st->max_attempts = op.attempts;
            kvb_hist_record(&st->latency, end - intended);
            kvb_hist_record(&st->service, end - start);
            if (w->role == KVB_ROLE_SCANNER)
                w->scanned += w->scancount;
            if (ctx->interval_ns) {
                uint64_t k = (intended - ctx->t_measure) / ctx->interval_ns;
                if (k < ctx->nintervals) {
                    w->iops[k]++;
                    kvb_hist_record(&w->ihist[k], end - intended);
                }
            }
        } else if (op.status == KVB_OP_RETRY_FAILED) {
            st->retry_failures++;
        } else {
            st->errors++;
        }
    }
    return NULL;
}
