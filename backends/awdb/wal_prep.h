/*
 * wal_prep.h - zeros written ahead of the WAL's write position.
 *
 * An fdatasync after an append must also commit the file's new size (and
 * the blocks allocated for it) through the filesystem's journal; after an
 * overwrite of blocks that are already written and synced it only flushes
 * the data. On ext4 (virtio disk, 2 vCPUs) that is 195 us against 130 us per
 * 143-byte commit. Blocks merely fallocate()d do not help: ext4 marks them
 * unwritten and converts each on its first write, which is a journal commit
 * again (measured 187 us at one commit per block).
 *
 * So in AWDB_SYNC mode a helper thread keeps up to `window` bytes past the
 * flusher's position written with zeros and synced, in chunks, on its own
 * file descriptor (a failed fdatasync is reported once per open file; the
 * flusher's own descriptor still sees every error of its own). The flusher
 * never writes into the range the helper is writing: a write that would
 * reach it waits for that chunk (awdb_wal_prep_claim). Recovery reads zeros
 * after the last record as the end of the log.
 */
#ifndef AWDB_WAL_PREP_H
#define AWDB_WAL_PREP_H

#include "backends/awdb/awdb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct awdb_wal_prep {
    const struct awdb_io *io;
    size_t window;   /* bytes to keep ready ahead; 0: the helper is off */
    size_t seg_max;  /* segment size: nothing is zeroed past it */
    /* Called by the helper on its first I/O error (rc a positive errno
     * value, what and path as in "write zeros into PATH"); it stops. */
    void (*on_error)(void *ctx, int rc, const char *what, const char *path);
    void *ctx;
    const _Atomic bool *stopped; /* the log has failed: write nothing more (may be NULL) */

    _Atomic uint64_t ready; /* the current segment holds synced zeros up to here */
    _Atomic uint64_t pos;   /* end of the flusher's last write in it */
    _Atomic bool idle;      /* the helper waits for work */
    _Atomic uint64_t bytes; /* zeros written, all segments (stats) */
    _Atomic uint64_t waits; /* flusher writes that waited for a chunk (stats) */

    pthread_mutex_t mu;
    pthread_cond_t work; /* the helper waits here */
    pthread_cond_t done; /* the flusher waits here for a chunk */
    pthread_t thread;
    bool started;
    /* under mu */
    int fd;           /* the helper's descriptor of the current segment, or -1 */
    char *path;       /* of the current segment */
    uint64_t busy_lo; /* start of the range being zeroed, UINT64_MAX if none */
    bool stop, broken;
    uint8_t *zeros;
};

/* Starts the helper (window > 0). Returns 0 or an errno value; with window
 * 0 it starts nothing and every other call is cheap and does nothing. */
int awdb_wal_prep_start(struct awdb_wal_prep *p);

/* A new segment at path, empty, is current: prepare ahead in it. */
void awdb_wal_prep_attach(struct awdb_wal_prep *p, const char *path);

/* The current segment is about to be closed: waits for the helper's chunk
 * in it and forgets it. */
void awdb_wal_prep_detach(struct awdb_wal_prep *p);

/* The flusher is about to write [off, off + n) of the current segment:
 * waits if that would reach the chunk the helper is writing. */
static inline void awdb_wal_prep_claim(struct awdb_wal_prep *p, uint64_t off, size_t n);

/* The flusher wrote up to end: keeps the helper ahead of it. */
void awdb_wal_prep_wrote(struct awdb_wal_prep *p, uint64_t end);

/* Stops the helper (after detach) and frees what start allocated. */
void awdb_wal_prep_stop(struct awdb_wal_prep *p);

void awdb_wal_prep_claim_slow(struct awdb_wal_prep *p, uint64_t end);

static inline void awdb_wal_prep_claim(struct awdb_wal_prep *p, uint64_t off, size_t n)
{
    /* Below ready nothing is being written by the helper: it only ever
     * extends past ready, or past pos. */
    if (p->window && off + n > atomic_load_explicit(&p->ready, memory_order_acquire))
        awdb_wal_prep_claim_slow(p, off + n);
}

#endif
