/*
 * test_fs.c - kvb_mkdir_p, kvb_rmtree, kvb_path_join, kvb_read_file and
 * kvb_read_fd.
 *
 * Permission failures are provoked for real: in a child process that, when
 * the tests run as root, first drops to the unprivileged "nobody" (root
 * ignores directory permissions); the test is skipped if that is impossible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "util/fs.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

typedef int (*child_fn)(const char *path, char *err, size_t errlen);

/* Runs fn(path) in a child process without root's privileges (dropping to
 * uid/gid 65534 when running as root) and returns its result, with its
 * message in err. Skips the test when privileges cannot be dropped. */
struct unpriv {
    child_fn fn;
    const char *path;
};

static int unpriv_child(void *arg, char *msg, size_t n)
{
    const struct unpriv *u = arg;
    int code = kvbt_drop_root();
    return code ? code : u->fn(u->path, msg, n) == 0 ? 0 : 1;
}

static int unprivileged(child_fn fn, const char *path, char *err, size_t errlen)
{
    struct unpriv u = {fn, path};
    return kvbt_in_child(unpriv_child, &u, err, errlen) == 0 ? 0 : -1;
}

static void test_mkdir_p(void **state)
{
    (void)state;
    char dir[PATH_MAX], p[PATH_MAX * 2], err[512];
    kvbt_mkdtemp(dir, "fs");

    snprintf(p, sizeof(p), "%s/a/b/c", dir);
    assert_int_equal(kvb_mkdir_p(p, err, sizeof(err)), 0);
    assert_true(is_dir(p));
    assert_int_equal(kvb_mkdir_p(p, err, sizeof(err)), 0); /* existing: fine */

    /* repeated and trailing slashes */
    snprintf(p, sizeof(p), "%s//x///y/", dir);
    assert_int_equal(kvb_mkdir_p(p, err, sizeof(err)), 0);
    snprintf(p, sizeof(p), "%s/x/y", dir);
    assert_true(is_dir(p));

    /* relative to the working directory */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(kvb_mkdir_p("rel/one", err, sizeof(err)), 0);
    assert_int_equal(chdir(cwd), 0);
    snprintf(p, sizeof(p), "%s/rel/one", dir);
    assert_true(is_dir(p));

    assert_int_equal(kvb_mkdir_p("/", err, sizeof(err)), 0);
    kvbt_rmtree(dir);
}

static void test_mkdir_p_errors(void **state)
{
    (void)state;
    char dir[PATH_MAX], file[PATH_MAX], p[PATH_MAX * 2], err[512], want[PATH_MAX * 2];
    kvbt_mkdtemp(dir, "fs");
    kvbt_write_file(dir, "plain", "x", file);

    /* a file where a directory should be, at the end and in the middle */
    assert_int_equal(kvb_mkdir_p(file, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOTDIR);
    snprintf(want, sizeof(want), "mkdir %s: %s", file, strerror(ENOTDIR));
    assert_string_equal(err, want);

    snprintf(p, sizeof(p), "%s/below", file);
    assert_int_equal(kvb_mkdir_p(p, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_non_null(strstr(err, file));

    assert_int_equal(kvb_mkdir_p("", err, sizeof(err)), -1);

    /* NULL err is allowed */
    assert_int_equal(kvb_mkdir_p(file, NULL, 0), -1);
    kvbt_rmtree(dir);
}

static int child_mkdir_p(const char *path, char *err, size_t errlen)
{
    return kvb_mkdir_p(path, err, errlen);
}

static void test_mkdir_p_permission(void **state)
{
    (void)state;
    char dir[PATH_MAX], locked[PATH_MAX * 2], p[PATH_MAX * 3], err[512], want[PATH_MAX * 3];
    kvbt_mkdtemp(dir, "fs");
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(locked, sizeof(locked), "%s/locked", dir);
    assert_int_equal(mkdir(locked, 0555), 0);
    assert_int_equal(chmod(locked, 0555), 0);

    snprintf(p, sizeof(p), "%s/new/deeper", locked);
    assert_int_equal(unprivileged(child_mkdir_p, p, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "mkdir %s/new: %s", locked, strerror(EACCES));
    assert_string_equal(err, want);

    kvbt_rmtree(dir);
}

static void test_rmtree(void **state)
{
    (void)state;
    char dir[PATH_MAX], outside[PATH_MAX], tree[PATH_MAX * 2], p[PATH_MAX * 3], keep[PATH_MAX],
        target[PATH_MAX * 2], err[512];
    kvbt_mkdtemp(dir, "fs");
    kvbt_mkdtemp(outside, "fs-outside");
    kvbt_write_file(outside, "keep", "precious", keep);

    snprintf(tree, sizeof(tree), "%s/tree", dir);
    snprintf(p, sizeof(p), "%s/a/b/c", tree);
    assert_int_equal(kvb_mkdir_p(p, err, sizeof(err)), 0);
    char f[PATH_MAX];
    kvbt_write_file(p, "f1", "1", f);
    snprintf(p, sizeof(p), "%s/a", tree);
    kvbt_write_file(p, "f2", "2", f);
    snprintf(p, sizeof(p), "%s/a/empty", tree);
    assert_int_equal(mkdir(p, 0700), 0);
    /* links out of the tree, to a directory and to a file, and a dangling one */
    snprintf(p, sizeof(p), "%s/a/link-dir", tree);
    assert_int_equal(symlink(outside, p), 0);
    snprintf(p, sizeof(p), "%s/link-file", tree);
    assert_int_equal(symlink(keep, p), 0);
    snprintf(p, sizeof(p), "%s/dangling", tree);
    assert_int_equal(symlink("/nonexistent/kvbench", p), 0);

    assert_int_equal(kvb_rmtree(tree, err, sizeof(err)), 0);
    assert_false(exists(tree));
    assert_true(is_dir(outside)); /* symlinks were removed, not followed */
    char *text = kvbt_read_file(keep);
    assert_non_null(text);
    assert_string_equal(text, "precious");
    free(text);

    /* rm -rf semantics: nothing there is fine */
    assert_int_equal(kvb_rmtree(tree, err, sizeof(err)), 0);

    /* a plain file and a symlink as the top path */
    kvbt_write_file(dir, "single", "x", f);
    assert_int_equal(kvb_rmtree(f, err, sizeof(err)), 0);
    assert_false(exists(f));
    snprintf(p, sizeof(p), "%s/toplink", dir);
    snprintf(target, sizeof(target), "%s", outside);
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(kvb_rmtree(p, err, sizeof(err)), 0);
    assert_false(exists(p));
    assert_true(exists(keep));

    kvbt_rmtree(dir);
    kvbt_rmtree(outside);
}

static void test_rmtree_refuses(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(kvb_rmtree("", err, sizeof(err)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(kvb_rmtree("/", err, sizeof(err)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(kvb_rmtree("///", err, sizeof(err)), -1);
    assert_true(is_dir("/tmp") || is_dir("/")); /* still here */
}

static int child_rmtree(const char *path, char *err, size_t errlen)
{
    return kvb_rmtree(path, err, errlen);
}

static void test_rmtree_permission(void **state)
{
    (void)state;
    char dir[PATH_MAX], tree[PATH_MAX * 2], f[PATH_MAX], err[512], want[PATH_MAX * 2];
    kvbt_mkdtemp(dir, "fs");
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(tree, sizeof(tree), "%s/tree", dir);
    assert_int_equal(mkdir(tree, 0755), 0);
    kvbt_write_file(tree, "file", "x", f);
    assert_int_equal(chmod(tree, 0555), 0);

    /* not allowed to unlink in tree: the message names the call and the file */
    assert_int_equal(unprivileged(child_rmtree, tree, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "unlink %s: %s", f, strerror(EACCES));
    assert_string_equal(err, want);
    assert_true(exists(f));

    assert_int_equal(chmod(tree, 0755), 0);
    kvbt_rmtree(dir);
}

static void test_path_join(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(kvb_path_join(out, sizeof(out), "a", "b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(kvb_path_join(out, sizeof(out), "a/", "b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(kvb_path_join(out, sizeof(out), "/", "etc"), 0);
    assert_string_equal(out, "/etc");
    assert_int_equal(kvb_path_join(out, sizeof(out), "", "b"), 0);
    assert_string_equal(out, "b");
    assert_int_equal(kvb_path_join(out, sizeof(out), "a", "/b"), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(kvb_path_join(out, sizeof(out), "/data/run-1", "wal/000001.log"), 0);
    assert_string_equal(out, "/data/run-1/wal/000001.log");

    /* exactly fitting, and one byte short */
    assert_int_equal(kvb_path_join(out, 6, "ab", "cd"), 0);
    assert_string_equal(out, "ab/cd");
    assert_int_equal(kvb_path_join(out, 5, "ab", "cd"), -1);
    assert_string_equal(out, "ab/c");
    assert_int_equal(kvb_path_join(out, 3, "abcd", "ef"), -1);
    assert_string_equal(out, "ab");
    assert_int_equal(kvb_path_join(out, 1, "a", "b"), -1);
    assert_string_equal(out, "");
    assert_int_equal(kvb_path_join(out, 0, "a", "b"), -1);

    /* appending in place */
    snprintf(out, sizeof(out), "/base");
    assert_int_equal(kvb_path_join(out, sizeof(out), out, "leaf"), 0);
    assert_string_equal(out, "/base/leaf");
}

/* A file of size bytes, byte i = i * 7 + 1 (so some are NUL). */
static void write_pattern(const char *path, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++)
        assert_int_not_equal(fputc((int)((i * 7 + 1) & 0xff), f), EOF);
    assert_int_equal(fclose(f), 0);
}

static void check_pattern(const char *buf, size_t len, size_t size)
{
    assert_int_equal(len, size);
    for (size_t i = 0; i < size; i++)
        if ((unsigned char)buf[i] != ((i * 7 + 1) & 0xff))
            fail_msg("byte %zu of %zu: %u", i, size, (unsigned char)buf[i]);
    assert_int_equal(buf[len], '\0');
}

static void test_read_file(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16], err[PATH_MAX + 64], *buf;
    size_t len;
    kvbt_mkdtemp(dir, "readfile");

    /* empty; a few bytes; more than the first 64 KiB buffer, with NULs */
    static const size_t sizes[] = {0, 1, 100, 65534, 65535, 65536, 200000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(path, sizeof(path), "%s/f%zu", dir, i);
        write_pattern(path, sizes[i]);
        len = 12345;
        assert_int_equal(kvb_read_file(path, 0, &buf, &len, err, sizeof(err)), 0);
        check_pattern(buf, len, sizes[i]);
        free(buf);
        /* a limit the file just fits under, and one it passes by a byte */
        assert_int_equal(kvb_read_file(path, sizes[i] ? sizes[i] : 1, &buf, &len, err,
                                       sizeof(err)),
                         0);
        check_pattern(buf, len, sizes[i]);
        free(buf);
        if (sizes[i] < 2)
            continue; /* max 0 is no limit */
        buf = (char *)1;
        errno = 0;
        assert_int_equal(kvb_read_file(path, sizes[i] - 1, &buf, &len, err, sizeof(err)), -1);
        assert_int_equal(errno, EFBIG);
        assert_null(buf);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof(want), "read %s: %s", path, strerror(EFBIG));
        assert_string_equal(err, want);
    }

    /* what fails names the call and the path */
    snprintf(path, sizeof(path), "%s/absent", dir);
    errno = 0;
    assert_int_equal(kvb_read_file(path, 0, &buf, &len, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(buf);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "open %s: %s", path, strerror(ENOENT));
    assert_string_equal(err, want);
    assert_int_equal(kvb_read_file(dir, 0, &buf, &len, NULL, 0), -1); /* err may be NULL */
    assert_int_equal(errno, EISDIR);
    kvbt_rmtree(dir);
}

/* kvb_read_fd reads a pipe to its end, across many short reads. */
static void test_read_fd(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char chunk[1000];
        for (size_t i = 0; i < 150; i++) {
            for (size_t j = 0; j < sizeof(chunk); j++)
                chunk[j] = (char)((i * sizeof(chunk) + j) * 7 + 1);
            if (write(fds[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    char *buf, err[128];
    size_t len;
    assert_int_equal(kvb_read_fd(fds[0], "the pipe", 0, &buf, &len, err, sizeof(err)), 0);
    check_pattern(buf, len, 150000);
    free(buf);
    /* at the end now: nothing more, still a string */
    assert_int_equal(kvb_read_fd(fds[0], "the pipe", 0, &buf, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    close(fds[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    assert_int_equal(kvb_read_fd(-1, "nothing", 0, &buf, &len, err, sizeof(err)), -1);
    assert_int_equal(errno, EBADF);
    assert_null(buf);
    assert_string_equal(err, "read nothing: Bad file descriptor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_mkdir_p_errors),
        cmocka_unit_test(test_mkdir_p_permission),
        cmocka_unit_test(test_rmtree),
        cmocka_unit_test(test_rmtree_refuses),
        cmocka_unit_test(test_rmtree_permission),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
