/* test_awdb_crc32c.c - CRC32C: published test vectors, the hardware and
 * table-driven implementations agreeing, and incremental use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/crc32c.h"

#include <stdlib.h>
#include <string.h>

static void test_vectors(void **state)
{
    (void)state;
    uint8_t buf[32];
    assert_int_equal(awdb_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(awdb_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    /* RFC 3720 (iSCSI), appendix B.4 */
    memset(buf, 0, 32);
    assert_int_equal(awdb_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(awdb_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(awdb_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(awdb_crc32c(0, buf, 32), 0x113FDB5Cu);
    assert_int_equal(awdb_crc32c(0, "", 0), 0);
}

static void test_sw_hw_agree_and_extend(void **state)
{
    (void)state;
    uint8_t buf[4096 + 16];
    unsigned r = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        r = r * 1103515245u + 12345u;
        buf[i] = (uint8_t)(r >> 16);
    }
    for (int t = 0; t < 2000; t++) {
        r = r * 1103515245u + 12345u;
        size_t off = (r >> 8) % 16, len = (r >> 12) % 4096;
        uint32_t a = awdb_crc32c(0, buf + off, len), b = awdb_crc32c_sw(0, buf + off, len);
        assert_int_equal(a, b);
        size_t cut = len ? (r >> 3) % len : 0;
        uint32_t c = awdb_crc32c(awdb_crc32c(0, buf + off, cut), buf + off + cut, len - cut);
        assert_int_equal(a, c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sw_hw_agree_and_extend),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
