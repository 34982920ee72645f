/*
 * wal.h - the write-ahead log writer: the committers' queue, the flusher
 * thread (group commit), the durable sequence number its waiters sleep on,
 * and the list of segment files.
 */
#ifndef AWDB_WAL_H
#define AWDB_WAL_H

#include "backends/awdb/awdb.h"
#include "backends/awdb/mpsc.h"
#include "backends/awdb/recpool.h"
#include "backends/awdb/wal_prep.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct awdb_wal_config {
    const char *dir;
    const struct awdb_io *io;
    enum awdb_mode mode;  /* AWDB_SYNC: sync every batch; AWDB_ASYNC: every interval */
    unsigned interval_ms; /* AWDB_ASYNC */
    size_t segment_size;
    size_t prealloc;      /* AWDB_SYNC: zeros kept written ahead (wal_prep.h); 0 off */
    /* Called by the flusher after each successful sync with the new durable
     * sequence number and the time (before waiters are woken). */
    void (*on_durable)(void *ctx, uint64_t seq, uint64_t ns);
    /* Called once, by the thread that met it, on the first I/O error. */
    void (*on_error)(void *ctx, int rc, const char *msg);
    /* Test hook, NULL in awdb: called by the flusher once it has created a
     * new segment and made it the current one, before anything is written
     * into it (tests run awdb_wal_delete_upto here, as a flush finishing at
     * that moment would). */
    void (*on_segment)(void *ctx, uint64_t first_seq);
    void *ctx;
};

struct awdb_wal_seg {
    uint64_t first_seq; /* from the file name */
    uint64_t max_seq;   /* last record in it, 0 if none */
};

struct awdb_wal {
    /* producers */
    struct awdb_mpsc q;
    _Alignas(64) _Atomic uint64_t queued; /* bytes pushed and not yet drained (async kick) */
    _Atomic uint64_t pushed;              /* records pushed (sync: the flusher's gather) */
    _Atomic uint32_t fl_state;            /* futex word: 0 running, 1 timed sleep, 2 idle sleep */
    /* waiters */
    _Alignas(64) _Atomic uint64_t durable;
    _Atomic uint32_t epoch; /* futex word, bumped after each advance and on failure */
    _Atomic uint32_t nwaiters;
    _Atomic int failed;         /* 0, or the error that stopped the log */
    atomic_flag fail_claimed;   /* set by the thread that reports the first error */
    _Atomic bool stopped;       /* set first by every failure: no more writes, syncs or
                                   durable advances (failed follows once reported) */
    _Atomic uint64_t sync_req;  /* highest seq someone wants synced now */
    _Atomic uint64_t sync_ewma; /* recent fdatasync time, ns (the flusher's spin) */
    _Atomic bool stop;
    _Atomic uint64_t bytes, batches, syncs; /* stats */
    _Atomic uint64_t sync_ns;               /* time spent in fdatasync */

    struct awdb_wal_prep prep;

    /* flusher-only */
    struct awdb_wal_config cfg;
    char *dir;
    pthread_t thread;
    bool started;
    int fd;              /* current segment, -1 if none */
    uint64_t seg_len;    /* bytes in it */
    bool dirty;          /* written since its last sync */
    uint64_t written;    /* last seq written (maybe not synced) */
    uint64_t drained;    /* records popped so far */
    uint64_t last_batch; /* records in the last synced batch */
    uint8_t *buf;
    size_t buf_cap;

    /* segments, oldest first; the last one is current while fd >= 0 */
    pthread_mutex_t seg_mu;
    struct awdb_wal_seg *segs;
    size_t nsegs, segs_cap;
    bool cur_open; /* the last segment is being written: set in the critical
                      section that adds it, so that no awdb_wal_delete_upto
                      ever sees it as a finished (and, empty, flushed) one */
};

/* Sets up a log (thread not started) whose durable sequence number starts at
 * durable. Returns 0 or ENOMEM. */
int awdb_wal_init(struct awdb_wal *w, const struct awdb_wal_config *cfg, uint64_t durable);

/* Adds a segment found by recovery (call in order, before start). */
int awdb_wal_add_segment(struct awdb_wal *w, uint64_t first_seq, uint64_t max_seq);

/* Starts the flusher thread. Returns 0 or an errno value. */
int awdb_wal_start(struct awdb_wal *w);

/* Queues rec (its seq set, len final); records must be pushed in sequence
 * order. Then call awdb_wal_notify outside any lock. */
static inline void awdb_wal_push(struct awdb_wal *w, struct awdb_rec *rec)
{
    if (w->cfg.mode == AWDB_ASYNC)
        atomic_fetch_add_explicit(&w->queued, rec->len, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&w->pushed, 1, memory_order_relaxed);
    awdb_mpsc_push(&w->q, &rec->qnode);
}

/* Wakes the flusher if the records just pushed need it. */
void awdb_wal_notify(struct awdb_wal *w);

/* Waits until seq is durable. Returns 0, or the error that failed the log. */
int awdb_wal_wait(struct awdb_wal *w, uint64_t seq);

/* Asks for seq to be synced now (AWDB_ASYNC) and waits for it. */
int awdb_wal_sync(struct awdb_wal *w, uint64_t seq);

static inline uint64_t awdb_wal_durable(struct awdb_wal *w)
{
    return atomic_load_explicit(&w->durable, memory_order_acquire);
}

/* Deletes segments (other than the one being written, from the moment it
 * is created) whose records are all <= seq. Returns 0 or a negative errno
 * from unlink. */
int awdb_wal_delete_upto(struct awdb_wal *w, uint64_t seq);

/* Stops the flusher after it has written and synced everything queued, and
 * closes the current segment. Safe if never started. */
void awdb_wal_stop(struct awdb_wal *w);

/* Frees what init allocated (after stop). */
void awdb_wal_destroy(struct awdb_wal *w);

/* Formats the path of the segment starting at first_seq. */
void awdb_wal_seg_path(char *buf, size_t n, const char *dir, uint64_t first_seq);

#endif
