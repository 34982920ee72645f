/*
 * backend.h - the one interface every storage engine implements.
 *
 * A backend is a static table of functions (struct kvb_backend), listed in
 * registry.c, in the manner of fio's struct ioengine_ops. kvbench opens one
 * database per run (struct kvb_db) and one client per thread (struct
 * kvb_client). A client runs one transaction at a time:
 *
 *     begin -> get/put/del ... -> commit (or abort)
 *
 * Return codes are ints: KVB_OK (0), KVB_NOT_FOUND (get only), KVB_CONFLICT
 * (commit only: the "precondition failure" - something the transaction read
 * changed since its snapshot), and KVB_ERR, after which the message is in
 * the err buffer of the db or client the call was made on. Backends copy
 * engine messages there (kvb_errorf) and free the engine's own copy.
 *
 * Threading: db-level calls (open, close, stats) are made by one thread.
 * Client calls on one client are made by one thread at a time; different
 * clients are used concurrently.
 *
 * Hot path: begin, get, put, del, commit and abort are what kvbench times.
 * They must not print, and should not allocate where the engine does not
 * force it.
 *
 * Ownership: the harness owns struct kvb_db and struct kvb_client (zeroed
 * before open); backends own what they hang on ->priv and free it in close /
 * client_close. Option structs (opts) are the harness's, valid from open to
 * close.
 */
#ifndef KVB_BACKENDS_BACKEND_H
#define KVB_BACKENDS_BACKEND_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hist.h"
#include "util/option.h"

enum {
    KVB_OK = 0,
    KVB_NOT_FOUND = 1, /* get: no such key visible to the transaction */
    KVB_CONFLICT = 2,  /* commit: precondition failure; the transaction is over */
    KVB_ERR = -1,      /* see ->err */
};

#define KVB_ERRLEN 512

/* What a backend can do; the harness refuses configs that need more. */
enum kvb_cap {
    KVB_CAP_STORES = 1u << 0,    /* keeps what is written: verification applies */
    KVB_CAP_DURABLE = 1u << 1,   /* with sync, an acknowledged commit survives a crash */
    KVB_CAP_CONFLICTS = 1u << 2, /* detects read-write conflicts between concurrent txns */
    KVB_CAP_PERSIST = 1u << 3,   /* data is in the directory and survives close/reopen */
    KVB_CAP_SERIAL_WRITES = 1u << 4, /* write transactions run one at a time (no conflicts by construction) */
};

/* begin flags (a backend ignores flags it does not know) */
#define KVB_TXN_READONLY 1u /* the transaction will only read */
/* With KVB_TXN_READONLY: the transaction will make exactly one get and
 * nothing else (or no call at all before commit or abort); a backend may
 * skip taking a snapshot, since one read is consistent by itself. */
#define KVB_TXN_ONE_READ 2u
/* get flags */
#define KVB_GET_FOR_UPDATE 1u /* a change to this key by another commit must conflict */

struct kvb_backend;

struct kvb_db {
    const struct kvb_backend *be;
    void *priv;
    char err[KVB_ERRLEN];
};

struct kvb_client {
    struct kvb_db *db;
    void *priv;
    unsigned id; /* 0 .. max_clients-1 */
    char err[KVB_ERRLEN];
};

struct kvb_open_args {
    const char *dir;       /* existing, empty (or, on reopen, previously used) directory */
    bool sync;             /* every acknowledged commit is durable before commit returns */
    const void *opts;      /* the backend's own option struct (be->opts_size bytes) */
    unsigned max_clients;  /* upper bound on concurrently open clients */
    uint64_t expected_keys; /* hint for sizing (map size, hash tables) */
    size_t value_size;     /* hint: typical value size */
};

/* What an engine wrote and how often it held writers back: counters since
 * open. The harness reads them when the measured window opens and after the
 * clients stop, and reports both the difference (the window) and the end
 * value (the whole run: open, preload and warmup included). Unknown figures
 * stay NaN. */
struct kvb_engine_counters {
    double disk_bytes_written; /* bytes the engine wrote to its files for the data it was
                                  given: log, flushes, compactions */
    double prep_bytes_written; /* bytes it wrote ahead of need by its own choice, not in
                                  disk_bytes_written (awdb: the zeros of wal_prealloc) */
    double user_bytes_written; /* key+value bytes the harness asked it to write */
    double write_stalls;       /* number of times writers were stalled */
    double stall_ms;           /* total time writers spent stalled */
};

/* The counters as a table, for code that treats them all alike (the
 * window's difference, CSV columns, JSON): kvb_engine_counter_table[i] names
 * the field at offset; the table ends with a NULL name. */
struct kvb_engine_counter {
    const char *name; /* the field's name, which is also its CSV column's */
    size_t offset;    /* of the double in struct kvb_engine_counters */
};
extern const struct kvb_engine_counter kvb_engine_counter_table[];

/* The counter of c that row r of the table names. */
static inline double kvb_engine_counter_get(const struct kvb_engine_counters *c,
                                            const struct kvb_engine_counter *r)
{
    return *(const double *)((const char *)c + r->offset);
}

static inline void kvb_engine_counter_set(struct kvb_engine_counters *c,
                                          const struct kvb_engine_counter *r, double v)
{
    *(double *)((char *)c + r->offset) = v;
}

/* What the engine wrote per byte it was given: disk_bytes_written over
 * user_bytes_written, its own preparation (prep_bytes_written) left out.
 * NaN when either is unknown or nothing was given. */
static inline double kvb_engine_write_amplification(const struct kvb_engine_counters *c)
{
    return c->user_bytes_written > 0 ? c->disk_bytes_written / c->user_bytes_written : NAN;
}

/* Figures a backend reports after a run (its histograms are the backend's,
 * valid until close): per-commit lags, for the commits acknowledged in the
 * measured window. NULL when the backend does not track them. */
struct kvb_backend_stats {
    const struct kvb_hist *durable_lag; /* ack -> durable, per commit (async modes) */
    const struct kvb_hist *visible_lag; /* ack -> visible to new snapshots */
    /* Commits acknowledged in the window that durable_lag leaves out because
     * their lag could not be known (a backend should have none; see its
     * manual for when it can happen). Meaningful with durable_lag only. */
    uint64_t durable_lag_dropped;
};

struct kvb_backend {
    const char *name;    /* as written in configs: "lmdb" */
    const char *summary; /* one line for `kvbench backends` */
    unsigned caps;       /* enum kvb_cap bits, with the default options (see caps_for) */

    /* The backend's options: the config's `name:` map. opts_size bytes are
     * allocated by the harness, set to defaults from the table, then parsed. */
    const struct kvb_option *options;
    size_t opts_size;

    /* Optional, for a backend whose options change what it can do (mem
     * persists only with persist: true): its enum kvb_cap bits with the
     * option struct opts. NULL: always caps. Ask kvb_backend_caps. */
    unsigned (*caps_for)(const void *opts);

    /* Optional: checks options together (a value that is only wrong next to
     * another). Returns 0, or -1 with a sentence in err. */
    int (*check)(const void *opts, bool sync, char *err, size_t errlen);

    /* Optional (NULL: none): how many threads of its own the engine keeps
     * busy beside the clients' with these options (WAL flushers, memtable
     * flushes, compactions). An estimate: a sweep adds it to a run's clients
     * to warn when the runs it overlaps need more threads than there are
     * cores. */
    unsigned (*background_threads)(const void *opts, bool sync);

    int (*open)(struct kvb_db *db, const struct kvb_open_args *args);
    /* Flushes and releases everything; returns KVB_ERR (message in db->err)
     * if the database could not be closed cleanly. */
    int (*close)(struct kvb_db *db);

    int (*client_open)(struct kvb_client *c);
    void (*client_close)(struct kvb_client *c);

    int (*begin)(struct kvb_client *c, unsigned flags);
    /* On KVB_OK *val and *vlen point at the value, owned by the backend and valid
     * until the next call on this client. */
    int (*get)(struct kvb_client *c, const void *key, size_t klen, unsigned flags,
               const void **val, size_t *vlen);
    int (*put)(struct kvb_client *c, const void *key, size_t klen, const void *val, size_t vlen);
    int (*del)(struct kvb_client *c, const void *key, size_t klen);
    /* Ends the transaction whatever it returns: KVB_OK, KVB_CONFLICT or KVB_ERR. */
    int (*commit)(struct kvb_client *c);
    /* Ends the transaction, discarding its writes. Safe after a failed get/put. */
    void (*abort)(struct kvb_client *c);

    /* Optional (NULL: the backend cannot scan; configs with scanners are
     * refused). Visits, in key order, up to limit keys >= start within the
     * open transaction's snapshot, calling fn(arg, key, klen, val, vlen) for
     * each; key and value are valid only during the call. Stops early when
     * fn returns non-zero. Returns KVB_OK, or KVB_ERR with c->err. */
    int (*scan)(struct kvb_client *c, const void *start, size_t slen, size_t limit,
                int (*fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen),
                void *arg);

    /* Optional: fills c (already set to "unknown") with the engine's
     * counters since open. Called by the harness's thread at the start of
     * the measured window, while the clients run, and after they stopped:
     * must be safe next to any client call. Returns KVB_OK, or KVB_ERR with
     * db->err. */
    int (*counters)(struct kvb_db *db, struct kvb_engine_counters *c);

    /* Optional: fills st (already set to "unknown"). Called with every
     * client idle, after the run. */
    int (*stats)(struct kvb_db *db, struct kvb_backend_stats *st);

    /* Optional: the measured window opens at t_ns (CLOCK_MONOTONIC, after
     * the warmup). Called once per run, after the preload, while the client
     * threads wait to be released (every client idle). Histograms the
     * backend reports in stats should then hold operations acknowledged from
     * t_ns on only: what was recorded so far (preload) is dropped, and what
     * is acknowledged before t_ns (warmup) left out. (The harness counts an
     * operation in the window by its intended start, so the two counts can
     * differ by the operations in flight at t_ns.) */
    void (*measure_from)(struct kvb_db *db, uint64_t t_ns);
};

/* Formats a message into buf (size KVB_ERRLEN) and returns KVB_ERR, so that
 * backends can write `return kvb_errorf(c->err, "mdb_put: %s", mdb_strerror(rc));` */
int kvb_errorf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What be can do with its option struct opts (NULL: the defaults). */
static inline unsigned kvb_backend_caps(const struct kvb_backend *be, const void *opts)
{
    return be->caps_for && opts ? be->caps_for(opts) : be->caps;
}

/* Sets every field of st to "unknown". */
void kvb_backend_stats_init(struct kvb_backend_stats *st);

/* Sets every counter of c to "unknown" (NaN). Inline, so that code holding
 * counters (workloads/result.c) needs no backend. */
static inline void kvb_engine_counters_init(struct kvb_engine_counters *c)
{
    _Static_assert(sizeof(*c) == 5 * sizeof(double), "a counter was added: set it here too");
    *c = (struct kvb_engine_counters){NAN, NAN, NAN, NAN, NAN};
}

/* out = end - start, counter by counter (NaN where either is unknown). */
void kvb_engine_counters_sub(struct kvb_engine_counters *out, const struct kvb_engine_counters *end,
                             const struct kvb_engine_counters *start);

/* The registry (registry.c): the compiled backends, in a fixed order. */
extern const struct kvb_backend *const kvb_backends[];

/* Returns the backend named name, or NULL. */
const struct kvb_backend *kvb_backend_find(const char *name);

/* Returns the registered name closest to name, or NULL (for "did you mean"). */
const char *kvb_backend_closest(const char *name);

#endif
