/* common.c - what the subcommands share: option parsing, --set lists,
 * loading with a message, run directories, safe file names. */
#include "cli/commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/text.h"

/* The long option named exactly by the len bytes at name, or NULL. */
static const struct option *long_named(const struct option *longopts, const char *name, size_t len)
{
    for (const struct option *o = longopts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* Says why getopt_long refused an option: opt is '?' or ':' (a missing
 * value), arg the command-line element it was reading. */
static void bad_option(const char *cmd, int opt, const char *arg, const struct option *longopts)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const struct option *exact = long_named(longopts, name, len);
    /* Short options report their character in optopt; an unknown or
     * ambiguous long one reports 0. A short option inside a group leaves
     * optind on the group, so arg is trusted to be a long option only when
     * getopt's answer can only have come from one. */
    bool is_long =
        strncmp(arg, "--", 2) == 0 &&
        (optopt == 0 || opt == ':' || (exact && exact->has_arg == no_argument && name[len] == '='));
    char why[256];
    if (!is_long && opt == ':') {
        snprintf(why, sizeof(why), "option '-%c' needs a value", optopt);
    } else if (!is_long) {
        snprintf(why, sizeof(why), "unknown option '-%c'", optopt);
    } else if (opt == ':') {
        snprintf(why, sizeof(why), "option '--%.*s' needs a value", (int)len, name);
    } else if (exact) {
        snprintf(why, sizeof(why), "option '--%.*s' takes no value", (int)len, name);
    } else {
        snprintf(why, sizeof(why), "unknown option '--%.*s'", (int)len, name);
        size_t matches = 0;
        for (const struct option *o = longopts; o->name; o++)
            matches += strncmp(o->name, name, len) == 0;
        if (matches > 1) {
            snprintf(why, sizeof(why), "option '--%.*s' is ambiguous (", (int)len, name);
            const char *sep = "";
            for (const struct option *o = longopts; o->name; o++) {
                if (strncmp(o->name, name, len) == 0) {
                    kvb_appendf(why, sizeof(why), "%s--%s", sep, o->name);
                    sep = ", ";
                }
            }
            kvb_appendf(why, sizeof(why), ")");
        } else {
            char bare[64];
            snprintf(bare, sizeof(bare), "%.*s", (int)len, name);
            const char *close = kvb_closest_field(bare, longopts, SIZE_MAX, sizeof(*longopts),
                                                  offsetof(struct option, name));
            if (close)
                kvb_appendf(why, sizeof(why), " (did you mean '--%s'?)", close);
        }
    }
    fprintf(stderr, "kvbench %s: %s; see kvbench %s --help\n", cmd, why, cmd);
}

int kvb_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    char spec[64];
    snprintf(spec, sizeof(spec), ":%s", shortopts); /* ':' -> a missing value returns ':' */
    opterr = 0;
    int opt = getopt_long(argc, argv, spec, longopts, NULL);
    if (opt != '?' && opt != ':')
        return opt;
    bad_option(cmd, opt, argv[optind - 1], longopts);
    return '?';
}

int kvb_help_only(const char *cmd, int argc, char **argv, const char *help)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int opt = kvb_getopt(cmd, argc, argv, "h", longopts);
    if (opt == -1)
        return -1;
    if (opt != 'h')
        return KVB_EXIT_USAGE;
    fputs(help, stdout);
    return KVB_EXIT_OK;
}

int kvb_sets_add(struct kvb_sets *s, const char *kv)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = kv;
    return 0;
}

void kvb_sets_free(struct kvb_sets *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int kvb_load_or_complain(const char *path, const struct kvb_sets *sets, struct kvb_sweep **out)
{
    struct kvb_config_error e;
    if (kvb_sweep_load(path, sets->v, sets->n, out, &e) != 0) {
        char msg[2048];
        kvb_config_error_format(&e, msg, sizeof(msg));
        fprintf(stderr, "kvbench: %s\n", msg);
        return -1;
    }
    size_t nw;
    const struct kvb_config_error *w = kvb_sweep_warnings(*out, &nw);
    for (size_t i = 0; i < nw; i++) {
        char msg[2048];
        kvb_config_error_format(&w[i], msg, sizeof(msg));
        fprintf(stderr, "kvbench: warning: %s\n", msg);
    }
    return 0;
}

int kvb_load_operand(const char *cmd, int argc, char **argv, int first,
                     const struct kvb_sets *sets, struct kvb_sweep **out)
{
    if (argc - first > 1) {
        fprintf(stderr, "kvbench %s: one config file at most, got %d (see kvbench %s --help)\n",
                cmd, argc - first, cmd);
        return -1;
    }
    return kvb_load_or_complain(first < argc ? argv[first] : NULL, sets, out);
}

