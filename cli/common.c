/* common.c - what the subcommands share: --set lists, loading with a
 * message, run directories, safe file names. */
#include "cli/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

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

void kvb_safe_name(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (ch == '.' && i > 0);
        out[i] = ok ? ch : '_';
    }
    out[i] = '\0';
    if (i == 0 && n > 1)
        snprintf(out, n, "_");
}

int kvb_rundir_make(const struct kvb_config *cfg, const char *tag, char *out, char *err,
                    size_t errlen)
{
    char base[PATH_MAX], safe[128];
    if (cfg->data_dir[0]) {
        snprintf(base, sizeof(base), "%s", cfg->data_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/kvbench", tmp && *tmp ? tmp : "/tmp");
    }
    if (kvb_mkdir_p(base, err, errlen) != 0)
        return -1;
    kvb_safe_name(safe, sizeof(safe), tag);
    if (snprintf(out, PATH_MAX, "%s/%s-XXXXXX", base, safe) >= PATH_MAX) {
        snprintf(err, errlen, "data directory path too long under %s", base);
        return -1;
    }
    if (!mkdtemp(out)) {
        snprintf(err, errlen, "mkdtemp %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}
