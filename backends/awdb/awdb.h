/*
 * awdb.h - awdb, an embedded key-value engine: a write-ahead log with group
 * commit, MVCC memtables, optimistic transactions and an LMDB base store.
 *
 * This header is the manual. awdb depends on LMDB and POSIX threads only.
 *
 * MODEL
 *   A database is a directory. Keys and values are byte strings. All access is
 *   transactional: a transaction reads a consistent snapshot taken at begin,
 *   buffers its writes, and at commit is validated: if any key it read has a
 *   newer committed version than its snapshot, the commit fails with
 *   AWDB_CONFLICT and nothing is written. Successful commits are totally
 *   ordered by a 64-bit sequence number and become visible in that order.
 *
 *   Write path: under a short commit lock the read set is validated, the
 *   sequence number assigned, the writes inserted into the active memtable
 *   (invisible until published) and the encoded record pushed on a lock-free
 *   queue. One flusher thread drains the queue and appends each batch to the
 *   current WAL segment with one write and one fdatasync (group commit); in
 *   AWDB_SYNC into space a helper thread has filled with zeros and synced
 *   beforehand (wal_prealloc), so that the fdatasync flushes data only.
 *   Full memtables are written by a background thread into the base store
 *   (LMDB) together with the sequence number they reach; WAL segments wholly
 *   below that number are deleted.
 *
 * DURABILITY MODES (struct awdb_options.mode)
 *   AWDB_SYNC   a commit returns only once its WAL record is on disk
 *               (fdatasync); it becomes visible to new snapshots at that
 *               moment too. An acknowledged commit survives a crash.
 *   AWDB_ASYNC  a commit is visible and returns at once; the flusher syncs
 *               the WAL at least every flush_interval_ms. A crash (of the
 *               machine, or of the process before the queued records are
 *               written) loses at most the commits acknowledged in the last
 *               flush_interval_ms plus one sync's duration. awdb_sync()
 *               closes the window on demand.
 *   AWDB_NONE   no WAL: commits are durable only once their memtable has
 *               been flushed into the base store (awdb_checkpoint(),
 *               awdb_sync(), awdb_close()). A crash loses everything since.
 *
 * THREADS
 *   An awdb handle is shared by all threads. A transaction handle (awdb_txn)
 *   is used by one thread at a time; use one per thread. awdb_open starts up to
 *   three threads: the WAL flusher (not in AWDB_NONE), the memtable flusher,
 *   and in AWDB_SYNC the WAL preallocator (unless wal_prealloc is 0).
 *
 * LIMITS
 *   Keys: 1 to AWDB_MAX_KEY_SIZE bytes. Values: 0 to AWDB_MAX_VALUE_SIZE bytes,
 *   and one transaction's writes must fit in half a memtable's arena (about
 *   memtable_size / max_memtables * 0.43, counting 112 bytes of overhead per
 *   write: the node header and the tallest skiplist links) and use at most
 *   3/8 of its key index. Larger requests fail with AWDB_TOO_BIG and change
 *   nothing.
 *
 * MEMORY
 *   memtable_size bounds the memory of all memtables together: each one is a
 *   mapping of memtable_size / max_memtables bytes (an arena for versions, a
 *   key index of 1/8 and a Bloom filter of 1/64), committed as it fills.
 *   Beyond it: the WAL queue and write buffer (bounded by what one flush
 *   interval or sync produces), LMDB's dirty pages during a flush (bounded:
 *   flushes commit in chunks of 4096 keys or 8 MiB), and LMDB's memory map of
 *   the base file, which counts in a process's RSS as file-backed pages (clean
 *   page cache, reclaimable) and grows with the base, as any LMDB reader's.
 *
 * ERRORS
 *   Functions return 0 (AWDB_OK) on success, one of the negative AWDB_ codes
 *   below, an LMDB code (MDB_*, -30799..-30780, from the base store) or a
 *   positive errno value. awdb_strerror() describes all three. After an I/O
 *   error in the WAL or the base store the database is "failed": reads still
 *   work, every later commit returns AWDB_FAILED, and awdb_errmsg() says what
 *   went wrong first. Close it and open it again (recovery decides what
 *   survived); awdb never retries a failed fdatasync.
 *
 * FILES (in the directory)
 *   LOCK                 flock()ed while open: one process at a time
 *   base.mdb, base.mdb-lock   the LMDB base store
 *   wal-<16 hex>.log     WAL segments, named by the first sequence number in them;
 *                        in AWDB_SYNC followed by up to wal_prealloc bytes of zeros
 *
 * WAL RECORD FORMAT (little-endian)
 *   u32 crc     CRC32C (Castagnoli) of the 4 + len bytes that follow it
 *   u32 len     bytes after this field: 20 + operations
 *   u64 seq     the transaction's sequence number
 *   u32 count   number of operations, >= 1
 *   u64 synced  the highest sequence number durable when the record was
 *               written (< seq)
 *   count x { u8 type (1 put, 2 delete), u16 klen, u32 vlen, key, value }
 *
 * RECOVERY
 *   awdb_open reads the flushed sequence number from the base store and
 *   replays WAL records above it in order. Zeros to the end of a segment end
 *   it (no record starts with a zero length). Otherwise a bad record
 *   (checksum, length or order) at the end of the newest segment is a torn
 *   write, and the segment is truncated there, if nothing valid follows it,
 *   or if zeros before the next valid record fill a 512-byte sector or the
 *   end of one (a sector never written: written over zeros, sectors reach
 *   the disk in any order until the fdatasync that would have acknowledged
 *   them returns) and no valid record after it was written once it was
 *   durable (each record carries the durable sequence number at its
 *   write). So only the last writes before a crash can be cut, as for any
 *   log's torn tail; damage behind records written later is never taken for
 *   one. A bad record followed by a valid one otherwise, a bad
 *   record in an older segment, or missing records, is
 *   corruption: awdb_open fails with AWDB_CORRUPTED and a message naming the
 *   file and offset; nothing is skipped silently. Every open starts a new
 *   "generation" stored durably in the base: sequence numbers and transaction
 *   ids are (generation << 44 | counter), so neither ever repeats, even for
 *   commits an async crash lost. Messages print them as generation:counter.
 *
 * TIMESTAMPS
 *   Times reported by awdb are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef AWDB_H
#define AWDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes ------------------------------------------------------ */

#define AWDB_OK 0
#define AWDB_NOTFOUND (-31000)     /* get: no such key in the snapshot */
#define AWDB_CONFLICT (-31001)     /* commit: a key read changed since the snapshot */
#define AWDB_CORRUPTED (-31002)    /* open: the WAL or base store is damaged (see errbuf) */
#define AWDB_TOO_BIG (-31003)      /* a key, value or transaction is over the limits */
#define AWDB_FAILED (-31004)       /* an earlier I/O error failed the database; reopen */
#define AWDB_INVALID (-31005)      /* misuse: bad argument or call in the wrong state */
#define AWDB_LOCKED (-31006)       /* the directory is open elsewhere */
#define AWDB_INCOMPATIBLE (-31007) /* the directory holds another format version */
#define AWDB_EXPIRED (-31008)      /* awdb_commit_times: older than the kept history */

#define AWDB_MAX_KEY_SIZE 511                   /* LMDB's default key limit */
#define AWDB_MAX_VALUE_SIZE (64u * 1024 * 1024) /* and see LIMITS above */

/* Returns a static string describing rc: an AWDB_ code, an LMDB code or an
 * errno value. Never NULL. */
const char *awdb_strerror(int rc);

/* ---- file I/O --------------------------------------------------------- */

/*
 * The WAL's file I/O goes through this table, so that tests can fail the Nth
 * write or sync and simulate a crash by dropping unsynced writes (the base
 * store, LMDB, does its own I/O). Every function returns >= 0 on success and
 * a negative errno value on failure. pwrite may write fewer bytes than asked
 * (awdb loops); pread returns 0 at end of file. sync is fdatasync for files
 * and fsync for directories (opened with O_RDONLY|O_DIRECTORY). The table
 * and ctx must stay valid until awdb_close returns. awdb_io_posix() is the
 * default. The fault-injecting table tests use (awdb_fault.h) is a separate
 * library, awdb_fault, that only test and fuzzing builds link.
 */
struct awdb_io {
    void *ctx;
    int (*open)(void *ctx, const char *path, int flags, unsigned mode);
    long (*pwrite)(void *ctx, int fd, const void *buf, size_t n, uint64_t off);
    long (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off);
    int (*sync)(void *ctx, int fd);
    int (*truncate)(void *ctx, int fd, uint64_t len);
    int (*size)(void *ctx, int fd, uint64_t *len);
    int (*close)(void *ctx, int fd);
    int (*unlink)(void *ctx, const char *path);
};

/* The plain POSIX table (a static object). */
const struct awdb_io *awdb_io_posix(void);

/* ---- open and close --------------------------------------------------- */

typedef struct awdb awdb;
typedef struct awdb_txn awdb_txn;

enum awdb_mode { AWDB_SYNC = 0, AWDB_ASYNC = 1, AWDB_NONE = 2 };

struct awdb_options {
    enum awdb_mode mode;        /* default AWDB_SYNC */
    unsigned flush_interval_ms; /* AWDB_ASYNC: most ms between WAL syncs; 10, 1..60000 */
    size_t memtable_size;       /* bytes for all memtables together (the write memory budget);
                                   default 64 MiB, at least 256 KiB */
    unsigned max_memtables;     /* memtables sharing that budget: one active, the rest waiting
                                   to be flushed; writers stall when all are full. default 2, 2..8 */
    size_t wal_segment_size; /* start a new WAL segment past this size; default 64 MiB, >= 64 KiB */
    size_t wal_prealloc;     /* AWDB_SYNC: bytes of zeros a helper thread keeps written and
                                synced ahead of the WAL's end, so that each commit's fdatasync
                                overwrites instead of appending (no journal commit for a new
                                file size: on ext4 ~130 instead of ~195 us). default 4 MiB;
                                0 off, else >= 256 KiB. Ignored in the other modes */
    size_t base_map_size;    /* LMDB map size (the base store's size limit); default 64 GiB */
    unsigned max_txns;       /* most transaction handles alive at once; default 1024 */
    const struct awdb_io *io; /* WAL file I/O; NULL: awdb_io_posix() */
};

/* Fills o with the defaults above. */
void awdb_options_init(struct awdb_options *o);

/*
 * Opens (creating if needed) the database in directory dir, which must exist,
 * recovering from the WAL as described under RECOVERY. opts may be NULL for
 * the defaults. On success stores the handle in *dbp and returns 0. On failure
 * stores NULL, returns an error code and, if errbuf is not NULL, writes a
 * sentence saying what failed into errbuf (errlen bytes, NUL-terminated).
 * Errors: AWDB_INVALID (bad option), AWDB_LOCKED, AWDB_CORRUPTED,
 * AWDB_INCOMPATIBLE, LMDB codes, errno values.
 * The handle is freed by awdb_close.
 */
int awdb_open(const char *dir, const struct awdb_options *opts, awdb **dbp, char *errbuf,
              size_t errlen);

/*
 * Writes out what the WAL queue holds, flushes all memtables into the base
 * store (unless the database has failed), deletes the flushed WAL segments,
 * stops the threads and frees db. Every transaction handle must have been
 * freed first; if one is alive, returns AWDB_INVALID and leaves db open.
 * Otherwise db is freed whatever the result, and the result is the code of
 * the first error the database met (0 if none): read awdb_errmsg(db) before
 * closing to keep its text.
 */
int awdb_close(awdb *db);

/*
 * Makes every commit acknowledged so far durable and waits for it: a WAL sync
 * in AWDB_ASYNC (immediate in AWDB_SYNC), a checkpoint in AWDB_NONE.
 * Returns 0 or the error that failed the database.
 */
int awdb_sync(awdb *db);

/*
 * Flushes every memtable holding commits acknowledged so far into the base
 * store and deletes the WAL segments that become redundant; waits for it.
 * Returns 0 or the error that failed the database.
 */
int awdb_checkpoint(awdb *db);

/* The message of the first error that failed the database, or "" if none.
 * The string is db's, valid until awdb_close. */
const char *awdb_errmsg(awdb *db);

/* ---- transactions ----------------------------------------------------- */

/*
 * Creates a reusable transaction handle for db: allocates its buffers and an
 * LMDB reader slot, so that begin/commit themselves need not allocate. At most
 * opts.max_txns handles exist at once (AWDB_INVALID beyond). The handle is
 * idle until awdb_txn_begin. Free it with awdb_txn_free before awdb_close.
 */
int awdb_txn_new(awdb *db, awdb_txn **txnp);

/* Aborts the transaction if one is active and frees the handle. NULL is a no-op. */
void awdb_txn_free(awdb_txn *txn);

#define AWDB_TXN_RDONLY 1u /* begin: the transaction only reads (no read set is kept) */

/*
 * Starts a transaction on an idle handle: takes a snapshot of everything
 * visible now (a version of the memtables plus an LMDB read transaction).
 * flags: 0 or AWDB_TXN_RDONLY. Returns 0, AWDB_INVALID (handle not idle) or
 * an LMDB code. A snapshot pins memory: keep transactions short.
 */
int awdb_txn_begin(awdb_txn *txn, unsigned flags);

/*
 * Reads key in the transaction: its own writes first, then its snapshot.
 * On success stores a pointer to the value in *val and its length in *vlen.
 * The memory is awdb's: valid until the next awdb_put/awdb_del on this
 * transaction or its end (commit, abort). Do not write to it.
 * In a read-write transaction the key joins the read set: if another
 * transaction commits a change to it before this one commits, this one fails
 * with AWDB_CONFLICT (that includes reading a key that is absent).
 * The first read of a read-write transaction that reaches its snapshot may
 * refresh the snapshot: if key has a version newer than the snapshot (most
 * often a commit waiting for its WAL sync in AWDB_SYNC), reading the old one
 * would doom the commit, so awdb waits until that version is visible (at most
 * one sync) and takes the snapshot again. Nothing was read before, so the
 * transaction still sees one consistent state; it is just a later one.
 * Returns 0, AWDB_NOTFOUND, AWDB_TOO_BIG (key too long), AWDB_INVALID (no
 * active transaction, empty key), AWDB_FAILED (while waiting as above), or
 * an LMDB code.
 */
int awdb_get(awdb_txn *txn, const void *key, size_t klen, const void **val, size_t *vlen);

/*
 * Buffers a write of key=val (copied) in the transaction; a later write to the
 * same key in the same transaction replaces it. Nothing is visible to others
 * before commit. Returns 0, AWDB_TOO_BIG (see LIMITS; the transaction stays
 * usable without this write), AWDB_INVALID (no active read-write transaction,
 * empty key) or ENOMEM.
 */
int awdb_put(awdb_txn *txn, const void *key, size_t klen, const void *val, size_t vlen);

/* Buffers a deletion of key; like awdb_put. Deleting an absent key is not an error. */
int awdb_del(awdb_txn *txn, const void *key, size_t klen);

/* Called by awdb_scan for each key: key and value are awdb's, valid only
 * during the call. Return 0 to go on, anything else to stop the scan. */
typedef int (*awdb_scan_fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen);

/*
 * Visits, in key order (bytes compared as memcmp, a prefix first), the keys
 * >= start (all keys if slen is 0) that the transaction sees - its own
 * writes over its snapshot, deletions hiding keys - calling fn for each,
 * at most limit of them (0: no limit). Stops early when fn returns non-zero.
 * In a read-write transaction every key visited joins the read set, so a
 * later change to one of them conflicts; a key that another transaction
 * inserts into the range is not detected (no phantom protection, like
 * RocksDB's optimistic transactions). Returns 0, AWDB_INVALID (no active
 * transaction), AWDB_TOO_BIG (start too long), ENOMEM or an LMDB code.
 */
int awdb_scan(awdb_txn *txn, const void *start, size_t slen, size_t limit, awdb_scan_fn fn,
              void *arg);

/* What awdb_txn_commit reports about a successful commit. */
struct awdb_commit_info {
    uint64_t seq; /* the commit's sequence number; 0 if it wrote nothing */
    bool durable; /* already durable when commit returned (AWDB_SYNC) */
    bool visible; /* already visible to new snapshots when commit returned */
};

/*
 * Validates and commits the transaction, then leaves the handle idle
 * whatever the result. info may be NULL. A transaction that wrote nothing
 * commits at once (its reads were a consistent snapshot) with seq 0.
 * Returns:
 *   0              committed; in AWDB_SYNC it is durable and visible.
 *   AWDB_CONFLICT  a key in the read set has a version newer than the
 *                  snapshot, or a memtable flush since the snapshot may have
 *                  moved such a version out of the memtables (the same answer
 *                  RocksDB's optimistic transactions give as TryAgain). Nothing
 *                  was written; retry with a new transaction.
 *   AWDB_FAILED    the database failed (awdb_errmsg); in AWDB_SYNC a commit
 *                  waiting for its sync when the failure happened may or may
 *                  not survive a restart.
 *   AWDB_INVALID   no active read-write transaction.
 * Commits may wait ("stall") when all memtables are full until the
 * background flush frees one; awdb_stats counts stalls and their time.
 */
int awdb_txn_commit(awdb_txn *txn, struct awdb_commit_info *info);

/* Ends the transaction, discarding its writes; the handle becomes idle. Safe
 * on an idle handle. */
void awdb_txn_abort(awdb_txn *txn);

/* The active (or last) transaction's id: unique across restarts, never 0. */
uint64_t awdb_txn_id(const awdb_txn *txn);

/* The active transaction's snapshot: it sees exactly the commits with
 * sequence numbers <= this. */
uint64_t awdb_txn_snapshot(const awdb_txn *txn);

/* ---- observing -------------------------------------------------------- */

/* Highest sequence number such that it and every commit before it are
 * durable / visible. Lock-free; for polling. */
uint64_t awdb_durable_seq(awdb *db);
uint64_t awdb_visible_seq(awdb *db);

/* When a commit became durable and visible (awdb_commit_times). */
struct awdb_seq_times {
    uint64_t durable_ns; /* when it became durable; 0: not yet */
    uint64_t visible_ns; /* when it became visible in AWDB_SYNC; 0: not yet, or (AWDB_ASYNC,
                            AWDB_NONE) before its commit returned, which is not tracked */
    uint64_t step_seq;   /* every commit in (seq, step_seq] became durable at the same moment */
};

/*
 * When did commit seq become durable and visible? awdb keeps the last 8192
 * steps by which the durable sequence number advanced (one per WAL sync, or
 * per base flush in AWDB_NONE), with their CLOCK_MONOTONIC times. Fills *t
 * and returns 0 (times 0 if seq is not durable yet), or AWDB_EXPIRED if seq
 * is older than the kept steps. One lookup answers a whole step: a caller
 * with many commits to resolve can skip to t->step_seq.
 */
int awdb_commit_times(awdb *db, uint64_t seq, struct awdb_seq_times *t);

struct awdb_stats {
    uint64_t commits;        /* successful commits that wrote something */
    uint64_t conflicts;      /* commits that returned AWDB_CONFLICT */
    uint64_t user_bytes;     /* key + value bytes of committed writes */
    uint64_t wal_bytes;      /* bytes written to WAL segments */
    uint64_t wal_batches;    /* write calls the WAL flusher made */
    uint64_t wal_syncs;      /* fdatasync calls on WAL segments */
    uint64_t wal_sync_ns;    /* time the flusher spent in those calls */
    uint64_t wal_zeroed;     /* bytes of zeros written ahead (wal_prealloc) */
    uint64_t wal_zero_waits; /* WAL writes that waited for zeros being written there */
    uint64_t base_bytes;     /* bytes the base store wrote (Linux: write syscalls made by
                                awdb's flushes, from /proc/thread-self/io); 0 if unknown */
    uint64_t flushes;        /* memtables flushed into the base store */
    uint64_t write_stalls;   /* commits that waited for a memtable to be flushed */
    uint64_t stall_ns;       /* total time commits spent stalled */
    uint64_t memtable_bytes; /* arena bytes in use in the current memtables */
    uint64_t memtables;      /* memtables alive now, including ones pinned by snapshots */
    uint64_t last_seq, visible_seq, durable_seq, flushed_seq;
};

/* Fills *st with counters since open. Safe at any time, from any thread. */
void awdb_stats(awdb *db, struct awdb_stats *st);

#ifdef __cplusplus
}
#endif

#endif
