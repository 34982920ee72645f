/*
 * config.c - a YAML sweep config: read, checked, overridden.
 *
 * The parsed YAML tree (yaml_tree.h) is the model. Loading goes in steps,
 * each of which may stop with one positioned error:
 *
 *   1. read the file and parse it into a tree;
 *   2. check its shape: a mapping of known keys, no duplicates, each value a
 *      scalar or a non-empty list of scalars, backend keys mappings of that
 *      backend's options, `cases` a mapping of case names to mappings of
 *      such keys (the keys each case changes);
 *   3. apply each --set KEY=VALUE by parsing VALUE as YAML and putting it in
 *      the tree in place of the file's value (new keys go at the end);
 *   4. parse every value of every list with its option row (kvb_opt_parse),
 *      so a bad value anywhere fails before anything runs, and run each
 *      backend's check() on every combination of its options and `sync` in
 *      every case; then drop the cases that --set case=... did not choose;
 *   5. index the axes and count the runs (expand.c).
 *
 * Specs are built on demand from their index (expand.c), by the same parsing
 * as validation, so what was checked is what runs. kvb_sweep_text is the
 * tree written back out.
 */
#include "cli/config.h"
#include "cli/config_internal.h"
#include "util/fs.h"
#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bounds that keep any input cheap to refuse (more in config_internal.h). */
#define CONFIG_MAX_BYTES (16u << 20)

static const char SET_FILE[] = "--set";

/* ---- errors ---- */

int kvb_cfg_fail_at(struct kvb_config_error *err, const char *file, int line, int column,
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

/* The suggestion for an unknown key: the nearest of the closest config key,
 * the closest backend name and (at the top level only) `cases`. */
static const char *closest_top(const char *name, bool in_case)
{
    static const char *const cases_key[] = {"cases"};
    const char *cand[3] = {kvb_opt_closest(kvb_config_options, name), kvb_backend_closest(name),
                           in_case ? NULL : kvb_closest_name(name, cases_key, 1)};
    const char *best = NULL;
    for (size_t i = 0; i < 3; i++)
        if (cand[i] && (!best || kvb_edit_distance(name, cand[i]) < kvb_edit_distance(name, best)))
            best = cand[i];
    return best;
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

/* An unknown option of backend be; prefix is "" or "cases.NAME.". */
static int unknown_option(const struct kvb_backend *be, const struct kvb_ynode *at,
                          const char *file, const char *prefix, const char *name,
                          struct kvb_config_error *err)
{
    char key[96];
    snprintf(key, sizeof(key), "%s%s.%s", prefix, be->name, name);
    if (!be->options || !be->options[0].name)
        return FAIL(err, at, file, key, "backend '%s' has no options", be->name);
    const char *close = kvb_opt_closest(be->options, name);
    if (close)
        return FAIL(err, at, file, key, "unknown option (did you mean '%s'?)", close);
    char names[300];
    option_names(be->options, names, sizeof(names));
    return FAIL(err, at, file, key, "unknown option (%s options: %s)", be->name, names);
}

/* A backend key's value: a mapping of the backend's own options. prefix is
 * "" at the top level, "cases.NAME." in a case. */
static int check_backend_map(const struct kvb_backend *be, const struct kvb_ynode *v,
                             const char *prefix, struct kvb_config_error *err)
{
    char bkey[96];
    snprintf(bkey, sizeof(bkey), "%s%s", prefix, be->name);
    if (v->kind == KVB_YALIAS)
        return reject_alias(v, bkey, err);
    if (v->kind != KVB_YMAP)
        return FAIL(err, v, "", bkey, "expected a mapping of %s options (option: value), got %s",
                    be->name, kvb_ynode_what(v));
    for (size_t i = 0; i < v->n; i++) {
        if (check_map_key(v, i, bkey, err) != 0)
            return -1;
        const struct kvb_ynode *k = map_key(v, i);
        const struct kvb_option *o = kvb_opt_find(be->options, k->text);
        if (!o)
            return unknown_option(be, k, "", prefix, k->text, err);
        char key[96];
        snprintf(key, sizeof(key), "%s.%s", bkey, o->name);
        if (check_value_shape(o, key, map_val(v, i), err) != 0)
            return -1;
    }
    return 0;
}

/* An unknown key name, reported as key ("cases.NAME.name" in a case); the
 * message does not repeat the name, which the key already shows. */
static int unknown_key(const struct kvb_ynode *at, const char *file, const char *key,
                       const char *name, const struct kvb_ynode *val, bool in_case,
                       struct kvb_config_error *err)
{
    if (in_case && (strcmp(name, "cases") == 0 || strcmp(name, "case") == 0))
        return FAIL(err, at, file, key,
                    "cases do not nest: a case holds the config keys it changes");
    const char *close = closest_top(name, in_case);
    if (close)
        return FAIL(err, at, file, key, "unknown (did you mean '%s'?)", close);
    if (val && val->kind == KVB_YMAP) {
        char names[160];
        backend_names(names, sizeof(names));
        return FAIL(err, at, file, key, "unknown backend (compiled backends: %s)", names);
    }
    return FAIL(err, at, file, key, "unknown (not a config key or a backend name)");
}

/* Why config key o cannot be set in a case, or NULL when it can. */
static const char *not_in_case(const struct kvb_option *o)
{
    if (strcmp(o->name, "name") == 0 || strcmp(o->name, "parallel") == 0)
        return "it belongs to the whole sweep";
    return NULL;
}

/* A case name becomes the first part of its runs' labels, and so of file
 * names: [A-Za-z0-9_.-], at most CASE_NAME_MAX bytes. */
static int check_case_name(const char *name, size_t len, const struct kvb_ynode *at,
                           const char *file, struct kvb_config_error *err)
{
    char key[96];
    snprintf(key, sizeof(key), "cases.%s", name);
    if (len > CASE_NAME_MAX)
        return FAIL(err, at, file, key,
                    "case name of %zu characters: at most %d allowed (it starts run labels)", len,
                    CASE_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        if (!kvb_name_char(name[i]))
            return FAIL(err, at, file, key,
                        "case name '%s' may hold only letters, digits, '_', '.' and '-' (it "
                        "starts run labels and file names)",
                        name);
    }
    return 0;
}

/* One case's map: the config keys (and backend maps) it changes. */
static int check_case_map(const char *name, const struct kvb_ynode *m, struct kvb_config_error *err)
{
    char where[96], prefix[96];
    snprintf(where, sizeof(where), "cases.%s", name);
    snprintf(prefix, sizeof(prefix), "cases.%s.", name);
    if (m->kind == KVB_YALIAS)
        return reject_alias(m, where, err);
    if (m->kind == KVB_YSCALAR && kvb_ynode_is_null(m))
        return FAIL(err, m, "", where,
                    "expected a mapping of the config keys this case changes (key: value), got "
                    "nothing");
    if (m->kind != KVB_YMAP)
        return FAIL(err, m, "", where,
                    "expected a mapping of the config keys this case changes (key: value), got %s",
                    kvb_ynode_what(m));
    if (m->n == 0)
        return FAIL(err, m, "", where, "empty case: expected at least one config key it changes");
    for (size_t i = 0; i < m->n; i++) {
        if (check_map_key(m, i, where, err) != 0)
            return -1;
        const struct kvb_ynode *k = map_key(m, i), *v = map_val(m, i);
        char key[96];
        snprintf(key, sizeof(key), "%s%s", prefix, k->text);
        const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
        const struct kvb_backend *be = o ? NULL : kvb_backend_find(k->text);
        int rc;
        if (o && not_in_case(o))
            rc = FAIL(err, k, "", key, "'%s' cannot differ between cases (%s): %s", o->name,
                      not_in_case(o), "set it at the top level");
        else if (o)
            rc = check_value_shape(o, key, v, err);
        else if (be)
            rc = check_backend_map(be, v, prefix, err);
        else
            rc = unknown_key(k, "", key, k->text, v, true, err);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* `cases`: a non-empty mapping of case names to non-empty maps of keys. */
static int check_cases(const struct kvb_ynode *v, struct kvb_config_error *err)
{
    static const char what[] =
        "expected a mapping of case names to the config keys each changes (NAME: {KEY: VALUE})";
    if (v->kind == KVB_YALIAS)
        return reject_alias(v, "cases", err);
    if (v->kind == KVB_YSCALAR && kvb_ynode_is_null(v))
        return FAIL(err, v, "", "cases", "%s, got nothing", what);
    if (v->kind != KVB_YMAP)
        return FAIL(err, v, "", "cases", "%s, got %s", what, kvb_ynode_what(v));
    if (v->n == 0)
        return FAIL(err, v, "", "cases", "no cases: %s", what);
    if (v->n > LIST_MAX)
        return FAIL(err, v, "", "cases", "%zu cases: at most %u allowed", v->n, LIST_MAX);
    for (size_t i = 0; i < v->n; i++) {
        if (check_map_key(v, i, "cases", err) != 0)
            return -1;
        const struct kvb_ynode *k = map_key(v, i);
        if (check_case_name(k->text, k->len, k, "", err) != 0 ||
            check_case_map(k->text, map_val(v, i), err) != 0)
            return -1;
    }
    return 0;
}

/* One top-level pair: a config key with a value, a backend's map, or the
 * cases. */
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
        return check_backend_map(be, v, "", err);
    if (strcmp(k->text, "cases") == 0)
        return check_cases(v, err);
    return unknown_key(k, "", k->text, k->text, v, false, err);
}
/* ---- step 1: reading ---- */

static int read_file(const char *path, char **out, size_t *outlen, struct kvb_config_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kvb_cfg_fail_at(err, path, 0, 0, "", "cannot open: %s", strerror(errno));
    int rc = kvb_read_fd(fd, path, CONFIG_MAX_BYTES, out, outlen, NULL, 0), e = errno;
    close(fd);
    if (rc == 0)
        return 0;
    if (e == EFBIG)
        return kvb_cfg_fail_at(err, path, 0, 0, "", "larger than %u MiB: not a config file",
                               CONFIG_MAX_BYTES >> 20);
    if (e == ENOMEM)
        return kvb_cfg_fail_at(err, path, 0, 0, "", "out of memory");
    return kvb_cfg_fail_at(err, path, 0, 0, "", "cannot read: %s", strerror(e));
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
        return kvb_cfg_fail_at(err, s->path, ye.line, ye.column, "", "%s", ye.msg);
    if (!s->root || kvb_ynode_is_null(s->root))
        return kvb_cfg_fail_at(
            err, s->path, 0, 0, "",
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

/* The map under name in m, created (empty, at the end) if missing. */
static struct kvb_ynode *sub_map(struct kvb_ynode *m, const char *name)
{
    long i = map_find(m, name);
    if (i >= 0)
        return m->items[2 * i + 1];
    struct kvb_ynode *sub = kvb_ynode_new(KVB_YMAP, NULL, SET_FILE, 1, 1);
    if (!sub || map_put(m, name, sub) != 0) {
        kvb_ynode_free(sub);
        return NULL;
    }
    return sub;
}

/* Reports an unknown backend bname in the "backend.option" key. */
static int unknown_set_backend(const char *key, const char *bname, struct kvb_config_error *err)
{
    const char *close = kvb_backend_closest(bname);
    if (close)
        return kvb_cfg_fail_at(err, SET_FILE, 1, 1, key,
                               "unknown backend '%s' (did you mean '%s'?)", bname, close);
    char names[160];
    backend_names(names, sizeof(names));
    return kvb_cfg_fail_at(err, SET_FILE, 1, 1, key, "unknown backend '%s' (compiled backends: %s)",
                           bname, names);
}

/* Reports name, not a case of cases (NULL: there are none). */
static int unknown_case(const struct kvb_ynode *cases, const struct kvb_ynode *at, const char *file,
                        const char *key, const char *name, struct kvb_config_error *err)
{
    if (!cases || cases->n == 0)
        return FAIL(err, at, file, key, "unknown case '%s': the config has no cases", name);
    const char **names = calloc(cases->n, sizeof(*names));
    if (!names)
        return oom(err);
    for (size_t i = 0; i < cases->n; i++)
        names[i] = map_key(cases, i)->text;
    const char *close = kvb_closest_name(name, names, cases->n);
    free(names);
    if (close)
        return FAIL(err, at, file, key, "unknown case '%s' (did you mean '%s'?)", name, close);
    char list[300] = "";
    size_t len = 0;
    for (size_t i = 0; i < cases->n && len < sizeof(list); i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
                                map_key(cases, i)->text);
    return FAIL(err, at, file, key, "unknown case '%s' (its cases: %s)", name, list);
}

/* Puts the set value v for key into map m: the top level (prefix ""), or a
 * case's map (prefix "cases.NAME."). Takes v only on success. */
static int put_in(struct kvb_ynode *m, const char *prefix, const char *key, struct kvb_ynode *v,
                  struct kvb_config_error *err)
{
    const struct kvb_option *o;
    const struct kvb_backend *be;
    char full[96];
    snprintf(full, sizeof(full), "%s%s", prefix, key);
    const char *dot = strchr(key, '.');
    if (dot) {
        char bname[96];
        snprintf(bname, sizeof(bname), "%.*s", (int)(dot - key), key);
        if (!(be = kvb_backend_find(bname)))
            return unknown_set_backend(full, bname, err);
        if (!(o = kvb_opt_find(be->options, dot + 1))) {
            unknown_option(be, NULL, SET_FILE, prefix, dot + 1, err);
            err->line = err->column = 1;
            return -1;
        }
        if (check_value_shape(o, full, v, err) != 0)
            return -1;
        struct kvb_ynode *bm = sub_map(m, be->name);
        if (!bm || map_put(bm, o->name, v) != 0)
            return oom(err);
        return 0;
    }
    if ((o = kvb_opt_find(kvb_config_options, key))) {
        if (*prefix && not_in_case(o))
            return kvb_cfg_fail_at(err, SET_FILE, 1, 1, full,
                                   "'%s' cannot differ between cases (%s): %s", o->name,
                                   not_in_case(o), "set it at the top level");
        if (check_value_shape(o, full, v, err) != 0)
            return -1;
        return map_put(m, key, v) != 0 ? oom(err) : 0;
    }
    if ((be = kvb_backend_find(key))) {
        /* A whole map: each of its options replaces the file's; v keeps
         * its keys and is freed here. */
        if (check_backend_map(be, v, prefix, err) != 0)
            return -1;
        struct kvb_ynode *bm = sub_map(m, be->name);
        if (!bm)
            return oom(err);
        for (size_t i = 0; i < v->n; i++) {
            if (map_put(bm, v->items[2 * i]->text, v->items[2 * i + 1]) != 0)
                return oom(err);
            v->items[2 * i + 1] = NULL; /* moved */
        }
        kvb_ynode_free(v);
        return 0;
    }
    unknown_key(NULL, SET_FILE, full, key, v, *prefix != '\0', err);
    err->line = err->column = 1;
    return -1;
}

/* --set cases.NAME=MAP (a new case, or one replaced) or cases.NAME.KEY=VALUE
 * (a key of an existing case; KEY as at the top level). */
static int put_case(struct kvb_sweep *s, const char *key, struct kvb_ynode *v,
                    struct kvb_config_error *err)
{
    const char *rest = key + strlen("cases.");
    long ci = map_find(s->root, "cases");
    struct kvb_ynode *cases = ci >= 0 ? s->root->items[2 * ci + 1] : NULL;
    /* NAME: the longest case name that rest starts with, followed by a dot
     * or the end (a name may hold dots). */
    long best = -1;
    size_t blen = 0;
    for (size_t i = 0; cases && i < cases->n; i++) {
        const struct kvb_ynode *k = map_key(cases, i);
        if ((best < 0 || k->len > blen) && strncmp(rest, k->text, k->len) == 0 &&
            (rest[k->len] == '.' || rest[k->len] == '\0')) {
            best = (long)i;
            blen = k->len;
        }
    }
    if (best >= 0 && rest[blen] == '.') {
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "cases.%.*s.", (int)blen, rest);
        return put_in(cases->items[2 * best + 1], prefix, rest + blen + 1, v, err);
    }
    if (best < 0 && strchr(rest, '.')) {
        char name[96];
        snprintf(name, sizeof(name), "%.*s", (int)(strchr(rest, '.') - rest), rest);
        unknown_case(cases, NULL, SET_FILE, key, name, err);
        err->line = err->column = 1;
        return -1;
    }
    /* cases.NAME=MAP */
    if (*rest == '\0')
        return kvb_cfg_fail_at(err, SET_FILE, 1, 1, key, "empty case name");
    if (check_case_name(rest, strlen(rest), NULL, SET_FILE, err) != 0) {
        err->line = err->column = 1;
        return -1;
    }
    if (check_case_map(rest, v, err) != 0)
        return -1;
    if (!cases && !(cases = sub_map(s->root, "cases")))
        return oom(err);
    return map_put(cases, rest, v) != 0 ? oom(err) : 0;
}

/* --set case=NAME or case=[NAME, ...]: the cases to run, chosen after
 * validation (select_cases). Takes v on success. */
static int set_selection(struct kvb_sweep *s, struct kvb_ynode *v, struct kvb_config_error *err)
{
    static const char what[] = "a case name";
    if (v->kind == KVB_YALIAS)
        return reject_alias(v, "case", err);
    if (v->kind == KVB_YMAP)
        return FAIL(err, v, "", "case", "expected %s (or a list of them), got a mapping", what);
    if (v->kind == KVB_YSEQ && v->n == 0)
        return FAIL(err, v, "", "case", "empty list: expected at least one case name");
    for (size_t i = 0; i < value_count(v); i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if (it->kind == KVB_YALIAS)
            return reject_alias(it, "case", err);
        if (it->kind != KVB_YSCALAR)
            return FAIL(err, it, "", "case", "expected %s in the list, got %s", what,
                        kvb_ynode_what(it));
        if (kvb_ynode_is_null(it) || strlen(it->text) != it->len)
            return FAIL(err, it, "", "case", "expected %s, got %s", what,
                        kvb_ynode_is_null(it) ? "nothing" : "text holding a NUL character");
    }
    kvb_ynode_free(s->select);
    s->select = v;
    return 0;
}

/* Puts the set value v for key into the tree; takes v only on success. */
static int put_set(struct kvb_sweep *s, const char *key, struct kvb_ynode *v,
                   struct kvb_config_error *err)
{
    if (strcmp(key, "case") == 0)
        return set_selection(s, v, err);
    if (strcmp(key, "cases") == 0) {
        if (check_cases(v, err) != 0)
            return -1;
        return map_put(s->root, "cases", v) != 0 ? oom(err) : 0;
    }
    if (strncmp(key, "cases.", 6) == 0)
        return put_case(s, key, v, err);
    return put_in(s->root, "", key, v, err);
}

/* Applies one "KEY=VALUE": VALUE is parsed as YAML and replaces KEY's value. */
static int apply_set(struct kvb_sweep *s, const char *arg, struct kvb_config_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return kvb_cfg_fail_at(err, SET_FILE, 0, 0, "", "expected KEY=VALUE, got '%.200s'", arg);
    char key[96];
    size_t klen = (size_t)(eq - arg);
    if (klen >= sizeof(key))
        return kvb_cfg_fail_at(err, SET_FILE, 1, 1, "", "key too long: '%.40s...'", arg);
    memcpy(key, arg, klen);
    key[klen] = '\0';

    int col0 = (int)klen + 1; /* VALUE's column 1 is the character after '=' */
    struct kvb_ynode *v = NULL;
    struct kvb_yaml_error ye;
    if (kvb_yaml_parse(eq + 1, strlen(eq + 1), SET_FILE, col0, &v, &ye) != 0)
        return kvb_cfg_fail_at(err, SET_FILE, ye.line, ye.column, key, "%s", ye.msg);
    if (!v && !(v = kvb_ynode_new(KVB_YSCALAR, "", SET_FILE, 1, col0 + 1)))
        return oom(err);
    if (put_set(s, key, v, err) != 0) {
        kvb_ynode_free(v);
        return -1;
    }
    return 0;
}

/* ---- step 4: values ---- */

int kvb_cfg_parse_value(const struct kvb_option *o, const char *key, const struct kvb_ynode *n,
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

static int check_backends_value(const struct kvb_ynode *v, const char *key,
                                struct kvb_config_error *err)
{
    for (size_t i = 0; i < value_count(v); i++) {
        const struct kvb_ynode *it = value_at(v, i);
        if (!kvb_backend_find(it->text)) {
            const char *close = kvb_backend_closest(it->text);
            char names[160];
            backend_names(names, sizeof(names));
            if (close)
                return FAIL(err, it, "", key, "unknown backend '%s' (did you mean '%s'?)", it->text,
                            close);
            return FAIL(err, it, "", key, "unknown backend '%s' (compiled backends: %s)", it->text,
                        names);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(value_at(v, j)->text, it->text) == 0)
                return FAIL(err, it, "", key, "'%s' is listed twice", it->text);
    }
    return 0;
}

/* Every value in map m parses: the top level (prefix "") or a case's
 * overrides (prefix "cases.NAME."). */
static int check_map_values(const struct kvb_ynode *m, const char *prefix,
                            struct kvb_config *scratch, struct kvb_config_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const struct kvb_ynode *k = map_key(m, i), *v = map_val(m, i);
        const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
        const struct kvb_backend *be = o ? NULL : kvb_backend_find(k->text);
        char key[96];
        snprintf(key, sizeof(key), "%s%s", prefix, k->text);
        if (o && strcmp(o->name, "backends") == 0) {
            rc = check_backends_value(v, key, err);
        } else if (o) {
            rc = check_values(o, key, v, scratch, err);
        } else if (be) {
            void *bo = calloc(1, be->opts_size ? be->opts_size : 1);
            if (!bo)
                return oom(err);
            for (size_t j = 0; j < v->n && rc == 0; j++) {
                const struct kvb_option *bopt = kvb_opt_find(be->options, map_key(v, j)->text);
                snprintf(key, sizeof(key), "%s%s.%s", prefix, be->name, bopt->name);
                rc = check_values(bopt, key, map_val(v, j), bo, err);
            }
            free(bo);
        }
        /* else `cases`: each case is checked on its own */
    }
    return rc;
}

/* Runs be->check on every combination of its options and every `sync`, as
 * case cmap (NULL: the top level alone) sees them: the top level's map of be
 * with the case's values over it, and the case's `sync` or the top level's.
 * Errors name key, at node where. */
static int check_backend(const struct kvb_sweep *s, const struct kvb_backend *be,
                         const struct kvb_ynode *cname, const struct kvb_ynode *cmap,
                         const struct kvb_ynode *where, const char *key,
                         struct kvb_config_error *err)
{
    long mi = map_find(s->root, be->name);
    long ci = cmap ? map_find(cmap, be->name) : -1;
    struct axis *axes;
    size_t naxes, runs = 1;
    if (kvb_cfg_axes(be->options, NULL, mi >= 0 ? map_val(s->root, (size_t)mi) : NULL,
                     ci >= 0 ? map_val(cmap, (size_t)ci) : NULL, &axes, &naxes) != 0)
        return oom(err);
    bool too_many = false;
    for (size_t j = 0; j < naxes; j++)
        too_many = too_many || !mul_runs(&runs, axes[j].nv);
    int rc = 0;
    void *opts = NULL;
    if (too_many) {
        rc = FAIL(err, where, s->path, key, "its option lists make more than %u combinations",
                  SWEEP_MAX_RUNS);
        goto out;
    }
    if (!be->check)
        goto out;
    const struct kvb_ynode *sv = case_val(s->root, cmap, "sync");
    const struct kvb_option *so = kvb_opt_find(kvb_config_options, "sync");
    opts = calloc(1, be->opts_size ? be->opts_size : 1);
    if (!opts) {
        rc = oom(err);
        goto out;
    }
    for (size_t p = 0; p < runs && rc == 0; p++) {
        if ((rc = kvb_cfg_backend_opts_at(be, axes, naxes, p, opts, err)) != 0)
            break;
        for (size_t q = 0; q < (sv ? value_count(sv) : 1) && rc == 0; q++) {
            struct kvb_config c;
            c.sync = true;
            if (sv && (rc = kvb_cfg_parse_value(so, "sync", value_at(sv, q), &c, err)) != 0)
                break;
            char buf[KVB_OPT_ERRLEN] = "";
            if (be->check(opts, c.sync, buf, sizeof(buf)) == 0)
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
            for (size_t j = naxes; j-- > 0;) {
                size_t d = idx % axes[j].nv;
                idx /= axes[j].nv;
                if (axes[j].nv > 1 && len < sizeof(with))
                    len +=
                        (size_t)snprintf(with + len, sizeof(with) - len, "%s%s=%s", len ? ", " : "",
                                         axes[j].opt->name, value_at(axes[j].val, d)->text);
            }
            if (sv && value_count(sv) > 1 && len < sizeof(with))
                len += (size_t)snprintf(with + len, sizeof(with) - len, "%ssync=%s",
                                        len ? ", " : "", c.sync ? "true" : "false");
            if (len)
                rc = FAIL(err, where, s->path, key, "%s (with %s%s%s%s)", why, with,
                          cname ? ", in case '" : "", cname ? cname->text : "", cname ? "'" : "");
            else if (cname)
                rc = FAIL(err, where, s->path, key, "%s (in case '%s')", why, cname->text);
            else
                rc = FAIL(err, where, s->path, key, "%s", why);
        }
    }
out:
    free(opts);
    free(axes);
    return rc;
}

/* What check_backends remembers across cases: which backends it has seen in
 * the case at hand, and which it has checked as the top level sees them. */
struct checked {
    bool *seen, *top_done;
};

/* Checks backend be (met at where) for case cmap, once per case; when the
 * case changes neither be's map nor `sync`, that is the top level's check,
 * done once for all cases. */
static int check_backend_once(const struct kvb_sweep *s, const struct kvb_backend *be,
                              const struct kvb_ynode *where, const struct kvb_ynode *cname,
                              const struct kvb_ynode *cmap, struct checked *ck,
                              struct kvb_config_error *err)
{
    size_t i = 0;
    while (kvb_backends[i] != be)
        i++;
    if (ck->seen[i])
        return 0;
    ck->seen[i] = true;
    long ci = cmap ? map_find(cmap, be->name) : -1;
    if (!cmap || (ci < 0 && map_find(cmap, "sync") < 0)) {
        if (ck->top_done[i])
            return 0;
        ck->top_done[i] = true;
        return check_backend(s, be, NULL, NULL, where, be->name, err);
    }
    if (ci < 0)
        return check_backend(s, be, cname, cmap, where, be->name, err);
    char key[96];
    snprintf(key, sizeof(key), "cases.%s.%s", cname->text, be->name);
    return check_backend(s, be, cname, cmap, map_key(cmap, (size_t)ci), key, err);
}

/* The backends of case cmap (NULL: the config has no cases): those with a
 * map at the top level or in the case, and those its `backends` lists (the
 * default backend when it lists none). */
static int check_backends(const struct kvb_sweep *s, const struct kvb_ynode *cname,
                          const struct kvb_ynode *cmap, struct checked *ck,
                          struct kvb_config_error *err)
{
    size_t nb = 0;
    while (kvb_backends[nb])
        nb++;
    memset(ck->seen, 0, nb * sizeof(*ck->seen));
    const struct kvb_ynode *root = s->root;
    for (int pass = 0; pass < 2; pass++) {
        const struct kvb_ynode *m = pass ? cmap : root;
        for (size_t i = 0; m && i < m->n; i++) {
            const struct kvb_backend *be = kvb_backend_find(map_key(m, i)->text);
            if (be && check_backend_once(s, be, map_key(m, i), cname, cmap, ck, err) != 0)
                return -1;
        }
    }
    const struct kvb_ynode *bv = case_val(root, cmap, "backends");
    for (size_t i = 0; bv && i < value_count(bv); i++) {
        const struct kvb_backend *be = kvb_backend_find(value_at(bv, i)->text);
        if (check_backend_once(s, be, value_at(bv, i), cname, cmap, ck, err) != 0)
            return -1;
    }
    if (!bv) {
        const struct kvb_backend *be =
            kvb_backend_find(kvb_opt_find(kvb_config_options, "backends")->def);
        if (be && check_backend_once(s, be, NULL, cname, cmap, ck, err) != 0)
            return -1;
    }
    return 0;
}

static int validate(struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct kvb_ynode *root = s->root;
    long ci = map_find(root, "cases");
    const struct kvb_ynode *cases = ci >= 0 ? map_val(root, (size_t)ci) : NULL;
    size_t nb = 0;
    while (kvb_backends[nb])
        nb++;
    struct kvb_config *scratch = calloc(1, sizeof(*scratch));
    struct checked ck = {calloc(nb + 1, sizeof(bool)), calloc(nb + 1, sizeof(bool))};
    int rc = 0;
    if (!scratch || !ck.seen || !ck.top_done) {
        rc = oom(err);
        goto out;
    }
    if ((rc = check_map_values(root, "", scratch, err)) != 0)
        goto out;
    for (size_t i = 0; cases && i < cases->n && rc == 0; i++) {
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "cases.%s.", map_key(cases, i)->text);
        rc = check_map_values(map_val(cases, i), prefix, scratch, err);
    }
    if (!cases && rc == 0)
        rc = check_backends(s, NULL, NULL, &ck, err);
    for (size_t i = 0; cases && i < cases->n && rc == 0; i++)
        rc = check_backends(s, map_key(cases, i), map_val(cases, i), &ck, err);
out:
    free(ck.seen);
    free(ck.top_done);
    free(scratch);
    return rc;
}

/* ---- warnings ---- */

/* True when case cmap (NULL: the top level alone) runs backend name: its
 * `backends` (the top level's when it sets none, else the default) lists it. */
static bool case_runs(const struct kvb_ynode *root, const struct kvb_ynode *cmap, const char *name)
{
    const struct kvb_ynode *bv = case_val(root, cmap, "backends");
    if (!bv)
        return strcmp(name, kvb_opt_find(kvb_config_options, "backends")->def) == 0;
    for (size_t i = 0; i < value_count(bv); i++)
        if (strcmp(value_at(bv, i)->text, name) == 0)
            return true;
    return false;
}

/* The `backends` case cmap runs, as text: "lmdb, mem" or "lmdb, the default". */
static void backends_text(const struct kvb_ynode *root, const struct kvb_ynode *cmap, char *buf,
                          size_t n)
{
    const struct kvb_ynode *bv = case_val(root, cmap, "backends");
    buf[0] = '\0';
    if (!bv) {
        snprintf(buf, n, "%s, the default", kvb_opt_find(kvb_config_options, "backends")->def);
        return;
    }
    for (size_t i = 0; i < value_count(bv); i++)
        kvb_appendf(buf, n, "%s%s", i ? ", " : "", value_at(bv, i)->text);
}

/* Adds a warning about the map of backend key k (in case cname, or NULL). */
static int warn_unused(struct kvb_sweep *s, const struct kvb_ynode *k,
                       const struct kvb_ynode *cname, const struct kvb_ynode *cmap,
                       struct kvb_config_error *err)
{
    struct kvb_config_error *w = realloc(s->warnings, (s->nwarnings + 1) * sizeof(*w));
    if (!w)
        return oom(err);
    s->warnings = w;
    w += s->nwarnings++;
    char key[96], list[200];
    if (cname) {
        snprintf(key, sizeof(key), "cases.%s.%s", cname->text, k->text);
        backends_text(s->root, cmap, list, sizeof(list));
        FAIL(w, k, s->path, key,
             "this backend is not among the case's `backends` (%s): its options are not used",
             list);
    } else if (cmap) {
        FAIL(w, k, s->path, k->text,
             "this backend is not among the `backends` of any case: its options are not used");
    } else {
        backends_text(s->root, NULL, list, sizeof(list));
        FAIL(w, k, s->path, k->text,
             "this backend is not among `backends` (%s): its options are not used", list);
    }
    return 0;
}

/* Warns about each backend map that no run uses: a top-level one whose
 * backend no case runs, a case's whose backend that case does not run. Runs
 * before --set case=... drops cases, so a map is judged by all of them. */
static int find_unused_backend_maps(struct kvb_sweep *s, struct kvb_config_error *err)
{
    const struct kvb_ynode *root = s->root;
    long ci = map_find(root, "cases");
    const struct kvb_ynode *cases = ci >= 0 ? map_val(root, (size_t)ci) : NULL;
    for (size_t i = 0; i < root->n; i++) {
        const struct kvb_ynode *k = map_key(root, i);
        if (!kvb_backend_find(k->text))
            continue;
        bool used = !cases && case_runs(root, NULL, k->text);
        for (size_t c = 0; cases && c < cases->n && !used; c++)
            used = case_runs(root, map_val(cases, c), k->text);
        if (!used && warn_unused(s, k, NULL, cases, err) != 0)
            return -1;
    }
    for (size_t c = 0; cases && c < cases->n; c++) {
        const struct kvb_ynode *cmap = map_val(cases, c);
        for (size_t i = 0; i < cmap->n; i++) {
            const struct kvb_ynode *k = map_key(cmap, i);
            if (kvb_backend_find(k->text) && !case_runs(root, cmap, k->text) &&
                warn_unused(s, k, map_key(cases, c), cmap, err) != 0)
                return -1;
        }
    }
    return 0;
}

/* Keeps the cases --set case=... chose (in file order) and drops the others
 * from the tree, so the plan and the sweep's text hold only those. */
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
            rc = unknown_case(cases, it, SET_FILE, "case", it->text, err);
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
                n++;
            } else {
                kvb_ynode_free(cases->items[2 * j]);
                kvb_ynode_free(cases->items[2 * j + 1]);
            }
        }
        cases->n = n;
    }
    free(keep);
    return rc;
}

/* ---- the sweep ---- */

/* `name` becomes the CSV's and the results directory's names: it must be
 * one plain file name, so no output can land outside the results directory. */
static int check_name(const struct kvb_sweep *s, struct kvb_config_error *err)
{
    long i = map_find(s->root, "name");
    if (i < 0)
        return 0;
    const struct kvb_ynode *v = value_at(map_val(s->root, i), 0);
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
    if (validate(s, err) != 0 || check_name(s, err) != 0 || find_unused_backend_maps(s, err) != 0 ||
        select_cases(s, err) != 0 || kvb_cfg_plan(s, err) != 0)
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
    kvb_cfg_plan_free(s);
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
