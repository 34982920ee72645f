/*
 * io_fault.c - the fault-injecting I/O table for tests (see awdb_fault.h).
 * It passes calls through to the POSIX table while keeping, per file path,
 * how long the file is and how much of it has been synced, so that a crash
 * can later be made real by cutting each file back to its synced length.
 */
#include "backends/awdb/awdb_fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAULT_MAX_FD 4096

/* Bytes an overwrite replaced since the file's last sync. */
struct fault_undo {
    uint64_t off;
    size_t n;
    uint8_t *old;
};

struct fault_file {
    char *path;
    uint64_t len;      /* bytes the file holds now, as seen through this table */
    uint64_t synced;   /* length at the last successful sync (lowered by overwrites) */
    uint64_t dur_len;  /* length at the last successful sync */
    struct fault_undo *undo; /* overwrites since then, oldest first */
    size_t nundo, capundo;
    struct fault_file *next;
};

struct awdb_fault {
    struct awdb_io io;
    pthread_mutex_t mu;
    struct fault_file *files;
    struct fault_file *by_fd[FAULT_MAX_FD];
    unsigned fail_write, fail_sync; /* countdowns; 0 = disarmed */
    int write_err, sync_err;
    size_t fail_big; /* the next pwrite of at least this many bytes fails; 0 = disarmed */
    int big_err;
    bool crashed;
    _Atomic uint64_t writes, syncs;
};

static void undo_clear(struct fault_file *ff);

static void file_free(struct fault_file *ff)
{
    undo_clear(ff);
    free(ff->undo);
    free(ff->path);
    free(ff);
}

static const struct awdb_io *px(void)
{
    return awdb_io_posix();
}

/* The record for path, made (with *fresh set) if there is none yet. */
static struct fault_file *file_for(struct awdb_fault *f, const char *path, bool *fresh)
{
    *fresh = false;
    for (struct fault_file *ff = f->files; ff; ff = ff->next)
        if (strcmp(ff->path, path) == 0)
            return ff;
    *fresh = true;
    struct fault_file *ff = calloc(1, sizeof *ff);
    if (!ff)
        return NULL;
    ff->path = strdup(path);
    if (!ff->path) {
        free(ff);
        return NULL;
    }
    ff->next = f->files;
    f->files = ff;
    return ff;
}

static int f_open(void *ctx, const char *path, int flags, unsigned mode)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    int rc;
    if (f->crashed) {
        rc = -EIO;
        goto out;
    }
    rc = px()->open(NULL, path, flags, mode);
    if (rc < 0 || rc >= FAULT_MAX_FD)
        goto out;
    struct stat st;
    if (fstat(rc, &st) == 0 && S_ISREG(st.st_mode)) {
        bool fresh;
        struct fault_file *ff = file_for(f, path, &fresh);
        if (!ff) {
            close(rc);
            rc = -ENOMEM;
            goto out;
        }
        ff->len = (uint64_t)st.st_size;
        /* Bytes that were there before this table saw the file count as durable. */
        if (fresh || ff->synced > ff->len)
            ff->synced = ff->len;
        if (fresh || ff->dur_len > ff->len)
            ff->dur_len = ff->len;
        f->by_fd[rc] = ff;
    }
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void undo_clear(struct fault_file *ff)
{
    for (size_t i = 0; i < ff->nundo; i++)
        free(ff->undo[i].old);
    ff->nundo = 0;
}

/* Keeps what [off, off + n) of the file holds before an overwrite (under
 * f->mu), for awdb_fault_power_loss. Best effort: tests only. */
static void undo_note(struct fault_file *ff, uint64_t off, size_t n)
{
    if (off >= ff->len)
        return;
    if (off + n > ff->len)
        n = (size_t)(ff->len - off);
    if (ff->nundo == ff->capundo) {
        size_t cap = ff->capundo ? ff->capundo * 2 : 64;
        struct fault_undo *u = realloc(ff->undo, cap * sizeof *u);
        if (!u)
            return;
        ff->undo = u;
        ff->capundo = cap;
    }
    uint8_t *old = malloc(n);
    int fd = open(ff->path, O_RDONLY | O_CLOEXEC);
    if (!old || fd < 0 || pread(fd, old, n, (off_t)off) != (ssize_t)n) {
        free(old);
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    ff->undo[ff->nundo++] = (struct fault_undo){off, n, old};
}

static long f_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
    struct awdb_fault *f = ctx;
    atomic_fetch_add(&f->writes, 1);
    pthread_mutex_lock(&f->mu);
    long rc;
    if (f->crashed) {
        rc = -EIO;
        goto out;
    }
    if (f->fail_write && --f->fail_write == 0) {
        rc = -f->write_err;
        goto out;
    }
    if (f->fail_big && n >= f->fail_big) {
        f->fail_big = 0;
        rc = -f->big_err;
        goto out;
    }
    if (fd >= 0 && fd < FAULT_MAX_FD && f->by_fd[fd])
        undo_note(f->by_fd[fd], off, n);
    rc = px()->pwrite(NULL, fd, buf, n, off);
    if (rc > 0 && fd >= 0 && fd < FAULT_MAX_FD && f->by_fd[fd]) {
        struct fault_file *ff = f->by_fd[fd];
        if (off + (uint64_t)rc > ff->len)
            ff->len = off + (uint64_t)rc;
        if (off < ff->synced) /* overwriting synced bytes: treat them as unsynced */
            ff->synced = off;
    }
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static long f_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
    (void)ctx;
    return px()->pread(NULL, fd, buf, n, off);
}

static int f_sync(void *ctx, int fd)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    int rc;
    bool file = fd >= 0 && fd < FAULT_MAX_FD && f->by_fd[fd];
    if (file)
        atomic_fetch_add(&f->syncs, 1);
    if (f->crashed) {
        rc = -EIO;
        goto out;
    }
    if (file && f->fail_sync && --f->fail_sync == 0) {
        rc = -f->sync_err;
        goto out;
    }
    rc = px()->sync(NULL, fd);
    if (rc == 0 && file) {
        struct fault_file *ff = f->by_fd[fd];
        ff->synced = ff->dur_len = ff->len;
        undo_clear(ff);
    }
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int f_truncate(void *ctx, int fd, uint64_t len)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    int rc = f->crashed ? -EIO : px()->truncate(NULL, fd, len);
    if (rc == 0 && fd >= 0 && fd < FAULT_MAX_FD && f->by_fd[fd]) {
        struct fault_file *ff = f->by_fd[fd];
        ff->len = len;
        if (ff->synced > len)
            ff->synced = len;
        if (ff->dur_len > len)
            ff->dur_len = len;
        undo_clear(ff); /* recovery cuts a tail, then syncs */
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int f_size(void *ctx, int fd, uint64_t *len)
{
    (void)ctx;
    return px()->size(NULL, fd, len);
}

static int f_close(void *ctx, int fd)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    if (fd >= 0 && fd < FAULT_MAX_FD)
        f->by_fd[fd] = NULL;
    pthread_mutex_unlock(&f->mu);
    return px()->close(NULL, fd);
}

static int f_unlink(void *ctx, const char *path)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    int rc;
    if (f->crashed) {
        rc = -EIO;
        goto out;
    }
    rc = px()->unlink(NULL, path);
    if (rc == 0) {
        for (struct fault_file **pp = &f->files; *pp; pp = &(*pp)->next) {
            if (strcmp((*pp)->path, path) == 0) {
                struct fault_file *ff = *pp;
                *pp = ff->next;
                for (int i = 0; i < FAULT_MAX_FD; i++)
                    if (f->by_fd[i] == ff)
                        f->by_fd[i] = NULL;
                file_free(ff);
                break;
            }
        }
    }
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

struct awdb_fault *awdb_fault_new(void)
{
    struct awdb_fault *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    f->io = (struct awdb_io){
        .ctx = f,
        .open = f_open,
        .pwrite = f_pwrite,
        .pread = f_pread,
        .sync = f_sync,
        .truncate = f_truncate,
        .size = f_size,
        .close = f_close,
        .unlink = f_unlink,
    };
    return f;
}

void awdb_fault_free(struct awdb_fault *f)
{
    if (!f)
        return;
    while (f->files) {
        struct fault_file *ff = f->files;
        f->files = ff->next;
        file_free(ff);
    }
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const struct awdb_io *awdb_fault_io(struct awdb_fault *f)
{
    return &f->io;
}

void awdb_fault_fail_write(struct awdb_fault *f, unsigned nth, int err)
{
    pthread_mutex_lock(&f->mu);
    f->fail_write = nth;
    f->write_err = err;
    pthread_mutex_unlock(&f->mu);
}

void awdb_fault_fail_big_write(struct awdb_fault *f, size_t min_bytes, int err)
{
    pthread_mutex_lock(&f->mu);
    f->fail_big = min_bytes;
    f->big_err = err;
    pthread_mutex_unlock(&f->mu);
}

void awdb_fault_fail_sync(struct awdb_fault *f, unsigned nth, int err)
{
    pthread_mutex_lock(&f->mu);
    f->fail_sync = nth;
    f->sync_err = err;
    pthread_mutex_unlock(&f->mu);
}

void awdb_fault_crash(struct awdb_fault *f)
{
    pthread_mutex_lock(&f->mu);
    f->crashed = true;
    pthread_mutex_unlock(&f->mu);
}

long awdb_fault_apply(struct awdb_fault *f, unsigned torn_seed)
{
    long dropped = 0;
    unsigned r = torn_seed;
    pthread_mutex_lock(&f->mu);
    for (struct fault_file *ff = f->files; ff; ff = ff->next) {
        uint64_t keep = ff->synced;
        if (ff->len > ff->synced && torn_seed) {
            r = r * 1103515245u + 12345u;
            keep += (uint64_t)((r >> 8) % (ff->len - ff->synced + 1));
        }
        if (keep < ff->len) {
            if (truncate(ff->path, (off_t)keep) < 0 && errno != ENOENT) {
                dropped = -errno;
                break;
            }
            dropped += (long)(ff->len - keep);
            ff->len = keep;
        }
        ff->synced = ff->dur_len = ff->len;
        undo_clear(ff);
    }
    f->crashed = false;
    pthread_mutex_unlock(&f->mu);
    return dropped;
}

#define FAULT_SECTOR 512u

static uint32_t lcg(uint32_t *r)
{
    *r = *r * 1103515245u + 12345u;
    return *r >> 8;
}

long awdb_fault_power_loss(struct awdb_fault *f, unsigned seed)
{
    long lost = 0;
    uint32_t r = seed ? seed : 1;
    pthread_mutex_lock(&f->mu);
    for (struct fault_file *ff = f->files; ff && lost >= 0; ff = ff->next) {
        int fd = open(ff->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT)
                lost = -errno;
            undo_clear(ff);
            continue;
        }
        /* Newest first. A sector whose newer write was kept keeps the older
         * ones too (it holds the newest content); one whose newer write was
         * reverted may lose older ones as well. So every sector ends up as
         * it was at some moment since the sync, each independently. */
        uint64_t *kept = NULL;
        size_t nkept = 0, capkept = 0;
        for (size_t i = ff->nundo; i-- > 0 && lost >= 0;) {
            const struct fault_undo *u = &ff->undo[i];
            uint64_t end = u->off + u->n;
            for (uint64_t s = u->off / FAULT_SECTOR * FAULT_SECTOR; s < end; s += FAULT_SECTOR) {
                bool keep = false;
                for (size_t k = 0; k < nkept && !keep; k++)
                    keep = kept[k] == s;
                if (!keep && lcg(&r) % 2) {
                    if (nkept == capkept) {
                        size_t cap = capkept ? capkept * 2 : 64;
                        uint64_t *nk = realloc(kept, cap * sizeof *nk);
                        if (!nk) {
                            lost = -ENOMEM;
                            break;
                        }
                        kept = nk;
                        capkept = cap;
                    }
                    kept[nkept++] = s;
                    keep = true;
                }
                if (keep)
                    continue;
                uint64_t a = s > u->off ? s : u->off;
                uint64_t b = s + FAULT_SECTOR < end ? s + FAULT_SECTOR : end;
                if (pwrite(fd, u->old + (a - u->off), (size_t)(b - a), (off_t)a) !=
                    (ssize_t)(b - a)) {
                    lost = -EIO;
                    break;
                }
                lost += (long)(b - a);
            }
        }
        free(kept);
        /* Past the durable length the file keeps a random part. */
        if (lost >= 0 && ff->len > ff->dur_len) {
            uint64_t draw = (uint64_t)lcg(&r) << 24 | lcg(&r);
            uint64_t keep = ff->dur_len + draw % (ff->len - ff->dur_len + 1);
            if (ftruncate(fd, (off_t)keep) < 0)
                lost = -errno;
            else
                lost += (long)(ff->len - keep);
            ff->len = keep;
        }
        if (fsync(fd) < 0 && lost >= 0)
            lost = -errno;
        close(fd);
        ff->synced = ff->dur_len = ff->len;
        undo_clear(ff);
    }
    f->crashed = false;
    pthread_mutex_unlock(&f->mu);
    return lost;
}

uint64_t awdb_fault_writes(const struct awdb_fault *f)
{
    return atomic_load(&f->writes);
}

uint64_t awdb_fault_syncs(const struct awdb_fault *f)
{
    return atomic_load(&f->syncs);
}
