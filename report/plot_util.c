/*
 * plot_util.c - the plotter's small tools: a growable string, escaping for
 * gnuplot, HTML and file names, base64, y axes, and running gnuplot.
 */
#include "report/plot_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/plot.h"
#include "util/fs.h"

static bool reserve(struct pl_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void pl_printf(struct pl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put(struct pl_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void pl_puts(struct pl_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

void pl_buf_free(struct pl_buf *b)
{
    free(b->s);
    *b = (struct pl_buf){0};
}

int pl_buf_write(const struct pl_buf *b, const char *dir, const char *name, char *err,
                 size_t errlen)
{
    char path[PATH_MAX];
    if (kvb_path_join(path, sizeof(path), dir, name) != 0) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    if (b->oom) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return kvb_write_atomic(path, b->s ? b->s : "", b->len, err, errlen);
}

static void gp_str(struct pl_buf *b, const char *s, bool fmt)
{
    put(b, "'", 1);
    for (; *s; s++) {
        if (*s == '\'')
            put(b, "''", 2);
        else if (*s == '%' && fmt)
            put(b, "%%", 2);
        else if ((unsigned char)*s < 0x20 || *s == 0x7f)
            put(b, " ", 1);
        else
            put(b, s, 1);
    }
    put(b, "'", 1);
}

void pl_gp_str(struct pl_buf *b, const char *s)
{
    gp_str(b, s, false);
}

void pl_gp_tic(struct pl_buf *b, const char *s)
{
    gp_str(b, s, true);
}

void pl_comment(struct pl_buf *b, const char *s)
{
    for (; *s; s++)
        put(b, (unsigned char)*s < 0x20 || *s == 0x7f ? " " : s, 1);
}

void pl_html(struct pl_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            pl_puts(b, "&amp;");
            break;
        case '<':
            pl_puts(b, "&lt;");
            break;
        case '>':
            pl_puts(b, "&gt;");
            break;
        case '"':
            pl_puts(b, "&quot;");
            break;
        case '\'':
            pl_puts(b, "&#39;");
            break;
        default:
            put(b, s, 1);
        }
    }
}

void pl_base64(struct pl_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!reserve(b, (n + 2) / 3 * 4))
        return;
    char *o = b->s + b->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = tab[(v >> 6) & 63];
        *o++ = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->s);
    b->s[b->len] = '\0';
}

bool pl_contended(const struct pl_sweep *s, size_t r)
{
    return strcmp(pl_cell(s, r, "contended"), "true") == 0;
}

const char *pl_contended_tag(const struct pl_sweep *s, size_t r)
{
    json_t *row = s->row_run[r] ? json_object_get(s->row_run[r], "row") : NULL;
    const char *c = json_string_value(json_object_get(row, "contended"));
    return c && strcmp(c, "true") == 0 ? " - CPU contended" : "";
}

void pl_contention_footnote(const struct pl_sweep *s, struct pl_buf *setup)
{
    size_t n = 0;
    for (size_t r = 0; r < s->t->nrows; r++)
        n += pl_contended(s, r);
    if (!n)
        return;
    char text[256];
    if (n == s->t->nrows)
        snprintf(text, sizeof(text), "Every run met CPU contention: compare with care");
    else
        snprintf(text, sizeof(text),
                 "%zu of %zu runs met CPU contention (diamonds): compare with care", n,
                 s->t->nrows);
    pl_puts(setup, "set label 99 ");
    pl_gp_str(setup, text);
    pl_puts(setup, " at graph 1, graph 1 right offset 0, 0.8 font ',9' tc rgb '#b35900'\n");
}

void pl_axis_init(struct pl_axis *a)
{
    *a = (struct pl_axis){.lo = INFINITY, .hi = -INFINITY};
}

void pl_axis_add(struct pl_axis *a, double v)
{
    if (!isfinite(v))
        return;
    if (v < a->lo)
        a->lo = v;
    if (v > a->hi)
        a->hi = v;
}

void pl_axis_done(struct pl_axis *a)
{
    if (a->lo > a->hi) {
        *a = (struct pl_axis){.empty = true, .lo = 0, .hi = 1};
        return;
    }
    if (a->lo > 0 && a->hi / a->lo > 100) {
        /* Padded by a factor of 1.6 either side: the lines stay off the frame. */
        a->log = true;
        a->lo /= 1.6;
        a->hi *= 1.6;
        return;
    }
    /* From zero (or below, for negative values), with room above and a little
     * below, so that points at zero are not hidden by the axis. */
    double lo = a->lo < 0 ? a->lo : 0, hi = a->hi;
    if (hi <= lo)
        hi = lo + 1;
    a->lo = lo - 0.03 * (hi - lo);
    a->hi = hi + 0.08 * (hi - lo);
}

double pl_axis_floor(const struct pl_axis *a, double frac)
{
    if (a->log)
        return a->lo * pow(a->hi / a->lo, frac);
    return a->lo + frac * (a->hi - a->lo);
}

void pl_axis_emit(struct pl_buf *b, const struct pl_axis *a, char axis)
{
    pl_printf(b, "set %crange [%.9g:%.9g]\n", axis, a->lo, a->hi);
    if (a->log)
        pl_printf(b, "set logscale %c 10\nset mytics 10\n", axis);
    else
        pl_printf(b, "unset logscale %c\nset mytics default\n", axis);
    pl_printf(b, "set format %c '%%g'\n", axis);
}

void pl_terminal(struct pl_buf *gp, const char *term, const char *stem, int width, int height)
{
    if (strcmp(term, "png") == 0)
        pl_printf(gp, "set terminal pngcairo noenhanced size %d,%d font \"%s\" linewidth 1.3\n",
                  width, height, PL_FONT);
    else
        pl_printf(gp,
                  "set terminal svg noenhanced size %d,%d font \"%s\" linewidth 1.3 dynamic "
                  "background rgb \"white\"\n",
                  width, height, PL_FONT);
    pl_puts(gp, "set output ");
    char file[PATH_MAX];
    snprintf(file, sizeof(file), "%s.%s", stem, term);
    pl_gp_str(gp, file);
    pl_puts(gp, "\n");
}

const char *pl_backend_color(size_t i)
{
    static const char *const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                         "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
    return colors[i % (sizeof(colors) / sizeof(colors[0]))];
}

/* Whether the line starting at l (up to its '\n') contains w. */
static bool line_has(const char *l, size_t len, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i + wl <= len; i++)
        if (memcmp(l + i, w, wl) == 0)
            return true;
    return false;
}

/* gnuplot's stderr as one line in dst (n bytes): its lines trimmed and
 * joined with " | ", blank ones dropped, and warnings dropped when there is
 * anything else (the error is what matters). */
static void one_line(char *dst, size_t n, const char *s)
{
    bool errors = false;
    for (const char *l = s; *l;) {
        size_t len = strcspn(l, "\n");
        if (len && !line_has(l, len, "warning:"))
            errors = true;
        l += len + (l[len] == '\n');
    }
    size_t k = 0;
    dst[0] = '\0';
    for (const char *l = s; *l;) {
        size_t len = strcspn(l, "\n");
        const char *next = l + len + (l[len] == '\n');
        while (len && (*l == ' ' || *l == '\t'))
            l++, len--;
        while (len && (l[len - 1] == '\r' || l[len - 1] == ' '))
            len--;
        if (len && !(errors && line_has(l, len, "warning:")))
            k +=
                (size_t)snprintf(dst + k, k < n ? n - k : 0, "%s%.*s", k ? " | " : "", (int)len, l);
        if (k >= n)
            break;
        l = next;
    }
}

int pl_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *err,
                   size_t errlen)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
        }
        dup2(fds[1], STDERR_FILENO);
        signal(SIGPIPE, SIG_DFL);
        if (chdir(dir) != 0) {
            dprintf(STDERR_FILENO, "chdir %s: %s\n", dir, strerror(errno));
            _exit(126);
        }
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        dprintf(STDERR_FILENO, "exec %s: %s\n", gnuplot, strerror(errno));
        _exit(127);
    }
    close(fds[1]);

    /* Keep the start of what gnuplot says: its first error comes first. */
    char out[2048];
    size_t len = 0;
    for (;;) {
        char chunk[1024];
        ssize_t n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof(out) - 1 - len ? (size_t)n : sizeof(out) - 1 - len;
        memcpy(out + len, chunk, take);
        len += take;
    }
    out[len] = '\0';
    close(fds[0]);

    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid gnuplot: %s", strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    char msg[2048];
    one_line(msg, sizeof(msg), out);
    if (WIFSIGNALED(st))
        snprintf(err, errlen, "gnuplot %s/%s: killed by signal %d%s%s", dir, script, WTERMSIG(st),
                 *msg ? ": " : "", msg);
    else
        snprintf(err, errlen, "gnuplot %s/%s: exit %d%s%s", dir, script, WEXITSTATUS(st),
                 *msg ? ": " : "", msg);
    return -1;
}

int kvb_plot_find_gnuplot(const char *prog, char *out, size_t n, char *err, size_t errlen)
{
    const char *why = "";
    if (!prog || !*prog) {
        prog = getenv("KVB_GNUPLOT");
        why = " ($KVB_GNUPLOT)";
    }
    if (prog && *prog) {
        if (strchr(prog, '/')) {
            if (access(prog, X_OK) != 0) {
                snprintf(err, errlen, "gnuplot %s%s: %s", prog, why, strerror(errno));
                return KVB_PLOT_NO_GNUPLOT;
            }
            snprintf(out, n, "%s", prog);
            return 0;
        }
    } else {
        prog = "gnuplot";
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t k = strcspn(path, ":");
        char cand[PATH_MAX];
        int m = snprintf(cand, sizeof(cand), "%.*s/%s", (int)k, k ? path : ".", prog);
        if (m > 0 && (size_t)m < sizeof(cand) && access(cand, X_OK) == 0) {
            snprintf(out, n, "%s", cand);
            return 0;
        }
        path += k;
        if (*path == ':')
            path++;
    }
    snprintf(err, errlen,
             "%s not found on $PATH (install gnuplot, e.g. Debian's gnuplot-nox, or set "
             "$KVB_GNUPLOT)",
             prog);
    return KVB_PLOT_NO_GNUPLOT;
}
