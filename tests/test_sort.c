/*
 * test_sort.c - util/sort.h: each sort on values where a careless
 * comparison goes wrong (a difference cast to int, values above INT64_MAX,
 * negative numbers, upper case before lower), and empty arrays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/sort.h"

static void test_sort_u64(void **state)
{
    (void)state;
    uint64_t v[] = {5, UINT64_MAX, 0, (uint64_t)1 << 32, 5, 1, (uint64_t)INT64_MAX + 1, 2};
    const uint64_t want[] = {0, 1, 2, 5, 5, (uint64_t)1 << 32, (uint64_t)INT64_MAX + 1, UINT64_MAX};
    kvb_sort_u64(v, sizeof(v) / sizeof(v[0]));
    assert_memory_equal(v, want, sizeof(want));
    kvb_sort_u64(NULL, 0);
    kvb_sort_u64(v, 1);
    assert_int_equal(v[0], 0);
}

static void test_sort_double(void **state)
{
    (void)state;
    double v[] = {0.5, -3, 1e300, 0.25, -1e-300, 0, 0.5};
    const double want[] = {-3, -1e-300, 0, 0.25, 0.5, 0.5, 1e300};
    kvb_sort_double(v, sizeof(v) / sizeof(v[0]));
    assert_memory_equal(v, want, sizeof(want));
    kvb_sort_double(NULL, 0);
}

static void test_sort_strings(void **state)
{
    (void)state;
    char a[] = "b", b[] = "a", c[] = "B", d[] = "ab", e[] = "";
    char *v[] = {a, b, c, d, e};
    kvb_sort_strings(v, 5);
    const char *const want[] = {"", "B", "a", "ab", "b"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(v[i], want[i]);
    assert_ptr_equal(v[4], a); /* the pointers move, not the strings */
    kvb_sort_strings(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_u64),
        cmocka_unit_test(test_sort_double),
        cmocka_unit_test(test_sort_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
