/*
 * recpool.h - WAL record buffers that go from a committer to the flusher
 * thread and back without malloc on the commit path. Each transaction handle
 * owns a pool; the flusher returns a buffer to its pool once it has copied
 * the record into its write buffer.
 */
#ifndef AWDB_RECPOOL_H
#define AWDB_RECPOOL_H

#include "backends/awdb/mpsc.h"

#include <stddef.h>
#include <stdint.h>

struct awdb_recpool;

struct awdb_rec {
    struct awdb_mpsc_node qnode; /* first: the queue link */
    struct awdb_rec *free_next;
    struct awdb_recpool *pool;
    uint64_t seq;
    uint32_t len; /* bytes of the encoded record in buf */
    uint32_t cap;
    uint8_t buf[];
};

/* A new pool with the owner's reference; NULL if out of memory. */
struct awdb_recpool *awdb_recpool_new(void);

/* Owner: a buffer of at least size bytes (len set to size), or NULL. */
struct awdb_rec *awdb_recpool_get(struct awdb_recpool *p, size_t size);

/* Owner: gives back a buffer that was never queued. */
void awdb_recpool_put(struct awdb_rec *r);

/* Flusher (any thread but the owner): gives back a queued buffer. */
void awdb_recpool_return(struct awdb_rec *r);

/* Owner: drops the pool; it is freed once every queued buffer is back. */
void awdb_recpool_release(struct awdb_recpool *p);

#endif
