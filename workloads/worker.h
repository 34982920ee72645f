/*
 * worker.h - one client thread: its role, its schedule, its histograms.
 *
 * Internal to workloads/. A worker owns everything it touches on the hot
 * path (client handle, buffers, generator, statistics), so no two threads
 * share a cache line while measuring; run.c merges the statistics after join.
 */
#ifndef KVB_WORKLOADS_WORKER_H
#define KVB_WORKLOADS_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "workloads/result.h"
#include "workloads/role.h"
#include "workloads/crash.h"
#include "workloads/keydist.h"
#include "workloads/kv.h"
#include "workloads/ledger.h"
#include "workloads/pace.h"
#include "workloads/run.h"

/* What the workers share, read-only once they start. */
struct kvb_run_ctx {
    const struct kvb_config *cfg;
    const struct kvb_backend *be;
    struct kvb_db db;
    struct kvb_valgen vg;
    bool verify;          /* the backend stores data: readers check what they see */
    uint64_t preloaded;   /* records 0 .. preloaded-1 exist */
    bool records_may_vanish; /* random writers delete: a missing record is no violation */
    bool has_head;        /* monotonic writers run: readers read head */
    struct kvb_ack_log *acks; /* crash tests: acknowledged commits go here; NULL: not */
    unsigned role_clients[KVB_ROLE_COUNT]; /* clients per role */
    struct kvb_keydist dist; /* key choice for readers, random writers, compactors, scanners */
    struct kvb_ledger ledger; /* acknowledged record writes; nkeys 0 when nothing writes records */
    uint64_t interval_ns;    /* report_interval; 0: no time series */
    unsigned nintervals;
    uint64_t t0;          /* schedule start (warmup begins) */
    uint64_t t_measure;   /* measured window begins */
    uint64_t t_end;       /* no operation is intended at or after this */
    pthread_barrier_t start;
};

/* One write of a random writer's or compactor's transaction attempt, and
 * the read of its key for update before it, if any. */
struct kvb_recop {
    uint64_t key;
    size_t readlen; /* bytes the read returned */
    unsigned pos;   /* order in the attempt */
    enum { KVB_RECOP_NO_READ, KVB_RECOP_ABSENT, KVB_RECOP_VALUE } read;
    bool del;
    uint8_t head[KVB_VALUE_HEAD]; /* the first bytes of the value read */
};

/* A read of a record left undecided (ledger.h): judged again later. */
struct kvb_pending_read {
    uint64_t key, got, floor, t;
};

/* Undecided reads a client keeps: KVB_PENDING_READS at first, doubling (after
 * the clock stops) up to KVB_PENDING_READS_MAX, 2 MiB; more are counted and
 * make the verdict n/a. Reads wait while the writer whose version decides
 * them has not yet published its acknowledgement: a writer descheduled on a
 * loaded machine keeps closed-loop readers waiting for thousands of reads. */
#define KVB_PENDING_READS 256
#define KVB_PENDING_READS_MAX 65536

/* How one operation (one transaction, retries included) ended. */
enum kvb_op_status { KVB_OP_OK, KVB_OP_RETRY_FAILED, KVB_OP_ERROR };

/* One operation's outcome, kept in registers and added to the statistics
 * only when the operation falls in the measured window. */
struct kvb_op {
    enum kvb_op_status status;
    unsigned attempts;
    unsigned conflicts;
    unsigned items;   /* scanner: keys the scan returned */
    uint64_t index;   /* writer: the index it claimed; reader: the index it read */
    int read_rc;      /* reader: result of the key read */
    bool read_key;    /* reader: a key was read (there was one to read) */
    bool read_record; /* reader: the key read was a preloaded record */
};

#define KVB_MAX_WORKER_ERRORS 100 /* a worker stops after this many errors */

struct kvb_worker {
    struct kvb_run_ctx *ctx;
    enum kvb_role role;
    unsigned index;   /* within its role */
    struct kvb_client client;
    struct kvb_rng rng;
    struct kvb_pacer pacer;
    struct kvb_role_stats stats;
    uint8_t *valbuf;  /* value being written, prepared with the filler */
    uint8_t *readbuf; /* copy of the last value read */
    size_t readlen;
    char key[KVB_KEY_MAX];
    uint64_t gen;     /* random writer, compactor: generation of the next attempt */
    uint64_t txn_gen; /* ... and of the current one */
    uint64_t range_lo, range_len; /* random writer: its key range */
    uint64_t seq;     /* sequential key distribution: next position in the range */
    struct kvb_recop *recops; /* random writer, compactor: the attempt's writes */
    unsigned nrecops;
    struct kvb_pending_read *pending; /* reads of records judged later */
    unsigned npending, cappending;
    uint8_t *scanbuf; /* scanner: keys and values of the last scan */
    size_t scancap, scanlen;
    unsigned scancount;
    uint64_t scanned; /* keys its scans returned in the measured window */
    uint64_t last_end; /* when its last measured operation completed */

    /* report_interval: per interval of the measured window */
    uint64_t *iops;
    struct kvb_hist *ihist;

    /* monotonic writer: every index it committed (warmup included) */
    uint64_t *claimed;
    size_t nclaimed, capclaimed;

    uint64_t violations;
    char first_violation[KVB_REASON_LEN];
    char first_error[KVB_REASON_LEN];
    bool client_open; /* client.open succeeded: close it */
    bool started;     /* the thread was created */
    pthread_t thread;
};

/* The thread body (client.c): runs w's role until the schedule ends. */
void *kvb_worker_main(void *arg);

/* Once every client stopped: judges the reads w left undecided. */
void kvb_worker_settle(struct kvb_worker *w);

/* Judges again the reads w left undecided; final: every client has stopped. */
void kvb_worker_settle_pending(struct kvb_worker *w, bool final);

/* ---- what the roles' operations share (op.c) ---- */

/* Keeps the first error of w: "what: msg". */
void kvb_worker_error(struct kvb_worker *w, const char *what, const char *msg);

/* Counts a violation; keeps the first one's text. */
void kvb_worker_violation(struct kvb_worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends an operation whose transaction failed before commit (`what` failed). */
void kvb_op_fail(struct kvb_worker *w, struct kvb_op *op, const char *what);

/* Commits the open write transaction. Returns true when the operation is
 * over (op->status says how), false when it conflicted and may retry. */
bool kvb_op_commit(struct kvb_worker *w, struct kvb_op *op);

/* Reads the monotonic writers' head in the open transaction (flags as
 * get's): 0 when absent. */
int kvb_op_read_head(struct kvb_worker *w, unsigned flags, uint64_t *h);

/* Starts a random writer's or compactor's attempt: its generation, no writes yet. */
void kvb_op_begin_attempt(struct kvb_worker *w, struct kvb_op *op);

/* Reads record r->key (its key built in w->key, kl bytes) for update and
 * keeps what the ledger needs of what it found: judged after the clock stops. */
int kvb_op_read_for_update(struct kvb_worker *w, struct kvb_recop *r, size_t kl);

/* Records a compactor or scanner may touch: the preloaded ones, else the key space. */
uint64_t kvb_record_space(const struct kvb_run_ctx *ctx);

/* Judges a read of record key begun at t that returned got (a generation,
 * or KVB_GEN_ABSENT), now or, while undecided, later. */
void kvb_judge_record(struct kvb_worker *w, uint64_t key, uint64_t got, uint64_t t);

/* Setup shared by the roles that write records (random writers,
 * compactors): room for nops writes per attempt and, when the ledger runs,
 * a ledger log sized for `per` reads for update per operation at `rate`
 * operations/s per client (0: closed loop). Sets w->first_error on failure. */
int kvb_record_writer_setup(struct kvb_worker *w, unsigned nops, unsigned per, double rate);

/* Setup of a client that reads records: room for its undecided reads when
 * the ledger runs. */
int kvb_record_reader_setup(struct kvb_worker *w);

/* Judgement of the roles that write records: after an acknowledged
 * transaction (begun at start, commit returned by end), publishes it in the
 * ledger and judges what it read. */
void kvb_record_writer_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start,
                             uint64_t end);

/* ---- the roles (role_NAME.c), as kvb_roles[] names them ---- */
void kvb_writer_op(struct kvb_worker *w, struct kvb_op *op);
void kvb_writer_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end);
int kvb_reader_setup(struct kvb_worker *w);
void kvb_reader_op(struct kvb_worker *w, struct kvb_op *op);
void kvb_reader_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end);
int kvb_random_writer_setup(struct kvb_worker *w);
void kvb_random_writer_op(struct kvb_worker *w, struct kvb_op *op);
uint64_t kvb_random_writer_records(const struct kvb_config *cfg);
int kvb_compactor_setup(struct kvb_worker *w);
void kvb_compactor_op(struct kvb_worker *w, struct kvb_op *op);
uint64_t kvb_compactor_records(const struct kvb_config *cfg);
int kvb_scanner_setup(struct kvb_worker *w);
void kvb_scanner_op(struct kvb_worker *w, struct kvb_op *op);
void kvb_scanner_judge(struct kvb_worker *w, const struct kvb_op *op, uint64_t start, uint64_t end);

#endif
