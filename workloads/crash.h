/*
 * crash.h - what a crash test records while its workload runs, and the
 * check of the database after the kill.
 *
 * A crash test (cli/cmd_crash.c) runs monotonic writers in a child process,
 * kills it with SIGKILL, then opens the same directory in a fresh process
 * and checks it (kvb_crash_check): every commit acknowledged before the kill
 * must be there (with sync), and head and keys must satisfy the
 * monotonic-writer invariants.
 *
 * The ack log. The child appends each acknowledged monotonic commit to a
 * log in memory it shares with the parent: an anonymous shared mapping the
 * parent makes before the fork, so what was appended before the kill is
 * still there after it (the pages are the parent's too). Appending is one
 * atomic add and two stores: no system call, no lock, and it never blocks,
 * so it cannot slow the workload it watches. (A pipe, read only after the
 * kill, filled after 4096 acks and blocked every writer, so nothing was in
 * flight at the kill and no loss could be seen; a parent thread draining it
 * would still cost a write() per commit and bound the writers by how fast
 * it drains.) The log has a fixed number of slots, reserved as address
 * space and backed by memory only as they fill; acks past the last slot are
 * counted (kvb_ack_log_overflow), not recorded, and the crash command
 * reports them as unchecked.
 *
 * A slot is complete once its ack_ns is set, which the writer does last: a
 * writer killed between reserving a slot and completing it leaves it
 * incomplete, and that commit counts as not acknowledged, exactly as if the
 * kill had come just before the writer reported it.
 */
#ifndef KVB_WORKLOADS_CRASH_H
#define KVB_WORKLOADS_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/run.h"

/* One acknowledged monotonic commit. */
struct kvb_ack {
    uint64_t index;  /* the key index the commit claimed */
    uint64_t ack_ns; /* when commit returned (CLOCK_MONOTONIC) */
};

/* Slots of the log the crash command makes per kill: 16 Mi acks (256 MiB of
 * address space, backed only as used), some 10 s of a writer committing at
 * a million per second. */
#define KVB_ACK_LOG_SLOTS ((size_t)1 << 24)

/* Makes an empty log of `slots` slots, shared with the children forked
 * after this call. Returns NULL with a sentence in err if the mapping
 * fails. Free it with kvb_ack_log_free. */
struct kvb_ack_log *kvb_ack_log_new(size_t slots, char *err, size_t errlen);

/* Unmaps the log (in this process; a child's mapping lives until it dies). */
void kvb_ack_log_free(struct kvb_ack_log *log);

/* Records that the commit of `index` was acknowledged at ack_ns. Safe from
 * any number of threads and processes at once; never blocks. */
void kvb_ack_log_append(struct kvb_ack_log *log, uint64_t index, uint64_t ack_ns);

/* Reading, once the appending processes are dead: slots in use (complete or
 * not), and whether slot i (< kvb_ack_log_len) is complete (then *out holds it). */
size_t kvb_ack_log_len(const struct kvb_ack_log *log);
bool kvb_ack_log_get(const struct kvb_ack_log *log, size_t i, struct kvb_ack *out);

/* Acks that found every slot taken: counted, not recorded. */
uint64_t kvb_ack_log_overflow(const struct kvb_ack_log *log);

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
