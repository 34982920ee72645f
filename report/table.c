/*
 * table.c - tables of text cells, RFC 4180 CSV in and out, and replacing a
 * file atomically.
 *
 * Writing: a cell is quoted when it holds a comma, a quote, CR or LF (quotes
 * doubled), and, in a one-column table, when it is empty (an empty line
 * would otherwise be indistinguishable from no line). Lines end in LF, which
 * every consumer we feed (gnuplot, spreadsheets, pandas) reads.
 *
 * Reading: LF or CRLF line ends; quoted cells may span lines; a CR not
 * followed by LF is an ordinary character; a quote inside an unquoted cell is
 * taken literally (as Python's csv does); a UTF-8 byte-order mark is skipped;
 * empty lines at the end of the file are ignored, anywhere else they are a
 * row of one empty cell. Errors give the line the offending row starts on
 * (or the line of the opening quote that is never closed).
 *
 * Atomic replacement: write PATH.tmp.<pid>, fsync it, rename it over PATH,
 * fsync the directory. Any failure before the rename removes the temporary
 * file and leaves PATH as it was. Two threads of one process must not
 * replace the same PATH at once (they would share the temporary name).
 */
#include "report/table.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

static char *dup_cell(const char *s)
{
    return strdup(s ? s : "");
}

static void free_row(char **row, size_t n)
{
    if (!row)
        return;
    for (size_t c = 0; c < n; c++)
        free(row[c]);
    free(row);
}

int kvb_table_init(struct kvb_table *t, const char *const *cols, size_t ncols)
{
    memset(t, 0, sizeof(*t));
    t->cols = calloc(ncols ? ncols : 1, sizeof(char *));
    if (!t->cols)
        goto fail;
    t->ncols = ncols;
    for (size_t c = 0; c < ncols; c++)
        if (!(t->cols[c] = dup_cell(cols[c])))
            goto fail;
    return 0;
fail:
    kvb_table_free(t);
    errno = ENOMEM;
    return -1;
}

int kvb_table_add_row(struct kvb_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char ***rows = realloc(t->rows, cap * sizeof(*rows));
        if (!rows)
            goto fail;
        t->rows = rows;
        t->cap = cap;
    }
    char **row = calloc(t->ncols ? t->ncols : 1, sizeof(char *));
    if (!row)
        goto fail;
    for (size_t c = 0; c < t->ncols; c++) {
        if (!(row[c] = dup_cell(cells ? cells[c] : NULL))) {
            free_row(row, t->ncols);
            goto fail;
        }
    }
    t->rows[t->nrows++] = row;
    return 0;
fail:
    errno = ENOMEM;
    return -1;
}

int kvb_table_col(const struct kvb_table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return (int)c;
    return -1;
}

/* NULL also when r is past the last row. */
const char *kvb_table_get(const struct kvb_table *t, size_t r, const char *name)
{
    int c = kvb_table_col(t, name);
    if (c < 0 || r >= t->nrows)
        return NULL;
    return t->rows[r][c];
}

/* Safe on a zeroed table and twice in a row. */
void kvb_table_free(struct kvb_table *t)
{
    for (size_t r = 0; r < t->nrows; r++)
        free_row(t->rows[r], t->ncols);
    free(t->rows);
    if (t->cols)
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cols[c]);
    free(t->cols);
    memset(t, 0, sizeof(*t));
}

/* ---- atomic replacement ---- */

/* "call path: strerror(e)" into err; errno = e. */
static int io_fail(char *err, size_t errlen, const char *call, const char *path, int e)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s", call, path, strerror(e));
    errno = e;
    return -1;
}

/* Makes path's directory durable after a rename in it. Filesystems that
 * cannot sync a directory say EINVAL; there is nothing more to do there. */
static int sync_parent(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, errlen, "open", dir, errno);
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = io_fail(err, errlen, "fsync", dir, errno);
    close(fd);
    return rc;
}

/* If the rename succeeded but the directory sync failed, PATH already holds
 * the new contents and -1 only says its durability is not known. */
int kvb_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return io_fail(err, errlen, "open", path, ENAMETOOLONG);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
        return io_fail(err, errlen, "open", tmp, errno);

    const char *call;
    int e;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            call = "write";
            goto fail_open;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        call = "fsync";
        goto fail_open;
    }
    if (close(fd) != 0) {
        call = "close";
        goto fail_closed;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        if (err && errlen)
            snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(e));
        errno = e;
        return -1;
    }
    return sync_parent(path, err, errlen);

fail_open:
    e = errno;
    close(fd);
    errno = e;
fail_closed:
    e = errno;
    unlink(tmp);
    return io_fail(err, errlen, call, tmp, e);
}

/* ---- CSV out ---- */

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void csv_put_cell(struct buf *b, const char *s, bool quote_empty)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n") && !(quote_empty && *s == '\0')) {
        buf_put(b, s, strlen(s));
        return;
    }
    buf_put(b, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        buf_put(b, s, (size_t)(q - s));
        buf_put(b, "\"\"", 2);
    }
    buf_put(b, s, strlen(s));
    buf_put(b, "\"", 1);
}

static void csv_put_row(struct buf *b, char *const *cells, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        if (c)
            buf_put(b, ",", 1);
        csv_put_cell(b, cells[c], n == 1);
    }
    buf_put(b, "\n", 1);
}

int kvb_csv_write(const char *path, const struct kvb_table *t, char *err, size_t errlen)
{
    struct buf b = {0};
    csv_put_row(&b, t->cols, t->ncols);
    for (size_t r = 0; r < t->nrows; r++)
        csv_put_row(&b, t->rows[r], t->ncols);
    int rc;
    if (b.oom)
        rc = io_fail(err, errlen, "write", path, ENOMEM);
    else
        rc = kvb_write_atomic(path, b.p, b.len, err, errlen);
    free(b.p);
    return rc;
}

/* ---- CSV in ---- */

struct csv_parser {
    char *b; /* the whole file, NUL-terminated; cells are unescaped in place */
    size_t len, pos;
    unsigned long line;
    const char *path;
    char *err;
    size_t errlen;
};

static int csv_error(struct csv_parser *p, unsigned long line, const char *what)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s:%lu: %s", p->path, line, what);
    errno = EINVAL;
    return -1;
}

/* True when b[i] starts a line end (LF or CRLF). */
static bool at_eol(const struct csv_parser *p, size_t i)
{
    return p->b[i] == '\n' || (p->b[i] == '\r' && i + 1 < p->len && p->b[i + 1] == '\n');
}

/* Reads one cell starting at p->pos, unescaping it in place (the write
 * position never passes the read position, and the NUL lands on the
 * delimiter just consumed). Stores the cell in *cell and the delimiter that
 * ended it in *end: ',', '\n' or 0 at the end of the file. */
static int csv_cell(struct csv_parser *p, char **cell, int *end)
{
    char *b = p->b;
    size_t r = p->pos, w = p->pos;
    *cell = b + w;
    if (r < p->len && b[r] == '"') {
        unsigned long open_line = p->line;
        for (r++;; r++) {
            if (r >= p->len)
                return csv_error(p, open_line, "unterminated quote");
            if (b[r] == '"') {
                if (r + 1 < p->len && b[r + 1] == '"') {
                    b[w++] = '"';
                    r++;
                    continue;
                }
                r++;
                break;
            }
            if (b[r] == '\0')
                return csv_error(p, p->line, "NUL byte in a cell");
            if (b[r] == '\n')
                p->line++;
            b[w++] = b[r];
        }
        if (r < p->len && b[r] != ',' && !at_eol(p, r))
            return csv_error(p, p->line, "unexpected character after a closing quote");
    } else {
        for (; r < p->len && b[r] != ',' && !at_eol(p, r); r++) {
            if (b[r] == '\0')
                return csv_error(p, p->line, "NUL byte in a cell");
            b[w++] = b[r];
        }
    }
    if (r >= p->len) {
        *end = 0;
    } else if (b[r] == ',') {
        *end = ',';
        r++;
    } else {
        *end = '\n';
        r += b[r] == '\r' ? 2 : 1;
        p->line++;
    }
    b[w] = '\0';
    p->pos = r;
    return 0;
}

/* Reads one record into *cells (grown as needed, *cap entries); *n cells. */
static int csv_record(struct csv_parser *p, char ***cells, size_t *cap, size_t *n)
{
    int end;
    *n = 0;
    do {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **v = realloc(*cells, nc * sizeof(char *));
            if (!v) {
                errno = ENOMEM;
                return csv_error(p, p->line, "out of memory");
            }
            *cells = v;
            *cap = nc;
        }
        if (csv_cell(p, &(*cells)[*n], &end) != 0)
            return -1;
        (*n)++;
    } while (end == ',');
    return 0;
}

/* True when only line ends remain. */
static bool only_blank_lines(const struct csv_parser *p)
{
    for (size_t i = p->pos; i < p->len; i++)
        if (p->b[i] != '\n' && p->b[i] != '\r')
            return false;
    return true;
}

/* On error t is left empty (as after kvb_table_free). */
int kvb_csv_read(const char *path, struct kvb_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    struct csv_parser p = {.line = 1, .path = path, .err = err, .errlen = errlen};
    if (kvb_read_file(path, 0, &p.b, &p.len, err, errlen) != 0)
        return -1;
    if (p.len >= 3 && memcmp(p.b, "\xef\xbb\xbf", 3) == 0)
        p.pos = 3;

    char **cells = NULL;
    size_t cap = 0, n = 0;
    int rc = -1;
    if (only_blank_lines(&p)) {
        csv_error(&p, 1, "empty file (expected a header line of column names)");
        goto out;
    }
    if (csv_record(&p, &cells, &cap, &n) != 0)
        goto out;
    if (kvb_table_init(t, (const char *const *)cells, n) != 0) {
        csv_error(&p, 1, "out of memory");
        goto out;
    }
    while (!only_blank_lines(&p)) {
        unsigned long line = p.line;
        if (csv_record(&p, &cells, &cap, &n) != 0)
            goto out;
        if (n != t->ncols) {
            char what[96];
            snprintf(what, sizeof(what), "%zu cell%s, expected %zu as in the header", n,
                     n == 1 ? "" : "s", t->ncols);
            csv_error(&p, line, what);
            goto out;
        }
        if (kvb_table_add_row(t, (const char *const *)cells) != 0) {
            csv_error(&p, line, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        kvb_table_free(t);
    free(cells);
    free(p.b);
    return rc;
}
