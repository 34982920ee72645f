/*
 * wal_prep.c - the helper thread that writes zeros ahead of the WAL flusher
 * (see wal_prep.h for why).
 *
 * The helper extends the prepared range [.., ready) in chunks. While the
 * flusher stays below ready the two never touch the same bytes: the helper
 * writes only at or past ready. When the flusher has caught up (its position
 * pos reached ready, or a new segment began), the helper does not start at
 * pos - the flusher would at once wait for the whole chunk - but a gap past
 * it, with a smaller chunk; the flusher crosses the gap as it would without
 * the helper (its writes there allocate blocks, correct but slower). A write
 * that would reach a chunk still being written waits for it (counted in
 * waits); at the rates one fdatasync per batch allows, the helper is far
 * ahead and that happens at most once per segment, if at all.
 */
#include "backends/awdb/wal_prep.h"

#include "backends/awdb/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define PREP_CHUNK (1u << 20)       /* zeros per write and sync */
#define PREP_FIRST_CHUNK (256u << 10) /* after a jump: ready sooner */
#define PREP_GAP (64u << 10)        /* how far past the flusher a jump lands */
#define PREP_PAGE 4096u

/* Where the next chunk starts (under mu). */
static uint64_t next_start(const struct awdb_wal_prep *p, bool *jump)
{
    uint64_t ready = atomic_load(&p->ready), pos = atomic_load(&p->pos);
    *jump = ready <= pos;
    if (!*jump)
        return ready;
    return (pos + PREP_GAP + PREP_PAGE - 1) / PREP_PAGE * PREP_PAGE;
}

/* Whether there is a chunk to write now (under mu). */
static bool has_work(const struct awdb_wal_prep *p)
{
    if (p->fd < 0 || p->broken || (p->stopped && atomic_load(p->stopped)))
        return false;
    bool jump;
    uint64_t start = next_start(p, &jump);
    return start < p->seg_max && start < atomic_load(&p->pos) + p->window;
}

static void *prep_main(void *arg)
{
    struct awdb_wal_prep *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !has_work(p)) {
            atomic_store(&p->idle, true);
            if (has_work(p)) /* the flusher may have moved before idle was set */
                break;
            pthread_cond_wait(&p->work, &p->mu);
        }
        atomic_store(&p->idle, false);
        if (p->stop)
            break;
        bool jump;
        uint64_t start = next_start(p, &jump);
        uint64_t end = start + (jump ? PREP_FIRST_CHUNK : PREP_CHUNK);
        if (end > p->seg_max)
            end = p->seg_max;
        int fd = p->fd;
        p->busy_lo = start;
        pthread_mutex_unlock(&p->mu);

        const char *what = "write zeros into";
        int rc = awdb_io_write_all(p->io, fd, p->zeros, (size_t)(end - start), start);
        if (rc == 0) {
            what = "fdatasync the zeros written into";
            rc = p->io->sync(p->io->ctx, fd);
        }

        if (rc && p->on_error) /* p->path stays while busy_lo is set */
            p->on_error(p->ctx, -rc, what, p->path);
        pthread_mutex_lock(&p->mu);
        p->busy_lo = UINT64_MAX;
        if (rc == 0) {
            atomic_store_explicit(&p->ready, end, memory_order_release);
            atomic_fetch_add_explicit(&p->bytes, end - start, memory_order_relaxed);
        } else {
            p->broken = true;
        }
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int awdb_wal_prep_start(struct awdb_wal_prep *p)
{
    p->fd = -1;
    p->busy_lo = UINT64_MAX;
    if (!p->window)
        return 0;
    p->zeros = calloc(1, PREP_CHUNK); /* untouched zero pages: no resident memory */
    if (!p->zeros)
        return ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    int rc = pthread_create(&p->thread, NULL, prep_main, p);
    if (rc) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        free(p->zeros);
        p->zeros = NULL;
        return rc;
    }
    p->started = true;
    return 0;
}

void awdb_wal_prep_attach(struct awdb_wal_prep *p, const char *path)
{
    if (!p->started)
        return;
    /* Its own descriptor: see wal_prep.h. If it cannot be had, this
     * segment is simply written without zeros ahead. */
    int fd = p->io->open(p->io->ctx, path, O_WRONLY, 0);
    char *copy = fd >= 0 ? strdup(path) : NULL;
    if (fd >= 0 && !copy) {
        p->io->close(p->io->ctx, fd);
        fd = -1;
    }
    pthread_mutex_lock(&p->mu);
    p->fd = fd;
    free(p->path);
    p->path = copy;
    atomic_store(&p->ready, 0);
    atomic_store(&p->pos, 0);
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void awdb_wal_prep_detach(struct awdb_wal_prep *p)
{
    if (!p->started)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->busy_lo != UINT64_MAX)
        pthread_cond_wait(&p->done, &p->mu);
    int fd = p->fd;
    p->fd = -1;
    atomic_store(&p->ready, 0);
    atomic_store(&p->pos, 0);
    pthread_mutex_unlock(&p->mu);
    if (fd >= 0)
        p->io->close(p->io->ctx, fd);
}

void awdb_wal_prep_claim_slow(struct awdb_wal_prep *p, uint64_t end)
{
    if (!p->started)
        return;
    pthread_mutex_lock(&p->mu);
    /* Published before waiting and writing: the helper's next chunk starts
     * past it (and it stops extending a range the flusher has overtaken). */
    atomic_store(&p->pos, end);
    if (p->busy_lo != UINT64_MAX && end > p->busy_lo) {
        atomic_fetch_add_explicit(&p->waits, 1, memory_order_relaxed);
        while (p->busy_lo != UINT64_MAX && end > p->busy_lo)
            pthread_cond_wait(&p->done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

void awdb_wal_prep_wrote(struct awdb_wal_prep *p, uint64_t end)
{
    if (!p->started)
        return;
    atomic_store(&p->pos, end);
    uint64_t ready = atomic_load(&p->ready);
    if (atomic_load(&p->idle) && ready < end + p->window / 2 && ready < p->seg_max) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->work);
        pthread_mutex_unlock(&p->mu);
    }
}

void awdb_wal_prep_stop(struct awdb_wal_prep *p)
{
    if (!p->started)
        return;
    awdb_wal_prep_detach(p);
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->started = false;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->zeros);
    free(p->path);
    p->zeros = NULL;
    p->path = NULL;
}
