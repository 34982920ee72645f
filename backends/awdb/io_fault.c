/*
 * io_fault.c - the fault-injecting I/O table for tests (see awdb_fault.h).
 * It passes calls through to the POSIX table while keeping, per file path,
 * how long the file is and how much of it has been synced, so that a crash
 * can later be made real by cutting each file back to its synced length.
 *
 * What it keeps of a file changes in five ways (the track_* functions): an
 * open, a write, a sync, a truncation, an unlink. With a journal each change
 * is also appended to a file, so that another process can replay them into
 * a table of its own after this one was killed (awdb_fault_load).
 */
#include "backends/awdb/awdb_fault.h"

#include "backends/awdb/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
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
    int jfd;       /* the journal (awdb_fault_journal), or -1 */
    uint64_t joff; /* its length */
    _Atomic uint64_t writes, syncs;
};

/* A journal record: this header, the path (path_len bytes), then data_len
 * bytes of data (a write's: what it overwrites). */
enum fault_jkind { J_OPEN = 1, J_WRITE, J_SYNC, J_TRUNCATE, J_UNLINK };
struct fault_jhdr {
    uint32_t kind, path_len;
    uint64_t a, b; /* J_OPEN: size; J_WRITE: offset, length; J_TRUNCATE: length */
    uint64_t data_len;
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

static void undo_clear(struct fault_file *ff)
{
    for (size_t i = 0; i < ff->nundo; i++)
        free(ff->undo[i].old);
    ff->nundo = 0;
}

/* What [off, off + n) of the file holds before an overwrite (under f->mu),
 * for awdb_fault_power_loss: a copy of the part below its length (*oldn
 * bytes), or NULL if none. Best effort: tests only. */
static uint8_t *read_old(const struct fault_file *ff, uint64_t off, size_t n, size_t *oldn)
{
    *oldn = 0;
    if (off >= ff->len)
        return NULL;
    if (off + n > ff->len)
        n = (size_t)(ff->len - off);
    uint8_t *old = malloc(n);
    int fd = open(ff->path, O_RDONLY | O_CLOEXEC);
    if (!old || fd < 0 || pread(fd, old, n, (off_t)off) != (ssize_t)n) {
        free(old);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    *oldn = n;
    return old;
}

/* ---- what the table keeps of a file (live, or replayed from a journal) ---- */

/* Opened, holding size bytes; bytes that were there before this table saw
 * the file count as durable. */
static void track_open(struct fault_file *ff, bool fresh, uint64_t size)
{
    ff->len = size;
    if (fresh || ff->synced > ff->len)
        ff->synced = ff->len;
    if (fresh || ff->dur_len > ff->len)
        ff->dur_len = ff->len;
}

/* Written from off to end (end == off: nothing written); old (oldn bytes at
 * off, from read_old) is what it overwrote: taken, kept for a power loss. */
static void track_write(struct fault_file *ff, uint64_t off, uint64_t end, uint8_t *old,
                        size_t oldn)
{
    if (old && ff->nundo == ff->capundo) {
        size_t cap = ff->capundo ? ff->capundo * 2 : 64;
        struct fault_undo *u = realloc(ff->undo, cap * sizeof *u);
        if (u) {
            ff->undo = u;
            ff->capundo = cap;
        }
    }
    if (old && ff->nundo < ff->capundo)
        ff->undo[ff->nundo++] = (struct fault_undo){off, oldn, old};
    else
        free(old);
    if (end == off)
        return;
    if (end > ff->len)
        ff->len = end;
    if (off < ff->synced) /* overwriting synced bytes: treat them as unsynced */
        ff->synced = off;
}

static void track_sync(struct fault_file *ff)
{
    ff->synced = ff->dur_len = ff->len;
    undo_clear(ff);
}

static void track_truncate(struct fault_file *ff, uint64_t len)
{
    ff->len = len;
    if (ff->synced > len)
        ff->synced = len;
    if (ff->dur_len > len)
        ff->dur_len = len;
    undo_clear(ff); /* recovery cuts a tail, then syncs */
}

/* Unlinked: forgotten (and no descriptor refers to it any more). */
static void track_unlink(struct awdb_fault *f, const char *path)
{
    for (struct fault_file **pp = &f->files; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->path, path) == 0) {
            struct fault_file *ff = *pp;
            *pp = ff->next;
            for (int i = 0; i < FAULT_MAX_FD; i++)
                if (f->by_fd[i] == ff)
                    f->by_fd[i] = NULL;
            file_free(ff);
            return;
        }
    }
}

/* The tracked file behind fd, or NULL. */
static struct fault_file *by_fd(struct awdb_fault *f, int fd)
{
    return fd >= 0 && fd < FAULT_MAX_FD ? f->by_fd[fd] : NULL;
}

/* Appends a record of a change to the journal, if there is one (under
 * f->mu). 0 or -errno, which fails the call that made the change. */
static int journal(struct awdb_fault *f, enum fault_jkind kind, const char *path, uint64_t a,
                   uint64_t b, const void *data, size_t n)
{
    if (f->jfd < 0)
        return 0;
    struct fault_jhdr h = {(uint32_t)kind, (uint32_t)strlen(path), a, b, n};
    const struct {
        const void *p;
        size_t n;
    } part[] = {{&h, sizeof h}, {path, h.path_len}, {data, n}};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        if (!part[i].n)
            continue;
        int rc = awdb_io_write_all(px(), f->jfd, part[i].p, part[i].n, f->joff);
        if (rc < 0)
            return rc;
        f->joff += part[i].n;
    }
    return 0;
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
        int j = ff ? journal(f, J_OPEN, path, (uint64_t)st.st_size, 0, NULL, 0) : -ENOMEM;
        if (j < 0) {
            close(rc);
            rc = j;
            goto out;
        }
        track_open(ff, fresh, (uint64_t)st.st_size);
        f->by_fd[rc] = ff;
    }
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
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
    struct fault_file *ff = by_fd(f, fd);
    size_t oldn = 0;
    uint8_t *old = ff ? read_old(ff, off, n, &oldn) : NULL;
    /* Journaled before it is made: a process killed after the write has
     * left what it overwrote in the journal. */
    if (ff && (rc = journal(f, J_WRITE, ff->path, off, n, old, oldn)) < 0) {
        free(old);
        goto out;
    }
    rc = px()->pwrite(NULL, fd, buf, n, off);
    if (ff)
        track_write(ff, off, rc > 0 ? off + (uint64_t)rc : off, old, oldn);
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
    struct fault_file *ff = by_fd(f, fd);
    if (ff)
        atomic_fetch_add(&f->syncs, 1);
    if (f->crashed) {
        rc = -EIO;
        goto out;
    }
    if (ff && f->fail_sync && --f->fail_sync == 0) {
        rc = -f->sync_err;
        goto out;
    }
    rc = px()->sync(NULL, fd);
    /* Journaled once made: until then a killed process's bytes may be lost,
     * and nothing was acknowledged on the strength of this sync yet. */
    if (rc == 0 && ff && (rc = journal(f, J_SYNC, ff->path, 0, 0, NULL, 0)) == 0)
        track_sync(ff);
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int f_truncate(void *ctx, int fd, uint64_t len)
{
    struct awdb_fault *f = ctx;
    pthread_mutex_lock(&f->mu);
    struct fault_file *ff = by_fd(f, fd);
    int rc = f->crashed ? -EIO : px()->truncate(NULL, fd, len);
    if (rc == 0 && ff && (rc = journal(f, J_TRUNCATE, ff->path, len, 0, NULL, 0)) == 0)
        track_truncate(ff, len);
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
    if (rc == 0 && (rc = journal(f, J_UNLINK, path, 0, 0, NULL, 0)) == 0)
        track_unlink(f, path);
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
    f->jfd = -1;
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
    if (f->jfd >= 0)
        close(f->jfd);
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
        track_sync(ff);
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
        track_sync(ff);
    }
    f->crashed = false;
    pthread_mutex_unlock(&f->mu);
    return lost;
}

int awdb_fault_journal(struct awdb_fault *f, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    pthread_mutex_lock(&f->mu);
    if (f->jfd >= 0)
        close(f->jfd);
    f->jfd = fd;
    f->joff = 0;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

/* Makes one journal record's change in f's view (under f->mu); takes data. */
static int replay(struct awdb_fault *f, const struct fault_jhdr *h, const char *path, uint8_t *data)
{
    if (h->kind == J_UNLINK) {
        track_unlink(f, path);
        free(data);
        return 0;
    }
    bool fresh;
    struct fault_file *ff = file_for(f, path, &fresh);
    if (!ff) {
        free(data);
        return -ENOMEM;
    }
    if (h->kind == J_WRITE) {
        track_write(ff, h->a, h->a + h->b, data, (size_t)h->data_len);
        return 0;
    }
    free(data);
    if (h->kind == J_OPEN)
        track_open(ff, fresh, h->a);
    else if (h->kind == J_SYNC)
        track_sync(ff);
    else
        track_truncate(ff, h->a);
    return 0;
}

long awdb_fault_load(struct awdb_fault *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -errno;
    long n = 0;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        struct fault_jhdr h;
        char p[PATH_MAX];
        if (fread(&h, sizeof h, 1, fp) != 1)
            break; /* the end, or a record cut by the kill: never made */
        if (h.kind < J_OPEN || h.kind > J_UNLINK || h.path_len >= sizeof p ||
            h.data_len > (h.kind == J_WRITE ? h.b : 0)) {
            n = -EINVAL;
            break;
        }
        if (fread(p, 1, h.path_len, fp) != h.path_len)
            break;
        p[h.path_len] = 0;
        uint8_t *data = h.data_len ? malloc((size_t)h.data_len) : NULL;
        if (h.data_len && !data) {
            n = -ENOMEM;
            break;
        }
        if (data && fread(data, 1, (size_t)h.data_len, fp) != h.data_len) {
            free(data);
            break;
        }
        int rc = replay(f, &h, p, data);
        if (rc < 0) {
            n = rc;
            break;
        }
        n++;
    }
    /* A write is journaled before it is made: the last may not have been
     * (or only in part). What each file holds now is the truth. */
    struct stat st;
    for (struct fault_file *ff = f->files; ff && n >= 0; ff = ff->next)
        if (stat(ff->path, &st) == 0)
            track_open(ff, false, (uint64_t)st.st_size);
    pthread_mutex_unlock(&f->mu);
    fclose(fp);
    return n;
}

uint64_t awdb_fault_writes(const struct awdb_fault *f)
{
    return atomic_load(&f->writes);
}

uint64_t awdb_fault_syncs(const struct awdb_fault *f)
{
    return atomic_load(&f->syncs);
}
