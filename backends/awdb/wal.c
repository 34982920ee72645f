/*
 * wal.c - the WAL writer. Committers push encoded records on a lock-free
 * MPSC queue (under the commit lock, so in sequence order). One flusher
 * thread drains everything queued, seals each record's checksum, copies the
 * batch into one buffer and issues one write and one fdatasync for it (group
 * commit), then advances the durable sequence number and wakes the waiters.
 *
 * Waiting. A committer waiting for its record sleeps at once on a futex word
 * that the flusher bumps (and wakes) after each sync. It does not spin: on a
 * machine whose cores are all busy - the case that matters on small boxes -
 * a spinning waiter holds the core the flusher needs when its fdatasync
 * returns, and measured (awdb_bench, 2 vCPUs) one waiter spinning through
 * the sync cut the flusher's share of time in fdatasync from ~95% to ~35%
 * at one writer, and commits/s at 8 and 32 writers by 3-5x. The flusher, in
 * AWDB_SYNC, spins for about two syncs' time when the queue runs empty, so a
 * woken writer's next record starts the next sync without a wake-up; then it
 * sleeps, and a producer wakes it only if it sleeps. After a sync that
 * carried several commits it first gathers briefly (see gather()): measured
 * at 8 writers, batches grew from ~5.5 to ~7.5 commits and commits/s by ~25%,
 * close to the 8 / (1.5 x sync time) a single flusher allows. In AWDB_ASYNC the
 * flusher syncs every interval: it sleeps with a timeout while it has
 * unsynced data, and is woken early only when the queue passes a size
 * threshold or someone asks for a sync.
 *
 * In AWDB_SYNC a helper thread keeps zeros written and synced ahead of the
 * write position (wal_prep.h), so that each batch overwrites blocks the
 * filesystem has already allocated and its fdatasync flushes data only.
 *
 * Segments are named after the first sequence number they hold. A write
 * never straddles two segments: a batch is cut where the current segment
 * would pass its size limit; that segment is then synced and closed, and the
 * next is created (and the directory synced) before the rest is written. A new segment enters
 * the list already marked as the one being written, so that a flush deleting finished segments
 * (awdb_wal_delete_upto) never takes it, empty, for one of them. The first I/O error stops
 * the log for good: waiters get the error, later records are dropped, and awdb never retries an
 * fdatasync whose failure may have discarded dirty pages.
 */
#include "backends/awdb/wal.h"

#include "backends/awdb/futex.h"
#include "backends/awdb/io.h"
#include "backends/awdb/wal_record.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAL_CHUNK_MAX (4u << 20)         /* drain at most this much per write */
#define WAL_ASYNC_KICK (1u << 20)        /* async: wake the flusher early past this */
#define WAL_FLUSHER_SPIN_MIN_NS 50000u   /* sync: bounds of the flusher's wait for more */
#define WAL_FLUSHER_SPIN_MAX_NS 1000000u /* records before it sleeps */

enum { FL_RUNNING = 0, FL_TIMED = 1, FL_IDLE = 2 };

static void fail(struct awdb_wal *w, int rc, const char *what, const char *path);

void awdb_wal_seg_path(char *buf, size_t n, const char *dir, uint64_t first_seq)
{
    snprintf(buf, n, "%s/wal-%016" PRIx64 ".log", dir, first_seq);
}

int awdb_wal_init(struct awdb_wal *w, const struct awdb_wal_config *cfg, uint64_t durable)
{
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    w->dir = strdup(cfg->dir);
    if (!w->dir)
        return ENOMEM;
    w->cfg.dir = w->dir;
    w->fd = -1;
    awdb_mpsc_init(&w->q);
    atomic_init(&w->durable, durable);
    atomic_init(&w->sync_ewma, 200000);
    w->written = durable;
    atomic_flag_clear(&w->fail_claimed);
    pthread_mutex_init(&w->seg_mu, NULL);
    return 0;
}

static void prep_failed(void *ctx, int rc, const char *what, const char *path)
{
    fail(ctx, rc, what, path);
}

/* Appends a segment to the list; current: it is the one about to be
 * written, marked so in the same critical section. A segment in the list
 * and not current is finished: awdb_wal_delete_upto may unlink it once its
 * max_seq is flushed, and a new one (max_seq 0) would at once qualify. */
static int track_segment(struct awdb_wal *w, uint64_t first_seq, uint64_t max_seq, bool current)
{
    pthread_mutex_lock(&w->seg_mu);
    int rc = 0;
    if (w->nsegs == w->segs_cap) {
        size_t cap = w->segs_cap ? w->segs_cap * 2 : 16;
        struct awdb_wal_seg *s = realloc(w->segs, cap * sizeof *s);
        if (!s) {
            rc = ENOMEM;
            goto out;
        }
        w->segs = s;
        w->segs_cap = cap;
    }
    w->segs[w->nsegs++] = (struct awdb_wal_seg){first_seq, max_seq};
    if (current)
        w->cur_open = true;
out:
    pthread_mutex_unlock(&w->seg_mu);
    return rc;
}

int awdb_wal_add_segment(struct awdb_wal *w, uint64_t first_seq, uint64_t max_seq)
{
    return track_segment(w, first_seq, max_seq, false);
}

static void wake_waiters(struct awdb_wal *w)
{
    atomic_fetch_add_explicit(&w->epoch, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&w->nwaiters, memory_order_seq_cst))
        awdb_futex_wake(&w->epoch, INT_MAX);
}

/* The first error stops the log; rc is a positive errno value. */
static void fail(struct awdb_wal *w, int rc, const char *what, const char *path)
{
    /* The flusher and the preallocating helper may both fail, at about the
     * same time (a writeback error reaches both descriptors). Either one
     * stops the log at once: a thread that loses the race to report must
     * not go on writing or syncing, nor advance the durable number, while
     * the winner is still reporting. The message is recorded before failed
     * is published: a waiter that sees the failure finds its explanation. */
    atomic_store(&w->stopped, true);
    if (!atomic_flag_test_and_set(&w->fail_claimed)) {
        char msg[PATH_MAX + 128];
        snprintf(msg, sizeof msg, "wal: %s %s: %s", what, path, strerror(rc));
        if (w->cfg.on_error)
            w->cfg.on_error(w->cfg.ctx, rc, msg);
        atomic_store(&w->failed, rc);
    }
    wake_waiters(w);
}

static void cur_path(struct awdb_wal *w, char *buf, size_t n)
{
    pthread_mutex_lock(&w->seg_mu);
    uint64_t first = w->nsegs ? w->segs[w->nsegs - 1].first_seq : 0;
    pthread_mutex_unlock(&w->seg_mu);
    awdb_wal_seg_path(buf, n, w->dir, first);
}

static int do_sync(struct awdb_wal *w)
{
    if (!w->dirty)
        return 0;
    uint64_t t0 = awdb_now_ns();
    int rc = w->cfg.io->sync(w->cfg.io->ctx, w->fd);
    uint64_t t1 = awdb_now_ns();
    if (rc < 0) {
        char path[PATH_MAX];
        cur_path(w, path, sizeof path);
        fail(w, -rc, "fdatasync", path);
        return -rc;
    }
    w->dirty = false;
    if (atomic_load(&w->stopped))
        return EIO; /* the helper failed meanwhile: publish nothing more */
    uint64_t ewma = atomic_load_explicit(&w->sync_ewma, memory_order_relaxed);
    atomic_store_explicit(&w->sync_ewma, (ewma * 7 + (t1 - t0)) / 8, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->syncs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->sync_ns, t1 - t0, memory_order_relaxed);
    /* Publish visibility (the callback) before durability: a waiter that
     * sees durable >= its seq returns, and must then see its own commit. */
    if (w->cfg.on_durable)
        w->cfg.on_durable(w->cfg.ctx, w->written, t1);
    atomic_store_explicit(&w->durable, w->written, memory_order_seq_cst);
    wake_waiters(w);
    return 0;
}

static void close_segment(struct awdb_wal *w)
{
    if (w->fd < 0)
        return;
    awdb_wal_prep_detach(&w->prep);
    w->cfg.io->close(w->cfg.io->ctx, w->fd);
    w->fd = -1;
    w->seg_len = 0;
    pthread_mutex_lock(&w->seg_mu);
    w->cur_open = false;
    pthread_mutex_unlock(&w->seg_mu);
}

static int open_segment(struct awdb_wal *w, uint64_t first_seq)
{
    char path[PATH_MAX];
    awdb_wal_seg_path(path, sizeof path, w->dir, first_seq);
    const struct awdb_io *io = w->cfg.io;
    int fd = io->open(io->ctx, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        fail(w, -fd, "create", path);
        return -fd;
    }
    int rc = awdb_io_sync_dir(io, w->dir);
    if (rc < 0) {
        io->close(io->ctx, fd);
        fail(w, -rc, "fsync directory of", path);
        return -rc;
    }
    rc = track_segment(w, first_seq, 0, true);
    if (rc) {
        io->close(io->ctx, fd);
        fail(w, rc, "track", path);
        return rc;
    }
    if (w->cfg.on_segment)
        w->cfg.on_segment(w->cfg.ctx, first_seq);
    w->fd = fd;
    w->seg_len = 0;
    awdb_wal_prep_attach(&w->prep, path);
    return 0;
}

/* Writes n bytes of buf (records first..last) at the end of the log. */
static int write_chunk(struct awdb_wal *w, size_t n, uint64_t first, uint64_t last)
{
    int rc;
    if (w->fd >= 0 && w->seg_len > 0 && w->seg_len + n > w->cfg.segment_size) {
        if ((rc = do_sync(w)))
            return rc;
        close_segment(w);
    }
    if (w->fd < 0 && (rc = open_segment(w, first)))
        return rc;
    awdb_wal_prep_claim(&w->prep, w->seg_len, n);
    rc = awdb_io_write_all(w->cfg.io, w->fd, w->buf, n, w->seg_len);
    if (rc < 0) {
        char path[PATH_MAX];
        cur_path(w, path, sizeof path);
        fail(w, -rc, "write", path);
        return -rc;
    }
    w->seg_len += n;
    awdb_wal_prep_wrote(&w->prep, w->seg_len);
    w->dirty = true;
    w->written = last;
    pthread_mutex_lock(&w->seg_mu);
    w->segs[w->nsegs - 1].max_seq = last;
    pthread_mutex_unlock(&w->seg_mu);
    atomic_fetch_add_explicit(&w->bytes, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->batches, 1, memory_order_relaxed);
    return 0;
}

/* Drains the queue and writes what it held. Once the log has failed,
 * records are only handed back to their pools. */
static void drain_write(struct awdb_wal *w)
{
    size_t n = 0;
    uint64_t first = 0, last = 0;
    struct awdb_mpsc_node *node;
    while ((node = awdb_mpsc_pop(&w->q))) {
        struct awdb_rec *rec = (struct awdb_rec *)node;
        size_t len = rec->len;
        w->drained++;
        if (w->cfg.mode == AWDB_ASYNC)
            atomic_fetch_sub_explicit(&w->queued, len, memory_order_relaxed);
        if (atomic_load(&w->stopped)) {
            awdb_recpool_return(rec);
            continue;
        }
        /* Cut the batch where the current segment fills up, so segments keep
         * to their size even when one interval's batch is larger. */
        size_t used = w->fd >= 0 ? w->seg_len : 0;
        size_t room = w->cfg.segment_size > used ? w->cfg.segment_size - used : 0;
        if (n && (n + len > WAL_CHUNK_MAX || n + len > room)) {
            write_chunk(w, n, first, last);
            n = 0;
        }
        if (n + len > w->buf_cap) {
            size_t cap = w->buf_cap ? w->buf_cap : 64 * 1024;
            while (cap < n + len)
                cap *= 2;
            uint8_t *b = realloc(w->buf, cap);
            if (!b) {
                fail(w, ENOMEM, "allocate a write buffer for", w->dir);
                awdb_recpool_return(rec);
                continue;
            }
            w->buf = b;
            w->buf_cap = cap;
        }
        /* The flusher alone advances durable: this is exact. */
        awdb_rec_seal(rec->buf, atomic_load_explicit(&w->durable, memory_order_relaxed));
        memcpy(w->buf + n, rec->buf, len);
        if (!n)
            first = rec->seq;
        last = rec->seq;
        n += len;
        awdb_recpool_return(rec);
    }
    if (n && !atomic_load(&w->stopped))
        write_chunk(w, n, first, last);
}

static bool has_work(struct awdb_wal *w)
{
    if (!awdb_mpsc_empty(&w->q) || atomic_load(&w->stop))
        return true;
    if (w->dirty && atomic_load(&w->sync_req) > atomic_load(&w->durable))
        return true;
    return w->cfg.mode == AWDB_ASYNC && atomic_load(&w->queued) >= WAL_ASYNC_KICK;
}

/* Sleeps in state st (a producer or a sync request clears it) for at most
 * timeout_ns (0: no limit). */
static void flusher_sleep(struct awdb_wal *w, uint32_t st, uint64_t timeout_ns)
{
    atomic_store_explicit(&w->fl_state, st, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (!has_work(w))
        awdb_futex_wait(&w->fl_state, st, timeout_ns);
    atomic_store_explicit(&w->fl_state, FL_RUNNING, memory_order_relaxed);
}

/* AWDB_SYNC: after a sync that carried several commits, the writers it woke
 * come back with their next records a few microseconds later. Starting the
 * next sync at once would carry only the one or two records that arrived
 * during the sync and make the rest wait for it and then for their own; so
 * the flusher gathers for a moment: until as many records are queued as the
 * last batch carried, or a quarter of a sync has passed. It yields the CPU
 * meanwhile: those writers need it. */
static void gather(struct awdb_wal *w)
{
    if (w->last_batch < 2)
        return;
    uint64_t budget = atomic_load_explicit(&w->sync_ewma, memory_order_relaxed) / 4;
    uint64_t t0 = awdb_now_ns();
    while (atomic_load_explicit(&w->pushed, memory_order_relaxed) - w->drained < w->last_batch &&
           !atomic_load_explicit(&w->stop, memory_order_relaxed) && awdb_now_ns() - t0 < budget)
        sched_yield();
}

static void *flusher_main(void *arg)
{
    struct awdb_wal *w = arg;
    const uint64_t interval = (uint64_t)w->cfg.interval_ms * 1000000u;
    uint64_t last_sync = awdb_now_ns();
    for (;;) {
        if (w->cfg.mode == AWDB_SYNC)
            gather(w);
        uint64_t before = w->drained;
        drain_write(w);
        bool stopping = atomic_load(&w->stop);
        bool stopped = atomic_load(&w->stopped); /* by a failure */
        if (w->dirty && !stopped) {
            uint64_t now = awdb_now_ns();
            if (w->cfg.mode == AWDB_SYNC || stopping || now - last_sync >= interval ||
                atomic_load(&w->sync_req) > atomic_load(&w->durable)) {
                w->last_batch = w->drained - before;
                do_sync(w);
                last_sync = awdb_now_ns();
            }
        }
        if (!awdb_mpsc_empty(&w->q))
            continue;
        if (stopping)
            break;
        if (w->cfg.mode == AWDB_SYNC) {
            /* About two syncs' time: long enough for a woken writer to come
             * back with its next record, so the next sync starts without a
             * wake-up. */
            uint64_t t0 = awdb_now_ns();
            uint64_t spin = atomic_load_explicit(&w->sync_ewma, memory_order_relaxed) * 2;
            if (spin < WAL_FLUSHER_SPIN_MIN_NS)
                spin = WAL_FLUSHER_SPIN_MIN_NS;
            if (spin > WAL_FLUSHER_SPIN_MAX_NS)
                spin = WAL_FLUSHER_SPIN_MAX_NS;
            while (awdb_mpsc_empty(&w->q) && !atomic_load(&w->stop) && awdb_now_ns() - t0 < spin)
                for (int i = 0; i < 32; i++)
                    awdb_cpu_relax();
            if (awdb_mpsc_empty(&w->q))
                flusher_sleep(w, FL_IDLE, 0);
        } else if (w->dirty && !stopped) {
            uint64_t now = awdb_now_ns(), due = last_sync + interval;
            if (due > now)
                flusher_sleep(w, FL_TIMED, due - now);
        } else {
            flusher_sleep(w, FL_IDLE, 0);
        }
    }
    return NULL;
}

int awdb_wal_start(struct awdb_wal *w)
{
    w->prep = (struct awdb_wal_prep){
        .io = w->cfg.io,
        .window = w->cfg.mode == AWDB_SYNC ? w->cfg.prealloc : 0,
        .seg_max = w->cfg.segment_size,
        .on_error = prep_failed,
        .ctx = w,
        .stopped = &w->stopped,
    };
    int rc = awdb_wal_prep_start(&w->prep);
    if (rc)
        return rc;
    rc = pthread_create(&w->thread, NULL, flusher_main, w);
    if (rc == 0)
        w->started = true;
    else
        awdb_wal_prep_stop(&w->prep);
    return rc;
}

static void kick(struct awdb_wal *w)
{
    if (atomic_exchange_explicit(&w->fl_state, FL_RUNNING, memory_order_seq_cst) != FL_RUNNING)
        awdb_futex_wake(&w->fl_state, 1);
}

void awdb_wal_notify(struct awdb_wal *w)
{
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t st = atomic_load_explicit(&w->fl_state, memory_order_seq_cst);
    if (st == FL_IDLE || (st == FL_TIMED &&
                          atomic_load_explicit(&w->queued, memory_order_relaxed) >= WAL_ASYNC_KICK))
        kick(w);
}

int awdb_wal_wait(struct awdb_wal *w, uint64_t seq)
{
    if (atomic_load_explicit(&w->durable, memory_order_acquire) < seq) {
        atomic_fetch_add_explicit(&w->nwaiters, 1, memory_order_seq_cst);
        for (;;) {
            uint32_t e = atomic_load_explicit(&w->epoch, memory_order_seq_cst);
            if (atomic_load_explicit(&w->durable, memory_order_seq_cst) >= seq ||
                atomic_load_explicit(&w->failed, memory_order_seq_cst))
                break;
            awdb_futex_wait(&w->epoch, e, 0);
        }
        atomic_fetch_sub_explicit(&w->nwaiters, 1, memory_order_relaxed);
    }
    if (atomic_load_explicit(&w->durable, memory_order_acquire) >= seq)
        return 0;
    return atomic_load(&w->failed);
}

int awdb_wal_sync(struct awdb_wal *w, uint64_t seq)
{
    if (!w->started || atomic_load_explicit(&w->durable, memory_order_acquire) >= seq)
        return 0;
    uint64_t cur = atomic_load(&w->sync_req);
    while (cur < seq && !atomic_compare_exchange_weak(&w->sync_req, &cur, seq))
        ;
    kick(w);
    return awdb_wal_wait(w, seq);
}

int awdb_wal_delete_upto(struct awdb_wal *w, uint64_t seq)
{
    int rc = 0;
    pthread_mutex_lock(&w->seg_mu);
    size_t keep = 0, n = w->nsegs;
    for (size_t i = 0; i < n; i++) {
        struct awdb_wal_seg s = w->segs[i];
        bool current = w->cur_open && i == n - 1;
        if (!current && s.max_seq <= seq && rc == 0) {
            char path[PATH_MAX];
            awdb_wal_seg_path(path, sizeof path, w->dir, s.first_seq);
            int r = w->cfg.io->unlink(w->cfg.io->ctx, path);
            if (r == 0 || r == -ENOENT)
                continue;
            rc = r;
        }
        w->segs[keep++] = s;
    }
    w->nsegs = keep;
    pthread_mutex_unlock(&w->seg_mu);
    return rc;
}

void awdb_wal_stop(struct awdb_wal *w)
{
    if (w->started) {
        atomic_store(&w->stop, true);
        kick(w);
        pthread_join(w->thread, NULL);
        w->started = false;
    }
    close_segment(w);
    awdb_wal_prep_stop(&w->prep);
}

void awdb_wal_destroy(struct awdb_wal *w)
{
    free(w->buf);
    free(w->segs);
    free(w->dir);
    pthread_mutex_destroy(&w->seg_mu);
    w->buf = NULL;
    w->segs = NULL;
    w->dir = NULL;
}
