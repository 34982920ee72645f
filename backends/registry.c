/*
 * registry.c - the table of compiled backends, and the small helpers every
 * backend shares. Adding an engine is one line here: an explicit table, not
 * constructor tricks a static link could silently drop.
 */
#include "backends/backend.h"
#include "util/text.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern const struct kvb_backend kvb_backend_null;
extern const struct kvb_backend kvb_backend_mem;
extern const struct kvb_backend kvb_backend_lmdb;
extern const struct kvb_backend kvb_backend_awdb;
#ifdef KVB_WITH_ROCKSDB
extern const struct kvb_backend kvb_backend_rocksdb;
#endif

const struct kvb_backend *const kvb_backends[] = {
    &kvb_backend_null,
    &kvb_backend_mem,
    &kvb_backend_lmdb,
    &kvb_backend_awdb,
#ifdef KVB_WITH_ROCKSDB
    &kvb_backend_rocksdb,
#endif
    NULL,
};

const struct kvb_backend *kvb_backend_find(const char *name)
{
    for (size_t i = 0; kvb_backends[i]; i++)
        if (strcmp(kvb_backends[i]->name, name) == 0)
            return kvb_backends[i];
    return NULL;
}

const char *kvb_backend_closest(const char *name)
{
    const char *names[16];
    size_t n = 0;
    for (size_t i = 0; kvb_backends[i] && n < 16; i++)
        names[n++] = kvb_backends[i]->name;
    return kvb_closest_name(name, names, n);
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
    *st = (struct kvb_backend_stats){.durable_lag = NULL, .visible_lag = NULL};
}

/* clang-format off */
#define COUNTER(f) {#f, offsetof(struct kvb_engine_counters, f)}
const struct kvb_engine_counter kvb_engine_counter_table[] = {
    COUNTER(disk_bytes_written),
    COUNTER(prep_bytes_written),
    COUNTER(user_bytes_written),
    COUNTER(write_stalls),
    COUNTER(stall_ms),
    {NULL, 0},
};
#undef COUNTER
/* clang-format on */

void kvb_engine_counters_sub(struct kvb_engine_counters *out, const struct kvb_engine_counters *end,
                             const struct kvb_engine_counters *start)
{
    for (const struct kvb_engine_counter *r = kvb_engine_counter_table; r->name; r++)
        kvb_engine_counter_set(out, r,
                               kvb_engine_counter_get(end, r) - kvb_engine_counter_get(start, r));
}
