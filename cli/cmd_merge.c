/* cmd_merge.c - `kvbench merge OUT.csv IN.csv...`: joins shard CSVs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "report/table.h"

struct order {
    double index;
    size_t file, row;
};

static int cmp_order(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

int kvb_cmd_merge(int argc, char **argv)
{
    int early =
        kvb_help_only("merge", argc, argv,
                      "usage: kvbench merge OUT.csv IN.csv...\n\n"
                      "Joins CSVs written by `kvbench sweep --shard K/N` into one, rows in\n"
                      "expansion order (by run_index). Every input must have the same columns.\n");
    if (early >= 0)
        return early;
    argc -= optind - 1; /* the files: argv[1] the output, then the inputs */
    argv += optind - 1;
    if (argc < 3) {
        fprintf(stderr, "usage: kvbench merge OUT.csv IN.csv...\n");
        return KVB_EXIT_USAGE;
    }
    size_t nin = (size_t)argc - 2;
    struct kvb_table *in = calloc(nin, sizeof(*in));
    struct kvb_table out = {0};
    struct order *ord = NULL;
    char err[1024];
    int status = KVB_EXIT_USAGE;
    size_t total = 0, loaded = 0;

    if (!in)
        goto out;
    for (size_t f = 0; f < nin; f++) {
        if (kvb_csv_read(argv[f + 2], &in[f], err, sizeof(err)) != 0) {
            fprintf(stderr, "kvbench merge: %s\n", err);
            goto out;
        }
        loaded = f + 1; /* in[f] is freed at out, whatever happens next */
        if (f > 0) {
            if (in[f].ncols != in[0].ncols) {
                fprintf(stderr, "kvbench merge: %s has %zu columns but %s has %zu\n",
                        argv[f + 2], in[f].ncols, argv[2], in[0].ncols);
                goto out;
            }
            for (size_t c = 0; c < in[0].ncols; c++) {
                if (strcmp(in[f].cols[c], in[0].cols[c]) != 0) {
                    fprintf(stderr, "kvbench merge: %s: column %zu is '%s' but in %s it is '%s'\n",
                            argv[f + 2], c + 1, in[f].cols[c], argv[2], in[0].cols[c]);
                    goto out;
                }
            }
        }
        total += in[f].nrows;
    }
    ord = calloc(total ? total : 1, sizeof(*ord));
    if (!ord || kvb_table_init(&out, (const char *const *)in[0].cols, in[0].ncols) != 0)
        goto oom;
    int idx = kvb_table_col(&in[0], "run_index");
    size_t k = 0;
    for (size_t f = 0; f < nin; f++) {
        for (size_t r = 0; r < in[f].nrows; r++, k++) {
            ord[k].file = f;
            ord[k].row = r;
            ord[k].index = idx >= 0 ? strtod(in[f].rows[r][idx], NULL) : 0;
        }
    }
    qsort(ord, total, sizeof(*ord), cmp_order);
    for (size_t i = 0; i < total; i++)
        if (kvb_table_add_row(&out, (const char *const *)in[ord[i].file].rows[ord[i].row]) != 0)
            goto oom;
    if (kvb_csv_write(argv[1], &out, err, sizeof(err)) != 0) {
        fprintf(stderr, "kvbench merge: %s\n", err);
        status = KVB_EXIT_FAILED;
        goto out;
    }
    printf("kvbench merge: %zu rows from %zu files -> %s\n", total, nin, argv[1]);
    status = KVB_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "kvbench merge: out of memory\n");
    status = KVB_EXIT_FAILED;
out:
    for (size_t f = 0; in && f < loaded; f++)
        kvb_table_free(&in[f]);
    free(in);
    free(ord);
    kvb_table_free(&out);
    return status;
}
