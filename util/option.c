/*
 * option.c - reading, checking, formatting and describing the values of an
 * option table (util/option.h).
 *
 * Every value, whether from a config file, --set or a row's default, goes
 * through kvb_opt_parse, so there is one definition of what each type
 * accepts:
 *
 *   bool     true/false, yes/no, on/off, 1/0 (any case)
 *   uint/u64 decimal digits only: no sign, no exponent, no hex
 *   size     a whole number of bytes, or a number with a binary suffix, any
 *            case, optionally after a space: k/kb/kib = 1024, m/mb/mib = 2^20,
 *            g/gb/gib = 2^30, t/tb/tib = 2^40 ("KB" is 1024 here, as in fio;
 *            storage sizes in this tool are never decimal). A fraction is
 *            allowed when the result is whole: "1.5G", "0.5k". "b" alone
 *            means bytes.
 *   double   a finite decimal number ("1e-3" allowed; "inf", "nan" and hex
 *            floats are not)
 *   seconds  a number of seconds, or a number with a unit: ns, us (or µs),
 *            ms, s, m (or min), h
 *   string   copied as is (no trimming); min is the least length (so
 *            min = 0 allows ""), max, when set, the greatest
 *   enum     exactly one of the choices
 *
 * Surrounding blanks are ignored for every type but strings. Numbers are
 * then checked against [min, max], max = 0 meaning no upper bound (and
 * min <= -DBL_MAX no lower bound, for doubles and seconds).
 *
 * kvb_opt_format writes text that parses back to the same value: integers
 * and sizes as plain decimal (bytes for sizes, so CSV columns stay numeric),
 * doubles and seconds as the shortest %g that round-trips (whole numbers
 * below 1e15 without an exponent), seconds without a unit.
 */
#include "util/option.h"
#include "util/text.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 2^64 as a double: bounds at or above it do not limit a uint64_t. */
#define U64_LIMIT 18446744073709551616.0

static void *field(void *base, const struct kvb_option *o)
{
    return (char *)base + o->offset;
}

static const void *cfield(const void *base, const struct kvb_option *o)
{
    return (const char *)base + o->offset;
}

/* ---- describing what a row accepts ---- */

/* A size bound as people write it: "4KiB" when exact, else bytes. */
static void fmt_size(char *buf, size_t n, double bound)
{
    static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
    if (bound >= U64_LIMIT || bound < 0) {
        snprintf(buf, n, "%g", bound);
        return;
    }
    uint64_t v = (uint64_t)bound;
    for (int i = 0; i < 4 && v; i++) {
        unsigned shift = 10u * (unsigned)(4 - i);
        if (v % ((uint64_t)1 << shift) == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", v >> shift, units[i]);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64, v);
}

static bool has_lower(const struct kvb_option *o)
{
    return o->min > -DBL_MAX;
}

/* "X", "non-negative X", "X >= lo", "X <= hi" or "X in [lo, hi]", with the
 * bounds written by fmt (as sizes, seconds or plain numbers). */
static void describe_range(char *buf, size_t n, const char *what, const struct kvb_option *o,
                           double lo, bool lower, double hi, bool upper, const char *unit)
{
    char a[48], b[48];
    if (o->type == KVB_OPT_SIZE) {
        fmt_size(a, sizeof(a), lo);
        fmt_size(b, sizeof(b), hi);
    } else {
        snprintf(a, sizeof(a), "%.15g%s", lo, unit);
        snprintf(b, sizeof(b), "%.15g%s", hi, unit);
    }
    if (lower && upper)
        kvb_appendf(buf, n, "%s in [%s, %s]", what, a, b);
    else if (lower && lo == 0)
        kvb_appendf(buf, n, "non-negative %s", what);
    else if (lower)
        kvb_appendf(buf, n, "%s >= %s", what, a);
    else if (upper)
        kvb_appendf(buf, n, "%s <= %s", what, b);
    else
        kvb_appendf(buf, n, "%s", what);
}

/* The largest length a string row accepts. */
static size_t string_max(const struct kvb_option *o)
{
    size_t m = o->size ? o->size - 1 : 0;
    if (o->max > 0 && o->max < (double)m)
        m = (size_t)o->max;
    return m;
}

void kvb_opt_expect(const struct kvb_option *o, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    double lo = o->min > 0 ? o->min : 0;
    switch (o->type) {
    case KVB_OPT_BOOL:
        kvb_appendf(buf, n, "boolean (true/false, yes/no, on/off, 1/0)");
        break;
    case KVB_OPT_UINT: {
        double hi = o->max > 0 && o->max < (double)UINT_MAX ? floor(o->max) : (double)UINT_MAX;
        describe_range(buf, n, "integer", o, ceil(lo), true, hi, o->max > 0, "");
        break;
    }
    case KVB_OPT_U64:
        describe_range(buf, n, "integer", o, ceil(lo), true, floor(o->max), o->max > 0, "");
        break;
    case KVB_OPT_SIZE:
        describe_range(buf, n, "size", o, ceil(lo), true, floor(o->max), o->max > 0, "");
        kvb_appendf(buf, n, " (bytes, or with a suffix k, M, G, T: powers of 1024)");
        break;
    case KVB_OPT_DOUBLE:
        describe_range(buf, n, "number", o, o->min, has_lower(o), o->max, o->max != 0, "");
        break;
    case KVB_OPT_SECONDS:
        describe_range(buf, n, "duration", o, o->min, has_lower(o), o->max, o->max != 0, "s");
        kvb_appendf(buf, n, " (seconds, or with a unit: ns, us, ms, s, m, h)");
        break;
    case KVB_OPT_STRING:
        kvb_appendf(buf, n, "%sstring of at most %zu characters", o->min > 0 ? "non-empty " : "",
               string_max(o));
        if (o->min > 1)
            kvb_appendf(buf, n, " and at least %.0f", ceil(o->min));
        break;
    case KVB_OPT_ENUM:
        kvb_appendf(buf, n, "one of:");
        for (size_t i = 0; o->choices && o->choices[i]; i++)
            kvb_appendf(buf, n, "%s %s", i ? "," : "", o->choices[i]);
        break;
    }
}

/* ---- parsing ---- */

/* Fills err with "expected <what the row accepts>, got '<text>'" and, when
 * why is set, " (<why>)". Long input is cut with "...". */
static int bad_value(const struct kvb_option *o, const char *text, const char *why, char *err,
                     size_t errlen)
{
    if (!err || errlen == 0)
        return -1;
    char exp[KVB_OPT_ERRLEN];
    kvb_opt_expect(o, exp, sizeof(exp));
    const char *article = "a ";
    if (strncmp(exp, "one of", 6) == 0)
        article = "";
    else if (strchr("aeiou", exp[0]))
        article = "an ";
    int shown = (int)strlen(text);
    const char *cut = "";
    if (shown > 48) {
        shown = 45;
        cut = "...";
    }
    snprintf(err, errlen, "expected %s%s, got '%.*s%s'%s%s%s", article, exp, shown, text, cut,
             why ? " (" : "", why ? why : "", why ? ")" : "");
    return -1;
}

/* Copies text without surrounding blanks into buf (n bytes). Returns false
 * when it does not fit (no valid number is that long). */
static bool trim_copy(const char *text, char *buf, size_t n)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len >= n)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    return true;
}

enum { NUM_OK = 0, NUM_SYNTAX = -1, NUM_OVERFLOW = -2 };

/* Decimal digits only, the whole of s, into a uint64_t. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return NUM_SYNTAX;
    uint64_t v = 0;
    bool over = false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return NUM_SYNTAX;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    *out = v;
    return over ? NUM_OVERFLOW : NUM_OK;
}

/* Length of the decimal number at the start of s: [+-]digits[.digits][e[+-]digits],
 * at least one mantissa digit; 0 when there is none. Only what strtod reads
 * the same way in every locale we run in, and never inf, nan or hex. */
static size_t scan_number(const char *s, bool sign, bool exponent)
{
    size_t i = 0, digits = 0;
    if (sign && (s[i] == '+' || s[i] == '-'))
        i++;
    while (isdigit((unsigned char)s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (exponent && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (isdigit((unsigned char)s[j])) {
            while (isdigit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

/* Checks an unsigned value against the row's bounds and the type's limit. */
static bool u64_in_range(const struct kvb_option *o, uint64_t v, uint64_t limit)
{
    if (o->min > 0) {
        double lo = ceil(o->min);
        if (lo >= U64_LIMIT || v < (uint64_t)lo)
            return false;
    }
    uint64_t hi = limit;
    if (o->max > 0 && o->max < U64_LIMIT && (uint64_t)o->max < hi)
        hi = (uint64_t)o->max;
    return v <= hi;
}

static bool double_in_range(const struct kvb_option *o, double v)
{
    if (has_lower(o) && v < o->min)
        return false;
    return o->max == 0 || v <= o->max;
}

static int parse_unsigned(const struct kvb_option *o, const char *s, uint64_t limit, uint64_t *out,
                          const char *text, char *err, size_t errlen)
{
    uint64_t v;
    int rc = parse_u64(s, &v);
    if (rc == NUM_SYNTAX)
        return bad_value(o, text, NULL, err, errlen);
    if (rc == NUM_OVERFLOW || v > limit) {
        char why[48];
        snprintf(why, sizeof(why), "larger than %" PRIu64, limit);
        return bad_value(o, text, why, err, errlen);
    }
    if (!u64_in_range(o, v, limit))
        return bad_value(o, text, "out of range", err, errlen);
    *out = v;
    return 0;
}

static int parse_size(const struct kvb_option *o, const char *s, uint64_t *out, const char *text,
                      char *err, size_t errlen)
{
    size_t len = scan_number(s, false, false);
    if (len == 0)
        return bad_value(o, text, NULL, err, errlen);
    const char *suf = s + len;
    while (*suf == ' ')
        suf++;
    unsigned shift;
    switch (tolower((unsigned char)suf[0])) {
    case '\0':
    case 'b':
        shift = 0;
        break;
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    default:
        return bad_value(o, text, "unknown suffix", err, errlen);
    }
    if (suf[0]) {
        const char *rest = suf + 1;
        bool ok = shift == 0 ? *rest == '\0'
                             : (*rest == '\0' || strcasecmp(rest, "b") == 0 ||
                                strcasecmp(rest, "ib") == 0);
        if (!ok)
            return bad_value(o, text, "unknown suffix", err, errlen);
    }

    char num[64];
    if (len >= sizeof(num))
        return bad_value(o, text, NULL, err, errlen);
    memcpy(num, s, len);
    num[len] = '\0';

    uint64_t v;
    if (!strchr(num, '.')) {
        int rc = parse_u64(num, &v);
        if (rc == NUM_OVERFLOW || (rc == NUM_OK && shift && v > (UINT64_MAX >> shift)))
            return bad_value(o, text, "too large", err, errlen);
        if (rc != NUM_OK)
            return bad_value(o, text, NULL, err, errlen);
        v <<= shift;
    } else {
        /* A fraction: exact in a double for any size a person types, and
         * required to come out whole. */
        double d = strtod(num, NULL) * (double)((uint64_t)1 << shift);
        if (!(d < U64_LIMIT))
            return bad_value(o, text, "too large", err, errlen);
        if (d != floor(d))
            return bad_value(o, text, "not a whole number of bytes", err, errlen);
        v = (uint64_t)d;
    }
    if (!u64_in_range(o, v, UINT64_MAX))
        return bad_value(o, text, "out of range", err, errlen);
    *out = v;
    return 0;
}

static int parse_double(const struct kvb_option *o, const char *s, double *out, const char *text,
                        char *err, size_t errlen)
{
    size_t len = scan_number(s, true, true);
    if (len == 0)
        return bad_value(o, text, NULL, err, errlen);
    const char *unit = s + len;
    double scale = 1, divide = 1;
    if (o->type == KVB_OPT_SECONDS) {
        while (*unit == ' ')
            unit++;
        /* Sub-second units divide, so that "250ms" is the double nearest
         * 0.25 (what "0.25" reads as), not 250 * 0.001 rounded twice. */
        if (*unit == '\0' || strcmp(unit, "s") == 0)
            ;
        else if (strcmp(unit, "ms") == 0)
            divide = 1e3;
        else if (strcmp(unit, "us") == 0 || strcmp(unit, "\xc2\xb5s") == 0)
            divide = 1e6;
        else if (strcmp(unit, "ns") == 0)
            divide = 1e9;
        else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
            scale = 60;
        else if (strcmp(unit, "h") == 0)
            scale = 3600;
        else
            return bad_value(o, text, "unknown unit", err, errlen);
    } else if (*unit) {
        return bad_value(o, text, NULL, err, errlen);
    }
    double v = strtod(s, NULL) * scale / divide;
    if (!isfinite(v))
        return bad_value(o, text, "not finite", err, errlen);
    if (!double_in_range(o, v))
        return bad_value(o, text, "out of range", err, errlen);
    *out = v;
    return 0;
}

static int parse_bool(const struct kvb_option *o, const char *s, bool *out, const char *text,
                      char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return bad_value(o, text, NULL, err, errlen);
}

static int parse_enum(const struct kvb_option *o, const char *s, int *out, const char *text,
                      char *err, size_t errlen)
{
    size_t n = 0;
    for (; o->choices && o->choices[n]; n++) {
        if (strcmp(s, o->choices[n]) == 0) {
            *out = (int)n;
            return 0;
        }
    }
    const char *close = n ? kvb_closest_name(s, o->choices, n) : NULL;
    char why[96];
    if (close)
        snprintf(why, sizeof(why), "did you mean '%s'?", close);
    return bad_value(o, text, close ? why : NULL, err, errlen);
}

static int parse_string(const struct kvb_option *o, const char *text, void *base, char *err,
                        size_t errlen)
{
    if (o->size == 0) {
        snprintf(err, errlen, "option '%s' has no buffer (size 0): a bug in the table", o->name);
        return -1;
    }
    size_t len = strlen(text);
    if (len > string_max(o))
        return bad_value(o, text, "too long", err, errlen);
    if (o->min > 0 && (double)len < o->min)
        return bad_value(o, text, len ? "too short" : NULL, err, errlen);
    memcpy(field(base, o), text, len + 1);
    return 0;
}

int kvb_opt_parse(const struct kvb_option *o, const char *text, void *base, char *err,
                  size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (!text)
        text = "";
    if (o->type == KVB_OPT_STRING)
        return parse_string(o, text, base, err, errlen);

    char s[128];
    if (!trim_copy(text, s, sizeof(s)))
        return bad_value(o, text, "too long", err, errlen);

    switch (o->type) {
    case KVB_OPT_BOOL: {
        bool v = 0;
        if (parse_bool(o, s, &v, text, err, errlen))
            return -1;
        *(bool *)field(base, o) = v;
        return 0;
    }
    case KVB_OPT_UINT: {
        uint64_t v = 0;
        if (parse_unsigned(o, s, UINT_MAX, &v, text, err, errlen))
            return -1;
        *(unsigned *)field(base, o) = (unsigned)v;
        return 0;
    }
    case KVB_OPT_U64: {
        uint64_t v = 0;
        if (parse_unsigned(o, s, UINT64_MAX, &v, text, err, errlen))
            return -1;
        *(uint64_t *)field(base, o) = v;
        return 0;
    }
    case KVB_OPT_SIZE: {
        uint64_t v = 0;
        if (parse_size(o, s, &v, text, err, errlen))
            return -1;
        *(uint64_t *)field(base, o) = v;
        return 0;
    }
    case KVB_OPT_DOUBLE:
    case KVB_OPT_SECONDS: {
        double v = 0;
        if (parse_double(o, s, &v, text, err, errlen))
            return -1;
        *(double *)field(base, o) = v;
        return 0;
    }
    case KVB_OPT_ENUM: {
        int v = 0;
        if (parse_enum(o, s, &v, text, err, errlen))
            return -1;
        *(int *)field(base, o) = v;
        return 0;
    }
    case KVB_OPT_STRING:
        break;
    }
    snprintf(err, errlen, "option '%s' has an unknown type %d", o->name, (int)o->type);
    return -1;
}

/* ---- tables ---- */

const struct kvb_option *kvb_opt_find(const struct kvb_option *table, const char *name)
{
    if (!table || !name)
        return NULL;
    for (const struct kvb_option *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

const char *kvb_opt_closest(const struct kvb_option *table, const char *name)
{
    if (!table || !name)
        return NULL;
    return kvb_closest_field(name, table, SIZE_MAX, sizeof(*table),
                             offsetof(struct kvb_option, name));
}

int kvb_opt_defaults(const struct kvb_option *table, void *base, char *err, size_t errlen)
{
    for (const struct kvb_option *o = table; o->name; o++) {
        if (!o->def) {
            /* NULL: the type's zero, stored as is (not checked against min). */
            switch (o->type) {
            case KVB_OPT_BOOL:
                *(bool *)field(base, o) = false;
                break;
            case KVB_OPT_UINT:
                *(unsigned *)field(base, o) = 0;
                break;
            case KVB_OPT_U64:
            case KVB_OPT_SIZE:
                *(uint64_t *)field(base, o) = 0;
                break;
            case KVB_OPT_DOUBLE:
            case KVB_OPT_SECONDS:
                *(double *)field(base, o) = 0;
                break;
            case KVB_OPT_STRING:
                if (o->size)
                    *(char *)field(base, o) = '\0';
                break;
            case KVB_OPT_ENUM:
                *(int *)field(base, o) = 0;
                break;
            }
            continue;
        }
        char why[KVB_OPT_ERRLEN];
        if (kvb_opt_parse(o, o->def, base, why, sizeof(why)) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "option '%s': default '%s' does not parse: %s", o->name,
                         o->def, why);
            return -1;
        }
    }
    return 0;
}

/* ---- formatting ---- */

/* The shortest text strtod reads back as v: whole numbers below 1e15 in
 * plain digits, everything else the first %.Ng (N = 1..17) that round-trips. */
static int fmt_double(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        return snprintf(buf, n, "%.0f", v);
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return snprintf(buf, n, "%s", tmp);
}

int kvb_opt_format(const struct kvb_option *o, const void *base, char *buf, size_t n)
{
    const void *p = cfield(base, o);
    switch (o->type) {
    case KVB_OPT_BOOL:
        return snprintf(buf, n, "%s", *(const bool *)p ? "true" : "false");
    case KVB_OPT_UINT:
        return snprintf(buf, n, "%u", *(const unsigned *)p);
    case KVB_OPT_U64:
    case KVB_OPT_SIZE:
        return snprintf(buf, n, "%" PRIu64, *(const uint64_t *)p);
    case KVB_OPT_DOUBLE:
    case KVB_OPT_SECONDS:
        return fmt_double(buf, n, *(const double *)p);
    case KVB_OPT_STRING:
        return snprintf(buf, n, "%.*s", (int)strnlen(p, o->size), (const char *)p);
    case KVB_OPT_ENUM: {
        int v = *(const int *)p;
        size_t count = 0;
        while (o->choices && o->choices[count])
            count++;
        if (v >= 0 && (size_t)v < count)
            return snprintf(buf, n, "%s", o->choices[v]);
        return snprintf(buf, n, "%d", v); /* not a valid index: will not parse back */
    }
    }
    return snprintf(buf, n, "?");
}

/* ---- help ---- */

static void type_name(const struct kvb_option *o, char *buf, size_t n)
{
    static const char *const names[] = {
        [KVB_OPT_BOOL] = "bool",     [KVB_OPT_UINT] = "int",      [KVB_OPT_U64] = "int",
        [KVB_OPT_SIZE] = "size",     [KVB_OPT_DOUBLE] = "number", [KVB_OPT_SECONDS] = "duration",
        [KVB_OPT_STRING] = "string", [KVB_OPT_ENUM] = NULL,
    };
    buf[0] = '\0';
    kvb_appendf(buf, n, "<");
    if (o->type == KVB_OPT_ENUM) {
        for (size_t i = 0; o->choices && o->choices[i]; i++)
            kvb_appendf(buf, n, "%s%s", i ? "|" : "", o->choices[i]);
    } else if ((size_t)o->type < sizeof(names) / sizeof(names[0]) && names[o->type]) {
        kvb_appendf(buf, n, "%s", names[o->type]);
    } else {
        kvb_appendf(buf, n, "?");
    }
    kvb_appendf(buf, n, ">");
}

static void default_text(const struct kvb_option *o, char *buf, size_t n)
{
    const char *d = o->def;
    if (!d) {
        switch (o->type) {
        case KVB_OPT_BOOL:
            d = "false";
            break;
        case KVB_OPT_STRING:
            d = "";
            break;
        case KVB_OPT_ENUM:
            d = o->choices && o->choices[0] ? o->choices[0] : "";
            break;
        default:
            d = "0";
            break;
        }
    }
    /* A duration given without a unit is in seconds: say so. */
    bool bare = o->type == KVB_OPT_SECONDS && *d && isdigit((unsigned char)d[strlen(d) - 1]);
    if (*d)
        snprintf(buf, n, "(default %s%s)", d, bare ? "s" : "");
    else
        buf[0] = '\0';
}

void kvb_opt_print_help(FILE *out, const struct kvb_option *table, int indent)
{
    /* Columns are as wide as their widest cell, capped so that one long
     * enum does not push every help text off the screen. */
    enum { CAP = 24 };
    int namew = 0, typew = 0, defw = 0;
    char type[256], def[256];
    for (const struct kvb_option *o = table; o->name; o++) {
        type_name(o, type, sizeof(type));
        default_text(o, def, sizeof(def));
        int l = (int)strlen(o->name);
        namew = l > namew ? l : namew;
        l = (int)strlen(type);
        l = l < CAP ? l : CAP;
        typew = l > typew ? l : typew;
        l = (int)strlen(def);
        l = l < CAP ? l : CAP;
        defw = l > defw ? l : defw;
    }
    if (indent < 0)
        indent = 0;
    for (const struct kvb_option *o = table; o->name; o++) {
        type_name(o, type, sizeof(type));
        default_text(o, def, sizeof(def));
        char line[1024];
        snprintf(line, sizeof(line), "%*s%-*s  %-*s  %-*s  %s", indent, "", namew, o->name, typew,
                 type, defw, def, o->help ? o->help : "");
        size_t len = strlen(line);
        while (len && line[len - 1] == ' ')
            line[--len] = '\0';
        fprintf(out, "%s\n", line);
    }
}
