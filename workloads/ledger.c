/* ledger.c - acknowledged record writes and the judgement of what is read (see ledger.h). */
#include "workloads/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* What the ledger knows of a generation. */
enum found { FOUND, PENDING, BEYOND, UNKNOWN };

/* Zeroed memory that becomes resident only where it is touched. */
static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void unreserve(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

int kvb_ledger_init(struct kvb_ledger *lg, uint64_t nkeys, uint64_t preloaded, bool deletes,
                    unsigned nclients)
{
    memset(lg, 0, sizeof(*lg));
    if (nkeys == 0)
        return 0;
    lg->nkeys = nkeys;
    lg->preloaded = preloaded;
    lg->deletes = deletes;
    lg->nclients = nclients;
    lg->keys = reserve(nkeys * sizeof(*lg->keys));
    lg->logs = calloc(nclients, sizeof(*lg->logs));
    if (!lg->keys || !lg->logs) {
        kvb_ledger_free(lg);
        return -1;
    }
    return 0;
}

int kvb_ledger_open_log(struct kvb_ledger *lg, unsigned client, enum kvb_role role, unsigned index,
                        uint64_t attempts, size_t rmw)
{
    struct kvb_ledger_log *log = &lg->logs[client];
    log->open = true;
    log->role = role;
    log->index = index;
    if (attempts && !(log->attempts = reserve(attempts * sizeof(*log->attempts))))
        return -1;
    log->cap = attempts;
    if (rmw && !(log->rmw = reserve(rmw * sizeof(*log->rmw))))
        return -1;
    log->caprmw = rmw;
    return 0;
}

void kvb_ledger_free(struct kvb_ledger *lg)
{
    for (unsigned i = 0; lg->logs && i < lg->nclients; i++) {
        unreserve(lg->logs[i].attempts, lg->logs[i].cap * sizeof(*lg->logs[i].attempts));
        unreserve(lg->logs[i].rmw, lg->logs[i].caprmw * sizeof(*lg->logs[i].rmw));
    }
    free(lg->logs);
    unreserve(lg->keys, lg->nkeys * sizeof(*lg->keys));
    memset(lg, 0, sizeof(*lg));
}

/* Looks generation gen (no delete bit) up: its writer's log and, when
 * FOUND, its interval. */
static enum found find(const struct kvb_ledger *lg, uint64_t gen,
                       const struct kvb_ledger_log **logp, uint64_t *begin, uint64_t *ack)
{
    uint64_t client = (gen >> KVB_GEN_SHIFT) - 1, seq = gen & KVB_GEN_SEQ_MASK;
    if (gen >> KVB_GEN_SHIFT == 0 || client >= lg->nclients || !lg->logs[client].open)
        return UNKNOWN;
    const struct kvb_ledger_log *log = &lg->logs[client];
    if (logp)
        *logp = log;
    if (seq >= log->cap)
        return BEYOND;
    *ack = atomic_load_explicit(&log->attempts[seq].ack_ns, memory_order_acquire);
    if (*ack == 0)
        return PENDING;
    *begin = atomic_load_explicit(&log->attempts[seq].begin_ns, memory_order_relaxed);
    return FOUND;
}

bool kvb_ledger_ack(struct kvb_ledger *lg, uint64_t gen, uint64_t begin_ns, uint64_t ack_ns)
{
    struct kvb_ledger_log *log = &lg->logs[(gen >> KVB_GEN_SHIFT) - 1];
    uint64_t seq = gen & KVB_GEN_SEQ_MASK;
    if (seq >= log->cap) {
        log->dropped++;
        return false;
    }
    atomic_store_explicit(&log->attempts[seq].begin_ns, begin_ns, memory_order_relaxed);
    atomic_store_explicit(&log->attempts[seq].ack_ns, ack_ns, memory_order_release);
    return true;
}

/* Interval of a published generation (delete bit ignored); 0, 0 if unknown. */
static void interval(const struct kvb_ledger *lg, uint64_t gen, uint64_t *begin, uint64_t *ack)
{
    if (find(lg, gen & ~KVB_GEN_DELETE, NULL, begin, ack) != FOUND)
        *begin = *ack = 0;
}

/* Sets *slot to mine unless it holds a write whose time (begin or ack, by
 * by_ack) is at least mine. */
static void raise_slot(const struct kvb_ledger *lg, _Atomic uint64_t *slot, uint64_t mine,
                       uint64_t t, bool by_ack)
{
    uint64_t cur = atomic_load_explicit(slot, memory_order_acquire);
    for (;;) {
        if (cur) {
            uint64_t b, a;
            interval(lg, cur, &b, &a);
            if ((by_ack ? a : b) >= t)
                return;
        }
        if (atomic_compare_exchange_weak_explicit(slot, &cur, mine, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
}

void kvb_ledger_wrote(struct kvb_ledger *lg, uint64_t key, uint64_t gen, bool del,
                      uint64_t begin_ns, uint64_t ack_ns)
{
    if (key >= lg->nkeys)
        return;
    uint64_t mine = gen | (del ? KVB_GEN_DELETE : 0);
    raise_slot(lg, &lg->keys[key].last, mine, begin_ns, false);
    if (del)
        raise_slot(lg, &lg->keys[key].last_del, mine, ack_ns, true);
}

void kvb_ledger_rmw(struct kvb_ledger *lg, uint64_t key, uint64_t gen, uint64_t pred)
{
    struct kvb_ledger_log *log = &lg->logs[((gen & ~KVB_GEN_DELETE) >> KVB_GEN_SHIFT) - 1];
    if (log->nrmw == log->caprmw) {
        log->dropped++;
        return;
    }
    log->rmw[log->nrmw++] = (struct kvb_ledger_rmw){.key = key, .gen = gen, .pred = pred};
}

uint64_t kvb_ledger_floor(const struct kvb_ledger *lg, uint64_t key, uint64_t t)
{
    if (key < lg->nkeys) {
        uint64_t last = atomic_load_explicit(&lg->keys[key].last, memory_order_acquire), b, a;
        if (last && find(lg, last & ~KVB_GEN_DELETE, NULL, &b, &a) == FOUND && a < t)
            return last;
    }
    return key < lg->preloaded ? 0 : KVB_GEN_NONE;
}

static double secs(const struct kvb_ledger *lg, uint64_t t)
{
    return (double)(int64_t)(t - lg->t0) / 1e9;
}

/* Names a version for a message. */
static void describe(const struct kvb_ledger *lg, uint64_t gen, char *buf, size_t n)
{
    bool del = gen & KVB_GEN_DELETE;
    gen &= ~KVB_GEN_DELETE;
    if (gen == 0) {
        snprintf(buf, n, "the preloaded value");
        return;
    }
    const struct kvb_ledger_log *log = NULL;
    uint64_t b = 0, a = 0;
    enum found f = find(lg, gen, &log, &b, &a);
    int k =
        snprintf(buf, n, "%sgeneration %llu", del ? "the delete of " : "", (unsigned long long)gen);
    if (k < 0 || (size_t)k >= n || f == UNKNOWN)
        return;
    const char *who = kvb_roles[log->role].title;
    if (f == FOUND)
        snprintf(buf + k, n - (size_t)k, " (%s %u, begun %.6f s, acknowledged %.6f s)", who,
                 log->index, secs(lg, b), secs(lg, a));
    else
        snprintf(buf + k, n - (size_t)k, " (%s %u, %s)", who, log->index,
                 f == PENDING ? "not acknowledged" : "past the ledger's capacity");
}

/* A read found nothing where floor was due. */
static enum kvb_ledger_judgement judge_absent(const struct kvb_ledger *lg, uint64_t key,
                                              uint64_t floor, uint64_t fbegin, bool final,
                                              char *why, size_t whylen)
{
    if (floor == KVB_GEN_NONE || (floor & KVB_GEN_DELETE))
        return KVB_LEDGER_FINE;
    bool deletes = lg->deletes && key < lg->nkeys;
    if (deletes) {
        uint64_t d = atomic_load_explicit(&lg->keys[key].last_del, memory_order_acquire), b, a;
        if (d) {
            interval(lg, d, &b, &a);
            if (a >= fbegin)
                return KVB_LEDGER_FINE; /* a delete that floor does not supersede */
        }
        if (!final)
            return KVB_LEDGER_UNDECIDED;
        if (kvb_ledger_incomplete(lg))
            return KVB_LEDGER_FINE; /* a delete left out of the ledger may explain it */
    }
    if (floor == 0) {
        snprintf(why, whylen,
                 "no value, but it was preloaded and no acknowledged delete removed it");
    } else {
        char f[160];
        describe(lg, floor, f, sizeof(f));
        snprintf(why, whylen, "no value, but %s put it and no acknowledged delete followed", f);
    }
    return KVB_LEDGER_STALE;
}

enum kvb_ledger_judgement kvb_ledger_judge(const struct kvb_ledger *lg, uint64_t key, uint64_t got,
                                           uint64_t floor, bool final, char *why, size_t whylen)
{
    uint64_t fbegin = 0, fack, xbegin, xack = 0;
    if (floor != KVB_GEN_NONE && (floor & ~KVB_GEN_DELETE) != 0 &&
        find(lg, floor & ~KVB_GEN_DELETE, NULL, &fbegin, &fack) != FOUND)
        return KVB_LEDGER_FINE; /* floors are published: not reached */
    if (got == KVB_GEN_ABSENT)
        return judge_absent(lg, key, floor, fbegin, final, why, whylen);

    char g[160], f[160];
    if (got == 0 && key >= lg->preloaded) {
        snprintf(why, whylen, "a preloaded value, but the record was never preloaded");
        return KVB_LEDGER_UNCOMMITTED;
    }
    switch (got == 0 ? FOUND : find(lg, got, NULL, &xbegin, &xack)) {
    case FOUND:
        break;
    case BEYOND:
        return KVB_LEDGER_FINE; /* cannot tell: counted in kvb_ledger_incomplete */
    case PENDING:
        if (!final)
            return KVB_LEDGER_UNDECIDED;
        describe(lg, got, g, sizeof(g));
        snprintf(why, whylen, "%s, whose transaction was never acknowledged", g);
        return KVB_LEDGER_UNCOMMITTED;
    case UNKNOWN:
        snprintf(why, whylen, "generation %llu, which no random writer or compactor made",
                 (unsigned long long)got);
        return KVB_LEDGER_UNCOMMITTED;
    }
    if (floor == KVB_GEN_NONE || xack >= fbegin)
        return KVB_LEDGER_FINE;
    describe(lg, got, g, sizeof(g));
    describe(lg, floor, f, sizeof(f));
    snprintf(why, whylen, "%s, but %s superseded it", g, f);
    return KVB_LEDGER_STALE;
}

static int cmp_rmw(const void *pa, const void *pb)
{
    const struct kvb_ledger_rmw *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->pred > b->pred) - (a->pred < b->pred);
}

bool kvb_ledger_find_lost_update(struct kvb_ledger *lg, char *why, size_t whylen)
{
    size_t *at = calloc(lg->nclients ? lg->nclients : 1, sizeof(*at));
    if (!at) {
        snprintf(why, whylen, "out of memory checking read-modify-writes");
        return true;
    }
    for (unsigned i = 0; i < lg->nclients; i++)
        if (lg->logs[i].nrmw > 1)
            qsort(lg->logs[i].rmw, lg->logs[i].nrmw, sizeof(*lg->logs[i].rmw), cmp_rmw);
    /* Merge the sorted logs; two equal (key, pred) in a row are the finding. */
    const struct kvb_ledger_rmw *prev = NULL, *cur;
    bool found = false;
    for (;;) {
        unsigned min = lg->nclients;
        for (unsigned i = 0; i < lg->nclients; i++)
            if (at[i] < lg->logs[i].nrmw &&
                (min == lg->nclients ||
                 cmp_rmw(&lg->logs[i].rmw[at[i]], &lg->logs[min].rmw[at[min]]) < 0))
                min = i;
        if (min == lg->nclients)
            break;
        cur = &lg->logs[min].rmw[at[min]++];
        if (prev && cmp_rmw(prev, cur) == 0) {
            char a[160], b[160], p[160];
            describe(lg, prev->gen, a, sizeof(a));
            describe(lg, cur->gen, b, sizeof(b));
            describe(lg, cur->pred, p, sizeof(p));
            snprintf(why, whylen, "lost update: rec_%010llu: %s and %s both replaced %s",
                     (unsigned long long)cur->key, a, b, p);
            found = true;
            break;
        }
        prev = cur;
    }
    free(at);
    return found;
}

uint64_t kvb_ledger_incomplete(const struct kvb_ledger *lg)
{
    uint64_t n = atomic_load_explicit(&lg->unjudged, memory_order_relaxed);
    for (unsigned i = 0; lg->logs && i < lg->nclients; i++)
        n += lg->logs[i].dropped;
    return n;
}
