/*
 * testutil.h - fixtures shared by the cmocka tests: temporary directories
 * that are removed afterwards, writing and reading small files, forked
 * children. Nothing here needs kvbench (awdb's own tests link testutil.c
 * alone); testutil_run.h runs a benchmark.
 */
#ifndef KVB_TESTS_TESTUTIL_H
#define KVB_TESTS_TESTUTIL_H

#include <limits.h>
#include <stddef.h>

/* Makes a fresh directory under $TMPDIR (or /tmp) named kvbtest-<tag>-XXXXXX
 * and writes its path into dir (PATH_MAX bytes). Fails the test on error. */
void kvbt_mkdtemp(char *dir, const char *tag);

/* Removes dir and everything below it (nftw). Fails the test on error. */
void kvbt_rmtree(const char *dir);

/* Writes text to dir/name and stores the full path in path (PATH_MAX bytes). */
void kvbt_write_file(const char *dir, const char *name, const char *text, char *path);

/* Reads a whole file into a malloc'd, NUL-terminated buffer (caller frees);
 * NULL if it cannot be read. */
char *kvbt_read_file(const char *path);

/* The same, also storing the byte count (the file may hold NULs). */
char *kvbt_read_file_n(const char *path, size_t *size);

/* Runs fn(arg, msg, msglen) in a forked child and returns what it returned:
 * 0 or 1 as fn decides, and 77 skips the calling test (the child could not
 * set itself up). The child's message is copied into err. */
int kvbt_in_child(int (*fn)(void *arg, char *msg, size_t msglen), void *arg, char *err,
                  size_t errlen);

/* In a child: gives up root's privileges (uid/gid 65534). Returns 0, or 77
 * when running as root and they cannot be dropped. */
int kvbt_drop_root(void);

/* Skips the calling test, printing why (printf-style) - or fails it under
 * CI (the environment has CI=true, as .ci/run sets it): for checks that CI
 * installs what they need for and must run (Chromium, tmpfs mounts). */
void kvbt_skip_or_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
