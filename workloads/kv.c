/* kv.c - value patterns and verification (see kv.h for the layout). */
#include "workloads/kv.h"

#include <stdio.h>
#include <stdlib.h>


int kvb_valgen_init(struct kvb_valgen *vg, size_t size, uint64_t seed)
{
    vg->size = size;
    vg->pattern = malloc(size);
    if (!vg->pattern)
        return -1;
    uint64_t x = seed;
    for (size_t i = 0; i < size; i++) {
        if (i % 8 == 0)
            x = kvb_mix64(x + 0x9e3779b97f4a7c15ull);
        /* printable filler makes a dump of the database readable */
        vg->pattern[i] = (uint8_t)('a' + (x >> (8 * (i % 8))) % 26);
    }
    return 0;
}

void kvb_valgen_free(struct kvb_valgen *vg)
{
    free(vg->pattern);
    vg->pattern = NULL;
}

bool kvb_value_head_verify(const struct kvb_valgen *vg, uint64_t index, const uint8_t *head,
                           size_t len, char *why, size_t whylen)
{
    if (len != vg->size) {
        if (why)
            snprintf(why, whylen, "value has %zu bytes, expected %zu", len, vg->size);
        return false;
    }
    uint64_t got = kvb_get_le64(head), gen = kvb_get_le64(head + 8);
    if (got != index) {
        if (why)
            snprintf(why, whylen, "value belongs to index %llu, not %llu",
                     (unsigned long long)got, (unsigned long long)index);
        return false;
    }
    if (kvb_get_le64(head + 16) != kvb_value_check(index, gen, vg->size)) {
        if (why)
            snprintf(why, whylen, "value header checksum mismatch (generation %llu)",
                     (unsigned long long)gen);
        return false;
    }
    return true;
}

bool kvb_value_verify(const struct kvb_valgen *vg, uint64_t index, const void *val, size_t len,
                      char *why, size_t whylen)
{
    const uint8_t *v = val;
    if (!kvb_value_head_verify(vg, index, v, len, why, whylen))
        return false;
    if (memcmp(v + KVB_VALUE_HEAD, vg->pattern + KVB_VALUE_HEAD, vg->size - KVB_VALUE_HEAD) != 0) {
        size_t at = KVB_VALUE_HEAD;
        while (at < vg->size && v[at] == vg->pattern[at])
            at++;
        if (why)
            snprintf(why, whylen, "value filler differs at byte %zu", at);
        return false;
    }
    return true;
}

bool kvb_parse_head(const void *val, size_t len, uint64_t *out)
{
    const char *p = val;
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (len == 20 && memcmp(p, "18446744073709551615", 20) > 0)
        return false; /* above 2^64 - 1: it wrapped */
    *out = v;
    return true;
}
