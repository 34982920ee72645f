/*
 * config.c - a sweep config's text read into a tree: the first stage of
 * loading (config_internal.h lists the three), and what all three share.
 *
 * The parsed YAML tree (yaml_tree.h) is the model here. Reading goes in
 * steps, each of which may stop with one positioned error:
 *
 *   1. read the file and parse it into a tree;
 *   2. check its shape: a mapping of known keys, no duplicates, each value a
 *      scalar or a non-empty list of scalars, backend keys mappings of that
 *      backend's options, `cases` a mapping of case names to mappings of
 *      such keys (the keys each case changes);
 *   3. apply each --set KEY=VALUE by parsing VALUE as YAML and putting it in
 *      the tree in place of the file's value (new keys go at the end).
 *
 * What a value means is decided here too (kvb_cfg_parse_value: its option
 * row parses it), and errors are made here (kvb_cfg_fail_at), for cases.c,
 * which checks every value, and expand.c, which builds run specs by the
 * same parsing. This file calls neither.
 */
#include "config/config.h"
#include "config/config_internal.h"
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

/* A map key: a non-empty scalar, not seen before in m (pairs [0, i)). where
 * is m's own key ("" for the top level, "cases.NAME", "lmdb"). */
static int check_map_key(const struct kvb_ynode *m, size_t i, const char *where,
                         struct kvb_config_error *err)
{
    const struct kvb_ynode *k = map_key(m, i);
    if (k->kind == KVB_YALIAS)
        return reject_alias(k, where, err);
    if (k->kind != KVB_YSCALAR)
        return FAIL(err, k, "", where, "expected a key name, got %s", kvb_ynode_what(k));
    if (kvb_ynode_is_null(k) || k->len == 0)
        return FAIL(err, k, "", where, "empty key name");
    for (size_t j = 0; j < i; j++) {
        const struct kvb_ynode *o = map_key(m, j);
        if (o->kind == KVB_YSCALAR && strcmp(o->text, k->text) == 0) {
            char key[96];
            snprintf(key, sizeof(key), "%s%s%s", where, *where ? "." : "", k->text);
            return FAIL(err, k, "", key, "duplicate key (first at line %d, column %d)", o->line,
                        o->column);
        }
    }
    return 0;
}

/* An unknown option of backend be, in case `in` (NULL: the top level). */
static int unknown_option(const struct kvb_backend *be, const struct kvb_ynode *at,
                          const char *file, const char *in, const char *name,
                          struct kvb_config_error *err)
{
    char key[96];
    kvb_cfg_key(key, sizeof(key), in, be->name, name);
    if (!be->options || !be->options[0].name)
        return FAIL(err, at, file, key, "backend '%s' has no options", be->name);
    const char *close = kvb_opt_closest(be->options, name);
    if (close)
        return FAIL(err, at, file, key, "unknown option (did you mean '%s'?)", close);
    char names[300];
    option_names(be->options, names, sizeof(names));
    return FAIL(err, at, file, key, "unknown option (%s options: %s)", be->name, names);
}

/* A backend key's value, in case `in` (NULL: the top level): a mapping of
 * the backend's own options. */
static int check_backend_map(const struct kvb_backend *be, const struct kvb_ynode *v,
                             const char *in, struct kvb_config_error *err)
{
    char bkey[96];
    kvb_cfg_key(bkey, sizeof(bkey), in, NULL, be->name);
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
            return unknown_option(be, k, "", in, k->text, err);
        char key[96];
        kvb_cfg_key(key, sizeof(key), in, be->name, o->name);
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

/* Config key o set in a case: an error when o belongs to the whole sweep
 * (at, or file's line 1 for --set), else 0. */
static int check_in_case(const struct kvb_option *o, const struct kvb_ynode *at, const char *key,
                         struct kvb_config_error *err)
{
    if (strcmp(o->name, "name") != 0 && strcmp(o->name, "parallel") != 0)
        return 0;
    kvb_cfg_fail_at(err, at ? at->file : SET_FILE, at ? at->line : 1, at ? at->column : 1, key,
                    "'%s' cannot differ between cases (it belongs to the whole sweep): set it at "
                    "the top level",
                    o->name);
    return -1;
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

static int check_cases(const struct kvb_ynode *v, struct kvb_config_error *err);

/* Pair i of a map of config keys: the top level's (in NULL) or case in's.
 * A config key with a value, a backend's map, or (at the top level only)
 * the cases. */
static int check_pair(const struct kvb_ynode *m, size_t i, const char *in,
                      struct kvb_config_error *err)
{
    char where[96], key[96];
    snprintf(where, sizeof(where), "%s%s", in ? "cases." : "", in ? in : "");
    if (check_map_key(m, i, where, err) != 0)
        return -1;
    const struct kvb_ynode *k = map_key(m, i), *v = map_val(m, i);
    kvb_cfg_key(key, sizeof(key), in, NULL, k->text);
    const struct kvb_option *o = kvb_opt_find(kvb_config_options, k->text);
    if (o)
        return in && check_in_case(o, k, key, err) != 0 ? -1 : check_value_shape(o, key, v, err);
    const struct kvb_backend *be = kvb_backend_find(k->text);
    if (be)
        return check_backend_map(be, v, in, err);
    if (!in && strcmp(k->text, "cases") == 0)
        return check_cases(v, err);
    return unknown_key(k, "", key, k->text, v, in != NULL, err);
}

/* One case's map: the config keys (and backend maps) it changes. */
static int check_case_map(const char *name, const struct kvb_ynode *m, struct kvb_config_error *err)
{
    static const char what[] = "expected a mapping of the config keys this case changes (key: "
                               "value), got";
    char where[96];
    snprintf(where, sizeof(where), "cases.%s", name);
    if (m->kind == KVB_YALIAS)
        return reject_alias(m, where, err);
    if (m->kind == KVB_YSCALAR && kvb_ynode_is_null(m))
        return FAIL(err, m, "", where, "%s nothing", what);
    if (m->kind != KVB_YMAP)
        return FAIL(err, m, "", where, "%s %s", what, kvb_ynode_what(m));
    if (m->n == 0)
        return FAIL(err, m, "", where, "empty case: expected at least one config key it changes");
    for (size_t i = 0; i < m->n; i++)
        if (check_pair(m, i, name, err) != 0)
            return -1;
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
        if (check_pair(s->root, i, NULL, err) != 0)
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

int kvb_cfg_unknown_backend(const struct kvb_ynode *at, const char *file, const char *key,
                            const char *name, struct kvb_config_error *err)
{
    const char *close = kvb_backend_closest(name);
    if (close)
        return FAIL(err, at, file, key, "unknown backend '%s' (did you mean '%s'?)", name, close);
    char names[160];
    backend_names(names, sizeof(names));
    return FAIL(err, at, file, key, "unknown backend '%s' (compiled backends: %s)", name, names);
}

int kvb_cfg_unknown_case(const struct kvb_ynode *cases, const struct kvb_ynode *at,
                         const char *file, const char *key, const char *name,
                         struct kvb_config_error *err)
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

/* Returns rc, placing the error just made (at no node) at line 1 of --set. */
static int at_set(int rc, struct kvb_config_error *err)
{
    err->line = err->column = 1;
    return rc;
}

/* Puts the set value v for key into map m: the top level (in NULL), or case
 * in's map. Takes v only on success. */
static int put_in(struct kvb_ynode *m, const char *in, const char *key, struct kvb_ynode *v,
                  struct kvb_config_error *err)
{
    const struct kvb_option *o;
    const struct kvb_backend *be;
    char full[96];
    kvb_cfg_key(full, sizeof(full), in, NULL, key);
    const char *dot = strchr(key, '.');
    if (dot) {
        char bname[96];
        snprintf(bname, sizeof(bname), "%.*s", (int)(dot - key), key);
        if (!(be = kvb_backend_find(bname)))
            return at_set(kvb_cfg_unknown_backend(NULL, SET_FILE, full, bname, err), err);
        if (!(o = kvb_opt_find(be->options, dot + 1)))
            return at_set(unknown_option(be, NULL, SET_FILE, in, dot + 1, err), err);
        if (check_value_shape(o, full, v, err) != 0)
            return -1;
        struct kvb_ynode *bm = sub_map(m, be->name);
        if (!bm || map_put(bm, o->name, v) != 0)
            return oom(err);
        return 0;
    }
    if ((o = kvb_opt_find(kvb_config_options, key))) {
        if (in && check_in_case(o, NULL, full, err) != 0)
            return -1;
        if (check_value_shape(o, full, v, err) != 0)
            return -1;
        return map_put(m, key, v) != 0 ? oom(err) : 0;
    }
    if ((be = kvb_backend_find(key))) {
        /* A whole map: each of its options replaces the file's; v keeps
         * its keys and is freed here. */
        if (check_backend_map(be, v, in, err) != 0)
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
    return at_set(unknown_key(NULL, SET_FILE, full, key, v, in != NULL, err), err);
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
    if (best >= 0 && rest[blen] == '.')
        return put_in(cases->items[2 * best + 1], map_key(cases, (size_t)best)->text,
                      rest + blen + 1, v, err);
    if (best < 0 && strchr(rest, '.')) {
        char name[96];
        snprintf(name, sizeof(name), "%.*s", (int)(strchr(rest, '.') - rest), rest);
        return at_set(kvb_cfg_unknown_case(cases, NULL, SET_FILE, key, name, err), err);
    }
    /* cases.NAME=MAP */
    if (*rest == '\0')
        return kvb_cfg_fail_at(err, SET_FILE, 1, 1, key, "empty case name");
    if (check_case_name(rest, strlen(rest), NULL, SET_FILE, err) != 0)
        return at_set(-1, err);
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
    return put_in(s->root, NULL, key, v, err);
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

/* ---- values ---- */

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

/* ---- steps 1 to 3 ---- */

int kvb_cfg_read(struct kvb_sweep *s, const char *path, const char *const *sets, size_t nset,
                 struct kvb_config_error *err)
{
    if (path) {
        if (!(s->path = strdup(path)))
            return oom(err);
        if (load_file(s, err) != 0)
            return -1;
    } else if (!(s->root = kvb_ynode_new(KVB_YMAP, NULL, SET_FILE, 0, 0))) {
        return oom(err);
    }
    for (size_t i = 0; i < nset; i++)
        if (apply_set(s, sets[i], err) != 0)
            return -1;
    return 0;
}
