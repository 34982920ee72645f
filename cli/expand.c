/*
 * expand.c - a loaded sweep's plan, and run specs built from their index.
 *
 * The plan (step 5 of loading, see config.c) lists, for every case, its
 * global axes and its backends with their own axes, after the case's
 * overrides. The sweep's runs are the cases' runs in file order (the case is
 * the slowest axis); within a case, for each point of the cartesian product
 * of its global axes (first axis slowest), for each backend of its
 * `backends`, for each point of that backend's axes: one run.
 *
 * A spec is built on demand from its index: find the case, decode the rest
 * as a mixed-radix number over the axes, and parse the chosen texts into a
 * struct kvb_config, the same code path as validation, so what was checked
 * is what runs.
 */
#include "cli/config.h"
#include "cli/config_internal.h"
#include "util/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- axes ---- */

int kvb_cfg_axes(const struct kvb_option *table, const char *skip, const struct kvb_ynode *base,
                 const struct kvb_ynode *over, struct axis **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t cap = (base ? base->n : 0) + (over ? over->n : 0);
    if (cap == 0)
        return 0;
    struct axis *a = calloc(cap, sizeof(*a));
    if (!a)
        return -1;
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct kvb_ynode *m = pass ? over : base;
        for (size_t i = 0; m && i < m->n; i++) {
            const struct kvb_ynode *k = map_key(m, i), *v = map_val(m, i);
            const struct kvb_option *o = kvb_opt_find(table, k->text);
            if (!o || (skip && strcmp(o->name, skip) == 0))
                continue;
            if (pass == 0 && over) {
                long j = map_find(over, k->text);
                if (j >= 0) {
                    k = map_key(over, (size_t)j);
                    v = map_val(over, (size_t)j);
                }
            } else if (pass == 1 && base && map_find(base, k->text) >= 0) {
                continue; /* took base's place */
            }
            a[n++] = (struct axis){.opt = o, .key = k, .val = v, .nv = value_count(v)};
        }
    }
    if (n == 0) {
        free(a);
        return 0;
    }
    *out = a;
    *nout = n;
    return 0;
}

int kvb_cfg_backend_opts_at(const struct kvb_backend *be, const struct axis *axes, size_t naxes,
                            size_t idx, void *base, struct kvb_config_error *err)
{
    char why[KVB_OPT_ERRLEN];
    if (be->options && kvb_opt_defaults(be->options, base, why, sizeof(why)) != 0)
        return kvb_cfg_fail_at(err, "", 0, 0, be->name, "%s", why);
    for (size_t j = naxes; j-- > 0;) {
        size_t d = idx % axes[j].nv;
        idx /= axes[j].nv;
        char key[96];
        snprintf(key, sizeof(key), "%s.%s", be->name, axes[j].opt->name);
        if (kvb_cfg_parse_value(axes[j].opt, key, value_at(axes[j].val, d), base, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- step 5: the plan ---- */

static int plan_case(struct kvb_sweep *s, struct cplan *c, struct kvb_config_error *err)
{
    const struct kvb_ynode *root = s->root;
    if (kvb_cfg_axes(kvb_config_options, "backends", root, c->map, &c->global, &c->nglobal) != 0)
        return oom(err);
    size_t gpoints = 1, nswept = 0;
    for (size_t i = 0; i < c->nglobal; i++) {
        const struct axis *a = &c->global[i];
        nswept += a->nv > 1;
        if (!mul_runs(&gpoints, a->nv))
            return FAIL(err, a->val, s->path, a->opt->name,
                        "the sweep expands to more than %u runs", SWEEP_MAX_RUNS);
    }

    const struct kvb_ynode *bv = case_val(root, c->map, "backends");
    const char *def = kvb_opt_find(kvb_config_options, "backends")->def;
    c->nback = bv ? value_count(bv) : 1;
    c->back = calloc(c->nback, sizeof(*c->back));
    if (!c->back)
        return oom(err);
    size_t per_point = 0, most_swept = 0;
    for (size_t i = 0; i < c->nback; i++) {
        struct bplan *b = &c->back[i];
        b->be = kvb_backend_find(bv ? value_at(bv, i)->text : def);
        if (!b->be)
            return kvb_cfg_fail_at(err, s->path, 0, 0, "backends",
                                   "default backend '%s' is not compiled in", def);
        long mi = map_find(root, b->be->name);
        long ci = c->map ? map_find(c->map, b->be->name) : -1;
        if (kvb_cfg_axes(b->be->options, NULL, mi >= 0 ? map_val(root, (size_t)mi) : NULL,
                         ci >= 0 ? map_val(c->map, (size_t)ci) : NULL, &b->axes, &b->naxes) != 0)
            return oom(err);
        size_t sw = 0;
        bool too_many = false;
        b->runs = 1;
        for (size_t j = 0; j < b->naxes; j++) {
            sw += b->axes[j].nv > 1;
            too_many = too_many || !mul_runs(&b->runs, b->axes[j].nv);
        }
        most_swept = sw > most_swept ? sw : most_swept;
        per_point += b->runs;
        if (too_many || per_point > SWEEP_MAX_RUNS) {
            const struct kvb_ynode *at = ci >= 0   ? map_key(c->map, (size_t)ci)
                                         : mi >= 0 ? map_key(root, (size_t)mi)
                                                   : NULL;
            return FAIL(err, at, s->path, b->be->name, "the sweep expands to more than %u runs",
                        SWEEP_MAX_RUNS);
        }
    }
    c->count = gpoints;
    if (!mul_runs(&c->count, per_point))
        return FAIL(err, bv, s->path, "backends", "the sweep expands to more than %u runs",
                    SWEEP_MAX_RUNS);
    size_t vary = nswept + most_swept + (c->name ? 1 : 0);
    if (vary > SWEPT_MAX)
        return kvb_cfg_fail_at(err, s->path, 0, 0, "", "%zu keys vary: at most %zu may", vary,
                               (size_t)SWEPT_MAX);
    c->per_point = per_point;
    return 0;
}

int kvb_cfg_plan(struct kvb_sweep *s, struct kvb_config_error *err)
{
    long ci = map_find(s->root, "cases");
    const struct kvb_ynode *cases = ci >= 0 ? map_val(s->root, (size_t)ci) : NULL;
    s->ncase = cases ? cases->n : 1;
    s->cases = calloc(s->ncase, sizeof(*s->cases));
    if (!s->cases)
        return oom(err);
    size_t total = 0;
    for (size_t i = 0; i < s->ncase; i++) {
        struct cplan *c = &s->cases[i];
        if (cases) {
            c->name = map_key(cases, i);
            c->map = map_val(cases, i);
        }
        if (plan_case(s, c, err) != 0)
            return -1;
        c->first = total;
        total += c->count; /* each at most SWEEP_MAX_RUNS: no overflow */
        if (total > SWEEP_MAX_RUNS)
            return FAIL(err, c->name, s->path, "cases", "the sweep expands to more than %u runs",
                        SWEEP_MAX_RUNS);
    }
    s->count = total;
    return 0;
}

void kvb_cfg_plan_free(struct kvb_sweep *s)
{
    for (size_t i = 0; s->cases && i < s->ncase; i++) {
        struct cplan *c = &s->cases[i];
        for (size_t b = 0; c->back && b < c->nback; b++)
            free(c->back[b].axes);
        free(c->back);
        free(c->global);
    }
    free(s->cases);
    s->cases = NULL;
    s->ncase = 0;
}

size_t kvb_sweep_count(const struct kvb_sweep *s)
{
    return s->count;
}

bool kvb_sweep_has_axes(const struct kvb_sweep *s, char *first_axis, size_t n)
{
    if (s->ncase > 1) {
        if (first_axis && n)
            snprintf(first_axis, n, "case");
        return true;
    }
    const struct cplan *c = &s->cases[0];
    for (size_t i = 0; i < c->nglobal; i++) {
        if (c->global[i].nv > 1) {
            if (first_axis && n)
                snprintf(first_axis, n, "%s", c->global[i].opt->name);
            return true;
        }
    }
    for (size_t b = 0; b < c->nback; b++) {
        for (size_t i = 0; i < c->back[b].naxes; i++) {
            if (c->back[b].axes[i].nv > 1) {
                if (first_axis && n)
                    snprintf(first_axis, n, "%s.%s", c->back[b].be->name,
                             c->back[b].axes[i].opt->name);
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

static bool in_fixed_label(const struct kvb_option *o)
{
    return strcmp(o->name, "num_writers") == 0 || strcmp(o->name, "writer_rate") == 0 ||
           strcmp(o->name, "num_readers") == 0 || strcmp(o->name, "reader_rate") == 0;
}

/* The case run i belongs to: the last whose first run is at most i. */
static const struct cplan *case_of(const struct kvb_sweep *s, size_t i)
{
    size_t lo = 0, hi = s->ncase;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cases[mid].first <= i)
            lo = mid;
        else
            hi = mid;
    }
    return &s->cases[lo];
}

int kvb_sweep_spec(const struct kvb_sweep *s, size_t i, struct kvb_run_spec *spec,
                   struct kvb_config_error *err)
{
    memset(err, 0, sizeof(*err));
    memset(spec, 0, sizeof(*spec));
    if (i >= s->count)
        return kvb_cfg_fail_at(err, s->path ? s->path : "", 0, 0, "", "run %zu of a sweep of %zu",
                               i, s->count);
    struct kvb_config *cfg = &spec->cfg;
    char why[KVB_OPT_ERRLEN];
    if (kvb_opt_defaults(kvb_config_options, cfg, why, sizeof(why)) != 0)
        return kvb_cfg_fail_at(err, "", 0, 0, "", "%s", why);
    spec->index = i;

    const struct cplan *c = case_of(s, i);
    size_t g = (i - c->first) / c->per_point, r = (i - c->first) % c->per_point;
    for (size_t j = c->nglobal; j-- > 0;) {
        const struct axis *a = &c->global[j];
        size_t d = g % a->nv;
        g /= a->nv;
        if (kvb_cfg_parse_value(a->opt, a->opt->name, value_at(a->val, d), cfg, err) != 0)
            return -1;
    }
    const struct bplan *b = c->back;
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
    if (kvb_cfg_backend_opts_at(b->be, b->axes, b->naxes, r, cfg->bopts, err) != 0) {
        kvb_config_free(cfg);
        return -1;
    }

    /* Label and swept keys: the case, the fixed four, then the other global
     * axes in order, then the backend's own. */
    char v[96], rw[48], rr[48];
    rate2(rw, sizeof(rw), cfg->writer_rate);
    short_double(rr, sizeof(rr), cfg->reader_rate);
    snprintf(spec->label, sizeof(spec->label), "%s%sW%u_WR%s_RD%u_RT%s",
             c->name ? c->name->text : "", c->name ? "_" : "", cfg->num_writers, rw,
             cfg->num_readers, rr);
    if (c->name) {
        struct kvb_param *p = &spec->swept[spec->nswept++];
        snprintf(p->key, sizeof(p->key), "case");
        snprintf(p->value, sizeof(p->value), "%s", c->name->text);
    }
    for (size_t j = 0; j < c->nglobal; j++) {
        const struct axis *a = &c->global[j];
        if (a->nv < 2)
            continue;
        struct kvb_param *p = &spec->swept[spec->nswept++];
        snprintf(p->key, sizeof(p->key), "%s", a->opt->name);
        kvb_opt_format(a->opt, cfg, p->value, sizeof(p->value));
        if (in_fixed_label(a->opt))
            continue;
        label_value(a->opt, cfg, v, sizeof(v));
        kvb_appendf(spec->label, sizeof(spec->label), "_%s%s",
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
        kvb_appendf(spec->label, sizeof(spec->label), "_%s-%s", a->opt->name, v);
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
