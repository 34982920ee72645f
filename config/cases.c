/*
 * cases.c - the tree after --set flattened into its cases, each checked
 * once, and counted: the second stage of loading (config_internal.h lists
 * the three). kvb_sweep_load runs them all.
 *
 * Each case becomes one flat map (struct kvb_case): the top level's keys in
 * order, each with the case's value in its place, then the keys only the
 * case sets; a backend's map merged the same way, option by option, at its
 * map's place. Every setting keeps the nodes it was written at and which
 * case wrote it, so an error names the key as the user wrote it
 * ("cases.a.lmdb.map_size") at its file:line:column. flat[0] is the top
 * level alone; the cases follow it. Without `cases` the top level is the
 * only case. After config.c's steps 1 to 3, loading goes on:
 *
 *   4. flatten the tree into flat[];
 *   5. check every value where it is written: each setting of each flat map
 *      that map's case (or the top level) writes, so a top-level value that
 *      every case replaces is checked too. Each value parses with its row
 *      (kvb_opt_parse) and no list holds one twice. Then the sweep's name,
 *      and each backend's check() on every combination of its options and
 *      `sync` in every case (once for all cases when no case changes them);
 *   6. warn about backend maps that no run uses, then keep only the cases
 *      --set case=... chose (after checking, so every case is checked);
 *   7. count each case's runs.
 *
 * Run specs are built from these maps (expand.c) by the same parsing as
 * the checks, so what was checked is what runs.
 */
#include "config/config.h"
#include "config/config_internal.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- step 4: flatten ---- */

/* One key of map base overlaid with map over: base's pair and over's, NULL
 * where that map does not set the key. */
struct pair {
    const struct kvb_ynode *bk, *bv, *ok, *ov;
};

/* Steps *i through the keys of base overlaid with over (either may be NULL):
 * base's keys in order, each with over's pair when over sets it, then the
 * keys only over sets, in order. Fills *p; false past the last key. */
static bool overlay_next(const struct kvb_ynode *base, const struct kvb_ynode *over, size_t *i,
                         struct pair *p)
{
    size_t nb = base ? base->n : 0, no = over ? over->n : 0;
    while (*i < nb + no) {
        size_t k = (*i)++;
        if (k < nb) {
            long j = over ? map_find(over, map_key(base, k)->text) : -1;
            *p = (struct pair){map_key(base, k), map_val(base, k),
                               j >= 0 ? map_key(over, (size_t)j) : NULL,
                               j >= 0 ? map_val(over, (size_t)j) : NULL};
            return true;
        }
        k -= nb;
        if (base && map_find(base, map_key(over, k)->text) >= 0)
            continue; /* took base's place */
        *p = (struct pair){NULL, NULL, map_key(over, k), map_val(over, k)};
        return true;
    }
    return false;
}

static size_t backend_count(void)
{
    size_t n = 0;
    while (kvb_backends[n])
        n++;
    return n;
}

/* The most settings map m can add: one per key, one per option of a map. */
static size_t settings_in(const struct kvb_ynode *m)
{
    size_t n = 0;
    for (size_t i = 0; m && i < m->n; i++)
        n += map_val(m, i)->kind == KVB_YMAP ? map_val(m, i)->n : 1;
    return n;
}

/* The config key (not backend option) name of case c, or NULL. */
static const struct setting *case_setting(const struct kvb_case *c, const char *name)
{
    for (size_t i = 0; i < c->nset; i++)
        if (!c->set[i].be && strcmp(c->set[i].opt->name, name) == 0)
            return &c->set[i];
    return NULL;
}

static struct case_backend *find_backend(const struct kvb_case *c, const struct kvb_backend *be)
{
    for (size_t i = 0; i < c->nbe; i++)
        if (c->be[i].be == be)
            return &c->be[i];
    return NULL;
}

/* Appends pair p as a setting of row o: the case's (in) when it sets it. */
static void add_setting(struct kvb_case *c, const struct kvb_option *o,
                        const struct kvb_backend *be, const char *in, const struct pair *p)
{
    struct setting *st = &c->set[c->nset++];
    bool own = p->ok != NULL;
    *st = (struct setting){.opt = o,
                           .be = be,
                           .in = own ? in : NULL,
                           .key = own ? p->ok : p->bk,
                           .val = own ? p->ov : p->bv};
    st->nv = value_count(st->val);
}

/* Appends backend be's map (pair p: the top level's and the case's), its
 * options merged into settings. */
static void add_backend(struct kvb_case *c, const struct kvb_backend *be, const char *in,
                        const struct pair *p)
{
    struct case_backend *b = &c->be[c->nbe++];
    *b = (struct case_backend){.be = be,
                               .map = p->ok ? p->ok : p->bk,
                               .map_in = p->ok ? in : NULL,
                               .top = p->bk,
                               .opts = c->set + c->nset};
    struct pair q;
    for (size_t i = 0; overlay_next(p->bv, p->ov, &i, &q);)
        add_setting(c, kvb_opt_find(be->options, (q.ok ? q.ok : q.bk)->text), be, in, &q);
    b->nopts = (size_t)(c->set + c->nset - b->opts);
}

/* Marks the backends of c's `backends` (the default without one) as run,
 * adding those without a map; c->run lists them in order. Names that are
 * not backends, or listed twice, are left for step 5 to report. */
static void add_runs(struct kvb_case *c)
{
    const struct setting *bs = case_setting(c, "backends");
    const char *def = kvb_opt_find(kvb_config_options, "backends")->def;
    for (size_t i = 0; i < (bs ? bs->nv : 1); i++) {
        const struct kvb_ynode *item = bs ? value_at(bs->val, i) : NULL;
        const struct kvb_backend *be = kvb_backend_find(item ? item->text : def);
        if (!be)
            continue;
        struct case_backend *b = find_backend(c, be);
        if (!b) {
            b = &c->be[c->nbe++];
            *b = (struct case_backend){.be = be, .opts = c->set + c->nset};
        }
        if (b->runs)
            continue;
        b->runs = true;
        b->listed = item;
        c->run[c->nrun++] = (size_t)(b - c->be);
    }
}

/* Case c: the top level overlaid with case map (key NULL: the top level
 * alone). Returns 0, or -1 when out of memory. */
static int flatten_case(struct kvb_case *c, const struct kvb_ynode *root,
                        const struct kvb_ynode *key, const struct kvb_ynode *map)
{
    size_t cap = settings_in(root) + settings_in(map), nb = backend_count();
    c->key = key;
    c->set = calloc(cap ? cap : 1, sizeof(*c->set));
    c->be = calloc(nb ? nb : 1, sizeof(*c->be));
    c->run = calloc(nb ? nb : 1, sizeof(*c->run));
    if (!c->set || !c->be || !c->run)
        return -1;
    const char *in = key ? key->text : NULL;
    struct pair p;
    for (size_t i = 0; overlay_next(root, map, &i, &p);) {
        const char *name = (p.ok ? p.ok : p.bk)->text;
        const struct kvb_option *o = kvb_opt_find(kvb_config_options, name);
        const struct kvb_backend *be = o ? NULL : kvb_backend_find(name);
        if (o)
            add_setting(c, o, NULL, in, &p);
        else if (be)
            add_backend(c, be, in, &p);
        /* else `cases` */
    }
    add_runs(c);
    return 0;
}

static void case_free(struct kvb_case *c)
{
    free(c->set);
    free(c->be);
    free(c->run);
}

static int flatten(struct kvb_sweep *s)
{
    long ci = map_find(s->root, "cases");
    const struct kvb_ynode *cases = ci >= 0 ? map_val(s->root, (size_t)ci) : NULL;
    size_t n = 1 + (cases ? cases->n : 0);
    if (!(s->flat = calloc(n, sizeof(*s->flat))))
        return -1;
    s->nflat = n;
    for (size_t i = 0; i < n; i++)
        if (flatten_case(&s->flat[i], s->root, i ? map_key(cases, i - 1) : NULL,
                         i ? map_val(cases, i - 1) : NULL) != 0)
            return -1;
    s->cases = s->flat + (cases ? 1 : 0);
    s->ncase = n - (cases ? 1 : 0);
    return 0;
}

int kvb_case_backend_opts(const struct case_backend *b, size_t idx, void *base,
                          struct kvb_config_error *err)
{
    char why[KVB_OPT_ERRLEN];
    if (b->be->options && kvb_opt_defaults(b->be->options, base, why, sizeof(why)) != 0)
        return kvb_cfg_fail_at(err, "", 0, 0, b->be->name, "%s", why);
    for (size_t j = b->nopts; j-- > 0;) {
        const struct setting *st = &b->opts[j];
        size_t d = idx % st->nv;
        idx /= st->nv;
        char key[96];
        kvb_cfg_key(key, sizeof(key), NULL, b->be->name, st->opt->name);
        if (kvb_cfg_parse_value(st->opt, key, value_at(st->val, d), base, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- step 5: checks ---- */

/* Every value of one key parses, and no list holds the same value twice
 * (two runs with one label). */
static int check_list(const struct kvb_option *o, const char *key, const struct kvb_ynode *v,
                      void *base, struct kvb_config_error *err)
{
    size_t n = value_count(v);
    char(*seen)[128] = n > 1 ? calloc(n, sizeof(*seen)) : NULL;
    if (n > 1 && !seen)
        return oom(err);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if ((rc = kvb_cfg_parse_value(o, key, it, base, err)) != 0 || !seen)
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

/* `backends`: compiled backends, none twice. */
static int check_backend_list(const struct kvb_ynode *v, const char *key,
                              struct kvb_config_error *err)
{
    for (size_t i = 0; i < value_count(v); i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if (!kvb_backend_find(it->text))
            return kvb_cfg_unknown_backend(it, "", key, it->text, err);
        for (size_t j = 0; j < i; j++)
            if (strcmp(value_at(v, j)->text, it->text) == 0)
                return FAIL(err, it, "", key, "'%s' is listed twice", it->text);
    }
    return 0;
}

/* Every value each flat map writes itself: values the top level writes are
 * checked in flat[0] (also those every case replaces), a case's in its own. */
static int check_values(const struct kvb_sweep *s, struct kvb_config_error *err)
{
    size_t size = sizeof(struct kvb_config);
    for (size_t i = 0; kvb_backends[i]; i++)
        size = kvb_backends[i]->opts_size > size ? kvb_backends[i]->opts_size : size;
    void *scratch = calloc(1, size);
    if (!scratch)
        return oom(err);
    int rc = 0;
    for (size_t f = 0; f < s->nflat && rc == 0; f++) {
        const struct kvb_case *c = &s->flat[f];
        for (size_t i = 0; i < c->nset && rc == 0; i++) {
            const struct setting *st = &c->set[i];
            if (st->in != case_name(c))
                continue; /* written by the top level: checked in flat[0] */
            char key[96];
            kvb_cfg_key(key, sizeof(key), st->in, st->be ? st->be->name : NULL, st->opt->name);
            if (!st->be && strcmp(st->opt->name, "backends") == 0)
                rc = check_backend_list(st->val, key, err);
            else
                rc = check_list(st->opt, key, st->val, scratch, err);
        }
    }
    free(scratch);
    return rc;
}

/* Runs b's check() in case c on every combination of its options and every
 * `sync`. The error is placed at b's map (else its item in `backends`), and
 * says in which case when the case changes the map or `sync`. */
static int check_backend(const struct kvb_sweep *s, const struct kvb_case *c,
                         const struct case_backend *b, struct kvb_config_error *err)
{
    const struct kvb_backend *be = b->be;
    const struct setting *sync = case_setting(c, "sync");
    const char *in = b->map_in ? b->map_in : sync ? sync->in : NULL;
    const struct kvb_ynode *where = b->map ? b->map : b->listed;
    char key[96];
    kvb_cfg_key(key, sizeof(key), b->map_in, NULL, be->name);
    size_t runs = 1;
    bool too_many = false;
    for (size_t j = 0; j < b->nopts; j++)
        too_many = too_many || !mul_runs(&runs, b->opts[j].nv);
    if (too_many)
        return FAIL(err, where, s->path, key, "its option lists make more than %u combinations",
                    SWEEP_MAX_RUNS);
    if (!be->check)
        return 0;
    const struct kvb_option *so = kvb_opt_find(kvb_config_options, "sync");
    void *opts = calloc(1, be->opts_size ? be->opts_size : 1);
    if (!opts)
        return oom(err);
    int rc = 0;
    for (size_t p = 0; p < runs && rc == 0; p++) {
        if ((rc = kvb_case_backend_opts(b, p, opts, err)) != 0)
            break;
        for (size_t q = 0; q < (sync ? sync->nv : 1) && rc == 0; q++) {
            struct kvb_config cfg;
            cfg.sync = true;
            if (sync &&
                (rc = kvb_cfg_parse_value(so, "sync", value_at(sync->val, q), &cfg, err)) != 0)
                break;
            char buf[KVB_OPT_ERRLEN] = "";
            if (be->check(opts, cfg.sync, buf, sizeof(buf)) == 0)
                continue;
            /* The key already names the backend: drop a "name: " prefix. */
            const char *why = buf;
            size_t bl = strlen(be->name);
            if (strncmp(why, be->name, bl) == 0 && why[bl] == ':' && why[bl + 1] == ' ')
                why += bl + 2;
            /* Say which combination, when there is more than one, and in
             * which case. */
            char with[300] = "";
            size_t len = 0, idx = p;
            for (size_t j = b->nopts; j-- > 0;) {
                const struct setting *st = &b->opts[j];
                size_t d = idx % st->nv;
                idx /= st->nv;
                if (st->nv > 1 && len < sizeof(with))
                    len +=
                        (size_t)snprintf(with + len, sizeof(with) - len, "%s%s=%s", len ? ", " : "",
                                         st->opt->name, value_at(st->val, d)->text);
            }
            if (sync && sync->nv > 1 && len < sizeof(with))
                len += (size_t)snprintf(with + len, sizeof(with) - len, "%ssync=%s",
                                        len ? ", " : "", cfg.sync ? "true" : "false");
            if (len)
                rc = FAIL(err, where, s->path, key, "%s (with %s%s%s%s)", why, with,
                          in ? ", in case '" : "", in ? in : "", in ? "'" : "");
            else if (in)
                rc = FAIL(err, where, s->path, key, "%s (in case '%s')", why, in);
            else
                rc = FAIL(err, where, s->path, key, "%s", why);
        }
    }
    free(opts);
    return rc;
}

/* Every backend every case meets, checked as that case sees it; a backend
 * whose map and `sync` a case leaves as the top level has them is checked
 * once for all such cases. */
static int check_backends(const struct kvb_sweep *s, struct kvb_config_error *err)
{
    size_t nb = backend_count();
    bool *top_done = calloc(nb ? nb : 1, sizeof(*top_done));
    if (!top_done)
        return oom(err);
    int rc = 0;
    for (size_t i = 0; i < s->ncase && rc == 0; i++) {
        const struct kvb_case *c = &s->cases[i];
        const struct setting *sync = case_setting(c, "sync");
        for (size_t j = 0; j < c->nbe && rc == 0; j++) {
            const struct case_backend *b = &c->be[j];
            if (!b->map_in && !(sync && sync->in)) {
                size_t k = 0;
                while (kvb_backends[k] != b->be)
                    k++;
                if (top_done[k])
                    continue;
                top_done[k] = true;
            }
            rc = check_backend(s, c, b, err);
        }
    }
    free(top_done);
    return rc;
}

/* `name` becomes the CSV's and the results directory's names: it must be
 * one plain file name, so no output can land outside the results directory. */
static int check_name(const struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct setting *st = case_setting(&s->flat[0], "name");
    if (!st)
        return 0;
    const struct kvb_ynode *v = value_at(st->val, 0);
    const char *t = v->text;
    bool ok = t[0] != '\0' && t[0] != '.';
    for (const char *c = t; ok && *c; c++)
        ok = kvb_name_char(*c);
    if (ok)
        return 0;
    return FAIL(err, v, s->path ? s->path : SET_FILE, "name",
                "a sweep name becomes file names: letters, digits, '_', '-' and '.' (not first), "
                "no '/', got '%s'",
                t);
}

/* ---- step 6: warnings and the chosen cases ---- */

static bool case_runs(const struct kvb_case *c, const struct kvb_backend *be)
{
    const struct case_backend *b = find_backend(c, be);
    return b && b->runs;
}

/* The `backends` case c runs, as text: "lmdb, mem" or "lmdb, the default". */
static void backends_text(const struct kvb_case *c, char *buf, size_t n)
{
    const struct setting *bs = case_setting(c, "backends");
    buf[0] = '\0';
    if (!bs) {
        snprintf(buf, n, "%s, the default", kvb_opt_find(kvb_config_options, "backends")->def);
        return;
    }
    for (size_t i = 0; i < bs->nv; i++)
        kvb_appendf(buf, n, "%s%s", i ? ", " : "", value_at(bs->val, i)->text);
}

/* Adds a warning about the map of backend b in case c (the top level's map
 * when c is flat[0]). */
static int warn_unused(struct kvb_sweep *s, const struct kvb_case *c, const struct case_backend *b,
                       struct kvb_config_error *err)
{
    struct kvb_config_error *w = realloc(s->warnings, (s->nwarnings + 1) * sizeof(*w));
    if (!w)
        return oom(err);
    s->warnings = w;
    w += s->nwarnings++;
    char key[96], list[200];
    backends_text(c, list, sizeof(list));
    if (c->key) {
        kvb_cfg_key(key, sizeof(key), case_name(c), NULL, b->be->name);
        FAIL(w, b->map, s->path, key,
             "this backend is not among the case's `backends` (%s): its options are not used",
             list);
    } else if (s->nflat > 1) {
        FAIL(w, b->top, s->path, b->be->name,
             "this backend is not among the `backends` of any case: its options are not used");
    } else {
        FAIL(w, b->top, s->path, b->be->name,
             "this backend is not among `backends` (%s): its options are not used", list);
    }
    return 0;
}

/* Warns about each backend map that no run uses: a top-level one whose
 * backend no case runs, a case's whose backend that case does not run. Runs
 * before --set case=... drops cases, so a map is judged by all of them. */
static int find_unused_backend_maps(struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct kvb_case *top = &s->flat[0];
    for (size_t i = 0; i < top->nbe; i++) {
        const struct case_backend *b = &top->be[i];
        bool used = !b->top;
        for (size_t c = 0; c < s->ncase && !used; c++)
            used = case_runs(&s->cases[c], b->be);
        if (!used && warn_unused(s, top, b, err) != 0)
            return -1;
    }
    for (size_t c = 1; c < s->nflat; c++) {
        const struct kvb_case *cs = &s->flat[c];
        for (size_t i = 0; i < cs->nbe; i++)
            if (cs->be[i].map_in && !cs->be[i].runs && warn_unused(s, cs, &cs->be[i], err) != 0)
                return -1;
    }
    return 0;
}

/* Keeps the cases --set case=... chose (in file order) and drops the others,
 * from the tree and from flat[], so the count and the sweep's text hold only
 * those. */
static int select_cases(struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct kvb_ynode *sel = s->select;
    if (!sel)
        return 0;
    long ci = map_find(s->root, "cases");
    struct kvb_ynode *cases = ci >= 0 ? s->root->items[2 * ci + 1] : NULL;
    if (!cases)
        return FAIL(err, sel, SET_FILE, "case",
                    "the config has no cases to choose from (no 'cases' key)");
    bool *keep = calloc(cases->n, sizeof(*keep));
    if (!keep)
        return oom(err);
    int rc = 0;
    for (size_t i = 0; i < value_count(sel) && rc == 0; i++) {
        const struct kvb_ynode *it = value_at(sel, i);
        long j = map_find(cases, it->text);
        if (j < 0)
            rc = kvb_cfg_unknown_case(cases, it, SET_FILE, "case", it->text, err);
        else if (keep[j])
            rc = FAIL(err, it, SET_FILE, "case", "'%s' is listed twice", it->text);
        else
            keep[j] = true;
    }
    if (rc == 0) {
        size_t n = 0;
        for (size_t j = 0; j < cases->n; j++) {
            if (keep[j]) {
                cases->items[2 * n] = cases->items[2 * j];
                cases->items[2 * n + 1] = cases->items[2 * j + 1];
                s->cases[n] = s->cases[j];
                n++;
            } else {
                case_free(&s->cases[j]);
                kvb_ynode_free(cases->items[2 * j]);
                kvb_ynode_free(cases->items[2 * j + 1]);
            }
        }
        cases->n = n;
        s->ncase = n;
        s->nflat = n + 1;
    }
    free(keep);
    return rc;
}

/* ---- step 7: counting ---- */

static int count_case(const struct kvb_sweep *s, struct kvb_case *c, struct kvb_config_error *err)
{
    size_t gpoints = 1, nswept = 0;
    for (size_t i = 0; i < c->nset; i++) {
        const struct setting *st = &c->set[i];
        if (!is_global(st))
            continue;
        nswept += st->nv > 1;
        if (!mul_runs(&gpoints, st->nv))
            return FAIL(err, st->val, s->path, st->opt->name,
                        "the sweep expands to more than %u runs", SWEEP_MAX_RUNS);
    }
    if (c->nrun == 0)
        return kvb_cfg_fail_at(err, s->path, 0, 0, "backends",
                               "default backend '%s' is not compiled in",
                               kvb_opt_find(kvb_config_options, "backends")->def);
    size_t per_point = 0, most_swept = 0;
    for (size_t r = 0; r < c->nrun; r++) {
        struct case_backend *b = &c->be[c->run[r]];
        size_t sw = 0;
        bool too_many = false;
        b->points = 1;
        for (size_t j = 0; j < b->nopts; j++) {
            sw += b->opts[j].nv > 1;
            too_many = too_many || !mul_runs(&b->points, b->opts[j].nv);
        }
        most_swept = sw > most_swept ? sw : most_swept;
        per_point += b->points;
        if (too_many || per_point > SWEEP_MAX_RUNS)
            return FAIL(err, b->map, s->path, b->be->name, "the sweep expands to more than %u runs",
                        SWEEP_MAX_RUNS);
    }
    c->count = gpoints;
    if (!mul_runs(&c->count, per_point)) {
        const struct setting *bs = case_setting(c, "backends");
        return FAIL(err, bs ? bs->val : NULL, s->path, "backends",
                    "the sweep expands to more than %u runs", SWEEP_MAX_RUNS);
    }
    size_t vary = nswept + most_swept + (c->key ? 1 : 0);
    if (vary > SWEPT_MAX)
        return kvb_cfg_fail_at(err, s->path, 0, 0, "", "%zu keys vary: at most %zu may", vary,
                               (size_t)SWEPT_MAX);
    c->per_point = per_point;
    return 0;
}

static int count_runs(struct kvb_sweep *s, struct kvb_config_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < s->ncase; i++) {
        struct kvb_case *c = &s->cases[i];
        if (count_case(s, c, err) != 0)
            return -1;
        c->first = total;
        total += c->count; /* each at most SWEEP_MAX_RUNS: no overflow */
        if (total > SWEEP_MAX_RUNS)
            return FAIL(err, c->key, s->path, "cases", "the sweep expands to more than %u runs",
                        SWEEP_MAX_RUNS);
    }
    s->count = total;
    return 0;
}

/* ---- the sweep ---- */

static void set_name(struct kvb_sweep *s)
{
    const struct setting *st = case_setting(&s->flat[0], "name");
    if (st) {
        snprintf(s->name, sizeof(s->name), "%s", value_at(st->val, 0)->text);
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
    if (kvb_cfg_read(s, path, sets, nset, err) != 0)
        goto fail;
    if (flatten(s) != 0) {
        oom(err);
        goto fail;
    }
    if (check_values(s, err) != 0 || check_backends(s, err) != 0 || check_name(s, err) != 0 ||
        find_unused_backend_maps(s, err) != 0 || select_cases(s, err) != 0 ||
        count_runs(s, err) != 0)
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
    for (size_t i = 0; s->flat && i < s->nflat; i++)
        case_free(&s->flat[i]);
    free(s->flat);
    free(s->warnings);
    free(s->text);
    kvb_ynode_free(s->select);
    kvb_ynode_free(s->root);
    free(s->path);
    free(s);
}

const char *kvb_sweep_name(const struct kvb_sweep *s)
{
    return s->name;
}

const struct kvb_config_error *kvb_sweep_warnings(const struct kvb_sweep *s, size_t *n)
{
    *n = s->nwarnings;
    return s->warnings;
}

const char *kvb_sweep_text(const struct kvb_sweep *s)
{
    return s->text;
}
