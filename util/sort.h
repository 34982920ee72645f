/*
 * sort.h - sorting arrays of plain values in increasing order: the
 * comparison functions qsort needs, written once.
 *
 * Each sorts v[0 .. n) in place with qsort (not stable: equal values are
 * interchangeable anyway); n 0 is fine, and v may then be NULL.
 */
#ifndef KVB_UTIL_SORT_H
#define KVB_UTIL_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Unsigned 64-bit integers (commit indices, latencies in ns, ...). */
void kvb_sort_u64(uint64_t *v, size_t n);

/* Doubles. A NaN compares neither below nor above anything, so an array
 * holding one is left in an unspecified order: leave NaNs out. */
void kvb_sort_double(double *v, size_t n);

/* Strings by strcmp (byte order, not the locale's): the pointers are
 * sorted, the strings are not moved. */
void kvb_sort_strings(char **v, size_t n);

#endif
