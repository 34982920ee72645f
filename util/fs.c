/*
 * fs.c - mkdir -p, rm -rf, path joining and reading a whole file, for run
 * directories, results and the files kvbench reads back (CSVs, configs).
 * Messages name the call and the path, because "Permission denied" alone
 * does not say which of a sweep's hundred directories was the problem.
 */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes "call path: strerror(e)" into err and leaves errno = e. */
static int fs_fail(char *err, size_t errlen, const char *call, const char *path, int e)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s", call, path, strerror(e));
    errno = e;
    return -1;
}

int kvb_mkdir_p(const char *path, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0)
        return fs_fail(err, errlen, "mkdir", "''", ENOENT);
    if (len >= sizeof(buf))
        return fs_fail(err, errlen, "mkdir", path, ENAMETOOLONG);
    memcpy(buf, path, len + 1);

    /* Walk the components left to right; at each '/', the prefix before it
     * is a directory to make. The leading '/' of an absolute path is not a
     * component, and repeated slashes make empty prefixes we skip. */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST)
                return fs_fail(err, errlen, "mkdir", buf, e);
            if (stat(buf, &st) != 0)
                return fs_fail(err, errlen, "stat", buf, errno);
            if (!S_ISDIR(st.st_mode))
                return fs_fail(err, errlen, "mkdir", buf, ENOTDIR);
        }
        buf[i] = saved;
    }
    return 0;
}

/* nftw passes no user pointer to its callback, so the first failure is kept
 * here, one per thread. */
static _Thread_local struct {
    const char *call;
    int err;
    char path[PATH_MAX];
} rm_fail;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc;
    const char *call;
    if (flag == FTW_DP || flag == FTW_DNR) {
        /* FTW_DNR: a directory we could not read; rmdir still succeeds if
         * it happens to be empty, and says ENOTEMPTY/EACCES otherwise. */
        call = "rmdir";
        rc = rmdir(path);
    } else {
        call = "unlink";
        rc = unlink(path);
    }
    if (rc == 0 || errno == ENOENT) /* gone already: someone else removed it */
        return 0;
    rm_fail.call = call;
    rm_fail.err = errno;
    snprintf(rm_fail.path, sizeof(rm_fail.path), "%s", path);
    return 1;
}

int kvb_rmtree(const char *path, char *err, size_t errlen)
{
    if (path[0] == '\0')
        return fs_fail(err, errlen, "rmtree", "''", EINVAL);
    if (strspn(path, "/") == strlen(path))
        return fs_fail(err, errlen, "rmtree", path, EINVAL);

    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return fs_fail(err, errlen, "lstat", path, errno);
    }
    rm_fail.call = NULL;
    /* FTW_DEPTH: a directory after its contents; FTW_PHYS: report symlinks
     * as themselves (FTW_SL) instead of following them. */
    int rc = nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == 0)
        return 0;
    if (rc > 0 && rm_fail.call)
        return fs_fail(err, errlen, rm_fail.call, rm_fail.path, rm_fail.err);
    if (rc < 0 && errno == ENOENT) /* removed by someone else after the lstat */
        return 0;
    return fs_fail(err, errlen, "nftw", path, errno);
}

int kvb_path_join(char *out, size_t n, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t sep = (la > 0 && a[la - 1] != '/' && b[0] != '/') ? 1 : 0;
    size_t total = la + sep + lb;
    if (n == 0)
        return -1;
    /* Copy a first (memmove: out may be a), then the separator, then b,
     * each cut to what still fits before the terminating NUL. */
    size_t pos = 0, room = n - 1;
    size_t k = la < room ? la : room;
    memmove(out, a, k);
    pos = k;
    if (sep && pos < room)
        out[pos++] = '/';
    k = lb < room - pos ? lb : room - pos;
    memmove(out + pos, b, k);
    pos += k;
    out[pos] = '\0';
    return total < n ? 0 : -1;
}

int kvb_read_fd(int fd, const char *name, size_t max, char **out, size_t *len, char *err,
                size_t errlen)
{
    /* The buffer doubles from 64 KiB; one byte is always kept free for the
     * '\0', and a read past max + 1 bytes is never asked for. */
    size_t cap = 65536, n = 0;
    char *b = NULL;
    int e = 0;
    *out = NULL;
    for (;;) {
        if (!b || cap - n < 2) {
            size_t want = b ? cap * 2 : cap;
            char *nb = realloc(b, want);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            b = nb;
            cap = want;
        }
        size_t room = cap - n - 1;
        if (max && max - n < room - 1)
            room = max - n + 1; /* one byte past max tells a file that is too large */
        ssize_t r = read(fd, b + n, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (max && n > max) {
            e = EFBIG;
            break;
        }
    }
    if (e) {
        free(b);
        return fs_fail(err, errlen, "read", name, e);
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

int kvb_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                  size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fs_fail(err, errlen, "open", path, errno);
    int rc = kvb_read_fd(fd, path, max, out, len, err, errlen);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

bool kvb_fs_full_note(const char *path, char *buf, size_t n)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0 || v.f_blocks == 0)
        return false;
    double total = (double)v.f_blocks * (double)v.f_frsize;
    double avail = (double)v.f_bavail * (double)v.f_frsize;
    /* full: less than 1 MiB or 0.5% left */
    if (avail >= 1048576.0 && avail >= total * 0.005)
        return false;
    snprintf(buf, n, "the filesystem of %s is full (%.0f bytes free of %.1f MiB)", path, avail,
             total / 1048576.0);
    return true;
}
