/*
 * test_text.c - util/text.h's file-name-safe names and numbers from text
 * (the appending and "did you mean" helpers are tested through their users,
 * test_option.c and test_cli.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "util/text.h"

static void test_name_char(void **state)
{
    (void)state;
    size_t n = 0;
    for (int c = 1; c < 256; c++)
        n += kvb_name_char((char)c);
    assert_int_equal(n, 26 + 26 + 10 + 3);
    for (const char *c = "azAZ09._-"; *c; c++)
        assert_true(kvb_name_char(*c));
    for (const char *c = "/ \t\n\\'\"*?:~$%@+,;=()[]{}<>|&!#^`"; *c; c++)
        assert_false(kvb_name_char(*c));
    assert_false(kvb_name_char('\0'));
    assert_false(kvb_name_char((char)0xc3)); /* a byte of UTF-8 "é" */
}

static void test_safe_name(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"W1_WR20.00-RD1", "W1_WR20.00-RD1"},
        {"a b/c", "a_b_c"},
        {"../etc", "_._etc"},
        {".hidden", "_hidden"},
        {"a.b", "a.b"},
        {"", "_"},
        {"caf\xc3\xa9", "caf__"},
        {"$(rm -rf ~)", "__rm_-rf___"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kvb_safe_name(out, sizeof(out), cases[i].in);
        assert_string_equal(out, cases[i].out);
    }
    /* cut to the buffer, never empty, nothing written into none */
    kvb_safe_name(out, 4, "abcdef");
    assert_string_equal(out, "abc");
    kvb_safe_name(out, 2, "");
    assert_string_equal(out, "_");
    kvb_safe_name(out, 1, "abc");
    assert_string_equal(out, "");
    out[0] = 'x';
    kvb_safe_name(out, 0, "abc");
    assert_int_equal(out[0], 'x');
}

static void test_parse_number(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        double v;
    } good[] = {
        {"0", 0}, {"42", 42}, {"-1.5", -1.5}, {"1e3", 1000}, {"0x10", 16}, {" 7", 7}, {"+.5", 0.5},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(kvb_parse_number(good[i].in) == good[i].v);
    static const char *const bad[] = {"",     "x",   "1x",    "1 ", "1,5", "inf",
                                      "-inf", "nan", "1e999", "-",  "."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!isnan(kvb_parse_number(bad[i])))
            fail_msg("'%s' read as %g", bad[i], kvb_parse_number(bad[i]));
    assert_true(isnan(kvb_parse_number(NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_char),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_parse_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
