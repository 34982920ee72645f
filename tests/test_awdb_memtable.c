/* test_awdb_memtable.c - the memtable (skiplist + hash index): checked
 * against a trivial reference model under random operations, ordered
 * iteration, capacity, and lock-free readers running beside the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/memtable.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The model: every version ever inserted, in insertion order. */
struct mver {
    char key[24];
    size_t klen;
    uint64_t seq;
    int type;
    char val[40];
    size_t vlen;
};

static const struct mver *model_get(const struct mver *v, size_t n, const char *key, size_t klen,
                                    uint64_t snap)
{
    const struct mver *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i].klen == klen && memcmp(v[i].key, key, klen) == 0 && v[i].seq <= snap &&
            (!best || v[i].seq > best->seq))
            best = &v[i];
    return best;
}

static int mver_cmp(const void *a, const void *b)
{
    const struct mver *x = a, *y = b;
    int c = awdb_key_cmp(x->key, x->klen, y->key, y->klen);
    if (c)
        return c;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static void test_against_model(void **state)
{
    (void)state;
    uint64_t rng = 88172645463325252ull;
    for (int round = 0; round < 4; round++) {
        struct awdb_memtable *m = awdb_mem_new(1 << 20, (uint64_t)round + 1);
        assert_non_null(m);
        assert_true(awdb_mem_empty(m));
        size_t cap = 3000, n = 0;
        struct mver *v = calloc(cap, sizeof *v);
        uint64_t seq = 100;
        unsigned nkeys = round == 0 ? 5 : round == 1 ? 50 : 400;
        for (size_t i = 0; i < cap; i++) {
            struct mver *x = &v[n];
            unsigned k = (unsigned)(rnd(&rng) % nkeys);
            /* keys of varied length, some prefixes of others */
            x->klen = (size_t)snprintf(x->key, sizeof x->key, "k%u%s", k, k % 3 ? "" : "-long");
            if (k % 7 == 0)
                x->klen = 1 + k % 2; /* "k" or "k?" prefixes */
            x->seq = seq += 1 + rnd(&rng) % 3;
            x->type = rnd(&rng) % 5 == 0 ? AWDB_OP_DEL : AWDB_OP_PUT;
            x->vlen = x->type == AWDB_OP_PUT ? (size_t)snprintf(x->val, sizeof x->val, "v%llu",
                                                                (unsigned long long)x->seq)
                                             : 0;
            if (x->type == AWDB_OP_PUT && rnd(&rng) % 10 == 0)
                x->vlen = 0; /* empty values are values */
            /* the same (key, seq) never repeats: seqs strictly increase */
            unsigned h = awdb_mem_height(m);
            assert_true(awdb_mem_fits(m, awdb_node_size(x->klen, x->vlen, h), 1));
            awdb_mem_insert(m, x->key, x->klen, x->seq, x->type, x->val, x->vlen, h);
            n++;
            if (i % 97 == 0 || i == cap - 1) {
                /* point reads at random snapshots, via the hash index and the skiplist */
                for (int q = 0; q < 200; q++) {
                    const struct mver *pick = &v[rnd(&rng) % n];
                    uint64_t snap = 90 + rnd(&rng) % (seq - 80);
                    const struct mver *want = model_get(v, n, pick->key, pick->klen, snap);
                    const struct awdb_node *got = awdb_mem_get(m, pick->key, pick->klen, snap);
                    const struct awdb_node *sk = awdb_sl_seek(&m->sl, pick->key, pick->klen, snap);
                    if (sk && awdb_key_cmp(awdb_node_key(sk), sk->klen, pick->key, pick->klen))
                        sk = NULL;
                    if (!want) {
                        assert_null(got);
                        assert_null(sk);
                        continue;
                    }
                    assert_non_null(got);
                    assert_ptr_equal(got, sk);
                    assert_int_equal(got->seq, want->seq);
                    assert_int_equal(got->type, want->type);
                    assert_int_equal(got->vlen, want->vlen);
                    assert_memory_equal(awdb_node_val(got), want->val, want->vlen);
                    const struct mver *newest = model_get(v, n, pick->key, pick->klen, UINT64_MAX);
                    assert_int_equal(awdb_mem_newest(m, pick->key, pick->klen), newest->seq);
                }
                assert_int_equal(awdb_mem_newest(m, "absent", 6), 0);
                assert_null(awdb_mem_get(m, "absent", 6, UINT64_MAX));
            }
        }
        /* iteration yields every version, ordered by key then seq descending */
        qsort(v, n, sizeof *v, mver_cmp);
        size_t i = 0;
        for (const struct awdb_node *x = awdb_mem_first(m); x; x = awdb_node_next(x), i++) {
            assert_true(i < n);
            assert_int_equal(x->klen, v[i].klen);
            assert_memory_equal(awdb_node_key(x), v[i].key, v[i].klen);
            assert_int_equal(x->seq, v[i].seq);
        }
        assert_int_equal(i, n);
        assert_int_equal(m->max_seq, seq);
        free(v);
        awdb_mem_unref(m);
    }
}

static void test_capacity(void **state)
{
    (void)state;
    struct awdb_memtable *m = awdb_mem_new(256 << 10, 1);
    assert_non_null(m);
    char key[16], val[200];
    memset(val, 'x', sizeof val);
    size_t n = 0;
    for (;;) {
        int klen = snprintf(key, sizeof key, "%08zu", n);
        unsigned h = awdb_mem_height(m);
        if (!awdb_mem_fits(m, awdb_node_size((size_t)klen, sizeof val, h), 1))
            break;
        awdb_mem_insert(m, key, (size_t)klen, n + 1, AWDB_OP_PUT, val, sizeof val, h);
        n++;
    }
    assert_true(n > 500);
    assert_true(awdb_mem_used(m) <= m->arena_cap);
    for (size_t i = 0; i < n; i++) {
        int klen = snprintf(key, sizeof key, "%08zu", i);
        const struct awdb_node *x = awdb_mem_get(m, key, (size_t)klen, UINT64_MAX);
        assert_non_null(x);
        assert_int_equal(x->seq, i + 1);
    }
    awdb_mem_unref(m);

    /* many tiny keys: the hash index limit ends it before the arena does */
    m = awdb_mem_new(256 << 10, 2);
    n = 0;
    while (awdb_mem_fits(m, awdb_node_size(4, 0, 1), 1)) {
        uint32_t k = (uint32_t)n;
        awdb_mem_insert(m, &k, 4, n + 1, AWDB_OP_PUT, NULL, 0, 1);
        n++;
    }
    assert_int_equal(n, m->max_keys);
    for (uint32_t k = 0; k < n; k++)
        assert_int_equal(awdb_mem_newest(m, &k, 4), (uint64_t)k + 1);
    awdb_mem_unref(m);
}

/* Concurrent readers: the writer inserts seq s for key s % KEYS with value s
 * and then publishes s; a reader at snapshot p must find for key k exactly
 * the largest s <= p with s % KEYS == k. */
#define KEYS 64
#define WRITES 60000
#define READERS 3

struct shared {
    struct awdb_memtable *m;
    _Atomic uint64_t published;
    _Atomic int done;
};

static void *reader(void *arg)
{
    struct shared *sh = arg;
    uint64_t rng = (uint64_t)(uintptr_t)&rng | 1;
    unsigned long checks = 0;
    while (!atomic_load(&sh->done) || checks < 1000) {
        uint64_t p = atomic_load_explicit(&sh->published, memory_order_acquire);
        uint32_t k = (uint32_t)(rnd(&rng) % KEYS);
        const struct awdb_node *n = awdb_mem_get(sh->m, &k, 4, p);
        /* key k holds seqs k+1, k+1+KEYS, ...: the largest one <= p */
        uint64_t want = p >= k + 1 ? p - (p - (k + 1)) % KEYS : 0;
        if (!want) {
            if (n)
                return (void *)1;
        } else {
            uint64_t v;
            if (!n || n->seq != want || n->vlen != 8)
                return (void *)2;
            memcpy(&v, awdb_node_val(n), 8);
            if (v != want)
                return (void *)3;
        }
        /* an ordered walk never goes backwards */
        if (checks % 512 == 0) {
            const struct awdb_node *prev = NULL;
            for (const struct awdb_node *x = awdb_mem_first(sh->m); x; x = awdb_node_next(x)) {
                if (prev && awdb_node_cmp(prev, awdb_node_key(x), x->klen, x->seq) >= 0)
                    return (void *)4;
                prev = x;
            }
        }
        checks++;
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    struct shared sh = {.m = awdb_mem_new(32 << 20, 1)};
    assert_non_null(sh.m);
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &sh), 0);
    for (uint64_t s = 1; s <= WRITES; s++) {
        uint32_t k = (uint32_t)((s - 1) % KEYS);
        unsigned h = awdb_mem_height(sh.m);
        assert_true(awdb_mem_fits(sh.m, awdb_node_size(4, 8, h), 1));
        awdb_mem_insert(sh.m, &k, 4, s, AWDB_OP_PUT, &s, 8, h);
        atomic_store_explicit(&sh.published, s, memory_order_release);
    }
    atomic_store(&sh.done, 1);
    for (int i = 0; i < READERS; i++) {
        void *res;
        pthread_join(th[i], &res);
        assert_ptr_equal(res, NULL);
    }
    awdb_mem_unref(sh.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_concurrent_readers),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
