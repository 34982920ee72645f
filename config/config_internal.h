/*
 * config_internal.h - what the three files of the sweep config share.
 * Private to them.
 *
 * Loading is a pipeline of three stages, one file each; a file calls only
 * the files before it, never one after:
 *
 *   config.c  text -> tree: reads the file, checks its shape, applies each
 *             --set; also the errors and the value parsing all three use.
 *   cases.c   tree -> cases: flattens the tree into one flat map per case,
 *             checks every value and every backend combination once over
 *             those maps, keeps the cases --set case=... chose, counts the
 *             runs (kvb_sweep_load runs the stages).
 *   expand.c  cases -> specs: run i's spec and label, built from its index.
 *
 * A case is one flat map: the top level's keys in order, each with the
 * case's value in its place, then the keys only the case sets; a backend's
 * map merged the same way, option by option, at its map's place. Without a
 * `cases` key the top level is the only case.
 */
#ifndef KVB_CLI_CONFIG_INTERNAL_H
#define KVB_CLI_CONFIG_INTERNAL_H

#include "config/config.h"
#include "config/yaml_tree.h"

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

/* One key of a case's flat map and its value: a config key, or one option
 * of a backend. Its nodes are the tree's, as written (positions). */
struct setting {
    const struct kvb_option *opt; /* its row: kvb_config_options' or be->options' */
    const struct kvb_backend *be; /* the backend of an option; NULL: a config key */
    const char *in;               /* the case that writes it; NULL: the top level */
    const struct kvb_ynode *key;  /* its key */
    const struct kvb_ynode *val;  /* a scalar or a list */
    size_t nv;                    /* its values: 1 for a scalar */
};

/* A backend a case meets: one with a map (at the top level, in the case or
 * both) or one the case's `backends` lists (or the default). */
struct case_backend {
    const struct kvb_backend *be;
    /* Where its map is: map is the case's map key when the case has one
     * (map_in: the case), else the top level's (map_in NULL); top is the
     * top level's map key. NULL: no such map. */
    const struct kvb_ynode *map, *top;
    const char *map_in;
    const struct kvb_ynode *listed; /* its item in `backends`; NULL: unlisted, or the default */
    bool runs;                      /* listed in `backends` (or the default without one) */
    const struct setting *opts;     /* its options: a run of the case's flat map */
    size_t nopts;
    size_t points; /* product of its options' value counts (set when counted) */
};

/* One case: its flat map, its backends, and (once counted) its runs. */
struct kvb_case {
    const struct kvb_ynode *key; /* its key in `cases`; NULL: the top level */
    size_t nset;
    struct setting *set;
    size_t nbe; /* maps first, in flat order, then the rest of `backends` */
    struct case_backend *be;
    size_t nrun; /* its `backends`, in order: indexes into be[] */
    size_t *run;
    size_t per_point; /* runs per point of its config keys: sum of its runs' points */
    size_t first;     /* its runs are [first, first + count) of the sweep */
    size_t count;
};

struct kvb_sweep {
    char name[128];
    char *path; /* the file, for node positions; NULL without one */
    struct kvb_ynode *root;
    char *text;
    struct kvb_ynode *select; /* --set case=...: the cases to keep; NULL: all */
    size_t nflat;             /* flat[0]: the top level alone; then each of `cases` */
    struct kvb_case *flat;
    size_t ncase; /* the cases runs come from: flat + 1 with `cases`, else flat */
    struct kvb_case *cases;
    size_t count;
    struct kvb_config_error *warnings; /* kvb_sweep_warnings */
    size_t nwarnings;
};

/* ---- errors and values (config.c) ---- */

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

/* Parses scalar n as row o into base; the error names key and n's position. */
int kvb_cfg_parse_value(const struct kvb_option *o, const char *key, const struct kvb_ynode *n,
                        void *base, struct kvb_config_error *err);

/* Steps 1 to 3: reads path (NULL: no file, an empty top level) into s->root,
 * checks its shape, and applies the overrides (s->select gets --set
 * case=...). Sets s->path. Returns 0, or -1 with err. */
int kvb_cfg_read(struct kvb_sweep *s, const char *path, const char *const *sets, size_t nset,
                 struct kvb_config_error *err);

/* Reports name, not a compiled backend, at node at (or file) under key.
 * Returns -1. */
int kvb_cfg_unknown_backend(const struct kvb_ynode *at, const char *file, const char *key,
                            const char *name, struct kvb_config_error *err);

/* Reports name, not a case of cases (NULL: there are none), at node at (or
 * file) under key. Returns -1. */
int kvb_cfg_unknown_case(const struct kvb_ynode *cases, const struct kvb_ynode *at,
                         const char *file, const char *key, const char *name,
                         struct kvb_config_error *err);

/* ---- the tree ---- */

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

/* ---- cases (cases.c) ---- */

/* The case's name; NULL for the top level. */
static inline const char *case_name(const struct kvb_case *c)
{
    return c->key ? c->key->text : NULL;
}

/* True for a setting that is one of the case's global axes: a config key
 * other than `backends` (whose values are the backends, not an axis). */
static inline bool is_global(const struct setting *st)
{
    return !st->be && strcmp(st->opt->name, "backends") != 0;
}

/* Fills base (b->be->opts_size bytes) with defaults and b's options at
 * point idx of their product (mixed radix, first option slowest). */
int kvb_case_backend_opts(const struct case_backend *b, size_t idx, void *base,
                          struct kvb_config_error *err);

#endif
