/* cmd_sweep.c - `kvbench sweep`: argument parsing around the scheduler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "sweep/scheduler.h"
#include "report/plot.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvbench sweep [CONFIG.yaml] [-j N] [-o DIR] [--set KEY=VALUE]... "
            "[--shard K/N] [--keep]\n"
            "\n"
            "Expands CONFIG (or the defaults) with the --set overrides into one run per\n"
            "point of its axes x backends, runs each in a\n"
            "child process with a fresh data directory, and writes DIR/NAME.csv (one row\n"
            "per configuration, in expansion order) and DIR/NAME/runs/*.json (one summary\n"
            "per run). With `repeat: N` the repeats are interleaved: repeat 1 of every\n"
            "configuration, then repeat 2 of every one, ..., so a drift of the machine\n"
            "during the sweep spreads over all of them; each configuration's row combines\n"
            "its repeats.\n"
            "\n"
            "  -j, --jobs N       runs at once (default: the config's `parallel`)\n"
            "  -o, --output DIR   results directory (default: results)\n"
            "  --set KEY=VALUE    override a config key; VALUE is YAML: --set num_writers=[1,2]\n"
            "  --shard K/N        run only every N-th configuration starting at the K-th\n"
            "                     (1 <= K <= N); join the shards with `kvbench merge`\n"
            "  --keep             keep the runs' data directories\n"
            "  --grouped-repeats  run each configuration's repeats back to back (default:\n"
            "                     interleaved with the other configurations')\n"
            "  -n, --dry-run      list the runs the sweep expands to, run nothing\n"
            "  --force            overwrite earlier results of the same name (default: write\n"
            "                     NAME-<time>.csv beside them)\n"
            "  -h, --help         this help\n");
}

static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/')
        return -1;
    const char *p = end + 1;
    unsigned long b = strtoul(p, &end, 10);
    if (end == p || *end || b == 0 || a == 0 || a > b || b > 100000)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* --dry-run: one line per run of this shard, in expansion order. */
static int list_runs(const struct kvb_sweep *sw, const struct kvb_sweep_opts *o)
{
    size_t n = kvb_sweep_count(sw);
    for (size_t i = 0; i < n; i++) {
        if (o->shard_n && i % o->shard_n != o->shard_k - 1)
            continue;
        struct kvb_run_spec spec;
        struct kvb_config_error ce;
        char msg[1024];
        if (kvb_sweep_spec(sw, i, &spec, &ce) != 0) {
            kvb_config_error_format(&ce, msg, sizeof(msg));
            fprintf(stderr, "kvbench sweep: %s\n", msg);
            return KVB_EXIT_USAGE;
        }
        printf("%4zu  %-8s %s  (%g s + %g s warmup)\n", spec.index, spec.cfg.backend, spec.label,
               spec.cfg.duration, spec.cfg.warmup);
        kvb_config_free(&spec.cfg);
    }
    return KVB_EXIT_OK;
}

int kvb_cmd_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, NULL, 'j'},  {"output", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 's'},   {"shard", required_argument, NULL, 'S'},
        {"keep", no_argument, NULL, 'k'},        {"help", no_argument, NULL, 'h'},
        {"dry-run", no_argument, NULL, 'n'},     {"force", no_argument, NULL, 'f'},
        {"grouped-repeats", no_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    struct kvb_sets sets = {0};
    struct kvb_sweep_opts o = {.progress = isatty(STDERR_FILENO) ? 1 : 0};
    struct kvb_sweep *sw = NULL;
    int opt, status = KVB_EXIT_USAGE;
    char *end;

    optind = 1;
    bool dry_run = false;
    while ((opt = kvb_getopt("sweep", argc, argv, "j:o:hn", longopts)) != -1) {
        switch (opt) {
        case 'j': {
            unsigned long j = strtoul(optarg, &end, 10);
            if (end == optarg || *end || j == 0 || j > 1024) {
                fprintf(stderr, "kvbench sweep: -j expects a number of runs from 1 to 1024, "
                                "got '%s'\n", optarg);
                goto out;
            }
            o.jobs = (unsigned)j;
            break;
        }
        case 'o':
            o.outdir = optarg;
            break;
        case 's':
            if (kvb_sets_add(&sets, optarg) != 0)
                goto out;
            break;
        case 'S':
            if (parse_shard(optarg, &o.shard_k, &o.shard_n) != 0) {
                fprintf(stderr, "kvbench sweep: --shard expects K/N with 1 <= K <= N, got '%s'\n",
                        optarg);
                goto out;
            }
            break;
        case 'k':
            o.keep = true;
            break;
        case 'n':
            dry_run = true;
            break;
        case 'f':
            o.force = true;
            break;
        case 'g':
            o.grouped_repeats = true;
            break;
        case 'h':
            usage(stdout);
            status = KVB_EXIT_OK;
            goto out;
        default:
            goto out;
        }
    }
    if (kvb_load_operand("sweep", argc, argv, optind, &sets, &sw) != 0)
        goto out;

    struct kvb_sweep_outcome res;
    char err[1024];
    if (dry_run) {
        status = list_runs(sw, &o);
        goto out;
    }
    fprintf(stderr, "kvbench sweep: %s: %zu runs%s\n", kvb_sweep_name(sw), kvb_sweep_count(sw),
            o.shard_n ? " before sharding" : "");
    if (kvb_sweep_execute(sw, &o, &res, err, sizeof(err)) != 0) {
        fprintf(stderr, "kvbench sweep: %s\n", err);
        status = KVB_EXIT_FAILED;
        goto out;
    }
    if (res.renamed)
        fprintf(stderr, "kvbench sweep: earlier results of this name kept; new ones get a "
                        "timestamped name (--force overwrites)\n");
    fprintf(stderr, "kvbench sweep: %zu rows -> %s (%zu failed, %zu with violations)%s\n",
            res.runs, res.csv, res.failed, res.violations,
            res.interrupted ? "; interrupted: rows of finished runs only" : "");
    if (res.contended)
        fprintf(stderr,
                "kvbench sweep: %zu runs met CPU contention (contended = true: some task waited "
                "for a CPU %.0f%% of the run or more); compare their figures with care\n",
                res.contended, KVB_CONTENDED_PRESSURE_PCT);
    status = res.interrupted                       ? KVB_EXIT_INTERRUPTED
             : (res.failed || res.violations) ? KVB_EXIT_FAILED
                                                   : KVB_EXIT_OK;
    if (res.runs > 0) {
        struct kvb_plot_info pinfo;
        int prc = kvb_plot_sweep_opts(res.csv, res.runs_dir, NULL, NULL, &pinfo, err,
                                      sizeof(err));
        if (prc == 0) {
            fprintf(stderr, "kvbench sweep: %zu plots -> %s\n", pinfo.figures, pinfo.index);
        } else if (prc == KVB_PLOT_NO_GNUPLOT) {
            fprintf(stderr, "kvbench sweep: plots skipped: %s\n", err);
        } else {
            fprintf(stderr, "kvbench sweep: plots: %s\n", err);
            if (status == KVB_EXIT_OK)
                status = KVB_EXIT_FAILED;
        }
    }
out:
    if (sw)
        kvb_sweep_free(sw);
    kvb_sets_free(&sets);
    return status;
}
