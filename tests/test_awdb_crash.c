/* test_awdb_crash.c - awdb under SIGKILL and power loss. A child process
 * runs monotonic writers (DESIGN.md: h = get(head); put(key_h, value(h));
 * put(head, h+1); commit) in AWDB_SYNC and reports each acknowledged h (and
 * its sequence number) on a pipe; the parent kills it with SIGKILL at a
 * random moment.
 *
 * A SIGKILL alone loses nothing the process wrote (the page cache keeps it),
 * so it cannot tell a commit that was synced from one that was not. The
 * kill is therefore made a power loss: the child's WAL I/O goes through the
 * fault table with a journal (awdb_fault_journal), and after the kill the
 * parent rebuilds the child's view of its files from it (awdb_fault_load)
 * and drops what was not synced (awdb_fault_power_loss: every sector
 * overwritten since its file's last sync keeps or loses its write, the tail
 * past the synced length is cut at a random point). Then it reopens the
 * directory and checks: every acknowledged key is there with its value,
 * keys 0..head-1 all verify and nothing lies beyond head, head never goes
 * backwards from one cycle to the next, and sequence numbers handed out
 * after the restart are above every acknowledged one. A fourth thread writes
 * bigger values blindly, so memtables flush and WAL segments roll and get
 * deleted while the child runs. Repeated 20 times; the parent alternates a
 * clean close (checkpoint) and an abandon (leaving the WAL for the next
 * child to replay), and every other pair of cycles uses segments of 1 MiB
 * instead of 64 KiB: there the log overwrites the zeros awdb writes ahead of
 * it (wal_prealloc), so the power loss reverts sectors as well as cutting
 * tails.
 *
 * Seed: each run prints the seed its kill times and power losses come from
 * ("seed N"); KVB_TEST_SEED=N replays them (the kill lands at the same time
 * after the child is ready, not at the same commit). Without it the seed
 * comes from the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/awdb.h"
#include "backends/awdb/awdb_fault.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CYCLES 20
#define WRITERS 3
#define VLEN 64

/* io: the WAL's I/O table, NULL for POSIX. */
static int open_db(const char *dir, const struct awdb_io *io, size_t segsize, awdb **db, char *err,
                   size_t errlen)
{
    struct awdb_options o;
    awdb_options_init(&o);
    o.mode = AWDB_SYNC;
    o.memtable_size = 256 << 10; /* flushes into the base during the run */
    o.wal_segment_size = segsize;
    o.io = io;
    return awdb_open(dir, &o, db, err, errlen);
}

static void value_of(uint64_t h, uint8_t *v)
{
    uint64_t x = h * 0x9E3779B97F4A7C15ull + 1;
    memcpy(v, &h, 8);
    for (int i = 8; i < VLEN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (uint8_t)x;
    }
}

static size_t key_of(uint64_t h, char *key)
{
    return (size_t)snprintf(key, 32, "key%010" PRIu64, h);
}

/* ---- the child ---- */

struct child {
    awdb *db;
    int fd;
};

static void *writer(void *arg)
{
    struct child *c = arg;
    awdb_txn *t;
    if (awdb_txn_new(c->db, &t))
        _exit(10);
    for (;;) {
        if (awdb_txn_begin(t, 0))
            _exit(11);
        const void *val;
        size_t vlen;
        uint64_t h = 0;
        int rc = awdb_get(t, "head", 4, &val, &vlen);
        if (rc == 0 && vlen == 8)
            memcpy(&h, val, 8);
        else if (rc != AWDB_NOTFOUND)
            _exit(12);
        char key[32];
        uint8_t v[VLEN];
        value_of(h, v);
        uint64_t next = h + 1;
        if (awdb_put(t, key, key_of(h, key), v, VLEN) || awdb_put(t, "head", 4, &next, 8))
            _exit(13);
        struct awdb_commit_info info;
        rc = awdb_txn_commit(t, &info);
        if (rc == AWDB_CONFLICT)
            continue;
        if (rc)
            _exit(14);
        uint64_t msg[2] = {h, info.seq};
        if (write(c->fd, msg, sizeof msg) != sizeof msg)
            _exit(15);
    }
    return NULL;
}

/* Blind writes of bigger values: volume for memtable flushes and WAL
 * segment rolls while the monotonic writers run. */
static void *filler(void *arg)
{
    struct child *c = arg;
    awdb_txn *t;
    if (awdb_txn_new(c->db, &t))
        _exit(16);
    uint8_t v[400];
    memset(v, 0xab, sizeof v);
    for (unsigned i = 0;; i++) {
        char key[32];
        int klen = snprintf(key, sizeof key, "fill%05u", i % 5000);
        if (awdb_txn_begin(t, 0) || awdb_put(t, key, (size_t)klen, v, sizeof v) ||
            awdb_txn_commit(t, NULL))
            _exit(17);
    }
    return NULL;
}

static void child_main(const char *dir, const char *journal, size_t segsize, int fd)
{
    struct child c = {NULL, fd};
    char err[512];
    struct awdb_fault *f = awdb_fault_new();
    if (!f || awdb_fault_journal(f, journal) < 0) {
        fprintf(stderr, "child: cannot start the fault journal %s\n", journal);
        _exit(22);
    }
    if (open_db(dir, awdb_fault_io(f), segsize, &c.db, err, sizeof err)) {
        fprintf(stderr, "child: %s\n", err);
        _exit(20);
    }
    uint64_t ready[2] = {UINT64_MAX, 0};
    if (write(fd, ready, sizeof ready) != sizeof ready)
        _exit(21);
    pthread_t th[WRITERS + 1];
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&th[i], NULL, writer, &c);
    pthread_create(&th[WRITERS], NULL, filler, &c);
    for (;;)
        pause();
}

/* ---- the parent ---- */

/* KVB_TEST_SEED, or one from the clock. Never 0 (xorshift's fixed point). */
static uint64_t test_seed(void)
{
    const char *env = getenv("KVB_TEST_SEED");
    char *end;
    uint64_t seed = env && *env ? strtoull(env, &end, 0) : 0;
    if (env && *env && *end)
        fail_msg("KVB_TEST_SEED=%s is not a number", env);
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    return seed ? seed : 1;
}

static uint64_t xorshift(uint64_t *r)
{
    *r ^= *r << 13;
    *r ^= *r >> 7;
    *r ^= *r << 17;
    return *r;
}

/* The killed child's WAL as a power loss leaves it: what the journal shows
 * unsynced is dropped in a pattern drawn from seed. Returns the bytes lost. */
static long power_loss(const char *journal, unsigned seed, int cycle)
{
    struct awdb_fault *f = awdb_fault_new();
    assert_non_null(f);
    long records = awdb_fault_load(f, journal); /* 0 if killed before its first WAL I/O */
    if (records < 0)
        fail_msg("cycle %d: fault journal %s: %s", cycle, journal, strerror((int)-records));
    long lost = awdb_fault_power_loss(f, seed);
    if (lost < 0)
        fail_msg("cycle %d: power loss: %s", cycle, strerror((int)-lost));
    awdb_fault_free(f);
    return lost;
}

static void test_sigkill_cycles(void **state)
{
    (void)state;
    char dir[PATH_MAX], journal[PATH_MAX + 16];
    kvbt_mkdtemp(dir, "awdb-sigkill");
    snprintf(journal, sizeof journal, "%s.journal", dir);
    uint64_t rng = test_seed();
    print_message("seed %" PRIu64 " (KVB_TEST_SEED=%" PRIu64 " replays it)\n", rng, rng);
    uint64_t prev_head = 0, max_seq = 0, total_acked = 0;
    int lossy = 0;
    size_t cap = 1 << 16;
    uint64_t *acked = malloc(cap * sizeof *acked);
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        size_t segsize = cycle / 2 % 2 ? 1u << 20 : 64u << 10;
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_main(dir, journal, segsize, p[1]);
        }
        close(p[1]);
        int run_ms = 20 + (int)(xorshift(&rng) % 180);
        unsigned loss_seed = (unsigned)(xorshift(&rng) >> 32) | 1;
        /* read acks until the child is ready, then for run_ms, then kill */
        size_t n = 0;
        bool ready = false;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long el = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
            if (ready && el >= run_ms)
                break;
            if (el > 20000)
                fail_msg("child not ready after 20 s");
            struct pollfd pfd = {p[0], POLLIN, 0};
            if (poll(&pfd, 1, 5) <= 0)
                continue;
            uint64_t msg[2];
            ssize_t r = read(p[0], msg, sizeof msg);
            if (r == 0)
                break; /* the child died by itself: checked below */
            assert_int_equal(r, sizeof msg);
            if (msg[0] == UINT64_MAX) {
                ready = true;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                continue;
            }
            if (n == cap)
                acked = realloc(acked, (cap *= 2) * sizeof *acked);
            acked[n++] = msg[0];
            if (msg[1] > max_seq)
                max_seq = msg[1];
        }
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            fail_msg("cycle %d: child did not die by SIGKILL (status 0x%x)", cycle, status);
        uint64_t msg[2];
        ssize_t r;
        while ((r = read(p[0], msg, sizeof msg)) == sizeof msg) {
            if (msg[0] == UINT64_MAX)
                continue;
            if (n == cap)
                acked = realloc(acked, (cap *= 2) * sizeof *acked);
            acked[n++] = msg[0];
            if (msg[1] > max_seq)
                max_seq = msg[1];
        }
        close(p[0]);
        total_acked += n;
        long lost = power_loss(journal, loss_seed, cycle);
        lossy += lost > 0;

        /* reopen and check */
        awdb *db;
        char err[512];
        int rc = open_db(dir, NULL, segsize, &db, err, sizeof err);
        if (rc)
            fail_msg("cycle %d: reopen: %s: %s", cycle, awdb_strerror(rc), err);
        /* new sequence numbers are above every acknowledged one */
        assert_true(awdb_visible_seq(db) > max_seq);
        awdb_txn *t;
        assert_int_equal(awdb_txn_new(db, &t), 0);
        assert_int_equal(awdb_txn_begin(t, AWDB_TXN_RDONLY), 0);
        const void *val;
        size_t vlen;
        uint64_t head = 0;
        rc = awdb_get(t, "head", 4, &val, &vlen);
        if (rc == 0) {
            assert_int_equal(vlen, 8);
            memcpy(&head, val, 8);
        } else {
            assert_int_equal(rc, AWDB_NOTFOUND);
        }
        if (head < prev_head)
            fail_msg("cycle %d: head went back from %" PRIu64 " to %" PRIu64, cycle, prev_head,
                     head);
        for (size_t i = 0; i < n; i++)
            if (acked[i] >= head)
                fail_msg("cycle %d: acknowledged h=%" PRIu64 " but head is %" PRIu64, cycle,
                         acked[i], head);
        for (uint64_t h = 0; h <= head; h++) {
            char key[32];
            uint8_t want[VLEN];
            size_t klen = key_of(h, key);
            rc = awdb_get(t, key, klen, &val, &vlen);
            if (h == head) {
                if (rc != AWDB_NOTFOUND)
                    fail_msg("cycle %d: key %" PRIu64 " exists beyond head", cycle, h);
                break;
            }
            if (rc != 0)
                fail_msg("cycle %d: key %" PRIu64 " below head %" PRIu64 " missing: %s", cycle, h,
                         head, awdb_strerror(rc));
            value_of(h, want);
            assert_int_equal(vlen, VLEN);
            assert_memory_equal(val, want, VLEN);
        }
        awdb_txn_free(t);
        print_message("cycle %2d: killed after %3d ms, %5zu acked, %6ld unsynced bytes lost, "
                      "head %" PRIu64 "\n",
                      cycle, run_ms, n, lost, head);
        prev_head = head;
        if (cycle % 2)
            assert_int_equal(awdb_close(db), 0);
        else
            assert_int_equal(awdb_abandon(db), 0);
    }
    assert_true(total_acked > 0);
    assert_true(lossy > 0); /* the power losses did drop unsynced writes */
    free(acked);
    kvbt_rmtree(dir);
    unlink(journal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_cycles),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
