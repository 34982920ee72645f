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
    uint64_t scanned; /* scanner: keys returned in the measured window */
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

/* The thread body: runs w's role until the schedule ends. */
void *kvb_worker_main(void *arg);

/* Once every client stopped: judges the reads w left undecided. */
void kvb_worker_settle(struct kvb_worker *w);

#endif
