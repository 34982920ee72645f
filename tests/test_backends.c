/*
 * test_backends.c - the backend contract (backends/backend.h), checked on
 * every registered backend, and the behaviour of null and mem's test
 * switches at the backend level.
 *
 * Conformance: each backend that stores (KVB_CAP_STORES) runs the same
 * group: put/commit/get, overwrite, abort, del, missing keys, a read-only
 * client seeing another client's commits, reopen (KVB_CAP_PERSIST only) and
 * four concurrent monotonic writers beside a reader, which must end with
 * head equal to the number of acknowledged commits and every key present
 * (the reader also scans, where the backend can: exactly the keys below
 * head, in order). Backends with .scan also run the scan group: order,
 * limits, starts and early stops over random binary keys; a transaction's
 * own puts and dels (where its get sees them; mem and lmdb must); and a
 * read-only transaction's snapshot (not on mem, whose readers block
 * writers).
 *
 * Then: null stores nothing (and scans nothing) and its stall option blocks;
 * each of mem's injected anomalies happens exactly as documented, and a
 * lost_update writer's scan copies what it visits; lmdb's errors carry the
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
    if (!(kvb_backend_caps(f->be, f->opts) & KVB_CAP_PERSIST))
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

/* Scanning "key..." in one snapshot: keys ascend and each holds its index. */
struct mono_scan {
    char prev[32];
    size_t n;
    bool bad;
};

static int mono_scan_fn(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct mono_scan *ms = arg;
    char k[32];
    uint64_t v;
    if (klen < 3 || memcmp(key, "key", 3) != 0)
        return 1; /* past the "key" prefix */
    if (klen >= sizeof k || vlen != sizeof v) {
        ms->bad = true;
        return 1;
    }
    memcpy(k, key, klen);
    k[klen] = 0;
    memcpy(&v, val, sizeof v);
    if ((ms->n > 0 && strcmp(ms->prev, k) >= 0) || strtoull(k + 3, NULL, 10) != v)
        ms->bad = true;
    memcpy(ms->prev, k, klen + 1);
    ms->n++;
    return 0;
}

/* Reader: head h, then key(h-1) must exist and hold h-1; a scan (where the
 * backend has one) must find exactly key0 .. key(h-1), in order. */
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
        if (rc == KVB_OK && be->scan) {
            struct mono_scan ms = {.n = 0};
            rc = be->scan(&m->c, "key", 3, SIZE_MAX, mono_scan_fn, &ms);
            if (rc == KVB_OK && (ms.bad || ms.n != h)) {
                char what[96];
                snprintf(what, sizeof what, "reader scan: %zu keys for head %llu%s", ms.n,
                         (unsigned long long)h, ms.bad ? ", out of order or wrong values" : "");
                mono_bad(m, what, rc);
            } else if (rc != KVB_OK) {
                mono_bad(m, "reader scan", rc);
                rc = KVB_OK; /* already counted */
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
    uint64_t h = 0, v;
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

/* ---- conformance: scans (backends with .scan) --------------------------- */

/* A key and value as a scan or the model holds them. */
#define KV_KMAX 24
#define KV_VMAX 48

struct kv {
    unsigned char k[KV_KMAX], v[KV_VMAX];
    size_t kl, vl;
};

/* What a scan visited. fn returns non-zero on call number stop_after. */
struct scan_rec {
    struct kv *kv;
    size_t cap, n, stop_after;
    bool overflow; /* more calls than cap, or a key or value too long to keep */
};

static int scan_fn(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct scan_rec *r = arg;
    if (r->n >= r->cap || klen > KV_KMAX || vlen > KV_VMAX) {
        r->overflow = true;
    } else {
        struct kv *e = &r->kv[r->n];
        e->kl = klen;
        e->vl = vlen;
        memcpy(e->k, key, klen);
        if (vlen)
            memcpy(e->v, val, vlen);
    }
    r->n++;
    return r->stop_after && r->n == r->stop_after;
}

static void rec_init(struct scan_rec *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->kv = calloc(cap, sizeof *r->kv);
    assert_non_null(r->kv);
    r->cap = cap;
}

/* Scans in c's open transaction into r (cleared first). */
static void do_scan(struct fx *f, struct kvb_client *c, const void *start, size_t slen,
                    size_t limit, size_t stop_after, struct scan_rec *r)
{
    r->n = 0;
    r->overflow = false;
    r->stop_after = stop_after;
    CHECK_OK(f, c, f->be->scan(c, start, slen, limit, scan_fn, r));
    if (r->overflow)
        fail_msg("%s: scan visited %zu keys, or one too long for the test", f->be->name, r->n);
}

/* The backend.h order: memcmp, then the shorter key first. */
static int kv_keycmp(const void *a, size_t al, const void *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = n ? memcmp(a, b, n) : 0;
    return r ? r : (al > bl) - (al < bl);
}

static int kv_cmp(const void *pa, const void *pb)
{
    const struct kv *a = pa, *b = pb;
    return kv_keycmp(a->k, a->kl, b->k, b->kl);
}

/* The index of the first of the n sorted keys in m that is >= start. */
static size_t lower_bound(const struct kv *m, size_t n, const void *start, size_t slen)
{
    size_t i = 0;
    while (i < n && kv_keycmp(m[i].k, m[i].kl, start, slen) < 0)
        i++;
    return i;
}

static void kv_hex(const void *p, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o + 3 < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%02x", ((const unsigned char *)p)[i]);
}

/* The scan in r must be exactly m[from .. from+count). */
static void expect_scan(struct fx *f, const struct scan_rec *r, const struct kv *m, size_t from,
                        size_t count, const char *what)
{
    char a[2 * KV_KMAX + 1], b[2 * KV_KMAX + 1];
    if (r->n != count)
        fail_msg("%s: %s: visited %zu keys, expected %zu", f->be->name, what, r->n, count);
    for (size_t i = 0; i < count; i++) {
        const struct kv *got = &r->kv[i], *want = &m[from + i];
        if (kv_cmp(got, want) != 0) {
            kv_hex(got->k, got->kl, a, sizeof a);
            kv_hex(want->k, want->kl, b, sizeof b);
            fail_msg("%s: %s: key %zu is %s, expected %s", f->be->name, what, i, a, b);
        }
        if (got->vl != want->vl || (want->vl && memcmp(got->v, want->v, want->vl) != 0)) {
            kv_hex(want->k, want->kl, b, sizeof b);
            fail_msg("%s: %s: key %zu (%s) has a %zu-byte value, expected %zu bytes%s", f->be->name,
                     what, i, b, got->vl, want->vl,
                     got->vl == want->vl ? " with other contents" : "");
        }
    }
}

static uint64_t rnd_next(uint64_t *s)
{
    /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Keys of 1..6 bytes over an alphabet that makes common prefixes and needs
 * unsigned comparison (0x00, 0x7f, 0x80, 0xff), sorted and distinct; values
 * of 0..KV_VMAX-1 random bytes. */
static size_t scan_model(struct kv *m, size_t want, uint64_t seed)
{
    static const unsigned char alpha[] = {0x00, 0x01, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff};
    size_t n = 0;
    while (n < want) {
        struct kv e = {.kl = 1 + rnd_next(&seed) % 6, .vl = rnd_next(&seed) % KV_VMAX};
        for (size_t i = 0; i < e.kl; i++)
            e.k[i] = alpha[rnd_next(&seed) % sizeof alpha];
        for (size_t i = 0; i < e.vl; i++)
            e.v[i] = (unsigned char)rnd_next(&seed);
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = kv_cmp(&m[i], &e) == 0;
        if (!dup)
            m[n++] = e;
    }
    qsort(m, n, sizeof *m, kv_cmp);
    return n;
}

#define SCAN_KEYS 300
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Every check of scan_order, in the open transaction of c. */
static void scan_checks(struct fx *f, struct kvb_client *c, const struct kv *m, size_t n,
                        struct scan_rec *r)
{
    static const unsigned char past[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const struct kv *mid = &m[n / 2];
    unsigned char start[KV_KMAX + 1];
    size_t i;

    /* from an existing key in the middle */
    do_scan(f, c, mid->k, mid->kl, 50, 0, r);
    expect_scan(f, r, m, n / 2, 50, "from a middle key, limit 50");
    /* from a key that is not there: its successor key + 0x00 */
    memcpy(start, mid->k, mid->kl);
    start[mid->kl] = 0;
    i = lower_bound(m, n, start, mid->kl + 1);
    do_scan(f, c, start, mid->kl + 1, 20, 0, r);
    expect_scan(f, r, m, i, MIN(n - i, 20), "from an absent key (a middle key + 0x00), limit 20");
    /* from a one-byte prefix of a key: the first key with that byte, or the prefix itself */
    i = lower_bound(m, n, mid->k, 1);
    do_scan(f, c, mid->k, 1, 10, 0, r);
    expect_scan(f, r, m, i, MIN(n - i, 10), "from a one-byte prefix, limit 10");
    /* from a byte above 0x7f: the comparison is unsigned */
    start[0] = 0x80;
    i = lower_bound(m, n, start, 1);
    do_scan(f, c, start, 1, 5, 0, r);
    expect_scan(f, r, m, i, MIN(n - i, 5), "from 0x80, limit 5");
    /* limit 1, and limit 0 visits nothing */
    do_scan(f, c, mid->k, mid->kl, 1, 0, r);
    expect_scan(f, r, m, n / 2, 1, "limit 1");
    do_scan(f, c, mid->k, mid->kl, 0, 0, r);
    expect_scan(f, r, m, n / 2, 0, "limit 0");
    /* a limit past the end: what is left */
    do_scan(f, c, m[n - 7].k, m[n - 7].kl, 1000, 0, r);
    expect_scan(f, r, m, n - 7, 7, "from the 7th key from the end, limit 1000");
    do_scan(f, c, m[n - 1].k, m[n - 1].kl, 3, 0, r);
    expect_scan(f, r, m, n - 1, 1, "from the last key, limit 3");
    do_scan(f, c, past, sizeof past, 10, 0, r);
    expect_scan(f, r, m, n, 0, "from past the last key");
    /* everything, from the empty key */
    do_scan(f, c, "", 0, SIZE_MAX, 0, r);
    expect_scan(f, r, m, 0, n, "from the empty key, no limit");
    /* fn stops the scan early */
    do_scan(f, c, mid->k, mid->kl, 50, 7, r);
    expect_scan(f, r, m, n / 2, 7, "fn returning non-zero on the 7th key, limit 50");
    do_scan(f, c, "", 0, SIZE_MAX, 1, r);
    expect_scan(f, r, m, 0, 1, "fn returning non-zero on the first key");
    /* and the next scan in the same transaction starts afresh */
    do_scan(f, c, mid->k, mid->kl, 3, 0, r);
    expect_scan(f, r, m, n / 2, 3, "after an early stop");
}

static void t_scan_order(void **state)
{
    struct fx *f = *state;
    if (!f->be->scan)
        skip();
    struct kv *m = calloc(SCAN_KEYS, sizeof *m);
    size_t *perm = calloc(SCAN_KEYS, sizeof *perm);
    struct scan_rec r;
    struct kvb_client c;
    uint64_t seed = 0x5ca9ull;
    assert_true(m && perm);
    size_t n = scan_model(m, SCAN_KEYS, seed);
    rec_init(&r, SCAN_KEYS + 1);
    client_open(f, &c, 0);

    /* written in random order, a few dozen keys per transaction */
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd_next(&seed) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        const struct kv *e = &m[perm[i]];
        if (i % 37 == 0)
            CHECK_OK(f, &c, f->be->begin(&c, 0));
        CHECK_OK(f, &c, f->be->put(&c, e->k, e->kl, e->v, e->vl));
        if (i % 37 == 36 || i == n - 1)
            CHECK_OK(f, &c, f->be->commit(&c));
    }

    /* in read-only transactions, twice (a backend may reuse its cursor) */
    for (int round = 0; round < 2; round++) {
        CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
        scan_checks(f, &c, m, n, &r);
        CHECK_OK(f, &c, f->be->commit(&c));
    }
    /* one that ends in abort, then again */
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    do_scan(f, &c, "", 0, 10, 0, &r);
    expect_scan(f, &r, m, 0, 10, "first 10, read-only, then abort");
    f->be->abort(&c);
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    do_scan(f, &c, "", 0, SIZE_MAX, 0, &r);
    expect_scan(f, &r, m, 0, n, "everything, read-only after an abort");
    CHECK_OK(f, &c, f->be->commit(&c));
    /* in write transactions, committed and aborted */
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    scan_checks(f, &c, m, n, &r);
    CHECK_OK(f, &c, f->be->commit(&c));
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    scan_checks(f, &c, m, n, &r);
    f->be->abort(&c);
    /* a second client scanning while the first is idle */
    struct kvb_client c2;
    client_open(f, &c2, 1);
    CHECK_OK(f, &c2, f->be->begin(&c2, KVB_TXN_READONLY));
    do_scan(f, &c2, m[n / 3].k, m[n / 3].kl, 40, 0, &r);
    expect_scan(f, &r, m, n / 3, 40, "second client, from a third of the way, limit 40");
    CHECK_OK(f, &c2, f->be->commit(&c2));
    f->be->client_close(&c2);
    /* a client closed with a scanned read-only transaction still open */
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    do_scan(f, &c, "", 0, 5, 0, &r);
    f->be->client_close(&c);

    free(r.kv);
    free(perm);
    free(m);
}

/* A scan sees what get sees: the transaction's own puts and dels (where
 * the backend reads its own writes; mem and lmdb must). */
static void t_scan_own_writes(void **state)
{
    struct fx *f = *state;
    if (!f->be->scan)
        skip();
    struct kvb_client c;
    struct scan_rec r;
    char key[16], val[16];
    const void *v;
    size_t vl;
    client_open(f, &c, 0);
    rec_init(&r, 64);
    CHECK_OK(f, &c, f->be->begin(&c, 0));
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        snprintf(val, sizeof val, "v%02d", i);
        put_s(f, &c, key, val);
    }
    CHECK_OK(f, &c, f->be->commit(&c));

    /* before: k00..k19; after, from k03: */
    static const char *const after[][2] = {
        {"k03", "v03"}, {"k04", "v04"}, {"k05", "new5"}, {"k06", "v06"}, {"k07a", "added"},
        {"k08", "v08"}, {"k09", "v09"}, {"k10", "v10"},  {"k11", "v11"}, {"k12", "back"},
        {"k13", "v13"}, {"k14", "v14"}, {"k15", "b"},    {"k16", "v16"}, {"k17", "v17"},
        {"k18", "v18"}, {"k19", "v19"},
    };
    size_t nafter = sizeof after / sizeof after[0];
    struct kv *m = calloc(nafter + 20, sizeof *m), *before = m + nafter;
    assert_non_null(m);
    for (size_t i = 0; i < nafter; i++) {
        m[i].kl = strlen(after[i][0]);
        memcpy(m[i].k, after[i][0], m[i].kl);
        m[i].vl = strlen(after[i][1]);
        memcpy(m[i].v, after[i][1], m[i].vl);
    }
    for (size_t i = 0; i < 20; i++) {
        before[i].kl = (size_t)snprintf((char *)before[i].k, KV_KMAX, "k%02zu", i);
        before[i].vl = (size_t)snprintf((char *)before[i].v, KV_VMAX, "v%02zu", i);
    }

    for (int round = 0; round < 2; round++) {
        CHECK_OK(f, &c, f->be->begin(&c, 0));
        put_s(f, &c, "k05", "new5");
        if (get_s(f, &c, "k05", &v, &vl) != KVB_OK || vl != 4 || memcmp(v, "new5", 4) != 0) {
            f->be->abort(&c);
            if (!strcmp(f->be->name, "mem") || !strcmp(f->be->name, "lmdb"))
                fail_msg("%s: get does not see the transaction's own put", f->be->name);
            f->be->client_close(&c);
            free(m);
            free(r.kv);
            skip(); /* the backend does not read its own writes */
        }
        CHECK_OK(f, &c, f->be->del(&c, "k07", 3));
        put_s(f, &c, "k07a", "added");
        put_s(f, &c, "k10x", "gone again");
        CHECK_OK(f, &c, f->be->del(&c, "k10x", 4));
        CHECK_OK(f, &c, f->be->del(&c, "k12", 3));
        put_s(f, &c, "k12", "back");
        put_s(f, &c, "k15", "a");
        put_s(f, &c, "k15", "b");
        CHECK_OK(f, &c, f->be->del(&c, "k99", 3)); /* never there */
        put_s(f, &c, "k00", "before start");

        do_scan(f, &c, "k03", 3, 12, 0, &r);
        expect_scan(f, &r, m, 0, 12, "own writes, from k03, limit 12");
        do_scan(f, &c, "k03", 3, SIZE_MAX, 0, &r);
        expect_scan(f, &r, m, 0, nafter, "own writes, from k03, no limit");
        do_scan(f, &c, "k07", 3, 2, 0, &r); /* the deleted key is not visited */
        expect_scan(f, &r, m, 4, 2, "own writes, from the deleted k07, limit 2");
        do_scan(f, &c, "k10", 3, 2, 0, &r); /* nor a key put and deleted */
        expect_scan(f, &r, m, 7, 2, "own writes, from k10, limit 2");
        do_scan(f, &c, "k99", 3, 5, 0, &r);
        expect_scan(f, &r, m, nafter, 0, "own writes, from the deleted k99");
        do_scan(f, &c, "", 0, SIZE_MAX, 0, &r);
        if (r.n != nafter + 3)
            fail_msg("%s: own writes, everything: %zu keys, expected %zu", f->be->name, r.n,
                     nafter + 3);
        /* a write after a scan shows in the next one */
        put_s(f, &c, "k035", "later");
        CHECK_OK(f, &c, f->be->del(&c, "k04", 3));
        do_scan(f, &c, "k03", 3, 3, 0, &r);
        if (r.n != 3 || r.kv[0].kl != 3 || memcmp(r.kv[0].k, "k03", 3) != 0 || r.kv[1].kl != 4 ||
            memcmp(r.kv[1].k, "k035", 4) != 0 || r.kv[1].vl != 5 ||
            memcmp(r.kv[1].v, "later", 5) != 0 || r.kv[2].kl != 3 ||
            memcmp(r.kv[2].k, "k05", 3) != 0)
            fail_msg("%s: a put and a del after a scan are not in the next scan", f->be->name);

        if (round == 0) {
            /* aborted: the committed state, untouched */
            f->be->abort(&c);
            CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
            do_scan(f, &c, "", 0, SIZE_MAX, 0, &r);
            expect_scan(f, &r, before, 0, 20, "after abort, everything");
            CHECK_OK(f, &c, f->be->commit(&c));
        } else {
            CHECK_OK(f, &c, f->be->commit(&c));
            CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
            do_scan(f, &c, "k05", 3, SIZE_MAX, 0, &r);
            expect_scan(f, &r, m, 2, nafter - 2, "after commit, from k05");
            do_scan(f, &c, "", 0, 6, 0, &r); /* k00 k01 k02 k03 k035 k05 */
            if (r.n != 6 || r.kv[0].vl != 12 || memcmp(r.kv[0].v, "before start", 12) != 0 ||
                r.kv[4].kl != 4 || memcmp(r.kv[4].k, "k035", 4) != 0 || r.kv[5].kl != 3 ||
                memcmp(r.kv[5].k, "k05", 3) != 0)
                fail_msg("%s: after commit, the first 6 keys are wrong", f->be->name);
            CHECK_OK(f, &c, f->be->commit(&c));
        }
    }
    f->be->client_close(&c);
    free(m);
    free(r.kv);
}

/* A read-only transaction's scans do not see commits made after it began.
 * Skipped on mem, whose readers hold its lock until they end, so that no
 * commit can happen meanwhile (and the writer's begin would wait forever). */
static void t_scan_snapshot(void **state)
{
    struct fx *f = *state;
    if (!f->be->scan || !strcmp(f->be->name, "mem"))
        skip();
    struct kvb_client w, rd;
    struct scan_rec r;
    struct kv m[10];
    client_open(f, &w, 0);
    client_open(f, &rd, 1);
    rec_init(&r, 32);
    CHECK_OK(f, &w, f->be->begin(&w, 0));
    for (size_t i = 0; i < 10; i++) {
        m[i].kl = (size_t)snprintf((char *)m[i].k, KV_KMAX, "s%02zu", i);
        m[i].vl = (size_t)snprintf((char *)m[i].v, KV_VMAX, "old%02zu", i);
        CHECK_OK(f, &w, f->be->put(&w, m[i].k, m[i].kl, m[i].v, m[i].vl));
    }
    CHECK_OK(f, &w, f->be->commit(&w));

    for (int round = 0; round < 2; round++) {
        char k[16];
        CHECK_OK(f, &rd, f->be->begin(&rd, KVB_TXN_READONLY));
        if (round == 0) { /* scanned before the commit, and after */
            do_scan(f, &rd, "s", 1, SIZE_MAX, 0, &r);
            expect_scan(f, &r, m, 0, 10, "snapshot, before the other commit");
        } /* round 1: the first scan comes after the commit */
        CHECK_OK(f, &w, f->be->begin(&w, 0));
        snprintf(k, sizeof k, "s%02d", 5 + round);
        put_s(f, &w, k, "changed");
        snprintf(k, sizeof k, "s%02d", 3 + round);
        CHECK_OK(f, &w, f->be->del(&w, k, strlen(k)));
        put_s(f, &w, "s055", "new");
        put_s(f, &w, "s", "new, before every key");
        CHECK_OK(f, &w, f->be->commit(&w));
        do_scan(f, &rd, "s", 1, SIZE_MAX, 0, &r);
        expect_scan(f, &r, m, 0, 10, "snapshot, after the other commit");
        do_scan(f, &rd, "s03", 3, 4, 0, &r);
        expect_scan(f, &r, m, 3, 4, "snapshot, after the other commit, from s03, limit 4");
        CHECK_OK(f, &rd, f->be->commit(&rd));

        /* a new transaction sees the commit */
        CHECK_OK(f, &rd, f->be->begin(&rd, KVB_TXN_READONLY));
        do_scan(f, &rd, "s", 1, SIZE_MAX, 0, &r);
        if (r.n != 11 || r.kv[0].kl != 1 || r.kv[0].k[0] != 's')
            fail_msg("%s: a new transaction's scan does not see the commit (%zu keys)", f->be->name,
                     r.n);
        CHECK_OK(f, &rd, f->be->commit(&rd));
        /* the model: the committed state */
        CHECK_OK(f, &w, f->be->begin(&w, 0));
        CHECK_OK(f, &w, f->be->del(&w, "s", 1));
        CHECK_OK(f, &w, f->be->del(&w, "s055", 4));
        for (size_t i = 0; i < 10; i++)
            CHECK_OK(f, &w, f->be->put(&w, m[i].k, m[i].kl, m[i].v, m[i].vl));
        CHECK_OK(f, &w, f->be->commit(&w));
    }
    f->be->client_close(&rd);
    f->be->client_close(&w);
    free(r.kv);
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
    struct scan_rec r;
    rec_init(&r, 4);
    assert_non_null(f->be->scan); /* configs with scanners can measure the harness */
    do_scan(f, &c, "", 0, SIZE_MAX, 0, &r);
    assert_int_equal(r.n, 0);
    do_scan(f, &c, "k", 1, 10, 0, &r);
    assert_int_equal(r.n, 0);
    free(r.kv);
    CHECK_OK(f, &c, f->be->del(&c, "k", 1));
    CHECK_OK(f, &c, f->be->commit(&c));
    CHECK_OK(f, &c, f->be->begin(&c, KVB_TXN_READONLY));
    CHECK_OK(f, &c, f->be->scan(&c, "", 0, 1, scan_fn, NULL)); /* fn is never called */
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

    struct kvb_engine_counters st;
    kvb_engine_counters_init(&st);
    CHECK_OK(f, &c, f->be->counters(&f->db, &st));
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

/* A lost_update writer holds no lock, so its scan copies what it will visit:
 * commits by another client while fn runs (twice, so that mem frees the
 * version the scan collected) must not show in the values visited. */
struct lu_scan {
    struct fx *f;
    struct kvb_client *other;
    struct scan_rec *r;
    int rc; /* the first failure of the other client's commits */
};

static int lu_scan_fn(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct lu_scan *ls = arg;
    if (ls->r->n == 0)
        for (int i = 0; i < 2 && ls->rc == KVB_OK; i++) {
            const struct kvb_backend *be = ls->f->be;
            if ((ls->rc = be->begin(ls->other, 0)) == KVB_OK &&
                (ls->rc = be->put(ls->other, "k2", 2, i ? "second" : "first", i ? 6 : 5)) == KVB_OK)
                ls->rc = be->commit(ls->other);
        }
    return scan_fn(ls->r, key, klen, val, vlen);
}

static void t_mem_lost_update_scan(void **state)
{
    (void)state;
    static const char *const sets[] = {"lost_update=true", NULL};
    struct fx *f = mem_with(sets);
    struct kvb_client a, b;
    struct scan_rec r;
    client_open(f, &a, 0);
    client_open(f, &b, 1);
    rec_init(&r, 8);
    CHECK_OK(f, &b, f->be->begin(&b, 0));
    put_s(f, &b, "k1", "one");
    put_s(f, &b, "k2", "two");
    CHECK_OK(f, &b, f->be->commit(&b));
    CHECK_OK(f, &a, f->be->begin(&a, 0));
    put_s(f, &a, "k0", "own");
    CHECK_OK(f, &a, f->be->del(&a, "k1", 2));
    struct lu_scan ls = {.f = f, .other = &b, .r = &r, .rc = KVB_OK};
    CHECK_OK(f, &a, f->be->scan(&a, "", 0, 10, lu_scan_fn, &ls));
    CHECK_OK(f, &b, ls.rc);
    assert_int_equal(r.n, 2);
    assert_true(r.kv[0].kl == 2 && memcmp(r.kv[0].k, "k0", 2) == 0);
    assert_true(r.kv[0].vl == 3 && memcmp(r.kv[0].v, "own", 3) == 0);
    assert_true(r.kv[1].kl == 2 && memcmp(r.kv[1].k, "k2", 2) == 0);
    assert_true(r.kv[1].vl == 3 && memcmp(r.kv[1].v, "two", 3) == 0);
    /* the next scan sees the other client's commits (no lock, no snapshot) */
    do_scan(f, &a, "k2", 2, 10, 0, &r);
    assert_int_equal(r.n, 1);
    assert_true(r.kv[0].vl == 6 && memcmp(r.kv[0].v, "second", 6) == 0);
    f->be->abort(&a);
    f->be->client_close(&b);
    f->be->client_close(&a);
    free(r.kv);
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

/* ---- mem's persist mode --------------------------------------------------- */

static const char *const mem_persist_sets[] = {"persist=true", NULL};

static int setup_mem_persist(void **state)
{
    struct fx *f = fx_new(kvb_backend_find("mem"), mem_persist_sets);
    fx_open(f);
    *state = f;
    return 0;
}

/* Persist mode, and only it, claims to persist and to keep sync commits;
 * ignore_sync is refused without it. */
static void t_mem_persist_caps(void **state)
{
    (void)state;
    static const char *const fault[] = {"ignore_sync=true", NULL};
    char err[256] = "";
    struct fx *plain = fx_new(kvb_backend_find("mem"), NULL);
    struct fx *persist = fx_new(kvb_backend_find("mem"), mem_persist_sets);
    struct fx *bad = fx_new(kvb_backend_find("mem"), fault);
    const unsigned both = KVB_CAP_PERSIST | KVB_CAP_DURABLE;
    assert_int_equal(kvb_backend_caps(plain->be, plain->opts) & both, 0);
    assert_int_equal(kvb_backend_caps(persist->be, persist->opts) & both, both);
    assert_int_equal(kvb_backend_caps(persist->be, NULL) & both, 0); /* the defaults */
    assert_int_equal(persist->be->check(persist->opts, true, err, sizeof err), 0);
    assert_int_equal(bad->be->check(bad->opts, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "persist"));
    fx_free(plain);
    fx_free(persist);
    fx_free(bad);
}

/* A log whose last frame was cut short, or does not match its hash, opens
 * with the frames before it; the tail is cut off, so what is committed next
 * survives the next reopen. */
static void t_mem_persist_torn_tail(void **state)
{
    (void)state;
    char path[PATH_MAX + 16];
    for (int torn = 0; torn < 2; torn++) { /* 0: cut short, 1: a byte flipped */
        struct fx *f = mem_with(mem_persist_sets);
        struct kvb_client c;
        struct stat st;
        client_open(f, &c, 0);
        commit_put(f, &c, "k1", "one");
        commit_put(f, &c, "k2", "two");
        commit_put(f, &c, "k3", "three");
        f->be->client_close(&c);
        fx_close(f);
        snprintf(path, sizeof path, "%s/mem.log", f->dir);
        assert_int_equal(stat(path, &st), 0);
        if (torn == 0) {
            assert_int_equal(truncate(path, st.st_size - 1), 0);
        } else {
            FILE *fp = fopen(path, "r+b");
            assert_non_null(fp);
            assert_int_equal(fseek(fp, st.st_size - 2, SEEK_SET), 0); /* in "three" */
            assert_int_equal(fputc('X', fp), 'X');
            assert_int_equal(fclose(fp), 0);
        }
        fx_open(f);
        client_open(f, &c, 0);
        expect(f, &c, "k1", "one");
        expect(f, &c, "k2", "two");
        expect(f, &c, "k3", NULL);
        commit_put(f, &c, "k4", "four");
        f->be->client_close(&c);
        fx_close(f);
        fx_open(f);
        client_open(f, &c, 0);
        expect(f, &c, "k2", "two");
        expect(f, &c, "k3", NULL);
        expect(f, &c, "k4", "four");
        f->be->client_close(&c);
        fx_free(f);
    }
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
    cmocka_unit_test(t_mem_lost_update_scan),
    cmocka_unit_test(t_mem_crash_after_commits),
    cmocka_unit_test(t_mem_hang_after_commits),
    cmocka_unit_test(t_mem_persist_caps),
    cmocka_unit_test(t_mem_persist_torn_tail),
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
    {"scan_order", t_scan_order},
    {"scan_own_writes", t_scan_own_writes},
    {"scan_snapshot", t_scan_snapshot},
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
    /* mem again, in persist mode (with sync: every commit is written) */
    struct CMUnitTest persist[NCONF];
    static char pnames[NCONF][64];
    for (size_t i = 0; i < NCONF; i++) {
        snprintf(pnames[i], sizeof pnames[i], "mem persist/%s", conformance[i].name);
        persist[i] =
            (struct CMUnitTest){pnames[i], conformance[i].fn, setup_mem_persist, teardown_be, NULL};
    }
    failed += _cmocka_run_group_tests("conformance/mem persist", persist, NCONF, NULL, NULL);
    failed += cmocka_run_group_tests_name("backend specifics", specific, NULL, NULL);
    return failed != 0;
}
