/*
 * test_faults.c - what real machines do to a sweep, and hostile input:
 * a full disk fails the run with a message that says so while the sweep
 * goes on; a run past its memory ceiling is killed and reported; earlier
 * results are never overwritten; an interrupted sweep keeps its finished
 * rows, marked partial; a sweep name cannot lead output out of its directory.
 * Each runs the kvbench program as a user would.
 *
 * The full disks are small tmpfs mounts, made in a mount namespace of the
 * test's own where it can make one (so they vanish with it); they need root
 * (CAP_SYS_ADMIN). Without, those tests skip - or fail under CI (CI=true),
 * which runs them as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "report/table.h"
#include "tests/testutil.h"
#include "util/fs.h"
#include "workloads/crash.h"
#include "workloads/kv.h"

struct fx {
    char dir[PATH_MAX];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    kvbt_mkdtemp(f->dir, "faults");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char mnt[PATH_MAX + 8];
    snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
    umount2(mnt, MNT_DETACH); /* a test that mounted and failed half way */
    kvbt_rmtree(f->dir);
    free(f);
    return 0;
}

/* Mounts a tmpfs of the given size ("2m") on mnt, or skips (or under CI
 * fails) the test saying why. The first call moves the process into a
 * mount namespace of its own, where it can: the kvbench programs it starts
 * see the mount too, nothing outside does. */
static void mount_small(const char *mnt, const char *size)
{
    static bool unshared;
    if (geteuid() != 0)
        kvbt_skip_or_fail("mounting a small tmpfs for a full disk needs root");
    if (!unshared)
        unshared =
            unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    char opts[32];
    snprintf(opts, sizeof(opts), "size=%s", size);
    if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0)
        kvbt_skip_or_fail("mount -t tmpfs -o %s tmpfs %s (%s mount namespace): %s", opts, mnt,
                          unshared ? "in a" : "without a", strerror(errno));
}

/* Runs `kvbench ARGS` with stderr to DIR/stderr.txt; returns the exit status. */
static int kvbench(const struct fx *f, const char *args)
{
    char cmd[PATH_MAX * 4];
    snprintf(cmd, sizeof(cmd), "%s/kvbench %s 2>%s/stderr.txt >/dev/null", KVB_TEST_BINARY_DIR,
             args, f->dir);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static const char *cell(const struct kvb_table *t, size_t r, const char *col)
{
    const char *v = kvb_table_get(t, r, col);
    if (!v)
        fail_msg("no column %s", col);
    return v;
}

static void read_csv(const char *path, struct kvb_table *t)
{
    char err[512];
    if (kvb_csv_read(path, t, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

static void test_disk_full(void **state)
{
    struct fx *f = *state;
    char mnt[PATH_MAX + 8], args[PATH_MAX * 3], csv[PATH_MAX + 16];
    snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    mount_small(mnt, "2m");
    snprintf(args, sizeof(args),
             "sweep -o %s/out --set name=full --set backends=[lmdb,awdb,mem] --set duration=0.5 "
             "--set warmup=0 --set preload=100000 --set data_dir=%s",
             f->dir, mnt);
    int rc = kvbench(f, args);
    umount(mnt);
    assert_int_equal(rc, 1); /* a run failed; the sweep itself completed */
    snprintf(csv, sizeof(csv), "%s/out/full.csv", f->dir);
    struct kvb_table t;
    read_csv(csv, &t);
    assert_int_equal(t.nrows, 3);
    for (size_t r = 0; r < 2; r++) {
        assert_string_equal(cell(&t, r, "backend"), r ? "awdb" : "lmdb");
        assert_string_equal(cell(&t, r, "status"), "failed");
        assert_non_null(strstr(cell(&t, r, "failure_reason"), "is full"));
    }
    assert_string_equal(cell(&t, 2, "status"), "ok"); /* mem needs no disk: the sweep went on */
    kvb_table_free(&t);
}

/* awdb on a filesystem that fills up: commits fail with an error that
 * names the cause; once space is freed the database reopens with every
 * acknowledged commit and its invariants intact. */
static void test_awdb_disk_full_then_reopen(void **state)
{
    struct fx *f = *state;
    char mnt[PATH_MAX + 8], db[PATH_MAX + 16];
    snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
    snprintf(db, sizeof(db), "%s/db", mnt);
    assert_int_equal(mkdir(mnt, 0755), 0);
    mount_small(mnt, "3m");
    assert_int_equal(mkdir(db, 0755), 0);

    const char *sets[] = {"backends=awdb", "value_size=4000", "awdb.memtable_size=512KiB",
                          "awdb.wal_segment_size=256KiB"};
    struct kvb_sweep *sw;
    struct kvb_run_spec spec;
    struct kvb_config_error ce;
    assert_int_equal(kvb_sweep_load(NULL, sets, 4, &sw, &ce), 0);
    assert_int_equal(kvb_sweep_spec(sw, 0, &spec, &ce), 0);
    const struct kvb_backend *be = spec.cfg.be;
    struct kvb_db d = {.be = be};
    struct kvb_client c = {.db = &d};
    struct kvb_open_args oa = {.dir = db, .sync = true, .opts = spec.cfg.bopts,
                               .max_clients = 1, .expected_keys = 1000, .value_size = 4000};
    struct kvb_valgen vg;
    assert_int_equal(kvb_valgen_init(&vg, 4000, spec.cfg.seed), 0);
    uint8_t *val = malloc(4000);
    uint64_t *acked = malloc(10000 * sizeof(*acked));
    size_t n = 0;
    char key[KVB_KEY_MAX], head[24], err[KVB_ERRLEN] = "";
    kvb_value_prepare(&vg, val);
    assert_int_equal(be->open(&d, &oa), KVB_OK);
    assert_int_equal(be->client_open(&c), KVB_OK);
    /* monotonic commits until the filesystem is full */
    for (uint64_t h = 0; h < 10000; h++) {
        int rc = be->begin(&c, 0);
        kvb_value_fill(&vg, val, h, 0);
        if (rc == KVB_OK)
            rc = be->put(&c, key, kvb_monotonic_key(key, h), val, 4000);
        if (rc == KVB_OK)
            rc = be->put(&c, KVB_HEAD_KEY, 4, head, kvb_put_decimal(head, h + 1, 1));
        if (rc == KVB_OK)
            rc = be->commit(&c);
        else
            be->abort(&c);
        if (rc != KVB_OK) {
            snprintf(err, sizeof(err), "%s", c.err);
            break;
        }
        acked[n++] = h;
    }
    assert_true(err[0] != '\0'); /* 3 MiB cannot hold 10000 x 4 KB */
    assert_true(n > 0);
    /* Engines often report a full disk as EIO (LMDB does, under awdb's base
     * store); the harness then adds that the filesystem is full, which is
     * what a failed run's reason says (test_disk_full). */
    char note[256];
    if (!strcasestr(err, "space") && !kvb_fs_full_note(db, note, sizeof(note)))
        fail_msg("the error does not say the disk is full, nor is it: %s", err);
    be->client_close(&c);
    be->close(&d); /* may report the same failure */

    /* free space, reopen, check */
    assert_int_equal(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=64m"), 0);
    struct kvb_crash_check chk;
    int rc = kvb_crash_check(&spec.cfg, db, acked, n, &chk);
    umount(mnt);
    if (rc != 0 || chk.broken || chk.lost)
        fail_msg("after the disk filled (%s): %s; %llu of %zu acknowledged commits lost", err,
                 chk.detail, (unsigned long long)chk.lost, n);
    assert_true(chk.head >= n);
    free(val);
    free(acked);
    kvb_valgen_free(&vg);
    kvb_config_free(&spec.cfg);
    kvb_sweep_free(sw);
}

static void test_memory_ceiling(void **state)
{
    struct fx *f = *state;
    char args[PATH_MAX * 2], csv[PATH_MAX + 16];
    snprintf(args, sizeof(args),
             "sweep -o %s --set name=rss --set backends=[mem] --set duration=5 --set warmup=0 "
             "--set preload=3000000 --set value_size=200 --set max_rss_mb=64 "
             "--set data_dir=%s/data",
             f->dir, f->dir);
    assert_int_equal(kvbench(f, args), 1);
    snprintf(csv, sizeof(csv), "%s/rss.csv", f->dir);
    struct kvb_table t;
    read_csv(csv, &t);
    assert_int_equal(t.nrows, 1);
    assert_string_equal(cell(&t, 0, "status"), "failed");
    assert_non_null(strstr(cell(&t, 0, "failure_reason"), "memory ceiling"));
    kvb_table_free(&t);
}

static void test_results_never_overwritten(void **state)
{
    struct fx *f = *state;
    char args[PATH_MAX * 2], csv[PATH_MAX + 16];
    snprintf(args, sizeof(args),
             "sweep -o %s --set name=keep --set backends=[mem] --set duration=0.2 "
             "--set warmup=0 --set data_dir=%s/data",
             f->dir, f->dir);
    assert_int_equal(kvbench(f, args), 0);
    snprintf(csv, sizeof(csv), "%s/keep.csv", f->dir);
    char *first = kvbt_read_file(csv);
    assert_non_null(first);
    assert_int_equal(kvbench(f, args), 0);
    char *again = kvbt_read_file(csv);
    assert_string_equal(first, again); /* untouched */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/stderr.txt", f->dir);
    char *err = kvbt_read_file(path);
    assert_non_null(strstr(err, "timestamped"));
    /* the new results are there, under keep-<time>.csv */
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof(cmd), "ls %s/keep-*.csv >/dev/null 2>&1", f->dir);
    assert_int_equal(system(cmd), 0);
    /* --force overwrites */
    strcat(args, " --force");
    assert_int_equal(kvbench(f, args), 0);
    free(first);
    free(again);
    free(err);
}

static void test_interrupted_sweep_keeps_partial(void **state)
{
    struct fx *f = *state;
    char bin[PATH_MAX], outdir[PATH_MAX + 8], datadir[PATH_MAX + 16], logp[PATH_MAX + 16];
    snprintf(bin, sizeof(bin), "%s/kvbench", KVB_TEST_BINARY_DIR);
    snprintf(outdir, sizeof(outdir), "%s/out", f->dir);
    snprintf(datadir, sizeof(datadir), "data_dir=%s/data", f->dir);
    snprintf(logp, sizeof(logp), "%s/int.txt", f->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen(logp, "w", stderr);
        execl(bin, bin, "sweep", "-j", "1", "-o", outdir, "--set", "name=int", "--set",
              "backends=[mem]", "--set", "num_writers=[1,2,3,4]", "--set", "duration=0.6",
              "--set", "warmup=0", "--set", datadir, (char *)NULL);
        _exit(127);
    }
    /* wait until at least one run has finished, then interrupt */
    char partial[PATH_MAX + 32], final[PATH_MAX + 32];
    snprintf(partial, sizeof(partial), "%s/int.partial.csv", outdir);
    snprintf(final, sizeof(final), "%s/int.csv", outdir);
    for (int i = 0; i < 200 && access(partial, F_OK) != 0; i++)
        usleep(50 * 1000);
    assert_int_equal(access(partial, F_OK), 0);
    kill(pid, SIGINT);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    assert_int_not_equal(access(final, F_OK), 0); /* never a complete-looking file */
    struct kvb_table t;
    read_csv(partial, &t);
    assert_true(t.nrows >= 1 && t.nrows < 4);
    assert_string_equal(cell(&t, 0, "status"), "ok");
    kvb_table_free(&t);
}

static void test_name_cannot_escape(void **state)
{
    struct fx *f = *state;
    char args[PATH_MAX * 2], out[PATH_MAX + 8], path[PATH_MAX + 32];
    static const char *const hostile[] = {"../../evil", "/tmp/evil", ".hidden", "a/b", "x\\ny"};
    snprintf(out, sizeof(out), "%s/out", f->dir);
    assert_int_equal(mkdir(out, 0755), 0);
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        snprintf(args, sizeof(args),
                 "sweep -o %s --set 'name=\"%s\"' --set backends=[mem] --set duration=0.2 "
                 "--set warmup=0 --set data_dir=%s/data",
                 out, hostile[i], f->dir);
        assert_int_equal(kvbench(f, args), 2); /* refused as a config error */
        snprintf(path, sizeof(path), "%s/stderr.txt", f->dir);
        char *msg = kvbt_read_file(path);
        if (!strstr(msg, "key 'name'") || !strstr(msg, "file names"))
            fail_msg("name '%s': %s", hostile[i], msg);
        free(msg);
    }
    /* nothing was written anywhere */
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\" && ! test -e %s/../evil.csv", out, out);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_awdb_disk_full_then_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results_never_overwritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_sweep_keeps_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_cannot_escape, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
