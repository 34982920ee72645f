/*
 * registry.c - the table of compiled backends, and the small helpers every
 * backend shares. Adding an engine is one line here: an explicit table, not
 * constructor tricks a static link could silently drop.
 */
#include "backends/backend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

extern const struct kvb_backend kvb_backend_null;
extern const struct kvb_backend kvb_backend_mem;
extern const struct kvb_backend kvb_backend_lmdb;

const struct kvb_backend *const kvb_backends[] = {
    &kvb_backend_null,
    &kvb_backend_mem,
    &kvb_backend_lmdb,
    NULL,
};

const struct kvb_backend *kvb_backend_find(const char *name)
{
    for (size_t i = 0; kvb_backends[i]; i++)
        if (strcmp(kvb_backends[i]->name, name) == 0)
            return kvb_backends[i];
    return NULL;
}

/* Levenshtein distance, capped: names are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(cur));
    }
    return prev[lb];
}

const char *kvb_backend_closest(const char *name)
{
    const char *best = NULL;
    size_t bestd = 3; /* suggest only within two edits */
    for (size_t i = 0; kvb_backends[i]; i++) {
        size_t d = edit_distance(name, kvb_backends[i]->name);
        if (d < bestd) {
            bestd = d;
            best = kvb_backends[i]->name;
        }
    }
    return best;
}

int kvb_errorf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, KVB_ERRLEN, fmt, ap);
    va_end(ap);
    return KVB_ERR;
}

void kvb_backend_stats_init(struct kvb_backend_stats *st)
{
    st->disk_bytes_written = NAN;
    st->user_bytes_written = NAN;
    st->write_stalls = NAN;
    st->stall_ms = NAN;
    st->durable_lag = NULL;
    st->visible_lag = NULL;
}
