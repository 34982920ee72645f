/*
 * testutil.c - temporary directories, small files and forked children for the
 * tests. It includes no kvbench header: awdb's own tests link it alone
 * (testutil_run.c holds what needs kvbench).
 */
#include "tests/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kvbt_mkdtemp(char *dir, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(dir, PATH_MAX, "%s/kvbtest-%s-XXXXXX", tmp, tag);
    assert_non_null(mkdtemp(dir));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void kvbt_rmtree(const char *dir)
{
    int rc = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (rc != 0 && errno != ENOENT)
        fail_msg("cannot remove %s: %s", dir, strerror(errno));
}

void kvbt_write_file(const char *dir, const char *name, const char *text, char *path)
{
    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

int kvbt_in_child(int (*fn)(void *arg, char *msg, size_t msglen), void *arg, char *err,
                  size_t errlen)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        char msg[512] = "";
        int code = fn(arg, msg, sizeof(msg));
        ssize_t w = write(pfd[1], msg, strlen(msg));
        (void)w;
        _exit(code);
    }
    close(pfd[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < errlen && (r = read(pfd[0], err + n, errlen - n - 1)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(pfd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();
    return WEXITSTATUS(status);
}

void kvbt_skip_or_fail(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true"))
        fail_msg("%s; under CI (CI=true) this check must run, not skip", why);
    print_message("skipped: %s\n", why);
    skip();
}

int kvbt_drop_root(void)
{
    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
        return 77;
    return 0;
}

char *kvbt_read_file(const char *path)
{
    return kvbt_read_file_n(path, NULL);
}

char *kvbt_read_file_n(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    if (size)
        *size = len;
    return buf;
}
