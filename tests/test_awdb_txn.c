/* test_awdb_txn.c - awdb transactions: commit, abort, reading one's own
 * writes, snapshot isolation (also across a flush into the base store),
 * conflict detection, the monotonic-counter invariant under concurrent
 * writers, 10 threads x 100 concurrent commits, limits, the three durability
 * modes, transaction ids, and bounded memory with write stalls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/awdb.h"
#include "tests/testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static awdb *open_db(const char *dir, enum awdb_mode mode, size_t memtable)
{
    struct awdb_options o;
    awdb_options_init(&o);
    o.mode = mode;
    o.flush_interval_ms = 2;
    if (memtable)
        o.memtable_size = memtable;
    o.wal_segment_size = 256 << 10;
    awdb *db;
    char err[256];
    int rc = awdb_open(dir, &o, &db, err, sizeof err);
    if (rc)
        fail_msg("awdb_open %s: %s (%s)", dir, awdb_strerror(rc), err);
    return db;
}

/* One transaction putting k=v. */
static int put1(awdb_txn *t, const char *k, const char *v)
{
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_put(t, k, strlen(k), v, strlen(v)), 0);
    return awdb_txn_commit(t, NULL);
}

/* Reads k in an active transaction into out ("" plus NOTFOUND if absent). */
static int get_in(awdb_txn *t, const char *k, char *out, size_t n)
{
    const void *val;
    size_t vlen;
    int rc = awdb_get(t, k, strlen(k), &val, &vlen);
    out[0] = 0;
    if (rc == 0) {
        assert_true(vlen < n);
        memcpy(out, val, vlen);
        out[vlen] = 0;
    }
    return rc;
}

/* Reads k in a fresh read-only transaction. */
static int get1(awdb_txn *t, const char *k, char *out, size_t n)
{
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    int rc = get_in(t, k, out, n);
    awdb_txn_abort(t);
    return rc;
}

static void test_commit_get_reopen(void **state)
{
    (void)state;
    char dir[PATH_MAX], key[32], val[64], out[128];
    kvbt_mkdtemp(dir, "awdb-basic");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    uint64_t last = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key%03d", i);
        snprintf(val, sizeof val, "value-%d", i);
        assert_int_equal(awdb_txn_begin(t, 0), 0);
        assert_int_equal(awdb_put(t, key, strlen(key), val, strlen(val)), 0);
        struct awdb_commit_info info;
        assert_int_equal(awdb_txn_commit(t, &info), 0);
        assert_true(info.seq > last);
        assert_true(info.durable && info.visible);
        assert_true(awdb_durable_seq(db) >= info.seq);
        assert_true(awdb_visible_seq(db) >= info.seq);
        last = info.seq;
    }
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key%03d", i);
        snprintf(val, sizeof val, "value-%d", i);
        assert_int_equal(get1(t, key, out, sizeof out), 0);
        assert_string_equal(out, val);
    }
    assert_int_equal(get1(t, "nope", out, sizeof out), AWDB_NOTFOUND);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);

    db = open_db(dir, AWDB_SYNC, 0);
    assert_int_equal(awdb_txn_new(db, &t), 0);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "key%03d", i);
        snprintf(val, sizeof val, "value-%d", i);
        assert_int_equal(get1(t, key, out, sizeof out), 0);
        assert_string_equal(out, val);
    }
    /* a closed database keeps everything in the base store: no WAL left */
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_true(st.flushed_seq >= last);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_abort_and_own_writes(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[128];
    kvbt_mkdtemp(dir, "awdb-abort");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(put1(t, "a", "1"), 0);

    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_put(t, "b", 1, "2", 1), 0);
    assert_int_equal(get_in(t, "b", out, sizeof out), 0);
    assert_string_equal(out, "2");
    assert_int_equal(awdb_put(t, "b", 1, "22", 2), 0);
    assert_int_equal(get_in(t, "b", out, sizeof out), 0);
    assert_string_equal(out, "22");
    assert_int_equal(awdb_del(t, "a", 1), 0);
    assert_int_equal(get_in(t, "a", out, sizeof out), AWDB_NOTFOUND);
    awdb_txn_abort(t);
    awdb_txn_abort(t); /* idle: a no-op */
    assert_int_equal(get1(t, "a", out, sizeof out), 0);
    assert_int_equal(get1(t, "b", out, sizeof out), AWDB_NOTFOUND);

    /* the same key put, deleted and put again in one txn: last write wins */
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_put(t, "c", 1, "x", 1), 0);
    assert_int_equal(awdb_del(t, "c", 1), 0);
    assert_int_equal(awdb_put(t, "c", 1, "y", 1), 0);
    assert_int_equal(awdb_del(t, "a", 1), 0);
    assert_int_equal(awdb_put(t, "e", 1, "", 0), 0); /* empty value */
    assert_int_equal(awdb_txn_commit(t, NULL), 0);
    assert_int_equal(get1(t, "c", out, sizeof out), 0);
    assert_string_equal(out, "y");
    assert_int_equal(get1(t, "a", out, sizeof out), AWDB_NOTFOUND);
    assert_int_equal(get1(t, "e", out, sizeof out), 0);
    assert_string_equal(out, "");
    /* deleting an absent key is fine */
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_del(t, "zz", 2), 0);
    assert_int_equal(awdb_txn_commit(t, NULL), 0);
    /* deletes survive a flush into the base and a reopen */
    assert_int_equal(awdb_checkpoint(db), 0);
    assert_int_equal(get1(t, "a", out, sizeof out), AWDB_NOTFOUND);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    db = open_db(dir, AWDB_SYNC, 0);
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(get1(t, "a", out, sizeof out), AWDB_NOTFOUND);
    assert_int_equal(get1(t, "c", out, sizeof out), 0);
    assert_string_equal(out, "y");
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_snapshot_isolation(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[128];
    kvbt_mkdtemp(dir, "awdb-snap");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t1, *t2;
    assert_int_equal(awdb_txn_new(db, &t1), 0);
    assert_int_equal(awdb_txn_new(db, &t2), 0);
    assert_int_equal(put1(t2, "k", "old"), 0);
    assert_int_equal(put1(t2, "gone", "here"), 0);

    assert_int_equal(awdb_txn_begin(t1, AWDB_TXN_RDONLY), 0);
    uint64_t snap = awdb_txn_snapshot(t1);
    assert_int_equal(awdb_txn_begin(t2, 0), 0);
    assert_int_equal(awdb_put(t2, "k", 1, "new", 3), 0);
    assert_int_equal(awdb_put(t2, "born", 4, "now", 3), 0);
    assert_int_equal(awdb_del(t2, "gone", 4), 0);
    assert_int_equal(awdb_txn_commit(t2, NULL), 0);
    /* t1 still sees its snapshot */
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "old");
    assert_int_equal(get_in(t1, "born", out, sizeof out), AWDB_NOTFOUND);
    assert_int_equal(get_in(t1, "gone", out, sizeof out), 0);
    /* ... even after everything is flushed into the base store (twice) */
    assert_int_equal(awdb_checkpoint(db), 0);
    assert_int_equal(put1(t2, "k", "newer"), 0);
    assert_int_equal(awdb_checkpoint(db), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "old");
    assert_int_equal(get_in(t1, "born", out, sizeof out), AWDB_NOTFOUND);
    assert_int_equal(get_in(t1, "gone", out, sizeof out), 0);
    assert_int_equal(awdb_txn_snapshot(t1), snap);
    awdb_txn_abort(t1);
    /* a new snapshot sees the new state */
    assert_int_equal(get1(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "newer");
    assert_int_equal(get1(t1, "born", out, sizeof out), 0);
    assert_int_equal(get1(t1, "gone", out, sizeof out), AWDB_NOTFOUND);
    awdb_txn_free(t1);
    awdb_txn_free(t2);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_conflicts(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[128];
    kvbt_mkdtemp(dir, "awdb-conflict");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t1, *t2;
    assert_int_equal(awdb_txn_new(db, &t1), 0);
    assert_int_equal(awdb_txn_new(db, &t2), 0);
    assert_int_equal(put1(t2, "k", "0"), 0);

    /* read k; someone changes k; our commit conflicts and writes nothing */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_int_equal(put1(t2, "k", "1"), 0);
    assert_int_equal(awdb_put(t1, "x", 1, "lost", 4), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), AWDB_CONFLICT);
    assert_int_equal(get1(t1, "x", out, sizeof out), AWDB_NOTFOUND);

    /* reading an absent key that someone then creates conflicts too */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "new", out, sizeof out), AWDB_NOTFOUND);
    assert_int_equal(put1(t2, "new", "1"), 0);
    assert_int_equal(awdb_put(t1, "y", 1, "1", 1), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), AWDB_CONFLICT);

    /* ... and deleting a key read */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "new", out, sizeof out), 0);
    assert_int_equal(awdb_txn_begin(t2, 0), 0);
    assert_int_equal(awdb_del(t2, "new", 3), 0);
    assert_int_equal(awdb_txn_commit(t2, NULL), 0);
    assert_int_equal(awdb_put(t1, "y", 1, "1", 1), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), AWDB_CONFLICT);

    /* blind writes never conflict; the later commit wins */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(awdb_put(t1, "k", 1, "t1", 2), 0);
    assert_int_equal(put1(t2, "k", "t2"), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), 0);
    assert_int_equal(get1(t2, "k", out, sizeof out), 0);
    assert_string_equal(out, "t1");

    /* a change to a key not read does not conflict */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_int_equal(put1(t2, "other", "1"), 0);
    assert_int_equal(awdb_put(t1, "k", 1, "ok", 2), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), 0);

    /* reading one's own write is not a dependency on others */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(awdb_put(t1, "own", 3, "1", 1), 0);
    assert_int_equal(get_in(t1, "own", out, sizeof out), 0);
    assert_int_equal(put1(t2, "own", "2"), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), 0);

    /* a transaction that only read commits whatever happened since */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_int_equal(put1(t2, "k", "changed"), 0);
    struct awdb_commit_info info;
    assert_int_equal(awdb_txn_commit(t1, &info), 0);
    assert_int_equal(info.seq, 0);

    /* a flush since the snapshot may have carried a newer version out of
     * the memtables: a transaction that read anything conflicts */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_int_equal(put1(t2, "unrelated", "1"), 0);
    assert_int_equal(awdb_checkpoint(db), 0);
    assert_int_equal(awdb_put(t1, "z", 1, "1", 1), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), AWDB_CONFLICT);
    /* but a transaction that read nothing does not */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(put1(t2, "unrelated", "2"), 0);
    assert_int_equal(awdb_checkpoint(db), 0);
    assert_int_equal(awdb_put(t1, "z", 1, "1", 1), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), 0);

    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_int_equal(st.conflicts, 4);
    awdb_txn_free(t1);
    awdb_txn_free(t2);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_first_read_refresh(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[128];
    kvbt_mkdtemp(dir, "awdb-refresh");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t1, *t2;
    assert_int_equal(awdb_txn_new(db, &t1), 0);
    assert_int_equal(awdb_txn_new(db, &t2), 0);
    assert_int_equal(put1(t2, "k", "old"), 0);

    /* the first read finds a newer version: the snapshot moves forward and
     * the transaction commits instead of being doomed */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    uint64_t snap = awdb_txn_snapshot(t1);
    assert_int_equal(awdb_put(t1, "w", 1, "1", 1), 0); /* writes do not pin the snapshot */
    assert_int_equal(put1(t2, "k", "new"), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "new");
    assert_true(awdb_txn_snapshot(t1) > snap);
    assert_int_equal(awdb_put(t1, "k", 1, "newer", 5), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), 0);

    /* after a first read, the snapshot stays: a later change is a conflict */
    assert_int_equal(awdb_txn_begin(t1, 0), 0);
    assert_int_equal(get_in(t1, "w", out, sizeof out), 0);
    snap = awdb_txn_snapshot(t1);
    assert_int_equal(put1(t2, "k", "newest"), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "newer");
    assert_int_equal(awdb_txn_snapshot(t1), snap);
    assert_int_equal(awdb_put(t1, "k", 1, "x", 1), 0);
    assert_int_equal(awdb_txn_commit(t1, NULL), AWDB_CONFLICT);

    /* read-only transactions keep the snapshot they began with */
    assert_int_equal(awdb_txn_begin(t1, AWDB_TXN_RDONLY), 0);
    assert_int_equal(put1(t2, "k", "later"), 0);
    assert_int_equal(get_in(t1, "k", out, sizeof out), 0);
    assert_string_equal(out, "newest");
    awdb_txn_abort(t1);
    awdb_txn_free(t1);
    awdb_txn_free(t2);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

/* DESIGN.md's monotonic writer: h = get(head); put(key_h); put(head, h+1). */
#define MW_THREADS 4
#define MW_COMMITS 150

struct mw {
    awdb *db;
    int ok, conflicts, errors;
};

static void *mw_main(void *arg)
{
    struct mw *m = arg;
    awdb_txn *t;
    if (awdb_txn_new(m->db, &t)) {
        m->errors++;
        return NULL;
    }
    while (m->ok < MW_COMMITS) {
        uint64_t h = 0;
        const void *val;
        size_t vlen;
        if (awdb_txn_begin(t, 0)) {
            m->errors++;
            break;
        }
        int rc = awdb_get(t, "head", 4, &val, &vlen);
        if (rc == 0 && vlen == 8)
            memcpy(&h, val, 8);
        else if (rc != AWDB_NOTFOUND)
            m->errors++;
        char key[32];
        int klen = snprintf(key, sizeof key, "key%" PRIu64, h);
        uint64_t next = h + 1;
        if (awdb_put(t, key, (size_t)klen, &h, 8) || awdb_put(t, "head", 4, &next, 8))
            m->errors++;
        rc = awdb_txn_commit(t, NULL);
        if (rc == 0)
            m->ok++;
        else if (rc == AWDB_CONFLICT)
            m->conflicts++;
        else {
            m->errors++;
            break;
        }
    }
    awdb_txn_free(t);
    return NULL;
}

static void test_monotonic_counter(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-mono");
    /* small memtables: flushes happen during the run */
    awdb *db = open_db(dir, AWDB_ASYNC, 256 << 10);
    pthread_t th[MW_THREADS];
    struct mw m[MW_THREADS];
    for (int i = 0; i < MW_THREADS; i++) {
        m[i] = (struct mw){db, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mw_main, &m[i]), 0);
    }
    int conflicts = 0;
    for (int i = 0; i < MW_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(m[i].errors, 0);
        assert_int_equal(m[i].ok, MW_COMMITS);
        conflicts += m[i].conflicts;
    }
    print_message("monotonic: %d commits, %d conflicts\n", MW_THREADS * MW_COMMITS, conflicts);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    const void *val;
    size_t vlen;
    uint64_t h;
    assert_int_equal(awdb_get(t, "head", 4, &val, &vlen), 0);
    memcpy(&h, val, 8);
    /* no lost update: head is the number of acknowledged commits, and every
     * index below it was written by exactly that commit */
    assert_int_equal(h, MW_THREADS * MW_COMMITS);
    for (uint64_t i = 0; i < h; i++) {
        char key[32];
        int klen = snprintf(key, sizeof key, "key%" PRIu64, i);
        assert_int_equal(awdb_get(t, key, (size_t)klen, &val, &vlen), 0);
        uint64_t x;
        memcpy(&x, val, 8);
        assert_int_equal(x, i);
    }
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

#define CC_THREADS 10
#define CC_COMMITS 100

struct cc {
    awdb *db;
    int id, errors;
};

static void *cc_main(void *arg)
{
    struct cc *c = arg;
    awdb_txn *t;
    if (awdb_txn_new(c->db, &t)) {
        c->errors++;
        return NULL;
    }
    for (int i = 0; i < CC_COMMITS; i++) {
        char key[32], val[100];
        int klen = snprintf(key, sizeof key, "t%d-%d", c->id, i);
        memset(val, 'a' + c->id, sizeof val);
        if (awdb_txn_begin(t, 0) || awdb_put(t, key, (size_t)klen, val, sizeof val) ||
            awdb_txn_commit(t, NULL))
            c->errors++;
    }
    awdb_txn_free(t);
    return NULL;
}

static void test_concurrent_commits(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-cc");
    awdb *db = open_db(dir, AWDB_SYNC, 0);
    pthread_t th[CC_THREADS];
    struct cc c[CC_THREADS];
    for (int i = 0; i < CC_THREADS; i++) {
        c[i] = (struct cc){db, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, cc_main, &c[i]), 0);
    }
    for (int i = 0; i < CC_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].errors, 0);
    }
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_int_equal(st.commits, CC_THREADS * CC_COMMITS);
    print_message("10x100 sync commits: %" PRIu64 " WAL syncs\n", st.wal_syncs);
    assert_true(st.wal_syncs <= st.commits);
    assert_int_equal(st.user_bytes,
                     (uint64_t)CC_THREADS * CC_COMMITS * 100 + CC_THREADS * (10 * 4 + 90 * 5));
    assert_int_equal(awdb_close(db), 0);
    db = open_db(dir, AWDB_SYNC, 0);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    for (int id = 0; id < CC_THREADS; id++)
        for (int i = 0; i < CC_COMMITS; i++) {
            char key[32];
            const void *val;
            size_t vlen;
            int klen = snprintf(key, sizeof key, "t%d-%d", id, i);
            assert_int_equal(awdb_get(t, key, (size_t)klen, &val, &vlen), 0);
            assert_int_equal(vlen, 100);
            assert_int_equal(((const char *)val)[99], 'a' + id);
        }
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_limits_and_misuse(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-limits");
    awdb *db = open_db(dir, AWDB_SYNC, 256 << 10);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    static char big[AWDB_MAX_KEY_SIZE + 1];
    memset(big, 'k', sizeof big);
    const void *val;
    size_t vlen;
    assert_int_equal(awdb_put(t, "k", 1, "v", 1), AWDB_INVALID); /* not begun */
    assert_int_equal(awdb_txn_commit(t, NULL), AWDB_INVALID);
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_txn_begin(t, 0), AWDB_INVALID);
    assert_int_equal(awdb_put(t, big, sizeof big, "v", 1), AWDB_TOO_BIG);
    assert_int_equal(awdb_put(t, big, AWDB_MAX_KEY_SIZE, "v", 1), 0);
    assert_int_equal(awdb_get(t, big, sizeof big, &val, &vlen), AWDB_TOO_BIG);
    assert_int_equal(awdb_put(t, "", 0, "v", 1), AWDB_INVALID);
    /* a memtable of 128 KiB takes transactions of at most ~60 KiB */
    char *huge = calloc(1, 100 << 10);
    assert_int_equal(awdb_put(t, "huge", 4, huge, 100 << 10), AWDB_TOO_BIG);
    assert_int_equal(awdb_put(t, "h1", 2, huge, 30 << 10), 0);
    assert_int_equal(awdb_put(t, "h2", 2, huge, 40 << 10), AWDB_TOO_BIG);
    /* the transaction is still usable without the refused write */
    assert_int_equal(awdb_txn_commit(t, NULL), 0);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    assert_int_equal(awdb_get(t, "h1", 2, &val, &vlen), 0);
    assert_int_equal(vlen, 30 << 10);
    assert_int_equal(awdb_get(t, "h2", 2, &val, &vlen), AWDB_NOTFOUND);
    assert_int_equal(awdb_put(t, "k", 1, "v", 1), AWDB_INVALID); /* read-only */
    assert_int_equal(awdb_txn_commit(t, NULL), 0);
    free(huge);
    /* close refuses while a handle is alive */
    assert_int_equal(awdb_close(db), AWDB_INVALID);
    awdb_txn_free(t);

    /* a second open of the same directory is refused */
    awdb *db2;
    char err[256];
    assert_int_equal(awdb_open(dir, NULL, &db2, err, sizeof err), AWDB_LOCKED);
    assert_null(db2);
    assert_non_null(strstr(err, "LOCK"));
    assert_int_equal(awdb_close(db), 0);

    struct awdb_options o;
    awdb_options_init(&o);
    o.memtable_size = 1000;
    assert_int_equal(awdb_open(dir, &o, &db2, err, sizeof err), AWDB_INVALID);
    assert_non_null(strstr(err, "memtable_size"));
    awdb_options_init(&o);
    o.max_txns = 2;
    assert_int_equal(awdb_open(dir, &o, &db2, err, sizeof err), 0);
    awdb_txn *a, *b, *c;
    assert_int_equal(awdb_txn_new(db2, &a), 0);
    assert_int_equal(awdb_txn_new(db2, &b), 0);
    assert_int_equal(awdb_txn_new(db2, &c), AWDB_INVALID);
    awdb_txn_free(a);
    awdb_txn_free(b);
    assert_int_equal(awdb_close(db2), 0);
    kvbt_rmtree(dir);
}

static void test_modes(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[64];
    /* async: visible at once, durable within the interval or on awdb_sync */
    kvbt_mkdtemp(dir, "awdb-async");
    awdb *db = open_db(dir, AWDB_ASYNC, 0);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_put(t, "a", 1, "1", 1), 0);
    struct awdb_commit_info info;
    assert_int_equal(awdb_txn_commit(t, &info), 0);
    assert_true(info.visible);
    assert_false(info.durable);
    assert_true(awdb_visible_seq(db) >= info.seq);
    assert_int_equal(get1(t, "a", out, sizeof out), 0);
    assert_int_equal(awdb_sync(db), 0);
    assert_true(awdb_durable_seq(db) >= info.seq);
    struct awdb_seq_times tm;
    assert_int_equal(awdb_commit_times(db, info.seq, &tm), 0);
    assert_true(tm.durable_ns > 0);
    assert_true(tm.step_seq >= info.seq);
    assert_int_equal(tm.visible_ns, 0); /* visible before the ack: not tracked */
    assert_int_equal(awdb_commit_times(db, info.seq + 1000, &tm), 0);
    assert_int_equal(tm.durable_ns, 0); /* not yet */
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);

    /* sync: durable and visible times are one and the same */
    kvbt_mkdtemp(dir, "awdb-sync");
    db = open_db(dir, AWDB_SYNC, 0);
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, 0), 0);
    assert_int_equal(awdb_put(t, "a", 1, "1", 1), 0);
    assert_int_equal(awdb_txn_commit(t, &info), 0);
    assert_int_equal(awdb_commit_times(db, info.seq, &tm), 0);
    assert_true(tm.durable_ns > 0 && tm.durable_ns == tm.visible_ns);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);

    /* none: no WAL at all; durable when flushed into the base, as at close */
    kvbt_mkdtemp(dir, "awdb-none");
    db = open_db(dir, AWDB_NONE, 0);
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(put1(t, "n", "1"), 0);
    assert_int_equal(get1(t, "n", out, sizeof out), 0);
    struct awdb_stats st;
    awdb_stats(db, &st);
    assert_int_equal(st.wal_bytes, 0);
    uint64_t before = awdb_durable_seq(db);
    assert_int_equal(awdb_sync(db), 0);
    assert_true(awdb_durable_seq(db) > before);
    assert_int_equal(put1(t, "m", "2"), 0);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    db = open_db(dir, AWDB_NONE, 0);
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(get1(t, "n", out, sizeof out), 0);
    assert_int_equal(get1(t, "m", out, sizeof out), 0);
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_txn_ids_unique(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-ids");
    enum { OPENS = 4, PER = 1500 };
    uint64_t *ids = malloc(sizeof(uint64_t) * OPENS * PER * 2);
    size_t n = 0;
    uint64_t last_seq = 0;
    for (int round = 0; round < OPENS; round++) {
        awdb *db = open_db(dir, round % 2 ? AWDB_ASYNC : AWDB_SYNC, 0);
        awdb_txn *a, *b;
        assert_int_equal(awdb_txn_new(db, &a), 0);
        assert_int_equal(awdb_txn_new(db, &b), 0);
        for (int i = 0; i < PER; i++) {
            awdb_txn *t = i % 2 ? a : b;
            assert_int_equal(awdb_txn_begin(t, i % 3 ? 0 : AWDB_TXN_RDONLY), 0);
            ids[n++] = awdb_txn_id(t);
            assert_true(awdb_txn_id(t) != 0);
            if (i % 3 && i % 5 == 0) {
                assert_int_equal(awdb_put(t, "k", 1, "v", 1), 0);
                struct awdb_commit_info info;
                assert_int_equal(awdb_txn_commit(t, &info), 0);
                assert_true(info.seq > last_seq);
                last_seq = info.seq;
            } else {
                awdb_txn_abort(t);
            }
        }
        awdb_txn_free(a);
        awdb_txn_free(b);
        assert_int_equal(awdb_close(db), 0);
    }
    qsort(ids, n, sizeof *ids, cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(ids[i] != ids[i - 1]);
    free(ids);
    kvbt_rmtree(dir);
}

static void test_stalls_bound_memory(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "awdb-stall");
    const size_t budget = 512 << 10;
    awdb *db = open_db(dir, AWDB_ASYNC, budget);
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    char key[32], val[100];
    memset(val, 'v', sizeof val);
    uint64_t peak = 0;
    for (int i = 0; i < 30000; i++) {
        int klen = snprintf(key, sizeof key, "key%08d", (i * 7919) % 20000);
        assert_int_equal(awdb_txn_begin(t, 0), 0);
        assert_int_equal(awdb_put(t, key, (size_t)klen, val, sizeof val), 0);
        assert_int_equal(awdb_txn_commit(t, NULL), 0);
        if (i % 500 == 0) {
            struct awdb_stats st;
            awdb_stats(db, &st);
            if (st.memtable_bytes > peak)
                peak = st.memtable_bytes;
            assert_true(st.memtables <= 2);
        }
    }
    struct awdb_stats st;
    awdb_stats(db, &st);
    print_message("stalls: %" PRIu64 " (%.1f ms), flushes %" PRIu64 ", peak memtable bytes %" PRIu64
                  " of %zu\n",
                  st.write_stalls, st.stall_ns / 1e6, st.flushes, peak, budget);
    assert_true(st.flushes > 5);
    assert_true(peak <= budget);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    for (int k = 0; k < 20000; k++) {
        const void *v;
        size_t vlen;
        int klen = snprintf(key, sizeof key, "key%08d", k);
        assert_int_equal(awdb_get(t, key, (size_t)klen, &v, &vlen), 0);
        assert_int_equal(vlen, 100);
    }
    awdb_txn_free(t);
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_get_reopen),
        cmocka_unit_test(test_abort_and_own_writes),
        cmocka_unit_test(test_snapshot_isolation),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_first_read_refresh),
        cmocka_unit_test(test_monotonic_counter),
        cmocka_unit_test(test_concurrent_commits),
        cmocka_unit_test(test_limits_and_misuse),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_txn_ids_unique),
        cmocka_unit_test(test_stalls_bound_memory),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
