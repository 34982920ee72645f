/* cmd_run.c - `kvbench run`: one configuration, in this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "report/print.h"
#include "sweep/rundir.h"
#include "report/row.h"
#include "sweep/summary.h"
#include "util/fs.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kvbench run [CONFIG.yaml] [--set KEY=VALUE]... [--json FILE] [--keep]\n"
            "\n"
            "Runs one configuration and prints a readable summary. Without CONFIG the\n"
            "defaults are used. A key with several values is a sweep: use `kvbench sweep`.\n"
            "\n"
            "  --set KEY=VALUE  override a config key; VALUE is YAML (--set sync=false,\n"
            "                   --set lmdb.map_size=1GiB); repeatable\n"
            "  --json FILE      also write the run's JSON summary to FILE\n"
            "  --keep           keep the run's data directory\n"
            "  -h, --help       this help\n"
            "\n"
            "Config keys:\n");
    kvb_opt_print_help(out, kvb_config_options, 2);
    fprintf(out, "\n"
                 "A <duration> is seconds, or a number with a unit: 500ms, 2m, 1h (ns, us, ms, s,\n"
                 "m, h); a <size> is bytes, or with a unit: 64KiB, 1GiB (k, M, G, T: powers of\n"
                 "1024). Two more kinds of key:\n"
                 "  BACKEND  a map of that backend's options, e.g. lmdb: {map_size: 1GiB}\n"
                 "           (`kvbench backends` lists them)\n"
                 "  cases    named sets of overrides, one sweep axis (pick one with\n"
                 "           --set case=NAME); see the README\n");
}

int kvb_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 's'}, {"json", required_argument, NULL, 'j'},
        {"keep", no_argument, NULL, 'k'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kvb_sets sets = {0};
    const char *json = NULL;
    bool keep = false;
    int opt, status = KVB_EXIT_USAGE;
    struct kvb_sweep *sw = NULL;
    struct kvb_run_spec spec = {0};
    struct kvb_result *res = NULL;
    char dir[PATH_MAX] = "", err[1024];

    optind = 1;
    while ((opt = kvb_getopt("run", argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 's':
            if (kvb_sets_add(&sets, optarg) != 0)
                goto out;
            break;
        case 'j':
            json = optarg;
            break;
        case 'k':
            keep = true;
            break;
        case 'h':
            usage(stdout);
            status = KVB_EXIT_OK;
            goto out;
        default:
            goto out;
        }
    }
    if (kvb_load_operand("run", argc, argv, optind, &sets, &sw) != 0)
        goto out;
    char axis[96];
    if (kvb_sweep_has_axes(sw, axis, sizeof(axis)) && strcmp(axis, "case") == 0) {
        fprintf(stderr, "kvbench run: 'cases' holds several cases, which makes a sweep; use "
                        "`kvbench sweep`, or pick one with --set case=NAME\n");
        goto out;
    }
    if (kvb_sweep_has_axes(sw, axis, sizeof(axis))) {
        fprintf(stderr,
                "kvbench run: key '%s' has several values, which makes a sweep; "
                "use `kvbench sweep`, or pick one value with --set %s=VALUE\n",
                axis, axis);
        goto out;
    }
    if (kvb_sweep_count(sw) != 1) {
        fprintf(stderr,
                "kvbench run: 'backends' lists %zu backends and run runs one; use `kvbench "
                "sweep`, or pick one with --set backends=NAME\n",
                kvb_sweep_count(sw));
        goto out;
    }
    struct kvb_config_error ce;
    if (kvb_sweep_spec(sw, 0, &spec, &ce) != 0) {
        kvb_config_error_format(&ce, err, sizeof(err));
        fprintf(stderr, "kvbench run: %s\n", err);
        goto out;
    }
    if (kvb_rundir_make(&spec.cfg, spec.label, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "kvbench run: %s\n", err);
        status = KVB_EXIT_FAILED;
        goto out;
    }
    res = malloc(sizeof(*res));
    if (!res) {
        fprintf(stderr, "kvbench run: out of memory\n");
        status = KVB_EXIT_FAILED;
        goto out;
    }
    kvb_run(&spec.cfg, dir, res);
    kvb_print_result(stdout, &spec, res);
    status = strcmp(kvb_result_status(res), KVB_STATUS_OK) == 0 ? KVB_EXIT_OK : KVB_EXIT_FAILED;

    if (json) {
        char *cells[kvb_ncolumns];
        if (kvb_row_build(&spec, res, NULL, cells) != 0 ||
            kvb_summary_write(json, &spec, res, cells, dir, err, sizeof(err)) != 0) {
            fprintf(stderr, "kvbench run: writing %s: %s\n", json, err);
            status = KVB_EXIT_FAILED;
        }
        kvb_row_free(cells);
    }
out:
    if (dir[0]) {
        if (keep)
            fprintf(stderr, "kvbench run: data kept in %s\n", dir);
        else if (kvb_rmtree(dir, err, sizeof(err)) != 0)
            fprintf(stderr, "kvbench run: %s\n", err);
    }
    free(res);
    kvb_config_free(&spec.cfg);
    if (sw)
        kvb_sweep_free(sw);
    kvb_sets_free(&sets);
    return status;
}
