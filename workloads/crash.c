/* crash.c - the ack log of a crash test and the after-a-kill check (see crash.h). */
#include "workloads/crash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "util/clock.h"
#include "workloads/kv.h"

/* ---- the ack log ---- */

struct ack_slot {
    uint64_t index;
    _Atomic uint64_t ack_ns; /* 0 until the slot is complete */
};

/* The append index sits alone on its cache line; the slots follow. */
struct kvb_ack_log {
    _Alignas(64) _Atomic uint64_t next; /* slots handed out; may pass nslots */
    _Alignas(64) size_t nslots;
    size_t bytes; /* of the whole mapping */
    struct ack_slot slot[];
};

struct kvb_ack_log *kvb_ack_log_new(size_t slots, char *err, size_t errlen)
{
    size_t bytes = sizeof(struct kvb_ack_log) + slots * sizeof(struct ack_slot);
    /* Anonymous memory comes zeroed: next is 0 and every slot incomplete. */
    struct kvb_ack_log *log = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (log == MAP_FAILED) {
        snprintf(err, errlen, "mapping an ack log of %zu slots (%zu MiB): %s", slots, bytes >> 20,
                 strerror(errno));
        return NULL;
    }
    log->nslots = slots;
    log->bytes = bytes;
    return log;
}

void kvb_ack_log_free(struct kvb_ack_log *log)
{
    if (log)
        munmap(log, log->bytes);
}

void kvb_ack_log_append(struct kvb_ack_log *log, uint64_t index, uint64_t ack_ns)
{
    uint64_t i = atomic_fetch_add_explicit(&log->next, 1, memory_order_relaxed);
    if (i >= log->nslots)
        return; /* counted by next: kvb_ack_log_overflow */
    log->slot[i].index = index;
    atomic_store_explicit(&log->slot[i].ack_ns, ack_ns ? ack_ns : 1, memory_order_release);
}

size_t kvb_ack_log_len(const struct kvb_ack_log *log)
{
    uint64_t n = atomic_load_explicit(&log->next, memory_order_acquire);
    return n < log->nslots ? (size_t)n : log->nslots;
}

bool kvb_ack_log_get(const struct kvb_ack_log *log, size_t i, struct kvb_ack *out)
{
    uint64_t t = atomic_load_explicit(&log->slot[i].ack_ns, memory_order_acquire);
    if (t == 0)
        return false;
    *out = (struct kvb_ack){.index = log->slot[i].index, .ack_ns = t};
    return true;
}

uint64_t kvb_ack_log_overflow(const struct kvb_ack_log *log)
{
    uint64_t n = atomic_load_explicit(&log->next, memory_order_acquire);
    return n > log->nslots ? n - log->nslots : 0;
}

/* ---- the check after a kill ---- */

static void broken(struct kvb_crash_check *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void broken(struct kvb_crash_check *out, const char *fmt, ...)
{
    if (out->broken || out->failed)
        return;
    out->broken = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
}

int kvb_crash_check(const struct kvb_config *cfg, const char *dir, const uint64_t *acked,
                    size_t n, struct kvb_crash_check *out)
{
    const struct kvb_backend *be = cfg->be;
    struct kvb_db db = {.be = be};
    struct kvb_client c = {.db = &db};
    struct kvb_valgen vg = {0};
    struct kvb_open_args oa = {.dir = dir, .sync = cfg->sync, .opts = cfg->bopts,
                               .max_clients = 1, .expected_keys = cfg->key_count,
                               .value_size = cfg->value_size};
    bool open = false, client = false, in_txn = false;
    char key[KVB_KEY_MAX + 1], why[160];
    const void *v;
    size_t vl;

    memset(out, 0, sizeof(*out));
    out->acked = n;
    if (kvb_valgen_init(&vg, cfg->value_size, cfg->seed) != 0) {
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "out of memory");
        goto done;
    }
    uint64_t t0 = kvb_now_ns();
    if (be->open(&db, &oa) != KVB_OK) {
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "reopening after the kill: %s", db.err);
        goto done;
    }
    out->open_ms = (double)(kvb_now_ns() - t0) / 1e6;
    open = true;
    if (be->client_open(&c) != KVB_OK) {
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "opening a client after the kill: %s", c.err);
        goto done;
    }
    client = true;
    if (be->begin(&c, KVB_TXN_READONLY) != KVB_OK) {
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "begin after the kill: %s", c.err);
        goto done;
    }
    in_txn = true;
    int rc = be->get(&c, KVB_HEAD_KEY, 4, 0, &v, &vl);
    if (rc == KVB_OK && !kvb_parse_head(v, vl, &out->head))
        broken(out, "head holds %zu bytes that are not a decimal number", vl);
    else if (rc == KVB_ERR)
        broken(out, "get head: %s", c.err);

    /* Invariant: keys 0 .. head-1 exist and verify. */
    for (uint64_t i = 0; i < out->head && !out->broken; i++) {
        size_t kl = kvb_monotonic_key(key, i);
        key[kl] = '\0';
        rc = be->get(&c, key, kl, 0, &v, &vl);
        if (rc == KVB_NOT_FOUND)
            broken(out, "head is %llu but %s is missing", (unsigned long long)out->head, key);
        else if (rc != KVB_OK)
            broken(out, "get %s: %s", key, c.err);
        else if (!kvb_value_verify(&vg, i, v, vl, why, sizeof(why)))
            broken(out, "%s: %s", key, why);
    }
    /* Durability: every acknowledged index is below head (so present, by the
     * invariant) - or, if the invariant broke, looked up directly. */
    for (size_t k = 0; k < n; k++) {
        bool present = acked[k] < out->head;
        if (!present && out->broken) {
            size_t kl = kvb_monotonic_key(key, acked[k]);
            present = be->get(&c, key, kl, 0, &v, &vl) == KVB_OK;
        }
        if (!present && out->lost++ == 0)
            out->first_lost = acked[k];
    }
done:
    if (in_txn)
        be->abort(&c);
    if (client)
        be->client_close(&c);
    if (open && be->close(&db) != KVB_OK && !out->failed) {
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "close: %s", db.err);
    }
    kvb_valgen_free(&vg);
    return out->failed ? -1 : 0;
}
