/*
 * fuzz_wal.c - libFuzzer target for awdb's recovery: WAL replay on open.
 *
 * Each input becomes a data directory: WAL segment files holding
 * [a valid prefix of records written by a real awdb run] + the input's bytes,
 * optionally with a base store (base.mdb) that a real run flushed into. The
 * directory is opened with awdb_open, which replays the WAL. A clean error is
 * fine; what counts as a finding:
 *   - a crash, undefined behaviour or a leak (ASan, UBSan);
 *   - awdb_open failing without saying why (empty errbuf);
 *   - after a successful open, reads, an optional commit and a close that
 *     returns 0: a reopen that fails, or that reads any key differently.
 *
 * Input layout: byte 0 is a set of flags, byte 1 a segment split, the rest
 * is WAL bytes.
 *   flags & 3     prefix: 0 none; 1 three records (fresh base); 2 records
 *                 filling ~90% of a memtable (fresh base), so the input's
 *                 records make replay flush; 3 the base store of a real run
 *                 (flushed, generation 1) and three generation-2 records
 *   flags & 4     recompute the CRC32C of each of the input's records (a
 *                 fuzzer cannot guess checksums; this lets it reach the
 *                 operations and the replay itself)
 *   flags & 8     renumber the input's records: each one's seq is the
 *                 previous record's plus one (the first without a prefix: 1)
 *   flags >> 4 & 3  mode: 0 and 3 AWDB_SYNC, 1 AWDB_ASYNC, 2 AWDB_NONE
 *   flags & 64    name the first segment one past its first record's seq
 *   flags & 128   after open, commit one write before reading
 *   byte 1 & 127  records per segment (0: all in one); each segment is named
 *                 after the seq of its first record, as awdb names them
 *   byte 1 & 128  open with 8 memtables of 64 KiB instead of 2 of 128 KiB
 *                 (the long prefix then fills more than one during replay)
 * "Records" are found by walking the length fields from the start; the
 * bytes after the last whole one are a tail in the last segment.
 */
#include "backends/awdb/awdb.h"
#include "backends/awdb/crc32c.h"
#include "backends/awdb/memtable.h"
#include "backends/awdb/wal_record.h"
#include "fuzz/fuzz_common.h"

#include <inttypes.h>

#define KVB_FUZZ_WAL_MEMTABLE (256u << 10)
#define KVB_FUZZ_WAL_MEMTABLES 2u
#define KVB_FUZZ_WAL_MAX_KEYS 256 /* keys read back per input */

struct kvb_fuzz_buf {
    uint8_t *p;
    size_t n;
};

static const char *kvb_fuzz_wal_dir;               /* where each input's database is made */
static struct kvb_fuzz_buf kvb_fuzz_wal_prefix[4]; /* by flags & 3; [0] empty */
static struct kvb_fuzz_buf kvb_fuzz_wal_base;      /* base.mdb for prefix 3 */
/* The real runs' segments: [0] the prefixes 1 and 2 and 16 more records,
 * [1] prefix 3 and 3 more; nlong records make prefix 2. */
static struct kvb_fuzz_buf kvb_fuzz_wal_run[2];
static unsigned kvb_fuzz_wal_nlong;

static void kvb_fuzz_wal_options(struct awdb_options *o, enum awdb_mode mode, bool small)
{
    awdb_options_init(o);
    o->mode = mode;
    o->flush_interval_ms = 5;
    o->memtable_size = KVB_FUZZ_WAL_MEMTABLE;
    o->max_memtables = small ? 8 : KVB_FUZZ_WAL_MEMTABLES;
    o->wal_segment_size = 1u << 20;
    o->base_map_size = 16u << 20;
    o->max_txns = 8;
}

static awdb *kvb_fuzz_wal_open_or_die(const char *dir)
{
    struct awdb_options o;
    kvb_fuzz_wal_options(&o, AWDB_SYNC, false);
    awdb *db;
    char err[512];
    int rc = awdb_open(dir, &o, &db, err, sizeof err);
    if (rc)
        kvb_fuzz_fail("template: awdb_open(%s): %s: %s", dir, awdb_strerror(rc), err);
    return db;
}

/* Commits n transactions numbered from first: mostly one put, every 7th three
 * puts, every 5th also deletes an earlier key. Returns the node bytes the
 * memtable needs for them (an upper bound). */
static size_t kvb_fuzz_wal_commit(awdb *db, unsigned first, unsigned n)
{
    awdb_txn *t;
    if (awdb_txn_new(db, &t))
        kvb_fuzz_fail("template: awdb_txn_new");
    size_t bytes = 0;
    for (unsigned i = first; i < first + n; i++) {
        if (awdb_txn_begin(t, 0))
            kvb_fuzz_fail("template: awdb_txn_begin");
        unsigned puts = i % 7 == 3 ? 3 : 1;
        for (unsigned j = 0; j < puts; j++) {
            char key[32], val[64];
            int kl = snprintf(key, sizeof key, "key%06u", i * 3 + j);
            int vl = snprintf(val, sizeof val, "value-%u-%0*u", i, (int)(i % 40), j);
            if (awdb_put(t, key, (size_t)kl, val, (size_t)vl))
                kvb_fuzz_fail("template: awdb_put");
            bytes += awdb_mem_bound((size_t)kl, (size_t)vl);
        }
        if (i % 5 == 4) {
            char key[32];
            int kl = snprintf(key, sizeof key, "key%06u", (i - 4) * 3);
            if (awdb_del(t, key, (size_t)kl))
                kvb_fuzz_fail("template: awdb_del");
            bytes += awdb_mem_bound((size_t)kl, 0);
        }
        int rc = awdb_txn_commit(t, NULL);
        if (rc)
            kvb_fuzz_fail("template: commit: %s", awdb_strerror(rc));
    }
    awdb_txn_free(t);
    return bytes;
}

/* The bytes of the only WAL segment in dir. */
static struct kvb_fuzz_buf kvb_fuzz_wal_segment(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        kvb_fuzz_fail("template: cannot list %s", dir);
    struct dirent *de;
    char path[PATH_MAX] = "";
    int found = 0;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "wal-", 4) == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            found++;
        }
    closedir(d);
    if (found != 1)
        kvb_fuzz_fail("template: %d WAL segments in %s, expected one", found, dir);
    struct kvb_fuzz_buf b;
    if (!(b.p = kvb_fuzz_read_file(path, &b.n)) || b.n == 0)
        kvb_fuzz_fail("template: cannot read %s", path);
    return b;
}

/* Records [from, from + n) of b, copied. */
static struct kvb_fuzz_buf kvb_fuzz_wal_records(const struct kvb_fuzz_buf *b, unsigned from,
                                                unsigned n)
{
    size_t pos = 0, start = 0;
    for (unsigned i = 0; i < from + n; i++) {
        if (i == from)
            start = pos;
        struct awdb_rec_view v;
        if (awdb_rec_check(b->p + pos, b->n - pos, &v) != AWDB_REC_OK)
            kvb_fuzz_fail("template: record %u does not check", i);
        pos += v.size;
    }
    struct kvb_fuzz_buf r = {malloc(pos - start + 1), pos - start};
    if (!r.p)
        kvb_fuzz_fail("out of memory");
    memcpy(r.p, b->p + start, r.n);
    return r;
}

/* Makes the prefixes and the base store from real runs, once. */
static void kvb_fuzz_wal_init(void)
{
    if (kvb_fuzz_wal_dir)
        return;
    kvb_fuzz_wal_dir = kvb_fuzz_mkdtemp("wal");
    const char *tdir = kvb_fuzz_mkdtemp("wal-template");

    /* Prefixes 1 and 2: one run's segment, whole and its first three records.
     * As many records as fill ~90% of a memtable (arena and key slots). */
    struct awdb_memtable *m = awdb_mem_new(KVB_FUZZ_WAL_MEMTABLE / KVB_FUZZ_WAL_MEMTABLES, 1);
    if (!m)
        kvb_fuzz_fail("template: awdb_mem_new");
    size_t arena = m->arena_cap * 9 / 10, keys = m->max_keys * 9 / 10;
    awdb_mem_unref(m);
    awdb *db = kvb_fuzz_wal_open_or_die(tdir);
    size_t used = 0;
    unsigned n = 0;
    while (used + 4 * awdb_mem_bound(16, 64) < arena && (n + 1) * 4 < keys)
        used += kvb_fuzz_wal_commit(db, n++, 1);
    kvb_fuzz_wal_commit(db, n, 16); /* records after the prefix, for seeds */
    kvb_fuzz_wal_run[0] = kvb_fuzz_wal_segment(tdir);
    awdb_close(db);
    kvb_fuzz_wal_prefix[1] = kvb_fuzz_wal_records(&kvb_fuzz_wal_run[0], 0, 3);
    kvb_fuzz_wal_prefix[2] = kvb_fuzz_wal_records(&kvb_fuzz_wal_run[0], 0, n);
    kvb_fuzz_wal_nlong = n;

    /* Prefix 3: a base store holding a closed run (generation 1), and the
     * first records of the next run (generation 2). */
    kvb_fuzz_empty_dir(tdir);
    db = kvb_fuzz_wal_open_or_die(tdir);
    kvb_fuzz_wal_commit(db, 0, 10);
    if (awdb_close(db))
        kvb_fuzz_fail("template: awdb_close");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/base.mdb", tdir);
    if (!(kvb_fuzz_wal_base.p = kvb_fuzz_read_file(path, &kvb_fuzz_wal_base.n)))
        kvb_fuzz_fail("template: cannot read %s", path);
    db = kvb_fuzz_wal_open_or_die(tdir);
    kvb_fuzz_wal_commit(db, 10, 6);
    kvb_fuzz_wal_run[1] = kvb_fuzz_wal_segment(tdir);
    awdb_close(db);
    kvb_fuzz_wal_prefix[3] = kvb_fuzz_wal_records(&kvb_fuzz_wal_run[1], 0, 3);
    kvb_fuzz_empty_dir(tdir);
}

/* A key read back: whether found, and its value's length and hash. */
struct kvb_fuzz_read {
    int rc;
    size_t vlen;
    uint64_t hash;
};

static uint64_t kvb_fuzz_fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* The distinct keys of the whole records in the stream, to read back, and
 * what replay should make of each: the last operation on it in the records
 * recovery keeps (all up to the first that does not check). */
struct kvb_fuzz_keys {
    const uint8_t *key[KVB_FUZZ_WAL_MAX_KEYS + 1]; /* + the key of the optional write */
    size_t klen[KVB_FUZZ_WAL_MAX_KEYS + 1];
    bool known[KVB_FUZZ_WAL_MAX_KEYS + 1]; /* false: written twice in one record, or untouched */
    struct kvb_fuzz_read want[KVB_FUZZ_WAL_MAX_KEYS + 1];
    size_t last_rec[KVB_FUZZ_WAL_MAX_KEYS + 1]; /* the last record (+1) that wrote it */
    size_t n;
};

/* Index of key in k, adding it (unknown) if there is room; SIZE_MAX if not. */
static size_t kvb_fuzz_key_find(struct kvb_fuzz_keys *k, const uint8_t *key, size_t klen)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->klen[i] == klen && memcmp(k->key[i], key, klen) == 0)
            return i;
    if (k->n == KVB_FUZZ_WAL_MAX_KEYS)
        return SIZE_MAX;
    k->key[k->n] = key;
    k->klen[k->n] = klen;
    k->known[k->n] = false;
    k->last_rec[k->n] = 0;
    return k->n++;
}

static void kvb_fuzz_wal_read(awdb *db, const struct kvb_fuzz_keys *k, struct kvb_fuzz_read *out)
{
    awdb_txn *t;
    int rc = awdb_txn_new(db, &t);
    if (rc)
        kvb_fuzz_fail("awdb_txn_new after open: %s", awdb_strerror(rc));
    if ((rc = awdb_txn_begin(t, AWDB_TXN_RDONLY)))
        kvb_fuzz_fail("awdb_txn_begin after open: %s", awdb_strerror(rc));
    for (size_t i = 0; i < k->n; i++) {
        const void *val = NULL;
        size_t vlen = 0;
        rc = awdb_get(t, k->key[i], k->klen[i], &val, &vlen);
        out[i] =
            (struct kvb_fuzz_read){rc, rc == 0 ? vlen : 0, rc == 0 ? kvb_fuzz_fnv(val, vlen) : 0};
    }
    awdb_txn_free(t);
}

int kvb_fuzz_wal_one(const uint8_t *data, size_t size)
{
    kvb_fuzz_wal_init();
    unsigned flags = size > 0 ? data[0] : 0, per_seg = size > 1 ? data[1] & 127 : 0;
    bool small = size > 1 && (data[1] & 128);
    const uint8_t *body = size > 2 ? data + 2 : data;
    size_t body_n = size > 2 ? size - 2 : 0;
    const struct kvb_fuzz_buf *pre = &kvb_fuzz_wal_prefix[flags & 3];
    enum awdb_mode mode = ((flags >> 4) & 3) == 1   ? AWDB_ASYNC
                          : ((flags >> 4) & 3) == 2 ? AWDB_NONE
                                                    : AWDB_SYNC;

    /* The stream: prefix and input. */
    size_t n = pre->n + body_n;
    uint8_t *s = malloc(n ? n : 1);
    if (!s)
        kvb_fuzz_fail("out of memory");
    if (pre->n)
        memcpy(s, pre->p, pre->n);
    if (body_n)
        memcpy(s + pre->n, body, body_n);

    /* Walk the whole records; fix the input's ones up as the flags say. */
    size_t starts_cap = 64, nrec = 0, pos = 0;
    size_t *starts = malloc(starts_cap * sizeof *starts);
    if (!starts)
        kvb_fuzz_fail("out of memory");
    uint64_t prev = 0;
    while (n - pos >= AWDB_REC_HDR) {
        uint32_t len = awdb_get_u32(s + pos + 4);
        if (len < AWDB_REC_HDR - 8 || (size_t)len + 8 > n - pos)
            break;
        if (pos >= pre->n) {
            if (flags & 8)
                awdb_put_u64(s + pos + 8, prev + 1);
            if (flags & 4)
                awdb_put_u32(s + pos, awdb_crc32c(0, s + pos + 4, (size_t)len + 4));
        }
        if (nrec == starts_cap) {
            size_t *ns = realloc(starts, 2 * starts_cap * sizeof *ns);
            if (!ns)
                kvb_fuzz_fail("out of memory");
            starts = ns;
            starts_cap *= 2;
        }
        starts[nrec++] = pos;
        prev = awdb_get_u64(s + pos + 8);
        pos += (size_t)len + 8;
    }

    /* The keys to read back: those of the records that check. What replay
     * makes of them is known with a fresh base store (no record skipped as
     * already flushed): records after the first bad one are a torn tail,
     * dropped, or a corruption, which fails the open. (Checked only if the
     * segments' names rise in stream order, the order recovery reads them.) */
    struct kvb_fuzz_keys *keys = calloc(1, sizeof *keys);
    if (!keys)
        kvb_fuzz_fail("out of memory");
    bool model = (flags & 3) != 3, torn = false;
    for (size_t r = 0; r < nrec; r++) {
        struct awdb_rec_view v;
        if (awdb_rec_check(s + starts[r], n - starts[r], &v) != AWDB_REC_OK) {
            torn = true;
            continue;
        }
        size_t op_pos = 0;
        struct awdb_rec_op op;
        while (!awdb_rec_next_op(&v, &op_pos, &op)) {
            size_t i = kvb_fuzz_key_find(keys, op.key, op.klen);
            if (i == SIZE_MAX || torn || !model)
                continue;
            if (keys->last_rec[i] == r + 1) {
                keys->known[i] = false; /* twice in one record: no order to expect */
                keys->last_rec[i] = SIZE_MAX;
                continue;
            }
            if (keys->last_rec[i] == SIZE_MAX)
                continue;
            keys->last_rec[i] = r + 1;
            keys->known[i] = true;
            keys->want[i] = op.type == AWDB_OP_PUT
                                ? (struct kvb_fuzz_read){0, op.vlen, kvb_fuzz_fnv(op.val, op.vlen)}
                                : (struct kvb_fuzz_read){AWDB_NOTFOUND, 0, 0};
        }
    }
    static const char write_key[] = "fuzz-write";
    size_t wi = keys->n;
    keys->key[wi] = (const uint8_t *)write_key;
    keys->klen[wi] = sizeof write_key - 1;
    keys->known[wi] = false;
    for (size_t i = 0; i < keys->n; i++)
        if (keys->klen[i] == keys->klen[wi] && memcmp(keys->key[i], write_key, keys->klen[wi]) == 0)
            wi = i;
    if (wi == keys->n)
        keys->n++;

    /* The directory: base store, then the segments. */
    kvb_fuzz_empty_dir(kvb_fuzz_wal_dir);
    char path[PATH_MAX];
    if ((flags & 3) == 3) {
        snprintf(path, sizeof path, "%s/base.mdb", kvb_fuzz_wal_dir);
        kvb_fuzz_write_file(path, kvb_fuzz_wal_base.p, kvb_fuzz_wal_base.n);
    }
    size_t seg_start = 0, next_rec = 0;
    uint64_t seq_before = 0;               /* seq of the record before the segment */
    bool first_seg = true, ordered = true; /* segment names rise in stream order */
    uint64_t last_name = 0;
    while (seg_start < n) {
        size_t seg_end = n;
        if (per_seg && next_rec + per_seg < nrec)
            seg_end = starts[next_rec + per_seg];
        uint64_t name =
            seg_end - seg_start >= 16 ? awdb_get_u64(s + seg_start + 8) : seq_before + 1;
        if (first_seg && (flags & 64))
            name++;
        if (!first_seg && name <= last_name)
            ordered = false; /* recovery reads the segments in another order */
        last_name = name;
        snprintf(path, sizeof path, "%s/wal-%016" PRIx64 ".log", kvb_fuzz_wal_dir, name);
        kvb_fuzz_write_file(path, s + seg_start, seg_end - seg_start);
        if (per_seg && next_rec + per_seg <= nrec) {
            next_rec += per_seg;
            seq_before = awdb_get_u64(s + starts[next_rec - 1] + 8);
        }
        seg_start = seg_end;
        first_seg = false;
    }

    /* Open, write, read, close, reopen, read again. */
    struct awdb_options o;
    kvb_fuzz_wal_options(&o, mode, small);
    awdb *db;
    char err[512];
    int rc = awdb_open(kvb_fuzz_wal_dir, &o, &db, err, sizeof err);
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("KVB_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz_wal: flags 0x%02x, %zu records, %zu bytes: open: %s%s%s\n", flags,
                nrec, n, awdb_strerror(rc), rc ? ": " : "", rc ? err : "");
    if (rc) {
        if (!err[0])
            kvb_fuzz_fail("awdb_open failed (%s) without saying why", awdb_strerror(rc));
        goto out;
    }
    if (flags & 128) {
        awdb_txn *t;
        keys->known[wi] = false;
        if (awdb_txn_new(db, &t) == 0) {
            if (awdb_txn_begin(t, 0) == 0 &&
                awdb_put(t, write_key, sizeof write_key - 1, "v", 1) == 0 &&
                awdb_txn_commit(t, NULL) == 0) {
                keys->known[wi] = true;
                keys->want[wi] = (struct kvb_fuzz_read){0, 1, kvb_fuzz_fnv("v", 1)};
            }
            awdb_txn_free(t);
        }
    }
    static struct kvb_fuzz_read before[KVB_FUZZ_WAL_MAX_KEYS + 1], after[KVB_FUZZ_WAL_MAX_KEYS + 1];
    kvb_fuzz_wal_read(db, keys, before);
    for (size_t i = 0; i < keys->n; i++)
        if (keys->known[i] && (ordered || i == wi) &&
            (before[i].rc != keys->want[i].rc || before[i].vlen != keys->want[i].vlen ||
             before[i].hash != keys->want[i].hash))
            kvb_fuzz_fail("key %zu (%zu bytes) after replay: rc %d, %zu bytes; the WAL says "
                          "rc %d, %zu bytes",
                          i, keys->klen[i], before[i].rc, before[i].vlen, keys->want[i].rc,
                          keys->want[i].vlen);
    if ((rc = awdb_close(db)))
        goto out; /* an error met while open (reported); reopening proves nothing */
    kvb_fuzz_wal_options(&o, AWDB_SYNC, small);
    if ((rc = awdb_open(kvb_fuzz_wal_dir, &o, &db, err, sizeof err)))
        kvb_fuzz_fail("a database that opened and closed cleanly does not reopen: %s: %s",
                      awdb_strerror(rc), err);
    kvb_fuzz_wal_read(db, keys, after);
    for (size_t i = 0; i < keys->n; i++)
        if (before[i].rc != after[i].rc || before[i].vlen != after[i].vlen ||
            before[i].hash != after[i].hash)
            kvb_fuzz_fail("key %zu (%zu bytes) reads differently after close and reopen: "
                          "rc %d -> %d, %zu -> %zu bytes",
                          i, keys->klen[i], before[i].rc, after[i].rc, before[i].vlen,
                          after[i].vlen);
    if ((rc = awdb_close(db)))
        kvb_fuzz_fail("closing the reopened database: %s", awdb_strerror(rc));
out:
    free(keys);
    free(starts);
    free(s);
    return 0;
}

/* ---- seed corpus ---- */

/* Writes dir/name: the two header bytes and the parts given (NULL ends). */
static void kvb_fuzz_wal_seed(const char *dir, const char *name, int flags, int per_seg, ...)
{
    size_t n = 2, cap = 1 << 16;
    uint8_t *b = malloc(cap);
    if (!b)
        kvb_fuzz_fail("out of memory");
    b[0] = (uint8_t)flags;
    b[1] = (uint8_t)per_seg;
    va_list ap;
    va_start(ap, per_seg);
    const struct kvb_fuzz_buf *part;
    while ((part = va_arg(ap, const struct kvb_fuzz_buf *))) {
        if (n + part->n > cap)
            kvb_fuzz_fail("seed %s too big", name);
        memcpy(b + n, part->p, part->n);
        n += part->n;
    }
    va_end(ap);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    kvb_fuzz_write_file(path, per_seg < 0 ? b + 1 : b, per_seg < 0 ? n - 1 : n);
    free(b);
}

/* Writes the seed corpora of fuzz_wal (into wal_dir) and fuzz_wal_record
 * (into rec_dir, per_seg -1: one header byte only) from the real runs. */
static __attribute__((unused)) void kvb_fuzz_wal_write_seeds(const char *wal_dir,
                                                             const char *rec_dir)
{
    kvb_fuzz_wal_init();
    const struct kvb_fuzz_buf *run = &kvb_fuzz_wal_run[0], *run3 = &kvb_fuzz_wal_run[1];
    unsigned nl = kvb_fuzz_wal_nlong;
    struct kvb_fuzz_buf first40 = kvb_fuzz_wal_records(run, 0, 40),
                        first3 = kvb_fuzz_wal_records(run, 0, 3),
                        next3 = kvb_fuzz_wal_records(run, 3, 3),
                        after_long = kvb_fuzz_wal_records(run, nl, 16),
                        base_next = kvb_fuzz_wal_records(run3, 3, 3),
                        first9 = kvb_fuzz_wal_records(run, 0, 9);
    uint8_t ff[32];
    memset(ff, 0xff, sizeof ff);
    struct kvb_fuzz_buf garbage = {ff, sizeof ff}, torn = next3;
    torn.n -= 7;
    struct kvb_fuzz_buf bad = kvb_fuzz_wal_records(run, 3, 3);
    bad.p[bad.n / 2] ^= 0x5a;
    struct kvb_fuzz_buf raw = kvb_fuzz_wal_records(run, 3, 3); /* checksums, seqs zeroed */
    for (size_t pos = 0; pos + AWDB_REC_HDR <= raw.n;) {
        size_t len = awdb_get_u32(raw.p + pos + 4);
        awdb_put_u32(raw.p + pos, 0);
        awdb_put_u64(raw.p + pos + 8, 0);
        awdb_put_u64(raw.p + pos + 20, 0); /* synced */
        pos += len + 8;
    }

    kvb_fuzz_wal_seed(wal_dir, "empty", 0, 0, NULL);
    kvb_fuzz_wal_seed(wal_dir, "run-first40", 0, 0, &first40, NULL);
    kvb_fuzz_wal_seed(wal_dir, "run-first3", 0, 0, &first3, NULL);
    kvb_fuzz_wal_seed(wal_dir, "short-prefix-next3", 1, 0, &next3, NULL);
    kvb_fuzz_wal_seed(wal_dir, "long-prefix-next16", 2, 0, &after_long, NULL);
    kvb_fuzz_wal_seed(wal_dir, "long-prefix-small-memtables", 2, 0x80, &after_long, NULL);
    kvb_fuzz_wal_seed(wal_dir, "long-prefix-garbage", 2, 0, &after_long, &garbage, NULL);
    kvb_fuzz_wal_seed(wal_dir, "base-prefix-next3", 3, 0, &base_next, NULL);
    kvb_fuzz_wal_seed(wal_dir, "torn-tail", 1, 0, &torn, NULL);
    kvb_fuzz_wal_seed(wal_dir, "bad-middle", 1, 0, &bad, NULL);
    kvb_fuzz_wal_seed(wal_dir, "fixup-renumber", 1 | 4 | 8, 0, &raw, NULL);
    kvb_fuzz_wal_seed(wal_dir, "split-by-2", 0, 2, &first9, NULL);
    kvb_fuzz_wal_seed(wal_dir, "bad-older-segment", 1, 2, &bad, NULL);
    kvb_fuzz_wal_seed(wal_dir, "async-write", 1 | 0x10 | 0x80, 0, &next3, NULL);
    kvb_fuzz_wal_seed(wal_dir, "none-mode", 1 | 0x20, 0, &next3, NULL);
    kvb_fuzz_wal_seed(wal_dir, "misnamed", 0x40, 0, &first3, NULL);

    struct kvb_fuzz_buf r0 = kvb_fuzz_wal_records(run, 0, 1), r3 = kvb_fuzz_wal_records(run, 3, 1),
                        r4 = kvb_fuzz_wal_records(run, 4, 1), two = kvb_fuzz_wal_records(run, 0, 2),
                        zero = kvb_fuzz_wal_records(run, 3, 1);
    awdb_put_u32(zero.p, 0);
    kvb_fuzz_wal_seed(rec_dir, "one-put", 0, -1, &r0, NULL);
    kvb_fuzz_wal_seed(rec_dir, "three-puts", 0, -1, &r3, NULL);
    kvb_fuzz_wal_seed(rec_dir, "put-and-delete", 0, -1, &r4, NULL);
    kvb_fuzz_wal_seed(rec_dir, "two-records", 0, -1, &two, NULL);
    kvb_fuzz_wal_seed(rec_dir, "fixup-crc", 1, -1, &zero, NULL);
    kvb_fuzz_wal_seed(rec_dir, "bad-crc", 0, -1, &zero, NULL);
    kvb_fuzz_wal_seed(rec_dir, "torn", 0, -1, &torn, NULL);
    struct kvb_fuzz_buf *owned[] = {&first40, &first3, &next3, &after_long, &base_next,
                                    &first9,  &bad,    &raw,   &r0,         &r3,
                                    &r4,      &two,    &zero};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]->p);
}

#ifndef KVB_FUZZ_NO_MAIN
/* KVB_FUZZ_WRITE_SEEDS=DIR: write the seed corpora into DIR/wal and
 * DIR/wal_record (both must exist) and exit. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("KVB_FUZZ_WRITE_SEEDS");
    if (dir) {
        char w[PATH_MAX], r[PATH_MAX];
        snprintf(w, sizeof w, "%s/wal", dir);
        snprintf(r, sizeof r, "%s/wal_record", dir);
        kvb_fuzz_wal_write_seeds(w, r);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kvb_fuzz_wal_one(data, size);
}
#endif
