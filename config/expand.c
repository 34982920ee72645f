/*
 * expand.c - run specs built from their index: the last stage of loading
 * (config_internal.h lists the three). It reads the cases cases.c made and
 * parses values with config.c's kvb_cfg_parse_value; neither calls it.
 *
 * The sweep's runs are the cases' runs in file order (the case is the
 * slowest axis); within a case, for each point of the cartesian product of
 * its config keys' values (first key slowest), for each backend of its
 * `backends`, for each point of that backend's options' values: one run.
 *
 * A spec is built on demand from its index: find the case, decode the rest
 * as a mixed-radix number over its settings, and parse the chosen texts
 * into a struct kvb_config, the same code path as the checks, so what was
 * checked is what runs.
 */
#include "config/config.h"
#include "config/config_internal.h"
#include "util/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const struct kvb_case *c = &s->cases[0];
    for (size_t i = 0; i < c->nset; i++) {
        if (is_global(&c->set[i]) && c->set[i].nv > 1) {
            if (first_axis && n)
                snprintf(first_axis, n, "%s", c->set[i].opt->name);
            return true;
        }
    }
    for (size_t r = 0; r < c->nrun; r++) {
        const struct case_backend *b = &c->be[c->run[r]];
        for (size_t i = 0; i < b->nopts; i++) {
            if (b->opts[i].nv > 1) {
                if (first_axis && n)
                    snprintf(first_axis, n, "%s.%s", b->be->name, b->opts[i].opt->name);
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
static const struct kvb_case *case_of(const struct kvb_sweep *s, size_t i)
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

    const struct kvb_case *c = case_of(s, i);
    size_t g = (i - c->first) / c->per_point, r = (i - c->first) % c->per_point;
    for (size_t j = c->nset; j-- > 0;) {
        const struct setting *st = &c->set[j];
        if (!is_global(st))
            continue;
        size_t d = g % st->nv;
        g /= st->nv;
        if (kvb_cfg_parse_value(st->opt, st->opt->name, value_at(st->val, d), cfg, err) != 0)
            return -1;
    }
    const size_t *run = c->run;
    while (r >= c->be[*run].points)
        r -= c->be[*run++].points;
    const struct case_backend *b = &c->be[*run];
    snprintf(cfg->name, sizeof(cfg->name), "%s", s->name);
    snprintf(cfg->backend, sizeof(cfg->backend), "%s", b->be->name);
    cfg->be = b->be;
    cfg->bopts = calloc(1, b->be->opts_size ? b->be->opts_size : 1);
    if (!cfg->bopts)
        return oom(err);
    if (kvb_case_backend_opts(b, r, cfg->bopts, err) != 0) {
        kvb_config_free(cfg);
        return -1;
    }

    /* Label and swept keys: the case, the fixed four, then the other global
     * axes in order, then the backend's own. */
    char v[96], rw[48], rr[48];
    rate2(rw, sizeof(rw), cfg->writer_rate);
    short_double(rr, sizeof(rr), cfg->reader_rate);
    const char *name = case_name(c);
    snprintf(spec->label, sizeof(spec->label), "%s%sW%u_WR%s_RD%u_RT%s", name ? name : "",
             name ? "_" : "", cfg->num_writers, rw, cfg->num_readers, rr);
    if (name) {
        struct kvb_param *p = &spec->swept[spec->nswept++];
        snprintf(p->key, sizeof(p->key), "case");
        snprintf(p->value, sizeof(p->value), "%s", name);
    }
    for (size_t j = 0; j < c->nset; j++) {
        const struct setting *a = &c->set[j];
        if (!is_global(a) || a->nv < 2)
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
    for (size_t j = 0; j < b->nopts; j++) {
        const struct setting *a = &b->opts[j];
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
