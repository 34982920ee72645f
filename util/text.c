/* text.c - appending to a buffer, edit distance and "did you mean"
 * suggestions, file-name-safe names, numbers from text. */
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kvb_appendf(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

size_t kvb_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(cur));
    }
    return prev[lb];
}

const char *kvb_closest_field(const char *name, const void *rows, size_t n, size_t stride,
                              size_t off)
{
    size_t limit = strlen(name) <= 3 ? 1 : 2;
    const char *best = NULL;
    size_t bestd = limit + 1;
    for (size_t i = 0; i < n; i++) {
        const char *cand;
        memcpy(&cand, (const char *)rows + i * stride + off, sizeof(cand));
        if (!cand)
            break;
        size_t d = kvb_edit_distance(name, cand);
        if (d < bestd) {
            bestd = d;
            best = cand;
        }
    }
    return best;
}

const char *kvb_closest_name(const char *name, const char *const *names, size_t n)
{
    return kvb_closest_field(name, names, n, sizeof(*names), 0);
}

bool kvb_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

void kvb_safe_name(char *out, size_t n, const char *s)
{
    if (n == 0)
        return;
    size_t k = 0;
    for (; s[k] && k + 1 < n; k++)
        out[k] = kvb_name_char(s[k]) && !(k == 0 && s[k] == '.') ? s[k] : '_';
    if (k == 0 && n > 1)
        out[k++] = '_';
    out[k] = '\0';
}

double kvb_parse_number(const char *s)
{
    if (!s || !*s)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return NAN;
    return v;
}
