/*
 * config.c - a YAML sweep config: read, checked, overridden, expanded.
 *
 * The parsed YAML tree (yaml_tree.h) is the model. Loading goes in steps,
 * each of which may stop with one positioned error:
 *
 *   1. read the file and parse it into a tree;
 *   2. check its shape: a mapping of known keys, no duplicates, each value a
 *      scalar or a non-empty list of scalars, backend keys mappings of that
 *      backend's options;
 *   3. apply each --set KEY=VALUE by parsing VALUE as YAML and putting it in
 *      the tree in place of the file's value (new keys go at the end);
 *   4. parse every value of every list with its option row (kvb_opt_parse),
 *      so a bad value anywhere fails before anything runs, and run each
 *      backend's check() on every combination of its options and `sync`;
 *   5. index the axes and count the runs.
 *
 * A spec is then built on demand from its index by decoding the index as a
 * mixed-radix number over the axes, and parsing the chosen texts into a
 * struct kvb_config: the same code path as validation, so what was checked
 * is what runs. kvb_sweep_text is the tree written back out.
 */
#include "cli/config.h"
#include "cli/yaml_tree.h"
#include "util/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep any input cheap to refuse. */
#define CONFIG_MAX_BYTES (16u << 20)
#define SWEEP_MAX_RUNS 1000000u
#define LIST_MAX 10000u
#define SWEPT_MAX (sizeof(((struct kvb_run_spec *)0)->swept) / sizeof(struct kvb_param))

static const char SET_FILE[] = "--set";

static const char *const arrival_choices[] = {"fixed", "poisson", NULL};
static const char *const dist_choices[] = {"uniform", "zipfian", "latest", "hotspot",
                                           "sequential", NULL};

#define ROW(n, l, t, field, lo, hi, d, h)                                                          \
    {                                                                                              \
        .name = n, .label = l, .type = t, .offset = offsetof(struct kvb_config, field),            \
        .size = sizeof(((struct kvb_config *)0)->field), .min = lo, .max = hi, .def = d, .help = h \
    }

const struct kvb_option kvb_config_options[] = {
    ROW("name", "NAME", KVB_OPT_STRING, name, 1, 0, NULL,
        "sweep name, for output files (default: the config file's name without .yaml)"),
    ROW("backends", "BE", KVB_OPT_STRING, backend, 1, 0, "lmdb",
        "backends to run, a name or a list of names (see `kvbench backends`)"),
    ROW("parallel", "PAR", KVB_OPT_UINT, parallel, 1, 1024, "1", "runs at once in a sweep"),
    ROW("duration", "DUR", KVB_OPT_SECONDS, duration, 0.001, 0, "10", "measured time per run"),
    ROW("warmup", "WU", KVB_OPT_SECONDS, warmup, 0, 0, "1", "time before the measured window"),
    ROW("timeout", "TO", KVB_OPT_SECONDS, timeout, 0, 0, "0",
        "a run taking longer is killed (0: automatic, from duration and warmup)"),
    ROW("num_writers", "W", KVB_OPT_UINT, num_writers, 0, 4096, "1", "monotonic writer threads"),
    ROW("writer_rate", "WR", KVB_OPT_DOUBLE, writer_rate, 0, 0, "0.1",
        "transactions/s per monotonic writer (0: as fast as possible)"),
    ROW("num_readers", "RD", KVB_OPT_UINT, num_readers, 0, 4096, "2", "reader threads"),
    ROW("reader_rate", "RT", KVB_OPT_DOUBLE, reader_rate, 0, 0, "100",
        "transactions/s per reader (0: as fast as possible)"),
    ROW("num_random_writers", "RW", KVB_OPT_UINT, num_random_writers, 0, 4096, "0",
        "random writer threads (blind puts of random keys)"),
    ROW("random_writer_rate", "RWR", KVB_OPT_DOUBLE, random_writer_rate, 0, 0, "0",
        "transactions/s per random writer (0: as fast as possible)"),
    ROW("ops_per_txn", "OPT", KVB_OPT_UINT, ops_per_txn, 1, 1000000, "1",
        "keys put per random-writer transaction"),
    ROW("key_count", "KC", KVB_OPT_U64, key_count, 1, 0, "100000",
        "random writers draw keys from [0, key_count)"),
    ROW("preload", "PL", KVB_OPT_U64, preload, 0, 0, "0", "keys loaded before the run, untimed"),
    ROW("value_size", "VS", KVB_OPT_UINT, value_size, KVB_VALUE_MIN, 16u << 20, "100",
        "bytes per value"),
    ROW("max_retry_count", "MR", KVB_OPT_UINT, max_retry_count, 0, 0, "10",
        "retries of a conflicting monotonic write before it counts as a retry failure"),
    ROW("sync", "SYNC", KVB_OPT_BOOL, sync, 0, 0, "true",
        "every acknowledged commit is durable before it returns"),
    ROW("seed", "SEED", KVB_OPT_U64, seed, 0, 0, "1", "random seed"),
    {.name = "arrival",
     .label = "ARR",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct kvb_config, arrival),
     .def = "fixed",
     .choices = arrival_choices,
     .help = "request spacing of paced clients: fixed (even) or poisson"},
    ROW("data_dir", "DIR", KVB_OPT_STRING, data_dir, 0, 0, "",
        "where run directories are made: the disk under test (default $TMPDIR/kvbench)"),
    {.name = "key_distribution", .label = "KD", .type = KVB_OPT_ENUM,
     .offset = offsetof(struct kvb_config, key_distribution), .def = "uniform",
     .choices = dist_choices,
     .help = "which keys readers, random writers, compactors and scanners pick"},
    ROW("zipf_theta", "ZT", KVB_OPT_DOUBLE, zipf_theta, 0.01, 0.9999, "0.99",
        "skew of zipfian and latest (YCSB's default 0.99)"),
    ROW("hotspot_keys", "HK", KVB_OPT_DOUBLE, hotspot_keys, 0, 1, "0.2",
        "hotspot: fraction of the keys that are hot"),
    ROW("hotspot_ops", "HO", KVB_OPT_DOUBLE, hotspot_ops, 0, 1, "0.8",
        "hotspot: fraction of operations that go to the hot keys"),
    ROW("key_overlap_ratio", "OV", KVB_OPT_DOUBLE, key_overlap_ratio, 0, 1, "1",
        "random writers' key ranges: 0 disjoint, 1 all share [0, key_count)"),
    ROW("delete_ratio", "DEL", KVB_OPT_DOUBLE, delete_ratio, 0, 1, "0",
        "fraction of random-writer operations that delete instead of put"),
    ROW("read_before_write", "RBW", KVB_OPT_BOOL, read_before_write, 0, 0, "false",
        "random writers read each key for update before writing it (read-modify-write)"),
    ROW("num_compactors", "C", KVB_OPT_UINT, num_compactors, 0, 4096, "0",
        "compactor threads: read N records, hold the transaction, write them back"),
    ROW("compactor_rate", "CR", KVB_OPT_DOUBLE, compactor_rate, 0, 0, "0",
        "transactions/s per compactor (0: as fast as possible)"),
    ROW("compactor_read_count", "CN", KVB_OPT_UINT, compactor_read_count, 1, 1000000, "10",
        "records each compactor transaction reads and writes back"),
    ROW("compactor_sleep_ms", "CS", KVB_OPT_DOUBLE, compactor_sleep_ms, 0, 0, "100",
        "how long a compactor holds its transaction open between reads and writes"),
    ROW("num_scanners", "S", KVB_OPT_UINT, num_scanners, 0, 4096, "0",
        "scanner threads: ordered range reads inside a snapshot"),
    ROW("scanner_rate", "SR", KVB_OPT_DOUBLE, scanner_rate, 0, 0, "0",
        "scans/s per scanner (0: as fast as possible)"),
    ROW("scan_length", "SL", KVB_OPT_UINT, scan_length, 1, 1000000, "100",
        "keys per scan"),
    ROW("report_interval", "RI", KVB_OPT_SECONDS, report_interval, 0, 0, "0",
        "length of the intervals of the throughput/p99 time series (0: none)"),
    ROW("max_rss_mb", "RSS", KVB_OPT_DOUBLE, max_rss_mb, 0, 0, "0",
        "a run whose resident memory passes this many MiB is killed and failed (0: no ceiling)"),
    ROW("repeat", "REP", KVB_OPT_UINT, repeat, 1, 1000, "1",
        "runs of each configuration; the CSV reports the median, min and max"),
    {.name = NULL},
};

/* A key of the sweep and its values: a scalar (one value) or a list. */
struct axis {
    const struct kvb_option *opt;
    const struct kvb_ynode *key;
    const struct kvb_ynode *val;
    size_t nv;
};

/* A backend of `backends`, with the axes of its option map. */
struct bplan {
    const struct kvb_backend *be;
    size_t naxes;
    struct axis *axes;
    size_t runs; /* product of its axes' sizes */
};

struct kvb_sweep {
    char name[128];
    char *path; /* the file, for node positions; NULL without one */
    struct kvb_ynode *root;
    char *text;
    size_t nglobal; /* every config key present but `backends`, in order */
    struct axis *global;
    size_t nback; /* `backends`, in order */
    struct bplan *back;
    size_t per_point; /* runs per point of the global axes: sum of back[].runs */
    size_t count;
};

/* ---- errors ---- */

static int fail_at(struct kvb_config_error *err, const char *file, int line, int column,
                   const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail_at(struct kvb_config_error *err, const char *file, int line, int column,
                   const char *key, const char *fmt, ...)
{
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    err->column = column;
    snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* An error at node n (its file and position); n NULL: no position. */
#define FAIL(err, n, fallback_file, key, ...)                                                      \
    fail_at(err, (n) ? (n)->file : (fallback_file), (n) ? (n)->line : 0, (n) ? (n)->column : 0,    \
            key, __VA_ARGS__)

void kvb_config_error_format(const struct kvb_config_error *e, char *buf, size_t n)
{
    char where[PATH_MAX + 32];
    if (e->line > 0)
        snprintf(where, sizeof(where), "%s:%d:%d", e->file, e->line, e->column);
    else
        snprintf(where, sizeof(where), "%s", e->file);
    if (e->key[0])
        snprintf(buf, n, "%s: key '%s': %s", where, e->key, e->msg);
    else
        snprintf(buf, n, "%s: %s", where, e->msg);
}

/* ---- looking things up ---- */

static const struct kvb_ynode *map_key(const struct kvb_ynode *m, size_t i)
{
    return m->items[2 * i];
}

static const struct kvb_ynode *map_val(const struct kvb_ynode *m, size_t i)
{
    return m->items[2 * i + 1];
}

/* Index of the pair whose key is name, or -1. */
static long map_find(const struct kvb_ynode *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (map_key(m, i)->kind == KVB_YSCALAR && strcmp(map_key(m, i)->text, name) == 0)
            return (long)i;
    return -1;
}

static size_t value_count(const struct kvb_ynode *v)
{
    return v->kind == KVB_YSEQ ? v->n : 1;
}

static const struct kvb_ynode *value_at(const struct kvb_ynode *v, size_t i)
{
    return v->kind == KVB_YSEQ ? v->items[i] : v;
}

static void backend_names(char *buf, size_t n)
{
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; kvb_backends[i] && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", kvb_backends[i]->name);
}

static void option_names(const struct kvb_option *t, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; t && t[i].name && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", t[i].name);
}

/* The suggestion for an unknown top-level key: the nearer of the closest
 * config key and the closest backend name. */
static const char *closest_top(const char *name)
{
    const char *a = kvb_opt_closest(kvb_config_options, name);
    const char *b = kvb_backend_closest(name);
    if (!a || !b)
        return a ? a : b;
    return kvb_edit_distance(name, b) < kvb_edit_distance(name, a) ? b : a;
}

/* "expected a X" for a row: kvb_opt_expect's words with an article. */
static void expect_text(const struct kvb_option *o, char *buf, size_t n)
{
    char e[200];
    if (strcmp(o->name, "backends") == 0) {
        char names[160];
        backend_names(names, sizeof(names));
        snprintf(buf, n, "a backend name (one of: %s)", names);
        return;
    }
    kvb_opt_expect(o, e, sizeof(e));
    const char *article = strncmp(e, "one of", 6) == 0 ? "" : strchr("aeiou", e[0]) ? "an " : "a ";
    snprintf(buf, n, "%s%s", article, e);
}

/* ---- step 2: shape ---- */

static int reject_alias(const struct kvb_ynode *n, const char *key, struct kvb_config_error *err)
{
    return FAIL(err, n, "", key, "YAML aliases (*%s) are not supported here; write the value out",
                n->text);
}

/* A config or backend option value: a scalar, or a non-empty list of
 * scalars (one only for `name` and `parallel`, which cannot be axes). */
static int check_value_shape(const struct kvb_option *o, const char *key, const struct kvb_ynode *v,
                             struct kvb_config_error *err)
{
    char exp[256];
    expect_text(o, exp, sizeof(exp));
    if (v->kind == KVB_YALIAS)
        return reject_alias(v, key, err);
    if (v->kind == KVB_YMAP)
        return FAIL(err, v, "", key, "expected %s (or a list of them), got a mapping", exp);
    if (v->kind == KVB_YSCALAR) {
        if (kvb_ynode_is_null(v))
            return FAIL(err, v, "", key, "expected %s, got nothing", exp);
        return 0;
    }
    if (v->n == 0)
        return FAIL(err, v, "", key, "empty list: expected at least one value (%s)", exp);
    if (v->n > LIST_MAX)
        return FAIL(err, v, "", key, "list of %zu values: at most %u allowed", v->n, LIST_MAX);
    bool single = strcmp(key, "name") == 0 || strcmp(key, "parallel") == 0;
    if (single && v->n > 1)
        return FAIL(err, v, "", key,
                    "expected a single value, not a list: '%s' cannot be a sweep axis", o->name);
    for (size_t i = 0; i < v->n; i++) {
        const struct kvb_ynode *it = v->items[i];
        if (it->kind == KVB_YALIAS)
            return reject_alias(it, key, err);
        if (it->kind != KVB_YSCALAR)
            return FAIL(err, it, "", key, "expected %s in the list, got %s", exp,
                        kvb_ynode_what(it));
        if (kvb_ynode_is_null(it))
            return FAIL(err, it, "", key, "expected %s in the list, got nothing", exp);
    }
    return 0;
}

/* A map key: a non-empty scalar, not seen before in m (pairs [0, i)). */
static int check_map_key(const struct kvb_ynode *m, size_t i, const char *prefix,
                         struct kvb_config_error *err)
{
    const struct kvb_ynode *k = map_key(m, i);
    if (k->kind == KVB_YALIAS)
        return reject_alias(k, prefix, err);
    if (k->kind != KVB_YSCALAR)
        return FAIL(err, k, "", prefix, "expected a key name, got %s", kvb_ynode_what(k));
    if (kvb_ynode_is_null(k) || k->len == 0)
        return FAIL(err, k, "", prefix, "empty key name");
    for (size_t j = 0; j < i; j++) {
        const struct kvb_ynode *o = map_key(m, j);
        if (o->kind == KVB_YSCALAR && strcmp(o->text, k->text) == 0) {
            char key[96];
            snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k->text);
            return FAIL(err, k, "", key, "duplicate key (first at line %d, column %d)", o->line,
                        o->column);
        }
    }
    return 0;
}

static int unknown_option(const struct kvb_backend *be, const struct kvb_ynode *at,
                          const char *file, const char *name, struct kvb_config_error *err)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.%s", be->name, name);
    if (!be->options || !be->options[0].name)
        return FAIL(err, at, file, key, "backend '%s' has no options", be->name);
    const char *close = kvb_opt_closest(be->options, name);
    if (close)
        return FAIL(err, at, file, key, "unknown %s option '%s' (did you mean '%s'?)", be->name,
                    name, close);
    char names[300];
    option_names(be->options, names, sizeof(names));
    return FAIL(err, at, file, key, "unknown %s option '%s' (its options: %s)", be->name, name,
                names);
}

/* A backend key's value: a mapping of the backend's own options. */
static int check_backend_map(const struct kvb_backend *be, const struct kvb_ynode *v,
                             struct kvb_config_error *err)
{
    if (v->kind == KVB_YALIAS)
        return reject_alias(v, be->name, err);
    if (v->kind != KVB_YMAP)
        return FAIL(err, v, "", be->name,
                    "expected a mapping of %s options (option: value), got %s", be->name,
                    kvb_ynode_what(v));
    for (size_t i = 0; i < v->n; i++) {
        if (check_map_key(v, i, be->name, err) != 0)
            return -1;
        const struct kvb_ynode *k = map_key(v, i);
        const struct kvb_option *o = kvb_opt_find(be->options, k->text);
        if (!o)
            return unknown_option(be, k, "", k->text, err);
        char key[96];
        snprintf(key, sizeof(key), "%s.%s", be->name, o->name);
        if (check_value_shape(o, key, map_val(v, i), err) != 0)
            return -1;
    }
    return 0;
}

static int unknown_key(const struct kvb_ynode *at, const char *file, const char *name,
                       const struct kvb_ynode *val, struct kvb_config_error *err)
{
    const char *close = closest_top(name);
    if (close)
        return FAIL(err, at, file, name, "unknown key '%s' (did you mean '%s'?)", name, close);
    if (val && val->kind == KVB_YMAP) {
        char names[160];
        backend_names(names, sizeof(names));
        return FAIL(err, at, file, name, "unknown backend '%s' (compiled backends: %s)", name,
                    names);
    }
    return FAIL(err, at, file, name, "unknown key '%s' (not a config key or a backend name)", name);
}

/* One top-level pair: a config key with a value, or a backend's map. */
static int check_top_pair(const struct kvb_ynode *root, size_t i, struct kvb_config_error *err)
{
    if (check_map_key(root, i, "", err) != 0)
        return -1;
    const struct kvb_ynode *k = map_key(root, i), *v = map_val(root, i);
    const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
    if (o)
        return check_value_shape(o, o->name, v, err);
    const struct kvb_backend *be = kvb_backend_find(k->text);
    if (be)
        return check_backend_map(be, v, err);
    return unknown_key(k, "", k->text, v, err);
}

/* ---- step 1: reading ---- */

static int read_file(const char *path, char **out, size_t *outlen, struct kvb_config_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail_at(err, path, 0, 0, "", "cannot open: %s", strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = -1;
    if (!buf) {
        fail_at(err, path, 0, 0, "", "out of memory");
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= CONFIG_MAX_BYTES) {
                fail_at(err, path, 0, 0, "", "larger than %u MiB: not a config file",
                        CONFIG_MAX_BYTES >> 20);
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                fail_at(err, path, 0, 0, "", "out of memory");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                fail_at(err, path, 0, 0, "", "cannot read: %s", strerror(errno));
                goto out;
            }
            break;
        }
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int load_file(struct kvb_sweep *s, struct kvb_config_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (read_file(s->path, &buf, &len, err) != 0)
        return -1;
    struct kvb_yaml_error ye;
    int rc = kvb_yaml_parse(buf, len, s->path, 0, &s->root, &ye);
    free(buf);
    if (rc != 0)
        return fail_at(err, s->path, ye.line, ye.column, "", "%s", ye.msg);
    if (!s->root || kvb_ynode_is_null(s->root))
        return fail_at(err, s->path, 0, 0, "",
                       "empty config: expected a mapping of keys, such as 'num_writers: 2'");
    if (s->root->kind != KVB_YMAP)
        return FAIL(err, s->root, s->path, "",
                    "expected a mapping of config keys at the top level (key: value), got %s",
                    kvb_ynode_what(s->root));
    for (size_t i = 0; i < s->root->n; i++)
        if (check_top_pair(s->root, i, err) != 0)
            return -1;
    return 0;
}

/* ---- step 3: --set ---- */

/* Puts value under name in map m (replacing the old value, or appending a
 * pair keyed at --set). Takes value on success. */
static int map_put(struct kvb_ynode *m, const char *name, struct kvb_ynode *value)
{
    long i = map_find(m, name);
    if (i >= 0) {
        kvb_ynode_free(m->items[2 * i + 1]);
        m->items[2 * i + 1] = value;
        return 0;
    }
    struct kvb_ynode *k = kvb_ynode_new(KVB_YSCALAR, name, SET_FILE, 1, 1);
    if (!k || kvb_ynode_map_add(m, k, value) != 0) {
        kvb_ynode_free(k);
        return -1;
    }
    return 0;
}

/* The map of backend be in root, created (empty, at the end) if missing. */
static struct kvb_ynode *backend_map(struct kvb_ynode *root, const struct kvb_backend *be)
{
    long i = map_find(root, be->name);
    if (i >= 0)
        return root->items[2 * i + 1];
    struct kvb_ynode *m = kvb_ynode_new(KVB_YMAP, NULL, SET_FILE, 1, 1);
    if (!m || map_put(root, be->name, m) != 0) {
        kvb_ynode_free(m);
        return NULL;
    }
    return m;
}

static int oom(struct kvb_config_error *err)
{
    return fail_at(err, "", 0, 0, "", "out of memory");
}

/* Reports an unknown "backend.option" key's backend part. */
static int unknown_set_backend(const char *key, size_t blen, struct kvb_config_error *err)
{
    char name[96];
    snprintf(name, sizeof(name), "%.*s", (int)blen, key);
    const char *close = kvb_backend_closest(name);
    if (close)
        return fail_at(err, SET_FILE, 1, 1, key, "unknown backend '%s' (did you mean '%s'?)", name,
                       close);
    char names[160];
    backend_names(names, sizeof(names));
    return fail_at(err, SET_FILE, 1, 1, key, "unknown backend '%s' (compiled backends: %s)", name,
                   names);
}

/* Puts the set value v for key into the tree; takes v only on success. */
static int put_set(struct kvb_sweep *s, const char *key, struct kvb_ynode *v,
                   struct kvb_config_error *err)
{
    const struct kvb_option *o;
    const struct kvb_backend *be;
    const char *dot = strchr(key, '.');
    if (dot) {
        char bname[96];
        snprintf(bname, sizeof(bname), "%.*s", (int)(dot - key), key);
        if (!(be = kvb_backend_find(bname)))
            return unknown_set_backend(key, (size_t)(dot - key), err);
        if (!(o = kvb_opt_find(be->options, dot + 1))) {
            unknown_option(be, NULL, SET_FILE, dot + 1, err);
            err->line = err->column = 1;
            return -1;
        }
        if (check_value_shape(o, key, v, err) != 0)
            return -1;
        struct kvb_ynode *m = backend_map(s->root, be);
        if (!m || map_put(m, o->name, v) != 0)
            return oom(err);
        return 0;
    }
    if ((o = kvb_opt_find(kvb_config_options, key))) {
        if (check_value_shape(o, key, v, err) != 0)
            return -1;
        return map_put(s->root, key, v) != 0 ? oom(err) : 0;
    }
    if ((be = kvb_backend_find(key))) {
        /* A whole map: each of its options replaces the file's; v keeps
         * its keys and is freed here. */
        if (check_backend_map(be, v, err) != 0)
            return -1;
        struct kvb_ynode *m = backend_map(s->root, be);
        if (!m)
            return oom(err);
        for (size_t i = 0; i < v->n; i++) {
            if (map_put(m, v->items[2 * i]->text, v->items[2 * i + 1]) != 0)
                return oom(err);
            v->items[2 * i + 1] = NULL; /* moved */
        }
        kvb_ynode_free(v);
        return 0;
    }
    unknown_key(NULL, SET_FILE, key, v, err);
    err->line = err->column = 1;
    return -1;
}

/* Applies one "KEY=VALUE": VALUE is parsed as YAML and replaces KEY's value. */
static int apply_set(struct kvb_sweep *s, const char *arg, struct kvb_config_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return fail_at(err, SET_FILE, 0, 0, "", "expected KEY=VALUE, got '%.200s'", arg);
    char key[96];
    size_t klen = (size_t)(eq - arg);
    if (klen >= sizeof(key))
        return fail_at(err, SET_FILE, 1, 1, "", "key too long: '%.40s...'", arg);
    memcpy(key, arg, klen);
    key[klen] = '\0';

    int col0 = (int)klen + 1; /* VALUE's column 1 is the character after '=' */
    struct kvb_ynode *v = NULL;
    struct kvb_yaml_error ye;
    if (kvb_yaml_parse(eq + 1, strlen(eq + 1), SET_FILE, col0, &v, &ye) != 0)
        return fail_at(err, SET_FILE, ye.line, ye.column, key, "%s", ye.msg);
    if (!v && !(v = kvb_ynode_new(KVB_YSCALAR, "", SET_FILE, 1, col0 + 1)))
        return oom(err);
    if (put_set(s, key, v, err) != 0) {
        kvb_ynode_free(v);
        return -1;
    }
    return 0;
}

/* ---- step 4: values ---- */

/* Parses scalar n as row o into base; the error names key and n's position. */
static int parse_value(const struct kvb_option *o, const char *key, const struct kvb_ynode *n,
                       void *base, struct kvb_config_error *err)
{
    char why[KVB_OPT_ERRLEN];
    if (strlen(n->text) != n->len) {
        char exp[256];
        expect_text(o, exp, sizeof(exp));
        return FAIL(err, n, "", key, "expected %s, got text holding a NUL character", exp);
    }
    if (kvb_opt_parse(o, n->text, base, why, sizeof(why)) != 0)
        return FAIL(err, n, "", key, "%s", why);
    return 0;
}

/* Every value of one key parses, and no list holds the same value twice
 * (two runs with one label). */
static int check_values(const struct kvb_option *o, const char *key, const struct kvb_ynode *v,
                        void *base, struct kvb_config_error *err)
{
    size_t n = value_count(v);
    char(*seen)[128] = n > 1 ? calloc(n, sizeof(*seen)) : NULL;
    if (n > 1 && !seen)
        return oom(err);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if ((rc = parse_value(o, key, it, base, err)) != 0 || !seen)
            continue;
        kvb_opt_format(o, base, seen[i], sizeof(seen[i]));
        for (size_t j = 0; j < i; j++) {
            if (strcmp(seen[i], seen[j]) == 0) {
                const struct kvb_ynode *first = value_at(v, j);
                rc = FAIL(err, it, "", key, "'%s' is listed twice (first at line %d, column %d)",
                          it->text, first->line, first->column);
                break;
            }
        }
    }
    free(seen);
    return rc;
}

static int check_backends_value(const struct kvb_ynode *v, struct kvb_config_error *err)
{
    for (size_t i = 0; i < value_count(v); i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if (!kvb_backend_find(it->text)) {
            const char *close = kvb_backend_closest(it->text);
            char names[160];
            backend_names(names, sizeof(names));
            if (close)
                return FAIL(err, it, "", "backends", "unknown backend '%s' (did you mean '%s'?)",
                            it->text, close);
            return FAIL(err, it, "", "backends", "unknown backend '%s' (compiled backends: %s)",
                        it->text, names);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(value_at(v, j)->text, it->text) == 0)
                return FAIL(err, it, "", "backends", "'%s' is listed twice", it->text);
    }
    return 0;
}

/* Multiplies *acc by n, failing past SWEEP_MAX_RUNS. */
static bool mul_runs(size_t *acc, size_t n)
{
    if (n && *acc > SWEEP_MAX_RUNS / n)
        return false;
    *acc *= n;
    return *acc <= SWEEP_MAX_RUNS;
}

/* Fills base (be->opts_size bytes) with defaults and the values of axes at
 * point idx (mixed radix, first axis slowest). */
static int backend_opts_at(const struct kvb_backend *be, const struct axis *axes, size_t naxes,
                           size_t idx, void *base, struct kvb_config_error *err)
{
    char why[KVB_OPT_ERRLEN];
    if (be->options && kvb_opt_defaults(be->options, base, why, sizeof(why)) != 0)
        return fail_at(err, "", 0, 0, be->name, "%s", why);
    for (size_t j = naxes; j-- > 0;) {
        size_t d = idx % axes[j].nv;
        idx /= axes[j].nv;
        char key[96];
        snprintf(key, sizeof(key), "%s.%s", be->name, axes[j].opt->name);
        if (parse_value(axes[j].opt, key, value_at(axes[j].val, d), base, err) != 0)
            return -1;
    }
    return 0;
}

/* Collects the axes of map m (NULL: none) for backend be. */
static int backend_axes(const struct kvb_backend *be, const struct kvb_ynode *m, struct axis **out,
                        size_t *nout, size_t *runs)
{
    *out = NULL;
    *nout = 0;
    *runs = 1;
    if (!m || m->n == 0)
        return 0;
    struct axis *a = calloc(m->n, sizeof(*a));
    if (!a)
        return -1;
    for (size_t i = 0; i < m->n; i++) {
        a[i].key = map_key(m, i);
        a[i].opt = kvb_opt_find(be->options, a[i].key->text);
        a[i].val = map_val(m, i);
        a[i].nv = value_count(a[i].val);
        if (!mul_runs(runs, a[i].nv))
            *runs = SWEEP_MAX_RUNS + 1;
    }
    *out = a;
    *nout = m->n;
    return 0;
}

/* Runs be->check on every combination of its options and every `sync`. */
static int check_backend(const struct kvb_sweep *s, const struct kvb_backend *be,
                         const struct kvb_ynode *where, struct kvb_config_error *err)
{
    long mi = map_find(s->root, be->name);
    const struct kvb_ynode *m = mi >= 0 ? map_val(s->root, mi) : NULL;
    struct axis *axes;
    size_t naxes, runs;
    if (backend_axes(be, m, &axes, &naxes, &runs) != 0)
        return oom(err);
    int rc = 0;
    void *opts = NULL;
    if (runs > SWEEP_MAX_RUNS) {
        rc = FAIL(err, where, s->path, be->name, "its option lists make more than %u combinations",
                  SWEEP_MAX_RUNS);
        goto out;
    }
    if (!be->check)
        goto out;
    long si = map_find(s->root, "sync");
    const struct kvb_ynode *sv = si >= 0 ? map_val(s->root, si) : NULL;
    const struct kvb_option *so = kvb_opt_find(kvb_config_options, "sync");
    opts = calloc(1, be->opts_size ? be->opts_size : 1);
    if (!opts) {
        rc = oom(err);
        goto out;
    }
    for (size_t p = 0; p < runs && rc == 0; p++) {
        if ((rc = backend_opts_at(be, axes, naxes, p, opts, err)) != 0)
            break;
        for (size_t q = 0; q < (sv ? value_count(sv) : 1) && rc == 0; q++) {
            struct kvb_config c;
            c.sync = true;
            if (sv && (rc = parse_value(so, "sync", value_at(sv, q), &c, err)) != 0)
                break;
            char buf[KVB_OPT_ERRLEN] = "";
            if (be->check(opts, c.sync, buf, sizeof(buf)) == 0)
                continue;
            /* The key already names the backend: drop a "name: " prefix. */
            const char *why = buf;
            size_t bl = strlen(be->name);
            if (strncmp(why, be->name, bl) == 0 && why[bl] == ':' && why[bl + 1] == ' ')
                why += bl + 2;
            /* Say which combination, when there is more than one. */
            char with[300] = "";
            size_t len = 0, idx = p;
            for (size_t j = naxes; j-- > 0;) {
                size_t d = idx % axes[j].nv;
                idx /= axes[j].nv;
                if (axes[j].nv > 1 && len < sizeof(with))
                    len +=
                        (size_t)snprintf(with + len, sizeof(with) - len, "%s%s=%s", len ? ", " : "",
                                         axes[j].opt->name, value_at(axes[j].val, d)->text);
            }
            if (sv && value_count(sv) > 1 && len < sizeof(with))
                snprintf(with + len, sizeof(with) - len, "%ssync=%s", len ? ", " : "",
                         c.sync ? "true" : "false");
            if (with[0])
                rc = FAIL(err, where, s->path, be->name, "%s (with %s)", why, with);
            else
                rc = FAIL(err, where, s->path, be->name, "%s", why);
        }
    }
out:
    free(opts);
    free(axes);
    return rc;
}

static int validate(struct kvb_sweep *s, struct kvb_config_error *err)
{
    struct kvb_config *scratch = calloc(1, sizeof(*scratch));
    if (!scratch)
        return oom(err);
    int rc = 0;
    const struct kvb_ynode *root = s->root;
    for (size_t i = 0; i < root->n && rc == 0; i++) {
        const struct kvb_ynode *k = map_key(root, i), *v = map_val(root, i);
        const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
        if (o && strcmp(o->name, "backends") == 0) {
            rc = check_backends_value(v, err);
        } else if (o) {
            rc = check_values(o, o->name, v, scratch, err);
        } else {
            const struct kvb_backend *be = kvb_backend_find(k->text);
            void *bo = calloc(1, be->opts_size ? be->opts_size : 1);
            if (!bo) {
                rc = oom(err);
                break;
            }
            for (size_t j = 0; j < v->n && rc == 0; j++) {
                char key[96];
                const struct kvb_option *bopt = kvb_opt_find(be->options, map_key(v, j)->text);
                snprintf(key, sizeof(key), "%s.%s", be->name, bopt->name);
                rc = check_values(bopt, key, map_val(v, j), bo, err);
            }
            free(bo);
            if (rc == 0)
                rc = check_backend(s, be, k, err);
        }
    }
    free(scratch);
    if (rc != 0)
        return rc;
    /* Backends listed without a map of their own: check their defaults. */
    long bi = map_find(root, "backends");
    const struct kvb_ynode *bv = bi >= 0 ? map_val(root, bi) : NULL;
    for (size_t i = 0; bv && i < value_count(bv); i++) {
        const struct kvb_backend *be = kvb_backend_find(value_at(bv, i)->text);
        if (map_find(root, be->name) < 0 && check_backend(s, be, value_at(bv, i), err) != 0)
            return -1;
    }
    if (!bv) {
        const struct kvb_backend *be =
            kvb_backend_find(kvb_opt_find(kvb_config_options, "backends")->def);
        if (be && map_find(root, be->name) < 0 && check_backend(s, be, NULL, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- step 5: the plan ---- */

static int plan(struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct kvb_ynode *root = s->root;
    s->global = calloc(root->n ? root->n : 1, sizeof(*s->global));
    if (!s->global)
        return oom(err);
    size_t gpoints = 1, nswept = 0;
    const struct kvb_ynode *bv = NULL;
    for (size_t i = 0; i < root->n; i++) {
        const struct kvb_ynode *k = map_key(root, i), *v = map_val(root, i);
        const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
        if (!o)
            continue;
        if (strcmp(o->name, "backends") == 0) {
            bv = v;
            continue;
        }
        struct axis *a = &s->global[s->nglobal++];
        *a = (struct axis){.opt = o, .key = k, .val = v, .nv = value_count(v)};
        nswept += a->nv > 1;
        if (!mul_runs(&gpoints, a->nv))
            return FAIL(err, v, s->path, o->name, "the sweep expands to more than %u runs",
                        SWEEP_MAX_RUNS);
    }

    const char *def = kvb_opt_find(kvb_config_options, "backends")->def;
    s->nback = bv ? value_count(bv) : 1;
    s->back = calloc(s->nback, sizeof(*s->back));
    if (!s->back)
        return oom(err);
    size_t per_point = 0, most_swept = 0;
    for (size_t i = 0; i < s->nback; i++) {
        struct bplan *b = &s->back[i];
        b->be = kvb_backend_find(bv ? value_at(bv, i)->text : def);
        if (!b->be)
            return fail_at(err, s->path, 0, 0, "backends",
                           "default backend '%s' is not compiled in", def);
        long mi = map_find(root, b->be->name);
        if (backend_axes(b->be, mi >= 0 ? map_val(root, mi) : NULL, &b->axes, &b->naxes,
                         &b->runs) != 0)
            return oom(err);
        size_t sw = 0;
        for (size_t j = 0; j < b->naxes; j++)
            sw += b->axes[j].nv > 1;
        most_swept = sw > most_swept ? sw : most_swept;
        per_point += b->runs;
        if (b->runs > SWEEP_MAX_RUNS || per_point > SWEEP_MAX_RUNS)
            return FAIL(err, mi >= 0 ? map_key(root, mi) : NULL, s->path, b->be->name,
                        "the sweep expands to more than %u runs", SWEEP_MAX_RUNS);
    }
    size_t count = gpoints;
    if (!mul_runs(&count, per_point))
        return FAIL(err, bv, s->path, "backends", "the sweep expands to more than %u runs",
                    SWEEP_MAX_RUNS);
    if (nswept + most_swept > SWEPT_MAX)
        return fail_at(err, s->path, 0, 0, "", "%zu keys vary: at most %zu may",
                       nswept + most_swept, (size_t)SWEPT_MAX);
    s->per_point = per_point;
    s->count = count;
    return 0;
}

static void set_name(struct kvb_sweep *s)
{
    long i = map_find(s->root, "name");
    if (i >= 0) {
        snprintf(s->name, sizeof(s->name), "%s", value_at(map_val(s->root, i), 0)->text);
        return;
    }
    if (!s->path) {
        snprintf(s->name, sizeof(s->name), "kvbench");
        return;
    }
    const char *base = strrchr(s->path, '/');
    base = base ? base + 1 : s->path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    if (len == 0)
        snprintf(s->name, sizeof(s->name), "kvbench");
    else
        snprintf(s->name, sizeof(s->name), "%.*s", (int)(len < 127 ? len : 127), base);
}

int kvb_sweep_load(const char *path, const char *const *sets, size_t nset, struct kvb_sweep **out,
                   struct kvb_config_error *err)
{
    memset(err, 0, sizeof(*err));
    *out = NULL;
    struct kvb_sweep *s = calloc(1, sizeof(*s));
    if (!s)
        return oom(err);
    if (path) {
        if (!(s->path = strdup(path))) {
            oom(err);
            goto fail;
        }
        if (load_file(s, err) != 0)
            goto fail;
    } else if (!(s->root = kvb_ynode_new(KVB_YMAP, NULL, SET_FILE, 0, 0))) {
        oom(err);
        goto fail;
    }
    for (size_t i = 0; i < nset; i++)
        if (apply_set(s, sets[i], err) != 0)
            goto fail;
    if (validate(s, err) != 0 || plan(s, err) != 0)
        goto fail;
    if (!(s->text = kvb_yaml_emit(s->root))) {
        oom(err);
        goto fail;
    }
    set_name(s);
    *out = s;
    return 0;
fail:
    kvb_sweep_free(s);
    return -1;
}

void kvb_sweep_free(struct kvb_sweep *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nback; i++)
        free(s->back[i].axes);
    free(s->back);
    free(s->global);
    free(s->text);
    kvb_ynode_free(s->root);
    free(s->path);
    free(s);
}

const char *kvb_sweep_name(const struct kvb_sweep *s)
{
    return s->name;
}

size_t kvb_sweep_count(const struct kvb_sweep *s)
{
    return s->count;
}

const char *kvb_sweep_text(const struct kvb_sweep *s)
{
    return s->text;
}

bool kvb_sweep_has_axes(const struct kvb_sweep *s, char *first_axis, size_t n)
{
    for (size_t i = 0; i < s->nglobal; i++) {
        if (s->global[i].nv > 1) {
            if (first_axis && n)
                snprintf(first_axis, n, "%s", s->global[i].opt->name);
            return true;
        }
    }
    for (size_t b = 0; b < s->nback; b++) {
        for (size_t i = 0; i < s->back[b].naxes; i++) {
            if (s->back[b].axes[i].nv > 1) {
                if (first_axis && n)
                    snprintf(first_axis, n, "%s.%s", s->back[b].be->name,
                             s->back[b].axes[i].opt->name);
                return true;
            }
        }
    }
    return false;
}

/* ---- specs and labels ---- */

/* The shortest text that reads back as v ("100", "0.015", "1e+06"). */
static void short_double(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A rate with two decimals ("0.10"), unless that would lose digits. */
static void rate2(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.2f", v);
    if (strtod(buf, NULL) != v)
        short_double(buf, n, v);
}

/* A value as it reads in a label: compact, deterministic, unit-less where
 * the key makes the unit plain (sizes keep a K/M/G suffix when exact). */
static void label_value(const struct kvb_option *o, const void *base, char *buf, size_t n)
{
    const char *p = (const char *)base + o->offset;
    switch (o->type) {
    case KVB_OPT_SIZE: {
        uint64_t v = *(const uint64_t *)p;
        static const char units[] = "KMGT";
        int u = -1;
        while (u < 3 && v >= 1024 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        if (u >= 0)
            snprintf(buf, n, "%" PRIu64 "%c", v, units[u]);
        else
            snprintf(buf, n, "%" PRIu64, v);
        return;
    }
    case KVB_OPT_DOUBLE:
        short_double(buf, n, *(const double *)p);
        return;
    case KVB_OPT_SECONDS:
        short_double(buf, n, *(const double *)p);
        strncat(buf, "s", n - strlen(buf) - 1);
        return;
    default:
        kvb_opt_format(o, base, buf, n);
        return;
    }
}

static void append_label(char *label, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append_label(char *label, size_t n, const char *fmt, ...)
{
    size_t len = strlen(label);
    if (len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(label + len, n - len, fmt, ap);
    va_end(ap);
}

static bool in_fixed_label(const struct kvb_option *o)
{
    return strcmp(o->name, "num_writers") == 0 || strcmp(o->name, "writer_rate") == 0 ||
           strcmp(o->name, "num_readers") == 0 || strcmp(o->name, "reader_rate") == 0;
}

int kvb_sweep_spec(const struct kvb_sweep *s, size_t i, struct kvb_run_spec *spec,
                   struct kvb_config_error *err)
{
    memset(err, 0, sizeof(*err));
    memset(spec, 0, sizeof(*spec));
    if (i >= s->count)
        return fail_at(err, s->path ? s->path : "", 0, 0, "", "run %zu of a sweep of %zu", i,
                       s->count);
    struct kvb_config *cfg = &spec->cfg;
    char why[KVB_OPT_ERRLEN];
    if (kvb_opt_defaults(kvb_config_options, cfg, why, sizeof(why)) != 0)
        return fail_at(err, "", 0, 0, "", "%s", why);
    spec->index = i;

    size_t g = i / s->per_point, r = i % s->per_point;
    for (size_t j = s->nglobal; j-- > 0;) {
        const struct axis *a = &s->global[j];
        size_t d = g % a->nv;
        g /= a->nv;
        if (parse_value(a->opt, a->opt->name, value_at(a->val, d), cfg, err) != 0)
            return -1;
    }
    const struct bplan *b = s->back;
    while (r >= b->runs) {
        r -= b->runs;
        b++;
    }
    snprintf(cfg->name, sizeof(cfg->name), "%s", s->name);
    snprintf(cfg->backend, sizeof(cfg->backend), "%s", b->be->name);
    cfg->be = b->be;
    cfg->bopts = calloc(1, b->be->opts_size ? b->be->opts_size : 1);
    if (!cfg->bopts)
        return oom(err);
    if (backend_opts_at(b->be, b->axes, b->naxes, r, cfg->bopts, err) != 0) {
        kvb_config_free(cfg);
        return -1;
    }

    /* Label and swept keys: the fixed four, then the other global axes in
     * order, then the backend's own. */
    char v[96], rw[48], rr[48];
    rate2(rw, sizeof(rw), cfg->writer_rate);
    short_double(rr, sizeof(rr), cfg->reader_rate);
    snprintf(spec->label, sizeof(spec->label), "W%u_WR%s_RD%u_RT%s", cfg->num_writers, rw,
             cfg->num_readers, rr);
    for (size_t j = 0; j < s->nglobal; j++) {
        const struct axis *a = &s->global[j];
        if (a->nv < 2)
            continue;
        struct kvb_param *p = &spec->swept[spec->nswept++];
        snprintf(p->key, sizeof(p->key), "%s", a->opt->name);
        kvb_opt_format(a->opt, cfg, p->value, sizeof(p->value));
        if (in_fixed_label(a->opt))
            continue;
        label_value(a->opt, cfg, v, sizeof(v));
        append_label(spec->label, sizeof(spec->label), "_%s%s",
                     a->opt->label ? a->opt->label : a->opt->name, v);
    }
    for (size_t j = 0; j < b->naxes; j++) {
        const struct axis *a = &b->axes[j];
        if (a->nv < 2)
            continue;
        struct kvb_param *p = &spec->swept[spec->nswept++];
        snprintf(p->key, sizeof(p->key), "%s.%s", b->be->name, a->opt->name);
        kvb_opt_format(a->opt, cfg->bopts, p->value, sizeof(p->value));
        label_value(a->opt, cfg->bopts, v, sizeof(v));
        append_label(spec->label, sizeof(spec->label), "_%s-%s", a->opt->name, v);
    }
    return 0;
}

void kvb_config_free(struct kvb_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->bopts);
    cfg->bopts = NULL;
}
