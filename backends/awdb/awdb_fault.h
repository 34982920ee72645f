/*
 * awdb_fault.h - a fault-injecting struct awdb_io for tests, in the manner of
 * SQLite's test_vfs.c (fail the Nth write or sync) and test6.c (simulate a
 * crash by dropping writes that were never synced), and awdb_abandon. They
 * are the awdb_fault library (io_fault.c, abandon.c), which tests link
 * besides awdb; the engine itself only has the I/O table's hook
 * (awdb_options.io).
 *
 * Usage: f = awdb_fault_new(); opts.io = awdb_fault_io(f); open, work, arm a
 * failure or call awdb_fault_crash(f); awdb_close(db) (it will report the
 * failure); awdb_fault_apply(f, seed) to cut the files back to what a real
 * crash would have left; open again with the POSIX table and check. For a
 * process killed with SIGKILL, whose table dies with it: awdb_fault_journal
 * in it, then awdb_fault_load and awdb_fault_power_loss in the one that
 * killed it (tests/test_awdb_crash.c).
 *
 * Only WAL files go through the table; the base store (LMDB) syncs its own
 * commits and is crash-safe by itself. Directory entries are assumed durable
 * once created (awdb fsyncs the directory after creating a segment).
 */
#ifndef AWDB_FAULT_H
#define AWDB_FAULT_H

#include "backends/awdb/awdb.h"

struct awdb_fault;

/* A new fault table passing everything through to POSIX; NULL if out of memory. */
struct awdb_fault *awdb_fault_new(void);

/* Frees f; the database using it must be closed first. */
void awdb_fault_free(struct awdb_fault *f);

/* The table to put in awdb_options.io; valid until awdb_fault_free. */
const struct awdb_io *awdb_fault_io(struct awdb_fault *f);

/* Arms a failure: the nth pwrite (or sync of a file) from now, 1-based, fails
 * with -err and writes (or syncs) nothing. nth 0 disarms. */
void awdb_fault_fail_write(struct awdb_fault *f, unsigned nth, int err);
void awdb_fault_fail_sync(struct awdb_fault *f, unsigned nth, int err);

/* Arms a failure of the next pwrite of at least min_bytes (0 disarms): the
 * WAL's own writes are small batches, the zeros written ahead of it
 * (wal_prealloc) come in chunks of 256 KiB and more. */
void awdb_fault_fail_big_write(struct awdb_fault *f, size_t min_bytes, int err);

/* The machine "crashes" now: from here on every open, write, sync, truncate
 * and unlink fails with -EIO (close and reads still work, so the handle can
 * be closed). */
void awdb_fault_crash(struct awdb_fault *f);

/* After the database is closed: truncates every file written through f to the
 * length it had at its last sync. With torn_seed != 0, keeps instead a random
 * number (chosen from torn_seed) of the unsynced bytes, as a torn write
 * would. Returns the number of bytes dropped, or -errno. */
long awdb_fault_apply(struct awdb_fault *f, unsigned torn_seed);

/* After the database is closed, a power loss instead: every 512-byte sector
 * overwritten since its file's last sync independently ends up as it was at
 * some moment since that sync (a device persists sectors in any order until
 * a flush), and bytes past the length the file had at its last sync are cut
 * at a random point. seed picks the outcome. Returns the bytes reverted or
 * cut, or -errno. */
long awdb_fault_power_loss(struct awdb_fault *f, unsigned seed);

/* A power loss across a SIGKILL, whose table dies with the process. Call
 * on a new table, before it is used: from then on f also appends to the file
 * at path a record of each change it keeps track of (a file opened, with its
 * size; a write, with the bytes it overwrites, recorded before it is made;
 * a sync once made; a truncation; an unlink), so that the process may be
 * killed at any moment. Truncates path first. Returns 0 or -errno; a record
 * that cannot be written fails the call it records (a write is then not
 * made). */
int awdb_fault_journal(struct awdb_fault *f, const char *path);

/* In another process, after the one writing the journal at path was killed:
 * rebuilds in the new table f its view of the files (up to the last whole
 * record), so that awdb_fault_power_loss(f, seed) turns the kill into a power
 * loss. Returns the number of records replayed, or -errno (-EINVAL: not a
 * journal). */
long awdb_fault_load(struct awdb_fault *f, const char *path);

/* Test support, as if the process died now: stops awdb's threads and frees
 * db without the checkpoint awdb_close makes (the WAL flusher still hands
 * what is queued to the I/O table, which after awdb_fault_crash refuses it).
 * Every transaction handle must be freed first (AWDB_INVALID otherwise).
 * Returns the code of the first error the database met, 0 if none. */
int awdb_abandon(awdb *db);

/* Calls so far (successful or not). */
uint64_t awdb_fault_writes(const struct awdb_fault *f);
uint64_t awdb_fault_syncs(const struct awdb_fault *f);

#endif
