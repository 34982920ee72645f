/*
 * test_backends.c - the backend contract (backends/backend.h), checked on
 * every registered backend, and the behaviour of null and mem's test
 * switches at the backend level.
 *
 * Conformance: each backend that stores (KVB_CAP_STORES) runs the same
 * group: put/commit/get, overwrite, abort, del, missing keys, a read-only
 * client seeing another client's commits, reopen (KVB_CAP_PERSIST only) and
 * four concurrent monotonic writers beside a reader, which must end with
 * head equal to the number of acknowledged commits and every key present.
 *
 * Then: null stores nothing and its stall option blocks; each of mem's
 * injected anomalies happens exactly as documented; lmdb's errors carry the
 * failing call. Timing is only ever checked from below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/backend.h"
#include "tests/testutil.h"
#include "util/clock.h"
#include "util/option.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
/* librocksdb is not built with TSan: it publishes memtable entries with
 * atomics TSan cannot see, so TSan reports its memcpy/memcmp on them as
 * races. Races with a frame in the library are not ours to judge. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:librocksdb.so\n";
}
#endif

/* ---- fixture: one database in a fresh directory ------------------------- */

struct fx {
    const struct kvb_backend *be;
    char dir[PATH_MAX];
    void *opts;
    struct kvb_open_args args;
    struct kvb_db db;
    bool open;
};

/* Parses "name=value" settings into f->opts on top of the defaults. */
static void fx_opts(struct fx *f, const char *const *sets)
{
    char err[KVB_OPT_ERRLEN];
    f->opts = calloc(1, f->be->opts_size ? f->be->opts_size : 1);
    assert_non_null(f->opts);
    if (f->be->options && kvb_opt_defaults(f->be->options, f->opts, err, sizeof err) != 0)
        fail_msg("%s: defaults: %s", f->be->name, err);
    for (size_t i = 0; sets && sets[i]; i++) {
        char name[64];
        const char *eq = strchr(sets[i], '=');
        assert_non_null(eq);
        snprintf(name, sizeof name, "%.*s", (int)(eq - sets[i]), sets[i]);
        const struct kvb_option *o = kvb_opt_find(f->be->options, name);
        if (!o)
            fail_msg("%s has no option %s", f->be->name, name);
        if (kvb_opt_parse(o, eq + 1, f->opts, err, sizeof err) != 0)
            fail_msg("%s.%s: %s", f->be->name, name, err);
    }
}

static int fx_try_open(struct fx *f)
{
    memset(&f->db, 0, sizeof f->db);
    f->db.be = f->be;
    int rc = f->be->open(&f->db, &f->args);
    f->open = rc == KVB_OK;
    return rc;
}

static void fx_open(struct fx *f)
{
    if (fx_try_open(f) != KVB_OK)
        fail_msg("%s: open: %s", f->be->name, f->db.err);
}

static void fx_close(struct fx *f)
{
    if (!f->open)
        return;
    f->open = false;
    if (f->be->close(&f->db) != KVB_OK)
        fail_msg("%s: close: %s", f->be->name, f->db.err);
}

/* A fixture for backend be with the given settings (NULL-terminated). */
static struct fx *fx_new(const struct kvb_backend *be, const char *const *sets)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->be = be;
    fx_opts(f, sets);
    kvbt_mkdtemp(f->dir, be->name);
    f->args = (struct kvb_open_args){
        .dir = f->dir,
        .sync = true,
        .opts = f->opts,
        .max_clients = 8,
        .expected_keys = 1000,
        .value_size = 100,
    };
    return f;
}

static void fx_free(struct fx *f)
{
    fx_close(f);
    kvbt_rmtree(f->dir);
    free(f->opts);
    free(f);
}

static int setup_be(void **state)
{
    struct fx *f = fx_new(*state, NULL);
    fx_open(f);
    *state = f;
    return 0;
}

static int teardown_be(void **state)
{
    fx_free(*state);
    return 0;
}

static void client_open(struct fx *f, struct kvb_client *c, unsigned id)
{
    memset(c, 0, sizeof *c);
    c->db = &f->db;
    c->id = id;
    if (f->be->client_open(c) != KVB_OK)
        fail_msg("%s: client_open: %s", f->be->name, c->err);
}

/* ---- small transaction helpers (cmocka asserts: main thread only) ------- */

#define CHECK_OK(f, c, call)                                                                       \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != KVB_OK)                                                                         \
            fail_msg("%s: %s returned %d: %s", (f)->be->name, #call, rc_, (c)->err);               \
    } while (0)

static int get_s(struct fx *f, struct kvb_client *c, const char *key, const void **v, size_t *vl)
{
    return f->be->get(c, key, strlen(key), 0, v, vl);
}

static void put_s(struct fx *f, struct kvb_client *c, const char *key, const char *val)
{
    CHECK_OK(f, c, f->be->put(c, key, strlen(key), val, strlen(val)));
}

/* One write transaction putting key=val. */
static void commit_put(struct fx *f, struct kvb_client *c, const char *key, const char *val)
{
    CHECK_OK(f, c, f->be->begin(c, 0));
    put_s(f, c, key, val);
    CHECK_OK(f, c, f->be->commit(c));
}

/* In the open transaction, key must hold val (val NULL: must be absent). */
static void expect_in_txn(struct fx *f, struct kvb_client *c, const char *key, const char *val)
{
    const void *v;
    size_t vl;
    int rc = get_s(f, c, key, &v, &vl);
    if (!val) {
        if (rc != KVB_NOT_FOUND)
            fail_msg("%s: get %s: expected KVB_NOT_FOUND, got %d (%s)", f->be->name, key, rc,
                     rc == KVB_ERR ? c->err : "");
        return;
    }
    if (rc != KVB_OK)
        fail_msg("%s: get %s: expected '%s', got rc %d (%s)", f->be->name, key, val, rc,
                 rc == KVB_ERR ? c->err : "");
    if (vl != strlen(val) || memcmp(v, val, vl) != 0)
        fail_msg("%s: get %s: expected '%s', got '%.*s'", f->be->name, key, val, (int)vl,
                 (const char *)v);
}

/* A read-only transaction checking key. */
static void expect(struct fx *f, struct kvb_client *c, const char *key, const char *val)
{
    CHECK_OK(f, c, f->be->begin(c, KVB_TXN_READONLY));
    expect_in_txn(f, c, key, val);
    CHECK_OK(f, c, f->be->commit(c));
}

/* ---- every backend ------------------------------------------------------ */

static void t_option_tables(void **state)
{
    (void)state;
    for (size_t i = 0; kvb_backends[i]; i++) {
        const struct kvb_backend *be = kvb_backends[i];
        char err[KVB_OPT_ERRLEN];
        assert_non_null(be->name);
        assert_non_null(be->summary);
        assert_true(be->open && be->close && be->client_open && be->client_close);
        assert_true(be->begin && be->get && be->put && be->del && be->commit && be->abort);
        if (!be->options)
            continue;
        assert_true(be->opts_size > 0);
        for (const struct kvb_option *o = be->options; o->name; o++) {
            if (!o->help || !*o->help)
                fail_msg("%s.%s has no help", be->name, o->name);
            assert_true(o->offset < be->opts_size);
        }
        void *opts = calloc(1, be->opts_size);
        assert_non_null(opts);
        if (kvb_opt_defaults(be->options, opts, err, sizeof err) != 0)
            fail_msg("%s: defaults: %s", be->name, err);
        if (be->check && be->check(opts, true, err, sizeof err) != 0)
            fail_msg("%s: check rejects the defaults: %s", be->name, err);
        free(opts);
    }
    assert_non_null(kvb_backend_find("null"));
    assert_non_null(kvb_backend_find("mem"));
    assert_non_null(kvb_backend_find("lmdb"));
}

/* ---- conformance: every backend that stores ----------------------------- */

static void t_put_commit_get(void **state)
{
    struct fx *f = *state;
    struct kvb_client c;
    client_open(f, &c, 0);
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    put_s(f, &c, "alpha", "one");
    put_s(f, &c, "beta", "two");
    CHECK_OK(f, &c, f->be->commit(&c));
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    expect_in_txn(f, &c, "alpha", "one");
    expect_in_txn(f, &c, "beta", "two");
    CHECK_OK(f, &c, f->be->commit(&c));
    f->be->client_close(&c);
}

static void t_overwrite(void **state)
{
    struct fx *f = *state;
    struct kvb_client c;
    client_open(f, &c, 0);
    commit_put(f, &c, "k", "first");
    commit_put(f, &c, "k", "second, longer than the first");
    expect(f, &c, "k", "second, longer than the first");
    commit_put(f, &c, "k", "3");
    expect(f, &c, "k", "3");
    f->be->client_close(&c);
}

static void t_abort_discards(void **state)
{
    struct fx *f = *state;
    struct kvb_client c;
    client_open(f, &c, 0);
    commit_put(f, &c, "kept", "yes");
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    put_s(f, &c, "dropped", "no");
    put_s(f, &c, "kept", "overwritten");
    f->be->abort(&c);
    expect(f, &c, "dropped", NULL);
    expect(f, &c, "kept", "yes");

    /* abort is safe after a get that found nothing */
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    expect_in_txn(f, &c, "nothing here", NULL);
    f->be->abort(&c);
    /* and a read-only transaction may end in abort */
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    expect_in_txn(f, &c, "kept", "yes");
    f->be->abort(&c);
    expect(f, &c, "kept", "yes");
    f->be->client_close(&c);
}

static void t_del(void **state)
{
    struct fx *f = *state;
    struct kvb_client c;
    client_open(f, &c, 0);
    commit_put(f, &c, "a", "1");
    commit_put(f, &c, "b", "2");
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    CHECK_OK(f, &c, f->be->del(&c, "a", 1));
    CHECK_OK(f, &c, f->be->commit(&c));
    expect(f, &c, "a", NULL);
    expect(f, &c, "b", "2");
    /* a deleted key can come back */
    commit_put(f, &c, "a", "again");
    expect(f, &c, "a", "again");
    /* an aborted del changes nothing */
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    CHECK_OK(f, &c, f->be->del(&c, "b", 1));
    f->be->abort(&c);
    expect(f, &c, "b", "2");
    f->be->client_close(&c);
}

static void t_missing(void **state)
{
    struct fx *f = *state;
    struct kvb_client c;
    client_open(f, &c, 0);
    expect(f, &c, "never written", NULL);
    commit_put(f, &c, "k1", "v");
    expect(f, &c, "k", NULL); /* a prefix of a key is another key */
    expect(f, &c, "k10", NULL);
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    const void *v;
    size_t vl;
    assert_int_equal(f->be->get(&c, "zz", 2, KVB_GET_FOR_UPDATE, &v, &vl), KVB_NOT_FOUND);
    CHECK_OK(f, &c, f->be->commit(&c));
    f->be->client_close(&c);
}

static void t_readonly_sees_commits(void **state)
{
    struct fx *f = *state;
    struct kvb_client w, r;
    client_open(f, &w, 0);
    client_open(f, &r, 1);
    char key[32], val[32];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "key%d", i);
        snprintf(val, sizeof val, "value%d", i);
        commit_put(f, &w, key, val);
        expect(f, &r, key, val); /* the reader's transaction is reused every time */
        expect(f, &r, "head", NULL);
    }
    f->be->client_close(&r);
    f->be->client_close(&w);
}

static void t_reopen(void **state)
{
    struct fx *f = *state;
    if (!(f->be->caps & KVB_CAP_PERSIST))
        skip();
    struct kvb_client c;
    client_open(f, &c, 0);
    commit_put(f, &c, "persisted", "across close");
    commit_put(f, &c, "gone", "soon");
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    CHECK_OK(f, &c, f->be->del(&c, "gone", 4));
    CHECK_OK(f, &c, f->be->commit(&c));
    f->be->client_close(&c);
    fx_close(f);

    fx_open(f);
    client_open(f, &c, 0);
    expect(f, &c, "persisted", "across close");
    expect(f, &c, "gone", NULL);
    f->be->client_close(&c);
}

/* Concurrent monotonic writers and one reader. Threads never call cmocka:
 * they count what went wrong and keep the first message. */
#define MONO_WRITERS 4
#define MONO_COMMITS 150

struct mono {
    struct fx *f;
    struct kvb_client c;
    atomic_bool *stop;
    unsigned ok, conflicts, bad;
    char first[KVB_ERRLEN + 64];
};

static void mono_bad(struct mono *m, const char *what, int rc)
{
    if (m->bad++ == 0)
        snprintf(m->first, sizeof m->first, "%s: rc %d: %s", what, rc,
                 rc == KVB_ERR ? m->c.err : "");
}

static int read_u64(const struct kvb_backend *be, struct kvb_client *c, const char *key,
                    unsigned flags, uint64_t *out)
{
    const void *v;
    size_t vl;
    int rc = be->get(c, key, strlen(key), flags, &v, &vl);
    if (rc == KVB_NOT_FOUND) {
        *out = 0;
        return KVB_OK;
    }
    if (rc == KVB_OK) {
        if (vl != sizeof *out)
            return KVB_ERR;
        memcpy(out, v, sizeof *out);
    }
    return rc;
}

static void *mono_writer(void *arg)
{
    struct mono *m = arg;
    const struct kvb_backend *be = m->f->be;
    char key[32];
    for (unsigned attempts = 0; m->ok < MONO_COMMITS && attempts < 100 * MONO_COMMITS; attempts++) {
        uint64_t h, h1;
        int rc = be->begin(&m->c, 0);
        if (rc != KVB_OK) {
            mono_bad(m, "begin", rc);
            continue;
        }
        rc = read_u64(be, &m->c, "head", KVB_GET_FOR_UPDATE, &h);
        if (rc == KVB_OK) {
            snprintf(key, sizeof key, "key%llu", (unsigned long long)h);
            rc = be->put(&m->c, key, strlen(key), &h, sizeof h);
        }
        if (rc == KVB_OK) {
            h1 = h + 1;
            rc = be->put(&m->c, "head", 4, &h1, sizeof h1);
        }
        if (rc != KVB_OK) {
            mono_bad(m, "get/put", rc);
            be->abort(&m->c);
            continue;
        }
        rc = be->commit(&m->c);
        if (rc == KVB_OK)
            m->ok++;
        else if (rc == KVB_CONFLICT)
            m->conflicts++;
        else
            mono_bad(m, "commit", rc);
    }
    return NULL;
}

/* Reader: head h, then key(h-1) must exist and hold h-1. */
static void *mono_reader(void *arg)
{
    struct mono *m = arg;
    const struct kvb_backend *be = m->f->be;
    char key[32];
    while (!atomic_load(m->stop)) {
        uint64_t h, v;
        int rc = be->begin(&m->c, KVB_TXN_READONLY);
        if (rc != KVB_OK) {
            mono_bad(m, "reader begin", rc);
            continue;
        }
        rc = read_u64(be, &m->c, "head", 0, &h);
        if (rc == KVB_OK && h > 0) {
            snprintf(key, sizeof key, "key%llu", (unsigned long long)(h - 1));
            const void *p;
            size_t vl;
            rc = be->get(&m->c, key, strlen(key), 0, &p, &vl);
            if (rc == KVB_OK) {
                if (vl != sizeof v || (memcpy(&v, p, sizeof v), v != h - 1))
                    mono_bad(m, "reader: wrong value", rc);
            } else {
                mono_bad(m, "reader: missing key below head", rc);
                rc = KVB_OK;
            }
        }
        if (rc != KVB_OK) {
            mono_bad(m, "reader get", rc);
            be->abort(&m->c);
            continue;
        }
        rc = be->commit(&m->c);
        if (rc == KVB_OK)
            m->ok++;
        else
            mono_bad(m, "reader commit", rc);
    }
    return NULL;
}

static void t_concurrent_monotonic(void **state)
{
    struct fx *f = *state;
    struct mono m[MONO_WRITERS + 1];
    pthread_t t[MONO_WRITERS + 1];
    atomic_bool stop = false;
    memset(m, 0, sizeof m);
    for (unsigned i = 0; i <= MONO_WRITERS; i++) {
        m[i].f = f;
        m[i].stop = &stop;
        client_open(f, &m[i].c, i);
    }
    assert_int_equal(pthread_create(&t[MONO_WRITERS], NULL, mono_reader, &m[MONO_WRITERS]), 0);
    for (unsigned i = 0; i < MONO_WRITERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, mono_writer, &m[i]), 0);
    unsigned total = 0;
    for (unsigned i = 0; i < MONO_WRITERS; i++) {
        pthread_join(t[i], NULL);
        total += m[i].ok;
    }
    atomic_store(&stop, true);
    pthread_join(t[MONO_WRITERS], NULL);
    for (unsigned i = 0; i <= MONO_WRITERS; i++)
        if (m[i].bad)
            fail_msg("%s: client %u: %u failures, first: %s", f->be->name, i, m[i].bad, m[i].first);
    if (f->be->caps & KVB_CAP_SERIAL_WRITES)
        for (unsigned i = 0; i < MONO_WRITERS; i++)
            assert_int_equal(m[i].conflicts, 0);
    assert_int_equal(total, MONO_WRITERS * MONO_COMMITS);

    /* head counts the acknowledged commits, and every key below it holds its index */
    struct kvb_client *c = &m[0].c;
    uint64_t h, v;
    char key[32];
    CHECK_OK(f, c, f->be->begin(c, KVB_TXN_READONLY));
    CHECK_OK(f, c, read_u64(f->be, c, "head", 0, &h));
    assert_int_equal(h, total);
    for (uint64_t i = 0; i < h; i++) {
        snprintf(key, sizeof key, "key%llu", (unsigned long long)i);
        const void *p;
        size_t vl;
        if (f->be->get(c, key, strlen(key), 0, &p, &vl) != KVB_OK)
            fail_msg("%s: %s missing after the run", f->be->name, key);
        assert_int_equal(vl, sizeof v);
        memcpy(&v, p, sizeof v);
        assert_int_equal(v, i);
    }
    f->be->abort(c);
    for (unsigned i = 0; i <= MONO_WRITERS; i++)
        f->be->client_close(&m[i].c);
}

/* ---- null ---------------------------------------------------------------- */

static void t_null_stores_nothing(void **state)
{
    (void)state;
    struct fx *f = fx_new(kvb_backend_find("null"), NULL);
    struct kvb_client c;
    assert_int_equal(f->be->caps, 0);
    fx_open(f);
    client_open(f, &c, 0);
    commit_put(f, &c, "k", "v");
    expect(f, &c, "k", NULL);
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    put_s(f, &c, "k", "v");
    expect_in_txn(f, &c, "k", NULL); /* not even its own writes */
    CHECK_OK(f, &c, f->be->del(&c, "k", 1));
    CHECK_OK(f, &c, f->be->commit(&c));
    f->be->client_close(&c);
    fx_free(f);
}

static void t_null_stall_blocks(void **state)
{
    (void)state;
    static const char *const sets[] = {"stall_every_ms=20", "stall_ms=60", NULL};
    struct fx *f = fx_new(kvb_backend_find("null"), sets);
    struct kvb_client c;
    fx_open(f);
    client_open(f, &c, 0);
    kvb_sleep_until(kvb_now_ns() + 30 * 1000000ull); /* past the first stall point */
    uint64_t t0 = kvb_now_ns();
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    uint64_t t1 = kvb_now_ns();
    CHECK_OK(f, &c, f->be->commit(&c));
    if (t1 - t0 < 60 * 1000000ull)
        fail_msg("begin after a stall point took %.3f ms, expected at least 60",
                 (double)(t1 - t0) / 1e6);

    struct kvb_backend_stats st;
    kvb_backend_stats_init(&st);
    CHECK_OK(f, &c, f->be->stats(&f->db, &st));
    assert_true(st.write_stalls >= 1);
    assert_true(st.stall_ms >= 60);
    f->be->client_close(&c);
    fx_free(f);
}

static void t_null_check(void **state)
{
    (void)state;
    static const char *const sets[] = {"stall_ms=5", NULL};
    struct fx *f = fx_new(kvb_backend_find("null"), sets);
    char err[256] = "";
    assert_non_null(f->be->check);
    assert_int_equal(f->be->check(f->opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "stall_every_ms"));
    fx_free(f);
}

/* ---- mem's injected anomalies ------------------------------------------- */

static struct fx *mem_with(const char *const *sets)
{
    struct fx *f = fx_new(kvb_backend_find("mem"), sets);
    fx_open(f);
    return f;
}

static void t_mem_lose_write(void **state)
{
    (void)state;
    static const char *const sets[] = {"lose_write_every=3", NULL};
    struct fx *f = mem_with(sets);
    struct kvb_client c;
    char key[16];
    client_open(f, &c, 0);
    for (int i = 1; i <= 7; i++) {
        snprintf(key, sizeof key, "k%d", i);
        commit_put(f, &c, key, "v"); /* every one is acknowledged */
        /* neither a read-only commit nor an abort counts as a write commit */
        expect(f, &c, "other", NULL);
        CHECK_OK(f, &c, f->be->begin(&c, 0));
        put_s(f, &c, "other", "x");
        f->be->abort(&c);
    }
    for (int i = 1; i <= 7; i++) {
        snprintf(key, sizeof key, "k%d", i);
        expect(f, &c, key, i % 3 == 0 ? NULL : "v");
    }
    f->be->client_close(&c);
    fx_free(f);
}

static void t_mem_stale_read(void **state)
{
    (void)state;
    static const char *const sets[] = {"stale_read_every=2", NULL};
    struct fx *f = mem_with(sets);
    struct kvb_client c;
    client_open(f, &c, 0);
    commit_put(f, &c, "k", "v1");
    commit_put(f, &c, "k", "v2");
    commit_put(f, &c, "j", "only");
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    expect_in_txn(f, &c, "k", "v2");   /* lookup 1 */
    expect_in_txn(f, &c, "k", "v1");   /* lookup 2: the previous version */
    expect_in_txn(f, &c, "j", "only"); /* lookup 3 */
    expect_in_txn(f, &c, "j", NULL);   /* lookup 4: no previous version */
    CHECK_OK(f, &c, f->be->commit(&c));
    /* the transaction's own writes are not lookups in the store */
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    put_s(f, &c, "k", "v3");
    expect_in_txn(f, &c, "k", "v3");
    expect_in_txn(f, &c, "k", "v3");
    expect_in_txn(f, &c, "j", "only"); /* lookup 5 */
    CHECK_OK(f, &c, f->be->commit(&c));
    expect(f, &c, "k", "v2"); /* lookup 6: v3's previous version */
    f->be->client_close(&c);
    fx_free(f);
}

static void t_mem_corrupt_read(void **state)
{
    (void)state;
    static const char *const sets[] = {"corrupt_read_every=2", NULL};
    static const char orig[] = "abcdefgh";
    struct fx *f = mem_with(sets);
    struct kvb_client c;
    const void *v;
    size_t vl;
    client_open(f, &c, 0);
    commit_put(f, &c, "k", orig);
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    expect_in_txn(f, &c, "k", orig);
    CHECK_OK(f, &c, get_s(f, &c, "k", &v, &vl));
    assert_int_equal(vl, 8);
    int differ = 0;
    for (size_t i = 0; i < vl; i++)
        differ += ((const char *)v)[i] != orig[i];
    assert_int_equal(differ, 1);
    assert_int_equal(((const char *)v)[4], orig[4] ^ 1);
    expect_in_txn(f, &c, "k", orig);    /* the store itself is intact */
    expect_in_txn(f, &c, "none", NULL); /* a miss is not a successful get */
    CHECK_OK(f, &c, f->be->commit(&c));
    f->be->client_close(&c);
    fx_free(f);
}

/* Two writers interleaved from one thread: both read head 0, both commit. */
static void t_mem_lost_update(void **state)
{
    (void)state;
    static const char *const sets[] = {"lost_update=true", NULL};
    struct fx *f = mem_with(sets);
    struct kvb_client a, b;
    client_open(f, &a, 0);
    client_open(f, &b, 1);
    uint64_t ha, hb, one = 1;
    CHECK_OK(f, &a, f->be->begin(&a, 0));
    CHECK_OK(f, &b, f->be->begin(&b, 0));
    CHECK_OK(f, &a, read_u64(f->be, &a, "head", KVB_GET_FOR_UPDATE, &ha));
    CHECK_OK(f, &b, read_u64(f->be, &b, "head", KVB_GET_FOR_UPDATE, &hb));
    assert_int_equal(ha, 0);
    assert_int_equal(hb, 0);
    put_s(f, &a, "key0", "from a");
    CHECK_OK(f, &a, f->be->put(&a, "head", 4, &one, sizeof one));
    put_s(f, &b, "key0", "from b");
    CHECK_OK(f, &b, f->be->put(&b, "head", 4, &one, sizeof one));
    assert_int_equal(f->be->commit(&a), KVB_OK);
    assert_int_equal(f->be->commit(&b), KVB_OK); /* two acknowledged commits ... */
    uint64_t h;
    CHECK_OK(f, &a, f->be->begin(&a, KVB_TXN_READONLY));
    CHECK_OK(f, &a, read_u64(f->be, &a, "head", 0, &h));
    expect_in_txn(f, &a, "key0", "from b");
    CHECK_OK(f, &a, f->be->commit(&a));
    assert_int_equal(h, 1); /* ... but head moved by one */
    f->be->client_close(&b);
    f->be->client_close(&a);
    fx_free(f);
}

/* Forks a child that opens mem with sets, makes n commits, writes a byte to
 * ready_fd (if >= 0) and makes one more. Returns the child's pid. The child
 * exits 10..13 if a step fails, 20 if the last commit returns. */
static pid_t mem_child(const char *const *sets, int n, int ready_fd)
{
    struct fx *f = mem_with(sets);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        fx_free(f); /* the parent's copy; the child works on its own */
        return pid;
    }
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    signal(SIGABRT, SIG_DFL);
    struct kvb_client c = {.db = &f->db};
    if (f->be->client_open(&c) != KVB_OK)
        _exit(10);
    for (int i = 0; i <= n; i++) {
        if (f->be->begin(&c, 0) != KVB_OK || f->be->put(&c, "k", 1, "v", 1) != KVB_OK)
            _exit(11);
        if (i == n && ready_fd >= 0 && write(ready_fd, "x", 1) != 1)
            _exit(12);
        if (f->be->commit(&c) != KVB_OK)
            _exit(13);
    }
    _exit(20);
}

static void t_mem_crash_after_commits(void **state)
{
    (void)state;
    static const char *const sets[] = {"crash_after_commits=3", NULL};
    int status;
    pid_t pid = mem_child(sets, 3, -1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
        fail_msg("child exited with %d instead of dying of SIGABRT", WEXITSTATUS(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void t_mem_hang_after_commits(void **state)
{
    (void)state;
    static const char *const sets[] = {"hang_after_commits=2", NULL};
    int fds[2], status;
    char x;
    assert_int_equal(pipe(fds), 0);
    pid_t pid = mem_child(sets, 2, fds[1]);
    close(fds[1]);
    assert_int_equal(read(fds[0], &x, 1), 1); /* the child is about to make commit 3 */
    close(fds[0]);
    kvb_sleep_until(kvb_now_ns() + 300 * 1000000ull);
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
        fail_msg("child ended (status 0x%x) instead of hanging in commit", status);
    assert_int_equal(r, 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* ---- lmdb ---------------------------------------------------------------- */

static void t_lmdb_map_full(void **state)
{
    (void)state;
    static const char *const sets[] = {"map_size=1MiB", NULL};
    struct fx *f = fx_new(kvb_backend_find("lmdb"), sets);
    struct kvb_client c;
    static char val[4000];
    char key[32];
    int rc = KVB_OK;
    fx_open(f);
    client_open(f, &c, 0);
    memset(val, 'v', sizeof val);
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    for (int i = 0; i < 1000 && rc == KVB_OK; i++) { /* ~4 MB into a 1 MiB map */
        snprintf(key, sizeof key, "key%d", i);
        rc = f->be->put(&c, key, strlen(key), val, sizeof val);
    }
    assert_int_equal(rc, KVB_ERR);
    if (!strstr(c.err, "mdb_put: MDB_MAP_FULL") || !strstr(c.err, "map_size"))
        fail_msg("unexpected message: %s", c.err);
    f->be->abort(&c);
    /* the database is still usable */
    commit_put(f, &c, "small", "fits");
    expect(f, &c, "small", "fits");
    expect(f, &c, "key0", NULL);
    f->be->client_close(&c);
    fx_free(f);
}

static void t_lmdb_max_readers(void **state)
{
    (void)state;
    static const char *const sets[] = {"max_readers=2", NULL};
    struct fx *f = fx_new(kvb_backend_find("lmdb"), sets);
    f->args.max_clients = 4;
    assert_int_equal(fx_try_open(f), KVB_ERR);
    assert_non_null(strstr(f->db.err, "max_readers"));
    f->args.max_clients = 2;
    fx_open(f);
    fx_free(f);
}

/* Without sync, and with writemap and nordahead: same behaviour. */
static void t_lmdb_nosync_writemap(void **state)
{
    (void)state;
    static const char *const sets[] = {"writemap=true", "nordahead=true", NULL};
    struct fx *f = fx_new(kvb_backend_find("lmdb"), sets);
    struct kvb_client c;
    f->args.sync = false;
    fx_open(f);
    client_open(f, &c, 0);
    commit_put(f, &c, "k", "v");
    expect(f, &c, "k", "v");
    f->be->client_close(&c);
    fx_close(f);
    fx_open(f);
    client_open(f, &c, 0);
    expect(f, &c, "k", "v");
    f->be->client_close(&c);
    fx_free(f);
}

/* ---- main ---------------------------------------------------------------- */

static const struct CMUnitTest general[] = {
    cmocka_unit_test(t_option_tables),
};

static const struct CMUnitTest specific[] = {
    cmocka_unit_test(t_null_stores_nothing),
    cmocka_unit_test(t_null_stall_blocks),
    cmocka_unit_test(t_null_check),
    cmocka_unit_test(t_mem_lose_write),
    cmocka_unit_test(t_mem_stale_read),
    cmocka_unit_test(t_mem_corrupt_read),
    cmocka_unit_test(t_mem_lost_update),
    cmocka_unit_test(t_mem_crash_after_commits),
    cmocka_unit_test(t_mem_hang_after_commits),
    cmocka_unit_test(t_lmdb_map_full),
    cmocka_unit_test(t_lmdb_max_readers),
    cmocka_unit_test(t_lmdb_nosync_writemap),
};

static const struct {
    const char *name;
    CMUnitTestFunction fn;
} conformance[] = {
    {"put_commit_get", t_put_commit_get},
    {"overwrite", t_overwrite},
    {"abort_discards", t_abort_discards},
    {"del", t_del},
    {"missing", t_missing},
    {"readonly_sees_commits", t_readonly_sees_commits},
    {"reopen", t_reopen},
    {"concurrent_monotonic", t_concurrent_monotonic},
};
#define NCONF (sizeof conformance / sizeof conformance[0])

int main(void)
{
    int failed = cmocka_run_group_tests_name("backends", general, NULL, NULL);
    static char names[16][NCONF][64];
    for (size_t b = 0; kvb_backends[b] && b < 16; b++) {
        const struct kvb_backend *be = kvb_backends[b];
        if (!(be->caps & KVB_CAP_STORES))
            continue;
        struct CMUnitTest tests[NCONF];
        for (size_t i = 0; i < NCONF; i++) {
            snprintf(names[b][i], sizeof names[b][i], "%s/%s", be->name, conformance[i].name);
            tests[i] = (struct CMUnitTest){names[b][i], conformance[i].fn, setup_be, teardown_be,
                                           (void *)be};
        }
        char group[64];
        snprintf(group, sizeof group, "conformance/%s", be->name);
        failed += _cmocka_run_group_tests(group, tests, NCONF, NULL, NULL);
    }
    failed += cmocka_run_group_tests_name("backend specifics", specific, NULL, NULL);
    return failed != 0;
}
