/*
 * test_table.c - tables, CSV written and read back, and atomic replacement.
 *
 * Round trips go through real files; the reader is also fed hand-written
 * CSV (CRLF, BOM, quoted line breaks) and broken CSV whose errors must name
 * the line. Atomic writes are broken on purpose - an unwritable directory
 * (as "nobody" when running as root), a write past RLIMIT_FSIZE, a rename
 * onto a directory - and each time the old file must be intact and no
 * temporary file left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/table.h"
#include "tests/testutil.h"

/* Number of entries in dir other than . and .., and whether any name holds ".tmp.". */
static size_t dir_entries(const char *dir, bool *has_tmp)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    *has_tmp = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (strstr(e->d_name, ".tmp."))
            *has_tmp = true;
    }
    closedir(d);
    return n;
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = kvbt_read_file(path);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_table_basics(void **state)
{
    (void)state;
    const char *cols[] = {"backend", "p99_ns", "label"};
    struct kvb_table t;
    assert_int_equal(kvb_table_init(&t, cols, 3), 0);
    assert_int_equal(t.ncols, 3);
    assert_int_equal(t.nrows, 0);
    assert_int_equal(kvb_table_col(&t, "p99_ns"), 1);
    assert_int_equal(kvb_table_col(&t, "nope"), -1);

    char buf[32];
    for (int i = 0; i < 100; i++) { /* grows past the first allocation */
        snprintf(buf, sizeof(buf), "%d", i);
        const char *row[] = {"lmdb", buf, NULL};
        assert_int_equal(kvb_table_add_row(&t, row), 0);
    }
    buf[0] = 'X'; /* cells were copied */
    assert_int_equal(t.nrows, 100);
    assert_string_equal(kvb_table_get(&t, 0, "p99_ns"), "0");
    assert_string_equal(kvb_table_get(&t, 99, "p99_ns"), "99");
    assert_string_equal(kvb_table_get(&t, 5, "label"), ""); /* NULL cell: "" */
    assert_null(kvb_table_get(&t, 5, "nope"));
    assert_null(kvb_table_get(&t, 100, "backend"));
    kvb_table_free(&t);
    assert_int_equal(t.nrows, 0);
    assert_null(t.rows);
    kvb_table_free(&t); /* twice is harmless */
}

static const char *tricky[] = {
    "plain",
    "with,comma",
    "with \"quotes\"",
    "\"",
    "\"\"",
    "line\nbreak",
    "crlf\r\ninside",
    "lone\rcr",
    "",
    " leading and trailing ",
    ",",
    "trailing,",
    "end\n",
    "caf\xc3\xa9 \xe2\x9c\x93",
};
#define NTRICKY (sizeof(tricky) / sizeof(tricky[0]))

static void test_csv_round_trip(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], err[512];
    kvbt_mkdtemp(dir, "table");
    snprintf(path, sizeof(path), "%s/out.csv", dir);

    /* column names are quoted too; rows put every tricky cell in every column */
    const char *cols[] = {"name", "a,b", "say \"hi\"", "multi\nline"};
    struct kvb_table t, back;
    assert_int_equal(kvb_table_init(&t, cols, 4), 0);
    for (size_t r = 0; r < NTRICKY; r++) {
        const char *row[4];
        for (size_t c = 0; c < 4; c++)
            row[c] = tricky[(r + c) % NTRICKY];
        assert_int_equal(kvb_table_add_row(&t, row), 0);
    }
    assert_int_equal(kvb_csv_write(path, &t, err, sizeof(err)), 0);
    assert_int_equal(kvb_csv_read(path, &back, err, sizeof(err)), 0);

    assert_int_equal(back.ncols, t.ncols);
    assert_int_equal(back.nrows, t.nrows);
    for (size_t c = 0; c < t.ncols; c++)
        assert_string_equal(back.cols[c], t.cols[c]);
    for (size_t r = 0; r < t.nrows; r++)
        for (size_t c = 0; c < t.ncols; c++)
            assert_string_equal(back.rows[r][c], t.rows[r][c]);

    kvb_table_free(&t);
    kvb_table_free(&back);
    kvbt_rmtree(dir);
}

static void test_csv_exact_output(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], err[512];
    kvbt_mkdtemp(dir, "table");
    snprintf(path, sizeof(path), "%s/out.csv", dir);

    const char *cols[] = {"k", "v"};
    struct kvb_table t;
    assert_int_equal(kvb_table_init(&t, cols, 2), 0);
    const char *r1[] = {"a,b", "say \"x\""};
    const char *r2[] = {"", "two\nlines"};
    const char *r3[] = {"1", "2"};
    assert_int_equal(kvb_table_add_row(&t, r1), 0);
    assert_int_equal(kvb_table_add_row(&t, r2), 0);
    assert_int_equal(kvb_table_add_row(&t, r3), 0);
    assert_int_equal(kvb_csv_write(path, &t, err, sizeof(err)), 0);
    assert_file_is(path, "k,v\n\"a,b\",\"say \"\"x\"\"\"\n,\"two\nlines\"\n1,2\n");
    kvb_table_free(&t);
    kvbt_rmtree(dir);
}

static void test_csv_one_column_empty_cells(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], err[512];
    kvbt_mkdtemp(dir, "table");
    snprintf(path, sizeof(path), "%s/one.csv", dir);
    const char *cols[] = {"only"};
    struct kvb_table t, back;
    assert_int_equal(kvb_table_init(&t, cols, 1), 0);
    const char *e[] = {""}, *x[] = {"x"};
    assert_int_equal(kvb_table_add_row(&t, x), 0);
    assert_int_equal(kvb_table_add_row(&t, e), 0);
    assert_int_equal(kvb_table_add_row(&t, e), 0); /* last rows empty: not lost */
    assert_int_equal(kvb_csv_write(path, &t, err, sizeof(err)), 0);
    assert_file_is(path, "only\nx\n\"\"\n\"\"\n");
    assert_int_equal(kvb_csv_read(path, &back, err, sizeof(err)), 0);
    assert_int_equal(back.nrows, 3);
    assert_string_equal(back.rows[1][0], "");
    assert_string_equal(back.rows[2][0], "");
    kvb_table_free(&t);
    kvb_table_free(&back);
    kvbt_rmtree(dir);
}

static void test_csv_read_variants(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX], err[512];
    struct kvb_table t;
    kvbt_mkdtemp(dir, "table");

    /* CRLF line ends, a BOM, a quoted cell spanning lines, no final newline */
    kvbt_write_file(dir, "crlf.csv",
                    "\xef\xbb\xbfid,text\r\n1,\"a\r\nb\"\r\n2,x\"y\r\n3,\"\"\r\n4,last", path);
    assert_int_equal(kvb_csv_read(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t.ncols, 2);
    assert_string_equal(t.cols[0], "id");
    assert_int_equal(t.nrows, 4);
    assert_string_equal(kvb_table_get(&t, 0, "text"), "a\r\nb");
    assert_string_equal(kvb_table_get(&t, 1, "text"), "x\"y"); /* stray quote: literal */
    assert_string_equal(kvb_table_get(&t, 2, "text"), "");
    assert_string_equal(kvb_table_get(&t, 3, "id"), "4");
    assert_string_equal(kvb_table_get(&t, 3, "text"), "last");
    kvb_table_free(&t);

    /* blank lines at the end are ignored; header-only is an empty table */
    kvbt_write_file(dir, "trailing.csv", "a,b\n1,2\n\n\r\n", path);
    assert_int_equal(kvb_csv_read(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t.nrows, 1);
    kvb_table_free(&t);
    kvbt_write_file(dir, "header.csv", "a,b,c\n", path);
    assert_int_equal(kvb_csv_read(path, &t, err, sizeof(err)), 0);
    assert_int_equal(t.ncols, 3);
    assert_int_equal(t.nrows, 0);
    kvb_table_free(&t);

    /* trailing comma: one more, empty, cell */
    kvbt_write_file(dir, "comma.csv", "a,b\n1,\n", path);
    assert_int_equal(kvb_csv_read(path, &t, err, sizeof(err)), 0);
    assert_string_equal(kvb_table_get(&t, 0, "b"), "");
    kvb_table_free(&t);

    kvbt_rmtree(dir);
}

/* Reads text as CSV and expects the error "PATH:<line>: <what>". */
static void expect_read_error(const char *dir, const char *text, unsigned line, const char *what)
{
    char path[PATH_MAX], err[512], want[PATH_MAX + 256];
    struct kvb_table t;
    kvbt_write_file(dir, "bad.csv", text, path);
    assert_int_equal(kvb_csv_read(path, &t, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:%u: %s", path, line, what);
    assert_string_equal(err, want);
    assert_int_equal(t.nrows, 0); /* nothing to free */
    assert_null(t.cols);
}

static void test_csv_read_errors(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "table");

    expect_read_error(dir, "a,b\n1,2\n3\n", 3, "1 cell, expected 2 as in the header");
    expect_read_error(dir, "a,b\n1,2,3\n", 2, "3 cells, expected 2 as in the header");
    /* line numbers count the lines inside quoted cells; a row is named by its first line */
    expect_read_error(dir, "a,b\n\"x\ny\nz\",2\n1,2,3\n", 5,
                      "3 cells, expected 2 as in the header");
    expect_read_error(dir, "a,b\n1,\"two\nlines\",3\n", 2, "3 cells, expected 2 as in the header");
    /* an empty line inside the data is a row of one empty cell */
    expect_read_error(dir, "a,b\n1,2\n\n3,4\n", 3, "1 cell, expected 2 as in the header");
    expect_read_error(dir, "a,b\n1,\"never closed\n2,3\n", 2, "unterminated quote");
    expect_read_error(dir, "a,b\n1,\"x\"y\n", 2, "unexpected character after a closing quote");
    expect_read_error(dir, "", 1, "empty file (expected a header line of column names)");
    expect_read_error(dir, "\n\n", 1, "empty file (expected a header line of column names)");

    char err[512], missing[PATH_MAX * 2], want[PATH_MAX * 3];
    struct kvb_table t;
    snprintf(missing, sizeof(missing), "%s/missing.csv", dir);
    assert_int_equal(kvb_csv_read(missing, &t, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "open %s: %s", missing, strerror(ENOENT));
    assert_string_equal(err, want);
    kvbt_rmtree(dir);
}

static void test_atomic_write(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], err[512];
    bool has_tmp;
    kvbt_mkdtemp(dir, "table");
    snprintf(path, sizeof(path), "%s/data.txt", dir);

    assert_int_equal(kvb_write_atomic(path, "first\n", 6, err, sizeof(err)), 0);
    assert_file_is(path, "first\n");
    assert_int_equal(dir_entries(dir, &has_tmp), 1);
    assert_false(has_tmp);

    assert_int_equal(kvb_write_atomic(path, "second, longer\n", 15, err, sizeof(err)), 0);
    assert_file_is(path, "second, longer\n");
    assert_int_equal(kvb_write_atomic(path, "", 0, err, sizeof(err)), 0);
    assert_file_is(path, "");
    assert_int_equal(dir_entries(dir, &has_tmp), 1);
    assert_false(has_tmp);

    /* a relative path (its directory is ".") */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(kvb_write_atomic("rel.txt", "r", 1, err, sizeof(err)), 0);
    assert_int_equal(chdir(cwd), 0);
    snprintf(path, sizeof(path), "%s/rel.txt", dir);
    assert_file_is(path, "r");

    /* a large file, written in more than one write() */
    size_t big = 4u << 20;
    char *data = malloc(big + 1);
    assert_non_null(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)('a' + i % 26);
    data[big] = '\0';
    snprintf(path, sizeof(path), "%s/big.txt", dir);
    assert_int_equal(kvb_write_atomic(path, data, big, err, sizeof(err)), 0);
    assert_file_is(path, data);
    free(data);
    assert_int_equal(dir_entries(dir, &has_tmp), 3);
    assert_false(has_tmp);
    kvbt_rmtree(dir);
}

/* Runs kvb_write_atomic(path, "new contents") in a child process prepared by
 * how: 'u' drops root's privileges (to uid/gid 65534), 'f' limits file size
 * to 4 bytes. Returns its result with its message in err; skips the test
 * if privileges cannot be dropped. */
struct write_child {
    const char *path;
    char how;
};

static int write_child(void *arg, char *msg, size_t n)
{
    const struct write_child *c = arg;
    if (c->how == 'u' && kvbt_drop_root() != 0)
        return 77;
    if (c->how == 'f') {
        struct rlimit rl = {.rlim_cur = 4, .rlim_max = RLIM_INFINITY};
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 4;
        signal(SIGXFSZ, SIG_IGN); /* write fails with EFBIG instead */
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            return 77;
    }
    return kvb_write_atomic(c->path, "new contents", 12, msg, n) == 0 ? 0 : 1;
}

static int write_in_child(const char *path, char how, char *err, size_t errlen)
{
    struct write_child c = {path, how};
    return kvbt_in_child(write_child, &c, err, errlen) == 0 ? 0 : -1;
}

static void test_atomic_unwritable_dir(void **state)
{
    (void)state;
    char dir[PATH_MAX], sub[PATH_MAX * 2], path[PATH_MAX * 3], err[512];
    bool has_tmp;
    kvbt_mkdtemp(dir, "table");
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(sub, sizeof(sub), "%s/results", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof(path), "%s/sweep.csv", sub);
    assert_int_equal(kvb_write_atomic(path, "old\n", 4, err, sizeof(err)), 0);
    assert_int_equal(chmod(path, 0666), 0); /* the file itself is writable... */
    assert_int_equal(chmod(sub, 0555), 0);  /* ...but not its directory */

    assert_int_equal(write_in_child(path, 'u', err, sizeof(err)), -1);
    assert_non_null(strstr(err, "open "));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, ".tmp."));
    assert_non_null(strstr(err, strerror(EACCES)));
    assert_file_is(path, "old\n");
    assert_int_equal(dir_entries(sub, &has_tmp), 1);
    assert_false(has_tmp);

    assert_int_equal(chmod(sub, 0755), 0);
    kvbt_rmtree(dir);
}

static void test_atomic_write_fails(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], err[512];
    bool has_tmp;
    kvbt_mkdtemp(dir, "table");
    snprintf(path, sizeof(path), "%s/sweep.csv", dir);
    assert_int_equal(kvb_write_atomic(path, "old\n", 4, err, sizeof(err)), 0);

    /* the disk "fills up" after 4 bytes */
    assert_int_equal(write_in_child(path, 'f', err, sizeof(err)), -1);
    assert_true(strncmp(err, "write ", 6) == 0);
    assert_non_null(strstr(err, ".tmp."));
    assert_non_null(strstr(err, strerror(EFBIG)));
    assert_file_is(path, "old\n");
    assert_int_equal(dir_entries(dir, &has_tmp), 1);
    assert_false(has_tmp);
    kvbt_rmtree(dir);
}

static void test_atomic_rename_fails(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX * 2], f[PATH_MAX], err[512];
    bool has_tmp;
    kvbt_mkdtemp(dir, "table");
    /* the destination is a non-empty directory: rename fails, after the
     * temporary file was written and synced */
    snprintf(path, sizeof(path), "%s/target", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    kvbt_write_file(path, "inside", "still here", f);

    assert_int_equal(kvb_write_atomic(path, "x", 1, err, sizeof(err)), -1);
    assert_true(strncmp(err, "rename ", 7) == 0);
    assert_non_null(strstr(err, path));
    assert_file_is(f, "still here");
    assert_int_equal(dir_entries(dir, &has_tmp), 1);
    assert_false(has_tmp);

    /* a directory that does not exist: the open fails, nothing is created */
    snprintf(path, sizeof(path), "%s/no/such/dir.csv", dir);
    assert_int_equal(kvb_write_atomic(path, "x", 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, strerror(ENOENT)));
    kvbt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_basics),
        cmocka_unit_test(test_csv_round_trip),
        cmocka_unit_test(test_csv_exact_output),
        cmocka_unit_test(test_csv_one_column_empty_cells),
        cmocka_unit_test(test_csv_read_variants),
        cmocka_unit_test(test_csv_read_errors),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_atomic_unwritable_dir),
        cmocka_unit_test(test_atomic_write_fails),
        cmocka_unit_test(test_atomic_rename_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
