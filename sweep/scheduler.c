/* scheduler.c - child processes, deadlines, rows and the CSV (see scheduler.h). */
#include "sweep/scheduler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/print.h"
#include "sweep/rundir.h"
#include "sweep/contention.h"
#include "report/row.h"
#include "sweep/summary.h"
#include "report/table.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/text.h"

struct slot {
    pid_t pid;          /* 0: free */
    size_t task;        /* index into tasks */
    uint64_t started, deadline;
    unsigned cur, max;  /* other runs running beside it now / at most */
    bool timed_out;
    double max_rss_mb;    /* the run's memory ceiling; 0: none */
    double warmup;        /* the run's warmup, seconds: samples before it are not judged */
    uint64_t next_sample; /* when to sample RSS and open files next */
    struct kvb_proc_samples samples;
    double rss_killed_mb; /* > 0: killed for passing max_rss_mb at this RSS */
    unsigned threads;     /* kvb_run_threads of its spec */
    struct kvb_run_contention cpu; /* the CPU it met */
    size_t *beside;                /* the tasks that ran beside it (malloc'd) */
    size_t nbeside, beside_cap;
    char dir[PATH_MAX]; /* data directory, made by the parent */
    char json[PATH_MAX];
    char log[PATH_MAX];
};

struct state {
    const struct kvb_sweep_opts *o;
    struct kvb_run_spec *specs;
    size_t nspecs;
    struct kvb_task *tasks; /* specs x repeats, in the order they start */
    size_t ntasks;
    size_t *first;      /* spec i's rows: rows[first[i] .. first[i+1]-1], one a repeat */
    char ***rows;       /* a run's cells once it finished, NULL before */
    struct slot *slots;
    unsigned jobs, running;
    unsigned *spec_threads; /* kvb_run_threads of each spec */
    unsigned cores;
    size_t done;
    struct kvb_sweep_outcome *out;
    uint64_t t0;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

size_t kvb_run_order(const unsigned *repeats, size_t nspecs, bool grouped, struct kvb_task *order)
{
    size_t k = 0;
    unsigned most = 0;
    for (size_t i = 0; i < nspecs; i++)
        most = repeats[i] > most ? repeats[i] : most;
    if (grouped) {
        for (size_t i = 0; i < nspecs; i++)
            for (unsigned r = 0; r < repeats[i]; r++)
                order[k++] = (struct kvb_task){.spec = i, .rep = r};
        return k;
    }
    for (unsigned r = 0; r < most; r++)
        for (size_t i = 0; i < nspecs; i++)
            if (r < repeats[i])
                order[k++] = (struct kvb_task){.spec = i, .rep = r};
    return k;
}

double kvb_run_deadline_secs(const struct kvb_config *cfg)
{
    if (cfg->timeout > 0)
        return cfg->timeout;
    return 2.0 * (cfg->warmup + cfg->duration) + 60.0 + (double)cfg->preload / 20000.0;
}

/* The last non-empty line of a file, for a failure reason. */
static void last_line(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            snprintf(buf, n, "%s", line);
    }
    fclose(f);
}

/* The child: run the spec, write the summary, exit. Never returns. */
static void child_main(const struct kvb_run_spec *spec, const struct slot *s)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    setpgid(0, 0); /* a terminal's ^C reaches the parent, which stops us */
    int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    struct kvb_result *res = malloc(sizeof(*res));
    if (!res) {
        fprintf(stderr, "out of memory\n");
        _exit(3);
    }
    kvb_run(&spec->cfg, s->dir, res);
    kvb_print_result(stdout, spec, res);
    char *cells[kvb_ncolumns];
    char err[1024];
    if (kvb_row_build(spec, res, NULL, cells) != 0) {
        fprintf(stderr, "out of memory building the row\n");
        _exit(3);
    }
    if (kvb_summary_write(s->json, spec, res, cells, s->dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "writing summary: %s\n", err);
        _exit(3);
    }
    fflush(stdout);
    _exit(0);
}

/* Notes that task t ran beside slot s's run (dropped if out of memory:
 * the list then lacks it, the counts stay right). */
static void add_beside(struct slot *s, size_t t)
{
    if (s->nbeside == s->beside_cap) {
        size_t cap = s->beside_cap ? s->beside_cap * 2 : 8;
        size_t *b = realloc(s->beside, cap * sizeof(*b));
        if (!b)
            return;
        s->beside = b;
        s->beside_cap = cap;
    }
    s->beside[s->nbeside++] = t;
}

/* "NNNN" or, for a configuration run more than once, "NNNN-rK": how the
 * run's files in runs/ begin. */
static void run_id(const struct state *st, size_t t, char *buf, size_t n)
{
    const struct kvb_run_spec *spec = &st->specs[st->tasks[t].spec];
    if (spec->cfg.repeat > 1)
        snprintf(buf, n, "%04zu-r%u", spec->index, st->tasks[t].rep + 1);
    else
        snprintf(buf, n, "%04zu", spec->index);
}

static int start(struct state *st, size_t t, char *err, size_t errlen)
{
    size_t i = st->tasks[t].spec;
    struct slot *s = NULL;
    for (unsigned k = 0; k < st->jobs; k++)
        if (!st->slots[k].pid)
            s = &st->slots[k];
    const struct kvb_run_spec *spec = &st->specs[i];
    char stem[384], safe[300];
    snprintf(safe, sizeof(safe), "%s-%s", spec->label, spec->cfg.backend);
    kvb_safe_name(stem, sizeof(stem), safe);
    memset(s, 0, sizeof(*s));
    s->task = t;
    char id[32];
    run_id(st, t, id, sizeof(id));
    if (snprintf(s->json, sizeof(s->json), "%s/%s-%s.json", st->out->runs_dir, id, stem) >=
            (int)sizeof(s->json) ||
        snprintf(s->log, sizeof(s->log), "%s/%s-%s.log", st->out->runs_dir, id, stem) >=
            (int)sizeof(s->log)) {
        snprintf(err, errlen, "output path too long under %s", st->out->runs_dir);
        return -1;
    }
    if (kvb_rundir_make(&spec->cfg, stem, s->dir, err, errlen) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        kvb_rmtree(s->dir, err, 0);
        return -1;
    }
    if (pid == 0)
        child_main(spec, s);
    s->pid = pid;
    s->started = kvb_now_ns();
    s->deadline = s->started + (uint64_t)(kvb_run_deadline_secs(&spec->cfg) * 1e9);
    s->max_rss_mb = spec->cfg.max_rss_mb;
    s->warmup = spec->cfg.warmup;
    s->next_sample = s->started + 1000000000u;
    s->cur = s->max = st->running;
    s->threads = st->spec_threads[i];
    s->cpu.cores = st->cores;
    kvb_cpu_gauge_read(&s->cpu.start);
    s->cpu.load_max = NAN;
    kvb_run_contention_note(&s->cpu, &s->cpu.start);
    unsigned threads = s->threads;
    for (unsigned k = 0; k < st->jobs; k++) {
        struct slot *o = &st->slots[k];
        if (!o->pid || o == s)
            continue;
        if (++o->cur > o->max)
            o->max = o->cur;
        threads += o->threads;
        add_beside(o, t);
        add_beside(s, o->task);
    }
    for (unsigned k = 0; k < st->jobs; k++) {
        struct slot *o = &st->slots[k];
        if (o->pid && threads > o->cpu.peak_threads)
            o->cpu.peak_threads = threads;
    }
    st->running++;
    return 0;
}

static void describe_failure(const struct slot *s, int wstatus, char *reason, size_t n)
{
    char tail[400];
    last_line(s->log, tail, sizeof(tail));
    const char *sep = tail[0] ? "; last output: " : "";
    if (s->timed_out)
        snprintf(reason, n, "timed out after %.0f s and was killed%s%s",
                 (double)(s->deadline - s->started) / 1e9, sep, tail);
    else if (s->rss_killed_mb > 0)
        snprintf(reason, n, "exceeded its memory ceiling: RSS %.0f MiB > max_rss_mb %g, killed%s%s",
                 s->rss_killed_mb, s->max_rss_mb, sep, tail);
    else if (interrupted)
        snprintf(reason, n, "interrupted (sweep stopped by a signal)");
    else if (WIFSIGNALED(wstatus))
        snprintf(reason, n, "crashed: killed by signal %d (%s)%s%s", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)), sep, tail);
    else
        snprintf(reason, n, "exited with status %d without a summary%s%s",
                 WEXITSTATUS(wstatus), sep, tail);
    char full[256];
    size_t len = strlen(reason);
    if (kvb_fs_full_note(s->dir, full, sizeof(full)) && len + 3 < n)
        snprintf(reason + len, n - len, "; %s", full);
}

/* ", writes 5/s p99 1.2 ms, reads ..." for the roles the run had. */
static void progress_figures(const struct kvb_run_spec *spec, char **cells)
{
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        const struct kvb_role_def *role = &kvb_roles[r];
        if (!kvb_role_clients(&spec->cfg, (enum kvb_role)r))
            continue;
        char col[64];
        snprintf(col, sizeof(col), "%s_p99_ms", role->col);
        const char *p99 = cells[kvb_column_index(col)];
        fprintf(stderr, ", %s %s/s", role->ops_noun, cells[kvb_column_index(role->tps_col)]);
        if (p99[0])
            fprintf(stderr, " p99 %s ms", p99);
    }
}

static void print_progress(struct state *st, const struct kvb_task *task, char **cells)
{
    const struct kvb_run_spec *spec = &st->specs[task->spec];
    if (st->o->progress < 0)
        return;
    double elapsed = (double)(kvb_now_ns() - st->t0) / 1e9;
    double eta = st->done ? elapsed / (double)st->done * (double)(st->ntasks - st->done) : 0;
    if (st->o->progress > 0) {
        fprintf(stderr, "\r\033[K[%zu/%zu] %zu failed, %zu violations, %u running, ETA %dm%02ds",
                st->done, st->ntasks, st->out->failed, st->out->violations, st->running,
                (int)eta / 60, (int)eta % 60);
        if (st->done == st->ntasks)
            fputc('\n', stderr);
        return;
    }
    const char *status = cells[kvb_column_index("status")];
    fprintf(stderr, "[%zu/%zu] %s %s", st->done, st->ntasks, spec->label, spec->cfg.backend);
    if (spec->cfg.repeat > 1)
        fprintf(stderr, " (repeat %u of %u)", task->rep + 1, spec->cfg.repeat);
    fprintf(stderr, ": %s", status);
    if (strcmp(status, KVB_STATUS_FAILED) == 0)
        fprintf(stderr, " (%s)", cells[kvb_column_index("failure_reason")]);
    else
        progress_figures(spec, cells);
    fprintf(stderr, "\n");
}

/* Resident memory of a process in MiB from /proc/PID/status: all of it
 * (VmRSS) and its anonymous part (RssAnon: heap and stacks, without the
 * file pages an engine maps); 0 when unknown. */
static double rss_mb_of(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double mb = 0;
    unsigned long long kb;
    size_t fl = strlen(field);
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, fl) == 0 && sscanf(line + fl, ": %llu kB", &kb) == 1)
            mb = (double)kb / 1024.0;
    fclose(f);
    return mb;
}

static double rss_mb(pid_t pid)
{
    return rss_mb_of(pid, "VmRSS");
}

/* Open file descriptors of a process: entries of /proc/PID/fd. */
static double open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    double n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* One sample of the child's RSS and open files (dropped if out of memory). */
static void sample(struct slot *s, uint64_t now)
{
    struct kvb_proc_samples *ps = &s->samples;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        double *t = realloc(ps->t, cap * sizeof(double));
        if (t)
            ps->t = t;
        double *r = realloc(ps->rss_mb, cap * sizeof(double));
        if (r)
            ps->rss_mb = r;
        double *f = realloc(ps->fds, cap * sizeof(double));
        if (f)
            ps->fds = f;
        double *a = realloc(ps->anon_mb, cap * sizeof(double));
        if (a)
            ps->anon_mb = a;
        if (!t || !r || !f || !a)
            return;
        ps->cap = cap;
    }
    ps->t[ps->n] = (double)(now - s->started) / 1e9;
    ps->rss_mb[ps->n] = rss_mb(s->pid);
    ps->fds[ps->n] = open_fds(s->pid);
    ps->anon_mb[ps->n] = rss_mb_of(s->pid, "RssAnon");
    ps->n++;
}

static void free_samples(struct kvb_proc_samples *ps)
{
    free(ps->t);
    free(ps->rss_mb);
    free(ps->fds);
    free(ps->anon_mb);
    memset(ps, 0, sizeof(*ps));
}

/* Row cells from the samples taken after warmup: peak RSS, growth of RSS
 * and of open files from the first to the last sample. */
static void sample_cells(const struct slot *s, char **cells)
{
    const struct kvb_proc_samples *ps = &s->samples;
    size_t first = 0;
    while (first < ps->n && ps->t[first] < s->warmup + 1.0)
        first++;
    if (first >= ps->n)
        return;
    double rmax = 0, fmax = 0;
    for (size_t i = first; i < ps->n; i++) {
        rmax = ps->rss_mb[i] > rmax ? ps->rss_mb[i] : rmax;
        fmax = ps->fds[i] > fmax ? ps->fds[i] : fmax;
    }
    const struct {
        const char *col;
        double v;
    } f[] = {
        {"rss_sampled_max_mb", rmax},
        {"rss_growth_mb", ps->rss_mb[ps->n - 1] - ps->rss_mb[first]},
        {"rss_anon_growth_mb", ps->anon_mb[ps->n - 1] - ps->anon_mb[first]},
        {"open_fds_max", fmax},
        {"open_fds_growth", ps->fds[ps->n - 1] - ps->fds[first]},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        kvb_row_set_num(cells, f[i].col, f[i].v);
}

/* Tasks in the order of their runs' ids (spec index, then repeat). */
static int cmp_task_id(const void *a, const void *b, void *arg)
{
    const struct kvb_task *tasks = arg;
    const struct kvb_task *x = &tasks[*(const size_t *)a], *y = &tasks[*(const size_t *)b];
    if (x->spec != y->spec)
        return x->spec < y->spec ? -1 : 1;
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

/* The context columns only the parent knows: the runs beside this one and
 * the CPU it met. Returns 0, or -1 (ENOMEM). */
static int context_cells(const struct state *st, struct slot *s, char **cells)
{
    kvb_cpu_gauge_read(&s->cpu.end);
    kvb_run_contention_note(&s->cpu, &s->cpu.end);
    char *ids = calloc(s->nbeside ? s->nbeside : 1, 32);
    if (!ids)
        return -1;
    if (s->nbeside) /* beside is NULL then, which qsort_r must not be given */
        qsort_r(s->beside, s->nbeside, sizeof(*s->beside), cmp_task_id, st->tasks);
    for (size_t i = 0, len = 0; i < s->nbeside; i++) {
        char id[32];
        run_id(st, s->beside[i], id, sizeof(id));
        len += (size_t)sprintf(ids + len, "%s%s", i ? " " : "", id);
    }
    int rc = kvb_contention_cells(&s->cpu, cells);
    rc |= kvb_row_set(cells, "overlapping_runs", "%u", s->max);
    rc |= kvb_row_set(cells, "overlapped_runs", "%s", ids);
    free(ids);
    return rc;
}

static int write_csv(struct state *st, const char *path, char *err, size_t errlen);

static void finish(struct state *st, struct slot *s, int wstatus)
{
    const struct kvb_task *task = &st->tasks[s->task];
    const struct kvb_run_spec *spec = &st->specs[task->spec];
    char **cells = calloc(kvb_ncolumns, sizeof(char *));
    char err[1024], reason[1024];
    bool have = false;

    if (!cells) {
        fprintf(stderr, "kvbench sweep: out of memory\n");
        exit(1);
    }
    if (!s->timed_out && s->rss_killed_mb <= 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        have = kvb_summary_read_row(s->json, cells, err, sizeof(err)) == 0;
    if (!have) {
        describe_failure(s, wstatus, reason, sizeof(reason));
        if (kvb_row_build(spec, NULL, reason, cells) != 0) {
            fprintf(stderr, "kvbench sweep: out of memory\n");
            exit(1);
        }
    }
    sample_cells(s, cells);
    if (context_cells(st, s, cells) != 0)
        fprintf(stderr, "kvbench sweep: out of memory for the context of a row\n");
    if (have ? kvb_summary_update_row(s->json, cells, err, sizeof(err))
             : kvb_summary_write(s->json, spec, NULL, cells, s->dir, err, sizeof(err)))
        fprintf(stderr, "kvbench sweep: %s\n", err);
    else if (s->samples.n && kvb_summary_add_samples(s->json, &s->samples, err, sizeof(err)))
        fprintf(stderr, "kvbench sweep: %s\n", err);
    free_samples(&s->samples);
    free(s->beside);
    s->beside = NULL;
    s->nbeside = s->beside_cap = 0;

    const char *status = cells[kvb_column_index("status")];
    if (strcmp(status, KVB_STATUS_FAILED) == 0)
        st->out->failed++;
    else if (strcmp(status, KVB_STATUS_VIOLATION) == 0)
        st->out->violations++;
    const char *contended = cells[kvb_column_index("contended")];
    st->out->contended += contended && strcmp(contended, "true") == 0;
    st->rows[st->first[task->spec] + task->rep] = cells;

    if (!st->o->keep && kvb_rmtree(s->dir, err, sizeof(err)) != 0)
        fprintf(stderr, "kvbench sweep: %s\n", err);
    for (unsigned k = 0; k < st->jobs; k++)
        if (st->slots[k].pid && &st->slots[k] != s)
            st->slots[k].cur--;
    s->pid = 0;
    st->running--;
    st->done++;
    print_progress(st, task, cells);
    if (write_csv(st, st->out->partial, err, sizeof(err)) != 0)
        fprintf(stderr, "kvbench sweep: %s\n", err);
}

static struct slot *slot_of(struct state *st, pid_t pid)
{
    for (unsigned k = 0; k < st->jobs; k++)
        if (st->slots[k].pid == pid)
            return &st->slots[k];
    return NULL;
}

/* Reaps finished children, kills overdue ones; sleeps a little when idle. */
static void poll_children(struct state *st)
{
    int wstatus;
    pid_t pid;
    bool any = false;
    while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
        struct slot *s = slot_of(st, pid);
        if (s) {
            finish(st, s, wstatus);
            any = true;
        }
    }
    uint64_t now = kvb_now_ns();
    for (unsigned k = 0; k < st->jobs; k++) {
        struct slot *s = &st->slots[k];
        if (!s->pid || s->timed_out || s->rss_killed_mb > 0)
            continue;
        if (now > s->deadline) {
            s->timed_out = true;
            kill(s->pid, SIGKILL);
            continue;
        }
        double ceiling = s->max_rss_mb, rss;
        if (ceiling > 0 && (rss = rss_mb(s->pid)) > ceiling) {
            s->rss_killed_mb = rss;
            kill(s->pid, SIGKILL);
        }
        if (now >= s->next_sample) {
            struct kvb_cpu_gauge g;
            sample(s, now);
            kvb_cpu_gauge_read(&g);
            kvb_run_contention_note(&s->cpu, &g);
            s->next_sample += 1000000000u;
        }
    }
    if (!any) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void stop_all(struct state *st)
{
    for (unsigned k = 0; k < st->jobs; k++)
        if (st->slots[k].pid)
            kill(st->slots[k].pid, SIGKILL);
    while (st->running) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, 0);
        if (pid < 0 && errno != EINTR)
            break;
        struct slot *s = pid > 0 ? slot_of(st, pid) : NULL;
        if (s)
            finish(st, s, wstatus);
    }
}

static int write_csv(struct state *st, const char *path, char *err, size_t errlen)
{
    struct kvb_table t;
    if (kvb_table_init(&t, kvb_column_names(), kvb_ncolumns) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < st->nspecs && rc == 0; i++) {
        /* spec i's repeats, in spec order whatever order they ran in */
        char **const *reps = &st->rows[st->first[i]];
        unsigned n = (unsigned)(st->first[i + 1] - st->first[i]), done = 0;
        for (unsigned r = 0; r < n; r++)
            done += reps[r] != NULL;
        if (n == 1 && done) {
            rc = kvb_table_add_row(&t, (const char *const *)reps[0]);
        } else if (done) {
            char *cells[kvb_ncolumns];
            rc = kvb_row_combine(reps, n, cells);
            if (rc == 0)
                rc = kvb_table_add_row(&t, (const char *const *)cells);
            kvb_row_free(cells);
        }
    }
    if (rc == 0) {
        st->out->runs = t.nrows;
        rc = kvb_csv_write(path, &t, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    kvb_table_free(&t);
    return rc;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static bool nonempty_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool any = false;
    while (d && !any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return any;
}

/* DIR/STEM.csv (or .shard-K-of-N.csv), DIR/STEM.partial.csv and DIR/STEM/runs,
 * with STEM the sweep's name, or NAME-<UTC time> when earlier results of
 * that name are there and force is off. */
static int output_paths(const struct kvb_sweep_opts *o, const char *outdir, const char *name,
                        struct kvb_sweep_outcome *out, char *err, size_t errlen)
{
    char stem[200], shard[64] = "";
    snprintf(stem, sizeof(stem), "%s", name);
    if (o->shard_n)
        snprintf(shard, sizeof(shard), ".shard-%u-of-%u", o->shard_k, o->shard_n);
    for (int attempt = 0; attempt < 3; attempt++) {
        int n1 = snprintf(out->csv, sizeof(out->csv), "%s/%s%s.csv", outdir, stem, shard);
        int n2 = snprintf(out->partial, sizeof(out->partial), "%s/%s%s.partial.csv", outdir, stem,
                          shard);
        int n3 = snprintf(out->runs_dir, sizeof(out->runs_dir), "%s/%s/runs", outdir, stem);
        if (n1 >= (int)sizeof(out->csv) || n2 >= (int)sizeof(out->partial) ||
            n3 >= (int)sizeof(out->runs_dir)) {
            snprintf(err, errlen, "output directory path too long: %s", outdir);
            return -1;
        }
        bool taken = exists(out->csv) || exists(out->partial) ||
                     (!o->shard_n && nonempty_dir(out->runs_dir));
        if (o->force || !taken)
            return 0;
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        if (attempt == 0)
            snprintf(stem, sizeof(stem), "%s-%s", name, ts);
        else
            snprintf(stem, sizeof(stem), "%s-%s-%d", name, ts, (int)getpid());
        out->renamed = true;
    }
    snprintf(err, errlen, "%s exists; use --force to overwrite it", out->csv);
    return -1;
}

int kvb_sweep_execute(const struct kvb_sweep *sw, const struct kvb_sweep_opts *o,
                      struct kvb_sweep_outcome *out, char *err, size_t errlen)
{
    struct state st = {.o = o, .out = out};
    unsigned *repeats = NULL;
    size_t total = kvb_sweep_count(sw);
    const char *outdir = o->outdir ? o->outdir : "results";
    char name[128];
    int rc = -1;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;

    memset(out, 0, sizeof(*out));
    interrupted = 0;
    kvb_safe_name(name, sizeof(name), kvb_sweep_name(sw));
    if (output_paths(o, outdir, name, out, err, errlen) != 0)
        return -1;
    if (kvb_mkdir_p(out->runs_dir, err, errlen) != 0)
        return -1;

    st.specs = calloc(total ? total : 1, sizeof(*st.specs));
    if (!st.specs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < total; i++) {
        if (o->shard_n && i % o->shard_n != o->shard_k - 1)
            continue;
        struct kvb_config_error ce;
        if (kvb_sweep_spec(sw, i, &st.specs[st.nspecs], &ce) != 0) {
            kvb_config_error_format(&ce, err, errlen);
            goto out;
        }
        st.nspecs++;
    }
    repeats = calloc(st.nspecs ? st.nspecs : 1, sizeof(*repeats));
    st.first = calloc(st.nspecs + 1, sizeof(*st.first));
    if (!repeats || !st.first) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < st.nspecs; i++) {
        repeats[i] = st.specs[i].cfg.repeat ? st.specs[i].cfg.repeat : 1;
        st.first[i + 1] = st.first[i] + repeats[i];
    }
    st.ntasks = st.first[st.nspecs];
    st.tasks = calloc(st.ntasks ? st.ntasks : 1, sizeof(*st.tasks));
    st.rows = calloc(st.ntasks ? st.ntasks : 1, sizeof(*st.rows));
    if (!st.tasks || !st.rows) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    kvb_run_order(repeats, st.nspecs, o->grouped_repeats, st.tasks);
    st.jobs = o->jobs ? o->jobs : (st.nspecs ? st.specs[0].cfg.parallel : 1);
    if (st.jobs == 0)
        st.jobs = 1;
    st.slots = calloc(st.jobs, sizeof(*st.slots));
    st.spec_threads = calloc(st.nspecs ? st.nspecs : 1, sizeof(*st.spec_threads));
    if (!st.slots || !st.spec_threads) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < st.nspecs; i++)
        st.spec_threads[i] = kvb_run_threads(&st.specs[i].cfg);
    st.cores = kvb_cores();
    out->oversubscribed =
        kvb_sweep_cpu_demand(st.specs, st.nspecs, st.jobs, st.cores, &out->cpu_demand);
    if (out->oversubscribed && o->progress >= 0)
        fprintf(stderr,
                "kvbench sweep: warning: %u runs at once need up to %u threads (clients and "
                "engine threads) on %u cores: their figures will be taken under CPU "
                "contention. Each row records the CPU pressure its run met (cpu_pressure_pct, "
                "contended); -j N runs fewer at once.\n",
                out->cpu_demand.runs, out->cpu_demand.threads, out->cpu_demand.cores);

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    st.t0 = kvb_now_ns();
    size_t next = 0;
    while (!interrupted && (next < st.ntasks || st.running)) {
        while (!interrupted && st.running < st.jobs && next < st.ntasks) {
            if (start(&st, next, err, errlen) != 0) {
                stop_all(&st);
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                goto out;
            }
            next++;
        }
        poll_children(&st);
    }
    if (interrupted) {
        out->interrupted = true;
        stop_all(&st);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (out->interrupted) {
        rc = write_csv(&st, out->partial, err, errlen);
        snprintf(out->csv, sizeof(out->csv), "%s", out->partial);
    } else {
        rc = write_csv(&st, out->csv, err, errlen);
        if (rc == 0 && unlink(out->partial) != 0 && errno != ENOENT)
            fprintf(stderr, "kvbench sweep: removing %s: %s\n", out->partial, strerror(errno));
    }
out:
    for (size_t i = 0; i < st.ntasks && st.rows; i++) {
        if (st.rows[i]) {
            kvb_row_free(st.rows[i]);
            free(st.rows[i]);
        }
    }
    for (size_t i = 0; st.specs && i < st.nspecs; i++)
        kvb_config_free(&st.specs[i].cfg);
    free(st.rows);
    free(st.tasks);
    free(st.first);
    free(repeats);
    free(st.specs);
    free(st.slots);
    free(st.spec_threads);
    return rc;
}
