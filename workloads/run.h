/*
 * run.h - one configuration, fully typed, and running it.
 *
 * kvb_run opens the backend in a fresh directory, preloads, starts one
 * thread per client (monotonic writers, readers, random writers), warms up,
 * measures, stops, verifies, and fills a struct kvb_result. It runs in the
 * calling process; the sweep runs it in a child so a crash costs one row.
 */
#ifndef KVB_WORKLOADS_RUN_H
#define KVB_WORKLOADS_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "workloads/result.h"
#include "workloads/role.h"

/* Smallest value_size: a value holds its key index, generation and checksum. */
#define KVB_VALUE_MIN 24

enum kvb_arrival { KVB_ARRIVAL_FIXED = 0, KVB_ARRIVAL_POISSON = 1 };

/* One configuration, fully typed: what one run executes. */
struct kvb_config {
    char name[128];     /* sweep name: `name`, else the config file's stem */
    char backend[32];   /* one backend (a single point of `backends`) */
    unsigned parallel;  /* runs at once in a sweep */
    double duration;    /* measured seconds */
    double warmup;      /* seconds before the measured window */
    double timeout;     /* seconds a run may take before it is killed; 0: automatic */
    double max_rss_mb;  /* a run whose resident memory passes this is killed; 0: no ceiling */
    unsigned num_writers;
    double writer_rate; /* transactions/s per writer; 0: closed loop */
    unsigned num_readers;
    double reader_rate;
    unsigned num_random_writers;
    double random_writer_rate;
    unsigned ops_per_txn; /* keys per random-writer transaction */
    uint64_t key_count;   /* random writers draw from [0, key_count) */
    uint64_t preload;     /* keys loaded before the run, untimed */
    unsigned value_size;  /* bytes, >= KVB_VALUE_MIN */
    unsigned max_retry_count;
    bool sync;
    uint64_t seed;
    int arrival; /* enum kvb_arrival */
    char data_dir[PATH_MAX]; /* parent of run directories; "" means $TMPDIR/kvbench */

    /* Key choice for readers, random writers, compactors and scanners. */
    int key_distribution; /* enum kvb_dist_kind */
    double zipf_theta;
    double hotspot_keys, hotspot_ops;

    /* Random writers: how their key ranges overlap, what they do. */
    double key_overlap_ratio; /* 0: disjoint ranges, 1: all share [0, key_count) */
    double delete_ratio;      /* fraction of random-writer operations that delete */
    bool read_before_write;   /* read each key (for update) before writing it */

    /* Compactors: long read-modify-write transactions. */
    unsigned num_compactors;
    double compactor_rate;
    unsigned compactor_read_count;
    double compactor_sleep_ms;

    /* Scanners: ordered range reads inside a snapshot. */
    unsigned num_scanners;
    double scanner_rate;
    unsigned scan_length;

    double report_interval; /* seconds; 0: no time series */
    unsigned repeat;        /* runs of each configuration; the CSV reports the median */

    /* The chosen backend and its options (be->opts_size bytes, owned by the
     * config: freed by kvb_config_free). */
    const struct kvb_backend *be;
    void *bopts;
};

/* One axis point of a run, for labels and the JSON summary. */
struct kvb_param {
    char key[96];   /* "num_writers" or "rocksdb.compression" */
    char value[96]; /* as text */
};

/* One run of a sweep: its configuration and where it stands in the sweep
 * (config/config.h expands a sweep into run specs). */
struct kvb_run_spec {
    size_t index;           /* position in the full expansion, 0-based */
    char label[256];        /* ["case_"] "W2_WR0.10_RD2_RT100" + other swept keys */
    struct kvb_config cfg;  /* owned: kvb_config_free(&spec->cfg) */
    size_t nswept;          /* "case" (with cases), then keys that vary within its case */
    struct kvb_param swept[32];
};

/* The rows of struct kvb_config that a config file can set
 * (config_options.c): name, type, bounds, default, help. */
struct kvb_option;
extern const struct kvb_option kvb_config_options[];

/* Runs cfg against cfg->be in dir (an existing, empty directory) and fills
 * *res. Returns 0 when the run completed (res may still hold verification
 * failures or violations), -1 when it could not (res->failed and
 * res->reason say why). Prints nothing. */
int kvb_run(const struct kvb_config *cfg, const char *dir, struct kvb_result *res);

/* The log a crash test watches (workloads/crash.h). */
struct kvb_ack_log;

/* kvb_run, appending each acknowledged monotonic commit to acks (NULL:
 * none) right after its clock stops. */
int kvb_run_acked(const struct kvb_config *cfg, const char *dir, struct kvb_result *res,
                  struct kvb_ack_log *acks);

#endif
