/* test_awdb_recovery.c - awdb recovery: replay after a stop without a
 * checkpoint, crashes that drop unsynced writes (fault-injecting I/O), torn
 * tails, sectors never written (power loss: sectors written over zeros land
 * in any order), corruption in the middle of the log or in an older segment, missing
 * segments, recovery after memtable flushes and after a checkpoint, replay
 * into a smaller memtable, the Nth write or sync failing, and sequence
 * numbers and transaction ids never repeating after a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/awdb.h"
#include "backends/awdb/awdb_fault.h"
#include "backends/awdb/wal_record.h"
#include "tests/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct opts {
    enum awdb_mode mode;
    size_t memtable, segment;
    const struct awdb_io *io;
    bool no_prealloc; /* wal_prealloc 0 instead of the default */
};

static unsigned interval_ms = 50; /* AWDB_ASYNC's flush_interval_ms for try_open */

static int try_open(const char *dir, struct opts o, awdb **db, char *err, size_t errlen)
{
    struct awdb_options ao;
    awdb_options_init(&ao);
    ao.mode = o.mode;
    ao.flush_interval_ms = interval_ms;
    if (o.memtable)
        ao.memtable_size = o.memtable;
    if (o.segment)
        ao.wal_segment_size = o.segment;
    ao.io = o.io;
    if (o.no_prealloc)
        ao.wal_prealloc = 0;
    return awdb_open(dir, &ao, db, err, errlen);
}

static awdb *open_db(const char *dir, struct opts o)
{
    awdb *db;
    char err[512];
    int rc = try_open(dir, o, &db, err, sizeof err);
    if (rc)
        fail_msg("awdb_open: %s: %s", awdb_strerror(rc), err);
    return db;
}

static void keyval(unsigned i, char *key, size_t *klen, char *val, size_t *vlen)
{
    *klen = (size_t)snprintf(key, 32, "key%06u", i);
    *vlen = (size_t)snprintf(val, 128, "value-%u-%0*u", i, (int)(20 + i % 60), i);
}

/* Commits keys [from, to) one per transaction; returns how many returned OK
 * (they come first: after the first failure every commit fails). */
static unsigned commit_range(awdb *db, unsigned from, unsigned to, uint64_t *seqs)
{
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    unsigned ok = 0;
    for (unsigned i = from; i < to; i++) {
        char key[32], val[128];
        size_t klen, vlen;
        keyval(i, key, &klen, val, &vlen);
        assert_int_equal(awdb_txn_begin(t, 0), 0);
        assert_int_equal(awdb_put(t, key, klen, val, vlen), 0);
        struct awdb_commit_info info;
        int rc = awdb_txn_commit(t, &info);
        if (rc == 0) {
            assert_int_equal(ok, i - from); /* no OK after a failure */
            if (seqs)
                seqs[i] = info.seq;
            ok++;
        } else {
            assert_int_equal(rc, AWDB_FAILED);
        }
    }
    awdb_txn_free(t);
    return ok;
}

/* Whether key i is in t's snapshot, with the value it was committed with. */
static bool has_key(awdb_txn *t, unsigned i)
{
    char key[32], val[128];
    size_t klen, vlen, glen;
    const void *got;
    keyval(i, key, &klen, val, &vlen);
    int rc = awdb_get(t, key, klen, &got, &glen);
    if (rc == 0) {
        assert_int_equal(glen, vlen);
        assert_memory_equal(got, val, vlen);
    } else {
        assert_int_equal(rc, AWDB_NOTFOUND);
    }
    return rc == 0;
}

static awdb_txn *read_txn(awdb *db)
{
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    return t;
}

/* Which of keys [0, n) are present; checks values. Returns the count, and
 * checks the present ones form a prefix (commits are recovered in order). */
static unsigned present_prefix(awdb *db, unsigned n)
{
    awdb_txn *t = read_txn(db);
    unsigned count = 0;
    bool gap = false;
    for (unsigned i = 0; i < n; i++) {
        if (has_key(t, i)) {
            if (gap)
                fail_msg("key %u present after a missing one", i);
            count++;
        } else {
            gap = true;
        }
    }
    awdb_txn_free(t);
    return count;
}

static size_t count_segments(const char *dir, char *last, size_t lastlen)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    char best[256] = "";
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "wal-", 4) == 0) {
            n++;
            if (strcmp(de->d_name, best) > 0)
                snprintf(best, sizeof best, "%s", de->d_name);
        }
    closedir(d);
    if (last)
        snprintf(last, lastlen, "%s/%s", dir, best);
    return n;
}

static char *nth_segment(const char *dir, size_t nth, char *path, size_t n)
{
    char names[64][256];
    size_t count = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) && count < 64)
        if (strncmp(de->d_name, "wal-", 4) == 0)
            snprintf(names[count++], 256, "%s", de->d_name);
    closedir(d);
    qsort(names, count, 256, (int (*)(const void *, const void *))strcmp);
    assert_true(nth < count);
    snprintf(path, n, "%s/%s", dir, names[nth]);
    return path;
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* Where the log in segment path ends: past its last non-zero byte (records
 * end with value bytes, never zero, in these tests; zeros written ahead by
 * wal_prealloc, or nothing, follow). */
static long log_end(const char *path)
{
    size_t n;
    char *buf = kvbt_read_file_n(path, &n);
    assert_non_null(buf);
    while (n > 0 && buf[n - 1] == 0)
        n--;
    free(buf);
    return (long)n;
}

static void write_at(const char *path, long off, const void *buf, size_t n)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void flip_byte(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

static void test_replay_clean(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-replay");
    struct opts o = {AWDB_SYNC, 0, 0, NULL, false};
    awdb *db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 200, NULL), 200);
    assert_int_equal(awdb_abandon(db), 0);
    db = open_db(dir, o);
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_int_equal(st.flushed_seq, 0); /* all of it came from the WAL */
    assert_int_equal(present_prefix(db, 200), 200);
    /* recovered twice over: replay, commit more, stop again */
    assert_int_equal(commit_range(db, 200, 300, NULL), 100);
    assert_int_equal(awdb_abandon(db), 0);
    db = open_db(dir, o);
    assert_int_equal(present_prefix(db, 300), 300);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_crash_drops_unsynced(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    for (unsigned seed = 0; seed < 6; seed++) {
        kvbt_mkdtemp(dir, "awdb-crash");
        struct awdb_fault *f = awdb_fault_new();
        struct opts o = {AWDB_ASYNC, 0, 0, awdb_fault_io(f), false};
        interval_ms = 60000; /* no interval sync: 300 .. 599 are never synced */
        awdb *db = open_db(dir, o);
        interval_ms = 50;
        assert_int_equal(commit_range(db, 0, 300, NULL), 300);
        assert_int_equal(awdb_sync(db), 0);
        assert_int_equal(commit_range(db, 300, 600, NULL), 600 - 300);
        awdb_fault_crash(f);
        awdb_abandon(db);
        /* seed 0: drop every unsynced byte; others: keep a torn part */
        assert_true(awdb_fault_apply(f, seed) >= 0);
        awdb_fault_free(f);
        o.io = NULL;
        db = open_db(dir, o);
        unsigned n = present_prefix(db, 600);
        assert_true(n >= 300); /* everything synced survives */
        if (seed == 0)
            assert_int_equal(n, 300); /* and nothing that was not */
        assert_int_equal(awdb_close(db), 0);
        kvbt_rmtree(dir);
    }
}

/* ---- power loss: sectors persisted in any order ---- */

#define PL_THREADS 12
#define PL_MAX 100000u

struct pl_writer {
    awdb *db;
    unsigned t;
    unsigned acked; /* keys t, t + PL_THREADS, ... acknowledged, in order */
    _Atomic bool *stop;
};

static void *pl_main(void *arg)
{
    struct pl_writer *w = arg;
    awdb_txn *t;
    if (awdb_txn_new(w->db, &t))
        return NULL;
    for (unsigned i = w->t; i < PL_MAX && !atomic_load(w->stop); i += PL_THREADS) {
        char key[32], val[128];
        size_t klen, vlen;
        keyval(i, key, &klen, val, &vlen);
        if (awdb_txn_begin(t, 0) || awdb_put(t, key, klen, val, vlen) ||
            awdb_txn_commit(t, NULL))
            break;
        w->acked++;
    }
    awdb_txn_free(t);
    return NULL;
}

/* Several writers commit with AWDB_SYNC (batches of several records, over
 * the zeros written ahead) until the power fails at a random moment: every
 * sector written since the last sync keeps its new content or loses it,
 * independently. The database must open (a batch cut in any pattern is a
 * torn tail, not corruption) with every acknowledged commit. */
static void test_power_loss(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    unsigned rounds = 60, reverted = 0;
    for (unsigned seed = 1; seed <= rounds; seed++) {
        kvbt_mkdtemp(dir, "awdb-power");
        struct awdb_fault *f = awdb_fault_new();
        struct opts o = {AWDB_SYNC, 0, 0, awdb_fault_io(f), false};
        awdb *db = open_db(dir, o);
        /* The power fails during a sync (the flusher's, or the helper's of
         * its zeros): that sync never happens, and the log stops there. */
        awdb_fault_fail_sync(f, 10 + seed * 7 % 60, EIO);
        _Atomic bool stop = false;
        pthread_t th[PL_THREADS];
        struct pl_writer w[PL_THREADS];
        for (unsigned t = 0; t < PL_THREADS; t++) {
            w[t] = (struct pl_writer){db, t, 0, &stop};
            assert_int_equal(pthread_create(&th[t], NULL, pl_main, &w[t]), 0);
        }
        for (unsigned t = 0; t < PL_THREADS; t++)
            pthread_join(th[t], NULL); /* each stops at its first failed commit */
        awdb_fault_crash(f);
        awdb_abandon(db);
        long lost = awdb_fault_power_loss(f, seed);
        assert_true(lost >= 0);
        reverted += lost > 0;
        awdb_fault_free(f);
        o.io = NULL;
        unsigned present[PL_THREADS];
        for (int reopen = 0; reopen < 2; reopen++) { /* and what came back stays */
            db = open_db(dir, o);
            awdb_txn *rt = read_txn(db);
            for (unsigned t = 0; t < PL_THREADS; t++) {
                /* each writer's keys come back as a prefix of its commits */
                unsigned k = 0;
                while (t + k * PL_THREADS < PL_MAX && has_key(rt, t + k * PL_THREADS))
                    k++;
                if (k < w[t].acked)
                    fail_msg("seed %u: writer %u acked %u commits, %u came back", seed, t,
                             w[t].acked, k);
                for (unsigned j = k + 1; j < k + 64 && t + j * PL_THREADS < PL_MAX; j++)
                    if (has_key(rt, t + j * PL_THREADS))
                        fail_msg("seed %u: writer %u: commit %u back, %u missing", seed, t, j,
                                 k);
                if (reopen)
                    assert_int_equal(k, present[t]);
                present[t] = k;
            }
            awdb_txn_free(rt);
            assert_int_equal(awdb_close(db), 0);
        }
        kvbt_rmtree(dir);
    }
    print_message("%u power losses, %u with unsynced bytes lost\n", rounds, reverted);
    assert_true(reverted > 0);
}

/* Waits (10 s at most) until awdb's helper has written zeros ahead of the
 * WAL: it runs on its own schedule. */
static void wait_zeroed(awdb *db)
{
    struct awdb_stats st;
    for (int i = 0; i < 10000; i++) {
        awdb_stats(db, &st);
        if (st.wal_zeroed > 0)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("no zeros were written ahead of the WAL in 10 s");
}

/* With wal_prealloc (the default in AWDB_SYNC) the segment goes on in zeros
 * past the log's end; without, it ends there. Either way a torn record at
 * the end is cut off, and the zeros are not mistaken for one. */
static void torn_tail(bool prealloc)
{
    char dir[PATH_MAX], seg[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-torn");
    struct opts o = {AWDB_SYNC, 0, 0, NULL, !prealloc};
    awdb *db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 100, NULL), 100);
    if (prealloc)
        wait_zeroed(db);
    assert_int_equal(awdb_abandon(db), 0);
    count_segments(dir, seg, sizeof seg);
    long end = log_end(seg);
    if (prealloc)
        assert_true(file_size(seg) > end); /* zeros ahead */
    else
        assert_int_equal(file_size(seg), end);
    /* zeros after the log are its end: a clean reopen changes nothing */
    db = open_db(dir, o);
    assert_int_equal(present_prefix(db, 100), 100);
    assert_int_equal(awdb_abandon(db), 0);
    assert_int_equal(log_end(seg), end);
    /* half a record: a plausible header whose body never made it */
    uint8_t junk[57] = {0x11, 0x22, 0x33, 0x44, 200, 0, 0, 0};
    write_at(seg, end, junk, sizeof junk);
    db = open_db(dir, o);
    assert_int_equal(present_prefix(db, 100), 100);
    /* the tail was cut off before anything new was appended */
    assert_int_equal(file_size(seg), end);
    assert_int_equal(commit_range(db, 100, 150, NULL), 50);
    assert_int_equal(awdb_abandon(db), 0);
    db = open_db(dir, o);
    assert_int_equal(present_prefix(db, 150), 150);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);

    /* a record cut short at every possible length is a torn tail, whether
     * the file ends there or zeros follow */
    kvbt_mkdtemp(dir, "awdb-torn2");
    db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 3, NULL), 3);
    assert_int_equal(awdb_abandon(db), 0);
    count_segments(dir, seg, sizeof seg);
    size_t size;
    char *copy = kvbt_read_file_n(seg, &size);
    assert_non_null(copy);
    end = log_end(seg);
    for (long cut = end - 1; cut > end - 60; cut -= 7) {
        FILE *w = fopen(seg, "wb");
        fwrite(copy, 1, (size_t)cut, w);
        if (prealloc)
            for (long i = cut; i < (long)size; i++)
                fputc(0, w);
        fclose(w);
        db = open_db(dir, o);
        assert_int_equal(present_prefix(db, 3), 2);
        assert_int_equal(awdb_abandon(db), 0);
    }
    free(copy);
    kvbt_rmtree(dir);
}

static void test_torn_tail(void **state)
{
    (void)state;
    torn_tail(true);
    torn_tail(false);
}

/* Offset of the nth record of the segment at path. */
static size_t record_offset(const char *path, unsigned nth)
{
    size_t size, pos = 0;
    uint8_t *log = (uint8_t *)kvbt_read_file_n(path, &size);
    assert_non_null(log);
    for (unsigned i = 0; i < nth; i++) {
        struct awdb_rec_view v;
        assert_int_equal(awdb_rec_check(log + pos, size - pos, &v), AWDB_REC_OK);
        pos += v.size;
    }
    free(log);
    return pos;
}

static const uint8_t zeros512[512];

/* A sector that reads back as zeros, from a record's start to the sector's
 * end or a whole one, is what a crash leaves of writes that never reached
 * the disk - or what damage leaves of synced ones. Which of the two it is,
 * the records after it say: each carries the durable sequence number at its
 * write. Behind records written once the damaged one was synced it is
 * corruption (never a silent cut of acknowledged commits); within the last
 * unsynced writes it is a torn tail. */
static void test_unwritten_sector(void **state)
{
    (void)state;
    char dir[PATH_MAX], seg[PATH_MAX], err[512];
    awdb *db;
    /* sync mode: every commit was synced before the next was written */
    for (int whole = 0; whole < 2; whole++) {
        kvbt_mkdtemp(dir, "awdb-sector");
        struct opts o = {AWDB_SYNC, 0, 0, NULL, false};
        db = open_db(dir, o);
        assert_int_equal(commit_range(db, 0, 100, NULL), 100);
        assert_int_equal(awdb_abandon(db), 0);
        count_segments(dir, seg, sizeof seg);
        size_t at = record_offset(seg, 50);
        if (whole) /* the whole sector after its start */
            write_at(seg, (long)((at + 511) / 512 * 512), zeros512, 512);
        else /* its start to the sector's end */
            write_at(seg, (long)at, zeros512, 512 - at % 512);
        assert_int_equal(try_open(dir, o, &db, err, sizeof err), AWDB_CORRUPTED);
        print_message("reported: %s\n", err);
        assert_non_null(strstr(err, "written after it was synced"));
        kvbt_rmtree(dir);
    }

    /* async mode, no interval sync meanwhile: 100 commits synced, then 100
     * written whose sync fails */
    kvbt_mkdtemp(dir, "awdb-sector2");
    struct awdb_fault *f = awdb_fault_new();
    struct opts o = {AWDB_ASYNC, 0, 0, awdb_fault_io(f), false};
    interval_ms = 60000;
    db = open_db(dir, o);
    interval_ms = 50;
    assert_int_equal(commit_range(db, 0, 100, NULL), 100);
    assert_int_equal(awdb_sync(db), 0);
    awdb_fault_fail_sync(f, 1, EIO);
    assert_int_equal(commit_range(db, 100, 200, NULL), 100);
    assert_int_not_equal(awdb_sync(db), 0);
    awdb_abandon(db);
    awdb_fault_free(f);
    count_segments(dir, seg, sizeof seg);
    size_t at = record_offset(seg, 150);
    long sector = (long)((at + 511) / 512 * 512);
    write_at(seg, sector, zeros512, 512);
    o.io = NULL;
    db = open_db(dir, o);
    unsigned n = present_prefix(db, 200);
    print_message("zeroed sector at %ld, in the unsynced writes: %u of 200 commits back\n",
                  sector, n);
    assert_true(n >= 150 && n < 200);
    assert_true(file_size(seg) <= sector); /* cut where the first record broke */
    assert_int_equal(awdb_close(db), 0);
    db = open_db(dir, o); /* and it stays that way */
    assert_int_equal(present_prefix(db, 200), n);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_corruption_reported(void **state)
{
    (void)state;
    char dir[PATH_MAX], seg[PATH_MAX], err[512];
    awdb *db;
    /* a bad record followed by valid ones */
    kvbt_mkdtemp(dir, "awdb-corrupt");
    struct opts o = {AWDB_SYNC, 0, 0, NULL, false};
    db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 100, NULL), 100);
    wait_zeroed(db);
    assert_int_equal(awdb_abandon(db), 0);
    count_segments(dir, seg, sizeof seg);
    assert_true(file_size(seg) > log_end(seg)); /* zeros follow the log */
    flip_byte(seg, log_end(seg) / 2);
    assert_int_equal(try_open(dir, o, &db, err, sizeof err), AWDB_CORRUPTED);
    assert_null(db);
    print_message("reported: %s\n", err);
    assert_non_null(strstr(err, "followed by a valid record"));
    assert_non_null(strstr(err, "offset"));
    /* refusing to open changed nothing: still corrupt */
    assert_int_equal(try_open(dir, o, &db, err, sizeof err), AWDB_CORRUPTED);
    kvbt_rmtree(dir);

    /* a bad record in an older segment */
    kvbt_mkdtemp(dir, "awdb-corrupt2");
    o.segment = 64 << 10;
    o.mode = AWDB_ASYNC; /* volume; rolling syncs the old segment either way */
    db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 2000, NULL), 2000);
    assert_int_equal(awdb_sync(db), 0);
    assert_int_equal(awdb_abandon(db), 0);
    assert_true(count_segments(dir, NULL, 0) >= 3);
    nth_segment(dir, 0, seg, sizeof seg);
    flip_byte(seg, log_end(seg) - 3); /* even its very last record */
    assert_int_equal(try_open(dir, o, &db, err, sizeof err), AWDB_CORRUPTED);
    print_message("reported: %s\n", err);
    assert_non_null(strstr(err, "newer segments follow"));
    kvbt_rmtree(dir);

    /* a missing segment */
    kvbt_mkdtemp(dir, "awdb-corrupt3");
    db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 2000, NULL), 2000);
    assert_int_equal(awdb_sync(db), 0);
    assert_int_equal(awdb_abandon(db), 0);
    nth_segment(dir, 1, seg, sizeof seg);
    assert_int_equal(unlink(seg), 0);
    assert_int_equal(try_open(dir, o, &db, err, sizeof err), AWDB_CORRUPTED);
    print_message("reported: %s\n", err);
    assert_non_null(strstr(err, "missing"));
    kvbt_rmtree(dir);
}

static void test_recover_after_flush(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-afterflush");
    struct opts o = {AWDB_ASYNC, 256 << 10, 64 << 10, NULL, false};
    awdb *db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 4000, NULL), 4000);
    assert_int_equal(awdb_sync(db), 0);
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_true(st.flushes >= 2);
    assert_true(st.flushed_seq > 0);
    /* flushed segments were deleted: what is left covers the memtables */
    size_t segs = count_segments(dir, NULL, 0);
    print_message("after flush: %" PRIu64 " flushes, %zu segments left\n", st.flushes, segs);
    assert_true(segs < 12);
    assert_int_equal(awdb_abandon(db), 0);
    db = open_db(dir, o);
    assert_int_equal(present_prefix(db, 4000), 4000);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_recover_after_checkpoint(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-afterckpt");
    struct opts o = {AWDB_ASYNC, 0, 64 << 10, NULL, false};
    awdb *db = open_db(dir, o);
    assert_int_equal(commit_range(db, 0, 1000, NULL), 1000);
    assert_int_equal(awdb_sync(db), 0);
    assert_true(count_segments(dir, NULL, 0) >= 2);
    assert_int_equal(awdb_checkpoint(db), 0);
    /* only the segment being written is left */
    assert_int_equal(count_segments(dir, NULL, 0), 1);
    assert_int_equal(commit_range(db, 1000, 1500, NULL), 500);
    assert_int_equal(awdb_sync(db), 0);
    assert_int_equal(awdb_abandon(db), 0);
    db = open_db(dir, o);
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_true(st.flushed_seq > 0);
    assert_int_equal(present_prefix(db, 1500), 1500);
    assert_int_equal(awdb_close(db), 0);
    /* a clean close leaves no WAL at all */
    assert_int_equal(count_segments(dir, NULL, 0), 0);
    kvbt_rmtree(dir);
}

static void test_replay_into_smaller_memtables(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-smaller");
    struct opts big = {AWDB_ASYNC, 16 << 20, 0, NULL, false};
    awdb *db = open_db(dir, big);
    assert_int_equal(commit_range(db, 0, 6000, NULL), 6000);
    assert_int_equal(awdb_sync(db), 0);
    assert_int_equal(awdb_abandon(db), 0);
    struct opts small = {AWDB_SYNC, 256 << 10, 0, NULL, false};
    db = open_db(dir, small);
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_true(st.flushed_seq > 0); /* replay had to flush on the way */
    assert_int_equal(present_prefix(db, 6000), 6000);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void fail_nth(bool sync_fails)
{
    char dir[PATH_MAX];
    for (unsigned nth = 1; nth <= 7; nth += 3) {
        kvbt_mkdtemp(dir, "awdb-failnth");
        struct awdb_fault *f = awdb_fault_new();
        /* wal_prealloc off: the Nth call is the flusher's own (the
         * helper's failures are tested in test_awdb_wal) */
        struct opts o = {AWDB_SYNC, 0, 0, awdb_fault_io(f), true};
        awdb *db = open_db(dir, o);
        assert_int_equal(commit_range(db, 0, 20, NULL), 20);
        if (sync_fails)
            awdb_fault_fail_sync(f, nth, EIO);
        else
            awdb_fault_fail_write(f, nth, ENOSPC);
        unsigned ok = commit_range(db, 20, 60, NULL);
        assert_true(ok < 40);
        const char *msg = awdb_errmsg(db);
        assert_non_null(strstr(msg, sync_fails ? "fdatasync" : "write"));
        /* once failed, the database stays failed, reads still work */
        assert_int_equal(commit_range(db, 60, 61, NULL), 0);
        assert_true(present_prefix(db, 60) >= 20 + ok);
        assert_int_equal(awdb_close(db), sync_fails ? EIO : ENOSPC);
        awdb_fault_free(f);
        /* a failed fdatasync may have lost anything not synced before it:
         * make that real, then every acknowledged commit must be back */
        o.io = NULL;
        db = open_db(dir, o);
        unsigned n = present_prefix(db, 61);
        assert_true(n >= 20 + ok);
        assert_int_equal(awdb_close(db), 0);
        kvbt_rmtree(dir);
    }
}

static void test_fail_nth_sync(void **state)
{
    (void)state;
    fail_nth(true);
}

static void test_fail_nth_write(void **state)
{
    (void)state;
    fail_nth(false);
}

static void test_seqs_and_ids_never_repeat(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-norepeat");
    uint64_t seqs[400] = {0};
    uint64_t max_seq = 0, max_id = 0;
    for (int round = 0; round < 3; round++) {
        struct awdb_fault *f = awdb_fault_new();
        struct opts o = {AWDB_ASYNC, 0, 0, awdb_fault_io(f), false};
        awdb *db = open_db(dir, o);
        awdb_txn *t;
        assert_int_equal(awdb_txn_new(db, &t), 0);
        assert_int_equal(awdb_txn_begin(t, 0), 0);
        assert_true(awdb_txn_id(t) > max_id);
        awdb_txn_abort(t);
        awdb_txn_free(t);
        unsigned base = (unsigned)round * 100;
        assert_int_equal(commit_range(db, base, base + 100, seqs), 100);
        for (unsigned i = base; i < base + 100; i++) {
            assert_true(seqs[i] > max_seq);
            max_seq = seqs[i];
        }
        assert_int_equal(awdb_txn_new(db, &t), 0);
        assert_int_equal(awdb_txn_begin(t, 0), 0);
        max_id = awdb_txn_id(t);
        awdb_txn_abort(t);
        awdb_txn_free(t);
        /* crash before the interval sync: acknowledged commits are lost,
         * but their seqs must still never be handed out again */
        awdb_fault_crash(f);
        awdb_abandon(db);
        awdb_fault_apply(f, 0);
        awdb_fault_free(f);
    }
    kvbt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_clean),
        cmocka_unit_test(test_crash_drops_unsynced),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_unwritten_sector),
        cmocka_unit_test(test_power_loss),
        cmocka_unit_test(test_corruption_reported),
        cmocka_unit_test(test_recover_after_flush),
        cmocka_unit_test(test_recover_after_checkpoint),
        cmocka_unit_test(test_replay_into_smaller_memtables),
        cmocka_unit_test(test_fail_nth_sync),
        cmocka_unit_test(test_fail_nth_write),
        cmocka_unit_test(test_seqs_and_ids_never_repeat),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
