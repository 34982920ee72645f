/* test_fuzz_regress.c - replays fuzz inputs through the fuzzers' own code
 * (fuzz/fuzz_*.c, included here without libFuzzer's entry points): every
 * finding kept in tests/fuzz/regress/<fuzzer>/ (each once made a fuzzer
 * crash, leak or break a property), and the seed corpora tests/fuzz/<fuzzer>/
 * (which must all pass). A target that finds a problem aborts, which fails
 * this program; in a sanitizer build (KVB_SANITIZE=address) ASan and UBSan
 * check the replay as they did the fuzzing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define KVB_FUZZ_NO_MAIN
#include "fuzz/fuzz_config.c"
#include "fuzz/fuzz_wal.c"
#include "fuzz/fuzz_wal_record.c"
#include "util/sort.h"

/* Runs every file of KVB_SOURCE_DIR/tests/fuzz/sub through one; returns how
 * many (a missing directory counts none). */
static size_t replay_dir(const char *sub, int (*one)(const uint8_t *, size_t))
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", KVB_SOURCE_DIR, sub);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char *names[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < sizeof names / sizeof names[0])
        if (de->d_name[0] != '.' && strcmp(de->d_name, "README") != 0)
            assert_non_null(names[n++] = strdup(de->d_name));
    closedir(d);
    kvb_sort_strings(names, n);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        uint8_t *data = kvb_fuzz_read_file(path, &len);
        if (!data)
            fail_msg("cannot read %s", path);
        /* Printed first, so that a crash names its input. */
        print_message("  %s/%s\n", sub, names[i]);
        one(data, len);
        free(data);
        free(names[i]);
    }
    return n;
}

static void test_config(void **state)
{
    (void)state;
    assert_true(replay_dir("config", kvb_fuzz_config_one) > 0);
    replay_dir("regress/config", kvb_fuzz_config_one);
}

static void test_wal(void **state)
{
    (void)state;
    assert_true(replay_dir("wal", kvb_fuzz_wal_one) > 0);
    replay_dir("regress/wal", kvb_fuzz_wal_one);
}

static void test_wal_record(void **state)
{
    (void)state;
    assert_true(replay_dir("wal_record", kvb_fuzz_wal_record_one) > 0);
    replay_dir("regress/wal_record", kvb_fuzz_wal_record_one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_wal),
        cmocka_unit_test(test_wal_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
