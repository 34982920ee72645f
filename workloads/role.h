/*
 * role.h - the client roles, as one table.
 *
 * A role is what a client thread does in one operation (one transaction,
 * retries included) and how what it saw is judged. Every place that speaks
 * of roles iterates kvb_roles[]: the run loop (run.c: how many clients, their
 * setup), the client loop (client.c: the operation, the judgement), the CSV
 * columns (report/columns.c: each role's column group, named from col and
 * the *_col spellings), the printout, the JSON summary and the plots.
 *
 * Adding a role: a value in enum kvb_role (before KVB_ROLE_COUNT), its
 * config keys in the option table (workloads/config_options.c: count, rate
 * and any knob of its own, with fields in struct kvb_config), a row in
 * kvb_roles[] (role.c), and one file role_NAME.c with its setup, operation
 * and judgement. Columns, printout, JSON and plots follow from the row.
 */
#ifndef KVB_WORKLOADS_ROLE_H
#define KVB_WORKLOADS_ROLE_H

#include <stddef.h>
#include <stdint.h>

enum kvb_role {
    KVB_ROLE_WRITER = 0,    /* monotonic writer: races the others on one head key */
    KVB_ROLE_READER,        /* verifying reader */
    KVB_ROLE_RANDOM_WRITER, /* puts (and deletes) of random records */
    KVB_ROLE_COMPACTOR,     /* long read-modify-write transaction */
    KVB_ROLE_SCANNER,       /* ordered range read in a snapshot */
    KVB_ROLE_COUNT,
};

struct kvb_config;
struct kvb_worker;
struct kvb_op;

struct kvb_role_def {
    /* Names. */
    const char *name;     /* key in the JSON summary and series: "random_writer" */
    const char *title;    /* one client, in messages: "random writer" (+ " 3") */
    const char *plural;   /* the printout: "random writers" */
    const char *ops_noun; /* what it completes, in progress lines: "random writes" */
    /* Columns (report/columns.c): the role's group is named from col
     * ("random_writer" -> random_writer_p99_ms, ...); the seed spelled four
     * of them its own way, kept here. */
    const char *col;
    const char *ops_col;      /* operations completed: "random_writes" */
    const char *tps_col;      /* their rate: "random_write_tps" */
    const char *conflict_col; /* conflicts per attempt: "..._precondition_failure_rate" */
    const char *retry_col;    /* operations given up: "random_retry_failures" */
    /* Config: its client count and per-client rate (struct kvb_config fields). */
    const char *count_key, *rate_key;
    size_t count_off, rate_off;

    /* Behaviour (role_NAME.c). setup: after the common buffers, before the
     * client opens; 0 or -1 with w->first_error set. op: one operation,
     * between the two clock reads. judge: after the second clock read, for
     * every operation (warmup included): what it read against what was
     * acknowledged. records: how many records (rec_*) its clients may write
     * under cfg, for the ledger (0: it writes none). NULL: nothing to do. */
    int (*setup)(struct kvb_worker *w);
    void (*op)(struct kvb_worker *w, struct kvb_op *op);
    void (*judge)(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end);
    uint64_t (*records)(const struct kvb_config *cfg);
};

extern const struct kvb_role_def kvb_roles[KVB_ROLE_COUNT];

/* Clients of role r in cfg (its count key). */
unsigned kvb_role_clients(const struct kvb_config *cfg, enum kvb_role r);

/* Transactions/s per client of role r in cfg (its rate key); 0: closed
 * loop, each client starting its next operation when the last one ends, so
 * no operation can start late. */
double kvb_role_rate(const struct kvb_config *cfg, enum kvb_role r);

#endif
