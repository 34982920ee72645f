/*
 * ledger.h - the record writes that were acknowledged, to judge what readers
 * and the end-of-run check find in records.
 *
 * Generations. Every transaction attempt of a random writer or compactor has
 * its own generation: kvb_ledger_first_gen(client id) for the client's first
 * attempt, one more for each next one (retries included). Every value the
 * attempt puts carries it (kv.h); preloaded values carry 0. So a value read
 * back names the write that made it.
 *
 * What is kept. Per writer, each attempt's interval [begin, ack]: begin is
 * read before the operation started (before its first attempt), ack after
 * its commit returned, so the interval is wider than the truth. Per record,
 * two slots: the acknowledged write (put or delete) with the latest begin,
 * and the acknowledged delete with the latest ack. Per writer, every
 * acknowledged read-modify-write (read_before_write, compactors): which
 * version of the record it replaced. A writer publishes an attempt after its
 * clock stopped, before its next operation (kvb_ledger_ack, then
 * kvb_ledger_wrote and kvb_ledger_rmw); anyone may read the ledger at any
 * time: it is lock-free (atomics, no allocation).
 *
 * What it judges. A write W2 supersedes W1 when W2 began after W1 was
 * acknowledged; writes whose intervals overlap may land in either order.
 *  - A read begun at t must not return a version that a write acknowledged
 *    before t supersedes (a stale read), nor find nothing unless an
 *    acknowledged delete that no such write supersedes explains it; nor
 *    return the value of an attempt that was never acknowledged (a dirty
 *    read). The end-of-run check is the same judgement with t after every
 *    write: a superseded version left in the store is a lost write.
 *  - Two acknowledged read-modify-writes of one record that replaced the
 *    same version are a lost update (one of them did not see the other).
 * Wider intervals can hide an anomaly, never invent one. A read whose
 * deciding write is not yet published is "undecided": the reader keeps it
 * and judges it again later (finally once every client stopped).
 *
 * Memory. 16 bytes per record that random writers or compactors can write;
 * per record writer, 16 bytes per transaction attempt and 24 per
 * acknowledged read-modify-write. All writers' logs share KVB_LEDGER_BUDGET
 * bytes, reserved with mmap and resident only as they fill. An attempt past
 * its writer's share is not logged but counted (kvb_ledger_incomplete):
 * then the checks that need it are not made and the verdict is n/a unless
 * something was found.
 */
#ifndef KVB_WORKLOADS_LEDGER_H
#define KVB_WORKLOADS_LEDGER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/result.h"

#define KVB_GEN_SHIFT 40
#define KVB_GEN_SEQ_MASK ((1ull << KVB_GEN_SHIFT) - 1)
#define KVB_GEN_DELETE (1ull << 63)   /* in a slot or a read-modify-write: a delete */
#define KVB_GEN_ABSENT UINT64_MAX     /* what a read returned: nothing */
#define KVB_GEN_NONE (UINT64_MAX - 1) /* no version: a record never written nor preloaded */

/* Bytes all record writers' logs of one run may reserve together. */
#define KVB_LEDGER_BUDGET (512ull << 20)

/* One transaction attempt: ack_ns is 0 until it is acknowledged and
 * published, and stays 0 if it never is. */
struct kvb_ledger_attempt {
    _Atomic uint64_t begin_ns, ack_ns;
};

/* An acknowledged read-modify-write of key: generation gen (| KVB_GEN_DELETE)
 * replaced version pred. */
struct kvb_ledger_rmw {
    uint64_t key, gen, pred;
};

/* One record writer's log. Written by that writer only. */
struct kvb_ledger_log {
    bool open;                           /* this client writes records (kvb_ledger_open_log) */
    enum kvb_role role;                  /* KVB_ROLE_RANDOM_WRITER or KVB_ROLE_COMPACTOR */
    unsigned index;                      /* within its role */
    struct kvb_ledger_attempt *attempts; /* by generation & KVB_GEN_SEQ_MASK */
    uint64_t cap;                        /* attempts it holds */
    struct kvb_ledger_rmw *rmw;
    size_t nrmw, caprmw;
    uint64_t dropped; /* acknowledged attempts and rmw entries that did not fit */
};

struct kvb_ledger_key {
    _Atomic uint64_t last; /* generation of the acknowledged write with the latest begin; 0: none */
    _Atomic uint64_t
        last_del; /* generation of the acknowledged delete with the latest ack; 0: none */
};

struct kvb_ledger {
    uint64_t nkeys;     /* records 0 .. nkeys-1 are tracked; 0: the ledger is off */
    uint64_t preloaded; /* records 0 .. preloaded-1 were preloaded (generation 0) */
    bool deletes;       /* random writers delete: a missing record may be fine */
    struct kvb_ledger_key *keys;
    struct kvb_ledger_log *logs; /* by client id; open only for clients that write records */
    unsigned nclients;
    uint64_t t0;               /* messages give times relative to this (the schedule start) */
    _Atomic uint64_t unjudged; /* reads left undecided that no reader could keep */
};


/* Generation of client's first transaction attempt. */
static inline uint64_t kvb_ledger_first_gen(unsigned client)
{
    return ((uint64_t)client + 1) << KVB_GEN_SHIFT;
}

/* Sets the ledger up for records 0 .. nkeys-1 (0: off, nothing else is
 * needed) and nclients client ids. Returns 0, or -1 (out of memory). Free
 * with kvb_ledger_free, whatever it returned. */
int kvb_ledger_init(struct kvb_ledger *lg, uint64_t nkeys, uint64_t preloaded, bool deletes,
                    unsigned nclients);

/* Gives client a log of attempts attempts and rmw read-modify-writes.
 * Returns 0, or -1 (out of memory). */
int kvb_ledger_open_log(struct kvb_ledger *lg, unsigned client, enum kvb_role role, unsigned index,
                        uint64_t attempts, size_t rmw);

void kvb_ledger_free(struct kvb_ledger *lg);

/* The writer of attempt gen publishes it as acknowledged. Returns false
 * when its log is full (counted; then record nothing else of it). */
bool kvb_ledger_ack(struct kvb_ledger *lg, uint64_t gen, uint64_t begin_ns, uint64_t ack_ns);

/* Acknowledged attempt gen, which began at begin_ns and was acknowledged at
 * ack_ns, left key holding its put (del false) or deleted it. Once per key
 * and attempt: the attempt's last write of key. */
void kvb_ledger_wrote(struct kvb_ledger *lg, uint64_t key, uint64_t gen, bool del,
                      uint64_t begin_ns, uint64_t ack_ns);

/* Acknowledged attempt gen (| KVB_GEN_DELETE) replaced version pred of key,
 * which it read first. The attempt's writer only. */
void kvb_ledger_rmw(struct kvb_ledger *lg, uint64_t key, uint64_t gen, uint64_t pred);

/* The version a read of key begun at t must not be older than: the
 * generation (| KVB_GEN_DELETE) of the acknowledged write with the latest
 * begin if it was acknowledged before t, else 0 for a preloaded record,
 * else KVB_GEN_NONE. t = UINT64_MAX: after every write (the end check). */
uint64_t kvb_ledger_floor(const struct kvb_ledger *lg, uint64_t key, uint64_t t);

/* Whether got (a generation, or KVB_GEN_ABSENT) is what the acknowledged
 * write to key with the latest begin left: a read that found it is fine
 * whenever it began (the common case, judged with one load). */
static inline bool kvb_ledger_is_latest(const struct kvb_ledger *lg, uint64_t key, uint64_t got)
{
    if (key >= lg->nkeys)
        return false;
    uint64_t last = atomic_load_explicit(&lg->keys[key].last, memory_order_relaxed);
    return last && (last & KVB_GEN_DELETE ? got == KVB_GEN_ABSENT : got == last);
}

enum kvb_ledger_judgement {
    KVB_LEDGER_FINE,
    KVB_LEDGER_STALE,       /* got is older than floor, or nothing explains its absence */
    KVB_LEDGER_UNCOMMITTED, /* got was never acknowledged (or written by no one) */
    KVB_LEDGER_UNDECIDED,   /* not yet: a write that may explain it is not published */
};

/* Judges that a read of key returned got (a generation, or KVB_GEN_ABSENT)
 * when it had to see floor (kvb_ledger_floor at the read's start). final:
 * every client has stopped, so nothing is undecided. Unless FINE, writes
 * what was found and why it is wrong into why, to follow "holds" or
 * "returned" ("generation G (...), but generation H (...) superseded it"). */
enum kvb_ledger_judgement kvb_ledger_judge(const struct kvb_ledger *lg, uint64_t key, uint64_t got,
                                           uint64_t floor, bool final, char *why, size_t whylen);

/* After every client stopped: looks for two read-modify-writes that
 * replaced the same version. Returns true and writes the first into why.
 * Sorts the logs' rmw entries. */
bool kvb_ledger_find_lost_update(struct kvb_ledger *lg, char *why, size_t whylen);

/* After every client stopped: acknowledged attempts and reads the ledger
 * could not keep; nonzero means its checks were incomplete. */
uint64_t kvb_ledger_incomplete(const struct kvb_ledger *lg);

#endif
