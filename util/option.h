/*
 * option.h - one table of options drives config keys, --set, defaults,
 * ranges and --help (in the manner of fio's struct fio_option).
 *
 * A table is an array of struct kvb_option ended by a row whose name is NULL.
 * Each row says where its value lives (offsetof into a caller's struct), how
 * to read it from text, its bounds and default. The YAML reader only produces
 * keys and scalar text and feeds them here, so a value typed in a config file,
 * given with --set or coming from a default is parsed by the same code.
 *
 * Ownership: tables are static and owned by whoever defines them; the target
 * struct is the caller's. Nothing here allocates except KVB_OPT_STRING, which
 * copies into a fixed buffer inside the target struct.
 */
#ifndef KVB_UTIL_OPTION_H
#define KVB_UTIL_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum kvb_opt_type {
    KVB_OPT_BOOL,    /* bool: true/false/yes/no/on/off/1/0 */
    KVB_OPT_UINT,    /* unsigned int, in [min, max] */
    KVB_OPT_U64,     /* uint64_t, in [min, max] */
    KVB_OPT_SIZE,    /* uint64_t bytes; accepts suffixes k/K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) */
    KVB_OPT_DOUBLE,  /* double, finite, in [min, max] */
    KVB_OPT_SECONDS, /* double seconds; accepts suffixes ns, us, ms, s, m, h */
    KVB_OPT_STRING,  /* char[size] inside the target; empty strings rejected unless min == 0 */
    KVB_OPT_ENUM,    /* int: index into choices */
};

struct kvb_option {
    const char *name;           /* config key, e.g. "num_writers" */
    const char *label;          /* short tag used in config labels ("W"); NULL: name */
    enum kvb_opt_type type;
    size_t offset;              /* offsetof(target struct, field) */
    size_t size;                /* KVB_OPT_STRING: size of the char buffer */
    double min, max;            /* bounds for numbers; max 0 means no upper bound */
    const char *def;            /* default as text; NULL: zero / false / "" */
    const char *const *choices; /* KVB_OPT_ENUM: NULL-terminated list of names */
    const char *help;           /* one line for --help and error messages */
    const char *unit;           /* of a number, for reports ("txn/s", "bytes"); NULL: none,
                                 * or the type's own (seconds: "s", sizes: "bytes") */
    bool sweep;                 /* a setting of the whole sweep, not of one run's workload
                                 * (the sweep's name, where runs go): no CSV column */
};

/* Length of the error buffers the functions below write into. */
#define KVB_OPT_ERRLEN 256

/* Returns the row named name, or NULL. */
const struct kvb_option *kvb_opt_find(const struct kvb_option *table, const char *name);

/* Returns the name in table closest to name (edit distance), or NULL when
 * nothing is close enough to be worth suggesting. */
const char *kvb_opt_closest(const struct kvb_option *table, const char *name);

/* Parses text as row o's type and stores it into base. Returns 0, or -1 with
 * a sentence in err saying what was expected ("expected a non-negative
 * integer, got 'abc'"). On error base is unchanged. */
int kvb_opt_parse(const struct kvb_option *o, const char *text, void *base, char *err,
                  size_t errlen);

/* Sets every row of table to its default in base. Returns 0, or -1 if a
 * default does not parse (a bug in the table), with err filled. */
int kvb_opt_defaults(const struct kvb_option *table, void *base, char *err, size_t errlen);

/* Writes row o's current value in base as text that kvb_opt_parse reads back
 * to the same value. Returns the length written (snprintf semantics). */
int kvb_opt_format(const struct kvb_option *o, const void *base, char *buf, size_t n);

/* Describes row o's accepted values: "integer >= 1", "one of: fixed, poisson". */
void kvb_opt_expect(const struct kvb_option *o, char *buf, size_t n);

/* Prints "  name  <type> (default d)  help" for each row, indented by indent;
 * a duration's default carries its unit ("(default 10s)"). */
void kvb_opt_print_help(FILE *out, const struct kvb_option *table, int indent);

#endif
