/* cmd_backends.c - `kvbench backends`: what is compiled in and what each can do. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct {
    unsigned bit;
    const char *name;
} caps[] = {
    {KVB_CAP_STORES, "stores (verified)"},
    {KVB_CAP_DURABLE, "durable with sync"},
    {KVB_CAP_CONFLICTS, "detects conflicts"},
    {KVB_CAP_PERSIST, "persists across reopen"},
    {KVB_CAP_SERIAL_WRITES, "serial writers"},
};

int kvb_cmd_backends(int argc, char **argv)
{
    int early = kvb_help_only("backends", argc, argv,
                              "usage: kvbench backends\n\nLists the compiled backends, what "
                              "each supports and its options\n(set them in a config under the "
                              "backend's name, e.g. `lmdb: {map_size: 1GiB}`).\n");
    if (early >= 0)
        return early;
    if (optind < argc) {
        fprintf(stderr, "kvbench backends: takes no arguments (got '%s')\n", argv[optind]);
        return KVB_EXIT_USAGE;
    }
    for (size_t i = 0; kvb_backends[i]; i++) {
        const struct kvb_backend *be = kvb_backends[i];
        printf("%-8s %s\n         supports:", be->name, be->summary);
        const char *sep = " ";
        for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
            if (be->caps & caps[k].bit) {
                printf("%s%s", sep, caps[k].name);
                sep = ", ";
            }
        }
        printf("%s\n", be->caps ? "" : " nothing stored: measures the harness");
        if (be->options && be->options->name) {
            printf("         options:\n");
            kvb_opt_print_help(stdout, be->options, 11);
        }
        printf("\n");
    }
    return KVB_EXIT_OK;
}
