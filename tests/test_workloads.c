/*
 * test_workloads.c - the pieces the client roles are built from: values
 * (fill, verify, and what verification rejects), key formats, the head
 * parser, the pacer's schedules (fixed, Poisson, closed loop; clients
 * staggered), the per-client random number generator, and the ledger's
 * judgement of record versions (what supersedes what, deletes, uncommitted
 * versions, lost updates, a full log).
 *
 * Everything here is deterministic (fixed seeds, made-up clocks): no test
 * depends on the machine's speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/testutil.h"
#include "workloads/kv.h"
#include "workloads/ledger.h"
#include "workloads/pace.h"
#include "util/option.h"
#include "workloads/role.h"
#include "workloads/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------- */

/* A value of index i, generation g, built the way the writers build it. */
static uint8_t *make_value(const struct kvb_valgen *vg, uint64_t i, uint64_t g)
{
    uint8_t *buf = malloc(vg->size);
    assert_non_null(buf);
    kvb_value_prepare(vg, buf);
    kvb_value_fill(vg, buf, i, g);
    return buf;
}

static void test_value_round_trip(void **state)
{
    (void)state;
    static const size_t sizes[] = {KVB_VALUE_MIN, 25, 100, 4096};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        struct kvb_valgen vg;
        assert_int_equal(kvb_valgen_init(&vg, sizes[s], 7), 0);
        static const uint64_t idx[] = {0, 1, 42, 999999, 1234567, UINT64_MAX};
        for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++) {
            /* any generation verifies: monotonic (0) and random writers' (large) */
            static const uint64_t gens[] = {0, 1, (uint64_t)3 << 40};
            for (size_t g = 0; g < 3; g++) {
                uint8_t *v = make_value(&vg, idx[k], gens[g]);
                char why[160] = "untouched";
                if (!kvb_value_verify(&vg, idx[k], v, vg.size, why, sizeof(why)))
                    fail_msg("size %zu index %llu gen %llu: %s", vg.size,
                             (unsigned long long)idx[k], (unsigned long long)gens[g], why);
                /* why may be NULL */
                assert_true(kvb_value_verify(&vg, idx[k], v, vg.size, NULL, 0));
                free(v);
            }
        }
        kvb_valgen_free(&vg);
        assert_null(vg.pattern);
    }
}

/* Refilling a prepared buffer with another index gives that index's value:
 * the writers reuse one buffer for every value. */
static void test_value_buffer_reuse(void **state)
{
    (void)state;
    struct kvb_valgen vg;
    assert_int_equal(kvb_valgen_init(&vg, 100, 1), 0);
    uint8_t *buf = malloc(vg.size);
    assert_non_null(buf);
    kvb_value_prepare(&vg, buf);
    for (uint64_t i = 0; i < 1000; i++) {
        kvb_value_fill(&vg, buf, i, i % 3);
        assert_true(kvb_value_verify(&vg, i, buf, vg.size, NULL, 0));
    }
    /* the filler is the run's pattern; only the header changes */
    assert_memory_equal(buf + 24, vg.pattern + 24, vg.size - 24);
    /* deterministic from the seed */
    struct kvb_valgen same, other;
    assert_int_equal(kvb_valgen_init(&same, 100, 1), 0);
    assert_int_equal(kvb_valgen_init(&other, 100, 2), 0);
    assert_memory_equal(same.pattern, vg.pattern, 100);
    assert_memory_not_equal(other.pattern + 24, vg.pattern + 24, 76);
    /* a value from a run with another seed does not verify */
    char why[160];
    uint8_t *foreign = make_value(&other, 5, 0);
    assert_false(kvb_value_verify(&vg, 5, foreign, 100, why, sizeof(why)));
    assert_non_null(strstr(why, "filler"));
    free(foreign);
    free(buf);
    kvb_valgen_free(&same);
    kvb_valgen_free(&other);
    kvb_valgen_free(&vg);
}

static void expect_rejected(const struct kvb_valgen *vg, uint64_t index, const uint8_t *v,
                            size_t len, const char *needle)
{
    char why[160] = "";
    if (kvb_value_verify(vg, index, v, len, why, sizeof(why)))
        fail_msg("value of %zu bytes for index %llu verified but should not have", len,
                 (unsigned long long)index);
    if (!strstr(why, needle))
        fail_msg("reason '%s' does not mention '%s'", why, needle);
    /* without a reason buffer, the verdict is the same */
    assert_false(kvb_value_verify(vg, index, v, len, NULL, 0));
}

static void test_value_rejects(void **state)
{
    (void)state;
    struct kvb_valgen vg;
    assert_int_equal(kvb_valgen_init(&vg, 100, 42), 0);
    uint8_t *v = make_value(&vg, 42, 0);

    /* another key's value */
    expect_rejected(&vg, 43, v, 100, "index 42");
    expect_rejected(&vg, 41, v, 100, "not 41");

    /* wrong size, shorter and longer */
    expect_rejected(&vg, 42, v, 99, "99 bytes");
    uint8_t *longer = calloc(1, 101);
    assert_non_null(longer);
    memcpy(longer, v, 100);
    expect_rejected(&vg, 42, longer, 101, "expected 100");
    free(longer);
    expect_rejected(&vg, 42, v, 0, "0 bytes");

    /* each byte of the header, flipped */
    for (size_t b = 0; b < 24; b++) {
        for (int bit = 0; bit < 8; bit += 7) {
            uint8_t *c = make_value(&vg, 42, 0);
            c[b] ^= (uint8_t)(1u << bit);
            char why[160] = "";
            if (kvb_value_verify(&vg, 42, c, 100, why, sizeof(why)))
                fail_msg("header byte %zu bit %d flipped, yet the value verified", b, bit);
            /* index bytes make it another index's value; the rest break the check */
            assert_non_null(strstr(why, b < 8 ? "index" : "checksum"));
            free(c);
        }
    }

    /* each byte of the filler, flipped: the reason names the byte */
    for (size_t b = 24; b < 100; b++) {
        uint8_t *c = make_value(&vg, 42, 0);
        c[b] ^= 0x20;
        char needle[32];
        snprintf(needle, sizeof(needle), "at byte %zu", b);
        expect_rejected(&vg, 42, c, 100, needle);
        free(c);
    }

    /* the corruption mem's corrupt_read_every injects: byte len/2 xor 1 */
    uint8_t *c = make_value(&vg, 42, 0);
    c[50] ^= 1;
    expect_rejected(&vg, 42, c, 100, "filler");
    free(c);

    /* the right generation with a wrong check, and a check for another size */
    c = make_value(&vg, 42, 7);
    kvb_put_le64(c + 16, kvb_value_check(42, 7, 101));
    expect_rejected(&vg, 42, c, 100, "checksum");
    free(c);

    free(v);
    kvb_valgen_free(&vg);
}

/* A reason longer than the buffer is truncated, never overflowed. */
static void test_value_reason_truncated(void **state)
{
    (void)state;
    struct kvb_valgen vg;
    assert_int_equal(kvb_valgen_init(&vg, 64, 3), 0);
    uint8_t *v = make_value(&vg, UINT64_MAX, 0);
    char why[8];
    memset(why, 'x', sizeof(why));
    assert_false(kvb_value_verify(&vg, 0, v, 64, why, sizeof(why)));
    assert_int_equal(why[7], '\0');
    free(v);
    kvb_valgen_free(&vg);
}

/* ---- keys and head ---------------------------------------------------------- */

static void expect_key(size_t (*fn)(char *, uint64_t), uint64_t i, const char *want)
{
    char buf[KVB_KEY_MAX];
    memset(buf, '#', sizeof(buf));
    size_t n = fn(buf, i);
    assert_int_equal(n, strlen(want));
    assert_true(n < KVB_KEY_MAX);
    assert_memory_equal(buf, want, n);
    assert_int_equal(buf[n], '#'); /* nothing written past the key (no NUL) */
}

static void test_key_formats(void **state)
{
    (void)state;
    expect_key(kvb_monotonic_key, 0, "key_000000");
    expect_key(kvb_monotonic_key, 42, "key_000042");
    expect_key(kvb_monotonic_key, 999999, "key_999999");
    expect_key(kvb_monotonic_key, 1000000, "key_1000000");
    expect_key(kvb_monotonic_key, 1234567, "key_1234567");
    expect_key(kvb_monotonic_key, UINT64_MAX, "key_18446744073709551615");
    expect_key(kvb_record_key, 0, "rec_0000000000");
    expect_key(kvb_record_key, 42, "rec_0000000042");
    expect_key(kvb_record_key, 9999999999ull, "rec_9999999999");
    expect_key(kvb_record_key, 12345678901ull, "rec_12345678901");
    expect_key(kvb_record_key, UINT64_MAX, "rec_18446744073709551615");

    /* the same as printf's formats, and keys sort like their indices below 10^6 */
    char a[KVB_KEY_MAX + 1], b[KVB_KEY_MAX + 1], want[64];
    for (uint64_t i = 0; i < 200000; i += 7) {
        a[kvb_monotonic_key(a, i)] = '\0';
        snprintf(want, sizeof(want), "key_%06llu", (unsigned long long)i);
        assert_string_equal(a, want);
        a[kvb_record_key(a, i)] = '\0';
        snprintf(want, sizeof(want), "rec_%010llu", (unsigned long long)i);
        assert_string_equal(a, want);
        b[kvb_monotonic_key(b, i + 1)] = '\0';
        a[kvb_monotonic_key(a, i)] = '\0';
        assert_true(strcmp(a, b) < 0);
    }

    char d[24];
    assert_int_equal(kvb_put_decimal(d, 0, 1), 1);
    assert_memory_equal(d, "0", 1);
    assert_int_equal(kvb_put_decimal(d, 0, 0), 1);
    assert_int_equal(kvb_put_decimal(d, 123, 1), 3);
    assert_memory_equal(d, "123", 3);
    assert_int_equal(kvb_put_decimal(d, 7, 4), 4);
    assert_memory_equal(d, "0007", 4);
    assert_int_equal(kvb_put_decimal(d, UINT64_MAX, 1), 20);
    assert_memory_equal(d, "18446744073709551615", 20);
}

static void expect_head(const char *text, uint64_t want)
{
    uint64_t got = 12345;
    if (!kvb_parse_head(text, strlen(text), &got))
        fail_msg("'%s' was refused", text);
    assert_int_equal(got, want);
}

static void expect_bad_head(const void *text, size_t len)
{
    uint64_t got = 12345;
    assert_false(kvb_parse_head(text, len, &got));
    assert_int_equal(got, 12345); /* untouched */
}

static void test_parse_head(void **state)
{
    (void)state;
    expect_head("0", 0);
    expect_head("1", 1);
    expect_head("42", 42);
    expect_head("000123", 123);
    expect_head("18446744073709551615", UINT64_MAX);
    /* what the writers write reads back */
    char buf[24];
    for (uint64_t v = 0; v < 100000; v += 13) {
        uint64_t got;
        size_t n = kvb_put_decimal(buf, v, 1);
        assert_true(kvb_parse_head(buf, n, &got));
        assert_int_equal(got, v);
    }
    expect_bad_head("", 0);
    expect_bad_head("x", 1);
    expect_bad_head("12a", 3);
    expect_bad_head("-1", 2);
    expect_bad_head("+1", 2);
    expect_bad_head(" 1", 2);
    expect_bad_head("1 ", 2);
    expect_bad_head("1.5", 3);
    expect_bad_head("123456789012345678901", 21);
    /* 20 digits above 2^64 - 1 are not a head: they must not wrap around */
    expect_bad_head("18446744073709551616", 20);
    expect_bad_head("99999999999999999999", 20);
    expect_head("09999999999999999999", 9999999999999999999ull);
    /* a binary value (a monotonic value stored under head by mistake) */
    static const uint8_t bin[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    expect_bad_head(bin, sizeof(bin));
    /* only len bytes are read: "12" followed by garbage */
    uint64_t got;
    assert_true(kvb_parse_head("12zz", 2, &got));
    assert_int_equal(got, 12);
}

/* ---- pacing ------------------------------------------------------------- */

#define T0 123456789012ull /* a made-up monotonic clock reading, ns */

/* The fixed schedule: operation k is intended at t0 + k/rate. Integral
 * intervals are exact; others within the 1 ns of truncation. */
static void check_fixed(double rate, unsigned n)
{
    struct kvb_pacer p;
    struct kvb_rng r;
    kvb_rng_seed(&r, 1);
    kvb_pacer_init(&p, rate, false, T0, 0, &r);
    assert_true(p.open_loop);
    double interval = 1e9 / rate;
    bool integral = interval == floor(interval);
    for (unsigned k = 0; k <= n; k++) {
        /* the intended time does not depend on "now" */
        uint64_t got = kvb_pacer_peek(&p, T0 + 999999999999ull);
        assert_int_equal(got, kvb_pacer_peek(&p, 0));
        double want = (double)T0 + (double)k * 1e9 / rate;
        int64_t diff = (int64_t)got - (int64_t)llround(want);
        if (integral ? diff != 0 : (diff < -1 || diff > 1))
            fail_msg("rate %g: operation %u intended at %llu, expected %.1f (off by %lld ns)",
                     rate, k, (unsigned long long)got, want, (long long)diff);
        kvb_pacer_advance(&p, &r);
    }
}

static void test_pacer_fixed(void **state)
{
    (void)state;
    /* the comprehensive sweep's rates, a reader's, and odd ones */
    static const double rates[] = {0.02, 0.05, 0.1, 0.15, 0.2, 1, 3, 7, 100, 1000, 1e6};
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
        check_fixed(rates[i], 1000);

    /* 0.02/s is one operation every 50 s, to the nanosecond */
    struct kvb_pacer p;
    struct kvb_rng r;
    kvb_rng_seed(&r, 1);
    kvb_pacer_init(&p, 0.02, false, T0, 0, &r);
    assert_int_equal(kvb_pacer_peek(&p, T0), T0);
    kvb_pacer_advance(&p, &r);
    assert_int_equal(kvb_pacer_peek(&p, T0), T0 + 50000000000ull);
    kvb_pacer_advance(&p, &r);
    assert_int_equal(kvb_pacer_peek(&p, T0), T0 + 100000000000ull);

    /* a 60 s run at 0.02/s intends exactly 2 operations inside [t0, t0+60 s):
     * at 0 s and 50 s (the warmup-free window of the comprehensive sweep) */
    kvb_pacer_init(&p, 0.02, false, T0, 0, &r);
    unsigned in = 0;
    while (kvb_pacer_peek(&p, 0) < T0 + 60000000000ull) {
        in++;
        kvb_pacer_advance(&p, &r);
    }
    assert_int_equal(in, 2);

    /* fixed arrivals do not consume random numbers */
    struct kvb_rng r2;
    kvb_rng_seed(&r2, 1);
    assert_int_equal(kvb_rng_next(&r), kvb_rng_next(&r2));
}

static void test_pacer_poisson(void **state)
{
    (void)state;
    static const double rates[] = {1000, 0.1};
    for (size_t ri = 0; ri < 2; ri++) {
        double rate = rates[ri], mean = 1e9 / rate;
        struct kvb_pacer p;
        struct kvb_rng r;
        kvb_rng_seed(&r, 12345);
        kvb_pacer_init(&p, rate, true, T0, 0, &r);
        assert_true(p.open_loop);
        /* the first arrival is one gap after t0 (the first gap sampled below) */
        assert_true(kvb_pacer_peek(&p, 0) > T0);
        const unsigned n = 100000;
        double sum = 0, sumsq = 0, prev = (double)T0;
        unsigned over_mean = 0, over_2mean = 0, under_tenth = 0;
        for (unsigned i = 0; i < n; i++) {
            if (i)
                kvb_pacer_advance(&p, &r);
            double t = p.next, gap = t - prev;
            prev = t;
            assert_true(gap >= 0); /* whole nanoseconds: two arrivals may share one */
            sum += gap;
            sumsq += gap * gap;
            over_mean += gap > mean;
            over_2mean += gap > 2 * mean;
            under_tenth += gap < mean / 10;
        }
        double m = sum / n, sd = sqrt(sumsq / n - m * m);
        /* mean within 2% of 1/rate (the standard error is 0.3%) */
        if (fabs(m / mean - 1) > 0.02)
            fail_msg("rate %g: mean gap %.0f ns, expected %.0f", rate, m, mean);
        /* exponential: standard deviation equals the mean, P(gap > x) = e^(-x/mean) */
        if (fabs(sd / mean - 1) > 0.03)
            fail_msg("rate %g: gap standard deviation %.0f ns, expected about %.0f", rate, sd,
                     mean);
        double f1 = (double)over_mean / n, f2 = (double)over_2mean / n,
               f01 = (double)under_tenth / n;
        if (fabs(f1 - exp(-1)) > 0.01 || fabs(f2 - exp(-2)) > 0.01 ||
            fabs(f01 - (1 - exp(-0.1))) > 0.01)
            fail_msg("rate %g: P(gap > mean) = %.4f (want %.4f), P(gap > 2 mean) = %.4f "
                     "(want %.4f), P(gap < mean/10) = %.4f (want %.4f): not exponential",
                     rate, f1, exp(-1), f2, exp(-2), f01, 1 - exp(-0.1));
    }

    /* a fixed seed gives the same schedule; another seed another one */
    struct kvb_pacer a, b, c;
    struct kvb_rng ra, rb, rc;
    kvb_rng_seed(&ra, 9);
    kvb_rng_seed(&rb, 9);
    kvb_rng_seed(&rc, 10);
    kvb_pacer_init(&a, 50, true, T0, 0, &ra);
    kvb_pacer_init(&b, 50, true, T0, 0, &rb);
    kvb_pacer_init(&c, 50, true, T0, 0, &rc);
    bool differs = false;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(kvb_pacer_peek(&a, 0), kvb_pacer_peek(&b, 0));
        differs |= kvb_pacer_peek(&a, 0) != kvb_pacer_peek(&c, 0);
        kvb_pacer_advance(&a, &ra);
        kvb_pacer_advance(&b, &rb);
        kvb_pacer_advance(&c, &rc);
        assert_int_equal(kvb_pacer_peek(&a, 0), kvb_pacer_peek(&b, 0));
        differs |= kvb_pacer_peek(&a, 0) != kvb_pacer_peek(&c, 0);
    }
    assert_true(differs);
}

/* Clients do not start together. With fixed arrivals, client k of n starts
 * k/n of an interval after the first (each role shifted by role/roles of
 * its clients' spacing), so n clients at rate r issue one even stream at
 * n*r; with Poisson arrivals each client's first arrival is its own
 * exponential draw, never t0 itself. */
static void test_pacer_clients_staggered(void **state)
{
    (void)state;
    static const unsigned counts[] = {1, 2, 3, 7};
    static const double rates[] = {20, 0.2, 1000};
    for (size_t ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++) {
        double interval = 1e9 / rates[ri];
        for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
            unsigned n = counts[ci];
            for (unsigned role = 0; role < KVB_ROLE_COUNT; role++) {
                /* the role's clients, merged: 50 intervals of n even arrivals */
                uint64_t *t = calloc((size_t)n * 50, sizeof(*t));
                assert_non_null(t);
                for (unsigned k = 0; k < n; k++) {
                    struct kvb_pacer p;
                    struct kvb_rng r;
                    kvb_rng_seed(&r, k);
                    double phase = kvb_pacer_phase(k, n, role, KVB_ROLE_COUNT);
                    assert_true(phase >= 0 && phase < 1);
                    kvb_pacer_init(&p, rates[ri], false, T0, phase, &r);
                    for (unsigned j = 0; j < 50; j++) {
                        t[j * n + k] = kvb_pacer_peek(&p, 0);
                        kvb_pacer_advance(&p, &r);
                    }
                }
                /* the role's stream starts role/roles of its spacing after t0,
                 * and every arrival follows the previous one by interval/n */
                double first = (double)role / KVB_ROLE_COUNT * interval / n;
                if (llabs((long long)(t[0] - T0) - llround(first)) > 1)
                    fail_msg("rate %g, role %u of %u clients: starts %llu ns after t0, "
                             "expected %.0f",
                             rates[ri], role, n, (unsigned long long)(t[0] - T0), first);
                for (unsigned i = 1; i < n * 50; i++) {
                    double gap = (double)(t[i] - t[i - 1]);
                    if (fabs(gap - interval / n) > 2)
                        fail_msg("rate %g, %u clients of role %u: arrival %u follows the "
                                 "previous by %.0f ns, expected %.0f (interval / clients)",
                                 rates[ri], n, role, i, gap, interval / n);
                }
                free(t);
            }
        }
    }
    /* equal-rate roles with one client each interleave: five distinct starts */
    for (unsigned a = 0; a < KVB_ROLE_COUNT; a++)
        for (unsigned b = a + 1; b < KVB_ROLE_COUNT; b++)
            assert_true(fabs(kvb_pacer_phase(0, 1, a, KVB_ROLE_COUNT) -
                             kvb_pacer_phase(0, 1, b, KVB_ROLE_COUNT)) >= 0.2 - 1e-12);

    /* Poisson: the first arrival is a draw, distinct per client, about one
     * mean gap after t0 on average (exponential: mean 1/rate) */
    const unsigned clients = 10000;
    const double rate = 20, mean = 1e9 / rate;
    double sum = 0;
    uint64_t prev = 0;
    unsigned at_t0 = 0, same = 0;
    for (unsigned k = 0; k < clients; k++) {
        struct kvb_pacer p;
        struct kvb_rng r;
        kvb_rng_seed(&r, 1000003u + k); /* as run.c seeds client k */
        kvb_pacer_init(&p, rate, true, T0, kvb_pacer_phase(k, clients, 0, 1), &r);
        uint64_t first = kvb_pacer_peek(&p, 0);
        at_t0 += first == T0;
        same += first == prev;
        prev = first;
        sum += (double)(first - T0);
    }
    assert_int_equal(at_t0, 0);
    assert_int_equal(same, 0);
    if (fabs(sum / clients / mean - 1) > 0.05)
        fail_msg("Poisson: the first arrival comes %.0f ns after t0 on average, expected %.0f",
                 sum / clients, mean);
}

static void test_pacer_closed_loop(void **state)
{
    (void)state;
    struct kvb_pacer p;
    struct kvb_rng r;
    kvb_rng_seed(&r, 5);
    for (int poisson = 0; poisson < 2; poisson++) {
        kvb_pacer_init(&p, 0, poisson, T0, 0.5, &r);
        assert_false(p.open_loop);
        static const uint64_t nows[] = {0, 1, T0 - 1, T0, T0 + 12345, UINT64_MAX / 2};
        for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
            assert_int_equal(kvb_pacer_peek(&p, nows[i]), nows[i]);
            kvb_pacer_advance(&p, &r);
            assert_int_equal(kvb_pacer_peek(&p, nows[i]), nows[i]);
        }
    }
    /* a closed loop draws no random numbers */
    struct kvb_rng r2;
    kvb_rng_seed(&r2, 5);
    assert_int_equal(kvb_rng_next(&r), kvb_rng_next(&r2));
}

/* ---- random numbers ----------------------------------------------------- */

static void test_rng(void **state)
{
    (void)state;
    struct kvb_rng r, same, other;
    kvb_rng_seed(&r, 77);
    kvb_rng_seed(&same, 77);
    kvb_rng_seed(&other, 78);
    bool differs = false;
    for (int i = 0; i < 1000; i++) {
        uint64_t a = kvb_rng_next(&r);
        assert_int_equal(a, kvb_rng_next(&same));
        differs |= a != kvb_rng_next(&other);
    }
    assert_true(differs);

    /* seed 0 is a valid seed (the state must not be all zero) */
    kvb_rng_seed(&r, 0);
    uint64_t x = kvb_rng_next(&r), y = kvb_rng_next(&r);
    assert_true(x != 0 || y != 0);
    assert_true(x != y);

    /* n = 1: always 0 */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(kvb_rng_below(&r, 1), 0);

    /* small n: in range, roughly uniform (chi-square with 9 degrees of freedom) */
    enum { N = 10, DRAWS = 200000 };
    unsigned count[N] = {0};
    kvb_rng_seed(&r, 2024);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = kvb_rng_below(&r, N);
        assert_true(v < N);
        count[v]++;
    }
    double chi = 0, want = (double)DRAWS / N;
    for (int i = 0; i < N; i++) {
        if (fabs(count[i] - want) > 0.05 * want)
            fail_msg("value %d drawn %u times of %d, expected about %.0f", i, count[i], DRAWS,
                     want);
        chi += (count[i] - want) * (count[i] - want) / want;
    }
    assert_true(chi < 40); /* p < 1e-5 for 9 degrees of freedom */

    /* n that is not a power of two, and n near 2^64: in range, both halves hit */
    static const uint64_t ns[] = {3, 1000, 100003, (1ull << 63) + 12345, UINT64_MAX};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        unsigned low = 0, high = 0;
        for (int i = 0; i < 10000; i++) {
            uint64_t v = kvb_rng_below(&r, ns[k]);
            assert_true(v < ns[k]);
            if (v < ns[k] / 2)
                low++;
            else
                high++;
        }
        double want_low = (double)(ns[k] / 2) / (double)ns[k];
        if (fabs(low / 10000.0 - want_low) > 0.03)
            fail_msg("n %llu: %u of 10000 draws below n/2, expected about %.0f",
                     (unsigned long long)ns[k], low, want_low * 10000);
        assert_int_equal(low + high, 10000);
    }

    /* the unit interval is (0, 1] */
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = kvb_rng_unit(&r);
        assert_true(u > 0 && u <= 1);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.01);
}

/* ---- the ledger ---------------------------------------------------------- */

/* Clients: 0 reads, 1 is random writer 0, 2 is compactor 0. Records 0 and 1
 * are preloaded; 0 .. 3 are tracked. Each log holds 8 attempts. */
static void ledger_setup(struct kvb_ledger *lg)
{
    assert_int_equal(kvb_ledger_init(lg, 4, 2, true, 3), 0);
    assert_int_equal(kvb_ledger_open_log(lg, 1, KVB_ROLE_RANDOM_WRITER, 0, 8, 8), 0);
    assert_int_equal(kvb_ledger_open_log(lg, 2, KVB_ROLE_COMPACTOR, 0, 8, 8), 0);
}

/* Attempt seq of client, [begin, ack], left key holding a put or deleted it. */
static uint64_t ledger_write(struct kvb_ledger *lg, unsigned client, uint64_t seq, uint64_t key,
                             bool del, uint64_t begin, uint64_t ack)
{
    uint64_t gen = kvb_ledger_first_gen(client) + seq;
    assert_true(kvb_ledger_ack(lg, gen, begin, ack));
    kvb_ledger_wrote(lg, key, gen, del, begin, ack);
    return gen;
}

/* Judges a read of key begun at t that returned got; why must hold needle. */
static enum kvb_ledger_judgement judge_at(const struct kvb_ledger *lg, uint64_t key, uint64_t got,
                                          uint64_t t, bool final, const char *needle)
{
    char why[512] = "";
    enum kvb_ledger_judgement j =
        kvb_ledger_judge(lg, key, got, kvb_ledger_floor(lg, key, t), final, why, sizeof(why));
    if (needle && !strstr(why, needle))
        fail_msg("judgement %d of rec %llu says '%s', expected '%s'", j, (unsigned long long)key,
                 why, needle);
    return j;
}

static void test_ledger_supersedes(void **state)
{
    (void)state;
    struct kvb_ledger lg;
    ledger_setup(&lg);
    /* A and B overlap: either may land last; C began after both were acknowledged */
    uint64_t a = ledger_write(&lg, 1, 0, 0, false, 10, 20);
    uint64_t b = ledger_write(&lg, 2, 0, 0, false, 15, 25);
    assert_int_equal(kvb_ledger_floor(&lg, 0, 26), b);
    assert_int_equal(judge_at(&lg, 0, a, 26, false, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 0, 0, 26, false, "the preloaded value, but generation"),
                     KVB_LEDGER_STALE);
    /* a read begun before B was acknowledged may still see the preload */
    assert_int_equal(kvb_ledger_floor(&lg, 0, 22), 0);
    assert_int_equal(judge_at(&lg, 0, 0, 22, false, NULL), KVB_LEDGER_FINE);

    uint64_t c = ledger_write(&lg, 1, 1, 0, false, 30, 40);
    assert_true(kvb_ledger_is_latest(&lg, 0, c));
    assert_false(kvb_ledger_is_latest(&lg, 0, b));
    assert_int_equal(judge_at(&lg, 0, a, 41, false, "superseded it"), KVB_LEDGER_STALE);
    assert_int_equal(judge_at(&lg, 0, b, 41, false, "(random writer 0, begun"), KVB_LEDGER_STALE);
    assert_int_equal(judge_at(&lg, 0, c, 41, false, NULL), KVB_LEDGER_FINE);
    /* the end check: after every write */
    assert_int_equal(judge_at(&lg, 0, a, UINT64_MAX, true, NULL), KVB_LEDGER_STALE);
    assert_int_equal(judge_at(&lg, 0, c, UINT64_MAX, true, NULL), KVB_LEDGER_FINE);

    /* record 2 was neither preloaded nor written; record 1 was preloaded only */
    assert_int_equal(judge_at(&lg, 2, KVB_GEN_ABSENT, UINT64_MAX, true, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 2, 0, 50, false, "never preloaded"), KVB_LEDGER_UNCOMMITTED);
    assert_int_equal(judge_at(&lg, 1, 0, 50, false, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, 50, false, NULL), KVB_LEDGER_UNDECIDED);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, 50, true, "it was preloaded"),
                     KVB_LEDGER_STALE);
    assert_int_equal(kvb_ledger_incomplete(&lg), 0);
    kvb_ledger_free(&lg);
}

static void test_ledger_deletes(void **state)
{
    (void)state;
    struct kvb_ledger lg;
    ledger_setup(&lg);
    uint64_t d = ledger_write(&lg, 1, 0, 1, true, 50, 60);
    assert_int_equal(kvb_ledger_floor(&lg, 1, 61), d | KVB_GEN_DELETE);
    assert_true(kvb_ledger_is_latest(&lg, 1, KVB_GEN_ABSENT));
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, 61, false, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 1, 0, 61, false, "but the delete of generation"),
                     KVB_LEDGER_STALE);

    /* a put after the delete: nothing explains a missing record any more */
    uint64_t p = ledger_write(&lg, 2, 0, 1, false, 70, 80);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, 81, false, NULL), KVB_LEDGER_UNDECIDED);
    assert_int_equal(
        judge_at(&lg, 1, KVB_GEN_ABSENT, 81, true, "put it and no acknowledged delete"),
        KVB_LEDGER_STALE);

    /* a delete overlapping the put explains it, and does not supersede the put */
    ledger_write(&lg, 1, 1, 1, true, 75, 85);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, 81, true, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 1, p, 86, true, NULL), KVB_LEDGER_FINE);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, UINT64_MAX, true, NULL), KVB_LEDGER_FINE);
    kvb_ledger_free(&lg);
}

static void test_ledger_uncommitted(void **state)
{
    (void)state;
    struct kvb_ledger lg;
    ledger_setup(&lg);
    ledger_write(&lg, 1, 0, 3, false, 10, 20);
    /* attempt 1 of random writer 0 is not (yet) acknowledged */
    uint64_t pending = kvb_ledger_first_gen(1) + 1;
    assert_int_equal(judge_at(&lg, 3, pending, 30, false, NULL), KVB_LEDGER_UNDECIDED);
    assert_int_equal(judge_at(&lg, 3, pending, 30, true, "never acknowledged"),
                     KVB_LEDGER_UNCOMMITTED);
    /* client 0 writes no records */
    assert_int_equal(judge_at(&lg, 3, kvb_ledger_first_gen(0), 30, false, "no random writer"),
                     KVB_LEDGER_UNCOMMITTED);
    /* published, it is judged like any other */
    assert_true(kvb_ledger_ack(&lg, pending, 25, 35));
    assert_int_equal(judge_at(&lg, 3, pending, 30, true, NULL), KVB_LEDGER_FINE);
    kvb_ledger_free(&lg);
}

static void test_ledger_lost_update(void **state)
{
    (void)state;
    struct kvb_ledger lg;
    char why[512] = "";
    ledger_setup(&lg);
    /* a chain: a replaced the preload of record 3, b replaced a */
    uint64_t a = ledger_write(&lg, 1, 0, 3, false, 10, 20);
    kvb_ledger_rmw(&lg, 3, a, 0);
    uint64_t b = ledger_write(&lg, 2, 0, 3, false, 30, 40);
    kvb_ledger_rmw(&lg, 3, b, a);
    /* the same preload version of another record is another version */
    uint64_t c = ledger_write(&lg, 2, 1, 1, false, 30, 40);
    kvb_ledger_rmw(&lg, 1, c, 0);
    assert_false(kvb_ledger_find_lost_update(&lg, why, sizeof(why)));
    /* d also replaced a: one of b and d did not see the other */
    uint64_t d = ledger_write(&lg, 1, 1, 3, true, 32, 45);
    kvb_ledger_rmw(&lg, 3, d | KVB_GEN_DELETE, a);
    assert_true(kvb_ledger_find_lost_update(&lg, why, sizeof(why)));
    if (!strstr(why, "lost update: rec_0000000003") || !strstr(why, "the delete of generation"))
        fail_msg("lost update reported as '%s'", why);
    kvb_ledger_free(&lg);
}

static void test_ledger_full(void **state)
{
    (void)state;
    struct kvb_ledger lg;
    ledger_setup(&lg);
    for (uint64_t i = 0; i < 8; i++)
        ledger_write(&lg, 1, i, 0, false, 10 * i + 1, 10 * i + 5);
    /* the ninth attempt does not fit: counted, and never judged as uncommitted */
    uint64_t ninth = kvb_ledger_first_gen(1) + 8;
    assert_false(kvb_ledger_ack(&lg, ninth, 100, 110));
    assert_int_equal(kvb_ledger_incomplete(&lg), 1);
    assert_int_equal(judge_at(&lg, 0, ninth, UINT64_MAX, true, NULL), KVB_LEDGER_FINE);
    /* nor a missing record, which a delete left out may explain */
    ledger_write(&lg, 2, 0, 1, false, 200, 210);
    assert_int_equal(judge_at(&lg, 1, KVB_GEN_ABSENT, UINT64_MAX, true, NULL), KVB_LEDGER_FINE);
    for (uint64_t i = 0; i < 9; i++)
        kvb_ledger_rmw(&lg, 2, kvb_ledger_first_gen(1) + i, i);
    assert_int_equal(kvb_ledger_incomplete(&lg), 2);
    kvb_ledger_free(&lg);
}

/* Every role's count and rate keys are rows of the option table of the
 * right type at the offsets the role table reads, and its names are unique:
 * the table is read through those offsets, so a wrong one reads garbage. */
static void test_role_table(void **state)
{
    (void)state;
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        const struct kvb_role_def *d = &kvb_roles[r];
        assert_non_null(d->name);
        assert_non_null(d->op);
        const struct kvb_option *c = kvb_opt_find(kvb_config_options, d->count_key);
        const struct kvb_option *t = kvb_opt_find(kvb_config_options, d->rate_key);
        assert_non_null(c);
        assert_non_null(t);
        assert_int_equal(c->type, KVB_OPT_UINT);
        assert_int_equal(c->offset, d->count_off);
        assert_int_equal(t->type, KVB_OPT_DOUBLE);
        assert_int_equal(t->offset, d->rate_off);
        for (int q = 0; q < r; q++) {
            assert_string_not_equal(kvb_roles[q].name, d->name);
            assert_string_not_equal(kvb_roles[q].col, d->col);
            assert_string_not_equal(kvb_roles[q].ops_col, d->ops_col);
            assert_string_not_equal(kvb_roles[q].tps_col, d->tps_col);
        }
    }
    struct kvb_config cfg = {.num_writers = 3, .num_scanners = 2, .reader_rate = 7.5};
    assert_int_equal(kvb_role_clients(&cfg, KVB_ROLE_WRITER), 3);
    assert_int_equal(kvb_role_clients(&cfg, KVB_ROLE_SCANNER), 2);
    assert_int_equal(kvb_role_clients(&cfg, KVB_ROLE_READER), 0);
    assert_true(kvb_role_rate(&cfg, KVB_ROLE_READER) == 7.5);
    assert_true(kvb_role_rate(&cfg, KVB_ROLE_COUNT) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_table),
        cmocka_unit_test(test_value_round_trip),
        cmocka_unit_test(test_value_buffer_reuse),
        cmocka_unit_test(test_value_rejects),
        cmocka_unit_test(test_value_reason_truncated),
        cmocka_unit_test(test_key_formats),
        cmocka_unit_test(test_parse_head),
        cmocka_unit_test(test_pacer_fixed),
        cmocka_unit_test(test_pacer_poisson),
        cmocka_unit_test(test_pacer_clients_staggered),
        cmocka_unit_test(test_pacer_closed_loop),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_ledger_supersedes),
        cmocka_unit_test(test_ledger_deletes),
        cmocka_unit_test(test_ledger_uncommitted),
        cmocka_unit_test(test_ledger_lost_update),
        cmocka_unit_test(test_ledger_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
