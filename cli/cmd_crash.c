/*
 * cmd_crash.c - `kvbench crash`: crash consistency of every backend.
 *
 * For each configuration of the sweep: a child runs the monotonic writers
 * and readers on one data directory and reports each acknowledged commit on
 * a pipe; the parent kills it with SIGKILL at a random moment; a fresh child
 * reopens the directory (timed: recovery) and checks that every commit
 * acknowledged before the kill is there and the invariants hold. K times,
 * then a last check. With sync, any lost acknowledged commit is a failure;
 * without, the loss is reported as a measured window (how long before the
 * kill the oldest lost commit was acknowledged).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "report/table.h"
#include "util/clock.h"
#include "util/fs.h"
#include "workloads/crash.h"
#include "workloads/pace.h"

static const char *const columns[] = {
    "config_label", "backend", "status", "sync", "kills", "acked_commits",
    "lost_acked_commits", "loss_window_ms", "recovery_p50_ms", "recovery_max_ms",
    "final_head", "detail",
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

struct acks {
    struct kvb_ack *v;
    size_t n, cap;
};

static int acks_add(struct acks *a, const struct kvb_ack *x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        struct kvb_ack *v = realloc(a->v, cap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *x;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs the check in a child (a backend that crashes on open costs a row,
 * not the command) and reads its verdict back through a pipe. */
static int check_in_child(const struct kvb_config *cfg, const char *dir, const struct acks *a,
                          struct kvb_crash_check *out)
{
    int p[2];
    uint64_t *idx = malloc((a->n ? a->n : 1) * sizeof(*idx));
    if (!idx || pipe(p) != 0) {
        free(idx);
        snprintf(out->detail, sizeof(out->detail), "pipe: %s", strerror(errno));
        out->failed = true;
        return -1;
    }
    for (size_t i = 0; i < a->n; i++)
        idx[i] = a->v[i].index;
    qsort(idx, a->n, sizeof(*idx), cmp_u64);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct kvb_crash_check r;
        kvb_crash_check(cfg, dir, idx, a->n, &r);
        ssize_t w = write(p[1], &r, sizeof(r));
        _exit(w == (ssize_t)sizeof(r) ? 0 : 3);
    }
    close(p[1]);
    free(idx);
    memset(out, 0, sizeof(*out));
    size_t got = 0;
    while (pid > 0 && got < sizeof(*out)) {
        ssize_t r = read(p[0], (char *)out + got, sizeof(*out) - got);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            break;
        if (r > 0)
            got += (size_t)r;
    }
    close(p[0]);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    if (pid < 0 || got != sizeof(*out)) {
        memset(out, 0, sizeof(*out));
        out->failed = true;
        snprintf(out->detail, sizeof(out->detail), "the checking process %s",
                 pid < 0                ? "could not be started"
                 : WIFSIGNALED(st) ? strsignal(WTERMSIG(st))
                                        : "exited without a verdict");
        return -1;
    }
    return out->failed ? -1 : 0;
}

/* Starts the workload on dir in a child; it reports acks on the returned fd. */
static pid_t start_workload(const struct kvb_config *cfg, const char *dir, int *fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct kvb_result *res = malloc(sizeof(*res));
        if (!res)
            _exit(3);
        kvb_run_acked(cfg, dir, res, p[1]);
        _exit(0); /* not expected: the parent kills first */
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    *fd = p[0];
    return pid;
}

/* Reads acks until the pipe closes (the child is dead). */
static int drain(int fd, struct acks *a)
{
    struct kvb_ack buf[256];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, (char *)buf + have, sizeof(buf) - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        size_t whole = have / sizeof(buf[0]);
        for (size_t i = 0; i < whole; i++)
            if (acks_add(a, &buf[i]) != 0)
                return -1;
        have -= whole * sizeof(buf[0]);
        memmove(buf, (char *)buf + whole * sizeof(buf[0]), have);
    }
    return 0;
}

#define MAX_KILLS 1000

struct outcome {
    unsigned kills;
    uint64_t acked;         /* acknowledged commits over all rounds */
    uint64_t lost;          /* acknowledged commits missing after their round's kill */
    double loss_window_ms;  /* longest time between a lost commit's ack and the kill */
    double recovery[MAX_KILLS];
    unsigned nrec;
    uint64_t head;
    bool failed, broken;
    char detail[512];
};

/* Kills and checks one configuration `kills` times on one data directory. */
static void crash_one(const struct kvb_config *base, unsigned kills, struct kvb_rng *rng,
                      double min_ms, double max_ms, struct outcome *o)
{
    struct kvb_config cfg = *base;
    struct acks a = {0};
    char dir[PATH_MAX], err[512];

    cfg.duration = 24 * 3600; /* the kill always comes first */
    cfg.warmup = 0;
    memset(o, 0, sizeof(*o));
    if (kvb_rundir_make(&cfg, "crash", dir, err, sizeof(err)) != 0) {
        o->failed = true;
        snprintf(o->detail, sizeof(o->detail), "%s", err);
        return;
    }
    for (unsigned k = 1; k <= kills; k++) {
        int fd;
        pid_t pid = start_workload(&cfg, dir, &fd);
        if (pid < 0) {
            o->failed = true;
            snprintf(o->detail, sizeof(o->detail), "fork: %s", strerror(errno));
            break;
        }
        double wait_ms = min_ms + (max_ms - min_ms) * kvb_rng_unit(rng);
        struct timespec ts = {(time_t)(wait_ms / 1000), (long)(fmod(wait_ms, 1000) * 1e6)};
        nanosleep(&ts, NULL);
        uint64_t kill_ns = kvb_now_ns();
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        size_t before = a.n;
        if (drain(fd, &a) != 0) {
            o->failed = true;
            snprintf(o->detail, sizeof(o->detail), "out of memory recording acks");
        }
        close(fd);
        o->kills++;
        if (o->failed)
            break;
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
            o->failed = true;
            snprintf(o->detail, sizeof(o->detail),
                     "kill %u: the workload ended before it was killed (%s %d)", k,
                     WIFSIGNALED(st) ? "signal" : "exit status",
                     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            break;
        }

        /* The acks of this round must all be there after the reopen. */
        struct acks round = {.v = a.v + before, .n = a.n - before};
        struct kvb_crash_check c;
        check_in_child(&cfg, dir, &round, &c);
        if (!c.failed && o->nrec < MAX_KILLS)
            o->recovery[o->nrec++] = c.open_ms;
        o->head = c.head;
        if (c.failed || c.broken) {
            o->failed = c.failed;
            o->broken = c.broken;
            snprintf(o->detail, sizeof(o->detail), "after kill %u: %s", k, c.detail);
            break;
        }
        if (c.lost) {
            uint64_t oldest = kill_ns;
            for (size_t i = before; i < a.n; i++)
                if (a.v[i].index >= c.head && a.v[i].ack_ns < oldest)
                    oldest = a.v[i].ack_ns;
            double w = (double)(kill_ns - oldest) / 1e6;
            if (w > o->loss_window_ms)
                o->loss_window_ms = w;
            if (!o->lost)
                snprintf(o->detail, sizeof(o->detail),
                         "after kill %u: %llu acknowledged commits lost (first index %llu, "
                         "acknowledged %.1f ms before the kill)",
                         k, (unsigned long long)c.lost, (unsigned long long)c.first_lost, w);
            o->lost += c.lost;
        }
    }
    o->acked = a.n;
    if (kvb_rmtree(dir, err, sizeof(err)) != 0)
        fprintf(stderr, "kvbench crash: %s\n", err);
    free(a.v);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvbench crash [CONFIG.yaml] [--kills K] [--min-ms A] [--max-ms B] [-o DIR]\n"
            "                     [--set KEY=VALUE]...\n"
            "\n"
            "For each configuration (backends that persist their data): runs its monotonic\n"
            "writers and readers on one data directory, kills the process with SIGKILL after\n"
            "a random time in [A, B] ms, reopens the directory in a fresh process (timed: the\n"
            "recovery time) and checks that every commit acknowledged before the kill is\n"
            "there and that head and keys satisfy the monotonic-writer invariants; K times.\n"
            "With sync: true a lost acknowledged commit fails the row; with sync: false the\n"
            "loss is reported as a window (how long before the kill the oldest lost commit\n"
            "was acknowledged). Writes DIR/NAME-crash.csv (default DIR: results).\n"
            "\n"
            "  --kills K      kills per configuration (default 5)\n"
            "  --min-ms A     shortest time before a kill (default 200)\n"
            "  --max-ms B     longest time before a kill (default 1000)\n"
            "  -o DIR         results directory\n"
            "  --set K=V      override a config key (VALUE is YAML)\n");
}

static double parse_ms(const char *s, const char *flag, bool *ok)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0) {
        fprintf(stderr, "kvbench crash: %s expects milliseconds >= 0, got '%s'\n", flag, s);
        *ok = false;
    }
    return v;
}

int kvb_cmd_crash(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kills", required_argument, NULL, 'k'},  {"min-ms", required_argument, NULL, 'a'},
        {"max-ms", required_argument, NULL, 'b'}, {"output", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kvb_sets sets = {0};
    struct kvb_sweep *sw = NULL;
    struct kvb_table t = {0};
    struct outcome *o = NULL;
    const char *outdir = "results";
    unsigned long kills = 5;
    double min_ms = 200, max_ms = 1000;
    bool ok = true;
    int opt, status = KVB_EXIT_USAGE;
    char *end;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'k':
            kills = strtoul(optarg, &end, 10);
            if (end == optarg || *end || kills == 0 || kills > MAX_KILLS) {
                fprintf(stderr, "kvbench crash: --kills expects 1 to %d, got '%s'\n", MAX_KILLS,
                        optarg);
                goto out;
            }
            break;
        case 'a':
            min_ms = parse_ms(optarg, "--min-ms", &ok);
            break;
        case 'b':
            max_ms = parse_ms(optarg, "--max-ms", &ok);
            break;
        case 'o':
            outdir = optarg;
            break;
        case 's':
            if (kvb_sets_add(&sets, optarg) != 0)
                goto out;
            break;
        case 'h':
            usage(stdout);
            status = KVB_EXIT_OK;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (!ok)
        goto out;
    if (max_ms < min_ms) {
        fprintf(stderr, "kvbench crash: --max-ms %g is below --min-ms %g\n", max_ms, min_ms);
        goto out;
    }
    if (kvb_load_operand("crash", argc, argv, optind, &sets, &sw) != 0)
        goto out;

    size_t n = kvb_sweep_count(sw);
    char err[1024], path[PATH_MAX], name[128];
    kvb_safe_name(name, sizeof(name), kvb_sweep_name(sw));
    if (snprintf(path, sizeof(path), "%s/%s-crash.csv", outdir, name) >= (int)sizeof(path) ||
        kvb_mkdir_p(outdir, err, sizeof(err)) != 0 || kvb_table_init(&t, columns, NCOLS) != 0 ||
        !(o = malloc(sizeof(*o)))) {
        fprintf(stderr, "kvbench crash: cannot prepare %s\n", outdir);
        status = KVB_EXIT_FAILED;
        goto out;
    }
    status = KVB_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        struct kvb_run_spec spec;
        struct kvb_config_error ce;
        if (kvb_sweep_spec(sw, i, &spec, &ce) != 0) {
            kvb_config_error_format(&ce, err, sizeof(err));
            fprintf(stderr, "kvbench crash: %s\n", err);
            status = KVB_EXIT_USAGE;
            goto out;
        }
        const struct kvb_config *cfg = &spec.cfg;
        char c[NCOLS][64];
        const char *cells[NCOLS];
        for (size_t k = 0; k < NCOLS; k++)
            cells[k] = c[k];
        snprintf(c[0], sizeof(c[0]), "%s", spec.label);
        snprintf(c[1], sizeof(c[1]), "%s", cfg->backend);
        snprintf(c[3], sizeof(c[3]), "%s", cfg->sync ? "true" : "false");
        for (size_t k = 4; k < NCOLS; k++)
            c[k][0] = '\0';
        char detail[600] = "";
        cells[11] = detail;
        bool persists = (cfg->be->caps & (KVB_CAP_PERSIST | KVB_CAP_STORES)) ==
                        (KVB_CAP_PERSIST | KVB_CAP_STORES);
        if (!persists || cfg->num_writers == 0) {
            snprintf(c[2], sizeof(c[2]), "n/a");
            snprintf(detail, sizeof(detail), "%s",
                     !persists ? "backend keeps no data across processes"
                               : "no monotonic writers: nothing to check");
        } else {
            fprintf(stderr, "kvbench crash: %s %s: %lu kills\n", spec.label, cfg->backend, kills);
            struct kvb_rng rng;
            kvb_rng_seed(&rng, cfg->seed * 7919u + i);
            crash_one(cfg, (unsigned)kills, &rng, min_ms, max_ms, o);
            qsort(o->recovery, o->nrec, sizeof(double), cmp_double);
            bool bad = o->failed || o->broken || (cfg->sync && o->lost);
            snprintf(c[2], sizeof(c[2]), "%s",
                     o->failed ? "failed" : bad ? "violation" : "ok");
            snprintf(c[4], sizeof(c[4]), "%u", o->kills);
            snprintf(c[5], sizeof(c[5]), "%llu", (unsigned long long)o->acked);
            snprintf(c[6], sizeof(c[6]), "%llu", (unsigned long long)o->lost);
            if (!cfg->sync)
                snprintf(c[7], sizeof(c[7]), "%.3f", o->loss_window_ms);
            if (o->nrec) {
                snprintf(c[8], sizeof(c[8]), "%.3f", o->recovery[o->nrec / 2]);
                snprintf(c[9], sizeof(c[9]), "%.3f", o->recovery[o->nrec - 1]);
            }
            snprintf(c[10], sizeof(c[10]), "%llu", (unsigned long long)o->head);
            snprintf(detail, sizeof(detail), "%s", o->detail);
            fprintf(stderr, "  %s: %u kills, %llu acknowledged, %llu lost%s%s\n", c[2], o->kills,
                    (unsigned long long)o->acked, (unsigned long long)o->lost,
                    o->detail[0] ? "; " : "", o->detail);
            if (bad)
                status = KVB_EXIT_FAILED;
        }
        kvb_config_free(&spec.cfg);
        if (kvb_table_add_row(&t, cells) != 0) {
            fprintf(stderr, "kvbench crash: out of memory\n");
            status = KVB_EXIT_FAILED;
            goto out;
        }
    }
    if (kvb_csv_write(path, &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "kvbench crash: %s\n", err);
        status = KVB_EXIT_FAILED;
        goto out;
    }
    fprintf(stderr, "kvbench crash: %zu rows -> %s\n", t.nrows, path);
out:
    free(o);
    kvb_table_free(&t);
    if (sw)
        kvb_sweep_free(sw);
    kvb_sets_free(&sets);
    return status;
}
