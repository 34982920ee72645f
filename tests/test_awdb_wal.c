/* test_awdb_wal.c - WAL records (encode, decode, every corrupted bit caught)
 * and the WAL writer: append and flush, 10 threads x 100 concurrent appends
 * with group commit, async interval syncs, segment rolling and deletion
 * (a new segment never deleted by a flush finishing as it starts),
 * zeros written ahead of the log (wal_prealloc), and I/O failures (a failed
 * write or sync, the flusher's or the preallocator's, stops the log and
 * reaches every waiter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/awdb_fault.h"
#include "backends/awdb/skiplist.h"
#include "backends/awdb/wal.h"
#include "backends/awdb/wal_record.h"
#include "tests/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- records ---- */

static size_t make_record(uint8_t *buf, uint64_t seq, int nops)
{
    size_t total = AWDB_REC_HDR;
    char key[32], val[64];
    for (int i = 0; i < nops; i++)
        total +=
            awdb_rec_op_size((size_t)snprintf(key, sizeof key, "key-%d", i),
                             i % 3 == 2 ? 0 : (size_t)snprintf(val, sizeof val, "value-%d", i));
    awdb_rec_begin(buf, total, (uint32_t)nops);
    uint8_t *p = buf + AWDB_REC_HDR;
    for (int i = 0; i < nops; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key-%d", i);
        if (i % 3 == 2) {
            p = awdb_rec_put_op(p, AWDB_OP_DEL, key, klen, NULL, 0);
        } else {
            size_t vlen = (size_t)snprintf(val, sizeof val, "value-%d", i);
            p = awdb_rec_put_op(p, AWDB_OP_PUT, key, klen, val, vlen);
        }
    }
    assert_int_equal((size_t)(p - buf), total);
    awdb_rec_set_seq(buf, seq);
    awdb_rec_seal(buf, seq - 1);
    return total;
}

static void test_record_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t n = make_record(buf, 77, 5);
    struct awdb_rec_view v;
    assert_int_equal(awdb_rec_check(buf, n, &v), AWDB_REC_OK);
    assert_int_equal(v.seq, 77);
    assert_int_equal(v.count, 5);
    assert_int_equal(v.size, n);
    /* extra bytes after a record are not its business */
    assert_int_equal(awdb_rec_check(buf, n + 10, &v), AWDB_REC_OK);
    size_t pos = 0;
    struct awdb_rec_op op;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(awdb_rec_next_op(&v, &pos, &op), 0);
        char key[32], val[64];
        size_t klen = (size_t)snprintf(key, sizeof key, "key-%d", i);
        assert_int_equal(op.klen, klen);
        assert_memory_equal(op.key, key, klen);
        if (i % 3 == 2) {
            assert_int_equal(op.type, AWDB_OP_DEL);
            assert_int_equal(op.vlen, 0);
        } else {
            size_t vlen = (size_t)snprintf(val, sizeof val, "value-%d", i);
            assert_int_equal(op.type, AWDB_OP_PUT);
            assert_int_equal(op.vlen, vlen);
            assert_memory_equal(op.val, val, vlen);
        }
    }
    assert_int_equal(awdb_rec_next_op(&v, &pos, &op), 1);
}

static void test_record_damage(void **state)
{
    (void)state;
    uint8_t buf[1024], bad[1024];
    size_t n = make_record(buf, 12345, 3);
    struct awdb_rec_view v;
    /* every single flipped bit is caught */
    for (size_t bit = 0; bit < n * 8; bit++) {
        memcpy(bad, buf, n);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(awdb_rec_check(bad, n, &v), AWDB_REC_OK);
    }
    /* every truncation is short */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(awdb_rec_check(buf, len, &v), AWDB_REC_SHORT);
    /* zeros (a preallocated or zero-filled tail) are not a record */
    memset(bad, 0, sizeof bad);
    assert_int_not_equal(awdb_rec_check(bad, sizeof bad, &v), AWDB_REC_OK);
    /* a record whose checksum is right but whose ops do not fill it */
    memcpy(bad, buf, n);
    awdb_put_u32(bad + 16, 2); /* count 3 -> 2 */
    awdb_rec_seal(bad, 0);
    assert_int_equal(awdb_rec_check(bad, n, &v), AWDB_REC_BAD);
}

/* ---- the writer ---- */

struct seen {
    pthread_mutex_t mu;
    uint64_t durable, calls;
    int errors, backwards;
    char msg[512];
    /* the on_segment hook (test_new_segment_never_deleted) */
    struct awdb_wal *w;
    uint64_t behind;             /* it deletes up to durable - behind */
    unsigned segments, unlinked; /* new segments seen; gone once it had run */
    int delete_rc;
};

static void on_durable(void *ctx, uint64_t seq, uint64_t ns)
{
    struct seen *s = ctx;
    (void)ns;
    pthread_mutex_lock(&s->mu);
    if (seq < s->durable) /* no cmocka asserts off the main thread */
        s->backwards++;
    s->durable = seq;
    s->calls++;
    pthread_mutex_unlock(&s->mu);
}

static void on_error(void *ctx, int rc, const char *msg)
{
    struct seen *s = ctx;
    (void)rc;
    pthread_mutex_lock(&s->mu);
    s->errors++;
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    pthread_mutex_unlock(&s->mu);
}

struct wfix {
    char dir[PATH_MAX];
    struct awdb_wal w;
    struct seen seen;
    struct awdb_recpool *pool;
    pthread_mutex_t seq_mu;
    uint64_t next_seq;
};

/* Starts a log in a new directory with cfg's mode, sizes, I/O table and
 * hook, and the fixture's callbacks. */
static void wfix_open_cfg(struct wfix *f, const char *tag, struct awdb_wal_config cfg)
{
    kvbt_mkdtemp(f->dir, tag);
    memset(&f->seen, 0, sizeof f->seen);
    pthread_mutex_init(&f->seen.mu, NULL);
    pthread_mutex_init(&f->seq_mu, NULL);
    f->seen.w = &f->w;
    cfg.dir = f->dir;
    cfg.io = cfg.io ? cfg.io : awdb_io_posix();
    cfg.interval_ms = 5;
    cfg.on_durable = on_durable;
    cfg.on_error = on_error;
    cfg.ctx = &f->seen;
    assert_int_equal(awdb_wal_init(&f->w, &cfg, 0), 0);
    assert_int_equal(awdb_wal_start(&f->w), 0);
    f->pool = awdb_recpool_new();
    f->next_seq = 1;
}

static void wfix_open_prealloc(struct wfix *f, const char *tag, enum awdb_mode mode,
                               size_t segsize, size_t prealloc, const struct awdb_io *io)
{
    wfix_open_cfg(f, tag,
                  (struct awdb_wal_config){
                      .io = io, .mode = mode, .segment_size = segsize, .prealloc = prealloc});
}

static void wfix_open(struct wfix *f, const char *tag, enum awdb_mode mode, size_t segsize,
                      const struct awdb_io *io)
{
    wfix_open_prealloc(f, tag, mode, segsize, 0, io);
}

static void wfix_close(struct wfix *f)
{
    awdb_wal_stop(&f->w);
    awdb_recpool_release(f->pool);
    awdb_wal_destroy(&f->w);
    kvbt_rmtree(f->dir);
}

/* Encodes a one-put record, assigns the next seq and pushes it, as a commit
 * does under the commit lock. Returns the seq. */
static uint64_t append(struct wfix *f, struct awdb_recpool *pool, unsigned tag)
{
    char key[32], val[100];
    size_t klen = (size_t)snprintf(key, sizeof key, "key-%u", tag);
    memset(val, 'v', sizeof val);
    size_t total = AWDB_REC_HDR + awdb_rec_op_size(klen, sizeof val);
    struct awdb_rec *r = awdb_recpool_get(pool, total);
    assert_non_null(r);
    awdb_rec_begin(r->buf, total, 1);
    awdb_rec_put_op(r->buf + AWDB_REC_HDR, AWDB_OP_PUT, key, klen, val, sizeof val);
    pthread_mutex_lock(&f->seq_mu);
    uint64_t seq = f->next_seq++;
    r->seq = seq;
    awdb_rec_set_seq(r->buf, seq);
    awdb_wal_push(&f->w, r);
    pthread_mutex_unlock(&f->seq_mu);
    awdb_wal_notify(&f->w);
    return seq;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Reads every segment in dir in order; returns the number of records and
 * checks their seqs run on without a gap from 1 (from *from, the first
 * segment's first, when from is given: older segments were deleted) and that
 * each segment holds records, then nothing or zeros (written ahead), if
 * zeroed is given (it counts the zero bytes). */
static uint64_t scan_log(const char *dir, size_t *nsegs, size_t *zeroed, uint64_t *from)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    uint64_t firsts[1024];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "wal-", 4) == 0)
            firsts[n++] = strtoull(de->d_name + 4, NULL, 16);
    closedir(d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (firsts[j] < firsts[i]) {
                uint64_t t = firsts[i];
                firsts[i] = firsts[j];
                firsts[j] = t;
            }
    uint64_t count = 0;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        awdb_wal_seg_path(path, sizeof path, dir, firsts[i]);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        long size = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)size + 1);
        assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        size_t pos = 0;
        while (pos < (size_t)size) {
            struct awdb_rec_view v;
            if (zeroed && awdb_rec_check(buf + pos, (size_t)size - pos, &v) != AWDB_REC_OK) {
                assert_true(all_zero(buf + pos, (size_t)size - pos));
                *zeroed += (size_t)size - pos;
                break;
            }
            assert_int_equal(awdb_rec_check(buf + pos, (size_t)size - pos, &v), AWDB_REC_OK);
            if (pos == 0)
                assert_int_equal(v.seq, firsts[i]);
            assert_int_equal(v.seq, (from ? firsts[0] : 1) + count);
            count++;
            pos += v.size;
        }
        free(buf);
    }
    if (nsegs)
        *nsegs = n;
    if (from)
        *from = n ? firsts[0] : 0;
    return count;
}

/* The log from seq 1, where nothing may follow the records. */
static uint64_t read_log(const char *dir, size_t *nsegs)
{
    return scan_log(dir, nsegs, NULL, NULL);
}

static void test_append_flush(void **state)
{
    (void)state;
    struct wfix f;
    wfix_open(&f, "wal-append", AWDB_SYNC, 64 << 20, NULL);
    for (unsigned i = 0; i < 300; i++) {
        uint64_t seq = append(&f, f.pool, i);
        assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
        assert_true(awdb_wal_durable(&f.w) >= seq);
    }
    assert_int_equal(f.seen.durable, 300);
    assert_int_equal(f.seen.errors, 0);
    assert_int_equal(f.seen.backwards, 0);
    assert_int_equal(atomic_load(&f.w.syncs), f.seen.calls);
    awdb_wal_stop(&f.w);
    size_t nsegs;
    assert_int_equal(read_log(f.dir, &nsegs), 300);
    assert_int_equal(nsegs, 1);
    wfix_close(&f);
}

#define THREADS 10
#define PER_THREAD 100

struct appender {
    struct wfix *f;
    unsigned id;
    int failures;
};

static void *appender_main(void *arg)
{
    struct appender *a = arg;
    struct awdb_recpool *pool = awdb_recpool_new();
    for (unsigned i = 0; i < PER_THREAD; i++) {
        uint64_t seq = append(a->f, pool, a->id * 1000 + i);
        if (awdb_wal_wait(&a->f->w, seq) != 0 || awdb_wal_durable(&a->f->w) < seq)
            a->failures++;
    }
    awdb_recpool_release(pool);
    return NULL;
}

static void test_concurrent_appends(void **state)
{
    (void)state;
    struct wfix f;
    wfix_open(&f, "wal-concurrent", AWDB_SYNC, 64 << 20, NULL);
    pthread_t th[THREADS];
    struct appender a[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        a[i] = (struct appender){&f, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, appender_main, &a[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    uint64_t total = THREADS * PER_THREAD;
    assert_int_equal(awdb_wal_durable(&f.w), total);
    /* group commit: fewer syncs than records (10 writers share syncs) */
    uint64_t syncs = atomic_load(&f.w.syncs);
    print_message("10x100 appends: %" PRIu64 " syncs, %" PRIu64 " writes\n", syncs,
                  (uint64_t)atomic_load(&f.w.batches));
    assert_true(syncs <= total);
    awdb_wal_stop(&f.w);
    assert_int_equal(read_log(f.dir, NULL), total);
    wfix_close(&f);
}

static void test_async_interval_and_sync(void **state)
{
    (void)state;
    struct wfix f;
    wfix_open(&f, "wal-async", AWDB_ASYNC, 64 << 20, NULL);
    uint64_t seq = 0;
    for (unsigned i = 0; i < 1000; i++)
        seq = append(&f, f.pool, i);
    /* nobody asks: the interval (5 ms) makes it durable anyway */
    assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
    for (unsigned i = 0; i < 10; i++)
        seq = append(&f, f.pool, i);
    assert_int_equal(awdb_wal_sync(&f.w, seq), 0);
    assert_true(awdb_wal_durable(&f.w) >= seq);
    /* far fewer syncs than records */
    assert_true(atomic_load(&f.w.syncs) < 200);
    awdb_wal_stop(&f.w);
    assert_int_equal(read_log(f.dir, NULL), 1010);
    wfix_close(&f);
}

static void test_segments_roll_and_delete(void **state)
{
    (void)state;
    struct wfix f;
    wfix_open(&f, "wal-segments", AWDB_SYNC, 64 << 10, NULL);
    uint64_t seq = 0;
    for (unsigned i = 0; i < 2000; i++) {
        seq = append(&f, f.pool, i);
        if (i % 50 == 0)
            assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
    }
    assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
    size_t nsegs;
    assert_int_equal(read_log(f.dir, &nsegs), 2000);
    assert_true(nsegs >= 3);
    /* each ~140-byte record: 64 KiB holds some 460, so a segment never
     * runs past its limit by more than one batch */
    pthread_mutex_lock(&f.w.seg_mu);
    size_t tracked = f.w.nsegs;
    uint64_t second_first = f.w.segs[1].first_seq, second_max = f.w.segs[1].max_seq;
    pthread_mutex_unlock(&f.w.seg_mu);
    assert_int_equal(tracked, nsegs);
    /* flushed up to the end of the second segment: the first two go */
    assert_true(second_max >= second_first);
    assert_int_equal(awdb_wal_delete_upto(&f.w, second_max), 0);
    size_t left;
    pthread_mutex_lock(&f.w.seg_mu);
    left = f.w.nsegs;
    pthread_mutex_unlock(&f.w.seg_mu);
    assert_int_equal(left, nsegs - 2);
    /* the segment being written is never deleted */
    assert_int_equal(awdb_wal_delete_upto(&f.w, UINT64_MAX), 0);
    pthread_mutex_lock(&f.w.seg_mu);
    left = f.w.nsegs;
    pthread_mutex_unlock(&f.w.seg_mu);
    assert_int_equal(left, 1);
    wfix_close(&f);
}

static void test_failed_sync_stops_log(void **state)
{
    (void)state;
    struct awdb_fault *fault = awdb_fault_new();
    struct wfix f;
    wfix_open(&f, "wal-fail", AWDB_SYNC, 64 << 20, awdb_fault_io(fault));
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(awdb_wal_wait(&f.w, append(&f, f.pool, i)), 0);
    awdb_fault_fail_sync(fault, 1, EIO);
    uint64_t seq = append(&f, f.pool, 99);
    assert_int_equal(awdb_wal_wait(&f.w, seq), EIO);
    assert_int_equal(f.seen.errors, 1);
    assert_non_null(strstr(f.seen.msg, "fdatasync"));
    /* never retried: later records fail too, and nothing more is written */
    uint64_t writes = awdb_fault_writes(fault);
    seq = append(&f, f.pool, 100);
    assert_int_equal(awdb_wal_wait(&f.w, seq), EIO);
    assert_int_equal(awdb_fault_writes(fault), writes);
    assert_int_equal(awdb_wal_durable(&f.w), 5);
    wfix_close(&f);
    awdb_fault_free(fault);

    fault = awdb_fault_new();
    wfix_open(&f, "wal-failw", AWDB_SYNC, 64 << 20, awdb_fault_io(fault));
    assert_int_equal(awdb_wal_wait(&f.w, append(&f, f.pool, 1)), 0);
    awdb_fault_fail_write(fault, 1, ENOSPC);
    assert_int_equal(awdb_wal_wait(&f.w, append(&f, f.pool, 2)), ENOSPC);
    assert_non_null(strstr(f.seen.msg, "write"));
    wfix_close(&f);
    awdb_fault_free(fault);
}

/* The on_segment hook: a flush finishing just as the flusher starts a new
 * segment deletes the segments wholly at or below durable - behind (none
 * while durable < behind); the new one must stay. */
static void delete_on_segment(void *ctx, uint64_t first_seq)
{
    struct seen *s = ctx;
    uint64_t durable = awdb_wal_durable(s->w);
    if (durable < s->behind)
        return;
    int rc = awdb_wal_delete_upto(s->w, durable - s->behind);
    char path[PATH_MAX];
    awdb_wal_seg_path(path, sizeof path, s->w->dir, first_seq);
    bool gone = access(path, F_OK) != 0;
    pthread_mutex_lock(&s->mu); /* no cmocka asserts off the main thread */
    s->segments++;
    s->unlinked += gone;
    if (rc && !s->delete_rc)
        s->delete_rc = rc;
    pthread_mutex_unlock(&s->mu);
}

/* Appends n records in segments of segsize with the hook above deleting up to
 * durable - behind at each new segment; then every record from the oldest
 * segment left on disk to the last must be there, in the segments the log
 * tracks: expect_segs of them. */
static void new_segment_survives(const char *tag, size_t segsize, uint64_t behind, unsigned n,
                                 size_t expect_segs)
{
    struct wfix f;
    wfix_open_cfg(&f, tag,
                  (struct awdb_wal_config){
                      .mode = AWDB_SYNC, .segment_size = segsize, .on_segment = delete_on_segment});
    f.seen.behind = behind;
    uint64_t seq = 0;
    for (unsigned i = 0; i < n; i++) {
        seq = append(&f, f.pool, i);
        if (i % 50 == 0)
            assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
    }
    assert_int_equal(awdb_wal_wait(&f.w, seq), 0);
    awdb_wal_stop(&f.w);
    size_t nsegs;
    uint64_t from;
    uint64_t count = scan_log(f.dir, &nsegs, NULL, &from);
    print_message("%s: %u new segments, %u deleted as they started; %" PRIu64
                  " records on disk from seq %" PRIu64 " of %u acknowledged\n",
                  tag, f.seen.segments, f.seen.unlinked, count, from, n);
    assert_true(f.seen.segments >= 1);
    assert_int_equal(f.seen.unlinked, 0);
    assert_int_equal(f.seen.delete_rc, 0);
    assert_int_equal(from + count - 1, n);
    assert_int_equal(nsegs, expect_segs);
    pthread_mutex_lock(&f.w.seg_mu);
    size_t tracked = f.w.nsegs;
    pthread_mutex_unlock(&f.w.seg_mu);
    assert_int_equal(tracked, nsegs);
    wfix_close(&f);
}

/* A new segment is tracked and marked as the one being written in one step:
 * awdb_wal_delete_upto (a flush finishing) right after it was created never
 * unlinks it. (It was two steps; a delete between them took the new segment,
 * still empty, for a finished one: commits were acknowledged into an
 * unlinked file and, when it was the only segment, the flusher then wrote
 * its last record's seq before the emptied list.) The first segment: */
static void test_new_segment_never_deleted(void **state)
{
    (void)state;
    new_segment_survives("wal-newseg-first", 64 << 20, 0, 300, 1);
}

/* ... and every segment a roll starts, with the one before kept (the list
 * never empties: the lost records are the only trace). */
static void test_rolled_segment_never_deleted(void **state)
{
    (void)state;
    new_segment_survives("wal-newseg-roll", 64 << 10, 1, 2000, 2);
}

/* Zeros written ahead (wal_prealloc): 10 threads append across segments
 * of 512 KiB with a 256 KiB window; every record is where it belongs, in
 * order, and only zeros follow the last one of each segment. */
static void test_prealloc_ahead(void **state)
{
    (void)state;
    struct wfix f;
    wfix_open_prealloc(&f, "wal-prealloc", AWDB_SYNC, 512 << 10, 256 << 10, NULL);
    pthread_t th[THREADS];
    struct appender a[THREADS];
    for (int round = 0; round < 12; round++) {
        for (unsigned i = 0; i < THREADS; i++) {
            a[i] = (struct appender){&f, (unsigned)round * THREADS + i, 0};
            assert_int_equal(pthread_create(&th[i], NULL, appender_main, &a[i]), 0);
        }
        for (unsigned i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(a[i].failures, 0);
        }
    }
    uint64_t total = 12 * THREADS * PER_THREAD;
    assert_int_equal(awdb_wal_durable(&f.w), total);
    /* the helper runs on its own schedule: let it get ahead before the stop */
    for (int i = 0; i < 10000 && atomic_load(&f.w.prep.ready) <= atomic_load(&f.w.prep.pos); i++)
        usleep(1000);
    uint64_t zeroed = atomic_load(&f.w.prep.bytes), waits = atomic_load(&f.w.prep.waits);
    awdb_wal_stop(&f.w);
    size_t nsegs, tail = 0;
    assert_int_equal(scan_log(f.dir, &nsegs, &tail, NULL), total);
    print_message("%" PRIu64 " records in %zu segments; %" PRIu64 " bytes of zeros written "
                  "ahead, %zu of them left after the log, %" PRIu64 " waits\n",
                  total, nsegs, zeroed, tail, waits);
    assert_true(nsegs >= 2);
    assert_true(zeroed > 0);
    assert_true(tail > 0);
    assert_int_equal(f.seen.errors, 0);
    wfix_close(&f);
}

/* The helper's I/O error stops the log like the flusher's own. */
static void test_prealloc_failure_stops_log(void **state)
{
    (void)state;
    struct awdb_fault *fault = awdb_fault_new();
    awdb_fault_fail_big_write(fault, 64 << 10, ENOSPC);
    struct wfix f;
    wfix_open_prealloc(&f, "wal-prealloc-fail", AWDB_SYNC, 64 << 20, 1 << 20,
                       awdb_fault_io(fault));
    int rc = 0;
    for (unsigned i = 0; i < 100000 && rc == 0; i++)
        rc = awdb_wal_wait(&f.w, append(&f, f.pool, i));
    assert_int_equal(rc, ENOSPC);
    assert_int_equal(f.seen.errors, 1);
    assert_non_null(strstr(f.seen.msg, "write zeros into"));
    assert_non_null(strstr(f.seen.msg, ".log"));
    /* the flusher may still be writing a batch it took before the failure:
     * wait until it has gone to sleep (it does so only with the queue empty;
     * anything popped after the failure is dropped unwritten) */
    for (int i = 0; i < 10000 && atomic_load(&f.w.fl_state) != 2 /* FL_IDLE */; i++)
        usleep(1000);
    uint64_t writes = awdb_fault_writes(fault);
    assert_int_equal(awdb_wal_wait(&f.w, append(&f, f.pool, 1)), ENOSPC);
    assert_int_equal(awdb_fault_writes(fault), writes);
    wfix_close(&f);
    awdb_fault_free(fault);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_record_damage),
        cmocka_unit_test(test_append_flush),
        cmocka_unit_test(test_concurrent_appends),
        cmocka_unit_test(test_async_interval_and_sync),
        cmocka_unit_test(test_segments_roll_and_delete),
        cmocka_unit_test(test_new_segment_never_deleted),
        cmocka_unit_test(test_rolled_segment_never_deleted),
        cmocka_unit_test(test_failed_sync_stops_log),
        cmocka_unit_test(test_prealloc_ahead),
        cmocka_unit_test(test_prealloc_failure_stops_log),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
