/*
 * cmd_crash.c - `kvbench crash`: crash consistency of every backend.
 *
 * For each configuration of the sweep: a child runs the monotonic writers
 * and readers on one data directory and appends each acknowledged commit to
 * an ack log in memory it shares with this process (workloads/crash.h: it
 * never blocks nor slows the writers, and survives the kill); the parent
 * kills it with SIGKILL at a random moment; a fresh child reopens the
 * directory (timed: recovery) and checks that every commit acknowledged
 * before the kill is there and the invariants hold. K times, then a last
 * check. With sync, any lost acknowledged commit is a failure; without, the
 * loss is reported as a measured window (how long before the kill the
 * oldest lost commit was acknowledged). Acks past the log's last slot are
 * counted as unchecked, never silently dropped.
 *
 * Whether a backend keeps data across processes can depend on its options
 * (mem does with persist: true): kvb_backend_caps asks it.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "sweep/rundir.h"
#include "report/table.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/sort.h"
#include "util/text.h"
#include "workloads/crash.h"
#include "workloads/pace.h"

enum col {
    COL_LABEL,
    COL_BACKEND,
    COL_STATUS,
    COL_SYNC,
    COL_KILLS,
    COL_ACKED,
    COL_UNCHECKED,
    COL_LOST,
    COL_WINDOW,
    COL_RECOVERY_P50,
    COL_RECOVERY_MAX,
    COL_HEAD,
    COL_DETAIL,
    NCOLS
};

static const char *const columns[NCOLS] = {
    [COL_LABEL] = "config_label",
    [COL_BACKEND] = "backend",
    [COL_STATUS] = "status",
    [COL_SYNC] = "sync",
    [COL_KILLS] = "kills",
    [COL_ACKED] = "acked_commits",
    [COL_UNCHECKED] = "unchecked_acked_commits", /* past the ack log's last slot */
    [COL_LOST] = "lost_acked_commits",
    [COL_WINDOW] = "loss_window_ms",
    [COL_RECOVERY_P50] = "recovery_p50_ms",
    [COL_RECOVERY_MAX] = "recovery_max_ms",
    [COL_HEAD] = "final_head",
    [COL_DETAIL] = "detail",
};

/* Runs the check of the sorted acknowledged indices idx[0 .. n) in a child
 * (a backend that crashes on open costs a row, not the command) and reads
 * its verdict back through a pipe. */
static int check_in_child(const struct kvb_config *cfg, const char *dir, const uint64_t *idx,
                          size_t n, struct kvb_crash_check *out)
{
    int p[2];
    if (pipe(p) != 0) {
        memset(out, 0, sizeof(*out));
        snprintf(out->detail, sizeof(out->detail), "pipe: %s", strerror(errno));
        out->failed = true;
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct kvb_crash_check r;
        kvb_crash_check(cfg, dir, idx, n, &r);
        ssize_t w = write(p[1], &r, sizeof(r));
        _exit(w == (ssize_t)sizeof(r) ? 0 : 3);
    }
    close(p[1]);
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

/* Starts the workload on dir in a child, appending its acks to log. */
static pid_t start_workload(const struct kvb_config *cfg, const char *dir, struct kvb_ack_log *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct kvb_result *res = malloc(sizeof(*res));
        if (!res)
            _exit(3);
        kvb_run_acked(cfg, dir, res, log);
        _exit(0); /* not expected: the parent kills first */
    }
    return pid;
}

/* The complete acks of a dead workload's log: their indices, sorted, in a
 * new array (*idx, freed by the caller). Returns how many, or -1. */
static ssize_t acked_indices(const struct kvb_ack_log *log, uint64_t **idx)
{
    size_t len = kvb_ack_log_len(log), n = 0;
    if (!(*idx = malloc((len ? len : 1) * sizeof(**idx))))
        return -1;
    struct kvb_ack a;
    for (size_t i = 0; i < len; i++)
        if (kvb_ack_log_get(log, i, &a))
            (*idx)[n++] = a.index;
    kvb_sort_u64(*idx, n);
    return (ssize_t)n;
}

/* When the earliest ack of an index >= head came: the oldest commit lost. */
static uint64_t oldest_lost_ack(const struct kvb_ack_log *log, uint64_t head, uint64_t kill_ns)
{
    uint64_t oldest = kill_ns;
    size_t len = kvb_ack_log_len(log);
    struct kvb_ack a;
    for (size_t i = 0; i < len; i++)
        if (kvb_ack_log_get(log, i, &a) && a.index >= head && a.ack_ns < oldest)
            oldest = a.ack_ns;
    return oldest;
}

#define MAX_KILLS 1000

struct outcome {
    unsigned kills;
    uint64_t acked;         /* acknowledged commits over all rounds, checked */
    uint64_t unchecked;     /* acknowledged commits the ack logs had no slot for */
    uint64_t lost;          /* acknowledged commits missing after their round's kill */
    double loss_window_ms;  /* longest time between a lost commit's ack and the kill */
    double recovery[MAX_KILLS];
    unsigned nrec;
    uint64_t head;
    bool failed, broken;
    char detail[512];
};

/* One kill of the workload on dir, then the check of what it acknowledged.
 * Returns 0 to go on, -1 when o->failed or o->broken ends the row. */
static int crash_round(const struct kvb_config *cfg, const char *dir, unsigned k, double wait_ms,
                       struct outcome *o)
{
    char err[256];
    uint64_t *idx = NULL;
    int rc = -1;
    struct kvb_ack_log *log = kvb_ack_log_new(KVB_ACK_LOG_SLOTS, err, sizeof(err));
    if (!log) {
        o->failed = true;
        snprintf(o->detail, sizeof(o->detail), "kill %u: %s", k, err);
        goto out;
    }
    pid_t pid = start_workload(cfg, dir, log);
    if (pid < 0) {
        o->failed = true;
        snprintf(o->detail, sizeof(o->detail), "fork: %s", strerror(errno));
        goto out;
    }
    struct timespec ts = {(time_t)(wait_ms / 1000), (long)(fmod(wait_ms, 1000) * 1e6)};
    nanosleep(&ts, NULL);
    uint64_t kill_ns = kvb_now_ns();
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    o->kills++;
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
        o->failed = true;
        snprintf(o->detail, sizeof(o->detail),
                 "kill %u: the workload ended before it was killed (%s %d)", k,
                 WIFSIGNALED(st) ? "signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        goto out;
    }
    ssize_t n = acked_indices(log, &idx);
    if (n < 0) {
        o->failed = true;
        snprintf(o->detail, sizeof(o->detail), "kill %u: out of memory reading the ack log", k);
        goto out;
    }
    o->acked += (uint64_t)n;
    o->unchecked += kvb_ack_log_overflow(log);

    /* The acks of this round must all be there after the reopen. */
    struct kvb_crash_check c;
    check_in_child(cfg, dir, idx, (size_t)n, &c);
    if (!c.failed && o->nrec < MAX_KILLS)
        o->recovery[o->nrec++] = c.open_ms;
    o->head = c.head;
    if (c.failed || c.broken) {
        o->failed = c.failed;
        o->broken = c.broken;
        snprintf(o->detail, sizeof(o->detail), "after kill %u: %s", k, c.detail);
        goto out;
    }
    if (c.lost) {
        double w = (double)(kill_ns - oldest_lost_ack(log, c.head, kill_ns)) / 1e6;
        if (w > o->loss_window_ms)
            o->loss_window_ms = w;
        if (!o->lost)
            snprintf(o->detail, sizeof(o->detail),
                     "after kill %u: %llu acknowledged commits lost (first index %llu, "
                     "acknowledged %.1f ms before the kill)",
                     k, (unsigned long long)c.lost, (unsigned long long)c.first_lost, w);
        o->lost += c.lost;
    }
    rc = 0;
out:
    free(idx);
    kvb_ack_log_free(log);
    return rc;
}

/* Kills and checks one configuration `kills` times on one data directory. */
static void crash_one(const struct kvb_config *base, unsigned kills, struct kvb_rng *rng,
                      double min_ms, double max_ms, struct outcome *o)
{
    struct kvb_config cfg = *base;
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
        double wait_ms = min_ms + (max_ms - min_ms) * kvb_rng_unit(rng);
        if (crash_round(&cfg, dir, k, wait_ms, o) != 0)
            break;
    }
    if (kvb_rmtree(dir, err, sizeof(err)) != 0)
        fprintf(stderr, "kvbench crash: %s\n", err);
}

/* Fills the cells of a crashed configuration's row (and says it on stderr).
 * Returns whether the row fails the command. */
static bool outcome_row(struct outcome *o, bool sync, char c[NCOLS][64], char *detail, size_t dlen)
{
    kvb_sort_double(o->recovery, o->nrec);
    bool bad = o->failed || o->broken || (sync && o->lost);
    snprintf(c[COL_STATUS], sizeof(c[0]), "%s", o->failed ? "failed" : bad ? "violation" : "ok");
    snprintf(c[COL_KILLS], sizeof(c[0]), "%u", o->kills);
    snprintf(c[COL_ACKED], sizeof(c[0]), "%llu", (unsigned long long)o->acked);
    snprintf(c[COL_UNCHECKED], sizeof(c[0]), "%llu", (unsigned long long)o->unchecked);
    snprintf(c[COL_LOST], sizeof(c[0]), "%llu", (unsigned long long)o->lost);
    if (!sync)
        snprintf(c[COL_WINDOW], sizeof(c[0]), "%.3f", o->loss_window_ms);
    if (o->nrec) {
        snprintf(c[COL_RECOVERY_P50], sizeof(c[0]), "%.3f", o->recovery[o->nrec / 2]);
        snprintf(c[COL_RECOVERY_MAX], sizeof(c[0]), "%.3f", o->recovery[o->nrec - 1]);
    }
    snprintf(c[COL_HEAD], sizeof(c[0]), "%llu", (unsigned long long)o->head);
    int len = snprintf(detail, dlen, "%s", o->detail);
    if (o->unchecked && len >= 0 && (size_t)len < dlen)
        snprintf(detail + len, dlen - (size_t)len,
                 "%s%llu acknowledged commits not checked: the ack log (%zu slots per kill) "
                 "was full",
                 len ? "; " : "", (unsigned long long)o->unchecked, KVB_ACK_LOG_SLOTS);
    fprintf(stderr, "  %s: %u kills, %llu acknowledged, %llu lost%s%s\n", c[COL_STATUS], o->kills,
            (unsigned long long)o->acked, (unsigned long long)o->lost, detail[0] ? "; " : "",
            detail);
    return bad;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvbench crash [CONFIG.yaml] [--kills K] [--min-ms A] [--max-ms B] [-o DIR]\n"
            "                     [--set KEY=VALUE]...\n"
            "\n"
            "For each configuration (backends that persist their data; mem with mem.persist:\n"
            "true): runs its monotonic writers and readers on one data directory, kills the\n"
            "process with SIGKILL after a random time in [A, B] ms, reopens the directory in\n"
            "a fresh process (timed: the recovery time) and checks that every commit\n"
            "acknowledged before the kill is there and that head and keys satisfy the\n"
            "monotonic-writer invariants; K times. With sync: true a lost acknowledged\n"
            "commit fails the row; with sync: false the loss is reported as a window (how\n"
            "long before the kill the oldest lost commit was acknowledged). Acks go to\n"
            "shared memory and never slow the writers; those past its %zu slots per kill\n"
            "are counted as unchecked_acked_commits.\n"
            "Writes DIR/NAME-crash.csv (default DIR: results).\n"
            "\n"
            "  --kills K      kills per configuration (default 5)\n"
            "  --min-ms A     shortest time before a kill (default 200)\n"
            "  --max-ms B     longest time before a kill (default 1000)\n"
            "  -o DIR         results directory\n"
            "  --set K=V      override a config key (VALUE is YAML)\n",
            KVB_ACK_LOG_SLOTS);
}

static double parse_ms(const char *s, const char *flag, bool *ok)
{
    double v = kvb_parse_number(s);
    if (isnan(v) || v < 0) {
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
    while ((opt = kvb_getopt("crash", argc, argv, "o:h", longopts)) != -1) {
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
        for (size_t k = 0; k < NCOLS; k++) {
            cells[k] = c[k];
            c[k][0] = '\0';
        }
        snprintf(c[COL_LABEL], sizeof(c[0]), "%s", spec.label);
        snprintf(c[COL_BACKEND], sizeof(c[0]), "%s", cfg->backend);
        snprintf(c[COL_SYNC], sizeof(c[0]), "%s", cfg->sync ? "true" : "false");
        char detail[600] = "";
        cells[COL_DETAIL] = detail;
        const unsigned need = KVB_CAP_PERSIST | KVB_CAP_STORES;
        bool persists = (kvb_backend_caps(cfg->be, cfg->bopts) & need) == need;
        if (!persists || cfg->num_writers == 0) {
            snprintf(c[COL_STATUS], sizeof(c[0]), "n/a");
            snprintf(detail, sizeof(detail), "%s",
                     !persists ? "backend keeps no data across processes"
                               : "no monotonic writers: nothing to check");
        } else {
            fprintf(stderr, "kvbench crash: %s %s: %lu kills\n", spec.label, cfg->backend, kills);
            struct kvb_rng rng;
            kvb_rng_seed(&rng, cfg->seed * 7919u + i);
            crash_one(cfg, (unsigned)kills, &rng, min_ms, max_ms, o);
            if (outcome_row(o, cfg->sync, c, detail, sizeof(detail)))
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
