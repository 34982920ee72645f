/*
 * main.c - kvbench: benchmarks embedded key-value engines.
 *
 * Dispatches to the subcommands through one explicit table.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/text.h"

#if defined(__SANITIZE_THREAD__)
/* librocksdb is not built with ThreadSanitizer, which then reports races
 * inside it that are not there (tests/tsan.supp says why; libstdc++ frames
 * are RocksDB's, as kvbench is C); keep TSan builds of kvbench usable. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "called_from_lib:librocksdb.so\nrace:libstdc++.so\n";
}
#endif

/* The commands, looked up by name; a misspelt one gets the nearest suggested. */
static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", kvb_cmd_run, "run one configuration and print its figures"},
    {"sweep", kvb_cmd_sweep, "run every configuration of a sweep; write CSV, JSON and plots"},
    {"crash", kvb_cmd_crash, "kill runs at random moments and check what survives"},
    {"plot", kvb_cmd_plot, "draw a sweep's CSV with gnuplot: PNG, SVG and an index.html"},
    {"merge", kvb_cmd_merge, "join CSVs of a sweep split with --shard"},
    {"backends", kvb_cmd_backends, "list the compiled backends and their options"},
    {"columns", kvb_cmd_columns, "list the CSV columns with their units and meanings"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: kvbench COMMAND [ARGS]   (kvbench COMMAND --help for more)\n\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n  --version  print the version\n\n"
                 "Exit status: 0 success, 1 a run or a verification failed, 2 usage or "
                 "config error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KVB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("kvbench %s\n", KVB_VERSION);
        return KVB_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return KVB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    const char *close = kvb_closest_field(argv[1], commands, sizeof(commands) / sizeof(commands[0]),
                                          sizeof(commands[0]), offsetof(struct command, name));
    if (close) {
        fprintf(stderr, "kvbench: unknown command '%s' (did you mean '%s'?); see kvbench --help\n",
                argv[1], close);
        return KVB_EXIT_USAGE;
    }
    fprintf(stderr, "kvbench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return KVB_EXIT_USAGE;
}
