/* cmd_columns.c - `kvbench columns`: every column of the comparison CSV,
 * with its unit, how repeats combine into it, and what it means, from the
 * column table (report/columns.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/commands.h"
#include "report/columns.h"

static const char *const combine_names[] = {
    [KVB_COMBINE_FIRST] = "first",
    [KVB_COMBINE_MEDIAN] = "median",
    [KVB_COMBINE_SUM] = "sum",
    [KVB_COMBINE_MAX] = "max",
    [KVB_COMBINE_BY_STATUS] = "worst status",
    [KVB_COMBINE_BY_VERDICT] = "worst verdict",
    [KVB_COMBINE_ANY] = "first non-empty",
    [KVB_COMBINE_MIN_OF] = "least",
    [KVB_COMBINE_MAX_OF] = "largest",
    [KVB_COMBINE_COUNT] = "count",
    [KVB_COMBINE_ANY_TRUE] = "any true",
    [KVB_COMBINE_UNION] = "union",
};

static const char *const format_names[] = {
    [KVB_COL_TEXT] = "text",
    [KVB_COL_COUNT] = "count",
    [KVB_COL_FIGURE] = "figure",
    [KVB_COL_FLAG] = "flag",
};

static const char help[] =
    "usage: kvbench columns [--csv]\n\n"
    "Lists every column of a sweep's CSV, in order: its name, unit, kind (text; count:\n"
    "an integer, every digit; figure: 6 significant digits; flag: true or false), how\n"
    "the repeats of a configuration combine into it, and what it means. An empty\n"
    "cell means the figure is unknown or does not apply. The first 26 columns are\n"
    "the seed's and never move.\n\n"
    "  --csv   print the list as CSV\n";

int kvb_cmd_columns(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool csv = false;
    int opt;
    optind = 1;
    while ((opt = kvb_getopt("columns", argc, argv, "h", longopts)) != -1) {
        if (opt == 'h') {
            fputs(help, stdout);
            return KVB_EXIT_OK;
        }
        if (opt != 'c')
            return KVB_EXIT_USAGE;
        csv = true;
    }
    if (optind < argc) {
        fprintf(stderr, "kvbench columns: takes no arguments (got '%s')\n", argv[optind]);
        return KVB_EXIT_USAGE;
    }
    if (csv)
        printf("index,name,unit,kind,repeats,meaning\n");
    for (size_t i = 0; i < kvb_column_count(); i++) {
        const struct kvb_column *c = kvb_column_at(i);
        if (csv)
            printf("%zu,%s,%s,%s,%s,\"%s\"\n", i + 1, c->name, c->unit, format_names[c->format],
                   combine_names[c->combine], c->help);
        else
            printf("%3zu  %-36s %-6s %-6s %-15s %s\n", i + 1, c->name, c->unit,
                   format_names[c->format], combine_names[c->combine], c->help);
    }
    return KVB_EXIT_OK;
}
