/*
 * awdb_int.h - the engine's internal types: the database handle, versions
 * (what a snapshot pins), transaction handles, and the functions the
 * engine's files call in one another.
 *
 * The files are layers: each calls only files listed after it (right, what
 * it calls, header inlines included), never one before it, so no two files
 * call each other:
 *
 *   db.c         open, close, stats    recovery flush version wal base error
 *                                      timeline memtable io crc32c
 *   commit.c     commits               flush txn wal wal_record recpool
 *                                      memtable mpsc
 *   recovery.c   WAL replay at open    flush version wal wal_record error
 *                                      memtable skiplist io
 *   scan.c       range scans           txn skiplist
 *   txn.c        transactions, reads   version wal recpool memtable
 *   flush.c      memtable switch,      version base wal error timeline memtable
 *                flush thread, checkpoint
 *   version.c    versions, hazards     memtable
 *   error.c      first error, texts    (the handle's fields only)
 *   timeline.c   durability steps      (the handle's fields only)
 *   --- below: no struct awdb ---
 *   base.c       the LMDB base store   (memtable.h and wal_record.h inlines)
 *   wal.c        the log, its flusher  wal_prep wal_record mpsc recpool io
 *   wal_prep.c (io), wal_record.c (crc32c), memtable.c (skiplist), recpool.c,
 *   mpsc.c, skiplist.c, io.c, crc32c.c: the leaves
 *
 * Not in the engine: io_fault.c (io) and abandon.c (db) are the awdb_fault
 * test library (awdb_fault.h), which only tests link. tests/test_awdb_lib.sh
 * (ctest) prints this graph from libawdb.a's symbols and fails on a cycle or
 * on a fault symbol in libawdb.a.
 */
#ifndef AWDB_INT_H
#define AWDB_INT_H

#include "backends/awdb/awdb.h"
#include "backends/awdb/base.h"
#include "backends/awdb/memtable.h"
#include "backends/awdb/recpool.h"
#include "backends/awdb/wal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define AWDB_MAX_MEMTABLES 8
#define AWDB_GEN_SHIFT 44 /* seq and txn id = generation << 44 | counter */
#define AWDB_CTR_MASK ((UINT64_C(1) << AWDB_GEN_SHIFT) - 1)
#define AWDB_MAX_GEN ((UINT64_C(1) << (64 - AWDB_GEN_SHIFT)) - 1)
#define AWDB_TIMELINE 8192 /* durability steps remembered for awdb_commit_times */

/*
 * A version: the memtables a snapshot reads, newest first (mem[0] is the
 * active one, the others wait to be flushed, oldest last), and the flushed
 * sequence number of the base store when it was made. Immutable once
 * published; replaced (under the commit lock) when a memtable is switched
 * or flushed; freed once retired and no transaction's hazard pointer holds it.
 */
struct awdb_version {
    struct awdb_memtable *mem[AWDB_MAX_MEMTABLES];
    unsigned n;
    uint64_t base_seq;
    struct awdb_version *retired_next;
};

struct awdb_timeline_step {
    uint64_t seq, ns;
};

struct awdb {
    struct awdb_options opts;
    char *dir;
    int lock_fd;
    size_t mem_bytes; /* per memtable */
    size_t txn_limit; /* node bytes one transaction may need */
    size_t txn_max_ops;

    /* read by every transaction */
    _Alignas(64) _Atomic(struct awdb_version *) current;
    _Atomic uint64_t visible_seq;
    _Atomic uint64_t durable_seq;
    _Atomic uint64_t flushed_seq;
    _Atomic int failed; /* 0, or the code of the first error */
    uint64_t gen;
    _Atomic uint64_t txn_ids; /* next block of transaction ids (counter part) */

    /* the commit lock and what it guards */
    _Alignas(64) pthread_mutex_t commit_mu;
    pthread_cond_t stall_cv; /* committers waiting for a memtable slot */
    uint64_t last_seq;
    uint64_t next_mem_id;
    uint64_t st_commits, st_conflicts, st_user_bytes, st_stalls, st_stall_ns, st_flushes;

    struct awdb_wal wal;
    bool wal_ready;
    struct awdb_base base;

    /* the memtable flush thread */
    pthread_t flush_thr;
    bool flush_started;
    pthread_mutex_t flush_mu;
    pthread_cond_t flush_cv;   /* wakes the flush thread */
    pthread_cond_t flushed_cv; /* a flush finished (checkpoint waiters) */
    uint64_t flush_kicks;
    bool flush_stop;
    _Atomic uint64_t st_base_bytes;

    /* transaction handles (their hazard pointers) */
    pthread_mutex_t txns_mu;
    struct awdb_txn *txns;
    unsigned ntxns;

    /* retired versions */
    pthread_mutex_t retire_mu;
    struct awdb_version *retired;

    /* durability steps, for awdb_commit_times */
    pthread_mutex_t tl_mu;
    struct awdb_timeline_step *tl;
    uint64_t tl_count;

    pthread_mutex_t err_mu;
    char errmsg[512];
};

/* One buffered write of a transaction. */
struct awdb_wop {
    uint32_t koff, voff; /* into txn->wbuf */
    uint32_t vlen;
    uint16_t klen;
    uint8_t type, height;
};

enum { TXN_IDLE = 0, TXN_ACTIVE = 1 };

struct awdb_txn {
    _Alignas(64) _Atomic(struct awdb_version *) hazard; /* the version this txn reads */
    _Alignas(64) struct awdb *db;
    struct awdb_txn *reg_next, *reg_prev;
    MDB_txn *rtxn; /* base read transaction, reset while idle */
    struct awdb_version *ver;
    uint64_t snap, id, id_next, id_end;
    unsigned flags;
    int state;
    uint64_t rng;
    /* write set: ops, their bytes, and an index from key to op (+1, 0 empty) */
    struct awdb_wop *ops;
    size_t nops, ops_cap;
    uint8_t *wbuf;
    size_t wlen, wcap;
    uint32_t *widx;
    size_t widx_cap;
    size_t node_bytes; /* memtable bytes the writes will need */
    size_t rec_bytes;  /* WAL record size */
    /* read set: u16 klen + key, repeated */
    uint8_t *rbuf;
    size_t rlen, rcap, nreads;
    struct awdb_recpool *pool;
    MDB_cursor *cursor; /* for scans: opened by the first, renewed after */
    bool cursor_fresh;  /* renewed for the current transaction */
    uint32_t *order;    /* for scans: ops sorted by key */
    size_t order_cap;
};

/* error.c: records db's first error (rc, or EIO if 0, and the message; later
 * ones are dropped), after which commits fail with AWDB_FAILED, and wakes
 * stalled committers and checkpoint waiters. */
void awdb_fail(struct awdb *db, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* timeline.c: records that every commit up to seq became durable at ns. */
void awdb_timeline_push(struct awdb *db, uint64_t seq, uint64_t ns);

/* version.c */
struct awdb_version *awdb_version_new(struct awdb_memtable *const *mem, unsigned n,
                                      uint64_t base_seq);
void awdb_version_free(struct awdb_version *v);
/* Publishes v as current (commit lock held) and retires the old one. */
void awdb_version_install(struct awdb *db, struct awdb_version *v);
/* Frees retired versions no transaction reads. */
void awdb_version_reclaim(struct awdb *db);
/* Pins the current version in txn's hazard pointer and returns it. */
struct awdb_version *awdb_version_pin(struct awdb_txn *txn);

/* txn.c: ends the active transaction (snapshot released, handle idle). */
void awdb_txn_end(struct awdb_txn *t);
/* txn.c: adds key to the read set. 0 or ENOMEM. */
int awdb_txn_note_read(struct awdb_txn *t, const void *key, size_t klen);

/* flush.c */
/* A new, empty active memtable (commit lock held); the old one becomes
 * immutable and waits for the flush thread. 0, AWDB_INVALID if every
 * memtable slot is taken, or ENOMEM. */
int awdb_switch_memtable(struct awdb *db);
/* Wakes the flush thread. */
void awdb_kick_flush(struct awdb *db);
int awdb_flush_start(struct awdb *db);
void awdb_flush_stop(struct awdb *db);
/* Flushes one memtable into the base (recovery, single-threaded). */
int awdb_flush_memtable(struct awdb *db, struct awdb_memtable *m, uint64_t upto);

/* recovery.c: replays the WAL into db's memtables; sets db->last_seq. */
int awdb_recover(struct awdb *db, uint64_t flushed, char *err, size_t errlen);

/* db.c: awdb_close, and with checkpoint false awdb_abandon (awdb_fault.h):
 * stops the threads and frees db, after flushing every memtable into the
 * base (and then deleting the WAL segments no longer needed) if checkpoint.
 * AWDB_INVALID (db left open) while a transaction handle is live; otherwise
 * the first error db met, or the checkpoint's. */
int awdb_shutdown(struct awdb *db, bool checkpoint);

#endif
