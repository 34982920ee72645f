/*
 * awdb_bench.c - awdb's own benchmark, linked against the engine alone (and
 * LMDB, which it uses for the read reference). It prints, for the directory
 * it runs in (the filesystem under test):
 *
 *   1. the machine's single-thread fdatasync rate: write 100 bytes,
 *      fdatasync, repeat - what one synchronous commit at a time can reach -
 *      appending to a file, and overwriting one filled with zeros first
 *      (no journal commit for a new size: what awdb's wal_prealloc does);
 *   2. awdb sync commits/s and latency at 1, 8 and 32 writer threads, one
 *      100-byte put of a random key per transaction, and how many commits
 *      each WAL sync carried (group commit);
 *   3. awdb async commits/s with 1 writer, and the lag from acknowledgement
 *      to durability;
 *   4. point reads/s with 1 and 2 threads over a preloaded key set (flushed
 *      into the base store), next to plain LMDB reading the same keys the
 *      same way (a read-only transaction renewed per read);
 *   5. peak RSS during a long async write run against the memtable budget.
 *
 * usage: awdb_bench [-d DIR] [-t SECONDS] [-n PRELOAD_KEYS] [-r RSS_SECONDS] [-s SECTIONS]
 *                   [-p WAL_PREALLOC_BYTES]
 *   SECTIONS is a subset of "12345" (default all). DIR defaults to the
 *   current directory; a fresh awdb-bench-XXXXXX directory is made in it
 *   and removed at the end.
 */
#include "backends/awdb/awdb.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VALUE_SIZE 100
#define KEY_SPACE 1000000u

static double secs = 5;
static char root[4096];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "awdb_bench: %s: %s\n", what, awdb_strerror(rc));
    exit(1);
}

static size_t make_key(uint64_t i, char *key)
{
    return (size_t)snprintf(key, 32, "user%012" PRIu64, i);
}

/* Latency samples of one thread; sorted and merged at the end. */
struct lat {
    uint64_t *v;
    size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1 << 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            die("out of memory", ENOMEM);
    }
    l->v[l->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Merges n sample sets into out (sorted). */
static void lat_merge(struct lat *out, struct lat *in, size_t n)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < in[i].n; j++)
            lat_add(out, in[i].v[j]);
        free(in[i].v);
        in[i] = (struct lat){0};
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_u64);
}

static double pct_us(const struct lat *l, double p)
{
    if (!l->n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
    return (double)l->v[i] / 1000.0;
}

static void mkdir_fresh(char *out, const char *name)
{
    snprintf(out, 4096, "%s/%s", root, name);
    if (mkdir(out, 0755) < 0 && errno != EEXIST) {
        perror(out);
        exit(1);
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static long long prealloc = -1; /* -p: awdb's wal_prealloc; -1: its default */

static awdb *open_db(const char *dir, enum awdb_mode mode, size_t memtable, unsigned txns)
{
    struct awdb_options o;
    awdb_options_init(&o);
    o.mode = mode;
    if (memtable)
        o.memtable_size = memtable;
    o.max_txns = txns + 8;
    if (prealloc >= 0)
        o.wal_prealloc = (size_t)prealloc;
    awdb *db;
    char err[512];
    int rc = awdb_open(dir, &o, &db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "awdb_bench: awdb_open(%s): %s\n", dir, err);
        exit(1);
    }
    return db;
}

static long rss_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* ---- 1. fdatasync ---- */


/* Appends VALUE_SIZE bytes and fdatasyncs, for dur seconds, in dir; adds the
 * number of syncs to *n and their latencies to l. Returns the time taken. */
/* Plain fdatasync of 100-byte writes for dur seconds: appended to a file
 * (each sync also commits the new size through the journal), or written in
 * place over a file filled with zeros and synced first (data only: what
 * awdb's wal_prealloc lets its WAL do). Adds the count to *n. */
#define OVERWRITE_SPAN (16u << 20)
static double raw_fsync(const char *dir, bool overwrite, double dur, uint64_t *n, struct lat *l)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/fsync.test", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    if (overwrite) {
        static const char zeros[1 << 16];
        for (off_t o = 0; o < OVERWRITE_SPAN; o += sizeof zeros)
            if (pwrite(fd, zeros, sizeof zeros, o) != (ssize_t)sizeof zeros) {
                perror("pwrite");
                exit(1);
            }
        if (fdatasync(fd) < 0) {
            perror("fdatasync");
            exit(1);
        }
    }
    char buf[VALUE_SIZE];
    memset(buf, 'x', sizeof buf);
    off_t off = 0;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(dur * 1e9), t;
    while ((t = now_ns()) < end) {
        if (pwrite(fd, buf, sizeof buf, off) != (ssize_t)sizeof buf || fdatasync(fd) < 0) {
            perror("pwrite/fdatasync");
            exit(1);
        }
        off += sizeof buf;
        if (overwrite && off + sizeof buf > OVERWRITE_SPAN)
            off = 0;
        if (l)
            lat_add(l, now_ns() - t);
        (*n)++;
    }
    close(fd);
    unlink(path);
    return (double)(now_ns() - t0) / 1e9;
}

static void bench_fsync(void)
{
    for (int ow = 0; ow < 2; ow++) {
        struct lat l = {0};
        uint64_t n = 0;
        double el = raw_fsync(root, ow, secs, &n, &l);
        struct lat m;
        lat_merge(&m, &l, 1);
        printf("fdatasync (%s %d B, 1 thread): %.0f /s   p50 %.0f us  p99 %.0f us\n",
               ow ? "overwrite" : "append   ", VALUE_SIZE, (double)n / el, pct_us(&m, 50),
               pct_us(&m, 99));
        free(m.v);
    }
}

/* ---- 2, 3. writers ---- */

struct wctx {
    awdb *db;
    unsigned id;
    uint64_t end_ns;
    bool async_lag;
    bool no_lat; /* the memory run: keep no samples, they would be counted */
    uint64_t commits;
    struct lat lat, lag;
    _Atomic int *go;
};

static void *writer(void *arg)
{
    struct wctx *w = arg;
    awdb_txn *txn;
    int rc = awdb_txn_new(w->db, &txn);
    if (rc)
        die("awdb_txn_new", rc);
    uint64_t rng = 0x9E3779B97F4A7C15ull * (w->id + 1);
    char key[32], val[VALUE_SIZE];
    memset(val, 'v', sizeof val);
    /* async lag: (seq, ack) of commits not yet durable, oldest first */
    size_t pcap = 1 << 20, ph = 0, pt = 0;
    uint64_t *pseq = w->async_lag ? malloc(pcap * 8) : NULL,
             *pack = w->async_lag ? malloc(pcap * 8) : NULL;
    while (!atomic_load(w->go))
        ;
    uint64_t t;
    while ((t = now_ns()) < w->end_ns) {
        size_t klen = make_key(xorshift(&rng) % KEY_SPACE, key);
        if ((rc = awdb_txn_begin(txn, 0)) || (rc = awdb_put(txn, key, klen, val, sizeof val)))
            die("begin/put", rc);
        struct awdb_commit_info info;
        if ((rc = awdb_txn_commit(txn, &info)))
            die("commit", rc);
        uint64_t ack = now_ns();
        if (!w->no_lat)
            lat_add(&w->lat, ack - t);
        w->commits++;
        if (pseq && pt - ph < pcap) {
            pseq[pt % pcap] = info.seq;
            pack[pt % pcap] = ack;
            pt++;
            uint64_t d = awdb_durable_seq(w->db);
            while (ph != pt && pseq[ph % pcap] <= d) {
                struct awdb_seq_times tm;
                if (awdb_commit_times(w->db, pseq[ph % pcap], &tm) == 0 && tm.durable_ns)
                    lat_add(&w->lag,
                            tm.durable_ns > pack[ph % pcap] ? tm.durable_ns - pack[ph % pcap] : 0);
                ph++;
            }
        }
    }
    free(pseq);
    free(pack);
    awdb_txn_free(txn);
    return NULL;
}

#define ROUNDS 5

/* Runs n writers for secs in ROUNDS rounds on one database. In sync mode each
 * round is followed by as long a run of plain fdatasync in the same
 * directory, so that the ratio compares the two under the same disk
 * conditions (on a shared machine the disk's speed drifts within seconds). */
static void run_writers(enum awdb_mode mode, unsigned n)
{
    char dir[4096];
    mkdir_fresh(dir, mode == AWDB_SYNC ? "sync" : "async");
    awdb *db = open_db(dir, mode, 0, n);
    pthread_t th[64];
    struct wctx w[64];
    struct lat lats[64 * ROUNDS], lags[64 * ROUNDS];
    size_t nl = 0;
    uint64_t commits = 0, raw[2] = {0, 0};
    double el = 0, raw_el[2] = {0, 0};
    struct awdb_stats s0, s1;
    awdb_stats(db, &s0);
    uint64_t busy_ns = 0;
    for (int r = 0; r < ROUNDS; r++) {
        _Atomic int go = 0;
        uint64_t end = now_ns() + (uint64_t)(secs / ROUNDS * 1e9) + 5000000u;
        for (unsigned i = 0; i < n; i++) {
            w[i] = (struct wctx){.db = db,
                                 .id = i + 64 * (unsigned)r,
                                 .end_ns = end,
                                 .async_lag = mode == AWDB_ASYNC,
                                 .go = &go};
            pthread_create(&th[i], NULL, writer, &w[i]);
        }
        struct awdb_stats a, b;
        awdb_stats(db, &a);
        uint64_t t0 = now_ns();
        atomic_store(&go, 1);
        for (unsigned i = 0; i < n; i++) {
            pthread_join(th[i], NULL);
            commits += w[i].commits;
            lats[nl] = w[i].lat;
            lags[nl++] = w[i].lag;
        }
        double round_el = (double)(now_ns() - t0) / 1e9;
        el += round_el;
        awdb_stats(db, &b);
        busy_ns += b.wal_sync_ns - a.wal_sync_ns;
        if (mode == AWDB_SYNC)
            for (int ow = 0; ow < 2; ow++)
                raw_el[ow] += raw_fsync(dir, ow, round_el / 2, &raw[ow], NULL);
    }
    awdb_stats(db, &s1);
    struct lat m, g;
    lat_merge(&m, lats, nl);
    lat_merge(&g, lags, nl);
    double rate = (double)commits / el;
    uint64_t syncs = s1.wal_syncs - s0.wal_syncs;
    if (mode == AWDB_SYNC) {
        double app = (double)raw[0] / raw_el[0], ovw = (double)raw[1] / raw_el[1];
        double sync_us =
            syncs ? (double)(s1.wal_sync_ns - s0.wal_sync_ns) / (double)syncs / 1e3 : 0;
        printf("awdb sync, %2u writer%s: %8.0f commits/s  p50 %7.0f us  p99 %7.0f us  "
               "%4.1f commits/sync, %4.0f us/sync, flusher in fdatasync %2.0f%%, "
               "%" PRIu64 " MiB zeros ahead, %" PRIu64 " waits; interleaved plain fdatasync: "
               "append %5.0f /s = %.2f x, overwrite %5.0f /s = %.2f x\n",
               n, n == 1 ? " " : "s", rate, pct_us(&m, 50), pct_us(&m, 99),
               syncs ? (double)commits / (double)syncs : 0.0, sync_us,
               100.0 * (double)busy_ns / (el * 1e9), (s1.wal_zeroed - s0.wal_zeroed) >> 20,
               s1.wal_zero_waits - s0.wal_zero_waits, app, rate / app, ovw, rate / ovw);
    } else {
        printf("awdb async, %u writer:  %8.0f commits/s  p50 %7.2f us  p99 %7.2f us  "
               "durable lag p50 %.1f ms p99 %.1f ms  (%" PRIu64 " syncs, %" PRIu64 " stalls)\n",
               n, rate, pct_us(&m, 50), pct_us(&m, 99), pct_us(&g, 50) / 1000,
               pct_us(&g, 99) / 1000, syncs, s1.write_stalls - s0.write_stalls);
    }
    free(m.v);
    free(g.v);
    if (awdb_close(db))
        die("awdb_close", 1);
    rmtree(dir);
}

/* ---- 4. reads ---- */

static uint64_t preload_n = 1000000;

struct rctx {
    awdb *db;
    MDB_env *env;
    MDB_dbi dbi;
    unsigned id;
    uint64_t end_ns, reads;
    _Atomic int *go;
};

static void *awdb_reader(void *arg)
{
    struct rctx *r = arg;
    awdb_txn *t;
    int rc = awdb_txn_new(r->db, &t);
    if (rc)
        die("awdb_txn_new", rc);
    uint64_t rng = 0x2545F4914F6CDD1Dull * (r->id + 1);
    char key[32];
    while (!atomic_load(r->go))
        ;
    uint64_t n = 0;
    while ((n & 255) || now_ns() < r->end_ns) {
        size_t klen = make_key(xorshift(&rng) % preload_n, key);
        const void *val;
        size_t vlen;
        if ((rc = awdb_txn_begin(t, AWDB_TXN_RDONLY)) || (rc = awdb_get(t, key, klen, &val, &vlen)))
            die("read", rc);
        awdb_txn_abort(t);
        n++;
    }
    r->reads = n;
    awdb_txn_free(t);
    return NULL;
}

static void *lmdb_reader(void *arg)
{
    struct rctx *r = arg;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        die("mdb_txn_begin", rc);
    mdb_txn_reset(txn);
    uint64_t rng = 0x2545F4914F6CDD1Dull * (r->id + 1);
    char key[32];
    while (!atomic_load(r->go))
        ;
    uint64_t n = 0;
    while ((n & 255) || now_ns() < r->end_ns) {
        MDB_val k, v;
        k.mv_size = make_key(xorshift(&rng) % preload_n, key);
        k.mv_data = key;
        if ((rc = mdb_txn_renew(txn)) || (rc = mdb_get(txn, r->dbi, &k, &v)))
            die("lmdb read", rc);
        mdb_txn_reset(txn);
        n++;
    }
    r->reads = n;
    mdb_txn_abort(txn);
    return NULL;
}

static double run_readers(awdb *db, MDB_env *env, MDB_dbi dbi, unsigned n)
{
    pthread_t th[8];
    struct rctx r[8];
    _Atomic int go = 0;
    uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
    for (unsigned i = 0; i < n; i++) {
        r[i] = (struct rctx){db, env, dbi, i, end, 0, &go};
        pthread_create(&th[i], NULL, db ? awdb_reader : lmdb_reader, &r[i]);
    }
    uint64_t t0 = now_ns(), total = 0;
    atomic_store(&go, 1);
    for (unsigned i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        total += r[i].reads;
    }
    return (double)total / ((double)(now_ns() - t0) / 1e9);
}

static void bench_reads(void)
{
    char dir[4096], ldir[4096];
    mkdir_fresh(dir, "reads");
    mkdir_fresh(ldir, "lmdb-ref");
    awdb *db = open_db(dir, AWDB_ASYNC, 0, 8);
    MDB_env *env;
    MDB_txn *lt;
    MDB_dbi dbi;
    int rc;
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_mapsize(env, (size_t)16 << 30)) ||
        (rc = mdb_env_open(env, ldir, MDB_NOTLS | MDB_NOSYNC, 0644)) ||
        (rc = mdb_txn_begin(env, NULL, 0, &lt)) || (rc = mdb_dbi_open(lt, NULL, 0, &dbi)))
        die("lmdb reference", rc);
    /* preload: the same keys into both, in batches */
    awdb_txn *t;
    if ((rc = awdb_txn_new(db, &t)))
        die("awdb_txn_new", rc);
    char key[32], val[VALUE_SIZE];
    memset(val, 'p', sizeof val);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < preload_n;) {
        if ((rc = awdb_txn_begin(t, 0)))
            die("begin", rc);
        for (int b = 0; b < 500 && i < preload_n; b++, i++) {
            size_t klen = make_key(i, key);
            if ((rc = awdb_put(t, key, klen, val, sizeof val)))
                die("put", rc);
            MDB_val k = {klen, key}, v = {sizeof val, val};
            if ((rc = mdb_put(lt, dbi, &k, &v, 0)))
                die("mdb_put", rc);
        }
        if ((rc = awdb_txn_commit(t, NULL)))
            die("commit", rc);
    }
    awdb_txn_free(t);
    if ((rc = mdb_txn_commit(lt)))
        die("mdb_txn_commit", rc);
    if ((rc = awdb_checkpoint(db)))
        die("checkpoint", rc);
    printf("preloaded %" PRIu64 " keys (%d-byte values) in %.1f s; awdb checkpointed into its "
           "base store\n",
           preload_n, VALUE_SIZE, (double)(now_ns() - t0) / 1e9);
    for (unsigned n = 1; n <= 2; n++) {
        run_readers(NULL, env, dbi, n); /* warm both maps the same way */
        double l = run_readers(NULL, env, dbi, n);
        run_readers(db, NULL, 0, n);
        double a = run_readers(db, NULL, 0, n);
        printf("point reads, %u thread%s: awdb %9.0f /s   lmdb %9.0f /s   (%.2f x lmdb)\n", n,
               n == 1 ? " " : "s", a, l, a / l);
    }
    mdb_env_close(env);
    if (awdb_close(db))
        die("awdb_close", 1);
    rmtree(dir);
    rmtree(ldir);
}

/* ---- 5. memory ---- */

static double rss_secs = 20;

static void bench_rss(void)
{
    char dir[4096];
    mkdir_fresh(dir, "rss");
    const size_t budget = 64u << 20;
    long base = rss_kib("VmRSS:");
    awdb *db = open_db(dir, AWDB_ASYNC, budget, 2);
    pthread_t th;
    _Atomic int go = 1;
    struct wctx w = {.db = db,
                     .id = 7,
                     .end_ns = now_ns() + (uint64_t)(rss_secs * 1e9),
                     .no_lat = true,
                     .go = &go};
    pthread_create(&th, NULL, writer, &w);
    long peak = 0, peak_anon = 0, peak_file = 0;
    uint64_t end = w.end_ns;
    while (now_ns() < end) {
        long r = rss_kib("VmRSS:"), a = rss_kib("RssAnon:"), f = rss_kib("RssFile:");
        if (r > peak)
            peak = r;
        if (a > peak_anon)
            peak_anon = a;
        if (f > peak_file)
            peak_file = f;
        usleep(50000);
    }
    pthread_join(th, NULL);
    struct awdb_stats s;
    awdb_stats(db, &s);
    long hwm = rss_kib("VmHWM:");
    printf("memory, %.0f s async writing (%" PRIu64 " commits, %" PRIu64 " flushes, %" PRIu64
           " stalls %.0f ms): peak RSS %.1f MiB (VmHWM %.1f MiB; anonymous %.1f MiB, "
           "file-backed %.1f MiB) over %.1f MiB at start; memtable budget %.1f MiB\n",
           rss_secs, w.commits, s.flushes, s.write_stalls, (double)s.stall_ns / 1e6, peak / 1024.0,
           hwm / 1024.0, peak_anon / 1024.0, peak_file / 1024.0, base / 1024.0, budget / 1048576.0);
    free(w.lat.v);
    if (awdb_close(db))
        die("awdb_close", 1);
    rmtree(dir);
}

int main(int argc, char **argv)
{
    const char *where = ".", *sections = "12345";
    int opt;
    while ((opt = getopt(argc, argv, "d:t:n:r:s:p:h")) != -1) {
        switch (opt) {
        case 'd':
            where = optarg;
            break;
        case 't':
            secs = atof(optarg);
            break;
        case 'n':
            preload_n = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            rss_secs = atof(optarg);
            break;
        case 's':
            sections = optarg;
            break;
        case 'p':
            prealloc = strtoll(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-d DIR] [-t SECONDS] [-n PRELOAD_KEYS] [-r RSS_SECONDS] "
                    "[-s SECTIONS(12345)] [-p WAL_PREALLOC_BYTES]\n",
                    argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    snprintf(root, sizeof root, "%s/awdb-bench-XXXXXX", where);
    if (!mkdtemp(root)) {
        perror(root);
        return 1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("awdb_bench in %s (%ld cores), %.1f s per measurement\n", root, cores, secs);
    if (strchr(sections, '1') || strchr(sections, '2'))
        bench_fsync();
    if (strchr(sections, '2')) {
        run_writers(AWDB_SYNC, 1);
        run_writers(AWDB_SYNC, 8);
        run_writers(AWDB_SYNC, 32);
    }
    if (strchr(sections, '3'))
        run_writers(AWDB_ASYNC, 1);
    if (strchr(sections, '4'))
        bench_reads();
    if (strchr(sections, '5'))
        bench_rss();
    rmtree(root);
    return 0;
}
