/* cmd_plot.c - `kvbench plot RESULTS.csv [-o DIR]`: a sweep's figures and index.html. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "report/plot.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kvbench plot RESULTS.csv [-o DIR] [--runs DIR]\n"
                 "\n"
                 "Draws the sweep in DIR/NAME.csv with gnuplot, as PNG and SVG, and writes an\n"
                 "index.html holding the sweep's configuration, machine, results table and every\n"
                 "figure (embedded, so the one file can be shared):\n"
                 "  NAME-latency-BACKEND      writer p50/p99 and reader p50/p99 by configuration\n"
                 "  NAME-compare-FIGURE       writer p99, reader p99, write throughput and\n"
                 "                            precondition failure rate, one line per backend\n"
                 "  NAME-dist-LABEL           latency against percentile for each configuration,\n"
                 "                            one line per backend (from the run summaries)\n"
                 "Each figure also has its data (.dat) and gnuplot script (.gp).\n"
                 "\n"
                 "  -o, --output DIR   where to write (default: DIR/NAME/plots beside the CSV)\n"
                 "  --runs DIR         the run summaries (default: DIR/NAME/runs beside the CSV)\n"
                 "  -h, --help         this help\n"
                 "\n"
                 "gnuplot is $KVB_GNUPLOT, else gnuplot on $PATH (Debian: gnuplot-nox).\n"
                 "Exit status: 0 done, 1 gnuplot missing or failing, or a file not written,\n"
                 "2 usage error or a CSV that is unreadable, lacks columns or has no rows.\n");
}

int kvb_cmd_plot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"runs", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *outdir = NULL, *runs = NULL;
    int opt;

    optind = 1;
    while ((opt = kvb_getopt("plot", argc, argv, "o:h", longopts)) != -1) {
        switch (opt) {
        case 'o':
            outdir = optarg;
            break;
        case 'r':
            runs = optarg;
            break;
        case 'h':
            usage(stdout);
            return KVB_EXIT_OK;
        default:
            return KVB_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "kvbench plot: expected one CSV file\n");
        usage(stderr);
        return KVB_EXIT_USAGE;
    }

    struct kvb_plot_info info;
    char err[2048];
    int rc = kvb_plot_sweep_opts(argv[optind], runs, outdir, NULL, &info, err, sizeof(err));
    switch (rc) {
    case 0:
        fprintf(stderr, "kvbench plot: %zu figures -> %s", info.figures, info.index);
        if (info.notes)
            fprintf(stderr, " (%zu note%s there on what was left out)", info.notes,
                    info.notes > 1 ? "s" : "");
        fprintf(stderr, "\n");
        return KVB_EXIT_OK;
    case KVB_PLOT_BAD_INPUT:
        fprintf(stderr, "kvbench plot: %s\n", err);
        return KVB_EXIT_USAGE;
    case KVB_PLOT_NO_GNUPLOT:
        fprintf(stderr, "kvbench plot: cannot draw: %s\n", err);
        return KVB_EXIT_FAILED;
    default:
        fprintf(stderr, "kvbench plot: %s\n", err);
        return KVB_EXIT_FAILED;
    }
}
