/*
 * null.c - a backend that commits instantly and stores nothing.
 *
 * It measures the harness: every call returns at once (get always answers
 * KVB_NOT_FOUND, a scan visits nothing), so what a run on null reports is kvbench's own cost per
 * operation. It declares no capabilities, so the harness knows verification
 * does not apply.
 *
 * One option exists for the harness's own tests: a periodic stall. With
 * stall_every_ms = P and stall_ms = M, each client blocks for M ms in the
 * first begin at or after every P ms of its own clock, counted from
 * client_open (stall points that pass while it is blocked are skipped). The
 * stall is in begin because every transaction begins, whether it then
 * commits or aborts. The coordinated-omission test relies on it: latency
 * from the intended start must show the stall, service time must not.
 *
 * Hot path: with stalls off, each call is a load, a compare and a return.
 * Per-client state lives in c->priv, on its own cache line; the only shared
 * writes (the stall counters for stats) happen on the stall path.
 */
#include "backends/backend.h"
#include "util/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct null_opts {
    double stall_every_ms;
    double stall_ms;
};

static const struct kvb_option null_options[] = {
    {
        .name = "stall_every_ms",
        .type = KVB_OPT_DOUBLE,
        .offset = offsetof(struct null_opts, stall_every_ms),
        .min = 0,
        .def = "0",
        .help = "every this many milliseconds, one begin per client blocks (0: never)",
    },
    {
        .name = "stall_ms",
        .type = KVB_OPT_DOUBLE,
        .offset = offsetof(struct null_opts, stall_ms),
        .min = 0,
        .def = "0",
        .help = "how long that begin blocks, in milliseconds",
    },
    {.name = NULL},
};

struct null_db {
    uint64_t every_ns; /* 0: stalls off */
    uint64_t stall_ns;
    atomic_uint_fast64_t stalls; /* stats: stalls served */
    atomic_uint_fast64_t stall_ns_total;
};

/* One cache line per client, so clients never share a written line. */
struct null_client {
    _Alignas(64) uint64_t every_ns; /* copied from the db: one load on the hot path */
    uint64_t next_ns;               /* the next stall point */
    struct null_db *db;
};

static int null_check(const void *opts, bool sync, char *err, size_t errlen)
{
    const struct null_opts *o = opts;
    (void)sync;
    if (o->stall_ms > 0 && o->stall_every_ms <= 0) {
        snprintf(err, errlen, "null: stall_ms is set but stall_every_ms is 0, so it never stalls");
        return -1;
    }
    return 0;
}

static int null_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    const struct null_opts *o = args->opts;
    struct null_db *n = calloc(1, sizeof *n);
    if (!n)
        return kvb_errorf(db->err, "null: out of memory");
    if (o && o->stall_every_ms > 0 && o->stall_ms > 0) {
        n->every_ns = (uint64_t)(o->stall_every_ms * 1e6);
        n->stall_ns = (uint64_t)(o->stall_ms * 1e6);
        if (n->every_ns == 0)
            n->every_ns = 1;
    }
    db->priv = n;
    return KVB_OK;
}

static int null_close(struct kvb_db *db)
{
    free(db->priv);
    db->priv = NULL;
    return KVB_OK;
}

static int null_client_open(struct kvb_client *c)
{
    struct null_db *n = c->db->priv;
    struct null_client *nc = aligned_alloc(64, sizeof *nc);
    if (!nc)
        return kvb_errorf(c->err, "null: out of memory");
    memset(nc, 0, sizeof *nc);
    nc->db = n;
    nc->every_ns = n->every_ns;
    if (nc->every_ns)
        nc->next_ns = kvb_now_ns() + nc->every_ns;
    c->priv = nc;
    return KVB_OK;
}

static void null_client_close(struct kvb_client *c)
{
    free(c->priv);
    c->priv = NULL;
}

/* The slow path: block if a stall point has passed, then find the next one. */
static __attribute__((noinline)) void null_maybe_stall(struct null_client *nc)
{
    uint64_t now = kvb_now_ns();
    if (now < nc->next_ns)
        return;
    kvb_sleep_until(now + nc->db->stall_ns);
    uint64_t end = kvb_now_ns();
    atomic_fetch_add_explicit(&nc->db->stalls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&nc->db->stall_ns_total, end - now, memory_order_relaxed);
    while (nc->next_ns <= end)
        nc->next_ns += nc->every_ns;
}

static int null_begin(struct kvb_client *c, unsigned flags)
{
    (void)flags;
    struct null_client *nc = c->priv;
    if (__builtin_expect(nc->every_ns != 0, 0))
        null_maybe_stall(nc);
    return KVB_OK;
}

static int null_get(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
                    const void **val, size_t *vlen)
{
    (void)c, (void)key, (void)klen, (void)flags, (void)val, (void)vlen;
    return KVB_NOT_FOUND;
}

static int null_put(struct kvb_client *c, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    (void)c, (void)key, (void)klen, (void)val, (void)vlen;
    return KVB_OK;
}

static int null_del(struct kvb_client *c, const void *key, size_t klen)
{
    (void)c, (void)key, (void)klen;
    return KVB_OK;
}

static int null_commit(struct kvb_client *c)
{
    (void)c;
    return KVB_OK;
}

static void null_abort(struct kvb_client *c)
{
    (void)c;
}

static int null_scan(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                     int (*fn)(void *arg, const void *key, size_t klen, const void *val,
                               size_t vlen),
                     void *arg)
{
    (void)c, (void)start, (void)slen, (void)limit, (void)fn, (void)arg;
    return KVB_OK;
}

static int null_counters(struct kvb_db *db, struct kvb_engine_counters *c)
{
    struct null_db *n = db->priv;
    if (n->every_ns) {
        c->write_stalls = (double)atomic_load(&n->stalls);
        c->stall_ms = (double)atomic_load(&n->stall_ns_total) / 1e6;
    }
    return KVB_OK;
}

const struct kvb_backend kvb_backend_null = {
    .name = "null",
    .summary = "commits instantly, stores nothing: measures the harness itself",
    .caps = 0,
    .options = null_options,
    .opts_size = sizeof(struct null_opts),
    .check = null_check,
    .open = null_open,
    .close = null_close,
    .client_open = null_client_open,
    .client_close = null_client_close,
    .begin = null_begin,
    .get = null_get,
    .put = null_put,
    .del = null_del,
    .commit = null_commit,
    .abort = null_abort,
    .scan = null_scan,
    .counters = null_counters,
};
