/*
 * fuzz_config.c - libFuzzer target for the YAML config loader (config/config.c,
 * config/cases.c, config/yaml_tree.c, config/expand.c).
 *
 * Each input is used three ways:
 *   1. as a config file: written to a scratch file and loaded with
 *      kvb_sweep_load; if it loads, run specs are expanded (all of them up to
 *      64, else the first and last 32 and some in between) and freed;
 *   2. as one --set argument ("KEY=VALUE", up to the first NUL) over no file;
 *   3. as one --set argument over a small fixed config with cases.
 * Every error is formatted (kvb_config_error_format). Properties checked,
 * besides "no crash, no leak, no undefined behaviour" (ASan, UBSan):
 *   - a sweep that loads has at least one run, and kvb_sweep_spec succeeds
 *     for every index with spec.index == index;
 *   - its text (kvb_sweep_text: the tree written back out) loads again as a
 *     config file into the same number of runs with the same labels.
 */
#include "config/config.h"
#include "fuzz/fuzz_common.h"

static const char *kvb_fuzz_cfg_dir;
static char kvb_fuzz_cfg_in[PATH_MAX], kvb_fuzz_cfg_again[PATH_MAX], kvb_fuzz_cfg_base[PATH_MAX];
static bool kvb_fuzz_cfg_have_base;

/* The config that --set inputs are applied to in the third use. */
static const char kvb_fuzz_cfg_base_text[] = "name: fuzzbase\n"
                                             "backends: [mem, null]\n"
                                             "duration: 1s\n"
                                             "num_writers: [1, 2]\n"
                                             "writer_rate: 10\n"
                                             "cases:\n"
                                             "  small: {num_readers: 1}\n"
                                             "  other:\n"
                                             "    backends: [lmdb]\n"
                                             "    value_size: [100, 200]\n";

static void kvb_fuzz_cfg_init(void)
{
    if (kvb_fuzz_cfg_dir)
        return;
    kvb_fuzz_cfg_dir = kvb_fuzz_mkdtemp("config");
    snprintf(kvb_fuzz_cfg_in, sizeof kvb_fuzz_cfg_in, "%s/in.yaml", kvb_fuzz_cfg_dir);
    snprintf(kvb_fuzz_cfg_again, sizeof kvb_fuzz_cfg_again, "%s/again.yaml", kvb_fuzz_cfg_dir);
    snprintf(kvb_fuzz_cfg_base, sizeof kvb_fuzz_cfg_base, "%s/base.yaml", kvb_fuzz_cfg_dir);
    kvb_fuzz_write_file(kvb_fuzz_cfg_base, kvb_fuzz_cfg_base_text,
                        sizeof kvb_fuzz_cfg_base_text - 1);
    /* Without the cases feature the base does not load: use no file then. */
    struct kvb_sweep *s;
    struct kvb_config_error err;
    if (kvb_sweep_load(kvb_fuzz_cfg_base, NULL, 0, &s, &err) == 0) {
        kvb_fuzz_cfg_have_base = true;
        kvb_sweep_free(s);
    }
}

/* The indices expanded: all when few, else a spread. */
static size_t kvb_fuzz_cfg_pick(size_t count, size_t k)
{
    if (count <= 64)
        return k < count ? k : SIZE_MAX;
    if (k < 32)
        return k;
    if (k < 64)
        return count - 64 + k;
    if (k < 72)
        return 32 + (count - 64) / 8 * (k - 64);
    return SIZE_MAX;
}

/* Expands the picked specs of s; labels[k] gets the k-th one's label when
 * labels is not NULL. */
static void kvb_fuzz_cfg_expand(const struct kvb_sweep *s, char (*labels)[256])
{
    size_t count = kvb_sweep_count(s);
    if (count == 0)
        kvb_fuzz_fail("a sweep that loaded has no runs");
    char axis[96];
    (void)kvb_sweep_has_axes(s, axis, sizeof axis);
    (void)kvb_sweep_name(s);
    for (size_t k = 0;; k++) {
        size_t i = kvb_fuzz_cfg_pick(count, k);
        if (i == SIZE_MAX)
            break;
        struct kvb_run_spec *spec = calloc(1, sizeof *spec);
        if (!spec)
            kvb_fuzz_fail("out of memory");
        struct kvb_config_error err;
        if (kvb_sweep_spec(s, i, spec, &err) != 0) {
            char msg[1024];
            kvb_config_error_format(&err, msg, sizeof msg);
            kvb_fuzz_fail("kvb_sweep_spec(%zu of %zu) failed: %s", i, count, msg);
        }
        if (spec->index != i)
            kvb_fuzz_fail("spec %zu says it is index %zu", i, spec->index);
        if (spec->nswept > sizeof spec->swept / sizeof spec->swept[0])
            kvb_fuzz_fail("spec %zu has %zu swept keys", i, spec->nswept);
        if (labels)
            memcpy(labels[k], spec->label, sizeof labels[k]);
        kvb_config_free(&spec->cfg);
        free(spec);
    }
}

/* Loads path with the sets; formats the error when it does not load. */
static struct kvb_sweep *kvb_fuzz_cfg_load(const char *path, const char *const *sets, size_t nset)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("KVB_FUZZ_VERBOSE") != NULL;
    struct kvb_sweep *s;
    struct kvb_config_error err;
    if (kvb_sweep_load(path, sets, nset, &s, &err) == 0) {
        if (verbose)
            fprintf(stderr, "fuzz_config: %s%s: %zu runs\n", path ? path : "",
                    nset ? " + --set" : "", kvb_sweep_count(s));
        return s;
    }
    char msg[1024];
    kvb_config_error_format(&err, msg, sizeof msg);
    if (verbose)
        fprintf(stderr, "fuzz_config: %s%s: %s\n", path ? path : "", nset ? " + --set" : "", msg);
    return NULL;
}

/* Expands s and checks that its text loads back into the same runs. */
static void kvb_fuzz_cfg_check(const struct kvb_sweep *s)
{
    static char labels[72][256], again[72][256];
    memset(labels, 0, sizeof labels);
    memset(again, 0, sizeof again);
    kvb_fuzz_cfg_expand(s, labels);
    const char *text = kvb_sweep_text(s);
    if (!text)
        kvb_fuzz_fail("a sweep that loaded has no text");
    kvb_fuzz_write_file(kvb_fuzz_cfg_again, text, strlen(text));
    struct kvb_sweep *t;
    struct kvb_config_error err;
    if (kvb_sweep_load(kvb_fuzz_cfg_again, NULL, 0, &t, &err) != 0) {
        char msg[1024];
        kvb_config_error_format(&err, msg, sizeof msg);
        kvb_fuzz_fail("the sweep's own text does not load again: %s\n--- text:\n%s---", msg, text);
    }
    if (kvb_sweep_count(t) != kvb_sweep_count(s))
        kvb_fuzz_fail("the sweep's text loads into %zu runs, not %zu\n--- text:\n%s---",
                      kvb_sweep_count(t), kvb_sweep_count(s), text);
    kvb_fuzz_cfg_expand(t, again);
    for (size_t k = 0; k < 72; k++)
        if (strcmp(labels[k], again[k]) != 0)
            kvb_fuzz_fail(
                "run %zu of the sweep's text is labelled '%s', not '%s'\n--- text:\n%s---", k,
                again[k], labels[k], text);
    kvb_sweep_free(t);
}

int kvb_fuzz_config_one(const uint8_t *data, size_t size)
{
    kvb_fuzz_cfg_init();

    /* 1. The input as a config file. */
    kvb_fuzz_write_file(kvb_fuzz_cfg_in, data, size);
    struct kvb_sweep *s = kvb_fuzz_cfg_load(kvb_fuzz_cfg_in, NULL, 0);
    if (s) {
        kvb_fuzz_cfg_check(s);
        kvb_sweep_free(s);
    }

    /* 2 and 3. The input (to its first NUL) as a --set argument. */
    char *arg = malloc(size + 1);
    if (!arg)
        kvb_fuzz_fail("out of memory");
    memcpy(arg, data, size);
    arg[size] = '\0';
    const char *sets[1] = {arg};
    if ((s = kvb_fuzz_cfg_load(NULL, sets, 1))) {
        kvb_fuzz_cfg_check(s);
        kvb_sweep_free(s);
    }
    if (kvb_fuzz_cfg_have_base && (s = kvb_fuzz_cfg_load(kvb_fuzz_cfg_base, sets, 1))) {
        kvb_fuzz_cfg_check(s);
        kvb_sweep_free(s);
    }
    free(arg);
    return 0;
}

#ifndef KVB_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kvb_fuzz_config_one(data, size);
}
#endif
