/*
 * fuzz_common.h - what the fuzz targets share: a private scratch directory
 * per process (under $KVB_FUZZ_TMPDIR, /dev/shm, $TMPDIR or /tmp, removed at
 * exit) and small file helpers. Header-only (static functions) so that
 * tests/test_fuzz_regress.c can include the targets' sources together and
 * replay their inputs through the very same code.
 *
 * A target that finds a broken property calls kvb_fuzz_fail, which prints
 * why and aborts: libFuzzer reports that as a crash like any other.
 */
#ifndef KVB_FUZZ_COMMON_H
#define KVB_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

/* Each target uses some of these. */
#define KVB_FUZZ_HELPER static __attribute__((unused))

#ifndef KVB_FUZZ_NO_MAIN
/* The fuzzers' UBSan defaults: any report not in fuzz/ubsan.supp is fatal
 * (a crash for libFuzzer). UBSAN_OPTIONS set by hand still wins. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1:suppressions=" KVB_SOURCE_DIR "/fuzz/ubsan.supp";
}
#endif

static void kvb_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void kvb_fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Removes every entry of dir (files only: the targets make no subdirectories). */
KVB_FUZZ_HELPER void kvb_fuzz_empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
}

/* The scratch directories made by this process, removed at exit. */
static char kvb_fuzz_dirs[8][PATH_MAX];
static int kvb_fuzz_ndirs;

KVB_FUZZ_HELPER void kvb_fuzz_cleanup(void)
{
    for (int i = 0; i < kvb_fuzz_ndirs; i++) {
        kvb_fuzz_empty_dir(kvb_fuzz_dirs[i]);
        rmdir(kvb_fuzz_dirs[i]);
    }
    kvb_fuzz_ndirs = 0;
}

/* A new empty directory of this process, named after tag; aborts on failure
 * (a fuzzer without its scratch space has nothing to do). */
KVB_FUZZ_HELPER const char *kvb_fuzz_mkdtemp(const char *tag)
{
    if (kvb_fuzz_ndirs == (int)(sizeof kvb_fuzz_dirs / sizeof kvb_fuzz_dirs[0]))
        kvb_fuzz_fail("too many scratch directories");
    const char *roots[] = {getenv("KVB_FUZZ_TMPDIR"), "/dev/shm", getenv("TMPDIR"), "/tmp"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        struct stat st;
        if (!roots[i] || !roots[i][0] || stat(roots[i], &st) != 0 || !S_ISDIR(st.st_mode) ||
            access(roots[i], W_OK) != 0)
            continue;
        char *p = kvb_fuzz_dirs[kvb_fuzz_ndirs];
        snprintf(p, PATH_MAX, "%s/kvb-fuzz-%s-XXXXXX", roots[i], tag);
        if (!mkdtemp(p))
            continue;
        if (kvb_fuzz_ndirs++ == 0)
            atexit(kvb_fuzz_cleanup);
        return p;
    }
    kvb_fuzz_fail("cannot make a scratch directory for %s", tag);
}

/* Writes n bytes to path (created or truncated); aborts on failure. */
KVB_FUZZ_HELPER void kvb_fuzz_write_file(const char *path, const void *buf, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        kvb_fuzz_fail("cannot create %s: %s", path, strerror(errno));
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            kvb_fuzz_fail("cannot write %s: %s", path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

/* Reads the whole of path into a malloc'd buffer; NULL if it cannot. */
KVB_FUZZ_HELPER uint8_t *kvb_fuzz_read_file(const char *path, size_t *n)
{
    char *buf;
    if (kvb_read_file(path, 0, &buf, n, NULL, 0) != 0)
        return NULL;
    return (uint8_t *)buf;
}

#endif
