/*
 * test_hist.c - the histogram against exact percentiles of known data.
 *
 * Each distribution is generated from a fixed seed, recorded, and sorted; the
 * exact nearest-rank percentile (the smallest value with at least p% of the
 * data at or below it) is computed with integer arithmetic and every
 * reported percentile must be within 1% of it. Bucket bounds, merging,
 * clamping and the edges (empty, one sample, a constant) are checked exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/hist.h"
#include "util/sort.h"

#define TOP ((uint64_t)1 << KVB_HIST_MAX_BITS)

/* Percentiles in hundredths: 1%, 10%, ... 99.99%, 100%. */
static const unsigned pcts[] = {1,    100,  1000, 2500, 5000, 7000, 7100,
                                7500, 9000, 9500, 9900, 9990, 9999, 10000};
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(void) /* (0, 1] */
{
    return ((double)(rng_next() >> 11) + 1.0) / 9007199254740992.0;
}

static uint64_t rng_range(uint64_t lo, uint64_t hi) /* [lo, hi] */
{
    return lo + rng_next() % (hi - lo + 1);
}

/* Nearest rank of hundredths-percentile pp among n sorted values. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, unsigned pp)
{
    uint64_t rank = ((uint64_t)pp * n + 9999) / 10000;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* Records v[0..n), then checks count, extremes, mean and every percentile. */
static void check_against_exact(uint64_t *v, size_t n)
{
    struct kvb_hist h;
    kvb_hist_init(&h);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        kvb_hist_record(&h, v[i]);
        sum += (double)v[i];
    }
    kvb_sort_u64(v, n);
    assert_int_equal(h.count, n);
    assert_int_equal(h.min, v[0]);
    assert_int_equal(h.max, v[n - 1]);
    assert_int_equal(h.clamped, 0);
    assert_true(fabs(kvb_hist_mean(&h) - sum / (double)n) <= 1e-9 * (sum / (double)n));
    for (size_t i = 0; i < NPCTS; i++) {
        uint64_t exact = exact_percentile(v, n, pcts[i]);
        uint64_t got = kvb_hist_percentile(&h, pcts[i] / 100.0);
        double rel = fabs((double)got - (double)exact) / (double)exact;
        if (rel > 0.01)
            fail_msg("p%.2f: got %llu, exact %llu (%.3f%% off)", pcts[i] / 100.0,
                     (unsigned long long)got, (unsigned long long)exact, rel * 100);
        if (exact < (1u << KVB_HIST_SUB_BITS))
            assert_int_equal(got, exact); /* small values are counted exactly */
    }
}

#define N 200000

static void test_uniform(void **state)
{
    (void)state;
    uint64_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    rng_state = 1;
    for (size_t i = 0; i < N; i++)
        v[i] = rng_range(1000, 1000000000); /* 1 us .. 1 s */
    check_against_exact(v, N);
    free(v);
}

static void test_exponential(void **state)
{
    (void)state;
    uint64_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    rng_state = 2;
    for (size_t i = 0; i < N; i++)
        v[i] = 1 + (uint64_t)(-log(rng_unit()) * 1e6); /* mean 1 ms, tail to ~15 ms */
    check_against_exact(v, N);
    free(v);
}

static void test_bimodal(void **state)
{
    (void)state;
    uint64_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    rng_state = 3;
    /* 70% fast (80-120 us), 30% slow (40-60 ms): p70 and p71 straddle the gap. */
    for (size_t i = 0; i < N; i++)
        v[i] = rng_next() % 10 < 7 ? rng_range(80000, 120000) : rng_range(40000000, 60000000);
    check_against_exact(v, N);
    free(v);
}

static void test_wide_range(void **state)
{
    (void)state;
    uint64_t *v = malloc(N * sizeof(*v));
    assert_non_null(v);
    rng_state = 4;
    /* log-uniform from 1 ns to just under 2^42 ns: every bucket row is used */
    for (size_t i = 0; i < N; i++) {
        double e = rng_unit() * (KVB_HIST_MAX_BITS - 0.01);
        v[i] = (uint64_t)exp2(e);
    }
    check_against_exact(v, N);
    free(v);
}

static void test_small_values_exact(void **state)
{
    (void)state;
    uint64_t v[1000];
    rng_state = 5;
    for (size_t i = 0; i < 1000; i++)
        v[i] = rng_range(0, 127);
    check_against_exact(v, 1000);
}

static void test_constant(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    for (int i = 0; i < 5000; i++)
        kvb_hist_record(&h, 12345677);
    /* the bucket midpoint is clipped to [min, max], so the answer is exact */
    for (size_t i = 0; i < NPCTS; i++)
        assert_int_equal(kvb_hist_percentile(&h, pcts[i] / 100.0), 12345677);
    assert_true(kvb_hist_mean(&h) == 12345677.0);
}

static void test_single_sample(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    kvb_hist_record(&h, 987654321);
    assert_int_equal(h.count, 1);
    assert_true(kvb_hist_low_samples(&h));
    for (size_t i = 0; i < NPCTS; i++)
        assert_int_equal(kvb_hist_percentile(&h, pcts[i] / 100.0), 987654321);
    assert_true(kvb_hist_mean(&h) == 987654321.0);
}

static void test_empty(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    assert_int_equal(h.count, 0);
    assert_int_equal(h.min, UINT64_MAX);
    assert_int_equal(h.max, 0);
    assert_int_equal(kvb_hist_percentile(&h, 50), 0);
    assert_int_equal(kvb_hist_percentile(&h, 100), 0);
    assert_true(kvb_hist_mean(&h) == 0.0);
    assert_true(kvb_hist_low_samples(&h));
}

static void test_low_samples_flag(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    for (int i = 0; i < KVB_HIST_MIN_SAMPLES - 1; i++)
        kvb_hist_record(&h, 1000);
    assert_true(kvb_hist_low_samples(&h));
    kvb_hist_record(&h, 1000);
    assert_false(kvb_hist_low_samples(&h));
}

static void test_clamped(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    for (int i = 0; i < 97; i++)
        kvb_hist_record(&h, 5000);
    kvb_hist_record(&h, TOP - 1); /* the last value in range: not clamped */
    kvb_hist_record(&h, TOP);
    kvb_hist_record(&h, TOP * 4);
    kvb_hist_record(&h, UINT64_MAX);
    assert_int_equal(h.count, 101);
    assert_int_equal(h.clamped, 3);
    assert_int_equal(h.max, UINT64_MAX); /* the extremes stay exact */
    assert_int_equal(h.buckets[KVB_HIST_BUCKETS - 1], 4);
    /* in-range percentiles are unaffected: 5000's bucket, reported within 1% */
    uint64_t p50 = kvb_hist_percentile(&h, 50);
    assert_int_equal(kvb_hist_index(p50), kvb_hist_index(5000));
    assert_true(fabs((double)p50 - 5000) <= 50);
    /* Values beyond the range report within the top bucket, never beyond it. */
    uint64_t p100 = kvb_hist_percentile(&h, 100);
    assert_true(p100 >= kvb_hist_bucket_low(KVB_HIST_BUCKETS - 1));
    assert_true(p100 <= TOP - 1);
}

static void test_percentile_edges(void **state)
{
    (void)state;
    struct kvb_hist h;
    kvb_hist_init(&h);
    for (uint64_t v = 1; v <= 100; v++)
        kvb_hist_record(&h, v);
    assert_int_equal(kvb_hist_percentile(&h, 0), 1); /* p <= 0: the minimum */
    assert_int_equal(kvb_hist_percentile(&h, -5), 1);
    assert_int_equal(kvb_hist_percentile(&h, NAN), 1);
    assert_int_equal(kvb_hist_percentile(&h, 0.001), 1); /* rank 1 */
    assert_int_equal(kvb_hist_percentile(&h, 1), 1);
    assert_int_equal(kvb_hist_percentile(&h, 1.5), 2);
    assert_int_equal(kvb_hist_percentile(&h, 50), 50);
    assert_int_equal(kvb_hist_percentile(&h, 99), 99);
    assert_int_equal(kvb_hist_percentile(&h, 99.9), 100);
    assert_int_equal(kvb_hist_percentile(&h, 100), 100);
    assert_int_equal(kvb_hist_percentile(&h, 250), 100); /* > 100: the maximum */

    /* 99.9% of 1000 values is rank 999 exactly, despite 99.9 / 100 rounding */
    kvb_hist_init(&h);
    for (uint64_t v = 1; v <= 1000; v++)
        kvb_hist_record(&h, v < 999 ? 10 : v == 999 ? 50 : 100);
    assert_int_equal(kvb_hist_percentile(&h, 99.9), 50);
}

static void test_bucket_bounds(void **state)
{
    (void)state;
    for (unsigned i = 0; i < KVB_HIST_BUCKETS; i++) {
        uint64_t lo = kvb_hist_bucket_low(i), hi = kvb_hist_bucket_high(i);
        assert_true(lo <= hi);
        assert_int_equal(kvb_hist_index(lo), i);
        assert_int_equal(kvb_hist_index(hi), i);
        if (i + 1 < KVB_HIST_BUCKETS)
            assert_int_equal(kvb_hist_bucket_low(i + 1), hi + 1); /* no gaps, no overlap */
        if (i < (1u << KVB_HIST_SUB_BITS)) {
            assert_int_equal(lo, i);
            assert_int_equal(hi, i);
        } else {
            /* half a bucket is at most 1/128 of any value in it */
            assert_true((double)(hi - lo + 1) / 2 <= (double)lo / 128);
        }
    }
    assert_int_equal(kvb_hist_bucket_low(0), 0);
    assert_int_equal(kvb_hist_bucket_high(KVB_HIST_BUCKETS - 1), TOP - 1);
}

static void test_merge(void **state)
{
    (void)state;
    static struct kvb_hist all, a, b, empty;
    kvb_hist_init(&all);
    kvb_hist_init(&a);
    kvb_hist_init(&b);
    kvb_hist_init(&empty);
    rng_state = 6;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = rng_range(1, 1u << 30);
        if (i == 5000)
            v = TOP * 2; /* a clamped value travels through the merge */
        kvb_hist_record(&all, v);
        kvb_hist_record(i % 3 ? &a : &b, v);
    }
    kvb_hist_merge(&a, &b);
    kvb_hist_merge(&a, &empty); /* merging an empty histogram changes nothing */
    assert_int_equal(a.count, all.count);
    assert_int_equal(a.clamped, 1);
    assert_int_equal(a.min, all.min);
    assert_int_equal(a.max, all.max);
    assert_true(fabs(a.sum - all.sum) <= 1e-12 * all.sum);
    assert_memory_equal(a.buckets, all.buckets, sizeof(a.buckets));

    /* into an empty one: a copy */
    kvb_hist_merge(&empty, &all);
    assert_int_equal(empty.min, all.min);
    assert_int_equal(kvb_hist_percentile(&empty, 99), kvb_hist_percentile(&all, 99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_bimodal),
        cmocka_unit_test(test_wide_range),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_single_sample),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_low_samples_flag),
        cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_percentile_edges),
        cmocka_unit_test(test_bucket_bounds),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
