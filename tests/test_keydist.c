/*
 * test_keydist.c - each key distribution's empirical shape against theory,
 * on a fixed seed: zipfian rank frequencies, latest's bias to the newest
 * keys, hotspot's fractions, uniform's flatness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "workloads/keydist.h"

#define DRAWS 1000000

static double zipf_p(const struct kvb_keydist *d, uint64_t rank)
{
    return 1.0 / pow((double)(rank + 1), d->theta) / d->zetan;
}

static void test_zipfian_ranks(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    enum { N = 1000 };
    static unsigned long count[N];
    kvb_keydist_init(&d, KVB_DIST_ZIPFIAN, N, 0.99, 0, 0);
    kvb_rng_seed(&r, 7);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = kvb_zipf_rank(&d, &r);
        assert_true(k < N);
        count[k]++;
    }
    /* Gray's algorithm is exact for the two hottest ranks... */
    for (int k = 0; k < 2; k++)
        assert_true(fabs((double)count[k] / DRAWS / zipf_p(&d, (uint64_t)k) - 1) < 0.02);
    /* ...and close in aggregate: the mass of the top 10% and top 1% of ranks. */
    double top10 = 0, want10 = 0, top1 = 0, want1 = 0;
    for (int k = 0; k < N / 10; k++) {
        top10 += (double)count[k] / DRAWS;
        want10 += zipf_p(&d, (uint64_t)k);
        if (k < N / 100) {
            top1 += (double)count[k] / DRAWS;
            want1 += zipf_p(&d, (uint64_t)k);
        }
    }
    assert_true(fabs(top10 / want10 - 1) < 0.03);
    assert_true(fabs(top1 / want1 - 1) < 0.05);
    /* Frequencies fall with rank: rank 10 is drawn far more than rank 500. */
    assert_true(count[10] > 20 * count[500]);
}

static void test_zipfian_scrambled_spreads(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    enum { N = 1000 };
    static unsigned long count[N];
    kvb_keydist_init(&d, KVB_DIST_ZIPFIAN, N, 0.99, 0, 0);
    kvb_rng_seed(&r, 8);
    for (int i = 0; i < DRAWS; i++)
        count[kvb_keydist_next(&d, &r, N)]++;
    /* The hottest key is not key 0: ranks are scattered over the key space. */
    unsigned long best = 0;
    size_t at = 0;
    for (size_t k = 0; k < N; k++)
        if (count[k] > best)
            best = count[k], at = k;
    assert_true(at != 0);
    assert_true((double)best / DRAWS > 0.10); /* still as hot as rank 0 (~0.129) */
}

static void test_latest_favours_newest(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    enum { N = 1000 };
    kvb_keydist_init(&d, KVB_DIST_LATEST, N, 0.99, 0, 0);
    kvb_rng_seed(&r, 9);
    unsigned long newest = 0, newest10 = 0, oldest_half = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = kvb_keydist_next(&d, &r, N);
        assert_true(k < N);
        newest += k == N - 1;
        newest10 += k >= N - 10;
        oldest_half += k < N / 2;
    }
    assert_true(fabs((double)newest / DRAWS / zipf_p(&d, 0) - 1) < 0.02);
    double want10 = 0;
    for (uint64_t k = 0; k < 10; k++)
        want10 += zipf_p(&d, k);
    assert_true(fabs((double)newest10 / DRAWS / want10 - 1) < 0.05);
    assert_true((double)oldest_half / DRAWS < 0.15);
}

static void test_latest_follows_growing_key_count(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    kvb_keydist_init(&d, KVB_DIST_LATEST, 100000, 0.99, 0, 0);
    kvb_rng_seed(&r, 10);
    /* Fewer keys exist than the distribution was built for: still in range,
     * and still the newest existing key is the hottest. */
    unsigned long newest = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t k = kvb_keydist_next(&d, &r, 50);
        assert_true(k < 50);
        newest += k == 49;
    }
    assert_true(newest > 8000);
}

static void test_hotspot_fractions(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    enum { N = 10000 };
    kvb_keydist_init(&d, KVB_DIST_HOTSPOT, N, 0, 0.2, 0.8);
    kvb_rng_seed(&r, 11);
    unsigned long hot = 0, lo_hot = 0, lo_cold = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = kvb_keydist_next(&d, &r, N);
        assert_true(k < N);
        if (k < N / 5) {
            hot++;
            lo_hot += k < N / 10;
        } else {
            lo_cold += k < N / 5 + (N - N / 5) / 2;
        }
    }
    assert_true(fabs((double)hot / DRAWS - 0.8) < 0.005);
    /* uniform inside each set */
    assert_true(fabs((double)lo_hot / (double)hot - 0.5) < 0.01);
    assert_true(fabs((double)lo_cold / (double)(DRAWS - hot) - 0.5) < 0.01);
}

static void test_uniform_flat(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    enum { N = 20 };
    unsigned long count[N] = {0};
    kvb_keydist_init(&d, KVB_DIST_UNIFORM, N, 0, 0, 0);
    kvb_rng_seed(&r, 12);
    for (int i = 0; i < DRAWS; i++)
        count[kvb_keydist_next(&d, &r, N)]++;
    for (int k = 0; k < N; k++)
        assert_true(fabs((double)count[k] * N / DRAWS - 1) < 0.02);
}

static void test_single_key(void **state)
{
    (void)state;
    struct kvb_keydist d;
    struct kvb_rng r;
    kvb_rng_seed(&r, 13);
    for (int kind = KVB_DIST_UNIFORM; kind <= KVB_DIST_HOTSPOT; kind++) {
        kvb_keydist_init(&d, kind, 1, 0.99, 0.2, 0.8);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(kvb_keydist_next(&d, &r, 1), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zipfian_ranks),
        cmocka_unit_test(test_zipfian_scrambled_spreads),
        cmocka_unit_test(test_latest_favours_newest),
        cmocka_unit_test(test_latest_follows_growing_key_count),
        cmocka_unit_test(test_hotspot_fractions),
        cmocka_unit_test(test_uniform_flat),
        cmocka_unit_test(test_single_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
