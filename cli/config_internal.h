/*
 * config_internal.h - what the two halves of the sweep config share:
 * config.c (reading, checking, --set) and expand.c (the plan of axes, run
 * specs and their labels). Private to those two files.
 *
 * A sweep is one or more cases. Without a `cases` key there is one, with no
 * overrides. Each case's keys are the top level's with the case's own values
 * in their place (keys only the case sets come after the top level's), and
 * its runs are the expansion of that view; the sweep's runs are the cases'
 * runs one after another, in file order.
 */
#ifndef KVB_CLI_CONFIG_INTERNAL_H
#define KVB_CLI_CONFIG_INTERNAL_H

#include "cli/config.h"
#include "cli/yaml_tree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Bounds that keep any input cheap to refuse. */
#define SWEEP_MAX_RUNS 1000000u
#define LIST_MAX 10000u /* values in a list, and cases in `cases` */
#define SWEPT_MAX (sizeof(((struct kvb_run_spec *)0)->swept) / sizeof(struct kvb_param))
#define CASE_NAME_MAX 64 /* bytes; a case name starts every label of its runs */

/* The file name of nodes that came from --set. */
#define SET_FILE "--set"

/* A key of the sweep and its values: a scalar (one value) or a list. */
struct axis {
    const struct kvb_option *opt;
    const struct kvb_ynode *key;
    const struct kvb_ynode *val;
    size_t nv;
};

/* A backend of a case's `backends`, with the axes of its option map. */
struct bplan {
    const struct kvb_backend *be;
    size_t naxes;
    struct axis *axes;
    size_t runs; /* product of its axes' sizes */
};

/* One case: its global axes and backends after its overrides. */
struct cplan {
    const struct kvb_ynode *name; /* its key in `cases`; NULL: the config has no cases */
    const struct kvb_ynode *map;  /* its overrides; NULL with name */
    size_t nglobal;               /* every config key but `backends`, in order */
    struct axis *global;
    size_t nback; /* its `backends`, in order */
    struct bplan *back;
    size_t per_point; /* runs per point of the global axes: sum of back[].runs */
    size_t first;     /* its runs are [first, first + count) of the sweep */
    size_t count;
};

struct kvb_sweep {
    char name[128];
    char *path; /* the file, for node positions; NULL without one */
    struct kvb_ynode *root;
    char *text;
    struct kvb_ynode *select; /* --set case=...: the cases to keep; NULL: all */
    size_t ncase;             /* 1 without `cases` */
    struct cplan *cases;
    size_t count;
    struct kvb_config_error *warnings; /* kvb_sweep_warnings */
    size_t nwarnings;
};

/* ---- errors (config.c) ---- */

int kvb_cfg_fail_at(struct kvb_config_error *err, const char *file, int line, int column,
                    const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* An error at node n (its file and position); n NULL: no position. */
#define FAIL(err, n, fallback_file, key, ...)                                                      \
    kvb_cfg_fail_at(err, (n) ? (n)->file : (fallback_file), (n) ? (n)->line : 0,                   \
                    (n) ? (n)->column : 0, key, __VA_ARGS__)

static inline int oom(struct kvb_config_error *err)
{
    return kvb_cfg_fail_at(err, "", 0, 0, "", "out of memory");
}

/* A key as the user writes it: "[cases.CASE.][BACKEND.]NAME" (a NULL case
 * or backend is left out). */
static inline void kvb_cfg_key(char *buf, size_t n, const char *in, const char *bname,
                               const char *name)
{
    snprintf(buf, n, "%s%s%s%s%s%s", in ? "cases." : "", in ? in : "", in ? "." : "",
             bname ? bname : "", bname ? "." : "", name);
}

/* Reports name, not a compiled backend, at node at (or file) under key.
 * Returns -1. */
int kvb_cfg_unknown_backend(const struct kvb_ynode *at, const char *file, const char *key,
                            const char *name, struct kvb_config_error *err);

/* Reports name, not a case of cases (NULL: there are none), at node at (or
 * file) under key. Returns -1. */
int kvb_cfg_unknown_case(const struct kvb_ynode *cases, const struct kvb_ynode *at,
                         const char *file, const char *key, const char *name,
                         struct kvb_config_error *err);

/* Parses scalar n as row o into base; the error names key and n's position. */
int kvb_cfg_parse_value(const struct kvb_option *o, const char *key, const struct kvb_ynode *n,
                        void *base, struct kvb_config_error *err);

/* ---- looking things up ---- */

static inline const struct kvb_ynode *map_key(const struct kvb_ynode *m, size_t i)
{
    return m->items[2 * i];
}

static inline const struct kvb_ynode *map_val(const struct kvb_ynode *m, size_t i)
{
    return m->items[2 * i + 1];
}

/* Index of the pair whose key is name, or -1. */
static inline long map_find(const struct kvb_ynode *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (map_key(m, i)->kind == KVB_YSCALAR && strcmp(map_key(m, i)->text, name) == 0)
            return (long)i;
    return -1;
}

/* The value of name in a case: the case's own (over, may be NULL) when it
 * sets it, else the top level's; NULL when neither does. */
static inline const struct kvb_ynode *case_val(const struct kvb_ynode *root,
                                               const struct kvb_ynode *over, const char *name)
{
    long i = over ? map_find(over, name) : -1;
    if (i >= 0)
        return map_val(over, i);
    i = map_find(root, name);
    return i >= 0 ? map_val(root, i) : NULL;
}

static inline size_t value_count(const struct kvb_ynode *v)
{
    return v->kind == KVB_YSEQ ? v->n : 1;
}

static inline const struct kvb_ynode *value_at(const struct kvb_ynode *v, size_t i)
{
    return v->kind == KVB_YSEQ ? v->items[i] : v;
}

/* Multiplies *acc by n, failing past SWEEP_MAX_RUNS. */
static inline bool mul_runs(size_t *acc, size_t n)
{
    if (n && *acc > SWEEP_MAX_RUNS / n)
        return false;
    *acc *= n;
    return *acc <= SWEEP_MAX_RUNS;
}

/* ---- axes and the plan (expand.c) ---- */

/* The axes of map base overlaid with map over (either may be NULL): base's
 * keys in order, each with over's value when over sets it, then the keys
 * only over sets, in order. Only keys with a row in table count, and not the
 * row named skip (NULL: none). Returns 0 with *out (NULL when there are
 * none; free it), or -1 when out of memory. */
int kvb_cfg_axes(const struct kvb_option *table, const char *skip, const struct kvb_ynode *base,
                 const struct kvb_ynode *over, struct axis **out, size_t *nout);

/* Fills base (be->opts_size bytes) with defaults and the values of axes at
 * point idx (mixed radix, first axis slowest). */
int kvb_cfg_backend_opts_at(const struct kvb_backend *be, const struct axis *axes, size_t naxes,
                            size_t idx, void *base, struct kvb_config_error *err);

/* Step 5: indexes every case's axes and counts the runs. */
int kvb_cfg_plan(struct kvb_sweep *s, struct kvb_config_error *err);

/* Frees what kvb_cfg_plan made (also after it failed part way). */
void kvb_cfg_plan_free(struct kvb_sweep *s);

#endif
