/*
 * mem.c - an obviously correct in-memory reference backend, with switches
 * that break it on purpose.
 *
 * The store is a hash map (open addressing, linear probing; keys and values
 * copied) under one readers-writer lock. A transaction holds the lock from
 * begin to commit or abort: shared for read-only transactions
 * (KVB_TXN_READONLY), exclusive for the others. Write transactions therefore run one at a time
 * and see nothing change under them, which makes every history trivially
 * serializable: no conflicts, ever. Writes are buffered in the client and
 * applied at commit; abort drops the buffer; a get sees the transaction's
 * own earlier writes first. By default nothing is durable and nothing
 * survives close; with persist: true the store is also kept in a file (see
 * "Persist mode" below).
 *
 * Because the lock is held for the whole transaction, two clients used from
 * one thread must not both be inside a write transaction (or one inside a
 * write and one inside a read): the second begin would wait forever.
 *
 * Fault injection. Each option below, off by default, produces one anomaly
 * so that tests can prove the harness's checks catch it:
 *
 *   lose_write_every N     every Nth commit that has writes returns KVB_OK
 *                          but applies nothing (a lost acknowledged write)
 *   stale_read_every N     every Nth lookup in the store returns the key's
 *                          previous version (one is kept per key), or
 *                          KVB_NOT_FOUND if it has none (a stale read)
 *   corrupt_read_every N   every Nth successful get returns a copy of the
 *                          value with the byte at len/2 xor'd with 1
 *   lost_update            write transactions take the lock per operation
 *                          instead of holding it, so two writers can read the
 *                          same head and both commit (a lost update)
 *   crash_after_commits N  commits 1..N succeed; the next one calls abort()
 *   hang_after_commits N   commits 1..N succeed; the next one blocks forever
 *                          (holding whatever lock its transaction holds)
 *   ignore_sync            persist mode with sync: commits return before
 *                          their frame is written, which happens on the
 *                          persist_interval_ms cadence as without sync, so
 *                          a kill loses acknowledged commits (a disk that
 *                          ignores flushes)
 *
 * The "every Nth" and "after N" counters are atomics shared by all clients,
 * so with one client they are exact and with several they are still
 * deterministic in how many anomalies happen. Counting: lose_write counts
 * commits with at least one put or del; stale_read counts lookups that reach
 * the store (not those answered from the transaction's own writes);
 * corrupt_read counts every get that returns KVB_OK; crash and hang count
 * every commit call, read-only ones included.
 *
 * Scans: the map has no order, so a scan collects every visible key >= start
 * (the store's, then the transaction's buffered writes, which shadow them
 * exactly as in get), sorts them and visits the first `limit`: linear in
 * the store per scan, which is fine for a reference. Scans inject no faults
 * and move none of the counters above. The collected entries point into the
 * store and the client's write buffer, so fn must not put, del or scan
 * through the scanning client; a lost_update writer, which holds no lock,
 * copies the entries it will visit before releasing the lock it took for
 * the scan.
 *
 * Allocation: commit allocates each written value and each new key (a
 * reference store must keep its data somewhere); all allocation happens
 * before the map is touched, so a commit that fails for lack of memory
 * applies nothing.
 *
 * Persist mode (persist: true). The store is also kept in DIR/mem.log, a
 * log of the committed transactions, one frame each: a 12-byte header (the
 * payload's length, 4 bytes, and its FNV-1a hash, 8), then for each write a
 * del flag (1 byte), key and value lengths (4 bytes each), key and value;
 * host byte order. Open replays the log into the map, stops at the first
 * frame that is cut short or does not match its hash (what a process killed
 * in the middle of a write leaves) and truncates the file there. A commit
 * appends its frame to a buffer under the exclusive lock it holds anyway,
 * then applies it; the buffer is written to the file:
 *   - with sync, before commit returns, and fdatasync'd: an acknowledged
 *     commit survives a crash;
 *   - without, when a commit finds the last write persist_interval_ms old
 *     or older (0: every commit), and at close; a kill loses what was
 *     acknowledged since, the unsynced tail, as an asynchronous engine's
 *     would, and what was written survives a kill (not a power loss).
 * Only in this mode does mem claim KVB_CAP_PERSIST and KVB_CAP_DURABLE
 * (mem_caps), so `kvbench crash` checks it. A failed write fails that
 * commit (whose effect stays in memory: its outcome is unknown, as when an
 * engine's fsync fails) and, since the file may then end in a part of a
 * frame, every later commit that writes. The log is never compacted: this
 * is a reference for tests and crash checks, not a store.
 */
#include "backends/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"

#define MEM_CAPS (KVB_CAP_STORES | KVB_CAP_SERIAL_WRITES)
#define MEM_LOG_NAME "mem.log"

struct mem_opts {
    unsigned lose_write_every;
    unsigned stale_read_every;
    unsigned corrupt_read_every;
    bool lost_update;
    uint64_t crash_after_commits;
    uint64_t hang_after_commits;
    bool persist;
    unsigned persist_interval_ms;
    bool ignore_sync;
};

static const struct kvb_option mem_options[] = {
    {
        .name = "lose_write_every",
        .type = KVB_OPT_UINT,
        .offset = offsetof(struct mem_opts, lose_write_every),
        .def = "0",
        .help = "fault: every Nth write commit is acknowledged but dropped (0: off)",
    },
    {
        .name = "stale_read_every",
        .type = KVB_OPT_UINT,
        .offset = offsetof(struct mem_opts, stale_read_every),
        .def = "0",
        .help = "fault: every Nth read returns the key's previous version (0: off)",
    },
    {
        .name = "corrupt_read_every",
        .type = KVB_OPT_UINT,
        .offset = offsetof(struct mem_opts, corrupt_read_every),
        .def = "0",
        .help = "fault: every Nth successful read returns the value with one byte flipped (0: off)",
    },
    {
        .name = "lost_update",
        .type = KVB_OPT_BOOL,
        .offset = offsetof(struct mem_opts, lost_update),
        .def = "false",
        .help =
            "fault: write transactions lock per operation, so concurrent writers can lose updates",
    },
    {
        .name = "crash_after_commits",
        .type = KVB_OPT_U64,
        .offset = offsetof(struct mem_opts, crash_after_commits),
        .def = "0",
        .help = "fault: after N commits the next one calls abort() (0: off)",
    },
    {
        .name = "hang_after_commits",
        .type = KVB_OPT_U64,
        .offset = offsetof(struct mem_opts, hang_after_commits),
        .def = "0",
        .help = "fault: after N commits the next one blocks forever (0: off)",
    },
    {
        .name = "persist",
        .type = KVB_OPT_BOOL,
        .offset = offsetof(struct mem_opts, persist),
        .def = "false",
        .help = "keep the store in DIR/" MEM_LOG_NAME " too, replayed on open: mem then persists "
                "(and `kvbench crash` checks it)",
    },
    {
        .name = "persist_interval_ms",
        .type = KVB_OPT_UINT,
        .offset = offsetof(struct mem_opts, persist_interval_ms),
        .max = 3600000,
        .def = "100",
        .help = "persist without sync: commits are written to the file when the last write is "
                "this old (0: every commit); a kill loses the rest",
    },
    {
        .name = "ignore_sync",
        .type = KVB_OPT_BOOL,
        .offset = offsetof(struct mem_opts, ignore_sync),
        .def = "false",
        .help = "fault (persist): commits with sync return before they are written, which "
                "happens as without sync, so a kill loses acknowledged commits",
    },
    {.name = NULL},
};

/* One version of a value; a NULL version means "absent". */
struct mem_val {
    size_t len;
    unsigned char data[];
};

/* A slot is empty while key is NULL. A deleted key keeps its slot (cur is
 * NULL), so the map never needs tombstones and never shrinks. */
struct mem_slot {
    uint64_t hash;
    unsigned char *key;
    size_t klen;
    struct mem_val *cur, *prev;
};

struct mem_map {
    struct mem_slot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t used;
};

/* A first-come, first-served readers-writer lock (a ticket lock on a mutex
 * and a condition variable). Consecutive readers share it; a writer waits
 * for the readers before it, and readers after a writer wait for it. A
 * pthread_rwlock would do, but glibc's prefers readers (flat-out readers
 * starve writers) or writers (flat-out writers starve readers), and then a
 * run measures the lock policy instead of the workload. */
struct mem_lock {
    pthread_mutex_t m;
    pthread_cond_t cv;
    uint64_t next, serving; /* tickets handed out, and the one served next */
    unsigned readers;
    bool writer;
};

static void lock_init(struct mem_lock *l)
{
    pthread_mutex_init(&l->m, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->next = l->serving = 0;
    l->readers = 0;
    l->writer = false;
}

static void lock_destroy(struct mem_lock *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->m);
}

static void lock_take(struct mem_lock *l, bool excl)
{
    pthread_mutex_lock(&l->m);
    uint64_t t = l->next++;
    while (l->serving != t || l->writer || (excl && l->readers))
        pthread_cond_wait(&l->cv, &l->m);
    l->serving++;
    if (excl)
        l->writer = true;
    else
        l->readers++;
    if (l->next != l->serving) /* the next in line may be a reader that can share */
        pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->m);
}

static void lock_release(struct mem_lock *l, bool excl)
{
    pthread_mutex_lock(&l->m);
    if (excl)
        l->writer = false;
    else
        l->readers--;
    if (l->next != l->serving)
        pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->m);
}

/* Persist mode: the log file and the frames not yet written to it, under
 * the exclusive lock (commits hold it) or at open and close (no clients). */
struct mem_log {
    int fd;               /* -1: not persisting */
    bool each_commit;     /* sync (and no ignore_sync): write and sync every commit */
    uint64_t interval_ns; /* otherwise: write when the last write is this old */
    uint64_t written_ns;  /* when the buffer was last written */
    unsigned char *buf;   /* frames committed and not yet written */
    size_t len, cap;
    char failed[256]; /* "" until a write fails; then every commit that writes fails */
};

struct mem_db {
    struct mem_lock lock;
    struct mem_map map; /* under lock */
    struct mem_opts o;
    struct mem_log log;
    atomic_uint_fast64_t user_bytes; /* written under the exclusive lock */
    atomic_uint_fast64_t commits, write_commits, lookups, ok_gets;
};

/* A buffered write: key and value are offsets into the client's arena. At
 * commit, nv and nkey carry what phase one allocated into phase two. */
struct mem_op {
    uint64_t hash;
    size_t koff, klen, voff, vlen;
    bool del;
    struct mem_val *nv;
    unsigned char *nkey;
};

enum mem_held { MEM_NONE, MEM_SHARED, MEM_EXCL };

/* A key collected by a scan. order is 0 for the store's version and i + 1
 * for the transaction's buffered write i, so that among equal keys the
 * highest order is what get would see. val is NULL for a buffered del. */
struct mem_ent {
    const unsigned char *key, *val;
    size_t klen, vlen, order;
};

struct mem_client {
    struct mem_db *db;
    bool active, readonly;
    enum mem_held held;
    struct mem_op *ops;
    size_t nops, opscap;
    unsigned char *arena; /* keys and values of the buffered writes */
    size_t alen, acap;
    unsigned char *out; /* copies handed out by get (lost_update, corrupt_read) */
    size_t outcap;
    struct mem_ent *ents; /* scan: the collected keys */
    size_t entcap;
    unsigned char *scopy; /* scan: copies of the visited keys and values (lost_update) */
    size_t scopycap;
};

/* FNV-1a: simple and good enough for a reference. */
static uint64_t mem_hash(const void *key, size_t klen)
{
    const unsigned char *p = key;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < klen; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static struct mem_slot *map_find(const struct mem_map *m, const void *key, size_t klen, uint64_t h)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        struct mem_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
}

/* The empty slot where a key of hash h goes (the key must not be present). */
static struct mem_slot *map_empty_slot(struct mem_map *m, uint64_t h)
{
    size_t i = h & m->mask;
    while (m->slots[i].key)
        i = (i + 1) & m->mask;
    return &m->slots[i];
}

static int map_init(struct mem_map *m, size_t cap)
{
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    m->used = 0;
    return m->slots ? 0 : -1;
}

/* Grows the map until n keys fit under a 70% load. Returns 0 or -1 (ENOMEM,
 * map unchanged). */
static int map_reserve(struct mem_map *m, size_t n)
{
    size_t cap = m->mask + 1;
    while (n * 10 > cap * 7)
        cap *= 2;
    if (cap == m->mask + 1)
        return 0;
    struct mem_map nm;
    if (map_init(&nm, cap) != 0)
        return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].key)
            *map_empty_slot(&nm, m->slots[i].hash) = m->slots[i];
    nm.used = m->used;
    free(m->slots);
    *m = nm;
    return 0;
}

static void map_free(struct mem_map *m)
{
    for (size_t i = 0; m->slots && i <= m->mask; i++) {
        free(m->slots[i].key);
        free(m->slots[i].cur);
        free(m->slots[i].prev);
    }
    free(m->slots);
    m->slots = NULL;
}

/* Grows *buf to hold at least need bytes. Returns 0 or -1. */
static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*buf, n * elem);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

/* Persist mode, defined after the commit path they share with it. */
static int log_open(struct kvb_db *db, const struct kvb_open_args *args);
static int log_write(struct mem_log *l, bool sync, char *err);

/* Frees everything of an open (or half-opened) database; writes nothing. */
static void mem_free(struct mem_db *m)
{
    if (m->log.fd >= 0)
        close(m->log.fd);
    free(m->log.buf);
    lock_destroy(&m->lock);
    map_free(&m->map);
    free(m);
}

static int mem_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    struct mem_db *m = calloc(1, sizeof *m);
    if (!m)
        return kvb_errorf(db->err, "mem: out of memory");
    if (args->opts)
        memcpy(&m->o, args->opts, sizeof m->o);

    /* Size for the expected keys, within reason; the map grows anyway. */
    size_t cap = 1024;
    while (cap < ((size_t)1 << 24) && (uint64_t)cap * 7 < args->expected_keys * 10)
        cap *= 2;
    if (map_init(&m->map, cap) != 0) {
        free(m);
        return kvb_errorf(db->err, "mem: out of memory for %zu slots", cap);
    }

    lock_init(&m->lock);
    m->log.fd = -1;
    db->priv = m;
    if (m->o.persist && log_open(db, args) != KVB_OK) {
        mem_free(m);
        db->priv = NULL;
        return KVB_ERR;
    }
    return KVB_OK;
}

static int mem_close(struct kvb_db *db)
{
    struct mem_db *m = db->priv;
    int rc = KVB_OK;
    if (!m)
        return KVB_OK;
    if (m->log.fd >= 0 && m->log.failed[0])
        rc = kvb_errorf(db->err, "mem: " MEM_LOG_NAME " is incomplete: %s failed", m->log.failed);
    else if (m->log.fd >= 0)
        rc = log_write(&m->log, true, db->err);
    mem_free(m);
    db->priv = NULL;
    return rc;
}

static int mem_client_open(struct kvb_client *c)
{
    struct mem_client *mc = calloc(1, sizeof *mc);
    if (!mc)
        return kvb_errorf(c->err, "mem: out of memory");
    mc->db = c->db->priv;
    c->priv = mc;
    return KVB_OK;
}

static void mem_unlock(struct mem_client *mc)
{
    if (mc->held != MEM_NONE)
        lock_release(&mc->db->lock, mc->held == MEM_EXCL);
    mc->held = MEM_NONE;
}

static void mem_end(struct mem_client *mc)
{
    mem_unlock(mc);
    mc->active = false;
    mc->nops = 0;
    mc->alen = 0;
}

static void mem_client_close(struct kvb_client *c)
{
    struct mem_client *mc = c->priv;
    if (!mc)
        return;
    mem_end(mc); /* a transaction left open must not keep the lock */
    free(mc->ops);
    free(mc->arena);
    free(mc->out);
    free(mc->ents);
    free(mc->scopy);
    free(mc);
    c->priv = NULL;
}

static int mem_begin(struct kvb_client *c, unsigned flags)
{
    struct mem_client *mc = c->priv;
    if (mc->active)
        return kvb_errorf(c->err, "mem: begin inside a transaction");
    mc->active = true;
    mc->readonly = (flags & KVB_TXN_READONLY) != 0;
    mc->nops = 0;
    mc->alen = 0;
    if (mc->readonly) {
        lock_take(&mc->db->lock, false);
        mc->held = MEM_SHARED;
    } else if (!mc->db->o.lost_update) {
        lock_take(&mc->db->lock, true);
        mc->held = MEM_EXCL;
    }
    return KVB_OK;
}

/* True on every nth call (n > 0) counted by ctr. */
static bool mem_every(atomic_uint_fast64_t *ctr, unsigned n)
{
    return (atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed) + 1) % n == 0;
}

/* Copies len bytes into the client's out buffer and returns it, or NULL. */
static unsigned char *mem_copy_out(struct mem_client *mc, const void *p, size_t len)
{
    if (grow((void **)&mc->out, &mc->outcap, len ? len : 1, 1) != 0)
        return NULL;
    memcpy(mc->out, p, len);
    return mc->out;
}

static int mem_get(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
                   const void **val, size_t *vlen)
{
    (void)flags; /* every transaction is serializable: nothing to mark */
    struct mem_client *mc = c->priv;
    struct mem_db *db = mc->db;
    const unsigned char *p = NULL;
    size_t n = 0;
    if (!mc->active)
        return kvb_errorf(c->err, "mem: get outside a transaction");

    uint64_t h = mem_hash(key, klen);
    for (size_t i = mc->nops; i-- > 0;) {
        const struct mem_op *op = &mc->ops[i];
        if (op->hash == h && op->klen == klen && memcmp(mc->arena + op->koff, key, klen) == 0) {
            if (op->del)
                return KVB_NOT_FOUND;
            p = mc->arena + op->voff;
            n = op->vlen;
            goto found;
        }
    }

    /* A lost_update writer holds no lock: take it for this read only, and
     * hand out a copy, since the store may change once it is released. */
    bool briefly = mc->held == MEM_NONE;
    if (briefly)
        lock_take(&db->lock, false);
    const struct mem_slot *s = map_find(&db->map, key, klen, h);
    const struct mem_val *v = s ? s->cur : NULL;
    if (db->o.stale_read_every && mem_every(&db->lookups, db->o.stale_read_every))
        v = s ? s->prev : NULL;
    if (v) {
        p = v->data;
        n = v->len;
        if (briefly && !(p = mem_copy_out(mc, p, n))) {
            lock_release(&db->lock, false);
            return kvb_errorf(c->err, "mem: out of memory copying a %zu-byte value", n);
        }
    }
    if (briefly)
        lock_release(&db->lock, false);
    if (!v)
        return KVB_NOT_FOUND;

found:
    if (db->o.corrupt_read_every && mem_every(&db->ok_gets, db->o.corrupt_read_every) && n > 0) {
        if (p != mc->out && !(p = mem_copy_out(mc, p, n)))
            return kvb_errorf(c->err, "mem: out of memory copying a %zu-byte value", n);
        mc->out[n / 2] ^= 1;
    }
    *val = p;
    *vlen = n;
    return KVB_OK;
}

/* Appends a buffered put (val != NULL) or del. */
static int mem_buffer(struct kvb_client *c, const void *key, size_t klen, const void *val,
                      size_t vlen, bool del)
{
    struct mem_client *mc = c->priv;
    if (!mc->active)
        return kvb_errorf(c->err, "mem: %s outside a transaction", del ? "del" : "put");
    if (mc->readonly)
        return kvb_errorf(c->err, "mem: %s in a read-only transaction", del ? "del" : "put");
    if (grow((void **)&mc->ops, &mc->opscap, mc->nops + 1, sizeof *mc->ops) != 0 ||
        grow((void **)&mc->arena, &mc->acap, mc->alen + klen + vlen, 1) != 0)
        return kvb_errorf(c->err, "mem: out of memory buffering a write");
    struct mem_op *op = &mc->ops[mc->nops++];
    *op = (struct mem_op){.hash = mem_hash(key, klen), .klen = klen, .vlen = vlen, .del = del};
    op->koff = mc->alen;
    memcpy(mc->arena + mc->alen, key, klen);
    mc->alen += klen;
    op->voff = mc->alen;
    if (vlen)
        memcpy(mc->arena + mc->alen, val, vlen);
    mc->alen += vlen;
    return KVB_OK;
}

static int mem_put(struct kvb_client *c, const void *key, size_t klen, const void *val, size_t vlen)
{
    return mem_buffer(c, key, klen, val, vlen, false);
}

static int mem_del(struct kvb_client *c, const void *key, size_t klen)
{
    return mem_buffer(c, key, klen, NULL, 0, true);
}

/* Applies the client's buffered writes to the map, under the exclusive
 * lock. Phase one allocates everything (and frees it again on failure);
 * phase two cannot fail. */
static int mem_apply(struct kvb_client *c)
{
    struct mem_client *mc = c->priv;
    struct mem_db *db = mc->db;
    struct mem_map *m = &db->map;
    size_t i;

    if (map_reserve(m, m->used + mc->nops) != 0)
        goto nomem;
    for (i = 0; i < mc->nops; i++) {
        struct mem_op *op = &mc->ops[i];
        const unsigned char *key = mc->arena + op->koff;
        if (op->del)
            continue;
        if (!(op->nv = malloc(sizeof *op->nv + op->vlen)))
            goto nomem;
        op->nv->len = op->vlen;
        memcpy(op->nv->data, mc->arena + op->voff, op->vlen);
        if (!map_find(m, key, op->klen, op->hash)) {
            if (!(op->nkey = malloc(op->klen + 1)))
                goto nomem;
            memcpy(op->nkey, key, op->klen);
        }
    }

    for (i = 0; i < mc->nops; i++) {
        struct mem_op *op = &mc->ops[i];
        struct mem_slot *s = map_find(m, mc->arena + op->koff, op->klen, op->hash);
        if (!s && op->del)
            continue;
        if (!s) {
            s = map_empty_slot(m, op->hash);
            *s = (struct mem_slot){.hash = op->hash, .key = op->nkey, .klen = op->klen};
            op->nkey = NULL;
            m->used++;
        }
        free(s->prev);
        s->prev = s->cur;
        s->cur = op->nv; /* NULL for a del */
        op->nv = NULL;
        atomic_fetch_add_explicit(&db->user_bytes, op->klen + op->vlen, memory_order_relaxed);
    }
    for (i = 0; i < mc->nops; i++)
        free(mc->ops[i].nkey); /* a new key put twice was copied twice */
    return KVB_OK;

nomem:
    for (i = 0; i < mc->nops; i++) {
        free(mc->ops[i].nv);
        free(mc->ops[i].nkey);
        mc->ops[i].nv = NULL;
        mc->ops[i].nkey = NULL;
    }
    return kvb_errorf(c->err, "mem: out of memory applying a commit of %zu writes", mc->nops);
}

/* ---- persist mode (see the header comment) ---- */

#define FRAME_HDR 12 /* payload length (4 bytes), FNV-1a hash of the payload (8) */
#define OP_HDR 9     /* del flag (1 byte), key length (4), value length (4) */

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Appends the client's buffered writes to the log buffer as one frame. */
static int log_append(struct kvb_client *c)
{
    struct mem_client *mc = c->priv;
    struct mem_log *l = &mc->db->log;
    size_t n = 0;
    for (size_t i = 0; i < mc->nops; i++) {
        const struct mem_op *op = &mc->ops[i];
        if (op->klen > UINT32_MAX || op->vlen > UINT32_MAX)
            return kvb_errorf(c->err, "mem: a %zu-byte key or %zu-byte value does not fit the log",
                              op->klen, op->vlen);
        n += OP_HDR + op->klen + op->vlen;
    }
    if (n > UINT32_MAX)
        return kvb_errorf(c->err, "mem: a commit of %zu bytes does not fit a log frame", n);
    if (grow((void **)&l->buf, &l->cap, l->len + FRAME_HDR + n, 1) != 0)
        return kvb_errorf(c->err, "mem: out of memory buffering a commit for the log");
    unsigned char *frame = l->buf + l->len, *p = frame + FRAME_HDR;
    for (size_t i = 0; i < mc->nops; i++) {
        const struct mem_op *op = &mc->ops[i];
        p[0] = op->del;
        put32(p + 1, (uint32_t)op->klen);
        put32(p + 5, (uint32_t)op->vlen);
        p += OP_HDR;
        memcpy(p, mc->arena + op->koff, op->klen);
        p += op->klen;
        if (op->vlen)
            memcpy(p, mc->arena + op->voff, op->vlen);
        p += op->vlen;
    }
    uint64_t h = mem_hash(frame + FRAME_HDR, n);
    put32(frame, (uint32_t)n);
    memcpy(frame + 4, &h, sizeof h);
    l->len += FRAME_HDR + n;
    return KVB_OK;
}

/* Writes the log buffer to the file (and syncs it with sync). On failure
 * the log is marked failed and err (KVB_ERRLEN) says why. */
static int log_write(struct mem_log *l, bool sync, char *err)
{
    for (size_t off = 0; off < l->len;) {
        ssize_t w = write(l->fd, l->buf + off, l->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(l->failed, sizeof l->failed, "writing " MEM_LOG_NAME ": %s",
                     w < 0 ? strerror(errno) : "no progress");
            return kvb_errorf(err, "mem: %s", l->failed);
        }
        off += (size_t)w;
    }
    if (sync && fdatasync(l->fd) != 0) {
        snprintf(l->failed, sizeof l->failed, "fdatasync " MEM_LOG_NAME ": %s", strerror(errno));
        return kvb_errorf(err, "mem: %s", l->failed);
    }
    l->len = 0;
    l->written_ns = kvb_now_ns();
    return KVB_OK;
}

/* mem_apply in persist mode: the commit's frame goes into the log buffer
 * first (and out again if the apply fails), then the buffer is written if
 * it is due. Under the exclusive lock. */
static int mem_apply_logged(struct kvb_client *c)
{
    struct mem_client *mc = c->priv;
    struct mem_log *l = &mc->db->log;
    if (l->failed[0])
        return kvb_errorf(c->err, "mem: no commit is taken since %s failed", l->failed);
    size_t mark = l->len;
    int rc = log_append(c);
    if (rc == KVB_OK && (rc = mem_apply(c)) != KVB_OK)
        l->len = mark;
    if (rc == KVB_OK && (l->each_commit || kvb_now_ns() - l->written_ns >= l->interval_ns))
        rc = log_write(l, l->each_commit, c->err);
    return rc;
}

/* Applies the whole frames of buf[0 .. len) to the map, in order, through
 * a client of its own; *valid is where the first frame that is cut short or
 * fails its hash begins (len if none does). */
static int log_replay(struct kvb_db *db, const char *path, const unsigned char *buf, size_t len,
                      size_t *valid)
{
    struct kvb_client c = {.db = db};
    size_t off = 0;
    int rc = mem_client_open(&c);
    if (rc != KVB_OK)
        goto out;
    struct mem_client *mc = c.priv;
    mc->active = true; /* a write transaction without the lock: no client is open yet */
    while (rc == KVB_OK && len - off >= FRAME_HDR) {
        const unsigned char *p = buf + off + FRAME_HDR;
        uint32_t n = get32(buf + off);
        uint64_t h;
        memcpy(&h, buf + off + 4, sizeof h);
        if (len - off - FRAME_HDR < n || h != mem_hash(p, n))
            break; /* the torn tail */
        for (const unsigned char *end = p + n; rc == KVB_OK && p < end;) {
            uint32_t kl = end - p >= OP_HDR ? get32(p + 1) : 0;
            uint32_t vl = end - p >= OP_HDR ? get32(p + 5) : 0;
            if (end - p < OP_HDR || (size_t)(end - p - OP_HDR) < (size_t)kl + vl) {
                rc = kvb_errorf(c.err,
                                "mem: the frame at offset %zu of " MEM_LOG_NAME
                                " matches its hash but not its format",
                                off);
                break;
            }
            bool del = p[0] != 0;
            p += OP_HDR;
            rc = mem_buffer(&c, p, kl, del ? NULL : p + kl, vl, del);
            p += (size_t)kl + vl;
        }
        if (rc == KVB_OK)
            rc = mem_apply(&c);
        mc->nops = 0;
        mc->alen = 0;
        if (rc == KVB_OK)
            off += FRAME_HDR + n;
    }
out:
    if (rc != KVB_OK)
        kvb_errorf(db->err, "%s (replaying %s)", c.err, path);
    mem_client_close(&c);
    *valid = off;
    return rc;
}

/* Opens DIR/mem.log (creating it), replays it into the map, cuts off its
 * torn tail and leaves it open for appending. */
static int log_open(struct kvb_db *db, const struct kvb_open_args *args)
{
    struct mem_db *m = db->priv;
    struct mem_log *l = &m->log;
    char path[PATH_MAX];
    void *map = MAP_FAILED;
    size_t size = 0, valid = 0;
    struct stat st;
    int rc = KVB_ERR;

    l->each_commit = args->sync && !m->o.ignore_sync;
    l->interval_ns = (uint64_t)m->o.persist_interval_ms * 1000000u;
    if (snprintf(path, sizeof path, "%s/" MEM_LOG_NAME, args->dir) >= (int)sizeof path)
        return kvb_errorf(db->err, "mem: the path of %s/" MEM_LOG_NAME " is too long", args->dir);
    if ((l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
        return kvb_errorf(db->err, "mem: open %s: %s", path, strerror(errno));
    if (fstat(l->fd, &st) != 0) {
        kvb_errorf(db->err, "mem: fstat %s: %s", path, strerror(errno));
        goto out;
    }
    size = (size_t)st.st_size;
    if (size > 0 && (map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, l->fd, 0)) == MAP_FAILED) {
        kvb_errorf(db->err, "mem: mmap %s (%zu bytes): %s", path, size, strerror(errno));
        goto out;
    }
    if (size > 0 && log_replay(db, path, map, size, &valid) != KVB_OK)
        goto out;
    if (valid < size && ftruncate(l->fd, (off_t)valid) != 0) {
        kvb_errorf(db->err, "mem: cutting the torn tail of %s at %zu bytes: %s", path, valid,
                   strerror(errno));
        goto out;
    }
    m->user_bytes = 0; /* what the run writes counts, not the replay */
    l->written_ns = kvb_now_ns();
    rc = KVB_OK;
out:
    if (map != MAP_FAILED)
        munmap(map, size);
    return rc;
}

static int mem_commit(struct kvb_client *c)
{
    struct mem_client *mc = c->priv;
    struct mem_db *db = mc->db;
    int rc = KVB_OK;
    if (!mc->active)
        return kvb_errorf(c->err, "mem: commit outside a transaction");

    if (db->o.crash_after_commits || db->o.hang_after_commits) {
        uint64_t n = atomic_fetch_add(&db->commits, 1) + 1;
        if (db->o.crash_after_commits && n > db->o.crash_after_commits)
            abort();
        if (db->o.hang_after_commits && n > db->o.hang_after_commits)
            for (;;)
                pause();
    }

    if (mc->nops > 0) {
        if (mc->held == MEM_NONE) { /* lost_update: lock only to apply */
            lock_take(&db->lock, true);
            mc->held = MEM_EXCL;
        }
        if (!(db->o.lose_write_every && mem_every(&db->write_commits, db->o.lose_write_every)))
            rc = db->log.fd >= 0 ? mem_apply_logged(c) : mem_apply(c);
    }
    mem_end(mc);
    return rc;
}

static void mem_abort(struct kvb_client *c)
{
    mem_end(c->priv);
}

/* memcmp order; on a common prefix the shorter key is smaller. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0; /* an empty start may be NULL */
    if (r != 0)
        return r;
    return (alen > blen) - (alen < blen);
}

/* Key order, then the latest version first. */
static int ent_cmp(const void *pa, const void *pb)
{
    const struct mem_ent *a = pa, *b = pb;
    int r = key_cmp(a->key, a->klen, b->key, b->klen);
    if (r != 0)
        return r;
    return (a->order < b->order) - (a->order > b->order);
}

/* Collects, sorts and keeps the first limit visible keys >= start in
 * mc->ents[0 .. *n). Called with the lock held. */
static int mem_collect(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                       size_t *n)
{
    struct mem_client *mc = c->priv;
    const struct mem_map *m = &mc->db->map;
    size_t k = 0, i;

    if (grow((void **)&mc->ents, &mc->entcap, m->used + mc->nops, sizeof *mc->ents) != 0)
        return kvb_errorf(c->err, "mem: out of memory collecting %zu keys for a scan",
                          m->used + mc->nops);
    for (i = 0; i <= m->mask; i++) {
        const struct mem_slot *s = &m->slots[i];
        if (s->key && s->cur && key_cmp(s->key, s->klen, start, slen) >= 0)
            mc->ents[k++] = (struct mem_ent){s->key, s->cur->data, s->klen, s->cur->len, 0};
    }
    for (i = 0; i < mc->nops; i++) {
        const struct mem_op *op = &mc->ops[i];
        const unsigned char *key = mc->arena + op->koff;
        if (key_cmp(key, op->klen, start, slen) >= 0)
            mc->ents[k++] = (struct mem_ent){key, op->del ? NULL : mc->arena + op->voff, op->klen,
                                             op->vlen, i + 1};
    }
    if (k > 0)
        qsort(mc->ents, k, sizeof *mc->ents, ent_cmp);

    /* Keep the first entry of each key (its latest version) unless it is a del.
     * out <= i, so the compaction only overwrites entries already passed. */
    size_t out = 0;
    const unsigned char *prev = NULL;
    size_t prevlen = 0;
    for (i = 0; i < k && out < limit; i++) {
        struct mem_ent e = mc->ents[i];
        bool repeat = prev && key_cmp(e.key, e.klen, prev, prevlen) == 0;
        prev = e.key;
        prevlen = e.klen;
        if (!repeat && e.val)
            mc->ents[out++] = e;
    }
    *n = out;
    return KVB_OK;
}

/* Repoints mc->ents[0 .. n) at copies in mc->scopy. */
static int mem_copy_ents(struct kvb_client *c, size_t n)
{
    struct mem_client *mc = c->priv;
    size_t total = 0, off = 0;
    for (size_t i = 0; i < n; i++)
        total += mc->ents[i].klen + mc->ents[i].vlen;
    if (grow((void **)&mc->scopy, &mc->scopycap, total ? total : 1, 1) != 0)
        return kvb_errorf(c->err, "mem: out of memory copying %zu bytes for a scan", total);
    for (size_t i = 0; i < n; i++) {
        struct mem_ent *e = &mc->ents[i];
        memcpy(mc->scopy + off, e->key, e->klen);
        e->key = mc->scopy + off;
        off += e->klen;
        if (e->vlen)
            memcpy(mc->scopy + off, e->val, e->vlen);
        e->val = mc->scopy + off;
        off += e->vlen;
    }
    return KVB_OK;
}

static int mem_scan(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                    int (*fn)(void *arg, const void *key, size_t klen, const void *val,
                              size_t vlen),
                    void *arg)
{
    struct mem_client *mc = c->priv;
    size_t n = 0;
    if (!mc->active)
        return kvb_errorf(c->err, "mem: scan outside a transaction");
    if (limit == 0)
        return KVB_OK;

    /* As in get: a lost_update writer takes the lock for the scan only. */
    bool briefly = mc->held == MEM_NONE;
    if (briefly)
        lock_take(&mc->db->lock, false);
    int rc = mem_collect(c, start, slen, limit, &n);
    if (rc == KVB_OK && briefly)
        rc = mem_copy_ents(c, n);
    if (briefly)
        lock_release(&mc->db->lock, false);
    if (rc != KVB_OK)
        return rc;

    for (size_t i = 0; i < n; i++) {
        const struct mem_ent *e = &mc->ents[i];
        if (fn(arg, e->key, e->klen, e->val, e->vlen) != 0)
            break;
    }
    return KVB_OK;
}

static int mem_counters(struct kvb_db *db, struct kvb_engine_counters *c)
{
    struct mem_db *m = db->priv;
    c->user_bytes_written = (double)atomic_load_explicit(&m->user_bytes, memory_order_relaxed);
    return KVB_OK;
}

/* Persist mode makes mem persist, and with sync every commit durable. */
static unsigned mem_caps(const void *opts)
{
    const struct mem_opts *o = opts;
    return MEM_CAPS | (o->persist ? KVB_CAP_PERSIST | KVB_CAP_DURABLE : 0);
}

static int mem_check(const void *opts, bool sync, char *err, size_t errlen)
{
    const struct mem_opts *o = opts;
    (void)sync;
    if (o->ignore_sync && !o->persist) {
        snprintf(err, errlen, "mem: ignore_sync is a fault of persist mode: set persist: true");
        return -1;
    }
    return 0;
}

const struct kvb_backend kvb_backend_mem = {
    .name = "mem",
    .summary = "in-memory reference (one lock, serializable; a log file with persist) with fault "
               "injection for tests",
    .caps = MEM_CAPS,
    .caps_for = mem_caps,
    .options = mem_options,
    .opts_size = sizeof(struct mem_opts),
    .check = mem_check,
    .open = mem_open,
    .close = mem_close,
    .client_open = mem_client_open,
    .client_close = mem_client_close,
    .begin = mem_begin,
    .get = mem_get,
    .put = mem_put,
    .del = mem_del,
    .commit = mem_commit,
    .abort = mem_abort,
    .scan = mem_scan,
    .counters = mem_counters,
};
