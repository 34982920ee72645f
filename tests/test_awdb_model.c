/* test_awdb_model.c - the whole engine against a trivial reference model
 * under random operations (rax-test style): several interleaved
 * transactions reading, writing, deleting, committing and aborting, with
 * small memtables so flushes into the base happen all the time, plus
 * checkpoints, clean reopens and abandoned (crash-like) reopens. Every read
 * must match the transaction's snapshot of the model, every commit must
 * succeed or conflict exactly as the model predicts (a conflict the model
 * does not predict is allowed only when a flush happened since the
 * snapshot, as documented), and the state after every reopen must equal
 * the model. Scans from random keys with random limits must return exactly
 * the model's keys in order. A read-write transaction's snapshot may be
 * refreshed at its first read when that key changed since (awdb_get); the
 * model follows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/awdb.h"
#include "backends/awdb/awdb_fault.h"
#include "tests/testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 80
#define HANDLES 3
#define VMAX 400

struct mkey {
    bool present;
    char val[VMAX];
    size_t vlen;
    uint64_t modified; /* model commit number of the last change */
};

struct model {
    struct mkey k[KEYS];
    uint64_t commits;
};

struct htxn {
    awdb_txn *t;
    bool active, rdonly;
    struct model snap; /* the model as of begin */
    bool read[KEYS];
    bool any_read;   /* a read reached the snapshot (not the txn's own writes) */
    int wrote[KEYS]; /* 0 none, 1 put, 2 del */
    char wval[KEYS][VMAX];
    size_t wlen[KEYS];
};

static uint64_t rng;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static size_t keyname(unsigned i, char *buf)
{
    /* varied lengths, shared prefixes */
    return (size_t)snprintf(buf, 32, i % 4 ? "k%u" : "k%u/long/suffix", i);
}

static awdb *db;
static char dir[PATH_MAX];
static struct model model;
static struct htxn h[HANDLES];

static void open_db(void)
{
    struct awdb_options o;
    awdb_options_init(&o);
    o.mode = AWDB_ASYNC;
    o.flush_interval_ms = 1;
    o.memtable_size = 256 << 10;
    o.wal_segment_size = 64 << 10;
    char err[512];
    int rc = awdb_open(dir, &o, &db, err, sizeof err);
    if (rc)
        fail_msg("open: %s", err);
    for (int i = 0; i < HANDLES; i++) {
        assert_int_equal(awdb_txn_new(db, &h[i].t), 0);
        h[i].active = false;
    }
}

static void free_handles(void)
{
    for (int i = 0; i < HANDLES; i++) {
        awdb_txn_free(h[i].t);
        h[i].active = false;
    }
}

static void check_all(void)
{
    awdb_txn *t;
    assert_int_equal(awdb_txn_new(db, &t), 0);
    assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
    for (unsigned i = 0; i < KEYS; i++) {
        char key[32];
        size_t klen = keyname(i, key), vlen;
        const void *val;
        int rc = awdb_get(t, key, klen, &val, &vlen);
        if (!model.k[i].present) {
            if (rc != AWDB_NOTFOUND)
                fail_msg("key %u: expected absent, got rc %d", i, rc);
        } else {
            if (rc != 0)
                fail_msg("key %u: expected present, got %s", i, awdb_strerror(rc));
            assert_int_equal(vlen, model.k[i].vlen);
            assert_memory_equal(val, model.k[i].val, vlen);
        }
    }
    awdb_txn_free(t);
}

/* Keys in scan order (bytes, a prefix first). */
static unsigned sorted_keys[KEYS];

static int cmp_keyidx(const void *a, const void *b)
{
    char ka[32], kb[32];
    size_t la = keyname(*(const unsigned *)a, ka), lb = keyname(*(const unsigned *)b, kb);
    size_t m = la < lb ? la : lb;
    int c = memcmp(ka, kb, m);
    return c ? c : (la < lb ? -1 : la > lb);
}

struct scan_got {
    unsigned n;
    char key[KEYS][32];
    size_t klen[KEYS];
    char val[KEYS][VMAX];
    size_t vlen[KEYS];
};

static int scan_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct scan_got *g = arg;
    if (g->n >= KEYS || klen >= 32 || vlen > VMAX)
        return 1;
    memcpy(g->key[g->n], key, klen);
    g->klen[g->n] = klen;
    memcpy(g->val[g->n], val, vlen);
    g->vlen[g->n] = vlen;
    g->n++;
    return 0;
}

/* A scan from key start (by sort position) in x, checked against the model. */
static void check_scan(struct htxn *x, unsigned long n, unsigned from, size_t limit)
{
    char start[32];
    size_t slen = keyname(sorted_keys[from], start);
    static struct scan_got g;
    g.n = 0;
    assert_int_equal(awdb_scan(x->t, start, slen, limit, scan_cb, &g), 0);
    unsigned got = 0;
    for (unsigned p = from; p < KEYS && (!limit || got < limit); p++) {
        unsigned k = sorted_keys[p];
        bool present;
        const char *want;
        size_t wlen;
        if (!x->rdonly && x->wrote[k]) {
            present = x->wrote[k] == 1;
            want = x->wval[k];
            wlen = x->wlen[k];
        } else {
            present = x->snap.k[k].present;
            want = x->snap.k[k].val;
            wlen = x->snap.k[k].vlen;
        }
        if (!present)
            continue;
        char key[32];
        size_t klen = keyname(k, key);
        if (got >= g.n)
            fail_msg("step %lu: scan ended after %u keys, key %u missing", n, got, k);
        if (g.klen[got] != klen || memcmp(g.key[got], key, klen) != 0)
            fail_msg("step %lu: scan key %u is %.*s, expected %s", n, got, (int)g.klen[got],
                     g.key[got], key);
        assert_int_equal(g.vlen[got], wlen);
        assert_memory_equal(g.val[got], want, wlen);
        if (!x->rdonly) {
            x->read[k] = true;
            x->any_read = true;
        }
        got++;
    }
    if (g.n != got)
        fail_msg("step %lu: scan returned %u keys, expected %u", n, g.n, got);
    if (!x->rdonly)
        x->any_read = true;
}

static void step(unsigned long n)
{
    struct htxn *x = &h[rnd(HANDLES)];
    unsigned r = rnd(1000), k = rnd(KEYS);
    char key[32];
    size_t klen = keyname(k, key);
    if (!x->active) {
        if (r < 900) {
            x->rdonly = rnd(10) == 0;
            assert_int_equal(awdb_txn_begin(x->t, x->rdonly ? AWDB_TXN_RDONLY : 0), 0);
            x->active = true;
            x->snap = model;
            memset(x->read, 0, sizeof x->read);
            x->any_read = false;
            memset(x->wrote, 0, sizeof x->wrote);
        } else if (r < 915) {
            assert_int_equal(awdb_checkpoint(db), 0);
        } else if (r < 945) {
            check_all();
        } else if (r < 950) {
            free_handles();
            assert_int_equal(awdb_close(db), 0);
            open_db();
            check_all();
        } else if (r < 955) {
            /* as if the process died right after making everything durable */
            free_handles();
            assert_int_equal(awdb_sync(db), 0);
            assert_int_equal(awdb_abandon(db), 0);
            open_db();
            check_all();
        }
        return;
    }
    if (r < 400) { /* get */
        const void *val;
        size_t vlen;
        bool first = !x->rdonly && !x->wrote[k] && !x->any_read;
        uint64_t snap0 = awdb_txn_snapshot(x->t);
        int rc = awdb_get(x->t, key, klen, &val, &vlen);
        if (awdb_txn_snapshot(x->t) != snap0) {
            /* refreshed at the first read, because the key changed since */
            if (!first || model.k[k].modified <= x->snap.commits)
                fail_msg("step %lu: snapshot refreshed without cause", n);
            x->snap = model;
        }
        bool present;
        const char *want;
        size_t wlen;
        if (!x->rdonly && x->wrote[k]) {
            present = x->wrote[k] == 1;
            want = x->wval[k];
            wlen = x->wlen[k];
        } else {
            present = x->snap.k[k].present;
            want = x->snap.k[k].val;
            wlen = x->snap.k[k].vlen;
            if (!x->rdonly)
                x->read[k] = x->any_read = true;
        }
        if (present) {
            if (rc != 0)
                fail_msg("step %lu: get key %u: %s, expected a value", n, k, awdb_strerror(rc));
            assert_int_equal(vlen, wlen);
            assert_memory_equal(val, want, wlen);
        } else if (rc != AWDB_NOTFOUND) {
            fail_msg("step %lu: get key %u: rc %d, expected not found", n, k, rc);
        }
    } else if (r < 650 && !x->rdonly) { /* put */
        size_t vlen = rnd(VMAX);
        for (size_t i = 0; i < vlen; i++)
            x->wval[k][i] = (char)('a' + (n + i) % 26);
        x->wlen[k] = vlen;
        x->wrote[k] = 1;
        assert_int_equal(awdb_put(x->t, key, klen, x->wval[k], vlen), 0);
    } else if (r < 720 && !x->rdonly) { /* delete */
        x->wrote[k] = 2;
        x->wlen[k] = 0;
        assert_int_equal(awdb_del(x->t, key, klen), 0);
    } else if (r < 760) { /* scan */
        check_scan(x, n, rnd(KEYS), rnd(4) ? rnd(12) + 1 : 0);
    } else if (r < 930) { /* commit */
        bool conflict = false, wrote = false;
        for (unsigned i = 0; i < KEYS; i++) {
            if (x->read[i] && model.k[i].modified > x->snap.commits)
                conflict = true;
            wrote |= x->wrote[i] != 0;
        }
        if (!wrote)
            conflict = false; /* nothing written: the snapshot was consistent */
        uint64_t snap = awdb_txn_snapshot(x->t);
        int rc = awdb_txn_commit(x->t, NULL);
        x->active = false;
        if (rc == AWDB_CONFLICT && !conflict) {
            struct awdb_stats st;
            awdb_stats(db, &st);
            if (st.flushed_seq <= snap)
                fail_msg("step %lu: unexpected conflict (no flush since the snapshot)", n);
            return;
        }
        if (conflict) {
            if (rc != AWDB_CONFLICT)
                fail_msg("step %lu: commit returned %d, the model expected a conflict", n, rc);
            return;
        }
        assert_int_equal(rc, 0);
        if (!wrote)
            return;
        model.commits++;
        for (unsigned i = 0; i < KEYS; i++) {
            if (!x->wrote[i])
                continue;
            model.k[i].present = x->wrote[i] == 1;
            memcpy(model.k[i].val, x->wval[i], x->wlen[i]);
            model.k[i].vlen = x->wlen[i];
            model.k[i].modified = model.commits;
        }
    } else { /* abort */
        awdb_txn_abort(x->t);
        x->active = false;
    }
}

static void run(uint64_t seed, unsigned long steps)
{
    for (unsigned i = 0; i < KEYS; i++)
        sorted_keys[i] = i;
    qsort(sorted_keys, KEYS, sizeof sorted_keys[0], cmp_keyidx);
    rng = seed;
    memset(&model, 0, sizeof model);
    kvbt_mkdtemp(dir, "awdb-model");
    open_db();
    for (unsigned long n = 0; n < steps; n++)
        step(n);
    free_handles();
    check_all();
    struct awdb_stats st;
    awdb_stats(db, &st);
    print_message("seed %" PRIu64 ": %" PRIu64 " model commits, %" PRIu64 " engine commits since "
                  "last open, %" PRIu64 " conflicts, %" PRIu64 " flushes\n",
                  seed, model.commits, st.commits, st.conflicts, st.flushes);
    assert_int_equal(awdb_close(db), 0);
    open_db();
    free_handles();
    check_all();
    assert_int_equal(awdb_close(db), 0);
    kvbt_rmtree(dir);
}

static void test_model_seed1(void **state)
{
    (void)state;
    run(0x9E3779B97F4A7C15ull, 100000);
}

static void test_model_seed2(void **state)
{
    (void)state;
    run(12345678910111213ull, 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_seed1),
        cmocka_unit_test(test_model_seed2),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
