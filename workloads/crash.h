/*
 * crash.h - checking a database after its process was killed.
 *
 * A crash test (cli/cmd_crash.c) kills a child running monotonic writers
 * with SIGKILL, then opens the same directory in a fresh process and checks
 * it here: every commit acknowledged before the kill must be there (with
 * sync), and head and keys must satisfy the monotonic-writer invariants.
 */
#ifndef KVB_WORKLOADS_CRASH_H
#define KVB_WORKLOADS_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/run.h"

struct kvb_crash_check {
    double open_ms;       /* opening the database: recovery time */
    uint64_t head;        /* head found */
    uint64_t acked;       /* acknowledged commits checked */
    uint64_t lost;        /* acknowledged commits missing */
    uint64_t first_lost;  /* the smallest missing acknowledged index */
    bool failed;          /* the database could not be opened or read */
    bool broken;          /* invariants do not hold (besides lost commits) */
    char detail[512];     /* what failed or broke first */
};

/* Opens cfg's backend on dir, checks it against the sorted acknowledged
 * indices acked[0 .. n), closes it. Fills *out; returns 0 when the check
 * could be made (out->lost and out->broken tell the verdict), -1 when the
 * database could not be opened or read (out->detail says why). */
int kvb_crash_check(const struct kvb_config *cfg, const char *dir, const uint64_t *acked,
                    size_t n, struct kvb_crash_check *out);

#endif
