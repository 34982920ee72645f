/*
 * text.h - small string helpers shared across kvbench: appending, "did you
 * mean", file-name-safe names, and reading a number from text.
 */
#ifndef KVB_UTIL_TEXT_H
#define KVB_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Appends to buf (n bytes, already NUL-terminated) like snprintf at its
 * end; truncates, and does nothing once buf is full. */
void kvb_appendf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Levenshtein distance between a and b; 64 if either is longer than 63. */
size_t kvb_edit_distance(const char *a, const char *b);

/* Among the n names (names[i]), the one closest to name within two edits
 * (or one edit for names of three characters or fewer), or NULL; the first
 * wins a tie. Every "did you mean" of kvbench comes from here. */
const char *kvb_closest_name(const char *name, const char *const *names, size_t n);

/* kvb_closest_name over a table of structs, for tables that hold more than
 * names (options, commands, getopt's struct option): up to n rows of stride
 * bytes from rows, each named by the const char * at byte offset off; a row
 * whose name is NULL ends the table (n SIZE_MAX: a NULL-ended table). */
const char *kvb_closest_field(const char *name, const void *rows, size_t n, size_t stride,
                              size_t off);

/* Whether c belongs to the set of characters kvbench lets into a file name
 * it makes from user text (a sweep name, a case name, a run label, a
 * backend): the ASCII letters, digits, '.', '_' and '-' ([A-Za-z0-9._-]),
 * whatever the locale. A '.' is in the set, but a name must not start with
 * one (kvb_safe_name replaces it; the config checks refuse it for sweep
 * names): ".", ".." and hidden files stay out. */
bool kvb_name_char(char c);

/* Writes a file-name-safe form of s into out (n bytes; nothing when n is
 * 0): each kvb_name_char of s kept, every other byte (each byte of a
 * multi-byte character, '/' included) and a leading '.' replaced by '_',
 * cut to n - 1 bytes, never empty ("_" for an empty s, when n >= 2). Two
 * names can map to one form ("a b" and "a_b"): callers that need distinct
 * file names must tell such names apart themselves. */
void kvb_safe_name(char *out, size_t n, const char *s);

/* The number the whole of s spells, as strtod reads it (leading blanks,
 * a sign, decimal or hexadecimal, an exponent), or NaN when s is NULL or
 * empty, when anything follows the number, or when the number is not
 * finite ("inf", "nan", 1e999). For a CSV cell or a command-line value
 * where "no number" and "a number" must be told apart: NaN is never a
 * valid result, so isnan() is the test. */
double kvb_parse_number(const char *s);

#endif
