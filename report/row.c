/* row.c - one run as a row of the comparison CSV (see row.h). */
#include "report/row.h"
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct row {
    char **cells;
    int failed; /* an allocation failed */
};

static void vset(struct row *r, const char *col, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vset(struct row *r, const char *col, const char *fmt, va_list ap)
{
    int i = kvb_column_index(col);
    if (i < 0) {
        fprintf(stderr, "kvbench: internal error: no column '%s'\n", col);
        abort();
    }
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
        r->failed = 1;
    }
    free(r->cells[i]);
    r->cells[i] = s;
}

static void set(struct row *r, const char *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set(struct row *r, const char *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(r, col, fmt, ap);
    va_end(ap);
}

int kvb_row_set(char **cells, const char *col, const char *fmt, ...)
{
    struct row r = {.cells = cells};
    va_list ap;
    va_start(ap, fmt);
    vset(&r, col, fmt, ap);
    va_end(ap);
    return r.failed ? -1 : 0;
}

int kvb_row_set_num(char **cells, const char *col, double v)
{
    int i = kvb_column_index(col);
    char buf[64] = "";
    if (i >= 0) /* else kvb_row_set stops: an internal error */
        kvb_column_format(kvb_column_at((size_t)i), v, buf, sizeof(buf));
    return kvb_row_set(cells, col, "%s", buf);
}

const char *kvb_result_status(const struct kvb_result *res)
{
    if (res->failed)
        return KVB_STATUS_FAILED;
    if (res->verdict == KVB_VERIFY_FAILED || res->isolation_violations > 0)
        return KVB_STATUS_VIOLATION;
    return KVB_STATUS_OK;
}

int kvb_row_build(const struct kvb_run_spec *spec, const struct kvb_result *res,
                  const char *reason, char **cells)
{
    struct kvb_row_src src = {.spec = spec, .res = res, .reason = reason};
    size_t n = kvb_ncolumns;
    char buf[2048], fig[64];
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kvb_column *c = kvb_column_at(i);
        const char *v = "";
        if (c->get) {
            struct kvb_cell cell = c->get(c, &src, buf, sizeof(buf));
            if (cell.text) {
                v = cell.text;
            } else {
                kvb_column_format(c, cell.num, fig, sizeof(fig));
                v = fig;
            }
        }
        if (!(cells[i] = strdup(v)))
            failed = 1;
    }
    if (failed) {
        kvb_row_free(cells);
        return -1;
    }
    return 0;
}

void kvb_row_free(char **cells)
{
    for (size_t i = 0; i < kvb_ncolumns; i++) {
        free(cells[i]);
        cells[i] = NULL;
    }
}

/* A repeat's figure in a column, for sorting. */
struct fig {
    double v;
    unsigned rep;
};

static int cmp_fig(const void *a, const void *b)
{
    const struct fig *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

/* The repeats that have a figure in column c, in increasing order; returns
 * how many. */
static unsigned figures(char **const *reps, unsigned n, int c, struct fig *f)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (reps[i] && !isnan(f[k].v = kvb_parse_number(reps[i][c])))
            f[k++].rep = i;
    qsort(f, k, sizeof(*f), cmp_fig);
    return k;
}

static int status_rank(const char *s)
{
    return strcmp(s, KVB_STATUS_OK) == 0 ? 0 : strcmp(s, KVB_STATUS_VIOLATION) == 0 ? 1 : 2;
}

static int verdict_rank(const char *s)
{
    return strcmp(s, "passed") == 0 ? 0 : strcmp(s, "failed") == 0 ? 2 : 1;
}

/* The first repeat whose cell in column col ranks highest. */
static unsigned worst(char **const *reps, unsigned n, const char *col, int (*rank)(const char *))
{
    int c = kvb_column_index(col);
    unsigned w = n;
    for (unsigned i = 0; i < n; i++)
        if (reps[i] && (w == n || rank(reps[i][c]) > rank(reps[w][c])))
            w = i;
    return w;
}

/* Cell c from repeat `from` (n: none), "repeat K of N: " before it when noted. */
static void from_repeat(struct row *r, size_t c, char **const *reps, unsigned n, unsigned from,
                        bool noted)
{
    const char *v = from < n ? reps[from][c] : "";
    const char *name = kvb_column_at(c)->name;
    if (noted && *v)
        set(r, name, "repeat %u of %u: %s", from + 1, n, v);
    else
        set(r, name, "%s", v);
}

/* Whether the space-separated list s[0..len) holds item w (wl bytes). */
static bool has_item(const char *s, size_t len, const char *w, size_t wl)
{
    for (size_t i = 0; i + wl <= len; i++)
        if ((i == 0 || s[i - 1] == ' ') && memcmp(s + i, w, wl) == 0 &&
            (i + wl == len || s[i + wl] == ' '))
            return true;
    return false;
}

/* Every item of the repeats' space-separated lists in column c, once. */
static void union_cell(struct row *r, size_t c, char **const *reps, unsigned n)
{
    size_t cap = 1, len = 0;
    for (unsigned i = 0; i < n; i++)
        cap += reps[i] ? strlen(reps[i][c]) + 1 : 0;
    char *u = malloc(cap);
    if (!u) {
        r->failed = 1;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        for (const char *w = reps[i] ? reps[i][c] : ""; *w;) {
            size_t wl = strcspn(w, " ");
            if (wl && !has_item(u, len, w, wl)) {
                if (len)
                    u[len++] = ' ';
                memcpy(u + len, w, wl);
                len += wl;
            }
            w += wl + (w[wl] == ' ');
        }
    }
    u[len] = '\0';
    set(r, kvb_column_at(c)->name, "%s", u);
    free(u);
}

int kvb_row_combine(char **const *reps, unsigned n, char **cells)
{
    struct row r = {.cells = cells};
    struct fig *f = malloc((n ? n : 1) * sizeof(*f));
    size_t ncols = kvb_ncolumns;
    for (size_t c = 0; c < ncols; c++)
        cells[c] = NULL;
    if (!f)
        return -1;
    unsigned done = 0, first = n;
    for (unsigned i = n; i-- > 0;)
        if (reps[i]) {
            done++;
            first = i;
        }
    unsigned by_status = worst(reps, n, "status", status_rank);
    unsigned by_verdict = worst(reps, n, "verification", verdict_rank);
    char fig[64];
    for (size_t c = 0; c < ncols; c++) {
        const struct kvb_column *col = kvb_column_at(c);
        const char *name = col->name;
        unsigned k;
        switch (col->combine) {
        case KVB_COMBINE_FIRST:
            from_repeat(&r, c, reps, n, first, col->noted);
            break;
        case KVB_COMBINE_BY_STATUS:
            from_repeat(&r, c, reps, n, by_status, col->noted);
            break;
        case KVB_COMBINE_BY_VERDICT:
            from_repeat(&r, c, reps, n, by_verdict, col->noted);
            break;
        case KVB_COMBINE_ANY: {
            unsigned any = 0;
            while (any < n && !(reps[any] && reps[any][c][0]))
                any++;
            from_repeat(&r, c, reps, n, any, col->noted);
            break;
        }
        case KVB_COMBINE_MEDIAN:
            /* An odd count takes the middle repeat's cell as it is. */
            k = figures(reps, n, (int)c, f);
            if (k % 2) {
                from_repeat(&r, c, reps, n, f[k / 2].rep, false);
            } else if (k) {
                kvb_column_format(col, (f[k / 2 - 1].v + f[k / 2].v) / 2, fig, sizeof(fig));
                set(&r, name, "%s", fig);
            }
            break;
        case KVB_COMBINE_SUM: {
            double sum = 0;
            k = figures(reps, n, (int)c, f);
            for (unsigned i = 0; i < k; i++)
                sum += f[i].v;
            if (k) {
                kvb_column_format(col, sum, fig, sizeof(fig));
                set(&r, name, "%s", fig);
            }
            break;
        }
        case KVB_COMBINE_MAX:
        case KVB_COMBINE_MIN_OF:
        case KVB_COMBINE_MAX_OF: {
            int of = col->of[0] ? kvb_column_index(col->of) : (int)c;
            k = figures(reps, n, of, f);
            if (k)
                set(&r, name, "%s", reps[f[col->combine == KVB_COMBINE_MIN_OF ? 0 : k - 1].rep][of]);
            break;
        }
        case KVB_COMBINE_COUNT:
            set(&r, name, "%u", done);
            break;
        case KVB_COMBINE_ANY_TRUE: {
            unsigned yes = 0;
            while (yes < n && !(reps[yes] && strcmp(reps[yes][c], "true") == 0))
                yes++;
            from_repeat(&r, c, reps, n, yes < n ? yes : first, false);
            break;
        }
        case KVB_COMBINE_UNION:
            union_cell(&r, c, reps, n);
            break;
        }
        if (!cells[c])
            set(&r, name, "%s", "");
    }
    free(f);
    if (r.failed) {
        kvb_row_free(cells);
        return -1;
    }
    return 0;
}
