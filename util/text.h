/*
 * text.h - small string helpers shared across kvbench.
 */
#ifndef KVB_UTIL_TEXT_H
#define KVB_UTIL_TEXT_H

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

#endif
